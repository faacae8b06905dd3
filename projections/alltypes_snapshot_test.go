package projections_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// TestEveryTypeSnapshotCatchUp stores every event type the ledger knows
// (its golden example, events/testdata/golden), on one stream of its kind
// after the creation event, and checks that views saved as a snapshot at
// every position, loaded and caught up, are byte-identical to a rebuild
// from zero, and read the same (items, flags). A new type is covered as
// soon as it has its golden file.
func TestEveryTypeSnapshotCatchUp(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	byKind := map[events.Kind][]events.Type{}
	for _, ty := range events.Types() {
		byKind[ty.Kind()] = append(byKind[ty.Kind()], ty)
	}
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		types := byKind[k]
		// The creation event first.
		slices.SortStableFunc(types, func(a, b events.Type) int {
			switch {
			case events.IsCreation(a) == events.IsCreation(b):
				return 0
			case events.IsCreation(a):
				return -1
			}
			return 1
		})
		stream := events.StreamName(k, "every-"+string(k))
		var ver uint64
		prev := ""
		for _, ty := range types {
			b, err := os.ReadFile(filepath.Join("..", "events", "testdata", "golden", string(ty)+".json"))
			if err != nil {
				t.Fatal(err)
			}
			env, err := events.ParseStored(b)
			if err != nil {
				t.Fatal(err)
			}
			env.Stream, env.Version, env.PrevHash, env.ID, env.IdempotencyKey = stream, ver+1, prev, fmt.Sprintf("every-%s-%d", k, ver+1), ""
			raw, err := env.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.store.Append(ctx, stream, ver, events.Pending{ID: env.ID, Raw: raw}); err != nil {
				t.Fatalf("%s: %v", ty, err)
			}
			ver++
			prev = events.HashOf(raw).String()
		}
	}
	v := w.build()
	var full bytes.Buffer
	if err := v.Encode(&full); err != nil {
		t.Fatal(err)
	}
	r := projections.NewRunner(w.store, v.Config(), nil, nil)
	const today = events.Date("2025-07-01")
	for pos := uint64(1); pos < v.Position(); pos++ {
		loaded := caughtUpFrom(t, r, v.Config(), pos, full.Bytes())
		if got, want := loaded.Flags(today), v.Flags(today); !reflect.DeepEqual(got, want) {
			t.Fatalf("a snapshot at %d, caught up: flags differ:\n%+v\n%+v", pos, got, want)
		}
		for k := range byKind {
			a, _ := v.List(projections.Query{Kind: k, Today: today, Limit: 1 << 30})
			b, _ := loaded.List(projections.Query{Kind: k, Today: today, Limit: 1 << 30})
			ja, _ := json.Marshal(views(v, a, today))
			jb, _ := json.Marshal(views(loaded, b, today))
			if !bytes.Equal(ja, jb) {
				t.Fatalf("a snapshot at %d, caught up: %s differ:\n%s\n%s", pos, k, jb, ja)
			}
		}
	}
}

func views(v *projections.Views, items []*projections.Item, today events.Date) []projections.ItemView {
	out := make([]projections.ItemView, len(items))
	for i, it := range items {
		out[i] = v.View(it, today, 0)
	}
	return out
}

// caughtUpFrom builds the views of r's log up to pos, saves them as a
// snapshot, loads it and catches up to the log's end, as a restart does,
// and checks that they encode as full, the rebuild's.
func caughtUpFrom(t *testing.T, r *projections.Runner, cfg *projections.Config, pos uint64, full []byte) *projections.Views {
	t.Helper()
	ctx := context.Background()
	mid, err := r.Build(ctx, pos)
	if err != nil {
		t.Fatal(err)
	}
	var snap bytes.Buffer
	if err := mid.Encode(&snap); err != nil {
		t.Fatal(err)
	}
	loaded, err := projections.DecodeViews(&snap, cfg)
	if err != nil {
		t.Fatalf("snapshot at %d: %v", pos, err)
	}
	if err := r.CatchUp(ctx, loaded, 0); err != nil {
		t.Fatal(err)
	}
	var caught bytes.Buffer
	loaded.Encode(&caught)
	if !bytes.Equal(caught.Bytes(), full) {
		t.Fatalf("a snapshot at %d, caught up to %d, differs from the rebuild", pos, loaded.Position())
	}
	return loaded
}
