package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// ReadWait is the default bound on how long a read waits for the views to
// reach its min_position before answering 503.
const ReadWait = 5 * time.Second

// Page sizes of list endpoints.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

func (s *Server) registerReadRoutes(r *mux.Router) {
	r.HandleFunc("/v1/"+collectionPattern, s.handleList).Methods("GET")
	r.HandleFunc("/v1/flags", s.handleFlags).Methods("GET")
	r.HandleFunc("/v1/flags/{id}", s.handleFlag).Methods("GET")
	r.HandleFunc("/v1/flags/{id}/reviews", s.handleFlagReview).Methods("POST")
	r.HandleFunc("/v1/deadlines", s.handleDeadlines).Methods("GET")
	r.HandleFunc("/v1/parties/{id}/accountability", s.handleAccountability).Methods("GET")
	r.HandleFunc("/v1/bundles/parties/{id}", s.handleBundle).Methods("GET")
	r.HandleFunc("/v1/reports/summary", s.handleReport).Methods("GET")
	r.HandleFunc("/v1/rules", s.handleRules).Methods("GET")
	r.HandleFunc("/v1/admin/rebuild", s.handleRebuild).Methods("POST")
}

// AsOf describes the point a read was answered at, when it asked for one:
// the position, when it was recorded, and the signed checkpoint that covers
// it (the first whose tree includes that position), if one does yet.
type AsOf struct {
	Position   uint64         `json:"position"`
	RecordedAt *time.Time     `json:"recorded_at,omitempty"`
	Date       events.Date    `json:"evaluated_on"`
	Checkpoint *CheckpointRef `json:"checkpoint"`
}

// CheckpointRef names a signed checkpoint.
type CheckpointRef struct {
	Size uint64 `json:"size"`
	Note string `json:"note"`
}

// readCtx is what every read endpoint starts from.
type readCtx struct {
	actor events.Actor
	// at is the position to read at (projections.Latest for now).
	at    uint64
	today events.Date
	asOf  *AsOf
	// scope is the reader's scope (see Server.within), taken once.
	scopeOnce sync.Once
	scope     map[string]bool
	// scopesNow are, for a read as of an earlier point, the scopes of
	// the token's unit and of the unit asked for as they are now (the
	// live views' ScopeSet, taken before the past views are read).
	scopesNow map[string]map[string]bool
}

// scopeOf returns the units a query on unit covers (nil for a unit not
// registered): as the unit tree is now, also when the views read are as
// of an earlier point (see within).
func (s *Server) scopeOf(rc *readCtx, v *projections.Views, unit string) map[string]bool {
	if set, ok := rc.scopesNow[unit]; ok {
		return set
	}
	return v.ScopeSet(unit)
}

// within reports whether unit is in the scope of the reader's token (its
// unit and below, as events.UnitWithin counts them): the scope as it is
// now, also when the views read are as of an earlier point, whose unit tree
// may not know the token's unit yet, or held a unit elsewhere than it is
// now. The item and its events are read by the scope as it is now too
// (mayRead): lists, items, trails and reports agree at every point.
func (s *Server) within(rc *readCtx, v *projections.Views, unit string) bool {
	rc.scopeOnce.Do(func() { rc.scope = s.scopeOf(rc, v, rc.actor.Unit) })
	return rc.scope[unit]
}

// takeScopesNow notes, for a read as of an earlier point, the scopes of
// the token's unit and of the unit asked for as the live views have them:
// the past views' tree may not know a unit made since, and may hold a unit
// elsewhere than it is now (units are never removed, so the live scopes
// name every unit the past views hold that the reader may read).
func (s *Server) takeScopesNow(ctx context.Context, rc *readCtx, unit string) {
	if rc.at == projections.Latest {
		return
	}
	rc.scopesNow = map[string]map[string]bool{}
	s.Views.View(ctx, projections.Latest, func(v *projections.Views) error {
		for _, u := range []string{rc.actor.Unit, unit} {
			if u != "" {
				rc.scopesNow[u] = v.ScopeSet(u)
			}
		}
		return nil
	})
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// beginRead authenticates, waits for min_position and resolves as_of.
func (s *Server) beginRead(r *http.Request) (*readCtx, error) {
	actor, err := s.authenticate(r)
	if err != nil {
		return nil, err
	}
	if s.Views == nil || !s.Views.Ready() {
		return nil, events.Errorf(events.EUnavailable, "The views are still being built; try again.")
	}
	q := r.URL.Query()
	rc := &readCtx{actor: actor, at: projections.Latest, today: projections.Today(s.now())}
	if n, err := minPosition(q); err != nil {
		return nil, err
	} else if n > 0 {
		if err := s.pastHead(r.Context(), n, s.Views.Position()); err != nil {
			return nil, err
		}
		if err := s.waitViews(r.Context(), n, "min_position"); err != nil {
			return nil, err
		}
	}
	if as := q.Get("as_of"); as != "" {
		if err := s.resolveAsOf(r.Context(), rc, as); err != nil {
			return nil, err
		}
		s.takeScopesNow(r.Context(), rc, q.Get("unit"))
	}
	return rc, nil
}

// minPosition returns the min_position parameter (0 if absent).
func minPosition(q url.Values) (uint64, error) {
	mp := q.Get("min_position")
	if mp == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(mp, 10, 64)
	if err != nil {
		return 0, events.FieldErrorf("min_position", "min_position must be a log position (a whole number), such as the position a write returned.")
	}
	return n, nil
}

// pastHead refuses a min_position past the end of the log as the store
// tells it (writes through any replica included), unless applied already
// covers it: no write has returned such a position, and waiting for it
// would answer 503, which invites a retry, where a typo is the likely cause.
func (s *Server) pastHead(ctx context.Context, pos, applied uint64) error {
	if pos <= applied {
		return nil
	}
	head, err := s.Ledger.Store.Head(ctx)
	if err != nil || pos <= head {
		return nil // the bounded wait decides
	}
	return events.FieldErrorf("min_position", "min_position %d is past the end of the log (position %d): no write has returned it.", pos, head)
}

// readWait is how long a read waits for the views, the write side or a
// checkpoint: the server's ReadWait, else the default.
func (s *Server) readWait() time.Duration {
	if s.ReadWait > 0 {
		return s.ReadWait
	}
	return ReadWait
}

// waitViews waits up to readWait for the views to reach pos; field names
// the parameter that asked for it.
func (s *Server) waitViews(ctx context.Context, pos uint64, field string) error {
	if s.Views.Position() >= pos {
		return nil // the usual case: no timer to set up
	}
	ctx, cancel := context.WithTimeout(ctx, s.readWait())
	defer cancel()
	if err := s.Views.WaitPosition(ctx, pos); err != nil {
		return &events.Error{Code: events.EUnavailable, Field: field,
			Message: fmt.Sprintf("The views have reached position %d, not yet %d; try again shortly.", s.Views.Position(), pos)}
	}
	return nil
}

// waitLedger waits, bounded as waitViews, for the write side to have
// applied position pos.
func (s *Server) waitLedger(ctx context.Context, pos uint64) error {
	ctx, cancel := context.WithTimeout(ctx, s.readWait())
	defer cancel()
	return s.Ledger.WaitApplied(ctx, pos)
}

func (s *Server) resolveAsOf(ctx context.Context, rc *readCtx, as string) error {
	var pos uint64
	var at time.Time
	if n, err := strconv.ParseUint(as, 10, 64); err == nil {
		size := max(s.Views.Position(), s.Ledger.Size())
		if n > size {
			// Perhaps a write just acknowledged (here or on another
			// replica) that this replica has not applied yet: the store
			// knows.
			if head, err := s.Ledger.Store.Head(ctx); err == nil {
				size = max(size, head)
			}
		}
		if n == 0 || n > size {
			return events.FieldErrorf("as_of", "as_of position %d is not in the log (positions 1 to %d).", n, size)
		}
		if n > s.Views.Position() {
			// In the log but not yet in the views: wait for them, as
			// min_position does, so a client can read as of its write.
			if err := s.waitViews(ctx, n, "as_of"); err != nil {
				return err
			}
		}
		pos = n
	} else if t, err := events.ParseTime(as); err == nil {
		// Later today is today as it stands; a later day has not come.
		// (Dates compared as times: a year past 9999 has five digits.)
		today := projections.Today(s.now())
		day, err := projections.Today(t).Time()
		if now, _ := today.Time(); err != nil || day.After(now) {
			return events.FieldErrorf("as_of", "as_of %s is after today (%s in Vietnam): the ledger shows what was, not what will be; leave as_of out to read the present.", as, today)
		}
		at = t
		var applied uint64
		s.Views.Read(func(v *projections.Views) { pos, applied = v.PositionAt(t), v.Position() })
		if pos == applied {
			// Every event the views hold was recorded by then: so may
			// events they have not applied yet (written through another
			// replica, or just now). The log itself decides, and the
			// views are waited for, as for a position.
			if head, err := s.Ledger.Store.Head(ctx); err == nil && head > applied {
				if pos, err = projections.LogPositionAt(ctx, s.Ledger.Store, t); err != nil {
					s.Logger.Warn("searching the log for an as_of time failed", "as_of", as, "err", err)
					return events.Errorf(events.EUnavailable, "The log could not be searched for as_of %s; try again.", as)
				}
				if err := s.waitViews(ctx, pos, "as_of"); err != nil {
					return err
				}
			}
		}
	} else if strings.Contains(as, " ") {
		// A + left unescaped in the query reads as a space.
		return events.FieldErrorf("as_of", "as_of %s is not an RFC 3339 time: a + in a query string reads as a space; write it as %%2B (2024-06-30T17:00:00%%2B07:00).", quoteShort(as))
	} else {
		return events.FieldErrorf("as_of", "as_of must be a log position (such as 1200) or an RFC 3339 time (such as 2024-06-30T17:00:00+07:00).")
	}
	rc.at = pos
	a := &AsOf{Position: pos}
	if pos > 0 {
		s.Views.Read(func(v *projections.Views) {
			t := v.RecordedAt(pos)
			a.RecordedAt = &t
			if at.IsZero() {
				at = t
			}
		})
		// A point just written is covered by the next checkpoint, signed
		// within the ledger's interval: wait for it a little, so that a
		// read as of its own write names one (without one in time, the
		// answer says none).
		wctx, cancel := context.WithTimeout(ctx, min(s.readWait(), 4*s.Ledger.CheckpointInterval))
		s.Ledger.WaitCheckpoint(wctx, pos)
		cancel()
		size, note, err := s.coveringCheckpoint(ctx, pos)
		if err != nil {
			return err
		}
		if size > 0 {
			a.Checkpoint = &CheckpointRef{Size: size, Note: string(note)}
		}
	}
	rc.today = projections.Today(at)
	a.Date = rc.today
	rc.asOf = a
	return nil
}

// coveringCheckpoint returns the first checkpoint whose tree includes pos.
func (s *Server) coveringCheckpoint(ctx context.Context, pos uint64) (uint64, []byte, error) {
	var size uint64
	var note []byte
	stop := errors.New("found")
	err := s.Store.Checkpoints(ctx, func(sz uint64, n []byte) error {
		if sz >= pos {
			size, note = sz, n
			return stop
		}
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return 0, nil, err
	}
	return size, note, nil
}

// allow returns the filter of what the reader may read.
func (s *Server) allow(v *projections.Views, rc *readCtx) func(*projections.Item) bool {
	a := rc.actor
	reference := func(it *projections.Item) bool { return it.Kind == events.KindUnit || it.Kind == events.KindParty }
	switch a.Role {
	case events.RoleInspector:
		return nil
	case events.RoleAdmin:
		if a.Unit == "" {
			return nil
		}
		fallthrough
	case events.RoleRecorder, events.RoleObserver:
		return func(it *projections.Item) bool { return reference(it) || s.within(rc, v, it.Unit()) }
	case events.RoleRespondent:
		return func(it *projections.Item) bool {
			return reference(it) || it.Party == a.Party || slices.Contains(it.Core.Parties, a.Party)
		}
	}
	return func(*projections.Item) bool { return false }
}

// unitParam resolves the unit filter: a registered unit inside the
// reader's scope, and the units it covers (as the unit tree is now, also
// for views as of an earlier point: see scopeOf).
func (s *Server) unitParam(v *projections.Views, rc *readCtx, unit string) (map[string]bool, error) {
	a := rc.actor
	if unit == "" {
		return nil, nil
	}
	set := s.scopeOf(rc, v, unit)
	if set == nil {
		return nil, events.FieldErrorf("unit", "Unit %s is not registered.", quoteShort(unit))
	}
	switch a.Role {
	case events.RoleRecorder, events.RoleObserver, events.RoleAdmin:
		if a.Unit != "" && !s.within(rc, v, unit) {
			return nil, &events.Error{Code: events.EForbidden, Field: "unit", Message: fmt.Sprintf("Unit %s is outside the scope of this token (unit %s and below).", unit, a.Unit)}
		}
	}
	return set, nil
}

// partyParam checks a party parameter: a registered party (at the point
// read), if any. (A typo answered an empty list.)
func partyParam(v *projections.Views, party string) error {
	if party != "" && v.Item(events.StreamName(events.KindParty, party)) == nil {
		return events.FieldErrorf("party", "Party %s is not registered (by the point read).", quoteShort(party))
	}
	return nil
}

// joinStatuses lists states for a message.
func joinStatuses(ss []events.Status) string {
	out := make([]string, len(ss))
	for i, st := range ss {
		out[i] = string(st)
	}
	return strings.Join(out, ", ")
}

func dateParam(q map[string][]string, name string) (events.Date, error) {
	vals := q[name]
	if len(vals) == 0 || vals[0] == "" {
		return "", nil
	}
	d := events.Date(vals[0])
	if !d.Valid() {
		return "", events.FieldErrorf(name, "%s must be a date such as 2024-06-30.", name)
	}
	return d, nil
}

// periodParams reads from and to: dates, to not before from.
func periodParams(q map[string][]string) (from, to events.Date, err error) {
	if from, err = dateParam(q, "from"); err != nil {
		return "", "", err
	}
	if to, err = dateParam(q, "to"); err != nil {
		return "", "", err
	}
	if from != "" && to != "" && to < from {
		return "", "", events.FieldErrorf("to", "to (%s) is before from (%s).", to, from)
	}
	return from, to, nil
}

func limitParam(q map[string][]string) (int, error) {
	vals := q["limit"]
	if len(vals) == 0 || vals[0] == "" {
		return DefaultLimit, nil
	}
	n, err := strconv.Atoi(vals[0])
	if err != nil || n < 1 || n > MaxLimit {
		return 0, events.FieldErrorf("limit", "limit must be a whole number from 1 to %d.", MaxLimit)
	}
	return n, nil
}

// ListResponse is a page of items.
type ListResponse struct {
	Items []ItemResponse `json:"items"`
	// NextCursor continues the list (pass it as cursor); empty at the end.
	NextCursor string `json:"next_cursor"`
	// Position is the log position the views had applied.
	Position uint64 `json:"position"`
	AsOf     *AsOf  `json:"as_of,omitempty"`
}

// ItemResponse is one item: its read model, and for the current state the
// event types its lifecycle allows next.
type ItemResponse struct {
	projections.ItemView
	// LastPosition repeats updated_position (the write side's name).
	LastPosition uint64        `json:"last_position"`
	Open         []string      `json:"open,omitempty"`
	NextTypes    []events.Type `json:"next_types,omitempty"`
}

// itemRedaction is what the view of it withholds from a: redaction(a),
// and on a party, which every reader reads as reference data, the personal
// data it holds (an allegation against a member of a People's Inspection
// Board) unless a's scope covers the party's unit: not a respondent's,
// nor another unit's MTTQ.
func (s *Server) itemRedaction(v *projections.Views, rc *readCtx, it *projections.Item) projections.Redaction {
	a := rc.actor
	r := redaction(a)
	if it.Kind == events.KindParty && !s.coversParty(v, rc, it.Unit()) {
		r |= projections.HidePersonal
	}
	if a.Role == events.RoleRespondent && it.Kind == events.KindPetition && s.denunciationNow(it.Stream()) {
		r |= projections.HidePersonal // read as of a time it was not one yet
	}
	return r
}

// denunciationNow reports whether stream is a petition that is a
// denunciation now. Who denounced is kept from respondents whenever they
// read: views as of a time before the petition was classified a
// denunciation, when it was addressed to them as another kind, do not
// know it yet (mayReadEvent goes by the current state too).
func (s *Server) denunciationNow(stream string) bool {
	return strings.HasPrefix(stream, string(events.KindPetition)+"/") && s.Ledger.Lookup(stream).Denunciation()
}

// coversParty reports whether the reader's scope covers a party of unit.
func (s *Server) coversParty(v *projections.Views, rc *readCtx, unit string) bool {
	switch a := rc.actor; a.Role {
	case events.RoleInspector:
		return true
	case events.RoleAdmin, events.RoleRecorder, events.RoleObserver:
		return a.Unit == "" || s.within(rc, v, unit)
	}
	return false
}

// redaction is what items' views withhold from a: observers see neither
// the fields of confidential events nor citizens' personal data;
// respondents (the bodies an item is addressed to) see what is addressed
// to them, but not who denounced (mayReadEvent withholds the events too).
func redaction(a events.Actor) projections.Redaction {
	switch a.Role {
	case events.RoleObserver:
		return projections.HideConfidential | projections.HidePersonal
	case events.RoleRespondent:
		return projections.HideDenouncer
	}
	return 0
}

// handleList serves GET /v1/{collection}: filters, newest first, cursor
// pagination.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) {
	rc, err := s.beginRead(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	kind := Collections[mux.Vars(r)["collection"]]
	q := r.URL.Query()
	query := projections.Query{Kind: kind, Form: q.Get("form"), Party: q.Get("party"), Text: q.Get("q"), Today: rc.today}
	if query.Limit, err = limitParam(q); err != nil {
		s.Error(w, r, err)
		return
	}
	if query.From, query.To, err = periodParams(q); err != nil {
		s.Error(w, r, err)
		return
	}
	derived := projections.DerivedStatusesOf(kind)
	for _, st := range q["status"] {
		for _, one := range strings.Split(st, ",") {
			if !slices.Contains(events.Statuses(kind), events.Status(one)) && !slices.Contains(derived, one) {
				s.Error(w, r, events.FieldErrorf("status", "status %s is not a state of %s: use its lifecycle states (%s) or derived ones (%s).",
					quoteShort(one), kind, joinStatuses(events.Statuses(kind)), strings.Join(derived, ", ")))
				return
			}
			query.Status = append(query.Status, one)
		}
	}
	if query.Form != "" {
		forms := projections.FormValues(kind)
		if !slices.Contains(forms, query.Form) {
			if len(forms) == 0 {
				s.Error(w, r, events.FieldErrorf("form", "%s have no forms.", mux.Vars(r)["collection"]))
			} else {
				s.Error(w, r, events.FieldErrorf("form", "form %s is not a form of %s (%s).", quoteShort(query.Form), kind, strings.Join(forms, ", ")))
			}
			return
		}
	}
	if c := q.Get("cursor"); c != "" {
		n, err := strconv.ParseUint(c, 10, 64)
		if err != nil || n == 0 {
			s.Error(w, r, events.FieldErrorf("cursor", "cursor must be the next_cursor of an earlier page."))
			return
		}
		query.Before = n
	}
	if len([]rune(query.Text)) > 200 {
		s.Error(w, r, events.FieldErrorf("q", "q is at most 200 characters."))
		return
	}
	if !utf8.ValidString(query.Text) || strings.IndexFunc(query.Text, unicode.IsControl) >= 0 {
		s.Error(w, r, events.FieldErrorf("q", "q must be text in UTF-8, without control characters."))
		return
	}
	resp := ListResponse{Items: []ItemResponse{}, AsOf: rc.asOf}
	err = s.Views.View(r.Context(), rc.at, func(v *projections.Views) error {
		units, err := s.unitParam(v, rc, q.Get("unit"))
		if err != nil {
			return err
		}
		if err := partyParam(v, query.Party); err != nil {
			return err
		}
		query.Units, query.Allow, query.Redact = units, s.allow(v, rc), redaction(rc.actor)
		query.AllowFlag = func(f *projections.Flag) bool { return s.flagAllowed(v, rc, f) }
		items, next := v.List(query)
		for _, it := range items {
			resp.Items = append(resp.Items, ItemResponse{ItemView: v.View(it, rc.today, s.itemRedaction(v, rc, it)), LastPosition: it.Updated})
		}
		if next > 0 {
			resp.NextCursor = strconv.FormatUint(next, 10)
		}
		resp.Position = v.Position()
		return nil
	})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if resp.AsOf == nil {
		writeList(w, &resp)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleState serves GET /v1/{collection}/{id}: the item's read model and
// version, and (for the current state) what its lifecycle allows next. It
// waits, bounded, for the views to hold the item's last recorded event, so
// a client reads what it has just written.
func (s *Server) handleState(w http.ResponseWriter, r *http.Request) {
	rc, err := s.beginRead(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	vars := mux.Vars(r)
	kind, id := Collections[vars["collection"]], vars["id"]
	stream := events.StreamName(kind, id)
	notFound := func() error { return noItem(kind, id) }
	if !events.ValidID(id) {
		s.Error(w, r, notFound())
		return
	}
	st := s.Ledger.Lookup(stream)
	if st.Exists() && !s.mayRead(rc.actor, st) {
		s.Error(w, r, notFound()) // as one never recorded (readableStream)
		return
	}
	if rc.at == projections.Latest && st.Exists() {
		if err := s.waitViews(r.Context(), st.LastPosition(), ""); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	var resp ItemResponse
	err = s.Views.View(r.Context(), rc.at, func(v *projections.Views) error {
		it := v.Item(stream)
		if it == nil {
			return notFound()
		}
		if allow := s.allow(v, rc); allow != nil && !allow(it) {
			return notFound()
		}
		resp = ItemResponse{ItemView: v.View(it, rc.today, s.itemRedaction(v, rc, it)), LastPosition: it.Updated}
		return nil
	})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if rc.asOf == nil && (!st.Exists() || st.Version() < resp.Version) {
		// The write side is behind the views: the event came through
		// another replica, which this one's ledger has not applied yet.
		// Wait for it as for the views, so that the answer says what may
		// come next (the workspace offers its steps from it).
		if s.waitLedger(r.Context(), resp.LastPosition) == nil {
			st = s.Ledger.Lookup(stream)
		}
	}
	if rc.asOf == nil && st.Exists() && st.Version() == resp.Version {
		if redaction(rc.actor)&projections.HideConfidential == 0 || resp.Classification != events.Confidential {
			// The IDs of open requests and sessions, which a
			// confidential event may have opened, are not an observer's.
			resp.Open = st.Open()
		}
		resp.NextTypes = events.NextTypes(st)
		if resp.NextTypes == nil {
			resp.NextTypes = []events.Type{}
		}
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(resp.Version, 10)))
	if rc.asOf == nil {
		writeItem(w, &resp)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		ItemResponse
		AsOf *AsOf `json:"as_of,omitempty"`
	}{resp, rc.asOf})
}
