package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// outsideVerifier checks a running ledger the way a third party would: with
// HTTP, the published verifier key and the public C2SP and RFC 6962
// libraries only. It deliberately uses nothing of package events or api.
type outsideVerifier struct {
	base  string
	token string // needed only to read events
	http  *http.Client
}

// checkpoint is a C2SP tlog-checkpoint, parsed by the verifier itself.
type checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

func (v *outsideVerifier) get(tb testing.TB, path string, auth bool) (*http.Response, []byte) {
	tb.Helper()
	req, err := http.NewRequest("GET", v.base+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if auth {
		req.Header.Set("Authorization", "Bearer "+v.token)
	}
	resp, err := v.http.Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: status %d, want 200 (%s)", path, resp.StatusCode, b)
	}
	return resp, b
}

// key reads GET /v1/log/key and returns a note verifier for it.
func (v *outsideVerifier) key(tb testing.TB) note.Verifier {
	tb.Helper()
	resp, b := v.get(tb, "/v1/log/key", false)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		tb.Errorf("GET /v1/log/key: Content-Type %q, want text/plain", ct)
	}
	nv, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		tb.Fatalf("GET /v1/log/key: %q is not a note verifier key: %v", b, err)
	}
	return nv
}

// checkpoint reads GET /v1/log/checkpoint, checks its signature with nv and
// parses its body as a C2SP checkpoint.
func (v *outsideVerifier) checkpoint(tb testing.TB, nv note.Verifier) checkpoint {
	tb.Helper()
	resp, b := v.get(tb, "/v1/log/checkpoint", false)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		tb.Errorf("GET /v1/log/checkpoint: Content-Type %q, want text/plain", ct)
	}
	return parseSignedCheckpoint(tb, b, nv)
}

func parseSignedCheckpoint(tb testing.TB, msg []byte, nv note.Verifier) checkpoint {
	tb.Helper()
	n, err := note.Open(msg, note.VerifierList(nv))
	if err != nil {
		tb.Fatalf("checkpoint does not verify: %v\n%s", err, msg)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != nv.Name() || n.Sigs[0].Hash != nv.KeyHash() {
		tb.Errorf("checkpoint signatures: got %+v, want one by %s", n.Sigs, nv.Name())
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if !strings.HasSuffix(n.Text, "\n") || len(lines) < 3 {
		tb.Fatalf("checkpoint body %q: want origin, size and root lines", n.Text)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != lines[1] {
		tb.Fatalf("checkpoint size %q is not a canonical decimal", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != sha256.Size {
		tb.Fatalf("checkpoint root %q is not 32 bytes of base64", lines[2])
	}
	return checkpoint{Origin: lines[0], Size: size, Root: root}
}

// event reads GET /v1/events/{position} and checks that it hashes to its
// X-Ledger-Hash.
func (v *outsideVerifier) event(tb testing.TB, pos uint64) []byte {
	tb.Helper()
	resp, b := v.get(tb, fmt.Sprintf("/v1/events/%d", pos), true)
	sum := sha256.Sum256(b)
	if got, want := resp.Header.Get("X-Ledger-Hash"), hex.EncodeToString(sum[:]); got != want {
		tb.Errorf("event %d: X-Ledger-Hash %s, want SHA-256 of the bytes %s", pos, got, want)
	}
	if got := resp.Header.Get("X-Ledger-Position"); got != strconv.FormatUint(pos, 10) {
		tb.Errorf("event %d: X-Ledger-Position %q", pos, got)
	}
	return b
}

// inclusionProof is the verifier's view of GET /v1/log/proof/inclusion.
type inclusionProof struct {
	Position  uint64   `json:"position"`
	LeafIndex uint64   `json:"leaf_index"`
	TreeSize  uint64   `json:"tree_size"`
	LeafHash  string   `json:"leaf_hash"`
	Hashes    []string `json:"hashes"`
}

func (v *outsideVerifier) inclusion(tb testing.TB, query string) inclusionProof {
	tb.Helper()
	_, b := v.get(tb, "/v1/log/proof/inclusion?"+query, false)
	var p inclusionProof
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		tb.Fatalf("inclusion proof %s: %v", b, err)
	}
	return p
}

func (v *outsideVerifier) consistency(tb testing.TB, query string) [][]byte {
	tb.Helper()
	_, b := v.get(tb, "/v1/log/proof/consistency?"+query, false)
	var p struct {
		From   uint64   `json:"from"`
		To     uint64   `json:"to"`
		Hashes []string `json:"hashes"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		tb.Fatalf("consistency proof %s: %v", b, err)
	}
	if p.Hashes == nil {
		tb.Errorf("consistency proof %s: hashes is null, want an array", b)
	}
	return decodeHashes(tb, p.Hashes)
}

func decodeHashes(tb testing.TB, hs []string) [][]byte {
	tb.Helper()
	out := make([][]byte, len(hs))
	for i, h := range hs {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil || len(b) != sha256.Size {
			tb.Fatalf("proof hash %q is not 32 bytes of base64", h)
		}
		out[i] = b
	}
	return out
}

// mth is the RFC 6962 Merkle Tree Hash of leaf hashes, computed from its
// definition (section 2.1), independently of the library's proof code.
func mth(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		return rfc6962.DefaultHasher.EmptyRoot()
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return rfc6962.DefaultHasher.HashChildren(mth(leaves[:k]), mth(leaves[k:]))
}

// TestOutsideVerifier proves that a third party can check the ledger with
// HTTP, the verifier key and standard libraries: every event's bytes hash to
// what the write returned, are included in the signed tree, and the signed
// trees only ever grow.
func TestOutsideVerifier(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	written := map[uint64]string{} // position -> hash returned by the write
	record := func(res events.Result) { written[res.Position] = res.Hash }
	record(f.MustIssue(t, f.Recorder, "rec-1", unitWard, partyWard))
	record(f.MustAppend(t, f.Recorder, "recommendations", "rec-1", receivedRequest))
	confidential := reminderRequest
	confidential.Classification = "confidential"
	record(f.MustAppend(t, f.Recorder, "recommendations", "rec-1", confidential))
	record(f.MustIssue(t, f.OtherRecorder, "rec-2", unitOther, partyOther))
	size1 := f.MustWaitCheckpoint(t)

	v := &outsideVerifier{base: f.URL, token: f.Inspector.Secret, http: &http.Client{Timeout: 10 * time.Second}}
	nv := v.key(t)
	if nv.Name() != testOrigin {
		t.Errorf("key name: got %q, want the origin %q", nv.Name(), testOrigin)
	}
	cp1 := v.checkpoint(t, nv)
	if cp1.Origin != testOrigin || cp1.Size != size1 {
		t.Fatalf("checkpoint: got origin %q size %d, want %q %d", cp1.Origin, cp1.Size, testOrigin, size1)
	}

	var raws [][]byte
	var leaves [][]byte
	readLeaves := func(upto uint64) {
		for pos := uint64(len(raws)) + 1; pos <= upto; pos++ {
			b := v.event(t, pos)
			if h, ok := written[pos]; ok {
				if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != h {
					t.Errorf("event %d: bytes hash to %x, the write returned %s", pos, sum, h)
				}
			}
			raws = append(raws, b)
			leaves = append(leaves, rfc6962.DefaultHasher.HashLeaf(b))
		}
	}
	readLeaves(cp1.Size)

	t.Run("TheSignedRootIsTheTreeOfTheEvents", func(t *testing.T) {
		if got := mth(leaves); !bytes.Equal(got, cp1.Root) {
			t.Errorf("root: recomputed %x, checkpoint signs %x", got, cp1.Root)
		}
	})

	t.Run("EveryEventIsIncluded", func(t *testing.T) {
		for pos := uint64(1); pos <= cp1.Size; pos++ {
			p := v.inclusion(t, fmt.Sprintf("position=%d&size=%d", pos, cp1.Size))
			if p.Position != pos || p.LeafIndex != pos-1 || p.TreeSize != cp1.Size {
				t.Errorf("position %d: got position %d leaf_index %d tree_size %d", pos, p.Position, p.LeafIndex, p.TreeSize)
			}
			if got, want := p.LeafHash, base64.StdEncoding.EncodeToString(leaves[pos-1]); got != want {
				t.Errorf("position %d: leaf_hash %s, want %s", pos, got, want)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, pos-1, cp1.Size, leaves[pos-1], decodeHashes(t, p.Hashes), cp1.Root); err != nil {
				t.Errorf("position %d: inclusion proof does not verify: %v", pos, err)
			}
		}
	})

	t.Run("TheSizeDefaultsToTheLatestCheckpoint", func(t *testing.T) {
		p := v.inclusion(t, "position=2")
		if p.TreeSize != cp1.Size {
			t.Errorf("tree_size: got %d, want %d", p.TreeSize, cp1.Size)
		}
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, 1, cp1.Size, leaves[1], decodeHashes(t, p.Hashes), cp1.Root); err != nil {
			t.Errorf("inclusion proof does not verify: %v", err)
		}
	})

	t.Run("AnAlteredEventIsNotIncluded", func(t *testing.T) {
		pos := cp1.Size - 1
		altered := bytes.Replace(raws[pos-1], []byte(`"version":`), []byte(`"version" :`), 1)
		p := v.inclusion(t, fmt.Sprintf("position=%d&size=%d", pos, cp1.Size))
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, pos-1, cp1.Size, rfc6962.DefaultHasher.HashLeaf(altered), decodeHashes(t, p.Hashes), cp1.Root); err == nil {
			t.Errorf("the proof verifies an altered event")
		}
	})

	// The log grows; a later checkpoint must extend the earlier one.
	record(f.MustAppend(t, f.Respondent, "recommendations", "rec-1", responseRequest))
	record(f.MustIssue(t, f.TownRecorder, "rec-3", unitWard, partyWard))
	record(f.MustAppend(t, f.Recorder, "recommendations", "rec-3", receivedRequest))
	size2 := f.MustWaitCheckpoint(t)
	cp2 := v.checkpoint(t, nv)
	if cp2.Size != size2 || cp2.Size <= cp1.Size {
		t.Fatalf("second checkpoint: got size %d, want %d > %d", cp2.Size, size2, cp1.Size)
	}
	readLeaves(cp2.Size)

	t.Run("TheLaterCheckpointIsConsistentWithTheEarlier", func(t *testing.T) {
		hs := v.consistency(t, fmt.Sprintf("from=%d&to=%d", cp1.Size, cp2.Size))
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, cp1.Size, cp2.Size, hs, cp1.Root, cp2.Root); err != nil {
			t.Errorf("consistency proof %d → %d does not verify: %v", cp1.Size, cp2.Size, err)
		}
		// "to" defaults to the latest checkpoint.
		hs = v.consistency(t, fmt.Sprintf("from=%d", cp1.Size))
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, cp1.Size, cp2.Size, hs, cp1.Root, cp2.Root); err != nil {
			t.Errorf("consistency proof %d → latest does not verify: %v", cp1.Size, err)
		}
		wrong := bytes.Clone(cp1.Root)
		wrong[0] ^= 1
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, cp1.Size, cp2.Size, hs, wrong, cp2.Root); err == nil {
			t.Errorf("the consistency proof verifies against a forged earlier root")
		}
	})

	t.Run("EveryEarlierTreeIsConsistentWithTheLatest", func(t *testing.T) {
		if got := mth(leaves); !bytes.Equal(got, cp2.Root) {
			t.Fatalf("root: recomputed %x, checkpoint signs %x", got, cp2.Root)
		}
		for m := uint64(1); m <= cp2.Size; m++ {
			hs := v.consistency(t, fmt.Sprintf("from=%d&to=%d", m, cp2.Size))
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, m, cp2.Size, hs, mth(leaves[:m]), cp2.Root); err != nil {
				t.Errorf("consistency proof %d → %d does not verify: %v", m, cp2.Size, err)
			}
		}
	})

	t.Run("EveryEventIsIncludedInTheLaterTree", func(t *testing.T) {
		for pos := uint64(1); pos <= cp2.Size; pos++ {
			p := v.inclusion(t, fmt.Sprintf("position=%d&size=%d", pos, cp2.Size))
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, pos-1, cp2.Size, leaves[pos-1], decodeHashes(t, p.Hashes), cp2.Root); err != nil {
				t.Errorf("position %d: inclusion proof does not verify: %v", pos, err)
			}
		}
	})

	t.Run("EveryStoredCheckpointVerifies", func(t *testing.T) {
		_, b := v.get(t, "/v1/log/checkpoints", true)
		dec := json.NewDecoder(bytes.NewReader(b))
		n := 0
		for dec.More() {
			var e struct {
				Size uint64 `json:"size"`
				Note string `json:"note"`
			}
			if err := dec.Decode(&e); err != nil {
				t.Fatal(err)
			}
			cp := parseSignedCheckpoint(t, []byte(e.Note), nv)
			if cp.Size != e.Size || cp.Origin != testOrigin {
				t.Errorf("stored checkpoint %d: got size %d origin %q", e.Size, cp.Size, cp.Origin)
			}
			if cp.Size <= uint64(len(leaves)) && !bytes.Equal(mth(leaves[:cp.Size]), cp.Root) {
				t.Errorf("stored checkpoint %d: its root is not the tree of the first %d events", cp.Size, cp.Size)
			}
			n++
		}
		if n < 2 {
			t.Errorf("stored checkpoints: got %d, want at least 2", n)
		}
	})
}

// TestProofParameters checks the errors of the log endpoints' parameters.
func TestProofParameters(t *testing.T) {
	t.Parallel()
	f := MustOpenServer(t)
	n := f.MustWaitCheckpoint(t)
	ins := f.Inspector.Secret
	for _, tc := range []struct {
		name   string
		path   string
		status int
		code   string
		field  string
	}{
		{"InclusionWithoutPosition", "/v1/log/proof/inclusion", 400, events.EInvalid, "position"},
		{"InclusionPositionZero", "/v1/log/proof/inclusion?position=0", 400, events.EInvalid, "position"},
		{"InclusionPositionNotANumber", "/v1/log/proof/inclusion?position=one", 400, events.EInvalid, "position"},
		{"InclusionPositionNegative", "/v1/log/proof/inclusion?position=-1", 400, events.EInvalid, "position"},
		{"InclusionPositionBeyondTheTree", fmt.Sprintf("/v1/log/proof/inclusion?position=%d&size=%d", n, n-1), 400, events.EInvalid, "position"},
		{"InclusionPositionBeyondTheCheckpoint", fmt.Sprintf("/v1/log/proof/inclusion?position=%d", n+1), 400, events.EInvalid, "position"},
		{"InclusionSizeNotANumber", "/v1/log/proof/inclusion?position=1&size=all", 400, events.EInvalid, "size"},
		{"InclusionSizeZero", "/v1/log/proof/inclusion?position=1&size=0", 400, events.EInvalid, "size"},
		{"InclusionSizeBeyondTheLog", fmt.Sprintf("/v1/log/proof/inclusion?position=1&size=%d", n+1), 400, events.EInvalid, "size"},
		{"ConsistencyWithoutFrom", "/v1/log/proof/consistency", 400, events.EInvalid, "from"},
		{"ConsistencyFromZero", "/v1/log/proof/consistency?from=0", 400, events.EInvalid, "from"},
		{"ConsistencyFromNotANumber", "/v1/log/proof/consistency?from=x", 400, events.EInvalid, "from"},
		{"ConsistencyFromAfterTo", "/v1/log/proof/consistency?from=3&to=2", 400, events.EInvalid, "from"},
		{"ConsistencyToNotANumber", "/v1/log/proof/consistency?from=1&to=x", 400, events.EInvalid, "to"},
		{"ConsistencyToZero", "/v1/log/proof/consistency?from=1&to=0", 400, events.EInvalid, "to"},
		{"ConsistencyToBeyondTheLog", fmt.Sprintf("/v1/log/proof/consistency?from=1&to=%d", n+1), 400, events.EInvalid, "to"},
		{"EventPositionZero", "/v1/events/0", 400, events.EInvalid, "position"},
		{"EventPositionNotANumber", "/v1/events/first", 400, events.EInvalid, "position"},
		{"EventPositionNegative", "/v1/events/-1", 400, events.EInvalid, "position"},
		{"EventBeyondTheLog", fmt.Sprintf("/v1/events/%d", n+1), 404, events.ENotFound, "position"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustError(t, f.Do(t, "GET", tc.path, ins, nil), tc.status, tc.code, tc.field)
		})
	}
	t.Run("EventWithoutToken", func(t *testing.T) {
		MustError(t, f.Do(t, "GET", "/v1/events/1", "", nil), http.StatusUnauthorized, events.EUnauthorized, "Authorization")
	})
}

// TestEmptyLog checks the log endpoints of a ledger with no events: the key
// is served, and there is no checkpoint to prove against yet.
func TestEmptyLog(t *testing.T) {
	t.Parallel()
	f := MustOpenLedgerServer(t)
	v := &outsideVerifier{base: f.URL, http: &http.Client{Timeout: 10 * time.Second}}
	if nv := v.key(t); nv.Name() != testOrigin {
		t.Errorf("key name: got %q, want %q", nv.Name(), testOrigin)
	}
	MustError(t, f.Do(t, "GET", "/v1/log/checkpoint", "", nil), http.StatusNotFound, events.ENotFound, "")
	MustError(t, f.Do(t, "GET", "/v1/log/proof/inclusion?position=1", "", nil), http.StatusBadRequest, events.EInvalid, "size")
	MustError(t, f.Do(t, "GET", "/v1/log/proof/consistency?from=1", "", nil), http.StatusBadRequest, events.EInvalid, "to")
}
