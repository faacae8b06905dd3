package events

import "io"

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
