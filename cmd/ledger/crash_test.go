package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// TestCrashSafety kills the server with SIGKILL in the middle of concurrent
// writes, restarts it, and checks that every acknowledged write is there
// exactly once, that retries with the same idempotency keys add nothing,
// and that verify passes. It runs with both durability settings: kill -9
// loses nothing in either (the lazy one risks only power loss).
func TestCrashSafety(t *testing.T) {
	for _, sync := range []string{"always", "lazy"} {
		t.Run("sync="+sync, func(t *testing.T) { testCrashSafety(t, sync) })
	}
}

type crashWrite struct {
	key, id string
	acked   bool
	res     events.Result
}

func testCrashSafety(t *testing.T, syncMode string) {
	dir := t.TempDir()
	p := startProcess(t, dir, "--sync", syncMode)
	admin := api.NewClient(p.url, adminToken(t, dir))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	unit := api.EventRequest{ID: "crash-unit", Type: events.UnitRegistered, Data: json.RawMessage(`{"name":"Phường Thử","level":"COMMUNE","valid_from":"2025-07-01"}`)}
	if _, err := admin.Create(ctx, "units", unit, api.WriteOptions{}); err != nil {
		t.Fatal(err)
	}

	// Enough writers that group commit (under --sync always) forms atomic
	// batches while the server is killed.
	const writers = 48
	var mu sync.Mutex
	var writes []*crashWrite
	acked := make(chan struct{}, 100000)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := api.NewClient(p.url, admin.Token)
			c.HTTPClient.Timeout = 10 * time.Second
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				cw := &crashWrite{key: fmt.Sprintf("crash-%d-%d", w, i), id: fmt.Sprintf("p-%d-%d", w, i)}
				mu.Lock()
				writes = append(writes, cw)
				mu.Unlock()
				res, err := c.Create(ctx, "parties", partyRequest(cw.id), api.WriteOptions{IdempotencyKey: cw.key})
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				cw.acked, cw.res = true, res
				mu.Unlock()
				acked <- struct{}{}
			}
		}()
	}
	// Kill once enough writes were acknowledged, while the rest are in
	// flight.
	for n := 0; n < 400; n++ {
		select {
		case <-acked:
		case <-time.After(30 * time.Second):
			t.Fatalf("only %d writes were acknowledged within 30 s:\n%s", n, p.out.String())
		}
	}
	p.kill(t)
	close(stop)
	wg.Wait()

	mu.Lock()
	defer mu.Unlock()
	nAcked := 0
	for _, w := range writes {
		if w.acked {
			nAcked++
		}
	}
	t.Logf("%d writes attempted, %d acknowledged before SIGKILL", len(writes), nAcked)

	p2 := startProcess(t, dir, "--sync", syncMode)
	admin = api.NewClient(p2.url, admin.Token)
	inspector, err := admin.CreateToken(ctx, api.TokenRequest{Name: "crash test inspector", Role: events.RoleInspector})
	if err != nil {
		t.Fatal(err)
	}
	// Every acknowledged write is there, byte for byte.
	for _, w := range writes {
		if !w.acked {
			continue
		}
		raw, err := admin.Event(ctx, w.res.Position)
		if err != nil {
			t.Fatalf("acknowledged %s at position %d is missing after the crash: %v", w.id, w.res.Position, err)
		}
		if got := events.HashOf(raw).String(); got != w.res.Hash {
			t.Fatalf("position %d: hash %s after the crash, %s when acknowledged", w.res.Position, got, w.res.Hash)
		}
	}
	// Exactly once: count the creations of each party in the whole log.
	counts := map[string]int{}
	reader := api.NewClient(p2.url, inspector.Token)
	if err := reader.ReadLog(ctx, 1, func(r events.Record) error {
		env, err := events.UnmarshalEnvelope(r.Raw)
		if err == nil && env.Type == events.PartyRegistered {
			counts[env.Stream]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, w := range writes {
		n := counts["party/"+w.id]
		if (w.acked && n != 1) || n > 1 {
			t.Fatalf("%s (acknowledged %v) is in the log %d times", w.id, w.acked, n)
		}
	}
	// Retry every request with its key: acknowledged ones replay their
	// first result and write nothing; the rest are written now, once.
	before := logSize(t, reader)
	var fresh int
	for _, w := range writes {
		res, err := admin.Create(ctx, "parties", partyRequest(w.id), api.WriteOptions{IdempotencyKey: w.key})
		if err != nil {
			t.Fatalf("retry of %s: %v", w.id, err)
		}
		switch {
		case w.acked && (!res.Replayed || res.Position != w.res.Position || res.Hash != w.res.Hash):
			t.Fatalf("retry of acknowledged %s: got %+v, want a replay of %+v", w.id, res, w.res)
		case counts["party/"+w.id] == 1 && !res.Replayed:
			t.Fatalf("retry of %s, which reached the log before the crash, wrote again: %+v", w.id, res)
		case !res.Replayed:
			fresh++
		}
	}
	if after := logSize(t, reader); after != before+uint64(fresh) {
		t.Fatalf("retries grew the log by %d events, want %d (only the writes lost in flight)", after-before, fresh)
	}
	p2.stop(t)
	code, out, errOut := runCLI(t, "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "result:       OK") {
		t.Fatalf("verify after the crash: exit %d\n%s\n%s", code, out, errOut)
	}
}

func partyRequest(id string) api.EventRequest {
	return api.EventRequest{ID: id, Type: events.PartyRegistered, Unit: "crash-unit",
		Data: json.RawMessage(`{"name":"UBND phường Thử ` + id + `","party_kind":"PEOPLES_COMMITTEE"}`)}
}

// logSize counts the events in the store (not the follower's view, which
// may lag behind the last acknowledged write).
func logSize(tb testing.TB, c *api.Client) uint64 {
	tb.Helper()
	var n uint64
	if err := c.ReadLog(context.Background(), 1, func(events.Record) error { n++; return nil }); err != nil {
		tb.Fatalf("read the log: %v", err)
	}
	return n
}
