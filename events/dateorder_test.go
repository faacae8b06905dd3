package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// A step of a record's lifecycle is not dated before the step it follows
// (helper-55: each of these was accepted, and the read side took the
// deadline as met on time before its period began). A step recorded late,
// or dated the same day, is accepted.
func TestDateOrder(t *testing.T) {
	issued := past{events.RecommendationIssued, `{"source_kind":"OTHER","addressee_party_id":"ubnd-binh-dinh-ward",
		"title":"Kiến nghị về thủ tục đất đai","content":"Đề nghị giải quyết dứt điểm 27 hồ sơ trễ hạn.","issued_on":"2024-06-20"}`}
	received := func(on string) past {
		return past{events.RecommendationReceived, fmt.Sprintf(`{"received_on":%q}`, on)}
	}
	respond := func(on string) past {
		return past{events.RecommendationResponseSubmitted, fmt.Sprintf(`{"responded_on":%q,"outcome":"ACCEPTED","text":"Tiếp thu."}`, on)}
	}
	commit := func(on string) past {
		return past{events.RecommendationImplementationCommitted, fmt.Sprintf(`{"committed_on":%q,"due_on":"2024-09-30","actions":["Niêm yết thủ tục"]}`, on)}
	}
	evidence := func(on string) past {
		return past{events.RecommendationImplementationEvidenceAdded, fmt.Sprintf(`{"submitted_on":%q,"evidence":"Đã niêm yết."}`, on)}
	}
	verify := func(on string) past {
		return past{events.RecommendationImplementationVerified, fmt.Sprintf(`{"verified_on":%q,"finding":"IMPLEMENTED","note":"Đã kiểm tra."}`, on)}
	}
	runLifecycle(t, "recommendation/kn-d", "an-nhon", []lifecycleCase{
		{name: "ErrInvalid: received before it was issued", given: []past{issued}, when: received("2024-06-19"),
			want: events.EInvalid, field: "data.received_on", msg: "received_on 2024-06-19 is before the record's issued_on (2024-06-20)"},
		{name: "OK: received the day it was issued", given: []past{issued}, when: received("2024-06-20"), then: events.RecReceived},
		{name: "ErrInvalid: answered before the receipt", given: []past{issued, received("2024-06-24")}, when: respond("2024-06-22"),
			want: events.EInvalid, field: "data.responded_on", msg: "before the record's received_on (2024-06-24)"},
		{name: "ErrInvalid: answered before the issue, no receipt recorded", given: []past{issued}, when: respond("2023-04-01"),
			want: events.EInvalid, field: "data.responded_on", msg: "before the record's issued_on (2024-06-20)"},
		{name: "OK: answered after the receipt", given: []past{issued, received("2024-06-24")}, when: respond("2024-07-10"), then: events.RecResponded},
		{name: "ErrInvalid: committed before the answer", given: []past{issued, received("2024-06-24"), respond("2024-07-10")}, when: commit("2024-07-01"),
			want: events.EInvalid, field: "data.committed_on", msg: "before the record's responded_on (2024-07-10)"},
		{name: "ErrInvalid: evidence before the commitment", given: []past{issued, received("2024-06-24"), respond("2024-07-10"), commit("2024-07-12")}, when: evidence("2024-07-11"),
			want: events.EInvalid, field: "data.submitted_on", msg: "before the record's committed_on (2024-07-12)"},
		{name: "ErrInvalid: verified before the evidence", given: []past{issued, received("2024-06-24"), respond("2024-07-10"), commit("2024-07-12"), evidence("2024-09-01")},
			when: verify("2024-08-30"), want: events.EInvalid, field: "data.verified_on", msg: "verified_on 2024-08-30 is before the evidence's submitted_on (2024-09-01)"},
		{name: "OK: verified after the evidence", given: []past{issued, received("2024-06-24"), respond("2024-07-10"), commit("2024-07-12"), evidence("2024-09-01")},
			when: verify("2024-10-08"), then: events.RecVerified},
		// The receipt's date corrected: it is not known which event a
		// correction corrected, so the date is not held against the answer
		// (the correction itself is checked against the whole stream).
		{name: "OK: answered before a corrected receipt date", given: []past{issued, received("2024-06-24"),
			{events.RecommendationCorrected, `{"corrects_version":2,"reason":"Sổ công văn ghi ngày khác","changes":{"received_on":"2024-06-28"}}`}},
			when: respond("2024-06-25"), then: events.RecResponded},
	})
	info := past{events.InfoRequestReceived, example(t, events.InfoRequestReceived)} // received 2024-09-03
	validated := past{events.InfoRequestValidated, `{"validated_on":"2024-09-04","complexity":"SIMPLE"}`}
	runLifecycle(t, "info_request/yc-d", "binh-dinh-ward", []lifecycleCase{
		{name: "ErrInvalid: information provided before the request was received", given: []past{info, validated},
			when: past{events.InfoRequestProvided, `{"provided_on":"2024-09-01"}`}, want: events.EInvalid, field: "data.provided_on", msg: "before the record's received_on (2024-09-03)"},
		{name: "ErrInvalid: an extension notified before the request was received", given: []past{info, validated},
			when: past{events.InfoRequestExtensionNotified, `{"notified_on":"2024-08-01","extended_days":15,"reason":"Cần trích lục bản đồ."}`},
			want: events.EInvalid, field: "data.notified_on", msg: "before the record's received_on (2024-09-03)"},
	})
}

// A correction is checked against the whole stream: a receipt moved after
// the answer given to it, or an issue after the receipt, is refused
// (helper-55: a late answer read on time once its receipt was corrected
// past it, and the flag went).
func TestCorrectionKeepsDateOrder(t *testing.T) {
	l, recorder := wardLedger(t, time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC))
	rec := func(typ events.Type, data string) events.Request {
		return events.Request{Kind: events.KindRecommendation, ID: "kn-c", Create: typ == events.RecommendationIssued, Type: typ, Actor: recorder, Unit: "u1", Data: json.RawMessage(data)}
	}
	mustHandle(t, l, rec(events.RecommendationIssued, `{"source_kind":"OTHER","addressee_party_id":"ubnd-1","title":"Kiến nghị","content":"Đề nghị rà soát.","issued_on":"2024-03-01"}`))
	mustHandle(t, l, rec(events.RecommendationReceived, `{"received_on":"2024-03-02"}`))
	mustHandle(t, l, rec(events.RecommendationResponseSubmitted, `{"responded_on":"2024-04-15","outcome":"ACCEPTED","text":"Tiếp thu."}`))
	correct := func(changes string) events.Request {
		return rec(events.RecommendationCorrected, `{"reason":"Sửa ngày",`+changes+`}`)
	}
	for _, c := range []struct {
		changes, field, msg string
	}{
		{`"corrects_version":2,"changes":{"received_on":"2024-05-01"}`, "data.changes.received_on", "received_on 2024-05-01 would be after the responded_on (2024-04-15) of version 3"},
		{`"corrects_version":1,"changes":{"issued_on":"2024-03-05"}`, "data.changes.issued_on", "issued_on 2024-03-05 would be after the received_on (2024-03-02) of version 2"},
		{`"corrects_version":3,"changes":{"responded_on":"2024-03-01"}`, "data.changes.responded_on", "responded_on 2024-03-01 would be before the received_on (2024-03-02) of version 2"},
	} {
		_, err := l.Handle(context.Background(), correct(c.changes))
		if events.ErrorCode(err) != events.EInvalid || events.ErrorField(err) != c.field || !strings.Contains(events.ErrorMessage(err), c.msg) {
			t.Errorf("correction %s: %v, want invalid %s saying %q", c.changes, err, c.field, c.msg)
		}
	}
	// Still in order: taken; and the correction of a correction is checked
	// with the first applied.
	mustHandle(t, l, correct(`"corrects_version":2,"changes":{"received_on":"2024-03-05"}`))
	if _, err := l.Handle(context.Background(), correct(`"corrects_version":4,"changes":{"received_on":"2024-04-20"}`)); events.ErrorField(err) != "data.changes.received_on" {
		t.Errorf("a correction of the correction moving the receipt past the answer: %v", err)
	}
}

// A step that follows a date a correction changed is checked against the
// date as corrected, read from the stream (helper-56: the state forgot the
// date, and an answer before the receipt, as recorded or corrected, was
// taken).
func TestCorrectedDateStillHeld(t *testing.T) {
	l, recorder := wardLedger(t, time.Date(2024, 8, 1, 9, 0, 0, 0, time.UTC))
	rec := func(typ events.Type, data string) events.Request {
		return events.Request{Kind: events.KindRecommendation, ID: "kn-z", Create: typ == events.RecommendationIssued, Type: typ, Actor: recorder, Unit: "u1", Data: json.RawMessage(data)}
	}
	mustHandle(t, l, rec(events.RecommendationIssued, `{"source_kind":"OTHER","addressee_party_id":"ubnd-1","title":"Kiến nghị","content":"Đề nghị rà soát.","issued_on":"2024-03-01"}`))
	mustHandle(t, l, rec(events.RecommendationReceived, `{"received_on":"2024-03-10"}`))
	mustHandle(t, l, rec(events.RecommendationCorrected, `{"corrects_version":2,"reason":"Sửa","changes":{"received_on":"2024-03-12"}}`))
	mustHandle(t, l, rec(events.RecommendationCorrected, `{"corrects_version":3,"reason":"Sửa lại","changes":{"received_on":"2024-03-14"}}`))
	_, err := l.Handle(context.Background(), rec(events.RecommendationResponseSubmitted, `{"responded_on":"2024-03-13","outcome":"ACCEPTED","text":"Tiếp thu."}`))
	if events.ErrorCode(err) != events.EInvalid || events.ErrorField(err) != "data.responded_on" || !strings.Contains(events.ErrorMessage(err), "(2024-03-14)") {
		t.Errorf("an answer before the receipt as corrected twice: %v", err)
	}
	mustHandle(t, l, rec(events.RecommendationResponseSubmitted, `{"responded_on":"2024-03-14","outcome":"ACCEPTED","text":"Tiếp thu."}`))
}

// supervisionLedger returns a ledger with a document-review supervision,
// gs-z, and what records an event on it as a recorder.
func supervisionLedger(t *testing.T) (*events.Ledger, func(typ events.Type, data string) error) {
	l, recorder := wardLedger(t, time.Date(2024, 8, 1, 9, 0, 0, 0, time.UTC))
	do := func(typ events.Type, data string) error {
		_, err := l.Handle(context.Background(), events.Request{Kind: events.KindSupervision, ID: "gs-z", Create: typ == events.SupervisionPlanned, Type: typ, Actor: recorder, Unit: "u1", Data: json.RawMessage(data)})
		return err
	}
	if err := do(events.SupervisionPlanned, `{"title":"Giám sát","topic":"Đất đai","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-1"],"planned_start":"2024-05-06"}`); err != nil {
		t.Fatal(err)
	}
	return l, do
}

// mustOK stops the test at an error of a step it records.
func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A document request's date corrected is held against its answer as
// corrected, and the other open requests' dates still are (helper-57: a
// correction dropped them all).
func TestDocumentRequestDateCorrected(t *testing.T) {
	_, do := supervisionLedger(t)
	mustOK(t, do(events.SupervisionDocumentRequested, `{"request_id":"tl-01","party_id":"ubnd-1","description":"Sổ","requested_on":"2024-05-01","due_on":"2024-05-30"}`))
	mustOK(t, do(events.SupervisionDocumentRequested, `{"request_id":"tl-02","party_id":"ubnd-1","description":"Sổ 2","requested_on":"2024-05-10","due_on":"2024-05-30"}`))
	mustOK(t, do(events.SupervisionCorrected, `{"corrects_version":2,"reason":"Công văn ghi ngày 06/5","changes":{"requested_on":"2024-05-06"}}`))
	if err := do(events.SupervisionDocumentProvided, `{"request_id":"tl-01","provided_on":"2024-05-03"}`); events.ErrorField(err) != "data.provided_on" {
		t.Errorf("provided 05-03 for a request corrected to 05-06: %v", err)
	}
	if err := do(events.SupervisionDocumentProvided, `{"request_id":"tl-02","provided_on":"2024-05-03"}`); events.ErrorField(err) != "data.provided_on" {
		t.Errorf("provided 05-03 for an uncorrected request of 05-10: %v", err)
	}
	// A correction of the correction (version 4) dates tl-01 again, and
	// the other request's date is still held (both were dropped).
	mustOK(t, do(events.SupervisionCorrected, `{"corrects_version":4,"reason":"Công văn ghi ngày 04/5","changes":{"requested_on":"2024-05-04"}}`))
	if err := do(events.SupervisionDocumentProvided, `{"request_id":"tl-02","provided_on":"2024-05-03"}`); events.ErrorField(err) != "data.provided_on" {
		t.Errorf("provided 05-03 for a request of 05-10, after a correction of a correction: %v", err)
	}
	if err := do(events.SupervisionDocumentProvided, `{"request_id":"tl-01","provided_on":"2024-05-03"}`); events.ErrorField(err) != "data.provided_on" {
		t.Errorf("provided 05-03 for a request corrected to 05-06, then to 05-04: %v", err)
	}
	// And a correction of the request itself again (version 2).
	mustOK(t, do(events.SupervisionCorrected, `{"corrects_version":2,"reason":"Công văn ghi ngày 05/5","changes":{"requested_on":"2024-05-05"}}`))
	if err := do(events.SupervisionDocumentProvided, `{"request_id":"tl-01","provided_on":"2024-05-04"}`); events.ErrorField(err) != "data.provided_on" {
		t.Errorf("provided 05-04 for a request corrected to 05-05 last: %v", err)
	}
	mustOK(t, do(events.SupervisionDocumentProvided, `{"request_id":"tl-01","provided_on":"2024-05-05"}`))
}

// A correction does not put a document request and its answer out of
// order (helper-57: README said so, and both were taken).
func TestDocumentCorrectionKeepsOrder(t *testing.T) {
	_, do := supervisionLedger(t)
	mustOK(t, do(events.SupervisionDocumentRequested, `{"request_id":"tl-01","party_id":"ubnd-1","description":"Sổ","requested_on":"2024-05-06","due_on":"2024-05-30"}`))
	mustOK(t, do(events.SupervisionDocumentProvided, `{"request_id":"tl-01","provided_on":"2024-05-08"}`))
	if err := do(events.SupervisionCorrected, `{"corrects_version":3,"reason":"x","changes":{"provided_on":"2024-05-01"}}`); events.ErrorField(err) != "data.changes.provided_on" {
		t.Errorf("provided_on corrected to before the request: %v", err)
	}
	if err := do(events.SupervisionCorrected, `{"corrects_version":2,"reason":"x","changes":{"requested_on":"2024-05-20"}}`); events.ErrorField(err) != "data.changes.requested_on" {
		t.Errorf("requested_on corrected to after the answer: %v", err)
	}
	mustOK(t, do(events.SupervisionCorrected, `{"corrects_version":2,"reason":"x","changes":{"requested_on":"2024-05-08"}}`))
}

// The result report follows the latest working session, one of them
// corrected: the stream is read with the correction applied.
func TestResultReportAfterCorrectedSession(t *testing.T) {
	_, do := supervisionLedger(t)
	held := func(id, on string) string {
		return `{"session_id":"` + id + `","held_on":"` + on + `","place":"UBND","participants":["a"],"summary":"s"}`
	}
	mustOK(t, do(events.SupervisionSessionHeld, held("lv-1", "2024-05-10")))
	mustOK(t, do(events.SupervisionSessionHeld, held("lv-2", "2024-05-20")))
	mustOK(t, do(events.SupervisionCorrected, `{"corrects_version":2,"reason":"x","changes":{"held_on":"2024-05-25"}}`))
	mustOK(t, do(events.SupervisionSessionHeld, held("lv-3", "2024-05-21")))
	if err := do(events.SupervisionResultReportSubmitted, `{"submitted_on":"2024-05-22","summary":"s"}`); events.ErrorField(err) != "data.submitted_on" {
		t.Errorf("submitted 05-22 after sessions 05-25 (corrected), 05-20, 05-21: %v", err)
	}
	mustOK(t, do(events.SupervisionResultReportSubmitted, `{"submitted_on":"2024-05-25","summary":"s"}`))
}

// wardLedger returns a ledger at now with unit u1 and its People's
// Committee, party ubnd-1, and a recorder of u1.
func wardLedger(t *testing.T, now time.Time) (*events.Ledger, events.Actor) {
	t.Helper()
	l := MustOpenLedger(t, nil, "")
	l.Now = func() time.Time { return now }
	mustHandle(t, l, unitRequest("u1", ""))
	mustHandle(t, l, events.Request{Kind: events.KindParty, ID: "ubnd-1", Create: true, Type: events.PartyRegistered, Actor: admin, Unit: "u1",
		Data: json.RawMessage(`{"name":"UBND phường Bình Định","party_kind":"PEOPLES_COMMITTEE"}`)})
	return l, events.Actor{Subject: "token/rec", Role: events.RoleRecorder, Unit: "u1"}
}

// TestDocRequestDateCorrectedThroughOtherFieldCorrection: a correction of a
// correction of a document request that corrects its date moves it, also
// when the first correction changed another field (helper-61: only a
// correction of the date was noted among the request's versions).
func TestDocRequestDateCorrectedThroughOtherFieldCorrection(t *testing.T) {
	_, do := supervisionLedger(t)
	mustOK(t, do(events.SupervisionDocumentRequested, `{"request_id":"tl-01","party_id":"ubnd-1","description":"Sổ","requested_on":"2024-05-10","due_on":"2024-05-30"}`))
	mustOK(t, do(events.SupervisionCorrected, `{"corrects_version":2,"reason":"Hạn ghi sai","changes":{"due_on":"2024-05-31"}}`))
	mustOK(t, do(events.SupervisionCorrected, `{"corrects_version":3,"reason":"Công văn ghi ngày 04/5","changes":{"requested_on":"2024-05-04"}}`))
	if err := do(events.SupervisionDocumentProvided, `{"request_id":"tl-01","provided_on":"2024-05-06"}`); err != nil {
		t.Errorf("provided 05-06 for a request corrected to 05-04 (by a correction of a correction): %v", err)
	}
}
