package events_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/inmem"
)

// memSnapshots is a SnapshotStore in memory.
type memSnapshots struct {
	mu   sync.Mutex
	data []byte
}

func (m *memSnapshots) LoadSnapshot(context.Context) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil, events.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(bytes.Clone(m.data))), nil
}

func (m *memSnapshots) SaveSnapshot(_ context.Context, r io.Reader) error {
	b, err := io.ReadAll(r)
	m.mu.Lock()
	m.data = b
	m.mu.Unlock()
	return err
}

func openWithSnapshots(t *testing.T, store events.Store, skey string, snaps events.SnapshotStore) (*events.Ledger, error) {
	t.Helper()
	signer, err := events.NewCheckpointSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l := events.NewLedger(store, signer, signer.Name())
	l.CheckpointInterval = 10 * time.Millisecond
	l.Logger = slog.New(slog.DiscardHandler)
	if snaps != nil {
		l.Snapshots = snaps
	}
	err = l.Open(context.Background(), nil)
	t.Cleanup(func() { l.Close() })
	return l, err
}

// TestLedgerStateSnapshot starts a ledger from its state snapshot and
// compares it with one that replayed the whole log; a changed or foreign
// snapshot is refused, and a log altered behind the snapshot stops writes.
func TestLedgerStateSnapshot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, snaps, skey := inmem.NewStore(), &memSnapshots{}, mustKey(t)
	l, err := openWithSnapshots(t, store, skey, snaps)
	if err != nil {
		t.Fatal(err)
	}
	mustHandle(t, l, unitRequest("u1", "key-1"))
	mustHandle(t, l, renameRequest("u1", "Phường Đập Đá", ""))
	mustHandle(t, l, unitRequest("u2", ""))
	mustHandle(t, l, events.Request{Kind: events.KindParty, ID: "ubnd-u1", Create: true, Type: events.PartyRegistered, Actor: admin, Unit: "u1",
		Data: json.RawMessage(`{"name":"UBND phường Đập Đá","party_kind":"PEOPLES_COMMITTEE"}`)})
	// A merger recorded on the new unit's side: the index of predecessors
	// (TakenBy, read by the scope checks) comes back with the states.
	mustHandle(t, l, events.Request{Kind: events.KindUnit, ID: "u-an-nhon", Create: true, Type: events.UnitRegistered, Actor: admin,
		Data: json.RawMessage(`{"name":"Phường An Nhơn","level":"COMMUNE","valid_from":"2025-07-01","predecessor_ids":["u1","u2"]}`)})
	secret := "s3cret-token"
	sum := sha256.Sum256([]byte(secret))
	mustHandle(t, l, events.Request{Kind: events.KindToken, ID: "t1", Create: true, Type: events.TokenCreated, Actor: admin,
		Data: json.RawMessage(`{"name":"phường","role":"respondent","party":"ubnd-u1","secret_sha256":"` + hex.EncodeToString(sum[:]) + `"}`)})
	last := mustHandle(t, l, events.Request{Kind: events.KindRecommendation, ID: "kn-1", Create: true, Type: events.RecommendationIssued, Unit: "u1",
		Actor: events.Actor{Subject: "token/r", Role: events.RoleRecorder, Unit: "u1"}, IdempotencyKey: "key-2",
		Data: json.RawMessage(`{"source_kind":"OTHER","addressee_party_id":"ubnd-u1","title":"Kiến nghị","content":"Đề nghị công khai.","issued_on":"2024-03-01"}`)})
	if err := l.WaitCheckpoint(ctx, last.Position); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if snaps.data == nil {
		t.Fatal("Close saved no snapshot")
	}

	fromSnap, err := openWithSnapshots(t, store, skey, snaps)
	if err != nil {
		t.Fatal(err)
	}
	if got := fromSnap.SnapshotPosition(); got != last.Position {
		t.Fatalf("started from the snapshot at %d, want %d", got, last.Position)
	}
	full, err := openWithSnapshots(t, store, skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"unit/u1", "unit/u2", "party/ubnd-u1", "token/t1", "recommendation/kn-1"} {
		if a, b := fromSnap.Lookup(s), full.Lookup(s); a == nil || !reflect.DeepEqual(a, b) {
			t.Errorf("%s: from the snapshot %+v, replayed %+v", s, a, b)
		}
		if a, b := fromSnap.Positions(s), full.Positions(s); !reflect.DeepEqual(a, b) {
			t.Errorf("%s positions: %v and %v", s, a, b)
		}
	}
	if a, b := fromSnap.TakenBy("u1"), full.TakenBy("u2"); !slices.Equal(a, []string{"u-an-nhon"}) || !slices.Equal(b, []string{"u-an-nhon"}) ||
		!events.UnitWithin(fromSnap, "u1", "u-an-nhon") {
		t.Errorf("u1 taken by %v after the snapshot, u2 by %v after a replay, u1 within u-an-nhon %v: want u-an-nhon", a, b, events.UnitWithin(fromSnap, "u1", "u-an-nhon"))
	}
	ra, _ := fromSnap.Tree().Root(last.Position)
	rb, _ := full.Tree().Root(last.Position)
	if ra != rb {
		t.Error("the trees differ")
	}
	if a, err := fromSnap.Authenticate(secret); err != nil || a.Party != "ubnd-u1" {
		t.Errorf("Authenticate after the snapshot: %+v, %v", a, err)
	}
	// The idempotency index came with it: a retry answers the first result.
	if res := mustHandle(t, fromSnap, unitRequest("u1", "key-1")); res.Position != 1 {
		t.Errorf("retry after the snapshot: position %d, want 1", res.Position)
	}
	next := mustHandle(t, fromSnap, renameRequest("u2", "Phường Nhơn Hưng", ""))
	if next.Position != last.Position+1 {
		t.Errorf("next write at %d, want %d", next.Position, last.Position+1)
	}

	t.Run("StatesAheadOfTheFollower", func(t *testing.T) {
		// Writes acknowledged while the follower lags: the command path
		// has evolved states past the follower's position. A snapshot
		// then waits for the follower (a snapshot with states ahead of its
		// position would let a start take the events after it as applied
		// without checking their chain); while the follower is stuck,
		// no snapshot is saved.
		gated := &gatedStore{Store: store, release: make(chan struct{})}
		ahead := &memSnapshots{}
		l, err := openWithSnapshots(t, gated, skey, ahead)
		if err != nil {
			t.Fatal(err)
		}
		mustHandle(t, l, renameRequest("u1", "Phường Nhơn Thành", "key-3"))
		last := mustHandle(t, l, unitRequest("u3", ""))
		sctx, scancel := context.WithTimeout(ctx, 300*time.Millisecond)
		err = l.SaveSnapshot(sctx)
		scancel()
		if err == nil || ahead.data != nil {
			t.Fatalf("SaveSnapshot with the follower stuck: %v, saved %d bytes; want an error and nothing saved", err, len(ahead.data))
		}
		// Writes are not held back once the snapshot gave up.
		mustHandle(t, l, unitRequest("u4", ""))
		saved := make(chan error, 1)
		go func() { saved <- l.SaveSnapshot(ctx) }()
		time.Sleep(50 * time.Millisecond) // not needed for the result: it lets the save start waiting first
		close(gated.release)
		if err := <-saved; err != nil {
			t.Fatalf("SaveSnapshot once the follower moves: %v", err)
		}
		l.Close()
		fromSnap, err := openWithSnapshots(t, store, skey, &memSnapshots{data: bytes.Clone(ahead.data)})
		if err != nil {
			t.Fatal(err)
		}
		if got := fromSnap.SnapshotPosition(); got < last.Position+1 {
			t.Fatalf("the snapshot is at %d, want the follower to have reached every write (%d)", got, last.Position+1)
		}
		replayed, err := openWithSnapshots(t, store, skey, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"unit/u1", "unit/u3", "unit/u4"} {
			if a, b := fromSnap.Lookup(s), replayed.Lookup(s); a == nil || !reflect.DeepEqual(a, b) {
				t.Errorf("%s: from the snapshot %+v, replayed %+v", s, a, b)
			}
			if a, b := fromSnap.Positions(s), replayed.Positions(s); !reflect.DeepEqual(a, b) {
				t.Errorf("%s positions: %v and %v", s, a, b)
			}
		}
		if res := mustHandle(t, fromSnap, renameRequest("u1", "Phường Nhơn Thành", "key-3")); res.Version != 3 || !res.Replayed {
			t.Errorf("retry after the snapshot: version %d replayed %v, want version 3 replayed", res.Version, res.Replayed)
		}
	})
	t.Run("SnapshotsDuringWrites", func(t *testing.T) {
		// Snapshots saved while writers run: each start from one equals
		// a full replay, and no write fails.
		snaps := &memSnapshots{}
		l, err := openWithSnapshots(t, store, skey, snaps)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 40 {
					if _, err := l.Handle(ctx, unitRequest(fmt.Sprintf("w%d-%d", w, i), "")); err != nil {
						errs <- err
					}
				}
			}()
		}
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		var positions []uint64
	loop:
		for {
			if err := l.SaveSnapshot(ctx); err != nil {
				t.Fatalf("SaveSnapshot during writes: %v", err)
			}
			from, err := openWithSnapshots(t, store, skey, &memSnapshots{data: bytes.Clone(snaps.data)})
			if err != nil {
				t.Fatal(err)
			}
			positions = append(positions, from.SnapshotPosition())
			from.Close()
			select {
			case <-done:
				break loop
			default:
			}
		}
		close(errs)
		for err := range errs {
			t.Errorf("write during snapshots: %v", err)
		}
		l.Close()
		if len(positions) == 0 || positions[0] == 0 {
			t.Fatalf("snapshot positions %v", positions)
		}
		last, err := openWithSnapshots(t, store, skey, &memSnapshots{data: bytes.Clone(snaps.data)})
		if err != nil {
			t.Fatal(err)
		}
		replayed, err := openWithSnapshots(t, store, skey, nil)
		if err != nil {
			t.Fatal(err)
		}
		for w := range 4 {
			s := fmt.Sprintf("unit/w%d-39", w)
			if a, b := last.Lookup(s), replayed.Lookup(s); a == nil || !reflect.DeepEqual(a, b) {
				t.Errorf("%s: from the snapshot %+v, replayed %+v", s, a, b)
			}
		}
		t.Logf("snapshots at %v", positions)
	})
	t.Run("LeafReader", func(t *testing.T) {
		// A faster reader of the log's leaf hashes is used for the check,
		// and the store when it fails or reads too little.
		leaves := func(ctx context.Context, from uint64, fn func(uint64, [32]byte) error) error {
			return store.ReadLog(ctx, from, func(r events.Record) error { return fn(r.Position, events.LeafHash(r.Raw)) })
		}
		for name, read := range map[string]func(context.Context, uint64, func(uint64, [32]byte) error) error{
			"works": leaves,
			"fails": func(context.Context, uint64, func(uint64, [32]byte) error) error { return errors.New("no files") },
			"short": func(ctx context.Context, from uint64, fn func(uint64, [32]byte) error) error {
				return leaves(ctx, from, func(pos uint64, leaf [32]byte) error {
					if pos > 3 {
						return nil
					}
					return fn(pos, leaf)
				})
			},
			"wrong": func(ctx context.Context, from uint64, fn func(uint64, [32]byte) error) error {
				return leaves(ctx, from, func(pos uint64, leaf [32]byte) error { leaf[0] ^= 1; return fn(pos, leaf) })
			},
		} {
			signer, _ := events.NewCheckpointSigner(skey)
			l := events.NewLedger(store, signer, signer.Name())
			l.Logger, l.Snapshots = slog.New(slog.DiscardHandler), &memSnapshots{data: bytes.Clone(snaps.data)}
			var calls int
			l.LeafReader = func(ctx context.Context, from uint64, fn func(uint64, [32]byte) error) error {
				calls++
				return read(ctx, from, fn)
			}
			if err := l.Open(ctx, nil); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			// Leaves that do not match the log make the snapshot unusable:
			// the whole log is replayed, to the same state.
			if want := name != "wrong"; (l.SnapshotPosition() != 0) != want || calls != 1 {
				t.Errorf("%s: snapshot position %d, reader called %d times", name, l.SnapshotPosition(), calls)
			}
			if !reflect.DeepEqual(l.Lookup("unit/u1"), full.Lookup("unit/u1")) {
				t.Errorf("%s: state differs from a full replay", name)
			}
			l.Close()
		}
	})
	t.Run("ChangedSnapshotIsRefused", func(t *testing.T) {
		bad := &memSnapshots{data: bytes.Clone(snaps.data)}
		bad.data[len(bad.data)-40] ^= 1
		l, err := openWithSnapshots(t, store, skey, bad)
		if err != nil {
			t.Fatal(err)
		}
		if l.SnapshotPosition() != 0 || !reflect.DeepEqual(l.Lookup("unit/u1"), full.Lookup("unit/u1")) {
			t.Errorf("a changed snapshot was used (from %d)", l.SnapshotPosition())
		}
	})
	t.Run("ForeignSnapshotIsRefused", func(t *testing.T) {
		other := &memSnapshots{}
		o, err := openWithSnapshots(t, inmem.NewStore(), mustKey(t), other)
		if err != nil {
			t.Fatal(err)
		}
		mustHandle(t, o, unitRequest("u9", ""))
		o.Close()
		l, err := openWithSnapshots(t, store, skey, other)
		if err != nil {
			t.Fatal(err)
		}
		if l.SnapshotPosition() != 0 || l.Lookup("unit/u9") != nil {
			t.Errorf("another ledger's snapshot was used (from %d)", l.SnapshotPosition())
		}
	})
	t.Run("SnapshotBehindTheLog", func(t *testing.T) {
		// Events written after the snapshot: the start checks the snapshot
		// against its part of the log, and the tree it keeps is that part's
		// (the replay appends the rest), so it equals a full replay's.
		snaps := &memSnapshots{}
		l, err := openWithSnapshots(t, store, skey, snaps)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.SaveSnapshot(ctx); err != nil {
			t.Fatal(err)
		}
		behind, at := bytes.Clone(snaps.data), l.Size()
		for i := range 3 {
			mustHandle(t, l, unitRequest(fmt.Sprintf("behind-%d", i), ""))
		}
		l.Close()
		from, err := openWithSnapshots(t, store, skey, &memSnapshots{data: behind})
		if err != nil {
			t.Fatal(err)
		}
		full, err := openWithSnapshots(t, store, skey, nil)
		if err != nil {
			t.Fatal(err)
		}
		if from.SnapshotPosition() != at || from.Size() != at+3 {
			t.Fatalf("started from %d with %d events; want from %d with %d", from.SnapshotPosition(), from.Size(), at, at+3)
		}
		if from.Tree().Size() != full.Tree().Size() {
			t.Fatalf("tree of %d leaves, want %d", from.Tree().Size(), full.Tree().Size())
		}
		for _, size := range []uint64{1, at, at + 3} {
			ra, _ := from.Tree().Root(size)
			rb, _ := full.Tree().Root(size)
			if ra != rb {
				t.Errorf("root at %d differs from the full replay's", size)
			}
		}
		if a, b := from.Lookup("unit/behind-2"), full.Lookup("unit/behind-2"); a == nil || !reflect.DeepEqual(a, b) {
			t.Errorf("unit/behind-2: from the snapshot %+v, replayed %+v", a, b)
		}
	})
	t.Run("LogAlteredBehindTheSnapshot", func(t *testing.T) {
		// The altered event no longer hashes to the snapshot's root: the
		// snapshot is not used, and the full replay reports the change as
		// it does without a snapshot.
		tampered := &tamperStore{Store: store, pos: 2, with: func(b []byte) []byte { return bytes.Replace(b, []byte("Đập Đá"), []byte("Đập Dá"), 1) }}
		_, err := openWithSnapshots(t, tampered, skey, &memSnapshots{data: bytes.Clone(snaps.data)})
		var ie *events.IntegrityError
		if !errors.As(err, &ie) || ie.Position > 2 {
			t.Errorf("Open from the snapshot over an altered log: %v, want an integrity error at or before position 2", err)
		}
	})
}

// A write in flight when Close is called: Close returns no error, does
// not wait for a follower that has stopped, and is idempotent.
// closeRaceStore holds one Append until the follower has stopped (Close
// cancelled it), then lets it finish before the follower's goroutine ends:
// a write in flight when Close is called.
type closeRaceStore struct {
	events.Store
	armed    atomic.Bool // set: the next Append waits until the follower stops
	appendIn chan struct{}
	release  chan struct{}
	handled  chan struct{}
}

func (s *closeRaceStore) Append(ctx context.Context, stream string, v uint64, e events.Pending) (events.Appended, error) {
	if s.armed.Load() {
		close(s.appendIn)
		<-s.release
	}
	return s.Store.Append(ctx, stream, v, e)
}

func (s *closeRaceStore) Follow(ctx context.Context, from uint64, fn func(events.Record) error) error {
	err := s.Store.Follow(ctx, from, fn)
	if s.armed.Load() && ctx.Err() != nil {
		close(s.release) // the follower has stopped: let the write finish
		<-s.handled
	}
	return err
}

func TestLedgerCloseWithWriteInFlight(t *testing.T) {
	store := &closeRaceStore{Store: inmem.NewStore(), appendIn: make(chan struct{}), release: make(chan struct{}), handled: make(chan struct{})}
	snaps, skey := &memSnapshots{}, mustKey(t)
	l, err := openWithSnapshots(t, store, skey, snaps)
	if err != nil {
		t.Fatal(err)
	}
	mustHandle(t, l, unitRequest("u1", ""))
	store.armed.Store(true)
	go func() {
		_, err := l.Handle(context.Background(), unitRequest("u2", ""))
		t.Logf("in-flight write: %v", err)
		close(store.handled)
	}()
	<-store.appendIn
	if err := l.Close(); err != nil {
		t.Errorf("Close with a write in flight: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	// Whatever the last snapshot holds (here none: it is skipped, the
	// follower having stopped before the write was acknowledged), a start
	// ends where a full replay does.
	from, err := openWithSnapshots(t, store.Store, skey, snaps)
	if err != nil {
		t.Fatal(err)
	}
	replayed, err := openWithSnapshots(t, store.Store, skey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := from.Lookup("unit/u2"), replayed.Lookup("unit/u2"); a == nil || !reflect.DeepEqual(a, b) {
		t.Errorf("unit/u2 after the restart: %+v, replayed %+v", a, b)
	}
}

// TestTakenByAfterCatchUp: a replica that writes on a unit's stream before
// its follower has seen the unit's registration (it catches up on the
// stream) indexes the unit's predecessors all the same, so its scope checks
// agree with the replica that registered it (helper-61: the index was kept
// only when the follower evolved the state).
func TestTakenByAfterCatchUp(t *testing.T) {
	store := inmem.NewStore()
	skey := mustKey(t)
	a := MustOpenLedger(t, store, skey)
	gated := &gatedStore{Store: store, release: make(chan struct{})}
	b := MustOpenLedger(t, gated, skey)
	released := false
	t.Cleanup(func() {
		if !released {
			close(gated.release)
		}
	})

	mustHandle(t, a, unitRequest("u1", ""))
	ward := events.Request{Kind: events.KindUnit, ID: "w1", Create: true, Type: events.UnitRegistered, Actor: admin,
		Data: json.RawMessage(`{"name":"Phường Mới","level":"COMMUNE","valid_from":"2025-07-01","predecessor_ids":["u1"]}`)}
	mustHandle(t, a, ward)
	// b renames w1 before its follower has seen w1: it catches up on w1's stream.
	res, err := b.Handle(context.Background(), renameRequest("w1", "Phường Mới Hơn", ""))
	if err != nil {
		t.Fatal(err)
	}
	close(gated.release)
	released = true
	if err := b.WaitApplied(context.Background(), res.Position); err != nil {
		t.Fatal(err)
	}
	if got := a.TakenBy("u1"); !slices.Equal(got, []string{"w1"}) {
		t.Fatalf("a.TakenBy(u1) = %v", got)
	}
	if got := b.TakenBy("u1"); !slices.Equal(got, []string{"w1"}) {
		t.Errorf("b.TakenBy(u1) = %v, want [w1] (a's answer): UnitWithin(b, u1, w1) = %v, on a %v",
			got, events.UnitWithin(b, "u1", "w1"), events.UnitWithin(a, "u1", "w1"))
	}
}
