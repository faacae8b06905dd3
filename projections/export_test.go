package projections

import (
	"fmt"
	"slices"

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
			owing := v.Owing([]string{outcome}, d)
			for _, it := range v.items {
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
	return nil
}
