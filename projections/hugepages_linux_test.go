package projections

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// A large build on a system that gives huge pages on advice grows the heap
// by its room advised for them, without holding more memory; the advice
// is withdrawn when the build ends. A build beside a large heap, or with
// GODEBUG=disablethp=1, advises nothing.
func TestBatchGCHugePages(t *testing.T) {
	if mode := hugeMode(); mode != "madvise" {
		t.Skipf("transparent huge pages are %q on this machine, not \"madvise\": the runtime's heap gets them (always) or not (never) without advice; "+
			"run as root after `echo madvise > /sys/kernel/mm/transparent_hugepage/enabled` to test the advice", mode)
	}
	// Advice is for a process's first large build: the test runs in a
	// process of its own.
	if os.Getenv("LEDGER_TEST_HUGE_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBatchGCHugePages$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), "LEDGER_TEST_HUGE_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestBatchGCHugePages") {
			t.Fatalf("in a process of its own: %v\n%s", err, out)
		}
		return
	}
	percent, limit := paceTest(t)
	held := memoryHeld()
	leave := enterBatchGC(1_000_000)
	at, size := batchGC.hugeAt, batchGC.hugeSize
	if want := min(1_000_000*batchBytesPerEvent, int64(memoryAvailable()/4*3), limit-held); size != uintptr(want) {
		t.Fatalf("a build of a million events advised %d bytes, want its room, %d", size, want)
	}
	if now := memoryHeld(); now > held+64<<20 {
		t.Errorf("the process holds %d bytes after the advice, %d before", now, held)
	}
	for _, flags := range vmaFlags(t, at, at+size) {
		if !slices.Contains(flags, "hg") {
			t.Errorf("a mapping of the advised range has flags %v, without hg", flags)
		}
	}
	// The heap grows into the range once its free pages below are used.
	var grown [][]byte
	for {
		b := make([]byte, 1<<20)
		grown = append(grown, b)
		if p := uintptr(unsafe.Pointer(unsafe.SliceData(b))); p >= at && p < at+size {
			break
		}
		if len(grown) == 1024 {
			t.Fatalf("1 GiB allocated, none of it in the advised range %#x-%#x", at, at+size)
		}
	}
	runtime.KeepAlive(grown)
	grown = nil
	leave()
	if p, l := gcPace(); p != percent || l != limit {
		t.Errorf("after the build: percent %d, limit %d; want %d and %d back", p, l, percent, limit)
	}
	for _, flags := range vmaFlags(t, at, at+size) {
		if slices.Contains(flags, "hg") || !slices.Contains(flags, "nh") {
			t.Errorf("after the build a mapping of the range has flags %v, want nh and no hg", flags)
		}
	}
	if batchGC.hugeSize != 0 {
		t.Errorf("the range is still kept after the build")
	}
	// A later build advises nothing: its memory is not fresh.
	leave = enterBatchGC(1_000_000)
	if batchGC.hugeSize != 0 {
		t.Errorf("a second build advised %d bytes", batchGC.hugeSize)
	}
	for _, flags := range vmaFlags(t, at, at+size) {
		if slices.Contains(flags, "hg") {
			t.Errorf("during a second build a mapping of the range has flags %v, with hg", flags)
		}
	}
	leave()

	// Beside a heap larger than a quarter of its room, a build leaves the
	// heap alone: advising would cost a full collection of it.
	large := make([]byte, 128<<20)
	for i := range large {
		large[i] = 1
	}
	leave = enterBatchGC(batchGCFrom) // room 200 MB
	if batchGC.hugeSize != 0 {
		t.Errorf("a build beside a %d-byte heap advised %d bytes", len(large), batchGC.hugeSize)
	}
	leave()
	runtime.KeepAlive(large)
	large = nil

	t.Setenv("GODEBUG", "disablethp=1")
	leave = enterBatchGC(1_000_000)
	if batchGC.hugeSize != 0 {
		t.Errorf("with GODEBUG=disablethp=1 a build advised %d bytes", batchGC.hugeSize)
	}
	leave()
}

// vmaFlags returns the VmFlags of the process's mappings that overlap
// [start, end), from /proc/self/smaps.
func vmaFlags(t *testing.T, start, end uintptr) [][]string {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]string
	overlaps := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "VmFlags:"); ok {
			if overlaps {
				out = append(out, strings.Fields(rest))
			}
			continue
		}
		lo, hi, ok := strings.Cut(strings.Fields(line)[0], "-")
		if !ok || strings.HasSuffix(strings.Fields(line)[0], ":") {
			continue
		}
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		overlaps = uintptr(a) < end && uintptr(b) > start
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no mapping overlaps %#x-%#x", start, end)
	}
	return out
}
