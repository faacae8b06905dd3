package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/jetstream"
	"github.com/mttq-vn/ledger/projections"
)

// RebuildCommand rebuilds the read models of a stopped ledger from the
// start of its log and saves them as the snapshot the next start loads.
type RebuildCommand struct {
	Stdout, Stderr io.Writer
}

const rebuildExample = `  ledger rebuild --data ledger-data
  ledger rebuild --data ledger-data --check      # also compare with the saved snapshot, byte for byte`

// Run implements command.
func (c *RebuildCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("rebuild", "Rebuilds the views (projections) of a stopped ledger from the first event, prints their digest and\n"+
		"saves them as the snapshot `ledger serve` loads. With --check, the saved snapshot is first caught up with\n"+
		"the log and compared byte for byte with the rebuild (exit status 1 if they differ). A running ledger\n"+
		"rebuilds with POST /v1/admin/rebuild instead.", rebuildExample, c.Stderr)
	data := fs.String("data", "", "data folder of a stopped ledger")
	rules := fs.String("rules", "", "deadline rule table (as for serve)")
	holidays := fs.String("holidays", "", "holiday calendar (as for serve)")
	check := fs.Bool("check", false, "compare the saved snapshot, caught up, with the rebuild")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *data == "" {
		fmt.Fprintln(c.Stderr, "ledger rebuild: --data is required")
		return errUsage
	}
	r, _, snaps, closeFn, err := openBuild(ctx, *data, *rules, *holidays)
	if err != nil {
		return err
	}
	defer closeFn()
	cfg := r.Config()
	start := time.Now()
	v, err := r.Build(ctx, 0)
	if err != nil {
		return err
	}
	took := time.Since(start)
	var fresh events.Spool
	freshSum := sha256.New()
	if err := v.Encode(io.MultiWriter(&fresh, freshSum)); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "rebuilt the views from %d events in %s (%.0f events/s)\n", v.Position(), took.Round(time.Millisecond), float64(v.Position())/took.Seconds())
	fmt.Fprintf(c.Stdout, "views digest: sha256:%x (%d bytes)\n", freshSum.Sum(nil), fresh.Len())
	if *check {
		rc, err := snaps.LoadSnapshot(ctx)
		if err != nil {
			return fmt.Errorf("no saved snapshot to check: %s", errorText(err))
		}
		old, err := projections.DecodeViews(rc, cfg)
		rc.Close()
		if err != nil {
			return fmt.Errorf("the saved snapshot cannot be read: %w", err)
		}
		from := old.Position()
		// What serve checks before it loads the snapshot (helper-54:
		// --check only said such a snapshot differed).
		switch {
		case from > v.Position():
			return fmt.Errorf("the saved snapshot is at position %d, beyond the log's %d events: a log restored from an older copy? (serve refuses it and rebuilds)", from, v.Position())
		case from > 0 && old.Hash(from) != v.Hash(from):
			return fmt.Errorf("the saved snapshot (position %d) is not of this log: its event at that position has hash %s, the log's %s (serve refuses it and rebuilds)", from, old.Hash(from), v.Hash(from))
		}
		if err := r.CatchUp(ctx, old, v.Position()); err != nil {
			return err
		}
		caught := sha256.New()
		if err := old.Encode(caught); err != nil {
			return err
		}
		if !bytes.Equal(caught.Sum(nil), freshSum.Sum(nil)) {
			return fmt.Errorf("the saved snapshot (position %d), caught up to %d, differs from the rebuild: sha256:%x", from, old.Position(), caught.Sum(nil))
		}
		fmt.Fprintf(c.Stdout, "the saved snapshot (position %d), caught up, is byte-identical to the rebuild\n", from)
	}
	if err := snaps.SaveSnapshot(ctx, &fresh); err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, "saved as the snapshot the next `ledger serve` loads")
	return nil
}

// openBuild opens a stopped ledger's data folder (holding its lock) for a
// build of its views in this process, as rebuild and replay make one: the
// rule table and calendar given (the embedded ones if ""), a runner that
// reads the log from the block files and builds into huge pages (the
// process builds and exits), the store, and the folder's views snapshot
// (the runner does not load or save it by itself: Open is not called).
func openBuild(ctx context.Context, data, rules, holidays string) (*projections.Runner, events.Store, *jetstream.Snapshots, func(), error) {
	cfg, err := LoadProjectionConfig(rules, holidays)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	closeFn, st, err := openDataDirReadOnly(ctx, data)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	snaps := st.(*jetstream.Store).Snapshots("")
	snaps.Files = dataFiles(data)
	r := projections.NewRunner(st, cfg, snaps, quietLogger())
	r.LogFiles = dataFiles(data).ReadLog
	r.HugePages = true
	return r, st, snaps, closeFn, nil
}

// ReplayCommand prints the views as they stood at a past point.
type ReplayCommand struct {
	Stdout, Stderr io.Writer
}

const replayExample = `  ledger replay --data ledger-data --as-of 1200
  ledger replay --data ledger-data --as-of 2024-06-30T17:00:00+07:00 --collection recommendations
  ledger replay --url http://127.0.0.1:8080 --token-file inspector.token --as-of 1200 --collection recommendations --id kn-2024-15`

// Run implements command.
func (c *ReplayCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("replay", "Prints the views as they stood at a past point of the log: a position, or an RFC 3339 time (the\n"+
		"last event recorded by then). Without --collection it prints a summary (with --data: items by kind and\n"+
		"state, open flags by code; with --url: the server's report summary); with it, the items as JSON lines;\n"+
		"with --id, one item. The same as GET ...?as_of=.", replayExample, c.Stderr)
	data := fs.String("data", "", "data folder of a stopped ledger")
	base := fs.String("url", "", "base URL of a running ledger")
	tokenFile := fs.String("token-file", "", "token file (with --url)")
	asOf := fs.String("as-of", "", "a log position or an RFC 3339 time (required)")
	collection := fs.String("collection", "", "print the items of this collection (recommendations, supervisions, ...)")
	id := fs.String("id", "", "print this item of --collection")
	rules := fs.String("rules", "", "deadline rule table the ledger serves with (with --data; as for serve)")
	holidays := fs.String("holidays", "", "holiday calendar the ledger serves with (with --data; as for serve)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *asOf == "" || (*data == "") == (*base == "") {
		fmt.Fprintln(c.Stderr, "ledger replay: give --as-of, and either --data or --url")
		return errUsage
	}
	if *id != "" && *collection == "" {
		fmt.Fprintln(c.Stderr, "ledger replay: --id needs --collection")
		return errUsage
	}
	if *data != "" {
		if err := notWith(fs, "--data", "token-file"); err != nil {
			return err
		}
	} else if err := notWith(fs, "--url", "rules", "holidays"); err != nil { // the server's own apply
		return err
	}
	kind, ok := api.Collections[*collection]
	if *collection != "" && !ok {
		fmt.Fprintf(c.Stderr, "ledger replay: unknown collection %q\n", *collection)
		return errUsage
	}
	// --as-of is checked here for both modes, as the API checks as_of.
	var pos uint64
	var at time.Time
	if n, err := strconv.ParseUint(*asOf, 10, 64); err == nil && n > 0 {
		pos = n
	} else if t, err := events.ParseTime(*asOf); err == nil {
		// As the API's as_of: any time of today, no later day.
		day, err := projections.Today(t).Time()
		if today, _ := projections.Today(time.Now()).Time(); err != nil || day.After(today) {
			fmt.Fprintf(c.Stderr, "ledger replay: --as-of %s is after today (%s in Vietnam): the ledger shows what was, not what will be\n", *asOf, projections.Today(time.Now()))
			return errUsage
		}
		at = t
	} else {
		fmt.Fprintln(c.Stderr, "ledger replay: --as-of must be a position (1 or more) or an RFC 3339 time")
		return errUsage
	}
	if *base != "" {
		return c.replayURL(ctx, *base, *tokenFile, *asOf, *collection, *id)
	}
	r, st, _, closeFn, err := openBuild(ctx, *data, *rules, *holidays)
	if err != nil {
		return err
	}
	defer closeFn()
	if !at.IsZero() {
		if pos, err = projections.LogPositionAt(ctx, st, at); err != nil {
			return err
		}
	}
	head, err := st.Head(ctx)
	if err != nil {
		return err
	}
	if pos > head {
		return fmt.Errorf("position %d is beyond the log (%d events)", pos, head)
	}
	v := projections.NewViews(r.Config())
	if pos > 0 {
		if v, err = r.Build(ctx, pos); err != nil {
			return err
		}
	}
	if at.IsZero() {
		at = v.RecordedAt(pos)
	}
	today := projections.Today(at)
	cp := "none yet"
	if pos == 0 {
		cp = "none (nothing to cover)" // as the API's "checkpoint": null
	}
	stop := fmt.Errorf("found")
	if err := st.Checkpoints(ctx, func(size uint64, _ []byte) error {
		if pos == 0 {
			return stop
		}
		if size >= pos {
			cp = fmt.Sprintf("tree size %d", size)
			return stop
		}
		return nil
	}); err != nil && err != stop {
		return err
	}
	enc := json.NewEncoder(c.Stdout)
	enc.SetEscapeHTML(false)
	if *collection == "" {
		recorded := "before the first event"
		if pos > 0 {
			recorded = "recorded " + v.RecordedAt(pos).Format(time.RFC3339)
		}
		fmt.Fprintf(c.Stdout, "as of position %d (%s), evaluated on %s; covered by checkpoint: %s\n", pos, recorded, today, cp)
		printSummary(c.Stdout, v, today)
		return nil
	}
	if *id != "" {
		it := v.Item(events.StreamName(kind, *id))
		if it == nil {
			return fmt.Errorf("no %s %q as of position %d", kind, *id, pos)
		}
		return enc.Encode(v.View(it, today, 0))
	}
	items, _ := v.List(projections.Query{Kind: kind, Today: today, Limit: 1 << 30})
	for _, it := range items {
		if err := enc.Encode(v.View(it, today, 0)); err != nil {
			return err
		}
	}
	return nil
}

func printSummary(w io.Writer, v *projections.Views, today events.Date) {
	for _, coll := range []string{"units", "parties", "plans", "supervisions", "recommendations", "critiques", "contributions", "petitions", "info-requests"} {
		items, _ := v.List(projections.Query{Kind: api.Collections[coll], Today: today, Limit: 1 << 30})
		by := map[string]int{}
		for _, it := range items {
			by[string(it.Status())]++
		}
		fmt.Fprintf(w, "  %-16s %6d", coll, len(items))
		keys := make([]string, 0, len(by))
		for k := range by {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s=%d", k, by[k])
		}
		fmt.Fprintln(w)
	}
	open := map[string]int{}
	for _, f := range v.Flags(today) {
		if f.Status == "open" {
			open[f.Code]++
		}
	}
	fmt.Fprintf(w, "  open flags      ")
	if len(open) == 0 {
		fmt.Fprint(w, " none")
	}
	keys := make([]string, 0, len(open))
	for k := range open {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s=%d", k, open[k])
	}
	fmt.Fprintln(w)
}

// replayPage is how many items replay --url asks for per page.
var replayPage = 500

func (c *ReplayCommand) replayURL(ctx context.Context, base, tokenFile, asOf, collection, id string) error {
	token, err := readToken(tokenFile)
	if err != nil {
		return err
	}
	cl, err := newAPIClient(base, token)
	if err != nil {
		return err
	}
	q := url.Values{"as_of": {asOf}}
	if collection == "" {
		// The server's summary of the whole ledger at that point.
		var out json.RawMessage
		if err := cl.Get(ctx, "/v1/reports/summary?"+q.Encode(), &out); err != nil {
			return withPrefix("GET /v1/reports/summary", err)
		}
		var buf bytes.Buffer
		json.Indent(&buf, out, "", "  ")
		buf.WriteByte('\n')
		_, err = c.Stdout.Write(buf.Bytes())
		return err
	}
	if id != "" {
		var item json.RawMessage
		path := "/v1/" + collection + "/" + url.PathEscape(id)
		if err := cl.Get(ctx, path+"?"+q.Encode(), &item); err != nil {
			return withPrefix("GET "+path, err)
		}
		_, err = fmt.Fprintf(c.Stdout, "%s\n", item)
		return err
	}
	// Every item, a JSON line each, as replay --data prints them: the
	// pages of the list, all read at the same point.
	q.Set("limit", strconv.Itoa(replayPage))
	for {
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := cl.Get(ctx, "/v1/"+collection+"?"+q.Encode(), &page); err != nil {
			return fmt.Errorf("GET /v1/%s: %s", collection, errorText(err))
		}
		for _, it := range page.Items {
			if _, err := fmt.Fprintf(c.Stdout, "%s\n", it); err != nil {
				return err
			}
		}
		if page.NextCursor == "" {
			return nil
		}
		q.Set("cursor", page.NextCursor)
	}
}

func quietLogger() *slog.Logger { return newLogger("error", "text", os.Stderr) }
