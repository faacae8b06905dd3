package events

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// Every kind of facts survives the snapshot encoding.
func TestFactsRoundTrip(t *testing.T) {
	for _, f := range []any{
		nil,
		unitFacts{name: "Phường Bình Định", level: "COMMUNE", parent: "an-nhon", successors: []string{"an-nhon-ward"}, predecessors: []string{"a", "b"}},
		partyFacts{name: "UBND", partyKind: "PEOPLES_COMMITTEE", superior: "ubnd-an-nhon"},
		tokenFacts{name: "t", role: RoleRespondent, unit: "u", party: "p", secret: "ab12", expires: "2026-12-31"},
		recommendationFacts{outcome: OutcomeAccepted},
		supervisionFacts{form: "DELEGATION", followUp: "gs-1", recs: []string{"kn-1"}, requested: []string{"tl-01=2024-05-02=4"}},
		critiqueFacts{form: "CONFERENCE", consultation: true, points: []string{"point:1"}},
		petitionFacts{kind: "COMPLAINT", secondInstance: true, secondTo: "ubnd-an-nhon"},
		petitionFacts{kind: "DENUNCIATION", extensions: 2},
		flagFacts{code: "OB_NO_RESPONSE"},
	} {
		r, err := encodeFacts(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeFacts(r)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, f) {
			t.Errorf("%T: got %+v, want %+v", f, got, f)
		}
	}
	if _, err := encodeFacts(struct{}{}); err == nil {
		t.Error("unknown facts encoded")
	}
	if _, err := decodeFacts(factsRecord{Of: "unit", S: []string{"x"}}); err == nil {
		t.Error("short unit facts decoded")
	}
}

// testSigner returns a signer with a new key, and its verifier key.
func testSigner(t *testing.T) (*CheckpointSigner, string) {
	t.Helper()
	skey, vkey, err := GenerateCheckpointKey("ledger.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := NewCheckpointSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, vkey
}

// snapshotOf encodes states as a snapshot at size, signed with a new key;
// it returns the bytes and the verifier key.
func snapshotOf(t *testing.T, size uint64, states []*State, keys []byte) ([]byte, string, string) {
	t.Helper()
	signer, vkey := testSigner(t)
	c := &stateCopy{size: size, states: states, keys: keys}
	for _, st := range states {
		ps := make([]uint64, 0, st.version)
		for v := uint64(1); v <= st.version; v++ {
			ps = append(ps, st.lastPos-st.version+v)
		}
		c.positions = append(c.positions, ps)
	}
	var b bytes.Buffer
	if err := c.encode(&b, signer, signer.Name()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), vkey, signer.Name()
}

// A snapshot is refused if a state in it is ahead of its position (the
// events after the position would then be taken as applied unchecked) or
// an idempotency key points past it.
func TestDecodeStateRefusesStatesAhead(t *testing.T) {
	u1 := &State{kind: KindUnit, id: "u1", status: "ACTIVE", version: 2, lastPos: 5}
	for name, tc := range map[string]struct {
		size    uint64
		keys    []byte
		wantErr bool
	}{
		"at its position": {size: 5},
		"state ahead":     {size: 4, wantErr: true},
		"key ahead":       {size: 5, keys: binary.BigEndian.AppendUint64(make([]byte, 16), 6), wantErr: true},
		"key at zero":     {size: 5, keys: make([]byte, 24), wantErr: true},
	} {
		b, vkey, origin := snapshotOf(t, tc.size, []*State{u1}, tc.keys)
		ls, err := decodeState(bytes.NewReader(b), vkey, origin)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: %v, want error %v", name, err, tc.wantErr)
		} else if err == nil && ls.states["unit/u1"].lastPos != 5 {
			t.Errorf("%s: state %+v", name, ls.states["unit/u1"])
		}
	}
}

// A snapshot's content is checked against the signed hash before it is
// decoded: counts in a head that the note does not sign cannot make the
// decoder allocate or panic.
func TestDecodeStateChecksHashFirst(t *testing.T) {
	b, vkey, origin := snapshotOf(t, 5, nil, nil)
	n := binary.BigEndian.Uint32(b)
	prefix := b[:4+n]
	for _, h := range []stateHead{
		{Format: stateSnapshotFormat, Origin: origin, Layout: stateLayout(), Size: 5, NKeys: 1 << 59},
		{Format: stateSnapshotFormat, Origin: origin, Layout: stateLayout(), Size: 5, NKeys: 1 << 26},
		{Format: stateSnapshotFormat, Origin: origin, Layout: stateLayout(), Size: 5, NStates: 1 << 40},
	} {
		var body bytes.Buffer
		if err := gob.NewEncoder(&body).Encode(h); err != nil {
			t.Fatal(err)
		}
		forged := append(bytes.Clone(prefix), body.Bytes()...)
		_, err := decodeState(bytes.NewReader(forged), vkey, origin)
		if err == nil || !strings.Contains(err.Error(), "does not match the hash") {
			t.Errorf("head %+v: %v, want the hash mismatch", h, err)
		}
	}
}

// The note signs the content's length: bytes appended to a snapshot are
// not read, and a snapshot cut short is refused.
func TestDecodeStateReadsTheSignedLength(t *testing.T) {
	u1 := &State{kind: KindUnit, id: "u1", status: "ACTIVE", version: 1, lastPos: 3}
	b, vkey, origin := snapshotOf(t, 3, []*State{u1}, nil)
	long := append(bytes.Clone(b), bytes.Repeat([]byte{0xff}, 1<<20)...)
	if ls, err := decodeState(bytes.NewReader(long), vkey, origin); err != nil || ls.states["unit/u1"] == nil {
		t.Errorf("with bytes appended: %v", err)
	}
	if _, err := decodeState(bytes.NewReader(b[:len(b)-1]), vkey, origin); err == nil {
		t.Error("a snapshot cut short was read")
	}
}

// Many states, in several chunks decoded side by side, come back in full;
// a body of another format or layout, or with damaged frames, is refused
// even when signed (it was then written by another version).
func TestDecodeStateFrames(t *testing.T) {
	signer, vkey := testSigner(t)
	origin := signer.Name()
	const n = 3*stateChunk + 7
	c := &stateCopy{size: n}
	for i := range n {
		c.states = append(c.states, &State{kind: KindRecommendation, id: fmt.Sprintf("kn-%05d", i), status: RecIssued, version: 1, lastPos: uint64(i + 1),
			unit: "540", parties: []string{"ubnd-540"}, facts: recommendationFacts{outcome: OutcomeAccepted}})
		c.positions = append(c.positions, []uint64{uint64(i + 1)})
	}
	c.keys = binary.BigEndian.AppendUint64(bytes.Repeat([]byte{7}, 16), 9)
	var b bytes.Buffer
	if err := c.encode(&b, signer, origin); err != nil {
		t.Fatal(err)
	}
	ls, err := decodeState(bytes.NewReader(b.Bytes()), vkey, origin)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.states) != n || len(ls.keys) != 1 || ls.states["recommendation/kn-12294"].lastPos != 12295 ||
		!reflect.DeepEqual(ls.positions["recommendation/kn-00007"], []uint64{8}) {
		t.Fatalf("decoded %d states, %d keys", len(ls.states), len(ls.keys))
	}
	if f, _ := ls.states["recommendation/kn-00042"].facts.(recommendationFacts); f.outcome != OutcomeAccepted {
		t.Errorf("facts %+v", ls.states["recommendation/kn-00042"].facts)
	}

	head := func(h stateHead) []byte {
		var body bytes.Buffer
		if err := gob.NewEncoder(&body).Encode(h); err != nil {
			t.Fatal(err)
		}
		return body.Bytes()
	}
	good := stateHead{Format: stateSnapshotFormat, Origin: origin, Layout: stateLayout(), Size: n, NStates: 1}
	one := AppendCompact(nil, &[]stateRecord{{Kind: KindUnit, ID: "u1", Status: "ACTIVE", Version: 1, LastHash: make([]byte, 32), LastPos: 1, Positions: []uint64{1}}})
	frame := func(b []byte) []byte { return append(binary.AppendUvarint(nil, uint64(len(b))), b...) }
	format1, layout := good, good
	format1.Format, layout.Layout = 1, "0123456789abcdef"
	for name, tc := range map[string]struct {
		body []byte
		want string
	}{
		"well formed":           {append(head(good), frame(one)...), ""},
		"the first format":      {append(head(format1), frame(one)...), "does not match its note"},
		"another layout":        {append(head(layout), frame(one)...), "does not match its note"},
		"a frame cut short":     {append(head(good), frame(one)[:10]...), "frames do not add up"},
		"no frame":              {head(good), "frames do not add up"},
		"a damaged chunk":       {append(head(good), frame([]byte{0xff, 0xff, 0xff, 0x7f})...), "the snapshot's states"},
		"bytes after the keys":  {append(append(head(good), frame(one)...), frame([]byte{1})...), "bytes after its keys"},
		"a chunk of two states": {append(head(good), frame(AppendCompact(nil, &[]stateRecord{{}, {}}))...), "more or fewer states"},
	} {
		var b bytes.Buffer
		var body Spool
		body.Write(tc.body)
		if err := sealState(&b, &body, sha256.Sum256(tc.body), signer, origin, n, [32]byte{}); err != nil {
			t.Fatal(err)
		}
		_, err := decodeState(&b, vkey, origin)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
}
