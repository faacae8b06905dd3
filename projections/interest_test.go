package projections_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// TestConflictOfInterest: MU_CONFLICT_OF_INTEREST (domain.md §4.2) is
// raised against the supervising body when a member declares a relation to
// a subject and does not stand aside: if the member is on the delegation
// (the name before any comma, in any case and without diacritics), or no
// delegation is recorded. A later recusal of the same member and subject
// replaces the declaration; a member not on the delegation raises nothing,
// nor does a cancelled supervision.
func TestConflictOfInterest(t *testing.T) {
	w := newWorld(t)
	supervision := func(id string, delegation bool) {
		w.rec(events.KindSupervision, id, "540", events.SupervisionPlanned,
			`{"title":"Giám sát cải cách hành chính","topic":"Cải cách hành chính","form":"DELEGATION","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21607","ubnd-21610"],"chair_party_id":"mttq-540","planned_start":"2024-03-01"}`, "2024-02-01")
		if delegation {
			w.rec(events.KindSupervision, id, "", events.SupervisionDelegationEstablished,
				`{"decided_on":"2024-02-02","head":"Nguyễn Văn An, Phó Chủ tịch","members":["Trần Thị Bích, Hội Phụ nữ thị xã","Lê Quang Hưng"]}`, "2024-02-02")
		}
	}
	declare := func(id, member, party string, recused bool, on string) uint64 {
		return w.rec(events.KindSupervision, id, "", events.SupervisionInterestDeclared,
			fmt.Sprintf(`{"declared_on":%q,"member":%q,"party_id":%q,"relation":"KIN","detail":"Người thân công tác tại đó.","recused":%v}`, on, member, party, recused), on)
	}
	supervision("gs-1", true)
	at := declare("gs-1", "TRẦN THỊ BÍCH", "ubnd-21607", false, "2024-02-03")         // on the delegation: raised
	declare("gs-1", "Phạm Văn Khác", "ubnd-21607", false, "2024-02-03")               // not on it: nothing
	declare("gs-1", "Lê Quang Hưng, Hội Nông dân", "ubnd-21610", false, "2024-02-03") // on it, then stands aside
	declare("gs-1", "Lê Quang Hưng", "ubnd-21610", true, "2024-02-04")
	supervision("gs-2", false) // no delegation recorded (yet): raised
	declare("gs-2", "Đỗ Văn Minh", "ubnd-21610", false, "2024-02-05")
	supervision("gs-3", true)
	declare("gs-3", "Nguyễn Văn An", "ubnd-21607", false, "2024-02-05")
	w.rec(events.KindSupervision, "gs-3", "", events.SupervisionCancelled, `{"cancelled_on":"2024-02-06","reason":"Trùng kế hoạch của HĐND."}`, "2024-02-06")

	v := w.build()
	const today = "2024-12-31"
	var got []string
	for _, f := range v.Flags(today) {
		if f.Code == "MU_CONFLICT_OF_INTEREST" {
			got = append(got, f.Subject)
		}
	}
	if want := []string{"supervision/gs-1", "supervision/gs-2"}; !slices.Equal(got, want) {
		t.Errorf("flagged %q, want %q", got, want)
	}
	f := flagsCode(v, today, "supervision/gs-1", "MU_CONFLICT_OF_INTEREST")
	one := v.Item("supervision/gs-1")
	if len(f) != 1 || f[0].Party != "mttq-540" || f[0].Against != "supervisor" || f[0].RaisedOn != "2024-02-03" ||
		!slices.Equal(f[0].Cites, []projections.Cite{{Position: at, Type: events.SupervisionInterestDeclared}, {Position: one.Events[1], Type: events.SupervisionDelegationEstablished}}) {
		t.Errorf("gs-1's flag %+v, want against mttq-540 raised 2024-02-03 citing the declaration (%d) and the delegation", f, at)
	}
}
