package projections_test

import (
	"testing"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// Luật Tố cáo 2018 Art. 30: an extension is decided while the resolution
// period runs, which starts at the acceptance. One dated before the
// acceptance (helper-55) moved the deadline by 30 days: a denunciation
// resolved 24 days late read on time, with no OB_DENUNCIATION_OVERDUE.
func TestExtensionBeforeAcceptanceDoesNotExtend(t *testing.T) {
	w := newWorld(t)
	w.rec(events.KindPetition, "p2", "21607", events.PetitionReceived,
		`{"channel":"MAIL","received_on":"2024-05-16","petition_kind":"DENUNCIATION","anonymous":false,"petitioner":{"name":"Lê Văn D"},"summary":"Tố cáo cán bộ"}`, "2024-05-16")
	w.rec(events.KindPetition, "p2", "", events.PetitionClassified,
		`{"classified_on":"2024-05-17","petition_kind":"DENUNCIATION","competent_party_id":"ubnd-21607","complex":false,"remote":false}`, "2024-05-17")
	w.rec(events.KindPetition, "p2", "", events.PetitionForwarded, `{"forwarded_on":"2024-05-20","to_party_id":"ubnd-21607"}`, "2024-05-20")
	w.rec(events.KindPetition, "p2", "", events.PetitionAccepted, `{"accepted_on":"2024-05-27"}`, "2024-05-27")
	// The write side refuses it now (events.dateSteps); older logs hold it.
	w.legacy("petition/p2", events.PetitionExtended, `{"extended_on":"2024-05-01","days":30,"case_complexity":"COMPLEX","reason":"Phức tạp"}`)
	w.legacy("petition/p2", events.PetitionResolved, `{"resolved_on":"2024-07-20","outcome":"Đúng một phần","conclusion":"PARTLY_TRUE"}`)
	v := w.build()
	o := obligation(t, v, "petition/p2", "denunciation.resolve", "2024-12-31")
	if o.Outcome != projections.Late || o.Due != "2024-06-26" {
		t.Errorf("extension dated 2024-05-01, before the acceptance on 2024-05-27: due %s %s, want due 2024-06-26 late", o.Due, o.Outcome)
	}
	if got := flagsCode(v, "2024-12-31", "petition/p2", "OB_DENUNCIATION_OVERDUE"); len(got) != 1 {
		t.Errorf("resolved 24 days late: %d OB_DENUNCIATION_OVERDUE", len(got))
	}
}

// Luật TCTT Art. 31.2: a complex request's period is extended by a notice
// given while it runs, from the receipt. One dated before the receipt
// (helper-55) moved the deadline.
func TestInfoExtensionBeforeReceiptDoesNotExtend(t *testing.T) {
	w := newWorld(t)
	w.rec(events.KindInfoRequest, "i2", "21607", events.InfoRequestReceived,
		`{"channel":"POST_FAX","received_on":"2024-06-03","requester":{"name":"Nguyễn Văn A"},"addressee_party_id":"ubnd-21607","description":"Xin quy hoạch"}`, "2024-06-03")
	w.rec(events.KindInfoRequest, "i2", "", events.InfoRequestValidated, `{"validated_on":"2024-06-03","complexity":"COMPLEX"}`, "2024-06-03")
	w.rec(events.KindInfoRequest, "i2", "", events.InfoRequestTimelineNotified, `{"notified_on":"2024-06-04","provide_by":"2024-06-20"}`, "2024-06-04")
	// The write side refuses it now (events.dateSteps); older logs hold it.
	w.legacy("info_request/i2", events.InfoRequestExtensionNotified, `{"notified_on":"2024-05-01","extended_days":15,"reason":"Cần tra cứu"}`)
	w.legacy("info_request/i2", events.InfoRequestProvided, `{"provided_on":"2024-07-10"}`)
	v := w.build()
	o := obligation(t, v, "info_request/i2", "info.complex.provide", "2024-12-31")
	if o.Due != "2024-06-24" || o.Outcome != projections.Late {
		t.Errorf("extension notified 2024-05-01, before the receipt on 2024-06-03: due %s %s, want 2024-06-24 late", o.Due, o.Outcome)
	}
}
