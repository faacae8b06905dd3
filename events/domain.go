package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Status is the lifecycle state of an aggregate, such as "received".
type Status string

// Payload is the typed data of one event type. Validate checks the payload on
// its own (required fields, enumerations, dates); errors name the field as a
// path under "data", such as "data.explanation".
type Payload interface {
	Validate() error
}

// spec describes one event type: its constant, a constructor for its
// payload, the states it may follow and the state it leads to, and who may
// record it.
type spec struct {
	typ Type
	new func() Payload
	// from lists the states the event may follow. Nil means the event starts
	// the aggregate; anyState means every state that is not final.
	from []Status
	// to is the state after the event; "" keeps the current state.
	to Status
	// roles may record the event. A respondent may record it only for an
	// item addressed to its party.
	roles []Role
}

// anyState, as a spec's from, allows an event in every non-final state.
var anyState = []Status{"*"}

// Statuses returns the lifecycle states of kind, sorted (callers must not
// change the slice).
func Statuses(kind Kind) []Status { return statuses()[kind] }

// statuses lists each kind's lifecycle states, from its rules.
var statuses = sync.OnceValue(func() map[Kind][]Status {
	m := map[Kind][]Status{}
	for kind, r := range allRules {
		var out []Status
		for _, sp := range r.specs {
			if sp.to != "" {
				out = append(out, sp.to)
			}
			for _, st := range sp.from {
				if st != anyState[0] {
					out = append(out, st)
				}
			}
		}
		out = append(out, r.final...)
		slices.Sort(out)
		m[kind] = slices.Compact(out)
	}
	return m
})

// rules are the lifecycle of one kind of aggregate.
type rules struct {
	kind  Kind
	specs []spec
	// final states accept no further events except those listing them
	// explicitly in from.
	final []Status
	// decide makes the checks a state table cannot express. It may be nil.
	decide func(s *State, cmd Command, w World) error
	// evolve folds kind-specific facts into s (the status, version, unit and
	// parties are handled for every kind). It may be nil.
	evolve func(s *State, t Type, p Payload)
}

// allRules lists the lifecycles of every aggregate kind, keyed by kind.
var allRules = map[Kind]*rules{}

// specsByType indexes every event type the ledger knows.
var specsByType = map[Type]*spec{}

func register(r *rules) {
	if _, dup := allRules[r.kind]; dup {
		panic("events: kind registered twice: " + string(r.kind))
	}
	allRules[r.kind] = r
	for i := range r.specs {
		sp := &r.specs[i]
		if sp.typ.Kind() != r.kind {
			panic("events: type " + string(sp.typ) + " listed under kind " + string(r.kind))
		}
		if _, dup := specsByType[sp.typ]; dup {
			panic("events: type registered twice: " + string(sp.typ))
		}
		specsByType[sp.typ] = sp
	}
}

func init() {
	for _, r := range []*rules{
		unitRules, partyRules, planRules, supervisionRules, recommendationRules,
		critiqueRules, contributionRules, petitionRules, infoRequestRules, tokenRules, flagRules, adminRules,
	} {
		register(r)
	}
}

// Types returns every event type the ledger knows, sorted.
func Types() []Type {
	out := make([]Type, 0, len(specsByType))
	for t := range specsByType {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// KnownType reports whether t is an event type of the ledger.
func KnownType(t Type) bool { _, ok := specsByType[t]; return ok }

// IsCreation reports whether events of type t start a new aggregate.
func IsCreation(t Type) bool {
	sp, ok := specsByType[t]
	return ok && sp.from == nil
}

// RolesFor returns the roles that may record events of type t.
func RolesFor(t Type) []Role {
	if sp, ok := specsByType[t]; ok {
		return slices.Clone(sp.roles)
	}
	return nil
}

// NextTypes returns the event types that may follow state s, sorted. It
// checks only the state table, not the payload-dependent rules.
func NextTypes(s *State) []Type {
	key := kindStatus{s.kind, s.status}
	if next, ok := nextTypes.Load(key); ok {
		return slices.Clone(next.([]Type))
	}
	r := allRules[s.kind]
	if r == nil {
		return nil
	}
	var out []Type
	for i := range r.specs {
		if allowedFrom(r, &r.specs[i], s.status) {
			out = append(out, r.specs[i].typ)
		}
	}
	slices.Sort(out)
	nextTypes.Store(key, out)
	return slices.Clone(out)
}

// nextTypes holds what NextTypes found for each kind and state: reads of an
// item ask for it every time.
var nextTypes sync.Map // kindStatus → []Type

type kindStatus struct {
	kind   Kind
	status Status
}

// MaxPayloadBytes bounds an event's data.
const MaxPayloadBytes = 64 << 10

// DecodePayload decodes and validates the data of an event of type t. It is
// strict: unknown fields, wrong types, trailing data and invalid UTF-8 are
// refused with code invalid and the field at fault. Text is normalised to
// Unicode NFC, so "Ủy ban" typed with combining marks is stored composed.
func DecodePayload(t Type, data []byte) (Payload, error) {
	sp, ok := specsByType[t]
	if !ok {
		return nil, &Error{Code: EInvalid, Field: "type", Message: fmt.Sprintf("Unknown event type %q.", t)}
	}
	if len(data) == 0 {
		return nil, &Error{Code: EInvalid, Field: "data", Message: "The event has no data."}
	}
	if len(data) > MaxPayloadBytes {
		return nil, &Error{Code: ETooLarge, Field: "data", Message: fmt.Sprintf("The data is larger than %d bytes.", MaxPayloadBytes)}
	}
	if !utf8.Valid(data) {
		return nil, &Error{Code: EInvalid, Field: "data", Message: "The data is not valid UTF-8."}
	}
	p := sp.new()
	if err := StrictUnmarshal(data, p, "data"); err != nil {
		return nil, err
	}
	// Escapes such as "\u0301" bypass a normalisation of the input bytes,
	// so normalise the decoded text: re-encode, normalise, decode again.
	canon, err := marshalCompact(p)
	if err != nil {
		return nil, fmt.Errorf("events: re-encode %s: %w", t, err)
	}
	if !norm.NFC.IsNormal(canon) {
		p = sp.new()
		if err := json.Unmarshal(norm.NFC.Bytes(canon), p); err != nil {
			return nil, fmt.Errorf("events: decode normalised %s: %w", t, err)
		}
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// StrictUnmarshal decodes one JSON value from data into v, refusing unknown
// fields and trailing data. Errors are *Error with code invalid whose Field
// is a path under prefix.
func StrictUnmarshal(data []byte, v any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		// encoding/json names an unknown field without its path; find it,
		// so that "data.petitioner.nickname" is not reported as
		// "data.nickname".
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field := strings.Trim(f, `"`)
			if path, ok := unknownFieldPath(reflect.TypeOf(v), data, field); ok {
				field = path
			}
			if prefix != "" {
				field = prefix + "." + field
			}
			return &Error{Code: EInvalid, Field: field, Message: fmt.Sprintf("Unknown field %s.", f)}
		}
		return jsonError(err, prefix)
	}
	if _, err := dec.Token(); err != io.EOF {
		return &Error{Code: EInvalid, Field: prefix, Message: "Unexpected data after the JSON value."}
	}
	return nil
}

// jsonError turns an encoding/json error into an *Error naming the field.
func jsonError(err error, prefix string) error {
	join := func(f string) string {
		if f == "" {
			return prefix
		}
		if prefix == "" {
			return f
		}
		return prefix + "." + f
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &Error{Code: EInvalid, Field: prefix, Message: fmt.Sprintf("Malformed JSON at byte %d: %v.", syn.Offset, syn)}
	case errors.As(err, &typ):
		switch typ.Type {
		case dateType:
			return &Error{Code: EInvalid, Field: join(typ.Field), Message: fmt.Sprintf("Expected a date in RFC 3339 form YYYY-MM-DD, got %s.", typ.Value)}
		}
		return &Error{Code: EInvalid, Field: join(typ.Field), Message: fmt.Sprintf("Expected %s, got %s.", jsonKind(typ.Type), typ.Value)}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{Code: EInvalid, Field: prefix, Message: "The JSON ends too early."}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return &Error{Code: EInvalid, Field: join(strings.Trim(f, `"`)), Message: fmt.Sprintf("Unknown field %s.", f)}
	}
	return &Error{Code: EInvalid, Field: prefix, Message: "Malformed JSON: " + strings.TrimPrefix(msg, "json: ") + "."}
}

// jsonKind names the JSON form of a Go type, by its kind: named types such
// as events.Outcome are strings, but payload structs are objects.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// unknownFieldPath finds where the unknown field name occurs in data that
// is decoded into a value of type t, as a path such as
// "petitioner.nickname" or "points[1].priority".
func unknownFieldPath(t reflect.Type, data []byte, name string) (string, bool) {
	var v any
	if t == nil || json.Unmarshal(data, &v) != nil {
		return "", false
	}
	return findUnknownField(t, v, name, "")
}

func findUnknownField(t reflect.Type, v any, name, path string) (string, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	sub := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, _ := v.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			f, known := jsonFieldOf(t, k)
			if !known {
				if k == name {
					return sub(k), true
				}
				continue
			}
			if p, ok := findUnknownField(f.Type, obj[k], name, sub(k)); ok {
				return p, true
			}
		}
	case reflect.Map:
		obj, _ := v.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if p, ok := findUnknownField(t.Elem(), obj[k], name, sub(k)); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		arr, _ := v.([]any)
		for i, e := range arr {
			if p, ok := findUnknownField(t.Elem(), e, name, fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	}
	return "", false
}

// jsonFieldOf returns the field of struct type t that encoding/json decodes
// key into: the field whose name matches exactly, else case-insensitively.
func jsonFieldOf(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold reflect.StructField
	folded := false
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || tag == "-" {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if tag == key {
			return f, true
		}
		if !folded && strings.EqualFold(tag, key) {
			fold, folded = f, true
		}
	}
	return fold, folded
}

func marshalCompact(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// MarshalPayload returns the canonical stored form of a payload.
func MarshalPayload(p Payload) ([]byte, error) { return marshalCompact(p) }
