package projections

import (
	"fmt"
	"reflect"
	"slices"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// CheckOwing checks the index of due dates against the obligations
// themselves: every item's unmet due dates are what Obligations gives and
// it is filed under each, and at dates around every due date, every item
// with an obligation of an unmet outcome is among those Owing and MayOwe
// return for that outcome.
func CheckOwing(v *Views) error {
	dates := map[events.Date]bool{"2000-01-01": true, "2099-12-31": true}
	filed := 0
	for _, it := range v.items {
		var want []events.Date
		if hasDuties(it.Kind) {
			for _, o := range v.Obligations(it, "") {
				if o.Due != "" {
					for _, n := range []int{-DueSoonDays - 1, -DueSoonDays, -1, 0, 1, DueSoonDays, DueSoonDays + 1} {
						dates[AddDays(o.Due, n)] = true
					}
				}
				if o.MetOn == "" && o.Outcome != Refused && !slices.Contains(want, o.Due) {
					want = append(want, o.Due)
				}
			}
		}
		if !slices.Equal(want, it.dues) {
			return fmt.Errorf("%s: indexed under %q, owes by %q", it.Stream(), it.dues, want)
		}
		for _, d := range want {
			if _, ok := v.byDue[d][it]; !ok {
				return fmt.Errorf("%s is not filed under %q", it.Stream(), d)
			}
		}
		filed += len(want)
	}
	n := 0
	for _, set := range v.byDue {
		n += len(set)
	}
	if n != filed {
		return fmt.Errorf("the index holds %d entries, the items %d", n, filed)
	}
	for d := range dates {
		for _, outcome := range []string{Pending, DueSoon, Overdue, Waiting} {
			scopes := []map[string]bool{nil}
			for _, u := range v.order[events.KindUnit] {
				scopes = append(scopes, v.ScopeSet(u.ID))
			}
			for _, scope := range scopes {
				owing := v.Owing([]string{outcome}, d, scope)
				for _, list := range owing {
					for _, it := range list {
						if scope != nil && !scope[it.Unit()] {
							return fmt.Errorf("%s (unit %s) is found owing outside the scope", it.Stream(), it.Unit())
						}
					}
				}
				for _, it := range v.items {
					if scope != nil && !scope[it.Unit()] {
						continue
					}
					for _, o := range v.Obligations(it, d) {
						if o.Outcome != outcome {
							continue
						}
						if !slices.Contains(owing[it.Kind], it) || !v.MayOwe(it, []string{outcome}, d) {
							return fmt.Errorf("%s owes %s (%s, due %q) at %s but is not found owing", it.Stream(), o.Rule, outcome, o.Due, d)
						}
					}
				}
			}
		}
	}
	return nil
}

// CheckTallies checks the tallies the reports count against the items:
// each unit's tallies stand beside its items and are what tallyOf makes of
// them now, and a recommendation's tally counts at each of todays as the
// item's own obligations count (countRecommendation, the way reports
// counted before tallies).
func CheckTallies(v *Views, todays []events.Date) error {
	for k, items := range v.byUnit {
		if !tallied(items[0].Kind) {
			continue
		}
		ts := v.tallies[k]
		if len(ts) != len(items) {
			return fmt.Errorf("%q: %d tallies for %d items", k, len(ts), len(items))
		}
		for i, it := range items {
			if !reflect.DeepEqual(ts[i], v.tallyOf(it, v.Obligations(it, ""))) {
				return fmt.Errorf("%s: tally %+v, the item gives %+v", it.Stream(), ts[i], v.tallyOf(it, v.Obligations(it, "")))
			}
			// Which periods count the item, and under which form, as the
			// reports decided from the item before tallies.
			date, counted := it.OpenedOn, false
			switch it.Kind {
			case events.KindSupervision:
				counted = it.Status() != events.SupCancelled
			case events.KindCritique:
				date, counted = it.ReportDate(), it.Status() != events.CrCancelled
			case events.KindRecommendation:
				if f := it.Facts.Rec; f != nil && it.Status() != events.RecWithdrawn {
					date, counted = f.IssuedOn, true
				}
			case events.KindPetition:
				if f := it.Facts.Pet; f != nil {
					date, counted = f.ReceivedOn, true
				}
			case events.KindInfoRequest:
				if f := it.Facts.Info; f != nil {
					date, counted = f.ReceivedOn, true
				}
			}
			formed := it.Kind == events.KindSupervision || it.Kind == events.KindCritique
			if ts[i].counted != counted || formed && ts[i].form != it.Form {
				return fmt.Errorf("%s: tally counted %v form %q, the item %v %q", it.Stream(), ts[i].counted, ts[i].form, counted, it.Form)
			}
			periods := []Period{{}, {From: date}, {To: date}, {From: AddDays(date, 1)}, {To: AddDays(date, -1)}, {From: "2024-01-01", To: "2024-06-30"}}
			days, _ := toPeriodDays(periods)
			for j, p := range periods {
				if counted && ts[i].in(periods, days, j) != p.has(date) {
					return fmt.Errorf("%s (date %q): in period %+v: tally %v, item %v", it.Stream(), date, p, !p.has(date), p.has(date))
				}
			}
			if formed || !ts[i].counted {
				continue
			}
			// The answer (of a petition: its resolution) is counted as its
			// obligation stands, at each of todays and about its due date.
			answer := func(o Obligation) bool {
				switch it.Kind {
				case events.KindPetition:
					return resolutionRules[o.Rule] && o.Again == 0
				case events.KindInfoRequest:
					return answerRules[o.Rule]
				}
				return o.Rule == "recommendation.response"
			}
			near := slices.Clone(todays)
			if ts[i].hasDue && ts[i].dueDay != noDay {
				for _, n := range []int{-DueSoonDays - 1, -DueSoonDays, -1, 0, 1} {
					near = append(near, AddDays(dateOf(ts[i].dueDay), n))
				}
			}
			for _, today := range near {
				want := ""
				for _, o := range v.Obligations(it, today) {
					if answer(o) && (want == "" || it.Kind != events.KindPetition) {
						want = o.Outcome
					}
				}
				if got := ts[i].answerOutcome(today, dayOrNone(today)); got != want {
					return fmt.Errorf("%s at %s: the answer's outcome is %q, its tally gives %q", it.Stream(), today, want, got)
				}
			}
			f := it.Facts.Rec
			if f == nil {
				continue
			}
			for _, today := range todays {
				var a, b RecStats
				var ra, rb UnitRow
				da := countRecommendation(&a, &ra, it, f, v.Obligations(it, today), nil)
				var dc dayCounts
				countTally(&b, &rb, &ts[i], ts[i].answerOutcome(today, dayOrNone(today)), &dc)
				db := dc.values()
				if len(db) == 0 {
					db = nil
				}
				if a != b || ra != rb || !slices.Equal(da, db) {
					return fmt.Errorf("%s at %s: the item counts %+v %+v %v, its tally %+v %+v %v", it.Stream(), today, a, ra, da, b, rb, db)
				}
			}
		}
	}
	return nil
}

// countRecommendation counts one recommendation (with its evaluated
// obligations) into rs and its unit's row, and returns days with its days
// to answer appended.
func countRecommendation(rs *RecStats, row *UnitRow, it *Item, f *RecFacts, obligations []Obligation, days []int) []int {
	rs.Issued++
	if row != nil {
		row.Issued++
	}
	if f.ReceivedOn != "" || f.RespondedOn != "" { // an answer implies a receipt
		rs.Received++
	}
	owes := false
	for _, o := range obligations {
		if o.Rule != "recommendation.response" {
			continue
		}
		owes = true
		switch o.Outcome {
		case OnTime:
			rs.AnsweredOnTime++
			if row != nil {
				row.OnTime++
			}
		case Late:
			rs.AnsweredLate++
			if row != nil {
				row.Late++
			}
		case Overdue:
			rs.Missing++
			if row != nil {
				row.Missing++
			}
		default:
			rs.NotYetDue++
		}
		if o.MetOn != "" && f.ReceivedOn != "" && o.MetOn >= o.Trigger { // with no receipt (or one after the answer), the days are not known
			days = append(days, DaysBetween(o.Trigger, o.MetOn))
		}
	}
	if !owes {
		rs.NotYetDue++ // not delivered: no answer is due yet
	}
	switch f.Outcome {
	case events.OutcomeAccepted:
		rs.Accepted++
	case events.OutcomePartiallyAccepted:
		rs.PartlyAccepted++
	case events.OutcomeExplainedNotAccepted:
		rs.ExplainedNotAccepted++
	}
	if it.Status() == events.RecInImplementation {
		rs.InImplementation++
	}
	if f.EvidenceOn != "" || f.Implemented != "" {
		rs.Implemented++ // reported done (not found otherwise since), or verified, whatever came after
	}
	if f.Implemented != "" {
		rs.Verified++ // verified as implemented, whatever came after
	}
	return days
}

// values returns every value, sorted.
func (d *dayCounts) values() []int {
	slices.Sort(d.other)
	out := make([]int, 0, d.n)
	i := 0
	for ; i < len(d.other) && d.other[i] < 0; i++ {
		out = append(out, d.other[i])
	}
	for x, c := range d.small {
		for range c {
			out = append(out, x)
		}
	}
	return append(out, d.other[i:]...)
}

// HoldAsSave holds the views as a snapshot save does while it encodes
// them, until release is called.
func (r *Runner) HoldAsSave() (release func()) { return r.lockForSave() }

// ReadersLetIn reports whether a reader would get the views now, without
// waiting.
func (r *Runner) ReadersLetIn() bool {
	if !r.mu.TryRLock() {
		return false
	}
	r.mu.RUnlock()
	return true
}

// SetHistoryClock sets the clock of the past views kept for as_of, and
// how often those unused are dropped.
func (r *Runner) SetHistoryClock(now func() time.Time, every time.Duration) {
	r.history.now, r.expireEvery = now, every
}

// HistoryLen is how many past views are kept for as_of.
func (r *Runner) HistoryLen() int {
	r.history.mu.Lock()
	defer r.history.mu.Unlock()
	return len(r.history.entries)
}

// FlagComputations returns how many flag computations of v updated the
// cached flags (fewer of them reading only the items changed) and how many
// assembled them anew.
func FlagComputations(v *Views) (updated, fewer, full uint64) {
	v.cache.mu.Lock()
	defer v.cache.mu.Unlock()
	return v.cache.updated, v.cache.fewer, v.cache.full
}

// LimitTouched bounds the changes v records for its flags (Views.touched)
// to n instead of maxTouched.
func LimitTouched(v *Views, n int) { v.touchLimit = n }

// CompactAnswersFrom sets how many bytes of folded answer text no item
// points to any more the views keep before compacting it (at least half).
func CompactAnswersFrom(v *Views, n int) { v.answers.compactFrom = &n }

// AnswerCompactions returns how many times the views' folded answer text
// was compacted.
func AnswerCompactions(v *Views) int { return v.answers.compactions }
