package jetstream

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// ServerConfig configures an embedded NATS server with JetStream.
type ServerConfig struct {
	// StoreDir is the JetStream storage directory. Required.
	StoreDir string
	// Listen is the client address, such as "127.0.0.1:4222"; port 0 picks
	// a free port. Empty means no TCP listener at all: connect with
	// ConnectInProcess.
	Listen string
	// SyncAlways makes the server fsync every message before it
	// acknowledges it: no acknowledged write is lost, even on a power loss,
	// at the cost of throughput (a few thousand appends/s, bound by the
	// disk's fsync rate). It is the safe choice; callers default it to true.
	SyncAlways bool
	// SyncInterval bounds how long acknowledged writes may sit unflushed
	// when SyncAlways is false: a power loss or kernel crash loses at most
	// this much. Zero means one second (JetStream's own default is two
	// minutes).
	SyncInterval time.Duration
	// ServerName names the server; empty lets the server choose.
	ServerName string
	// User and Password, if set, are required of every client, the
	// in-process connection included (pass them to ConnectInProcess with
	// nats.UserInfo). A server with a Listen address should have them:
	// whoever reaches an open port can publish to or delete the streams.
	User, Password string
	// Logger receives the server's warnings and errors. Nil means
	// slog.Default().
	Logger *slog.Logger
}

// StartServer starts an embedded NATS server with JetStream on file storage
// and waits up to 10 s until it accepts connections. It installs no signal
// handlers: the caller owns the process. Stop it with Shutdown and
// WaitForShutdown.
func StartServer(cfg ServerConfig) (*server.Server, error) {
	if cfg.StoreDir == "" {
		return nil, errors.New("jetstream: start server: no store directory")
	}
	opts := &server.Options{
		ServerName:   cfg.ServerName,
		JetStream:    true,
		StoreDir:     cfg.StoreDir,
		SyncAlways:   cfg.SyncAlways,
		SyncInterval: cfg.SyncInterval,
		NoSigs:       true,
		DontListen:   cfg.Listen == "",
	}
	if cfg.User != "" {
		opts.Users = []*server.User{{Username: cfg.User, Password: cfg.Password}}
	}
	if !cfg.SyncAlways && opts.SyncInterval == 0 {
		opts.SyncInterval = time.Second
	}
	if cfg.Listen != "" {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("jetstream: start server: listen address: %w", err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("jetstream: start server: bad port in listen address %q", cfg.Listen)
		}
		if p == 0 {
			p = server.RANDOM_PORT // the server reads 0 as its default, 4222
		}
		opts.Host, opts.Port = host, p
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("jetstream: start server: %w", err)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.Default()
	}
	fatal := make(chan string, 1)
	s.SetLoggerV2(serverLogger{logger.With("component", "nats-server"), fatal}, false, false, false)
	go s.Start()
	// A fatal error (its port in use, say) ends the wait at once, with
	// the server's reason.
	for give := time.Now().Add(10 * time.Second); !s.ReadyForConnections(50 * time.Millisecond); {
		var why string
		select {
		case why = <-fatal:
		default:
			if time.Now().Before(give) {
				continue
			}
			why = "not ready within 10 s"
		}
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("jetstream: start server: %s", why)
	}
	if !s.JetStreamEnabled() {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, errors.New("jetstream: start server: JetStream did not start (see the server's log)")
	}
	return s, nil
}

// ConnectInProcess connects to s without the network, which makes requests
// several times faster than loopback TCP. name names the connection in the
// server's monitoring; opts add to the connection's options (credentials).
func ConnectInProcess(s *server.Server, name string, opts ...nats.Option) (*nats.Conn, error) {
	nc, err := nats.Connect("", append([]nats.Option{nats.InProcessServer(s), nats.Name(name), LogAsyncErrors(nil)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("jetstream: connect in-process: %w", err)
	}
	return nc, nil
}

// LogAsyncErrors is a connection option that reports the client's
// asynchronous errors to logger (nil: slog.Default()) instead of nats.go's
// default, which prints them to standard error. The usual one is a slow
// consumer: a reader's subscription overflowed while its goroutine was
// busy (nats.go sizes a reader's channel to exactly its pull batch; seen
// a few times in a million-event read). The ordered readers of this
// package recover by themselves: they resume from the last position they
// delivered, and a gap in positions is an error, never a silent skip.
// (Every subscription of the ledger is such a reader.) So a slow consumer
// is logged at Info, other errors at Warn.
func LogAsyncErrors(logger *slog.Logger) nats.Option {
	return nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
		l := logger
		if l == nil {
			l = slog.Default()
		}
		attrs := []any{"component", "nats-client", "err", err}
		if sub != nil {
			attrs = append(attrs, "subject", sub.Subject)
		}
		if errors.Is(err, nats.ErrSlowConsumer) {
			l.Info("NATS client: a reader fell behind and lost messages; it resumes from its last position", attrs...)
			return
		}
		l.Warn("NATS client error", attrs...)
	})
}

// serverLogger passes the server's warnings and errors to slog and drops
// its notices, debug and trace lines; the first fatal error's text also
// goes to fatal (nil: nowhere).
type serverLogger struct {
	l     *slog.Logger
	fatal chan<- string
}

func (serverLogger) Noticef(string, ...any) {}
func (serverLogger) Debugf(string, ...any)  {}
func (serverLogger) Tracef(string, ...any)  {}

func (g serverLogger) Warnf(format string, v ...any) {
	g.l.Warn("nats-server warning", "text", fmt.Sprintf(format, v...))
}

func (g serverLogger) Errorf(format string, v ...any) {
	g.l.Error("nats-server error", "text", fmt.Sprintf(format, v...))
}

func (g serverLogger) Fatalf(format string, v ...any) {
	text := fmt.Sprintf(format, v...)
	g.l.Error("nats-server fatal error", "text", text)
	select {
	case g.fatal <- text:
	default:
	}
}
