package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// TestAdminActionsRecorded checks that every administrative action is an
// event in the ledger, with the token that did it: a token created, a
// token revoked, and a rebuild of the views (recorded before the rebuild,
// and not at all when refused).
func TestAdminActionsRecorded(t *testing.T) {
	f := MustOpenServer(t)
	stored := func(t *testing.T, pos uint64) events.Envelope {
		t.Helper()
		env, err := events.UnmarshalEnvelope(f.mustEvent(t, f.Admin.Secret, pos))
		if err != nil {
			t.Fatal(err)
		}
		return env
	}

	t.Run("Tokens", func(t *testing.T) {
		tok := f.MustCreateToken(t, api.TokenRequest{Name: "Cán bộ tạm thời", Role: events.RoleRecorder, Unit: unitWard})
		env := stored(t, tok.Position)
		if env.Type != events.TokenCreated || env.Actor.Subject != f.Admin.Name() || env.Stream != "token/"+tok.ID {
			t.Errorf("token creation recorded as %s by %s on %s, want %s by %s", env.Type, env.Actor.Subject, env.Stream, events.TokenCreated, f.Admin.Name())
		}
		if strings.Contains(string(f.mustEvent(t, f.Admin.Secret, tok.Position)), tok.Secret) {
			t.Error("the token's secret is in the log")
		}
		res, err := f.Admin.RevokeToken(t.Context(), tok.ID, "Hết nhiệm vụ.")
		if err != nil {
			t.Fatal(err)
		}
		env = stored(t, res.Position)
		if env.Type != events.TokenRevoked || env.Actor.Subject != f.Admin.Name() || env.Stream != "token/"+tok.ID {
			t.Errorf("revocation recorded as %s by %s on %s", env.Type, env.Actor.Subject, env.Stream)
		}
	})

	t.Run("Rebuild", func(t *testing.T) {
		before := f.Head(t)
		r := f.Do(t, "POST", "/v1/admin/rebuild", f.Admin.Secret, map[string]string{"reason": "Bảng thời hạn mới có hiệu lực."})
		if r.Status != http.StatusOK {
			t.Fatalf("POST /v1/admin/rebuild: %d %s", r.Status, r.Body)
		}
		var out api.Rebuilt
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatal(err)
		}
		rec := out.Recorded
		if rec.Position <= before || !strings.HasPrefix(rec.Stream, "admin/") || rec.Type != events.AdminRebuildRequested {
			t.Fatalf("recorded %+v after position %d, want a new admin/ stream with %s", rec, before, events.AdminRebuildRequested)
		}
		// Recorded first: the rebuilt views include the record.
		if out.Position < rec.Position {
			t.Errorf("views rebuilt to %d, before the record at %d", out.Position, rec.Position)
		}
		env := stored(t, rec.Position)
		var d events.AdminRebuildRequestedData
		if err := json.Unmarshal(env.Data, &d); err != nil {
			t.Fatal(err)
		}
		if env.Actor.Subject != f.Admin.Name() || env.Actor.Role != events.RoleAdmin || d.Reason != "Bảng thời hạn mới có hiệu lực." || d.Replica == "" ||
			env.Classification != events.Internal || env.Unit != "" {
			t.Errorf("stored %s by %+v (%s, unit %q): %+v", env.Type, env.Actor, env.Classification, env.Unit, d)
		}

		// No body: a default reason. A retry with the same Idempotency-Key
		// records nothing more.
		r = f.Do(t, "POST", "/v1/admin/rebuild", f.Admin.Secret, nil, "Idempotency-Key", "rebuild-1")
		if r.Status != http.StatusOK {
			t.Fatalf("POST /v1/admin/rebuild without a body: %d %s", r.Status, r.Body)
		}
		json.Unmarshal(r.Body, &out)
		if env := stored(t, out.Recorded.Position); !strings.Contains(string(env.Data), "no reason given") {
			t.Errorf("without a body: %s", env.Data)
		}
		head := f.MustWaitApplied(t)
		r = f.Do(t, "POST", "/v1/admin/rebuild", f.Admin.Secret, nil, "Idempotency-Key", "rebuild-1")
		var again api.Rebuilt
		json.Unmarshal(r.Body, &again)
		if r.Status != http.StatusOK || !again.Recorded.Replayed || again.Recorded.Position != out.Recorded.Position || f.Head(t) != head {
			t.Errorf("retry: %d %s; log %d -> %d", r.Status, r.Body, head, f.Head(t))
		}

		// Refusals record nothing.
		unitAdmin := f.MustCreateToken(t, api.TokenRequest{Name: "Quản trị phường", Role: events.RoleAdmin, Unit: unitWard})
		head = f.MustWaitApplied(t)
		for _, c := range []struct {
			secret string
			body   any
			status int
		}{
			{unitAdmin.Secret, nil, http.StatusForbidden},
			{f.Recorder.Secret, nil, http.StatusForbidden},
			{f.Inspector.Secret, nil, http.StatusForbidden},
			{"", nil, http.StatusUnauthorized},
			{f.Admin.Secret, `{"reason":"x","force":true}`, http.StatusBadRequest},
			{f.Admin.Secret, `{"reason":"   "}`, http.StatusBadRequest},
		} {
			if r := f.Do(t, "POST", "/v1/admin/rebuild", c.secret, c.body); r.Status != c.status {
				t.Errorf("POST /v1/admin/rebuild %v: %d %s, want %d", c.body, r.Status, r.Body, c.status)
			}
		}
		if got := f.Head(t); got != head {
			t.Errorf("refused rebuilds grew the log from %d to %d", head, got)
		}
	})
}
