package events

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Supervision events (giám sát; Luật MTTQ Art. 25-31, NQLT 403 Art. 4-13;
// domain.md §2.2). A follow-up (giám sát lại, §2.5) is a supervision whose
// planned event names follow_up_of and the open recommendations it checks.
const (
	SupervisionPlanned                 Type = "supervision.planned.v1"
	SupervisionDelegationEstablished   Type = "supervision.delegation_established.v1"
	SupervisionNotified                Type = "supervision.notified.v1"
	SupervisionReportOutlineSent       Type = "supervision.report_outline_sent.v1"
	SupervisionSubjectReportReceived   Type = "supervision.subject_report_received.v1"
	SupervisionDocumentRequested       Type = "supervision.document_requested.v1"
	SupervisionDocumentProvided        Type = "supervision.document_provided.v1"
	SupervisionDocumentRefused         Type = "supervision.document_refused.v1"
	SupervisionSessionScheduled        Type = "supervision.session_scheduled.v1"
	SupervisionSessionHeld             Type = "supervision.session_held.v1"
	SupervisionSessionPostponed        Type = "supervision.session_postponed.v1"
	SupervisionResultReportSubmitted   Type = "supervision.result_report_submitted.v1"
	SupervisionResultReportIssued      Type = "supervision.result_report_issued.v1"
	SupervisionFollowUpFindingRecorded Type = "supervision.follow_up_finding_recorded.v1"
	SupervisionPostponed               Type = "supervision.postponed.v1"
	SupervisionResumed                 Type = "supervision.resumed.v1"
	SupervisionClosed                  Type = "supervision.closed.v1"
	SupervisionCancelled               Type = "supervision.cancelled.v1"
	SupervisionCorrected               Type = "supervision.corrected.v1"
	SupervisionInterestDeclared        Type = "supervision.interest_declared.v1"
	SupervisionAdverseAction           Type = "supervision.adverse_action_recorded.v1"
)

// Supervision states.
const (
	SupPlanned               Status = "planned"
	SupDelegationEstablished Status = "delegation_established"
	SupNotified              Status = "notified"
	SupReportRequested       Status = "report_requested"
	SupReportReceived        Status = "report_received"
	SupInSession             Status = "in_session"
	SupResultSubmitted       Status = "result_report_submitted"
	SupResultIssued          Status = "result_report_issued"
	SupClosed                Status = "closed"
	SupCancelled             Status = "cancelled"
	SupPostponed             Status = "postponed"
)

// SupervisionForm is a form of supervision (Luật MTTQ Art. 27, NQLT 403).
type SupervisionForm string

// Supervision forms.
const (
	FormDocumentReview              SupervisionForm = "DOCUMENT_REVIEW"
	FormDelegation                  SupervisionForm = "DELEGATION"
	FormViaPeoplesInspection        SupervisionForm = "VIA_PEOPLES_INSPECTION"
	FormViaCommunityInvestmentBoard SupervisionForm = "VIA_COMMUNITY_INVESTMENT_BOARD"
	FormJointWithAuthority          SupervisionForm = "JOINT_WITH_AUTHORITY"
)

var supervisionForms = enum(FormDocumentReview, FormDelegation, FormViaPeoplesInspection, FormViaCommunityInvestmentBoard, FormJointWithAuthority)

// SupervisionMode says whether a supervision was planned or unscheduled.
type SupervisionMode string

// Supervision modes.
const (
	ModePlanned     SupervisionMode = "PLANNED"
	ModeUnscheduled SupervisionMode = "UNSCHEDULED"
)

var supervisionModes = enum(ModePlanned, ModeUnscheduled)

// SupervisionScope says whether a supervision is thematic or regular.
type SupervisionScope string

// Supervision scopes.
const (
	ScopeThematic SupervisionScope = "THEMATIC"
	ScopeRegular  SupervisionScope = "REGULAR"
)

var supervisionScopes = enum(ScopeThematic, ScopeRegular)

// SupervisionPlannedData starts a supervision.
type SupervisionPlannedData struct {
	Title           string           `json:"title"`
	Topic           string           `json:"topic"`
	Form            SupervisionForm  `json:"form"`
	Mode            SupervisionMode  `json:"mode"`
	Scope           SupervisionScope `json:"scope"`
	SubjectPartyIDs []string         `json:"subject_party_ids"`
	ChairPartyID    string           `json:"chair_party_id,omitempty"`
	// JointWithPartyID is the competent body whose delegation MTTQ joins
	// (form JOINT_WITH_AUTHORITY).
	JointWithPartyID string `json:"joint_with_party_id,omitempty"`
	PlanID           string `json:"plan_id,omitempty"`
	PlanItemID       string `json:"plan_item_id,omitempty"`
	PlannedStart     Date   `json:"planned_start"`
	PlannedEnd       Date   `json:"planned_end,omitempty"`
	// FollowUpOf names the supervision this one follows up; then
	// RecommendationIDs lists the open recommendations it checks.
	FollowUpOf        string   `json:"follow_up_of,omitempty"`
	RecommendationIDs []string `json:"recommendation_ids,omitempty"`
	Content           string   `json:"content,omitempty"`
}

// Validate implements Payload.
func (d *SupervisionPlannedData) Validate() error {
	err := firstError(
		required("data.title", d.Title),
		required("data.topic", d.Topic),
		oneOf("data.form", d.Form, supervisionForms...),
		oneOf("data.mode", d.Mode, supervisionModes...),
		oneOf("data.scope", d.Scope, supervisionScopes...),
		requiredIDs("data.subject_party_ids", d.SubjectPartyIDs),
		optionalID("data.chair_party_id", d.ChairPartyID),
		optionalID("data.joint_with_party_id", d.JointWithPartyID),
		optionalID("data.plan_id", d.PlanID),
		optionalID("data.plan_item_id", d.PlanItemID),
		requiredDate("data.planned_start", d.PlannedStart),
		optionalDate("data.planned_end", d.PlannedEnd),
		notBefore("data.planned_end", d.PlannedEnd, d.PlannedStart, "data.planned_start"),
		optionalID("data.follow_up_of", d.FollowUpOf),
		optionalIDs("data.recommendation_ids", d.RecommendationIDs),
		optionalText("data.content", d.Content),
	)
	switch {
	case err != nil:
		return err
	case d.Form == FormJointWithAuthority && d.JointWithPartyID == "":
		return FieldErrorf("data.joint_with_party_id", "A joint supervision names the competent body that invited MTTQ.")
	case d.FollowUpOf == "" && len(d.RecommendationIDs) > 0:
		return FieldErrorf("data.recommendation_ids", "Only a follow-up (data.follow_up_of) lists recommendations to check.")
	case d.FollowUpOf != "" && len(d.RecommendationIDs) == 0:
		return FieldErrorf("data.recommendation_ids", "A follow-up lists the recommendations it checks.")
	case d.Mode == ModePlanned && d.PlanID == "" && d.FollowUpOf == "":
		return FieldErrorf("data.plan_id", "A PLANNED supervision names its plan; use mode UNSCHEDULED otherwise.")
	}
	return nil
}

// DelegationEstablishedData records the decision establishing the
// delegation (NQLT 403 Art. 7.1).
type DelegationEstablishedData struct {
	DecidedOn Date     `json:"decided_on"`
	Head      string   `json:"head"`
	Members   []string `json:"members"`
}

// Validate implements Payload.
func (d *DelegationEstablishedData) Validate() error {
	return firstError(requiredDate("data.decided_on", d.DecidedOn), required("data.head", d.Head), requiredTexts("data.members", d.Members))
}

// Relation is how a member of a supervision's delegation or board is tied
// to its subject (domain.md §4.2 MU_CONFLICT_OF_INTEREST).
type Relation string

// Relations to a subject.
const (
	RelationKin        Relation = "KIN"        // a relative works there or leads it
	RelationEmployment Relation = "EMPLOYMENT" // works or worked there
	RelationBusiness   Relation = "BUSINESS"   // business or financial ties
	RelationOther      Relation = "OTHER"
)

var relations = enum(RelationKin, RelationEmployment, RelationBusiness, RelationOther)

// InterestDeclaredData records a relation a member of the supervision
// (the delegation's head or one of its members, or whoever takes part)
// declares to one of its subjects, and whether that member stands aside
// from it (Decree 59/2023 Art. 12: supervision is objective). A later
// declaration of the same member and subject replaces the earlier one: a
// recusal declared after the relation, say.
type InterestDeclaredData struct {
	DeclaredOn Date     `json:"declared_on"`
	Member     string   `json:"member"`
	PartyID    string   `json:"party_id"`
	Relation   Relation `json:"relation"`
	Detail     string   `json:"detail,omitempty"`
	Recused    bool     `json:"recused"`
}

// Validate implements Payload.
func (d *InterestDeclaredData) Validate() error {
	return firstError(requiredDate("data.declared_on", d.DeclaredOn), memberName("data.member", d.Member, true), requiredID("data.party_id", d.PartyID),
		oneOf("data.relation", d.Relation, relations...), optionalText("data.detail", d.Detail))
}

// SupervisionNotifiedData records the notice to the supervised party and its
// direct superior (Art. 29.1: the right to advance notice).
type SupervisionNotifiedData struct {
	NotifiedOn       Date     `json:"notified_on"`
	NotifiedPartyIDs []string `json:"notified_party_ids"`
}

// Validate implements Payload.
func (d *SupervisionNotifiedData) Validate() error {
	return firstError(requiredDate("data.notified_on", d.NotifiedOn), requiredIDs("data.notified_party_ids", d.NotifiedPartyIDs))
}

// ReportOutlineSentData records the report outline (đề cương) sent to the
// subject and the date its report is due.
type ReportOutlineSentData struct {
	SentOn      Date `json:"sent_on"`
	ReportDueOn Date `json:"report_due_on"`
}

// Validate implements Payload.
func (d *ReportOutlineSentData) Validate() error {
	return firstError(requiredDate("data.sent_on", d.SentOn), requiredDate("data.report_due_on", d.ReportDueOn),
		notBefore("data.report_due_on", d.ReportDueOn, d.SentOn, "data.sent_on"))
}

// SubjectReportReceivedData records the receipt of the subject's report.
type SubjectReportReceivedData struct {
	ReceivedOn Date   `json:"received_on"`
	Summary    string `json:"summary,omitempty"`
}

// Validate implements Payload.
func (d *SubjectReportReceivedData) Validate() error {
	return firstError(requiredDate("data.received_on", d.ReceivedOn), optionalText("data.summary", d.Summary))
}

// DocumentRequestedData asks the subject for documents (NQLT 403 Art. 23.1:
// bodies must fulfil MTTQ's requests).
type DocumentRequestedData struct {
	RequestID   string `json:"request_id"`
	PartyID     string `json:"party_id"`
	Description string `json:"description"`
	RequestedOn Date   `json:"requested_on"`
	DueOn       Date   `json:"due_on"`
}

// Validate implements Payload.
func (d *DocumentRequestedData) Validate() error {
	return firstError(requiredID("data.request_id", d.RequestID), requiredID("data.party_id", d.PartyID), requiredText("data.description", d.Description),
		requiredDate("data.requested_on", d.RequestedOn), requiredDate("data.due_on", d.DueOn), notBefore("data.due_on", d.DueOn, d.RequestedOn, "data.requested_on"))
}

// DocumentProvidedData records documents provided for a request.
type DocumentProvidedData struct {
	RequestID   string `json:"request_id"`
	ProvidedOn  Date   `json:"provided_on"`
	Description string `json:"description,omitempty"`
}

// Validate implements Payload.
func (d *DocumentProvidedData) Validate() error {
	return firstError(requiredID("data.request_id", d.RequestID), requiredDate("data.provided_on", d.ProvidedOn), optionalText("data.description", d.Description))
}

// DocumentRefusedData records a refusal to provide requested documents.
type DocumentRefusedData struct {
	RequestID string `json:"request_id"`
	RefusedOn Date   `json:"refused_on"`
	Reason    string `json:"reason,omitempty"`
}

// Validate implements Payload.
func (d *DocumentRefusedData) Validate() error {
	return firstError(requiredID("data.request_id", d.RequestID), requiredDate("data.refused_on", d.RefusedOn), optionalText("data.reason", d.Reason))
}

// SessionScheduledData schedules a working session (cuộc làm việc).
type SessionScheduledData struct {
	SessionID   string `json:"session_id"`
	ScheduledOn Date   `json:"scheduled_on"`
	Place       string `json:"place,omitempty"`
}

// Validate implements Payload.
func (d *SessionScheduledData) Validate() error {
	return firstError(requiredID("data.session_id", d.SessionID), requiredDate("data.scheduled_on", d.ScheduledOn), optional("data.place", d.Place))
}

// SessionHeldData records a working session held (NQLT 403 Art. 8). Its date
// starts the 15 days for the result report (Art. 9.1).
type SessionHeldData struct {
	SessionID    string   `json:"session_id"`
	HeldOn       Date     `json:"held_on"`
	Place        string   `json:"place,omitempty"`
	Participants []string `json:"participants,omitempty"`
	Summary      string   `json:"summary,omitempty"`
}

// Validate implements Payload.
func (d *SessionHeldData) Validate() error {
	return firstError(requiredID("data.session_id", d.SessionID), requiredDate("data.held_on", d.HeldOn), optional("data.place", d.Place),
		optionalTexts("data.participants", d.Participants), optionalText("data.summary", d.Summary))
}

// SessionPostponedData postpones a scheduled session.
type SessionPostponedData struct {
	SessionID   string      `json:"session_id"`
	PostponedOn Date        `json:"postponed_on"`
	RequestedBy RequestedBy `json:"requested_by"`
	Reason      string      `json:"reason"`
	NewDate     Date        `json:"new_date,omitempty"`
}

// Validate implements Payload.
func (d *SessionPostponedData) Validate() error {
	return firstError(requiredID("data.session_id", d.SessionID), requiredDate("data.postponed_on", d.PostponedOn),
		oneOf("data.requested_by", d.RequestedBy, requesters...), requiredText("data.reason", d.Reason), optionalDate("data.new_date", d.NewDate))
}

// ResultReportSubmittedData records the delegation head's report to the
// chairing MTTQ committee (due ≤ 15 days after the last session, NQLT 403
// Art. 9.1).
type ResultReportSubmittedData struct {
	SubmittedOn Date   `json:"submitted_on"`
	Summary     string `json:"summary"`
}

// Validate implements Payload.
func (d *ResultReportSubmittedData) Validate() error {
	return firstError(requiredDate("data.submitted_on", d.SubmittedOn), requiredText("data.summary", d.Summary))
}

// ResultReportIssuedData records the issued result report.
type ResultReportIssuedData struct {
	IssuedOn Date     `json:"issued_on"`
	Summary  string   `json:"summary"`
	Findings []string `json:"findings,omitempty"`
}

// Validate implements Payload.
func (d *ResultReportIssuedData) Validate() error {
	return firstError(requiredDate("data.issued_on", d.IssuedOn), requiredText("data.summary", d.Summary), optionalTexts("data.findings", d.Findings))
}

// FindingStatus is what a follow-up found about a recommendation.
type FindingStatus string

// Follow-up findings.
const (
	FindingImplemented        FindingStatus = "IMPLEMENTED"
	FindingPartlyImplemented  FindingStatus = "PARTLY_IMPLEMENTED"
	FindingNotImplemented     FindingStatus = "NOT_IMPLEMENTED"
	FindingNoLongerApplicable FindingStatus = "NO_LONGER_APPLICABLE"
)

var findingStatuses = enum(FindingImplemented, FindingPartlyImplemented, FindingNotImplemented, FindingNoLongerApplicable)

// FollowUpFindingData records what a follow-up found about one
// recommendation.
type FollowUpFindingData struct {
	RecommendationID string        `json:"recommendation_id"`
	Status           FindingStatus `json:"status"`
	Note             string        `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *FollowUpFindingData) Validate() error {
	return firstError(requiredID("data.recommendation_id", d.RecommendationID), oneOf("data.status", d.Status, findingStatuses...), optionalText("data.note", d.Note))
}

// PostponedData postpones a whole activity.
type PostponedData struct {
	PostponedOn Date        `json:"postponed_on"`
	RequestedBy RequestedBy `json:"requested_by"`
	Reason      string      `json:"reason"`
	Until       Date        `json:"until,omitempty"`
}

// Validate implements Payload.
func (d *PostponedData) Validate() error {
	return firstError(requiredDate("data.postponed_on", d.PostponedOn), oneOf("data.requested_by", d.RequestedBy, requesters...),
		requiredText("data.reason", d.Reason), optionalDate("data.until", d.Until))
}

// ResumedData resumes a postponed activity.
type ResumedData struct {
	ResumedOn Date   `json:"resumed_on"`
	Note      string `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *ResumedData) Validate() error {
	return firstError(requiredDate("data.resumed_on", d.ResumedOn), optionalText("data.note", d.Note))
}

// ClosedData closes an activity.
type ClosedData struct {
	ClosedOn Date   `json:"closed_on"`
	Summary  string `json:"summary,omitempty"`
}

// Validate implements Payload.
func (d *ClosedData) Validate() error {
	return firstError(requiredDate("data.closed_on", d.ClosedOn), optionalText("data.summary", d.Summary))
}

// CancelledData cancels an activity.
type CancelledData struct {
	CancelledOn Date   `json:"cancelled_on"`
	Reason      string `json:"reason"`
}

// Validate implements Payload.
func (d *CancelledData) Validate() error {
	return firstError(requiredDate("data.cancelled_on", d.CancelledOn), requiredText("data.reason", d.Reason))
}

const (
	docPrefix     = "doc:"
	sessionPrefix = "session:"
)

type supervisionFacts struct {
	form     SupervisionForm
	followUp string
	recs     []string
	// requested holds each open document request's ID, date and
	// versions, as "ID=YYYY-MM-DD=V,V2,...": its answer is not dated
	// before it (dateorder.go), and a correction of any of those versions
	// (the request's, then each correction of its date) changes the date.
	requested []string
}

// requestedOn returns the date of the open document request id ("" if
// none is kept).
func (f supervisionFacts) requestedOn(id string) Date {
	for _, r := range f.requested {
		if rid, rest, ok := strings.Cut(r, "="); ok && rid == id {
			on, _, _ := strings.Cut(rest, "=")
			return Date(on)
		}
	}
	return ""
}

// withRequest returns the kept request dates with id's set to on, recorded
// at versions vs (none if on is ""), in a new slice: states are copied on
// write.
func (f supervisionFacts) withRequest(id string, on Date, vs string) []string {
	out := make([]string, 0, len(f.requested)+1)
	for _, r := range f.requested {
		if rid, _, _ := strings.Cut(r, "="); rid != id {
			out = append(out, r)
		}
	}
	if on != "" {
		out = append(out, id+"="+string(on)+"="+vs)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// withCorrectedRequest returns the kept request dates with the open
// request recorded at version v, or corrected by a correction at v, noted
// as corrected at version at too (so that a correction of that correction
// finds it, whichever field the first one changed), and dated on if on is
// set; the kept dates as they are if there is none (a correction of an
// answered request, which is no longer kept, or of another event).
func (f supervisionFacts) withCorrectedRequest(v uint64, on Date, at uint64) []string {
	want := strconv.FormatUint(v, 10)
	for _, r := range f.requested {
		rid, rest, _ := strings.Cut(r, "=")
		was, vs, _ := strings.Cut(rest, "=")
		if slices.Contains(strings.Split(vs, ","), want) {
			return f.withRequest(rid, cmp.Or(on, Date(was)), vs+","+strconv.FormatUint(at, 10))
		}
	}
	return f.requested
}

// supActive lists the states in which a supervision is under way.
var supActive = []Status{SupPlanned, SupDelegationEstablished, SupNotified, SupReportRequested, SupReportReceived, SupInSession, SupResultSubmitted}

var supAll = []Status{SupPlanned, SupDelegationEstablished, SupNotified, SupReportRequested, SupReportReceived, SupInSession,
	SupResultSubmitted, SupResultIssued, SupClosed, SupCancelled, SupPostponed}

var (
	recorder           = []Role{RoleRecorder}
	recorderRespondent = []Role{RoleRecorder, RoleRespondent}
)

var supervisionRules = &rules{
	kind:  KindSupervision,
	final: []Status{SupClosed, SupCancelled},
	specs: []spec{
		{typ: SupervisionPlanned, new: func() Payload { return new(SupervisionPlannedData) }, to: SupPlanned, roles: recorder},
		{typ: SupervisionDelegationEstablished, new: func() Payload { return new(DelegationEstablishedData) }, from: []Status{SupPlanned}, to: SupDelegationEstablished, roles: recorder},
		{typ: SupervisionNotified, new: func() Payload { return new(SupervisionNotifiedData) }, from: []Status{SupPlanned, SupDelegationEstablished}, to: SupNotified, roles: recorder},
		{typ: SupervisionReportOutlineSent, new: func() Payload { return new(ReportOutlineSentData) }, from: []Status{SupPlanned, SupDelegationEstablished, SupNotified}, to: SupReportRequested, roles: recorder},
		{typ: SupervisionSubjectReportReceived, new: func() Payload { return new(SubjectReportReceivedData) }, from: []Status{SupNotified, SupReportRequested}, to: SupReportReceived, roles: recorderRespondent},
		{typ: SupervisionDocumentRequested, new: func() Payload { return new(DocumentRequestedData) }, from: supActive, roles: recorder},
		{typ: SupervisionDocumentProvided, new: func() Payload { return new(DocumentProvidedData) }, from: supActive, roles: recorderRespondent},
		{typ: SupervisionDocumentRefused, new: func() Payload { return new(DocumentRefusedData) }, from: supActive, roles: recorderRespondent},
		{typ: SupervisionSessionScheduled, new: func() Payload { return new(SessionScheduledData) }, from: supActive[:6], roles: recorder},
		{typ: SupervisionSessionHeld, new: func() Payload { return new(SessionHeldData) }, from: supActive[:6], to: SupInSession, roles: recorder},
		{typ: SupervisionSessionPostponed, new: func() Payload { return new(SessionPostponedData) }, from: supActive[:6], roles: recorderRespondent},
		{typ: SupervisionResultReportSubmitted, new: func() Payload { return new(ResultReportSubmittedData) }, from: supActive[:6], to: SupResultSubmitted, roles: recorder},
		{typ: SupervisionResultReportIssued, new: func() Payload { return new(ResultReportIssuedData) }, from: []Status{SupResultSubmitted}, to: SupResultIssued, roles: recorder},
		{typ: SupervisionFollowUpFindingRecorded, new: func() Payload { return new(FollowUpFindingData) }, from: []Status{SupNotified, SupReportRequested, SupReportReceived, SupInSession, SupResultSubmitted}, roles: recorder},
		{typ: SupervisionPostponed, new: func() Payload { return new(PostponedData) }, from: supActive, to: SupPostponed, roles: recorderRespondent},
		{typ: SupervisionResumed, new: func() Payload { return new(ResumedData) }, from: []Status{SupPostponed}, roles: recorder},
		{typ: SupervisionClosed, new: func() Payload { return new(ClosedData) }, from: []Status{SupResultIssued}, to: SupClosed, roles: recorder},
		{typ: SupervisionCancelled, new: func() Payload { return new(CancelledData) }, from: anyState, to: SupCancelled, roles: recorder},
		{typ: SupervisionCorrected, new: func() Payload { return new(CorrectionData) }, from: supAll, roles: recorder},
		{typ: SupervisionInterestDeclared, new: func() Payload { return new(InterestDeclaredData) }, from: append(supActive[:len(supActive):len(supActive)], SupPostponed), roles: recorder},
		{typ: SupervisionAdverseAction, new: func() Payload { return new(AdverseActionData) }, from: supAll, roles: recorder},
	},
	decide: func(s *State, cmd Command, w World) error {
		f, _ := s.facts.(supervisionFacts)
		switch d := cmd.Payload.(type) {
		case *SupervisionPlannedData:
			if err := firstError(needParties(w, "data.subject_party_ids", d.SubjectPartyIDs), needParty(w, "data.chair_party_id", d.ChairPartyID),
				needParty(w, "data.joint_with_party_id", d.JointWithPartyID), needPlanItem(w, d.PlanID, d.PlanItemID),
				needStream(w, "data.follow_up_of", KindSupervision, d.FollowUpOf)); err != nil {
				return err
			}
			for i, id := range d.RecommendationIDs {
				if err := needStream(w, fmt.Sprintf("data.recommendation_ids[%d]", i), KindRecommendation, id); err != nil {
					return err
				}
			}
		case *DelegationEstablishedData:
			if f.form == FormDocumentReview {
				return Errorf(EConflict, "%s is a %s supervision: it has no delegation.", s.Stream(), f.form)
			}
		case *SupervisionNotifiedData:
			return needParties(w, "data.notified_party_ids", d.NotifiedPartyIDs)
		case *DocumentRequestedData:
			if err := requireNotOpen(s, "data.request_id", docPrefix, d.RequestID, "document request"); err != nil {
				return err
			}
			return needParty(w, "data.party_id", d.PartyID)
		case *DocumentProvidedData:
			if err := requireOpen(s, "data.request_id", docPrefix, d.RequestID, "document request"); err != nil {
				return err
			}
			return notBeforeRequest("data.provided_on", d.ProvidedOn, f.requestedOn(d.RequestID), d.RequestID)
		case *DocumentRefusedData:
			if err := requireOpen(s, "data.request_id", docPrefix, d.RequestID, "document request"); err != nil {
				return err
			}
			return notBeforeRequest("data.refused_on", d.RefusedOn, f.requestedOn(d.RequestID), d.RequestID)
		case *SessionScheduledData:
			return requireNotOpen(s, "data.session_id", sessionPrefix, d.SessionID, "session")
		case *SessionPostponedData:
			if d.RequestedBy == BySupervisor && cmd.Actor.Role == RoleRespondent {
				return FieldErrorf("data.requested_by", "A respondent records postponements its own side asked for (SUBJECT).")
			}
			return requireOpen(s, "data.session_id", sessionPrefix, d.SessionID, "scheduled session")
		case *ResultReportSubmittedData:
			if (f.form == FormDelegation || f.form == FormJointWithAuthority) && s.status != SupInSession {
				return Errorf(EConflict, "%s is in state %s: a %s supervision reports its results after its working sessions.", s.Stream(), s.status, f.form)
			}
		case *FollowUpFindingData:
			if f.followUp == "" {
				return Errorf(EConflict, "%s is not a follow-up: it records no follow-up findings.", s.Stream())
			}
			found := false
			for _, id := range f.recs {
				found = found || id == d.RecommendationID
			}
			if !found {
				return FieldErrorf("data.recommendation_id", "Recommendation %s is not one this follow-up checks.", d.RecommendationID)
			}
		case *PostponedData:
			if d.RequestedBy == BySupervisor && cmd.Actor.Role == RoleRespondent {
				return FieldErrorf("data.requested_by", "A respondent records postponements its own side asked for (SUBJECT).")
			}
		case *AdverseActionData:
			return decideAdverseAction(s, d, w, true)
		case *InterestDeclaredData:
			if !slices.Contains(s.parties, d.PartyID) {
				return FieldErrorf("data.party_id", "%s is not a subject of %s: a member declares relations to the subjects it supervises.", d.PartyID, s.Stream())
			}
		}
		return decideCorrection(s, cmd)
	},
	evolve: func(s *State, t Type, p Payload) {
		switch d := p.(type) {
		case *SupervisionPlannedData:
			s.facts = supervisionFacts{form: d.Form, followUp: d.FollowUpOf, recs: d.RecommendationIDs}
			s.parties = idList(d.SubjectPartyIDs...)
		case *DocumentRequestedData:
			s.open = withOpen(s.open, docPrefix+d.RequestID)
			if f, ok := s.facts.(supervisionFacts); ok {
				f.requested = f.withRequest(d.RequestID, d.RequestedOn, strconv.FormatUint(s.version, 10))
				s.facts = f
			}
		case *DocumentProvidedData:
			s.open = withoutOpen(s.open, docPrefix+d.RequestID)
			if f, ok := s.facts.(supervisionFacts); ok {
				f.requested = f.withRequest(d.RequestID, "", "")
				s.facts = f
			}
		case *DocumentRefusedData:
			s.open = withoutOpen(s.open, docPrefix+d.RequestID)
			if f, ok := s.facts.(supervisionFacts); ok {
				f.requested = f.withRequest(d.RequestID, "", "")
				s.facts = f
			}
		case *CorrectionData:
			// A corrected request date of an open request (recorded at the
			// corrected version, or corrected by a correction at it) is
			// kept as corrected; a correction of the request's other fields
			// is noted, for a correction of it that corrects the date.
			if f, ok := s.facts.(supervisionFacts); ok && len(f.requested) > 0 {
				f.requested = f.withCorrectedRequest(d.CorrectsVersion, Date(d.Changes["requested_on"]), s.version)
				s.facts = f
			}
		case *SessionScheduledData:
			s.open = withOpen(s.open, sessionPrefix+d.SessionID)
		case *SessionHeldData:
			s.open = withoutOpen(s.open, sessionPrefix+d.SessionID)
		case *PostponedData:
			s.prev = s.status
		case *ResumedData:
			s.status, s.prev = s.prev, ""
		}
	},
}

// Form returns the form of a supervision or critique ("" for other kinds).
func (s *State) Form() string {
	switch f := s.facts.(type) {
	case supervisionFacts:
		return string(f.form)
	case critiqueFacts:
		return string(f.form)
	}
	return ""
}
