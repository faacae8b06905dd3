package projections_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"
	"weak"

	"github.com/google/go-cmp/cmp"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// TestRecommendationDeadlines follows one recommendation's answer deadline:
// counted from receipt, moved past a weekend and past Tết, evaluated at
// the query's date, and the flags it raises.
func TestRecommendationDeadlines(t *testing.T) {
	w := newWorld(t)
	// Received Friday 2024-01-19: +20 days is Thursday 2024-02-08, the
	// first day of Tết 2024 (8-14 Feb), so the answer is due on Thursday
	// 2024-02-15.
	w.rec(events.KindRecommendation, "kn-1", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationReceived, `{"received_on":"2024-01-19"}`, "2024-01-19")
	// Received Monday 2024-03-04: +20 is Sunday 2024-03-24, so Monday 25.
	w.rec(events.KindRecommendation, "kn-2", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-03-01"), "2024-03-01")
	w.rec(events.KindRecommendation, "kn-2", "", events.RecommendationReceived, `{"received_on":"2024-03-04"}`, "2024-03-04")
	// An issuing document may set its own period: 10 days.
	w.rec(events.KindRecommendation, "kn-3", "21607", events.RecommendationIssued,
		`{"source_kind":"OTHER","addressee_party_id":"ubnd-21607","title":"Kiến nghị khẩn","content":"Khắc phục sạt lở.","issued_on":"2024-03-01","response_days":10}`, "2024-03-01")
	w.rec(events.KindRecommendation, "kn-3", "", events.RecommendationReceived, `{"received_on":"2024-03-04"}`, "2024-03-04")
	v := w.build()

	cases := []struct {
		stream, today string
		due, outcome  string
	}{
		{"recommendation/kn-1", "2024-02-15", "2024-02-15", projections.DueSoon},
		{"recommendation/kn-1", "2024-02-16", "2024-02-15", projections.Overdue},
		{"recommendation/kn-1", "2024-01-20", "2024-02-15", projections.Pending},
		{"recommendation/kn-2", "2024-03-25", "2024-03-25", projections.DueSoon},
		{"recommendation/kn-2", "2024-03-26", "2024-03-25", projections.Overdue},
		{"recommendation/kn-3", "2024-03-14", "2024-03-14", projections.DueSoon},
	}
	for _, c := range cases {
		o := obligation(t, v, c.stream, "recommendation.response", events.Date(c.today))
		if string(o.Due) != c.due || o.Outcome != c.outcome {
			t.Errorf("%s at %s: due %s %s, want due %s %s", c.stream, c.today, o.Due, o.Outcome, c.due, c.outcome)
		}
	}
	if got := flagsOf(v, "2024-02-16", "recommendation/kn-1"); !slices.Equal(got, []string{"OB_NO_RESPONSE"}) {
		t.Errorf("flags of kn-1 after its due date: %v, want OB_NO_RESPONSE", got)
	}
	if got := flagsOf(v, "2024-02-15", "recommendation/kn-1"); len(got) != 0 {
		t.Errorf("flags of kn-1 on its due date: %v, want none", got)
	}

	// A late answer turns the missing answer into a late one; three late
	// or missing answers in 12 months flag the party.
	w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationResponseSubmitted,
		`{"responded_on":"2024-02-20","outcome":"ACCEPTED","text":"Tiếp thu.","commit_due_on":"2024-04-26"}`, "2024-02-20")
	v = w.build()
	o := obligation(t, v, "recommendation/kn-1", "recommendation.response", "2024-05-01")
	if o.Outcome != projections.Late || o.DaysLate != 5 || o.MetOn != "2024-02-20" {
		t.Errorf("after a late answer: %+v, want late by 5 days", o)
	}
	if got := flagsOf(v, "2024-05-01", "recommendation/kn-1"); !slices.Equal(got, []string{"OB_LATE_RESPONSE", "OB_NOT_IMPLEMENTED"}) {
		t.Errorf("flags of kn-1: %v, want OB_LATE_RESPONSE and OB_NOT_IMPLEMENTED", got)
	}
	if got := flagsOf(v, "2024-05-01", "party/ubnd-21607"); !slices.Equal(got, []string{"OB_REPEAT_LATE"}) {
		t.Errorf("flags of the party: %v, want OB_REPEAT_LATE", got)
	}
	for _, f := range v.Flags("2024-05-01") {
		if f.Code == "OB_REPEAT_LATE" && f.Threshold != 3 {
			t.Errorf("OB_REPEAT_LATE: threshold %d, want the configured 3", f.Threshold)
		}
	}
	// The rolling window: two years on, nothing is within 12 months.
	if got := flagsOf(v, "2026-05-01", "party/ubnd-21607"); len(got) != 0 {
		t.Errorf("flags of the party two years on: %v, want none", got)
	}
	// A recommendation withdrawn owes no answer: two late or missing
	// answers are left, fewer than three. (The flags computed after each
	// event by w.build check that an update of the flags drops it too.)
	w.rec(events.KindRecommendation, "kn-2", "", events.RecommendationWithdrawn, `{"withdrawn_on":"2024-05-02","reason":"Đã được giải quyết qua kênh khác."}`, "2024-05-02")
	v = w.build()
	if got := flagsOf(v, "2024-06-30", "party/ubnd-21607"); len(got) != 0 {
		t.Errorf("flags of the party after a withdrawal: %v, want none", got)
	}
}

// TestFlags raises each flag from the events that should raise it.
func TestFlags(t *testing.T) {
	w := newWorld(t)
	const today = events.Date("2024-12-31")
	// Supervision with a session before its decision, a refused and an
	// unanswered document request, a subject report never sent, two
	// postponements asked by the subject.
	w.rec(events.KindSupervision, "gs-1", "540", events.SupervisionPlanned,
		`{"title":"Giám sát bồi thường, giải phóng mặt bằng","topic":"Bồi thường giải phóng mặt bằng","form":"DELEGATION","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21607"],"planned_start":"2024-03-01"}`, "2024-02-01")
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionReportOutlineSent, `{"sent_on":"2024-02-05","report_due_on":"2024-02-20"}`, "2024-02-05")
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionSessionHeld, `{"session_id":"s1","held_on":"2024-03-02"}`, "2024-03-02")
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionDocumentRequested,
		`{"request_id":"d1","party_id":"ubnd-21607","description":"Hồ sơ bồi thường","requested_on":"2024-03-05","due_on":"2024-03-15"}`, "2024-03-05")
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionDocumentRefused, `{"request_id":"d1","refused_on":"2024-03-10","reason":"Tài liệu mật"}`, "2024-03-10")
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionDocumentRequested,
		`{"request_id":"d2","party_id":"ubnd-21607","description":"Biên bản họp dân","requested_on":"2024-03-05","due_on":"2024-03-15"}`, "2024-03-05")
	for i, d := range []string{"2024-03-21", "2024-03-28"} {
		w.rec(events.KindSupervision, "gs-1", "", events.SupervisionSessionScheduled, fmt.Sprintf(`{"session_id":"s%d","scheduled_on":"%s"}`, i+2, d), d)
		w.rec(events.KindSupervision, "gs-1", "", events.SupervisionSessionPostponed,
			fmt.Sprintf(`{"session_id":"s%d","postponed_on":"%s","requested_by":"SUBJECT","reason":"Bận họp"}`, i+2, d), d)
	}
	// A second supervision of the same subject and topic two months later
	// (overlap); supervisions of a company and of another province's body
	// (out of scope).
	w.rec(events.KindSupervision, "gs-2", "21607", events.SupervisionPlanned,
		`{"title":"Giám sát lại","topic":"Bồi thường  giải phóng mặt bằng","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21607"],"planned_start":"2024-05-01"}`, "2024-04-20")
	w.rec(events.KindSupervision, "gs-3", "540", events.SupervisionPlanned,
		`{"title":"Giám sát doanh nghiệp","topic":"Môi trường","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["cty-abc","so-tnmt-99"],"planned_start":"2024-05-10"}`, "2024-04-20")
	// A critique on the plan: draft received 10 days before submission,
	// adopted with no answer; the same outside the plan is no bypass.
	w.rec(events.KindPlan, "kh-2024", "540", events.PlanDrafted, `{"year":2024,"title":"Kế hoạch giám sát, phản biện xã hội năm 2024"}`, "2024-01-05")
	w.rec(events.KindPlan, "kh-2024", "", events.PlanItemAdded,
		`{"item_id":"pb","activity":"CRITIQUE","topic":"Đề án chỉnh trang đô thị","form":"CONFERENCE","quarter":2,"chair_org":"MTTQ"}`, "2024-01-06")
	w.rec(events.KindCritique, "pb-1", "540", events.CritiqueRequested,
		`{"title":"Phản biện đề án chỉnh trang đô thị","draft_title":"Đề án chỉnh trang đô thị","drafting_party_id":"ubnd-21607","form":"CONFERENCE","plan_id":"kh-2024","plan_item_id":"pb","requested_on":"2024-04-01"}`, "2024-04-01")
	w.rec(events.KindCritique, "pb-2", "540", events.CritiqueRequested,
		`{"title":"Phản biện ngoài kế hoạch","draft_title":"Đề án khác","drafting_party_id":"ubnd-21607","form":"CONFERENCE","requested_on":"2024-04-01"}`, "2024-04-01")
	w.rec(events.KindCritique, "pb-2", "", events.CritiqueDraftReceived, `{"received_on":"2024-04-02","submission_on":"2024-04-30"}`, "2024-04-02")
	w.rec(events.KindCritique, "pb-2", "", events.CritiqueDraftAdopted, `{"adopted_on":"2024-04-16"}`, "2024-04-16")
	w.rec(events.KindCritique, "pb-1", "", events.CritiqueDraftReceived, `{"received_on":"2024-04-05","submission_on":"2024-04-15"}`, "2024-04-05")
	w.rec(events.KindCritique, "pb-1", "", events.CritiqueConferenceHeld, `{"held_on":"2024-04-08","chair":"Chủ tịch MTTQ","participants":30}`, "2024-04-08")
	w.rec(events.KindCritique, "pb-1", "", events.CritiqueSynthesized, `{"synthesized_on":"2024-04-09","summary":"Tổng hợp"}`, "2024-04-09")
	w.rec(events.KindCritique, "pb-1", "", events.CritiqueDocumentIssued, `{"issued_on":"2024-04-10","points":[{"point_id":"p1","text":"Cần đánh giá tác động."}]}`, "2024-04-10")
	w.rec(events.KindCritique, "pb-1", "", events.CritiqueDraftAdopted, `{"adopted_on":"2024-04-16"}`, "2024-04-16")
	// A recommendation that orders rather than recommends.
	w.rec(events.KindRecommendation, "kn-9", "540", events.RecommendationIssued,
		`{"source_kind":"OTHER","addressee_party_id":"ubnd-21607","title":"Kiến nghị xử lý","content":"Yêu cầu cách chức Chủ tịch UBND phường.","issued_on":"2024-05-02"}`, "2024-05-02")
	// An information request nobody answered.
	w.rec(events.KindInfoRequest, "tt-1", "21607", events.InfoRequestReceived,
		`{"channel":"POST_FAX","received_on":"2024-06-03","requester":{"name":"Nguyễn Văn A","phone":"0900000000"},"addressee_party_id":"ubnd-21607","description":"Xin quy hoạch chi tiết"}`, "2024-06-03")
	// A denunciation recorded publicly with the denouncer's name.
	w.recordClass(recorder, events.KindPetition, "don-1", "21607", events.PetitionReceived,
		`{"channel":"MAIL","received_on":"2024-06-10","petition_kind":"DENUNCIATION","anonymous":false,"petitioner":{"name":"Trần Thị B"},"summary":"Tố cáo cán bộ địa chính"}`, "2024-06-10", events.Public)
	v := w.build()

	want := map[string][]string{
		"supervision/gs-1":    {"MU_NO_DECISION", "OB_DOC_REFUSED", "OB_DOC_REFUSED", "OB_SESSION_POSTPONED", "OB_SUBJECT_REPORT_OVERDUE"},
		"supervision/gs-2":    {"MU_OVERLAP"},
		"supervision/gs-3":    {"MU_OUT_OF_SCOPE_SUBJECT", "MU_OUT_OF_SCOPE_SUBJECT"},
		"critique/pb-1":       {"OB_DRAFT_BYPASS", "OB_DRAFT_LATE"},
		"critique/pb-2":       {},
		"recommendation/kn-9": {"MU_POWER_OVERREACH"},
		"info_request/tt-1":   {"OB_INFO_SILENT"},
		"petition/don-1":      {"MU_CONFIDENTIAL_LEAK"},
		// kn-9 was issued in unit 540 and no People's Council heard MTTQ's
		// results within 6 months.
		"unit/540": {"OB_NO_HEARING"},
	}
	for subject, codes := range want {
		if got := flagsOf(v, today, subject); !slices.Equal(got, codes) {
			t.Errorf("flags of %s: %v, want %v", subject, got, codes)
		}
	}
	// The flags measured against a configured threshold carry it (the
	// defaults: 2 postponements, a window of 183 days, 6 months).
	threshold := map[string]int{"OB_SESSION_POSTPONED": 2, "MU_OVERLAP": 183, "OB_NO_HEARING": 6}
	for _, f := range v.Flags(today) {
		if f.RuleVersion == "" || f.LegalBasis == "" || len(f.Cites) == 0 || f.Status != "open" || f.Title == "" {
			t.Errorf("flag %s lacks its rule version, basis, cites or status: %+v", f.ID, f)
		}
		if f.Threshold != threshold[f.Code] {
			t.Errorf("flag %s (%s): threshold %d, want %d", f.ID, f.Code, f.Threshold, threshold[f.Code])
		}
		for _, c := range f.Cites {
			if c.Position == 0 || c.Position > v.Position() {
				t.Errorf("flag %s cites position %d", f.ID, c.Position)
			}
		}
	}

	// An inspector's review closes a flag; the flag keeps its ID.
	var target projections.Flag
	for _, f := range v.Flags(today) {
		if f.Code == "MU_POWER_OVERREACH" {
			target = f
		}
	}
	w.record(inspector, events.KindFlag, target.ID, target.Unit, events.FlagReviewed,
		`{"code":"MU_POWER_OVERREACH","verdict":"CONFIRMED","note":"Cách diễn đạt mang tính mệnh lệnh; đã nhắc nhở.","reviewed_on":"2024-12-20"}`, "2024-12-20")
	v = w.build()
	for _, f := range v.Flags(today) {
		if f.ID == target.ID && (f.Status != "reviewed" || f.Review == nil || f.Review.Verdict != events.VerdictConfirmed) {
			t.Errorf("after review: %+v", f)
		}
	}
	// A review closes what it saw: a flag citing an event recorded after
	// it is open again, its last review shown (helper-49).
	var postponed projections.Flag
	for _, f := range v.Flags(today) {
		if f.Code == "OB_SESSION_POSTPONED" {
			postponed = f
		}
	}
	w.record(inspector, events.KindFlag, postponed.ID, postponed.Unit, events.FlagReviewed,
		`{"code":"OB_SESSION_POSTPONED","verdict":"DISMISSED","note":"Lý do chính đáng.","reviewed_on":"2024-12-20"}`, "2024-12-20")
	if f := flagByID(w.build(), today, postponed.ID); f == nil || f.Status != "reviewed" {
		t.Errorf("OB_SESSION_POSTPONED reviewed: %+v", f)
	}
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionSessionScheduled, `{"session_id":"s9","scheduled_on":"2024-12-22"}`, "2024-12-21")
	w.rec(events.KindSupervision, "gs-1", "", events.SupervisionSessionPostponed,
		`{"session_id":"s9","postponed_on":"2024-12-22","requested_by":"SUBJECT","reason":"Bận họp"}`, "2024-12-22")
	v = w.build()
	if f := flagByID(v, today, postponed.ID); f == nil || f.Status != "open" || f.Review == nil || f.Review.Verdict != events.VerdictDismissed || len(f.Cites) != len(postponed.Cites)+1 {
		t.Errorf("OB_SESSION_POSTPONED postponed again after its review: %+v, want open, its dismissal shown, one more cite", f)
	}
	// A hearing clears OB_NO_HEARING.
	w.rec(events.KindUnit, "540", "", events.UnitPeriodicHearingHeld, `{"body":"PEOPLES_COUNCIL","period":"2024-H2","held_on":"2024-12-15"}`, "2024-12-15")
	if got := flagsOf(w.build(), today, "unit/540"); len(got) != 0 {
		t.Errorf("flags of unit 540 after a hearing: %v", got)
	}
}

// TestQueries covers filters, text search without diacritics, the unit
// subtree with a merged unit's predecessors, cursor pagination and
// redaction.
func TestQueries(t *testing.T) {
	w := newWorld(t)
	for i, unit := range []string{"21607", "21610", "540", "21607", "an-nhon-ward"} {
		title := fmt.Sprintf("Kiến nghị số %d gửi Ủy ban nhân dân", i)
		if i == 1 {
			title = "Kiến nghị về môi trường"
		}
		w.rec(events.KindRecommendation, fmt.Sprintf("kn-%d", i), unit, events.RecommendationIssued,
			fmt.Sprintf(`{"source_kind":"OTHER","addressee_party_id":"ubnd-21607","title":%q,"content":"Nội dung.","issued_on":"2024-0%d-01"}`, title, i+1), fmt.Sprintf("2024-0%d-01", i+1))
	}
	v := w.build()
	ids := func(q projections.Query) []string {
		q.Kind, q.Today = events.KindRecommendation, "2024-12-31"
		if q.Limit == 0 {
			q.Limit = 100
		}
		items, _ := v.List(q)
		var out []string
		for _, it := range items {
			out = append(out, it.ID)
		}
		return out
	}
	cases := []struct {
		name string
		q    projections.Query
		want []string
	}{
		{"newest first", projections.Query{}, []string{"kn-4", "kn-3", "kn-2", "kn-1", "kn-0"}},
		{"text without diacritics", projections.Query{Text: "uy ban"}, []string{"kn-4", "kn-3", "kn-2", "kn-0"}},
		{"text in capitals", projections.Query{Text: "MÔI TRƯỜNG"}, []string{"kn-1"}},
		{"a commune", projections.Query{Units: v.ScopeSet("21607")}, []string{"kn-3", "kn-0"}},
		{"the town and below", projections.Query{Units: v.ScopeSet("540")}, []string{"kn-3", "kn-2", "kn-1", "kn-0"}},
		{"the merged ward and its predecessors", projections.Query{Units: v.ScopeSet("an-nhon-ward")}, []string{"kn-4", "kn-3", "kn-1", "kn-0"}},
		{"period", projections.Query{From: "2024-02-01", To: "2024-03-31"}, []string{"kn-2", "kn-1"}},
		{"status", projections.Query{Status: []string{"issued"}}, []string{"kn-4", "kn-3", "kn-2", "kn-1", "kn-0"}},
		{"no such status", projections.Query{Status: []string{"overdue"}}, nil},
		{"party", projections.Query{Party: "ubnd-21610"}, nil},
	}
	for _, c := range cases {
		if got := ids(c.q); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Pages of two, by cursor, cover the list once, in order.
	var all []string
	var cursor uint64
	for range 10 {
		items, next := v.List(projections.Query{Kind: events.KindRecommendation, Limit: 2, Before: cursor})
		for _, it := range items {
			all = append(all, it.ID)
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	if want := []string{"kn-4", "kn-3", "kn-2", "kn-1", "kn-0"}; !slices.Equal(all, want) {
		t.Errorf("pages: %v, want %v", all, want)
	}

	// An observer does not see personal data or confidential fields.
	w.rec(events.KindInfoRequest, "tt-1", "21607", events.InfoRequestReceived,
		`{"channel":"POST_FAX","received_on":"2024-06-03","requester":{"name":"Nguyễn Văn A"},"addressee_party_id":"ubnd-21607","description":"Xin bản đồ"}`, "2024-06-03")
	v = w.build()
	it := v.Item("info_request/tt-1")
	if red := v.View(it, "2024-06-04", projections.HideConfidential|projections.HidePersonal); !bytes.Contains(red.Data, []byte(`"requester":null`)) || !slices.Contains(red.Redacted, "requester") {
		t.Errorf("redacted view: %s %v", red.Data, red.Redacted)
	}
	if full := v.View(it, "2024-06-04", 0); !bytes.Contains(full.Data, []byte("Nguyễn Văn A")) || len(full.Redacted) != 0 {
		t.Errorf("full view: %s", full.Data)
	}
}

// A snapshot is read to its end before it is used: the store checks its
// digest there (the JetStream object store and FileLog.Object answer an
// error instead of io.EOF when it does not match), and bytes after the
// views are damage. Either way the views are built from the log instead.
func TestSnapshotIsReadToTheEnd(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.rec(events.KindRecommendation, "kn-1", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	var good bytes.Buffer
	if err := w.build().Encode(&good); err != nil {
		t.Fatal(err)
	}
	for name, snap := range map[string]io.Reader{
		"whole":            bytes.NewReader(good.Bytes()),
		"bytes after":      io.MultiReader(bytes.NewReader(good.Bytes()), strings.NewReader("x")),
		"error at the end": io.MultiReader(bytes.NewReader(good.Bytes()), iotest.ErrReader(errors.New("digest does not match"))),
	} {
		var logs bytes.Buffer
		r := projections.NewRunner(w.store, projections.DefaultConfig(), readerSnapshot{snap}, slog.New(slog.NewTextHandler(&logs, nil)))
		if err := r.Open(ctx); err != nil {
			t.Fatal(err)
		}
		r.CloseOffline()
		used := strings.Contains(logs.String(), "from=\"a snapshot")
		if used != (name == "whole") {
			t.Errorf("%s: snapshot used %v; log:\n%s", name, used, logs.String())
		}
	}
}

// readerSnapshot is a snapshot store holding one snapshot, read from r.
type readerSnapshot struct{ r io.Reader }

func (s readerSnapshot) LoadSnapshot(context.Context) (io.ReadCloser, error) {
	return io.NopCloser(s.r), nil
}
func (s readerSnapshot) SaveSnapshot(context.Context, io.Reader) error { return nil }

// Views saved at every position of a log with corrections (chains, dates,
// titles, names, search text, corrections of fields a later event set),
// loaded and caught up, equal a rebuild from zero, byte for byte, and
// answer the same searches.
func TestSnapshotCatchUpWithCorrections(t *testing.T) {
	w := newWorld(t)
	w.rec(events.KindRecommendation, "kn-r", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-03-01"), "2024-03-01")
	w.rec(events.KindRecommendation, "kn-r", "", events.RecommendationReceived, `{"received_on":"2024-03-04"}`, "2024-03-04")
	w.rec(events.KindRecommendation, "kn-r", "", events.RecommendationCorrected, `{"corrects_version":2,"reason":"a","changes":{"received_on":"2024-03-06"}}`, "2024-03-07")
	w.rec(events.KindRecommendation, "kn-r", "", events.RecommendationCorrected, `{"corrects_version":3,"reason":"b","changes":{"received_on":"2024-03-05"}}`, "2024-03-07")
	w.rec(events.KindRecommendation, "kn-r", "", events.RecommendationCorrected, `{"corrects_version":1,"reason":"c","changes":{"title":"Kiến nghị chợ đêm","content":"Yêu cầu đình chỉ chợ đêm."}}`, "2024-03-08")
	w.rec(events.KindRecommendation, "kn-r", "", events.RecommendationResponseSubmitted, `{"responded_on":"2024-03-20","outcome":"ACCEPTED","text":"Tiếp thu chợ đêm."}`, "2024-03-20")
	w.rec(events.KindRecommendation, "kn-r", "", events.RecommendationCorrected, `{"corrects_version":6,"reason":"d","changes":{"text":"Tiếp thu, dời chợ đêm."}}`, "2024-03-21")
	w.record(admin, events.KindParty, "cty-abc", "", events.PartyRenamed, `{"name":"Công ty Cổ phần Hưng Thịnh","effective_on":"2024-03-01"}`, "2024-03-01")
	w.record(admin, events.KindParty, "cty-abc", "", events.PartyCorrected, `{"corrects_version":1,"reason":"e","changes":{"name":"Công ty TNHH ABC Bình Định"}}`, "2024-03-02")
	w.rec(events.KindSupervision, "gs-r", "540", events.SupervisionPlanned,
		`{"title":"Giám sát chợ","topic":"Chợ","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21607"],"chair_party_id":"mttq-540","planned_start":"2024-04-01"}`, "2024-03-01")
	w.rec(events.KindSupervision, "gs-r", "", events.SupervisionNotified, `{"notified_on":"2024-03-20","notified_party_ids":["ubnd-21607"]}`, "2024-03-20")
	w.rec(events.KindSupervision, "gs-r", "", events.SupervisionSessionHeld, `{"session_id":"s1","held_on":"2024-04-02"}`, "2024-04-02")
	w.rec(events.KindSupervision, "gs-r", "", events.SupervisionCorrected, `{"corrects_version":3,"reason":"f","changes":{"held_on":"2024-04-03"}}`, "2024-04-04")
	w.rec(events.KindSupervision, "gs-r", "", events.SupervisionCorrected, `{"corrects_version":1,"reason":"g","changes":{"planned_start":"2024-04-02","topic":"Chợ đêm"}}`, "2024-04-04")
	v := w.build()
	var full bytes.Buffer
	if err := v.Encode(&full); err != nil {
		t.Fatal(err)
	}
	r := projections.NewRunner(w.store, v.Config(), nil, nil)
	for pos := uint64(1); pos < v.Position(); pos++ {
		loaded := caughtUpFrom(t, r, v.Config(), pos, full.Bytes())
		for _, q := range []string{"cho dem", "hung thinh", "abc binh dinh", "doi cho dem"} {
			for _, k := range []events.Kind{events.KindRecommendation, events.KindParty, events.KindSupervision} {
				a, _ := v.List(projections.Query{Kind: k, Text: q, Limit: 100})
				b, _ := loaded.List(projections.Query{Kind: k, Text: q, Limit: 100})
				if len(a) != len(b) {
					t.Fatalf("snapshot at %d: q=%q on %s: %d vs %d", pos, q, k, len(b), len(a))
				}
			}
		}
	}
}

// TestRebuildIsByteIdentical checks that views followed live, saved, loaded
// from the snapshot and caught up encode exactly as a rebuild from zero.
func TestRebuildIsByteIdentical(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	snaps := &projections.MemorySnapshots{}
	r := projections.NewRunner(w.store, projections.DefaultConfig(), snaps, slog.New(slog.DiscardHandler))
	if err := r.Open(ctx); err != nil {
		t.Fatal(err)
	}
	w.rec(events.KindRecommendation, "kn-1", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationReceived, `{"received_on":"2024-01-19"}`, "2024-01-19")
	// A correction before the snapshot, and one of it after (the snapshot
	// keeps what each corrected).
	pos := w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationCorrected, `{"corrects_version":2,"reason":"Sổ ghi 22/1","changes":{"received_on":"2024-01-22"}}`, "2024-01-23")
	if err := r.WaitPosition(ctx, pos); err != nil {
		t.Fatal(err)
	}
	if err := r.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationCorrected, `{"corrects_version":3,"reason":"Sổ ghi 23/1","changes":{"received_on":"2024-01-23"}}`, "2024-01-24")
	w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationResponseSubmitted, `{"responded_on":"2024-02-20","outcome":"NOTED","text":"Đã nhận."}`, "2024-02-20")
	pos = w.record(admin, events.KindUnit, "21607", "", events.UnitRenamed, `{"name":"Phường Bình Định (mới)","effective_on":"2024-03-01"}`, "2024-03-01")
	if err := r.WaitPosition(ctx, pos); err != nil {
		t.Fatal(err)
	}
	var live bytes.Buffer
	r.Read(func(v *projections.Views) { v.Encode(&live) })
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	// A restart loads the saved snapshot (at the later position now).
	r2 := projections.NewRunner(w.store, projections.DefaultConfig(), snaps, slog.New(slog.DiscardHandler))
	if err := r2.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	var restarted bytes.Buffer
	r2.Read(func(v *projections.Views) { v.Encode(&restarted) })
	rebuilt := w.build()
	var fresh bytes.Buffer
	if err := rebuilt.Encode(&fresh); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(live.Bytes(), fresh.Bytes()) || !bytes.Equal(restarted.Bytes(), fresh.Bytes()) {
		t.Fatalf("views differ: live %d bytes, restarted %d, rebuilt %d", live.Len(), restarted.Len(), fresh.Len())
	}
	// A snapshot from the middle (at the first correction), caught up,
	// is identical too.
	mid, err := r2.Build(ctx, pos)
	if err != nil {
		t.Fatal(err)
	}
	var midBuf bytes.Buffer
	mid.Encode(&midBuf)
	loaded, err := projections.DecodeViews(&midBuf, projections.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.CatchUp(ctx, loaded, 0); err != nil {
		t.Fatal(err)
	}
	var caught bytes.Buffer
	loaded.Encode(&caught)
	if !bytes.Equal(caught.Bytes(), fresh.Bytes()) {
		t.Fatal("a mid-log snapshot caught up differs from the rebuild")
	}
	// And the JSON a reader sees is the same.
	today := events.Date("2024-12-31")
	for _, s := range []string{"recommendation/kn-1", "unit/21607"} {
		if diff := cmp.Diff(rebuilt.View(rebuilt.Item(s), today, 0), loaded.View(loaded.Item(s), today, 0)); diff != "" {
			t.Errorf("%s (-rebuilt +caught up):\n%s", s, diff)
		}
	}
	// Another configuration makes the snapshot stale.
	other := projections.DefaultConfig()
	other.Rules.Version = "other"
	if _, err := projections.DecodeViews(bytes.NewReader(fresh.Bytes()), other); err != projections.ErrStaleSnapshot {
		t.Errorf("decode under another configuration: %v, want ErrStaleSnapshot", err)
	}
	// A snapshot of the first format (one gob value holding everything)
	// is stale, not an error.
	var old bytes.Buffer
	if err := gob.NewEncoder(&old).Encode(struct {
		Format int
		Config string
		Pos    uint64
		Items  []*projections.Item
		Hashes []events.Hash
	}{Format: 1, Config: projections.DefaultConfig().Digest(), Pos: 1, Hashes: make([]events.Hash, 1)}); err != nil {
		t.Fatal(err)
	}
	if _, err := projections.DecodeViews(&old, projections.DefaultConfig()); err != projections.ErrStaleSnapshot {
		t.Errorf("decode a first-format snapshot: %v, want ErrStaleSnapshot", err)
	}
	// A cut snapshot is an error at every length.
	b := fresh.Bytes()
	for _, n := range []int{1, len(b) / 3, len(b) / 2, len(b) - 1} {
		if _, err := projections.DecodeViews(bytes.NewReader(b[:n]), projections.DefaultConfig()); err == nil || err == projections.ErrStaleSnapshot {
			t.Errorf("decode %d of %d bytes: %v, want an error", n, len(b), err)
		}
	}
}

// TestAsOf checks views rebuilt at a past position and the position of a
// past time.
func TestAsOf(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	p1 := w.rec(events.KindRecommendation, "kn-1", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationReceived, `{"received_on":"2024-01-19"}`, "2024-01-19")
	r := projections.NewRunner(w.store, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	if err := r.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	err := r.View(ctx, p1, func(v *projections.Views) error {
		if it := v.Item("recommendation/kn-1"); it == nil || it.Status() != events.RecIssued || v.Position() != p1 {
			t.Errorf("as of %d: %+v at %d", p1, it, v.Position())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Read(func(v *projections.Views) {
		// recorded_at follows the legal dates here (09:00 in Vietnam).
		if got := v.PositionAt(mustTime(t, "2024-01-16T00:00:00+07:00")); got != p1 {
			t.Errorf("position at 2024-01-16: %d, want %d", got, p1)
		}
		if got := v.PositionAt(mustTime(t, "2000-01-01T00:00:00Z")); got != 0 {
			t.Errorf("position before the log: %d", got)
		}
	})
	if err := r.View(ctx, 0, func(v *projections.Views) error {
		if v.Position() != 0 || v.Item("recommendation/kn-1") != nil {
			t.Error("as of 0 is not empty")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestLogPositionAt checks the position of a time found by reading the log
// (ledger replay --as-of TIME) against the views built from it, also where
// recorded_at goes back (an event appended by a replica whose clock is
// behind), and that an error reading the log is the answer's.
func TestLogPositionAt(t *testing.T) {
	w := newWorld(t)
	w.rec(events.KindRecommendation, "kn-1", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationReceived, `{"received_on":"2024-01-19"}`, "2024-01-19")
	w.clock = time.Date(2024, 1, 17, 12, 0, 0, 0, time.UTC)
	w.rec(events.KindRecommendation, "kn-2", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-17"), "2024-01-17")
	w.rec(events.KindRecommendation, "kn-2", "", events.RecommendationReceived, `{"received_on":"2024-01-22"}`, "2024-01-22")
	// Two events within one second: a time between them falls between.
	w.clock = time.Date(2024, 1, 18, 8, 0, 0, 100_000_000, time.UTC)
	first := w.rec(events.KindRecommendation, "kn-3", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-18"), "2024-01-18")
	w.clock = w.clock.Add(800 * time.Millisecond)
	w.rec(events.KindRecommendation, "kn-3", "", events.RecommendationReceived, `{"received_on":"2024-01-18"}`, "2024-01-18")
	v := w.build()
	ctx := context.Background()
	between := time.Date(2024, 1, 18, 8, 0, 0, 500_000_000, time.UTC)
	if got := v.PositionAt(between); got != first || !v.RecordedAt(got).Equal(time.Date(2024, 1, 18, 8, 0, 0, 100_000_000, time.UTC)) {
		t.Errorf("position at %s: %d recorded at %s, want %d (recorded 0.8 s before the next)", between.Format(time.RFC3339Nano), got, v.RecordedAt(got).Format(time.RFC3339Nano), first)
	}
	times := []time.Time{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC), between}
	for at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); at.Before(time.Date(2024, 1, 25, 0, 0, 0, 0, time.UTC)); at = at.Add(3 * time.Hour) {
		times = append(times, at)
	}
	seen := map[uint64]bool{}
	for _, at := range times {
		want := v.PositionAt(at)
		got, err := projections.LogPositionAt(ctx, w.store, at)
		if err != nil || got != want {
			t.Errorf("position at %s read from the log: %d (%v), the views say %d", at.Format(time.RFC3339), got, err, want)
		}
		seen[want] = true
	}
	if len(seen) < 5 || !seen[0] || !seen[v.Position()] {
		t.Errorf("the times cover positions %v only", seen)
	}
	if _, err := projections.LogPositionAt(ctx, failingGet{w.store}, times[5]); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("a failing read: %v", err)
	}
}

// failingGet is a store whose records cannot be read one by one.
type failingGet struct{ events.Store }

func (failingGet) Get(context.Context, uint64) (events.Record, error) {
	return events.Record{}, errors.New("disk on fire")
}

func TestSplitQuarters(t *testing.T) {
	for _, tc := range []struct {
		from, to events.Date
		want     string
		byYear   bool
	}{
		{"2023-02-15", "2023-12-31", "[{2023-02-15 2023-03-31} {2023-04-01 2023-06-30} {2023-07-01 2023-09-30} {2023-10-01 2023-12-31}]", false},
		{"2024-11-05", "2025-01-20", "[{2024-11-05 2024-12-31} {2025-01-01 2025-01-20}]", false},
		{"2024-05-01", "2024-05-01", "[{2024-05-01 2024-05-01}]", false},
		{"2020-01-01", "2023-12-31", "[{2020-01-01 2020-12-31} {2021-01-01 2021-12-31} {2022-01-01 2022-12-31} {2023-01-01 2023-12-31}]", true},
		{"2000-06-01", "2025-03-01", "[{2014-01-01 2014-12-31} {2015-01-01 2015-12-31} {2016-01-01 2016-12-31} {2017-01-01 2017-12-31} {2018-01-01 2018-12-31} {2019-01-01 2019-12-31} {2020-01-01 2020-12-31} {2021-01-01 2021-12-31} {2022-01-01 2022-12-31} {2023-01-01 2023-12-31} {2024-01-01 2024-12-31} {2025-01-01 2025-03-01}]", true},
		{"2024-05-01", "2024-04-01", "[]", false},
		{"2024-5-1", "2024-06-01", "[]", false},
	} {
		ps, byYear := projections.SplitQuarters(tc.from, tc.to)
		if got := fmt.Sprint(ps); got != tc.want && !(len(ps) == 0 && tc.want == "[]") || byYear != tc.byYear {
			t.Errorf("SplitQuarters(%s, %s) = %s, %v; want %s, %v", tc.from, tc.to, got, byYear, tc.want, tc.byYear)
		}
	}
}

// Reports over several periods in one pass give what a report per period
// gives.
func TestReportsMatchReport(t *testing.T) {
	w := newWorld(t)
	for i, on := range []string{"2024-01-15", "2024-02-20", "2024-05-03", "2024-08-30", "2024-11-11"} {
		id := fmt.Sprintf("kn-%d", i)
		unit := []string{"21607", "21610"}[i%2]
		party := map[string]string{"21607": "ubnd-21607", "21610": "ubnd-21610"}[unit]
		w.rec(events.KindRecommendation, id, unit, events.RecommendationIssued,
			fmt.Sprintf(`{"source_kind":"OTHER","addressee_party_id":%q,"title":"Kiến nghị","content":"Đề nghị.","issued_on":%q}`, party, on), on)
		recv := projections.AddDays(events.Date(on), 2)
		w.rec(events.KindRecommendation, id, "", events.RecommendationReceived, fmt.Sprintf(`{"received_on":%q}`, recv), string(recv))
		if i%2 == 0 {
			ans := projections.AddDays(recv, 10+15*i)
			w.record(events.Actor{Subject: "token/r", Role: events.RoleRespondent, Party: party}, events.KindRecommendation, id, "",
				events.RecommendationResponseSubmitted, fmt.Sprintf(`{"responded_on":%q,"outcome":"ACCEPTED","text":"Tiếp thu."}`, ans), string(ans))
		}
	}
	v := w.build()
	today := events.Date("2025-01-31")
	periods, _ := projections.SplitQuarters("2024-01-01", "2024-12-31")
	periods = append([]projections.Period{{From: "2024-01-01", To: "2024-12-31"}, {}}, periods...)
	for _, unit := range []string{"", "540", "21610"} {
		reps := v.Reports(unit, periods, today, 0, nil)
		for i, p := range periods {
			if diff := cmp.Diff(v.Report(unit, p.From, p.To, today), reps[i]); diff != "" {
				t.Errorf("unit %q, period %v (-alone +together):\n%s", unit, p, diff)
			}
		}
		if reps[0].Recommendations.Issued == 0 {
			t.Errorf("unit %q: nothing counted", unit)
		}
		// Open flags counted from the flags themselves.
		for i, p := range periods {
			want := map[string]int{}
			for _, f := range v.Flags(today) {
				if f.Status == "open" && (unit == "" || v.Within(f.Unit, unit)) &&
					(p.From == "" || f.RaisedOn >= p.From) && (p.To == "" || f.RaisedOn <= p.To) {
					want[f.Code]++
				}
			}
			if diff := cmp.Diff(want, reps[i].FlagsOpen); diff != "" {
				t.Errorf("unit %q, period %v: open flags (-want +got):\n%s", unit, p, diff)
			}
			if i == 1 && len(want) == 0 {
				t.Errorf("unit %q: no open flag to count", unit)
			}
		}
	}
}

// A flag an item raised stays true to the units it depends on: a subject
// outside the supervising unit's territory stops being flagged once its
// unit is moved under the supervising unit (the flags of every position,
// computed event by event, are checked against fresh views by build).
func TestFlagsFollowUnits(t *testing.T) {
	w := newWorld(t)
	const today = events.Date("2024-12-31")
	w.rec(events.KindSupervision, "gs-scope", "21607", events.SupervisionPlanned,
		`{"title":"Giám sát tiếp công dân","topic":"Tiếp công dân","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21610"],"planned_start":"2024-03-01"}`, "2024-02-01")
	if got := flagsOf(w.build(), today, "supervision/gs-scope"); !slices.Equal(got, []string{"MU_OUT_OF_SCOPE_SUBJECT"}) {
		t.Fatalf("before the move: %v", got)
	}
	w.record(admin, events.KindUnit, "21610", "", events.UnitReparented, `{"parent_id":"21607","effective_on":"2024-04-01"}`, "2024-04-01")
	if got := flagsOf(w.build(), today, "supervision/gs-scope"); len(got) != 0 {
		t.Errorf("after the subject's unit moved under the supervising unit: %v", got)
	}
}

// TestOverburdenFollowsChanges: MU_OVERBURDEN of one subject in one quarter
// (more than 2 supervisions, the default threshold) raised, kept while the
// same supervisions make it, and changed or dropped as they change: a new
// one, an event on the last one, cancellations. build compares the flags
// after every event with those of views built afresh.
func TestOverburdenFollowsChanges(t *testing.T) {
	w := newWorld(t)
	plan := func(id, start string) {
		w.rec(events.KindSupervision, id, "540", events.SupervisionPlanned,
			fmt.Sprintf(`{"title":"Giám sát %s","topic":"Chủ đề %s","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21610"],"planned_start":"%s"}`, id, id, start), "2024-03-20")
	}
	for i, start := range []string{"2024-04-02", "2024-05-06", "2024-05-20", "2024-06-10"} {
		plan(fmt.Sprintf("gs-q%d", i+1), start)
	}
	w.rec(events.KindSupervision, "gs-q4", "", events.SupervisionSessionScheduled, `{"session_id":"s1","scheduled_on":"2024-06-12"}`, "2024-04-01")
	plan("gs-q5", "2024-07-01") // the next quarter: not counted with these
	v := w.build()
	const today = events.Date("2024-12-31")
	if got := flagsOf(v, today, "party/ubnd-21610"); !slices.Contains(got, "MU_OVERBURDEN") {
		t.Fatalf("four supervisions of ubnd-21610 in 2024-Q2: flags %v, want MU_OVERBURDEN", got)
	}
	// Each MU_OVERBURDEN carries the threshold it is measured against:
	// supervisions of one subject in a quarter, or document requests in
	// one supervision (11 here, more than the configured 10).
	for i := range 11 {
		w.rec(events.KindSupervision, "gs-q1", "", events.SupervisionDocumentRequested,
			fmt.Sprintf(`{"request_id":"d%d","party_id":"ubnd-21610","description":"Tài liệu %d","requested_on":"2024-04-03","due_on":"2024-04-30"}`, i, i), "2024-04-03")
	}
	// Or working sessions held in one supervision (6, more than the
	// configured 5), raised on the day of the sixth by date.
	for i, on := range []string{"2024-05-20", "2024-05-06", "2024-05-07", "2024-05-08", "2024-05-09", "2024-05-10"} {
		w.rec(events.KindSupervision, "gs-q2", "", events.SupervisionSessionHeld, fmt.Sprintf(`{"session_id":"s%d","held_on":%q}`, i, on), on)
	}
	v = w.build()
	thresholds := map[string]int{}
	for _, f := range v.Flags(today) {
		if f.Code == "MU_OVERBURDEN" {
			thresholds[f.Subject+" "+string(f.RaisedOn)] = f.Threshold
		}
	}
	if want := map[string]int{"party/ubnd-21610 2024-06-10": 2, "supervision/gs-q1 2024-04-03": 10, "supervision/gs-q2 2024-05-20": 5}; !maps.Equal(thresholds, want) {
		t.Errorf("MU_OVERBURDEN thresholds by subject and date: %v, want %v", thresholds, want)
	}
	w.rec(events.KindSupervision, "gs-q2", "", events.SupervisionCancelled, `{"cancelled_on":"2024-04-05","reason":"Trùng lịch"}`, "2024-04-05")
	v = w.build()
	if got := flagsOf(v, today, "party/ubnd-21610"); !slices.Contains(got, "MU_OVERBURDEN") {
		t.Fatalf("three left: flags %v, want MU_OVERBURDEN", got)
	}
	w.rec(events.KindSupervision, "gs-q4", "", events.SupervisionCancelled, `{"cancelled_on":"2024-04-06","reason":"Trùng lịch"}`, "2024-04-06")
	v = w.build()
	if got := flagsOf(v, today, "party/ubnd-21610"); slices.Contains(got, "MU_OVERBURDEN") {
		t.Fatalf("two left: flags %v, want no MU_OVERBURDEN", got)
	}
}

// TestComplaintSecondInstance follows a complaint through both instances
// (Luật Khiếu nại 2011): accepted and resolved in time by the commune,
// then taken to the town, which is to accept it within 10 days (Art. 36)
// and resolve it within 45 days of its acceptance (Art. 37); late or
// overdue, each is flagged against the town, and resolved in time, the
// resolution is on time; the first instance's outcome stays as it was.
func TestComplaintSecondInstance(t *testing.T) {
	w := newWorld(t)
	w.party("ubnd-540", "Ủy ban nhân dân thị xã An Nhơn", "PEOPLES_COMMITTEE", "540")
	const stream = "petition/kn-don-1"
	firstInstance(w, "kn-don-1")
	// Filed with the town on Monday 1 July: to be accepted by Thursday 11
	// July.
	w.rec(events.KindPetition, "kn-don-1", "", events.PetitionSecondInstanceFiled, `{"filed_on":"2024-07-01","to_party_id":"ubnd-540"}`, "2024-07-01")
	v := w.build()

	first := obligation(t, v, stream, "complaint.first", "2024-08-27")
	if first.Party != "ubnd-21607" || first.Due != "2024-06-26" || first.Outcome != projections.OnTime {
		t.Errorf("first instance: %s due %s %s, want ubnd-21607 due 2024-06-26 on time", first.Party, first.Due, first.Outcome)
	}
	for _, c := range []struct{ today, outcome string }{{"2024-07-11", projections.DueSoon}, {"2024-07-12", projections.Overdue}} {
		o := obligation(t, v, stream, "complaint.accept.second", events.Date(c.today))
		if o.Party != "ubnd-540" || o.Due != "2024-07-11" || o.Outcome != c.outcome || o.Trigger != "2024-07-01" || o.Basis != "Luật Khiếu nại 2011 (02/2011/QH13) Điều 36" {
			t.Errorf("second instance's acceptance at %s: %s due %s %s (from %s, %s), want ubnd-540 due 2024-07-11 %s (from 2024-07-01, Điều 36)", c.today, o.Party, o.Due, o.Outcome, o.Trigger, o.Basis, c.outcome)
		}
	}
	if slices.ContainsFunc(v.Obligations(v.Item(stream), "2024-07-12"), func(o projections.Obligation) bool { return strings.HasPrefix(o.Rule, "complaint.second") }) {
		t.Error("a resolution is due before the second instance accepted the complaint")
	}
	flagged := func(v *projections.Views, code string, today events.Date) []projections.Flag {
		var out []projections.Flag
		for _, f := range v.Flags(today) {
			if f.Subject == stream && f.Code == code {
				out = append(out, f)
			}
		}
		return out
	}
	if fs := flagged(v, "OB_COMPLAINT_NOT_ACCEPTED", "2024-07-11"); len(fs) != 0 {
		t.Errorf("not-accepted flags on the acceptance's due date: %+v", fs)
	}
	if fs := flagged(v, "OB_COMPLAINT_NOT_ACCEPTED", "2024-07-12"); len(fs) != 1 || fs[0].Party != "ubnd-540" || fs[0].LegalBasis != "Luật Khiếu nại 2011 Điều 27, 36" {
		t.Errorf("not-accepted flags the day after: %+v, want one against ubnd-540 under Điều 27, 36", fs)
	}

	// Reviewed, then accepted on Monday 15 July, four days late (45 days
	// from then is Thursday 29 August): the late acceptance does not open
	// the reviewed flag again (helper-50: compliance did).
	notAccepted := flagged(v, "OB_COMPLAINT_NOT_ACCEPTED", "2024-07-12")[0]
	w.record(inspector, events.KindFlag, notAccepted.ID, notAccepted.Unit, events.FlagReviewed,
		`{"code":"OB_COMPLAINT_NOT_ACCEPTED","verdict":"CONFIRMED","note":"Chậm thụ lý.","reviewed_on":"2024-07-12"}`, "2024-07-12")
	w.rec(events.KindPetition, "kn-don-1", "", events.PetitionSecondInstanceAccepted, `{"accepted_on":"2024-07-15"}`, "2024-07-15")
	v = w.build()
	if fs := flagged(v, "OB_COMPLAINT_NOT_ACCEPTED", "2024-08-30"); len(fs) != 1 || fs[0].Status != "reviewed" {
		t.Errorf("the reviewed not-accepted flag once accepted late: %+v, want it still reviewed", fs)
	}
	if o := obligation(t, v, stream, "complaint.accept.second", "2024-08-30"); o.MetOn != "2024-07-15" || o.Outcome != projections.Late || o.DaysLate != 4 {
		t.Errorf("second instance's acceptance: met %s %s (%d days late), want 2024-07-15 late by 4", o.MetOn, o.Outcome, o.DaysLate)
	}
	if fs := flagged(v, "OB_COMPLAINT_NOT_ACCEPTED", "2024-08-30"); len(fs) != 1 {
		t.Errorf("not-accepted flags once accepted late: %+v, want one", fs)
	}
	for _, c := range []struct{ today, outcome string }{{"2024-08-29", projections.DueSoon}, {"2024-08-30", projections.Overdue}} {
		o := obligation(t, v, stream, "complaint.second", events.Date(c.today))
		if o.Party != "ubnd-540" || o.Due != "2024-08-29" || o.Outcome != c.outcome || o.Trigger != "2024-07-15" || len(o.Cites) != 1 || o.Cites[0].Type != events.PetitionSecondInstanceAccepted {
			t.Errorf("second instance at %s: %s due %s %s (from %s, cites %v), want ubnd-540 due 2024-08-29 %s (from the acceptance, 2024-07-15)", c.today, o.Party, o.Due, o.Outcome, o.Trigger, o.Cites, c.outcome)
		}
	}
	if fs := flagged(v, "OB_COMPLAINT_OVERDUE", "2024-08-29"); len(fs) != 0 {
		t.Errorf("flags on the due date: %+v", fs)
	}
	if fs := flagged(v, "OB_COMPLAINT_OVERDUE", "2024-08-30"); len(fs) != 1 || fs[0].Party != "ubnd-540" {
		t.Errorf("flags the day after: %+v, want one OB_COMPLAINT_OVERDUE against ubnd-540", fs)
	}
	// The town's trail holds the obligation.
	trail, ok := v.Accountability("ubnd-540", "2024-08-30", nil, nil, 0)
	if !ok || !slices.ContainsFunc(trail.Obligations, func(o projections.Obligation) bool {
		return o.Stream == stream && o.Rule == "complaint.second" && o.Outcome == projections.Overdue
	}) {
		t.Errorf("ubnd-540's trail: %+v, want the second instance overdue", trail.Obligations)
	}

	w.rec(events.KindPetition, "kn-don-1", "", events.PetitionResolved, `{"resolved_on":"2024-08-20","outcome":"Giữ nguyên quyết định"}`, "2024-08-20")
	v = w.build()
	if o := obligation(t, v, stream, "complaint.second", "2024-09-30"); o.MetOn != "2024-08-20" || o.Outcome != projections.OnTime {
		t.Errorf("second instance resolved: met %s %s, want 2024-08-20 on time", o.MetOn, o.Outcome)
	}
	if o := obligation(t, v, stream, "complaint.first", "2024-09-30"); o.MetOn != "2024-06-20" {
		t.Errorf("first instance after the second resolution: met %s, want 2024-06-20", o.MetOn)
	}
	if fs := flagged(v, "OB_COMPLAINT_OVERDUE", "2024-09-30"); len(fs) != 0 {
		t.Errorf("flags after the second resolution: %+v", fs)
	}

	// Not accepted at the second instance (with reasons, in time): the
	// acceptance is met, and no resolution is owed.
	const refused = "petition/kn-don-2"
	firstInstance(w, "kn-don-2")
	w.rec(events.KindPetition, "kn-don-2", "", events.PetitionSecondInstanceFiled, `{"filed_on":"2024-07-01","to_party_id":"ubnd-540"}`, "2024-07-01")
	w.rec(events.KindPetition, "kn-don-2", "", events.PetitionSecondInstanceNotAccepted, `{"decided_on":"2024-07-08","reason":"Người khiếu nại đã khởi kiện tại Tòa án."}`, "2024-07-08")
	v = w.build()
	if o := obligation(t, v, refused, "complaint.accept.second", "2024-09-30"); o.MetOn != "2024-07-08" || o.Outcome != projections.OnTime {
		t.Errorf("second instance not accepted: met %s %s, want 2024-07-08 on time", o.MetOn, o.Outcome)
	}
	if slices.ContainsFunc(v.Obligations(v.Item(refused), "2024-09-30"), func(o projections.Obligation) bool { return strings.HasPrefix(o.Rule, "complaint.second") }) {
		t.Error("a resolution is due although the second instance did not accept the complaint")
	}

	// Resolved at the second instance before its acceptance had an event
	// (an older log): no acceptance is owed that could be dated, and the
	// resolution runs from the last day it could have been accepted (11
	// July), 45 days: Sunday 25 August, so Monday 26.
	const older = "petition/kn-don-3"
	firstInstance(w, "kn-don-3")
	w.rec(events.KindPetition, "kn-don-3", "", events.PetitionSecondInstanceFiled, `{"filed_on":"2024-07-01","to_party_id":"ubnd-540"}`, "2024-07-01")
	w.legacy(older, events.PetitionResolved, `{"resolved_on":"2024-08-27","outcome":"Giữ nguyên quyết định"}`)
	v = w.build()
	if o := obligation(t, v, older, "complaint.second", "2024-09-30"); o.Due != "2024-08-26" || o.Trigger != "2024-07-01" || o.Outcome != projections.Late {
		t.Errorf("an older second resolution: due %s (from %s) %s, want due 2024-08-26 (from the filing, 2024-07-01) late", o.Due, o.Trigger, o.Outcome)
	}
	if slices.ContainsFunc(v.Obligations(v.Item(older), "2024-09-30"), func(o projections.Obligation) bool { return o.Rule == "complaint.accept.second" }) {
		t.Error("an older second resolution owes an acceptance no event could record")
	}
	// Withdrawn at the second instance before the body decided: what was
	// not yet due is owed no more, as for every petition; a missed
	// acceptance stays missed, with its flag (helper-50).
	for _, c := range []struct {
		id, on string
		missed bool
	}{{"kn-don-4", "2024-07-05", false}, {"kn-don-5", "2024-08-01", true}} {
		firstInstance(w, c.id)
		w.rec(events.KindPetition, c.id, "", events.PetitionSecondInstanceFiled, `{"filed_on":"2024-07-01","to_party_id":"ubnd-540"}`, "2024-07-01")
		w.rec(events.KindPetition, c.id, "", events.PetitionWithdrawn, fmt.Sprintf(`{"withdrawn_on":%q,"reason":"Công dân rút đơn."}`, c.on), c.on)
		v = w.build()
		stream := "petition/" + c.id
		owed := slices.ContainsFunc(v.Obligations(v.Item(stream), "2024-09-30"), func(o projections.Obligation) bool { return o.Rule == "complaint.accept.second" })
		flagged := len(flagsCode(v, "2024-09-30", stream, "OB_COMPLAINT_NOT_ACCEPTED")) == 1
		if owed != c.missed || flagged != c.missed || slices.ContainsFunc(v.Obligations(v.Item(stream), "2024-09-30"), func(o projections.Obligation) bool { return strings.HasPrefix(o.Rule, "complaint.second") }) {
			t.Errorf("second instance withdrawn on %s: acceptance owed %v, flagged %v, want both %v (and no resolution)", c.on, owed, flagged, c.missed)
		}
	}
}

// firstInstance records a complaint accepted and resolved in time by the
// commune (ubnd-21607).
func firstInstance(w *world, id string) {
	w.rec(events.KindPetition, id, "21607", events.PetitionReceived,
		`{"channel":"MAIL","received_on":"2024-05-16","petition_kind":"COMPLAINT","anonymous":false,"petitioner":{"name":"Lê Văn C"},"summary":"Khiếu nại quyết định thu hồi đất"}`, "2024-05-16")
	w.rec(events.KindPetition, id, "", events.PetitionClassified,
		`{"classified_on":"2024-05-17","petition_kind":"COMPLAINT","competent_party_id":"ubnd-21607","complex":false,"remote":false}`, "2024-05-17")
	w.rec(events.KindPetition, id, "", events.PetitionForwarded, `{"forwarded_on":"2024-05-20","to_party_id":"ubnd-21607"}`, "2024-05-20")
	w.rec(events.KindPetition, id, "", events.PetitionAccepted, `{"accepted_on":"2024-05-27"}`, "2024-05-27")
	w.rec(events.KindPetition, id, "", events.PetitionResolved, `{"resolved_on":"2024-06-20","outcome":"Khiếu nại sai"}`, "2024-06-20")
}

// TestDenunciationIntake: a denunciation forwarded to the competent body
// is to be taken in and decided on within 7 working days (Luật Tố cáo
// 2018 Art. 24); missed, it is flagged against that body.
func TestDenunciationIntake(t *testing.T) {
	w := newWorld(t)
	w.rec(events.KindPetition, "tc-1", "21607", events.PetitionReceived,
		`{"channel":"MAIL","received_on":"2024-05-13","petition_kind":"DENUNCIATION","anonymous":false,"petitioner":{"name":"Phạm Văn D"},"summary":"Tố cáo sai phạm đất đai"}`, "2024-05-13")
	w.rec(events.KindPetition, "tc-1", "", events.PetitionClassified,
		`{"classified_on":"2024-05-14","petition_kind":"DENUNCIATION","competent_party_id":"ubnd-21607","complex":false,"remote":false}`, "2024-05-14")
	// Forwarded Friday 17 May: 7 working days end Tuesday 28 May.
	w.rec(events.KindPetition, "tc-1", "", events.PetitionForwarded, `{"forwarded_on":"2024-05-17","to_party_id":"ubnd-21607"}`, "2024-05-17")
	v := w.build()
	for _, c := range []struct{ today, outcome string }{{"2024-05-28", projections.DueSoon}, {"2024-05-29", projections.Overdue}} {
		o := obligation(t, v, "petition/tc-1", "denunciation.intake", events.Date(c.today))
		if o.Party != "ubnd-21607" || o.Due != "2024-05-28" || o.Outcome != c.outcome {
			t.Errorf("intake at %s: %s due %s %s, want ubnd-21607 due 2024-05-28 %s", c.today, o.Party, o.Due, o.Outcome, c.outcome)
		}
	}
	if got := flagsOf(v, "2024-05-29", "petition/tc-1"); !slices.Equal(got, []string{"OB_DENUNCIATION_OVERDUE"}) {
		t.Errorf("flags the day after: %v, want OB_DENUNCIATION_OVERDUE", got)
	}
	if got := flagsOf(v, "2024-05-28", "petition/tc-1"); len(got) != 0 {
		t.Errorf("flags on the due date: %v, want none", got)
	}
	// The intake's article, not the resolution's (Art. 30) the code names.
	if fs := flagsCode(v, "2024-05-29", "petition/tc-1", "OB_DENUNCIATION_OVERDUE"); len(fs) != 1 || fs[0].LegalBasis != "Luật Tố cáo 2018 (25/2018/QH14) Điều 24" {
		t.Errorf("the intake's flag: %+v, want one with legal basis Luật Tố cáo 2018 (25/2018/QH14) Điều 24", fs)
	}
	// Accepted in time: met, and the resolution's own period starts.
	w.rec(events.KindPetition, "tc-1", "", events.PetitionAccepted, `{"accepted_on":"2024-05-27"}`, "2024-05-27")
	v = w.build()
	if o := obligation(t, v, "petition/tc-1", "denunciation.intake", "2024-06-10"); o.MetOn != "2024-05-27" || o.Outcome != projections.OnTime {
		t.Errorf("intake after acceptance: met %s %s, want 2024-05-27 on time", o.MetOn, o.Outcome)
	}
	obligation(t, v, "petition/tc-1", "denunciation.resolve", "2024-06-10")
	if got := flagsOf(v, "2024-06-10", "petition/tc-1"); len(got) != 0 {
		t.Errorf("flags after a timely acceptance: %v, want none", got)
	}
}

// acceptedDenunciation records denunciation tc-1 (complex), received on 13
// May 2024, forwarded to ubnd-21607 on Friday 17 May and accepted on
// Monday 27 May: 30 days for its resolution end Wednesday 26 June.
func acceptedDenunciation(w *world) {
	w.rec(events.KindPetition, "tc-1", "21607", events.PetitionReceived,
		`{"channel":"MAIL","received_on":"2024-05-13","petition_kind":"DENUNCIATION","anonymous":false,"petitioner":{"name":"Phạm Văn D"},"summary":"Tố cáo sai phạm đất đai"}`, "2024-05-13")
	w.rec(events.KindPetition, "tc-1", "", events.PetitionClassified,
		`{"classified_on":"2024-05-14","petition_kind":"DENUNCIATION","competent_party_id":"ubnd-21607","complex":true,"remote":false}`, "2024-05-14")
	w.rec(events.KindPetition, "tc-1", "", events.PetitionForwarded, `{"forwarded_on":"2024-05-17","to_party_id":"ubnd-21607"}`, "2024-05-17")
	w.rec(events.KindPetition, "tc-1", "", events.PetitionAccepted, `{"accepted_on":"2024-05-27"}`, "2024-05-27")
}

// TestDenunciationExtensions: a denunciation is resolved within 30 days of
// its acceptance; a complex case is extended once, a very complex one
// twice, at most 30 days each, by a decision made while the period runs
// (Luật Tố cáo 2018 Art. 30). Other extensions do not move the deadline.
func TestDenunciationExtensions(t *testing.T) {
	type ext struct {
		on, complexity string
		days           int
	}
	for _, c := range []struct {
		name string
		exts []ext
		// legacy is an extension recorded before the write side checked
		// them (no complexity, more than 30 days).
		legacy     string
		correction string // a correction of the last extension
		due        events.Date
		counted    int // how many extensions the deadline cites
	}{
		{name: "none", due: "2024-06-26"},
		{name: "a complex case, once", exts: []ext{{"2024-06-20", "COMPLEX", 30}}, due: "2024-07-26", counted: 1},
		{name: "a very complex case, twice", exts: []ext{{"2024-06-20", "VERY_COMPLEX", 30}, {"2024-07-20", "VERY_COMPLEX", 30}},
			due: "2024-08-26", counted: 2}, // 25 August is a Sunday
		{name: "a complex case, then very complex", exts: []ext{{"2024-06-20", "COMPLEX", 12}, {"2024-07-01", "VERY_COMPLEX", 3}}, due: "2024-07-11", counted: 2},
		// The periods add up from the acceptance (34 days end Sunday 30 June,
		// so the first extension ends Monday 1 July; 64 end Tuesday 30 July),
		// not from the end moved off the Sunday (31 July).
		{name: "a very complex case, the first extension ending on a Sunday", exts: []ext{{"2024-06-20", "VERY_COMPLEX", 4}, {"2024-06-28", "VERY_COMPLEX", 30}},
			due: "2024-07-30", counted: 2},
		{name: "decided after the deadline", exts: []ext{{"2024-06-27", "COMPLEX", 30}}, due: "2024-06-26"},
		{name: "decided on the last day", exts: []ext{{"2024-06-26", "COMPLEX", 30}}, due: "2024-07-26", counted: 1},
		{name: "a legacy extension of 60 days", legacy: `{"extended_on":"2024-06-20","days":60,"reason":"Phức tạp."}`, due: "2024-07-26", counted: 1},
		{name: "a legacy second extension", exts: []ext{{"2024-06-20", "COMPLEX", 30}}, legacy: `{"extended_on":"2024-07-20","days":30,"reason":"Phức tạp."}`, due: "2024-07-26", counted: 1},
		{name: "a corrected decision date", exts: []ext{{"2024-06-20", "COMPLEX", 30}}, correction: `{"extended_on":"2024-06-28"}`, due: "2024-06-26"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			acceptedDenunciation(w) // its resolution due 26 June
			var last uint64
			for i, e := range c.exts {
				w.rec(events.KindPetition, "tc-1", "", events.PetitionExtended,
					fmt.Sprintf(`{"extended_on":%q,"days":%d,"case_complexity":%q,"reason":"Cần xác minh thêm."}`, e.on, e.days, e.complexity), e.on)
				last = uint64(5 + i)
			}
			if c.correction != "" {
				w.rec(events.KindPetition, "tc-1", "", events.PetitionCorrected,
					fmt.Sprintf(`{"corrects_version":%d,"reason":"Ghi nhầm.","changes":%s}`, last, c.correction), "2024-07-01")
			}
			if c.legacy != "" {
				w.legacy("petition/tc-1", events.PetitionExtended, c.legacy)
			}
			v := w.build()
			o := obligation(t, v, "petition/tc-1", "denunciation.resolve", "2024-06-10")
			ext := 0
			for _, ci := range o.Cites {
				if ci.Type == events.PetitionExtended {
					ext++
				}
			}
			if o.Due != c.due || ext != c.counted {
				t.Errorf("resolution due %s citing %d extensions (%+v), want due %s citing %d", o.Due, ext, o.Cites, c.due, c.counted)
			}
			// Unresolved the day after: flagged.
			if got := flagsCode(v, projections.AddDays(c.due, 1), "petition/tc-1", "OB_DENUNCIATION_OVERDUE"); len(got) != 1 || got[0].LegalBasis != "Luật Tố cáo 2018 Điều 30" {
				t.Errorf("flags the day after %s: %+v, want one OB_DENUNCIATION_OVERDUE under Điều 30", c.due, got)
			}
			if got := flagsCode(v, c.due, "petition/tc-1", "OB_DENUNCIATION_OVERDUE"); len(got) != 0 {
				t.Errorf("flags on %s: %+v, want none", c.due, got)
			}
			// MTTQ forwarded it and has no result by the deadline either.
			if got := flagsCode(v, projections.AddDays(c.due, 1), "petition/tc-1", "OB_FORWARD_NO_FEEDBACK"); len(got) != 1 || got[0].Party != "ubnd-21607" {
				t.Errorf("OB_FORWARD_NO_FEEDBACK the day after %s: %+v, want one against ubnd-21607", c.due, got)
			}
			if got := flagsCode(v, c.due, "petition/tc-1", "OB_FORWARD_NO_FEEDBACK"); len(got) != 0 {
				t.Errorf("OB_FORWARD_NO_FEEDBACK on %s: %+v, want none", c.due, got)
			}
		})
	}
}

// TestPetitionWithdrawn: a denunciation the petitioner withdraws once it
// was accepted (Luật Tố cáo 2018 Art. 33) is no longer owed a resolution
// due after the withdrawal; one due before it stays missed and flagged.
// A corrected withdrawal date counts as corrected; reports count the
// withdrawal.
func TestPetitionWithdrawn(t *testing.T) {
	for _, c := range []struct {
		name, on, corrected string
		owed                bool // the resolution, due 2024-06-26
	}{
		{name: "before the deadline", on: "2024-06-10"},
		{name: "on the deadline", on: "2024-06-26"},
		{name: "after the deadline", on: "2024-07-10", owed: true},
		{name: "corrected to before the deadline", on: "2024-07-10", corrected: "2024-06-10"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			acceptedDenunciation(w)
			w.rec(events.KindPetition, "tc-1", "", events.PetitionWithdrawn, fmt.Sprintf(`{"withdrawn_on":%q,"reason":"Người tố cáo rút toàn bộ nội dung tố cáo."}`, c.on), c.on)
			if c.corrected != "" {
				w.rec(events.KindPetition, "tc-1", "", events.PetitionCorrected,
					fmt.Sprintf(`{"corrects_version":5,"reason":"Ghi nhầm ngày.","changes":{"withdrawn_on":%q}}`, c.corrected), "2024-07-11")
			}
			v := w.build()
			const today = "2024-12-31"
			var rules []string
			for _, o := range v.Obligations(v.Item("petition/tc-1"), today) {
				rules = append(rules, o.Rule+" "+o.Outcome)
			}
			want := []string{"denunciation.intake on_time"}
			if c.owed {
				want = append(want, "denunciation.resolve overdue")
			}
			if !slices.Equal(rules, want) {
				t.Errorf("obligations: %q, want %q", rules, want)
			}
			for _, code := range []string{"OB_DENUNCIATION_OVERDUE", "OB_FORWARD_NO_FEEDBACK"} {
				if got := flagsCode(v, today, "petition/tc-1", code); len(got) != map[bool]int{true: 1}[c.owed] {
					t.Errorf("%s: %d flags, want raised %v", code, len(got), c.owed)
				}
			}
			if got := v.Report("21607", "2024-01-01", "2024-12-31", today).Petitions; got.Received != 1 || got.Withdrawn != 1 || got.Overdue != map[bool]int{true: 1}[c.owed] {
				t.Errorf("report: %+v, want 1 received, 1 withdrawn, overdue %v", got, c.owed)
			}
		})
	}
}

// TestVoterPetitionAnswer: a voters' petition from voter contact, forwarded
// to the competent body, is answered within 40 days, 50 for the lead
// agency of a complex one (QĐ 33/2017/QĐ-TTg Art. 12); missed, it is
// flagged against that body. A recommendation by mail, or feedback from
// voter contact, owes no such answer.
func TestVoterPetitionAnswer(t *testing.T) {
	w := newWorld(t)
	petition := func(id, channel, kind string, complex bool) {
		w.rec(events.KindPetition, id, "21607", events.PetitionReceived,
			fmt.Sprintf(`{"channel":%q,"received_on":"2024-05-10","petition_kind":%q,"anonymous":false,"petitioner":{"name":"Cử tri tổ 5"},"summary":"Kiến nghị sửa đường liên xã"}`, channel, kind), "2024-05-10")
		w.rec(events.KindPetition, id, "", events.PetitionClassified,
			fmt.Sprintf(`{"classified_on":"2024-05-14","petition_kind":%q,"competent_party_id":"ubnd-21607","complex":%v,"remote":false}`, kind, complex), "2024-05-14")
		w.rec(events.KindPetition, id, "", events.PetitionForwarded, `{"forwarded_on":"2024-05-17","to_party_id":"ubnd-21607"}`, "2024-05-17")
	}
	petition("ct-1", "VOTER_CONTACT", "RECOMMENDATION", false)
	petition("ct-2", "VOTER_CONTACT", "RECOMMENDATION", true)
	petition("thu-1", "MAIL", "RECOMMENDATION", false)
	petition("ct-3", "VOTER_CONTACT", "FEEDBACK", false)
	v := w.build()
	// Forwarded Friday 17 May 2024: 40 days end Wednesday 26 June; 50
	// days end Saturday 6 July, so Monday 8 July.
	for _, c := range []struct{ stream, rule, due string }{
		{"petition/ct-1", "voter.petition", "2024-06-26"},
		{"petition/ct-2", "voter.petition.lead", "2024-07-08"},
	} {
		if o := obligation(t, v, c.stream, c.rule, "2024-06-01"); o.Party != "ubnd-21607" || o.Due != events.Date(c.due) || o.Outcome != projections.Pending {
			t.Errorf("%s: %s due %s %s, want ubnd-21607 due %s pending", c.stream, o.Party, o.Due, o.Outcome, c.due)
		}
		if got := flagsOf(v, events.Date(c.due), c.stream); len(got) != 0 {
			t.Errorf("%s: flags on the due date: %v, want none", c.stream, got)
		}
		// The body's, and MTTQ, which forwarded it, has no result.
		if got := flagsOf(v, projections.AddDays(events.Date(c.due), 1), c.stream); !slices.Equal(got, []string{"OB_FORWARD_NO_FEEDBACK", "OB_VOTER_PETITION_OVERDUE"}) {
			t.Errorf("%s: flags the day after: %v, want OB_FORWARD_NO_FEEDBACK, OB_VOTER_PETITION_OVERDUE", c.stream, got)
		}
	}
	for _, stream := range []string{"petition/thu-1", "petition/ct-3"} {
		for _, o := range v.Obligations(v.Item(stream), "2024-09-01") {
			if strings.HasPrefix(o.Rule, "voter.") {
				t.Errorf("%s owes %s", stream, o.Rule)
			}
		}
	}
	// Answered late: the flag stays, with the day it was answered.
	w.rec(events.KindPetition, "ct-1", "", events.PetitionAccepted, `{"accepted_on":"2024-05-20"}`, "2024-05-20")
	w.rec(events.KindPetition, "ct-1", "", events.PetitionResolved, `{"resolved_on":"2024-07-01","outcome":"Đã đưa vào kế hoạch sửa chữa năm 2025"}`, "2024-07-01")
	v = w.build()
	if o := obligation(t, v, "petition/ct-1", "voter.petition", "2024-09-01"); o.MetOn != "2024-07-01" || o.Outcome != projections.Late {
		t.Errorf("answered 1 July: met %s %s, want 2024-07-01 late", o.MetOn, o.Outcome)
	}
	fs := v.Flags("2024-09-01")
	if i := slices.IndexFunc(fs, func(f projections.Flag) bool {
		return f.Subject == "petition/ct-1" && f.Code == "OB_VOTER_PETITION_OVERDUE"
	}); i < 0 ||
		fs[i].RaisedOn != "2024-07-01" || fs[i].LegalBasis != "Quyết định 33/2017/QĐ-TTg Điều 12" {
		t.Errorf("flags of the late answer: %+v", fs)
	}
}

// TestSupervisionPriorNotice: the supervising body tells the subject of a
// supervision at least 15 days before it starts (Luật MTTQ Art. 29.1; the
// lead time is the VFF handbook's): before its first working session, or
// its planned start while none is held. The duty is in the supervisor's
// trail.
func TestSupervisionPriorNotice(t *testing.T) {
	w := newWorld(t)
	plan := func(id string) {
		w.rec(events.KindSupervision, id, "540", events.SupervisionPlanned,
			`{"title":"Giám sát thu chi quỹ","topic":"Quỹ vì người nghèo","form":"DELEGATION","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21607"],"chair_party_id":"mttq-540","planned_start":"2024-06-20"}`, "2024-05-02")
	}
	plan("gs-n1")
	plan("gs-n2")
	v := w.build()
	// Planned start Thursday 20 June: told by Wednesday 5 June.
	o := obligation(t, v, "supervision/gs-n1", "supervision.priorNotice", "2024-06-01")
	if o.Party != "mttq-540" || !o.Supervisor || o.Due != "2024-06-05" || o.MetOn != "" || o.Outcome != projections.DueSoon {
		t.Errorf("before the notice: %s (supervisor %v) due %s met %q %s, want mttq-540 as supervisor, due 2024-06-05, due soon", o.Party, o.Supervisor, o.Due, o.MetOn, o.Outcome)
	}
	// gs-n1's subject is told on 10 June: late. gs-n2's on 8 June, and
	// its first session is held on 28 June: due by 13 June, met.
	w.rec(events.KindSupervision, "gs-n1", "", events.SupervisionNotified, `{"notified_on":"2024-06-10","notified_party_ids":["ubnd-21607"]}`, "2024-06-10")
	w.rec(events.KindSupervision, "gs-n2", "", events.SupervisionNotified, `{"notified_on":"2024-06-08","notified_party_ids":["ubnd-21607"]}`, "2024-06-08")
	w.rec(events.KindSupervision, "gs-n2", "", events.SupervisionSessionHeld, `{"session_id":"s1","held_on":"2024-06-28"}`, "2024-06-28")
	v = w.build()
	if o := obligation(t, v, "supervision/gs-n1", "supervision.priorNotice", "2024-07-01"); o.MetOn != "2024-06-10" || o.Outcome != projections.Late {
		t.Errorf("told on 10 June: met %s %s, want 2024-06-10 late", o.MetOn, o.Outcome)
	}
	if o := obligation(t, v, "supervision/gs-n2", "supervision.priorNotice", "2024-07-01"); o.Trigger != "2024-06-28" || o.Due != "2024-06-13" || o.Outcome != projections.OnTime {
		t.Errorf("first session on 28 June: trigger %s due %s %s, want 2024-06-28, 2024-06-13, on time", o.Trigger, o.Due, o.Outcome)
	}
	trail, ok := v.Accountability("mttq-540", "2024-07-01", nil, nil, 0)
	if !ok || !slices.ContainsFunc(trail.Obligations, func(o projections.Obligation) bool {
		return o.Stream == "supervision/gs-n1" && o.Rule == "supervision.priorNotice" && o.Outcome == projections.Late
	}) {
		t.Errorf("mttq-540's trail: %+v, want the late notice of gs-n1", trail.Obligations)
	}
}

// TestRepeatLateCountsCritiqueAnswers: OB_REPEAT_LATE counts a drafter's
// missing answer to a critique (the law requires a written answer before
// adoption) beside late or missing answers to recommendations.
func TestRepeatLateCountsCritiqueAnswers(t *testing.T) {
	w := newWorld(t)
	for i, on := range []string{"2024-03-04", "2024-04-01"} {
		id := fmt.Sprintf("kn-%d", i)
		w.rec(events.KindRecommendation, id, "21610", events.RecommendationIssued,
			`{"source_kind":"OTHER","addressee_party_id":"ubnd-21610","title":"Kiến nghị","content":"Nội dung.","issued_on":"2024-03-01"}`, "2024-03-01")
		w.rec(events.KindRecommendation, id, "", events.RecommendationReceived, fmt.Sprintf(`{"received_on":%q}`, on), on)
	}
	v := w.build()
	if got := flagsOf(v, "2024-09-01", "party/ubnd-21610"); len(got) != 0 {
		t.Fatalf("two missing answers: %v, want no OB_REPEAT_LATE yet", got)
	}
	w.critiqueUnanswered("pb-2", "21610", "ubnd-21610", "2024-05-01") // adopted 2024-06-01
	v = w.build()
	if got := flagsOf(v, "2024-09-01", "party/ubnd-21610"); !slices.Equal(got, []string{"OB_REPEAT_LATE"}) {
		t.Fatalf("two missing answers and a critique left unanswered: %v, want OB_REPEAT_LATE", got)
	}
	for _, f := range v.Flags("2024-09-01") {
		if f.Code == "OB_REPEAT_LATE" && !slices.ContainsFunc(f.Cites, func(c projections.Cite) bool { return c.Type == events.CritiqueDraftAdopted }) {
			t.Errorf("OB_REPEAT_LATE does not cite the adoption without an answer: %+v", f.Cites)
		}
	}
}

// countingSource records where each read of the log started.
type countingSource struct {
	projections.Source
	froms []uint64
}

func (c *countingSource) ReadLog(ctx context.Context, from uint64, fn func(events.Record) error) error {
	c.froms = append(c.froms, from)
	return c.Source.ReadLog(ctx, from, fn)
}

// Views built from zero read the log's files first (Runner.LogFiles) and
// the source for what the files do not hold: the same views, whether the
// files hold the whole log, part of it, or cannot be read; an error of
// Apply is returned, not read around.
func TestRunnerLogFiles(t *testing.T) {
	w := newWorld(t)
	w.recommendations(6, "2024-01-15", "2024-01-19")
	ctx := context.Background()
	head, err := w.store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	encode := func(v *projections.Views) string {
		var b bytes.Buffer
		if err := v.Encode(&b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	plain := projections.NewRunner(w.store, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	want, err := plain.Build(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	upTo := head - 3
	wantEarly, err := plain.Build(ctx, upTo)
	if err != nil {
		t.Fatal(err)
	}
	// files yields the log up to position last, then returns end.
	files := func(last uint64, end error) func(context.Context, uint64, func(events.Record) error) error {
		return func(ctx context.Context, from uint64, fn func(events.Record) error) error {
			err := w.store.ReadLog(ctx, from, func(r events.Record) error {
				if r.Position > last {
					return errStopFiles
				}
				return fn(r)
			})
			if errors.Is(err, errStopFiles) {
				return end
			}
			return err
		}
	}
	for name, tc := range map[string]struct {
		files     func(context.Context, uint64, func(events.Record) error) error
		storeFrom uint64 // where the source is read from; 0: not read
	}{
		"the whole log":               {files(head, nil), head + 1},
		"files behind the server":     {files(head-4, nil), head - 3},
		"a file ends inside a record": {files(head-4, errors.New("ends inside a record")), head - 3},
		"no files":                    {files(0, errors.New("no such directory")), 1},
	} {
		src := &countingSource{Source: w.store}
		r := projections.NewRunner(src, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
		r.LogFiles = tc.files
		got, err := r.Build(ctx, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if encode(got) != encode(want) {
			t.Errorf("%s: the views differ from a build through the source", name)
		}
		if !slices.Equal(src.froms, []uint64{tc.storeFrom}) {
			t.Errorf("%s: the source was read from %v, want %d", name, src.froms, tc.storeFrom)
		}
		// An early position within the files stops there; the source is
		// not read.
		src.froms = nil
		early, err := r.Build(ctx, upTo)
		if err != nil || encode(early) != encode(wantEarly) {
			t.Errorf("%s: views at %d differ (%v)", name, upTo, err)
		}
		if name == "the whole log" && len(src.froms) != 0 {
			t.Errorf("%s: the source was read from %v for position %d", name, src.froms, upTo)
		}
		// A runner opened without a snapshot reads the files too.
		src.froms = nil
		if err := r.Open(ctx); err != nil {
			t.Fatalf("%s: open: %v", name, err)
		}
		r.Read(func(v *projections.Views) {
			if encode(v) != encode(want) {
				t.Errorf("%s: the opened views differ", name)
			}
		})
		r.Close()
	}
	// A record the views cannot apply is an error, not a reason to read
	// the source instead.
	gap := func(ctx context.Context, from uint64, fn func(events.Record) error) error {
		return w.store.ReadLog(ctx, from, func(rec events.Record) error {
			if rec.Position == 3 {
				rec.Position = 4 // a gap
			}
			return fn(rec)
		})
	}
	r := projections.NewRunner(w.store, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	r.LogFiles = gap
	_, err = r.Build(ctx, 0)
	if err == nil {
		t.Fatal("a gap in the files was read around")
	}
	// The same error as from the source.
	_, want2 := projections.NewRunner(&gapSource{w.store, gap}, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler)).Build(ctx, 0)
	if fmt.Sprintf("%T %v", err, err) != fmt.Sprintf("%T %v", want2, want2) {
		t.Errorf("the files' gap: %T %v; the source's: %T %v", err, err, want2, want2)
	}
}

// gapSource reads the log with read.
type gapSource struct {
	projections.Source
	read func(context.Context, uint64, func(events.Record) error) error
}

func (g *gapSource) ReadLog(ctx context.Context, from uint64, fn func(events.Record) error) error {
	return g.read(ctx, from, fn)
}

var errStopFiles = errors.New("end of the files")

// handing is a Source that tells on handed when it hands a record to the
// runner's follower.
type handing struct {
	projections.Source
	handed chan uint64
}

func (h handing) Follow(ctx context.Context, from uint64, fn func(events.Record) error) error {
	return h.Source.Follow(ctx, from, func(rec events.Record) error {
		select {
		case h.handed <- rec.Position:
		default:
		}
		return fn(rec)
	})
}

// openHanding opens a runner over w's log through a source that hands
// each record it delivers to the test (src.handed); closed at the end of
// the test.
func openHanding(t *testing.T, w *world) (*projections.Runner, handing) {
	t.Helper()
	src := handing{Source: w.store, handed: make(chan uint64, 1)}
	r := projections.NewRunner(src, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	if err := r.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r, src
}

// TestSaveDoesNotHoldReadersBack checks that while a snapshot save reads the
// views (seconds at a million events), a new event for the follower to
// apply does not stop readers from getting in: a writer waiting on the
// views' lock would hold back every reader after it.
func TestSaveDoesNotHoldReadersBack(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	r, src := openHanding(t, w)
	release := r.HoldAsSave()
	pos := w.rec(events.KindRecommendation, "kn-1", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	for got := uint64(0); got != pos; {
		select {
		case got = <-src.handed:
		case <-time.After(10 * time.Second):
			release()
			t.Fatal("the follower was not handed the new event")
		}
	}
	// The follower has the event and is on its way to the lock: readers
	// must still get in for as long as the save lasts.
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
		if !r.ReadersLetIn() {
			release()
			t.Fatal("a reader is held back while a snapshot save reads the views")
		}
		time.Sleep(time.Millisecond)
	}
	if r.Position() >= pos {
		t.Errorf("the follower applied position %d while a save held the views", pos)
	}
	release()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := r.WaitPosition(wctx, pos); err != nil {
		t.Fatalf("the follower did not apply position %d after the save: %v", pos, err)
	}
}

// TestAsOfViewsAreDropped checks that past views built for as_of are kept
// while they are used, that no more than two are kept, and that they are
// dropped, and freed, once unused for five minutes: views of last week are
// nearly as large as the current ones.
func TestAsOfViewsAreDropped(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	p1 := w.rec(events.KindRecommendation, "kn-1", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	p2 := w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationReceived, `{"received_on":"2024-01-19"}`, "2024-01-19")
	p3 := w.rec(events.KindRecommendation, "kn-2", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-20"), "2024-01-20")
	w.rec(events.KindRecommendation, "kn-2", "", events.RecommendationReceived, `{"received_on":"2024-01-22"}`, "2024-01-22")
	var now atomic.Int64
	now.Store(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC).UnixNano())
	src := &countingSource{Source: w.store}
	r := projections.NewRunner(src, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	r.SetHistoryClock(func() time.Time { return time.Unix(0, now.Load()) }, time.Millisecond)
	if err := r.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var past []weak.Pointer[projections.Views]
	asOf := func(pos uint64) {
		t.Helper()
		err := r.View(ctx, pos, func(v *projections.Views) error {
			past = append(past, weak.Make(v))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	builds := func() int64 { // reads of the log from its start: builds of views
		n := int64(0)
		for _, from := range src.froms {
			if from <= 1 {
				n++
			}
		}
		return n
	}
	b0 := builds()
	asOf(p1)
	if n, b := r.HistoryLen(), builds()-b0; n != 1 || b != 1 {
		t.Fatalf("after an as_of query: %d past views kept, %d built; want 1 and 1", n, b)
	}
	// Used again 4 minutes later, then 4 more: kept, not built again
	// (many expiry ticks pass meanwhile).
	for range 2 {
		now.Add(int64(4 * time.Minute))
		asOf(p1)
		time.Sleep(50 * time.Millisecond)
		if n, b := r.HistoryLen(), builds()-b0; n != 1 || b != 1 {
			t.Fatalf("a past view used 4 minutes ago: %d kept, %d built; want 1 and 1", n, b)
		}
	}
	// Three points: the two last are kept.
	asOf(p2)
	asOf(p3)
	if n, b := r.HistoryLen(), builds()-b0; n != 2 || b != 3 {
		t.Fatalf("after as_of at three points: %d past views kept, %d built; want 2 and 3", n, b)
	}
	runtime.GC()
	runtime.GC()
	if past[0].Value() != nil {
		t.Error("the first past view is still in memory after two others replaced it")
	}
	now.Add(int64(5 * time.Minute))
	for deadline := time.Now().Add(10 * time.Second); r.HistoryLen() != 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("past views unused for 5 minutes were still kept 10 s later")
		}
	}
	runtime.GC()
	runtime.GC()
	for i, p := range past {
		if p.Value() != nil {
			t.Errorf("past view %d (of %d) is still in memory after it was dropped", i, len(past))
		}
	}
}

// TestSupervisionFlagsFollowWrites: live views keep the flags across
// supervisions while other items change, and compute them again when a
// supervision changes: the same flags as views built afresh, each time.
func TestSupervisionFlagsFollowWrites(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	r := projections.NewRunner(w.store, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	if err := r.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for i, start := range []string{"2024-04-02", "2024-04-09", "2024-05-20", "2024-06-10"} {
		w.rec(events.KindSupervision, fmt.Sprintf("gs-%d", i+1), "540", events.SupervisionPlanned,
			fmt.Sprintf(`{"title":"Giám sát %d","topic":"Tiếp công dân","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21610"],"planned_start":"%s"}`, i+1, start), "2024-03-20")
	}
	const today = events.Date("2024-12-31")
	check := func(step string, pos uint64, want bool) {
		t.Helper()
		if err := r.WaitPosition(ctx, pos); err != nil {
			t.Fatal(err)
		}
		var live []projections.Flag
		r.Read(func(v *projections.Views) { live = slices.Clone(v.Flags(today)) })
		if diff := cmp.Diff(w.build().Flags(today), live, cmp.AllowUnexported(projections.Flag{})); diff != "" {
			t.Fatalf("%s: the live views' flags differ from a rebuild's (-rebuilt +live):\n%s", step, diff)
		}
		codes := map[string]bool{}
		for _, f := range live {
			codes[f.Code] = true
		}
		if codes["MU_OVERLAP"] != want || codes["MU_OVERBURDEN"] != want {
			t.Fatalf("%s: MU_OVERLAP %v and MU_OVERBURDEN %v, want both %v", step, codes["MU_OVERLAP"], codes["MU_OVERBURDEN"], want)
		}
	}
	pos := w.rec(events.KindRecommendation, "kn-1", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-07-01"), "2024-07-01")
	check("four supervisions", pos, true)
	pos = w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationReceived, `{"received_on":"2024-07-03"}`, "2024-07-03")
	check("a recommendation received", pos, true)
	for _, id := range []string{"gs-2", "gs-3", "gs-4"} {
		pos = w.rec(events.KindSupervision, id, "", events.SupervisionCancelled, `{"cancelled_on":"2024-04-05","reason":"Trùng lịch"}`, "2024-04-05")
	}
	check("all but one cancelled", pos, false)
	pos = w.rec(events.KindRecommendation, "kn-2", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-07-10"), "2024-07-10")
	check("another recommendation", pos, false)
}

// BenchmarkPrepare decodes the stored events of a small ledger (units,
// parties, recommendations) as a build's workers do, per event.
func BenchmarkPrepare(b *testing.B) {
	w := newWorld(b)
	for i := range 200 {
		w.rec(events.KindRecommendation, fmt.Sprintf("kn-%d", i), "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	}
	var recs []events.Record
	if err := w.store.ReadLog(context.Background(), 1, func(r events.Record) error {
		recs = append(recs, r)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if p := projections.Prepare(recs[i%len(recs)]); p.Err != nil {
			b.Fatal(p.Err)
		}
	}
}

// flagByID returns the flag with id at today, nil if none.
func flagByID(v *projections.Views, today events.Date, id string) *projections.Flag {
	for _, f := range v.Flags(today) {
		if f.ID == id {
			return &f
		}
	}
	return nil
}
