package projections

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/mttq-vn/ledger/events"
)

// OB_RECURRING_ISSUE (domain.md §4.1): a body gets a recommendation on a
// topic from one supervision while one on the same topic from an earlier
// supervision is still open (neither verified implemented, closed nor
// withdrawn on the later one's issue day). It is raised once for each
// supervision and body (one cycle: its other recommendations on the topic
// repeat the signal), on the first such recommendation, on its issue
// day, against the body, and stays raised when the earlier one ends: it
// records what the body had left open when the issue came up again.
//
// Recommendations are grouped by addressee and by the topic of the
// supervision they came from (folded: case and diacritics aside), those
// confidential or from a confidential supervision apart from the others; a
// recommendation's addressee and source are not corrected, so a
// recommendation stays in its group while no supervision's topic is. The
// groups are kept in the flag cache and extended with the recommendations
// issued since the last computation; a group's flags are computed again
// only when one of its recommendations changed. A corrected topic
// (Views.topicGen) has them all made again, by a full computation of the
// flags (assembleFlags does not update the cached ones then).

// recurringIndex groups the recommendations of v.order[KindRecommendation]
// [:n] that came from supervisions.
type recurringIndex struct {
	n      int
	gen    uint64 // Views.topicGen when the groups were made
	groups map[string]*recurringGroup
	// of is the group of each recommendation grouped.
	of map[*Item]*recurringGroup
	// multi are the groups with recommendations of two supervisions or
	// more (the others raise nothing), in the order they became so.
	multi []*recurringGroup
}

// recurringGroup is one addressee and topic: its recommendations, and the
// flags they raised (at every date) when it had n of them, the latest
// changed at pos.
type recurringGroup struct {
	its    []*Item
	source string // the first recommendation's supervision
	// confidential: of recommendations that are confidential or come
	// from a confidential supervision.
	confidential bool
	multi        bool
	n            int
	pos          uint64
	flags        []Flag
}

// recurringFlags raises OB_RECURRING_ISSUE at today: collect returns what
// its function raised (and takes it back), emit raises a flag as it is.
// With update, the cached flags hold what the groups raised when they were
// last computed, and changed lists the recommendations changed since
// (new ones too): only their groups have their flags replaced (the old
// ones go to remove). Else every group's are raised, computed again if one
// of its recommendations changed.
func (v *Views) recurringFlags(today events.Date, update bool, changed []*Item, raise raiseFunc, collect func(func()) []Flag, emit, remove func(Flag)) {
	x := v.cache.recurring
	if x == nil || x.gen != v.topicGen {
		// (Not with update: assembleFlags does not update then.)
		x = &recurringIndex{gen: v.topicGen, groups: map[string]*recurringGroup{}, of: map[*Item]*recurringGroup{}}
		v.cache.recurring = x
	}
	recs := v.order[events.KindRecommendation]
	for _, it := range recs[x.n:] {
		f := it.Facts.Rec
		if f == nil || f.SourceKind != events.SourceSupervision || f.Addressee == "" {
			continue
		}
		sup := v.items[events.StreamName(events.KindSupervision, f.SourceID)]
		if sup == nil || sup.Facts.Sup == nil || sup.Facts.Sup.Topic == "" {
			continue
		}
		key := f.Addressee + "|" + sup.Facts.Sup.Topic
		// Apart: a public flag would name a confidential recommendation
		// and its date, or tell a confidential supervision's topic, to
		// readers who may not see them.
		confidential := it.Opened == events.Confidential || sup.Opened == events.Confidential
		if confidential {
			key += "|confidential"
		}
		g := x.groups[key]
		if g == nil {
			g = &recurringGroup{source: f.SourceID, confidential: confidential}
			x.groups[key] = g
		}
		g.its = append(g.its, it)
		x.of[it] = g
		if !g.multi && f.SourceID != g.source {
			g.multi = true
			x.multi = append(x.multi, g)
		}
	}
	x.n = len(recs)
	groups := x.multi
	if update {
		// Only the groups of the recommendations changed.
		groups = nil
		seen := map[*recurringGroup]bool{}
		for _, it := range changed {
			if g := x.of[it]; g != nil && g.multi && !seen[g] {
				seen[g] = true
				groups = append(groups, g)
			}
		}
	}
	for _, g := range groups {
		var pos uint64
		for _, it := range g.its {
			pos = max(pos, it.Updated)
		}
		changed := pos != g.pos || len(g.its) != g.n
		if changed {
			if update {
				for _, f := range g.flags {
					if f.RaisedOn <= today {
						remove(f)
					}
				}
			}
			g.flags = collect(func() { recurringGroupFlags(g, raise) })
			g.pos, g.n = pos, len(g.its)
		}
		if changed || !update {
			for _, f := range g.flags {
				if f.RaisedOn <= today {
					emit(f)
				}
			}
		}
	}
}

// recurringGroupFlags raises OB_RECURRING_ISSUE for the first
// recommendation of each supervision in g (one addressee and topic) issued
// while one of another supervision, issued on an earlier day, was open.
// In issue order, it keeps the two earlier recommendations open longest
// whose supervisions differ: one of them is open on a day if any of
// another supervision than a given one is.
func recurringGroupFlags(g *recurringGroup, raise raiseFunc) {
	sorted := slices.Clone(g.its)
	raised := map[string]bool{} // the supervisions flagged
	slices.SortStableFunc(sorted, func(a, b *Item) int { return cmp.Compare(a.Facts.Rec.IssuedOn, b.Facts.Rec.IssuedOn) })
	// later reports whether a stays open longer than b ("" is open).
	later := func(a, b *Item) bool {
		ea, eb := a.Facts.Rec.endedOn(), b.Facts.Rec.endedOn()
		return eb != "" && (ea == "" || ea > eb)
	}
	openOn := func(it *Item, d events.Date) bool {
		e := it.Facts.Rec.endedOn()
		return e == "" || e > d
	}
	var first, second *Item // second: of another supervision than first's
	for i := 0; i < len(sorted); {
		day := sorted[i].Facts.Rec.IssuedOn
		j := i
		for j < len(sorted) && sorted[j].Facts.Rec.IssuedOn == day {
			j++
		}
		for _, it := range sorted[i:j] {
			f := it.Facts.Rec
			if raised[f.SourceID] {
				continue
			}
			var earlier *Item
			for _, e := range []*Item{first, second} {
				if e != nil && e.Facts.Rec.SourceID != f.SourceID && openOn(e, day) {
					earlier = e
					break
				}
			}
			if earlier == nil {
				continue
			}
			ef := earlier.Facts.Rec
			raised[f.SourceID] = true
			key := events.StreamName(events.KindSupervision, f.SourceID) + "|" + f.Addressee
			if g.confidential {
				key += "|confidential"
			}
			subject := it.Stream()
			if g.confidential && it.Opened != events.Confidential {
				// Public, from a confidential supervision: the flag is
				// about that one, which Withheld hides.
				subject = events.StreamName(events.KindSupervision, f.SourceID)
			}
			raise("OB_RECURRING_ISSUE", key, it, f.Addressee, subject, day,
				fmt.Sprintf("Kiến nghị cùng nội dung với %s (cuộc giám sát %s, ban hành %s) khi kiến nghị đó chưa được giải quyết (the same topic as %s, from supervision %s issued %s, still open).",
					earlier.Stream(), ef.SourceID, ef.IssuedOn, earlier.Stream(), ef.SourceID, ef.IssuedOn),
				[]Cite{ef.IssuedAt, f.IssuedAt})
		}
		for _, it := range sorted[i:j] {
			switch src := it.Facts.Rec.SourceID; {
			case first == nil:
				first = it
			case later(it, first):
				if src != first.Facts.Rec.SourceID {
					second = first
				}
				first = it
			case src != first.Facts.Rec.SourceID && (second == nil || later(it, second)):
				second = it
			}
		}
		i = j
	}
}
