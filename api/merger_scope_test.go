package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// mergerUnit registers a unit as the admin.
func mergerUnit(t *testing.T, f *Fixture, id, name, level, parent string, preds ...string) events.Result {
	t.Helper()
	return f.MustCreate(t, f.Admin, "units", api.EventRequest{ID: id, Type: events.UnitRegistered,
		Data: mustJSON(t, events.UnitRegisteredData{Name: name, Level: events.UnitLevel(level), ParentID: parent, ValidFrom: "2025-07-01", PredecessorIDs: preds})})
}

// mergerSupersede records that the admin superseded unit id by succ.
func mergerSupersede(t *testing.T, f *Fixture, id string, succ ...string) events.Result {
	t.Helper()
	return f.MustAppend(t, f.Admin, "units", id, api.EventRequest{Type: events.UnitSuperseded,
		Data: mustJSON(t, events.UnitSupersededData{SuccessorIDs: succ, EffectiveOn: "2025-07-01", Basis: "Nghị quyết 1668/NQ-UBTVQH15"})})
}

// listIDs lists the IDs of a list response.
func listIDs(t *testing.T, r Reply) []string {
	t.Helper()
	var l api.ListResponse
	if r.Status != 200 || json.Unmarshal(r.Body, &l) != nil {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var out []string
	for _, it := range l.Items {
		out = append(out, it.ID)
	}
	return out
}

// TestScopeOfAUnitBelowThatTookOverAnother: a new ward under a new
// province names an old ward among its predecessors (the merger recorded on
// the new unit's side). The province's reader lists the old ward's
// recommendation and may read it, its history and the events its trail
// cites: one scope for lists, items and bundles (helper-58: the list had
// it, the item was "not found" and the bundle withheld its events).
func TestScopeOfAUnitBelowThatTookOverAnother(t *testing.T) {
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "kn-a", unitWard, partyWard)
	f.MustAppend(t, f.Recorder, "recommendations", "kn-a", receivedRequest)
	mergerUnit(t, f, "64", "Tỉnh Gia Lai", "PROVINCE", "")
	mergerUnit(t, f, "w-new", "Phường An Nhơn", "COMMUNE", "64", unitWard)
	obsProv := f.MustCreateToken(t, api.TokenRequest{Name: "HĐND tỉnh Gia Lai", Role: events.RoleObserver, Unit: "64"})
	f.MustWaitApplied(t)

	inList := slices.Contains(listIDs(t, getAtHead(t, f, obsProv, "/v1/recommendations")), "kn-a")
	inUnitList := slices.Contains(listIDs(t, getAtHead(t, f, obsProv, "/v1/recommendations?unit=w-new")), "kn-a")
	item := getAtHead(t, f, obsProv, "/v1/recommendations/kn-a")
	hist := getAtHead(t, f, obsProv, "/v1/recommendations/kn-a/events")
	t.Logf("list %v, list unit=w-new %v, item %d, events %d", inList, inUnitList, item.Status, hist.Status)
	if inList != (item.Status == 200) || inUnitList != (item.Status == 200) || (item.Status == 200) != (hist.Status == 200) {
		t.Errorf("observer of 64 (above w-new, successor of %s): recommendation kn-a listed %v (unit=w-new: %v), but GET item %d, GET events %d: one token, two scopes",
			unitWard, inList, inUnitList, item.Status, hist.Status)
	}
	// The trail of the old ward's People's Committee: obligations listed,
	// the events they cite withheld.
	r := getAtHead(t, f, obsProv, "/v1/bundles/parties/"+partyWard)
	var b events.Bundle
	if r.Status != 200 || json.Unmarshal(r.Body, &b) != nil {
		t.Fatalf("bundle: %d %s", r.Status, r.Body)
	}
	withheld := 0
	for _, e := range b.Events {
		if e.Redacted {
			withheld++
		}
	}
	if withheld > 0 {
		t.Errorf("observer of 64: the bundle of %s withholds %d of its %d events (public ones of kn-a, a record its trail lists)", partyWard, withheld, len(b.Events))
	}
}

// TestSplitRecordedOnEitherSide: the town 540 is split between two new
// wards, w-a and w-b; its ward 21607 passes to w-a and its ward 21610 to
// w-b, each by its own supersession. Recorded on the town's side or on the
// new wards' (predecessor_ids naming the town), w-a's reader reads 21607's
// recommendation and not 21610's (helper-58: recorded on the new wards'
// side, each ward read its sibling's communes).
func TestSplitRecordedOnEitherSide(t *testing.T) {
	for _, side := range []string{"successor_ids", "predecessor_ids"} {
		t.Run(side, func(t *testing.T) {
			f := MustOpenServer(t)
			f.MustIssue(t, f.Recorder, "kn-a", unitWard, partyWard)
			f.MustIssue(t, f.OtherRecorder, "kn-b", unitOther, partyOther)
			mergerUnit(t, f, "64", "Tỉnh Gia Lai", "PROVINCE", "")
			if side == "predecessor_ids" {
				mergerUnit(t, f, "w-a", "Phường An Nhơn", "COMMUNE", "64", unitTown, unitWard)
				mergerUnit(t, f, "w-b", "Phường An Nhơn Đông", "COMMUNE", "64", unitTown, unitOther)
			} else {
				mergerUnit(t, f, "w-a", "Phường An Nhơn", "COMMUNE", "64")
				mergerUnit(t, f, "w-b", "Phường An Nhơn Đông", "COMMUNE", "64")
				mergerSupersede(t, f, unitTown, "w-a", "w-b")
			}
			mergerSupersede(t, f, unitWard, "w-a")
			mergerSupersede(t, f, unitOther, "w-b")
			obsA := f.MustCreateToken(t, api.TokenRequest{Name: "HĐND phường An Nhơn", Role: events.RoleObserver, Unit: "w-a"})
			f.MustWaitApplied(t)
			ids := listIDs(t, getAtHead(t, f, obsA, "/v1/recommendations"))
			t.Logf("observer of w-a reads %v", ids)
			if !slices.Contains(ids, "kn-a") || slices.Contains(ids, "kn-b") {
				t.Errorf("merger recorded by %s: observer of w-a reads %v; want kn-a (21607 passed to w-a) and not kn-b (21610 passed to w-b by its own successor_ids)", side, ids)
			}
			if r := getAtHead(t, f, obsA, "/v1/recommendations/kn-b"); r.Status != 404 {
				t.Errorf("merger recorded by %s: observer of w-a GET kn-b: %d", side, r.Status)
			}
		})
	}
}

// TestAsOfReadsByTheScopeAsItIsNow: a reader's scope is its token's as it
// is now, also at an as_of before a merger: the new ward's reader reads its
// predecessor's record as it stood then, in the list and by its ID, and a
// town's reader does not list a ward reparented since, which it may not
// read by its ID either (helper-58: the scope at as_of came from the past
// unit tree, while the item was read by the current one).
func TestAsOfReadsByTheScopeAsItIsNow(t *testing.T) {
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "kn-a", unitWard, partyWard)
	f.MustAppend(t, f.Recorder, "recommendations", "kn-a", receivedRequest)
	f.MustIssue(t, f.OtherRecorder, "kn-b", unitOther, partyOther)
	before := f.MustWaitApplied(t)
	mergerUnit(t, f, "64", "Tỉnh Gia Lai", "PROVINCE", "")
	mergerUnit(t, f, "w-new", "Phường An Nhơn", "COMMUNE", "64", unitWard)
	mergerSupersede(t, f, unitWard, "w-new")
	// The district level ends: ward 21610 goes straight under the new province.
	f.MustAppend(t, f.Admin, "units", unitOther, api.EventRequest{Type: events.UnitReparented,
		Data: mustJSON(t, events.UnitReparentedData{ParentID: "64", EffectiveOn: "2025-07-01", Basis: "Nghị quyết 2025"})})
	obsNew := f.MustCreateToken(t, api.TokenRequest{Name: "HĐND phường An Nhơn", Role: events.RoleObserver, Unit: "w-new"})
	obsTown := f.MustCreateToken(t, api.TokenRequest{Name: "HĐND thị xã An Nhơn", Role: events.RoleObserver, Unit: unitTown})
	f.MustWaitApplied(t)

	if r := getAtHead(t, f, obsNew, "/v1/recommendations/kn-a"); r.Status != 200 {
		t.Fatalf("observer of w-new reads its predecessor's kn-a now: %d %s", r.Status, r.Body)
	}
	asOf := fmt.Sprintf("as_of=%d", before)
	if r := f.Do(t, "GET", "/v1/recommendations/kn-a?"+asOf, obsNew.Secret, nil); r.Status != 200 {
		t.Errorf("observer of w-new, kn-a as it stood before the merger: %d %s, want 200 (the inspector's is 200, and the record is in the token's scope)", r.Status, r.Body)
	}
	if ids := listIDs(t, f.Do(t, "GET", "/v1/recommendations?"+asOf, obsNew.Secret, nil)); !slices.Contains(ids, "kn-a") {
		t.Errorf("observer of w-new, list as_of before the merger: %v, want kn-a", ids)
	}
	// A report of the token's unit, which did not exist then, counts what
	// its scope as it is now held then; one of the unit it took over too.
	var rep projections.Report
	if r := f.Do(t, "GET", "/v1/reports/summary?"+asOf, obsNew.Secret, nil); r.Status != 200 || json.Unmarshal(r.Body, &rep) != nil || rep.Recommendations.Issued != 1 {
		t.Errorf("observer of w-new, report (no unit given) as_of before the merger: %d %s, want kn-a counted", r.Status, r.Body)
	}
	if r := f.Do(t, "GET", "/v1/reports/summary?unit="+unitWard+"&"+asOf, obsNew.Secret, nil); r.Status != 200 {
		t.Errorf("observer of w-new, report of %s as_of before the merger: %d %s", unitWard, r.Status, r.Body)
	}
	// The town's observer: the list and the item at the same point disagree.
	listed := slices.Contains(listIDs(t, f.Do(t, "GET", "/v1/recommendations?"+asOf, obsTown.Secret, nil)), "kn-b")
	item := f.Do(t, "GET", "/v1/recommendations/kn-b?"+asOf, obsTown.Secret, nil)
	if listed != (item.Status == 200) {
		t.Errorf("observer of %s as_of %d: kn-b (ward %s, reparented since) listed %v but GET item %d", unitTown, before, unitOther, listed, item.Status)
	}
}

// TestReportRowsOfAChainOfMergers: ward 21607 was merged into w-a, and w-a
// later into w-c, both children of province 64. The province's table puts
// 21607's recommendation in w-a's row, the nearest of the two that took it
// over (helper-58: two claimants counted as a split, and it went to the
// province's own row); w-c's own report counts it.
func TestReportRowsOfAChainOfMergers(t *testing.T) {
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "kn-a", unitWard, partyWard)
	mergerUnit(t, f, "64", "Tỉnh Gia Lai", "PROVINCE", "")
	mergerUnit(t, f, "w-a", "Phường An Nhơn", "COMMUNE", "64", unitWard)
	mergerSupersede(t, f, unitWard, "w-a")
	mergerUnit(t, f, "w-c", "Phường An Nhơn Mới", "COMMUNE", "64", "w-a")
	mergerSupersede(t, f, "w-a", "w-c")
	f.MustWaitApplied(t)
	rows := map[string]int{}
	var rep projections.Report
	r := getAtHead(t, f, f.Inspector, "/v1/reports/summary?unit=64")
	if r.Status != 200 || json.Unmarshal(r.Body, &rep) != nil {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	for _, row := range rep.Units {
		rows[row.Unit] = row.Issued
	}
	if rows["64"] != 0 || rows["w-a"] != 1 || rows["w-c"] != 0 {
		t.Errorf("province 64's rows %v: kn-a of %s (merged into w-a, then w-a into w-c), want it in w-a's row, the nearest", rows, unitWard)
	}
	var own projections.Report
	if r := getAtHead(t, f, f.Inspector, "/v1/reports/summary?unit=w-c"); r.Status != 200 || json.Unmarshal(r.Body, &own) != nil || own.Recommendations.Issued != 1 {
		t.Errorf("w-c's own report: %d %s, want kn-a counted", r.Status, r.Body)
	}
}

// TestAsOfReportScopeAgreesWithList: a report as of an earlier point
// counts the records of the reader's scope as it is now, as its lists do:
// not a ward moved elsewhere since, through its old parent (helper-61).
func TestAsOfReportScopeAgreesWithList(t *testing.T) {
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "kn-a", unitWard, partyWard)
	f.MustIssue(t, f.OtherRecorder, "kn-b", unitOther, partyOther)
	before := f.MustWaitApplied(t)
	mergerUnit(t, f, "64", "Tỉnh Gia Lai", "PROVINCE", "")
	f.MustAppend(t, f.Admin, "units", unitOther, api.EventRequest{Type: events.UnitReparented,
		Data: mustJSON(t, events.UnitReparentedData{ParentID: "64", EffectiveOn: "2025-07-01", Basis: "Nghị quyết 2025"})})
	obsTown := f.MustCreateToken(t, api.TokenRequest{Name: "HĐND thị xã An Nhơn", Role: events.RoleObserver, Unit: unitTown})
	f.MustWaitApplied(t)
	asOf := fmt.Sprintf("as_of=%d", before)
	listed := listIDs(t, f.Do(t, "GET", "/v1/recommendations?"+asOf, obsTown.Secret, nil))
	var rep projections.Report
	r := f.Do(t, "GET", "/v1/reports/summary?"+asOf, obsTown.Secret, nil)
	if r.Status != 200 || json.Unmarshal(r.Body, &rep) != nil {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	if rep.Recommendations.Issued != len(listed) {
		t.Errorf("observer of %s as_of %d: lists %v, but its report counts %d issued (ward %s, reparented since, counted through the old parent)",
			unitTown, before, listed, rep.Recommendations.Issued, unitOther)
	}
}

// TestAsOfScopeOfAUnitMovedIn: a ward moved under the reader's unit since
// an earlier point is in the reader's scope at that point too: in its list
// with and without unit= its own unit, and in its report (helper-62: the
// list went by the scope as it is now, unit= and the report by the past
// unit tree).
func TestAsOfScopeOfAUnitMovedIn(t *testing.T) {
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "kn-a", unitWard, partyWard)
	f.MustIssue(t, f.OtherRecorder, "kn-b", unitOther, partyOther)
	before := f.MustWaitApplied(t)
	f.MustAppend(t, f.Admin, "units", unitOther, api.EventRequest{Type: events.UnitReparented,
		Data: mustJSON(t, events.UnitReparentedData{ParentID: unitWard, EffectiveOn: "2025-07-01", Basis: "Nghị quyết 2025"})})
	f.MustWaitApplied(t)
	asOf := fmt.Sprintf("as_of=%d", before)
	listed := listIDs(t, f.Do(t, "GET", "/v1/recommendations?"+asOf, f.Observer.Secret, nil))
	withUnit := listIDs(t, f.Do(t, "GET", "/v1/recommendations?unit="+unitWard+"&"+asOf, f.Observer.Secret, nil))
	if len(withUnit) != len(listed) {
		t.Errorf("as_of list without unit: %v; with unit=%s (the token's own): %v", listed, unitWard, withUnit)
	}
	var rep projections.Report
	r := f.Do(t, "GET", "/v1/reports/summary?"+asOf, f.Observer.Secret, nil)
	if r.Status != 200 || json.Unmarshal(r.Body, &rep) != nil {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	if rep.Recommendations.Issued != len(listed) {
		t.Errorf("observer of %s as_of %d: lists %v, but its report counts %d issued", unitWard, before, listed, rep.Recommendations.Issued)
	}
}
