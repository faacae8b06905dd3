package events_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mttq-vn/ledger/events"
)

// Actors used by the domain tests.
var (
	adminActor  = events.Actor{Subject: "tok-quan-tri", Role: events.RoleAdmin}
	systemActor = events.Actor{Subject: "ledger", Role: events.RoleSystem}
)

// recorderAt is a recorder token scoped to unit and below.
func recorderAt(unit string) events.Actor {
	return events.Actor{Subject: "tok-can-bo-" + unit, Role: events.RoleRecorder, Unit: unit}
}

// respondentOf is a respondent token answering for party.
func respondentOf(party string) events.Actor {
	return events.Actor{Subject: "tok-" + party, Role: events.RoleRespondent, Party: party}
}

// defaultActor is who records an event of type t on an aggregate of unit
// when a test does not say: a recorder of that unit where recorders may
// record t, otherwise a ledger-wide admin (units, tokens).
func defaultActor(t events.Type, unit string) events.Actor {
	if slices.Contains(events.RolesFor(t), events.RoleRecorder) {
		return recorderAt(unit)
	}
	if t.Kind() == events.KindFlag {
		return events.Actor{Subject: "tok-thanh-tra", Role: events.RoleInspector}
	}
	return adminActor
}

// past is one event of a test's history: its type and its JSON data.
type past struct {
	typ  events.Type
	data string
}

// fixtureWorld is a World held in a map. It is built only from real events:
// each is decoded with DecodePayload, decided with Decide, stored in an
// envelope and folded in with Evolve, as the ledger does.
type fixtureWorld struct {
	states map[string]*events.State
	pos    uint64
}

// Lookup implements events.World.
func (w *fixtureWorld) Lookup(stream string) *events.State { return w.states[stream] }

// TakenBy lists the units that name unit among their predecessors, as the
// Ledger's index does (for events.UnitWithin).
func (w *fixtureWorld) TakenBy(unit string) []string {
	var out []string
	for _, st := range w.states {
		if u, ok := st.UnitInfo(); ok && slices.Contains(u.Predecessors, unit) {
			out = append(out, u.ID)
		}
	}
	slices.Sort(out)
	return out
}

// state returns the current state of stream, or the state of a new stream.
func (w *fixtureWorld) state(tb testing.TB, stream string) *events.State {
	tb.Helper()
	if st := w.states[stream]; st != nil {
		return st
	}
	kind, id, ok := events.SplitStream(stream)
	if !ok {
		tb.Fatalf("malformed stream name %q", stream)
	}
	return events.NewState(kind, id)
}

// record decides an event of type typ with data on stream as actor (unit is
// the unit of a new aggregate) and, if Decide allows it, folds it in.
func (w *fixtureWorld) record(tb testing.TB, stream, unit string, actor events.Actor, typ events.Type, data string) error {
	tb.Helper()
	st := w.state(tb, stream)
	p := mustPayload(tb, typ, data)
	if err := events.Decide(st, events.Command{Type: typ, Payload: p, Actor: actor, Unit: unit}, w); err != nil {
		return err
	}
	w.pos++
	w.states[stream] = mustEvolve(tb, st, typ, p, actor, unit, w.pos)
	return nil
}

// mustRecord records evs on stream, each as the default actor of its type,
// and fails the test if Decide refuses one.
func (w *fixtureWorld) mustRecord(tb testing.TB, stream, unit string, evs ...past) {
	tb.Helper()
	for _, e := range evs {
		if err := w.record(tb, stream, unit, defaultActor(e.typ, unit), e.typ, e.data); err != nil {
			tb.Fatalf("record %s on %s: %v", e.typ, stream, err)
		}
	}
}

// mustPayload decodes data of type t with DecodePayload.
func mustPayload(tb testing.TB, t events.Type, data string) events.Payload {
	tb.Helper()
	p, err := events.DecodePayload(t, []byte(data))
	if err != nil {
		tb.Fatalf("DecodePayload(%s, %s): %v", t, data, err)
	}
	return p
}

// mustEvolve stores p as the next event of st in an envelope, as the ledger
// would, and returns the state after it.
func mustEvolve(tb testing.TB, st *events.State, t events.Type, p events.Payload, actor events.Actor, unit string, pos uint64) *events.State {
	tb.Helper()
	data, err := events.MarshalPayload(p)
	if err != nil {
		tb.Fatalf("MarshalPayload(%s): %v", t, err)
	}
	if st.Unit() != "" {
		unit = st.Unit()
	}
	if st.Kind() == events.KindUnit {
		unit = st.ID()
	}
	env := events.Envelope{
		ID:             fmt.Sprintf("ev-%06d", pos),
		Stream:         st.Stream(),
		Kind:           st.Kind(),
		Type:           t,
		Version:        st.Version() + 1,
		OccurredAt:     time.Date(2024, 6, 24, 0, 0, 0, 0, time.UTC),
		RecordedAt:     time.Date(2024, 6, 24, 9, 0, 0, 0, time.UTC),
		Actor:          actor,
		Unit:           unit,
		Classification: events.Public,
		PrevHash:       st.PrevHashString(),
		Data:           data,
	}
	raw, err := env.Marshal()
	if err != nil {
		tb.Fatalf("Marshal: %v", err)
	}
	next := events.Evolve(st, &env, p, pos, events.HashOf(raw))
	if got, want := next.Version(), env.Version; got != want {
		tb.Fatalf("Evolve(%s): version %d, want %d", t, got, want)
	}
	return next
}

// example returns the golden example data of type t.
func example(tb testing.TB, t events.Type) string {
	tb.Helper()
	ex, ok := goldenExamples[t]
	if !ok {
		tb.Fatalf("no golden example for %s", t)
	}
	return ex.data
}

// MustFixtureWorld returns a world with the unit tree of Bình Định before
// and after the 2025 reorganisation, the parties of thị xã An Nhơn, the
// 2024 plan, and one supervision, recommendation and petition. Creation
// events of the golden examples are recorded unchanged, so they are known
// to pass Decide.
//
//	vn ─┬─ binh-dinh ─┬─ an-nhon ─┬─ binh-dinh-ward ── kp-liem-dinh
//	    │             │           └─ nhon-hung
//	    │             └─ phu-cat
//	    └─ gia-lai (2025; predecessor binh-dinh) ── an-nhon-ward (2025; predecessors binh-dinh-ward, nhon-hung)
func MustFixtureWorld(tb testing.TB) *fixtureWorld {
	tb.Helper()
	w := &fixtureWorld{states: map[string]*events.State{}}
	unit := func(id, data string) {
		tb.Helper()
		if err := w.record(tb, "unit/"+id, "", adminActor, events.UnitRegistered, data); err != nil {
			tb.Fatalf("register unit %s: %v", id, err)
		}
	}
	unit("vn", `{"name":"Việt Nam","level":"CENTRAL","valid_from":"1976-07-02"}`)
	unit("binh-dinh", `{"name":"Bình Định","level":"PROVINCE","designation":"tỉnh","parent_id":"vn","valid_from":"1989-07-01"}`)
	unit("an-nhon", `{"name":"An Nhơn","level":"DISTRICT","designation":"thị xã","parent_id":"binh-dinh","valid_from":"2011-06-01"}`)
	unit("phu-cat", `{"name":"Phù Cát","level":"DISTRICT","designation":"huyện","parent_id":"binh-dinh","valid_from":"1989-07-01"}`)
	unit("binh-dinh-ward", `{"name":"Bình Định","level":"COMMUNE","designation":"phường","parent_id":"an-nhon","valid_from":"2011-06-01"}`)
	unit("nhon-hung", `{"name":"Nhơn Hưng","level":"COMMUNE","designation":"phường","parent_id":"an-nhon","valid_from":"2011-06-01"}`)
	unit("kp-liem-dinh", `{"name":"Liêm Định","level":"RESIDENTIAL_AREA","designation":"khu phố","parent_id":"binh-dinh-ward","valid_from":"2011-06-01"}`)
	unit("gia-lai", `{"name":"Gia Lai","level":"PROVINCE","designation":"tỉnh","parent_id":"vn","valid_from":"2025-07-01","predecessor_ids":["binh-dinh"]}`)
	unit("an-nhon-ward", example(tb, events.UnitRegistered))

	party := func(id, unit, data string) {
		tb.Helper()
		w.mustRecord(tb, "party/"+id, unit, past{events.PartyRegistered, data})
	}
	party("mttq-an-nhon", "an-nhon", `{"name":"Ủy ban MTTQ Việt Nam thị xã An Nhơn","party_kind":"VFF_COMMITTEE"}`)
	party("ubnd-an-nhon", "an-nhon", `{"name":"UBND thị xã An Nhơn","party_kind":"PEOPLES_COMMITTEE"}`)
	party("hdnd-an-nhon", "an-nhon", `{"name":"HĐND thị xã An Nhơn","party_kind":"PEOPLES_COUNCIL"}`)
	party("thi-uy-an-nhon", "an-nhon", `{"name":"Thị ủy An Nhơn","party_kind":"PARTY_COMMITTEE"}`)
	party("ubnd-binh-dinh-ward", "binh-dinh-ward", example(tb, events.PartyRegistered))
	party("ubnd-nhon-hung", "nhon-hung", `{"name":"UBND phường Nhơn Hưng","party_kind":"PEOPLES_COMMITTEE","superior_id":"ubnd-an-nhon"}`)
	party("ubnd-phu-cat", "phu-cat", `{"name":"UBND huyện Phù Cát","party_kind":"PEOPLES_COMMITTEE"}`)

	w.mustRecord(tb, "plan/kh-2024", "an-nhon",
		past{events.PlanDrafted, example(tb, events.PlanDrafted)},
		past{events.PlanItemAdded, example(tb, events.PlanItemAdded)},
		past{events.PlanItemAdded, `{"item_id":"pb-q3-do-thi","activity":"CRITIQUE","topic":"Đề án chỉnh trang đô thị","form":"CONFERENCE","subject_party_ids":["ubnd-an-nhon"],"quarter":3,"chair_org":"Ủy ban MTTQ Việt Nam thị xã An Nhơn"}`},
		past{events.PlanItemAdded, `{"item_id":"gy-q4-cai-cach","activity":"CONTRIBUTION","topic":"Cải cách hành chính","form":"DIALOGUE","quarter":4,"chair_org":"Ủy ban MTTQ Việt Nam thị xã An Nhơn"}`},
		past{events.PlanConsulted, example(tb, events.PlanConsulted)},
		past{events.PlanAdopted, example(tb, events.PlanAdopted)},
	)
	w.mustRecord(tb, "supervision/gs-2024-dat-dai", "an-nhon", past{events.SupervisionPlanned, example(tb, events.SupervisionPlanned)})
	w.mustRecord(tb, "recommendation/kn-2024-15", "an-nhon", past{events.RecommendationIssued, example(tb, events.RecommendationIssued)})
	w.mustRecord(tb, "petition/don-2024-118", "binh-dinh-ward", past{events.PetitionReceived, example(tb, events.PetitionReceived)})
	return w
}

// allStatuses lists every lifecycle state of each kind.
var allStatuses = map[events.Kind][]events.Status{
	events.KindUnit:  {events.UnitActive, events.UnitSupersededS},
	events.KindParty: {events.PartyActive, events.PartyDissolvedS},
	events.KindToken: {events.TokenActive, events.TokenRevokedS},
	events.KindFlag:  {events.FlagReviewedStatus},
	events.KindAdmin: {events.AdminRecorded},
	events.KindPlan:  {events.PlanDrafting, events.PlanConsulting, events.PlanAdoptedS, events.PlanClosedS},
	events.KindSupervision: {events.SupPlanned, events.SupDelegationEstablished, events.SupNotified, events.SupReportRequested,
		events.SupReportReceived, events.SupInSession, events.SupResultSubmitted, events.SupResultIssued, events.SupClosed,
		events.SupCancelled, events.SupPostponed},
	events.KindRecommendation: {events.RecIssued, events.RecReceived, events.RecAcknowledged, events.RecResponded,
		events.RecInImplementation, events.RecImplemented, events.RecVerified, events.RecDisputed, events.RecEscalated,
		events.RecReviewRequested, events.RecClosed, events.RecWithdrawn},
	events.KindCritique: {events.CrRequested, events.CrDraftReceived, events.CrInProgress, events.CrSynthesized,
		events.CrDocumentIssued, events.CrResponded, events.CrForwarded, events.CrAdopted, events.CrClosed, events.CrCancelled},
	events.KindContribution: {events.CoCollected, events.CoSynthesized, events.CoSent, events.CoReceived, events.CoResponded, events.CoClosed},
	events.KindPetition: {events.PeReceived, events.PeClassified, events.PeForwarded, events.PeGuided, events.PeFiled,
		events.PeAccepted, events.PeNotAccepted, events.PeResolved, events.PeResultNotified, events.PeSecondInstance, events.PeSecondAccepted, events.PeSecondRefused, events.PeWithdrawn, events.PeClosed},
	events.KindInfoRequest: {events.IrReceived, events.IrValidated, events.IrRejected, events.IrTimelineNotified,
		events.IrExtended, events.IrProvided, events.IrRefused, events.IrClosed},
}

// TestDomainTypes checks the shape of the vocabulary: type names, kinds,
// one creation event per kind, roles.
func TestDomainTypes(t *testing.T) {
	name := regexp.MustCompile(`^[a-z_]+\.[a-z_]+\.v[1-9][0-9]*$`)
	creations := map[events.Kind][]events.Type{}
	for _, typ := range events.Types() {
		if !name.MatchString(string(typ)) {
			t.Errorf("type %q is not of the form <kind>.<event>.v<N>", typ)
		}
		if _, ok := allStatuses[typ.Kind()]; !ok {
			t.Errorf("type %s belongs to kind %q, which the tests do not know", typ, typ.Kind())
		}
		if !events.KnownType(typ) {
			t.Errorf("KnownType(%s) = false", typ)
		}
		if events.IsCreation(typ) {
			creations[typ.Kind()] = append(creations[typ.Kind()], typ)
		}
		roles := events.RolesFor(typ)
		if len(roles) == 0 {
			t.Errorf("RolesFor(%s) is empty: nobody may record it", typ)
		}
		for _, r := range roles {
			if !r.Valid() && r != events.RoleSystem {
				t.Errorf("RolesFor(%s) lists unknown role %q", typ, r)
			}
			// Inspectors read; the one thing they record is the review that
			// closes a derived flag.
			if r == events.RoleObserver || r == events.RoleInspector && typ.Kind() != events.KindFlag {
				t.Errorf("RolesFor(%s) lets read-only role %s write", typ, r)
			}
		}
	}
	for kind := range allStatuses {
		if got := creations[kind]; len(got) != 1 {
			t.Errorf("kind %s has creation types %v, want exactly one", kind, got)
		}
		corrected := events.Type(string(kind) + ".corrected.v1")
		// Tokens and administrative actions are records of the system's
		// own operation, not of the supervised work: nothing in them is
		// corrected (a token is revoked and another made).
		if kind != events.KindToken && kind != events.KindAdmin && !events.KnownType(corrected) {
			t.Errorf("kind %s has no %s: the ledger corrects by appending, so every kind needs one", kind, corrected)
		}
	}
	if events.KnownType("recommendation.responded.v1") {
		t.Errorf("KnownType(recommendation.responded.v1) = true, want false")
	}
}

// TestDomainVocabulary cross-checks the events named in domain.md §2 with
// the type constants that record them.
func TestDomainVocabulary(t *testing.T) {
	vocabulary := []struct {
		section string
		name    string
		typ     events.Type
	}{
		{"2.1", "PlanDrafted", events.PlanDrafted},
		{"2.1", "PlanConsulted", events.PlanConsulted},
		{"2.1", "PlanAdopted", events.PlanAdopted},
		{"2.1", "PlanItemAdded", events.PlanItemAdded},
		{"2.1", "PlanItemDropped", events.PlanItemDropped},
		{"2.1", "PlanClosed", events.PlanClosed},
		{"2.2", "SupervisionPlanned", events.SupervisionPlanned},
		{"2.2", "DelegationEstablished", events.SupervisionDelegationEstablished},
		{"2.2", "SupervisionNotified", events.SupervisionNotified},
		{"2.2", "ReportOutlineSent", events.SupervisionReportOutlineSent},
		{"2.2", "SubjectReportReceived", events.SupervisionSubjectReportReceived},
		{"2.2", "DocumentRequested", events.SupervisionDocumentRequested},
		{"2.2", "DocumentProvided", events.SupervisionDocumentProvided},
		{"2.2", "DocumentRefused", events.SupervisionDocumentRefused},
		{"2.2", "WorkingSessionScheduled", events.SupervisionSessionScheduled},
		{"2.2", "WorkingSessionHeld", events.SupervisionSessionHeld},
		{"2.2", "WorkingSessionPostponed", events.SupervisionSessionPostponed},
		{"2.2", "ResultReportSubmitted", events.SupervisionResultReportSubmitted},
		{"2.2", "ResultReportIssued", events.SupervisionResultReportIssued},
		{"2.2", "SupervisionClosed", events.SupervisionClosed},
		{"2.2", "SupervisionCancelled", events.SupervisionCancelled},
		{"2.2", "Postponed", events.SupervisionPostponed},
		{"2.3", "RecommendationIssued", events.RecommendationIssued},
		{"2.3", "RecommendationReceived", events.RecommendationReceived},
		{"2.3", "RecommendationAcknowledged", events.RecommendationAcknowledged},
		{"2.3", "ResponseSubmitted", events.RecommendationResponseSubmitted},
		{"2.3", "ExplanationSubmitted", events.RecommendationExplanationSubmitted},
		{"2.3", "ImplementationCommitted", events.RecommendationImplementationCommitted},
		{"2.3", "ImplementationEvidenceSubmitted", events.RecommendationImplementationEvidenceAdded},
		{"2.3", "ImplementationVerified", events.RecommendationImplementationVerified},
		{"2.3", "ReminderSent", events.RecommendationReminderSent},
		{"2.3", "RecommendationEscalated", events.RecommendationEscalated},
		{"2.3", "Disputed", events.RecommendationDisputed},
		{"2.3", "ReviewRequested", events.RecommendationReviewRequested},
		{"2.3", "Upheld", events.RecommendationReviewUpheld},
		{"2.3", "RecommendationAmended", events.RecommendationAmended},
		{"2.3", "RecommendationWithdrawn", events.RecommendationWithdrawn},
		{"2.3", "RecommendationClosed", events.RecommendationClosed},
		{"2.3", "PeriodicHearingHeld", events.UnitPeriodicHearingHeld},
		{"2.5", "FollowUpOpened", events.SupervisionPlanned}, // a supervision with follow_up_of
		{"2.5", "FollowUpFinding", events.SupervisionFollowUpFindingRecorded},
		{"2.5", "FollowUpClosed", events.SupervisionClosed},
		{"2.6", "CritiqueRequested", events.CritiqueRequested},
		{"2.6", "DraftReceived", events.CritiqueDraftReceived},
		{"2.6", "InformationRequested", events.CritiqueInformationRequested},
		{"2.6", "InformationProvided", events.CritiqueInformationProvided},
		{"2.6", "CritiqueConferenceHeld", events.CritiqueConferenceHeld},
		{"2.6", "ConsultationSent", events.CritiqueConsultationSent},
		{"2.6", "ConsultationOpinionReceived", events.CritiqueOpinionReceived},
		{"2.6", "DialogueHeld", events.CritiqueDialogueHeld},
		{"2.6", "CritiqueSynthesized", events.CritiqueSynthesized},
		{"2.6", "CritiqueDocumentIssued", events.CritiqueDocumentIssued},
		{"2.6", "DrafterResponseReceived", events.CritiqueDrafterResponded},
		{"2.6", "CritiqueForwardedToIssuer", events.CritiqueForwardedToIssuer},
		{"2.6", "DraftAdopted", events.CritiqueDraftAdopted},
		{"2.6", "CritiqueClosed", events.CritiqueClosed},
		{"2.7", "ContributionCollected", events.ContributionCollected},
		{"2.7", "ContributionSynthesized", events.ContributionSynthesized},
		{"2.7", "ContributionSent", events.ContributionSent},
		{"2.7", "ContributionReceived", events.ContributionReceived},
		{"2.7", "ContributionResponded", events.ContributionResponded},
		{"2.7", "ContributionClosed", events.ContributionClosed},
		{"2.8", "Received", events.PetitionReceived},
		{"2.8", "Classified", events.PetitionClassified},
		{"2.8", "Forwarded", events.PetitionForwarded},
		{"2.8", "Guided", events.PetitionGuided},
		{"2.8", "Filed", events.PetitionFiled},
		{"2.8", "Accepted", events.PetitionAccepted},
		{"2.8", "Extended", events.PetitionExtended},
		{"2.8", "Resolved", events.PetitionResolved},
		{"2.8", "NotifiedToForwarder", events.PetitionResultNotified},
		{"2.8", "SecondInstanceFiled", events.PetitionSecondInstanceFiled},
		{"2.8", "Closed", events.PetitionClosed},
		{"2.8", "ReceptionSessionHeld", events.UnitReceptionSessionHeld},
		{"2.9", "InfoRequestReceived", events.InfoRequestReceived},
		{"2.9", "InfoRequestValidated", events.InfoRequestValidated},
		{"2.9", "InfoRequestRejected", events.InfoRequestRejected},
		{"2.9", "InfoTimelineNotified", events.InfoRequestTimelineNotified},
		{"2.9", "InfoProvided", events.InfoRequestProvided},
		{"2.9", "InfoRefused", events.InfoRequestRefused},
		{"2.9", "InfoExtensionNotified", events.InfoRequestExtensionNotified},
		{"2.9", "InfoCorrected", events.InfoRequestInformationCorrected},
		{"1.1", "UnitSuperseded", events.UnitSuperseded},
	}
	for _, v := range vocabulary {
		if !events.KnownType(v.typ) {
			t.Errorf("domain.md §%s %s: type %s is not registered", v.section, v.name, v.typ)
		}
	}
}

// TestDomainDecideRefusesForeignTypes checks that Decide refuses a type of
// another kind and an unknown type, naming the field "type".
func TestDomainDecideRefusesForeignTypes(t *testing.T) {
	w := MustFixtureWorld(t)
	st := w.Lookup("recommendation/kn-2024-15")
	for _, typ := range []events.Type{events.SupervisionClosed, "recommendation.shredded.v1"} {
		t.Run(string(typ), func(t *testing.T) {
			p := mustPayload(t, events.SupervisionClosed, example(t, events.SupervisionClosed))
			err := events.Decide(st, events.Command{Type: typ, Payload: p, Actor: recorderAt("an-nhon")}, w)
			if got, want := events.ErrorCode(err), events.EInvalid; got != want {
				t.Fatalf("Decide: code %q (%v), want %q", got, err, want)
			}
			if got, want := events.ErrorField(err), "type"; got != want {
				t.Errorf("Decide: field %q, want %q", got, want)
			}
		})
	}
}

// TestDomainUnitWithin checks scope through the unit tree, including units
// superseded in the 2025 reorganisation: their records stay in the scope of
// their successors, whichever side recorded the succession.
func TestDomainUnitWithin(t *testing.T) {
	w := MustFixtureWorld(t)
	// The 2025 reorganisation as recorded on the old units' side: thị xã
	// An Nhơn ends with the district level, Phù Cát commune-level units go
	// to a new commune registered without predecessor_ids.
	w.mustRecord(t, "unit/cat-tien", "", past{events.UnitRegistered, `{"name":"Cát Tiến","level":"COMMUNE","designation":"xã","parent_id":"gia-lai","valid_from":"2025-07-01"}`})
	w.mustRecord(t, "unit/phu-cat", "", past{events.UnitSuperseded, `{"successor_ids":["cat-tien"],"effective_on":"2025-07-01","basis":"Nghị quyết sắp xếp đơn vị hành chính cấp xã năm 2025"}`})
	w.mustRecord(t, "unit/cat-tien-old", "", past{events.UnitRegistered, `{"name":"Cát Tiến","level":"COMMUNE","designation":"xã","parent_id":"phu-cat","valid_from":"1989-07-01"}`})
	// Kon Tum joined Quảng Ngãi in 2025; here the new province is
	// registered without predecessor_ids and only the old commune records
	// its successor, a commune of the new province.
	w.mustRecord(t, "unit/kon-tum", "", past{events.UnitRegistered, `{"name":"Kon Tum","level":"PROVINCE","designation":"tỉnh","parent_id":"vn","valid_from":"1991-08-12"}`})
	w.mustRecord(t, "unit/dak-ha", "", past{events.UnitRegistered, `{"name":"Đăk Hà","level":"COMMUNE","designation":"thị trấn","parent_id":"kon-tum","valid_from":"1994-01-01"}`})
	w.mustRecord(t, "unit/quang-ngai", "", past{events.UnitRegistered, `{"name":"Quảng Ngãi","level":"PROVINCE","designation":"tỉnh","parent_id":"vn","valid_from":"2025-07-01"}`})
	w.mustRecord(t, "unit/dak-ha-2025", "", past{events.UnitRegistered, `{"name":"Đăk Hà","level":"COMMUNE","designation":"xã","parent_id":"quang-ngai","valid_from":"2025-07-01"}`})
	w.mustRecord(t, "unit/dak-ha", "", past{events.UnitSuperseded, `{"successor_ids":["dak-ha-2025"],"effective_on":"2025-07-01","basis":"Sắp xếp đơn vị hành chính cấp xã năm 2025"}`})
	// A chain: a ward merged in 2020 into another that was merged in 2025.
	w.mustRecord(t, "unit/nhon-thanh", "", past{events.UnitRegistered, `{"name":"Nhơn Thành","level":"COMMUNE","designation":"phường","parent_id":"an-nhon","valid_from":"2011-06-01"}`})
	w.mustRecord(t, "unit/nhon-thanh", "", past{events.UnitSuperseded, `{"successor_ids":["nhon-hung"],"effective_on":"2020-01-01","basis":"Sáp nhập (ví dụ kiểm thử)"}`})
	// A split: a district ends and its communes go to two different new
	// communes; each old commune goes where its own successor_ids say, not
	// to every successor of the district.
	w.mustRecord(t, "unit/tay-son", "", past{events.UnitRegistered, `{"name":"Tây Sơn","level":"DISTRICT","designation":"huyện","parent_id":"binh-dinh","valid_from":"1989-07-01"}`})
	w.mustRecord(t, "unit/tay-giang", "", past{events.UnitRegistered, `{"name":"Tây Giang","level":"COMMUNE","designation":"xã","parent_id":"tay-son","valid_from":"1989-07-01"}`})
	w.mustRecord(t, "unit/tay-son-ward-a", "", past{events.UnitRegistered, `{"name":"Tây Sơn A","level":"COMMUNE","designation":"phường","parent_id":"gia-lai","valid_from":"2025-07-01"}`})
	w.mustRecord(t, "unit/tay-son-ward-b", "", past{events.UnitRegistered, `{"name":"Tây Sơn B","level":"COMMUNE","designation":"xã","parent_id":"gia-lai","valid_from":"2025-07-01"}`})
	w.mustRecord(t, "unit/tay-giang", "", past{events.UnitSuperseded, `{"successor_ids":["tay-son-ward-a"],"effective_on":"2025-07-01","basis":"Sắp xếp đơn vị hành chính cấp xã năm 2025"}`})
	w.mustRecord(t, "unit/tay-son", "", past{events.UnitSuperseded, `{"successor_ids":["tay-son-ward-a","tay-son-ward-b"],"effective_on":"2025-07-01","basis":"Kết thúc hoạt động cấp huyện"}`})

	for _, c := range []struct {
		name        string
		unit, scope string
		want        bool
	}{
		{"scope itself", "an-nhon", "an-nhon", true},
		{"child", "binh-dinh-ward", "an-nhon", true},
		{"grandchild", "kp-liem-dinh", "an-nhon", true},
		{"province covers its communes", "kp-liem-dinh", "binh-dinh", true},
		{"sibling district is outside", "phu-cat", "an-nhon", false},
		{"parent is outside", "binh-dinh", "an-nhon", false},
		{"sibling ward is outside", "nhon-hung", "binh-dinh-ward", false},
		{"unknown unit is outside", "khong-ton-tai", "an-nhon", false},
		{"empty unit is outside", "", "an-nhon", false},
		{"empty scope covers nothing", "an-nhon", "", false},
		{"successor ward covers its predecessor", "binh-dinh-ward", "an-nhon-ward", true},
		{"successor ward covers its second predecessor", "nhon-hung", "an-nhon-ward", true},
		{"successor ward covers its predecessor's children", "kp-liem-dinh", "an-nhon-ward", true},
		{"successor ward covers units merged into its predecessor", "nhon-thanh", "an-nhon-ward", true},
		{"successor ward does not cover the old district", "an-nhon", "an-nhon-ward", false},
		{"successor province covers the old province's wards", "binh-dinh-ward", "gia-lai", true},
		{"successor province covers its new wards", "an-nhon-ward", "gia-lai", true},
		{"successor recorded on the old side covers the old unit", "phu-cat", "cat-tien", true},
		{"successor recorded on the old side covers the old unit's children", "cat-tien-old", "cat-tien", true},
		{"a unit merged into a unit below scope is within scope", "dak-ha", "quang-ngai", true},
		{"the new commune covers the old one", "dak-ha", "dak-ha-2025", true},
		{"the old province does not cover the new commune", "dak-ha-2025", "kon-tum", false},
		{"a superseded unit does not cover its successor", "an-nhon-ward", "binh-dinh-ward", false},
		{"a predecessor of one ward is outside another new ward", "binh-dinh-ward", "cat-tien", false},
		{"a split district's commune goes to its own successor", "tay-giang", "tay-son-ward-a", true},
		{"a split district's commune is outside the other successor", "tay-giang", "tay-son-ward-b", false},
		{"a split district's own records go to every successor", "tay-son", "tay-son-ward-b", true},
		{"the old district keeps its old communes", "tay-giang", "tay-son", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := events.UnitWithin(w, c.unit, c.scope); got != c.want {
				t.Errorf("UnitWithin(%q, %q) = %v, want %v", c.unit, c.scope, got, c.want)
			}
		})
	}

	// The same rule through Decide: a recorder of the 2025 ward keeps
	// working on a supervision of its predecessor ward.
	w.mustRecord(t, "supervision/gs-binh-dinh-ward", "binh-dinh-ward", past{events.SupervisionPlanned,
		`{"title":"Giám sát công tác tiếp công dân","topic":"Tiếp công dân","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"REGULAR","subject_party_ids":["ubnd-binh-dinh-ward"],"planned_start":"2025-03-03"}`})
	for _, c := range []struct {
		name  string
		actor events.Actor
		want  string
	}{
		{"OK: recorder of the successor ward", recorderAt("an-nhon-ward"), ""},
		{"OK: recorder of the successor province", recorderAt("gia-lai"), ""},
		{"ErrNotFound (out of its sight): recorder of an unrelated new commune", recorderAt("cat-tien"), events.ENotFound},
		{"ErrNotFound (out of its sight): recorder of the predecessor's sibling", recorderAt("nhon-hung"), events.ENotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := w.Lookup("supervision/gs-binh-dinh-ward")
			p := mustPayload(t, events.SupervisionNotified, `{"notified_on":"2025-03-01","notified_party_ids":["ubnd-binh-dinh-ward"]}`)
			err := events.Decide(st, events.Command{Type: events.SupervisionNotified, Payload: p, Actor: c.actor}, w)
			if got := events.ErrorCode(err); got != c.want {
				t.Errorf("Decide as %s of %s: code %q (%v), want %q", c.actor.Role, c.actor.Unit, got, err, c.want)
			}
		})
	}
}

// TestDomainUnitInfo checks the facts a unit state keeps.
func TestDomainUnitInfo(t *testing.T) {
	w := MustFixtureWorld(t)
	w.mustRecord(t, "unit/binh-dinh-ward", "", past{events.UnitSuperseded, `{"successor_ids":["an-nhon-ward"],"effective_on":"2025-07-01","basis":"Sắp xếp đơn vị hành chính cấp xã năm 2025"}`})
	for _, c := range []struct {
		id   string
		want events.UnitInfo
	}{
		{"an-nhon-ward", events.UnitInfo{ID: "an-nhon-ward", Name: "An Nhơn", Level: events.LevelCommune, ParentID: "gia-lai", Predecessors: []string{"binh-dinh-ward", "nhon-hung"}}},
		{"binh-dinh-ward", events.UnitInfo{ID: "binh-dinh-ward", Name: "Bình Định", Level: events.LevelCommune, ParentID: "an-nhon", Superseded: true, Successors: []string{"an-nhon-ward"}}},
	} {
		t.Run(c.id, func(t *testing.T) {
			got, ok := w.Lookup("unit/" + c.id).UnitInfo()
			if !ok {
				t.Fatalf("UnitInfo() ok = false")
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("UnitInfo() (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDomainStateIsAValue checks that Evolve never changes the state it is
// given: readers may hold a *State while a writer moves on.
func TestDomainStateIsAValue(t *testing.T) {
	w := MustFixtureWorld(t)
	before := w.Lookup("supervision/gs-2024-dat-dai")
	status, version, open := before.Status(), before.Version(), before.Open()
	w.mustRecord(t, "supervision/gs-2024-dat-dai", "an-nhon",
		past{events.SupervisionDocumentRequested, example(t, events.SupervisionDocumentRequested)},
		past{events.SupervisionPostponed, `{"postponed_on":"2024-05-20","requested_by":"SUPERVISOR","reason":"Bão số 4."}`},
	)
	if got := before.Status(); got != status {
		t.Errorf("old state's Status() = %s after Evolve, want %s", got, status)
	}
	if got := before.Version(); got != version {
		t.Errorf("old state's Version() = %d after Evolve, want %d", got, version)
	}
	if diff := cmp.Diff(open, before.Open()); diff != "" {
		t.Errorf("old state's Open() changed (-want +got):\n%s", diff)
	}
	after := w.Lookup("supervision/gs-2024-dat-dai")
	if got, want := after.Open(), []string{"doc:tl-01"}; !slices.Equal(got, want) {
		t.Errorf("Open() = %v, want %v", got, want)
	}
	if got, want := after.Parties(), []string{"ubnd-binh-dinh-ward"}; !slices.Equal(got, want) {
		t.Errorf("Parties() = %v, want %v", got, want)
	}
	if got, want := after.Form(), string(events.FormDelegation); got != want {
		t.Errorf("Form() = %q, want %q", got, want)
	}
	if got := after.PrevHashString(); len(got) != 64 || strings.Trim(got, "0123456789abcdef") != "" {
		t.Errorf("PrevHashString() = %q, want 64 hex digits", after.PrevHashString())
	}
}
