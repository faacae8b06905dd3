package api_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// TestConcurrentWrites runs 32 writers on streams of their own while 8
// writers race on one stream with If-Match, round after round: every write
// lands exactly once, exactly one racer wins each round, and the log and its
// hash chains stay intact. Run it with -race.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f.MustIssue(t, f.Recorder, "rec-race", unitWard, partyWard)
	head0 := f.Head(t)

	const writers, perWriter, racers, rounds = 32, 4, 8, 12
	var mu sync.Mutex
	positions := make(map[uint64]string)
	seen := func(res events.Result) {
		mu.Lock()
		defer mu.Unlock()
		if prev, dup := positions[res.Position]; dup {
			t.Errorf("position %d was returned for %s and for %s", res.Position, prev, res.Stream)
		}
		positions[res.Position] = fmt.Sprintf("%s@%d", res.Stream, res.Version)
	}

	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			secret := f.Recorder.Secret
			if i%2 == 1 {
				secret = f.TownRecorder.Secret
			}
			c := api.NewClient(f.URL, secret)
			defer c.HTTPClient.CloseIdleConnections()
			id := fmt.Sprintf("rec-w%02d", i)
			res, err := c.Create(ctx, "recommendations", issueRequest(id, unitWard, partyWard), api.WriteOptions{IdempotencyKey: id + "-0"})
			if err != nil {
				t.Errorf("writer %d: create: %v", i, err)
				return
			}
			seen(res)
			for j := 1; j < perWriter; j++ {
				res, err := c.Append(ctx, "recommendations", id, reminderRequest, api.WriteOptions{IdempotencyKey: fmt.Sprintf("%s-%d", id, j)})
				if err != nil {
					t.Errorf("writer %d: append %d: %v", i, j, err)
					return
				}
				if res.Version != uint64(j+1) {
					t.Errorf("writer %d: append %d: got version %d, want %d", i, j, res.Version, j+1)
				}
				seen(res)
			}
		}()
	}

	racerClients := make([]*api.Client, racers)
	for k := range racerClients {
		racerClients[k] = api.NewClient(f.URL, f.Recorder.Secret)
		defer racerClients[k].HTTPClient.CloseIdleConnections()
	}
	for round := range rounds {
		expected := uint64(1 + round)
		start := make(chan struct{})
		var rw sync.WaitGroup
		var winners, losers int
		var rmu sync.Mutex
		for k := range racers {
			rw.Add(1)
			go func() {
				defer rw.Done()
				<-start
				res, err := racerClients[k].Append(ctx, "recommendations", "rec-race", reminderRequest, api.WriteOptions{IfMatch: &expected})
				rmu.Lock()
				defer rmu.Unlock()
				switch events.ErrorCode(err) {
				case "":
					winners++
					if res.Version != expected+1 {
						t.Errorf("round %d: the winner got version %d, want %d", round, res.Version, expected+1)
					}
					seen(res)
				case events.EConflict:
					losers++
					if want := fmt.Sprintf("version %d", expected+1); !strings.Contains(events.ErrorMessage(err), want) {
						t.Errorf("round %d: conflict message %q does not name the current %s", round, events.ErrorMessage(err), want)
					}
				default:
					t.Errorf("round %d: racer %d: %v", round, k, err)
				}
			}()
		}
		close(start)
		rw.Wait()
		if winners != 1 || losers != racers-1 {
			t.Errorf("round %d: got %d winners and %d conflicts, want 1 and %d", round, winners, losers, racers-1)
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	head := f.Head(t)
	if want := head0 + writers*perWriter + rounds; head != want {
		t.Errorf("log size: got %d, want %d", head, want)
	}
	if got := uint64(len(positions)); got != head-head0 {
		t.Errorf("distinct positions returned: got %d, want %d", got, head-head0)
	}
	for i := range writers {
		st, err := f.Inspector.State(ctx, "recommendations", fmt.Sprintf("rec-w%02d", i))
		if err != nil || st.Version != perWriter {
			t.Errorf("rec-w%02d: got version %d (%v), want %d", i, st.Version, err, perWriter)
		}
	}
	h, err := f.Inspector.StreamEvents(ctx, "recommendations", "rec-race")
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 1+rounds || len(h.Events) != 1+rounds {
		t.Errorf("rec-race: got version %d with %d events, want %d", h.Version, len(h.Events), 1+rounds)
	}
	f.MustWaitCheckpoint(t)
	rep, err := events.Verify(ctx, f.Store, events.VerifyOptions{VerifierKey: f.Ledger.Signer.VerifierKey(), Origin: testOrigin})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || rep.Events != head {
		t.Errorf("Verify after the concurrent writes: %d events, problems %+v", rep.Events, rep.Problems)
	}
}
