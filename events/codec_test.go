package events

import (
	"bytes"
	"math"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

type codecCite struct {
	Position uint64
	Type     Type
}

type codecInner struct {
	Name  string
	Cites []codecCite
}

type codecSample struct {
	B      bool
	I      int
	I8     int8
	I64    int64
	U8     uint8
	U64    uint64
	S      string
	Kind   Kind
	Raw    []byte
	List   []string
	Inner  codecInner
	Ptr    *codecInner
	NilPtr *codecInner
	Many   []*codecInner
	hidden string // not written
}

func sampleValue() codecSample {
	return codecSample{B: true, I: -5, I8: math.MinInt8, I64: math.MaxInt64, U8: 255, U64: math.MaxUint64, S: "Ủy ban nhân dân",
		Kind: KindRecommendation, Raw: []byte{0, 1, 2}, List: []string{"a", "", "ç"},
		Inner: codecInner{Name: "x", Cites: []codecCite{{Position: 7, Type: "t"}}}, Ptr: &codecInner{},
		Many: []*codecInner{{Name: "m"}, nil}}
}

func TestCodecRoundTrip(t *testing.T) {
	in := sampleValue()
	in.hidden = "derived"
	b := AppendCompact(nil, &in)
	var out codecSample
	if err := DecodeCompact(b, &out); err != nil {
		t.Fatal(err)
	}
	in.hidden = ""
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in %+v\nout %+v", in, out)
	}
	// Empty slices and strings read as nil and ""; a pointer to a zero
	// value stays a pointer.
	var zero codecSample
	zero.List, zero.Raw, zero.Ptr = []string{}, []byte{}, &codecInner{}
	var back codecSample
	if err := DecodeCompact(AppendCompact(nil, &zero), &back); err != nil {
		t.Fatal(err)
	}
	if back.List != nil || back.Raw != nil || back.Ptr == nil || !reflect.DeepEqual(*back.Ptr, codecInner{}) {
		t.Errorf("zero values read back as %+v", back)
	}
	// Encoding appends, and the same value gives the same bytes.
	if again := AppendCompact([]byte("prefix"), &in); !bytes.Equal(again[6:], b) || string(again[:6]) != "prefix" {
		t.Error("encodeValue does not append the same bytes")
	}
}

// The decoded value owns its bytes: the buffer it was read from is used
// again for the next segment.
func TestCodecCopiesOutOfItsBuffer(t *testing.T) {
	in := sampleValue()
	b := AppendCompact(nil, &in)
	var out codecSample
	if err := DecodeCompact(b, &out); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 'z'
	}
	if out.S != in.S || !bytes.Equal(out.Raw, in.Raw) || out.List[2] != "ç" {
		t.Errorf("the decoded value changed with its buffer: %+v", out)
	}
}

// Damaged input is an error at every length and with any byte changed,
// never a panic or an allocation sized by a damaged length.
func TestCodecRefusesDamage(t *testing.T) {
	in := sampleValue()
	b := AppendCompact(nil, &in)
	decode := func(what string, b []byte) error {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("%s: panic %v", what, r)
			}
		}()
		var out codecSample
		return DecodeCompact(b, &out)
	}
	for n := range len(b) {
		if err := decode("cut", b[:n]); err == nil {
			t.Fatalf("cut to %d of %d bytes: decoded", n, len(b))
		}
	}
	for i := range b {
		for _, x := range []byte{0x00, 0x01, 0x7f, 0x80, 0xff} {
			c := bytes.Clone(b)
			c[i] = x
			decode("changed", c) // an error or another value, not a panic
		}
	}
	if err := decode("trailing", append(bytes.Clone(b), 0)); err == nil {
		t.Error("a byte after the value was accepted")
	}
	var small struct{ I8 int8 }
	if err := DecodeCompact(AppendCompact(nil, &struct{ I8 int }{300}), &small); err == nil {
		t.Error("300 was read into an int8")
	}
	var list struct{ L []codecInner }
	if err := DecodeCompact([]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, &list); err == nil || !strings.Contains(err.Error(), "longer") {
		t.Errorf("a slice of 2^32 elements in 5 bytes: %v", err)
	}
	// A slice's length is checked against the least its elements take
	// (two bytes each here), not one byte each: 10 elements in 10 bytes
	// are refused before any is allocated.
	if minEncoded(reflect.TypeFor[codecInner]()) != 2 || minEncoded(reflect.TypeFor[codecSample]()) != 15 {
		t.Errorf("least sizes %d, %d", minEncoded(reflect.TypeFor[codecInner]()), minEncoded(reflect.TypeFor[codecSample]()))
	}
	if err := DecodeCompact(append([]byte{10}, make([]byte, 10)...), &list); err == nil || !strings.Contains(err.Error(), "longer") {
		t.Errorf("10 elements of at least 2 bytes in 10 bytes: %v", err)
	}
	var empty struct{ E []struct{ hidden int } }
	if err := DecodeCompact([]byte{3}, &empty); err == nil {
		t.Error("3 elements that take no bytes, in no bytes, were read")
	}
}

// The layout digest changes with any change the positional form would
// misread: a field added, removed, renamed, moved or of another kind.
func TestLayoutDigest(t *testing.T) {
	type a struct {
		X string
		Y []uint64
	}
	type added struct {
		X string
		Y []uint64
		Z bool
	}
	type renamed struct {
		X string
		W []uint64
	}
	type moved struct {
		Y []uint64
		X string
	}
	type retyped struct {
		X string
		Y []int64
	}
	type unexported struct {
		X string
		Y []uint64
		z int
	}
	base := CompactLayout(reflect.TypeFor[a]())
	for name, typ := range map[string]reflect.Type{"added": reflect.TypeFor[added](), "renamed": reflect.TypeFor[renamed](),
		"moved": reflect.TypeFor[moved](), "retyped": reflect.TypeFor[retyped](), "pointer": reflect.TypeFor[*a]()} {
		if CompactLayout(typ) == base {
			t.Errorf("%s: same layout digest", name)
		}
	}
	if CompactLayout(reflect.TypeFor[unexported]()) != base {
		t.Error("an unexported field changed the layout digest")
	}
}

// Within one decoding, equal values of a named string type share their
// bytes; plain strings (names, texts) are copied each.
func TestCodecSharesNamedStrings(t *testing.T) {
	type rec struct {
		On      Date
		Name    string
		Unit    string   `codec:"shared"`
		Parties []string `codec:"shared"`
	}
	in := []rec{{"2024-04-01", "Ủy ban", "xa-1", []string{"ubnd", "hdnd"}}, {"2024-04-01", "Ủy ban", "xa-1", []string{"hdnd"}}}
	var out []rec
	if err := DecodeCompact(AppendCompact(nil, &in), &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("read %+v", out)
	}
	if unsafe.StringData(string(out[0].On)) != unsafe.StringData(string(out[1].On)) {
		t.Error("two equal dates were not shared")
	}
	if unsafe.StringData(out[0].Name) == unsafe.StringData(out[1].Name) {
		t.Error("two equal plain strings were shared")
	}
	if unsafe.StringData(out[0].Unit) != unsafe.StringData(out[1].Unit) || unsafe.StringData(out[0].Parties[1]) != unsafe.StringData(out[1].Parties[0]) {
		t.Error("equal values of fields tagged shared were not shared")
	}
	// The tag changes what is kept, not what is written.
	type untagged struct {
		On      Date
		Name    string
		Unit    string
		Parties []string
	}
	plain := []untagged{{"2024-04-01", "Ủy ban", "xa-1", []string{"ubnd", "hdnd"}}, {"2024-04-01", "Ủy ban", "xa-1", []string{"hdnd"}}}
	if !bytes.Equal(AppendCompact(nil, &in), AppendCompact(nil, &plain)) {
		t.Error("a field tagged shared is written otherwise")
	}
}

// A slice given to decode into, with room, is decoded into its own array:
// its elements are zeroed first (nothing of the earlier values is left,
// and their inner slices, which a caller may have kept, are not written
// over), and a shorter frame leaves a shorter slice.
func TestCodecDecodesIntoASliceWithRoom(t *testing.T) {
	full := []codecSample{sampleValue(), sampleValue(), sampleValue()}
	one := []codecSample{{S: "only", List: []string{"z"}}}
	var recs []codecSample
	if err := DecodeCompact(AppendCompact(nil, &full), &recs); err != nil {
		t.Fatal(err)
	}
	array, kept := &recs[0], recs[0].List
	if err := DecodeCompact(AppendCompact(nil, &one), &recs); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recs, one) {
		t.Fatalf("decoded into the slice with room:\n got %+v\nwant %+v", recs, one)
	}
	if &recs[0] != array {
		t.Error("a slice with room was not used again")
	}
	if !reflect.DeepEqual(kept, sampleValue().List) {
		t.Errorf("an inner slice of the earlier value was written over: %q", kept)
	}
	var none []codecSample
	if err := DecodeCompact(AppendCompact(nil, &none), &recs); err != nil || len(recs) != 0 {
		t.Errorf("an empty frame into a slice with room: %d elements, %v", len(recs), err)
	}
	more := append(full, full...)
	if err := DecodeCompact(AppendCompact(nil, &more), &recs); err != nil || !reflect.DeepEqual(recs, more) {
		t.Errorf("a longer frame: %d elements, %v", len(recs), err)
	}
}
