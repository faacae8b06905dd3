package projections

import (
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// A build of the views from zero makes garbage fast (every event is read,
// parsed and decoded) while its live heap grows to all the views hold: at
// its default pace (GOGC=100) the collector marks that growing heap again
// and again, about a fifth of a build's CPU at a million events. While a
// large build runs, the collector runs a quarter as often (GOGC=400)
// within a soft memory limit of half the machine's or container's memory,
// so that it still runs as often as it must near that limit. An operator's
// GOGC is left alone, and so is GOMEMLIMIT (the limit then stays theirs).
// Measured on the same process, a build from the block files at a million
// events went from 144,000 to 188,000 events/s.
const (
	batchGCPercent = 400
	// batchGCFrom is the least number of events a build must apply to
	// change the pace: as_of at an early position builds small views.
	batchGCFrom = 100_000
)

var batchGC struct {
	mu      sync.Mutex
	n       int   // builds running with the batch pace
	percent int   // the pace before the first of them
	limit   int64 // the memory limit before, or -1 if left alone
}

// enterBatchGC sets the batch pace for a build of n events and returns
// what ends it; builds may overlap, the last to end restores the pace.
func enterBatchGC(n uint64) (leave func()) {
	if n < batchGCFrom || os.Getenv("GOGC") != "" {
		return func() {}
	}
	limit := int64(memoryAvailable() / 2)
	if limit <= 0 {
		return func() {} // no bound known: keep the default pace
	}
	batchGC.mu.Lock()
	defer batchGC.mu.Unlock()
	if batchGC.n == 0 {
		batchGC.percent = debug.SetGCPercent(batchGCPercent)
		batchGC.limit = -1
		if os.Getenv("GOMEMLIMIT") == "" {
			batchGC.limit = debug.SetMemoryLimit(limit)
		}
	}
	batchGC.n++
	return sync.OnceFunc(func() {
		batchGC.mu.Lock()
		defer batchGC.mu.Unlock()
		if batchGC.n--; batchGC.n == 0 {
			debug.SetGCPercent(batchGC.percent)
			if batchGC.limit >= 0 {
				debug.SetMemoryLimit(batchGC.limit)
			}
		}
	})
}

// memoryAvailable returns the memory this process may use: the machine's
// (MemTotal in /proc/meminfo), or its container's limit (cgroup v2
// memory.max) if lower; 0 if neither can be read (not Linux).
func memoryAvailable() uint64 {
	var total uint64
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64); err == nil && kb < math.MaxUint64/1024 {
					total = kb * 1024
				}
			}
		}
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	return total
}
