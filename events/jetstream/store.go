package jetstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/mttq-vn/ledger/events"
)

// Headers the store writes beside JetStream's own Nats-Msg-Id. Header names
// are case-sensitive in NATS.
const (
	hdrID       = "Ledger-Id"
	hdrKey      = "Ledger-Key"
	hdrVersion  = "Ledger-Version"
	hdrTreeSize = "Ledger-Tree-Size"
)

const (
	// maxInFlight bounds the appends waiting for their acknowledgement. The
	// driver's own limit is set a little higher so that it never stalls: a
	// stalled driver fails the publish after 200 ms instead of waiting.
	maxInFlight = 4096
	// ackTimeout bounds the wait for the answer to one atomic batch (see
	// group.go), and is the default Config.AckTimeout of a replicated
	// stream. On a cluster an answer is lost when the stream's leader
	// dies: the message went to a server that will never answer, and
	// waiting longer only adds to the pause (a raw client stalled 4.2-7.8
	// s after a kill -9 of the leader, the Raft election; see
	// ../shared/nats-notes.md). A batch that gets no answer in time is
	// published again one append at a time, each with its own retries.
	ackTimeout = 2 * time.Second
	// singleAckTimeout is the default Config.AckTimeout of a stream with
	// one replica: there is no leader to fail over to, so a late answer
	// means a busy disk (under SyncAlways a full pipeline drains at about
	// 5k appends/s, and much slower on a slow disk), and a lost connection
	// fails the attempt at once anyway.
	singleAckTimeout = 30 * time.Second
	// readTimeout bounds each read an append makes (the stream's last
	// event, the event of a duplicate), like an attempt, so that Append
	// does not wait for a stream leader that is gone. A read takes well
	// under a millisecond.
	readTimeout = 2 * time.Second
	// lagRetries and lagRetryWait bound how long a reader waits for a
	// replica that is behind the stream's leader (see read).
	lagRetries   = 40
	lagRetryWait = 50 * time.Millisecond
	// firstRetryWait and maxRetryWait bound the pause between two
	// attempts of an append, which matters after a failure that came fast
	// (no responders, disconnected): it starts at the first and doubles
	// after each attempt, up to the second.
	firstRetryWait = 50 * time.Millisecond
	maxRetryWait   = 500 * time.Millisecond
	// readBatch is how many messages a reader asks the server for at once,
	// and readBytes how many bytes at most: together they bound what one
	// reader (a replay, Follow) holds in memory while its caller is busy,
	// whatever the events' size (about 1.2 MiB of 1 KiB events; 8 MiB of
	// events up to the API's 256 KiB bodies, instead of up to 256 MiB).
	readBatch = 1000
	readBytes = 8 << 20
	// readHeartbeat is how often the server tells an idle reader it is
	// still there: a reader that hears nothing for twice as long makes
	// its consumer anew from where it was.
	readHeartbeat = time.Second
	// cleanupTimeout bounds the deletion of a reader's consumer.
	cleanupTimeout = 2 * time.Second
)

// Config configures a Store. A zero field takes the default its comment names.
type Config struct {
	// StreamName is the JetStream stream that holds every event. Default "LEDGER".
	StreamName string
	// SubjectPrefix starts every event subject: stream "supervision/0190abc"
	// is stored under "<prefix>.supervision.0190abc". Default "ledger.ev".
	SubjectPrefix string
	// CheckpointStream holds the signed checkpoints. Default "LEDGER_CHECKPOINTS".
	CheckpointStream string
	// CheckpointSubject starts the checkpoint subjects: the note for a tree
	// of size n is stored under "<subject>.<n>". Default "ledger.cp".
	CheckpointSubject string
	// Replicas is the number of copies of each stream. Default 1.
	Replicas int
	// DuplicateWindow is how long JetStream remembers the dedup keys of
	// appends. Within it, a key reused for another stream or version is
	// refused with code conflict. Retries of the same append are recognised
	// forever, from the stored headers. Default 10 minutes.
	DuplicateWindow time.Duration
	// AckTimeout is how long one attempt of an append waits for its
	// acknowledgement before Append tries again (see RetryBudget): it frees
	// the attempt's slot too. Default 2 s with Replicas > 1, where a lost
	// acknowledgement is what a stream leader's death looks like to a
	// client; 30 s with one replica, where only a busy disk delays one.
	AckTimeout time.Duration
	// RetryBudget is how long Append keeps trying an append whose attempt
	// failed for want of an answer (an acknowledgement lost or late, no
	// leader for the stream, a connection being re-established) before it
	// gives up with code unavailable. Each try carries the same dedup key
	// and expected sequence, so a try that was in fact stored is found, not
	// written twice. It covers a stream leader's failover on a cluster
	// (a Raft election: several seconds) and a client's reconnection to
	// another node. The caller's context still bounds the whole call.
	// Default 15 s; negative means no retry.
	RetryBudget time.Duration
	// GroupCommit publishes appends that wait at the same time (to
	// different streams) together, as one JetStream atomic batch, instead
	// of one message each. It pays off when the server syncs every message
	// to disk (SyncAlways): a batch costs about as much as ten single
	// appends plus a little per message, so Store.Append runs several times
	// faster under load. Without SyncAlways it costs throughput. An idle
	// store still sends an append alone, at once; a batch is sent only when
	// at least a dozen appends wait for an earlier group. Every append
	// keeps its own version check, de-duplication and position; if the
	// server refuses a batch, each of its appends is published again on its
	// own, so one stale or repeated append never fails the others.
	//
	// It needs nats-server 2.12 or later and a stream that allows atomic
	// publish: Open creates the stream so, and updates an existing one; if
	// it cannot, it logs a warning and publishes one by one. The server
	// stores the batch headers (Nats-Batch-Id, Nats-Batch-Sequence,
	// Nats-Batch-Commit) with each batched message.
	GroupCommit bool
	// Logger receives the store's few log lines. Default slog.Default()
	// with component=jetstream.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.StreamName == "" {
		c.StreamName = "LEDGER"
	}
	if c.SubjectPrefix == "" {
		c.SubjectPrefix = "ledger.ev"
	}
	if c.CheckpointStream == "" {
		c.CheckpointStream = "LEDGER_CHECKPOINTS"
	}
	if c.CheckpointSubject == "" {
		c.CheckpointSubject = "ledger.cp"
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = ackTimeout
		if c.Replicas == 1 {
			c.AckTimeout = singleAckTimeout
		}
	}
	if c.RetryBudget == 0 {
		c.RetryBudget = 15 * time.Second
	}
	if c.DuplicateWindow == 0 {
		c.DuplicateWindow = 10 * time.Minute
	}
	if c.Logger == nil {
		c.Logger = slog.Default().With("component", "jetstream")
	}
}

// Store is an events.Store on NATS JetStream. It is safe for concurrent use.
// Create it with Open.
type Store struct {
	cfg    Config
	log    *slog.Logger
	js     natsjs.JetStream
	events natsjs.Stream
	cps    natsjs.Stream
	prefix string // SubjectPrefix + "."

	// slots bounds the appends in flight (see maxInFlight).
	slots chan struct{}
	// group batches concurrent appends; nil without Config.GroupCommit or
	// if the stream does not allow atomic publish.
	group *groupCommit

	// cache maps a stream name to its version and the stream sequence of
	// that version: the expected last subject sequence of its next append.
	cacheMu sync.Mutex
	cache   map[string]position

	// fullLogged is when an append refused for want of space was last
	// logged (Unix nanoseconds).
	fullLogged atomic.Int64

	// stuckAfter is how long an append's dedup key may stay "in process"
	// (code 10158) before Append settles it another way (see Append);
	// stuckInProcess, set by Open.
	stuckAfter time.Duration
	// sendHook, if set (tests only), sees each message send publishes on
	// its own and may answer it with an error instead.
	sendHook func(*nats.Msg) error

	// Readers register in readers while the store is open; Close cancels
	// closing and waits for them to delete their consumers.
	mu      sync.Mutex
	closed  atomic.Bool
	readers sync.WaitGroup
	closing context.Context
	cancel  context.CancelFunc
}

// position is a version of one stream and the global position (stream
// sequence) where that version is stored. The zero value is an empty stream.
type position struct{ version, seq uint64 }

var _ events.Store = (*Store)(nil)

// Open connects a Store to JetStream through nc. It creates the event and
// checkpoint streams if they are missing; if they exist, it refuses to
// use a stream whose configuration has lost one of the ledger's guarantees
// (file storage, no deletes, no purges, no limits that drop messages, no
// rollups or message TTLs, the expected subjects), naming what is wrong.
// Close does not close nc.
//
// On a cluster, connect nc with every server's URL and nats.MaxReconnects(-1),
// so that it moves to another node when its own goes away instead of
// giving up (Open logs a warning otherwise); Append rides out a stream
// leader's failover within Config.RetryBudget.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Store, error) {
	cfg.setDefaults()
	for _, subj := range []string{cfg.SubjectPrefix, cfg.CheckpointSubject} {
		if !validSubjectPrefix(subj) {
			return nil, fmt.Errorf("jetstream: open: %q is not a usable subject prefix (literal tokens, no wildcards or spaces)", subj)
		}
	}
	js, err := natsjs.New(nc,
		natsjs.WithPublishAsyncMaxPending(maxInFlight+64),
		natsjs.WithPublishAsyncTimeout(cfg.AckTimeout))
	if err != nil {
		return nil, fmt.Errorf("jetstream: open: %w", err)
	}
	closing, cancel := context.WithCancel(context.Background())
	s := &Store{
		cfg:     cfg,
		log:     cfg.Logger,
		js:      js,
		prefix:  cfg.SubjectPrefix + ".",
		slots:   make(chan struct{}, maxInFlight),
		cache:   make(map[string]position),
		closing: closing,
		cancel:  cancel,

		stuckAfter: stuckInProcess,
	}
	if s.events, err = s.ensureStream(ctx, cfg.StreamName, cfg.SubjectPrefix+".*.*", cfg.GroupCommit); err != nil {
		cancel()
		return nil, err
	}
	if s.cps, err = s.ensureStream(ctx, cfg.CheckpointStream, cfg.CheckpointSubject+".*", false); err != nil {
		cancel()
		return nil, err
	}
	if cfg.Replicas > 1 && nc.Opts.MaxReconnect >= 0 {
		s.log.Warn("the NATS connection stops reconnecting after a while: a cluster's clients need nats.MaxReconnects(-1) and all the servers' URLs",
			"max_reconnects", nc.Opts.MaxReconnect)
	}
	if cfg.GroupCommit && s.events.CachedInfo().Config.AllowAtomicPublish {
		s.group = newGroupCommit(s, nc)
	}
	s.logDamage(ctx)
	return s, nil
}

// logDamage logs the damage the log's stream state shows: missing
// positions, or fewer records than the latest checkpoint covers (a block
// file truncated by the server on recovery). The state can also hide
// damage, so this is no substitute for verifying the log.
func (s *Store) logDamage(ctx context.Context) {
	info, err := s.events.Info(ctx)
	if err != nil {
		return
	}
	st := info.State
	if st.NumDeleted > 0 || st.LastSeq > 0 && st.FirstSeq > 1 {
		s.log.Error("the log has missing positions: records were lost or removed",
			"stream", s.cfg.StreamName, "first", st.FirstSeq, "last", st.LastSeq, "missing", st.NumDeleted)
	}
	if size, _, err := s.LatestCheckpoint(ctx); err == nil && size > st.LastSeq {
		s.log.Error("the log is shorter than its latest checkpoint: records were lost",
			"stream", s.cfg.StreamName, "head", st.LastSeq, "checkpoint", size)
	}
}

func validSubjectPrefix(p string) bool {
	if p == "" || strings.ContainsAny(p, "*> \t\r\n") {
		return false
	}
	return !slices.Contains(strings.Split(p, "."), "")
}

// ensureStream creates the stream name with one subject filter, or checks
// that the existing one keeps the ledger's guarantees. With atomic, the
// stream is made to allow atomic batch publish: created so, or updated; if
// that fails, it logs a warning and returns the stream as it is.
func (s *Store) ensureStream(ctx context.Context, name, subject string, atomic bool) (natsjs.Stream, error) {
	want := natsjs.StreamConfig{
		Name:               name,
		Description:        "Sổ cái giám sát: append-only audit ledger. Never delete or purge.",
		Subjects:           []string{subject},
		Retention:          natsjs.LimitsPolicy,
		MaxConsumers:       -1,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxMsgsPerSubject:  -1,
		Discard:            natsjs.DiscardOld,
		Storage:            natsjs.FileStorage,
		Replicas:           s.cfg.Replicas,
		Duplicates:         s.cfg.DuplicateWindow,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowAtomicPublish: atomic,
	}
	st, err := s.js.Stream(ctx, name)
	if errors.Is(err, natsjs.ErrStreamNotFound) {
		st, err = s.js.CreateStream(ctx, want)
		if errors.Is(err, natsjs.ErrStreamNameAlreadyInUse) {
			st, err = s.js.Stream(ctx, name) // created by someone else meanwhile
		} else if err == nil {
			s.log.Info("created stream", "stream", name, "subjects", subject, "replicas", want.Replicas)
			return s.allowAtomic(ctx, st, atomic), nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: open stream %s: %w", name, err)
	}
	got := st.CachedInfo().Config
	if problems := unsafeConfig(got, want); len(problems) > 0 {
		return nil, fmt.Errorf("jetstream: refusing stream %s, its configuration breaks the ledger's guarantees: %s",
			name, strings.Join(problems, "; "))
	}
	if got.Duplicates != want.Duplicates {
		s.log.Warn("stream has another duplicate window than configured",
			"stream", name, "window", got.Duplicates, "configured", want.Duplicates)
	}
	return s.allowAtomic(ctx, st, atomic), nil
}

// allowAtomic returns st, updated to allow atomic batch publish if atomic
// is set and it does not yet. An update changes nothing else; a server
// older than 2.12 ignores the setting. On failure it logs a warning and
// returns st unchanged: appends are then published one by one.
func (s *Store) allowAtomic(ctx context.Context, st natsjs.Stream, atomic bool) natsjs.Stream {
	cfg := st.CachedInfo().Config
	if !atomic || cfg.AllowAtomicPublish {
		return st
	}
	cfg.AllowAtomicPublish = true
	updated, err := s.js.UpdateStream(ctx, cfg)
	switch {
	case err != nil:
		s.log.Warn("cannot allow atomic publish on the stream; group commit is off, appends are published one by one",
			"stream", cfg.Name, "err", err)
		return st
	case !updated.CachedInfo().Config.AllowAtomicPublish:
		s.log.Warn("the server does not support atomic publish (nats-server 2.12 or later does); group commit is off, appends are published one by one",
			"stream", cfg.Name)
		return updated
	}
	s.log.Info("allowed atomic publish on the stream, for group commit", "stream", cfg.Name)
	return updated
}

// unsafeConfig lists what in got breaks a guarantee that want gives: every
// acknowledged message stays, unchanged, at its sequence, forever.
func unsafeConfig(got, want natsjs.StreamConfig) []string {
	var p []string
	if got.Storage != natsjs.FileStorage {
		p = append(p, fmt.Sprintf("storage is %s, not file: messages do not survive a restart", got.Storage))
	}
	if got.Retention != natsjs.LimitsPolicy {
		p = append(p, fmt.Sprintf("retention is %s, not limits: messages are removed once consumed", got.Retention))
	}
	if !got.DenyDelete {
		p = append(p, "DenyDelete is off: messages can be deleted")
	}
	if !got.DenyPurge {
		p = append(p, "DenyPurge is off: the stream can be purged")
	}
	if got.MaxAge > 0 {
		p = append(p, fmt.Sprintf("MaxAge is %v: old messages expire", got.MaxAge))
	}
	if got.MaxMsgs > 0 {
		p = append(p, fmt.Sprintf("MaxMsgs is %d: messages beyond it are dropped or refused", got.MaxMsgs))
	}
	if got.MaxBytes > 0 {
		p = append(p, fmt.Sprintf("MaxBytes is %d: messages beyond it are dropped or refused", got.MaxBytes))
	}
	if got.MaxMsgsPerSubject > 0 {
		p = append(p, fmt.Sprintf("MaxMsgsPerSubject is %d: a stream's older events are dropped", got.MaxMsgsPerSubject))
	}
	if got.AllowRollup {
		p = append(p, "AllowRollup is on: a rollup message purges a subject")
	}
	if got.AllowMsgTTL {
		p = append(p, "AllowMsgTTL is on: messages can expire")
	}
	if got.SubjectDeleteMarkerTTL > 0 {
		p = append(p, "SubjectDeleteMarkerTTL is set: the server writes delete markers")
	}
	if got.AllowMsgSchedules {
		p = append(p, "AllowMsgSchedules is on: the server writes scheduled messages, which may roll up subjects")
	}
	if got.AllowMsgCounter {
		p = append(p, "AllowMsgCounter is on: messages are counters, not events")
	}
	if got.NoAck {
		p = append(p, "NoAck is on: appends are not acknowledged")
	}
	if got.PersistMode != natsjs.DefaultPersistMode {
		p = append(p, fmt.Sprintf("persist mode is %s: messages are acknowledged before they are written", got.PersistMode))
	}
	if got.Mirror != nil || len(got.Sources) > 0 {
		p = append(p, "the stream mirrors or sources other streams: it holds messages the ledger did not write")
	}
	if got.SubjectTransform != nil {
		p = append(p, "a subject transform is set: messages are not stored under the subjects they were sent to")
	}
	if !slices.Equal(got.Subjects, want.Subjects) {
		p = append(p, fmt.Sprintf("subjects are %q, want %q", got.Subjects, want.Subjects))
	}
	if got.FirstSeq > 1 {
		p = append(p, fmt.Sprintf("first sequence is %d: positions must start at 1", got.FirstSeq))
	}
	if got.Replicas < want.Replicas {
		p = append(p, fmt.Sprintf("%d replicas, fewer than the configured %d", got.Replicas, want.Replicas))
	}
	return p
}

// subject returns the subject of a valid stream name.
func (s *Store) subject(kind events.Kind, id string) string {
	return s.prefix + string(kind) + "." + id
}

// streamOf returns the stream name of an event subject.
func (s *Store) streamOf(subject string) (string, bool) {
	rest, ok := strings.CutPrefix(subject, s.prefix)
	if !ok {
		return "", false
	}
	kind, id, ok := strings.Cut(rest, ".")
	if !ok {
		return "", false
	}
	return kind + "/" + id, true
}

var errClosed = events.Errorf(events.EUnavailable, "The store is closed.")

// Append implements events.Store. The version check is JetStream's expected
// last subject sequence, taken from an in-memory cache of each stream's
// (version, sequence); a miss costs one GetLastMsgForSubject, except for
// expectedVersion 0, which needs no sequence. The returned
// record's Raw is e.Raw itself, not a copy. A conflict answer leads to one
// more read: the event at expectedVersion+1 decides between a retry (its
// dedup key is e's: Duplicate) and a *events.VersionConflict. With
// Config.GroupCommit, the publish may go out in an atomic batch with other
// appends; if the batch fails, it is published again on its own. (If the
// batch's answer was lost after the server stored it, that second publish
// finds the event and reports it as Duplicate, as a caller's retry after a
// lost acknowledgement would.) An attempt that gets no answer, or one that
// says "not now" (see transient), is made again with the same message
// until Config.RetryBudget is spent; a retry of an attempt that was stored
// after all is reported as Duplicate, as above.
func (s *Store) Append(ctx context.Context, stream string, expected uint64, e events.Pending) (_ events.Appended, err error) {
	defer func() { err = unreachable(err) }()
	if err := ctx.Err(); err != nil {
		return events.Appended{}, err
	}
	kind, id, ok := events.SplitStream(stream)
	if !ok {
		return events.Appended{}, events.Errorf(events.EInvalid, "Malformed stream name %q.", stream)
	}
	if s.closed.Load() {
		return events.Appended{}, errClosed
	}
	subject := s.subject(kind, id)
	// Attempts that fail for want of an answer are tried again, with the
	// same message, until the retry budget is spent: see
	// Config.RetryBudget. The budget starts at the first failure.
	var deadline, inProcess time.Time
	var msgID string // another message ID, once e's dedup key is stuck (below)
	wait := firstRetryWait
	for {
		a, err := s.appendOnce(ctx, stream, subject, expected, e, msgID)
		if msgID == "" && isDuplicateInProcess(err) {
			// The server holds the dedup key as "in process" from an
			// earlier attempt. That attempt is decided within moments,
			// unless its proposal was lost with a stream leader: the
			// server then keeps the key for the whole duplicate window
			// (nats-server 2.15, seen after a leader was killed), and
			// every retry gets the same answer. After stuckAfter, the
			// stream itself decides: the event is there, or it is written
			// under another message ID, which the expected last subject
			// sequence keeps to one event at this version. Later retries
			// keep that ID, so that they find their own earlier attempt.
			if inProcess.IsZero() {
				inProcess = time.Now()
			} else if time.Since(inProcess) >= s.stuckAfter {
				s.log.Warn("the server has held an append's dedup key as in process for long; settling it from the stream",
					"stream", stream, "version", expected+1, "dedup_key", e.DedupKey(), "for", time.Since(inProcess).Round(time.Millisecond))
				msgID = e.DedupKey() + "~" + nuid.Next()
				a, err = s.appendOnce(ctx, stream, subject, expected, e, msgID)
			}
		}
		if err == nil || ctx.Err() != nil || s.closed.Load() || !transient(err) || s.cfg.RetryBudget < 0 {
			return a, err
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(s.cfg.RetryBudget)
		}
		if now.Add(wait).After(deadline) {
			return a, fmt.Errorf("jetstream: append %s: no answer within the retry budget of %s: %w", stream, s.cfg.RetryBudget, err)
		}
		s.log.Debug("append got no answer; trying again", "stream", stream, "version", expected+1, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return events.Appended{}, ctx.Err()
		case <-s.closing.Done():
			t.Stop()
			return events.Appended{}, errClosed
		case <-t.C:
		}
		wait = min(2*wait, maxRetryWait)
	}
}

// appendOnce is one attempt of Append. msgID, if set, replaces e's dedup
// key as the message's ID (see Append).
func (s *Store) appendOnce(ctx context.Context, stream, subject string, expected uint64, e events.Pending, msgID string) (events.Appended, error) {
	pos, ok := s.cached(stream)
	if !ok && expected == 0 {
		// A new stream: "the subject must be empty" needs no look-up, the
		// server checks it (expected last subject sequence 0).
		pos, ok = position{}, true
	}
	var last *events.Record // the stream's last event, if read
	// The cache never runs ahead of the server (versions only grow), so an
	// expected version below it is certainly stale; above it, or on a miss,
	// ask the server.
	if !ok || pos.version < expected {
		rec, err := s.lastOf(ctx, stream, subject)
		if err != nil {
			return events.Appended{}, fmt.Errorf("jetstream: append %s: %w", stream, err)
		}
		last, pos = &rec, s.remember(stream, position{rec.Version, rec.Position})
	}
	// A conflict answer whose fresh read shows the stream still at the
	// expected version (another append to the subject was in flight and
	// failed: code 10164) is retried, a few times.
	for attempt := 0; ; attempt++ {
		if pos.version == expected {
			a, err := s.publish(ctx, stream, subject, expected, pos.seq, e, msgID)
			if !isWrongLastSequence(err) {
				return a, err
			}
			last = nil
		}
		a, retry, err := s.settle(ctx, stream, subject, expected, e, last)
		if !retry {
			return a, err
		}
		if attempt == 2 {
			// Another publish to the subject is still undecided: most
			// likely this append's own earlier attempt, on a stream whose
			// leader just changed. Its outcome decides this one, so Append
			// tries again later, within its budget, rather than calling
			// it a conflict (a caller that then decided again would write
			// the command twice).
			return events.Appended{}, fmt.Errorf("jetstream: append %s: version %d refused %d times while the stream was at version %d: %w",
				stream, expected+1, attempt+1, expected, errUndecided)
		}
		pos, _ = s.cached(stream)
		last = nil
	}
}

// publish appends e with the expected last subject sequence lastSeq and
// waits for the acknowledgement, under the message ID msgID (e's dedup key
// if empty). Conflict answers are returned unwrapped for
// isWrongLastSequence.
func (s *Store) publish(ctx context.Context, stream, subject string, expected, lastSeq uint64, e events.Pending, msgID string) (events.Appended, error) {
	version := expected + 1
	if msgID == "" {
		msgID = e.DedupKey()
	}
	// One allocation for the header values; header names are
	// case-sensitive and set directly, which also spares the driver's
	// option parsing. An expected last subject sequence of 0 is sent too: it
	// means "the subject must be empty".
	vals := [5]string{msgID, strconv.FormatUint(lastSeq, 10), e.ID, strconv.FormatUint(version, 10), e.Key}
	hdr := make(nats.Header, 5)
	hdr[natsjs.MsgIDHeader] = vals[0:1:1]
	hdr[natsjs.ExpectedLastSubjSeqHeader] = vals[1:2:2]
	hdr[hdrID] = vals[2:3:3]
	hdr[hdrVersion] = vals[3:4:4]
	if e.Key != "" {
		hdr[hdrKey] = vals[4:5:5]
	}
	msg := &nats.Msg{Subject: subject, Header: hdr, Data: e.Raw}

	var ack *natsjs.PubAck
	var err error
	if s.group != nil {
		ack, err = s.group.submit(ctx, stream, version, msg)
	}
	if s.group == nil || errors.Is(err, errBatchFailed) {
		ack, err = s.send(ctx, msg)
	}
	switch {
	case err == nil:
	case isWrongLastSequence(err):
		return events.Appended{}, err
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return events.Appended{}, err
	case isOutOfStorage(err):
		s.logOutOfStorage(err)
		return events.Appended{}, fmt.Errorf("jetstream: append %s: %w: %w", stream, errOutOfStorage, err)
	default:
		return events.Appended{}, fmt.Errorf("jetstream: append %s: %w", stream, err)
	}

	if ack.Duplicate {
		// The dedup key is in JetStream's window: the message at ack.Sequence
		// is the first append with this key.
		first, err := s.get(ctx, ack.Sequence)
		if err != nil {
			return events.Appended{}, fmt.Errorf("jetstream: append %s: read the first use of key %q: %w", stream, e.DedupKey(), err)
		}
		if first.Stream == stream && first.Version == version {
			return events.Appended{Record: first, Duplicate: true}, nil
		}
		return events.Appended{}, events.Errorf(events.EConflict,
			"Idempotency key %q was already used for %s version %d.", e.DedupKey(), first.Stream, first.Version)
	}
	s.remember(stream, position{version, ack.Sequence})
	return events.Appended{Record: events.Record{
		Position: ack.Sequence,
		Stream:   stream,
		Version:  version,
		ID:       e.ID,
		Key:      e.Key,
		Raw:      e.Raw,
	}}, nil
}

// send publishes msg on its own and waits for the acknowledgement. It
// returns ctx.Err() if ctx ends first, and the driver's errors as they are.
func (s *Store) send(ctx context.Context, msg *nats.Msg) (*natsjs.PubAck, error) {
	if s.sendHook != nil {
		if err := s.sendHook(msg); err != nil {
			return nil, err
		}
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	fut, err := s.js.PublishMsgAsync(msg)
	if err != nil {
		<-s.slots
		return nil, err
	}
	select {
	case ack := <-fut.Ok():
		<-s.slots
		return ack, nil
	case err := <-fut.Err():
		<-s.slots
		return nil, err
	case <-ctx.Done():
		// The append may still happen; a retry will find it. The slot is
		// freed when the driver settles the future (at the latest after
		// Config.AckTimeout), so that the driver's own limit is never reached.
		go func() {
			select {
			case <-fut.Ok():
			case <-fut.Err():
			}
			<-s.slots
		}()
		return nil, ctx.Err()
	}
}

// settle decides an append that cannot be written at expected: either it
// was written before (the event at expected+1 has e's dedup key) or it is a
// version conflict. last is the stream's last event if it was just read.
// retry reports that the stream is at expected after all.
func (s *Store) settle(ctx context.Context, stream, subject string, expected uint64, e events.Pending, last *events.Record) (a events.Appended, retry bool, err error) {
	if last == nil {
		rec, err := s.lastOf(ctx, stream, subject)
		if err != nil {
			return events.Appended{}, false, fmt.Errorf("jetstream: append %s: %w", stream, err)
		}
		last = &rec
	}
	cur := s.remember(stream, position{last.Version, last.Position}).version
	if cur == expected {
		return events.Appended{}, true, nil
	}
	conflict := &events.VersionConflict{Stream: stream, Expected: expected, Current: cur}
	if cur < expected {
		return events.Appended{}, false, conflict
	}
	// The event at expected+1 exists. Usually it is the last one (a retry
	// of the last append); otherwise read the stream, which is slow but
	// rare (a retry long after the fact).
	at := *last
	if last.Version != expected+1 {
		recs, err := s.Load(ctx, stream)
		if err != nil {
			return events.Appended{}, false, fmt.Errorf("jetstream: append %s: find version %d: %w", stream, expected+1, err)
		}
		if uint64(len(recs)) <= expected || recs[expected].Version != expected+1 {
			return events.Appended{}, false, fmt.Errorf("jetstream: append %s: version %d not found in the stream", stream, expected+1)
		}
		at = recs[expected]
	}
	if dedupKey(at) == e.DedupKey() {
		return events.Appended{Record: at, Duplicate: true}, false, nil
	}
	return events.Appended{}, false, conflict
}

// dedupKey is the Nats-Msg-Id a record was appended with.
func dedupKey(r events.Record) string {
	return events.Pending{ID: r.ID, Key: r.Key}.DedupKey()
}

// stuckInProcess is how long an append's dedup key may stay "in process"
// before Append settles it from the stream (see Append): an attempt in
// flight is decided within a second even across a leader election.
const stuckInProcess = 3 * time.Second

// Error codes of JetStream answers that mean "not now": the stream or the
// cluster is between leaders.
const (
	errCodeClusterNotAvailable = 10008 // JetStream system temporarily unavailable
	errCodeStreamOffline       = 10118 // stream is offline
	errCodeLastSeqNotReady     = 10163 // expected last sequence per subject temporarily unavailable
	errCodeDuplicateInProcess  = 10158 // a message with the same dedup key is being stored
)

// Error codes of JetStream answers that mean "no space": the server's
// storage limit (max_file_store, or the disk it was sized from) or the
// account's is reached. The message was not stored.
const (
	errCodeInsufficientResources    = 10023 // server limit reached
	errCodeAccountResourcesExceeded = 10002 // account limit reached
	errCodeStorageResourcesExceeded = 10047 // no storage left to place the stream
)

// errOutOfStorage is the ledger's answer to an append refused for want of
// space: code insufficient_storage, which the API answers with 507.
var errOutOfStorage = events.Errorf(events.EInsufficientStorage,
	"The event store has no storage space left; nothing was written. Retry with the same idempotency key once an operator has freed space.")

// logOutOfStorage logs an append refused for want of space, at most once
// every 10 s: an operator must free space, and a busy ledger would
// otherwise log every refused request.
func (s *Store) logOutOfStorage(err error) {
	now := time.Now().UnixNano()
	last := s.fullLogged.Load()
	if now-last < int64(10*time.Second) || !s.fullLogged.CompareAndSwap(last, now) {
		return
	}
	s.log.Error("the NATS server has no storage space left: appends are refused (HTTP 507) until space is freed or its limit raised",
		"stream", s.cfg.StreamName, "err", err)
}

// isOutOfStorage reports whether err is JetStream's refusal of a message
// for want of storage space.
func isOutOfStorage(err error) bool {
	var apiErr *natsjs.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case errCodeInsufficientResources, errCodeAccountResourcesExceeded, errCodeStorageResourcesExceeded:
		return true
	}
	return false
}

// isDuplicateInProcess reports whether err is JetStream's answer to a
// publish whose dedup key is in flight already (a replicated stream, a
// retry that overtook its first attempt, or two replicas writing the same
// checkpoint): its outcome is unknown until the first is decided.
func isDuplicateInProcess(err error) bool {
	var apiErr *natsjs.APIError
	return err != nil && errors.As(err, &apiErr) && apiErr.ErrorCode == errCodeDuplicateInProcess
}

// errUndecided reports that an append could not be decided yet: another
// publish to its subject is in flight (code 10164) for several tries.
var errUndecided = errors.New("another append to the stream is still in flight")

// transient reports whether err means that an attempt got no answer, or an
// answer that says "not now", so that the same attempt may succeed later:
// an acknowledgement that timed out (it may have been lost with a stream
// leader that died; the retry finds it if it was stored), no responders, a
// connection being re-established, a stream between leaders, an earlier
// attempt with the same dedup key or to the same subject still in flight.
// A closed connection is not transient.
func transient(err error) bool {
	if errors.Is(err, errUndecided) {
		return true
	}
	var apiErr *natsjs.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case errCodeClusterNotAvailable, errCodeStreamOffline, errCodeLastSeqNotReady, errCodeDuplicateInProcess:
			return true
		}
		return false
	}
	return errors.Is(err, natsjs.ErrAsyncPublishTimeout) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, natsjs.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrDisconnected) || errors.Is(err, nats.ErrConnectionReconnecting) ||
		errors.Is(err, context.DeadlineExceeded)
}

// infoPatience bounds how long streamInfo asks again.
const infoPatience = 10 * time.Second

// streamInfo returns st's info, asking again while the answer is "not
// now" (transient: the stream or the cluster between leaders, as just
// after a node restarts) for up to infoPatience, or until ctx ends. A read
// of the log starts with it, and such an answer once failed a read that a
// second ask would have served.
func streamInfo(ctx context.Context, st natsjs.Stream) (*natsjs.StreamInfo, error) {
	give := time.Now().Add(infoPatience)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		info, err := st.Info(ctx)
		if err == nil || !transient(err) || ctx.Err() != nil || time.Now().After(give) {
			return info, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
	}
}

// isWrongLastSequence reports whether err is JetStream's refusal of an
// expected last subject sequence: code 10071 ("wrong last sequence: N"), or
// 10164 (the same, raised while another publish to the subject is in
// flight on a replicated stream).
func isWrongLastSequence(err error) bool {
	if err == nil {
		return false // spares the allocation of errors.As on the hot path
	}
	var apiErr *natsjs.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	return apiErr.ErrorCode == natsjs.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == natsjs.JSErrCodeStreamWrongLastSequenceConstant
}

// cached returns the cached position of stream.
func (s *Store) cached(stream string) (position, bool) {
	s.cacheMu.Lock()
	p, ok := s.cache[stream]
	s.cacheMu.Unlock()
	return p, ok
}

// remember records p for stream unless the cache already knows a later
// one, and returns the later of the two.
func (s *Store) remember(stream string, p position) position {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if old, ok := s.cache[stream]; ok && old.seq > p.seq {
		return old
	}
	s.cache[stream] = p
	return p
}

// lastOf reads the last event of stream from the server; the zero Record
// if the stream is empty.
func (s *Store) lastOf(ctx context.Context, stream, subject string) (events.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	m, err := s.events.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, natsjs.ErrMsgNotFound) {
		return events.Record{}, nil
	}
	if err != nil {
		return events.Record{}, err
	}
	return s.record(m.Subject, m.Sequence, m.Header, m.Data)
}

// record builds a Record from a stored message.
func (s *Store) record(subject string, seq uint64, h nats.Header, data []byte) (events.Record, error) {
	stream, ok := s.streamOf(subject)
	if !ok {
		return events.Record{}, fmt.Errorf("position %d: subject %q is not an event subject", seq, subject)
	}
	v := h.Get(hdrVersion)
	version, err := strconv.ParseUint(v, 10, 64)
	if err != nil || version == 0 {
		return events.Record{}, fmt.Errorf("position %d: bad %s header %q", seq, hdrVersion, v)
	}
	return events.Record{
		Position: seq,
		Stream:   stream,
		Version:  version,
		ID:       h.Get(hdrID),
		Key:      h.Get(hdrKey),
		Raw:      data,
	}, nil
}

// Load implements events.Store. It reads the stream's last event, then the
// whole stream through a consumer filtered on its subject, and fails if a
// version is missing.
func (s *Store) Load(ctx context.Context, stream string) (_ []events.Record, err error) {
	defer func() { err = unreachable(err) }()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	kind, id, ok := events.SplitStream(stream)
	if !ok {
		return nil, events.Errorf(events.EInvalid, "Malformed stream name %q.", stream)
	}
	subject := s.subject(kind, id)
	last, err := s.lastOf(ctx, stream, subject)
	if err != nil {
		return nil, fmt.Errorf("jetstream: load %s: %w", stream, err)
	}
	s.remember(stream, position{last.Version, last.Position})
	switch last.Version {
	case 0:
		return []events.Record{}, nil
	case 1:
		return []events.Record{last}, nil
	}
	out := make([]events.Record, 0, last.Version)
	err = s.read(ctx, s.events, subject, 1, last.Version, func(m natsjs.Msg, seq uint64) (bool, error) {
		r, err := s.record(m.Subject(), seq, m.Headers(), m.Data())
		if err != nil {
			return false, err
		}
		if want := uint64(len(out)) + 1; r.Version != want {
			return false, fmt.Errorf("position %d holds version %d, want %d: a version is missing", seq, r.Version, want)
		}
		out = append(out, r)
		return seq >= last.Position, nil
	})
	if err != nil {
		return nil, s.readErr(ctx, "load "+stream, err)
	}
	return out, nil
}

// Version implements events.Store. It answers from the cache of streams
// this Store has appended to or read, else reads the stream's last event.
// The store assumes it is the only writer of its streams: another writer's
// appends are seen at the first conflict.
func (s *Store) Version(ctx context.Context, stream string) (_ uint64, err error) {
	defer func() { err = unreachable(err) }()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	kind, id, ok := events.SplitStream(stream)
	if !ok {
		return 0, events.Errorf(events.EInvalid, "Malformed stream name %q.", stream)
	}
	if p, ok := s.cached(stream); ok {
		return p.version, nil
	}
	last, err := s.lastOf(ctx, stream, s.subject(kind, id))
	if err != nil {
		return 0, fmt.Errorf("jetstream: version of %s: %w", stream, err)
	}
	return s.remember(stream, position{last.Version, last.Position}).version, nil
}

// Get implements events.Store.
func (s *Store) Get(ctx context.Context, pos uint64) (_ events.Record, err error) {
	defer func() { err = unreachable(err) }()
	if err := ctx.Err(); err != nil {
		return events.Record{}, err
	}
	if pos == 0 {
		return events.Record{}, events.ErrNotFound
	}
	r, err := s.get(ctx, pos)
	if err != nil && !errors.Is(err, events.ErrNotFound) {
		return events.Record{}, fmt.Errorf("jetstream: get %d: %w", pos, err)
	}
	return r, err
}

func (s *Store) get(ctx context.Context, pos uint64) (events.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	m, err := s.events.GetMsg(ctx, pos)
	if errors.Is(err, natsjs.ErrMsgNotFound) {
		return events.Record{}, events.ErrNotFound
	}
	if err != nil {
		return events.Record{}, err
	}
	return s.record(m.Subject, m.Sequence, m.Header, m.Data)
}

// Head implements events.Store.
func (s *Store) Head(ctx context.Context) (_ uint64, err error) {
	defer func() { err = unreachable(err) }()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	info, err := streamInfo(ctx, s.events)
	if err != nil {
		return 0, fmt.Errorf("jetstream: head: %w", err)
	}
	return info.State.LastSeq, nil
}

// ReadLog implements events.Store. It reads through an ordered consumer
// and fails if a position is missing.
func (s *Store) ReadLog(ctx context.Context, from uint64, fn func(events.Record) error) (err error) {
	defer func() { err = unreachable(err) }()
	if err := ctx.Err(); err != nil {
		return err
	}
	from = max(from, 1)
	info, err := streamInfo(ctx, s.events)
	if err != nil {
		return fmt.Errorf("jetstream: read log: %w", err)
	}
	head := info.State.LastSeq
	if from > head {
		return nil
	}
	if from < info.State.FirstSeq {
		return fmt.Errorf("jetstream: read log: positions %d to %d are missing (the log starts at %d)", from, info.State.FirstSeq-1, info.State.FirstSeq)
	}
	err = s.read(ctx, s.events, "", from, head-from+1, s.deliver(fn, head))
	return s.readErr(ctx, "read log", err)
}

// Follow implements events.Store. New records arrive with the latency of
// one message delivery, well under a millisecond in-process. Close makes it
// return an error of code unavailable.
func (s *Store) Follow(ctx context.Context, from uint64, fn func(events.Record) error) (err error) {
	defer func() { err = unreachable(err) }()
	if err := ctx.Err(); err != nil {
		return err
	}
	from = max(from, 1)
	info, err := streamInfo(ctx, s.events)
	if err != nil {
		return fmt.Errorf("jetstream: follow: %w", err)
	}
	if first := info.State.FirstSeq; info.State.LastSeq > 0 && from < first {
		return fmt.Errorf("jetstream: follow: positions %d to %d are missing (the log starts at %d)", from, first-1, first)
	}
	var pending uint64
	if info.State.LastSeq >= from {
		pending = info.State.LastSeq - from + 1
	}
	err = s.read(ctx, s.events, "", from, pending, s.deliver(fn, 0))
	return s.readErr(ctx, "follow", err)
}

// deliver returns a read callback that passes records to fn in position
// order and stops after head (0: never).
func (s *Store) deliver(fn func(events.Record) error, head uint64) func(natsjs.Msg, uint64) (bool, error) {
	return func(m natsjs.Msg, seq uint64) (bool, error) {
		r, err := s.record(m.Subject(), seq, m.Headers(), m.Data())
		if err != nil {
			return false, err
		}
		if err := fn(r); err != nil {
			return false, callbackError{err}
		}
		return head != 0 && seq >= head, nil
	}
}

// callbackError carries an error of a caller's callback through read, so
// that it is returned as is.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// readErr translates the error of read: a callback's error as is, the
// caller's cancellation as ctx.Err(), Close as code unavailable, anything
// else wrapped once.
func (s *Store) readErr(ctx context.Context, op string, err error) error {
	var cb callbackError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &cb):
		return cb.err
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, errClosed):
		return errClosed
	}
	return fmt.Errorf("jetstream: %s: %w", op, err)
}

// read delivers the messages of st from sequence from on (only those on
// subject filter, if set) to fn, in order, until fn says it is done or
// fails, or ctx ends. A sequence that is skipped, when filter is empty, is
// an error: positions must be dense. pending is how many messages at or
// after from are known to exist; if the server sees fewer, some are
// missing (checked up front, so that a gap at the end cannot make read
// wait for ever).
//
// A reader that waits stallAfter for one of the messages known to exist
// makes its consumer anew from the next one (at most maxStalls times):
// nats.go's ordered consumer makes its own anew after a lost heartbeat or
// a gap, without the lag check below, and one placed on a replica that is
// still catching up waits for messages that its server stores without
// waking it, while heartbeats keep arriving (TestClusterFailover's read
// after the killed leader came back waited until its deadline).
func (s *Store) read(ctx context.Context, st natsjs.Stream, filter string, from, pending uint64, fn func(m natsjs.Msg, seq uint64) (done bool, err error)) error {
	s.mu.Lock()
	if s.closed.Load() {
		s.mu.Unlock()
		return errClosed
	}
	s.readers.Add(1)
	s.mu.Unlock()
	defer s.readers.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.closing, cancel)
	defer stop()
	replicated := st.CachedInfo().Config.Replicas > 1
	for stalls := 0; ; {
		next, got, known, err := s.readFrom(ctx, st, filter, from, pending, fn)
		var miss missingError
		switch {
		case errors.Is(err, errStalled):
		case stalls > 0 && replicated && errors.As(err, &miss):
			// The new consumer is on a replica that is still further
			// behind than lagRetries waits for: try again, as for a stall.
		default:
			return err
		}
		if next > from {
			stalls = 0 // it moved on: only stalls in a row count
		}
		if stalls++; stalls > maxStalls {
			if errors.As(err, &miss) {
				return err // positions missing, on every replica tried
			}
			return fmt.Errorf("%w: no message came for %s, %d times in a row, reading from position %d (last: %w)", events.ErrUnavailable, stallAfter, stalls, next, err)
		}
		s.log.Warn("a reader waited too long for a message known to exist: reading again from its position with a new consumer",
			"stream", st.CachedInfo().Config.Name, "position", next, "waited", stallAfter, "err", err)
		// Still pending: what was, less what came, or more if the
		// watchdog learned of more (Follow past the head), so that the
		// next consumer is checked against it.
		rest := pending - got
		if read := next - from; filter == "" && known > read {
			rest = max(rest, known-read)
		}
		from, pending = next, rest
	}
}

// lastSeq returns the last position that st holds, 0 if the server does
// not answer in time.
func lastSeq(ctx context.Context, st natsjs.Stream) uint64 {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	info, err := st.Info(ctx)
	if err != nil {
		return 0
	}
	return info.State.LastSeq
}

// missingError says that messages known to exist are not on the server
// that a reader's consumer is on.
type missingError struct{ msg string }

func (e missingError) Error() string { return e.msg }

func missing(format string, args ...any) error {
	return missingError{fmt.Sprintf(format, args...)}
}

// errStalled says that readFrom's watchdog stopped a reader that waited
// stallAfter for a message known to exist.
var errStalled = errors.New("jetstream: the reader waited too long for a message known to exist")

// Tunables of read's watchdog; tests shorten them.
var (
	// stallAfter is how long a reader may wait for a message known to
	// exist. A fresh consumer delivers the first of a batch in
	// milliseconds; heartbeats come every readHeartbeat.
	stallAfter = 10 * time.Second
	// stallCheck is how often the watchdog looks.
	stallCheck = time.Second
	// maxStalls bounds how many times a read starts again.
	maxStalls = 5
	// wrapMessages, if set, wraps each reader's message iterator (tests
	// make one stall).
	wrapMessages func(natsjs.MessagesContext) natsjs.MessagesContext
)

// readFrom is one attempt of read: it returns the next position to read,
// how many of pending it delivered, and how many messages from from on it
// knew to exist at the end (pending, or more that its watchdog learned
// of), with errStalled if its watchdog stopped it.
func (s *Store) readFrom(ctx context.Context, st natsjs.Stream, filter string, from, pending uint64, fn func(m natsjs.Msg, seq uint64) (done bool, err error)) (next, got, known uint64, err error) {
	next = from
	var knownN atomic.Uint64 // known; the watchdog raises it
	knownN.Store(pending)
	cfg := natsjs.OrderedConsumerConfig{
		DeliverPolicy:    natsjs.DeliverByStartSequencePolicy,
		OptStartSeq:      from,
		MaxResetAttempts: 5,
	}
	if filter != "" {
		cfg.FilterSubjects = []string{filter}
	}
	cons, err := st.OrderedConsumer(ctx, cfg)
	// On a replicated stream the server places a reader's consumer on any
	// replica, and one that is a moment behind the leader (which answered
	// the caller's Head or Info) has fewer messages than pending: ask
	// again, for a while, before reporting positions missing. Seen when a
	// second `ledger serve` replica starts right after the first wrote.
	for try := 0; err == nil && try < lagRetries && st.CachedInfo().Config.Replicas > 1; try++ {
		if info := cons.CachedInfo(); info == nil || info.NumPending >= pending {
			break
		}
		s.deleteConsumer(st, cons)
		select {
		case <-ctx.Done():
			return next, got, knownN.Load(), s.closedOr(ctx.Err())
		case <-time.After(lagRetryWait):
		}
		cons, err = st.OrderedConsumer(ctx, cfg)
	}
	if err != nil {
		return next, got, knownN.Load(), s.closedOr(err)
	}
	defer s.deleteConsumer(st, cons)
	// available is how many messages the server has; fewer than pending
	// means some are missing. The log is still delivered up to the first
	// missing position, so that the reader learns exactly where it is.
	available := pending
	if info := cons.CachedInfo(); info != nil && info.NumPending < pending {
		if filter != "" || info.NumPending == 0 {
			return next, got, knownN.Load(), missing("%d messages from position %d on, want at least %d: position %d and others are missing", info.NumPending, from, pending, from+info.NumPending)
		}
		available = info.NumPending
	}
	it, err := cons.Messages(natsjs.PullMaxMessagesWithBytesLimit(readBatch, readBytes), natsjs.PullHeartbeat(readHeartbeat))
	if err != nil {
		return next, got, knownN.Load(), s.closedOr(err)
	}
	if wrapMessages != nil {
		it = wrapMessages(it)
	}
	defer it.Stop()
	// Next waits until a message comes or wait is cancelled: by ctx (the
	// caller, or the store closing) or by the watchdog. Stopping the
	// iterator alone is not enough: nats.go's ordered consumer may be
	// re-creating its consumer (after a leader change) when Stop comes,
	// and then goes on with the new one, unstopped; idle at the head, its
	// heartbeats keep Next waiting for good (seen once in
	// TestClusterFailover: the ledger's Close waited on its follower). The
	// option is made once: passed every call, it costs no allocation.
	wait, endWait := context.WithCancel(ctx)
	defer endWait()
	defer context.AfterFunc(wait, it.Stop)()
	nextOpts := []natsjs.NextOpt{natsjs.NextContext(wait)}
	// The watchdog: received counts the messages, waiting is set while
	// Next waits (not while fn works on one). Past the messages known to
	// exist (Follow waiting for new ones), it asks the server, after each
	// quiet stallAfter, whether more were stored, and from then on waits
	// for those as for the others.
	var received atomic.Uint64
	var waiting, stalled atomic.Bool
	if available > 0 || filter == "" {
		done := make(chan struct{})
		defer close(done)
		after, check := stallAfter, stallCheck
		go func() {
			t := time.NewTicker(check)
			defer t.Stop()
			knownN.Store(available)
			last, since := received.Load(), time.Now()
			for {
				select {
				case <-done:
					return
				case now := <-t.C:
					n := received.Load()
					if n != last || !waiting.Load() || now.Sub(since) < after {
						if n != last || !waiting.Load() {
							last, since = n, now
						}
						continue
					}
					if n < knownN.Load() {
						stalled.Store(true)
						endWait() // ends Next, and stops the iterator
						return
					}
					if filter != "" {
						continue // read to the end of what was pending
					}
					since = now
					if stored := lastSeq(ctx, st); stored >= from+n {
						knownN.Store(stored - from + 1)
					}
				}
			}
		}()
	}
	for {
		waiting.Store(true)
		m, err := it.Next(nextOpts...)
		waiting.Store(false)
		if err != nil {
			if ctx.Err() != nil {
				return next, got, knownN.Load(), s.closedOr(ctx.Err())
			}
			if stalled.Load() {
				return next, got, knownN.Load(), errStalled
			}
			return next, got, knownN.Load(), s.closedOr(err)
		}
		received.Add(1)
		seq, ok := streamSeq(m.Reply())
		if !ok {
			return next, got, knownN.Load(), fmt.Errorf("message without a JetStream position (reply subject %q)", m.Reply())
		}
		if filter == "" && seq != next {
			return next, got, knownN.Load(), fmt.Errorf("position %d follows %d: positions %d to %d are missing", seq, next-1, next, seq-1)
		}
		next = seq + 1
		if got < pending {
			got++
		}
		done, err := fn(m, seq)
		if err != nil || done {
			return next, got, knownN.Load(), err
		}
		if available < pending && next-from == available {
			return next, got, knownN.Load(), missing("the log ends at position %d but should hold %d more: position %d is missing", next-1, pending-available, next)
		}
	}
}

// streamSeq returns the stream sequence of a consumer's message from its
// reply subject, which is either
//
//	$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>
//	$JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<time>.<pending>[.<token>]
//
// It does what Msg.Metadata does for this one field, without its
// allocations, which cost a tenth of a replay's time.
func streamSeq(reply string) (uint64, bool) {
	rest, ok := strings.CutPrefix(reply, "$JS.ACK.")
	if !ok {
		return 0, false
	}
	pos := 5 // token index of <sseq>, counting $JS and ACK
	if n := strings.Count(reply, ".") + 1; n >= 11 {
		pos = 7
	} else if n != 9 {
		return 0, false
	}
	for range pos - 2 {
		_, rest, _ = strings.Cut(rest, ".")
	}
	tok, _, _ := strings.Cut(rest, ".")
	seq, err := strconv.ParseUint(tok, 10, 64)
	return seq, err == nil
}

// closedOr returns errClosed if the store was closed, else err.
func (s *Store) closedOr(err error) error {
	if s.closed.Load() {
		return errClosed
	}
	return err
}

// deleteConsumer removes a reader's ephemeral consumer at once, rather than
// leaving it on the server for its five minutes of inactivity.
func (s *Store) deleteConsumer(st natsjs.Stream, cons natsjs.Consumer) {
	info := cons.CachedInfo()
	if info == nil || !s.js.Conn().IsConnected() {
		return // with the server out of reach, it removes the consumer itself after its inactivity threshold
	}
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	if err := st.DeleteConsumer(ctx, info.Name); err != nil && !errors.Is(err, natsjs.ErrConsumerNotFound) {
		s.log.Debug("could not delete a reader's consumer", "consumer", info.Name, "err", err)
	}
}

// PutCheckpoint implements events.Store. The note for size n is stored
// under "<CheckpointSubject>.<n>" and appended only if that subject is
// empty, so a second note for a size is a no-op for ever, not only within
// the duplicate window. Checkpoints are stored in increasing size: the
// append expects the stream's last sequence as it read it, and a note no
// larger than the last one stored is not stored (a replica whose follower
// lags signs a smaller tree after another signed a larger one), so the
// last stored is the largest, which LatestCheckpoint returns and a start
// checks the log against. A note for the size of the last one that is not
// the same note signs another root for that size: a fork, refused with an
// *events.IntegrityError.
func (s *Store) PutCheckpoint(ctx context.Context, size uint64, note []byte) (err error) {
	defer func() { err = unreachable(err) }()
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return errClosed
	}
	n := strconv.FormatUint(size, 10)
	for try := 0; ; try++ {
		var lastSeq uint64
		m, gerr := s.cps.GetLastMsgForSubject(ctx, s.cfg.CheckpointSubject+".*")
		switch {
		case errors.Is(gerr, natsjs.ErrMsgNotFound):
		case gerr != nil:
			return fmt.Errorf("jetstream: put checkpoint %d: read the last: %w", size, gerr)
		default:
			last, err := checkpointSize(m.Sequence, m.Header)
			if err != nil {
				return fmt.Errorf("jetstream: put checkpoint %d: %w", size, err)
			}
			if last == size && !bytes.Equal(events.NoteText(m.Data), events.NoteText(note)) {
				return &events.IntegrityError{Position: size, Reason: fmt.Sprintf("a checkpoint of size %d with another root is stored already: the history was forked", size)}
			}
			if last >= size {
				return nil
			}
			lastSeq = m.Sequence
		}
		msg := &nats.Msg{
			Subject: s.cfg.CheckpointSubject + "." + n,
			Header: nats.Header{
				natsjs.MsgIDHeader:               {"cp-" + n},
				natsjs.ExpectedLastSubjSeqHeader: {"0"},
				natsjs.ExpectedLastSeqHeader:     {strconv.FormatUint(lastSeq, 10)},
				hdrTreeSize:                      {n},
			},
			Data: note,
		}
		_, err = s.js.PublishMsg(ctx, msg)
		// Another note stored meanwhile (the stream's last sequence moved,
		// code 10071), or another replica storing one for the same size at
		// the same moment (the same dedup key in flight on a replicated
		// stream, code 10158): read the last one again.
		if err == nil || !isWrongLastSequence(err) && !isDuplicateInProcess(err) {
			break
		}
		if try == 8 {
			if isWrongLastSequence(err) {
				return nil // a note for this size is stored already (before checkpoints were stored in order)
			}
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(firstRetryWait):
		}
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("jetstream: put checkpoint %d: %w", size, err)
}

// Checkpoints implements events.Store.
func (s *Store) Checkpoints(ctx context.Context, fn func(size uint64, note []byte) error) (err error) {
	defer func() { err = unreachable(err) }()
	if err := ctx.Err(); err != nil {
		return err
	}
	info, err := streamInfo(ctx, s.cps)
	if err != nil {
		return fmt.Errorf("jetstream: checkpoints: %w", err)
	}
	head := info.State.LastSeq
	if head == 0 {
		return nil
	}
	first := info.State.FirstSeq
	err = s.read(ctx, s.cps, "", first, head-first+1, func(m natsjs.Msg, seq uint64) (bool, error) {
		size, err := checkpointSize(seq, m.Headers())
		if err != nil {
			return false, err
		}
		if err := fn(size, m.Data()); err != nil {
			return false, callbackError{err}
		}
		return seq >= head, nil
	})
	return s.readErr(ctx, "checkpoints", err)
}

// LatestCheckpoint implements events.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (_ uint64, _ []byte, err error) {
	defer func() { err = unreachable(err) }()
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	m, err := s.cps.GetLastMsgForSubject(ctx, s.cfg.CheckpointSubject+".*")
	if errors.Is(err, natsjs.ErrMsgNotFound) {
		return 0, nil, events.ErrNotFound
	}
	if err != nil {
		return 0, nil, fmt.Errorf("jetstream: latest checkpoint: %w", err)
	}
	size, err := checkpointSize(m.Sequence, m.Header)
	if err != nil {
		return 0, nil, fmt.Errorf("jetstream: latest checkpoint: %w", err)
	}
	return size, m.Data, nil
}

func checkpointSize(seq uint64, h nats.Header) (uint64, error) {
	v := h.Get(hdrTreeSize)
	size, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("checkpoint at %d: bad %s header %q", seq, hdrTreeSize, v)
	}
	return size, nil
}

// Close implements events.Store. It stops Follow and the other readers,
// deletes their consumers and waits up to 10 s for appends in flight. Later
// calls fail with code unavailable. It does not close the connection.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed.Swap(true) {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	s.cancel()
	s.readers.Wait()
	deadline := time.Now().Add(10 * time.Second)
	if s.group != nil && !s.group.wait(10*time.Second) {
		s.log.Warn("closed with a group of appends still waiting for its acknowledgement")
	}
	select {
	case <-s.js.PublishAsyncComplete():
	case <-time.After(time.Until(deadline)):
		s.log.Warn("closed with appends still waiting for their acknowledgement", "pending", s.js.PublishAsyncPending())
	}
	return nil
}

// unreachable marks errors that mean NATS could not be reached or did not
// answer in time, so that callers answer "unavailable, try again" rather
// than "internal error". Errors already in the ledger's terms pass as they
// are.
func unreachable(err error) error {
	var e *events.Error
	switch {
	case err == nil, errors.As(err, &e), errors.Is(err, events.ErrUnavailable):
		return err
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, nats.ErrNoResponders), errors.Is(err, nats.ErrConnectionClosed),
		errors.Is(err, nats.ErrDisconnected), errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, natsjs.ErrNoStreamResponse),
		errors.Is(err, natsjs.ErrNoHeartbeat), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, natsjs.ErrAsyncPublishTimeout), transient(err):
		return fmt.Errorf("%w: %w", events.ErrUnavailable, err)
	}
	return err
}
