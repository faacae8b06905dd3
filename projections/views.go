package projections

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// Config is what the read models compute deadlines and flags with. It is
// fixed for the life of a set of views: views saved under another
// configuration are rebuilt (ConfigDigest names it).
type Config struct {
	Rules    *RuleTable
	Calendar *Calendar
}

// DefaultConfig returns the built-in rule table and holiday calendar.
func DefaultConfig() *Config { return &Config{Rules: DefaultRules(), Calendar: DefaultCalendar()} }

// Digest names the configuration (rule table and calendar).
func (c *Config) Digest() string { return ConfigDigest(c.Rules, c.Calendar) }

// Item is the read model of one aggregate: its lifecycle state, the latest
// value of every payload field, the events it is made of and the facts its
// deadlines and flags are computed from.
type Item struct {
	Kind    events.Kind
	ID      string
	Core    events.StateCore
	Created uint64 // position of the first event
	Updated uint64 // position of the last event
	// OpenedOn is the legal date of the first event (in Vietnam's time).
	OpenedOn events.Date
	Title    string
	// TitleAt is the position of the event that set the title.
	TitleAt uint64
	Form    string `codec:"shared"`
	// Party is the party the item concerns most: the addressee of a
	// recommendation or information request, the first subject of a
	// supervision, the drafting agency of a critique, the target of a
	// contribution, the competent body of a petition.
	Party string `codec:"shared"`
	// Class is the highest classification among the item's events;
	// Opened is its first event's, the record's own; Lowered is set when an
	// event was classified lower than the record (what was classified
	// appears in a less classified event).
	Class   events.Classification
	Opened  events.Classification
	Lowered uint64
	// Data holds the item's current fields (see Fields).
	Data   []byte
	Events []uint64
	Facts  Facts
	// Corrections are the item's correction events, each with the
	// position of the event it corrects (see Views.correct).
	Corrections []Correction `json:",omitempty"`
	// Text is the folded (lowercase, no diacritics) searchable text.
	Text string
	// indexed lists the parties the item is indexed under (derived; not
	// in snapshots).
	indexed []string
	// parts are the folded search fields, slices of Text, kept once the
	// text has changed after the first event (derived; not in snapshots).
	parts []string
	// unitIndexed is set once the item is in its unit's index (derived),
	// at unitPos there.
	unitIndexed bool
	unitPos     int32
	// dues are the due dates of the item's obligations not met yet, ""
	// for one without a date; the item is under each in Views.byDue
	// (derived).
	dues []events.Date
	// flagMemo is what the item raised by itself when flags were last
	// computed (derived; written under the flag cache's lock).
	flagMemo *itemFlags
	// Public is set once a confidential event is recorded on an item that
	// was not confidential from its first: what its public events say of
	// it, for readers who may not see confidential data (see PublicFace).
	Public *PublicFace `json:",omitempty"`
}

// PublicFace is what the public events of a record say of it once a
// confidential event may have said more: its party, form, addressed
// parties and the parties it concerns as they stood before the first
// confidential event, with what public events added since; and the
// positions of its confidential events. A reader who may not see
// confidential data sees these (View), finds the item by them (List),
// and does not see the deadlines or flags that cite a confidential event
// or name a party only a confidential event named (Redaction.HidesDuty,
// Views.Withheld).
type PublicFace struct {
	Party, Form string `codec:"shared"`
	Parties     []string
	Concerned   []string
	Secret      []uint64
}

// face is what a public face copies of an item before an event.
func (it *Item) face() PublicFace {
	return PublicFace{Party: it.Party, Form: it.Form, Parties: slices.Clone(it.Core.Parties), Concerned: it.partiesConcerned(nil)}
}

// keepPublic updates the item's public face after an event at pos, given
// its face before: a confidential event's changes are kept from it, a
// public event's are added: what it changed, and the parties it names
// (fields, its encoded fields), which a confidential event may have named
// first.
func (it *Item) keepPublic(before *PublicFace, confidential bool, pos uint64, fields []byte) {
	if confidential {
		if it.Public == nil {
			it.Public = before
		}
		it.Public.Secret = append(it.Public.Secret, pos)
		return
	}
	f := it.Public
	// The parties it names: in its party fields (…party_id, …party_ids),
	// not in a personal field (an adverse action names the body that
	// took it, which readers of the face may not see).
	named := func(p string) bool {
		if p == "" {
			return false
		}
		quoted := []byte(`"` + p + `"`)
		for e, ok := readEntry(fields, 0); ok; e, ok = readEntry(fields, e.next) {
			k := string(e.key)
			if (strings.HasSuffix(k, "party_id") || strings.HasSuffix(k, "party_ids")) && !IsPersonal(k) && bytes.Contains(e.val, quoted) {
				return true
			}
		}
		return false
	}
	if it.Party != before.Party || it.Party != f.Party && named(it.Party) {
		f.Party = it.Party
	}
	if it.Form != before.Form {
		f.Form = it.Form
	}
	for _, p := range it.Core.Parties {
		if (!slices.Contains(before.Parties, p) || named(p)) && !slices.Contains(f.Parties, p) {
			f.Parties = append(f.Parties, p)
		}
	}
	for _, p := range it.partiesConcerned(nil) {
		if (!slices.Contains(before.Concerned, p) || named(p)) && !slices.Contains(f.Concerned, p) {
			f.Concerned = append(f.Concerned, p)
		}
	}
}

// reserve sizes the per-position lists for a log of about n positions
// (with some room for those appended meanwhile): grown one append at a
// time, at a million events they cost nearly a second of a build, most of
// it fresh memory.
func (v *Views) reserve(n uint64) {
	n = min(n+n/64, 1<<26) // a position is not a promise of memory
	if uint64(cap(v.hashes)) < n {
		v.hashes = slices.Grow(v.hashes, int(n)-len(v.hashes))
		v.times = slices.Grow(v.times, int(n)-len(v.times))
	}
}

// Stream returns the item's stream name.
func (it *Item) Stream() string { return events.StreamName(it.Kind, it.ID) }

// Status returns the item's lifecycle state.
func (it *Item) Status() events.Status { return it.Core.Status }

// Unit returns the item's administrative unit.
func (it *Item) Unit() string { return it.Core.Unit }

// Cite is one event an obligation or a flag rests on.
type Cite struct {
	Position uint64      `json:"position"`
	Type     events.Type `json:"type"`
}

// Facts are the kind-specific facts deadlines and flags are computed from.
// Only the part for the item's kind is set.
type Facts struct {
	Rec  *RecFacts  `json:",omitempty"`
	Sup  *SupFacts  `json:",omitempty"`
	Cri  *CriFacts  `json:",omitempty"`
	Info *InfoFacts `json:",omitempty"`
	Pet  *PetFacts  `json:",omitempty"`
	Con  *ConFacts  `json:",omitempty"`
	Unit *UnitFacts `json:",omitempty"`
	Prt  *PartyFacts
	Flag *FlagFacts `json:",omitempty"`
}

// RecFacts are a recommendation's facts.
type RecFacts struct {
	Addressee    string `codec:"shared"`
	SourceKind   events.SourceKind
	SourceID     string `codec:"shared"`
	IssuedOn     events.Date
	ResponseDays int
	ReceivedOn   events.Date
	ReceivedAt   Cite
	RespondedOn  events.Date
	RespondedAt  Cite
	Outcome      events.Outcome
	// EmptyAnswer: the answer did not accept and explained nothing, or
	// only "noted" it.
	EmptyAnswer bool
	CommitDueOn events.Date
	CommitAt    Cite
	Implemented events.Date
	VerifiedAt  Cite
	// EvidenceOn is when the latest evidence of implementation was
	// submitted, until a verification finds it not implemented: with
	// Implemented, what reports count as implemented.
	EvidenceOn events.Date
	// Overreach is the first wording that orders rather than recommends.
	Overreach string
	IssuedAt  Cite
	// EndedOn is when the recommendation was closed or withdrawn, EndedAt
	// that event.
	EndedOn events.Date
	EndedAt Cite
	// Reviews are the reviews the addressee asked for before it answered,
	// during which it may not answer (the lifecycle allows no answer
	// while one is pending): each pauses the answer's period until it is
	// decided (upheld or amended).
	Reviews []RecReview
}

// RecReview is a review of a recommendation asked for before its answer:
// requested on From, decided on To ("" while pending).
type RecReview struct {
	From, To     events.Date
	FromAt, ToAt Cite
}

// endedOn is when the recommendation stopped being open: its
// implementation verified, its closure or its withdrawal, whichever came
// first; "" while it is open.
func (f *RecFacts) endedOn() events.Date {
	switch {
	case f.Implemented == "":
		return f.EndedOn
	case f.EndedOn == "":
		return f.Implemented
	}
	return min(f.Implemented, f.EndedOn)
}

// ReportDate is the date that puts an item in a period, for lists' from
// and to as for reports: a recommendation's issue date, else the legal
// date of the item's first event (which, recorded later, may be later).
func (it *Item) ReportDate() events.Date {
	if f := it.Facts.Rec; f != nil && f.IssuedOn != "" {
		return f.IssuedOn
	}
	if f := it.Facts.Cri; f != nil && f.RequestedOn != "" {
		return f.RequestedOn
	}
	return it.OpenedOn
}

// receivedOn is when the recommendation was received: as recorded, or if
// no receipt was recorded but an answer was, the day of the answer (it was
// received by then at the latest).
func (f *RecFacts) receivedOn() events.Date {
	if f.ReceivedOn == "" {
		return f.RespondedOn
	}
	return f.ReceivedOn
}

// DocRequest is one document (or information) request of a supervision or
// a critique.
type DocRequest struct {
	ID          string
	Party       string `codec:"shared"`
	RequestedOn events.Date
	DueOn       events.Date
	ProvidedOn  events.Date
	RefusedOn   events.Date
	Cites       []Cite
}

// SupFacts are a supervision's facts.
type SupFacts struct {
	Form     events.SupervisionForm
	Topic    string   // folded
	Subjects []string `codec:"shared"`
	Chair    string   `codec:"shared"`
	Joint    string   `codec:"shared"`
	// FollowUpOf is the stream of the supervision this one follows up,
	// if every recommendation it checks came from that one (followsUp).
	FollowUpOf   string
	PlannedStart events.Date
	// MovedTo is where a postponement of the whole supervision before its
	// first working session moved its start (its until; "" for a date not
	// set), at MovedAt (0 if none): the start its subject's notice is due
	// before (supervision.priorNotice).
	MovedTo       events.Date
	MovedAt       Cite
	DecidedOn     events.Date
	DecidedAt     Cite
	NotifiedOn    events.Date
	NotifiedAt    Cite
	OutlineOn     events.Date
	ReportDueOn   events.Date
	OutlineAt     Cite
	SubjectReport events.Date
	SubjectAt     Cite
	Requests      []DocRequest
	// Held are the working sessions held, as recorded; FirstSession and
	// LastSession are the earliest and latest of their dates (see
	// spanSessions).
	Held         []Session
	FirstSession events.Date
	FirstAt      Cite
	LastSession  events.Date
	LastAt       Cite
	// PostponedBySubject cites the subject's requests to postpone.
	PostponedBySubject []Cite
	ResultOn           events.Date
	ResultAt           Cite
	// Interests are the relations members declared to subjects: the
	// latest of each member and subject.
	Interests []Interest
	// Adverse are the actions bodies took against its members.
	Adverse []Adverse
}

// Adverse is an action a body took against a petitioner or a member of a
// supervision (*.adverse_action_recorded.v1): OB_RETALIATION_SIGNAL, which
// needs its date and the body alone (what was done to whom is personal
// data the flag does not restate). Whether its event was confidential is
// in the item's public face (Item.Public).
type Adverse struct {
	On events.Date
	By string `codec:"shared"`
	At Cite
}

func adverseOf(d *events.AdverseActionData, c Cite) Adverse {
	return Adverse{On: d.AdverseAction.ActionOn, By: d.AdverseAction.ByPartyID, At: c}
}

// Interest is a relation a member declared to a subject
// (supervision.interest_declared.v1).
type Interest struct {
	Name     string // as declared, up to its first comma (displayName)
	Party    string `codec:"shared"`
	Relation events.Relation
	On       events.Date
	Recused  bool
	At       Cite
}

// latestInterests keeps, of the declarations in the order recorded, the
// latest of each member and subject (in place).
func latestInterests(ins []Interest) []Interest {
	out := ins[:0]
	for i, in := range ins {
		if !slices.ContainsFunc(ins[i+1:], func(e Interest) bool { return memberName(e.Name) == memberName(in.Name) && e.Party == in.Party }) {
			out = append(out, in)
		}
	}
	return out
}

// memberName is the name of a delegation's member as it is compared: the
// part before the first comma (displayName), in lower case, its words
// alone. Diacritics stay: Hoa and Hòa are different people.
func memberName(s string) string { return strings.Join(nameWords(displayName(s)), " ") }

// displayName is the name of a member as written, which may go on after a
// comma with a title or an organisation ("Lê Quang Hưng, Hội Nông dân"):
// the part before the comma, trimmed.
func displayName(s string) string {
	name, _, _ := strings.Cut(s, ",")
	return strings.TrimSpace(name)
}

// onDelegation reports whether the member named (memberName) is on the
// supervision's delegation as its fields stand (the decision's head and
// members, or a correction of them), or no delegation was recorded. Read
// from the fields, for the few supervisions with declared interests,
// rather than kept for every one.
func (it *Item) onDelegation(member string) bool {
	f := it.Facts.Sup
	if f == nil || f.DecidedAt.Position == 0 {
		return true
	}
	var names []string
	if head, ok := unquoteJSON(it.Field("head")); ok {
		names = append(names, head)
	}
	raw := it.Field("members")
	var list []string
	if json.Unmarshal(raw, &list) != nil {
		// A correction's value: a JSON list as text (or, as corrections
		// once gave it, names separated by semicolons or lines).
		s, _ := unquoteJSON(raw)
		if json.Unmarshal([]byte(s), &list) != nil {
			list = strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' })
		}
	}
	for _, n := range append(names, list...) {
		if memberName(n) == member {
			return true
		}
	}
	return false
}

// Session is a working session held: its date and the event that records
// it.
type Session struct {
	On events.Date
	At Cite
}

// spanSessions sets FirstSession and LastSession from Held: the earliest
// date (of equal ones, the first recorded) and the latest (the last
// recorded).
func (f *SupFacts) spanSessions() {
	f.FirstSession, f.FirstAt, f.LastSession, f.LastAt = "", Cite{}, "", Cite{}
	for _, s := range f.Held {
		if f.FirstSession == "" || s.On < f.FirstSession {
			f.FirstSession, f.FirstAt = s.On, s.At
		}
		if s.On >= f.LastSession {
			f.LastSession, f.LastAt = s.On, s.At
		}
	}
}

// earlySession returns the first session recorded that was held before
// the notice to the subject (Luật MTTQ Art. 29.1) or, for a delegation,
// before the decision that set it up (NQLT 403 Art. 7.1): MU_NO_DECISION.
func (f *SupFacts) earlySession() *Cite {
	for i := range f.Held {
		if f.early(f.Held[i].On) {
			return &f.Held[i].At
		}
	}
	return nil
}

// CriFacts are a critique's facts.
type CriFacts struct {
	Drafter string `codec:"shared"`
	PlanID  string `codec:"shared"`
	// RequestedOn is the request's date (requested_on), the date reports
	// count the critique in.
	RequestedOn  events.Date
	ReceivedOn   events.Date
	SubmissionOn events.Date
	ReceivedAt   Cite
	IssuedOn     events.Date
	IssuedAt     Cite
	RespondedOn  events.Date
	RespondedAt  Cite
	ForwardedOn  events.Date
	ForwardedAt  Cite
	AdoptedOn    events.Date
	AdoptedAt    Cite
}

// InfoFacts are an information request's facts.
type InfoFacts struct {
	Addressee  string `codec:"shared"`
	Channel    events.InfoChannel
	ReceivedOn events.Date
	ReceivedAt Cite
	Complexity events.Complexity
	RejectedOn events.Date
	NoticeOn   events.Date
	NoticeAt   Cite
	// Extensions are the extensions notified, in order (each one's days
	// kept, so that a correction of them moves the deadline).
	Extensions []InfoExtension
	ProvidedOn events.Date
	ProvidedAt Cite
	RefusedOn  events.Date
	RefusedAt  Cite
	NoReasons  bool
}

// PetFacts are a petition's facts.
type PetFacts struct {
	Kind events.PetitionKind
	// Channel is how the petition arrived: voters' petitions come from
	// voter contact and have a period of their own (voter.petition).
	Channel    events.Channel
	Anonymous  bool
	Competent  string `codec:"shared"`
	ReceivedOn events.Date
	ReceivedAt Cite
	// Petitioner tells the petitioner apart across petitions
	// (petitionerKey), "" if anonymous or not named well enough.
	Petitioner  string
	ForwardedOn events.Date
	ForwardedTo string `codec:"shared"`
	ForwardedAt Cite
	// ArrivedOn is when the body it was forwarded to received it
	// (petition.forward_received.v1), if recorded: its intake runs from
	// then (intakeFrom).
	ArrivedOn     events.Date
	ArrivedAt     Cite
	AcceptedOn    events.Date
	AcceptedAt    Cite
	NotAcceptedOn events.Date
	NotAcceptedAt Cite
	// Earlier are the bodies it was forwarded to before, which did not
	// accept it, oldest first.
	Earlier []PetForward
	// Complex and Remote come from the classification at ClassifiedAt.
	Complex      bool
	Remote       bool
	ClassifiedAt Cite
	// Extensions of the resolution since the acceptance, in order.
	Extensions []PetExtension
	ResolvedOn events.Date
	ResolvedAt Cite
	// Conclusion is what a denunciation's resolution concluded of it.
	Conclusion events.Conclusion
	NotifiedOn events.Date
	NotifiedAt Cite
	// IdentityPublic cites a public receipt that names the petitioner.
	IdentityPublic *Cite `json:",omitempty"`
	// A complaint taken to the second instance: filed with SecondTo, and
	// resolved there (the first resolution stays in ResolvedOn).
	SecondFiledOn events.Date
	SecondTo      string `codec:"shared"`
	SecondAt      Cite
	// SecondAcceptedOn and SecondNotAcceptedOn are the second-instance
	// body's decision on it (Luật Khiếu nại 2011 Art. 36), if recorded.
	SecondAcceptedOn    events.Date
	SecondAcceptedAt    Cite
	SecondNotAcceptedOn events.Date
	SecondNotAcceptedAt Cite
	SecondResolvedOn    events.Date
	SecondResolvedAt    Cite
	// WithdrawnOn is when the petitioner withdrew it, once forwarded.
	WithdrawnOn events.Date
	WithdrawnAt Cite
	// Adverse are the actions bodies took against the petitioner.
	Adverse []Adverse
}

// retireForward moves the petition's forwarding, if any, to Earlier: it is
// classified or forwarded again after the body it went to did not accept
// it, and that body's intake, under the kind the petition had then, stays
// in its trail. It reports whether there was one.
func (f *PetFacts) retireForward() bool {
	if f.ForwardedOn == "" {
		return false
	}
	f.Earlier = append(f.Earlier, PetForward{Kind: f.Kind, To: f.ForwardedTo, On: f.ForwardedOn, At: f.ForwardedAt, ArrivedOn: f.ArrivedOn, ArrivedAt: f.ArrivedAt,
		DecidedOn: f.NotAcceptedOn, DecidedAt: f.NotAcceptedAt})
	f.ForwardedOn, f.ForwardedTo, f.ForwardedAt, f.NotAcceptedOn, f.NotAcceptedAt = "", "", Cite{}, "", Cite{}
	f.ArrivedOn, f.ArrivedAt = "", Cite{}
	return true
}

// PetExtension is an extension of a denunciation's resolution
// (petition.extended.v1).
type PetExtension struct {
	On         events.Date
	Days       int
	Complexity events.CaseComplexity
	At         Cite
}

// InfoExtension is an information request's extension: its notice's date
// and the days it extended the period by.
type InfoExtension struct {
	On   events.Date
	Days int
	At   Cite
}

// extended returns the days an information request's extensions add up
// to and the latest of them (ok false if none).
func (f *InfoFacts) extended() (days int, last InfoExtension, ok bool) {
	for _, e := range f.Extensions {
		days += e.Days
	}
	if len(f.Extensions) == 0 {
		return 0, last, false
	}
	return days, f.Extensions[len(f.Extensions)-1], true
}

// PetForward is a petition's forwarding to a body that did not accept it:
// the intake it owed, under the kind the petition had then.
type PetForward struct {
	Kind      events.PetitionKind
	To        string `codec:"shared"`
	On        events.Date
	At        Cite
	ArrivedOn events.Date
	ArrivedAt Cite
	DecidedOn events.Date
	DecidedAt Cite
}

// intakeFrom is the day a forwarded petition's intake period runs from:
// the body's receipt if recorded, else the forwarding, the earliest it can
// have been received; a receipt is taken as no earlier than the
// forwarding and no later than the body's first decision on it (decided:
// its acceptance, refusal or resolution, "" for none yet), so that a
// receipt recorded after a deadline was missed does not move it.
func intakeFrom(forwarded, arrived, decided events.Date) events.Date {
	if decided != "" && arrived > decided {
		arrived = decided
	}
	return max(forwarded, arrived)
}

// ConFacts are a contribution's facts.
type ConFacts struct {
	Target      string `codec:"shared"`
	SentOn      events.Date
	ReceivedOn  events.Date
	RespondedOn events.Date
	Outcome     events.Outcome
}

// UnitFacts are an administrative unit's facts.
type UnitFacts struct {
	Name   string
	Level  events.UnitLevel
	Parent string `codec:"shared"`
	// Predecessors and Successors are as the unit's own events record
	// them (predecessor_ids of its registration, successor_ids of its
	// supersession), as the write side keeps them for its scope checks.
	Predecessors []string
	Successors   []string
	// Hearings are the dates of periodic hearings of MTTQ's supervision
	// results (Luật MTTQ Art. 30.1).
	Hearings  []events.Date
	HearingAt []Cite
	// Receptions are the citizen reception sessions held in the unit
	// (Luật Tiếp công dân), in log order: OB_RECEPTION_BELOW_MIN counts
	// the days its People's Committee's chair received citizens.
	Receptions []Reception
	// SupersededOn is the date a 2025 merger (or another) superseded the
	// unit, from the event at SupersededAt.
	SupersededOn events.Date
	SupersededAt Cite
	// ValidFrom is the registration's valid_from: for a unit that names
	// predecessors, the date it took them over (see Views.unitEnd).
	ValidFrom events.Date
}

// Reception is a citizen reception session held in a unit, and who
// received the citizens.
type Reception struct {
	On   events.Date
	Host events.ReceptionHost
	At   Cite
}

// PartyFacts are a party's facts.
type PartyFacts struct {
	Name      string
	PartyKind events.PartyKind
	Superior  string `codec:"shared"`
	// Allegations against members of a People's Inspection Board
	// (MU_BOARD_INCITEMENT).
	Allegations []Allegation
}

// Allegation is an allegation against a member of a People's Inspection
// Board (party.allegation_recorded.v1): its date (what is alleged of whom
// is personal data MU_BOARD_INCITEMENT does not restate).
type Allegation struct {
	On events.Date
	At Cite
}

// FlagFacts are an inspector's latest review of a flag.
type FlagFacts struct {
	Code       string         `json:"code"`
	Verdict    events.Verdict `json:"verdict"`
	Note       string         `json:"note"`
	ReviewedOn events.Date    `json:"reviewed_on"`
	At         Cite           `json:"at"`
	// Earlier are the reviews this one revised, oldest first: a trail
	// cites them too, so that a revision does not hide the first verdict.
	Earlier []Cite `json:"earlier,omitempty"`
}

// Views are the read models at one position of the log.
type Views struct {
	cfg   *Config
	pos   uint64
	items map[string]*Item
	order map[events.Kind][]*Item
	// hashes and times are per position (index position-1): the event's
	// hash and its recorded_at in Unix nanoseconds.
	hashes []events.Hash
	times  []int64
	// derived indexes, rebuilt from items after a snapshot load
	children map[string][]string
	byParty  map[string][]*Item
	byUnit   map[string][]*Item                 // by unitKey(unit, kind), in the order indexed
	byDue    map[events.Date]map[*Item]struct{} // items by the due dates of their unmet obligations
	tallies  map[string][]tally                 // beside byUnit, for the tallied kinds (see tally)
	cache    *flagCache
	// deferred leaves the tallies and the index of due dates out of Apply,
	// for a bulk build that makes them once at its end (indexObligations):
	// they cost an evaluation of the item's obligations per event.
	deferred bool
	// flagEpoch changes when a unit or party changes: the flags items
	// raised by themselves (Item.flagMemo) are then computed again.
	flagEpoch uint64
	// supGen changes with every event of a supervision (see
	// flagCache.supervision).
	supGen uint64
	// topicGen changes when a supervision's topic is corrected: the
	// groups of OB_RECURRING_ISSUE (flagCache.recurring) are made again.
	topicGen uint64
	keywords phrases  // overreach wordings
	scratch  []string // for Apply
	// dutyScratch holds an item's obligations while Apply indexes them.
	dutyScratch []Obligation
	// touched lists the items changed by the events from position
	// touchedFrom on, at most maxTouched (then it starts again): flags
	// after a write read only these (see assembleFlags), which empties it.
	touched     []touch
	touchedFrom uint64
	touchLimit  int // if not 0, the bound instead of maxTouched (tests)
	// strs holds one copy of each unit ID Apply has set (see intern).
	strs map[string]string
	// answers holds the folded answer text searches have looked in.
	answers *answerIndex
}

// intern returns s, as the first string equal to it interned.
func (v *Views) intern(s string) string {
	if t, ok := v.strs[s]; ok {
		return t
	}
	if v.strs == nil {
		v.strs = map[string]string{}
	}
	v.strs[s] = s
	return s
}

// touch is an item changed by the event at pos.
type touch struct {
	pos uint64
	it  *Item
}

// maxTouched bounds Views.touched for views whose flags are not read.
const maxTouched = 1 << 16

// touchedSince returns the items changed by the events after pos, in
// their order, and whether they are all recorded.
func (v *Views) touchedSince(pos uint64) ([]touch, bool) {
	if v.touchedFrom > pos+1 {
		return nil, false
	}
	i, _ := slices.BinarySearchFunc(v.touched, pos+1, func(t touch, p uint64) int { return cmp.Compare(t.pos, p) })
	return v.touched[i:], true
}

// NewViews returns empty views.
func NewViews(cfg *Config) *Views {
	return &Views{cfg: cfg, items: map[string]*Item{}, order: map[events.Kind][]*Item{}, children: map[string][]string{},
		byParty: map[string][]*Item{}, byUnit: map[string][]*Item{}, byDue: map[events.Date]map[*Item]struct{}{},
		tallies: map[string][]tally{}, cache: &flagCache{}, answers: &answerIndex{}}
}

// Position returns the position of the last event applied (0 for none).
func (v *Views) Position() uint64 { return v.pos }

// Config returns the configuration the views compute with.
func (v *Views) Config() *Config { return v.cfg }

// Item returns the item of stream, or nil.
func (v *Views) Item(stream string) *Item { return v.items[stream] }

// Hash returns the hash of the event at pos (zero if out of range).
func (v *Views) Hash(pos uint64) events.Hash {
	if pos == 0 || pos > uint64(len(v.hashes)) {
		return events.Hash{}
	}
	return v.hashes[pos-1]
}

// RecordedAt returns the time the event at pos was recorded.
func (v *Views) RecordedAt(pos uint64) time.Time {
	if pos == 0 || pos > uint64(len(v.times)) {
		return time.Time{}
	}
	return time.Unix(0, v.times[pos-1]).UTC()
}

// PositionAt returns the last position recorded at or before t (0 if none).
func (v *Views) PositionAt(t time.Time) uint64 {
	n, _ := positionAt(len(v.times), t, func(i int) (int64, error) { return v.times[i], nil })
	return n
}

// LogPositionAt returns the position that Views.PositionAt gives for t on
// views of the whole log of src, without building them: it reads only the
// records its search looks at: about log2 of the log's length, and one
// more for each step back where a clock went back.
func LogPositionAt(ctx context.Context, src events.Store, t time.Time) (uint64, error) {
	head, err := src.Head(ctx)
	if err != nil {
		return 0, err
	}
	return positionAt(int(min(head, math.MaxInt)), t, func(i int) (int64, error) {
		rec, err := src.Get(ctx, uint64(i)+1)
		if err != nil {
			return 0, fmt.Errorf("projections: reading position %d: %w", i+1, err)
		}
		env, err := events.ParseStored(rec.Raw)
		if err != nil {
			return 0, fmt.Errorf("position %d: %w", i+1, err)
		}
		return env.RecordedAt.UnixNano(), nil
	})
}

// positionAt is PositionAt over n positions, the recorded_at of position
// i+1 (in Unix nanoseconds) given by timeAt(i). The first error of timeAt ends
// the search.
func positionAt(n int, t time.Time, timeAt func(i int) (int64, error)) (uint64, error) {
	// recorded_at is the server clock of whichever replica appended; it is
	// nearly but not strictly monotonic, so search the running maximum.
	ns := t.UnixNano()
	var failed error
	after := func(i int) bool {
		if failed != nil {
			return true
		}
		at, err := timeAt(i)
		failed = err
		return err != nil || at > ns
	}
	k := sort.Search(n, after)
	for k > 0 && k < n && after(k-1) {
		k--
	}
	if failed != nil {
		return 0, failed
	}
	return uint64(k), nil
}

// Prepared is one stored record decoded for Apply: the decoding may run on
// another core than the applying.
type Prepared struct {
	Rec  events.Record
	Env  events.Envelope
	P    events.Payload
	Hash events.Hash
	Err  error

	// What Apply needs that depends on the event alone, worked out on the
	// decoding workers so that the sequential Apply does little.
	fields    []byte       // the payload's top-level fields in the entry layout (not for corrections)
	folded    []foldedPart // folded text of the search fields among them
	overreach string       // folded title and content of a recommendation
}

// foldedPart is the folded text of one search field of an event.
type foldedPart struct {
	key  string
	text string
}

// fieldScratch holds the slices prepare splits an event's fields into.
var fieldScratch = sync.Pool{New: func() any { s := make([]Field, 0, 12); return &s }}

// Prepare decodes r.
func Prepare(r events.Record) Prepared {
	p := Prepared{Rec: r}
	p.prepare()
	return p
}

func (p *Prepared) prepare() {
	env, err := events.ParseStored(p.Rec.Raw)
	if err != nil {
		p.Err = fmt.Errorf("position %d: %w", p.Rec.Position, err)
		return
	}
	p.Hash = p.Rec.Hash()
	pl, err := events.DecodeStored(env.Type, env.Data)
	if events.IsSyntaxError(err) {
		p.Err = fmt.Errorf("position %d: the event's data is not valid JSON: %w", p.Rec.Position, err)
		return
	}
	p.P = pl
	if _, ok := pl.(*events.CorrectionData); !ok {
		// The fields are encoded into a slice of their own (the
		// record's bytes are not kept), with their search text folded.
		// The split fields are only a step (they point into the
		// record's bytes): their slice is used again by the next
		// record's prepare, not made anew for each event.
		scratch := fieldScratch.Get().(*[]Field)
		fields := splitFieldsInto(*scratch, env.Data, env.Classification)
		for _, f := range fields {
			if slices.Contains(searchKeys, f.Key) {
				// A value that is not a string searches as nothing, as
				// setText reads it from the fields.
				s, _ := unquoteJSON(f.Value)
				p.folded = append(p.folded, foldedPart{f.Key, foldText(s)})
			}
		}
		p.fields = encodeFields(fields)
		clear(fields)
		*scratch = fields[:0]
		fieldScratch.Put(scratch)
	}
	if d, ok := pl.(*events.RecommendationIssuedData); ok {
		p.overreach = foldText(d.Title + " " + d.Content)
	}
	env.Data = nil
	p.Env = env
	p.Rec.Raw = nil // not kept: the views hold what they need
}

// Apply folds one prepared record into the views. Records must come in
// position order; a record at or below the current position is ignored (a
// redelivery). Apply reads no clock and does no I/O: the same log always
// gives the same views.
func (v *Views) Apply(p *Prepared) error {
	if p.Err != nil {
		return p.Err
	}
	pos := p.Rec.Position
	if pos <= v.pos {
		return nil
	}
	if pos != v.pos+1 {
		return fmt.Errorf("projections: position %d follows %d: the log has a gap", pos, v.pos)
	}
	env := &p.Env
	v.pos = pos
	v.hashes = append(v.hashes, p.Hash)
	v.times = append(v.times, env.RecordedAt.UnixNano())
	kind, id, ok := events.SplitStream(env.Stream)
	if !ok {
		return nil
	}
	it := v.items[env.Stream]
	if it == nil {
		it = &Item{Kind: kind, ID: id, Created: pos, OpenedOn: legalDate(env.OccurredAt), Class: env.Classification, Opened: env.Classification}
		v.items[env.Stream] = it
		v.order[kind] = append(v.order[kind], it)
	}
	cite := Cite{Position: pos, Type: env.Type}
	if (kind == events.KindUnit || kind == events.KindParty) && !nameOnly(env.Type) {
		v.flagEpoch++
	}
	if kind == events.KindSupervision {
		v.supGen++ // the flags across supervisions are computed again
	}
	// A confidential event on a record not confidential from its first
	// may say what its public events did not (see PublicFace).
	secret := env.Classification == events.Confidential && it.Opened != events.Confidential
	var before *PublicFace
	if secret || it.Public != nil {
		f := it.face()
		before = &f
	}
	unit := it.Core.Unit
	it.Core = events.EvolveCore(kind, id, it.Core, env, p.P)
	if it.Core.Unit != unit {
		// One copy of each unit's ID, as a snapshot's decoding keeps:
		// the flags and indexes of many items hash it over and over.
		it.Core.Unit = v.intern(it.Core.Unit)
	}
	it.Updated = pos
	if len(v.touched) >= cmp.Or(v.touchLimit, maxTouched) {
		v.touched, v.touchedFrom = v.touched[:0], pos
	}
	v.touched = append(v.touched, touch{pos, it})
	it.Events = append(it.Events, pos)
	if env.Classification.Rank() < it.Opened.Rank() && it.Lowered == 0 {
		it.Lowered = pos
	}
	if env.Classification.Rank() > it.Class.Rank() {
		it.Class = env.Classification
	}
	fresh := p.folded
	correction, _ := p.P.(*events.CorrectionData)
	if c := correction; c != nil {
		// A changed field is the item's only if the event corrected set
		// it last (a later event's value stands: a correction of the
		// first answer after a second, of a name before a rename); its
		// value is then of that event.
		of, ok := it.corrected(c)
		at := len(it.Events) - 1 // the correction's own, if it corrects none
		if ok {
			at, _ = slices.BinarySearch(it.Events, of)
		}
		var fields []Field
		for _, k := range sortedKeys(c.Changes) {
			if e, set := it.field(k); ok && set && e.at != at {
				continue
			}
			val := quoteJSON(c.Changes[k])
			fields = append(fields, Field{Key: k, Value: val, Class: env.Classification})
			if slices.Contains(searchKeys, k) {
				s, _ := unquoteJSON(val)
				fresh = append(fresh, foldedPart{k, foldText(s)})
			}
		}
		if len(fields) > 0 {
			it.Data = mergeFields(it.Data, encodeFieldsAt(fields, at), -1)
		}
	} else if len(it.Data) == 0 && len(it.Events) == 1 {
		it.Data = p.fields // owned by no one else, of the first event (at 0)
	} else {
		it.Data = mergeFields(it.Data, p.fields, len(it.Events)-1)
	}
	title := it.Title
	v.applyFacts(it, env, p.P, cite)
	if it.Title != title || it.TitleAt == 0 && it.Title != "" {
		it.TitleAt = pos
	}
	if correction != nil {
		v.correct(it, correction, cite)
	}
	if _, ok := p.P.(*events.RecommendationIssuedData); ok && it.Facts.Rec != nil {
		it.Facts.Rec.Overreach = v.overreachFolded(p.overreach)
	}
	if it.Version() == 1 || len(fresh) > 0 {
		it.setText(fresh)
	}
	if before != nil {
		fields := p.fields
		if correction != nil {
			fields = nil // its changes name no party a lifecycle event had not
		}
		it.keepPublic(before, secret, pos, fields)
	}
	v.indexParties(it)
	v.indexUnit(it)
	if !v.deferred {
		var d duties
		d, v.dutyScratch = v.dutiesOf(it, v.dutyScratch)
		v.index(it, d)
	}
	return nil
}

// nameOnly reports whether an event of a unit or party changes nothing
// the flags of other items read (a name, a hearing, a reception session,
// an allegation against a board member):
// the flags they raised by themselves are kept.
func nameOnly(t events.Type) bool {
	switch t {
	case events.UnitRenamed, events.PartyRenamed, events.UnitPeriodicHearingHeld, events.UnitReceptionSessionHeld, events.PartyAllegation:
		return true
	}
	return false
}

// indexUnit records it under its unit once it has one (an item's unit
// never changes once set).
func (v *Views) indexUnit(it *Item) {
	if it.unitIndexed || it.Unit() == "" {
		return
	}
	k := unitKey(it.Unit(), it.Kind)
	it.unitPos = int32(len(v.byUnit[k]))
	v.byUnit[k] = append(v.byUnit[k], it)
	it.unitIndexed = true
}

func unitKey(unit string, kind events.Kind) string { return unit + "\x00" + string(kind) }

// inScope returns the items of kind whose unit is in scope (every item of
// kind for a nil scope), by the position of their first event: from the
// units' indexes when they hold fewer items than half the kind, else the
// kind's whole list, which the caller filters by unit anyway.
func (v *Views) inScope(kind events.Kind, scope map[string]bool) []*Item {
	all := v.order[kind]
	if scope == nil {
		return all
	}
	n := 0
	for u := range scope {
		n += len(v.byUnit[unitKey(u, kind)])
	}
	if n > len(all)/2 {
		return all
	}
	list := make([]*Item, 0, n)
	for u := range scope {
		list = append(list, v.byUnit[unitKey(u, kind)]...)
	}
	slices.SortFunc(list, func(a, b *Item) int { return cmp.Compare(a.Created, b.Created) })
	return list
}

// indexParties records it under every party it concerns that it is not
// indexed under yet. An item stays indexed under a party it no longer
// concerns (readers check), and is never indexed twice under one.
func (v *Views) indexParties(it *Item) {
	v.scratch = it.partiesConcerned(v.scratch[:0])
	for _, p := range v.scratch {
		if !slices.Contains(it.indexed, p) {
			v.byParty[p] = append(v.byParty[p], it)
			it.indexed = append(it.indexed, p)
		}
	}
}

// Version returns the number of events of the item.
func (it *Item) Version() uint64 { return it.Core.Version }

// searchKeys are the payload fields the text search looks in.
var searchKeys = []string{"title", "topic", "draft_title", "name", "summary", "description", "content"}

// partiesConcerned lists the parties an item concerns, sorted: those it is
// addressed to, its main party, the subjects and the supervising chair.
func (it *Item) partiesConcerned(ps []string) []string {
	ps = append(ps, it.Core.Parties...)
	if it.Party != "" {
		ps = append(ps, it.Party)
	}
	if f := it.Facts.Sup; f != nil {
		ps = append(ps, f.Subjects...)
		if f.Chair != "" {
			ps = append(ps, f.Chair)
		}
		for _, r := range f.Requests {
			ps = append(ps, r.Party)
		}
	}
	if f := it.Facts.Pet; f != nil {
		if f.ForwardedTo != "" {
			ps = append(ps, f.ForwardedTo)
		}
		for _, e := range f.Earlier {
			ps = append(ps, e.To)
		}
		if f.SecondTo != "" {
			ps = append(ps, f.SecondTo)
		}
	}
	if it.Kind == events.KindParty {
		ps = append(ps, it.ID)
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// openText is the item's searchable text without what its confidential
// events set (a reader they are withheld from must not find the item by
// it): the search fields of other events and the ID, folded. Made on
// demand, for the few items with a confidential event.
func (it *Item) openText() string {
	var parts []string
	for e, ok := readEntry(it.Data, 0); ok; e, ok = readEntry(it.Data, e.next) {
		if classOf[e.class] == events.Confidential || !slices.Contains(searchKeys, string(e.key)) {
			continue
		}
		if s, ok := unquoteJSON(e.val); ok {
			parts = append(parts, foldText(s))
		}
	}
	return strings.Join(append(parts, foldText(it.ID)), " ")
}

// setText sets the item's folded searchable text: its search fields and
// its ID, lowercase and without diacritics, joined by spaces. Fields of the
// event just applied come folded (fresh); the others were folded when
// their event was applied, and are kept (as parts of Text) from the second
// change on, for items whose text changes more than once.
func (it *Item) setText(fresh []foldedPart) {
	parts := it.parts
	if parts == nil && it.Version() > 1 {
		parts = make([]string, len(searchKeys))
		for i, k := range searchKeys {
			if val := it.Field(k); len(val) > 0 {
				if s, ok := unquoteJSON(val); ok {
					parts[i] = foldText(s)
				}
			}
		}
	}
	var cur [8]string
	if parts == nil {
		parts = cur[:len(searchKeys)]
	}
	for _, f := range fresh {
		parts[slices.Index(searchKeys, f.key)] = f.text
	}
	var b strings.Builder
	ends := make([]int, len(parts))
	for i, s := range parts {
		if s != "" {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(s)
		}
		ends[i] = b.Len()
	}
	if id := foldText(it.ID); id != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(id)
	}
	it.Text = b.String()
	if it.Version() > 1 {
		// Keep the parts as slices of Text: no second copy of the text.
		it.parts = parts
		for i := range parts {
			if parts[i] != "" {
				parts[i] = it.Text[ends[i]-len(parts[i]) : ends[i]]
			}
		}
	}
}

// legalDate is the date of t in Vietnam's time.
func legalDate(t time.Time) events.Date { return events.DateOf(t.In(vietnam)) }

var vietnam = time.FixedZone("ICT", 7*60*60)

// Today returns the legal date of t in Vietnam's time: deadlines are counted
// in days there.
func Today(t time.Time) events.Date { return legalDate(t) }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// applyFacts folds the kind-specific facts of one event.
func (v *Views) applyFacts(it *Item, env *events.Envelope, p events.Payload, c Cite) {
	if p == nil {
		return
	}
	switch d := p.(type) {
	// Units and parties.
	case *events.UnitRegisteredData:
		it.Facts.Unit = &UnitFacts{Name: d.Name, Level: d.Level, Parent: d.ParentID, Predecessors: slices.Clone(d.PredecessorIDs), ValidFrom: d.ValidFrom}
		it.Title = d.Name
		if d.ParentID != "" {
			v.children[d.ParentID] = appendUnique(v.children[d.ParentID], it.ID)
		}
	case *events.UnitRenamedData:
		if f := it.Facts.Unit; f != nil {
			f.Name, it.Title = d.Name, d.Name
		}
	case *events.UnitReparentedData:
		if f := it.Facts.Unit; f != nil {
			if f.Parent != "" {
				v.children[f.Parent] = slices.DeleteFunc(slices.Clone(v.children[f.Parent]), func(s string) bool { return s == it.ID })
			}
			f.Parent = d.ParentID
			v.children[d.ParentID] = appendUnique(v.children[d.ParentID], it.ID)
		}
	case *events.UnitSupersededData:
		if f := it.Facts.Unit; f != nil {
			f.Successors = slices.Clone(d.SuccessorIDs) // as the write side keeps them
			f.SupersededOn, f.SupersededAt = d.EffectiveOn, c
		}
	case *events.PeriodicHearingHeldData:
		if f := it.Facts.Unit; f != nil {
			f.Hearings = append(f.Hearings, d.HeldOn)
			f.HearingAt = append(f.HearingAt, c)
		}
	case *events.ReceptionSessionHeldData:
		if f := it.Facts.Unit; f != nil {
			f.Receptions = append(f.Receptions, Reception{On: d.HeldOn, Host: d.Host, At: c})
		}
	case *events.PartyRegisteredData:
		it.Facts.Prt = &PartyFacts{Name: d.Name, PartyKind: d.PartyKind, Superior: d.SuperiorID}
		it.Title, it.Form = d.Name, string(d.PartyKind)
	case *events.AllegationRecordedData:
		if f := it.Facts.Prt; f != nil {
			f.Allegations = append(f.Allegations, Allegation{On: d.Allegation.ReceivedOn, At: c})
		}
	case *events.PartyRenamedData:
		if f := it.Facts.Prt; f != nil {
			f.Name, it.Title = d.Name, d.Name
		}
	case *events.PartySuperiorChangedData:
		if f := it.Facts.Prt; f != nil {
			f.Superior = d.SuperiorID
		}
	case *events.PlanDraftedData:
		it.Title = d.Title
	case *events.FlagReviewedData:
		var earlier []Cite
		if prev := it.Facts.Flag; prev != nil {
			earlier = append(slices.Clip(prev.Earlier), prev.At)
		}
		it.Facts.Flag = &FlagFacts{Code: d.Code, Verdict: d.Verdict, Note: d.Note, ReviewedOn: d.ReviewedOn, At: c, Earlier: earlier}
		it.Title = d.Code
	default:
		switch it.Kind {
		case events.KindRecommendation:
			v.applyRec(it, p, c)
		case events.KindSupervision:
			v.applySup(it, env, p, c)
		case events.KindCritique:
			v.applyCri(it, p, c)
		case events.KindInfoRequest:
			v.applyInfo(it, p, c)
		case events.KindPetition:
			v.applyPet(it, env, p, c)
		case events.KindContribution:
			v.applyCon(it, p)
		}
	}
}

func (v *Views) applyRec(it *Item, p events.Payload, c Cite) {
	f := it.Facts.Rec
	if f == nil {
		f = &RecFacts{}
		it.Facts.Rec = f
	}
	switch d := p.(type) {
	case *events.RecommendationIssuedData:
		f.Addressee, f.SourceKind, f.SourceID, f.IssuedOn, f.ResponseDays, f.IssuedAt = d.AddresseePartyID, d.SourceKind, d.SourceID, d.IssuedOn, d.ResponseDays, c
		it.Title, it.Party, it.Form = d.Title, d.AddresseePartyID, string(d.SourceKind)
		// f.Overreach: Apply sets it from the text folded by Prepare.
	case *events.AmendedData:
		if d.Content != "" {
			f.Overreach = v.overreach(it.Title + " " + d.Content)
		}
		f.decideReview(d.AmendedOn, c)
	case *events.ReviewRequestedData:
		if f.RespondedOn == "" && (len(f.Reviews) == 0 || f.Reviews[len(f.Reviews)-1].To != "") {
			f.Reviews = append(f.Reviews, RecReview{From: d.RequestedOn, FromAt: c})
		}
	case *events.ReviewUpheldData:
		f.decideReview(d.DecidedOn, c)
	case *events.RecommendationReceivedData:
		f.ReceivedOn, f.ReceivedAt = d.ReceivedOn, c
	case *events.ResponseSubmittedData:
		if f.RespondedOn == "" {
			f.RespondedOn, f.RespondedAt = d.RespondedOn, c
		}
		f.Outcome = d.Outcome
		blank := strings.TrimSpace(d.Explanation) == ""
		f.EmptyAnswer = d.Outcome == events.OutcomeNoted || (d.Outcome == events.OutcomeExplainedNotAccepted || d.Outcome == events.OutcomePartiallyAccepted) && blank
		if d.CommitDueOn != "" {
			f.CommitDueOn, f.CommitAt = d.CommitDueOn, c
		}
	case *events.ExplanationSubmittedData:
		if f.EmptyAnswer && f.Outcome != events.OutcomeNoted && strings.TrimSpace(d.Text) != "" {
			f.EmptyAnswer = false
		}
	case *events.ImplementationCommittedData:
		f.CommitDueOn, f.CommitAt = d.DueOn, c
	case *events.ImplementationEvidenceData:
		f.EvidenceOn = d.SubmittedOn
	case *events.ImplementationVerifiedData:
		if d.Finding == events.FindingImplemented {
			f.Implemented, f.VerifiedAt = d.VerifiedOn, c
		} else {
			f.EvidenceOn = ""
		}
	case *events.ClosedData:
		f.EndedOn, f.EndedAt = d.ClosedOn, c
	case *events.WithdrawnData:
		f.EndedOn, f.EndedAt = d.WithdrawnOn, c
	}
}

// decideReview ends a pending review on on.
func (f *RecFacts) decideReview(on events.Date, c Cite) {
	if n := len(f.Reviews); n > 0 && f.Reviews[n-1].To == "" {
		f.Reviews[n-1].To, f.Reviews[n-1].ToAt = on, c
	}
}

// followsUp reports whether a supervision that names sup as the one it
// follows up and recs as the recommendations it checks is a follow-up of
// sup: each of recs came from sup. (A follow-up is exempt from MU_OVERLAP
// with the supervision it follows up; naming one is not enough. The
// write side has checked that recs exist; a recommendation's source is
// not corrected.)
func (v *Views) followsUp(sup string, recs []string) bool {
	if sup == "" || len(recs) == 0 {
		return false
	}
	for _, id := range recs {
		it := v.items[events.StreamName(events.KindRecommendation, id)]
		if it == nil || it.Facts.Rec == nil || it.Facts.Rec.SourceKind != events.SourceSupervision || it.Facts.Rec.SourceID != sup {
			return false
		}
	}
	return true
}

func (v *Views) applySup(it *Item, env *events.Envelope, p events.Payload, c Cite) {
	f := it.Facts.Sup
	if f == nil {
		f = &SupFacts{}
		it.Facts.Sup = f
	}
	switch d := p.(type) {
	case *events.SupervisionPlannedData:
		f.Form, f.Topic, f.Subjects, f.Chair, f.Joint, f.PlannedStart = d.Form, foldText(d.Topic), slices.Clone(d.SubjectPartyIDs), d.ChairPartyID, d.JointWithPartyID, d.PlannedStart
		if v.followsUp(d.FollowUpOf, d.RecommendationIDs) {
			f.FollowUpOf = events.StreamName(events.KindSupervision, d.FollowUpOf)
		}
		it.Title, it.Form = d.Title, string(d.Form)
		if len(d.SubjectPartyIDs) > 0 {
			it.Party = d.SubjectPartyIDs[0]
		}
	case *events.DelegationEstablishedData:
		f.DecidedOn, f.DecidedAt = d.DecidedOn, c
	case *events.AdverseActionData:
		f.Adverse = append(f.Adverse, adverseOf(d, c))
	case *events.InterestDeclaredData:
		in := Interest{Name: displayName(d.Member), Party: d.PartyID, Relation: d.Relation, On: d.DeclaredOn, Recused: d.Recused, At: c}
		f.Interests = latestInterests(append(f.Interests, in))
	case *events.SupervisionNotifiedData:
		f.NotifiedOn, f.NotifiedAt = d.NotifiedOn, c
	case *events.ReportOutlineSentData:
		f.OutlineOn, f.ReportDueOn, f.OutlineAt = d.SentOn, d.ReportDueOn, c
	case *events.SubjectReportReceivedData:
		if f.SubjectReport == "" {
			f.SubjectReport, f.SubjectAt = d.ReceivedOn, c
		}
	case *events.DocumentRequestedData:
		f.Requests = append(f.Requests, DocRequest{ID: d.RequestID, Party: d.PartyID, RequestedOn: d.RequestedOn, DueOn: d.DueOn, Cites: []Cite{c}})
	case *events.DocumentProvidedData:
		if r := findRequest(f.Requests, d.RequestID); r != nil && r.ProvidedOn == "" {
			r.ProvidedOn, r.Cites = d.ProvidedOn, append(r.Cites, c)
		}
	case *events.DocumentRefusedData:
		if r := findRequest(f.Requests, d.RequestID); r != nil && r.RefusedOn == "" {
			r.RefusedOn, r.Cites = d.RefusedOn, append(r.Cites, c)
		}
	case *events.SessionHeldData:
		f.Held = append(f.Held, Session{On: d.HeldOn, At: c})
		f.spanSessions()
	case *events.PostponedData:
		if f.FirstSession == "" {
			f.MovedTo, f.MovedAt = d.Until, c
		}
	case *events.SessionPostponedData:
		if d.RequestedBy == events.BySubject {
			f.PostponedBySubject = append(f.PostponedBySubject, c)
		}
	case *events.ResultReportSubmittedData:
		if f.ResultOn == "" {
			f.ResultOn, f.ResultAt = d.SubmittedOn, c
		}
	}
}

func findRequest(rs []DocRequest, id string) *DocRequest {
	for i := range rs {
		if rs[i].ID == id {
			return &rs[i]
		}
	}
	return nil
}

func (v *Views) applyCri(it *Item, p events.Payload, c Cite) {
	f := it.Facts.Cri
	if f == nil {
		f = &CriFacts{}
		it.Facts.Cri = f
	}
	switch d := p.(type) {
	case *events.CritiqueRequestedData:
		f.Drafter, f.PlanID, f.RequestedOn = d.DraftingPartyID, d.PlanID, d.RequestedOn
		it.Title, it.Form, it.Party = d.Title, string(d.Form), d.DraftingPartyID
	case *events.DraftReceivedData:
		if f.ReceivedOn == "" {
			f.ReceivedOn, f.SubmissionOn, f.ReceivedAt = d.ReceivedOn, d.SubmissionOn, c
		}
	case *events.CritiqueDocumentIssuedData:
		f.IssuedOn, f.IssuedAt = d.IssuedOn, c
	case *events.DrafterRespondedData:
		if f.RespondedOn == "" {
			f.RespondedOn, f.RespondedAt = d.RespondedOn, c
		}
	case *events.ForwardedToIssuerData:
		f.ForwardedOn, f.ForwardedAt = d.ForwardedOn, c
	case *events.DraftAdoptedData:
		f.AdoptedOn, f.AdoptedAt = d.AdoptedOn, c
	}
}

func (v *Views) applyInfo(it *Item, p events.Payload, c Cite) {
	f := it.Facts.Info
	if f == nil {
		f = &InfoFacts{}
		it.Facts.Info = f
	}
	switch d := p.(type) {
	case *events.InfoRequestReceivedData:
		f.Addressee, f.Channel, f.ReceivedOn, f.ReceivedAt = d.AddresseePartyID, d.Channel, d.ReceivedOn, c
		it.Party, it.Form = d.AddresseePartyID, string(d.Channel)
		it.Title = truncateRunes(d.Description, 120)
	case *events.InfoValidatedData:
		f.Complexity = d.Complexity
	case *events.InfoRejectedData:
		f.RejectedOn = d.RejectedOn
	case *events.InfoTimelineNotifiedData:
		if f.NoticeOn == "" {
			f.NoticeOn, f.NoticeAt = d.NotifiedOn, c
		}
	case *events.InfoExtensionNotifiedData:
		f.Extensions = append(f.Extensions, InfoExtension{On: d.NotifiedOn, Days: d.ExtendedDays, At: c})
	case *events.InfoProvidedData:
		if f.ProvidedOn == "" {
			f.ProvidedOn, f.ProvidedAt = d.ProvidedOn, c
		}
	case *events.InfoRefusedData:
		if f.RefusedOn == "" {
			f.RefusedOn, f.RefusedAt, f.NoReasons = d.RefusedOn, c, strings.TrimSpace(d.Reasons) == ""
		}
	}
}

func (v *Views) applyPet(it *Item, env *events.Envelope, p events.Payload, c Cite) {
	f := it.Facts.Pet
	if f == nil {
		f = &PetFacts{}
		it.Facts.Pet = f
	}
	switch d := p.(type) {
	case *events.PetitionReceivedData:
		f.Kind, f.Channel, f.Anonymous, f.ReceivedOn, f.ReceivedAt = d.PetitionKind, d.Channel, d.Anonymous, d.ReceivedOn, c
		if d.Petitioner != nil && !d.Anonymous {
			f.Petitioner = petitionerKey(*d.Petitioner)
		}
		it.Title, it.Form = truncateRunes(d.Summary, 120), string(d.PetitionKind)
		// A petitioner named in a public receipt: a leak if the petition
		// is a denunciation, as it says or as it is classified later.
		if d.Petitioner != nil && env.Classification == events.Public {
			cc := c
			f.IdentityPublic = &cc
		}
	case *events.PetitionClassifiedData:
		// Classified again (before it is forwarded, or after the body it
		// went to did not accept it): the new classification replaces the
		// old, competent body included.
		if f.retireForward() {
			it.Party = ""
		}
		if it.Party == "" || it.Party == f.Competent {
			it.Party = d.CompetentPartyID
		}
		f.Kind, f.Competent, f.Complex, f.Remote, f.ClassifiedAt = d.PetitionKind, d.CompetentPartyID, d.Complex, d.Remote, c
		it.Form = string(d.PetitionKind)
	case *events.PetitionForwardedData:
		f.retireForward()
		f.ForwardedOn, f.ForwardedTo, f.ForwardedAt = d.ForwardedOn, d.ToPartyID, c
		it.Party = d.ToPartyID
	case *events.PetitionForwardReceivedData:
		if f.ForwardedOn != "" && f.ArrivedOn == "" {
			f.ArrivedOn, f.ArrivedAt = d.ReceivedOn, c // the first; a correction changes it
		}
	case *events.PetitionAcceptedData:
		f.AcceptedOn, f.AcceptedAt, f.Extensions = d.AcceptedOn, c, nil
	case *events.PetitionNotAcceptedData:
		f.NotAcceptedOn, f.NotAcceptedAt = d.DecidedOn, c
	case *events.PetitionExtendedData:
		f.Extensions = append(f.Extensions, PetExtension{On: d.ExtendedOn, Days: d.Days, Complexity: d.CaseComplexity, At: c})
	case *events.PetitionResolvedData:
		switch {
		case f.SecondFiledOn != "":
			if f.SecondResolvedOn == "" {
				f.SecondResolvedOn, f.SecondResolvedAt = d.ResolvedOn, c
			}
		case f.ResolvedOn == "":
			f.ResolvedOn, f.ResolvedAt, f.Conclusion = d.ResolvedOn, c, d.Conclusion
		}
	case *events.SecondInstanceFiledData:
		f.SecondFiledOn, f.SecondTo, f.SecondAt = d.FiledOn, d.ToPartyID, c
	case *events.SecondInstanceAcceptedData:
		f.SecondAcceptedOn, f.SecondAcceptedAt = d.AcceptedOn, c
	case *events.SecondInstanceNotAcceptedData:
		f.SecondNotAcceptedOn, f.SecondNotAcceptedAt = d.DecidedOn, c
	case *events.PetitionResultNotifiedData:
		// The notice the forwarding MTTQ is owed is of the first
		// result: a second instance's notice does not replace it.
		if f.NotifiedOn == "" {
			f.NotifiedOn, f.NotifiedAt = d.NotifiedOn, c
		}
	case *events.PetitionWithdrawnData:
		f.WithdrawnOn, f.WithdrawnAt = d.WithdrawnOn, c
	case *events.AdverseActionData:
		f.Adverse = append(f.Adverse, adverseOf(d, c))
	}
}

func (v *Views) applyCon(it *Item, p events.Payload) {
	f := it.Facts.Con
	if f == nil {
		f = &ConFacts{}
		it.Facts.Con = f
	}
	switch d := p.(type) {
	case *events.ContributionCollectedData:
		f.Target = d.TargetPartyID
		it.Title, it.Form, it.Party = d.Topic, string(d.Form), d.TargetPartyID
	case *events.ContributionSentData:
		f.SentOn = d.SentOn
	case *events.ContributionReceivedData:
		f.ReceivedOn = d.ReceivedOn
	case *events.ContributionRespondedData:
		f.RespondedOn, f.Outcome = d.RespondedOn, d.Outcome
	}
}

// overreach returns the first configured wording in text that orders
// rather than recommends (MU_POWER_OVERREACH), or "".
func (v *Views) overreach(text string) string { return v.overreachFolded(foldText(text)) }

// overreachFolded is overreach for text folded already.
func (v *Views) overreachFolded(t string) string {
	if v.cfg == nil || v.cfg.Rules == nil {
		return ""
	}
	if v.keywords == nil {
		v.keywords = foldPhrases(v.cfg.Rules.Thresholds.OverreachKeywords)
	}
	return v.keywords.in(t)
}

// phrases are configured phrases (MU_POWER_OVERREACH's,
// MU_OUT_OF_SCOPE_CONTENT's), each with its folded form.
type phrases [][2]string

// foldPhrases returns list's phrases with their folded forms (never nil).
func foldPhrases(list []string) phrases {
	out := phrases{}
	for _, k := range list {
		if k != "" {
			out = append(out, [2]string{k, foldText(k)})
		}
	}
	return out
}

// in returns the first phrase found in the folded text t, or "".
func (ps phrases) in(t string) string {
	for _, k := range ps {
		if strings.Contains(t, k[1]) {
			return k[0]
		}
	}
	return ""
}

func appendUnique(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(slices.Clip(list), s)
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
