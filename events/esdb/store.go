package esdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	kurrent "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/mttq-vn/ledger/events"
)

const (
	// pageSize is how many events one read asks the server for.
	pageSize = 1000
)

// Config configures a Store. A zero field takes the default its comment
// names.
type Config struct {
	// URL is the connection string, such as "esdb://127.0.0.1:2113?tls=false"
	// or "esdb://h1:2113,h2:2113,h3:2113" for a cluster (the client's own
	// syntax: https://developers.eventstore.com/clients/grpc/). Ignored if
	// Client is set.
	URL string
	// Client, if set, is used instead of parsing URL. Its Logger is
	// replaced by one that writes to Logger.
	Client *kurrent.Configuration
	// StreamPrefix starts the name of every ledger stream in EventStoreDB:
	// stream "supervision/a1" is stored as "<prefix>supervision/a1". The
	// log is the events of $all whose stream starts with it, so nothing
	// else on the server may use it. Default "ledger-" (the server's
	// by-category projection then puts every ledger event in $ce-ledger).
	StreamPrefix string
	// CheckpointStream holds the signed checkpoints, one event each. It must
	// not start with StreamPrefix. Default "ledger_checkpoints".
	CheckpointStream string
	// DedupWindow is how many of the latest events' idempotency keys the
	// store remembers. Within it, a key reused for another stream or
	// version is refused with code conflict; beyond it, the server still
	// recognises a retry of the same append (same stream and version).
	// About 40 bytes of memory each. Default 1,000,000.
	DedupWindow int
	// TailCache is how many of the latest records the store keeps in
	// memory, to serve Follow and Get without reading them again. Default
	// 4096.
	TailCache int
	// PollInterval bounds how late Follow sees events appended by other
	// processes if its subscription to $all is down. Default 1 s.
	PollInterval time.Duration
	// ConnectTimeout bounds Open's first exchange with the server. Default 15 s.
	ConnectTimeout time.Duration
	// Logger receives the store's and the client's log lines. Default
	// slog.Default() with component=esdb.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.StreamPrefix == "" {
		c.StreamPrefix = "ledger-"
	}
	if c.CheckpointStream == "" {
		c.CheckpointStream = "ledger_checkpoints"
	}
	if c.DedupWindow == 0 {
		c.DedupWindow = 1_000_000
	}
	if c.TailCache == 0 {
		c.TailCache = 4096
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 15 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default().With("component", "esdb")
	}
}

func (c *Config) validate() error {
	switch {
	case strings.HasPrefix(c.StreamPrefix, "$"):
		return fmt.Errorf("esdb: stream prefix %q: names starting with $ are the server's own", c.StreamPrefix)
	case c.CheckpointStream == "" || strings.HasPrefix(c.CheckpointStream, "$"):
		return fmt.Errorf("esdb: checkpoint stream %q: not a usable stream name", c.CheckpointStream)
	case strings.HasPrefix(c.CheckpointStream, c.StreamPrefix):
		return fmt.Errorf("esdb: checkpoint stream %q starts with the stream prefix %q: checkpoints would be read as events", c.CheckpointStream, c.StreamPrefix)
	case c.Client == nil && c.URL == "":
		return fmt.Errorf("esdb: no server: set the connection string (esdb://host:2113?tls=false)")
	}
	return nil
}

// Store is an events.Store on EventStoreDB or KurrentDB. It is safe for
// concurrent use. Create it with Open.
type Store struct {
	cfg    Config
	log    *slog.Logger
	prefix string
	ix     *index

	// The driver's client gives up for good when a connection attempt
	// fails (every later call answers "connection is closed"), so the
	// store replaces it then: client is the current one.
	clientMu  sync.Mutex
	client    *kurrent.Client
	clientCfg kurrent.Configuration

	cpMu    sync.Mutex // serialises this process's checkpoint appends
	cpSizes map[uint64]bool
	cpNext  uint64 // checkpoint events read so far: the next revision

	closed  atomic.Bool
	closing context.Context
	cancel  context.CancelFunc
	readers sync.WaitGroup
}

var _ events.Store = (*Store)(nil)

// Open connects to the server and numbers the log: it reads $all once,
// from the start, to build the position index (see doc.go), within
// ConnectTimeout for the first answer and ctx for the rest. An unreachable
// server is an error of code unavailable.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var kc kurrent.Configuration
	if cfg.Client != nil {
		kc = *cfg.Client
	} else {
		c, err := kurrent.ParseConnectionString(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("esdb: connection string: %w", err)
		}
		kc = *c
	}
	kc.Logger = clientLogger(cfg.Logger)
	closing, cancel := context.WithCancel(context.Background())
	s := &Store{
		cfg:       cfg,
		log:       cfg.Logger,
		prefix:    cfg.StreamPrefix,
		ix:        newIndex(cfg.StreamPrefix, cfg.DedupWindow, cfg.TailCache),
		clientCfg: kc,
		cpSizes:   make(map[uint64]bool),
		closing:   closing,
		cancel:    cancel,
	}
	c, err := kurrent.NewClient(&kc)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("esdb: %w", err)
	}
	s.client = c
	// The driver's first call connects, and connecting does not heed a
	// context: bound it here, so that an unreachable server cannot hold
	// Open for the driver's whole discovery schedule.
	first, stop := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer stop()
	done := make(chan error, 1)
	go func() { _, err := s.ix.catchUp(first, s.readAll); done <- err }()
	select {
	case err = <-done:
	case <-first.Done():
		err = &unavailableError{op: "open: reading $all to number the log", cause: fmt.Errorf("no answer within %s", cfg.ConnectTimeout)}
	}
	if err != nil {
		s.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, translate(first, "open: reading $all to number the log", err)
	}
	if err := s.refreshCheckpoints(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if size, _, err := s.LatestCheckpoint(ctx); err == nil {
		if head, _ := s.ix.head(); size > head {
			s.log.Error("the log is shorter than its latest checkpoint: events were lost or deleted",
				"prefix", s.prefix, "head", head, "checkpoint", size)
		}
	}
	return s, nil
}

// clientLogger passes the driver's log lines to l as debug lines. The
// driver logs every failed call and every connection attempt (as errors
// and warnings); the store returns those failures to its callers, which
// log them once, so at the default level the driver is quiet.
func clientLogger(l *slog.Logger) kurrent.LoggingFunc {
	return func(level kurrent.LogLevel, format string, args ...any) {
		if l.Enabled(context.Background(), slog.LevelDebug) {
			l.Debug("EventStoreDB client: "+fmt.Sprintf(format, args...), "client_level", level)
		}
	}
}

// conn returns the driver's client, or errClosed.
func (s *Store) conn() (*kurrent.Client, error) {
	if s.closed.Load() {
		return nil, errClosed
	}
	s.clientMu.Lock()
	defer s.clientMu.Unlock()
	return s.client, nil
}

// failed notes an error of client c: a client that reports its connection
// closed (while the store is open) is replaced, so that the next call
// connects again.
func (s *Store) failed(c *kurrent.Client, err error) error {
	if !hasCode(err, kurrent.ErrorCodeConnectionClosed) || s.closed.Load() {
		return err
	}
	s.clientMu.Lock()
	defer s.clientMu.Unlock()
	if s.client == c && !s.closed.Load() {
		cfg := s.clientCfg
		if nc, nerr := kurrent.NewClient(&cfg); nerr == nil {
			c.Close()
			s.client = nc
			s.log.Warn("lost the connection to EventStoreDB; connecting again on the next call")
		}
	}
	return err
}

// readAll is the index's reader: it reads $all forwards from from, skips
// what is not after after, and adds the events of the ledger's streams to
// ix page by page, up to the end of $all.
func (s *Store) readAll(ctx context.Context, from kurrent.AllPosition, after *kurrent.Position, ix *index) error {
	for {
		var page []*kurrent.RecordedEvent
		n, last, err := s.scanPage(ctx, from, func(ev *kurrent.RecordedEvent) error {
			if after != nil && !before(*after, ev.Position) {
				return nil
			}
			if strings.HasPrefix(ev.StreamID, s.prefix) {
				page = append(page, ev)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if last != nil {
			ix.add(page, *last)
			after, from = last, *last
		}
		if n < pageSize {
			return nil
		}
	}
}

// scanPage reads one page of $all forwards from from (inclusive) and
// passes every event to fn. It returns how many events the page held and
// the $all position of the last.
func (s *Store) scanPage(ctx context.Context, from kurrent.AllPosition, fn func(*kurrent.RecordedEvent) error) (int, *kurrent.Position, error) {
	c, err := s.conn()
	if err != nil {
		return 0, nil, err
	}
	rs, err := c.ReadAll(ctx, kurrent.ReadAllOptions{From: from, Direction: kurrent.Forwards}, pageSize)
	if err != nil {
		return 0, nil, s.failed(c, err)
	}
	defer rs.Close()
	n := 0
	var last *kurrent.Position
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return n, last, nil
		}
		if err != nil {
			return n, last, s.failed(c, err)
		}
		re := ev.OriginalEvent()
		if re == nil {
			continue
		}
		n++
		p := re.Position
		last = &p
		if err := fn(re); err != nil {
			return n, last, err
		}
	}
}

// readStream reads stream forwards from revision rev (at most count
// events, or to the end if count is 0) and passes each event to fn. A
// missing stream is no events.
func (s *Store) readStream(ctx context.Context, stream string, from kurrent.StreamPosition, dir kurrent.Direction, count uint64, fn func(*kurrent.RecordedEvent) error) error {
	for {
		c, err := s.conn()
		if err != nil {
			return err
		}
		want := uint64(pageSize)
		if count > 0 && count < want {
			want = count
		}
		rs, err := c.ReadStream(ctx, stream, kurrent.ReadStreamOptions{From: from, Direction: dir}, want)
		if err != nil {
			return s.failed(c, err)
		}
		n := uint64(0)
		var last uint64
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if isNotFound(err) {
				rs.Close()
				return nil
			}
			if err != nil {
				rs.Close()
				return s.failed(c, err)
			}
			re := ev.OriginalEvent()
			n++
			last = re.EventNumber
			if err := fn(re); err != nil {
				rs.Close()
				return err
			}
		}
		rs.Close()
		if n < want || (count > 0 && n >= count) {
			return nil
		}
		if count > 0 {
			count -= n
		}
		if dir == kurrent.Backwards {
			if last == 0 {
				return nil
			}
			from = kurrent.Revision(last - 1)
		} else {
			from = kurrent.Revision(last + 1)
		}
	}
}

// Append implements events.Store. The event goes to its own EventStoreDB
// stream with the expected revision of expectedVersion (see
// expectedRevision) and an event ID derived from its dedup key (see
// eventID). Its position is found by reading $all up to it.
func (s *Store) Append(ctx context.Context, stream string, expected uint64, e events.Pending) (events.Appended, error) {
	if err := ctx.Err(); err != nil {
		return events.Appended{}, err
	}
	if !events.ValidStream(stream) {
		return events.Appended{}, events.Errorf(events.EInvalid, "Malformed stream name %q.", stream)
	}
	a, err := s.append(ctx, stream, expected, e)
	return a, translate(ctx, "append to "+stream, err)
}

func (s *Store) append(ctx context.Context, stream string, expected uint64, e events.Pending) (events.Appended, error) {
	// Catch up first, so that the key check below sees the whole log as
	// it stood, then check the key.
	headBefore, err := s.ix.catchUp(ctx, s.readAll)
	if err != nil {
		return events.Appended{}, err
	}
	id := eventID(e.DedupKey())
	if p, ok := s.ix.lookupID(id); ok {
		return s.duplicate(ctx, p, stream, expected, e)
	}
	data, err := eventData(stream, expected+1, e)
	if err != nil {
		return events.Appended{}, err
	}
	c, err := s.conn()
	if err != nil {
		return events.Appended{}, err
	}
	res, err := c.AppendToStream(ctx, s.prefix+stream, kurrent.AppendToStreamOptions{ExpectedRevision: expectedRevision(expected)}, data)
	if current, wrong, known := wrongExpectedVersion(err); wrong {
		if !known {
			if current, err = s.Version(ctx, stream); err != nil {
				return events.Appended{}, err
			}
		}
		return events.Appended{}, &events.VersionConflict{Stream: stream, Expected: expected, Current: current}
	}
	if err != nil {
		return events.Appended{}, s.failed(c, err)
	}
	// The server answers a retry of an append it already holds (same event
	// ID at the expected revision) with success, some versions without a
	// position. Find the stored event and compare it with ours.
	at := kurrent.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition}
	if at == (kurrent.Position{}) {
		if at, err = s.positionOf(ctx, stream, expected+1); err != nil {
			return events.Appended{}, err
		}
	}
	p, err := s.dense(ctx, at)
	if err != nil && ctx.Err() == nil {
		// Should the position of the answer differ from the one $all
		// reports for the event, ask the stream where the event is.
		if at2, err2 := s.positionOf(ctx, stream, expected+1); err2 == nil && at2 != at {
			p, err = s.dense(ctx, at2)
		}
	}
	if err != nil {
		return events.Appended{}, fmt.Errorf("the event appended to %s: %w", stream, err)
	}
	rec, ok := s.ix.cached(p)
	if !ok {
		if rec, err = s.get(ctx, p); err != nil {
			return events.Appended{}, err
		}
	}
	dup := p <= headBefore || rec.ID != e.ID || !bytes.Equal(rec.Raw, e.Raw)
	if rec.Stream != stream || rec.Version != expected+1 {
		return events.Appended{}, fmt.Errorf("the server acknowledged %s version %d at $all position %d/%d, which holds %s version %d",
			stream, expected+1, at.Commit, at.Prepare, rec.Stream, rec.Version)
	}
	return events.Appended{Record: rec, Duplicate: dup}, nil
}

// duplicate answers an append whose dedup key the log already holds at
// position p: a retry if p is the same stream's next version, else a
// conflict.
func (s *Store) duplicate(ctx context.Context, p uint64, stream string, expected uint64, e events.Pending) (events.Appended, error) {
	first, ok := s.ix.cached(p)
	if !ok {
		var err error
		if first, err = s.get(ctx, p); err != nil {
			return events.Appended{}, err
		}
	}
	if first.Stream == stream && first.Version == expected+1 {
		return events.Appended{Record: first, Duplicate: true}, nil
	}
	return events.Appended{}, events.Errorf(events.EConflict, "Idempotency key %q was already used for %s version %d.", e.DedupKey(), first.Stream, first.Version)
}

// positionOf returns the $all position of version of stream.
func (s *Store) positionOf(ctx context.Context, stream string, version uint64) (kurrent.Position, error) {
	var at *kurrent.Position
	err := s.readStream(ctx, s.prefix+stream, kurrent.Revision(version-1), kurrent.Forwards, 1, func(ev *kurrent.RecordedEvent) error {
		p := ev.Position
		at = &p
		return nil
	})
	if err != nil {
		return kurrent.Position{}, err
	}
	if at == nil {
		return kurrent.Position{}, fmt.Errorf("%s version %d is not in the store", stream, version)
	}
	return *at, nil
}

// dense returns the position of the ledger event at $all position at,
// reading $all further if the index has not reached it yet.
func (s *Store) dense(ctx context.Context, at kurrent.Position) (uint64, error) {
	for range 2 {
		p, found, covered := s.ix.find(at)
		if found {
			return p, nil
		}
		if covered {
			break
		}
		if _, err := s.ix.catchUp(ctx, s.readAll); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("$all position %d/%d holds no event of the ledger's streams (%s*)", at.Commit, at.Prepare, s.prefix)
}

// Load implements events.Store.
func (s *Store) Load(ctx context.Context, stream string) ([]events.Record, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !events.ValidStream(stream) {
		return nil, events.Errorf(events.EInvalid, "Malformed stream name %q.", stream)
	}
	out := []events.Record{}
	err := s.readStream(ctx, s.prefix+stream, kurrent.Start{}, kurrent.Forwards, 0, func(ev *kurrent.RecordedEvent) error {
		r, err := recordOf(ev, s.prefix)
		if err != nil {
			return err
		}
		if want := uint64(len(out)) + 1; r.Version != want {
			return fmt.Errorf("%s: version %d follows %d: a version is missing", stream, r.Version, want-1)
		}
		if r.Position, err = s.dense(ctx, ev.Position); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, translate(ctx, "load "+stream, err)
	}
	return out, nil
}

// Version implements events.Store. It reads the stream's last event.
func (s *Store) Version(ctx context.Context, stream string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !events.ValidStream(stream) {
		return 0, events.Errorf(events.EInvalid, "Malformed stream name %q.", stream)
	}
	var v uint64
	err := s.readStream(ctx, s.prefix+stream, kurrent.End{}, kurrent.Backwards, 1, func(ev *kurrent.RecordedEvent) error {
		v = versionOf(ev.EventNumber)
		return nil
	})
	return v, translate(ctx, "version of "+stream, err)
}

// Get implements events.Store.
func (s *Store) Get(ctx context.Context, pos uint64) (events.Record, error) {
	if err := ctx.Err(); err != nil {
		return events.Record{}, err
	}
	if pos == 0 {
		return events.Record{}, events.ErrNotFound
	}
	if head, _ := s.ix.head(); pos > head {
		head, err := s.ix.catchUp(ctx, s.readAll)
		if err != nil {
			return events.Record{}, translate(ctx, "get", err)
		}
		if pos > head {
			return events.Record{}, events.ErrNotFound
		}
	}
	if r, ok := s.ix.cached(pos); ok {
		return r, nil
	}
	r, err := s.get(ctx, pos)
	return r, translate(ctx, fmt.Sprintf("get %d", pos), err)
}

// get reads the indexed position pos from the server.
func (s *Store) get(ctx context.Context, pos uint64) (events.Record, error) {
	var out events.Record
	if err := s.readLog(ctx, pos, pos, func(r events.Record) error { out = r; return nil }); err != nil {
		return events.Record{}, err
	}
	return out, nil
}

// errPageDone ends the reading of a page early.
var errPageDone = errors.New("page done")

// Head implements events.Store. It reads $all to its end first.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	h, err := s.ix.catchUp(ctx, s.readAll)
	return h, translate(ctx, "head", err)
}

// ReadLog implements events.Store.
func (s *Store) ReadLog(ctx context.Context, from uint64, fn func(events.Record) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return errClosed
	}
	head, err := s.ix.catchUp(ctx, s.readAll)
	if err != nil {
		return translate(ctx, "read log", err)
	}
	return s.deliver(ctx, "read log", max(from, 1), head, fn)
}

// deliver passes positions from..to to fn and translates the error.
func (s *Store) deliver(ctx context.Context, op string, from, to uint64, fn func(events.Record) error) error {
	err := s.readLog(ctx, from, to, func(r events.Record) error {
		if err := fn(r); err != nil {
			return callbackError{err}
		}
		return nil
	})
	var cb callbackError
	if errors.As(err, &cb) {
		return cb.err
	}
	if err != nil && s.closed.Load() && ctx.Err() == nil {
		return errClosed
	}
	return translate(ctx, op, err)
}

// callbackError carries a caller's error through readLog as it is.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// readLog passes the indexed positions from..to to fn in order: from the
// cache where it holds them, else read from $all, checking that every
// ledger event read is the one the index has at that position.
func (s *Store) readLog(ctx context.Context, from, to uint64, fn func(events.Record) error) error {
	p := from
	for p <= to {
		if err := ctx.Err(); err != nil {
			return err
		}
		if r, ok := s.ix.cached(p); ok {
			if err := fn(r); err != nil {
				return err
			}
			p++
			continue
		}
		if _, ok := s.ix.at(p); !ok {
			return fmt.Errorf("position %d is beyond the index", p)
		}
		// Read from the previous ledger event on and skip it: that works
		// whether the server's read from a position includes it or not.
		var start kurrent.AllPosition = kurrent.Start{}
		var prev *kurrent.Position
		if p > 1 {
			at, _ := s.ix.at(p - 1)
			start, prev = at, &at
		}
		got := p
		_, _, err := s.scanPage(ctx, start, func(ev *kurrent.RecordedEvent) error {
			if p > to {
				return errPageDone
			}
			if prev != nil && !before(*prev, ev.Position) || !strings.HasPrefix(ev.StreamID, s.prefix) {
				return nil
			}
			want, _ := s.ix.at(p)
			if ev.Position != want {
				return fmt.Errorf("position %d: $all holds a ledger event at %d/%d where the index has %d/%d: the log changed under the reader (events deleted?)",
					p, ev.Position.Commit, ev.Position.Prepare, want.Commit, want.Prepare)
			}
			r, err := recordOf(ev, s.prefix)
			if err != nil {
				return fmt.Errorf("position %d: %w", p, err)
			}
			r.Position = p
			if err := fn(r); err != nil {
				return err
			}
			p++
			return nil
		})
		if err != nil && !errors.Is(err, errPageDone) {
			return err
		}
		if p == got {
			return fmt.Errorf("position %d: $all has no ledger event where the index has one (events deleted?)", p)
		}
	}
	return nil
}

// Follow implements events.Store. Besides its own appends, it learns of
// new events from a subscription to $all filtered on the stream prefix
// (and, should that fail, every PollInterval). Close makes it return an
// error of code unavailable.
func (s *Store) Follow(ctx context.Context, from uint64, fn func(events.Record) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return errClosed
	}
	s.readers.Add(1)
	defer s.readers.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.closing, cancel)()
	bell := make(chan struct{}, 1)
	// The doorbell is a reader too: Close waits for it before it closes
	// the client, which panics on a subscription started after (a race
	// seen once under load: "send on closed channel" in the client).
	s.readers.Add(1)
	go func() {
		defer s.readers.Done()
		s.doorbell(ctx, bell)
	}()
	next := max(from, 1)
	for {
		_, grew := s.ix.head()
		head, err := s.ix.catchUp(ctx, s.readAll)
		if err != nil {
			if s.closed.Load() {
				return errClosed
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// An unreachable server is waited out, as a subscription would.
			s.log.Warn("follow: cannot read $all; trying again", "err", err)
		} else if next <= head {
			if err := s.deliver(ctx, "follow", next, head, fn); err != nil {
				if s.closed.Load() && !errors.As(err, new(callbackError)) {
					return errClosed
				}
				return err
			}
			next = head + 1
			continue
		}
		select {
		case <-ctx.Done():
			if s.closed.Load() {
				return errClosed
			}
			return ctx.Err()
		case <-grew:
		case <-bell:
		case <-time.After(s.cfg.PollInterval):
		}
	}
}

// doorbell rings bell whenever the server announces a new event of the
// ledger's streams, until ctx ends. The events themselves are read by
// Follow's catch-up, in order; the subscription only says when to look.
func (s *Store) doorbell(ctx context.Context, bell chan<- struct{}) {
	for ctx.Err() == nil {
		c, err := s.conn()
		if err != nil {
			return
		}
		sub, err := c.SubscribeToAll(ctx, kurrent.SubscribeToAllOptions{
			From:   kurrent.End{},
			Filter: &kurrent.SubscriptionFilter{Type: kurrent.StreamFilterType, Prefixes: []string{s.prefix}},
		})
		if err != nil {
			s.failed(c, err)
			s.log.Debug("follow: no subscription to $all; polling", "err", err, "every", s.cfg.PollInterval)
		} else {
			stop := context.AfterFunc(ctx, func() { sub.Close() })
			for {
				ev := sub.Recv()
				if ev.SubscriptionDropped != nil {
					break
				}
				if ev.EventAppeared != nil {
					select {
					case bell <- struct{}{}:
					default:
					}
				}
			}
			stop()
			sub.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(s.cfg.PollInterval):
		}
	}
}

// PutCheckpoint implements events.Store. Checkpoints are the events of
// CheckpointStream. Each append expects the revision this store has read
// up to, so two replicas storing notes at once cannot both add one for
// the same size: the loser reads the winner's note and finds its size.
func (s *Store) PutCheckpoint(ctx context.Context, size uint64, note []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.cpMu.Lock()
	defer s.cpMu.Unlock()
	for range 10 {
		if err := s.refreshCheckpointsLocked(ctx); err != nil {
			return err
		}
		if s.cpSizes[size] {
			return nil
		}
		c, err := s.conn()
		if err != nil {
			return err
		}
		expected := expectedRevision(s.cpNext)
		_, err = c.AppendToStream(ctx, s.cfg.CheckpointStream, kurrent.AppendToStreamOptions{ExpectedRevision: expected}, checkpointData(size, note))
		if _, wrong, _ := wrongExpectedVersion(err); wrong {
			continue // another writer added a checkpoint: read it, then try again
		}
		if err != nil {
			return translate(ctx, fmt.Sprintf("put checkpoint %d", size), s.failed(c, err))
		}
		s.cpSizes[size] = true
		s.cpNext++
		return nil
	}
	return fmt.Errorf("esdb: put checkpoint %d: the checkpoint stream kept changing; gave up after 10 attempts", size)
}

// refreshCheckpoints reads the checkpoint events this store has not read yet.
func (s *Store) refreshCheckpoints(ctx context.Context) error {
	s.cpMu.Lock()
	defer s.cpMu.Unlock()
	return s.refreshCheckpointsLocked(ctx)
}

func (s *Store) refreshCheckpointsLocked(ctx context.Context) error {
	err := s.readStream(ctx, s.cfg.CheckpointStream, kurrent.Revision(s.cpNext), kurrent.Forwards, 0, func(ev *kurrent.RecordedEvent) error {
		size, _, err := checkpointOf(ev)
		if err != nil {
			return err
		}
		s.cpSizes[size] = true
		s.cpNext = ev.EventNumber + 1
		return nil
	})
	return translate(ctx, "read checkpoints", err)
}

// Checkpoints implements events.Store.
func (s *Store) Checkpoints(ctx context.Context, fn func(size uint64, note []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.readStream(ctx, s.cfg.CheckpointStream, kurrent.Start{}, kurrent.Forwards, 0, func(ev *kurrent.RecordedEvent) error {
		size, note, err := checkpointOf(ev)
		if err != nil {
			return err
		}
		if err := fn(size, note); err != nil {
			return callbackError{err}
		}
		return nil
	})
	var cb callbackError
	if errors.As(err, &cb) {
		return cb.err
	}
	return translate(ctx, "checkpoints", err)
}

// LatestCheckpoint implements events.Store.
func (s *Store) LatestCheckpoint(ctx context.Context) (uint64, []byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	var size uint64
	var note []byte
	found := false
	err := s.readStream(ctx, s.cfg.CheckpointStream, kurrent.End{}, kurrent.Backwards, 1, func(ev *kurrent.RecordedEvent) error {
		var err error
		size, note, err = checkpointOf(ev)
		found = err == nil
		return err
	})
	if err != nil {
		return 0, nil, translate(ctx, "latest checkpoint", err)
	}
	if !found {
		return 0, nil, events.ErrNotFound
	}
	return size, note, nil
}

// Close implements events.Store. It stops Follow and closes the client.
// Later calls fail with code unavailable.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	s.readers.Wait()
	s.clientMu.Lock()
	defer s.clientMu.Unlock()
	return s.client.Close()
}
