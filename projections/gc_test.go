package projections

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

// gcPace returns the collector's percent and memory limit now.
func gcPace() (int, int64) {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p, debug.SetMemoryLimit(-1)
}

// A large build slows the collector's pace within a memory limit, and the
// last of overlapping builds restores both; small builds and an
// operator's GOGC or GOMEMLIMIT are left alone.
func TestBatchGC(t *testing.T) {
	if memoryAvailable() == 0 {
		t.Skip("the machine's memory cannot be read here (not Linux): builds keep the default pace")
	}
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	percent, limit := gcPace()

	leave := enterBatchGC(batchGCFrom - 1)
	if p, l := gcPace(); p != percent || l != limit {
		t.Errorf("a small build changed the pace to %d, limit %d", p, l)
	}
	leave()

	first := enterBatchGC(1_000_000)
	p, l := gcPace()
	if p != batchGCPercent || l != int64(memoryAvailable()/4*3) {
		t.Errorf("during a large build: percent %d, limit %d; want %d and %d", p, l, batchGCPercent, memoryAvailable()/4*3)
	}
	second := enterBatchGC(1_000_000)
	first()
	first() // a second call changes nothing
	if p, _ := gcPace(); p != batchGCPercent {
		t.Errorf("after the first of two builds ended: percent %d, want %d", p, batchGCPercent)
	}
	// A process's own limit (serve's) waits for the build to end.
	if SetMemoryLimit(1 << 30) {
		t.Error("a memory limit was set during a large build")
	}
	if _, l := gcPace(); l != int64(memoryAvailable()/4*3) {
		t.Errorf("during a large build the limit became %d", l)
	}
	second()
	if p, l := gcPace(); p != percent || l != limit {
		t.Errorf("after both builds: percent %d, limit %d; want %d and %d back", p, l, percent, limit)
	}
	if !SetMemoryLimit(limit - 1) {
		t.Error("no memory limit was set with no build running")
	}
	if _, l := gcPace(); l != limit-1 {
		t.Errorf("the limit is %d, want %d", l, limit-1)
	}
	debug.SetMemoryLimit(limit)

	t.Setenv("GOMEMLIMIT", "1GiB")
	leave = enterBatchGC(1_000_000)
	if p, l := gcPace(); p != batchGCPercent || l != limit {
		t.Errorf("with GOMEMLIMIT set: percent %d, limit %d; want %d and the limit as it was (%d)", p, l, batchGCPercent, limit)
	}
	leave()
	t.Setenv("GOMEMLIMIT", "")

	t.Setenv("GOGC", "150")
	leave = enterBatchGC(1_000_000)
	if p, l := gcPace(); p != percent || l != limit {
		t.Errorf("with GOGC set the pace changed to %d, limit %d", p, l)
	}
	leave()
}

// The lowest limit on the process's cgroup or those above it counts, in
// cgroup v2 and in v1's memory controller; "max" is no limit.
func TestCgroupLimit(t *testing.T) {
	root := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("system.slice/ledger.service/memory.max", "max\n")
	write("system.slice/memory.max", "2147483648\n")
	write("memory/docker/abc/memory.limit_in_bytes", "536870912\n")
	write("memory/memory.limit_in_bytes", "9223372036854771712\n")
	for _, c := range []struct {
		self string
		want uint64
	}{
		{"0::/system.slice/ledger.service\n", 2 << 30},
		{"0::/\n", 0},
		{"12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n", 512 << 20},
		{"4:memory:/\n", 9223372036854771712},
		{"garbage\n", 0},
	} {
		if got := cgroupLimit(c.self, root); got != c.want {
			t.Errorf("cgroupLimit(%q) = %d, want %d", c.self, got, c.want)
		}
	}
}
