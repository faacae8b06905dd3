package jetstream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

// Headers of JetStream's atomic batch publish (nats-server 2.12 and later).
// The server stores them with each message of a batch.
const (
	hdrBatchID     = "Nats-Batch-Id"
	hdrBatchSeq    = "Nats-Batch-Sequence"
	hdrBatchCommit = "Nats-Batch-Commit"
)

const (
	// maxBatch bounds the appends in one atomic batch. The server's own
	// limit is 1,000 unless its operator lowered it; a refusal for size
	// halves the store's limit (see groupCommit.limit).
	maxBatch = 256
	// minBatch is the fewest waiting appends sent as one atomic batch;
	// fewer are published one by one. A batch has a fixed cost: on a
	// 1-replica file stream the server stages it in a file store of its
	// own, created and removed for the batch, about four fsyncs and a dozen
	// file operations (measured on the development machine: 4-6 ms for a
	// batch of one, 0.05 ms more per message, against 0.3-0.45 ms for a
	// message fsynced alone), so below a dozen messages single publishes
	// are cheaper.
	minBatch = 12
	// errCodeBatchTooLarge is the server's refusal of a batch above its
	// limit (JSAtomicPublishTooLargeBatchErrF).
	errCodeBatchTooLarge = 10199
)

// errBatchFailed is the answer to an append whose atomic batch was refused
// or whose outcome is unknown: the append must be published on its own.
var errBatchFailed = errors.New("jetstream: the atomic batch failed")

// groupCommit publishes concurrent appends together. An append is queued
// while an earlier group is in flight; when that group is settled, the
// appends that are waiting go out together: as one atomic batch if there
// are at least minBatch of them, otherwise as single publishes. On an idle
// store an append goes out at once, alone, from its caller's goroutine, as
// without group commit.
//
// A batch is committed as a whole or not at all. If the server refuses it
// (a stale expected version, a dedup key already used, anything else) or
// its answer is lost, every append in it gets errBatchFailed and is
// published again on its own, where conflicts and duplicates are told
// apart one by one. Only one group is in flight at a time: under
// SyncAlways the server writes one message or batch at a time anyway, and
// the appends that arrive meanwhile make the next batch.
type groupCommit struct {
	s      *Store
	nc     *nats.Conn
	prefix string // of batch IDs: random, unique to this store
	seq    atomic.Uint64

	mu      sync.Mutex
	queue   []*groupAppend
	running bool          // a group is in flight
	idle    chan struct{} // closed when running becomes false; nil if nobody waits
	limit   int           // largest batch to send; maxBatch, halved on refusals for size
	min     int           // minBatch; tests lower it

	// queued, if set, is called with the queue's length after each
	// append is queued. Tests use it.
	queued func(n int)
}

// groupAppend is one append waiting in a group commit.
type groupAppend struct {
	stream  string
	version uint64
	msg     *nats.Msg
	// gone is set when the caller stopped waiting; an append not yet sent
	// is then dropped.
	gone atomic.Bool
	done chan groupResult // buffered: the sender never blocks
}

type groupResult struct {
	ack *natsjs.PubAck
	err error
}

func newGroupCommit(s *Store, nc *nats.Conn) *groupCommit {
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return &groupCommit{s: s, nc: nc, prefix: hex.EncodeToString(b[:]) + "-", limit: maxBatch, min: minBatch}
}

// submit publishes msg, the append of version of stream, and waits for
// its acknowledgement. If no group is in flight, msg goes out at once, on
// its own, from the caller's goroutine: an idle store costs what it costs
// without group commit. Otherwise msg waits for the next group. It returns
// errBatchFailed if the append must be published on its own, and ctx.Err()
// if ctx ends first (the append may still happen; a retry will find it).
func (g *groupCommit) submit(ctx context.Context, stream string, version uint64, msg *nats.Msg) (*natsjs.PubAck, error) {
	g.mu.Lock()
	if !g.running {
		// The queue is empty too: run stops only when it is.
		g.running = true
		g.mu.Unlock()
		return g.alone(ctx, msg)
	}
	a := &groupAppend{stream: stream, version: version, msg: msg, done: make(chan groupResult, 1)}
	g.queue = append(g.queue, a)
	n, queued := len(g.queue), g.queued
	g.mu.Unlock()
	if queued != nil {
		queued(n)
	}
	select {
	case r := <-a.done:
		return r.ack, r.err
	case <-ctx.Done():
		a.gone.Store(true)
		return nil, ctx.Err()
	}
}

// alone publishes msg as a group of one, from the caller's goroutine, and
// then hands on to the appends that queued meanwhile.
func (g *groupCommit) alone(ctx context.Context, msg *nats.Msg) (*natsjs.PubAck, error) {
	fut, err := g.s.js.PublishMsgAsync(msg)
	if err != nil {
		g.next()
		return nil, err
	}
	select {
	case ack := <-fut.Ok():
		g.next()
		return ack, nil
	case err := <-fut.Err():
		g.next()
		return nil, err
	case <-ctx.Done():
		// The group ends when the driver settles the future (at the
		// latest after ackTimeout).
		go func() {
			select {
			case <-fut.Ok():
			case <-fut.Err():
			}
			g.next()
		}()
		return nil, ctx.Err()
	}
}

// next ends the group in flight: it sends the appends that are waiting, in
// a goroutine of their own, or marks the store idle.
func (g *groupCommit) next() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) > 0 {
		go g.run()
		return
	}
	g.stop()
}

// stop marks the store idle. g.mu must be held.
func (g *groupCommit) stop() {
	g.running = false
	if g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
}

// run sends groups until the queue is empty.
func (g *groupCommit) run() {
	for {
		g.mu.Lock()
		group := g.take()
		if len(group) == 0 {
			g.stop()
			g.mu.Unlock()
			return
		}
		batch := len(group) >= g.min
		g.mu.Unlock()
		if batch {
			g.sendBatch(group)
		} else {
			g.sendSingles(group)
		}
	}
}

// take removes the next group from the queue: the waiting appends in
// order, up to the batch limit, at most one per subject (the server
// refuses a batch with two expected-sequence checks on one subject; the
// later append waits for the next group). Appends whose callers left are
// dropped. g.mu must be held.
func (g *groupCommit) take() []*groupAppend {
	var group, rest []*groupAppend
	var subjects map[string]bool
	for _, a := range g.queue {
		switch {
		case a.gone.Load():
			continue
		case len(group) < g.limit && !subjects[a.msg.Subject]:
			group = append(group, a)
			if len(g.queue) > 1 {
				if subjects == nil {
					subjects = make(map[string]bool, min(len(g.queue), g.limit))
				}
				subjects[a.msg.Subject] = true
			}
		default:
			rest = append(rest, a)
		}
	}
	clear(g.queue)
	g.queue = append(g.queue[:0], rest...)
	return group
}

// sendSingles publishes each append of group as a message of its own,
// pipelined, and hands each its acknowledgement as it comes. The driver's
// pending limit has room for them without taking slots: they are fewer
// than minBatch, well under its margin above maxInFlight.
func (g *groupCommit) sendSingles(group []*groupAppend) {
	futs := make([]natsjs.PubAckFuture, len(group))
	for i, a := range group {
		f, err := g.s.js.PublishMsgAsync(a.msg)
		if err != nil {
			a.done <- groupResult{err: err}
			continue
		}
		futs[i] = f
	}
	for i, f := range futs {
		if f == nil {
			continue
		}
		select {
		case ack := <-f.Ok():
			group[i].done <- groupResult{ack: ack}
		case err := <-f.Err():
			group[i].done <- groupResult{err: err}
		}
	}
}

// batchAck is the server's answer to the commit of an atomic batch: the
// position of its last message, its ID and its size, or an error.
type batchAck struct {
	Sequence uint64           `json:"seq"`
	Batch    string           `json:"batch"`
	Count    int              `json:"count"`
	Error    *natsjs.APIError `json:"error"`
}

// sendBatch publishes group as one atomic batch. The messages before the
// last go without a reply subject (the server answers only the commit);
// the commit's answer carries the position of the last message, and the
// server stores a batch at consecutive positions, so the i-th of n appends
// is at last-n+1+i.
func (g *groupCommit) sendBatch(group []*groupAppend) {
	id := g.prefix + strconv.FormatUint(g.seq.Add(1), 36)
	n := len(group)
	var (
		resp *nats.Msg
		err  error
	)
	for i, a := range group {
		// The caller's message stays as it is, for a single publish if
		// the batch fails.
		h := make(nats.Header, len(a.msg.Header)+3)
		maps.Copy(h, a.msg.Header)
		h[hdrBatchID] = []string{id}
		h[hdrBatchSeq] = []string{strconv.Itoa(i + 1)}
		m := &nats.Msg{Subject: a.msg.Subject, Header: h, Data: a.msg.Data}
		if i < n-1 {
			if err = g.nc.PublishMsg(m); err != nil {
				break
			}
			continue
		}
		h[hdrBatchCommit] = []string{"1"}
		ctx, cancel := context.WithTimeout(context.Background(), ackTimeout)
		resp, err = g.nc.RequestMsgWithContext(ctx, m)
		cancel()
	}
	var ack batchAck
	if err == nil {
		if err = json.Unmarshal(resp.Data, &ack); err == nil {
			switch {
			case ack.Error != nil:
				err = ack.Error
			case ack.Batch != id || ack.Count != n || ack.Sequence < uint64(n):
				err = fmt.Errorf("unexpected acknowledgement %s", resp.Data)
			}
		}
	}
	if err != nil {
		var apiErr *natsjs.APIError
		if errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeBatchTooLarge {
			limit := max(1, n/2)
			g.mu.Lock()
			g.limit = limit
			g.mu.Unlock()
			g.s.log.Warn("the server refused an atomic batch as too large; later batches are smaller", "size", n, "limit", limit, "err", err)
		} else {
			g.s.log.Debug("atomic batch failed; its appends are published one by one", "size", n, "err", err)
		}
		for _, a := range group {
			a.done <- groupResult{err: errBatchFailed}
		}
		return
	}
	first := ack.Sequence - uint64(n) + 1
	for i, a := range group {
		seq := first + uint64(i)
		g.s.remember(a.stream, position{a.version, seq})
		a.done <- groupResult{ack: &natsjs.PubAck{Stream: g.s.cfg.StreamName, Sequence: seq}}
	}
}

// wait waits until no group is in flight, or timeout. It reports whether
// the store went idle.
func (g *groupCommit) wait(timeout time.Duration) bool {
	g.mu.Lock()
	if !g.running {
		g.mu.Unlock()
		return true
	}
	if g.idle == nil {
		g.idle = make(chan struct{})
	}
	idle := g.idle
	g.mu.Unlock()
	select {
	case <-idle:
		return true
	case <-time.After(timeout):
		return false
	}
}
