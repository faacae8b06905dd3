package events

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	"golang.org/x/mod/sumdb/note"
)

// BundleFormat names the proof bundle format. v2 added the signed
// statement; a v1 bundle (without it) is refused: fetch it again.
const BundleFormat = "so-cai-giam-sat/bundle/v2"

// Bundle is a self-contained proof of an accountability trail: the events
// the trail cites, byte for byte as stored, each with an inclusion proof
// against one signed checkpoint. Anyone holding the ledger's verifier key
// can check it offline (VerifyBundle, `ledger verify --bundle`): that each
// event is in the log at its position, unaltered, and that every event the
// trail cites is in the bundle.
type Bundle struct {
	Format string `json:"format"`
	Origin string `json:"origin"`
	// Checkpoint is the signed checkpoint note (C2SP tlog-checkpoint).
	Checkpoint string `json:"checkpoint"`
	TreeSize   uint64 `json:"tree_size"`
	// Subject names what the bundle proves, such as "party/ubnd-21607".
	Subject string `json:"subject"`
	// Trail is the accountability trail as the API serves it; its
	// "events" list names each cited position and hash.
	Trail  json.RawMessage `json:"trail"`
	Events []BundleEvent   `json:"events"`
	// Statement is a note signed with the checkpoint key whose text is
	// BundleStatement: it binds the trail (as canonicalJSON) and the list
	// of events (positions, leaf hashes, which are withheld) to the
	// ledger, so that no claim of the trail can be changed, and no event
	// dropped or marked withheld, without breaking it.
	Statement string `json:"statement"`
}

// BundleStatement is the text the ledger signs for a bundle: its origin,
// the format, the subject, the tree size, and the base64 SHA-256 of the
// trail (canonicalJSON) followed by, for each event in order, its
// position (8 bytes, big-endian), 1 if withheld else 0, and its Merkle
// leaf hash.
func BundleStatement(b *Bundle) string {
	h := sha256.New()
	h.Write(canonicalJSON(b.Trail))
	for _, e := range b.Events {
		var rec [41]byte
		binary.BigEndian.PutUint64(rec[:8], e.Position)
		leaf := e.LeafHash
		if !e.Redacted {
			l := LeafHash(e.Raw)
			leaf = l[:]
		} else {
			rec[8] = 1
		}
		copy(rec[9:], leaf)
		h.Write(rec[:])
	}
	return fmt.Sprintf("%s\nbundle %s\n%s\n%d\n%s\n", b.Origin, b.Format, b.Subject, b.TreeSize, base64.StdEncoding.EncodeToString(h.Sum(nil)))
}

// BundleEvent is one stored event and its inclusion proof.
type BundleEvent struct {
	Position uint64 `json:"position"`
	Hash     string `json:"hash"`
	// Raw is the stored event (standard base64 in JSON: the exact bytes
	// that are hashed).
	Raw []byte `json:"raw,omitempty"`
	// Redacted marks an event withheld from the bundle's reader (one that
	// names a citizen, say): instead of Raw it has LeafHash, its Merkle
	// leaf hash (RFC 6962), so that its place in the signed log is proved
	// but not its content, nor the hash and type the trail gives it.
	Redacted bool     `json:"redacted,omitempty"`
	LeafHash []byte   `json:"leaf_hash,omitempty"`
	Proof    [][]byte `json:"inclusion_proof"`
}

// BundleReport is what VerifyBundle checked.
type BundleReport struct {
	Origin   string
	TreeSize uint64
	// Root is the tree's root hash the checkpoint signs.
	Root    [32]byte
	Subject string
	Events  int
	Cited   int
	// Withheld counts the events withheld from the bundle's reader:
	// their inclusion is proved, their content is not there to check.
	Withheld int
	// TrailAt is the log position the trail was computed at (signed with
	// it; 0 in bundles made before it was given), EvaluatedOn the date
	// its deadlines were evaluated at.
	TrailAt     uint64
	EvaluatedOn Date
}

// VerifyBundle checks a bundle with nothing but the verifier key: the
// checkpoint's signature, the signed statement (BundleStatement), each
// event's hash and inclusion in the checkpoint's tree at its position (of
// a withheld event, the inclusion of its leaf hash only), that the bundle
// holds exactly the events the trail cites (each once, with the same hash
// and type), that every obligation and flag of the trail cites only
// those, and that the trail is of the party the bundle names. Errors have
// code invalid and say what failed.
func VerifyBundle(data []byte, vkey string) (rep *BundleReport, err error) {
	var b Bundle
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, Errorf(EInvalid, "The bundle is not a %s JSON document: %v.", BundleFormat, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(EInvalid, "The bundle has more after its JSON document.")
	}
	// A key given twice (the trail is signed as it reads with the last of
	// them) would let a reader who takes the first see another trail than
	// the one verified.
	if path, dup := DuplicateKey(data); dup {
		return nil, Errorf(EInvalid, "The bundle gives %s twice: a bundle the ledger wrote never does.", path)
	}
	if b.Format != BundleFormat {
		return nil, Errorf(EInvalid, "The bundle's format is %q, want %q.", b.Format, BundleFormat)
	}
	cp, err := OpenCheckpoint([]byte(b.Checkpoint), vkey, "") // the key's own origin
	if err != nil {
		return nil, err
	}
	if b.Origin != cp.Origin {
		return nil, Errorf(EInvalid, "The bundle says origin %q but its checkpoint names %q.", b.Origin, cp.Origin)
	}
	// The statement last: what it binds is checked first, so a bundle
	// altered in an event says so.
	defer func() {
		if err == nil {
			if serr := checkStatement(&b, vkey); serr != nil {
				rep, err = nil, serr
			}
		}
	}()
	if cp.Size != b.TreeSize {
		return nil, Errorf(EInvalid, "The bundle says tree size %d but its checkpoint signs size %d.", b.TreeSize, cp.Size)
	}
	byPos := map[uint64]*BundleEvent{}
	withheld := 0
	for i := range b.Events {
		e := &b.Events[i]
		if e.Position == 0 || e.Position > cp.Size {
			return nil, Errorf(EInvalid, "Position %d is outside the checkpoint's tree of %d events.", e.Position, cp.Size)
		}
		var leaf [32]byte
		switch {
		case e.Redacted && len(e.Raw) == 0 && len(e.LeafHash) == len(leaf):
			copy(leaf[:], e.LeafHash)
			withheld++
		case e.Redacted:
			return nil, Errorf(EInvalid, "The withheld event at position %d needs its 32-byte leaf hash and no content.", e.Position)
		case len(e.LeafHash) != 0:
			return nil, Errorf(EInvalid, "The event at position %d has a leaf hash but is not marked withheld.", e.Position)
		default:
			if h := HashOf(e.Raw); h.String() != e.Hash {
				return nil, Errorf(EInvalid, "The event at position %d hashes to %s, not %s: it was altered.", e.Position, h, e.Hash)
			}
			leaf = LeafHash(e.Raw)
		}
		if err := VerifyInclusion(e.Position-1, cp.Size, leaf, e.Proof, cp.Root); err != nil {
			return nil, Errorf(EInvalid, "The event at position %d is not in the signed log at that position: %s", e.Position, ErrorMessage(err))
		}
		if byPos[e.Position] != nil {
			return nil, Errorf(EInvalid, "The bundle holds position %d twice.", e.Position)
		}
		byPos[e.Position] = e
	}
	type cites struct {
		Cites []struct {
			Position uint64 `json:"position"`
		} `json:"cites"`
	}
	var trail struct {
		Party    string `json:"party"`
		Position uint64 `json:"position"`
		Today    Date   `json:"evaluated_on"`
		Events   []struct {
			Position uint64 `json:"position"`
			Hash     string `json:"hash"`
			Type     Type   `json:"type"`
		} `json:"events"`
		Obligations []cites `json:"obligations"`
		Flags       []cites `json:"flags"`
	}
	if err := json.Unmarshal(b.Trail, &trail); err != nil {
		return nil, Errorf(EInvalid, "The bundle's trail is not valid JSON: %v.", err)
	}
	if b.Subject != StreamName(KindParty, trail.Party) {
		return nil, Errorf(EInvalid, "The bundle says it is for %s, but its trail is of party %q.", b.Subject, trail.Party)
	}
	if trail.Position > cp.Size {
		return nil, Errorf(EInvalid, "The trail says it was computed at position %d, beyond the checkpoint's %d events.", trail.Position, cp.Size)
	}
	named := map[uint64]bool{}
	for _, c := range trail.Events {
		if named[c.Position] {
			return nil, Errorf(EInvalid, "The trail names position %d twice.", c.Position)
		}
		named[c.Position] = true
	}
	for _, part := range []struct {
		what string
		list []cites
	}{{"obligation", trail.Obligations}, {"flag", trail.Flags}} {
		for i, o := range part.list {
			for _, c := range o.Cites {
				if !named[c.Position] {
					return nil, Errorf(EInvalid, "The trail's %s %d cites position %d, which its list of events does not name.", part.what, i+1, c.Position)
				}
			}
		}
	}
	for _, c := range trail.Events {
		if trail.Position > 0 && c.Position > trail.Position {
			return nil, Errorf(EInvalid, "The trail, computed at position %d, cites position %d after it.", trail.Position, c.Position)
		}
		e := byPos[c.Position]
		if e == nil {
			return nil, Errorf(EInvalid, "The trail cites position %d, which is not in the bundle.", c.Position)
		}
		if e.Redacted {
			continue // its hash and type are the trail's word
		}
		if e.Hash != c.Hash {
			return nil, Errorf(EInvalid, "The trail cites position %d with hash %s, but the event there hashes to %s.", c.Position, c.Hash, e.Hash)
		}
		if c.Type != "" {
			env, err := UnmarshalEnvelope(e.Raw)
			if err != nil || env.Type != c.Type {
				return nil, Errorf(EInvalid, "The trail cites position %d as %s, but the event there is %s.", c.Position, c.Type, env.Type)
			}
		}
	}
	if len(b.Events) != len(trail.Events) {
		// Each cited event is in the bundle, once: the others are not cited.
		return nil, Errorf(EInvalid, "The bundle holds %d events, but its trail cites %d.", len(b.Events), len(trail.Events))
	}
	return &BundleReport{Origin: cp.Origin, TreeSize: cp.Size, Root: cp.Root, Subject: b.Subject, Events: len(b.Events), Cited: len(trail.Events), Withheld: withheld,
		TrailAt: trail.Position, EvaluatedOn: trail.Today}, nil
}

// canonicalJSON is b decoded and encoded again by encoding/json (object
// keys sorted, no spaces, its escaping, numbers as written): a file passed
// through a tool that re-indents it or writes "&" for "\u0026" (jq, say)
// still verifies, a changed value does not. b as it is if it is not JSON.
func canonicalJSON(b []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b
	}
	return out
}

// checkStatement checks the bundle's signed statement: signed by the key,
// and saying what the bundle holds.
func checkStatement(b *Bundle, vkey string) error {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Errorf(EInvalid, "Malformed verifier key: %v.", err)
	}
	if b.Statement == "" {
		return Errorf(EInvalid, "The bundle has no signed statement of its trail.")
	}
	n, err := note.Open([]byte(b.Statement), note.VerifierList(v))
	if err != nil {
		return Errorf(EInvalid, "The bundle's statement is not signed by key %s+%08x: %v.", v.Name(), v.KeyHash(), err)
	}
	if n.Text != BundleStatement(b) {
		return Errorf(EInvalid, "The bundle's signed statement does not match its trail and events: they were altered after the ledger served them.")
	}
	return nil
}

// BundleAgainst checks that the log a bundle's checkpoint signs (rep, as
// VerifyBundle made it) is a prefix of the log latest signs, a checkpoint
// of the same ledger taken later (verified with vkey), by proof, the
// consistency proof from the bundle's tree to latest's: that the history
// the bundle proves was not rewritten or cut back since. It returns
// latest's tree size.
func BundleAgainst(rep *BundleReport, latest []byte, vkey string, proof [][]byte) (uint64, error) {
	cp, err := OpenCheckpoint(latest, vkey, rep.Origin)
	if err != nil {
		return 0, err
	}
	switch {
	case cp.Size < rep.TreeSize:
		return cp.Size, Errorf(EInvalid, "The ledger's latest checkpoint signs %d events, fewer than the bundle's %d: the server that answered has not caught up (a replica behind: ask again later), or the log was cut back or replaced since the bundle was made.", cp.Size, rep.TreeSize)
	case cp.Size == rep.TreeSize && cp.Root != rep.Root:
		return cp.Size, Errorf(EInvalid, "The ledger's latest checkpoint signs another tree of the bundle's %d events: its log was rewritten since the bundle was made.", cp.Size)
	case cp.Size > rep.TreeSize:
		if err := VerifyConsistency(rep.TreeSize, cp.Size, proof, rep.Root, cp.Root); err != nil {
			return cp.Size, Errorf(EInvalid, "The ledger's latest checkpoint (%d events) is not consistent with the bundle's (%d events): its log was rewritten since the bundle was made (%v).", cp.Size, rep.TreeSize, err)
		}
	}
	return cp.Size, nil
}

// String summarises the report.
func (r *BundleReport) String() string {
	s := fmt.Sprintf("bundle for %s: %d events, all in the log %s of %d events at their positions, unaltered; the trail's %d cited events are all among them, and the trail is as the ledger signed it",
		r.Subject, r.Events, r.Origin, r.TreeSize, r.Cited)
	if r.Withheld > 0 {
		s += fmt.Sprintf("; %d of them withheld from the bundle's reader (their place in the log proved, not their content)", r.Withheld)
	}
	if r.TrailAt > 0 {
		s += fmt.Sprintf("; the trail shows the history as of position %d, evaluated on %s", r.TrailAt, r.EvaluatedOn)
	}
	return s
}
