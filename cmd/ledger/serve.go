package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/esdb"
	"github.com/mttq-vn/ledger/events/inmem"
	"github.com/mttq-vn/ledger/events/jetstream"
	"github.com/mttq-vn/ledger/projections"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/note"
)

// ServeConfig holds the settings of `ledger serve`.
type ServeConfig struct {
	Data               string
	HTTP               string
	Store              string // jetstream | esdb | inmem
	ESDBURL            string // connection string with --store esdb
	NATSURL            string
	NATSCreds          string
	NATSUser           string
	NATSPassword       string
	NATSTLSCA          string
	NATSTLSCert        string
	NATSTLSKey         string
	NATSListen         string
	Replicas           int
	Sync               string // always | lazy
	SyncInterval       time.Duration
	Origin             string
	KeyFile            string
	CheckpointInterval time.Duration
	// AcceptUnsigned starts on a log with events and no signed checkpoint
	// (events.Ledger.AcceptUnsigned).
	AcceptUnsigned bool
	LogLevel       string
	LogFormat      string
	MaxBodyBytes   int64
	// RulesFile and HolidaysFile replace the built-in deadline rule table
	// and holiday calendar.
	RulesFile     string
	HolidaysFile  string
	SnapshotEvery time.Duration
	// TLSCert and TLSKey make the HTTP server serve HTTPS only.
	TLSCert, TLSKey string
	// RateLimit is how many requests per second each token may make
	// (RateBurst at once); 0 turns the limit off. DefaultServeConfig leaves
	// it off (in-process use: benchmarks, tests); `ledger serve` defaults
	// to DefaultRateLimit and DefaultRateBurst.
	RateLimit float64
	RateBurst int
	// NATSPing is how often the client pings an external NATS server; a
	// connection that leaves natsPingsOut pings unanswered is taken for
	// dead and replaced (another server of a cluster, or the same one once
	// it answers). 0 means DefaultNATSPing. Not a flag: tests shorten it.
	NATSPing time.Duration
}

// DefaultNATSPing is NATSPing's default. nats.go's own (2 minutes, two
// pings) leaves a connection that went silent (a network partition that
// drops packets, a server frozen) in use for up to 6 minutes, in which
// every append waits out its retry budget; with these, 6-8 s.
const (
	DefaultNATSPing = 2 * time.Second
	natsPingsOut    = 3
)

// The per-token rate limit of `ledger serve` unless --rate-limit says
// otherwise: far above what a person or a recording office's integration
// sends, low enough that one runaway or stolen token cannot starve the
// others. A bulk import sets --rate-limit 0.
const (
	DefaultRateLimit = 100
	DefaultRateBurst = 200
)

// DefaultOrigin names this ledger in its checkpoints. Deployments set their
// own with --origin on first start (it is fixed by the signing key after).
const DefaultOrigin = "so-cai-giam-sat.local/ledger"

// DefaultServeConfig returns the defaults: embedded JetStream in
// ./ledger-data, HTTP on 127.0.0.1:8080, flush to disk before every
// acknowledgement.
func DefaultServeConfig() ServeConfig {
	return ServeConfig{
		Data: "ledger-data", HTTP: "127.0.0.1:8080", Store: "jetstream", Replicas: 1, Sync: "always", SyncInterval: time.Second,
		CheckpointInterval: 250 * time.Millisecond, LogLevel: "info", LogFormat: "text", MaxBodyBytes: api.DefaultMaxBodyBytes,
		SnapshotEvery: 5 * time.Minute,
	}
}

// Validate checks a configuration.
func (c *ServeConfig) Validate() error {
	switch {
	case c.Store != "jetstream" && c.Store != "esdb" && c.Store != "inmem":
		return fmt.Errorf("--store must be jetstream, esdb or inmem, not %q", c.Store)
	case c.Store == "esdb" && c.ESDBURL == "":
		return fmt.Errorf("--store esdb needs --esdb-url (or LEDGER_ESDB_URL), such as esdb://127.0.0.1:2113?tls=false")
	case c.Sync != "always" && c.Sync != "lazy":
		return fmt.Errorf("--sync must be always or lazy, not %q", c.Sync)
	case c.Replicas < 1 || c.Replicas > 5:
		return fmt.Errorf("--replicas must be 1 to 5")
	case c.Replicas > 1 && c.NATSURL == "":
		return fmt.Errorf("--replicas %d needs a NATS cluster (--nats-url); the embedded server is a single node", c.Replicas)
	case c.Origin != "" && !events.ValidOrigin(c.Origin):
		return fmt.Errorf("--origin %q is not a log's name: no spaces, control characters or '+', such as mttq.gialai.gov.vn/ledger", c.Origin)
	case c.NATSListen != "" && !validHostPort(c.NATSListen):
		return fmt.Errorf("--nats-listen must be host:port, such as 127.0.0.1:4222, not %q", c.NATSListen)
	case c.NATSListen != "" && c.NATSURL != "":
		return fmt.Errorf("--nats-listen applies to the embedded server; it cannot be combined with --nats-url")
	case c.Data == "":
		return fmt.Errorf("--data is required")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return fmt.Errorf("--tls-cert and --tls-key go together")
	case c.HTTP == "":
		return fmt.Errorf("--http is required: an address such as 127.0.0.1:8080 (0.0.0.0:8080 listens on every interface)")
	case math.IsNaN(c.RateLimit) || math.IsInf(c.RateLimit, 0):
		return fmt.Errorf("--rate-limit must be a number of requests per second, not %v", c.RateLimit)
	case c.RateLimit < 0 || (c.RateLimit > 0 && c.RateBurst < 1):
		return fmt.Errorf("--rate-limit must be 0 (no limit) or more, with --rate-burst at least 1")
	case c.CheckpointInterval < 10*time.Millisecond || c.CheckpointInterval > time.Second:
		return fmt.Errorf("--checkpoint-interval must be between 10ms and 1s (checkpoints must never be more than 1 s behind)")
	case c.SyncInterval < time.Millisecond || c.SyncInterval > time.Minute: // given to the server whatever --sync says
		return fmt.Errorf("--sync-interval must be between 1ms and 1m, not %s", c.SyncInterval)
	case c.SnapshotEvery < time.Second:
		return fmt.Errorf("--snapshot-every must be at least 1s, not %s", c.SnapshotEvery)
	case c.MaxBodyBytes < 1<<10:
		return fmt.Errorf("--max-body must be at least 1024 bytes, not %d", c.MaxBodyBytes)
	case c.LogFormat != "text" && c.LogFormat != "json":
		return fmt.Errorf("--log-format must be text or json, not %q", c.LogFormat)
	case new(slog.Level).UnmarshalText([]byte(c.LogLevel)) != nil:
		return fmt.Errorf("--log-level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	return nil
}

// ServeCommand runs the ledger server.
type ServeCommand struct {
	Stdout, Stderr io.Writer
	Config         ServeConfig
}

const serveExample = `  ledger serve
  ledger serve --data /var/lib/ledger --http 0.0.0.0:8080 --origin mttq.gialai.gov.vn/ledger
  ledger serve --nats-url nats://n1:4222,nats://n2:4222,nats://n3:4222 --replicas 3 --nats-creds ledger.creds
  ledger serve --sync lazy    # bulk import: faster, but see README on durability`

// Run implements command.
func (c *ServeCommand) Run(ctx context.Context, args []string) error {
	c.Config = DefaultServeConfig()
	c.Config.RateLimit, c.Config.RateBurst = DefaultRateLimit, DefaultRateBurst
	fs := newFlagSet("serve", "Runs the ledger: the write API, the log, proofs and signed checkpoints.", serveExample, c.Stderr)
	c.Config.registerFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := c.Config.Validate(); err != nil {
		fmt.Fprintln(c.Stderr, "ledger serve:", err)
		return errUsage
	}
	m := NewMain(c.Config, c.Stdout)
	m.FitMemory = true
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	m.Logger.Info("shutting down")
	return m.Close()
}

func (c *ServeConfig) registerFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Data, "data", c.Data, "data folder: JetStream files, the checkpoint signing key, the first admin token")
	fs.StringVar(&c.RulesFile, "rules", c.RulesFile, "deadline rule table (JSON, as GET /v1/rules shows it) instead of the built-in one")
	fs.StringVar(&c.HolidaysFile, "holidays", c.HolidaysFile, "public holiday calendar (JSON) instead of the built-in one")
	fs.DurationVar(&c.SnapshotEvery, "snapshot-every", c.SnapshotEvery, "how often the views and the write side's state are saved as snapshots while the log grows (restarts load them)")
	fs.StringVar(&c.HTTP, "http", c.HTTP, "HTTP listen address")
	fs.StringVar(&c.Store, "store", c.Store, "event store: jetstream, esdb (EventStoreDB/KurrentDB at --esdb-url), or inmem (nothing kept; for trials)")
	fs.StringVar(&c.ESDBURL, "esdb-url", envOr("LEDGER_ESDB_URL", c.ESDBURL), "EventStoreDB/KurrentDB connection string for --store esdb, such as esdb://127.0.0.1:2113?tls=false (env LEDGER_ESDB_URL)")
	fs.StringVar(&c.NATSURL, "nats-url", c.NATSURL, "use an external NATS server or cluster (comma-separated URLs) instead of the embedded one")
	fs.StringVar(&c.NATSCreds, "nats-creds", c.NATSCreds, "NATS credentials file (JWT + NKey seed)")
	fs.StringVar(&c.NATSUser, "nats-user", c.NATSUser, "NATS user name")
	fs.StringVar(&c.NATSPassword, "nats-password", c.NATSPassword, "NATS password (or set LEDGER_NATS_PASSWORD)")
	fs.StringVar(&c.NATSTLSCA, "nats-tls-ca", c.NATSTLSCA, "CA certificate to verify the NATS servers")
	fs.StringVar(&c.NATSTLSCert, "nats-tls-cert", c.NATSTLSCert, "client certificate for NATS mutual TLS")
	fs.StringVar(&c.NATSTLSKey, "nats-tls-key", c.NATSTLSKey, "client key for NATS mutual TLS")
	fs.StringVar(&c.NATSListen, "nats-listen", c.NATSListen, "let NATS clients reach the embedded server at this address (none by default)")
	fs.IntVar(&c.Replicas, "replicas", c.Replicas, "copies of each JetStream stream (a cluster needs 3)")
	fs.StringVar(&c.Sync, "sync", c.Sync, "always: flush to disk before acknowledging; lazy: flush every --sync-interval (faster; a power loss can lose that much)")
	fs.DurationVar(&c.SyncInterval, "sync-interval", c.SyncInterval, "flush interval with --sync lazy")
	fs.StringVar(&c.Origin, "origin", c.Origin, "checkpoint origin (a URL-like name of this log) for a new signing key; default "+DefaultOrigin)
	fs.StringVar(&c.KeyFile, "checkpoint-key", c.KeyFile, "checkpoint signing key file (default DATA/checkpoint.key; share it between replicas)")
	fs.DurationVar(&c.CheckpointInterval, "checkpoint-interval", c.CheckpointInterval, "how often a checkpoint is signed while the log grows")
	fs.BoolVar(&c.AcceptUnsigned, "accept-unsigned-log", false, "start on a log that has events but no signed checkpoint (it stopped before it signed its first); verify it against a checkpoint kept elsewhere first")
	fs.StringVar(&c.LogLevel, "log-level", envOr("LEDGER_LOG_LEVEL", c.LogLevel), "debug, info, warn or error (env LEDGER_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", envOr("LEDGER_LOG_FORMAT", c.LogFormat), "text or json (env LEDGER_LOG_FORMAT)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body", c.MaxBodyBytes, "largest request body in bytes")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "serve HTTPS only, with this PEM certificate (chain) file; needs --tls-key")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key of --tls-cert")
	fs.Float64Var(&c.RateLimit, "rate-limit", c.RateLimit, "requests per second each API token may make on average (429 with Retry-After beyond; 0: no limit)")
	fs.IntVar(&c.RateBurst, "rate-burst", c.RateBurst, "requests each API token may make at once with --rate-limit")
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// Main is a running ledger server; its fields are exported so tests can
// reach every part.
type Main struct {
	Config     ServeConfig
	Logger     *slog.Logger
	NATSServer *server.Server
	Conn       *nats.Conn
	Store      events.Store
	Ledger     *events.Ledger
	Views      *projections.Runner
	Metrics    *api.Metrics
	HTTPServer *api.Server
	Out        io.Writer

	// FitMemory sets the soft memory limit from the live heap once the
	// server is up, and as the live heap changes (memory.go); `ledger
	// serve` sets it, tests and benchmarks running a server in their own
	// process do not.
	FitMemory bool

	lock   *os.File
	closed bool
	memory *memoryKeeper
}

// NewMain returns a server for cfg that prints its greeting to out.
func NewMain(cfg ServeConfig, out io.Writer) *Main {
	return &Main{Config: cfg, Out: out, Logger: newLogger(cfg.LogLevel, cfg.LogFormat, os.Stderr)}
}

func newLogger(level, format string, w io.Writer) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Run opens everything in order: data folder and lock, signing key, store,
// ledger (replay and integrity check), first admin token, HTTP server.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	slog.SetDefault(m.Logger)
	// The rule table and calendar are read before anything is made: a
	// mistake in them must not leave a half-made data folder behind.
	pcfg, err := LoadProjectionConfig(cfg.RulesFile, cfg.HolidaysFile)
	if err != nil {
		return err
	}
	// The HTTP address is bound first: a port in use fails before the data
	// folder is touched, and while the log replays and the views load,
	// /healthz answers and the rest 503 with Retry-After (api.Server.Listen).
	m.HTTPServer = api.NewServer(nil, nil)
	m.HTTPServer.Addr = cfg.HTTP
	m.HTTPServer.Logger = m.Logger.With("component", "http")
	m.HTTPServer.TLSCertFile, m.HTTPServer.TLSKeyFile = cfg.TLSCert, cfg.TLSKey
	if err := m.HTTPServer.Listen(); err != nil {
		return err
	}
	// What this start makes: the folders MkdirAll makes (up to made),
	// and, if the folder was new or empty, everything in it.
	made := topMissing(cfg.Data)
	fresh := made != "" || emptyDir(cfg.Data)
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	lock, err := lockDataDir(cfg.Data)
	if err != nil {
		return err
	}
	m.lock = lock
	signer, origin, created, err := loadOrCreateKey(cfg, m.Logger)
	if err != nil {
		return err
	}
	if err := m.openStore(ctx); err != nil {
		// Nothing was stored (NATS out of reach, say): what this start
		// made goes, so that the folder is as it was.
		removeKey(created)
		if fresh {
			// The embedded server (if it started) stops first; what it
			// and this start made in the folder goes while LOCK is held,
			// so that no other start takes it first. Then the folders
			// made for it, if empty: another ledger may have made its
			// own beside it meanwhile.
			m.stopNATS()
			entries, _ := os.ReadDir(cfg.Data)
			for _, e := range entries {
				if e.Name() != "LOCK" {
					os.RemoveAll(filepath.Join(cfg.Data, e.Name()))
				}
			}
			os.Remove(filepath.Join(cfg.Data, "LOCK"))
			m.lock.Close()
			m.lock = nil
			for d := filepath.Clean(cfg.Data); made != ""; d = filepath.Dir(d) {
				if os.Remove(d) != nil || d == made {
					break
				}
			}
		}
		return err
	}
	if created != "" {
		// A key made now signs a new ledger only: a ledger with events
		// was signed with another (a mistyped --checkpoint-key, say),
		// which the history check would report as tampering.
		if head, err := m.Store.Head(ctx); err != nil || head > 0 {
			removeKey(created)
			if err != nil {
				return fmt.Errorf("read the log's head: %w", err)
			}
			return fmt.Errorf("there is no checkpoint signing key at %s, but the ledger already holds %d events: give --checkpoint-key the key they were signed with (the key made for a new ledger was not kept)", created, head)
		}
	}
	m.Metrics = api.NewMetrics()
	m.Views = projections.NewRunner(m.Store, pcfg, m.snapshots(), m.Logger.With("component", "projections"))
	m.Views.SnapshotEvery = cfg.SnapshotEvery
	if m.NATSServer != nil {
		// Views built from zero read the embedded server's files.
		m.Views.LogFiles = dataFiles(cfg.Data).ReadLog
	}
	m.Views.OnApplied = m.Metrics.ViewsPosition
	// The views load their snapshot and catch up while the ledger replays.
	viewsDone := make(chan error, 1)
	go func() { viewsDone <- m.Views.Open(ctx) }()
	m.Ledger = events.NewLedger(m.Store, signer, origin)
	m.Ledger.CheckpointInterval = cfg.CheckpointInterval
	m.Ledger.AcceptUnsigned = cfg.AcceptUnsigned
	m.Ledger.Logger = m.Logger.With("component", "ledger")
	m.Ledger.Metrics = m.Metrics
	if st, ok := m.Store.(*jetstream.Store); ok {
		// A signed snapshot of the write side's state: a restart replays
		// only the log after it.
		snaps := st.StateSnapshots()
		m.Ledger.Snapshots, m.Ledger.SnapshotEvery = snaps, cfg.SnapshotEvery
		if m.NATSServer != nil {
			snaps.Files = dataFiles(cfg.Data) // as the views' snapshot (snapshots)
			// The check that the log is the one the snapshot was made from
			// reads the embedded server's files directly: faster than
			// through the server, which has just started and holds no
			// writes yet. The server is read if that fails.
			m.Ledger.LeafReader = dataFiles(cfg.Data).Leaves
		}
	}
	var prog *Progress
	err = m.Ledger.Open(ctx, func(done, total uint64) {
		if prog == nil && total >= 50000 {
			prog = NewProgress(os.Stderr, "replaying the log", total)
		}
		if prog != nil {
			prog.Update(done)
		}
	})
	if prog != nil {
		prog.Done()
	}
	if err != nil {
		<-viewsDone // Close must not race the views' Open
		var ie *events.IntegrityError
		if errors.As(err, &ie) && len(ie.SignedBy) > 0 {
			return fmt.Errorf("%w\nThe ledger's checkpoints are signed by %s, not by the key it was started with (%s): give --checkpoint-key the key they were signed with. If there is none, the store does not match its signed history: run `ledger verify --data %s`",
				err, strings.Join(ie.SignedBy, ", "), signer.KeyID(), cfg.Data)
		}
		if errors.As(err, &ie) {
			return fmt.Errorf("%w\nThe store does not match its signed history; it will not be served. Run `ledger verify --data %s` for a full report", err, cfg.Data)
		}
		return err
	}
	if err := <-viewsDone; err != nil {
		return fmt.Errorf("build the views: %w", err)
	}
	tokenFile, err := m.bootstrapAdmin(ctx)
	if err != nil {
		return err
	}
	m.HTTPServer.Ledger, m.HTTPServer.Store = m.Ledger, m.Store
	m.HTTPServer.Metrics = m.Metrics
	m.HTTPServer.MaxBodyBytes = cfg.MaxBodyBytes
	m.HTTPServer.Views = m.Views
	if cfg.RateLimit > 0 {
		m.HTTPServer.RateLimit = api.NewRateLimiter(cfg.RateLimit, cfg.RateBurst)
	}
	if err := m.HTTPServer.Open(); err != nil {
		return err
	}
	// The start decoded the snapshots and every event after them: hand
	// that garbage back to the operating system now rather than whenever
	// the runtime gets to it, but after the server is up (a full
	// collection of a large heap takes a moment).
	if m.FitMemory {
		m.memory = keepMemory(m.Logger, budgetEvery, budgetExact)
	} else {
		go debug.FreeOSMemory()
	}
	fmt.Fprintf(m.Out, "Sổ cái giám sát is serving %s\n", m.HTTPServer.URL())
	fmt.Fprintf(m.Out, "  data folder:   %s (%s)\n", absPath(cfg.Data), m.storeDescription())
	fmt.Fprintf(m.Out, "  events:        %d\n", m.Ledger.Size())
	fmt.Fprintf(m.Out, "  verifier key:  %s\n", signer.VerifierKey())
	if tokenFile != "" {
		fmt.Fprintf(m.Out, "  admin token:   %s (created now; keep it secret)\n", tokenFile)
	}
	m.Logger.Info("serving", "http", m.HTTPServer.URL(), "events", m.Ledger.Size(), "store", m.storeDescription())
	return nil
}

// snapshots returns where the views keep their snapshot: beside the log
// in JetStream, or nowhere for the in-memory store and EventStoreDB (the
// views are rebuilt from the log at every start there; a snapshot of
// several megabytes does not fit EventStoreDB's event size limit).
func (m *Main) snapshots() projections.SnapshotStore {
	if st, ok := m.Store.(*jetstream.Store); ok {
		snaps := st.Snapshots("")
		if m.NATSServer != nil {
			// Read from the embedded server's files: a start then leaves
			// far less garbage behind (jetstream.FileLog.Object).
			snaps.Files = dataFiles(m.Config.Data)
		}
		return snaps
	}
	return nil
}

// LoadProjectionConfig reads the rule table and holiday calendar files, or
// takes the built-in ones for empty names.
func LoadProjectionConfig(rulesFile, holidaysFile string) (*projections.Config, error) {
	cfg := projections.DefaultConfig()
	var err error
	if rulesFile != "" {
		if cfg.Rules, err = projections.LoadRules(rulesFile); err != nil {
			return nil, fmt.Errorf("--rules: %w", err)
		}
	}
	if holidaysFile != "" {
		if cfg.Calendar, err = projections.LoadCalendar(holidaysFile); err != nil {
			return nil, fmt.Errorf("--holidays: %w", err)
		}
	}
	return cfg, nil
}

func (m *Main) storeDescription() string {
	switch {
	case m.Config.Store == "inmem":
		return "in memory: nothing is kept"
	case m.Config.Store == "esdb":
		return "EventStoreDB/KurrentDB " + redactURL(m.Config.ESDBURL)
	case m.Config.NATSURL != "":
		return fmt.Sprintf("NATS %s, %d replica(s)", m.Config.NATSURL, m.Config.Replicas)
	case m.Config.Sync == "lazy":
		return fmt.Sprintf("embedded JetStream, flushed every %s", m.Config.SyncInterval)
	}
	return "embedded JetStream, flushed before every acknowledgement"
}

// redactURL hides the password of a connection string
// (esdb://user:password@host:2113) before it is printed or logged.
func redactURL(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return s
	}
	if user, _, ok := strings.Cut(userinfo, ":"); ok {
		return scheme + "://" + user + ":xxxxx@" + host
	}
	return s
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// openStore starts the embedded server or connects to NATS, then opens the
// JetStream store (which refuses streams that lost their guarantees).
func (m *Main) openStore(ctx context.Context) error {
	cfg := m.Config
	if cfg.Store == "inmem" {
		m.Store = inmem.NewStore()
		return nil
	}
	if cfg.Store == "esdb" {
		st, err := esdb.Open(ctx, esdb.Config{URL: cfg.ESDBURL, Logger: m.Logger.With("component", "esdb")})
		if events.ErrorCode(err) == events.EUnavailable {
			// %v, not %w: the operator needs the address and the cause, not
			// the API's "try again".
			return fmt.Errorf("cannot reach EventStoreDB/KurrentDB at %s (is it running, and is --esdb-url right?): %v", redactURL(cfg.ESDBURL), err)
		}
		if err != nil {
			return fmt.Errorf("open the EventStoreDB store at %s: %w", redactURL(cfg.ESDBURL), err)
		}
		m.Store = st
		return nil
	}
	if cfg.NATSURL == "" {
		if fi, err := os.Stat(natsDir(cfg.Data)); err == nil && !fi.IsDir() {
			// The server would fail on it, and be waited for.
			return fmt.Errorf("%s is not a folder: the embedded server keeps its files there", natsDir(cfg.Data))
		}
		// A port opened with --nats-listen requires a user and password:
		// whoever reaches it could otherwise publish to or delete the
		// streams. Without a port, only this process can connect.
		var user, password, pwFile string
		if cfg.NATSListen != "" {
			var err error
			if user, password, pwFile, err = embeddedNATSCredentials(cfg); err != nil {
				return err
			}
		}
		s, err := jetstream.StartServer(jetstream.ServerConfig{
			StoreDir:     natsDir(cfg.Data),
			Listen:       cfg.NATSListen,
			SyncAlways:   cfg.Sync == "always",
			SyncInterval: cfg.SyncInterval,
			ServerName:   "ledger-embedded",
			Logger:       m.Logger,
			User:         user,
			Password:     password,
		})
		if err != nil {
			return err
		}
		m.NATSServer = s
		var auth []nats.Option
		if user != "" {
			auth = append(auth, nats.UserInfo(user, password))
		}
		if m.Conn, err = jetstream.ConnectInProcess(s, "ledger", auth...); err != nil {
			return err
		}
		if cfg.NATSListen != "" {
			m.Logger.Info("embedded NATS accepts clients with a user and password", "url", s.ClientURL(), "user", user, "password_file", pwFile)
		}
	} else {
		opts, err := natsOptions(cfg)
		if err != nil {
			return err
		}
		if m.Conn, err = nats.Connect(cfg.NATSURL, opts...); err != nil {
			return natsConnectError(cfg, err)
		}
	}
	st, err := jetstream.Open(ctx, m.Conn, jetstream.Config{Replicas: cfg.Replicas, GroupCommit: cfg.GroupCommit(),
		Logger: m.Logger.With("component", "jetstream")})
	if err != nil {
		return err
	}
	m.Store = st
	return nil
}

// GroupCommit reports whether the store publishes concurrent appends
// together as atomic batches (jetstream.Config.GroupCommit). Batches pay
// off where the server fsyncs every message: with the embedded server and
// --sync always, `ledger bench` measured Store.Append 4-5 times faster and
// HTTP appends about a quarter faster. They cost throughput where it does
// not (--sync lazy: Store.Append 3 times slower), because a batch has a
// fixed cost of its own, so they are off there. With --nats-url the
// server's setting is unknown; they are on, for the configuration the
// README asks for (sync_interval: always), where they measured as with
// the embedded server. Against a single server left at JetStream's default
// sync, HTTP appends measured 3 times slower with them, and against a
// 3-node cluster about even.
func (c *ServeConfig) GroupCommit() bool {
	return c.NATSURL != "" || c.Sync == "always"
}

// natsConnectError explains a failed connection to an external NATS
// server with the settings the operator should check.
func natsConnectError(cfg ServeConfig, err error) error {
	var cve *tls.CertificateVerificationError
	var hostname x509.HostnameError
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked):
		return fmt.Errorf("NATS at %s refused the ledger's credentials (check --nats-user with --nats-password or LEDGER_NATS_PASSWORD, or --nats-creds): %v", cfg.NATSURL, err)
	case errors.As(err, &cve), errors.As(err, &hostname):
		return fmt.Errorf("the TLS certificate of NATS at %s is not trusted (check --nats-tls-ca and the server's name in --nats-url): %v", cfg.NATSURL, err)
	case errors.Is(err, nats.ErrSecureConnRequired):
		return fmt.Errorf("NATS at %s requires TLS (give --nats-tls-ca, or use tls:// URLs): %v", cfg.NATSURL, err)
	}
	return fmt.Errorf("connect to NATS at %s: %w", cfg.NATSURL, err)
}

func natsOptions(cfg ServeConfig) ([]nats.Option, error) {
	ping := cfg.NATSPing
	if ping <= 0 {
		ping = DefaultNATSPing
	}
	opts := []nats.Option{nats.Name("ledger"), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond), nats.Timeout(5 * time.Second),
		nats.PingInterval(ping), nats.MaxPingsOutstanding(natsPingsOut), jetstream.LogAsyncErrors(nil)}
	if cfg.NATSCreds != "" {
		opts = append(opts, nats.UserCredentials(cfg.NATSCreds))
	}
	pw := cfg.NATSPassword
	if pw == "" {
		pw = os.Getenv("LEDGER_NATS_PASSWORD")
	}
	if cfg.NATSUser != "" {
		opts = append(opts, nats.UserInfo(cfg.NATSUser, pw))
	}
	if cfg.NATSTLSCA != "" || cfg.NATSTLSCert != "" {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.NATSTLSCA != "" {
			pem, err := os.ReadFile(cfg.NATSTLSCA)
			if err != nil {
				return nil, fmt.Errorf("read --nats-tls-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("--nats-tls-ca %s holds no PEM certificate", cfg.NATSTLSCA)
			}
			tc.RootCAs = pool
		}
		if cfg.NATSTLSCert != "" || cfg.NATSTLSKey != "" {
			cert, err := tls.LoadX509KeyPair(cfg.NATSTLSCert, cfg.NATSTLSKey)
			if err != nil {
				return nil, fmt.Errorf("load --nats-tls-cert/--nats-tls-key: %w", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, nats.Secure(tc))
	}
	return opts, nil
}

// embeddedNATSCredentials returns the user and password the embedded
// server's --nats-listen port requires: --nats-user (default "ledger") and
// --nats-password (or LEDGER_NATS_PASSWORD), else a random password kept in
// DATA/nats.password (created on first use, readable by the owner only).
// pwFile names that file, or is "" when the password was given.
func embeddedNATSCredentials(cfg ServeConfig) (user, password, pwFile string, err error) {
	user = cmp.Or(cfg.NATSUser, "ledger")
	if password = cmp.Or(cfg.NATSPassword, os.Getenv("LEDGER_NATS_PASSWORD")); password != "" {
		return user, password, "", nil
	}
	pwFile = filepath.Join(cfg.Data, "nats.password")
	b, err := os.ReadFile(pwFile)
	if errors.Is(err, os.ErrNotExist) {
		secret, _ := api.NewSecret()
		password = strings.TrimPrefix(secret, "lgr_")
		if err := writeFileAtomic(pwFile, []byte(password+"\n"), 0o600); err != nil {
			return "", "", "", fmt.Errorf("write the embedded NATS password: %w", err)
		}
		return user, password, pwFile, nil
	}
	if err != nil {
		return "", "", "", fmt.Errorf("read the embedded NATS password: %w", err)
	}
	if password = strings.TrimSpace(string(b)); password == "" {
		return "", "", "", fmt.Errorf("%s is empty: delete it to have a new password made, or give --nats-password", pwFile)
	}
	return user, password, pwFile, nil
}

// topMissing returns the outermost of dir and its parents that does not
// exist, "" if dir exists.
func topMissing(dir string) string {
	top := ""
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); !errors.Is(err, os.ErrNotExist) {
			return top
		}
		top = d
		if filepath.Dir(d) == d {
			return top
		}
	}
}

// stopNATS closes the connection to NATS and stops the embedded server,
// if there are.
func (m *Main) stopNATS() {
	if m.Conn != nil {
		m.Conn.Close()
		m.Conn = nil
	}
	if m.NATSServer != nil {
		m.NATSServer.Shutdown()
		m.NATSServer.WaitForShutdown()
		m.NATSServer = nil
	}
}

// emptyDir reports whether dir is a folder with nothing in it.
func emptyDir(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) == 0
}

// removeKey removes a signing key made by loadOrCreateKey at path (and its
// verifier key), if path is not "".
func removeKey(path string) {
	if path != "" {
		os.Remove(path)
		os.Remove(strings.TrimSuffix(path, ".key") + ".pub")
	}
}

// loadOrCreateKey reads the checkpoint signing key, or creates one for a
// new ledger (then created is its file). The key's name is the log's
// origin.
func loadOrCreateKey(cfg ServeConfig, logger *slog.Logger) (signer *events.CheckpointSigner, origin, created string, err error) {
	path := cfg.KeyFile
	if path == "" {
		path = filepath.Join(cfg.Data, "checkpoint.key")
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		name := cmp.Or(cfg.Origin, DefaultOrigin)
		skey, vkey, err := events.GenerateCheckpointKey(name)
		if err != nil {
			return nil, "", "", fmt.Errorf("--origin %q: %s", name, events.ErrorMessage(err))
		}
		if err := writeFileAtomic(path, []byte(skey+"\n"), 0o600); err != nil {
			return nil, "", "", fmt.Errorf("write the checkpoint signing key: %w", err)
		}
		if err := writeFileAtomic(strings.TrimSuffix(path, ".key")+".pub", []byte(vkey+"\n"), 0o644); err != nil {
			return nil, "", "", fmt.Errorf("write the verifier key: %w", err)
		}
		logger.Info("created the checkpoint signing key", "file", path, "origin", name)
		b, created = []byte(skey), path
	} else if err != nil {
		return nil, "", "", fmt.Errorf("read the checkpoint signing key: %w", err)
	}
	signer, err = events.NewCheckpointSigner(strings.TrimSpace(string(b)))
	if err != nil {
		if _, verr := note.NewVerifier(strings.TrimSpace(string(b))); verr == nil {
			return nil, "", "", fmt.Errorf("%s holds a verifier key (as checkpoint.pub does), not the signing key (checkpoint.key)", path)
		}
		return nil, "", "", fmt.Errorf("the checkpoint signing key in %s: %s", path, events.ErrorMessage(err))
	}
	if cfg.Origin != "" && cfg.Origin != signer.Name() {
		return nil, "", "", fmt.Errorf("--origin %q differs from the origin %q fixed by the signing key in %s", cfg.Origin, signer.Name(), path)
	}
	return signer, signer.Name(), created, nil
}

// bootstrapAdmin creates the first admin token of an empty ledger and
// writes it to DATA/admin.token. It returns the file's path if it did.
func (m *Main) bootstrapAdmin(ctx context.Context) (string, error) {
	if m.Ledger.HasTokens() {
		return "", nil
	}
	secret, sum := api.NewSecret()
	data, _ := json.Marshal(events.TokenCreatedData{Name: "first admin (created at first start)", Role: events.RoleAdmin, SecretSHA256: sum})
	path := filepath.Join(m.Config.Data, "admin.token")
	if err := writeFileAtomic(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the first admin token: %w", err)
	}
	res, err := m.Ledger.Handle(ctx, events.Request{Kind: events.KindToken, Create: true, Type: events.TokenCreated, Data: data,
		Actor: events.Actor{Subject: "ledger", Role: events.RoleSystem}, Classification: events.Internal})
	if err != nil {
		return "", fmt.Errorf("record the first admin token: %w", err)
	}
	// The first checkpoint before anything is served: a start refuses a
	// log with events and no checkpoint (events.Ledger.AcceptUnsigned).
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := m.Ledger.WaitCheckpoint(wctx, res.Position); err != nil {
		return "", fmt.Errorf("sign the first checkpoint: %w", err)
	}
	return path, nil
}

// writeFileAtomic writes a file through a temporary file and a rename, so a
// crash never leaves half a key.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// lockDataDir takes an exclusive lock on DATA/LOCK, so two processes never
// run JetStream on the same files.
func lockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the data folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("the data folder %s is in use by another ledger process: stop it first, or ask the running ledger (`ledger verify --url`, `ledger replay --url`, POST /v1/admin/rebuild)", dir)
	}
	return f, nil
}

// Close shuts down in reverse order: HTTP, ledger (a last checkpoint),
// store, NATS connection, embedded server, lock.
func (m *Main) Close() error {
	if m.closed {
		return nil
	}
	m.closed = true
	m.memory.Close()
	var errs []error
	if m.HTTPServer != nil {
		errs = append(errs, m.HTTPServer.Close())
	}
	// With NATS out of reach, the last checkpoint and snapshots would each
	// wait for their timeouts (two minutes in all): skip them. The next
	// start makes them from the log.
	offline := m.Conn != nil && !jetStreamAnswers(m.Conn, 2*time.Second)
	if offline && (m.Ledger != nil || m.Views != nil) {
		m.Logger.Warn("NATS cannot be reached: shutting down without the last checkpoint and snapshots; the next start makes them from the log")
	}
	if m.Ledger != nil {
		if offline {
			errs = append(errs, m.Ledger.CloseOffline())
		} else {
			errs = append(errs, m.Ledger.Close())
		}
	}
	if m.Views != nil {
		if offline {
			errs = append(errs, m.Views.CloseOffline())
		} else {
			errs = append(errs, m.Views.Close())
		}
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	// The store has settled its appends; nothing is left to drain.
	m.stopNATS()
	if m.lock != nil {
		m.lock.Close()
	}
	return errors.Join(errs...)
}

// jetStreamAnswers reports whether JetStream answers on nc within wait:
// the connection is up and the server (or a cluster's meta leader) takes
// requests.
func jetStreamAnswers(nc *nats.Conn, wait time.Duration) bool {
	if !nc.IsConnected() {
		return false
	}
	js, err := natsjs.New(nc)
	if err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	return err == nil
}

// errorText renders an error for a person: the message of a ledger error
// (with its field), or the error itself.
// validHostPort reports whether addr is host:port with a port number.
func validHostPort(addr string) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

// withPrefix returns "what: err" unless err's text starts with what already
// (the API client names the request of an error that is not a ledger's).
func withPrefix(what string, err error) error {
	text := errorText(err)
	if strings.HasPrefix(text, what) {
		return errors.New(text)
	}
	return fmt.Errorf("%s: %s", what, text)
}

func errorText(err error) string {
	var e *events.Error
	if errors.As(err, &e) {
		if e.Field != "" {
			return fmt.Sprintf("%s (%s: %s)", e.Message, e.Code, e.Field)
		}
		return fmt.Sprintf("%s (%s)", e.Message, e.Code)
	}
	return err.Error()
}
