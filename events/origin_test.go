package events_test

import (
	"context"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/mttq-vn/ledger/events"
)

// notesSource is a log with no events and the given checkpoint notes.
type notesSource struct{ notes [][]byte }

func (notesSource) ReadLog(context.Context, uint64, func(events.Record) error) error { return nil }
func (s notesSource) Checkpoints(_ context.Context, fn func(uint64, []byte) error) error {
	for _, n := range s.notes {
		if err := fn(0, n); err != nil {
			return err
		}
	}
	return nil
}

// TestVerifyChecksOrigin: a checkpoint signed by the right key whose
// origin line names another log is not one of the ledger's (Ledger.Open and
// CheckpointSigner.Sign insist that the origin is the key's name), also
// when Verify is given no origin, as `ledger verify` calls it. (Found by an
// audit: it was accepted.)
func TestVerifyChecksOrigin(t *testing.T) {
	skey, vkey, err := events.GenerateCheckpointKey("so-cai-giam-sat.local/ledger")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	body := events.Checkpoint{Origin: "another-log.example/ledger", Size: 0, Root: [32]byte{0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55}}.Body()
	msg, err := note.Sign(&note.Note{Text: string(body)}, signer)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := events.Verify(context.Background(), notesSource{notes: [][]byte{msg}}, events.VerifyOptions{VerifierKey: vkey})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Errorf("verify (as the CLI calls it) accepts a checkpoint with origin %q signed by key %q: %+v", "another-log.example/ledger", "so-cai-giam-sat.local/ledger", rep)
	}
}
