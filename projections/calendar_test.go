package projections_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

const (
	cal = projections.CalendarDays
	wd  = projections.WorkingDays
)

func TestDue(t *testing.T) {
	c := projections.DefaultCalendar()
	rules := projections.DefaultRules()
	days := func(key string) int {
		r, ok := rules.Rule(key)
		if !ok {
			t.Fatalf("the default table has no rule %s", key)
		}
		return r.Days
	}
	cases := []struct {
		name    string
		trigger events.Date
		days    int
		count   projections.DayCount
		want    events.Date
	}{
		{"calendar days ending on a weekday", "2024-03-04", 10, cal, "2024-03-14"},
		{"ending on a Saturday moves to Monday", "2024-03-13", 10, cal, "2024-03-25"},
		{"ending on a Sunday moves to Monday", "2024-03-04", 20, cal, "2024-03-25"},
		{"ending in Tết 2024 moves past Tết", "2024-01-19", 20, cal, "2024-02-15"},
		{"ending in Tết 2026 moves past Tết", "2026-01-26", 20, cal, "2026-02-23"},
		{"ending on 30/4/2025 moves past 1/5, the swapped 2/5 and the weekend", "2025-04-20", 10, cal, "2025-05-05"},
		{"ending on a compensatory day off (27/4/2026)", "2026-04-17", 10, cal, "2026-04-28"},
		{"ending on a swapped Friday (2/1/2026)", "2025-12-23", 10, cal, "2026-01-05"},
		{"the trigger day is not counted", "2024-03-04", 1, cal, "2024-03-05"},
		{"recommendation.response from a Monday", "2024-03-04", days("recommendation.response"), cal, "2024-03-25"},
		{"working days skip the weekend", "2024-03-08", 5, wd, "2024-03-15"},
		{"info.post.simple from the Friday before Tết 2024", "2024-02-02", days("info.post.simple"), wd, "2024-02-16"},
		{"info.complex.provide across Tết 2026", "2026-02-06", days("info.complex.provide"), wd, "2026-03-06"},
		{"a working day counted from a Saturday", "2024-03-09", 1, wd, "2024-03-11"},
		{"a working day counted from a day of Tết", "2024-02-10", 1, wd, "2024-02-15"},
		{"working days skip the 30/4 swap of 2024", "2024-04-26", 2, wd, "2024-05-03"},
		{"a year the file does not cover has no holidays", "2029-12-22", 10, cal, "2030-01-01"},
		{"an unknown count counts calendar days", "2024-03-13", 10, "", "2024-03-25"},
		{"zero days returns the trigger", "2024-03-09", 0, cal, "2024-03-09"},
		{"negative days return the trigger", "2024-03-09", -3, wd, "2024-03-09"},
		{"an impossible date", "2024-02-30", 5, cal, ""},
		{"a malformed date", "2024-3-1", 5, wd, ""},
		{"an empty date", "", 5, cal, ""},
		{"a deadline after 9999", "9999-12-30", 5, cal, ""},
	}
	for _, k := range cases {
		if got := c.Due(k.trigger, k.days, k.count); got != k.want {
			t.Errorf("%s: Due(%q, %d, %q) = %q, want %q", k.name, k.trigger, k.days, k.count, got, k.want)
		}
	}
}

func TestDueBefore(t *testing.T) {
	c := projections.DefaultCalendar()
	cases := []struct {
		name   string
		target events.Date
		days   int
		count  projections.DayCount
		want   events.Date
	}{
		{"15 calendar days before, landing on a Sunday, is not moved", "2024-04-15", 15, cal, "2024-03-31"},
		{"15 calendar days before, across a month", "2025-03-10", 15, cal, "2025-02-23"},
		{"5 working days before a Monday", "2024-03-18", 5, wd, "2024-03-11"},
		{"3 working days back over Tết 2024", "2024-02-16", 3, wd, "2024-02-06"},
		{"zero days returns the target", "2024-03-18", 0, wd, "2024-03-18"},
		{"an invalid target", "2024-13-01", 15, cal, ""},
		{"before year 0000", "0000-01-10", 15, cal, ""},
	}
	for _, k := range cases {
		if got := c.DueBefore(k.target, k.days, k.count); got != k.want {
			t.Errorf("%s: DueBefore(%q, %d, %q) = %q, want %q", k.name, k.target, k.days, k.count, got, k.want)
		}
	}
}

// TestDueAgainstReference checks Due and DueBefore, for every day from
// December 2022 to January 2028, against a plain implementation with the
// time package and the calendar's Holiday.
func TestDueAgainstReference(t *testing.T) {
	c := projections.DefaultCalendar()
	// The Saturdays worked in exchange for a swapped day off.
	worked := map[events.Date]bool{"2024-05-04": true, "2025-04-26": true, "2026-01-10": true}
	working := func(d time.Time) bool {
		_, hol := c.Holiday(events.DateOf(d))
		return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday && !hol || worked[events.DateOf(d)]
	}
	refDue := func(from time.Time, n int, count projections.DayCount) time.Time {
		if count == wd {
			for n > 0 {
				from = from.AddDate(0, 0, 1)
				if working(from) {
					n--
				}
			}
			return from
		}
		d := from.AddDate(0, 0, n)
		for !working(d) {
			d = d.AddDate(0, 0, 1)
		}
		return d
	}
	refBefore := func(to time.Time, n int, count projections.DayCount) time.Time {
		if count == wd {
			for n > 0 {
				to = to.AddDate(0, 0, -1)
				if working(to) {
					n--
				}
			}
			return to
		}
		return to.AddDate(0, 0, -n)
	}
	start := time.Date(2022, 12, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2028, 1, 31, 0, 0, 0, 0, time.UTC)
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		day := events.DateOf(d)
		if got, want := c.WorkingDay(day), working(d); got != want {
			t.Errorf("WorkingDay(%s) = %v, want %v", day, got, want)
		}
		for _, n := range []int{1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60} {
			for _, count := range []projections.DayCount{cal, wd} {
				if got, want := c.Due(day, n, count), events.DateOf(refDue(d, n, count)); got != want {
					t.Fatalf("Due(%s, %d, %s) = %s, want %s", day, n, count, got, want)
				}
				if got, want := c.DueBefore(day, n, count), events.DateOf(refBefore(d, n, count)); got != want {
					t.Fatalf("DueBefore(%s, %d, %s) = %s, want %s", day, n, count, got, want)
				}
			}
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	months := []struct {
		d    events.Date
		n    int
		want events.Date
	}{
		{"2025-08-31", 6, "2026-02-28"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2023-03-31", -1, "2023-02-28"},
		{"2024-02-29", 12, "2025-02-28"},
		{"2024-11-15", -12, "2023-11-15"},
		{"2024-12-15", 1, "2025-01-15"},
		{"2025-01-15", -1, "2024-12-15"},
		{"2025-05-31", 0, "2025-05-31"},
		{"2025-10-31", 6, "2026-04-30"},
		{"2100-01-31", 1, "2100-02-28"},
		{"2000-01-31", 1, "2000-02-29"},
		{"2025-02-30", 1, ""},
		{"9999-12-01", 1, ""},
		{"0000-01-15", -1, ""},
	}
	for _, k := range months {
		if got := projections.AddMonths(k.d, k.n); got != k.want {
			t.Errorf("AddMonths(%q, %d) = %q, want %q", k.d, k.n, got, k.want)
		}
	}
	between := []struct {
		a, b events.Date
		want int
	}{
		{"2024-02-28", "2024-03-01", 2},
		{"2023-02-28", "2023-03-01", 1},
		{"2024-03-01", "2024-02-28", -2},
		{"2024-01-01", "2025-01-01", 366},
		{"2025-06-01", "2025-06-01", 0},
		{"2025-06-31", "2025-07-01", 0},
		{"2025-06-01", "", 0},
	}
	for _, k := range between {
		if got := projections.DaysBetween(k.a, k.b); got != k.want {
			t.Errorf("DaysBetween(%q, %q) = %d, want %d", k.a, k.b, got, k.want)
		}
	}
	add := []struct {
		d    events.Date
		n    int
		want events.Date
	}{
		{"2024-12-31", 1, "2025-01-01"},
		{"2024-03-01", -1, "2024-02-29"},
		{"2025-01-01", 0, "2025-01-01"},
		{"2025-01-01", -365, "2024-01-02"},
		{"9999-12-31", 1, ""},
		{"0000-01-01", -1, ""},
		{"0000-01-01", 0, "0000-01-01"},
		{"2000-02-29", 0, "2000-02-29"},
		{"2100-02-29", 0, ""},
		{"1900-02-29", 1, ""},
		{"2025-01-01", 1 << 40, ""},
		{"x", 1, ""},
	}
	for _, k := range add {
		if got := projections.AddDays(k.d, k.n); got != k.want {
			t.Errorf("AddDays(%q, %d) = %q, want %q", k.d, k.n, got, k.want)
		}
	}
	// The hand-written day arithmetic agrees with package time over the
	// whole range of four-digit years.
	first := time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	last := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	for d := first; !d.After(last); d = d.AddDate(0, 0, 89) {
		n := int(d.Unix() / 86400) // d is midnight UTC: the division is exact
		want := events.Date(d.Format(events.DateLayout))
		if got := projections.AddDays("1970-01-01", n); got != want {
			t.Fatalf("AddDays(1970-01-01, %d) = %q, want %q", n, got, want)
		}
		if got := projections.DaysBetween("1970-01-01", want); got != n {
			t.Fatalf("DaysBetween(1970-01-01, %s) = %d, want %d", want, got, n)
		}
	}
	if got := projections.AddDays("1970-01-01", int(last.Unix()/86400)); got != "9999-12-31" {
		t.Errorf("the last day is %q", got)
	}
	if got := projections.AddDays("1970-01-01", int(first.Unix()/86400)); got != "0000-01-01" {
		t.Errorf("the first day is %q", got)
	}
}

func TestDefaultCalendar(t *testing.T) {
	c := projections.DefaultCalendar()
	for y := 2023; y <= 2027; y++ {
		if d := events.Date(fmt.Sprintf("%d-06-15", y)); !c.Covers(d) {
			t.Errorf("the default calendar does not cover %d", y)
		}
		// Every year has the fixed-date holidays, at least the five days
		// of Tết, and the Hùng Kings' day.
		for _, md := range []string{"01-01", "04-30", "05-01", "09-02"} {
			if _, ok := c.Holiday(events.Date(fmt.Sprintf("%d-%s", y, md))); !ok {
				t.Errorf("%d-%s is not a holiday", y, md)
			}
		}
		tet, hung := 0, 0
		for d := events.Date(fmt.Sprintf("%d-01-01", y)); d[:4] == events.Date(fmt.Sprint(y)); d = projections.AddDays(d, 1) {
			name, _ := c.Holiday(d)
			switch {
			case strings.HasPrefix(name, "Tết Nguyên đán"):
				tet++
			case strings.HasPrefix(name, "Giỗ Tổ Hùng Vương"):
				hung++
			}
		}
		if tet < 5 || hung < 1 {
			t.Errorf("%d: %d days of Tết and %d of the Hùng Kings", y, tet, hung)
		}
	}
	// A Saturday worked in exchange for a swapped day off is a working
	// day, not a holiday: 5 working days from Thursday 8 January 2026 end
	// on Wednesday 14 January, Saturday 10 January counted.
	if _, hol := c.Holiday("2026-01-10"); hol || !c.WorkingDay("2026-01-10") || c.WorkingDay("2026-01-17") {
		t.Errorf("2026-01-10 (worked): holiday %v, working %v; 2026-01-17 working %v", hol, c.WorkingDay("2026-01-10"), c.WorkingDay("2026-01-17"))
	}
	if got := c.Due("2026-01-08", 5, projections.WorkingDays); got != "2026-01-14" {
		t.Errorf("5 working days from 2026-01-08: %s, want 2026-01-14", got)
	}
	for _, k := range []struct {
		from, to events.Date
		count    projections.DayCount
		want     int
	}{
		{"2026-01-08", "2026-01-14", projections.WorkingDays, 5}, {"2026-01-08", "2026-01-14", projections.CalendarDays, 6},
		{"2026-02-13", "2026-02-23", projections.WorkingDays, 1}, // Tết
		{"2026-01-14", "2026-01-08", projections.WorkingDays, 0}, {"2026-01-08", "bad", projections.CalendarDays, 0},
	} {
		if got := c.Between(k.from, k.to, k.count); got != k.want {
			t.Errorf("Between(%s, %s, %s) = %d, want %d", k.from, k.to, k.count, got, k.want)
		}
	}
	for _, d := range []events.Date{"2022-06-15", "2028-06-15", "2025-02-30", ""} {
		if c.Covers(d) {
			t.Errorf("Covers(%q) = true", d)
		}
	}
	holidays := []struct {
		d    events.Date
		name string // a prefix; "" for a day that is not a holiday
	}{
		{"2023-01-02", "Tết Dương lịch"},
		{"2023-01-26", "Tết Nguyên đán"},
		{"2023-01-27", ""},
		{"2023-05-03", "Ngày Chiến thắng"},
		{"2024-02-14", "Tết Nguyên đán"},
		{"2024-04-18", "Giỗ Tổ Hùng Vương"},
		{"2024-04-29", "Ngày Chiến thắng"},
		{"2025-02-02", "Tết Nguyên đán"},
		{"2025-04-07", "Giỗ Tổ Hùng Vương"},
		{"2025-05-02", "Ngày Quốc tế Lao động"},
		{"2025-09-01", "Quốc khánh"},
		{"2026-01-02", "Tết Dương lịch"},
		{"2026-02-17", "Tết Nguyên đán"},
		{"2026-04-27", "Giỗ Tổ Hùng Vương"},
		{"2027-02-06", "Tết Nguyên đán"},
		{"2027-04-16", "Giỗ Tổ Hùng Vương"},
		{"2025-06-16", ""},
		{"bad", ""},
	}
	for _, k := range holidays {
		name, ok := c.Holiday(k.d)
		if ok != (k.name != "") || !strings.HasPrefix(name, k.name) {
			t.Errorf("Holiday(%q) = %q, %v; want %q", k.d, name, ok, k.name)
		}
	}
	working := []struct {
		d    events.Date
		want bool
	}{
		{"2024-02-15", true},  // Thursday after Tết
		{"2024-02-12", false}, // Monday in Tết
		{"2024-03-09", false}, // Saturday
		{"2024-03-10", false}, // Sunday
		{"2024-03-11", true},  // Monday
		{"2030-01-01", true},  // a year the file does not list
		{"2024-02-30", false}, // not a date
	}
	for _, k := range working {
		if got := c.WorkingDay(k.d); got != k.want {
			t.Errorf("WorkingDay(%q) = %v, want %v", k.d, got, k.want)
		}
	}
	// A nil calendar has no holidays and does not panic.
	var none *projections.Calendar
	if got := none.Due("2024-02-07", 1, cal); got != "2024-02-08" {
		t.Errorf("nil calendar: Due = %q", got)
	}
	if none.Covers("2024-01-01") || !none.WorkingDay("2024-02-12") {
		t.Error("a nil calendar covers a year or has a holiday")
	}
}

// brief lists the rules of domain.md §3 and those other code depends on,
// with their numbers and the article their basis must cite.
var brief = []struct {
	key    string
	days   int
	count  projections.DayCount
	before bool
	status string // "" when the brief sets none
	basis  string // what the basis must name: the law, the article
}{
	{"recommendation.response", 20, cal, false, "S", "Sổ tay"},
	{"recommendation.implementation", 1, cal, false, "C", "Luật MTTQ Việt Nam 2015 (75/2015/QH13) Điều 30"},
	{"recommendation.hearing", 183, cal, false, "C", "Luật MTTQ Việt Nam 2015 (75/2015/QH13) Điều 30.1"},
	{"critique.draftLeadTime", 15, cal, true, "C", "Luật MTTQ Việt Nam 2015 (75/2015/QH13) Điều 36.1"},
	{"critique.response", 1, cal, false, "", "Luật Ban hành văn bản quy phạm pháp luật 2025 Điều 6.4"},
	{"supervision.resultReport", 15, cal, false, "C", "403/2017/NQLT-UBTVQH14-CP-ĐCTUBTWMTTQVN Điều 9.1"},
	{"supervision.priorNotice", 15, cal, true, "", "Luật MTTQ Việt Nam 2015 (75/2015/QH13) Điều 29.1"},
	{"supervision.subjectReport", 15, cal, false, "R", "403/2017/NQLT-UBTVQH14-CP-ĐCTUBTWMTTQVN Điều 8"},
	{"supervision.document", 10, wd, false, "R", "403/2017/NQLT-UBTVQH14-CP-ĐCTUBTWMTTQVN Điều 23.1"},
	{"voter.petition", 40, cal, false, "", "Quyết định 33/2017/QĐ-TTg Điều 12"},
	{"voter.petition.lead", 50, cal, false, "", "Quyết định 33/2017/QĐ-TTg Điều 12"},
	{"info.post.simple", 5, wd, false, "", "Luật Tiếp cận thông tin 2016 (104/2016/QH13) Điều 31.1"},
	{"info.electronic.simple", 3, wd, false, "", "Luật Tiếp cận thông tin 2016 (104/2016/QH13) Điều 30"},
	{"info.inperson", 10, wd, false, "", "Luật Tiếp cận thông tin 2016 (104/2016/QH13) Điều 29"},
	{"info.inperson.extension.max", 10, wd, false, "R", "Luật Tiếp cận thông tin 2016 (104/2016/QH13) Điều 29"},
	{"info.complex.notice", 3, wd, false, "", "Luật Tiếp cận thông tin 2016 (104/2016/QH13) Điều 31.2"},
	{"info.complex.provide", 15, wd, false, "", "Luật Tiếp cận thông tin 2016 (104/2016/QH13) Điều 31.2"},
	{"info.extension.max", 15, cal, false, "", "Luật Tiếp cận thông tin 2016 (104/2016/QH13) Điều 31.2"},
	{"complaint.accept", 10, cal, false, "", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 27"},
	{"complaint.accept.second", 10, cal, false, "", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 36"},
	{"complaint.first", 30, cal, false, "", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 28"},
	{"complaint.first.complex", 45, cal, false, "", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 28"},
	{"complaint.first.remote", 45, cal, false, "", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 28"},
	{"complaint.first.remote.complex", 60, cal, false, "", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 28"},
	{"complaint.second", 45, cal, false, "", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 37"},
	{"complaint.second.complex", 60, cal, false, "", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 37"},
	{"denunciation.resolve", 30, cal, false, "", "Luật Tố cáo 2018 (25/2018/QH14) Điều 30"},
	{"denunciation.extension.max", 30, cal, false, "", "Luật Tố cáo 2018 (25/2018/QH14) Điều 30"},
	{"denunciation.intake", 7, wd, false, "R", "Luật Tố cáo 2018 (25/2018/QH14) Điều 24"},
	{"denunciation.mttqForwarded", 7, cal, false, "", "Luật Tố cáo 2011 (03/2011/QH13) Điều 44"},
	{"complaint.second.remote", 60, cal, false, "C", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 37"},
	{"complaint.second.remote.complex", 70, cal, false, "C", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 37"},
	{"complaint.appeal", 30, cal, false, "S", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 33"},
	{"complaint.appeal.remote", 45, cal, false, "S", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 33"},
	{"complaint.limitation", 90, cal, false, "S", "Luật Khiếu nại 2011 (02/2011/QH13) Điều 9"},
	{"voter.petition.legacy", 60, cal, false, "C", "525/2012/NQLT-UBTVQH13-ĐCTUBTWMTTQVN Điều 36.1"},
	{"reception.commune", 7, cal, false, "C", "Luật Tiếp công dân 2013 (42/2013/QH13) Điều 15.2"},
	{"reception.district", 30, cal, false, "C", "Luật Tiếp công dân 2013 (42/2013/QH13) Điều 13.5"},
	{"reception.province", 30, cal, false, "C", "Luật Tiếp công dân 2013 (42/2013/QH13) Điều 12.5; Nghị định 64/2014/NĐ-CP Điều 4.2"},
	{"reception.agencyHead", 30, cal, false, "C", "Luật Tiếp công dân 2013 (42/2013/QH13) Điều 18; Nghị định 64/2014/NĐ-CP Điều 4.2"},
	{"plan.annual", 365, cal, false, "C", "403/2017/NQLT-UBTVQH14-CP-ĐCTUBTWMTTQVN Điều 3"},
	{"hdnd.proposal", 0, cal, false, "C", "Luật Hoạt động giám sát của Quốc hội và Hội đồng nhân dân 2015 (87/2015/QH13) Điều 58.1"},
}

func TestDefaultRules(t *testing.T) {
	table := projections.DefaultRules()
	if table.Version == "" {
		t.Error("the default table has no version")
	}
	for _, k := range brief {
		r, ok := table.Rule(k.key)
		switch {
		case !ok:
			t.Errorf("no rule %s", k.key)
			continue
		case r.Key != k.key:
			t.Errorf("Rule(%s) returned rule %s", k.key, r.Key)
		case !strings.Contains(r.Basis, k.basis) || k.basis == "":
			t.Errorf("rule %s: basis %q, want one citing %q", k.key, r.Basis, k.basis)
		case r.Days != k.days || r.Count != k.count || r.Before != k.before:
			t.Errorf("rule %s: %d %s before=%v, want %d %s before=%v", k.key, r.Days, r.Count, r.Before, k.days, k.count, k.before)
		case k.status != "" && r.Status != k.status:
			t.Errorf("rule %s: status %q, want %q", k.key, r.Status, k.status)
		case r.ObligationEN == "":
			t.Errorf("rule %s has no English obligation", k.key)
		}
	}
	for _, r := range table.Rules {
		if err := vietnamese(r.Obligation); err != nil {
			t.Errorf("rule %s: obligation: %v", r.Key, err)
		}
	}
	// domain.md §3 hdnd.proposal: "by 01/03 of the preceding year", a day
	// of the year rather than a period.
	if r, _ := table.Rule("hdnd.proposal"); r.On != "03-01" || r.YearOffset != -1 {
		t.Errorf("hdnd.proposal: on %q, year offset %d, want 03-01 of the year before", r.On, r.YearOffset)
	}
	if r, _ := table.Rule("recommendation.response"); r.Note == "" {
		t.Error("recommendation.response has no note on its unconfirmed source")
	}
	if _, ok := table.Rule("no.such.rule"); ok {
		t.Error("Rule found a rule that does not exist")
	}
	want := projections.Thresholds{RepeatLateCount: 3, RepeatLateWindowDays: 365, SessionPostponedCount: 2, HearingMonths: 6,
		OverlapWindowDays: 183, OverburdenPerQuarter: 2, OverburdenRequests: 10, OverburdenSessions: 5,
		ReceptionCommunePerWeek: 1, ReceptionDistrictPerMonth: 2, ReceptionProvincePerMonth: 1, RepeatPetitionSimilarity: 50, FalseDenunciationCount: 1, RetaliationWindowDays: 365, BulkCount: 3, BulkWindowDays: 30}
	got := table.Thresholds
	got.OverreachKeywords, got.OutOfScopeKeywords = nil, nil
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("thresholds %+v, want %+v", got, want)
	}
	if n := len(table.Thresholds.OverreachKeywords); n < 6 {
		t.Errorf("%d overreach keywords, want about 8", n)
	}
	if n := len(table.Thresholds.OutOfScopeKeywords); n < 3 {
		t.Errorf("%d out-of-scope keywords, want about 5", n)
	}
	for _, k := range slices.Concat(table.Thresholds.OverreachKeywords, table.Thresholds.OutOfScopeKeywords) {
		if err := vietnamese(k); err != nil {
			t.Errorf("keyword %q: %v", k, err)
		}
	}

	// Each call returns a copy; Rule sees a change to a rule.
	table.Rules[0].Days += 100
	table.Thresholds.OverreachKeywords[0] = "changed"
	if r, _ := table.Rule(table.Rules[0].Key); r.Days != table.Rules[0].Days {
		t.Errorf("Rule returns %d days after a change to %d", r.Days, table.Rules[0].Days)
	}
	renamed := table.Rules[1].Key
	table.Rules[1].Key = "renamed"
	if _, ok := table.Rule(renamed); ok {
		t.Errorf("Rule finds %s after it was renamed", renamed)
	}
	if r, ok := table.Rule("renamed"); !ok || r.Key != "renamed" {
		t.Error("Rule does not find a renamed rule")
	}
	last := table.Rules[len(table.Rules)-1].Key
	table.Rules = table.Rules[:2]
	if _, ok := table.Rule(last); ok {
		t.Errorf("Rule finds %s after the rules were cut to two", last)
	}
	again := projections.DefaultRules()
	if again.Rules[0].Days == table.Rules[0].Days || again.Thresholds.OverreachKeywords[0] == "changed" {
		t.Error("DefaultRules shares its rules between calls")
	}
	var none *projections.RuleTable
	if _, ok := none.Rule("complaint.first"); ok {
		t.Error("a nil table has a rule")
	}
	hand := &projections.RuleTable{Rules: []projections.Rule{{Key: "a", Days: 2}}}
	if r, ok := hand.Rule("a"); !ok || r.Days != 2 {
		t.Error("Rule does not find a rule of a table built by hand")
	}
}

// vietnamese checks that s is written in precomposed (NFC) Vietnamese: no
// combining marks, and at least one letter with a diacritic.
func vietnamese(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty")
	}
	marked := false
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) {
			return fmt.Errorf("%q has a combining mark U+%04X: not NFC", s, r)
		}
		if r >= utf8.RuneSelf && unicode.IsLetter(r) {
			marked = true
		}
	}
	if !marked {
		return fmt.Errorf("%q has no diacritics", s)
	}
	return nil
}

// rulesDoc is a valid rule table, as JSON, changed by edit.
func rulesDoc(t *testing.T, edit func(doc map[string]any, rules []map[string]any, th map[string]any)) []byte {
	t.Helper()
	rule := func(key string) map[string]any {
		return map[string]any{"key": key, "obligation": "Trả lời", "obligation_en": "Answer", "days": 10, "count": "cal", "basis": "Điều 1", "status": "C"}
	}
	rules := []map[string]any{rule("a"), rule("b")}
	th := map[string]any{"repeat_late_count": 3, "repeat_late_window_days": 365, "session_postponed_count": 2, "hearing_months": 6,
		"overlap_window_days": 183, "overburden_per_quarter": 2, "overburden_requests": 10, "overreach_keywords": []string{"cách chức"}}
	doc := map[string]any{"version": "test.1", "rules": rules, "thresholds": th}
	if edit != nil {
		edit(doc, rules, th)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRulesErrors(t *testing.T) {
	table, err := projections.ParseRules("rules.json", rulesDoc(t, nil))
	if err != nil {
		t.Fatalf("the valid document: %v", err)
	}
	// A table written before the reception minimums were added takes
	// their defaults.
	if th := table.Thresholds; th.ReceptionCommunePerWeek != 1 || th.ReceptionDistrictPerMonth != 2 || th.ReceptionProvincePerMonth != 1 {
		t.Errorf("reception minimums of a table without them: %+v, want the defaults 1, 2, 1", th)
	}
	// So does one written before the petitioners' flags.
	if th := table.Thresholds; th.RepeatPetitionSimilarity != 50 || th.FalseDenunciationCount != 1 || th.RetaliationWindowDays != 365 || th.BulkCount != 3 || th.BulkWindowDays != 30 {
		t.Errorf("petitioners' and retaliation thresholds of a table without them: %+v, want the defaults 50, 1, 365, 3, 30", th)
	}
	type edit = func(doc map[string]any, rules []map[string]any, th map[string]any)
	cases := []struct {
		name  string
		edit  edit
		field string
	}{
		{"duplicate key", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[1]["key"] = "a" }, "rules[1].key"},
		{"empty key", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[0]["key"] = "" }, "rules[0].key"},
		{"key with a space", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[0]["key"] = "a b" }, "rules[0].key"},
		{"days 0", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[1]["days"] = 0 }, "rules[1].days"},
		{"negative days", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[0]["days"] = -5 }, "rules[0].days"},
		{"days as text", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[0]["days"] = "10" }, "rules[0].days"},
		{"count xx", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[0]["count"] = "xx" }, "rules[0].count"},
		{"on not a day", func(_ map[string]any, r []map[string]any, _ map[string]any) {
			r[0]["key"], r[0]["on"], r[0]["days"] = "hdnd.proposal", "02-30", 0
		}, "rules[0].on"},
		{"on as a date", func(_ map[string]any, r []map[string]any, _ map[string]any) {
			r[0]["key"], r[0]["on"], r[0]["days"] = "hdnd.proposal", "2025-03-01", 0
		}, "rules[0].on"},
		{"on with days", func(_ map[string]any, r []map[string]any, _ map[string]any) {
			r[0]["key"], r[0]["on"] = "hdnd.proposal", "03-01"
		}, "rules[0].on"},
		{"on with before", func(_ map[string]any, r []map[string]any, _ map[string]any) {
			r[0]["key"], r[0]["on"], r[0]["days"], r[0]["before"] = "hdnd.proposal", "03-01", 0, true
		}, "rules[0].on"},
		{"on for a rule counted in days", func(_ map[string]any, r []map[string]any, _ map[string]any) {
			r[0]["key"], r[0]["on"], r[0]["days"] = "recommendation.response", "03-01", 0
		}, "rules[0].on"},
		{"year offset without on", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[0]["year_offset"] = -1 }, "rules[0].year_offset"},
		{"no basis", func(_ map[string]any, r []map[string]any, _ map[string]any) { delete(r[1], "basis") }, "rules[1].basis"},
		{"no obligation", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[0]["obligation"] = " " }, "rules[0].obligation"},
		{"bad status", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[0]["status"] = "X" }, "rules[0].status"},
		{"unknown field in a rule", func(_ map[string]any, r []map[string]any, _ map[string]any) { r[1]["dayz"] = 3 }, "rules[1].dayz"},
		{"unknown top-level field", func(d map[string]any, _ []map[string]any, _ map[string]any) { d["extra"] = 1 }, "extra"},
		{"unknown threshold", func(_ map[string]any, _ []map[string]any, th map[string]any) { th["hearing_weeks"] = 1 }, "thresholds.hearing_weeks"},
		{"threshold 0", func(_ map[string]any, _ []map[string]any, th map[string]any) { th["hearing_months"] = 0 }, "thresholds.hearing_months"},
		{"reception minimum 0", func(_ map[string]any, _ []map[string]any, th map[string]any) { th["reception_district_per_month"] = 0 }, "thresholds.reception_district_per_month"},
		{"similarity 0", func(_ map[string]any, _ []map[string]any, th map[string]any) { th["repeat_petition_similarity"] = 0 }, "thresholds.repeat_petition_similarity"},
		{"similarity over 100", func(_ map[string]any, _ []map[string]any, th map[string]any) { th["repeat_petition_similarity"] = 101 }, "thresholds.repeat_petition_similarity"},
		{"retaliation window 0", func(_ map[string]any, _ []map[string]any, th map[string]any) { th["retaliation_window_days"] = 0 }, "thresholds.retaliation_window_days"},
		{"bulk count 0", func(_ map[string]any, _ []map[string]any, th map[string]any) { th["bulk_count"] = 0 }, "thresholds.bulk_count"},
		{"bulk count 1", func(_ map[string]any, _ []map[string]any, th map[string]any) { th["bulk_count"] = 1 }, "thresholds.bulk_count"},
		{"false denunciations 0", func(_ map[string]any, _ []map[string]any, th map[string]any) { th["false_denunciation_count"] = 0 }, "thresholds.false_denunciation_count"},
		{"missing threshold", func(_ map[string]any, _ []map[string]any, th map[string]any) { delete(th, "overburden_requests") }, "thresholds.overburden_requests"},
		{"empty keyword", func(_ map[string]any, _ []map[string]any, th map[string]any) {
			th["overreach_keywords"] = []string{"cách chức", " "}
		}, "thresholds.overreach_keywords[1]"},
		{"no thresholds", func(d map[string]any, _ []map[string]any, _ map[string]any) { delete(d, "thresholds") }, "thresholds"},
		{"no version", func(d map[string]any, _ []map[string]any, _ map[string]any) { d["version"] = "" }, "version"},
		{"no rules", func(d map[string]any, _ []map[string]any, _ map[string]any) { d["rules"] = []any{} }, "rules"},
		{"rules not a list", func(d map[string]any, _ []map[string]any, _ map[string]any) { d["rules"] = "none" }, "rules"},
	}
	for _, k := range cases {
		_, err := projections.ParseRules("rules.json", rulesDoc(t, k.edit))
		if err == nil || !strings.HasPrefix(err.Error(), "rules.json: "+k.field+":") {
			t.Errorf("%s: %v, want an error starting %q", k.name, err, "rules.json: "+k.field+":")
		}
	}
	raw := []struct {
		name, doc, want string
	}{
		{"empty file", "", "rules.json: the file is empty"},
		{"syntax error", "{\n  \"version\": \"x\",\n  \"rules\": [,]\n}", "rules.json:3:"},
		{"cut short", `{"version": "x", "rules": [`, "rules.json: the JSON document is cut short"},
		{"trailing data", string(rulesDoc(t, nil)) + "\n{}", "rules.json:2:"},
		{"not an object", `[1]`, "rules.json: want a JSON object"},
	}
	for _, k := range raw {
		_, err := projections.ParseRules("rules.json", []byte(k.doc))
		if err == nil || !strings.HasPrefix(err.Error(), k.want) {
			t.Errorf("%s: %v, want an error starting %q", k.name, err, k.want)
		}
	}
	// The keyword list may be empty or missing.
	for _, kw := range []any{[]string{}, nil} {
		doc := rulesDoc(t, func(_ map[string]any, _ []map[string]any, th map[string]any) { th["overreach_keywords"] = kw })
		if _, err := projections.ParseRules("rules.json", doc); err != nil {
			t.Errorf("keywords %v: %v", kw, err)
		}
	}
}

func TestParseCalendarErrors(t *testing.T) {
	ok := `{"note": "editable", "years": {"2024": [{"date": "2024-01-01", "name": "Tết Dương lịch"}], "2025": []}}`
	c, err := projections.ParseCalendar("h.json", []byte(ok))
	if err != nil {
		t.Fatalf("the valid document: %v", err)
	}
	if name, _ := c.Holiday("2024-01-01"); name != "Tết Dương lịch" || !c.Covers("2025-03-01") || c.Covers("2026-01-01") {
		t.Errorf("the valid document: %q, covers 2025 %v, 2026 %v", name, c.Covers("2025-03-01"), c.Covers("2026-01-01"))
	}
	cases := []struct {
		name, doc, field string
	}{
		{"date outside its year", `{"years": {"2024": [{"date": "2025-01-01", "name": "x"}]}}`, "years.2024[0].date"},
		{"impossible month", `{"years": {"2024": [{"date": "2024-13-01", "name": "x"}]}}`, "years.2024[0].date"},
		{"impossible day", `{"years": {"2023": [{"date": "2023-01-01", "name": "x"}, {"date": "2023-02-29", "name": "x"}]}}`, "years.2023[1].date"},
		{"malformed date", `{"years": {"2024": [{"date": "2024-1-5", "name": "x"}]}}`, "years.2024[0].date"},
		{"date as a number", `{"years": {"2024": [{"date": 20240101, "name": "x"}]}}`, "years.2024[0].date"},
		{"no date", `{"years": {"2024": [{"name": "x"}]}}`, "years.2024[0].date"},
		{"no name", `{"years": {"2024": [{"date": "2024-01-01", "name": ""}]}}`, "years.2024[0].name"},
		{"listed twice", `{"years": {"2024": [{"date": "2024-01-01", "name": "x"}, {"date": "2024-01-01", "name": "y"}]}}`, "years.2024[1].date"},
		{"year not a number", `{"years": {"20x4": []}}`, "years.20x4"},
		{"year of two digits", `{"years": {"24": []}}`, "years.24"},
		{"unknown field in a holiday", `{"years": {"2024": [{"date": "2024-01-01", "name": "x", "paid": true}]}}`, "years.2024[0].paid"},
		{"unknown top-level field", `{"years": {}, "yeers": {}}`, "yeers"},
		{"no years", `{"note": "x"}`, "years"},
		{"a weekday worked", `{"years": {"2024": [{"date": "2024-01-02", "name": "Làm bù", "working": true}]}}`, "years.2024[0].working"},
	}
	for _, k := range cases {
		_, err := projections.ParseCalendar("h.json", []byte(k.doc))
		if err == nil || !strings.HasPrefix(err.Error(), "h.json: "+k.field+":") {
			t.Errorf("%s: %v, want an error starting %q", k.name, err, "h.json: "+k.field+":")
		}
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("rules.json", rulesDoc(t, nil))
	if r, err := projections.LoadRules(good); err != nil || len(r.Rules) != 2 {
		t.Errorf("LoadRules: %v", err)
	}
	bad := write("bad-rules.json", rulesDoc(t, func(_ map[string]any, r []map[string]any, _ map[string]any) { r[1]["days"] = 0 }))
	if _, err := projections.LoadRules(bad); err == nil || !strings.Contains(err.Error(), bad+": rules[1].days") {
		t.Errorf("LoadRules(bad): %v", err)
	}
	hol := write("holidays.json", []byte(`{"years": {"2024": [{"date": "2024-02-12", "name": "Tết Nguyên đán"}]}}`))
	if c, err := projections.LoadCalendar(hol); err != nil || c.WorkingDay("2024-02-12") {
		t.Errorf("LoadCalendar: %v", err)
	}
	missing := filepath.Join(dir, "missing.json")
	if _, err := projections.LoadRules(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadRules(missing): %v", err)
	}
	if _, err := projections.LoadCalendar(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("LoadCalendar(missing): %v", err)
	}
	// The files as shipped load from disk too.
	if _, err := projections.LoadRules(filepath.Join("config", "deadlines.json")); err != nil {
		t.Error(err)
	}
	if _, err := projections.LoadCalendar(filepath.Join("config", "holidays-vn.json")); err != nil {
		t.Error(err)
	}
}

func TestConfigDigest(t *testing.T) {
	rules, c := projections.DefaultRules(), projections.DefaultCalendar()
	base := projections.ConfigDigest(rules, c)
	if len(base) != 24 || strings.Trim(base, "0123456789abcdef") != "" {
		t.Fatalf("digest %q is not 24 hex digits", base)
	}
	if again := projections.ConfigDigest(projections.DefaultRules(), projections.DefaultCalendar()); again != base {
		t.Error("the digest of the same configuration changed")
	}

	changed := projections.DefaultRules()
	changed.Rules[3].Days++
	if projections.ConfigDigest(changed, c) == base {
		t.Error("the digest ignores a rule's days")
	}
	changed = projections.DefaultRules()
	changed.Thresholds.HearingMonths++
	if projections.ConfigDigest(changed, c) == base {
		t.Error("the digest ignores a threshold")
	}
	reordered := projections.DefaultRules()
	for i, j := 0, len(reordered.Rules)-1; i < j; i, j = i+1, j-1 {
		reordered.Rules[i], reordered.Rules[j] = reordered.Rules[j], reordered.Rules[i]
	}
	if projections.ConfigDigest(reordered, c) != base {
		t.Error("the digest depends on the order of the rules")
	}

	cal := func(doc string) *projections.Calendar {
		c, err := projections.ParseCalendar("h.json", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	one := cal(`{"note": "a", "years": {"2024": [{"date": "2024-01-01", "name": "x"}, {"date": "2024-02-12", "name": "y"}]}}`)
	digest := projections.ConfigDigest(rules, one)
	for _, k := range []struct {
		name, doc string
		same      bool
	}{
		{"another note, entries reordered", `{"note": "b", "years": {"2024": [{"date": "2024-02-12", "name": "y"}, {"date": "2024-01-01", "name": "x"}]}}`, true},
		{"a holiday added", `{"years": {"2024": [{"date": "2024-01-01", "name": "x"}, {"date": "2024-02-12", "name": "y"}, {"date": "2024-02-13", "name": "y"}]}}`, false},
		{"a holiday moved", `{"years": {"2024": [{"date": "2024-01-01", "name": "x"}, {"date": "2024-02-13", "name": "y"}]}}`, false},
		{"a year covered", `{"years": {"2024": [{"date": "2024-01-01", "name": "x"}, {"date": "2024-02-12", "name": "y"}], "2025": []}}`, false},
	} {
		if got := projections.ConfigDigest(rules, cal(k.doc)) == digest; got != k.same {
			t.Errorf("%s: same digest %v, want %v", k.name, got, k.same)
		}
	}
	if projections.ConfigDigest(nil, nil) == base {
		t.Error("an empty configuration has the default's digest")
	}
}

var sink events.Date

func BenchmarkDue(b *testing.B) {
	c := projections.DefaultCalendar()
	triggers := make([]events.Date, 0, 1096)
	for d := events.Date("2024-01-01"); d < "2027-01-01"; d = projections.AddDays(d, 1) {
		triggers = append(triggers, d)
	}
	for _, k := range []struct {
		name  string
		days  int
		count projections.DayCount
	}{{"cal20", 20, cal}, {"wd5", 5, wd}, {"wd15", 15, wd}} {
		b.Run(k.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				sink = c.Due(triggers[i%len(triggers)], k.days, k.count)
				i++
			}
		})
	}
}
