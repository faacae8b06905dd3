package projections

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// DayCount says how a rule counts days.
type DayCount string

// Day counts.
const (
	CalendarDays DayCount = "cal"
	WorkingDays  DayCount = "wd"
)

// Rule is one statutory deadline of domain.md §3.
type Rule struct {
	Key          string `json:"key"`
	Obligation   string `json:"obligation"`
	ObligationEN string `json:"obligation_en"`
	// Days is the period; Count says whether it counts calendar or
	// working days.
	Days  int      `json:"days"`
	Count DayCount `json:"count"`
	// Before marks a lead time: the act is due Days before a target date
	// (the draft reaches MTTQ at least 15 days before submission).
	Before bool   `json:"before,omitempty"`
	Basis  string `json:"basis"`
	// Status is how sure the source is: C confirmed in a primary text, S
	// a secondary source, R to research (as in domain.md).
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// Thresholds are the numbers the derived flags use (domain.md §4).
type Thresholds struct {
	RepeatLateCount       int      `json:"repeat_late_count"`
	RepeatLateWindowDays  int      `json:"repeat_late_window_days"`
	SessionPostponedCount int      `json:"session_postponed_count"`
	HearingMonths         int      `json:"hearing_months"`
	OverlapWindowDays     int      `json:"overlap_window_days"`
	OverburdenPerQuarter  int      `json:"overburden_per_quarter"`
	OverburdenRequests    int      `json:"overburden_requests"`
	OverreachKeywords     []string `json:"overreach_keywords"`
}

// RuleTable is the deadline configuration: every rule with its citation,
// and the flag thresholds. Version names the table; flags carry it as
// their rule version.
type RuleTable struct {
	Version    string     `json:"version"`
	Rules      []Rule     `json:"rules"`
	Thresholds Thresholds `json:"thresholds"`
	byKey      map[string]Rule
}

//go:embed config/deadlines.json
var defaultRules []byte

//go:embed config/holidays-vn.json
var defaultHolidays []byte

// DefaultRules returns the built-in rule table (config/deadlines.json).
func DefaultRules() *RuleTable {
	t, err := ParseRules("config/deadlines.json", defaultRules)
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return t
}

// LoadRules reads and validates a rule table file.
func LoadRules(path string) (*RuleTable, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseRules(path, b)
}

// ParseRules reads a rule table (strict JSON: unknown fields are errors)
// and validates it; errors name the file and the field.
func ParseRules(name string, b []byte) (*RuleTable, error) {
	var t RuleTable
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %s", name, field, fmt.Sprintf(format, args...))
	}
	if t.Version == "" {
		return nil, bad("version", "required")
	}
	t.byKey = map[string]Rule{}
	for i, r := range t.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		switch {
		case r.Key == "":
			return nil, bad(f+".key", "required")
		case t.byKey[r.Key].Key != "":
			return nil, bad(f+".key", "%q appears twice", r.Key)
		case r.Days <= 0:
			return nil, bad(f+".days", "must be 1 or more, not %d", r.Days)
		case r.Count != CalendarDays && r.Count != WorkingDays:
			return nil, bad(f+".count", "must be \"cal\" or \"wd\", not %q", r.Count)
		case r.Basis == "":
			return nil, bad(f+".basis", "the legal basis is required")
		case r.Obligation == "":
			return nil, bad(f+".obligation", "required")
		}
		t.byKey[r.Key] = r
	}
	th := t.Thresholds
	for _, c := range []struct {
		f string
		v int
	}{{"repeat_late_count", th.RepeatLateCount}, {"repeat_late_window_days", th.RepeatLateWindowDays}, {"session_postponed_count", th.SessionPostponedCount},
		{"hearing_months", th.HearingMonths}, {"overlap_window_days", th.OverlapWindowDays}, {"overburden_per_quarter", th.OverburdenPerQuarter},
		{"overburden_requests", th.OverburdenRequests}} {
		if c.v <= 0 {
			return nil, bad("thresholds."+c.f, "must be 1 or more, not %d", c.v)
		}
	}
	return &t, nil
}

// Rule returns the rule with key k.
func (t *RuleTable) Rule(k string) (Rule, bool) {
	r, ok := t.byKey[k]
	return r, ok
}

// Holiday is one public holiday, or one day of a holiday of several days.
type Holiday struct {
	Date events.Date `json:"date"`
	Name string      `json:"name"`
}

// Calendar knows which days are working days: Monday to Friday except
// public holidays (Bộ luật Lao động 2019 Art. 112). Tết and the Hùng Kings'
// day follow the lunar calendar, so the file lists each year's dates,
// compensatory days off included; operators edit it.
type Calendar struct {
	holidays map[int32]string
	years    map[int]bool
	file     calendarFile
}

type calendarFile struct {
	Note  string                   `json:"note,omitempty"`
	Years map[string][]holidayJSON `json:"years"`
}

// holidayJSON is a Holiday as read, so that a malformed date is reported
// with its place in the file.
type holidayJSON struct {
	Date string `json:"date"`
	Name string `json:"name"`
}

// DefaultCalendar returns the built-in calendar (config/holidays-vn.json).
func DefaultCalendar() *Calendar {
	c, err := ParseCalendar("config/holidays-vn.json", defaultHolidays)
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return c
}

// LoadCalendar reads and validates a holiday file.
func LoadCalendar(path string) (*Calendar, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCalendar(path, b)
}

// ParseCalendar reads a holiday file:
// {"note": "...", "years": {"2025": [{"date": "2025-01-01", "name": "Tết Dương lịch"}, ...]}}.
func ParseCalendar(name string, b []byte) (*Calendar, error) {
	c := &Calendar{holidays: map[int32]string{}, years: map[int]bool{}}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c.file); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	for y, hs := range c.file.Years {
		year, err := strconv.Atoi(y)
		if err != nil || year < 1945 || year > 2200 {
			return nil, fmt.Errorf("%s: years.%s: not a year", name, y)
		}
		c.years[year] = true
		for i, h := range hs {
			d, ok := dayNumber(events.Date(h.Date))
			if !ok {
				return nil, fmt.Errorf("%s: years.%s[%d].date: %q is not a date such as %d-01-01", name, y, i, h.Date, year)
			}
			if string(h.Date[:4]) != y {
				return nil, fmt.Errorf("%s: years.%s[%d].date: %s is not in %s", name, y, i, h.Date, y)
			}
			if h.Name == "" {
				return nil, fmt.Errorf("%s: years.%s[%d].name: required", name, y, i)
			}
			c.holidays[d] = h.Name
		}
	}
	return c, nil
}

// dayNumber returns the days since 1970-01-01 of d, parsed by hand (the
// projections call it for every deadline of every event).
func dayNumber(d events.Date) (int32, bool) {
	s := string(d)
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(s string) (int, bool) {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	day, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || day < 1 || day > daysIn(y, m) {
		return 0, false
	}
	return int32(daysFromCivil(y, m, day)), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is Howard Hinnant's days_from_civil.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func dateOf(n int32) events.Date {
	return events.Date(time.Unix(int64(n)*86400, 0).UTC().Format(events.DateLayout))
}

// Holiday reports whether d is a listed public holiday, and its name.
func (c *Calendar) Holiday(d events.Date) (string, bool) {
	n, ok := dayNumber(d)
	if !ok {
		return "", false
	}
	name, ok := c.holidays[n]
	return name, ok
}

func (c *Calendar) working(n int32) bool {
	// 1970-01-01 was a Thursday: n%7 == 2 is Saturday, 3 Sunday.
	wd := ((n % 7) + 7) % 7
	if wd == 2 || wd == 3 {
		return false
	}
	_, hol := c.holidays[n]
	return !hol
}

// WorkingDay reports whether d is a working day: not a Saturday, Sunday
// or public holiday.
func (c *Calendar) WorkingDay(d events.Date) bool {
	n, ok := dayNumber(d)
	return ok && c.working(n)
}

// Covers reports whether the calendar lists holidays for d's year.
func (c *Calendar) Covers(d events.Date) bool {
	if len(d) < 4 {
		return false
	}
	y, err := strconv.Atoi(string(d[:4]))
	return err == nil && c.years[y]
}

// Due returns the last day to act under a rule running days days from
// trigger. The trigger day is not counted (Bộ luật Dân sự 2015 Art. 147).
// Calendar days: trigger + days, moved to the next working day if that is a
// weekend or holiday (Art. 148). Working days: the days-th working day
// after trigger. days <= 0 returns trigger; an invalid trigger returns "".
func (c *Calendar) Due(trigger events.Date, days int, count DayCount) events.Date {
	n, ok := dayNumber(trigger)
	if !ok {
		return ""
	}
	if days <= 0 {
		return trigger
	}
	if count == WorkingDays {
		for left := days; left > 0; {
			n++
			if c.working(n) {
				left--
			}
		}
		return dateOf(n)
	}
	n += int32(days)
	for i := 0; i < 60 && !c.working(n); i++ {
		n++
	}
	return dateOf(n)
}

// DueBefore returns the latest date that still meets a lead time of days
// before target: target − days calendar days, or days working days back.
func (c *Calendar) DueBefore(target events.Date, days int, count DayCount) events.Date {
	n, ok := dayNumber(target)
	if !ok {
		return ""
	}
	if count == WorkingDays {
		for left := days; left > 0; {
			n--
			if c.working(n) {
				left--
			}
		}
		return dateOf(n)
	}
	return dateOf(n - int32(days))
}

// DaysBetween returns b − a in calendar days (0 if either is invalid).
func DaysBetween(a, b events.Date) int {
	x, ok1 := dayNumber(a)
	y, ok2 := dayNumber(b)
	if !ok1 || !ok2 {
		return 0
	}
	return int(y - x)
}

// AddDays returns d + n calendar days ("" if d is invalid).
func AddDays(d events.Date, n int) events.Date {
	x, ok := dayNumber(d)
	if !ok {
		return ""
	}
	return dateOf(x + int32(n))
}

// AddMonths returns d plus n months, on the last day of the month when the
// day does not exist there (2025-08-31 + 6 months = 2026-02-28).
func AddMonths(d events.Date, n int) events.Date {
	t, err := d.Time()
	if err != nil {
		return ""
	}
	y, m := t.Year(), int(t.Month())-1+n
	y += m / 12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	day := min(t.Day(), daysIn(y, m+1))
	return events.Date(fmt.Sprintf("%04d-%02d-%02d", y, m+1, day))
}

// ConfigDigest names a rule table and calendar: views saved under another
// digest are stale.
func ConfigDigest(t *RuleTable, c *Calendar) string {
	h := sha256.New()
	json.NewEncoder(h).Encode(t)
	json.NewEncoder(h).Encode(c.file)
	return hex.EncodeToString(h.Sum(nil)[:12])
}
