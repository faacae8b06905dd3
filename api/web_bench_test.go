package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// The workspace's speed: server time per page and the bytes of a first
// page load, on a ledger filled with a supervision workload through
// Ledger.Handle (the same validation and lifecycle as the API). The size is
// LEDGER_WEB_BENCH_EVENTS (default 100,000; BENCHMARKS.md has a run with
// 1,000,000):
//
//	LEDGER_WEB_BENCH_EVENTS=1000000 go test ./api -run '^$' -bench BenchmarkWeb -benchtime 200x -timeout 60m

const (
	benchDistricts = 30
	benchCommunes  = 10 // per district
)

func benchCommune(i int) string {
	return fmt.Sprintf("52d%02dc%02d", i/benchCommunes%benchDistricts, i%benchCommunes)
}

// webBench is a filled ledger with a signed-in session of each role.
type webBench struct {
	f        *Fixture
	h        http.Handler
	events   uint64
	cookies  map[string]*http.Cookie // by role name
	rec, sup string                  // an item of each kind
	commune  string
}

var (
	benchOnce sync.Once
	benchData *webBench
	benchErr  error
)

// fillLedger writes about n events: units and People's Committees of 30
// districts and 300 communes, then cycles of a supervision (planned,
// delegation, notice, session, result report) and two recommendations to a
// commune People's Committee, one answered (on time or late) and one left
// unanswered, spread over 2023-2025.
func fillLedger(tb testing.TB, f *Fixture, n int) {
	ctx := context.Background()
	admin := events.Actor{Subject: "bench/admin", Role: events.RoleAdmin}
	recorder := events.Actor{Subject: "bench/recorder", Role: events.RoleRecorder, Unit: unitProvince}
	do := func(a events.Actor, kind events.Kind, id, unit string, typ events.Type, on string, data any) {
		b, err := json.Marshal(data)
		if err != nil {
			tb.Fatal(err)
		}
		t, _ := time.Parse(events.DateLayout, on)
		if _, err := f.Ledger.Handle(ctx, events.Request{Kind: kind, ID: id, Create: events.IsCreation(typ), Type: typ, Data: b,
			OccurredAt: t.Add(8 * time.Hour), Unit: unit, Actor: a}); err != nil {
			tb.Fatalf("%s %s/%s: %v", typ, kind, id, err)
		}
	}
	for d := 0; d < benchDistricts; d++ {
		did := fmt.Sprintf("52d%02d", d)
		do(admin, events.KindUnit, did, "", events.UnitRegistered, "2011-06-01", events.UnitRegisteredData{Name: fmt.Sprintf("Huyện số %d", d+1), Level: events.LevelDistrict, ParentID: unitProvince, ValidFrom: "2011-06-01"})
		for c := 0; c < benchCommunes; c++ {
			cid := fmt.Sprintf("%sc%02d", did, c)
			do(admin, events.KindUnit, cid, "", events.UnitRegistered, "2011-06-01", events.UnitRegisteredData{Name: fmt.Sprintf("Xã số %d huyện %d", c+1, d+1), Level: events.LevelCommune, ParentID: did, ValidFrom: "2011-06-01"})
			do(admin, events.KindParty, "ubnd-"+cid, cid, events.PartyRegistered, "2011-06-01", events.PartyRegisteredData{Name: fmt.Sprintf("Ủy ban nhân dân xã số %d huyện %d", c+1, d+1), PartyKind: events.PartyPeoplesCommittee})
		}
	}
	start := time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC)
	written := benchDistricts * (1 + 2*benchCommunes)
	for i := 0; written < n; i++ {
		cid := benchCommune(i)
		party := "ubnd-" + cid
		respondent := events.Actor{Subject: "bench/respondent", Role: events.RoleRespondent, Party: party}
		day := start.AddDate(0, 0, i*820/max(n/12, 1)%820) // issued 2023-01 to 2025-04, answered by 2025-06
		on := func(k int) string { return day.AddDate(0, 0, k).Format(events.DateLayout) }
		sid := fmt.Sprintf("gs-%d", i)
		do(recorder, events.KindSupervision, sid, cid, events.SupervisionPlanned, on(0), events.SupervisionPlannedData{Title: fmt.Sprintf("Giám sát tiếp công dân đợt %d", i),
			Topic: "Việc thực hiện Luật Tiếp công dân", Form: events.FormDelegation, Mode: events.ModeUnscheduled, Scope: events.ScopeThematic,
			SubjectPartyIDs: []string{party}, PlannedStart: events.Date(on(1))})
		do(recorder, events.KindSupervision, sid, "", events.SupervisionDelegationEstablished, on(1), events.DelegationEstablishedData{DecidedOn: events.Date(on(1)), Head: "Chủ tịch MTTQ", Members: []string{"Thành viên A", "Thành viên B"}})
		do(recorder, events.KindSupervision, sid, "", events.SupervisionNotified, on(2), events.SupervisionNotifiedData{NotifiedOn: events.Date(on(2)), NotifiedPartyIDs: []string{party}})
		do(recorder, events.KindSupervision, sid, "", events.SupervisionSessionHeld, on(10), events.SessionHeldData{SessionID: "s1", HeldOn: events.Date(on(10))})
		do(recorder, events.KindSupervision, sid, "", events.SupervisionResultReportSubmitted, on(20), events.ResultReportSubmittedData{SubmittedOn: events.Date(on(20)), Summary: "Báo cáo kết quả giám sát."})
		for r := 0; r < 2; r++ {
			rid := fmt.Sprintf("kn-%d-%d", i, r)
			do(recorder, events.KindRecommendation, rid, cid, events.RecommendationIssued, on(25), events.RecommendationIssuedData{SourceKind: events.SourceSupervision, SourceID: sid,
				AddresseePartyID: party, Title: fmt.Sprintf("Kiến nghị %d sau giám sát đợt %d", r+1, i), Content: "Đề nghị công khai lịch tiếp công dân.", IssuedOn: events.Date(on(25))})
			written++
			if r == 1 {
				continue
			}
			do(respondent, events.KindRecommendation, rid, "", events.RecommendationReceived, on(27), events.RecommendationReceivedData{ReceivedOn: events.Date(on(27))})
			late := 20 + 30*(i%3/2) // one in three late
			do(respondent, events.KindRecommendation, rid, "", events.RecommendationResponseSubmitted, on(27+late), events.ResponseSubmittedData{RespondedOn: events.Date(on(27 + late)),
				Outcome: events.OutcomeAccepted, Text: "Tiếp thu, đã thực hiện."})
			written += 2
		}
		written += 5
	}
}

func openWebBench(b *testing.B) *webBench {
	benchOnce.Do(func() {
		n := 100_000
		if s := os.Getenv("LEDGER_WEB_BENCH_EVENTS"); s != "" {
			if n, benchErr = strconv.Atoi(s); benchErr != nil {
				return
			}
		}
		// The fixture lives for the whole benchmark binary (no cleanup):
		// filling it is the slow part.
		tb := &keepTB{B: b}
		f := MustOpenServer(tb)
		began := time.Now()
		fillLedger(tb, f, n)
		head := f.Head(tb)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		if benchErr = f.Views.WaitPosition(ctx, head); benchErr != nil {
			return
		}
		f.MustWaitCheckpoint(tb)
		fmt.Fprintf(os.Stderr, "web bench: %d events written and projected in %s\n", head, time.Since(began).Round(time.Second))
		w := &webBench{f: f, h: f.Server.Handler(), events: head, cookies: map[string]*http.Cookie{}, commune: benchCommune(7),
			rec: "kn-7-1", sup: "gs-7"}
		for role, tok := range map[string]*Token{
			"recorder-commune":  f.MustCreateToken(tb, api.TokenRequest{Name: "Cán bộ MTTQ xã", Role: events.RoleRecorder, Unit: w.commune}),
			"recorder-province": f.MustCreateToken(tb, api.TokenRequest{Name: "Cán bộ MTTQ tỉnh", Role: events.RoleRecorder, Unit: unitProvince}),
			"respondent":        f.MustCreateToken(tb, api.TokenRequest{Name: "UBND xã", Role: events.RoleRespondent, Party: "ubnd-" + w.commune}),
			"observer-province": f.MustCreateToken(tb, api.TokenRequest{Name: "Thường trực HĐND tỉnh", Role: events.RoleObserver, Unit: unitProvince}),
			"inspector":         f.Inspector,
		} {
			w.cookies[role] = w.signIn(tb, tok.Secret)
		}
		benchData = w
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	if benchData == nil {
		b.Fatal("the benchmark ledger could not be filled (see the first failure)")
	}
	return benchData
}

// keepTB is a testing.TB whose cleanups never run: the benchmark's ledger
// outlives the first benchmark that fills it.
type keepTB struct{ *testing.B }

func (keepTB) Cleanup(func()) {}

// serve runs one request through the server's handler in process: the
// server's time, without the network.
func (w *webBench) serve(method, path string, c *http.Cookie, form url.Values) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c != nil {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, r)
	return rec
}

func (w *webBench) signIn(tb testing.TB, secret string) *http.Cookie {
	login := w.serve("GET", "/login", nil, nil)
	var pre *http.Cookie
	for _, c := range login.Result().Cookies() {
		if c.Name == "ledger_login" {
			pre = c
		}
	}
	m := csrfRe.FindStringSubmatch(login.Body.String())
	if pre == nil || m == nil {
		tb.Fatal("no sign-in form")
	}
	res := w.serve("POST", "/login", pre, url.Values{"csrf": {m[1]}, "token": {secret}})
	for _, c := range res.Result().Cookies() {
		if c.Name == "ledger_session" {
			return c
		}
	}
	tb.Fatalf("sign in: %d", res.Code)
	return nil
}

// BenchmarkWebPages measures the server time of each main page, reported
// as p50 and p99 over the benchmark's iterations.
func BenchmarkWebPages(b *testing.B) {
	w := openWebBench(b)
	for _, c := range []struct{ name, role, path string }{
		{"dashboard-commune", "recorder-commune", "/dashboard"},
		{"dashboard-province", "recorder-province", "/dashboard"},
		{"list-recommendations", "recorder-province", "/items/recommendations"},
		{"list-search", "recorder-province", "/items/recommendations?q=dot+7"},
		{"item", "recorder-commune", "/items/recommendations/" + w.rec},
		{"item-asof", "inspector", "/items/supervisions/" + w.sup + "?as_of=" + strconv.FormatUint(w.events/2, 10)},
		{"step-form", "recorder-commune", "/items/recommendations/" + w.rec + "/step?type=recommendation.reminder_sent.v1"},
		{"new-form", "recorder-commune", "/items/recommendations/new"},
		{"inbox", "respondent", "/inbox"},
		{"trail", "inspector", "/trails/ubnd-" + w.commune},
		{"verify", "inspector", "/verify?position=" + strconv.FormatUint(w.events/3, 10)},
		{"reports-commune", "recorder-commune", "/reports"},
		{"reports-province", "observer-province", "/reports"},
	} {
		b.Run(c.name, func(b *testing.B) {
			if r := w.serve("GET", c.path, w.cookies[c.role], nil); r.Code != http.StatusOK {
				b.Fatalf("GET %s: %d %s", c.path, r.Code, mainOf(r.Body.String()))
			}
			times := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				w.serve("GET", c.path, w.cookies[c.role], nil)
				times = append(times, time.Since(t0))
			}
			b.StopTimer()
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[min(len(times)-1, len(times)*99/100)].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(w.events), "events")
		})
	}
}

// BenchmarkWebPagesAfterWrite measures the pages that read flags, each
// request right after a write (a recommendation issued to the commune):
// the flags of the new position are computed by that request. The time to
// write and project the event is not counted.
func BenchmarkWebPagesAfterWrite(b *testing.B) {
	w := openWebBench(b)
	recorder := events.Actor{Subject: "bench/recorder", Role: events.RoleRecorder, Unit: unitProvince}
	n := 0
	for _, c := range []struct{ name, role, path string }{
		{"dashboard-commune", "recorder-commune", "/dashboard"},
		{"dashboard-province", "recorder-province", "/dashboard"},
		{"trail", "inspector", "/trails/ubnd-" + w.commune},
		{"reports-province", "observer-province", "/reports"},
	} {
		b.Run(c.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				n++
				data, _ := json.Marshal(events.RecommendationIssuedData{SourceKind: events.SourceOther, AddresseePartyID: "ubnd-" + w.commune,
					Title: fmt.Sprintf("Kiến nghị mới %d", n), Content: "Đề nghị công khai lịch tiếp công dân.", IssuedOn: "2025-06-30"})
				res, err := w.f.Ledger.Handle(context.Background(), events.Request{Kind: events.KindRecommendation, ID: fmt.Sprintf("kn-new-%d", n), Create: true,
					Type: events.RecommendationIssued, Data: data, Unit: w.commune, Actor: recorder,
					OccurredAt: time.Date(2025, 6, 30, 8, 0, 0, 0, time.UTC)})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				err = w.f.Views.WaitPosition(ctx, res.Position)
				cancel()
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				if r := w.serve("GET", c.path, w.cookies[c.role], nil); r.Code != http.StatusOK {
					b.Fatalf("GET %s: %d", c.path, r.Code)
				}
				times = append(times, time.Since(t0))
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[min(len(times)-1, len(times)*99/100)].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(w.events), "events")
		})
	}
}

var assetRe = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// BenchmarkWebFirstLoad reports the bytes a browser with an empty cache
// transfers for the sign-in page and for the dashboard after sign-in: the
// HTML and every asset it links (there is nothing else: no fonts, no CDN).
func BenchmarkWebFirstLoad(b *testing.B) {
	w := openWebBench(b)
	load := func(path string, c *http.Cookie) int {
		r := w.serve("GET", path, c, nil)
		if r.Code != http.StatusOK {
			b.Fatalf("GET %s: %d", path, r.Code)
		}
		n := r.Body.Len()
		for _, m := range assetRe.FindAllStringSubmatch(r.Body.String(), -1) {
			a := w.serve("GET", m[1], nil, nil)
			if a.Code != http.StatusOK {
				b.Fatalf("GET %s: %d", m[1], a.Code)
			}
			n += a.Body.Len()
		}
		return n
	}
	var login, dash, reports int
	for i := 0; i < b.N; i++ {
		login = load("/login", nil)
		dash = load("/dashboard", w.cookies["recorder-province"])
		reports = load("/reports", w.cookies["observer-province"])
	}
	b.ReportMetric(float64(login), "login-bytes")
	b.ReportMetric(float64(dash), "dashboard-bytes")
	b.ReportMetric(float64(reports), "reports-bytes")
}
