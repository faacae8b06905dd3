package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/mux"
	"github.com/mttq-vn/ledger/events"
	"golang.org/x/text/unicode/norm"
)

// Collections maps URL collection names to aggregate kinds.
var Collections = map[string]events.Kind{
	"units":           events.KindUnit,
	"parties":         events.KindParty,
	"plans":           events.KindPlan,
	"supervisions":    events.KindSupervision,
	"recommendations": events.KindRecommendation,
	"critiques":       events.KindCritique,
	"contributions":   events.KindContribution,
	"petitions":       events.KindPetition,
	"info-requests":   events.KindInfoRequest,
}

// CollectionOf returns the URL collection of a kind.
func CollectionOf(k events.Kind) string {
	for c, kind := range Collections {
		if kind == k {
			return c
		}
	}
	return ""
}

const collectionPattern = "{collection:units|parties|plans|supervisions|recommendations|critiques|contributions|petitions|info-requests}"

func (s *Server) registerWriteRoutes(r *mux.Router) {
	// The router tries routes in order, a regular expression each: the
	// busiest, GET of one item, comes first. The collection routes match
	// no other route's paths (no collection is named log, flags, tokens,
	// ...), so their order among the others does not matter.
	r.HandleFunc("/v1/"+collectionPattern+"/{id}", s.handleState).Methods("GET")
	r.HandleFunc("/v1/"+collectionPattern, s.handleCreate).Methods("POST")
	r.HandleFunc("/v1/"+collectionPattern+"/{id}/events", s.handleAppend).Methods("POST")
	r.HandleFunc("/v1/"+collectionPattern+"/{id}/events", s.handleStreamEvents).Methods("GET")
}

// EventRequest is the body of POST /v1/{collection} and
// POST /v1/{collection}/{id}/events.
type EventRequest struct {
	// ID optionally names a new aggregate (a unit's code, say); only on
	// POST /v1/{collection}.
	ID             string              `json:"id,omitempty"`
	Type           events.Type         `json:"type"`
	Unit           string              `json:"unit,omitempty"`
	OccurredAt     string              `json:"occurred_at,omitempty"`
	Classification string              `json:"classification,omitempty"`
	DocumentRef    *events.DocumentRef `json:"document_ref,omitempty"`
	Data           json.RawMessage     `json:"data"`
}

// handleCreate serves POST /v1/{collection}: starts a new aggregate with its
// first event.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	s.handleWrite(w, r, true)
}

// handleAppend serves POST /v1/{collection}/{id}/events: appends one event
// (If-Match: expected version; Idempotency-Key: retry safety).
func (s *Server) handleAppend(w http.ResponseWriter, r *http.Request) {
	s.handleWrite(w, r, false)
}

func (s *Server) handleWrite(w http.ResponseWriter, r *http.Request, create bool) {
	actor, err := s.authenticate(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	vars := mux.Vars(r)
	kind := Collections[vars["collection"]]
	var body EventRequest
	if err := s.decodeBody(w, r, &body); err != nil {
		s.Error(w, r, err)
		return
	}
	if body.DocumentRef != nil {
		// The payload's text is normalised by events.DecodePayload; the
		// document number is the envelope's only free text.
		body.DocumentRef.Number = norm.NFC.String(body.DocumentRef.Number)
	}
	req := events.Request{
		Kind:           kind,
		Create:         create,
		Type:           body.Type,
		Data:           body.Data,
		Unit:           body.Unit,
		Classification: events.Classification(body.Classification),
		DocumentRef:    body.DocumentRef,
		IdempotencyKey: r.Header.Get("Idempotency-Key"),
		Actor:          actor,
	}
	if create {
		req.ID = body.ID
	} else {
		if body.ID != "" {
			s.Error(w, r, events.FieldErrorf("id", "The ID is in the URL; leave id out of the body."))
			return
		}
		req.ID = vars["id"]
		if !events.ValidID(req.ID) {
			s.Error(w, r, noItem(kind, req.ID))
			return
		}
	}
	if body.OccurredAt != "" {
		t, err := events.ParseTime(body.OccurredAt)
		if err != nil {
			s.Error(w, r, events.FieldErrorf("occurred_at", "occurred_at must be an RFC 3339 time such as 2024-03-01T08:00:00+07:00."))
			return
		}
		req.OccurredAt = t
	}
	if im := r.Header.Get("If-Match"); im != "" && (im != "*" || create) {
		// "*" (any version of an existing record) asks nothing an append
		// does not: the record must exist.
		v, err := strconv.ParseUint(strings.Trim(strings.TrimPrefix(im, "W/"), `"`), 10, 64)
		if err != nil || create {
			s.Error(w, r, events.FieldErrorf("If-Match", "If-Match must be the stream version the change is based on, such as \"3\"."))
			return
		}
		req.ExpectedVersion = &v
	}
	if !utf8.ValidString(req.IdempotencyKey) {
		s.Error(w, r, events.FieldErrorf("Idempotency-Key", "The idempotency key is not valid UTF-8."))
		return
	}
	res, err := s.Ledger.Handle(r.Context(), req)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/"+CollectionOf(kind)+"/"+res.ID)
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(res.Version, 10)))
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusCreated, res)
}

// decodeBody reads a size-limited, strictly decoded JSON body. The
// Content-Type is not checked: the body must be JSON whatever it says.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return events.Errorf(events.ETooLarge, "The body is larger than %d bytes.", mbe.Limit)
		}
		return &events.Error{Code: events.EInvalid, Field: "body", Message: "The body could not be read."}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return &events.Error{Code: events.EInvalid, Field: "body", Message: "The body is empty; it must be a JSON object."}
	}
	if !utf8.Valid(b) {
		return &events.Error{Code: events.EInvalid, Field: "body", Message: "The body is not valid UTF-8."}
	}
	if err := events.StrictUnmarshal(b, v, ""); err != nil {
		var e *events.Error
		if errors.As(err, &e) && e.Field == "" {
			e.Field = "body"
		}
		return err
	}
	if path, ok := events.DuplicateKey(b); ok {
		return &events.Error{Code: events.EInvalid, Field: path, Message: fmt.Sprintf("%s is given twice; give it once.", path)}
	}
	return events.CheckSurrogates(b, "")
}

// readableStream returns the aggregate named in the URL if actor may read
// it: inspectors and admins read all, recorders and observers their unit's
// subtree, respondents what is addressed to their party. Any other is
// not found.
func (s *Server) readableStream(r *http.Request, actor events.Actor) (*events.State, error) {
	vars := mux.Vars(r)
	kind := Collections[vars["collection"]]
	id := vars["id"]
	var st *events.State
	if events.ValidID(id) {
		st = s.Ledger.Lookup(events.StreamName(kind, id))
	}
	if !st.Exists() || !s.mayRead(actor, st) {
		// An item out of the token's sight is answered as one never
		// recorded: IDs are the recorders' own and often guessable, and a
		// 403 would tell that one exists in another unit.
		return nil, noItem(kind, id)
	}
	return st, nil
}

// noItem is the answer about a record that was never recorded, or that
// the reader may not see (answered alike).
func noItem(kind events.Kind, id string) error {
	return &events.Error{Code: events.ENotFound, Field: "id", Message: fmt.Sprintf("No %s has the ID %s.", kind, quoteShort(id))}
}

func (s *Server) mayRead(a events.Actor, st *events.State) bool {
	return st.MayRead(a, s.Ledger)
}
