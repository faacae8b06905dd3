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

	// Page 1: one deadline.
	p1 := deadlinesPage(t, f, f.Inspector.Secret, "limit=1")
	if len(p1.Deadlines) != 1 || p1.NextCursor == "" {
		t.Fatalf("page 1: %+v", p1)
	}
	// Meanwhile, the report outline is sent: the subject owes its report.
	f.MustAppend(t, f.Recorder, "supervisions", "gs-1", api.EventRequest{Type: events.SupervisionReportOutlineSent, OccurredAt: "2025-06-03T08:00:00+07:00",
		Data: mustJSON(t, events.ReportOutlineSentData{SentOn: "2025-06-03", ReportDueOn: "2025-07-10"})})
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
