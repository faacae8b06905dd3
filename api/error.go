package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

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

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}
