package api_test

import (
	"cmp"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// TestStartingServer: between Listen and Open (a start replaying its log
// and loading its views), /healthz says the process is up, /openapi.json
// is served, every other route answers 503 with Retry-After as the
// document says, and a browser gets a page that reloads itself; Open then
// serves the whole API on the same address.
func TestStartingServer(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	router := mustRouter(t, doc)
	ready := MustOpenServer(t) // the ledger Open hands over to

	s := api.NewServer(nil, nil)
	s.Addr, s.Logger = "127.0.0.1:0", slog.New(slog.DiscardHandler)
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &Fixture{URL: s.URL(), HTTP: &http.Client{Timeout: 10 * time.Second}}

	r := f.Do(t, "GET", "/healthz", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /healthz while starting: %d %s", r.Status, r.Body)
	}
	validateResponse(t, router, "GET", "/healthz", "", r)
	if r := f.Do(t, "GET", "/openapi.json", "", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"openapi"`) {
		t.Fatalf("GET /openapi.json while starting: %d %.200s", r.Status, r.Body)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/readyz"},
		{"GET", "/metrics"},
		{"GET", "/v1/events/1"},
		{"GET", "/v1/log/checkpoint"},
		{"GET", "/v1/log/key"},
		{"GET", "/v1/log/proof/inclusion?position=1&size=1"},
		{"GET", "/v1/log/proof/consistency?from=1&to=2"},
		{"GET", "/v1/log/entries?from=1"},
		{"GET", "/v1/log/checkpoints"},
		{"POST", "/v1/tokens"},
		{"GET", "/v1/recommendations?unit=" + unitWard},
		{"POST", "/v1/recommendations"},
		{"GET", "/v1/recommendations/rec-1"},
		{"GET", "/v1/recommendations/rec-1/events"},
		{"GET", "/v1/flags"},
		{"GET", "/v1/deadlines"},
		{"GET", "/v1/parties/" + partyWard + "/accountability"},
		{"GET", "/v1/bundles/parties/" + partyWard},
		{"GET", "/v1/reports/summary?unit=" + unitWard},
		{"GET", "/v1/rules"},
		{"POST", "/v1/admin/rebuild"},
	} {
		r := f.Do(t, c.method, c.path, ready.Admin.Secret, nil)
		MustError(t, r, http.StatusServiceUnavailable, events.EUnavailable, "")
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s while starting: no Retry-After", c.method, c.path)
		}
		validateResponse(t, router, c.method, c.path, "", r)
	}
	// Every answer has the headers the API's middleware sets; HEAD is
	// answered as GET is.
	for _, path := range []string{"/healthz", "/openapi.json", "/readyz"} {
		r := f.Do(t, "HEAD", path, "", nil)
		if want := map[string]int{"/readyz": 503}[path]; r.Status != cmp.Or(want, 200) {
			t.Errorf("HEAD %s while starting: %d", path, r.Status)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("HEAD %s while starting: headers %v", path, r.Header)
		}
	}
	page := f.Do(t, "GET", "/", "", nil, "Accept", "text/html,application/xhtml+xml")
	if page.Status != http.StatusServiceUnavailable || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") ||
		page.Header.Get("Retry-After") != "1" ||
		!strings.Contains(string(page.Body), `http-equiv="refresh"`) || !strings.Contains(string(page.Body), "đang khởi động") {
		t.Fatalf("the workspace while starting: %d %s\n%s", page.Status, page.Header.Get("Content-Type"), page.Body)
	}
	// The API's routes answer JSON, whatever the Accept header.
	for _, path := range []string{"/readyz", "/metrics", "/v1/rules"} {
		r := f.Do(t, "GET", path, "", nil, "Accept", "text/html,application/xhtml+xml")
		MustError(t, r, http.StatusServiceUnavailable, events.EUnavailable, "")
		validateResponse(t, router, "GET", path, "", r)
	}

	s.Ledger, s.Store, s.Views = ready.Ledger, ready.Store, ready.Views
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	if s.URL() != f.URL {
		t.Fatalf("Open moved the server from %s to %s", f.URL, s.URL())
	}
	if r := f.Do(t, "GET", "/readyz", "", nil); r.Status != http.StatusOK {
		t.Fatalf("GET /readyz after Open: %d %s", r.Status, r.Body)
	}
	if r := f.Do(t, "GET", "/v1/units/"+unitWard, ready.Admin.Secret, nil); r.Status != http.StatusOK {
		t.Fatalf("GET a unit after Open: %d %s", r.Status, r.Body)
	}
}

// TestListenPortInUse: a taken address is Listen's error, and Open's.
func TestListenPortInUse(t *testing.T) {
	a := api.NewServer(nil, nil)
	a.Addr, a.Logger = "127.0.0.1:0", slog.New(slog.DiscardHandler)
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	b := api.NewServer(nil, nil)
	b.Addr, b.Logger = strings.TrimPrefix(a.URL(), "http://"), slog.New(slog.DiscardHandler)
	if err := b.Listen(); err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("Listen on a taken address: %v", err)
	}
	if err := b.Open(); err == nil {
		t.Fatal("Open on a taken address: no error")
	}
}
