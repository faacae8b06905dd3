package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"time"
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
// budgetFactor × the live heap + budgetSlack: measured by a full
// collection once it is ready, and again every budgetEvery, as the log
// (and with it the live heap) grows. Where the default pace stays below
// that (a live heap under 512 MiB) the limit changes nothing; above it,
// the collector runs more often instead of letting the heap double. The
// limit is soft: the runtime never spends more than about half the CPU
// on collections to keep it, so a heap that outgrows it (a rebuild, an
// `as_of` far back) only makes the collector busier until the next fit.
// An operator's GOGC or GOMEMLIMIT is theirs: with either set, serve
// leaves the pace and the limit alone (docker-compose.yml sets
// GOMEMLIMIT).
const (
	budgetFactor = 1.5
	budgetSlack  = 256 << 20
	budgetEvery  = 5 * time.Minute
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

// fitMemory collects the garbage and sets the soft memory limit from the
// live heap it leaves. giveBack also hands the free memory back to the
// operating system (after the start, whose decoding left much of it). It
// returns the live heap and the limit set, or -1 if the operator's
// settings leave the limit alone.
func fitMemory(giveBack bool) (live uint64, limit int64) {
	if giveBack {
		debug.FreeOSMemory()
	} else {
		runtime.GC()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if operatorPace() {
		return ms.HeapAlloc, -1
	}
	limit = memoryBudget(ms.HeapAlloc)
	debug.SetMemoryLimit(limit)
	return ms.HeapAlloc, limit
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
		giveBack := true
		for {
			live, limit := fitMemory(giveBack)
			if limit >= 0 {
				logger.Debug("memory limit fitted", "live_mib", live>>20, "limit_mib", limit>>20)
			}
			giveBack = false
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
