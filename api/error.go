package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/mttq-vn/ledger/events"
)

// statuses maps error codes to HTTP statuses.
var statuses = map[string]int{
	events.EInvalid:      http.StatusBadRequest,
	events.EUnauthorized: http.StatusUnauthorized,
	events.EForbidden:    http.StatusForbidden,
	events.ENotFound:     http.StatusNotFound,
	events.EConflict:     http.StatusConflict,
	events.ETooLarge:     http.StatusRequestEntityTooLarge,
	events.EUnavailable:  http.StatusServiceUnavailable,
	events.EInternal:     http.StatusInternalServerError,

	events.ETooManyRequests:     http.StatusTooManyRequests,
	events.EInsufficientStorage: http.StatusInsufficientStorage,
	events.EMethodNotAllowed:    http.StatusMethodNotAllowed,
}

// ErrorBody is the JSON body of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail carries an error's code, message and the field at fault.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Error renders err as a JSON error response. Internal errors are logged
// and their details replaced by "Internal error.".
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	code, msg, field := events.ErrorCode(err), events.ErrorMessage(err), events.ErrorField(err)
	if field == "" {
		field = defaultField(err, code)
	}
	if code == events.EInternal {
		s.Logger.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if s.metrics != nil {
		s.metrics.rejected.WithLabelValues(code).Inc()
	}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="ledger"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg, Field: field}})
}

// defaultField names the input at fault for errors that do not name one
// themselves: the token for 401 and 403, the body for 413, the expected
// version for a version conflict.
func defaultField(err error, code string) string {
	var vc *events.VersionConflict
	switch {
	case code == events.EUnauthorized, code == events.EForbidden:
		return "Authorization"
	case code == events.ETooLarge:
		return "body"
	case errors.As(err, &vc):
		return "If-Match"
	}
	return ""
}

// writeJSON answers v as JSON. It encodes into a pooled buffer first, so
// that the answer goes out with its Content-Length in one write rather than
// chunked.
func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledJSON {
			buf.Reset()
			jsonBuffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Error("encoding a response", "err", err)
		buf.Reset()
		buf.WriteString(`{"error":{"code":"` + events.EInternal + `","message":"The answer could not be encoded."}}` + "\n")
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h["Content-Type"], h["Content-Length"] = headerJSON, []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err != nil {
		slog.Debug("write response", "err", err)
	}
}

// jsonBuffers are writeJSON's buffers; one grown past maxPooledJSON (a
// large list) is left to the garbage collector.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledJSON = 256 << 10
