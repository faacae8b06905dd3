package api

import (
	"reflect"
	"testing"

	"github.com/mttq-vn/ledger/events"
)

// TestWebTextForEveryTypeFieldAndValue: every event type, every payload
// field (and a person's lines) and every value of an enumeration a form
// offers has its Vietnamese text, so no page shows a raw name such as
// "petition kind" or "MAIL". (Found by an audit: petitions, information
// requests, contributions, units and parties had none.)
func TestWebTextForEveryTypeFieldAndValue(t *testing.T) {
	enums := map[reflect.Type]bool{}
	for _, ty := range events.Types() {
		if _, ok := typeText[ty]; !ok {
			t.Errorf("event type %s has no text", ty)
		}
		for _, f := range payloadFields(ty) {
			if _, ok := fieldText[f.json]; !ok {
				t.Errorf("field %s (of %s) has no text", f.json, ty)
			}
			ft := f.typ
			for ft.Kind() == reflect.Slice || ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case ft == personType:
				for _, sub := range personFields {
					if _, ok := fieldText[f.json+"."+sub]; !ok {
						t.Errorf("field %s.%s has no text", f.json, sub)
					}
				}
			case ft.Kind() == reflect.String && ft != stringType && ft != dateType && ft != reflect.TypeFor[events.Role]():
				if enumValues(ft) == nil {
					t.Errorf("field %s (of %s) is an enumeration (%s) with no values for its form", f.json, ty, ft)
				}
				enums[ft] = true
			}
		}
	}
	// Every state of every kind, as the workspace shows it.
	for _, ty := range events.Types() {
		for _, st := range events.Statuses(ty.Kind()) {
			_, ok := statusText[string(st)]
			if _, out := uiText["out."+string(st)]; !ok && !out {
				t.Errorf("state %s (of a %s) has no text", st, ty.Kind())
			}
		}
	}
	for ft := range enums {
		for _, v := range enumValues(ft) {
			if _, ok := enumText[v]; !ok {
				t.Errorf("value %s of %s has no text", v, ft)
			}
		}
	}
	for _, v := range []string{"true", "false"} {
		if _, ok := enumText[v]; !ok {
			t.Errorf("%s has no text", v)
		}
	}
}

// Every error code the API answers with has its text on the error page.
func TestWebTextForEveryErrorCode(t *testing.T) {
	for _, code := range []string{events.EConflict, events.EInvalid, events.ENotFound, events.EUnauthorized, events.EForbidden, events.ETooLarge,
		events.EUnavailable, events.EInternal, events.ETooManyRequests, events.EInsufficientStorage, events.EMethodNotAllowed} {
		if _, ok := uiText["code."+code]; !ok {
			t.Errorf("error code %s has no text", code)
		}
	}
}
