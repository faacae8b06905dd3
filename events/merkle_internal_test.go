package events

import (
	"crypto/sha256"
	"fmt"
	"testing"
)

// A tree cut back to n leaves is the tree of those n leaves, and grows
// again as that one would: across chunk boundaries, at powers of two and
// in between.
func TestTreeTruncate(t *testing.T) {
	leaf := func(i int) [32]byte { return sha256.Sum256(fmt.Appendf(nil, "leaf %d", i)) }
	for _, c := range []struct{ total, n int }{
		{10, 10}, {10, 7}, {10, 0}, {8, 4}, {9, 8}, {levelChunkLen*2 + 5, levelChunkLen}, {levelChunkLen*2 + 5, levelChunkLen + 3},
		{levelChunkLen * 3, levelChunkLen*2 - 1}, {levelChunkLen*2 + 5, 1},
	} {
		var cut, want Tree
		for i := range c.total {
			cut.Append(leaf(i))
		}
		cut.truncate(uint64(c.n))
		for i := range c.n {
			want.Append(leaf(i))
		}
		check := func(stage string) {
			t.Helper()
			if cut.Size() != want.Size() || len(cut.levels) != len(want.levels) {
				t.Fatalf("%d cut to %d, %s: size %d, %d levels; want %d, %d", c.total, c.n, stage, cut.Size(), len(cut.levels), want.Size(), len(want.levels))
			}
			for size := uint64(0); size <= want.Size(); size += max(1, want.Size()/50) {
				a, _ := cut.Root(size)
				b, _ := want.Root(size)
				if a != b {
					t.Fatalf("%d cut to %d, %s: root at %d differs", c.total, c.n, stage, size)
				}
			}
		}
		check("cut")
		// Grown again with other leaves than those cut off.
		for i := range c.total - c.n + 3 {
			cut.Append(leaf(1_000_000 + i))
			want.Append(leaf(1_000_000 + i))
		}
		check("grown again")
		a, _ := cut.Root(cut.Size())
		b, _ := want.Root(want.Size())
		if a != b {
			t.Fatalf("%d cut to %d, grown again: roots differ", c.total, c.n)
		}
	}
}
