package projections

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestSortFlags: sorting in place gives what a sorted copy gives: by the
// latest cited position, then ID, one flag of each ID (flags of one ID are
// one flag raised twice, so which of them is kept does not matter).
func TestSortFlags(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for round := range 300 {
		n := rng.IntN(60)
		if round == 0 {
			n = 0
		}
		// Flags of one ID are the same flag (raised twice), as in Flags.
		pool := make([]Flag, n/2+1)
		for i := range pool {
			pool[i] = Flag{ID: fmt.Sprintf("f%d", i), Detail: fmt.Sprint(rng.IntN(1000))}
			for range rng.IntN(3) {
				pool[i].Cites = append(pool[i].Cites, Cite{Position: uint64(rng.IntN(10))})
			}
		}
		fs := make([]Flag, n)
		for i := range fs {
			fs[i] = pool[rng.IntN(len(pool))]
		}
		want := sortedCopy(fs)
		got := sortFlags(slices.Clone(fs))
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round %d: sorted in place\n%v\nwant\n%v", round, got, want)
		}
	}
}

// sortedCopy is the reference: a sorted copy by (latest cite, ID), one
// flag of each ID.
func sortedCopy(fs []Flag) []Flag {
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		pa, pb := lastCite(fs[a]), lastCite(fs[b])
		if pa != pb {
			if pa < pb {
				return -1
			}
			return 1
		}
		return strings.Compare(fs[a].ID, fs[b].ID)
	})
	out := []Flag{}
	for j, i := range idx {
		if j > 0 && fs[i].ID == fs[idx[j-1]].ID {
			continue
		}
		out = append(out, fs[i])
	}
	return out
}
