package projections_test

import (
	"fmt"
	"slices"
	"strings"
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
	flagged := func() []string {
		var got []string
		for _, f := range v.Flags(today) {
			if f.Code == "MU_CONFLICT_OF_INTEREST" {
				got = append(got, f.Subject)
			}
		}
		return got
	}
	if got, want := flagged(), []string{"supervision/gs-1", "supervision/gs-2"}; !slices.Equal(got, want) {
		t.Errorf("flagged %q, want %q", got, want)
	}
	f := flagsCode(v, today, "supervision/gs-1", "MU_CONFLICT_OF_INTEREST")
	one := v.Item("supervision/gs-1")
	if len(f) != 1 || f[0].Party != "mttq-540" || f[0].Against != "supervisor" || f[0].RaisedOn != "2024-02-03" ||
		!slices.Equal(f[0].Cites, []projections.Cite{{Position: at, Type: events.SupervisionInterestDeclared}, {Position: one.Events[1], Type: events.SupervisionDelegationEstablished}}) {
		t.Errorf("gs-1's flag %+v, want against mttq-540 raised 2024-02-03 citing the declaration (%d) and the delegation", f, at)
	}

	// Corrections: Phạm Văn Khác added to the delegation; Lê Quang Hưng's
	// recusal found not to be one; gs-2's declaration was of another
	// relation, and recorded in confidence.
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionCorrected,
		`{"corrects_version":2,"reason":"Ghi thiếu thành viên.","changes":{"members":"[\"Trần Thị Bích, Hội Phụ nữ thị xã\", \"Lê Quang Hưng\", \"Phạm Văn Khác\"]"}}`, "2024-02-10")
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionCorrected,
		`{"corrects_version":6,"reason":"Ghi nhầm.","changes":{"recused":"false"}}`, "2024-02-10")
	secret := w.recordClass(recorder, events.KindSupervision, "gs-2", "", events.SupervisionInterestDeclared,
		`{"declared_on":"2024-02-06","member":"Đỗ Văn Minh","party_id":"ubnd-21610","relation":"BUSINESS","recused":false}`, "2024-02-06", events.Confidential)
	v = w.build()
	if got := flagsCode(v, today, "supervision/gs-1", "MU_CONFLICT_OF_INTEREST"); len(got) != 3 {
		t.Errorf("gs-1 after the corrections: %d flags, want 3 (Trần Thị Bích, Phạm Văn Khác, Lê Quang Hưng)", len(got))
	}
	if fs := flagsCode(v, today, "supervision/gs-2", "MU_CONFLICT_OF_INTEREST"); len(fs) != 1 || fs[0].Cites[0].Position != secret || !v.Withheld(&fs[0], projections.HideConfidential) || v.Withheld(&fs[0], 0) {
		t.Errorf("gs-2's flags %+v: want one citing the confidential declaration (%d), withheld from observers only", fs, secret)
	}

	// Ngô Văn Tám stands aside from ubnd-21610 in gs-2; then the
	// confidential declaration (version 3) is found to be his, not Đỗ Văn
	// Minh's. His recusal, the later, stands: no flag.
	w.rec(events.KindSupervision, "gs-2", "", events.SupervisionInterestDeclared,
		`{"declared_on":"2024-02-07","member":"Ngô Văn Tám","party_id":"ubnd-21610","relation":"KIN","recused":true}`, "2024-02-07")
	w.rec(events.KindSupervision, "gs-2", "", events.SupervisionCorrected,
		`{"corrects_version":3,"reason":"Ghi nhầm người kê khai.","changes":{"member":"Ngô Văn Tám"}}`, "2024-02-08")
	v = w.build()
	if fs := flagsCode(v, today, "supervision/gs-2", "MU_CONFLICT_OF_INTEREST"); len(fs) != 0 {
		t.Errorf("gs-2 after its declaration was found to be of a member who stood aside later: %+v, want none", fs)
	}
}

// TestRetaliationSignal: OB_RETALIATION_SIGNAL (domain.md §4.1) is raised
// against the body that took an adverse action against a petitioner or a
// member of a supervision from the day the matter started to
// retaliation_window_days (365) after it ended; not for one before, nor
// long after. On a denunciation it is withheld from respondents (the body
// would learn who denounced); a corrected date counts.
func TestRetaliationSignal(t *testing.T) {
	w := newWorld(t)
	class := events.Classification("")
	adverse := func(kind events.Kind, typ events.Type, id, member, on string) uint64 {
		m := ""
		if member != "" {
			m = fmt.Sprintf(`"member":%q,`, member)
		}
		return w.recordClass(recorder, kind, id, "", typ, fmt.Sprintf(`{"adverse_action":{"action_on":%q,"by_party_id":"ubnd-21607","action":"FINE",%s"description":"Xử phạt hành chính."}}`, on, m), max(on, "2024-06-01"), class)
	}
	acceptedDenunciation(w) // received 2024-05-13, not resolved
	before := adverse(events.KindPetition, events.PetitionAdverseAction, "tc-1", "", "2024-05-01")
	during := adverse(events.KindPetition, events.PetitionAdverseAction, "tc-1", "", "2024-06-10")
	still := adverse(events.KindPetition, events.PetitionAdverseAction, "tc-1", "", "2025-09-01") // long after, but still open
	w.rec(events.KindSupervision, "gs-1", "540", events.SupervisionPlanned,
		`{"title":"Giám sát cải cách hành chính","topic":"Cải cách hành chính","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21607"],"chair_party_id":"mttq-540","planned_start":"2024-03-01"}`, "2024-02-01")
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionResultReportSubmitted, `{"submitted_on":"2024-04-01","summary":"Báo cáo kết quả."}`, "2024-04-01")
	within := adverse(events.KindSupervision, events.SupervisionAdverseAction, "gs-1", "Lê Quang Hưng", "2025-03-31") // 364 days after the report
	late := adverse(events.KindSupervision, events.SupervisionAdverseAction, "gs-1", "Trần Thị Bích", "2025-04-10")   // 374 days after

	v := w.build()
	const today = "2025-12-31"
	cited := func(subject string) []uint64 {
		var out []uint64
		for _, f := range flagsCode(v, today, subject, "OB_RETALIATION_SIGNAL") {
			if f.Party != "ubnd-21607" || f.Against != "respondent" || f.Threshold != 365 {
				t.Errorf("%s: %+v, want against ubnd-21607 with threshold 365", subject, f)
			}
			// What was done to whom is personal data: not in the detail.
			if strings.Contains(f.Detail, "Lê Quang Hưng") || strings.Contains(f.Detail, "FINE") {
				t.Errorf("%s: the detail names the person or the action: %s", subject, f.Detail)
			}
			out = append(out, f.Cites[len(f.Cites)-1].Position)
		}
		return out
	}
	if got := cited("petition/tc-1"); !slices.Equal(got, []uint64{during, still}) {
		t.Errorf("petition: flags citing %v, want the actions while it is open (%d, %d), not the one before (%d)", got, during, still, before)
	}
	if got := cited("supervision/gs-1"); !slices.Equal(got, []uint64{within}) {
		t.Errorf("supervision: flags citing %v, want the action within the window (%d), not after (%d)", got, within, late)
	}
	for _, f := range flagsCode(v, today, "petition/tc-1", "OB_RETALIATION_SIGNAL") {
		if !v.Withheld(&f, projections.HideDenouncer) || v.Withheld(&f, 0) {
			t.Errorf("a denunciation's retaliation flag: withheld from a respondent %v, from MTTQ %v; want true, false", v.Withheld(&f, projections.HideDenouncer), v.Withheld(&f, 0))
		}
	}
	// The late action's date corrected into the window.
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionCorrected,
		`{"corrects_version":4,"reason":"Ghi nhầm ngày.","changes":{"adverse_action.action_on":"2025-03-20"}}`, "2025-04-11")
	// One recorded in confidence: its flag is not for readers who may not
	// see confidential data.
	class = events.Confidential
	secret := adverse(events.KindSupervision, events.SupervisionAdverseAction, "gs-1", "Võ Văn Mật", "2025-03-25")
	v = w.build()
	if got := cited("supervision/gs-1"); len(got) != 3 {
		t.Errorf("after the correction: flags citing %v, want all three actions", got)
	}
	for _, f := range flagsCode(v, today, "supervision/gs-1", "OB_RETALIATION_SIGNAL") {
		if confidential := f.Cites[len(f.Cites)-1].Position == secret; v.Withheld(&f, projections.HideConfidential) != confidential {
			t.Errorf("the flag citing %d: withheld from an observer %v, want %v", f.Cites[len(f.Cites)-1].Position, !confidential, confidential)
		}
	}
}

// TestBoardIncitement: MU_BOARD_INCITEMENT (domain.md §4.2) records an
// allegation against a member of a People's Inspection Board as a flag
// against the board, for review and nothing more; one recorded in
// confidence is withheld from observers; the allegation itself is personal
// data.
func TestBoardIncitement(t *testing.T) {
	w := newWorld(t)
	w.party("ttnd-21607", "Ban Thanh tra nhân dân phường Bình Định", "PEOPLES_INSPECTION_BOARD", "21607")
	allege := func(kind, on string, class events.Classification) uint64 {
		return w.recordClass(recorder, events.KindParty, "ttnd-21607", "", events.PartyAllegation,
			fmt.Sprintf(`{"allegation":{"received_on":%q,"member":"Đặng Văn Tư","kind":%q,"description":"Phản ánh kích động người dân."}}`, on, kind), on, class)
	}
	open := allege("INCITEMENT", "2024-09-12", "")
	secret := allege("LURING", "2024-09-20", events.Confidential)
	v := w.build()
	fs := flagsCode(v, "2024-12-31", "party/ttnd-21607", "MU_BOARD_INCITEMENT")
	if len(fs) != 2 {
		t.Fatalf("%d flags, want 2: %+v", len(fs), fs)
	}
	for _, f := range fs {
		confidential := f.Cites[0].Position == secret
		if f.Party != "ttnd-21607" || f.Against != "supervisor" || f.Unit != "21607" || v.Withheld(&f, projections.HideConfidential) != confidential || v.Withheld(&f, 0) ||
			f.Cites[0].Position != open && !confidential || strings.Contains(f.Detail, "Đặng Văn Tư") {
			t.Errorf("flag %+v: want against the board, naming no one, withheld from observers only if confidential (%v)", f, confidential)
		}
	}
	if !projections.IsPersonal("allegation") {
		t.Error("an allegation is not personal data")
	}
	// The first allegation's date corrected: the flag follows.
	w.rec(events.KindParty, "ttnd-21607", "", events.PartyCorrected,
		`{"corrects_version":2,"reason":"Ghi nhầm ngày nhận.","changes":{"allegation.received_on":"2024-09-10"}}`, "2024-09-21")
	v = w.build()
	if fs := flagsCode(v, "2024-12-31", "party/ttnd-21607", "MU_BOARD_INCITEMENT"); len(fs) != 2 || !slices.ContainsFunc(fs, func(f projections.Flag) bool { return f.RaisedOn == "2024-09-10" }) {
		t.Errorf("after the correction: %+v, want one raised 2024-09-10", fs)
	}
}
