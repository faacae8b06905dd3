package projections

import (
	"math"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// A build of the views from zero makes garbage fast (every event is read,
// parsed and decoded) while its live heap grows to all the views hold: at
// its default pace (GOGC=100) the collector marks that growing heap again
// and again, about a fifth of a build's CPU at a million events. While a
// large build runs, the collector runs a quarter as often (GOGC=400)
// within a soft memory limit, so that it still runs as often as it must
// near that limit: what the process holds when the build starts plus
// batchBytesPerEvent for each event of the build, at most three quarters
// of the machine's or the cgroup's memory, and never below a limit set
// before (serve's own, during an as_of build) or a running build's (each
// build that starts raises it by its own room). Near the end of a build
// from zero that is about twice what is live, the default pace's room, so
// the peak stays within about a quarter of the default pace's while the
// early collections, over a small heap, are skipped. (Three quarters of the
// machine alone let a fresh serve that rebuilt a million events peak at
// 2.6-3.0 GB against 1.5-1.7 GB at the default pace, and be ready no
// sooner: on this kind of machine fresh memory costs as much to fault in
// as the collections it saves. With this limit it peaked at 1.9-2.0 GB and
// was ready in 13.9-15.4 s, against 15.0-16.3 s under the earlier limit in
// alternating runs; GOGC=400 within 1,800 MiB, tried by hand, was ready
// 0.3-0.9 s sooner than the default pace.) No limit known (not Linux):
// the default pace is kept.
// A start that loads the views' snapshot of a long log has the same pace
// until the views are ready (Runner.Open): the snapshot decodes into a
// heap as large, and the write side's snapshot, decoded meanwhile in
// serve, shares the pace. At a million events a fresh serve process was
// ready 0.3-0.5 s sooner (of 5.0-5.5 s), its peak resident memory 50-170
// MB higher (1.03-1.09 GB).
// The first of such builds in a process that builds and exits (Runner.
// HugePages) also has the heap it grows into advised for huge pages where
// that takes advice (growHuge, hugepages_linux.go).
// An operator's GOGC is left alone, and so is GOMEMLIMIT (the limit then
// stays theirs). Measured on the same process, a build from the block
// files at a million events went from 144,000 to 149,000-182,000
// events/s with the machine's share as the limit. That process had built
// the views once already, its memory faulted in; there the bounded limit
// measured 134,000-161,000/s against 172,000-192,000/s, while a fresh
// `ledger rebuild` went from 91,000-92,000 to 99,000-104,000/s.
const (
	batchGCPercent = 400
	// batchGCFrom is the least number of events a build must apply to
	// change the pace: as_of at an early position builds small views.
	batchGCFrom = 100_000
	// batchBytesPerEvent is the room a build has under its memory limit
	// per event: a million events' views, the write side's states and
	// what they are built from come to about 0.9 GB live.
	batchBytesPerEvent = 2 << 10
)

var batchGC struct {
	mu      sync.Mutex
	n       int   // builds running with the batch pace
	percent int   // the pace before the first of them
	limit   int64 // the memory limit before, or -1 if left alone
	// hugeAt and hugeSize are the heap's range advised for huge pages
	// while builds run (growHuge), if any.
	hugeAt, hugeSize uintptr
}

// enterBatchGC sets the batch pace for a build of n events and returns
// what ends it; builds may overlap, the last to end restores the pace.
// With huge, the first such build of the process may have its heap in
// huge pages (growHuge).
func enterBatchGC(n uint64, huge bool) (leave func()) {
	if n < batchGCFrom || os.Getenv("GOGC") != "" {
		return func() {}
	}
	machine := int64(memoryAvailable() / 4 * 3)
	if machine <= 0 {
		return func() {} // no bound known: keep the default pace
	}
	room := int64(min(n, math.MaxInt64/batchBytesPerEvent/4)) * batchBytesPerEvent
	own := os.Getenv("GOMEMLIMIT") == "" // else the limit is the operator's
	batchGC.mu.Lock()
	defer batchGC.mu.Unlock()
	if batchGC.n == 0 {
		batchGC.percent = debug.SetGCPercent(batchGCPercent)
		batchGC.limit = -1
		if own {
			batchGC.limit = debug.SetMemoryLimit(-1)
		}
		// The heap the build grows into, advised for huge pages where
		// that needs advice (hugepages_linux.go), within any limit.
		if huge {
			held := memoryHeld()
			batchGC.hugeAt, batchGC.hugeSize = growHuge(min(room, machine, debug.SetMemoryLimit(-1)-held), held)
		}
	}
	if own {
		// Room for this build beyond what the process holds now (builds
		// already running included), within the machine's share; neither
		// a limit set before (serve's) nor a running build's is lowered.
		limit := min(machine, memoryHeld()+room)
		if cur := debug.SetMemoryLimit(-1); cur < math.MaxInt64 { // MaxInt64: none
			limit = max(limit, cur)
		}
		debug.SetMemoryLimit(limit)
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
			endHuge(batchGC.hugeAt, batchGC.hugeSize)
			batchGC.hugeAt, batchGC.hugeSize = 0, 0
		}
	})
}

// memoryHeld returns the memory the runtime holds now as the soft memory
// limit counts it: all it has mapped (heap, stacks, metadata) but what it
// has handed back to the system (runtime/metrics: cheap, no stop of the
// world).
func memoryHeld() int64 {
	b := runtimeBytes("/memory/classes/total:bytes", "/memory/classes/heap/released:bytes")
	total, released := b[0], b[1]
	return int64(min(total-min(released, total), math.MaxInt64/4))
}

// runtimeBytes reads byte counts from runtime/metrics, 0 for one this
// runtime does not have.
func runtimeBytes(names ...string) []uint64 {
	s := make([]metrics.Sample, len(names))
	for i, name := range names {
		s[i].Name = name
	}
	metrics.Read(s)
	out := make([]uint64, len(s))
	for i, m := range s {
		if m.Value.Kind() == metrics.KindUint64 {
			out[i] = m.Value.Uint64()
		}
	}
	return out
}

// SetMemoryLimit sets the process's soft memory limit, as
// runtime/debug.SetMemoryLimit does, unless a build of the views has the
// batch pace: it then leaves the build's limit alone and returns false,
// and the build's end restores the limit from before it.
func SetMemoryLimit(limit int64) (set bool) {
	batchGC.mu.Lock()
	defer batchGC.mu.Unlock()
	if batchGC.n > 0 {
		return false
	}
	debug.SetMemoryLimit(limit)
	return true
}

// memoryAvailable returns the memory this process may use: the machine's
// (MemTotal in /proc/meminfo), or its cgroup's limit if lower; 0 if
// neither can be read (not Linux).
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
	if b, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		if limit := cgroupLimit(string(b), "/sys/fs/cgroup"); limit > 0 && (total == 0 || limit < total) {
			total = limit
		}
	}
	return total
}

// cgroupLimit returns the lowest memory limit set on the cgroups that
// self (the content of /proc/self/cgroup) names or on those above them,
// under root (/sys/fs/cgroup): memory.max in cgroup v2, and
// memory.limit_in_bytes of the memory controller in v1; 0 if none is set.
func cgroupLimit(self, root string) uint64 {
	var limit uint64
	for line := range strings.Lines(self) {
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) != 3 {
			continue
		}
		var dir, file string
		switch {
		case f[0] == "0" && f[1] == "":
			dir, file = root, "memory.max"
		case slices.Contains(strings.Split(f[1], ","), "memory"):
			dir, file = filepath.Join(root, "memory"), "memory.limit_in_bytes"
		default:
			continue
		}
		for p := path.Clean("/" + f[2]); ; p = path.Dir(p) {
			b, err := os.ReadFile(filepath.Join(dir, p, file))
			if n, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && perr == nil && n > 0 && (limit == 0 || n < limit) {
				limit = n // "max" (no limit) does not parse
			}
			if p == "/" {
				break
			}
		}
	}
	return limit
}
