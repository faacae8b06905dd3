package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestParseEnvelopeHead checks the fast parse against encoding/json on the
// golden envelope of every event type, and that it declines what it cannot
// read exactly.
func TestParseEnvelopeHead(t *testing.T) {
	files, _ := filepath.Glob("testdata/golden/*.json")
	if len(files) != len(Types()) {
		t.Fatalf("%d golden envelopes, want %d", len(files), len(Types()))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fast, slow verifyEnvelope
		if !parseEnvelopeHead(raw, &fast) {
			t.Errorf("%s: the fast parse declines a canonical envelope", f)
			continue
		}
		if err := json.Unmarshal(raw, &slow); err != nil || fast != slow {
			t.Errorf("%s: fast %+v, encoding/json %+v (%v)", f, fast, slow, err)
		}
	}
	for _, raw := range []string{
		``, `{}`, `{"id":"a\\"b","stream":"unit/1","kind":"unit","type":"unit.registered.v1","version":1,"prev_hash":"","data":{}}`,
		`{"id":"a","stream":"unit/1","kind":"unit","type":"unit.registered.v1","version":01,"prev_hash":"","data":{}}`,
		`{"id":"a","stream":"unit/1","kind":"unit","type":"unit.registered.v1","version":1,"prev_hash":""}`,
		`{"stream":"unit/1","id":"a","kind":"unit","type":"unit.registered.v1","version":1,"prev_hash":"","data":{}}`,
	} {
		var e verifyEnvelope
		if parseEnvelopeHead([]byte(raw), &e) {
			t.Errorf("the fast parse accepts %s: %+v", raw, e)
		}
	}
}
