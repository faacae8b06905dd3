package events

import "strings"

// Contribution events: opinions of MTTQ, its member organisations and the
// People on building the Party and the government (góp ý xây dựng Đảng, xây
// dựng chính quyền; QĐ 218-QĐ/TW, Luật MTTQ Art. 24; domain.md §2.7).
const (
	ContributionCollected   Type = "contribution.collected.v1"
	ContributionSynthesized Type = "contribution.synthesized.v1"
	ContributionSent        Type = "contribution.sent.v1"
	ContributionReceived    Type = "contribution.received.v1"
	ContributionResponded   Type = "contribution.responded.v1"
	ContributionClosed      Type = "contribution.closed.v1"
	ContributionCorrected   Type = "contribution.corrected.v1"
)

// Contribution states.
const (
	CoCollected   Status = "collected"
	CoSynthesized Status = "synthesized"
	CoSent        Status = "sent"
	CoReceived    Status = "received"
	CoResponded   Status = "responded"
	CoClosed      Status = "closed"
)

// ContributionForm is how opinions were gathered.
type ContributionForm string

// Contribution forms.
const (
	ContribConference         ContributionForm = "CONFERENCE"
	ContribWritten            ContributionForm = "WRITTEN"
	ContribCitizenFeedback    ContributionForm = "CITIZEN_FEEDBACK"
	ContribDialogue           ContributionForm = "DIALOGUE"
	ContribPartyCongressDraft ContributionForm = "PARTY_CONGRESS_DRAFT"
)

var contributionForms = enum(ContribConference, ContribWritten, ContribCitizenFeedback, ContribDialogue, ContribPartyCongressDraft)

// contributionOutcomes are the answers to a contribution.
var contributionOutcomes = enum(OutcomeAccepted, OutcomePartiallyAccepted, OutcomeExplainedNotAccepted, OutcomeNoted)

// ContributionCollectedData starts a contribution.
type ContributionCollectedData struct {
	Form          ContributionForm `json:"form"`
	Topic         string           `json:"topic"`
	TargetPartyID string           `json:"target_party_id"`
	CollectedOn   Date             `json:"collected_on"`
	Content       string           `json:"content"`
	PlanID        string           `json:"plan_id,omitempty"`
	PlanItemID    string           `json:"plan_item_id,omitempty"`
}

// Validate implements Payload.
func (d *ContributionCollectedData) Validate() error {
	return firstError(oneOf("data.form", d.Form, contributionForms...), required("data.topic", d.Topic), requiredID("data.target_party_id", d.TargetPartyID),
		requiredDate("data.collected_on", d.CollectedOn), requiredText("data.content", d.Content), optionalID("data.plan_id", d.PlanID), optionalID("data.plan_item_id", d.PlanItemID))
}

// ContributionSentData sends the synthesised opinions to the Party committee
// or government body.
type ContributionSentData struct {
	SentOn Date   `json:"sent_on"`
	Note   string `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *ContributionSentData) Validate() error {
	return firstError(requiredDate("data.sent_on", d.SentOn), optionalText("data.note", d.Note))
}

// ContributionReceivedData records receipt by the target.
type ContributionReceivedData struct {
	ReceivedOn Date `json:"received_on"`
}

// Validate implements Payload.
func (d *ContributionReceivedData) Validate() error {
	return requiredDate("data.received_on", d.ReceivedOn)
}

// ContributionRespondedData is the target's answer (tiếp thu, giải trình).
type ContributionRespondedData struct {
	RespondedOn Date    `json:"responded_on"`
	Outcome     Outcome `json:"outcome"`
	Text        string  `json:"text"`
	Explanation string  `json:"explanation,omitempty"`
}

// Validate implements Payload.
func (d *ContributionRespondedData) Validate() error {
	if err := firstError(requiredDate("data.responded_on", d.RespondedOn),
		oneOf("data.outcome", d.Outcome, contributionOutcomes...),
		requiredText("data.text", d.Text), optionalText("data.explanation", d.Explanation)); err != nil {
		return err
	}
	if (d.Outcome == OutcomeExplainedNotAccepted || d.Outcome == OutcomePartiallyAccepted) && strings.TrimSpace(d.Explanation) == "" {
		return FieldErrorf("data.explanation", "An answer of %s must explain what is not accepted and why.", d.Outcome)
	}
	return nil
}

var coAll = []Status{CoCollected, CoSynthesized, CoSent, CoReceived, CoResponded, CoClosed}

var contributionRules = &rules{
	kind:  KindContribution,
	final: []Status{CoClosed},
	specs: []spec{
		{typ: ContributionCollected, new: func() Payload { return new(ContributionCollectedData) }, to: CoCollected, roles: recorder},
		{typ: ContributionSynthesized, new: func() Payload { return new(SynthesizedData) }, from: []Status{CoCollected}, to: CoSynthesized, roles: recorder},
		{typ: ContributionSent, new: func() Payload { return new(ContributionSentData) }, from: []Status{CoSynthesized}, to: CoSent, roles: recorder},
		{typ: ContributionReceived, new: func() Payload { return new(ContributionReceivedData) }, from: []Status{CoSent}, to: CoReceived, roles: recorderRespondent},
		{typ: ContributionResponded, new: func() Payload { return new(ContributionRespondedData) }, from: []Status{CoSent, CoReceived}, to: CoResponded, roles: recorderRespondent},
		{typ: ContributionClosed, new: func() Payload { return new(ClosedData) }, from: []Status{CoSent, CoReceived, CoResponded}, to: CoClosed, roles: recorder},
		{typ: ContributionCorrected, new: func() Payload { return new(CorrectionData) }, from: coAll, roles: recorder},
	},
	decide: func(s *State, cmd Command, w World) error {
		if d, ok := cmd.Payload.(*ContributionCollectedData); ok {
			return firstError(needParty(w, "data.target_party_id", d.TargetPartyID), needPlanItem(w, d.PlanID, d.PlanItemID))
		}
		return decideCorrection(s, cmd)
	},
	evolve: func(s *State, t Type, p Payload) {
		if d, ok := p.(*ContributionCollectedData); ok {
			s.parties = idList(d.TargetPartyID)
		}
	},
}
