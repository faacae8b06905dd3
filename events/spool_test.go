package events_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"

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
