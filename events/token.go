package events

import "fmt"

import "strings"

// Token events: API tokens are recorded in the ledger itself, so they are
// replicated with it and every grant and revocation is part of the audited
// history. Only the SHA-256 of a token's secret is stored.
const (
	TokenCreated Type = "token.created.v1"
	TokenRevoked Type = "token.revoked.v1"
)

// Token states.
const (
	TokenActive   Status = "active"
	TokenRevokedS Status = "revoked"
)

// TokenCreatedData grants a role, scoped to a unit (recorder, observer and
// unit-bound admins) or a party (respondent).
type TokenCreatedData struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Unit is the unit scope: the unit and everything below it.
	Unit string `json:"unit,omitempty"`
	// Party is the party a respondent answers for.
	Party string `json:"party,omitempty"`
	// SecretSHA256 is the lowercase hex SHA-256 of the secret.
	SecretSHA256 string `json:"secret_sha256"`
	ExpiresOn    Date   `json:"expires_on,omitempty"`
}

// tokenRoles are the roles a token may carry (Role.Valid).
var tokenRoles = enum(RoleAdmin, RoleRecorder, RoleRespondent, RoleInspector, RoleObserver)

// Validate implements Payload.
func (d *TokenCreatedData) Validate() error {
	if err := firstError(required("data.name", d.Name), oneOf("data.role", d.Role, tokenRoles...),
		optionalID("data.unit", d.Unit), optionalID("data.party", d.Party), optionalDate("data.expires_on", d.ExpiresOn)); err != nil {
		return err
	}
	// Tokens are found by the lowercase hex of their secret's hash, so an
	// upper-case digest would create a token nobody can use.
	if _, err := ParseHash(d.SecretSHA256); err != nil || strings.ToLower(d.SecretSHA256) != d.SecretSHA256 {
		return FieldErrorf("data.secret_sha256", "data.secret_sha256 must be 64 lowercase hex digits.")
	}
	switch {
	case d.Role == RoleRecorder && d.Unit == "":
		return FieldErrorf("data.unit", "A recorder token needs a unit.")
	case d.Role == RoleObserver && d.Unit == "":
		return FieldErrorf("data.unit", "An observer token needs a unit.")
	case d.Role == RoleInspector && d.Unit != "":
		// Scopes would not hold: inspectors read every unit.
		return FieldErrorf("data.unit", "An inspector reads the whole ledger: an inspector token has no unit.")
	case d.Role == RoleRespondent && d.Party == "":
		return FieldErrorf("data.party", "A respondent token needs a party.")
	case d.Role != RoleRespondent && d.Party != "":
		return FieldErrorf("data.party", "Only respondent tokens answer for a party.")
	}
	return nil
}

// TokenRevokedData revokes a token.
type TokenRevokedData struct {
	Reason string `json:"reason"`
}

// Validate implements Payload.
func (d *TokenRevokedData) Validate() error { return required("data.reason", d.Reason) }

type tokenFacts struct {
	name    string
	role    Role
	unit    string
	party   string
	secret  string
	expires Date
}

var tokenRules = &rules{
	kind:  KindToken,
	final: []Status{TokenRevokedS},
	specs: []spec{
		{typ: TokenCreated, new: func() Payload { return new(TokenCreatedData) }, to: TokenActive, roles: []Role{RoleAdmin, RoleSystem}},
		{typ: TokenRevoked, new: func() Payload { return new(TokenRevokedData) }, from: []Status{TokenActive}, to: TokenRevokedS, roles: []Role{RoleAdmin}},
	},
	decide: func(s *State, cmd Command, w World) error {
		d, ok := cmd.Payload.(*TokenCreatedData)
		if !ok {
			return nil
		}
		if err := firstError(needStream(w, "data.unit", KindUnit, d.Unit), needParty(w, "data.party", d.Party)); err != nil {
			return err
		}
		if err := decideTokenScope(d, cmd.Actor, w); err != nil {
			return err
		}
		if d.Role == RoleRespondent && d.Unit != "" {
			// Whoever grants it: the workspace shows a respondent its
			// token's unit, which must be its party's.
			if p := w.Lookup(StreamName(KindParty, d.Party)); p != nil && d.Unit != p.unit {
				return FieldErrorf("data.unit", "A respondent token's unit is its party's unit, %s.", p.unit)
			}
		}
		return nil
	},
	evolve: func(s *State, t Type, p Payload) {
		if d, ok := p.(*TokenCreatedData); ok {
			s.facts = tokenFacts{name: d.Name, role: d.Role, unit: d.Unit, party: d.Party, secret: d.SecretSHA256, expires: d.ExpiresOn}
		}
	},
}

// decideTokenScope refuses a token a unit-scoped admin may not grant: it
// grants only what stays inside its scope: no inspector (who reads
// everything), no token without a unit, and respondents only for parties
// of its units.
func decideTokenScope(d *TokenCreatedData, actor Actor, w World) error {
	scope := actor.Unit
	if actor.Role != RoleAdmin || scope == "" {
		return nil
	}
	switch {
	case d.Role == RoleInspector:
		return &Error{Code: EForbidden, Field: "data.role", Message: fmt.Sprintf("A unit-scoped admin cannot create inspector tokens: inspectors read the whole ledger, beyond unit %s.", scope)}
	case d.Role == RoleRespondent:
		p := w.Lookup(StreamName(KindParty, d.Party))
		if !UnitWithin(w, p.unit, scope) {
			return &Error{Code: EForbidden, Field: "data.party", Message: fmt.Sprintf("Party %s belongs to unit %s, outside the scope of this token (unit %s and below).", d.Party, p.unit, scope)}
		}
	case d.Unit == "":
		return &Error{Code: EForbidden, Field: "data.unit", Message: fmt.Sprintf("A unit-scoped admin can only create tokens within unit %s.", scope)}
	case !UnitWithin(w, d.Unit, scope):
		return &Error{Code: EForbidden, Field: "data.unit", Message: fmt.Sprintf("Unit %s is outside the scope of this token (unit %s and below).", d.Unit, scope)}
	}
	return nil
}

// TokenInfo is what the write side knows of a token.
type TokenInfo struct {
	ID           string
	Name         string
	Role         Role
	Unit         string
	Party        string
	SecretSHA256 string
	ExpiresOn    Date
	Revoked      bool
}

// TokenInfo returns the facts of a token state; ok is false for other kinds.
func (s *State) TokenInfo() (TokenInfo, bool) {
	f, ok := s.facts.(tokenFacts)
	if !ok || s.kind != KindToken {
		return TokenInfo{}, false
	}
	return TokenInfo{ID: s.id, Name: f.name, Role: f.role, Unit: f.unit, Party: f.party, SecretSHA256: f.secret, ExpiresOn: f.expires, Revoked: s.status == TokenRevokedS}, true
}
