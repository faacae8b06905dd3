package jetstream

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// TestFileLogReadsWhatTheServerReads writes enough events for several
// block files, stops the server, and checks that FileLog reads exactly the
// records and checkpoints the Store reads through a server.
func TestFileLogReadsWhatTheServerReads(t *testing.T) {
	dir := t.TempDir()
	n := MustStartNode(t, dir, Config{})
	// 10,000 appends, each flushed to disk: a generous bound, as a slow or
	// shared disk takes several times the usual 3-4 s.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pad := strings.Repeat("Biên bản giám sát việc thực hiện chính sách. ", 20)
	const streams, each = 100, 100 // about 10 MB: more than one 8 MB block
	var wg sync.WaitGroup
	for s := 0; s < streams; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("supervision/s%d", s)
			for v := uint64(0); v < each; v++ {
				p := events.Pending{ID: fmt.Sprintf("e-%d-%d", s, v), Raw: fmt.Appendf(nil, `{"v":%d,"pad":%q}`, v, pad)}
				if v%3 == 0 {
					p.Key = "k-" + p.ID
				}
				if _, err := n.store.Append(ctx, stream, v, p); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, size := range []uint64{10, 5000, streams * each} {
		if err := n.store.PutCheckpoint(ctx, size, []byte(fmt.Sprintf("note %d\n", size))); err != nil {
			t.Fatal(err)
		}
	}
	want := readAll(t, n.store)
	var wantCps []string
	n.store.Checkpoints(ctx, func(size uint64, note []byte) error {
		wantCps = append(wantCps, fmt.Sprint(size, string(note)))
		return nil
	})
	n.stop()

	blocks, _, err := (&FileLog{StoreDir: dir}).blockFiles("LEDGER")
	if err != nil || len(blocks) < 2 {
		t.Fatalf("want several block files, got %v (%v)", blocks, err)
	}
	fl := &FileLog{StoreDir: dir}
	got := readAll(t, fl)
	if len(got) != len(want) {
		t.Fatalf("FileLog read %d records, the server %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Position != w.Position || g.Stream != w.Stream || g.Version != w.Version || g.ID != w.ID || g.Key != w.Key || !bytes.Equal(g.Raw, w.Raw) {
			t.Fatalf("record %d: FileLog %+v, server %+v", i, g, w)
		}
	}
	// Leaves hashes what the server stores, from any position on.
	for _, from := range []uint64{1, 4321} {
		next := from
		if err := fl.Leaves(ctx, from, func(pos uint64, leaf [32]byte) error {
			if pos != next || leaf != events.LeafHash(want[pos-1].Raw) {
				return fmt.Errorf("leaf at %d (want position %d) is not the hash of the server's record", pos, next)
			}
			next++
			return nil
		}); err != nil || next != uint64(len(want))+1 {
			t.Fatalf("Leaves from %d: %v (ended before %d of %d)", from, err, next, len(want))
		}
	}
	var gotCps []string
	if err := fl.Checkpoints(ctx, func(size uint64, note []byte) error {
		gotCps = append(gotCps, fmt.Sprint(size, string(note)))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(gotCps) != fmt.Sprint(wantCps) {
		t.Fatalf("checkpoints: FileLog %q, server %q", gotCps, wantCps)
	}

	// Truncation first: the altered record below comes before the cut.
	t.Run("TruncatedBlock", func(t *testing.T) {
		last := blocks[len(blocks)-1]
		fi, _ := os.Stat(last)
		if err := os.Truncate(last, fi.Size()-100); err != nil {
			t.Fatal(err)
		}
		err := (&FileLog{StoreDir: dir}).scan(ctx, "LEDGER", false, func(fileRecord) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "ends inside a record") {
			t.Fatalf("scan of a truncated block: %v", err)
		}
	})
	t.Run("AlteredRecord", func(t *testing.T) {
		alterFirst(t, blocks[0], []byte(`{"v":7,`), []byte(`{"v":8,`))
		pos := uint64(0)
		err := fl.ReadLog(ctx, 1, func(r events.Record) error { pos = r.Position; return nil })
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("position %d:", pos+1)) || !strings.Contains(err.Error(), "checksum") {
			t.Fatalf("ReadLog after an altered record: %v (last delivered %d)", err, pos)
		}
		// Leaves does not check JetStream's checksums: the altered
		// record's leaf differs, which the signed root a start checks
		// the leaves against does not let through.
		altered := pos + 1
		// (The scan ends with an error at the block cut above, past the
		// altered record.)
		var changed []uint64
		err = fl.Leaves(ctx, 1, func(p uint64, leaf [32]byte) error {
			if p <= uint64(len(want)) && leaf != events.LeafHash(want[p-1].Raw) {
				changed = append(changed, p)
			}
			return nil
		})
		if !slices.Equal(changed, []uint64{altered}) {
			t.Fatalf("Leaves after the record at %d was altered: leaves differ at %v (%v)", altered, changed, err)
		}
	})
	t.Run("NoLedger", func(t *testing.T) {
		if err := (&FileLog{StoreDir: t.TempDir()}).ReadLog(ctx, 1, func(events.Record) error { return nil }); err == nil {
			t.Fatal("ReadLog of an empty folder succeeded")
		}
	})
}

func readAll(t *testing.T, src events.LogSource) []events.Record {
	t.Helper()
	var out []events.Record
	if err := src.ReadLog(context.Background(), 1, func(r events.Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func alterFirst(t *testing.T, file string, old, new []byte) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, old)
	if i < 0 {
		t.Fatalf("%s does not hold %q", filepath.Base(file), old)
	}
	copy(b[i:], new)
	if err := os.WriteFile(file, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

// TestUnreachableServer checks that a server out of reach is reported as
// unavailable (try again), not as an internal error.
func TestUnreachableServer(t *testing.T) {
	n := MustStartNode(t, t.TempDir(), Config{})
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := n.store.Append(ctx, "unit/u1", 0, events.Pending{ID: "e1", Raw: []byte(`{}`)})
	if got := events.ErrorCode(err); got != events.EUnavailable {
		t.Fatalf("Append with the server gone: code %q (%v), want unavailable", got, err)
	}
	// The abandoned append settles when the connection closes, so the
	// store's Close does not wait for its acknowledgement.
	defer n.nc.Close()
	if _, err := n.store.Head(ctx); events.ErrorCode(err) != events.EUnavailable {
		t.Fatalf("Head with the server gone: %v, want unavailable", err)
	}
}

// TestReadFileInto reads files of several sizes into one reused buffer:
// each read gives exactly that file's bytes, whatever the buffer held.
func TestReadFileInto(t *testing.T) {
	dir := t.TempDir()
	var buf []byte
	for i, size := range []int{10, 5000, 3, 0, 70000, 70000} {
		want := bytes.Repeat([]byte{byte('a' + i)}, size)
		name := filepath.Join(dir, fmt.Sprint(i))
		if err := os.WriteFile(name, want, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := readFileInto(buf, name)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("file %d (%d bytes): read %d bytes, %v", i, size, len(got), err)
		}
		buf = got
	}
	if _, err := readFileInto(buf, filepath.Join(dir, "missing")); err == nil {
		t.Fatal("a missing file read without an error")
	}
}
