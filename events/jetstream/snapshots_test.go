package jetstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
)

// TestSnapshotLargeUpload saves a snapshot of 1,600 chunks (more than the
// pacing lets be in flight) and reads it back after the client's default
// timeout has passed mid-read: a read without a deadline must not be cut
// by it.
func TestSnapshotLargeUpload(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	js, err := natsjs.New(n.nc, natsjs.WithDefaultTimeout(300*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	sn := &Snapshots{js: js, bucket: "TEST_SNAP", name: "views", repl: 1}
	want := make([]byte, 1600*snapshotChunk-123)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range want {
		want[i] = byte(rng.Uint32())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 2 { // the second replaces the first
		if err := sn.SaveSnapshot(ctx, bytes.NewReader(want)); err != nil {
			t.Fatal(err)
		}
	}
	rc, err := sn.LoadSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	first := make([]byte, 1000)
	if _, err := io.ReadFull(rc, first); err != nil {
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond) // twice the client's default timeout
	rest, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading the rest of the snapshot after a pause: %v", err)
	}
	if got := append(first, rest...); !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, other than the %d saved", len(got), len(want))
	}
}

// TestPacedReader checks that the reader Put reads from never lets more
// than snapshotInFlight chunks be unstored, that it goes on as the stream
// catches up, that a failed look is no progress rather than the end, and
// that it gives up when nothing is stored.
func TestPacedReader(t *testing.T) {
	data := strings.NewReader(strings.Repeat("x", 5000*16))
	var stored uint64 = 1000 // the stream's last sequence
	p := &pacedReader{ctx: context.Background(), r: data, base: 1000, patience: time.Hour}
	looks := 0
	p.stored = func() (uint64, error) {
		if looks++; looks%5 == 0 {
			return 0, errors.New("timeout") // a busy server's late answer
		}
		if inFlight := p.sent - (stored - 1000); inFlight > snapshotInFlight {
			t.Fatalf("%d chunks in flight", inFlight)
		}
		stored += 100 // the server stores some chunks between two looks
		return stored, nil
	}
	buf := make([]byte, 16)
	for {
		if _, err := p.Read(buf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if p.sent != 5000 {
		t.Fatalf("%d chunks read, want 5000", p.sent)
	}

	stuck := &pacedReader{ctx: context.Background(), r: strings.NewReader(strings.Repeat("x", 5000*16)), base: 1000, patience: 50 * time.Millisecond,
		stored: func() (uint64, error) { return 1000, nil }}
	var err error
	for err == nil {
		_, err = stuck.Read(buf)
	}
	if !strings.Contains(err.Error(), "stored no chunk") || stuck.sent != snapshotInFlight {
		t.Fatalf("a server that stores nothing: %v after %d chunks", err, stuck.sent)
	}
}
