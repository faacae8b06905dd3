package main

import (
	"context"
	"io"
)

// DemoCommand fills a running ledger with a realistic dataset.
type DemoCommand struct {
	Stdout, Stderr io.Writer
}

// Run implements command.
func (c *DemoCommand) Run(ctx context.Context, args []string) error { return nil }
