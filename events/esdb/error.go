package esdb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	kurrent "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mttq-vn/ledger/events"
)

// errClosed is what calls on a closed store return.
var errClosed = events.Errorf(events.EUnavailable, "The store is closed.")

// unavailableError is the error of a call that could not reach
// EventStoreDB or got no answer in time. errors.As finds an *events.Error
// of code unavailable in it (so the API answers 503, try again), errors.Is
// matches events.ErrUnavailable, and the driver's error stays in the chain
// and in the text for the logs.
type unavailableError struct {
	op    string
	cause error
}

var errUnavailable = &events.Error{Code: events.EUnavailable,
	Message: "The event store (EventStoreDB) is unreachable or slow to answer; try again."}

func (e *unavailableError) Error() string {
	return "esdb: " + e.op + ": unavailable: " + e.cause.Error()
}

func (e *unavailableError) Unwrap() []error {
	return []error{errUnavailable, events.ErrUnavailable, e.cause}
}

// clientError returns the driver's *kurrent.Error in err, if any. The
// driver wraps it with fmt.Errorf in places, so errors.As is the only
// reliable test (kurrent.FromError uses a plain type assertion, and its
// boolean is true when err is nil).
func clientError(err error) (*kurrent.Error, bool) {
	var e *kurrent.Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// hasCode reports whether err carries the driver's error code c.
func hasCode(err error, c kurrent.ErrorCode) bool {
	e, ok := clientError(err)
	return ok && e.Code() == c
}

// isNotFound reports whether err says a stream does not exist.
func isNotFound(err error) bool { return hasCode(err, kurrent.ErrorCodeResourceNotFound) }

// translate maps an error of the driver to the ledger's terms: the
// caller's own cancellation as ctx.Err(), an unreachable or slow server as
// unavailable, errors already in the ledger's terms as they are, and
// anything else wrapped once with the operation's name (internal).
// Wrong-expected-version and not-found answers are handled where they
// mean something, before translate.
func translate(ctx context.Context, op string, err error) error {
	var le *events.Error
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil && (errors.Is(err, ctx.Err()) || hasCode(err, kurrent.ErrorCodeDeadlineExceeded) ||
		status.Code(err) == codes.Canceled || status.Code(err) == codes.DeadlineExceeded):
		return ctx.Err()
	case errors.As(err, &le), errors.Is(err, events.ErrConcurrency), errors.Is(err, events.ErrNotFound),
		errors.Is(err, events.ErrUnavailable):
		return err
	case unreachable(err):
		return &unavailableError{op: op, cause: err}
	case hasCode(err, kurrent.ErrorCodeUnauthenticated), hasCode(err, kurrent.ErrorCodeAccessDenied):
		return fmt.Errorf("esdb: %s: the server refused the ledger's credentials or access (it needs read access to $all and write access to its streams): %w", op, err)
	case hasCode(err, kurrent.ErrorCodeStreamDeleted):
		return fmt.Errorf("esdb: %s: a ledger stream was deleted in EventStoreDB; the log is damaged: %w", op, err)
	}
	return fmt.Errorf("esdb: %s: %w", op, err)
}

// unreachable reports whether err means the server could not be reached,
// was not ready, lost its leader, or did not answer in time.
func unreachable(err error) bool {
	if e, ok := clientError(err); ok {
		switch e.Code() {
		case kurrent.ErrorUnavailable, kurrent.ErrorCodeDeadlineExceeded, kurrent.ErrorCodeConnectionClosed,
			kurrent.ErrorCodeNotLeader, kurrent.ErrorAborted:
			return true
		}
		err = e.Err() // the gRPC status beneath, if any
		if err == nil {
			return false
		}
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted:
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}

// wrongExpectedVersion returns the stream's current ledger version from
// an append refused for its expected revision. The driver puts the
// server's answer only in the message text, as
//
//	wrong expected version: expecting '<expected>' but got '<current>'
//
// where current is a revision or "no_stream". ok is false if err is not
// such a refusal; known is false if it is one whose current revision
// cannot be read from the text (the caller then reads the stream).
func wrongExpectedVersion(err error) (current uint64, ok, known bool) {
	e, isClient := clientError(err)
	if !isClient || e.Code() != kurrent.ErrorCodeWrongExpectedVersion {
		return 0, false, false
	}
	if e.Err() == nil {
		return 0, true, false
	}
	current, known = parseCurrentRevision(e.Err().Error())
	return current, true, known
}

// parseCurrentRevision reads the current ledger version out of the
// driver's text "... expecting '<expected>' but got '<current>'".
func parseCurrentRevision(msg string) (version uint64, ok bool) {
	const marker = "but got '"
	i := strings.LastIndex(msg, marker)
	if i < 0 {
		return 0, false
	}
	got, _, closed := strings.Cut(msg[i+len(marker):], "'")
	if !closed {
		return 0, false
	}
	if got == "no_stream" {
		return 0, true
	}
	rev, err := strconv.ParseUint(got, 10, 64)
	if err != nil {
		return 0, false
	}
	return versionOf(rev), true
}
