package events_test

import (
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, s := range []string{"2026-01-02T03:04:05Z", "2026-01-02t03:04:05z", "2026-01-02t10:04:05+07:00"} {
		got, err := events.ParseTime(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "2026-01-02", "2026-01-02 03:04:05Z", "2026-01-02x03:04:05Z", "02/01/2026"} {
		if _, err := events.ParseTime(s); err == nil {
			t.Errorf("ParseTime(%q): no error", s)
		}
	}
}
