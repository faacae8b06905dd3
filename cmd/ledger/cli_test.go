package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// TestHelp checks that every command answers --help with its flags and an
// example, and exits 0.
func TestHelp(t *testing.T) {
	for _, cmd := range [][]string{{"serve"}, {"verify"}, {"demo"}, {"bench"}, {"healthcheck"}, {"token", "create"}, {"token", "revoke"}} {
		t.Run(strings.Join(cmd, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, append(cmd, "--help")...)
			if code != 0 {
				t.Fatalf("exit %d, want 0", code)
			}
			if text := out + errOut; !strings.Contains(text, "Example:") || !strings.Contains(text, "ledger "+cmd[0]) {
				t.Fatalf("--help has no example:\n%s", text)
			}
		})
	}
	// "ledger help verify" is verify's help, not the general one.
	if code, out, errOut := runCLI(t, "help", "verify"); code != 0 || !strings.Contains(out+errOut, "Usage: ledger verify") {
		t.Errorf("help verify: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, "help"); code != 0 || !strings.Contains(out, "Commands:") {
		t.Fatalf("help: exit %d\n%s", code, out)
	}
}

// TestUsageErrors checks that wrong usage exits 2 with a message, never a
// panic.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"serve", "--sync", "sometimes"},
		{"serve", "--replicas", "3"},
		{"serve", "--checkpoint-interval", "5s"},
		{"serve", "--log-format", "xml"},
		{"serve", "--log-level", "loud"},
		{"serve", "--max-body", "-1"},
		{"serve", "--sync", "lazy", "--sync-interval", "0s"},
		{"serve", "--sync-interval", "-1s"}, // panicked in the embedded server, leaving a data folder behind
		{"serve", "--snapshot-every", "0s"},
		{"serve", "extra"},
		{"verify"},
		{"verify", "--data", "x", "--url", "http://y"},
		{"verify", "--data", "x", "--via", "carrier-pigeon"},
		{"demo", "--scale", "0", "--token-file", "x"},
		{"bench", "--sync", "never"},
		{"bench", "--floor", "--views", "x"},
		{"bench", "--floor", "--read-for", "0"},
		{"bench", "--soak", "-1s"},
		{"bench", "--soak", "2s", "--soak-every", "0"}, // a ticker of no interval panicked
		{"bench", "--soak", "2s", "--soak-every", "100ms", "--soak-writes", "2000000000"},
		{"bench", "--soak", "2s", "--soak-every", "1s"}, // too few samples for a verdict
		{"bench", "--soak", "2s", "--soak-fill", "5"},   // neither empty nor the fill's units
		{"bench", "--fill-mix", "1000", "--keep", "."},  // not empty: it wrote into an existing ledger
		{"bench", "--reuse", "/nonexistent"},            // found only after the append phase
		{"serve", "--http", ""},                         // it listened on every interface
		{"serve", "--origin", "my ledger"},
		{"serve", "--nats-listen", "bogus"},
		{"serve", "--rate-limit", "NaN"},
		{"serve", "--rate-limit", "Inf"},
		{"healthcheck", "--timeout", "0"},
		{"healthcheck", "--url", "bogus"},          // a Go URL error, exit 1
		{"healthcheck", "--url", "127.0.0.1:8080"}, // no scheme
		{"version", "extra"},
		{"verify", "--data", "x", "--key", "k", "--key-file", "k.pub"},
		// Flags that do not apply to the mode were ignored silently.
		{"verify", "--bundle", "b.json", "--key-file", "k.pub", "--checkpoint", "cp"},
		{"verify", "--bundle", "b.json", "--key-file", "k.pub", "--json"},
		{"verify", "--data", "x", "--token-file", "t"},
		{"verify", "--url", "http://y", "--token-file", "t", "--via", "server"},
		{"replay", "--data", "x", "--as-of", "1", "--token-file", "t"},
		{"token"},
		{"token", "foo"},
		{"token", "create", "--no-such-flag"},
		{"token", "revoke", "--token-file", "x", "--reason", "left"},
		{"token", "create", "--token-file", "x", "--name", "A", "--role", "observer", "--unit", "1", "--reason", "why"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s%s", code, out, errOut)
			}
			if out+errOut == "" {
				t.Fatal("no message")
			}
		})
	}
	// Failures that are not usage errors exit 1 with one clear line.
	code, _, errOut := runCLI(t, "verify", "--data", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "holds no ledger") {
		t.Fatalf("verify of an empty folder: exit %d: %s", code, errOut)
	}
	// A folder with an empty nats folder is no ledger either: the commands
	// that open one refuse it and write nothing into it (rebuild made the
	// streams of a new, empty ledger there).
	fake := t.TempDir()
	if err := os.Mkdir(filepath.Join(fake, "nats"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"rebuild", "--data", fake}, {"replay", "--data", fake, "--as-of", "1"}, {"verify", "--data", fake, "--via", "server"}} {
		if code, _, errOut := runCLI(t, args...); code != 1 || !strings.Contains(errOut, "holds no ledger") {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(fake, "nats")); len(entries) != 0 {
		t.Errorf("the commands wrote into a folder that holds no ledger: %v", entries)
	}
	// A serve whose rule table is wrong leaves no data folder behind.
	data := filepath.Join(t.TempDir(), "data")
	if code, _, errOut := runCLI(t, "serve", "--data", data, "--http", "127.0.0.1:0", "--rules", filepath.Join(fake, "no-such-rules.json")); code != 1 || !strings.Contains(errOut, "--rules") {
		t.Errorf("serve with a missing --rules file: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve with a missing --rules file made %s (%v)", data, err)
	}
	// healthcheck needs a ledger's answer, not any 200.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>ok</html>") }))
	defer other.Close()
	if code, out, errOut := runCLI(t, "healthcheck", "--url", other.URL); code != 1 || strings.Contains(out, "ready") {
		t.Errorf("healthcheck of a server that is no ledger: exit %d: %s%s", code, out, errOut)
	}
	// verify takes no page for the key it trusts, and prints none.
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte("lgr_x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runCLI(t, "verify", "--url", other.URL, "--token-file", tok); code != 1 || !strings.Contains(errOut, "is it a ledger") || strings.Contains(errOut, "<html>") {
		t.Errorf("verify of a server that is no ledger: exit %d: %s", code, errOut)
	}
}

// TestTokenCommand creates a recorder token with the CLI, uses it, and
// revokes it.
func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	m := MustRunMain(t, dir, nil)
	url := m.HTTPServer.URL()
	admin := api.NewClient(url, adminToken(t, dir))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.Create(ctx, "units", api.EventRequest{ID: "21607", Type: events.UnitRegistered,
		Data: []byte(`{"name":"Phường Bình Định","level":"COMMUNE","valid_from":"2011-06-01"}`)}, api.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "token", "create", "--url", url, "--token-file", dir+"/admin.token",
		"--name", "Cán bộ MTTQ phường Bình Định", "--role", "recorder", "--unit", "21607")
	if code != 0 || !strings.HasPrefix(out, "lgr_") {
		t.Fatalf("token create: exit %d\n%s\n%s", code, out, errOut)
	}
	recorder := api.NewClient(url, strings.TrimSpace(out))
	if _, err := recorder.State(ctx, "units", "21607"); err != nil {
		t.Fatalf("the new token does not work: %v", err)
	}
	id := strings.Fields(errOut)[2]
	code, _, errOut = runCLI(t, "token", "revoke", "--url", url, "--token-file", dir+"/admin.token", "--id", id, "--reason", "chuyển công tác")
	if code != 0 {
		t.Fatalf("token revoke: exit %d: %s", code, errOut)
	}
	if _, err := recorder.State(ctx, "units", "21607"); events.ErrorCode(err) != events.EUnauthorized {
		t.Fatalf("a revoked token still works: %v", err)
	}
	// A recorder token needs a unit: the server's message reaches the user.
	code, _, errOut = runCLI(t, "token", "create", "--url", url, "--token-file", dir+"/admin.token", "--name", "x", "--role", "recorder")
	if code != 1 || !strings.Contains(errOut, "needs a unit") {
		t.Fatalf("token create without a unit: exit %d: %s", code, errOut)
	}
}

// TestExternalNATS runs the ledger against a NATS server reached by URL
// (here a server with a TCP listener in this process), as a deployment
// with its own NATS does.
func TestExternalNATS(t *testing.T) {
	natsDir := t.TempDir()
	srv, err := startTCPServer(natsDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	dir := t.TempDir()
	m := MustRunMain(t, dir, func(c *ServeConfig) { c.NATSURL = srv.ClientURL() })
	admin := api.NewClient(m.HTTPServer.URL(), adminToken(t, dir))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := admin.Create(ctx, "units", api.EventRequest{ID: "52", Type: events.UnitRegistered,
		Data: []byte(`{"name":"Tỉnh Bình Định","level":"PROVINCE","valid_from":"1989-07-01"}`)}, api.WriteOptions{})
	if err != nil || res.Position != 2 {
		t.Fatalf("write through external NATS: %+v %v", res, err)
	}
	if err := m.Ledger.WaitCheckpoint(ctx, res.Position); err != nil {
		t.Fatal(err)
	}
	m.Close()
	// A second ledger process on the same NATS (its own data folder, the
	// same signing key) sees the same log.
	dir2 := t.TempDir()
	m2 := MustRunMain(t, dir2, func(c *ServeConfig) { c.NATSURL = srv.ClientURL(); c.KeyFile = dir + "/checkpoint.key" })
	if got := m2.Ledger.Size(); got != 2 {
		t.Fatalf("the second ledger sees %d events, want 2", got)
	}
	if !m2.Ledger.HasTokens() {
		t.Fatal("the second ledger does not see the first admin token")
	}
}

// TestProgress checks the plain periodic lines written when the output is
// not a terminal.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, "verifying", 1000)
	p.every = 0
	p.Update(250)
	p.Update(500)
	p.Done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "verifying: 250/1000 (25.0%)") || !strings.Contains(lines[0], "/s") ||
		!strings.Contains(lines[0], "left") || !strings.Contains(lines[2], "done in") || strings.Contains(buf.String(), "\r") {
		t.Fatalf("progress lines:\n%s", buf.String())
	}
}

// TestProgressPastItsTotal: a fill writes whole cycles, and a small one
// its units first; done past the total shows 100%, not 296.5%.
func TestProgressPastItsTotal(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, "writing", 100)
	p.every = 0
	p.Update(296)
	p.Done()
	if out := buf.String(); !strings.Contains(out, "writing: 296/296 (100.0%)") || strings.Contains(out, "296.0%") {
		t.Fatalf("progress lines:\n%s", out)
	}
}

// TestMissingKeyOnAnExistingLedger: a start whose signing key is not there
// makes one only for a new ledger. On a ledger with events (a mistyped
// --checkpoint-key, say) it says so, keeps no new key, and leaves the
// ledger to start again with the right key.
func TestMissingKeyOnAnExistingLedger(t *testing.T) {
	dir := t.TempDir()
	m := MustRunMain(t, dir, nil)
	m.Close()
	wrong := filepath.Join(t.TempDir(), "nope.key")
	m2 := NewMain(func() ServeConfig {
		cfg := DefaultServeConfig()
		cfg.Data, cfg.HTTP, cfg.LogLevel, cfg.KeyFile = dir, "127.0.0.1:0", "warn", wrong
		return cfg
	}(), &bytes.Buffer{})
	err := m2.Run(context.Background())
	m2.Close()
	if err == nil || !strings.Contains(err.Error(), "no checkpoint signing key at "+wrong) || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("start with a missing key on a ledger with events: %v", err)
	}
	for _, f := range []string{wrong, strings.TrimSuffix(wrong, ".key") + ".pub"} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was kept: %v", f, err)
		}
	}
	// The verifier key given for the signing key is named as such.
	m3 := NewMain(func() ServeConfig {
		cfg := DefaultServeConfig()
		cfg.Data, cfg.HTTP, cfg.LogLevel, cfg.KeyFile = dir, "127.0.0.1:0", "warn", filepath.Join(dir, "checkpoint.pub")
		return cfg
	}(), &bytes.Buffer{})
	err = m3.Run(context.Background())
	m3.Close()
	if err == nil || !strings.Contains(err.Error(), "holds a verifier key") {
		t.Errorf("start with checkpoint.pub as the signing key: %v", err)
	}
	MustRunMain(t, dir, nil).Close()
}

// TestAnotherLedgersKey: a ledger started with another ledger's signing
// key says whose key signed its checkpoints, rather than only that the
// store does not match its signed history.
func TestAnotherLedgersKey(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	m := MustRunMain(t, dir, nil)
	own := m.Ledger.Signer.KeyID()
	m.Close()
	MustRunMain(t, other, nil).Close()
	m2 := NewMain(func() ServeConfig {
		cfg := DefaultServeConfig()
		cfg.Data, cfg.HTTP, cfg.LogLevel, cfg.KeyFile = dir, "127.0.0.1:0", "warn", filepath.Join(other, "checkpoint.key")
		return cfg
	}(), &bytes.Buffer{})
	err := m2.Run(context.Background())
	m2.Close()
	if err == nil || !strings.Contains(err.Error(), "checkpoints are signed by "+own+", not by the key it was started with") {
		t.Fatalf("start with another ledger's key: %v", err)
	}
	MustRunMain(t, dir, nil).Close()
}

// TestServeNATSOutOfReach: a first start against a NATS URL that does not
// answer fails, and leaves no data folder (it left one with a LOCK file).
func TestServeNATSOutOfReach(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	parent := filepath.Join(t.TempDir(), "new")
	dir := filepath.Join(parent, "data")
	m := NewMain(func() ServeConfig {
		cfg := DefaultServeConfig()
		cfg.Data, cfg.HTTP, cfg.LogLevel, cfg.NATSURL = dir, "127.0.0.1:0", "warn", "nats://"+addr
		return cfg
	}(), &bytes.Buffer{})
	err = m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "connect to NATS") {
		t.Fatalf("start with NATS out of reach: %v", err)
	}
	if _, err := os.Stat(parent); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data folder (or the parent made for it) was left behind: %v", err)
	}
}

// TestServeNATSPortInUse: the embedded server's --nats-listen port is
// taken. The start fails with the server's reason (not after waiting
// 10 s for it), and leaves no folder behind: the embedded server had
// made its own, and a password file, in the new data folder.
func TestServeNATSPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	parent := filepath.Join(t.TempDir(), "new")
	dir := filepath.Join(parent, "data")
	serve := func() error {
		cfg := DefaultServeConfig()
		cfg.Data, cfg.HTTP, cfg.LogLevel, cfg.NATSListen = dir, "127.0.0.1:0", "error", ln.Addr().String()
		m := NewMain(cfg, &bytes.Buffer{})
		defer m.Close()
		return m.Run(context.Background())
	}
	if err := serve(); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("embedded NATS on a taken port: %v", err)
	}
	if _, err := os.Stat(parent); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the data folder (or the parent made for it) was left behind: %v", err)
	}

	// A data folder that existed, empty (a mounted volume, say), stays,
	// and stays empty.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := serve(); err == nil {
		t.Fatal("embedded NATS on a taken port, an empty data folder: no error")
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Errorf("the empty data folder: %v, %v; want it there, empty", entries, err)
	}
}

// TestServePortInUse: a start on a taken address fails before it makes
// the data folder, a key or a token (a first start left a signed ledger
// behind it that the operator never saw serve).
func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "data")
	m := NewMain(func() ServeConfig {
		cfg := DefaultServeConfig()
		cfg.Data, cfg.HTTP, cfg.LogLevel = dir, ln.Addr().String(), "warn"
		return cfg
	}(), &bytes.Buffer{})
	err = m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "listen on "+ln.Addr().String()) {
		t.Fatalf("serve on a taken address: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the data folder was made: %v", err)
	}
}
