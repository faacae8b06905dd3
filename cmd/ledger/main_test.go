package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events/jetstream"
	"github.com/nats-io/nats-server/v2/server"
)

// TestMain lets the test binary act as the ledger binary: with
// LEDGER_TEST_MAIN=1 it runs the CLI on its arguments, so tests can start a
// real server process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("LEDGER_TEST_MAIN") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// MustRunMain starts an in-process server on a temporary data folder (or
// dir, if not empty) with the embedded JetStream server, and closes it at
// the end of the test.
func MustRunMain(tb testing.TB, dir string, mutate func(*ServeConfig)) *Main {
	tb.Helper()
	if dir == "" {
		dir = tb.TempDir()
	}
	cfg := DefaultServeConfig()
	cfg.Data = dir
	cfg.HTTP = "127.0.0.1:0"
	cfg.LogLevel = "warn"
	cfg.CheckpointInterval = 50 * time.Millisecond
	if mutate != nil {
		mutate(&cfg)
	}
	m := NewMain(cfg, &bytes.Buffer{})
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		tb.Fatalf("run main: %v", err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// settle waits until m's ledger has applied, and signed a checkpoint over,
// everything in the log, and returns the log's size. Ledger.Size counts
// what the follower applied, which may lag what was acknowledged.
func settle(tb testing.TB, ctx context.Context, m *Main) uint64 {
	tb.Helper()
	head, err := m.Store.Head(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if err := m.Ledger.WaitApplied(ctx, head); err != nil {
		tb.Fatalf("waiting for the ledger to apply position %d: %v", head, err)
	}
	if err := m.Ledger.WaitCheckpoint(ctx, head); err != nil {
		tb.Fatalf("waiting for a checkpoint over position %d: %v", head, err)
	}
	return head
}

// adminToken reads the first admin token of a data folder.
func adminToken(tb testing.TB, dir string) string {
	tb.Helper()
	return adminTokenFile(tb, filepath.Join(dir, "admin.token"))
}

// adminTokenFile reads a token file.
func adminTokenFile(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// serverProcess is the ledger running in a child process.
type serverProcess struct {
	cmd    *exec.Cmd
	url    string
	out    *syncBuffer
	exited chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startProcess runs `ledger serve` in a child process on dir and waits (up
// to 30 s) until it is ready.
func startProcess(tb testing.TB, dir string, extra ...string) *serverProcess {
	tb.Helper()
	port := freePort(tb)
	args := append([]string{"serve", "--data", dir, "--http", fmt.Sprintf("127.0.0.1:%d", port), "--log-level", "warn"}, extra...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "LEDGER_TEST_MAIN=1")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, url: fmt.Sprintf("http://127.0.0.1:%d", port), out: out, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	tb.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.exited
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	c := api.NewClient(p.url, "")
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ready(ctx)
		cancel()
		if err == nil {
			return p
		}
		select {
		case err := <-p.exited:
			tb.Fatalf("the server exited before it was ready (%v):\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the server was not ready within 30 s: %v\n%s", err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits up to 30 s for a clean exit.
func (p *serverProcess) stop(tb testing.TB) {
	tb.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			tb.Fatalf("the server did not exit cleanly: %v\n%s", err, p.out.String())
		}
	case <-time.After(30 * time.Second):
		tb.Fatalf("the server did not stop within 30 s of SIGTERM:\n%s", p.out.String())
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *serverProcess) kill(tb testing.TB) {
	tb.Helper()
	p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		tb.Fatal("the killed server did not exit within 30 s")
	}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	port, err := freeLocalPort()
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// runCLI runs the CLI in-process and returns its exit status and output.
func runCLI(tb testing.TB, args ...string) (int, string, string) {
	tb.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	code := Run(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// startTCPServer starts a JetStream server with a loopback listener, as an
// external NATS would be.
func startTCPServer(dir string) (*server.Server, error) {
	return jetstream.StartServer(jetstream.ServerConfig{StoreDir: dir, Listen: "127.0.0.1:0", SyncAlways: true})
}
