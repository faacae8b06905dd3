package events_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/mttq-vn/ledger/events"
)

// Test-only Ed25519 note keys, made once with GenerateCheckpointKey. They
// sign nothing outside these tests. testSKey's base64 holds a "+", which the
// verifier-key derivation must cope with. otherSKey has the same name but is
// a different key.
const (
	testOrigin = "so-cai-giam-sat.example/ledger"
	testSKey   = "PRIVATE+KEY+so-cai-giam-sat.example/ledger+aeafb14c+AV3ljlOwMUY/49UR6wwLpiETJp8Lol2+7XWQ7umuqEKs"
	testVKey   = "so-cai-giam-sat.example/ledger+aeafb14c+AYenjT0xTzNdKfe9/+zY458/90URyv8c0/L2NbtiBJSs"
	otherSKey  = "PRIVATE+KEY+so-cai-giam-sat.example/ledger+a76c385b+AX0sEuuAAX18jzYsdPhegaVwZmTACqS/W7KZNWtCWYzU"
	otherVKey  = "so-cai-giam-sat.example/ledger+a76c385b+Ae1Gmdz7FpTLpisHjSGxaFDqw3ZgdJQCsob3Dh0z2aLu"
)

// goldenBody is the checkpoint of the 8-leaf RFC 6962 test-vector tree, and
// goldenSigned the same checkpoint signed with testSKey. Ed25519 signatures
// are deterministic, so the signed text is pinned byte for byte: it is the
// wire format the API serves and witnesses store.
const (
	goldenBody = "so-cai-giam-sat.example/ledger\n" +
		"8\n" +
		"XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"
	goldenSigned = goldenBody +
		"\n" +
		"— so-cai-giam-sat.example/ledger rq+xTDsi3Wyh5EXpR8o9uFV5PXa74XJHZG14OyQUOpTv8mjWZmT0rXHVmAMeYCyuohhBAjhpJVT0bl8fKQARXcw4ngM=\n"
)

func goldenCheckpoint(tb testing.TB) events.Checkpoint {
	tb.Helper()
	return events.Checkpoint{Origin: testOrigin, Size: 8, Root: [32]byte(mustDecodeHex(tb, vectorRoots[8]))}
}

// MustCheckpointSigner returns a signer for skey.
func MustCheckpointSigner(tb testing.TB, skey string) *events.CheckpointSigner {
	tb.Helper()
	s, err := events.NewCheckpointSigner(skey)
	if err != nil {
		tb.Fatalf("NewCheckpointSigner: %v", err)
	}
	return s
}

func TestCheckpointBodyGolden(t *testing.T) {
	c := goldenCheckpoint(t)
	if got, want := string(c.Body()), goldenBody; got != want {
		t.Errorf("Body() = %q, want %q", got, want)
	}
	// The golden root is the tree's, not just a pinned string.
	if got, want := mustRoot(t, vectorTree(t), 8), c.Root; got != want {
		t.Errorf("vector tree Root(8) = %x, want %x", got, want)
	}
	got, err := events.ParseCheckpoint([]byte(goldenBody))
	if err != nil || got != c {
		t.Errorf("ParseCheckpoint(golden) = %+v, %v; want %+v", got, err, c)
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	var ones [32]byte
	for i := range ones {
		ones[i] = 0xff
	}
	tests := []struct {
		name string
		c    events.Checkpoint
	}{
		{"Empty", events.Checkpoint{Origin: testOrigin, Size: 0, Root: sha256.Sum256(nil)}},
		{"One", events.Checkpoint{Origin: "example.com/log42", Size: 1, Root: events.LeafHash(nil)}},
		{"MaxSize", events.Checkpoint{Origin: "a", Size: math.MaxUint64, Root: ones}},
		{"ZeroRoot", events.Checkpoint{Origin: "a", Size: 10}},
		// The spec only recommends URL-like origins; parsers must accept others.
		{"UnicodeOriginWithSpaces", events.Checkpoint{Origin: "Sổ cái giám sát + phản biện", Size: 42, Root: ones}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := events.ParseCheckpoint(tt.c.Body())
			if err != nil {
				t.Fatalf("ParseCheckpoint(%q): %v", tt.c.Body(), err)
			}
			if got != tt.c {
				t.Errorf("ParseCheckpoint(Body()) = %+v, want %+v", got, tt.c)
			}
		})
	}
}

func TestParseCheckpointExtensionLines(t *testing.T) {
	body := goldenBody + "— extension, opaque\nanother one\n"
	got, err := events.ParseCheckpoint([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if want := goldenCheckpoint(t); got != want {
		t.Errorf("ParseCheckpoint() = %+v, want %+v", got, want)
	}
}

func TestParseCheckpointRejects(t *testing.T) {
	const root = "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
	tests := []struct {
		name string
		body string
	}{
		{"Empty", ""},
		{"MissingFinalNewline", "o\n8\n" + root},
		{"TwoLines", "o\n8\n"},
		{"EmptyOrigin", "\n8\n" + root + "\n"},
		{"EmptySize", "o\n\n" + root + "\n"},
		{"LeadingZero", "o\n08\n" + root + "\n"},
		{"DoubleZero", "o\n00\n" + root + "\n"},
		{"Negative", "o\n-1\n" + root + "\n"},
		{"Plus", "o\n+8\n" + root + "\n"},
		{"NonNumeric", "o\neight\n" + root + "\n"},
		{"Hex", "o\n0x8\n" + root + "\n"},
		{"SizeSpace", "o\n 8\n" + root + "\n"},
		{"SizeOverflow", "o\n18446744073709551616\n" + root + "\n"},
		{"EmptyRoot", "o\n8\n\n"},
		{"RootTooShort", "o\n8\n" + base64.StdEncoding.EncodeToString(make([]byte, 31)) + "\n"},
		{"RootTooLong", "o\n8\n" + base64.StdEncoding.EncodeToString(make([]byte, 33)) + "\n"},
		{"RootNotBase64", "o\n8\n" + strings.Repeat("!", 44) + "\n"},
		{"RootURLBase64", "o\n8\n" + base64.URLEncoding.EncodeToString(mustDecodeHex(t, "fbff"+strings.Repeat("00", 30))) + "\n"},
		{"RootUnpadded", "o\n8\n" + strings.TrimSuffix(root, "=") + "\n"},
		{"RootNonCanonicalPadBits", "o\n8\n" + root[:42] + "h=\n"},
		{"RootCarriageReturn", "o\n8\n" + root + "\r\n"},
		{"RootHex", "o\n8\n" + vectorRoots[8] + "\n"},
		{"EmptyExtensionLine", "o\n8\n" + root + "\n\n"},
		{"EmptyLineBetweenExtensions", "o\n8\n" + root + "\next\n\nmore\n"},
		{"OriginControlCharacter", "o\x01\n8\n" + root + "\n"},
		{"OriginCarriageReturn", "o\r\n8\n" + root + "\n"},
		{"InvalidUTF8", "o\xff\n8\n" + root + "\n"},
		{"SignedNote", goldenSigned},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := events.ParseCheckpoint([]byte(tt.body))
			if got, want := events.ErrorCode(err), events.EInvalid; got != want {
				t.Errorf("ParseCheckpoint(%q) = %+v, code %q; want code %q", tt.body, c, got, want)
			}
		})
	}
	// The non-canonical root above must differ from the canonical one only in
	// its padding bits, or the test proves nothing.
	if a, b := base64.StdEncoding.EncodeToString(mustDecodeBase64(t, root[:42]+"h=")), root; a != b {
		t.Fatalf("RootNonCanonicalPadBits decodes to %s, want %s", a, b)
	}
}

func mustDecodeBase64(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestCheckpointSignGolden(t *testing.T) {
	s := MustCheckpointSigner(t, testSKey)
	if got, want := s.Name(), testOrigin; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	if got, want := s.VerifierKey(), testVKey; got != want {
		t.Errorf("VerifierKey() = %q, want %q", got, want)
	}
	msg, err := s.Sign(goldenCheckpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(msg), goldenSigned; got != want {
		t.Errorf("Sign() = %q, want %q", got, want)
	}
}

func TestCheckpointSignRejects(t *testing.T) {
	s := MustCheckpointSigner(t, testSKey)
	tests := []struct {
		name string
		c    events.Checkpoint
	}{
		{"OtherOrigin", events.Checkpoint{Origin: "other.example/log", Size: 1}},
		{"EmptyOrigin", events.Checkpoint{Size: 1}},
		{"OriginWithNewline", events.Checkpoint{Origin: testOrigin + "\n1", Size: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := s.Sign(tt.c)
			if got, want := events.ErrorCode(err), events.EInvalid; got != want {
				t.Errorf("Sign() = %q, code %q; want code %q", msg, got, want)
			}
		})
	}
}

func TestOpenCheckpoint(t *testing.T) {
	signer := MustCheckpointSigner(t, testSKey)
	other := MustCheckpointSigner(t, otherSKey)
	want := goldenCheckpoint(t)

	signedByOther, err := other.Sign(want)
	if err != nil {
		t.Fatal(err)
	}
	// A witness's cosignature on the ledger's checkpoint, as a witness
	// would add it: it keeps the ledger's signature and appends its own.
	witness, err := note.NewSigner(mustGenerateKey(t, "witness.example/w1"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(goldenSigned), note.VerifierList(mustVerifier(t, testVKey)))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, witness)
	if err != nil {
		t.Fatal(err)
	}
	// A signature by a key of another name only.
	onlyWitness, err := note.Sign(&note.Note{Text: goldenBody}, witness)
	if err != nil {
		t.Fatal(err)
	}

	tamperedSize := strings.Replace(goldenSigned, "\n8\n", "\n9\n", 1)
	tamperedRoot := strings.Replace(goldenSigned, "XcnaeacG", "XcnaeacH", 1)
	// Change the Ed25519 signature, keeping the key hash (the first four
	// bytes, "rq+x") so that the signature is checked and rejected.
	tamperedSig := strings.Replace(goldenSigned, " rq+xTDsi", " rq+xTDsj", 1)
	// Change the key hash: the signature then names an unknown key.
	unknownKeyHash := strings.Replace(goldenSigned, " rq+x", " rq+y", 1)
	// A validly signed note whose body is not a checkpoint.
	badBody, err := note.Sign(&note.Note{Text: testOrigin + "\n08\n" + "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"}, mustSigner(t, testSKey))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		msg      string
		vkey     string
		origin   string
		wantCode string
	}{
		{"OK", goldenSigned, testVKey, testOrigin, ""},
		{"AnyOrigin", goldenSigned, testVKey, "", ""},
		{"CosignedByWitness", string(cosigned), testVKey, testOrigin, ""},
		{"WrongKey", goldenSigned, otherVKey, testOrigin, events.EInvalid},
		{"SignedByOtherKey", string(signedByOther), testVKey, testOrigin, events.EInvalid},
		{"SignedOnlyByWitness", string(onlyWitness), testVKey, testOrigin, events.EInvalid},
		{"TamperedSize", tamperedSize, testVKey, testOrigin, events.EInvalid},
		{"TamperedRoot", tamperedRoot, testVKey, testOrigin, events.EInvalid},
		{"TamperedSignature", tamperedSig, testVKey, testOrigin, events.EInvalid},
		{"UnknownKeyHash", unknownKeyHash, testVKey, testOrigin, events.EInvalid},
		{"WrongOrigin", goldenSigned, testVKey, "other.example/log", events.EInvalid},
		{"MalformedBody", string(badBody), testVKey, testOrigin, events.EInvalid},
		{"BodyOnly", goldenBody, testVKey, testOrigin, events.EInvalid},
		{"Empty", "", testVKey, testOrigin, events.EInvalid},
		{"MalformedVerifierKey", goldenSigned, "not a key", testOrigin, events.EInvalid},
		{"SigningKeyAsVerifierKey", goldenSigned, testSKey, testOrigin, events.EInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := events.OpenCheckpoint([]byte(tt.msg), tt.vkey, tt.origin)
			if got := events.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("OpenCheckpoint() error = %v, code %q; want code %q", err, got, tt.wantCode)
			}
			if tt.wantCode == "" && c != want {
				t.Errorf("OpenCheckpoint() = %+v, want %+v", c, want)
			}
		})
	}
	// Round trip through a fresh tree, the way the ledger uses it.
	tree := MustTree(t, merkleTestLeaves(1000))
	c := events.Checkpoint{Origin: signer.Name(), Size: tree.Size(), Root: mustRoot(t, tree, tree.Size())}
	msg, err := signer.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := events.OpenCheckpoint(msg, signer.VerifierKey(), testOrigin)
	if err != nil || got != c {
		t.Errorf("OpenCheckpoint(Sign(c)) = %+v, %v; want %+v", got, err, c)
	}
}

func mustGenerateKey(tb testing.TB, name string) (skey string) {
	tb.Helper()
	skey, _, err := events.GenerateCheckpointKey(name)
	if err != nil {
		tb.Fatal(err)
	}
	return skey
}

func mustVerifier(tb testing.TB, vkey string) note.Verifier {
	tb.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		tb.Fatalf("note.NewVerifier(%q): %v", vkey, err)
	}
	return v
}

func mustSigner(tb testing.TB, skey string) note.Signer {
	tb.Helper()
	s, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func TestGenerateCheckpointKey(t *testing.T) {
	skey, vkey, err := events.GenerateCheckpointKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s := MustCheckpointSigner(t, skey)
	if got, want := s.VerifierKey(), vkey; got != want {
		t.Errorf("VerifierKey() = %q, want %q from GenerateCheckpointKey", got, want)
	}
	if got, want := s.Name(), testOrigin; got != want {
		t.Errorf("Name() = %q, want %q", got, want)
	}
	v := mustVerifier(t, s.VerifierKey())
	if got, want := v.KeyHash(), mustSigner(t, skey).KeyHash(); got != want {
		t.Errorf("verifier key hash = %08x, want %08x", got, want)
	}
	// Two keys differ.
	skey2, vkey2, err := events.GenerateCheckpointKey(testOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if skey2 == skey || vkey2 == vkey {
		t.Errorf("GenerateCheckpointKey returned the same key twice")
	}

	for _, name := range []string{"", "a b", "a+b", "a\nb", "a\tb", "a\x01b", "\xff"} {
		_, _, err := events.GenerateCheckpointKey(name)
		if got, want := events.ErrorCode(err), events.EInvalid; got != want {
			t.Errorf("GenerateCheckpointKey(%q) code = %q, want %q", name, got, want)
		}
	}
}

// TestCheckpointVerifierKeyDerivation checks VerifierKey against keys made by
// note.GenerateKey directly, many times, so base64 with "+" and "/" in every
// position is covered.
func TestCheckpointVerifierKeyDerivation(t *testing.T) {
	for range 200 {
		skey, vkey, err := events.GenerateCheckpointKey(testOrigin)
		if err != nil {
			t.Fatal(err)
		}
		if got := MustCheckpointSigner(t, skey).VerifierKey(); got != vkey {
			t.Fatalf("VerifierKey() = %q, want %q", got, vkey)
		}
	}
}

func TestNewCheckpointSignerRejects(t *testing.T) {
	tamperedHash := strings.Replace(testSKey, "+aeafb14c+", "+aeafb14d+", 1)
	tamperedName := strings.Replace(testSKey, "ledger+", "ledgers+", 1)
	tests := []struct {
		name string
		skey string
	}{
		{"Empty", ""},
		{"VerifierKey", testVKey},
		{"Truncated", testSKey[:len(testSKey)-4]},
		{"NotBase64", "PRIVATE+KEY+a+00000000+!!!!"},
		{"TamperedHash", tamperedHash},
		{"TamperedName", tamperedName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := events.NewCheckpointSigner(tt.skey)
			if got, want := events.ErrorCode(err), events.EInvalid; got != want {
				t.Errorf("NewCheckpointSigner(%q) code = %q (%v), want %q", tt.skey, got, err, want)
			}
			if strings.Contains(events.ErrorMessage(err), tt.skey) && tt.skey != "" {
				t.Errorf("error message %q quotes the signing key", events.ErrorMessage(err))
			}
		})
	}
}

// TestCheckpointInterop checks the golden signed checkpoint with nothing from
// this package: golang.org/x/mod/sumdb/note, as any C2SP signed-note verifier
// would, then again from first principles with crypto/ed25519. The body is
// parsed by hand and its root compared with the RFC 6962 vector.
func TestCheckpointInterop(t *testing.T) {
	msg := []byte(goldenSigned)

	v, err := note.NewVerifier(testVKey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		t.Fatalf("note.Open: %v", err)
	}
	if got, want := len(n.Sigs), 1; got != want {
		t.Fatalf("verified signatures = %d, want %d", got, want)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("note text has %d lines, want 3", len(lines))
	}
	if got, want := lines[0], testOrigin; got != want {
		t.Errorf("origin = %q, want %q", got, want)
	}
	if got, want := lines[0], n.Sigs[0].Name; got != want {
		t.Errorf("origin = %q, want the key name %q", got, want)
	}
	if size, err := strconv.ParseUint(lines[1], 10, 64); err != nil || size != 8 {
		t.Errorf("size = %q, want 8", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(root), vectorRoots[8]; got != want {
		t.Errorf("root = %s, want %s", got, want)
	}

	// From first principles (C2SP signed-note, Ed25519): the verifier key is
	// name+hash+base64(0x01 || public key), the key hash is the first four
	// bytes of SHA-256(name || "\n" || 0x01 || public key), and the
	// signature line is "— name base64(key hash || Ed25519(text))".
	parts := strings.SplitN(testVKey, "+", 3)
	key := mustDecodeBase64(t, parts[2])
	if len(key) != 1+ed25519.PublicKeySize || key[0] != 0x01 {
		t.Fatalf("verifier key is %d bytes starting %#x, want 33 starting 0x01", len(key), key[0])
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), key...))
	if got, want := hex.EncodeToString(h[:4]), parts[1]; got != want {
		t.Errorf("key hash = %s, want %s", got, want)
	}
	text, sigs, ok := bytes.Cut(msg, []byte("\n\n"))
	if !ok {
		t.Fatal("no blank line before the signatures")
	}
	text = append(text, '\n')
	prefix := "— " + parts[0] + " "
	line, ok := strings.CutPrefix(strings.TrimSuffix(string(sigs), "\n"), prefix)
	if !ok {
		t.Fatalf("signature line %q does not start with %q", sigs, prefix)
	}
	sig := mustDecodeBase64(t, line)
	if got, want := binary.BigEndian.Uint32(sig[:4]), binary.BigEndian.Uint32(h[:4]); got != want {
		t.Errorf("signature key hash = %08x, want %08x", got, want)
	}
	if !ed25519.Verify(ed25519.PublicKey(key[1:]), text, sig[4:]) {
		t.Errorf("ed25519.Verify of the checkpoint body failed")
	}
}

// BundleAgainst: a bundle's tree against a later checkpoint of the same
// ledger, by the consistency proof between them (the tree of the RFC 6962
// test vectors).
func TestBundleAgainst(t *testing.T) {
	tree := vectorTree(t)
	s := MustCheckpointSigner(t, testSKey)
	signed := func(size uint64, root [32]byte) []byte {
		b, err := s.Sign(events.Checkpoint{Origin: testOrigin, Size: size, Root: root})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	rep := &events.BundleReport{Origin: testOrigin, TreeSize: 5, Root: mustRoot(t, tree, 5)}
	proof, err := tree.ConsistencyProof(5, 8)
	if err != nil {
		t.Fatal(err)
	}
	if size, err := events.BundleAgainst(rep, signed(8, mustRoot(t, tree, 8)), testVKey, proof); err != nil || size != 8 {
		t.Errorf("a later checkpoint of the same tree: %d, %v", size, err)
	}
	if _, err := events.BundleAgainst(rep, signed(5, rep.Root), testVKey, nil); err != nil {
		t.Errorf("the bundle's own checkpoint: %v", err)
	}
	var other [32]byte
	other[0] = 1
	short, _ := tree.ConsistencyProof(4, 8)
	for name, c := range map[string]struct {
		latest []byte
		proof  [][]byte
		want   string
	}{
		"cut back":      {signed(4, mustRoot(t, tree, 4)), nil, "fewer than the bundle's 5"},
		"another tree":  {signed(5, other), nil, "another tree of the bundle's 5 events"},
		"rewritten":     {signed(8, other), proof, "is not consistent with the bundle's"},
		"another proof": {signed(8, mustRoot(t, tree, 8)), short, "is not consistent with the bundle's"},
		"another key": {func() []byte {
			b, _ := MustCheckpointSigner(t, otherSKey).Sign(events.Checkpoint{Origin: testOrigin, Size: 8, Root: mustRoot(t, tree, 8)})
			return b
		}(), proof, "not signed by key"},
	} {
		if _, err := events.BundleAgainst(rep, c.latest, testVKey, c.proof); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}
