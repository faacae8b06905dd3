package api

import "testing"

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
