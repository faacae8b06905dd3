package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/mttq-vn/ledger/projections"
)

// The memory budget of `ledger serve`.
//
// The ledger holds its views and its write side's state in memory: about
// 0.7 GiB of live heap at a million events. At Go's default pace
// (GOGC=100) the heap may grow to twice what the last collection found
// live, and that finding is high under load: marking 0.7 GiB takes about
// a second on two cores, and everything allocated meanwhile counts as
// live. A snapshot save's buffers count too. Measured at a million events
// with reads and writes and a snapshot saved every 30 s, serve's resident
// memory reached 1.8-2.5 GiB at the default pace (BENCHMARKS.md).
//
// So serve sets a soft memory limit (runtime/debug.SetMemoryLimit) of
// budgetFactor × the live heap + budgetSlack. The live heap is measured
// by a full collection once serve is ready and every budgetExact after,
// so that the limit follows the log as it grows. In between, every
// budgetEvery, the live heap the last collection found is looked at, and
// the limit follows at once if it has grown by a quarter (the past views
// an `as_of` query keeps for a while): under load that figure runs 10-20 %
// high, as whatever is allocated while the collector marks counts as
// live, so it is not used to fit the limit otherwise (fitted from it, the
// heap peaked 0.05-0.1 GiB higher). Where the default pace stays below the
// limit (a small heap) the limit changes nothing; above it, the collector
// runs more often instead of letting the heap double. The limit is soft:
// the runtime never spends more than about half the CPU on collections to
// keep it. While a large build of the views runs, its own pace and limit
// stay (projections' batch pace) until it ends. An operator's GOGC or
// GOMEMLIMIT is theirs: with either set, serve leaves the pace and the
// limit alone (docker-compose.yml sets GOMEMLIMIT).
const (
	budgetFactor = 1.5
	budgetSlack  = 256 << 20
	budgetExact  = 5 * time.Minute
	budgetEvery  = 10 * time.Second
)

// memoryBudget returns the soft memory limit for a live heap of live bytes.
func memoryBudget(live uint64) int64 {
	return int64(float64(live)*budgetFactor) + budgetSlack
}

// operatorPace reports whether the operator has set the collector's pace
// or memory limit through the environment.
func operatorPace() bool {
	return os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != ""
}

// heapLive returns the live heap as the last collection found it.
func heapLive() uint64 {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 {
		return 0 // not reported by this runtime
	}
	return sample[0].Value.Uint64()
}

// fitMemory sets the soft memory limit for a live heap of live bytes and
// returns it, or -1 if it was left alone: unknown live heap, or a large
// build's pace.
func fitMemory(live uint64) (limit int64) {
	if live == 0 {
		return -1
	}
	limit = memoryBudget(live)
	if !projections.SetMemoryLimit(limit) {
		return -1
	}
	return limit
}

// memoryKeeper fits serve's memory limit once it is ready, then as the
// live heap changes, until stopped.
type memoryKeeper struct {
	stop chan struct{}
	done sync.WaitGroup
}

// keepMemory hands the start's garbage back to the operating system and,
// unless the operator sets the pace, fits the memory limit: exactly now
// and every exact, and in between every interval if the live heap has
// grown by a quarter.
func keepMemory(logger *slog.Logger, interval, exact time.Duration) *memoryKeeper {
	k := &memoryKeeper{stop: make(chan struct{})}
	k.done.Go(func() {
		debug.FreeOSMemory() // a full collection, then the free memory back
		if operatorPace() {
			return
		}
		measured, at := heapLive(), time.Now()
		if limit := fitMemory(measured); limit >= 0 {
			logger.Debug("memory limit fitted", "live_mib", measured>>20, "limit_mib", limit>>20)
		}
		for {
			select {
			case <-k.stop:
				return
			case <-time.After(interval):
			}
			if time.Since(at) >= exact {
				runtime.GC()
				at = time.Now()
				if live := heapLive(); fitMemory(live) >= 0 {
					measured = live // not while a large build has its own pace
				}
			} else if live := heapLive(); live > measured+measured/4 {
				fitMemory(live)
			}
		}
	})
	return k
}

// Close stops the fitting and waits for a fit under way to end.
func (k *memoryKeeper) Close() {
	if k == nil {
		return
	}
	close(k.stop)
	k.done.Wait()
}
