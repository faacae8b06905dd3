package events

import (
	"fmt"
	"slices"
	"strings"
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

// decideCorrection checks that a correction names an earlier version.
func decideCorrection(s *State, cmd Command) error {
	if c, ok := cmd.Payload.(*CorrectionData); ok && c.CorrectsVersion > s.version {
		return FieldErrorf("data.corrects_version", "%s has %d events; version %d does not exist.", s.Stream(), s.version, c.CorrectsVersion)
	}
	return nil
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

// RequestedBy says which side asked for a postponement.
type RequestedBy string

// Sides of a supervision.
const (
	BySubject    RequestedBy = "SUBJECT"
	BySupervisor RequestedBy = "SUPERVISOR"
)

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
