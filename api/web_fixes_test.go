package api_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/api"
)

// The sign-in form's "next" does not take "/\t/evil.example": browsers
// strip ASCII tabs from URLs, so that Location would become the
// protocol-relative "//evil.example", an open redirect after sign-in.
// (Found by an audit.)
func TestWebLoginNoOpenRedirect(t *testing.T) {
	f := MustOpenServer(t)
	w := newWeb(t, f.URL)
	csrf := w.CSRF("/login?next=" + url.QueryEscape("/\t/evil.example/phish"))
	form := url.Values{"csrf": {csrf}, "token": {f.Recorder.Secret}, "next": {"/\t/evil.example/phish"}}
	req, _ := http.NewRequest("POST", f.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	u, _ := url.Parse(f.URL)
	for _, c := range w.c.Jar.Cookies(u) {
		req.AddCookie(c)
	}
	// The transport, not the client: Go's client refuses to parse such a
	// Location, browsers do not.
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	raw := resp.Header.Get("Location")
	// What a browser does with the Location (WHATWG URL: remove all ASCII tab or newline).
	loc := strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(raw)
	if resp.StatusCode == http.StatusSeeOther && (strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\")) {
		t.Errorf("sign-in redirects off-site: status %d, Location %q (a browser reads %q)", resp.StatusCode, raw, loc)
	}
}

// The API's per-token rate limit applies to the web workspace too: a
// page counts once against its token's bucket, as the sign-in does (the
// pages call the API in process, where the middleware that counts
// requests with an Authorization header does not see them).
func TestWebRateLimit(t *testing.T) {
	f := MustOpenServer(t)
	srv := api.NewServer(f.Ledger, f.Store)
	srv.Views = f.Views
	srv.Now = f.Server.Now
	srv.Logger = f.Server.Logger
	srv.RateLimit = api.NewRateLimiter(0.001, 3) // 3 requests, then about 1 per 1000 s
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)

	w := newWeb(t, ts.URL)
	w.SignIn(f.Recorder.Secret) // 1
	for i := range 2 {          // 2, 3
		if p := w.Get("/dashboard"); p.Status != http.StatusOK {
			t.Fatalf("dashboard %d: %d", i+1, p.Status)
		}
	}
	p := w.Get("/dashboard")
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, "quá nhiều yêu cầu") {
		t.Errorf("the fourth request of the token: %d, Retry-After %q: %s", p.Status, p.Header.Get("Retry-After"), mainOf(p.Body))
	}
	// The API counts from the same bucket.
	req, _ := http.NewRequest("GET", ts.URL+"/v1/recommendations", nil)
	req.Header.Set("Authorization", "Bearer "+f.Recorder.Secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the API after the pages used the bucket: %d", resp.StatusCode)
	}
	// Another token is not held back.
	if p := newWeb(t, ts.URL).SignIn(f.Inspector.Secret); p.Status != http.StatusSeeOther {
		t.Errorf("another token's sign-in: %d", p.Status)
	}
}

// A form post with a malformed body (a bad %-escape) is answered 400, not
// 413 Request Entity Too Large. (Found by an audit.)
func TestWebBadFormIs400(t *testing.T) {
	f := MustOpenServer(t)
	w := mustWeb(t, f, f.Recorder)
	csrf := w.CSRF("/dashboard")
	req, _ := http.NewRequest("POST", f.URL+"/items/recommendations/new", strings.NewReader("csrf="+csrf+"&data.title=50%+off"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := w.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a 40-byte form with a bad %%-escape: got %d, want 400", resp.StatusCode)
	}
}

// The sign-in form's body is bounded at 16 KiB before any value is read
// (r.FormValue reads up to net/http's 10 MB): a 2 MB sign-in post does not
// sign in. (Found by an audit.)
func TestWebLoginBodyLimit(t *testing.T) {
	f := MustOpenServer(t)
	w := newWeb(t, f.URL)
	csrf := w.CSRF("/login")
	p := w.Post("/login", url.Values{"csrf": {csrf}, "token": {f.Recorder.Secret}, "pad": {strings.Repeat("a", 2<<20)}})
	if p.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MB sign-in post: %d, want 413", p.Status)
	}
}
