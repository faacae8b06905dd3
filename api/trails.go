package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/gorilla/mux"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// FlagList is a page of flags.
type FlagList struct {
	Flags      []projections.Flag `json:"flags"`
	NextCursor string             `json:"next_cursor"`
	Position   uint64             `json:"position"`
	AsOf       *AsOf              `json:"as_of,omitempty"`
}

// flagAllowed reports whether the actor may see a flag: in its scope, and
// not about a record withheld from it (projections.Views.Withheld).
func (s *Server) flagAllowed(v *projections.Views, rc *readCtx, f *projections.Flag) bool {
	a := rc.actor
	if v.Withheld(f, redaction(a)) {
		return false
	}
	if a.Role == events.RoleRespondent && f.Code == "OB_RETALIATION_SIGNAL" && s.denunciationNow(f.Subject) {
		return false // as Withheld, for views as of before it was one
	}
	switch a.Role {
	case events.RoleInspector:
		return true
	case events.RoleAdmin:
		return a.Unit == "" || s.within(rc, v, f.Unit)
	case events.RoleRecorder, events.RoleObserver:
		return s.within(rc, v, f.Unit)
	case events.RoleRespondent:
		return f.Party == a.Party
	}
	return false
}

// handleFlags serves GET /v1/flags: derived flags at the request's date
// (or as_of), filtered by code, status (open, reviewed), unit, party,
// subject and against (respondent, supervisor, petitioner).
func (s *Server) handleFlags(w http.ResponseWriter, r *http.Request) {
	rc, err := s.beginRead(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	limit, err := limitParam(q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	code, status, against := q.Get("code"), q.Get("status"), q.Get("against")
	if code != "" {
		if _, ok := projections.FlagCodes[code]; !ok {
			s.Error(w, r, events.FieldErrorf("code", "%s is not a flag code the ledger raises.", quoteShort(code)))
			return
		}
	}
	if status != "" && status != "open" && status != "reviewed" {
		s.Error(w, r, events.FieldErrorf("status", "status must be open or reviewed."))
		return
	}
	if against != "" && against != "respondent" && against != "supervisor" && against != "petitioner" {
		s.Error(w, r, events.FieldErrorf("against", "against must be respondent, supervisor or petitioner."))
		return
	}
	from, to, err := periodParams(q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	cursor := q.Get("cursor")
	if _, ok := projections.FlagsAfter(nil, cursor); cursor != "" && !ok {
		s.Error(w, r, events.FieldErrorf("cursor", "cursor must be the next_cursor of an earlier page."))
		return
	}
	resp := FlagList{Flags: []projections.Flag{}, AsOf: rc.asOf}
	err = s.Views.View(r.Context(), rc.at, func(v *projections.Views) error {
		units, err := s.unitParam(v, rc, q.Get("unit"))
		if err != nil {
			return err
		}
		party, subject := q.Get("party"), q.Get("subject")
		if err := partyParam(v, party); err != nil {
			return err
		}
		if subject != "" && !events.ValidStream(subject) {
			return events.FieldErrorf("subject", "subject %s is not a record's stream, such as recommendation/kn-2024-15 or unit/21607.", quoteShort(subject))
		}
		flags := v.Flags(rc.today)
		if cursor != "" {
			flags, _ = projections.FlagsAfter(flags, cursor)
		}
		for _, f := range flags {
			if code != "" && f.Code != code || status != "" && f.Status != status || against != "" && f.Against != against ||
				units != nil && !units[f.Unit] || party != "" && f.Party != party || subject != "" && f.Subject != subject ||
				from != "" && f.RaisedOn < from || to != "" && f.RaisedOn > to || !s.flagAllowed(v, rc, &f) {
				continue
			}
			if len(resp.Flags) == limit {
				resp.NextCursor = projections.FlagCursor(&resp.Flags[limit-1])
				break
			}
			resp.Flags = append(resp.Flags, f)
		}
		resp.Position = v.Position()
		return nil
	})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// findFlag returns the flag with id at the read's point. A flag the
// reader may not read is not found, as one never raised: a flag's ID is a
// digest of its code and what it is about (FlagID), so a reader could
// otherwise learn, by trying IDs, that a record out of its scope or
// withheld from it (a confidential one, a citizen's petitions) is flagged.
func (s *Server) findFlag(ctx context.Context, rc *readCtx, id string) (projections.Flag, error) {
	var out projections.Flag
	err := s.Views.View(ctx, rc.at, func(v *projections.Views) error {
		for _, f := range v.Flags(rc.today) {
			if f.ID == id && s.flagAllowed(v, rc, &f) {
				out = f
				return nil
			}
		}
		return &events.Error{Code: events.ENotFound, Field: "id", Message: fmt.Sprintf("No flag %s is raised (as of %s).", quoteShort(id), rc.today)}
	})
	return out, err
}

// handleFlag serves GET /v1/flags/{id}.
func (s *Server) handleFlag(w http.ResponseWriter, r *http.Request) {
	rc, err := s.beginRead(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	f, err := s.findFlag(r.Context(), rc, mux.Vars(r)["id"])
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		projections.Flag
		AsOf *AsOf `json:"as_of,omitempty"` // with as_of
	}{f, rc.asOf})
}

// FlagReviewRequest is the body of POST /v1/flags/{id}/reviews.
type FlagReviewRequest struct {
	Verdict    events.Verdict `json:"verdict"`
	Note       string         `json:"note"`
	ReviewedOn events.Date    `json:"reviewed_on,omitempty"`
}

// handleFlagReview serves POST /v1/flags/{id}/reviews: an inspector's
// verdict closes (or revises the review of) a raised flag. It is recorded
// as flag.reviewed.v1 (or flag.review_revised.v1) on stream flag/{id}.
func (s *Server) handleFlagReview(w http.ResponseWriter, r *http.Request) {
	actor, err := s.requireRole(r, events.RoleInspector)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var body FlagReviewRequest
	if err := s.decodeBody(w, r, &body); err != nil {
		s.Error(w, r, err)
		return
	}
	if r.URL.Query().Get("as_of") != "" {
		s.Error(w, r, events.FieldErrorf("as_of", "A review is of a flag as it stands now; as_of is for reads."))
		return
	}
	rc, err := s.beginRead(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	id := mux.Vars(r)["id"]
	f, err := s.findFlag(r.Context(), rc, id)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if body.ReviewedOn == "" {
		body.ReviewedOn = rc.today
	} else if body.ReviewedOn > rc.today {
		s.Error(w, r, events.FieldErrorf("reviewed_on", "reviewed_on %s is after today (%s): a review is recorded when it was made.", body.ReviewedOn, rc.today))
		return
	} else if body.ReviewedOn < f.RaisedOn {
		s.Error(w, r, events.FieldErrorf("reviewed_on", "reviewed_on %s is before the flag was raised (%s): a flag is reviewed once it is raised.", body.ReviewedOn, f.RaisedOn))
		return
	} else if f.Review != nil && body.ReviewedOn < f.Review.ReviewedOn {
		s.Error(w, r, events.FieldErrorf("reviewed_on", "reviewed_on %s is before the review it revises (%s).", body.ReviewedOn, f.Review.ReviewedOn))
		return
	}
	data, err := json.Marshal(events.FlagReviewedData{Code: f.Code, Verdict: body.Verdict, Note: body.Note, ReviewedOn: body.ReviewedOn})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	req := events.Request{Kind: events.KindFlag, ID: f.ID, Type: events.FlagReviewed, Create: true, Data: data, Unit: f.Unit,
		IdempotencyKey: r.Header.Get("Idempotency-Key"), Actor: actor}
	if st := s.Ledger.Lookup(events.StreamName(events.KindFlag, f.ID)); st.Exists() {
		req.Type, req.Create, req.Unit = events.FlagReviewRevised, false, ""
	}
	res, err := s.Ledger.Handle(r.Context(), req)
	if err != nil {
		s.Error(w, r, bodyFieldError(err)) // the body's verdict, not data.verdict
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusCreated, res)
}

// handleDeadlines serves GET /v1/deadlines: obligations in scope, by
// outcome (status=overdue,due_soon,pending,...), rule, party and unit:
// what MTTQ staff must chase, evaluated at the request's date or as_of.
func (s *Server) handleDeadlines(w http.ResponseWriter, r *http.Request) {
	rc, err := s.beginRead(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	limit, err := limitParam(q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var statuses []string
	for _, st := range q["status"] {
		for _, one := range strings.Split(st, ",") {
			switch one {
			case projections.Pending, projections.DueSoon, projections.Overdue, projections.OnTime, projections.Late, projections.Refused, projections.Waiting:
				statuses = append(statuses, one)
			default:
				s.Error(w, r, events.FieldErrorf("status", "status %s is not a deadline outcome (pending, due_soon, overdue, on_time, late, refused, waiting).", quoteShort(one)))
				return
			}
		}
	}
	rule, party := q.Get("rule"), q.Get("party")
	if _, ok := s.Views.Config().Rules.Rule(rule); rule != "" && !ok {
		s.Error(w, r, events.FieldErrorf("rule", "rule %s is not in the rule table (GET /v1/rules lists its keys).", quoteShort(rule)))
		return
	}
	start, err := parseDeadlineCursor(q.Get("cursor"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	type deadlineList struct {
		Deadlines []projections.Obligation `json:"deadlines"`
		Truncated bool                     `json:"truncated"`
		// NextCursor continues the list (pass it as cursor); empty at
		// the end. Set exactly when Truncated is.
		NextCursor string `json:"next_cursor"`
		Position   uint64 `json:"position"`
		AsOf       *AsOf  `json:"as_of,omitempty"`
	}
	resp := deadlineList{Deadlines: []projections.Obligation{}, AsOf: rc.asOf}
	err = s.Views.View(r.Context(), rc.at, func(v *projections.Views) error {
		units, err := s.unitParam(v, rc, q.Get("unit"))
		if err != nil {
			return err
		}
		if err := partyParam(v, party); err != nil {
			return err
		}
		allow, redact := s.allow(v, rc), redaction(rc.actor)
		resp.Position = v.Position()
		// Only obligations not met yet asked for (what the dashboards and
		// the inbox ask): items that owe none are passed over without
		// evaluating their deadlines, and without a party (whose own
		// index is smaller) those that may come from the index of due
		// dates, not from every item in scope.
		unmet := len(statuses) > 0 && !slices.ContainsFunc(statuses, func(s string) bool { return !projections.UnmetOutcome(s) })
		var owing map[events.Kind][]*projections.Item
		if unmet && party == "" {
			owing = v.Owing(statuses, rc.today, units)
		}
		// The order is stable: kinds in deadlineKinds' order, each kind's
		// items newest first (as lists), each item's obligations by
		// their keys. A page starts after its cursor's obligation.
		var next deadlineCursor // of the last deadline listed
	kinds:
		for ki, kind := range deadlineKinds {
			if ki < start.kind {
				continue
			}
			q := projections.Query{Kind: kind, Units: units, Allow: allow, Party: party, Redact: redact, Today: rc.today, Limit: 1 << 30}
			if ki == start.kind && start.item > 0 {
				q.Before = start.item + 1 // the cursor's item and older ones
			}
			if owing != nil {
				q.Among = owing[kind]
				if q.Among == nil {
					continue
				}
			}
			items, _ := v.List(q)
			for _, it := range items {
				if unmet && !v.MayOwe(it, statuses, rc.today) {
					continue
				}
				// An item's obligations in the order of their keys: the
				// event that started each, then rule and party. One that
				// starts later comes last, so a page's cursor neither
				// repeats nor skips one when an event between two pages
				// adds or drops one.
				obligations := v.Obligations(it, rc.today)
				slices.SortStableFunc(obligations, func(a, b projections.Obligation) int {
					return cmp.Or(cmp.Compare(startOf(a), startOf(b)), strings.Compare(a.Rule, b.Rule), strings.Compare(a.Party, b.Party))
				})
				for i, o := range obligations {
					key := obligationKey{start: startOf(o), rule: o.Rule}
					for j := i - 1; j >= 0 && startOf(obligations[j]) == key.start && obligations[j].Rule == key.rule; j-- {
						key.nth++
					}
					if redact.HidesDuty(it, &o) { // a withheld record's, or one a confidential event set (not asked for by party: List)
						o.Withhold()
					}
					if ki == start.kind && it.Created == start.item && key.compare(start.after) <= 0 {
						continue // on the previous page
					}
					if rule != "" && o.Rule != rule || party != "" && o.Party != party || len(statuses) > 0 && !slices.Contains(statuses, o.Outcome) {
						continue
					}
					if len(resp.Deadlines) == limit {
						// One more exists: the next page starts after the
						// last one listed.
						resp.Truncated = true
						resp.NextCursor = next.String()
						break kinds
					}
					resp.Deadlines = append(resp.Deadlines, o)
					next = deadlineCursor{kind: ki, item: it.Created, after: key}
				}
			}
		}
		return nil
	})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// deadlineKinds are the kinds whose obligations GET /v1/deadlines lists,
// in its order.
var deadlineKinds = []events.Kind{events.KindRecommendation, events.KindSupervision, events.KindCritique, events.KindInfoRequest, events.KindPetition}

// deadlineCursor is where a page of deadlines starts: the index of a kind
// in deadlineKinds, the creation position of an item, and the key of the
// last obligation of that item the page before listed. As text:
// "K.P.C.N.R": C the position of the event that started the obligation,
// N its place among the item's obligations with that start and rule (by
// party), R the base64url of its rule (rules have dots). The key names no
// party: the parties of a withheld record's deadlines are not the
// reader's to see.
type deadlineCursor struct {
	kind  int
	item  uint64
	after obligationKey
}

// obligationKey orders an item's obligations: by the event that started
// each, then rule, then party (as the place among those with the same
// start and rule).
type obligationKey struct {
	start uint64
	rule  string
	nth   int
}

// startOf is the position of the event that started an obligation.
func startOf(o projections.Obligation) uint64 {
	if len(o.Cites) > 0 {
		return o.Cites[0].Position
	}
	return 0
}

func (a obligationKey) compare(b obligationKey) int {
	return cmp.Or(cmp.Compare(a.start, b.start), strings.Compare(a.rule, b.rule), cmp.Compare(a.nth, b.nth))
}

func (c deadlineCursor) String() string {
	return fmt.Sprintf("%d.%d.%d.%d.%s", c.kind, c.item, c.after.start, c.after.nth, base64.RawURLEncoding.EncodeToString([]byte(c.after.rule)))
}

// parseDeadlineCursor reads a cursor ("" is the first page).
func parseDeadlineCursor(s string) (deadlineCursor, error) {
	bad := events.FieldErrorf("cursor", "cursor must be the next_cursor of an earlier page.")
	if s == "" {
		return deadlineCursor{}, nil
	}
	parts := strings.Split(s, ".")
	if len(parts) != 5 {
		return deadlineCursor{}, bad
	}
	k, err1 := strconv.Atoi(parts[0])
	p, err2 := strconv.ParseUint(parts[1], 10, 64)
	c, err3 := strconv.ParseUint(parts[2], 10, 64)
	n, err4 := strconv.Atoi(parts[3])
	rule, err5 := base64.RawURLEncoding.DecodeString(parts[4])
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err5 != nil || k < 0 || k >= len(deadlineKinds) || p == 0 || n < 0 || n > 1<<20 {
		return deadlineCursor{}, bad
	}
	return deadlineCursor{k, p, obligationKey{c, string(rule), n}}, nil
}

// trailFor returns a party's trail if the actor may read it.
func (s *Server) trailFor(ctx context.Context, rc *readCtx, party string) (projections.Trail, error) {
	var t projections.Trail
	err := s.Views.View(ctx, rc.at, func(v *projections.Views) error {
		var ok bool
		// Only the flags this reader may read, with their reviews (as
		// /v1/flags shows them).
		allow := func(f *projections.Flag) bool { return s.flagAllowed(v, rc, f) }
		// And only obligations of records in the reader's scope, as
		// /v1/deadlines?party= lists them (a respondent's trail is its
		// own party's: every record that concerns it).
		var allowItem func(*projections.Item) bool
		if rc.actor.Role != events.RoleRespondent {
			allowItem = s.allow(v, rc)
		}
		if t, ok = v.Accountability(party, rc.today, allowItem, allow, redaction(rc.actor)); !ok {
			return &events.Error{Code: events.ENotFound, Field: "id", Message: fmt.Sprintf("No party has the ID %s.", quoteShort(party))}
		}
		switch a := rc.actor; a.Role {
		case events.RoleRespondent:
			if a.Party != party {
				return events.Errorf(events.EForbidden, "A respondent token reads only its own party's trail.")
			}
		case events.RoleRecorder, events.RoleObserver, events.RoleAdmin:
			if a.Unit != "" && !s.within(rc, v, t.Unit) {
				return events.Errorf(events.EForbidden, "Party %s belongs to unit %s, outside the scope of this token.", party, t.Unit)
			}
		}
		return nil
	})
	return t, err
}

// handleAccountability serves GET /v1/parties/{id}/accountability.
func (s *Server) handleAccountability(w http.ResponseWriter, r *http.Request) {
	rc, err := s.beginRead(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	t, err := s.trailFor(r.Context(), rc, mux.Vars(r)["id"])
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		projections.Trail       // with its position
		AsOf              *AsOf `json:"as_of,omitempty"`
	}{t, rc.asOf})
}

// handleReport serves GET /v1/reports/summary?unit=&from=&to=: the
// aggregates of domain.md §5 for a unit (with its subtree) over a period,
// as JSON or, with Accept: text/csv, as CSV in UTF-8 with a BOM.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) {
	rc, err := s.beginRead(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	q := r.URL.Query()
	from, to, err := periodParams(q)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	unit := q.Get("unit")
	if unit == "" && rc.actor.Role != events.RoleInspector && !(rc.actor.Role == events.RoleAdmin && rc.actor.Unit == "") {
		unit = rc.actor.Unit
	}
	if rc.actor.Role == events.RoleRespondent {
		s.Error(w, r, events.Errorf(events.EForbidden, "Reports are for MTTQ staff, inspectors and oversight bodies, not respondents."))
		return
	}
	periods := []projections.Period{{From: from, To: to}}
	switch by := q.Get("by"); by {
	case "":
	case "quarter":
		if from == "" || to == "" {
			s.Error(w, r, events.FieldErrorf("from", "by=quarter needs both from and to."))
			return
		}
		quarters, _ := projections.SplitQuarters(from, to)
		if len(quarters) == 0 || quarters[0].From != from || quarters[len(quarters)-1].To != to {
			// Beyond 12 calendar years the series would leave the first years out.
			s.Error(w, r, events.FieldErrorf("from", "by=quarter splits a period of at most 12 calendar years (by year beyond 12 quarters); the period %s to %s touches %s to %s.", from, to, from[:4], to[:4]))
			return
		}
		periods = append(periods, quarters...)
	default:
		s.Error(w, r, events.FieldErrorf("by", "by must be quarter (or absent), not %s.", quoteShort(by)))
		return
	}
	var reps []projections.Report
	err = s.Views.View(r.Context(), rc.at, func(v *projections.Views) error {
		// The unit's scope as it is now (as of an earlier point too, as
		// the reader's lists have it: a unit moved in or out since, a
		// unit made since that took others over).
		scope, err := s.unitParam(v, rc, unit)
		if err != nil {
			return err
		}
		reps = v.Reports(unit, periods, rc.today, redaction(rc.actor), scope)
		return nil
	})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Vary", "Accept")
	if wantsCSV(r.Header.Values("Accept")) {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="bao-cao-%s-%s-%s.csv"`, orAll(unit), orAll(string(from)), orAll(string(to))))
		body := reportCSV(reps[0], reps[1:], rc.asOf)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		projections.Report
		Series []projections.Report `json:"series,omitempty"`
		AsOf   *AsOf                `json:"as_of,omitempty"`
	}{reps[0], reps[1:], rc.asOf})
}

// wantsCSV reports whether the Accept header prefers CSV (text/csv, or
// text/*) to JSON (application/json, application/*, */*), by their
// quality values (RFC 9110 §12.5.1; media types compared without case):
// each type's quality is that of the most specific range that matches it,
// so "text/csv;q=0, text/*" refuses CSV and "application/json;q=0, */*"
// refuses JSON. No header, or one that names neither, is JSON.
func wantsCSV(accept []string) bool {
	// The best quality of the ranges matching each type, by how exactly
	// they match: the type itself, its type/*, */* (-1: none).
	csv, json := [3]float64{-1, -1, -1}, [3]float64{-1, -1, -1}
	for _, line := range accept {
		for _, rng := range strings.Split(line, ",") {
			media, params, _ := strings.Cut(rng, ";")
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
					if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
						q = f
					} else {
						q = 0 // not a quality value: not acceptable
					}
				}
			}
			switch strings.ToLower(strings.TrimSpace(media)) {
			case "text/csv":
				csv[0] = max(csv[0], q)
			case "text/*":
				csv[1] = max(csv[1], q)
			case "application/json":
				json[0] = max(json[0], q)
			case "application/*":
				json[1] = max(json[1], q)
			case "*/*":
				csv[2], json[2] = max(csv[2], q), max(json[2], q)
			}
		}
	}
	// At the same quality a range that names its type exactly beats a
	// wildcard (text/csv, */* is CSV); otherwise a tie is JSON.
	quality := func(r [3]float64) (float64, bool) {
		for i, x := range r {
			if x >= 0 {
				return x, i == 0
			}
		}
		return 0, false
	}
	c, csvExact := quality(csv)
	j, jsonExact := quality(json)
	return c > 0 && (c > j || c == j && csvExact && !jsonExact)
}

func orAll(s string) string {
	if s == "" {
		return "all"
	}
	return s
}

// reportCSV renders a report as CSV: a byte-order mark (so spreadsheet
// programs read UTF-8 and show Vietnamese correctly), then one line per
// figure, the per-unit table, and the series by quarter if asked for. A
// cell that a spreadsheet would take for a formula (a unit named
// "=HYPERLINK(...)", say) starts with an apostrophe, which shows it as text.
func reportCSV(rep projections.Report, series []projections.Report, asOf *AsOf) []byte {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	cw := csv.NewWriter(&b)
	cw.UseCRLF = true // RFC 4180, text/csv's own definition
	// Rates as percentages and days with at most one decimal: Excel in a
	// Vietnamese locale, where "." groups thousands, read the three
	// decimals written before ("0.600", "12.500") as 600 and 12500; a
	// number with one decimal it cannot take for a grouped one (it shows
	// "62.5%" as text there, a number elsewhere).
	oneDecimal := func(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) }
	pct := func(x *float64) string {
		if x == nil {
			return ""
		}
		return oneDecimal(*x*100) + "%"
	}
	days := func(x *float64) string {
		if x == nil {
			return ""
		}
		return oneDecimal(*x)
	}
	rs := rep.Recommendations
	rows := [][]string{
		{"Chỉ tiêu (metric)", "Giá trị (value)"},
		{"Đơn vị (unit)", strings.TrimSpace(rep.Unit + " " + rep.UnitName)},
		{"Từ ngày (from)", string(rep.From)},
		{"Đến ngày (to)", string(rep.To)},
		{"Tính đến ngày (evaluated on)", string(rep.EvaluatedOn)},
	}
	if asOf != nil {
		// Read as_of: the point, and the signed checkpoint that covers it.
		cp := ""
		if asOf.Checkpoint != nil {
			cp = strconv.FormatUint(asOf.Checkpoint.Size, 10)
		}
		rows = append(rows, []string{"Tính đến vị trí trong sổ (as of log position)", strconv.FormatUint(asOf.Position, 10)},
			[]string{"Điểm kiểm tra bao gồm vị trí đó (covering checkpoint, tree size)", cp})
	}
	rows = append(rows, []string{"Số cuộc giám sát (supervisions)", strconv.Itoa(rep.Supervisions)})
	for _, k := range slices.Sorted(maps.Keys(rep.SupervisionsBy)) {
		rows = append(rows, []string{"Giám sát theo hình thức (supervisions by form) " + k, strconv.Itoa(rep.SupervisionsBy[k])})
	}
	rows = append(rows, []string{"Số cuộc phản biện (critiques)", strconv.Itoa(rep.Critiques)})
	for _, k := range slices.Sorted(maps.Keys(rep.CritiquesBy)) {
		rows = append(rows, []string{"Phản biện theo hình thức (critiques by form) " + k, strconv.Itoa(rep.CritiquesBy[k])})
	}
	rows = append(rows,
		[]string{"Kiến nghị đã ban hành (recommendations issued)", strconv.Itoa(rs.Issued)},
		[]string{"Đã nhận (received)", strconv.Itoa(rs.Received)},
		[]string{"Đã trả lời đúng hạn (answered on time)", strconv.Itoa(rs.AnsweredOnTime)},
		[]string{"Trả lời quá hạn (answered late)", strconv.Itoa(rs.AnsweredLate)},
		[]string{"Quá hạn chưa trả lời (missing)", strconv.Itoa(rs.Missing)},
		[]string{"Chưa đến hạn (not yet due)", strconv.Itoa(rs.NotYetDue)},
		[]string{"Tiếp thu (accepted)", strconv.Itoa(rs.Accepted)},
		[]string{"Tiếp thu một phần (partly accepted)", strconv.Itoa(rs.PartlyAccepted)},
		[]string{"Giải trình không tiếp thu (explained, not accepted)", strconv.Itoa(rs.ExplainedNotAccepted)},
		[]string{"Đang thực hiện (in implementation)", strconv.Itoa(rs.InImplementation)},
		[]string{"Đã thực hiện (implemented)", strconv.Itoa(rs.Implemented)},
		[]string{"Đã xác minh thực hiện (verified)", strconv.Itoa(rs.Verified)},
		[]string{"Số ngày trả lời trung vị (median days to answer)", days(rep.MedianDaysToAnswer)},
		[]string{"Tỷ lệ trả lời đúng hạn (on-time rate)", pct(rep.OnTimeRate)},
	)
	ps, is := rep.Petitions, rep.InfoRequests
	rows = append(rows,
		[]string{"Đơn thư đã nhận (petitions received)", strconv.Itoa(ps.Received)},
		[]string{"Đơn thư đã chuyển (petitions forwarded)", strconv.Itoa(ps.Forwarded)},
		[]string{"Đơn thư giải quyết đúng hạn (petitions resolved on time)", strconv.Itoa(ps.ResolvedOnTime)},
		[]string{"Đơn thư giải quyết quá hạn (petitions resolved late)", strconv.Itoa(ps.ResolvedLate)},
		[]string{"Đơn thư quá hạn chưa giải quyết (petitions overdue)", strconv.Itoa(ps.Overdue)},
		[]string{"Đơn thư người gửi đã rút (petitions withdrawn)", strconv.Itoa(ps.Withdrawn)},
		[]string{"Yêu cầu cung cấp thông tin đã nhận (information requests received)", strconv.Itoa(is.Received)},
		[]string{"Đã cung cấp thông tin (provided)", strconv.Itoa(is.Provided)},
		[]string{"Từ chối cung cấp (refused)", strconv.Itoa(is.Refused)},
		[]string{"Trả lời quá hạn (answered late)", strconv.Itoa(is.AnsweredLate)},
		[]string{"Quá hạn chưa trả lời (overdue)", strconv.Itoa(is.Overdue)},
		[]string{"Kỳ tiếp công dân của Chủ tịch UBND (chairs' reception periods)", strconv.Itoa(rep.Receptions.Periods)},
		[]string{"Số ngày tiếp công dân (reception days held)", strconv.Itoa(rep.Receptions.DaysHeld)},
		[]string{"Số ngày tối thiểu (reception days required)", strconv.Itoa(rep.Receptions.DaysRequired)},
		[]string{"Kỳ dưới mức tối thiểu (periods below the minimum)", strconv.Itoa(rep.Receptions.BelowMinimum)},
	)
	for _, k := range slices.Sorted(maps.Keys(rep.FlagsOpen)) {
		rows = append(rows, []string{"Cảnh báo đang mở (open flags) " + k, strconv.Itoa(rep.FlagsOpen[k])})
	}
	rows = append(rows, []string{}, []string{"Đơn vị (unit)", "Tên (name)", "Kiến nghị (issued)", "Đúng hạn (on time)", "Quá hạn (late)", "Chưa trả lời (missing)", "Tỷ lệ đúng hạn (on-time rate)"})
	for _, u := range rep.Units {
		rows = append(rows, []string{u.Unit, u.Name, strconv.Itoa(u.Issued), strconv.Itoa(u.OnTime), strconv.Itoa(u.Late), strconv.Itoa(u.Missing), pct(u.OnTimeRate)})
	}
	if len(series) > 0 {
		rows = append(rows, []string{}, []string{"Từ ngày (from)", "Đến ngày (to)", "Giám sát (supervisions)", "Phản biện (critiques)", "Kiến nghị (issued)",
			"Đúng hạn (on time)", "Quá hạn (late)", "Chưa trả lời (missing)", "Tỷ lệ đúng hạn (on-time rate)"})
		for _, q := range series {
			r := q.Recommendations
			rows = append(rows, []string{string(q.From), string(q.To), strconv.Itoa(q.Supervisions), strconv.Itoa(q.Critiques), strconv.Itoa(r.Issued),
				strconv.Itoa(r.AnsweredOnTime), strconv.Itoa(r.AnsweredLate), strconv.Itoa(r.Missing), pct(q.OnTimeRate)})
		}
	}
	for _, row := range rows {
		for i, c := range row {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				row[i] = "'" + c
			}
		}
	}
	cw.WriteAll(rows)
	return b.Bytes()
}

// handleRules serves GET /v1/rules: the deadline rule table (with
// citations) and flag thresholds the views are computed with.
func (s *Server) handleRules(w http.ResponseWriter, r *http.Request) {
	if _, err := s.authenticate(r); err != nil {
		s.Error(w, r, err)
		return
	}
	if s.Views == nil {
		s.Error(w, r, events.Errorf(events.EUnavailable, "The views are not running."))
		return
	}
	writeJSON(w, http.StatusOK, struct {
		*projections.RuleTable
		Digest string `json:"config_digest"`
	}{s.Views.Config().Rules, s.Views.Config().Digest()})
}

// RebuildRequest is the optional body of POST /v1/admin/rebuild.
type RebuildRequest struct {
	Reason string `json:"reason,omitempty"`
}

// Rebuilt answers POST /v1/admin/rebuild.
type Rebuilt struct {
	// Position is the log position the views were rebuilt to.
	Position uint64 `json:"position"`
	// Recorded is the admin.rebuild_requested.v1 event that records the
	// request, written before the rebuild.
	Recorded events.Result `json:"recorded"`
}

// handleRebuild serves POST /v1/admin/rebuild: rebuilds the views from
// the start of the log, swaps them in and saves a snapshot. Admins of the
// whole ledger only; the request is recorded in the ledger first
// (admin.rebuild_requested.v1: if it cannot be recorded, nothing is done),
// and waits for the rebuild.
func (s *Server) handleRebuild(w http.ResponseWriter, r *http.Request) {
	actor, err := s.requireRole(r, events.RoleAdmin)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if actor.Unit != "" {
		s.Error(w, r, events.Errorf(events.EForbidden, "Only an admin of the whole ledger may rebuild the views."))
		return
	}
	if s.Views == nil {
		s.Error(w, r, events.Errorf(events.EUnavailable, "The views are not running."))
		return
	}
	body := RebuildRequest{Reason: "Requested through POST /v1/admin/rebuild with no reason given."}
	// The body is optional: read it, and decode it only if there is one.
	raw, err := io.ReadAll(io.LimitReader(r.Body, s.MaxBodyBytes+1))
	if err != nil {
		s.Error(w, r, &events.Error{Code: events.EInvalid, Field: "body", Message: "The body could not be read."})
		return
	}
	if len(bytes.TrimSpace(raw)) > 0 {
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if err := s.decodeBody(w, r, &body); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	data, _ := json.Marshal(events.AdminRebuildRequestedData{Replica: s.replica(), Reason: body.Reason})
	rec, err := s.Ledger.Handle(r.Context(), events.Request{Kind: events.KindAdmin, Create: true, Type: events.AdminRebuildRequested, Data: data, Actor: actor,
		IdempotencyKey: r.Header.Get("Idempotency-Key")})
	if err != nil {
		s.Error(w, r, bodyFieldError(err))
		return
	}
	if rec.Replayed {
		// A retry of a rebuild already asked for: the first one did it.
		writeJSON(w, http.StatusOK, Rebuilt{Position: s.Views.Position(), Recorded: rec})
		return
	}
	pos, err := s.Views.Rebuild(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.Logger.Info("views rebuilt", "position", pos, "by", actor.Subject, "recorded_at", rec.Position)
	writeJSON(w, http.StatusOK, Rebuilt{Position: pos, Recorded: rec})
}

// replica names this process in the records of administrative actions:
// Server.Replica, else the host name.
func (s *Server) replica() string {
	if s.Replica != "" {
		return s.Replica
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "unknown"
}
