package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"
	"github.com/mttq-vn/ledger/events"
)

// handleBundle serves GET /v1/bundles/parties/{id}: the party's
// accountability trail with every cited event as stored, each with an
// inclusion proof against one signed checkpoint. `ledger verify --bundle`
// checks it offline with the verifier key alone.
func (s *Server) handleBundle(w http.ResponseWriter, r *http.Request) {
	rc, err := s.beginRead(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	party := mux.Vars(r)["id"]
	trail, err := s.trailFor(r.Context(), rc, party)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var maxPos uint64
	for _, e := range trail.Events {
		maxPos = max(maxPos, e.Position)
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.readWait())
	defer cancel()
	if err := s.Ledger.WaitCheckpoint(ctx, maxPos); err != nil {
		s.Error(w, r, events.Errorf(events.EUnavailable, "No signed checkpoint covers position %d yet; try again shortly.", maxPos))
		return
	}
	size, note, err := s.Ledger.LatestCheckpoint()
	if err != nil {
		s.Error(w, r, events.Errorf(events.EUnavailable, "No signed checkpoint yet; try again shortly."))
		return
	}
	cp, err := events.ParseCheckpoint(events.NoteText(note))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	tj, err := json.Marshal(trail)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	b := events.Bundle{Format: events.BundleFormat, Origin: cp.Origin, Checkpoint: string(note), TreeSize: size, Subject: events.StreamName(events.KindParty, party),
		Trail: tj, Events: []events.BundleEvent{}}
	tree := s.Ledger.Tree()
	for _, e := range trail.Events {
		rec, err := s.Store.Get(r.Context(), e.Position)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		proof, err := tree.InclusionProof(e.Position-1, size)
		if err != nil {
			s.Error(w, r, err)
			return
		}
		be := events.BundleEvent{Position: e.Position, Hash: rec.Hash().String(), Raw: rec.Raw, Proof: proof}
		// The trail shows only flags this reader may read, with their
		// reviews. An event the reader may not read whole (confidential,
		// or naming a citizen) is proved in the log by its leaf hash
		// alone.
		if !s.mayReadEvent(rc.actor, rec.Raw, func(string) bool { return true }) {
			leaf := events.LeafHash(rec.Raw)
			be.Raw, be.Redacted, be.LeafHash = nil, true, leaf[:]
		}
		b.Events = append(b.Events, be)
	}
	st, err := s.Ledger.Signer.SignStatement(&b)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	b.Statement = string(st)
	w.Header().Set("Content-Disposition", `attachment; filename="bundle-party-`+party+`.json"`)
	writeJSON(w, http.StatusOK, b)
}
