package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mttq-vn/ledger/events"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// volatileRE matches what differs from run to run: UUIDs (event and token
// IDs), hex SHA-256 hashes and base64 SHA-256 hashes (Merkle nodes).
var volatileRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64}|[A-Za-z0-9+/]{43}=`)

// normalise replaces each distinct volatile value by a numbered placeholder
// in order of first appearance, so that equal values stay visibly equal
// (a prev_hash and the hash it names), and indents the JSON.
func normalise(tb testing.TB, b []byte) []byte {
	tb.Helper()
	seen := make(map[string]string)
	counts := make(map[string]int)
	out := volatileRE.ReplaceAllStringFunc(string(b), func(s string) string {
		if p, ok := seen[s]; ok {
			return p
		}
		kind := "uuid"
		switch {
		case len(s) == 64:
			kind = "hash"
		case len(s) == 44:
			kind = "b64hash"
		}
		counts[kind]++
		seen[s] = fmt.Sprintf("<%s-%d>", kind, counts[kind])
		return seen[s]
	})
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace([]byte(out)), "", "  "); err != nil {
		tb.Fatalf("normalise %s: %v", b, err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

// assertGolden compares got with testdata/name.golden, or rewrites it
// under -update.
func assertGolden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test ./api -run TestGolden -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		tb.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

// TestGolden pins the JSON shape of the API's responses. The fixture is
// built in the same order every run, the ledger's clock is fixed, and IDs
// and hashes are replaced by placeholders.
func TestGolden(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	ok := func(r Reply, status int) []byte {
		t.Helper()
		if r.Status != status {
			t.Fatalf("status: got %d, want %d (%s)", r.Status, status, r.Body)
		}
		return r.Body
	}
	withDoc := issueRequest("rec-1", unitWard, partyWard)
	withDoc.DocumentRef = &events.DocumentRef{Number: "15/KN-MTTQ-BTT", SignedOn: "2023-03-10"}
	created := ok(f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, withDoc, "Idempotency-Key", "golden-1"), http.StatusCreated)
	replayed := ok(f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, withDoc, "Idempotency-Key", "golden-1"), http.StatusCreated)
	ok(f.Do(t, "POST", "/v1/recommendations/rec-1/events", f.Respondent.Secret, receivedRequest), http.StatusCreated)
	confidential := reminderRequest
	confidential.Classification = "confidential"
	ok(f.Do(t, "POST", "/v1/recommendations/rec-1/events", f.Recorder.Secret, confidential, "If-Match", `"2"`), http.StatusCreated)
	size := f.MustWaitApplied(t)

	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"error", ok(f.Do(t, "POST", "/v1/recommendations/rec-1/events", f.Recorder.Secret, `{"type":"recommendation.acknowledged.v1","data":{"acknowledged_on":"2023-03-13","by":"x"}}`), http.StatusBadRequest)},
		{"error_conflict", ok(f.Do(t, "POST", "/v1/recommendations/rec-1/events", f.Recorder.Secret, `{"type":"recommendation.closed.v1","data":{"closed_on":"2023-03-13"}}`), http.StatusConflict)},
		{"write_result", created},
		{"write_result_replayed", replayed},
		{"state", ok(f.Do(t, "GET", "/v1/recommendations/rec-1", f.Observer.Secret, nil), http.StatusOK)},
		{"stream_history", ok(f.Do(t, "GET", "/v1/recommendations/rec-1/events", f.Observer.Secret, nil), http.StatusOK)},
		{"inclusion_proof", ok(f.Do(t, "GET", fmt.Sprintf("/v1/log/proof/inclusion?position=5&size=%d", size), "", nil), http.StatusOK)},
		{"consistency_proof", ok(f.Do(t, "GET", fmt.Sprintf("/v1/log/proof/consistency?from=5&to=%d", size), "", nil), http.StatusOK)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertGolden(t, tc.name, normalise(t, tc.body))
		})
	}
}
