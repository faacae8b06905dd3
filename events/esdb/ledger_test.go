package esdb

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// TestLedgerOnFake runs the ledger itself on the store (over the fake
// server, see fake_test.go): commands, a retry, signed checkpoints, a
// second replica, a restart that checks the log against its checkpoint,
// and a full verification.
func TestLedgerOnFake(t *testing.T) {
	f := startFake(t)
	prefix := freshPrefix()
	skey, vkey, err := events.GenerateCheckpointKey("ledger.test/esdb")
	if err != nil {
		t.Fatal(err)
	}
	open := func(s *Store) *events.Ledger {
		signer, err := events.NewCheckpointSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		l := events.NewLedger(s, signer, signer.Name())
		l.CheckpointInterval = 10 * time.Millisecond
		l.Logger = testLogger(t)
		if err := l.Open(ctxT(t), nil); err != nil {
			t.Fatalf("open ledger: %v", err)
		}
		return l
	}
	admin := events.Actor{Subject: "token/admin", Role: events.RoleAdmin}
	unit := func(id, key string) events.Request {
		return events.Request{Kind: events.KindUnit, ID: id, Create: true, Type: events.UnitRegistered, Actor: admin, IdempotencyKey: key,
			Data: json.RawMessage(`{"name":"Phường Bình Định","level":"COMMUNE","valid_from":"2011-06-01"}`)}
	}

	s1 := openFake(t, f, prefix)
	a := open(s1)
	var last events.Result
	for i := range 5 {
		if last, err = a.Handle(ctxT(t), unit(fmt.Sprint("u", i), fmt.Sprint("k", i))); err != nil {
			t.Fatal(err)
		}
	}
	if last.Position != 5 {
		t.Errorf("fifth event at position %d", last.Position)
	}
	again, err := a.Handle(ctxT(t), unit("u4", "k4"))
	if err != nil || !again.Replayed || again.Position != 5 {
		t.Fatalf("retry: got %+v, %v", again, err)
	}

	// A second replica on the same server sees the same log and adds to it.
	b := open(openFake(t, f, prefix))
	if b.Size() != 5 {
		t.Fatalf("the replica has %d events, want 5", b.Size())
	}
	if res, err := b.Handle(ctxT(t), unit("u9", "k9")); err != nil || res.Position != 6 {
		t.Fatalf("append on the replica: %+v, %v", res, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for a.Size() != 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if a.Size() != 6 {
		t.Fatalf("the first ledger did not follow the replica's append: size %d", a.Size())
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if size, _, err := s1.LatestCheckpoint(ctxT(t)); err != nil || size != 6 {
		t.Fatalf("latest checkpoint: size %d, %v; want 6", size, err)
	}

	// A restart replays the log and checks it against the checkpoint;
	// verification finds nothing wrong.
	s3 := openFake(t, f, prefix)
	c := open(s3)
	defer c.Close()
	if c.Size() != 6 {
		t.Fatalf("after a restart: %d events", c.Size())
	}
	rep, err := events.Verify(ctxT(t), s3, events.VerifyOptions{VerifierKey: vkey})
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %+v, %v", rep, err)
	}
}
