package events

import (
	"context"
	jsonv2 "github.com/go-json-experiment/json"
	"slices"
	"strings"

	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/text/unicode/norm"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Ledger is the write side of the ledger: it keeps the current state of
// every aggregate in memory (built from the log at start and kept current
// by following it), decides commands against that state, appends the
// resulting events with their hash chain and idempotency key, builds the
// Merkle tree over the log in order and signs checkpoints.
//
// Create one with NewLedger, call Open, then Handle commands; Close stops
// it. All methods are safe for concurrent use.
type Ledger struct {
	// Store is the log. Required.
	Store Store
	// Signer signs checkpoints. Required.
	Signer *CheckpointSigner
	// Origin is the checkpoint origin line; it is also the key name.
	Origin string
	// CheckpointInterval is how often a new checkpoint is signed when the
	// log has grown. Default 250 ms.
	CheckpointInterval time.Duration
	// Now is the clock for recorded_at. Default time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Metrics receives counts and timings. Optional.
	Metrics Metrics
	// Snapshots keeps a signed snapshot of the write side's state, so that
	// a restart replays only the log after it (see statesnap.go).
	// Optional: without it every start replays the whole log.
	Snapshots SnapshotStore
	// SnapshotEvery is how often a snapshot is saved while the log grows
	// (default 5 minutes); one is also saved by Close.
	SnapshotEvery time.Duration
	// AcceptUnsigned lets Open take a log that has events and no signed
	// checkpoint at all (a ledger that stopped before it signed its
	// first). Without it such a log is refused: its checkpoints may have
	// been removed to hide a rewritten history, which a new checkpoint
	// would then sign.
	AcceptUnsigned bool
	// LeafReader, if set, is a faster way to read the log's leaf hashes
	// (LeafHash of each record's stored bytes, from the store's own files)
	// for the check of a state snapshot at start; the store is read
	// instead if it fails. Optional.
	LeafReader func(ctx context.Context, from uint64, fn func(pos uint64, leaf [32]byte) error) error

	mu        sync.RWMutex
	states    map[string]*State
	positions map[string][]uint64 // stream -> positions, in version order
	keys      map[keyDigest]uint64
	tokens    map[string]string   // secret sha256 hex -> token ID
	takers    map[string][]string // unit ID -> the units that list it in predecessor_ids
	applied   uint64              // last position applied by the follower
	acked     uint64              // highest position the command path evolved a state or key to (may be ahead of applied)

	tree      Tree
	streamMu  [1024]sync.Mutex
	keyMu     [1024]sync.Mutex
	seed      maphash.Seed
	appliedCh chan struct{} // closed and replaced when applied grows

	cpMu      sync.Mutex
	cpSize    uint64
	cpNote    []byte
	cpCh      chan struct{} // closed and replaced when a checkpoint is stored
	pendingAt atomic.Int64  // unix nanos of the oldest leaf not yet in a checkpoint, 0 if none
	ready     atomic.Bool
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	followErr atomic.Value

	closed    atomic.Bool
	snapMu    sync.Mutex
	snapGate  sync.RWMutex // held by the command path while it evolves states; locked by a snapshot waiting for the follower
	snapSaved uint64
	snapFrom  uint64 // position of the snapshot the ledger started from, 0 if none
}

// Metrics is what the ledger reports to the metrics system. cmd wires a
// Prometheus implementation; nil disables reporting.
type Metrics interface {
	Appended(kind Kind, d time.Duration)
	Conflict()
	LogSize(events uint64)
	CheckpointLag(events uint64, seconds float64)
}

// keyDigest identifies an idempotency key in the scope of the token that
// used it: SHA-256(subject, 0, key), truncated.
type keyDigest [16]byte

func digestKey(subject, key string) keyDigest {
	h := sha256.New()
	h.Write([]byte(subject))
	h.Write([]byte{0})
	h.Write([]byte(key))
	var d keyDigest
	copy(d[:], h.Sum(nil))
	return d
}

// storeKey is the dedup key handed to the store for an idempotency key.
func (d keyDigest) storeKey() string { return "k-" + hex.EncodeToString(d[:]) }

// NewLedger returns a ledger over store, signing with signer.
func NewLedger(store Store, signer *CheckpointSigner, origin string) *Ledger {
	return &Ledger{
		Store:     store,
		Signer:    signer,
		Origin:    origin,
		states:    make(map[string]*State),
		positions: make(map[string][]uint64),
		keys:      make(map[keyDigest]uint64),
		tokens:    make(map[string]string),
		takers:    make(map[string][]string),
		seed:      maphash.MakeSeed(),
		appliedCh: make(chan struct{}),
		cpCh:      make(chan struct{}),
	}
}

// IntegrityError reports that the stored log does not match its own hash
// chains or its signed checkpoints: the store was damaged or altered.
type IntegrityError struct {
	// Position is the first position where something differs.
	Position uint64
	Reason   string
	// SignedBy names the keys ("name+hash") that signed the latest
	// checkpoint when none of them is the ledger's: most likely the
	// ledger was started with another ledger's signing key.
	SignedBy []string
}

// Error implements the error interface.
func (e *IntegrityError) Error() string {
	return fmt.Sprintf("integrity check failed at position %d: %s", e.Position, e.Reason)
}

// Open replays the log into memory, checks it against the latest signed
// checkpoint, then follows the log and signs checkpoints in the background.
// progress, if not nil, is called now and then with the number of events
// replayed and the log's head.
//
// Returns an *IntegrityError if a hash chain is broken, a position is
// missing, or the log does not match (or is shorter than) the latest
// checkpoint.
func (l *Ledger) Open(ctx context.Context, progress func(done, total uint64)) error {
	if l.CheckpointInterval <= 0 {
		l.CheckpointInterval = 250 * time.Millisecond
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.Logger == nil {
		l.Logger = slog.Default()
	}
	head, err := l.Store.Head(ctx)
	if err != nil {
		return fmt.Errorf("ledger: read head: %w", err)
	}
	cpSize, cpNote, err := l.latestAtStart(ctx, head)
	if err != nil {
		return err
	}
	var cp Checkpoint
	if cpNote != nil {
		if cp, err = OpenCheckpoint(cpNote, l.Signer.VerifierKey(), l.Origin); err != nil {
			return &IntegrityError{Position: cpSize, Reason: "the latest checkpoint does not verify with this ledger's key: " + ErrorMessage(err),
				SignedBy: otherSigners(cpNote, l.Signer.VerifierKey())}
		}
		if cp.Size != cpSize {
			return &IntegrityError{Position: cpSize, Reason: fmt.Sprintf("the latest checkpoint is stored as size %d but says %d", cpSize, cp.Size)}
		}
	}
	start := time.Now()
	l.snapFrom = l.loadSnapshot(ctx, head)
	l.snapSaved = l.snapFrom
	err = readOrdered(ctx, l.Store.ReadLog, l.snapFrom+1, 0, (*preparedRecord).prepare, func(pr *preparedRecord) error {
		if err := l.applyPrepared(pr); err != nil {
			return err
		}
		if progress != nil && pr.rec.Position%10000 == 0 {
			progress(pr.rec.Position, head)
		}
		return nil
	}, func(r Record) preparedRecord { return preparedRecord{rec: r} })
	if err != nil {
		var ie *IntegrityError
		if errors.As(err, &ie) || ctx.Err() != nil {
			return err
		}
		// The store could not deliver the next position: most often a
		// damaged or altered store file (JetStream hides a record whose
		// checksum fails), else a store out of reach.
		return &IntegrityError{Position: l.tree.Size() + 1, Reason: fmt.Sprintf("the log cannot be read at position %d (a damaged, altered or unreachable store): %v", l.tree.Size()+1, err)}
	}
	size := l.tree.Size()
	if progress != nil {
		progress(size, head)
	}
	if size < cp.Size {
		return &IntegrityError{Position: size + 1, Reason: fmt.Sprintf("the log ends at position %d but the latest signed checkpoint covers %d events: the store was truncated", size, cp.Size)}
	}
	if cpNote != nil {
		root, _ := l.tree.Root(cp.Size)
		if root != cp.Root {
			return &IntegrityError{Position: l.firstDifference(ctx, cp.Size), Reason: fmt.Sprintf("the log's first %d events do not match the latest signed checkpoint: events were altered (run ledger verify for details)", cp.Size)}
		}
	}
	l.cpSize, l.cpNote = cpSize, cpNote
	if size > cpSize {
		l.pendingAt.Store(time.Now().UnixNano())
	}
	l.Logger.Info("ledger replayed", "events", size, "from_snapshot", l.snapFrom, "streams", len(l.states), "checkpoint", cpSize, "took", time.Since(start).Round(time.Millisecond))
	if l.Metrics != nil {
		l.Metrics.LogSize(size)
	}
	fctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.wg.Add(3)
	go l.follow(fctx, size+1)
	go l.checkpointLoop(fctx)
	go l.snapshotLoop(fctx)
	l.ready.Store(true)
	return nil
}

// SnapshotPosition returns the position of the state snapshot the ledger
// started from, 0 if it replayed the whole log.
func (l *Ledger) SnapshotPosition() uint64 { return l.snapFrom }

// snapshotLoop saves a state snapshot every SnapshotEvery while the log
// grows.
func (l *Ledger) snapshotLoop(ctx context.Context) {
	defer l.wg.Done()
	if l.Snapshots == nil {
		return
	}
	every := l.SnapshotEvery
	if every <= 0 {
		every = 5 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := l.SaveSnapshot(ctx); err != nil && ctx.Err() == nil {
			l.Logger.Warn("saving the state snapshot failed; will retry", "err", err)
		}
	}
}

// firstDifference names the first position after the last checkpoint that
// still matches, for an error message; the exact position needs ledger
// verify with every checkpoint.
func (l *Ledger) firstDifference(ctx context.Context, size uint64) uint64 {
	var best uint64 = 1
	_ = l.Store.Checkpoints(ctx, func(s uint64, note []byte) error {
		if s >= size {
			return nil
		}
		cp, err := OpenCheckpoint(note, l.Signer.VerifierKey(), l.Origin)
		if err != nil {
			return nil
		}
		if root, err := l.tree.Root(cp.Size); err == nil && root == cp.Root && cp.Size+1 > best {
			best = cp.Size + 1
		}
		return nil
	})
	return best
}

// Ready reports whether the ledger has replayed its log and is following it.
func (l *Ledger) Ready() bool {
	if !l.ready.Load() {
		return false
	}
	return l.followErr.Load() == nil
}

// Close stops following the log and signing checkpoints; it signs a last
// checkpoint if the log grew and saves a last state snapshot. It does not
// close the store.
func (l *Ledger) Close() error { return l.close(true) }

// CloseOffline is Close for a store that cannot be reached: it neither
// signs a last checkpoint nor saves a last snapshot, each of which would
// wait for its timeout. The next start signs and snapshots what the log
// holds then; nothing acknowledged depends on them.
func (l *Ledger) CloseOffline() error { return l.close(false) }

func (l *Ledger) close(final bool) error {
	if l.cancel == nil || !l.closed.CompareAndSwap(false, true) {
		return nil
	}
	l.ready.Store(false)
	// Let the follower apply what the command path has acknowledged, so
	// that the last snapshot holds no state ahead of its position.
	l.mu.RLock()
	acked := l.acked
	l.mu.RUnlock()
	if l.followErr.Load() == nil {
		wctx, wcancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = l.WaitApplied(wctx, acked)
		wcancel()
	}
	l.cancel()
	l.wg.Wait()
	if !final {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := l.signCheckpoint(ctx)
	sctx, scancel := context.WithTimeout(context.Background(), time.Minute)
	defer scancel()
	// The follower has stopped: a write acknowledged after it did (a
	// request still running) leaves a state ahead of it, and the last
	// snapshot is then skipped rather than waited for.
	return errors.Join(err, l.saveSnapshot(sctx, false))
}

// follow applies records appended by anyone (this process included) in log
// order: the single place the Merkle tree grows.
func (l *Ledger) follow(ctx context.Context, from uint64) {
	defer l.wg.Done()
	backoff := 100 * time.Millisecond
	for {
		err := l.Store.Follow(ctx, from, func(r Record) error {
			if err := l.apply(r); err != nil {
				return err
			}
			from = r.Position + 1
			backoff = 100 * time.Millisecond
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		var ie *IntegrityError
		if errors.As(err, &ie) {
			l.followErr.Store(err)
			l.Logger.Error("the log failed its integrity check while following it; writes stop", "position", ie.Position, "reason", ie.Reason)
			return
		}
		l.Logger.Warn("following the log failed; retrying", "from", from, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// apply folds one stored record into memory: the tree, the stream's state
// (if the command path has not already), the idempotency index and the
// token index. Records must arrive in position order.
func (l *Ledger) apply(r Record) error {
	pr := preparedRecord{rec: r}
	pr.prepare()
	return l.applyPrepared(&pr)
}

// preparedRecord is a stored record with the work that does not depend on
// order done: decoding and hashing. A replay prepares records on several
// cores and applies them in order.
type preparedRecord struct {
	rec  Record
	env  Envelope
	p    Payload
	hash Hash
	leaf [32]byte
	err  error
}

func (pr *preparedRecord) prepare() {
	r := pr.rec
	env, err := ParseStored(r.Raw)
	if err != nil {
		pr.err = &IntegrityError{Position: r.Position, Reason: "the stored event is not a valid envelope: " + ErrorMessage(err)}
		return
	}
	kind, _, ok := SplitStream(env.Stream)
	if !ok || (r.Stream != "" && r.Stream != env.Stream) || kind != env.Kind || env.Type.Kind() != kind {
		pr.err = &IntegrityError{Position: r.Position, Reason: fmt.Sprintf("the event names stream %q (kind %s, type %s) but is stored under %q", env.Stream, env.Kind, env.Type, r.Stream)}
		return
	}
	pr.env = env
	p, err := decodeStored(env.Type, env.Data)
	if IsSyntaxError(err) {
		pr.err = &IntegrityError{Position: r.Position, Reason: "the stored event's data is not valid JSON: " + err.Error()}
		return
	}
	pr.env.Data = nil // decoded; not kept
	pr.p = p
	pr.hash = r.Hash()
	pr.leaf = LeafHash(r.Raw)
}

// applyPrepared folds one prepared record into memory: the tree, the
// stream's state (if the command path has not already), the idempotency
// index and the token index. Records must arrive in position order.
func (l *Ledger) applyPrepared(pr *preparedRecord) error {
	r := pr.rec
	l.mu.RLock()
	want := l.applied + 1
	l.mu.RUnlock()
	if r.Position < want {
		return nil // delivered twice after a reconnect
	}
	if r.Position != want {
		return &IntegrityError{Position: want, Reason: fmt.Sprintf("position %d is missing from the log (the next one is %d)", want, r.Position)}
	}
	if pr.err != nil {
		return pr.err
	}
	env, p, h := &pr.env, pr.p, pr.hash
	kind, id, _ := SplitStream(env.Stream)

	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.states[env.Stream]
	if st == nil {
		st = NewState(kind, id)
	}
	switch {
	case env.Version == st.version+1:
		if env.PrevHash != st.PrevHashString() {
			// The earlier event no longer hashes to what its successor
			// recorded: it was altered (or this prev_hash was).
			return &IntegrityError{Position: st.lastPos, Reason: fmt.Sprintf("%s version %d (position %d) hashes to %s but version %d (position %d) names %s",
				env.Stream, st.version, st.lastPos, st.PrevHashString(), env.Version, r.Position, env.PrevHash)}
		}
		st = Evolve(st, env, p, r.Position, h)
		l.states[env.Stream] = st
		l.positions[env.Stream] = append(l.positions[env.Stream], r.Position)
		l.indexTakers(st)
	case env.Version <= st.version && st.lastPos >= r.Position:
		// The command path applied it already.
		if env.Version == st.version && st.lastHash != h {
			return &IntegrityError{Position: r.Position, Reason: fmt.Sprintf("%s version %d differs from the event this ledger appended", env.Stream, env.Version)}
		}
	default:
		return &IntegrityError{Position: r.Position, Reason: fmt.Sprintf("%s jumps from version %d to %d", env.Stream, st.version, env.Version)}
	}
	if env.IdempotencyKey != "" {
		l.keys[digestKey(env.Actor.Subject, env.IdempotencyKey)] = r.Position
	}
	if d, ok := p.(*TokenCreatedData); ok {
		l.tokens[d.SecretSHA256] = id
	}
	l.applied = r.Position
	l.tree.Append(pr.leaf)
	if l.pendingAt.Load() == 0 {
		l.pendingAt.Store(time.Now().UnixNano())
	}
	close(l.appliedCh)
	l.appliedCh = make(chan struct{})
	if l.Metrics != nil {
		l.Metrics.LogSize(r.Position)
	}
	return nil
}

// DecodeStored decodes the payload of a stored event without validating it
// or normalising it: what is in the log happened, even if today's rules
// would refuse it. Read models use it.
func DecodeStored(t Type, data []byte) (Payload, error) { return decodeStored(t, data) }

// decodeStored decodes the payload of a stored event without validating it:
// what is in the log happened, even if today's rules would refuse it. Stored
// payloads are canonical (written by encoding/json from the payload types),
// so the stricter and about three times faster decoder of
// github.com/go-json-experiment/json (the prototype of encoding/json/v2)
// reads them to the same values (TestDecodeStoredMatchesEncodingJSON); a
// replay decodes every event of the log.
func decodeStored(t Type, data []byte) (Payload, error) {
	sp, ok := specsByType[t]
	if !ok {
		return nil, fmt.Errorf("events: unknown type %s", t)
	}
	p := sp.new()
	if err := jsonv2.Unmarshal(data, p); err != nil {
		return nil, err
	}
	return p, nil
}

// indexTakers notes which units a unit's state lists in its
// predecessor_ids, however the state came to be evolved (the follower, the
// command path, a catch-up on the stream; l.mu held for writing).
func (l *Ledger) indexTakers(st *State) {
	if f, ok := st.facts.(unitFacts); ok {
		for _, pre := range f.predecessors {
			if !slices.Contains(l.takers[pre], st.id) {
				l.takers[pre] = append(l.takers[pre], st.id)
			}
		}
	}
}

// TakenBy returns the units that list unit among their predecessor_ids:
// a merger recorded on the new unit's side (see UnitWithin).
func (l *Ledger) TakenBy(unit string) []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return slices.Clone(l.takers[unit])
}

// Lookup implements World.
func (l *Ledger) Lookup(stream string) *State {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.states[stream]
}

// Size returns the number of events in the Merkle tree (the log as followed).
func (l *Ledger) Size() uint64 { return l.tree.Size() }

// Tree returns the Merkle tree over the log, for proofs.
func (l *Ledger) Tree() *Tree { return &l.tree }

// Positions returns the log positions of a stream's events in version order.
func (l *Ledger) Positions(stream string) []uint64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]uint64(nil), l.positions[stream]...)
}

// WaitApplied blocks until the follower has applied position pos (so the
// tree includes it) or ctx ends.
func (l *Ledger) WaitApplied(ctx context.Context, pos uint64) error {
	for {
		l.mu.RLock()
		applied, ch := l.applied, l.appliedCh
		l.mu.RUnlock()
		if applied >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Request asks the ledger to record one event.
type Request struct {
	Kind Kind
	// ID names the aggregate; empty on a creation to have one generated.
	ID string
	// Create is true for POST /v1/{collection}: the event must start a new
	// aggregate.
	Create         bool
	Type           Type
	Data           json.RawMessage
	OccurredAt     time.Time
	Unit           string
	Classification Classification
	DocumentRef    *DocumentRef
	IdempotencyKey string
	// ExpectedVersion, if not nil, is the version the caller saw (If-Match).
	ExpectedVersion *uint64
	Actor           Actor

	occurredGiven bool
	// classDefault: no classification was given. The event takes its
	// kind's default, or its record's classification (its first event's)
	// if that is higher: an event of a confidential record is confidential
	// unless the recorder says otherwise.
	classDefault bool
}

// Result describes a recorded event.
type Result struct {
	EventID  string `json:"event_id"`
	ID       string `json:"id"`
	Stream   string `json:"stream"`
	Type     Type   `json:"type"`
	Version  uint64 `json:"version"`
	Position uint64 `json:"position"`
	Hash     string `json:"hash"`
	Status   Status `json:"status"`
	// Replayed is true when the request repeated an idempotency key: the
	// result is the first request's and nothing was written.
	Replayed bool `json:"replayed,omitempty"`
}

// MaxIdempotencyKey bounds the length of an idempotency key.
const MaxIdempotencyKey = 200

// Handle decides and records one event. Errors are *Error values (or
// sentinels ErrorCode maps): invalid, not_found, conflict (lifecycle,
// If-Match, a reused idempotency key), forbidden, unavailable.
func (l *Ledger) Handle(ctx context.Context, req Request) (Result, error) {
	if !l.Ready() {
		return Result{}, Errorf(EUnavailable, "The ledger is not ready.")
	}
	if err := l.checkRequest(&req); err != nil {
		return Result{}, err
	}
	if err := l.mayWrite(&req); err != nil {
		return Result{}, err
	}
	p, err := DecodePayload(req.Type, req.Data)
	if err != nil {
		return Result{}, err
	}
	if err := CheckSurrogates(req.Data, "data"); err != nil {
		return Result{}, err
	}
	if err := checkFactDates(p, l.Now()); err != nil {
		return Result{}, err
	}
	if req.IdempotencyKey != "" {
		d := digestKey(req.Actor.Subject, req.IdempotencyKey)
		km := &l.keyMu[(int(d[0])<<8|int(d[1]))%len(l.keyMu)]
		km.Lock()
		defer km.Unlock()
		if res, ok, err := l.replay(ctx, d, &req, p); ok || err != nil {
			return res, err
		}
	}
	if req.ID == "" {
		req.ID = newID()
	}
	stream := StreamName(req.Kind, req.ID)
	sm := &l.streamMu[maphash.String(l.seed, stream)%uint64(len(l.streamMu))]
	sm.Lock()
	defer sm.Unlock()
	for attempt := 0; ; attempt++ {
		res, err := l.decideAndAppend(ctx, stream, &req, p)
		if !errors.Is(err, ErrConcurrency) || req.ExpectedVersion != nil || attempt == 3 {
			if errors.Is(err, ErrConcurrency) && l.Metrics != nil {
				l.Metrics.Conflict()
			}
			return res, err
		}
		// Another writer (a second replica) appended first: catch up on
		// the stream and decide again.
		if err := l.catchUp(ctx, stream); err != nil {
			return Result{}, err
		}
	}
}

// mayWrite refuses, before the payload is looked at, a request its actor
// may not make at all: a type its role may not record, a record it creates
// in a unit outside its scope, or an event of a record it may read but
// not write. (Decide checks the same again with the state it decides on.)
// A caller without the right so learns nothing of what a valid payload
// would be. An event of a record the actor may not read is answered as
// one of a record never recorded (a payload error, or not found), so that
// the answer does not tell that the record exists.
func (l *Ledger) mayWrite(req *Request) error {
	sp := specsByType[req.Type] // checkRequest knows the type
	if !slices.Contains(sp.roles, req.Actor.Role) {
		return Errorf(EForbidden, "The role %s may not record %s (allowed: %s).", req.Actor.Role, req.Type, joinRoles(sp.roles))
	}
	if req.Create {
		if req.Unit == "" || !l.Lookup(StreamName(KindUnit, req.Unit)).Exists() {
			return nil // Decide asks for a registered one
		}
		return checkScope(NewState(req.Kind, req.ID), sp, req.Unit, req.Actor, l)
	}
	if st := l.Lookup(StreamName(req.Kind, req.ID)); req.ID != "" && st.Exists() && st.MayRead(req.Actor, l) {
		// One the actor may not read goes on as one never recorded: its
		// payload is checked, then Decide answers not found.
		return checkScope(st, sp, st.unitFor(req.Unit), req.Actor, l)
	}
	return nil
}

func (l *Ledger) checkRequest(req *Request) error {
	sp, ok := specsByType[req.Type]
	switch {
	case req.Type == "":
		return FieldErrorf("type", "type is required.")
	case !ok:
		return FieldErrorf("type", "Unknown event type %q.", req.Type)
	case req.Type.Kind() != req.Kind:
		return FieldErrorf("type", "%s is not an event of a %s.", req.Type, req.Kind)
	case req.Create && sp.from != nil:
		return FieldErrorf("type", "%s does not start a new %s; starting types: %s.", req.Type, req.Kind, joinTypes(creationTypes(req.Kind)))
	case !req.Create && sp.from == nil:
		return FieldErrorf("type", "%s starts a new %s: use POST on the collection.", req.Type, req.Kind)
	case req.ID != "" && !ValidID(req.ID):
		return FieldErrorf("id", "An ID is 1-64 letters, digits, '-' or '_'.")
	case len(req.IdempotencyKey) > MaxIdempotencyKey:
		return FieldErrorf("Idempotency-Key", "An idempotency key is at most %d bytes.", MaxIdempotencyKey)
	case req.Unit != "" && !ValidID(req.Unit):
		return FieldErrorf("unit", "A unit code is 1-64 letters, digits, '-' or '_'.")
	}
	if req.Classification == "" {
		req.Classification, req.classDefault = defaultClassification(req.Kind), true
	} else if !req.Classification.Valid() {
		return FieldErrorf("classification", "classification must be public, internal or confidential.")
	}
	if req.DocumentRef != nil {
		ref := *req.DocumentRef
		ref.Number = norm.NFC.String(strings.TrimSpace(ref.Number))
		req.DocumentRef = &ref
		// A document is signed by the time it is recorded: its date is
		// bound as every date of what has happened is (checkFactDates).
		if err := firstError(required("document_ref.number", req.DocumentRef.Number), requiredDate("document_ref.signed_on", req.DocumentRef.SignedOn),
			factDateInRange("document_ref.signed_on", req.DocumentRef.SignedOn, l.Now())); err != nil {
			return err
		}
	}
	now := l.Now()
	req.occurredGiven = !req.OccurredAt.IsZero()
	if req.OccurredAt.IsZero() {
		req.OccurredAt = now
	} else if req.OccurredAt.After(now.Add(36 * time.Hour)) {
		return FieldErrorf("occurred_at", "occurred_at is in the future.")
	} else if req.OccurredAt.Year() < 1945 {
		return FieldErrorf("occurred_at", "occurred_at is before 1945.")
	}
	return nil
}

func creationTypes(k Kind) []Type {
	var out []Type
	if r := allRules[k]; r != nil {
		for _, sp := range r.specs {
			if sp.from == nil {
				out = append(out, sp.typ)
			}
		}
	}
	return out
}

// defaultClassification: records holding citizens' personal data, and
// tokens, are internal unless the recorder says otherwise. (A later event
// of a record takes the record's classification if that is higher: see
// Request.classDefault.)
func defaultClassification(k Kind) Classification {
	switch k {
	case KindPetition, KindInfoRequest, KindToken, KindAdmin:
		return Internal
	}
	return Public
}

// replay returns the first result of a request repeated with the same
// idempotency key, if there was one. A key reused for a different request
// is a conflict.
func (l *Ledger) replay(ctx context.Context, d keyDigest, req *Request, p Payload) (Result, bool, error) {
	l.mu.RLock()
	pos, ok := l.keys[d]
	l.mu.RUnlock()
	if !ok {
		return Result{}, false, nil
	}
	rec, err := l.Store.Get(ctx, pos)
	if err != nil {
		return Result{}, false, fmt.Errorf("ledger: read event %d for an idempotent retry: %w", pos, err)
	}
	env, err := UnmarshalEnvelope(rec.Raw)
	if err != nil {
		return Result{}, false, err
	}
	if diff := requestDiffers(&env, req, p); diff != "" {
		return Result{}, false, &Error{Code: EConflict, Field: "Idempotency-Key", Message: fmt.Sprintf(
			"This idempotency key was already used for a different request (%s at position %d; the %s differs).", env.Type, pos, diff)}
	}
	status, err := l.statusAt(ctx, env.Stream, env.Version)
	if err != nil {
		return Result{}, false, err
	}
	_, id, _ := SplitStream(env.Stream)
	return Result{EventID: env.ID, ID: id, Stream: env.Stream, Type: env.Type, Version: env.Version, Position: pos, Hash: rec.Hash().String(),
		Status: status, Replayed: true}, true, nil
}

// requestDiffers names what a retried request changes compared with the
// stored event of its first attempt, or "" if it is the same request.
// occurred_at counts only if the retry gives one (otherwise the first
// attempt's default, the time of writing, stands).
func requestDiffers(env *Envelope, req *Request, p Payload) string {
	_, id, _ := SplitStream(env.Stream)
	data, _ := MarshalPayload(p)
	switch {
	case env.Kind != req.Kind || (req.ID != "" && req.ID != id):
		return "item"
	case env.Type != req.Type:
		return "type"
	case string(env.Data) != string(data):
		return "data"
	case !req.classDefault && env.Classification != req.Classification:
		return "classification"
	case req.Unit != "" && req.Unit != env.Unit:
		return "unit"
	case (env.DocumentRef == nil) != (req.DocumentRef == nil) || (env.DocumentRef != nil && *env.DocumentRef != *req.DocumentRef):
		return "document_ref"
	case req.occurredGiven && !req.OccurredAt.Equal(env.OccurredAt):
		return "occurred_at"
	case req.ExpectedVersion != nil && *req.ExpectedVersion+1 != env.Version:
		return "If-Match"
	}
	return ""
}

// statusAt returns the status a stream had right after its event of the
// given version: what the first answer of a retried request said. It reads
// the stream (the rare path of retries of older writes).
func (l *Ledger) statusAt(ctx context.Context, stream string, version uint64) (Status, error) {
	if st := l.Lookup(stream); st != nil && st.version == version {
		return st.status, nil
	}
	recs, err := l.Store.Load(ctx, stream)
	if err != nil {
		return "", fmt.Errorf("ledger: read %s for an idempotent retry: %w", stream, err)
	}
	st, _, err := foldRecords(stream, nil, recs, version)
	if err != nil {
		return "", err
	}
	return st.status, nil
}

func (l *Ledger) decideAndAppend(ctx context.Context, stream string, req *Request, p Payload) (Result, error) {
	st := l.Lookup(stream)
	if st == nil {
		st = NewState(req.Kind, req.ID)
	}
	// This replica's follower may not have applied another replica's
	// latest events yet: when a request needs more of the stream than this
	// ledger knows (an event on a stream it has not seen, an If-Match past
	// its version), ask the store before answering not_found or conflict.
	// A record the actor may not read is answered as one never recorded,
	// after a store round trip as for one (its answer's time tells less:
	// loading a stream that exists still costs more than finding none).
	if (!req.Create && (st.version == 0 || !st.MayRead(req.Actor, l))) || (req.ExpectedVersion != nil && *req.ExpectedVersion > st.version) {
		if err := l.catchUp(ctx, stream); err != nil {
			return Result{}, err
		}
		if s := l.Lookup(stream); s != nil {
			st = s
		}
	}
	if req.ExpectedVersion != nil {
		current := st.version
		if current > 0 && !st.MayRead(req.Actor, l) {
			current = 0 // as a record never recorded: Decide answers not found
		}
		if *req.ExpectedVersion != current {
			return Result{}, &VersionConflict{Stream: stream, Expected: *req.ExpectedVersion, Current: current}
		}
	}
	// Decide refuses a creation on an existing stream (checkRequest made
	// sure creation types go with Create).
	if err := Decide(st, Command{Type: req.Type, Payload: p, Actor: req.Actor, Unit: req.Unit}, l); err != nil {
		return Result{}, err
	}
	if needsStreamDates(st, req.Type) {
		if err := l.streamDates(ctx, st, req.Type, p); err != nil {
			return Result{}, err
		}
	}
	if c, ok := p.(*CorrectionData); ok {
		if err := l.checkCorrected(ctx, stream, c); err != nil {
			return Result{}, err
		}
	}
	unit := st.unitFor(req.Unit)
	if req.classDefault && st.class.Rank() > req.Classification.Rank() {
		req.Classification = st.class
	}
	data, err := MarshalPayload(p)
	if err != nil {
		return Result{}, fmt.Errorf("ledger: encode payload: %w", err)
	}
	env := Envelope{
		ID:             newID(),
		Stream:         stream,
		Kind:           req.Kind,
		Type:           req.Type,
		Version:        st.version + 1,
		OccurredAt:     req.OccurredAt,
		RecordedAt:     l.Now().UTC(),
		Actor:          req.Actor,
		Unit:           unit,
		Classification: req.Classification,
		DocumentRef:    req.DocumentRef,
		IdempotencyKey: req.IdempotencyKey,
		PrevHash:       st.PrevHashString(),
		Data:           data,
	}
	raw, err := env.Marshal()
	if err != nil {
		return Result{}, fmt.Errorf("ledger: encode envelope: %w", err)
	}
	pend := Pending{ID: env.ID, Raw: raw}
	if req.IdempotencyKey != "" {
		pend.Key = digestKey(req.Actor.Subject, req.IdempotencyKey).storeKey()
	}
	start := time.Now()
	a, err := l.Store.Append(ctx, stream, st.version, pend)
	if err != nil {
		return Result{}, err
	}
	if l.Metrics != nil {
		l.Metrics.Appended(req.Kind, time.Since(start))
	}
	replayed := false
	if a.Duplicate {
		// The store saw this key at this version already: report the
		// first event. If that is the event just sent (its answer was
		// lost and the store found it), this is not a replay.
		env2, err := UnmarshalEnvelope(a.Raw)
		if err != nil {
			return Result{}, err
		}
		if env2.ID != env.ID {
			// An earlier attempt with this key, not yet in this ledger's
			// index (another replica wrote it): the same rules as a replay.
			if diff := requestDiffers(&env2, req, p); diff != "" {
				return Result{}, &Error{Code: EConflict, Field: "Idempotency-Key", Message: fmt.Sprintf(
					"This idempotency key was already used for a different request (%s at position %d; the %s differs).", env2.Type, a.Position, diff)}
			}
			replayed = true
			if p, err = decodeStored(env2.Type, env2.Data); err != nil {
				return Result{}, fmt.Errorf("ledger: decode the first attempt at position %d: %w", a.Position, err)
			}
		}
		env, raw = env2, a.Raw
	}
	h := HashOf(raw)
	l.snapGate.RLock()
	defer l.snapGate.RUnlock()
	l.mu.Lock()
	cur := l.states[stream]
	if cur == nil {
		cur = st
	}
	if cur.version+1 == env.Version {
		cur = Evolve(cur, &env, p, a.Position, h)
		l.states[stream] = cur
		l.positions[stream] = append(l.positions[stream], a.Position)
		l.indexTakers(cur)
	}
	if req.IdempotencyKey != "" {
		l.keys[digestKey(req.Actor.Subject, req.IdempotencyKey)] = a.Position
	}
	if d, ok := p.(*TokenCreatedData); ok {
		l.tokens[d.SecretSHA256] = req.ID
	}
	l.acked = max(l.acked, a.Position)
	l.mu.Unlock()
	return Result{EventID: env.ID, ID: req.ID, Stream: stream, Type: env.Type, Version: env.Version, Position: a.Position, Hash: h.String(),
		Status: cur.status, Replayed: replayed}, nil
}

// catchUp brings one stream's state up to the store's version, for the
// rare case where another writer appended to it.
func (l *Ledger) catchUp(ctx context.Context, stream string) error {
	recs, err := l.Store.Load(ctx, stream)
	if err != nil {
		return fmt.Errorf("ledger: catch up %s: %w", stream, err)
	}
	l.snapGate.RLock()
	defer l.snapGate.RUnlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	st, folded, err := foldRecords(stream, l.states[stream], recs, 0)
	if err != nil {
		return err
	}
	if len(folded) == 0 {
		return nil // nothing new (or no such stream: keep no empty state for it)
	}
	l.states[stream] = st
	l.positions[stream] = append(l.positions[stream], folded...)
	l.indexTakers(st)
	if len(folded) > 0 {
		l.acked = max(l.acked, folded[len(folded)-1])
	}
	return nil
}

// foldRecords folds the stored records of one stream into st (nil for a
// stream not seen yet), skipping versions st already has and stopping
// after version upTo (0: all), with the checks the follower makes: the
// stream, the version order and the hash chain. It returns the new state
// and the positions it folded.
func foldRecords(stream string, st *State, recs []Record, upTo uint64) (*State, []uint64, error) {
	kind, id, ok := SplitStream(stream)
	if !ok {
		return nil, nil, Errorf(EInvalid, "Malformed stream name %q.", stream)
	}
	if st == nil {
		st = NewState(kind, id)
	}
	var folded []uint64
	for _, r := range recs {
		if upTo != 0 && r.Version > upTo {
			break
		}
		env, err := UnmarshalEnvelope(r.Raw)
		if err != nil {
			return nil, nil, &IntegrityError{Position: r.Position, Reason: "the stored event is not a valid envelope: " + ErrorMessage(err)}
		}
		if env.Stream != stream || env.Kind != kind {
			return nil, nil, &IntegrityError{Position: r.Position, Reason: fmt.Sprintf("the event names stream %q but is stored under %q", env.Stream, stream)}
		}
		if env.Version <= st.version {
			continue
		}
		if env.Version != st.version+1 || env.PrevHash != st.PrevHashString() {
			return nil, nil, &IntegrityError{Position: r.Position, Reason: fmt.Sprintf("%s version %d does not follow version %d (hash %s)", stream, env.Version, st.version, st.PrevHashString())}
		}
		p, _ := decodeStored(env.Type, env.Data)
		st = Evolve(st, &env, p, r.Position, r.Hash())
		folded = append(folded, r.Position)
	}
	return st, folded, nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Authenticate returns the actor of a token secret. Returns an *Error with
// code unauthorized for an unknown, revoked or expired token.
func (l *Ledger) Authenticate(secret string) (Actor, error) {
	if secret == "" {
		return Actor{}, Errorf(EUnauthorized, "A bearer token is required.")
	}
	// Every request is authenticated: the secret's digest, its hex and
	// the token's stream name are put together on the stack (a map index
	// by string(bytes) does not copy), and only the subject is allocated.
	var buf [96]byte
	sum := sha256.Sum256(append(buf[:0], secret...))
	var digest [2 * sha256.Size]byte
	hex.Encode(digest[:], sum[:])
	l.mu.RLock()
	id, ok := l.tokens[string(digest[:])]
	stream := append(append(buf[:0], KindToken...), '/')
	st := l.states[string(append(stream, id...))]
	l.mu.RUnlock()
	if !ok || st == nil {
		return Actor{}, Errorf(EUnauthorized, "The token is not valid.")
	}
	info, _ := st.TokenInfo()
	if info.Revoked {
		return Actor{}, Errorf(EUnauthorized, "The token was revoked.")
	}
	if info.ExpiresOn != "" && DateOf(l.Now().In(vietnam)) > info.ExpiresOn {
		return Actor{}, Errorf(EUnauthorized, "The token expired on %s.", info.ExpiresOn)
	}
	return Actor{Subject: StreamName(KindToken, id), Role: info.Role, Unit: info.Unit, Party: info.Party}, nil
}

// HasTokens reports whether any token was ever created.
func (l *Ledger) HasTokens() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.tokens) > 0
}

// latestAtStart returns the store's latest checkpoint for Open. A log
// with events and none is refused unless AcceptUnsigned, after waiting a
// few checkpoint intervals for another replica that has just written them
// to sign one.
func (l *Ledger) latestAtStart(ctx context.Context, head uint64) (uint64, []byte, error) {
	wait := time.Now().Add(max(2*time.Second, 4*l.CheckpointInterval))
	for {
		size, note, err := l.Store.LatestCheckpoint(ctx)
		switch {
		case err == nil:
			return size, note, nil
		case !errors.Is(err, ErrNotFound):
			return 0, nil, fmt.Errorf("ledger: read latest checkpoint: %w", err)
		case head == 0 || l.AcceptUnsigned:
			return 0, nil, nil
		case time.Now().After(wait):
			return 0, nil, &IntegrityError{Position: 1, Reason: fmt.Sprintf("the log has %d events but no signed checkpoint: its checkpoints were removed (a rewritten history would then be signed anew), or the ledger stopped before it signed its first. Check the log against a checkpoint kept elsewhere (ledger verify --checkpoint); if it is sound, start once with --accept-unsigned-log", head)}
		}
		select {
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		case <-time.After(l.CheckpointInterval):
		}
	}
}

// LatestCheckpoint returns the latest checkpoint this ledger signed or
// found at start. Returns ErrNotFound before the first one.
func (l *Ledger) LatestCheckpoint() (uint64, []byte, error) {
	l.cpMu.Lock()
	defer l.cpMu.Unlock()
	if l.cpNote == nil {
		return 0, nil, ErrNotFound
	}
	return l.cpSize, l.cpNote, nil
}

// WaitCheckpoint blocks until a signed checkpoint covers position pos.
func (l *Ledger) WaitCheckpoint(ctx context.Context, pos uint64) error {
	for {
		l.cpMu.Lock()
		size, ch := l.cpSize, l.cpCh
		l.cpMu.Unlock()
		if size >= pos {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

func (l *Ledger) checkpointLoop(ctx context.Context) {
	defer l.wg.Done()
	t := time.NewTicker(l.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := l.signCheckpoint(ctx); err != nil && ctx.Err() == nil {
			l.Logger.Warn("signing a checkpoint failed; will retry", "err", err)
		}
		if l.Metrics != nil {
			lag, secs := l.CheckpointLag()
			l.Metrics.CheckpointLag(lag, secs)
		}
	}
}

// CheckpointLag returns how many events and how many seconds the latest
// checkpoint is behind the followed log.
func (l *Ledger) CheckpointLag() (uint64, float64) {
	l.cpMu.Lock()
	size := l.cpSize
	l.cpMu.Unlock()
	n := l.tree.Size()
	if n <= size {
		return 0, 0
	}
	var secs float64
	if at := l.pendingAt.Load(); at != 0 {
		secs = time.Since(time.Unix(0, at)).Seconds()
	}
	return n - size, secs
}

// signCheckpoint signs and stores a checkpoint of the current tree if it
// grew since the last one.
func (l *Ledger) signCheckpoint(ctx context.Context) error {
	size := l.tree.Size()
	l.cpMu.Lock()
	last := l.cpSize
	l.cpMu.Unlock()
	if size == 0 || size <= last {
		return nil
	}
	pending := l.pendingAt.Swap(0)
	root, err := l.tree.Root(size)
	if err != nil {
		return err
	}
	note, err := l.Signer.Sign(Checkpoint{Origin: l.Origin, Size: size, Root: root})
	if err != nil {
		l.pendingAt.CompareAndSwap(0, pending)
		return err
	}
	if err := l.Store.PutCheckpoint(ctx, size, note); err != nil {
		l.pendingAt.CompareAndSwap(0, pending)
		return err
	}
	if l.tree.Size() > size {
		l.pendingAt.CompareAndSwap(0, time.Now().UnixNano())
	}
	l.cpMu.Lock()
	if size > l.cpSize {
		l.cpSize, l.cpNote = size, note
		close(l.cpCh)
		l.cpCh = make(chan struct{})
	}
	l.cpMu.Unlock()
	return nil
}
