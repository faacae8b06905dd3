package api_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/mttq-vn/ledger/projections"
)

// A party's trail, as a ward observer reads it, lists only obligations
// of records in the observer's scope, as GET /v1/deadlines?party= does: a
// recommendation the town issued to the ward's People's Committee, which
// the observer may not read (403), is not in it; the inspector's trail has
// it. (Found by an audit: the trail's flags followed the reader's scope,
// its obligations did not.)
func TestTrailObligationsFollowReaderScope(t *testing.T) {
	f := MustOpenServer(t)
	f.MustIssue(t, f.TownRecorder, "kn-town", unitTown, partyWard)
	f.MustAppend(t, f.TownRecorder, "recommendations", "kn-town", receivedRequest)

	if r := f.Do(t, "GET", "/v1/recommendations/kn-town", f.Observer.Secret, nil); r.Status != 404 {
		t.Fatalf("observer reads the town's recommendation: %d, want 404 (out of scope)", r.Status)
	}
	// Out of scope is answered at once, without waiting for the views:
	// the reads below ask for the head.
	r := getAtHead(t, f, f.Observer, "/v1/deadlines?party="+partyWard)
	var dl struct {
		Deadlines []projections.Obligation `json:"deadlines"`
	}
	if err := json.Unmarshal(r.Body, &dl); err != nil {
		t.Fatal(err)
	}
	r = getAtHead(t, f, f.Observer, "/v1/parties/"+partyWard+"/accountability")
	if r.Status != 200 {
		t.Fatalf("trail: %d %s", r.Status, r.Body)
	}
	var trail projections.Trail
	if err := json.Unmarshal(r.Body, &trail); err != nil {
		t.Fatal(err)
	}
	if len(trail.Obligations) != len(dl.Deadlines) || bytes.Contains(r.Body, []byte("recommendation/kn-town")) {
		t.Errorf("observer of %s: the trail of %s lists %d obligation(s) (%+v), /v1/deadlines?party= lists %d; the trail shows an item outside the reader's scope",
			unitWard, partyWard, len(trail.Obligations), trail.Obligations, len(dl.Deadlines))
	}
	r = getAtHead(t, f, f.Inspector, "/v1/parties/"+partyWard+"/accountability")
	if !bytes.Contains(r.Body, []byte("recommendation/kn-town")) {
		t.Errorf("the inspector's trail of %s has no recommendation/kn-town: %s", partyWard, r.Body)
	}
}
