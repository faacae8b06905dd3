package events

// Petition events: citizens' complaints, denunciations, recommendations and
// feedback (đơn thư) received by MTTQ, forwarded to the competent body and
// followed to resolution (Luật MTTQ Art. 18; Luật Khiếu nại, Luật Tố cáo,
// Luật Tiếp công dân; domain.md §2.8). The petitioner is personal data.
const (
	PetitionReceived            Type = "petition.received.v1"
	PetitionClassified          Type = "petition.classified.v1"
	PetitionForwarded           Type = "petition.forwarded.v1"
	PetitionForwardReceived     Type = "petition.forward_received.v1"
	PetitionGuided              Type = "petition.guided.v1"
	PetitionFiled               Type = "petition.filed.v1"
	PetitionAccepted            Type = "petition.accepted.v1"
	PetitionNotAccepted         Type = "petition.not_accepted.v1"
	PetitionExtended            Type = "petition.extended.v1"
	PetitionResolved            Type = "petition.resolved.v1"
	PetitionResultNotified      Type = "petition.result_notified.v1"
	PetitionSecondInstanceFiled Type = "petition.second_instance_filed.v1"
	// The second-instance body's decision to accept (thụ lý) a complaint,
	// or not, with reasons (Luật Khiếu nại 2011 Art. 36).
	PetitionSecondInstanceAccepted    Type = "petition.second_instance_accepted.v1"
	PetitionSecondInstanceNotAccepted Type = "petition.second_instance_not_accepted.v1"
	PetitionWithdrawn                 Type = "petition.withdrawn.v1"
	PetitionClosed                    Type = "petition.closed.v1"
	PetitionCorrected                 Type = "petition.corrected.v1"
	PetitionAdverseAction             Type = "petition.adverse_action_recorded.v1"
)

// Petition states.
const (
	PeReceived       Status = "received"
	PeClassified     Status = "classified"
	PeForwarded      Status = "forwarded"
	PeGuided         Status = "guided"
	PeFiled          Status = "filed"
	PeAccepted       Status = "accepted"
	PeNotAccepted    Status = "not_accepted"
	PeResolved       Status = "resolved"
	PeResultNotified Status = "result_notified"
	PeSecondInstance Status = "second_instance"
	PeSecondAccepted Status = "second_instance_accepted"
	// PeSecondRefused: the second instance did not accept it; it is only
	// closed (the complainant may go to court).
	PeSecondRefused Status = "second_instance_not_accepted"
	PeWithdrawn     Status = "withdrawn"
	PeClosed        Status = "closed"
)

// PetitionKind classifies a petition (Luật Tiếp công dân Art. 2).
type PetitionKind string

// Petition kinds.
const (
	PetitionComplaint      PetitionKind = "COMPLAINT"
	PetitionDenunciation   PetitionKind = "DENUNCIATION"
	PetitionRecommendation PetitionKind = "RECOMMENDATION"
	PetitionFeedback       PetitionKind = "FEEDBACK"
)

var petitionKinds = enum(PetitionComplaint, PetitionDenunciation, PetitionRecommendation, PetitionFeedback)

// Channel is how a petition or request arrived.
type Channel string

// Petition channels.
const (
	ChannelReception    Channel = "RECEPTION"
	ChannelMail         Channel = "MAIL"
	ChannelOnline       Channel = "ONLINE"
	ChannelVoterContact Channel = "VOTER_CONTACT"
)

var channels = enum(ChannelReception, ChannelMail, ChannelOnline, ChannelVoterContact)

// PetitionReceivedData starts a petition.
type PetitionReceivedData struct {
	Channel      Channel      `json:"channel"`
	ReceivedOn   Date         `json:"received_on"`
	PetitionKind PetitionKind `json:"petition_kind,omitempty"`
	Anonymous    bool         `json:"anonymous"`
	Petitioner   *Person      `json:"petitioner,omitempty"`
	Summary      string       `json:"summary"`
	Content      string       `json:"content,omitempty"`
}

// Validate implements Payload.
func (d *PetitionReceivedData) Validate() error {
	if err := firstError(oneOf("data.channel", d.Channel, channels...),
		requiredDate("data.received_on", d.ReceivedOn), optionalOneOf("data.petition_kind", d.PetitionKind, petitionKinds...),
		required("data.summary", d.Summary), optionalText("data.content", d.Content)); err != nil {
		return err
	}
	switch {
	case !d.Anonymous && d.Petitioner == nil:
		return FieldErrorf("data.petitioner", "A petition that is not anonymous names its petitioner.")
	case d.Anonymous && d.Petitioner != nil && d.Petitioner.Name != "":
		return FieldErrorf("data.petitioner", "An anonymous petition names no petitioner.")
	case d.Petitioner != nil:
		return d.Petitioner.validate("data.petitioner", !d.Anonymous)
	}
	return nil
}

// PetitionClassifiedData classifies a petition and names the competent body.
type PetitionClassifiedData struct {
	ClassifiedOn     Date         `json:"classified_on"`
	PetitionKind     PetitionKind `json:"petition_kind"`
	CompetentPartyID string       `json:"competent_party_id,omitempty"`
	// Complex and Remote lengthen the legal deadlines (Luật Khiếu nại Art.
	// 28, 37; Luật Tố cáo Art. 30).
	Complex bool `json:"complex"`
	Remote  bool `json:"remote"`
}

// Validate implements Payload.
func (d *PetitionClassifiedData) Validate() error {
	return firstError(requiredDate("data.classified_on", d.ClassifiedOn), oneOf("data.petition_kind", d.PetitionKind, petitionKinds...),
		optionalID("data.competent_party_id", d.CompetentPartyID))
}

// PetitionForwardedData forwards a petition to the competent body.
type PetitionForwardedData struct {
	ForwardedOn Date   `json:"forwarded_on"`
	ToPartyID   string `json:"to_party_id"`
}

// Validate implements Payload.
func (d *PetitionForwardedData) Validate() error {
	return firstError(requiredDate("data.forwarded_on", d.ForwardedOn), requiredID("data.to_party_id", d.ToPartyID))
}

// PetitionGuidedData records that the citizen was told where to file.
type PetitionGuidedData struct {
	GuidedOn Date   `json:"guided_on"`
	Guidance string `json:"guidance"`
}

// Validate implements Payload.
func (d *PetitionGuidedData) Validate() error {
	return firstError(requiredDate("data.guided_on", d.GuidedOn), requiredText("data.guidance", d.Guidance))
}

// FiledReason says why a petition was filed without action.
type FiledReason string

// Reasons to file without action.
const (
	FiledAnonymous  FiledReason = "ANONYMOUS"
	FiledDuplicate  FiledReason = "DUPLICATE"
	FiledOutOfScope FiledReason = "OUT_OF_SCOPE"
	FiledWithdrawn  FiledReason = "WITHDRAWN_BY_PETITIONER"
	FiledOther      FiledReason = "OTHER"
)

var filedReasons = enum(FiledAnonymous, FiledDuplicate, FiledOutOfScope, FiledWithdrawn, FiledOther)

// PetitionFiledData files a petition without action.
type PetitionFiledData struct {
	FiledOn Date        `json:"filed_on"`
	Reason  FiledReason `json:"reason"`
	Note    string      `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *PetitionFiledData) Validate() error {
	return firstError(requiredDate("data.filed_on", d.FiledOn), oneOf("data.reason", d.Reason, filedReasons...),
		optionalText("data.note", d.Note))
}

// PetitionWithdrawnData records that the petitioner withdrew a petition
// after it was forwarded (rút khiếu nại, Luật Khiếu nại 2011 Art. 10; rút
// tố cáo, Luật Tố cáo 2018 Art. 33): the competent body stops resolving it
// (đình chỉ). What it owed by then and did not do stays missed; what fell
// due later is no longer owed.
type PetitionWithdrawnData struct {
	WithdrawnOn Date   `json:"withdrawn_on"`
	Reason      string `json:"reason"`
}

// Validate implements Payload.
func (d *PetitionWithdrawnData) Validate() error {
	return firstError(requiredDate("data.withdrawn_on", d.WithdrawnOn), requiredText("data.reason", d.Reason))
}

// PetitionForwardReceivedData records the day the body a petition was
// forwarded to received it: its intake period runs from its receipt, not
// from the day MTTQ sent it (domain.md §2, Luật Khiếu nại Art. 27, Luật
// Tố cáo Art. 24).
type PetitionForwardReceivedData struct {
	ReceivedOn Date `json:"received_on"`
}

// Validate implements Payload.
func (d *PetitionForwardReceivedData) Validate() error {
	return requiredDate("data.received_on", d.ReceivedOn)
}

// PetitionAcceptedData records the competent body's acceptance (thụ lý).
type PetitionAcceptedData struct {
	AcceptedOn Date `json:"accepted_on"`
}

// Validate implements Payload.
func (d *PetitionAcceptedData) Validate() error {
	return requiredDate("data.accepted_on", d.AcceptedOn)
}

// PetitionNotAcceptedData records a refusal to accept, with reasons.
type PetitionNotAcceptedData struct {
	DecidedOn Date   `json:"decided_on"`
	Reason    string `json:"reason"`
}

// Validate implements Payload.
func (d *PetitionNotAcceptedData) Validate() error {
	return firstError(requiredDate("data.decided_on", d.DecidedOn), requiredText("data.reason", d.Reason))
}

// CaseComplexity is why a denunciation's resolution is extended (Luật Tố
// cáo 2018 Art. 30; Decree 39/2019 gives the criteria): a complex case
// once, a very complex one (đặc biệt phức tạp) twice.
type CaseComplexity string

// Complexities of a denunciation.
const (
	CaseComplex     CaseComplexity = "COMPLEX"
	CaseVeryComplex CaseComplexity = "VERY_COMPLEX"
)

var caseComplexities = enum(CaseComplex, CaseVeryComplex)

// Extensions returns how many extensions of a denunciation's resolution
// the law allows a case of complexity c: one for a complex case, two for
// a very complex one. An extension recorded without its complexity
// (before it was asked for) counts as a complex case's.
func (c CaseComplexity) Extensions() int {
	if c == CaseVeryComplex {
		return 2
	}
	return 1
}

// MaxExtensionDays is the longest single extension of a denunciation's
// resolution (Luật Tố cáo 2018 Art. 30).
const MaxExtensionDays = 30

// PetitionExtendedData extends a denunciation's resolution deadline by a
// written decision.
type PetitionExtendedData struct {
	ExtendedOn Date `json:"extended_on"`
	Days       int  `json:"days"`
	// CaseComplexity is required of new extensions: it decides how many
	// the law allows.
	CaseComplexity CaseComplexity `json:"case_complexity,omitempty"`
	Reason         string         `json:"reason"`
}

// Validate implements Payload. The limits of Luật Tố cáo 2018 Art. 30 (at
// most 30 days each, one or two by the complexity) are the write side's
// (petitionRules' decide): extensions recorded before it checked them,
// of up to 90 days, still read.
func (d *PetitionExtendedData) Validate() error {
	if err := firstError(requiredDate("data.extended_on", d.ExtendedOn), positive("data.days", d.Days),
		optionalOneOf("data.case_complexity", d.CaseComplexity, caseComplexities...), requiredText("data.reason", d.Reason)); err != nil {
		return err
	}
	if d.Days > 90 {
		return FieldErrorf("data.days", "An extension is at most 90 days (Luật Tố cáo 2018 Art. 30).")
	}
	return nil
}

// Conclusion is what the resolution of a denunciation concludes of it:
// true, partly true or untrue (kết luận nội dung tố cáo: tố cáo đúng, đúng
// một phần hoặc tố cáo sai; Luật Tố cáo 2018 Art. 35).
type Conclusion string

// Conclusions of a denunciation.
const (
	ConclusionTrue       Conclusion = "TRUE"
	ConclusionPartlyTrue Conclusion = "PARTLY_TRUE"
	ConclusionUntrue     Conclusion = "UNTRUE"
)

var conclusions = enum(ConclusionTrue, ConclusionPartlyTrue, ConclusionUntrue)

// PetitionResolvedData records the resolution decision.
type PetitionResolvedData struct {
	ResolvedOn Date   `json:"resolved_on"`
	Outcome    string `json:"outcome"`
	Summary    string `json:"summary,omitempty"`
	// Conclusion is a denunciation's, and only a denunciation's; a
	// resolution recorded without one concludes nothing the read side
	// counts (MU_FALSE_DENUNCIATION reads it).
	Conclusion Conclusion `json:"conclusion,omitempty"`
}

// Validate implements Payload.
func (d *PetitionResolvedData) Validate() error {
	return firstError(requiredDate("data.resolved_on", d.ResolvedOn), required("data.outcome", d.Outcome), optionalText("data.summary", d.Summary),
		optionalOneOf("data.conclusion", d.Conclusion, conclusions...))
}

// PetitionResultNotifiedData records the result notice to MTTQ, which
// forwarded the petition.
type PetitionResultNotifiedData struct {
	NotifiedOn Date `json:"notified_on"`
}

// Validate implements Payload.
func (d *PetitionResultNotifiedData) Validate() error {
	return requiredDate("data.notified_on", d.NotifiedOn)
}

// SecondInstanceFiledData records a complaint taken to the second instance.
type SecondInstanceFiledData struct {
	FiledOn   Date   `json:"filed_on"`
	ToPartyID string `json:"to_party_id"`
}

// Validate implements Payload.
func (d *SecondInstanceFiledData) Validate() error {
	return firstError(requiredDate("data.filed_on", d.FiledOn), requiredID("data.to_party_id", d.ToPartyID))
}

// SecondInstanceAcceptedData records the second-instance body's acceptance
// (thụ lý) of a complaint: its resolution period runs from then (Luật
// Khiếu nại 2011 Art. 36-37).
type SecondInstanceAcceptedData struct {
	AcceptedOn Date `json:"accepted_on"`
}

// Validate implements Payload.
func (d *SecondInstanceAcceptedData) Validate() error {
	return requiredDate("data.accepted_on", d.AcceptedOn)
}

// SecondInstanceNotAcceptedData records the second-instance body's
// decision not to accept a complaint, with reasons (Luật Khiếu nại 2011
// Art. 36): the complainant may go to court.
type SecondInstanceNotAcceptedData struct {
	DecidedOn Date   `json:"decided_on"`
	Reason    string `json:"reason"`
}

// Validate implements Payload.
func (d *SecondInstanceNotAcceptedData) Validate() error {
	return firstError(requiredDate("data.decided_on", d.DecidedOn), requiredText("data.reason", d.Reason))
}

// Denunciation reports whether s is a petition classified, or received,
// as a denunciation (whose petitioner the law keeps secret).
func (s *State) Denunciation() bool {
	if s == nil {
		return false
	}
	f, ok := s.facts.(petitionFacts)
	return ok && f.kind == PetitionDenunciation
}

type petitionFacts struct {
	kind PetitionKind
	// extensions counts the extensions of the resolution since the
	// acceptance.
	extensions int
	// secondInstance is set once a complaint went to the second instance:
	// Luật Khiếu nại has two instances, then the courts. secondTo is the
	// body it went to.
	secondInstance bool
	secondTo       string
}

var peAll = []Status{PeReceived, PeClassified, PeForwarded, PeGuided, PeFiled, PeAccepted, PeNotAccepted, PeResolved, PeResultNotified, PeSecondInstance, PeSecondAccepted, PeSecondRefused, PeWithdrawn, PeClosed}

var petitionRules = &rules{
	kind:  KindPetition,
	final: []Status{PeClosed},
	specs: []spec{
		{typ: PetitionReceived, new: func() Payload { return new(PetitionReceivedData) }, to: PeReceived, roles: recorder},
		// Classified again until it is forwarded, or once the body it went
		// to did not accept it: a misclassification is recorded anew, not
		// corrected (its kind decides deadlines and whether the
		// petitioner's identity is protected). Forwarded again (to another
		// body) once the body it went to did not accept it.
		{typ: PetitionClassified, new: func() Payload { return new(PetitionClassifiedData) }, from: []Status{PeReceived, PeClassified, PeNotAccepted}, to: PeClassified, roles: recorder},
		{typ: PetitionForwarded, new: func() Payload { return new(PetitionForwardedData) }, from: []Status{PeClassified, PeNotAccepted}, to: PeForwarded, roles: recorder},
		{typ: PetitionGuided, new: func() Payload { return new(PetitionGuidedData) }, from: []Status{PeReceived, PeClassified}, to: PeGuided, roles: recorder},
		{typ: PetitionFiled, new: func() Payload { return new(PetitionFiledData) }, from: []Status{PeReceived, PeClassified}, to: PeFiled, roles: recorder},
		// The body's receipt of the forwarded petition, recorded before or
		// after its decision to accept it, by MTTQ (from the delivery's
		// acknowledgement): the body would move its own deadline.
		{typ: PetitionForwardReceived, new: func() Payload { return new(PetitionForwardReceivedData) }, from: []Status{PeForwarded, PeAccepted, PeNotAccepted}, roles: recorder},
		{typ: PetitionAccepted, new: func() Payload { return new(PetitionAcceptedData) }, from: []Status{PeForwarded}, to: PeAccepted, roles: recorderRespondent},
		{typ: PetitionNotAccepted, new: func() Payload { return new(PetitionNotAcceptedData) }, from: []Status{PeForwarded}, to: PeNotAccepted, roles: recorderRespondent},
		{typ: PetitionExtended, new: func() Payload { return new(PetitionExtendedData) }, from: []Status{PeAccepted, PeSecondAccepted}, roles: recorderRespondent},
		// Resolved once accepted, at either instance. (Before the second
		// instance's acceptance was recorded, a second resolution
		// followed its filing directly: logs keep such records.)
		{typ: PetitionResolved, new: func() Payload { return new(PetitionResolvedData) }, from: []Status{PeAccepted, PeSecondAccepted}, to: PeResolved, roles: recorderRespondent},
		{typ: PetitionResultNotified, new: func() Payload { return new(PetitionResultNotifiedData) }, from: []Status{PeResolved}, to: PeResultNotified, roles: recorderRespondent},
		{typ: PetitionSecondInstanceFiled, new: func() Payload { return new(SecondInstanceFiledData) }, from: []Status{PeResolved, PeResultNotified}, to: PeSecondInstance, roles: recorder},
		{typ: PetitionSecondInstanceAccepted, new: func() Payload { return new(SecondInstanceAcceptedData) }, from: []Status{PeSecondInstance}, to: PeSecondAccepted, roles: recorderRespondent},
		// Not accepted at the second instance: it is closed (the courts
		// come next), not forwarded again.
		{typ: PetitionSecondInstanceNotAccepted, new: func() Payload { return new(SecondInstanceNotAcceptedData) }, from: []Status{PeSecondInstance}, to: PeSecondRefused, roles: recorderRespondent},
		// Withdrawn by the petitioner once forwarded (before, it is filed
		// with reason WITHDRAWN_BY_PETITIONER): the body stops resolving it.
		{typ: PetitionWithdrawn, new: func() Payload { return new(PetitionWithdrawnData) }, from: []Status{PeForwarded, PeAccepted, PeSecondInstance, PeSecondAccepted}, to: PeWithdrawn, roles: recorderRespondent},
		{typ: PetitionClosed, new: func() Payload { return new(ClosedData) }, from: []Status{PeGuided, PeFiled, PeNotAccepted, PeResolved, PeResultNotified, PeSecondRefused, PeWithdrawn}, to: PeClosed, roles: recorder},
		{typ: PetitionCorrected, new: func() Payload { return new(CorrectionData) }, from: peAll, roles: recorder},
		{typ: PetitionAdverseAction, new: func() Payload { return new(AdverseActionData) }, from: peAll, roles: recorder},
	},
	decide: func(s *State, cmd Command, w World) error {
		f, _ := s.facts.(petitionFacts)
		if err := secondInstanceBody(s, f, cmd); err != nil {
			return err
		}
		switch d := cmd.Payload.(type) {
		case *PetitionClassifiedData:
			return needParty(w, "data.competent_party_id", d.CompetentPartyID)
		case *PetitionForwardedData:
			return needParty(w, "data.to_party_id", d.ToPartyID)
		case *PetitionExtendedData:
			return decideExtension(s, f, d)
		case *AdverseActionData:
			return decideAdverseAction(s, d, w, false)
		case *PetitionResolvedData:
			if d.Conclusion != "" && f.kind != PetitionDenunciation {
				return FieldErrorf("data.conclusion", "%s is a %s: only the resolution of a denunciation concludes whether it was true (Luật Tố cáo 2018 Art. 35).", s.Stream(), orNone(string(f.kind)))
			}
		case *SecondInstanceFiledData:
			if f.kind != PetitionComplaint {
				return Errorf(EConflict, "%s is a %s: only complaints go to a second instance.", s.Stream(), orNone(string(f.kind)))
			}
			if f.secondInstance {
				return Errorf(EConflict, "%s was already resolved at the second instance: there is no third.", s.Stream())
			}
			return needParty(w, "data.to_party_id", d.ToPartyID)
		}
		return decideCorrection(s, cmd)
	},
	evolve: func(s *State, t Type, p Payload) {
		f, _ := s.facts.(petitionFacts)
		switch d := p.(type) {
		case *PetitionReceivedData:
			f.kind = d.PetitionKind
		case *PetitionClassifiedData:
			f.kind = d.PetitionKind
			if s.status == PeClassified || s.status == PeNotAccepted {
				// Classified again (not yet forwarded, or not accepted
				// where it went): the petition concerns its competent
				// body alone, now another.
				s.parties = nil
			}
			s.parties = addParty(s.parties, d.CompetentPartyID)
		case *PetitionForwardedData:
			if s.status == PeNotAccepted {
				// Forwarded again: the body that did not accept it
				// has no more to do with it (its decision stays in its
				// trail).
				s.parties = nil
			}
			s.parties = addParty(s.parties, d.ToPartyID)
		case *PetitionAcceptedData:
			f.extensions = 0
		case *PetitionExtendedData:
			f.extensions++
		case *SecondInstanceFiledData:
			f.secondInstance, f.secondTo = true, d.ToPartyID
			s.parties = addParty(s.parties, d.ToPartyID)
		}
		s.facts = f
	},
}

// secondInstanceBody refuses a respondent other than the second-instance
// body the steps of the second instance: its decision on accepting the
// complaint, its resolution, an extension and a withdrawal recorded while
// it is there. The first-instance body, whose decision is complained of,
// still reads the petition (found by helper-48: it could refuse the
// complaint at the second instance itself).
func secondInstanceBody(s *State, f petitionFacts, cmd Command) error {
	if cmd.Actor.Role != RoleRespondent || f.secondTo == "" || cmd.Actor.Party == f.secondTo {
		return nil
	}
	switch s.status {
	case PeSecondInstance, PeSecondAccepted:
		switch cmd.Payload.(type) {
		case *SecondInstanceAcceptedData, *SecondInstanceNotAcceptedData, *PetitionResolvedData, *PetitionExtendedData, *PetitionWithdrawnData:
			return Errorf(EForbidden, "%s is at the second instance, with party %s: only that body records %s.", s.Stream(), f.secondTo, cmd.Type)
		}
	}
	return nil
}

// decideExtension checks an extension of a petition's resolution against
// Luật Tố cáo 2018 Art. 30: only a denunciation's, for a complex case
// once, for a very complex one twice, at most 30 days each. (That it is
// decided before the deadline it extends runs out is the read side's to
// judge: an extension decided after does not move the deadline.)
func decideExtension(s *State, f petitionFacts, d *PetitionExtendedData) error {
	switch {
	case f.kind != PetitionDenunciation:
		return Errorf(EConflict, "%s is a %s: only a denunciation's resolution is extended (Luật Tố cáo 2018 Art. 30). A complaint's period is longer if it is complex or remote (Luật Khiếu nại 2011 Art. 28, 37), as its classification says.", s.Stream(), orNone(string(f.kind)))
	case d.CaseComplexity == "":
		return FieldErrorf("data.case_complexity", "An extension says whether the case is COMPLEX (one extension) or VERY_COMPLEX (two) (Luật Tố cáo 2018 Art. 30).")
	case d.Days > MaxExtensionDays:
		return FieldErrorf("data.days", "An extension is at most %d days (Luật Tố cáo 2018 Art. 30).", MaxExtensionDays)
	case f.extensions >= d.CaseComplexity.Extensions():
		return Errorf(EConflict, "%s was extended %d times already: a %s case is extended at most %d times (Luật Tố cáo 2018 Art. 30).", s.Stream(), f.extensions, d.CaseComplexity, d.CaseComplexity.Extensions())
	}
	return nil
}
