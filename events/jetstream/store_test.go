package jetstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/eventstest"
)

// testLogger shows warnings and errors only, so that test output stays quiet.
var testLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// node is an embedded server, a connection to it and a store on it.
type node struct {
	dir   string
	srv   *server.Server
	nc    *nats.Conn
	store *Store
	once  sync.Once
}

// MustStartNode starts a server on dir (SyncAlways, no listener), connects
// and opens a store with cfg; the test's cleanup stops them.
func MustStartNode(tb testing.TB, dir string, cfg Config) *node {
	tb.Helper()
	srv, err := StartServer(ServerConfig{StoreDir: dir, SyncAlways: true, Logger: testLogger})
	if err != nil {
		tb.Fatal(err)
	}
	nc, err := ConnectInProcess(srv, "test")
	if err != nil {
		srv.Shutdown()
		tb.Fatal(err)
	}
	n := &node{dir: dir, srv: srv, nc: nc}
	tb.Cleanup(n.stop)
	if cfg.Logger == nil {
		cfg.Logger = testLogger
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n.store, err = Open(ctx, nc, cfg); err != nil {
		tb.Fatal(err)
	}
	return n
}

// stop closes the store and the connection and shuts the server down.
func (n *node) stop() {
	n.once.Do(func() {
		if n.store != nil {
			n.store.Close()
		}
		n.nc.Close()
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	})
}

func TestStore(t *testing.T) { testStore(t, Config{}, nil) }

// TestStoreGroupCommit runs the conformance suite with group commit, sending
// a batch as soon as two appends wait, so that the suite's concurrent
// cases go through atomic batches.
func TestStoreGroupCommit(t *testing.T) {
	testStore(t, Config{GroupCommit: true}, func(t *testing.T, s *Store) {
		if s.group == nil {
			t.Fatal("group commit is off")
		}
		s.group.min = 2
	})
}

// testStore runs the conformance suite on stores opened with cfg; setup,
// if set, adjusts each store once it is open.
func testStore(t *testing.T, cfg Config, setup func(*testing.T, *Store)) {
	nodes := map[events.Store]*node{}
	start := func(t *testing.T, dir string) events.Store {
		n := MustStartNode(t, dir, cfg)
		if setup != nil {
			setup(t, n.store)
		}
		nodes[n.store] = n
		return n.store
	}
	eventstest.TestStore(t, eventstest.Factory{
		Open: func(t *testing.T) events.Store { return start(t, t.TempDir()) },
		Reopen: func(t *testing.T, s events.Store) events.Store {
			old := nodes[s]
			old.stop()
			return start(t, old.dir)
		},
	})
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func event(stream string, version uint64, key string) events.Pending {
	id := fmt.Sprintf("ev-%s-%d", strings.ReplaceAll(stream, "/", "-"), version)
	return events.Pending{ID: id, Key: key, Raw: fmt.Appendf(nil, `{"id":%q,"version":%d}`, id, version)}
}

func TestOpenRefusesUnsafeStreams(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	ctx := testCtx(t)
	js, err := natsjs.New(n.nc)
	if err != nil {
		t.Fatal(err)
	}
	safe := func(name, subject string) natsjs.StreamConfig {
		return natsjs.StreamConfig{
			Name: name, Subjects: []string{subject}, Storage: natsjs.FileStorage,
			DenyDelete: true, DenyPurge: true, Duplicates: 10 * time.Minute,
		}
	}
	cases := []struct {
		name   string
		events func(natsjs.StreamConfig) natsjs.StreamConfig
		cps    func(natsjs.StreamConfig) natsjs.StreamConfig // nil: no checkpoint stream made in advance
		want   string                                        // in the error; "" means Open succeeds
	}{
		{"Safe", func(c natsjs.StreamConfig) natsjs.StreamConfig { return c }, nil, ""},
		{"MaxAge", func(c natsjs.StreamConfig) natsjs.StreamConfig { c.MaxAge = time.Hour; return c }, nil, "MaxAge is 1h0m0s"},
		{"NoDenyDelete", func(c natsjs.StreamConfig) natsjs.StreamConfig { c.DenyDelete = false; return c }, nil, "DenyDelete is off"},
		{"NoDenyPurge", func(c natsjs.StreamConfig) natsjs.StreamConfig { c.DenyPurge = false; return c }, nil, "DenyPurge is off"},
		{"MemoryStorage", func(c natsjs.StreamConfig) natsjs.StreamConfig { c.Storage = natsjs.MemoryStorage; return c }, nil, "storage is Memory, not file"},
		{"MaxMsgsPerSubject", func(c natsjs.StreamConfig) natsjs.StreamConfig { c.MaxMsgsPerSubject = 1; return c }, nil, "MaxMsgsPerSubject is 1"},
		{"MaxBytes", func(c natsjs.StreamConfig) natsjs.StreamConfig { c.MaxBytes = 1 << 30; return c }, nil, "MaxBytes is 1073741824"},
		{"AllowRollup", func(c natsjs.StreamConfig) natsjs.StreamConfig {
			c.AllowRollup, c.DenyPurge = true, false // the server requires both
			return c
		}, nil, "AllowRollup is on"},
		{"AllowMsgTTL", func(c natsjs.StreamConfig) natsjs.StreamConfig { c.AllowMsgTTL = true; return c }, nil, "AllowMsgTTL is on"},
		{"WorkQueue", func(c natsjs.StreamConfig) natsjs.StreamConfig { c.Retention = natsjs.WorkQueuePolicy; return c }, nil, "retention is WorkQueue"},
		{"WrongSubjects", func(c natsjs.StreamConfig) natsjs.StreamConfig {
			c.Subjects = []string{strings.TrimSuffix(c.Subjects[0], "*.*") + ">"}
			return c
		}, nil, "subjects are"},
		{"CheckpointsPurgeable", func(c natsjs.StreamConfig) natsjs.StreamConfig { return c },
			func(c natsjs.StreamConfig) natsjs.StreamConfig { c.DenyPurge = false; return c }, "DenyPurge is off"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{
				StreamName:        fmt.Sprintf("EV%d", i),
				SubjectPrefix:     fmt.Sprintf("t%d.ev", i),
				CheckpointStream:  fmt.Sprintf("CP%d", i),
				CheckpointSubject: fmt.Sprintf("t%d.cp", i),
				Logger:            testLogger,
			}
			if _, err := js.CreateStream(ctx, tc.events(safe(cfg.StreamName, cfg.SubjectPrefix+".*.*"))); err != nil {
				t.Fatal(err)
			}
			if tc.cps != nil {
				if _, err := js.CreateStream(ctx, tc.cps(safe(cfg.CheckpointStream, cfg.CheckpointSubject+".*"))); err != nil {
					t.Fatal(err)
				}
			}
			s, err := Open(ctx, n.nc, cfg)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				s.Close()
				return
			}
			if err == nil {
				s.Close()
				t.Fatalf("Open accepted the stream; want an error containing %q", tc.want)
			}
			t.Logf("Open: %v", err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Open: got %q, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestIsWrongLastSequence(t *testing.T) {
	api := func(code natsjs.ErrorCode) *natsjs.APIError {
		return &natsjs.APIError{Code: 400, ErrorCode: code, Description: "wrong last sequence: 7"}
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"10071", api(10071), true},
		{"10164", api(10164), true},
		{"Wrapped10071", fmt.Errorf("nats: %w", api(10071)), true},
		{"Wrapped10164", fmt.Errorf("jetstream: append x: %w", api(10164)), true},
		{"OtherCode", api(natsjs.JSErrCodeMessageNotFound), false},
		{"SameTextNoCode", errors.New("nats: API error: code=400 err_code=10071 description=wrong last sequence: 7"), false},
		{"Nil", nil, false},
	} {
		if got := isWrongLastSequence(tc.err); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A retry of an append whose acknowledgement was lost, concurrent with the
// first attempt or after it, from the same store or from a new one, writes
// the event once.
func TestLostAckRetry(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	ctx := testCtx(t)
	const streams, tries = 20, 4
	var wg sync.WaitGroup
	results := make([][]events.Appended, streams)
	for i := range streams {
		stream := fmt.Sprintf("recommendation/lost%d", i)
		e := event(stream, 1, "")
		results[i] = make([]events.Appended, tries)
		for j := range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, err := n.store.Append(ctx, stream, 0, e)
				if err != nil {
					t.Errorf("%s try %d: %v", stream, j, err)
				}
				results[i][j] = a
			}()
		}
	}
	wg.Wait()
	for i, rs := range results {
		fresh := 0
		for _, a := range rs {
			if !a.Duplicate {
				fresh++
			}
			if a.Position != rs[0].Position || a.Version != 1 {
				t.Errorf("stream %d: results disagree: %+v vs %+v", i, a, rs[0])
			}
		}
		if fresh != 1 {
			t.Errorf("stream %d: %d appends reported as new, want 1", i, fresh)
		}
	}
	if h, _ := n.store.Head(ctx); h != streams {
		t.Fatalf("head %d, want %d: a retry wrote", h, streams)
	}

	// The first attempt reached the server but its acknowledgement did not
	// reach us: publish it behind the store's back, then retry through a
	// store that has never seen the stream.
	stream := "critique/lost"
	e := event(stream, 1, "key-lost")
	msg := nats.NewMsg(n.store.cfg.SubjectPrefix + ".critique.lost")
	msg.Header.Set(natsjs.MsgIDHeader, e.DedupKey())
	msg.Header.Set(natsjs.ExpectedLastSubjSeqHeader, "0")
	msg.Header.Set(hdrID, e.ID)
	msg.Header.Set(hdrKey, e.Key)
	msg.Header.Set(hdrVersion, "1")
	msg.Data = e.Raw
	ack, err := n.store.js.PublishMsg(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Open(ctx, n.nc, Config{Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	a, err := other.Append(ctx, stream, 0, e)
	if err != nil || !a.Duplicate || a.Position != ack.Sequence || string(a.Raw) != string(e.Raw) || a.Key != e.Key {
		t.Fatalf("retry after a lost ack: got %+v, %v; want a duplicate of position %d", a, err, ack.Sequence)
	}
	if h, _ := other.Head(ctx); h != streams+1 {
		t.Fatalf("head %d, want %d", h, streams+1)
	}
}

func TestVersionConflictAfterForeignAppend(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	ctx := testCtx(t)
	stream := "petition/p1"
	if _, err := n.store.Append(ctx, stream, 0, event(stream, 1, "")); err != nil {
		t.Fatal(err)
	}
	// Another store appends version 2; ours still caches version 1.
	other, err := Open(ctx, n.nc, Config{Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Append(ctx, stream, 1, event(stream, 2, "")); err != nil {
		t.Fatal(err)
	}
	_, err = n.store.Append(ctx, stream, 1, event(stream, 2, "mine"))
	var vc *events.VersionConflict
	if !errors.As(err, &vc) || vc.Current != 2 || vc.Expected != 1 {
		t.Fatalf("stale cache: got %v, want a VersionConflict at 2", err)
	}
	// The refusal refreshed the cache: the next append goes through.
	if a, err := n.store.Append(ctx, stream, 2, event(stream, 3, "")); err != nil || a.Version != 3 {
		t.Fatalf("append after the conflict: got %+v, %v", a, err)
	}
}

func TestFollowLatency(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	got := make(chan time.Time, 100)
	done := make(chan error, 1)
	go func() {
		done <- n.store.Follow(ctx, 1, func(events.Record) error { got <- time.Now(); return nil })
	}()
	const count = 50
	var lat []time.Duration
	for v := range uint64(count) {
		start := time.Now()
		a, err := n.store.Append(ctx, "unit/follow", v, event("unit/follow", v+1, ""))
		if err != nil {
			t.Fatal(err)
		}
		select {
		case at := <-got:
			lat = append(lat, at.Sub(start))
		case <-time.After(10 * time.Second):
			t.Fatalf("position %d not delivered within 10 s", a.Position)
		}
	}
	slices.Sort(lat)
	p50, p99 := lat[count/2], lat[count*99/100]
	t.Logf("Follow latency from the start of Append (SyncAlways): p50 %v, p99 %v, max %v", p50, p99, lat[count-1])
	if p50 > 10*time.Millisecond {
		t.Errorf("median Follow latency %v, want well under 10 ms", p50)
	}
	n.store.Close()
	select {
	case err := <-done:
		if events.ErrorCode(err) != events.EUnavailable {
			t.Errorf("Follow after Close: got %v, want code unavailable", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return within 10 s of Close")
	}
}

// A missing position makes the readers fail instead of skipping it. Once
// set, DenyDelete cannot be lifted through the API, so the gaps are made
// before: the stream is created without it, two messages are deleted, and
// then the stream is hardened so that Open accepts it.
func TestReadersReportGaps(t *testing.T) {
	dir := t.TempDir()
	srv, err := StartServer(ServerConfig{StoreDir: dir, Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	nc, err := ConnectInProcess(srv, "setup")
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	js, _ := natsjs.New(nc)
	cfg := natsjs.StreamConfig{Name: "LEDGER", Subjects: []string{"ledger.ev.*.*"}, Storage: natsjs.FileStorage, Duplicates: 10 * time.Minute}
	st, err := js.CreateStream(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for v := uint64(1); v <= 6; v++ {
		e := event("plan/gap", v, "")
		msg := nats.NewMsg("ledger.ev.plan.gap")
		msg.Header.Set(natsjs.MsgIDHeader, e.DedupKey())
		msg.Header.Set(hdrID, e.ID)
		msg.Header.Set(hdrVersion, fmt.Sprint(v))
		msg.Data = e.Raw
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	for _, seq := range []uint64{3, 6} {
		if err := st.DeleteMsg(ctx, seq); err != nil {
			t.Fatal(err)
		}
	}
	cfg.DenyDelete, cfg.DenyPurge = true, true
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	srv.Shutdown()
	srv.WaitForShutdown()

	var logs bytes.Buffer
	n := MustStartNode(t, dir, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if !strings.Contains(logs.String(), "the log has missing positions") {
		t.Errorf("Open did not log the missing positions; its log:\n%s", logs.String())
	}
	if _, err := n.store.Get(ctx, 3); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("Get(3): got %v, want ErrNotFound", err)
	}
	var seen []uint64
	err = n.store.ReadLog(ctx, 1, func(r events.Record) error { seen = append(seen, r.Position); return nil })
	// It may fail up front (the server counts fewer messages than the
	// positions) or at the gap, but never deliver past it.
	if err == nil || !strings.Contains(err.Error(), "missing") || len(seen) > 2 {
		t.Errorf("ReadLog(1): got %v after %v, want a gap error before position 4", err, seen)
	}
	err = n.store.ReadLog(ctx, 4, func(events.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("ReadLog(4), the last position missing: got %v, want a gap error", err)
	}
	err = n.store.Follow(ctx, 2, func(events.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Follow(2): got %v, want a gap error", err)
	}
	if _, err := n.store.Load(ctx, "plan/gap"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Load: got %v, want a missing-version error", err)
	}
}

func TestStartServerListen(t *testing.T) {
	srv, err := StartServer(ServerConfig{StoreDir: t.TempDir(), Listen: "127.0.0.1:0", SyncInterval: time.Second, Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	addr, ok := srv.Addr().(interface{ String() string })
	if !ok || strings.HasSuffix(addr.String(), ":4222") {
		t.Fatalf("listening on %v, want a random port", srv.Addr())
	}
	nc, err := nats.Connect("nats://" + addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := testCtx(t)
	s, err := Open(ctx, nc, Config{Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if a, err := s.Append(ctx, "unit/tcp", 0, event("unit/tcp", 1, "")); err != nil || a.Position != 1 {
		t.Fatalf("Append over TCP: got %+v, %v", a, err)
	}
}

func TestStartServerNeedsStoreDir(t *testing.T) {
	if _, err := StartServer(ServerConfig{}); err == nil {
		t.Fatal("StartServer without a store directory: got no error")
	}
}

func TestStreamSeq(t *testing.T) {
	for _, tc := range []struct {
		reply string
		want  uint64
		ok    bool
	}{
		{"$JS.ACK.LEDGER.cons_1.1.42.7.1764170000000000000.0", 42, true},
		{"$JS.ACK._.ACCHASH.LEDGER.cons_1.1.42.7.1764170000000000000.0.Xyz", 42, true},
		{"$JS.ACK._.ACCHASH.LEDGER.cons_1.1.42.7.1764170000000000000.0", 42, true},
		{"$JS.ACK.LEDGER.cons_1.1.x.7.1764170000000000000.0", 0, false},
		{"$JS.ACK.LEDGER.cons_1.1.42.7.17", 0, false},
		{"_INBOX.abc.def", 0, false},
		{"", 0, false},
	} {
		got, ok := streamSeq(tc.reply)
		if got != tc.want || ok != tc.ok {
			t.Errorf("streamSeq(%q): got %d, %v; want %d, %v", tc.reply, got, ok, tc.want, tc.ok)
		}
	}
}

// TestLogAsyncErrors: the client's asynchronous errors (here a slow
// consumer: a channel subscription with room for one message gets ten)
// reach the logger given, with the subscription's subject, instead of
// nats.go's default print to standard error; a slow consumer, which the
// ledger's readers recover from, at Info.
func TestLogAsyncErrors(t *testing.T) {
	srv, err := StartServer(ServerConfig{StoreDir: t.TempDir(), Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	logged := make(chan string, 16)
	logger := slog.New(slog.NewTextHandler(lineWriter(logged), nil))
	nc, err := ConnectInProcess(srv, "test", LogAsyncErrors(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ch := make(chan *nats.Msg, 1)
	if _, err := nc.ChanSubscribe("slow.reader", ch); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := nc.Publish("slow.reader", []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	select {
	case line := <-logged:
		for _, want := range []string{"level=INFO", "component=nats-client", "slow consumer", "subject=slow.reader", "resumes from its last position"} {
			if !strings.Contains(line, want) {
				t.Errorf("logged %q, want %q in it", line, want)
			}
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the slow consumer was not logged within 30 s")
	}
}

// lineWriter sends each write (one slog record) to ch.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	select {
	case w <- string(p):
	default:
	}
	return len(p), nil
}

// TestAppendAroundAStuckDedupKey: when the server keeps answering that an
// append's dedup key is "in process" (code 10158; nats-server keeps a
// lost proposal's key for the whole duplicate window), Append settles it
// from the stream after stuckAfter: written under another message ID if
// the stream does not hold it, reported as a duplicate if it does. The
// event is stored once either way, with its own dedup key.
func TestAppendAroundAStuckDedupKey(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	s := n.store
	s.stuckAfter = 200 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inProcess := &natsjs.APIError{Code: 409, ErrorCode: errCodeDuplicateInProcess, Description: "duplicate message id is in process"}
	pending := func(id string) events.Pending {
		return events.Pending{ID: id, Key: "key-" + id, Raw: fmt.Appendf(nil, `{"id":%q}`, id)}
	}
	var mu sync.Mutex
	stuck := map[string]int{} // dedup key → attempts refused
	storeFirst := map[string]bool{}
	s.sendHook = func(msg *nats.Msg) error {
		mu.Lock()
		defer mu.Unlock()
		id := msg.Header.Get(natsjs.MsgIDHeader)
		if _, ok := stuck[id]; !ok {
			return nil
		}
		if stuck[id] == 0 && storeFirst[id] {
			// The first attempt was stored, and its answer lost.
			if _, err := s.js.PublishMsg(ctx, msg); err != nil {
				return err
			}
		}
		stuck[id]++
		return inProcess
	}
	for _, c := range []struct {
		name   string
		stored bool // the first attempt was stored after all
	}{{"NotStored", false}, {"StoredAfterAll", true}} {
		t.Run(c.name, func(t *testing.T) {
			p := pending("ev-" + c.name)
			stream := "recommendation/stuck-" + c.name
			mu.Lock()
			stuck[p.DedupKey()], storeFirst[p.DedupKey()] = 0, c.stored
			mu.Unlock()
			a, err := s.Append(ctx, stream, 0, p)
			if err != nil {
				t.Fatalf("append with its dedup key stuck in process: %v", err)
			}
			mu.Lock()
			refused := stuck[p.DedupKey()]
			mu.Unlock()
			if refused < 2 || a.Duplicate != c.stored || a.Version != 1 || a.ID != p.ID {
				t.Errorf("got %+v after %d refused attempts; want version 1 of %s, duplicate %v, after 2 or more", a, refused, p.ID, c.stored)
			}
			recs, err := s.Load(ctx, stream)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 || recs[0].Position != a.Position || dedupKey(recs[0]) != p.DedupKey() {
				t.Fatalf("stored %+v, want the one event at position %d with dedup key %s", recs, a.Position, p.DedupKey())
			}
			// A retry of the same append, still stuck, finds it.
			again, err := s.Append(ctx, stream, 0, p)
			if err != nil || !again.Duplicate || again.Position != a.Position {
				t.Errorf("retried: %+v %v, want a duplicate of position %d", again, err, a.Position)
			}
		})
	}
}

// TestCheckpointsStoredInOrder: a replica whose follower lags signs a
// smaller tree after another replica signed a larger one; that note is not
// stored, so the last stored checkpoint, which a start checks the log
// against, is the largest. Another note for the size of the last is a
// fork. (Found by an audit: the smaller one was stored last, and a start
// accepted a log that lost its last event.)
func TestCheckpointsStoredInOrder(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	ctx := testCtx(t)
	other, err := Open(ctx, n.nc, Config{Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	note := func(size int, root string) []byte {
		return []byte(fmt.Sprintf("o\n%d\n%s\n\n— o sig%d\n", size, root, size))
	}
	for _, c := range []struct {
		s    *Store
		size uint64
		note []byte
	}{{n.store, 3, note(3, "r3")}, {other, 5, note(5, "r5")}, {n.store, 4, note(4, "r4")}, {n.store, 5, note(5, "r5")}} {
		if err := c.s.PutCheckpoint(ctx, c.size, c.note); err != nil {
			t.Fatalf("PutCheckpoint(%d): %v", c.size, err)
		}
	}
	var sizes []uint64
	if err := n.store.Checkpoints(ctx, func(size uint64, _ []byte) error { sizes = append(sizes, size); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[3 5]" {
		t.Errorf("stored %v, want [3 5] (4 came after 5)", sizes)
	}
	if size, _, err := n.store.LatestCheckpoint(ctx); err != nil || size != 5 {
		t.Errorf("LatestCheckpoint: %d %v, want 5", size, err)
	}
	var ie *events.IntegrityError
	if err := n.store.PutCheckpoint(ctx, 5, note(5, "another root")); !errors.As(err, &ie) {
		t.Errorf("a note with another root for size 5: %v, want an IntegrityError", err)
	}
}

// flakyInfo is a stream whose Info answers "not now" a number of times
// first, as a stream between leaders does just after a node restarts.
type flakyInfo struct {
	natsjs.Stream
	fails int
	err   error
	asked int
}

func (f *flakyInfo) Info(ctx context.Context, _ ...natsjs.StreamInfoOpt) (*natsjs.StreamInfo, error) {
	f.asked++
	if f.asked <= f.fails {
		return nil, f.err
	}
	return &natsjs.StreamInfo{State: natsjs.StreamState{LastSeq: 7}}, nil
}

// TestStreamInfoAsksAgain: a read of the log starts with the stream's
// info, which a transient answer (10008, seen in TestClusterFailover
// after the killed node came back) must not fail; other errors do at once.
func TestStreamInfoAsksAgain(t *testing.T) {
	notNow := &natsjs.APIError{Code: 503, ErrorCode: errCodeClusterNotAvailable, Description: "JetStream system temporarily unavailable"}
	f := &flakyInfo{fails: 3, err: notNow}
	info, err := streamInfo(t.Context(), f)
	if err != nil || info.State.LastSeq != 7 || f.asked != 4 {
		t.Errorf("after 3 transient answers: %v %v, asked %d times, want the info at the 4th", info, err, f.asked)
	}
	f = &flakyInfo{fails: 1, err: natsjs.ErrStreamNotFound}
	if _, err := streamInfo(t.Context(), f); !errors.Is(err, natsjs.ErrStreamNotFound) || f.asked != 1 {
		t.Errorf("a stream not found: %v, asked %d times, want the error at once", err, f.asked)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f = &flakyInfo{fails: 1000, err: notNow}
	if _, err := streamInfo(ctx, f); err == nil || f.asked != 1 {
		t.Errorf("with the context ended: %v, asked %d times, want the error at once", err, f.asked)
	}
}

// stallingIter stops delivering after `after` messages, as a consumer on a
// replica still catching up does: Next waits until the iterator is
// stopped.
type stallingIter struct {
	natsjs.MessagesContext
	after, n int
	stopped  chan struct{}
	once     sync.Once
}

func (s *stallingIter) Next(opts ...natsjs.NextOpt) (natsjs.Msg, error) {
	if s.n == s.after {
		<-s.stopped
		return nil, natsjs.ErrMsgIteratorClosed
	}
	s.n++
	return s.MessagesContext.Next(opts...)
}

func (s *stallingIter) Stop() {
	s.once.Do(func() { close(s.stopped) })
	s.MessagesContext.Stop()
}

// stallReaders makes the first `stalls` readers' iterators stall after
// `after` messages (all of them if stalls < 0), with a short watchdog, for
// the test; it returns how many stalled.
func stallReaders(t *testing.T, stalls, after int) *int {
	t.Helper()
	var mu sync.Mutex
	n := new(int)
	oldWrap, oldAfter, oldCheck, oldMax := wrapMessages, stallAfter, stallCheck, maxStalls
	stallAfter, stallCheck, maxStalls = 300*time.Millisecond, 50*time.Millisecond, 2
	wrapMessages = func(it natsjs.MessagesContext) natsjs.MessagesContext {
		mu.Lock()
		defer mu.Unlock()
		if stalls >= 0 && *n >= stalls {
			return it
		}
		*n++
		return &stallingIter{MessagesContext: it, after: after, stopped: make(chan struct{})}
	}
	t.Cleanup(func() { wrapMessages, stallAfter, stallCheck, maxStalls = oldWrap, oldAfter, oldCheck, oldMax })
	return n
}

// lostStopIter is an iterator whose Stop stops nothing, as nats.go's
// ordered consumer does when Stop comes while it re-creates its consumer
// (after a leader change): it goes on with the new one, unstopped (seen
// once in TestClusterFailover, whose ledger's Close then waited for good
// on its follower). With drop set its Next takes messages and hands none
// over (a stall).
type lostStopIter struct {
	natsjs.MessagesContext
	drop bool
}

func (l *lostStopIter) Stop() {}

func (l *lostStopIter) Next(opts ...natsjs.NextOpt) (natsjs.Msg, error) {
	for {
		m, err := l.MessagesContext.Next(opts...)
		if err != nil || !l.drop {
			return m, err
		}
	}
}

// TestReadEndsWhenStopIsLost: a follower waiting at the head ends when
// its context does, and the watchdog ends a stalled reader's wait, even
// if stopping the iterator does not end it (the reader's Next is given
// the context, not only stopped).
func TestReadEndsWhenStopIsLost(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	ctx := testCtx(t)
	for v := uint64(1); v <= 3; v++ {
		if _, err := n.store.Append(ctx, "plan/p", v-1, event("plan/p", v, "")); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	var made []natsjs.MessagesContext
	oldWrap, oldAfter, oldCheck := wrapMessages, stallAfter, stallCheck
	stallAfter, stallCheck = 300*time.Millisecond, 50*time.Millisecond
	drop := false
	wrapMessages = func(it natsjs.MessagesContext) natsjs.MessagesContext {
		mu.Lock()
		defer mu.Unlock()
		made = append(made, it)
		l := &lostStopIter{MessagesContext: it, drop: drop}
		drop = false // only the first reader of a stall stalls
		return l
	}
	t.Cleanup(func() {
		wrapMessages, stallAfter, stallCheck = oldWrap, oldAfter, oldCheck
		mu.Lock()
		defer mu.Unlock()
		for _, it := range made {
			it.Stop()
		}
	})
	ended := func(what string, done <-chan error) {
		t.Helper()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s: %v, want context.Canceled", what, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still waiting 10 s after its context ended", what)
		}
	}

	// At the head, idle: the server's heartbeats keep a Next without the
	// context waiting.
	fctx, cancel := context.WithCancel(ctx)
	caught := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- n.store.Follow(fctx, 1, func(r events.Record) error {
			if r.Position == 3 {
				close(caught)
			}
			return nil
		})
	}()
	select {
	case <-caught:
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not deliver the log's 3 records in 10 s")
	}
	time.Sleep(3 * stallAfter) // quiet at the head, as a follower is
	cancel()
	ended("Follow at the head", done)

	// A stalled reader: the watchdog ends its wait and a new reader reads
	// the log.
	mu.Lock()
	drop = true
	mu.Unlock()
	var got []uint64
	if err := n.store.ReadLog(ctx, 1, func(r events.Record) error { got = append(got, r.Position); return nil }); err != nil {
		t.Fatalf("ReadLog after a stall whose Stop was lost: %v", err)
	}
	if !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Fatalf("ReadLog after a stall whose Stop was lost: %v, want 1 2 3", got)
	}
}

// TestReadStartsAgainAfterAStall: a reader whose consumer stops delivering
// messages known to exist (while the server's heartbeats keep it alive)
// makes its consumer anew from the next position, and the log is read
// whole, once, in order: a full read, a stream's history (filtered), and
// Follow's catching up. A reader that stalls every time gives up with an
// error instead of waiting until its context ends.
func TestReadStartsAgainAfterAStall(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	ctx := testCtx(t)
	const streams, versions = 6, 250 // 1,500 events: more than a batch
	var wg sync.WaitGroup
	errs := make(chan error, streams)
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("plan/p%d", i)
			for v := uint64(1); v <= versions; v++ {
				if _, err := n.store.Append(ctx, name, v-1, event(name, v, "")); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	const total = streams * versions
	readAll := func() ([]uint64, error) {
		var got []uint64
		err := n.store.ReadLog(ctx, 1, func(r events.Record) error {
			got = append(got, r.Position)
			return nil
		})
		return got, err
	}
	dense := func(what string, got []uint64, from, want uint64) {
		t.Helper()
		if uint64(len(got)) != want {
			t.Fatalf("%s: %d records, want %d", what, len(got), want)
		}
		for i, p := range got {
			if p != from+uint64(i) {
				t.Fatalf("%s: record %d is position %d, want %d", what, i, p, from+uint64(i))
			}
		}
	}

	// One stall in the second batch, then one right at the start.
	stalled := stallReaders(t, 2, 1200)
	got, err := readAll()
	if err != nil {
		t.Fatal(err)
	}
	dense("ReadLog after a stall", got, 1, total)
	if *stalled != 2 {
		t.Errorf("%d readers stalled, want 2 (the first and the one after it)", *stalled)
	}

	// A stream's history, read with a subject filter.
	stalled = stallReaders(t, 1, 100)
	recs, err := n.store.Load(ctx, "plan/p3")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != versions || *stalled != 1 {
		t.Fatalf("Load after a stall: %d records (%d stalls), want %d", len(recs), *stalled, versions)
	}
	for i, r := range recs {
		if r.Version != uint64(i+1) || r.Stream != "plan/p3" {
			t.Fatalf("Load after a stall: record %d is %s version %d", i, r.Stream, r.Version)
		}
	}

	// Follow catches up across a stall, then waits for new records
	// without the watchdog taking the quiet for a stall.
	stalled = stallReaders(t, 1, 700)
	fctx, cancel := context.WithCancel(ctx)
	var followed []uint64
	done := make(chan error, 1)
	go func() {
		done <- n.store.Follow(fctx, 1, func(r events.Record) error {
			followed = append(followed, r.Position)
			if r.Position == total+1 {
				cancel()
			}
			return nil
		})
	}()
	time.Sleep(10 * stallAfter) // caught up, then quiet for longer than stallAfter
	if _, err := n.store.Append(ctx, "plan/new", 0, event("plan/new", 1, "")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow: %v", err)
	}
	dense("Follow after a stall", followed, 1, total+1)

	// Follow past the head: its consumer stalls on a record appended
	// after it caught up. The watchdog learns from the server that the
	// record exists and starts the reader again.
	stalled = stallReaders(t, 1, total+1)
	fctx, cancel = context.WithCancel(ctx)
	followed = nil
	caught := make(chan struct{})
	go func() {
		done <- n.store.Follow(fctx, 1, func(r events.Record) error {
			followed = append(followed, r.Position)
			switch r.Position {
			case total + 1:
				close(caught)
			case total + 2:
				cancel()
			}
			return nil
		})
	}()
	<-caught
	time.Sleep(3 * stallAfter) // quiet: no stall, nothing new exists
	if *stalled != 1 {
		t.Fatalf("%d readers made, want 1", *stalled)
	}
	if _, err := n.store.Append(ctx, "plan/new", 1, event("plan/new", 2, "")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow past the head: %v", err)
	}
	dense("Follow past the head after a stall", followed, 1, total+2)

	// Stalls in a row are counted, not stalls after progress: four
	// readers stall (twice maxStalls), each after 300 more records.
	stalled = stallReaders(t, 4, 300)
	got, err = readAll()
	if err != nil {
		t.Fatalf("a reader that stalls after progress, 4 times: %v", err)
	}
	dense("ReadLog after 4 stalls", got, 1, total+2)
	if *stalled != 4 {
		t.Errorf("%d readers stalled, want 4", *stalled)
	}

	// Stalling every time: after maxStalls new consumers, the store is
	// unavailable (503, not 500).
	stallReaders(t, -1, 0)
	start := time.Now()
	if _, err := readAll(); !errors.Is(err, events.ErrUnavailable) || !strings.Contains(err.Error(), "no message came") {
		t.Fatalf("a reader that always stalls: %v", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("a reader that always stalls gave up after %s", el)
	}
}
