package events_test

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mttq-vn/ledger/events"
)

// lifecycleCase is one given/when/then case on one aggregate: given the
// events already recorded on it, when an event is decided, then Decide
// returns nil or an error with the wanted code, field and message, and an
// allowed event leads to the wanted state.
type lifecycleCase struct {
	name  string
	given []past
	// setup records other aggregates after the given events, if set.
	setup func(tb testing.TB, w *fixtureWorld)
	when  past
	// as records the event; the zero Actor means defaultActor.
	as events.Actor
	// unit is Command.Unit; for a new aggregate "" means the test's unit.
	unit string
	// want is the error code, "" for an allowed event.
	want string
	// field is the field the error names ("" for none).
	field string
	// msg is a text the error message must contain.
	msg string
	// then is the state after an allowed event ("" skips the check).
	then events.Status
}

// runLifecycle runs cases on stream, an aggregate of unit, each in a fresh
// fixture world.
func runLifecycle(t *testing.T, stream, unit string, cases []lifecycleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := MustFixtureWorld(t)
			w.mustRecord(t, stream, unit, c.given...)
			if c.setup != nil {
				c.setup(t, w)
			}
			before := w.state(t, stream)
			actor := c.as
			if actor.Role == "" {
				actor = defaultActor(c.when.typ, unit)
			}
			cmdUnit := c.unit
			if cmdUnit == "" && !before.Exists() {
				cmdUnit = unit
			}
			err := w.record(t, stream, cmdUnit, actor, c.when.typ, c.when.data)
			if got := events.ErrorCode(err); got != c.want {
				t.Fatalf("Decide(%s) in state %q as %s: code %q (%v), want %q", c.when.typ, before.Status(), actor.Role, got, err, c.want)
			}
			wantField := c.field
			if wantField == "" {
				// Lifecycle refusals name the input at fault: the stream
				// ID when it exists already or is missing, else the type.
				switch {
				case c.want == events.ENotFound, c.want == events.EConflict && strings.Contains(events.ErrorMessage(err), "already exists"):
					wantField = "id"
				case c.want == events.EConflict:
					wantField = "type"
				}
			}
			if got := events.ErrorField(err); got != wantField {
				t.Errorf("Decide(%s): field %q (%v), want %q", c.when.typ, got, err, wantField)
			}
			if c.msg != "" && !strings.Contains(events.ErrorMessage(err), c.msg) {
				t.Errorf("Decide(%s): message %q, want it to contain %q", c.when.typ, events.ErrorMessage(err), c.msg)
			}
			if err == nil && c.then != "" {
				if got := w.Lookup(stream).Status(); got != c.then {
					t.Errorf("state after %s = %q, want %q", c.when.typ, got, c.then)
				}
			}
		})
	}
}

// seq joins event lists, for histories that extend one another.
func seq(parts ...[]past) []past {
	var out []past
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestLifecycleTable compares Decide with the lifecycle tables. For every
// kind it walks every state reachable from the creation event by Evolve
// (with the golden examples as payloads) and, in each, decides every event
// type of the kind: a type NextTypes lists must not be refused by the
// lifecycle, and any other type must be refused with code conflict naming
// the current state. It also checks that every declared state is reachable
// and every event type is allowed somewhere.
func TestLifecycleTable(t *testing.T) {
	w := MustFixtureWorld(t)
	byKind := map[events.Kind][]events.Type{}
	for _, typ := range events.Types() {
		byKind[typ.Kind()] = append(byKind[typ.Kind()], typ)
	}
	kinds := make([]events.Kind, 0, len(byKind))
	for k := range byKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	// pauses are states that remember the state before them.
	pauses := []events.Status{events.SupPostponed, events.RecReviewRequested}

	for _, kind := range kinds {
		types := byKind[kind]
		t.Run(string(kind), func(t *testing.T) {
			unit := "an-nhon"
			decide := func(st *events.State, typ events.Type) (events.Payload, error) {
				t.Helper()
				p := mustPayload(t, typ, example(t, typ))
				cmdUnit := ""
				if !st.Exists() {
					cmdUnit = unit
				}
				return p, events.Decide(st, events.Command{Type: typ, Payload: p, Actor: tableActor(typ), Unit: cmdUnit}, w)
			}

			// A stream that does not exist takes only its creation event.
			start := events.NewState(kind, "lc-1")
			var creation events.Type
			for _, typ := range types {
				_, err := decide(start, typ)
				switch {
				case events.IsCreation(typ):
					creation = typ
					if err != nil {
						t.Errorf("new stream: Decide(%s) = %v, want nil", typ, err)
					}
				case events.ErrorCode(err) != events.ENotFound:
					t.Errorf("new stream: Decide(%s): code %q (%v), want %q", typ, events.ErrorCode(err), err, events.ENotFound)
				}
			}
			if creation == "" {
				t.Fatalf("kind %s has no creation type", kind)
			}

			type node struct {
				st *events.State
				// paused is the state a pause (postponed, review
				// requested) will return to.
				paused events.Status
			}
			first := mustEvolve(t, start, creation, mustPayload(t, creation, example(t, creation)), tableActor(creation), unit, 1)
			queue := []node{{st: first}}
			seen := map[string]bool{}
			reached := map[events.Status]bool{}
			usable := map[events.Type]bool{creation: true}
			for len(queue) > 0 {
				n := queue[0]
				queue = queue[1:]
				key := string(n.st.Status()) + "<" + string(n.paused)
				if seen[key] {
					continue
				}
				seen[key] = true
				status := n.st.Status()
				reached[status] = true
				next := events.NextTypes(n.st)
				for _, typ := range types {
					p, err := decide(n.st, typ)
					lifecycleRefusal := events.ErrorCode(err) == events.EConflict && strings.Contains(events.ErrorMessage(err), "is not allowed now")
					switch {
					case events.IsCreation(typ):
						if events.ErrorCode(err) != events.EConflict || !strings.Contains(events.ErrorMessage(err), "already exists") {
							t.Errorf("state %s: Decide(%s) = %v, want a conflict: the stream already exists", status, typ, err)
						}
					case slices.Contains(next, typ):
						if lifecycleRefusal {
							t.Errorf("state %s: Decide(%s) = %v, but NextTypes allows it", status, typ, err)
						}
						usable[typ] = true
						after := mustEvolve(t, n.st, typ, p, tableActor(typ), unit, n.st.Version()+1)
						paused := n.paused
						switch {
						case slices.Contains(pauses, after.Status()) && !slices.Contains(pauses, status):
							paused = status
						case !slices.Contains(pauses, after.Status()):
							paused = ""
						}
						queue = append(queue, node{st: after, paused: paused})
					default:
						if events.ErrorCode(err) != events.EConflict || !strings.Contains(events.ErrorMessage(err), "is in state "+string(status)) {
							t.Errorf("state %s: Decide(%s) = %v, want a conflict naming state %s (NextTypes: %v)", status, typ, err, status, next)
						}
					}
				}
			}

			var got []events.Status
			for s := range reached {
				got = append(got, s)
			}
			want := slices.Clone(allStatuses[kind])
			sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
			sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("reachable states (-want +got):\n%s", diff)
			}
			for _, typ := range types {
				if !usable[typ] {
					t.Errorf("%s is allowed in no reachable state", typ)
				}
			}
		})
	}
}

// tableActor is an actor with a role that may record typ, scoped to the
// whole country, so that only the lifecycle decides.
func tableActor(typ events.Type) events.Actor {
	roles := events.RolesFor(typ)
	switch {
	case slices.Contains(roles, events.RoleRecorder):
		return recorderAt("vn")
	case slices.Contains(roles, events.RoleAdmin):
		return adminActor
	}
	return events.Actor{Subject: "tok-test", Role: roles[0]}
}

func TestLifecycleUnit(t *testing.T) {
	registered := past{events.UnitRegistered, `{"name":"Nhơn Phong","level":"COMMUNE","designation":"xã","parent_id":"an-nhon","valid_from":"2011-06-01"}`}
	renamed := past{events.UnitRenamed, `{"name":"Nhơn Phong","effective_on":"2021-02-01","basis":"Ví dụ kiểm thử"}`}
	superseded := past{events.UnitSuperseded, `{"successor_ids":["an-nhon-ward"],"effective_on":"2025-07-01","basis":"Sắp xếp đơn vị hành chính cấp xã năm 2025"}`}
	hearing := past{events.UnitPeriodicHearingHeld, `{"body":"PEOPLES_COUNCIL","period":"2025-H1","held_on":"2025-06-20","recommendation_ids":["kn-2024-15"]}`}
	runLifecycle(t, "unit/nhon-phong", "", []lifecycleCase{
		{name: "OK: registered under a known parent", when: registered, as: adminActor, then: events.UnitActive},
		{name: "ErrConflict: registered twice", given: []past{registered}, when: registered, want: events.EConflict, msg: "already exists"},
		{name: "ErrNotFound: renamed before it was registered", when: renamed, want: events.ENotFound},
		{name: "ErrInvalid: parent not registered", when: past{events.UnitRegistered, `{"name":"Nhơn Phong","level":"COMMUNE","parent_id":"khong-ton-tai","valid_from":"2011-06-01"}`},
			want: events.EInvalid, field: "data.parent_id"},
		{name: "ErrInvalid: predecessor not registered", when: past{events.UnitRegistered, `{"name":"Nhơn Phong","level":"COMMUNE","parent_id":"an-nhon","valid_from":"2011-06-01","predecessor_ids":["an-nhon","khong-ton-tai"]}`},
			want: events.EInvalid, field: "data.predecessor_ids[1]"},
		{name: "ErrInvalid: its own parent", when: past{events.UnitRegistered, `{"name":"Nhơn Phong","level":"COMMUNE","parent_id":"nhon-phong","valid_from":"2011-06-01"}`},
			want: events.EInvalid, field: "data.parent_id"},
		{name: "ErrForbidden: a recorder registers a unit", when: registered, as: recorderAt("an-nhon"), want: events.EForbidden},
		{name: "OK: renamed", given: []past{registered}, when: renamed, then: events.UnitActive},
		{name: "OK: superseded", given: []past{registered}, when: superseded, then: events.UnitSupersededS},
		{name: "ErrConflict: renamed after it was superseded", given: []past{registered, superseded}, when: renamed,
			want: events.EConflict, msg: "is in state superseded"},
		{name: "ErrConflict: superseded twice", given: []past{registered, superseded}, when: superseded, want: events.EConflict, msg: "is in state superseded"},
		{name: "ErrInvalid: superseded by itself", given: []past{registered}, when: past{events.UnitSuperseded, `{"successor_ids":["nhon-phong"],"effective_on":"2025-07-01","basis":"x"}`},
			want: events.EInvalid, field: "data.successor_ids[0]"},
		{name: "ErrInvalid: superseded by an unknown unit", given: []past{registered}, when: past{events.UnitSuperseded, `{"successor_ids":["an-nhon-ward","khong-ton-tai"],"effective_on":"2025-07-01","basis":"x"}`},
			want: events.EInvalid, field: "data.successor_ids[1]"},
		{name: "ErrInvalid: reparented under its own child", given: []past{registered},
			setup: func(tb testing.TB, w *fixtureWorld) {
				w.mustRecord(tb, "unit/thon-1", "", past{events.UnitRegistered, `{"name":"Thôn 1","level":"RESIDENTIAL_AREA","designation":"thôn","parent_id":"nhon-phong","valid_from":"2011-06-01"}`})
			},
			when: past{events.UnitReparented, `{"parent_id":"thon-1","effective_on":"2024-01-01"}`}, want: events.EInvalid, field: "data.parent_id"},
		{name: "OK: reparented under the new province", given: []past{registered}, when: past{events.UnitReparented, `{"parent_id":"gia-lai","effective_on":"2025-07-01"}`}, then: events.UnitActive},
		{name: "OK: a hearing is recorded on a superseded unit", given: []past{registered, superseded}, when: hearing, as: recorderAt("an-nhon"), then: events.UnitSupersededS},
		{name: "OK: the successor ward's recorder records on its predecessor", given: []past{registered, superseded}, when: hearing, as: recorderAt("an-nhon-ward")},
		{name: "ErrForbidden: a recorder of another district records a hearing", given: []past{registered}, when: hearing, as: recorderAt("phu-cat"), want: events.EForbidden},
		{name: "ErrForbidden: an admin records a hearing", given: []past{registered}, when: hearing, as: adminActor, want: events.EForbidden},
		{name: "ErrInvalid: a hearing names an unknown recommendation", given: []past{registered}, as: recorderAt("an-nhon"),
			when: past{events.UnitPeriodicHearingHeld, `{"body":"PEOPLES_COUNCIL","period":"2024-H2","held_on":"2024-12-20","recommendation_ids":["kn-2024-15","kn-khong-co"]}`},
			want: events.EInvalid, field: "data.recommendation_ids[1]"},
		{name: "ErrInvalid: a reception session names an unknown petition", given: []past{registered}, as: recorderAt("an-nhon"),
			when: past{events.UnitReceptionSessionHeld, `{"host":"VFF","held_on":"2024-05-16","citizens_count":2,"petition_ids":["don-khong-co"]}`},
			want: events.EInvalid, field: "data.petition_ids[0]"},
		{name: "OK: a correction of a superseded unit", given: []past{registered, superseded}, when: past{events.UnitCorrected, `{"corrects_version":1,"reason":"Sai tên.","changes":{"name":"Nhơn Phong"}}`}},
		{name: "OK: a corrected level", given: []past{registered}, when: past{events.UnitCorrected, `{"corrects_version":1,"reason":"Sai cấp.","changes":{"level":"COMMUNE"}}`}},
		{name: "ErrInvalid: a corrected level that is none", given: []past{registered},
			when: past{events.UnitCorrected, `{"corrects_version":1,"reason":"Sai cấp.","changes":{"level":"phường"}}`}, want: events.EInvalid, field: "data.changes.level", msg: "CENTRAL, PROVINCE"},
		{name: "ErrInvalid: a correction of a version that does not exist", given: []past{registered},
			when: past{events.UnitCorrected, `{"corrects_version":2,"reason":"Sai tên.","changes":{"name":"Nhơn Phong"}}`}, want: events.EInvalid, field: "data.corrects_version"},
	})
}

func TestLifecycleParty(t *testing.T) {
	registered := past{events.PartyRegistered, `{"name":"Phòng Tài nguyên và Môi trường thị xã An Nhơn","party_kind":"STATE_BODY","superior_id":"ubnd-an-nhon"}`}
	renamed := past{events.PartyRenamed, `{"name":"Phòng Nông nghiệp và Môi trường thị xã An Nhơn","effective_on":"2025-03-01"}`}
	dissolved := past{events.PartyDissolved, `{"effective_on":"2025-07-01","successor_id":"ubnd-an-nhon","basis":"Kết thúc cấp huyện"}`}
	runLifecycle(t, "party/phong-tnmt", "an-nhon", []lifecycleCase{
		{name: "OK: registered by the district's recorder", when: registered, then: events.PartyActive},
		{name: "OK: registered by the province's recorder", when: registered, as: recorderAt("binh-dinh")},
		{name: "OK: registered by an admin", when: registered, as: adminActor},
		{name: "ErrForbidden: registered by a ward's recorder", when: registered, as: recorderAt("binh-dinh-ward"), want: events.EForbidden},
		{name: "ErrForbidden: registered by a respondent", when: registered, as: respondentOf("ubnd-an-nhon"), want: events.EForbidden},
		{name: "ErrInvalid: registered in an unknown unit", when: registered, unit: "khong-ton-tai", as: adminActor, want: events.EInvalid, field: "unit"},
		{name: "ErrInvalid: an unknown superior", when: past{events.PartyRegistered, `{"name":"Phòng Tư pháp","party_kind":"STATE_BODY","superior_id":"khong-co"}`},
			want: events.EInvalid, field: "data.superior_id"},
		{name: "ErrConflict: registered twice", given: []past{registered}, when: registered, want: events.EConflict, msg: "already exists"},
		// An allegation against a member of a People's Inspection Board.
		{name: "OK: an allegation against a board member", given: []past{{events.PartyRegistered, `{"name":"Ban Thanh tra nhân dân phường Bình Định","party_kind":"PEOPLES_INSPECTION_BOARD"}`}},
			when: past{events.PartyAllegation, example(t, events.PartyAllegation)}, then: events.PartyActive},
		{name: "ErrConflict: an allegation against a state body's member", given: []past{registered}, when: past{events.PartyAllegation, example(t, events.PartyAllegation)},
			want: events.EConflict, msg: "PEOPLES_INSPECTION_BOARD"},
		{name: "OK: an allegation against a member of a party corrected to a board", given: []past{registered,
			{events.PartyCorrected, `{"corrects_version":1,"reason":"Sai loại.","changes":{"party_kind":"PEOPLES_INSPECTION_BOARD"}}`}},
			when: past{events.PartyAllegation, example(t, events.PartyAllegation)}, then: events.PartyActive},
		{name: "ErrForbidden: an allegation recorded by an admin", given: []past{registered}, when: past{events.PartyAllegation, example(t, events.PartyAllegation)},
			as: adminActor, want: events.EForbidden},
		{name: "OK: renamed", given: []past{registered}, when: renamed, then: events.PartyActive},
		{name: "OK: dissolved", given: []past{registered}, when: dissolved, then: events.PartyDissolvedS},
		{name: "ErrInvalid: dissolved into an unknown successor", given: []past{registered},
			when: past{events.PartyDissolved, `{"effective_on":"2025-07-01","successor_id":"khong-co"}`}, want: events.EInvalid, field: "data.successor_id"},
		{name: "ErrConflict: renamed after it was dissolved", given: []past{registered, dissolved}, when: renamed, want: events.EConflict, msg: "is in state dissolved"},
		{name: "OK: a correction after dissolution", given: []past{registered, dissolved}, when: past{events.PartyCorrected, example(t, events.PartyCorrected)}},
		{name: "OK: a corrected kind", given: []past{registered}, when: past{events.PartyCorrected, `{"corrects_version":1,"reason":"Sai loại.","changes":{"party_kind":"INSPECTORATE"}}`}},
		{name: "ErrInvalid: a corrected kind that is none", given: []past{registered},
			when: past{events.PartyCorrected, `{"corrects_version":1,"reason":"Sai loại.","changes":{"party_kind":"PHONG"}}`}, want: events.EInvalid, field: "data.changes.party_kind"},
		{name: "ErrInvalid: its unit cannot change", given: []past{registered}, when: renamed, unit: "binh-dinh-ward", want: events.EInvalid, field: "unit"},
		{name: "ErrInvalid: its own superior", given: []past{registered}, when: past{events.PartySuperiorChanged, `{"superior_id":"phong-tnmt","effective_on":"2024-01-01"}`},
			want: events.EInvalid, field: "data.superior_id"},
	})
}

func TestLifecycleToken(t *testing.T) {
	const secret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	created := past{events.TokenCreated, `{"name":"Cán bộ phường Bình Định","role":"recorder","unit":"binh-dinh-ward","secret_sha256":"` + secret + `"}`}
	revoked := past{events.TokenRevoked, example(t, events.TokenRevoked)}
	districtAdmin := events.Actor{Subject: "tok-quan-tri-an-nhon", Role: events.RoleAdmin, Unit: "an-nhon"}
	runLifecycle(t, "token/tok-1", "", []lifecycleCase{
		{name: "OK: an admin creates a recorder token", when: created, then: events.TokenActive},
		{name: "OK: the ledger creates the first admin token", as: systemActor,
			when: past{events.TokenCreated, `{"name":"Quản trị viên đầu tiên","role":"admin","secret_sha256":"` + secret + `"}`}},
		{name: "OK: a district admin creates a token for a ward", when: created, as: districtAdmin, unit: "binh-dinh-ward"},
		{name: "ErrForbidden: a district admin creates a token for another district", as: districtAdmin, unit: "phu-cat",
			when: past{events.TokenCreated, `{"name":"Cán bộ huyện Phù Cát","role":"recorder","unit":"phu-cat","secret_sha256":"` + secret + `"}`}, want: events.EForbidden},
		{name: "ErrForbidden: a recorder creates a token", when: created, as: recorderAt("an-nhon"), want: events.EForbidden},
		{name: "ErrInvalid: a token for an unknown unit", when: past{events.TokenCreated, `{"name":"x","role":"observer","unit":"khong-ton-tai","secret_sha256":"` + secret + `"}`},
			want: events.EInvalid, field: "data.unit"},
		{name: "ErrInvalid: a respondent token for an unknown party", when: past{events.TokenCreated, `{"name":"x","role":"respondent","party":"khong-co","secret_sha256":"` + secret + `"}`},
			want: events.EInvalid, field: "data.party"},
		{name: "ErrConflict: created twice", given: []past{created}, when: created, want: events.EConflict, msg: "already exists"},
		{name: "OK: revoked", given: []past{created}, when: revoked, then: events.TokenRevokedS},
		{name: "ErrConflict: revoked twice", given: []past{created, revoked}, when: revoked, want: events.EConflict, msg: "is in state revoked"},
		{name: "ErrNotFound: revoking a token that does not exist", when: revoked, want: events.ENotFound},
		{name: "ErrForbidden: a recorder revokes a token", given: []past{created}, when: revoked, as: recorderAt("vn"), want: events.EForbidden},
	})
}

func TestLifecycleFlag(t *testing.T) {
	reviewed := past{events.FlagReviewed, example(t, events.FlagReviewed)}
	revised := past{events.FlagReviewRevised, example(t, events.FlagReviewRevised)}
	inspector := events.Actor{Subject: "tok-thanh-tra", Role: events.RoleInspector}
	runLifecycle(t, "flag/OB_NO_RESPONSE-0123456789abcdef01234567", "an-nhon", []lifecycleCase{
		{name: "OK: an inspector reviews a flag", as: inspector, when: reviewed, then: events.FlagReviewedStatus},
		{name: "OK: a later review revises the verdict", as: inspector, given: []past{reviewed}, when: revised, then: events.FlagReviewedStatus},
		{name: "ErrConflict: reviewed twice with the first type", as: inspector, given: []past{reviewed}, when: reviewed, want: events.EConflict, msg: "already exists"},
		{name: "ErrNotFound: a revision without a review", as: inspector, when: revised, want: events.ENotFound},
		{name: "OK: a corrected verdict", as: inspector, given: []past{reviewed},
			when: past{events.FlagCorrected, `{"corrects_version":1,"reason":"Chọn nhầm.","changes":{"verdict":"DISMISSED"}}`}, then: events.FlagReviewedStatus},
		{name: "ErrInvalid: a corrected verdict that is none", as: inspector, given: []past{reviewed},
			when: past{events.FlagCorrected, `{"corrects_version":1,"reason":"Chọn nhầm.","changes":{"verdict":"OK"}}`}, want: events.EInvalid, field: "data.changes.verdict"},
		{name: "ErrForbidden: a recorder reviews a flag", as: recorderAt("an-nhon"), when: reviewed, want: events.EForbidden},
	})
}

func TestLifecyclePlan(t *testing.T) {
	drafted := past{events.PlanDrafted, `{"year":2025,"title":"Kế hoạch giám sát, phản biện xã hội năm 2025 của Ủy ban MTTQ Việt Nam thị xã An Nhơn"}`}
	consulted := past{events.PlanConsulted, example(t, events.PlanConsulted)}
	adopted := past{events.PlanAdopted, example(t, events.PlanAdopted)}
	item := past{events.PlanItemAdded, example(t, events.PlanItemAdded)}
	closed := past{events.PlanClosed, example(t, events.PlanClosed)}
	toAdopted := []past{drafted, consulted, adopted}
	runLifecycle(t, "plan/kh-2025", "an-nhon", []lifecycleCase{
		{name: "OK: drafted", when: drafted, then: events.PlanDrafting},
		{name: "OK: drafting → consulting", given: []past{drafted}, when: consulted, then: events.PlanConsulting},
		{name: "OK: a second consultation meeting", given: []past{drafted, consulted}, when: consulted, then: events.PlanConsulting},
		{name: "ErrConflict: adopted without consultation (hiệp thương)", given: []past{drafted}, when: adopted, want: events.EConflict, msg: "is in state drafting"},
		{name: "OK: consulting → adopted", given: []past{drafted, consulted}, when: adopted, then: events.PlanAdoptedS},
		{name: "OK: an item added after adoption amends the plan", given: toAdopted, when: item, then: events.PlanAdoptedS},
		{name: "ErrConflict: an item added twice", given: []past{drafted, item}, when: item, want: events.EConflict, field: "data.item_id"},
		{name: "OK: an item dropped", given: []past{drafted, item}, when: past{events.PlanItemDropped, `{"item_id":"gs-q2-dat-dai","reason":"Trùng nội dung giám sát của HĐND."}`}},
		{name: "ErrConflict: dropping an item the plan does not have", given: []past{drafted}, when: past{events.PlanItemDropped, example(t, events.PlanItemDropped)},
			want: events.EConflict, field: "data.item_id"},
		{name: "ErrInvalid: an item names an unknown subject", given: []past{drafted},
			when: past{events.PlanItemAdded, `{"item_id":"gs-1","activity":"SUPERVISION","topic":"x","form":"DOCUMENT_REVIEW","subject_party_ids":["khong-co"],"quarter":1,"chair_org":"MTTQ"}`},
			want: events.EInvalid, field: "data.subject_party_ids[0]"},
		{name: "ErrConflict: closed before adoption", given: []past{drafted, consulted}, when: closed, want: events.EConflict, msg: "is in state consulting"},
		{name: "OK: adopted → closed", given: toAdopted, when: closed, then: events.PlanClosedS},
		{name: "ErrConflict: an item added after closing", given: seq(toAdopted, []past{closed}), when: item, want: events.EConflict, msg: "is in state closed"},
		{name: "OK: a correction after closing", given: seq(toAdopted, []past{closed}), when: past{events.PlanCorrected, `{"corrects_version":1,"reason":"Sai tiêu đề.","changes":{"title":"Kế hoạch năm 2025"}}`}},
		{name: "ErrForbidden: a respondent adds an item", given: []past{drafted}, when: item, as: respondentOf("ubnd-binh-dinh-ward"), want: events.EForbidden},
		{name: "ErrNotFound (out of its sight): a recorder of another district", given: []past{drafted}, when: item, as: recorderAt("phu-cat"), want: events.ENotFound},
		{name: "ErrNotFound: consulted on a plan never drafted", when: consulted, want: events.ENotFound},
	})
}

func TestLifecycleSupervision(t *testing.T) {
	planned := func(form, extra string) past {
		return past{events.SupervisionPlanned, fmt.Sprintf(`{"title":"Giám sát việc cấp giấy chứng nhận quyền sử dụng đất","topic":"Đất đai","form":%q,"mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-binh-dinh-ward"],"planned_start":"2024-05-06"%s}`, form, extra)}
	}
	delegation := planned("DELEGATION", "")
	documentReview := planned("DOCUMENT_REVIEW", "")
	joint := planned("JOINT_WITH_AUTHORITY", `,"joint_with_party_id":"hdnd-an-nhon"`)
	followUp := past{events.SupervisionPlanned, `{"title":"Giám sát lại việc thực hiện kiến nghị về thủ tục đất đai","topic":"Đất đai","form":"DOCUMENT_REVIEW","mode":"PLANNED","scope":"THEMATIC",
		"subject_party_ids":["ubnd-binh-dinh-ward"],"planned_start":"2024-10-01","follow_up_of":"gs-2024-dat-dai","recommendation_ids":["kn-2024-15"]}`}
	established := past{events.SupervisionDelegationEstablished, example(t, events.SupervisionDelegationEstablished)}
	notified := past{events.SupervisionNotified, example(t, events.SupervisionNotified)}
	outline := past{events.SupervisionReportOutlineSent, example(t, events.SupervisionReportOutlineSent)}
	subjectReport := past{events.SupervisionSubjectReportReceived, example(t, events.SupervisionSubjectReportReceived)}
	scheduled := past{events.SupervisionSessionScheduled, example(t, events.SupervisionSessionScheduled)}
	held := past{events.SupervisionSessionHeld, example(t, events.SupervisionSessionHeld)}
	submitted := past{events.SupervisionResultReportSubmitted, example(t, events.SupervisionResultReportSubmitted)}
	issued := past{events.SupervisionResultReportIssued, example(t, events.SupervisionResultReportIssued)}
	closed := past{events.SupervisionClosed, example(t, events.SupervisionClosed)}
	cancelled := past{events.SupervisionCancelled, example(t, events.SupervisionCancelled)}
	postponed := past{events.SupervisionPostponed, `{"postponed_on":"2024-05-20","requested_by":"SUPERVISOR","reason":"Đoàn giám sát tham gia phòng chống bão số 4."}`}
	postponedBySubject := past{events.SupervisionPostponed, example(t, events.SupervisionPostponed)}
	resumed := past{events.SupervisionResumed, example(t, events.SupervisionResumed)}
	docRequested := past{events.SupervisionDocumentRequested, example(t, events.SupervisionDocumentRequested)}
	docProvided := past{events.SupervisionDocumentProvided, example(t, events.SupervisionDocumentProvided)}
	finding := past{events.SupervisionFollowUpFindingRecorded, example(t, events.SupervisionFollowUpFindingRecorded)}
	subject := respondentOf("ubnd-binh-dinh-ward")

	toNotified := []past{delegation, established, notified}
	toReport := seq(toNotified, []past{outline, subjectReport})
	toSession := seq(toReport, []past{scheduled, held})
	toIssued := seq(toSession, []past{submitted, issued})
	runLifecycle(t, "supervision/gs-1", "an-nhon", []lifecycleCase{
		// The DELEGATION path of domain.md §2.2.
		{name: "OK: planned", when: delegation, then: events.SupPlanned},
		{name: "OK: planned → delegation_established", given: []past{delegation}, when: established, then: events.SupDelegationEstablished},
		{name: "OK: delegation_established → notified", given: []past{delegation, established}, when: notified, then: events.SupNotified},
		// A step is not dated before the one it follows (dateorder.go).
		{name: "ErrInvalid: the subject's report received before the outline was sent", given: seq(toNotified, []past{outline}),
			when: past{events.SupervisionSubjectReportReceived, `{"received_on":"2024-04-20"}`}, want: events.EInvalid, field: "data.received_on",
			msg: "received_on 2024-04-20 is before the report outline's sent_on (2024-04-23)"},
		{name: "ErrInvalid: the result report before the last working session", given: toSession,
			when: past{events.SupervisionResultReportSubmitted, `{"submitted_on":"2024-05-14","summary":"Kết quả."}`}, want: events.EInvalid, field: "data.submitted_on",
			msg: "submitted_on 2024-05-14 is before the last working session's held_on (2024-05-15)"},
		{name: "OK: notified → report outline sent", given: toNotified, when: outline, then: events.SupReportRequested},
		{name: "OK: the subject's respondent records its report", given: seq(toNotified, []past{outline}), when: subjectReport, as: subject, then: events.SupReportReceived},
		{name: "OK: a working session scheduled", given: toReport, when: scheduled, then: events.SupReportReceived},
		{name: "OK: a working session held", given: seq(toReport, []past{scheduled}), when: held, then: events.SupInSession},
		// An action taken against a member of the supervision.
		{name: "OK: an adverse action against a member", given: toIssued, when: past{events.SupervisionAdverseAction, example(t, events.SupervisionAdverseAction)}, then: events.SupResultIssued},
		{name: "ErrInvalid: an adverse action against no member", given: []past{delegation}, when: past{events.SupervisionAdverseAction,
			`{"adverse_action":{"action_on":"2024-06-10","by_party_id":"ubnd-binh-dinh-ward","action":"DISCIPLINE","description":"Bị kỷ luật."}}`}, want: events.EInvalid, field: "data.adverse_action.member"},
		// A member's relation to a subject, declared while the supervision
		// runs (MU_CONFLICT_OF_INTEREST).
		{name: "OK: a relation to the subject declared", given: []past{delegation, established}, when: past{events.SupervisionInterestDeclared, example(t, events.SupervisionInterestDeclared)}, then: events.SupDelegationEstablished},
		{name: "OK: a recusal while postponed", given: []past{delegation, postponed}, when: past{events.SupervisionInterestDeclared,
			`{"declared_on":"2024-05-21","member":"Lê Quang Hưng","party_id":"ubnd-binh-dinh-ward","relation":"EMPLOYMENT","recused":true}`}, then: events.SupPostponed},
		{name: "ErrInvalid: a relation to a party that is not a subject", given: []past{delegation}, when: past{events.SupervisionInterestDeclared,
			`{"declared_on":"2024-04-24","member":"Lê Quang Hưng","party_id":"ubnd-an-nhon","relation":"BUSINESS","recused":false}`}, want: events.EInvalid, field: "data.party_id", msg: "not a subject"},
		{name: "ErrConflict: a relation declared after the results were issued", given: toIssued, when: past{events.SupervisionInterestDeclared, example(t, events.SupervisionInterestDeclared)},
			want: events.EConflict, msg: "is in state result_report_issued"},
		{name: "ErrForbidden: the subject declares a member's relation", given: []past{delegation}, when: past{events.SupervisionInterestDeclared, example(t, events.SupervisionInterestDeclared)},
			as: subject, want: events.EForbidden},
		{name: "OK: another session after the first", given: toSession, when: past{events.SupervisionSessionScheduled, `{"session_id":"lv-02","scheduled_on":"2024-05-22"}`}, then: events.SupInSession},
		{name: "OK: the result report submitted after a session", given: toSession, when: submitted, then: events.SupResultSubmitted},
		{name: "OK: the result report issued", given: seq(toSession, []past{submitted}), when: issued, then: events.SupResultIssued},
		{name: "OK: closed", given: toIssued, when: closed, then: events.SupClosed},

		// Forms.
		{name: "ErrConflict: a DELEGATION supervision reports before a working session", given: toReport, when: submitted,
			want: events.EConflict, msg: "after its working sessions"},
		{name: "ErrConflict: a JOINT_WITH_AUTHORITY supervision reports before a working session", given: []past{joint, notified}, when: submitted,
			want: events.EConflict, msg: "after its working sessions"},
		{name: "OK: a DOCUMENT_REVIEW supervision reports without a working session", given: []past{documentReview, notified}, when: submitted, then: events.SupResultSubmitted},
		{name: "ErrConflict: a DOCUMENT_REVIEW supervision has no delegation", given: []past{documentReview}, when: established,
			want: events.EConflict, msg: "has no delegation"},

		// Refused transitions.
		{name: "ErrConflict: notified twice", given: toNotified, when: notified, want: events.EConflict, msg: "is in state notified"},
		{name: "ErrConflict: delegation established after the notice", given: toNotified, when: established, want: events.EConflict, msg: "is in state notified"},
		{name: "ErrConflict: result report issued before it was submitted", given: toSession, when: issued, want: events.EConflict, msg: "is in state in_session"},
		{name: "ErrConflict: closed before the result report was issued", given: seq(toSession, []past{submitted}), when: closed,
			want: events.EConflict, msg: "is in state result_report_submitted"},
		{name: "ErrConflict: a working session after the result report", given: seq(toSession, []past{submitted}), when: held,
			want: events.EConflict, msg: "is in state result_report_submitted"},

		// Postponement returns to the previous state.
		{name: "OK: postponed", given: toNotified, when: postponed, then: events.SupPostponed},
		{name: "OK: resumed returns to notified", given: seq(toNotified, []past{postponed}), when: resumed, then: events.SupNotified},
		{name: "OK: resumed returns to in_session", given: seq(toSession, []past{postponed}), when: resumed, then: events.SupInSession},
		{name: "OK: resumed returns to planned", given: []past{delegation, postponed}, when: resumed, then: events.SupPlanned},
		{name: "ErrConflict: a working session while postponed", given: seq(toReport, []past{scheduled, postponed}), when: held,
			want: events.EConflict, msg: "is in state postponed"},
		{name: "ErrConflict: resumed when not postponed", given: toNotified, when: resumed, want: events.EConflict, msg: "is in state notified"},
		{name: "ErrConflict: postponed twice", given: seq(toNotified, []past{postponed}), when: postponed, want: events.EConflict, msg: "is in state postponed"},
		{name: "OK: the subject's respondent postpones at its own request", given: toNotified, when: postponedBySubject, as: subject, then: events.SupPostponed},
		{name: "ErrInvalid: the subject's respondent records a postponement the supervisor asked for", given: toNotified, when: postponed, as: subject,
			want: events.EInvalid, field: "data.requested_by"},
		{name: "OK: cancelled while postponed", given: seq(toNotified, []past{postponed}), when: cancelled, then: events.SupCancelled},

		// Final states.
		{name: "ErrConflict: cancelled is final", given: []past{delegation, cancelled}, when: notified, want: events.EConflict, msg: "is in state cancelled"},
		{name: "ErrConflict: closed is final", given: seq(toIssued, []past{closed}), when: cancelled, want: events.EConflict, msg: "is in state closed"},
		{name: "ErrInvalid: a corrected form", given: []past{delegation}, when: past{events.SupervisionCorrected,
			`{"corrects_version":1,"reason":"Sai hình thức.","changes":{"form":"DOCUMENT_REVIEW"}}`}, want: events.EInvalid, field: "data.changes.form", msg: "supervision.cancelled.v1"},
		{name: "ErrInvalid: a corrected follow_up_of", given: []past{delegation}, when: past{events.SupervisionCorrected,
			`{"corrects_version":1,"reason":"Sai cuộc giám sát được theo dõi.","changes":{"follow_up_of":"gs-khac"}}`}, want: events.EInvalid, field: "data.changes.follow_up_of", msg: "record it anew"},
		{name: "ErrInvalid: a corrected mode that is none", given: []past{delegation}, when: past{events.SupervisionCorrected,
			`{"corrects_version":1,"reason":"Sai.","changes":{"mode":"SOMETIMES"}}`}, want: events.EInvalid, field: "data.changes.mode"},
		{name: "OK: a corrected scope", given: []past{delegation}, when: past{events.SupervisionCorrected,
			`{"corrects_version":1,"reason":"Sai.","changes":{"scope":"REGULAR"}}`}, then: events.SupPlanned},
		{name: "OK: a correction after cancellation", given: []past{delegation, cancelled}, when: past{events.SupervisionCorrected, `{"corrects_version":1,"reason":"Sai chủ đề.","changes":{"topic":"Đất đai"}}`}, then: events.SupCancelled},
		{name: "ErrConflict: planned twice", given: []past{delegation}, when: delegation, want: events.EConflict, msg: "already exists"},
		{name: "ErrNotFound: notified on a supervision never planned", when: notified, want: events.ENotFound},

		// Documents and sessions.
		{name: "OK: the subject's respondent provides a requested document", given: []past{delegation, docRequested}, when: docProvided, as: subject},
		{name: "ErrConflict: a document provided that was never requested", given: toNotified, when: docProvided, as: subject, want: events.EConflict, field: "data.request_id"},
		{name: "ErrConflict: a document request ID reused while open", given: []past{delegation, docRequested}, when: docRequested, want: events.EConflict, field: "data.request_id"},
		{name: "ErrInvalid: a document provided before it was requested", given: []past{delegation, docRequested},
			when: past{events.SupervisionDocumentProvided, `{"request_id":"tl-01","provided_on":"2024-05-01"}`}, as: subject, want: events.EInvalid, field: "data.provided_on",
			msg: "provided_on 2024-05-01 is before the document request tl-01 (2024-05-06)"},
		{name: "ErrInvalid: a document refused before it was requested", given: []past{delegation, docRequested},
			when: past{events.SupervisionDocumentRefused, `{"request_id":"tl-01","refused_on":"2024-05-05"}`}, as: subject, want: events.EInvalid, field: "data.refused_on",
			msg: "refused_on 2024-05-05 is before the document request tl-01 (2024-05-06)"},
		{name: "OK: a document provided before a request date corrected later", given: []past{delegation, docRequested,
			{events.SupervisionCorrected, `{"corrects_version":2,"reason":"Công văn ghi ngày 01/5","changes":{"requested_on":"2024-05-01"}}`}},
			when: past{events.SupervisionDocumentProvided, `{"request_id":"tl-01","provided_on":"2024-05-03"}`}, as: subject},
		{name: "OK: a document provided the day it was requested", given: []past{delegation, docRequested},
			when: past{events.SupervisionDocumentProvided, `{"request_id":"tl-01","provided_on":"2024-05-06"}`}, as: subject},
		{name: "ErrInvalid: documents requested from an unknown party", given: []past{delegation},
			when: past{events.SupervisionDocumentRequested, `{"request_id":"tl-09","party_id":"khong-co","description":"x","requested_on":"2024-05-06","due_on":"2024-05-13"}`},
			want: events.EInvalid, field: "data.party_id"},
		{name: "ErrConflict: a session postponed that was never scheduled", given: toNotified, when: past{events.SupervisionSessionPostponed, example(t, events.SupervisionSessionPostponed)},
			as: subject, want: events.EConflict, field: "data.session_id"},

		// Follow-up (giám sát lại, §2.5).
		{name: "OK: a follow-up records a finding on a recommendation it checks", given: []past{followUp, notified}, when: finding, then: events.SupNotified},
		{name: "ErrConflict: a supervision that is not a follow-up records no findings", given: toNotified, when: finding, want: events.EConflict, msg: "not a follow-up"},
		{name: "ErrInvalid: a finding on a recommendation the follow-up does not check", given: []past{followUp, notified},
			setup: func(tb testing.TB, w *fixtureWorld) {
				w.mustRecord(tb, "recommendation/kn-2024-16", "an-nhon", past{events.RecommendationIssued, example(tb, events.RecommendationIssued)})
			},
			when: past{events.SupervisionFollowUpFindingRecorded, `{"recommendation_id":"kn-2024-16","status":"NOT_IMPLEMENTED"}`}, want: events.EInvalid, field: "data.recommendation_id"},
		{name: "ErrInvalid: a follow-up of an unknown supervision", when: past{events.SupervisionPlanned, strings.Replace(followUp.data, `"gs-2024-dat-dai"`, `"gs-khong-co"`, 1)},
			want: events.EInvalid, field: "data.follow_up_of"},
		{name: "ErrInvalid: a follow-up checks an unknown recommendation", when: past{events.SupervisionPlanned, strings.Replace(followUp.data, `["kn-2024-15"]`, `["kn-khong-co"]`, 1)},
			want: events.EInvalid, field: "data.recommendation_ids[0]"},

		// References.
		{name: "ErrInvalid: an unknown subject", when: past{events.SupervisionPlanned, strings.Replace(delegation.data, `["ubnd-binh-dinh-ward"]`, `["ubnd-binh-dinh-ward","khong-co"]`, 1)},
			want: events.EInvalid, field: "data.subject_party_ids[1]"},
		{name: "ErrInvalid: an unknown plan", when: planned("DELEGATION", `,"plan_id":"kh-1999"`), want: events.EInvalid, field: "data.plan_id"},
		{name: "ErrInvalid: an unknown plan item", when: planned("DELEGATION", `,"plan_id":"kh-2024","plan_item_id":"khong-co"`), want: events.EInvalid, field: "data.plan_item_id"},
		{name: "OK: a planned item of the adopted plan", when: past{events.SupervisionPlanned, example(t, events.SupervisionPlanned)}, then: events.SupPlanned},
		{name: "ErrInvalid: an unregistered unit", when: delegation, unit: "khong-ton-tai", want: events.EInvalid, field: "unit"},
		{name: "ErrInvalid: notifies an unknown party", given: []past{delegation},
			when: past{events.SupervisionNotified, `{"notified_on":"2024-04-23","notified_party_ids":["ubnd-binh-dinh-ward","khong-co"]}`}, want: events.EInvalid, field: "data.notified_party_ids[1]"},

		// Roles and scope.
		{name: "ErrNotFound (out of its sight): another party's respondent records the subject report", given: seq(toNotified, []past{outline}), when: subjectReport,
			as: respondentOf("ubnd-nhon-hung"), want: events.ENotFound},
		{name: "ErrForbidden: the subject's respondent records a working session", given: seq(toReport, []past{scheduled}), when: held, as: subject, want: events.EForbidden},
		{name: "ErrNotFound (out of its sight): a recorder of another district", given: []past{delegation}, when: established, as: recorderAt("phu-cat"), want: events.ENotFound},
		{name: "ErrNotFound (out of its sight): a recorder of a ward below the supervising district", given: []past{delegation}, when: established, as: recorderAt("binh-dinh-ward"), want: events.ENotFound},
		{name: "OK: a recorder of the province above", given: []past{delegation}, when: established, as: recorderAt("binh-dinh")},
		{name: "ErrForbidden: a recorder plans a supervision outside its unit", when: delegation, as: recorderAt("nhon-hung"), want: events.EForbidden},
		{name: "ErrInvalid: its unit cannot change", given: []past{delegation}, when: established, unit: "phu-cat", want: events.EInvalid, field: "unit"},
	})
}

func TestLifecycleRecommendation(t *testing.T) {
	issued := past{events.RecommendationIssued, `{"source_kind":"SUPERVISION","source_id":"gs-2024-dat-dai","addressee_party_id":"ubnd-binh-dinh-ward",
		"title":"Kiến nghị sau giám sát thủ tục đất đai","content":"Đề nghị giải quyết dứt điểm 27 hồ sơ trễ hạn.","issued_on":"2024-06-20"}`}
	received := past{events.RecommendationReceived, example(t, events.RecommendationReceived)}
	acknowledged := past{events.RecommendationAcknowledged, example(t, events.RecommendationAcknowledged)}
	respond := func(outcome, extra string) past {
		return past{events.RecommendationResponseSubmitted, fmt.Sprintf(`{"responded_on":"2024-07-10","outcome":%q,"text":"UBND phường Bình Định trả lời kiến nghị."%s}`, outcome, extra)}
	}
	accepted := respond("ACCEPTED", "")
	partially := respond("PARTIALLY_ACCEPTED", `,"explanation":"Việc bổ sung biên chế thuộc thẩm quyền UBND thị xã."`)
	explained := respond("EXPLAINED_NOT_ACCEPTED", `,"explanation":"Các hồ sơ trễ hạn do người dân chưa bổ sung giấy tờ."`)
	redirected := respond("REDIRECTED", `,"redirected_to_party_id":"ubnd-an-nhon"`)
	noted := respond("NOTED", "")
	committed := past{events.RecommendationImplementationCommitted, example(t, events.RecommendationImplementationCommitted)}
	evidence := past{events.RecommendationImplementationEvidenceAdded, example(t, events.RecommendationImplementationEvidenceAdded)}
	verified := past{events.RecommendationImplementationVerified, example(t, events.RecommendationImplementationVerified)}
	notImplemented := past{events.RecommendationImplementationVerified, `{"verified_on":"2024-10-08","finding":"NOT_IMPLEMENTED","note":"Chưa niêm yết thủ tục."}`}
	closed := past{events.RecommendationClosed, example(t, events.RecommendationClosed)}
	withdrawn := past{events.RecommendationWithdrawn, example(t, events.RecommendationWithdrawn)}
	reminder := past{events.RecommendationReminderSent, example(t, events.RecommendationReminderSent)}
	escalated := past{events.RecommendationEscalated, example(t, events.RecommendationEscalated)}
	disputed := past{events.RecommendationDisputed, example(t, events.RecommendationDisputed)}
	review := past{events.RecommendationReviewRequested, example(t, events.RecommendationReviewRequested)}
	upheld := past{events.RecommendationReviewUpheld, example(t, events.RecommendationReviewUpheld)}
	amended := past{events.RecommendationAmended, example(t, events.RecommendationAmended)}
	ward := respondentOf("ubnd-binh-dinh-ward")
	town := respondentOf("ubnd-an-nhon")

	toReceived := []past{issued, received}
	toResponded := seq(toReceived, []past{accepted})
	toImplementing := seq(toResponded, []past{committed})
	toImplemented := seq(toImplementing, []past{evidence})
	runLifecycle(t, "recommendation/kn-1", "an-nhon", []lifecycleCase{
		// The main path of domain.md §2.3.
		{name: "OK: issued", when: issued, then: events.RecIssued},
		{name: "OK: issued → received, recorded by the addressee", given: []past{issued}, when: received, as: ward, then: events.RecReceived},
		{name: "OK: received → acknowledged", given: toReceived, when: acknowledged, as: ward, then: events.RecAcknowledged},
		{name: "OK: received → response_submitted(ACCEPTED)", given: toReceived, when: accepted, as: ward, then: events.RecResponded},
		{name: "OK: acknowledged → response_submitted", given: seq(toReceived, []past{acknowledged}), when: accepted, as: ward, then: events.RecResponded},
		{name: "OK: responded → implementation_committed", given: toResponded, when: committed, as: ward, then: events.RecInImplementation},
		{name: "OK: implementation_committed → evidence", given: toImplementing, when: evidence, as: ward, then: events.RecImplemented},
		{name: "OK: evidence → verified", given: toImplemented, when: verified, then: events.RecVerified},
		{name: "OK: verified → closed", given: seq(toImplemented, []past{verified}), when: closed, then: events.RecClosed},
		{name: "OK: a verification finding NOT_IMPLEMENTED returns to implementation", given: toImplemented, when: notImplemented, then: events.RecInImplementation},
		{name: "OK: a response without a recorded receipt", given: []past{issued}, when: accepted, as: ward, then: events.RecResponded},

		// Outcomes (§2.4).
		{name: "ErrConflict: EXPLAINED_NOT_ACCEPTED, then implementation_committed", given: seq(toReceived, []past{explained}), when: committed,
			as: ward, want: events.EConflict, msg: "EXPLAINED_NOT_ACCEPTED"},
		{name: "ErrConflict: REDIRECTED, then implementation_committed", given: seq(toReceived, []past{redirected}), when: committed,
			as: ward, want: events.EConflict, msg: "REDIRECTED"},
		{name: "ErrConflict: NOTED, then implementation_committed", given: seq(toReceived, []past{noted}), when: committed,
			as: ward, want: events.EConflict, msg: "NOTED"},
		{name: "OK: PARTIALLY_ACCEPTED, then implementation_committed", given: seq(toReceived, []past{partially}), when: committed, as: ward, then: events.RecInImplementation},
		{name: "OK: the body a response redirects to may explain", given: seq(toReceived, []past{redirected}),
			when: past{events.RecommendationExplanationSubmitted, example(t, events.RecommendationExplanationSubmitted)}, as: town, then: events.RecResponded},

		// Refused transitions.
		{name: "ErrConflict: acknowledged before it was received", given: []past{issued}, when: acknowledged, as: ward, want: events.EConflict, msg: "is in state issued"},
		{name: "ErrConflict: received twice", given: toReceived, when: received, as: ward, want: events.EConflict, msg: "is in state received"},
		{name: "ErrConflict: verified before any evidence", given: toImplementing, when: verified, want: events.EConflict, msg: "is in state in_implementation"},
		{name: "ErrConflict: evidence before a commitment", given: toResponded, when: evidence, as: ward, want: events.EConflict, msg: "is in state responded"},
		{name: "ErrConflict: closed while it is being implemented", given: toImplementing, when: closed, want: events.EConflict, msg: "is in state in_implementation"},
		{name: "ErrConflict: a reminder after the response", given: toResponded, when: reminder, want: events.EConflict, msg: "is in state responded"},
		{name: "OK: a reminder while the answer is awaited", given: toReceived, when: reminder, then: events.RecReceived},
		{name: "OK: a reminder while it is being implemented", given: toImplementing, when: reminder, then: events.RecInImplementation},

		// Withdrawn and closed are final.
		{name: "OK: withdrawn", given: toReceived, when: withdrawn, then: events.RecWithdrawn},
		{name: "ErrConflict: withdrawn is final", given: seq(toReceived, []past{withdrawn}), when: accepted, as: ward, want: events.EConflict, msg: "is in state withdrawn"},
		{name: "ErrConflict: withdrawn twice", given: seq(toReceived, []past{withdrawn}), when: withdrawn, want: events.EConflict, msg: "is in state withdrawn"},
		{name: "ErrConflict: closed after withdrawal", given: seq(toReceived, []past{withdrawn}), when: closed, want: events.EConflict, msg: "is in state withdrawn"},
		{name: "OK: a correction after withdrawal", given: seq(toReceived, []past{withdrawn}), when: past{events.RecommendationCorrected, example(t, events.RecommendationCorrected)}, then: events.RecWithdrawn},
		// A correction names fields the kind's events have, with values of
		// their types, and not whom the record concerns.
		{name: "OK: a corrected receipt date and response period", given: toReceived, when: past{events.RecommendationCorrected,
			`{"corrects_version":2,"reason":"Sai.","changes":{"received_on":"2024-03-18","response_days":"30","content":"Nội dung đúng."}}`}, then: events.RecReceived},
		{name: "ErrInvalid: a corrected field no recommendation event has", given: toReceived, when: past{events.RecommendationCorrected,
			`{"corrects_version":2,"reason":"Sai.","changes":{"chair_org":"x"}}`}, want: events.EInvalid, field: "data.changes.chair_org", msg: "No recommendation event has a field"},
		{name: "ErrInvalid: a corrected date that is not one", given: toReceived, when: past{events.RecommendationCorrected,
			`{"corrects_version":2,"reason":"Sai.","changes":{"received_on":"giữa tháng 3"}}`}, want: events.EInvalid, field: "data.changes.received_on", msg: "is a date"},
		{name: "ErrInvalid: a corrected number of days below 0", given: toReceived, when: past{events.RecommendationCorrected,
			`{"corrects_version":1,"reason":"Sai.","changes":{"response_days":"-5"}}`}, want: events.EInvalid, field: "data.changes.response_days", msg: "0 or more"},
		{name: "ErrInvalid: a corrected number of days over a year", given: toReceived, when: past{events.RecommendationCorrected,
			`{"corrects_version":1,"reason":"Sai.","changes":{"response_days":"9999"}}`}, want: events.EInvalid, field: "data.changes.response_days", msg: "more than a year"},
		{name: "ErrInvalid: a corrected number that is not one", given: toReceived, when: past{events.RecommendationCorrected,
			`{"corrects_version":1,"reason":"Sai.","changes":{"response_days":"hai mươi"}}`}, want: events.EInvalid, field: "data.changes.response_days", msg: "whole number"},
		{name: "ErrInvalid: a corrected addressee", given: toReceived, when: past{events.RecommendationCorrected,
			`{"corrects_version":1,"reason":"Sai.","changes":{"addressee_party_id":"ubnd-khac"}}`}, want: events.EInvalid, field: "data.changes.addressee_party_id", msg: "record it anew"},
		{name: "ErrConflict: closed is final", given: seq(toImplemented, []past{verified, closed}), when: reminder, want: events.EConflict, msg: "is in state closed"},
		// An enumerated field takes one of its values; the outcome, which
		// decides what may follow, is not corrected: the answer is disputed
		// and given again.
		{name: "ErrInvalid: a corrected outcome", given: toResponded, when: past{events.RecommendationCorrected,
			`{"corrects_version":3,"reason":"Ghi nhầm kết quả.","changes":{"outcome":"EXPLAINED_NOT_ACCEPTED"}}`}, want: events.EInvalid, field: "data.changes.outcome", msg: "recommendation.disputed.v1"},
		{name: "OK: a response given again after a dispute, with another outcome", given: seq(toResponded, []past{disputed}), when: explained, as: ward, then: events.RecResponded},
		{name: "ErrInvalid: a corrected source kind", given: toReceived, when: past{events.RecommendationCorrected,
			`{"corrects_version":1,"reason":"Sai nguồn.","changes":{"source_kind":"CRITIQUE"}}`}, want: events.EInvalid, field: "data.changes.source_kind", msg: "recommendation.withdrawn.v1"},
		{name: "ErrInvalid: a corrected finding", given: seq(toImplemented, []past{verified}), when: past{events.RecommendationCorrected,
			`{"corrects_version":6,"reason":"Sai.","changes":{"finding":"NOT_IMPLEMENTED"}}`}, want: events.EInvalid, field: "data.changes.finding", msg: "next verification"},
		{name: "ErrInvalid: a corrected escalation channel that is none", given: toReceived, when: past{events.RecommendationCorrected,
			`{"corrects_version":1,"reason":"Sai.","changes":{"channel":"EMAIL"}}`}, want: events.EInvalid, field: "data.changes.channel"},

		// Review requests return to the state before them.
		{name: "OK: review_requested", given: toReceived, when: review, as: ward, then: events.RecReviewRequested},
		{name: "OK: review_requested → review_upheld returns to received", given: seq(toReceived, []past{review}), when: upheld, then: events.RecReceived},
		{name: "OK: review_requested → review_upheld returns to responded", given: seq(toResponded, []past{review}), when: upheld, then: events.RecResponded},
		{name: "OK: review_requested → amended returns to acknowledged", given: seq(toReceived, []past{acknowledged, review}), when: amended, then: events.RecAcknowledged},
		{name: "OK: review_requested → withdrawn", given: seq(toReceived, []past{review}), when: withdrawn, then: events.RecWithdrawn},
		{name: "ErrConflict: a response while a review is pending", given: seq(toReceived, []past{review}), when: accepted, as: ward,
			want: events.EConflict, msg: "is in state review_requested"},
		{name: "ErrConflict: review upheld without a review request", given: toReceived, when: upheld, want: events.EConflict, msg: "is in state received"},
		{name: "ErrForbidden: the addressee upholds its own review request", given: seq(toReceived, []past{review}), when: upheld, as: ward, want: events.EForbidden},

		// Disputes and escalation.
		{name: "OK: responded → disputed", given: toResponded, when: disputed, then: events.RecDisputed},
		{name: "OK: disputed → escalated", given: seq(toResponded, []past{disputed}), when: escalated, then: events.RecEscalated},
		{name: "OK: the escalation target's respondent answers", given: seq(toReceived, []past{escalated}), when: accepted, as: town, then: events.RecResponded},
		{name: "ErrNotFound (out of its sight): the superior answers before the item is escalated to it", given: toReceived, when: accepted, as: town, want: events.ENotFound},
		{name: "ErrInvalid: escalated to an unknown party", given: toReceived,
			when: past{events.RecommendationEscalated, `{"escalated_on":"2024-08-01","channel":"HIGHER_VFF","to_party_id":"khong-co","reason":"x"}`}, want: events.EInvalid, field: "data.to_party_id"},

		// Roles and scope.
		{name: "ErrNotFound (out of its sight): another party's respondent answers", given: toReceived, when: accepted, as: respondentOf("ubnd-nhon-hung"), want: events.ENotFound},
		{name: "ErrNotFound (out of its sight): a respondent without a party answers", given: toReceived, when: accepted, as: events.Actor{Subject: "tok-x", Role: events.RoleRespondent}, want: events.ENotFound},
		{name: "ErrForbidden: the addressee verifies its own implementation", given: toImplemented, when: verified, as: ward, want: events.EForbidden},
		{name: "ErrForbidden: the addressee sends a reminder", given: toReceived, when: reminder, as: ward, want: events.EForbidden},
		{name: "ErrForbidden: the addressee issues a recommendation", when: issued, as: ward, want: events.EForbidden},
		{name: "ErrForbidden: an observer records the receipt", given: []past{issued}, when: received, as: events.Actor{Subject: "tok-x", Role: events.RoleObserver, Unit: "an-nhon"}, want: events.EForbidden},
		{name: "ErrNotFound (out of its sight): a recorder of another district", given: toReceived, when: reminder, as: recorderAt("phu-cat"), want: events.ENotFound},

		// References.
		{name: "ErrInvalid: issued to an unknown party", when: past{events.RecommendationIssued, strings.Replace(issued.data, `"addressee_party_id":"ubnd-binh-dinh-ward"`, `"addressee_party_id":"khong-co"`, 1)},
			want: events.EInvalid, field: "data.addressee_party_id"},
		{name: "ErrInvalid: copied to an unknown party", when: past{events.RecommendationIssued, strings.Replace(issued.data, `"title"`, `"copy_party_ids":["ubnd-an-nhon","khong-co"],"title"`, 1)},
			want: events.EInvalid, field: "data.copy_party_ids[1]"},
		{name: "ErrInvalid: issued after an unknown supervision", when: past{events.RecommendationIssued, strings.Replace(issued.data, `"gs-2024-dat-dai"`, `"gs-khong-co"`, 1)},
			want: events.EInvalid, field: "data.source_id"},
		{name: "ErrInvalid: issued after a critique that does not exist", when: past{events.RecommendationIssued, strings.Replace(issued.data, `"SUPERVISION"`, `"CRITIQUE"`, 1)},
			want: events.EInvalid, field: "data.source_id"},
		{name: "OK: a People's Inspection Board recommendation names no source stream",
			when: past{events.RecommendationIssued, `{"source_kind":"PEOPLES_INSPECTION","addressee_party_id":"ubnd-binh-dinh-ward","title":"Kiến nghị của Ban Thanh tra nhân dân","content":"Công khai quyết toán công trình nhà văn hóa khu phố.","issued_on":"2024-06-20"}`},
			then: events.RecIssued},
		{name: "ErrInvalid: redirected to an unknown party", given: toReceived, when: respond("REDIRECTED", `,"redirected_to_party_id":"khong-co"`), as: ward,
			want: events.EInvalid, field: "data.redirected_to_party_id"},
		{name: "ErrConflict: issued twice", given: []past{issued}, when: issued, want: events.EConflict, msg: "already exists"},
		{name: "ErrNotFound: received on a recommendation never issued", when: received, as: ward, want: events.ENotFound},
	})
}

func TestLifecycleCritique(t *testing.T) {
	requested := past{events.CritiqueRequested, `{"title":"Phản biện dự thảo Đề án chỉnh trang đô thị","draft_title":"Dự thảo Đề án chỉnh trang đô thị thị xã An Nhơn giai đoạn 2024–2030",
		"drafting_party_id":"ubnd-an-nhon","issuer_party_id":"hdnd-an-nhon","form":"CONFERENCE","requested_on":"2024-07-22"}`}
	draft := past{events.CritiqueDraftReceived, example(t, events.CritiqueDraftReceived)}
	conference := past{events.CritiqueConferenceHeld, example(t, events.CritiqueConferenceHeld)}
	consultation := past{events.CritiqueConsultationSent, example(t, events.CritiqueConsultationSent)}
	opinion := past{events.CritiqueOpinionReceived, example(t, events.CritiqueOpinionReceived)}
	dialogue := past{events.CritiqueDialogueHeld, example(t, events.CritiqueDialogueHeld)}
	synthesized := past{events.CritiqueSynthesized, example(t, events.CritiqueSynthesized)}
	document := past{events.CritiqueDocumentIssued, example(t, events.CritiqueDocumentIssued)}
	responded := past{events.CritiqueDrafterResponded, example(t, events.CritiqueDrafterResponded)}
	forwarded := past{events.CritiqueForwardedToIssuer, example(t, events.CritiqueForwardedToIssuer)}
	adopted := past{events.CritiqueDraftAdopted, example(t, events.CritiqueDraftAdopted)}
	closed := past{events.CritiqueClosed, example(t, events.CritiqueClosed)}
	cancelled := past{events.CritiqueCancelled, example(t, events.CritiqueCancelled)}
	infoRequested := past{events.CritiqueInformationRequested, example(t, events.CritiqueInformationRequested)}
	infoProvided := past{events.CritiqueInformationProvided, example(t, events.CritiqueInformationProvided)}
	drafter := respondentOf("ubnd-an-nhon")

	toDraft := []past{requested, draft}
	toSynthesized := seq(toDraft, []past{conference, synthesized})
	toDocument := seq(toSynthesized, []past{document})
	toResponded := seq(toDocument, []past{responded})
	runLifecycle(t, "critique/pb-1", "an-nhon", []lifecycleCase{
		{name: "ErrInvalid: a corrected form", given: []past{requested}, when: past{events.CritiqueCorrected,
			`{"corrects_version":1,"reason":"Sai hình thức.","changes":{"form":"DIALOGUE"}}`}, want: events.EInvalid, field: "data.changes.form", msg: "critique.cancelled.v1"},
		// The path of domain.md §2.6.
		{name: "OK: requested", when: requested, then: events.CrRequested},
		{name: "OK: the drafter records that it sent the draft", given: []past{requested}, when: draft, as: drafter, then: events.CrDraftReceived},
		{name: "OK: draft_received → conference held", given: toDraft, when: conference, then: events.CrInProgress},
		{name: "OK: conference → synthesized", given: seq(toDraft, []past{conference}), when: synthesized, then: events.CrSynthesized},
		{name: "OK: synthesized → critique document issued", given: toSynthesized, when: document, then: events.CrDocumentIssued},
		{name: "OK: the drafter responds", given: toDocument, when: responded, as: drafter, then: events.CrResponded},
		{name: "OK: the drafter forwards the critique to the issuer", given: toResponded, when: forwarded, as: drafter, then: events.CrForwarded},
		{name: "OK: forwarded → draft adopted", given: seq(toResponded, []past{forwarded}), when: adopted, as: drafter, then: events.CrAdopted},
		{name: "OK: adopted → closed", given: seq(toResponded, []past{forwarded, adopted}), when: closed, then: events.CrClosed},

		// Adoption without an answer happens; the read side flags it (OB_DRAFT_BYPASS).
		{name: "OK: draft_adopted without a drafter response", given: toDocument, when: adopted, as: drafter, then: events.CrAdopted},
		{name: "OK: draft_adopted before any critique activity", given: toDraft, when: adopted, then: events.CrAdopted},
		{name: "ErrConflict: draft_adopted before the draft arrived", given: []past{requested}, when: adopted, want: events.EConflict, msg: "is in state requested"},

		// Forms.
		{name: "ErrConflict: a conference before the draft arrived", given: []past{requested}, when: conference, want: events.EConflict, msg: "is in state requested"},
		{name: "ErrConflict: synthesized with no conference, consultation or dialogue", given: toDraft, when: synthesized, want: events.EConflict, msg: "is in state draft_received"},
		{name: "ErrConflict: an opinion received without a written consultation", given: seq(toDraft, []past{conference}), when: opinion,
			want: events.EConflict, msg: "no written consultation"},
		{name: "OK: an opinion received after a written consultation", given: seq(toDraft, []past{consultation}), when: opinion, then: events.CrInProgress},
		{name: "OK: a dialogue after a conference", given: seq(toDraft, []past{conference}), when: dialogue, then: events.CrInProgress},
		{name: "ErrConflict: a conference after the synthesis", given: toSynthesized, when: conference, want: events.EConflict, msg: "is in state synthesized"},

		// The drafter's answer.
		{name: "ErrConflict: the drafter responds before the critique document", given: toSynthesized, when: responded, as: drafter, want: events.EConflict, msg: "is in state synthesized"},
		{name: "ErrInvalid: the drafter accepts a point the document does not have", given: toDocument,
			when: past{events.CritiqueDrafterResponded, `{"responded_on":"2024-08-26","accepted":["p1","p9"]}`}, as: drafter, want: events.EInvalid, field: "data.accepted[1]"},
		{name: "ErrInvalid: the drafter explains a point the document does not have", given: toDocument,
			when: past{events.CritiqueDrafterResponded, `{"responded_on":"2024-08-26","explained":[{"point_id":"p9","explanation":"Không phù hợp."}]}`}, as: drafter,
			want: events.EInvalid, field: "data.explained[0].point_id"},
		{name: "ErrConflict: the drafter responds twice", given: toResponded, when: responded, as: drafter, want: events.EConflict, msg: "is in state responded"},

		// Information requests.
		{name: "OK: the drafter provides requested information", given: seq(toDraft, []past{infoRequested}), when: infoProvided, as: drafter, then: events.CrDraftReceived},
		{name: "ErrConflict: information provided that was never requested", given: toDraft, when: infoProvided, as: drafter, want: events.EConflict, field: "data.request_id"},

		// Final states.
		{name: "ErrConflict: closed is final", given: seq(toResponded, []past{forwarded, adopted, closed}), when: cancelled, want: events.EConflict, msg: "is in state closed"},
		{name: "ErrConflict: cancelled is final", given: []past{requested, cancelled}, when: draft, as: drafter, want: events.EConflict, msg: "is in state cancelled"},
		{name: "ErrConflict: closed before adoption or forwarding", given: toResponded, when: closed, want: events.EConflict, msg: "is in state responded"},

		// Roles, scope and references.
		{name: "ErrForbidden: the drafter issues the critique document", given: toSynthesized, when: document, as: drafter, want: events.EForbidden},
		{name: "ErrNotFound (out of its sight): another party's respondent answers", given: toDocument, when: responded, as: respondentOf("ubnd-binh-dinh-ward"), want: events.ENotFound},
		{name: "ErrNotFound (out of its sight): a ward's recorder holds the district's conference", given: toDraft, when: conference, as: recorderAt("binh-dinh-ward"), want: events.ENotFound},
		{name: "ErrInvalid: an unknown drafting agency", when: past{events.CritiqueRequested, strings.Replace(requested.data, `"drafting_party_id":"ubnd-an-nhon"`, `"drafting_party_id":"khong-co"`, 1)},
			want: events.EInvalid, field: "data.drafting_party_id"},
		{name: "ErrInvalid: an unknown issuing authority", when: past{events.CritiqueRequested, strings.Replace(requested.data, `"hdnd-an-nhon"`, `"khong-co"`, 1)},
			want: events.EInvalid, field: "data.issuer_party_id"},
		{name: "ErrInvalid: an unknown plan item", when: past{events.CritiqueRequested, strings.Replace(requested.data, `"form"`, `"plan_id":"kh-2024","plan_item_id":"khong-co","form"`, 1)},
			want: events.EInvalid, field: "data.plan_item_id"},
		{name: "ErrConflict: requested twice", given: []past{requested}, when: requested, want: events.EConflict, msg: "already exists"},
		{name: "ErrNotFound: a draft for a critique never requested", when: draft, want: events.ENotFound},
	})
}

func TestLifecycleContribution(t *testing.T) {
	collected := past{events.ContributionCollected, `{"form":"PARTY_CONGRESS_DRAFT","topic":"Góp ý dự thảo Báo cáo chính trị Đại hội Đảng bộ thị xã An Nhơn","target_party_id":"thi-uy-an-nhon",
		"collected_on":"2024-11-20","content":"Nhân dân đề nghị bổ sung chỉ tiêu về giảm nghèo bền vững."}`}
	synthesized := past{events.ContributionSynthesized, example(t, events.ContributionSynthesized)}
	sent := past{events.ContributionSent, example(t, events.ContributionSent)}
	received := past{events.ContributionReceived, example(t, events.ContributionReceived)}
	responded := past{events.ContributionResponded, example(t, events.ContributionResponded)}
	closed := past{events.ContributionClosed, example(t, events.ContributionClosed)}
	target := respondentOf("thi-uy-an-nhon")

	toSent := []past{collected, synthesized, sent}
	runLifecycle(t, "contribution/gy-1", "an-nhon", []lifecycleCase{
		{name: "OK: collected", when: collected, then: events.CoCollected},
		{name: "OK: collected → synthesized", given: []past{collected}, when: synthesized, then: events.CoSynthesized},
		{name: "OK: synthesized → sent", given: []past{collected, synthesized}, when: sent, then: events.CoSent},
		{name: "OK: the target records the receipt", given: toSent, when: received, as: target, then: events.CoReceived},
		{name: "OK: the target responds", given: seq(toSent, []past{received}), when: responded, as: target, then: events.CoResponded},
		{name: "OK: responded → closed", given: seq(toSent, []past{received, responded}), when: closed, then: events.CoClosed},
		{name: "OK: a response without a recorded receipt", given: toSent, when: responded, as: target, then: events.CoResponded},
		{name: "ErrConflict: sent before the synthesis", given: []past{collected}, when: sent, want: events.EConflict, msg: "is in state collected"},
		{name: "ErrConflict: a response before sending", given: []past{collected, synthesized}, when: responded, as: target, want: events.EConflict, msg: "is in state synthesized"},
		{name: "ErrConflict: closed is final", given: seq(toSent, []past{closed}), when: responded, as: target, want: events.EConflict, msg: "is in state closed"},
		{name: "OK: a corrected form", given: toSent, when: past{events.ContributionCorrected,
			`{"corrects_version":1,"reason":"Sai hình thức.","changes":{"form":"WRITTEN"}}`}, then: events.CoSent},
		{name: "ErrInvalid: a corrected outcome that is none", given: seq(toSent, []past{responded}), when: past{events.ContributionCorrected,
			`{"corrects_version":4,"reason":"Sai.","changes":{"outcome":"OK"}}`}, want: events.EInvalid, field: "data.changes.outcome", msg: "NOTED"},
		{name: "OK: a correction after closing", given: seq(toSent, []past{closed}), when: past{events.ContributionCorrected, example(t, events.ContributionCorrected)}, then: events.CoClosed},
		{name: "ErrNotFound (out of its sight): another party's respondent responds", given: toSent, when: responded, as: respondentOf("ubnd-an-nhon"), want: events.ENotFound},
		{name: "ErrForbidden: the target records the synthesis", given: []past{collected}, when: synthesized, as: target, want: events.EForbidden},
		{name: "ErrInvalid: an unknown target", when: past{events.ContributionCollected, strings.Replace(collected.data, `"thi-uy-an-nhon"`, `"khong-co"`, 1)},
			want: events.EInvalid, field: "data.target_party_id"},
		{name: "ErrInvalid: an unknown plan", when: past{events.ContributionCollected, strings.Replace(collected.data, `"content"`, `"plan_id":"kh-1999","content"`, 1)},
			want: events.EInvalid, field: "data.plan_id"},
		{name: "ErrConflict: collected twice", given: []past{collected}, when: collected, want: events.EConflict, msg: "already exists"},
		{name: "ErrNotFound: sent on a contribution never collected", when: sent, want: events.ENotFound},
	})
}

func TestLifecyclePetition(t *testing.T) {
	received := func(kind string) past {
		return past{events.PetitionReceived, fmt.Sprintf(`{"channel":"MAIL","received_on":"2024-05-16","petition_kind":%q,"anonymous":false,"petitioner":{"name":"Phạm Văn Đức"},"summary":"Đơn về việc cấp giấy chứng nhận quyền sử dụng đất"}`, kind)}
	}
	classified := func(kind string) past {
		return past{events.PetitionClassified, fmt.Sprintf(`{"classified_on":"2024-05-17","petition_kind":%q,"competent_party_id":"ubnd-binh-dinh-ward","complex":false,"remote":false}`, kind)}
	}
	forwarded := past{events.PetitionForwarded, example(t, events.PetitionForwarded)}
	guided := past{events.PetitionGuided, example(t, events.PetitionGuided)}
	filed := past{events.PetitionFiled, example(t, events.PetitionFiled)}
	accepted := past{events.PetitionAccepted, example(t, events.PetitionAccepted)}
	arrived := past{events.PetitionForwardReceived, example(t, events.PetitionForwardReceived)}
	notAccepted := past{events.PetitionNotAccepted, example(t, events.PetitionNotAccepted)}
	extended := past{events.PetitionExtended, example(t, events.PetitionExtended)}
	resolved := past{events.PetitionResolved, example(t, events.PetitionResolved)}
	notified := past{events.PetitionResultNotified, example(t, events.PetitionResultNotified)}
	second := past{events.PetitionSecondInstanceFiled, example(t, events.PetitionSecondInstanceFiled)}
	secondAccepted := past{events.PetitionSecondInstanceAccepted, example(t, events.PetitionSecondInstanceAccepted)}
	// The second instance's resolution, after its acceptance (the golden
	// example's date is the first instance's).
	resolved2 := past{events.PetitionResolved, strings.Replace(example(t, events.PetitionResolved), `"resolved_on":"2024-07-08"`, `"resolved_on":"2024-09-16"`, 1)}
	secondNotAccepted := past{events.PetitionSecondInstanceNotAccepted, example(t, events.PetitionSecondInstanceNotAccepted)}
	closed := past{events.PetitionClosed, example(t, events.PetitionClosed)}
	withdrawn := past{events.PetitionWithdrawn, example(t, events.PetitionWithdrawn)}
	ward := respondentOf("ubnd-binh-dinh-ward")
	town := respondentOf("ubnd-an-nhon")

	extendedAs := func(complexity string, days int) past {
		return past{events.PetitionExtended, fmt.Sprintf(`{"extended_on":"2024-06-25","days":%d,"case_complexity":%q,"reason":"Cần xác minh thêm."}`, days, complexity)}
	}
	resolvedAs := func(conclusion string) past {
		return past{events.PetitionResolved, fmt.Sprintf(`{"resolved_on":"2024-06-20","outcome":"Đã giải quyết.","conclusion":%q}`, conclusion)}
	}
	complaint := []past{received("COMPLAINT"), classified("COMPLAINT"), forwarded}
	denunciation := []past{received("DENUNCIATION"), classified("DENUNCIATION"), forwarded}
	complaintResolved := seq(complaint, []past{accepted, resolved})
	runLifecycle(t, "petition/don-1", "an-nhon", []lifecycleCase{
		// The path of domain.md §2.8.
		{name: "OK: received", when: received("COMPLAINT"), then: events.PeReceived},
		{name: "OK: received → classified", given: []past{received("")}, when: classified("COMPLAINT"), then: events.PeClassified},
		{name: "OK: classified → forwarded", given: []past{received("COMPLAINT"), classified("COMPLAINT")}, when: forwarded, then: events.PeForwarded},
		{name: "OK: MTTQ records the competent body's receipt of the forwarded petition", given: complaint, when: arrived, then: events.PeForwarded},
		{name: "ErrForbidden: the body records its own receipt (it would move its own deadline)", given: complaint, when: arrived, as: ward, want: events.EForbidden},
		{name: "OK: its receipt recorded after its acceptance", given: seq(complaint, []past{accepted}), when: arrived, then: events.PeAccepted},
		{name: "ErrConflict: a receipt before it was forwarded", given: []past{received("COMPLAINT"), classified("COMPLAINT")}, when: arrived, want: events.EConflict},
		{name: "OK: the competent body accepts (thụ lý)", given: complaint, when: accepted, as: ward, then: events.PeAccepted},
		{name: "OK: the competent body resolves", given: seq(complaint, []past{accepted}), when: resolved, as: ward, then: events.PeResolved},
		{name: "OK: the result is notified to MTTQ", given: complaintResolved, when: notified, as: ward, then: events.PeResultNotified},
		{name: "OK: a complaint goes to the second instance", given: seq(complaintResolved, []past{notified}), when: second, then: events.PeSecondInstance},
		{name: "OK: the second-instance body accepts it (thụ lý, Luật Khiếu nại 2011 Art. 36)", given: seq(complaintResolved, []past{second}), when: secondAccepted, as: town, then: events.PeSecondAccepted},
		{name: "OK: the second-instance body resolves once it accepted it", given: seq(complaintResolved, []past{second, secondAccepted}), when: resolved2, as: town, then: events.PeResolved},
		{name: "ErrConflict: resolved at the second instance before it was accepted", given: seq(complaintResolved, []past{second}), when: resolved, as: town, want: events.EConflict, msg: "is in state second_instance"},
		{name: "ErrConflict: accepted at the second instance twice", given: seq(complaintResolved, []past{second, secondAccepted}), when: secondAccepted, as: town, want: events.EConflict, msg: "is in state second_instance_accepted"},
		{name: "OK: the second-instance body does not accept it, with reasons", given: seq(complaintResolved, []past{second}), when: secondNotAccepted, as: town, then: events.PeSecondRefused},
		{name: "OK: not accepted at the second instance, then closed", given: seq(complaintResolved, []past{second, secondNotAccepted}), when: closed, then: events.PeClosed},
		{name: "ErrConflict: not accepted at the second instance, then forwarded again", given: seq(complaintResolved, []past{second, secondNotAccepted}),
			when: past{events.PetitionForwarded, `{"forwarded_on":"2024-08-05","to_party_id":"ubnd-an-nhon"}`}, want: events.EConflict, msg: "is in state second_instance_not_accepted"},
		{name: "ErrConflict: not accepted at the second instance, then classified again", given: seq(complaintResolved, []past{second, secondNotAccepted}),
			when: classified("COMPLAINT"), want: events.EConflict, msg: "is in state second_instance_not_accepted"},
		{name: "ErrConflict: not accepted at the second instance, then its delivery recorded", given: seq(complaintResolved, []past{second, secondNotAccepted}),
			when: arrived, want: events.EConflict, msg: "is in state second_instance_not_accepted"},
		{name: "ErrConflict: not accepted at the second instance, then resolved", given: seq(complaintResolved, []past{second, secondNotAccepted}), when: resolved, as: town, want: events.EConflict, msg: "is in state second_instance_not_accepted"},
		// The first-instance body, whose decision is complained of, reads
		// the petition but records none of the second instance's steps.
		{name: "ErrForbidden: the first-instance body accepts at the second instance", given: seq(complaintResolved, []past{second}), when: secondAccepted, as: ward, want: events.EForbidden, msg: "only that body"},
		{name: "ErrForbidden: the first-instance body refuses at the second instance", given: seq(complaintResolved, []past{second}), when: secondNotAccepted, as: ward, want: events.EForbidden, msg: "only that body"},
		{name: "ErrForbidden: the first-instance body resolves at the second instance", given: seq(complaintResolved, []past{second, secondAccepted}), when: resolved2, as: ward, want: events.EForbidden, msg: "only that body"},
		{name: "ErrForbidden: the first-instance body records a withdrawal at the second instance", given: seq(complaintResolved, []past{second}), when: withdrawn, as: ward, want: events.EForbidden, msg: "only that body"},
		{name: "OK: MTTQ records the second instance's acceptance", given: seq(complaintResolved, []past{second}), when: secondAccepted, then: events.PeSecondAccepted},
		{name: "ErrConflict: the second instance's acceptance before any second instance", given: complaintResolved, when: secondAccepted, as: ward, want: events.EConflict, msg: "is in state resolved"},
		{name: "OK: resolved → closed", given: complaintResolved, when: closed, then: events.PeClosed},
		// The petitioner withdraws it once forwarded (before, it is filed).
		{name: "OK: withdrawn once accepted, recorded by the body", given: seq(complaint, []past{accepted}), when: withdrawn, as: ward, then: events.PeWithdrawn},
		{name: "OK: withdrawn once forwarded", given: denunciation, when: withdrawn, then: events.PeWithdrawn},
		{name: "OK: withdrawn at the second instance", given: seq(complaintResolved, []past{second}), when: withdrawn, as: town, then: events.PeWithdrawn},
		{name: "OK: withdrawn once accepted at the second instance", given: seq(complaintResolved, []past{second, secondAccepted}), when: withdrawn, as: town, then: events.PeWithdrawn},
		{name: "OK: withdrawn → closed", given: seq(complaint, []past{withdrawn}), when: closed, then: events.PeClosed},
		{name: "ErrConflict: withdrawn before it is forwarded (filed instead)", given: []past{received("COMPLAINT")}, when: withdrawn, want: events.EConflict, msg: "is in state received"},
		{name: "ErrConflict: withdrawn once resolved", given: complaintResolved, when: withdrawn, want: events.EConflict, msg: "is in state resolved"},
		{name: "ErrConflict: nothing follows a withdrawal but closing", given: seq(complaint, []past{withdrawn}), when: accepted, as: ward, want: events.EConflict, msg: "is in state withdrawn"},
		// A body that does not accept a petition (not its competence, say):
		// MTTQ forwards it to another, classifying it again if need be, and
		// only that body answers for it from then on.
		{name: "OK: not accepted → forwarded to another body", given: seq(complaint, []past{notAccepted}),
			when: past{events.PetitionForwarded, `{"forwarded_on":"2024-06-03","to_party_id":"ubnd-an-nhon"}`}, then: events.PeForwarded},
		{name: "OK: the other body accepts", given: seq(complaint, []past{notAccepted, {events.PetitionForwarded, `{"forwarded_on":"2024-06-03","to_party_id":"ubnd-an-nhon"}`}}),
			when: past{events.PetitionAccepted, `{"accepted_on":"2024-06-10"}`}, as: town, then: events.PeAccepted},
		// The citizen may have filed with the body directly: its acceptance
		// is not held to MTTQ's forwarding (helper-56).
		{name: "OK: the other body's acceptance dated before MTTQ forwarded its copy", given: seq(complaint, []past{notAccepted, {events.PetitionForwarded, `{"forwarded_on":"2024-06-03","to_party_id":"ubnd-an-nhon"}`}}),
			when: past{events.PetitionAccepted, `{"accepted_on":"2024-05-30"}`}, as: town, then: events.PeAccepted},
		{name: "ErrInvalid: forwarded again before the first body's refusal", given: seq(complaint, []past{notAccepted}),
			when: past{events.PetitionForwarded, `{"forwarded_on":"2024-05-26","to_party_id":"ubnd-an-nhon"}`}, want: events.EInvalid, field: "data.forwarded_on",
			msg: "forwarded_on 2024-05-26 is before the refusal's decided_on (2024-05-27)"},
		{name: "ErrNotFound (out of its sight): the body that did not accept it accepts after all", given: seq(complaint, []past{notAccepted, {events.PetitionForwarded, `{"forwarded_on":"2024-06-03","to_party_id":"ubnd-an-nhon"}`}}),
			when: past{events.PetitionAccepted, `{"accepted_on":"2024-06-10"}`}, as: ward, want: events.ENotFound},
		{name: "OK: not accepted → classified again", given: seq(complaint, []past{notAccepted}), when: classified("DENUNCIATION"), then: events.PeClassified},
		{name: "ErrConflict: forwarded again while the body has not decided", given: complaint, when: forwarded, want: events.EConflict, msg: "is in state forwarded"},

		// A misclassification is recorded anew before the petition is
		// forwarded, never corrected: the kind decides its deadlines and
		// whether the petitioner's identity is protected.
		{name: "OK: classified again before it is forwarded", given: []past{received(""), classified("RECOMMENDATION")}, when: classified("DENUNCIATION"), then: events.PeClassified},
		{name: "ErrConflict: classified again once forwarded", given: complaint, when: classified("DENUNCIATION"), want: events.EConflict, msg: "is in state forwarded"},
		{name: "ErrInvalid: petition_kind is not corrected", given: []past{received("COMPLAINT"), classified("COMPLAINT")},
			when: past{events.PetitionCorrected, `{"corrects_version":2,"reason":"Phân loại nhầm.","changes":{"petition_kind":"DENUNCIATION"}}`},
			want: events.EInvalid, field: "data.changes.petition_kind"},
		{name: "OK: a corrected channel", given: []past{received("COMPLAINT")},
			when: past{events.PetitionCorrected, `{"corrects_version":1,"reason":"Ghi nhầm.","changes":{"channel":"VOTER_CONTACT"}}`}, then: events.PeReceived},
		{name: "ErrInvalid: a corrected channel that is none", given: []past{received("COMPLAINT")},
			when: past{events.PetitionCorrected, `{"corrects_version":1,"reason":"Ghi nhầm.","changes":{"channel":"EMAIL"}}`}, want: events.EInvalid, field: "data.changes.channel", msg: "RECEPTION, MAIL, ONLINE, VOTER_CONTACT"},
		{name: "OK: the rest of a classification is corrected", given: []past{received("COMPLAINT"), classified("COMPLAINT")},
			when: past{events.PetitionCorrected, `{"corrects_version":2,"reason":"Ghi nhầm ngày.","changes":{"classified_on":"2024-05-18"}}`}, then: events.PeClassified},

		// Only complaints reach a second instance, and only once.
		{name: "ErrConflict: a denunciation has no second instance", given: []past{received("DENUNCIATION"), classified("DENUNCIATION"), forwarded, accepted, resolved},
			when: second, want: events.EConflict, msg: "only complaints"},
		{name: "ErrConflict: a recommendation (kiến nghị) has no second instance", given: []past{received("COMPLAINT"), classified("RECOMMENDATION"), forwarded, accepted, resolved},
			when: second, want: events.EConflict, msg: "only complaints"},
		{name: "ErrConflict: a complaint reaches the second instance once", given: seq(complaintResolved, []past{second, secondAccepted, resolved2}), when: second,
			want: events.EConflict, msg: "second instance"},

		// A denunciation's resolution is extended by Luật Tố cáo 2018
		// Art. 30: a complex case once, a very complex one twice, at most
		// 30 days each. A complaint's is not.
		{name: "OK: the competent body extends a denunciation's resolution", given: seq(denunciation, []past{accepted}), when: extended, as: ward, then: events.PeAccepted},
		{name: "OK: a denunciation extended, then resolved", given: seq(denunciation, []past{accepted, extended}), when: resolved, as: ward, then: events.PeResolved},
		{name: "OK: a very complex case extended twice", given: seq(denunciation, []past{accepted, extendedAs("VERY_COMPLEX", 30)}), when: extendedAs("VERY_COMPLEX", 30), as: ward, then: events.PeAccepted},
		{name: "ErrConflict: a complex case extended twice", given: seq(denunciation, []past{accepted, extended}), when: extended, as: ward, want: events.EConflict, msg: "at most 1 times"},
		{name: "ErrConflict: a very complex case extended a third time", given: seq(denunciation, []past{accepted, extendedAs("VERY_COMPLEX", 30), extendedAs("VERY_COMPLEX", 30)}),
			when: extendedAs("VERY_COMPLEX", 10), as: ward, want: events.EConflict, msg: "at most 2 times"},
		{name: "ErrInvalid: an extension of more than 30 days", given: seq(denunciation, []past{accepted}), when: extendedAs("VERY_COMPLEX", 31), as: ward, want: events.EInvalid, field: "data.days", msg: "at most 30 days"},
		{name: "ErrInvalid: an extension that does not say how complex the case is", given: seq(denunciation, []past{accepted}), when: extendedAs("", 10), as: ward, want: events.EInvalid, field: "data.case_complexity"},
		{name: "ErrConflict: a complaint's resolution is not extended", given: seq(complaint, []past{accepted}), when: extended, as: ward, want: events.EConflict, msg: "only a denunciation's"},

		// An action the body took against the petitioner, at any time.
		{name: "OK: an adverse action after closing", given: seq(complaintResolved, []past{closed}), when: past{events.PetitionAdverseAction, example(t, events.PetitionAdverseAction)}, then: events.PeClosed},
		{name: "ErrInvalid: an adverse action on a petition names a member", given: complaint, when: past{events.PetitionAdverseAction,
			`{"adverse_action":{"action_on":"2024-07-15","by_party_id":"ubnd-binh-dinh-ward","action":"FINE","member":"Lê Văn A","description":"Bị xử phạt."}}`}, want: events.EInvalid, field: "data.adverse_action.member", msg: "petitioner"},
		{name: "ErrInvalid: an adverse action by a body not registered", given: complaint, when: past{events.PetitionAdverseAction,
			`{"adverse_action":{"action_on":"2024-07-15","by_party_id":"khong-co","action":"FINE","description":"Bị xử phạt."}}`}, want: events.EInvalid, field: "data.adverse_action.by_party_id"},
		{name: "ErrForbidden: the body records an adverse action", given: complaint, when: past{events.PetitionAdverseAction, example(t, events.PetitionAdverseAction)}, as: ward, want: events.EForbidden},

		// A denunciation's resolution concludes whether it was true (Luật
		// Tố cáo 2018 Art. 35); a complaint's does not.
		{name: "OK: a denunciation concluded untrue", given: seq(denunciation, []past{accepted}), when: resolvedAs("UNTRUE"), as: ward, then: events.PeResolved},
		{name: "ErrInvalid: a complaint concluded true", given: seq(complaint, []past{accepted}), when: resolvedAs("TRUE"), as: ward, want: events.EInvalid, field: "data.conclusion", msg: "only the resolution of a denunciation"},
		{name: "OK: a corrected conclusion", given: seq(denunciation, []past{accepted, resolvedAs("UNTRUE")}),
			when: past{events.PetitionCorrected, `{"corrects_version":5,"reason":"Ghi nhầm kết luận.","changes":{"conclusion":"PARTLY_TRUE"}}`}, then: events.PeResolved},

		// Refused transitions.
		{name: "ErrConflict: forwarded before classification", given: []past{received("COMPLAINT")}, when: forwarded, want: events.EConflict, msg: "is in state received"},
		{name: "OK: guided, then closed", given: []past{received("FEEDBACK"), guided}, when: closed, then: events.PeClosed},
		{name: "ErrConflict: a filed petition is not forwarded", given: []past{received(""), filed}, when: forwarded, want: events.EConflict, msg: "is in state filed"},
		{name: "ErrConflict: an extension before acceptance", given: denunciation, when: extended, as: ward, want: events.EConflict, msg: "is in state forwarded"},
		{name: "ErrConflict: an extension after resolution", given: seq(denunciation, []past{accepted, resolved}), when: extended, as: ward, want: events.EConflict, msg: "is in state resolved"},
		{name: "OK: not accepted, then closed", given: seq(complaint, []past{notAccepted}), when: closed, then: events.PeClosed},
		{name: "ErrConflict: closed is final", given: seq(complaintResolved, []past{closed}), when: second, want: events.EConflict, msg: "is in state closed"},
		{name: "ErrConflict: closed while the body is resolving it", given: seq(complaint, []past{accepted}), when: closed, want: events.EConflict, msg: "is in state accepted"},

		// Roles, scope and references.
		{name: "ErrNotFound (out of its sight): another party's respondent accepts", given: complaint, when: accepted, as: respondentOf("ubnd-nhon-hung"), want: events.ENotFound},
		{name: "ErrForbidden: the competent body files the second instance", given: complaintResolved, when: second, as: ward, want: events.EForbidden},
		{name: "ErrNotFound (out of its sight): a body the petition was not forwarded to resolves it", given: seq(complaint, []past{accepted}), when: resolved, as: town, want: events.ENotFound},
		{name: "ErrInvalid: forwarded to an unknown party", given: []past{received("COMPLAINT"), classified("COMPLAINT")},
			when: past{events.PetitionForwarded, `{"forwarded_on":"2024-05-20","to_party_id":"khong-co"}`}, want: events.EInvalid, field: "data.to_party_id"},
		{name: "ErrInvalid: classified with an unknown competent body", given: []past{received("COMPLAINT")},
			when: past{events.PetitionClassified, `{"classified_on":"2024-05-17","petition_kind":"COMPLAINT","competent_party_id":"khong-co","complex":true,"remote":false}`},
			want: events.EInvalid, field: "data.competent_party_id"},
		{name: "ErrInvalid: a second instance at an unknown party", given: complaintResolved,
			when: past{events.PetitionSecondInstanceFiled, `{"filed_on":"2024-07-25","to_party_id":"khong-co"}`}, want: events.EInvalid, field: "data.to_party_id"},
		{name: "ErrConflict: received twice", given: []past{received("COMPLAINT")}, when: received("COMPLAINT"), want: events.EConflict, msg: "already exists"},
		{name: "ErrNotFound: classified on a petition never received", when: classified("COMPLAINT"), want: events.ENotFound},
	})
}

func TestLifecycleInfoRequest(t *testing.T) {
	received := past{events.InfoRequestReceived, example(t, events.InfoRequestReceived)}
	validated := func(complexity string) past {
		return past{events.InfoRequestValidated, fmt.Sprintf(`{"validated_on":"2024-09-04","complexity":%q}`, complexity)}
	}
	rejected := past{events.InfoRequestRejected, example(t, events.InfoRequestRejected)}
	timeline := past{events.InfoRequestTimelineNotified, example(t, events.InfoRequestTimelineNotified)}
	extension := func(days int) past {
		return past{events.InfoRequestExtensionNotified, fmt.Sprintf(`{"notified_on":"2024-09-23","extended_days":%d,"reason":"Cần trích lục bản đồ."}`, days)}
	}
	provided := past{events.InfoRequestProvided, example(t, events.InfoRequestProvided)}
	refused := past{events.InfoRequestRefused, example(t, events.InfoRequestRefused)}
	corrected := past{events.InfoRequestInformationCorrected, example(t, events.InfoRequestInformationCorrected)}
	closed := past{events.InfoRequestClosed, example(t, events.InfoRequestClosed)}
	ward := respondentOf("ubnd-binh-dinh-ward")

	toTimeline := []past{received, validated("COMPLEX"), timeline}
	runLifecycle(t, "info_request/ttt-1", "binh-dinh-ward", []lifecycleCase{
		// The path of domain.md §2.9.
		{name: "OK: the addressee's respondent records a request it received", when: received, as: ward, then: events.IrReceived},
		{name: "OK: an MTTQ recorder records a request", when: received, then: events.IrReceived},
		{name: "OK: received → validated", given: []past{received}, when: validated("SIMPLE"), as: ward, then: events.IrValidated},
		{name: "OK: a simple request provided at once", given: []past{received, validated("SIMPLE")}, when: provided, as: ward, then: events.IrProvided},
		// A wrong complexity is recorded anew, before a timeline, an
		// extension or an answer; never corrected (it decides the deadlines).
		{name: "OK: validated again", given: []past{received, validated("SIMPLE")}, when: validated("COMPLEX"), as: ward, then: events.IrValidated},
		{name: "ErrConflict: validated again after a timeline", given: toTimeline, when: validated("SIMPLE"), as: ward, want: events.EConflict, msg: "is in state timeline_notified"},
		{name: "ErrInvalid: complexity is not corrected", given: []past{received, validated("SIMPLE")},
			when: past{events.InfoRequestCorrected, `{"corrects_version":2,"reason":"Đánh giá nhầm.","changes":{"complexity":"COMPLEX"}}`}, as: ward,
			want: events.EInvalid, field: "data.changes.complexity"},
		{name: "ErrInvalid: a corrected channel that is none", given: []past{received},
			when: past{events.InfoRequestCorrected, `{"corrects_version":1,"reason":"Ghi nhầm.","changes":{"channel":"EMAIL"}}`}, as: ward, want: events.EInvalid, field: "data.changes.channel"},
		{name: "OK: a complex request gets a timeline", given: []past{received, validated("COMPLEX")}, when: timeline, as: ward, then: events.IrTimelineNotified},
		{name: "OK: one extension of 15 days", given: toTimeline, when: extension(15), as: ward, then: events.IrExtended},
		{name: "OK: provided after the extension", given: seq(toTimeline, []past{extension(15)}), when: provided, as: ward, then: events.IrProvided},
		{name: "OK: refused after the extension", given: seq(toTimeline, []past{extension(10)}), when: refused, as: ward, then: events.IrRefused},
		{name: "OK: provided information corrected (Art. 34)", given: seq(toTimeline, []past{provided}), when: corrected, as: ward, then: events.IrProvided},
		{name: "OK: provided → closed", given: seq(toTimeline, []past{provided}), when: closed, then: events.IrClosed},
		{name: "OK: rejected, then closed", given: []past{received, rejected}, when: closed, as: ward, then: events.IrClosed},

		// At most one extension.
		{name: "ErrConflict: a second extension", given: seq(toTimeline, []past{extension(5)}), when: extension(5), as: ward, want: events.EConflict, msg: "is in state extended"},
		{name: "ErrConflict: an extension after provision", given: seq(toTimeline, []past{provided}), when: extension(5), as: ward, want: events.EConflict, msg: "is in state provided"},

		// Refused transitions.
		{name: "ErrConflict: provided before validation", given: []past{received}, when: provided, as: ward, want: events.EConflict, msg: "is in state received"},
		{name: "ErrConflict: information corrected before provision", given: []past{received, validated("SIMPLE")}, when: corrected, as: ward, want: events.EConflict, msg: "is in state validated"},
		{name: "ErrConflict: a rejected request is not provided", given: []past{received, rejected}, when: provided, as: ward, want: events.EConflict, msg: "is in state rejected"},
		{name: "ErrConflict: closed is final", given: seq(toTimeline, []past{provided, closed}), when: corrected, as: ward, want: events.EConflict, msg: "is in state closed"},

		// Roles, scope and references.
		{name: "ErrForbidden: a respondent records a request addressed to another party", when: received, as: respondentOf("ubnd-nhon-hung"), want: events.EForbidden},
		{name: "ErrForbidden: a respondent records a request outside its party's unit", when: received, as: ward, unit: "an-nhon", want: events.EForbidden},
		{name: "ErrNotFound (out of its sight): another party's respondent provides", given: []past{received, validated("SIMPLE")}, when: provided, as: respondentOf("ubnd-nhon-hung"), want: events.ENotFound},
		{name: "ErrNotFound (out of its sight): a recorder of another ward", given: []past{received}, when: validated("SIMPLE"), as: recorderAt("nhon-hung"), want: events.ENotFound},
		{name: "ErrInvalid: addressed to an unknown party", when: past{events.InfoRequestReceived, strings.Replace(received.data, `"addressee_party_id":"ubnd-binh-dinh-ward"`, `"addressee_party_id":"khong-co"`, 1)},
			want: events.EInvalid, field: "data.addressee_party_id"},
		{name: "ErrConflict: received twice", given: []past{received}, when: received, want: events.EConflict, msg: "already exists"},
		{name: "ErrNotFound: validated on a request never received", when: validated("SIMPLE"), as: ward, want: events.ENotFound},
	})
}
