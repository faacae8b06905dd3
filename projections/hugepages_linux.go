package projections

import (
	"math"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugeMode reads the system's transparent huge page setting once:
// "always", "madvise" or "never" (the bracketed word of the file), "" if
// it cannot be read. A system whose huge pages are not 2 MiB (arm64 with
// 64 KiB pages has 512 MiB ones) counts as "": a fault there would bring
// in far more than a heap grows by.
var hugeMode = sync.OnceValue(func() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	if size, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"); err != nil || strings.TrimSpace(string(size)) != "2097152" {
		return ""
	}
	return thpMode(string(b))
})

// thpMode returns the transparent huge page mode named in the content of
// /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never":
// the word in brackets), "" if none is.
func thpMode(enabled string) string {
	_, rest, ok := strings.Cut(enabled, "[")
	mode, _, ok2 := strings.Cut(rest, "]")
	if !ok || !ok2 {
		return ""
	}
	return mode
}

// hugeTried is set once growHuge has grown the heap for advice (under
// batchGC.mu): it does so once in a process.
var hugeTried bool

// growHuge makes the heap grow by about n bytes of fresh address space
// advised for transparent huge pages, and returns the advised range (0, 0
// if nothing was done). Only where the system gives huge pages on advice
// (THP "madvise", a common default, under which Go's runtime never uses
// them): there a build that faults in a gigabyte or two of
// fresh heap does so 2 MiB at a time instead of 4 KiB, which on a
// virtual machine whose page faults are slow is a quarter of its CPU.
//
// The runtime maps its heap as it grows, and advice applies to what is
// mapped, so the heap is first grown by one allocation of n bytes, never
// touched; the range is advised, the allocation dropped, collected and
// its pages handed back to the system (debug.FreeOSMemory). Nothing is
// then held that was not before (the memory limit's arithmetic is
// unchanged), but the heap's free pages above what it used are the
// advised range, and the views and states it grows into next fault in
// as huge pages. That costs a full collection (the caller holds
// batchGC.mu meanwhile), so it is done only while the heap is small
// against n, in use and spare alike (the allocation must not reuse pages
// the heap had either, which the runtime would zero one by one), only
// for a process that builds and exits (Runner.HugePages: a serving
// process read slower after it), and not if the operator turned huge
// pages off for Go (disablethp=1 in GODEBUG). It is done once in a process: the gain is in memory touched
// for the first time, while a later build mostly reuses what the runtime
// already has, where advice would only have the kernel's khugepaged merge
// pages in the background. (Advising again at each build was measured
// too, in the bench's process, which builds several times: no better for
// its later builds and reads.)
func growHuge(n, held int64) (start, size uintptr) {
	if hugeTried || hugeMode() != "madvise" || n < 64<<20 || held > n/4 || heapSpare() > n/4 || godebugSet("disablethp", "1") {
		return 0, 0
	}
	hugeTried = true
	b := make([]byte, min(n, math.MaxInt/4)) // a 32-bit int bounds a slice
	err := unix.Madvise(b, unix.MADV_HUGEPAGE)
	start, size = uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b))
	b = nil
	debug.FreeOSMemory() // also if the advice failed: nothing is kept
	if err != nil {
		return 0, 0
	}
	return start, size
}

// heapSpare returns the heap's pages not in use, held or handed back:
// what a large allocation could be made of before the heap grows.
func heapSpare() int64 {
	b := runtimeBytes("/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes")
	return int64(min(b[0]+b[1], math.MaxInt64/4))
}

// godebugSet reports whether the last setting of key in GODEBUG (a
// comma-separated list of key=value, the last one winning) is value.
func godebugSet(key, value string) bool {
	v, found := "", false
	for kv := range strings.SplitSeq(os.Getenv("GODEBUG"), ",") {
		if k, val, ok := strings.Cut(strings.TrimSpace(kv), "="); ok && k == key {
			v, found = val, true
		}
	}
	return found && v == value
}

// endHuge withdraws the advice from a range growHuge returned, once the
// build or start is over: the khugepaged daemon would otherwise go on
// merging the range's pages into huge ones, refilling what the runtime
// hands back to the system as the heap shrinks. Pages already huge stay
// until the runtime releases part of one.
func endHuge(start, size uintptr) {
	if size > 0 {
		unix.Syscall(unix.SYS_MADVISE, start, size, unix.MADV_NOHUGEPAGE)
	}
}
