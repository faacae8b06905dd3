package jetstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/mttq-vn/ledger/events"
)

// holdGroup waits until no group of s is in flight, then makes s's group
// commit queue appends as if one were. The returned release waits (up to
// 10 s) until n appends are queued, then sends them, as one group.
func holdGroup(t *testing.T, s *Store, n int) (release func()) {
	t.Helper()
	g := s.group
	if g == nil {
		t.Fatal("group commit is off")
	}
	if !g.wait(10 * time.Second) {
		t.Fatal("the group in flight did not end within 10 s")
	}
	reached := make(chan struct{})
	var once sync.Once
	g.mu.Lock()
	if g.running {
		g.mu.Unlock()
		t.Fatal("a group is in flight")
	}
	g.running = true
	g.queued = func(k int) {
		if k >= n {
			once.Do(func() { close(reached) })
		}
	}
	g.mu.Unlock()
	return func() {
		t.Helper()
		select {
		case <-reached:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d appends not queued within 10 s", n)
		}
		g.mu.Lock()
		g.queued = nil
		g.mu.Unlock()
		go g.run()
	}
}

// appendResult is the outcome of one Append run by appendAll.
type appendResult struct {
	a   events.Appended
	err error
}

// appendAll runs one Append per stream of streams concurrently, at the
// version expected[i] with event es[i], and returns their outcomes once all
// have returned.
func appendAll(ctx context.Context, s *Store, streams []string, expected []uint64, es []events.Pending) []appendResult {
	out := make([]appendResult, len(streams))
	var wg sync.WaitGroup
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a, err := s.Append(ctx, streams[i], expected[i], es[i])
			out[i] = appendResult{a, err}
		}()
	}
	wg.Wait()
	return out
}

// batchOf returns the Nats-Batch-Id stored with the message at pos, "" if
// it was published alone.
func batchOf(t *testing.T, s *Store, pos uint64) string {
	t.Helper()
	m, err := s.events.GetMsg(testCtx(t), pos)
	if err != nil {
		t.Fatalf("get %d: %v", pos, err)
	}
	return m.Header.Get(hdrBatchID)
}

// Many concurrent appends across streams: each gets its own position and
// version, the log holds exactly those, and most went out in batches.
func TestGroupCommitConcurrentAppends(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{GroupCommit: true})
	n.store.group.min = 2
	ctx := testCtx(t)
	const writers, each = 64, 10
	got := make([][]events.Appended, writers)
	sent := make([][]events.Pending, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("supervision/g%d", w)
			for v := range uint64(each) {
				e := event(stream, v+1, "")
				a, err := n.store.Append(ctx, stream, v, e)
				if err != nil {
					t.Errorf("%s version %d: %v", stream, v+1, err)
					return
				}
				got[w] = append(got[w], a)
				sent[w] = append(sent[w], e)
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	want := map[uint64]events.Record{}
	for w := range writers {
		for i, a := range got[w] {
			stream := fmt.Sprintf("supervision/g%d", w)
			if a.Stream != stream || a.Version != uint64(i+1) || a.Duplicate || a.ID != sent[w][i].ID {
				t.Errorf("%s append %d: got %+v", stream, i, a)
			}
			if prev, ok := want[a.Position]; ok {
				t.Fatalf("position %d returned twice: %s v%d and %s v%d", a.Position, prev.Stream, prev.Version, a.Stream, a.Version)
			}
			want[a.Position] = a.Record
		}
	}
	var log []events.Record
	if err := n.store.ReadLog(ctx, 1, func(r events.Record) error { log = append(log, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(log) != writers*each {
		t.Fatalf("log holds %d records, want %d", len(log), writers*each)
	}
	batched := 0
	for _, r := range log {
		w, ok := want[r.Position]
		if !ok || r.Stream != w.Stream || r.Version != w.Version || r.ID != w.ID || !bytes.Equal(r.Raw, w.Raw) {
			t.Errorf("position %d holds %s v%d %s, Append returned %+v", r.Position, r.Stream, r.Version, r.ID, w)
		}
		if batchOf(t, n.store, r.Position) != "" {
			batched++
		}
	}
	t.Logf("%d of %d appends went out in atomic batches", batched, len(log))
	if batched == 0 {
		t.Error("no append went out in an atomic batch")
	}
}

// A batch is stored at consecutive positions in queue order, each message
// with its own headers.
func TestGroupCommitBatchPositions(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{GroupCommit: true})
	ctx := testCtx(t)
	mustAppend(t, n.store, "unit/first", 0) // position 1, alone
	const size = minBatch + 3
	release := holdGroup(t, n.store, size)
	streams, expected, es := make([]string, size), make([]uint64, size), make([]events.Pending, size)
	done := make(chan []appendResult, 1)
	for i := range size {
		streams[i] = fmt.Sprintf("plan/b%d", i)
		es[i] = event(streams[i], 1, fmt.Sprintf("key-b%d", i))
	}
	go func() { done <- appendAll(ctx, n.store, streams, expected, es) }()
	release()
	res := <-done
	positions := map[uint64]bool{}
	var batch string
	for i, r := range res {
		if r.err != nil || r.a.Version != 1 || r.a.Stream != streams[i] || r.a.Key != es[i].Key || r.a.Duplicate {
			t.Fatalf("append %d: got %+v, %v", i, r.a, r.err)
		}
		if r.a.Position < 2 || r.a.Position > size+1 || positions[r.a.Position] {
			t.Fatalf("append %d: position %d, want a position of its own in 2..%d", i, r.a.Position, size+1)
		}
		positions[r.a.Position] = true
		got, err := n.store.Get(ctx, r.a.Position)
		if err != nil || got.Stream != streams[i] || got.ID != es[i].ID || got.Key != es[i].Key || !bytes.Equal(got.Raw, es[i].Raw) {
			t.Fatalf("position %d: got %+v, %v; want %s", r.a.Position, got, err, streams[i])
		}
		b := batchOf(t, n.store, r.a.Position)
		if b == "" || batch != "" && b != batch {
			t.Fatalf("position %d: batch %q, want all in one batch (%q)", r.a.Position, b, batch)
		}
		batch = b
		if v, _ := n.store.Version(ctx, streams[i]); v != 1 {
			t.Errorf("%s: cached version %d, want 1", streams[i], v)
		}
	}
	// The cache learnt each stream's position: the next appends go through.
	for i := range 3 {
		if _, err := n.store.Append(ctx, streams[i], 1, event(streams[i], 2, "")); err != nil {
			t.Fatal(err)
		}
	}
}

func mustAppend(t *testing.T, s *Store, stream string, expected uint64) events.Appended {
	t.Helper()
	a, err := s.Append(testCtx(t), stream, expected, event(stream, expected+1, ""))
	if err != nil {
		t.Fatalf("append %s at %d: %v", stream, expected, err)
	}
	return a
}

// debugLogger returns a logger that writes everything to buf.
func debugLogger(buf *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// A batch with one stale append (another writer moved its stream on) fails
// as a whole; the others are written on their own, and the stale one gets
// a version conflict with the current version.
func TestGroupCommitBatchWithStaleAppend(t *testing.T) {
	var logs syncBuffer
	n := MustStartNode(t, t.TempDir(), Config{GroupCommit: true, Logger: debugLogger(&logs)})
	n.store.group.min = 2
	ctx := testCtx(t)
	const size = 5
	streams, expected, es := make([]string, size), make([]uint64, size), make([]events.Pending, size)
	for i := range size {
		streams[i] = fmt.Sprintf("critique/s%d", i)
		mustAppend(t, n.store, streams[i], 0)
		expected[i] = 1
		es[i] = event(streams[i], 2, "")
	}
	// Another store appends version 2 of stream 2; ours still caches 1.
	other, err := Open(ctx, n.nc, Config{Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Append(ctx, streams[2], 1, event(streams[2], 2, "foreign")); err != nil {
		t.Fatal(err)
	}
	head, _ := n.store.Head(ctx)

	release := holdGroup(t, n.store, size)
	done := make(chan []appendResult, 1)
	go func() { done <- appendAll(ctx, n.store, streams, expected, es) }()
	release()
	res := <-done
	for i, r := range res {
		if i == 2 {
			var vc *events.VersionConflict
			if !errors.Is(r.err, events.ErrConcurrency) || !errors.As(r.err, &vc) || vc.Current != 2 || vc.Expected != 1 {
				t.Errorf("stale append: got %+v, %v; want a VersionConflict at current version 2", r.a, r.err)
			}
			continue
		}
		if r.err != nil || r.a.Version != 2 || r.a.Duplicate || r.a.ID != es[i].ID {
			t.Errorf("append %d: got %+v, %v", i, r.a, r.err)
			continue
		}
		if b := batchOf(t, n.store, r.a.Position); b != "" {
			t.Errorf("append %d stored in batch %q; the batch should have failed", i, b)
		}
	}
	if h, _ := n.store.Head(ctx); h != head+size-1 {
		t.Errorf("head %d, want %d", h, head+size-1)
	}
	if !strings.Contains(logs.String(), "atomic batch failed") || !strings.Contains(logs.String(), "10071") {
		t.Errorf("no failed batch with a wrong last sequence logged:\n%s", logs.String())
	}
}

// A batch with a retry of a stored append (same dedup key, from a store
// that has not seen its stream, as after a restart) fails as a whole; the
// retry comes back as a duplicate of the first record, the others are
// written.
func TestGroupCommitBatchWithRetry(t *testing.T) {
	var logs syncBuffer
	n := MustStartNode(t, t.TempDir(), Config{GroupCommit: true, Logger: testLogger})
	ctx := testCtx(t)
	first := event("petition/retry", 1, "key-retry")
	a1, err := n.store.Append(ctx, "petition/retry", 0, first)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Open(ctx, n.nc, Config{GroupCommit: true, Logger: debugLogger(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	fresh.group.min = 2
	const size = 4
	streams, expected, es := make([]string, size), make([]uint64, size), make([]events.Pending, size)
	for i := range size {
		streams[i] = fmt.Sprintf("petition/p%d", i)
		es[i] = event(streams[i], 1, "")
	}
	streams[1] = "petition/retry"
	es[1] = events.Pending{ID: "ev-retry-new", Key: "key-retry", Raw: []byte(`{"retry":true}`)}

	release := holdGroup(t, fresh, size)
	done := make(chan []appendResult, 1)
	go func() { done <- appendAll(ctx, fresh, streams, expected, es) }()
	release()
	res := <-done
	for i, r := range res {
		if i == 1 {
			if r.err != nil || !r.a.Duplicate || r.a.Position != a1.Position || r.a.ID != first.ID || !bytes.Equal(r.a.Raw, first.Raw) {
				t.Errorf("retry: got %+v, %v; want the first record (position %d) marked duplicate", r.a, r.err, a1.Position)
			}
			continue
		}
		if r.err != nil || r.a.Version != 1 || r.a.Duplicate || r.a.ID != es[i].ID {
			t.Errorf("append %d: got %+v, %v", i, r.a, r.err)
		}
	}
	if h, _ := fresh.Head(ctx); h != size {
		t.Errorf("head %d, want %d: the retry wrote or an append is missing", h, size)
	}
	if !strings.Contains(logs.String(), "atomic batch failed") {
		t.Errorf("no failed batch logged:\n%s", logs.String())
	}
}

// An append whose caller gives up while it waits for a group returns at
// once and is never written; the rest of the group is.
func TestGroupCommitCancelled(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{GroupCommit: true})
	n.store.group.min = 2
	ctx := testCtx(t)
	release := holdGroup(t, n.store, 3)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Cancel once all three wait in the queue, before the group goes out.
	n.store.group.mu.Lock()
	queued := n.store.group.queued
	n.store.group.queued = func(k int) {
		queued(k)
		if k == 3 {
			cancel()
		}
	}
	n.store.group.mu.Unlock()
	gone := make(chan error, 1)
	go func() {
		_, err := n.store.Append(cctx, "plan/gone", 0, event("plan/gone", 1, ""))
		gone <- err
	}()
	done := make(chan []appendResult, 1)
	streams := []string{"plan/stay1", "plan/stay2"}
	go func() {
		done <- appendAll(ctx, n.store, streams, []uint64{0, 0}, []events.Pending{event(streams[0], 1, ""), event(streams[1], 1, "")})
	}()
	select {
	case err := <-gone:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled append: got %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled append did not return within 10 s")
	}
	release()
	for i, r := range <-done {
		if r.err != nil || r.a.Version != 1 {
			t.Errorf("append %d: got %+v, %v", i, r.a, r.err)
		}
	}
	if v, _ := n.store.Version(ctx, "plan/gone"); v != 0 {
		t.Errorf("the cancelled append was written: version %d", v)
	}
	if h, _ := n.store.Head(ctx); h != 2 {
		t.Errorf("head %d, want 2", h)
	}
}

// A server whose batches are limited below the store's size refuses the
// first batch as too large; its appends are written one by one and later
// batches are smaller.
func TestGroupCommitServerBatchLimit(t *testing.T) {
	srv, err := server.NewServer(&server.Options{JetStream: true, StoreDir: t.TempDir(), DontListen: true, NoSigs: true,
		JetStreamLimits: server.JSLimitOpts{MaxBatchSize: 4}})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	nc, err := ConnectInProcess(srv, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := testCtx(t)
	s, err := Open(ctx, nc, Config{GroupCommit: true, Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.group.min = 2
	for round, size := range []int{8, 4} {
		release := holdGroup(t, s, size)
		streams, expected, es := make([]string, size), make([]uint64, size), make([]events.Pending, size)
		for i := range size {
			streams[i] = fmt.Sprintf("unit/r%d-%d", round, i)
			es[i] = event(streams[i], 1, "")
		}
		done := make(chan []appendResult, 1)
		go func() { done <- appendAll(ctx, s, streams, expected, es) }()
		release()
		for i, r := range <-done {
			if r.err != nil || r.a.Version != 1 {
				t.Fatalf("round %d append %d: got %+v, %v", round, i, r.a, r.err)
			}
			m, err := s.events.GetMsg(ctx, r.a.Position)
			if err != nil {
				t.Fatal(err)
			}
			if batched := m.Header.Get(hdrBatchID) != ""; batched != (round == 1) {
				t.Errorf("round %d append %d: batched %v", round, i, batched)
			}
		}
	}
	if s.group.limit != 4 {
		t.Errorf("batch limit %d after a refusal of 8, want 4", s.group.limit)
	}
}

// take groups the waiting appends in order, one per subject, up to the
// limit, and drops those whose callers left.
func TestGroupCommitTake(t *testing.T) {
	g := &groupCommit{limit: 3, min: 2}
	mk := func(subject string, gone bool) *groupAppend {
		a := &groupAppend{msg: &nats.Msg{Subject: subject}}
		a.gone.Store(gone)
		return a
	}
	g.queue = []*groupAppend{mk("a", false), mk("b", true), mk("a", false), mk("c", false), mk("d", false), mk("e", false)}
	subjects := func(as []*groupAppend) string {
		var s []string
		for _, a := range as {
			s = append(s, a.msg.Subject)
		}
		return strings.Join(s, ",")
	}
	for _, want := range []string{"a,c,d", "a,e", ""} {
		if got := subjects(g.take()); got != want {
			t.Errorf("take: got %q, want %q", got, want)
		}
	}
	if len(g.queue) != 0 {
		t.Errorf("queue left with %d appends", len(g.queue))
	}
}

// Open with GroupCommit makes an existing stream allow atomic publish, and
// without it accepts a stream that does.
func TestOpenGroupCommitExistingStream(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	ctx := testCtx(t)
	if n.store.group != nil || n.store.events.CachedInfo().Config.AllowAtomicPublish {
		t.Fatal("group commit on without GroupCommit")
	}
	s, err := Open(ctx, n.nc, Config{GroupCommit: true, Logger: testLogger})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	info, err := s.events.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.group == nil || !info.Config.AllowAtomicPublish || !info.Config.DenyDelete || !info.Config.DenyPurge {
		t.Fatalf("after Open with GroupCommit: group %v, config %+v", s.group != nil, info.Config)
	}
	cps, err := s.cps.Info(ctx)
	if err != nil || cps.Config.AllowAtomicPublish {
		t.Errorf("checkpoint stream: %+v, %v; want it left as it was", cps.Config, err)
	}
	plain, err := Open(ctx, n.nc, Config{Logger: testLogger})
	if err != nil {
		t.Fatalf("Open without GroupCommit on a stream that allows atomic publish: %v", err)
	}
	defer plain.Close()
	if plain.group != nil {
		t.Error("group commit on without GroupCommit")
	}
	if _, err := plain.Append(ctx, "unit/plain", 0, event("unit/plain", 1, "")); err != nil {
		t.Fatal(err)
	}
}

// unsafeConfig is blind to AllowAtomicPublish.
func TestUnsafeConfigAllowsAtomicPublish(t *testing.T) {
	c := natsjs.StreamConfig{Subjects: []string{"x.*"}, Storage: natsjs.FileStorage, Retention: natsjs.LimitsPolicy,
		DenyDelete: true, DenyPurge: true, Replicas: 1}
	want := c
	c.AllowAtomicPublish = true
	if p := unsafeConfig(c, want); len(p) != 0 {
		t.Errorf("AllowAtomicPublish: %q", p)
	}
}
