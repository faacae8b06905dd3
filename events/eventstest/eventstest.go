// Package eventstest is the written specification of events.Store: a
// conformance suite that every adapter (inmem, jetstream, esdb) runs from a
// short test of its own.
package eventstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// Factory opens stores for the suite.
type Factory struct {
	// Open returns a new, empty store and registers its cleanup with t.
	Open func(t *testing.T) events.Store
	// Reopen closes s and opens the same data again, as a restart would.
	// Nil for a store without durable state: the restart cases then skip
	// and say so.
	Reopen func(t *testing.T, s events.Store) events.Store
}

// TestStore runs the conformance suite against stores from f.
func TestStore(t *testing.T, f Factory) {
	cases := []struct {
		name string
		fn   func(t *testing.T, f Factory)
	}{
		{"AppendLoad", testAppendLoad},
		{"Positions", testPositions},
		{"WrongExpectedVersion", testWrongExpectedVersion},
		{"ConcurrentAppendsOneWinner", testConcurrentOneWinner},
		{"ConcurrentAppendsManyStreams", testConcurrentManyStreams},
		{"ReadLogOrderedResumable", testReadLogResumable},
		{"Follow", testFollow},
		{"Idempotency", testIdempotency},
		{"IdempotencyAfterRestart", testIdempotencyAfterRestart},
		{"CancelledContext", testCancelled},
		{"Checkpoints", testCheckpoints},
		{"Persistence", testPersistence},
		{"InvalidStream", testInvalidStream},
		{"LargeEvent", testLargeEvent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, f) })
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// pendingSeq makes event IDs unique: concurrent writers can read the same
// clock value, and two appends with one ID are one append retried.
var pendingSeq atomic.Uint64

// pending returns an event with recognisable bytes and a unique ID.
func pending(stream string, version uint64, key string) events.Pending {
	id := fmt.Sprintf("ev-%s-%d-%d-%d", stream, version, time.Now().UnixNano(), pendingSeq.Add(1))
	raw := fmt.Sprintf(`{"id":%q,"stream":%q,"version":%d,"note":"sự kiện thử"}`, id, stream, version)
	return events.Pending{ID: id, Key: key, Raw: []byte(raw)}
}

// MustAppend appends or fails the test.
func MustAppend(tb testing.TB, s events.Store, stream string, expected uint64, e events.Pending) events.Appended {
	tb.Helper()
	a, err := s.Append(context.Background(), stream, expected, e)
	if err != nil {
		tb.Fatalf("Append(%s, %d): %v", stream, expected, err)
	}
	return a
}

// MustReadAll reads the whole log or fails the test.
func MustReadAll(tb testing.TB, s events.Store) []events.Record {
	tb.Helper()
	var out []events.Record
	if err := s.ReadLog(context.Background(), 1, func(r events.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		tb.Fatalf("ReadLog: %v", err)
	}
	return out
}

func testAppendLoad(t *testing.T, f Factory) {
	s := f.Open(t)
	c := ctx(t)
	var want []events.Pending
	for v := uint64(0); v < 3; v++ {
		p := pending("supervision/a1", v+1, "")
		want = append(want, p)
		a := MustAppend(t, s, "supervision/a1", v, p)
		if a.Version != v+1 || a.Duplicate || a.Stream != "supervision/a1" {
			t.Fatalf("append %d: got %+v", v, a)
		}
		MustAppend(t, s, "recommendation/b1", v, pending("recommendation/b1", v+1, ""))
	}
	recs, err := s.Load(c, "supervision/a1")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("Load: got %d records, want 3", len(recs))
	}
	for i, r := range recs {
		if r.Version != uint64(i+1) || r.Stream != "supervision/a1" || r.ID != want[i].ID || !bytes.Equal(r.Raw, want[i].Raw) {
			t.Errorf("record %d: got %+v, want version %d raw %s", i, r, i+1, want[i].Raw)
		}
		if i > 0 && r.Position <= recs[i-1].Position {
			t.Errorf("positions not ascending: %d after %d", r.Position, recs[i-1].Position)
		}
	}
	if v, err := s.Version(c, "supervision/a1"); err != nil || v != 3 {
		t.Errorf("Version: got %d, %v; want 3", v, err)
	}
	if v, err := s.Version(c, "supervision/missing"); err != nil || v != 0 {
		t.Errorf("Version(missing): got %d, %v; want 0", v, err)
	}
	if recs, err := s.Load(c, "supervision/missing"); err != nil || len(recs) != 0 {
		t.Errorf("Load(missing): got %d records, %v; want none", len(recs), err)
	}
}

func testPositions(t *testing.T, f Factory) {
	s := f.Open(t)
	c := ctx(t)
	if h, err := s.Head(c); err != nil || h != 0 {
		t.Fatalf("Head of empty log: got %d, %v", h, err)
	}
	var raws [][]byte
	for i := 0; i < 10; i++ {
		stream := fmt.Sprintf("petition/p%d", i%3)
		v, _ := s.Version(c, stream)
		p := pending(stream, v+1, "")
		a := MustAppend(t, s, stream, v, p)
		if a.Position != uint64(i+1) {
			t.Fatalf("append %d: position %d, want %d", i, a.Position, i+1)
		}
		raws = append(raws, p.Raw)
	}
	if h, err := s.Head(c); err != nil || h != 10 {
		t.Fatalf("Head: got %d, %v; want 10", h, err)
	}
	for i, raw := range raws {
		r, err := s.Get(c, uint64(i+1))
		if err != nil || !bytes.Equal(r.Raw, raw) || r.Position != uint64(i+1) {
			t.Errorf("Get(%d): got %+v, %v", i+1, r, err)
		}
	}
	for _, pos := range []uint64{0, 11, 1 << 40} {
		if _, err := s.Get(c, pos); !errors.Is(err, events.ErrNotFound) {
			t.Errorf("Get(%d): got %v, want ErrNotFound", pos, err)
		}
	}
}

func testWrongExpectedVersion(t *testing.T, f Factory) {
	s := f.Open(t)
	c := ctx(t)
	MustAppend(t, s, "critique/c1", 0, pending("critique/c1", 1, ""))
	MustAppend(t, s, "critique/c1", 1, pending("critique/c1", 2, ""))
	for _, tc := range []struct {
		stream            string
		expected, current uint64
	}{
		{"critique/c1", 5, 2},
		{"critique/c1", 0, 2},
		{"critique/c1", 1, 2},
		{"critique/new", 1, 0},
	} {
		_, err := s.Append(c, tc.stream, tc.expected, pending(tc.stream, tc.expected+1, ""))
		if !errors.Is(err, events.ErrConcurrency) {
			t.Errorf("%s expected %d: got %v, want ErrConcurrency", tc.stream, tc.expected, err)
			continue
		}
		var vc *events.VersionConflict
		if !errors.As(err, &vc) || vc.Current != tc.current {
			t.Errorf("%s expected %d: got %v, want a VersionConflict with current %d", tc.stream, tc.expected, err, tc.current)
		}
		if code := events.ErrorCode(err); code != events.EConflict {
			t.Errorf("ErrorCode: got %q, want conflict", code)
		}
	}
	if h, _ := s.Head(c); h != 2 {
		t.Errorf("refused appends wrote something: head %d, want 2", h)
	}
}

func testConcurrentOneWinner(t *testing.T, f Factory) {
	s := f.Open(t)
	c := ctx(t)
	const writers = 8
	for round := uint64(0); round < 10; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Append(c, "recommendation/race", round, pending("recommendation/race", round+1, ""))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, events.ErrConcurrency):
					conflicts++
				default:
					t.Errorf("round %d: unexpected error %v", round, err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != writers-1 {
			t.Fatalf("round %d: %d winners and %d conflicts, want 1 and %d", round, wins, conflicts, writers-1)
		}
	}
	if v, _ := s.Version(c, "recommendation/race"); v != 10 {
		t.Errorf("version: got %d, want 10", v)
	}
}

func testConcurrentManyStreams(t *testing.T, f Factory) {
	s := f.Open(t)
	c := ctx(t)
	const writers, each = 16, 40
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("supervision/w%d", w)
			for v := uint64(0); v < each; v++ {
				if _, err := s.Append(c, stream, v, pending(stream, v+1, "")); err != nil {
					t.Errorf("%s v%d: %v", stream, v, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	recs := MustReadAll(t, s)
	if len(recs) != writers*each {
		t.Fatalf("ReadLog: %d records, want %d", len(recs), writers*each)
	}
	last := map[string]uint64{}
	for i, r := range recs {
		if r.Position != uint64(i+1) {
			t.Fatalf("record %d has position %d", i, r.Position)
		}
		if r.Version != last[r.Stream]+1 {
			t.Fatalf("%s: version %d after %d", r.Stream, r.Version, last[r.Stream])
		}
		last[r.Stream] = r.Version
	}
}

var errStop = errors.New("stop here")

func testReadLogResumable(t *testing.T, f Factory) {
	s := f.Open(t)
	c := ctx(t)
	for i := 0; i < 25; i++ {
		stream := fmt.Sprintf("plan/x%d", i%4)
		v, _ := s.Version(c, stream)
		MustAppend(t, s, stream, v, pending(stream, v+1, ""))
	}
	var got []uint64
	from := uint64(1)
	for rounds := 0; rounds < 20; rounds++ {
		n := 0
		err := s.ReadLog(c, from, func(r events.Record) error {
			if n == 7 {
				return errStop
			}
			n++
			got = append(got, r.Position)
			return nil
		})
		if err == nil {
			break
		}
		if !errors.Is(err, errStop) {
			t.Fatalf("ReadLog: %v", err)
		}
		from = got[len(got)-1] + 1
	}
	if len(got) != 25 {
		t.Fatalf("resumed reads delivered %d records, want 25: %v", len(got), got)
	}
	for i, p := range got {
		if p != uint64(i+1) {
			t.Fatalf("delivery %d: position %d", i, p)
		}
	}
	n := 0
	if err := s.ReadLog(c, 26, func(events.Record) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("ReadLog past the head: %d records, %v", n, err)
	}
	var tail []uint64
	if err := s.ReadLog(c, 20, func(r events.Record) error { tail = append(tail, r.Position); return nil }); err != nil || len(tail) != 6 || tail[0] != 20 {
		t.Errorf("ReadLog(20): got %v, %v", tail, err)
	}
}

func testFollow(t *testing.T, f Factory) {
	s := f.Open(t)
	MustAppend(t, s, "unit/u1", 0, pending("unit/u1", 1, ""))
	c, cancel := context.WithCancel(ctx(t))
	got := make(chan events.Record, 10)
	done := make(chan error, 1)
	go func() {
		done <- s.Follow(c, 1, func(r events.Record) error { got <- r; return nil })
	}()
	for i := uint64(1); i <= 3; i++ {
		if i > 1 {
			MustAppend(t, s, "unit/u1", i-1, pending("unit/u1", i, ""))
		}
		select {
		case r := <-got:
			if r.Position != i {
				t.Fatalf("Follow delivered position %d, want %d", r.Position, i)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("Follow did not deliver position %d within 10 s", i)
		}
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Follow returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return within 10 s of cancellation")
	}
}

func testIdempotency(t *testing.T, f Factory) {
	s := f.Open(t)
	c := ctx(t)
	first := pending("recommendation/r1", 1, "key-1")
	a1 := MustAppend(t, s, "recommendation/r1", 0, first)
	retry := pending("recommendation/r1", 1, "key-1") // new ID and bytes, same key
	a2, err := s.Append(c, "recommendation/r1", 0, retry)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if !a2.Duplicate || a2.Position != a1.Position || a2.Version != 1 || !bytes.Equal(a2.Raw, first.Raw) || a2.ID != first.ID {
		t.Fatalf("retry: got %+v, want the first record marked duplicate", a2)
	}
	// The stream moves on; a late retry of the first append still finds it.
	MustAppend(t, s, "recommendation/r1", 1, pending("recommendation/r1", 2, "key-2"))
	a3, err := s.Append(c, "recommendation/r1", 0, pending("recommendation/r1", 1, "key-1"))
	if err != nil || !a3.Duplicate || a3.Position != a1.Position {
		t.Fatalf("late retry: got %+v, %v; want duplicate of position %d", a3, err, a1.Position)
	}
	// The same key for a different append is refused.
	_, err = s.Append(c, "recommendation/r2", 0, pending("recommendation/r2", 1, "key-1"))
	if events.ErrorCode(err) != events.EConflict {
		t.Fatalf("key reused for another stream: got %v, want code conflict", err)
	}
	// Without a key, the event ID de-duplicates.
	p := pending("recommendation/r3", 1, "")
	MustAppend(t, s, "recommendation/r3", 0, p)
	a4, err := s.Append(c, "recommendation/r3", 0, p)
	if err != nil || !a4.Duplicate {
		t.Fatalf("same event ID again: got %+v, %v; want duplicate", a4, err)
	}
	if h, _ := s.Head(c); h != 3 {
		t.Fatalf("retries wrote events: head %d, want 3", h)
	}
}

func testIdempotencyAfterRestart(t *testing.T, f Factory) {
	if f.Reopen == nil {
		t.Skip("this store keeps nothing across a restart; the durable adapters run this case")
	}
	s := f.Open(t)
	first := pending("recommendation/r1", 1, "key-restart")
	a1 := MustAppend(t, s, "recommendation/r1", 0, first)
	MustAppend(t, s, "recommendation/r1", 1, pending("recommendation/r1", 2, "key-other"))
	s = f.Reopen(t, s)
	c := ctx(t)
	a2, err := s.Append(c, "recommendation/r1", 0, pending("recommendation/r1", 1, "key-restart"))
	if err != nil || !a2.Duplicate || a2.Position != a1.Position || !bytes.Equal(a2.Raw, first.Raw) {
		t.Fatalf("retry after restart: got %+v, %v; want duplicate of position %d", a2, err, a1.Position)
	}
	a3, err := s.Append(c, "recommendation/r1", 1, pending("recommendation/r1", 2, "key-other"))
	if err != nil || !a3.Duplicate || a3.Position != 2 {
		t.Fatalf("retry of the last append after restart: got %+v, %v", a3, err)
	}
	if h, _ := s.Head(c); h != 2 {
		t.Fatalf("retries after restart wrote events: head %d, want 2", h)
	}
}

func testCancelled(t *testing.T, f Factory) {
	s := f.Open(t)
	MustAppend(t, s, "unit/u1", 0, pending("unit/u1", 1, ""))
	c, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if _, err := s.Append(c, "unit/u1", 1, pending("unit/u1", 2, "")); !errors.Is(err, context.Canceled) {
		t.Errorf("Append: got %v, want context.Canceled", err)
	}
	if _, err := s.Load(c, "unit/u1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Load: got %v, want context.Canceled", err)
	}
	if err := s.ReadLog(c, 1, func(events.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadLog: got %v, want context.Canceled", err)
	}
	if err := s.Follow(c, 1, func(events.Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Follow: got %v, want context.Canceled", err)
	}
	if _, err := s.Get(c, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Get: got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled calls took %v", d)
	}
	if v, _ := s.Version(context.Background(), "unit/u1"); v != 1 {
		t.Errorf("a cancelled append wrote: version %d, want 1", v)
	}
}

func testCheckpoints(t *testing.T, f Factory) {
	s := f.Open(t)
	c := ctx(t)
	if _, _, err := s.LatestCheckpoint(c); !errors.Is(err, events.ErrNotFound) {
		t.Fatalf("LatestCheckpoint of none: got %v, want ErrNotFound", err)
	}
	for _, size := range []uint64{3, 5, 5} {
		if err := s.PutCheckpoint(c, size, []byte(fmt.Sprintf("note %d\n", size))); err != nil {
			t.Fatalf("PutCheckpoint(%d): %v", size, err)
		}
	}
	var sizes []uint64
	if err := s.Checkpoints(c, func(size uint64, note []byte) error {
		if string(note) != fmt.Sprintf("note %d\n", size) {
			t.Errorf("checkpoint %d: note %q", size, note)
		}
		sizes = append(sizes, size)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[3 5]" {
		t.Errorf("Checkpoints: sizes %v, want [3 5]", sizes)
	}
	size, note, err := s.LatestCheckpoint(c)
	if err != nil || size != 5 || string(note) != "note 5\n" {
		t.Errorf("LatestCheckpoint: got %d %q %v", size, note, err)
	}
	if f.Reopen != nil {
		s = f.Reopen(t, s)
		size, _, err = s.LatestCheckpoint(ctx(t))
		if err != nil || size != 5 {
			t.Errorf("LatestCheckpoint after restart: got %d %v", size, err)
		}
	}
}

func testPersistence(t *testing.T, f Factory) {
	if f.Reopen == nil {
		t.Skip("this store keeps nothing across a restart; the durable adapters run this case")
	}
	s := f.Open(t)
	for i := 0; i < 12; i++ {
		stream := fmt.Sprintf("contribution/k%d", i%5)
		v, _ := s.Version(context.Background(), stream)
		MustAppend(t, s, stream, v, pending(stream, v+1, fmt.Sprint("k", i)))
	}
	before := MustReadAll(t, s)
	s = f.Reopen(t, s)
	after := MustReadAll(t, s)
	if len(after) != len(before) {
		t.Fatalf("after restart: %d records, want %d", len(after), len(before))
	}
	for i := range before {
		b, a := before[i], after[i]
		if a.Position != b.Position || a.Stream != b.Stream || a.Version != b.Version || a.ID != b.ID || a.Key != b.Key || !bytes.Equal(a.Raw, b.Raw) {
			t.Fatalf("record %d changed across restart:\n got %+v\nwant %+v", i, a, b)
		}
	}
	a := MustAppend(t, s, "contribution/k0", 3, pending("contribution/k0", 4, ""))
	if a.Position != 13 {
		t.Errorf("append after restart: position %d, want 13", a.Position)
	}
}

func testInvalidStream(t *testing.T, f Factory) {
	s := f.Open(t)
	for _, stream := range []string{"", "nokind", "supervision/", "supervision/a.b", "Supervision/x", "supervision/a b", "supervision/*", "supervision/>"} {
		_, err := s.Append(ctx(t), stream, 0, pending("x/y", 1, ""))
		if events.ErrorCode(err) != events.EInvalid {
			t.Errorf("Append(%q): got %v, want code invalid", stream, err)
		}
	}
}

func testLargeEvent(t *testing.T, f Factory) {
	s := f.Open(t)
	p := pending("critique/big", 1, "")
	p.Raw = append(p.Raw[:len(p.Raw)-1], []byte(`,"pad":"`+string(bytes.Repeat([]byte("ạ"), 20000))+`"}`)...)
	a := MustAppend(t, s, "critique/big", 0, p)
	r, err := s.Get(ctx(t), a.Position)
	if err != nil || !bytes.Equal(r.Raw, p.Raw) {
		t.Fatalf("large event did not round-trip: %v", err)
	}
}
