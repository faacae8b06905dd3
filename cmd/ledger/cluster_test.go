package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/jetstream"
)

// startCluster starts a 3-node JetStream cluster on loopback in this
// process and waits (up to 15 s) for its meta leader. It returns the
// client URLs, comma-separated, as --nats-url takes them.
func startCluster(tb testing.TB) string {
	tb.Helper()
	lc, err := jetstream.NewLocalCluster("ledger-serve-test", tb.TempDir(), 3, false)
	if err != nil {
		tb.Fatal(err)
	}
	srvs := make([]*server.Server, len(lc.Nodes))
	tb.Cleanup(func() {
		for _, s := range srvs {
			if s != nil {
				s.Shutdown()
				s.WaitForShutdown()
			}
		}
	})
	var wg sync.WaitGroup
	errs := make([]error, len(lc.Nodes))
	for i, cfg := range lc.Nodes {
		wg.Go(func() { srvs[i], errs[i] = jetstream.StartClusterNode(cfg) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	nc, err := nats.Connect(lc.URLs(), nats.MaxReconnects(-1))
	if err != nil {
		tb.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := jetstream.WaitClusterReady(ctx, nc, 3); err != nil {
		tb.Fatal(err)
	}
	return lc.URLs()
}

// TestServeReplicasOnCluster runs two `ledger serve` replicas on one 3-node
// cluster (streams with 3 replicas), sharing the checkpoint key as
// --checkpoint-key would: writes through either are read through the other
// (min_position), both serve the same log and the same views, and the
// checkpoints either signs agree with the other's tree.
func TestServeReplicasOnCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster and two replicas")
	}
	urls := startCluster(t)
	keyDir := t.TempDir()
	skey, vkey, err := events.GenerateCheckpointKey("ledger.test/replicas")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(keyDir, "checkpoint.key")
	if err := os.WriteFile(keyFile, []byte(skey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cluster := func(cfg *ServeConfig) {
		cfg.NATSURL, cfg.Replicas, cfg.KeyFile = urls, 3, keyFile
	}
	dirA, dirB := t.TempDir(), t.TempDir()
	a := MustRunMain(t, dirA, cluster)
	b := MustRunMain(t, dirB, cluster) // replays the first replica's admin token
	if _, err := os.Stat(filepath.Join(dirB, "admin.token")); err == nil {
		t.Fatal("the second replica created a second admin token: it did not see the first's")
	}
	if !strings.Contains(a.storeDescription(), "3 replica") {
		t.Fatalf("store: %s", a.storeDescription())
	}
	token := adminToken(t, dirA)
	ca, cb := api.NewClient(a.HTTPServer.URL(), token), api.NewClient(b.HTTPServer.URL(), token)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Writes through both replicas at once, each read through the other.
	var wg sync.WaitGroup
	for r, pair := range [][2]*api.Client{{ca, cb}, {cb, ca}} {
		wg.Go(func() {
			w, rd := pair[0], pair[1]
			for i := range 15 {
				id := fmt.Sprintf("r%d-u%d", r, i)
				res, err := w.Create(ctx, "units", api.EventRequest{ID: id, Type: events.UnitRegistered,
					Data: json.RawMessage(`{"name":"Phường Bình Định","level":"COMMUNE","valid_from":"2011-06-01"}`)}, api.WriteOptions{})
				if err != nil {
					t.Errorf("create %s: %v", id, err)
					return
				}
				var item api.ItemResponse
				if err := rd.Get(ctx, fmt.Sprintf("/v1/units/%s?min_position=%d", id, res.Position), &item); err != nil {
					t.Errorf("read %s through the other replica: %v", id, err)
					return
				}
				if item.LastPosition != res.Position || item.Version != res.Version {
					t.Errorf("%s read through the other replica: position %d version %d, written at %d version %d",
						id, item.LastPosition, item.Version, res.Position, res.Version)
				}
				// What may come next is there too: the other replica's
				// write side is waited for as its views are.
				if len(item.NextTypes) == 0 {
					t.Errorf("%s read through the other replica: no next types", id)
				}
			}
		})
	}
	wg.Wait()
	// Both replicas rename one unit: the second to write catches up on the
	// first's event through the store, and decides again.
	for i, c := range []*api.Client{ca, cb, ca, cb} {
		if _, err := c.Append(ctx, "units", "r0-u0", api.EventRequest{Type: events.UnitRenamed,
			Data: json.RawMessage(fmt.Sprintf(`{"name":"Phường %d","effective_on":"2020-01-01"}`, i))}, api.WriteOptions{}); err != nil {
			t.Fatalf("rename %d: %v", i, err)
		}
	}
	// An idempotent retry through the other replica returns the first
	// answer and writes nothing.
	req := api.EventRequest{ID: "retried", Type: events.UnitRegistered,
		Data: json.RawMessage(`{"name":"Xã Ia Grai","level":"COMMUNE","valid_from":"2011-06-01"}`)}
	first, err := ca.Create(ctx, "units", req, api.WriteOptions{IdempotencyKey: "one-key"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := cb.Create(ctx, "units", req, api.WriteOptions{IdempotencyKey: "one-key"})
	if err != nil || again.Position != first.Position || again.EventID != first.EventID {
		t.Fatalf("retry through the other replica: %+v %v, first %+v", again, err, first)
	}
	if t.Failed() {
		t.FailNow()
	}

	head, err := a.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Both replicas' views and trees reach the head and agree. The write
	// side's state first: an item's open requests and next types come from
	// it, and are left out while it is behind the views (min_position
	// waits for the views only).
	for _, m := range []*Main{a, b} {
		if err := m.Ledger.WaitApplied(ctx, head); err != nil {
			t.Fatal(err)
		}
	}
	var sa, sb api.ItemResponse
	if err := ca.Get(ctx, fmt.Sprintf("/v1/units/r0-u0?min_position=%d", head), &sa); err != nil {
		t.Fatal(err)
	}
	if err := cb.Get(ctx, fmt.Sprintf("/v1/units/r0-u0?min_position=%d", head), &sb); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(sa)
	jb, _ := json.Marshal(sb)
	if !bytes.Equal(ja, jb) || sa.Version != 5 {
		var ma, mb map[string]json.RawMessage
		json.Unmarshal(ja, &ma)
		json.Unmarshal(jb, &mb)
		keys := slices.Collect(maps.Keys(ma))
		for k := range mb {
			if _, ok := ma[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !bytes.Equal(ma[k], mb[k]) {
				t.Errorf("r0-u0 %s: %s through the first replica, %s through the second", k, ma[k], mb[k])
			}
		}
		t.Fatalf("the replicas disagree on r0-u0 (want version 5, got %d)", sa.Version)
	}
	for _, m := range []*Main{a, b} {
		if err := m.Ledger.WaitCheckpoint(ctx, head); err != nil {
			t.Fatal(err)
		}
	}
	rootA, _ := a.Ledger.Tree().Root(head)
	rootB, _ := b.Ledger.Tree().Root(head)
	if rootA != rootB {
		t.Fatalf("the replicas' trees of %d events differ", head)
	}
	for i := uint64(1); i <= head; i++ {
		ea, errA := ca.Event(ctx, i)
		eb, errB := cb.Event(ctx, i)
		if errA != nil || errB != nil || !bytes.Equal(ea, eb) {
			t.Fatalf("event %d differs between the replicas: %v %v\n%s\n%s", i, errA, errB, ea, eb)
		}
	}

	// Checkpoints: each replica signs its own for the head; with the
	// shared key and the same tree the notes are the same bytes (Ed25519
	// is deterministic), and the one stored (whichever replica was first)
	// verifies against both replicas' trees.
	notes := make([][]byte, 2)
	for i, m := range []*Main{a, b} {
		root, _ := m.Ledger.Tree().Root(head)
		if notes[i], err = m.Ledger.Signer.Sign(events.Checkpoint{Origin: m.Ledger.Origin, Size: head, Root: root}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(notes[0], notes[1]) {
		t.Fatalf("the replicas sign different checkpoints for size %d:\n%s\n%s", head, notes[0], notes[1])
	}
	var stored []byte
	a.Store.Checkpoints(ctx, func(size uint64, note []byte) error {
		if size == head {
			stored = note
		}
		return nil
	})
	if !bytes.Equal(stored, notes[0]) {
		t.Fatalf("the stored checkpoint of %d is not what either replica signs:\n%s\n%s", head, stored, notes[0])
	}
	for _, c := range []*api.Client{ca, cb} {
		note, err := c.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := events.OpenCheckpoint(note, vkey, "ledger.test/replicas")
		if err != nil {
			t.Fatal(err)
		}
		if cp.Size < head {
			t.Fatalf("checkpoint of %d, want at least %d", cp.Size, head)
		}
		for _, m := range []*Main{a, b} {
			if root, _ := m.Ledger.Tree().Root(cp.Size); root != cp.Root {
				t.Fatalf("the checkpoint of %d does not match a replica's tree", cp.Size)
			}
		}
	}
	// An outsider's check of each replica, with the verifier key only.
	pub := filepath.Join(keyDir, "checkpoint.pub")
	if err := os.WriteFile(pub, []byte(vkey+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*Main{a, b} {
		code, out, errOut := runCLI(t, "verify", "--url", m.HTTPServer.URL(), "--token-file", filepath.Join(dirA, "admin.token"), "--key-file", pub)
		if code != 0 || !strings.Contains(out, "result:       OK") {
			t.Fatalf("verify --url %s: exit %d\n%s\n%s", m.HTTPServer.URL(), code, out, errOut)
		}
	}
}
