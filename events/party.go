package events

// Party events: the bodies and people that supervise or are supervised —
// state bodies, People's Committees and Councils, MTTQ committees,
// socio-political organisations, Party organisations, elected deputies,
// officials, drafting agencies. Each belongs to a unit, so scope rules can be
// checked, and trails have a subject.
const (
	PartyRegistered      Type = "party.registered.v1"
	PartyRenamed         Type = "party.renamed.v1"
	PartySuperiorChanged Type = "party.superior_changed.v1"
	PartyDissolved       Type = "party.dissolved.v1"
	PartyCorrected       Type = "party.corrected.v1"
	PartyAllegation      Type = "party.allegation_recorded.v1"
)

// Party states.
const (
	PartyActive     Status = "active"
	PartyDissolvedS Status = "dissolved"
)

// PartyKind classifies a party (Luật MTTQ Art. 26.1 lists who may be
// supervised; domain.md §1.2).
type PartyKind string

// Party kinds.
const (
	PartyStateBody                PartyKind = "STATE_BODY"
	PartyPeoplesCommittee         PartyKind = "PEOPLES_COMMITTEE"
	PartyPeoplesCouncil           PartyKind = "PEOPLES_COUNCIL"
	PartyVFFCommittee             PartyKind = "VFF_COMMITTEE"
	PartySocioPoliticalOrg        PartyKind = "SOCIO_POLITICAL_ORG"
	PartyMemberOrg                PartyKind = "MEMBER_ORG"
	PartyPartyCommittee           PartyKind = "PARTY_COMMITTEE"
	PartyPartyOrg                 PartyKind = "PARTY_ORG"
	PartyPartyMember              PartyKind = "PARTY_MEMBER"
	PartyElectedDeputy            PartyKind = "ELECTED_DEPUTY"
	PartyOfficial                 PartyKind = "OFFICIAL"
	PartyPublicEmployee           PartyKind = "PUBLIC_EMPLOYEE"
	PartyOrganisation             PartyKind = "ORGANISATION"
	PartyPeoplesInspectionBoard   PartyKind = "PEOPLES_INSPECTION_BOARD"
	PartyCommunityInvestmentBoard PartyKind = "COMMUNITY_INVESTMENT_BOARD"
	PartyInspectorate             PartyKind = "INSPECTORATE"
	PartyEnterprise               PartyKind = "ENTERPRISE"
	PartyOther                    PartyKind = "OTHER"
)

// PartyKinds lists every party kind.
var PartyKinds = enum(PartyStateBody, PartyPeoplesCommittee, PartyPeoplesCouncil, PartyVFFCommittee,
	PartySocioPoliticalOrg, PartyMemberOrg, PartyPartyCommittee, PartyPartyOrg, PartyPartyMember,
	PartyElectedDeputy, PartyOfficial, PartyPublicEmployee, PartyOrganisation, PartyPeoplesInspectionBoard,
	PartyCommunityInvestmentBoard, PartyInspectorate, PartyEnterprise, PartyOther)

// PartyRegisteredData starts a party.
type PartyRegisteredData struct {
	Name       string    `json:"name"`
	PartyKind  PartyKind `json:"party_kind"`
	SuperiorID string    `json:"superior_id,omitempty"`
	Note       string    `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *PartyRegisteredData) Validate() error {
	return firstError(required("data.name", d.Name), oneOf("data.party_kind", d.PartyKind, PartyKinds...),
		optionalID("data.superior_id", d.SuperiorID), optionalText("data.note", d.Note))
}

// PartyRenamedData renames a party.
type PartyRenamedData struct {
	Name        string `json:"name"`
	EffectiveOn Date   `json:"effective_on"`
}

// Validate implements Payload.
func (d *PartyRenamedData) Validate() error {
	return firstError(required("data.name", d.Name), requiredDate("data.effective_on", d.EffectiveOn))
}

// PartySuperiorChangedData names a party's new direct superior (cơ quan cấp
// trên trực tiếp), the escalation target.
type PartySuperiorChangedData struct {
	SuperiorID  string `json:"superior_id"`
	EffectiveOn Date   `json:"effective_on"`
}

// Validate implements Payload.
func (d *PartySuperiorChangedData) Validate() error {
	return firstError(requiredID("data.superior_id", d.SuperiorID), requiredDate("data.effective_on", d.EffectiveOn))
}

// PartyDissolvedData ends a party, naming the body that takes over its
// obligations if there is one.
type PartyDissolvedData struct {
	EffectiveOn Date   `json:"effective_on"`
	SuccessorID string `json:"successor_id,omitempty"`
	Basis       string `json:"basis,omitempty"`
}

// Validate implements Payload.
func (d *PartyDissolvedData) Validate() error {
	return firstError(requiredDate("data.effective_on", d.EffectiveOn), optionalID("data.successor_id", d.SuccessorID), optional("data.basis", d.Basis))
}

// AllegationKind is what a member of a People's Inspection Board (Ban
// Thanh tra nhân dân) is alleged to have done against its principles
// (Decree 59/2023 Art. 12: must not abuse its duties to incite, entice or
// lure people into illegal acts).
type AllegationKind string

// Allegations against a board member.
const (
	AllegationIncitement AllegationKind = "INCITEMENT" // kích động
	AllegationLuring     AllegationKind = "LURING"     // dụ dỗ, lôi kéo
)

var allegationKinds = enum(AllegationIncitement, AllegationLuring)

// AllegationRecordedData records an allegation MTTQ received against a
// member of a People's Inspection Board, which MTTQ directs (NQLT 403 Art.
// 10.1): recorded and routed, never judged by the ledger (the read side
// raises MU_BOARD_INCITEMENT for review). Who is alleged to have done what
// is personal data: the allegation is one field, which observers do not
// see.
type AllegationRecordedData struct {
	Allegation Allegation `json:"allegation"`
}

// Allegation is the allegation of an AllegationRecordedData.
type Allegation struct {
	ReceivedOn  Date           `json:"received_on"`
	Member      string         `json:"member"`
	Kind        AllegationKind `json:"kind"`
	Description string         `json:"description"`
}

// Validate implements Payload.
func (d *AllegationRecordedData) Validate() error {
	a := d.Allegation
	return firstError(requiredDate("data.allegation.received_on", a.ReceivedOn), memberName("data.allegation.member", a.Member, true),
		oneOf("data.allegation.kind", a.Kind, allegationKinds...), requiredText("data.allegation.description", a.Description))
}

type partyFacts struct {
	name      string
	partyKind PartyKind
	superior  string
}

var partyRules = &rules{
	kind: KindParty,
	specs: []spec{
		{typ: PartyRegistered, new: func() Payload { return new(PartyRegisteredData) }, to: PartyActive, roles: []Role{RoleAdmin, RoleRecorder}},
		{typ: PartyRenamed, new: func() Payload { return new(PartyRenamedData) }, from: []Status{PartyActive}, roles: []Role{RoleAdmin, RoleRecorder}},
		{typ: PartySuperiorChanged, new: func() Payload { return new(PartySuperiorChangedData) }, from: []Status{PartyActive}, roles: []Role{RoleAdmin, RoleRecorder}},
		{typ: PartyDissolved, new: func() Payload { return new(PartyDissolvedData) }, from: []Status{PartyActive}, to: PartyDissolvedS, roles: []Role{RoleAdmin, RoleRecorder}},
		{typ: PartyCorrected, new: func() Payload { return new(CorrectionData) }, from: []Status{PartyActive, PartyDissolvedS}, roles: []Role{RoleAdmin, RoleRecorder}},
		{typ: PartyAllegation, new: func() Payload { return new(AllegationRecordedData) }, from: []Status{PartyActive, PartyDissolvedS}, roles: []Role{RoleRecorder}},
	},
	decide: func(s *State, cmd Command, w World) error {
		switch d := cmd.Payload.(type) {
		case *PartyRegisteredData:
			if d.SuperiorID == s.id {
				return FieldErrorf("data.superior_id", "A party cannot be its own superior.")
			}
			return needParty(w, "data.superior_id", d.SuperiorID)
		case *PartySuperiorChangedData:
			if d.SuperiorID == s.id {
				return FieldErrorf("data.superior_id", "A party cannot be its own superior.")
			}
			return needParty(w, "data.superior_id", d.SuperiorID)
		case *PartyDissolvedData:
			return needParty(w, "data.successor_id", d.SuccessorID)
		case *AllegationRecordedData:
			if f, _ := s.facts.(partyFacts); f.partyKind != PartyPeoplesInspectionBoard {
				return Errorf(EConflict, "%s is a %s: allegations are recorded against members of a People's Inspection Board (PEOPLES_INSPECTION_BOARD).", s.Stream(), orNone(string(f.partyKind)))
			}
		}
		return decideCorrection(s, cmd)
	},
	evolve: func(s *State, t Type, p Payload) {
		f, _ := s.facts.(partyFacts)
		switch d := p.(type) {
		case *PartyRegisteredData:
			f = partyFacts{name: d.Name, partyKind: d.PartyKind, superior: d.SuperiorID}
			s.parties = []string{s.id}
		case *PartyRenamedData:
			f.name = d.Name
		case *PartySuperiorChangedData:
			f.superior = d.SuperiorID
		case *CorrectionData:
			// The kind is the registration's (the only event with the
			// field), as the read side corrects it.
			if k, ok := d.Changes["party_kind"]; ok {
				f.partyKind = PartyKind(k)
			}
		}
		s.facts = f
	},
}

// PartyInfo is what the write side knows of a party.
type PartyInfo struct {
	ID         string
	Name       string
	Kind       PartyKind
	Unit       string
	SuperiorID string
	Dissolved  bool
}

// PartyInfo returns the facts of a party state; ok is false for other kinds.
func (s *State) PartyInfo() (PartyInfo, bool) {
	f, ok := s.facts.(partyFacts)
	if !ok || s.kind != KindParty {
		return PartyInfo{}, false
	}
	return PartyInfo{ID: s.id, Name: f.name, Kind: f.partyKind, Unit: s.unit, SuperiorID: f.superior, Dissolved: s.status == PartyDissolvedS}, true
}
