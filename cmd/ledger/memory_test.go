package main

import (
	"bufio"
	"context"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMemoryBudget checks serve's soft memory limit: above the default
// pace's heap goal (twice the live heap) for a small heap, below it for a
// large one, set from the live heap by a fit, and left alone when the
// operator sets GOGC or GOMEMLIMIT.
func TestMemoryBudget(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live  uint64
		above bool // the limit is above 2 × live
	}{{10 * mib, true}, {100 * mib, true}, {400 * mib, true}, {700 * mib, false}, {7000 * mib, false}} {
		limit := memoryBudget(c.live)
		if got := limit > int64(2*c.live); got != c.above {
			t.Errorf("live %d MiB: limit %d MiB, above twice the live heap: %v, want %v", c.live/mib, limit/mib, got, c.above)
		}
		if limit <= int64(c.live) {
			t.Errorf("live %d MiB: limit %d MiB is not above the live heap", c.live/mib, limit/mib)
		}
	}
	if got := memoryBudget(700 * mib); got != 1306*mib {
		t.Errorf("live 700 MiB: limit %d MiB, want 1306", got/mib)
	}

	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	live, limit := fitMemory(false)
	if limit != memoryBudget(live) || debug.SetMemoryLimit(-1) != limit {
		t.Errorf("fit: live %d, limit %d, set %d; want the limit %d set", live, limit, debug.SetMemoryLimit(-1), memoryBudget(live))
	}

	for env, value := range map[string]string{"GOGC": "200", "GOMEMLIMIT": "1GiB"} {
		t.Run("operator's "+env, func(t *testing.T) {
			t.Setenv(env, value)
			debug.SetMemoryLimit(math.MaxInt64)
			if _, limit := fitMemory(false); limit != -1 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
				t.Errorf("with %s set the limit was changed to %d", env, debug.SetMemoryLimit(-1))
			}
		})
	}

	// The keeper fits at once and again after each interval, until closed.
	debug.SetMemoryLimit(math.MaxInt64)
	k := keepMemory(slog.New(slog.DiscardHandler), time.Millisecond)
	deadline := time.Now().Add(30 * time.Second)
	for debug.SetMemoryLimit(-1) == math.MaxInt64 {
		if time.Now().After(deadline) {
			t.Fatal("the keeper did not set a limit in 30 s")
		}
		time.Sleep(time.Millisecond)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	for debug.SetMemoryLimit(-1) == math.MaxInt64 {
		if time.Now().After(deadline) {
			t.Fatal("the keeper did not fit the limit again")
		}
		time.Sleep(time.Millisecond)
	}
	k.Close()
	debug.SetMemoryLimit(math.MaxInt64)
	time.Sleep(20 * time.Millisecond)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("the keeper set the limit to %d after it was closed", got)
	}
	var none *memoryKeeper
	none.Close() // a server that never fitted closes as well
}

// TestServeFitsItsMemory checks that `ledger serve` sets its soft memory
// limit once ready, as its metrics show (go_gc_gomemlimit_bytes).
func TestServeFitsItsMemory(t *testing.T) {
	if operatorPace() {
		t.Skip("GOGC or GOMEMLIMIT is set in this environment, and serve leaves the limit to it; unset both to run this test")
	}
	ctx := context.Background()
	p, _, err := startServe(ctx, t.TempDir(), nil, "--sync", "lazy")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	limit := func() (float64, error) {
		resp, err := http.Get(p.URL + "/metrics")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "go_gc_gomemlimit_bytes "); ok {
				return strconv.ParseFloat(v, 64)
			}
		}
		return 0, sc.Err()
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, err := limit()
		if err != nil {
			t.Fatal(err)
		}
		if got < math.MaxInt64 {
			if got < budgetSlack || got > 1<<30 {
				t.Errorf("serve's memory limit is %.0f bytes, want a little above %d for an empty ledger", got, budgetSlack)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve has not set its memory limit 30 s after it was ready (go_gc_gomemlimit_bytes %.0f)", got)
		}
	}
}
