package events

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// The write side's state snapshot lets a restart skip decoding and
// evolving the whole log: it holds every aggregate's state (with the
// kind-specific facts Decide needs), each stream's positions and the
// idempotency and token indexes at one position, and the Merkle root of the
// log up to there. A start with a snapshot still reads every event and
// hashes it into the tree (that is cheap: no decoding), and uses the
// snapshot only if the tree's root at its position is the root it names:
// then the states were made from exactly these events, which were checked
// when they were first replayed. Otherwise, or if the snapshot's signature
// fails, the ledger replays the whole log as without one, and an altered
// log is reported as before.
//
// The snapshot is signed with the checkpoint key, in a signed note naming
// the origin, the position, the root, the SHA-256 of the encoded state and
// its length:
// a snapshot changed in the store, or made by another ledger, is not used.
// The object is the note's length (4 bytes, big endian), the note, then the
// signed body: a head (gob), then frames, each a uvarint length and that
// many bytes: the states in chunks in the compact form (codec.go), which a
// start decodes on every core, then the idempotency keys in blobs.

// SnapshotStore keeps one snapshot (events/jetstream keeps it in an object
// store beside the log).
type SnapshotStore interface {
	// LoadSnapshot opens the latest snapshot; ErrNotFound if none.
	LoadSnapshot(ctx context.Context) (io.ReadCloser, error)
	// SaveSnapshot replaces the snapshot with what r yields.
	SaveSnapshot(ctx context.Context, r io.Reader) error
}

const (
	stateSnapshotFormat = 8 // 2: frames in the compact form, not one gob stream; 3: a petition's extensions; 4: a party's corrected kind; 5: a petition's second-instance body; 6: the dates of a record's steps (State.days); 7: more of them, -1 for a corrected one, and a supervision's open document requests (a format-6 snapshot lacks them: its supervision facts no longer decode, and its dates would leave steps unchecked); 8: a document request's versions (every correction of it noted), its date kept through a correction of a correction (a format-7 state dropped them all)
	stateNoteTitle      = "sổ cái giám sát: write-side state snapshot v3"
	stateChunk          = 4096
	blobChunk           = 1 << 20
	maxStateSnapshot    = 1 << 34 // 16 GiB: far beyond a country's log
)

type stateHead struct {
	Format  int
	Origin  string
	Layout  string // stateLayout
	Size    uint64
	NStates int
	NKeys   int
}

// stateLayout names the layout of the encoded states.
var stateLayout = sync.OnceValue(func() string { return CompactLayout(reflect.TypeFor[[]stateRecord]()) })

// stateRecord is the encoded form of one State.
type stateRecord struct {
	Kind      Kind
	ID        string
	Status    Status
	Prev      Status
	Version   uint64
	LastHash  []byte
	LastPos   uint64
	Unit      string   `codec:"shared"`
	Parties   []string `codec:"shared"`
	Open      []string
	Positions []uint64
	Facts     factsRecord
	Class     Classification `codec:"shared"`
	// Days are State.days, nil if all are 0.
	Days []int32
}

// factsRecord holds kind-specific facts: which kind of facts, and their
// fields in a fixed order per kind (see encodeFacts).
type factsRecord struct {
	Of    string
	S     []string
	L     [][]string
	Flag1 bool
}

func encodeFacts(f any) (factsRecord, error) {
	switch f := f.(type) {
	case nil:
		return factsRecord{}, nil
	case unitFacts:
		return factsRecord{Of: "unit", S: []string{f.name, string(f.level), f.parent}, L: [][]string{f.successors, f.predecessors}}, nil
	case partyFacts:
		return factsRecord{Of: "party", S: []string{f.name, string(f.partyKind), f.superior}}, nil
	case tokenFacts:
		return factsRecord{Of: "token", S: []string{f.name, string(f.role), f.unit, f.party, f.secret, string(f.expires)}}, nil
	case recommendationFacts:
		return factsRecord{Of: "recommendation", S: []string{string(f.outcome)}}, nil
	case supervisionFacts:
		return factsRecord{Of: "supervision", S: []string{string(f.form), f.followUp}, L: [][]string{f.recs, f.requested}}, nil
	case critiqueFacts:
		return factsRecord{Of: "critique", S: []string{string(f.form)}, L: [][]string{f.points}, Flag1: f.consultation}, nil
	case petitionFacts:
		return factsRecord{Of: "petition", S: []string{string(f.kind), strconv.Itoa(f.extensions), f.secondTo}, Flag1: f.secondInstance}, nil
	case flagFacts:
		return factsRecord{Of: "flag", S: []string{f.code}}, nil
	}
	return factsRecord{}, fmt.Errorf("events: no snapshot encoding for facts of type %T", f)
}

// encodeDays returns a state's dates for its record: nil if none is set.
func encodeDays(days *[maxAnchors]int32) []int32 {
	for _, d := range days {
		if d != 0 {
			return slices.Clone(days[:])
		}
	}
	return nil
}

// factsFields is how many strings and lists each kind of facts holds.
var factsFields = map[string][2]int{"": {0, 0}, "unit": {3, 2}, "party": {3, 0}, "token": {6, 0}, "recommendation": {1, 0},
	"supervision": {2, 2}, "critique": {1, 1}, "petition": {3, 0}, "flag": {1, 0}}

func decodeFacts(r factsRecord) (any, error) {
	n, ok := factsFields[r.Of]
	if !ok || len(r.S) != n[0] || len(r.L) != n[1] {
		return nil, fmt.Errorf("events: the snapshot holds facts %q with %d and %d fields", r.Of, len(r.S), len(r.L))
	}
	s, l := r.S, r.L
	switch r.Of {
	case "unit":
		return unitFacts{name: s[0], level: UnitLevel(s[1]), parent: s[2], successors: l[0], predecessors: l[1]}, nil
	case "party":
		return partyFacts{name: s[0], partyKind: PartyKind(s[1]), superior: s[2]}, nil
	case "token":
		return tokenFacts{name: s[0], role: Role(s[1]), unit: s[2], party: s[3], secret: s[4], expires: Date(s[5])}, nil
	case "recommendation":
		return recommendationFacts{outcome: Outcome(s[0])}, nil
	case "supervision":
		return supervisionFacts{form: SupervisionForm(s[0]), followUp: s[1], recs: l[0], requested: l[1]}, nil
	case "critique":
		return critiqueFacts{form: CritiqueForm(s[0]), points: l[0], consultation: r.Flag1}, nil
	case "petition":
		n, err := strconv.Atoi(s[1])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("petition extensions %q", s[1])
		}
		return petitionFacts{kind: PetitionKind(s[0]), secondInstance: r.Flag1, extensions: n, secondTo: s[2]}, nil
	case "flag":
		return flagFacts{code: s[0]}, nil
	}
	return nil, nil
}

// stateCopy is what a snapshot is made of, copied at one position under the
// ledger's lock (states are values: the pointers stay valid).
type stateCopy struct {
	size      uint64
	states    []*State
	positions [][]uint64
	keys      []byte // (digest, position) pairs
	root      [32]byte
}

// copyState takes what a snapshot needs at the applied position, or, if
// the command path has evolved states past it (acknowledged appends the
// follower has not applied yet), reports how far ahead they are and copies
// nothing: a snapshot must hold the states as of its position exactly, or
// a start from it would take the events after it as applied without
// checking their chain.
func (l *Ledger) copyState() (c *stateCopy, ahead uint64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.acked > l.applied {
		return nil, l.acked
	}
	c = &stateCopy{size: l.applied, states: make([]*State, 0, len(l.states))}
	streams := slices.Sorted(maps.Keys(l.states)) // the map's keys: no names built to sort
	c.positions = make([][]uint64, len(streams))
	for i, stream := range streams {
		c.states = append(c.states, l.states[stream])
		ps := l.positions[stream]
		c.positions[i] = ps[:len(ps):len(ps)]
	}
	c.keys = make([]byte, 0, len(l.keys)*24)
	for d, pos := range l.keys {
		c.keys = append(c.keys, d[:]...)
		c.keys = binary.BigEndian.AppendUint64(c.keys, pos)
	}
	c.root, _ = l.tree.Root(c.size)
	return c, 0
}

// settledCopy copies the state at a moment when no state is ahead of the
// follower: it holds the command path back from evolving states (appends
// go on) while the follower applies what was acknowledged, for at most 2 s.
func (l *Ledger) settledCopy(ctx context.Context) (*stateCopy, error) {
	l.snapGate.Lock()
	defer l.snapGate.Unlock()
	c, ahead := l.copyState()
	if c != nil {
		return c, nil
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := l.WaitApplied(wctx, ahead); err != nil {
		return nil, fmt.Errorf("ledger: no state snapshot: the follower has not applied position %d, acknowledged already: %w", ahead, err)
	}
	if c, ahead = l.copyState(); c == nil {
		return nil, fmt.Errorf("ledger: no state snapshot: states ahead of the follower at %d", ahead)
	}
	return c, nil
}

// encode writes the snapshot: the signed note, then the body.
func (c *stateCopy) encode(w io.Writer, signer *CheckpointSigner, origin string) error {
	// The note names the body's hash, so the body is put together first:
	// in a Spool, which grows without copying, hashed as it is written.
	var body Spool
	hash := sha256.New()
	bw := io.MultiWriter(&body, hash)
	if err := gob.NewEncoder(bw).Encode(stateHead{Format: stateSnapshotFormat, Origin: origin, Layout: stateLayout(), Size: c.size,
		NStates: len(c.states), NKeys: len(c.keys) / 24}); err != nil {
		return err
	}
	var lenBuf []byte
	frame := func(b []byte) {
		lenBuf = binary.AppendUvarint(lenBuf[:0], uint64(len(b)))
		bw.Write(lenBuf) // a Spool and a hash do not fail
		bw.Write(b)
	}
	var buf []byte
	recs := make([]stateRecord, 0, stateChunk)
	for i := 0; i < len(c.states); i += stateChunk {
		j := min(i+stateChunk, len(c.states))
		recs = recs[:0]
		for k := i; k < j; k++ {
			st := c.states[k]
			f, err := encodeFacts(st.facts)
			if err != nil {
				return err
			}
			recs = append(recs, stateRecord{Kind: st.kind, ID: st.id, Status: st.status, Prev: st.prev, Version: st.version, LastHash: st.lastHash[:],
				LastPos: st.lastPos, Unit: st.unit, Parties: st.parties, Open: st.open, Positions: c.positions[k], Facts: f, Class: st.class, Days: encodeDays(&st.days)})
		}
		buf = AppendCompact(buf[:0], &recs)
		frame(buf)
	}
	for i := 0; i < len(c.keys); i += blobChunk {
		frame(c.keys[i:min(i+blobChunk, len(c.keys))])
	}
	var sum [32]byte
	hash.Sum(sum[:0])
	return sealState(w, &body, sum, signer, origin, c.size, c.root)
}

// sealState writes a snapshot's signed note, naming the body's hash (sum)
// and length, and then the body.
func sealState(w io.Writer, body *Spool, sum [32]byte, signer *CheckpointSigner, origin string, size uint64, root [32]byte) error {
	text := fmt.Sprintf("%s\n%s\n%d\n%s\n%s\n%d\n", stateNoteTitle, origin, size, hex.EncodeToString(root[:]), hex.EncodeToString(sum[:]), body.Len())
	signed, err := note.Sign(&note.Note{Text: text}, signer.signer)
	if err != nil {
		return err
	}
	if err := binary.Write(w, binary.BigEndian, uint32(len(signed))); err != nil {
		return err
	}
	if _, err := w.Write(signed); err != nil {
		return err
	}
	_, err = body.WriteTo(w)
	return err
}

// loadedState is a decoded snapshot, not yet installed.
type loadedState struct {
	size      uint64
	states    map[string]*State
	positions map[string][]uint64
	keys      map[keyDigest]uint64
	tokens    map[string]string
	takers    map[string][]string
	root      [32]byte
}

// decodeState reads a snapshot written by encode, checking its signature
// with vkey, its origin and the hash of its content.
func decodeState(r io.Reader, vkey, origin string) (*loadedState, error) {
	var n uint32
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return nil, fmt.Errorf("reading the note's length: %w", err)
	}
	if n > 1<<16 {
		return nil, fmt.Errorf("a note of %d bytes", n)
	}
	signed := make([]byte, n)
	if _, err := io.ReadFull(r, signed); err != nil {
		return nil, fmt.Errorf("reading the note: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	msg, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return nil, fmt.Errorf("the snapshot's signature does not verify with this ledger's key: %w", err)
	}
	lines := strings.Split(msg.Text, "\n")
	if len(lines) != 7 || lines[0] != stateNoteTitle || lines[1] != origin {
		return nil, fmt.Errorf("the snapshot is of another format or log (%q)", lines[0])
	}
	size, err := strconv.ParseUint(lines[2], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("the snapshot's note names size %q", lines[2])
	}
	root, err := hex.DecodeString(lines[3])
	if err != nil || len(root) != 32 {
		return nil, fmt.Errorf("the snapshot's note names root %q", lines[3])
	}
	length, err := strconv.ParseUint(lines[5], 10, 64)
	if err != nil || length > maxStateSnapshot {
		return nil, fmt.Errorf("the snapshot's note names length %q", lines[5])
	}
	// The content is read to the signed length and checked against the
	// signed hash before any of it is decoded: counts and sizes in it are
	// then the ledger's own, and bytes appended to it are not read.
	body := make([]byte, length)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, fmt.Errorf("reading the snapshot: %w", err)
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != lines[4] {
		return nil, errors.New("the snapshot's content does not match the hash its note signs")
	}
	br := bytes.NewReader(body)
	var head stateHead
	if err := gob.NewDecoder(br).Decode(&head); err != nil { // reads no further than the head
		return nil, err
	}
	if head.Format != stateSnapshotFormat || head.Origin != origin || head.Layout != stateLayout() || head.Size != size || head.NStates < 0 || head.NKeys < 0 ||
		head.NStates > len(body) || head.NKeys > len(body)/24 {
		return nil, fmt.Errorf("the snapshot's head (format %d, size %d) does not match its note", head.Format, head.Size)
	}
	// The frames lie in the body, already checked against the signed
	// hash: the chunks of states are decoded on every core, then taken in
	// order.
	rest := body[len(body)-br.Len():]
	nextFrame := func() ([]byte, error) {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > uint64(len(rest)-w) {
			return nil, errors.New("the snapshot's frames do not add up")
		}
		b := rest[w : w+int(n)]
		rest = rest[w+int(n):]
		return b, nil
	}
	chunks := make([][]byte, (head.NStates+stateChunk-1)/stateChunk)
	for i := range chunks {
		b, err := nextFrame()
		if err != nil {
			return nil, err
		}
		chunks[i] = b
	}
	// Each core decodes chunks into one slice of records, used again, and
	// makes their states; they are then taken in order. (A slice of
	// records per chunk was 67 MB of garbage at a million events.)
	type chunkStates struct {
		states    []*State
		streams   []string
		positions [][]uint64
		err       error
	}
	decoded := make([]chunkStates, len(chunks))
	ParallelWith(len(chunks), func(recs *[]stateRecord, i int) {
		out := &decoded[i]
		if out.err = DecodeCompact(chunks[i], recs); out.err != nil {
			out.err = fmt.Errorf("the snapshot's states: %w", out.err)
			return
		}
		if len(*recs) != min(stateChunk, head.NStates-i*stateChunk) {
			out.err = errors.New("the snapshot holds more or fewer states than its head says")
			return
		}
		n := len(*recs)
		out.states, out.streams, out.positions = make([]*State, n), make([]string, n), make([][]uint64, n)
		for j, rec := range *recs {
			facts, err := decodeFacts(rec.Facts)
			if err != nil {
				out.err = err
				return
			}
			st := &State{kind: rec.Kind, id: rec.ID, status: rec.Status, prev: rec.Prev, version: rec.Version, lastPos: rec.LastPos,
				unit: rec.Unit, parties: rec.Parties, open: rec.Open, facts: facts, class: rec.Class}
			if len(rec.Days) > len(st.days) {
				out.err = fmt.Errorf("the snapshot holds %d dates for %s", len(rec.Days), st.Stream())
				return
			}
			copy(st.days[:], rec.Days)
			// Every state is as of the snapshot's position (copyState
			// waits for the follower): a state ahead of it would make the
			// replay after the snapshot take events as applied unchecked.
			stream := st.Stream()
			if len(rec.LastHash) != len(st.lastHash) || !ValidStream(stream) || uint64(len(rec.Positions)) != rec.Version ||
				!validPositions(rec.Positions, rec.LastPos, size) {
				out.err = fmt.Errorf("the snapshot holds a damaged state for %s", stream)
				return
			}
			copy(st.lastHash[:], rec.LastHash)
			out.states[j], out.streams[j], out.positions[j] = st, stream, rec.Positions
		}
	})
	ls := &loadedState{size: size, states: make(map[string]*State, head.NStates), positions: make(map[string][]uint64, head.NStates),
		keys: make(map[keyDigest]uint64, head.NKeys), tokens: map[string]string{}, takers: map[string][]string{}, root: [32]byte(root)}
	for i := range decoded {
		if decoded[i].err != nil {
			return nil, decoded[i].err
		}
		for j, st := range decoded[i].states {
			stream := decoded[i].streams[j]
			if _, dup := ls.states[stream]; dup {
				return nil, fmt.Errorf("the snapshot holds %s twice", stream)
			}
			ls.states[stream] = st
			ls.positions[stream] = decoded[i].positions[j]
			if tf, ok := st.facts.(tokenFacts); ok && tf.secret != "" {
				ls.tokens[tf.secret] = st.id
			}
			if uf, ok := st.facts.(unitFacts); ok {
				for _, pre := range uf.predecessors {
					if !slices.Contains(ls.takers[pre], st.id) {
						ls.takers[pre] = append(ls.takers[pre], st.id)
					}
				}
			}
		}
		decoded[i] = chunkStates{}
	}
	keys := make([]byte, 0, head.NKeys*24)
	for len(keys) < head.NKeys*24 {
		b, err := nextFrame()
		if err != nil {
			return nil, err
		}
		if len(b) == 0 || len(keys)+len(b) > head.NKeys*24 {
			return nil, errors.New("the snapshot's blobs do not add up")
		}
		keys = append(keys, b...)
	}
	if len(rest) != 0 {
		return nil, errors.New("the snapshot holds bytes after its keys")
	}
	for i := 0; i < len(keys); i += 24 {
		pos := binary.BigEndian.Uint64(keys[i+16:])
		if pos == 0 || pos > size {
			return nil, fmt.Errorf("the snapshot holds an idempotency key at position %d, past its own %d", pos, size)
		}
		ls.keys[keyDigest(keys[i:i+16])] = pos
	}
	return ls, nil
}

// validPositions reports whether a stream's positions rise, end at last
// and lie within the first size positions of the log.
func validPositions(ps []uint64, last, size uint64) bool {
	var prev uint64
	for _, p := range ps {
		if p <= prev {
			return false
		}
		prev = p
	}
	return prev == last && last <= size
}

// loadSnapshot installs the latest usable snapshot and returns its
// position, or returns 0 and leaves the ledger empty (the caller then
// replays the whole log). With a snapshot, it reads the whole log up to head
// meanwhile, hashing every event into the tree; the snapshot is used only
// if the tree's root at its position is the root it names.
func (l *Ledger) loadSnapshot(ctx context.Context, head uint64) uint64 {
	if l.Snapshots == nil || head == 0 {
		return 0
	}
	start := time.Now()
	// A deadline of its own: without one the object store gives each API
	// call and each read 5 s, which a server still recovering its streams
	// after a restart can exceed.
	sctx, scancel := context.WithTimeout(ctx, time.Minute)
	defer scancel()
	rc, err := l.Snapshots.LoadSnapshot(sctx)
	if errors.Is(err, ErrNotFound) {
		return 0
	}
	if err != nil {
		l.Logger.Warn("the state snapshot cannot be read; replaying the whole log", "err", err)
		return 0
	}
	defer rc.Close()
	// The log's leaves are hashed into a tree while the snapshot is
	// decoded (at a million events, a list of the leaves first was 32 MB
	// of garbage and a second pass over them).
	type treeResult struct {
		tree *Tree
		err  error
	}
	treeCh := make(chan treeResult, 1)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		var tree *Tree
		var n uint64
		next := func(pos uint64, leaf [32]byte) error {
			if pos != n+1 {
				return fmt.Errorf("position %d follows %d", pos, n)
			}
			tree.Append(leaf)
			n++
			return nil
		}
		if l.LeafReader != nil {
			tree = &Tree{}
			err := l.LeafReader(lctx, 1, next)
			if (err == nil && n >= head) || lctx.Err() != nil {
				treeCh <- treeResult{tree, err} // done, or no longer wanted
				return
			}
			l.Logger.Info("the store's files could not be read to check the state snapshot; reading the store", "err", err, "read", n)
		}
		tree, n = &Tree{}, 0
		err := readOrdered(lctx, l.Store.ReadLog, 1, 0, func(pr *preparedRecord) { pr.leaf = LeafHash(pr.rec.Raw); pr.rec.Raw = nil },
			func(pr *preparedRecord) error { return next(pr.rec.Position, pr.leaf) },
			func(r Record) preparedRecord { return preparedRecord{rec: r} })
		treeCh <- treeResult{tree, err}
	}()
	ls, err := decodeState(rc, l.Signer.VerifierKey(), l.Origin)
	decoded := time.Since(start)
	if err == nil && ls.size > head {
		err = fmt.Errorf("the snapshot is at position %d but the log ends at %d", ls.size, head)
	}
	if err != nil {
		l.Logger.Warn("the state snapshot is not used; replaying the whole log", "reason", err)
		return 0
	}
	tr := <-treeCh
	read := time.Since(start)
	if tr.err == nil && tr.tree.Size() < ls.size {
		tr.err = fmt.Errorf("the log ends at %d", tr.tree.Size())
	}
	if tr.err != nil {
		l.Logger.Warn("the log could not be read to check the state snapshot; replaying the whole log", "err", tr.err)
		return 0
	}
	tree := tr.tree
	if tree.Size() > ls.size {
		// The log goes on past the snapshot (a crash since it was saved):
		// the tree kept is the snapshot's, and the replay appends the rest.
		tree.truncate(ls.size)
	}
	if root, _ := tree.Root(ls.size); root != ls.root {
		l.Logger.Warn("the log does not match the state snapshot's root; replaying the whole log", "position", ls.size)
		return 0
	}
	l.mu.Lock()
	l.states, l.positions, l.keys, l.tokens, l.takers, l.applied = ls.states, ls.positions, ls.keys, ls.tokens, ls.takers, ls.size
	l.tree.levels = tree.levels
	l.mu.Unlock()
	l.Logger.Info("state snapshot loaded", "position", ls.size, "streams", len(ls.states), "decoded_in", decoded.Round(time.Millisecond),
		"log_hashed_in", read.Round(time.Millisecond), "took", time.Since(start).Round(time.Millisecond))
	return ls.size
}

// SaveSnapshot writes a snapshot of the write side's state at the position
// applied now, unless one at that position was saved already. The ledger
// saves one every SnapshotEvery and when it closes.
func (l *Ledger) SaveSnapshot(ctx context.Context) error { return l.saveSnapshot(ctx, true) }

// saveSnapshot is SaveSnapshot; without wait, states ahead of the
// follower skip the snapshot at once (Close: the follower has stopped).
func (l *Ledger) saveSnapshot(ctx context.Context, wait bool) error {
	if l.Snapshots == nil || l.followErr.Load() != nil {
		return nil
	}
	l.snapMu.Lock()
	defer l.snapMu.Unlock()
	var c *stateCopy
	if wait {
		var err error
		if c, err = l.settledCopy(ctx); err != nil {
			return err
		}
	} else {
		var ahead uint64
		if c, ahead = l.copyState(); c == nil {
			l.Logger.Info("the last state snapshot is skipped: writes were acknowledged after the follower stopped; the next start uses the previous one",
				"applied", l.Size(), "acknowledged", ahead)
			return nil
		}
	}
	if c.size == l.snapSaved || c.size == 0 {
		return nil
	}
	buf := NewSnapshotSpool(l.Snapshots)
	defer buf.Close()
	if err := c.encode(buf, l.Signer, l.Origin); err != nil {
		return fmt.Errorf("ledger: encoding the state snapshot: %w", err)
	}
	if err := buf.Save(ctx); err != nil {
		return fmt.Errorf("ledger: saving the state snapshot: %w", err)
	}
	l.snapSaved = c.size
	return nil
}
