package api

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

func (s *Server) registerLogRoutes(r *mux.Router) {
	r.HandleFunc("/v1/events/{position}", s.handleEvent).Methods("GET")
	r.HandleFunc("/v1/log/checkpoint", s.handleCheckpoint).Methods("GET")
	r.HandleFunc("/v1/log/key", s.handleKey).Methods("GET")
	r.HandleFunc("/v1/log/proof/inclusion", s.handleInclusion).Methods("GET")
	r.HandleFunc("/v1/log/proof/consistency", s.handleConsistency).Methods("GET")
	r.HandleFunc("/v1/log/entries", s.handleEntries).Methods("GET")
	r.HandleFunc("/v1/log/checkpoints", s.handleCheckpoints).Methods("GET")
}

// handleEvent serves GET /v1/events/{position}: the event exactly as stored.
// Its SHA-256 is its hash (also in the X-Ledger-Hash header) and its bytes
// are Merkle leaf position-1.
func (s *Server) handleEvent(w http.ResponseWriter, r *http.Request) {
	actor, err := s.authenticate(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	pos, err := strconv.ParseUint(mux.Vars(r)["position"], 10, 64)
	if err != nil || pos == 0 {
		s.Error(w, r, events.FieldErrorf("position", "A position is a whole number from 1."))
		return
	}
	// Whether a flag's review may be read is the views' to say: a reader
	// may ask them to have reached a position first.
	if n, err := minPosition(r.URL.Query()); err != nil {
		s.Error(w, r, err)
		return
	} else if n > 0 && s.Views != nil {
		if err := s.pastHead(r.Context(), n, s.Views.Position()); err != nil {
			s.Error(w, r, err)
			return
		}
		if err := s.waitViews(r.Context(), n, "min_position"); err != nil {
			s.Error(w, r, err)
			return
		}
	}
	rec, err := s.Store.Get(r.Context(), pos)
	if err != nil {
		if errors.Is(err, events.ErrNotFound) {
			err = &events.Error{Code: events.ENotFound, Field: "position", Message: fmt.Sprintf("The log has no position %d.", pos)}
		}
		s.Error(w, r, err)
		return
	}
	if !s.mayReadEvent(actor, rec.Raw, s.flagReader(r, actor)) {
		s.Error(w, r, events.Errorf(events.EForbidden, "The event at position %d is outside the scope of this token, confidential, or holds personal data withheld from it.", pos))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Ledger-Position", strconv.FormatUint(pos, 10))
	w.Header().Set("X-Ledger-Hash", rec.Hash().String())
	w.Header().Set("ETag", strconv.Quote(rec.Hash().String()))
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.WriteHeader(http.StatusOK)
	w.Write(rec.Raw)
}

// mayReadEvent applies the read scope to one stored event: tokens' events
// are for inspectors and unscoped admins only; confidential events and
// those that hold citizens' personal data are not for observers, and
// those that name a denouncer not for respondents: whoever's view of an
// item withholds a field (redaction) does not get the event that holds
// it (stored events are not redacted: their bytes are what the hashes
// prove). Other events are for those who may read their record. An
// inspector's review of a flag is for the readers of that flag: flag
// says whether a may read the flag with that ID (nil: no one else).
func (s *Server) mayReadEvent(a events.Actor, raw []byte, flag func(id string) bool) bool {
	if a.Role == events.RoleInspector || (a.Role == events.RoleAdmin && a.Unit == "") {
		return true
	}
	var env struct {
		Stream         string                     `json:"stream"`
		Kind           events.Kind                `json:"kind"`
		Classification events.Classification      `json:"classification"`
		Data           map[string]json.RawMessage `json:"data"`
	}
	if json.Unmarshal(raw, &env) != nil || env.Kind == events.KindToken {
		return false
	}
	personal := personalData(env.Data)
	if hide := redaction(a); hide&projections.HideConfidential != 0 && env.Classification == events.Confidential ||
		hide&projections.HidePersonal != 0 && personal {
		return false
	}
	if env.Kind == events.KindFlag {
		_, id, _ := events.SplitStream(env.Stream)
		return flag != nil && flag(id)
	}
	st := s.Ledger.Lookup(env.Stream)
	if a.Role == events.RoleRespondent && personal && st.Denunciation() {
		return false // who denounced is kept from the body the denunciation went to
	}
	if personal && env.Kind == events.KindParty && (a.Role == events.RoleRespondent || a.Unit != "" && !events.UnitWithin(s.Ledger, st.Unit(), a.Unit)) {
		// Parties are reference data every reader reads; the personal
		// data on one (an allegation against a board member) is for the
		// readers whose scope covers it (itemRedaction).
		return false
	}
	return st.Exists() && s.mayRead(a, st)
}

// personalData reports whether an event's payload holds a person's data
// (projections.PersonalFields: a petitioner or requester, an adverse
// action taken against someone, an allegation against a board member), or
// a correction of it.
func personalData(data map[string]json.RawMessage) bool {
	for k, v := range data {
		if projections.IsPersonal(k) && string(v) != "null" {
			return true
		}
	}
	c, ok := data["changes"]
	if !ok {
		return false
	}
	var changes map[string]string
	if json.Unmarshal(c, &changes) != nil {
		return true // not a correction as the write side makes them: withheld
	}
	for k := range changes {
		if projections.IsPersonal(k) {
			return true
		}
	}
	return false
}

// flagReader returns whether a may read the flag with an ID, as raised at
// the request's date (for mayReadEvent).
func (s *Server) flagReader(r *http.Request, a events.Actor) func(id string) bool {
	return func(id string) bool {
		ok := false
		if s.Views == nil {
			return false
		}
		s.Views.View(r.Context(), projections.Latest, func(v *projections.Views) error {
			for _, f := range v.Flags(projections.Today(s.now())) {
				if f.ID == id {
					ok = s.flagAllowed(v, &readCtx{actor: a, at: projections.Latest}, &f)
					break
				}
			}
			return nil
		})
		return ok
	}
}

// historyWait bounds how long a history read waits for the ledger's
// follower to reach the stream's last event.
const historyWait = 5 * time.Second

// StreamEvent is one event of a stream's history.
type StreamEvent struct {
	Position uint64 `json:"position"`
	Hash     string `json:"hash"`
	// Event is the stored envelope, byte for byte; absent when redacted.
	Event    json.RawMessage `json:"event,omitempty"`
	Redacted bool            `json:"redacted,omitempty"`
}

// StreamEvents is the history of one aggregate.
type StreamEvents struct {
	Stream  string        `json:"stream"`
	Version uint64        `json:"version"`
	Events  []StreamEvent `json:"events"`
	// AsOf names the point read and its checkpoint, with as_of.
	AsOf *AsOf `json:"as_of,omitempty"`
}

// handleStreamEvents serves GET /v1/{collection}/{id}/events: the history of
// one aggregate with positions and hashes. Confidential events are listed
// without their content for tokens that may not read them.
func (s *Server) handleStreamEvents(w http.ResponseWriter, r *http.Request) {
	actor, err := s.authenticate(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// Read-your-writes, as on every read: the history is the write side's,
	// so wait (bounded) for it to have applied that position.
	if n, err := minPosition(r.URL.Query()); err != nil {
		s.Error(w, r, err)
		return
	} else if err := s.pastHead(r.Context(), n, s.Ledger.Size()); err != nil {
		s.Error(w, r, err)
		return
	} else if n > 0 && s.waitLedger(r.Context(), n) != nil {
		s.Error(w, r, &events.Error{Code: events.EUnavailable, Field: "min_position",
			Message: fmt.Sprintf("The ledger has applied position %d, not yet %d; try again shortly.", s.Ledger.Size(), n)})
		return
	}
	st, err := s.readableStream(r, actor)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	// Positions are recorded with the state, by the write path and by the
	// follower; wait (bounded) until the follower has applied the stream's
	// last event all the same, so that everything listed is also in the
	// Merkle tree, and list exactly the versions the state names.
	ctx, cancel := context.WithTimeout(r.Context(), historyWait)
	defer cancel()
	if err := s.Ledger.WaitApplied(ctx, st.LastPosition()); err != nil {
		s.Error(w, r, events.Errorf(events.EUnavailable, "The ledger is still catching up with the log; try again."))
		return
	}
	positions := s.Ledger.Positions(st.Stream())
	if uint64(len(positions)) > st.Version() {
		positions = positions[:st.Version()]
	}
	version := st.Version()
	var asOf *AsOf
	if as := r.URL.Query().Get("as_of"); as != "" && s.Views != nil {
		// The history as it stood then: the events at or before as_of.
		rc := &readCtx{}
		if err := s.resolveAsOf(r.Context(), rc, as); err != nil {
			s.Error(w, r, err)
			return
		}
		n := 0
		for n < len(positions) && positions[n] <= rc.at {
			n++
		}
		positions, version, asOf = positions[:n], uint64(n), rc.asOf
		if n == 0 {
			s.Error(w, r, &events.Error{Code: events.ENotFound, Field: "id", Message: fmt.Sprintf("%s did not exist yet at position %d.", st.Stream(), rc.at)})
			return
		}
	}
	out := StreamEvents{Stream: st.Stream(), Version: version, Events: []StreamEvent{}, AsOf: asOf}
	for _, pos := range positions {
		rec, err := s.Store.Get(r.Context(), pos)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		ev := StreamEvent{Position: pos, Hash: rec.Hash().String()}
		if s.mayReadEvent(actor, rec.Raw, nil) {
			ev.Event = rec.Raw
		} else {
			ev.Redacted = true
		}
		out.Events = append(out.Events, ev)
	}
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(version, 10)))
	writeJSON(w, http.StatusOK, out)
}

// handleCheckpoint serves GET /v1/log/checkpoint: the latest signed
// checkpoint note (C2SP tlog-checkpoint), as text/plain. Public.
func (s *Server) handleCheckpoint(w http.ResponseWriter, r *http.Request) {
	_, note, err := s.Ledger.LatestCheckpoint()
	if err != nil {
		s.Error(w, r, events.Errorf(events.ENotFound, "No checkpoint has been signed yet: the log is empty."))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(note)
}

// handleKey serves GET /v1/log/key: the checkpoint verifier key in the
// golang.org/x/mod/sumdb/note text form. Public.
func (s *Server) handleKey(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte(s.Ledger.Signer.VerifierKey() + "\n"))
}

// InclusionProof is the body of GET /v1/log/proof/inclusion.
type InclusionProof struct {
	Position  uint64 `json:"position"`
	LeafIndex uint64 `json:"leaf_index"`
	TreeSize  uint64 `json:"tree_size"`
	// LeafHash is SHA-256(0x00 || event bytes), base64.
	LeafHash string `json:"leaf_hash"`
	// Hashes are the proof, base64, in RFC 6962 order.
	Hashes []string `json:"hashes"`
}

// ConsistencyProof is the body of GET /v1/log/proof/consistency.
type ConsistencyProof struct {
	From   uint64   `json:"from"`
	To     uint64   `json:"to"`
	Hashes []string `json:"hashes"`
}

// handleInclusion serves GET /v1/log/proof/inclusion?position=P&size=N
// (size defaults to the latest checkpoint's). Public.
func (s *Server) handleInclusion(w http.ResponseWriter, r *http.Request) {
	pos, err := queryUint(r, "position", 0)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	size, err := s.treeSizeParam(r, "size")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	switch {
	case pos == 0:
		s.Error(w, r, events.FieldErrorf("position", "position is required: a whole number from 1."))
		return
	case pos > size:
		s.Error(w, r, events.FieldErrorf("position", "Position %d is not in a tree of size %d.", pos, size))
		return
	}
	tree := s.Ledger.Tree()
	proof, err := tree.InclusionProof(pos-1, size)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	leaf, _ := tree.LeafHashAt(pos - 1)
	writeJSON(w, http.StatusOK, InclusionProof{Position: pos, LeafIndex: pos - 1, TreeSize: size, LeafHash: base64.StdEncoding.EncodeToString(leaf[:]), Hashes: b64(proof)})
}

// handleConsistency serves GET /v1/log/proof/consistency?from=M&to=N (to
// defaults to the latest checkpoint's size). Public.
func (s *Server) handleConsistency(w http.ResponseWriter, r *http.Request) {
	from, err := queryUint(r, "from", 0)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	to, err := s.treeSizeParam(r, "to")
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if from == 0 || from > to {
		s.Error(w, r, events.FieldErrorf("from", "from must be a tree size from 1 to %d.", to))
		return
	}
	proof, err := s.Ledger.Tree().ConsistencyProof(from, to)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ConsistencyProof{From: from, To: to, Hashes: b64(proof)})
}

// treeSizeParam reads a tree size: the parameter, or the latest signed
// checkpoint's size. It must not exceed the tree the ledger has built.
func (s *Server) treeSizeParam(r *http.Request, name string) (uint64, error) {
	def, _, _ := s.Ledger.LatestCheckpoint()
	size, err := queryUint(r, name, def)
	if err != nil {
		return 0, err
	}
	if have := s.Ledger.Size(); size > have {
		return 0, events.FieldErrorf(name, "The log has %d events; %s=%d is beyond it.", have, name, size)
	}
	if size == 0 {
		return 0, events.FieldErrorf(name, "%s is required (no checkpoint has been signed yet).", name)
	}
	return size, nil
}

func queryUint(r *http.Request, name string, def uint64) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, events.FieldErrorf(name, "%s must be a whole number.", name)
	}
	return n, nil
}

func b64(hs [][]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h)
	}
	return out
}

// MaxEntries bounds one page of GET /v1/log/entries.
const MaxEntries = 100000

var errPageFull = errors.New("page full")

// handleEntries serves GET /v1/log/entries?from=P&limit=N: the stored
// events from position P as newline-delimited JSON, each line the exact
// stored bytes (they contain no raw newline). The X-Ledger-Next trailer
// names the next position. For inspectors and admins: it is the whole log, for
// `ledger verify --url`.
func (s *Server) handleEntries(w http.ResponseWriter, r *http.Request) {
	if err := s.requireWholeLog(r); err != nil {
		s.Error(w, r, err)
		return
	}
	from, err := queryUint(r, "from", 1)
	if err == nil && from == 0 {
		err = events.FieldErrorf("from", "from must be a position, 1 or more.")
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	limit, err := queryUint(r, "limit", 10000)
	if err == nil && (limit == 0 || limit > MaxEntries) {
		err = events.FieldErrorf("limit", "limit must be a whole number from 1 to %d.", MaxEntries)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	// The next position is a trailer: it is known only at the end, and a
	// page cut short by an error has none, so the client notices.
	w.Header().Set("Trailer", "X-Ledger-Next")
	bw := bufio.NewWriterSize(w, 64<<10)
	next := from
	var n uint64
	err = s.Store.ReadLog(r.Context(), from, func(rec events.Record) error {
		if n == limit {
			return errPageFull
		}
		if rec.Position != next {
			return events.Errorf(events.EInternal, "position %d is missing from the log", next)
		}
		bw.Write(rec.Raw)
		bw.WriteByte('\n')
		next = rec.Position + 1
		n++
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		if n == 0 {
			s.Error(w, r, err)
			return
		}
		// Part of the page is out: end it without the trailer, so the
		// client fails loudly.
		s.Logger.Error("reading the log for entries failed mid-page", "from", from, "next", next, "err", err)
		bw.Flush()
		return
	}
	bw.Flush()
	w.Header().Set("X-Ledger-Next", strconv.FormatUint(next, 10))
}

// CheckpointEntry is one stored checkpoint.
type CheckpointEntry struct {
	Size uint64 `json:"size"`
	Note string `json:"note"`
}

// handleCheckpoints serves GET /v1/log/checkpoints: every stored
// checkpoint in stored order, as newline-delimited JSON; X-Ledger-Checkpoints
// says how many. For inspectors and admins without a unit scope.
func (s *Server) handleCheckpoints(w http.ResponseWriter, r *http.Request) {
	if err := s.requireWholeLog(r); err != nil {
		s.Error(w, r, err)
		return
	}
	// Stored notes go in memory first: there are few, and an error then
	// is an error response, not a list cut short that a client would take
	// for the whole.
	var entries []CheckpointEntry
	err := s.Store.Checkpoints(r.Context(), func(size uint64, note []byte) error {
		entries = append(entries, CheckpointEntry{Size: size, Note: string(note)})
		return nil
	})
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("X-Ledger-Checkpoints", strconv.Itoa(len(entries)))
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	for _, e := range entries {
		enc.Encode(e)
	}
	bw.Flush()
}

// requireWholeLog admits tokens that may read every event: inspectors and
// admins without a unit scope.
func (s *Server) requireWholeLog(r *http.Request) error {
	a, err := s.requireRole(r, events.RoleInspector, events.RoleAdmin)
	if err == nil && a.Role == events.RoleAdmin && a.Unit != "" {
		return events.Errorf(events.EForbidden, "The whole log is for inspectors and admins without a unit scope; this admin token is scoped to unit %s.", a.Unit)
	}
	return err
}
