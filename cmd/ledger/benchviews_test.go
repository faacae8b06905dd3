package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The bench's lean client reads answers by their length, one after the
// other on its connection, sends the token, and fails on anything but 200
// with a length.
func TestLeanClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			w.Write([]byte("y"))
		case "/missing":
			http.NotFound(w, r)
		default:
			body := strings.Repeat("é", len(r.URL.Path))
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write([]byte(body))
		}
	}))
	defer srv.Close()
	c, err := leanClient(srv.URL, "tok")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, path := range []string{"/a", "/abcdefgh", "/", "/abc"} {
		if err := c.get(path); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
	}
	if err := c.get("/missing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("GET of a missing path: %v, want a 404 error", err)
	}
	c2, _ := leanClient(srv.URL, "tok")
	defer c2.close()
	if err := c2.get("/chunked"); err == nil {
		t.Error("an answer without a length was read")
	}
	c3, _ := leanClient(srv.URL, "other")
	defer c3.close()
	if err := c3.get("/a"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("GET with another token: %v, want a 401 error", err)
	}
}

// bench --fill-mix (and so --views) runs through on a small folder and
// prints every measurement; the figures themselves are not checked (speed
// is measured, never asserted).
func TestBenchViews(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mix")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	if code := Run(ctx, []string{"bench", "--fill-mix", "3000", "--keep", dir, "--read-for", "200ms"}, &out, &errs); code != 0 {
		t.Fatalf("bench --fill-mix exited %d:\n%s\n%s", code, out.String(), errs.String())
	}
	for _, want := range []string{"raw ordered replay", "raw read of the block files", "projection rebuild, via the server",
		"projection rebuild, from the files", "snapshot save", "restart to ready from the snapshot", "as_of position",
		"serve restart, views from their snapshot", "GET one item, 32 clients", "GET /healthz, 32 lean clients",
		"GET one item at 20,000/s, lean", "filtered list of 50 over HTTP", "serve restart, a fresh process",
		"serve under reads, a fresh process", "GET /healthz at 20,000/s, lean", "GET one item at 20,000/s, fresh", "GET /healthz, an empty ledger",
		"GET /healthz at 20,000/s, empty", "projection rebuild, a fresh process"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the output has no %q line:\n%s", want, out.String())
		}
	}
	// Serve is read from in this process once the views of the phase
	// before are garbage: its collector marks serve's heap alone.
	if !strings.Contains(out.String(), "heap live in this process:") || strings.Contains(out.String(), "still held") {
		t.Errorf("the reads ran beside the views of the phase before, or the live heap is not printed:\n%s", out.String())
	}
	// Each read load says what the collector did meanwhile.
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "requests/s") && !strings.Contains(line, "; GC: ") {
			t.Errorf("a read load without the collector's share: %q", line)
		}
	}
	// The bench's snapshot bucket is gone; serve's are there.
	streams := filepath.Join(dir, "nats", "jetstream", "*", "streams")
	if found, _ := filepath.Glob(filepath.Join(streams, "OBJ_LEDGER_VIEWS")); len(found) != 1 {
		t.Errorf("no OBJ_LEDGER_VIEWS stream under %s", streams)
	}
	if found, _ := filepath.Glob(filepath.Join(streams, "OBJ_LEDGER_VIEWS_BENCH")); len(found) > 0 {
		t.Errorf("the bench left its snapshot bucket: %s", found)
	}
}

// TestBenchFloor: `ledger bench --floor` measures GET /healthz of an empty
// ledger in a process of its own, flat out and at 20,000/s, and nothing
// else.
func TestBenchFloor(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errs bytes.Buffer
	if code := Run(ctx, []string{"bench", "--floor", "--read-for", "200ms"}, &out, &errs); code != 0 {
		t.Fatalf("bench --floor exited %d:\n%s\n%s", code, out.String(), errs.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "GET /healthz, an empty ledger:") || !strings.Contains(lines[1], "GET /healthz at 20,000/s, empty:") {
		t.Fatalf("bench --floor printed:\n%s", out.String())
	}
	for _, line := range lines {
		if !strings.Contains(line, "requests/s, p50 ") || !strings.Contains(line, " cycles ended in serve)") {
			t.Errorf("a floor line without its rate, latencies or the server's collections: %q", line)
		}
	}
}
