package api_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// C and ID are the selectors of the browser test.
type (
	C  = chromedp.CSS
	ID = chromedp.ID
)

// chromePath finds the browser the browser tests drive: $LEDGER_CHROME, or
// Debian's chromium (which .ci/run installs).
func chromePath() string {
	if p := os.Getenv("LEDGER_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// testOut is where the browser tests write screenshots: $LEDGER_TESTOUT,
// or testout/web at the top of the module (git-ignored).
func testOut(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("LEDGER_TESTOUT")
	if dir == "" {
		dir = filepath.Join("..", "testout", "web")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

// TestWebBrowser drives the workspace in a real headless Chromium at a
// phone's width (360 px): a recorder signs in, plans a supervision, issues
// a recommendation and trips a validation error; the respondent answers
// it; an inspector follows it in the timeline, in the as-of view and
// verifies its inclusion; an observer reads the reports and is refused a
// form. Screenshots of the main pages go to testout/web.
func TestWebBrowser(t *testing.T) {
	chrome := chromePath()
	if chrome == "" {
		t.Skip("chromium not found, so the browser test does not run: install it (Debian: apt-get install -y chromium; .ci/run does) " +
			"or set LEDGER_CHROME to a Chrome or Chromium binary, then run go test ./api -run TestWebBrowser")
	}
	f := MustOpenServer(t)
	out := testOut(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox, // CI runs as root
		chromedp.WindowSize(360, 780),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "vi-VN"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	// The whole test is bounded; so is every step.
	bctx, cancelAll := context.WithTimeout(bctx, 150*time.Second)
	defer cancelAll()
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(360, 780, chromedp.EmulateMobile), chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", chrome, err)
	}
	mainText := func() string {
		ctx, cancel := context.WithTimeout(bctx, 5*time.Second)
		defer cancel()
		s, _ := chromedp.Run(ctx, chromedp.Text(C("main")))
		return s
	}
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v\npage: %.1500s", what, err, mainText())
		}
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(out, name+".png"), buf, 0o644)
		})
	}
	text := func(sel string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		s, err := chromedp.Run(ctx, chromedp.Text(C(sel)))
		if err != nil {
			t.Fatalf("read %s: %v\npage: %.1500s", sel, err, mainText())
		}
		return strings.TrimSpace(s)
	}
	attr := func(sel, name string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		r, err := chromedp.Run(ctx, chromedp.AttributeValue(C(sel), name))
		if err != nil {
			t.Fatalf("read %s[%s]: %v\npage: %.1500s", sel, name, err, mainText())
		}
		return r.Value
	}
	signIn := func(tok *Token, landing string) {
		t.Helper()
		run("sign in",
			chromedp.Navigate(f.URL+"/"),
			chromedp.WaitVisible(ID("token")),
			chromedp.SendKeys(ID("token"), tok.Secret),
			chromedp.Click(ID("login-submit")),
			chromedp.WaitVisible(C(landing)),
		)
	}
	signOut := func() {
		t.Helper()
		run("sign out", chromedp.Click(C(`form[action="/logout"] button`)), chromedp.WaitVisible(ID("token")))
	}
	fill := func(values map[string]string) chromedp.Action[chromedp.Void] {
		var as []chromedp.Action[chromedp.Void]
		for id, v := range values {
			set := chromedp.SetValue(ID(id), v)
			if v == "" {
				// SetValue checks the value it set, and reads "" as a failure.
				set = chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
					_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(document.getElementById(%q).value = "") === ""`, id))(ctx, tg)
					return err
				})
			}
			as = append(as, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				// A node found a moment before the document settled may be
				// gone by the time it is set ("No node with given id", seen
				// once on a loaded machine): find it again, a few times.
				var err error
				for try := 0; try < 5; try++ {
					if _, err = set(ctx, tg); err == nil || !strings.Contains(err.Error(), "No node") {
						break
					}
					select {
					case <-ctx.Done():
						return ctx.Err()
					case <-time.After(200 * time.Millisecond):
					}
				}
				if err != nil {
					return fmt.Errorf("set #%s to %q: %w", id, v, err)
				}
				return nil
			}))
		}
		return chromedp.Steps(as...)
	}

	// A recorder: the sign-in page, the dashboard, a supervision planned.
	run("sign-in page", chromedp.Navigate(f.URL+"/"), chromedp.WaitVisible(ID("token")), shot("01-dang-nhap"))
	signIn(f.Recorder, "#new-supervisions")
	run("dashboard", shot("02-tong-quan"), chromedp.Click(ID("new-supervisions")), chromedp.WaitVisible(ID("event-form")))
	run("plan a supervision",
		fill(map[string]string{
			"f-id": "gs-web-1", "f-data-title": "Giám sát việc tiếp công dân năm 2025",
			"f-data-topic":             "Việc thực hiện Luật Tiếp công dân của Ủy ban nhân dân phường",
			"f-data-form":              "DELEGATION",
			"f-data-mode":              "UNSCHEDULED",
			"f-data-subject_party_ids": partyWard,
		}),
		shot("03-lap-ke-hoach-giam-sat"),
		chromedp.Click(ID("form-submit")),
		chromedp.WaitVisible(ID("done")),
	)
	if got := text("#item-status"); got != "Đã lập kế hoạch" {
		t.Errorf("supervision status: got %q, want Đã lập kế hoạch", got)
	}
	run("supervision steps", chromedp.WaitVisible(C(`#steps a[data-type="supervision.delegation_established.v1"]`)), shot("04-cuoc-giam-sat"))

	// Issue a recommendation from the dashboard's action, first with the
	// title left out: the API's error appears next to the title.
	newRec := func() {
		run("recommendation form", chromedp.Navigate(f.URL+"/dashboard"), chromedp.WaitVisible(ID("new-recommendations")),
			chromedp.Click(ID("new-recommendations")), chromedp.WaitVisible(ID("event-form")))
	}
	recValues := map[string]string{"f-id": "kn-web-b", "f-data-source_kind": "SUPERVISION", "f-data-source_id": "gs-web-1",
		"f-data-addressee_party_id": partyWard, "f-data-title": "",
		"f-data-content": "Đề nghị Ủy ban nhân dân phường niêm yết công khai lịch tiếp công dân tại trụ sở."}
	newRec()
	run("validation error", fill(recValues), chromedp.Click(ID("form-submit")),
		chromedp.WaitVisible(ID("f-data-title-err")), shot("05-loi-nhap-lieu"))
	if got := text("#f-data-title-err"); !strings.Contains(got, "data.title") {
		t.Errorf("title error: got %q, want the API's message naming data.title", got)
	}
	recValues["f-data-title"] = "Kiến nghị niêm yết lịch tiếp công dân"
	run("issue", fill(recValues), chromedp.Click(ID("form-submit")), chromedp.WaitVisible(ID("done")))
	if got := text("#item-status"); got != "Đã ban hành" {
		t.Errorf("recommendation status: got %q, want Đã ban hành", got)
	}
	signOut()

	// The respondent sees it in its inbox and answers it.
	signIn(f.Respondent, `a[href="/items/recommendations/kn-web-b"]`)
	run("inbox", shot("06-viec-can-tra-loi"), chromedp.Click(C(`a[href="/items/recommendations/kn-web-b"]`)),
		chromedp.WaitVisible(C(`#steps a[data-type="recommendation.received.v1"]`)))
	run("received", chromedp.Click(C(`#steps a[data-type="recommendation.received.v1"]`)),
		chromedp.WaitVisible(ID("event-form")), chromedp.Click(ID("form-submit")), chromedp.WaitVisible(ID("done")))
	run("answer", chromedp.Click(C(`#steps a[data-type="recommendation.response_submitted.v1"]`)),
		chromedp.WaitVisible(ID("event-form")),
		fill(map[string]string{"f-data-outcome": "PARTIALLY_ACCEPTED", "f-data-text": "Ủy ban nhân dân phường tiếp thu, sẽ niêm yết lịch tại bộ phận một cửa.",
			"f-data-explanation": "Trụ sở đang sửa chữa đến hết quý III."}),
		shot("07-tra-loi-kien-nghi"),
		chromedp.Click(ID("form-submit")), chromedp.WaitVisible(ID("done")))
	if got := text("#item-status"); got != "Đã trả lời" {
		t.Errorf("after the answer: got %q, want Đã trả lời", got)
	}
	signOut()

	// An inspector: the timeline, the state as it stood after the issue,
	// a date before it, and the inclusion check.
	signIn(f.Inspector, "#i-id")
	run("find the item", shot("08-tra-cuu"), fill(map[string]string{"i-coll": "recommendations", "i-id": "kn-web-b"}),
		chromedp.Submit(ID("i-id")), chromedp.WaitVisible(ID("timeline")), shot("09-dong-thoi-gian"))
	ctx, cancel := context.WithTimeout(bctx, 10*time.Second)
	nodes, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#timeline li").length`))
	cancel()
	if err != nil || nodes != 3 {
		t.Errorf("timeline: got %d events (%v), want 3 (issued, received, answered)", nodes, err)
	}
	run("as of the issue", chromedp.Click(C(`#timeline li[data-type="recommendation.issued.v1"] a.asof-here`)),
		chromedp.WaitVisible(ID("asof-banner")), shot("10-trang-thai-tai-thoi-diem"))
	if got := text("#item-status"); got != "Đã ban hành" {
		t.Errorf("as of the issue: got %q, want Đã ban hành", got)
	}
	run("as of a date before", fill(map[string]string{"asof-pos": "", "asof-date": "2020-01-01"}),
		chromedp.Click(ID("asof-show")), chromedp.WaitVisible(C(`input[name="as_of_date"][value="2020-01-01"]`)), chromedp.WaitVisible(ID("asof-banner")))
	if got := text("#asof-banner"); !strings.Contains(got, "chưa có") {
		t.Errorf("as of 2020: got %q, want the item not there yet", got)
	}
	run("timeline again", chromedp.Navigate(f.URL+"/items/recommendations/kn-web-b"), chromedp.WaitVisible(ID("timeline")))
	pos := attr(`#timeline li[data-type="recommendation.issued.v1"]`, "data-position")
	f.MustWaitCheckpoint(t)
	run("verify", chromedp.Navigate(f.URL+"/verify?position="+pos), chromedp.WaitVisible(ID("verify-result")), shot("11-kiem-tra"))
	if ok := attr("#verify-result", "data-ok"); ok != "true" {
		t.Errorf("verify: got data-ok=%q, want true: %s", ok, mainText())
	}
	run("trail", chromedp.Navigate(f.URL+"/trails/"+partyWard), chromedp.WaitVisible(ID("bundle")), shot("12-trach-nhiem-giai-trinh"))
	signOut()

	// An observer (an oversight body) reads reports, in English too, and
	// is refused a form.
	signIn(f.Observer, "svg.chart")
	run("reports", shot("13-bao-cao"), chromedp.Click(ID("lang-switch")), chromedp.WaitVisible(C(`html[lang="en"] svg.chart`)), shot("14-reports-en"))
	run("observer refused", chromedp.Navigate(f.URL+"/items/supervisions/new"), chromedp.WaitVisible(ID("page-error")), shot("15-observer-refused"))
	if got := text("#page-error"); !strings.Contains(got, "403") {
		t.Errorf("observer: got %q, want a 403 refusal", got)
	}
	abs, _ := filepath.Abs(out)
	t.Logf("screenshots in %s", abs)
}
