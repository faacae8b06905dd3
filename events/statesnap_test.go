package events_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"reflect"
	"sync"
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
		// Writes acknowledged while the follower lags: the snapshot holds
		// states ahead of its position, and a start from it still ends
		// equal to a full replay.
		gated := &gatedStore{Store: store, release: make(chan struct{})}
		ahead := &memSnapshots{}
		l, err := openWithSnapshots(t, gated, skey, ahead)
		if err != nil {
			t.Fatal(err)
		}
		mustHandle(t, l, renameRequest("u1", "Phường Nhơn Thành", "key-3"))
		mustHandle(t, l, unitRequest("u3", ""))
		if err := l.SaveSnapshot(ctx); err != nil {
			t.Fatal(err)
		}
		close(gated.release)
		l.Close()
		if ahead.data == nil {
			t.Fatal("no snapshot saved")
		}
		fromAhead, err := openWithSnapshots(t, store, skey, &memSnapshots{data: bytes.Clone(ahead.data)})
		if err != nil {
			t.Fatal(err)
		}
		if fromAhead.SnapshotPosition() == 0 {
			t.Fatal("the snapshot was not used")
		}
		replayed, err := openWithSnapshots(t, store, skey, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"unit/u1", "unit/u3"} {
			if a, b := fromAhead.Lookup(s), replayed.Lookup(s); a == nil || !reflect.DeepEqual(a, b) {
				t.Errorf("%s: from the snapshot %+v, replayed %+v", s, a, b)
			}
			if a, b := fromAhead.Positions(s), replayed.Positions(s); !reflect.DeepEqual(a, b) {
				t.Errorf("%s positions: %v and %v", s, a, b)
			}
		}
		if res := mustHandle(t, fromAhead, renameRequest("u1", "Phường Nhơn Thành", "key-3")); res.Version != 3 {
			t.Errorf("retry after the snapshot: version %d, want 3", res.Version)
		}
	})
	t.Run("LogReader", func(t *testing.T) {
		// A faster reader of the log is used for the check, and the store
		// when it fails.
		for name, read := range map[string]func(context.Context, uint64, func(events.Record) error) error{
			"works": store.ReadLog,
			"fails": func(context.Context, uint64, func(events.Record) error) error { return errors.New("no files") },
		} {
			signer, _ := events.NewCheckpointSigner(skey)
			l := events.NewLedger(store, signer, signer.Name())
			l.Logger, l.Snapshots = slog.New(slog.DiscardHandler), &memSnapshots{data: bytes.Clone(snaps.data)}
			var calls int
			l.LogReader = func(ctx context.Context, from uint64, fn func(events.Record) error) error {
				calls++
				return read(ctx, from, fn)
			}
			if err := l.Open(ctx, nil); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if l.SnapshotPosition() == 0 || calls != 1 {
				t.Errorf("%s: snapshot position %d, reader called %d times", name, l.SnapshotPosition(), calls)
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
