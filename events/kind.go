package events

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// Kind is the kind of an aggregate: the first part of its stream name.
type Kind string

// Aggregate kinds.
const (
	KindUnit           Kind = "unit"
	KindParty          Kind = "party"
	KindPlan           Kind = "plan"
	KindSupervision    Kind = "supervision"
	KindRecommendation Kind = "recommendation"
	KindCritique       Kind = "critique"
	KindContribution   Kind = "contribution"
	KindPetition       Kind = "petition"
	KindInfoRequest    Kind = "info_request"
	KindToken          Kind = "token"
	// KindFlag holds inspectors' reviews of derived flags.
	KindFlag Kind = "flag"
	// KindAdmin holds administrative actions on the ledger itself (a
	// rebuild of the views), one stream per action.
	KindAdmin Kind = "admin"
)

// Type is the explicit, versioned name of an event type, such as
// "recommendation.response_submitted.v1". Type names are persisted forever:
// a breaking change to a payload is a new type name.
type Type string

// Kind returns the aggregate kind a type belongs to (the part before the
// first dot).
func (t Type) Kind() Kind {
	k, _, _ := strings.Cut(string(t), ".")
	return Kind(k)
}

// Role is what a token may do.
type Role string

// Roles.
const (
	RoleAdmin      Role = "admin"
	RoleRecorder   Role = "recorder"
	RoleRespondent Role = "respondent"
	RoleInspector  Role = "inspector"
	RoleObserver   Role = "observer"
	// RoleSystem is the ledger itself, for events it records on its own
	// (the first admin token).
	RoleSystem Role = "system"
)

// Valid reports whether r is a role a token may carry.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleRecorder, RoleRespondent, RoleInspector, RoleObserver:
		return true
	}
	return false
}

// Date is a calendar date in the RFC 3339 full-date form "2006-01-02". Legal
// deadlines count days, so dates carry no time of day and no zone.
type Date string

// DateLayout is the layout of a Date.
const DateLayout = "2006-01-02"

// vietnam is Indochina Time (UTC+7, no daylight saving): the zone in which
// legal dates such as a token's last valid day are counted.
var vietnam = time.FixedZone("ICT", 7*60*60)

// DateOf returns the date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return Date(t.Format(DateLayout))
	}
	return DateOfDay(y, int(m), d)
}

// ParseTime parses an RFC 3339 date-time as people and scripts give one:
// "T" and "Z" may be lower case (RFC 3339 §5.6), which time.RFC3339 does
// not accept.
func ParseTime(s string) (time.Time, error) {
	b := []byte(s)
	for i, c := range b {
		if c == 't' || c == 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return time.Parse(time.RFC3339, string(b))
}

// Time returns the date as midnight UTC.
func (d Date) Time() (time.Time, error) { return time.Parse(DateLayout, string(d)) }

// Valid reports whether d is a real calendar date in the right form.
func (d Date) Valid() bool {
	_, _, _, ok := DayOf(string(d))
	return ok
}

// UnmarshalJSON accepts only RFC 3339 full-dates.
func (d *Date) UnmarshalJSON(b []byte) error {
	if len(b) == 12 && b[0] == '"' && b[11] == '"' {
		if shared, ok := sharedDate(b[1:11]); ok {
			*d = shared
			return nil
		}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s != "" && !Date(s).Valid() {
		return &json.UnmarshalTypeError{Value: "string " + s, Type: dateType}
	}
	*d = Date(s)
	if shared, ok := sharedDate(s); ok {
		*d = shared
	}
	return nil
}

var dateType = reflect.TypeFor[Date]()
