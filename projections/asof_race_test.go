package projections_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// A read as of the published position P gets the views at P even when the
// follower applies P+1 meanwhile: it publishes its position only after it
// applied a record and let go of the lock, so Runner.View checks the
// views' own position under the lock. Here the follower waits for the lock
// (a reader holds it) while the read is on its way. (Found by an audit: an
// as_of read could show an event recorded after the point asked for.)
func TestViewAsOfDoesNotSeeLaterEvents(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	r, src := openHanding(t, w)
	asOf := r.Position()

	// A reader holds the views (any ordinary read in progress).
	held, release := make(chan struct{}), make(chan struct{})
	go r.Read(func(*projections.Views) { close(held); <-release })
	<-held
	pos := w.rec(events.KindRecommendation, "kn-late", "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, "2024-01-15"), "2024-01-15")
	for got := uint64(0); got != pos; {
		select {
		case got = <-src.handed:
		case <-time.After(10 * time.Second):
			close(release)
			t.Fatal("the follower was not handed the new event")
		}
	}
	// Wait until the follower waits for the write lock.
	for deadline := time.Now().Add(5 * time.Second); r.ReadersLetIn(); {
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the follower never waited for the lock")
		}
		time.Sleep(time.Millisecond)
	}
	// A read as of asOf (the published position: the views are exactly
	// there right now).
	type seen struct {
		pos  uint64
		item bool
	}
	got := make(chan seen, 1)
	go func() {
		r.View(ctx, asOf, func(v *projections.Views) error {
			got <- seen{v.Position(), v.Item("recommendation/kn-late") != nil}
			return nil
		})
	}()
	time.Sleep(100 * time.Millisecond)
	close(release)
	s := <-got
	if s.pos != asOf || s.item {
		t.Errorf("View as of position %d answered from views at position %d (item recorded at %d visible: %v)", asOf, s.pos, pos, s.item)
	}
}
