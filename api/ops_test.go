package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// scrapeMetrics reads GET /metrics and returns each sample by its name and
// labels as printed, such as `ledger_appends_total{kind="unit"}`.
func scrapeMetrics(tb testing.TB, f *Fixture) map[string]float64 {
	tb.Helper()
	r := f.Do(tb, "GET", "/metrics", "", nil)
	if r.Status != http.StatusOK {
		tb.Fatalf("GET /metrics: status %d, want 200 (%s)", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		tb.Errorf("GET /metrics: Content-Type %q, want the Prometheus text format", ct)
	}
	out := make(map[string]float64)
	for _, line := range strings.Split(string(r.Body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			tb.Fatalf("GET /metrics: malformed line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			tb.Fatalf("GET /metrics: malformed value in %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	f := MustOpenLedgerServer(t)
	r := f.Do(t, "GET", "/healthz", "", nil)
	if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"status":"ok"}` {
		t.Errorf("GET /healthz: got %d %s, want 200 {\"status\":\"ok\"}", r.Status, r.Body)
	}
	if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options: got %q, want nosniff", got)
	}
	if got := r.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control: got %q, want no-store", got)
	}
}

func TestReadyz(t *testing.T) {
	t.Parallel()

	t.Run("Ready", func(t *testing.T) {
		f := MustOpenServer(t)
		head := f.MustWaitApplied(t)
		r := f.Do(t, "GET", "/readyz", "", nil)
		var body struct {
			Status string `json:"status"`
			Events uint64 `json:"events"`
			Views  *struct {
				Ready    bool    `json:"ready"`
				Position uint64  `json:"position"`
				Error    *string `json:"error"`
			} `json:"views"`
		}
		if r.Status != http.StatusOK {
			t.Fatalf("GET /readyz: status %d, want 200 (%s)", r.Status, r.Body)
		}
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatal(err)
		}
		if body.Status != "ready" || body.Events != head {
			t.Errorf("GET /readyz: got %+v, want ready with %d events", body, head)
		}
		if v := body.Views; v == nil || !v.Ready || v.Position != head || v.Error != nil {
			t.Errorf("GET /readyz: the views %s, want ready at %d with no error", r.Body, head)
		}
		if err := f.Admin.Ready(t.Context()); err != nil {
			t.Errorf("Client.Ready: %v", err)
		}
	})

	t.Run("UnavailableOnceTheLedgerStops", func(t *testing.T) {
		f := MustOpenServer(t)
		if err := f.Ledger.Close(); err != nil {
			t.Fatal(err)
		}
		r := f.Do(t, "GET", "/readyz", "", nil)
		MustError(t, r, http.StatusServiceUnavailable, events.EUnavailable, "")
		if got := r.Header.Get("Retry-After"); got == "" {
			t.Errorf("Retry-After: got none on a 503")
		}
		if err := f.Admin.Ready(t.Context()); events.ErrorCode(err) != events.EUnavailable {
			t.Errorf("Client.Ready: got %v, want code unavailable", err)
		}
		head := f.Head(t)
		MustError(t, f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, issueRequest("rec-1", unitWard, partyWard)),
			http.StatusServiceUnavailable, events.EUnavailable, "")
		if got := f.Head(t); got != head {
			t.Errorf("log size: got %d, want %d", got, head)
		}
	})
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "rec-1", unitWard, partyWard)
	f.MustAppend(t, f.Recorder, "recommendations", "rec-1", receivedRequest)
	MustError(t, f.Do(t, "POST", "/v1/recommendations/rec-1/events", f.Recorder.Secret, reminderRequest, "If-Match", `"1"`), http.StatusConflict, events.EConflict, "If-Match")
	MustError(t, f.Do(t, "POST", "/v1/recommendations", "", issueRequest("", unitWard, partyWard)), http.StatusUnauthorized, events.EUnauthorized, "Authorization")
	MustError(t, f.Do(t, "POST", "/v1/recommendations", f.Recorder.Secret, `{`), http.StatusBadRequest, events.EInvalid, "body")
	head := f.MustWaitCheckpoint(t)
	f.MustWaitApplied(t)

	m := scrapeMetrics(t, f)
	// 1 bootstrap token + 6 tokens, 4 units, 2 parties, 2 recommendation events.
	for key, want := range map[string]float64{
		`ledger_appends_total{kind="token"}`:              7,
		`ledger_appends_total{kind="unit"}`:               4,
		`ledger_appends_total{kind="party"}`:              2,
		`ledger_appends_total{kind="recommendation"}`:     2,
		`ledger_append_conflicts_total`:                   1,
		`ledger_http_rejected_total{code="conflict"}`:     1,
		`ledger_http_rejected_total{code="unauthorized"}`: 1,
		`ledger_http_rejected_total{code="invalid"}`:      1,
		`ledger_append_duration_seconds_count`:            15,
		`ledger_log_events`:                               float64(head),
	} {
		if got, ok := m[key]; !ok || got != want {
			t.Errorf("%s: got %v (present %v), want %v", key, got, ok, want)
		}
	}
	for _, key := range []string{`ledger_checkpoint_lag_seconds`, `ledger_checkpoint_lag_events`, `ledger_append_duration_seconds_sum`, `ledger_append_duration_seconds_bucket{le="+Inf"}`} {
		if _, ok := m[key]; !ok {
			t.Errorf("%s: missing", key)
		}
	}
	if m[`ledger_checkpoint_lag_seconds`] < 0 {
		t.Errorf("ledger_checkpoint_lag_seconds: got %v, want ≥ 0", m[`ledger_checkpoint_lag_seconds`])
	}
	found := false
	for key := range m {
		found = found || strings.HasPrefix(key, "ledger_http_request_duration_seconds_count{") && strings.Contains(key, `method="POST"`)
	}
	if !found {
		t.Errorf("ledger_http_request_duration_seconds_count: no sample for POST requests")
	}

	t.Run("RequestsAreTimedByRoute", func(t *testing.T) {
		f.Do(t, "GET", "/v1/recommendations?limit=1", f.Inspector.Secret, nil)
		f.Do(t, "HEAD", "/healthz", "", nil)
		f.Do(t, "GET", "/v1/no-such-route", f.Inspector.Secret, nil)
		f.Do(t, "DELETE", "/healthz", "", nil)
		m := scrapeMetrics(t, f)
		for _, key := range []string{
			`ledger_http_request_duration_seconds_count{method="GET",route="/v1/{collection}"}`,
			`ledger_http_request_duration_seconds_count{method="GET",route="/healthz"}`, // HEAD is served as GET
			`ledger_http_request_duration_seconds_count{method="GET",route="other"}`,
			`ledger_http_request_duration_seconds_count{method="DELETE",route="other"}`,
		} {
			if m[key] < 1 {
				t.Errorf("%s: got %v, want at least 1", key, m[key])
			}
		}
	})

	t.Run("NotFoundWhenDisabled", func(t *testing.T) {
		s := api.NewServer(f.Ledger, f.Store)
		ts := httptest.NewServer(s.Handler())
		defer ts.Close()
		resp, err := http.Get(ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics without Metrics: status %d, want 404", resp.StatusCode)
		}
	})
}

// A client of something that is not a ledger (a wrong port, a proxy's
// error page) says so in a line: not the page, and not "ready".
func TestClientOfAnotherServer(t *testing.T) {
	page := "<html><body>" + strings.Repeat("Không tìm thấy trang. ", 5000) + "</body></html>"
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			w.Write([]byte("OK"))
			return
		}
		http.Error(w, page, http.StatusNotFound)
	}))
	defer ts.Close()
	c := api.NewClient(ts.URL, "lgr_x")
	if err := c.Ready(t.Context()); err == nil || !strings.Contains(err.Error(), "is it a ledger") {
		t.Errorf("Ready of a server answering 200 OK: %v", err)
	}
	_, err := c.Key(t.Context())
	if events.ErrorCode(err) != events.EInternal || len(err.Error()) > 400 || !strings.Contains(err.Error(), "HTTP 404, not a ledger's error: <html><body>Không tìm thấy") {
		t.Errorf("an error page: %d bytes: %.500v", len(err.Error()), err)
	}
}
