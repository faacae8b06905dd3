// Package inmem is an in-memory events.Store: for development, and for fast
// tests of the code above the store. It passes the same conformance suite
// (events/eventstest) as the durable adapters.
package inmem

import (
	"context"
	"sync"

	"github.com/mttq-vn/ledger/events"
)

// Store is an in-memory events.Store. The zero value is not usable; call
// NewStore.
type Store struct {
	mu          sync.Mutex
	records     []events.Record     // records[i] has position i+1
	streams     map[string][]uint64 // stream -> positions in version order
	keys        map[string]uint64   // dedup key -> position
	checkpoints []checkpoint        // in the order stored
	cpSizes     map[uint64]bool
	changed     chan struct{} // closed and replaced on every append
	closed      bool
}

type checkpoint struct {
	size uint64
	note []byte
}

var _ events.Store = (*Store)(nil)

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		streams: make(map[string][]uint64),
		keys:    make(map[string]uint64),
		cpSizes: make(map[uint64]bool),
		changed: make(chan struct{}),
	}
}

// Append implements events.Store.
func (s *Store) Append(ctx context.Context, stream string, expected uint64, e events.Pending) (events.Appended, error) {
	if err := ctx.Err(); err != nil {
		return events.Appended{}, err
	}
	if !events.ValidStream(stream) {
		return events.Appended{}, events.Errorf(events.EInvalid, "Malformed stream name %q.", stream)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return events.Appended{}, events.Errorf(events.EUnavailable, "The store is closed.")
	}
	if pos, ok := s.keys[e.DedupKey()]; ok {
		first := s.records[pos-1]
		if first.Stream == stream && first.Version == expected+1 {
			return events.Appended{Record: clone(first), Duplicate: true}, nil
		}
		return events.Appended{}, events.Errorf(events.EConflict, "Idempotency key %q was already used for %s version %d.", e.DedupKey(), first.Stream, first.Version)
	}
	cur := uint64(len(s.streams[stream]))
	if cur != expected {
		return events.Appended{}, &events.VersionConflict{Stream: stream, Expected: expected, Current: cur}
	}
	rec := events.Record{
		Position: uint64(len(s.records)) + 1,
		Stream:   stream,
		Version:  expected + 1,
		ID:       e.ID,
		Key:      e.Key,
		Raw:      append([]byte(nil), e.Raw...),
	}
	s.records = append(s.records, rec)
	s.streams[stream] = append(s.streams[stream], rec.Position)
	s.keys[e.DedupKey()] = rec.Position
	close(s.changed)
	s.changed = make(chan struct{})
	return events.Appended{Record: clone(rec)}, nil
}

// Load implements events.Store.
func (s *Store) Load(ctx context.Context, stream string) ([]events.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]events.Record, 0, len(s.streams[stream]))
	for _, pos := range s.streams[stream] {
		out = append(out, clone(s.records[pos-1]))
	}
	return out, nil
}

// Version implements events.Store.
func (s *Store) Version(ctx context.Context, stream string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(len(s.streams[stream])), nil
}

// Get implements events.Store.
func (s *Store) Get(ctx context.Context, position uint64) (events.Record, error) {
	if err := ctx.Err(); err != nil {
		return events.Record{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if position == 0 || position > uint64(len(s.records)) {
		return events.Record{}, events.ErrNotFound
	}
	return clone(s.records[position-1]), nil
}

// Head implements events.Store.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return uint64(len(s.records)), nil
}

// ReadLog implements events.Store.
func (s *Store) ReadLog(ctx context.Context, from uint64, fn func(events.Record) error) error {
	head, err := s.Head(ctx)
	if err != nil {
		return err
	}
	_, err = s.read(ctx, max(from, 1), head, fn)
	return err
}

// read delivers positions from..to and returns the next position.
func (s *Store) read(ctx context.Context, from, to uint64, fn func(events.Record) error) (uint64, error) {
	for pos := from; pos <= to; pos++ {
		if err := ctx.Err(); err != nil {
			return pos, err
		}
		s.mu.Lock()
		rec := clone(s.records[pos-1])
		s.mu.Unlock()
		if err := fn(rec); err != nil {
			return pos, err
		}
	}
	return to + 1, nil
}

// Follow implements events.Store.
func (s *Store) Follow(ctx context.Context, from uint64, fn func(events.Record) error) error {
	next := max(from, 1)
	for {
		s.mu.Lock()
		head := uint64(len(s.records))
		changed := s.changed
		s.mu.Unlock()
		if next <= head {
			var err error
			if next, err = s.read(ctx, next, head, fn); err != nil {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// PutCheckpoint implements events.Store.
func (s *Store) PutCheckpoint(ctx context.Context, size uint64, note []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cpSizes[size] {
		return nil
	}
	s.cpSizes[size] = true
	s.checkpoints = append(s.checkpoints, checkpoint{size, append([]byte(nil), note...)})
	return nil
}

// Checkpoints implements events.Store.
func (s *Store) Checkpoints(ctx context.Context, fn func(size uint64, note []byte) error) error {
	s.mu.Lock()
	cps := append([]checkpoint(nil), s.checkpoints...)
	s.mu.Unlock()
	for _, cp := range cps {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(cp.size, append([]byte(nil), cp.note...)); err != nil {
			return err
		}
	}
	return nil
}

// LatestCheckpoint implements events.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (uint64, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.checkpoints) == 0 {
		return 0, nil, events.ErrNotFound
	}
	cp := s.checkpoints[len(s.checkpoints)-1]
	return cp.size, append([]byte(nil), cp.note...), nil
}

// Close implements events.Store. Later appends fail with code unavailable.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func clone(r events.Record) events.Record {
	r.Raw = append([]byte(nil), r.Raw...)
	return r
}
