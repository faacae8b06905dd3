package projections

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"

	"github.com/mttq-vn/ledger/events"
)

// answerKeys are the payload fields of answers, decisions and reasons the
// text search looks in besides searchKeys: an answer's text and
// explanation, its planned actions, a note, a reason. They are folded when
// a search first needs them, not when their event is applied (folding them
// at Apply made a build of the views 10 % slower, BENCHMARKS.md).
var answerKeys = []string{"text", "explanation", "planned_actions", "note", "reason"}

// answerIndex holds the folded answer text of the items a search has
// looked at, in one byte slice, and where each item's is, by the item's
// first position: neither holds a pointer, so the collector does not mark
// them (views without pointers are what the reads' latency asks for).
type answerIndex struct {
	mu    sync.RWMutex // readers look up; folding and compacting write
	spans map[uint64]answerSpan
	text  []byte
	dead  int // bytes of text no span points to any more
	// compactFrom, if set, replaces answerCompactFrom (tests), and
	// compactions counts the compactions.
	compactFrom *int
	compactions int
}

// answerCompactFrom is how many bytes of folded answer text no span
// points to any more are kept before the text is compacted (and at least
// half of it).
const answerCompactFrom = 1 << 20

// answerSpan is where an item's folded answer text is: text[off:off+open]
// from events readers without confidential data may see, then up to
// off+all from its confidential events. pos is the item's last position
// when it was made.
type answerSpan struct {
	pos            uint64
	off, open, all uint32
}

// textMatch reports whether each of words (folded) is in text, the item's
// folded text, or in its answers' (only those of events a reader who may
// not see confidential data may see, if open).
func (v *Views) textMatch(it *Item, text string, words []string, open bool) bool {
	var buf [8]string
	missing := buf[:0]
	for _, w := range words {
		if !strings.Contains(text, w) {
			missing = append(missing, w)
		}
	}
	return len(missing) == 0 || v.answers.contains(it, missing, open)
}

// contains reports whether the item's folded answer text (its open part
// if open) holds each of words, making it if the item changed since it
// was made or it never was.
func (x *answerIndex) contains(it *Item, words []string, open bool) bool {
	x.mu.RLock()
	s, ok := x.spans[it.Created]
	if ok && s.pos == it.Updated {
		defer x.mu.RUnlock()
		return x.has(s, words, open)
	}
	x.mu.RUnlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	s, ok = x.spans[it.Created] // another search may have folded it meanwhile
	if !ok || s.pos != it.Updated {
		if ok {
			x.dead += int(s.all)
			delete(x.spans, it.Created) // not to be kept by a compaction
		}
		s = x.fold(it)
		if x.spans == nil {
			x.spans = map[uint64]answerSpan{}
		}
		x.spans[it.Created] = s
	}
	return x.has(s, words, open)
}

// has reports whether the text at s (its open part if open) holds each of
// words; x.mu is held.
func (x *answerIndex) has(s answerSpan, words []string, open bool) bool {
	end := s.all
	if open {
		end = s.open
	}
	text := x.text[s.off : s.off+end]
	for _, w := range words {
		if !bytes.Contains(text, []byte(w)) {
			return false
		}
	}
	return true
}

// fold appends the item's folded answer text to x.text, open events'
// fields first, and returns where it is. Text no span points to is
// dropped first once it is more than half of it.
func (x *answerIndex) fold(it *Item) answerSpan {
	from := answerCompactFrom
	if x.compactFrom != nil {
		from = *x.compactFrom
	}
	if x.dead > len(x.text)/2 && x.dead > from {
		x.compact()
	}
	s := answerSpan{pos: it.Updated, off: uint32(len(x.text))}
	for _, confidential := range []bool{false, true} {
		for e, ok := readEntry(it.Data, 0); ok; e, ok = readEntry(it.Data, e.next) {
			if (classOf[e.class] == events.Confidential) != confidential || !isAnswerKey(e.key) {
				continue
			}
			for _, t := range answerStrings(e.val) {
				if f := foldText(t); f != "" {
					x.text = append(append(x.text, ' '), f...)
				}
			}
		}
		if !confidential {
			s.open = uint32(len(x.text)) - s.off
		}
	}
	s.all = uint32(len(x.text)) - s.off
	return s
}

// compact copies the text spans point to into a new slice.
func (x *answerIndex) compact() {
	text := make([]byte, 0, len(x.text)-x.dead)
	for k, s := range x.spans {
		off := uint32(len(text))
		text = append(text, x.text[s.off:s.off+s.all]...)
		s.off = off
		x.spans[k] = s
	}
	x.text, x.dead = text, 0
	x.compactions++
}

func isAnswerKey(k []byte) bool {
	for _, a := range answerKeys {
		if string(k) == a {
			return true
		}
	}
	return false
}

// answerStrings returns the strings a field's JSON value holds: a string,
// or a list of strings (planned_actions).
func answerStrings(val []byte) []string {
	if s, ok := unquoteJSON(val); ok {
		return []string{s}
	}
	var list []string
	if json.Unmarshal(val, &list) != nil {
		return nil
	}
	return list
}
