package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// TestPrivacyAcrossEndpoints: what the item view withholds is withheld on
// every endpoint. Observers get no citizen's personal data (nor a
// correction of it) from an item, its stored events, one event or a proof
// bundle, nor confidential fields; respondents read what is addressed to
// them, confidential or not, but not who denounced; a text search does not
// look into what the reader may not see; and an inspector's review of a
// flag is for the readers of that flag only.
func TestPrivacyAcrossEndpoints(t *testing.T) {
	t.Parallel()
	f, _, _ := readFixture(t)
	info := f.MustCreate(t, f.Recorder, "info-requests", api.EventRequest{ID: "tt-1", Type: events.InfoRequestReceived, Unit: unitWard, OccurredAt: "2023-03-13T08:00:00+07:00",
		Data: json.RawMessage(fmt.Sprintf(`{"channel":"POST_FAX","received_on":"2023-03-13","requester":{"name":"Nguyễn Văn Riêng","phone":"0905 000 111"},"addressee_party_id":%q,"description":"Xin kế hoạch tiếp công dân"}`, partyWard))})
	corr := f.MustAppend(t, f.Recorder, "info-requests", "tt-1", api.EventRequest{Type: events.InfoRequestCorrected,
		Data: json.RawMessage(`{"corrects_version":1,"reason":"Ghi sai tên người yêu cầu","changes":{"requester.name":"Nguyễn Văn Riêng Tư"}}`)})
	secret := issueRequest("rec-mat", unitWard, partyWard)
	secret.Classification = "confidential"
	secret.Data = json.RawMessage(strings.Replace(string(secret.Data), "Kiến nghị về tiếp công dân", "Kiến nghị XYZMAT về cán bộ", 1))
	f.MustCreate(t, f.Recorder, "recommendations", secret)
	f.MustWaitCheckpoint(t)

	get := func(tok *Token, path string) Reply { t.Helper(); return getAtHead(t, f, tok, path) }
	// The item: personal data, corrected or not, withheld from observers.
	var item api.ItemResponse
	if r := get(f.Observer, "/v1/info-requests/tt-1"); r.Status != 200 || json.Unmarshal(r.Body, &item) != nil {
		t.Fatalf("observer item: %d %s", r.Status, r.Body)
	}
	if bytes := string(item.Data); strings.Contains(bytes, "Riêng") || !slices.Contains(item.Redacted, "requester") || !slices.Contains(item.Redacted, "requester.name") {
		t.Errorf("observer item: data %s, redacted %v", item.Data, item.Redacted)
	}
	// Its events, and each event alone.
	var hist api.StreamEvents
	if r := get(f.Observer, "/v1/info-requests/tt-1/events"); r.Status != 200 || json.Unmarshal(r.Body, &hist) != nil || len(hist.Events) != 2 {
		t.Fatalf("observer history: %d %s", r.Status, r.Body)
	}
	for _, e := range hist.Events {
		if !e.Redacted || e.Event != nil {
			t.Errorf("observer history: event %d given: %s", e.Position, e.Event)
		}
	}
	for _, pos := range []uint64{info.Position, corr.Position} {
		MustError(t, get(f.Observer, fmt.Sprintf("/v1/events/%d", pos)), 403, events.EForbidden, "Authorization")
		if r := get(f.Recorder, fmt.Sprintf("/v1/events/%d", pos)); r.Status != 200 || !strings.Contains(string(r.Body), "Riêng") {
			t.Errorf("recorder event %d: %d %s", pos, r.Status, r.Body)
		}
	}
	// A bundle of the party's trail, which cites the request: the
	// observer's proves the request's place in the log by its leaf hash
	// alone, and verifies; the inspector's holds it whole.
	vkey := f.Ledger.Signer.VerifierKey()
	for _, c := range []struct {
		name     string
		tok      *Token
		withheld int
	}{{"observer", f.Observer, 1}, {"inspector", f.Inspector, 0}} {
		r := get(c.tok, "/v1/bundles/parties/"+partyWard)
		var b events.Bundle
		if r.Status != 200 || json.Unmarshal(r.Body, &b) != nil {
			t.Fatalf("%s's bundle: %d %s", c.name, r.Status, r.Body)
		}
		if got := strings.Contains(string(r.Body), "Riêng") || slices.ContainsFunc(b.Events, func(e events.BundleEvent) bool { return bytes.Contains(e.Raw, []byte("Riêng")) }); got != (c.withheld == 0) {
			t.Errorf("%s's bundle names the requester: %v", c.name, got)
		}
		rep, err := events.VerifyBundle(r.Body, vkey)
		if err != nil || rep.Withheld != c.withheld || !slices.ContainsFunc(b.Events, func(e events.BundleEvent) bool { return e.Position == info.Position }) {
			t.Errorf("%s's bundle: %+v %v", c.name, rep, err)
		}
	}
	// A withheld event's leaf hash is checked against the signed tree.
	r := get(f.Observer, "/v1/bundles/parties/"+partyWard)
	var b events.Bundle
	json.Unmarshal(r.Body, &b)
	for i := range b.Events {
		if b.Events[i].Redacted {
			b.Events[i].LeafHash[0] ^= 1
		}
	}
	if _, err := events.VerifyBundle(mustJSON(t, b), vkey); err == nil {
		t.Error("a bundle with an altered leaf hash verifies")
	}

	// A confidential recommendation to the respondent: it is addressed to
	// it, so it reads it whole.
	item = api.ItemResponse{}
	if r := get(f.Respondent, "/v1/recommendations/rec-mat"); r.Status != 200 || json.Unmarshal(r.Body, &item) != nil {
		t.Fatalf("respondent item: %d %s", r.Status, r.Body)
	}
	if !strings.Contains(string(item.Data), "XYZMAT") || len(item.Redacted) != 0 {
		t.Errorf("respondent, a confidential recommendation addressed to it: data %s, redacted %v", item.Data, item.Redacted)
	}
	if r := get(f.Observer, "/v1/recommendations/rec-mat"); r.Status != 200 || json.Unmarshal(r.Body, &item) != nil || strings.Contains(string(r.Body), "XYZMAT") {
		t.Errorf("observer item: %d %s", r.Status, r.Body)
	}
	// A denunciation forwarded to the respondent's party: the body it went
	// to does not learn who denounced, from the item or from its events.
	den := f.MustDenunciation(t, "tc-1")
	f.MustWaitCheckpoint(t)
	item = api.ItemResponse{}
	if r := get(f.Respondent, "/v1/petitions/tc-1"); r.Status != 200 || json.Unmarshal(r.Body, &item) != nil {
		t.Fatalf("respondent, the denunciation: %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(item.Data), "Trần Thị Tố") || !slices.Contains(item.Redacted, "petitioner") || !strings.Contains(string(item.Data), "Tố cáo cán bộ") {
		t.Errorf("respondent, the denunciation: data %s, redacted %v", item.Data, item.Redacted)
	}
	MustError(t, get(f.Respondent, fmt.Sprintf("/v1/events/%d", den.Position)), 403, events.EForbidden, "Authorization")
	if r := get(f.Recorder, "/v1/petitions/tc-1"); r.Status != 200 || !strings.Contains(string(r.Body), "Trần Thị Tố") {
		t.Errorf("recorder, the denunciation: %d %s", r.Status, r.Body)
	}
	// Search finds it only for who may read it.
	for _, c := range []struct {
		name string
		tok  *Token
		want bool
	}{{"observer", f.Observer, false}, {"respondent", f.Respondent, true}, {"recorder", f.Recorder, true}, {"inspector", f.Inspector, true}} {
		_, ids := mustList(t, f, c.tok, "/v1/recommendations?q=xyzmat")
		if got := slices.Contains(ids, "rec-mat"); got != c.want {
			t.Errorf("q=xyzmat for the %s: %v, want found %v", c.name, ids, c.want)
		}
	}

	// A flag's review: for the readers of the flag.
	var l api.FlagList
	if r := get(f.Inspector, "/v1/flags?code=OB_NO_RESPONSE&subject=recommendation/rec-1"); r.Status != 200 || json.Unmarshal(r.Body, &l) != nil || len(l.Flags) != 1 {
		t.Fatalf("flags: %d %s", r.Status, r.Body)
	}
	res := MustResult(t, f.Do(t, "POST", "/v1/flags/"+l.Flags[0].ID+"/reviews", f.Inspector.Secret, map[string]string{"verdict": "CONFIRMED", "note": "Ghi chú của thanh tra."}))
	f.MustWaitCheckpoint(t)
	for _, c := range []struct {
		name string
		tok  *Token
		want int
	}{{"respondent", f.Respondent, 200}, {"observer", f.Observer, 200}, {"recorder", f.Recorder, 200}, {"other ward's recorder", f.OtherRecorder, 403}, {"inspector", f.Inspector, 200}} {
		if r := get(c.tok, fmt.Sprintf("/v1/events/%d", res.Position)); r.Status != c.want {
			t.Errorf("review event for the %s: %d, want %d", c.name, r.Status, c.want)
		}
	}
}

// A flag the ward's recorder may not read (raised by a town item) and its
// review: /v1/flags and /v1/events hide them; the party's trail must too.
func TestTrailShowsOnlyFlagsTheReaderMayRead(t *testing.T) {
	t.Parallel()
	f, _, _ := readFixture(t)
	f.MustIssue(t, f.TownRecorder, "rec-town", unitTown, partyWard)
	f.MustAppend(t, f.TownRecorder, "recommendations", "rec-town", receivedRequest)
	f.MustWaitCheckpoint(t)
	get := func(tok *Token, path string) Reply { t.Helper(); return getAtHead(t, f, tok, path) }
	var l api.FlagList
	if r := get(f.Inspector, "/v1/flags?code=OB_NO_RESPONSE&subject=recommendation/rec-town"); r.Status != 200 || json.Unmarshal(r.Body, &l) != nil || len(l.Flags) != 1 {
		t.Fatalf("flags: %d %s", r.Status, r.Body)
	}
	res := MustResult(t, f.Do(t, "POST", "/v1/flags/"+l.Flags[0].ID+"/reviews", f.Inspector.Secret, map[string]string{"verdict": "CONFIRMED", "note": "GHICHUNOIBO"}))
	f.MustWaitCheckpoint(t)
	l = api.FlagList{}
	if r := get(f.Recorder, "/v1/flags?subject=recommendation/rec-town"); r.Status != 200 || json.Unmarshal(r.Body, &l) != nil || len(l.Flags) != 0 {
		t.Fatalf("ward recorder's flags: %d %s", r.Status, r.Body)
	}
	if r := get(f.Recorder, fmt.Sprintf("/v1/events/%d", res.Position)); r.Status != 403 {
		t.Fatalf("ward recorder, the review event: %d", r.Status)
	}
	for _, tok := range []*Token{f.Recorder, f.Observer} {
		r := get(tok, "/v1/parties/"+partyWard+"/accountability")
		// The review's position is the trail's own (the views' at the
		// head): it must not be among the events the trail cites.
		var trail projections.Trail
		if r.Status != 200 || json.Unmarshal(r.Body, &trail) != nil || strings.Contains(string(r.Body), "GHICHUNOIBO") ||
			slices.ContainsFunc(trail.Events, func(e projections.CitedEvent) bool { return e.Position == res.Position }) {
			t.Errorf("the ward's trail shows a flag and review withheld from this reader elsewhere: %d %s", r.Status, r.Body)
		}
	}
	if r := get(f.Inspector, "/v1/parties/"+partyWard+"/accountability"); r.Status != 200 || !strings.Contains(string(r.Body), "GHICHUNOIBO") {
		t.Errorf("the inspector's trail lacks the review: %d %s", r.Status, r.Body)
	}
}

// README: a write its caller may not make at all (... a record outside the
// token's scope) is refused with 403 before its body is validated. A
// creation in a unit outside the recorder's scope is such a write.
func TestCreateOutsideScopeRefusedBeforeValidation(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	r := f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret,
		api.EventRequest{Type: "recommendation.issued.v1", Unit: unitOther, Data: []byte(`{}`)})
	if r.Status != 403 {
		t.Errorf("ward recorder creating in another ward with an empty body: %d %s, want 403", r.Status, r.Body)
	}
}

// getAtHead GETs path as tok once the views have applied the log's head.
func getAtHead(t *testing.T, f *Fixture, tok *Token, path string) Reply {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return f.Do(t, "GET", path+sep+"min_position="+fmt.Sprint(f.Head(t)), tok.Secret, nil)
}

// TestConfidentialRecordWithheld: a record classified confidential from
// its first event shows an observer what it is, where and how it stands,
// but nothing derived from its confidential fields: no title, form or
// parties, no party or dates in its deadlines; its flags are not shown at all (their IDs are made from their party);
// a search by party or form does not find it, and the party's trail and
// bundle leave it out. Readers of confidential data see it all.
func TestConfidentialRecordWithheld(t *testing.T) {
	t.Parallel()
	f, _, _ := readFixture(t)
	secret := issueRequest("rec-mat", unitWard, partyWard)
	secret.Classification = "confidential"
	f.MustCreate(t, f.Recorder, "recommendations", secret)
	received := receivedRequest
	received.Classification = "confidential"
	recv := f.MustAppend(t, f.Recorder, "recommendations", "rec-mat", received)
	f.MustWaitCheckpoint(t)
	// Every answer, withheld or not, is as the OpenAPI document says.
	doc, _ := loadOpenAPI(t)
	router := mustRouter(t, doc)
	get := func(tok *Token, path string) Reply {
		t.Helper()
		r := getAtHead(t, f, tok, path)
		validateResponse(t, router, "GET", path, "", r)
		return r
	}
	var flags api.FlagList
	if r := get(f.Inspector, "/v1/flags?subject=recommendation/rec-mat&code=OB_NO_RESPONSE"); r.Status != 200 || json.Unmarshal(r.Body, &flags) != nil || len(flags.Flags) != 1 {
		t.Fatalf("inspector's flags of rec-mat: %s", r.Body)
	}
	flagID := flags.Flags[0].ID
	review := MustResult(t, f.Do(t, "POST", "/v1/flags/"+flagID+"/reviews", f.Inspector.Secret, map[string]string{"verdict": "CONFIRMED", "note": "Ghi chú NOTEMAT."}))
	f.MustWaitCheckpoint(t)

	for _, c := range []struct {
		name     string
		tok      *Token
		withheld bool
	}{{"observer", f.Observer, true}, {"recorder", f.Recorder, false}, {"inspector", f.Inspector, false}, {"respondent", f.Respondent, false}} {
		// The item.
		var item api.ItemResponse
		if r := get(c.tok, "/v1/recommendations/rec-mat"); r.Status != 200 || json.Unmarshal(r.Body, &item) != nil {
			t.Fatalf("%s: item: %d %s", c.name, r.Status, r.Body)
		}
		shown := item.Title != "" && item.Form != "" && item.Party == partyWard && slices.Contains(item.Parties, partyWard) &&
			len(item.Deadlines) == 1 && item.Deadlines[0].Party == partyWard && item.Deadlines[0].Trigger == "2023-03-12" && item.Deadlines[0].Due != "" && item.Deadlines[0].DaysLate > 0
		blank := item.Title == "" && item.Form == "" && item.Party == "" && len(item.Parties) == 0 && len(item.Deadlines) == 1 &&
			item.Deadlines[0].Party == "" && item.Deadlines[0].Trigger == "" && item.Deadlines[0].Due == "" && item.Deadlines[0].DaysLate == 0 &&
			slices.Equal(item.Withheld, []string{"title", "form", "party", "parties", "deadlines"})
		if c.withheld && !blank || !c.withheld && (!shown || item.Withheld != nil) {
			t.Errorf("%s: item withheld %v: %+v", c.name, c.withheld, item.ItemView)
		}
		if item.Status == "" || len(item.Deadlines) != 1 || item.Deadlines[0].Outcome != "overdue" || !slices.Contains(item.DerivedStatus, "overdue") {
			t.Errorf("%s: the item's standing is not shown: %+v", c.name, item.ItemView)
		}
		// Lists: a plain list shows it; by party or form only for who
		// may see those.
		for _, q := range []string{"", "party=" + partyWard, "form=OTHER"} {
			_, ids := mustList(t, f, c.tok, "/v1/recommendations?min_position="+fmt.Sprint(f.Head(t))+"&"+q)
			if got, want := slices.Contains(ids, "rec-mat"), q == "" || !c.withheld; got != want {
				t.Errorf("%s: list %q has rec-mat %v, want %v", c.name, q, got, want)
			}
		}
		// Deadlines: by party only for who may see the party.
		var dl struct {
			Deadlines []projections.Obligation `json:"deadlines"`
		}
		for _, q := range []string{"unit=" + unitWard, "party=" + partyWard} {
			r := get(c.tok, "/v1/deadlines?"+q)
			if r.Status != 200 || json.Unmarshal(r.Body, &dl) != nil {
				t.Fatalf("%s: deadlines: %d %s", c.name, r.Status, r.Body)
			}
			i := slices.IndexFunc(dl.Deadlines, func(o projections.Obligation) bool { return o.Stream == "recommendation/rec-mat" })
			if want := q[0] == 'u' || !c.withheld; (i >= 0) != want {
				t.Errorf("%s: deadlines %q list rec-mat: %v, want %v", c.name, q, i >= 0, want)
			} else if i >= 0 && (dl.Deadlines[i].Due == "") != c.withheld {
				t.Errorf("%s: deadlines %q: %+v", c.name, q, dl.Deadlines[i])
			}
		}
		// Flags.
		for _, q := range []string{"subject=recommendation/rec-mat", "party=" + partyWard} {
			r := get(c.tok, "/v1/flags?code=OB_NO_RESPONSE&"+q)
			var l api.FlagList
			if r.Status != 200 || json.Unmarshal(r.Body, &l) != nil {
				t.Fatalf("%s: flags: %d %s", c.name, r.Status, r.Body)
			}
			i := slices.IndexFunc(l.Flags, func(fl projections.Flag) bool { return fl.ID == flagID })
			if (i >= 0) == c.withheld {
				t.Errorf("%s: flags %q list rec-mat's: %v", c.name, q, i >= 0)
			}
		}
		var fl projections.Flag
		r := get(c.tok, "/v1/flags/"+flagID)
		if c.withheld {
			// Not found, as a flag never raised: its ID would tell.
			MustError(t, r, 404, events.ENotFound, "id")
		} else if r.Status != 200 || json.Unmarshal(r.Body, &fl) != nil || fl.Review == nil || fl.Party != partyWard || !strings.Contains(fl.Review.Note, "NOTEMAT") {
			t.Errorf("%s: flag: %d %s", c.name, r.Status, r.Body)
		}
		// The review itself, as stored, holds the note.
		if r := get(c.tok, fmt.Sprintf("/v1/events/%d", review.Position)); (r.Status == 200) == c.withheld || c.withheld && r.Status != 403 {
			t.Errorf("%s: the review event: %d, want it withheld %v", c.name, r.Status, c.withheld)
		}
		// The party's trail and its bundle.
		var trail projections.Trail
		if r := get(c.tok, "/v1/parties/"+partyWard+"/accountability"); r.Status != 200 || json.Unmarshal(r.Body, &trail) != nil {
			t.Fatalf("%s: trail: %d %s", c.name, r.Status, r.Body)
		}
		inTrail := slices.ContainsFunc(trail.Obligations, func(o projections.Obligation) bool { return o.Stream == "recommendation/rec-mat" }) ||
			slices.ContainsFunc(trail.Flags, func(fl projections.Flag) bool { return fl.Subject == "recommendation/rec-mat" }) ||
			slices.ContainsFunc(trail.Events, func(e projections.CitedEvent) bool { return e.Position == recv.Position })
		if inTrail == c.withheld {
			t.Errorf("%s: the trail has rec-mat: %v", c.name, inTrail)
		}
		r = get(c.tok, "/v1/bundles/parties/"+partyWard)
		if r.Status != 200 {
			t.Fatalf("%s: bundle: %d %s", c.name, r.Status, r.Body)
		}
		if _, err := events.VerifyBundle(r.Body, f.Ledger.Signer.VerifierKey()); err != nil {
			t.Errorf("%s: bundle: %v", c.name, err)
		}
		if got := strings.Contains(string(r.Body), "rec-mat"); got == c.withheld {
			t.Errorf("%s: the bundle names rec-mat: %v", c.name, got)
		}
		// The workspace's page says what is withheld, and shows no party.
		p := mustWeb(t, f, c.tok).Get("/items/recommendations/rec-mat")
		if p.Status != 200 || strings.Contains(p.Body, `id="item-withheld"`) != c.withheld || strings.Contains(p.Body, "/trails/"+partyWard) == c.withheld {
			t.Errorf("%s: the item's page (%d) withheld %v: %s", c.name, p.Status, c.withheld, mainOf(p.Body))
		}
	}
}

// Lists' from/to go by a recommendation's issued_on, a field of its
// first event: for an observer from whom the record is withheld, by the
// date its view shows instead (opened_on), so the withheld date cannot be
// found by narrowing the period. (Found by a review.)
func TestPeriodOfAWithheldRecord(t *testing.T) {
	f := MustOpenServer(t)
	secret := issueRequest("rec-mat", unitWard, partyWard)
	secret.Classification = "confidential"
	secret.OccurredAt = "2023-03-20T08:00:00+07:00" // recorded ten days later
	f.MustCreate(t, f.Recorder, "recommendations", secret)
	f.MustWaitCheckpoint(t)

	r := getAtHead(t, f, f.Observer, "/v1/recommendations/rec-mat")
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), "2023-03-10") {
		t.Fatalf("the observer's item shows issued_on anyway: %s", r.Body)
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	r = getAtHead(t, f, f.Observer, "/v1/recommendations?from=2023-03-10&to=2023-03-10")
	if r.Status != 200 || json.Unmarshal(r.Body, &list) != nil {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	if len(list.Items) != 0 {
		t.Errorf("an observer finds the withheld record by its withheld issued_on (from=to=2023-03-10): %d items", len(list.Items))
	}
	r = getAtHead(t, f, f.Observer, "/v1/recommendations?from=2023-03-20&to=2023-03-20")
	if r.Status != 200 || json.Unmarshal(r.Body, &list) != nil || len(list.Items) != 1 {
		t.Errorf("the observer's list by the record's opened_on: %d %s", r.Status, r.Body)
	}
	r = getAtHead(t, f, f.Inspector, "/v1/recommendations?from=2023-03-10&to=2023-03-10")
	if r.Status != 200 || json.Unmarshal(r.Body, &list) != nil || len(list.Items) != 1 {
		t.Errorf("the inspector's list by issued_on: %d %s", r.Status, r.Body)
	}

	// Reports count it by the same date for the same readers, and an
	// observer's does not give a withheld supervision's form.
	sup := api.EventRequest{ID: "gs-mat", Type: events.SupervisionPlanned, Unit: unitWard, OccurredAt: "2023-03-20T08:00:00+07:00",
		Data: mustJSON(t, events.SupervisionPlannedData{Title: "Giám sát mật", Topic: "Việc thực hiện Luật Tiếp công dân", Form: events.FormDelegation,
			Mode: events.ModeUnscheduled, Scope: events.ScopeThematic, SubjectPartyIDs: []string{partyWard}, PlannedStart: "2023-04-20"})}
	sup.Classification = "confidential"
	f.MustCreate(t, f.Recorder, "supervisions", sup)
	f.MustWaitCheckpoint(t)
	report := func(tok *Token, day string) projections.Report {
		t.Helper()
		var rep projections.Report
		r := getAtHead(t, f, tok, "/v1/reports/summary?unit="+unitWard+"&from="+day+"&to="+day)
		if r.Status != 200 || json.Unmarshal(r.Body, &rep) != nil {
			t.Fatalf("report of %s: %d %s", day, r.Status, r.Body)
		}
		return rep
	}
	for _, c := range []struct {
		tok                *Token
		day                string
		issued, sups, form int
	}{
		{f.Observer, "2023-03-10", 0, 0, 0}, {f.Observer, "2023-03-20", 1, 1, 0},
		{f.Inspector, "2023-03-10", 1, 0, 0}, {f.Inspector, "2023-03-20", 0, 1, 1},
	} {
		rep := report(c.tok, c.day)
		if rep.Recommendations.Issued != c.issued || rep.Supervisions != c.sups || rep.SupervisionsBy[string(events.FormDelegation)] != c.form {
			t.Errorf("%s, report of %s: %d recommendations issued, %d supervisions, by form %v; want %d, %d, %d by delegation",
				c.tok.Name(), c.day, rep.Recommendations.Issued, rep.Supervisions, rep.SupervisionsBy, c.issued, c.sups, c.form)
		}
	}
}

// TestReclassifiedDenunciation: a petition classified as something else
// and then, before it is forwarded, classified again as a denunciation is
// a denunciation everywhere: its kind and deadlines, and its petitioner
// withheld from the body it is forwarded to. Its kind is never corrected
// (a correction changed the field and nothing that follows from it).
func TestReclassifiedDenunciation(t *testing.T) {
	f := MustOpenServer(t)
	f.MustCreate(t, f.Recorder, "petitions", api.EventRequest{ID: "don-1", Type: events.PetitionReceived, Unit: unitWard, OccurredAt: "2023-03-14T08:00:00+07:00",
		Data: json.RawMessage(`{"channel":"MAIL","received_on":"2023-03-14","petition_kind":"RECOMMENDATION","anonymous":false,"petitioner":{"name":"Trần Thị Tố"},"summary":"Phản ánh cán bộ địa chính"}`)})
	classify := func(kind string) api.EventRequest {
		return api.EventRequest{Type: events.PetitionClassified, OccurredAt: "2023-03-15T08:00:00+07:00",
			Data: json.RawMessage(fmt.Sprintf(`{"classified_on":"2023-03-15","petition_kind":%q,"competent_party_id":%q,"complex":false,"remote":false}`, kind, partyWard))}
	}
	f.MustAppend(t, f.Recorder, "petitions", "don-1", classify("RECOMMENDATION"))
	asRecommendation := f.MustAppend(t, f.Recorder, "petitions", "don-1", api.EventRequest{Type: events.PetitionAdverseAction, OccurredAt: "2023-03-15T09:00:00+07:00",
		Data: json.RawMessage(fmt.Sprintf(`{"adverse_action":{"action_on":"2023-03-15","by_party_id":%q,"action":"TRANSFER","description":"Điều chuyển người phản ánh."}}`, partyWard))})
	MustError(t, f.Do(t, "POST", "/v1/petitions/don-1/events", f.Recorder.Secret, api.EventRequest{Type: events.PetitionCorrected,
		Data: json.RawMessage(`{"corrects_version":2,"reason":"Phân loại nhầm.","changes":{"petition_kind":"DENUNCIATION"}}`)}),
		400, events.EInvalid, "data.changes.petition_kind")
	f.MustAppend(t, f.Recorder, "petitions", "don-1", classify("DENUNCIATION"))
	f.MustAppend(t, f.Recorder, "petitions", "don-1", api.EventRequest{Type: events.PetitionForwarded, OccurredAt: "2023-03-16T08:00:00+07:00",
		Data: json.RawMessage(fmt.Sprintf(`{"forwarded_on":"2023-03-16","to_party_id":%q}`, partyWard))})
	f.MustWaitCheckpoint(t)

	var item struct {
		api.ItemResponse
		Form      string                   `json:"form"`
		Deadlines []projections.Obligation `json:"deadlines"`
	}
	if r := getAtHead(t, f, f.Respondent, "/v1/petitions/don-1"); r.Status != 200 || json.Unmarshal(r.Body, &item) != nil {
		t.Fatalf("respondent: %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(item.Data), "Trần Thị Tố") || !slices.Contains(item.Redacted, "petitioner") {
		t.Errorf("the respondent learns who denounced: data %s, redacted %v", item.Data, item.Redacted)
	}
	if item.Form != "DENUNCIATION" || !slices.ContainsFunc(item.Deadlines, func(o projections.Obligation) bool { return strings.HasPrefix(o.Rule, "denunciation.") }) {
		t.Errorf("form %q, deadlines %+v: want a denunciation's", item.Form, item.Deadlines)
	}
	if r := getAtHead(t, f, f.Recorder, "/v1/petitions/don-1"); r.Status != 200 || !strings.Contains(string(r.Body), "Trần Thị Tố") {
		t.Errorf("recorder: %d %s", r.Status, r.Body)
	}
	// Forwarded, it is not classified again.
	MustError(t, f.Do(t, "POST", "/v1/petitions/don-1/events", f.Recorder.Secret, classify("COMPLAINT")), 409, events.EConflict, "type")

	// Nor does the respondent learn who denounced by reading the time it
	// was addressed to it as a recommendation: it is a denunciation now.
	past := fmt.Sprintf("as_of=%d", asRecommendation.Position)
	for _, path := range []string{"/v1/petitions/don-1?" + past, "/v1/petitions?" + past} {
		r := f.Do(t, "GET", path, f.Respondent.Secret, nil)
		if r.Status != 200 || strings.Contains(string(r.Body), "Trần Thị Tố") || !strings.Contains(string(r.Body), `"petitioner"`) {
			t.Errorf("respondent, %s: %d %s, want the petition without its petitioner", path, r.Status, r.Body)
		}
	}
	if r := f.Do(t, "GET", "/v1/petitions/don-1?"+past, f.Recorder.Secret, nil); r.Status != 200 || !strings.Contains(string(r.Body), "Trần Thị Tố") {
		t.Errorf("recorder, as of the recommendation: %d %s", r.Status, r.Body)
	}
	// The action taken against the petitioner, then: its flag would tell
	// the body that whom it acted against denounced.
	for _, c := range []struct {
		tok   *Token
		flags int
	}{{f.Inspector, 1}, {f.Respondent, 0}} {
		var l api.FlagList
		r := f.Do(t, "GET", "/v1/flags?code=OB_RETALIATION_SIGNAL&"+past, c.tok.Secret, nil)
		if r.Status != 200 || json.Unmarshal(r.Body, &l) != nil || len(l.Flags) != c.flags {
			t.Errorf("%s, retaliation flags as of the recommendation: %d %s, want %d", c.tok.Name(), r.Status, r.Body, c.flags)
		}
	}
}

// TestPetitionerFlagsWithheld: flags against a petitioner tell which
// petitions one citizen made (personal data): an observer does not see
// them, and a respondent, who may not learn who denounced, neither; MTTQ's
// recorder and the inspector do, and against=petitioner lists them.
func TestPetitionerFlagsWithheld(t *testing.T) {
	f := MustOpenServer(t)
	f.MustCreate(t, f.Recorder, "petitions", api.EventRequest{ID: "tc-1", Type: events.PetitionReceived, Unit: unitWard, OccurredAt: "2023-03-14T08:00:00+07:00",
		Data: json.RawMessage(`{"channel":"MAIL","received_on":"2023-03-14","petition_kind":"DENUNCIATION","anonymous":false,"petitioner":{"name":"Trần Thị Tố","address":"Thôn 1"},"summary":"Tố cáo cán bộ địa chính"}`)})
	for _, e := range []struct {
		typ  events.Type
		on   string
		data string
	}{
		{events.PetitionClassified, "2023-03-15", fmt.Sprintf(`{"classified_on":"2023-03-15","petition_kind":"DENUNCIATION","competent_party_id":%q,"complex":false,"remote":false}`, partyWard)},
		{events.PetitionForwarded, "2023-03-16", fmt.Sprintf(`{"forwarded_on":"2023-03-16","to_party_id":%q}`, partyWard)},
		{events.PetitionAccepted, "2023-03-20", `{"accepted_on":"2023-03-20"}`},
		{events.PetitionResolved, "2023-04-10", `{"resolved_on":"2023-04-10","outcome":"Kết luận nội dung tố cáo.","conclusion":"UNTRUE"}`},
	} {
		f.MustAppend(t, f.Recorder, "petitions", "tc-1", api.EventRequest{Type: e.typ, OccurredAt: e.on + "T08:00:00+07:00", Data: json.RawMessage(e.data)})
	}
	f.MustWaitCheckpoint(t)
	for _, c := range []struct {
		name string
		tok  *Token
		want int
	}{{"inspector", f.Inspector, 1}, {"recorder", f.Recorder, 1}, {"observer", f.Observer, 0}, {"respondent", f.Respondent, 0}} {
		var l struct {
			Flags []projections.Flag `json:"flags"`
		}
		r := getAtHead(t, f, c.tok, "/v1/flags?against=petitioner")
		if r.Status != 200 || json.Unmarshal(r.Body, &l) != nil || len(l.Flags) != c.want {
			t.Errorf("%s: %d %s, want %d flag(s)", c.name, r.Status, r.Body, c.want)
			continue
		}
		if c.want > 0 && (l.Flags[0].Code != "MU_FALSE_DENUNCIATION" || l.Flags[0].Subject != "petition/tc-1") {
			t.Errorf("%s: %+v, want MU_FALSE_DENUNCIATION of petition/tc-1", c.name, l.Flags[0])
		}
		// A report counts the open flags the reader's list has, no more:
		// a day's count would tell which petition the flag is about.
		if c.tok == f.Respondent {
			continue // reports are not for respondents
		}
		var rep projections.Report
		r = getAtHead(t, f, c.tok, "/v1/reports/summary?unit="+unitWard+"&from=2023-04-10&to=2023-04-10")
		if r.Status != 200 || json.Unmarshal(r.Body, &rep) != nil || rep.FlagsOpen["MU_FALSE_DENUNCIATION"] != c.want {
			t.Errorf("%s: report: %d %s, want %d open MU_FALSE_DENUNCIATION", c.name, r.Status, r.Body, c.want)
		}
	}
	// An action the body took against the denouncer: the inspector sees
	// its flag, the body does not (it would learn who denounced), nor the
	// event, nor its data in the petition's view; an observer sees the flag
	// (no one is named) but neither the event nor the data.
	res := f.MustAppend(t, f.Recorder, "petitions", "tc-1", api.EventRequest{Type: events.PetitionAdverseAction, OccurredAt: "2023-05-02T08:00:00+07:00",
		Data: json.RawMessage(fmt.Sprintf(`{"adverse_action":{"action_on":"2023-05-02","by_party_id":%q,"action":"FINE","description":"Xử phạt hành chính người tố cáo."}}`, partyWard))})
	f.MustWaitCheckpoint(t)
	for _, c := range []struct {
		name  string
		tok   *Token
		flags int
		event int
	}{{"inspector", f.Inspector, 1, 200}, {"respondent", f.Respondent, 0, 403}, {"observer", f.Observer, 1, 403}} {
		var l struct {
			Flags []projections.Flag `json:"flags"`
		}
		if r := getAtHead(t, f, c.tok, "/v1/flags?code=OB_RETALIATION_SIGNAL"); r.Status != 200 || json.Unmarshal(r.Body, &l) != nil || len(l.Flags) != c.flags {
			t.Errorf("%s: retaliation flags: %d %s, want %d", c.name, r.Status, r.Body, c.flags)
		}
		if r := getAtHead(t, f, c.tok, fmt.Sprintf("/v1/events/%d", res.Position)); r.Status != c.event {
			t.Errorf("%s: the adverse action event: %d, want %d", c.name, r.Status, c.event)
		}
		r := getAtHead(t, f, c.tok, "/v1/petitions/tc-1")
		if r.Status != 200 || strings.Contains(string(r.Body), "Xử phạt hành chính người tố cáo") != (c.event == 200) {
			t.Errorf("%s: the petition's view: %d, shows the adverse action %v, want %v", c.name, r.Status, c.event != 200, c.event == 200)
		}
	}

	// Its ID is a digest of its code and petition: a reader who may not
	// see it finds it no more than one never raised.
	id := projections.FlagID("MU_FALSE_DENUNCIATION", "petition/tc-1")
	if r := getAtHead(t, f, f.Inspector, "/v1/flags/"+id); r.Status != 200 {
		t.Errorf("inspector: GET the flag: %d %s", r.Status, r.Body)
	}
	for _, path := range []string{"/v1/flags/" + id, "/v1/flags/" + projections.FlagID("MU_FALSE_DENUNCIATION", "petition/tc-2")} {
		MustError(t, getAtHead(t, f, f.Observer, path), 404, events.ENotFound, "id")
	}
}

// TestAllegationOnABoardIsPersonal: parties are reference data every token
// reads, but an allegation against a member of a People's Inspection Board
// is personal data: only readers whose scope covers the board's unit see it
// (in the party's view, its events and bundles); respondents and other
// units' MTTQ do not, nor do observers. The flag names no one.
func TestAllegationOnABoardIsPersonal(t *testing.T) {
	f := MustOpenServer(t)
	f.MustCreate(t, f.Recorder, "parties", api.EventRequest{ID: "ttnd-ward", Type: events.PartyRegistered, Unit: unitWard,
		Data: json.RawMessage(`{"name":"Ban Thanh tra nhân dân phường","party_kind":"PEOPLES_INSPECTION_BOARD"}`)})
	res := f.MustAppend(t, f.Recorder, "parties", "ttnd-ward", api.EventRequest{Type: events.PartyAllegation, OccurredAt: "2023-05-02T08:00:00+07:00",
		Data: json.RawMessage(`{"allegation":{"received_on":"2023-05-02","member":"Đặng Văn Tư","kind":"INCITEMENT","description":"Phản ánh kích động người dân."}}`)})
	f.MustWaitCheckpoint(t)
	for _, c := range []struct {
		name string
		tok  *Token
		sees bool
	}{{"inspector", f.Inspector, true}, {"recorder of the ward", f.Recorder, true}, {"recorder of the town", f.TownRecorder, true},
		{"recorder of another ward", f.OtherRecorder, false}, {"respondent", f.Respondent, false}, {"observer", f.Observer, false}} {
		r := getAtHead(t, f, c.tok, "/v1/parties/ttnd-ward")
		if r.Status != 200 || strings.Contains(string(r.Body), "Đặng Văn Tư") != c.sees {
			t.Errorf("%s: the board's view: %d, shows the allegation %v, want %v", c.name, r.Status, !c.sees, c.sees)
		}
		if r := getAtHead(t, f, c.tok, fmt.Sprintf("/v1/events/%d", res.Position)); (r.Status == 200) != c.sees {
			t.Errorf("%s: the allegation event: %d, want it read %v", c.name, r.Status, c.sees)
		}
		if r := getAtHead(t, f, c.tok, "/v1/parties/ttnd-ward/events"); r.Status == 200 && strings.Contains(string(r.Body), "Đặng Văn Tư") != c.sees {
			t.Errorf("%s: the board's events show the allegation %v, want %v", c.name, !c.sees, c.sees)
		}
		// status=flagged goes by the flags the reader may read: the board's
		// flag is its unit's, and no other unit's MTTQ nor a respondent
		// learns from the list that an allegation was recorded.
		flagged := c.sees || c.tok == f.Observer
		r = getAtHead(t, f, c.tok, "/v1/parties?status=flagged")
		if r.Status != 200 || strings.Contains(string(r.Body), `"id":"ttnd-ward"`) != flagged {
			t.Errorf("%s: parties?status=flagged: %d, lists the board %v, want %v", c.name, r.Status, !flagged, flagged)
		}
	}
	var l struct {
		Flags []projections.Flag `json:"flags"`
	}
	if r := getAtHead(t, f, f.Observer, "/v1/flags?code=MU_BOARD_INCITEMENT"); r.Status != 200 || json.Unmarshal(r.Body, &l) != nil || len(l.Flags) != 1 ||
		strings.Contains(l.Flags[0].Detail, "Đặng Văn Tư") || strings.Contains(l.Flags[0].Detail, "INCITEMENT") {
		t.Errorf("observer: board flags %d %s, want one naming no one", r.Status, r.Body)
	}
}

// TestConfidentialLaterEvent: a record that is public at first and has a
// confidential event later shows a reader who may not see confidential
// data what its public events say: not the party, parties or form only a
// confidential event set, nor the dates or party of a deadline that cites
// one; a search by that party does not find it, nor do its deadlines or
// flags. Readers of confidential data see it all. (Found by helper-42's
// audit: the view's party, the party= filters and the deadlines came from
// the current state, confidential events included.)
func TestConfidentialLaterEvent(t *testing.T) {
	f := MustOpenServer(t)
	f.MustCreate(t, f.Recorder, "petitions", api.EventRequest{ID: "don-m", Type: events.PetitionReceived, Unit: unitWard, OccurredAt: "2023-03-14T08:00:00+07:00",
		Data: json.RawMessage(`{"channel":"MAIL","received_on":"2023-03-14","petition_kind":"COMPLAINT","anonymous":false,"petitioner":{"name":"Lê Văn Khiếu"},"summary":"Khiếu nại quyết định thu hồi đất"}`)})
	for _, e := range []api.EventRequest{
		{Type: events.PetitionClassified, OccurredAt: "2023-03-15T08:00:00+07:00",
			Data: json.RawMessage(fmt.Sprintf(`{"classified_on":"2023-03-15","petition_kind":"COMPLAINT","competent_party_id":%q,"complex":false,"remote":false}`, partyOther))},
		{Type: events.PetitionForwarded, OccurredAt: "2023-03-16T08:00:00+07:00",
			Data: json.RawMessage(fmt.Sprintf(`{"forwarded_on":"2023-03-16","to_party_id":%q}`, partyOther))},
	} {
		e.Classification = "confidential"
		f.MustAppend(t, f.Recorder, "petitions", "don-m", e)
	}
	f.MustCreate(t, f.Recorder, "supervisions", api.EventRequest{ID: "gs-m", Type: events.SupervisionPlanned, Unit: unitWard, OccurredAt: "2023-03-01T08:00:00+07:00",
		Data: mustJSON(t, events.SupervisionPlannedData{Title: "Giám sát tiếp công dân", Topic: "Việc thực hiện Luật Tiếp công dân", Form: events.FormDelegation,
			Mode: events.ModeUnscheduled, Scope: events.ScopeThematic, SubjectPartyIDs: []string{partyWard}, PlannedStart: "2023-04-20"})})
	f.MustAppend(t, f.Recorder, "supervisions", "gs-m", api.EventRequest{Type: events.SupervisionDocumentRequested, OccurredAt: "2023-03-05T08:00:00+07:00", Classification: "confidential",
		Data: json.RawMessage(fmt.Sprintf(`{"request_id":"yc-ho-so-mat","party_id":%q,"description":"Hồ sơ","requested_on":"2023-03-05","due_on":"2023-03-15"}`, partyWard))})
	f.MustIssue(t, f.Recorder, "kn-m", unitWard, partyWard)
	f.MustAppend(t, f.Recorder, "recommendations", "kn-m", receivedRequest)
	answer := responseRequest
	answer.Classification = "confidential"
	f.MustAppend(t, f.Recorder, "recommendations", "kn-m", answer)
	f.MustWaitCheckpoint(t)

	for _, c := range []struct {
		tok  *Token
		sees bool
	}{{f.Inspector, true}, {f.Recorder, true}, {f.Observer, false}} {
		who := c.tok.Name()
		var item struct {
			api.ItemResponse
			Party     string                   `json:"party"`
			Parties   []string                 `json:"parties"`
			Deadlines []projections.Obligation `json:"deadlines"`
		}
		r := getAtHead(t, f, c.tok, "/v1/petitions/don-m")
		if r.Status != 200 || json.Unmarshal(r.Body, &item) != nil {
			t.Fatalf("%s: %d %s", who, r.Status, r.Body)
		}
		names := item.Party == partyOther || slices.Contains(item.Parties, partyOther) ||
			slices.ContainsFunc(item.Deadlines, func(o projections.Obligation) bool { return o.Party == partyOther || o.Trigger == "2023-03-16" })
		if names != c.sees {
			t.Errorf("%s: the petition's view names the party or date only confidential events set: %v, want %v (%s)", who, names, c.sees, r.Body)
		}
		if len(item.Deadlines) == 0 {
			t.Errorf("%s: the petition's view has no deadlines (their rules and outcomes stay): %s", who, r.Body)
		}
		var list struct {
			Items []json.RawMessage `json:"items"`
		}
		r = getAtHead(t, f, c.tok, "/v1/petitions?party="+partyOther)
		if r.Status != 200 || json.Unmarshal(r.Body, &list) != nil || (len(list.Items) == 1) != c.sees {
			t.Errorf("%s: petitions?party=%s: %d %s, want it found %v", who, partyOther, r.Status, r.Body, c.sees)
		}
		var dl struct {
			Deadlines []projections.Obligation `json:"deadlines"`
		}
		r = getAtHead(t, f, c.tok, "/v1/deadlines?party="+partyOther)
		if r.Status != 200 || json.Unmarshal(r.Body, &dl) != nil || (len(dl.Deadlines) > 0) != c.sees {
			t.Errorf("%s: deadlines?party=%s: %d %s, want some %v", who, partyOther, r.Status, r.Body, c.sees)
		}
		var fl api.FlagList
		r = getAtHead(t, f, c.tok, "/v1/flags?subject=petition/don-m")
		if r.Status != 200 || json.Unmarshal(r.Body, &fl) != nil || (len(fl.Flags) > 0) != c.sees {
			t.Errorf("%s: the petition's flags: %d %s, want some %v", who, r.Status, r.Body, c.sees)
		}
		// The workspace's page says that part of it is withheld, not that
		// the whole record is.
		if p := mustWeb(t, f, c.tok).Get("/items/petitions/don-m"); p.Status != 200 || strings.Contains(p.Body, `id="item-withheld-part"`) == c.sees ||
			strings.Contains(p.Body, `id="item-withheld"`) {
			t.Errorf("%s: the petition's page (%d) says part withheld %v, want %v: %s", who, p.Status, !c.sees, !c.sees, mainOf(p.Body))
		}
		// A request a confidential event opened: its ID is not listed.
		if r := getAtHead(t, f, c.tok, "/v1/supervisions/gs-m"); r.Status != 200 || strings.Contains(string(r.Body), "yc-ho-so-mat") != c.sees {
			t.Errorf("%s: the supervision's view lists the confidential request's ID %v, want %v: %d %s", who, !c.sees, c.sees, r.Status, r.Body)
		}
		// The recommendation's answer was confidential: when it came is
		// too; that it came, and in time, is not.
		r = getAtHead(t, f, c.tok, "/v1/recommendations/kn-m")
		if r.Status != 200 || json.Unmarshal(r.Body, &item) != nil {
			t.Fatalf("%s: %d %s", who, r.Status, r.Body)
		}
		// Nor does a report's median days to answer, narrowed to its day,
		// nor its outcome (accepted).
		var rep projections.Report
		r = getAtHead(t, f, c.tok, "/v1/reports/summary?unit="+unitWard+"&from=2023-03-10&to=2023-03-10")
		if r.Status != 200 || json.Unmarshal(r.Body, &rep) != nil || rep.Recommendations.Issued != 1 || (rep.MedianDaysToAnswer != nil) != c.sees ||
			(rep.Recommendations.Accepted == 1) != c.sees {
			t.Errorf("%s: the report of kn-m's issue day: %d %s, want its median days to answer and its acceptance %v", who, r.Status, r.Body, c.sees)
		}
		// The answer's outcome is among the confidential answer's fields:
		// not among the derived states either, nor found by them.
		var view struct {
			DerivedStatus []string `json:"derived_status"`
		}
		if r := getAtHead(t, f, c.tok, "/v1/recommendations/kn-m"); r.Status != 200 || json.Unmarshal(r.Body, &view) != nil ||
			slices.Contains(view.DerivedStatus, "accepted") != c.sees || !slices.Contains(view.DerivedStatus, "answered_on_time") {
			t.Errorf("%s: kn-m's derived states %v, want accepted among them %v (answered on time always): %d %s", who, view.DerivedStatus, c.sees, r.Status, r.Body)
		}
		var found struct {
			Items []json.RawMessage `json:"items"`
		}
		if r := getAtHead(t, f, c.tok, "/v1/recommendations?status=accepted"); r.Status != 200 || json.Unmarshal(r.Body, &found) != nil || (len(found.Items) == 1) != c.sees {
			t.Errorf("%s: recommendations?status=accepted: %d %s, want kn-m found %v", who, r.Status, r.Body, c.sees)
		}
		if p := mustWeb(t, f, c.tok).Get("/items/recommendations/kn-m"); p.Status != 200 || strings.Contains(p.Body, `class="badge">Tiếp thu<`) != c.sees {
			t.Errorf("%s: kn-m's page (%d) shows the outcome %v, want %v: %s", who, p.Status, !c.sees, c.sees, mainOf(p.Body))
		}
		i := slices.IndexFunc(item.Deadlines, func(o projections.Obligation) bool { return o.Rule == "recommendation.response" })
		if i < 0 || item.Deadlines[i].Outcome != projections.OnTime || (item.Deadlines[i].MetOn == "2023-04-01") != c.sees || item.Party != partyWard {
			t.Errorf("%s: the recommendation's answer deadline: %+v (party %s), want on time, its date shown %v, the party %s", who, item.Deadlines, item.Party, c.sees, partyWard)
		}
	}
}

// TestRepeatLateWithAWithheldDeadline: OB_REPEAT_LATE's dates and ID come
// from the deadlines it counts; when one of them is a deadline a reader
// may not see whole (a receipt recorded as confidential), that reader does
// not see the flag, which would give the withheld due date away (found by
// helper-44's review). Readers of confidential data see it.
func TestRepeatLateWithAWithheldDeadline(t *testing.T) {
	f := MustOpenServer(t)
	for i, id := range []string{"kn-r1", "kn-r2", "kn-r3"} {
		f.MustIssue(t, f.Recorder, id, unitWard, partyWard)
		received := api.EventRequest{Type: events.RecommendationReceived, OccurredAt: fmt.Sprintf("2025-05-0%dT08:00:00+07:00", i+1),
			Data: json.RawMessage(fmt.Sprintf(`{"received_on":"2025-05-0%d"}`, i+1))}
		if id == "kn-r3" {
			received.Classification = "confidential"
		}
		f.MustAppend(t, f.Recorder, "recommendations", id, received)
	}
	f.MustWaitCheckpoint(t)
	for _, c := range []struct {
		tok   *Token
		flags int
	}{{f.Inspector, 1}, {f.Recorder, 1}, {f.Observer, 0}} {
		var l api.FlagList
		r := getAtHead(t, f, c.tok, "/v1/flags?code=OB_REPEAT_LATE")
		if r.Status != 200 || json.Unmarshal(r.Body, &l) != nil || len(l.Flags) != c.flags {
			t.Errorf("%s: OB_REPEAT_LATE: %d %s, want %d", c.tok.Name(), r.Status, r.Body, c.flags)
		}
		var rep projections.Report
		r = getAtHead(t, f, c.tok, "/v1/reports/summary?unit="+unitWard)
		if r.Status != 200 || json.Unmarshal(r.Body, &rep) != nil || rep.FlagsOpen["OB_REPEAT_LATE"] != c.flags {
			t.Errorf("%s: the report's open OB_REPEAT_LATE: %d %s, want %d", c.tok.Name(), r.Status, r.Body, c.flags)
		}
	}
}
