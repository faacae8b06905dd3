package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// TestStartChecksTheLargestCheckpoint: with several `ledger serve`
// replicas on one NATS cluster, any replica may sign a checkpoint, and one
// whose follower lags signs a smaller size after another signed a larger.
// The store does not keep that one (checkpoints are stored in increasing
// size), so the start-up check compares the log with the largest: a log
// truncated below it is not served. (Found by an audit: the smaller was
// stored last, the truncated log was served, and the next checkpoint was
// a second, different signed root for the same size.)
func TestStartChecksTheLargestCheckpoint(t *testing.T) {
	// Control: without the lagging replica's checkpoint, the start-up
	// check refuses the truncated log (the control returns early, passing).
	t.Run("control", func(t *testing.T) { auditLatestCheckpoint(t, false) })
	t.Run("lagging-replica", func(t *testing.T) { auditLatestCheckpoint(t, true) })
}

func auditLatestCheckpoint(t *testing.T, lagging bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, base, admin, n := markedLog(t, ctx, 3)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	// A lagging replica (same key, same origin) stores its checkpoint of
	// size n-1 after the checkpoint of size n.
	skey, err := os.ReadFile(filepath.Join(base, "checkpoint.key"))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := events.NewCheckpointSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		t.Fatal(err)
	}
	if !lagging {
		goto truncate
	}
	{
		closeFn, st, err := openDataDirReadOnly(ctx, base)
		if err != nil {
			t.Fatal(err)
		}
		var tree events.Tree
		st.ReadLog(ctx, 1, func(r events.Record) error { tree.Append(events.LeafHash(r.Raw)); return nil })
		root, _ := tree.Root(n - 1)
		note, err := signer.Sign(events.Checkpoint{Origin: signer.Name(), Size: n - 1, Root: root})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.PutCheckpoint(ctx, n-1, note); err != nil {
			t.Fatal(err)
		}
		closeFn()
	}
truncate:
	if code, out, errOut := runCLI(t, "verify", "--data", base); code != 0 {
		t.Fatalf("sanity: the log with both checkpoints verifies: exit %d\n%s\n%s", code, out, errOut)
	}

	// The last event (position n) is lost: a block cut short.
	truncateAt(t, base, "marker-03")
	// JetStream's stream state is rebuilt from the blocks, as after a
	// crash that lost the tail of a block: the log now ends at n-1.
	idx, _ := filepath.Glob(filepath.Join(base, "nats", "jetstream", "*", "streams", "LEDGER", "msgs", "index.db"))
	for _, f := range idx {
		os.Remove(f)
	}
	code, out, errOut := runCLI(t, "verify", "--data", base)
	if code != 1 {
		t.Fatalf("sanity: verify notices the truncation: exit %d\n%s\n%s", code, out, errOut)
	}

	cfg := DefaultServeConfig()
	cfg.Data, cfg.HTTP, cfg.LogLevel = base, "127.0.0.1:0", "error"
	cfg.CheckpointInterval = 50 * time.Millisecond
	m2 := NewMain(cfg, &bytes.Buffer{})
	err = m2.Run(ctx)
	defer m2.Close()
	var ie *events.IntegrityError
	if errors.As(err, &ie) {
		t.Logf("start-up check: %v", err)
		return // the start-up check did its job
	}
	if !lagging {
		t.Fatalf("control: serve started on the truncated log: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Errorf("serve started on a log of %d events although a signed checkpoint covers %d", m2.Ledger.Size(), n)
	// A new write takes position n again, and the ledger signs size n anew.
	admin = api.NewClient(m2.HTTPServer.URL(), admin.Token)
	if _, err := admin.Append(ctx, "units", "52", api.EventRequest{Type: events.UnitRenamed,
		Data: json.RawMessage(`{"name":"Tỉnh Bình Định other","effective_on":"2000-02-01"}`)}, api.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	settle(t, ctx, m2)
	_, served, _ := m2.Ledger.LatestCheckpoint()
	var stored []byte
	m2.Store.Checkpoints(ctx, func(size uint64, note []byte) error {
		if size == n {
			stored = note
		}
		return nil
	})
	if !bytes.Equal(served, stored) {
		t.Errorf("two different checkpoints of size %d signed by the ledger's key: stored\n%s\nserved now by GET /v1/log/checkpoint\n%s", n, stored, served)
	}
}

// markedLog starts serve on a new data folder and records a province
// renamed n times ("marker-01".."marker-NN", for alterRecord to find),
// settled: applied and covered by a checkpoint. It returns the running
// server, its folder, an admin client and the log's size.
func markedLog(t *testing.T, ctx context.Context, n int) (*Main, string, *api.Client, uint64) {
	t.Helper()
	base := t.TempDir()
	m := MustRunMain(t, base, nil)
	admin := api.NewClient(m.HTTPServer.URL(), adminToken(t, base))
	if _, err := admin.Create(ctx, "units", api.EventRequest{ID: "52", Type: events.UnitRegistered,
		Data: json.RawMessage(`{"name":"Tỉnh Bình Định","level":"PROVINCE","valid_from":"1989-07-01"}`)}, api.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, err := admin.Append(ctx, "units", "52", api.EventRequest{Type: events.UnitRenamed,
			Data: json.RawMessage(fmt.Sprintf(`{"name":"Tỉnh Bình Định marker-%02d","effective_on":"2000-01-%02d"}`, i, i))}, api.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	return m, base, admin, settle(t, ctx, m)
}
