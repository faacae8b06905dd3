package api

import (
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// The items of GET /v1/{collection}/{id} and of lists are written by hand,
// not by encoding/json: its reflection over ItemView and the Obligations,
// and its second pass over the item's data (a json.RawMessage is compacted
// again), were half of the server's own time for one item. The bytes are
// the same as encoding/json's (with SetEscapeHTML(false), as writeJSON
// does): TestItemJSON compares the two on random items and lists,
// TestItemJSONOfViews on every item of a ledger, redacted and not, and
// TestAppendString on strings.

// writeItem answers with one item, as writeJSON(w, http.StatusOK, resp)
// would.
func writeItem(w http.ResponseWriter, resp *ItemResponse) {
	writeAppended(w, func(b []byte) []byte { return append(appendItem(b, resp), '\n') })
}

// writeList answers with a page of items, as writeJSON(w, http.StatusOK,
// resp) would, for a list without as_of (which writeJSON writes).
func writeList(w http.ResponseWriter, resp *ListResponse) {
	writeAppended(w, func(b []byte) []byte {
		b = appendArray(append(b, `{"items":`...), resp.Items, appendItem)
		b = appendString(append(b, `,"next_cursor":`...), resp.NextCursor)
		b = strconv.AppendUint(append(b, `,"position":`...), resp.Position, 10)
		return append(b, '}', '\n')
	})
}

// writeAppended answers 200 with the JSON that appendTo appends.
func writeAppended(w http.ResponseWriter, appendTo func([]byte) []byte) {
	bp := appendBuffers.Get().(*[]byte)
	b := appendTo((*bp)[:0])
	h := w.Header()
	h["Content-Type"], h["Content-Length"] = headerJSON, []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	w.Write(b) // an error is the client's going away
	if cap(b) <= maxPooledJSON {
		*bp = b // with what it grew to, for the next answer
		appendBuffers.Put(bp)
	}
}

// appendBuffers are writeAppended's buffers; as with writeJSON's, one grown
// past maxPooledJSON is left to the garbage collector.
var appendBuffers = sync.Pool{New: func() any { return new([]byte) }}

// appendItemFields appends r's fields, without the braces.
func appendItemFields(b []byte, r *ItemResponse) []byte {
	iv := &r.ItemView
	b = appendString(append(b, `"id":`...), iv.ID)
	b = appendString(append(b, `,"stream":`...), iv.Stream)
	b = appendString(append(b, `,"kind":`...), string(iv.Kind))
	b = appendString(append(b, `,"status":`...), string(iv.Status))
	b = strconv.AppendUint(append(b, `,"version":`...), iv.Version, 10)
	b = appendString(append(b, `,"unit":`...), iv.Unit)
	if iv.Title != "" {
		b = appendString(append(b, `,"title":`...), iv.Title)
	}
	if iv.Form != "" {
		b = appendString(append(b, `,"form":`...), iv.Form)
	}
	if iv.Party != "" {
		b = appendString(append(b, `,"party":`...), iv.Party)
	}
	b = appendStrings(append(b, `,"parties":`...), iv.Parties)
	b = appendString(append(b, `,"classification":`...), string(iv.Classification))
	b = appendString(append(b, `,"opened_on":`...), string(iv.OpenedOn))
	b = strconv.AppendUint(append(b, `,"created_position":`...), iv.CreatedPosition, 10)
	b = strconv.AppendUint(append(b, `,"updated_position":`...), iv.UpdatedPosition, 10)
	b = appendString(append(b, `,"last_hash":`...), iv.LastHash)
	b = appendStrings(append(b, `,"derived_status":`...), iv.DerivedStatus)
	b = appendArray(append(b, `,"deadlines":`...), iv.Deadlines, appendObligation)
	b = append(b, `,"data":`...)
	if len(iv.Data) == 0 {
		// nil; View never makes empty data, which encoding/json refuses.
		b = append(b, "null"...)
	} else {
		// View makes it of the stored fields: events keep their data as
		// encoding/json wrote it (events.MarshalPayload), compact.
		b = append(b, iv.Data...)
	}
	if len(iv.Redacted) > 0 {
		b = appendStrings(append(b, `,"redacted":`...), iv.Redacted)
	}
	if len(iv.Withheld) > 0 {
		b = appendStrings(append(b, `,"withheld":`...), iv.Withheld)
	}
	b = strconv.AppendUint(append(b, `,"last_position":`...), r.LastPosition, 10)
	if len(r.Open) > 0 {
		b = appendStrings(append(b, `,"open":`...), r.Open)
	}
	if len(r.NextTypes) > 0 {
		b = appendArray(append(b, `,"next_types":`...), r.NextTypes, func(b []byte, t *events.Type) []byte { return appendString(b, string(*t)) })
	}
	return b
}

// appendItem appends r as a JSON object.
func appendItem(b []byte, r *ItemResponse) []byte {
	return append(appendItemFields(append(b, '{'), r), '}')
}

func appendObligation(b []byte, o *projections.Obligation) []byte {
	b = appendString(append(b, `{"rule":`...), o.Rule)
	b = appendString(append(b, `,"obligation":`...), o.Obligation)
	b = appendString(append(b, `,"basis":`...), o.Basis)
	if o.Party != "" {
		b = appendString(append(b, `,"party":`...), o.Party)
	}
	b = appendString(append(b, `,"unit":`...), o.Unit)
	b = appendString(append(b, `,"stream":`...), o.Stream)
	if o.Trigger != "" {
		b = appendString(append(b, `,"trigger":`...), string(o.Trigger))
	}
	if o.Due != "" {
		b = appendString(append(b, `,"due":`...), string(o.Due))
	}
	if o.MetOn != "" {
		b = appendString(append(b, `,"met_on":`...), string(o.MetOn))
	}
	b = appendString(append(b, `,"outcome":`...), o.Outcome)
	if o.DaysLate != 0 {
		b = strconv.AppendInt(append(b, `,"days_late":`...), int64(o.DaysLate), 10)
	}
	b = appendArray(append(b, `,"cites":`...), o.Cites, func(b []byte, c *projections.Cite) []byte {
		b = strconv.AppendUint(append(b, `{"position":`...), c.Position, 10)
		return append(appendString(append(b, `,"type":`...), string(c.Type)), '}')
	})
	if o.Supervisor {
		b = append(b, `,"supervisor":true`...)
	}
	if o.HolidaysUnknown {
		b = append(b, `,"holidays_unknown":true`...)
	}
	return append(b, '}')
}

// appendArray appends xs as a JSON array, each element by each; a nil
// slice is null, as encoding/json writes it.
func appendArray[T any](b []byte, xs []T, each func([]byte, *T) []byte) []byte {
	if xs == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = each(b, &xs[i])
	}
	return append(b, ']')
}

// appendStrings appends ss as a JSON array (null for a nil slice).
func appendStrings(b []byte, ss []string) []byte {
	return appendArray(b, ss, func(b []byte, s *string) []byte { return appendString(b, *s) })
}

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it without HTML escaping: quote, backslash and control
// characters, U+2028 and U+2029; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
