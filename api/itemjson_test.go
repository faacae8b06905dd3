package api

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// stdJSON is what writeJSON writes for v.
func stdJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := StdJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tricky are strings whose escaping differs between encoders.
var tricky = []string{"", "a", `"`, `\`, "\x00", "\x1f", "\x7f", "\b\f\n\r\t", "<>&", "\u2028\u2029", "Ủy ban nhân dân",
	"Nguyễn Văn A", "\xff", "a\xc3", "\xed\xa0\x80", "\U0001F600", "\ufffd", "</script>", "a\"b\\c\u2028d\xffe"}

// jsonTestString is made of pieces of tricky strings and random bytes.
func jsonTestString(rng *rand.Rand) string {
	var b []byte
	for range rng.IntN(6) {
		if rng.IntN(3) == 0 {
			for range rng.IntN(5) {
				b = append(b, byte(rng.IntN(256)))
			}
		} else {
			b = append(b, tricky[rng.IntN(len(tricky))]...)
		}
	}
	return string(b)
}

func TestAppendString(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ss := append([]string{}, tricky...)
	for range 20000 {
		ss = append(ss, jsonTestString(rng))
	}
	for _, s := range ss {
		want := bytes.TrimSuffix(stdJSON(t, s), []byte("\n"))
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, encoding/json writes %s", s, got, want)
		}
	}
}

// randomItem is an item response with each optional part present or not.
func randomItem(rng *rand.Rand) ItemResponse {
	str := func() string {
		if rng.IntN(3) == 0 {
			return ""
		}
		return jsonTestString(rng)
	}
	strs := func() []string {
		switch rng.IntN(3) {
		case 0:
			return nil
		case 1:
			return []string{}
		}
		var ss []string
		for range 1 + rng.IntN(3) {
			ss = append(ss, str())
		}
		return ss
	}
	num := func() uint64 { return rng.Uint64() >> rng.IntN(64) }
	iv := projections.ItemView{ID: str(), Stream: str(), Kind: events.Kind(str()), Status: events.Status(str()), Version: num(),
		Unit: str(), Title: str(), Form: str(), Party: str(), Parties: strs(), Classification: events.Classification(str()),
		OpenedOn: events.Date(str()), CreatedPosition: num(), UpdatedPosition: num(), LastHash: str(), DerivedStatus: strs(), Redacted: strs()}
	if rng.IntN(4) > 0 {
		iv.Deadlines = []projections.Obligation{}
		for range rng.IntN(4) {
			o := projections.Obligation{Rule: str(), Obligation: str(), Basis: str(), Party: str(), Unit: str(), Stream: str(),
				Trigger: events.Date(str()), Due: events.Date(str()), MetOn: events.Date(str()), Outcome: str(),
				DaysLate: rng.IntN(3) * (rng.IntN(1000) - 500), Supervisor: rng.IntN(2) == 0}
			if rng.IntN(4) > 0 {
				o.Cites = []projections.Cite{}
				for range rng.IntN(3) {
					o.Cites = append(o.Cites, projections.Cite{Position: num(), Type: events.Type(str())})
				}
			}
			iv.Deadlines = append(iv.Deadlines, o)
		}
	}
	if rng.IntN(4) > 0 {
		// As View makes it: compact JSON, strings escaped.
		data, _ := StdJSON(map[string]any{str(): str(), "n": rng.IntN(100), "l": strs(), "o": map[string]any{"d": str()}})
		iv.Data = bytes.TrimSuffix(data, []byte("\n"))
	}
	r := ItemResponse{ItemView: iv, LastPosition: num(), Open: strs()}
	if rng.IntN(3) > 0 {
		r.NextTypes = []events.Type{}
		for range rng.IntN(3) {
			r.NextTypes = append(r.NextTypes, events.Type(str()))
		}
	}
	return r
}

// TestItemJSON: items and lists written by hand are the bytes
// encoding/json writes.
func TestItemJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 5000 {
		r := randomItem(rng)
		rec := httptest.NewRecorder()
		writeItem(rec, &r)
		if want := stdJSON(t, r); !bytes.Equal(rec.Body.Bytes(), want) {
			t.Fatalf("item %d:\n got %s\nwant %s", i, rec.Body.Bytes(), want)
		}
		if got, want := rec.Header().Get("Content-Length"), fmt.Sprint(rec.Body.Len()); got != want {
			t.Fatalf("Content-Length %s for %s bytes", got, want)
		}
	}
	for i := range 500 {
		l := ListResponse{Position: rng.Uint64()}
		if i%10 > 0 {
			l.Items = []ItemResponse{}
		}
		for range rng.IntN(4) {
			l.Items = append(l.Items, randomItem(rng))
		}
		if rng.IntN(2) == 0 {
			l.NextCursor = fmt.Sprint(rng.Uint64())
		}
		rec := httptest.NewRecorder()
		writeList(rec, &l)
		if want := stdJSON(t, l); !bytes.Equal(rec.Body.Bytes(), want) {
			t.Fatalf("list %d:\n got %s\nwant %s", i, rec.Body.Bytes(), want)
		}
	}
}
