package events

import (
	"reflect"
	"slices"
	"testing"
)

// TestCorrectableEnums: every field a correction may name whose type is
// an enumeration (a named string type other than Date) has its values
// registered, so that a correction is checked against them as the event
// itself was; and each kind's narrower list is part of its type's.
func TestCorrectableEnums(t *testing.T) {
	for kind, fields := range correctable() {
		for k, ft := range fields {
			if ft == nil || ft.Kind() != reflect.String || ft == reflect.TypeFor[string]() || ft == dateType {
				continue
			}
			if enumOf(kind, k, ft) == nil {
				t.Errorf("%s: field %s of type %s has no registered values", kind, k, ft)
			}
		}
	}
	for kind, fields := range kindEnums {
		for k, values := range fields {
			ft, ok := correctable()[kind][k]
			if !ok {
				t.Errorf("kindEnums names %s.%s, which no %s event has", kind, k, kind)
				continue
			}
			if ft == reflect.TypeFor[string]() {
				continue // the plan's form: the union of the forms
			}
			for _, v := range values {
				if !slices.Contains(enumValues[ft], v) {
					t.Errorf("%s.%s: %s is not a value of %s", kind, k, v, ft)
				}
			}
		}
	}
	// The registry holds what Validate accepts: a value of one list only.
	if got := EnumValues(reflect.TypeFor[Outcome]()); !slices.Equal(got, []string{"ACCEPTED", "PARTIALLY_ACCEPTED", "EXPLAINED_NOT_ACCEPTED", "REDIRECTED", "NOTED"}) {
		t.Errorf("Outcome's values: %v", got)
	}
	if got := EnumValues(reflect.TypeFor[PartyKind]()); len(got) != 18 {
		t.Errorf("PartyKind's values: %d, want 18", len(got))
	}
}
