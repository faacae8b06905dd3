package jetstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/minio/highwayhash"
	"github.com/mttq-vn/ledger/events"
	natsjs "github.com/nats-io/nats.go/jetstream"
)

// FileLog reads a stopped ledger's log straight from JetStream's message
// block files, without a server: what is on the disk, byte for byte. It is
// several times faster than reading through a server (no consumer, no
// client protocol), and it sees what a server would hide: a record whose
// JetStream checksum no longer matches is reported at its position instead
// of silently skipped.
//
// It understands the file store format of nats-server 2.10-2.15 for
// uncompressed, unencrypted streams (the ledger creates no other kind); a
// block it cannot read is an error that says so, and
// `ledger verify --via server` reads through an embedded server instead.
// It satisfies events.LogSource.
type FileLog struct {
	// StoreDir is the JetStream store folder (DATA/nats).
	StoreDir string
	// Config names the streams; zero fields take the Store's defaults.
	Config Config
}

var _ events.LogSource = (*FileLog)(nil)

// The record layout of a message block, as written by nats-server's
// msgBlock.writeMsgRecordLocked:
//
//	total_len(4) seq(8) ts(8) subj_len(2) subj [hdr_len(4) hdr] msg hash(8)
//
// The high bit of total_len says headers follow; the high bits of seq mark
// erased messages and delete tombstones. hash is HighwayHash-64 of seq, ts,
// subj, hdr and msg, keyed by SHA-256 of "<stream>-<block index>".
const (
	recHeaderBit  = 1 << 31
	recErasedBit  = 1 << 63
	recTombstone  = 1 << 62
	recHeaderSize = 22
	recHashSize   = 8
)

// blockFiles lists a stream's block files in index order.
func (f *FileLog) blockFiles(stream string) ([]string, []uint32, error) {
	dirs, _ := filepath.Glob(filepath.Join(f.StoreDir, "jetstream", "*", "streams", stream, "msgs"))
	if len(dirs) != 1 {
		return nil, nil, fmt.Errorf("jetstream files: want one %s stream under %s, found %d", stream, f.StoreDir, len(dirs))
	}
	entries, err := os.ReadDir(dirs[0])
	if err != nil {
		return nil, nil, fmt.Errorf("jetstream files: %w", err)
	}
	var idx []uint32
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".blk"); ok {
			if i, err := strconv.ParseUint(n, 10, 32); err == nil {
				idx = append(idx, uint32(i))
			}
		}
	}
	slices.Sort(idx)
	files := make([]string, len(idx))
	for i, n := range idx {
		files[i] = filepath.Join(dirs[0], fmt.Sprintf("%d.blk", n))
	}
	return files, idx, nil
}

// fileRecord is one message read from a block.
type fileRecord struct {
	seq     uint64
	subject []byte
	header  []byte
	msg     []byte
}

// scan calls fn for every stored message of stream in sequence order.
// Erased messages and tombstones are skipped (the reader then sees a gap).
// A record whose checksum does not match (checked if sums), or a block
// that ends inside a record, is an error naming the position. Readers that
// check the content against a hash of their own (the leaves against a
// signed root, an object against its digest) skip the checksums: a tenth of
// the CPU of reading the log. The subject, header and msg fn
// is given lie in a buffer read again for the next block: fn copies what it
// keeps.
// (One buffer for every block, rather than one allocated per 8 MiB block,
// took a start at a million events from 8.6 s to 6.9 s, most of it the
// kernel's time faulting in fresh memory; scans now share their buffers.)
func (f *FileLog) scan(ctx context.Context, stream string, sums bool, fn func(fileRecord) error) error {
	files, idx, err := f.blockFiles(stream)
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	var last uint64
	bp, _ := blockBuffers.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	buf := *bp
	defer func() {
		*bp = buf[:0]
		blockBuffers.Put(bp)
	}()
	for i, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := readFileInto(buf, name)
		if err != nil {
			return fmt.Errorf("jetstream files: %w", err)
		}
		buf = b
		if len(b) >= 4 && string(b[:3]) == "cmp" {
			return fmt.Errorf("jetstream files: block %s is compressed; read it with --via server", name)
		}
		key := sha256.Sum256(fmt.Appendf(nil, "%s-%d", stream, idx[i]))
		hh, err := highwayhash.NewDigest64(key[:])
		if err != nil {
			return err
		}
		for off := 0; off < len(b); {
			if len(b)-off < recHeaderSize+recHashSize {
				return fmt.Errorf("position %d: the store file %s ends inside a record", last+1, filepath.Base(name))
			}
			rl := le.Uint32(b[off:])
			hasHdr := rl&recHeaderBit != 0
			rl &^= recHeaderBit
			if int(rl) < recHeaderSize+recHashSize || off+int(rl) > len(b) {
				return fmt.Errorf("position %d: the store file %s ends inside a record (or a record length was altered)", last+1, filepath.Base(name))
			}
			rec := b[off : off+int(rl)]
			off += int(rl)
			seq := le.Uint64(rec[4:])
			slen := int(le.Uint16(rec[20:]))
			body := rec[recHeaderSize : len(rec)-recHashSize]
			if slen > len(body) {
				return fmt.Errorf("position %d: malformed record in %s", (seq &^ (recErasedBit | recTombstone)), filepath.Base(name))
			}
			subj, rest := body[:slen], body[slen:]
			var hdr []byte
			if hasHdr {
				if len(rest) < 4 || int(le.Uint32(rest)) > len(rest)-4 {
					return fmt.Errorf("position %d: malformed record headers in %s", seq&^(recErasedBit|recTombstone), filepath.Base(name))
				}
				hl := int(le.Uint32(rest))
				hdr, rest = rest[4:4+hl], rest[4+hl:]
			}
			if seq&recTombstone != 0 || seq&recErasedBit != 0 {
				continue
			}
			if sums {
				hh.Reset()
				hh.Write(rec[4:20])
				hh.Write(subj)
				hh.Write(hdr)
				hh.Write(rest)
				var sum [recHashSize]byte
				if !bytes.Equal(hh.Sum(sum[:0]), rec[len(rec)-recHashSize:]) {
					return fmt.Errorf("position %d: the record's JetStream checksum does not match: the store file %s was altered there", seq, filepath.Base(name))
				}
			}
			if seq <= last {
				// A stream stores each sequence once (the log never
				// deletes; a purged object's blocks are rewritten or
				// removed whole), so one stored twice means the files
				// were changed.
				return fmt.Errorf("position %d: stored twice in the block files (again in %s)", seq, filepath.Base(name))
			}
			last = seq
			if err := fn(fileRecord{seq: seq, subject: subj, header: hdr, msg: rest}); err != nil {
				return err
			}
		}
	}
	return nil
}

// blockBuffers keeps the buffers scans read blocks into: a start scans
// the log and two snapshots' buckets (twice each, see Object), and a
// buffer of one block for each scan came to 65 MB of fresh memory.
var blockBuffers sync.Pool

// headerValue returns a header of a NATS header block ("NATS/1.0\r\nK: V\r\n…").
func headerValue(hdr []byte, key string) string {
	for len(hdr) > 0 {
		line := hdr
		if i := bytes.Index(hdr, []byte("\r\n")); i >= 0 {
			line, hdr = hdr[:i], hdr[i+2:]
		} else {
			hdr = nil
		}
		if len(line) > len(key) && line[len(key)] == ':' && string(line[:len(key)]) == key {
			return string(bytes.TrimSpace(line[len(key)+1:]))
		}
	}
	return ""
}

// ReadLog implements events.LogSource: the events from position from on.
// Records carry Position, Stream, Version, ID, Key and Raw; Raw is a copy
// (the block files are read into one buffer, reused), which the caller may
// keep.
func (f *FileLog) ReadLog(ctx context.Context, from uint64, fn func(events.Record) error) error {
	cfg := f.Config
	cfg.setDefaults()
	prefix := cfg.SubjectPrefix + "."
	return f.scan(ctx, cfg.StreamName, true, func(r fileRecord) error {
		if r.seq < from {
			return nil
		}
		rec := events.Record{Position: r.seq, Raw: bytes.Clone(r.msg), ID: headerValue(r.header, hdrID), Key: headerValue(r.header, hdrKey)}
		if rest, ok := strings.CutPrefix(string(r.subject), prefix); ok {
			if kind, id, ok := strings.Cut(rest, "."); ok {
				rec.Stream = kind + "/" + id
			}
		}
		rec.Version, _ = strconv.ParseUint(headerValue(r.header, hdrVersion), 10, 64)
		return fn(rec)
	})
}

// Leaves calls fn with the RFC 6962 leaf hash (events.LeafHash) of every
// event's stored bytes from position from on: what a start needs to check
// a state snapshot against the log. Nothing is copied or decoded, so it is
// about three times faster than hashing what ReadLog returns (1.1-1.3 s
// against 3.5 s of CPU at a million events). JetStream's record checksums
// are not checked: the leaves are, against the snapshot's signed root.
func (f *FileLog) Leaves(ctx context.Context, from uint64, fn func(pos uint64, leaf [32]byte) error) error {
	cfg := f.Config
	cfg.setDefaults()
	return f.scan(ctx, cfg.StreamName, false, func(r fileRecord) error {
		if r.seq < from {
			return nil
		}
		return fn(r.seq, events.LeafHash(r.msg))
	})
}

// Object reads an object store's object, described by info (as the
// server gives it), from the bucket's block files: what a start needs to
// load a snapshot. Through the server, a 65 MB snapshot left about 270 MB
// of garbage behind (the server's and the client's copies of every
// chunk) and took about a second of CPU; here nothing is copied but into
// the reader's buffer. The files are read twice: first to check that they
// hold the whole object, as many chunks and bytes as info says with its
// SHA-256 digest (an error otherwise: files behind the server, or
// altered), so that a reader that stops before the end has still read
// only checked content; then for the content, whose digest is checked
// again at its end (a read error instead of io.EOF if the files changed
// in between). The caller closes the reader.
func (f *FileLog) Object(ctx context.Context, info *natsjs.ObjectInfo) (io.ReadCloser, error) {
	want, err := natsjs.DecodeObjectDigest(info.Digest)
	if err != nil || len(want) != sha256.Size {
		return nil, fmt.Errorf("jetstream files: object %s/%s has no SHA-256 digest", info.Bucket, info.Name)
	}
	if info.Deleted {
		return nil, fmt.Errorf("jetstream files: object %s/%s is deleted", info.Bucket, info.Name)
	}
	stream, subject := "OBJ_"+info.Bucket, "$O."+info.Bucket+".C."+info.NUID
	var chunks uint32
	var size uint64
	h := sha256.New()
	err = f.scan(ctx, stream, false, func(r fileRecord) error {
		if string(r.subject) == subject {
			chunks, size = chunks+1, size+uint64(len(r.msg))
			h.Write(r.msg)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if chunks != info.Chunks || size != info.Size {
		return nil, fmt.Errorf("jetstream files: object %s/%s: %d chunks and %d bytes in the files, not %d and %d",
			info.Bucket, info.Name, chunks, size, info.Chunks, info.Size)
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return nil, fmt.Errorf("jetstream files: object %s/%s does not match its digest", info.Bucket, info.Name)
	}
	pr, pw := io.Pipe()
	go func() {
		h := sha256.New()
		err := f.scan(ctx, stream, false, func(r fileRecord) error {
			if string(r.subject) != subject {
				return nil
			}
			h.Write(r.msg)
			_, err := pw.Write(r.msg)
			return err
		})
		if err == nil && !bytes.Equal(h.Sum(nil), want) {
			err = fmt.Errorf("jetstream files: object %s/%s does not match its digest", info.Bucket, info.Name)
		}
		pw.CloseWithError(err) // nil: io.EOF
	}()
	return pr, nil
}

// Checkpoints implements events.LogSource: every stored checkpoint, in the
// order stored.
func (f *FileLog) Checkpoints(ctx context.Context, fn func(size uint64, note []byte) error) error {
	cfg := f.Config
	cfg.setDefaults()
	return f.scan(ctx, cfg.CheckpointStream, true, func(r fileRecord) error {
		size, err := strconv.ParseUint(headerValue(r.header, hdrTreeSize), 10, 64)
		if err != nil {
			return fmt.Errorf("checkpoint at stream sequence %d has no tree size", r.seq)
		}
		return fn(size, bytes.Clone(r.msg))
	})
}

// readFileInto reads the whole file name into buf, grown if need be, as
// os.ReadFile does (to its end, even if it grew since it was opened).
func readFileInto(buf []byte, name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if size := int(fi.Size()) + 512; cap(buf) < size {
		buf = make([]byte, 0, size)
	}
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := f.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
