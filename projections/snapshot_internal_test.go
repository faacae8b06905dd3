package projections

import (
	"bytes"
	"encoding/gob"
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/events"
)

// Damaged or hostile snapshots give an error: no panic, and no memory
// sized from a count the snapshot claims.
func TestDecodeViewsRefusesDamage(t *testing.T) {
	cfg := DefaultConfig()
	encode := func(head snapshotHead, chunks ...any) []byte {
		var b bytes.Buffer
		enc := gob.NewEncoder(&b)
		if err := enc.Encode(head); err != nil {
			t.Fatal(err)
		}
		for _, c := range chunks {
			if err := enc.Encode(c); err != nil {
				t.Fatal(err)
			}
		}
		return b.Bytes()
	}
	head := snapshotHead{Format: SnapshotFormat, Config: cfg.Digest()}
	huge := head
	huge.Pos = 1 << 60
	damaged := head
	damaged.Pos, damaged.NItems = 1, 1
	for name, b := range map[string][]byte{
		"a position of 2^60 and no hashes": encode(huge),
		"an item with damaged fields": encode(damaged, []*Item{{Kind: events.KindUnit, ID: "u1", Created: 1,
			Data: []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'k', 0, 0}}}),
	} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: DecodeViews panics: %v", name, r)
				}
			}()
			if _, err := DecodeViews(bytes.NewReader(b), cfg); err == nil {
				t.Errorf("%s: decoded", name)
			} else if !strings.HasPrefix(err.Error(), "projections: ") {
				t.Errorf("%s: %v", name, err)
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
