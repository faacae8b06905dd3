package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// isCorrection reports whether events of type t correct another event.
func isCorrection(t Type) bool {
	sp, ok := specsByType[t]
	if !ok {
		return false
	}
	_, ok = sp.new().(*CorrectionData)
	return ok
}

// checkCorrected checks a correction of stream against the event it
// corrects, read from the store (corrections are rare; the write side
// keeps no payloads):
//   - every changed field is a field of that event's payload: a change of
//     another event's field would change the record's fields and not what
//     follows from that event (its deadlines);
//   - that event, with the corrections of it before this one and this one
//     applied, passes its type's own checks (required fields, lengths,
//     the checks across its fields), as it had to when it was recorded.
//     An event that no longer passes them before this correction (one
//     recorded before a check was added) is left to the other checks.
//
// A correction of a correction corrects the event that one corrected.
// decideCorrection makes the checks that need no payload (the version
// exists, the field names no other record, values of the field's type).
func (l *Ledger) checkCorrected(ctx context.Context, stream string, c *CorrectionData) error {
	envs, corrections, root, err := l.loadCorrected(ctx, stream)
	if errors.Is(err, ErrNotFound) {
		return nil // Decide says the record does not exist
	}
	if err != nil {
		return err
	}
	if c.CorrectsVersion == 0 || c.CorrectsVersion > uint64(len(envs)) {
		return nil // decideCorrection says the version does not exist
	}
	of := root(c.CorrectsVersion)
	env := envs[of-1]
	sp := specsByType[env.Type]
	if sp.new == nil || isCorrection(env.Type) {
		return nil
	}
	fields := map[string]reflect.Type{}
	leafFields(reflect.TypeOf(sp.new()).Elem(), true, func(path, _ string, _ []int, ft reflect.Type) { fields[path] = ft })
	keys := slices.Sorted(maps.Keys(c.Changes))
	for _, k := range keys {
		if _, ok := fields[k]; !ok {
			return FieldErrorf("data.changes."+k, "Version %d (%s) has no field %s: a correction changes fields of the event it corrects (corrects_version).", of, env.Type, k)
		}
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return nil
	}
	for v := of + 1; v <= uint64(len(envs)); v++ {
		if d := corrections[v]; d != nil && root(v) == of {
			for k, val := range d.Changes {
				if ft, ok := fields[k]; ok {
					setField(doc, k, ft, val) // as the views take it: what does not fit fails below
				}
			}
		}
	}
	if !validPayload(env.Type, doc) {
		return nil // not valid before this correction: see above
	}
	for _, k := range keys {
		if err := setField(doc, k, fields[k], c.Changes[k]); err != nil {
			return err
		}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("events: re-encode %s version %d: %w", stream, of, err)
	}
	if _, err := DecodePayload(env.Type, data); err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return err
		}
		field := "data.changes"
		if k, ok := strings.CutPrefix(e.Field, "data."); ok && slices.Contains(keys, k) {
			field += "." + k
		}
		return FieldErrorf(field, "Version %d (%s), so corrected, would not be valid: %s", of, env.Type, e.Message)
	}
	if st, ok := dateSteps[env.Type]; ok && slices.Contains(keys, st.field) {
		return correctedDateOrder(envs, corrections, root, of, c.Changes[st.field])
	}
	if field, ok := docDateFields[env.Type]; ok && slices.Contains(keys, field) {
		return correctedDocumentOrder(envs, corrections, root, of, c.Changes[field])
	}
	return nil
}

// docDateFields names the date field of a supervision's document request
// and of its answers.
var docDateFields = map[Type]string{SupervisionDocumentRequested: "requested_on", SupervisionDocumentProvided: "provided_on", SupervisionDocumentRefused: "refused_on"}

// correctedDocumentOrder checks that a corrected date of a document request
// (version of, dated date) is not after its answer's, or of an answer not
// before its request's, corrections applied: the request is the last one
// of the same request_id before the answer.
func correctedDocumentOrder(envs []Envelope, corrections map[uint64]*CorrectionData, root func(uint64) uint64, of uint64, date string) error {
	id := correctedText(envs, corrections, root, of, "request_id")
	day := dayOf(Date(date))
	if day == 0 {
		return nil
	}
	if envs[of-1].Type == SupervisionDocumentRequested {
		for v := of + 1; v <= uint64(len(envs)); v++ {
			field, ok := docDateFields[envs[v-1].Type]
			if !ok || correctedText(envs, corrections, root, v, "request_id") != id {
				continue
			}
			if envs[v-1].Type == SupervisionDocumentRequested {
				return nil // requested again: the answers after are that request's
			}
			if a := correctedDay(envs, corrections, root, v, field); a != 0 && a < day {
				return FieldErrorf("data.changes.requested_on", "requested_on %s would be after the %s (%s) of version %d, the answer to document request %s.",
					date, field, dateOfDay(a), v, id)
			}
			return nil
		}
		return nil
	}
	field := docDateFields[envs[of-1].Type]
	for v := of - 1; v >= 1; v-- {
		if envs[v-1].Type != SupervisionDocumentRequested || correctedText(envs, corrections, root, v, "request_id") != id {
			continue
		}
		if r := correctedDay(envs, corrections, root, v, "requested_on"); r != 0 && day < r {
			return FieldErrorf("data.changes."+field, "%s %s would be before the document request %s (%s) of version %d: a step is not dated before the one it follows.",
				field, date, id, dateOfDay(r), v)
		}
		return nil
	}
	return nil
}

// correctedText returns the text field of version v of envs, the
// corrections of it applied.
func correctedText(envs []Envelope, corrections map[uint64]*CorrectionData, root func(uint64) uint64, v uint64, field string) string {
	var doc map[string]any
	if json.Unmarshal(envs[v-1].Data, &doc) != nil {
		return ""
	}
	d, _ := doc[field].(string)
	for cv := v + 1; cv <= uint64(len(envs)); cv++ {
		if cd := corrections[cv]; cd != nil && root(cv) == v {
			if x, ok := cd.Changes[field]; ok {
				d = x
			}
		}
	}
	return d
}

// loadCorrected reads a stream's events and its corrections, by version;
// root returns the version of the event a correction of version v corrects
// (v itself for an event that is no correction).
func (l *Ledger) loadCorrected(ctx context.Context, stream string) (envs []Envelope, corrections map[uint64]*CorrectionData, root func(uint64) uint64, err error) {
	recs, err := l.Store.Load(ctx, stream)
	if err != nil {
		return nil, nil, nil, err
	}
	envs = make([]Envelope, len(recs))
	for i, r := range recs {
		if envs[i], err = ParseStored(r.Raw); err != nil {
			return nil, nil, nil, fmt.Errorf("events: %s version %d: %w", stream, i+1, err)
		}
	}
	corrections = map[uint64]*CorrectionData{} // by version
	for v := range envs {
		if isCorrection(envs[v].Type) {
			var d CorrectionData
			if json.Unmarshal(envs[v].Data, &d) == nil {
				corrections[uint64(v+1)] = &d
			}
		}
	}
	root = func(v uint64) uint64 {
		for d := corrections[v]; d != nil && d.CorrectsVersion > 0 && d.CorrectsVersion < v; d = corrections[v] {
			v = d.CorrectsVersion
		}
		return v
	}
	return envs, corrections, root, nil
}

// streamDates checks an event of type t (payload p) on a stream one of
// whose kept dates a correction changed against the dates of its steps,
// corrections applied (the state knows only that one was corrected).
func (l *Ledger) streamDates(ctx context.Context, s *State, t Type, p Payload) error {
	envs, corrections, root, err := l.loadCorrected(ctx, s.Stream())
	if err != nil {
		return fmt.Errorf("events: read %s for the order of its dates: %w", s.Stream(), err)
	}
	if uint64(len(envs)) < s.version {
		return ErrConcurrency // the store is behind this state: try again
	}
	var days [maxAnchors]int32
	for i := range envs[:s.version] {
		st, ok := dateSteps[envs[i].Type]
		if !ok || st.sets < 0 {
			continue
		}
		if day := correctedDay(envs, corrections, root, uint64(i+1), st.field); day != 0 && (!st.latest || day > days[st.sets]) {
			days[st.sets] = day
		}
	}
	return checkDateOrder(s.kind, &days, t, p)
}

// correctedDay returns the date (dayOf) of field of version v of envs,
// the corrections of it applied.
func correctedDay(envs []Envelope, corrections map[uint64]*CorrectionData, root func(uint64) uint64, v uint64, field string) int32 {
	return dayOf(Date(correctedText(envs, corrections, root, v, field)))
}

// correctedDateOrder checks that the dates of a stream's steps (dateorder.go),
// with the corrections before applied and the date of version of corrected
// to date, keep their order where that version is one of the two steps
// compared. (Steps out of order before, in a log from before the check,
// are left alone.)
func correctedDateOrder(envs []Envelope, corrections map[uint64]*CorrectionData, root func(uint64) uint64, of uint64, date string) error {
	var days [maxAnchors]int32
	var setBy [maxAnchors]uint64
	var fieldOf [maxAnchors]string
	for i := range envs {
		v := uint64(i + 1)
		st, ok := dateSteps[envs[i].Type]
		if !ok {
			continue
		}
		d := date
		if v != of {
			d = correctedText(envs, corrections, root, v, st.field)
		}
		day := dayOf(Date(d))
		if day == 0 {
			continue
		}
		for _, a := range st.after {
			if days[a] == 0 || day >= days[a] {
				continue
			}
			switch of {
			case v:
				return FieldErrorf("data.changes."+st.field, "%s %s would be before the %s (%s) of version %d: a step is not dated before the one it follows.",
					st.field, d, fieldOf[a], dateOfDay(days[a]), setBy[a])
			case setBy[a]:
				return FieldErrorf("data.changes."+fieldOf[a], "%s %s would be after the %s (%s) of version %d, the step that follows it.",
					fieldOf[a], dateOfDay(days[a]), st.field, d, v)
			}
		}
		if st.sets >= 0 && (!st.latest || day > days[st.sets]) {
			days[st.sets], setBy[st.sets], fieldOf[st.sets] = day, v, st.field
		}
	}
	return nil
}

// validPayload reports whether doc is a valid payload of type t.
func validPayload(t Type, doc map[string]any) bool {
	data, err := json.Marshal(doc)
	if err != nil {
		return false
	}
	_, err = DecodePayload(t, data)
	return err == nil
}

// setField sets the field at path ("parent.child") of a payload decoded
// into doc to a correction's value, as a JSON value of the field's type ft:
// a number, true or false, a list or an object given as JSON, or text.
func setField(doc map[string]any, path string, ft reflect.Type, val string) error {
	var v any = val
	switch ft.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(val, 64); err != nil {
			return FieldErrorf("data.changes."+path, "%s is a number: %q is not one.", path, val)
		}
		v = json.Number(val)
	case reflect.Bool:
		v = val == "true"
	case reflect.Slice, reflect.Map, reflect.Array:
		if err := json.Unmarshal([]byte(val), &v); err != nil {
			return FieldErrorf("data.changes."+path, "%s is a list: give its corrected value as JSON, such as [\"a\", \"b\"].", path)
		}
	}
	parts := strings.Split(path, ".")
	m := doc
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
	return nil
}
