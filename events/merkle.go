package events

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	merkleproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// The Merkle log follows RFC 6962 section 2.1 with SHA-256: a leaf hash is
// SHA-256(0x00 || data), an interior node SHA-256(0x01 || left || right), and
// the empty tree's root is SHA-256(""). Proof shapes come from
// github.com/transparency-dev/merkle, the library Go transparency logs share,
// so any RFC 6962 verifier can check what this file produces.

// merkleHasher computes RFC 6962 node hashes for the library calls.
var merkleHasher = rfc6962.DefaultHasher

// merkleRanges builds compact ranges, which fold a tree's perfect subtrees
// into its root.
var merkleRanges = &compact.RangeFactory{Hash: merkleHasher.HashChildren}

// emptyTreeRoot is the root of the tree of size 0: SHA-256 of nothing.
var emptyTreeRoot = sha256.Sum256(nil)

// LeafHash returns the RFC 6962 hash of a leaf's data, SHA-256(0x00 || data).
// The ledger's leaves are events' stored bytes, so an event's leaf hash is
// LeafHash(record.Raw), not Record.Hash (which has no 0x00 prefix).
func LeafHash(data []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{rfc6962.RFC6962LeafHashPrefix})
	h.Write(data)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// merkleNodeHash returns the RFC 6962 hash of an interior node, as
// merkleHasher.HashChildren does, but without allocating: Append runs it for
// every leaf.
func merkleNodeHash(left, right [32]byte) [32]byte {
	var buf [1 + 2*32]byte
	buf[0] = rfc6962.RFC6962NodeHashPrefix
	copy(buf[1:], left[:])
	copy(buf[33:], right[:])
	return sha256.Sum256(buf[:])
}

// Tree is an in-memory, append-only RFC 6962 Merkle tree over leaf hashes. It
// keeps the hash of every perfect subtree (about 64 bytes per leaf), so the
// root of any earlier size and proofs between any sizes come without
// rehashing leaves: Append and Root cost O(log n) hashes.
//
// A Tree is safe for concurrent use: one goroutine may append while others
// read roots and proofs. The zero Tree is empty and ready to use.
type Tree struct {
	mu sync.RWMutex
	// levels[l].at(i) is the hash of the perfect subtree of height l whose
	// leaves are [i<<l, (i+1)<<l); levels[0] holds the leaf hashes. Level l
	// has Size()>>l entries, and an entry never changes once written.
	levels []treeLevel
}

// A level's hashes are stored in chunks of levelChunkLen hashes (128 KiB).
const (
	levelChunkBits = 12
	levelChunkLen  = 1 << levelChunkBits
)

// treeLevel holds one level's hashes in chunks of levelChunkLen. One
// contiguous slice would be copied whole each time it grew (32 MB for the
// leaves of a million-event log), under the write lock that readers wait on;
// with chunks an append copies at most one chunk, and memory stays at 64
// bytes a leaf.
type treeLevel struct {
	chunks [][][32]byte
	n      uint64
}

// at returns the hash at index i < l.n.
func (l *treeLevel) at(i uint64) *[32]byte {
	return &l.chunks[i>>levelChunkBits][i&(levelChunkLen-1)]
}

// push appends a hash. The first chunk grows as needed, so that small trees
// stay small; later chunks are allocated whole.
func (l *treeLevel) push(h [32]byte) {
	c := l.n >> levelChunkBits
	if c == uint64(len(l.chunks)) {
		var chunk [][32]byte
		if c > 0 {
			chunk = make([][32]byte, 0, levelChunkLen)
		}
		l.chunks = append(l.chunks, chunk)
	}
	l.chunks[c] = append(l.chunks[c], h)
	l.n++
}

// Append adds a leaf hash (see LeafHash) to the tree and returns the new
// size. The leaf's index is the new size minus one.
func (t *Tree) Append(leafHash [32]byte) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.levels) == 0 {
		t.levels = append(t.levels, treeLevel{})
	}
	t.levels[0].push(leafHash)
	// A level with an even number of nodes has just completed a pair, whose
	// parent is a new node on the level above; carry upwards.
	for l := 0; t.levels[l].n%2 == 0; l++ {
		n := t.levels[l].n
		parent := merkleNodeHash(*t.levels[l].at(n - 2), *t.levels[l].at(n - 1))
		if l+1 == len(t.levels) {
			t.levels = append(t.levels, treeLevel{})
		}
		t.levels[l+1].push(parent)
	}
	return t.levels[0].n
}

// truncate drops the leaves from index n on (n at most Size()): each level
// keeps its first n>>l hashes, which no later leaf changes, and later
// appends write over the rest.
func (t *Tree) truncate(n uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for l := range t.levels {
		lv := &t.levels[l]
		keep := n >> l
		if keep >= lv.n {
			continue
		}
		lv.n = keep
		c := int(keep >> levelChunkBits) // the chunk the next hash goes in
		lv.chunks = lv.chunks[:min(len(lv.chunks), c+1)]
		if c < len(lv.chunks) {
			lv.chunks[c] = lv.chunks[c][:keep&(levelChunkLen-1)]
		}
	}
	for len(t.levels) > 0 && t.levels[len(t.levels)-1].n == 0 {
		t.levels = t.levels[:len(t.levels)-1]
	}
}

// Size returns the number of leaves in the tree.
func (t *Tree) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size()
}

func (t *Tree) size() uint64 {
	if len(t.levels) == 0 {
		return 0
	}
	return t.levels[0].n
}

// Root returns the root hash of the tree made of the first size leaves. The
// root of size 0 is the RFC 6962 empty root, SHA-256(""). Returns an *Error
// with code invalid if size is greater than Size().
func (t *Tree) Root(size uint64) ([32]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if n := t.size(); size > n {
		return [32]byte{}, Errorf(EInvalid, "Tree size %d is beyond the log's size %d.", size, n)
	}
	if size == 0 {
		return emptyTreeRoot, nil
	}
	// The first size leaves are covered by one perfect subtree per one bit
	// of size; the library folds them right to left into the root.
	ids := compact.RangeNodes(0, size, make([]compact.NodeID, 0, 64))
	r, err := merkleRanges.NewRange(0, size, t.hashes(ids))
	if err != nil {
		return [32]byte{}, fmt.Errorf("events: merkle root of size %d: %w", size, err)
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return [32]byte{}, fmt.Errorf("events: merkle root of size %d: %w", size, err)
	}
	return [32]byte(root), nil
}

// LeafHashAt returns the hash of the leaf at index (0-based). Returns an
// *Error with code invalid if index is not less than Size().
func (t *Tree) LeafHashAt(index uint64) ([32]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if n := t.size(); index >= n {
		return [32]byte{}, Errorf(EInvalid, "Leaf index %d is beyond the log's size %d.", index, n)
	}
	return *t.levels[0].at(index), nil
}

// InclusionProof returns the RFC 6962 audit path proving that the leaf at
// index is in the tree of the given size, ordered from the leaf's sibling up
// (RFC 6962 section 2.1.1). Check it with VerifyInclusion against Root(size).
// Returns an *Error with code invalid unless index < size <= Size().
func (t *Tree) InclusionProof(index, size uint64) ([][]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if n := t.size(); size > n {
		return nil, Errorf(EInvalid, "Tree size %d is beyond the log's size %d.", size, n)
	}
	if index >= size {
		return nil, Errorf(EInvalid, "Leaf index %d is not in a tree of size %d.", index, size)
	}
	nodes, err := merkleproof.Inclusion(index, size)
	if err != nil {
		return nil, Errorf(EInvalid, "Cannot prove inclusion of leaf %d in a tree of size %d: %v.", index, size, err)
	}
	return t.proof(nodes)
}

// ConsistencyProof returns the RFC 6962 proof (section 2.1.2) that the tree
// of size size1 is a prefix of the tree of size size2. Check it with
// VerifyConsistency against Root(size1) and Root(size2). The proof is empty
// if size1 is 0 or equal to size2: every tree extends the empty tree and
// itself. Returns an *Error with code invalid unless size1 <= size2 <= Size().
func (t *Tree) ConsistencyProof(size1, size2 uint64) ([][]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if n := t.size(); size2 > n {
		return nil, Errorf(EInvalid, "Tree size %d is beyond the log's size %d.", size2, n)
	}
	if size1 > size2 {
		return nil, Errorf(EInvalid, "Tree size %d is greater than tree size %d.", size1, size2)
	}
	nodes, err := merkleproof.Consistency(size1, size2)
	if err != nil {
		return nil, Errorf(EInvalid, "Cannot prove consistency of tree sizes %d and %d: %v.", size1, size2, err)
	}
	return t.proof(nodes)
}

// proof fetches the perfect-subtree hashes a proof needs and lets the
// library fold those under the proof's ephemeral node (the root of the
// incomplete subtree at the right edge) into one hash. The caller holds
// t.mu for reading.
func (t *Tree) proof(nodes merkleproof.Nodes) ([][]byte, error) {
	p, err := nodes.Rehash(t.hashes(nodes.IDs), merkleHasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("events: merkle proof: %w", err)
	}
	return p, nil
}

// hashes returns copies of the hashes of the perfect subtrees ids, which must
// all lie within the tree. The copies share one allocation, each capped so
// that appending to one cannot overwrite the next. The caller holds t.mu for
// reading.
func (t *Tree) hashes(ids []compact.NodeID) [][]byte {
	buf := make([]byte, 32*len(ids))
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h := buf[32*i : 32*(i+1) : 32*(i+1)]
		copy(h, t.levels[id.Level].at(id.Index)[:])
		out[i] = h
	}
	return out
}

// VerifyInclusion checks that proof proves the leaf with leafHash at index is
// in the tree of the given size whose root is root. It returns an *Error with
// code invalid if it does not.
func VerifyInclusion(index, size uint64, leafHash [32]byte, proof [][]byte, root [32]byte) error {
	err := merkleproof.VerifyInclusion(merkleHasher, index, size, leafHash[:], proof, root[:])
	if err != nil {
		return merkleProofError(err, "Inclusion proof of leaf %d in tree size %d", index, size)
	}
	return nil
}

// VerifyConsistency checks that proof proves the tree of size size1 with root
// root1 is a prefix of the tree of size size2 with root root2. It returns an
// *Error with code invalid if it does not.
func VerifyConsistency(size1, size2 uint64, proof [][]byte, root1, root2 [32]byte) error {
	err := merkleproof.VerifyConsistency(merkleHasher, size1, size2, proof, root1[:], root2[:])
	if err != nil {
		return merkleProofError(err, "Consistency proof from tree size %d to %d", size1, size2)
	}
	return nil
}

// merkleProofError turns a verifier's error into an *Error. The library's root
// mismatch message prints hashes as decimal byte lists, so it is replaced.
func merkleProofError(err error, format string, args ...any) *Error {
	what := fmt.Sprintf(format, args...)
	if errors.As(err, new(merkleproof.RootMismatchError)) {
		return Errorf(EInvalid, "%s does not lead to the expected root.", what)
	}
	return Errorf(EInvalid, "%s is malformed: %v.", what, err)
}
