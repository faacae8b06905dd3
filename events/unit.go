package events

import (
	"fmt"
	"slices"
)

// Unit events: the administrative units (province, district, commune, …)
// that records belong to. Units are never deleted: a unit merged away in the
// 2025 reorganisation is superseded, so its records stay reachable through
// its successors.
const (
	UnitRegistered           Type = "unit.registered.v1"
	UnitRenamed              Type = "unit.renamed.v1"
	UnitReparented           Type = "unit.reparented.v1"
	UnitSuperseded           Type = "unit.superseded.v1"
	UnitPeriodicHearingHeld  Type = "unit.periodic_hearing_held.v1"
	UnitReceptionSessionHeld Type = "unit.reception_session_held.v1"
	UnitCorrected            Type = "unit.corrected.v1"
)

// Unit states.
const (
	UnitActive      Status = "active"
	UnitSupersededS Status = "superseded"
)

// UnitLevel is the level of an administrative unit (domain.md §1.1).
type UnitLevel string

// Unit levels.
const (
	LevelCentral         UnitLevel = "CENTRAL"
	LevelProvince        UnitLevel = "PROVINCE"
	LevelDistrict        UnitLevel = "DISTRICT"
	LevelCommune         UnitLevel = "COMMUNE"
	LevelResidentialArea UnitLevel = "RESIDENTIAL_AREA"
)

var unitLevels = enum(LevelCentral, LevelProvince, LevelDistrict, LevelCommune, LevelResidentialArea)

// UnitRegisteredData starts a unit. Its stream ID is the unit's code.
type UnitRegisteredData struct {
	Name  string    `json:"name"`
	Level UnitLevel `json:"level"`
	// Designation is the unit's legal type in Vietnamese: tỉnh, thành phố,
	// thị xã, huyện, phường, xã, đặc khu, thôn, tổ dân phố.
	Designation    string   `json:"designation,omitempty"`
	ParentID       string   `json:"parent_id,omitempty"`
	ValidFrom      Date     `json:"valid_from"`
	PredecessorIDs []string `json:"predecessor_ids,omitempty"`
	Basis          string   `json:"basis,omitempty"`
}

// Validate implements Payload.
func (d *UnitRegisteredData) Validate() error {
	return firstError(
		required("data.name", d.Name),
		oneOf("data.level", d.Level, unitLevels...),
		optional("data.designation", d.Designation),
		optionalID("data.parent_id", d.ParentID),
		requiredDate("data.valid_from", d.ValidFrom),
		optionalIDs("data.predecessor_ids", d.PredecessorIDs),
		optional("data.basis", d.Basis),
	)
}

// UnitRenamedData renames a unit from a date.
type UnitRenamedData struct {
	Name        string `json:"name"`
	EffectiveOn Date   `json:"effective_on"`
	Basis       string `json:"basis,omitempty"`
}

// Validate implements Payload.
func (d *UnitRenamedData) Validate() error {
	return firstError(required("data.name", d.Name), requiredDate("data.effective_on", d.EffectiveOn), optional("data.basis", d.Basis))
}

// UnitReparentedData moves a unit under another parent.
type UnitReparentedData struct {
	ParentID    string `json:"parent_id"`
	EffectiveOn Date   `json:"effective_on"`
	Basis       string `json:"basis,omitempty"`
}

// Validate implements Payload.
func (d *UnitReparentedData) Validate() error {
	return firstError(requiredID("data.parent_id", d.ParentID), requiredDate("data.effective_on", d.EffectiveOn), optional("data.basis", d.Basis))
}

// UnitSupersededData ends a unit: from EffectiveOn its territory belongs to
// the successors (a merger, a split or the end of the district level).
type UnitSupersededData struct {
	SuccessorIDs []string `json:"successor_ids"`
	EffectiveOn  Date     `json:"effective_on"`
	Basis        string   `json:"basis"`
}

// Validate implements Payload.
func (d *UnitSupersededData) Validate() error {
	return firstError(requiredIDs("data.successor_ids", d.SuccessorIDs), requiredDate("data.effective_on", d.EffectiveOn), required("data.basis", d.Basis))
}

// HearingBody is the body that hears MTTQ's supervision results (Art. 30.1).
type HearingBody string

// Hearing bodies.
const (
	HearingPeoplesCouncil   HearingBody = "PEOPLES_COUNCIL"
	HearingPeoplesCommittee HearingBody = "PEOPLES_COMMITTEE"
	HearingNationalAssembly HearingBody = "NATIONAL_ASSEMBLY"
	HearingGovernment       HearingBody = "GOVERNMENT"
)

var hearingBodies = enum(HearingPeoplesCouncil, HearingPeoplesCommittee, HearingNationalAssembly, HearingGovernment)

// PeriodicHearingHeldData records the six-monthly hearing of the MTTQ's
// supervision results by the same-level People's Council or Committee
// (Luật MTTQ Art. 30.1).
type PeriodicHearingHeldData struct {
	Body              HearingBody `json:"body"`
	Period            string      `json:"period"`
	HeldOn            Date        `json:"held_on"`
	RecommendationIDs []string    `json:"recommendation_ids,omitempty"`
	Summary           string      `json:"summary,omitempty"`
}

// Validate implements Payload.
func (d *PeriodicHearingHeldData) Validate() error {
	return firstError(
		oneOf("data.body", d.Body, hearingBodies...),
		validPeriod("data.period", d.Period),
		requiredDate("data.held_on", d.HeldOn),
		optionalIDs("data.recommendation_ids", d.RecommendationIDs),
		optionalText("data.summary", d.Summary),
	)
}

// validPeriod checks a half-year period such as "2024-H1".
func validPeriod(field, p string) error {
	var y, h int
	if n, err := fmt.Sscanf(p, "%4d-H%1d", &y, &h); err != nil || n != 2 || len(p) != 7 || y < 1900 || (h != 1 && h != 2) {
		return FieldErrorf(field, "%s must be a half-year such as 2024-H1 or 2024-H2.", field)
	}
	return nil
}

// ReceptionHost says who received citizens.
type ReceptionHost string

// Reception hosts.
const (
	ReceptionChair ReceptionHost = "CHAIR"
	ReceptionVFF   ReceptionHost = "VFF"
	ReceptionJoint ReceptionHost = "JOINT"
)

var receptionHosts = enum(ReceptionChair, ReceptionVFF, ReceptionJoint)

// ReceptionSessionHeldData records a citizen reception session (tiếp công
// dân) held in a unit (Luật Tiếp công dân Art. 12-15).
type ReceptionSessionHeldData struct {
	Host          ReceptionHost `json:"host"`
	HostName      string        `json:"host_name,omitempty"`
	HeldOn        Date          `json:"held_on"`
	CitizensCount int           `json:"citizens_count"`
	PetitionIDs   []string      `json:"petition_ids,omitempty"`
	Summary       string        `json:"summary,omitempty"`
}

// Validate implements Payload.
func (d *ReceptionSessionHeldData) Validate() error {
	return firstError(
		oneOf("data.host", d.Host, receptionHosts...),
		optional("data.host_name", d.HostName),
		requiredDate("data.held_on", d.HeldOn),
		nonNegative("data.citizens_count", d.CitizensCount),
		optionalIDs("data.petition_ids", d.PetitionIDs),
		optionalText("data.summary", d.Summary),
	)
}

// unitFacts are what the write side keeps of a unit.
type unitFacts struct {
	name         string
	level        UnitLevel
	parent       string
	successors   []string
	predecessors []string
}

var unitRules = &rules{
	kind:  KindUnit,
	final: []Status{},
	specs: []spec{
		{typ: UnitRegistered, new: func() Payload { return new(UnitRegisteredData) }, to: UnitActive, roles: []Role{RoleAdmin}},
		{typ: UnitRenamed, new: func() Payload { return new(UnitRenamedData) }, from: []Status{UnitActive}, roles: []Role{RoleAdmin}},
		{typ: UnitReparented, new: func() Payload { return new(UnitReparentedData) }, from: []Status{UnitActive}, roles: []Role{RoleAdmin}},
		{typ: UnitSuperseded, new: func() Payload { return new(UnitSupersededData) }, from: []Status{UnitActive}, to: UnitSupersededS, roles: []Role{RoleAdmin}},
		{typ: UnitPeriodicHearingHeld, new: func() Payload { return new(PeriodicHearingHeldData) }, from: []Status{UnitActive, UnitSupersededS}, roles: []Role{RoleRecorder}},
		{typ: UnitReceptionSessionHeld, new: func() Payload { return new(ReceptionSessionHeldData) }, from: []Status{UnitActive, UnitSupersededS}, roles: []Role{RoleRecorder}},
		{typ: UnitCorrected, new: func() Payload { return new(CorrectionData) }, from: []Status{UnitActive, UnitSupersededS}, roles: []Role{RoleAdmin}},
	},
	decide: func(s *State, cmd Command, w World) error {
		switch d := cmd.Payload.(type) {
		case *UnitRegisteredData:
			if d.ParentID == s.id {
				return FieldErrorf("data.parent_id", "A unit cannot be its own parent.")
			}
			if err := needStream(w, "data.parent_id", KindUnit, d.ParentID); err != nil {
				return err
			}
			for i, p := range d.PredecessorIDs {
				if p == s.id {
					return FieldErrorf(fmt.Sprintf("data.predecessor_ids[%d]", i), "A unit cannot succeed itself.")
				}
				if err := needStream(w, fmt.Sprintf("data.predecessor_ids[%d]", i), KindUnit, p); err != nil {
					return err
				}
			}
		case *UnitReparentedData:
			if d.ParentID == s.id || belowByParent(worldTree{w}, d.ParentID, s.id) {
				return FieldErrorf("data.parent_id", "Unit %s is %s itself or below it: the tree would have a cycle.", d.ParentID, s.id)
			}
			return needStream(w, "data.parent_id", KindUnit, d.ParentID)
		case *UnitSupersededData:
			for i, id := range d.SuccessorIDs {
				f := fmt.Sprintf("data.successor_ids[%d]", i)
				if id == s.id {
					return FieldErrorf(f, "A unit cannot supersede itself.")
				}
				if err := needStream(w, f, KindUnit, id); err != nil {
					return err
				}
			}
		case *PeriodicHearingHeldData:
			for i, id := range d.RecommendationIDs {
				if err := needStream(w, fmt.Sprintf("data.recommendation_ids[%d]", i), KindRecommendation, id); err != nil {
					return err
				}
			}
		case *ReceptionSessionHeldData:
			for i, id := range d.PetitionIDs {
				if err := needStream(w, fmt.Sprintf("data.petition_ids[%d]", i), KindPetition, id); err != nil {
					return err
				}
			}
		}
		return decideCorrection(s, cmd)
	},
	evolve: func(s *State, t Type, p Payload) {
		f, _ := s.facts.(unitFacts)
		switch d := p.(type) {
		case *UnitRegisteredData:
			f = unitFacts{name: d.Name, level: d.Level, parent: d.ParentID, predecessors: slices.Clone(d.PredecessorIDs)}
		case *UnitRenamedData:
			f.name = d.Name
		case *UnitReparentedData:
			f.parent = d.ParentID
		case *UnitSupersededData:
			f.successors = slices.Clone(d.SuccessorIDs)
		}
		s.facts = f
	},
}

// UnitInfo is what the write side knows of a unit.
type UnitInfo struct {
	ID           string
	Name         string
	Level        UnitLevel
	ParentID     string
	Superseded   bool
	Successors   []string
	Predecessors []string
}

// UnitInfo returns the facts of a unit state; ok is false for other kinds.
func (s *State) UnitInfo() (UnitInfo, bool) {
	f, ok := s.facts.(unitFacts)
	if !ok || s.kind != KindUnit {
		return UnitInfo{}, false
	}
	return UnitInfo{ID: s.id, Name: f.name, Level: f.level, ParentID: f.parent, Superseded: s.status == UnitSupersededS,
		Successors: slices.Clone(f.successors), Predecessors: slices.Clone(f.predecessors)}, true
}

// UnitTree is what a scope check reads of the units: each unit's parent
// and the units it superseded and was superseded by, as recorded (ok is
// false for a unit not registered), and the units that list a unit among
// their predecessor_ids (TakenBy: a merger recorded on the new unit's
// side). The write side reads its states; the read side its views.
type UnitTree interface {
	UnitLinks(id string) (parent string, predecessors, successors []string, ok bool)
	TakenBy(id string) []string
}

// worldTree reads the units' links from the write side's states.
type worldTree struct{ w World }

func (t worldTree) UnitLinks(id string) (string, []string, []string, bool) {
	st := t.w.Lookup(StreamName(KindUnit, id))
	if st == nil {
		return "", nil, nil, false
	}
	f, _ := st.facts.(unitFacts)
	return f.parent, f.predecessors, f.successors, true
}

// TakenBy reads the world's index of predecessors (the Ledger keeps one);
// a world without one knows none.
func (t worldTree) TakenBy(id string) []string {
	if tb, ok := t.w.(interface{ TakenBy(string) []string }); ok {
		return tb.TakenBy(id)
	}
	return nil
}

// UnitWithin reports whether unit lies in the subtree of scope: scope
// itself, a unit below it, a unit whose records passed to one of these by
// a supersession, and the units below those, so the records of units
// merged into scope stay in its scope. A supersession counts as recorded
// on either side: the old unit's successor_ids or the new unit's
// predecessor_ids.
//
// The parent chain is history and always counts: the town's MTTQ keeps its
// old communes' records. A supersession counts only for the nearest
// superseded unit on the way up: when a district is split, each old commune
// goes where its own supersession says, not to every successor of the
// district. The read side's scopes (projections' ScopeSet) are this rule.
func UnitWithin(w World, unit, scope string) bool {
	return UnitScope(worldTree{w}, scope)(unit)
}

// UnitScope returns UnitWithin for one scope over t, for checking many
// units against it.
func UnitScope(t UnitTree, scope string) func(unit string) bool {
	if scope == "" {
		return func(string) bool { return false }
	}
	return func(unit string) bool {
		return unit != "" && unitWithin(t, unit, scope, map[walkStep]bool{})
	}
}

// walkStep is a point of unitWithin's walk: the rest of a walk depends only
// on the unit reached and whether a supersession was followed on the way.
type walkStep struct {
	unit     string
	followed bool
}

// unitWithin walks up from unit; visited records the steps already taken
// (in this walk or one it branched from), whose rest led nowhere or is
// being walked, so cycles end and no part is walked twice (the walk has no
// other limit: the read side's ScopeSet has none either).
func unitWithin(t UnitTree, unit, scope string, visited map[walkStep]bool) bool {
	followed := false
	for u := unit; u != ""; {
		step := walkStep{u, followed}
		if visited[step] {
			return false
		}
		visited[step] = true
		if u == scope {
			return true
		}
		parent, _, successors, ok := t.UnitLinks(u)
		if !ok {
			return false
		}
		if !followed {
			// The nearest unit on the way up whose records passed on
			// decides where they went.
			for _, next := range [2][]string{successors, t.TakenBy(u)} {
				for _, n := range next {
					followed = true
					if unitWithin(t, n, scope, visited) {
						return true
					}
				}
			}
		}
		u = parent
	}
	return false
}

// belowByParent reports whether ancestor is on unit's parent chain (the
// tree as it is, not the scopes mergers add): a reparenting under such a
// unit would make a cycle.
func belowByParent(t UnitTree, unit, ancestor string) bool {
	seen := map[string]bool{}
	for u := unit; u != "" && !seen[u]; {
		if u == ancestor {
			return true
		}
		seen[u] = true
		parent, _, _, ok := t.UnitLinks(u)
		if !ok {
			return false
		}
		u = parent
	}
	return false
}
