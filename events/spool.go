package events

import (
	"context"
	"errors"
	"io"
	"runtime"

	"github.com/klauspost/compress/s2"
)

// spoolBlock is the size of a Spool's blocks.
const spoolBlock = 1 << 20

// Spool holds bytes written once and then read once, such as an encoded
// snapshot on its way to the store, in blocks of 1 MiB. Growing it never
// copies or clears what it already holds: a bytes.Buffer that grows to a
// few hundred megabytes copies and clears its contents again and again
// (most of a snapshot's save time at a million events) and needs twice
// the memory at each step.
type Spool struct {
	blocks [][]byte
	n      int64 // bytes written
	off    int64 // bytes read
}

// Write appends p.
func (s *Spool) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(s.blocks) == 0 || len(s.blocks[len(s.blocks)-1]) == spoolBlock {
			s.blocks = append(s.blocks, make([]byte, 0, spoolBlock))
		}
		last := &s.blocks[len(s.blocks)-1]
		k := min(len(p), spoolBlock-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
	}
	s.n += int64(n)
	return n, nil
}

// Read reads what was written and not yet read; io.EOF after the end.
func (s *Spool) Read(p []byte) (int, error) {
	if s.off >= s.n {
		return 0, io.EOF
	}
	var n int
	for n < len(p) && s.off < s.n {
		b := s.blocks[s.off/spoolBlock][s.off%spoolBlock:]
		k := copy(p[n:], b)
		n += k
		s.off += int64(k)
	}
	return n, nil
}

// WriteTo writes what is left to read to w, block by block.
func (s *Spool) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for s.off < s.n {
		b := s.blocks[s.off/spoolBlock][s.off%spoolBlock:]
		k, err := w.Write(b)
		total += int64(k)
		s.off += int64(k)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// Len is the number of bytes written.
func (s *Spool) Len() int64 { return s.n }

// Rewind makes the next Read start from the first byte again.
func (s *Spool) Rewind() { s.off = 0 }

// S2SnapshotSaver is implemented by a snapshot store that keeps snapshots
// compressed with S2 (github.com/klauspost/compress/s2, stream format) and
// can take one compressed already.
type S2SnapshotSaver interface {
	// SaveS2Snapshot replaces the snapshot with r's content, which is
	// S2-compressed already.
	SaveS2Snapshot(ctx context.Context, r io.Reader) error
}

// SnapshotSpool holds an encoded snapshot between its encoding and its
// save. For a store that keeps snapshots compressed (S2SnapshotSaver) it
// compresses as it is written, on every core, so that what waits in
// memory is the compressed form: at a million events the views' snapshot
// held 315 MiB until its save, where compressed it is about 65 MiB.
// Close it when done, saved or not; it is saved at most once.
type SnapshotSpool struct {
	store SnapshotStore
	buf   Spool
	zw    *s2.Writer // nil for a store that compresses itself
	ended bool       // saved or closed
}

// errSpoolEnded is the error of a SnapshotSpool used after Save or Close.
var errSpoolEnded = errors.New("events: the snapshot spool was saved or closed already")

// NewSnapshotSpool returns a spool for a snapshot on its way to store.
func NewSnapshotSpool(store SnapshotStore) *SnapshotSpool {
	sp := &SnapshotSpool{store: store}
	if _, ok := store.(S2SnapshotSaver); ok {
		sp.zw = s2.NewWriter(&sp.buf, s2.WriterConcurrency(runtime.GOMAXPROCS(0)))
	}
	return sp
}

// Write adds to the snapshot.
func (sp *SnapshotSpool) Write(p []byte) (int, error) {
	switch {
	case sp.ended:
		return 0, errSpoolEnded
	case sp.zw != nil:
		return sp.zw.Write(p)
	}
	return sp.buf.Write(p)
}

// Save saves what was written to the store.
func (sp *SnapshotSpool) Save(ctx context.Context) error {
	if sp.ended {
		return errSpoolEnded
	}
	sp.ended = true
	if sp.zw == nil {
		return sp.store.SaveSnapshot(ctx, &sp.buf)
	}
	if err := sp.zw.Close(); err != nil {
		return err
	}
	return sp.store.(S2SnapshotSaver).SaveS2Snapshot(ctx, &sp.buf)
}

// Close ends the spool, and the compression's goroutines of one not saved.
func (sp *SnapshotSpool) Close() {
	if !sp.ended && sp.zw != nil {
		sp.zw.Close()
	}
	sp.ended = true
}
