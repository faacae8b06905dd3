package jetstream

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/mttq-vn/ledger/events"
)

// clusterNodeEnv makes the test binary run one cluster node and nothing
// else: its value is the node's ClusterNodeConfig in JSON. Such a child
// process can be killed with SIGKILL, a harder failure than an in-process
// Shutdown, which steps the node's Raft groups down gracefully.
const clusterNodeEnv = "LEDGER_TEST_CLUSTER_NODE"

// init runs the node of a child process, before the tests would start. The
// node stops when its standard input closes: when the test ends, or when
// the test process dies.
func init() {
	v := os.Getenv(clusterNodeEnv)
	if v == "" {
		return
	}
	var cfg ClusterNodeConfig
	if err := json.Unmarshal([]byte(v), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "cluster node:", err)
		os.Exit(2)
	}
	srv, err := StartClusterNode(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cluster node:", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	srv.Shutdown()
	srv.WaitForShutdown()
	os.Exit(0)
}

// quietLogger shows errors only.
var quietLogger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))

// testCluster is a 3-node JetStream cluster on loopback: nodes run in this
// process, except those started as child processes (see clusterNodeEnv).
type testCluster struct {
	tb    testing.TB
	lc    *LocalCluster
	srv   []*server.Server // running in-process nodes
	procs []*nodeProcess   // running child-process nodes
}

type nodeProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *syncBuffer
	exited chan struct{}
}

// startTestCluster starts three nodes, those in procs as child processes,
// and waits (up to 15 s: usually 0.3 s, once seen at 6.6 s) for the
// JetStream meta leader.
func startTestCluster(tb testing.TB, syncAlways bool, procs ...int) *testCluster {
	tb.Helper()
	lc, err := NewLocalCluster("ledger-test", tb.TempDir(), 3, syncAlways)
	if err != nil {
		tb.Fatal(err)
	}
	c := &testCluster{tb: tb, lc: lc, srv: make([]*server.Server, 3), procs: make([]*nodeProcess, 3)}
	tb.Cleanup(c.stopAll)
	var wg sync.WaitGroup
	for i := range lc.Nodes {
		wg.Go(func() { c.start(i, slices.Contains(procs, i)) })
	}
	wg.Wait()
	if tb.Failed() {
		tb.FailNow()
	}
	nc := c.connect("wait")
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := WaitClusterReady(ctx, nc, 3); err != nil {
		tb.Fatal(err)
	}
	return c
}

// start starts node i, in-process or as a child process.
func (c *testCluster) start(i int, process bool) {
	cfg := c.lc.Nodes[i]
	if !process {
		// No logger: the nodes' complaints about the killed one (routes
		// refused, Raft warnings) are expected.
		srv, err := StartClusterNode(cfg)
		if err != nil {
			c.tb.Error(err)
			return
		}
		c.srv[i] = srv
		return
	}
	b, _ := json.Marshal(cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), clusterNodeEnv+"="+string(b))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		c.tb.Error(err)
		return
	}
	p := &nodeProcess{cmd: cmd, stdin: stdin, out: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	if err := cmd.Start(); err != nil {
		c.tb.Error(err)
		return
	}
	go func() { cmd.Wait(); close(p.exited) }()
	c.procs[i] = p
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.out.String(), "ready") {
		select {
		case <-p.exited:
			c.tb.Errorf("node %s exited before it was ready:\n%s", cfg.Name, p.out.String())
			return
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.tb.Errorf("node %s not ready within 30 s:\n%s", cfg.Name, p.out.String())
			return
		}
	}
}

// shutdown stops in-process node i gracefully: its Raft groups step down
// and hand over leadership before it goes, so a failover is faster than
// after a crash.
func (c *testCluster) shutdown(i int) {
	c.srv[i].Shutdown()
	c.srv[i].WaitForShutdown()
	c.srv[i] = nil
}

// kill sends SIGKILL to child-process node i and waits until it is gone:
// no step-down, the others notice only when their Raft timers run out.
func (c *testCluster) kill(i int) {
	p := c.procs[i]
	p.cmd.Process.Kill()
	<-p.exited
	c.procs[i] = nil
}

func (c *testCluster) stopAll() {
	for i := range c.lc.Nodes {
		if p := c.procs[i]; p != nil {
			p.stdin.Close()
			select {
			case <-p.exited:
			case <-time.After(10 * time.Second):
				p.cmd.Process.Kill()
				<-p.exited
			}
		}
		if c.srv[i] != nil {
			c.shutdown(i)
		}
	}
}

// connect connects to every node, as a client of a cluster should: with
// all URLs, reconnecting for ever.
func (c *testCluster) connect(name string) *nats.Conn {
	c.tb.Helper()
	nc, err := nats.Connect(c.lc.URLs(), nats.Name(name), nats.MaxReconnects(-1),
		nats.ReconnectWait(100*time.Millisecond), nats.Timeout(time.Second))
	if err != nil {
		c.tb.Fatal(err)
	}
	return nc
}

// moveLeader makes node to the leader of stream, asking the current leader
// to step down in its favour, and waits until stream is ready again.
func (c *testCluster) moveLeader(ctx context.Context, nc *nats.Conn, stream, to string) {
	c.tb.Helper()
	for {
		leader, err := WaitStreamReady(ctx, nc, stream)
		if err != nil {
			c.tb.Fatal(err)
		}
		if leader == to {
			return
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		nc.RequestWithContext(rctx, "$JS.API.STREAM.LEADER.STEPDOWN."+stream, fmt.Appendf(nil, `{"placement":{"preferred":%q}}`, to))
		cancel()
	}
}

// ackLog records acknowledged appends with their times.
type ackLog struct {
	mu    sync.Mutex
	times []time.Time
	n     int
	grew  chan struct{}
}

func newAckLog() *ackLog { return &ackLog{grew: make(chan struct{})} }

func (a *ackLog) add() {
	a.mu.Lock()
	a.times = append(a.times, time.Now())
	a.n++
	close(a.grew)
	a.grew = make(chan struct{})
	a.mu.Unlock()
}

func (a *ackLog) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n
}

// waitFor waits until n appends were acknowledged, at most timeout.
func (a *ackLog) waitFor(tb testing.TB, n int, timeout time.Duration, what string) {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		a.mu.Lock()
		got, grew := a.n, a.grew
		a.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-grew:
		case <-deadline:
			tb.Fatalf("%s: %d appends acknowledged within %s, want %d", what, got, timeout, n)
		}
	}
}

// stall returns the longest time without an acknowledgement from the last
// one before t to the first one after t plus within: how long writes
// stopped around an event at t.
func (a *ackLog) stall(t time.Time, within time.Duration) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	ts := slices.Clone(a.times)
	slices.SortFunc(ts, func(x, y time.Time) int { return x.Compare(y) })
	var longest time.Duration
	for i := 1; i < len(ts); i++ {
		if ts[i].Before(t) || ts[i-1].After(t.Add(within)) {
			continue
		}
		longest = max(longest, ts[i].Sub(ts[i-1]))
	}
	return longest
}

// resumed returns how long after t the longest stall (see stall) ended.
func (a *ackLog) resumed(t time.Time, within time.Duration) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	ts := slices.Clone(a.times)
	slices.SortFunc(ts, func(x, y time.Time) int { return x.Compare(y) })
	var longest time.Duration
	var end time.Time
	for i := 1; i < len(ts); i++ {
		if ts[i].Before(t) || ts[i-1].After(t.Add(within)) {
			continue
		}
		if d := ts[i].Sub(ts[i-1]); d > longest {
			longest, end = d, ts[i]
		}
	}
	return end.Sub(t)
}

// rawAck is an acknowledged Store.Append.
type rawAck struct {
	stream  string
	version uint64
	key     string // dedup key
	pos     uint64
}

// rawWriters append through Store.Append to streams of their own until
// stop is closed. An append that fails for want of an answer is tried
// again with the same event (same dedup key), as a client would, so every
// event a writer started ends acknowledged.
func rawWriters(ctx context.Context, tb testing.TB, s *Store, writers, streamsEach int, stop <-chan struct{}, log *ackLog) (wait func() []rawAck) {
	var (
		mu   sync.Mutex
		acks []rawAck
		wg   sync.WaitGroup
	)
	for w := range writers {
		wg.Go(func() {
			versions := make([]uint64, streamsEach)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := i % streamsEach
				stream := fmt.Sprintf("recommendation/w%d-s%d", w, k)
				v := versions[k]
				id := fmt.Sprintf("ev-w%d-s%d-v%d", w, k, v+1)
				p := events.Pending{ID: id, Raw: fmt.Appendf(nil, `{"id":%q,"stream":%q,"version":%d}`, id, stream, v+1)}
				if i%2 == 0 {
					p.Key = "key-" + id
				}
				for try := 0; ; try++ {
					a, err := s.Append(ctx, stream, v, p)
					if err == nil {
						if a.Duplicate && a.ID != p.ID {
							tb.Errorf("%s version %d: a duplicate of another event %q", stream, v+1, a.ID)
							return
						}
						mu.Lock()
						acks = append(acks, rawAck{stream, v + 1, p.DedupKey(), a.Position})
						mu.Unlock()
						log.add()
						versions[k]++
						break
					}
					if events.ErrorCode(err) != events.EUnavailable || ctx.Err() != nil || try == 5 {
						tb.Errorf("%s version %d, try %d: %v", stream, v+1, try, err)
						return
					}
				}
			}
		})
	}
	return func() []rawAck { wg.Wait(); return acks }
}

// ledgerWriters register units and rename them through an events.Ledger
// until stop is closed, retrying a request that fails for want of an
// answer with the same idempotency key.
func ledgerWriters(ctx context.Context, tb testing.TB, l *events.Ledger, writers int, stop <-chan struct{}, log *ackLog) (wait func() []events.Result) {
	var (
		mu   sync.Mutex
		acks []events.Result
		wg   sync.WaitGroup
	)
	actor := events.Actor{Subject: "token/admin", Role: events.RoleAdmin}
	for w := range writers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("u%d-%d", w, i/5)
				req := events.Request{Kind: events.KindUnit, ID: id, Type: events.UnitRenamed, Actor: actor, IdempotencyKey: fmt.Sprintf("k%d-%d", w, i),
					Data: fmt.Appendf(nil, `{"name":"Phường %d","effective_on":"2020-01-01"}`, i)}
				if i%5 == 0 {
					req.Create, req.Type = true, events.UnitRegistered
					req.Data = []byte(`{"name":"Phường Bình Định","level":"COMMUNE","valid_from":"2011-06-01"}`)
				}
				for try := 0; ; try++ {
					res, err := l.Handle(ctx, req)
					if err == nil {
						mu.Lock()
						acks = append(acks, res)
						mu.Unlock()
						log.add()
						break
					}
					if events.ErrorCode(err) != events.EUnavailable || ctx.Err() != nil || try == 5 {
						tb.Errorf("ledger writer %d, %s %s: try %d: %v", w, req.Type, id, try, err)
						return
					}
				}
			}
		})
	}
	return func() []events.Result { wg.Wait(); return acks }
}

// TestClusterFailover writes to a 3-node cluster (streams with 3 replicas)
// from many goroutines, through Store.Append and through an events.Ledger,
// stops a follower, then kills the streams' leader with SIGKILL, both in
// the middle of the load. Writes resume after each failure; every
// acknowledged append is in the log exactly once, with no gaps; a
// checkpoint signed before the failures is consistent with the final
// tree, and the ledger's log passes Verify.
//
// Nodes n1 and n2 run in this process: their Shutdown is a graceful step-
// down, so the follower's loss is the gentle case. Node n3 is a child
// process; the leaders are moved to it, then it is killed with SIGKILL, so
// the election is the real one after a crash.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster with a node killed: about 30 s")
	}
	start := time.Now()
	c := startTestCluster(t, false, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	// The test takes 15-30 s. It twice ran into this deadline in full-suite
	// runs (its reads of the log after the killed node came back never
	// ended), and never when run alone: if it comes near it, the stacks
	// of the readers go into the log, for whoever sees it next.
	stacks := time.AfterFunc(150*time.Second, func() { t.Logf("still running after 150 s; the goroutines reading JetStream:\n%s", jetstreamStacks()) })
	defer stacks.Stop()
	defer cancel()

	rawNC, ledgerNC, adminNC := c.connect("raw"), c.connect("ledger"), c.connect("admin")
	defer rawNC.Close()
	defer ledgerNC.Close()
	defer adminNC.Close()
	raw, err := Open(ctx, rawNC, Config{Replicas: 3, StreamName: "RAW", SubjectPrefix: "raw.ev",
		CheckpointStream: "RAW_CP", CheckpointSubject: "raw.cp", Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// The ledger's store as `ledger serve --nats-url` opens it: with group
	// commit.
	ls, err := Open(ctx, ledgerNC, Config{Replicas: 3, GroupCommit: true, Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	skey, vkey, err := events.GenerateCheckpointKey("ledger.test/cluster")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := events.NewCheckpointSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l := events.NewLedger(ls, signer, signer.Name())
	l.CheckpointInterval = 50 * time.Millisecond
	l.Logger = quietLogger // "signing a checkpoint failed; will retry" during the failover
	if err := l.Open(ctx, nil); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for _, st := range []string{"RAW", "LEDGER"} {
		wctx, wcancel := context.WithTimeout(ctx, 15*time.Second)
		if _, err := WaitStreamReady(wctx, adminNC, st); err != nil {
			t.Fatal(err)
		}
		wcancel()
	}
	t.Logf("cluster and streams ready after %s", time.Since(start).Round(time.Millisecond))

	stop := make(chan struct{})
	rawAcks, ledgerAcks := newAckLog(), newAckLog()
	waitRaw := rawWriters(ctx, t, raw, 24, 8, stop, rawAcks)
	waitLedger := ledgerWriters(ctx, t, l, 6, stop, ledgerAcks)
	stopped := false
	stopWriters := func() ([]rawAck, []events.Result) {
		if !stopped {
			close(stop)
			stopped = true
		}
		return waitRaw(), waitLedger()
	}
	defer stopWriters()

	rawAcks.waitFor(t, 300, 30*time.Second, "before the failures")
	ledgerAcks.waitFor(t, 30, 30*time.Second, "ledger, before the failures")
	// A checkpoint of the raw log, signed before the failures.
	cpSize, err := raw.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var before events.Tree
	if err := raw.ReadLog(ctx, 1, func(r events.Record) error {
		if r.Position <= cpSize {
			before.Append(events.LeafHash(r.Raw))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	root, _ := before.Root(cpSize)
	note, err := signer.Sign(events.Checkpoint{Origin: signer.Name(), Size: cpSize, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.PutCheckpoint(ctx, cpSize, note); err != nil {
		t.Fatal(err)
	}
	// The ledger's checkpoint covers what it acknowledged: its follower
	// may not have applied any of it yet (a loaded machine), and a
	// checkpoint of l.Size() could then be none at all.
	lhead, err := ls.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	if err := l.WaitApplied(wctx, lhead); err != nil {
		t.Fatalf("the ledger did not apply position %d: %v", lhead, err)
	}
	if err := l.WaitCheckpoint(wctx, lhead); err != nil {
		t.Fatalf("no checkpoint of the ledger covers position %d: %v", lhead, err)
	}
	wcancel()
	ledgerCp, ledgerNote, err := l.LatestCheckpoint()
	if err != nil || ledgerCp < lhead {
		t.Fatalf("the ledger's latest checkpoint: size %d (%v), want %d or more", ledgerCp, err, lhead)
	}

	// 1. A follower of the raw stream, in this process, stops mid-load.
	leader, err := WaitStreamReady(ctx, adminNC, "RAW")
	if err != nil {
		t.Fatal(err)
	}
	follower := 0
	if c.lc.Nodes[0].Name == leader {
		follower = 1
	}
	n := rawAcks.count()
	at := time.Now()
	c.shutdown(follower)
	rawAcks.waitFor(t, n+200, 30*time.Second, "after a follower stopped")
	t.Logf("follower %s stopped: writes paused at most %s", c.lc.Nodes[follower].Name, rawAcks.stall(at, 2*time.Second).Round(time.Millisecond))
	c.start(follower, false)
	if t.Failed() {
		t.FailNow()
	}

	// 2. The leader of both streams, a child process, is killed mid-load.
	wctx, wcancel = context.WithTimeout(ctx, 30*time.Second)
	c.moveLeader(wctx, adminNC, "RAW", c.lc.Nodes[2].Name)
	c.moveLeader(wctx, adminNC, "LEDGER", c.lc.Nodes[2].Name)
	wcancel()
	n, nl := rawAcks.count(), ledgerAcks.count()
	rawAcks.waitFor(t, n+200, 30*time.Second, "after the leader moved")
	n, nl = rawAcks.count(), ledgerAcks.count()
	at = time.Now()
	c.kill(2)
	rawAcks.waitFor(t, n+200, 30*time.Second, "after the leader was killed")
	ledgerAcks.waitFor(t, nl+20, 30*time.Second, "ledger, after the leader was killed")
	t.Logf("leader %s killed (SIGKILL): writes stopped for %s (raw), %s (ledger)", c.lc.Nodes[2].Name,
		rawAcks.stall(at, 20*time.Second).Round(time.Millisecond), ledgerAcks.stall(at, 20*time.Second).Round(time.Millisecond))
	rawList, ledgerList := stopWriters()
	if t.Failed() {
		t.FailNow()
	}
	// The killed node comes back and catches up.
	c.start(2, true)
	for _, st := range []string{"RAW", "LEDGER"} {
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		if _, err := WaitStreamReady(wctx, adminNC, st); err != nil {
			t.Fatal(err)
		}
		wcancel()
	}

	checkRawLog(t, ctx, raw, rawList, vkey, signer.Name(), note)
	checkLedgerLog(t, ctx, l, ls, ledgerList, vkey, ledgerCp, ledgerNote)
	t.Logf("%d raw appends and %d ledger events checked; %s in all", len(rawList), len(ledgerList), time.Since(start).Round(time.Millisecond))
}

// checkRawLog checks that the raw log holds every acknowledged append
// exactly once, at its acknowledged position, and nothing else; that each
// stream's versions are dense; and that the checkpoint note, signed
// earlier, is consistent with the final tree.
func checkRawLog(t *testing.T, ctx context.Context, s *Store, acks []rawAck, vkey, origin string, note []byte) {
	t.Helper()
	byKey := make(map[string]rawAck, len(acks))
	for _, a := range acks {
		if old, ok := byKey[a.key]; ok {
			t.Fatalf("key %s acknowledged twice: %+v, %+v", a.key, old, a)
		}
		byKey[a.key] = a
	}
	seen := make(map[string]bool, len(acks))
	versions := make(map[string]uint64)
	var tree events.Tree
	err := s.ReadLog(ctx, 1, func(r events.Record) error {
		tree.Append(events.LeafHash(r.Raw))
		k := dedupKey(r)
		if seen[k] {
			return fmt.Errorf("position %d: dedup key %s stored twice", r.Position, k)
		}
		seen[k] = true
		a, ok := byKey[k]
		if !ok {
			return fmt.Errorf("position %d: %s version %d (key %s) was never acknowledged", r.Position, r.Stream, r.Version, k)
		}
		if a.pos != r.Position || a.stream != r.Stream || a.version != r.Version {
			return fmt.Errorf("position %d holds %s version %d, acknowledged as %+v", r.Position, r.Stream, r.Version, a)
		}
		if r.Version != versions[r.Stream]+1 {
			return fmt.Errorf("position %d: %s version %d follows version %d", r.Position, r.Stream, r.Version, versions[r.Stream])
		}
		versions[r.Stream] = r.Version
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(acks) {
		t.Fatalf("the log holds %d appends, %d were acknowledged", len(seen), len(acks))
	}
	var stored []byte
	if err := s.Checkpoints(ctx, func(size uint64, n []byte) error { stored = n; return nil }); err != nil {
		t.Fatal(err)
	}
	if string(stored) != string(note) {
		t.Fatalf("stored checkpoint %q, want %q", stored, note)
	}
	cp, err := events.OpenCheckpoint(note, vkey, origin)
	if err != nil {
		t.Fatal(err)
	}
	final := tree.Size()
	finalRoot, _ := tree.Root(final)
	proof, err := tree.ConsistencyProof(cp.Size, final)
	if err != nil {
		t.Fatal(err)
	}
	if err := events.VerifyConsistency(cp.Size, final, proof, cp.Root, finalRoot); err != nil {
		t.Fatalf("the checkpoint of size %d signed before the failures is not consistent with the final tree of %d: %v", cp.Size, final, err)
	}
}

// checkLedgerLog checks the ledger's log with events.Verify (hashes, hash
// chains, the Merkle tree, every checkpoint signed during the run and
// their consistency), that every acknowledged event is stored once at its
// position, and that the checkpoint signed before the failures is among
// those verified.
func checkLedgerLog(t *testing.T, ctx context.Context, l *events.Ledger, s *Store, acks []events.Result, vkey string, cpSize uint64, cpNote []byte) {
	t.Helper()
	rep, err := events.Verify(ctx, s, events.VerifyOptions{VerifierKey: vkey, Origin: l.Origin})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify: %+v", rep.Problems)
	}
	if rep.Events != uint64(len(acks)) {
		t.Fatalf("the ledger's log holds %d events, %d were acknowledged", rep.Events, len(acks))
	}
	if rep.LastCheckpoint < cpSize || rep.Checkpoints < 2 {
		t.Fatalf("verified %d checkpoints up to %d; want the one of %d signed before the failures and later ones", rep.Checkpoints, rep.LastCheckpoint, cpSize)
	}
	found := false
	s.Checkpoints(ctx, func(size uint64, note []byte) error {
		found = found || size == cpSize && string(note) == string(cpNote)
		return nil
	})
	if !found {
		t.Fatalf("the checkpoint of %d signed before the failures is not stored", cpSize)
	}
	byID := make(map[string]uint64, len(acks))
	for _, a := range acks {
		byID[a.EventID] = a.Position // a replayed answer names the stored event
	}
	n := 0
	err = s.ReadLog(ctx, 1, func(r events.Record) error {
		if pos, ok := byID[r.ID]; ok {
			if pos != r.Position {
				return fmt.Errorf("event %s at position %d, acknowledged at %d", r.ID, r.Position, pos)
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(byID) {
		t.Fatalf("%d of %d acknowledged events found in the log", n, len(byID))
	}
}

// TestTransientErrors pins which failures Append tries again (the same
// message, within Config.RetryBudget) and which it returns at once.
func TestTransientErrors(t *testing.T) {
	api := func(code natsjs.ErrorCode) error {
		return fmt.Errorf("wrapped: %w", &natsjs.APIError{Code: 503, ErrorCode: code})
	}
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{natsjs.ErrAsyncPublishTimeout, true}, // an acknowledgement lost with a dead leader, or late
		{nats.ErrNoResponders, true},
		{natsjs.ErrNoStreamResponse, true},
		{nats.ErrDisconnected, true},
		{nats.ErrConnectionReconnecting, true},
		{nats.ErrTimeout, true},
		{context.DeadlineExceeded, true}, // a read bounded by readTimeout; Append checks the caller's own context first
		{api(errCodeClusterNotAvailable), true},
		{api(errCodeStreamOffline), true},
		{api(errCodeLastSeqNotReady), true},
		{api(errCodeDuplicateInProcess), true},
		{fmt.Errorf("append: %w", errUndecided), true}, // 10164 several times: the outcome of an attempt in flight decides
		{nats.ErrConnectionClosed, false},
		{context.Canceled, false},
		{api(natsjs.JSErrCodeStreamWrongLastSequence), false}, // a conflict or a retry: settled, not retried blindly
		{api(natsjs.JSErrCodeStreamNotFound), false},
		{errClosed, false},
		// No space: refused at once (507) rather than retried for the
		// whole budget; space comes back only when an operator frees it.
		{api(errCodeInsufficientResources), false},
		{api(errCodeAccountResourcesExceeded), false},
		{api(errCodeStorageResourcesExceeded), false},
	} {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
	for code, want := range map[natsjs.ErrorCode]bool{
		errCodeInsufficientResources: true, errCodeAccountResourcesExceeded: true, errCodeStorageResourcesExceeded: true,
		errCodeClusterNotAvailable: false, natsjs.JSErrCodeStreamWrongLastSequence: false,
	} {
		if got := isOutOfStorage(api(code)); got != want {
			t.Errorf("isOutOfStorage(code %d) = %v, want %v", code, got, want)
		}
	}
	if isOutOfStorage(nats.ErrTimeout) {
		t.Error("isOutOfStorage(a timeout) = true")
	}
	for _, tc := range []struct {
		replicas int
		want     time.Duration
	}{{1, singleAckTimeout}, {3, ackTimeout}} {
		c := Config{Replicas: tc.replicas}
		c.setDefaults()
		if c.AckTimeout != tc.want || c.RetryBudget < 10*time.Second {
			t.Errorf("%d replicas: ack timeout %s, retry budget %s; want %s and at least 10 s", tc.replicas, c.AckTimeout, c.RetryBudget, tc.want)
		}
	}
}

// TestAppendRetriesUntilTheServerAnswers: an append made while the server
// is away is not refused at once: it is tried again, and succeeds once the
// server is back (here a single node restarted on the same port and
// directory), within the retry budget.
func TestAppendRetriesUntilTheServerAnswers(t *testing.T) {
	dir := t.TempDir()
	srv, err := StartServer(ServerConfig{StoreDir: dir, Listen: "127.0.0.1:0", Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr().String()
	nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := testCtx(t)
	s, err := Open(ctx, nc, Config{AckTimeout: time.Second, Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Append(ctx, "unit/u1", 0, event("unit/u1", 1, "")); err != nil {
		t.Fatal(err)
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	done := make(chan error, 1)
	go func() {
		a, err := s.Append(ctx, "unit/u1", 1, event("unit/u1", 2, "k2"))
		if err == nil && (a.Version != 2 || a.Position != 2) {
			err = fmt.Errorf("appended %+v, want version 2 at position 2", a)
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("the append ended while the server was away: %v", err)
	case <-time.After(1500 * time.Millisecond): // more than one attempt's AckTimeout
	}
	srv, err = StartServer(ServerConfig{StoreDir: dir, Listen: addr, Logger: quietLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	if err := <-done; err != nil {
		t.Fatalf("the append did not succeed once the server was back: %v", err)
	}
	if h, err := s.Head(ctx); err != nil || h != 2 {
		t.Fatalf("head %d (%v), want 2", h, err)
	}
}

// jetstreamStacks returns the stacks of the goroutines in this package or
// in nats.go's jetstream package, at most 64 KiB of them.
func jetstreamStacks() string {
	buf := make([]byte, 1<<24)
	buf = buf[:runtime.Stack(buf, true)]
	var out strings.Builder
	for _, g := range strings.Split(string(buf), "\n\n") {
		if (strings.Contains(g, "events/jetstream.") || strings.Contains(g, "nats.go/jetstream.")) && out.Len() < 64<<10 {
			out.WriteString(g)
			out.WriteString("\n\n")
		}
	}
	return out.String()
}
