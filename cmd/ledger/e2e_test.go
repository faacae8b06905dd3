package main

import (
	"context"
	"errors"
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
	d := &Demo{URL: url, AdminToken: token, TokenDir: dir + "/demo-tokens"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
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
	if err := m.Ledger.WaitCheckpoint(ctx, m.Ledger.Size()); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "verify", "--url", url, "--token-file", dir+"/demo-tokens/inspector.token", "--key-file", dir+"/checkpoint.pub")
	if code != 0 || !strings.Contains(out, "result:       OK") {
		t.Fatalf("verify --url: exit %d\n%s\n%s", code, out, errOut)
	}
	size := m.Ledger.Size()
	if err := m.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	code, out, errOut = runCLI(t, "verify", "--data", dir)
	if code != 0 || !strings.Contains(out, "result:       OK") {
		t.Fatalf("verify --data: exit %d\n%s\n%s", code, out, errOut)
	}

	m2 := MustRunMain(t, dir, nil)
	if got := m2.Ledger.Size(); got != size {
		t.Fatalf("after restart: %d events, want %d", got, size)
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
	ward := api.NewClient(m2.HTTPServer.URL(), readFileTrim(t, dir+"/demo-tokens/recorder-22007.token"))
	_, err = ward.Append(ctx, "recommendations", "kn-tcd-21607-1", api.EventRequest{Type: events.RecommendationReminderSent,
		Data: []byte(`{"sent_on":"2025-09-20","note":"Đôn đốc đơn vị kế thừa"}`)}, api.WriteOptions{})
	if events.ErrorCode(err) != events.EConflict {
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
