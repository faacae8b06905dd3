package events

import "strings"

// Recommendation events (kiến nghị after a supervision, a critique or a
// contribution; Luật MTTQ Art. 25.2, 29, 30; domain.md §2.3-2.4). The
// response is a value inside ResponseSubmitted. Deadlines run from the
// receipt date (RecommendationReceived), never from the sender's date.
const (
	RecommendationIssued                      Type = "recommendation.issued.v1"
	RecommendationReceived                    Type = "recommendation.received.v1"
	RecommendationAcknowledged                Type = "recommendation.acknowledged.v1"
	RecommendationResponseSubmitted           Type = "recommendation.response_submitted.v1"
	RecommendationExplanationSubmitted        Type = "recommendation.explanation_submitted.v1"
	RecommendationImplementationCommitted     Type = "recommendation.implementation_committed.v1"
	RecommendationImplementationEvidenceAdded Type = "recommendation.implementation_evidence_submitted.v1"
	RecommendationImplementationVerified      Type = "recommendation.implementation_verified.v1"
	RecommendationReminderSent                Type = "recommendation.reminder_sent.v1"
	RecommendationEscalated                   Type = "recommendation.escalated.v1"
	RecommendationDisputed                    Type = "recommendation.disputed.v1"
	RecommendationReviewRequested             Type = "recommendation.review_requested.v1"
	RecommendationReviewUpheld                Type = "recommendation.review_upheld.v1"
	RecommendationAmended                     Type = "recommendation.amended.v1"
	RecommendationWithdrawn                   Type = "recommendation.withdrawn.v1"
	RecommendationClosed                      Type = "recommendation.closed.v1"
	RecommendationCorrected                   Type = "recommendation.corrected.v1"
)

// Recommendation states.
const (
	RecIssued           Status = "issued"
	RecReceived         Status = "received"
	RecAcknowledged     Status = "acknowledged"
	RecResponded        Status = "responded"
	RecInImplementation Status = "in_implementation"
	RecImplemented      Status = "implemented"
	RecVerified         Status = "verified"
	RecDisputed         Status = "disputed"
	RecEscalated        Status = "escalated"
	RecReviewRequested  Status = "review_requested"
	RecClosed           Status = "closed"
	RecWithdrawn        Status = "withdrawn"
)

// SourceKind says what produced a recommendation.
type SourceKind string

// Recommendation sources.
const (
	SourceSupervision         SourceKind = "SUPERVISION"
	SourceCritique            SourceKind = "CRITIQUE"
	SourceContribution        SourceKind = "CONTRIBUTION"
	SourcePeoplesInspection   SourceKind = "PEOPLES_INSPECTION"
	SourceCommunityInvestment SourceKind = "COMMUNITY_INVESTMENT"
	SourcePetition            SourceKind = "PETITION"
	SourceOther               SourceKind = "OTHER"
)

var sourceKinds = enum(SourceSupervision, SourceCritique, SourceContribution, SourcePeoplesInspection, SourceCommunityInvestment, SourcePetition, SourceOther)

// sourceStream maps a source kind to the aggregate kind its source_id names.
var sourceStream = map[SourceKind]Kind{
	SourceSupervision: KindSupervision, SourceCritique: KindCritique, SourceContribution: KindContribution, SourcePetition: KindPetition,
}

// RecommendationIssuedData starts a recommendation.
type RecommendationIssuedData struct {
	SourceKind       SourceKind `json:"source_kind"`
	SourceID         string     `json:"source_id,omitempty"`
	AddresseePartyID string     `json:"addressee_party_id"`
	CopyPartyIDs     []string   `json:"copy_party_ids,omitempty"`
	Title            string     `json:"title"`
	Content          string     `json:"content"`
	IssuedOn         Date       `json:"issued_on"`
	// ResponseDays overrides the rule table's answer period for this item
	// when the issuing document sets one.
	ResponseDays int `json:"response_days,omitempty"`
}

// Validate implements Payload.
func (d *RecommendationIssuedData) Validate() error {
	err := firstError(
		oneOf("data.source_kind", d.SourceKind, sourceKinds...),
		optionalID("data.source_id", d.SourceID),
		requiredID("data.addressee_party_id", d.AddresseePartyID),
		optionalIDs("data.copy_party_ids", d.CopyPartyIDs),
		required("data.title", d.Title),
		requiredText("data.content", d.Content),
		requiredDate("data.issued_on", d.IssuedOn),
		nonNegative("data.response_days", d.ResponseDays),
	)
	if err == nil && sourceStream[d.SourceKind] != "" && d.SourceID == "" {
		return FieldErrorf("data.source_id", "A recommendation from a %s names it in data.source_id.", strings.ToLower(string(d.SourceKind)))
	}
	if err == nil && d.ResponseDays > 365 {
		return FieldErrorf("data.response_days", "data.response_days is more than a year.")
	}
	return err
}

// RecommendationReceivedData records the date the addressee received the
// recommendation: the trigger of its answer deadline.
type RecommendationReceivedData struct {
	ReceivedOn Date   `json:"received_on"`
	ReceivedBy string `json:"received_by,omitempty"`
}

// Validate implements Payload.
func (d *RecommendationReceivedData) Validate() error {
	return firstError(requiredDate("data.received_on", d.ReceivedOn), optional("data.received_by", d.ReceivedBy))
}

// AcknowledgedData records an acknowledgement without an answer yet.
type AcknowledgedData struct {
	AcknowledgedOn Date   `json:"acknowledged_on"`
	Note           string `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *AcknowledgedData) Validate() error {
	return firstError(requiredDate("data.acknowledged_on", d.AcknowledgedOn), optionalText("data.note", d.Note))
}

// ResponseSubmittedData is the written answer (trả lời, tiếp thu, giải
// trình) to a recommendation.
type ResponseSubmittedData struct {
	RespondedOn    Date     `json:"responded_on"`
	Outcome        Outcome  `json:"outcome"`
	Text           string   `json:"text"`
	Explanation    string   `json:"explanation,omitempty"`
	PlannedActions []string `json:"planned_actions,omitempty"`
	// CommitDueOn is the date by which the respondent commits to act.
	CommitDueOn         Date   `json:"commit_due_on,omitempty"`
	SignedBy            string `json:"signed_by,omitempty"`
	RedirectedToPartyID string `json:"redirected_to_party_id,omitempty"`
}

// Validate implements Payload.
func (d *ResponseSubmittedData) Validate() error {
	err := firstError(
		requiredDate("data.responded_on", d.RespondedOn),
		oneOf("data.outcome", d.Outcome, responseOutcomes...),
		requiredText("data.text", d.Text),
		optionalText("data.explanation", d.Explanation),
		optionalTexts("data.planned_actions", d.PlannedActions),
		optionalDate("data.commit_due_on", d.CommitDueOn),
		notBefore("data.commit_due_on", d.CommitDueOn, d.RespondedOn, "data.responded_on"),
		optional("data.signed_by", d.SignedBy),
		optionalID("data.redirected_to_party_id", d.RedirectedToPartyID),
	)
	switch {
	case err != nil:
		return err
	case (d.Outcome == OutcomeExplainedNotAccepted || d.Outcome == OutcomePartiallyAccepted) && strings.TrimSpace(d.Explanation) == "":
		// Luật MTTQ Art. 36 and Luật BHVBQPPL 2025 Art. 6.4: what is not
		// accepted must be explained.
		return FieldErrorf("data.explanation", "An answer of %s must explain what is not accepted and why.", d.Outcome)
	case d.Outcome == OutcomeRedirected && d.RedirectedToPartyID == "":
		return FieldErrorf("data.redirected_to_party_id", "A REDIRECTED answer names the competent party.")
	case d.Outcome != OutcomeRedirected && d.RedirectedToPartyID != "":
		return FieldErrorf("data.redirected_to_party_id", "Only a REDIRECTED answer names another party.")
	}
	return nil
}

// ExplanationSubmittedData adds an explanation to an answer.
type ExplanationSubmittedData struct {
	SubmittedOn Date   `json:"submitted_on"`
	Text        string `json:"text"`
}

// Validate implements Payload.
func (d *ExplanationSubmittedData) Validate() error {
	return firstError(requiredDate("data.submitted_on", d.SubmittedOn), requiredText("data.text", d.Text))
}

// ImplementationCommittedData commits to actions by a date.
type ImplementationCommittedData struct {
	CommittedOn Date     `json:"committed_on"`
	DueOn       Date     `json:"due_on"`
	Actions     []string `json:"actions"`
}

// Validate implements Payload.
func (d *ImplementationCommittedData) Validate() error {
	return firstError(requiredDate("data.committed_on", d.CommittedOn), requiredDate("data.due_on", d.DueOn),
		notBefore("data.due_on", d.DueOn, d.CommittedOn, "data.committed_on"), requiredTexts("data.actions", d.Actions))
}

// ImplementationEvidenceData reports what was done.
type ImplementationEvidenceData struct {
	SubmittedOn Date     `json:"submitted_on"`
	Evidence    string   `json:"evidence"`
	Documents   []string `json:"documents,omitempty"`
}

// Validate implements Payload.
func (d *ImplementationEvidenceData) Validate() error {
	return firstError(requiredDate("data.submitted_on", d.SubmittedOn), requiredText("data.evidence", d.Evidence), optionalTexts("data.documents", d.Documents))
}

// ImplementationVerifiedData records the supervisor's check of the
// implementation. A finding other than IMPLEMENTED sends the item back to
// implementation.
type ImplementationVerifiedData struct {
	VerifiedOn Date          `json:"verified_on"`
	Finding    FindingStatus `json:"finding"`
	Note       string        `json:"note,omitempty"`
}

// verifiedFindings are what a verification finds of an implementation.
var verifiedFindings = enum(FindingImplemented, FindingPartlyImplemented, FindingNotImplemented)

// Validate implements Payload.
func (d *ImplementationVerifiedData) Validate() error {
	return firstError(requiredDate("data.verified_on", d.VerifiedOn), oneOf("data.finding", d.Finding, verifiedFindings...),
		optionalText("data.note", d.Note))
}

// ReminderSentData records a reminder (đôn đốc).
type ReminderSentData struct {
	SentOn Date   `json:"sent_on"`
	Note   string `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *ReminderSentData) Validate() error {
	return firstError(requiredDate("data.sent_on", d.SentOn), optionalText("data.note", d.Note))
}

// EscalationChannel says to whom an item is escalated.
type EscalationChannel string

// Escalation channels (domain.md §2.3).
const (
	EscalateDirectSuperior   EscalationChannel = "DIRECT_SUPERIOR"
	EscalateHigherVFF        EscalationChannel = "HIGHER_VFF"
	EscalatePartyCommittee   EscalationChannel = "PARTY_COMMITTEE"
	EscalatePeoplesCouncil   EscalationChannel = "PEOPLES_COUNCIL"
	EscalatePeoplesCommittee EscalationChannel = "PEOPLES_COMMITTEE"
)

var escalationChannels = enum(EscalateDirectSuperior, EscalateHigherVFF, EscalatePartyCommittee, EscalatePeoplesCouncil, EscalatePeoplesCommittee)

// EscalatedData escalates an item to another body, which may then answer it.
type EscalatedData struct {
	EscalatedOn Date              `json:"escalated_on"`
	Channel     EscalationChannel `json:"channel"`
	ToPartyID   string            `json:"to_party_id"`
	Reason      string            `json:"reason"`
}

// Validate implements Payload.
func (d *EscalatedData) Validate() error {
	return firstError(requiredDate("data.escalated_on", d.EscalatedOn),
		oneOf("data.channel", d.Channel, escalationChannels...),
		requiredID("data.to_party_id", d.ToPartyID), requiredText("data.reason", d.Reason))
}

// DisputedData records that the supervisor disagrees with an answer.
type DisputedData struct {
	DisputedOn Date   `json:"disputed_on"`
	Reason     string `json:"reason"`
}

// Validate implements Payload.
func (d *DisputedData) Validate() error {
	return firstError(requiredDate("data.disputed_on", d.DisputedOn), requiredText("data.reason", d.Reason))
}

// ReviewRequestedData is the subject's request to review a recommendation
// (its right to explain and give feedback, Art. 29).
type ReviewRequestedData struct {
	RequestedOn Date   `json:"requested_on"`
	Reason      string `json:"reason"`
}

// Validate implements Payload.
func (d *ReviewRequestedData) Validate() error {
	return firstError(requiredDate("data.requested_on", d.RequestedOn), requiredText("data.reason", d.Reason))
}

// ReviewUpheldData keeps the recommendation as issued after a review.
type ReviewUpheldData struct {
	DecidedOn Date   `json:"decided_on"`
	Note      string `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *ReviewUpheldData) Validate() error {
	return firstError(requiredDate("data.decided_on", d.DecidedOn), optionalText("data.note", d.Note))
}

// AmendedData changes the recommendation's content.
type AmendedData struct {
	AmendedOn Date   `json:"amended_on"`
	Content   string `json:"content"`
	Reason    string `json:"reason"`
}

// Validate implements Payload.
func (d *AmendedData) Validate() error {
	return firstError(requiredDate("data.amended_on", d.AmendedOn), requiredText("data.content", d.Content), requiredText("data.reason", d.Reason))
}

// WithdrawnData withdraws an item.
type WithdrawnData struct {
	WithdrawnOn Date   `json:"withdrawn_on"`
	Reason      string `json:"reason"`
}

// Validate implements Payload.
func (d *WithdrawnData) Validate() error {
	return firstError(requiredDate("data.withdrawn_on", d.WithdrawnOn), requiredText("data.reason", d.Reason))
}

type recommendationFacts struct {
	outcome Outcome
}

var recAll = []Status{RecIssued, RecReceived, RecAcknowledged, RecResponded, RecInImplementation, RecImplemented, RecVerified,
	RecDisputed, RecEscalated, RecReviewRequested, RecClosed, RecWithdrawn}

var recommendationRules = &rules{
	kind:  KindRecommendation,
	final: []Status{RecClosed, RecWithdrawn},
	specs: []spec{
		{typ: RecommendationIssued, new: func() Payload { return new(RecommendationIssuedData) }, to: RecIssued, roles: recorder},
		{typ: RecommendationReceived, new: func() Payload { return new(RecommendationReceivedData) }, from: []Status{RecIssued}, to: RecReceived, roles: recorderRespondent},
		{typ: RecommendationAcknowledged, new: func() Payload { return new(AcknowledgedData) }, from: []Status{RecReceived}, to: RecAcknowledged, roles: recorderRespondent},
		{typ: RecommendationResponseSubmitted, new: func() Payload { return new(ResponseSubmittedData) }, from: []Status{RecIssued, RecReceived, RecAcknowledged, RecEscalated, RecDisputed}, to: RecResponded, roles: recorderRespondent},
		{typ: RecommendationExplanationSubmitted, new: func() Payload { return new(ExplanationSubmittedData) }, from: []Status{RecResponded, RecDisputed}, roles: recorderRespondent},
		{typ: RecommendationImplementationCommitted, new: func() Payload { return new(ImplementationCommittedData) }, from: []Status{RecResponded}, to: RecInImplementation, roles: recorderRespondent},
		{typ: RecommendationImplementationEvidenceAdded, new: func() Payload { return new(ImplementationEvidenceData) }, from: []Status{RecInImplementation}, to: RecImplemented, roles: recorderRespondent},
		{typ: RecommendationImplementationVerified, new: func() Payload { return new(ImplementationVerifiedData) }, from: []Status{RecImplemented}, roles: recorder},
		{typ: RecommendationReminderSent, new: func() Payload { return new(ReminderSentData) }, from: []Status{RecIssued, RecReceived, RecAcknowledged, RecInImplementation, RecEscalated, RecDisputed}, roles: recorder},
		{typ: RecommendationEscalated, new: func() Payload { return new(EscalatedData) }, from: []Status{RecReceived, RecAcknowledged, RecResponded, RecInImplementation, RecDisputed, RecEscalated}, to: RecEscalated, roles: recorder},
		{typ: RecommendationDisputed, new: func() Payload { return new(DisputedData) }, from: []Status{RecResponded}, to: RecDisputed, roles: recorder},
		{typ: RecommendationReviewRequested, new: func() Payload { return new(ReviewRequestedData) }, from: []Status{RecReceived, RecAcknowledged, RecResponded}, to: RecReviewRequested, roles: recorderRespondent},
		{typ: RecommendationReviewUpheld, new: func() Payload { return new(ReviewUpheldData) }, from: []Status{RecReviewRequested}, roles: recorder},
		{typ: RecommendationAmended, new: func() Payload { return new(AmendedData) }, from: []Status{RecIssued, RecReceived, RecAcknowledged, RecReviewRequested}, roles: recorder},
		{typ: RecommendationWithdrawn, new: func() Payload { return new(WithdrawnData) }, from: anyState, to: RecWithdrawn, roles: recorder},
		{typ: RecommendationClosed, new: func() Payload { return new(ClosedData) }, from: []Status{RecResponded, RecVerified, RecDisputed, RecEscalated, RecImplemented}, to: RecClosed, roles: recorder},
		{typ: RecommendationCorrected, new: func() Payload { return new(CorrectionData) }, from: recAll, roles: recorder},
	},
	decide: func(s *State, cmd Command, w World) error {
		f, _ := s.facts.(recommendationFacts)
		switch d := cmd.Payload.(type) {
		case *RecommendationIssuedData:
			if err := firstError(needParty(w, "data.addressee_party_id", d.AddresseePartyID), needParties(w, "data.copy_party_ids", d.CopyPartyIDs)); err != nil {
				return err
			}
			if k := sourceStream[d.SourceKind]; k != "" {
				return needStream(w, "data.source_id", k, d.SourceID)
			}
		case *ResponseSubmittedData:
			return needParty(w, "data.redirected_to_party_id", d.RedirectedToPartyID)
		case *ImplementationCommittedData:
			if f.outcome != OutcomeAccepted && f.outcome != OutcomePartiallyAccepted {
				return Errorf(EConflict, "%s was answered %s: only an accepted recommendation is implemented.", s.Stream(), f.outcome)
			}
		case *EscalatedData:
			return needParty(w, "data.to_party_id", d.ToPartyID)
		}
		return decideCorrection(s, cmd)
	},
	evolve: func(s *State, t Type, p Payload) {
		switch d := p.(type) {
		case *RecommendationIssuedData:
			s.parties = idList(d.AddresseePartyID)
			s.facts = recommendationFacts{}
		case *ResponseSubmittedData:
			s.facts = recommendationFacts{outcome: d.Outcome}
			s.parties = addParty(s.parties, d.RedirectedToPartyID)
		case *EscalatedData:
			s.parties = addParty(s.parties, d.ToPartyID)
		case *ImplementationVerifiedData:
			if d.Finding == FindingImplemented {
				s.status = RecVerified
			} else {
				s.status = RecInImplementation
			}
		case *ReviewRequestedData:
			s.prev = s.status
		case *ReviewUpheldData:
			s.status, s.prev = s.prev, ""
		case *AmendedData:
			if s.status == RecReviewRequested {
				s.status, s.prev = s.prev, ""
			}
		}
	},
}
