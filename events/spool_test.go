package events_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/mttq-vn/ledger/events"
)

// TestSpool writes pieces of odd sizes across block boundaries and reads
// them back whole, by Read with odd buffers and by WriteTo.
func TestSpool(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var want bytes.Buffer
	var s events.Spool
	for want.Len() < 3<<20+12345 {
		p := make([]byte, rng.IntN(300_000))
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		if n, err := s.Write(p); n != len(p) || err != nil {
			t.Fatalf("write: %d, %v", n, err)
		}
		want.Write(p)
	}
	if s.Len() != int64(want.Len()) {
		t.Fatalf("Len %d, want %d", s.Len(), want.Len())
	}
	var got []byte
	for {
		p := make([]byte, 1+rng.IntN(700_000))
		n, err := s.Read(p)
		got = append(got, p[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil || n == 0 {
			t.Fatalf("read: %d, %v", n, err)
		}
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("Read gives other bytes than were written")
	}
	s.Rewind()
	var again bytes.Buffer
	if n, err := io.Copy(&again, &s); err != nil || n != int64(want.Len()) || !bytes.Equal(again.Bytes(), want.Bytes()) {
		t.Fatalf("WriteTo after Rewind: %d bytes, %v", n, err)
	}
	if n, err := s.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("read past the end: %d, %v", n, err)
	}
}

// plainStore and s2Store keep what a SnapshotSpool saves to them.
type plainStore struct{ got []byte }

func (s *plainStore) LoadSnapshot(context.Context) (io.ReadCloser, error) {
	return nil, events.ErrNotFound
}

func (s *plainStore) SaveSnapshot(_ context.Context, r io.Reader) (err error) {
	s.got, err = io.ReadAll(r)
	return err
}

type s2Store struct {
	plainStore
	compressed []byte
}

func (s *s2Store) SaveS2Snapshot(_ context.Context, r io.Reader) (err error) {
	s.compressed, err = io.ReadAll(r)
	return err
}

// TestSnapshotSpool: a spool compresses as it is written for a store that
// takes S2, hands a plain store what was written, and closes unsaved.
func TestSnapshotSpool(t *testing.T) {
	ctx := context.Background()
	var want []byte
	for i := 0; len(want) < 3<<20; i++ {
		want = fmt.Appendf(want, "kn-%d\x00Ủy ban nhân dân xã tiếp thu kiến nghị số %d\x00", i, i%97)
	}
	write := func(sp *events.SnapshotSpool) {
		for p := want; len(p) > 0; {
			k := min(len(p), 100_000)
			if n, err := sp.Write(p[:k]); n != k || err != nil {
				t.Fatalf("write: %d, %v", n, err)
			}
			p = p[k:]
		}
	}

	var zs s2Store
	sp := events.NewSnapshotSpool(&zs)
	write(sp)
	if err := sp.Save(ctx); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	if zs.got != nil || len(zs.compressed)*3 > len(want) {
		t.Fatalf("an S2 store was given %d plain and %d compressed bytes for %d", len(zs.got), len(zs.compressed), len(want))
	}
	got, err := io.ReadAll(s2.NewReader(bytes.NewReader(zs.compressed)))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("decompressed %d bytes (%v), other than the %d written", len(got), err, len(want))
	}

	var ps plainStore
	sp = events.NewSnapshotSpool(&ps)
	write(sp)
	if err := sp.Save(ctx); err != nil {
		t.Fatal(err)
	}
	sp.Close()
	if !bytes.Equal(ps.got, want) {
		t.Fatalf("a plain store was given %d bytes, other than the %d written", len(ps.got), len(want))
	}

	// Saved once only; nothing written after.
	if err := sp.Save(ctx); err == nil {
		t.Error("a spool was saved twice")
	}
	if _, err := sp.Write([]byte("more")); err == nil {
		t.Error("a saved spool took more bytes")
	}

	// Not saved (the encoding failed): closed, nothing is saved, and the
	// compression's goroutines end.
	before := runtime.NumGoroutine()
	zs = s2Store{}
	sp = events.NewSnapshotSpool(&zs)
	write(sp)
	sp.Close()
	sp.Close()
	if zs.got != nil || zs.compressed != nil {
		t.Fatal("a spool closed unsaved saved something")
	}
	if err := sp.Save(ctx); err == nil {
		t.Error("a closed spool was saved")
	}
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines 10 s after a spool was closed, %d before it", runtime.NumGoroutine(), before)
		}
	}
}
