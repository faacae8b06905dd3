// Package projections turns the ledger's log into read models: current-state
// views, statutory deadlines, flags and accountability trails. Each read
// model applies records in log order with a deterministic Apply (no clock,
// no I/O), so replaying the log always gives the same views.
//
// It depends on package events and nothing else of ours; the stores satisfy
// Source structurally.
package projections

import (
	"context"

	"github.com/mttq-vn/ledger/events"
)

// Source delivers the log's records in position order, from a position on.
// events.Store implementations satisfy it.
type Source interface {
	// ReadLog calls fn for every record from position from up to the head
	// of the log as it stood when called.
	ReadLog(ctx context.Context, from uint64, fn func(events.Record) error) error
	// Follow is like ReadLog but waits for new records until ctx is done.
	Follow(ctx context.Context, from uint64, fn func(events.Record) error) error
}
