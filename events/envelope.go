package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// ParseStored decodes the stored bytes of an event for a replay, which then
// decodes the payload. Events the ledger wrote are in the layout
// Envelope.Marshal gives; for those it reads the fields without a JSON
// decoder (on a large log, decoding is most of a replay's time) and leaves
// Data as a slice of b (checked to be one valid JSON value), and
// a caller that keeps Data must copy it. Anything else (escaped strings, other
// field order, extra space) is decoded with encoding/json as
// UnmarshalEnvelope does. The result is the same either way
// (TestParseStoredMatchesUnmarshal).
func ParseStored(b []byte) (Envelope, error) {
	var e Envelope
	if parseCanonical(b, &e) {
		return e, nil
	}
	return UnmarshalEnvelope(b)
}

// parseCanonical reads b in Envelope.Marshal's layout into e, or reports
// false.
func parseCanonical(b []byte, e *Envelope) bool {
	p := canonParser{rest: b}
	if !p.lit(`{"id":`) || !p.str(&e.ID) ||
		!p.lit(`,"stream":`) || !p.str(&e.Stream) ||
		!p.lit(`,"kind":`) || !p.known((*string)(&e.Kind)) ||
		!p.lit(`,"type":`) || !p.known((*string)(&e.Type)) ||
		!p.lit(`,"version":`) || !p.uint(&e.Version) ||
		!p.lit(`,"occurred_at":`) || !p.time(&e.OccurredAt) ||
		!p.lit(`,"recorded_at":`) || !p.time(&e.RecordedAt) ||
		!p.lit(`,"actor":{"subject":`) || !p.str(&e.Actor.Subject) ||
		!p.lit(`,"role":`) || !p.known((*string)(&e.Actor.Role)) {
		return false
	}
	if p.lit(`,"unit":`) && !p.str(&e.Actor.Unit) {
		return false
	}
	if p.lit(`,"party":`) && !p.str(&e.Actor.Party) {
		return false
	}
	if !p.lit(`},"unit":`) || !p.str(&e.Unit) ||
		!p.lit(`,"classification":`) || !p.known((*string)(&e.Classification)) {
		return false
	}
	if p.lit(`,"document_ref":{"number":`) {
		d := &DocumentRef{}
		if !p.str(&d.Number) || !p.lit(`,"signed_on":`) || !p.str((*string)(&d.SignedOn)) || !p.lit(`}`) ||
			(d.SignedOn != "" && !d.SignedOn.Valid()) { // as Date.UnmarshalJSON refuses it
			return false
		}
		if shared, ok := sharedDate(string(d.SignedOn)); ok {
			d.SignedOn = shared
		}
		e.DocumentRef = d
	}
	if p.lit(`,"idempotency_key":`) && !p.str(&e.IdempotencyKey) {
		return false
	}
	if !p.lit(`,"prev_hash":`) || !p.str(&e.PrevHash) || !p.lit(`,"data":`) {
		return false
	}
	data := p.rest
	if len(data) < 3 || data[len(data)-1] != '}' || data[0] != '{' || data[len(data)-2] != '}' {
		return false // data is always an object, and the envelope ends after it
	}
	// The fields read so far must be UTF-8 (encoding/json would replace
	// bad bytes) and data one valid JSON value (encoding/json checks the
	// whole envelope before it decodes any of it).
	if !utf8.Valid(b[:len(b)-len(data)]) || !jsontext.Value(data[:len(data)-1]).IsValid() || mayNestTooDeep(data) {
		return false
	}
	e.Data = json.RawMessage(data[:len(data)-1])
	return true
}

// mayNestTooDeep reports whether data has enough brackets to nest past
// encoding/json's limit of 10,000 levels, the envelope's own included
// (jsontext allows deeper): such data is left to encoding/json.
func mayNestTooDeep(data []byte) bool {
	return bytes.Count(data, []byte{'{'})+bytes.Count(data, []byte{'['}) >= 9999
}

// canonParser reads fields of a known layout from the front of rest.
type canonParser struct{ rest []byte }

func (p *canonParser) lit(s string) bool {
	if len(p.rest) < len(s) || string(p.rest[:len(s)]) != s {
		return false
	}
	p.rest = p.rest[len(s):]
	return true
}

// str reads a JSON string without escapes or control characters.
func (p *canonParser) str(dst *string) bool {
	b, ok := p.strBytes()
	if ok {
		*dst = string(b)
	}
	return ok
}

// known is str for the names of kinds, types, roles and classifications:
// it gives the one shared copy of a known name instead of a new string.
func (p *canonParser) known(dst *string) bool {
	b, ok := p.strBytes()
	if !ok {
		return false
	}
	if v, found := knownNames()[string(b)]; found {
		*dst = v
	} else {
		*dst = string(b)
	}
	return true
}

func (p *canonParser) strBytes() ([]byte, bool) {
	b := p.rest
	if len(b) == 0 || b[0] != '"' {
		return nil, false
	}
	end := bytes.IndexByte(b[1:], '"')
	if end < 0 {
		return nil, false
	}
	s := b[1 : 1+end]
	for _, c := range s {
		if c == '\\' || c < 0x20 {
			return nil, false
		}
	}
	p.rest = b[2+end:]
	return s, true
}

// knownNames holds the vocabulary's names (kinds, types, roles,
// classifications), each once. It is built on first use: the types are
// registered by init functions, after package variables are set.
var knownNames = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	add := func(s string) { m[s] = s }
	for _, t := range Types() {
		add(string(t))
		add(string(t.Kind()))
	}
	for _, r := range []Role{RoleAdmin, RoleRecorder, RoleRespondent, RoleInspector, RoleObserver, RoleSystem} {
		add(string(r))
	}
	for _, c := range []Classification{Public, Internal, Confidential} {
		add(string(c))
	}
	return m
})

// uint reads a JSON number that is a non-negative integer.
func (p *canonParser) uint(dst *uint64) bool {
	b := p.rest
	var v uint64
	n := 0
	for n < len(b) && b[n] >= '0' && b[n] <= '9' && n < 19 {
		v = v*10 + uint64(b[n]-'0')
		n++
	}
	if n == 0 || n == len(b) || (b[n] >= '0' && b[n] <= '9') || (n > 1 && b[0] == '0') {
		return false
	}
	*dst = v
	p.rest = b[n:]
	return true
}

// time reads an RFC 3339 time as encoding/json does.
func (p *canonParser) time(dst *time.Time) bool {
	var s string
	if !p.str(&s) {
		return false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return false
	}
	*dst = t
	return true
}

// IsSyntaxError reports whether err comes from malformed JSON, as decoding
// the payload of a damaged event gives.
func IsSyntaxError(err error) bool {
	var se *json.SyntaxError
	var se2 *jsontext.SyntacticError
	return errors.As(err, &se) || errors.As(err, &se2)
}
