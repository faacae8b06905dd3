// Package api serves the ledger over HTTP/JSON.
//
// Writes go through events.Ledger, which decides every command against the
// current state it keeps in memory; the log endpoints serve stored events
// byte for byte with Merkle proofs and signed checkpoints, so that anyone
// holding the verifier key can check the history. Errors are JSON bodies
// {"error":{"code","message","field"}} with the codes of package events.
//
// Client is the Go client of the same API, used by the ledger's own CLI.
package api
