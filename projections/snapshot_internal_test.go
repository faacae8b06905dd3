package projections

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/events"
)

// Damaged or hostile snapshots give an error: no panic, and no memory
// sized from a count the snapshot claims.
func TestDecodeViewsRefusesDamage(t *testing.T) {
	cfg := DefaultConfig()
	frame := func(b []byte) []byte { return append(binary.AppendUvarint(nil, uint64(len(b))), b...) }
	encode := func(head snapshotHead, frames ...any) []byte {
		var h bytes.Buffer
		if err := gob.NewEncoder(&h).Encode(head); err != nil {
			t.Fatal(err)
		}
		out := h.Bytes()
		for _, f := range frames {
			if b, ok := f.([]byte); ok {
				out = append(out, frame(b)...)
				continue
			}
			items := f.([]*Item)
			out = append(out, frame(events.AppendCompact(nil, &items))...)
		}
		return out
	}
	head := snapshotHead{Format: SnapshotFormat, Config: cfg.Digest(), Layout: itemLayout()}
	huge := head
	huge.Pos = 1 << 60
	damaged := head
	damaged.Pos, damaged.NItems = 1, 1
	unit := &Item{Kind: events.KindUnit, ID: "u1", Created: 1, Data: encodeFields([]Field{{"k", []byte(`"v"`), events.Public}})}
	two := damaged
	two.Pos, two.NItems = 3, 2
	hashes := func(n int, extra ...byte) []byte {
		b := binary.AppendUvarint(nil, uint64(n))
		b = append(b, make([]byte, n*len(events.Hash{}))...)
		for range n {
			b = binary.AppendVarint(b, 7)
		}
		return append(b, extra...)
	}
	for name, b := range map[string][]byte{
		"a position of 2^60 and no hashes": encode(huge),
		"an item with damaged fields": encode(damaged, []*Item{{Kind: events.KindUnit, ID: "u1", Created: 1,
			Data: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'k', 0, 0}}}),
		"a frame of 2^40 bytes":          append(encode(damaged), binary.AppendUvarint(nil, 1<<40)...),
		"a frame cut short":              append(encode(damaged), 0x80, 0x01, 1, 2, 3),
		"a segment that is damaged":      encode(damaged, []byte("damaged")),
		"a nil item":                     encode(damaged, []*Item{nil}),
		"fewer items than the head says": encode(two, []*Item{unit}),
		"more items than the head says":  encode(damaged, []*Item{unit, unit}),
		"more hashes than positions":     encode(damaged, []*Item{unit}, hashes(2)),
		"no hashes":                      encode(damaged, []*Item{unit}, hashes(0)),
		"hashes without their times":     encode(damaged, []*Item{unit}, hashes(1)[:33]),
		"bytes after the times":          encode(damaged, []*Item{unit}, hashes(1, 9)),
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: DecodeViews panics: %v", name, r)
				}
			}()
			if _, err := DecodeViews(bytes.NewReader(b), cfg); err == nil {
				t.Errorf("%s: decoded", name)
			} else if !strings.HasPrefix(err.Error(), "projections: ") || errors.Is(err, ErrStaleSnapshot) {
				t.Errorf("%s: %v", name, err)
			} else {
				t.Logf("%s: %v", name, err)
			}
		}()
	}
}

// A key length near 2^64 is a damaged entry, not a slice out of range.
func TestReadEntryHugeKeyLength(t *testing.T) {
	b := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'k', 0, 0}
	if _, ok := readEntry(b, 0); ok {
		t.Error("readEntry accepted a key of 2^64-1 bytes")
	}
	if validFields(b) {
		t.Error("validFields accepted it")
	}
	if it := (&Item{Data: b}); it.Field("k") != nil {
		t.Error("Field found a value in damaged data")
	}
	good := encodeFields([]Field{{"k", []byte(`"v"`), events.Public}})
	if !validFields(good) || string((&Item{Data: good}).Field("k")) != `"v"` {
		t.Error("a good entry is refused")
	}
}

// An item whose parties change back and forth is indexed once under each:
// a party's trail counts its obligations once.
func TestIndexPartiesOnce(t *testing.T) {
	v := NewViews(DefaultConfig())
	it := &Item{Kind: events.KindPetition, ID: "p1", Facts: Facts{Pet: &PetFacts{}}}
	for _, to := range []string{"a", "b", "a", "b", "a"} {
		it.Facts.Pet.ForwardedTo = to
		v.indexParties(it)
	}
	for _, p := range []string{"a", "b"} {
		if n := len(v.byParty[p]); n != 1 {
			t.Errorf("indexed %d times under %s, want once", n, p)
		}
	}
}

// The items' layout digest is that of the item types as the codec writes
// them, and a snapshot whose items were written by types of another layout
// is stale: the views are rebuilt from the log.
func TestSnapshotOfAnotherLayoutIsStale(t *testing.T) {
	if itemLayout() != events.CompactLayout(reflect.TypeFor[[]*Item]()) || len(itemLayout()) != 16 {
		t.Errorf("item layout %q", itemLayout())
	}
	cfg := DefaultConfig()
	var b bytes.Buffer
	if err := gob.NewEncoder(&b).Encode(snapshotHead{Format: SnapshotFormat, Config: cfg.Digest(), Layout: "0123456789abcdef"}); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeViews(&b, cfg); !errors.Is(err, ErrStaleSnapshot) {
		t.Errorf("another layout: %v, want ErrStaleSnapshot", err)
	}
}
