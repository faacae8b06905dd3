package projections

import (
	"bytes"
	"encoding/binary"
	"iter"
	"strings"

	"github.com/mttq-vn/ledger/events"
)

// An item's current data is kept in one byte slice rather than as a slice
// of fields: a million events make hundreds of thousands of items, and
// per-field headers would cost more than the values. The layout is a run of
// entries sorted by key, each
//
//	uvarint len(key) | key | uvarint (at<<2 | class) | uvarint len(value) | value
//
// where value is the field's stored JSON, class the classification of the
// event that set it (0, 1 or 2, see classByte) and at which of the item's
// events the value is of (its index in Item.Events, 0 for the first; a
// correction's value is of the event it corrects): a correction changes a
// field only if the event it corrects set it last. The tag is one byte
// for the first 32 events of an item.

// Field is one top-level field of an item's current data: the latest value
// any event of the item gave it, as stored (canonical JSON).
type Field struct {
	Key   string
	Value []byte
	// Class is the classification of the event that set it.
	Class events.Classification
}

func classByte(c events.Classification) byte {
	switch c {
	case events.Internal:
		return 1
	case events.Confidential:
		return 2
	}
	return 0
}

var classOf = [3]events.Classification{events.Public, events.Internal, events.Confidential}

// encodeFields writes fields (sorted by key, keys unique) in the entry
// layout.
func encodeFields(fields []Field) []byte {
	n := 0
	for _, f := range fields {
		n += uvarintLen(len(f.Key)) + len(f.Key) + 1 + uvarintLen(len(f.Value)) + len(f.Value)
	}
	b := make([]byte, 0, n) // exactly sized: items keep it for their life
	for _, f := range fields {
		b = appendEntry(b, []byte(f.Key), classByte(f.Class), 0, f.Value)
	}
	return b
}

// encodeFieldsAt is encodeFields with the values of the item's event at
// (an index in Item.Events).
func encodeFieldsAt(fields []Field, at int) []byte {
	n := 0
	for _, f := range fields {
		n += uvarintLen(len(f.Key)) + len(f.Key) + uvarintLen(at<<2|int(classByte(f.Class))) + uvarintLen(len(f.Value)) + len(f.Value)
	}
	b := make([]byte, 0, n)
	for _, f := range fields {
		b = appendEntry(b, []byte(f.Key), classByte(f.Class), at, f.Value)
	}
	return b
}

// uvarintLen is the length of n as binary.AppendUvarint writes it.
func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

func appendEntry(b, key []byte, class byte, at int, val []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = append(b, key...)
	b = binary.AppendUvarint(b, uint64(at)<<2|uint64(class))
	b = binary.AppendUvarint(b, uint64(len(val)))
	return append(b, val...)
}

// entry is one decoded entry; key and val are slices of the data.
type entry struct {
	key, val []byte
	class    byte
	at       int // the index in Item.Events of the event the value is of
	next     int // offset of the following entry
}

// readEntry decodes the entry at offset i of b; ok is false at the end or
// on damaged data.
func readEntry(b []byte, i int) (e entry, ok bool) {
	kl, n := binary.Uvarint(b[i:])
	if n <= 0 || kl >= uint64(len(b)-i-n) { // the key and its class byte must fit
		return e, false
	}
	i += n
	e.key = b[i : i+int(kl)]
	i += int(kl)
	tag, n := binary.Uvarint(b[i:])
	if n <= 0 || tag&3 > 2 || tag>>2 > 1<<31 {
		return e, false
	}
	e.class, e.at = byte(tag&3), int(tag>>2)
	i += n
	vl, n := binary.Uvarint(b[i:])
	if n <= 0 || uint64(len(b)-i-n) < vl {
		return e, false
	}
	i += n
	e.val = b[i : i+int(vl) : i+int(vl)]
	e.next = i + int(vl)
	return e, true
}

// validFields reports whether b is a whole sequence of entries.
func validFields(b []byte) bool {
	for i := 0; i < len(b); {
		e, ok := readEntry(b, i)
		if !ok {
			return false
		}
		i = e.next
	}
	return true
}

// mergeFields returns old (in the entry layout) with the entries of upd
// (also in the entry layout) set over it, in a slice of its own: those of
// upd are of the item's event at (an index in Item.Events), or as upd has
// them if at is negative.
func mergeFields(old, upd []byte, at int) []byte {
	size := 0
	mergeEntries(old, upd, at, func(e entry) { size += entrySize(e) })
	out := make([]byte, 0, size)
	mergeEntries(old, upd, at, func(e entry) { out = appendEntry(out, e.key, e.class, e.at, e.val) })
	return out
}

func entrySize(e entry) int {
	return uvarintLen(len(e.key)) + len(e.key) + uvarintLen(e.at<<2|int(e.class)) + uvarintLen(len(e.val)) + len(e.val)
}

// mergeEntries calls fn with the entries of old and upd in key order, those
// of upd (of the event at, unless at is negative) replacing those of old
// with the same key.
func mergeEntries(old, upd []byte, at int, fn func(entry)) {
	a, aok := readEntry(old, 0)
	b, bok := readEntry(upd, 0)
	if bok && at >= 0 {
		b.at = at
	}
	for aok || bok {
		c := 0
		switch {
		case !aok:
			c = 1
		case !bok:
			c = -1
		default:
			c = bytes.Compare(a.key, b.key)
		}
		switch {
		case c < 0:
			fn(a)
			a, aok = readEntry(old, a.next)
		case c > 0:
			fn(b)
			if b, bok = readEntry(upd, b.next); bok && at >= 0 {
				b.at = at
			}
		default:
			fn(b)
			a, aok = readEntry(old, a.next)
			if b, bok = readEntry(upd, b.next); bok && at >= 0 {
				b.at = at
			}
		}
	}
}

// Fields yields the item's current fields in key order. The values are
// shared with the item: do not change them.
func (it *Item) Fields() iter.Seq[Field] {
	return func(yield func(Field) bool) {
		for e, ok := readEntry(it.Data, 0); ok; e, ok = readEntry(it.Data, e.next) {
			if !yield(Field{Key: string(e.key), Value: e.val, Class: classOf[e.class]}) {
				return
			}
		}
	}
}

// Field returns the stored value of field key, or nil.
func (it *Item) Field(key string) []byte {
	e, _ := it.field(key)
	return e.val
}

// field returns the entry of field key.
func (it *Item) field(key string) (entry, bool) {
	for e, ok := readEntry(it.Data, 0); ok; e, ok = readEntry(it.Data, e.next) {
		switch strings.Compare(string(e.key), key) {
		case 0:
			return e, true
		case 1:
			return entry{}, false
		}
	}
	return entry{}, false
}
