package projections

import (
	"testing"

	"github.com/mttq-vn/ledger/events"
)

// Dates the log holds but that are not valid dates are compared as
// written, as the reports compared them before tallies.
func TestTallyOddDates(t *testing.T) {
	v := NewViews(DefaultConfig())
	periods := []Period{{}, {From: "2024-01-01", To: "2024-12-31"}, {From: "2024-02-01", To: "2024-02-29"}, {From: "2024-13-01"}}
	days, _ := toPeriodDays(periods[:3])
	for _, f := range []RecFacts{
		{IssuedOn: "2024-02-30", ReceivedOn: "2024-03-01", RespondedOn: "2024-03-05"},
		{IssuedOn: "2024-02-10", ReceivedOn: "2024-02-12", RespondedOn: "2024-99-05"},
		{IssuedOn: "2024-02-10", ReceivedOn: "2024-02-12"},
		{IssuedOn: "", ReceivedOn: "2024-02-12"},
		{IssuedOn: "2024-02-10", ReceivedOn: "2024-2-12"},
	} {
		it := &Item{Kind: events.KindRecommendation, ID: "kn-odd", Facts: Facts{Rec: &f}}
		tl := v.tallyOf(it)
		for i, p := range periods {
			pd := days
			if i == 3 {
				pd = nil
			}
			if got, want := tl.in(periods, pd, i), p.has(f.IssuedOn); got != want {
				t.Errorf("%+v in %+v: %v, want %v", f, p, got, want)
			}
		}
		for _, today := range []events.Date{"2024-02-20", "2024-03-31", "2025-01-01", "bad"} {
			want := ""
			for _, o := range v.Obligations(it, today) {
				if o.Rule == "recommendation.response" {
					want = o.Outcome
				}
			}
			if got := tl.answerOutcome(today, dayOrNone(today)); got != want {
				t.Errorf("%+v at %s: %q, want %q", f, today, got, want)
			}
		}
	}
}
