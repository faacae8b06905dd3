package events

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// Snapshots (the write side's states, the views' items) are written in a
// compact binary form made for them, not with encoding/gob, which cost most
// of a start: gob copies every message into a buffer of its own before
// decoding it, and fresh memory is what a start on this kind of machine
// pays for most. The form is positional: the exported fields of each
// struct in order, with no names and no type descriptions, so the layout of
// the types is named by a digest (CompactLayout) that a snapshot carries
// in its head: a snapshot made by types of another layout is not used,
// without anyone having to remember to bump a format number.
//
//	bool            one byte, 0 or 1
//	int kinds       a zig-zag varint
//	uint kinds      a varint
//	string, []byte  a varint length, then the bytes (the values of named
//	                string types are shared within one decoding)
//	slice           a varint length, then the elements
//	pointer         0 for nil, or 1 and the element
//	struct          its exported fields in order
//
// A nil and an empty slice are both written as length 0 and read as nil.
// Unexported fields (derived indexes) are neither written nor read.

// codec writes and reads values of one type.
type codec struct {
	enc func(b []byte, v reflect.Value) []byte
	dec func(d *decoder, v reflect.Value)
}

var codecs struct {
	sync.Mutex
	m map[reflect.Type]*codec
}

// codecFor returns the codec of t, made once. A codec refers to the codecs
// of its parts by pointer, so a type that contains itself finds its own,
// completed before it is used.
func codecFor(t reflect.Type) *codec {
	codecs.Lock()
	defer codecs.Unlock()
	return codecLocked(t)
}

func codecLocked(t reflect.Type) *codec {
	if c, ok := codecs.m[t]; ok {
		return c
	}
	if codecs.m == nil {
		codecs.m = map[reflect.Type]*codec{}
	}
	c := &codec{}
	codecs.m[t] = c
	*c = makeCodec(t)
	return c
}

func makeCodec(t reflect.Type) codec {
	switch t.Kind() {
	case reflect.Bool:
		return codec{
			enc: func(b []byte, v reflect.Value) []byte {
				if v.Bool() {
					return append(b, 1)
				}
				return append(b, 0)
			},
			dec: func(d *decoder, v reflect.Value) {
				switch d.byte() {
				case 0:
				case 1:
					v.SetBool(true)
				default:
					d.fail("a boolean that is neither 0 nor 1")
				}
			},
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return codec{
			enc: func(b []byte, v reflect.Value) []byte { return binary.AppendVarint(b, v.Int()) },
			dec: func(d *decoder, v reflect.Value) {
				n := d.varint()
				if v.OverflowInt(n) {
					d.fail("an integer out of range")
					return
				}
				v.SetInt(n)
			},
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return codec{
			enc: func(b []byte, v reflect.Value) []byte { return binary.AppendUvarint(b, v.Uint()) },
			dec: func(d *decoder, v reflect.Value) {
				n := d.uvarint()
				if v.OverflowUint(n) {
					d.fail("an integer out of range")
					return
				}
				v.SetUint(n)
			},
		}
	case reflect.String:
		// A named string type (a date, a status, an event type) takes
		// few values, each repeated across many records: one copy of
		// each is kept per decoding (at a million events this saves
		// about 100 MB, a tenth of what a start holds). So do fields
		// tagged `codec:"shared"` (see sharedCodec).
		return stringCodec(t.PkgPath() != "")
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return codec{
				enc: func(b []byte, v reflect.Value) []byte {
					s := v.Bytes()
					return append(binary.AppendUvarint(b, uint64(len(s))), s...)
				},
				dec: func(d *decoder, v reflect.Value) {
					if s := d.bytes(); len(s) > 0 {
						v.SetBytes(append([]byte(nil), s...))
					}
				},
			}
		}
		return sliceCodec(t, codecLocked(t.Elem()))
	case reflect.Pointer:
		elem := codecLocked(t.Elem())
		return codec{
			enc: func(b []byte, v reflect.Value) []byte {
				if v.IsNil() {
					return append(b, 0)
				}
				return elem.enc(append(b, 1), v.Elem())
			},
			dec: func(d *decoder, v reflect.Value) {
				switch d.byte() {
				case 0:
				case 1:
					p := reflect.New(t.Elem())
					elem.dec(d, p.Elem())
					v.Set(p)
				default:
					d.fail("a pointer mark that is neither 0 nor 1")
				}
			},
		}
	case reflect.Struct:
		var fields []int
		var fcs []*codec
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				fields = append(fields, i)
				if f.Tag.Get("codec") == "shared" {
					fcs = append(fcs, sharedCodec(f.Type))
				} else {
					fcs = append(fcs, codecLocked(f.Type))
				}
			}
		}
		return codec{
			enc: func(b []byte, v reflect.Value) []byte {
				for k, i := range fields {
					b = fcs[k].enc(b, v.Field(i))
				}
				return b
			},
			dec: func(d *decoder, v reflect.Value) {
				for k, i := range fields {
					if d.err != nil {
						return
					}
					fcs[k].dec(d, v.Field(i))
				}
			},
		}
	}
	panic(fmt.Sprintf("events: no compact codec for %s", t)) // a programming error, caught by the tests
}

// stringCodec writes a string as its length and bytes; shared decodings
// keep one copy of each value per decoding.
func stringCodec(shared bool) codec {
	enc := func(b []byte, v reflect.Value) []byte {
		s := v.String()
		return append(binary.AppendUvarint(b, uint64(len(s))), s...)
	}
	if shared {
		return codec{enc: enc, dec: func(d *decoder, v reflect.Value) {
			if s := d.bytes(); len(s) > 0 {
				str, ok := d.interned[string(s)]
				if !ok {
					str = string(s)
					d.interned[str] = str
				}
				v.SetString(str)
			}
		}}
	}
	return codec{enc: enc, dec: func(d *decoder, v reflect.Value) {
		if s := d.bytes(); len(s) > 0 {
			v.SetString(string(s))
		}
	}}
}

// sharedCodec is the codec of a struct field tagged `codec:"shared"`: a
// string or a slice of strings whose values repeat across records (a
// unit, a party, an addressee), kept once per decoding as the values of
// named string types are. The form written is the same as without the
// tag.
func sharedCodec(t reflect.Type) *codec {
	str := stringCodec(true)
	switch {
	case t.Kind() == reflect.String:
		return &str
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		c := sliceCodec(t, &str)
		return &c
	}
	panic(fmt.Sprintf("events: codec:\"shared\" on a field of type %s", t)) // a programming error, caught by the tests
}

// sliceCodec writes a slice as its length and its elements, with elem.
func sliceCodec(t reflect.Type, elem *codec) codec {
	per := uint64(max(minEncoded(t.Elem()), 1))
	return codec{
		enc: func(b []byte, v reflect.Value) []byte {
			b = binary.AppendUvarint(b, uint64(v.Len()))
			for i := range v.Len() {
				b = elem.enc(b, v.Index(i))
			}
			return b
		},
		dec: func(d *decoder, v reflect.Value) {
			n := d.uvarint()
			if n == 0 {
				if v.Len() > 0 {
					v.SetLen(0)
				}
				return
			}
			// Every element takes at least per bytes: a length
			// beyond what is left is damage, not memory to allocate.
			if n > uint64(len(d.b))/per {
				d.fail("a slice longer than what follows")
				return
			}
			var s reflect.Value
			if v.Cap() >= int(n) {
				// A slice given to decode into, with room: its
				// array is used again (see DecodeCompact).
				s = v.Slice(0, int(n))
				for i := range int(n) {
					s.Index(i).SetZero()
				}
			} else {
				s = reflect.MakeSlice(t, int(n), int(n))
			}
			for i := 0; i < int(n) && d.err == nil; i++ {
				elem.dec(d, s.Index(i))
			}
			v.Set(s)
		},
	}
}

// minEncoded is the fewest bytes a value of t is written in: one for
// every field that is not a struct (a zero number, an empty string or
// slice, a nil pointer). A struct with no exported field takes none.
func minEncoded(t reflect.Type) int {
	if t.Kind() != reflect.Struct {
		return 1
	}
	n := 0
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			n += minEncoded(f.Type)
		}
	}
	return n
}

// decoder reads what a codec wrote; the first damage it meets is kept in
// err and ends the reading.
type decoder struct {
	b        []byte
	err      error
	interned map[string]string // the values of named string types read so far
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = errors.New(what)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) == 0 {
		d.fail("the data ends early")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) uvarint() uint64 { return number(d, binary.Uvarint) }

func (d *decoder) varint() int64 { return number(d, binary.Varint) }

// number reads the next number with read (binary.Uvarint or Varint).
func number[T uint64 | int64](d *decoder, read func([]byte) (T, int)) T {
	n, w := read(d.b)
	if w <= 0 {
		d.fail("a damaged number")
		return 0
	}
	d.b = d.b[w:]
	return n
}

// bytes returns the next length-prefixed bytes, which lie in d's buffer.
func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("a string longer than what follows")
		return nil
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

// AppendCompact appends the compact encoding of *p (p a pointer) to b.
func AppendCompact(b []byte, p any) []byte {
	v := reflect.ValueOf(p).Elem()
	return codecFor(v.Type()).enc(b, v)
}

// DecodeCompact reads *p (p a pointer to a zero value, or to a slice) from
// all of b, which it does not keep: strings and byte slices are copied out
// of it. A slice *p with room for what b holds is decoded into its own
// array, its elements zeroed first: a reader of many frames of the same
// type can use one slice again rather than make one per frame.
func DecodeCompact(b []byte, p any) error {
	v := reflect.ValueOf(p).Elem()
	d := &decoder{b: b, interned: map[string]string{}}
	codecFor(v.Type()).dec(d, v)
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d bytes after the value", len(d.b))
	}
	return d.err
}

// CompactLayout names the layout of t as the codec writes it: the kinds,
// order and names of every exported field reachable from it (not the
// types' names, which the form does not depend on).
func CompactLayout(t reflect.Type) string {
	var sb strings.Builder
	inside := map[reflect.Type]bool{} // the structs being described
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		switch t.Kind() {
		case reflect.Slice, reflect.Pointer:
			sb.WriteString(t.Kind().String() + " ")
			walk(t.Elem())
		case reflect.Struct:
			if inside[t] {
				sb.WriteString("recursive " + t.String())
				return
			}
			inside[t] = true
			defer delete(inside, t)
			sb.WriteString("struct{")
			for i := range t.NumField() {
				if f := t.Field(i); f.IsExported() {
					sb.WriteString(f.Name + " ")
					walk(f.Type)
					sb.WriteString(";")
				}
			}
			sb.WriteString("}")
		default:
			sb.WriteString(t.Kind().String())
		}
	}
	walk(t)
	sum := sha256.Sum256([]byte(sb.String()))
	return hex.EncodeToString(sum[:8])
}
