// Package jetstream is an events.Store on NATS JetStream, and a helper that
// embeds a NATS server with JetStream in the ledger's own process.
//
// # Mapping
//
// One stream (Config.StreamName, "LEDGER") holds every event; each
// aggregate has its own subject, "<prefix>.<kind>.<id>", so stream
// "supervision/0190abc" is "ledger.ev.supervision.0190abc". The global
// position of an event is its stream sequence, and positions are dense:
// readers report a missing one as an error. An event is one message: its
// data are the envelope's exact bytes, its headers are Nats-Msg-Id (the
// dedup key), Ledger-Id, Ledger-Key (if any) and Ledger-Version. The
// version check of Append is JetStream's expected last subject sequence;
// the Store caches each stream's (version, sequence) so that an append
// costs one publish. With Config.GroupCommit, appends to different
// streams that wait at the same time are published together as one
// JetStream atomic batch, each message keeping its own version check and
// dedup key (see Config.GroupCommit). Checkpoints live in a stream of their own
// (Config.CheckpointStream), one subject per tree size.
//
// # Guarantees and their limits
//
// Open creates the streams with file storage, DenyDelete and DenyPurge and
// no limits, and refuses existing streams that lack any of these. The
// server itself refuses to lift DenyDelete or DenyPurge later, but it lets
// an administrator delete the whole stream or add limits after Open. And
// the server's per-record checksums are keyed by the stream name alone:
// they catch accidents, not forgery. On a damaged block file the server
// hides a corrupt record (while its stream info still counts it), or,
// when it rebuilds its index, truncates the block at that record, silently.
// So tampering is detected by the ledger's own hash chain and signed
// checkpoints (compare the latest checkpoint's size with Head, read every
// position), not by JetStream.
//
// Durability depends on the server: with SyncAlways every acknowledged
// append is on disk; otherwise up to SyncInterval of acknowledged appends
// can be lost by a power failure (see ServerConfig).
package jetstream
