package projections

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/mttq-vn/ledger/events/inmem"
)

// The first large build of a process, on a system that gives huge pages on
// advice, grows the heap by its room advised for them, without holding
// more memory; the heap grows into the range in huge pages; the advice is
// withdrawn when the build ends, and not given again. Beside a large heap,
// in use or spare, or with disablethp=1 in GODEBUG, nothing is advised.
func TestBatchGCHugePages(t *testing.T) {
	if mode := hugeMode(); mode != "madvise" {
		t.Skipf("transparent huge pages are %q on this machine, not \"madvise\" with 2 MiB pages: the runtime's heap gets them (always) or not (never, \"\": unknown or other sizes) without advice; "+
			"run as root after `echo madvise > /sys/kernel/mm/transparent_hugepage/enabled` to test the advice", mode)
	}
	// Advice is given once in a process: the test runs in one of its own,
	// without the operator's settings.
	if os.Getenv("LEDGER_TEST_HUGE_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBatchGCHugePages$", "-test.v", "-test.count=1", "-test.timeout=2m")
		cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool {
			return strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GOMEMLIMIT=") || strings.HasPrefix(kv, "GODEBUG=")
		})
		cmd.Env = append(cmd.Env, "LEDGER_TEST_HUGE_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err == nil && strings.Contains(string(out), "--- SKIP: TestBatchGCHugePages") {
			t.Skipf("skipped in its process:\n%s", out)
		}
		if err != nil || !strings.Contains(string(out), "--- PASS: TestBatchGCHugePages") {
			t.Fatalf("in a process of its own: %v\n%s", err, out)
		}
		return
	}
	percent, limit := paceTest(t)

	t.Run("disablethp", func(t *testing.T) {
		t.Setenv("GODEBUG", "madvdontneed=1,disablethp=1")
		leave := enterBatchGC(1_000_000, true)
		defer leave()
		if batchGC.hugeSize != 0 || hugeTried {
			t.Errorf("with GODEBUG=%s a build advised %d bytes", os.Getenv("GODEBUG"), batchGC.hugeSize)
		}
	})
	t.Run("large heap", func(t *testing.T) {
		// A heap in use larger than a quarter of the room: advising
		// would cost a full collection of it.
		large := make([]byte, 128<<20)
		for i := range large {
			large[i] = 1
		}
		leave := enterBatchGC(batchGCFrom, true) // room 200 MB
		if batchGC.hugeSize != 0 || hugeTried {
			t.Errorf("a build beside a %d-byte heap in use advised %d bytes", len(large), batchGC.hugeSize)
		}
		leave()
		runtime.KeepAlive(large)
		large = nil
		// The same heap spare: the allocation could be made of it.
		debug.FreeOSMemory()
		if spare := heapSpare(); spare < 100<<20 {
			t.Fatalf("the heap has %d bytes spare after a 128 MiB buffer was dropped", spare)
		}
		leave = enterBatchGC(batchGCFrom, true)
		if batchGC.hugeSize != 0 || hugeTried {
			t.Errorf("a build beside %d bytes of spare heap advised %d bytes", heapSpare(), batchGC.hugeSize)
		}
		leave()
	})

	// A start (Runner.Open) of a long log never asks, nor does a build
	// of a runner without HugePages: they serve after.
	t.Run("serving", func(t *testing.T) {
		r := NewRunner(&longLog{Store: inmem.NewStore(), head: 1_000_000}, DefaultConfig(), &paceSnapshots{}, slog.New(slog.DiscardHandler))
		if err := r.Open(context.Background()); err != nil {
			t.Fatal(err)
		}
		r.CloseOffline()
		if _, err := r.Build(context.Background(), 0); err != nil {
			t.Fatal(err)
		}
		if hugeTried {
			t.Error("a start, or a build without HugePages, advised huge pages")
		}
	})

	// A build of a runner with HugePages does, checked while it reads.
	held := memoryHeld()
	var at, size uintptr
	src := &longLog{Store: inmem.NewStore(), head: 1_000_000, during: func() {
		at, size = batchGC.hugeAt, batchGC.hugeSize
		if want := min(1_000_000*batchBytesPerEvent, int64(memoryAvailable()/4*3), limit-held); size != uintptr(want) {
			t.Fatalf("a build of a million events advised %d bytes, want its room, %d", size, want)
		}
		if now := memoryHeld(); now > held+96<<20 { // the build's per-position lists: 40 MB
			t.Errorf("the process holds %d bytes after the advice, %d before", now, held)
		}
		for _, m := range vmas(t, at, at+size) {
			if !slices.Contains(m.flags, "hg") {
				t.Errorf("a mapping of the advised range has flags %v, without hg", m.flags)
			}
		}
		// The heap grows into the range once its spare pages below are
		// used, and memory touched there comes in huge pages.
		var grown [][]byte
		for {
			b := make([]byte, 4<<20)
			grown = append(grown, b)
			p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
			if p >= at && p+uintptr(len(b)) <= at+size {
				for i := 0; i < len(b); i += 4096 {
					b[i] = 1
				}
				huge := 0
				for _, m := range vmas(t, p, p+uintptr(len(b))) {
					huge += m.hugeKB
				}
				if huge < 2048 {
					t.Errorf("4 MiB touched in the advised range, %d kB of its mapping in huge pages", huge)
				}
				break
			}
			if len(grown) == 256 {
				t.Fatalf("1 GiB allocated, none of it in the advised range %#x-%#x", at, at+size)
			}
		}
		runtime.KeepAlive(grown)
	}}
	r := NewRunner(src, DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	r.HugePages = true
	if _, err := r.Build(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	if !src.read || size == 0 {
		t.Fatalf("the build read the log (%v) with %d bytes advised", src.read, size)
	}
	if p, l := gcPace(); p != percent || l != limit {
		t.Errorf("after the build: percent %d, limit %d; want %d and %d back", p, l, percent, limit)
	}
	for _, m := range vmas(t, at, at+size) {
		if slices.Contains(m.flags, "hg") || !slices.Contains(m.flags, "nh") {
			t.Errorf("after the build a mapping of the range has flags %v, want nh and no hg", m.flags)
		}
	}
	if batchGC.hugeSize != 0 {
		t.Errorf("the range is still kept after the build")
	}
	// A later build advises nothing: its memory is not fresh.
	leave := enterBatchGC(1_000_000, true)
	if batchGC.hugeSize != 0 {
		t.Errorf("a second build advised %d bytes", batchGC.hugeSize)
	}
	leave()
}

func TestTHPMode(t *testing.T) {
	for in, want := range map[string]string{
		"always [madvise] never\n": "madvise",
		"[always] madvise never\n": "always",
		"always madvise [never]":   "never",
		"always madvise never":     "",
		"":                         "",
		"[always":                  "",
	} {
		if got := thpMode(in); got != want {
			t.Errorf("thpMode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGodebugSet(t *testing.T) {
	for env, want := range map[string]bool{
		"disablethp=1":                true,
		"madvdontneed=1,disablethp=1": true,
		"disablethp=1,disablethp=0":   false,
		"disablethp=0":                false,
		"xdisablethp=1":               false,
		"":                            false,
	} {
		t.Setenv("GODEBUG", env)
		if got := godebugSet("disablethp", "1"); got != want {
			t.Errorf("GODEBUG=%q: disablethp=1 %v, want %v", env, got, want)
		}
	}
}

// mapping is what /proc/self/smaps says of one mapping: its VmFlags and
// its AnonHugePages in kB.
type mapping struct {
	flags  []string
	hugeKB int
}

// vmas returns the process's mappings that overlap [start, end).
func vmas(t *testing.T, start, end uintptr) []mapping {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []mapping
	var cur *mapping
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "VmFlags:":
			if cur != nil {
				cur.flags = fields[1:]
			}
			continue
		case "AnonHugePages:":
			if cur != nil && len(fields) > 1 {
				cur.hugeKB, _ = strconv.Atoi(fields[1])
			}
			continue
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		a, err1 := strconv.ParseUint(lo, 16, 64)
		b, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			continue // another field's line
		}
		cur = nil
		if uintptr(a) < end && uintptr(b) > start {
			out = append(out, mapping{})
			cur = &out[len(out)-1]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no mapping overlaps %#x-%#x", start, end)
	}
	return out
}
