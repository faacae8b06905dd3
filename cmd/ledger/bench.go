package main

import (
	"context"
	"io"
)

// BenchCommand measures the ledger on this machine.
type BenchCommand struct {
	Stdout, Stderr io.Writer
}

// Run implements command.
func (c *BenchCommand) Run(ctx context.Context, args []string) error { return nil }
