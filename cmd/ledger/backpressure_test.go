package main

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/jetstream"
	"github.com/mttq-vn/ledger/projections"
)

// countingSource is a projections.Source that counts what it hands to the
// runner, and how far ahead of the runner's applied position it gets, and
// reads its NATS connection's statistics to tell how much the client holds
// that was not yet handed over.
type countingSource struct {
	src    projections.Source
	nc     *nats.Conn
	runner atomic.Pointer[projections.Runner]
	base   nats.Statistics // the connection's counters before the runner started

	mu        sync.Mutex
	next      uint64 // the position expected next
	err       error  // the first position out of order
	delivered uint64
	bytes     uint64
	maxAhead  uint64 // most records handed over but not applied
}

func (c *countingSource) ReadLog(ctx context.Context, from uint64, fn func(events.Record) error) error {
	return c.src.ReadLog(ctx, from, c.count(fn))
}

func (c *countingSource) Follow(ctx context.Context, from uint64, fn func(events.Record) error) error {
	return c.src.Follow(ctx, from, c.count(fn))
}

func (c *countingSource) count(fn func(events.Record) error) func(events.Record) error {
	return func(r events.Record) error {
		c.mu.Lock()
		if r.Position != c.next && c.err == nil {
			c.err = fmt.Errorf("position %d handed over after %d", r.Position, c.next-1)
		}
		c.next = r.Position + 1
		c.delivered++
		c.bytes += uint64(len(r.Raw))
		if run := c.runner.Load(); run != nil {
			c.maxAhead = max(c.maxAhead, r.Position-run.Position())
		}
		c.mu.Unlock()
		return fn(r)
	}
}

// inClient returns the messages and bytes the NATS client received but has
// not handed over: buffered in the driver. The few API replies and
// heartbeats on the connection count too.
func (c *countingSource) inClient() (msgs, bytes uint64) {
	st := c.nc.Stats()
	c.mu.Lock()
	defer c.mu.Unlock()
	return st.InMsgs - c.base.InMsgs - c.delivered, st.InBytes - c.base.InBytes - c.bytes
}

// rebase forgets what the client received and never handed over, such as
// the messages past the head that a finished catch-up's reader had
// buffered, and the largest lead so far.
func (c *countingSource) rebase() {
	st := c.nc.Stats()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base.InMsgs, c.base.InBytes = st.InMsgs-c.delivered, st.InBytes-c.bytes
	c.maxAhead = 0
}

func (c *countingSource) handed() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.delivered
}

// bigEnvelope is benchEnvelope's event with a topic of size bytes.
func bigEnvelope(stream int, version uint64, prev string, i, size int) ([]byte, string) {
	return padEnvelope(stream, version, prev, i, strings.Repeat("Giám sát. ", size/len("Giám sát. ")+1)[:size])
}

// TestRunnerFarBehind holds a projection runner back (a reader holds the
// views' lock, so nothing can be applied) while it catches up on a backlog
// and while it follows the log, and keeps writing meanwhile. What waits
// for the runner is bounded: the records handed to it but not applied (the
// catch-up's ordered pipeline, counted by an instrumented Source) and what
// the NATS client holds for it (its pull requests: at most readBatch
// messages and readBytes bytes), whatever the length of the backlog. Once
// released, the runner applies every position once, in order, and the log
// verifies.
func TestRunnerFarBehind(t *testing.T) {
	const (
		size       = 16 << 10 // bytes of padding per event: 1,000 of them exceed the reader's byte bound
		perStream  = 10
		duringHold = 1000 // while it is held back catching up
		following  = 2000 // while it is held back following
		// The bounds: the catch-up's pipeline holds at most 4 batches of
		// 256 per worker in order plus three more (see events.ReadOrdered);
		// the runner publishes its position every 1,024 records while
		// catching up. The client holds at most one pull request's worth.
		clientBytes = 8<<20 + size + 1<<20 // readBytes, one event over it, 1 MiB of headers and replies
	)
	aheadBound := uint64((4*runtime.GOMAXPROCS(0)+3)*256 + 1024)
	// The backlog, before the runner starts, is longer than what the
	// pipeline and the client may hold, so that some of it must wait on
	// the server.
	backlog := (int(aheadBound) + 1500 + 8*perStream - 1) / (8 * perStream) * (8 * perStream)

	m := MustRunMain(t, "", func(c *ServeConfig) { c.Sync = "lazy" })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var written atomic.Int64
	write := func(n int) {
		t.Helper()
		first := int(written.Load()) / perStream
		var wg sync.WaitGroup
		errc := make(chan error, 8)
		for g := range 8 {
			wg.Go(func() {
				for s := first + g; s < first+n/perStream; s += 8 {
					var prev string
					for v := range perStream {
						raw, id := bigEnvelope(s, uint64(v), prev, s*perStream+v, size)
						a, err := m.Store.Append(ctx, fmt.Sprintf("supervision/s%d", s), uint64(v), events.Pending{ID: id, Raw: raw})
						if err != nil {
							errc <- err
							return
						}
						prev = a.Hash().String()
					}
				}
			})
		}
		wg.Wait()
		close(errc)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		written.Add(int64(n))
	}
	write(backlog)

	nc, err := jetstream.ConnectInProcess(m.NATSServer, "runner")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rs, err := jetstream.Open(ctx, nc, jetstream.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	src := &countingSource{src: rs, nc: nc, next: 1, base: nc.Stats()}
	runner := projections.NewRunner(src, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	src.runner.Store(runner)
	defer runner.Close()

	// hold keeps the views' read lock until the returned release is called.
	// A failing test releases it too, so that the runner can close.
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	hold := func() (release func()) {
		held, done := make(chan struct{}), make(chan struct{})
		go runner.Read(func(*projections.Views) { close(held); <-done })
		<-held
		release = sync.OnceFunc(func() { close(done) })
		releases = append(releases, release)
		return release
	}
	// saturated waits until the runner's source has handed nothing more
	// over for half a second: whatever the pipeline and the client can
	// hold is held. It bounds nothing; the checks after it do.
	saturated := func(what string) {
		t.Helper()
		last, since := src.handed(), time.Now()
		for deadline := time.Now().Add(30 * time.Second); time.Since(since) < 500*time.Millisecond; time.Sleep(20 * time.Millisecond) {
			if n := src.handed(); n != last {
				last, since = n, time.Now()
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the runner's source kept handing records over for 30 s while the runner was held", what)
			}
		}
	}
	check := func(what string, aheadBound uint64) {
		t.Helper()
		msgs, bytes := src.inClient()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		src.mu.Lock()
		ahead, handed := src.maxAhead, src.delivered
		src.mu.Unlock()
		t.Logf("%s: %d events written, %d handed to the runner, at most %d ahead of it (bound %d); the NATS client holds %d messages, %.1f MiB (bound %.1f MiB); heap in use %.0f MiB",
			what, written.Load(), handed, ahead, aheadBound, msgs, float64(bytes)/(1<<20), float64(clientBytes)/(1<<20), float64(ms.HeapInuse)/(1<<20))
		if ahead > aheadBound {
			t.Errorf("%s: %d records handed to the runner before it applied them, more than %d", what, ahead, aheadBound)
		}
		if bytes > clientBytes {
			t.Errorf("%s: the NATS client holds %d bytes for the runner, more than %d", what, bytes, clientBytes)
		}
		if waiting := uint64(written.Load()) - handed - msgs; waiting < 500 {
			t.Fatalf("%s: only %d of %d records wait on the server: the test did not hold the runner back far enough", what, waiting, written.Load())
		}
	}

	// 1. Catching up on the backlog, held back, while writes continue.
	release := hold()
	opened := make(chan error, 1)
	go func() { opened <- runner.Open(ctx) }()
	write(duringHold)
	saturated("catching up")
	check("catching up, held back", aheadBound)
	release()
	if err := <-opened; err != nil {
		t.Fatal(err)
	}

	// 2. Following, held back, while writes continue: the runner applies
	// each record before it takes the next.
	head, err := m.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.WaitPosition(ctx, head); err != nil {
		t.Fatal(err)
	}
	src.rebase()
	release = hold()
	write(following)
	saturated("following")
	check("following, held back", 1)
	release()

	head, err = m.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.WaitPosition(ctx, head); err != nil {
		t.Fatalf("the runner did not reach the head %d once released: at %d (%v)", head, runner.Position(), err)
	}
	src.mu.Lock()
	seqErr, handed := src.err, src.delivered
	src.mu.Unlock()
	if seqErr != nil || handed != head {
		t.Fatalf("the runner was handed %d records for a log of %d (%v)", handed, head, seqErr)
	}
	if err := m.Ledger.WaitCheckpoint(ctx, head); err != nil {
		t.Fatal(err)
	}
	rep, err := events.Verify(ctx, m.Store, events.VerifyOptions{VerifierKey: readFileTrim(t, m.Config.Data+"/checkpoint.pub")})
	if err != nil || !rep.OK() || rep.Events != head {
		t.Fatalf("verify: %v, %d events, problems %+v", err, rep.Events, rep.Problems)
	}
}
