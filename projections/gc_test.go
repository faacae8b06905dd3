package projections

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/inmem"
)

// gcPace returns the collector's percent and memory limit now.
func gcPace() (int, int64) {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p, debug.SetMemoryLimit(-1)
}

// paceTest skips a test of the batch pace where the machine's memory cannot
// be read (the default pace is kept there), clears the operator's GOGC and
// GOMEMLIMIT for the test, and returns the pace before it.
func paceTest(t *testing.T) (percent int, limit int64) {
	t.Helper()
	if memoryAvailable() == 0 {
		t.Skip("the machine's memory cannot be read here (not Linux): builds and starts keep the default pace")
	}
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	return gcPace()
}

// A large build slows the collector's pace within a memory limit, and the
// last of overlapping builds restores both; small builds and an
// operator's GOGC or GOMEMLIMIT are left alone.
func TestBatchGC(t *testing.T) {
	percent, limit := paceTest(t)

	leave := enterBatchGC(batchGCFrom-1, false)
	if p, l := gcPace(); p != percent || l != limit {
		t.Errorf("a small build changed the pace to %d, limit %d", p, l)
	}
	leave()

	// The limit leaves the build room for its events beyond what the heap
	// holds (a few MB in a test), within the machine's share.
	room := int64(1_000_000 * batchBytesPerEvent)
	room = min(room, int64(memoryAvailable()/4*3))
	first := enterBatchGC(1_000_000, false)
	p, l := gcPace()
	if p != batchGCPercent || l < room || l > room+1<<30 || l > int64(memoryAvailable()/4*3) {
		t.Errorf("during a large build: percent %d, limit %d; want %d and %d to %d", p, l, batchGCPercent, room, room+1<<30)
	}
	second := enterBatchGC(1_000_000, false) // its own room again, beyond what the first holds
	_, during := gcPace()
	if during < l {
		t.Errorf("a second build lowered the limit from %d to %d", l, during)
	}
	first()
	first() // a second call changes nothing
	if p, _ := gcPace(); p != batchGCPercent {
		t.Errorf("after the first of two builds ended: percent %d, want %d", p, batchGCPercent)
	}
	// A process's own limit (serve's) waits for the build to end.
	if SetMemoryLimit(1 << 30) {
		t.Error("a memory limit was set during a large build")
	}
	if _, l := gcPace(); l != during {
		t.Errorf("during a large build the limit became %d, not %d", l, during)
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
	// A limit set before (serve's) is never lowered, whatever the
	// machine's share, and is restored after.
	for _, prior := range []int64{room + 2<<30, 64 << 20} {
		debug.SetMemoryLimit(prior)
		leave = enterBatchGC(1_000_000, false)
		_, l := gcPace()
		want := max(prior, room)
		if l < want || l > max(prior, room+1<<30) {
			t.Errorf("a build after a limit of %d set one of %d, want %d or a little above", prior, l, want)
		}
		leave()
		if _, l := gcPace(); l != prior {
			t.Errorf("after the build the limit is %d, want %d back", l, prior)
		}
	}
	debug.SetMemoryLimit(limit)

	// A large build that starts while a small one runs has room for its
	// own events; the last to end restores the limit.
	small := enterBatchGC(batchGCFrom, false)
	_, l = gcPace()
	if l > int64(batchGCFrom*batchBytesPerEvent)+1<<30 {
		t.Errorf("a build of %d events set a limit of %d", batchGCFrom, l)
	}
	large := enterBatchGC(1_000_000, false)
	if _, l := gcPace(); l < room {
		t.Errorf("a build of a million events after a small one has a limit of %d, want at least %d", l, room)
	}
	large()
	small()
	if p, l := gcPace(); p != percent || l != limit {
		t.Errorf("after both builds: percent %d, limit %d; want %d and %d back", p, l, percent, limit)
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	leave = enterBatchGC(1_000_000, false)
	if p, l := gcPace(); p != batchGCPercent || l != limit {
		t.Errorf("with GOMEMLIMIT set: percent %d, limit %d; want %d and the limit as it was (%d)", p, l, batchGCPercent, limit)
	}
	leave()
	t.Setenv("GOMEMLIMIT", "")

	t.Setenv("GOGC", "150")
	leave = enterBatchGC(1_000_000, false)
	if p, l := gcPace(); p != percent || l != limit {
		t.Errorf("with GOGC set the pace changed to %d, limit %d", p, l)
	}
	leave()
}

// A start that loads the snapshot of a long log decodes a heap as large as
// a build from zero makes, and has the batch pace while it does, and while
// it rebuilds the views if the snapshot is damaged; the pace is restored
// once the views are ready. A short log's start keeps the default pace.
func TestOpenPace(t *testing.T) {
	percent, limit := paceTest(t)
	for _, head := range []uint64{batchGCFrom - 1, batchGCFrom, 1_000_000} {
		for _, damaged := range []bool{false, true} {
			snaps := &paceSnapshots{damaged: damaged}
			src := &longLog{Store: inmem.NewStore(), head: head}
			r := NewRunner(src, DefaultConfig(), snaps, slog.New(slog.DiscardHandler))
			if err := r.Open(context.Background()); err != nil {
				t.Fatal(err)
			}
			r.CloseOffline()
			want := percent
			if head >= batchGCFrom {
				want = batchGCPercent
			}
			if !snaps.loaded || snaps.percent != want {
				t.Errorf("log of %d events: the snapshot was loaded (%v) at percent %d, want %d", head, snaps.loaded, snaps.percent, want)
			}
			if !src.read || src.percent != want {
				t.Errorf("log of %d events, damaged snapshot %v: the log was read (%v) at percent %d, want %d", head, damaged, src.read, src.percent, want)
			}
			if p, l := gcPace(); p != percent || l != limit {
				t.Errorf("log of %d events: once ready, percent %d and limit %d; want %d and %d back", head, p, l, percent, limit)
			}
		}
	}
}

// longLog is a store whose head is said to be at head; it records the
// collector's percent when its log is read.
type longLog struct {
	*inmem.Store
	head    uint64
	read    bool
	percent int
	during  func() // if set, called when the log is read
}

func (l *longLog) Head(context.Context) (uint64, error) { return l.head, nil }

func (l *longLog) ReadLog(ctx context.Context, from uint64, fn func(events.Record) error) error {
	l.read = true
	l.percent, _ = gcPace()
	if l.during != nil {
		l.during()
	}
	return l.Store.ReadLog(ctx, from, fn)
}

// paceSnapshots records the collector's percent when its snapshot is
// loaded: none, or a damaged one.
type paceSnapshots struct {
	damaged bool
	loaded  bool
	percent int
}

func (s *paceSnapshots) LoadSnapshot(context.Context) (io.ReadCloser, error) {
	s.loaded = true
	s.percent, _ = gcPace()
	if s.damaged {
		return io.NopCloser(strings.NewReader("not a snapshot")), nil
	}
	return nil, events.ErrNotFound
}

func (s *paceSnapshots) SaveSnapshot(context.Context, io.Reader) error { return nil }

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
