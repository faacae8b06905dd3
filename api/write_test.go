package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

var (
	uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// mustEvent fetches GET /v1/events/{position} with secret and checks that
// the body hashes to X-Ledger-Hash.
func (f *Fixture) mustEvent(tb testing.TB, secret string, pos uint64) []byte {
	tb.Helper()
	r := f.Do(tb, "GET", "/v1/events/"+strconv.FormatUint(pos, 10), secret, nil)
	if r.Status != http.StatusOK {
		tb.Fatalf("GET /v1/events/%d: status %d, want 200 (body %s)", pos, r.Status, r.Body)
	}
	if got, want := r.Header.Get("X-Ledger-Hash"), sha256Hex(r.Body); got != want {
		tb.Fatalf("GET /v1/events/%d: X-Ledger-Hash %s, want SHA-256 of the body %s", pos, got, want)
	}
	return r.Body
}

func TestCreate(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)

	t.Run("OK", func(t *testing.T) {
		head := f.Head(t)
		r := f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, issueRequest("rec-1", unitWard, partyWard))
		res := MustResult(t, r)
		if got, want := r.Header.Get("Location"), "/v1/recommendations/rec-1"; got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
		if got, want := r.Header.Get("ETag"), `"1"`; got != want {
			t.Errorf("ETag: got %q, want %q", got, want)
		}
		if got := r.Header.Get("Idempotent-Replayed"); got != "" {
			t.Errorf("Idempotent-Replayed: got %q on a first write, want none", got)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &keys); err != nil {
			t.Fatal(err)
		}
		var got []string
		for k := range keys {
			got = append(got, k)
		}
		slices.Sort(got)
		if want := []string{"event_id", "hash", "id", "position", "status", "stream", "type", "version"}; !slices.Equal(got, want) {
			t.Errorf("result fields: got %v, want %v", got, want)
		}
		want := events.Result{EventID: res.EventID, ID: "rec-1", Stream: "recommendation/rec-1", Type: events.RecommendationIssued,
			Version: 1, Position: head + 1, Hash: res.Hash, Status: events.RecIssued}
		if diff := cmp.Diff(want, res); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
		if !uuidRE.MatchString(res.EventID) {
			t.Errorf("event_id: got %q, want a UUIDv7", res.EventID)
		}
		if got := f.Head(t); got != head+1 {
			t.Errorf("log size: got %d, want %d", got, head+1)
		}
		stored := f.mustEvent(t, f.Inspector.Secret, res.Position)
		if got := sha256Hex(stored); got != res.Hash {
			t.Errorf("hash: the write returned %s, the stored event hashes to %s", res.Hash, got)
		}
		env, err := events.UnmarshalEnvelope(stored)
		if err != nil {
			t.Fatal(err)
		}
		if env.ID != res.EventID || env.Stream != res.Stream || env.Version != 1 || env.Unit != unitWard || env.Actor.Role != events.RoleRecorder ||
			env.Actor.Subject != "token/"+f.Recorder.ID || env.PrevHash != "" || !env.RecordedAt.Equal(fixedNow) {
			t.Errorf("stored envelope: got %+v", env)
		}
	})

	t.Run("GeneratedID", func(t *testing.T) {
		req := issueRequest("", unitWard, partyWard)
		r := f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, req)
		res := MustResult(t, r)
		if !uuidRE.MatchString(res.ID) {
			t.Fatalf("id: got %q, want a generated UUIDv7", res.ID)
		}
		if got, want := r.Header.Get("Location"), "/v1/recommendations/"+res.ID; got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
		st, err := f.Recorder.State(context.Background(), "recommendations", res.ID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Version != 1 || st.Stream != res.Stream {
			t.Errorf("state: got version %d stream %q, want 1 %q", st.Version, st.Stream, res.Stream)
		}
	})

	t.Run("RecorderOfAHigherUnit", func(t *testing.T) {
		res := f.MustIssue(t, f.TownRecorder, "rec-town", unitWard, partyWard)
		if res.Version != 1 {
			t.Errorf("version: got %d, want 1", res.Version)
		}
	})

	t.Run("EveryCollection", func(t *testing.T) {
		for c, k := range api.Collections {
			if got := api.CollectionOf(k); got != c {
				t.Errorf("CollectionOf(%s): got %q, want %q", k, got, c)
			}
		}
		// A unit is created by an admin; its ID is its code.
		r := f.Do(t, "POST", "/v1/units", f.Admin.Secret, api.EventRequest{ID: "21613", Type: events.UnitRegistered,
			Data: json.RawMessage(`{"name":"Phường Nhơn Thành","level":"COMMUNE","parent_id":"540","valid_from":"2011-06-01"}`)})
		res := MustResult(t, r)
		if got, want := r.Header.Get("Location"), "/v1/units/21613"; got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
		if res.Stream != "unit/21613" {
			t.Errorf("stream: got %q, want unit/21613", res.Stream)
		}
	})
}

func TestAppend(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	issued := f.MustIssue(t, f.Recorder, "rec-1", unitWard, partyWard)

	t.Run("OK", func(t *testing.T) {
		head := f.Head(t)
		r := f.Do(t, "POST", "/v1/recommendations/rec-1/events", f.Recorder.Secret, receivedRequest)
		res := MustResult(t, r)
		if res.Version != 2 || res.Status != events.RecReceived || res.Position != head+1 || res.ID != "rec-1" || res.Type != events.RecommendationReceived {
			t.Errorf("result: got %+v, want version 2, status received, position %d", res, head+1)
		}
		if got, want := r.Header.Get("Location"), "/v1/recommendations/rec-1"; got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
		if got, want := r.Header.Get("ETag"), `"2"`; got != want {
			t.Errorf("ETag: got %q, want %q", got, want)
		}
		env, err := events.UnmarshalEnvelope(f.mustEvent(t, f.Inspector.Secret, res.Position))
		if err != nil {
			t.Fatal(err)
		}
		if env.PrevHash != issued.Hash {
			t.Errorf("prev_hash: got %q, want the hash of version 1 %q", env.PrevHash, issued.Hash)
		}
	})

	t.Run("RespondentAnswersAnItemAddressedToItsParty", func(t *testing.T) {
		r := f.Do(t, "POST", "/v1/recommendations/rec-1/events", f.Respondent.Secret, responseRequest)
		res := MustResult(t, r)
		if res.Status != events.RecResponded {
			t.Errorf("status: got %q, want %q", res.Status, events.RecResponded)
		}
	})
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "rec-1", unitWard, partyWard)
	path := "/v1/recommendations/rec-1/events"

	t.Run("Match", func(t *testing.T) {
		res := MustResult(t, f.Do(t, "POST", path, f.Recorder.Secret, reminderRequest, "If-Match", `"1"`))
		if res.Version != 2 {
			t.Errorf("version: got %d, want 2", res.Version)
		}
	})
	t.Run("MatchUnquoted", func(t *testing.T) {
		MustResult(t, f.Do(t, "POST", path, f.Recorder.Secret, reminderRequest, "If-Match", "2"))
	})
	t.Run("MatchWeak", func(t *testing.T) {
		MustResult(t, f.Do(t, "POST", path, f.Recorder.Secret, reminderRequest, "If-Match", `W/"3"`))
	})
	t.Run("Mismatch", func(t *testing.T) {
		head := f.Head(t)
		e := MustError(t, f.Do(t, "POST", path, f.Recorder.Secret, reminderRequest, "If-Match", `"1"`), http.StatusConflict, events.EConflict, "If-Match")
		if !strings.Contains(e.Message, "version 4") {
			t.Errorf("message: got %q, want it to name the current version 4", e.Message)
		}
		if got := f.Head(t); got != head {
			t.Errorf("log size: got %d, want %d (nothing written)", got, head)
		}
	})
	t.Run("ClientMismatch", func(t *testing.T) {
		v := uint64(2)
		_, err := f.Recorder.Append(context.Background(), "recommendations", "rec-1", reminderRequest, api.WriteOptions{IfMatch: &v})
		if got := events.ErrorCode(err); got != events.EConflict {
			t.Errorf("Client.Append with a stale IfMatch: got code %q (%v), want conflict", got, err)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)

	t.Run("RetryOfACreateReplaysTheFirstResult", func(t *testing.T) {
		req := issueRequest("", unitWard, partyWard)
		first := f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, req, "Idempotency-Key", "create-1")
		res1 := MustResult(t, first)
		head := f.Head(t)
		again := f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, req, "Idempotency-Key", "create-1")
		res2 := MustResult(t, again)
		if got := again.Header.Get("Idempotent-Replayed"); got != "true" {
			t.Errorf("Idempotent-Replayed: got %q, want true", got)
		}
		if !res2.Replayed {
			t.Errorf("replayed: got false, want true")
		}
		res2.Replayed = false
		if diff := cmp.Diff(res1, res2); diff != "" {
			t.Errorf("replayed result (-first +retry):\n%s", diff)
		}
		if got, want := again.Header.Get("Location"), first.Header.Get("Location"); got != want {
			t.Errorf("Location: got %q, want %q", got, want)
		}
		if got := f.Head(t); got != head {
			t.Errorf("log size: got %d, want %d (a retry writes nothing)", got, head)
		}
	})

	t.Run("RetryOfAnAppendReplaysTheFirstResult", func(t *testing.T) {
		f.MustIssue(t, f.Recorder, "rec-append", unitWard, partyWard)
		path := "/v1/recommendations/rec-append/events"
		res1 := MustResult(t, f.Do(t, "POST", path, f.Recorder.Secret, receivedRequest, "Idempotency-Key", "append-1"))
		head := f.Head(t)
		// The retry carries the If-Match of the first try, which is stale now.
		again := f.Do(t, "POST", path, f.Recorder.Secret, receivedRequest, "Idempotency-Key", "append-1", "If-Match", `"1"`)
		res2 := MustResult(t, again)
		if got := again.Header.Get("Idempotent-Replayed"); got != "true" {
			t.Errorf("Idempotent-Replayed: got %q, want true", got)
		}
		res2.Replayed = false
		if diff := cmp.Diff(res1, res2); diff != "" {
			t.Errorf("replayed result (-first +retry):\n%s", diff)
		}
		if got := f.Head(t); got != head {
			t.Errorf("log size: got %d, want %d", got, head)
		}
	})

	t.Run("SameKeyDifferentDataIsAConflict", func(t *testing.T) {
		MustResult(t, f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, issueRequest("", unitWard, partyWard), "Idempotency-Key", "create-2"))
		head := f.Head(t)
		other := issueRequest("", unitWard, partyOther)
		MustError(t, f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, other, "Idempotency-Key", "create-2"),
			http.StatusConflict, events.EConflict, "Idempotency-Key")
		if got := f.Head(t); got != head {
			t.Errorf("log size: got %d, want %d", got, head)
		}
	})

	t.Run("SameKeyOfAnotherTokenIsIndependent", func(t *testing.T) {
		req := issueRequest("", unitWard, partyWard)
		res1 := MustResult(t, f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, req, "Idempotency-Key", "shared"))
		head := f.Head(t)
		again := f.Do(t, "POST", "/v1/recommendations", f.TownRecorder.Secret, req, "Idempotency-Key", "shared")
		res2 := MustResult(t, again)
		if again.Header.Get("Idempotent-Replayed") != "" || res2.Replayed {
			t.Errorf("another token's key: got a replay, want a new event")
		}
		if res2.EventID == res1.EventID || res2.ID == res1.ID || res2.Position != head+1 {
			t.Errorf("another token's key: got %+v, want a new aggregate at position %d", res2, head+1)
		}
	})

	t.Run("ClientRetry", func(t *testing.T) {
		ctx := context.Background()
		opt := api.WriteOptions{IdempotencyKey: "client-1"}
		res1, err := f.Recorder.Create(ctx, "recommendations", issueRequest("rec-client", unitWard, partyWard), opt)
		if err != nil {
			t.Fatal(err)
		}
		res2, err := f.Recorder.Create(ctx, "recommendations", issueRequest("rec-client", unitWard, partyWard), opt)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if !res2.Replayed || res2.Position != res1.Position {
			t.Errorf("retry: got %+v, want a replay of %+v", res2, res1)
		}
	})
}

func TestState(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	res := f.MustIssue(t, f.Recorder, "rec-1", unitWard, partyWard)
	f.MustIssue(t, f.OtherRecorder, "rec-other", unitOther, partyOther)

	t.Run("OK", func(t *testing.T) {
		r := f.Do(t, "GET", "/v1/recommendations/rec-1", f.Recorder.Secret, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("status: got %d, want 200 (%s)", r.Status, r.Body)
		}
		if got, want := r.Header.Get("ETag"), `"1"`; got != want {
			t.Errorf("ETag: got %q, want %q", got, want)
		}
		var st api.ItemResponse
		if err := json.Unmarshal(r.Body, &st); err != nil {
			t.Fatal(err)
		}
		type summary struct {
			ID, Stream, Unit, LastHash string
			Kind                       events.Kind
			Status                     events.Status
			Version, LastPosition      uint64
			Parties                    []string
			NextTypes                  []events.Type
		}
		want := summary{ID: "rec-1", Stream: "recommendation/rec-1", Kind: events.KindRecommendation, Status: events.RecIssued,
			Version: 1, Unit: unitWard, Parties: []string{partyWard}, LastPosition: res.Position, LastHash: res.Hash,
			NextTypes: []events.Type{events.RecommendationAmended, events.RecommendationCorrected, events.RecommendationReceived,
				events.RecommendationReminderSent, events.RecommendationResponseSubmitted, events.RecommendationWithdrawn}}
		got := summary{ID: st.ID, Stream: st.Stream, Kind: st.Kind, Status: st.Status, Version: st.Version, Unit: st.Unit, Parties: st.Parties,
			LastPosition: st.LastPosition, LastHash: st.LastHash, NextTypes: st.NextTypes}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("state (-want +got):\n%s", diff)
		}
	})

	t.Run("FollowsTheLifecycle", func(t *testing.T) {
		f.MustAppend(t, f.Recorder, "recommendations", "rec-1", receivedRequest)
		st, err := f.Observer.State(context.Background(), "recommendations", "rec-1")
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != events.RecReceived || st.Version != 2 || !slices.Contains(st.NextTypes, events.RecommendationAcknowledged) ||
			slices.Contains(st.NextTypes, events.RecommendationReceived) {
			t.Errorf("state after receipt: got status %s version %d next %v", st.Status, st.Version, st.NextTypes)
		}
	})

	for _, tc := range []struct {
		name   string
		token  func() string
		path   string
		status int
		code   string
	}{
		{"ObserverOfTheUnit", func() string { return f.Observer.Secret }, "/v1/recommendations/rec-1", 200, ""},
		{"RespondentAddressed", func() string { return f.Respondent.Secret }, "/v1/recommendations/rec-1", 200, ""},
		{"Inspector", func() string { return f.Inspector.Secret }, "/v1/recommendations/rec-other", 200, ""},
		{"TownRecorderBelow", func() string { return f.TownRecorder.Secret }, "/v1/recommendations/rec-other", 200, ""},
		{"UnitsAreReferenceData", func() string { return f.OtherRecorder.Secret }, "/v1/units/" + unitWard, 200, ""},
		{"PartiesAreReferenceData", func() string { return f.Respondent.Secret }, "/v1/parties/" + partyOther, 200, ""},
		// Out of the token's sight is answered as never recorded.
		{"RecorderOfAnotherUnit", func() string { return f.OtherRecorder.Secret }, "/v1/recommendations/rec-1", 404, events.ENotFound},
		{"ObserverOfAnotherUnit", func() string { return f.Observer.Secret }, "/v1/recommendations/rec-other", 404, events.ENotFound},
		{"RespondentNotAddressed", func() string { return f.Respondent.Secret }, "/v1/recommendations/rec-other", 404, events.ENotFound},
		{"ObserverOfAnotherUnitEvents", func() string { return f.Observer.Secret }, "/v1/recommendations/rec-other/events", 404, events.ENotFound},
		{"Missing", func() string { return f.Inspector.Secret }, "/v1/recommendations/nope", 404, events.ENotFound},
		{"MalformedID", func() string { return f.Inspector.Secret }, "/v1/recommendations/bad.id", 404, events.ENotFound},
		{"OtherKindSameID", func() string { return f.Inspector.Secret }, "/v1/supervisions/rec-1", 404, events.ENotFound},
		{"NoToken", func() string { return "" }, "/v1/recommendations/rec-1", 401, events.EUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.Do(t, "GET", tc.path, tc.token(), nil)
			if tc.code == "" {
				if r.Status != tc.status {
					t.Fatalf("status: got %d, want %d (%s)", r.Status, tc.status, r.Body)
				}
				return
			}
			field := "Authorization"
			if tc.code == events.ENotFound {
				field = "id"
				// The same words as for an ID never recorded.
				id := strings.Split(strings.TrimPrefix(tc.path, "/v1/"), "/")[1]
				id, _, _ = strings.Cut(id, "?")
				var e struct{ Error struct{ Message string } }
				json.Unmarshal(r.Body, &e)
				if want := fmt.Sprintf(" has the ID %q.", id); !strings.HasSuffix(e.Error.Message, want) {
					t.Errorf("message: %s, want one ending%s", r.Body, want)
				}
			}
			MustError(t, r, tc.status, tc.code, field)
		})
	}
}

func TestStreamEvents(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	ctx := context.Background()
	var results []events.Result
	results = append(results, f.MustIssue(t, f.Recorder, "rec-1", unitWard, partyWard))
	results = append(results, f.MustAppend(t, f.Recorder, "recommendations", "rec-1", receivedRequest))
	confidential := reminderRequest
	confidential.Classification = "confidential"
	results = append(results, f.MustAppend(t, f.Recorder, "recommendations", "rec-1", confidential))
	results = append(results, f.MustAppend(t, f.Respondent, "recommendations", "rec-1", responseRequest))

	t.Run("HistoryWithPositionsAndHashes", func(t *testing.T) {
		h, err := f.Inspector.StreamEvents(ctx, "recommendations", "rec-1")
		if err != nil {
			t.Fatal(err)
		}
		if h.Stream != "recommendation/rec-1" || h.Version != 4 || len(h.Events) != 4 {
			t.Fatalf("history: got stream %q version %d with %d events, want recommendation/rec-1 version 4 with 4", h.Stream, h.Version, len(h.Events))
		}
		prev := ""
		for i, e := range h.Events {
			if e.Position != results[i].Position || e.Hash != results[i].Hash {
				t.Errorf("event %d: got position %d hash %s, want %d %s", i+1, e.Position, e.Hash, results[i].Position, results[i].Hash)
			}
			if e.Redacted {
				t.Errorf("event %d: redacted for an inspector", i+1)
			}
			if got := sha256Hex(e.Event); got != e.Hash {
				t.Errorf("event %d: bytes hash to %s, want %s", i+1, got, e.Hash)
			}
			if got := f.mustEvent(t, f.Inspector.Secret, e.Position); string(got) != string(e.Event) {
				t.Errorf("event %d: history bytes differ from GET /v1/events/%d:\n%s\n%s", i+1, e.Position, e.Event, got)
			}
			env, err := events.UnmarshalEnvelope(e.Event)
			if err != nil {
				t.Fatal(err)
			}
			if env.Version != uint64(i+1) || env.PrevHash != prev {
				t.Errorf("event %d: got version %d prev_hash %q, want %d %q", i+1, env.Version, env.PrevHash, i+1, prev)
			}
			prev = e.Hash
		}
	})

	t.Run("ConfidentialEventsAreRedactedForObservers", func(t *testing.T) {
		// The recorder sees the confidential event whole, as its view of
		// the item shows the field the event set; the observer, whose
		// view withholds it, sees neither.
		for _, tok := range []*Token{f.Observer, f.Recorder} {
			h, err := tok.StreamEvents(ctx, "recommendations", "rec-1")
			if err != nil {
				t.Fatal(err)
			}
			if len(h.Events) != 4 {
				t.Fatalf("history: got %d events, want 4", len(h.Events))
			}
			for i, e := range h.Events {
				wantRedacted := i == 2 && tok == f.Observer
				if e.Redacted != wantRedacted || (len(e.Event) == 0) != wantRedacted {
					t.Errorf("%s, event %d: got redacted %v with %d bytes, want redacted %v", tok.Name(), i+1, e.Redacted, len(e.Event), wantRedacted)
				}
				if e.Hash != results[i].Hash || e.Position != results[i].Position {
					t.Errorf("%s, event %d: got position %d hash %s, want %d %s", tok.Name(), i+1, e.Position, e.Hash, results[i].Position, results[i].Hash)
				}
			}
		}
		r := f.Do(t, "GET", "/v1/recommendations/rec-1/events", f.Observer.Secret, nil)
		if strings.Contains(string(r.Body), `"sent_on"`) {
			t.Errorf("the observer's history holds the confidential payload: %s", r.Body)
		}
		MustError(t, f.Do(t, "GET", "/v1/events/"+strconv.FormatUint(results[2].Position, 10), f.Observer.Secret, nil), http.StatusForbidden, events.EForbidden, "Authorization")
		f.mustEvent(t, f.Inspector.Secret, results[2].Position)
		f.mustEvent(t, f.Observer.Secret, results[1].Position)
	})

	t.Run("OutOfScope", func(t *testing.T) {
		// The item as never recorded; its events' positions are the log's,
		// which every token knows, so those are refused.
		MustError(t, f.Do(t, "GET", "/v1/recommendations/rec-1/events", f.OtherRecorder.Secret, nil), http.StatusNotFound, events.ENotFound, "id")
		MustError(t, f.Do(t, "GET", "/v1/events/"+strconv.FormatUint(results[0].Position, 10), f.OtherRecorder.Secret, nil), http.StatusForbidden, events.EForbidden, "Authorization")
		MustError(t, f.Do(t, "GET", "/v1/recommendations/nope/events", f.Inspector.Secret, nil), http.StatusNotFound, events.ENotFound, "id")
	})

	// The state is current as soon as a write returns; the history must be
	// too, not lag behind it while the ledger's follower catches up.
	t.Run("ReadYourWrites", func(t *testing.T) {
		f.MustIssue(t, f.Recorder, "rec-ryw", unitWard, partyWard)
		for i := range 30 {
			res := f.MustAppend(t, f.Recorder, "recommendations", "rec-ryw", reminderRequest)
			h, err := f.Recorder.StreamEvents(ctx, "recommendations", "rec-ryw")
			if err != nil {
				t.Fatal(err)
			}
			if uint64(len(h.Events)) != h.Version || h.Version != res.Version {
				t.Fatalf("write %d: history has version %d and %d events right after writing version %d", i+1, h.Version, len(h.Events), res.Version)
			}
		}
	})
}

// TestOccurredAtLowerCase: RFC 3339 lets "T" and "Z" be lower case
// (§5.6); the event records the time in the usual form.
func TestOccurredAtLowerCase(t *testing.T) {
	f := MustOpenServer(t)
	req := issueRequest("rec-lc", unitWard, partyWard)
	req.OccurredAt = "2025-06-01t08:00:00z"
	res := f.MustCreate(t, f.Recorder, "recommendations", req)
	r := f.Do(t, "GET", fmt.Sprintf("/v1/events/%d", res.Position), f.Inspector.Secret, nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"occurred_at":"2025-06-01T08:00:00Z"`) {
		t.Fatalf("the event: %d %s", r.Status, r.Body)
	}
}
