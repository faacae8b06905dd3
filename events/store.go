package events

import "context"

// Store is an append-only log of events, organised in streams (one per
// aggregate) and totally ordered by position. Adapters persist and translate;
// they hold no business rules.
type Store interface {
	// Append stores e as version expectedVersion+1 of stream (expectedVersion
	// 0 means the stream must not exist yet). It returns the stored record
	// with its position.
	//
	// Returns an error matching ErrConcurrency (a *VersionConflict carrying
	// the current version) if the stream is not at expectedVersion. If the
	// event at expectedVersion+1 has the same dedup key (Pending.DedupKey),
	// the call is a retry: Append returns that first record with Duplicate
	// set and writes nothing, also after a restart. Within the adapter's
	// de-duplication window (JetStream's duplicate window; forever for
	// inmem) a key already used for another stream or version is refused
	// with an *Error of code conflict; beyond it, callers that reuse keys
	// across streams must detect that themselves (the ledger keeps an index).
	// Returns ctx.Err() promptly if ctx is cancelled.
	Append(ctx context.Context, stream string, expectedVersion uint64, e Pending) (Appended, error)

	// Load returns the records of stream in version order, or an empty slice
	// if the stream does not exist. It reads the store, so it is slow on big
	// logs: command handling keeps state in memory instead.
	Load(ctx context.Context, stream string) ([]Record, error)

	// Version returns the current version of stream, 0 if it does not exist.
	Version(ctx context.Context, stream string) (uint64, error)

	// Get returns the record at position. Returns ErrNotFound if there is none.
	Get(ctx context.Context, position uint64) (Record, error)

	// Head returns the position of the last record, 0 for an empty log.
	Head(ctx context.Context) (uint64, error)

	// ReadLog calls fn for every record from position from (1 = the start)
	// in position order, up to the head of the log as it stood when ReadLog
	// was called. It stops at the first error of fn and returns it. A
	// position missing from the log (a gap) is an error.
	ReadLog(ctx context.Context, from uint64, fn func(Record) error) error

	// Follow is like ReadLog but does not stop at the head: it waits for
	// new records until ctx is done (then it returns ctx.Err()) or fn fails.
	Follow(ctx context.Context, from uint64, fn func(Record) error) error

	// PutCheckpoint stores a signed checkpoint note for a tree of size
	// records, in a place of its own beside the log. Storing a note for a
	// size that already has one is a no-op.
	PutCheckpoint(ctx context.Context, size uint64, note []byte) error

	// Checkpoints calls fn for every stored checkpoint, in the order stored.
	Checkpoints(ctx context.Context, fn func(size uint64, note []byte) error) error

	// LatestCheckpoint returns the last stored checkpoint. Returns ErrNotFound
	// if none was stored.
	LatestCheckpoint(ctx context.Context) (size uint64, note []byte, err error)

	// Close releases the store's resources.
	Close() error
}
