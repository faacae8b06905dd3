package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"
)

// HealthcheckCommand exits 0 if a ledger answers /readyz: for container
// health checks, where images have no curl.
type HealthcheckCommand struct {
	Stdout, Stderr io.Writer

	url, caFile string
	timeout     time.Duration
}

// flags returns the command's flag set, bound to c.
func (c *HealthcheckCommand) flags() *flag.FlagSet {
	fs := newFlagSet("healthcheck", "Exits 0 if the ledger at --url is ready (GET /readyz), 1 otherwise.",
		"  ledger healthcheck --url http://127.0.0.1:8080\n  ledger healthcheck --url https://127.0.0.1:8443 --ca-file /etc/ledger/ca.pem", c.Stderr)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "base URL of the ledger (https:// for a ledger serving TLS)")
	fs.StringVar(&c.caFile, "ca-file", envOr("LEDGER_CA_FILE", ""), "PEM certificate(s) to trust for an https:// URL besides the system's (env LEDGER_CA_FILE)")
	fs.DurationVar(&c.timeout, "timeout", 3*time.Second, "how long to wait for an answer")
	return fs
}

// Run implements command.
func (c *HealthcheckCommand) Run(ctx context.Context, args []string) error {
	if err := parseFlags(c.flags(), args); err != nil {
		return err
	}
	if c.timeout <= 0 {
		fmt.Fprintln(c.Stderr, "ledger healthcheck: --timeout must be positive, such as 3s")
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cl, err := newAPIClientCA(c.url, "", c.caFile)
	if err != nil {
		return err
	}
	if err := cl.Ready(ctx); err != nil {
		return fmt.Errorf("not ready: %s", errorText(err))
	}
	fmt.Fprintln(c.Stdout, "ready")
	return nil
}
