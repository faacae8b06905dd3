package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// readFixture is a server with two recommendations: rec-1 of the ward,
// received (and so overdue at the fixture's clock, 2025-07-01), and rec-2
// of the other ward, never received.
func readFixture(t *testing.T) (*Fixture, events.Result, events.Result) {
	f := MustOpenServer(t)
	issued := f.MustIssue(t, f.Recorder, "rec-1", unitWard, partyWard)
	received := f.MustAppend(t, f.Recorder, "recommendations", "rec-1", receivedRequest)
	f.MustIssue(t, f.OtherRecorder, "rec-2", unitOther, partyOther)
	// The tests read without min_position: let the views apply what was
	// acknowledged first (TestFlagsAPI once found no flag yet).
	f.MustWaitCheckpoint(t)
	return f, issued, received
}

func mustList(t *testing.T, f *Fixture, tok *Token, path string) (api.ListResponse, []string) {
	t.Helper()
	r := f.Do(t, "GET", path, tok.Secret, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var l api.ListResponse
	if err := json.Unmarshal(r.Body, &l); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range l.Items {
		ids = append(ids, it.ID)
	}
	return l, ids
}

func TestList(t *testing.T) {
	t.Parallel()
	f, _, received := readFixture(t)
	min := fmt.Sprintf("&min_position=%d", f.Head(t))
	cases := []struct {
		tok  *Token
		path string
		want []string
	}{
		{f.Inspector, "/v1/recommendations?limit=10", []string{"rec-2", "rec-1"}},
		{f.Inspector, "/v1/recommendations?status=overdue", []string{"rec-1"}},
		{f.Inspector, "/v1/recommendations?status=issued,overdue", []string{"rec-2", "rec-1"}},
		{f.Inspector, "/v1/recommendations?status=awaiting_answer&unit=" + unitTown, []string{"rec-1"}},
		{f.Inspector, "/v1/recommendations?unit=" + unitOther, []string{"rec-2"}},
		{f.Inspector, "/v1/recommendations?q=TIEP+CONG+DAN", []string{"rec-2", "rec-1"}},
		{f.Inspector, "/v1/recommendations?q=cong+dan+tiep", []string{"rec-2", "rec-1"}}, // every word, in any order
		{f.Inspector, "/v1/recommendations?q=khong+co", nil},
		{f.Inspector, "/v1/recommendations?party=" + partyOther, []string{"rec-2"}},
		{f.Inspector, "/v1/recommendations?from=2023-03-11", nil},
		{f.Inspector, "/v1/recommendations?to=2023-03-10", []string{"rec-2", "rec-1"}},
		{f.Observer, "/v1/recommendations?limit=50", []string{"rec-1"}},
		{f.Respondent, "/v1/recommendations?limit=50", []string{"rec-1"}},
		{f.TownRecorder, "/v1/recommendations?limit=50", []string{"rec-2", "rec-1"}},
	}
	for _, c := range cases {
		if _, got := mustList(t, f, c.tok, c.path+min); !slices.Equal(got, c.want) {
			t.Errorf("%s as %s: %v, want %v", c.path, c.tok.Name(), got, c.want)
		}
	}
	// Pages of one follow the cursor to the end.
	l, ids := mustList(t, f, f.Inspector, "/v1/recommendations?limit=1")
	if !slices.Equal(ids, []string{"rec-2"}) || l.NextCursor == "" || l.Position < received.Position {
		t.Fatalf("first page: %v next %q at %d", ids, l.NextCursor, l.Position)
	}
	l, ids = mustList(t, f, f.Inspector, "/v1/recommendations?limit=1&cursor="+l.NextCursor)
	if !slices.Equal(ids, []string{"rec-1"}) || l.NextCursor != "" {
		t.Errorf("second page: %v next %q", ids, l.NextCursor)
	}
	// Bad input names the parameter at fault.
	bad := []struct {
		tok         *Token
		path        string
		status      int
		code, field string
	}{
		{f.Inspector, "/v1/recommendations?limit=0", 400, events.EInvalid, "limit"},
		{f.Inspector, "/v1/recommendations?limit=501", 400, events.EInvalid, "limit"},
		{f.Inspector, "/v1/recommendations?cursor=abc", 400, events.EInvalid, "cursor"},
		{f.Inspector, "/v1/recommendations?from=2023-02-30", 400, events.EInvalid, "from"},
		{f.Inspector, "/v1/recommendations?from=2023-03-10&to=2023-03-01", 400, events.EInvalid, "to"},
		{f.Inspector, "/v1/recommendations?status=Overdue", 400, events.EInvalid, "status"},
		{f.Inspector, "/v1/recommendations?status=nonexistent", 400, events.EInvalid, "status"},
		{f.Inspector, "/v1/recommendations?status=issued,adopted", 400, events.EInvalid, "status"}, // a critique's state
		{f.Inspector, "/v1/recommendations?unit=khong-co", 400, events.EInvalid, "unit"},
		{f.Inspector, "/v1/recommendations?as_of=hôm+qua", 400, events.EInvalid, "as_of"},
		{f.Inspector, "/v1/recommendations?as_of=999999", 400, events.EInvalid, "as_of"},
		{f.Inspector, "/v1/recommendations?as_of=9999-12-31T23:59:59Z", 400, events.EInvalid, "as_of"},
		{f.Inspector, "/v1/recommendations?as_of=2025-07-02T00:00:00%2B07:00", 400, events.EInvalid, "as_of"}, // tomorrow (fixedNow)
		{f.Inspector, "/v1/recommendations?min_position=-1", 400, events.EInvalid, "min_position"},
		{f.Inspector, "/v1/recommendations?q=" + strings.Repeat("a", 201), 400, events.EInvalid, "q"},
		{f.Observer, "/v1/recommendations?unit=" + unitOther, 403, events.EForbidden, "unit"},
		{f.Observer, "/v1/recommendations/rec-2", 404, events.ENotFound, "id"}, // out of scope: as never recorded
		{f.Inspector, "/v1/recommendations/khong-co", 404, events.ENotFound, "id"},
	}
	for _, c := range bad {
		MustError(t, f.Do(t, "GET", c.path, c.tok.Secret, nil), c.status, c.code, c.field)
	}
}

// TestReadYourWrites: an item just written is read back at once; a read
// asking for a position the views have not reached waits, then answers 503
// with Retry-After; one past the end of the log is refused.
func TestReadYourWrites(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	f.Server.ReadWait = 200 * time.Millisecond
	for i := range 20 {
		res := f.MustIssue(t, f.Recorder, fmt.Sprintf("ryw-%d", i), unitWard, partyWard)
		st, err := f.Recorder.State(t.Context(), "recommendations", res.ID)
		if err != nil || st.Version != 1 || st.UpdatedPosition != res.Position {
			t.Fatalf("read after write: %+v %v", st, err)
		}
		if _, ids := mustList(t, f, f.Recorder, fmt.Sprintf("/v1/recommendations?min_position=%d&limit=1", res.Position)); !slices.Equal(ids, []string{res.ID}) {
			t.Fatalf("list after write with min_position: %v", ids)
		}
	}
	// A position past the end of the log has not been returned by any
	// write: refused at once, not waited for.
	head := f.Head(t)
	for _, p := range []string{"/v1/recommendations", "/v1/recommendations/ryw-0", "/v1/recommendations/ryw-0/events", "/v1/flags"} {
		MustError(t, f.Do(t, "GET", fmt.Sprintf("%s?min_position=%d", p, head+10), f.Recorder.Secret, nil), http.StatusBadRequest, events.EInvalid, "min_position")
	}
	// An item's history answers once the position is applied.
	h := f.Do(t, "GET", fmt.Sprintf("/v1/recommendations/ryw-0/events?min_position=%d", head), f.Recorder.Secret, nil)
	if h.Status != http.StatusOK {
		t.Errorf("history with min_position at the head: %d %s", h.Status, h.Body)
	}
	// A write acknowledged but not yet applied (the log's readers held
	// back): reads wait for it, then answer 503 with Retry-After.
	release := f.HoldReaders(t)
	held := f.MustIssue(t, f.Recorder, "ryw-held", unitWard, partyWard)
	for _, p := range []string{"/v1/recommendations", "/v1/recommendations/ryw-0/events"} {
		start := time.Now()
		r := f.Do(t, "GET", fmt.Sprintf("%s?min_position=%d", p, held.Position), f.Recorder.Secret, nil)
		MustError(t, r, http.StatusServiceUnavailable, events.EUnavailable, "min_position")
		if r.Header.Get("Retry-After") == "" || time.Since(start) < 200*time.Millisecond {
			t.Errorf("%s: 503 without Retry-After, or without waiting: %v", p, r.Header)
		}
	}
	// as_of a time the held write was recorded by: the log has it, the
	// views not yet; they are waited for, as for a position, not read
	// without it (found by helper-47's audit: the list answered without
	// the write, naming a checkpoint that did not cover it).
	asOf := "as_of=" + url.QueryEscape(fixedNow.Format(time.RFC3339))
	for _, p := range []string{"/v1/recommendations", "/v1/recommendations/ryw-held"} {
		MustError(t, f.Do(t, "GET", p+"?"+asOf, f.Recorder.Secret, nil), http.StatusServiceUnavailable, events.EUnavailable, "as_of")
	}
	// Once applied, it is there.
	release()
	if _, ids := mustList(t, f, f.Recorder, fmt.Sprintf("/v1/recommendations?min_position=%d&limit=1", held.Position)); !slices.Equal(ids, []string{held.ID}) {
		t.Errorf("list after the readers caught up: %v", ids)
	}
	if l, ids := mustList(t, f, f.Recorder, "/v1/recommendations?limit=1&"+asOf); !slices.Equal(ids, []string{held.ID}) || l.AsOf == nil || l.AsOf.Position != held.Position {
		t.Errorf("as_of the write's time once applied: %v, %+v", ids, l.AsOf)
	}
	MustError(t, f.Do(t, "GET", "/v1/recommendations/ryw-0/events?min_position=abc", f.Recorder.Secret, nil), 400, events.EInvalid, "min_position")
	MustError(t, f.Do(t, "GET", "/v1/recommendations/ryw-0/events?min_position=1", "", nil), 401, events.EUnauthorized, "Authorization")
}

func TestAsOfAPI(t *testing.T) {
	t.Parallel()
	f, issued, received := readFixture(t)
	f.MustWaitCheckpoint(t)
	r := f.Do(t, "GET", fmt.Sprintf("/v1/recommendations/rec-1?as_of=%d", issued.Position), f.Inspector.Secret, nil)
	var got struct {
		api.ItemResponse
		AsOf *api.AsOf `json:"as_of"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &got) != nil {
		t.Fatalf("as_of: %d %s", r.Status, r.Body)
	}
	if got.Status != events.RecIssued || got.Version != 1 || got.AsOf == nil || got.AsOf.Position != issued.Position ||
		got.AsOf.Checkpoint == nil || got.AsOf.Checkpoint.Size < issued.Position || len(got.NextTypes) != 0 {
		t.Errorf("as of %d: status %s version %d as_of %+v next %v", issued.Position, got.Status, got.Version, got.AsOf, got.NextTypes)
	}
	// The checkpoint named verifies and covers the position.
	if _, err := events.OpenCheckpoint([]byte(got.AsOf.Checkpoint.Note), f.Ledger.Signer.VerifierKey(), testOrigin); err != nil {
		t.Errorf("as_of checkpoint: %v", err)
	}
	// Deadlines are evaluated at the as_of time, not today: received at
	// position received.Position on 2025-07-01 (the fixture's clock).
	r = f.Do(t, "GET", fmt.Sprintf("/v1/recommendations?as_of=%d&status=overdue", received.Position), f.Inspector.Secret, nil)
	if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"rec-1"`)) {
		t.Errorf("as_of list: %d %s", r.Status, r.Body)
	}
	// A time before the first event: nothing existed.
	_, ids := mustList(t, f, f.Inspector, "/v1/recommendations?as_of=2000-01-01T00:00:00Z")
	if len(ids) != 0 {
		t.Errorf("as of 2000: %v", ids)
	}
	// The end of today (as the workspace's date picker asks) is today as
	// it stands: every item, judged at today (a later day is refused, in
	// TestListErrors).
	l, ids := mustList(t, f, f.Inspector, "/v1/recommendations?as_of=2025-07-01T23:59:59%2B07:00")
	if len(ids) != 2 || l.AsOf == nil || l.AsOf.Date != "2025-07-01" || l.AsOf.Position != f.Head(t) {
		t.Errorf("as of the end of today: %v, %+v", ids, l.AsOf)
	}
	// RFC 3339 lets "T" and "Z" be lower case (§5.6).
	l, ids = mustList(t, f, f.Inspector, "/v1/recommendations?as_of=2025-07-01t16:59:59z")
	if len(ids) != 2 || l.AsOf == nil || l.AsOf.Date != "2025-07-01" {
		t.Errorf("as of a lower-case time: %v, %+v", ids, l.AsOf)
	}
}

func TestFlagsAPI(t *testing.T) {
	t.Parallel()
	f, _, _ := readFixture(t)
	r := f.Do(t, "GET", "/v1/flags?code=OB_NO_RESPONSE", f.Inspector.Secret, nil)
	var l api.FlagList
	if r.Status != 200 || json.Unmarshal(r.Body, &l) != nil || len(l.Flags) != 1 || l.Flags[0].Subject != "recommendation/rec-1" {
		t.Fatalf("flags: %d %s", r.Status, r.Body)
	}
	fl := l.Flags[0]
	if fl.Party != partyWard || fl.Status != "open" || fl.LegalBasis == "" || fl.RuleVersion == "" {
		t.Errorf("flag: %+v", fl)
	}
	path := "/v1/flags/" + fl.ID + "/reviews"
	review := map[string]string{"verdict": "DISMISSED", "note": "UBND đã trả lời bằng văn bản ngày 30/3/2023, ghi sổ muộn."}
	MustError(t, f.Do(t, "POST", path, f.Observer.Secret, review), 403, events.EForbidden, "Authorization")
	MustError(t, f.Do(t, "POST", path, f.Recorder.Secret, review), 403, events.EForbidden, "Authorization")
	MustError(t, f.Do(t, "POST", path, f.Inspector.Secret, map[string]string{"verdict": "GUILTY", "note": "x"}), 400, events.EInvalid, "verdict")
	MustError(t, f.Do(t, "POST", path, f.Inspector.Secret, map[string]string{"verdict": "DISMISSED", "note": "x", "reviewed_on": "2099-01-01"}), 400, events.EInvalid, "reviewed_on")
	before := string(projections.AddDays(fl.RaisedOn, -1)) // recorded as the flag's once
	MustError(t, f.Do(t, "POST", path, f.Inspector.Secret, map[string]string{"verdict": "DISMISSED", "note": "x", "reviewed_on": before}), 400, events.EInvalid, "reviewed_on")
	MustError(t, f.Do(t, "POST", "/v1/flags/OB_NO_RESPONSE-000/reviews", f.Inspector.Secret, review), 404, events.ENotFound, "id")
	MustError(t, f.Do(t, "POST", path+"?as_of=1", f.Inspector.Secret, review), 400, events.EInvalid, "as_of")
	res := MustResult(t, f.Do(t, "POST", path, f.Inspector.Secret, review))
	if res.Stream != "flag/"+fl.ID || res.Type != events.FlagReviewed {
		t.Errorf("review: %+v", res)
	}
	// A revision is not dated before the review it revises (helper-49).
	MustError(t, f.Do(t, "POST", path+fmt.Sprintf("?min_position=%d", res.Position), f.Inspector.Secret,
		map[string]string{"verdict": "CONFIRMED", "note": "x", "reviewed_on": string(fl.RaisedOn)}), 400, events.EInvalid, "reviewed_on")
	r = f.Do(t, "GET", fmt.Sprintf("/v1/flags/%s?min_position=%d", fl.ID, res.Position), f.Inspector.Secret, nil)
	var after projections.Flag
	if r.Status != 200 || json.Unmarshal(r.Body, &after) != nil || after.Status != "reviewed" || after.Review == nil || after.Review.Verdict != events.VerdictDismissed {
		t.Errorf("after review: %d %s", r.Status, r.Body)
	}
	// A second review revises the first.
	res = MustResult(t, f.Do(t, "POST", path, f.Inspector.Secret, map[string]string{"verdict": "CONFIRMED", "note": "Không có văn bản trả lời."}))
	if res.Type != events.FlagReviewRevised || res.Version != 2 {
		t.Errorf("revision: %+v", res)
	}
	_, open := mustListFlags(t, f, f.Inspector, fmt.Sprintf("/v1/flags?status=open&min_position=%d", res.Position))
	if slices.Contains(open, fl.ID) {
		t.Error("a reviewed flag is still listed as open")
	}
	// Observers of the other ward do not see the ward's flag.
	if _, ids := mustListFlags(t, f, f.OtherRecorder, "/v1/flags"); slices.Contains(ids, fl.ID) {
		t.Error("a recorder of another ward sees the flag")
	}
}

func mustListFlags(t *testing.T, f *Fixture, tok *Token, path string) (api.FlagList, []string) {
	t.Helper()
	r := f.Do(t, "GET", path, tok.Secret, nil)
	var l api.FlagList
	if r.Status != 200 || json.Unmarshal(r.Body, &l) != nil {
		t.Fatalf("GET %s: %d %s", path, r.Status, r.Body)
	}
	var ids []string
	for _, fl := range l.Flags {
		ids = append(ids, fl.ID)
	}
	return l, ids
}

func TestAccountabilityAndBundle(t *testing.T) {
	t.Parallel()
	f, issued, received := readFixture(t)
	r := f.Do(t, "GET", "/v1/parties/"+partyWard+"/accountability", f.Inspector.Secret, nil)
	var tr projections.Trail
	if r.Status != 200 || json.Unmarshal(r.Body, &tr) != nil {
		t.Fatalf("trail: %d %s", r.Status, r.Body)
	}
	// Two flags: the unanswered recommendation, and no hearing of MTTQ's
	// results (the ward has no People's Council, so its Committee).
	if len(tr.Obligations) != 1 || tr.Obligations[0].Outcome != projections.Overdue || tr.Obligations[0].Rule != "recommendation.response" ||
		len(tr.Flags) != 2 || tr.Summary[projections.Overdue] != 1 {
		t.Errorf("trail: %+v", tr)
	}
	for _, e := range tr.Events {
		rec, err := f.Store.Get(t.Context(), e.Position)
		if err != nil || rec.Hash().String() != e.Hash {
			t.Errorf("cited event %d: hash %s, stored %s (%v)", e.Position, e.Hash, rec.Hash(), err)
		}
	}
	if !slices.ContainsFunc(tr.Events, func(e projections.CitedEvent) bool { return e.Position == received.Position }) {
		t.Errorf("the trail does not cite the receipt at %d: %+v", received.Position, tr.Events)
	}
	_ = issued
	MustError(t, f.Do(t, "GET", "/v1/parties/"+partyOther+"/accountability", f.Respondent.Secret, nil), 403, events.EForbidden, "Authorization")
	MustError(t, f.Do(t, "GET", "/v1/parties/khong-co/accountability", f.Inspector.Secret, nil), 404, events.ENotFound, "id")

	r = f.Do(t, "GET", "/v1/bundles/parties/"+partyWard, f.Inspector.Secret, nil)
	if r.Status != 200 {
		t.Fatalf("bundle: %d %s", r.Status, r.Body)
	}
	vkey := f.Ledger.Signer.VerifierKey()
	rep, err := events.VerifyBundle(r.Body, vkey)
	if err != nil || rep.Events != len(tr.Events) || rep.Cited != len(tr.Events) {
		t.Fatalf("bundle verify: %+v %v", rep, err)
	}
	// Tampering is caught: a changed event, a dropped event, another key.
	var b events.Bundle
	json.Unmarshal(r.Body, &b)
	b.Events[0].Raw = bytes.Replace(b.Events[0].Raw, []byte(`"version":`), []byte(`"version": `), 1)
	if _, err := events.VerifyBundle(mustJSON(t, b), vkey); err == nil {
		t.Error("a changed event verifies")
	}
	json.Unmarshal(r.Body, &b)
	b.Events = b.Events[1:]
	if _, err := events.VerifyBundle(mustJSON(t, b), vkey); err == nil || !strings.Contains(err.Error(), "not in the bundle") {
		t.Errorf("a dropped event: %v", err)
	}
	// So is a bundle relabelled, padded or reshaped around genuine events.
	reshaped := map[string]func(b *events.Bundle) []byte{
		"another party's subject": func(b *events.Bundle) []byte { b.Subject = "party/" + partyOther; return mustJSON(t, b) },
		"an event twice":          func(b *events.Bundle) []byte { b.Events = append(b.Events, b.Events[0]); return mustJSON(t, b) },
		"text after the JSON":     func(b *events.Bundle) []byte { return append(mustJSON(t, b), " garbage"...) },
		"an event the trail does not cite": func(b *events.Bundle) []byte {
			var tr map[string]json.RawMessage
			json.Unmarshal(b.Trail, &tr)
			var evs []json.RawMessage
			json.Unmarshal(tr["events"], &evs)
			var obs []map[string]any
			json.Unmarshal(tr["obligations"], &obs)
			for _, o := range obs {
				o["cites"] = []any{}
			}
			tr["obligations"], tr["flags"], tr["events"] = mustJSON(t, obs), json.RawMessage("[]"), mustJSON(t, evs[1:])
			b.Trail = mustJSON(t, tr)
			return mustJSON(t, b)
		},
		"no statement (a v1 bundle)": func(b *events.Bundle) []byte {
			b.Format, b.Statement = "so-cai-giam-sat/bundle/v1", ""
			return mustJSON(t, b)
		},
		"no statement": func(b *events.Bundle) []byte { b.Statement = ""; return mustJSON(t, b) },
		"a statement signed by another key": func(b *events.Bundle) []byte {
			skey, _, _ := events.GenerateCheckpointKey(testOrigin)
			signer, _ := events.NewCheckpointSigner(skey)
			st, _ := signer.SignStatement(b)
			b.Statement = string(st)
			return mustJSON(t, b)
		},
		"another bundle's statement": func(b *events.Bundle) []byte {
			b.Statement = strings.Replace(b.Statement, "party/", "party/x", 1)
			return mustJSON(t, b)
		},
		"an obligation citing an event the trail does not name": func(b *events.Bundle) []byte {
			var tr map[string]json.RawMessage
			json.Unmarshal(b.Trail, &tr)
			tr["events"] = json.RawMessage("[]")
			b.Trail, b.Events = mustJSON(t, tr), nil
			return mustJSON(t, b)
		},
	}
	for name, change := range reshaped {
		var b events.Bundle
		json.Unmarshal(r.Body, &b)
		if _, err := events.VerifyBundle(change(&b), vkey); err == nil {
			t.Errorf("a bundle with %s verifies", name)
		} else {
			t.Logf("a bundle with %s: %v", name, err)
		}
	}
	// A file re-indented (by jq, say) still verifies: the statement binds
	// the trail's values, not its layout.
	var indented bytes.Buffer
	json.Indent(&indented, r.Body, "", "  ")
	if _, err := events.VerifyBundle(indented.Bytes(), vkey); err != nil {
		t.Errorf("the bundle re-indented: %v", err)
	}
	// So does one whose trail's escapes a tool wrote out ("\u0026" as
	// "&", as jq does) and whose keys it reordered.
	var reb events.Bundle
	json.Unmarshal(r.Body, &reb)
	var trailDoc map[string]any
	json.Unmarshal(reb.Trail, &trailDoc)
	var plain bytes.Buffer
	enc := json.NewEncoder(&plain)
	enc.SetEscapeHTML(false)
	enc.Encode(trailDoc)
	if !bytes.Equal(bytes.TrimSpace(plain.Bytes()), reb.Trail) {
		reb.Trail = bytes.TrimSpace(plain.Bytes())
		if _, err := events.VerifyBundle(mustJSON(t, reb), vkey); err != nil {
			t.Errorf("the bundle with its trail re-encoded: %v", err)
		}
	}
	_, otherKey, _ := events.GenerateCheckpointKey(testOrigin)
	if _, err := events.VerifyBundle(r.Body, otherKey); err == nil {
		t.Error("a bundle verifies with another key")
	}
}

func TestReport(t *testing.T) {
	t.Parallel()
	f, _, _ := readFixture(t)
	f.MustAppend(t, f.OtherRecorder, "recommendations", "rec-2", receivedRequest)
	f.MustAppend(t, f.OtherRecorder, "recommendations", "rec-2", responseRequest)
	r := f.Do(t, "GET", fmt.Sprintf("/v1/reports/summary?unit=%s&from=2023-01-01&to=2023-12-31&min_position=%d", unitTown, f.Head(t)), f.Inspector.Secret, nil)
	var rep projections.Report
	if r.Status != 200 || json.Unmarshal(r.Body, &rep) != nil {
		t.Fatalf("report: %d %s", r.Status, r.Body)
	}
	rs := rep.Recommendations
	if rs.Issued != 2 || rs.AnsweredOnTime != 1 || rs.Missing != 1 || rs.Accepted != 1 || rep.OnTimeRate == nil || *rep.OnTimeRate != 0.5 ||
		rep.MedianDaysToAnswer == nil || *rep.MedianDaysToAnswer != 20 || rep.FlagsOpen["OB_NO_RESPONSE"] != 1 || len(rep.Units) != 3 {
		t.Errorf("report: %s", r.Body)
	}
	// A unit whose name a spreadsheet would run as a formula.
	formula := f.MustCreate(t, f.Admin, "units", api.EventRequest{ID: "21999", Type: events.UnitRegistered,
		Data: mustJSON(t, events.UnitRegisteredData{Name: `=HYPERLINK("http://x.example","y")`, Level: "COMMUNE", ParentID: unitTown, ValidFrom: "2011-06-01"})})
	r = f.Do(t, "GET", fmt.Sprintf("/v1/reports/summary?unit=%s&min_position=%d", unitTown, formula.Position), f.Inspector.Secret, nil, "Accept", "text/csv")
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(r.Body, []byte("\xef\xbb\xbf")) ||
		!bytes.Contains(r.Body, []byte("Tỷ lệ trả lời đúng hạn (on-time rate),50%\r\n")) || !bytes.Contains(r.Body, []byte("(median days to answer),20\r\n")) || r.Header.Get("Content-Length") != strconv.Itoa(len(r.Body)) {
		t.Errorf("CSV report: %s %s %q", r.Header.Get("Content-Type"), r.Header.Get("Content-Length"), r.Body)
	}
	// Every figure of the JSON form is a line of the CSV (received and in
	// implementation were missing).
	for _, line := range []string{"(recommendations issued),2", "(received),2", "(answered on time),1", "(missing),1", "(in implementation),0", "(implemented),0", "(verified),0",
		"(petitions received),0", "(petitions overdue),0", "(information requests received),0", "(overdue),0", "(reception days held),0", "(periods below the minimum),0"} {
		if !bytes.Contains(r.Body, []byte(line)) {
			t.Errorf("CSV report has no line %q", line)
		}
	}
	if !bytes.Contains(r.Body, []byte(`21999,"'=HYPERLINK(""http://x.example"",""y"")"`)) {
		t.Errorf("CSV report: the formula is not shown as text: %q", r.Body)
	}
	r = f.Do(t, "GET", fmt.Sprintf("/v1/reports/summary?unit=%s&from=2023-01-01&to=2023-12-31&by=quarter", unitTown), f.Inspector.Secret, nil, "Accept", "text/csv")
	if r.Status != 200 || !bytes.Contains(r.Body, []byte("\n2023-01-01,2023-03-31,")) || !bytes.Contains(r.Body, []byte("\n2023-10-01,2023-12-31,")) {
		t.Errorf("CSV report by quarter has no series: %q", r.Body)
	}
	MustError(t, f.Do(t, "GET", "/v1/reports/summary?unit="+unitOther, f.Observer.Secret, nil), 403, events.EForbidden, "unit")
	MustError(t, f.Do(t, "GET", "/v1/reports/summary?from=1.1.2023", f.Inspector.Secret, nil), 400, events.EInvalid, "from")
	MustError(t, f.Do(t, "GET", "/v1/reports/summary?from=2023-12-31&to=2023-01-01", f.Inspector.Secret, nil), 400, events.EInvalid, "to")
	MustError(t, f.Do(t, "GET", "/v1/reports/summary?from=2000-01-01&to=2023-12-31&by=quarter", f.Inspector.Secret, nil), 400, events.EInvalid, "from")

	// by=quarter adds one report per quarter of the period; their counts
	// add up to the period's.
	r = f.Do(t, "GET", fmt.Sprintf("/v1/reports/summary?unit=%s&from=2023-02-15&to=2023-12-31&by=quarter", unitTown), f.Inspector.Secret, nil)
	var series struct {
		projections.Report
		Series []projections.Report `json:"series"`
	}
	if r.Status != 200 || json.Unmarshal(r.Body, &series) != nil || len(series.Series) != 4 {
		t.Fatalf("report by quarter: %d %s", r.Status, r.Body)
	}
	issued, onTime := 0, 0
	for _, q := range series.Series {
		issued += q.Recommendations.Issued
		onTime += q.Recommendations.AnsweredOnTime
	}
	if issued != series.Recommendations.Issued || onTime != series.Recommendations.AnsweredOnTime || series.Series[0].From != "2023-02-15" ||
		series.Series[0].To != "2023-03-31" || series.Series[3].From != "2023-10-01" || series.Series[3].To != "2023-12-31" {
		t.Errorf("report by quarter: %s", r.Body)
	}
	MustError(t, f.Do(t, "GET", "/v1/reports/summary?from=2023-01-01&to=2023-12-31&by=month", f.Inspector.Secret, nil), 400, events.EInvalid, "by")
	MustError(t, f.Do(t, "GET", "/v1/reports/summary?from=2023-01-01&by=quarter", f.Inspector.Secret, nil), 400, events.EInvalid, "from")
}

// TestRoleMatrix checks every route of the API for every role: what each
// may read or do, with the fixture's scopes (recorder and observer: the
// ward; respondent: the ward's People's Committee).
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	f, issued, _ := readFixture(t)
	spare := f.MustCreateToken(t, api.TokenRequest{Name: "Cán bộ tạm thời", Role: events.RoleObserver, Unit: unitWard})
	f.MustWaitCheckpoint(t)
	var flags api.FlagList
	json.Unmarshal(f.Do(t, "GET", "/v1/flags", f.Inspector.Secret, nil).Body, &flags)
	flagID := flags.Flags[0].ID
	toks := map[string]*Token{"admin": f.Admin, "recorder": f.Recorder, "respondent": f.Respondent, "inspector": f.Inspector, "observer": f.Observer}
	roles := []string{"none", "admin", "recorder", "respondent", "inspector", "observer"}
	issue := func(id string) any { return issueRequest(id, unitWard, partyWard) }
	rows := []struct {
		method, path string
		body         func(role string) any
		want         []int // by roles
	}{
		{"GET", "/healthz", nil, []int{200, 200, 200, 200, 200, 200}},
		{"GET", "/readyz", nil, []int{200, 200, 200, 200, 200, 200}},
		{"GET", "/metrics", nil, []int{200, 200, 200, 200, 200, 200}},
		{"GET", "/v1/log/checkpoint", nil, []int{200, 200, 200, 200, 200, 200}},
		{"GET", "/v1/log/key", nil, []int{200, 200, 200, 200, 200, 200}},
		{"GET", "/v1/log/proof/inclusion?position=1", nil, []int{200, 200, 200, 200, 200, 200}},
		{"GET", "/v1/log/proof/consistency?from=1", nil, []int{200, 200, 200, 200, 200, 200}},
		{"GET", "/v1/log/entries?from=1", nil, []int{401, 200, 403, 403, 200, 403}},
		{"GET", "/v1/log/checkpoints", nil, []int{401, 200, 403, 403, 200, 403}},
		{"GET", "/v1/events/1", nil, []int{401, 200, 403, 403, 200, 403}}, // the first admin token's event
		{"GET", fmt.Sprintf("/v1/events/%d", issued.Position), nil, []int{401, 200, 200, 200, 200, 200}},
		{"POST", "/v1/tokens", func(string) any {
			return api.TokenRequest{Name: "x", Role: events.RoleObserver, Unit: unitWard}
		}, []int{401, 201, 403, 403, 403, 403}},
		{"POST", "/v1/tokens/" + spare.ID + "/revoke", func(string) any { return map[string]string{"reason": "kiểm thử"} }, []int{401, 200, 403, 403, 403, 403}},
		{"POST", "/v1/recommendations", func(role string) any { return issue("m-" + role) }, []int{401, 403, 201, 403, 403, 403}},
		{"POST", "/v1/recommendations/rec-1/events", func(string) any { return reminderRequest }, []int{401, 403, 201, 403, 403, 403}},
		{"GET", "/v1/recommendations", nil, []int{401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/recommendations/rec-1", nil, []int{401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/recommendations/rec-2", nil, []int{401, 200, 404, 404, 200, 404}}, // out of sight: as never recorded
		{"GET", "/v1/recommendations/rec-2/events", nil, []int{401, 200, 404, 404, 200, 404}},
		{"GET", "/v1/recommendations/rec-1/events", nil, []int{401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/units/" + unitWard, nil, []int{401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/flags", nil, []int{401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/flags/" + flagID, nil, []int{401, 200, 200, 200, 200, 200}},
		{"POST", "/v1/flags/" + flagID + "/reviews", func(string) any { return map[string]string{"verdict": "CONFIRMED", "note": "Đã xem xét."} },
			[]int{401, 403, 403, 403, 201, 403}},
		{"GET", "/v1/deadlines", nil, []int{401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/parties/" + partyWard + "/accountability", nil, []int{401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/parties/" + partyOther + "/accountability", nil, []int{401, 200, 403, 403, 200, 403}},
		{"GET", "/v1/bundles/parties/" + partyWard, nil, []int{401, 200, 200, 200, 200, 200}},
		{"GET", "/v1/reports/summary", nil, []int{401, 200, 200, 403, 200, 200}},
		{"GET", "/v1/rules", nil, []int{401, 200, 200, 200, 200, 200}},
		{"POST", "/v1/admin/rebuild", nil, []int{401, 200, 403, 403, 403, 403}},
	}
	for _, row := range rows {
		for i, role := range roles {
			secret := ""
			if tok := toks[role]; tok != nil {
				secret = tok.Secret
			}
			var body any
			if row.body != nil {
				body = row.body(role)
			}
			r := f.Do(t, row.method, row.path, secret, body)
			if r.Status != row.want[i] {
				t.Errorf("%s %s as %s: %d, want %d (%s)", row.method, row.path, role, r.Status, row.want[i], firstLine(r.Body))
			}
		}
	}
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(string(b), "\n")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func TestStreamEventsAsOf(t *testing.T) {
	t.Parallel()
	f, issued, received := readFixture(t)
	var h api.StreamEvents
	r := f.Do(t, "GET", fmt.Sprintf("/v1/recommendations/rec-1/events?as_of=%d", issued.Position), f.Inspector.Secret, nil)
	if r.Status != 200 || json.Unmarshal(r.Body, &h) != nil || h.Version != 1 || len(h.Events) != 1 || h.Events[0].Position != issued.Position {
		t.Errorf("history as of %d: %d %s", issued.Position, r.Status, r.Body)
	}
	// As of a write just acknowledged, whose checkpoint is signed within
	// the ledger's interval: it is waited for, not named null (helper-47).
	for i := range 5 {
		res := f.MustIssue(t, f.Recorder, fmt.Sprintf("rec-cp-%d", i), unitWard, partyWard)
		var one struct {
			AsOf *api.AsOf `json:"as_of"`
		}
		if r := f.Do(t, "GET", fmt.Sprintf("/v1/recommendations/rec-cp-%d?as_of=%d", i, res.Position), f.Inspector.Secret, nil); json.Unmarshal(r.Body, &one) != nil ||
			one.AsOf == nil || one.AsOf.Checkpoint == nil || one.AsOf.Checkpoint.Size < res.Position {
			t.Errorf("as of a write just acknowledged (%d): %s", res.Position, r.Body)
		}
	}
	// The point read is named, with the checkpoint that covers it, as on
	// every read (helper-47: the history and one flag named none).
	if h.AsOf == nil || h.AsOf.Position != issued.Position || h.AsOf.Checkpoint == nil || h.AsOf.Checkpoint.Size < issued.Position {
		t.Errorf("history as of %d names %+v", issued.Position, h.AsOf)
	}
	var fl api.FlagList
	if r := f.Do(t, "GET", "/v1/flags?limit=1", f.Inspector.Secret, nil); json.Unmarshal(r.Body, &fl) != nil || len(fl.Flags) != 1 {
		t.Fatalf("flags: %s", r.Body)
	}
	var one struct {
		ID   string    `json:"id"`
		AsOf *api.AsOf `json:"as_of"`
	}
	head := f.Head(t)
	if r := f.Do(t, "GET", fmt.Sprintf("/v1/flags/%s?as_of=%d", fl.Flags[0].ID, head), f.Inspector.Secret, nil); json.Unmarshal(r.Body, &one) != nil || one.ID != fl.Flags[0].ID || one.AsOf == nil || one.AsOf.Position != head {
		t.Errorf("one flag as of %d: %s", head, r.Body)
	}
	if r := f.Do(t, "GET", fmt.Sprintf("/v1/reports/summary?as_of=%d", issued.Position), f.Inspector.Secret, nil, "Accept", "text/csv"); !strings.Contains(string(r.Body), fmt.Sprintf("as of log position),%d\r\n", issued.Position)) || strings.Count(string(r.Body), "\n") != strings.Count(string(r.Body), "\r\n") {
		t.Errorf("the report's CSV as of %d does not name it, or has a line not ended by CRLF (RFC 4180):\n%s", issued.Position, r.Body)
	} else if !strings.Contains(string(r.Body), "Đơn vị (unit),\r\n") {
		t.Errorf("the report of every unit names a unit in its CSV (it was a quoted space):\n%s", r.Body)
	}
	r = f.Do(t, "GET", fmt.Sprintf("/v1/recommendations/rec-1/events?as_of=%d", received.Position), f.Inspector.Secret, nil)
	if json.Unmarshal(r.Body, &h) != nil || h.Version != 2 {
		t.Errorf("history as of %d: %s", received.Position, r.Body)
	}
	MustError(t, f.Do(t, "GET", fmt.Sprintf("/v1/recommendations/rec-1/events?as_of=%d", issued.Position-1), f.Inspector.Secret, nil), 404, events.ENotFound, "id")
}

// A write acknowledged by another replica (another ledger over the same
// store) can be read as of its position at once: the server waits for its
// views rather than calling the position outside the log.
func TestAsOfAnotherReplicasWrite(t *testing.T) {
	t.Parallel()
	f, _, _ := readFixture(t)
	other := events.NewLedger(f.Store, f.Ledger.Signer, testOrigin)
	other.Logger = slog.New(slog.DiscardHandler)
	if err := other.Open(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for i := range 20 {
		data, _ := json.Marshal(events.UnitRegisteredData{Name: fmt.Sprintf("Tổ dân phố %d", i), Level: "COMMUNE", ParentID: unitWard, ValidFrom: "2024-01-01"})
		res, err := other.Handle(context.Background(), events.Request{Kind: events.KindUnit, ID: fmt.Sprintf("tdp-%d", i), Create: true,
			Type: events.UnitRegistered, Data: data, Actor: events.Actor{Subject: f.Admin.Name(), Role: events.RoleAdmin}})
		if err != nil {
			t.Fatal(err)
		}
		r := f.Do(t, "GET", fmt.Sprintf("/v1/units/tdp-%d?as_of=%d", i, res.Position), f.Inspector.Secret, nil)
		if r.Status != 200 || !bytes.Contains(r.Body, []byte(`"version":1`)) {
			t.Fatalf("as_of %d right after the write: %d %s", res.Position, r.Status, r.Body)
		}
	}
	MustError(t, f.Do(t, "GET", "/v1/units/tdp-1?as_of=999999", f.Inspector.Secret, nil), 400, events.EInvalid, "as_of")
}

// /v1/deadlines asking only for unmet outcomes reads the index of due
// dates; its answers must be those of the whole scan, filtered: every
// subset of outcomes, with and without a party and a unit, for each role.
func TestDeadlinesByOutcome(t *testing.T) {
	t.Parallel()
	f, _, _ := readFixture(t)
	// Received at dates around the fixture's clock (2025-07-01): overdue,
	// due soon and pending answers, one answered, for both wards.
	for i, on := range []string{"2025-05-02", "2025-06-12", "2025-06-20", "2025-06-28", "2025-06-30", "2025-05-20", "2025-05-21"} {
		id, unit, party, tok := fmt.Sprintf("kn-due-%d", i), unitWard, partyWard, f.Recorder
		if i%2 == 1 {
			unit, party, tok = unitOther, partyOther, f.OtherRecorder
		}
		req := issueRequest(id, unit, party)
		req.Data = json.RawMessage(strings.Replace(string(req.Data), "2023-03-10", "2025-05-01", 1))
		req.OccurredAt = "2025-05-01T08:00:00+07:00"
		f.MustCreate(t, tok, "recommendations", req)
		f.MustAppend(t, tok, "recommendations", id, api.EventRequest{Type: events.RecommendationReceived, OccurredAt: on + "T08:00:00+07:00",
			Data: json.RawMessage(fmt.Sprintf(`{"received_on":%q}`, on))})
		if i == 6 {
			f.MustAppend(t, f.Respondent, "recommendations", id, api.EventRequest{Type: events.RecommendationResponseSubmitted, OccurredAt: "2025-06-01T08:00:00+07:00",
				Data: json.RawMessage(`{"responded_on":"2025-06-01","outcome":"ACCEPTED","text":"Tiếp thu."}`)})
			// A second obligation on the same item: implementing it.
			f.MustAppend(t, f.Respondent, "recommendations", id, api.EventRequest{Type: events.RecommendationImplementationCommitted, OccurredAt: "2025-06-05T08:00:00+07:00",
				Data: json.RawMessage(`{"committed_on":"2025-06-05","due_on":"2025-08-01","actions":["Sửa chữa cầu"]}`)})
		}
	}
	min := fmt.Sprintf("min_position=%d&limit=500", f.Head(t))
	type deadlines struct {
		Deadlines []projections.Obligation `json:"deadlines"`
	}
	get := func(tok *Token, query string) []projections.Obligation {
		t.Helper()
		r := f.Do(t, "GET", "/v1/deadlines?"+min+query, tok.Secret, nil)
		var d deadlines
		if r.Status != 200 || json.Unmarshal(r.Body, &d) != nil {
			t.Fatalf("deadlines?%s: %d %s", query, r.Status, r.Body)
		}
		return d.Deadlines
	}
	seen := map[string]bool{}
	for _, tok := range []*Token{f.Inspector, f.Recorder, f.TownRecorder, f.Respondent, f.Observer} {
		for _, extra := range []string{"", "&party=" + partyWard, "&party=" + partyOther, "&unit=" + unitTown, "&unit=" + unitOther} {
			if tok != f.Inspector && tok != f.TownRecorder && strings.Contains(extra, "unit=") {
				continue // outside their scope: 403, tested elsewhere
			}
			all := get(tok, extra)
			for _, set := range [][]string{{projections.Overdue}, {projections.DueSoon}, {projections.Pending}, {projections.Waiting},
				{projections.Pending, projections.DueSoon, projections.Overdue}, {projections.Overdue, projections.OnTime}} {
				var want []projections.Obligation
				for _, o := range all {
					if slices.Contains(set, o.Outcome) {
						want = append(want, o)
						seen[o.Outcome] = true
					}
				}
				got := get(tok, extra+"&status="+strings.Join(set, ","))
				if len(got) != len(want) || (len(want) > 0 && !slices.EqualFunc(got, want, func(a, b projections.Obligation) bool {
					return a.Stream == b.Stream && a.Rule == b.Rule && a.Party == b.Party && a.Outcome == b.Outcome
				})) {
					t.Errorf("%s%s, status %v: %d deadlines, the filtered scan gives %d", tok.Name(), extra, set, len(got), len(want))
				}
			}
		}
	}
	// A rule filter keeps that rule's deadlines; a key the table does not
	// have is refused, not answered with an empty list.
	all := get(f.Inspector, "")
	// Every rule a deadline names is in the table the filter checks.
	for _, o := range all {
		if got := get(f.Inspector, "&rule="+o.Rule); len(got) == 0 {
			t.Errorf("rule=%s: no deadline, though the list has one", o.Rule)
		}
	}
	byRule := get(f.Inspector, "&rule=recommendation.response")
	var want int
	for _, o := range all {
		if o.Rule == "recommendation.response" {
			want++
		}
	}
	if want == 0 || len(byRule) != want || slices.ContainsFunc(byRule, func(o projections.Obligation) bool { return o.Rule != "recommendation.response" }) {
		t.Errorf("rule=recommendation.response: %d deadlines, want the %d of that rule", len(byRule), want)
	}
	MustError(t, f.Do(t, "GET", "/v1/deadlines?rule=recommendation.answer", f.Inspector.Secret, nil), 400, events.EInvalid, "rule")

	// Pages of 1 to 3, cursor after cursor, give the one long page, in order,
	// with next_cursor set exactly while truncated.
	midItem := false // a page ended between two obligations of one item
	for i, extra := range []string{"", "&status=overdue,pending,due_soon", "&party=" + partyWard, "&unit=" + unitTown, "", ""} {
		size := []int{3, 3, 3, 3, 1, 2}[i]
		want := get(f.Inspector, extra)
		var got []projections.Obligation
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > len(want) {
				t.Fatalf("deadlines%s: more pages than deadlines", extra)
			}
			r := f.Do(t, "GET", fmt.Sprintf("/v1/deadlines?limit=%d%s&cursor=%s", size, extra, cursor), f.Inspector.Secret, nil)
			var page struct {
				Deadlines  []projections.Obligation `json:"deadlines"`
				Truncated  bool                     `json:"truncated"`
				NextCursor string                   `json:"next_cursor"`
			}
			if r.Status != 200 || json.Unmarshal(r.Body, &page) != nil {
				t.Fatalf("deadlines%s cursor %q: %d %s", extra, cursor, r.Status, r.Body)
			}
			got = append(got, page.Deadlines...)
			if page.Truncated != (page.NextCursor != "") || page.Truncated && len(page.Deadlines) != size {
				t.Fatalf("deadlines%s cursor %q: %d deadlines, truncated %v, next_cursor %q", extra, cursor, len(page.Deadlines), page.Truncated, page.NextCursor)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
			midItem = midItem || !strings.HasSuffix(cursor, ".0")
		}
		if len(want) < 4 || !slices.EqualFunc(got, want, func(a, b projections.Obligation) bool {
			return a.Stream == b.Stream && a.Rule == b.Rule && a.Party == b.Party && a.Due == b.Due
		}) {
			t.Errorf("deadlines%s: pages of %d gave %d deadlines, one page %d (need 4 or more to page)", extra, size, len(got), len(want))
		}
	}
	if !midItem {
		t.Error("no page ended inside an item: the cursor's obligation key went untested")
	}
	for _, bad := range []string{"x", "1.2", "9.1.0", "0.0.0", "0.5.-1", "-1.5.0", "0.5.3.!!", "0.5.3.0.!!", "0.5.3.-1.eA", "0.0.3.0.eA", "0.5.3.0.eA.x"} {
		MustError(t, f.Do(t, "GET", "/v1/deadlines?cursor="+bad, f.Inspector.Secret, nil), 400, events.EInvalid, "cursor")
	}
	for _, o := range []string{projections.Overdue, projections.DueSoon, projections.Pending, projections.OnTime} {
		if !seen[o] {
			t.Errorf("no %s deadline in the fixture: the comparison is weaker than it looks", o)
		}
	}
}

// TestFlagsPagingWhileReviewing: the flags cursor names the last flag of
// the page, so reviewing flags of pages read already (an inspector's
// workflow: page through the open ones, review each) skips none.
func TestFlagsPagingWhileReviewing(t *testing.T) {
	t.Parallel()
	f, _, _ := readFixture(t)
	for i := range 4 {
		id := fmt.Sprintf("rec-p%d", i)
		f.MustIssue(t, f.Recorder, id, unitWard, partyWard)
		f.MustAppend(t, f.Recorder, "recommendations", id, receivedRequest)
	}
	head := f.MustWaitCheckpoint(t)
	page := func(cursor string) api.FlagList {
		t.Helper()
		r := f.Do(t, "GET", fmt.Sprintf("/v1/flags?status=open&limit=2&min_position=%d&cursor=%s", f.Head(t), cursor), f.Inspector.Secret, nil)
		var l api.FlagList
		if r.Status != 200 || json.Unmarshal(r.Body, &l) != nil {
			t.Fatalf("flags: %d %s", r.Status, r.Body)
		}
		return l
	}
	r := f.Do(t, "GET", fmt.Sprintf("/v1/flags?status=open&limit=500&min_position=%d", head), f.Inspector.Secret, nil)
	var all api.FlagList
	if r.Status != 200 || json.Unmarshal(r.Body, &all) != nil || len(all.Flags) < 6 {
		t.Fatalf("all open flags: %d %s", r.Status, r.Body)
	}
	var seen []string
	for l, cursor := page(""), ""; ; l = page(cursor) {
		for _, fl := range l.Flags {
			seen = append(seen, fl.ID)
			MustResult(t, f.Do(t, "POST", "/v1/flags/"+fl.ID+"/reviews", f.Inspector.Secret, map[string]string{"verdict": "CONFIRMED", "note": "Đã xem."}))
		}
		if l.NextCursor == "" {
			break
		}
		cursor = l.NextCursor
	}
	var want []string
	for _, fl := range all.Flags {
		want = append(want, fl.ID)
	}
	if !slices.Equal(seen, want) {
		t.Errorf("paged while reviewing: %v\nwant every open flag: %v", seen, want)
	}
	MustError(t, f.Do(t, "GET", "/v1/flags?cursor=5", f.Inspector.Secret, nil), 400, events.EInvalid, "cursor")
}
