package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"golang.org/x/text/unicode/norm"
)

// Web is a browser without JavaScript: a cookie jar and no automatic
// redirects, so each test sees every answer.
type Web struct {
	tb   testing.TB
	base string
	c    *http.Client
}

// Page is one answer of the workspace.
type Page struct {
	Status   int
	Location string
	Header   http.Header
	Body     string
}

func newWeb(tb testing.TB, base string) *Web {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return &Web{tb: tb, base: base, c: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (w *Web) do(method, path string, form url.Values) Page {
	w.tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, w.base+path, body)
	if err != nil {
		w.tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := w.c.Do(req)
	if err != nil {
		w.tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.tb.Fatal(err)
	}
	return Page{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Header: resp.Header, Body: string(b)}
}

// Get fetches path.
func (w *Web) Get(path string) Page { w.tb.Helper(); return w.do("GET", path, nil) }

// Post posts form to path.
func (w *Web) Post(path string, form url.Values) Page { w.tb.Helper(); return w.do("POST", path, form) }

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// CSRF returns the form token of the page at path.
func (w *Web) CSRF(path string) string {
	w.tb.Helper()
	p := w.Get(path)
	m := csrfRe.FindStringSubmatch(p.Body)
	if m == nil {
		w.tb.Fatalf("GET %s (%d): no csrf field in %s", path, p.Status, mainOf(p.Body))
	}
	return m[1]
}

// SignIn signs in with a token secret through the sign-in form.
func (w *Web) SignIn(secret string) Page {
	w.tb.Helper()
	p := w.Post("/login", url.Values{"csrf": {w.CSRF("/login")}, "token": {secret}})
	if p.Status != http.StatusSeeOther {
		w.tb.Fatalf("sign in: status %d, want 303: %s", p.Status, mainOf(p.Body))
	}
	return p
}

// mustWeb signs a new browser in as t.
func mustWeb(tb testing.TB, f *Fixture, t *Token) *Web {
	tb.Helper()
	w := newWeb(tb, f.URL)
	w.SignIn(t.Secret)
	return w
}

// formOf returns the hidden fields of the page's event form, ready to add
// the visible ones to.
func formOf(tb testing.TB, p Page) url.Values {
	tb.Helper()
	v := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`).FindAllStringSubmatch(p.Body, -1) {
		v.Set(m[1], m[2])
	}
	if v.Get("csrf") == "" || v.Get("type") == "" {
		tb.Fatalf("no event form in %s", mainOf(p.Body))
	}
	return v
}

var (
	tagRe   = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>`)
	voidTag = []string{"option", "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "rect", "line", "path"}
	idRe    = regexp.MustCompile(`\sid="([^"]+)"`)
	forRe   = regexp.MustCompile(`<label[^>]*\sfor="([^"]+)"`)
	ctrlRe  = regexp.MustCompile(`<(input|select|textarea)\b([^>]*)>`)
)

// mustValidHTML checks that a page is valid-ish HTML: a doctype, a lang,
// a title, balanced tags, unique IDs, a label for every visible control,
// and NFC text.
func mustValidHTML(tb testing.TB, path string, body string) {
	tb.Helper()
	if !strings.HasPrefix(body, "<!doctype html>") {
		tb.Errorf("%s: no doctype", path)
	}
	if !regexp.MustCompile(`<html lang="(vi|en)">`).MatchString(body) {
		tb.Errorf("%s: no <html lang>", path)
	}
	if !regexp.MustCompile(`<title>[^<]+</title>`).MatchString(body) {
		tb.Errorf("%s: no title", path)
	}
	if !norm.NFC.IsNormalString(body) {
		tb.Errorf("%s: text is not NFC", path)
	}
	// Drop script and style bodies, then check nesting.
	var stack []string
	for _, m := range tagRe.FindAllStringSubmatch(body, -1) {
		name := strings.ToLower(m[2])
		if slices.Contains(voidTag, name) || strings.HasSuffix(m[3], "/") {
			continue
		}
		if m[1] == "" {
			stack = append(stack, name)
			continue
		}
		if len(stack) == 0 || stack[len(stack)-1] != name {
			tb.Errorf("%s: </%s> closes %v", path, name, stack)
			return
		}
		stack = stack[:len(stack)-1]
	}
	if len(stack) != 0 {
		tb.Errorf("%s: unclosed tags %v", path, stack)
	}
	ids := map[string]bool{}
	for _, m := range idRe.FindAllStringSubmatch(body, -1) {
		if ids[m[1]] {
			tb.Errorf("%s: duplicate id %q", path, m[1])
		}
		ids[m[1]] = true
	}
	labelled := map[string]bool{}
	for _, m := range forRe.FindAllStringSubmatch(body, -1) {
		labelled[m[1]] = true
	}
	for _, m := range ctrlRe.FindAllStringSubmatch(body, -1) {
		if strings.Contains(m[2], `type="hidden"`) {
			continue
		}
		id := idRe.FindStringSubmatch(m[0])
		if id == nil || !labelled[id[1]] {
			tb.Errorf("%s: control without a label: %s", path, m[0])
		}
	}
}

// mustRecommendation issues a recommendation to partyWard through the
// recorder's form and returns its ID.
func mustRecommendation(tb testing.TB, w *Web, id string) {
	tb.Helper()
	p := w.Get("/items/recommendations/new")
	if p.Status != http.StatusOK {
		tb.Fatalf("new recommendation form: %d %s", p.Status, mainOf(p.Body))
	}
	form := formOf(tb, p)
	form.Set("id", id)
	form.Set("unit", unitWard)
	form.Set("occurred_at", "2025-06-02")
	form.Set("data.source_kind", "OTHER")
	form.Set("data.addressee_party_id", partyWard)
	form.Set("data.title", "Kiến nghị về công khai lịch tiếp công dân")
	form.Set("data.content", "Đề nghị Ủy ban nhân dân phường công khai lịch tiếp công dân tại trụ sở.")
	form.Set("data.issued_on", "2025-06-02")
	p = w.Post("/items/recommendations/new", form)
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/items/recommendations/"+id) {
		tb.Fatalf("issue: status %d location %q, want 303 to the item: %s", p.Status, p.Location, mainOf(p.Body))
	}
}

func TestWebPagesValidHTML(t *testing.T) {
	f := MustOpenServer(t)
	rec := mustWeb(t, f, f.Recorder)
	mustRecommendation(t, rec, "kn-web-1")
	f.MustWaitCheckpoint(t)
	for _, c := range []struct {
		name  string
		token *Token
		paths []string
	}{
		{"anonymous", nil, []string{"/login", "/login?lang=en"}},
		{"recorder", f.Recorder, []string{"/dashboard", "/items/recommendations", "/items/recommendations/kn-web-1", "/items/recommendations/kn-web-1?as_of=1", "/items/recommendations/kn-web-1?done=recommendation.issued.v1",
			"/items/recommendations/new", "/items/supervisions/new", "/items/critiques/new", "/items/recommendations/kn-web-1/step?type=recommendation.reminder_sent.v1",
			"/reports", "/inspect", "/trails/" + partyWard, "/items/parties/" + partyWard}},
		{"respondent", f.Respondent, []string{"/inbox", "/items/recommendations/kn-web-1", "/items/recommendations/kn-web-1/step?type=recommendation.response_submitted.v1"}},
		{"inspector", f.Inspector, []string{"/inspect", "/verify?position=3", "/items/recommendations/kn-web-1?as_of_date=2020-01-01", "/dashboard?lang=en"}},
		{"observer", f.Observer, []string{"/reports", "/reports?lang=en", "/dashboard", "/items/recommendations/kn-web-1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWeb(t, f.URL)
			if c.token != nil {
				w.SignIn(c.token.Secret)
			}
			for _, path := range c.paths {
				p := w.Get(path)
				if p.Status != http.StatusOK {
					t.Errorf("GET %s: status %d: %s", path, p.Status, mainOf(p.Body))
					continue
				}
				if ct := p.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
					t.Errorf("GET %s: Content-Type %q", path, ct)
				}
				if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
					t.Errorf("GET %s: CSP %q", path, csp)
				}
				mustValidHTML(t, path, p.Body)
			}
		})
	}
}

func TestWebSignIn(t *testing.T) {
	f := MustOpenServer(t)
	w := newWeb(t, f.URL)
	if p := w.Get("/dashboard"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login?next=%2Fdashboard") {
		t.Errorf("signed out: got %d %q, want a redirect to /login with next", p.Status, p.Location)
	}
	p := w.Post("/login", url.Values{"csrf": {w.CSRF("/login")}, "token": {"lgr_not-a-token"}})
	if p.Status != http.StatusUnauthorized || !strings.Contains(p.Body, `id="token-err"`) {
		t.Errorf("bad token: got %d, want 401 with the error next to the token field: %s", p.Status, mainOf(p.Body))
	}
	p = w.SignIn(f.Respondent.Secret)
	if p.Location != "/inbox" {
		t.Errorf("respondent home: got %q, want /inbox", p.Location)
	}
	var session *http.Cookie
	u, _ := url.Parse(f.URL)
	for _, c := range w.c.Jar.Cookies(u) {
		if c.Name == "ledger_session" {
			session = c
		}
	}
	if session == nil || strings.Contains(session.Value, f.Respondent.Secret) {
		t.Fatalf("session cookie: got %v, want one that does not hold the token", session)
	}
	// The cookie's attributes are those the server set.
	p2 := newWeb(t, f.URL)
	r := p2.Post("/login", url.Values{"csrf": {p2.CSRF("/login")}, "token": {f.Inspector.Secret}})
	sc := r.Header.Values("Set-Cookie")
	i := slices.IndexFunc(sc, func(s string) bool { return strings.HasPrefix(s, "ledger_session=") })
	if i < 0 || !strings.Contains(sc[i], "HttpOnly") || !strings.Contains(sc[i], "SameSite=Strict") || !strings.Contains(sc[i], "Max-Age=") {
		t.Errorf("Set-Cookie: got %q, want HttpOnly, SameSite=Strict and an expiry", sc)
	}
	// Signing out ends the session on the server.
	csrf := w.CSRF("/inbox")
	if p := w.Post("/logout", url.Values{"csrf": {csrf}}); p.Status != http.StatusSeeOther {
		t.Errorf("sign out: %d", p.Status)
	}
	if p := w.Get("/inbox"); p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location, "/login") {
		t.Errorf("after sign out: got %d %q, want a redirect to /login", p.Status, p.Location)
	}
}

func TestWebCSRF(t *testing.T) {
	f := MustOpenServer(t)
	w := mustWeb(t, f, f.Recorder)
	form := formOf(t, w.Get("/items/recommendations/new"))
	form.Set("unit", unitWard)
	form.Set("data.source_kind", "OTHER")
	form.Set("data.addressee_party_id", partyWard)
	form.Set("data.title", "Kiến nghị")
	form.Set("data.content", "Nội dung.")
	form.Set("data.issued_on", "2025-06-02")
	head := f.Head(t)
	for name, csrf := range map[string]string{"missing": "", "wrong": "x" + form.Get("csrf")} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("csrf", csrf)
		if csrf == "" {
			bad.Del("csrf")
		}
		p := w.Post("/items/recommendations/new", bad)
		if p.Status != http.StatusForbidden || !strings.Contains(p.Body, "CSRF") {
			t.Errorf("%s token: got %d, want 403 naming CSRF: %s", name, p.Status, mainOf(p.Body))
		}
	}
	// Another session's token is no good either.
	other := mustWeb(t, f, f.Recorder)
	stolen := url.Values{}
	for k, v := range form {
		stolen[k] = v
	}
	stolen.Set("csrf", other.CSRF("/dashboard"))
	if p := w.Post("/items/recommendations/new", stolen); p.Status != http.StatusForbidden {
		t.Errorf("another session's token: got %d, want 403", p.Status)
	}
	if p := w.Post("/logout", url.Values{}); p.Status != http.StatusForbidden {
		t.Errorf("sign out without a token: got %d, want 403", p.Status)
	}
	anon := newWeb(t, f.URL)
	if p := anon.Post("/login", url.Values{"token": {f.Recorder.Secret}}); p.Status != http.StatusForbidden {
		t.Errorf("sign in without the form's token: got %d, want 403", p.Status)
	}
	if got := f.Head(t); got != head {
		t.Errorf("log size: got %d, want %d (nothing written)", got, head)
	}
	// With the right token the same form records.
	if p := w.Post("/items/recommendations/new", form); p.Status != http.StatusSeeOther {
		t.Errorf("with the token: got %d, want 303: %s", p.Status, mainOf(p.Body))
	}
}

func TestWebSessionExpiry(t *testing.T) {
	f := MustOpenServer(t)
	srv := api.NewServer(f.Ledger, f.Store)
	srv.Views = f.Views
	srv.Now = f.Server.Now
	srv.Logger = f.Server.Logger
	srv.SessionTTL = 300 * time.Millisecond
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	w := newWeb(t, ts.URL)
	w.SignIn(f.Recorder.Secret)
	if p := w.Get("/dashboard"); p.Status != http.StatusOK {
		t.Fatalf("fresh session: got %d, want 200", p.Status)
	}
	csrf := w.CSRF("/dashboard")
	time.Sleep(500 * time.Millisecond)
	if p := w.Get("/dashboard"); p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "expired=1") {
		t.Errorf("expired session: got %d %q, want a redirect to /login?...expired=1", p.Status, p.Location)
	}
	if p := w.Post("/items/recommendations/new", url.Values{"csrf": {csrf}}); p.Status != http.StatusUnauthorized {
		t.Errorf("post on an expired session: got %d, want 401", p.Status)
	}
	if p := w.Get("/login?expired=1"); !strings.Contains(p.Body, "hết hạn") {
		t.Errorf("sign-in page after expiry: no notice")
	}
	// A revoked token ends its session at once.
	w2 := newWeb(t, ts.URL)
	tok := f.MustCreateToken(t, api.TokenRequest{Name: "Tạm thời", Role: events.RoleObserver, Unit: unitWard})
	w2.SignIn(tok.Secret)
	if _, err := f.Admin.RevokeToken(context.Background(), tok.ID, "thử nghiệm"); err != nil {
		t.Fatal(err)
	}
	if p := w2.Get("/reports"); p.Status != http.StatusSeeOther || !strings.Contains(p.Location, "/login") {
		t.Errorf("revoked token: got %d %q, want a redirect to /login", p.Status, p.Location)
	}
}

func TestWebRoles(t *testing.T) {
	f := MustOpenServer(t)
	rec := mustWeb(t, f, f.Recorder)
	mustRecommendation(t, rec, "kn-web-roles")
	head := f.Head(t)

	// An observer is offered no form, and a forged post is refused.
	obs := mustWeb(t, f, f.Observer)
	for _, c := range []string{"supervisions", "recommendations", "critiques"} {
		if p := obs.Get("/items/" + c + "/new"); p.Status != http.StatusForbidden || !strings.Contains(p.Body, `id="page-error"`) {
			t.Errorf("observer GET /items/%s/new: got %d, want 403 with the refusal", c, p.Status)
		}
	}
	csrf := obs.CSRF("/dashboard")
	if p := obs.Post("/items/recommendations/new", url.Values{"csrf": {csrf}, "data.title": {"x"}}); p.Status != http.StatusForbidden {
		t.Errorf("observer POST: got %d, want 403", p.Status)
	}
	p := obs.Get("/items/recommendations/kn-web-roles")
	if p.Status != http.StatusOK || strings.Contains(p.Body, `id="steps"`) || !strings.Contains(p.Body, `id="no-steps"`) {
		t.Errorf("observer item page: got %d, want the item without steps", p.Status)
	}
	if p := obs.Post("/items/recommendations/kn-web-roles/step", url.Values{"csrf": {csrf}, "type": {string(events.RecommendationReminderSent)}, "data.sent_on": {"2025-06-30"}}); p.Status != http.StatusForbidden {
		t.Errorf("observer step: got %d, want 403 from the API: %s", p.Status, mainOf(p.Body))
	}
	// A recorder of another ward may not even read the item, nor learn
	// that it exists.
	other := mustWeb(t, f, f.OtherRecorder)
	if p := other.Get("/items/recommendations/kn-web-roles"); p.Status != http.StatusNotFound {
		t.Errorf("other ward's recorder: got %d, want 404", p.Status)
	}
	// A respondent is offered the answer, not the recorder's steps.
	resp := mustWeb(t, f, f.Respondent)
	p = resp.Get("/items/recommendations/kn-web-roles")
	if !strings.Contains(p.Body, `data-type="recommendation.received.v1"`) || strings.Contains(p.Body, `data-type="recommendation.reminder_sent.v1"`) {
		t.Errorf("respondent steps: want received offered and reminder_sent not: %s", mainOf(p.Body))
	}
	if got := f.Head(t); got != head {
		t.Errorf("log size: got %d, want %d (nothing written)", got, head)
	}
}

func TestWebRecordAndAnswer(t *testing.T) {
	f := MustOpenServer(t)
	rec := mustWeb(t, f, f.Recorder)
	mustRecommendation(t, rec, "kn-web-2")

	resp := mustWeb(t, f, f.Respondent)
	step := func(typ events.Type, set map[string]string) Page {
		t.Helper()
		path := "/items/recommendations/kn-web-2/step?type=" + string(typ)
		form := formOf(t, resp.Get(path))
		for k, v := range set {
			form.Set(k, v)
		}
		return resp.Post(path, form)
	}
	// A double click posts the same form twice: it records once.
	head := f.Head(t)
	path := "/items/recommendations/kn-web-2/step?type=" + string(events.RecommendationReceived)
	form := formOf(t, resp.Get(path))
	form.Set("data.received_on", "2025-06-03")
	p1, p2 := resp.Post(path, form), resp.Post(path, form)
	if p1.Status != http.StatusSeeOther || p2.Status != http.StatusSeeOther {
		t.Fatalf("received twice: %d, %d: %s", p1.Status, p2.Status, mainOf(p1.Body))
	}
	if got := f.Head(t); got != head+1 {
		t.Errorf("log grew by %d, want 1", got-head)
	}
	// A validation error is shown next to its field, and nothing is written.
	head = f.Head(t)
	p := step(events.RecommendationResponseSubmitted, map[string]string{"data.responded_on": "2025-06-20", "data.outcome": "ACCEPTED", "data.text": ""})
	if p.Status != http.StatusBadRequest {
		t.Fatalf("empty answer: got %d, want 400", p.Status)
	}
	if !regexp.MustCompile(`(?s)<textarea id="f-data-text" name="data.text"[^>]*aria-invalid="true".*?<p class="err field-error" role="alert" id="f-data-text-err" data-for="data.text">`).MatchString(p.Body) {
		t.Errorf("empty answer: the error is not next to data.text: %s", mainOf(p.Body))
	}
	if f.Head(t) != head {
		t.Errorf("a refused form wrote to the log")
	}
	p = step(events.RecommendationResponseSubmitted, map[string]string{"data.responded_on": "2025-06-20", "data.outcome": "ACCEPTED",
		"data.text": "Ủy ban nhân dân phường tiếp thu, đã niêm yết lịch tiếp công dân.", "data.planned_actions": "Niêm yết lịch\nCông khai trên cổng thông tin"})
	if p.Status != http.StatusSeeOther {
		t.Fatalf("answer: %d %s", p.Status, mainOf(p.Body))
	}
	p = rec.Get("/items/recommendations/kn-web-2")
	if !strings.Contains(p.Body, `data-status="responded"`) || !strings.Contains(p.Body, "Công khai trên cổng thông tin") {
		t.Errorf("recorder sees: %s", mainOf(p.Body))
	}
}

func TestWebLanguage(t *testing.T) {
	f := MustOpenServer(t)
	w := newWeb(t, f.URL)
	p := w.Get("/login")
	if !strings.Contains(p.Body, `<html lang="vi">`) || !strings.Contains(p.Body, "Mã truy cập") {
		t.Errorf("default: want Vietnamese")
	}
	p = w.Get("/login?lang=en")
	if !strings.Contains(p.Body, `<html lang="en">`) || !strings.Contains(p.Body, "Access token") {
		t.Errorf("?lang=en: want English")
	}
	p = w.Get("/login")
	if !strings.Contains(p.Body, `<html lang="en">`) {
		t.Errorf("the choice is not remembered")
	}
	w.SignIn(f.Recorder.Secret)
	if p := w.Get("/dashboard"); !strings.Contains(p.Body, "Overdue recommendations") || !strings.Contains(p.Body, `href="/dashboard?lang=vi"`) {
		t.Errorf("dashboard in English with a switch back: %s", mainOf(p.Body))
	}
	if p := w.Get("/dashboard?lang=vi"); !strings.Contains(p.Body, "Kiến nghị quá hạn chưa trả lời") {
		t.Errorf("switch back to Vietnamese")
	}
}

// TestWebDashboardSaysWhenThereIsMore: the dashboard shows the first 50
// overdue recommendations and counts them "50+" when there are more.
func TestWebDashboardSaysWhenThereIsMore(t *testing.T) {
	// A recorder's dashboard over n recommendations received and never
	// answered (overdue at the fixture's date).
	dashboard := func(n int) string {
		f := MustOpenServer(t)
		for i := range n {
			id := fmt.Sprintf("kn-many-%d", i)
			f.MustIssue(t, f.Recorder, id, unitWard, partyWard)
			f.MustAppend(t, f.Recorder, "recommendations", id, receivedRequest)
		}
		f.MustWaitCheckpoint(t)
		w := newWeb(t, f.URL)
		w.SignIn(f.Recorder.Secret)
		return w.Get("/dashboard").Body
	}
	// overdueOf is the dashboard's section of overdue recommendations.
	overdueOf := func(body string) string {
		_, overdue, _ := strings.Cut(body, `id="h-overdue"`)
		overdue, _, _ = strings.Cut(overdue, `id="h-soon"`)
		return overdue
	}
	body := dashboard(51)
	overdue := overdueOf(body)
	if !strings.Contains(overdue, `>Kiến nghị quá hạn chưa trả lời <span class="count">50+</span>`) ||
		strings.Count(overdue, `href="/items/recommendations/kn-many-`) != 50 {
		t.Errorf("51 overdue recommendations: want 50 shown, counted 50+: %s", mainOf(body))
	}
	// Fewer than a page: no "+".
	if body := dashboard(3); !strings.Contains(overdueOf(body), `<span class="count">3</span>`) {
		t.Errorf("3 overdue recommendations: want counted 3: %s", mainOf(body))
	}
}

func TestWebInspect(t *testing.T) {
	f := MustOpenServer(t)
	rec := mustWeb(t, f, f.Recorder)
	mustRecommendation(t, rec, "kn-web-3")
	f.MustWaitCheckpoint(t)
	ins := mustWeb(t, f, f.Inspector)
	p := ins.Get("/items/recommendations/kn-web-3")
	m := regexp.MustCompile(`<li data-position="(\d+)" data-type="recommendation.issued.v1">`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("timeline: no issued event: %s", mainOf(p.Body))
	}
	p = ins.Get("/verify?position=" + m[1])
	if !strings.Contains(p.Body, `data-ok="true"`) {
		t.Errorf("verify: %s", mainOf(p.Body))
	}
	p = ins.Get("/items/recommendations/kn-web-3?as_of=" + m[1])
	if !strings.Contains(p.Body, `id="asof-banner"`) || !strings.Contains(p.Body, `data-status="issued"`) || strings.Contains(p.Body, `id="steps"`) {
		t.Errorf("as of: %s", mainOf(p.Body))
	}
	p = ins.Get("/items/recommendations/kn-web-3?as_of_date=2020-01-01")
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Hồ sơ chưa có tại thời điểm này") {
		t.Errorf("as of a date before: %d %s", p.Status, mainOf(p.Body))
	}
	p = ins.Get("/trails/" + partyWard + "/bundle")
	if p.Status != http.StatusOK || !strings.Contains(p.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("bundle: %d %s", p.Status, mainOf(p.Body))
	}
	key, _ := io.ReadAll(bytes.NewReader(f.Do(t, "GET", "/v1/log/key", "", nil).Body))
	if _, err := events.VerifyBundle([]byte(p.Body), strings.TrimSpace(string(key))); err != nil {
		t.Errorf("the downloaded bundle does not verify: %v", err)
	}
	if p := ins.Get("/inspect?collection=recommendations&id=kn-web-3"); p.Location != "/items/recommendations/kn-web-3" {
		t.Errorf("inspect search: %q", p.Location)
	}
}

func TestWebReports(t *testing.T) {
	f := MustOpenServer(t)
	mustRecommendation(t, mustWeb(t, f, f.Recorder), "kn-web-4")
	obs := mustWeb(t, f, f.Observer)
	p := obs.Get("/reports?from=2024-07-01&to=2025-06-30")
	if p.Status != http.StatusOK || strings.Count(p.Body, "<svg") < 1 || !strings.Contains(p.Body, "Q2/2025") {
		t.Errorf("reports: %d %s", p.Status, mainOf(p.Body))
	}
	csv := obs.Get("/reports.csv?from=2024-07-01&to=2025-06-30")
	if csv.Status != http.StatusOK || !strings.HasPrefix(csv.Body, "\uFEFF") || !strings.Contains(csv.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("CSV: %d %q %.200s", csv.Status, csv.Header.Get("Content-Type"), csv.Body)
	}
	resp := mustWeb(t, f, f.Respondent)
	if p := resp.Get("/reports"); p.Status != http.StatusForbidden {
		t.Errorf("respondent reports: got %d, want 403", p.Status)
	}
}

// TestWebReportAsOf: the report page reads as_of (a log position, or a
// date) as the list, item and trail pages do: it names the position and
// covering checkpoint, counts what was recorded by then, keeps the point
// in its CSV link and its form, and links back to the present.
func TestWebReportAsOf(t *testing.T) {
	f := MustOpenServer(t)
	rec := mustWeb(t, f, f.Recorder)
	mustRecommendation(t, rec, "kn-asof-1")
	before := f.MustWaitApplied(t)
	mustRecommendation(t, rec, "kn-asof-2")
	f.MustWaitCheckpoint(t)
	obs := mustWeb(t, f, f.Observer)
	issued := regexp.MustCompile(`<dt>Kiến nghị đã ban hành</dt><dd>(\d+)</dd>`)
	count := func(p Page) string {
		m := issued.FindStringSubmatch(p.Body)
		if m == nil {
			t.Fatalf("no count of recommendations issued: %d %s", p.Status, mainOf(p.Body))
		}
		return m[1]
	}
	now := obs.Get("/reports?from=2025-01-01&to=2025-12-31")
	then := obs.Get(fmt.Sprintf("/reports?from=2025-01-01&to=2025-12-31&as_of=%d", before))
	if now.Status != http.StatusOK || then.Status != http.StatusOK || count(now) != "2" || count(then) != "1" {
		t.Fatalf("issued now %s, as of %d %s", count(now), before, count(then))
	}
	if !strings.Contains(then.Body, `id="asof-banner"`) || !strings.Contains(then.Body, fmt.Sprintf("<strong>%d</strong>", before)) ||
		strings.Contains(now.Body, `id="asof-banner"`) {
		t.Errorf("the banner names the point read: %s", mainOf(then.Body))
	}
	if !strings.Contains(then.Body, fmt.Sprintf(`as_of=%d`, before)) || !strings.Contains(then.Body, fmt.Sprintf(`name="as_of" value="%d"`, before)) {
		t.Errorf("the CSV link or the form does not keep the point read: %s", mainOf(then.Body))
	}
	csv := obs.Get(fmt.Sprintf("/reports.csv?from=2025-01-01&to=2025-12-31&as_of=%d", before))
	if csv.Status != http.StatusOK || !strings.Contains(csv.Body, fmt.Sprint(before)) {
		t.Errorf("the CSV as of %d: %d %.300s", before, csv.Status, csv.Body)
	}
	// A date: the end of that day in Vietnam's time, before anything was
	// recorded here.
	if p := obs.Get("/reports?from=2025-01-01&to=2025-12-31&as_of_date=2020-01-01"); p.Status != http.StatusOK || count(p) != "0" {
		t.Errorf("as of 2020-01-01: %d, issued %s", p.Status, count(p))
	}
}

func TestWebKeepsAPIRoutes(t *testing.T) {
	f := MustOpenServer(t)
	MustError(t, f.Do(t, "GET", "/v1/no-such-route", f.Inspector.Secret, nil), http.StatusNotFound, events.ENotFound, "path")
	if r := f.Do(t, "GET", "/healthz", "", nil); r.Status != http.StatusOK {
		t.Errorf("/healthz: %d", r.Status)
	}
	if r := f.Do(t, "GET", "/", "", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Đăng nhập") {
		// The test client follows the redirect to the sign-in page.
		t.Errorf("/: %d", r.Status)
	}
}

// mainOf returns the main part of a page, for messages.
func mainOf(body string) string {
	if i := strings.Index(body, "<main"); i >= 0 {
		body = body[i:]
	}
	if i := strings.Index(body, "</main>"); i >= 0 {
		body = body[:i]
	}
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	return body
}

// A party owing more than the page shows: the trail page lists the latest
// 200 obligations and events and links to all of them.
func TestWebTrailLatest(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	const n = 205
	for i := range n {
		id := fmt.Sprintf("kn-many-%03d", i)
		f.MustIssue(t, f.Recorder, id, unitWard, partyWard)
		f.MustAppend(t, f.Recorder, "recommendations", id, receivedRequest)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.Views.WaitPosition(ctx, f.MustWaitApplied(t)); err != nil {
		t.Fatal(err)
	}
	ins := mustWeb(t, f, f.Inspector)
	rows := regexp.MustCompile(`<tr><td>[^<]*<br><small>`)
	p := ins.Get("/trails/" + partyWard)
	if got := len(rows.FindAllString(p.Body, -1)); p.Status != http.StatusOK || got != 200 || !strings.Contains(p.Body, `id="trail-more"`) ||
		!strings.Contains(p.Body, "kn-many-204") || strings.Contains(p.Body, "kn-many-000<") {
		t.Fatalf("trail: %d, %d obligation rows: %s", p.Status, got, mainOf(p.Body))
	}
	if !strings.Contains(p.Body, fmt.Sprintf("200/%d", n)) || strings.Count(p.Body, "<li><code>OB_NO_RESPONSE</code>") != 200 {
		t.Errorf("trail: the counts are not shown: %s", mainOf(p.Body))
	}
	p = ins.Get("/trails/" + partyWard + "?all=1")
	if got := len(rows.FindAllString(p.Body, -1)); got != n || strings.Contains(p.Body, `id="trail-more"`) {
		t.Errorf("trail with all=1: %d obligation rows, want %d", got, n)
	}
}
