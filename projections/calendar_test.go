package projections_test

import (
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

func TestDue(t *testing.T) {
	c := projections.DefaultCalendar()
	cases := []struct {
		name    string
		trigger string
		days    int
		count   projections.DayCount
		want    string
	}{
		{"calendar days on a weekday", "2024-03-04", 10, projections.CalendarDays, "2024-03-14"},
		{"landing on a Saturday moves to Monday", "2024-03-13", 10, projections.CalendarDays, "2024-03-25"},
		{"landing on Sunday moves to Monday", "2024-03-04", 20, projections.CalendarDays, "2024-03-25"},
		{"landing in Tết moves past it", "2024-01-19", 20, projections.CalendarDays, "2024-02-15"},
		{"landing on 30/4-1/5 2025 moves past the swapped day", "2025-04-20", 10, projections.CalendarDays, "2025-05-05"},
		{"working days skip the weekend", "2024-03-08", 5, projections.WorkingDays, "2024-03-15"},
		{"working days skip Tết", "2024-02-02", 5, projections.WorkingDays, "2024-02-16"},
		{"zero days", "2024-03-08", 0, projections.CalendarDays, "2024-03-08"},
		{"invalid trigger", "2024-02-30", 5, projections.CalendarDays, ""},
	}
	for _, k := range cases {
		if got := c.Due(events.Date(k.trigger), k.days, k.count); string(got) != k.want {
			t.Errorf("%s: Due(%s, %d, %s) = %q, want %q", k.name, k.trigger, k.days, k.count, got, k.want)
		}
	}
	if got := c.DueBefore("2024-04-15", 15, projections.CalendarDays); got != "2024-03-31" {
		t.Errorf("DueBefore: %s", got)
	}
	if got := c.DueBefore("2024-03-18", 5, projections.WorkingDays); got != "2024-03-11" {
		t.Errorf("DueBefore in working days: %s", got)
	}
	if got := projections.AddMonths("2025-08-31", 6); got != "2026-02-28" {
		t.Errorf("AddMonths: %s", got)
	}
	if got := projections.AddMonths("2024-11-15", -12); got != "2023-11-15" {
		t.Errorf("AddMonths back: %s", got)
	}
	if got := projections.DaysBetween("2024-02-28", "2024-03-01"); got != 2 {
		t.Errorf("DaysBetween over a leap day: %d", got)
	}
	if name, ok := c.Holiday("2026-02-17"); !ok || !strings.Contains(name, "Tết") {
		t.Errorf("2026-02-17: %q %v", name, ok)
	}
	for y := 2023; y <= 2027; y++ {
		if !c.Covers(events.Date(itoa(y) + "-06-01")) {
			t.Errorf("the calendar does not cover %d", y)
		}
	}
	if c.WorkingDay("2024-02-10") || !c.WorkingDay("2024-02-15") || c.WorkingDay("2024-03-09") {
		t.Error("WorkingDay is wrong about Tết 2024 or a Saturday")
	}
}

func itoa(y int) string {
	return string([]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10)})
}

func TestRuleTable(t *testing.T) {
	r := projections.DefaultRules()
	for _, k := range []string{"recommendation.response", "critique.draftLeadTime", "critique.response", "supervision.resultReport", "supervision.subjectReport",
		"supervision.document", "info.post.simple", "info.electronic.simple", "info.inperson", "info.complex.notice", "info.complex.provide",
		"info.extension.max", "complaint.accept", "complaint.first", "complaint.first.complex", "complaint.first.remote", "complaint.first.remote.complex",
		"complaint.second", "denunciation.resolve", "denunciation.extension.max", "denunciation.mttqForwarded", "voter.petition", "recommendation.hearing"} {
		rule, ok := r.Rule(k)
		if !ok || rule.Basis == "" || rule.Days <= 0 || rule.Obligation == "" {
			t.Errorf("rule %s: %+v %v", k, rule, ok)
		}
	}
	bad := []struct{ doc, field string }{
		{`{"version":"x","rules":[{"key":"a","obligation":"o","days":0,"count":"cal","basis":"b"}],"thresholds":{}}`, "rules[0].days"},
		{`{"version":"x","rules":[{"key":"a","obligation":"o","days":1,"count":"xx","basis":"b"}],"thresholds":{}}`, "rules[0].count"},
		{`{"version":"x","rules":[{"key":"a","obligation":"o","days":1,"count":"cal","basis":"b"},{"key":"a","obligation":"o","days":1,"count":"cal","basis":"b"}],"thresholds":{}}`, "rules[1].key"},
		{`{"version":"x","rules":[{"key":"a","obligation":"o","days":1,"count":"cal","basis":""}],"thresholds":{}}`, "rules[0].basis"},
		{`{"version":"x","rules":[],"thresholds":{},"extra":1}`, "unknown field"},
		{`{"version":"x","rules":[],"thresholds":{"repeat_late_count":0}}`, "thresholds.repeat_late_count"},
	}
	for _, b := range bad {
		if _, err := projections.ParseRules("rules.json", []byte(b.doc)); err == nil || !strings.Contains(err.Error(), b.field) || !strings.Contains(err.Error(), "rules.json") {
			t.Errorf("ParseRules(%s): %v, want an error naming %s", b.doc, err, b.field)
		}
	}
	badCal := []struct{ doc, field string }{
		{`{"years":{"2024":[{"date":"2025-01-01","name":"x"}]}}`, "years.2024[0].date"},
		{`{"years":{"2024":[{"date":"2024-13-01","name":"x"}]}}`, "years.2024[0].date"},
		{`{"years":{"2024":[{"date":"2024-01-01","name":""}]}}`, "years.2024[0].name"},
		{`{"years":{"20x4":[]}}`, "years.20x4"},
	}
	for _, b := range badCal {
		if _, err := projections.ParseCalendar("h.json", []byte(b.doc)); err == nil || !strings.Contains(err.Error(), b.field) {
			t.Errorf("ParseCalendar(%s): %v, want an error naming %s", b.doc, err, b.field)
		}
	}
	// The configuration's digest changes with a rule.
	a := projections.DefaultConfig()
	b := projections.DefaultConfig()
	b.Rules.Rules[0].Days++
	if a.Digest() == b.Digest() {
		t.Error("the digest ignores a rule's days")
	}
}
