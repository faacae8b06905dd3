package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
)

// LogSource is what Verify reads: the log in position order and the stored
// checkpoints. Every Store is one; so is the HTTP client of a running
// ledger.
type LogSource interface {
	ReadLog(ctx context.Context, from uint64, fn func(Record) error) error
	Checkpoints(ctx context.Context, fn func(size uint64, note []byte) error) error
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// VerifierKey is the checkpoint verifier key (note vkey text). Required.
	VerifierKey string
	// Origin is the expected checkpoint origin; empty means the verifier
	// key's name (see OpenCheckpoint).
	Origin string
	// Witnessed are signed checkpoints kept outside the ledger (by a
	// witness, an inspector, an earlier verify): each must verify with the
	// key and be held by the log, its root at its size, as a stored one
	// must. They catch what the ledger's own store cannot: a log rolled
	// back, or rewritten after its checkpoints were removed.
	Witnessed [][]byte
	// Progress, if set, is called now and then with the events checked and
	// the size of the latest checkpoint (an estimate of the total).
	Progress func(done, total uint64)
	// Workers hash and parse events in parallel; default GOMAXPROCS.
	Workers int
}

// Problem is one thing Verify found wrong.
type Problem struct {
	// Position is the first log position the problem concerns; 0 if it
	// concerns no event (a checkpoint's signature).
	Position uint64 `json:"position,omitempty"`
	// Through, if set, makes the problem a range: something in positions
	// Position..Through differs (a signed root that does not match says no
	// more than that).
	Through uint64 `json:"through,omitempty"`
	// Checkpoint is the tree size of the checkpoint concerned, if any.
	Checkpoint uint64 `json:"checkpoint,omitempty"`
	What       string `json:"what"`
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Events         uint64    `json:"events"`
	Streams        int       `json:"streams"`
	Checkpoints    int       `json:"checkpoints"`
	Witnessed      int       `json:"witnessed,omitempty"`
	LastCheckpoint uint64    `json:"last_checkpoint"`
	Root           string    `json:"root"`
	Problems       []Problem `json:"problems"`
}

// OK reports whether nothing was wrong.
func (r *VerifyReport) OK() bool { return len(r.Problems) == 0 }

// FirstBadPosition returns the first position where anything differs, or
// 0. A range problem (a root that does not match) counts with its first
// position unless a problem with an exact position lies inside the range
// and explains it.
func (r *VerifyReport) FirstBadPosition() uint64 {
	var first uint64
	for _, p := range r.Problems {
		pos := p.Position
		if p.Through != 0 {
			for _, q := range r.Problems {
				if q.Through == 0 && q.Position >= p.Position && q.Position <= p.Through {
					pos = q.Position
					break
				}
			}
		}
		if pos != 0 && (first == 0 || pos < first) {
			first = pos
		}
	}
	return first
}

// maxProblems bounds the report: after the first damage, later problems
// are mostly echoes of it.
const maxProblems = 100

type verifyCheckpoint struct {
	size uint64
	cp   Checkpoint
}

// Verify recomputes every event's hash, every stream's hash chain and the
// Merkle tree over the whole log; checks every stored checkpoint's
// signature and origin, that its root matches the recomputed tree, and that
// each is consistent with the previous one; and reports every difference
// with the first position it concerns. The error is for failures to read,
// not for findings: those are in the report.
func Verify(ctx context.Context, src LogSource, opt VerifyOptions) (*VerifyReport, error) {
	rep := &VerifyReport{}
	add := func(p Problem) {
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, p)
		}
	}
	// 1. Checkpoints: signatures first, then sorted by size.
	var cps []verifyCheckpoint
	err := src.Checkpoints(ctx, func(size uint64, note []byte) error {
		rep.Checkpoints++
		cp, err := OpenCheckpoint(note, opt.VerifierKey, opt.Origin)
		if err != nil {
			add(Problem{Checkpoint: size, What: fmt.Sprintf("checkpoint of size %d does not verify: %s", size, ErrorMessage(err))})
			return nil
		}
		if cp.Size != size {
			add(Problem{Checkpoint: size, What: fmt.Sprintf("checkpoint stored as size %d signs size %d", size, cp.Size)})
		}
		cps = append(cps, verifyCheckpoint{size: cp.Size, cp: cp})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify: read checkpoints: %w", err)
	}
	for i, note := range opt.Witnessed {
		cp, err := OpenCheckpoint(note, opt.VerifierKey, opt.Origin)
		if err != nil {
			add(Problem{What: fmt.Sprintf("witnessed checkpoint %d does not verify: %s", i+1, ErrorMessage(err))})
			continue
		}
		rep.Witnessed++
		cps = append(cps, verifyCheckpoint{size: cp.Size, cp: cp})
	}
	sort.SliceStable(cps, func(i, j int) bool { return cps[i].size < cps[j].size })
	for i := 1; i < len(cps); i++ {
		if cps[i].size == cps[i-1].size && cps[i].cp.Root != cps[i-1].cp.Root {
			add(Problem{Position: 1, Checkpoint: cps[i].size, What: fmt.Sprintf("two signed checkpoints of size %d have different roots: the history was forked", cps[i].size)})
		}
	}
	cps = slices.CompactFunc(cps, func(a, b verifyCheckpoint) bool { return a.size == b.size })
	if len(cps) > 0 {
		rep.LastCheckpoint = cps[len(cps)-1].size
	}

	// 2. The log, hashed and parsed in parallel, checked in order.
	var tree Tree
	type link struct {
		version uint64
		pos     uint64
		hash    Hash
	}
	chains := make(map[string]link)
	next := 0          // index into cps of the next checkpoint to compare
	var matched uint64 // size of the last checkpoint whose root matched
	checkRoots := func() {
		for next < len(cps) && cps[next].size <= tree.Size() {
			c := cps[next]
			root, _ := tree.Root(c.size)
			if root == c.cp.Root {
				matched = c.size
			} else {
				add(Problem{Position: matched + 1, Through: c.size, Checkpoint: c.size, What: fmt.Sprintf(
					"the first %d events do not match the signed checkpoint of that size: an event in positions %d-%d was altered", c.size, matched+1, c.size)})
			}
			next++
		}
	}
	var want uint64 = 1
	process := func(it *verifyItem) {
		pos := it.rec.Position
		if pos != want {
			add(Problem{Position: want, What: fmt.Sprintf("position %d is missing (the log goes on at %d)", want, pos)})
		}
		want = pos + 1
		tree.Append(it.leaf)
		rep.Events++
		if it.err != "" {
			add(Problem{Position: pos, What: it.err})
		} else {
			e := &it.env
			prev := chains[e.Stream]
			switch {
			case e.Version != prev.version+1:
				add(Problem{Position: pos, What: fmt.Sprintf("%s version %d follows version %d", e.Stream, e.Version, prev.version)})
			case prev.version > 0 && e.PrevHash != prev.hash.String():
				// The earlier event no longer hashes to what its successor
				// recorded: it (or this event's prev_hash) was altered.
				add(Problem{Position: prev.pos, What: fmt.Sprintf("%s version %d (position %d) hashes to %s but version %d (position %d) names %s: the event at position %d was altered",
					e.Stream, prev.version, prev.pos, short(prev.hash.String()), e.Version, pos, short(e.PrevHash), prev.pos)})
			case prev.version == 0 && e.PrevHash != "":
				add(Problem{Position: pos, What: fmt.Sprintf("%s starts with a prev_hash", e.Stream)})
			}
			chains[e.Stream] = link{version: e.Version, pos: pos, hash: it.hash}
		}
		checkRoots()
		if opt.Progress != nil && rep.Events%50000 == 0 {
			opt.Progress(rep.Events, max(rep.LastCheckpoint, rep.Events))
		}
	}
	readErr := readOrdered(ctx, src.ReadLog, 1, opt.Workers, func(it *verifyItem) { it.compute() }, func(it *verifyItem) error {
		process(it)
		return nil
	}, func(r Record) verifyItem { return verifyItem{rec: r} })
	if readErr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		add(Problem{Position: want, What: fmt.Sprintf("the log cannot be read at position %d: %v", want, readErr)})
	}
	if opt.Progress != nil {
		opt.Progress(rep.Events, rep.Events)
	}
	if len(cps) == 0 && tree.Size() > 0 {
		add(Problem{Position: 1, Through: tree.Size(), What: fmt.Sprintf(
			"no signed checkpoint covers the log's %d events: nothing proves they were not rewritten (were the checkpoints removed? a checkpoint kept elsewhere can be given to check against)", tree.Size())})
	}
	if rep.LastCheckpoint > tree.Size() {
		add(Problem{Position: tree.Size() + 1, Checkpoint: rep.LastCheckpoint, What: fmt.Sprintf(
			"the log has %d events but a signed checkpoint covers %d: events from position %d on are missing (truncated)", tree.Size(), rep.LastCheckpoint, tree.Size()+1)})
	}
	// 3. Each checkpoint consistent with the one before, by proofs from the
	// recomputed tree against the signed roots.
	for i := 1; i < len(cps) && cps[i].size <= tree.Size(); i++ {
		a, b := cps[i-1], cps[i]
		proof, err := tree.ConsistencyProof(a.size, b.size)
		if err == nil {
			err = VerifyConsistency(a.size, b.size, proof, a.cp.Root, b.cp.Root)
		}
		if err != nil && !slices.ContainsFunc(rep.Problems, func(p Problem) bool { return p.Checkpoint == a.size || p.Checkpoint == b.size }) {
			add(Problem{Position: a.size + 1, Through: b.size, Checkpoint: b.size, What: fmt.Sprintf("checkpoint %d is not consistent with checkpoint %d", b.size, a.size)})
		}
	}
	rep.Streams = len(chains)
	root, _ := tree.Root(tree.Size())
	rep.Root = fmt.Sprintf("%x", root)
	sort.SliceStable(rep.Problems, func(i, j int) bool { return rep.Problems[i].Position < rep.Problems[j].Position })
	return rep, nil
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12] + "…"
	}
	if h == "" {
		return `""`
	}
	return h
}

// verifyItem is one record with what the workers computed.
type verifyItem struct {
	rec  Record
	leaf [32]byte
	hash Hash
	env  verifyEnvelope
	err  string
}

// verifyEnvelope holds the envelope fields Verify checks.
type verifyEnvelope struct {
	ID       string `json:"id"`
	Stream   string `json:"stream"`
	Kind     Kind   `json:"kind"`
	Type     Type   `json:"type"`
	Version  uint64 `json:"version"`
	PrevHash string `json:"prev_hash"`
}

func (it *verifyItem) compute() {
	it.leaf = LeafHash(it.rec.Raw)
	it.hash = HashOf(it.rec.Raw)
	if !parseEnvelopeHead(it.rec.Raw, &it.env) {
		// Not in the ledger's canonical layout: decode it properly.
		it.env = verifyEnvelope{}
		if err := json.Unmarshal(it.rec.Raw, &it.env); err != nil {
			it.err = fmt.Sprintf("the event is not a valid JSON envelope: %v", err)
			return
		}
	}
	e := &it.env
	kind, _, ok := SplitStream(e.Stream)
	switch {
	case !ok:
		it.err = fmt.Sprintf("the event names a malformed stream %q", e.Stream)
	case it.rec.Stream != "" && it.rec.Stream != e.Stream:
		it.err = fmt.Sprintf("the event names stream %s but is stored under %s", e.Stream, it.rec.Stream)
	case it.rec.Version != 0 && it.rec.Version != e.Version:
		it.err = fmt.Sprintf("the event says version %d but is stored as version %d", e.Version, it.rec.Version)
	case kind != e.Kind || e.Type.Kind() != kind:
		it.err = fmt.Sprintf("the event's kind %s and type %s do not match its stream %s", e.Kind, e.Type, e.Stream)
	case !KnownType(e.Type):
		it.err = fmt.Sprintf("unknown event type %s", e.Type)
	}
}

// parseEnvelopeHead reads the fields Verify needs from an envelope in the
// layout Envelope.Marshal writes ({"id":…,"stream":…,"kind":…,"type":…,
// "version":N, … "prev_hash":…,"data":…}), without a JSON decoder: on a
// large log, decoding is most of verify's time. It reports false for
// anything else (escaped strings included), and the caller then decodes
// the event with encoding/json. The hash chain and the signed tree, not
// this parse, are what prove the bytes unaltered.
func parseEnvelopeHead(b []byte, e *verifyEnvelope) bool {
	rest, ok := bytes.CutPrefix(b, []byte(`{"id":`))
	if !ok {
		return false
	}
	var field string
	if field, rest, ok = cutJSONString(rest); !ok {
		return false
	}
	e.ID = field
	for _, f := range []struct {
		key string
		dst *string
	}{{`,"stream":`, &e.Stream}, {`,"kind":`, (*string)(&e.Kind)}, {`,"type":`, (*string)(&e.Type)}} {
		if rest, ok = bytes.CutPrefix(rest, []byte(f.key)); !ok {
			return false
		}
		if *f.dst, rest, ok = cutJSONString(rest); !ok {
			return false
		}
	}
	if rest, ok = bytes.CutPrefix(rest, []byte(`,"version":`)); !ok {
		return false
	}
	var v uint64
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' && n < 19 {
		v = v*10 + uint64(rest[n]-'0')
		n++
	}
	if n == 0 || n == len(rest) || rest[n] != ',' || (n > 1 && rest[0] == '0') {
		return false
	}
	e.Version = v
	// prev_hash cannot occur unescaped inside an earlier string value, and
	// data comes after it.
	i := bytes.Index(rest, []byte(`,"prev_hash":`))
	if i < 0 {
		return false
	}
	if e.PrevHash, rest, ok = cutJSONString(rest[i+len(`,"prev_hash":`):]); !ok {
		return false
	}
	return bytes.HasPrefix(rest, []byte(`,"data":`)) && len(rest) > len(`,"data":`) && b[len(b)-1] == '}'
}

// cutJSONString reads a JSON string without escapes at the start of b.
func cutJSONString(b []byte) (string, []byte, bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", nil, false
	}
	end := bytes.IndexByte(b[1:], '"')
	if end < 0 || bytes.IndexByte(b[1:1+end], '\\') >= 0 {
		return "", nil, false
	}
	return string(b[1 : 1+end]), b[2+end:], true
}
