package api_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

type deadlinePage struct {
	Deadlines  []projections.Obligation `json:"deadlines"`
	NextCursor string                   `json:"next_cursor"`
}

func deadlinesPage(t *testing.T, f *Fixture, secret, query string) deadlinePage {
	t.Helper()
	r := f.Do(t, "GET", "/v1/deadlines?"+query, secret, nil)
	if r.Status != 200 {
		t.Fatalf("GET /v1/deadlines?%s: %d %s", query, r.Status, r.Body)
	}
	var p deadlinePage
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// GET /v1/deadlines pages by a cursor that names the last obligation
// listed by its key (the event that started it, rule, party), and an
// item's obligations are listed in that order: an event between two pages
// that adds an obligation (a report outline adds the subject's report
// duty) neither repeats one already listed nor hides the new one. (Found
// by an audit: the cursor was an index into the item's list.)
func TestDeadlinePagesStable(t *testing.T) {
	f := MustOpenServer(t)
	f.MustCreate(t, f.Recorder, "supervisions", api.EventRequest{ID: "gs-1", Type: events.SupervisionPlanned, Unit: unitWard, OccurredAt: "2025-06-01T08:00:00+07:00",
		Data: mustJSON(t, events.SupervisionPlannedData{Title: "Giám sát tiếp công dân", Topic: "Việc thực hiện Luật Tiếp công dân", Form: events.FormDelegation,
			Mode: events.ModeUnscheduled, Scope: events.ScopeThematic, SubjectPartyIDs: []string{partyWard}, PlannedStart: "2025-07-20"})})
	f.MustAppend(t, f.Recorder, "supervisions", "gs-1", api.EventRequest{Type: events.SupervisionDocumentRequested, OccurredAt: "2025-06-02T08:00:00+07:00",
		Data: mustJSON(t, events.DocumentRequestedData{RequestID: "r1", PartyID: partyWard, Description: "Sổ tiếp công dân 2024", RequestedOn: "2025-06-02", DueOn: "2025-07-15"})})

	f.MustWaitApplied(t) // the pages read the views without min_position
	// Page 1: one deadline.
	p1 := deadlinesPage(t, f, f.Inspector.Secret, "limit=1")
	if len(p1.Deadlines) != 1 || p1.NextCursor == "" {
		t.Fatalf("page 1: %+v", p1)
	}
	// Meanwhile, the report outline is sent: the subject owes its report.
	f.MustAppend(t, f.Recorder, "supervisions", "gs-1", api.EventRequest{Type: events.SupervisionReportOutlineSent, OccurredAt: "2025-06-03T08:00:00+07:00",
		Data: mustJSON(t, events.ReportOutlineSentData{SentOn: "2025-06-03", ReportDueOn: "2025-07-10"})})
	f.MustWaitApplied(t)
	seen := map[string]int{}
	key := func(o projections.Obligation) string {
		return fmt.Sprintf("%s %s %s %s", o.Stream, o.Rule, o.Party, o.Due)
	}
	for _, o := range p1.Deadlines {
		seen[key(o)]++
	}
	cursor := p1.NextCursor
	for i := 0; cursor != "" && i < 10; i++ {
		p := deadlinesPage(t, f, f.Inspector.Secret, "limit=1&cursor="+url.QueryEscape(cursor))
		for _, o := range p.Deadlines {
			seen[key(o)]++
		}
		cursor = p.NextCursor
	}
	// Every deadline now in scope, listed once.
	all := deadlinesPage(t, f, f.Inspector.Secret, "limit=500")
	for _, o := range all.Deadlines {
		if n := seen[key(o)]; n != 1 && o.Rule != "supervision.subjectReport" {
			t.Errorf("deadline %s listed %d times across the pages", key(o), n)
		}
	}
	for _, o := range all.Deadlines {
		if o.Rule == "supervision.subjectReport" && seen[key(o)] == 0 {
			t.Errorf("deadline %s (added between pages, after the cursor in the order of deadlines) never listed, while %v were", key(o), seen)
		}
	}
}

// A supervision confidential from its first event, with two subjects,
// owes two supervision.subjectReport deadlines that start at the same
// event. For an observer their parties are withheld, and the cursor names
// their place, not their party: pages of one list both, for the observer
// as for the inspector. (Found by a review: the cursor keyed on the
// blanked party, and the second was skipped.)
func TestDeadlineCursorWithheldTwins(t *testing.T) {
	f := MustOpenServer(t)
	req := api.EventRequest{ID: "gs-c", Type: events.SupervisionPlanned, Unit: unitWard, OccurredAt: "2025-06-01T08:00:00+07:00",
		Data: mustJSON(t, events.SupervisionPlannedData{Title: "Giám sát mật", Topic: "Việc thực hiện Luật Tiếp công dân", Form: events.FormDelegation,
			Mode: events.ModeUnscheduled, Scope: events.ScopeThematic, SubjectPartyIDs: []string{partyWard, partyOther}, PlannedStart: "2025-07-20"})}
	req.Classification = "confidential"
	f.MustCreate(t, f.Recorder, "supervisions", req)
	f.MustAppend(t, f.Recorder, "supervisions", "gs-c", api.EventRequest{Type: events.SupervisionReportOutlineSent, OccurredAt: "2025-06-03T08:00:00+07:00",
		Data: mustJSON(t, events.ReportOutlineSentData{SentOn: "2025-06-03", ReportDueOn: "2025-07-10"})})
	f.MustWaitCheckpoint(t)

	count := func(tok *Token) (all, paged int) {
		for _, o := range deadlinesPage(t, f, tok.Secret, "limit=500").Deadlines {
			if o.Rule == "supervision.subjectReport" {
				all++
			}
		}
		cursor := ""
		for i := 0; i < 20; i++ {
			q := "limit=1"
			if cursor != "" {
				q += "&cursor=" + url.QueryEscape(cursor)
			}
			p := deadlinesPage(t, f, tok.Secret, q)
			for _, o := range p.Deadlines {
				if o.Rule == "supervision.subjectReport" {
					paged++
				}
			}
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		return
	}
	for _, c := range []struct {
		name string
		tok  *Token
	}{{"inspector", f.Inspector}, {"observer", f.Observer}} {
		all, paged := count(c.tok)
		if all != 2 || paged != all {
			t.Errorf("%s: %d subject-report deadlines in one page, %d across pages of 1", c.name, all, paged)
		}
	}
}

// The cursors /v1/deadlines gives are as the OpenAPI document says, in
// the answer and as the next request's parameter. (Found by a review: the
// document kept the cursor's old form.)
func TestOpenAPIDeadlineCursor(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	router := mustRouter(t, doc)
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "rec-1", unitWard, partyWard)
	f.MustAppend(t, f.Recorder, "recommendations", "rec-1", receivedRequest)
	f.MustIssue(t, f.OtherRecorder, "rec-2", unitOther, partyOther)
	f.MustAppend(t, f.OtherRecorder, "recommendations", "rec-2", receivedRequest)
	f.MustWaitCheckpoint(t)
	r := f.Do(t, "GET", "/v1/deadlines?limit=1", f.Inspector.Secret, nil)
	validateResponse(t, router, "GET", "/v1/deadlines?limit=1", "", r)
	p := deadlinesPage(t, f, f.Inspector.Secret, "limit=1")
	if p.NextCursor == "" {
		t.Fatal("no next cursor")
	}
	path := "/v1/deadlines?limit=1&cursor=" + url.QueryEscape(p.NextCursor)
	validateResponse(t, router, "GET", path, "", f.Do(t, "GET", path, f.Inspector.Secret, nil))
}
