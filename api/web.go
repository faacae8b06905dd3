package api

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/mttq-vn/ledger/events"
	"golang.org/x/text/unicode/norm"
)

// The web workspace: server-rendered pages at / for people who are not
// programmers. It is a client of the API in the same process: every page
// reads and every form writes through the /v1 handlers (s.router), with the
// session's bearer token, so the workspace obeys exactly the API's rules —
// authentication, role and scope checks, redaction, lifecycle, validation —
// and has none of its own to get wrong.

//go:embed web/templates/*.html web/static/*
var webFS embed.FS

// DefaultSessionTTL is how long a web session lasts after sign-in.
const DefaultSessionTTL = 8 * time.Hour

// Cookie names of the workspace.
const (
	sessionCookie = "ledger_session"
	loginCookie   = "ledger_login"
	langCookie    = "ledger_lang"
)

// webSession is one signed-in browser. The token secret stays on the
// server: the browser holds only the session's random ID.
type webSession struct {
	id      string
	secret  string
	csrf    string
	name    string
	expires time.Time
}

// webState is the workspace's state: sessions, templates, the key that
// signs sign-in form tokens, and the hashed names of static assets.
type webState struct {
	once     sync.Once
	mu       sync.Mutex
	sessions map[string]*webSession
	key      []byte
	pages    map[string]*template.Template
	static   map[string]staticAsset
	assetURL map[string]string
}

type staticAsset struct {
	body  []byte
	ctype string
	etag  string
}

// maxSessions bounds the session table; the oldest sessions go first.
const maxSessions = 10000

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) web() *webState {
	w := &s.webState
	w.once.Do(func() {
		w.sessions = map[string]*webSession{}
		w.key = make([]byte, 32)
		rand.Read(w.key)
		w.static, w.assetURL = map[string]staticAsset{}, map[string]string{}
		entries, _ := fs.ReadDir(webFS, "web/static")
		for _, e := range entries {
			b, _ := webFS.ReadFile("web/static/" + e.Name())
			sum := sha256.Sum256(b)
			ctype := "application/octet-stream"
			switch {
			case strings.HasSuffix(e.Name(), ".css"):
				ctype = "text/css; charset=utf-8"
			case strings.HasSuffix(e.Name(), ".js"):
				ctype = "text/javascript; charset=utf-8"
			case strings.HasSuffix(e.Name(), ".svg"):
				ctype = "image/svg+xml"
			}
			etag := hex.EncodeToString(sum[:8])
			w.static[e.Name()] = staticAsset{body: b, ctype: ctype, etag: etag}
			w.assetURL[e.Name()] = "/static/" + e.Name() + "?v=" + etag
		}
		w.pages = parsePages(w.assetURL)
	})
	return w
}

func (s *Server) sessionTTL() time.Duration {
	if s.SessionTTL > 0 {
		return s.SessionTTL
	}
	return DefaultSessionTTL
}

// newSession stores a session for a token secret.
func (s *Server) newSession(secret, name string) *webSession {
	w := s.web()
	sess := &webSession{id: randomString(32), secret: secret, csrf: randomString(32), name: name, expires: time.Now().Add(s.sessionTTL())}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for id, old := range w.sessions {
		if now.After(old.expires) {
			delete(w.sessions, id)
		}
	}
	for len(w.sessions) >= maxSessions {
		var oldest *webSession
		for _, old := range w.sessions {
			if oldest == nil || old.expires.Before(oldest.expires) {
				oldest = old
			}
		}
		delete(w.sessions, oldest.id)
	}
	w.sessions[sess.id] = sess
	return sess
}

// session returns the request's live session, or nil; expired says a
// session cookie was sent for a session that has expired or ended.
func (s *Server) session(r *http.Request) (sess *webSession, expired bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, false
	}
	w := s.web()
	w.mu.Lock()
	defer w.mu.Unlock()
	sess = w.sessions[c.Value]
	if sess == nil {
		return nil, true
	}
	if time.Now().After(sess.expires) {
		delete(w.sessions, sess.id)
		return nil, true
	}
	return sess, false
}

func (s *Server) endSession(sess *webSession) {
	w := s.web()
	w.mu.Lock()
	delete(w.sessions, sess.id)
	w.mu.Unlock()
}

func (s *Server) secureCookies(r *http.Request) bool { return s.SecureCookies || r.TLS != nil }

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: s.secureCookies(r), SameSite: http.SameSiteStrictMode})
}

// loginToken returns the CSRF token of the sign-in form for the browser's
// login nonce (a cookie), setting a nonce if it has none: the form is posted
// before any session exists, so its token is an HMAC of the nonce.
func (s *Server) loginToken(w http.ResponseWriter, r *http.Request) string {
	nonce := ""
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) >= 20 {
		nonce = c.Value
	} else {
		nonce = randomString(24)
		s.setCookie(w, r, loginCookie, nonce, 3600)
	}
	m := hmac.New(sha256.New, s.web().key)
	m.Write([]byte("login\x00" + nonce))
	return hex.EncodeToString(m.Sum(nil))
}

func (s *Server) checkLoginToken(r *http.Request) bool {
	c, err := r.Cookie(loginCookie)
	if err != nil || len(c.Value) < 20 {
		return false
	}
	m := hmac.New(sha256.New, s.web().key)
	m.Write([]byte("login\x00" + c.Value))
	want := hex.EncodeToString(m.Sum(nil))
	return hmac.Equal([]byte(want), []byte(r.PostFormValue("csrf")))
}

// checkCSRF checks the form's token against the session's.
func checkCSRF(r *http.Request, sess *webSession) bool {
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.csrf)) == 1
}

// lang returns the page language: ?lang= (remembered in a cookie), the
// cookie, else Vietnamese.
func (s *Server) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "vi" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true,
			Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "vi" || c.Value == "en") {
		return c.Value
	}
	return "vi"
}

// apiReply is the answer of an in-process API request.
type apiReply struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (a *apiReply) Header() http.Header         { return a.header }
func (a *apiReply) Write(b []byte) (int, error) { return a.body.Write(b) }
func (a *apiReply) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
}

// err returns the API's error as an *events.Error, or nil on success.
func (a *apiReply) err() error {
	if a.status < 400 {
		return nil
	}
	var eb ErrorBody
	if json.Unmarshal(a.body.Bytes(), &eb) != nil || eb.Error.Code == "" {
		return events.Errorf(events.EInternal, "HTTP %d", a.status)
	}
	return &events.Error{Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}
}

// decode decodes a successful JSON answer into v, or returns the API's
// error.
func (a *apiReply) decode(v any) error {
	if err := a.err(); err != nil {
		return err
	}
	if v == nil {
		return nil
	}
	return json.Unmarshal(a.body.Bytes(), v)
}

// call sends one request through the API's router in process, as the
// session's token: the workspace has no access the token does not have.
// header lists extra header names and values in pairs.
func (s *Server) call(r *http.Request, sess *webSession, method, path string, body []byte, header ...string) *apiReply {
	req, err := http.NewRequestWithContext(r.Context(), method, path, bytes.NewReader(body))
	rep := &apiReply{header: http.Header{}}
	if err != nil {
		rep.status = http.StatusBadRequest
		writeJSON(rep, http.StatusBadRequest, ErrorBody{Error: ErrorDetail{Code: events.EInvalid, Message: err.Error()}})
		return rep
	}
	req.RemoteAddr = r.RemoteAddr
	if sess != nil {
		req.Header.Set("Authorization", "Bearer "+sess.secret)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	s.router.ServeHTTP(rep, req)
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	return rep
}

// get is call for a GET with query parameters, decoding JSON into v.
func (s *Server) get(r *http.Request, sess *webSession, path string, q url.Values, v any) error {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return s.call(r, sess, "GET", path, nil).decode(v)
}

// registerWebRoutes mounts the workspace. Each route is explicit (no
// catch-all), so unknown /v1 paths still get the API's JSON 404.
func (s *Server) registerWebRoutes(r *mux.Router) {
	r.HandleFunc("/", s.webHome).Methods("GET")
	r.HandleFunc("/static/{name}", s.webStatic).Methods("GET")
	r.HandleFunc("/login", s.webLogin).Methods("GET", "POST")
	r.HandleFunc("/logout", s.webLogout).Methods("POST")
	r.HandleFunc("/dashboard", s.page(s.webDashboard)).Methods("GET")
	r.HandleFunc("/inbox", s.page(s.webInbox)).Methods("GET")
	r.HandleFunc("/inspect", s.page(s.webInspect)).Methods("GET")
	r.HandleFunc("/reports", s.page(s.webReports)).Methods("GET")
	r.HandleFunc("/reports.csv", s.page(s.webReportCSV)).Methods("GET")
	r.HandleFunc("/verify", s.page(s.webVerify)).Methods("GET")
	r.HandleFunc("/items/"+collectionPattern, s.page(s.webList)).Methods("GET")
	r.HandleFunc("/items/"+collectionPattern+"/new", s.page(s.webNew)).Methods("GET", "POST")
	r.HandleFunc("/items/"+collectionPattern+"/{id}", s.page(s.webItem)).Methods("GET")
	r.HandleFunc("/items/"+collectionPattern+"/{id}/step", s.page(s.webStep)).Methods("GET", "POST")
	r.HandleFunc("/trails/{id}", s.page(s.webTrail)).Methods("GET")
	r.HandleFunc("/trails/{id}/bundle", s.page(s.webBundle)).Methods("GET")
}

// webPath reports whether path is under the workspace's pages (where an
// unknown path gets the HTML error page rather than the API's JSON).
func webPath(path string) bool {
	return strings.HasPrefix(path, "/items/") || strings.HasPrefix(path, "/trails/")
}

// pageCtx is what a page handler works with.
type pageCtx struct {
	w     http.ResponseWriter
	r     *http.Request
	sess  *webSession
	actor events.Actor
	lang  string
}

func (p *pageCtx) t(key string) string { return tr(p.lang, key) }

// page wraps a handler that needs a signed-in session: it redirects to the
// sign-in page without one, re-checks the token (a revoked or expired
// token ends the session), and checks the CSRF token of every POST.
func (s *Server) page(h func(*pageCtx)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		lang := s.lang(w, r)
		sess, expired := s.session(r)
		if sess == nil {
			if r.Method != http.MethodGet {
				s.webFail(w, r, lang, nil, http.StatusUnauthorized, tr(lang, "err.session"))
				return
			}
			q := url.Values{"next": {r.URL.RequestURI()}}
			if expired {
				q.Set("expired", "1")
			}
			http.Redirect(w, r, "/login?"+q.Encode(), http.StatusSeeOther)
			return
		}
		actor, err := s.Ledger.Authenticate(sess.secret)
		if err != nil {
			s.endSession(sess)
			http.Redirect(w, r, "/login?expired=1", http.StatusSeeOther)
			return
		}
		if !s.limitPage(w, r, lang, sess, actor) {
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
			if err := r.ParseForm(); err != nil {
				status := http.StatusBadRequest
				if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
					status = http.StatusRequestEntityTooLarge
				}
				s.webFail(w, r, lang, sess, status, tr(lang, "err.form"))
				return
			}
			if !checkCSRF(r, sess) {
				s.webFail(w, r, lang, sess, http.StatusForbidden, tr(lang, "err.csrf"))
				return
			}
		}
		h(&pageCtx{w: w, r: r, sess: sess, actor: actor, lang: lang})
	}
}

// limitPage applies the API's per-token rate limit to a page (a page
// counts once, whatever API reads it makes in process): the token's
// requests are its requests, through the API or the pages. It reports
// whether the page may go on; if not, it has answered 429.
func (s *Server) limitPage(w http.ResponseWriter, r *http.Request, lang string, sess *webSession, actor events.Actor) bool {
	if s.RateLimit == nil {
		return true
	}
	allowed, wait := s.RateLimit.Allow(actor.Subject)
	if allowed {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	s.webFail(w, r, lang, sess, http.StatusTooManyRequests, tr(lang, "err.ratelimit"))
	return false
}

// render writes a page with the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, lang string, sess *webSession, status int, name string, data map[string]any) {
	tpl := s.web().pages[name]
	if data == nil {
		data = map[string]any{}
	}
	data["Lang"] = lang
	data["Path"] = r.URL.Path
	data["Switch"] = switchURL(r, lang)
	if sess != nil {
		data["CSRF"] = sess.csrf
		data["User"] = sess.name
		if a, err := s.Ledger.Authenticate(sess.secret); err == nil {
			data["Role"] = string(a.Role)
			data["Unit"] = a.Unit
			data["Party"] = a.Party
		}
	}
	var b bytes.Buffer
	if err := tpl.ExecuteTemplate(&b, "layout", data); err != nil {
		s.Logger.Error("render page", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(status)
	// Templates and data are NFC already; normalise what the API
	// returned as well, so every page is NFC text.
	w.Write(norm.NFC.Bytes(b.Bytes()))
}

func (s *Server) renderPage(p *pageCtx, status int, name string, data map[string]any) {
	s.render(p.w, p.r, p.lang, p.sess, status, name, data)
}

// webFail renders an error page.
func (s *Server) webFail(w http.ResponseWriter, r *http.Request, lang string, sess *webSession, status int, msg string) {
	s.render(w, r, lang, sess, status, "error", map[string]any{"Title": tr(lang, "err.title"), "Status": status, "Message": msg})
}

// fail renders an API error as a page with its status.
func (s *Server) fail(p *pageCtx, err error) {
	code := events.ErrorCode(err)
	status, ok := statuses[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == events.EInternal {
		s.Logger.Error("internal error", "path", p.r.URL.Path, "err", err)
	}
	s.render(p.w, p.r, p.lang, p.sess, status, "error", map[string]any{"Title": p.t("err.title"), "Status": status,
		"Message": p.t("code." + code), "Detail": events.ErrorMessage(err), "DetailLang": "en"}) // the API's words are English
}

func switchURL(r *http.Request, lang string) string {
	q := r.URL.Query()
	if lang == "en" {
		q.Set("lang", "vi")
	} else {
		q.Set("lang", "en")
	}
	return r.URL.Path + "?" + q.Encode()
}

// webStatic serves GET /static/{name}: embedded CSS, JavaScript and icons.
func (s *Server) webStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := s.web().static[mux.Vars(r)["name"]]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+a.etag+`"`)
	if r.Header.Get("If-None-Match") == `"`+a.etag+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(a.body)
}

// webHome serves GET /: the signed-in role's start page.
func (s *Server) webHome(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.session(r)
	if sess == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	a, err := s.Ledger.Authenticate(sess.secret)
	if err != nil {
		s.endSession(sess)
		http.Redirect(w, r, "/login?expired=1", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, homeOf(a.Role), http.StatusSeeOther)
}

func homeOf(role events.Role) string {
	switch role {
	case events.RoleRespondent:
		return "/inbox"
	case events.RoleInspector:
		return "/inspect"
	case events.RoleObserver:
		return "/reports"
	}
	return "/dashboard"
}

// localPath returns next if it is a path of this site to go to after
// sign-in, else "": no scheme or host, one leading slash, and no
// backslash or control character (browsers drop tabs and line breaks
// from a URL, so "/\t/evil.example" would lead to another site).
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsFunc(next, func(c rune) bool {
		return c < 0x20 || c == 0x7f || c == '\\'
	}) {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return ""
	}
	return next
}

// webLogin serves GET and POST /login: sign-in with a token.
func (s *Server) webLogin(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(w, r)
	var formErr error
	if r.Method == http.MethodPost {
		// Bounded before any form value is read (FormValue reads the
		// body, up to net/http's 10 MB).
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		formErr = r.ParseForm()
	}
	next := localPath(r.FormValue("next"))
	data := map[string]any{"Title": tr(lang, "login.title"), "Next": next}
	if r.URL.Query().Get("expired") != "" {
		data["Notice"] = tr(lang, "login.expired")
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		var tooLarge *http.MaxBytesError
		if errors.As(formErr, &tooLarge) {
			s.webFail(w, r, lang, nil, http.StatusRequestEntityTooLarge, tr(lang, "err.title"))
			return
		}
		if formErr != nil || !s.checkLoginToken(r) {
			s.webFail(w, r, lang, nil, http.StatusForbidden, tr(lang, "err.csrf"))
			return
		}
		secret := strings.TrimSpace(r.PostFormValue("token"))
		actor, err := s.Ledger.Authenticate(secret)
		if err == nil && !s.limitPage(w, r, lang, nil, actor) {
			return
		}
		if err == nil {
			name := actor.Subject
			if st := s.Ledger.Lookup(events.StreamName(events.KindToken, strings.TrimPrefix(actor.Subject, "token/"))); st.Exists() {
				if info, ok := st.TokenInfo(); ok && info.Name != "" {
					name = info.Name
				}
			}
			if old, _ := s.session(r); old != nil {
				s.endSession(old)
			}
			sess := s.newSession(secret, name)
			s.setCookie(w, r, sessionCookie, sess.id, int(s.sessionTTL()/time.Second))
			s.setCookie(w, r, loginCookie, "", -1)
			if next == "" {
				next = homeOf(actor.Role)
			}
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		status = http.StatusUnauthorized
		data["Errors"] = map[string]string{"token": tr(lang, "login.bad") + " " + events.ErrorMessage(err)}
	}
	data["LoginCSRF"] = s.loginToken(w, r)
	s.render(w, r, lang, nil, status, "login", data)
}

// webLogout serves POST /logout.
func (s *Server) webLogout(w http.ResponseWriter, r *http.Request) {
	lang := s.lang(w, r)
	sess, _ := s.session(r)
	if sess != nil {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if r.ParseForm() != nil || !checkCSRF(r, sess) {
			s.webFail(w, r, lang, sess, http.StatusForbidden, tr(lang, "err.csrf"))
			return
		}
		s.endSession(sess)
	}
	s.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
