package projections

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// Flag is a derived signal of obstruction (OB_*) or misuse (MU_*)
// (domain.md §4). Flags are computed from the log and the rule table at a
// date, never stored; only an inspector's review of one is an event. They
// are signals for overseers, not findings of violation.
type Flag struct {
	ID          string `json:"id"`
	Code        string `json:"code"`
	Title       string `json:"title"`
	RuleVersion string `json:"rule_version"`
	LegalBasis  string `json:"legal_basis"`
	// Against says whom the signal is about: "respondent" for
	// obstruction, "supervisor" for misuse of supervision powers,
	// "petitioner" for a citizen's misuse of complaints and denunciations.
	Against string `json:"against"`
	Party   string `json:"party,omitempty"`
	Unit    string `json:"unit"`
	// Subject is the stream the flag is about, or "party/<id>" or
	// "unit/<id>" for a pattern across items.
	Subject  string      `json:"subject"`
	RaisedOn events.Date `json:"raised_on"`
	Detail   string      `json:"detail"`
	// Threshold is the configured number the pattern is measured
	// against, for the flags that have one (Thresholds.of).
	Threshold int    `json:"threshold,omitempty"`
	Cites     []Cite `json:"cites"`
	// Status is open or reviewed; a pattern reviewed before some of the
	// events it counts is open again, with its last Review.
	Status string     `json:"status"`
	Review *FlagFacts `json:"review,omitempty"`
	// day is RaisedOn as a day number (noDay if not a valid date), for
	// the index that reports count by (reading the dates' strings was
	// most of making it after a write).
	day int32
	// secret is set on a pattern across records that counts a deadline
	// readers who may not see confidential data do not see whole: its
	// dates and ID come from it (Withheld).
	secret bool
}

// flagInfo describes one flag code.
type flagInfo struct {
	title, basis, against string
}

// FlagCodes describes every flag the read side raises: a Vietnamese and
// English title, the legal basis, and whom it is about.
var FlagCodes = map[string]flagInfo{
	"OB_NO_RESPONSE":            {"Không trả lời kiến nghị đúng hạn (No answer to a recommendation by its due date)", "Luật MTTQ 2015 Điều 29, 30; NQLT 403/2017", "respondent"},
	"OB_LATE_RESPONSE":          {"Trả lời kiến nghị quá hạn (Late answer to a recommendation)", "Luật MTTQ 2015 Điều 29, 30; NQLT 403/2017", "respondent"},
	"OB_REPEAT_LATE":            {"Nhiều lần trả lời chậm hoặc không trả lời trong 12 tháng (Repeatedly late or missing answers in 12 months)", "Luật MTTQ 2015 Điều 30 (dẫn xuất)", "respondent"},
	"OB_EMPTY_RESPONSE":         {"Trả lời không nêu rõ tiếp thu hay giải trình (Answer with no outcome or no explanation)", "Luật MTTQ 2015 Điều 36; Luật BHVBQPPL 2025 Điều 6.4", "respondent"},
	"OB_DOC_REFUSED":            {"Từ chối hoặc không cung cấp tài liệu (Documents refused or not provided in time)", "NQLT 403/2017 Điều 23.1", "respondent"},
	"OB_SUBJECT_REPORT_OVERDUE": {"Chủ thể được giám sát không gửi báo cáo đúng hạn (Subject's report overdue)", "NQLT 403/2017 Điều 8", "respondent"},
	"OB_SESSION_POSTPONED":      {"Chủ thể nhiều lần đề nghị hoãn làm việc (Subject repeatedly postponed sessions)", "NQLT 403/2017 Điều 23.1 (dẫn xuất)", "respondent"},
	"OB_DRAFT_LATE":             {"Gửi dự thảo phản biện muộn (Draft sent for critique too late)", "Luật MTTQ 2015 Điều 36.1", "respondent"},
	"OB_DRAFT_BYPASS":           {"Thông qua dự thảo khi chưa trả lời phản biện (Draft adopted without answering the critique)", "Luật MTTQ 2015 Điều 36; Luật BHVBQPPL 2025 Điều 6", "respondent"},
	"OB_NOT_IMPLEMENTED":        {"Không thực hiện kiến nghị đã cam kết (Committed implementation not done)", "Luật MTTQ 2015 Điều 30", "respondent"},
	"OB_RECURRING_ISSUE":        {"Vấn đề tái diễn khi kiến nghị trước chưa được giải quyết (Same topic recommended again while the earlier recommendation is open)", "Luật MTTQ 2015 Điều 30 (dẫn xuất)", "respondent"},
	"OB_RETALIATION_SIGNAL":     {"Dấu hiệu trù dập người khiếu nại, tố cáo hoặc người giám sát (A sign of retaliation against a petitioner or a supervisor)", "Luật Khiếu nại 2011 Điều 6; Luật Tố cáo 2018 Điều 8 (người khiếu nại, tố cáo); với thành viên đoàn giám sát: cần xác minh căn cứ", "respondent"},
	"OB_NO_HEARING":             {"Không nghe MTTQ thông báo kết quả giám sát 6 tháng (No six-monthly hearing of supervision results)", "Luật MTTQ 2015 Điều 30.1", "respondent"},
	"OB_RECEPTION_BELOW_MIN":    {"Chủ tịch UBND tiếp công dân ít hơn mức tối thiểu (The chair received citizens on fewer days than the legal minimum)", "Luật Tiếp công dân 2013 Điều 12.5, 13.5, 15.2", "respondent"},
	"OB_INFO_SILENT":            {"Không cung cấp, từ chối hoặc thông báo thời hạn đúng luật (Information request left unanswered)", "Luật Tiếp cận thông tin 2016 Điều 29-31", "respondent"},
	"OB_COMPLAINT_NOT_ACCEPTED": {"Không thụ lý khiếu nại đúng hạn (Complaint not accepted in time)", "Luật Khiếu nại 2011 Điều 27, 36", "respondent"},
	"OB_COMPLAINT_OVERDUE":      {"Giải quyết khiếu nại quá hạn (Complaint resolution overdue)", "Luật Khiếu nại 2011 Điều 28, 37", "respondent"},
	"OB_DENUNCIATION_OVERDUE":   {"Giải quyết tố cáo quá hạn (Denunciation resolution overdue)", "Luật Tố cáo 2018 Điều 30", "respondent"},
	"OB_VOTER_PETITION_OVERDUE": {"Không trả lời hoặc trả lời kiến nghị cử tri quá hạn (Voters' petition not answered in time)", "Quyết định 33/2017/QĐ-TTg Điều 12", "respondent"},
	"OB_FORWARD_NO_FEEDBACK":    {"Không thông báo kết quả cho MTTQ đã chuyển đơn (No result notice to the forwarding MTTQ)", "Luật Tố cáo 2011 Điều 44", "respondent"},
	"MU_OUT_OF_SCOPE_CONTENT":   {"Nội dung giám sát có thể ngoài phạm vi (Supervision topic perhaps out of scope)", "Luật MTTQ 2015 Điều 26.2", "supervisor"},
	"MU_OUT_OF_SCOPE_SUBJECT":   {"Đối tượng giám sát ngoài phạm vi (Supervision subject out of scope)", "Luật MTTQ 2015 Điều 26.1", "supervisor"},
	"MU_NO_DECISION":            {"Làm việc khi chưa có quyết định hoặc thông báo giám sát (Session held before the decision or notice)", "Luật MTTQ 2015 Điều 29.1; NQLT 403/2017 Điều 7", "supervisor"},
	"MU_OVERLAP":                {"Giám sát chồng chéo cùng nội dung, cùng đối tượng (Overlapping supervisions)", "Luật MTTQ 2015 Điều 25.3 (không chồng chéo)", "supervisor"},
	"MU_OVERBURDEN":             {"Giám sát quá dày gây cản trở hoạt động (Supervision over-burdens the subject)", "Luật MTTQ 2015 Điều 25.3 (không làm cản trở)", "supervisor"},
	"MU_POWER_OVERREACH":        {"Kiến nghị mang tính mệnh lệnh, vượt thẩm quyền (Recommendation orders rather than recommends)", "Luật MTTQ 2015 Điều 25.1", "supervisor"},
	"MU_ANONYMOUS_BULK":         {"Đơn nặc danh được xử lý, hoặc đơn trùng lặp gửi hàng loạt (An anonymous denunciation processed, or bulk duplicate petitions)", "Luật Tố cáo 2018 Điều 25", "petitioner"},
	"MU_REPEAT_PETITION":        {"Khiếu nại lại nội dung đã được giải quyết (A complaint again on a matter already decided)", "Luật Khiếu nại 2011 Điều 11", "petitioner"},
	"MU_FALSE_DENUNCIATION":     {"Tố cáo được kết luận là sai (A denunciation concluded untrue)", "Luật Tố cáo 2018 Điều 8, 35", "petitioner"},
	"MU_BOARD_INCITEMENT":       {"Phản ánh thành viên Ban Thanh tra nhân dân kích động, lôi kéo người dân (An allegation that a People's Inspection Board member incited or lured people)", "Nghị định 59/2023/NĐ-CP Điều 12", "supervisor"},
	"MU_CONFLICT_OF_INTEREST":   {"Thành viên đoàn giám sát có quan hệ với đối tượng giám sát (A member of the delegation tied to the subject)", "Nguyên tắc khách quan của giám sát; Nghị định 59/2023/NĐ-CP Điều 12 (Ban Thanh tra nhân dân)", "supervisor"},
	"MU_CONFIDENTIAL_LEAK":      {"Nội dung mật hoặc danh tính người tố cáo bị công khai (Confidential content or a denouncer's identity made public)", "Luật Tố cáo 2018 Điều 47-48; bảo vệ bí mật", "supervisor"},
}

// ruleBasis lists, by code, the rules whose flags cite the rule table's
// basis of that rule rather than the code's: a denunciation's intake (Art.
// 24), not its resolution (Art. 30).
var ruleBasis = map[string]map[string]bool{
	"OB_DENUNCIATION_OVERDUE": {"denunciation.intake": true},
}

// FlagID returns the identifier of the flag with code about key: the code
// and a digest of the key, so that a flag keeps its ID across rebuilds and
// its review stream can be named before anyone reviews it.
func FlagID(code, key string) string {
	sum := sha256.Sum256([]byte(code + "|" + key))
	return code + "-" + hex.EncodeToString(sum[:12])
}

// flagCache holds what queries derive from the views at one position:
// flags at a date and unit scopes. Each part remembers the position it was
// computed at, so Apply (on the hot path) never touches it.
type flagCache struct {
	mu       sync.Mutex
	flagsPos uint64
	today    events.Date
	flags    []Flag
	index    *flagIndex // of flags, made when first asked
	// overlaps are the MU_OVERLAP flags of pairs of supervisions, kept
	// while the two do not change; overlapGen marks the pairs seen by the
	// latest computation (the others are dropped after it).
	overlaps   map[overlapKey]overlapMemo
	overlapGen uint64
	// overburden is the MU_OVERBURDEN flag of each subject and quarter,
	// kept while the same supervisions, unchanged, make it.
	overburden map[string]overburdenMemo
	// supervision holds MU_OVERBURDEN and MU_OVERLAP flags as the latest
	// computation raised them, when no supervision had changed since
	// Views.supGen was supGen (and units and parties since flagEpoch was
	// epoch): they read supervisions only, and not the date. After a write
	// to anything else (the usual case) they are used as they are.
	supervision       []Flag
	supGen, supEpoch  uint64
	supervisionsValid bool
	// raw is how many flags the latest full computation raised before
	// duplicates were dropped: the next one's starting capacity.
	raw int
	// epoch is Views.flagEpoch when flags were computed; updatable is
	// set when the last full assembly raised no ID twice (an update that
	// does gives way to a full assembly); across are the keys of the
	// OB_NO_HEARING flags among them, raised again by every computation,
	// and repeatKeys the key of each party's OB_REPEAT_LATE; late holds
	// each party's late or missing answers (see assembleFlags).
	epoch      uint64
	updatable  bool
	across     []flagKey
	repeatKeys map[string]flagKey
	late       map[string][]lateRef
	// updated counts the computations that updated the cached flags
	// (fewer of them reading only the items changed), full those that
	// assembled them anew.
	updated, fewer, full uint64
	// spare are the flags replaced last, computed at sparePos, whose array
	// the next computation fills (see Flags).
	spare    []Flag
	sparePos uint64
	// firstRec is each unit's first recommendation issued, as the last
	// computation found it (OB_NO_HEARING); nil if it failed.
	firstRec map[string]*Item
	// recurring groups recommendations for OB_RECURRING_ISSUE, with each
	// group's flags (recurringFlags).
	recurring *recurringIndex
	// outOfScope are MU_OUT_OF_SCOPE_CONTENT's phrases, folded at the
	// first computation.
	outOfScope phrases
	// smu guards scopes and takers: flags are computed with mu held and
	// use scopes. They are kept while flagEpoch is scopesEpoch.
	smu         sync.Mutex
	scopesEpoch uint64
	scopes      map[string]map[string]bool
	// takers lists, for each unit, the units that name it among their
	// predecessor_ids; passedTo the units whose records passed to it (its
	// predecessor_ids and the units naming it in their successor_ids).
	takers, passedTo map[string][]string
}

// Withheld reports whether the flag is about an item r withholds
// (Redaction.Withholds). Such a flag is not shown to that reader at all:
// its party, detail and dates restate the record's confidential fields,
// and even its ID is made from its party (FlagID), which a reader could
// find by trying each party.
func (v *Views) Withheld(f *Flag, r Redaction) bool {
	if f.Against == "petitioner" && r&(HidePersonal|HideDenouncer) != 0 {
		return true // it tells which petitions one citizen made
	}
	if f.secret && r&HideConfidential != 0 {
		return true // its dates are a withheld deadline's
	}
	it := v.items[f.Subject]
	if it == nil {
		return false
	}
	switch f.Code {
	case "OB_RETALIATION_SIGNAL":
		if r&HideDenouncer != 0 && it.Facts.Pet != nil && it.Facts.Pet.Kind == events.PetitionDenunciation {
			return true // the body would learn that whom it acted against denounced
		}
	}
	if r&HideConfidential != 0 && it.Public != nil && it.Public.hides(it, f.Party, f.Cites) {
		// It cites a confidential event (its detail restates a confidential
		// adverse action, declared interest or allegation, say), or names
		// whom only one named.
		return true
	}
	return r.Withholds(it)
}

// Flags returns every flag at today, sorted by the position of the latest
// event it cites, then ID. The result is shared: callers must not change
// it, nor keep it once they have let go of the views (a computation at a
// later position, after an Apply, may reuse its array).
func (v *Views) Flags(today events.Date) []Flag {
	c := v.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flags != nil && c.today == today && c.flagsPos == v.pos {
		return c.flags
	}
	fs := v.computeFlags(today, len(c.flags))
	// The flags replaced are kept to be filled anew at a later position,
	// if they were of an earlier one: their readers have let go of the
	// views for an Apply since. (Flags of another date at this position
	// may still be being read.) At a million events they are nearly
	// 30 MB, which fresh memory costs tens of milliseconds to fault in.
	c.spare, c.sparePos = nil, 0
	if c.flags != nil && c.flagsPos < v.pos {
		c.spare, c.sparePos = c.flags, c.flagsPos
	}
	c.flags, c.today, c.flagsPos, c.index, c.epoch = fs, today, v.pos, nil, v.flagEpoch
	return fs
}

// buffer returns the kept flags emptied, to be filled anew, if there is
// room in them for n; else a new slice.
func (c *flagCache) buffer(n int, pos uint64) []Flag {
	if c.spare != nil && cap(c.spare) >= n && c.sparePos < pos {
		b := c.spare[:0]
		c.spare = nil
		return b
	}
	return make([]Flag, 0, n)
}

// flagRef is a flag: its index in Flags, the day it was raised (noDay if
// not a valid date) and its code's index in flagCodeList (-1 if unknown).
type flagRef struct {
	i, day int32
	code   int16
}

// flagCodeList lists the flag codes in order; flagCodeIndex inverts it.
var flagCodeList, flagCodeIndex = func() ([]string, map[string]int16) {
	list := slices.Sorted(maps.Keys(FlagCodes))
	index := map[string]int16{}
	for i, c := range list {
		index[c] = int16(i)
	}
	return list, index
}()

// flagIndex indexes the flags at one position and date. Each part is made
// when first asked for (a trail needs one, the reports the other): after
// every write they are made again.
type flagIndex struct {
	openByUnit map[string][]flagRef // the open flags of each unit
	byParty    map[string][]int32   // every flag of each party
}

// flagsIndexed returns Flags(today) and its index, with the part byParty
// or openByUnit made (both shared: callers must not change them).
func (v *Views) flagsIndexed(today events.Date, byParty bool) ([]Flag, *flagIndex) {
	fs := v.Flags(today)
	c := v.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	x := c.index
	if c.today != today || c.flagsPos != v.pos {
		// Another date's flags were cached meanwhile: index these
		// without keeping the index.
		x = &flagIndex{}
	} else if x == nil {
		x = &flagIndex{} // of the same flags as fs: same position and date
		c.index = x
	}
	if byParty && x.byParty == nil {
		x.byParty = map[string][]int32{}
		for i := range fs {
			if f := &fs[i]; f.Party != "" {
				x.byParty[f.Party] = append(x.byParty[f.Party], int32(i))
			}
		}
	}
	if !byParty && x.openByUnit == nil {
		x.openByUnit = map[string][]flagRef{}
		for i := range fs {
			if f := &fs[i]; f.Status == "open" {
				code, ok := flagCodeIndex[f.Code]
				if !ok {
					code = -1
				}
				x.openByUnit[f.Unit] = append(x.openByUnit[f.Unit], flagRef{int32(i), f.day, code})
			}
		}
	}
	return fs, x
}

// computeFlags computes the flags at today; about is how many there
// were at the last computation (flags are large: growing the slice by
// doubling would copy them over and over).
//
// After a write the flags cached at an earlier position are mostly still
// right: when they are of the same date, units and parties have not
// changed, no flag has been reviewed since and no ID is raised twice, the
// flags of the items that changed, of their parties' repeated late answers
// and of missing hearings are taken out of them and raised again, and the
// new ones merged into their order (see assembleFlags). Otherwise every
// flag is assembled and sorted anew.
func (v *Views) computeFlags(today events.Date, about int) []Flag {
	if fs, ok := v.assembleFlags(today, about, true); ok {
		v.cache.updated++
		return fs
	}
	fs, _ := v.assembleFlags(today, about, false)
	v.cache.full++
	return fs
}

// assembleFlags computes the flags at today: with update, from the cached
// flags (ok false where they cannot be used; what it computed meanwhile,
// the items' memos and the supervision flags, is kept for the full
// assembly that follows).
//
// An update reads only the items changed since the cached flags, as
// Views.touched records them, unless a supervision has changed too (the
// flags across supervisions read every one) or more has changed than
// Views.touched holds: each party's late answers are then kept as they
// were, but for the items changed, and OB_REPEAT_LATE is raised again for
// those items' parties only.
func (v *Views) assembleFlags(today events.Date, about int, update bool) (_ []Flag, ok bool) {
	c := v.cache
	var removed []flagKey   // update: where the cached flags raised again are
	var changedRecs []*Item // update: the recommendations changed since
	var out []Flag
	sameSupervisions := c.supervisionsValid && c.supGen == v.supGen && c.supEpoch == v.flagEpoch
	var touched []touch // with fewer, the items to read
	fewer := false
	late, prevRepeat := c.late, c.repeatKeys
	c.late, c.repeatKeys = nil, nil // until this computation succeeds: it may change them
	if update {
		if c.flags == nil || c.firstRec == nil || prevRepeat == nil || !c.updatable || c.today != today || c.epoch != v.flagEpoch {
			return nil, false
		}
		if c.recurring != nil && c.recurring.gen != v.topicGen {
			return nil, false // a supervision's topic corrected: OB_RECURRING_ISSUE's groups are made again
		}
		for _, r := range v.order[events.KindFlag] {
			if r.Updated > c.flagsPos {
				return nil, false // a review changes flags no item raised again
			}
		}
		removed = slices.Clone(c.across)
		touched, fewer = v.touchedSince(c.flagsPos)
		fewer = fewer && sameSupervisions && late != nil
	} else {
		about = max(about, v.cache.raw)
		out = c.buffer(about+about/8+64, v.pos)
	}
	if !fewer {
		late = map[string][]lateRef{}
	}
	into := &out // where raise puts flags
	raise := func(code, key string, it *Item, party, subject string, on events.Date, detail string, cs []Cite) {
		info := FlagCodes[code]
		f := Flag{ID: FlagID(code, key), Code: code, Title: info.title, RuleVersion: v.cfg.Rules.Version, LegalBasis: info.basis, Against: info.against,
			Party: party, Subject: subject, RaisedOn: on, Detail: detail, Threshold: v.cfg.Rules.Thresholds.of(code, key), Cites: cs, Status: "open", day: dayOrNone(on)}
		if byRule, ok := ruleBasis[code]; ok {
			// An obligation's key: stream|rule|party...
			_, rest, _ := strings.Cut(key, "|")
			rule, _, _ := strings.Cut(rest, "|")
			if r, ok := v.cfg.Rules.Rule(rule); ok && byRule[rule] && r.Basis != "" {
				f.LegalBasis = r.Basis
			}
		}
		if it != nil {
			f.Unit = it.Unit()
			// A pattern dated by a record withheld whole from some
			// readers (the last supervision of MU_OVERBURDEN's quarter,
			// the recommendation OB_NO_HEARING counts from) is withheld
			// from them too: its date is the record's.
			f.secret = it.Opened == events.Confidential && subject != it.Stream()
		}
		*into = append(*into, f) // reviews are applied at the end
	}
	subjectQuarter := map[string][]*Item{}
	overlap := map[string][]*Item{}
	affected := map[string]bool{} // with fewer: the parties whose late answers changed
	// visit evaluates an item of the kind flagKinds[rank]; false if the
	// cached flags cannot be updated.
	visit := func(it *Item, rank int8) bool {
		// What an item raises by itself is kept with it (memo) until
		// it changes, the date changes, or a unit or party changes
		// (scopeFlag reads them): after a write, only the items it
		// changed are evaluated again.
		m := it.flagMemo
		if m == nil || m.pos != it.Updated || m.today != today || m.epoch != v.flagEpoch {
			if update && m != nil {
				// The cached flags hold what the item raised when
				// they were computed, at their date and epoch.
				if m.today != today || m.epoch != v.flagEpoch {
					return false
				}
				removed = appendKeys(removed, m.flags)
				if fewer {
					for i := range m.late {
						p := m.late[i].Party
						late[p] = slices.DeleteFunc(late[p], func(r lateRef) bool { return r.o == &m.late[i] })
						affected[p] = true
					}
				}
			}
			if update && rank == 0 {
				changedRecs = append(changedRecs, it)
			}
			start := len(out)
			m = &itemFlags{pos: it.Updated, today: today, epoch: v.flagEpoch}
			v.itemFlags(it, today, m, raise)
			m.flags = slices.Clone(out[start:])
			it.flagMemo = m
			if fewer {
				for i := range m.late {
					r := lateRef{&m.late[i], rank, it.Created, i}
					p := r.o.Party
					at, _ := slices.BinarySearchFunc(late[p], r, lateRef.compare)
					late[p] = slices.Insert(late[p], at, r)
					affected[p] = true
				}
			}
		} else if !update {
			out = append(out, m.flags...)
		}
		if fewer {
			return true
		}
		for i := range m.late {
			o := &m.late[i]
			late[o.Party] = append(late[o.Party], lateRef{o, rank, it.Created, i}) // met in their order
		}
		if !sameSupervisions {
			for _, k := range m.quarters {
				subjectQuarter[k] = append(subjectQuarter[k], it)
			}
			for _, k := range m.topics {
				overlap[k] = append(overlap[k], it)
			}
		}
		return true
	}
	if fewer {
		for _, t := range touched {
			if rank, ok := flagKindRank[t.it.Kind]; ok && !visit(t.it, rank) {
				return nil, false
			}
		}
	} else {
		for rank, kind := range flagKinds {
			for _, it := range v.order[kind] {
				if !visit(it, int8(rank)) {
					return nil, false
				}
			}
		}
	}
	// OB_REPEAT_LATE: for the parties whose late answers changed, or for
	// every party when every item was read.
	var parties []string
	repeat := prevRepeat // the key of each party's OB_REPEAT_LATE
	if fewer {
		parties = sortedKeys(affected)
		for _, p := range parties {
			if k, ok := repeat[p]; ok {
				removed = append(removed, k)
				delete(repeat, p)
			}
		}
	} else {
		parties = sortedKeys(late)
		if update {
			for _, k := range prevRepeat {
				removed = append(removed, k)
			}
		}
		repeat = map[string]flagKey{}
	}
	for _, party := range parties {
		n := len(out)
		secret := v.repeatLateFlag(today, party, late[party], raise)
		if len(out) > n {
			out[n].secret = secret
			repeat[party] = keyOf(&out[n])
		}
	}
	if sameSupervisions {
		if !update {
			out = append(out, c.supervision...)
		}
	} else {
		if update {
			removed = appendKeys(removed, c.supervision)
		}
		start := len(out)
		raised := func() *Flag { return &out[len(out)-1] } // until the next raise; memos keep copies
		raiseFlag := func(f Flag) { out = append(out, f) }
		v.supervisionFlags(subjectQuarter, overlap, raise, raised, raiseFlag)
		c.supervision = slices.Clone(out[start:])
		c.supGen, c.supEpoch, c.supervisionsValid = v.supGen, v.flagEpoch, true
	}
	var first map[string]*Item
	if update && !slices.ContainsFunc(changedRecs, func(it *Item) bool { return c.firstRec[it.Unit()] == it }) {
		first = v.firstRecommendations(c.firstRec, changedRecs)
	} else {
		// A unit's first may have changed its issue date (a correction):
		// another may be first now.
		first = v.firstRecommendations(nil, nil)
	}
	c.firstRec = nil // until this computation succeeds
	acrossFrom := len(out)
	v.hearingFlags(today, first, raise)
	v.petitionerFlags(today, raise)
	across := appendKeys(nil, out[acrossFrom:]) // OB_NO_HEARING and the petitioners', raised again by every computation
	var scratch []Flag
	v.recurringFlags(today, update, changedRecs, raise, func(build func()) []Flag {
		scratch, into = scratch[:0], &scratch
		build()
		into = &out
		return slices.Clone(scratch)
	}, func(f Flag) { out = append(out, f) }, func(f Flag) { removed = append(removed, keyOf(&f)) })
	reviews := map[string]*FlagFacts{}
	for _, r := range v.order[events.KindFlag] {
		if r.Facts.Flag != nil {
			reviews[r.ID] = r.Facts.Flag
		}
	}
	if len(reviews) > 0 {
		for i := range out {
			if r := reviews[out[i].ID]; r != nil {
				out[i].Status, out[i].Review = "reviewed", r
				// A review closes what it saw: a pattern (a flag with a
				// threshold) that comes to count an event recorded after
				// it (another postponement, another late answer) is open
				// again, its last review shown (found by helper-49: two
				// more postponements stayed closed by a dismissal). A
				// deadline's flag citing the late answer that met it is
				// not (helper-50: compliance reopened it).
				if out[i].Threshold > 0 && slices.ContainsFunc(out[i].Cites, func(c Cite) bool { return c.Position > r.At.Position }) {
					out[i].Status = "open"
				}
			}
		}
	}
	raw := len(out)
	clear(out[len(out):cap(out)]) // what an array used again held beyond
	fs := sortFlags(out)
	if update {
		if len(fs) < raw {
			return nil, false // an ID raised twice: see updatable
		}
		if fs, ok = mergeFlags(c.flags, removed, fs, func(n int) []Flag { return c.buffer(n, v.pos) }); !ok {
			return nil, false
		}
	} else {
		c.raw = raw
		// Flags' keys name the item, party or unit they are about,
		// so an ID is raised twice only by one item: the sort drops
		// the repeat. Such a list is not updated (the dropped flag
		// could not be told from the kept one).
		c.updatable = len(fs) == raw
	}
	c.across, c.firstRec, c.late, c.repeatKeys = across, first, late, repeat
	if fewer {
		c.fewer++
	}
	v.touched, v.touchedFrom = v.touched[:0], v.pos+1 // what changed up to here is in fs
	return fs, true
}

// flagKinds are the kinds whose items raise flags by themselves, in the
// order a full assembly reads them; flagKindRank inverts it.
var flagKinds = []events.Kind{events.KindRecommendation, events.KindSupervision, events.KindCritique, events.KindInfoRequest, events.KindPetition, events.KindContribution, events.KindPlan, events.KindUnit, events.KindParty}

var flagKindRank = func() map[events.Kind]int8 {
	m := map[events.Kind]int8{}
	for i, k := range flagKinds {
		m[k] = int8(i)
	}
	return m
}()

// lateRef is a late or missing answer an item's memo keeps (for
// OB_REPEAT_LATE), and where a full assembly meets it: by the item's kind
// (its rank in flagKinds), the item's first event, and the answer's place
// in the memo. The flag's ID and cites follow that order, so an update
// keeps each party's answers in it.
type lateRef struct {
	o       *Obligation
	kind    int8
	created uint64
	i       int
}

func (a lateRef) compare(b lateRef) int {
	return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.created, b.created), cmp.Compare(a.i, b.i))
}

// flagKey is where a flag goes in sortFlags's order.
type flagKey struct {
	pos uint64
	id  string
}

func keyOf(f *Flag) flagKey { return flagKey{lastCite(*f), f.ID} }

// FlagCursor names the place of f in the order of Views.Flags, for a page
// that ends with it: the next page starts after it (FlagsAfter) even when
// flags before it were reviewed or cleared meanwhile.
func FlagCursor(f *Flag) string {
	k := keyOf(f)
	return strconv.FormatUint(k.pos, 10) + "." + k.id
}

// FlagsAfter returns the flags of fs, in the order of Views.Flags, that
// come after cursor (a FlagCursor); ok is false for a malformed cursor.
func FlagsAfter(fs []Flag, cursor string) (after []Flag, ok bool) {
	p, id, ok := strings.Cut(cursor, ".")
	pos, err := strconv.ParseUint(p, 10, 64)
	if !ok || err != nil || id == "" {
		return nil, false
	}
	k := flagKey{pos, id}
	return fs[sort.Search(len(fs), func(i int) bool { return keyOf(&fs[i]).compare(k) > 0 }):], true
}

// appendKeys appends the keys of fs to ks.
func appendKeys(ks []flagKey, fs []Flag) []flagKey {
	for i := range fs {
		ks = append(ks, keyOf(&fs[i]))
	}
	return ks
}

func (a flagKey) compare(b flagKey) int {
	if a.pos != b.pos {
		if a.pos < b.pos {
			return -1
		}
		return 1
	}
	return strings.Compare(a.id, b.id)
}

// mergeFlags returns the flags of old (sorted as sortFlags sorts) but
// those at the keys removed, merged with added (also sorted); ok is false
// if an ID would appear twice in a row (sortFlags would drop one). The
// flags kept are copied a run at a time, into what buffer gives: old is
// large, the rest small.
func mergeFlags(old []Flag, removed []flagKey, added []Flag, buffer func(n int) []Flag) (_ []Flag, ok bool) {
	find := func(k flagKey) (int, bool) {
		return sort.Find(len(old), func(i int) int { return k.compare(keyOf(&old[i])) })
	}
	var cuts []int
	for _, k := range removed {
		if i, found := find(k); found {
			cuts = append(cuts, i)
		}
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	out := buffer(len(old) - len(cuts) + len(added))
	i := 0 // the next flag of old to keep
	keep := func(to int) {
		for len(cuts) > 0 && cuts[0] < to {
			out = append(out, old[i:cuts[0]]...)
			i, cuts = cuts[0]+1, cuts[1:]
		}
		out = append(out, old[i:to]...)
		i = to
	}
	inserted := make([]int, 0, len(added))
	for j := range added {
		at, _ := find(keyOf(&added[j]))
		keep(max(at, i))
		inserted = append(inserted, len(out))
		out = append(out, added[j])
	}
	keep(len(old))
	for _, k := range inserted {
		if k > 0 && out[k-1].ID == out[k].ID || k+1 < len(out) && out[k+1].ID == out[k].ID {
			return nil, false
		}
	}
	clear(out[len(out):cap(out)]) // what an array used again held beyond
	return slices.Clip(out), true // shared once cached: an append must not write into it
}

// sortFlags sorts flags by the position of the latest event each cites,
// then ID, and drops repeated IDs. Flags are large: it sorts their keys,
// then moves each flag once, in place (a sorted copy was another 40 MB to
// collect at a million events, after every write).
func sortFlags(fs []Flag) []Flag {
	type key struct {
		flagKey
		i int32
	}
	keys := make([]key, len(fs))
	for i := range fs {
		keys[i] = key{keyOf(&fs[i]), int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		// Of one ID raised twice, the first raised is kept.
		return cmp.Or(a.compare(b.flagKey), cmp.Compare(a.i, b.i))
	})
	// fs[j] is to become fs[keys[j].i]: follow each cycle of that
	// permutation, marking the places filled with i = -1.
	for start := range keys {
		if keys[start].i < 0 || int(keys[start].i) == start {
			continue
		}
		held := fs[start]
		j := start
		for {
			from := int(keys[j].i)
			keys[j].i = -1
			if from == start {
				fs[j] = held
				break
			}
			fs[j] = fs[from]
			j = from
		}
	}
	out := fs[:0]
	for j := range keys {
		if j > 0 && keys[j].id == keys[j-1].id {
			continue
		}
		out = append(out, fs[j])
	}
	clear(fs[len(out):])    // what the dropped flags held
	return slices.Clip(out) // shared once cached: an append must not write into it
}

// itemFlags is what one item raises by itself at a date, kept with the
// item (flagMemo) while it, the date and the units and parties stay the
// same; Flags assembles the flags from these.
type itemFlags struct {
	pos, epoch uint64
	today      events.Date
	flags      []Flag       // without reviews
	late       []Obligation // answers late or missing, for OB_REPEAT_LATE
	quarters   []string     // subject|quarter keys, for MU_OVERBURDEN
	topics     []string     // subject|topic keys, for MU_OVERLAP
}

// itemFlags raises what it raises by itself at today and notes in m what
// the flags across items need from it.
func (v *Views) itemFlags(it *Item, today events.Date, m *itemFlags, raise raiseFunc) {
	th := v.cfg.Rules.Thresholds
	kind := it.Kind
	if it.Lowered != 0 {
		// Against the supervising body, where there is one: a supervision's
		// chair, or that of the supervision a recommendation came from.
		var chair string
		switch {
		case it.Facts.Sup != nil:
			chair = it.Facts.Sup.Chair
		case it.Facts.Rec != nil:
			chair = v.sourceChair(it.Facts.Rec)
		}
		raise("MU_CONFIDENTIAL_LEAK", it.Stream()+"|lowered", it, chair, it.Stream(), it.OpenedOn,
			fmt.Sprintf("Sự kiện ở vị trí %d được phân loại thấp hơn mức mật của hồ sơ (%s) (an event classified lower than its record, %s).", it.Lowered, it.Opened, it.Opened),
			[]Cite{{Position: it.Lowered}})
	}
	for _, o := range v.Obligations(it, today) {
		v.obligationFlags(it, o, today, raise)
		// Answers owed to MTTQ: to a recommendation, and to a critique
		// (in writing, before the draft is adopted).
		if (o.Rule == "recommendation.response" || o.Rule == "critique.response") && (o.Outcome == Late || o.Outcome == Overdue) {
			m.late = append(m.late, o)
		}
	}
	switch kind {
	case events.KindUnit:
		v.receptionFlags(it, today, raise)
	case events.KindParty:
		if f := it.Facts.Prt; f != nil {
			for _, a := range f.Allegations {
				// Neither the member nor what is alleged is named: the
				// allegation is personal data its readers may not all see.
				raise("MU_BOARD_INCITEMENT", fmt.Sprintf("%s|allegation|%d", it.Stream(), a.At.Position), it, it.ID, it.Stream(), a.On,
					"Phản ánh thành viên Ban Thanh tra nhân dân kích động, lôi kéo người dân; chuyển MTTQ xem xét, sổ cái không kết luận (an allegation that a board member incited or lured people: routed to MTTQ for review, no verdict).",
					[]Cite{a.At})
			}
		}
	case events.KindRecommendation:
		f := it.Facts.Rec
		if f == nil {
			return
		}
		if f.EmptyAnswer {
			raise("OB_EMPTY_RESPONSE", it.Stream(), it, f.Addressee, it.Stream(), f.RespondedOn,
				fmt.Sprintf("Trả lời với kết quả %s nhưng không có giải trình (answer %s with no explanation).", f.Outcome, f.Outcome), cites(f.RespondedAt))
		}
		if f.Overreach != "" {
			// Against the body that chaired the supervision it came from:
			// the flag is in that body's trail (helper-49: misuse flags
			// were in no supervising body's).
			raise("MU_POWER_OVERREACH", it.Stream(), it, v.sourceChair(f), it.Stream(), f.IssuedOn,
				fmt.Sprintf("Nội dung kiến nghị có cụm từ mang tính mệnh lệnh %q; cần người xem xét (wording that orders; for human review).", f.Overreach), cites(f.IssuedAt))
		}
	case events.KindSupervision:
		f := it.Facts.Sup
		if f == nil {
			return
		}
		if k := v.outOfScopeContent(f.Topic); k != "" {
			raise("MU_OUT_OF_SCOPE_CONTENT", it.Stream(), it, f.Chair, it.Stream(), it.OpenedOn,
				fmt.Sprintf("Nội dung giám sát có cụm từ %q, có thể ngoài phạm vi giám sát của MTTQ; cần người xem xét (the topic has %q, perhaps outside what MTTQ supervises; for human review).", k, k),
				[]Cite{{Position: it.Created, Type: events.SupervisionPlanned}})
		}
		if len(f.Adverse) > 0 {
			// From its earliest step (its planned start, the decision
			// that set up its delegation, its notice, its first session)
			// until its result report, or its last session if it was
			// closed or cancelled without one.
			from := f.PlannedStart
			for _, d := range []events.Date{f.DecidedOn, f.NotifiedOn, f.FirstSession} {
				if d != "" && (from == "" || d < from) {
					from = d
				}
			}
			end := f.ResultOn
			if end == "" && (it.Status() == events.SupClosed || it.Status() == events.SupCancelled) {
				end = max(from, f.LastSession)
			}
			v.retaliationFlags(it, from, end, today, []Cite{{Position: it.Created, Type: events.SupervisionPlanned}}, f.Adverse, raise)
		}
		for _, in := range f.Interests {
			// A member who declared a relation to a subject, did not stand
			// aside, and is on the delegation (or none is recorded).
			member := memberName(in.Name)
			if in.Recused || !slices.Contains(f.Subjects, in.Party) || !it.onDelegation(member) || it.Status() == events.SupCancelled {
				continue
			}
			cs := []Cite{in.At}
			if f.DecidedAt.Position != 0 {
				cs = append(cs, f.DecidedAt)
			}
			raise("MU_CONFLICT_OF_INTEREST", it.Stream()+"|"+member+"|"+in.Party, it, f.Chair, it.Stream(), in.On,
				fmt.Sprintf("Thành viên %q kê khai quan hệ (%s) với đối tượng giám sát %s mà không rút khỏi việc giám sát đối tượng này (member %q declared a %s relation to subject %s and did not stand aside).",
					in.Name, in.Relation, in.Party, in.Name, in.Relation, in.Party), cs)
		}
		if early := f.earlySession(); early != nil {
			raise("MU_NO_DECISION", it.Stream(), it, f.Chair, it.Stream(), f.FirstSession,
				"Buổi làm việc diễn ra trước khi có quyết định thành lập đoàn hoặc thông báo cho đối tượng (a session before the decision or the notice).",
				cites(*early, f.DecidedAt, f.NotifiedAt))
		}
		if n := len(f.PostponedBySubject); n >= th.SessionPostponedCount && th.SessionPostponedCount > 0 {
			party := ""
			if len(f.Subjects) > 0 {
				party = f.Subjects[0]
			}
			raise("OB_SESSION_POSTPONED", it.Stream(), it, party, it.Stream(), it.OpenedOn,
				fmt.Sprintf("Đối tượng đề nghị hoãn %d lần (the subject asked %d times to postpone).", n, n), slices.Clone(f.PostponedBySubject))
		}
		if n := len(f.Requests); th.OverburdenRequests > 0 && n > th.OverburdenRequests {
			cs := make([]Cite, 0, n)
			for _, r := range f.Requests {
				cs = append(cs, r.Cites[0])
			}
			raise("MU_OVERBURDEN", it.Stream()+"|requests", it, f.Chair, it.Stream(), f.Requests[th.OverburdenRequests].RequestedOn,
				fmt.Sprintf("%d yêu cầu tài liệu trong một cuộc giám sát, ngưỡng %d (%d document requests, threshold %d).", n, th.OverburdenRequests, n, th.OverburdenRequests), cs)
		}
		if n := len(f.Held); th.OverburdenSessions > 0 && n > th.OverburdenSessions {
			// Raised on the day of the session that went over the
			// threshold, in date order.
			held := slices.SortedStableFunc(slices.Values(f.Held), func(a, b Session) int { return cmp.Compare(a.On, b.On) })
			cs := make([]Cite, 0, n)
			for _, s := range held {
				cs = append(cs, s.At)
			}
			raise("MU_OVERBURDEN", it.Stream()+"|sessions", it, f.Chair, it.Stream(), held[th.OverburdenSessions].On,
				fmt.Sprintf("%d buổi làm việc trong một cuộc giám sát, ngưỡng %d (%d working sessions, threshold %d).", n, th.OverburdenSessions, n, th.OverburdenSessions), cs)
		}
		for _, s := range f.Subjects {
			v.scopeFlag(it, s, raise)
			if start := f.start(); start != "" && it.Status() != events.SupCancelled {
				m.quarters = append(m.quarters, s+"|"+quarterOf(start))
				if f.Topic != "" && f.Joint == "" {
					m.topics = append(m.topics, s+"|"+f.Topic)
				}
			}
		}
	case events.KindCritique:
		// Only a draft on the critique plan (domain.md §4): a critique
		// outside it is recorded, but its answer is not an obligation the
		// flag holds the drafter to. Nor is an answer to a critique MTTQ
		// issued only after the adoption, or never.
		f := it.Facts.Cri
		if f != nil && f.PlanID != "" && f.IssuedOn != "" && f.AdoptedOn >= f.IssuedOn && (f.RespondedOn == "" || f.RespondedOn > f.AdoptedOn) && f.ForwardedOn == "" {
			raise("OB_DRAFT_BYPASS", it.Stream(), it, f.Drafter, it.Stream(), f.AdoptedOn,
				"Dự thảo được thông qua khi cơ quan soạn thảo chưa trả lời phản biện (draft adopted without an answer to the critique).", cites(f.IssuedAt, f.AdoptedAt))
		}
	case events.KindPetition:
		if f := it.Facts.Pet; f != nil && f.IdentityPublic != nil && f.Kind == events.PetitionDenunciation {
			raise("MU_CONFIDENTIAL_LEAK", it.Stream()+"|identity", it, "", it.Stream(), it.OpenedOn,
				"Danh tính người tố cáo ghi trong sự kiện công khai (a denouncer's identity in a public event).", []Cite{*f.IdentityPublic})
		}
		if f := it.Facts.Pet; f != nil && len(f.Adverse) > 0 {
			// Open until resolved (at the last instance it went to),
			// withdrawn, or closed.
			var end events.Date
			switch {
			case f.WithdrawnOn != "":
				end = f.WithdrawnOn
			case f.SecondFiledOn != "":
				end = cmp.Or(f.SecondResolvedOn, f.SecondNotAcceptedOn)
			case f.ResolvedOn != "":
				end = f.ResolvedOn
			case it.Status() == events.PeClosed || it.Status() == events.PeFiled || it.Status() == events.PeGuided:
				end = max(f.ReceivedOn, f.ForwardedOn, f.NotAcceptedOn)
			}
			v.retaliationFlags(it, f.ReceivedOn, end, today, cites(f.ReceivedAt), f.Adverse, raise)
		}
	}
}

// retaliationFlags raises OB_RETALIATION_SIGNAL (domain.md §4.1) at today
// for each adverse action taken against a petitioner or a supervision's
// member from the day the matter started (from) while it ran and up to
// retaliation_window_days after it ended (end, "" while it runs), against
// the body that took it, citing what started the matter and the action.
// For human review only (Luật Khiếu nại 2011 Art. 6, Luật Tố cáo 2018
// Art. 8 forbid retaliating against complainants and denouncers; an
// action may have other grounds).
func (v *Views) retaliationFlags(it *Item, from, end, today events.Date, start []Cite, adverse []Adverse, raise raiseFunc) {
	days := v.cfg.Rules.Thresholds.RetaliationWindowDays
	if from == "" || days <= 0 {
		return
	}
	until := today
	if end != "" {
		until = AddDays(end, days)
	}
	for _, a := range adverse {
		if a.On < from || a.On > until || a.On > today {
			continue
		}
		// Neither the person nor the action is named: they are personal
		// data (the event's adverse_action), which the flag's readers
		// may not all see.
		who, whoEn := "người gửi đơn", "the petitioner"
		if it.Kind == events.KindSupervision {
			who, whoEn = "một thành viên đoàn giám sát", "a member of the supervision"
		}
		raise("OB_RETALIATION_SIGNAL", fmt.Sprintf("%s|adverse|%d", it.Stream(), a.At.Position), it, a.By, it.Stream(), a.On,
			fmt.Sprintf("%s áp dụng biện pháp bất lợi với %s ngày %s, khi vụ việc đang diễn ra hoặc trong %d ngày sau khi kết thúc; cần người xem xét (%s took an adverse action against %s while the matter ran or within %d days after; for human review).",
				a.By, who, a.On, days, a.By, whoEn, days),
			append(slices.Clone(start), a.At))
	}
}

// repeatLateFlag raises OB_REPEAT_LATE if party's late or missing
// answers, in their order (see lateRef), are too many; secret reports
// whether one it counts is a deadline readers who may not see
// confidential data do not see whole (Redaction.HidesDuty).
func (v *Views) repeatLateFlag(today events.Date, party string, late []lateRef, raise raiseFunc) (secret bool) {
	th := v.cfg.Rules.Thresholds
	// OB_REPEAT_LATE: N late or missing answers by one party whose due
	// dates fall in the rolling window ending today.
	if th.RepeatLateCount <= 0 || party == "" {
		return false
	}
	from := AddDays(today, -th.RepeatLateWindowDays)
	var in []*Obligation
	for _, r := range late {
		if o := r.o; o.Due > from && o.Due <= today {
			in = append(in, o)
		}
	}
	if len(in) >= th.RepeatLateCount {
		var cs []Cite
		for _, o := range in {
			cs = append(cs, o.Cites...)
			if it := v.items[o.Stream]; it != nil && HideConfidential.HidesDuty(it, o) {
				secret = true
			}
		}
		// One flag per party (its ID does not follow the window, so that
		// a review stays with it as the window moves on; a late answer
		// after the review opens it again).
		raise("OB_REPEAT_LATE", "party/"+party, v.items[events.StreamName(events.KindParty, party)], party, "party/"+party, in[len(in)-1].Due,
			fmt.Sprintf("%d lần trả lời chậm hoặc không trả lời trong %d ngày, ngưỡng %d (%d late or missing answers in %d days, threshold %d).",
				len(in), th.RepeatLateWindowDays, th.RepeatLateCount, len(in), th.RepeatLateWindowDays, th.RepeatLateCount), cs)
	}
	return secret
}

// outOfScopeContent returns the first MU_OUT_OF_SCOPE_CONTENT phrase in a
// supervision's folded topic, or "". It runs with the flag cache's lock
// held, which guards the folded phrases.
func (v *Views) outOfScopeContent(topic string) string {
	c := v.cache
	if c.outOfScope == nil {
		c.outOfScope = foldPhrases(v.cfg.Rules.Thresholds.OutOfScopeKeywords)
	}
	if topic == "" {
		return ""
	}
	return c.outOfScope.in(topic)
}

// supervisionFlags raises the flags about several supervisions: too many
// of one subject in a quarter, and overlapping ones. They read nothing but
// supervisions (see flagCache.supervision).
func (v *Views) supervisionFlags(subjectQuarter, overlap map[string][]*Item, raise raiseFunc, raised func() *Flag, raiseFlag func(Flag)) {
	th := v.cfg.Rules.Thresholds
	if th.OverburdenPerQuarter > 0 {
		// A key's flag depends on its supervisions (their creation
		// positions) and on the last one's planned start and unit: it is
		// kept while the same items make it and the last is unchanged.
		memos := v.cache.overburden
		if memos == nil {
			memos = map[string]overburdenMemo{}
			v.cache.overburden = memos
		}
		for key, m := range memos {
			if its := subjectQuarter[key]; len(its) <= th.OverburdenPerQuarter {
				delete(memos, key)
			} else if !m.holds(its) {
				delete(memos, key)
			}
		}
		for _, key := range sortedKeys(subjectQuarter) {
			its := subjectQuarter[key]
			if len(its) <= th.OverburdenPerQuarter {
				continue
			}
			// A supervision with any confidential event counted in the
			// quarter gives its subject and quarter away (found by
			// helper-49: one between two public ones was cited to
			// observers): withheld from readers who may not see it. Asked
			// again of a kept flag: an earlier supervision may have had a
			// confidential event since (helper-50).
			confidential := slices.ContainsFunc(its, func(it *Item) bool { return it.Opened == events.Confidential || it.Public != nil })
			if m, ok := memos[key]; ok {
				f := *m.flag
				f.secret = f.secret || confidential
				raiseFlag(f)
				continue
			}
			party, quarter, _ := strings.Cut(key, "|")
			cs := make([]Cite, 0, len(its))
			for _, it := range its {
				cs = append(cs, Cite{Position: it.Created, Type: events.SupervisionPlanned})
			}
			// Against the chair of the supervision that went over the
			// threshold (the subject's own trail had it, helper-49's
			// finding of misuse flags in no supervising body's); the
			// subject is its party record.
			// A supervision need not name its chair: then the chair of the
			// latest one before it that did (the flag is in no trail only
			// if none of the quarter's did).
			last := its[len(its)-1]
			var chair string
			for i := len(its) - 1; i >= 0 && chair == ""; i-- {
				chair = its[i].Facts.Sup.Chair
			}
			raise("MU_OVERBURDEN", "party/"+key, last, chair, "party/"+party, last.Facts.Sup.start(),
				fmt.Sprintf("%d cuộc giám sát cùng đối tượng trong quý %s, ngưỡng %d (%d supervisions of one subject in quarter %s, threshold %d).",
					len(its), quarter, th.OverburdenPerQuarter, len(its), quarter, th.OverburdenPerQuarter), cs)
			f := raised()
			f.secret = f.secret || confidential
			memo := *f
			memos[key] = overburdenMemo{its: slices.Clone(its), lastPos: last.Updated, flag: &memo}
		}
	} else {
		v.cache.overburden = nil
	}
	if th.OverlapWindowDays > 0 {
		// A pair's flag depends on the two supervisions only: it is kept
		// (v.cache.overlaps) while neither changes. Pairs not seen this
		// time are dropped at the end.
		if v.cache.overlaps == nil {
			v.cache.overlaps = map[overlapKey]overlapMemo{}
		}
		v.cache.overlapGen++
		gen := v.cache.overlapGen
		// Each supervision is paired with the one of the same subject and
		// topic that starts last before it (or on its day, created
		// before it), whatever order they were recorded in. Two
		// supervisions of several of the same subjects meet under each:
		// the pair's flag (one ID) is raised for the first of them in
		// sorted order only.
		seen := map[[2]*Item]bool{}
		var its []*Item
		for _, key := range sortedKeys(overlap) {
			its = append(its[:0], overlap[key]...) // in creation order
			slices.SortStableFunc(its, func(a, b *Item) int { return cmp.Compare(a.Facts.Sup.start(), b.Facts.Sup.start()) })
			party, _, _ := strings.Cut(key, "|")
			for i := 1; i < len(its); i++ {
				a, b := its[i-1], its[i]
				if seen[[2]*Item{a, b}] || a.Facts.Sup.FollowUpOf == b.Stream() || b.Facts.Sup.FollowUpOf == a.Stream() {
					// A follow-up checks what the supervision it
					// follows up recommended: no overlap.
					continue
				}
				seen[[2]*Item{a, b}] = true
				k := overlapKey{a, b, party}
				m, ok := v.cache.overlaps[k]
				if !ok || m.aPos != a.Updated || m.bPos != b.Updated {
					m = overlapMemo{aPos: a.Updated, bPos: b.Updated, gen: gen}
					if d := DaysBetween(a.Facts.Sup.start(), b.Facts.Sup.start()); d <= th.OverlapWindowDays {
						// The flag is about the later one, unless only the
						// earlier is confidential: then about that one, so
						// that readers who may not see it do not learn of
						// it from the other's flag (Withheld).
						about, other := b, a
						if a.Opened == events.Confidential && b.Opened != events.Confidential {
							about, other = a, b
						}
						raise("MU_OVERLAP", b.Stream()+"|"+a.Stream(), about, b.Facts.Sup.Chair, about.Stream(), b.Facts.Sup.start(),
							fmt.Sprintf("Cùng đối tượng %s và cùng nội dung với %s trong vòng %d ngày (same subject and topic as %s within %d days).", party, other.Stream(), th.OverlapWindowDays, other.Stream(), th.OverlapWindowDays),
							[]Cite{{Position: a.Created, Type: events.SupervisionPlanned}, {Position: b.Created, Type: events.SupervisionPlanned}})
						f := *raised()
						m.flag = &f
					}
				} else if m.flag != nil {
					raiseFlag(*m.flag)
				}
				m.gen = gen
				v.cache.overlaps[k] = m
			}
		}
		for k, m := range v.cache.overlaps {
			if m.gen != gen {
				delete(v.cache.overlaps, k)
			}
		}
	} else {
		v.cache.overlaps = nil
	}
}

// sourceChair returns the party that chaired the supervision a
// recommendation came from, where it did and that supervision's plan was
// public (the chair comes from the plan, which no later event changes);
// "" otherwise.
func (v *Views) sourceChair(f *RecFacts) string {
	if f.SourceKind != events.SourceSupervision {
		return ""
	}
	if s := v.items[events.StreamName(events.KindSupervision, f.SourceID)]; s != nil && s.Facts.Sup != nil && s.Opened != events.Confidential {
		return s.Facts.Sup.Chair
	}
	return ""
}

// overburdenMemo is the MU_OVERBURDEN flag of one subject and quarter,
// raised when its supervisions were its and the last of them was at
// lastPos.
type overburdenMemo struct {
	its     []*Item
	lastPos uint64
	flag    *Flag
}

// holds reports whether the memo was made from exactly these supervisions,
// the last one unchanged since.
func (m overburdenMemo) holds(its []*Item) bool {
	return slices.Equal(m.its, its) && its[len(its)-1].Updated == m.lastPos
}

// overlapKey names a pair of supervisions of one subject on one topic, the
// one that starts later (or was created later, on the same day) second.
type overlapKey struct {
	a, b    *Item
	subject string
}

// overlapMemo is the MU_OVERLAP flag of a pair (nil if none), made when
// the two were at aPos and bPos.
type overlapMemo struct {
	aPos, bPos uint64
	gen        uint64 // the computation that last saw the pair
	flag       *Flag
}

// lastCite returns the position of the latest event a flag cites.
func lastCite(f Flag) uint64 {
	var m uint64
	for _, c := range f.Cites {
		if c.Position > m {
			m = c.Position
		}
	}
	return m
}

type raiseFunc func(code, key string, it *Item, party, subject string, on events.Date, detail string, cs []Cite)

// obligationFlags raises the flags of one obligation.
func (v *Views) obligationFlags(it *Item, o Obligation, today events.Date, raise raiseFunc) {
	late := o.Outcome == Late
	missing := o.Outcome == Overdue
	key := it.Stream() + "|" + o.Rule + "|" + o.Party
	if o.Again != 0 {
		key += "|" + strconv.FormatUint(o.Again, 10)
	}
	// A refusal without reasons (Luật TCTT Art. 34), in time or not.
	if f := it.Facts.Info; f != nil && f.NoReasons && o.Rule != "info.complex.notice" && o.MetOn == f.RefusedOn {
		raise("OB_INFO_SILENT", key+"|reasons", it, o.Party, it.Stream(), f.RefusedOn, "Từ chối cung cấp thông tin không nêu lý do (refusal without reasons).", cites(f.RefusedAt))
	}
	if !late && !missing && o.Outcome != Refused {
		return
	}
	detail := func(vi, en string) string {
		if missing {
			return fmt.Sprintf("%s: hạn %s, đã quá %d ngày (%s: due %s, %d days overdue).", vi, o.Due, o.DaysLate, en, o.Due, o.DaysLate)
		}
		return fmt.Sprintf("%s: hạn %s, thực hiện ngày %s, chậm %d ngày (%s: due %s, done %s, %d days late).", vi, o.Due, o.MetOn, o.DaysLate, en, o.Due, o.MetOn, o.DaysLate)
	}
	on := AddDays(o.Due, 1)
	if late {
		on = o.MetOn
	}
	// noDecision raises OB_FORWARD_NO_FEEDBACK for a petition MTTQ
	// forwarded that the body did not decide by the resolution deadline:
	// MTTQ had no result by then either (domain.md §4.1; Luật Tố cáo 2011
	// Art. 44).
	noDecision := func() {
		if f := it.Facts.Pet; f != nil && f.ForwardedOn != "" {
			raise("OB_FORWARD_NO_FEEDBACK", key+"|no-decision", it, o.Party, it.Stream(), on,
				detail("Không có quyết định giải quyết trong thời hạn để thông báo cho MTTQ đã chuyển đơn", "no decision by the resolution deadline to notify the forwarding MTTQ of"), o.Cites)
		}
	}
	switch o.Rule {
	case "recommendation.response":
		if missing {
			raise("OB_NO_RESPONSE", key, it, o.Party, it.Stream(), on, detail("Chưa trả lời kiến nghị", "no answer"), o.Cites)
		} else {
			raise("OB_LATE_RESPONSE", key, it, o.Party, it.Stream(), on, detail("Trả lời kiến nghị chậm", "late answer"), o.Cites)
		}
	case "recommendation.implementation":
		if missing {
			raise("OB_NOT_IMPLEMENTED", key, it, o.Party, it.Stream(), on, detail("Chưa thực hiện kiến nghị đã cam kết", "committed implementation not verified"), o.Cites)
		}
	case "supervision.document":
		if o.Outcome == Refused {
			raise("OB_DOC_REFUSED", key+"|"+fmt.Sprint(o.Cites[0].Position), it, o.Party, it.Stream(), o.MetOn, "Từ chối cung cấp tài liệu (documents refused).", o.Cites)
		} else if missing {
			raise("OB_DOC_REFUSED", key+"|"+fmt.Sprint(o.Cites[0].Position), it, o.Party, it.Stream(), on, detail("Không cung cấp tài liệu", "documents not provided"), o.Cites)
		} else if late {
			// None provided by the requested date (domain.md §4.1).
			raise("OB_DOC_REFUSED", key+"|"+fmt.Sprint(o.Cites[0].Position), it, o.Party, it.Stream(), on, detail("Cung cấp tài liệu chậm", "documents provided late"), o.Cites)
		}
	case "supervision.subjectReport":
		vi, en := "Gửi báo cáo chậm", "report received late"
		if missing {
			vi, en = "Chưa gửi báo cáo", "report not received"
		}
		raise("OB_SUBJECT_REPORT_OVERDUE", key, it, o.Party, it.Stream(), on, detail(vi, en), o.Cites)
	case "critique.draftLeadTime":
		if late {
			raise("OB_DRAFT_LATE", key, it, o.Party, it.Stream(), o.MetOn,
				fmt.Sprintf("Dự thảo nhận ngày %s, chậm nhất phải là %s (trình ngày %s) (draft received %s, due by %s for submission on %s).", o.MetOn, o.Due, o.Trigger, o.MetOn, o.Due, o.Trigger), o.Cites)
		}
	case "info.post.simple", "info.electronic.simple", "info.inperson", "info.complex.notice", "info.complex.provide":
		raise("OB_INFO_SILENT", key, it, o.Party, it.Stream(), on, detail("Yêu cầu cung cấp thông tin không được đáp ứng đúng hạn", "information request not answered in time"), o.Cites)
	case "complaint.accept", "complaint.accept.second":
		if missing || late {
			raise("OB_COMPLAINT_NOT_ACCEPTED", key, it, o.Party, it.Stream(), on, detail("Không thụ lý khiếu nại đúng hạn", "complaint not accepted in time"), o.Cites)
		}
	case "complaint.first", "complaint.first.complex", "complaint.first.remote", "complaint.first.remote.complex",
		"complaint.second", "complaint.second.complex", "complaint.second.remote", "complaint.second.remote.complex":
		raise("OB_COMPLAINT_OVERDUE", key, it, o.Party, it.Stream(), on, detail("Giải quyết khiếu nại quá hạn", "complaint resolution overdue"), o.Cites)
		if strings.HasPrefix(o.Rule, "complaint.first") {
			noDecision()
		}
	case "denunciation.intake":
		if missing || late {
			raise("OB_DENUNCIATION_OVERDUE", key, it, o.Party, it.Stream(), on, detail("Không xử lý ban đầu, quyết định thụ lý tố cáo đúng hạn", "denunciation not taken in and decided on in time"), o.Cites)
		}
	case "denunciation.resolve":
		raise("OB_DENUNCIATION_OVERDUE", key, it, o.Party, it.Stream(), on, detail("Giải quyết tố cáo quá hạn", "denunciation resolution overdue"), o.Cites)
		noDecision()
	case "voter.petition", "voter.petition.lead":
		vi, en := "Trả lời kiến nghị cử tri chậm", "voters' petition answered late"
		if missing {
			vi, en = "Chưa trả lời kiến nghị cử tri", "voters' petition not answered"
		}
		raise("OB_VOTER_PETITION_OVERDUE", key, it, o.Party, it.Stream(), on, detail(vi, en), o.Cites)
		noDecision()
	case "denunciation.mttqForwarded":
		raise("OB_FORWARD_NO_FEEDBACK", key, it, o.Party, it.Stream(), on, detail("Không thông báo kết quả cho MTTQ", "no result notice to MTTQ"), o.Cites)
	}
}

// scopeFlag raises MU_OUT_OF_SCOPE_SUBJECT when a supervision's subject is
// not a kind of body the law lets MTTQ supervise, or lies outside the
// supervising unit's territory (Luật MTTQ Art. 26.1).
func (v *Views) scopeFlag(it *Item, subject string, raise raiseFunc) {
	p := v.items[events.StreamName(events.KindParty, subject)]
	if p == nil || p.Facts.Prt == nil {
		return
	}
	var why string
	switch p.Facts.Prt.PartyKind {
	case events.PartyEnterprise, events.PartyOther:
		why = fmt.Sprintf("loại %s không thuộc đối tượng giám sát (kind %s is not supervisable)", p.Facts.Prt.PartyKind, p.Facts.Prt.PartyKind)
	default:
		if !v.Within(p.Unit(), it.Unit()) {
			why = fmt.Sprintf("thuộc đơn vị %s, ngoài địa bàn %s (belongs to unit %s, outside %s)", p.Unit(), it.Unit(), p.Unit(), it.Unit())
		}
	}
	if why == "" {
		return
	}
	raise("MU_OUT_OF_SCOPE_SUBJECT", it.Stream()+"|"+subject, it, it.Facts.Sup.Chair, it.Stream(), it.OpenedOn,
		fmt.Sprintf("Đối tượng %s %s.", subject, why), []Cite{{Position: it.Created, Type: events.SupervisionPlanned}})
}

// hearingFlags raises OB_NO_HEARING for a unit whose MTTQ has issued
// recommendations but whose People's Council or Committee has held no
// hearing of the supervision results for more than the configured months;
// for a unit superseded, only if that was so before its supersession took
// effect (as OB_RECEPTION_BELOW_MIN keeps the periods over before it): the
// breach stays on its record.
func (v *Views) hearingFlags(today events.Date, first map[string]*Item, raise raiseFunc) {
	months := v.cfg.Rules.Thresholds.HearingMonths
	if months <= 0 {
		return
	}
	for _, unit := range sortedKeys(first) {
		u := v.items[events.StreamName(events.KindUnit, unit)]
		if u == nil || u.Facts.Unit == nil {
			continue
		}
		end, superseded := v.unitEnd(u)
		if superseded && end == "" {
			continue
		}
		since, cs := first[unit].Facts.Rec.IssuedOn, []Cite{first[unit].Facts.Rec.IssuedAt}
		for i, h := range u.Facts.Unit.Hearings {
			if h > since && h <= today {
				since, cs = h, []Cite{u.Facts.Unit.HearingAt[i]}
			}
		}
		due := v.cfg.Calendar.OnWorkingDay(AddMonths(since, months)) // Bộ luật Dân sự 2015 Điều 148
		if today <= due || superseded && due >= end {
			continue
		}
		dated := u // by a hearing, or by the unit's first recommendation
		if r := first[unit]; cs[0] == r.Facts.Rec.IssuedAt {
			dated = r
		}
		raise("OB_NO_HEARING", "unit/"+unit+"|"+string(since), dated, v.unitBody(unit), "unit/"+unit, AddDays(due, 1),
			fmt.Sprintf("Không có phiên nghe kết quả giám sát từ %s, quá %d tháng (no hearing since %s, more than %d months).", since, months, since, months), cs)
	}
}

// receptionFlags raises OB_RECEPTION_BELOW_MIN for each period in which
// the chair of a unit's People's Committee received citizens on fewer days
// than the law's minimum (Luật Tiếp công dân: a commune's chair one day a
// week, Art. 15.2; a district's two days a month, Art. 13.5; a province's
// one day a month, Art. 12.5; Thresholds.receptionMinimum). A day counts
// if a session held then was hosted by the chair, alone or with MTTQ.
// Periods are weeks from Monday for a commune and calendar months above;
// they are counted from the one of the first session recorded for the
// unit, whoever hosted it (the ledger knows nothing of receptions before;
// a chair who never received citizens while MTTQ recorded its own
// sessions is the plainest case), up to the last
// one over by today and, for a unit superseded, over before its
// supersession. A week without a working day (Tết) owes none.
func (v *Views) receptionFlags(it *Item, today events.Date, raise raiseFunc) {
	f := it.Facts.Unit
	need := v.receptionNeed(it)
	committee, named := "", false
	unit := "unit/" + it.ID
	v.receptionPeriods(it, today, func(p receptionPeriod) {
		if !p.owes || p.held >= need {
			return
		}
		cs := make([]Cite, 0, max(len(p.sessions), 1))
		for _, d := range p.sessions {
			cs = append(cs, d.at)
		}
		if len(cs) == 0 {
			cs = append(cs, p.before.at) // the chair's last session before, or the first of all
		}
		if !named {
			committee, named = v.unitCommittee(it.ID), true
		}
		from, to := dateOf(p.start), dateOf(p.next-1)
		raise("OB_RECEPTION_BELOW_MIN", unit+"|"+string(f.Level)+"|"+p.name, it, committee, unit, dateOf(p.next),
			fmt.Sprintf("Chủ tịch UBND tiếp công dân %d ngày trong %s (%s đến %s), tối thiểu %d (the chair received citizens on %d days in %s, at least %d).",
				p.held, p.name, from, to, need, p.held, p.name, need), cs)
	})
}

// receptionNeed is the days the chair of unit it must receive citizens on
// in each period (Thresholds.receptionMinimum), 0 if none.
func (v *Views) receptionNeed(it *Item) int {
	if f := it.Facts.Unit; f != nil {
		return v.cfg.Rules.Thresholds.receptionMinimum(f.Level)
	}
	return 0
}

// receptionDay is a day the chair received citizens, and the event that
// records it.
type receptionDay struct {
	day int32
	at  Cite
}

// receptionPeriod is one period of a chair's receptions (see
// receptionPeriods): its first day and the next period's, its name (an
// ISO week or a month), the days the chair received citizens, the
// sessions in it, the chair's last session before it (before; if there is
// none, the unit's first session, which started the periods), and whether
// a day was owed in it.
type receptionPeriod struct {
	start, next int32
	name        string
	held        int
	sessions    []receptionDay
	before      receptionDay
	owes        bool
}

// receptionPeriods calls fn with each period of unit it's chair's
// receptions that is over by today (and, for a superseded unit, before its
// supersession), from the one of the first session recorded for the unit,
// whoever hosted it. It calls none for a unit without a minimum or without
// sessions.
func (v *Views) receptionPeriods(it *Item, today events.Date, fn func(receptionPeriod)) {
	f := it.Facts.Unit
	if f == nil || len(f.Receptions) == 0 || v.receptionNeed(it) <= 0 {
		return
	}
	// The chair's sessions by date, and the first of all.
	var days []receptionDay
	var first receptionDay
	for _, r := range f.Receptions {
		n, ok := dayNumber(r.On)
		if !ok {
			continue
		}
		if first.at.Position == 0 || n < first.day {
			first = receptionDay{n, r.At}
		}
		if r.Host == events.ReceptionChair || r.Host == events.ReceptionJoint {
			days = append(days, receptionDay{n, r.At})
		}
	}
	if first.at.Position == 0 {
		return
	}
	slices.SortStableFunc(days, func(a, b receptionDay) int { return cmp.Compare(a.day, b.day) })
	end, ok := dayNumber(today) // periods must end before it
	if !ok {
		return
	}
	if on, _ := v.unitEnd(it); on != "" {
		if n, ok := dayNumber(on); ok && n < end {
			end = n
		}
	}
	weekly := f.Level == events.LevelCommune
	start := first.day // the first period's first day
	if weekly {
		start -= int32(((int(start)+3)%7 + 7) % 7) // back to Monday (day 0 was a Thursday)
	} else {
		dom, _ := parseDigits(string(dateOf(start)[8:10]))
		start -= int32(dom - 1)
	}
	for i := 0; ; {
		p := receptionPeriod{start: start}
		if weekly {
			p.next = start + 7
			y, w := time.Unix(int64(start)*86400, 0).UTC().ISOWeek()
			p.name = fmt.Sprintf("%04d-W%02d", y, w)
		} else {
			p.next, _ = dayNumber(AddMonths(dateOf(start), 1))
			p.name = string(dateOf(start)[:7])
		}
		if p.next > end || p.next <= start {
			return
		}
		// The sessions in [start, next), and the days counted.
		lo, last := i, int32(0)
		for ; i < len(days) && days[i].day < p.next; i++ {
			if p.held == 0 || days[i].day != last {
				p.held, last = p.held+1, days[i].day
			}
		}
		p.sessions, p.before = days[lo:i], first
		if lo > 0 {
			p.before = days[lo-1]
		}
		p.owes = true
		if weekly {
			p.owes = false
			for d := start; d < p.next && !p.owes; d++ {
				p.owes = v.cfg.Calendar.working(d)
			}
		}
		fn(p)
		start = p.next
	}
}

// unitCommittee returns the People's Committee registered in unit, whose
// chair receives citizens ("" if none is).
func (v *Views) unitCommittee(unit string) string {
	for _, p := range v.order[events.KindParty] {
		if p.Unit() == unit && p.Facts.Prt != nil && p.Facts.Prt.PartyKind == events.PartyPeoplesCommittee {
			return p.ID
		}
	}
	return ""
}

// firstIssued reports whether a recommendation it is issued before cur
// (nil: none): the earlier issue date, and of the same, the first
// recorded.
func firstIssued(it, cur *Item) bool {
	f := it.Facts.Rec
	if f == nil || f.IssuedOn == "" {
		return false
	}
	return cur == nil || f.IssuedOn < cur.Facts.Rec.IssuedOn || f.IssuedOn == cur.Facts.Rec.IssuedOn && it.Created < cur.Created
}

// firstRecommendations returns each unit's first recommendation issued
// (see firstIssued). With first (that of the last computation) and the
// recommendations changed since, it updates first instead of reading every
// recommendation (it runs after every write): a recommendation's unit never
// changes, and a changed one comes first if it was issued before the
// unit's first. (Its issue date may change, by a correction: when a unit's
// first has changed, the caller reads every recommendation.)
func (v *Views) firstRecommendations(first map[string]*Item, changed []*Item) map[string]*Item {
	if first == nil {
		first = map[string]*Item{}
		changed = v.order[events.KindRecommendation]
	}
	for _, it := range changed {
		if firstIssued(it, first[it.Unit()]) {
			first[it.Unit()] = it
		}
	}
	return first
}

// unitBody returns the People's Council (or else Committee) registered in
// unit, the body that holds the hearing.
func (v *Views) unitBody(unit string) string {
	var committee string
	for _, p := range v.order[events.KindParty] {
		if p.Unit() != unit || p.Facts.Prt == nil {
			continue
		}
		switch p.Facts.Prt.PartyKind {
		case events.PartyPeoplesCouncil:
			return p.ID
		case events.PartyPeoplesCommittee:
			if committee == "" {
				committee = p.ID
			}
		}
	}
	return committee
}

func quarterOf(d events.Date) string {
	if len(d) < 7 {
		return ""
	}
	m := (int(d[5]-'0')*10 + int(d[6]-'0') - 1) / 3
	return string(d[:4]) + "-Q" + string(rune('1'+m))
}
