package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// TestBundleAltered fetches a genuine proof bundle of the demo's party
// ubnd-21613 (admin token: nothing withheld), alters it as whoever passes
// it on could, and checks that `ledger verify --bundle FILE --key-file KEY`
// refuses each alteration: the bundle's signed statement binds the trail
// and its events. (Found by an audit: all three verified.)
func TestBundleAltered(t *testing.T) {
	base := t.TempDir()
	m := MustRunMain(t, base, nil)
	url := m.HTTPServer.URL()
	if code, out, errOut := runCLI(t, "demo", "--url", url, "--token-file", filepath.Join(base, "admin.token"), "--out", t.TempDir()); code != 0 {
		t.Fatalf("demo: %d\n%s\n%s", code, out, errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	settle(t, ctx, m)
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/v1/bundles/parties/ubnd-21613", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken(t, base))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	genuine, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("bundle: %d %s", resp.StatusCode, genuine)
	}
	key := filepath.Join(base, "checkpoint.pub")
	verify := func(name string, b []byte) int {
		f := filepath.Join(t.TempDir(), name+".json")
		os.WriteFile(f, b, 0o600)
		code, out, errOut := runCLI(t, "verify", "--bundle", f, "--key-file", key)
		t.Logf("%s: exit %d %s%s", name, code, out, errOut)
		return code
	}
	if verify("genuine", genuine) != 0 {
		t.Fatal("the genuine bundle does not verify")
	}
	// A bundle of the trail as of an earlier point says so, signed (found
	// by helper-49: it named no point, and passed for the present).
	var g events.Bundle
	json.Unmarshal(genuine, &g)
	var at struct {
		Position uint64 `json:"position"`
	}
	json.Unmarshal(g.Trail, &at)
	early := at.Position / 2
	req, _ = http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/bundles/parties/ubnd-21613?as_of=%d", url, early), nil)
	req.Header.Set("Authorization", "Bearer "+adminToken(t, base))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	past, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	f := filepath.Join(t.TempDir(), "past.json")
	os.WriteFile(f, past, 0o600)
	if code, out, errOut := runCLI(t, "verify", "--bundle", f, "--key-file", filepath.Join(base, "checkpoint.pub")); code != 0 || at.Position == 0 ||
		!strings.Contains(out, fmt.Sprintf("as of position %d,", early)) {
		t.Errorf("a bundle as of %d (the present: %d): exit %d\n%s%s", early, at.Position, code, out, errOut)
	}
	// Against the running ledger (its public routes, no token): the
	// history the past bundle proves is a prefix of the ledger's now, by a
	// consistency proof, and the events since its trail's position are
	// counted.
	if code, out, errOut := runCLI(t, "verify", "--bundle", f, "--key-file", key, "--url", url); code != 0 ||
		!strings.Contains(out, "consistency proof checked): not rewritten since") || !strings.Contains(out, "recorded after the trail's position may change it") {
		t.Errorf("verify --bundle (as of %d) --url: exit %d\n%s%s", early, code, out, errOut)
	}
	// Another ledger signing with the same key, its log written anew (the
	// demo again, at other times: other hashes), is not the history the
	// bundles prove.
	other := MustRunMain(t, "", func(c *ServeConfig) { c.KeyFile = filepath.Join(base, "checkpoint.key") })
	defer other.Close()
	if code, out, errOut := runCLI(t, "demo", "--url", other.HTTPServer.URL(), "--token-file", filepath.Join(other.Config.Data, "admin.token"), "--out", t.TempDir()); code != 0 {
		t.Fatalf("demo on the other ledger: %d\n%s\n%s", code, out, errOut)
	}
	settle(t, ctx, other)
	for name, b := range map[string]string{"genuine": "", "past": f} {
		if b == "" {
			b = filepath.Join(t.TempDir(), "genuine.json")
			os.WriteFile(b, genuine, 0o600)
		}
		if code, out, errOut := runCLI(t, "verify", "--bundle", b, "--key-file", key, "--url", other.HTTPServer.URL()); code != 1 ||
			!strings.Contains(errOut, "the bundle's history is NOT the ledger's: The ledger's latest checkpoint") || !strings.Contains(errOut, "rewritten") {
			t.Errorf("the %s bundle against another ledger with the same key: exit %d\n%s%s", name, code, out, errOut)
		}
	}
	type trail struct {
		Events []struct {
			Position uint64 `json:"position"`
			Type     string `json:"type"`
		} `json:"events"`
	}
	var b events.Bundle
	if err := json.Unmarshal(genuine, &b); err != nil {
		t.Fatal(err)
	}
	var tr trail
	json.Unmarshal(b.Trail, &tr)
	var target uint64 // the recommendation the ward never answered
	for _, e := range tr.Events {
		if e.Type == "recommendation.received.v1" {
			target = e.Position
		}
	}
	if target == 0 {
		t.Fatal("no recommendation.received.v1 in the trail")
	}

	// A: the trail's conclusions rewritten: every obligation met on time,
	// no flags. Nothing in the bundle binds them to the events.
	{
		var gen map[string]any
		json.Unmarshal(b.Trail, &gen)
		for _, o := range gen["obligations"].([]any) {
			o := o.(map[string]any)
			o["outcome"] = "on_time"
			delete(o, "days_late")
			o["met_on"] = o["trigger"]
		}
		gen["flags"] = []any{}
		a := b
		a.Trail, _ = json.Marshal(gen)
		out, _ := json.Marshal(a)
		if verify("whitewashed-trail", out) == 0 {
			t.Errorf("a bundle whose obligations were all rewritten to on_time and whose flags were removed verifies")
		}
	}
	// B: an event dropped, with the obligations and flags that cite it.
	{
		var gen map[string]any
		json.Unmarshal(b.Trail, &gen)
		cites := func(x any) bool {
			for _, c := range x.(map[string]any)["cites"].([]any) {
				if uint64(c.(map[string]any)["position"].(float64)) == target {
					return true
				}
			}
			return false
		}
		for _, k := range []string{"events", "obligations", "flags"} {
			var keep []any
			for _, x := range gen[k].([]any) {
				if k == "events" && uint64(x.(map[string]any)["position"].(float64)) == target || k != "events" && cites(x) {
					continue
				}
				keep = append(keep, x)
			}
			gen[k] = keep
		}
		a := b
		a.Trail, _ = json.Marshal(gen)
		a.Events = nil
		for _, e := range b.Events {
			if e.Position != target {
				a.Events = append(a.Events, e)
			}
		}
		out, _ := json.Marshal(a)
		if verify("event-dropped", out) == 0 {
			t.Errorf("a bundle from which the event at position %d (and what cites it) was removed verifies", target)
		}
	}
	// C: a genuine, readable event turned into a "withheld" one (its leaf
	// hash is public: GET /v1/log/proof/inclusion serves it), after which
	// the trail may claim any type and hash for it.
	{
		var gen map[string]any
		json.Unmarshal(b.Trail, &gen)
		for _, e := range gen["events"].([]any) {
			e := e.(map[string]any)
			if uint64(e["position"].(float64)) == target {
				e["type"] = "recommendation.response_submitted.v1"
				e["hash"] = "0000000000000000000000000000000000000000000000000000000000000000"
			}
		}
		a := b
		a.Trail, _ = json.Marshal(gen)
		a.Events = append([]events.BundleEvent(nil), b.Events...)
		for i := range a.Events {
			if a.Events[i].Position == target {
				leaf := events.LeafHash(a.Events[i].Raw)
				a.Events[i].Raw, a.Events[i].Redacted, a.Events[i].LeafHash = nil, true, leaf[:]
			}
		}
		out, _ := json.Marshal(a)
		if verify("relabelled-as-withheld", out) == 0 {
			t.Errorf("a bundle whose readable event %d was marked withheld and relabelled %s in the trail verifies", target, "recommendation.response_submitted.v1")
		}
	}
	// D: a forged value put before the genuine one under the same key
	// (the signature covers the trail as it reads with the last value; a
	// reader who takes the first sees the forgery), at the top of the
	// trail and within an obligation.
	for name, forge := range map[string]func([]byte) []byte{
		"forged-name": func(g []byte) []byte {
			return bytes.Replace(g, []byte(`"trail":{`), []byte(`"trail":{"name":"FORGED NAME",`), 1)
		},
		"forged-outcome": func(g []byte) []byte {
			return bytes.Replace(g, []byte(`"outcome":"overdue"`), []byte(`"outcome":"on_time","outcome":"overdue"`), 1)
		},
	} {
		forged := forge(genuine)
		if bytes.Equal(forged, genuine) {
			t.Fatalf("%s: the genuine bundle has nothing to forge:\n%s", name, genuine)
		}
		if verify(name, forged) == 0 {
			t.Errorf("a bundle with a key given twice in its trail (%s) verifies", name)
		}
	}
}
