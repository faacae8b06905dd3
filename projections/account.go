package projections

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

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
	Party     string           `json:"party"`
	Name      string           `json:"name"`
	PartyKind events.PartyKind `json:"party_kind"`
	Unit      string           `json:"unit"`
	// Position is the log position the trail was computed at: the
	// views' (as_of's, if asked), so that a bundle's signed trail says
	// which point of the history it shows.
	Position    uint64         `json:"position"`
	Today       events.Date    `json:"evaluated_on"`
	Obligations []Obligation   `json:"obligations"`
	Flags       []Flag         `json:"flags"`
	Summary     map[string]int `json:"summary"`
	Events      []CitedEvent   `json:"events"`
}

// Accountability returns the trail of party at today, with the flags
// allowFlag keeps (all if nil) and the events they and the obligations
// cite; ok is false for a party that is not registered. Only the items
// allowItem keeps (all if nil) have their obligations in it; the items
// redact withholds (Redaction.Withholds) and their flags are left out.
func (v *Views) Accountability(party string, today events.Date, allowItem func(*Item) bool, allowFlag func(*Flag) bool, redact Redaction) (Trail, bool) {
	p := v.items[events.StreamName(events.KindParty, party)]
	if p == nil {
		return Trail{}, false
	}
	t := Trail{Party: party, Unit: p.Unit(), Position: v.Position(), Today: today, Obligations: []Obligation{}, Flags: []Flag{}, Summary: map[string]int{}}
	if f := p.Facts.Prt; f != nil {
		t.Name, t.PartyKind = f.Name, f.PartyKind
	}
	cited := map[uint64]events.Type{}
	for _, it := range v.byParty[party] {
		if redact.Withholds(it) || allowItem != nil && !allowItem(it) {
			continue
		}
		for _, o := range v.Obligations(it, today) {
			if o.Party != party || redact.HidesDuty(it, &o) {
				continue
			}
			t.Obligations = append(t.Obligations, o)
			t.Summary[o.Outcome]++
			for _, c := range o.Cites {
				cited[c.Position] = c.Type
			}
		}
	}
	flags, index := v.flagsIndexed(today, true)
	for _, i := range index.byParty[party] {
		f := flags[i]
		if allowFlag != nil && !allowFlag(&f) || v.Withheld(&f, redact) {
			continue
		}
		t.Flags = append(t.Flags, f)
		for _, c := range f.Cites {
			if _, ok := cited[c.Position]; !ok || c.Type != "" {
				cited[c.Position] = c.Type
			}
		}
		if f.Review != nil {
			for _, c := range append([]Cite{f.Review.At}, f.Review.Earlier...) {
				cited[c.Position] = c.Type
			}
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

// PetStats counts the petitions received in a report's period (domain.md
// §5). The resolution is that of a complaint's first instance, a
// denunciation or a voters' petition, the only ones with a period, as it
// stands on the report's date.
type PetStats struct {
	Received       int `json:"received"`
	Forwarded      int `json:"forwarded"`
	ResolvedOnTime int `json:"resolved_on_time"`
	ResolvedLate   int `json:"resolved_late"`
	Overdue        int `json:"overdue"`
	// Withdrawn by the petitioner once forwarded.
	Withdrawn int `json:"withdrawn"`
}

// InfoStats counts the information requests received in a report's period
// (domain.md §5): answered (provided or refused) late, or not answered by
// the due date, as it stands on the report's date.
type InfoStats struct {
	Received     int `json:"received"`
	Provided     int `json:"provided"`
	Refused      int `json:"refused"`
	AnsweredLate int `json:"answered_late"`
	Overdue      int `json:"overdue"`
}

// ReceptionStats sets the days the chairs of People's Committees received
// citizens against the law's minimum (domain.md §5
// reception_sessions_vs_minimum): over the periods (a commune's weeks, a
// district's or province's months, as OB_RECEPTION_BELOW_MIN counts them)
// that end in the report's period and are over by its date, of the units
// whose chair's sessions are recorded.
type ReceptionStats struct {
	Periods      int `json:"periods"`
	DaysHeld     int `json:"days_held"`
	DaysRequired int `json:"days_required"`
	BelowMinimum int `json:"periods_below_minimum"`
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
	// Petitions and InfoRequests count those received in the period.
	Petitions    PetStats       `json:"petitions"`
	InfoRequests InfoStats      `json:"info_requests"`
	Receptions   ReceptionStats `json:"reception_sessions_vs_minimum"`
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

// Period is a report's period: legal dates, both ends included; an empty
// bound is open.
type Period struct{ From, To events.Date }

func (p Period) has(d events.Date) bool {
	return d != "" && (p.From == "" || d >= p.From) && (p.To == "" || d <= p.To)
}

// SplitQuarters splits [from, to] into calendar quarters, cut to the
// period at both ends; a period of more than 12 quarters is split into
// calendar years instead (the last 12 at most). byYear says which.
func SplitQuarters(from, to events.Date) (ps []Period, byYear bool) {
	fy, fm, ok1 := yearMonth(from)
	ty, tm, ok2 := yearMonth(to)
	if !ok1 || !ok2 || to < from {
		return nil, false
	}
	n := (ty-fy)*4 + (tm-1)/3 - (fm-1)/3 + 1
	if n <= 12 {
		y, q := fy, (fm-1)/3
		for range n {
			start := events.Date(fmt.Sprintf("%04d-%02d-01", y, q*3+1))
			end := AddDays(AddMonths(start, 3), -1)
			ps = append(ps, Period{From: max(start, from), To: min(end, to)})
			if q++; q == 4 {
				q, y = 0, y+1
			}
		}
		return ps, false
	}
	for y := max(fy, ty-11); y <= ty; y++ {
		start, end := events.Date(fmt.Sprintf("%04d-01-01", y)), events.Date(fmt.Sprintf("%04d-12-31", y))
		ps = append(ps, Period{From: max(start, from), To: min(end, to)})
	}
	return ps, true
}

func yearMonth(d events.Date) (y, m int, ok bool) {
	if _, err := time.Parse(events.DateLayout, string(d)); err != nil {
		return 0, 0, false
	}
	y, _ = strconv.Atoi(string(d[:4]))
	m, _ = strconv.Atoi(string(d[5:7]))
	return y, m, true
}

// Report computes the report of unit (nil Units means every unit) over
// [from, to] at today for a reader from whom nothing is withheld; empty
// bounds are open.
func (v *Views) Report(unit string, from, to, today events.Date) Report {
	return v.Reports(unit, []Period{{from, to}}, today, 0, nil)[0]
}

// Reports computes the reports of unit over several periods at today in
// one pass over the unit's items: each item's deadlines are evaluated once,
// whatever the number of periods it falls in. The open flags are those
// red does not withhold (Withheld), as the reader's list of flags has
// them; the records are counted whatever red withholds of them. scope,
// if not nil, is the units unit covers instead of its ScopeSet in v (as the
// unit tree is now, for views as of an earlier point).
func (v *Views) Reports(unit string, periods []Period, today events.Date, red Redaction, scope map[string]bool) []Report {
	var unitName string
	if unit != "" {
		if scope == nil {
			scope = v.ScopeSet(unit)
		}
		if u := v.items[events.StreamName(events.KindUnit, unit)]; u != nil {
			unitName = u.Title
		}
	}
	// Rows: the unit itself and each child, each with its own subtree;
	// rowOf gives a unit's row index. A unit is in the row of the child
	// whose subtree holds it by parent, and only if none does, in the row
	// of the child whose scope takes it in by a merger (a commune under
	// the town that is also a predecessor of a new ward stays the town's),
	// whatever order the units were registered in.
	var rowUnits, rowNames []string
	rowOf := map[string]int{}
	if unit != "" {
		rowUnits, rowNames = append(rowUnits, unit), append(rowNames, unitName)
		rowOf[unit] = 0
		for _, c := range v.children[unit] {
			name := ""
			if u := v.items[events.StreamName(events.KindUnit, c)]; u != nil {
				name = u.Title
			}
			rowUnits, rowNames = append(rowUnits, c), append(rowNames, name)
			row := len(rowUnits) - 1
			for stack := []string{c}; len(stack) > 0; {
				u := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if _, ok := rowOf[u]; ok {
					continue
				}
				rowOf[u] = row
				stack = append(stack, v.children[u]...)
			}
		}
		// A unit whose records passed by a merger to a child (not below
		// it by parent) is that child's row; through a chain of mergers
		// (into one child, then it into another) the nearest's; one split
		// among several children (a town superseded by two wards) is the
		// unit's own, as no child's more than another's.
		claims := map[string][]int{}
		for i, c := range rowUnits[1:] {
			for u := range v.ScopeSet(c) {
				if _, ok := rowOf[u]; !ok {
					claims[u] = append(claims[u], i+1)
				}
			}
		}
		for u, rs := range claims {
			// Leave out a claimant that covers another claimant: the
			// records reached it through that one.
			var nearest []int
			for _, r := range rs {
				if !slices.ContainsFunc(rs, func(o int) bool { return o != r && v.ScopeSet(rowUnits[r])[rowUnits[o]] }) {
					nearest = append(nearest, r)
				}
			}
			if len(nearest) == 1 {
				rowOf[u] = nearest[0]
			} else {
				rowOf[u] = 0
			}
		}
		for u := range scope {
			if _, ok := rowOf[u]; !ok {
				rowOf[u] = 0
			}
		}
	}
	reps := make([]Report, len(periods))
	rows := make([][]UnitRow, len(periods))
	days := make([]dayCounts, len(periods))
	for i, p := range periods {
		reps[i] = Report{Unit: unit, UnitName: unitName, From: p.From, To: p.To, EvaluatedOn: today, SupervisionsBy: map[string]int{},
			CritiquesBy: map[string]int{}, FlagsOpen: map[string]int{}}
		rows[i] = make([]UnitRow, len(rowUnits))
		for j := range rowUnits {
			rows[i][j] = UnitRow{Unit: rowUnits[j], Name: rowNames[j]}
		}
	}
	// each calls fn with the tallies of the items of kind in scope (all of
	// them for no scope) and the index of the row each counts in (-1 for
	// none): unit by unit from the unit index, so that no item is looked
	// up in the scope. The counts do not depend on the order.
	pdays, ok := toPeriodDays(periods)
	if !ok {
		pdays = nil
	}
	each := func(kind events.Kind, count func(t *tally, row int)) {
		fn := count
		if red&HideConfidential != 0 {
			fn = func(t *tally, row int) {
				if t.withheld || t.answerHidden || t.outcomeHidden {
					b := t.blind()
					t = &b
				}
				count(t, row)
			}
		}
		if scope != nil {
			for u := range scope {
				row := rowOf[u]
				ts := v.tallies[unitKey(u, kind)]
				for i := range ts {
					fn(&ts[i], row)
				}
			}
			return
		}
		n, suffix := 0, unitKey("", kind)
		for k, ts := range v.tallies {
			if strings.HasSuffix(k, suffix) {
				n += len(ts)
				for i := range ts {
					fn(&ts[i], -1)
				}
			}
		}
		if n < len(v.order[kind]) {
			// Items without a unit yet have no tally kept.
			for _, it := range v.order[kind] {
				if !it.unitIndexed {
					t := v.tallyOf(it, v.Obligations(it, ""))
					fn(&t, -1)
				}
			}
		}
	}
	// byForm counts the items of kind by form in each period they fall in.
	byForm := func(kind events.Kind, count func(r *Report, t *tally)) {
		each(kind, func(t *tally, _ int) {
			if !t.counted {
				return
			}
			for i := range periods {
				if t.in(periods, pdays, i) {
					count(&reps[i], t)
				}
			}
		})
	}
	byForm(events.KindSupervision, func(r *Report, t *tally) {
		r.Supervisions++
		if !t.noForm {
			r.SupervisionsBy[t.form]++
		}
	})
	byForm(events.KindCritique, func(r *Report, t *tally) {
		r.Critiques++
		if !t.noForm {
			r.CritiquesBy[t.form]++
		}
	})
	todayDay := dayOrNone(today)
	// byReceipt counts the petitions or information requests in each
	// period they were received in, their answer's outcome evaluated once.
	byReceipt := func(kind events.Kind, count func(r *Report, t *tally, outcome string)) {
		each(kind, func(t *tally, _ int) {
			if !t.counted {
				return
			}
			outcome, evaluated := "", false
			for i := range periods {
				if !t.in(periods, pdays, i) {
					continue
				}
				if !evaluated {
					outcome, evaluated = t.answerOutcome(today, todayDay), true
				}
				count(&reps[i], t, outcome)
			}
		})
	}
	byReceipt(events.KindPetition, func(r *Report, t *tally, outcome string) { countPetition(&r.Petitions, t, outcome) })
	byReceipt(events.KindInfoRequest, func(r *Report, t *tally, outcome string) { countInfo(&r.InfoRequests, t, outcome) })
	// The chairs' receptions: each unit in scope with sessions recorded.
	receptions := func(it *Item) {
		need := v.receptionNeed(it)
		v.receptionPeriods(it, today, func(p receptionPeriod) {
			if !p.owes {
				return
			}
			last := dateOf(p.next - 1)
			for i := range periods {
				if !periods[i].has(last) {
					continue
				}
				r := &reps[i].Receptions
				r.Periods, r.DaysHeld, r.DaysRequired = r.Periods+1, r.DaysHeld+p.held, r.DaysRequired+need
				if p.held < need {
					r.BelowMinimum++
				}
			}
		})
	}
	if scope != nil {
		for u := range scope {
			if it := v.items[events.StreamName(events.KindUnit, u)]; it != nil {
				receptions(it)
			}
		}
	} else {
		for _, it := range v.order[events.KindUnit] {
			receptions(it)
		}
	}
	each(events.KindRecommendation, func(t *tally, row int) {
		if !t.counted {
			return
		}
		outcome, evaluated := "", false // evaluated once, for the first period that counts it
		for i := range periods {
			if !t.in(periods, pdays, i) {
				continue
			}
			if !evaluated {
				outcome, evaluated = t.answerOutcome(today, todayDay), true
			}
			var r *UnitRow
			if row >= 0 {
				r = &rows[i][row]
			}
			countTally(&reps[i].Recommendations, r, t, outcome, &days[i])
		}
	})
	// Open flags by period and code, counted by the code's index (a
	// code's name is read only for a code not in FlagCodes).
	byCode := make([][]int, len(periods))
	for i := range byCode {
		byCode[i] = make([]int, len(flagCodeList))
	}
	flags, index := v.flagsIndexed(today, false)
	for u, refs := range index.openByUnit {
		if scope != nil && !scope[u] {
			continue
		}
		for _, r := range refs {
			if red != 0 && v.Withheld(&flags[r.i], red) {
				continue
			}
			for i, p := range periods {
				if pdays != nil && r.day != noDay {
					if r.day < pdays[i].from || r.day > pdays[i].to {
						continue
					}
				} else if f := &flags[r.i]; p.From != "" && f.RaisedOn < p.From || p.To != "" && f.RaisedOn > p.To {
					continue
				}
				if r.code >= 0 {
					byCode[i][r.code]++
				} else {
					reps[i].FlagsOpen[flags[r.i].Code]++
				}
			}
		}
	}
	for i := range periods {
		for c, n := range byCode[i] {
			if n > 0 {
				reps[i].FlagsOpen[flagCodeList[c]] += n
			}
		}
	}
	for i := range reps {
		r := &reps[i]
		if m, ok := days[i].median(); ok {
			r.MedianDaysToAnswer = &m
		}
		rs := &r.Recommendations
		r.OnTimeRate = rate(rs.AnsweredOnTime, rs.AnsweredLate+rs.Missing)
		r.Units = rows[i]
		for j := range r.Units {
			row := &r.Units[j]
			row.OnTimeRate = rate(row.OnTime, row.Late+row.Missing)
		}
	}
	return reps
}

func rate(good, bad int) *float64 {
	if good+bad == 0 {
		return nil
	}
	x := float64(good) / float64(good+bad)
	return &x
}
