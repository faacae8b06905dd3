package jetstream

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mttq-vn/ledger/events"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

// Snapshots keeps the read side's latest snapshot in a JetStream object
// store beside the log (bucket LEDGER_VIEWS by default), so that a
// restart loads it and catches up instead of replaying the whole log. It
// implements projections.SnapshotStore. Replicas sharing a cluster share
// the snapshot: views are a function of the log, so any replica's snapshot
// at a position is every replica's.
type Snapshots struct {
	js     natsjs.JetStream
	bucket string
	name   string
	desc   string
	repl   int
}

// snapshotChunk is the size of a snapshot's chunks in the object store.
const snapshotChunk = 16 << 10

// Snapshots returns the snapshot store of bucket ("" for LEDGER_VIEWS).
func (s *Store) Snapshots(bucket string) *Snapshots {
	if bucket == "" {
		bucket = "LEDGER_VIEWS"
	}
	return &Snapshots{js: s.js, bucket: bucket, name: "views", repl: s.cfg.Replicas,
		desc: "Snapshots of the ledger's read models (projections); derived data, safe to delete."}
}

// StateSnapshots returns the store of the write side's signed state
// snapshot (bucket LEDGER_STATE, object "state"; see events.Ledger's
// Snapshots). It implements events.SnapshotStore.
func (s *Store) StateSnapshots() *Snapshots {
	return &Snapshots{js: s.js, bucket: "LEDGER_STATE", name: "state", repl: s.cfg.Replicas,
		desc: "Signed snapshot of the ledger's write-side state; derived data, safe to delete (the next start replays the log)."}
}

func (sn *Snapshots) store(ctx context.Context, create bool) (natsjs.ObjectStore, error) {
	os, err := sn.js.ObjectStore(ctx, sn.bucket)
	if errors.Is(err, natsjs.ErrBucketNotFound) && create {
		os, err = sn.js.CreateObjectStore(ctx, natsjs.ObjectStoreConfig{Bucket: sn.bucket, Storage: natsjs.FileStorage, Replicas: sn.repl,
			Description: sn.desc})
	}
	if err != nil {
		return nil, err
	}
	return os, nil
}

// LoadSnapshot opens the latest snapshot (events.ErrNotFound if none).
func (sn *Snapshots) LoadSnapshot(ctx context.Context) (io.ReadCloser, error) {
	os, err := sn.store(ctx, false)
	if errors.Is(err, natsjs.ErrBucketNotFound) {
		return nil, events.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: snapshot bucket %s: %w", sn.bucket, err)
	}
	r, err := os.Get(ctx, sn.name)
	if errors.Is(err, natsjs.ErrObjectNotFound) {
		return nil, events.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("jetstream: reading snapshot %s/%s: %w", sn.bucket, sn.name, err)
	}
	return r, nil
}

// SaveSnapshot replaces the snapshot with r's content.
func (sn *Snapshots) SaveSnapshot(ctx context.Context, r io.Reader) error {
	os, err := sn.store(ctx, true)
	if err != nil {
		return fmt.Errorf("jetstream: snapshot bucket %s: %w", sn.bucket, err)
	}
	// Put publishes chunks asynchronously, up to the client's default of
	// 4,000 at a time; a server takes at most 128 MiB into a stream's
	// ingest queue (nats-server's max_buffered_size) and answers 429 past
	// it. 16 KiB chunks keep what is in flight within that (64 MiB), where
	// the default 128 KiB ones could put 500 MiB in flight and failed once
	// with a 323 MiB snapshot on a busy server.
	meta := natsjs.ObjectMeta{Name: sn.name, Opts: &natsjs.ObjectMetaOptions{ChunkSize: snapshotChunk}}
	if _, err := os.Put(ctx, meta, r); err != nil {
		return fmt.Errorf("jetstream: saving snapshot %s/%s: %w", sn.bucket, sn.name, err)
	}
	return nil
}
