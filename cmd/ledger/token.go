package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// TokenCommand creates and revokes API tokens through the API.
type TokenCommand struct {
	Stdout, Stderr io.Writer
}

const tokenExample = `  ledger token create --url http://127.0.0.1:8080 --token-file ledger-data/admin.token \
      --name "Cán bộ MTTQ phường Bình Định" --role recorder --unit 21610 > recorder.token
  ledger token create --token-file ledger-data/admin.token --name "UBND phường Đập Đá" --role respondent --party ubnd-21613
  ledger token revoke --token-file ledger-data/admin.token --id 0193... --reason "left the post"`

// Run implements command.
func (c *TokenCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "revoke") {
		if len(args) > 0 && !strings.HasPrefix(args[0], "-") && args[0] != "help" {
			fmt.Fprintf(c.Stderr, "ledger token: unknown subcommand %q\n", args[0])
		}
		fmt.Fprintf(c.Stderr, "Usage: ledger token create|revoke [flags]\n\nExample:\n%s\n", tokenExample)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			return nil
		}
		return errUsage
	}
	sub := args[0]
	fs := newFlagSet("token "+sub, "Creates a token with a role and a scope, or revokes one. Needs an admin token. The new secret\n"+
		"is printed once on standard output; only its SHA-256 is kept.", tokenExample, c.Stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of the ledger")
	tokenFile := fs.String("token-file", "", "file holding an admin token")
	name := fs.String("name", "", "who the token is for (create)")
	role := fs.String("role", "", "admin, recorder, respondent, inspector or observer (create)")
	unit := fs.String("unit", "", "unit scope: the unit and everything below it (create)")
	party := fs.String("party", "", "the party a respondent answers for (create)")
	expires := fs.String("expires-on", "", "last day the token is valid, YYYY-MM-DD (create)")
	id := fs.String("id", "", "token ID (revoke)")
	reason := fs.String("reason", "", "why (revoke)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	// The other subcommand's flags would be ignored without a word.
	var misplaced []string
	fs.Visit(func(f *flag.Flag) {
		if strings.HasSuffix(f.Usage, "(create)") && sub != "create" || strings.HasSuffix(f.Usage, "(revoke)") && sub != "revoke" {
			misplaced = append(misplaced, "--"+f.Name)
		}
	})
	switch {
	case len(misplaced) > 0:
		fmt.Fprintf(c.Stderr, "ledger token %s: %s belongs to the other subcommand\n", sub, strings.Join(misplaced, ", "))
		return errUsage
	case sub == "revoke" && (*id == "" || *reason == ""):
		fmt.Fprintln(c.Stderr, "ledger token revoke: --id and --reason are required")
		return errUsage
	case sub == "create" && (*name == "" || *role == ""):
		fmt.Fprintln(c.Stderr, "ledger token create: --name and --role are required")
		return errUsage
	}
	token, err := readToken(*tokenFile)
	if err != nil {
		return err
	}
	cl, err := newAPIClient(*url, token)
	if err != nil {
		return err
	}
	if sub == "revoke" {
		res, err := cl.RevokeToken(ctx, *id, *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.Stderr, "revoked token %s (position %d)\n", *id, res.Position)
		return nil
	}
	res, err := cl.CreateToken(ctx, api.TokenRequest{Name: *name, Role: events.Role(*role), Unit: *unit, Party: *party, ExpiresOn: events.Date(*expires)})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, res.Token)
	fmt.Fprintf(c.Stderr, "created token %s for %s, role %s%s%s (position %d)\n", res.ID, res.Name, res.Role, prefixed(" unit ", res.Unit), prefixed(" party ", res.Party), res.Position)
	return nil
}

func prefixed(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}
