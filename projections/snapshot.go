package projections

import (
	"bufio"
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
const SnapshotFormat = 1

// SnapshotStore keeps the latest snapshot of the views. events/jetstream
// keeps it in a JetStream object store next to the log.
type SnapshotStore interface {
	// LoadSnapshot opens the latest snapshot; events.ErrNotFound if none.
	LoadSnapshot(ctx context.Context) (io.ReadCloser, error)
	// SaveSnapshot replaces the snapshot with what r yields.
	SaveSnapshot(ctx context.Context, r io.Reader) error
}

// snapshot is the encoded form of the views: slices in a fixed order, so
// that the same views always encode to the same bytes.
type snapshot struct {
	Format int
	Config string
	Pos    uint64
	Items  []*Item
	Hashes []events.Hash
	Times  []int64
}

// Encode writes the views in the snapshot format. Equal views give equal
// bytes: a rebuild from zero and views caught up from a snapshot can be
// compared byte for byte.
func (v *Views) Encode(w io.Writer) error {
	items := make([]*Item, 0, len(v.items))
	for _, it := range v.items {
		items = append(items, it)
	}
	slices.SortFunc(items, func(a, b *Item) int {
		switch {
		case a.Created < b.Created:
			return -1
		case a.Created > b.Created:
			return 1
		}
		return 0
	})
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := gob.NewEncoder(bw).Encode(snapshot{Format: SnapshotFormat, Config: v.cfg.Digest(), Pos: v.pos, Items: items, Hashes: v.hashes, Times: v.times}); err != nil {
		return err
	}
	return bw.Flush()
}

// ErrStaleSnapshot says a snapshot was made by another format or under
// another configuration: the views must be rebuilt from the log.
var ErrStaleSnapshot = errors.New("projections: the snapshot was made by another version or configuration")

// DecodeViews reads views written by Encode under cfg.
func DecodeViews(r io.Reader, cfg *Config) (*Views, error) {
	var s snapshot
	if err := gob.NewDecoder(bufio.NewReaderSize(r, 1<<20)).Decode(&s); err != nil {
		return nil, fmt.Errorf("projections: reading the snapshot: %w", err)
	}
	if s.Format != SnapshotFormat || s.Config != cfg.Digest() {
		return nil, ErrStaleSnapshot
	}
	if uint64(len(s.Hashes)) != s.Pos || uint64(len(s.Times)) != s.Pos {
		return nil, fmt.Errorf("projections: the snapshot at position %d holds %d hashes", s.Pos, len(s.Hashes))
	}
	v := NewViews(cfg)
	v.pos, v.hashes, v.times = s.Pos, s.Hashes, s.Times
	for _, it := range s.Items {
		if it == nil || it.Created == 0 || it.Created > s.Pos {
			return nil, fmt.Errorf("projections: the snapshot holds an item outside its positions")
		}
		v.items[it.Stream()] = it
		v.order[it.Kind] = append(v.order[it.Kind], it)
	}
	v.reindex()
	return v, nil
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
	for _, kind := range slices.Sorted(maps.Keys(v.order)) {
		for _, it := range v.order[kind] {
			v.indexParties(it)
		}
	}
}
