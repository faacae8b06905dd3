package events

// Plan events: the annual supervision and social-critique plan, agreed by
// consultation (hiệp thương) among the member organisations (NQLT 403 Art. 3;
// domain.md §2.1).
const (
	PlanDrafted     Type = "plan.drafted.v1"
	PlanConsulted   Type = "plan.consulted.v1"
	PlanAdopted     Type = "plan.adopted.v1"
	PlanItemAdded   Type = "plan.item_added.v1"
	PlanItemDropped Type = "plan.item_dropped.v1"
	PlanClosed      Type = "plan.closed.v1"
	PlanCorrected   Type = "plan.corrected.v1"
)

// Plan states.
const (
	PlanDrafting   Status = "drafting"
	PlanConsulting Status = "consulting"
	PlanAdoptedS   Status = "adopted"
	PlanClosedS    Status = "closed"
)

// Activity is the kind of work a plan item schedules.
type Activity string

// Activities.
const (
	ActivitySupervision  Activity = "SUPERVISION"
	ActivityCritique     Activity = "CRITIQUE"
	ActivityContribution Activity = "CONTRIBUTION"
)

var activities = enum(ActivitySupervision, ActivityCritique, ActivityContribution)

// PlanDraftedData starts a plan.
type PlanDraftedData struct {
	Year    int    `json:"year"`
	Title   string `json:"title"`
	Content string `json:"content,omitempty"`
}

// Validate implements Payload.
func (d *PlanDraftedData) Validate() error {
	if d.Year < 2000 || d.Year > 2200 {
		return FieldErrorf("data.year", "data.year must be a year such as 2024.")
	}
	return firstError(required("data.title", d.Title), optionalText("data.content", d.Content))
}

// PlanConsultedData records a consultation meeting on the plan.
type PlanConsultedData struct {
	HeldOn       Date     `json:"held_on"`
	Participants []string `json:"participants"`
	Summary      string   `json:"summary,omitempty"`
}

// Validate implements Payload.
func (d *PlanConsultedData) Validate() error {
	return firstError(requiredDate("data.held_on", d.HeldOn), requiredTexts("data.participants", d.Participants), optionalText("data.summary", d.Summary))
}

// PlanAdoptedData adopts the plan (the decision is the envelope's
// document_ref).
type PlanAdoptedData struct {
	AdoptedOn Date   `json:"adopted_on"`
	Summary   string `json:"summary,omitempty"`
}

// Validate implements Payload.
func (d *PlanAdoptedData) Validate() error {
	return firstError(requiredDate("data.adopted_on", d.AdoptedOn), optionalText("data.summary", d.Summary))
}

// PlanItemAddedData adds an item {topic, form, subject, quarter, chair}. An
// item added after adoption is an amendment.
type PlanItemAddedData struct {
	ItemID          string   `json:"item_id"`
	Activity        Activity `json:"activity"`
	Topic           string   `json:"topic"`
	Form            string   `json:"form"`
	SubjectPartyIDs []string `json:"subject_party_ids,omitempty"`
	Quarter         int      `json:"quarter"`
	ChairOrg        string   `json:"chair_org"`
}

// Validate implements Payload.
func (d *PlanItemAddedData) Validate() error {
	if err := firstError(requiredID("data.item_id", d.ItemID), oneOf("data.activity", d.Activity, activities...),
		required("data.topic", d.Topic)); err != nil {
		return err
	}
	var formErr error
	switch d.Activity {
	case ActivitySupervision:
		formErr = oneOf("data.form", SupervisionForm(d.Form), supervisionForms...)
	case ActivityCritique:
		formErr = oneOf("data.form", CritiqueForm(d.Form), critiqueForms...)
	case ActivityContribution:
		formErr = oneOf("data.form", ContributionForm(d.Form), contributionForms...)
	}
	if d.Quarter < 1 || d.Quarter > 4 {
		return firstError(formErr, FieldErrorf("data.quarter", "data.quarter must be 1, 2, 3 or 4."))
	}
	return firstError(formErr, optionalIDs("data.subject_party_ids", d.SubjectPartyIDs), required("data.chair_org", d.ChairOrg))
}

// PlanItemDroppedData drops an item.
type PlanItemDroppedData struct {
	ItemID string `json:"item_id"`
	Reason string `json:"reason"`
}

// Validate implements Payload.
func (d *PlanItemDroppedData) Validate() error {
	return firstError(requiredID("data.item_id", d.ItemID), requiredText("data.reason", d.Reason))
}

// PlanClosedData closes the plan at the end of its year.
type PlanClosedData struct {
	ClosedOn Date   `json:"closed_on"`
	Summary  string `json:"summary,omitempty"`
}

// Validate implements Payload.
func (d *PlanClosedData) Validate() error {
	return firstError(requiredDate("data.closed_on", d.ClosedOn), optionalText("data.summary", d.Summary))
}

const itemPrefix = "item:"

var planRules = &rules{
	kind:  KindPlan,
	final: []Status{PlanClosedS},
	specs: []spec{
		{typ: PlanDrafted, new: func() Payload { return new(PlanDraftedData) }, to: PlanDrafting, roles: []Role{RoleRecorder}},
		{typ: PlanConsulted, new: func() Payload { return new(PlanConsultedData) }, from: []Status{PlanDrafting, PlanConsulting}, to: PlanConsulting, roles: []Role{RoleRecorder}},
		{typ: PlanAdopted, new: func() Payload { return new(PlanAdoptedData) }, from: []Status{PlanConsulting}, to: PlanAdoptedS, roles: []Role{RoleRecorder}},
		{typ: PlanItemAdded, new: func() Payload { return new(PlanItemAddedData) }, from: []Status{PlanDrafting, PlanConsulting, PlanAdoptedS}, roles: []Role{RoleRecorder}},
		{typ: PlanItemDropped, new: func() Payload { return new(PlanItemDroppedData) }, from: []Status{PlanDrafting, PlanConsulting, PlanAdoptedS}, roles: []Role{RoleRecorder}},
		{typ: PlanClosed, new: func() Payload { return new(PlanClosedData) }, from: []Status{PlanAdoptedS}, to: PlanClosedS, roles: []Role{RoleRecorder}},
		{typ: PlanCorrected, new: func() Payload { return new(CorrectionData) }, from: everyStatus(PlanDrafting, PlanConsulting, PlanAdoptedS, PlanClosedS), roles: []Role{RoleRecorder}},
	},
	decide: func(s *State, cmd Command, w World) error {
		switch d := cmd.Payload.(type) {
		case *PlanItemAddedData:
			if err := requireNotOpen(s, "data.item_id", itemPrefix, d.ItemID, "plan item"); err != nil {
				return err
			}
			return needParties(w, "data.subject_party_ids", d.SubjectPartyIDs)
		case *PlanItemDroppedData:
			return requireOpen(s, "data.item_id", itemPrefix, d.ItemID, "plan item")
		}
		return decideCorrection(s, cmd)
	},
	evolve: func(s *State, t Type, p Payload) {
		switch d := p.(type) {
		case *PlanItemAddedData:
			s.open = withOpen(s.open, itemPrefix+d.ItemID)
		case *PlanItemDroppedData:
			s.open = withoutOpen(s.open, itemPrefix+d.ItemID)
		}
	},
}

// needPlanItem checks a reference to an item of an existing plan.
func needPlanItem(w World, planID, itemID string) error {
	if planID == "" {
		if itemID != "" {
			return FieldErrorf("data.plan_item_id", "data.plan_item_id needs data.plan_id.")
		}
		return nil
	}
	st := w.Lookup(StreamName(KindPlan, planID))
	if !st.Exists() {
		return FieldErrorf("data.plan_id", "Plan %q does not exist.", planID)
	}
	if itemID != "" && !st.isOpen(itemPrefix+itemID) {
		return FieldErrorf("data.plan_item_id", "Plan %s has no item %q.", planID, itemID)
	}
	return nil
}
