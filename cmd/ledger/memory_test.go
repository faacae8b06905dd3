package main

import (
	"bufio"
	"context"
	"log/slog"
	"math"
	"net/http"
	"runtime"
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
	if limit := fitMemory(700 * mib); limit != memoryBudget(700*mib) || debug.SetMemoryLimit(-1) != limit {
		t.Errorf("fit: limit %d, set %d; want %d set", limit, debug.SetMemoryLimit(-1), memoryBudget(700*mib))
	}
	if limit := fitMemory(0); limit != -1 {
		t.Errorf("a live heap not known was fitted a limit of %d", limit)
	}
	if live := heapLive(); live == 0 || live > 1<<40 {
		t.Errorf("the live heap of the last collection: %d bytes", live)
	}

	keep := func(t *testing.T, interval, exact time.Duration) *memoryKeeper {
		t.Helper()
		debug.SetMemoryLimit(math.MaxInt64)
		return keepMemory(slog.New(slog.DiscardHandler), interval, exact)
	}
	waitLimit := func(t *testing.T, what string, ok func(int64) bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(debug.SetMemoryLimit(-1)); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the limit is %d after 30 s", what, debug.SetMemoryLimit(-1))
			}
		}
	}
	unset := func(l int64) bool { return l != math.MaxInt64 }

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	// Fitted at once, and again at each exact fit.
	k := keep(t, time.Millisecond, time.Millisecond)
	waitLimit(t, "the first fit", unset)
	debug.SetMemoryLimit(math.MaxInt64)
	waitLimit(t, "the next exact fit", unset)
	k.Close()
	debug.SetMemoryLimit(math.MaxInt64)
	time.Sleep(20 * time.Millisecond)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("the keeper set the limit to %d after it was closed", got)
	}

	// Between exact fits, a live heap grown by a quarter is followed at
	// once.
	k = keep(t, time.Millisecond, time.Hour)
	waitLimit(t, "the first fit", unset)
	fitted := debug.SetMemoryLimit(-1)
	grown := make([]byte, 64<<20+int(heapLive()/2)) // live after the next collection
	runtime.GC()
	waitLimit(t, "a grown heap", func(l int64) bool { return l > fitted })
	runtime.KeepAlive(grown)
	k.Close()

	for env, value := range map[string]string{"GOGC": "200", "GOMEMLIMIT": "1GiB"} {
		t.Run("operator's "+env, func(t *testing.T) {
			t.Setenv(env, value)
			k := keep(t, time.Millisecond, time.Millisecond)
			time.Sleep(50 * time.Millisecond)
			k.Close()
			if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
				t.Errorf("with %s set the limit was changed to %d", env, got)
			}
		})
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
