package events

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoints follow C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint):
// a note body of three lines, origin, tree size and base64 root hash, signed
// as a C2SP signed note (https://c2sp.org/signed-note) with Ed25519. Any
// verifier of that format, such as golang.org/x/mod/sumdb/note, can check the
// ledger's checkpoints with nothing but its verifier key.
//
// By convention the signing key's name is the log's origin, for example
// "so-cai-giam-sat.example/ledger", as the specification recommends: a
// signature line then names the log it vouches for, and CheckpointSigner
// refuses to sign a checkpoint of another origin.

// Checkpoint is a signed commitment to the state of the Merkle log: the
// first Size leaves of the log named Origin have the RFC 6962 root Root.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   [32]byte
}

// Body returns the checkpoint's note text: origin, decimal size and standard
// base64 root, each followed by a newline. It is the exact text that is
// signed. Body does not validate c; Sign does.
func (c Checkpoint) Body() []byte {
	b := make([]byte, 0, len(c.Origin)+1+20+1+44+1)
	b = append(b, c.Origin...)
	b = append(b, '\n')
	b = strconv.AppendUint(b, c.Size, 10)
	b = append(b, '\n')
	b = base64.StdEncoding.AppendEncode(b, c.Root[:])
	b = append(b, '\n')
	return b
}

// ParseCheckpoint parses a checkpoint's note text strictly: a non-empty
// origin, a decimal size without leading zeros, a root of exactly 32 bytes in
// padded standard base64, and a final newline. Extension lines after the root
// are allowed by the specification; they must be non-empty and are ignored.
// Returns an *Error with code invalid for anything else.
func ParseCheckpoint(body []byte) (Checkpoint, error) {
	if err := checkNoteText(body); err != nil {
		return Checkpoint{}, err
	}
	text, ok := strings.CutSuffix(string(body), "\n")
	if !ok {
		return Checkpoint{}, Errorf(EInvalid, "Malformed checkpoint: it does not end with a newline.")
	}
	lines := strings.Split(text, "\n")
	if len(lines) < 3 {
		return Checkpoint{}, Errorf(EInvalid, "Malformed checkpoint: %d lines, want at least 3.", len(lines))
	}
	if lines[0] == "" {
		return Checkpoint{}, Errorf(EInvalid, "Malformed checkpoint: empty origin.")
	}
	size, err := parseTreeSize(lines[1])
	if err != nil {
		return Checkpoint{}, err
	}
	root, err := parseRootHash(lines[2])
	if err != nil {
		return Checkpoint{}, err
	}
	for _, ext := range lines[3:] {
		if ext == "" {
			return Checkpoint{}, Errorf(EInvalid, "Malformed checkpoint: empty extension line.")
		}
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: root}, nil
}

// checkNoteText rejects what a signed note may not contain: invalid UTF-8
// and control characters other than newline.
func checkNoteText(b []byte) error {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			return Errorf(EInvalid, "Malformed checkpoint: not valid UTF-8.")
		}
		if r < 0x20 && r != '\n' {
			return Errorf(EInvalid, "Malformed checkpoint: control character %U.", r)
		}
		b = b[n:]
	}
	return nil
}

// parseTreeSize parses the size line: ASCII digits with no leading zero
// unless the size is 0, fitting in a uint64.
func parseTreeSize(s string) (uint64, error) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" || len(s) > 1 && s[0] == '0' {
		return 0, Errorf(EInvalid, "Malformed checkpoint: tree size %q is not a canonical decimal number.", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, Errorf(EInvalid, "Malformed checkpoint: tree size %q is out of range.", s)
	}
	return n, nil
}

// parseRootHash parses the root line. The decoder tolerates carriage returns
// and non-zero padding bits, so the line is also compared with the canonical
// encoding: one root has exactly one accepted text.
func parseRootHash(s string) ([32]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 32 || base64.StdEncoding.EncodeToString(b) != s {
		return [32]byte{}, Errorf(EInvalid, "Malformed checkpoint: root hash %q is not 32 bytes in standard base64.", s)
	}
	return [32]byte(b), nil
}

// GenerateCheckpointKey returns a new Ed25519 signing key and its verifier
// key, in the text forms of golang.org/x/mod/sumdb/note:
// "PRIVATE+KEY+<name>+<hash>+<base64>" and "<name>+<hash>+<base64>". The name
// should be the log's origin. The signing key is a secret; the verifier key is
// published. Returns an *Error with code invalid if name is empty or holds
// spaces, control characters or "+".
func GenerateCheckpointKey(name string) (skey, vkey string, err error) {
	if !ValidOrigin(name) {
		return "", "", Errorf(EInvalid, "Invalid key name %q: it must be non-empty, without spaces, control characters or \"+\".", name)
	}
	skey, vkey, err = note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", "", fmt.Errorf("events: generate checkpoint key: %w", err)
	}
	return skey, vkey, nil
}

// ValidOrigin reports whether name may name a log: the name of its
// checkpoint key and its checkpoints' origin. It mirrors the note
// package's rule for key names, which note.GenerateKey does not check, and
// also refuses control characters, which a note's text may not hold.
func ValidOrigin(name string) bool {
	return name != "" && utf8.ValidString(name) && !strings.Contains(name, "+") &&
		strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

// CheckpointSigner signs checkpoints with an Ed25519 note key. It is safe for
// concurrent use.
type CheckpointSigner struct {
	signer note.Signer
	vkey   string
}

// NewCheckpointSigner returns a signer for the signing key skey, as made by
// GenerateCheckpointKey. Returns an *Error with code invalid if skey is not a
// well-formed Ed25519 note signing key.
func NewCheckpointSigner(skey string) (*CheckpointSigner, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		// note's errors never quote the key, so they are safe to show.
		return nil, Errorf(EInvalid, "Malformed checkpoint signing key: %v.", err)
	}
	// note.Signer does not expose its public key. NewSigner has checked the
	// form "PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>" and that the
	// hash matches the public key, so the seed can be read back safely. The
	// base64 alphabet contains "+", hence SplitN.
	parts := strings.SplitN(skey, "+", 5)
	key, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(key) != 1+ed25519.SeedSize {
		return nil, Errorf(EInvalid, "Malformed checkpoint signing key.")
	}
	pub := ed25519.NewKeyFromSeed(key[1:]).Public().(ed25519.PublicKey)
	vkey, err := note.NewEd25519VerifierKey(s.Name(), pub)
	if err != nil {
		return nil, fmt.Errorf("events: checkpoint verifier key: %w", err)
	}
	return &CheckpointSigner{signer: s, vkey: vkey}, nil
}

// Name returns the key's name, which by convention is the log's origin.
func (s *CheckpointSigner) Name() string { return s.signer.Name() }

// VerifierKey returns the public verifier key in note text form,
// "<name>+<hash>+<base64(0x01 || public key)>": what the API serves and the
// CLI prints so that anyone can check checkpoints.
func (s *CheckpointSigner) VerifierKey() string { return s.vkey }

// KeyID names the key as signatures do: "name+hash" (the hash in hex).
func (s *CheckpointSigner) KeyID() string {
	v, err := note.NewVerifier(s.vkey)
	if err != nil {
		return s.Name()
	}
	return fmt.Sprintf("%s+%08x", v.Name(), v.KeyHash())
}

// Sign returns c as a signed note: its Body, a blank line and one signature
// line. This text is what the API serves. Returns an *Error with code invalid
// if c is not a valid checkpoint or its origin is not the key's name.
func (s *CheckpointSigner) Sign(c Checkpoint) ([]byte, error) {
	if c.Origin != s.Name() {
		return nil, Errorf(EInvalid, "Checkpoint origin %q is not the signing key's name %q.", c.Origin, s.Name())
	}
	body := c.Body()
	// Re-parsing catches an origin that would change the note's lines.
	if _, err := ParseCheckpoint(body); err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: string(body)}, s.signer)
	if err != nil {
		return nil, fmt.Errorf("events: sign checkpoint: %w", err)
	}
	return msg, nil
}

// NoteText returns the text of a signed note: everything before the blank
// line that starts its signatures (all of it if there is none).
func NoteText(note []byte) []byte {
	if i := bytes.Index(note, []byte("\n\n")); i >= 0 {
		return note[:i+1]
	}
	return note
}

// SignStatement signs a bundle's statement (BundleStatement) with the
// checkpoint key: the ledger's word that the bundle's trail and events are
// as it served them. Its second line is not a tree size, so it is never
// taken for a checkpoint.
func (s *CheckpointSigner) SignStatement(b *Bundle) ([]byte, error) {
	if b.Origin != s.Name() {
		return nil, Errorf(EInvalid, "Bundle origin %q is not the signing key's name %q.", b.Origin, s.Name())
	}
	msg, err := note.Sign(&note.Note{Text: BundleStatement(b)}, s.signer)
	if err != nil {
		return nil, fmt.Errorf("events: sign bundle statement: %w", err)
	}
	return msg, nil
}

// otherSigners returns the keys ("name+hash") whose signatures msg carries
// if none is vkey's, else nil.
func otherSigners(msg []byte, vkey string) []string {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil
	}
	_, err = note.Open(msg, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if !errors.As(err, &unverified) {
		return nil
	}
	var out []string
	for _, sig := range unverified.Note.UnverifiedSigs {
		if sig.Name == v.Name() && sig.Hash == v.KeyHash() {
			return nil
		}
		out = append(out, fmt.Sprintf("%s+%08x", sig.Name, sig.Hash))
	}
	return out
}

// OpenCheckpoint verifies a signed checkpoint msg with the verifier key vkey
// and returns the checkpoint. The checkpoint's origin must equal origin,
// or if that is empty the key's name (the ledger signs only under its own
// origin, CheckpointSigner.Sign, so a note that names another log is not
// one of its checkpoints, whatever key signed it). Signatures by other keys, such as witnesses' cosignatures,
// are ignored. Returns an *Error with code invalid if vkey is malformed, msg
// is not a note signed by vkey, a signature is bad, the body is malformed or
// the origin differs.
func OpenCheckpoint(msg []byte, vkey string, origin string) (Checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, Errorf(EInvalid, "Malformed checkpoint verifier key: %v.", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return Checkpoint{}, Errorf(EInvalid, "Checkpoint is not signed by key %s+%08x.", v.Name(), v.KeyHash())
		case errors.As(err, &invalid):
			return Checkpoint{}, Errorf(EInvalid, "Checkpoint signature by key %s+%08x does not verify.", invalid.Name, invalid.Hash)
		}
		return Checkpoint{}, Errorf(EInvalid, "Malformed signed checkpoint: %v.", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if origin == "" {
		origin = v.Name()
	}
	if c.Origin != origin {
		return Checkpoint{}, Errorf(EInvalid, "Checkpoint origin is %q, want %q.", c.Origin, origin)
	}
	return c, nil
}
