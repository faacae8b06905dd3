package esdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/eventstest"
)

// skipMessage is what TestStoreServer says when no server is named.
const skipMessage = `LEDGER_ESDB_URL is not set, so the conformance suite does not run against a real EventStoreDB/KurrentDB ` +
	`(no server can be installed on the CI machines; TestStoreFake runs it against an in-process fake instead, which is NOT a real server). ` +
	`To run it, start a single insecure node and name it:
    docker run --rm -d --name kurrentdb -p 2113:2113 docker.kurrent.io/kurrent-latest/kurrentdb:latest --insecure
    (an EventStoreDB 20.x-24.x image started with --insecure does as well)
    LEDGER_ESDB_URL='esdb://127.0.0.1:2113?tls=false' go test -race -count=1 -run TestStoreServer ./events/esdb/
Each run writes streams under a fresh prefix (tNNNN-...), so it needs no empty server and leaves its streams behind.`

// TestStoreServer runs the conformance suite against the EventStoreDB or
// KurrentDB server named by LEDGER_ESDB_URL.
func TestStoreServer(t *testing.T) {
	url := os.Getenv("LEDGER_ESDB_URL")
	if url == "" {
		t.Skip(skipMessage)
	}
	runConformance(t, func(cfg Config) Config { cfg.URL = url; return cfg })
}

// TestStoreFake runs the conformance suite against the fake server of
// fake_test.go, through the real client. It is no evidence about a real
// server; it checks the adapter's own logic.
func TestStoreFake(t *testing.T) {
	f := startFake(t)
	// Foreign and system events around the ledger's: the log must skip them.
	f.write("$stats-127.0.0.1:2113", "$statsCollected", []byte(`{}`))
	f.write("other-app-orders/1", "OrderPlaced", []byte(`{"n":1}`))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
				f.write("$$$stats", "$metadata", []byte(`{}`))
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done })
	runConformance(t, func(cfg Config) Config { cfg.URL = f.url(); return cfg })
}

func runConformance(t *testing.T, configure func(Config) Config) {
	configs := map[events.Store]Config{}
	open := func(t *testing.T, cfg Config) events.Store {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		s, err := Open(ctx, cfg)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		configs[s] = cfg
		return s
	}
	eventstest.TestStore(t, eventstest.Factory{
		Open: func(t *testing.T) events.Store {
			p := freshPrefix()
			return open(t, configure(Config{StreamPrefix: p + "-", CheckpointStream: p + "_checkpoints",
				PollInterval: 100 * time.Millisecond, Logger: testLogger(t)}))
		},
		Reopen: func(t *testing.T, s events.Store) events.Store {
			cfg := configs[s]
			s.Close()
			return open(t, cfg)
		},
	})
}

// freshPrefix returns a stream prefix no earlier run used, so that every
// store of a run starts with an empty log on a shared server.
func freshPrefix() string {
	var b [6]byte
	rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:])
}

// testLogger discards the store's log lines: errors reach the tests as
// return values, and a background reader may still log after a test ends.
func testLogger(testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
