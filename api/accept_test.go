package api

import (
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/projections"
)

// TestWantsCSV: the report's format follows the Accept header's quality
// values, media types compared without case. (A substring match took
// "text/csv;q=0" and "application/json, text/csv;q=0.1" for CSV, and
// "TEXT/CSV" for JSON.)
func TestWantsCSV(t *testing.T) {
	for _, c := range []struct {
		accept []string
		csv    bool
	}{
		{nil, false},
		{[]string{"text/csv"}, true},
		{[]string{"TEXT/CSV"}, true},
		{[]string{"text/csv; charset=utf-8"}, true},
		{[]string{"text/*"}, true},
		{[]string{"text/csv;q=0"}, false},
		{[]string{"application/json, text/csv;q=0.1"}, false},
		{[]string{"text/csv;q=0.9, application/json;q=0.5"}, true},
		{[]string{"application/json", "text/csv"}, false}, // a tie is JSON
		{[]string{"text/csv, */*"}, true},                 // named exactly, beats the wildcard
		{[]string{"text/*, application/json"}, false},
		{[]string{"text/*;q=0.5, */*;q=0.4"}, true},
		{[]string{"text/csv, */*;q=0.1"}, true},
		{[]string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, false}, // a browser's
		{[]string{"text/csv;q=banana"}, false},
		{[]string{"text/csv;q=2"}, false},
		// The most specific range decides (RFC 9110 §12.5.1).
		{[]string{"text/csv;q=0, text/*"}, false},
		{[]string{"text/csv;q=0, */*"}, false},
		{[]string{"application/json;q=0, */*"}, true},
		{[]string{"application/json;q=0.1, text/*;q=0.5"}, true},
	} {
		if got := wantsCSV(c.accept); got != c.csv {
			t.Errorf("Accept %q: CSV %v, want %v", c.accept, got, c.csv)
		}
	}
}

// The report's CSV writes rates as percentages and days with at most one
// decimal: "0.625" and "12.500" read as 625 and 12500 in a spreadsheet
// program whose locale groups thousands with "." (Vietnamese; helper-53).
func TestReportCSVNumbers(t *testing.T) {
	rate, median, whole := 0.625, 12.5, 2.0/3
	rep := projections.Report{OnTimeRate: &rate, MedianDaysToAnswer: &median,
		Units: []projections.UnitRow{{Unit: "21607", Name: "Phường Bình Định", OnTimeRate: &whole}}}
	out := string(reportCSV(rep, nil, nil))
	for _, want := range []string{"(on-time rate),62.5%\r\n", "(median days to answer),12.5\r\n", ",66.7%\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the CSV has no %q:\n%s", want, out)
		}
	}
}
