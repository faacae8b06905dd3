package esdb

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	kurrent "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mttq-vn/ledger/events"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestEventDataMapping(t *testing.T) {
	raw := []byte(`{"id":"01J","stream":"recommendation/kn-1","type":"recommendation.issued.v1","note":"Kiến nghị <1>"}`)
	p := events.Pending{ID: "01J", Key: "req-7", Raw: raw}
	d, err := eventData("recommendation/kn-1", 3, p)
	if err != nil {
		t.Fatal(err)
	}
	if d.EventID != eventID("req-7") || d.EventID.Version() != 5 {
		t.Errorf("event ID %s: want the UUIDv5 of the idempotency key", d.EventID)
	}
	if d.EventType != "recommendation.issued.v1" || d.ContentType != kurrent.ContentTypeJson || !bytes.Equal(d.Data, raw) {
		t.Errorf("got type %q content %d data %s", d.EventType, d.ContentType, d.Data)
	}
	var md map[string]any
	if err := json.Unmarshal(d.Metadata, &md); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"ledger_stream": "recommendation/kn-1", "ledger_version": 3.0, "ledger_id": "01J", "ledger_key": "req-7"}
	if fmt.Sprint(md) != fmt.Sprint(want) {
		t.Errorf("metadata %v, want %v", md, want)
	}

	// Without a key the event ID de-duplicates; bytes that are not JSON
	// (or name a system type) are stored as they are, as binary.
	d2, _ := eventData("unit/u1", 1, events.Pending{ID: "ev-1", Raw: []byte("not json")})
	if d2.EventID != eventID("ev-1") || d2.EventType != eventTypeOther || d2.ContentType != kurrent.ContentTypeBinary {
		t.Errorf("got %+v", d2)
	}
	d3, _ := eventData("unit/u1", 1, events.Pending{ID: "ev-1", Raw: []byte(`{"type":"$metadata"}`)})
	if d3.EventType != eventTypeOther {
		t.Errorf("a $ type was kept: %q", d3.EventType)
	}
	if eventID("a") == eventID("b") || eventID("a") != eventID("a") {
		t.Error("event IDs are not a function of the key")
	}
}

func TestExpectedRevision(t *testing.T) {
	if _, ok := expectedRevision(0).(kurrent.NoStream); !ok {
		t.Errorf("version 0: got %#v, want NoStream", expectedRevision(0))
	}
	for v, rev := range map[uint64]uint64{1: 0, 2: 1, 1000: 999} {
		if got := expectedRevision(v); got != kurrent.Revision(rev) {
			t.Errorf("version %d: got %#v, want revision %d", v, got, rev)
		}
		if versionOf(rev) != v {
			t.Errorf("revision %d: version %d, want %d", rev, versionOf(rev), v)
		}
	}
}

func TestRecordOf(t *testing.T) {
	md := func(stream string, version uint64, id string) []byte {
		b, _ := json.Marshal(metadata{Stream: stream, Version: version, ID: id, Key: "k"})
		return b
	}
	ok := &kurrent.RecordedEvent{StreamID: "ledger-plan/p1", EventNumber: 4, Data: []byte(`{"a":1}`), UserMetadata: md("plan/p1", 5, "ev")}
	r, err := recordOf(ok, "ledger-")
	if err != nil || r.Stream != "plan/p1" || r.Version != 5 || r.ID != "ev" || r.Key != "k" || string(r.Raw) != `{"a":1}` || r.Position != 0 {
		t.Fatalf("got %+v, %v", r, err)
	}
	for name, ev := range map[string]*kurrent.RecordedEvent{
		"outside the prefix": {StreamID: "other-plan/p1", UserMetadata: md("plan/p1", 1, "ev")},
		"no metadata":        {StreamID: "ledger-plan/p1"},
		"moved stream":       {StreamID: "ledger-plan/p1", UserMetadata: md("plan/p2", 1, "ev")},
		"renumbered":         {StreamID: "ledger-plan/p1", EventNumber: 1, UserMetadata: md("plan/p1", 1, "ev")},
		"no ID":              {StreamID: "ledger-plan/p1", UserMetadata: md("plan/p1", 1, "")},
	} {
		if _, err := recordOf(ev, "ledger-"); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestCheckpointMapping(t *testing.T) {
	d := checkpointData(0, []byte("note\n"))
	size, note, err := checkpointOf(&kurrent.RecordedEvent{EventType: d.EventType, UserMetadata: d.Metadata, Data: d.Data})
	if err != nil || size != 0 || string(note) != "note\n" {
		t.Fatalf("got %d %q %v", size, note, err)
	}
	if checkpointID(5) == checkpointID(6) {
		t.Error("checkpoint IDs collide")
	}
	if _, _, err := checkpointOf(&kurrent.RecordedEvent{EventType: "x", UserMetadata: d.Metadata}); err == nil {
		t.Error("a foreign event type was read as a checkpoint")
	}
	if _, _, err := checkpointOf(&kurrent.RecordedEvent{EventType: eventTypeCheckpoint, UserMetadata: []byte(`{}`)}); err == nil {
		t.Error("a checkpoint without a size was read")
	}
}

func TestParseCurrentRevision(t *testing.T) {
	for msg, want := range map[string]struct {
		v  uint64
		ok bool
	}{
		"wrong expected version: expecting '4' but got '6'":          {7, true},
		"wrong expected version: expecting 'no_stream' but got '0'":  {1, true},
		"wrong expected version: expecting '0' but got 'no_stream'":  {0, true},
		"wrong expected version: expecting 'any' but got '18446744'": {18446745, true},
		"wrong expected version":                                     {0, false},
		"wrong expected version: expecting '4' but got '6":           {0, false},
		"wrong expected version: expecting '4' but got '-1'":         {0, false},
	} {
		v, ok := parseCurrentRevision(msg)
		if v != want.v || ok != want.ok {
			t.Errorf("%q: got %d %v, want %d %v", msg, v, ok, want.v, want.ok)
		}
	}
}

// TestWrongExpectedVersionThroughClient checks the translation of the
// client's real refusal (its text is made by the client from the server's
// answer, here the fake's).
func TestWrongExpectedVersionThroughClient(t *testing.T) {
	f := startFake(t)
	s := openFake(t, f, freshPrefix())
	ctx := ctxT(t)
	for v := uint64(0); v < 3; v++ {
		if _, err := s.Append(ctx, "plan/p", v, events.Pending{ID: fmt.Sprint("e", v), Raw: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := s.conn()
	_, err := c.AppendToStream(ctx, s.prefix+"plan/p", kurrent.AppendToStreamOptions{ExpectedRevision: kurrent.Revision(0)},
		kurrent.EventData{EventType: "x", Data: []byte("{}")})
	current, wrong, known := wrongExpectedVersion(err)
	if !wrong || !known || current != 3 {
		t.Fatalf("client error %v: got current %d wrong %v known %v, want 3", err, current, wrong, known)
	}
	_, err = s.Append(ctx, "plan/p", 1, events.Pending{ID: "late", Raw: []byte(`{}`)})
	var vc *events.VersionConflict
	if !errors.As(err, &vc) || vc.Current != 3 || vc.Expected != 1 || events.ErrorCode(err) != events.EConflict {
		t.Fatalf("got %v, want a conflict at version 3", err)
	}
	if _, wrong, _ := wrongExpectedVersion(errors.New("wrong expected version: expecting '0' but got '1'")); wrong {
		t.Error("a plain error was taken for the client's refusal")
	}
}

func TestMissingStream(t *testing.T) {
	f := startFake(t)
	s := openFake(t, f, freshPrefix())
	ctx := ctxT(t)
	if recs, err := s.Load(ctx, "petition/none"); err != nil || recs == nil || len(recs) != 0 {
		t.Errorf("Load: got %v, %v; want an empty slice", recs, err)
	}
	if v, err := s.Version(ctx, "petition/none"); err != nil || v != 0 {
		t.Errorf("Version: got %d, %v", v, err)
	}
	if _, _, err := s.LatestCheckpoint(ctx); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("LatestCheckpoint: got %v", err)
	}
}

// TestUnavailable checks that a server that cannot be reached, is not
// ready or does not answer in time is an error of code unavailable (503,
// try again) that still carries the driver's error.
func TestUnavailable(t *testing.T) {
	f := startFake(t)
	s := openFake(t, f, freshPrefix())
	ctx := ctxT(t)
	check := func(name string, err error) {
		t.Helper()
		var le *events.Error
		var ke *kurrent.Error
		if events.ErrorCode(err) != events.EUnavailable || !errors.Is(err, events.ErrUnavailable) ||
			!errors.As(err, &le) || le.Code != events.EUnavailable || !errors.As(err, &ke) {
			t.Errorf("%s: got %v (code %s), want code unavailable with the driver's error", name, err, events.ErrorCode(err))
		}
		if !strings.Contains(events.ErrorMessage(err), "try again") {
			t.Errorf("%s: message %q", name, events.ErrorMessage(err))
		}
	}
	f.fail(status.Error(codes.Unavailable, "node is not ready"))
	_, err := s.Append(ctx, "unit/u1", 0, events.Pending{ID: "a", Raw: []byte(`{}`)})
	check("catch-up read", err)
	f.fail(status.Error(codes.DeadlineExceeded, "too slow"))
	_, err = s.Version(ctx, "unit/u1")
	check("deadline", err)
	f.fail(status.Error(codes.Unavailable, "leader lost"))
	_, err = s.Load(ctx, "unit/u1")
	check("load", err)

	// The server is still there: the store goes on.
	if _, err := s.Append(ctx, "unit/u1", 0, events.Pending{ID: "a", Raw: []byte(`{}`)}); err != nil {
		t.Fatalf("after the faults: %v", err)
	}

	// Nothing listens: Open fails soon, with code unavailable.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	_, err = Open(ctx, Config{URL: "esdb://" + addr + "?tls=false&maxDiscoverAttempts=2&discoveryInterval=10", Logger: testLogger(t)})
	if events.ErrorCode(err) != events.EUnavailable || !strings.Contains(err.Error(), addr) {
		t.Errorf("Open with no server: got %v (code %s)", err, events.ErrorCode(err))
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Open with no server took %v", d)
	}

	// A caller's own cancellation stays a cancellation.
	c, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Head(c); !errors.Is(err, context.Canceled) {
		t.Errorf("Head with a cancelled context: %v", err)
	}
	if err := translate(ctx, "x", status.Error(codes.PermissionDenied, "no")); events.ErrorCode(err) != events.EInternal {
		t.Errorf("access denied: got code %s", events.ErrorCode(err))
	}
}

// TestDensePositions checks the numbering: foreign streams, system events
// and the checkpoint stream are skipped, two prefixes on one server
// number their logs independently, and a second process (a replica) on
// the same prefix computes the same numbers and follows the first one's
// appends.
func TestDensePositions(t *testing.T) {
	f := startFake(t)
	prefix := freshPrefix()
	a := openFake(t, f, prefix)
	other := openFake(t, f, freshPrefix())
	ctx := ctxT(t)
	var want []events.Record
	for i := range 12 {
		f.write("$stats-node", "$statsCollected", []byte(`{}`))
		f.write(prefix+"x-not-ours", "Foreign", []byte(`{}`)) // another prefix that merely starts alike
		stream := fmt.Sprintf("supervision/s%d", i%3)
		ap, err := a.Append(ctx, stream, uint64(i/3), events.Pending{ID: fmt.Sprint("id", i), Raw: fmt.Appendf(nil, `{"i":%d}`, i)})
		if err != nil {
			t.Fatal(err)
		}
		if ap.Position != uint64(i+1) {
			t.Fatalf("append %d at position %d", i, ap.Position)
		}
		want = append(want, ap.Record)
		if _, err := other.Append(ctx, "unit/u", uint64(i), events.Pending{ID: fmt.Sprint("o", i), Raw: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		if err := a.PutCheckpoint(ctx, uint64(i+1), []byte("note")); err != nil {
			t.Fatal(err)
		}
	}
	if h, _ := other.Head(ctx); h != 12 {
		t.Errorf("the other prefix's head: %d, want 12", h)
	}

	b := openFake(t, f, prefix) // a replica, numbering from scratch
	var got []events.Record
	if err := b.ReadLog(ctx, 1, func(r events.Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the replica numbers the log differently:\n got %v\nwant %v", got, want)
	}
	// The replica follows the first process's appends.
	follow, stop := context.WithCancel(ctx)
	defer stop()
	seen := make(chan events.Record, 4)
	go b.Follow(follow, 13, func(r events.Record) error { seen <- r; return nil })
	ap, err := a.Append(ctx, "critique/c", 0, events.Pending{ID: "late", Raw: []byte(`{"late":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-seen:
		if r.Position != 13 || r.ID != "late" || ap.Position != 13 {
			t.Errorf("followed %+v, appended at %d", r, ap.Position)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the replica did not see the append within 5 s")
	}
	// A cold read of an old position comes from the server, not the cache.
	c := openFakeWith(t, f, prefix, func(cfg *Config) { cfg.TailCache = 1 })
	if r, err := c.Get(ctx, 2); err != nil || fmt.Sprint(r) != fmt.Sprint(want[1]) {
		t.Errorf("Get(2) from the server: got %+v, %v", r, err)
	}
}

// TestReadsFromAPositionEitherWay checks that reading the log does not
// depend on whether a read of $all from a position includes the event at
// that position (EventStoreDB's does; the fake can do both).
func TestReadsFromAPositionEitherWay(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		t.Run(fmt.Sprint("exclusive=", exclusive), func(t *testing.T) {
			f := startFake(t)
			f.after = exclusive
			prefix := freshPrefix()
			a := openFake(t, f, prefix)
			ctx := ctxT(t)
			for i := range 7 {
				f.write("$stats", "$statsCollected", []byte(`{}`))
				if _, err := a.Append(ctx, fmt.Sprintf("plan/p%d", i%2), uint64(i/2), events.Pending{ID: fmt.Sprint(i), Raw: []byte(`{}`)}); err != nil {
					t.Fatal(err)
				}
			}
			b := openFakeWith(t, f, prefix, func(cfg *Config) { cfg.TailCache = 1 })
			var got []uint64
			if err := b.ReadLog(ctx, 3, func(r events.Record) error { got = append(got, r.Position); return nil }); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != "[3 4 5 6 7]" {
				t.Errorf("ReadLog(3): %v", got)
			}
			for _, p := range []uint64{1, 4} {
				if r, err := b.Get(ctx, p); err != nil || r.ID != fmt.Sprint(p-1) {
					t.Errorf("Get(%d): %+v, %v", p, r, err)
				}
			}
		})
	}
}

// TestRetryRecognisedByServer drives the path where the store's own key
// window has forgotten an append and the server's idempotency check
// recognises the retry, answering with or without the original position.
func TestRetryRecognisedByServer(t *testing.T) {
	for _, noPos := range []bool{false, true} {
		t.Run(fmt.Sprint("noPosition=", noPos), func(t *testing.T) {
			f := startFake(t)
			f.noPos = noPos
			s := openFakeWith(t, f, freshPrefix(), func(cfg *Config) { cfg.DedupWindow = 1; cfg.TailCache = 1 })
			ctx := ctxT(t)
			first := events.Pending{ID: "first", Key: "k1", Raw: []byte(`{"n":1}`)}
			a1, err := s.Append(ctx, "plan/p", 0, first)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Append(ctx, "plan/p", 1, events.Pending{ID: "second", Key: "k2", Raw: []byte(`{"n":2}`)}); err != nil {
				t.Fatal(err)
			}
			if _, ok := s.ix.lookupID(eventID("k1")); ok {
				t.Fatal("the window still holds k1")
			}
			a, err := s.Append(ctx, "plan/p", 0, events.Pending{ID: "retry", Key: "k1", Raw: []byte(`{"n":"retry"}`)})
			if err != nil || !a.Duplicate || a.Position != a1.Position || a.ID != "first" || !bytes.Equal(a.Raw, first.Raw) {
				t.Fatalf("retry: got %+v, %v; want the first record as a duplicate", a, err)
			}
			if h, _ := s.Head(ctx); h != 2 {
				t.Errorf("head %d, want 2", h)
			}
		})
	}
}

// TestDeletedEventsReported checks that events removed from $all behind
// the store's back (a deletion and a scavenge) are reported, not skipped.
func TestDeletedEventsReported(t *testing.T) {
	f := startFake(t)
	s := openFakeWith(t, f, freshPrefix(), func(cfg *Config) { cfg.TailCache = 1 })
	ctx := ctxT(t)
	for i := range 4 {
		stream := fmt.Sprintf("petition/p%d", i%2)
		if _, err := s.Append(ctx, stream, uint64(i/2), events.Pending{ID: fmt.Sprint(i), Raw: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	f.remove(s.prefix + "petition/p0")
	err := s.ReadLog(ctx, 1, func(events.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "position 1") {
		t.Fatalf("ReadLog over deleted events: got %v, want an error naming position 1", err)
	}
}

func TestOpenRefusesBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{URL: "esdb://x", StreamPrefix: "$ce-"},
		{URL: "esdb://x", StreamPrefix: "ledger-", CheckpointStream: "ledger-checkpoints"},
		{URL: "esdb://x", CheckpointStream: "$checkpoints"},
		{},
		{URL: "http://nonsense"},
	} {
		if _, err := Open(context.Background(), cfg); err == nil {
			t.Errorf("Open(%+v): no error", cfg)
		}
	}
}

// openFakeWith is openFake with a change to the configuration.
func openFakeWith(t *testing.T, f *fakeServer, prefix string, change func(*Config)) *Store {
	t.Helper()
	cfg := Config{URL: f.url(), StreamPrefix: prefix + "-", CheckpointStream: prefix + "_checkpoints",
		PollInterval: 50 * time.Millisecond, ConnectTimeout: 5 * time.Second, Logger: testLogger(t)}
	change(&cfg)
	s, err := Open(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
