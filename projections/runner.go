package projections

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// Runner keeps the views current: it loads the latest snapshot, catches up
// from the log, then follows it, applying each record in order. Readers see
// the views through Read and View; Apply happens under the write lock.
type Runner struct {
	src   Source
	cfg   *Config
	snaps SnapshotStore
	log   *slog.Logger
	// SnapshotEvery is how often a changed set of views is saved
	// (default 5 minutes); Close saves one too.
	SnapshotEvery time.Duration
	// OnApplied, if set, is called with each new position (metrics).
	OnApplied func(pos uint64)
	// LogFiles, if set, is a faster way to read the log from its first
	// position (the embedded server's block files: no consumer, no client
	// protocol), used when views are built from zero: at a start without a
	// snapshot, a rebuild, an as_of. What it cannot read, it stops at; the
	// rest is read from the source.
	LogFiles func(ctx context.Context, from uint64, fn func(events.Record) error) error
	// HugePages is for a process that builds views and exits (`ledger
	// rebuild`, `ledger replay`): its first large Build grows the heap in
	// transparent huge pages (hugepages_linux.go). Not for a process that
	// goes on to serve: after a start with them, a serve process's reads
	// at 6,000/s had a p99 up to ten times as long, and Open never asks.
	HugePages bool

	mu sync.RWMutex
	v  *Views
	// saveMu is held by a snapshot save while it reads the views, and
	// taken by a writer before it waits for mu (lockViews).
	saveMu sync.Mutex
	// rebuildMu lets one Rebuild run at a time: each builds a whole second
	// set of views beside the runner's (0.7 GiB at a million events), and
	// concurrent POST /v1/admin/rebuild would hold one each.
	rebuildMu sync.Mutex
	// expireEvery is how often past views unused for historyIdle are
	// dropped (historyEvery if 0; tests set less).
	expireEvery time.Duration
	pos         atomic.Uint64
	saved       atomic.Uint64
	waitMu      sync.Mutex
	waitCh      chan struct{}
	ready       atomic.Bool
	history     historyCache

	life   sync.Mutex // guards cancel and done
	cancel context.CancelFunc
	done   chan struct{}
	// failed is the last failure to follow the log, and the position
	// the views were at (FollowError).
	failed atomic.Pointer[followFailure]
}

// followFailure is a failure to follow the log at a position.
type followFailure struct {
	err error
	at  uint64
}

// followHealthy is how long following the log again must go on without
// failing for its last failure to be cleared (an idle log applies nothing).
const followHealthy = 2 * time.Second

// FollowError returns why following the log last failed, if the views
// have applied nothing since and following again has not gone on for
// followHealthy without failing (they retry, and the error is stale once
// they move on); nil otherwise.
func (r *Runner) FollowError() error {
	if f := r.failed.Load(); f != nil && f.at == r.pos.Load() {
		return f.err
	}
	return nil
}

// NewRunner returns a runner over src. snaps may be nil (no snapshots).
func NewRunner(src Source, cfg *Config, snaps SnapshotStore, logger *slog.Logger) *Runner {
	if logger == nil {
		logger = slog.Default()
	}
	return &Runner{src: src, cfg: cfg, snaps: snaps, log: logger, SnapshotEvery: 5 * time.Minute, waitCh: make(chan struct{}), v: NewViews(cfg)}
}

// Config returns the runner's configuration.
func (r *Runner) Config() *Config { return r.cfg }

// Open loads the snapshot (if any, and made under the same configuration),
// catches up with the log as it stands, and then follows it in the
// background. The runner is ready when Open returns nil.
func (r *Runner) Open(ctx context.Context) error {
	start := time.Now()
	// The log's length says how large a heap the start makes: a snapshot
	// of a long log decodes into one as a build from zero does, and
	// either runs at the batch pace (gc.go) until the views are ready.
	head := r.head(ctx, 0)
	leave := enterBatchGC(head, false)
	defer leave()
	from := "the log"
	if v, err := r.loadSnapshot(ctx); err != nil {
		r.log.Warn("projections: snapshot not used; rebuilding from the log", "reason", err)
	} else if v != nil {
		r.setViews(v)
		r.saved.Store(v.pos)
		from = fmt.Sprintf("a snapshot at position %d", v.pos)
	}
	loaded := r.pos.Load()
	// Open locks mu itself (here, in catchUp and below): no save runs
	// before follow starts, so no writer here waits behind one.
	r.mu.Lock()
	v := r.v
	v.deferred = loaded == 0 // the whole log: index obligations once at the end
	if loaded == 0 {
		v.reserve(head)
	}
	r.mu.Unlock()
	if err := r.catchUp(ctx, v, &r.mu, 0); err != nil {
		return err
	}
	if v.deferred {
		r.mu.Lock()
		v.deferred = false
		v.indexObligations()
		r.mu.Unlock()
	}
	leave()
	r.log.Info("projections ready", "from", from, "position", r.pos.Load(), "applied", r.pos.Load()-loaded, "took", time.Since(start).Round(time.Millisecond))
	r.ready.Store(true)
	fctx, cancel := context.WithCancel(context.Background())
	r.life.Lock()
	r.cancel, r.done = cancel, make(chan struct{})
	r.life.Unlock()
	go r.follow(fctx)
	return nil
}

func (r *Runner) loadSnapshot(ctx context.Context) (*Views, error) {
	if r.snaps == nil {
		return nil, nil
	}
	// A deadline of its own: without one the object store gives each API
	// call and each read 5 s, which a server still recovering its streams
	// after a restart can exceed.
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rc, err := r.snaps.LoadSnapshot(ctx)
	if errors.Is(err, events.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	v, err := DecodeViews(rc, r.cfg)
	if err != nil {
		return nil, err
	}
	// Read to the end: the store checks the snapshot's digest there, and
	// anything after the views is damage.
	if n, err := io.ReadFull(rc, make([]byte, 1)); n > 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = errors.New("bytes after the views")
		}
		return nil, fmt.Errorf("projections: the snapshot at position %d: %w", v.Position(), err)
	}
	// The snapshot must be of this log as it stands: a log restored from
	// an older backup (shorter than the snapshot), or another ledger's,
	// would otherwise be served with views of events it does not hold,
	// and the events appended at the positions the snapshot claims
	// would never be applied.
	if err := r.checkSnapshotLog(ctx, v); err != nil {
		return nil, err
	}
	return v, nil
}

// checkSnapshotLog checks that the log holds, at the position of views v
// loaded from a snapshot, the event the views applied there.
func (r *Runner) checkSnapshotLog(ctx context.Context, v *Views) error {
	if v.pos == 0 {
		return nil
	}
	var found bool
	var h events.Hash
	err := r.src.ReadLog(ctx, v.pos, func(rec events.Record) error {
		found, h = rec.Position == v.pos, rec.Hash()
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return fmt.Errorf("projections: reading the log at the snapshot's position %d: %w", v.pos, err)
	}
	if !found {
		return fmt.Errorf("projections: the snapshot is at position %d, beyond the log's head (%d): a log restored from an older copy?", v.pos, r.head(ctx, 0))
	}
	if h != v.Hash(v.pos) {
		return fmt.Errorf("projections: the snapshot at position %d is not of this log: the event there is %s, not %s", v.pos, h, v.Hash(v.pos))
	}
	return nil
}

// lockViews locks the views for writing. A snapshot save reads them under
// the read lock while it encodes them (0.7-2.6 s at a million events); a writer waiting
// on sync.RWMutex meanwhile would hold back every reader that came after
// it, so that every read stalled until the save ended. A writer therefore
// first waits for a save on saveMu, which readers do not take, and only
// then for the read lock's holders, whose reads are short.
func (r *Runner) lockViews() {
	r.saveMu.Lock()
	r.mu.Lock()
	r.saveMu.Unlock()
}

func (r *Runner) setViews(v *Views) {
	r.lockViews()
	r.v = v
	r.mu.Unlock()
	r.advance(v.pos)
}

// advance publishes a new position to waiters.
func (r *Runner) advance(pos uint64) {
	r.pos.Store(pos)
	r.waitMu.Lock()
	close(r.waitCh)
	r.waitCh = make(chan struct{})
	r.waitMu.Unlock()
	if r.OnApplied != nil {
		r.OnApplied(pos)
	}
}

// errStop ends a read at the wanted position.
var errStop = errors.New("stop")

// catchUp applies the log from v's position to its head (or to upTo, if
// not 0), decoding on several cores. mu, if not nil, is held while applying
// each record, and the runner's position advances with it.
func (r *Runner) catchUp(ctx context.Context, v *Views, mu *sync.RWMutex, upTo uint64) error {
	if r.LogFiles != nil && v.pos == 0 {
		// The files hold the log as far as the server has written it; a
		// damaged or unreadable file, or one still being written, ends
		// this read where the views are, and the source takes over.
		err := r.apply(ctx, r.LogFiles, v, mu, upTo)
		var ae applyError
		switch {
		case err == nil:
		case errors.Is(err, errStop):
			return nil
		case errors.As(err, &ae):
			return ae.err
		case ctx.Err() != nil:
			return err
		default:
			r.log.Info("projections: the store's files could not be read to their end; reading the store", "err", err, "position", v.pos)
		}
	}
	err := r.apply(ctx, r.src.ReadLog, v, mu, upTo)
	if errors.Is(err, errStop) {
		return nil
	}
	if ae := (applyError{}); errors.As(err, &ae) {
		return ae.err
	}
	return err
}

// applyError is an error of Views.Apply, not of the read.
type applyError struct{ err error }

func (e applyError) Error() string { return e.err.Error() }

// apply applies what read yields from v's position on, up to upTo (0: its
// end), decoding on several cores.
func (r *Runner) apply(ctx context.Context, read func(context.Context, uint64, func(events.Record) error) error, v *Views, mu *sync.RWMutex, upTo uint64) error {
	n := 0
	err := events.ReadOrdered(ctx, read, v.pos+1, 0, (*Prepared).prepare, func(p *Prepared) error {
		if upTo > 0 && p.Rec.Position > upTo {
			return errStop
		}
		if mu != nil {
			mu.Lock()
		}
		err := v.Apply(p)
		if mu != nil {
			mu.Unlock()
			n++
			if n%1024 == 0 {
				r.advance(v.pos)
			}
		}
		if err != nil {
			return applyError{err}
		}
		return nil
	}, func(rec events.Record) Prepared { return Prepared{Rec: rec} })
	if mu != nil {
		r.advance(v.pos)
	}
	return err
}

// follow applies new records as they are appended, until Close.
func (r *Runner) follow(ctx context.Context) {
	defer close(r.done)
	snap := time.NewTicker(r.snapshotEvery())
	defer snap.Stop()
	go func() {
		every := historyEvery
		if r.expireEvery > 0 {
			every = r.expireEvery
		}
		history := time.NewTicker(every)
		defer history.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-history.C:
				r.history.expire(historyIdle)
			case <-snap.C:
				if r.pos.Load() > r.saved.Load() {
					if err := r.Snapshot(ctx); err != nil && ctx.Err() == nil {
						r.log.Warn("projections: saving a snapshot failed", "err", err)
					}
				}
			}
		}
	}()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		// Following again for followHealthy without failing clears the
		// failure, even if the log is idle and nothing is applied.
		var healthy *time.Timer
		if f := r.failed.Load(); f != nil {
			healthy = time.AfterFunc(followHealthy, func() { r.failed.CompareAndSwap(f, nil) })
		}
		err := r.src.Follow(ctx, r.pos.Load()+1, func(rec events.Record) error {
			p := Prepare(rec)
			r.lockViews()
			err := r.v.Apply(&p)
			pos := r.v.pos
			r.mu.Unlock()
			if err != nil {
				return err
			}
			r.advance(pos)
			return nil
		})
		if healthy != nil {
			healthy.Stop()
		}
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("projections: following the log failed; retrying", "err", err, "position", r.pos.Load())
		r.failed.Store(&followFailure{err: err, at: r.pos.Load()})
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (r *Runner) snapshotEvery() time.Duration {
	if r.SnapshotEvery <= 0 {
		return 5 * time.Minute
	}
	return r.SnapshotEvery
}

// Ready reports whether Open has caught up with the log.
func (r *Runner) Ready() bool { return r.ready.Load() }

// Position returns the position of the last record applied.
func (r *Runner) Position() uint64 { return r.pos.Load() }

// WaitPosition waits until the views have applied pos, or ctx ends.
func (r *Runner) WaitPosition(ctx context.Context, pos uint64) error {
	for {
		r.waitMu.Lock()
		ch := r.waitCh
		r.waitMu.Unlock()
		if r.pos.Load() >= pos {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Read calls fn with the current views under the read lock: fn must not
// keep them, or anything in them, after it returns.
func (r *Runner) Read(fn func(*Views)) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	fn(r.v)
}

// Latest, as View's position, means the views as they are now.
const Latest = ^uint64(0)

// View calls fn with the views as they stood at position asOf: Latest (or
// any position at or past the current one) means now, 0 the empty views
// before the first event. Past views are rebuilt from the log and kept in a
// small cache. fn must not keep the views after it returns.
func (r *Runner) View(ctx context.Context, asOf uint64, fn func(*Views) error) error {
	if asOf >= r.pos.Load() {
		r.mu.RLock()
		// The follower publishes its position after it applied a record
		// and let go of the lock: the views may have passed asOf since.
		if asOf == Latest || r.v.Position() <= asOf {
			defer r.mu.RUnlock()
			return fn(r.v)
		}
		r.mu.RUnlock()
	}
	if asOf == 0 {
		return fn(NewViews(r.cfg))
	}
	v, err := r.history.get(asOf, func() (*Views, error) { return r.Build(ctx, asOf) })
	if err != nil {
		return err
	}
	return fn(v)
}

// Build folds the log from the start up to position upTo (0: its head)
// into new views, without touching the runner's.
func (r *Runner) Build(ctx context.Context, upTo uint64) (*Views, error) {
	v := NewViews(r.cfg)
	v.deferred = true // the views are not read until built: index once at the end
	head := r.head(ctx, upTo)
	defer enterBatchGC(head, r.HugePages)() // first: the per-position lists are the build's heap too
	v.reserve(head)
	if err := r.catchUp(ctx, v, nil, upTo); err != nil {
		return nil, err
	}
	v.deferred = false
	v.indexObligations()
	return v, nil
}

// head returns upTo, or if 0 the log's head as the source tells it (0 if
// it does not).
func (r *Runner) head(ctx context.Context, upTo uint64) uint64 {
	if h, ok := r.src.(interface {
		Head(context.Context) (uint64, error)
	}); ok && upTo == 0 {
		upTo, _ = h.Head(ctx)
	}
	return upTo
}

// CatchUp applies the log to v (views not in use by the runner) from v's
// position up to upTo (0: the head).
func (r *Runner) CatchUp(ctx context.Context, v *Views, upTo uint64) error {
	return r.catchUp(ctx, v, nil, upTo)
}

// Rebuild builds the views from the start of the log, catches them up with
// records appended meanwhile, swaps them in and saves a snapshot. It
// returns the position reached.
func (r *Runner) Rebuild(ctx context.Context) (uint64, error) {
	r.rebuildMu.Lock()
	defer r.rebuildMu.Unlock()
	v, err := r.Build(ctx, 0)
	if err != nil {
		return 0, err
	}
	r.lockViews()
	// Records applied to the old views meanwhile: apply them to the new.
	err = r.catchUp(ctx, v, nil, r.v.pos)
	if err == nil {
		r.v = v
	}
	r.mu.Unlock()
	if err != nil {
		return 0, err
	}
	r.history.clear()
	return v.pos, r.Snapshot(ctx)
}

// Snapshot saves the current views, if the runner has a snapshot store.
func (r *Runner) Snapshot(ctx context.Context) error {
	if r.snaps == nil {
		return nil
	}
	buf := events.NewSnapshotSpool(r.snaps)
	defer buf.Close()
	pos, err := r.encodeViews(buf)
	if err != nil {
		return err
	}
	if err := buf.Save(ctx); err != nil {
		return err
	}
	r.saved.Store(pos)
	r.log.Debug("projections: snapshot saved", "position", pos)
	return nil
}

// encodeViews encodes the current views to w, holding them as a save
// does (lockForSave), and returns their position.
func (r *Runner) encodeViews(w io.Writer) (uint64, error) {
	unlock := r.lockForSave()
	defer unlock()
	return r.v.pos, r.v.Encode(w)
}

// lockForSave holds the views for reading and saveMu, so that writers
// wait for the save on saveMu (lockViews), and returns what unlocks them.
func (r *Runner) lockForSave() (unlock func()) {
	r.saveMu.Lock()
	r.mu.RLock()
	return func() {
		r.mu.RUnlock()
		r.saveMu.Unlock()
	}
}

// Close stops following the log and saves a snapshot.
func (r *Runner) Close() error { return r.close(true) }

// CloseOffline stops following the log without saving a snapshot, for a
// snapshot store that cannot be reached (the save would wait for its
// timeout). The next start catches up from the last snapshot saved.
func (r *Runner) CloseOffline() error { return r.close(false) }

func (r *Runner) close(final bool) error {
	r.life.Lock()
	cancel, done := r.cancel, r.done
	r.cancel = nil
	r.life.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	<-done
	if final && r.pos.Load() > r.saved.Load() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return r.Snapshot(ctx)
	}
	return nil
}

// historyCache keeps the last few past views built for as_of queries, for
// as long as they are used: an inspector pages through one point in the
// past, and a build there takes seconds. Views far back are small, but
// views of last week are nearly as large as the current ones (0.7 GiB
// at a million events), so views unused for historyIdle are dropped
// (expire, every historyEvery).
type historyCache struct {
	mu      sync.Mutex
	entries []historyEntry
	// building serialises builds: two requests for the same point share one.
	building sync.Mutex
	// now is the clock; time.Now if nil. Tests inject their own.
	now func() time.Time
}

type historyEntry struct {
	v    *Views
	used time.Time
}

const (
	historySize  = 2
	historyIdle  = 5 * time.Minute
	historyEvery = time.Minute
)

func (h *historyCache) clock() time.Time {
	if h.now != nil {
		return h.now()
	}
	return time.Now()
}

func (h *historyCache) get(pos uint64, build func() (*Views, error)) (*Views, error) {
	if v := h.lookup(pos); v != nil {
		return v, nil
	}
	h.building.Lock()
	defer h.building.Unlock()
	if v := h.lookup(pos); v != nil {
		return v, nil
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.entries = append(h.entries, historyEntry{v: v, used: h.clock()})
	if len(h.entries) > historySize {
		h.entries = slices.Delete(h.entries, 0, 1) // clears the slot: nothing keeps the oldest
	}
	h.mu.Unlock()
	return v, nil
}

func (h *historyCache) lookup(pos uint64) *Views {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, e := range h.entries {
		if e.v.pos == pos {
			h.entries[i].used = h.clock()
			return e.v
		}
	}
	return nil
}

// expire drops the views unused for idle or longer.
func (h *historyCache) expire(idle time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.clock()
	h.entries = slices.DeleteFunc(h.entries, func(e historyEntry) bool { return now.Sub(e.used) >= idle })
	if len(h.entries) == 0 {
		h.entries = nil
	}
}

func (h *historyCache) clear() {
	h.mu.Lock()
	h.entries = nil
	h.mu.Unlock()
}

// ReadSnapshot is a SnapshotStore in memory, for tests and for `ledger
// rebuild --out`.
type MemorySnapshots struct {
	mu   sync.Mutex
	data []byte
}

// LoadSnapshot implements SnapshotStore.
func (m *MemorySnapshots) LoadSnapshot(context.Context) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil, events.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(m.data)), nil
}

// SaveSnapshot implements SnapshotStore.
func (m *MemorySnapshots) SaveSnapshot(_ context.Context, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.data = b
	m.mu.Unlock()
	return nil
}

// Bytes returns the saved snapshot.
func (m *MemorySnapshots) Bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data
}
