package api_test

import (
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
// bundle; respondents do not get the fields of confidential events; a text
// search does not look into what the reader may not see; and an
// inspector's review of a flag is for the readers of that flag only.
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

	get := func(tok *Token, path string) Reply {
		t.Helper()
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		return f.Do(t, "GET", path+sep+"min_position="+fmt.Sprint(f.Head(t)), tok.Secret, nil)
	}
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
	// A bundle of the party's trail, which cites the request.
	MustError(t, get(f.Observer, "/v1/bundles/parties/"+partyWard), 403, events.EForbidden, "Authorization")
	if r := get(f.Inspector, "/v1/bundles/parties/"+partyWard); r.Status != 200 || !strings.Contains(string(r.Body), fmt.Sprintf(`"position":%d`, info.Position)) {
		t.Errorf("inspector bundle: %d", r.Status)
	}

	// A confidential recommendation to the respondent: its fields are
	// withheld from it, as its events are.
	item = api.ItemResponse{}
	if r := get(f.Respondent, "/v1/recommendations/rec-mat"); r.Status != 200 || json.Unmarshal(r.Body, &item) != nil {
		t.Fatalf("respondent item: %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(item.Data), "XYZMAT") || item.Title != "" || !slices.Contains(item.Redacted, "title") {
		t.Errorf("respondent sees a confidential recommendation: title %q, data %s, redacted %v", item.Title, item.Data, item.Redacted)
	}
	if r := get(f.Recorder, "/v1/recommendations/rec-mat"); r.Status != 200 || !strings.Contains(string(r.Body), "XYZMAT") {
		t.Errorf("recorder item: %d %s", r.Status, r.Body)
	}
	// Search finds it only for who may read it.
	for _, c := range []struct {
		name string
		tok  *Token
		want bool
	}{{"observer", f.Observer, false}, {"respondent", f.Respondent, false}, {"recorder", f.Recorder, true}, {"inspector", f.Inspector, true}} {
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
