package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// The workspace's pages. Each reads through s.get / s.call (the API in
// process, as the session's token) and renders a template of web/templates.

// deadlineList is the body of GET /v1/deadlines.
type deadlineList struct {
	Deadlines []projections.Obligation `json:"deadlines"`
	Truncated bool                     `json:"truncated"`
}

// webDashboard serves GET /dashboard: the unit's overdue recommendations,
// deadlines in the next 7 days and open flags.
func (s *Server) webDashboard(p *pageCtx) {
	var overdue ListResponse
	var soon deadlineList
	var flags FlagList
	// Name the token's unit: the API then leaves out the rest of the
	// country before it evaluates any deadline, where its scope check
	// alone would come after. (The answer is the same.)
	q := func(kv ...string) url.Values {
		v := url.Values{"limit": {"50"}}
		if p.actor.Unit != "" {
			v.Set("unit", p.actor.Unit)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, err := range []error{
		s.get(p.r, p.sess, "/v1/recommendations", q("status", "overdue"), &overdue),
		s.get(p.r, p.sess, "/v1/deadlines", q("status", projections.DueSoon), &soon),
		s.get(p.r, p.sess, "/v1/flags", q("status", "open"), &flags),
	} {
		if err != nil {
			s.fail(p, err)
			return
		}
	}
	var actions []string
	for _, c := range []string{"supervisions", "recommendations", "critiques"} {
		if len(creationTypes(Collections[c], p.actor.Role)) > 0 {
			actions = append(actions, c)
		}
	}
	// Each list shows its first page; "50+" says there are more.
	s.renderPage(p, http.StatusOK, "dashboard", map[string]any{"Title": p.t("dash.title"), "Overdue": overdue.Items,
		"Soon": soon.Deadlines, "Flags": flags.Flags, "Actions": actions,
		"OverdueMore": overdue.NextCursor != "", "SoonMore": soon.Truncated, "FlagsMore": flags.NextCursor != ""})
}

// webInbox serves GET /inbox: for a respondent, the items addressed to its
// party (the API's scope keeps the rest out).
func (s *Server) webInbox(p *pageCtx) {
	if p.actor.Party == "" {
		// The inbox is a respondent's: what is addressed to its body.
		// Other roles have no body to answer for.
		http.Redirect(p.w, p.r, homeOf(p.actor.Role), http.StatusSeeOther)
		return
	}
	type group struct {
		Collection string
		Items      []ItemResponse
	}
	var groups []group
	for _, c := range []string{"recommendations", "supervisions", "critiques", "info-requests"} {
		var l ListResponse
		q := url.Values{"limit": {"100"}}
		if p.actor.Party != "" {
			q.Set("party", p.actor.Party)
		}
		if err := s.get(p.r, p.sess, "/v1/"+c, q, &l); err != nil {
			s.fail(p, err)
			return
		}
		if len(l.Items) > 0 {
			groups = append(groups, group{c, l.Items})
		}
	}
	var soon deadlineList
	q := url.Values{"status": {"pending,due_soon,overdue"}, "limit": {"100"}}
	if p.actor.Party != "" {
		q.Set("party", p.actor.Party)
	}
	if err := s.get(p.r, p.sess, "/v1/deadlines", q, &soon); err != nil {
		s.fail(p, err)
		return
	}
	s.renderPage(p, http.StatusOK, "inbox", map[string]any{"Title": p.t("inbox.title"), "Groups": groups, "Soon": soon.Deadlines})
}

// webInspect serves GET /inspect: find the timeline of an item or a party.
func (s *Server) webInspect(p *pageCtx) {
	q := p.r.URL.Query()
	if id := strings.TrimSpace(q.Get("id")); id != "" {
		c := q.Get("collection")
		if _, ok := Collections[c]; !ok {
			s.fail(p, events.FieldErrorf("collection", "%q is not a kind of record.", c))
			return
		}
		if !events.ValidID(id) {
			s.fail(p, events.FieldErrorf("id", "%q is not an ID the ledger gives.", id))
			return
		}
		http.Redirect(p.w, p.r, "/items/"+c+"/"+url.PathEscape(id), http.StatusSeeOther)
		return
	}
	if party := strings.TrimSpace(q.Get("party")); party != "" {
		if !events.ValidID(party) {
			s.fail(p, events.FieldErrorf("party", "%q is not an ID the ledger gives.", party))
			return
		}
		http.Redirect(p.w, p.r, "/trails/"+url.PathEscape(party), http.StatusSeeOther)
		return
	}
	data := map[string]any{"Title": p.t("inspect.title"), "Collections": collectionNames()}
	rep := s.call(p.r, p.sess, "GET", "/v1/log/checkpoint", nil)
	if rep.err() == nil {
		if c, err := events.ParseCheckpoint(events.NoteText(rep.body.Bytes())); err == nil {
			data["Checkpoint"] = c
			data["Root"] = base64.StdEncoding.EncodeToString(c.Root[:])
		}
	}
	s.renderPage(p, http.StatusOK, "inspect", data)
}

func collectionNames() []string {
	return []string{"supervisions", "recommendations", "critiques", "plans", "contributions", "petitions", "info-requests", "parties", "units"}
}

// webList serves GET /items/{collection}: a page of items, with search
// and a status filter.
func (s *Server) webList(p *pageCtx) {
	c := mux.Vars(p.r)["collection"]
	in := p.r.URL.Query()
	q := url.Values{"limit": {"50"}}
	for _, k := range []string{"q", "status", "cursor", "unit", "party", "form", "from", "to", "limit"} {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	if q.Get("status") != "" && q.Get("unit") == "" && p.actor.Unit != "" {
		q.Set("unit", p.actor.Unit) // as on the dashboard: scope first, then deadlines
	}
	// The list as it stood at a point, as an item's page and a trail
	// show theirs: its items link to their state then.
	asOf := asOfParam(in)
	if asOf != "" {
		q.Set("as_of", asOf)
	}
	asOfPos, asOfDate := asOfInputs(in)
	var l ListResponse
	if err := s.get(p.r, p.sess, "/v1/"+c, q, &l); err != nil {
		s.fail(p, err)
		return
	}
	next := ""
	if l.NextCursor != "" {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		if nq.Get("limit") == "50" {
			nq.Del("limit")
		}
		nq.Set("cursor", l.NextCursor)
		if l.AsOf != nil {
			// The next page at the same point, not a date's end read
			// again later.
			nq.Set("as_of", strconv.FormatUint(l.AsOf.Position, 10))
		}
		next = "/items/" + c + "?" + nq.Encode()
	}
	// The filters the form has no field for, kept when it is sent again.
	kept := map[string]string{}
	for _, k := range []string{"unit", "party", "form", "limit"} {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			kept[k] = v
		}
	}
	itemQuery := ""
	if l.AsOf != nil {
		itemQuery = "?as_of=" + strconv.FormatUint(l.AsOf.Position, 10)
	}
	s.renderPage(p, http.StatusOK, "list", map[string]any{"Title": collectionLabel(p.lang, c), "Collection": c, "Items": l.Items,
		"Next": next, "Query": in.Get("q"), "Status": in.Get("status"), "From": in.Get("from"), "To": in.Get("to"),
		"CanCreate": len(creationTypes(Collections[c], p.actor.Role)) > 0 && l.AsOf == nil,
		"Statuses":  projections.DerivedStatusesOf(Collections[c]), "AsOf": l.AsOf, "AsOfPos": asOfPos, "AsOfDate": asOfDate, "ItemQuery": itemQuery, "Kept": kept})
}

// historyEvent is one row of a timeline.
type historyEvent struct {
	Position   uint64
	Hash       string
	Version    uint64
	Type       events.Type
	OccurredAt string
	RecordedAt string
	Actor      string
	Class      string
	Redacted   bool
}

// stateResponse is the body of GET /v1/{collection}/{id}.
type stateResponse struct {
	ItemResponse
	AsOf *AsOf `json:"as_of"`
}

// asOfParam turns the page's as-of inputs into the API's as_of: a
// position, or the end of a date in Vietnam's time. Given both, the one
// the user changed from what the page showed (shown_as_of,
// shown_as_of_date) wins: after "the state here" (a position), a date
// picked and sent is what is asked for.
func asOfParam(q url.Values) string {
	pos, date := asOfInputs(q)
	if pos != "" {
		return pos
	}
	if date != "" {
		return date + "T23:59:59+07:00"
	}
	return ""
}

// asOfInputs returns the as-of position or date the page's form asks for
// (at most one; see asOfParam), which the page then shows.
func asOfInputs(q url.Values) (pos, date string) {
	pos, date = strings.TrimSpace(q.Get("as_of")), strings.TrimSpace(q.Get("as_of_date"))
	if pos != "" && date != "" {
		if pos == q.Get("shown_as_of") && date != q.Get("shown_as_of_date") {
			return "", date
		}
		return pos, ""
	}
	return pos, date
}

// webItem serves GET /items/{collection}/{id}: the item's state, the
// steps its lifecycle allows next for this role, and its timeline; with
// as_of (a position) or as_of_date, the state and timeline as they stood.
func (s *Server) webItem(p *pageCtx) {
	vars := mux.Vars(p.r)
	c, id := vars["collection"], vars["id"]
	base := "/v1/" + c + "/" + url.PathEscape(id)
	q := url.Values{}
	asOf := asOfParam(p.r.URL.Query())
	if asOf != "" {
		q.Set("as_of", asOf)
	}
	asOfPos, asOfDate := asOfInputs(p.r.URL.Query())
	data := map[string]any{"Collection": c, "ID": id, "AsOfDate": asOfDate, "AsOfPos": asOfPos}
	var st stateResponse
	if err := s.get(p.r, p.sess, base, q, &st); err != nil {
		if asOf == "" || events.ErrorCode(err) != events.ENotFound {
			s.fail(p, err)
			return
		}
		// Not there yet at that point in time: say so on the page.
		data["Title"] = id
		data["NotYet"] = p.t("item.asof.notyet")
		s.renderPage(p, http.StatusOK, "item", data)
		return
	}
	var hist StreamEvents
	if err := s.get(p.r, p.sess, base+"/events", q, &hist); err != nil {
		s.fail(p, err)
		return
	}
	data["Title"] = st.Title
	if st.Title == "" {
		data["Title"] = st.ID
	}
	data["Item"] = st.ItemResponse
	data["AsOf"] = st.AsOf
	data["Fields"] = itemFields(p.lang, st.Data, st.Redacted)
	data["Timeline"] = timeline(hist)
	data["Steps"] = stepTypes(st.NextTypes, p.actor.Role)
	// ?done=P after a step: the notice names the event at position P of
	// this item's timeline, or none (a link cannot make it say anything
	// else).
	if done, err := strconv.ParseUint(p.r.URL.Query().Get("done"), 10, 64); err == nil {
		for _, e := range data["Timeline"].([]historyEvent) {
			if e.Position == done && !e.Redacted {
				data["Done"] = e.Type
			}
		}
	}
	s.renderPage(p, http.StatusOK, "item", data)
}

// itemField is one line of an item's content.
type itemField struct {
	Label, Value string
	Redacted     bool
}

// itemFields renders an item's data for reading: text as text, lists one
// per line, enumerations by their label.
func itemFields(lang string, raw json.RawMessage, redacted []string) []itemField {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []itemField
	for _, k := range keys {
		f := itemField{Label: fieldLabel(lang, k)}
		if slices.Contains(redacted, k) {
			f.Redacted = true
			out = append(out, f)
			continue
		}
		var str string
		var list []string
		var yes bool
		var obj map[string]json.RawMessage
		switch {
		case json.Unmarshal(m[k], &str) == nil:
			f.Value = enumLabel(lang, str)
		case json.Unmarshal(m[k], &list) == nil:
			f.Value = strings.Join(list, "\n")
		case json.Unmarshal(m[k], &yes) == nil:
			f.Value = enumLabel(lang, strconv.FormatBool(yes))
		case json.Unmarshal(m[k], &obj) == nil:
			// A person (petitioner, requester): labelled lines.
			var lines []string
			for _, sub := range slices.Sorted(maps.Keys(obj)) {
				if json.Unmarshal(obj[sub], &str) == nil && str != "" {
					lines = append(lines, fieldLabel(lang, k+"."+sub)+": "+str)
				}
			}
			f.Value = strings.Join(lines, "\n")
		default:
			f.Value = string(m[k])
		}
		out = append(out, f)
	}
	return out
}

// timeline decodes a stream's history for display.
func timeline(h StreamEvents) []historyEvent {
	out := make([]historyEvent, 0, len(h.Events))
	for i, e := range h.Events {
		he := historyEvent{Position: e.Position, Hash: e.Hash, Version: uint64(i + 1), Redacted: e.Redacted}
		if !e.Redacted {
			var env struct {
				Type           events.Type  `json:"type"`
				Version        uint64       `json:"version"`
				OccurredAt     time.Time    `json:"occurred_at"`
				RecordedAt     time.Time    `json:"recorded_at"`
				Actor          events.Actor `json:"actor"`
				Classification string       `json:"classification"`
			}
			if json.Unmarshal(e.Event, &env) == nil {
				he.Type, he.Version, he.Class = env.Type, env.Version, env.Classification
				he.OccurredAt = string(projections.Today(env.OccurredAt))
				he.RecordedAt = env.RecordedAt.In(ict).Format("2006-01-02 15:04:05")
				he.Actor = string(env.Actor.Role)
			}
		}
		out = append(out, he)
	}
	return out
}

var ict = time.FixedZone("ICT", 7*60*60)

// webTrail serves GET /trails/{id}: a party's accountability trail, every
// cited event with its position, time and hash, and the proof bundle.
func (s *Server) webTrail(p *pageCtx) {
	id := mux.Vars(p.r)["id"]
	q := url.Values{}
	asOf := asOfParam(p.r.URL.Query())
	if asOf != "" {
		q.Set("as_of", asOf)
	}
	var t struct {
		projections.Trail
		AsOf *AsOf `json:"as_of"`
	}
	if err := s.get(p.r, p.sess, "/v1/parties/"+url.PathEscape(id)+"/accountability", q, &t); err != nil {
		s.fail(p, err)
		return
	}
	type citedRow struct {
		projections.CitedEvent
		RecordedAt string
	}
	// A party of a busy commune owes thousands of answers: the page shows
	// the latest trailRows obligations, flags and events unless asked for
	// all (the API and the proof bundle always hold everything).
	obligations, flags, cited := t.Obligations, t.Flags, t.Events
	var more url.Values
	if p.r.URL.Query().Get("all") == "" && (len(obligations) > trailRows || len(flags) > trailRows || len(cited) > trailRows) {
		obligations, flags = obligations[max(0, len(obligations)-trailRows):], flags[max(0, len(flags)-trailRows):]
		cited = cited[max(0, len(cited)-trailRows):]
		more = p.r.URL.Query()
		more.Set("all", "1")
	}
	rows := make([]citedRow, len(cited))
	s.Views.Read(func(v *projections.Views) {
		// Only the times of events the trail (already authorised) cites.
		for i, e := range cited {
			rows[i] = citedRow{CitedEvent: e, RecordedAt: v.RecordedAt(e.Position).In(ict).Format("2006-01-02 15:04:05")}
		}
	})
	asOfPos, asOfDate := asOfInputs(p.r.URL.Query())
	data := map[string]any{"Title": t.Name, "Trail": t.Trail, "Obligations": obligations, "Flags": flags, "Events": rows, "AsOf": t.AsOf,
		"ID": id, "AsOfDate": asOfDate, "AsOfPos": asOfPos}
	if more != nil {
		data["More"] = map[string]any{"URL": "/trails/" + url.PathEscape(id) + "?" + more.Encode(),
			"Obligations": len(obligations), "ObligationsAll": len(t.Obligations), "Flags": len(flags), "FlagsAll": len(t.Flags),
			"Events": len(cited), "EventsAll": len(t.Events)}
	}
	s.renderPage(p, http.StatusOK, "trail", data)
}

// trailRows is how many obligations and events a trail page shows unless
// asked for all.
const trailRows = 200

// webBundle serves GET /trails/{id}/bundle: the API's proof bundle as a
// download.
func (s *Server) webBundle(p *pageCtx) {
	rep := s.call(p.r, p.sess, "GET", "/v1/bundles/parties/"+url.PathEscape(mux.Vars(p.r)["id"]), nil)
	if err := rep.err(); err != nil {
		s.fail(p, err)
		return
	}
	p.w.Header().Set("Content-Type", "application/json; charset=utf-8")
	p.w.Header().Set("Content-Disposition", rep.header.Get("Content-Disposition"))
	p.w.Write(rep.body.Bytes())
}

// verification is the result of checking one event's inclusion.
type verification struct {
	Position  uint64
	Hash      string
	HashOK    bool
	KeyName   string
	SigOK     bool
	Size      uint64
	Root      string
	InclOK    bool
	Pending   bool
	OK        bool
	Problem   string
	Stream    string
	Type      events.Type
	Collected string
}

// webVerify serves GET /verify?position=P: it checks, as an outsider
// would and with the same code as ledger verify, that the event at P is
// in the log the latest signed checkpoint commits to: its bytes against its
// hash, the checkpoint's signature against the verifier key, and the
// RFC 6962 inclusion proof against the checkpoint's root.
func (s *Server) webVerify(p *pageCtx) {
	pos, err := strconv.ParseUint(p.r.URL.Query().Get("position"), 10, 64)
	if err != nil || pos == 0 {
		s.fail(p, events.FieldErrorf("position", "A position is a whole number from 1."))
		return
	}
	// An event the reader may not read, or a position the log does not
	// have, is not a verdict on the history: the error page says which.
	ev := s.call(p.r, p.sess, "GET", "/v1/events/"+strconv.FormatUint(pos, 10), nil)
	if err := ev.err(); err != nil {
		s.fail(p, err)
		return
	}
	v := verification{Position: pos}
	defer func() {
		s.renderPage(p, http.StatusOK, "verify", map[string]any{"Title": p.t("verify.title"), "V": v})
	}()
	raw := ev.body.Bytes()
	var env struct {
		Stream string      `json:"stream"`
		Type   events.Type `json:"type"`
	}
	json.Unmarshal(raw, &env)
	v.Stream, v.Type = env.Stream, env.Type
	v.Hash = events.HashOf(raw).String()
	v.HashOK = v.Hash == ev.header.Get("X-Ledger-Hash")
	key := strings.TrimSpace(s.call(p.r, p.sess, "GET", "/v1/log/key", nil).body.String())
	cpRep := s.call(p.r, p.sess, "GET", "/v1/log/checkpoint", nil)
	if err := cpRep.err(); err != nil {
		v.Pending = true
		return
	}
	cp, err := events.OpenCheckpoint(cpRep.body.Bytes(), key, "")
	if err != nil {
		v.Problem = events.ErrorMessage(err)
		return
	}
	v.KeyName, _, _ = strings.Cut(key, "+")
	v.SigOK, v.Size, v.Root = true, cp.Size, base64.StdEncoding.EncodeToString(cp.Root[:])
	if pos > cp.Size {
		v.Pending = true
		return
	}
	var proof InclusionProof
	if err := s.get(p.r, p.sess, "/v1/log/proof/inclusion", url.Values{"position": {strconv.FormatUint(pos, 10)}, "size": {strconv.FormatUint(cp.Size, 10)}}, &proof); err != nil {
		v.Problem = events.ErrorMessage(err)
		return
	}
	hashes := make([][]byte, len(proof.Hashes))
	for i, h := range proof.Hashes {
		if hashes[i], err = base64.StdEncoding.DecodeString(h); err != nil {
			v.Problem = "proof hash " + strconv.Itoa(i) + " is not base64"
			return
		}
	}
	if err := events.VerifyInclusion(pos-1, cp.Size, events.LeafHash(raw), hashes, cp.Root); err != nil {
		v.Problem = events.ErrorMessage(err)
		return
	}
	v.InclOK = true
	v.OK = v.HashOK && v.SigOK && v.InclOK
}

// webNew serves GET and POST /items/{collection}/new: the form that
// starts an item (plan a supervision, issue a recommendation, record a
// critique), posted to POST /v1/{collection}.
func (s *Server) webNew(p *pageCtx) {
	c := mux.Vars(p.r)["collection"]
	kind := Collections[c]
	types := creationTypes(kind, p.actor.Role)
	if len(types) == 0 {
		s.renderPage(p, http.StatusForbidden, "error", map[string]any{"Title": p.t("err.title"), "Status": http.StatusForbidden,
			"Message": p.t("err.noform"), "Detail": fmt.Sprintf("%s: %s", p.t("role."+string(p.actor.Role)), collectionLabel(p.lang, c))})
		return
	}
	t := events.Type(p.r.FormValue("type"))
	if !slices.Contains(types, t) {
		t = types[0]
	}
	var form url.Values
	if p.r.Method == http.MethodPost {
		form = p.r.PostForm
	}
	f := s.newForm(p, c, t, form, true)
	if p.r.Method == http.MethodPost {
		body, _ := json.Marshal(EventRequest{ID: strings.TrimSpace(form.Get("id")), Type: t, Unit: strings.TrimSpace(form.Get("unit")),
			OccurredAt: occurredAt(form.Get("occurred_at")), Classification: form.Get("classification"), Data: formData(t, form)})
		rep := s.call(p.r, p.sess, "POST", "/v1/"+c, body, "Idempotency-Key", form.Get("idempotency_key"), "Content-Type", "application/json")
		var res events.Result
		if err := rep.decode(&res); err != nil {
			f["General"] = fieldErrors(p.lang, err, f["Fields"].([]formField))
			f["Failed"] = true
			s.renderPage(p, statuses[events.ErrorCode(err)], "form", f)
			return
		}
		http.Redirect(p.w, p.r, "/items/"+c+"/"+url.PathEscape(res.ID)+"?done="+strconv.FormatUint(res.Position, 10), http.StatusSeeOther)
		return
	}
	f["Types"] = types
	s.renderPage(p, http.StatusOK, "form", f)
}

// webStep serves GET and POST /items/{collection}/{id}/step?type=T: the
// form of one lifecycle step, offered only if the lifecycle allows it next
// and the role may record it, posted to POST /v1/{collection}/{id}/events
// with If-Match (the version the form was made from) and an idempotency
// key (a double click records once).
func (s *Server) webStep(p *pageCtx) {
	vars := mux.Vars(p.r)
	c, id := vars["collection"], vars["id"]
	var st stateResponse
	if err := s.get(p.r, p.sess, "/v1/"+c+"/"+url.PathEscape(id), nil, &st); err != nil {
		s.fail(p, err)
		return
	}
	t := events.Type(p.r.FormValue("type"))
	if !slices.Contains(events.Types(), t) {
		s.fail(p, events.FieldErrorf("type", "Choose a step: %q is not an event type.", t))
		return
	}
	// The form is offered only for a step allowed next; a post goes to the
	// API whatever the state, which decides (and answers a repeated post
	// with its idempotency key with the first result).
	if p.r.Method == http.MethodGet && !slices.Contains(stepTypes(st.NextTypes, p.actor.Role), t) {
		s.renderPage(p, http.StatusConflict, "error", map[string]any{"Title": p.t("err.title"), "Status": http.StatusConflict,
			"Message": p.t("err.nostep"), "Detail": typeLabel(p.lang, t) + " — " + statusLabel(p.lang, string(st.Status)), "Back": "/items/" + c + "/" + id})
		return
	}
	var form url.Values
	if p.r.Method == http.MethodPost {
		form = p.r.PostForm
	}
	f := s.newForm(p, c, t, form, false)
	f["Item"] = st.ItemResponse
	f["Version"] = strconv.FormatUint(st.Version, 10)
	if p.r.Method == http.MethodPost {
		f["Version"] = form.Get("version")
		body, _ := json.Marshal(EventRequest{Type: t, OccurredAt: occurredAt(form.Get("occurred_at")), Classification: form.Get("classification"), Data: formData(t, form)})
		hdr := []string{"Idempotency-Key", form.Get("idempotency_key"), "Content-Type", "application/json"}
		if v := form.Get("version"); v != "" {
			hdr = append(hdr, "If-Match", strconv.Quote(v))
		}
		rep := s.call(p.r, p.sess, "POST", "/v1/"+c+"/"+url.PathEscape(id)+"/events", body, hdr...)
		var res events.Result
		if err := rep.decode(&res); err != nil {
			f["General"] = fieldErrors(p.lang, err, f["Fields"].([]formField))
			f["Failed"] = true
			if events.ErrorCode(err) == events.EConflict {
				// Recorded since the form was opened: the form comes back
				// at the version the record is at now (the item shown
				// above it), for the user to check and send again.
				var now stateResponse
				if s.get(p.r, p.sess, "/v1/"+c+"/"+url.PathEscape(id), nil, &now) == nil {
					f["Item"], f["Version"] = now.ItemResponse, strconv.FormatUint(now.Version, 10)
				}
			}
			s.renderPage(p, statuses[events.ErrorCode(err)], "form", f)
			return
		}
		http.Redirect(p.w, p.r, "/items/"+c+"/"+url.PathEscape(id)+"?done="+strconv.FormatUint(res.Position, 10), http.StatusSeeOther)
		return
	}
	s.renderPage(p, http.StatusOK, "form", f)
}

// occurredAt turns a date input into the API's occurred_at (that day,
// 08:00 in Vietnam's time).
func occurredAt(d string) string {
	d = strings.TrimSpace(d)
	if d == "" {
		return ""
	}
	if len(d) == 10 {
		return d + "T08:00:00+07:00"
	}
	return d
}

// newForm builds the data of the form page for type t.
func (s *Server) newForm(p *pageCtx, c string, t events.Type, form url.Values, create bool) map[string]any {
	today := projections.Today(s.now())
	var fields []formField
	key := randomString(18)
	if form != nil {
		key = form.Get("idempotency_key")
	}
	if create {
		id := formField{Name: "id", ID: "f-id", Label: p.t("form.id"), Kind: "text"}
		unit := formField{Name: "unit", ID: "f-unit", Label: p.t("form.unit"), Kind: "select", Required: true, Value: p.actor.Unit}
		var units ListResponse
		uq := url.Values{"limit": {"500"}}
		if p.actor.Unit != "" {
			uq.Set("unit", p.actor.Unit)
		}
		if s.get(p.r, p.sess, "/v1/units", uq, &units) == nil {
			for _, u := range units.Items {
				unit.Options = append(unit.Options, formOption{u.ID, u.ID + " — " + u.Title})
			}
			slices.SortFunc(unit.Options, func(a, b formOption) int { return strings.Compare(a.Value, b.Value) })
		}
		if form != nil {
			id.Value, unit.Value = form.Get("id"), form.Get("unit")
		}
		fields = append(fields, id, unit)
	}
	occ := formField{Name: "occurred_at", ID: "f-occurred_at", Label: p.t("form.occurred"), Kind: "date", Value: string(today)}
	class := formField{Name: "classification", ID: "f-classification", Label: p.t("form.class"), Kind: "select",
		Options: []formOption{{"", p.t("form.class.default")}, {"public", enumLabel(p.lang, "public")}, {"internal", enumLabel(p.lang, "internal")}, {"confidential", enumLabel(p.lang, "confidential")}}}
	if form != nil {
		occ.Value, class.Value = form.Get("occurred_at"), form.Get("classification")
	}
	fields = append(fields, occ)
	fields = append(fields, dataFields(p.lang, t, form, today)...)
	fields = append(fields, class)
	var parties []formOption
	var pl ListResponse
	needParties := slices.ContainsFunc(fields, func(f formField) bool { return f.List == "parties" })
	if needParties && s.get(p.r, p.sess, "/v1/parties", url.Values{"limit": {"500"}}, &pl) == nil {
		for _, it := range pl.Items {
			parties = append(parties, formOption{it.ID, it.Title})
		}
	}
	action := "/items/" + c + "/new"
	if id := mux.Vars(p.r)["id"]; !create {
		action = "/items/" + c + "/" + url.PathEscape(id) + "/step"
	}
	return map[string]any{"Title": typeLabel(p.lang, t), "Type": t, "Collection": c, "Fields": fields, "Parties": parties,
		"Action": action, "IdempotencyKey": key, "Create": create}
}
