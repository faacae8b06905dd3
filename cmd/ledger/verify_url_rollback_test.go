package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// TestVerifyURLRolledBackLog: `ledger verify --url --key-file PINNED`
// against a server (or anything between it and the verifier) that serves a
// log rolled back to its first k events and lists no checkpoints does not
// say OK: no signed checkpoint covers what it was given. (Found by an
// audit: it did.)
func TestVerifyURLRolledBackLog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, _, admin, n := markedLog(t, ctx, 5)
	pinned := filepath.Join(t.TempDir(), "trusted.pub")
	os.WriteFile(pinned, []byte(m.Ledger.Signer.VerifierKey()+"\n"), 0o600)
	tokFile := filepath.Join(t.TempDir(), "admin.token")
	os.WriteFile(tokFile, []byte(admin.Token), 0o600)

	if code, out, errOut := runCLI(t, "verify", "--url", m.HTTPServer.URL(), "--token-file", tokFile, "--key-file", pinned); code != 0 {
		t.Fatalf("sanity: genuine server: exit %d\n%s\n%s", code, out, errOut)
	}

	k := n - 3 // the last three events are rolled back
	target, _ := url.Parse(m.HTTPServer.URL())
	proxy := httputil.NewSingleHostReverseProxy(target)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/log/checkpoints":
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("X-Ledger-Checkpoints", "0")
		case "/v1/log/entries":
			from, _ := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
			w.Header().Set("Content-Type", "application/x-ndjson")
			w.Header().Set("Trailer", "X-Ledger-Next")
			next := from
			m.Store.ReadLog(r.Context(), from, func(rec events.Record) error {
				if rec.Position > k {
					return context.Canceled
				}
				w.Write(rec.Raw)
				w.Write([]byte("\n"))
				next = rec.Position + 1
				return nil
			})
			w.Header().Set("X-Ledger-Next", strconv.FormatUint(next, 10))
		default:
			proxy.ServeHTTP(w, r)
		}
	}))
	defer evil.Close()
	code, out, errOut := runCLI(t, "verify", "--url", evil.URL, "--token-file", tokFile, "--key-file", pinned)
	if code == 0 {
		t.Errorf("verify --url --key-file PINNED accepts a log rolled back from %d to %d events with no checkpoint listed (exit 0):\n%s\n%s", n, k, out, errOut)
	}
}
