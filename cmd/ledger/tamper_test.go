package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/highwayhash"
	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// TestTamperedStoreFiles alters events in the JetStream store files behind
// the ledger's back, with the server stopped, and checks that both
// `ledger verify --data` and the start-up check of `ledger serve` refuse
// the store and name the altered position:
//   - Flip: one byte of an event changed. JetStream's per-record checksum
//     notices and hides the record; the gap is what we see.
//   - Forge: the event changed and JetStream's checksum recomputed (its key
//     is derived from the stream name, no secret). JetStream serves the
//     altered bytes; the hash chain and the signed tree catch it.
//   - Truncate: the block file cut in the middle of an event.
func TestTamperedStoreFiles(t *testing.T) {
	base := t.TempDir()
	m := MustRunMain(t, base, nil)
	admin := api.NewClient(m.HTTPServer.URL(), adminToken(t, base))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mustCreate := func(collection string, req api.EventRequest) events.Result {
		t.Helper()
		res, err := admin.Create(ctx, collection, req, api.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	mustCreate("units", api.EventRequest{ID: "52", Type: events.UnitRegistered, Data: json.RawMessage(`{"name":"Tỉnh Bình Định","level":"PROVINCE","valid_from":"1989-07-01"}`)})
	var marked events.Result
	for i := 1; i <= 8; i++ {
		res, err := admin.Append(ctx, "units", "52", api.EventRequest{Type: events.UnitRenamed,
			Data: json.RawMessage(fmt.Sprintf(`{"name":"Tỉnh Bình Định marker-%02d","effective_on":"2000-01-%02d"}`, i, i))}, api.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			marked = res
		}
	}
	mustCreate("units", api.EventRequest{ID: "64", Type: events.UnitRegistered, Data: json.RawMessage(`{"name":"Tỉnh Gia Lai","level":"PROVINCE","valid_from":"2025-07-01"}`)})
	size := settle(t, ctx, m)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("position %d", marked.Position)

	for _, tc := range []struct {
		name    string
		alter   func(t *testing.T, dir string)
		wantPos uint64
	}{
		{"Flip", func(t *testing.T, dir string) { alterRecord(t, dir, "marker-04", false) }, marked.Position},
		{"Forge", func(t *testing.T, dir string) { alterRecord(t, dir, "marker-04", true) }, marked.Position},
		{"Truncate", func(t *testing.T, dir string) { truncateAt(t, dir, "marker-04") }, marked.Position},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			copyDir(t, base, dir)
			tc.alter(t, dir)

			code, out, errOut := runCLI(t, "verify", "--data", dir)
			if code != 1 {
				t.Fatalf("verify --data on an altered store: exit %d, want 1\n%s\n%s", code, out, errOut)
			}
			if !strings.Contains(errOut, fmt.Sprintf("first difference at position %d", tc.wantPos)) {
				t.Errorf("verify does not name %s:\n%s\n%s", want, out, errOut)
			}

			cfg := DefaultServeConfig()
			cfg.Data, cfg.HTTP, cfg.LogLevel = dir, "127.0.0.1:0", "error"
			m := NewMain(cfg, &bytes.Buffer{})
			err := m.Run(ctx)
			m.Close()
			var ie *events.IntegrityError
			if !errors.As(err, &ie) {
				t.Fatalf("serve on an altered store: got %v, want an integrity error", err)
			}
			if ie.Position != tc.wantPos {
				t.Errorf("serve names position %d (%s), want %d", ie.Position, ie.Reason, tc.wantPos)
			}
		})
	}
	t.Run("Untouched", func(t *testing.T) {
		code, out, errOut := runCLI(t, "verify", "--data", base)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("events:       %d", size)) {
			t.Fatalf("verify on the untouched copy: exit %d\n%s\n%s", code, out, errOut)
		}
	})
}

// blkFiles returns the message block files of the LEDGER stream.
func blkFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "nats", "jetstream", "*", "streams", "LEDGER", "msgs", "*.blk"))
	if len(m) == 0 {
		t.Fatalf("no block files under %s", dir)
	}
	return m
}

// alterRecord changes the event holding marker (same length: "marker" to
// "MARKER"); with forge, it also recomputes JetStream's record checksum,
// HighwayHash-64 keyed by SHA-256 of "<stream>-<block index>".
func alterRecord(t *testing.T, dir, marker string, forge bool) {
	t.Helper()
	for _, blk := range blkFiles(t, dir) {
		b, err := os.ReadFile(blk)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(marker)) {
			continue
		}
		index := strings.TrimSuffix(filepath.Base(blk), ".blk")
		key := sha256.Sum256([]byte("LEDGER-" + index))
		hh, err := highwayhash.NewDigest64(key[:])
		if err != nil {
			t.Fatal(err)
		}
		le := binary.LittleEndian
		for off := 0; off+22 <= len(b); {
			rl := le.Uint32(b[off:])
			hasHdr := rl&(1<<31) != 0
			rl &^= 1 << 31
			rec := b[off : off+int(rl)]
			if j := bytes.Index(rec, []byte(marker)); j >= 0 {
				copy(rec[j:], strings.ToUpper(marker))
				if forge {
					slen := int(le.Uint16(rec[20:]))
					data := rec[22:]
					hh.Reset()
					hh.Write(rec[4:20])
					hh.Write(data[:slen])
					if hasHdr {
						hh.Write(data[slen+4 : len(data)-8])
					} else {
						hh.Write(data[slen : len(data)-8])
					}
					copy(data[len(data)-8:], hh.Sum(nil))
				}
				if err := os.WriteFile(blk, b, 0o640); err != nil {
					t.Fatal(err)
				}
				return
			}
			off += int(rl)
		}
	}
	t.Fatalf("no record holds %q", marker)
}

// truncateAt cuts the block file in the middle of the event holding marker.
func truncateAt(t *testing.T, dir, marker string) {
	t.Helper()
	for _, blk := range blkFiles(t, dir) {
		b, _ := os.ReadFile(blk)
		if j := bytes.Index(b, []byte(marker)); j >= 0 {
			if err := os.Truncate(blk, int64(j)); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no block holds %q", marker)
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}
