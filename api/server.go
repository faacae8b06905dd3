package api

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/mux"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultMaxBodyBytes bounds a request body.
const DefaultMaxBodyBytes = 256 << 10

// Server serves the ledger over HTTP.
type Server struct {
	// Addr is the address to listen on, such as "127.0.0.1:8080" (":0" picks
	// a free port).
	Addr string
	// Ledger decides and records commands. Required.
	Ledger *events.Ledger
	// Store is the log the ledger writes to. Required.
	Store events.Store
	// Metrics, if set, is served at /metrics and counts rejections.
	Metrics *Metrics
	// MaxBodyBytes bounds request bodies (413 beyond); default 256 KiB.
	MaxBodyBytes int64
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Views serves every read of the read side (lists, items, flags,
	// trails, reports, time travel). Without it those answer 503.
	Views *projections.Runner
	// Now is the clock deadlines are evaluated with; default time.Now.
	Now func() time.Time
	// ReadWait bounds how long a read waits for the views to reach its
	// min_position (or the item just written) before answering 503;
	// default 5 s.
	ReadWait time.Duration
	// SessionTTL is how long a web workspace session lasts after sign-in;
	// default DefaultSessionTTL (8 h).
	SessionTTL time.Duration
	// SecureCookies marks the workspace's cookies Secure even on plain
	// HTTP (behind a TLS-terminating proxy); with TLS they always are.
	SecureCookies bool
	// TLSCertFile and TLSKeyFile, if set, make Listen (or Open) serve HTTPS
	// only (TLS 1.2 or later) with this PEM certificate chain and key; a
	// plain HTTP request to the port is refused. They are read once, by
	// Listen.
	TLSCertFile, TLSKeyFile string
	// RateLimit, if set, limits the requests of each token (see
	// RateLimiter); health, readiness and metrics are exempt.
	RateLimit *RateLimiter
	// Replica names this process in the records of administrative actions
	// (admin.rebuild_requested.v1); default the host name.
	Replica string

	metrics    *Metrics
	routeNames map[*mux.Route]string // metric labels, made by NewServer
	webState   webState
	ln         net.Listener
	tls        bool
	server     *http.Server
	router     *mux.Router
	// serving is what the listener answers with: serveStarting from
	// Listen until Open, then the whole API.
	serving atomic.Pointer[http.Handler]
}

// NewServer returns a server with its routes registered.
func NewServer(l *events.Ledger, store events.Store) *Server {
	s := &Server{Ledger: l, Store: store, Addr: "127.0.0.1:8080", router: mux.NewRouter()}
	s.router.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer s.observe(otherRoute, r.Method, time.Now())
		if webPath(r.URL.Path) {
			// Under the workspace's own paths (an unknown collection, an
			// ID with a slash): its error page, not the API's JSON.
			lang := s.lang(w, r)
			sess, _ := s.session(r)
			s.webFail(w, r, lang, sess, http.StatusNotFound, tr(lang, "err.notfound"))
			return
		}
		s.Error(w, r, &events.Error{Code: events.ENotFound, Field: "path", Message: fmt.Sprintf("No route for %s %s.", r.Method, quoteShort(r.URL.Path))})
	})
	s.router.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer s.observe(otherRoute, r.Method, time.Now())
		allow := s.allowedMethods(r)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.Error(w, r, &events.Error{Code: events.EMethodNotAllowed, Field: "method",
			Message: fmt.Sprintf("Method %s is not allowed on %s; it allows %s.", r.Method, r.URL.Path, strings.Join(allow, ", "))})
	})
	s.router.HandleFunc("/healthz", s.handleHealth).Methods("GET")
	s.router.HandleFunc("/readyz", s.handleReady).Methods("GET")
	s.router.HandleFunc("/metrics", s.handleMetrics).Methods("GET")
	s.router.HandleFunc("/openapi.json", s.handleOpenAPI).Methods("GET")
	s.registerWriteRoutes(s.router) // first: GET of one item is the busiest route
	s.registerReadRoutes(s.router)
	s.registerLogRoutes(s.router)
	s.registerTokenRoutes(s.router)
	s.registerWebRoutes(s.router) // the web workspace at / (web.go)
	// Each route's label in the request metrics: its path template
	// without the variables' patterns ("/v1/{collection}/{id}").
	s.routeNames = map[*mux.Route]string{}
	s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		if t, err := route.GetPathTemplate(); err == nil {
			s.routeNames[route] = routeVarPattern.ReplaceAllString(t, "{$1}")
		}
		return nil
	})
	s.router.Use(s.timeRoute)
	return s
}

// routeVarPattern matches a route variable with its pattern, {name:re}.
var routeVarPattern = regexp.MustCompile(`\{([^{}:]+):[^{}]*\}`)

// otherRoute labels the requests no route took (404, 405, 429).
const otherRoute = "other"

// timeRoute is the router's middleware: it times each request a route
// took, under the route's name. (The outer middleware runs before routing
// and cannot see the route: gorilla/mux passes it on in a new request.)
func (s *Server) timeRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := otherRoute
		if route := mux.CurrentRoute(r); route != nil {
			name = cmp.Or(s.routeNames[route], otherRoute)
		}
		defer s.observe(name, r.Method, time.Now())
		if r.URL.RawQuery != "" && strings.HasPrefix(name, "/v1/") {
			if err := checkQuery(r.Method+" "+name, r.URL.Query()); err != nil {
				s.Error(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// observe records a request's duration in the metrics, if any.
func (s *Server) observe(route, method string, start time.Time) {
	if s.metrics != nil {
		s.metrics.requests.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	}
}

// allowedMethods lists the methods the routes accept on r's path, sorted
// (for the Allow header of a 405 answer; RFC 9110 §15.5.6).
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a route for every method would have matched
		}
		for _, m := range methods {
			if slices.Contains(allow, m) {
				continue
			}
			req := r.Clone(r.Context())
			req.Method = m
			var match mux.RouteMatch
			if route.Match(req, &match) && match.MatchErr == nil {
				allow = append(allow, m)
			}
		}
		return nil
	})
	if slices.Contains(allow, http.MethodGet) {
		allow = append(allow, http.MethodHead) // see middleware
	}
	slices.Sort(allow)
	return allow
}

// Handler returns the server's HTTP handler with its middleware, for tests
// and for embedding.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	s.metrics = s.Metrics
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}
	return s.middleware(s.router)
}

// Listen binds Addr (a port in use is an error, returned at once) and
// serves in the background before the ledger is open: while a start
// replays the log and loads the views, /healthz says the process is up,
// /openapi.json is served, and every other request is answered 503 with
// Retry-After (a page that reloads itself for a browser). Open then
// serves the whole API on the same listener. A process that binds first
// fails on a taken port before it touches its data folder, and is not
// restarted as dead by a liveness probe during a long start.
func (s *Server) Listen() error {
	if s.ln != nil {
		return nil
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	var tlsConfig *tls.Config
	if s.TLSCertFile != "" || s.TLSKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(s.TLSCertFile, s.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("api: load the TLS certificate and key: %w", err)
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("api: listen on %s: %w", s.Addr, err)
	}
	s.ln = ln
	s.tls = tlsConfig != nil
	starting := http.Handler(http.HandlerFunc(s.serveStarting))
	s.serving.Store(&starting)
	s.server = &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*s.serving.Load()).ServeHTTP(w, r) }),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
		TLSConfig:         tlsConfig,
	}
	go func() {
		serve := s.server.Serve
		if tlsConfig != nil {
			serve = func(ln net.Listener) error { return s.server.ServeTLS(ln, "", "") }
		}
		if err := serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("http server stopped", "err", err)
		}
	}()
	return nil
}

// Open serves the whole API, listening first if Listen was not called.
func (s *Server) Open() error {
	if err := s.Listen(); err != nil {
		return err
	}
	h := s.Handler()
	s.serving.Store(&h)
	return nil
}

// serveStarting answers requests between Listen and Open.
func (s *Server) serveStarting(w http.ResponseWriter, r *http.Request) {
	// As middleware sets them on every answer of the API.
	w.Header()["X-Content-Type-Options"] = headerNosniff
	w.Header()["Cache-Control"] = headerNoStore
	read := r.Method == http.MethodGet || r.Method == http.MethodHead
	path := r.URL.Path
	switch {
	case path == "/healthz" && read:
		s.handleHealth(w, r)
	case path == "/openapi.json" && read:
		s.handleOpenAPI(w, r)
	case !strings.HasPrefix(path, "/v1/") && path != "/readyz" && path != "/metrics" && strings.Contains(r.Header.Get("Accept"), "text/html"):
		// A browser on the workspace: a page that tries again by itself.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, startingPage)
	default:
		// Not s.Error: Open sets the fields it reads while this runs.
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusServiceUnavailable, ErrorBody{Error: ErrorDetail{Code: events.EUnavailable,
			Message: "The ledger is starting: it replays its log and loads its views. Try again shortly."}})
	}
}

// startingPage is the workspace's page while the ledger starts.
const startingPage = `<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><meta http-equiv="refresh" content="1">
<title>Sổ cái giám sát đang khởi động</title></head>
<body><h1>Sổ cái giám sát đang khởi động</h1>
<p>Sổ cái đang nạp lại nhật ký và dựng các bảng tổng hợp. Trang sẽ tự tải lại.</p>
<p lang="en">The ledger is starting: it replays its log and loads its views. This page reloads by itself.</p>
</body></html>
`

// URL returns the base URL the server listens on.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	if s.tls {
		return "https://" + s.ln.Addr().String()
	}
	return "http://" + s.ln.Addr().String()
}

// Close shuts the server down gracefully, waiting up to 10 s for requests.
func (s *Server) Close() error {
	if s.server == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.server.Shutdown(ctx)
}

// middleware recovers panics (a bug must not kill the server or leak a
// stack trace), limits the rate and sets common headers. Requests are
// timed by the router's middleware (timeRoute), which knows the route.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Logger.Error("panic in handler", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				s.Error(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		h := w.Header()
		h["X-Content-Type-Options"], h["Cache-Control"] = headerNosniff, headerNoStore
		if !s.limitRate(w, r) {
			s.observe(otherRoute, r.Method, start)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/v1/") && !validQuery(r.URL.RawQuery) {
			// net/http's parse drops what it cannot read: an as_of of
			// "%zz" would answer with the present, unfiltered.
			s.Error(w, r, events.FieldErrorf("query", "The query string is not valid: a %% must start an escape of two hex digits (%%25 for %%), and parameters are separated by &, not ;."))
			s.observe(otherRoute, r.Method, start)
			return
		}
		if raw := r.URL.RawPath; raw != "" && (strings.Contains(raw, "%2F") || strings.Contains(raw, "%2f")) {
			// gorilla/mux routes the decoded path: without this,
			// /v1/recommendations%2Frec-1 would answer the item. No
			// ID has a slash, so such a path names nothing.
			if webPath(r.URL.Path) {
				s.router.NotFoundHandler.ServeHTTP(w, r) // the workspace's page
				return
			}
			s.Error(w, r, &events.Error{Code: events.ENotFound, Field: "path", Message: "No resource has an encoded slash (%2F) in its path: IDs have no slashes."})
			s.observe(otherRoute, r.Method, start)
			return
		}
		if p := r.URL.Path; strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..") {
			// gorilla/mux would answer a bare 301 to the cleaned path,
			// to a POST too (/v1/recommendations/%2E%2E/events moved to
			// /v1/events). No ID is . or .., and no route has an empty
			// segment.
			if webPath(p) {
				s.router.NotFoundHandler.ServeHTTP(w, r)
				return
			}
			s.Error(w, r, &events.Error{Code: events.ENotFound, Field: "path", Message: "No resource has an empty, . or .. segment in its path."})
			s.observe(otherRoute, r.Method, start)
			return
		}
		if r.Method == http.MethodHead {
			// HEAD is GET without the body (RFC 9110 §9.3.2): net/http
			// drops what the handler writes, as it knows the request's
			// method, and keeps its headers, Content-Length included.
			r = r.Clone(r.Context())
			r.Method = http.MethodGet
		}
		next.ServeHTTP(w, r)
	})
}

// validQuery reports whether url.ParseQuery reads every parameter of a raw
// query string: each % starts an escape of two hex digits, and no ; is
// used as a separator. (It allocates nothing, unlike parsing.)
func validQuery(raw string) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case ';':
			return false
		case '%':
			if i+2 >= len(raw) || !ishex(raw[i+1]) || !ishex(raw[i+2]) {
				return false
			}
			i += 2
		}
	}
	return true
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// Constant header values, shared by every answer rather than made for each
// (net/http only reads them; Header.Set replaces a value, Add copies it).
var (
	headerNosniff = []string{"nosniff"}
	headerNoStore = []string{"no-store"}
	headerJSON    = []string{"application/json; charset=utf-8"}
)

// handleHealth serves GET /healthz: the process is up.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady serves GET /readyz: the ledger has replayed its log, checked
// it and follows it.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if !s.Ledger.Ready() {
		s.Error(w, r, events.Errorf(events.EUnavailable, "The ledger is starting or has stopped following the log."))
		return
	}
	body := map[string]any{"status": "ready", "events": s.Ledger.Size()}
	if s.Views != nil {
		// The read side is named, not judged: its reads wait for it
		// (min_position) and answer 503 themselves; an operator sees here
		// why it is behind.
		views := map[string]any{"ready": s.Views.Ready(), "position": s.Views.Position()}
		if err := s.Views.FollowError(); err != nil {
			views["error"] = err.Error()
		}
		body["views"] = views
	}
	writeJSON(w, http.StatusOK, body)
}

// handleMetrics serves GET /metrics in the Prometheus text format.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		s.Error(w, r, events.Errorf(events.ENotFound, "Metrics are not enabled."))
		return
	}
	promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// authenticate returns the actor of the request's bearer token.
func (s *Server) authenticate(r *http.Request) (events.Actor, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return events.Actor{}, events.Errorf(events.EUnauthorized, "An Authorization: Bearer <token> header is required.")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return events.Actor{}, events.Errorf(events.EUnauthorized, "The Authorization header must be \"Bearer <token>\".")
	}
	return s.Ledger.Authenticate(strings.TrimSpace(token))
}

// requireRole authenticates and checks the role.
func (s *Server) requireRole(r *http.Request, roles ...events.Role) (events.Actor, error) {
	a, err := s.authenticate(r)
	if err != nil {
		return a, err
	}
	for _, role := range roles {
		if a.Role == role {
			return a, nil
		}
	}
	return a, events.Errorf(events.EForbidden, "This needs one of the roles %v; the token has %s.", roles, a.Role)
}
