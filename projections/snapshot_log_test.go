package projections_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// A views snapshot whose position is beyond the log (the log restored
// from an older backup, or a snapshot of another ledger) is not used: the views are rebuilt from the log.
func TestSnapshotBeyondTheLog(t *testing.T) {
	ctx := context.Background()
	a := newWorld(t)
	for i := range 5 {
		a.rec(events.KindRecommendation, fmt.Sprintf("a-%d", i), "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	}
	snaps := &projections.MemorySnapshots{}
	ra := projections.NewRunner(a.store, projections.DefaultConfig(), snaps, slog.New(slog.DiscardHandler))
	if err := ra.Open(ctx); err != nil {
		t.Fatal(err)
	}
	ra.Close()

	// The same ledger's log, restored from before the five recommendations.
	b := newWorld(t)
	head, _ := b.store.Head(ctx)
	var logs bytes.Buffer
	rb := projections.NewRunner(b.store, projections.DefaultConfig(), snaps, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := rb.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer rb.CloseOffline()
	if !bytes.Contains(logs.Bytes(), []byte("beyond the log's head")) {
		t.Errorf("no warning names the snapshot beyond the log (log head %d, views at %d); log:\n%s", head, rb.Position(), logs.String())
	}
	// New writes after the restore.
	pos := b.rec(events.KindRecommendation, "b-1", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-02-15"), "2024-02-15")
	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rb.WaitPosition(ctx2, pos); err != nil {
		t.Fatalf("the views did not reach position %d: %v", pos, err)
	}
	rb.Read(func(v *projections.Views) {
		if v.Item("recommendation/a-0") != nil {
			t.Errorf("views show recommendation/a-0, which the log does not hold (log head %d, views at %d)", head, v.Position())
		}
		if v.Item("recommendation/b-1") == nil {
			t.Errorf("views miss recommendation/b-1 at position %d (views at %d)", pos, v.Position())
		}
	})
}

// A snapshot of another log of the same length or longer.
func TestSnapshotOfAnotherLog(t *testing.T) {
	ctx := context.Background()
	a := newWorld(t)
	a.rec(events.KindRecommendation, "a-0", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	snaps := &projections.MemorySnapshots{}
	ra := projections.NewRunner(a.store, projections.DefaultConfig(), snaps, slog.New(slog.DiscardHandler))
	if err := ra.Open(ctx); err != nil {
		t.Fatal(err)
	}
	ra.Close()
	b := newWorld(t)
	b.rec(events.KindRecommendation, "b-0", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	b.rec(events.KindRecommendation, "b-1", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	rb := projections.NewRunner(b.store, projections.DefaultConfig(), snaps, slog.New(slog.DiscardHandler))
	if err := rb.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer rb.CloseOffline()
	rb.Read(func(v *projections.Views) {
		if v.Item("recommendation/a-0") != nil || v.Item("recommendation/b-0") == nil {
			t.Errorf("views of log B hold a-0=%v b-0=%v", v.Item("recommendation/a-0") != nil, v.Item("recommendation/b-0") != nil)
		}
	})
}

// failingFollow is a log whose Follow fails while fail is set.
type failingFollow struct {
	projections.Source
	fail atomic.Bool
}

func (f *failingFollow) Follow(ctx context.Context, from uint64, fn func(events.Record) error) error {
	if f.fail.Load() {
		return errors.New("the log is out of reach")
	}
	return f.Source.Follow(ctx, from, fn)
}

// FollowError says why following the log failed while the views apply
// nothing (helper-52: the error was kept and read by no one), and nothing
// once they apply again.
func TestFollowError(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	src := &failingFollow{Source: w.store}
	src.fail.Store(true)
	r := projections.NewRunner(src, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	if err := r.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.CloseOffline()
	deadline := time.Now().Add(10 * time.Second)
	for r.FollowError() == nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.FollowError(); err == nil || !strings.Contains(err.Error(), "out of reach") {
		t.Fatalf("FollowError while following fails: %v", err)
	}
	src.fail.Store(false)
	pos := w.rec(events.KindRecommendation, "kn-f", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	ctx2, cancel := context.WithTimeout(ctx, 20*time.Second) // the retry backs off to 5 s
	defer cancel()
	if err := r.WaitPosition(ctx2, pos); err != nil {
		t.Fatalf("the views did not reach position %d once the log was back: %v", pos, err)
	}
	if err := r.FollowError(); err != nil {
		t.Errorf("FollowError once the views apply again: %v", err)
	}
}

type countingFollow struct {
	failingFollow
	calls chan struct{}
}

func (f *countingFollow) Follow(ctx context.Context, from uint64, fn func(events.Record) error) error {
	if !f.fail.Load() {
		select {
		case f.calls <- struct{}{}:
		default:
		}
	}
	return f.failingFollow.Follow(ctx, from, fn)
}

// The log comes back, and nothing is appended: the failure is cleared once
// following has gone on for a while without failing (helper-54: /readyz
// kept it until the next event).
func TestFollowErrorClearedWhenIdle(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	src := &countingFollow{failingFollow: failingFollow{Source: w.store}, calls: make(chan struct{}, 1)}
	src.fail.Store(true)
	r := projections.NewRunner(src, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	if err := r.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.CloseOffline()
	for deadline := time.Now().Add(10 * time.Second); r.FollowError() == nil && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	src.fail.Store(false)
	select {
	case <-src.calls: // following again, successfully
	case <-time.After(10 * time.Second):
		t.Fatal("never followed again")
	}
	for deadline := time.Now().Add(20 * time.Second); r.FollowError() != nil && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if err := r.FollowError(); err != nil {
		t.Errorf("following the log again for 20 s (an idle log): FollowError still %v", err)
	}
}
