package events

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
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
