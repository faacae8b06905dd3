package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/jetstream"
)

// VerifyCommand checks a ledger's integrity from its raw log.
type VerifyCommand struct {
	Stdout, Stderr io.Writer
}

const verifyExample = `  ledger verify --data ledger-data                # the server stopped
  ledger verify --url http://127.0.0.1:8080 --token-file inspector.token --key-file trusted.pub
  ledger verify --data ledger-data --json > report.json
  ledger verify --data ledger-data --via server    # read through JetStream instead of its files
  ledger verify --bundle bundle-party-ubnd-21607.json --key-file trusted.pub  # offline
  ledger verify --bundle bundle-party-ubnd-21607.json --key-file trusted.pub --url http://127.0.0.1:8080  # and not rewritten since`

// Run implements command.
func (c *VerifyCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("verify", "Recomputes every event hash, every stream's hash chain and the Merkle tree, checks every signed\n"+
		"checkpoint's signature, root and consistency with the one before, and names the first position where\n"+
		"anything differs. Exit status 1 if anything does.", verifyExample, c.Stderr)
	data := fs.String("data", "", "data folder of a stopped ledger")
	url := fs.String("url", "", "base URL of a running ledger")
	tokenFile := fs.String("token-file", "", "file holding an inspector or admin token (with --url)")
	key := fs.String("key", "", "checkpoint verifier key to trust (note text form)")
	keyFile := fs.String("key-file", "", "file holding the verifier key to trust (default DATA/checkpoint.pub with --data)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	via := fs.String("via", "files", "with --data: read JetStream's block files directly (files), or through an embedded server (server)")
	bundle := fs.String("bundle", "", "check a proof bundle (GET /v1/bundles/...) offline, with --key or --key-file; with --url also that the ledger's log still holds the history it proves")
	var witnessed fileList
	fs.Var(&witnessed, "checkpoint", "a signed checkpoint kept outside the ledger (GET /v1/log/checkpoint saved earlier) that the log must hold; repeatable")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *key != "" && *keyFile != "" {
		fmt.Fprintln(c.Stderr, "ledger verify: give --key or --key-file, not both")
		return errUsage
	}
	if *bundle != "" {
		if err := notWith(fs, "--bundle", "checkpoint", "via", "token-file", "json"); err != nil {
			return err
		}
		return c.verifyBundle(ctx, *bundle, *key, *keyFile, *url, *data != "")
	}
	if (*data == "") == (*url == "") {
		fmt.Fprintln(c.Stderr, "ledger verify: give either --data (server stopped) or --url (running server)")
		return errUsage
	}
	mode, foreign := "--url", "via" // --via reads a data folder
	if *data != "" {
		mode, foreign = "--data", "token-file" // the token is the server's
	}
	if err := notWith(fs, mode, foreign); err != nil {
		return err
	}
	vkey, err := readKey(*key, *keyFile)
	if err != nil {
		return err
	}
	var src events.LogSource
	if *data != "" {
		if *via != "files" && *via != "server" {
			fmt.Fprintln(c.Stderr, "ledger verify: --via must be files or server")
			return errUsage
		}
		if err := checkLedgerDir(*data); err != nil {
			return err
		}
		if vkey == "" {
			if vkey, err = readKey("", filepath.Join(*data, "checkpoint.pub")); err != nil {
				return err
			}
			fmt.Fprintf(c.Stderr, "ledger verify: trusting %s, which sits beside the signing key; someone with disk access could have re-signed the history, so pin a key kept elsewhere with --key or --key-file\n", filepath.Join(*data, "checkpoint.pub"))
		}
		if *via == "files" {
			lock, err := lockStoppedDataDir(*data)
			if err != nil {
				return err
			}
			defer lock.Close()
			src = dataFiles(*data)
		} else {
			closeFn, s, err := openDataDirReadOnly(ctx, *data)
			if err != nil {
				return err
			}
			defer closeFn()
			src = s
		}
	} else {
		token, err := readToken(*tokenFile)
		if err != nil {
			return err
		}
		cl, err := newAPIClient(*url, token)
		if err != nil {
			return err
		}
		// A page of the log (20,000 events) may take minutes to arrive
		// over a slow link, but a server that says nothing for a minute
		// is not going to.
		cl.HTTPClient.Timeout = 10 * time.Minute
		if t, ok := cl.HTTPClient.Transport.(*http.Transport); ok {
			t.ResponseHeaderTimeout = time.Minute
		}
		if vkey == "" {
			if vkey, err = cl.Key(ctx); err != nil {
				return fmt.Errorf("fetch the verifier key: %s", errorText(err))
			}
			if _, err := note.NewVerifier(vkey); err != nil {
				return fmt.Errorf("%s/v1/log/key answered with no checkpoint verifier key (is it a ledger?)", *url)
			}
			fmt.Fprintf(c.Stderr, "ledger verify: trusting the key the server reports (%s); pin a key with --key or --key-file\n", vkey)
		}
		src = cl
	}
	var notes [][]byte
	for _, f := range witnessed {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		// A file that is no checkpoint of this key is a mistake in the
		// input, not a finding about the log: say so before reading it.
		if _, err := events.OpenCheckpoint(b, vkey, ""); err != nil {
			return fmt.Errorf("--checkpoint %s: %s", f, events.ErrorMessage(err))
		}
		notes = append(notes, b)
	}
	prog := NewProgress(c.Stderr, "verifying", 0)
	rep, err := events.Verify(ctx, src, events.VerifyOptions{VerifierKey: vkey, Witnessed: notes, Progress: func(done, total uint64) {
		prog.SetTotal(total)
		prog.Update(done)
	}})
	prog.Done()
	if err != nil {
		return withPrefix("verify", err)
	}
	if *asJSON {
		enc := json.NewEncoder(c.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		printReport(c.Stdout, rep)
	}
	if !rep.OK() {
		if pos := rep.FirstBadPosition(); pos != 0 {
			return fmt.Errorf("the log does NOT verify: first difference at position %d", pos)
		}
		return fmt.Errorf("the log does NOT verify: %s", rep.Problems[0].What)
	}
	return nil
}

// verifyBundle checks a proof bundle with the given key alone: no ledger,
// no network. With a ledger's URL it then asks the ledger for its latest
// checkpoint and the consistency proof from the bundle's: the history the
// bundle proves is still the ledger's (public routes: no token).
func (c *VerifyCommand) verifyBundle(ctx context.Context, file, key, keyFile, url string, withData bool) error {
	if withData {
		fmt.Fprintln(c.Stderr, "ledger verify: --bundle is checked offline, or against a running ledger with --url; leave out --data")
		return errUsage
	}
	var cl *api.Client
	if url != "" {
		var err error
		if cl, err = newAPIClient(url, ""); err != nil {
			return err
		}
	}
	vkey, err := readKey(key, keyFile)
	if err != nil {
		return err
	}
	if vkey == "" {
		fmt.Fprintln(c.Stderr, "ledger verify: --bundle needs the ledger's verifier key (--key or --key-file), obtained from a source you trust")
		return errUsage
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	rep, err := events.VerifyBundle(data, vkey)
	if err != nil {
		return fmt.Errorf("the bundle does NOT verify: %s", errorText(err))
	}
	fmt.Fprintln(c.Stdout, "OK:", rep)
	if cl == nil {
		return nil
	}
	latest, err := cl.Checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("fetch the ledger's latest checkpoint: %s", errorText(err))
	}
	cp, err := events.OpenCheckpoint(latest, vkey, rep.Origin)
	if err != nil {
		return fmt.Errorf("the ledger at %s answered with no checkpoint of this key: %s", url, errorText(err))
	}
	var proof [][]byte
	if cp.Size > rep.TreeSize {
		p, err := cl.ConsistencyProof(ctx, rep.TreeSize, cp.Size)
		if err != nil {
			return fmt.Errorf("fetch the consistency proof: %s", errorText(err))
		}
		for _, h := range p.Hashes {
			b, err := base64.StdEncoding.DecodeString(h)
			if err != nil {
				return fmt.Errorf("the ledger's consistency proof holds %q, not a base64 hash", h)
			}
			proof = append(proof, b)
		}
	}
	size, err := events.BundleAgainst(rep, latest, vkey, proof)
	if err != nil {
		return fmt.Errorf("the bundle's history is NOT the ledger's: %s", errorText(err))
	}
	fmt.Fprintf(c.Stdout, "OK: the ledger at %s signs %d events now, and its log begins with the bundle's %d (consistency proof checked): not rewritten since", url, size, rep.TreeSize)
	at := rep.TrailAt
	if at == 0 { // a bundle made before trails named their position
		at = rep.TreeSize
	}
	if size > at {
		fmt.Fprintf(c.Stdout, "; %d events recorded after the trail's position may change it: fetch the bundle again for the present", size-at)
	}
	fmt.Fprintln(c.Stdout)
	return nil
}

func printReport(w io.Writer, rep *events.VerifyReport) {
	fmt.Fprintf(w, "events:       %d in %d streams\n", rep.Events, rep.Streams)
	fmt.Fprintf(w, "checkpoints:  %d (latest covers %d events)", rep.Checkpoints, rep.LastCheckpoint)
	if rep.Witnessed > 0 {
		fmt.Fprintf(w, "; %d kept outside the ledger", rep.Witnessed)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "root:         %s\n", rep.Root)
	if rep.OK() {
		fmt.Fprintln(w, "result:       OK: every hash, chain, tree root and checkpoint signature verifies")
		return
	}
	fmt.Fprintf(w, "result:       FAILED: %d problem(s); first difference at position %d\n", len(rep.Problems), rep.FirstBadPosition())
	for _, p := range rep.Problems {
		where := "-"
		switch {
		case p.Through > p.Position:
			where = fmt.Sprintf("positions %d-%d", p.Position, p.Through)
		case p.Position != 0:
			where = fmt.Sprintf("position %d", p.Position)
		}
		fmt.Fprintf(w, "  %-20s %s\n", where, p.What)
	}
}

// fileList is a repeatable flag of file names.
type fileList []string

func (l *fileList) String() string     { return strings.Join(*l, ",") }
func (l *fileList) Set(f string) error { *l = append(*l, f); return nil }

// readKey returns the verifier key given by --key or --key-file ("" if
// neither), checked to be one.
func readKey(key, file string) (string, error) {
	from := "--key"
	switch {
	case key != "" && file != "":
		return "", fmt.Errorf("give --key or --key-file, not both")
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("read the verifier key: %w", err)
		}
		key, from = string(b), file
	case key == "":
		return "", nil
	}
	key = strings.TrimSpace(key)
	if strings.HasPrefix(key, "PRIVATE+KEY+") {
		return "", fmt.Errorf("%s holds the checkpoint signing key, which must stay secret; give the verifier key (checkpoint.pub)", from)
	}
	if _, err := note.NewVerifier(key); err != nil {
		return "", fmt.Errorf("%s is not a checkpoint verifier key (name+hash+key, as checkpoint.pub holds it): %v", from, err)
	}
	return key, nil
}

func readToken(file string) (string, error) {
	if file == "" {
		if t := strings.TrimSpace(os.Getenv("LEDGER_TOKEN")); t != "" {
			return t, nil // as a file's, without the line's end
		}
		return "", errors.New("a token is needed: --token-file FILE (or LEDGER_TOKEN)")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read the token: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// lockStoppedDataDir checks that dir holds a ledger and takes its lock, so
// the server cannot start while the files are read.
func lockStoppedDataDir(dir string) (*os.File, error) {
	if err := checkLedgerDir(dir); err != nil {
		return nil, err
	}
	return lockDataDir(dir)
}

// checkLedgerDir checks that dir is a ledger's data folder: the embedded
// server's files hold its log's stream. (A folder that is none would
// otherwise be given new, empty streams by the commands that open it.)
func checkLedgerDir(dir string) error {
	streams, err := filepath.Glob(filepath.Join(natsDir(dir), "jetstream", "*", "streams", "LEDGER"))
	if err == nil && len(streams) == 1 {
		return nil
	}
	// Say why a folder that exists cannot be read, rather than that it
	// holds nothing.
	for _, d := range []string{dir, natsDir(dir), filepath.Join(natsDir(dir), "jetstream")} {
		if _, err := os.ReadDir(d); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	return fmt.Errorf("%s holds no ledger (no log stream under %s)", dir, natsDir(dir))
}

// natsDir is where a data folder keeps the embedded server's files.
func natsDir(data string) string { return filepath.Join(data, "nats") }

// dataFiles reads a data folder's log straight from the embedded server's
// block files.
func dataFiles(data string) *jetstream.FileLog { return &jetstream.FileLog{StoreDir: natsDir(data)} }

// openDataDirReadOnly opens the JetStream store of a stopped ledger's data
// folder through an embedded server, holding its lock so the server cannot
// start meanwhile.
func openDataDirReadOnly(ctx context.Context, dir string) (func(), events.Store, error) {
	lock, err := lockStoppedDataDir(dir)
	if err != nil {
		return nil, nil, err
	}
	srv, err := jetstream.StartServer(jetstream.ServerConfig{StoreDir: natsDir(dir), ServerName: "ledger-verify"})
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	nc, err := jetstream.ConnectInProcess(srv, "ledger-verify")
	if err != nil {
		srv.Shutdown()
		lock.Close()
		return nil, nil, err
	}
	st, err := jetstream.Open(ctx, nc, jetstream.Config{})
	if err != nil {
		nc.Close()
		srv.Shutdown()
		srv.WaitForShutdown()
		lock.Close()
		return nil, nil, err
	}
	return func() {
		st.Close()
		nc.Close()
		srv.Shutdown()
		srv.WaitForShutdown()
		lock.Close()
	}, st, nil
}
