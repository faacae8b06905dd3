package jetstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/mttq-vn/ledger/events"
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

// TestSnapshotCompressed: a snapshot is stored compressed (S2) and read
// back as saved; one stored uncompressed, as snapshots were before, is
// still read as it is.
func TestSnapshotCompressed(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	sn := n.store.Snapshots("TEST_SNAP_S2")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Repetitive, like the views' field names and texts: about 4 MiB.
	var want []byte
	for i := 0; len(want) < 4<<20; i++ {
		want = fmt.Appendf(want, "kn-%d\x00Ủy ban nhân dân xã tiếp thu kiến nghị số %d của Mặt trận\x00", i, i%97)
	}
	if err := sn.SaveSnapshot(ctx, bytes.NewReader(want)); err != nil {
		t.Fatal(err)
	}
	obs, err := n.store.js.ObjectStore(ctx, "TEST_SNAP_S2")
	if err != nil {
		t.Fatal(err)
	}
	info, err := obs.GetInfo(ctx, "views")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size*3 > uint64(len(want)) {
		t.Errorf("stored %d bytes for a snapshot of %d: not compressed", info.Size, len(want))
	}
	if got := mustReadSnapshot(t, sn); !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes, other than the %d saved", len(got), len(want))
	}

	// Compressed as it was encoded (events.SnapshotSpool): the same.
	sp := events.NewSnapshotSpool(sn)
	if _, err := sp.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := sp.Save(ctx); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	if info, err := obs.GetInfo(ctx, "views"); err != nil || info.Size*3 > uint64(len(want)) {
		t.Errorf("stored %+v (%v) for a snapshot of %d compressed as it was encoded", info, err, len(want))
	}
	if got := mustReadSnapshot(t, sn); !bytes.Equal(got, want) {
		t.Fatalf("compressed as encoded: read back %d bytes, other than the %d saved", len(got), len(want))
	}

	// Stored as it is (a snapshot saved by an earlier version).
	old := []byte("an uncompressed snapshot \xff\x06 of an earlier version")
	if _, err := obs.PutBytes(ctx, "views", old); err != nil {
		t.Fatal(err)
	}
	if got := mustReadSnapshot(t, sn); !bytes.Equal(got, old) {
		t.Fatalf("read back %q, want %q", got, old)
	}

	// A reader that fails fails the save, and the last snapshot stays.
	failing := io.MultiReader(bytes.NewReader(want[:1<<20]), iotest.ErrReader(errors.New("disk gone")))
	if err := sn.SaveSnapshot(ctx, failing); err == nil || !strings.Contains(err.Error(), "disk gone") {
		t.Fatalf("saving from a failing reader: got %v, want its error", err)
	}
	if got := mustReadSnapshot(t, sn); !bytes.Equal(got, old) {
		t.Fatalf("after a failed save: read back %q, want the last snapshot %q", got, old)
	}
}

// TestS2Magic: the prefix LoadSnapshot recognises is what the S2 writer
// writes first.
func TestS2Magic(t *testing.T) {
	var b bytes.Buffer
	w := s2.NewWriter(&b)
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte(s2Magic)) {
		t.Fatalf("an S2 stream starts with %q, not s2Magic %q", b.Bytes()[:min(b.Len(), 10)], s2Magic)
	}
}

func mustReadSnapshot(t *testing.T, sn *Snapshots) []byte {
	t.Helper()
	rc, err := sn.LoadSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSnapshotFromFiles: with Files set, a snapshot is read from the block
// files (the server gives only its description), byte for byte what the
// server gives; files that do not hold the whole object, or hold another,
// are refused and the server is read instead.
func TestSnapshotFromFiles(t *testing.T) {
	dir := t.TempDir()
	n := MustStartNode(t, dir, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sn := n.store.Snapshots("TEST_SNAP_FILES")
	// Incompressible, so that it takes many chunks; saved twice, so that
	// the files also hold the chunks of the object replaced.
	rng := rand.New(rand.NewPCG(1, 2))
	want := make([]byte, 1<<20)
	for i := range want {
		want[i] = byte(rng.Uint32())
	}
	for _, b := range [][]byte{bytes.Repeat([]byte("x"), 1<<20), want} {
		if err := sn.SaveSnapshot(ctx, bytes.NewReader(b)); err != nil {
			t.Fatal(err)
		}
	}
	obs, err := n.store.js.ObjectStore(ctx, "TEST_SNAP_FILES")
	if err != nil {
		t.Fatal(err)
	}
	info, err := obs.GetInfo(ctx, "views")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := obs.GetBytes(ctx, "views")
	if err != nil {
		t.Fatal(err)
	}
	if info.Chunks < 10 {
		t.Fatalf("the snapshot took %d chunks; the test wants many", info.Chunks)
	}
	files := &FileLog{StoreDir: dir}
	readObject := func(info *natsjs.ObjectInfo) ([]byte, error) {
		t.Helper()
		rc, err := files.Object(ctx, info)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	if got, err := readObject(info); err != nil || !bytes.Equal(got, stored) {
		t.Fatalf("Object: %d bytes (%v), want the %d the server stores", len(got), err, len(stored))
	}

	// Files that do not hold the whole object (behind the server), hold
	// another object, or another content: refused before any of it is
	// read (a reader may stop before the end, where the digest would
	// otherwise be checked).
	short, other, changed := *info, *info, *info
	short.Chunks, short.Size = info.Chunks+1, info.Size+1
	other.NUID = "NOTANOBJECT"
	sum := sha256.Sum256([]byte("another content"))
	changed.Digest = "SHA-256=" + base64.URLEncoding.EncodeToString(sum[:])
	for name, info := range map[string]*natsjs.ObjectInfo{"short": &short, "other": &other, "changed": &changed} {
		if rc, err := files.Object(ctx, info); err == nil {
			rc.Close()
			t.Errorf("%s: Object gave a reader", name)
		}
	}

	// LoadSnapshot reads through Files, and through the server when Files
	// fails.
	counting := &countingObjects{r: files}
	sn.Files = counting
	if got := mustReadSnapshot(t, sn); !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes through the files, other than the %d saved", len(got), len(want))
	}
	if counting.read != 1 {
		t.Fatalf("LoadSnapshot read %d objects through Files, want 1", counting.read)
	}
	sn.Files = &FileLog{StoreDir: t.TempDir()} // no streams there
	if got := mustReadSnapshot(t, sn); !bytes.Equal(got, want) {
		t.Fatalf("read back %d bytes through the server, other than the %d saved", len(got), len(want))
	}
}

// countingObjects counts the objects its reader opened.
type countingObjects struct {
	r    ObjectReader
	read int
}

func (c *countingObjects) Object(ctx context.Context, info *natsjs.ObjectInfo) (io.ReadCloser, error) {
	rc, err := c.r.Object(ctx, info)
	if err == nil {
		c.read++
	}
	return rc, err
}
