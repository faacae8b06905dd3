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
	den := f.MustCreate(t, f.Recorder, "petitions", api.EventRequest{ID: "tc-1", Type: events.PetitionReceived, Unit: unitWard, OccurredAt: "2023-03-14T08:00:00+07:00",
		Data: json.RawMessage(`{"channel":"MAIL","received_on":"2023-03-14","petition_kind":"DENUNCIATION","anonymous":false,"petitioner":{"name":"Trần Thị Tố"},"summary":"Tố cáo cán bộ địa chính"}`)})
	f.MustAppend(t, f.Recorder, "petitions", "tc-1", api.EventRequest{Type: events.PetitionClassified, OccurredAt: "2023-03-15T08:00:00+07:00",
		Data: json.RawMessage(fmt.Sprintf(`{"classified_on":"2023-03-15","petition_kind":"DENUNCIATION","competent_party_id":%q,"complex":false,"remote":false}`, partyWard))})
	f.MustAppend(t, f.Recorder, "petitions", "tc-1", api.EventRequest{Type: events.PetitionForwarded, OccurredAt: "2023-03-16T08:00:00+07:00",
		Data: json.RawMessage(fmt.Sprintf(`{"forwarded_on":"2023-03-16","to_party_id":%q}`, partyWard))})
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
		if r.Status != 200 || strings.Contains(string(r.Body), "GHICHUNOIBO") || strings.Contains(string(r.Body), fmt.Sprintf(`"position":%d,`, res.Position)) {
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
