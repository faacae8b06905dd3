package projections

import (
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugeMode reads the system's transparent huge page setting once:
// "always", "madvise" or "never" (the bracketed word of the file), "" if
// it cannot be read.
var hugeMode = sync.OnceValue(func() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	return thpMode(string(b))
})

// hugeRange is the heap's range growHuge advised first (under batchGC.mu).
var hugeRange struct{ start, size uintptr }

// growHuge makes the heap grow by about n bytes of fresh address space
// advised for transparent huge pages, and returns the advised range (0, 0
// if nothing was done). Only where the system gives huge pages on advice
// (THP "madvise", a common default, under which Go's runtime never uses
// them): there a build or a start that faults in a gigabyte or two of
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
// as huge pages. That costs a full collection, so it is done only while
// the heap is small against n (a start or `ledger rebuild`, not a build
// beside a serving process's views), and not if the operator turned huge
// pages off for Go (GODEBUG=disablethp=1). It is done once in a process:
// the gain is in memory touched for the first time, while a later build
// mostly reuses what the runtime already has, where advice would only
// have the kernel's khugepaged merge pages in the background. (Advising
// again at each build was measured too, in the bench's process, which
// builds several times: no better for its later builds and reads.)
func growHuge(n, held int64) (start, size uintptr) {
	if hugeMode() != "madvise" || held > n/4 || n < 64<<20 || strings.Contains(os.Getenv("GODEBUG"), "disablethp=1") {
		return 0, 0
	}
	if hugeRange.size > 0 {
		return 0, 0
	}
	b := make([]byte, n)
	if unix.Madvise(b, unix.MADV_HUGEPAGE) != nil {
		return 0, 0
	}
	hugeRange.start, hugeRange.size = uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b))
	b = nil
	debug.FreeOSMemory()
	return hugeRange.start, hugeRange.size
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
