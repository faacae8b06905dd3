package events

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseStoredMatchesUnmarshal(t *testing.T) {
	at := time.Date(2024, 3, 1, 9, 30, 0, 123456789, time.FixedZone("ICT", 7*3600))
	base := Envelope{ID: "0190c2a4-aaaa", Stream: "recommendation/kn-1", Kind: KindRecommendation, Type: RecommendationIssued, Version: 1,
		OccurredAt: at, RecordedAt: at.UTC(), Actor: Actor{Subject: "token/a", Role: RoleRecorder}, Unit: "52", Classification: Public,
		PrevHash: "", Data: json.RawMessage(`{"title":"Kiến nghị về \"quy hoạch\"","n":[1,{"a":"}"}]}`)}
	cases := map[string]func(e *Envelope){
		"plain":           func(*Envelope) {},
		"actor unit":      func(e *Envelope) { e.Actor.Unit = "540" },
		"actor party":     func(e *Envelope) { e.Actor.Party = "ubnd-1" },
		"actor both":      func(e *Envelope) { e.Actor.Unit, e.Actor.Party = "540", "ubnd-1" },
		"document":        func(e *Envelope) { e.DocumentRef = &DocumentRef{Number: "12/KN-MTTQ", SignedOn: "2024-03-01"} },
		"idempotency key": func(e *Envelope) { e.IdempotencyKey = "key-1" },
		"everything": func(e *Envelope) {
			e.Actor.Unit, e.Actor.Party, e.IdempotencyKey = "540", "ubnd-1", "k"
			e.DocumentRef = &DocumentRef{Number: "1/QĐ", SignedOn: "2024-01-01"}
			e.Version, e.PrevHash = 1234567, "ab12"
		},
		"escaped string (slow path)": func(e *Envelope) { e.Actor.Subject = `token/"quoted"` },
		"html characters":            func(e *Envelope) { e.Unit = "<52>&" },
		"empty data object":          func(e *Envelope) { e.Data = json.RawMessage(`{}`) },
		"utc times":                  func(e *Envelope) { e.OccurredAt = at.UTC().Truncate(time.Second) },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			e := base
			change(&e)
			b, err := e.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			want, err := UnmarshalEnvelope(b)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ParseStored(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ParseStored(%s)\n got %+v\nwant %+v", b, got, want)
			}
			var fast Envelope
			if slow := name == "escaped string (slow path)"; parseCanonical(b, &fast) == slow {
				t.Errorf("fast path taken = %v, want %v", !slow, !slow)
			}
		})
	}
}

func TestParseStoredRefusesOrFallsBack(t *testing.T) {
	e := Envelope{ID: "x", Stream: "supervision/s", Kind: KindSupervision, Type: SupervisionPlanned, Version: 1, Classification: Public, Data: json.RawMessage(`{"a":1}`)}
	good, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"not json":          []byte(`hello`),
		"truncated":         good[:len(good)-3],
		"bad version":       bytes.Replace(good, []byte(`"version":1`), []byte(`"version":"1"`), 1),
		"leading zero":      bytes.Replace(good, []byte(`"version":1`), []byte(`"version":01`), 1),
		"bad time":          bytes.Replace(good, []byte(`"occurred_at":"0001-01-01T00:00:00Z"`), []byte(`"occurred_at":"yesterday"`), 1),
		"data not object":   bytes.Replace(good, []byte(`"data":{"a":1}`), []byte(`"data":[1]`), 1),
		"trailing bytes":    append(bytes.Clone(good), ' ', '}'),
		"control character": bytes.Replace(good, []byte(`"id":"x"`), []byte("\"id\":\"x\x01\""), 1),
		"damaged data":      bytes.Replace(good, []byte(`"data":{"a":1}`), []byte(`"data":{"a":1}}`), 1),
		"type then syntax":  bytes.Replace(good, []byte(`"data":{"a":1}`), []byte(`"data":{"a":"x","b":}`), 1),
		"bad utf-8":         bytes.Replace(good, []byte(`"id":"x"`), []byte("\"id\":\"x\xff\""), 1),
		"bad utf-8 in data": bytes.Replace(good, []byte(`"data":{"a":1}`), []byte("\"data\":{\"a\":\"\xff\"}"), 1),
		"bad signed_on":     bytes.Replace(good, []byte(`,"prev_hash"`), []byte(`,"document_ref":{"number":"1","signed_on":"2024-02-30"},"prev_hash"`), 1),
	} {
		var fast Envelope
		if parseCanonical(b, &fast) {
			t.Errorf("%s: the fast path accepted %s", name, b)
		}
		// The fallback is encoding/json itself: the same result.
		got, err := ParseStored(b)
		want, wantErr := UnmarshalEnvelope(b)
		if (err == nil) != (wantErr == nil) || IsSyntaxError(err) != IsSyntaxError(wantErr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: ParseStored gives %+v, %v; encoding/json %+v, %v", name, got, err, want, wantErr)
		}
	}
}

func BenchmarkParseEnvelope(b *testing.B) {
	e := Envelope{ID: "0190c2a4-aaaa-7bbb-8ccc-0123456789ab", Stream: "recommendation/kn-1-2", Kind: KindRecommendation, Type: RecommendationIssued, Version: 1,
		OccurredAt: time.Now(), RecordedAt: time.Now(), Actor: Actor{Subject: "token/a", Role: RoleRecorder, Unit: "52"}, Unit: "52d01c01", Classification: Public,
		DocumentRef: &DocumentRef{Number: "12/KN-MTTQ", SignedOn: "2024-03-01"},
		Data:        json.RawMessage(`{"source_kind":"SUPERVISION","source_id":"gs-1","addressee_party_id":"ubnd-52d01c01","title":"Kiến nghị số 1 về công tác tiếp công dân","content":"Đề nghị Ủy ban nhân dân xã bố trí tiếp công dân ít nhất 1 ngày mỗi tuần và niêm yết công khai lịch tiếp.","issued_on":"2024-03-01"}`)}
	raw, _ := e.Marshal()
	b.Run("encoding/json", func(b *testing.B) {
		for range b.N {
			if _, err := UnmarshalEnvelope(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ParseStored", func(b *testing.B) {
		for range b.N {
			if _, err := ParseStored(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The replay decodes payloads with go-json-experiment/json; on every golden
// event (one per type) it must give what encoding/json gives, and both
// must refuse the same damaged payloads.
func TestDecodeStoredMatchesEncodingJSON(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.json")
	if err != nil || len(files) < len(Types()) {
		t.Fatalf("golden files: %d for %d types (%v)", len(files), len(Types()), err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		env, err := ParseStored(bytes.TrimSpace(raw))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := decodeStored(env.Type, env.Data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want := specsByType[env.Type].new()
		if err := json.Unmarshal(env.Data, want); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n go-json-experiment %+v\n encoding/json      %+v", f, got, want)
		}
		for _, bad := range [][]byte{env.Data[:len(env.Data)-1], append(bytes.Clone(env.Data), '}'), []byte(`{"x":}`)} {
			_, err := decodeStored(env.Type, bad)
			if !IsSyntaxError(err) {
				t.Errorf("%s: decoding %s gives %v, want a syntax error", f, bad, err)
			}
		}
	}
}

func TestKnownNames(t *testing.T) {
	names := knownNames()
	for _, k := range []string{"recommendation", "supervision", "recorder", "respondent", "public", string(RecommendationIssued)} {
		if names[k] != k {
			t.Errorf("knownNames lacks %q (it has %d names)", k, len(names))
		}
	}
	if len(names) < len(Types()) {
		t.Errorf("knownNames has %d names for %d types", len(names), len(Types()))
	}
}

// Data nested as deep as encoding/json's limit (10,000 levels, the
// envelope's own included) is left to encoding/json: jsontext alone would
// accept one level more.
func TestParseStoredNestingDepth(t *testing.T) {
	good := []byte(`{"id":"x","stream":"unit/u1","kind":"unit","type":"unit.registered.v1","version":1,"occurred_at":"2024-03-01T09:30:00Z","recorded_at":"2024-03-01T09:30:00Z","actor":{"subject":"token/a","role":"recorder"},"unit":"u1","classification":"public","prev_hash":"","data":{"a":1}}`)
	for _, depth := range []int{9997, 9998, 9999} {
		inner := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		b := bytes.Replace(good, []byte(`"data":{"a":1}`), []byte(`"data":{"a":`+inner+`}`), 1)
		got, err := ParseStored(b)
		want, wantErr := UnmarshalEnvelope(b)
		if (err == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("depth %d: ParseStored %v, encoding/json %v", depth, err, wantErr)
		}
	}
}
