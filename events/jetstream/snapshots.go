package jetstream

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/klauspost/compress/s2"
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
	// Files, when set, reads objects without the server (a FileLog, from
	// the embedded server's block files): LoadSnapshot then asks the
	// server only for the object's description, and reads through the
	// server when Files cannot read the whole object.
	Files ObjectReader

	js     natsjs.JetStream
	bucket string
	name   string
	desc   string
	repl   int
	log    *slog.Logger
}

// ObjectReader reads an object store's object, described by the server,
// other than through the server (see FileLog.Object).
type ObjectReader interface {
	Object(ctx context.Context, info *natsjs.ObjectInfo) (io.ReadCloser, error)
}

// snapshotChunk is the size of a snapshot's chunks in the object store.
const snapshotChunk = 16 << 10

// Snapshots returns the snapshot store of bucket ("" for LEDGER_VIEWS).
func (s *Store) Snapshots(bucket string) *Snapshots {
	if bucket == "" {
		bucket = "LEDGER_VIEWS"
	}
	return &Snapshots{js: s.js, bucket: bucket, name: "views", repl: s.cfg.Replicas, log: s.log,
		desc: "Snapshots of the ledger's read models (projections); derived data, safe to delete."}
}

// StateSnapshots returns the store of the write side's signed state
// snapshot (bucket LEDGER_STATE, object "state"; see events.Ledger's
// Snapshots). It implements events.SnapshotStore.
func (s *Store) StateSnapshots() *Snapshots {
	return &Snapshots{js: s.js, bucket: "LEDGER_STATE", name: "state", repl: s.cfg.Replicas, log: s.log,
		desc: "Signed snapshot of the ledger's write-side state; derived data, safe to delete (the next start replays the log)."}
}

// Drop deletes the bucket and what it holds; a bucket that is not there
// is not an error.
func (sn *Snapshots) Drop(ctx context.Context) error {
	if err := sn.js.DeleteObjectStore(ctx, sn.bucket); err != nil && !errors.Is(err, natsjs.ErrStreamNotFound) && !errors.Is(err, natsjs.ErrBucketNotFound) {
		return fmt.Errorf("deleting the object store %s: %w", sn.bucket, err)
	}
	return nil
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
	// Without a deadline, the client gives the whole read its default
	// timeout of 5 s, which a reader decoding a large snapshot outlasts
	// ("nats: timeout" half-way through); give it a generous one instead.
	cancel := context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		ctx, cancel = context.WithTimeout(ctx, snapshotReadTimeout)
	}
	if sn.Files != nil {
		info, err := os.GetInfo(ctx, sn.name)
		if errors.Is(err, natsjs.ErrObjectNotFound) {
			cancel()
			return nil, events.ErrNotFound
		}
		if err == nil {
			r, err := sn.Files.Object(ctx, info)
			if err == nil {
				return newSnapshotReader(r, func() { r.Close(); cancel() }), nil
			}
			sn.log.Info("reading the snapshot through the server: the store's files do not hold it whole", "bucket", sn.bucket, "err", err)
		}
	}
	r, err := os.Get(ctx, sn.name)
	if errors.Is(err, natsjs.ErrObjectNotFound) {
		cancel()
		return nil, events.ErrNotFound
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("jetstream: reading snapshot %s/%s: %w", sn.bucket, sn.name, err)
	}
	return newSnapshotReader(r, func() { r.Close(); cancel() }), nil
}

// newSnapshotReader reads a stored snapshot object: compressed with S2 (see
// SaveSnapshot), or as it is if it was saved before snapshots were
// compressed. done is called on Close.
func newSnapshotReader(r io.Reader, done func()) io.ReadCloser {
	br := bufio.NewReaderSize(r, 64<<10)
	sr := &snapshotReader{done: done, r: br}
	if head, err := br.Peek(len(s2Magic)); err == nil && string(head) == s2Magic {
		sr.r = s2.NewReader(br)
	}
	return sr
}

// s2Magic opens every S2 stream (the stream identifier chunk).
const s2Magic = "\xff\x06\x00\x00S2sTwO"

// snapshotReadTimeout bounds the read of a snapshot whose caller set no
// deadline.
const snapshotReadTimeout = 30 * time.Minute

type snapshotReader struct {
	done func()
	r    io.Reader // the object, decompressed
}

func (r *snapshotReader) Read(b []byte) (int, error) { return r.r.Read(b) }

func (r *snapshotReader) Close() error {
	r.done()
	return nil
}

// SaveSnapshot replaces the snapshot with r's content, compressed with S2
// (github.com/klauspost/compress/s2): the views' snapshot shrinks about
// five times (340 MB to 65 MB at a million events), so it takes that much
// less room in JetStream and on the wire to other replicas. Reading it
// alone takes 0.17 s instead of 0.85 s, plus 0.1 s to decompress; a
// start, which decodes it at the same time, was not measurably faster.
func (sn *Snapshots) SaveSnapshot(ctx context.Context, r io.Reader) error {
	pr, pw := io.Pipe()
	compressed := make(chan error, 1)
	go func() {
		zw := s2.NewWriter(pw)
		_, err := io.Copy(zw, r)
		if cerr := zw.Close(); err == nil {
			err = cerr
		}
		pw.CloseWithError(err) // nil: EOF
		compressed <- err
	}()
	err := sn.SaveS2Snapshot(ctx, pr)
	pr.CloseWithError(errors.New("jetstream: the snapshot was not stored")) // ends the compression if Put gave up
	if cerr := <-compressed; err == nil && cerr != nil {
		err = fmt.Errorf("jetstream: saving snapshot %s/%s: %w", sn.bucket, sn.name, cerr)
	}
	return err
}

var _ events.S2SnapshotSaver = (*Snapshots)(nil)

// SaveS2Snapshot is SaveSnapshot for content compressed with S2 already
// (events.SnapshotSpool compresses as a snapshot is encoded).
func (sn *Snapshots) SaveS2Snapshot(ctx context.Context, r io.Reader) error {
	os, err := sn.store(ctx, true)
	if err != nil {
		return fmt.Errorf("jetstream: snapshot bucket %s: %w", sn.bucket, err)
	}
	return sn.put(ctx, os, fullReader{r})
}

// fullReader fills each Read's buffer unless the stream ends: Put stores
// one chunk per Read, and a pipe hands out whatever one Write wrote.
type fullReader struct{ r io.Reader }

func (f fullReader) Read(b []byte) (int, error) {
	n, err := io.ReadFull(f.r, b)
	if err == io.ErrUnexpectedEOF {
		err = nil // a short last chunk; the next Read says EOF
	}
	return n, err
}

// put stores r as the snapshot object, paced (see pacedReader).
func (sn *Snapshots) put(ctx context.Context, os natsjs.ObjectStore, r io.Reader) error {
	// Put publishes chunks asynchronously, up to the client's default of
	// 4,000 at a time; a server takes at most 128 MiB into a stream's
	// ingest queue (nats-server's max_buffered_size) and answers 429 past
	// it. 16 KiB chunks keep what is in flight within that (64 MiB), where
	// the default 128 KiB ones could put 500 MiB in flight and failed once
	// with a 323 MiB snapshot on a busy server.
	//
	// Put also gives up ("stalled with too many outstanding async published
	// messages") when 4,000 chunks await their acknowledgement for 200 ms,
	// which a busy server does with a few hundred megabytes to store. So
	// the reader Put reads from holds back while more than
	// snapshotInFlight chunks are sent and not yet stored.
	stream, err := sn.js.Stream(ctx, "OBJ_"+sn.bucket)
	if err != nil {
		return fmt.Errorf("jetstream: snapshot bucket %s: %w", sn.bucket, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("jetstream: snapshot bucket %s: %w", sn.bucket, err)
	}
	paced := &pacedReader{ctx: ctx, r: r, base: info.State.LastSeq, patience: snapshotNoStore, stored: func() (uint64, error) {
		info, err := stream.Info(ctx)
		if err != nil {
			return 0, err
		}
		return info.State.LastSeq, nil
	}}
	meta := natsjs.ObjectMeta{Name: sn.name, Opts: &natsjs.ObjectMetaOptions{ChunkSize: snapshotChunk}}
	if _, err := os.Put(ctx, meta, paced); err != nil {
		return fmt.Errorf("jetstream: saving snapshot %s/%s: %w", sn.bucket, sn.name, err)
	}
	return nil
}

// snapshotInFlight is how many chunks of a snapshot may be sent and not yet
// stored: 16 MiB, well below both the client's 4,000 and the server's
// ingest queue. (The stream's last sequence is the bucket's: another
// replica saving into the same bucket at the same time makes the pacing
// laxer, never stricter.)
const (
	snapshotInFlight = 1024
	snapshotPaceStep = 128         // chunks between two looks at the stream
	snapshotNoStore  = time.Minute // no chunk stored for this long: give up
)

// pacedReader holds Put back so that at most snapshotInFlight of the
// chunks it handed out are not yet in the stream: every snapshotPaceStep
// chunks, it waits until no more than snapshotInFlight-snapshotPaceStep
// are unstored. Put sends one chunk per Read that returns data.
type pacedReader struct {
	ctx      context.Context
	r        io.Reader
	base     uint64                 // the stream's last sequence before the first chunk
	stored   func() (uint64, error) // the stream's last sequence now
	patience time.Duration          // give up when nothing is stored for this long
	sent     uint64
}

func (p *pacedReader) Read(b []byte) (int, error) {
	if p.sent > 0 && p.sent%snapshotPaceStep == 0 {
		if err := p.wait(); err != nil {
			return 0, err
		}
	}
	n, err := p.r.Read(b)
	if n > 0 {
		p.sent++
	}
	return n, err
}

func (p *pacedReader) wait() error {
	last, since := uint64(0), time.Now()
	var lookErr error
	for {
		// A failed look (a busy server answering late) counts as no
		// progress, not as the end of the save.
		seq, err := p.stored()
		if err != nil {
			lookErr = err
		} else if seq >= p.base && p.sent-min(p.sent, seq-p.base) <= snapshotInFlight-snapshotPaceStep {
			return nil
		}
		if err == nil && seq != last {
			last, since = seq, time.Now()
		} else if time.Since(since) > p.patience {
			if lookErr != nil {
				return fmt.Errorf("jetstream: the server stored no chunk of the snapshot for %s (last look: %w)", p.patience, lookErr)
			}
			return fmt.Errorf("jetstream: the server stored no chunk of the snapshot for %s", p.patience)
		}
		select {
		case <-p.ctx.Done():
			return p.ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
