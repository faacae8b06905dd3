package projections

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/mttq-vn/ledger/events"
)

// Flags against petitioners (domain.md §4.2), from petitions of one
// person: MU_REPEAT_PETITION, a complaint received after one of the same
// complainant on the same matter was finally decided (Luật Khiếu nại 2011
// Art. 11: not accepted again), and MU_FALSE_DENUNCIATION, a denunciation
// whose resolution concluded it untrue (Luật Tố cáo 2018 Art. 35), with how
// many of the same denouncer's were (Art. 8 forbids knowingly false ones).
// Both are for human review: the matter is compared by the words of the
// summaries, and an untrue denunciation need not be a knowing lie.
//
// A person is told apart by the petitioner's ID number, or else by name
// and address together (PetFacts.Petitioner); petitions with neither (an
// anonymous one) are no one's. The flags tell that two petitions came from
// one person, a citizen's personal data: they are withheld from readers
// who may not see it (Views.Withheld), and name no party. A petition is
// compared only with those of its own unit and the units below it, which
// every reader of its flags may read too (scopes are subtrees).

// petitionerKey identifies a petitioner across petitions: a digest of the
// ID number, or of the name and address, compared without regard to case,
// spaces or punctuation (diacritics count: Hoa and Hòa are different
// people); "" if p names neither.
func petitionerKey(p events.Person) string {
	var id string
	if id = strings.Join(nameWords(p.IDNumber), ""); id != "" {
		id = "id|" + id
	} else if name, addr := strings.Join(nameWords(p.Name), " "), strings.Join(nameWords(p.Address), " "); name != "" && addr != "" {
		id = "name|" + name + "|" + addr
	} else {
		return ""
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:12])
}

// petitionerOf returns the petitioner's key of a petition as its fields
// stand (its receipt's, and corrections of "petitioner.name" and the like).
func petitionerOf(it *Item) string {
	if a := string(it.Field("anonymous")); a == "true" || a == `"true"` { // as received, or corrected
		return ""
	}
	var p events.Person
	if raw := it.Field("petitioner"); raw != nil && json.Unmarshal(raw, &p) != nil {
		return ""
	}
	for key, to := range map[string]*string{"petitioner.name": &p.Name, "petitioner.address": &p.Address, "petitioner.id_number": &p.IDNumber} {
		if raw := it.Field(key); raw != nil {
			if s, ok := unquoteJSON(raw); ok {
				*to = s
			}
		}
	}
	return petitionerKey(p)
}

// words returns the folded words of s (letters and digits, without
// diacritics).
func words(s string) []string { return nameWords(foldText(s)) }

// nameWords returns the words of s (letters and digits) in lower case,
// diacritics kept.
func nameWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// similarity is the share, in percent, of the words of a and b that both
// have (of all the distinct words either has).
func similarity(a, b string) int {
	wa, wb := map[string]bool{}, map[string]bool{}
	for _, w := range words(a) {
		wa[w] = true
	}
	for _, w := range words(b) {
		wb[w] = true
	}
	both := 0
	for w := range wa {
		if wb[w] {
			both++
		}
	}
	all := len(wa) + len(wb) - both
	if all == 0 {
		return 0
	}
	return both * 100 / all
}

// summaryOf is a petition's summary as its receipt (or a correction of
// it) gave it: its title, the first 120 characters. (Its field may hold a
// resolution's or a closing's summary since.)
func summaryOf(it *Item) string { return it.Title }

// final is when a complaint's matter was finally decided, and the event
// that decided it: its second instance's resolution, or the second
// instance's decision not to accept it (the first decision stands), or
// else its first resolution once the complainant's time to take it
// further has passed (complaint.appeal, or complaint.appeal.remote, after
// the decision: the day after it) with no second instance filed; "" if
// none.
func (v *Views) final(f *PetFacts) (events.Date, Cite) {
	switch {
	case f.SecondResolvedOn != "":
		return f.SecondResolvedOn, f.SecondResolvedAt
	case f.SecondNotAcceptedOn != "":
		return f.SecondNotAcceptedOn, f.SecondNotAcceptedAt
	case f.ResolvedOn != "" && f.SecondFiledOn == "":
		rule := "complaint.appeal"
		if f.Remote {
			rule = "complaint.appeal.remote"
		}
		if last := v.due(rule, f.ResolvedOn, 0); last != "" {
			return AddDays(last, 1), f.ResolvedAt
		}
	}
	return "", Cite{}
}

// petitionerFlags raises MU_REPEAT_PETITION, MU_FALSE_DENUNCIATION and
// MU_ANONYMOUS_BULK at today. They are computed anew from every petition
// each time (like OB_NO_HEARING, across items): petitions are few beside
// the rest.
func (v *Views) petitionerFlags(today events.Date, raise raiseFunc) {
	th := v.cfg.Rules.Thresholds
	complaints := map[string][]*Item{} // by petitioner
	untrue := map[string][]*Item{}     // denunciations concluded untrue, by petitioner
	var people []string
	for _, it := range v.order[events.KindPetition] {
		f := it.Facts.Pet
		if f == nil {
			continue
		}
		switch {
		case f.Kind == events.PetitionComplaint && f.Petitioner != "" && f.ReceivedOn != "" && f.ReceivedOn <= today:
			if complaints[f.Petitioner] == nil && untrue[f.Petitioner] == nil {
				people = append(people, f.Petitioner)
			}
			complaints[f.Petitioner] = append(complaints[f.Petitioner], it)
		case f.Kind == events.PetitionDenunciation && f.Petitioner != "" && f.Conclusion == events.ConclusionUntrue && f.ResolvedOn != "" && f.ResolvedOn <= today:
			// (An anonymous one is no one's to flag.)
			if complaints[f.Petitioner] == nil && untrue[f.Petitioner] == nil {
				people = append(people, f.Petitioner)
			}
			untrue[f.Petitioner] = append(untrue[f.Petitioner], it)
		}
	}
	v.anonymousBulkFlags(today, raise)
	for _, who := range people {
		if cs := complaints[who]; len(cs) > 1 && th.RepeatPetitionSimilarity > 0 {
			v.repeatPetitionFlags(cs, th.RepeatPetitionSimilarity, raise)
		}
		if ds := untrue[who]; len(ds) >= th.FalseDenunciationCount && th.FalseDenunciationCount > 0 {
			v.falseDenunciationFlags(ds, th.FalseDenunciationCount, raise)
		}
	}
}

// repeatPetitionFlags raises MU_REPEAT_PETITION for each of one person's
// complaints received on or after the day another of theirs, received
// before it in its unit or below, was finally decided (final), if their
// summaries share at least similar percent of their words; it cites the
// most similar such one (of those alike, the latest decided).
func (v *Views) repeatPetitionFlags(cs []*Item, similar int, raise raiseFunc) {
	type decided struct {
		on events.Date
		at Cite
	}
	finals := make(map[*Item]decided, len(cs))
	for _, it := range cs {
		on, at := v.final(it.Facts.Pet)
		finals[it] = decided{on, at}
	}
	for _, it := range cs {
		f := it.Facts.Pet
		var earlier *Item
		best := 0
		for _, e := range cs {
			ef, on := e.Facts.Pet, finals[e].on
			if e == it || on == "" || on > f.ReceivedOn || ef.ReceivedOn > f.ReceivedOn || ef.ReceivedOn == f.ReceivedOn && e.Created > it.Created || !v.Within(e.Unit(), it.Unit()) {
				continue
			}
			if s := similarity(summaryOf(e), summaryOf(it)); s >= similar && (s > best || s == best && on > finals[earlier].on) {
				earlier, best = e, s
			}
		}
		if earlier == nil {
			continue
		}
		d := finals[earlier]
		raise("MU_REPEAT_PETITION", it.Stream(), it, "", it.Stream(), f.ReceivedOn,
			fmt.Sprintf("Khiếu nại của cùng người khiếu nại, %d%% từ ngữ tóm tắt trùng với %s đã được giải quyết xong từ ngày %s: cần xem xét có phải khiếu nại lại cùng nội dung không (the same complainant, %d%% of the summary's words alike %s, finally decided from %s: to review whether it repeats the same matter).",
				best, earlier.Stream(), d.on, best, earlier.Stream(), d.on),
			[]Cite{d.at, f.ReceivedAt})
	}
}

// falseDenunciationFlags raises MU_FALSE_DENUNCIATION for each of one
// person's denunciations concluded untrue from the count-th on (by the
// day of the conclusion) of those in its unit and below, citing the
// conclusions counted.
func (v *Views) falseDenunciationFlags(ds []*Item, count int, raise raiseFunc) {
	ds = slices.Clone(ds)
	slices.SortStableFunc(ds, func(a, b *Item) int {
		return cmp.Or(cmp.Compare(a.Facts.Pet.ResolvedOn, b.Facts.Pet.ResolvedOn), cmp.Compare(a.Created, b.Created))
	})
	for i, it := range ds {
		f := it.Facts.Pet
		var cs []Cite
		for _, d := range ds[:i+1] {
			if v.Within(d.Unit(), it.Unit()) {
				cs = append(cs, d.Facts.Pet.ResolvedAt)
			}
		}
		n := len(cs) // this one's number among the person's
		if n < count {
			continue
		}
		raise("MU_FALSE_DENUNCIATION", it.Stream(), it, "", it.Stream(), f.ResolvedOn,
			fmt.Sprintf("Tố cáo được kết luận là sai, lần thứ %d của người tố cáo này: cần xem xét có cố ý tố cáo sai sự thật không (concluded untrue, %d of this denouncer's so far: to review whether it was knowingly false).", n, n),
			cs)
	}
}

// anonymousBulkFlags raises MU_ANONYMOUS_BULK (domain.md §4.2; Luật Tố cáo
// 2018 Art. 25) at today on an anonymous denunciation forwarded to be
// resolved (the law does not resolve one unless its content is clear and
// backed by evidence: to review), and on each petition from the
// bulk_count-th on of those of one unit with the same summary (its words
// folded) received within bulk_window_days through more than one channel,
// citing their receipts.
func (v *Views) anonymousBulkFlags(today events.Date, raise raiseFunc) {
	th := v.cfg.Rules.Thresholds
	same := map[string][]*Item{}
	var summaries []string
	for _, it := range v.order[events.KindPetition] {
		f := it.Facts.Pet
		if f == nil || f.ReceivedOn == "" || f.ReceivedOn > today {
			continue
		}
		if f.Anonymous && f.Kind == events.PetitionDenunciation && f.ForwardedOn != "" && f.ForwardedOn <= today {
			raise("MU_ANONYMOUS_BULK", it.Stream()+"|anonymous", it, "", it.Stream(), f.ForwardedOn,
				"Tố cáo nặc danh được chuyển để giải quyết; Luật Tố cáo 2018 Điều 25 không xử lý tố cáo nặc danh trừ khi nội dung rõ ràng, có chứng cứ cụ thể: cần xem xét (an anonymous denunciation forwarded to be resolved; the law does not resolve one unless its content is clear and backed by evidence: to review).",
				cites(f.ReceivedAt, f.ForwardedAt))
		}
		if th.BulkCount > 1 {
			// Of one unit: readers of the flag read every petition it cites.
			if key := strings.Join(words(summaryOf(it)), " "); key != "" {
				key += "|" + it.Unit()
				if same[key] == nil {
					summaries = append(summaries, key)
				}
				same[key] = append(same[key], it)
			}
		}
	}
	for _, key := range summaries {
		its := same[key]
		if len(its) < th.BulkCount {
			continue
		}
		its = slices.Clone(its)
		slices.SortStableFunc(its, func(a, b *Item) int {
			return cmp.Or(cmp.Compare(a.Facts.Pet.ReceivedOn, b.Facts.Pet.ReceivedOn), cmp.Compare(a.Created, b.Created))
		})
		first := 0 // of the petitions within the window of the i-th
		for i, it := range its {
			f := it.Facts.Pet
			from := AddDays(f.ReceivedOn, -th.BulkWindowDays)
			for its[first].Facts.Pet.ReceivedOn < from {
				first++
			}
			in := its[first : i+1]
			if len(in) < th.BulkCount || !slices.ContainsFunc(in, func(o *Item) bool { return o.Facts.Pet.Channel != f.Channel }) {
				continue
			}
			cs := make([]Cite, 0, len(in))
			for _, o := range in {
				cs = append(cs, o.Facts.Pet.ReceivedAt)
			}
			raise("MU_ANONYMOUS_BULK", it.Stream()+"|bulk", it, "", it.Stream(), f.ReceivedOn,
				fmt.Sprintf("%d đơn cùng nội dung tóm tắt nhận qua nhiều kênh trong %d ngày: cần xem xét đơn trùng lặp, gửi hàng loạt (%d petitions with the same summary through more than one channel within %d days: to review as bulk duplicates).",
					len(in), th.BulkWindowDays, len(in), th.BulkWindowDays),
				cs)
		}
	}
}
