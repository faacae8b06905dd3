package projections_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// petitionerFlagged lists the subjects of the flags of code at today, and
// checks that each is withheld from readers who may not see personal data
// and shown to the others.
func petitionerFlagged(t *testing.T, v *projections.Views, today events.Date, code string) []string {
	t.Helper()
	var out []string
	for _, f := range v.Flags(today) {
		if f.Code != code {
			continue
		}
		out = append(out, f.Subject)
		if f.Party != "" || f.Against != "petitioner" {
			t.Errorf("%s of %s: party %q, against %q; want none, petitioner", code, f.Subject, f.Party, f.Against)
		}
		for r, withheld := range map[projections.Redaction]bool{0: false, projections.HidePersonal | projections.HideConfidential: true, projections.HideDenouncer: true} {
			if v.Withheld(&f, r) != withheld {
				t.Errorf("%s of %s withheld from a reader with redaction %d: %v, want %v", code, f.Subject, r, !withheld, withheld)
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestRepeatPetition: MU_REPEAT_PETITION (domain.md §4.2) is raised on a
// complaint received on or after the day another of the same complainant
// (by ID number, or by name and address, written in any case and with any
// punctuation, but with the same diacritics) was finally decided (at the
// second instance, or at the first once the time to take it further, 30
// days, has passed), if their summaries share at least half their words;
// the earlier one of its unit or a unit below. Not on one received before
// the decision, or within the time to take it to the second instance, nor
// on another person's, nor on another matter. A corrected petitioner
// counts as named.
func TestRepeatPetition(t *testing.T) {
	w := newWorld(t)
	complaint := func(id, unit, petitioner, summary, received string) {
		w.rec(events.KindPetition, id, unit, events.PetitionReceived,
			fmt.Sprintf(`{"channel":"MAIL","received_on":%q,"petition_kind":"COMPLAINT","anonymous":false,"petitioner":%s,"summary":%q}`, received, petitioner, summary), received)
	}
	decided := func(id string, on ...string) {
		w.rec(events.KindPetition, id, "", events.PetitionClassified,
			`{"classified_on":"2024-03-02","petition_kind":"COMPLAINT","competent_party_id":"ubnd-21607","complex":false,"remote":false}`, "2024-03-02")
		w.rec(events.KindPetition, id, "", events.PetitionForwarded, `{"forwarded_on":"2024-03-04","to_party_id":"ubnd-21607"}`, "2024-03-04")
		w.rec(events.KindPetition, id, "", events.PetitionAccepted, `{"accepted_on":"2024-03-10"}`, "2024-03-10")
		// The resolution's summary is not the complaint's.
		w.rec(events.KindPetition, id, "", events.PetitionResolved, fmt.Sprintf(`{"resolved_on":%q,"outcome":"Giữ nguyên quyết định.","summary":"Bác đơn, giữ nguyên quyết định hành chính."}`, on[0]), on[0])
		if len(on) > 1 {
			w.rec(events.KindPetition, id, "", events.PetitionSecondInstanceFiled, `{"filed_on":"2024-04-25","to_party_id":"ubnd-21610"}`, "2024-04-25")
			w.rec(events.KindPetition, id, "", events.PetitionSecondInstanceAccepted, `{"accepted_on":"2024-04-29"}`, "2024-04-29")
			w.rec(events.KindPetition, id, "", events.PetitionResolved, fmt.Sprintf(`{"resolved_on":%q,"outcome":"Giữ nguyên."}`, on[1]), on[1])
		}
	}
	const (
		khieu    = `{"name":"Lê Văn Khiếu","address":"Thôn 1, Nhơn Hưng"}`
		matter   = "Khiếu nại quyết định thu hồi đất số 123/QĐ-UBND"
		byNumber = `{"name":"Nguyễn Thị Hoa","id_number":"052 190 001 234"}`
	)
	complaint("kn-1", "21607", khieu, matter, "2024-03-01")
	decided("kn-1", "2024-04-20") // final from 21 May
	// The same person and matter, written otherwise: a repeat.
	complaint("kn-2", "21607", `{"name":"LÊ VĂN KHIẾU","address":"thôn 1 - Nhơn Hưng"}`, "Tiếp tục khiếu nại Quyết định số 123/QĐ-UBND thu hồi đất", "2024-06-01")
	// The same person, another matter.
	complaint("kn-3", "21607", khieu, "Khiếu nại việc bồi thường khi xây trường học", "2024-06-05")
	// Another person (the same name elsewhere; another name by a
	// diacritic), the same matter.
	complaint("kn-4", "21607", `{"name":"Lê Văn Khiếu","address":"Thôn 2, Nhơn Hưng"}`, matter, "2024-06-02")
	complaint("kn-12", "21607", `{"name":"Lê Văn Khiêu","address":"Thôn 1, Nhơn Hưng"}`, matter, "2024-06-02")
	// The same person and matter before the first was decided, and while
	// it could still go to the second instance.
	complaint("kn-5", "21607", khieu, matter, "2024-04-01")
	complaint("kn-9", "21607", khieu, matter, "2024-05-10")
	// The same again at the town, whose scope has the ward's; and in
	// another commune, whose has not.
	complaint("kn-11", "540", khieu, matter, "2024-06-03")
	complaint("kn-10", "21610", khieu, matter, "2024-06-03")
	// By ID number, after a second instance: received while it was
	// pending (not a repeat) and after its decision.
	complaint("kn-6", "21607", byNumber, "Khiếu nại về việc cấp giấy chứng nhận quyền sử dụng đất", "2024-03-01")
	decided("kn-6", "2024-04-20", "2024-05-20")
	complaint("kn-13", "21607", byNumber, "Khiếu nại việc cấp giấy chứng nhận quyền sử dụng đất", "2024-05-01")
	complaint("kn-7", "21607", `{"name":"Nguyễn Thị Hoà","id_number":"052190001234"}`, "Khiếu nại việc cấp giấy chứng nhận quyền sử dụng đất", "2024-05-25")
	// Someone else, the same matter as kn-1, whose name is then corrected.
	complaint("kn-8", "21607", `{"name":"Trần Thị B","address":"Thôn 1, Nhơn Hưng"}`, matter, "2024-07-01")
	// The second instance did not accept it: the first decision stands
	// from then.
	const tam = `{"name":"Đỗ Văn Tám","id_number":"052 190 009 999"}`
	complaint("kn-14", "21607", tam, "Khiếu nại việc thu hồi đất làm đường liên xã", "2024-03-01")
	decided("kn-14", "2024-04-20")
	w.rec(events.KindPetition, "kn-14", "", events.PetitionSecondInstanceFiled, `{"filed_on":"2024-04-25","to_party_id":"ubnd-21610"}`, "2024-04-25")
	w.rec(events.KindPetition, "kn-14", "", events.PetitionSecondInstanceNotAccepted, `{"decided_on":"2024-05-02","reason":"Đã khởi kiện tại Tòa án."}`, "2024-05-02")
	complaint("kn-15", "21607", tam, "Khiếu nại việc thu hồi đất làm đường liên xã", "2024-05-10")

	v := w.build()
	const today = "2024-12-31"
	if got, want := petitionerFlagged(t, v, today, "MU_REPEAT_PETITION"), []string{"petition/kn-11", "petition/kn-15", "petition/kn-2", "petition/kn-7"}; !slices.Equal(got, want) {
		t.Errorf("flagged %q, want %q", got, want)
	}
	f := flagsCode(v, today, "petition/kn-2", "MU_REPEAT_PETITION")
	first := v.Item("petition/kn-1")
	if len(f) != 1 || f[0].RaisedOn != "2024-06-01" || f[0].Threshold != 50 || len(f[0].Cites) != 2 || f[0].Cites[0].Position != first.Events[4] || f[0].Cites[1].Position != v.Item("petition/kn-2").Created ||
		!strings.Contains(f[0].Detail, "2024-05-21") {
		t.Errorf("kn-2's flag %+v, want raised 2024-06-01, threshold 50, citing kn-1's resolution (%d), final from 2024-05-21, and kn-2's receipt", f, first.Events[4])
	}
	if got := flagsCode(v, "2024-05-31", "petition/kn-2", "MU_REPEAT_PETITION"); len(got) != 0 {
		t.Errorf("raised before kn-2 was received: %+v", got)
	}
	if f := flagsCode(v, today, "petition/kn-15", "MU_REPEAT_PETITION"); len(f) != 1 || f[0].Cites[0].Position != v.Item("petition/kn-14").Events[len(v.Item("petition/kn-14").Events)-1] || !strings.Contains(f[0].Detail, "2024-05-02") {
		t.Errorf("kn-15's flag %+v, want it citing kn-14's refusal at the second instance, final from 2024-05-02", f)
	}
	f = flagsCode(v, today, "petition/kn-7", "MU_REPEAT_PETITION")
	if six := v.Item("petition/kn-6"); len(f) != 1 || f[0].Cites[0].Position != six.Events[len(six.Events)-1] {
		t.Errorf("kn-7's flag %+v, want it citing kn-6's second decision", f)
	}

	w.rec(events.KindPetition, "kn-8", "", events.PetitionCorrected,
		`{"corrects_version":1,"reason":"Ghi nhầm tên người khiếu nại.","changes":{"petitioner.name":"Lê Văn Khiếu"}}`, "2024-07-02")
	v = w.build()
	if got, want := petitionerFlagged(t, v, today, "MU_REPEAT_PETITION"), []string{"petition/kn-11", "petition/kn-15", "petition/kn-2", "petition/kn-7", "petition/kn-8"}; !slices.Equal(got, want) {
		t.Errorf("after the correction: flagged %q, want %q", got, want)
	}
	// kn-2 found anonymous after all.
	w.rec(events.KindPetition, "kn-2", "", events.PetitionCorrected,
		`{"corrects_version":1,"reason":"Đơn không ký tên.","changes":{"anonymous":"true","petitioner.name":"","petitioner.address":""}}`, "2024-07-02")
	v = w.build()
	if got, want := petitionerFlagged(t, v, today, "MU_REPEAT_PETITION"), []string{"petition/kn-11", "petition/kn-15", "petition/kn-7", "petition/kn-8"}; !slices.Equal(got, want) {
		t.Errorf("after kn-2 was found anonymous: flagged %q, want %q", got, want)
	}
}

// TestFalseDenunciation: MU_FALSE_DENUNCIATION (domain.md §4.2) is raised
// on each denunciation whose resolution concluded it untrue, counting the
// denouncer's earlier ones; an anonymous one is no one's and is not
// flagged. From the configured count on only; a corrected conclusion
// counts as corrected.
func TestFalseDenunciation(t *testing.T) {
	w := newWorld(t)
	unit := "21607"
	denunciation := func(id, petitioner, conclusion, resolved string) {
		anonymous := petitioner == ""
		if anonymous {
			petitioner = `{}`
		}
		w.rec(events.KindPetition, id, unit, events.PetitionReceived,
			fmt.Sprintf(`{"channel":"MAIL","received_on":"2024-05-13","petition_kind":"DENUNCIATION","anonymous":%v,"petitioner":%s,"summary":"Tố cáo cán bộ địa chính"}`, anonymous, petitioner), "2024-05-13")
		w.rec(events.KindPetition, id, "", events.PetitionClassified,
			`{"classified_on":"2024-05-14","petition_kind":"DENUNCIATION","competent_party_id":"ubnd-21607","complex":false,"remote":false}`, "2024-05-14")
		w.rec(events.KindPetition, id, "", events.PetitionForwarded, `{"forwarded_on":"2024-05-17","to_party_id":"ubnd-21607"}`, "2024-05-17")
		w.rec(events.KindPetition, id, "", events.PetitionAccepted, `{"accepted_on":"2024-05-27"}`, "2024-05-27")
		w.rec(events.KindPetition, id, "", events.PetitionResolved, fmt.Sprintf(`{"resolved_on":%q,"outcome":"Kết luận nội dung tố cáo.","conclusion":%q}`, resolved, conclusion), resolved)
	}
	const d = `{"name":"Phạm Văn D","address":"Thôn 3"}`
	denunciation("tc-3", d, "UNTRUE", "2024-08-01") // recorded first, concluded last
	denunciation("tc-1", d, "UNTRUE", "2024-06-20")
	denunciation("tc-2", d, "TRUE", "2024-06-21")
	denunciation("tc-4", "", "UNTRUE", "2024-06-22")
	denunciation("tc-5", d, "PARTLY_TRUE", "2024-06-23")
	// The same person in another commune: counted there, not here.
	unit = "21610"
	denunciation("tc-6", d, "UNTRUE", "2024-06-01")

	v := w.build()
	const today = "2024-12-31"
	if got, want := petitionerFlagged(t, v, today, "MU_FALSE_DENUNCIATION"), []string{"petition/tc-1", "petition/tc-3", "petition/tc-6"}; !slices.Equal(got, want) {
		t.Errorf("flagged %q, want %q", got, want)
	}
	f := flagsCode(v, today, "petition/tc-3", "MU_FALSE_DENUNCIATION")
	if len(f) != 1 || f[0].RaisedOn != "2024-08-01" || len(f[0].Cites) != 2 || f[0].Threshold != 1 {
		t.Errorf("tc-3's flag %+v, want raised 2024-08-01, the second: citing both conclusions, threshold 1", f)
	}
	if got := petitionerFlagged(t, v, "2024-07-31", "MU_FALSE_DENUNCIATION"); !slices.Equal(got, []string{"petition/tc-1", "petition/tc-6"}) {
		t.Errorf("at 2024-07-31: flagged %q, want tc-1 and tc-6", got)
	}

	// Only from the second untrue conclusion of one denouncer.
	cfg := projections.DefaultConfig()
	cfg.Rules.Thresholds.FalseDenunciationCount = 2
	twice, err := projections.NewRunner(w.store, cfg, nil, slog.New(slog.DiscardHandler)).Build(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := petitionerFlagged(t, twice, today, "MU_FALSE_DENUNCIATION"); !slices.Equal(got, []string{"petition/tc-3"}) { // not tc-1, second of the person's but first of its unit
		t.Errorf("with a count of 2: flagged %q, want tc-3", got)
	}

	// tc-1's conclusion corrected: tc-3 is the first untrue one.
	w.rec(events.KindPetition, "tc-1", "", events.PetitionCorrected,
		`{"corrects_version":5,"reason":"Ghi nhầm kết luận.","changes":{"conclusion":"PARTLY_TRUE"}}`, "2024-09-01")
	v = w.build()
	if got := petitionerFlagged(t, v, today, "MU_FALSE_DENUNCIATION"); !slices.Equal(got, []string{"petition/tc-3", "petition/tc-6"}) {
		t.Errorf("after the correction: flagged %q, want tc-3 and tc-6", got)
	}
	if f := flagsCode(v, today, "petition/tc-3", "MU_FALSE_DENUNCIATION"); len(f) != 1 || len(f[0].Cites) != 1 {
		t.Errorf("tc-3's flag after the correction %+v, want one citing its own conclusion", f)
	}
}

// TestAnonymousBulk: MU_ANONYMOUS_BULK (domain.md §4.2) is raised on an
// anonymous denunciation forwarded to be resolved, and on each petition
// from the third on with the same summary (case, diacritics and
// punctuation aside) received by one unit within 30 days through more than
// one channel; not on three through one channel, nor on three spread
// wider, nor counting another unit's.
func TestAnonymousBulk(t *testing.T) {
	w := newWorld(t)
	unit := "21607"
	petition := func(id, channel, summary, received string, anonymous bool) {
		who := `{"name":"Người dân","address":"Thôn 4"}`
		if anonymous {
			who = `{}`
		}
		w.rec(events.KindPetition, id, unit, events.PetitionReceived,
			fmt.Sprintf(`{"channel":%q,"received_on":%q,"petition_kind":"DENUNCIATION","anonymous":%v,"petitioner":%s,"summary":%q}`, channel, received, anonymous, who, summary), received)
	}
	const bulk = "Tố cáo Chủ tịch UBND phường nhận hối lộ"
	petition("d-1", "MAIL", bulk, "2024-05-01", false)
	petition("d-2", "ONLINE", "tố cáo chủ tịch ubnd phường nhận hối lộ!", "2024-05-10", true)
	petition("d-3", "MAIL", bulk, "2024-05-20", false)      // the third within 30 days: raised
	petition("d-4", "RECEPTION", bulk, "2024-06-05", false) // d-2..d-4 within 30 days: raised
	petition("d-5", "MAIL", bulk, "2024-08-01", false)      // alone in its window
	petition("m-1", "MAIL", "Tố cáo cán bộ địa chính", "2024-05-01", false)
	petition("m-2", "MAIL", "Tố cáo cán bộ địa chính", "2024-05-02", false)
	petition("m-3", "MAIL", "Tố cáo cán bộ địa chính", "2024-05-03", false) // one channel only
	unit = "21610"                                                          // another commune's: counted apart
	petition("o-1", "ONLINE", bulk, "2024-05-21", false)
	unit = "21607"
	// An anonymous denunciation forwarded to be resolved.
	w.rec(events.KindPetition, "d-2", "", events.PetitionClassified,
		`{"classified_on":"2024-05-11","petition_kind":"DENUNCIATION","competent_party_id":"ubnd-21607","complex":false,"remote":false}`, "2024-05-11")
	w.rec(events.KindPetition, "d-2", "", events.PetitionForwarded, `{"forwarded_on":"2024-05-12","to_party_id":"ubnd-21607"}`, "2024-05-12")

	v := w.build()
	if got, want := petitionerFlagged(t, v, "2024-12-31", "MU_ANONYMOUS_BULK"), []string{"petition/d-2", "petition/d-3", "petition/d-4"}; !slices.Equal(got, want) {
		t.Errorf("flagged %q, want %q", got, want)
	}
	if f := flagsCode(v, "2024-12-31", "petition/d-4", "MU_ANONYMOUS_BULK"); len(f) != 1 || len(f[0].Cites) != 3 || f[0].Threshold != 3 || f[0].RaisedOn != "2024-06-05" {
		t.Errorf("d-4's flag %+v, want raised 2024-06-05 citing the three receipts in its window, threshold 3", f)
	}
	if f := flagsCode(v, "2024-12-31", "petition/d-2", "MU_ANONYMOUS_BULK"); len(f) != 1 || f[0].RaisedOn != "2024-05-12" || f[0].Threshold != 0 {
		t.Errorf("d-2's flag %+v, want one raised on its forwarding, 2024-05-12, with no threshold", f)
	}
}

// A denunciation recorded as anonymous by mistake (the denouncer signed
// it), corrected to named before it was forwarded: it is no longer an
// anonymous denunciation, so MU_ANONYMOUS_BULK's "anonymous denunciation
// forwarded" is not raised on it (corrections of anonymous count).
func TestAnonymousCorrectedToNamed(t *testing.T) {
	w := newWorld(t)
	w.recordClass(recorder, events.KindPetition, "tc-a", "21607", events.PetitionReceived,
		`{"channel":"MAIL","received_on":"2024-03-04","petition_kind":"DENUNCIATION","anonymous":true,"summary":"Tố cáo cán bộ địa chính nhận tiền"}`, "2024-03-04", events.Confidential)
	w.rec(events.KindPetition, "tc-a", "", events.PetitionCorrected,
		`{"corrects_version":1,"reason":"Đơn có ký tên","changes":{"anonymous":"false","petitioner.name":"Trần Thị Tố","petitioner.address":"Tổ 5, phường Bình Định"}}`, "2024-03-05")
	w.rec(events.KindPetition, "tc-a", "", events.PetitionClassified,
		`{"classified_on":"2024-03-06","petition_kind":"DENUNCIATION","competent_party_id":"ubnd-21607","complex":false,"remote":false}`, "2024-03-06")
	w.rec(events.KindPetition, "tc-a", "", events.PetitionForwarded, `{"forwarded_on":"2024-03-07","to_party_id":"ubnd-21607"}`, "2024-03-07")
	v := w.build()
	for _, f := range flagsCode(v, "2024-06-30", "petition/tc-a", "MU_ANONYMOUS_BULK") {
		t.Errorf("a denunciation corrected to named (%s): %s", v.Item("petition/tc-a").Field("anonymous"), f.Detail)
	}
}
