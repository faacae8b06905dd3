package api

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gorilla/mux"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

func (s *Server) registerTokenRoutes(r *mux.Router) {
	r.HandleFunc("/v1/tokens", s.handleTokenCreate).Methods("POST")
	r.HandleFunc("/v1/tokens/{id}/revoke", s.handleTokenRevoke).Methods("POST")
}

// TokenRequest is the body of POST /v1/tokens.
type TokenRequest struct {
	Name      string      `json:"name"`
	Role      events.Role `json:"role"`
	Unit      string      `json:"unit,omitempty"`
	Party     string      `json:"party,omitempty"`
	ExpiresOn events.Date `json:"expires_on,omitempty"`
}

// TokenResponse answers POST /v1/tokens. Token is the secret: it is shown
// once and stored only as its SHA-256.
type TokenResponse struct {
	ID       string      `json:"id"`
	Token    string      `json:"token"`
	Name     string      `json:"name"`
	Role     events.Role `json:"role"`
	Unit     string      `json:"unit,omitempty"`
	Party    string      `json:"party,omitempty"`
	Position uint64      `json:"position"`
}

// NewSecret returns a new random token secret and its SHA-256 in hex.
func NewSecret() (secret, sum string) {
	b := make([]byte, 32)
	rand.Read(b)
	secret = "lgr_" + base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(secret))
	return secret, hex.EncodeToString(h[:])
}

// handleTokenCreate serves POST /v1/tokens (admin): creates a token with a
// role and a scope, recording token.created.v1 in the ledger.
func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) {
	actor, err := s.authenticate(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var body TokenRequest
	if err := s.decodeBody(w, r, &body); err != nil {
		s.Error(w, r, err)
		return
	}
	if body.ExpiresOn != "" && body.ExpiresOn.Valid() && body.ExpiresOn < projections.Today(s.now()) {
		s.Error(w, r, events.FieldErrorf("expires_on", "expires_on %s has passed: a token that expired before it was made could never be used.", body.ExpiresOn))
		return
	}
	secret, sum := NewSecret()
	data, _ := json.Marshal(events.TokenCreatedData{Name: body.Name, Role: body.Role, Unit: body.Unit, Party: body.Party, SecretSHA256: sum, ExpiresOn: body.ExpiresOn})
	res, err := s.Ledger.Handle(r.Context(), events.Request{Kind: events.KindToken, Create: true, Type: events.TokenCreated, Data: data,
		Unit: body.Unit, Actor: actor, IdempotencyKey: r.Header.Get("Idempotency-Key")})
	if err != nil {
		s.Error(w, r, bodyFieldError(err))
		return
	}
	writeJSON(w, http.StatusCreated, TokenResponse{ID: res.ID, Token: secret, Name: body.Name, Role: body.Role, Unit: body.Unit, Party: body.Party, Position: res.Position})
}

// RevokeRequest is the body of POST /v1/tokens/{id}/revoke.
type RevokeRequest struct {
	Reason string `json:"reason"`
}

// handleTokenRevoke serves POST /v1/tokens/{id}/revoke (admin).
func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) {
	actor, err := s.authenticate(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var body RevokeRequest
	if err := s.decodeBody(w, r, &body); err != nil {
		s.Error(w, r, err)
		return
	}
	id := mux.Vars(r)["id"]
	if !events.ValidID(id) || !s.Ledger.Lookup(events.StreamName(events.KindToken, id)).Exists() {
		s.Error(w, r, &events.Error{Code: events.ENotFound, Field: "id", Message: fmt.Sprintf("No token has the ID %s.", quoteShort(id))})
		return
	}
	data, _ := json.Marshal(events.TokenRevokedData{Reason: body.Reason})
	res, err := s.Ledger.Handle(r.Context(), events.Request{Kind: events.KindToken, ID: id, Type: events.TokenRevoked, Data: data, Actor: actor,
		IdempotencyKey: r.Header.Get("Idempotency-Key")})
	if e := (*events.Error)(nil); errors.As(err, &e) && e.Code == events.EConflict && e.Field == "type" {
		// The request names no event type: the token is what conflicts.
		// (Not an Idempotency-Key used for another request.)
		err = &events.Error{Code: events.EConflict, Field: "id", Message: fmt.Sprintf("Token %s is already revoked.", id)}
	}
	if err != nil {
		s.Error(w, r, bodyFieldError(err))
		return
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusOK, res)
}

// bodyFieldError names the request body's own field in an error about the
// token payload the handler built from it: the body of POST /v1/tokens has
// "unit", where the payload's validation names "data.unit".
func bodyFieldError(err error) error {
	var e *events.Error
	if !errors.As(err, &e) {
		return err
	}
	f, ok := strings.CutPrefix(e.Field, "data.")
	if !ok {
		return err
	}
	return &events.Error{Code: e.Code, Field: f, Message: strings.ReplaceAll(e.Message, e.Field, f)}
}
