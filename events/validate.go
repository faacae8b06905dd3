package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// The helpers below return nil or an *Error with code invalid naming the
// field. Validate methods list their checks with firstError, in field order.

// MaxTextRunes bounds one text field.
const MaxTextRunes = 20000

// maxNameRunes bounds names and titles.
const maxNameRunes = 1000

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// required checks a non-blank name-like text (≤ 1,000 characters).
func required(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return FieldErrorf(field, "%s is required.", field)
	}
	return maxRunes(field, v, maxNameRunes)
}

// requiredText checks a non-blank long text.
func requiredText(field, v string) error {
	if strings.TrimSpace(v) == "" {
		return FieldErrorf(field, "%s is required.", field)
	}
	return maxRunes(field, v, MaxTextRunes)
}

// optional checks the length of an optional name-like text.
func optional(field, v string) error { return maxRunes(field, v, maxNameRunes) }

// optionalText checks the length of an optional long text.
func optionalText(field, v string) error { return maxRunes(field, v, MaxTextRunes) }

func maxRunes(field, v string, n int) error {
	if utf8.RuneCountInString(v) > n {
		return FieldErrorf(field, "%s is longer than %d characters.", field, n)
	}
	for _, r := range v {
		// Control characters other than tab and line breaks show as
		// nothing or garble what they are printed in.
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r >= 0x7f && r <= 0x9f {
			return FieldErrorf(field, "%s holds a control character (U+%04X).", field, r)
		}
	}
	return nil
}

// requiredID checks a reference to another aggregate by ID.
func requiredID(field, v string) error {
	if v == "" {
		return FieldErrorf(field, "%s is required.", field)
	}
	return optionalID(field, v)
}

func optionalID(field, v string) error {
	if v != "" && !ValidID(v) {
		return FieldErrorf(field, "%s must be 1-64 letters, digits, '-' or '_'.", field)
	}
	return nil
}

func requiredIDs(field string, vs []string) error {
	if len(vs) == 0 {
		return FieldErrorf(field, "%s needs at least one entry.", field)
	}
	return optionalIDs(field, vs)
}

func optionalIDs(field string, vs []string) error {
	seen := make(map[string]bool, len(vs))
	for i, v := range vs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if err := requiredID(f, v); err != nil {
			return err
		}
		if seen[v] {
			return FieldErrorf(f, "%s is listed twice.", v)
		}
		seen[v] = true
	}
	return nil
}

func requiredDate(field string, d Date) error {
	if d == "" {
		return FieldErrorf(field, "%s is required (YYYY-MM-DD).", field)
	}
	return optionalDate(field, d)
}

func optionalDate(field string, d Date) error {
	if d != "" && !d.Valid() {
		return FieldErrorf(field, "%s must be a date in the form YYYY-MM-DD.", field)
	}
	return nil
}

// notBefore checks that d (if set) is not before start (if set).
func notBefore(field string, d Date, start Date, startField string) error {
	if d != "" && start != "" && d < start {
		return FieldErrorf(field, "%s is before %s.", field, startField)
	}
	return nil
}

// enumValues holds, by type, the values of the payloads' enumerated fields,
// as their Validate methods check them (oneOf the lists enum registered):
// for the checks of corrections and the web workspace's forms.
var enumValues = map[reflect.Type][]string{}

// enum registers values as values of T (adding to those registered
// before: a type several fields share takes the union, in the order of
// package initialisation, so of the files' names) and returns them.
func enum[T ~string](values ...T) []T {
	t := reflect.TypeFor[T]()
	for _, v := range values {
		if !slices.Contains(enumValues[t], string(v)) {
			enumValues[t] = append(enumValues[t], string(v))
		}
	}
	return values
}

// EnumValues returns the values a payload field of type t takes, in order,
// or nil if t is not an enumerated type.
func EnumValues(t reflect.Type) []string { return slices.Clip(enumValues[t]) }

// oneOf checks an enumeration value.
func oneOf[T ~string](field string, v T, allowed ...T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	if v == "" {
		return FieldErrorf(field, "%s is required: one of %s.", field, strings.Join(names, ", "))
	}
	return FieldErrorf(field, "%s must be one of %s, not %q.", field, strings.Join(names, ", "), v)
}

func optionalOneOf[T ~string](field string, v T, allowed ...T) error {
	if v == "" {
		return nil
	}
	return oneOf(field, v, allowed...)
}

func positive(field string, n int) error {
	if n <= 0 {
		return FieldErrorf(field, "%s must be a positive number.", field)
	}
	return nil
}

func nonNegative(field string, n int) error {
	if n < 0 {
		return FieldErrorf(field, "%s must not be negative.", field)
	}
	return nil
}

func requiredTexts(field string, vs []string) error {
	if len(vs) == 0 {
		return FieldErrorf(field, "%s needs at least one entry.", field)
	}
	return optionalTexts(field, vs)
}

func optionalTexts(field string, vs []string) error {
	for i, v := range vs {
		if err := required(fmt.Sprintf("%s[%d]", field, i), v); err != nil {
			return err
		}
	}
	return nil
}

// ahead lists the payload dates that may lie ahead of the day an event is
// recorded: due dates, a submission or a session planned, the day a
// change takes effect, a resumption, a token's last day. Every other date
// (a field named *_on) is of something that has happened.
var ahead = map[string]bool{"due_on": true, "report_due_on": true, "commit_due_on": true, "submission_on": true,
	"effective_on": true, "scheduled_on": true, "resumed_on": true, "expires_on": true}

// factDate is a payload date: where it is (a path of field indexes,
// through nested structs), its name, and whether it may lie ahead (see
// ahead; a date not named *_on, such as planned_start, may too).
type factDate struct {
	index []int
	name  string
	ahead bool
}

// factDates returns the dates of a payload type (cached).
func factDates(t reflect.Type) []factDate {
	if fs, ok := factDatesOf.Load(t); ok {
		return fs.([]factDate)
	}
	var out []factDate
	leafFields(t, false, func(path, name string, index []int, ft reflect.Type) {
		if ft == dateType {
			out = append(out, factDate{index: index, name: "data." + path, ahead: !strings.HasSuffix(name, "_on") || ahead[name]})
		}
	})
	factDatesOf.Store(t, out)
	return out
}

var factDatesOf sync.Map // reflect.Type -> []factDate

// checkFactDates refuses a payload date of something that has happened
// (see ahead) that is later than the last day an event may be recorded
// for (occurred_at's own bound: 36 hours ahead of now, for clocks and
// zones) or before 1945.
func checkFactDates(p Payload, now time.Time) error {
	if c, ok := p.(*CorrectionData); ok {
		// A corrected date of what has happened is bound as the date was.
		for _, k := range slices.Sorted(maps.Keys(c.Changes)) {
			name := k[strings.LastIndexByte(k, '.')+1:]
			var err error
			switch d := Date(c.Changes[k]); {
			case strings.HasSuffix(name, "_on") && !ahead[name]:
				err = factDateInRange("data.changes."+k, d, now)
			case d.Valid(): // a date that may lie ahead (a correction's values are text)
				err = aheadDateNear("data.changes."+k, d, now)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	v := reflect.ValueOf(p)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	for _, fd := range factDates(v.Type()) {
		d := Date(v.FieldByIndex(fd.index).String())
		var err error
		if fd.ahead {
			err = firstError(aheadDateInRange(fd.name, d), aheadDateNear(fd.name, d, now))
		} else {
			err = factDateInRange(fd.name, d, now)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// aheadDateInRange checks a date that may lie ahead (a due date, a planned
// start): from 1945 to 2200, as a plan's year is. (Only writes are
// checked: the views read what was stored before this check as it is.)
func aheadDateInRange(field string, d Date) error {
	if d != "" && d.Valid() && (d < "1945-01-01" || d > "2200-12-31") {
		return FieldErrorf(field, "%s %s is not a date from 1945 to 2200.", field, d)
	}
	return nil
}

// aheadYears bounds how far ahead a date that may lie ahead is written:
// a due date, a commitment, a planned start years beyond it is a mistyped
// year (2204 for 2024), and a commitment so far off would keep its flag
// from ever being raised (helper-55).
const aheadYears = 10

// aheadDateNear checks that a date that may lie ahead is at most
// aheadYears after today; "" and what is not a date are left to other
// checks.
func aheadDateNear(field string, d Date, now time.Time) error {
	if limit := DateOf(now.In(vietnam).AddDate(aheadYears, 0, 0)); d != "" && d.Valid() && d > limit {
		return FieldErrorf(field, "%s %s is more than %d years after today (at most %s): is the year mistyped?", field, d, aheadYears, limit)
	}
	return nil
}

// factDateInRange checks one date of what has happened (see
// checkFactDates); "" and what is not a date are left to other checks.
func factDateInRange(field string, d Date, now time.Time) error {
	switch {
	case d == "" || !d.Valid():
	case d > DateOf(now.Add(36*time.Hour).In(vietnam)):
		return FieldErrorf(field, "%s %s is after today (%s): it records what has happened.", field, d, DateOf(now.In(vietnam)))
	case d < "1945-01-01":
		return FieldErrorf(field, "%s %s is before 1945.", field, d)
	}
	return nil
}

// CheckSurrogates refuses a JSON document b, already decoded by
// encoding/json, that escapes half of a UTF-16 surrogate pair without the
// other half ("\ud800"): that is no character, and encoding/json would keep
// U+FFFD in its place, so the ledger would record text nobody sent. The
// error names the string's path under prefix ("data.points[1].text").
func CheckSurrogates(b []byte, prefix string) error {
	if !bytes.Contains(b, []byte(`\u`)) {
		return nil
	}
	// jsontext refuses what encoding/json took only for such an escape:
	// the UTF-8 is valid, duplicate names are allowed here, and the depth
	// is bounded before.
	dec := jsontext.NewDecoder(bytes.NewReader(b), jsontext.AllowDuplicateNames(true))
	for {
		_, err := dec.ReadToken()
		if err == nil {
			continue
		}
		var se *jsontext.SyntacticError
		if !errors.As(err, &se) {
			return nil
		}
		// The pointer's names and indexes, as errors name fields.
		path, depth := prefix, 0
		for tok := range se.JSONPointer.Tokens() {
			depth++
			if kind, _ := dec.StackIndex(depth); kind == '[' {
				path += "[" + tok + "]"
			} else if path == "" {
				path = tok
			} else {
				path += "." + tok
			}
		}
		return FieldErrorf(path, "%s escapes half of a UTF-16 surrogate pair without the other half (such as \\ud800): that is not a character. Send the text as UTF-8, or escape both halves.", path)
	}
}

// DuplicateKey returns the path (as errors name fields: "data.title",
// "data.items[1].name") of the first key that appears twice in one object
// of the JSON document b (keys compared as encoding/json matches them to
// fields, whatever their case), if any. encoding/json keeps the last of them
// silently; a writer who sent two values meant one of them, and the
// ledger does not guess which. b should be valid JSON (what is not gives
// no duplicate).
func DuplicateKey(b []byte) (string, bool) {
	type frame struct {
		keys      map[string]bool // nil for an array
		path, key string
		index     int
		expectKey bool
	}
	join := func(path, key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return "", false
			}
			if parent := stack[len(stack)-1]; parent.keys != nil {
				parent.expectKey = true
			}
			continue
		}
		if top != nil && top.expectKey {
			// encoding/json matches a key to a field whatever its case:
			// "title" and "TITLE" are one field, given twice.
			k, _ := tok.(string)
			folded := strings.ToLower(k)
			if top.keys[folded] {
				return join(top.path, k), true
			}
			top.keys[folded], top.key, top.expectKey = true, k, false
			continue
		}
		// A value: of the key just read, the next element, or the
		// document.
		var path string
		switch {
		case top == nil:
		case top.keys != nil:
			path = join(top.path, top.key)
		default:
			path = fmt.Sprintf("%s[%d]", top.path, top.index)
			top.index++
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, path: path, expectKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{path: path})
		default:
			if top == nil {
				return "", false
			}
			if top.keys != nil {
				top.expectKey = true
			}
		}
	}
}
