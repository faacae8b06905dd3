package events

import (
	"reflect"
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
		supervisionFacts{form: "DELEGATION", followUp: "gs-1", recs: []string{"kn-1"}},
		critiqueFacts{form: "CONFERENCE", consultation: true, points: []string{"point:1"}},
		petitionFacts{kind: "COMPLAINT", secondInstance: true},
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
