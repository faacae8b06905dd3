package projections

import (
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
	if p != batchGCPercent || l != int64(memoryAvailable()/2) {
		t.Errorf("during a large build: percent %d, limit %d; want %d and %d", p, l, batchGCPercent, memoryAvailable()/2)
	}
	second := enterBatchGC(1_000_000)
	first()
	first() // a second call changes nothing
	if p, _ := gcPace(); p != batchGCPercent {
		t.Errorf("after the first of two builds ended: percent %d, want %d", p, batchGCPercent)
	}
	second()
	if p, l := gcPace(); p != percent || l != limit {
		t.Errorf("after both builds: percent %d, limit %d; want %d and %d back", p, l, percent, limit)
	}

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
