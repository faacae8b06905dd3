package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/jetstream"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

// BenchCommand measures the ledger on this machine, in one process and one
// run, so that the figures can be compared as ratios: raw JetStream
// publishes with the same headers and durability, Store.Append, appends
// over HTTP, acknowledgement to signed checkpoint, verify, and the memory
// of serve holding a large log.
type BenchCommand struct {
	Stdout, Stderr io.Writer
}

const benchExample = `  ledger bench                                   # both sync settings, 200,000 events for verify
  ledger bench --verify-events 1000000 --keep bench-1m   # the full targets; keeps the data folder
  ledger bench --sync lazy --events 100000 --verify-events 0
  ledger bench --floor                           # what this machine allows a read at 20,000/s`

type benchConfig struct {
	events, lazyEvents int
	clients, inflight  int
	streams            int
	verifyEvents       int
	keep, reuse        string
	views              string
	fillMix            int
	readFor            time.Duration // each HTTP read load of --views
	floor              bool          // only hostFloor
	modes              []string
	// The soak (benchsoak.go).
	soak, soakEvery       time.Duration
	soakFill              int
	soakWrites, soakReads int
}

// Run implements command.
// checkBenchConfig checks what every mode reads, before anything is
// written: the soak's paces (a ticker of a zero interval panics), and that
// --keep names a new or empty folder (the bench writes a new log there:
// into an existing ledger, its events would stay for good).
func checkBenchConfig(cfg benchConfig) error {
	switch {
	case cfg.readFor < 100*time.Millisecond:
		return errors.New("--read-for must be at least 100ms")
	case cfg.soak < 0:
		return errors.New("--soak must be a positive duration, such as 10m")
	case cfg.fillMix < 0:
		return errors.New("--fill-mix must be 0 or more")
	}
	if cfg.soak > 0 {
		setup := 1 + 2*mixDistricts*(1+mixCommunes) // the units and parties the fill registers first
		switch {
		case cfg.soakEvery < 100*time.Millisecond:
			return errors.New("--soak-every must be at least 100ms")
		case cfg.soak < 6*cfg.soakEvery:
			return errors.New("--soak must be at least six times --soak-every: the verdict needs six samples")
		case cfg.soakWrites < 1 || cfg.soakWrites > 100_000 || cfg.soakReads < 1 || cfg.soakReads > 100_000:
			return errors.New("--soak-writes and --soak-reads must be from 1 to 100000 a second")
		case cfg.soakFill < 0 || cfg.soakFill > 0 && cfg.soakFill < setup:
			return fmt.Errorf("--soak-fill must be 0 (the soak registers its units itself) or at least %d (the fill's units and parties)", setup)
		}
	}
	if cfg.reuse != "" {
		// Checked before the append phase, which runs first.
		if err := checkLedgerDir(cfg.reuse); err != nil {
			return fmt.Errorf("--reuse: %v", err)
		}
	}
	if cfg.keep != "" {
		entries, err := os.ReadDir(cfg.keep)
		switch {
		case err == nil && len(entries) > 0:
			return fmt.Errorf("--keep %s is not empty: the bench writes a new log there (to measure an existing data folder, give it to --views or --reuse)", cfg.keep)
		case err != nil && !errors.Is(err, os.ErrNotExist):
			return fmt.Errorf("--keep %s: %v", cfg.keep, err)
		}
	}
	return nil
}

func (c *BenchCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("bench", "Measures appends (raw JetStream, Store.Append, HTTP), checkpoint latency, verify throughput and\n"+
		"serve's memory, side by side in one run. Figures and targets are in BENCHMARKS.md.", benchExample, c.Stderr)
	var cfg benchConfig
	syncFlag := fs.String("sync", "both", "always, lazy or both")
	fs.IntVar(&cfg.events, "events", 20000, "events per append measurement with --sync always")
	fs.IntVar(&cfg.lazyEvents, "lazy-events", 100000, "events per append measurement with --sync lazy")
	fs.IntVar(&cfg.clients, "clients", 32, "concurrent HTTP clients")
	fs.IntVar(&cfg.inflight, "inflight", 256, "publishes in flight (raw) and appending goroutines (Store.Append)")
	fs.IntVar(&cfg.streams, "streams", 1000, "streams (aggregates) the appends spread over")
	fs.IntVar(&cfg.verifyEvents, "verify-events", 200000, "events in the log for verify and serve's memory (0 skips)")
	fs.StringVar(&cfg.keep, "keep", "", "keep the verify data folder here (reusable with --reuse)")
	fs.StringVar(&cfg.reuse, "reuse", "", "measure verify and memory on this existing data folder instead of writing one")
	fs.StringVar(&cfg.views, "views", "", "measure only the read side on this stopped data folder: raw replay, rebuild, snapshot restart, queries")
	fs.DurationVar(&cfg.readFor, "read-for", 10*time.Second, "how long each HTTP read load of --views and --fill-mix runs")
	fs.IntVar(&cfg.fillMix, "fill-mix", 0, "write this many events of the mixed workload (supervisions and their recommendations) through\nLedger.Handle into the new data folder --keep, then measure the read side on it as --views does")
	fs.BoolVar(&cfg.floor, "floor", false, "measure only GET /healthz of serve with an empty ledger (a process of its own), flat out and at 20,000 requests/s:\nthe latency this machine allows any read at the read target's rate; nothing else is measured")
	fs.DurationVar(&cfg.soak, "soak", 0, "run serve (a child process) under mixed reads and writes over HTTP for this long, sampling its memory\n(see --soak-fill, --soak-writes, --soak-reads, --soak-every; --keep keeps the data folder); nothing else is measured")
	fs.IntVar(&cfg.soakFill, "soak-fill", 100000, "events of the mixed workload in the log before the soak starts")
	fs.IntVar(&cfg.soakWrites, "soak-writes", 50, "writes per second during the soak")
	fs.IntVar(&cfg.soakReads, "soak-reads", 200, "reads per second during the soak")
	fs.DurationVar(&cfg.soakEvery, "soak-every", 5*time.Second, "how often the soak samples serve's memory")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkBenchConfig(cfg); err != nil {
		fmt.Fprintln(c.Stderr, "ledger bench: "+err.Error())
		return errUsage
	}
	if cfg.soak > 0 {
		return c.soakPhase(ctx, c.Stdout, cfg)
	}
	if cfg.floor {
		if cfg.views != "" || cfg.fillMix > 0 || cfg.reuse != "" || cfg.keep != "" {
			fmt.Fprintln(c.Stderr, "ledger bench: --floor measures nothing else; leave out --views, --fill-mix, --reuse and --keep")
			return errUsage
		}
		return hostFloor(ctx, c.Stdout, cfg.readFor)
	}
	switch *syncFlag {
	case "both":
		cfg.modes = []string{"always", "lazy"}
	case "always", "lazy":
		cfg.modes = []string{*syncFlag}
	default:
		fmt.Fprintln(c.Stderr, "ledger bench: --sync must be always, lazy or both")
		return errUsage
	}
	if cfg.events < 1000 || cfg.lazyEvents < 1000 || cfg.clients < 1 || cfg.inflight < 1 || cfg.streams < 1 {
		fmt.Fprintln(c.Stderr, "ledger bench: --events and --lazy-events must be at least 1000; --clients, --inflight, --streams at least 1")
		return errUsage
	}
	w := c.Stdout
	if cfg.fillMix > 0 {
		if cfg.keep == "" {
			fmt.Fprintln(c.Stderr, "ledger bench: --fill-mix needs --keep DIR, the new data folder")
			return errUsage
		}
		if err := benchFillMix(ctx, cfg.keep, cfg.fillMix, c.Stderr); err != nil {
			return err
		}
		cfg.views = cfg.keep
	}
	if cfg.views != "" {
		// One after the other: nothing of the first phase (its views are
		// half a GiB at a million events) may be reachable while serve is
		// read from in this process, or the collector would mark it with
		// serve's heap. benchReads checks.
		if err := c.viewsPhase(ctx, w, cfg.views); err != nil {
			return err
		}
		return c.viewsHTTP(ctx, w, cfg.views, cfg.readFor)
	}
	fmt.Fprintf(w, "ledger bench: %s, GOMAXPROCS=%d, %s, %s\n", runtime.Version(), runtime.GOMAXPROCS(0), runtime.GOARCH, time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "events of about 1 KiB over %d streams; raw: %d publishes in flight; Store.Append: %d goroutines; HTTP: %d clients\n\n",
		cfg.streams, cfg.inflight, cfg.inflight, cfg.clients)
	for _, mode := range cfg.modes {
		n := cfg.events
		if mode == "lazy" {
			n = cfg.lazyEvents
		}
		if err := c.appendPhase(ctx, w, mode, n, cfg); err != nil {
			return err
		}
	}
	if cfg.verifyEvents > 0 || cfg.reuse != "" {
		return c.verifyPhase(ctx, w, cfg)
	}
	return nil
}

// benchNode is a fresh embedded server with one sync setting.
type benchNode struct {
	dir string
	srv interface {
		Shutdown()
		WaitForShutdown()
	}
	nc *nats.Conn
}

func startBenchNode(mode string) (*benchNode, error) {
	dir, err := os.MkdirTemp("", "ledger-bench-*")
	if err != nil {
		return nil, err
	}
	srv, err := jetstream.StartServer(jetstream.ServerConfig{StoreDir: dir, SyncAlways: mode == "always", SyncInterval: time.Second, ServerName: "bench"})
	if err != nil {
		return nil, err
	}
	nc, err := jetstream.ConnectInProcess(srv, "bench")
	if err != nil {
		return nil, err
	}
	return &benchNode{dir: dir, srv: srv, nc: nc}, nil
}

func (n *benchNode) close() {
	n.nc.Close()
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	os.RemoveAll(n.dir)
}

func (c *BenchCommand) appendPhase(ctx context.Context, w io.Writer, mode string, n int, cfg benchConfig) error {
	fmt.Fprintf(w, "--sync %s (%d events per measurement)\n", mode, n)
	raw, err := benchRaw(ctx, mode, n, cfg)
	if err != nil {
		return fmt.Errorf("raw publish: %w", err)
	}
	fmt.Fprintf(w, "  %-38s %9.0f events/s\n", "raw JetStream async publish", raw)
	size := min(cfg.inflight, cfg.streams, 1000)
	rawBatch, err := benchRawAtomic(ctx, mode, n, size, cfg)
	if err != nil {
		return fmt.Errorf("raw atomic batches: %w", err)
	}
	fmt.Fprintf(w, "  %-38s %9.0f events/s  (the ceiling of group commit; not the baseline)\n", fmt.Sprintf("raw JetStream atomic batches of %d", size), rawBatch)
	// Store.Append both ways; the targets apply to the way serve uses.
	sc := DefaultServeConfig()
	sc.Sync = mode
	serveGroup := sc.GroupCommit()
	for _, group := range []bool{false, true} {
		st, err := benchStore(ctx, mode, n, group, cfg)
		if err != nil {
			return fmt.Errorf("Store.Append: %w", err)
		}
		label, note := "Store.Append, one by one", ""
		if group {
			label = "Store.Append, group commit"
		}
		if group == serveGroup {
			note = "(serve's setting; target " + map[string]string{"always": "≥ 0.70 × raw and ≥ 3,000/s", "lazy": "≥ 0.70 × raw and ≥ 50,000/s"}[mode] + ")"
		}
		fmt.Fprintf(w, "  %-38s %9.0f events/s  %.2f × raw   %s\n", label, st, st/raw, note)
	}
	h, err := benchHTTP(ctx, mode, n, cfg)
	if err != nil {
		return fmt.Errorf("HTTP: %w", err)
	}
	how := "one by one"
	if serveGroup {
		how = "group commit"
	}
	target := map[string]string{"always": "≥ 2,000/s, p99 ≤ 50 ms", "lazy": "≥ 5,000/s, p99 ≤ 20 ms"}[mode]
	fmt.Fprintf(w, "  %-38s %9.0f events/s  %.2f × raw   p50 %s  p99 %s   (target %s)\n", fmt.Sprintf("HTTP append, %d clients, %s", cfg.clients, how),
		h.rate, h.rate/raw, ms(h.p50), ms(h.p99), target)
	fmt.Fprintf(w, "  %-38s p50 %s  p99 %s  max %s   (target p99 ≤ 1 s)\n\n", "acknowledged → in a signed checkpoint", ms(h.cp50), ms(h.cp99), ms(h.cpMax))
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// benchBody returns a JSON document of about 1 KiB.
func benchBody(i int) []byte {
	pad := strings.Repeat("Biên bản giám sát việc thực hiện chính sách. ", 20)
	return fmt.Appendf(nil, `{"id":"ev-%012d","type":"supervision.recorded.v1","data":{"text":%q}}`, i, pad)
}

// benchRaw publishes n messages asynchronously with the headers and stream
// configuration the ledger uses.
func benchRaw(ctx context.Context, mode string, n int, cfg benchConfig) (float64, error) {
	node, err := startBenchNode(mode)
	if err != nil {
		return 0, err
	}
	defer node.close()
	// The ledger's own stream configuration, created by the store.
	st, err := jetstream.Open(ctx, node.nc, jetstream.Config{})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	js, err := natsjs.New(node.nc, natsjs.WithPublishAsyncMaxPending(cfg.inflight+16))
	if err != nil {
		return 0, err
	}
	// Publishes are pipelined across streams, at most cfg.inflight in
	// flight, oldest settled first. A stream's next publish needs the
	// sequence of its previous one (the expected last subject sequence), as
	// in the ledger: it waits until that one is settled.
	type flight struct {
		f natsjs.PubAckFuture
		k int
	}
	var fifo []flight
	last := make([]uint64, cfg.streams)
	inFlight := make([]int, cfg.streams)
	version := make([]int, cfg.streams)
	pop := func() error {
		fl := fifo[0]
		fifo = fifo[1:]
		inFlight[fl.k]--
		select {
		case ack := <-fl.f.Ok():
			last[fl.k] = ack.Sequence
			return nil
		case err := <-fl.f.Err():
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		k := i % cfg.streams
		for len(fifo) >= cfg.inflight || inFlight[k] > 0 {
			if err := pop(); err != nil {
				return 0, err
			}
		}
		version[k]++
		id := fmt.Sprintf("ev-%012d", i)
		hdr := nats.Header{}
		hdr.Set(natsjs.MsgIDHeader, "key-"+id)
		hdr.Set(natsjs.ExpectedLastSubjSeqHeader, strconv.FormatUint(last[k], 10))
		hdr.Set("Ledger-Id", id)
		hdr.Set("Ledger-Version", strconv.Itoa(version[k]))
		hdr.Set("Ledger-Key", "key-"+id)
		f, err := js.PublishMsgAsync(&nats.Msg{Subject: fmt.Sprintf("ledger.ev.supervision.s%d", k), Header: hdr, Data: benchBody(i)})
		if err != nil {
			return 0, err
		}
		fifo = append(fifo, flight{f, k})
		inFlight[k]++
	}
	for len(fifo) > 0 {
		if err := pop(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// benchRawAtomic publishes n messages with the headers the ledger uses as
// JetStream atomic batches of size messages, one batch at a time, each
// message on its own stream: what group commit can reach at best.
func benchRawAtomic(ctx context.Context, mode string, n, size int, cfg benchConfig) (float64, error) {
	node, err := startBenchNode(mode)
	if err != nil {
		return 0, err
	}
	defer node.close()
	// The ledger's stream configuration, allowing atomic publish.
	st, err := jetstream.Open(ctx, node.nc, jetstream.Config{GroupCommit: true})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	last := make([]uint64, cfg.streams)
	version := make([]int, cfg.streams)
	start := time.Now()
	for i := 0; i < n; {
		size := min(size, n-i)
		batch := "bench-" + strconv.Itoa(i)
		for j := 0; j < size; j++ {
			k := (i + j) % cfg.streams
			version[k]++
			id := fmt.Sprintf("ev-%012d", i+j)
			hdr := nats.Header{}
			hdr.Set(natsjs.MsgIDHeader, "key-"+id)
			hdr.Set(natsjs.ExpectedLastSubjSeqHeader, strconv.FormatUint(last[k], 10))
			hdr.Set("Ledger-Id", id)
			hdr.Set("Ledger-Version", strconv.Itoa(version[k]))
			hdr.Set("Ledger-Key", "key-"+id)
			hdr.Set("Nats-Batch-Id", batch)
			hdr.Set("Nats-Batch-Sequence", strconv.Itoa(j+1))
			msg := &nats.Msg{Subject: fmt.Sprintf("ledger.ev.supervision.s%d", k), Header: hdr, Data: benchBody(i + j)}
			if j < size-1 {
				if err := node.nc.PublishMsg(msg); err != nil {
					return 0, err
				}
				continue
			}
			hdr.Set("Nats-Batch-Commit", "1")
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			resp, err := node.nc.RequestMsgWithContext(rctx, msg)
			cancel()
			if err != nil {
				return 0, err
			}
			var ack struct {
				Seq   uint64           `json:"seq"`
				Count int              `json:"count"`
				Error *natsjs.APIError `json:"error"`
			}
			if err := json.Unmarshal(resp.Data, &ack); err != nil {
				return 0, err
			}
			if ack.Error != nil {
				return 0, ack.Error
			}
			if ack.Count != size {
				return 0, fmt.Errorf("batch of %d acknowledged with count %d", size, ack.Count)
			}
			for jj := 0; jj < size; jj++ {
				last[(i+jj)%cfg.streams] = ack.Seq - uint64(size-1-jj)
			}
		}
		i += size
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// benchStore appends n events through Store.Append from cfg.inflight
// goroutines, each building the envelope with its hash chain, with or
// without group commit.
func benchStore(ctx context.Context, mode string, n int, group bool, cfg benchConfig) (float64, error) {
	node, err := startBenchNode(mode)
	if err != nil {
		return 0, err
	}
	defer node.close()
	st, err := jetstream.Open(ctx, node.nc, jetstream.Config{GroupCommit: group})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, cfg.inflight)
	start := time.Now()
	workers := min(cfg.inflight, cfg.streams)
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			type chain struct {
				version uint64
				prev    string
			}
			mine := map[int]*chain{}
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				// Goroutine g owns streams g, g+workers, …: no two
				// goroutines append to one stream.
				k := g + workers*(i/workers%max(1, cfg.streams/workers))
				ch := mine[k]
				if ch == nil {
					ch = &chain{}
					mine[k] = ch
				}
				raw, id := benchEnvelope(k, ch.version, ch.prev, i)
				a, err := st.Append(ctx, fmt.Sprintf("supervision/s%d", k), ch.version, events.Pending{ID: id, Key: "key-" + id, Raw: raw})
				if err != nil {
					errc <- err
					return
				}
				ch.version, ch.prev = a.Version, a.Hash().String()
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

var benchPad = strings.Repeat("Biên bản giám sát việc thực hiện chính sách. ", 16)

// benchEnvelope builds a stored event of about 1 KiB: a reminder on a
// recommendation (the first event of a stream issues it).
func benchEnvelope(stream int, version uint64, prev string, i int) ([]byte, string) {
	return padEnvelope(stream, version, prev, i, benchPad)
}

// padEnvelope is benchEnvelope's event with pad as its topic (or the
// correction's reason).
func padEnvelope(stream int, version uint64, prev string, i int, pad string) ([]byte, string) {
	id := fmt.Sprintf("01000000-0000-7000-8000-%012d", i)
	env := events.Envelope{ID: id, Stream: fmt.Sprintf("supervision/s%d", stream), Kind: events.KindSupervision, Version: version + 1,
		OccurredAt: time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC), RecordedAt: time.Now().UTC(), Unit: "bench",
		Actor: events.Actor{Subject: "token/bench", Role: events.RoleRecorder, Unit: "bench"}, Classification: events.Public,
		IdempotencyKey: "key-" + id, PrevHash: prev}
	if version == 0 {
		env.Type = events.SupervisionPlanned
		env.Data, _ = json.Marshal(events.SupervisionPlannedData{Title: "Giám sát " + strconv.Itoa(stream), Topic: pad, Form: events.FormDocumentReview,
			Mode: events.ModeUnscheduled, Scope: events.ScopeRegular, SubjectPartyIDs: []string{"p"}, PlannedStart: "2024-03-01"})
	} else {
		env.Type = events.SupervisionCorrected
		env.Data, _ = json.Marshal(events.CorrectionData{CorrectsVersion: 1, Reason: pad, Changes: map[string]string{"topic": "Tiếp công dân"}})
	}
	raw, _ := env.Marshal()
	return raw, id
}

type httpFigures struct {
	rate              float64
	p50, p99          time.Duration
	cp50, cp99, cpMax time.Duration
}

// benchHTTP runs a whole server (ledger, API) and appends n events over
// loopback HTTP from cfg.clients clients, each with its own supervisions.
func benchHTTP(ctx context.Context, mode string, n int, cfg benchConfig) (httpFigures, error) {
	dir, err := os.MkdirTemp("", "ledger-bench-http-*")
	if err != nil {
		return httpFigures{}, err
	}
	defer os.RemoveAll(dir)
	sc := DefaultServeConfig()
	sc.Data, sc.HTTP, sc.Sync, sc.LogLevel = dir, "127.0.0.1:0", mode, "error"
	m := NewMain(sc, io.Discard)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return httpFigures{}, err
	}
	defer m.Close()
	admin := api.NewClient(m.HTTPServer.URL(), adminTokenOf(dir))
	if _, err := admin.Create(ctx, "units", api.EventRequest{ID: "bench", Type: events.UnitRegistered, Data: json.RawMessage(`{"name":"Phường Đo Tải","level":"COMMUNE","valid_from":"2025-07-01"}`)}, api.WriteOptions{}); err != nil {
		return httpFigures{}, err
	}
	if _, err := admin.Create(ctx, "parties", api.EventRequest{ID: "ubnd-bench", Type: events.PartyRegistered, Unit: "bench", Data: json.RawMessage(`{"name":"UBND phường Đo Tải","party_kind":"PEOPLES_COMMITTEE"}`)}, api.WriteOptions{}); err != nil {
		return httpFigures{}, err
	}
	tok, err := admin.CreateToken(ctx, api.TokenRequest{Name: "bench recorder", Role: events.RoleRecorder, Unit: "bench"})
	if err != nil {
		return httpFigures{}, err
	}
	var (
		next    atomic.Int64
		mu      sync.Mutex
		lat     = make([]time.Duration, 0, n)
		cpLat   []time.Duration
		cpWG    sync.WaitGroup
		wg      sync.WaitGroup
		firstEr error
	)
	planned := json.RawMessage(`{"title":"Giám sát tiếp công dân","topic":"Tiếp công dân","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"REGULAR","subject_party_ids":["ubnd-bench"],"planned_start":"2024-03-01"}`)
	note, _ := json.Marshal(map[string]any{"request_id": "r", "party_id": "ubnd-bench", "description": benchPad, "requested_on": "2024-03-02", "due_on": "2024-03-12"})
	start := time.Now()
	for cl := 0; cl < cfg.clients; cl++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := api.NewClient(m.HTTPServer.URL(), tok.Token)
			id := ""
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				var res events.Result
				var err error
				if id == "" || i%50 == 0 {
					id = fmt.Sprintf("gs-%d-%d", cl, i)
					res, err = c.Create(ctx, "supervisions", api.EventRequest{ID: id, Type: events.SupervisionPlanned, Unit: "bench", Data: planned}, api.WriteOptions{IdempotencyKey: "k" + strconv.Itoa(i)})
				} else {
					// Document requests with fresh IDs: the lifecycle allows
					// them while the supervision is under way.
					d := strings.Replace(string(note), `"request_id":"r"`, `"request_id":"r`+strconv.Itoa(i)+`"`, 1)
					res, err = c.Append(ctx, "supervisions", id, api.EventRequest{Type: events.SupervisionDocumentRequested, Data: json.RawMessage(d)}, api.WriteOptions{IdempotencyKey: "k" + strconv.Itoa(i)})
				}
				d := time.Since(t0)
				if err != nil {
					mu.Lock()
					if firstEr == nil {
						firstEr = err
					}
					mu.Unlock()
					return
				}
				acked := time.Now()
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
				if i%20 == 0 {
					cpWG.Add(1)
					go func() {
						defer cpWG.Done()
						wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
						defer cancel()
						if m.Ledger.WaitCheckpoint(wctx, res.Position) == nil {
							mu.Lock()
							cpLat = append(cpLat, time.Since(acked))
							mu.Unlock()
						}
					}()
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	cpWG.Wait()
	if firstEr != nil {
		return httpFigures{}, firstEr
	}
	f := httpFigures{rate: float64(len(lat)) / el.Seconds()}
	f.p50, f.p99 = pct(lat, 50), pct(lat, 99)
	f.cp50, f.cp99, f.cpMax = pct(cpLat, 50), pct(cpLat, 99), pct(cpLat, 100)
	return f, nil
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func adminTokenOf(dir string) string {
	b, _ := os.ReadFile(filepath.Join(dir, "admin.token"))
	return strings.TrimSpace(string(b))
}

// verifyPhase writes a large log (or reuses one), then measures verify on
// the stopped data folder and the resident memory of serve holding it.
func (c *BenchCommand) verifyPhase(ctx context.Context, w io.Writer, cfg benchConfig) error {
	dir := cfg.reuse
	if dir == "" {
		dir = cfg.keep
		if dir == "" {
			tmp, err := os.MkdirTemp("", "ledger-bench-verify-*")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			dir = tmp
		}
		t0 := time.Now()
		if err := benchFill(ctx, dir, cfg.verifyEvents, c.Stderr); err != nil {
			return fmt.Errorf("write the verify log: %w", err)
		}
		fmt.Fprintf(w, "wrote %d events for verify in %s (--sync lazy, Store.Append through a running ledger)\n", cfg.verifyEvents, time.Since(t0).Round(time.Second))
	}
	vkey, err := readKey("", filepath.Join(dir, "checkpoint.pub"))
	if err != nil {
		return err
	}
	var rep *events.VerifyReport
	var el time.Duration
	for _, via := range []string{"files", "server"} {
		var src events.LogSource = dataFiles(dir)
		closeFn := func() {}
		if via == "server" {
			var st events.Store
			if closeFn, st, err = openDataDirReadOnly(ctx, dir); err != nil {
				return err
			}
			src = st
		}
		t0 := time.Now()
		rep, err = events.Verify(ctx, src, events.VerifyOptions{VerifierKey: vkey})
		el = time.Since(t0)
		closeFn()
		if err != nil {
			return err
		}
		if !rep.OK() {
			return fmt.Errorf("the benchmark log does not verify: %+v", rep.Problems[0])
		}
		if via == "server" {
			fmt.Fprintf(w, "  %-38s %9.0f events/s  (%s)\n", "ledger verify --data --via server", float64(rep.Events)/el.Seconds(), el.Round(time.Millisecond))
			break
		}
		fmt.Fprintf(w, "  %-38s %9.0f events/s  (%d events, %d checkpoints, %s; target ≥ 200,000/s)\n", "ledger verify --data", float64(rep.Events)/el.Seconds(), rep.Events, rep.Checkpoints, el.Round(time.Millisecond))
	}
	rss, ready, err := serveRSS(ctx, dir)
	if err != nil {
		return fmt.Errorf("measure serve: %w", err)
	}
	fmt.Fprintf(w, "  %-38s %9.0f MiB      (%d events; ready in %s; target ≤ 1 GiB)\n", "serve resident memory", float64(rss)/(1<<20), rep.Events, ready.Round(time.Millisecond))
	return nil
}

// benchFill writes n events into a new ledger data folder through
// Store.Append while the ledger follows the log and signs checkpoints.
func benchFill(ctx context.Context, dir string, n int, progress io.Writer) error {
	sc := DefaultServeConfig()
	sc.Data, sc.HTTP, sc.Sync, sc.LogLevel = dir, "127.0.0.1:0", "lazy", "error"
	m := NewMain(sc, io.Discard)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	prog := NewProgress(progress, "writing the verify log", uint64(n))
	const perStream = 10
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 256)
	for g := 0; g < 256; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				s := int(next.Add(1)) - 1
				if s*perStream >= n {
					return
				}
				var prev string
				for v := 0; v < perStream && s*perStream+v < n; v++ {
					raw, id := benchEnvelope(s, uint64(v), prev, s*perStream+v)
					a, err := m.Store.Append(ctx, fmt.Sprintf("supervision/s%d", s), uint64(v), events.Pending{ID: id, Key: "key-" + id, Raw: raw})
					if err != nil {
						errc <- err
						return
					}
					prev = a.Hash().String()
				}
				if g == 0 {
					prog.Update(uint64(s * perStream))
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		m.Close()
		return err
	}
	head, _ := m.Store.Head(ctx)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	err := m.Ledger.WaitCheckpoint(wctx, head)
	prog.Done()
	return errors.Join(err, m.Close())
}

// serveProcess is `ledger serve` running in a child process (this binary).
type serveProcess struct {
	cmd    *exec.Cmd
	URL    string
	exited chan error
}

// startServe starts `ledger serve --data dir` with args in a child
// process, its standard error to stderr (nil: discarded), and waits until
// /readyz answers 200 (polled every 25 ms, at most 10 minutes). It returns the time from
// the start to ready: a start as an operator sees it, memory faulted in
// afresh, unlike a server started inside the bench's own process.
func startServe(ctx context.Context, dir string, stderr io.Writer, args ...string) (*serveProcess, time.Duration, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, 0, err
	}
	port, err := freeLocalPort()
	if err != nil {
		return nil, 0, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.CommandContext(ctx, exe, append([]string{"serve", "--data", dir, "--http", addr, "--log-level", "error"}, args...)...)
	cmd.Stderr = stderr
	if strings.HasSuffix(exe, ".test") {
		cmd.Env = append(os.Environ(), "LEDGER_TEST_MAIN=1")
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &serveProcess{cmd: cmd, URL: "http://" + addr, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	c := api.NewClient(p.URL, "")
	for deadline := start.Add(10 * time.Minute); c.Ready(ctx) != nil; {
		select {
		case err := <-p.exited:
			return nil, 0, fmt.Errorf("serve exited before it was ready: %v", err)
		case <-time.After(25 * time.Millisecond):
		}
		if err := ctx.Err(); err != nil {
			p.Stop()
			return nil, 0, err
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, 0, fmt.Errorf("serve was not ready within 10 minutes")
		}
	}
	return p, time.Since(start), nil
}

// Stop stops the server with SIGINT, and kills it if it has not exited
// within 2 minutes.
func (p *serveProcess) Stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.exited:
	case <-time.After(2 * time.Minute):
		p.cmd.Process.Kill()
		<-p.exited
	}
}

// serveRSS starts `ledger serve` on dir in a child process and reads its
// resident memory once it is ready.
func serveRSS(ctx context.Context, dir string) (uint64, time.Duration, error) {
	p, ready, err := startServe(ctx, dir, nil)
	if err != nil {
		return 0, 0, err
	}
	defer p.Stop()
	// Let the runtime settle after the replay, as a long-running server would.
	time.Sleep(2 * time.Second)
	rss, err := procMemory(p.cmd.Process.Pid, "VmRSS")
	return rss, ready, err
}

// procMemory reads a memory figure of process pid from /proc (VmRSS, its
// resident memory; VmHWM, the most it has been), in bytes.
func procMemory(pid int, field string) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// freeLocalPort returns a loopback TCP port that was free a moment ago.
func freeLocalPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
