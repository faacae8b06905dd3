package projections

import (
	"bufio"
	"cmp"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/mttq-vn/ledger/events"
)

// SnapshotFormat is the version of the snapshot encoding; a snapshot of
// another format is ignored and the views are rebuilt from the log.
const SnapshotFormat = 3 // 3: a complaint's second instance (PetFacts.Second*)

// SnapshotStore keeps the latest snapshot of the views. events/jetstream
// keeps it in a JetStream object store next to the log.
type SnapshotStore interface {
	// LoadSnapshot opens the latest snapshot; events.ErrNotFound if none.
	LoadSnapshot(ctx context.Context) (io.ReadCloser, error)
	// SaveSnapshot replaces the snapshot with what r yields.
	SaveSnapshot(ctx context.Context, r io.Reader) error
}

// The snapshot is a gob stream: a head, then the items in chunks ordered
// by creation, then the hashes and times in chunks, so that the same views
// always encode to the same bytes and no message is large (gob reads a
// message into one growing buffer).
type snapshotHead struct {
	Format int
	Config string
	Pos    uint64
	NItems int
}

// snapshotTail is a run of positions: their hashes end to end (gob writes
// a byte slice as one blob, an array of hashes byte by byte) and times.
type snapshotTail struct {
	Hashes []byte
	Times  []int64
}

const (
	snapshotItemChunk = 2048
	snapshotPosChunk  = 1 << 16
)

// Encode writes the views in the snapshot format. Equal views give equal
// bytes: a rebuild from zero and views caught up from a snapshot can be
// compared byte for byte.
func (v *Views) Encode(w io.Writer) error {
	items := make([]*Item, 0, len(v.items))
	for _, it := range v.items {
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b *Item) int { return cmp.Compare(a.Created, b.Created) })
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := gob.NewEncoder(bw)
	if err := enc.Encode(snapshotHead{Format: SnapshotFormat, Config: v.cfg.Digest(), Pos: v.pos, NItems: len(items)}); err != nil {
		return err
	}
	for chunk := range slices.Chunk(items, snapshotItemChunk) {
		if err := enc.Encode(chunk); err != nil {
			return err
		}
	}
	for i := 0; i < len(v.hashes); i += snapshotPosChunk {
		j := min(i+snapshotPosChunk, len(v.hashes))
		if err := enc.Encode(snapshotTail{Hashes: hashBytes(v.hashes[i:j]), Times: v.times[i:j]}); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ErrStaleSnapshot says a snapshot was made by another format or under
// another configuration: the views must be rebuilt from the log.
var ErrStaleSnapshot = errors.New("projections: the snapshot was made by another version or configuration")

// DecodeViews reads views written by Encode under cfg.
func DecodeViews(r io.Reader, cfg *Config) (*Views, error) {
	dec := gob.NewDecoder(bufio.NewReaderSize(r, 1<<20))
	var head snapshotHead
	if err := dec.Decode(&head); err != nil {
		return nil, fmt.Errorf("projections: reading the snapshot: %w", err)
	}
	if head.Format != SnapshotFormat || head.Config != cfg.Digest() {
		return nil, ErrStaleSnapshot
	}
	if head.NItems < 0 || uint64(head.NItems) > head.Pos {
		return nil, fmt.Errorf("projections: the snapshot at position %d says it holds %d items", head.Pos, head.NItems)
	}
	v := NewViews(cfg)
	v.pos = head.Pos
	for n := 0; n < head.NItems; {
		var chunk []*Item
		if err := dec.Decode(&chunk); err != nil {
			return nil, fmt.Errorf("projections: reading the snapshot's items: %w", err)
		}
		if len(chunk) == 0 || n+len(chunk) > head.NItems {
			return nil, fmt.Errorf("projections: the snapshot holds more items than it says")
		}
		n += len(chunk)
		for _, it := range chunk {
			if it == nil || it.Created == 0 || it.Created > head.Pos || !validFields(it.Data) {
				return nil, fmt.Errorf("projections: the snapshot holds an item outside its positions or with damaged fields")
			}
			v.items[it.Stream()] = it
			v.order[it.Kind] = append(v.order[it.Kind], it)
		}
	}
	// Capacity for the hashes the head announces, within reason: the head
	// is not trusted to size memory (they are appended as they come).
	v.hashes = make([]events.Hash, 0, min(head.Pos, 1<<21))
	v.times = make([]int64, 0, min(head.Pos, 1<<21))
	for uint64(len(v.hashes)) < head.Pos {
		var tail snapshotTail
		if err := dec.Decode(&tail); err != nil {
			return nil, fmt.Errorf("projections: reading the snapshot's hashes: %w", err)
		}
		n := len(tail.Times)
		if n == 0 || len(tail.Hashes) != n*len(events.Hash{}) || uint64(len(v.hashes)+n) > head.Pos {
			return nil, fmt.Errorf("projections: the snapshot at position %d holds damaged hashes", head.Pos)
		}
		v.hashes = appendHashes(v.hashes, tail.Hashes)
		v.times = append(v.times, tail.Times...)
	}
	v.reindex()
	return v, nil
}

func hashBytes(hs []events.Hash) []byte {
	b := make([]byte, 0, len(hs)*len(events.Hash{}))
	for _, h := range hs {
		b = append(b, h[:]...)
	}
	return b
}

func appendHashes(hs []events.Hash, b []byte) []events.Hash {
	for ; len(b) >= len(events.Hash{}); b = b[len(events.Hash{}):] {
		hs = append(hs, events.Hash(b))
	}
	return hs
}

// reindex rebuilds the derived indexes from the items.
func (v *Views) reindex() {
	v.children = map[string][]string{}
	v.byParty = map[string][]*Item{}
	for _, it := range v.order[events.KindUnit] {
		if f := it.Facts.Unit; f != nil && f.Parent != "" {
			v.children[f.Parent] = append(v.children[f.Parent], it.ID)
		}
	}
	v.byUnit = map[string][]*Item{}
	for _, kind := range slices.Sorted(maps.Keys(v.order)) {
		for _, it := range v.order[kind] {
			v.indexParties(it)
			v.indexUnit(it)
		}
	}
	v.indexObligations()
}

// indexObligations builds the tallies and the index of due dates from the
// items, once the unit index is made: after a snapshot load, or after a
// bulk build that left them out (Views.deferred).
func (v *Views) indexObligations() {
	v.byDue = map[events.Date]map[*Item]struct{}{}
	v.tallies = map[string][]tally{}
	for k, items := range v.byUnit {
		if tallied(items[0].Kind) {
			v.tallies[k] = make([]tally, len(items))
		}
	}
	for _, kind := range slices.Sorted(maps.Keys(v.order)) {
		for _, it := range v.order[kind] {
			it.dues = nil
			obligations := v.obligationsOf(it)
			v.updateTally(it, obligations)
			v.indexDues(it, obligations)
		}
	}
}
