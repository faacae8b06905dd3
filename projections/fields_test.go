package projections

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/mttq-vn/ledger/events"
)

func fieldsOf(it *Item) []string {
	var out []string
	for f := range it.Fields() {
		out = append(out, fmt.Sprintf("%s=%s/%s", f.Key, f.Value, f.Class))
	}
	return out
}

func TestFieldsMerge(t *testing.T) {
	it := &Item{Data: encodeFields([]Field{{"b", []byte(`2`), events.Public}, {"d", []byte(`"x"`), events.Internal}})}
	it.Data = mergeFields(it.Data, encodeFields([]Field{{"a", []byte(`1`), events.Confidential}, {"d", []byte(`null`), events.Public}, {"e", []byte(`[]`), events.Public}}), 1)
	want := []string{"a=1/confidential", "b=2/public", "d=null/public", "e=[]/public"}
	if got := fieldsOf(it); !slices.Equal(got, want) {
		t.Errorf("merged: %q, want %q", got, want)
	}
	for k, want := range map[string]string{"a": "1", "b": "2", "c": "", "d": "null", "e": "[]", "f": ""} {
		if got := string(it.Field(k)); got != want {
			t.Errorf("Field(%q) = %q, want %q", k, got, want)
		}
	}
	// Each value is of the event that set it: the merged ones of event 1.
	for k, want := range map[string]int{"a": 1, "b": 0, "d": 1, "e": 1} {
		if e, _ := it.field(k); e.at != want {
			t.Errorf("%s of event %d, want %d", k, e.at, want)
		}
	}
	// Or as the update has them (a correction's, of the event it corrects).
	it.Data = mergeFields(it.Data, encodeFieldsAt([]Field{{"e", []byte(`[1]`), events.Internal}}, 40), -1)
	if e, _ := it.field("e"); e.at != 40 || string(e.val) != "[1]" || classOf[e.class] != events.Internal {
		t.Errorf("e after a correction of event 40: %s of %d, %d", e.val, e.at, e.class)
	}
	// A long value and an empty update.
	long := make([]byte, 300)
	for i := range long {
		long[i] = 'x'
	}
	it.Data = mergeFields(it.Data, encodeFields([]Field{{"b", long, events.Public}}), 200)
	it.Data = mergeFields(it.Data, nil, 3)
	if e, _ := it.field("b"); len(e.val) != 300 || e.at != 200 {
		t.Errorf("long value: %d bytes, of event %d", len(e.val), e.at)
	}
	// Damaged data ends the fields instead of panicking.
	for n := range len(it.Data) {
		_ = fieldsOf(&Item{Data: it.Data[:n]})
		_ = (&Item{Data: it.Data[:n]}).Field("e")
	}
	if got := fieldsOf(&Item{Data: []byte{5, 'a', 9, 1, 'x'}}); len(got) != 0 {
		t.Errorf("a bad class byte gives %q", got)
	}
}

// encodeFields sizes its result exactly (items keep it for their life):
// uvarintLen agrees with binary.AppendUvarint at every length boundary.
func TestEncodeFieldsSize(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 300, 16383, 16384, 1<<21 - 1, 1 << 21, 1<<28 + 5} {
		if got, want := uvarintLen(n), len(binary.AppendUvarint(nil, uint64(n))); got != want {
			t.Errorf("uvarintLen(%d) = %d, want %d", n, got, want)
		}
	}
	long := make([]byte, 200)
	for _, fields := range [][]Field{
		nil,
		{{"a", []byte(`1`), events.Public}},
		{{"content", long, events.Confidential}, {"k", []byte(`"v"`), events.Internal}, {string(long[:130]), []byte(`null`), events.Public}},
	} {
		b := encodeFields(fields)
		if len(b) != cap(b) {
			t.Errorf("%d fields: %d bytes in a slice of %d", len(fields), len(b), cap(b))
		}
		for _, at := range []int{31, 32, 5000} {
			if b := encodeFieldsAt(fields, at); len(b) != cap(b) || len(fieldsOf(&Item{Data: b})) != len(fields) {
				t.Errorf("%d fields of event %d: %d bytes in a slice of %d", len(fields), at, len(b), cap(b))
			}
		}
		it := &Item{Data: b}
		if got := len(fieldsOf(it)); got != len(fields) {
			t.Errorf("%d fields encoded, %d decoded", len(fields), got)
		}
	}
}
