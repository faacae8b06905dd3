package main

import (
	"log/slog"
	"os"
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
// memory reached 2.4 GiB at the default pace (BENCHMARKS.md).
//
// So serve sets a soft memory limit (runtime/debug.SetMemoryLimit) of
// budgetFactor × the live heap + budgetSlack: the live heap measured by a
// full collection once it is ready, then as the last collection found it
// (runtime/metrics), every budgetEvery, so that the limit follows the log
// as it grows and the past views an `as_of` query keeps for a while.
// Where the default pace stays below that (a small heap) the limit
// changes nothing; above it, the collector runs more often instead of
// letting the heap double. The limit is soft: the runtime never spends
// more than about half the CPU on collections to keep it. While a large
// build of the views runs, its own pace and limit stay (projections'
// batch pace) until it ends. An operator's GOGC or GOMEMLIMIT is theirs:
// with either set, serve leaves the pace and the limit alone
// (docker-compose.yml sets GOMEMLIMIT).
const (
	budgetFactor = 1.5
	budgetSlack  = 256 << 20
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

// fitMemory sets the soft memory limit from the live heap. first also
// collects the garbage and hands the free memory back to the operating
// system (after the start, whose decoding left much of it); later fits
// take the live heap from the last collection. It returns the live heap
// and the limit set, or -1 if none was: the operator's settings, or a
// large build's pace, leave the limit alone.
func fitMemory(first bool) (live uint64, limit int64) {
	if first {
		debug.FreeOSMemory()
	}
	if operatorPace() {
		return 0, -1
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() != metrics.KindUint64 || sample[0].Value.Uint64() == 0 {
		return 0, -1 // not reported by this runtime
	}
	live = sample[0].Value.Uint64()
	limit = memoryBudget(live)
	if !projections.SetMemoryLimit(limit) {
		return live, -1
	}
	return live, limit
}

// memoryKeeper fits serve's memory limit once it is ready, then every
// interval, until stopped.
type memoryKeeper struct {
	stop chan struct{}
	done sync.WaitGroup
}

// keepMemory starts fitting the memory limit: now, handing the start's
// garbage back to the operating system, and then every interval.
func keepMemory(logger *slog.Logger, interval time.Duration) *memoryKeeper {
	k := &memoryKeeper{stop: make(chan struct{})}
	k.done.Go(func() {
		first := true
		for {
			live, limit := fitMemory(first)
			if first && limit >= 0 {
				logger.Debug("memory limit fitted", "live_mib", live>>20, "limit_mib", limit>>20)
			}
			first = false
			select {
			case <-k.stop:
				return
			case <-time.After(interval):
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
