package projections

import (
	"math"
	"slices"

	"github.com/mttq-vn/ledger/events"
)

// A tally is what the reports count of one supervision, critique or
// recommendation, kept in a dense slice per unit and kind beside the unit
// index (Views.tallies[k][i] is the tally of Views.byUnit[k][i]): a report
// over a province then reads a few hundred thousand small records in
// order instead of following a pointer to each item and evaluating its
// deadlines. tallyOf makes it from the item and its obligations; Reports counts it exactly as
// it counted the item (TestReportsMatchReport compares both).
type tally struct {
	// day is the day number of the date the item counts in a period by
	// (opened for supervisions, requested for critiques, issued for
	// recommendations); dueDay and metDay those of its answer's due and
	// met dates (if responds). noDay for none, or for a date that is not
	// valid: odd then holds the dates as written.
	day, dueDay, metDay int32
	// answerDays are the days from the answer's trigger to the answer.
	answerDays int32
	// counted is false for cancelled and withdrawn items.
	counted bool
	// Recommendations only.
	received, responds, verified  bool
	inImplementation, implemented bool
	hasDue, hasMet                bool
	// unreceived is set for an answer with no receipt recorded, or one
	// dated before the receipt recorded: its days to answer are not known
	// (not counted in the median).
	unreceived bool
	outcome    outcomeCode
	// forwarded is a petition's: forwarded to a body; provided and
	// refused an information request's answer. responds, due and met are
	// then of the petition's resolution and the request's answer.
	forwarded, provided, refused bool
	// withdrawn is a petition's: withdrawn by the petitioner.
	withdrawn bool
	// form is the shared copy of a known form's name (see formName).
	form string
	odd  *tallyDates
	// withheld is set for an item classified confidential from its first
	// event (Redaction.Withholds), openDay the day number of its opened
	// date: a reader it is withheld from counts it by openDay, under no
	// form and not in the days to answer (blind), not by its confidential
	// dates, which a report narrowed to one day would tell.
	withheld bool
	openDay  int32
	// answerHidden is set when such a reader does not see the answer's
	// dates (Redaction.HidesDuty: a record with a confidential event after
	// its first): its days to answer are not counted for it.
	answerHidden bool
	// outcomeHidden is set when such a reader does not see the answer's
	// outcome (Redaction.hidesOutcome: a confidential answer set it): it
	// is not counted as accepted, partly accepted or not accepted for it.
	outcomeHidden bool
	// noForm and noDays mark a copy for such a reader (see blind).
	noForm, noDays bool
}

// blind returns what a reader who may not see confidential data counts
// of the item: a record withheld whole by its opened date, under no form
// and without its days to answer; one whose answer's dates are hidden
// without its days to answer; one whose answer's outcome is hidden
// under no outcome.
func (t *tally) blind() tally {
	b := *t
	b.noDays = true
	if t.outcomeHidden {
		b.outcome = otherOutcome
	}
	if t.withheld {
		b.day, b.form, b.noForm = t.openDay, "", true
		if t.odd != nil {
			b.odd = &tallyDates{dateOf(t.openDay), t.odd.due, t.odd.met}
		}
	}
	return b
}

// tallyDates are a tally's dates as written, kept only when one is not a
// valid date (the log holds what happened, even if malformed).
type tallyDates struct{ date, due, met events.Date }

const noDay = math.MinInt32

// outcomeCode is the outcome of a recommendation's answer, as reports
// count it (a string's bytes would be read from elsewhere in memory).
type outcomeCode uint8

const (
	otherOutcome outcomeCode = iota
	accepted
	partlyAccepted
	explainedNotAccepted
)

// tallied reports whether items of kind are tallied.
func tallied(k events.Kind) bool {
	switch k {
	case events.KindSupervision, events.KindCritique, events.KindRecommendation, events.KindPetition, events.KindInfoRequest:
		return true
	}
	return false
}

// resolutionRules are the rules of a petition's resolution that reports
// count (its first instance for a complaint), and answerRules those of an
// information request's answer.
var resolutionRules, answerRules = map[string]bool{
	"complaint.first": true, "complaint.first.complex": true, "complaint.first.remote": true, "complaint.first.remote.complex": true,
	"denunciation.resolve": true, "voter.petition": true, "voter.petition.lead": true,
}, map[string]bool{
	"info.post.simple": true, "info.electronic.simple": true, "info.inperson": true, "info.complex.provide": true,
}

func (v *Views) tallyOf(it *Item, obligations []Obligation) tally {
	var t tally
	var date, due, met events.Date
	switch it.Kind {
	case events.KindSupervision:
		date, t.counted, t.form = it.OpenedOn, it.Status() != events.SupCancelled, formName(it.Form)
	case events.KindCritique:
		date, t.counted, t.form = it.ReportDate(), it.Status() != events.CrCancelled, formName(it.Form)
	case events.KindRecommendation:
		f := it.Facts.Rec
		if f == nil || it.Status() == events.RecWithdrawn {
			break
		}
		date, t.counted = f.IssuedOn, true
		t.received, t.verified = f.receivedOn() != "", f.Implemented != ""
		switch f.Outcome {
		case events.OutcomeAccepted:
			t.outcome = accepted
		case events.OutcomePartiallyAccepted:
			t.outcome = partlyAccepted
		case events.OutcomeExplainedNotAccepted:
			t.outcome = explainedNotAccepted
		}
		// (The answer's fields are read only when there is an outcome.)
		t.outcomeHidden = t.outcome != otherOutcome && HideConfidential.hidesOutcome(it)
		// Implemented is a fact that stays (verified or closed after it),
		// not the state "implemented, awaiting verification".
		t.inImplementation, t.implemented = it.Status() == events.RecInImplementation, f.EvidenceOn != "" || f.Implemented != ""
		for _, o := range obligations {
			if o.Rule == "recommendation.response" {
				t.responds, due, met = true, o.Due, o.MetOn
				t.answerHidden = it.Public != nil && it.Public.hides(it, o.Party, o.Cites)
				t.unreceived = f.ReceivedOn == ""
				if o.MetOn != "" {
					t.answerDays = int32(DaysBetween(o.Trigger, o.MetOn))
					// An answer dated before the receipt recorded: the
					// receipt's date is wrong, the days are not known.
					t.unreceived = t.unreceived || t.answerDays < 0
				}
			}
		}
	case events.KindPetition:
		f := it.Facts.Pet
		if f == nil {
			break
		}
		date, t.counted, t.forwarded, t.withdrawn = f.ReceivedOn, true, f.ForwardedOn != "" || len(f.Earlier) > 0, f.WithdrawnOn != ""
		for _, o := range obligations {
			if resolutionRules[o.Rule] && o.Again == 0 && !t.responds {
				t.responds, due, met = true, o.Due, o.MetOn
				t.answerHidden = it.Public != nil && it.Public.hides(it, o.Party, o.Cites)
			}
		}
	case events.KindInfoRequest:
		f := it.Facts.Info
		if f == nil {
			break
		}
		date, t.counted, t.provided, t.refused = f.ReceivedOn, true, f.ProvidedOn != "", f.RefusedOn != ""
		for _, o := range obligations {
			if answerRules[o.Rule] {
				t.responds, due, met = true, o.Due, o.MetOn
				t.answerHidden = it.Public != nil && it.Public.hides(it, o.Party, o.Cites)
			}
		}
	}
	if it.Opened == events.Confidential {
		t.withheld, t.openDay = true, dayOrNone(it.OpenedOn)
	}
	t.day, t.dueDay, t.metDay = dayOrNone(date), dayOrNone(due), dayOrNone(met)
	t.hasDue, t.hasMet = due != "", met != ""
	if date != "" && t.day == noDay || t.hasDue && t.dueDay == noDay || t.hasMet && t.metDay == noDay {
		t.odd = &tallyDates{date, due, met}
	}
	return t
}

func dayOrNone(d events.Date) int32 {
	if n, ok := dayNumber(d); ok {
		return n
	}
	return noDay
}

// updateTally puts t, the tally of it after an event (see dutiesOf), in
// its place.
func (v *Views) updateTally(it *Item, t tally) {
	if !it.unitIndexed || !tallied(it.Kind) {
		return
	}
	k := unitKey(it.Unit(), it.Kind)
	ts := v.tallies[k]
	if int(it.unitPos) == len(ts) {
		v.tallies[k] = append(ts, t)
		return
	}
	ts[it.unitPos] = t
}

// periodDays are periods as day numbers, for tallies; ok is false if a
// bound is not a valid date (Reports then compares the dates).
type periodDays struct{ from, to int32 }

func toPeriodDays(periods []Period) ([]periodDays, bool) {
	out := make([]periodDays, len(periods))
	for i, p := range periods {
		out[i] = periodDays{math.MinInt32 + 1, math.MaxInt32}
		if p.From != "" {
			d, ok := dayNumber(p.From)
			if !ok {
				return nil, false
			}
			out[i].from = d
		}
		if p.To != "" {
			d, ok := dayNumber(p.To)
			if !ok {
				return nil, false
			}
			out[i].to = d
		}
	}
	return out, true
}

// in reports whether the tally counts in period i, as Period.has would.
func (t *tally) in(periods []Period, days []periodDays, i int) bool {
	switch {
	case t.day == noDay && t.odd == nil:
		return false // no date
	case t.day == noDay:
		return periods[i].has(t.odd.date)
	case days != nil:
		return t.day >= days[i].from && t.day <= days[i].to
	}
	return periods[i].has(dateOf(t.day))
}

// dateOrOdd returns a date of a tally: as written if the tally keeps its
// dates (odd), else from its day number ("" if it has none).
func dateOrOdd(day int32, has bool, odd *tallyDates, written func(*tallyDates) events.Date) events.Date {
	switch {
	case odd != nil:
		return written(odd)
	case !has:
		return ""
	}
	return dateOf(day)
}

// formName returns the shared copy of a known form's name (a report
// counts by form: shared names keep the tallies' strings in the cache).
func formName(f string) string {
	if s, ok := formNames[f]; ok {
		return s
	}
	return f
}

var formNames = func() map[string]string {
	m := map[string]string{}
	for _, f := range []events.SupervisionForm{events.FormDocumentReview, events.FormDelegation, events.FormViaPeoplesInspection,
		events.FormViaCommunityInvestmentBoard, events.FormJointWithAuthority} {
		m[string(f)] = string(f)
	}
	for _, f := range []events.CritiqueForm{events.FormConference, events.FormWrittenConsultation, events.FormDialogue} {
		m[string(f)] = string(f)
	}
	return m
}()

// answerOutcome returns the outcome at today (todayDay its day number, or
// noDay) of the answer a recommendation's tally owes ("" if none): what
// Obligation.evaluate gives, from day numbers when the dates are valid.
func (t *tally) answerOutcome(today events.Date, todayDay int32) string {
	if !t.responds {
		return ""
	}
	hasDue, hasMet := t.hasDue, t.hasMet
	if todayDay == noDay || t.odd != nil {
		o := Obligation{Due: dateOrOdd(t.dueDay, hasDue, t.odd, func(d *tallyDates) events.Date { return d.due }),
			MetOn: dateOrOdd(t.metDay, hasMet, t.odd, func(d *tallyDates) events.Date { return d.met })}
		o.evaluate(today)
		return o.Outcome
	}
	switch {
	case hasMet && hasDue && t.metDay > t.dueDay:
		return Late
	case hasMet:
		return OnTime
	case !hasDue:
		return Waiting
	case todayDay > t.dueDay:
		return Overdue
	case t.dueDay-todayDay <= DueSoonDays:
		return DueSoon
	}
	return Pending
}

// countTally counts a recommendation's tally into rs and its unit's row,
// its answer having outcome (answerOutcome), and its days to answer into
// days: what countRecommendation does with the item's obligations.
func countTally(rs *RecStats, row *UnitRow, t *tally, outcome string, days *dayCounts) {
	rs.Issued++
	if row != nil {
		row.Issued++
	}
	if t.received {
		rs.Received++
	}
	if t.responds {
		switch outcome {
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
		if t.hasMet && !t.noDays && !t.unreceived {
			days.add(int(t.answerDays))
		}
	} else {
		rs.NotYetDue++ // not delivered yet: its period has not started
	}
	switch t.outcome {
	case accepted:
		rs.Accepted++
	case partlyAccepted:
		rs.PartlyAccepted++
	case explainedNotAccepted:
		rs.ExplainedNotAccepted++
	}
	if t.inImplementation {
		rs.InImplementation++
	}
	if t.implemented {
		rs.Implemented++
	}
	if t.verified {
		rs.Verified++
	}
}

// dayCounts holds days to answer for their median: counts of the usual
// values (0 to 1023 days), the others as they are.
type dayCounts struct {
	n     int
	small []int32
	other []int
}

func (d *dayCounts) add(x int) {
	d.n++
	if x >= 0 && x < 1024 {
		if d.small == nil {
			d.small = make([]int32, 1024)
		}
		d.small[x]++
		return
	}
	d.other = append(d.other, x)
}

// nth returns the k-th smallest value (from 0); other must be sorted.
func (d *dayCounts) nth(k int) int {
	i := 0
	for ; i < len(d.other) && d.other[i] < 0; i, k = i+1, k-1 {
		if k == 0 {
			return d.other[i]
		}
	}
	for x, c := range d.small {
		if k < int(c) {
			return x
		}
		k -= int(c)
	}
	return d.other[i+k]
}

// median returns the median, false if there is no value.
func (d *dayCounts) median() (float64, bool) {
	if d.n == 0 {
		return 0, false
	}
	slices.Sort(d.other)
	m := float64(d.nth(d.n / 2))
	if d.n%2 == 0 {
		m = float64(d.nth(d.n/2-1)+d.nth(d.n/2)) / 2
	}
	return m, true
}

// countPetition counts a petition's tally into ps, its resolution having
// outcome (answerOutcome).
func countPetition(ps *PetStats, t *tally, outcome string) {
	ps.Received++
	if t.forwarded {
		ps.Forwarded++
	}
	if t.withdrawn {
		ps.Withdrawn++
	}
	switch outcome {
	case OnTime:
		ps.ResolvedOnTime++
	case Late:
		ps.ResolvedLate++
	case Overdue:
		ps.Overdue++
	}
}

// countInfo counts an information request's tally into is, its answer
// having outcome (answerOutcome).
func countInfo(is *InfoStats, t *tally, outcome string) {
	is.Received++
	if t.provided {
		is.Provided++
	}
	if t.refused {
		is.Refused++
	}
	switch outcome {
	case Late:
		is.AnsweredLate++
	case Overdue:
		is.Overdue++
	}
}
