package events

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Person is a citizen named in a petition or an information request. It is
// personal data: views for observers redact it.
type Person struct {
	Name     string `json:"name"`
	Address  string `json:"address,omitempty"`
	Phone    string `json:"phone,omitempty"`
	IDNumber string `json:"id_number,omitempty"`
	Email    string `json:"email,omitempty"`
}

func (p Person) validate(field string, needName bool) error {
	if needName {
		if err := required(field+".name", p.Name); err != nil {
			return err
		}
	}
	return firstError(
		optional(field+".name", p.Name),
		optional(field+".address", p.Address),
		maxRunes(field+".phone", p.Phone, 40),
		maxRunes(field+".id_number", p.IDNumber, 40),
		maxRunes(field+".email", p.Email, 200),
	)
}

// AdverseAction is a kind of action a body takes against a person.
type AdverseAction string

// Adverse actions (domain.md §4.1 OB_RETALIATION_SIGNAL).
const (
	ActionDiscipline AdverseAction = "DISCIPLINE" // kỷ luật
	ActionFine       AdverseAction = "FINE"       // xử phạt
	ActionTransfer   AdverseAction = "TRANSFER"   // điều chuyển công tác
	ActionDismissal  AdverseAction = "DISMISSAL"  // buộc thôi việc, cho thôi việc
	ActionOther      AdverseAction = "OTHER"
)

var adverseActions = enum(ActionDiscipline, ActionFine, ActionTransfer, ActionDismissal, ActionOther)

// AdverseActionData records an action a body took against a petitioner
// (on the petition) or a member of a supervision (on the supervision, who
// is named in Member), as MTTQ learns of it: a fine, a disciplinary
// measure, a transfer. The law forbids retaliating against those who
// complain or denounce (Luật Khiếu nại 2011 Art. 6, Luật Tố cáo 2018
// Art. 8); the read side raises OB_RETALIATION_SIGNAL for human review,
// not as a finding. What was done to whom is personal data: the action is
// one field, adverse_action, which observers do not see (nor, on a
// denunciation, the body it went to).
type AdverseActionData struct {
	AdverseAction AdverseActionTaken `json:"adverse_action"`
}

// AdverseActionTaken is the action of an AdverseActionData.
type AdverseActionTaken struct {
	ActionOn    Date          `json:"action_on"`
	ByPartyID   string        `json:"by_party_id"`
	Action      AdverseAction `json:"action"`
	Member      string        `json:"member,omitempty"`
	Description string        `json:"description"`
}

// Validate implements Payload.
func (d *AdverseActionData) Validate() error {
	a := d.AdverseAction
	return firstError(requiredDate("data.adverse_action.action_on", a.ActionOn), requiredID("data.adverse_action.by_party_id", a.ByPartyID),
		oneOf("data.adverse_action.action", a.Action, adverseActions...), memberName("data.adverse_action.member", a.Member, false),
		requiredText("data.adverse_action.description", a.Description))
}

// decideAdverseAction checks an adverse action: a registered body, and a
// member named exactly when the record is a supervision.
func decideAdverseAction(s *State, d *AdverseActionData, w World, member bool) error {
	switch a := d.AdverseAction; {
	case member && a.Member == "":
		return FieldErrorf("data.adverse_action.member", "Name the member of the supervision the action was taken against.")
	case !member && a.Member != "":
		return FieldErrorf("data.adverse_action.member", "An action recorded on %s is against its petitioner: leave member out.", s.Stream())
	}
	return needParty(w, "data.adverse_action.by_party_id", d.AdverseAction.ByPartyID)
}

// memberName checks the name of a member of a supervision, which may go on
// after a comma with a title or an organisation ("Lê Quang Hưng, Hội Nông
// dân"): the part before the comma names the member, so it has a letter.
func memberName(field, v string, required bool) error {
	if v == "" && !required {
		return nil
	}
	if err := optional(field, v); err != nil {
		return err
	}
	name, _, _ := strings.Cut(v, ",")
	if !strings.ContainsFunc(name, unicode.IsLetter) {
		return FieldErrorf(field, "%s names the member before any comma (\"Lê Quang Hưng, Hội Nông dân\"): %q names no one.", field, v)
	}
	return nil
}

// CorrectionData is the payload of every "<kind>.corrected.v1" event. The
// ledger never edits an event: a correction names the version it corrects,
// why, and the corrected values by field name.
type CorrectionData struct {
	CorrectsVersion uint64            `json:"corrects_version"`
	Reason          string            `json:"reason"`
	Changes         map[string]string `json:"changes"`
}

// Validate implements Payload.
func (d *CorrectionData) Validate() error {
	if d.CorrectsVersion == 0 {
		return FieldErrorf("data.corrects_version", "data.corrects_version must name the version being corrected (1 or more).")
	}
	if err := requiredText("data.reason", d.Reason); err != nil {
		return err
	}
	if len(d.Changes) == 0 {
		return FieldErrorf("data.changes", "data.changes needs at least one corrected field.")
	}
	keys := make([]string, 0, len(d.Changes))
	for k := range d.Changes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if k == "" || len(k) > 100 || strings.ContainsAny(k, " \t\n") {
			return FieldErrorf("data.changes", "%q is not a field name.", k)
		}
		if err := optionalText("data.changes."+k, d.Changes[k]); err != nil {
			return err
		}
	}
	return nil
}

// decideCorrection checks that a correction names an earlier version and
// fields the kind's events have, each with a value of the field's type (a
// date, a whole number, true or false; other fields take text). A field
// that names another record (a party, a unit, a plan, a source: its name
// ends in _id or _ids) is not corrected: deadlines, flags, indexes and
// scopes follow whom and what a record concerns, so that is recorded anew.
// (These checks are made on writes only: corrections written before them
// still decode, and the views take what they can of them.)
func decideCorrection(s *State, cmd Command) error {
	c, ok := cmd.Payload.(*CorrectionData)
	if !ok {
		return nil
	}
	if c.CorrectsVersion > s.version {
		return FieldErrorf("data.corrects_version", "%s has %d events; version %d does not exist.", s.Stream(), s.version, c.CorrectsVersion)
	}
	fields := correctable()[s.kind]
	for _, k := range slices.Sorted(maps.Keys(c.Changes)) {
		field, v := "data.changes."+k, c.Changes[k]
		if strings.HasSuffix(k, "_id") || strings.HasSuffix(k, "_ids") {
			return FieldErrorf(field, "%s names another record; a correction does not change whom or what a record concerns (its deadlines, flags and scopes follow it): record it anew.", k)
		}
		if why, ok := recordedAnew[s.kind][k]; ok {
			return FieldErrorf(field, "%s", why)
		}
		t, ok := fields[k]
		if !ok {
			return FieldErrorf(field, "No %s event has a field %q.", s.kind, k)
		}
		switch {
		case t == dateType:
			if !Date(v).Valid() {
				return FieldErrorf(field, "%s is a date: %q is not one (YYYY-MM-DD).", k, v)
			}
			// (A date of what has happened is bound closer by checkFactDates.)
			if err := aheadDateInRange(field, Date(v)); err != nil {
				return err
			}
		case t == nil: // of different types in different events
		case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return FieldErrorf(field, "%s is a whole number, 0 or more: %q is not one.", k, v)
			}
			if strings.HasSuffix(k, "days") && n > 366 {
				return FieldErrorf(field, "%s is a number of days: %d is more than a year.", k, n)
			}
		case t.Kind() == reflect.Bool:
			if v != "true" && v != "false" {
				return FieldErrorf(field, "%s is true or false: %q is neither.", k, v)
			}
		case enumValues[t] != nil:
			// (Some events take fewer of the type's values: checkCorrected
			// runs the corrected event's own checks.)
			if values := enumValues[t]; !slices.Contains(values, v) {
				return FieldErrorf(field, "%s is one of %s: %q is not one.", k, strings.Join(values, ", "), v)
			}
		}
	}
	return nil
}

// recordedAnew names, by kind, the fields that decide what follows from a
// record (deadlines, whose identity is protected) which a correction would
// change on the record only: each is recorded anew with the event that set
// it, and a correction naming it is refused with the reason.
var recordedAnew = map[Kind]map[string]string{
	KindPetition:    {"petition_kind": "petition_kind decides the petition's deadlines and whether its petitioner's identity is protected (a denunciation's is): it is not corrected. Before the petition is forwarded, record petition.classified.v1 again with the right kind."},
	KindInfoRequest: {"complexity": "complexity decides the request's deadlines: it is not corrected. Before a timeline, an extension or an answer is recorded, record info_request.validated.v1 again with the right complexity."},
	KindSupervision: {
		"form":         "form decides the supervision's steps (a delegation, working sessions before the result report) and how reports count it: it is not corrected. Cancel the supervision (supervision.cancelled.v1) and record it anew with the right form.",
		"follow_up_of": "follow_up_of names, with recommendation_ids, the supervision this one follows up (a follow-up does not overlap it, MU_OVERLAP): a correction does not change what a record concerns. Cancel the supervision (supervision.cancelled.v1) and record it anew.",
		"requested_by": "requested_by decides whether a postponement counts against the subject (OB_SESSION_POSTPONED): it is not corrected. A flag raised on a postponement the subject did not ask for is reviewed (flag.reviewed.v1) and dismissed.",
	},
	KindCritique: {"form": "form decides the critique's steps (a conference, a written consultation, a dialogue) and how reports count it: it is not corrected. Cancel the critique (critique.cancelled.v1) and record it anew with the right form."},
	KindRecommendation: {
		"outcome":     "outcome decides what may follow the answer (only an accepted recommendation is implemented), its status, its flags and the reports: it is not corrected. While the answer is the latest step, record recommendation.disputed.v1 and then the response again with the right outcome (its date stays the first answer's).",
		"source_kind": "source_kind names, with source_id, the record the recommendation came from: a correction does not change what a record concerns. Withdraw it (recommendation.withdrawn.v1) and record it anew.",
		"finding":     "finding decides the recommendation's status (verified, or back in implementation) and whether reports count it implemented: it is not corrected. A finding other than IMPLEMENTED returns it to implementation, and the next verification records the right one.",
	},
}

// correctable maps each kind to the fields of its events' payloads, by
// the name a correction gives them (a nested object's as "parent.child"),
// each with its type (nil where events disagree).
var correctable = sync.OnceValue(func() map[Kind]map[string]reflect.Type {
	out := map[Kind]map[string]reflect.Type{}
	for typ, sp := range specsByType {
		t := reflect.TypeOf(sp.new()).Elem()
		if t == reflect.TypeFor[CorrectionData]() {
			continue
		}
		fields := out[typ.Kind()]
		if fields == nil {
			fields = map[string]reflect.Type{}
			out[typ.Kind()] = fields
		}
		leafFields(t, true, func(path, _ string, _ []int, ft reflect.Type) {
			if old, seen := fields[path]; seen && old != ft {
				ft = nil
			}
			fields[path] = ft
		})
	}
	return out
})

// leafFields calls fn for each field of struct type t that is not itself a
// struct, by the name a payload gives it: its path ("parent.child" in a
// nested struct; an embedded struct's fields as t's own), its own name, its
// index path and its type. Pointers to structs (and a leaf's pointer) are
// followed only if throughPointers: an index path through a pointer cannot
// be read off a value whose pointer is nil.
func leafFields(t reflect.Type, throughPointers bool, fn func(path, name string, index []int, ft reflect.Type)) {
	var walk func(t reflect.Type, index []int, prefix string)
	walk = func(t reflect.Type, index []int, prefix string) {
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			ft := f.Type
			for throughPointers && ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			at := append(slices.Clone(index), f.Index...)
			switch {
			case f.Anonymous && name == "" && ft.Kind() == reflect.Struct:
				walk(ft, at, prefix)
			case ft.Kind() == reflect.Struct:
				walk(ft, at, prefix+cmp.Or(name, f.Name)+".")
			default:
				fn(prefix+cmp.Or(name, f.Name), cmp.Or(name, f.Name), at, ft)
			}
		}
	}
	walk(t, nil, "")
}

// everyStatus lists states including final ones, for events (corrections)
// allowed at any time.
func everyStatus(ss ...Status) []Status { return ss }

// Outcome is a respondent's answer to a recommendation or a contribution.
type Outcome string

// Outcomes of a response (domain.md §2.4).
const (
	OutcomeAccepted             Outcome = "ACCEPTED"
	OutcomePartiallyAccepted    Outcome = "PARTIALLY_ACCEPTED"
	OutcomeExplainedNotAccepted Outcome = "EXPLAINED_NOT_ACCEPTED"
	OutcomeRedirected           Outcome = "REDIRECTED"
	// OutcomeNoted is a reply that only "takes note" without deciding: the
	// ledger records it, and the read side flags it (OB_EMPTY_RESPONSE).
	OutcomeNoted Outcome = "NOTED"
)

// responseOutcomes are the answers to a recommendation.
var responseOutcomes = enum(OutcomeAccepted, OutcomePartiallyAccepted, OutcomeExplainedNotAccepted, OutcomeRedirected, OutcomeNoted)

// RequestedBy says which side asked for a postponement.
type RequestedBy string

// Sides of a supervision.
const (
	BySubject    RequestedBy = "SUBJECT"
	BySupervisor RequestedBy = "SUPERVISOR"
)

var requesters = enum(BySubject, BySupervisor)

func idList(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func addParty(parties []string, id string) []string {
	if id == "" || slices.Contains(parties, id) {
		return parties
	}
	return append(slices.Clip(parties), id)
}

// requireOpen checks that an ID refers to something still open.
func requireOpen(s *State, field, prefix, id string, what string) error {
	if !s.isOpen(prefix + id) {
		return &Error{Code: EConflict, Field: field, Message: fmt.Sprintf("%s has no open %s %q.", s.Stream(), what, id)}
	}
	return nil
}

// requireNotOpen checks that an ID is not already in use.
func requireNotOpen(s *State, field, prefix, id string, what string) error {
	if s.isOpen(prefix + id) {
		return &Error{Code: EConflict, Field: field, Message: fmt.Sprintf("%s already has an open %s %q.", s.Stream(), what, id)}
	}
	return nil
}
