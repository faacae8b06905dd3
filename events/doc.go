// Package events is the domain of the ledger: the event vocabulary of MTTQ
// supervision and social-critique work, the lifecycles that decide which event
// may follow which, the Store contract every backend implements, and the
// integrity layer (hash chains, the RFC 6962 Merkle log and signed
// checkpoints).
//
// # Envelope
//
// Every event is stored as one JSON Envelope, byte for byte as written. Its
// SHA-256 is its hash and its Merkle leaf; the next event of the same stream
// names that hash in prev_hash.
//
// # Errors
//
// Functions return *Error values with stable codes (see ErrorCode); adapters
// translate their backend's errors into the sentinels ErrConcurrency,
// ErrNotFound and ErrStreamExists. This package never logs.
package events
