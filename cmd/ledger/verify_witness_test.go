package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/jetstream"
)

// deleteStream deletes a whole JetStream stream of a stopped data folder,
// as anyone with NATS access (no signing key) can: DenyDelete and
// DenyPurge protect messages, not the stream itself.
func deleteStream(t *testing.T, data, name string) {
	t.Helper()
	srv, err := jetstream.StartServer(jetstream.ServerConfig{StoreDir: natsDir(data), ServerName: "tamper"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Shutdown(); srv.WaitForShutdown() }()
	nc, err := jetstream.ConnectInProcess(srv, "tamper")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := natsjs.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, name); err != nil {
		t.Fatalf("delete stream %s: %v", name, err)
	}
}

// TestVerifyWithoutCheckpoints: an event is forged (with JetStream's
// checksum recomputed, as in TestTamperedStoreFiles) and the checkpoint
// stream deleted, as anyone with NATS access can. `ledger verify --data
// --key-file PINNED` does not call that log OK: nothing signed vouches for
// it; with a checkpoint saved before (--checkpoint) it names the forgery.
// The genuine log with that checkpoint verifies. (Found by an audit: it
// said OK.)
func TestVerifyWithoutCheckpoints(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, base, _, _ := markedLog(t, ctx, 3)
	// What an inspector keeps: the key and the latest checkpoint.
	_, note, err := m.Ledger.LatestCheckpoint()
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	kept := t.TempDir()
	pinned, saved := filepath.Join(kept, "trusted.pub"), filepath.Join(kept, "checkpoint.txt")
	pub, err := os.ReadFile(filepath.Join(base, "checkpoint.pub"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(pinned, pub, 0o600)
	os.WriteFile(saved, note, 0o600)
	if code, out, errOut := runCLI(t, "verify", "--data", base, "--key-file", pinned, "--checkpoint", saved); code != 0 || !strings.Contains(out, "1 kept outside the ledger") {
		t.Fatalf("the genuine log with its saved checkpoint: exit %d\n%s\n%s", code, out, errOut)
	}
	// A file that is no checkpoint of this key is refused as input, before
	// the log is read (it was reported as a log failing at position 0).
	garbage := filepath.Join(kept, "garbage.txt")
	os.WriteFile(garbage, []byte("not a checkpoint\n"), 0o600)
	if code, out, errOut := runCLI(t, "verify", "--data", base, "--key-file", pinned, "--checkpoint", garbage); code != 1 || !strings.Contains(errOut, "--checkpoint "+garbage) || strings.Contains(out, "result") {
		t.Errorf("verify with a garbage --checkpoint: exit %d\n%s\n%s", code, out, errOut)
	}

	// marker-03 is the last event of its stream: no successor names its
	// hash, so only the signed tree can notice it changed.
	alterRecord(t, base, "marker-03", true)
	if code, out, errOut := runCLI(t, "verify", "--data", base, "--key-file", pinned); code != 1 {
		t.Fatalf("the forged event with checkpoints present: exit %d\n%s\n%s", code, out, errOut)
	}
	deleteStream(t, base, "LEDGER_CHECKPOINTS")
	code, out, errOut := runCLI(t, "verify", "--data", base, "--via", "server", "--key-file", pinned)
	if code != 1 || !strings.Contains(out, "no signed checkpoint covers") {
		t.Errorf("a forged log whose checkpoints were deleted: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "verify", "--data", base, "--via", "server", "--key-file", pinned, "--checkpoint", saved)
	if code != 1 || !strings.Contains(out, "do not match the signed checkpoint") {
		t.Errorf("the same with the saved checkpoint: exit %d\n%s\n%s", code, out, errOut)
	}
	// serve does not start on it either (it would sign the forged history
	// anew), unless told to.
	cfg := DefaultServeConfig()
	cfg.Data, cfg.HTTP, cfg.LogLevel = base, "127.0.0.1:0", "error"
	m2 := NewMain(cfg, &bytes.Buffer{})
	err = m2.Run(ctx)
	m2.Close()
	var ie *events.IntegrityError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "--accept-unsigned-log") {
		t.Errorf("serve on the log without checkpoints: %v", err)
	}
	cfg.AcceptUnsigned = true
	m3 := NewMain(cfg, &bytes.Buffer{})
	if err := m3.Run(ctx); err != nil {
		t.Errorf("serve --accept-unsigned-log: %v", err)
	}
	m3.Close()
}
