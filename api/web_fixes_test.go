package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
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

// The Verify page gives a verdict on the history only: an event the
// reader may not read (403) or a position the log does not have (404) is
// the error page with that status, not "NOT valid"; the timeline offers
// no Verify on an event withheld from the reader. (Found by an audit.)
func TestWebVerifyUnreadable(t *testing.T) {
	f := MustOpenServer(t)
	conf := issueRequest("kn-mat-1", unitWard, partyWard)
	conf.Classification = "confidential"
	res := f.MustCreate(t, f.Recorder, "recommendations", conf)
	f.MustWaitCheckpoint(t)
	obs := mustWeb(t, f, f.Observer)
	pos := strconv.FormatUint(res.Position, 10)
	if item := obs.Get("/items/recommendations/kn-mat-1"); item.Status != http.StatusOK || strings.Contains(item.Body, `href="/verify?position=`+pos+`"`) {
		t.Errorf("observer's timeline (%d) offers Verify on the withheld event at %s", item.Status, pos)
	}
	if p := obs.Get("/verify?position=" + pos); p.Status != http.StatusForbidden || strings.Contains(p.Body, `data-ok="false"`) {
		t.Errorf("observer, confidential event: %d: %s", p.Status, mainOf(p.Body))
	}
	ins := mustWeb(t, f, f.Inspector)
	if p := ins.Get("/verify?position=999999"); p.Status != http.StatusNotFound || strings.Contains(p.Body, `data-ok="false"`) {
		t.Errorf("no such position: %d: %s", p.Status, mainOf(p.Body))
	}
	if p := ins.Get("/verify?position=" + pos); p.Status != http.StatusOK || !strings.Contains(p.Body, `data-ok="true"`) {
		t.Errorf("inspector, the same event: %d: %s", p.Status, mainOf(p.Body))
	}
}

// /inbox is a respondent's (what is addressed to its body): other roles
// are sent to their home page. (Found by an audit: it listed everything
// in their scope under "only items addressed to your body".)
func TestWebInboxIsForRespondents(t *testing.T) {
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "kn-inbox", unitWard, partyWard)
	f.MustWaitApplied(t)
	if p := mustWeb(t, f, f.Observer).Get("/inbox"); p.Status != http.StatusSeeOther || p.Location != "/reports" {
		t.Errorf("observer /inbox: %d to %q", p.Status, p.Location)
	}
	if p := mustWeb(t, f, f.Respondent).Get("/inbox"); p.Status != http.StatusOK || !strings.Contains(p.Body, "kn-inbox") {
		t.Errorf("respondent /inbox: %d: %s", p.Status, mainOf(p.Body))
	}
}

// A withheld event is labelled as withheld from the reader's role, not as
// confidential: here it is internal, withheld for the denouncer's personal
// data. The Inspect page's labels are Vietnamese. (Found by an audit.)
func TestWebLabels(t *testing.T) {
	f := MustOpenServer(t)
	f.MustDenunciation(t, "tc-lbl")
	f.MustWaitCheckpoint(t)
	p := mustWeb(t, f, f.Respondent).Get("/items/petitions/tc-lbl")
	if strings.Contains(p.Body, "nội dung mật") || !strings.Contains(p.Body, "(nội dung đã ẩn với vai trò của bạn)") {
		t.Errorf("the withheld event's label: %s", mainOf(p.Body))
	}
	ins := mustWeb(t, f, f.Inspector).Get("/inspect")
	if strings.Contains(ins.Body, "<dt>Origin</dt>") || !strings.Contains(ins.Body, `<label for="i-coll">Loại hồ sơ</label>`) {
		t.Errorf("Inspect page labels: %s", mainOf(ins.Body))
	}
}

// Small bad input gets the right answer: a step page without a type is
// 400; an unknown collection or an ID with a slash under /items/ is the
// HTML 404 page; the Inspect page names a bad collection or ID; a report
// over more than 12 years is drawn without the time chart the API cannot
// split. (Found by an audit.)
func TestWebBadInputAnswers(t *testing.T) {
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "kn-bad", unitWard, partyWard)
	f.MustWaitApplied(t)
	w := mustWeb(t, f, f.Recorder)
	if p := w.Get("/items/recommendations/kn-bad/step"); p.Status != http.StatusBadRequest {
		t.Errorf("step page without ?type: %d, want 400", p.Status)
	}
	for _, path := range []string{"/items/nope", "/items/recommendations/KN%2F2025%2F01", "/trails/ubnd%2F21607"} {
		if p := w.Get(path); p.Status != http.StatusNotFound || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", path, p.Status, p.Header.Get("Content-Type"))
		}
	}
	if p := w.Get("/v1/nope"); p.Status != http.StatusNotFound || !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
		t.Errorf("/v1/nope: %d %s, want the API's JSON 404", p.Status, p.Header.Get("Content-Type"))
	}
	ins := mustWeb(t, f, f.Inspector)
	for _, q := range []string{"collection=nope&id=kn-1", "collection=recommendations&id=KN/2025/01", "party=ubnd/21607"} {
		if p := ins.Get("/inspect?" + q); p.Status != http.StatusBadRequest || !strings.Contains(p.Body, `role="alert"`) {
			t.Errorf("/inspect?%s: %d", q, p.Status)
		}
	}
	if p := w.Get("/reports?from=2010-01-01&to=2025-06-30"); p.Status != http.StatusOK {
		t.Errorf("reports 2010-2025: %d %s", p.Status, mainOf(p.Body))
	}
}

// The notice after a step names the event at the position the redirect
// gives, if this item has it: a link cannot make the page confirm
// anything else. (Found by an audit: ?done= showed any text.)
func TestWebDoneNotice(t *testing.T) {
	f := MustOpenServer(t)
	issued := f.MustIssue(t, f.Recorder, "kn-done", unitWard, partyWard)
	other := f.MustIssue(t, f.Recorder, "kn-other", unitWard, partyWard)
	f.MustWaitApplied(t)
	w := mustWeb(t, f, f.Recorder)
	for _, done := range []string{url.QueryEscape("Kiến nghị đã được trả lời đầy đủ"), string(events.RecommendationClosed), strconv.FormatUint(other.Position, 10)} {
		if p := w.Get("/items/recommendations/kn-done?done=" + done); strings.Contains(p.Body, `id="done"`) {
			t.Errorf("?done=%s shows a notice: %s", done, mainOf(p.Body))
		}
	}
	if p := w.Get("/items/recommendations/kn-done?done=" + strconv.FormatUint(issued.Position, 10)); !strings.Contains(p.Body, `id="done"`) {
		t.Errorf("?done= the item's own event shows no notice: %s", mainOf(p.Body))
	}
}

// After "the state here" (as_of=P), a date picked in the as-of form is
// what is asked for: the form sends both, and the one changed from what
// the page showed wins. (Found by an audit: the position always won.)
func TestWebAsOfDateAfterPosition(t *testing.T) {
	f := MustOpenServer(t)
	res := f.MustIssue(t, f.Recorder, "kn-asof", unitWard, partyWard)
	f.MustWaitCheckpoint(t)
	ins := mustWeb(t, f, f.Inspector)
	pos := strconv.FormatUint(res.Position, 10)
	p := ins.Get("/items/recommendations/kn-asof?as_of=" + pos)
	if !strings.Contains(p.Body, `name="as_of" value="`+pos+`"`) || !strings.Contains(p.Body, `name="shown_as_of" value="`+pos+`"`) {
		t.Fatalf("the as-of form does not show the position: %s", mainOf(p.Body))
	}
	// The form as a browser sends it: the date picked, the position as it was.
	p = ins.Get("/items/recommendations/kn-asof?shown_as_of=" + pos + "&shown_as_of_date=&as_of_date=2020-01-01&as_of=" + pos)
	if !strings.Contains(p.Body, `id="asof-banner"`) || strings.Contains(p.Body, `name="as_of" value="`+pos+`"`) || !strings.Contains(p.Body, `value="2020-01-01"`) {
		t.Errorf("as of 2020-01-01 after viewing position %s: %s", pos, mainOf(p.Body))
	}
	// A position typed after a date view wins the same way.
	p = ins.Get("/items/recommendations/kn-asof?shown_as_of=&shown_as_of_date=2020-01-01&as_of_date=2020-01-01&as_of=" + pos)
	if !strings.Contains(p.Body, `name="as_of" value="`+pos+`"`) || strings.Contains(p.Body, `value="2020-01-01"`) {
		t.Errorf("position %s after viewing 2020-01-01: %s", pos, mainOf(p.Body))
	}
}

// After a version conflict (a step recorded since the form was opened)
// the form comes back at the record's current version, so sending it
// again, once checked, goes through. (Found by an audit: it kept the old
// version, and every re-post failed.)
func TestWebConflictRefreshesVersion(t *testing.T) {
	f := MustOpenServer(t)
	f.MustIssue(t, f.Recorder, "kn-ver", unitWard, partyWard)
	f.MustWaitApplied(t)
	resp := mustWeb(t, f, f.Respondent)
	path := "/items/recommendations/kn-ver/step?type=" + string(events.RecommendationResponseSubmitted)
	form := formOf(t, resp.Get(path))
	form.Set("data.responded_on", "2025-06-20")
	form.Set("data.outcome", "ACCEPTED")
	form.Set("data.text", "Ủy ban nhân dân phường tiếp thu.")
	f.MustAppend(t, f.Recorder, "recommendations", "kn-ver", reminderRequest) // meanwhile
	f.MustWaitApplied(t)
	p := resp.Post(path, form)
	if p.Status != http.StatusConflict {
		t.Fatalf("want 409 for the stale version, got %d", p.Status)
	}
	again := formOf(t, p)
	if again.Get("version") != "2" {
		t.Errorf("the form after the conflict is at version %q, want 2", again.Get("version"))
	}
	for k, v := range form {
		if again.Get(k) == "" {
			again[k] = v
		}
	}
	if p2 := resp.Post(path, again); p2.Status != http.StatusSeeOther {
		t.Errorf("re-posting the refreshed form: %d: %s", p2.Status, mainOf(p2.Body))
	}
}

// The forms and pages of petitions, information requests, contributions,
// units and parties are in Vietnamese: headings, labels, values (Có/Không
// for a yes or no), and a citizen as labelled lines, typed in a line each
// rather than as JSON; the posted lines make the person. (Found by an
// audit: they showed raw names, codes and JSON.)
func TestWebAggregatesInVietnamese(t *testing.T) {
	f := MustOpenServer(t)
	f.MustCreate(t, f.Recorder, "petitions", api.EventRequest{ID: "tc-i18n", Type: events.PetitionReceived, Unit: unitWard, OccurredAt: "2023-03-14T08:00:00+07:00",
		Data: json.RawMessage(`{"channel":"MAIL","received_on":"2023-03-14","petition_kind":"DENUNCIATION","anonymous":false,"petitioner":{"name":"Trần Thị Tố","phone":"0905 111 222"},"summary":"Tố cáo cán bộ địa chính"}`)})
	f.MustWaitApplied(t)
	w := mustWeb(t, f, f.Recorder)
	admin := mustWeb(t, f, f.Admin)
	raw := regexp.MustCompile(`<h1>(received|collected|registered)</h1>|<label for="[^"]+"[^>]*>(petition kind|anonymous|petitioner|requester |purpose|target party id |collected on |level |party kind )`)
	for _, c := range []struct {
		w    *Web
		path string
	}{{w, "/items/petitions/new"}, {w, "/items/info-requests/new"}, {w, "/items/contributions/new"}, {admin, "/items/units/new"}, {admin, "/items/parties/new"}} {
		p := c.w.Get(c.path)
		if m := raw.FindAllString(p.Body, -1); p.Status != http.StatusOK || len(m) > 0 {
			t.Errorf("GET %s (%d): untranslated %q", c.path, p.Status, m)
		}
	}
	p := w.Get("/items/petitions/tc-i18n")
	for _, s := range []string{`<strong>received</strong>`, `<dt>petition kind</dt>`, `<dd>MAIL</dd>`, `<dd>false</dd>`, `<dd>{&#34;name&#34;`} {
		if strings.Contains(p.Body, s) {
			t.Errorf("petition page shows %s", s)
		}
	}
	for _, s := range []string{"Tiếp nhận đơn", "Loại đơn", "Tố cáo", "Qua bưu điện", "Không", "Họ và tên: Trần Thị Tố", "Điện thoại: 0905 111 222"} {
		if !strings.Contains(p.Body, s) {
			t.Errorf("petition page has no %q: %s", s, mainOf(p.Body))
		}
	}
	// The form's person lines make the petitioner.
	form := formOf(t, w.Get("/items/petitions/new?type="+string(events.PetitionReceived)))
	for k, v := range map[string]string{"id": "tc-form", "unit": unitWard, "data.channel": "RECEPTION", "data.received_on": "2023-03-20", "data.petition_kind": "COMPLAINT",
		"data.petitioner.name": "Lê Văn Khiếu", "data.petitioner.address": "Thôn 1", "data.summary": "Khiếu nại về đất đai"} {
		form.Set(k, v)
	}
	if p := w.Post("/items/petitions/new?type="+string(events.PetitionReceived), form); p.Status != http.StatusSeeOther {
		t.Fatalf("petition form: %d: %s", p.Status, mainOf(p.Body))
	}
	f.MustWaitApplied(t)
	r := f.Do(t, "GET", "/v1/petitions/tc-form", f.Recorder.Secret, nil)
	if !strings.Contains(string(r.Body), `"petitioner":{"name":"Lê Văn Khiếu","address":"Thôn 1"}`) {
		t.Errorf("the petition recorded from the form: %s", r.Body)
	}
}

// The report page of a period under 12 years that touches 13 calendar
// years (the API's quarterly series splits at most 12: the page drops the
// chart, not the report), and of a period that ends before today with no
// from (the default eight quarters counted back from to, not from today,
// which made from after to), is shown; the page shows the figures by form
// and the answers' outcomes and implementation (helper-53).
func TestWebReportPeriods(t *testing.T) {
	f := MustOpenServer(t)
	mustRecommendation(t, mustWeb(t, f, f.Recorder), "kn-rp")
	ins := mustWeb(t, f, f.Inspector)
	for _, q := range []string{"from=2013-12-31&to=2025-01-01", "to=2020-06-30", "from=2014-01-01&to=2025-12-31"} {
		if p := ins.Get("/reports?unit=" + unitWard + "&" + q); p.Status != http.StatusOK {
			t.Errorf("/reports?%s: %d %s", q, p.Status, mainOf(p.Body))
		}
	}
	p := ins.Get("/reports?unit=" + unitWard + "&from=2025-01-01&to=2025-12-31")
	for _, want := range []string{"Kiến nghị đã được nhận", "Tiếp thu một phần", "Đã xác minh thực hiện", "Đang thực hiện"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the report page has no %q", want)
		}
	}
}

// The list page reads as_of (a position or a date, as an item's page and a
// trail do), the period (from, to) and limit: it ignored them. At a point
// it names the position and checkpoint, links its items to their state
// then, and offers no creation; its next page stays at that position.
func TestWebListAsOf(t *testing.T) {
	f := MustOpenServer(t)
	rec := mustWeb(t, f, f.Recorder)
	mustRecommendation(t, rec, "kn-l1")
	before := f.Head(t)
	mustRecommendation(t, rec, "kn-l2")
	f.MustWaitCheckpoint(t)
	ins := mustWeb(t, f, f.Inspector)
	now := ins.Get("/items/recommendations")
	if !strings.Contains(now.Body, "/items/recommendations/kn-l2\"") || strings.Contains(now.Body, `id="asof-banner"`) {
		t.Fatalf("the list now: %s", mainOf(now.Body))
	}
	past := ins.Get(fmt.Sprintf("/items/recommendations?as_of=%d", before))
	if past.Status != http.StatusOK || strings.Contains(past.Body, "kn-l2") || !strings.Contains(past.Body, fmt.Sprintf("/items/recommendations/kn-l1?as_of=%d\"", before)) ||
		!strings.Contains(past.Body, `id="asof-banner"`) || strings.Contains(past.Body, `id="new-item"`) {
		t.Errorf("the list as of %d: %d %s", before, past.Status, mainOf(past.Body))
	}
	if p := ins.Get("/items/recommendations?as_of_date=2020-01-01"); p.Status != http.StatusOK || strings.Contains(p.Body, "kn-l1") || !strings.Contains(p.Body, `id="asof-banner"`) {
		t.Errorf("the list as of 2020-01-01: %d %s", p.Status, mainOf(p.Body))
	}
	if p := ins.Get("/items/recommendations?from=2025-06-01&to=2025-06-30&limit=1"); p.Status != http.StatusOK ||
		strings.Count(p.Body, "/items/recommendations/kn-l") != 1 || !strings.Contains(p.Body, "limit=1") {
		t.Errorf("June 2025, one a page: %d %s", p.Status, mainOf(p.Body))
	}
	if p := ins.Get("/items/recommendations?from=2025-07-01"); strings.Contains(p.Body, "/items/recommendations/kn-l") {
		t.Errorf("from July 2025 (both issued in June): %s", mainOf(p.Body))
	}
	// Filters the form has no field for are kept when it is sent again
	// (helper-54: they were dropped).
	p := ins.Get("/items/recommendations?form=OTHER&limit=1&unit=" + unitWard)
	for _, want := range []string{`name="form" value="OTHER"`, `name="limit" value="1"`, `name="unit" value="` + unitWard + `"`} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("the list's form does not keep %s: %s", want, mainOf(p.Body))
		}
	}
}
