package events

import (
	"context"
	"errors"
	"fmt"
)

// Error codes are stable on the wire: clients branch on them. New codes are
// appended, never renamed.
const (
	EConflict     = "conflict"
	EInvalid      = "invalid"
	ENotFound     = "not_found"
	EUnauthorized = "unauthorized"
	EForbidden    = "forbidden"
	ETooLarge     = "too_large"
	EUnavailable  = "unavailable"
	EInternal     = "internal"
	// ETooManyRequests: the token made more requests than its rate limit
	// allows; try again after the time the answer names.
	ETooManyRequests = "too_many_requests"
	// EInsufficientStorage: the event store has no space left for the
	// event (its disk or its configured storage limit is full); nothing was
	// written. Writes succeed again once an operator frees space.
	EInsufficientStorage = "insufficient_storage"
	// EMethodNotAllowed: the path exists but not with this HTTP method; the
	// answer's Allow header lists the methods it has.
	EMethodNotAllowed = "method_not_allowed"
)

// Error is a domain error: a machine-readable Code, a human-readable Message
// and, where one input is at fault, the Field that names it (for example
// "data.explanation").
type Error struct {
	Code    string
	Message string
	Field   string
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("ledger error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("ledger error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error with code invalid that names field.
func FieldErrorf(field string, format string, args ...any) *Error {
	return &Error{Code: EInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Sentinels for conditions that code branches on.
var (
	// ErrConcurrency reports that a stream's version was not the expected one:
	// somebody else appended first. Errors that match it with errors.Is are
	// usually *VersionConflict values, which carry the current version.
	ErrConcurrency = errors.New("events: stream version conflict")
	// ErrNotFound reports that a stream, a position or a checkpoint does not exist.
	ErrNotFound = errors.New("events: not found")
	// ErrStreamExists reports an attempt to start a stream that already exists.
	ErrStreamExists = errors.New("events: stream already exists")
	// ErrUnavailable reports that the store could not be reached or did
	// not answer in time: the request may succeed if tried again.
	ErrUnavailable = errors.New("events: the event store is unavailable")
)

// VersionConflict is the error of an append whose expected version was not
// the stream's current version. errors.Is(err, ErrConcurrency) holds for it.
type VersionConflict struct {
	Stream   string
	Expected uint64
	Current  uint64
}

// Error implements the error interface.
func (e *VersionConflict) Error() string {
	return fmt.Sprintf("events: %s is at version %d, not %d", e.Stream, e.Current, e.Expected)
}

// Is makes errors.Is(err, ErrConcurrency) true.
func (e *VersionConflict) Is(target error) bool { return target == ErrConcurrency }

// ErrorCode returns the code of err: the Code of an *Error, the code a
// sentinel maps to, or EInternal for anything else (including nil: callers
// only ask for codes of errors).
func ErrorCode(err error) string {
	var e *Error
	var vc *VersionConflict
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.As(err, &vc), errors.Is(err, ErrConcurrency), errors.Is(err, ErrStreamExists):
		return EConflict
	case errors.Is(err, ErrNotFound):
		return ENotFound
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return EUnavailable
	}
	return EInternal
}

// ErrorMessage returns the human-readable message of err. Internal errors
// get a generic message so that details of the system do not leak.
func ErrorMessage(err error) string {
	var e *Error
	var vc *VersionConflict
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	case errors.As(err, &vc):
		return fmt.Sprintf("%s is at version %d, not %d.", vc.Stream, vc.Current, vc.Expected)
	case errors.Is(err, ErrConcurrency):
		return "The stream was changed by someone else."
	case errors.Is(err, ErrStreamExists):
		return "The item already exists."
	case errors.Is(err, ErrNotFound):
		return "Not found."
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return "The event store is unavailable or slow to answer; try again."
	case errors.Is(err, context.Canceled):
		return "The request was cancelled."
	}
	return "Internal error."
}

// ErrorField returns the field an *Error names, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
