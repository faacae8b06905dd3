package main

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestServeESDBUnreachable checks that `ledger serve --store esdb` with no
// server at the URL fails soon, with a message naming the address and exit
// status 1: no panic, no hang. (No EventStoreDB can run on the CI
// machines; events/esdb tests the store itself.)
func TestServeESDBUnreachable(t *testing.T) {
	t.Setenv("LEDGER_ESDB_URL", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	start := time.Now()
	code, out, errOut := runCLI(t, "serve", "--store", "esdb", "--esdb-url", "esdb://"+addr+"?tls=false",
		"--data", t.TempDir(), "--http", "127.0.0.1:0")
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("serve took %v to give up", d)
	}
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "cannot reach EventStoreDB/KurrentDB at esdb://"+addr) || strings.Contains(errOut, "panic") {
		t.Fatalf("unclear message:\n%s", errOut)
	}

	// Without a URL it is a usage error.
	code, _, errOut = runCLI(t, "serve", "--store", "esdb", "--data", t.TempDir())
	if code != 2 || !strings.Contains(errOut, "--esdb-url") {
		t.Fatalf("--store esdb without a URL: exit %d: %s", code, errOut)
	}
	// The URL's password is not printed.
	if got := redactURL("esdb://admin:changeit@db:2113?tls=true"); got != "esdb://admin:xxxxx@db:2113?tls=true" {
		t.Errorf("redactURL: %s", got)
	}
}
