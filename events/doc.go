// Package events is the domain of the ledger: the event vocabulary of MTTQ
// supervision and social-critique work, the lifecycles that decide which event
// may follow which, the Store contract every backend implements, and the
// integrity layer (hash chains, the RFC 6962 Merkle log and signed
// checkpoints).
//
// # Envelope
//
// Every event is stored as one JSON Envelope, byte for byte as written. The
// SHA-256 of those bytes is the event's hash, which the next event of the
// same stream names in prev_hash; the bytes themselves are the event's leaf
// in the RFC 6962 Merkle log, whose leaf hash is SHA-256(0x00 || bytes)
// (LeafHash).
//
// # Errors
//
// Functions return *Error values with stable codes (see ErrorCode); adapters
// translate their backend's errors into the sentinels ErrConcurrency,
// ErrNotFound and ErrStreamExists. This package never logs.
package events
