package api_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// TestRateLimit checks the per-token token bucket through the server's
// handler, on a clock the test moves: a token's burst passes, the next
// request is refused with 429, too_many_requests and Retry-After, other
// tokens and the probes are not affected, and the bucket refills at the
// rate, never beyond the burst. No sleeping: time is the test's.
func TestRateLimit(t *testing.T) {
	f := MustOpenServer(t)
	now := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	rl := api.NewRateLimiter(2, 3) // 2 requests/s, bursts of 3
	rl.Now = func() time.Time { return now }
	// A server of its own over the fixture's ledger, called in this
	// goroutine: the running fixture server is not touched.
	s := api.NewServer(f.Ledger, f.Store)
	s.Views, s.Now, s.Logger, s.Metrics, s.RateLimit = f.Views, f.Server.Now, slog.New(slog.DiscardHandler), api.NewMetrics(), rl
	h := s.Handler()

	get := func(path string, tok *Token) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest("GET", path, nil)
		if tok != nil {
			r.Header.Set("Authorization", "Bearer "+tok.Secret)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	want := func(w *httptest.ResponseRecorder, status int, what string) {
		t.Helper()
		if w.Code != status {
			t.Fatalf("%s: status %d, want %d: %s", what, w.Code, status, w.Body)
		}
	}

	for i := range 3 {
		want(get("/v1/units", f.Recorder), 200, "burst request "+string(rune('1'+i)))
	}
	w := get("/v1/units", f.Recorder)
	want(w, http.StatusTooManyRequests, "the request after the burst")
	if got := w.Header().Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1 (one request refills in 0.5 s, rounded up)", got)
	}
	var body api.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != events.ETooManyRequests || body.Error.Message == "" {
		t.Errorf("429 body %s (%v), want code %s with a message", w.Body, err, events.ETooManyRequests)
	}
	// As the OpenAPI document says, for a read and for a write.
	doc, _ := loadOpenAPI(t)
	router := mustRouter(t, doc)
	validateResponse(t, router, "GET", "/v1/units", "", Reply{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()})

	// Other tokens have their own buckets; probes and metrics are exempt
	// even with the throttled token; a bad token is refused as before.
	want(get("/v1/units", f.Inspector), 200, "another token")
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		want(get(p, f.Recorder), 200, p+" with the throttled token")
	}
	want(get("/v1/units", &Token{Secret: "lgr_not-a-token"}), 401, "an unknown token")
	// The checkpoint is signed in the background: wait for it (bounded)
	// so that the public read has something to show.
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.Ledger.WaitCheckpoint(cctx, f.Head(t)); err != nil {
		t.Fatal(err)
	}
	want(get("/v1/log/checkpoint", nil), 200, "a public read without a token")

	// Half a second refills one request; a pause never gives more than the
	// burst.
	now = now.Add(500 * time.Millisecond)
	want(get("/v1/units", f.Recorder), 200, "after 0.5 s")
	want(get("/v1/units", f.Recorder), 429, "the second request after 0.5 s")
	now = now.Add(time.Hour)
	for range 3 {
		want(get("/v1/units", f.Recorder), 200, "after an hour")
	}
	want(get("/v1/units", f.Recorder), 429, "beyond the burst after an hour")

	// Writes are refused before anything is recorded.
	size := f.Head(t)
	r := httptest.NewRequest("POST", "/v1/tokens", nil)
	r.Header.Set("Authorization", "Bearer "+f.Recorder.Secret)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	want(w, 429, "a write of a throttled token")
	validateResponse(t, router, "POST", "/v1/tokens", "", Reply{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()})
	if got := f.Head(t); got != size {
		t.Errorf("the log grew from %d to %d on a refused request", size, got)
	}
}

// TestRateLimiterRetryAfter checks the wait a refusal names at a slow rate
// and that refilled buckets are dropped from memory.
func TestRateLimiterRetryAfter(t *testing.T) {
	now := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	rl := api.NewRateLimiter(0.1, 1) // one request per 10 s
	rl.Now = func() time.Time { return now }
	if ok, _ := rl.Allow("token/a"); !ok {
		t.Fatal("first request refused")
	}
	ok, wait := rl.Allow("token/a")
	if ok || wait != 10*time.Second {
		t.Fatalf("second request: allowed %v, wait %v; want refused, 10s", ok, wait)
	}
	now = now.Add(4 * time.Second)
	if ok, wait := rl.Allow("token/a"); ok || wait != 6*time.Second {
		t.Fatalf("after 4 s: allowed %v, wait %v; want refused, 6s", ok, wait)
	}
	now = now.Add(6 * time.Second)
	if ok, _ := rl.Allow("token/a"); !ok {
		t.Fatal("refused after the wait it named")
	}
}
