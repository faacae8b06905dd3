package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/jetstream"
)

// The fault tests of issue 4: an external NATS server killed with SIGKILL
// and restarted, connections cut, the store's storage full, and a
// projection runner far behind the log. Each ends with the checks of the
// crash test (every acknowledged write present exactly once at its
// acknowledged position, retries with the same keys add nothing, verify
// passes) or, for the runner, a bound on the records in flight.

// natsServerEnv makes the test binary run one standalone NATS server and
// nothing else, as an external nats-server would run: its value is a
// natsServerConfig in JSON. The server stops when standard input closes
// (the test ended, or the test process died), or at SIGKILL.
const natsServerEnv = "LEDGER_TEST_NATS_SERVER"

type natsServerConfig struct {
	StoreDir string
	Port     int
}

func init() {
	v := os.Getenv(natsServerEnv)
	if v == "" {
		return
	}
	var cfg natsServerConfig
	if err := json.Unmarshal([]byte(v), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "nats server:", err)
		os.Exit(2)
	}
	// As README asks of an external server: flush before acknowledging.
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: cfg.Port, JetStream: true, StoreDir: cfg.StoreDir,
		SyncAlways: true, NoSigs: true, ServerName: "external"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "nats server:", err)
		os.Exit(2)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		fmt.Fprintln(os.Stderr, "nats server: not ready within 10 s")
		os.Exit(2)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	srv.Shutdown()
	srv.WaitForShutdown()
	os.Exit(0)
}

// natsProcess is a NATS server in a child process (see natsServerEnv).
type natsProcess struct {
	tb     testing.TB
	cfg    []byte
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *syncBuffer
	exited chan struct{}
}

// startNATSProcess starts a NATS server with JetStream on port, storing in
// dir, in a child process, and waits (up to 30 s) until it accepts clients.
// The server that runs when the test ends (see restart) is stopped then,
// after the cleanups registered later, such as a serve using it.
func startNATSProcess(tb testing.TB, dir string, port int) *natsProcess {
	tb.Helper()
	b, _ := json.Marshal(natsServerConfig{StoreDir: dir, Port: port})
	p := &natsProcess{tb: tb, cfg: b}
	tb.Cleanup(func() {
		if p.cmd == nil {
			return
		}
		p.stdin.Close()
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
	p.start()
	return p
}

func (p *natsProcess) start() {
	p.tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), natsServerEnv+"="+string(p.cfg))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		p.tb.Fatal(err)
	}
	out, exited := &syncBuffer{}, make(chan struct{})
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		p.tb.Fatal(err)
	}
	go func() { cmd.Wait(); close(exited) }()
	p.cmd, p.stdin, p.out, p.exited = cmd, stdin, out, exited
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "ready") {
		select {
		case <-exited:
			p.tb.Fatalf("the NATS server exited before it was ready:\n%s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.tb.Fatalf("the NATS server was not ready within 30 s:\n%s", out.String())
		}
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *natsProcess) kill() {
	p.cmd.Process.Kill()
	<-p.exited
	p.cmd = nil
}

// faultWrite is one write of a faultLoad: a party created with its own
// idempotency key.
type faultWrite struct {
	key, id string
	acked   bool
	res     events.Result
}

// faultLoad creates parties through the API from several clients until
// stopped. A write refused with a code that means "not now" (unavailable,
// insufficient_storage) is sent again with the same idempotency key after
// a short pause, as a careful client does; anything else fails the test.
type faultLoad struct {
	tb     testing.TB
	mu     sync.Mutex
	writes []*faultWrite
	times  []time.Time // acknowledgements
	acks   atomic.Int64
	// refused counts the answers with a retryable code, by code.
	refused map[string]int
	stop    chan struct{}
	wg      sync.WaitGroup
}

func startFaultLoad(ctx context.Context, tb testing.TB, url, token string, writers int) *faultLoad {
	l := &faultLoad{tb: tb, refused: map[string]int{}, stop: make(chan struct{})}
	for w := range writers {
		l.wg.Go(func() {
			c := api.NewClient(url, token)
			c.HTTPClient.Timeout = 60 * time.Second
			for i := 0; ; i++ {
				fw := &faultWrite{key: fmt.Sprintf("fault-%d-%d", w, i), id: fmt.Sprintf("f-%d-%d", w, i)}
				l.mu.Lock()
				l.writes = append(l.writes, fw)
				l.mu.Unlock()
				for {
					select {
					case <-l.stop:
						return
					default:
					}
					res, err := c.Create(ctx, "parties", partyRequest(fw.id), api.WriteOptions{IdempotencyKey: fw.key})
					if err == nil {
						l.mu.Lock()
						fw.acked, fw.res = true, res
						l.times = append(l.times, time.Now())
						l.mu.Unlock()
						l.acks.Add(1)
						break
					}
					code := events.ErrorCode(err)
					if code != events.EUnavailable && code != events.EInsufficientStorage || ctx.Err() != nil {
						tb.Errorf("write %s: %v", fw.id, err)
						return
					}
					l.mu.Lock()
					l.refused[code]++
					l.mu.Unlock()
					select {
					case <-l.stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
				}
			}
		})
	}
	return l
}

// waitAcks waits until n writes were acknowledged, at most timeout.
func (l *faultLoad) waitAcks(n int64, timeout time.Duration, what string) {
	l.tb.Helper()
	deadline := time.Now().Add(timeout)
	for l.acks.Load() < n {
		if time.Now().After(deadline) || l.tb.Failed() {
			l.tb.Fatalf("%s: %d writes acknowledged within %s, want %d", what, l.acks.Load(), timeout, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stall returns the longest time without an acknowledgement that ends
// after t: how long writes stopped because of a fault at t.
func (l *faultLoad) stall(t time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := slices.Clone(l.times)
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	var longest time.Duration
	for i := 1; i < len(ts); i++ {
		if ts[i].After(t) {
			longest = max(longest, ts[i].Sub(ts[i-1]))
		}
	}
	return longest
}

// finish stops the writers and returns every write they started.
func (l *faultLoad) finish() []*faultWrite {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writes
}

// checkFaultWrites makes the crash test's checks on a running server: every
// acknowledged write is stored at its acknowledged position with its hash,
// exactly once; no write is stored twice; a retry of every write with its
// key replays the acknowledged ones and writes only those never stored;
// and the whole log verifies, checkpoints included.
func checkFaultWrites(t *testing.T, ctx context.Context, m *Main, admin *api.Client, writes []*faultWrite) {
	t.Helper()
	st := m.Store
	nAcked := 0
	for _, w := range writes {
		if !w.acked {
			continue
		}
		nAcked++
		r, err := st.Get(ctx, w.res.Position)
		if err != nil {
			t.Fatalf("acknowledged %s at position %d is missing: %v", w.id, w.res.Position, err)
		}
		if got := events.HashOf(r.Raw).String(); got != w.res.Hash || r.Stream != "party/"+w.id {
			t.Fatalf("position %d holds %s with hash %s, acknowledged as party/%s with hash %s", w.res.Position, r.Stream, got, w.id, w.res.Hash)
		}
	}
	counts := map[string]int{}
	var size uint64
	if err := st.ReadLog(ctx, 1, func(r events.Record) error {
		if r.Position != size+1 {
			return fmt.Errorf("position %d follows %d", r.Position, size)
		}
		size = r.Position
		counts[r.Stream]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, w := range writes {
		if n := counts["party/"+w.id]; n > 1 || w.acked && n != 1 {
			t.Fatalf("%s (acknowledged %v) is in the log %d times", w.id, w.acked, n)
		}
	}
	var fresh uint64
	for _, w := range writes {
		res, err := admin.Create(ctx, "parties", partyRequest(w.id), api.WriteOptions{IdempotencyKey: w.key})
		switch {
		case err != nil:
			t.Fatalf("retry of %s: %v", w.id, err)
		case w.acked && (!res.Replayed || res.Position != w.res.Position || res.Hash != w.res.Hash):
			t.Fatalf("retry of acknowledged %s: got %+v, want a replay of %+v", w.id, res, w.res)
		case counts["party/"+w.id] == 1 && !res.Replayed:
			t.Fatalf("retry of %s, which was stored, wrote again: %+v", w.id, res)
		case !res.Replayed:
			fresh++
		}
	}
	head, err := st.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head != size+fresh {
		t.Fatalf("retries grew the log from %d to %d events, want %d more (the writes never stored)", size, head, fresh)
	}
	if err := m.Ledger.WaitCheckpoint(ctx, head); err != nil {
		t.Fatal(err)
	}
	vkey := readFileTrim(t, filepath.Join(m.Config.Data, "checkpoint.pub"))
	rep, err := events.Verify(ctx, st, events.VerifyOptions{VerifierKey: vkey, Origin: m.Ledger.Origin})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Events != head || rep.LastCheckpoint != head {
		t.Fatalf("verify: %d events, last checkpoint %d, want %d; problems %+v", rep.Events, rep.LastCheckpoint, head, rep.Problems)
	}
	t.Logf("%d writes, %d acknowledged under the fault, %d retried after it; %d events and %d checkpoints verified",
		len(writes), nAcked, fresh, rep.Events, rep.Checkpoints)
}

// mustFaultServe runs serve in this process against the NATS server at
// url and creates the unit the load's parties belong to; ping, if set,
// replaces the client's ping interval.
func mustFaultServe(t *testing.T, ctx context.Context, url string, ping time.Duration) (*Main, *api.Client) {
	t.Helper()
	dir := t.TempDir()
	m := MustRunMain(t, dir, func(c *ServeConfig) { c.NATSURL, c.NATSPing = url, ping })
	admin := api.NewClient(m.HTTPServer.URL(), adminToken(t, dir))
	unit := api.EventRequest{ID: "crash-unit", Type: events.UnitRegistered, Data: json.RawMessage(`{"name":"Phường Thử","level":"COMMUNE","valid_from":"2025-07-01"}`)}
	if _, err := admin.Create(ctx, "units", unit, api.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return m, admin
}

// TestFaultNATSRestart kills an external NATS server (a child process,
// flushing before it acknowledges) with SIGKILL in the middle of
// concurrent writes through `serve --nats-url`, and starts it again on the
// same port and store: the writes in flight are retried by the store
// within its retry budget, so writes resume without the clients seeing an
// error, and nothing is lost or written twice.
func TestFaultNATSRestart(t *testing.T) {
	natsDir := t.TempDir()
	port := freePort(t)
	p := startNATSProcess(t, natsDir, port)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	m, admin := mustFaultServe(t, ctx, fmt.Sprintf("nats://127.0.0.1:%d", port), 0)
	load := startFaultLoad(ctx, t, m.HTTPServer.URL(), admin.Token, 16)
	defer load.finish()

	load.waitAcks(200, 30*time.Second, "before the kill")
	n := load.acks.Load()
	at := time.Now()
	p.kill()
	p.start()
	restarted := time.Since(at)
	load.waitAcks(n+200, 30*time.Second, "after the restart")
	stall := load.stall(at)
	writes := load.finish()
	t.Logf("NATS killed and started again in %s; writes stopped for %s; refused: %v", restarted.Round(time.Millisecond), stall.Round(time.Millisecond), load.refused)
	if budget := 15 * time.Second; stall > budget {
		t.Errorf("writes stopped for %s, more than the store's retry budget of %s", stall, budget)
	}
	checkFaultWrites(t, ctx, m, admin, writes)
}

// tcpProxy forwards TCP connections to a target; cut closes every
// connection through it and refuses new ones until restore; freeze holds
// every byte, on open and new connections, without closing anything (a
// network partition that drops packets, which TCP retransmits once it
// heals), until thaw.
type tcpProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	down   bool
	cuts   int
	frozen chan struct{} // non-nil while frozen; thaw closes it
}

func startTCPProxy(tb testing.TB, target string) *tcpProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target}
	tb.Cleanup(func() { ln.Close(); p.thaw(); p.cut() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *tcpProxy) URL() string { return "nats://" + p.ln.Addr().String() }

func (p *tcpProxy) serve(c net.Conn) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		c.Close()
		return
	}
	p.waitThawed()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.conns = append(p.conns, c, s)
	p.mu.Unlock()
	go p.pipe(s, c)
	go p.pipe(c, s)
}

// pipe copies src to dst, holding what it read while the proxy is frozen.
func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.waitThawed()
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *tcpProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen == nil {
		p.frozen = make(chan struct{})
	}
}

func (p *tcpProxy) thaw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen != nil {
		close(p.frozen)
		p.frozen = nil
	}
}

func (p *tcpProxy) waitThawed() {
	p.mu.Lock()
	ch := p.frozen
	p.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

// cut closes both ends of every connection and refuses new ones.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	p.cuts++
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *tcpProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// startProxiedFaultLoad starts a NATS server, a proxy to it, `serve` on
// the proxy (with client pings every ping, if set) and 16 writers; the
// context bounds the test at 3 minutes.
func startProxiedFaultLoad(t *testing.T, ping time.Duration) (context.Context, *tcpProxy, *Main, *api.Client, *faultLoad) {
	t.Helper()
	srv, err := startTCPServer(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	proxy := startTCPProxy(t, srv.Addr().String())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	m, admin := mustFaultServe(t, ctx, proxy.URL(), ping)
	return ctx, proxy, m, admin, startFaultLoad(ctx, t, m.HTTPServer.URL(), admin.Token, 16)
}

// TestFaultConnectionDropped cuts the connection between `serve
// --nats-url` and its NATS server twice in the middle of concurrent
// writes, each time for a second in which reconnections are refused: the
// client reconnects, the store retries the appends whose answers were lost,
// and nothing is lost or written twice.
func TestFaultConnectionDropped(t *testing.T) {
	ctx, proxy, m, admin, load := startProxiedFaultLoad(t, 0)
	defer load.finish()

	load.waitAcks(200, 30*time.Second, "before the first cut")
	for i := range 2 {
		n := load.acks.Load()
		at := time.Now()
		proxy.cut()
		time.Sleep(time.Second) // the outage itself, not an assertion
		proxy.restore()
		load.waitAcks(n+200, 30*time.Second, fmt.Sprintf("after cut %d", i+1))
		t.Logf("cut %d: writes stopped for %s", i+1, load.stall(at).Round(time.Millisecond))
		if stall := load.stall(at); stall > 15*time.Second {
			t.Errorf("cut %d: writes stopped for %s, more than the store's retry budget", i+1, stall)
		}
	}
	writes := load.finish()
	t.Logf("refused: %v", load.refused)
	checkFaultWrites(t, ctx, m, admin, writes)
}

// TestFaultSilentPartition makes the connection between `serve
// --nats-url` and its NATS server go silent in the middle of concurrent
// writes: nothing is delivered and nothing is refused or closed, as in a
// network partition that drops packets. The client must take the
// connection for dead by its pings (here every 300 ms; 2 s by default)
// rather than wait on it, and reconnect once the network heals; writes
// resume; what was sent into the silence and delivered late, after the
// store had retried it, is not stored twice; nothing acknowledged is lost.
func TestFaultSilentPartition(t *testing.T) {
	ctx, proxy, m, admin, load := startProxiedFaultLoad(t, 300*time.Millisecond)
	defer load.finish()

	load.waitAcks(200, 30*time.Second, "before the partition")
	n := load.acks.Load()
	at := time.Now()
	proxy.freeze()
	deadline := at.Add(30 * time.Second)
	for m.Conn.IsConnected() {
		if time.Now().After(deadline) {
			proxy.thaw()
			t.Fatal("the client still takes a silent connection for alive after 30 s")
		}
		time.Sleep(20 * time.Millisecond) // polling the client's state, not a timing assertion
	}
	noticed := time.Since(at)
	time.Sleep(time.Second) // the partition lasts a moment longer: reconnections meet the same silence
	proxy.thaw()
	load.waitAcks(n+200, time.Minute, "after the partition healed")
	stall := load.stall(at)
	writes := load.finish()
	t.Logf("silence noticed after %s; writes stopped for %s; refused: %v", noticed.Round(time.Millisecond), stall.Round(time.Millisecond), load.refused)
	if budget := 15 * time.Second; stall > budget {
		t.Errorf("writes stopped for %s, more than the store's retry budget of %s", stall, budget)
	}
	checkFaultWrites(t, ctx, m, admin, writes)
}

// TestFaultStorageFull fills the NATS server's storage (its max_file_store
// limit, the CI-friendly stand-in for a full disk) with another stream in
// the middle of concurrent writes: writes are refused with 507 and code
// insufficient_storage, never 500, and nothing half-written; once the
// other stream is deleted, the same writes, retried with their keys,
// succeed; nothing is lost or written twice and the log verifies.
func TestFaultStorageFull(t *testing.T) {
	const maxStore = 8 << 20
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(),
		JetStreamMaxStore: maxStore, SyncAlways: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	m, admin := mustFaultServe(t, ctx, srv.ClientURL(), 0)
	load := startFaultLoad(ctx, t, m.HTTPServer.URL(), admin.Token, 8)
	defer load.finish()
	load.waitAcks(100, 30*time.Second, "before the storage filled")

	// Another user of the same storage fills it.
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	filler, err := js.CreateStream(ctx, natsjs.StreamConfig{Name: "FILLER", Subjects: []string{"filler"}, Storage: natsjs.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 256<<10)
	var fillErr error
	for i := 0; fillErr == nil; i++ {
		if i > 2*maxStore/len(chunk) {
			t.Fatal("the storage limit was never reached")
		}
		_, fillErr = js.Publish(ctx, "filler", chunk)
	}
	var apiErr *natsjs.APIError
	if !errors.As(fillErr, &apiErr) {
		t.Fatalf("filling the storage: %v, want a JetStream API error", fillErr)
	}
	t.Logf("storage full: %v (code %d)", fillErr, apiErr.ErrorCode)

	// The load now gets insufficient_storage; one request, raw, shows the
	// status and body.
	deadline := time.Now().Add(30 * time.Second)
	for {
		load.mu.Lock()
		refused := load.refused[events.EInsufficientStorage]
		load.mu.Unlock()
		if refused >= 20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes refused for want of space within 30 s", refused)
		}
		time.Sleep(10 * time.Millisecond)
	}
	n := load.acks.Load()
	body, _ := json.Marshal(partyRequest("full-probe"))
	req, _ := http.NewRequestWithContext(ctx, "POST", m.HTTPServer.URL()+"/v1/parties", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+admin.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "full-probe")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var eb api.ErrorBody
	json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if resp.StatusCode != http.StatusInsufficientStorage || eb.Error.Code != events.EInsufficientStorage {
		t.Fatalf("a write with the storage full: HTTP %d %+v, want 507 insufficient_storage", resp.StatusCode, eb)
	}
	t.Logf("answer with the storage full: HTTP %d %s: %s", resp.StatusCode, eb.Error.Code, eb.Error.Message)
	if got := load.acks.Load(); got > n+8 {
		t.Fatalf("%d writes acknowledged after writes were refused for want of space (at most the 8 in flight may have been)", got-n)
	}

	// Space returns: the same writes, retried, succeed.
	if err := js.DeleteStream(ctx, filler.CachedInfo().Config.Name); err != nil {
		t.Fatal(err)
	}
	load.waitAcks(load.acks.Load()+200, 30*time.Second, "after space returned")
	writes := load.finish()
	t.Logf("refused: %v", load.refused)
	writes = append(writes, &faultWrite{key: "full-probe", id: "full-probe"})
	checkFaultWrites(t, ctx, m, admin, writes)
}

// TestOutOfStorageCode pins the ledger's answer to JetStream's refusals for
// want of space: code insufficient_storage, HTTP 507.
func TestOutOfStorageCode(t *testing.T) {
	srv, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(), JetStreamMaxStore: 1 << 20, DontListen: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS not ready")
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := jetstream.ConnectInProcess(srv, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := jetstream.Open(ctx, nc, jetstream.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	raw := []byte(strings.Repeat("x", 200<<10))
	var last error
	for i := range 20 {
		_, last = st.Append(ctx, fmt.Sprintf("party/p%d", i), 0, events.Pending{ID: fmt.Sprint(i), Raw: raw})
		if last != nil {
			break
		}
	}
	if got := events.ErrorCode(last); got != events.EInsufficientStorage {
		t.Fatalf("append with the storage full: code %q (%v), want %q", got, last, events.EInsufficientStorage)
	}
	if !strings.Contains(events.ErrorMessage(last), "no storage space") {
		t.Fatalf("message %q", events.ErrorMessage(last))
	}
}

// TestCloseWithNATSGone stops `ledger serve` after its NATS server went
// away. Its last checkpoint and snapshots cannot be saved; it must not wait
// for their timeouts (two minutes in all, before the fix), and the next
// start, with NATS back, has every acknowledged event.
func TestCloseWithNATSGone(t *testing.T) {
	natsDir, dir := t.TempDir(), t.TempDir()
	srv, err := startTCPServer(natsDir)
	if err != nil {
		t.Fatal(err)
	}
	m := MustRunMain(t, dir, func(c *ServeConfig) { c.NATSURL = srv.ClientURL() })
	admin := api.NewClient(m.HTTPServer.URL(), adminToken(t, dir))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := admin.Create(ctx, "units", api.EventRequest{ID: "52", Type: events.UnitRegistered,
		Data: []byte(`{"name":"Tỉnh Bình Định","level":"PROVINCE","valid_from":"1989-07-01"}`)}, api.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	start := time.Now()
	if err := m.Close(); err != nil {
		t.Errorf("close with NATS gone: %v", err)
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("close with NATS gone took %s", took)
	}

	srv2, err := startTCPServer(natsDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv2.Shutdown(); srv2.WaitForShutdown() })
	m2 := MustRunMain(t, dir, func(c *ServeConfig) { c.NATSURL = srv2.ClientURL() })
	if got := settle(t, ctx, m2); got != res.Position {
		t.Fatalf("after the restart the log holds %d events, want %d", got, res.Position)
	}
	var st api.ItemResponse
	if err := api.NewClient(m2.HTTPServer.URL(), adminToken(t, dir)).Get(ctx, fmt.Sprintf("/v1/units/52?min_position=%d", res.Position), &st); err != nil || st.Status != events.UnitActive {
		t.Fatalf("the unit after the restart: %+v %v", st, err)
	}
}
