package projections

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/mttq-vn/ledger/events"
)

// Correction is a correction event of an item (see Views.correct): the
// event at At corrected the one at Of, and changed a fact deadlines read
// if Facts (the record's deadlines then cite it; a change of what only
// flags read, such as a title, an anonymous petition or a declared
// interest, is not cited by them).
type Correction struct {
	At    Cite
	Of    uint64
	Facts bool
}

// slot is one fact an event set from one of its payload fields: a date,
// a number of days, or another value that set stores if it is one the
// fact takes (reporting whether it was).
type slot struct {
	key  string
	at   uint64 // the position of the event that set it
	date *events.Date
	days *int
	set  func(string) bool
	// flags: only flags read it, no deadline.
	flags bool
}

// flagsOnly marks slots as read by flags only.
func flagsOnly(ss ...slot) []slot {
	for i := range ss {
		ss[i].flags = true
	}
	return ss
}

// enumSlot is a slot of a value of the enumerated type T (one of
// events.EnumValues), stored in *p if p is set and in the item's form if
// form is.
func enumSlot[T ~string](key string, at Cite, p *T, form *string) slot {
	return slot{key: key, at: at.Position, set: func(v string) bool {
		if !slices.Contains(events.EnumValues(reflect.TypeFor[T]()), v) {
			return false
		}
		if p != nil {
			*p = T(v)
		}
		if form != nil {
			*form = v
		}
		return true
	}}
}

// boolSlot is a slot of true or false, stored in *p.
func boolSlot(key string, at Cite, p *bool) slot {
	return slot{key: key, at: at.Position, set: func(v string) bool {
		if v != "true" && v != "false" {
			return false
		}
		*p = v == "true"
		return true
	}}
}

// slots lists the facts of an item that corrections can change: each
// dated fact, with the payload field and the event it came from.
func (it *Item) slots() []slot {
	d := func(key string, at Cite, p *events.Date) slot { return slot{key: key, at: at.Position, date: p} }
	created := Cite{Position: it.Created}
	var out []slot
	switch f := it.Facts; {
	case f.Rec != nil:
		r := f.Rec
		out = append(out, d("issued_on", r.IssuedAt, &r.IssuedOn), d("received_on", r.ReceivedAt, &r.ReceivedOn),
			d("responded_on", r.RespondedAt, &r.RespondedOn), d("commit_due_on", r.CommitAt, &r.CommitDueOn),
			d("due_on", r.CommitAt, &r.CommitDueOn), d("verified_on", r.VerifiedAt, &r.Implemented),
			slot{key: "response_days", at: r.IssuedAt.Position, days: &r.ResponseDays})
		for i := range r.Reviews {
			rv := &r.Reviews[i]
			out = append(out, d("requested_on", rv.FromAt, &rv.From), d("decided_on", rv.ToAt, &rv.To), d("amended_on", rv.ToAt, &rv.To))
		}
		if r.EndedAt.Type == events.RecommendationClosed {
			out = append(out, d("closed_on", r.EndedAt, &r.EndedOn))
		} else {
			out = append(out, d("withdrawn_on", r.EndedAt, &r.EndedOn))
		}
	case f.Sup != nil:
		s := f.Sup
		out = append(out, d("planned_start", created, &s.PlannedStart), d("until", s.MovedAt, &s.MovedTo), d("decided_on", s.DecidedAt, &s.DecidedOn),
			d("notified_on", s.NotifiedAt, &s.NotifiedOn), d("sent_on", s.OutlineAt, &s.OutlineOn),
			d("report_due_on", s.OutlineAt, &s.ReportDueOn), d("received_on", s.SubjectAt, &s.SubjectReport),
			d("submitted_on", s.ResultAt, &s.ResultOn))
		for i := range s.Held {
			out = append(out, d("held_on", s.Held[i].At, &s.Held[i].On))
		}
		for i := range s.Requests {
			r := &s.Requests[i]
			out = append(out, d("requested_on", r.Cites[0], &r.RequestedOn), d("due_on", r.Cites[0], &r.DueOn))
			for _, c := range r.Cites[1:] {
				switch c.Type {
				case events.SupervisionDocumentProvided:
					out = append(out, d("provided_on", c, &r.ProvidedOn))
				case events.SupervisionDocumentRefused:
					out = append(out, d("refused_on", c, &r.RefusedOn))
				}
			}
		}
		for i := range s.Adverse {
			out = append(out, flagsOnly(d("adverse_action.action_on", s.Adverse[i].At, &s.Adverse[i].On))...)
		}
		for i := range s.Interests {
			in := &s.Interests[i]
			out = append(out, flagsOnly(d("declared_on", in.At, &in.On), enumSlot("relation", in.At, &in.Relation, nil), boolSlot("recused", in.At, &in.Recused),
				slot{key: "member", at: in.At.Position, set: func(v string) bool {
					in.Name = displayName(v)
					return memberName(v) != ""
				}})...)
		}
	case f.Cri != nil:
		c := f.Cri
		out = append(out, d("requested_on", created, &c.RequestedOn), d("received_on", c.ReceivedAt, &c.ReceivedOn), d("submission_on", c.ReceivedAt, &c.SubmissionOn),
			d("issued_on", c.IssuedAt, &c.IssuedOn), d("responded_on", c.RespondedAt, &c.RespondedOn),
			d("forwarded_on", c.ForwardedAt, &c.ForwardedOn), d("adopted_on", c.AdoptedAt, &c.AdoptedOn))
	case f.Info != nil:
		n := f.Info
		out = append(out, d("received_on", n.ReceivedAt, &n.ReceivedOn), d("notified_on", n.NoticeAt, &n.NoticeOn),
			d("provided_on", n.ProvidedAt, &n.ProvidedOn), d("refused_on", n.RefusedAt, &n.RefusedOn),
			enumSlot("channel", n.ReceivedAt, &n.Channel, &it.Form))
		for i := range n.Extensions {
			e := &n.Extensions[i]
			out = append(out, d("notified_on", e.At, &e.On), slot{key: "extended_days", at: e.At.Position, days: &e.Days})
		}
	case f.Pet != nil:
		p := f.Pet
		out = append(out, d("received_on", created, &p.ReceivedOn), d("forwarded_on", p.ForwardedAt, &p.ForwardedOn), d("received_on", p.ArrivedAt, &p.ArrivedOn),
			d("accepted_on", p.AcceptedAt, &p.AcceptedOn), d("decided_on", p.NotAcceptedAt, &p.NotAcceptedOn), d("resolved_on", p.ResolvedAt, &p.ResolvedOn),
			d("filed_on", p.SecondAt, &p.SecondFiledOn), d("accepted_on", p.SecondAcceptedAt, &p.SecondAcceptedOn),
			d("decided_on", p.SecondNotAcceptedAt, &p.SecondNotAcceptedOn), d("resolved_on", p.SecondResolvedAt, &p.SecondResolvedOn),
			d("notified_on", p.NotifiedAt, &p.NotifiedOn), enumSlot("channel", created, &p.Channel, nil),
			boolSlot("complex", p.ClassifiedAt, &p.Complex), boolSlot("remote", p.ClassifiedAt, &p.Remote),
			d("withdrawn_on", p.WithdrawnAt, &p.WithdrawnOn))
		out = append(out, flagsOnly(boolSlot("anonymous", created, &p.Anonymous), enumSlot("conclusion", p.ResolvedAt, &p.Conclusion, nil))...)
		for i := range p.Extensions {
			e := &p.Extensions[i]
			out = append(out, d("extended_on", e.At, &e.On), slot{key: "days", at: e.At.Position, days: &e.Days},
				enumSlot("case_complexity", e.At, &e.Complexity, nil))
		}
		for i := range p.Adverse {
			out = append(out, flagsOnly(d("adverse_action.action_on", p.Adverse[i].At, &p.Adverse[i].On))...)
		}
		for i := range p.Earlier {
			e := &p.Earlier[i]
			out = append(out, d("forwarded_on", e.At, &e.On), d("received_on", e.ArrivedAt, &e.ArrivedOn), d("decided_on", e.DecidedAt, &e.DecidedOn))
		}
	case f.Unit != nil:
		out = append(out, enumSlot("level", created, &f.Unit.Level, nil))
		for i, c := range f.Unit.HearingAt {
			out = append(out, d("held_on", c, &f.Unit.Hearings[i]))
		}
		for i := range f.Unit.Receptions {
			r := &f.Unit.Receptions[i]
			out = append(out, d("held_on", r.At, &r.On), enumSlot("host", r.At, &r.Host, nil))
		}
		out = append(out, d("effective_on", f.Unit.SupersededAt, &f.Unit.SupersededOn), d("valid_from", created, &f.Unit.ValidFrom))
	case f.Prt != nil:
		out = append(out, enumSlot("party_kind", created, &f.Prt.PartyKind, &it.Form))
		for i := range f.Prt.Allegations {
			a := &f.Prt.Allegations[i]
			out = append(out, d("allegation.received_on", a.At, &a.On))
		}
	case f.Con != nil:
		out = append(out, enumSlot("form", created, (*events.ContributionForm)(nil), &it.Form))
	case f.Flag != nil:
		r := f.Flag
		out = append(out, enumSlot("verdict", r.At, &r.Verdict, nil), d("reviewed_on", r.At, &r.ReviewedOn),
			slot{key: "note", at: r.At.Position, set: func(v string) bool { r.Note = v; return true }})
	}
	return out
}

// titleKey is the payload field an item's title comes from (in the event
// that created it, or a rename).
func titleKey(k events.Kind) string {
	switch k {
	case events.KindInfoRequest:
		return "description"
	case events.KindPetition:
		return "summary"
	case events.KindUnit, events.KindParty:
		return "name"
	case events.KindContribution:
		return "topic"
	}
	return "title"
}

// correct applies a correction, at c, to the facts the corrected event
// set: each changed field that a fact came from (a date, a number of days,
// a value of an enumerated type such as a channel, see slots) replaces
// it, so deadlines, flags, filters and reports follow the corrected
// record, as the item's fields do. A correction of a correction corrects
// the event that one corrected. The facts keep citing the event that set
// them; the item records the correction (Item.Corrections) and its
// obligations cite it. Other fields change the item's fields only.
func (v *Views) correct(it *Item, d *events.CorrectionData, c Cite) {
	of, ok := it.corrected(d)
	if !ok {
		return
	}
	// changed: a fact deadlines read; flagged: one only flags read.
	changed, flagged := false, false
	var dates []*events.Date // changed
	for _, s := range it.slots() {
		val, ok := d.Changes[s.key]
		if !ok || s.at != of {
			continue
		}
		set := false
		switch {
		case s.date != nil:
			if date := events.Date(val); date.Valid() {
				*s.date = date
				dates, set = append(dates, s.date), true
			}
		case s.days != nil:
			// As the write side bounds them: a year at most; a
			// recommendation's response_days may be 0, the rule's
			// period (an extension's days may not).
			if n, err := strconv.Atoi(val); err == nil && (n > 0 || n == 0 && s.key == "response_days") && n <= 366 {
				*s.days, set = n, true
			}
		case s.set != nil:
			// A value of the fact's (as the write side checks them).
			set = s.set(val)
		}
		if set && s.flags {
			flagged = true
		} else if set {
			changed = true
		}
	}
	if of == it.TitleAt {
		// The title comes from the event that set it last (a rename
		// after the registration, say): a correction of another does
		// not change it.
		if t, ok := d.Changes[titleKey(it.Kind)]; ok {
			switch it.Kind {
			case events.KindInfoRequest, events.KindPetition:
				it.Title = truncateRunes(t, 120)
			default:
				it.Title = t
			}
			if f := it.Facts.Unit; f != nil {
				f.Name = t
			}
			if f := it.Facts.Prt; f != nil {
				f.Name = t
			}
		}
	}
	if f := it.Facts.Rec; f != nil {
		// The title and the current content (the issued one's, or the
		// latest amendment's: Apply changed the field only if the
		// corrected event set it last), whichever event was corrected.
		_, title := d.Changes["title"]
		if _, content := d.Changes["content"]; title || content {
			content, _ := unquoteJSON(it.Field("content"))
			f.Overreach = v.overreach(it.Title + " " + content)
		}
	}
	if f := it.Facts.Sup; f != nil && of == it.Created {
		// The topic, folded as the planned event's is: what
		// MU_OUT_OF_SCOPE_CONTENT, MU_OVERLAP and OB_RECURRING_ISSUE's
		// groups read (topicGen tells the groups to be made again).
		if t, ok := d.Changes["topic"]; ok {
			if t := foldText(t); t != f.Topic {
				f.Topic = t
				v.topicGen++
			}
		}
	}
	if f := it.Facts.Info; f != nil && of == f.RefusedAt.Position {
		if r, ok := d.Changes["reasons"]; ok {
			f.NoReasons = strings.TrimSpace(r) == "" // OB_INFO_SILENT's
		}
	}
	if f := it.Facts.Pet; f != nil && of == it.Created {
		for k := range d.Changes {
			if strings.HasPrefix(k, "petitioner.") || k == "petitioner" || k == "anonymous" {
				f.Petitioner = petitionerOf(it)
				break
			}
		}
	}
	if f := it.Facts.Sup; f != nil && (changed || flagged) {
		// A declaration's member corrected: the latest declaration of
		// each member and subject stands, as when they were recorded.
		f.Interests = latestInterests(f.Interests)
	}
	it.Corrections = append(it.Corrections, Correction{At: c, Of: of, Facts: changed})
	if f := it.Facts.Sup; f != nil && len(dates) > 0 {
		f.spanSessions() // a session's date may have changed
	}
}

// corrected returns the position of the event the correction d corrects:
// a correction of a correction corrects the event that one corrected. ok
// is false if d names no event of the item.
func (it *Item) corrected(d *events.CorrectionData) (of uint64, ok bool) {
	if d.CorrectsVersion == 0 || d.CorrectsVersion > uint64(len(it.Events)) {
		return 0, false
	}
	of = it.Events[d.CorrectsVersion-1]
	for _, k := range slices.Backward(it.Corrections) {
		if k.At.Position == of {
			of = k.Of
		}
	}
	return of, true
}

// early reports whether a working session held on that day came before
// the supervision's notice to its subject, or, for a delegation, before
// the decision that set it up.
func (f *SupFacts) early(held events.Date) bool {
	e := f.NotifiedOn == "" || held < f.NotifiedOn
	if f.Form == events.FormDelegation {
		e = e || f.DecidedOn == "" || held < f.DecidedOn
	}
	return e
}

// citeCorrections adds to each obligation's cites the corrections that
// changed the facts deadlines are computed from (an obligation may read a
// fact of an event it does not cite, such as a recommendation's
// response_days); not those that changed only a title or what flags read.
func citeCorrections(it *Item, os []Obligation) {
	if len(it.Corrections) == 0 {
		return
	}
	for i := range os {
		o := &os[i]
		for _, k := range it.Corrections {
			if k.Facts && !slices.Contains(o.Cites, k.At) {
				o.Cites = append(o.Cites, k.At)
			}
		}
	}
}
