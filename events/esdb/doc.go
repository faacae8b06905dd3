// Package esdb is an events.Store on EventStoreDB or its renamed successor
// KurrentDB, through github.com/EventStore/EventStore-Client-Go/v4 (one
// gRPC protocol for EventStoreDB 20.x to 24.x and KurrentDB 25.x). It
// passes the same conformance suite (events/eventstest) as the other
// adapters.
//
// # Mapping
//
// Each ledger stream is one EventStoreDB stream, named StreamPrefix +
// stream ("ledger-recommendation/kn-1"). An event's data is the stored
// bytes, unchanged; its event type is the envelope's type; its user
// metadata holds the ledger stream, version, event ID and idempotency key
// (see metadata). Ledger version N is EventStoreDB revision N-1, and an
// append that expects version 0 expects NoStream (see expectedRevision,
// the one place of that offset).
//
// Appends carry the expected revision, so a stream cannot fork. Their
// event ID is derived from the dedup key (a UUIDv5, see eventID), so a
// retry of an append the server already holds is answered by the
// server's own idempotency check, also after a restart. A key reused for
// another stream or version is refused from an index of the latest keys
// (Config.DedupWindow).
//
// Checkpoints are the events of their own stream (Config.CheckpointStream),
// one per tree size, outside the prefix so they are not part of the log.
//
// # Positions
//
// The ledger needs dense positions 1, 2, 3, ... (position P is Merkle leaf
// P-1); $all positions are byte offsets with gaps, shared with every other
// stream on the server. Writing a dense number into each event at append
// time would need the next number before the write, which concurrent
// appenders (or replicas) cannot know without a lock of their own. So the
// number is derived instead: position P is the P-th event of $all, in
// $all's commit order, whose stream starts with StreamPrefix. $all's order
// is fixed once written and the same on every node of a cluster, so every
// process computes the same numbering with nothing stored and nothing to
// agree on; an append learns its position by reading $all up to the
// commit position the server returned.
//
// Open reads $all once from the start to build the index (16 bytes per
// event, in memory); later reads continue from where it ends. The client
// cannot filter a read of $all on the server, so system events and other
// applications' events are read and skipped; Follow's wake-ups come from a
// subscription to $all filtered on the prefix by the server.
//
// The price: an event deleted from a ledger stream in EventStoreDB (a
// stream deletion followed by a scavenge, which the ledger never does)
// shifts every later position. That is tampering, and it is caught: the
// signed checkpoints no longer match (ledger serve refuses to start,
// ledger verify names the first position that differs), and a running
// store reports the $all event it finds where its index has another.
//
// # Server setup
//
// The ledger's user needs read access to $all (by default only admins and
// operations have it) and write access to its streams. Nothing on the
// server may write streams under StreamPrefix. Durability is the
// server's: a cluster of three nodes acknowledges a write once a majority
// has it on disk.
package esdb
