package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Every step of dateSteps reads its own date field, is refused a day
// before each date it follows and taken on the same day, and keeps the
// date it sets (the latest of several for working sessions). The golden
// example of each type gives its payload. (helper-56: most table rows
// could be removed with every test still passing.)
func TestDateSteps(t *testing.T) {
	for typ, st := range dateSteps {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", string(typ)+".json"))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		var env struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(b, &env); err != nil {
			t.Fatal(err)
		}
		on, _ := env.Data[st.field].(string)
		if dayOf(Date(on)) == 0 {
			t.Errorf("%s: its golden example has no date %s", typ, st.field)
			continue
		}
		payload := func(date string) Payload {
			env.Data[st.field] = date
			data, _ := json.Marshal(env.Data)
			p, err := DecodePayload(typ, data)
			if err != nil {
				t.Fatalf("%s: %v", typ, err)
			}
			return p
		}
		p := payload(on)
		if got := st.date(p); got != Date(on) {
			t.Errorf("%s: reads %q, not its %s %q", typ, got, st.field, on)
		}
		kind := typ.Kind()
		if _, ok := anchorFields[kind]; !ok {
			t.Errorf("%s: no dates kept for a %s", typ, kind)
		}
		for _, a := range st.after {
			if anchorFields[kind][a] == "" {
				t.Errorf("%s: follows date %d of a %s, which has no name", typ, a, kind)
			}
			var days [maxAnchors]int32
			days[a] = dayOf(Date(on)) + 1 // the next day (YYYYMMDD; not a real date at a month's end, which does not matter here)
			err := checkDateOrder(kind, &days, typ, p)
			if ErrorCode(err) != EInvalid || ErrorField(err) != "data."+st.field {
				t.Errorf("%s: %s dated before %s: %v", typ, st.field, anchorFields[kind][a], err)
			}
			days[a] = dayOf(Date(on))
			if err := checkDateOrder(kind, &days, typ, p); err != nil {
				t.Errorf("%s: dated the same day as %s: %v", typ, anchorFields[kind][a], err)
			}
			days[a] = -1 // corrected: checked against the stream instead
			if err := checkDateOrder(kind, &days, typ, p); err != nil {
				t.Errorf("%s: after a corrected %s: %v", typ, anchorFields[kind][a], err)
			}
		}
		if st.sets < 0 {
			continue
		}
		s := NewState(kind, "x")
		setDateAnchor(s, typ, p)
		if s.days[st.sets] != dayOf(Date(on)) {
			t.Errorf("%s: keeps %d as %s, not %s", typ, s.days[st.sets], anchorFields[kind][st.sets], on)
		}
		setDateAnchor(s, typ, payload("2000-01-01"))
		if want := dayOf(Date(on)); st.latest && s.days[st.sets] != want || !st.latest && s.days[st.sets] != 20000101 {
			t.Errorf("%s (latest %v): an earlier date after %s keeps %d", typ, st.latest, on, s.days[st.sets])
		}
	}
	// Each kept date is set by some step of its kind.
	for kind, names := range anchorFields {
		for a, name := range names {
			if name == "" {
				continue
			}
			set := false
			for typ, st := range dateSteps {
				set = set || typ.Kind() == kind && st.sets == anchor(a)
			}
			if !set {
				t.Errorf("%s's %s is set by no step", kind, name)
			}
		}
	}
}
