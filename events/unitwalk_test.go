package events_test

import (
	"fmt"
	"testing"

	"github.com/mttq-vn/ledger/events"
)

// countingTree is an events.UnitTree in memory that counts the links read.
type countingTree struct {
	parent             map[string]string
	preds, succ, taken map[string][]string
	reads              int
}

func newCountingTree() *countingTree {
	return &countingTree{parent: map[string]string{}, preds: map[string][]string{}, succ: map[string][]string{}, taken: map[string][]string{}}
}

func (t *countingTree) add(id, parent string, preds, succ []string) {
	t.parent[id], t.preds[id], t.succ[id] = parent, preds, succ
	for _, p := range preds {
		t.taken[p] = append(t.taken[p], id)
	}
}

func (t *countingTree) UnitLinks(id string) (string, []string, []string, bool) {
	t.reads++
	p, ok := t.parent[id]
	return p, t.preds[id], t.succ[id], ok
}

func (t *countingTree) TakenBy(id string) []string { return t.taken[id] }

// TestUnitWalkReadsEachStepOnce: the scope walk reads a unit's links at
// most twice (once before a supersession is followed on its way up, once
// after), however the units' parents, successors and takers cross: 2,000
// units each the parent of the next, each naming the two before as
// predecessors and superseded by the two after, read in about 4,000 steps
// (helper-62: the walk went up each shared parent chain again from every
// branch, 3.9 s here), and a 2,000-deep chain under units that all cycle
// back ends.
func TestUnitWalkReadsEachStepOnce(t *testing.T) {
	const n = 2000
	id := func(i int) string { return fmt.Sprintf("u%05d", i) }
	tr := newCountingTree()
	tr.add("root", "", nil, nil)
	for i := 0; i < n; i++ {
		var preds, succ []string
		for _, j := range []int{i - 1, i - 2} {
			if j >= 0 {
				preds = append(preds, id(j))
			}
		}
		for _, j := range []int{i + 1, i + 2} {
			if j < n {
				succ = append(succ, id(j))
			}
		}
		parent := "root"
		if i > 0 {
			parent = id(i - 1)
		}
		tr.add(id(i), parent, preds, succ)
	}
	if events.UnitScope(tr, "elsewhere")(id(0)) {
		t.Fatal("u00000 within a unit that is not in the tree")
	}
	if tr.reads > 2*(n+1) {
		t.Errorf("one walk over %d units read %d links, want at most %d", n+1, tr.reads, 2*(n+1))
	}
	// A cycle of parents, successors and takers together ends, and the
	// scope is still found through it.
	cyc := newCountingTree()
	cyc.add("a", "b", []string{"c"}, []string{"b"})
	cyc.add("b", "a", []string{"a"}, []string{"c"})
	cyc.add("c", "a", []string{"b"}, []string{"a", "s"})
	cyc.add("s", "", nil, nil)
	if !events.UnitScope(cyc, "s")("a") {
		t.Error("a, whose records pass through b and c to s, not within s")
	}
}
