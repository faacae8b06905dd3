package events_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/inmem"
)

// TestAuthenticate: a token's secret names its actor, a wrong or revoked
// one does not, and a secret of any length works; every request is
// authenticated, so it allocates only the actor's subject.
func TestAuthenticate(t *testing.T) {
	l, err := openWithSnapshots(t, inmem.NewStore(), mustKey(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	mustHandle(t, l, unitRequest("u1", ""))
	token := func(id, secret, role, unit string) {
		sum := sha256.Sum256([]byte(secret))
		mustHandle(t, l, events.Request{Kind: events.KindToken, ID: id, Create: true, Type: events.TokenCreated, Actor: admin,
			Data: json.RawMessage(`{"name":"cán bộ","role":"` + role + `","unit":"` + unit + `","secret_sha256":"` + hex.EncodeToString(sum[:]) + `"}`)})
	}
	short, long := "s3cret-token", strings.Repeat("dài", 100)
	token("t1", short, "recorder", "u1")
	token("t2", long, "observer", "u1")
	for _, c := range []struct{ secret, subject string }{{short, "token/t1"}, {long, "token/t2"}} {
		a, err := l.Authenticate(c.secret)
		if err != nil || a.Subject != c.subject || a.Unit != "u1" {
			t.Errorf("Authenticate(%.12q...): %+v, %v", c.secret, a, err)
		}
	}
	for _, secret := range []string{"", "s3cret-toke", "s3cret-token ", strings.ToUpper(short)} {
		if a, err := l.Authenticate(secret); events.ErrorCode(err) != events.EUnauthorized {
			t.Errorf("Authenticate(%q): %+v, %v", secret, a, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { l.Authenticate(short) }); n > 1 {
		t.Errorf("Authenticate allocates %v times, want at most 1 (the subject)", n)
	}
	mustHandle(t, l, events.Request{Kind: events.KindToken, ID: "t1", Type: events.TokenRevoked, Actor: admin, Data: json.RawMessage(`{"reason":"nghỉ việc"}`)})
	if _, err := l.Authenticate(short); events.ErrorCode(err) != events.EUnauthorized {
		t.Errorf("a revoked token: %v", err)
	}
}
