package events

import (
	"reflect"
	"slices"
	"testing"
)

// TestCorrectableEnums: every field a correction may name whose type is
// an enumeration (a named string type other than Date) has its values
// registered, so that a correction is checked against them as the event
// itself was.
func TestCorrectableEnums(t *testing.T) {
	for kind, fields := range correctable() {
		for k, ft := range fields {
			if ft == nil || ft.Kind() != reflect.String || ft == reflect.TypeFor[string]() || ft == dateType {
				continue
			}
			if enumValues[ft] == nil {
				t.Errorf("%s: field %s of type %s has no registered values", kind, k, ft)
			}
		}
	}
	// A type's values are the union of its fields' lists, in the order
	// they were registered (files in name order: common.go's before
	// contribution.go's).
	if got := EnumValues(reflect.TypeFor[Outcome]()); !slices.Equal(got, []string{"ACCEPTED", "PARTIALLY_ACCEPTED", "EXPLAINED_NOT_ACCEPTED", "REDIRECTED", "NOTED"}) {
		t.Errorf("Outcome's values: %v", got)
	}
	if got := EnumValues(reflect.TypeFor[PartyKind]()); len(got) != 18 {
		t.Errorf("PartyKind's values: %d, want 18", len(got))
	}
}
