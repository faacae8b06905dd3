package api

import (
	"fmt"
	"html"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// reportBody is the body of GET /v1/reports/summary.
type reportBody struct {
	projections.Report
	Series []projections.Report `json:"series"`
	AsOf   *AsOf                `json:"as_of"`
}

// period is one bar of the time chart.
type period struct {
	Label    string
	From, To events.Date
	Recs     projections.RecStats
}

// reportPeriod reads the report's unit and period, with defaults: the
// actor's unit, and the eight quarters up to today (or up to the to
// given, so that a period that ends before today is not refused as one
// whose from is after its to).
func (s *Server) reportPeriod(p *pageCtx) url.Values {
	in := p.r.URL.Query()
	q := url.Values{}
	for _, k := range []string{"unit", "from", "to"} {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	if q.Get("unit") == "" && p.actor.Unit != "" {
		q.Set("unit", p.actor.Unit)
	}
	// As of a date or log position, as the list, item and trail pages.
	if asOf := asOfParam(in); asOf != "" {
		q.Set("as_of", asOf)
	}
	end := projections.Today(s.now())
	if q.Get("to") == "" {
		q.Set("to", string(end))
	} else if _, err := events.Date(q.Get("to")).Time(); err == nil {
		end = events.Date(q.Get("to"))
	}
	if q.Get("from") == "" {
		y, _ := strconv.Atoi(string(end[:4]))
		m, _ := strconv.Atoi(string(end[5:7]))
		qs := (m-1)/3*3 + 1 // first month of this quarter
		y, qs = y-2, qs+3   // eight quarters back, counting this one
		if qs > 12 {
			y, qs = y+1, qs-12
		}
		q.Set("from", fmt.Sprintf("%04d-%02d-01", y, qs))
	}
	return q
}

// quarters splits [from, to] as the API's by=quarter does
// (projections.SplitQuarters) and labels each bar.
func quarters(from, to events.Date) []period {
	ps, byYear := projections.SplitQuarters(from, to)
	out := make([]period, len(ps))
	for i, p := range ps {
		label := string(p.From[:4])
		if !byYear {
			m, _ := strconv.Atoi(string(p.From[5:7]))
			label = fmt.Sprintf("Q%d/%s", (m-1)/3+1, p.From[:4])
		}
		out[i] = period{Label: label, From: p.From, To: p.To}
	}
	return out
}

// webReports serves GET /reports: the summary report of a unit over a
// period, with charts drawn on the server as SVG and a table under each.
func (s *Server) webReports(p *pageCtx) {
	q := s.reportPeriod(p)
	// One request: the period's report and, with by=quarter, one per
	// quarter for the time chart.
	withSeries := url.Values{"by": {"quarter"}}
	for k, v := range q {
		withSeries[k] = v
	}
	if ps, _ := projections.SplitQuarters(events.Date(q.Get("from")), events.Date(q.Get("to"))); len(ps) > 0 && ps[0].From != events.Date(q.Get("from")) {
		withSeries.Del("by") // the API splits at most 12 calendar years: no time chart then
	}
	var rep reportBody
	if err := s.get(p.r, p.sess, "/v1/reports/summary", withSeries, &rep); err != nil {
		s.fail(p, err)
		return
	}
	var periods []period
	if withSeries.Get("by") != "" {
		periods = quarters(events.Date(q.Get("from")), events.Date(q.Get("to")))
	}
	for i := range periods {
		if i < len(rep.Series) {
			periods[i].Recs = rep.Series[i].Recommendations
		}
	}
	codes := slices.Sorted(maps.Keys(rep.FlagsOpen))
	asOfPos, asOfDate := asOfInputs(p.r.URL.Query())
	s.renderPage(p, http.StatusOK, "reports", map[string]any{"Title": p.t("rep.title"), "Rep": rep.Report, "Q": q,
		"AsOf": rep.AsOf, "AsOfPos": asOfPos, "AsOfDate": asOfDate,
		"CSV": "/reports.csv?" + q.Encode(), "Periods": periods, "Codes": codes,
		"OnTimeChart": onTimeChart(p.lang, rep.Units), "StatusChart": statusChart(p.lang, periods), "FlagChart": flagChart(p.lang, rep.FlagsOpen, codes)})
}

// webReportCSV serves GET /reports.csv: the API's CSV of the same report.
func (s *Server) webReportCSV(p *pageCtx) {
	q := s.reportPeriod(p)
	rep := s.call(p.r, p.sess, "GET", "/v1/reports/summary?"+q.Encode(), nil, "Accept", "text/csv")
	if err := rep.err(); err != nil {
		s.fail(p, err)
		return
	}
	p.w.Header().Set("Content-Type", rep.header.Get("Content-Type"))
	p.w.Header().Set("Content-Disposition", rep.header.Get("Content-Disposition"))
	p.w.Write(rep.body.Bytes())
}

// Chart colours: each passes 4.5:1 against white, and every chart has its
// figures in a table as well, so colour is never the only carrier.
const (
	colorOnTime  = "#1b6e35"
	colorLate    = "#9a4a00"
	colorMissing = "#b3261e"
	colorNotDue  = "#52606d"
	colorBar     = "#0b4f8a"
)

func esc(s string) string { return html.EscapeString(s) }

// onTimeChart draws the on-time answer rate per unit as horizontal bars,
// each with its label above it (long Vietnamese names fit a phone).
func onTimeChart(lang string, rows []projections.UnitRow) template.HTML {
	var b strings.Builder
	n := 0
	for _, r := range rows {
		if r.OnTimeRate != nil {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	h := n*44 + 10
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 400 %d" role="img" aria-labelledby="c-ontime-t"><title id="c-ontime-t">%s</title>`, h, esc(tr(lang, "rep.ontime")))
	y := 0
	for _, r := range rows {
		if r.OnTimeRate == nil {
			continue
		}
		pct := *r.OnTimeRate * 100
		w := int(*r.OnTimeRate * 320)
		fmt.Fprintf(&b, `<text x="0" y="%d" class="lbl">%s</text>`, y+14, esc(r.Unit+" "+r.Name))
		fmt.Fprintf(&b, `<rect x="0" y="%d" width="320" height="18" fill="#e6ebf0"/><rect x="0" y="%d" width="%d" height="18" fill="%s"/>`, y+20, y+20, w, colorOnTime)
		fmt.Fprintf(&b, `<text x="328" y="%d" class="val">%.0f%%</text>`, y+34, pct)
		y += 44
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// statusChart draws recommendations by status per period as stacked
// columns.
func statusChart(lang string, ps []period) template.HTML {
	if len(ps) == 0 {
		return ""
	}
	top := 1
	for _, p := range ps {
		top = max(top, p.Recs.AnsweredOnTime+p.Recs.AnsweredLate+p.Recs.Missing+p.Recs.NotYetDue)
	}
	const chartH, base = 200, 230
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 400 290" role="img" aria-labelledby="c-status-t"><title id="c-status-t">%s</title>`, esc(tr(lang, "rep.bystatus")))
	fmt.Fprintf(&b, `<line x1="30" y1="%d" x2="400" y2="%d" stroke="#52606d"/>`, base, base)
	fmt.Fprintf(&b, `<text x="0" y="%d" class="val">%d</text>`, base-chartH+10, top)
	step := 370 / len(ps)
	bw := max(step*6/10, 6)
	for i, p := range ps {
		x := 30 + i*step + (step-bw)/2
		y := base
		for _, part := range []struct {
			n     int
			color string
		}{{p.Recs.AnsweredOnTime, colorOnTime}, {p.Recs.AnsweredLate, colorLate}, {p.Recs.Missing, colorMissing}, {p.Recs.NotYetDue, colorNotDue}} {
			if part.n == 0 {
				continue
			}
			h := part.n * chartH / top
			y -= h
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`, x, y, bw, h, part.color)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="tick" text-anchor="middle">%s</text>`, x+bw/2, base+16, esc(p.Label))
	}
	for i, l := range []struct{ key, color string }{{"rep.ontimeN", colorOnTime}, {"rep.late", colorLate}, {"rep.missing", colorMissing}, {"rep.notdue", colorNotDue}} {
		x := (i % 2) * 200
		y := 258 + (i/2)*20
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d" class="tick">%s</text>`, x, y-10, l.color, x+18, y, esc(tr(lang, l.key)))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// flagChart draws open flags by code as horizontal bars.
func flagChart(lang string, counts map[string]int, codes []string) template.HTML {
	if len(codes) == 0 {
		return ""
	}
	top := 1
	for _, c := range codes {
		top = max(top, counts[c])
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 400 %d" role="img" aria-labelledby="c-flags-t"><title id="c-flags-t">%s</title>`, len(codes)*44+10, esc(tr(lang, "rep.flags")))
	for i, c := range codes {
		y := i * 44
		fmt.Fprintf(&b, `<text x="0" y="%d" class="lbl">%s</text>`, y+14, esc(c))
		fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="18" fill="%s"/><text x="%d" y="%d" class="val">%d</text>`,
			y+20, max(counts[c]*320/top, 2), colorBar, max(counts[c]*320/top, 2)+8, y+34, counts[c])
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
