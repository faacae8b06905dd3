package events_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"sync"
	"testing"

	merkleproof "github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/mttq-vn/ledger/events"
)

// refLeafHash and refRoot are a deliberately naive RFC 6962 (section 2.1)
// reference, sharing no code with the package: MTH({}) = SHA-256(),
// MTH({d}) = SHA-256(0x00 || d), and MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k])
// || MTH(D[k:n])) for the largest power of two k < n.
func refLeafHash(data []byte) [32]byte {
	return sha256.Sum256(append([]byte{0x00}, data...))
}

func refRoot(leaves [][32]byte) [32]byte {
	switch n := len(leaves); n {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		l, r := refRoot(leaves[:k]), refRoot(leaves[k:])
		return sha256.Sum256(append(append([]byte{0x01}, l[:]...), r[:]...))
	}
}

// merkleTestLeaves returns n distinct leaf hashes.
func merkleTestLeaves(n int) [][32]byte {
	leaves := make([][32]byte, n)
	for i := range leaves {
		leaves[i] = refLeafHash(fmt.Appendf(nil, "leaf %d", i))
	}
	return leaves
}

// MustTree returns a tree holding leaves, in order.
func MustTree(tb testing.TB, leaves [][32]byte) *events.Tree {
	tb.Helper()
	var tree events.Tree
	for i, l := range leaves {
		if got, want := tree.Append(l), uint64(i+1); got != want {
			tb.Fatalf("Append() = %d, want %d", got, want)
		}
	}
	return &tree
}

func mustDecodeHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func mustRoot(tb testing.TB, tree *events.Tree, size uint64) [32]byte {
	tb.Helper()
	root, err := tree.Root(size)
	if err != nil {
		tb.Fatalf("Root(%d): %v", size, err)
	}
	return root
}

// The RFC 6962 test vectors used by certificate-transparency and
// transparency-dev/merkle: eight leaves and the roots of every prefix.
var (
	vectorLeaves = []string{"", "\x00", "\x10", "\x20\x21", "\x30\x31", "\x40\x41\x42\x43",
		"\x50\x51\x52\x53\x54\x55\x56\x57",
		"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f"}
	vectorRoots = []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
)

func vectorTree(tb testing.TB) *events.Tree {
	tb.Helper()
	var tree events.Tree
	for _, l := range vectorLeaves {
		tree.Append(events.LeafHash([]byte(l)))
	}
	return &tree
}

func TestMerkleLeafHash(t *testing.T) {
	for _, data := range vectorLeaves {
		if got, want := events.LeafHash([]byte(data)), refLeafHash([]byte(data)); got != want {
			t.Errorf("LeafHash(%x) = %x, want %x", data, got, want)
		}
		if got, want := events.LeafHash([]byte(data)), rfc6962.DefaultHasher.HashLeaf([]byte(data)); !bytes.Equal(got[:], want) {
			t.Errorf("LeafHash(%x) = %x, want rfc6962 %x", data, got, want)
		}
	}
}

func TestTreeRootVectors(t *testing.T) {
	tree := vectorTree(t)
	for size, want := range vectorRoots {
		got := mustRoot(t, tree, uint64(size))
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("Root(%d) = %x, want %s", size, got, want)
		}
	}
}

func TestTreeRootReference(t *testing.T) {
	const n = 130
	leaves := merkleTestLeaves(n)
	var tree events.Tree
	if got, want := mustRoot(t, &tree, 0), refRoot(nil); got != want {
		t.Fatalf("zero Tree: Root(0) = %x, want %x", got, want)
	}
	// The root of the current size, as the tree grows.
	for i, l := range leaves {
		tree.Append(l)
		size := uint64(i + 1)
		if got, want := tree.Size(), size; got != want {
			t.Fatalf("Size() = %d, want %d", got, want)
		}
		if got, want := mustRoot(t, &tree, size), refRoot(leaves[:size]); got != want {
			t.Errorf("after %d appends: Root(%d) = %x, want %x", size, size, got, want)
		}
	}
	// The roots of every earlier size, from the full tree.
	for size := 0; size <= n; size++ {
		if got, want := mustRoot(t, &tree, uint64(size)), refRoot(leaves[:size]); got != want {
			t.Errorf("Root(%d) = %x, want %x", size, got, want)
		}
	}
	for i, want := range leaves {
		got, err := tree.LeafHashAt(uint64(i))
		if err != nil || got != want {
			t.Errorf("LeafHashAt(%d) = %x, %v; want %x", i, got, err, want)
		}
	}
}

// TestInclusionProofVectors pins the RFC 6962 audit paths of the
// certificate-transparency test vectors, element by element.
func TestInclusionProofVectors(t *testing.T) {
	tests := []struct {
		index, size uint64
		want        []string
	}{
		{0, 1, nil},
		{0, 8, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{5, 8, []string{
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
		{2, 3, []string{
			"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		}},
		{1, 5, []string{
			"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		}},
	}
	tree := vectorTree(t)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%d", tt.index, tt.size), func(t *testing.T) {
			p, err := tree.InclusionProof(tt.index, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hexList(p), tt.want; !reflect.DeepEqual(got, want) {
				t.Errorf("InclusionProof(%d, %d) = %q, want %q", tt.index, tt.size, got, want)
			}
		})
	}
}

// TestConsistencyProofVectors pins the RFC 6962 consistency proofs of the
// certificate-transparency test vectors.
func TestConsistencyProofVectors(t *testing.T) {
	tests := []struct {
		size1, size2 uint64
		want         []string
	}{
		{0, 8, nil},
		{1, 1, nil},
		{1, 8, []string{
			"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
		}},
		{6, 8, []string{
			"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
		{2, 5, []string{
			"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
			"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		}},
		{6, 7, []string{
			"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
			"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
			"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		}},
	}
	tree := vectorTree(t)
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d/%d", tt.size1, tt.size2), func(t *testing.T) {
			p, err := tree.ConsistencyProof(tt.size1, tt.size2)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hexList(p), tt.want; !reflect.DeepEqual(got, want) {
				t.Errorf("ConsistencyProof(%d, %d) = %q, want %q", tt.size1, tt.size2, got, want)
			}
		})
	}
}

func hexList(hashes [][]byte) []string {
	var s []string
	for _, h := range hashes {
		s = append(s, hex.EncodeToString(h))
	}
	return s
}

// flipped returns a copy of p with one bit of p[i] flipped.
func flipped(p [][]byte, i int) [][]byte {
	q := make([][]byte, len(p))
	for j := range p {
		q[j] = bytes.Clone(p[j])
	}
	q[i][0] ^= 0x01
	return q
}

func TestInclusionProofAll(t *testing.T) {
	const n = 70
	leaves := merkleTestLeaves(n)
	tree := MustTree(t, leaves)
	for size := uint64(1); size <= n; size++ {
		root := mustRoot(t, tree, size)
		for index := uint64(0); index < size; index++ {
			p, err := tree.InclusionProof(index, size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", index, size, err)
			}
			leaf := leaves[index]
			if err := merkleproof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leaf[:], p, root[:]); err != nil {
				t.Errorf("library VerifyInclusion(%d, %d): %v", index, size, err)
			}
			if err := events.VerifyInclusion(index, size, leaf, p, root); err != nil {
				t.Errorf("VerifyInclusion(%d, %d): %v", index, size, err)
			}
			for i := range p {
				err := events.VerifyInclusion(index, size, leaf, flipped(p, i), root)
				if got, want := events.ErrorCode(err), events.EInvalid; got != want {
					t.Errorf("VerifyInclusion(%d, %d) with proof[%d] flipped: code %q, want %q", index, size, i, got, want)
				}
			}
			other := leaves[(index+1)%n]
			if err := events.VerifyInclusion(index, size, other, p, root); err == nil {
				t.Errorf("VerifyInclusion(%d, %d) of another leaf: got nil error", index, size)
			}
		}
	}
}

func TestConsistencyProofAll(t *testing.T) {
	const n = 70
	tree := MustTree(t, merkleTestLeaves(n))
	for size2 := uint64(0); size2 <= n; size2++ {
		root2 := mustRoot(t, tree, size2)
		for size1 := uint64(0); size1 <= size2; size1++ {
			root1 := mustRoot(t, tree, size1)
			p, err := tree.ConsistencyProof(size1, size2)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", size1, size2, err)
			}
			if err := merkleproof.VerifyConsistency(rfc6962.DefaultHasher, size1, size2, p, root1[:], root2[:]); err != nil {
				t.Errorf("library VerifyConsistency(%d, %d): %v", size1, size2, err)
			}
			if err := events.VerifyConsistency(size1, size2, p, root1, root2); err != nil {
				t.Errorf("VerifyConsistency(%d, %d): %v", size1, size2, err)
			}
			for i := range p {
				err := events.VerifyConsistency(size1, size2, flipped(p, i), root1, root2)
				if got, want := events.ErrorCode(err), events.EInvalid; got != want {
					t.Errorf("VerifyConsistency(%d, %d) with proof[%d] flipped: code %q, want %q", size1, size2, i, got, want)
				}
			}
			// A forked history: root1 of a different tree of the same size.
			if size1 > 0 {
				forged := root1
				forged[31] ^= 0x01
				if err := events.VerifyConsistency(size1, size2, p, forged, root2); err == nil {
					t.Errorf("VerifyConsistency(%d, %d) with a forged root1: got nil error", size1, size2)
				}
			}
		}
	}
}

func TestTreeErrors(t *testing.T) {
	tree := MustTree(t, merkleTestLeaves(5))
	tests := []struct {
		name string
		call func() error
	}{
		{"RootBeyondSize", func() error { _, err := tree.Root(6); return err }},
		{"LeafHashAtBeyondSize", func() error { _, err := tree.LeafHashAt(5); return err }},
		{"InclusionIndexAtSize", func() error { _, err := tree.InclusionProof(3, 3); return err }},
		{"InclusionSizeZero", func() error { _, err := tree.InclusionProof(0, 0); return err }},
		{"InclusionBeyondSize", func() error { _, err := tree.InclusionProof(0, 6); return err }},
		{"ConsistencySizesReversed", func() error { _, err := tree.ConsistencyProof(4, 3); return err }},
		{"ConsistencyBeyondSize", func() error { _, err := tree.ConsistencyProof(1, 6); return err }},
		{"VerifyInclusionShortProof", func() error {
			root := mustRoot(t, tree, 5)
			leaf, _ := tree.LeafHashAt(0)
			return events.VerifyInclusion(0, 5, leaf, nil, root)
		}},
		{"VerifyInclusionIndexBeyondSize", func() error {
			return events.VerifyInclusion(5, 5, [32]byte{}, nil, [32]byte{})
		}},
		{"VerifyConsistencySizesReversed", func() error {
			return events.VerifyConsistency(5, 4, nil, [32]byte{}, [32]byte{})
		}},
		{"VerifyConsistencyEqualSizesDifferentRoots", func() error {
			return events.VerifyConsistency(5, 5, nil, [32]byte{1}, [32]byte{2})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if got, want := events.ErrorCode(err), events.EInvalid; got != want {
				t.Errorf("code = %q (%v), want %q", got, err, want)
			}
		})
	}
}

// TestTreeProofIsACopy checks that callers own the proofs they get: changing
// one changes neither the tree nor the next proof.
func TestTreeProofIsACopy(t *testing.T) {
	tree := MustTree(t, merkleTestLeaves(8))
	p, err := tree.InclusionProof(0, 8)
	if err != nil {
		t.Fatal(err)
	}
	want := hexList(p)
	p[0][0] ^= 0xff
	p[0] = append(p[0], 0xff) // must not spill into p[1]
	q, err := tree.InclusionProof(0, 8)
	if err != nil {
		t.Fatal(err)
	}
	if got := hexList(q); !reflect.DeepEqual(got, want) {
		t.Errorf("proof after changing an earlier one = %q, want %q", got, want)
	}
	if got := hex.EncodeToString(p[1]); got != want[1] {
		t.Errorf("p[1] after appending to p[0] = %s, want %s", got, want[1])
	}
}

// TestTreeConcurrent runs one appender against readers that check roots and
// proofs of whatever size they see. Run it with -race.
func TestTreeConcurrent(t *testing.T) {
	const n = 3000
	leaves := merkleTestLeaves(n)
	var tree events.Tree
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for _, l := range leaves {
			tree.Append(l)
		}
	})
	for r := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				size := tree.Size()
				if size == 0 {
					continue
				}
				root, err := tree.Root(size)
				if err != nil {
					t.Errorf("reader %d: Root(%d): %v", r, size, err)
					return
				}
				index := uint64(i*7919+r) % size
				p, err := tree.InclusionProof(index, size)
				if err != nil {
					t.Errorf("reader %d: InclusionProof(%d, %d): %v", r, index, size, err)
					return
				}
				if err := events.VerifyInclusion(index, size, leaves[index], p, root); err != nil {
					t.Errorf("reader %d: %v", r, err)
				}
				size1 := size - size>>uint(1+i%4)
				root1, err := tree.Root(size1)
				if err != nil {
					t.Errorf("reader %d: Root(%d): %v", r, size1, err)
					return
				}
				later := tree.Size()
				c, err := tree.ConsistencyProof(size1, later)
				if err != nil {
					t.Errorf("reader %d: ConsistencyProof(%d, %d): %v", r, size1, later, err)
					return
				}
				root2, err := tree.Root(later)
				if err != nil {
					t.Errorf("reader %d: Root(%d): %v", r, later, err)
					return
				}
				if err := events.VerifyConsistency(size1, later, c, root1, root2); err != nil {
					t.Errorf("reader %d: %v", r, err)
				}
			}
		})
	}
	wg.Wait()
	if got, want := mustRoot(t, &tree, n), refRoot(leaves); got != want {
		t.Errorf("Root(%d) = %x, want %x", n, got, want)
	}
}

const benchLeaves = 1_000_000

// benchTree is one tree of benchLeaves leaves shared by the read benchmarks.
var benchTree = sync.OnceValue(func() *events.Tree {
	var tree events.Tree
	for i := range benchLeaves {
		tree.Append(events.LeafHash(fmt.Appendf(nil, "leaf %d", i)))
	}
	return &tree
})

// BenchmarkTreeAppend measures Append on a tree that already holds
// benchLeaves leaves.
func BenchmarkTreeAppend(b *testing.B) {
	var tree events.Tree
	for i := range benchLeaves {
		tree.Append(refLeafHash(fmt.Appendf(nil, "leaf %d", i)))
	}
	leaf := refLeafHash([]byte("next"))
	b.ReportAllocs()
	for b.Loop() {
		tree.Append(leaf)
	}
}

func BenchmarkRoot(b *testing.B) {
	tree := benchTree()
	// 1,000,000 has 7 one bits: Root folds 7 perfect subtrees.
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tree.Root(benchLeaves); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkInclusionProof(b *testing.B) {
	tree := benchTree()
	b.ReportAllocs()
	var i uint64
	for b.Loop() {
		i = (i + 7919) % benchLeaves
		if _, err := tree.InclusionProof(i, benchLeaves); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkConsistencyProof(b *testing.B) {
	tree := benchTree()
	b.ReportAllocs()
	var i uint64
	for b.Loop() {
		i = (i+7919)%(benchLeaves-1) + 1
		if _, err := tree.ConsistencyProof(i, benchLeaves); err != nil {
			b.Fatal(err)
		}
	}
}
