package api

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// WriteItem and WriteList are writeItem and writeList, for TestItemJSONOfViews.
func WriteItem(w http.ResponseWriter, r *ItemResponse) { writeItem(w, r) }
func WriteList(w http.ResponseWriter, r *ListResponse) { writeList(w, r) }

// StdJSON is what encoding/json writes for v as writeJSON sets it up: what
// the hand-written items are compared with.
func StdJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}
