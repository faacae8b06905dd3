package esdb

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"

	kurrent "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/mttq-vn/ledger/events"
)

// index numbers the ledger's events densely: position p (1, 2, 3, ...) is
// the p-th event of $all whose stream starts with the store's prefix, in
// $all order. Every process reading the same server computes the same
// numbering, so nothing needs to be stored or agreed on to number an
// event: the number is derived, not written (see doc.go for why).
//
// The index holds, per position, the event's $all position (16 bytes), a
// window of the latest event IDs (to refuse an idempotency key reused for
// another append) and a small cache of the latest records, which serves
// Follow, Append and Get without a second read from the server.
type index struct {
	prefix string

	mu      sync.Mutex
	pos     []kurrent.Position // pos[p-1] is the $all position of position p
	scanned kurrent.Position   // the last $all position read, of any stream
	started bool               // whether scanned is set
	ids     map[uuid.UUID]uint64
	window  int             // how many IDs ring keeps
	ring    []uuid.UUID     // IDs of the latest window positions: ring[(p-1)%window], grown on demand
	tail    []events.Record // the latest len(tail) records: tail[(p-1)%len(tail)]
	grew    chan struct{}   // closed and replaced whenever the index grows

	// One catch-up runs at a time; a caller whose request came before a
	// run started is served by that run and need not start another.
	scan   chan struct{}
	asked  atomic.Uint64
	served uint64 // guarded by scan
}

func newIndex(prefix string, window, tail int) *index {
	return &index{
		prefix: prefix,
		ids:    make(map[uuid.UUID]uint64),
		window: max(window, 1),
		tail:   make([]events.Record, max(tail, 1)),
		grew:   make(chan struct{}),
		scan:   make(chan struct{}, 1),
	}
}

// head returns the number of indexed events and a channel closed when the
// index next grows.
func (ix *index) head() (uint64, <-chan struct{}) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return uint64(len(ix.pos)), ix.grew
}

// at returns the $all position of position p.
func (ix *index) at(p uint64) (kurrent.Position, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if p == 0 || p > uint64(len(ix.pos)) {
		return kurrent.Position{}, false
	}
	return ix.pos[p-1], true
}

// find returns the position of the event at $all position at, and whether
// at lies within the part of $all read so far (if not, a catch-up may
// find it).
func (ix *index) find(at kurrent.Position) (p uint64, found, covered bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	i := sort.Search(len(ix.pos), func(i int) bool { return !before(ix.pos[i], at) })
	if i < len(ix.pos) && ix.pos[i] == at {
		return uint64(i) + 1, true, true
	}
	return 0, false, ix.started && !before(ix.scanned, at)
}

// lookupID returns the latest position holding event ID id, if it is
// among the latest window positions.
func (ix *index) lookupID(id uuid.UUID) (uint64, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	p, ok := ix.ids[id]
	return p, ok
}

// cached returns a copy of the record at position p if the cache holds it.
func (ix *index) cached(p uint64) (events.Record, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if p == 0 || p > uint64(len(ix.pos)) {
		return events.Record{}, false
	}
	r := ix.tail[(p-1)%uint64(len(ix.tail))]
	if r.Position != p {
		return events.Record{}, false
	}
	r.Raw = append([]byte(nil), r.Raw...)
	return r, true
}

// add appends the events of one page of $all, read after the index's end,
// and notes how far $all was read. Events outside the prefix only move
// scanned on.
func (ix *index) add(page []*kurrent.RecordedEvent, scanned kurrent.Position) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	n := len(ix.pos)
	for _, ev := range page {
		if len(ix.pos) > 0 && !before(ix.pos[len(ix.pos)-1], ev.Position) {
			continue // already indexed (a page boundary read twice)
		}
		ix.pos = append(ix.pos, ev.Position)
		p := uint64(len(ix.pos))
		w := uint64(ix.window)
		if p > w {
			slot := (p - 1) % w
			if old := ix.ring[slot]; ix.ids[old] == p-w {
				delete(ix.ids, old)
			}
			ix.ring[slot] = ev.EventID
		} else {
			ix.ring = append(ix.ring, ev.EventID) // len(ring) == p-1 until it is full
		}
		ix.ids[ev.EventID] = p
		// A record that does not map is not cached: readers then read it
		// from the server and report what is wrong with it.
		var rec events.Record
		if r, err := recordOf(ev, ix.prefix); err == nil {
			rec = r
			rec.Position = p
		}
		ix.tail[(p-1)%uint64(len(ix.tail))] = rec
	}
	if !ix.started || before(ix.scanned, scanned) {
		ix.scanned, ix.started = scanned, true
	}
	if len(ix.pos) > n {
		close(ix.grew)
		ix.grew = make(chan struct{})
	}
}

// from returns where the next catch-up starts reading $all.
func (ix *index) from() (kurrent.AllPosition, *kurrent.Position) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.started {
		return kurrent.Start{}, nil
	}
	p := ix.scanned
	return p, &p
}

// catchUp reads $all from where the index ends to the end of $all as it
// stands, through read, and returns the new head. Concurrent callers share
// runs: a caller waits for the first run that started after it asked.
func (ix *index) catchUp(ctx context.Context, read func(ctx context.Context, from kurrent.AllPosition, after *kurrent.Position, ix *index) error) (uint64, error) {
	ticket := ix.asked.Add(1)
	select {
	case ix.scan <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-ix.scan }()
	if ix.served < ticket {
		start := ix.asked.Load()
		from, after := ix.from()
		if err := read(ctx, from, after, ix); err != nil {
			return 0, err
		}
		ix.served = start
	}
	h, _ := ix.head()
	return h, nil
}
