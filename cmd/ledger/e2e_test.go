package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// TestServeDemoVerifyRestart runs the whole product on the embedded
// JetStream server: serve, the demo through the API, verify against the
// running server, a restart that replays the log, verify on the stopped
// data folder.
func TestServeDemoVerifyRestart(t *testing.T) {
	dir := t.TempDir()
	m := MustRunMain(t, dir, nil)
	url := m.HTTPServer.URL()
	token := adminToken(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A folder for the tokens that cannot be made fails before anything
	// is written (a file stands where the folder should be).
	blocked := filepath.Join(dir, "blocked")
	if err := os.WriteFile(blocked, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// (settle: the first start's admin token may not be applied yet, and
	// Ledger.Size counts what is.)
	head := settle(t, ctx, m)
	if err := (&Demo{URL: url, AdminToken: token, TokenDir: filepath.Join(blocked, "tokens")}).Run(ctx); err == nil || !strings.Contains(err.Error(), "folder for the demo's tokens") {
		t.Fatalf("demo with a folder it cannot make: %v", err)
	}
	if got := settle(t, ctx, m); got != head {
		t.Fatalf("the failed demo wrote %d events", got-head)
	}
	d := &Demo{URL: url, AdminToken: token, TokenDir: dir + "/demo-tokens"}
	if err := d.Run(ctx); err != nil {
		t.Fatalf("demo: %v", err)
	}
	if d.Events() < 300 {
		t.Fatalf("demo recorded %d events, want at least 300", d.Events())
	}
	if err := (&Demo{URL: url, AdminToken: token}).Run(ctx); !errors.Is(err, ErrDemoPresent) {
		t.Fatalf("second demo: got %v, want ErrDemoPresent", err)
	}
	c := api.NewClient(url, token)
	for _, tc := range []struct {
		collection, id string
		status         events.Status
	}{
		{"recommendations", "kn-tcd-21607-1", events.RecResponded},       // on time
		{"recommendations", "kn-tcd-21610-1", events.RecResponded},       // late, after a reminder
		{"recommendations", "kn-tcd-21613-1", events.RecEscalated},       // never answered
		{"recommendations", "kn-tcd-21616-1", events.RecResponded},       // explained, not accepted
		{"recommendations", "kn-tcd-21619-1", events.RecClosed},          // implemented and verified
		{"critiques", "pb-du-thao-ke-hoach-25", events.CrClosed},         // answered, adopted
		{"critiques", "pb-du-thao-chinh-trang-do-thi", events.CrAdopted}, // adopted without an answer
		{"units", "21607", events.UnitSupersededS},                       // merged in 2025
		{"supervisions", "gs-lai-2025", events.SupNotified},              // the follow-up
	} {
		st, err := c.State(ctx, tc.collection, tc.id)
		if err != nil || st.Status != tc.status {
			t.Errorf("%s/%s: status %q (%v), want %q", tc.collection, tc.id, st.Status, err, tc.status)
		}
	}
	seeded := settle(t, ctx, m)
	code, out, errOut := runCLI(t, "verify", "--url", url, "--token-file", dir+"/demo-tokens/inspector.token", "--key-file", dir+"/checkpoint.pub")
	if code != 0 || !strings.Contains(out, "result:       OK") {
		t.Fatalf("verify --url: exit %d\n%s\n%s", code, out, errOut)
	}
	// The read side: derived flags, a party's trail as a proof bundle.
	inspector := api.NewClient(url, readFileTrim(t, dir+"/demo-tokens/inspector.token"))
	min := fmt.Sprintf("&min_position=%d", seeded)
	var bypass api.FlagList
	if err := inspector.Get(ctx, "/v1/flags?code=OB_DRAFT_BYPASS"+min, &bypass); err != nil || len(bypass.Flags) == 0 ||
		bypass.Flags[0].Subject != "critique/pb-du-thao-chinh-trang-do-thi" {
		t.Errorf("OB_DRAFT_BYPASS flags: %+v %v", bypass, err)
	}
	var silent api.FlagList
	if err := inspector.Get(ctx, "/v1/flags?code=OB_NO_RESPONSE&party=ubnd-21613"+min, &silent); err != nil || len(silent.Flags) != 1 {
		t.Errorf("OB_NO_RESPONSE of ubnd-21613: %+v %v", silent, err)
	}
	// replay --url pages through a collection: every item, a JSON line
	// each (pages of 7 here).
	defer func(n int) { replayPage = n }(replayPage)
	replayPage = 7
	code, out, errOut = runCLI(t, "replay", "--url", url, "--token-file", dir+"/demo-tokens/inspector.token", "--as-of", fmt.Sprint(seeded), "--collection", "recommendations")
	var all api.ListResponse
	if err := inspector.Get(ctx, fmt.Sprintf("/v1/recommendations?limit=500&as_of=%d", seeded), &all); err != nil || code != 0 ||
		len(all.Items) <= 7 || strings.Count(out, "\n") != len(all.Items) || !strings.Contains(out, `"id":"`+all.Items[len(all.Items)-1].ID+`"`) {
		t.Errorf("replay --url --collection: exit %d, %d lines for %d items (%v)\n%s", code, strings.Count(out, "\n"), len(all.Items), err, errOut)
	}
	var before api.ListResponse
	if err := inspector.Get(ctx, "/v1/recommendations?limit=500"+min, &before); err != nil || len(before.Items) == 0 {
		t.Fatalf("list: %v", err)
	}
	var bundle json.RawMessage
	if err := inspector.Get(ctx, "/v1/bundles/parties/ubnd-21613", &bundle); err != nil {
		t.Fatal(err)
	}
	bundleFile := filepath.Join(t.TempDir(), "bundle.json")
	os.WriteFile(bundleFile, bundle, 0o600)
	tampered := filepath.Join(t.TempDir(), "tampered.json")
	var b events.Bundle
	json.Unmarshal(bundle, &b)
	b.Events[0].Raw = bytes.Replace(b.Events[0].Raw, []byte(`"2023-`), []byte(`"2022-`), 1) // a date moved back
	changed, _ := json.Marshal(b)
	os.WriteFile(tampered, changed, 0o600)

	size := settle(t, ctx, m)
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	code, out, errOut = runCLI(t, "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "result:       OK") {
		t.Fatalf("verify --data: exit %d\n%s\n%s", code, out, errOut)
	}

	// The bundle checks offline with the key alone; a changed one does not.
	code, out, errOut = runCLI(t, "verify", "--bundle", bundleFile, "--key-file", dir+"/checkpoint.pub")
	if code != 0 || !strings.HasPrefix(out, "OK: bundle for party/ubnd-21613") {
		t.Errorf("verify --bundle: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut = runCLI(t, "verify", "--bundle", tampered, "--key-file", dir+"/checkpoint.pub"); code != 1 || !strings.Contains(errOut, "does NOT verify") {
		t.Errorf("verify of a tampered bundle: exit %d %s", code, errOut)
	}
	// A key that is no verifier key is named as such, not as a bundle
	// that does not verify.
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--key", "garbage"}, 1, "is not a checkpoint verifier key"},
		{[]string{"--key-file", dir + "/checkpoint.key"}, 1, "holds the checkpoint signing key"},
		{[]string{"--key", "x", "--key-file", dir + "/checkpoint.pub"}, 2, "not both"}, // a usage error
	} {
		if code, _, errOut = runCLI(t, append([]string{"verify", "--bundle", bundleFile}, c.args...)...); code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("verify --bundle %v: exit %d %s", c.args, code, errOut)
		}
	}
	// The snapshot saved at shutdown, caught up, equals a rebuild.
	code, out, errOut = runCLI(t, "rebuild", "--data", dir, "--check")
	if code != 0 || !strings.Contains(out, "byte-identical") {
		t.Errorf("rebuild --check: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "replay", "--data", dir, "--as-of", "40")
	if code != 0 || !strings.Contains(out, "as of position 40") || !strings.Contains(out, "units") {
		t.Errorf("replay: exit %d\n%s\n%s", code, out, errOut)
	}
	// A time is found in the log itself: after the last event, the whole
	// log; before the first, nothing; a later day than today is refused.
	code, out, errOut = runCLI(t, "replay", "--data", dir, "--as-of", time.Now().Format(time.RFC3339Nano))
	if want := fmt.Sprintf("as of position %d ", size); code != 0 || !strings.Contains(out, want) {
		t.Errorf("replay at a time after the log: exit %d, want %q\n%s\n%s", code, want, out, errOut)
	}
	code, _, errOut = runCLI(t, "replay", "--data", dir, "--as-of", "2099-01-01T00:00:00Z")
	if code != 2 || !strings.Contains(errOut, "after today") {
		t.Errorf("replay at a later day: exit %d\n%s", code, errOut)
	}
	code, out, errOut = runCLI(t, "replay", "--data", dir, "--as-of", "2000-01-01T00:00:00+07:00")
	if code != 0 || !strings.Contains(out, "as of position 0 (before the first event)") || !strings.Contains(out, "covered by checkpoint: none") {
		t.Errorf("replay at a time before the log: exit %d (want no checkpoint, as the API's null)\n%s\n%s", code, out, errOut)
	}
	// The rule table the ledger serves with decides the deadlines replay
	// prints, as the API's.
	var table map[string]any
	if b, err := os.ReadFile("../../projections/config/deadlines.json"); err != nil || json.Unmarshal(b, &table) != nil {
		t.Fatalf("the default rule table: %v", err)
	}
	for _, r := range table["rules"].([]any) {
		if r := r.(map[string]any); r["key"] == "recommendation.response" {
			r["days"] = 60
		}
	}
	rules60 := filepath.Join(t.TempDir(), "rules60.json")
	b60, _ := json.Marshal(table)
	os.WriteFile(rules60, b60, 0o600)
	one := []string{"replay", "--data", dir, "--as-of", fmt.Sprint(size), "--collection", "recommendations", "--id", before.Items[0].ID}
	code, outDefault, errOut := runCLI(t, one...)
	code60, out60, errOut60 := runCLI(t, append(one, "--rules", rules60)...)
	if code != 0 || code60 != 0 || outDefault == out60 || !strings.Contains(outDefault, `"due":"`) {
		t.Errorf("replay with --rules (recommendation.response 60 days): exit %d and %d, the same item %v\n%s%s\n%s%s", code, code60, outDefault == out60, outDefault, errOut, out60, errOut60)
	}
	// --as-of is checked before a server is asked.
	if code, _, errOut = runCLI(t, "replay", "--url", "http://127.0.0.1:1", "--token-file", "x", "--as-of", "2099-01-01T00:00:00Z"); code != 2 || !strings.Contains(errOut, "after today") {
		t.Errorf("replay --url at a later day: exit %d (want 2)\n%s", code, errOut)
	}

	m2 := MustRunMain(t, dir, nil)
	if got := m2.Ledger.Size(); got != size {
		t.Fatalf("after restart: %d events, want %d", got, size)
	}
	var after api.ListResponse
	if err := api.NewClient(m2.HTTPServer.URL(), token).Get(ctx, "/v1/recommendations?limit=500", &after); err != nil || len(after.Items) != len(before.Items) {
		t.Fatalf("list after restart: %d items (%v), want %d", len(after.Items), err, len(before.Items))
	}
	for i := range after.Items {
		if a, b := after.Items[i], before.Items[i]; a.ID != b.ID || a.Status != b.Status || a.Version != b.Version {
			t.Errorf("after restart, item %d: %s %s %d, before %s %s %d", i, a.ID, a.Status, a.Version, b.ID, b.Status, b.Version)
		}
	}
	// The state survives the restart: the lifecycle still refuses what it
	// refused before, and a recorder of the 2025 ward reaches its
	// predecessor's records.
	c2 := api.NewClient(m2.HTTPServer.URL(), token)
	st, err := c2.State(ctx, "recommendations", "kn-tcd-21619-1")
	if err != nil || st.Status != events.RecClosed {
		t.Fatalf("after restart: %+v %v", st, err)
	}
	// Nhơn Lộc (21643) never answered; it merged into An Nhơn Nam (22007).
	// Bình Định (21607) merged into An Nhơn (22001): outside 22007's scope.
	ward := api.NewClient(m2.HTTPServer.URL(), readFileTrim(t, dir+"/demo-tokens/recorder-22007.token"))
	reminder := api.EventRequest{Type: events.RecommendationReminderSent, Data: []byte(`{"sent_on":"2025-09-20","note":"Đôn đốc đơn vị kế thừa"}`)}
	if _, err = ward.Append(ctx, "recommendations", "kn-tcd-21607-1", reminder, api.WriteOptions{}); events.ErrorCode(err) != events.ENotFound {
		t.Fatalf("reminder by another ward's recorder: got %v, want not found (out of its sight)", err)
	}
	townRecorder := api.NewClient(m2.HTTPServer.URL(), readFileTrim(t, dir+"/demo-tokens/recorder-an-nhon.token"))
	if _, err = townRecorder.Append(ctx, "recommendations", "kn-tcd-21607-1", reminder, api.WriteOptions{}); events.ErrorCode(err) != events.EConflict {
		// kn-tcd-21607-1 was answered: a reminder is not allowed now.
		t.Fatalf("reminder on an answered recommendation: got %v, want conflict", err)
	}
	if _, err := ward.Append(ctx, "recommendations", "kn-tcd-21643-1", api.EventRequest{Type: events.RecommendationReminderSent,
		Data: []byte(`{"sent_on":"2025-09-20"}`)}, api.WriteOptions{}); err != nil {
		t.Fatalf("the 2025 ward's recorder could not write for its predecessor ward: %v", err)
	}
	town := api.NewClient(m2.HTTPServer.URL(), readFileTrim(t, dir+"/demo-tokens/recorder-an-nhon.token"))
	if _, err := town.Append(ctx, "recommendations", "kn-tcd-21643-1", api.EventRequest{Type: events.RecommendationReminderSent,
		Data: []byte(`{"sent_on":"2025-09-21"}`)}, api.WriteOptions{}); err != nil {
		t.Fatalf("the town recorder could not write for its old ward: %v", err)
	}
}

func readFileTrim(tb testing.TB, path string) string {
	tb.Helper()
	return adminTokenFile(tb, path)
}
