package projections

import (
	"cmp"
	"slices"

	"github.com/mttq-vn/ledger/events"
)

// Outcomes of an obligation, evaluated at a date (the request's, or an
// as_of point's): never stored.
const (
	Pending = "pending"  // not met, not yet due
	DueSoon = "due_soon" // not met, due within the next 7 days
	Overdue = "overdue"  // not met, due date passed
	OnTime  = "on_time"  // met on or before the due date
	Late    = "late"     // met after the due date
	Refused = "refused"  // refused (documents, information)
	Waiting = "waiting"  // its trigger has not happened yet (no due date)
)

// DueSoonDays is how far ahead "due soon" looks.
const DueSoonDays = 7

// Obligation is one duty of one party under one rule: what is owed, from
// which trigger, by when, and what happened.
type Obligation struct {
	Rule       string      `json:"rule"`
	Obligation string      `json:"obligation"`
	Basis      string      `json:"basis"`
	Party      string      `json:"party,omitempty"`
	Unit       string      `json:"unit"`
	Stream     string      `json:"stream"`
	Trigger    events.Date `json:"trigger,omitempty"`
	Due        events.Date `json:"due,omitempty"`
	MetOn      events.Date `json:"met_on,omitempty"`
	Outcome    string      `json:"outcome"`
	// DaysLate is how many days past due it was met, or is still open.
	DaysLate int    `json:"days_late,omitempty"`
	Cites    []Cite `json:"cites"`
	// Supervisor marks duties of the supervising side (result reports),
	// as opposed to the supervised party's.
	Supervisor bool `json:"supervisor,omitempty"`
	// Again tells apart a duty its party owes a second time under the
	// same rule for the same item (a petition forwarded back to a body
	// that did not accept it before): the position of the event that
	// started it, 0 for the first. Its flag's ID includes it.
	Again uint64 `json:"-"`
	// HolidaysUnknown is set when the holiday calendar does not list the
	// year of the trigger or of the due date: the due date was computed
	// with weekends only, and may fall on a holiday.
	HolidaysUnknown bool `json:"holidays_unknown,omitempty"`
}

// evaluate sets the outcome at today.
func (o *Obligation) evaluate(today events.Date) {
	switch {
	case o.Outcome == Refused:
	case o.MetOn != "" && o.Due != "" && o.MetOn > o.Due:
		o.Outcome, o.DaysLate = Late, DaysBetween(o.Due, o.MetOn)
	case o.MetOn != "":
		o.Outcome = OnTime
	case o.Due == "":
		o.Outcome = Waiting
	case today > o.Due:
		o.Outcome, o.DaysLate = Overdue, DaysBetween(o.Due, today)
	case DaysBetween(today, o.Due) <= DueSoonDays:
		o.Outcome = DueSoon
	default:
		o.Outcome = Pending
	}
}

// Withhold blanks what an obligation of a withheld item (Redaction.
// Withholds) says beyond its rule and outcome: the party and the dates,
// which come from its confidential events (and days late, from which the
// due date follows).
func (o *Obligation) Withhold() {
	o.Party, o.Trigger, o.Due, o.MetOn, o.DaysLate, o.HolidaysUnknown = "", "", "", "", 0, false
}

// firstDate returns the earliest of the dates that are set, "" if none.
func firstDate(ds ...events.Date) events.Date {
	var first events.Date
	for _, d := range ds {
		if d != "" && (first == "" || d < first) {
			first = d
		}
	}
	return first
}

// start is when the supervision starts, as its subject's notice counts
// back from: its first working session; before one is held, its planned
// start, or where a postponement moved it ("" while it is postponed to no
// date: nothing is due before an unknown start).
func (f *SupFacts) start() events.Date {
	switch {
	case f.FirstSession != "":
		return f.FirstSession
	case f.MovedAt.Position != 0:
		return f.MovedTo
	}
	return f.PlannedStart
}

// duty starts an obligation under rule key.
func (v *Views) duty(key string, it *Item, party string) Obligation {
	o := Obligation{Rule: key, Party: party, Unit: it.Unit(), Stream: it.Stream()}
	if r, ok := v.cfg.Rules.Rule(key); ok {
		o.Obligation, o.Basis = r.Obligation, r.Basis
	}
	return o
}

// due returns the due date of rule key counted from trigger (days, if
// above 0, instead of the rule's): after it, or for a lead-time rule
// (Rule.Before) the latest date before it.
func (v *Views) due(key string, trigger events.Date, days int) events.Date {
	r, ok := v.cfg.Rules.Rule(key)
	if !ok || trigger == "" {
		return ""
	}
	if days <= 0 {
		days = r.Days
	}
	if r.Before {
		return v.cfg.Calendar.DueBefore(trigger, days, r.Count)
	}
	return v.cfg.Calendar.Due(trigger, days, r.Count)
}

func (v *Views) ruleDays(key string) int {
	r, _ := v.cfg.Rules.Rule(key)
	return r.Days
}

func cites(cs ...Cite) []Cite {
	out := make([]Cite, 0, len(cs))
	for _, c := range cs {
		if c.Position != 0 {
			out = append(out, c)
		}
	}
	return out
}

// Obligations returns the duties an item creates, evaluated at today.
func (v *Views) Obligations(it *Item, today events.Date) []Obligation {
	return v.appendObligations(nil, it, today)
}

// appendObligations appends the duties of it, evaluated at today, to out.
func (v *Views) appendObligations(out []Obligation, it *Item, today events.Date) []Obligation {
	start := len(out)
	cal := v.cfg.Calendar
	add := func(o Obligation) {
		o.evaluate(today)
		if o.Due != "" && (!cal.Covers(o.Due) || o.Trigger != "" && !cal.Covers(o.Trigger)) {
			o.HolidaysUnknown = true
		}
		out = append(out, o)
	}
	switch it.Kind {
	case events.KindRecommendation:
		f := it.Facts.Rec
		if f == nil || it.Status() == events.RecWithdrawn {
			break
		}
		// The answer is owed from the date the addressee received the
		// recommendation (domain.md §2), not the date it was sent. An
		// answer with no receipt recorded was received by the day it was
		// answered at the latest: on time, as far as the record shows.
		if received := f.receivedOn(); received != "" {
			o := v.duty("recommendation.response", it, f.Addressee)
			days := cmp.Or(f.ResponseDays, v.ruleDays("recommendation.response"))
			o.Trigger, o.Due, o.MetOn = received, v.due("recommendation.response", received, days), f.RespondedOn
			var paused []Cite
			// A review asked for while the period ran pauses it until
			// decided (no answer may be recorded meanwhile): the days it
			// took are added; while it is pending the answer has no due
			// date (waiting). One asked for after the period ended does
			// not rescue it.
			for _, r := range f.Reviews {
				if o.Due == "" || r.From > o.Due {
					break
				}
				paused = append(paused, r.FromAt)
				if r.To == "" {
					o.Due = ""
					break
				}
				// Counted from the receipt at the earliest, in the rule's
				// days (a review asked for before the receipt paused no
				// period yet).
				rule, _ := v.cfg.Rules.Rule("recommendation.response")
				days += v.cfg.Calendar.Between(max(r.From, received), r.To, rule.Count)
				o.Due = v.due("recommendation.response", received, days)
				paused = append(paused, r.ToAt)
			}
			if f.ReceivedOn != "" {
				o.Cites = cites(append(append([]Cite{f.ReceivedAt}, paused...), f.RespondedAt)...)
			} else {
				o.Cites = cites(append(paused, f.RespondedAt)...)
			}
			add(o)
		}
		if f.CommitDueOn != "" {
			o := v.duty("recommendation.implementation", it, f.Addressee)
			// A date the answer set: on a weekend or holiday, the next
			// working day (Bộ luật Dân sự 2015 Điều 148), as for every
			// date the respondent or MTTQ set below.
			o.Trigger, o.Due, o.MetOn = f.RespondedOn, v.cfg.Calendar.OnWorkingDay(f.CommitDueOn), f.Implemented
			o.Cites = cites(f.CommitAt, f.VerifiedAt)
			add(o)
		}
	case events.KindSupervision:
		f := it.Facts.Sup
		if f == nil || it.Status() == events.SupCancelled {
			break
		}
		if f.ReportDueOn != "" {
			for _, s := range f.Subjects {
				o := v.duty("supervision.subjectReport", it, s)
				o.Trigger, o.Due, o.MetOn = f.OutlineOn, v.cfg.Calendar.OnWorkingDay(f.ReportDueOn), f.SubjectReport
				o.Cites = cites(f.OutlineAt, f.SubjectAt)
				add(o)
			}
		}
		for _, r := range f.Requests {
			o := v.duty("supervision.document", it, r.Party)
			o.Trigger, o.Due, o.MetOn = r.RequestedOn, v.cfg.Calendar.OnWorkingDay(r.DueOn), r.ProvidedOn
			if o.Due == "" {
				o.Due = v.due("supervision.document", r.RequestedOn, 0)
			}
			if r.RefusedOn != "" && r.ProvidedOn == "" {
				o.MetOn, o.Outcome = r.RefusedOn, Refused
			}
			o.Cites = append([]Cite(nil), r.Cites...)
			add(o)
		}
		if start := f.start(); start != "" {
			// The subject has the right to be told of the supervision
			// beforehand (Luật MTTQ Art. 29.1); the lead time is the VFF
			// handbook's (supervision.priorNotice, 15 days, a secondary
			// source). The supervision starts at its first working
			// session, or at its planned start while none is held.
			o := v.duty("supervision.priorNotice", it, f.Chair)
			o.Supervisor = true
			o.Trigger, o.Due, o.MetOn = start, v.due("supervision.priorNotice", start, 0), f.NotifiedOn
			// The plan is cited first, always: where the start came from
			// while no session is held (helper-49: nothing was cited until
			// the notice came), and the same first cite, so the same
			// place in /v1/deadlines' order, whatever follows (helper-50).
			o.Cites = cites(Cite{Position: it.Created, Type: events.SupervisionPlanned}, f.MovedAt, f.NotifiedAt, f.FirstAt)
			add(o)
		}
		if f.LastSession != "" {
			o := v.duty("supervision.resultReport", it, f.Chair)
			o.Supervisor = true
			o.Trigger, o.Due, o.MetOn = f.LastSession, v.due("supervision.resultReport", f.LastSession, 0), f.ResultOn
			o.Cites = cites(f.LastAt, f.ResultAt)
			add(o)
		}
	case events.KindCritique:
		f := it.Facts.Cri
		if f == nil || it.Status() == events.CrCancelled {
			break
		}
		if f.ReceivedOn != "" && f.SubmissionOn != "" {
			o := v.duty("critique.draftLeadTime", it, f.Drafter)
			o.Trigger, o.Due, o.MetOn = f.SubmissionOn, v.due("critique.draftLeadTime", f.SubmissionOn, 0), f.ReceivedOn
			o.Cites = cites(f.ReceivedAt)
			add(o)
		}
		if f.IssuedOn != "" && (f.AdoptedOn == "" || f.IssuedOn <= f.AdoptedOn) {
			// The drafter answers the critique before the draft is
			// adopted; no day count is set (domain.md §3). Before MTTQ
			// issues its critique there is nothing to answer, nor is
			// there for a draft adopted before it (as OB_DRAFT_BYPASS).
			o := v.duty("critique.response", it, f.Drafter)
			o.Trigger, o.Due, o.MetOn = f.IssuedOn, f.AdoptedOn, f.RespondedOn
			o.Cites = cites(f.IssuedAt, f.RespondedAt, f.AdoptedAt)
			o.evaluate(today)
			if o.Due == "" && o.MetOn == "" {
				o.Outcome = Pending // not adopted yet: still in time
			}
			out = append(out, o)
		}
	case events.KindInfoRequest:
		v.infoDuties(it, today, add)
	case events.KindPetition:
		v.petitionDuties(it, add)
	}
	citeCorrections(it, out[start:])
	return out
}

func (v *Views) infoDuties(it *Item, today events.Date, add func(Obligation)) {
	f := it.Facts.Info
	if f == nil || f.ReceivedOn == "" || f.RejectedOn != "" {
		return
	}
	met, metAt := f.ProvidedOn, f.ProvidedAt
	if met == "" && f.RefusedOn != "" {
		met, metAt = f.RefusedOn, f.RefusedAt
	}
	if f.Complexity == events.Complex {
		o := v.duty("info.complex.notice", it, f.Addressee)
		o.Trigger, o.Due, o.MetOn = f.ReceivedOn, v.due("info.complex.notice", f.ReceivedOn, 0), f.NoticeOn
		if o.MetOn == "" && met != "" {
			o.MetOn = met // answered before any notice was needed
		}
		o.Cites = cites(f.ReceivedAt, f.NoticeAt)
		add(o)
		o = v.duty("info.complex.provide", it, f.Addressee)
		o.Trigger, o.Due, o.MetOn = f.ReceivedOn, v.due("info.complex.provide", f.ReceivedOn, 0), met
		days, last, _ := f.extended()
		if days > 0 && last.On >= f.ReceivedOn && last.On <= o.Due {
			// Extended by a notice given while the period ran (Luật
			// TCTT Art. 31.2); one given after it ended does not make
			// a late answer timely, nor does one dated before the
			// request was received (no period ran yet: its date is
			// wrong, and when it was given is not known).
			ext := min(days, v.ruleDays("info.extension.max"))
			o.Due = v.cfg.Calendar.Due(o.Due, ext, CalendarDays)
		}
		o.Cites = cites(f.ReceivedAt, last.At, metAt) // (last.At is 0 if none: not cited)
		add(o)
		return
	}
	key := "info.post.simple"
	switch f.Channel {
	case events.InfoElectronic:
		key = "info.electronic.simple"
	case events.InfoInPerson:
		key = "info.inperson"
	}
	o := v.duty(key, it, f.Addressee)
	o.Trigger, o.Due, o.MetOn = f.ReceivedOn, v.due(key, f.ReceivedOn, 0), met
	o.Cites = cites(f.ReceivedAt, metAt)
	if days, last, _ := f.extended(); key == "info.inperson" && days > 0 && last.On >= f.ReceivedOn && last.On <= o.Due {
		// In person, the period may be extended (Luật TCTT Art. 29);
		// other requests that are not complex have no extension.
		ext := min(days, v.ruleDays("info.inperson.extension.max"))
		o.Due = v.cfg.Calendar.Due(o.Due, ext, WorkingDays)
		o.Cites = cites(f.ReceivedAt, last.At, metAt)
	}
	add(o)
}

func (v *Views) petitionDuties(it *Item, add func(Obligation)) {
	f := it.Facts.Pet
	if f == nil {
		return
	}
	if f.WithdrawnOn != "" {
		// Withdrawn by the petitioner (Luật Khiếu nại 2011 Art. 10, Luật
		// Tố cáo 2018 Art. 33): what was done, or missed, by then stays;
		// what was not yet due is no longer owed.
		next := add
		add = func(o Obligation) {
			if o.MetOn != "" || o.Due < f.WithdrawnOn {
				next(o)
			}
		}
	}
	party := f.ForwardedTo
	if party == "" {
		party = f.Competent
	}
	// intake: the body a petition was forwarded to decides whether to
	// accept it, by its kind's period.
	intake := func() {
		key := intakeRule(f.Kind)
		if f.ForwardedOn == "" || key == "" {
			return
		}
		o := v.duty(key, it, party)
		from := intakeFrom(f.ForwardedOn, f.ArrivedOn, firstDate(f.AcceptedOn, f.NotAcceptedOn, f.ResolvedOn))
		o.Trigger, o.Due, o.MetOn = from, v.due(key, from, 0), cmp.Or(f.AcceptedOn, f.NotAcceptedOn)
		o.Cites = cites(f.ForwardedAt, f.ArrivedAt, f.AcceptedAt, f.NotAcceptedAt)
		o.Again = f.forwardedBefore(len(f.Earlier), party, f.ForwardedAt)
		add(o)
	}
	// The bodies it was forwarded to before, which did not accept it, owed
	// their intake as well, under the kind it had then.
	for i, e := range f.Earlier {
		key := intakeRule(e.Kind)
		if key == "" {
			continue
		}
		o := v.duty(key, it, e.To)
		from := intakeFrom(e.On, e.ArrivedOn, e.DecidedOn)
		o.Trigger, o.Due, o.MetOn = from, v.due(key, from, 0), e.DecidedOn
		o.Cites = cites(e.At, e.ArrivedAt, e.DecidedAt)
		o.Again = f.forwardedBefore(i, e.To, e.At)
		add(o)
	}
	// complaintKey is the rule of a complaint's resolution at an instance
	// ("first", "second"): longer for a complex case, a remote area, or both.
	complaintKey := func(instance string) string {
		key := "complaint." + instance
		if f.Remote {
			key += ".remote"
		}
		if f.Complex {
			key += ".complex"
		}
		return key
	}
	switch f.Kind {
	case events.PetitionComplaint:
		intake()
		if f.AcceptedOn != "" {
			key := complaintKey("first")
			o := v.duty(key, it, party)
			o.Trigger, o.Due, o.MetOn = f.AcceptedOn, v.due(key, f.AcceptedOn, 0), f.ResolvedOn
			o.Cites = cites(f.AcceptedAt, f.ResolvedAt)
			add(o)
		}
		if f.SecondFiledOn != "" {
			// The second-instance body accepts the complaint, or says
			// why not, within complaint.accept.second of receiving it
			// (Luật Khiếu nại 2011 Art. 36), then resolves it within the
			// second instance's period from the acceptance (Art. 37).
			decided := cmp.Or(f.SecondAcceptedOn, f.SecondNotAcceptedOn)
			// Before the acceptance had an event of its own, a second
			// resolution followed the filing directly: such a record owes
			// no acceptance that can be dated, and its resolution runs
			// from the last day it could have been accepted, in the
			// body's favour. (A withdrawal ends what was not yet due, as
			// for every petition: a missed acceptance stays missed.)
			legacy := decided == "" && f.SecondResolvedOn != ""
			if !legacy {
				const key = "complaint.accept.second"
				o := v.duty(key, it, f.SecondTo)
				o.Trigger, o.Due, o.MetOn = f.SecondFiledOn, v.due(key, f.SecondFiledOn, 0), decided
				o.Cites = cites(f.SecondAt, f.SecondAcceptedAt, f.SecondNotAcceptedAt)
				add(o)
			}
			if f.SecondAcceptedOn != "" || legacy {
				key := complaintKey("second")
				o := v.duty(key, it, f.SecondTo)
				o.Trigger, o.Due, o.MetOn = f.SecondAcceptedOn, v.due(key, f.SecondAcceptedOn, 0), f.SecondResolvedOn
				o.Cites = cites(f.SecondAcceptedAt, f.SecondResolvedAt)
				if legacy {
					o.Trigger, o.Due = f.SecondFiledOn, v.due(key, v.due("complaint.accept.second", f.SecondFiledOn, 0), 0)
					o.Cites = cites(f.SecondAt, f.SecondResolvedAt)
				}
				add(o)
			}
		}
	case events.PetitionDenunciation:
		// The body that receives a denunciation logs, classifies and
		// checks it, and decides whether to accept it (Luật Tố cáo 2018
		// Art. 24, 29).
		intake()
		if f.AcceptedOn != "" {
			o := v.duty("denunciation.resolve", it, party)
			o.Trigger, o.Due, o.MetOn = f.AcceptedOn, v.due("denunciation.resolve", f.AcceptedOn, 0), f.ResolvedOn
			cs := []Cite{f.AcceptedAt}
			// Luật Tố cáo 2018 Art. 30: a complex case is extended once,
			// a very complex one twice, at most 30 days each, by a
			// decision made while the period runs. Others do not move
			// the deadline (the write side refuses them now; some were
			// recorded before it did). The extensions lengthen the
			// period, counted from the acceptance: not the end the last
			// one moved off a weekend or holiday (Bộ luật Dân sự 2015
			// Điều 148 moves only the period's last day).
			ext, days := v.ruleDays("denunciation.extension.max"), v.ruleDays("denunciation.resolve")
			for i, e := range f.Extensions {
				// One dated before the acceptance was not decided
				// while the period ran (none ran yet): its date is
				// wrong, and it does not move the deadline.
				if i < e.Complexity.Extensions() && e.On >= f.AcceptedOn && e.On <= o.Due {
					days += min(e.Days, ext)
					o.Due = v.due("denunciation.resolve", f.AcceptedOn, days)
					cs = append(cs, e.At)
				}
			}
			o.Cites = cites(append(cs, f.ResolvedAt)...)
			add(o)
		}
	case events.PetitionRecommendation:
		// Voters' petitions (kiến nghị của cử tri: recorded as
		// RECOMMENDATION through VOTER_CONTACT, domain.md §2.8) are
		// answered within 40 days of the competent body's receipt, 50 for
		// the lead agency of a complex one that involves several bodies
		// (QĐ 33/2017/QĐ-TTg Art. 12, written for petitions the National
		// Assembly forwards; the rule table has none for those of local
		// voter contact, so the same periods apply to every voters'
		// petition forwarded). The period runs from the body's receipt
		// if recorded, else from the forwarding, as a forwarded
		// complaint's intake does.
		// A petition classified complex is taken as one that involves
		// several bodies, and the body it went to as the lead agency.
		// Other petitions of this kind have no statutory period.
		if f.Channel == events.ChannelVoterContact && f.ForwardedOn != "" {
			key := "voter.petition"
			if f.Complex {
				key = "voter.petition.lead"
			}
			o := v.duty(key, it, party)
			from := intakeFrom(f.ForwardedOn, f.ArrivedOn, firstDate(f.AcceptedOn, f.NotAcceptedOn, f.ResolvedOn))
			o.Trigger, o.Due, o.MetOn = from, v.due(key, from, 0), f.ResolvedOn
			o.Cites = cites(f.ForwardedAt, f.ArrivedAt, f.ResolvedAt)
			add(o)
		}
	}
	if f.ForwardedOn != "" && f.ResolvedOn != "" {
		o := v.duty("denunciation.mttqForwarded", it, party)
		o.Trigger, o.Due, o.MetOn = f.ResolvedOn, v.due("denunciation.mttqForwarded", f.ResolvedOn, 0), f.NotifiedOn
		o.Cites = cites(f.ResolvedAt, f.NotifiedAt)
		add(o)
	}
}

// forwardedBefore returns the position at of a forwarding to party if one
// of the petition's first n forwardings (Earlier) went to party too, else 0
// (see Obligation.Again).
func (f *PetFacts) forwardedBefore(n int, party string, at Cite) uint64 {
	if slices.ContainsFunc(f.Earlier[:n], func(e PetForward) bool { return e.To == party }) {
		return at.Position
	}
	return 0
}

// intakeRule is the rule by which the body a petition of kind k went to
// decides whether to accept it ("" for kinds without one): a complaint's
// acceptance (Luật Khiếu nại 2011 Art. 27), a denunciation's intake (Luật
// Tố cáo 2018 Art. 24).
func intakeRule(k events.PetitionKind) string {
	switch k {
	case events.PetitionComplaint:
		return "complaint.accept"
	case events.PetitionDenunciation:
		return "denunciation.intake"
	}
	return ""
}

// hasDuties lists the kinds whose items owe something (see Obligations).
func hasDuties(k events.Kind) bool {
	switch k {
	case events.KindRecommendation, events.KindSupervision, events.KindCritique, events.KindInfoRequest, events.KindPetition:
		return true
	}
	return false
}

// indexDues files it under dues, the due dates of its obligations not met
// yet (see dutiesOf). Which obligations an item has, their due dates and
// whether they are met do not depend on the date they are evaluated at
// (only their outcome does), so the index holds at any date.
func (v *Views) indexDues(it *Item, dues []events.Date) {
	if !hasDuties(it.Kind) {
		return
	}
	if slices.Equal(dues, it.dues) {
		return
	}
	for _, d := range it.dues {
		if set := v.byDue[d]; set != nil {
			delete(set, it)
			if len(set) == 0 {
				delete(v.byDue, d)
			}
		}
	}
	for _, d := range dues {
		set := v.byDue[d]
		if set == nil {
			set = map[*Item]struct{}{}
			v.byDue[d] = set
		}
		set[it] = struct{}{}
	}
	it.dues = dues
}

// dueOutcomes reports the outcomes at today an obligation not met yet due
// on d can have: those of evaluate, and for an obligation without a date
// both waiting and pending (a critique's answer before adoption).
func dueOutcomes(d, today events.Date) (string, string) {
	if d == "" {
		return Waiting, Pending
	}
	o := Obligation{Due: d}
	o.evaluate(today)
	return o.Outcome, o.Outcome
}

// UnmetOutcome reports whether outcome is one an obligation not met yet
// can have (pending, due_soon, overdue, waiting).
func UnmetOutcome(outcome string) bool {
	switch outcome {
	case Pending, DueSoon, Overdue, Waiting:
		return true
	}
	return false
}

// MayOwe reports whether it may have an obligation not met yet whose
// outcome at today is one of outcomes: false means it has none; true
// means Obligations must be asked.
func (v *Views) MayOwe(it *Item, outcomes []string, today events.Date) bool {
	for _, d := range it.dues {
		a, b := dueOutcomes(d, today)
		if slices.Contains(outcomes, a) || slices.Contains(outcomes, b) {
			return true
		}
	}
	return false
}

// Owing returns, by kind, the items of units (nil: of every unit) that
// may have an obligation not met yet whose outcome at today is one of
// outcomes (all of them unmet outcomes: see UnmetOutcome), oldest first: a
// superset of those that do, read from the index of due dates instead of
// every item.
func (v *Views) Owing(outcomes []string, today events.Date, units map[string]bool) map[events.Kind][]*Item {
	out := map[events.Kind][]*Item{}
	for d, set := range v.byDue {
		a, b := dueOutcomes(d, today)
		if !slices.Contains(outcomes, a) && !slices.Contains(outcomes, b) {
			continue
		}
		for it := range set {
			if units == nil || units[it.Unit()] {
				out[it.Kind] = append(out[it.Kind], it)
			}
		}
	}
	for k, list := range out {
		slices.SortFunc(list, func(a, b *Item) int { return cmp.Compare(a.Created, b.Created) })
		out[k] = slices.CompactFunc(list, func(a, b *Item) bool { return a == b })
	}
	return out
}

// duties is what the indexes keep of an item's obligations: its tally
// and the due dates not met yet.
type duties struct {
	tally tally
	dues  []events.Date
}

// dutiesOf works out the duties of it (the obligations of a kind that has
// any, see hasDuties, at no particular date): for the indexes, which need
// only their rules, due dates and whether they are met. scratch is used
// for the obligations and returned to be used again (they are garbage at
// once: a load at a million events made 90 MB of it).
func (v *Views) dutiesOf(it *Item, scratch []Obligation) (duties, []Obligation) {
	var d duties
	if !hasDuties(it.Kind) {
		if tallied(it.Kind) {
			d.tally = v.tallyOf(it, nil)
		}
		return d, scratch
	}
	obligations := v.appendObligations(scratch[:0], it, "")
	if tallied(it.Kind) {
		d.tally = v.tallyOf(it, obligations)
	}
	for _, o := range obligations {
		if o.MetOn == "" && o.Outcome != Refused && !slices.Contains(d.dues, o.Due) {
			d.dues = append(d.dues, o.Due)
		}
	}
	return d, obligations
}

// index records it under its tally and due dates.
func (v *Views) index(it *Item, d duties) {
	v.updateTally(it, d.tally)
	v.indexDues(it, d.dues)
}
