package events

import (
	"fmt"
	"slices"
)

// Social critique events (phản biện xã hội; Luật MTTQ Art. 32-36, NQLT 403
// Art. 14-19; domain.md §2.6). The drafting agency must send the draft at
// least 15 days before submitting it (Art. 36.1) and answer the critique in
// writing, explaining what it does not accept.
const (
	CritiqueRequested            Type = "critique.requested.v1"
	CritiqueDraftReceived        Type = "critique.draft_received.v1"
	CritiqueInformationRequested Type = "critique.information_requested.v1"
	CritiqueInformationProvided  Type = "critique.information_provided.v1"
	CritiqueConferenceHeld       Type = "critique.conference_held.v1"
	CritiqueConsultationSent     Type = "critique.consultation_sent.v1"
	CritiqueOpinionReceived      Type = "critique.opinion_received.v1"
	CritiqueDialogueHeld         Type = "critique.dialogue_held.v1"
	CritiqueSynthesized          Type = "critique.synthesized.v1"
	CritiqueDocumentIssued       Type = "critique.document_issued.v1"
	CritiqueDrafterResponded     Type = "critique.drafter_responded.v1"
	CritiqueForwardedToIssuer    Type = "critique.forwarded_to_issuer.v1"
	CritiqueDraftAdopted         Type = "critique.draft_adopted.v1"
	CritiqueClosed               Type = "critique.closed.v1"
	CritiqueCancelled            Type = "critique.cancelled.v1"
	CritiqueCorrected            Type = "critique.corrected.v1"
)

// Critique states.
const (
	CrRequested      Status = "requested"
	CrDraftReceived  Status = "draft_received"
	CrInProgress     Status = "in_progress"
	CrSynthesized    Status = "synthesized"
	CrDocumentIssued Status = "document_issued"
	CrResponded      Status = "responded"
	CrForwarded      Status = "forwarded"
	CrAdopted        Status = "adopted"
	CrClosed         Status = "closed"
	CrCancelled      Status = "cancelled"
)

// CritiqueForm is a form of social critique (Art. 34).
type CritiqueForm string

// Critique forms.
const (
	FormConference          CritiqueForm = "CONFERENCE"
	FormWrittenConsultation CritiqueForm = "WRITTEN_CONSULTATION"
	FormDialogue            CritiqueForm = "DIALOGUE"
)

var critiqueForms = enum(FormConference, FormWrittenConsultation, FormDialogue)

// CritiqueRequestedData starts a critique of a draft.
type CritiqueRequestedData struct {
	Title           string       `json:"title"`
	DraftTitle      string       `json:"draft_title"`
	DraftingPartyID string       `json:"drafting_party_id"`
	IssuerPartyID   string       `json:"issuer_party_id,omitempty"`
	Form            CritiqueForm `json:"form"`
	PlanID          string       `json:"plan_id,omitempty"`
	PlanItemID      string       `json:"plan_item_id,omitempty"`
	RequestedOn     Date         `json:"requested_on"`
	Content         string       `json:"content,omitempty"`
}

// Validate implements Payload.
func (d *CritiqueRequestedData) Validate() error {
	return firstError(required("data.title", d.Title), required("data.draft_title", d.DraftTitle), requiredID("data.drafting_party_id", d.DraftingPartyID),
		optionalID("data.issuer_party_id", d.IssuerPartyID), oneOf("data.form", d.Form, critiqueForms...), optionalID("data.plan_id", d.PlanID),
		optionalID("data.plan_item_id", d.PlanItemID), requiredDate("data.requested_on", d.RequestedOn), optionalText("data.content", d.Content))
}

// DraftReceivedData records receipt of the draft and the date the drafter
// plans to submit it to the issuing authority (Art. 36.1: ≥ 15 days later).
type DraftReceivedData struct {
	ReceivedOn   Date   `json:"received_on"`
	SubmissionOn Date   `json:"submission_on"`
	DraftVersion string `json:"draft_version,omitempty"`
}

// Validate implements Payload.
func (d *DraftReceivedData) Validate() error {
	return firstError(requiredDate("data.received_on", d.ReceivedOn), requiredDate("data.submission_on", d.SubmissionOn), optional("data.draft_version", d.DraftVersion))
}

// InformationRequestedData asks the drafter for information.
type InformationRequestedData struct {
	RequestID   string `json:"request_id"`
	RequestedOn Date   `json:"requested_on"`
	Description string `json:"description"`
	DueOn       Date   `json:"due_on,omitempty"`
}

// Validate implements Payload.
func (d *InformationRequestedData) Validate() error {
	return firstError(requiredID("data.request_id", d.RequestID), requiredDate("data.requested_on", d.RequestedOn), requiredText("data.description", d.Description),
		optionalDate("data.due_on", d.DueOn), notBefore("data.due_on", d.DueOn, d.RequestedOn, "data.requested_on"))
}

// InformationProvidedData records information provided for a request.
type InformationProvidedData struct {
	RequestID   string `json:"request_id"`
	ProvidedOn  Date   `json:"provided_on"`
	Description string `json:"description,omitempty"`
}

// Validate implements Payload.
func (d *InformationProvidedData) Validate() error {
	return firstError(requiredID("data.request_id", d.RequestID), requiredDate("data.provided_on", d.ProvidedOn), optionalText("data.description", d.Description))
}

// ConferenceHeldData records a critique conference (NQLT 403 Art. 15).
type ConferenceHeldData struct {
	HeldOn       Date   `json:"held_on"`
	Chair        string `json:"chair"`
	Participants int    `json:"participants"`
	Summary      string `json:"summary,omitempty"`
}

// Validate implements Payload.
func (d *ConferenceHeldData) Validate() error {
	return firstError(requiredDate("data.held_on", d.HeldOn), required("data.chair", d.Chair), positive("data.participants", d.Participants), optionalText("data.summary", d.Summary))
}

// ConsultationSentData sends the draft to experts and affected people
// (NQLT 403 Art. 16-17).
type ConsultationSentData struct {
	SentOn     Date     `json:"sent_on"`
	Recipients []string `json:"recipients"`
	DueOn      Date     `json:"due_on,omitempty"`
}

// Validate implements Payload.
func (d *ConsultationSentData) Validate() error {
	return firstError(requiredDate("data.sent_on", d.SentOn), requiredTexts("data.recipients", d.Recipients), optionalDate("data.due_on", d.DueOn))
}

// OpinionReceivedData records one written opinion.
type OpinionReceivedData struct {
	ReceivedOn Date   `json:"received_on"`
	From       string `json:"from"`
	Summary    string `json:"summary"`
}

// Validate implements Payload.
func (d *OpinionReceivedData) Validate() error {
	return firstError(requiredDate("data.received_on", d.ReceivedOn), required("data.from", d.From), requiredText("data.summary", d.Summary))
}

// DialogueHeldData records a direct dialogue with the drafter (NQLT 403
// Art. 18-19).
type DialogueHeldData struct {
	HeldOn       Date     `json:"held_on"`
	Participants []string `json:"participants"`
	Summary      string   `json:"summary,omitempty"`
}

// Validate implements Payload.
func (d *DialogueHeldData) Validate() error {
	return firstError(requiredDate("data.held_on", d.HeldOn), requiredTexts("data.participants", d.Participants), optionalText("data.summary", d.Summary))
}

// SynthesizedData records the synthesis of opinions (NQLT 403 Art. 17.1).
type SynthesizedData struct {
	SynthesizedOn Date   `json:"synthesized_on"`
	Summary       string `json:"summary"`
}

// Validate implements Payload.
func (d *SynthesizedData) Validate() error {
	return firstError(requiredDate("data.synthesized_on", d.SynthesizedOn), requiredText("data.summary", d.Summary))
}

// CritiquePoint is one numbered point of a critique document.
type CritiquePoint struct {
	PointID string `json:"point_id"`
	Text    string `json:"text"`
}

// CritiqueDocumentIssuedData issues the critique document to the drafter.
type CritiqueDocumentIssuedData struct {
	IssuedOn Date            `json:"issued_on"`
	Points   []CritiquePoint `json:"points"`
}

// Validate implements Payload.
func (d *CritiqueDocumentIssuedData) Validate() error {
	if err := requiredDate("data.issued_on", d.IssuedOn); err != nil {
		return err
	}
	if len(d.Points) == 0 {
		return FieldErrorf("data.points", "data.points needs at least one point.")
	}
	seen := map[string]bool{}
	for i, p := range d.Points {
		f := fmt.Sprintf("data.points[%d]", i)
		if err := firstError(requiredID(f+".point_id", p.PointID), requiredText(f+".text", p.Text)); err != nil {
			return err
		}
		if seen[p.PointID] {
			return FieldErrorf(f+".point_id", "Point %q is listed twice.", p.PointID)
		}
		seen[p.PointID] = true
	}
	return nil
}

// PointExplanation explains why a point was not accepted.
type PointExplanation struct {
	PointID     string `json:"point_id"`
	Explanation string `json:"explanation"`
}

// DrafterRespondedData is the drafter's written answer: the points it
// accepts and an explanation for each it does not. Points it leaves out are
// unanswered; the read side flags them.
type DrafterRespondedData struct {
	RespondedOn Date               `json:"responded_on"`
	Accepted    []string           `json:"accepted,omitempty"`
	Explained   []PointExplanation `json:"explained,omitempty"`
	Text        string             `json:"text,omitempty"`
}

// Validate implements Payload.
func (d *DrafterRespondedData) Validate() error {
	if err := firstError(requiredDate("data.responded_on", d.RespondedOn), optionalIDs("data.accepted", d.Accepted), optionalText("data.text", d.Text)); err != nil {
		return err
	}
	if len(d.Accepted) == 0 && len(d.Explained) == 0 {
		return FieldErrorf("data.accepted", "An answer accepts or explains at least one point.")
	}
	for i, e := range d.Explained {
		f := fmt.Sprintf("data.explained[%d]", i)
		if err := firstError(requiredID(f+".point_id", e.PointID), requiredText(f+".explanation", e.Explanation)); err != nil {
			return err
		}
		if slices.Contains(d.Accepted, e.PointID) {
			return FieldErrorf(f+".point_id", "Point %q is both accepted and explained.", e.PointID)
		}
	}
	return nil
}

// ForwardedToIssuerData records that the drafter sent the critique and its
// answer to the issuing authority.
type ForwardedToIssuerData struct {
	ForwardedOn Date   `json:"forwarded_on"`
	Note        string `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *ForwardedToIssuerData) Validate() error {
	return firstError(requiredDate("data.forwarded_on", d.ForwardedOn), optionalText("data.note", d.Note))
}

// DraftAdoptedData records the adoption of the document. It is allowed in
// any state after the draft arrived: adopting without answering the critique
// happens, and the read side flags it (OB_DRAFT_BYPASS).
type DraftAdoptedData struct {
	AdoptedOn Date   `json:"adopted_on"`
	Note      string `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *DraftAdoptedData) Validate() error {
	return firstError(requiredDate("data.adopted_on", d.AdoptedOn), optionalText("data.note", d.Note))
}

type critiqueFacts struct {
	form         CritiqueForm
	consultation bool
	points       []string
}

const (
	infoPrefix  = "info:"
	pointPrefix = "point:"
)

var crWorking = []Status{CrDraftReceived, CrInProgress, CrSynthesized}

var crAll = []Status{CrRequested, CrDraftReceived, CrInProgress, CrSynthesized, CrDocumentIssued, CrResponded, CrForwarded, CrAdopted, CrClosed, CrCancelled}

var critiqueRules = &rules{
	kind:  KindCritique,
	final: []Status{CrClosed, CrCancelled},
	specs: []spec{
		{typ: CritiqueRequested, new: func() Payload { return new(CritiqueRequestedData) }, to: CrRequested, roles: recorder},
		{typ: CritiqueDraftReceived, new: func() Payload { return new(DraftReceivedData) }, from: []Status{CrRequested}, to: CrDraftReceived, roles: recorderRespondent},
		{typ: CritiqueInformationRequested, new: func() Payload { return new(InformationRequestedData) }, from: crWorking, roles: recorder},
		{typ: CritiqueInformationProvided, new: func() Payload { return new(InformationProvidedData) }, from: crWorking, roles: recorderRespondent},
		{typ: CritiqueConferenceHeld, new: func() Payload { return new(ConferenceHeldData) }, from: crWorking[:2], to: CrInProgress, roles: recorder},
		{typ: CritiqueConsultationSent, new: func() Payload { return new(ConsultationSentData) }, from: crWorking[:2], to: CrInProgress, roles: recorder},
		{typ: CritiqueOpinionReceived, new: func() Payload { return new(OpinionReceivedData) }, from: []Status{CrInProgress}, roles: recorder},
		{typ: CritiqueDialogueHeld, new: func() Payload { return new(DialogueHeldData) }, from: crWorking[:2], to: CrInProgress, roles: recorder},
		{typ: CritiqueSynthesized, new: func() Payload { return new(SynthesizedData) }, from: []Status{CrInProgress}, to: CrSynthesized, roles: recorder},
		{typ: CritiqueDocumentIssued, new: func() Payload { return new(CritiqueDocumentIssuedData) }, from: []Status{CrSynthesized}, to: CrDocumentIssued, roles: recorder},
		{typ: CritiqueDrafterResponded, new: func() Payload { return new(DrafterRespondedData) }, from: []Status{CrDocumentIssued}, to: CrResponded, roles: recorderRespondent},
		{typ: CritiqueForwardedToIssuer, new: func() Payload { return new(ForwardedToIssuerData) }, from: []Status{CrResponded}, to: CrForwarded, roles: recorderRespondent},
		{typ: CritiqueDraftAdopted, new: func() Payload { return new(DraftAdoptedData) }, from: []Status{CrDraftReceived, CrInProgress, CrSynthesized, CrDocumentIssued, CrResponded, CrForwarded}, to: CrAdopted, roles: recorderRespondent},
		{typ: CritiqueClosed, new: func() Payload { return new(ClosedData) }, from: []Status{CrAdopted, CrForwarded}, to: CrClosed, roles: recorder},
		{typ: CritiqueCancelled, new: func() Payload { return new(CancelledData) }, from: anyState, to: CrCancelled, roles: recorder},
		{typ: CritiqueCorrected, new: func() Payload { return new(CorrectionData) }, from: crAll, roles: recorder},
	},
	decide: func(s *State, cmd Command, w World) error {
		f, _ := s.facts.(critiqueFacts)
		switch d := cmd.Payload.(type) {
		case *CritiqueRequestedData:
			return firstError(needParty(w, "data.drafting_party_id", d.DraftingPartyID), needParty(w, "data.issuer_party_id", d.IssuerPartyID),
				needPlanItem(w, d.PlanID, d.PlanItemID))
		case *InformationRequestedData:
			return requireNotOpen(s, "data.request_id", infoPrefix, d.RequestID, "information request")
		case *InformationProvidedData:
			return requireOpen(s, "data.request_id", infoPrefix, d.RequestID, "information request")
		case *OpinionReceivedData:
			if !f.consultation {
				return Errorf(EConflict, "%s sent no written consultation: there are no opinions to receive.", s.Stream())
			}
		case *DrafterRespondedData:
			for i, id := range d.Accepted {
				if !slices.Contains(f.points, id) {
					return FieldErrorf(fmt.Sprintf("data.accepted[%d]", i), "The critique document has no point %q.", id)
				}
			}
			for i, e := range d.Explained {
				if !slices.Contains(f.points, e.PointID) {
					return FieldErrorf(fmt.Sprintf("data.explained[%d].point_id", i), "The critique document has no point %q.", e.PointID)
				}
			}
		}
		return decideCorrection(s, cmd)
	},
	evolve: func(s *State, t Type, p Payload) {
		f, _ := s.facts.(critiqueFacts)
		switch d := p.(type) {
		case *CritiqueRequestedData:
			f = critiqueFacts{form: d.Form}
			s.parties = idList(d.DraftingPartyID)
		case *InformationRequestedData:
			s.open = withOpen(s.open, infoPrefix+d.RequestID)
		case *InformationProvidedData:
			s.open = withoutOpen(s.open, infoPrefix+d.RequestID)
		case *ConsultationSentData:
			f.consultation = true
		case *CritiqueDocumentIssuedData:
			f.points = make([]string, len(d.Points))
			for i, pt := range d.Points {
				f.points[i] = pt.PointID
			}
		}
		s.facts = f
	},
}
