package projections

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mttq-vn/ledger/events"
)

// DayCount says how a rule counts days.
type DayCount string

// The two ways of counting days (domain.md §3: "cal" and "wd").
const (
	// CalendarDays counts every day; a period that ends on a weekend or
	// public holiday ends on the next working day instead.
	CalendarDays DayCount = "cal"
	// WorkingDays counts only working days (Monday to Friday except public
	// holidays).
	WorkingDays DayCount = "wd"
)

// Rule is one statutory deadline of domain.md §3.
type Rule struct {
	// Key names the rule, such as "recommendation.response"; the
	// projections look rules up by it.
	Key string `json:"key"`
	// Obligation says in Vietnamese (full diacritics, NFC) who must do
	// what; ObligationEN says it in English.
	Obligation   string `json:"obligation"`
	ObligationEN string `json:"obligation_en"`
	// Days is the period (1 or more); Count says whether it counts
	// calendar or working days.
	Days  int      `json:"days"`
	Count DayCount `json:"count"`
	// On, for a rule due on a day of the year rather than after a period,
	// is that day as "MM-DD", of the year YearOffset years from the one the
	// duty is for (hdnd.proposal: "03-01", -1, by 1 March of the year
	// before the programme's); Days is then 0.
	On         string `json:"on,omitempty"`
	YearOffset int    `json:"year_offset,omitempty"`
	// Before marks a lead time: the act is due Days before a target date
	// (critique.draftLeadTime: the draft reaches MTTQ at least 15 days
	// before submission).
	Before bool `json:"before,omitempty"`
	// Basis is the legal citation, such as "Luật MTTQ Việt Nam 2015 Điều
	// 36.1".
	Basis string `json:"basis"`
	// Status is how sure the source is, as in domain.md: "C" confirmed in
	// a text, "S" a secondary source, "R" to research.
	Status string `json:"status"`
	// Note explains the rule's limits, if any.
	Note string `json:"note,omitempty"`
}

// Thresholds are the numbers the derived flags use (domain.md §4).
type Thresholds struct {
	// RepeatLateCount is OB_REPEAT_LATE's N: late or missing answers by
	// one respondent within RepeatLateWindowDays (defaults 3 and 365).
	RepeatLateCount      int `json:"repeat_late_count"`
	RepeatLateWindowDays int `json:"repeat_late_window_days"`
	// SessionPostponedCount is OB_SESSION_POSTPONED's count of
	// postponements asked by the subject of one supervision (default 2).
	SessionPostponedCount int `json:"session_postponed_count"`
	// HearingMonths is OB_NO_HEARING's period between hearings (default 6).
	HearingMonths int `json:"hearing_months"`
	// OverlapWindowDays is MU_OVERLAP's window for supervisions of one
	// subject on one topic (default 183).
	OverlapWindowDays int `json:"overlap_window_days"`
	// OverburdenPerQuarter, OverburdenRequests and OverburdenSessions
	// are MU_OVERBURDEN's limits (domain.md §4.2): supervisions of one
	// subject per quarter, and document requests and working sessions
	// held in one supervision, above which the flag is raised (defaults
	// 2, 10 and 5; a table without the last takes its default).
	OverburdenPerQuarter int `json:"overburden_per_quarter"`
	OverburdenRequests   int `json:"overburden_requests"`
	OverburdenSessions   int `json:"overburden_sessions"`
	// ReceptionCommunePerWeek, ReceptionDistrictPerMonth and
	// ReceptionProvincePerMonth are OB_RECEPTION_BELOW_MIN's minimums: the
	// days a People's Committee's chair receives citizens (Luật Tiếp công
	// dân Art. 15.2, 13.5, 12.5: defaults 1 a week, 2 and 1 a month). A
	// table without them takes the defaults.
	ReceptionCommunePerWeek   int `json:"reception_commune_per_week"`
	ReceptionDistrictPerMonth int `json:"reception_district_per_month"`
	ReceptionProvincePerMonth int `json:"reception_province_per_month"`
	// RepeatPetitionSimilarity is MU_REPEAT_PETITION's share, in percent,
	// of the words two complaints' summaries have in common (of all the
	// words either has) for the later to be taken for a repeat; 1 to 100
	// (default 50).
	RepeatPetitionSimilarity int `json:"repeat_petition_similarity"`
	// FalseDenunciationCount is MU_FALSE_DENUNCIATION's count of one
	// denouncer's denunciations concluded untrue from which each is
	// flagged (default 1: every one).
	FalseDenunciationCount int `json:"false_denunciation_count"`
	// BulkCount and BulkWindowDays are MU_ANONYMOUS_BULK's: petitions with
	// the same summary received within the window through more than one
	// channel, from the count-th on (defaults 3 and 30).
	BulkCount      int `json:"bulk_count"`
	BulkWindowDays int `json:"bulk_window_days"`
	// RetaliationWindowDays is how long after a petition's or a
	// supervision's matter ended an adverse action against the petitioner
	// or a member still raises OB_RETALIATION_SIGNAL (default 365).
	RetaliationWindowDays int `json:"retaliation_window_days"`
	// OverreachKeywords are MU_POWER_OVERREACH's Vietnamese phrases that
	// order rather than recommend, such as "buộc thôi việc". They are
	// matched elsewhere, without regard to case or diacritics. The list
	// may be empty.
	OverreachKeywords []string `json:"overreach_keywords"`
	// OutOfScopeKeywords are MU_OUT_OF_SCOPE_CONTENT's phrases of
	// supervision topics outside what MTTQ supervises (Luật MTTQ 2015
	// Art. 26.2: the implementation of policy and law touching the
	// People's rights), such as a court's judgment or a firm's internal
	// business; matched like OverreachKeywords, for human review. The
	// list may be empty or left out.
	OutOfScopeKeywords []string `json:"out_of_scope_keywords,omitempty"`
}

// RuleTable is the deadline configuration: every rule with its citation,
// and the flag thresholds. Version names the table; flags carry it as
// their rule version.
type RuleTable struct {
	Version    string     `json:"version"`
	Rules      []Rule     `json:"rules"`
	Thresholds Thresholds `json:"thresholds"`

	index map[string]int // key → position in Rules, built by ParseRules
}

// dayOfYearRules are the rules that may be due on a day of the year (On):
// kept for reference, no deadline is computed from them. A rule the
// projections count deadlines by (Views.due) reads Days, and with none
// would fall due on its trigger's day.
var dayOfYearRules = map[string]bool{"hdnd.proposal": true}

// isMonthDay reports whether s is a day of the year as MM-DD (29 February
// included).
func isMonthDay(s string) bool {
	return len(s) == 5 && events.Date("2000-"+s).Valid()
}

// The embedded configuration, and the names its errors would carry.
var (
	//go:embed config/deadlines.json
	builtinRulesJSON []byte
	//go:embed config/holidays-vn.json
	builtinHolidaysJSON []byte
)

const (
	builtinRulesName    = "projections/config/deadlines.json"
	builtinHolidaysName = "projections/config/holidays-vn.json"
)

var (
	builtinRules    = sync.OnceValues(func() (*RuleTable, error) { return ParseRules(builtinRulesName, builtinRulesJSON) })
	builtinCalendar = sync.OnceValues(func() (*Calendar, error) { return ParseCalendar(builtinHolidaysName, builtinHolidaysJSON) })
)

// DefaultRules returns the built-in rule table (projections/config/deadlines.json,
// embedded). Each call returns a fresh copy that the caller may change.
// It panics only if the embedded file is invalid, which the package's
// tests rule out.
func DefaultRules() *RuleTable {
	t, err := builtinRules()
	if err != nil {
		panic("projections: the built-in rule table is invalid: " + err.Error())
	}
	c := *t
	c.Rules = slices.Clone(t.Rules)
	c.Thresholds.OverreachKeywords = slices.Clone(t.Thresholds.OverreachKeywords)
	c.Thresholds.OutOfScopeKeywords = slices.Clone(t.Thresholds.OutOfScopeKeywords)
	return &c // the index is never written after parsing, so it is shared
}

// LoadRules reads a rule table from a JSON file; see ParseRules.
func LoadRules(path string) (*RuleTable, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseRules(path, b)
}

// ParseRules reads a rule table from JSON and validates it. Decoding is
// strict: an unknown field, or anything after the document, is an error.
// The table needs a version, at least one rule, and thresholds of 1 or
// more (the keyword list may be empty, but not hold an empty phrase).
// Every rule needs a unique key without spaces, an obligation, days of 1
// or more (or, for a rule of dayOfYearRules, a day of the year, on), a
// count of "cal" or "wd", a legal basis, and a status of "C", "S" or "R". Errors start with name and then the field at fault, such
// as "rules.json: rules[3].days: must be 1 or more, not 0".
func ParseRules(name string, b []byte) (*RuleTable, error) {
	var doc struct {
		Version    string            `json:"version"`
		Rules      []json.RawMessage `json:"rules"`
		Thresholds json.RawMessage   `json:"thresholds"`
	}
	if err := decodeStrict(b, &doc); err != nil {
		return nil, jsonError(name, "", b, err)
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %s", name, field, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(doc.Version) == "" {
		return nil, bad("version", "required: the name of this table, such as \"2026-11-26.1\"")
	}
	if len(doc.Rules) == 0 {
		return nil, bad("rules", "required: the table has no rules")
	}
	t := &RuleTable{Version: doc.Version, Rules: make([]Rule, 0, len(doc.Rules)), index: make(map[string]int, len(doc.Rules))}
	for i, raw := range doc.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		var r Rule
		if err := decodeStrict(raw, &r); err != nil {
			return nil, jsonError(name, f, nil, err)
		}
		switch {
		case r.Key == "":
			return nil, bad(f+".key", "required")
		case strings.ContainsFunc(r.Key, isSpace):
			return nil, bad(f+".key", "%q has a space in it", r.Key)
		case strings.TrimSpace(r.Obligation) == "":
			return nil, bad(f+".obligation", "required (rule %q)", r.Key)
		case r.On != "" && !dayOfYearRules[r.Key]:
			return nil, bad(f+".on", "rule %q is counted in days: only a rule kept for reference, of which no deadline is computed (%s), may be due on a day of the year", r.Key, strings.Join(slices.Sorted(maps.Keys(dayOfYearRules)), ", "))
		case r.On != "" && !isMonthDay(r.On):
			return nil, bad(f+".on", "must be a day of the year as MM-DD, such as \"03-01\", not %q (rule %q)", r.On, r.Key)
		case r.On != "" && (r.Days != 0 || r.Before):
			return nil, bad(f+".on", "a rule due on a day of the year has no days and no before (rule %q)", r.Key)
		case r.On == "" && r.YearOffset != 0:
			return nil, bad(f+".year_offset", "only a rule due on a day of the year (on) has one (rule %q)", r.Key)
		case r.On == "" && r.Days <= 0:
			return nil, bad(f+".days", "must be 1 or more, not %d (rule %q)", r.Days, r.Key)
		case r.Count != CalendarDays && r.Count != WorkingDays:
			return nil, bad(f+".count", "must be %q (calendar days) or %q (working days), not %q (rule %q)", CalendarDays, WorkingDays, r.Count, r.Key)
		case strings.TrimSpace(r.Basis) == "":
			return nil, bad(f+".basis", "the legal basis is required (rule %q)", r.Key)
		case r.Status != "C" && r.Status != "S" && r.Status != "R":
			return nil, bad(f+".status", "must be \"C\" (confirmed), \"S\" (secondary source) or \"R\" (to research), not %q (rule %q)", r.Status, r.Key)
		}
		if j, dup := t.index[r.Key]; dup {
			return nil, bad(f+".key", "%q is also the key of rules[%d]", r.Key, j)
		}
		t.index[r.Key] = i
		t.Rules = append(t.Rules, r)
	}
	if len(doc.Thresholds) == 0 || string(doc.Thresholds) == "null" {
		return nil, bad("thresholds", "required")
	}
	// Thresholds added after tables were written out take their
	// defaults when a table leaves them out.
	t.Thresholds.ReceptionCommunePerWeek, t.Thresholds.ReceptionDistrictPerMonth, t.Thresholds.ReceptionProvincePerMonth = 1, 2, 1
	t.Thresholds.OverburdenSessions = 5
	t.Thresholds.RepeatPetitionSimilarity, t.Thresholds.FalseDenunciationCount, t.Thresholds.RetaliationWindowDays = 50, 1, 365
	t.Thresholds.BulkCount, t.Thresholds.BulkWindowDays = 3, 30
	if err := decodeStrict(doc.Thresholds, &t.Thresholds); err != nil {
		return nil, jsonError(name, "thresholds", nil, err)
	}
	th := t.Thresholds
	for _, c := range []struct {
		field string
		v     int
	}{
		{"repeat_late_count", th.RepeatLateCount},
		{"repeat_late_window_days", th.RepeatLateWindowDays},
		{"session_postponed_count", th.SessionPostponedCount},
		{"hearing_months", th.HearingMonths},
		{"overlap_window_days", th.OverlapWindowDays},
		{"overburden_per_quarter", th.OverburdenPerQuarter},
		{"overburden_requests", th.OverburdenRequests},
		{"overburden_sessions", th.OverburdenSessions},
		{"reception_commune_per_week", th.ReceptionCommunePerWeek},
		{"reception_district_per_month", th.ReceptionDistrictPerMonth},
		{"reception_province_per_month", th.ReceptionProvincePerMonth},
		{"repeat_petition_similarity", th.RepeatPetitionSimilarity},
		{"false_denunciation_count", th.FalseDenunciationCount},
		{"retaliation_window_days", th.RetaliationWindowDays},
		{"bulk_count", th.BulkCount},
		{"bulk_window_days", th.BulkWindowDays},
	} {
		if c.v <= 0 {
			return nil, bad("thresholds."+c.field, "must be 1 or more, not %d", c.v)
		}
	}
	if th.BulkCount < 2 {
		return nil, bad("thresholds.bulk_count", "must be 2 or more (one petition is no bulk), not %d", th.BulkCount)
	}
	if th.RepeatPetitionSimilarity > 100 {
		return nil, bad("thresholds.repeat_petition_similarity", "is a percentage: 100 at most, not %d", th.RepeatPetitionSimilarity)
	}
	for _, c := range []struct {
		field string
		list  []string
	}{{"overreach_keywords", th.OverreachKeywords}, {"out_of_scope_keywords", th.OutOfScopeKeywords}} {
		for i, k := range c.list {
			if strings.TrimSpace(k) == "" {
				return nil, bad(fmt.Sprintf("thresholds.%s[%d]", c.field, i), "empty: it would match every text")
			}
		}
	}
	return t, nil
}

// of returns the threshold a flag of code with key is measured against
// (0 for a flag with none): a count reached or exceeded, or the window or
// period (days, months) it counts in.
func (th Thresholds) of(code, key string) int {
	switch code {
	case "OB_REPEAT_LATE":
		return th.RepeatLateCount
	case "OB_SESSION_POSTPONED":
		return th.SessionPostponedCount
	case "OB_NO_HEARING":
		return th.HearingMonths
	case "MU_OVERLAP":
		return th.OverlapWindowDays
	case "OB_RECEPTION_BELOW_MIN": // key: unit/<id>|<level>|<period>
		_, rest, _ := strings.Cut(key, "|")
		level, _, _ := strings.Cut(rest, "|")
		return th.receptionMinimum(events.UnitLevel(level))
	case "MU_REPEAT_PETITION":
		return th.RepeatPetitionSimilarity
	case "MU_FALSE_DENUNCIATION":
		return th.FalseDenunciationCount
	case "OB_RETALIATION_SIGNAL":
		return th.RetaliationWindowDays
	case "MU_ANONYMOUS_BULK":
		if strings.HasSuffix(key, "|bulk") {
			return th.BulkCount
		}
	case "MU_OVERBURDEN":
		if strings.HasSuffix(key, "|requests") { // document requests in one supervision
			return th.OverburdenRequests
		}
		if strings.HasSuffix(key, "|sessions") { // working sessions held in one supervision
			return th.OverburdenSessions
		}
		return th.OverburdenPerQuarter
	}
	return 0
}

// receptionMinimum returns the days a unit's chair must receive citizens
// in a period (a week for a commune, a month above); 0 for the levels the
// law sets none for.
func (th Thresholds) receptionMinimum(level events.UnitLevel) int {
	switch level {
	case events.LevelCommune:
		return th.ReceptionCommunePerWeek
	case events.LevelDistrict:
		return th.ReceptionDistrictPerMonth
	case events.LevelProvince:
		return th.ReceptionProvincePerMonth
	}
	return 0
}

// Rule returns the rule with key k; ok is false when the table has none.
// A rule changed after parsing is returned as changed.
func (t *RuleTable) Rule(k string) (Rule, bool) {
	if t == nil {
		return Rule{}, false
	}
	if i, ok := t.index[k]; ok && i < len(t.Rules) && t.Rules[i].Key == k {
		return t.Rules[i], true
	}
	// A table built by hand, or changed after parsing.
	for _, r := range t.Rules {
		if r.Key == k {
			return r, true
		}
	}
	return Rule{}, false
}

// Holiday is one public holiday (or one day of a multi-day holiday such as
// Tết).
type Holiday struct {
	Date events.Date `json:"date"`
	// Name is the holiday's Vietnamese name, such as "Tết Nguyên đán".
	Name string `json:"name"`
	// Working marks a weekend day worked in exchange for a swapped day
	// off ("làm bù"): a working day, not a holiday.
	Working bool `json:"working,omitempty"`
}

// Calendar knows which days are working days: Monday to Friday except
// public holidays. Bộ luật Lao động 2019 Điều 112 lists the holidays; Tết
// and the Hùng Kings' day follow the lunar calendar, so the holiday file
// lists every year's dates explicitly (compensatory days off, "nghỉ bù",
// and swapped days included) and operators edit it. A weekend day worked
// in exchange for a swapped day ("làm bù") is listed with "working": true
// and counts as a working day.
//
// A Calendar is not changed after it is made, so it is safe for
// concurrent use. A nil *Calendar has no holidays.
type Calendar struct {
	names    map[int32]string // holiday names by day number
	off      []uint64         // bit i: day first+i is a holiday
	first    int32
	years    map[int]bool   // the years the file lists
	holidays []Holiday      // sorted by date, for ConfigDigest
	worked   map[int32]bool // weekend days worked (Holiday.Working)
}

// holidayJSON is a Holiday as read: the date stays text so that a
// malformed one is reported with its place in the file.
type holidayJSON struct {
	Date    string `json:"date"`
	Name    string `json:"name"`
	Working bool   `json:"working"`
}

// DefaultCalendar returns the built-in calendar (projections/config/holidays-vn.json,
// embedded). It panics only if the embedded file is invalid, which the
// package's tests rule out.
func DefaultCalendar() *Calendar {
	c, err := builtinCalendar()
	if err != nil {
		panic("projections: the built-in holiday calendar is invalid: " + err.Error())
	}
	return c
}

// LoadCalendar reads a holiday file; see ParseCalendar.
func LoadCalendar(path string) (*Calendar, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCalendar(path, b)
}

// ParseCalendar reads a holiday file:
//
//	{"note": "...", "years": {"2025": [{"date": "2025-01-01", "name": "Tết Dương lịch"}, ...], ...}}
//
// An entry with "working": true is a Saturday or Sunday worked in
// exchange for a swapped day off, a working day. The note is optional. Decoding is strict (unknown fields are errors).
// Each year is four digits; each date is a real date of the form
// YYYY-MM-DD inside its year, listed once in the file, with a name. Errors
// start with name and then the field at fault, such as
// "holidays.json: years.2024[3].date: 2025-01-01 is not in 2024".
func ParseCalendar(name string, b []byte) (*Calendar, error) {
	var doc struct {
		Note  string                       `json:"note"`
		Years map[string][]json.RawMessage `json:"years"`
	}
	if err := decodeStrict(b, &doc); err != nil {
		return nil, jsonError(name, "", b, err)
	}
	bad := func(field, format string, args ...any) error {
		return fmt.Errorf("%s: %s: %s", name, field, fmt.Sprintf(format, args...))
	}
	if doc.Years == nil {
		return nil, bad("years", "required: an object of years, such as {\"2025\": [{\"date\": \"2025-01-01\", \"name\": \"Tết Dương lịch\"}]}")
	}
	c := &Calendar{names: map[int32]string{}, years: map[int]bool{}, worked: map[int32]bool{}}
	listedAt := map[int32]string{}
	for _, y := range slices.Sorted(maps.Keys(doc.Years)) {
		year, ok := parseDigits(y)
		if !ok || len(y) != 4 {
			return nil, bad("years."+y, "%q is not a year of four digits, such as \"2025\"", y)
		}
		c.years[year] = true
		for i, raw := range doc.Years[y] {
			f := fmt.Sprintf("years.%s[%d]", y, i)
			var h holidayJSON
			if err := decodeStrict(raw, &h); err != nil {
				return nil, jsonError(name, f, nil, err)
			}
			n, ok := dayNumber(events.Date(h.Date))
			switch {
			case !ok:
				return nil, bad(f+".date", "%q is not a real date of the form YYYY-MM-DD, such as \"%s-01-01\"", h.Date, y)
			case h.Date[:4] != y:
				return nil, bad(f+".date", "%s is not in %s", h.Date, y)
			case strings.TrimSpace(h.Name) == "":
				return nil, bad(f+".name", "required (%s)", h.Date)
			}
			if at, dup := listedAt[n]; dup {
				return nil, bad(f+".date", "%s is already listed at %s", h.Date, at)
			}
			listedAt[n] = f
			c.holidays = append(c.holidays, Holiday{Date: events.Date(h.Date), Name: h.Name, Working: h.Working})
			if h.Working {
				if !weekend(n) {
					return nil, bad(f+".working", "%s is a weekday: only a Saturday or Sunday is listed as worked", h.Date)
				}
				c.worked[n] = true
				continue
			}
			c.names[n] = h.Name
		}
	}
	slices.SortFunc(c.holidays, func(a, b Holiday) int { return cmp.Compare(a.Date, b.Date) })
	if len(c.names) > 0 {
		c.first, c.off = math.MaxInt32, nil
		last := int32(math.MinInt32)
		for n := range c.names {
			c.first, last = min(c.first, n), max(last, n)
		}
		c.off = make([]uint64, (last-c.first)/64+1)
		for n := range c.names {
			i := n - c.first
			c.off[i/64] |= 1 << (i % 64)
		}
	}
	return c, nil
}

// Holiday reports whether d is a listed public holiday, and its name.
func (c *Calendar) Holiday(d events.Date) (string, bool) {
	n, ok := dayNumber(d)
	if !ok || c == nil {
		return "", false
	}
	name, ok := c.names[n]
	return name, ok
}

// WorkingDay reports whether d is a working day (not Saturday, not Sunday,
// not a holiday). An invalid date is not a working day.
func (c *Calendar) WorkingDay(d events.Date) bool {
	n, ok := dayNumber(d)
	return ok && c.working(n)
}

// Covers reports whether the file lists holidays for d's year. A deadline
// in a year the file does not list is computed without holidays; callers
// may warn.
func (c *Calendar) Covers(d events.Date) bool {
	if _, ok := dayNumber(d); !ok || c == nil {
		return false
	}
	y, _ := parseDigits(string(d[:4]))
	return c.years[y]
}

// Due returns the last day to act for a rule that runs days days from
// trigger. The trigger date itself is not counted: counting starts the
// next day (Bộ luật Dân sự 2015 Điều 147).
//
//   - CalendarDays: trigger + days; if that day is not a working day, the
//     deadline moves to the next working day (Điều 148).
//   - WorkingDays: the days-th working day after trigger.
//
// Any other count counts calendar days. days <= 0 returns trigger
// unchanged. An invalid trigger, or a deadline after 9999-12-31, returns "".
func (c *Calendar) Due(trigger events.Date, days int, count DayCount) events.Date {
	n, ok := dayNumber(trigger)
	switch {
	case !ok:
		return ""
	case days <= 0:
		return trigger
	case days > maxDay-minDay:
		return ""
	}
	if count == WorkingDays {
		for left := days; left > 0 && n <= maxDay; {
			n++
			if c.working(n) {
				left--
			}
		}
		return dateOf(n)
	}
	n += int32(days)
	for n <= maxDay && !c.working(n) {
		n++
	}
	return dateOf(n)
}

// Between returns how many days of count there are after from up to and
// including to: calendar days, or working days (0 if to is not after
// from, or either date is invalid).
func (c *Calendar) Between(from, to events.Date, count DayCount) int {
	a, ok1 := dayNumber(from)
	b, ok2 := dayNumber(to)
	if !ok1 || !ok2 || b <= a {
		return 0
	}
	if count != WorkingDays {
		return int(b - a)
	}
	n := 0
	for d := a + 1; d <= b; d++ {
		if c.working(d) {
			n++
		}
	}
	return n
}

// OnWorkingDay returns d if it is a working day, else the next working
// day: a period set to end on a given date, or counted in months, that
// ends on a weekend or holiday ends on the next working day (Bộ luật Dân
// sự 2015 Điều 148). An invalid date is returned unchanged.
func (c *Calendar) OnWorkingDay(d events.Date) events.Date {
	n, ok := dayNumber(d)
	if !ok || c.working(n) {
		return d
	}
	for n <= maxDay && !c.working(n) {
		n++
	}
	return dateOf(n)
}

// DueBefore returns the latest date on which an act still meets a lead
// time of days days before target (critique.draftLeadTime: the draft is
// received no later than target − days). CalendarDays counts back
// calendar days, without moving off weekends; WorkingDays returns the
// days-th working day before target. Any other count counts calendar days.
// days <= 0 returns target unchanged; an invalid target, or a date before
// 0000-01-01, returns "".
func (c *Calendar) DueBefore(target events.Date, days int, count DayCount) events.Date {
	n, ok := dayNumber(target)
	switch {
	case !ok:
		return ""
	case days <= 0:
		return target
	case days > maxDay-minDay:
		return ""
	}
	if count == WorkingDays {
		for left := days; left > 0 && n >= minDay; {
			n--
			if c.working(n) {
				left--
			}
		}
		return dateOf(n)
	}
	return dateOf(n - int32(days))
}

// DaysBetween returns the calendar days from a to b (b − a; negative if b
// is earlier; 0 if either is invalid).
func DaysBetween(a, b events.Date) int {
	x, ok1 := dayNumber(a)
	y, ok2 := dayNumber(b)
	if !ok1 || !ok2 {
		return 0
	}
	return int(y) - int(x)
}

// AddDays returns d + n calendar days ("" if d is invalid or the result
// is outside years 0000 to 9999).
func AddDays(d events.Date, n int) events.Date {
	x, ok := dayNumber(d)
	if !ok || n > maxDay-minDay || n < minDay-maxDay {
		return ""
	}
	return dateOf(x + int32(n))
}

// AddMonths returns d plus n months, with time.AddDate's arithmetic except
// that a day the month lacks becomes its last day: 2025-08-31 + 6 months
// = 2026-02-28 (AddDate would give 2026-03-03). It returns "" if d is
// invalid or the result is outside years 0000 to 9999.
func AddMonths(d events.Date, n int) events.Date {
	if _, ok := dayNumber(d); !ok || n > 12*10000 || n < -12*10000 {
		return ""
	}
	y, _ := parseDigits(string(d[0:4]))
	m, _ := parseDigits(string(d[5:7]))
	day, _ := parseDigits(string(d[8:10]))
	months := y*12 + m - 1 + n
	if months < 0 || months >= 10000*12 {
		return ""
	}
	y, m = months/12, months%12+1
	return events.DateOfDay(y, m, min(day, events.MonthDays(y, m)))
}

// ConfigDigest returns a short hex SHA-256 of the rule table and calendar
// contents, so that saved views computed under another configuration are
// recognised as stale. It hashes canonical JSON: rules sorted by key, the
// years covered and the holidays sorted by date. The order of the files'
// entries and the holiday file's note do not change it. A nil table or
// calendar counts as empty.
func ConfigDigest(t *RuleTable, c *Calendar) string {
	doc := struct {
		Version    string     `json:"version"`
		Rules      []Rule     `json:"rules"`
		Thresholds Thresholds `json:"thresholds"`
		Years      []int      `json:"years"`
		Holidays   []Holiday  `json:"holidays"`
	}{Rules: []Rule{}, Years: []int{}, Holidays: []Holiday{}}
	if t != nil {
		doc.Version, doc.Thresholds = t.Version, t.Thresholds
		doc.Rules = append(doc.Rules, t.Rules...)
		slices.SortStableFunc(doc.Rules, func(a, b Rule) int { return cmp.Compare(a.Key, b.Key) })
	}
	if doc.Thresholds.OverreachKeywords == nil {
		doc.Thresholds.OverreachKeywords = []string{}
	}
	if c != nil {
		doc.Years = slices.Sorted(maps.Keys(c.years))
		doc.Holidays = append(doc.Holidays, c.holidays...)
	}
	b, err := json.Marshal(doc)
	if err != nil { // not reached: the document has only strings, numbers and lists
		b = []byte(err.Error())
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// weekend reports whether day number n is a Saturday or Sunday.
func weekend(n int32) bool {
	// 1970-01-01 (day 0) was a Thursday: with Monday as 0, Saturday is 5
	// and Sunday 6.
	return ((int(n)+3)%7+7)%7 >= 5
}

// working reports whether day number n is a working day.
func (c *Calendar) working(n int32) bool {
	if weekend(n) {
		return c != nil && len(c.worked) > 0 && c.worked[n]
	}
	if c == nil {
		return true
	}
	i := int64(n) - int64(c.first)
	return i < 0 || i >= int64(len(c.off))*64 || c.off[i/64]&(1<<(i%64)) == 0
}

// The day numbers (days since 1970-01-01) of the dates events.Date can
// hold: 0000-01-01 to 9999-12-31.
const (
	minDay = -719528
	maxDay = 2932896
)

// dayNumber returns d as days since 1970-01-01, parsing "YYYY-MM-DD" by
// hand: the projections call it for every deadline of every event, and it
// accepts exactly what events.Date.Valid accepts.
func dayNumber(d events.Date) (int32, bool) {
	y, m, day, ok := events.DayOf(string(d))
	if !ok {
		return 0, false
	}
	return int32(daysFromCivil(y, m, day)), true
}

// parseDigits parses a non-empty string of ASCII digits.
func parseDigits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// daysFromCivil returns the days from 1970-01-01 to y-m-d of the
// proleptic Gregorian calendar, for y >= 0 (Howard Hinnant's
// days_from_civil).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// dateOf returns the date of day number n, or "" outside years 0000 to
// 9999 (Hinnant's civil_from_days).
func dateOf(n int32) events.Date {
	if n < minDay || n > maxDay {
		return ""
	}
	z := int(n) + 719468 // days since 0000-03-01
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
		y++
	}
	return events.DateOfDay(y, m, d)
}

// decodeStrict decodes one JSON value from b into v: unknown fields and
// anything after the value are errors.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errTrailing{offset: dec.InputOffset()}
	}
	return nil
}

// errTrailing is data after the end of a JSON document.
type errTrailing struct{ offset int64 }

func (errTrailing) Error() string { return "unexpected data after the end of the JSON document" }

// jsonError turns a decoding error of file name into one that names the
// field at fault: field is where the decoded value sits in the file ("" at
// the top), and doc, when known, the file's bytes, to give a syntax
// error's line and column.
func jsonError(name, field string, doc []byte, err error) error {
	at := func(f string) string {
		switch {
		case field == "":
			return f
		case f == "":
			return field
		}
		return field + "." + f
	}
	var (
		syntax   *json.SyntaxError
		typ      *json.UnmarshalTypeError
		trailing errTrailing
	)
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%s: the file is empty; want a JSON object", name)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: the JSON document is cut short", name)
	case errors.As(err, &syntax) && doc != nil:
		line, col := lineCol(doc, syntax.Offset)
		return fmt.Errorf("%s:%d:%d: %v", name, line, col, syntax)
	case errors.As(err, &trailing) && doc != nil:
		line, col := lineCol(doc, trailing.offset)
		return fmt.Errorf("%s:%d:%d: %v", name, line, col, trailing)
	case errors.As(err, &typ):
		if f := at(typ.Field); f != "" {
			return fmt.Errorf("%s: %s: want %s, not a JSON %s", name, f, jsonKind(typ.Type.Kind().String()), typ.Value)
		}
		return fmt.Errorf("%s: want a JSON object, not a JSON %s", name, typ.Value)
	}
	if q, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if f, uerr := strconv.Unquote(q); uerr == nil {
			return fmt.Errorf("%s: %s: unknown field", name, at(f))
		}
	}
	if field == "" {
		return fmt.Errorf("%s: %v", name, err)
	}
	return fmt.Errorf("%s: %s: %v", name, field, err)
}

// jsonKind names a Go kind as a JSON reader would.
func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice" || k == "array":
		return "a list"
	case k == "struct" || k == "map":
		return "an object"
	}
	return k
}

// lineCol returns the 1-based line and column of byte offset off in b.
func lineCol(b []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, max(col, 1)
}

func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }
