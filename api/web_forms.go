package api

import (
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/mttq-vn/ledger/events"
)

// Forms are made from the event types themselves: the payload struct of a
// type (events.DecodeStored of "{}" gives its zero value) lists its fields,
// their JSON names and Go types, so every lifecycle step of every aggregate
// has a form without a hand-written one, and a new field appears on its own.
// Validation stays where it is: the API checks what the form sends and its
// errors name the field ("data.explanation"), shown next to that input.

// formField is one control of a form.
type formField struct {
	Name     string // the input's name: "data.text", "occurred_at"
	ID       string
	Label    string
	Kind     string // text, textarea, date, number, checkbox, select, lines, json
	Value    string
	Checked  bool
	Options  []formOption
	Required bool
	Hint     string
	List     string // a datalist's ID
	Error    string
}

type formOption struct{ Value, Label string }

// enumValues returns the values a form offers for a payload field of type
// t (events.EnumValues: every value some event takes for a field of that
// type; an event that takes fewer, such as a contribution's answer, which
// is never REDIRECTED, refuses the others when the form is sent), or nil
// for a field of free text. A token's role is not offered: tokens have no
// form in the workspace, and their roles no labels.
func enumValues(t reflect.Type) []string {
	if t == reflect.TypeFor[events.Role]() {
		return nil
	}
	return events.EnumValues(t)
}

var (
	dateType   = reflect.TypeFor[events.Date]()
	stringType = reflect.TypeFor[string]()
	personType = reflect.TypeFor[events.Person]()
)

// personFields are the lines of a person's sub-form (events.Person).
var personFields = []string{"name", "address", "phone", "id_number", "email"}

// payloadField is one field of a payload struct.
type payloadField struct {
	json      string
	omitempty bool
	typ       reflect.Type
}

// payloadFields lists the fields of type t's payload.
func payloadFields(t events.Type) []payloadField {
	p, err := events.DecodeStored(t, []byte("{}"))
	if err != nil {
		return nil
	}
	rt := reflect.TypeOf(p).Elem()
	var out []payloadField
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || name == "" || !f.IsExported() {
			continue
		}
		out = append(out, payloadField{json: name, omitempty: strings.Contains(opts, "omitempty"), typ: f.Type})
	}
	return out
}

// fieldKind chooses the control of a payload field.
func fieldKind(name string, t reflect.Type) string {
	switch {
	case t == dateType:
		return "date"
	case enumValues(t) != nil:
		return "select"
	case t.Kind() == reflect.String:
		switch name {
		case "content", "text", "explanation", "summary", "reason", "description", "evidence", "note", "guidance", "basis":
			return "textarea"
		}
		return "text"
	case t.Kind() == reflect.Int || t.Kind() == reflect.Uint64:
		return "number"
	case t.Kind() == reflect.Bool:
		return "checkbox"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "lines"
	case t == personType || t.Kind() == reflect.Pointer && t.Elem() == personType:
		return "person"
	}
	return "json"
}

// dataFields returns the controls of type t's payload, filled from form
// (nil for a blank form, where dates default to today).
func dataFields(lang string, t events.Type, form url.Values, today events.Date) []formField {
	var out []formField
	for _, pf := range payloadFields(t) {
		name := "data." + pf.json
		if fieldKind(pf.json, pf.typ) == "person" {
			// A citizen's details, one line each (the name required if
			// the person is), not JSON to type.
			for _, sub := range personFields {
				n := name + "." + sub
				f := formField{Name: n, ID: "f-" + strings.ReplaceAll(n, ".", "-"), Label: fieldLabel(lang, pf.json) + ": " + fieldLabel(lang, pf.json+"."+sub),
					Kind: "text", Required: sub == "name" && pf.typ == personType}
				if form != nil {
					f.Value = form.Get(n)
				}
				out = append(out, f)
			}
			continue
		}
		f := formField{Name: name, ID: "f-" + strings.ReplaceAll(name, ".", "-"), Label: fieldLabel(lang, pf.json),
			Kind: fieldKind(pf.json, pf.typ), Required: !pf.omitempty}
		if form != nil {
			f.Value = form.Get(name)
			f.Checked = form.Get(name) == "on"
		} else if f.Kind == "date" && f.Required {
			f.Value = string(today)
		}
		switch f.Kind {
		case "select":
			if !f.Required {
				f.Options = append(f.Options, formOption{"", "—"})
			}
			for _, v := range enumValues(pf.typ) {
				f.Options = append(f.Options, formOption{v, enumLabel(lang, v)})
			}
		case "lines":
			f.Hint = tr(lang, "hint.lines")
		case "json":
			f.Hint = tr(lang, "hint.json")
		}
		if strings.HasSuffix(pf.json, "party_id") || strings.HasSuffix(pf.json, "party_ids") {
			f.List = "parties"
		}
		out = append(out, f)
	}
	return out
}

// formData builds the JSON data of type t from a posted form. Values that
// do not parse are sent as they are, so the API's error names the field.
func formData(t events.Type, form url.Values) json.RawMessage {
	m := map[string]any{}
	for _, pf := range payloadFields(t) {
		name := "data." + pf.json
		v := strings.TrimSpace(strings.ReplaceAll(form.Get(name), "\r\n", "\n"))
		switch fieldKind(pf.json, pf.typ) {
		case "checkbox":
			m[pf.json] = v == "on" || v == "true"
			continue
		case "person":
			person := map[string]string{}
			for _, sub := range personFields {
				if sv := strings.TrimSpace(form.Get(name + "." + sub)); sv != "" {
					person[sub] = sv
				}
			}
			if len(person) > 0 || pf.typ == personType {
				m[pf.json] = person
			}
			continue
		case "lines":
			var list []string
			for _, l := range strings.Split(v, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					list = append(list, l)
				}
			}
			if len(list) > 0 {
				m[pf.json] = list
			} else if !pf.omitempty {
				m[pf.json] = []string{}
			}
			continue
		}
		if v == "" {
			if !pf.omitempty && pf.typ.Kind() == reflect.String {
				m[pf.json] = ""
			}
			continue
		}
		switch fieldKind(pf.json, pf.typ) {
		case "number":
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				m[pf.json] = n
			} else {
				m[pf.json] = v
			}
		case "json":
			if json.Valid([]byte(v)) {
				m[pf.json] = json.RawMessage(v)
			} else {
				m[pf.json] = v
			}
		default:
			m[pf.json] = v
		}
	}
	b, _ := json.Marshal(m)
	return b
}

// creationTypes returns the types that start an aggregate of kind that
// role may record.
func creationTypes(kind events.Kind, role events.Role) []events.Type {
	var out []events.Type
	for _, t := range events.Types() {
		if t.Kind() == kind && events.IsCreation(t) && slices.Contains(events.RolesFor(t), role) {
			out = append(out, t)
		}
	}
	return out
}

// stepTypes keeps the next types role may record.
func stepTypes(next []events.Type, role events.Role) []events.Type {
	var out []events.Type
	for _, t := range next {
		if slices.Contains(events.RolesFor(t), role) {
			out = append(out, t)
		}
	}
	return out
}

// fieldErrors places an API error next to its input: the error's field is
// the input's name ("data.text"; "data.planned_actions[1]" belongs to
// "data.planned_actions"). An error no input owns is returned as general.
func fieldErrors(lang string, err error, fields []formField) (general string) {
	field := events.ErrorField(err)
	if i := strings.IndexByte(field, '['); i > 0 {
		field = field[:i]
	}
	msg := tr(lang, "code."+events.ErrorCode(err)) + " " + events.ErrorMessage(err)
	for i := range fields {
		if field != "" && (fields[i].Name == field || strings.HasPrefix(field, fields[i].Name+".")) {
			fields[i].Error = msg
			return ""
		}
	}
	return msg
}
