// Command ledger runs and checks Sổ cái giám sát, the tamper-evident audit
// ledger of supervision and social-critique work by the Vietnam Fatherland
// Front (MTTQ) and its member organisations.
//
//	ledger serve     run the ledger (embedded NATS JetStream by default)
//	ledger verify    check every hash, chain, tree and signed checkpoint
//	ledger rebuild   rebuild the views of a stopped ledger from its log
//	ledger replay    print the views as they stood at a past point
//	ledger demo      fill a running ledger with a realistic dataset
//	ledger token     create or revoke API tokens
//	ledger bench     measure append and verify throughput
//
// Run "ledger <command> --help" for the flags of each, with an example.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(Run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand.
type command interface {
	Run(ctx context.Context, args []string) error
}

// Run runs the ledger CLI and returns the process exit status: 0 on
// success, 1 on failure, 2 on a usage error.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 2 && args[0] == "help" && args[1] != "help" && args[1] != "version" {
		// "ledger help verify" is "ledger verify --help".
		return Run(ctx, []string{args[1], "--help"}, stdout, stderr)
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var cmd command
	switch args[0] {
	case "serve":
		cmd = &ServeCommand{Stdout: stdout, Stderr: stderr}
	case "verify":
		cmd = &VerifyCommand{Stdout: stdout, Stderr: stderr}
	case "demo":
		cmd = &DemoCommand{Stdout: stdout, Stderr: stderr}
	case "rebuild":
		cmd = &RebuildCommand{Stdout: stdout, Stderr: stderr}
	case "replay":
		cmd = &ReplayCommand{Stdout: stdout, Stderr: stderr}
	case "token":
		cmd = &TokenCommand{Stdout: stdout, Stderr: stderr}
	case "bench":
		cmd = &BenchCommand{Stdout: stdout, Stderr: stderr}
	case "healthcheck":
		cmd = &HealthcheckCommand{Stdout: stdout, Stderr: stderr}
	case "version":
		if len(args) > 1 {
			fmt.Fprintf(stderr, "ledger version: unexpected argument %q\n", args[1])
			return 2
		}
		fmt.Fprintln(stdout, "ledger", version)
		return 0
	default:
		fmt.Fprintf(stderr, "ledger: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if path := os.Getenv("LEDGER_CPUPROFILE"); path != "" {
		// For developers: profile any command (README, "Measuring").
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	err := cmd.Run(ctx, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		if err != errUsage { // explained by the error itself (usageErrorf)
			fmt.Fprintln(stderr, "ledger:", strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		}
		return 2
	}
	fmt.Fprintln(stderr, "ledger:", errorText(err))
	return 1
}

// version is set by the build (-ldflags "-X main.version=...").
var version = "dev"

// errUsage reports a usage error that was already explained.
var errUsage = errors.New("usage error")

// usageErrorf is a usage error (exit 2) that explains itself.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

const usage = `Sổ cái giám sát: the audit ledger of MTTQ supervision and social critique.

Usage: ledger <command> [flags]

Commands:
  serve     run the ledger: embedded NATS JetStream in ./ledger-data by default
  verify    recompute every hash, chain and tree and check every signed checkpoint
  rebuild   rebuild the views (projections) of a stopped ledger from its log
  replay    print the views as they stood at a past position or time
  demo      fill a running ledger with a realistic dataset (An Nhơn town, 2023-2025)
  token     create or revoke API tokens (admin)
  bench     measure append, checkpoint and verify throughput on this machine
  healthcheck  exit 0 if a running ledger is ready (for container health checks)
  version   print the version

Quick start:
  ledger serve                      # then, in another terminal:
  ledger demo --url http://127.0.0.1:8080 --token-file ledger-data/admin.token

Run "ledger <command> --help" for the flags of a command, with an example.
`

// newFlagSet returns a flag set that prints usage with an example.
func newFlagSet(name, synopsis, example string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: ledger %s [flags]\n\n%s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nExample:\n%s\n", example)
	}
	return fs
}

// parseFlags parses args and refuses positional arguments.
// notWith refuses the flags among names that were given: they do not
// apply to mode, and a flag ignored silently lets a user believe it was
// used (a --checkpoint with --bundle was never checked).
func notWith(fs *flag.FlagSet, mode string, names ...string) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err == nil && slices.Contains(names, f.Name) {
			fmt.Fprintf(fs.Output(), "ledger %s: --%s does not apply with %s; leave it out\n", fs.Name(), f.Name, mode)
			err = errUsage
		}
	})
	return err
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "ledger %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}
