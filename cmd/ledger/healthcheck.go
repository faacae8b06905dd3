package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/mttq-vn/ledger/api"
)

// HealthcheckCommand exits 0 if a ledger answers /readyz: for container
// health checks, where images have no curl.
type HealthcheckCommand struct {
	Stdout, Stderr io.Writer
}

// Run implements command.
func (c *HealthcheckCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("healthcheck", "Exits 0 if the ledger at --url is ready (GET /readyz), 1 otherwise.",
		"  ledger healthcheck --url http://127.0.0.1:8080", c.Stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of the ledger")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for an answer")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if err := api.NewClient(*url, "").Ready(ctx); err != nil {
		return fmt.Errorf("not ready: %s", errorText(err))
	}
	fmt.Fprintln(c.Stdout, "ready")
	return nil
}
