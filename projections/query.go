package projections

import (
	"cmp"
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/mttq-vn/ledger/events"
)

// ScopeSet returns the units a query on unit covers: the unit, every unit
// below it, and the units whose records passed to these by a supersession
// (a ward created by the 2025 merger covers the communes merged into it)
// with theirs, as the write side counts them (events.UnitWithin: the same
// rule, so that a reader lists what it may read; a test holds the two
// equal). Nil for an unknown unit. The sets are kept until a unit or party
// changes.
func (v *Views) ScopeSet(unit string) map[string]bool {
	v.cache.smu.Lock()
	defer v.cache.smu.Unlock()
	v.unitIndexes()
	if s, ok := v.cache.scopes[unit]; ok {
		return s
	}
	if v.items[events.StreamName(events.KindUnit, unit)] == nil {
		return nil
	}

	// events.UnitWithin walks up from a unit: the scope's own subtree is
	// in whole; a unit whose records passed on (by its successor_ids or a
	// successor's predecessor_ids) is in if one it passed them to is, and
	// so are the units below it that have no supersession of their own
	// (the nearest superseded unit decides).
	set := map[string]bool{}
	var queue []string
	var below func(u string, whole bool)
	below = func(u string, whole bool) {
		for _, c := range v.children[u] {
			if set[c] || !whole && v.superseded(c) {
				continue
			}
			set[c] = true
			queue = append(queue, c)
			below(c, whole)
		}
	}
	set[unit] = true
	queue = append(queue, unit)
	below(unit, true)
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, from := range v.cache.passedTo[n] {
			if !set[from] && v.items[events.StreamName(events.KindUnit, from)] != nil {
				set[from] = true
				queue = append(queue, from)
				below(from, false)
			}
		}
	}
	if v.cache.scopes == nil {
		v.cache.scopes = map[string]map[string]bool{}
	}
	v.cache.scopes[unit] = set
	return set
}

// unitIndexes makes the scopes' indexes of supersessions again when a unit
// or party has changed since they were made (v.cache.smu held).
func (v *Views) unitIndexes() {
	if v.cache.scopesEpoch == v.flagEpoch && v.cache.takers != nil {
		return
	}
	v.cache.scopes, v.cache.scopesEpoch = nil, v.flagEpoch
	v.cache.takers, v.cache.passedTo = map[string][]string{}, map[string][]string{}
	for _, u := range v.order[events.KindUnit] {
		if f := u.Facts.Unit; f != nil {
			for _, pre := range f.Predecessors {
				v.cache.takers[pre] = append(v.cache.takers[pre], u.ID)
				v.cache.passedTo[u.ID] = append(v.cache.passedTo[u.ID], pre)
			}
			for _, next := range f.Successors {
				v.cache.passedTo[next] = append(v.cache.passedTo[next], u.ID)
			}
		}
	}
}

// unitEnd returns when a unit stopped being one: its supersession's
// effective date, or, for a unit that other units name among their
// predecessor_ids (a merger recorded on the new units' side only), the
// earliest of their valid_from; ended is false for a unit still in being,
// and true with no date for a supersession recorded without one.
func (v *Views) unitEnd(u *Item) (on events.Date, ended bool) {
	f := u.Facts.Unit
	if f == nil {
		return "", false
	}
	if u.Status() == events.UnitSupersededS {
		return f.SupersededOn, true
	}
	v.cache.smu.Lock()
	defer v.cache.smu.Unlock()
	v.unitIndexes()
	for _, id := range v.cache.takers[u.ID] {
		if t := v.items[events.StreamName(events.KindUnit, id)]; t != nil && t.Facts.Unit != nil {
			if from := t.Facts.Unit.ValidFrom; from != "" && (on == "" || from < on) {
				on = from
			}
			ended = true
		}
	}
	return on, ended
}

// superseded reports whether unit's records passed on: its successor_ids,
// or a unit naming it among its predecessor_ids (v.cache.smu held).
func (v *Views) superseded(unit string) bool {
	if u := v.items[events.StreamName(events.KindUnit, unit)]; u != nil && u.Facts.Unit != nil && len(u.Facts.Unit.Successors) > 0 {
		return true
	}
	return len(v.cache.takers[unit]) > 0
}

// Within reports whether unit is covered by a query on scope.
func (v *Views) Within(unit, scope string) bool { return v.ScopeSet(scope)[unit] }

// Query selects items of one kind.
type Query struct {
	Kind events.Kind
	// Units, if not nil, keeps items of these units (a ScopeSet).
	Units map[string]bool
	// Allow, if not nil, keeps items the reader may see; AllowFlag, if not
	// nil, the flags (status=flagged goes by the open flags it keeps and
	// Redact does not withhold).
	Allow     func(*Item) bool
	AllowFlag func(*Flag) bool
	// Status keeps items in any of these states: lifecycle states, or the
	// derived ones of DerivedStatuses.
	Status []string
	Form   string
	// Party keeps items that concern this party.
	Party string
	// From and To bound the item's date (ReportDate), as reports count it.
	From, To events.Date
	// Text keeps items whose text contains it, ignoring case and
	// diacritics. Redact is what the reader may not see: an item it
	// withholds (Redaction.Withholds) never matches a text, a form or a
	// party.
	Text   string
	Redact Redaction
	// Today is the date deadlines are evaluated at.
	Today events.Date
	// Limit bounds the page; Before continues after a cursor: only items
	// created before this position.
	Limit  int
	Before uint64
	// Among, if not nil, are the only items looked at, oldest first (as
	// Owing gives them): the other filters still apply.
	Among []*Item
}

// inPeriod reports whether the item's date (ReportDate) is within From
// and To; of an item the reader's redaction withholds, the legal date of
// its first event, which its view shows (a recommendation's issued_on is
// in its confidential fields).
func (q *Query) inPeriod(it *Item) bool {
	d := it.ReportDate()
	if q.Redact.Withholds(it) {
		d = it.OpenedOn
	}
	return (q.From == "" || d >= q.From) && (q.To == "" || d <= q.To)
}

// formOf is the item's form as the reader sees it: of a record with a
// confidential event after its first, its public events' (PublicFace).
func (q *Query) formOf(it *Item) string {
	if it.Public != nil && q.Redact&HideConfidential != 0 {
		return it.Public.Form
	}
	return it.Form
}

// DerivedStatuses are the status filter values computed at the query's
// date from deadlines and answers, not stored.
var DerivedStatuses = []string{"awaiting_answer", "due_soon", "overdue", "answered_on_time", "answered_late",
	"accepted", "partly_accepted", "explained_not_accepted", "redirected", "flagged"}

// DerivedStatusesOf returns the derived states an item of kind k can be
// in: a recommendation's answer and outcome, the deadlines of the kinds
// that owe some (Obligations), an open flag about any item.
func DerivedStatusesOf(k events.Kind) []string {
	switch k {
	case events.KindRecommendation:
		return slices.Clone(DerivedStatuses)
	case events.KindSupervision, events.KindCritique, events.KindInfoRequest, events.KindPetition:
		return []string{"due_soon", "overdue", "flagged"}
	}
	return []string{"flagged"}
}

// FormValues returns the values an item of kind k may have as its form
// (Item.Form, set by its first event: a party's kind, a recommendation's
// source kind, a supervision's, critique's or contribution's form, an
// information request's channel, a petition's kind); none for other kinds.
func FormValues(k events.Kind) []string {
	t, ok := formTypes[k]
	if !ok {
		return nil
	}
	return events.EnumValues(t)
}

var formTypes = map[events.Kind]reflect.Type{
	events.KindParty:          reflect.TypeFor[events.PartyKind](),
	events.KindRecommendation: reflect.TypeFor[events.SourceKind](),
	events.KindSupervision:    reflect.TypeFor[events.SupervisionForm](),
	events.KindCritique:       reflect.TypeFor[events.CritiqueForm](),
	events.KindContribution:   reflect.TypeFor[events.ContributionForm](),
	events.KindInfoRequest:    reflect.TypeFor[events.InfoChannel](),
	events.KindPetition:       reflect.TypeFor[events.PetitionKind](),
}

// List returns a page of items, newest first (by the position of their
// first event), and the cursor of the next page (0 at the end).
func (v *Views) List(q Query) ([]*Item, uint64) {
	var list []*Item
	if q.Among != nil {
		list = q.Among
	} else if q.Party != "" {
		// Only the items indexed under the party, in the same order.
		for _, it := range v.byParty[q.Party] {
			if it.Kind == q.Kind {
				list = append(list, it)
			}
		}
		slices.SortFunc(list, func(a, b *Item) int { return cmp.Compare(a.Created, b.Created) })
		list = slices.CompactFunc(list, func(a, b *Item) bool { return a == b })
	} else {
		list = v.inScope(q.Kind, q.Units)
	}
	i := len(list)
	if q.Before > 0 {
		i = sort.Search(len(list), func(i int) bool { return list[i].Created >= q.Before })
	}
	// Every word of the text, in any order (a phrase matched only as
	// typed: "cong dan tiep" found nothing).
	words := strings.Fields(foldText(q.Text))
	text := strings.Join(words, " ")
	var flagged map[string]bool
	// Statuses that only an obligation not met yet gives: an item without
	// one is passed over without evaluating its deadlines.
	owing := len(q.Status) > 0
	var outcomes []string
	for _, s := range q.Status {
		switch s {
		case Overdue, DueSoon:
			outcomes = append(outcomes, s)
		case "awaiting_answer":
			outcomes = append(outcomes, Pending, DueSoon, Overdue)
		default:
			owing = false
		}
	}
	var out []*Item
	for i--; i >= 0; i-- {
		it := list[i]
		if q.Among != nil && it.Kind != q.Kind || owing && !v.MayOwe(it, outcomes, q.Today) {
			continue
		}
		if q.Units != nil && !q.Units[it.Unit()] || q.Form != "" && q.formOf(it) != q.Form ||
			(q.From != "" || q.To != "") && !q.inPeriod(it) ||
			text != "" && !v.textMatch(it, it.Text, words, q.Redact&HideConfidential != 0) ||
			(text != "" || q.Form != "" || q.Party != "") && q.Redact.Withholds(it) ||
			text != "" && q.Redact&HideConfidential != 0 && it.Class == events.Confidential && !v.textMatch(it, it.openText(), words, true) {
			continue
		}
		if q.Party != "" && q.Redact&HideConfidential != 0 && it.Public != nil {
			if f := it.Public; f.Party != q.Party && !slices.Contains(f.Parties, q.Party) && !slices.Contains(f.Concerned, q.Party) {
				continue // only a confidential event names it
			}
		} else if q.Party != "" && it.Party != q.Party && !slices.Contains(it.Core.Parties, q.Party) && !slices.Contains(it.partiesConcerned(nil), q.Party) {
			continue
		}
		if len(q.Status) > 0 {
			if slices.Contains(q.Status, "flagged") && flagged == nil {
				flagged = map[string]bool{}
				for _, f := range v.Flags(q.Today) {
					if f.Status == "open" && !v.Withheld(&f, q.Redact) && (q.AllowFlag == nil || q.AllowFlag(&f)) {
						flagged[f.Subject] = true
					}
				}
			}
			if !v.statusMatches(it, q.Status, q.Today, q.Redact, flagged) {
				continue
			}
		}
		if q.Allow != nil && !q.Allow(it) {
			continue
		}
		if len(out) == q.Limit {
			return out, out[len(out)-1].Created
		}
		out = append(out, it)
	}
	return out, 0
}

func (v *Views) statusMatches(it *Item, want []string, today events.Date, redact Redaction, flagged map[string]bool) bool {
	if slices.Contains(want, string(it.Status())) {
		return true
	}
	for _, s := range v.DerivedStatus(it, today, redact) {
		if slices.Contains(want, s) {
			return true
		}
	}
	return flagged[it.Stream()] && slices.Contains(want, "flagged")
}

// DerivedStatus returns the derived states of an item at today, as a
// reader with redaction redact sees them.
func (v *Views) DerivedStatus(it *Item, today events.Date, redact Redaction) []string {
	return derivedStatus(it, v.Obligations(it, today), redact)
}

// derivedStatus is DerivedStatus from the item's obligations at a date.
func derivedStatus(it *Item, obligations []Obligation, redact Redaction) []string {
	var out []string
	for _, o := range obligations {
		switch o.Outcome {
		case Overdue, DueSoon:
			out = append(out, o.Outcome)
		}
		if o.Rule == "recommendation.response" {
			switch o.Outcome {
			case OnTime:
				out = append(out, "answered_on_time")
			case Late:
				out = append(out, "answered_late")
			case Pending, DueSoon, Overdue:
				out = append(out, "awaiting_answer")
			}
		}
	}
	if f := it.Facts.Rec; f != nil && !redact.hidesOutcome(it) {
		switch f.Outcome {
		case events.OutcomeAccepted:
			out = append(out, "accepted")
		case events.OutcomePartiallyAccepted:
			out = append(out, "partly_accepted")
		case events.OutcomeExplainedNotAccepted:
			out = append(out, "explained_not_accepted")
		case events.OutcomeRedirected:
			out = append(out, "redirected")
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// PersonalFields are payload fields holding citizens' personal data.
var PersonalFields = []string{"petitioner", "requester", "adverse_action", "allegation"}

// IsPersonal reports whether a payload field (or a correction's changed
// field, such as "petitioner.name") holds citizens' personal data.
func IsPersonal(key string) bool {
	for _, p := range PersonalFields {
		if key == p || strings.HasPrefix(key, p) && key[len(p)] == '.' {
			return true
		}
	}
	return false
}

// Redaction is what an item's view withholds from its reader.
type Redaction uint8

const (
	// HideConfidential withholds the fields set by confidential events,
	// and the title of an item that has any.
	HideConfidential Redaction = 1 << iota
	// HidePersonal withholds citizens' personal data (PersonalFields).
	HidePersonal
	// HideDenouncer withholds the petitioner of a denunciation (Luật Tố
	// cáo 2018 Art. 9 keeps the denouncer's identity secret).
	HideDenouncer
)

// Withholds reports whether a reader with redaction r sees item it as a
// confidential record: a record classified confidential from its first
// event (which names its parties and sets its dates) shows a reader who
// may not see confidential data what it is, where, and how it stands
// (its ID, kind, unit, status, classification, positions and outcomes),
// but nothing its confidential fields say or that is derived from them:
// no title, form, parties, or dates and parties of its deadlines; its flags
// are not shown (Views.Withheld), and it does not match a search by text,
// form or party, nor appear in a party's trail.
func (r Redaction) Withholds(it *Item) bool {
	return r&HideConfidential != 0 && it.Opened == events.Confidential
}

// hidesOutcome reports whether a reader with redaction r may not see the
// outcome of a recommendation's answer (accepted, partly accepted, ...)
// among its derived states: a confidential answer, or a confidential
// correction of it, set it, and its "outcome" field is redacted.
func (r Redaction) hidesOutcome(it *Item) bool {
	if r&HideConfidential == 0 {
		return false
	}
	e, ok := it.field("outcome")
	return ok && classOf[e.class] == events.Confidential
}

// HidesDuty reports whether a reader with redaction r sees obligation o of
// item it as one of a withheld record (Obligation.Withhold: no party or
// dates): for a record withheld whole, every one; for a record with a
// confidential event after its first (Item.Public), one that cites such
// an event or is owed by a party only such an event named.
func (r Redaction) HidesDuty(it *Item, o *Obligation) bool {
	if r&HideConfidential == 0 {
		return false
	}
	if it.Opened == events.Confidential {
		return true
	}
	return it.Public != nil && it.Public.hides(it, o.Party, o.Cites)
}

// hides reports whether what names party and cites, of item it, is kept
// from readers of its public face: a cite of a confidential event, or a
// party the item concerns that its public events do not name.
func (f *PublicFace) hides(it *Item, party string, cites []Cite) bool {
	if party != "" && party != f.Party && !slices.Contains(f.Parties, party) && !slices.Contains(f.Concerned, party) &&
		(party == it.Party || slices.Contains(it.Core.Parties, party) || slices.Contains(it.partiesConcerned(nil), party)) {
		return true
	}
	return slices.ContainsFunc(cites, func(c Cite) bool { return slices.Contains(f.Secret, c.Position) })
}

// ItemWithheld names the fields of an item's view that Withholds blanks.
var ItemWithheld = []string{"title", "form", "party", "parties", "deadlines"}

// ItemView is the JSON form of an item.
type ItemView struct {
	ID              string                `json:"id"`
	Stream          string                `json:"stream"`
	Kind            events.Kind           `json:"kind"`
	Status          events.Status         `json:"status"`
	Version         uint64                `json:"version"`
	Unit            string                `json:"unit"`
	Title           string                `json:"title,omitempty"`
	Form            string                `json:"form,omitempty"`
	Party           string                `json:"party,omitempty"`
	Parties         []string              `json:"parties"`
	Classification  events.Classification `json:"classification"`
	OpenedOn        events.Date           `json:"opened_on"`
	CreatedPosition uint64                `json:"created_position"`
	UpdatedPosition uint64                `json:"updated_position"`
	LastHash        string                `json:"last_hash"`
	DerivedStatus   []string              `json:"derived_status"`
	Deadlines       []Obligation          `json:"deadlines"`
	Data            json.RawMessage       `json:"data"`
	// Redacted lists data fields withheld from this reader.
	Redacted []string `json:"redacted,omitempty"`
	// Withheld lists the view's own fields blanked for this reader
	// (ItemWithheld, see Redaction.Withholds).
	Withheld []string `json:"withheld,omitempty"`
}

// View renders an item at today, withholding what redact says.
func (v *Views) View(it *Item, today events.Date, redact Redaction) ItemView {
	iv := ItemView{ID: it.ID, Stream: it.Stream(), Kind: it.Kind, Status: it.Status(), Version: it.Core.Version, Unit: it.Unit(),
		Title: it.Title, Form: it.Form, Party: it.Party, Parties: it.Core.Parties, Classification: it.Class, OpenedOn: it.OpenedOn,
		CreatedPosition: it.Created, UpdatedPosition: it.Updated, LastHash: v.Hash(it.Updated).String(),
		Deadlines: v.Obligations(it, today)}
	iv.DerivedStatus = derivedStatus(it, iv.Deadlines, redact)
	if iv.Parties == nil {
		iv.Parties = []string{}
	}
	if iv.DerivedStatus == nil {
		iv.DerivedStatus = []string{}
	}
	if iv.Deadlines == nil {
		iv.Deadlines = []Obligation{}
	}
	// Each stored field takes at least 3 bytes beside its key and value,
	// and 4 in JSON (quotes, colon, comma): room for the usual case.
	denunciation := it.Facts.Pet != nil && it.Facts.Pet.Kind == events.PetitionDenunciation
	b := make([]byte, 1, len(it.Data)+len(it.Data)/4+8)
	b[0] = '{'
	for e, ok := readEntry(it.Data, 0); ok; e, ok = readEntry(it.Data, e.next) {
		if len(b) > 1 {
			b = append(b, ',')
		}
		if plainKey(e.key) {
			b = append(append(append(b, '"'), e.key...), '"')
		} else {
			b = append(b, quoteJSON(string(e.key))...)
		}
		b = append(b, ':')
		if redact&HideConfidential != 0 && classOf[e.class] == events.Confidential || redact&HidePersonal != 0 && IsPersonal(string(e.key)) ||
			redact&HideDenouncer != 0 && denunciation && IsPersonal(string(e.key)) {
			b = append(b, "null"...)
			iv.Redacted = append(iv.Redacted, string(e.key))
			continue
		}
		b = append(b, e.val...)
	}
	iv.Data = append(b, '}')
	titled := iv.Title != ""
	if redact&HideConfidential != 0 && it.Class == events.Confidential {
		iv.Title = "" // a confidential event may have set it
	}
	if redact.Withholds(it) {
		iv.Title, iv.Form, iv.Party, iv.Parties, iv.Withheld = "", "", "", []string{}, ItemWithheld
		for i := range iv.Deadlines {
			iv.Deadlines[i].Withhold()
		}
	} else if f := it.Public; f != nil && redact&HideConfidential != 0 {
		// What its public events say, not what a confidential one did.
		if iv.Party != f.Party {
			iv.Party, iv.Withheld = f.Party, append(iv.Withheld, "party")
		}
		if iv.Form != f.Form {
			iv.Form, iv.Withheld = f.Form, append(iv.Withheld, "form")
		}
		if !slices.Equal(iv.Parties, f.Parties) && !(len(iv.Parties) == 0 && len(f.Parties) == 0) {
			iv.Parties, iv.Withheld = append([]string{}, f.Parties...), append(iv.Withheld, "parties")
		}
		hidden := false
		for i := range iv.Deadlines {
			if f.hides(it, iv.Deadlines[i].Party, iv.Deadlines[i].Cites) {
				iv.Deadlines[i].Withhold()
				hidden = true
			}
		}
		if hidden {
			iv.Withheld = append(iv.Withheld, "deadlines")
		}
		if titled {
			iv.Withheld = append(iv.Withheld, "title")
		}
	}
	return iv
}

// plainKey reports whether key can be written between quotes as it is.
func plainKey(key []byte) bool {
	for _, c := range key {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
