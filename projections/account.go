package projections

import (
	"maps"
	"slices"
	"sort"

	"github.com/mttq-vn/ledger/events"
)

// CitedEvent is an event a trail rests on, with what an outsider needs to
// check it: its position in the log and its hash.
type CitedEvent struct {
	Position uint64      `json:"position"`
	Hash     string      `json:"hash"`
	Type     events.Type `json:"type"`
}

// Trail is the accountability trail of one party: every obligation it had
// (as the supervised party, or as a supervising body), its outcome, the
// flags about it and every event those rest on.
type Trail struct {
	Party       string           `json:"party"`
	Name        string           `json:"name"`
	PartyKind   events.PartyKind `json:"party_kind"`
	Unit        string           `json:"unit"`
	Today       events.Date      `json:"evaluated_on"`
	Obligations []Obligation     `json:"obligations"`
	Flags       []Flag           `json:"flags"`
	Summary     map[string]int   `json:"summary"`
	Events      []CitedEvent     `json:"events"`
}

// Accountability returns the trail of party at today; ok is false for a
// party that is not registered.
func (v *Views) Accountability(party string, today events.Date) (Trail, bool) {
	p := v.items[events.StreamName(events.KindParty, party)]
	if p == nil {
		return Trail{}, false
	}
	t := Trail{Party: party, Unit: p.Unit(), Today: today, Obligations: []Obligation{}, Flags: []Flag{}, Summary: map[string]int{}}
	if f := p.Facts.Prt; f != nil {
		t.Name, t.PartyKind = f.Name, f.PartyKind
	}
	cited := map[uint64]events.Type{}
	for _, it := range v.byParty[party] {
		for _, o := range v.Obligations(it, today) {
			if o.Party != party {
				continue
			}
			t.Obligations = append(t.Obligations, o)
			t.Summary[o.Outcome]++
			for _, c := range o.Cites {
				cited[c.Position] = c.Type
			}
		}
	}
	for _, f := range v.Flags(today) {
		if f.Party != party {
			continue
		}
		t.Flags = append(t.Flags, f)
		for _, c := range f.Cites {
			if _, ok := cited[c.Position]; !ok || c.Type != "" {
				cited[c.Position] = c.Type
			}
		}
		if f.Review != nil {
			cited[f.Review.At.Position] = f.Review.At.Type
		}
	}
	sort.SliceStable(t.Obligations, func(i, j int) bool { return firstCite(t.Obligations[i]) < firstCite(t.Obligations[j]) })
	for _, pos := range slices.Sorted(maps.Keys(cited)) {
		if pos == 0 {
			continue
		}
		t.Events = append(t.Events, CitedEvent{Position: pos, Hash: v.Hash(pos).String(), Type: cited[pos]})
	}
	if t.Events == nil {
		t.Events = []CitedEvent{}
	}
	return t, true
}

func firstCite(o Obligation) uint64 {
	if len(o.Cites) == 0 {
		return 0
	}
	return o.Cites[0].Position
}

// RecStats counts recommendations of a report.
type RecStats struct {
	Issued               int `json:"issued"`
	Received             int `json:"received"`
	AnsweredOnTime       int `json:"answered_on_time"`
	AnsweredLate         int `json:"answered_late"`
	Missing              int `json:"missing"`
	NotYetDue            int `json:"not_yet_due"`
	Accepted             int `json:"accepted"`
	PartlyAccepted       int `json:"partly_accepted"`
	ExplainedNotAccepted int `json:"explained_not_accepted"`
	InImplementation     int `json:"in_implementation"`
	Implemented          int `json:"implemented"`
	Verified             int `json:"verified"`
}

// Report aggregates one unit (with its subtree) over a period (domain.md §5).
type Report struct {
	Unit            string         `json:"unit"`
	UnitName        string         `json:"unit_name"`
	From            events.Date    `json:"from,omitempty"`
	To              events.Date    `json:"to,omitempty"`
	EvaluatedOn     events.Date    `json:"evaluated_on"`
	SupervisionsBy  map[string]int `json:"supervisions_by_form"`
	Supervisions    int            `json:"supervisions"`
	CritiquesBy     map[string]int `json:"critiques_by_form"`
	Critiques       int            `json:"critiques"`
	Recommendations RecStats       `json:"recommendations"`
	// MedianDaysToAnswer counts calendar days from receipt to answer; nil
	// when nothing was answered.
	MedianDaysToAnswer *float64 `json:"median_days_to_answer"`
	// OnTimeRate is answered on time / (on time + late + missing); nil
	// when nothing fell due.
	OnTimeRate *float64       `json:"on_time_rate"`
	FlagsOpen  map[string]int `json:"flags_open_by_code"`
	// Units breaks the recommendation figures down by the unit itself and
	// each unit directly below it.
	Units []UnitRow `json:"units"`
}

// UnitRow is one unit's line of a report.
type UnitRow struct {
	Unit       string   `json:"unit"`
	Name       string   `json:"name"`
	Issued     int      `json:"issued"`
	OnTime     int      `json:"answered_on_time"`
	Late       int      `json:"answered_late"`
	Missing    int      `json:"missing"`
	OnTimeRate *float64 `json:"on_time_rate"`
}

// Report computes the report of unit (nil Units means every unit) over
// [from, to] at today; empty bounds are open.
func (v *Views) Report(unit string, from, to, today events.Date) Report {
	r := Report{Unit: unit, From: from, To: to, EvaluatedOn: today, SupervisionsBy: map[string]int{}, CritiquesBy: map[string]int{}, FlagsOpen: map[string]int{}}
	var scope map[string]bool
	if unit != "" {
		scope = v.ScopeSet(unit)
		if u := v.items[events.StreamName(events.KindUnit, unit)]; u != nil {
			r.UnitName = u.Title
		}
	}
	in := func(d events.Date) bool {
		return d != "" && (from == "" || d >= from) && (to == "" || d <= to)
	}
	// Rows: the unit itself and each child, each with its own subtree.
	var rows []*UnitRow
	rowOf := map[string]*UnitRow{}
	if unit != "" {
		self := &UnitRow{Unit: unit, Name: r.UnitName}
		rows = append(rows, self)
		rowOf[unit] = self
		for _, c := range v.children[unit] {
			row := &UnitRow{Unit: c}
			if u := v.items[events.StreamName(events.KindUnit, c)]; u != nil {
				row.Name = u.Title
			}
			rows = append(rows, row)
			for u := range v.ScopeSet(c) {
				rowOf[u] = row
			}
		}
		for u := range scope {
			if rowOf[u] == nil {
				rowOf[u] = self
			}
		}
	}
	// each calls fn with the items of kind in scope (all of them for no
	// scope) and the row each counts in: unit by unit from the unit index,
	// so that no item is looked up in the scope. The counts do not depend
	// on the order.
	each := func(kind events.Kind, fn func(it *Item, row *UnitRow)) {
		if scope == nil {
			for _, it := range v.order[kind] {
				fn(it, nil)
			}
			return
		}
		for u := range scope {
			row := rowOf[u]
			for _, it := range v.byUnit[unitKey(u, kind)] {
				fn(it, row)
			}
		}
	}
	each(events.KindSupervision, func(it *Item, _ *UnitRow) {
		if in(it.OpenedOn) && it.Status() != events.SupCancelled {
			r.Supervisions++
			r.SupervisionsBy[it.Form]++
		}
	})
	each(events.KindCritique, func(it *Item, _ *UnitRow) {
		if in(it.OpenedOn) && it.Status() != events.CrCancelled {
			r.Critiques++
			r.CritiquesBy[it.Form]++
		}
	})
	var days []int
	rs := &r.Recommendations
	each(events.KindRecommendation, func(it *Item, row *UnitRow) {
		f := it.Facts.Rec
		if f == nil || !in(f.IssuedOn) || it.Status() == events.RecWithdrawn {
			return
		}
		rs.Issued++
		if row != nil {
			row.Issued++
		}
		if f.ReceivedOn != "" {
			rs.Received++
		}
		for _, o := range v.Obligations(it, today) {
			if o.Rule != "recommendation.response" {
				continue
			}
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
			if o.MetOn != "" {
				days = append(days, DaysBetween(o.Trigger, o.MetOn))
			}
		}
		switch f.Outcome {
		case events.OutcomeAccepted:
			rs.Accepted++
		case events.OutcomePartiallyAccepted:
			rs.PartlyAccepted++
		case events.OutcomeExplainedNotAccepted:
			rs.ExplainedNotAccepted++
		}
		switch it.Status() {
		case events.RecInImplementation:
			rs.InImplementation++
		case events.RecImplemented:
			rs.Implemented++
		}
		if f.Implemented != "" {
			rs.Verified++ // verified as implemented, whatever came after
		}
	})
	if len(days) > 0 {
		slices.Sort(days)
		m := float64(days[len(days)/2])
		if len(days)%2 == 0 {
			m = float64(days[len(days)/2-1]+days[len(days)/2]) / 2
		}
		r.MedianDaysToAnswer = &m
	}
	r.OnTimeRate = rate(rs.AnsweredOnTime, rs.AnsweredLate+rs.Missing)
	for _, row := range rows {
		row.OnTimeRate = rate(row.OnTime, row.Late+row.Missing)
		r.Units = append(r.Units, *row)
	}
	if r.Units == nil {
		r.Units = []UnitRow{}
	}
	for _, f := range v.Flags(today) {
		if f.Status == "open" && (scope == nil || scope[f.Unit]) && (from == "" || f.RaisedOn >= from) && (to == "" || f.RaisedOn <= to) {
			r.FlagsOpen[f.Code]++
		}
	}
	return r
}

func rate(good, bad int) *float64 {
	if good+bad == 0 {
		return nil
	}
	x := float64(good) / float64(good+bad)
	return &x
}
