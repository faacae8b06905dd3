package projections

import (
	"math/rand/v2"
	"slices"
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
		tl := v.tallyOf(it, v.Obligations(it, ""))
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

// The median of days counted in a dayCounts is the median of the values,
// negative and large ones included.
func TestDayCountsMedian(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := range 200 {
		var d dayCounts
		var vals []int
		for range n {
			x := r.IntN(60)
			switch r.IntN(10) {
			case 0:
				x = -r.IntN(5) - 1
			case 1:
				x = 1024 + r.IntN(3000)
			}
			d.add(x)
			vals = append(vals, x)
		}
		slices.Sort(vals)
		got, ok := d.median()
		if ok != (n > 0) {
			t.Fatalf("%d values: ok %v", n, ok)
		}
		if n == 0 {
			continue
		}
		want := float64(vals[n/2])
		if n%2 == 0 {
			want = float64(vals[n/2-1]+vals[n/2]) / 2
		}
		if got != want || !slices.Equal(d.values(), vals) {
			t.Fatalf("%v: median %v, want %v", vals, got, want)
		}
	}
}
