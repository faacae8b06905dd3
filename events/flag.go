package events

import "strings"

// Flag review events. Flags (OB_* obstruction and MU_* misuse signals,
// domain.md §4) are derived by the read side and never stored; what is
// stored is the human review that closes one: an inspector's verdict and
// note, on the stream "flag/<flag ID>". A later review revises the verdict.
const (
	FlagReviewed       Type   = "flag.reviewed.v1"
	FlagReviewRevised  Type   = "flag.review_revised.v1"
	FlagCorrected      Type   = "flag.corrected.v1"
	FlagReviewedStatus Status = "reviewed"
)

// Verdict is an inspector's conclusion on a flag. Flags are signals, not
// findings: a verdict says what the review found.
type Verdict string

// Verdicts.
const (
	// VerdictConfirmed: the obstruction or misuse happened.
	VerdictConfirmed Verdict = "CONFIRMED"
	// VerdictDismissed: a false signal (for example a reply recorded late
	// in the ledger but sent on time).
	VerdictDismissed Verdict = "DISMISSED"
	// VerdictResolved: it happened and has since been put right.
	VerdictResolved Verdict = "RESOLVED"
)

// Verdicts lists every verdict.
var Verdicts = enum(VerdictConfirmed, VerdictDismissed, VerdictResolved)

// FlagReviewedData is an inspector's review of a derived flag.
type FlagReviewedData struct {
	// Code is the flag's code (OB_NO_RESPONSE, ...): the flag ID embeds it,
	// and the review repeats it so the record reads on its own.
	Code       string  `json:"code"`
	Verdict    Verdict `json:"verdict"`
	Note       string  `json:"note"`
	ReviewedOn Date    `json:"reviewed_on"`
}

// Validate implements Payload.
func (d *FlagReviewedData) Validate() error {
	err := firstError(required("data.code", d.Code), oneOf("data.verdict", d.Verdict, Verdicts...),
		requiredText("data.note", d.Note), requiredDate("data.reviewed_on", d.ReviewedOn))
	if err == nil && !validFlagCode(d.Code) {
		return FieldErrorf("data.code", "%q is not a flag code (OB_... or MU_..., capital letters and underscores).", d.Code)
	}
	return err
}

func validFlagCode(c string) bool {
	if !strings.HasPrefix(c, "OB_") && !strings.HasPrefix(c, "MU_") || len(c) > 40 {
		return false
	}
	for _, r := range c {
		if (r < 'A' || r > 'Z') && r != '_' {
			return false
		}
	}
	return true
}

type flagFacts struct{ code string }

var flagRules = &rules{
	kind: KindFlag,
	specs: []spec{
		{typ: FlagReviewed, new: func() Payload { return new(FlagReviewedData) }, to: FlagReviewedStatus, roles: []Role{RoleInspector}},
		{typ: FlagReviewRevised, new: func() Payload { return new(FlagReviewedData) }, from: []Status{FlagReviewedStatus}, to: FlagReviewedStatus, roles: []Role{RoleInspector}},
		{typ: FlagCorrected, new: func() Payload { return new(CorrectionData) }, from: []Status{FlagReviewedStatus}, roles: []Role{RoleInspector}},
	},
	decide: func(s *State, cmd Command, w World) error { return decideCorrection(s, cmd) },
	evolve: func(s *State, t Type, p Payload) {
		if d, ok := p.(*FlagReviewedData); ok {
			s.facts = flagFacts{code: d.Code}
		}
	},
}
