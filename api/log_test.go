package api_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// storedLog returns every stored event's bytes, by position - 1.
func (f *Fixture) storedLog(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	err := f.Store.ReadLog(context.Background(), 1, func(r events.Record) error {
		if r.Position != uint64(len(out))+1 {
			return fmt.Errorf("position %d out of order", r.Position)
		}
		out = append(out, r.Raw)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

type storedCheckpoint struct {
	Size uint64
	Note string
}

func (f *Fixture) storedCheckpoints(tb testing.TB) []storedCheckpoint {
	tb.Helper()
	var out []storedCheckpoint
	err := f.Store.Checkpoints(context.Background(), func(size uint64, note []byte) error {
		out = append(out, storedCheckpoint{size, string(note)})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// ndjsonLines splits an NDJSON body into its lines; every line, the last
// included, must end with a newline.
func ndjsonLines(tb testing.TB, b []byte) [][]byte {
	tb.Helper()
	if len(b) == 0 {
		return nil
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		tb.Fatalf("NDJSON body does not end with a newline: %q", b)
	}
	return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

// mustWriteSome adds a few events of various streams and classifications.
func mustWriteSome(tb testing.TB, f *Fixture) {
	tb.Helper()
	f.MustIssue(tb, f.Recorder, "rec-1", unitWard, partyWard)
	f.MustAppend(tb, f.Recorder, "recommendations", "rec-1", receivedRequest)
	confidential := reminderRequest
	confidential.Classification = "confidential"
	f.MustAppend(tb, f.Recorder, "recommendations", "rec-1", confidential)
	f.MustIssue(tb, f.OtherRecorder, "rec-2", unitOther, partyOther)
	f.MustAppend(tb, f.Respondent, "recommendations", "rec-1", responseRequest)
}

func TestLogEntries(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	mustWriteSome(t, f)
	// A unit-scoped admin may not read other units' events one by one, so
	// not the whole log either.
	wardAdmin := f.MustCreateToken(t, api.TokenRequest{Name: "Quản trị phường", Role: events.RoleAdmin, Unit: unitWard})
	head := f.MustWaitCheckpoint(t)
	stored := f.storedLog(t)

	t.Run("InspectorsAndAdminsOnly", func(t *testing.T) {
		for _, path := range []string{"/v1/log/entries", "/v1/log/checkpoints"} {
			for _, tok := range []*Token{f.Recorder, f.TownRecorder, f.Respondent, f.Observer, wardAdmin} {
				MustError(t, f.Do(t, "GET", path, tok.Secret, nil), http.StatusForbidden, events.EForbidden, "Authorization")
			}
			MustError(t, f.Do(t, "GET", path, "", nil), http.StatusUnauthorized, events.EUnauthorized, "Authorization")
			for _, tok := range []*Token{f.Inspector, f.Admin} {
				if r := f.Do(t, "GET", path, tok.Secret, nil); r.Status != http.StatusOK {
					t.Errorf("GET %s: status %d, want 200", path, r.Status)
				}
			}
		}
	})

	t.Run("LinesAreTheStoredBytes", func(t *testing.T) {
		r := f.Do(t, "GET", "/v1/log/entries", f.Inspector.Secret, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("status %d (%s)", r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
			t.Errorf("Content-Type: got %q, want application/x-ndjson", ct)
		}
		lines := ndjsonLines(t, r.Body)
		if uint64(len(lines)) != head {
			t.Fatalf("lines: got %d, want %d", len(lines), head)
		}
		for i, line := range lines {
			if !bytes.Equal(line, stored[i]) {
				t.Errorf("line %d: got %s, want the stored bytes %s", i+1, line, stored[i])
			}
		}
		if got, want := r.Trailer.Get("X-Ledger-Next"), strconv.FormatUint(head+1, 10); got != want {
			t.Errorf("X-Ledger-Next: got %q, want %q", got, want)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		var got [][]byte
		from := uint64(1)
		for pages := 0; ; pages++ {
			if pages > int(head) {
				t.Fatalf("paging does not end")
			}
			r := f.Do(t, "GET", fmt.Sprintf("/v1/log/entries?from=%d&limit=3", from), f.Admin.Secret, nil)
			lines := ndjsonLines(t, r.Body)
			next, err := strconv.ParseUint(r.Trailer.Get("X-Ledger-Next"), 10, 64)
			if err != nil {
				t.Fatalf("page from %d: X-Ledger-Next %q", from, r.Trailer.Get("X-Ledger-Next"))
			}
			if len(lines) > 3 || next != from+uint64(len(lines)) {
				t.Fatalf("page from %d: got %d lines and next %d", from, len(lines), next)
			}
			if len(lines) == 0 {
				break
			}
			got = append(got, lines...)
			from = next
		}
		if diff := cmp.Diff(stored, got); diff != "" {
			t.Errorf("paged log (-stored +paged):\n%s", diff)
		}
	})

	for _, tc := range []struct {
		name      string
		query     string
		wantFirst uint64
		wantN     uint64
		wantNext  uint64
	}{
		{"FromAPosition", "from=4&limit=2", 4, 2, 6},
		{"FromOne", "from=1&limit=1", 1, 1, 2},
		{"TheLargestPage", fmt.Sprintf("from=2&limit=%d", api.MaxEntries), 2, head - 1, head + 1},
		{"AtTheHead", fmt.Sprintf("from=%d", head), head, 1, head + 1},
		{"PastTheHead", fmt.Sprintf("from=%d", head+1), 0, 0, head + 1},
		{"FarPastTheHead", "from=1000000", 0, 0, 1000000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.Do(t, "GET", "/v1/log/entries?"+tc.query, f.Inspector.Secret, nil)
			lines := ndjsonLines(t, r.Body)
			if uint64(len(lines)) != tc.wantN {
				t.Fatalf("lines: got %d, want %d", len(lines), tc.wantN)
			}
			for i, line := range lines {
				if want := stored[tc.wantFirst-1+uint64(i)]; !bytes.Equal(line, want) {
					t.Errorf("line %d: got %s, want %s", i, line, want)
				}
			}
			if got, want := r.Trailer.Get("X-Ledger-Next"), strconv.FormatUint(tc.wantNext, 10); got != want {
				t.Errorf("X-Ledger-Next: got %q, want %q", got, want)
			}
		})
	}

	t.Run("BadParameters", func(t *testing.T) {
		MustError(t, f.Do(t, "GET", "/v1/log/entries?from=first", f.Inspector.Secret, nil), http.StatusBadRequest, events.EInvalid, "from")
		MustError(t, f.Do(t, "GET", "/v1/log/entries?limit=-1", f.Inspector.Secret, nil), http.StatusBadRequest, events.EInvalid, "limit")
		// Positions start at 1, pages hold 1 to MaxEntries events: what is
		// outside is refused, not clamped.
		MustError(t, f.Do(t, "GET", "/v1/log/entries?from=0", f.Inspector.Secret, nil), http.StatusBadRequest, events.EInvalid, "from")
		MustError(t, f.Do(t, "GET", "/v1/log/entries?limit=0", f.Inspector.Secret, nil), http.StatusBadRequest, events.EInvalid, "limit")
		MustError(t, f.Do(t, "GET", fmt.Sprintf("/v1/log/entries?limit=%d", api.MaxEntries+1), f.Inspector.Secret, nil), http.StatusBadRequest, events.EInvalid, "limit")
	})
}

func TestLogCheckpoints(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	mustWriteSome(t, f)
	f.MustWaitCheckpoint(t)
	want := f.storedCheckpoints(t)
	r := f.Do(t, "GET", "/v1/log/checkpoints", f.Inspector.Secret, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("status %d (%s)", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type: got %q, want application/x-ndjson", ct)
	}
	var got []storedCheckpoint
	for _, line := range ndjsonLines(t, r.Body) {
		var e api.CheckpointEntry
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			t.Fatalf("line %s: %v", line, err)
		}
		got = append(got, storedCheckpoint{e.Size, e.Note})
	}
	if len(want) == 0 {
		t.Fatal("no checkpoint was stored")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("checkpoints (-stored +served):\n%s", diff)
	}
}

// TestClientLogSource checks api.Client as an events.LogSource: it reads the
// log and the checkpoints, and events.Verify over it reports the ledger OK.
func TestClientLogSource(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	mustWriteSome(t, f)
	head := f.MustWaitCheckpoint(t)
	stored := f.storedLog(t)
	ctx := context.Background()

	t.Run("ReadLog", func(t *testing.T) {
		var got [][]byte
		err := f.Inspector.ReadLog(ctx, 0, func(r events.Record) error {
			if r.Position != uint64(len(got))+1 {
				return fmt.Errorf("record at position %d, want %d", r.Position, len(got)+1)
			}
			got = append(got, r.Raw)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(stored, got); diff != "" {
			t.Errorf("Client.ReadLog (-stored +read):\n%s", diff)
		}
	})

	t.Run("ReadLogFromAPosition", func(t *testing.T) {
		var first, n uint64
		err := f.Admin.ReadLog(ctx, 5, func(r events.Record) error {
			if first == 0 {
				first = r.Position
			}
			n++
			return nil
		})
		if err != nil || first != 5 || n != head-4 {
			t.Errorf("Client.ReadLog from 5: got first %d, %d records, err %v; want 5, %d, nil", first, n, err, head-4)
		}
	})

	t.Run("ReadLogStopsAtTheCallbacksError", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := f.Inspector.ReadLog(ctx, 1, func(events.Record) error {
			n++
			if n == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || n != 3 {
			t.Errorf("Client.ReadLog: got err %v after %d records, want stop after 3", err, n)
		}
	})

	t.Run("ReadLogForbidden", func(t *testing.T) {
		err := f.Recorder.ReadLog(ctx, 1, func(events.Record) error { return nil })
		if events.ErrorCode(err) != events.EForbidden {
			t.Errorf("Client.ReadLog with a recorder token: got %v, want code forbidden", err)
		}
	})

	t.Run("Checkpoints", func(t *testing.T) {
		var got []storedCheckpoint
		err := f.Inspector.Checkpoints(ctx, func(size uint64, note []byte) error {
			got = append(got, storedCheckpoint{size, string(note)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(f.storedCheckpoints(t), got); diff != "" {
			t.Errorf("Client.Checkpoints (-stored +read):\n%s", diff)
		}
	})

	t.Run("VerifyOverTheClientIsOK", func(t *testing.T) {
		key, err := f.Inspector.Key(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if key != f.Ledger.Signer.VerifierKey() {
			t.Errorf("Client.Key: got %q, want %q", key, f.Ledger.Signer.VerifierKey())
		}
		rep, err := events.Verify(ctx, f.Inspector.Client, events.VerifyOptions{VerifierKey: key, Origin: testOrigin})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() {
			t.Errorf("Verify over the client: problems %+v", rep.Problems)
		}
		if rep.Events != head || rep.LastCheckpoint != head || rep.Checkpoints == 0 {
			t.Errorf("Verify over the client: got %d events, last checkpoint %d, %d checkpoints; want %d, %d, ≥ 1", rep.Events, rep.LastCheckpoint, rep.Checkpoints, head, head)
		}
		direct, err := events.Verify(ctx, f.Store, events.VerifyOptions{VerifierKey: key, Origin: testOrigin})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(direct, rep); diff != "" {
			t.Errorf("Verify over the client differs from Verify over the store (-store +client):\n%s", diff)
		}
	})

	t.Run("ProofsRoundTrip", func(t *testing.T) {
		note, err := f.Observer.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := events.OpenCheckpoint(note, f.Ledger.Signer.VerifierKey(), testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := f.Inspector.Event(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		ip, err := f.Observer.InclusionProof(ctx, 3, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := events.VerifyInclusion(2, cp.Size, events.LeafHash(raw), mustB64s(t, ip.Hashes), cp.Root); err != nil {
			t.Errorf("Client.InclusionProof: %v", err)
		}
		cons, err := f.Observer.ConsistencyProof(ctx, 3, cp.Size)
		if err != nil {
			t.Fatal(err)
		}
		root3, err := f.Ledger.Tree().Root(3)
		if err != nil {
			t.Fatal(err)
		}
		if err := events.VerifyConsistency(3, cp.Size, mustB64s(t, cons.Hashes), root3, cp.Root); err != nil {
			t.Errorf("Client.ConsistencyProof: %v", err)
		}
		if _, err := f.Observer.InclusionProof(ctx, head+1, head); events.ErrorField(err) != "position" {
			t.Errorf("Client.InclusionProof beyond the tree: got %v, want field position", err)
		}
		if _, err := f.Observer.Event(ctx, 1); events.ErrorCode(err) != events.EForbidden {
			t.Errorf("Client.Event of a token event for an observer: got %v, want code forbidden", err)
		}
		if !strings.Contains(string(note), testOrigin) {
			t.Errorf("Client.Checkpoint: %q does not name the origin", note)
		}
	})
}

func mustB64s(tb testing.TB, hs []string) [][]byte {
	tb.Helper()
	out := make([][]byte, len(hs))
	for i, h := range hs {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = b
	}
	return out
}
