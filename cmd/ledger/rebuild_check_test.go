package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events/jetstream"
)

// `ledger rebuild --check` names what serve refuses in a saved snapshot: one
// beyond the log (a log restored from an older copy) or of another log
// (helper-54: it said only that the snapshot differed).
func TestRebuildCheckNamesAForeignSnapshot(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ledgerWithDemo := func(demo bool) string {
		dir := t.TempDir()
		m := MustRunMain(t, dir, nil)
		if demo {
			if code, out, errOut := runCLI(t, "demo", "--url", m.HTTPServer.URL(), "--token-file", filepath.Join(dir, "admin.token"), "--out", t.TempDir()); code != 0 {
				t.Fatalf("demo: %d\n%s\n%s", code, out, errOut)
			}
		}
		settle(t, ctx, m)
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	big, small, other := ledgerWithDemo(true), ledgerWithDemo(false), ledgerWithDemo(true)
	if code, out, errOut := runCLI(t, "rebuild", "--data", big); code != 0 {
		t.Fatalf("rebuild: %d\n%s\n%s", code, out, errOut)
	}
	snapshot := func(dir string) []byte {
		closeFn, st, err := openDataDirReadOnly(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer closeFn()
		rc, err := st.(*jetstream.Store).Snapshots("").LoadSnapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	saved := snapshot(big)
	for _, c := range []struct{ dir, want string }{
		{small, "beyond the log's"},
		{other, "is not of this log"},
	} {
		closeFn, st, err := openDataDirReadOnly(ctx, c.dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.(*jetstream.Store).Snapshots("").SaveSnapshot(ctx, bytes.NewReader(saved)); err != nil {
			t.Fatal(err)
		}
		closeFn()
		if code, out, errOut := runCLI(t, "rebuild", "--data", c.dir, "--check"); code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("rebuild --check with another ledger's snapshot: exit %d, want 1 saying %q\n%s%s", code, c.want, out, errOut)
		}
	}
}
