package events

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// State is what the write side knows of one aggregate: enough to decide the
// next command without reading the store. States are values: Evolve returns
// a new one and never changes the old, so readers may hold a *State while a
// writer moves on.
type State struct {
	kind     Kind
	id       string
	status   Status
	version  uint64
	lastHash Hash
	lastPos  uint64
	unit     string
	// parties are the parties the item is addressed to: a respondent of one
	// of them may answer it.
	parties []string
	// facts holds kind-specific facts (unitFacts, tokenFacts, ...), copied
	// on write by the kind's evolve.
	facts any
	// prev is the status before a pause (postponement, review request).
	prev Status
	// open lists IDs of things still open: document or information
	// requests, plan items, sessions.
	open []string
	// class is the record's classification, its first event's: an event
	// recorded without one takes it if it is higher than the kind's
	// default (see Request.classDefault).
	class Classification
	// days are the legal dates of the record's steps a later step may not
	// precede (dateorder.go), as YYYYMMDD numbers, 0 for none or unknown.
	days [maxAnchors]int32
}

// NewState returns the state of a stream that does not exist yet.
func NewState(kind Kind, id string) *State { return &State{kind: kind, id: id} }

// Kind returns the aggregate's kind.
func (s *State) Kind() Kind { return s.kind }

// ID returns the aggregate's ID.
func (s *State) ID() string { return s.id }

// Stream returns the aggregate's stream name.
func (s *State) Stream() string { return StreamName(s.kind, s.id) }

// Status returns the lifecycle state ("" before the first event).
func (s *State) Status() Status { return s.status }

// Version returns the number of events in the stream.
func (s *State) Version() uint64 { return s.version }

// LastHash returns the hash of the stream's last event (zero if none).
func (s *State) LastHash() Hash { return s.lastHash }

// LastPosition returns the log position of the stream's last event.
func (s *State) LastPosition() uint64 { return s.lastPos }

// Unit returns the administrative unit the aggregate belongs to.
func (s *State) Unit() string { return s.unit }

// Parties returns the parties the item is addressed to.
func (s *State) Parties() []string { return slices.Clone(s.parties) }

// Exists reports whether the stream has events.
func (s *State) Exists() bool { return s != nil && s.version > 0 }

// Open returns the IDs of requests or items still open.
func (s *State) Open() []string { return slices.Clone(s.open) }

// PrevHashString returns the prev_hash of the next event: the hex hash of
// the last one, or "" for a new stream.
func (s *State) PrevHashString() string {
	if s.version == 0 {
		return ""
	}
	return s.lastHash.String()
}

func (s *State) clone() *State {
	c := *s
	return &c
}

// addresses reports whether party is one the item is addressed to.
func (s *State) addresses(party string) bool {
	return party != "" && slices.Contains(s.parties, party)
}

// MayRead reports whether actor may read the aggregate: inspectors and
// unscoped admins all; units and parties, reference data, every token;
// recorders, observers and scoped admins their unit's subtree; respondents
// what is addressed to their party.
func (s *State) MayRead(actor Actor, w World) bool {
	if s.kind == KindUnit || s.kind == KindParty {
		return true
	}
	switch actor.Role {
	case RoleInspector:
		return true
	case RoleAdmin:
		return actor.Unit == "" || UnitWithin(w, s.unit, actor.Unit)
	case RoleRecorder, RoleObserver:
		return UnitWithin(w, s.unit, actor.Unit)
	case RoleRespondent:
		return s.addresses(actor.Party)
	}
	return false
}

func (s *State) isOpen(id string) bool { return slices.Contains(s.open, id) }

// withOpen and withoutOpen return copies of s.open (copy on write).
func withOpen(open []string, id string) []string {
	if slices.Contains(open, id) {
		return open
	}
	return append(slices.Clip(open), id)
}

func withoutOpen(open []string, id string) []string {
	i := slices.Index(open, id)
	if i < 0 {
		return open
	}
	return slices.Delete(slices.Clone(open), i, i+1)
}

// World gives deciders read access to other aggregates, such as the unit
// tree for scope checks and parties named in payloads.
type World interface {
	// Lookup returns the current state of stream, or nil if it has no events.
	Lookup(stream string) *State
}

// Command asks to record one event on an aggregate.
type Command struct {
	Type    Type
	Payload Payload
	Actor   Actor
	// Unit is the administrative unit of a new aggregate. For later events
	// it is empty or equal to the aggregate's unit.
	Unit string
}

// Decide checks whether cmd may be recorded on an aggregate in state s (a
// state with version 0 for a new stream). It checks the lifecycle, the
// actor's role and scope, and references to other aggregates.
//
// Errors: code invalid for a payload that names unknown units or parties or
// a type of another kind; code not_found for an event on a stream that does
// not exist; code conflict (naming the current state) for a transition the
// lifecycle does not allow or a stream that already exists; code forbidden
// for the wrong role or scope.
func Decide(s *State, cmd Command, w World) error {
	t, actor := cmd.Type, cmd.Actor
	sp, ok := specsByType[t]
	if !ok {
		return &Error{Code: EInvalid, Field: "type", Message: fmt.Sprintf("Unknown event type %q.", t)}
	}
	r := allRules[t.Kind()]
	if s.kind != r.kind {
		return &Error{Code: EInvalid, Field: "type", Message: fmt.Sprintf("Event type %s does not belong to a %s.", t, s.kind)}
	}
	if !slices.Contains(sp.roles, actor.Role) {
		return Errorf(EForbidden, "The role %s may not record %s (allowed: %s).", actor.Role, t, joinRoles(sp.roles))
	}
	switch {
	case sp.from == nil && s.version > 0 && !s.MayRead(actor, w):
		// The ID is taken; what the record is, the actor may not know.
		return &Error{Code: EConflict, Field: "id", Message: fmt.Sprintf("%s already exists.", s.Stream())}
	case sp.from == nil && s.version > 0:
		return &Error{Code: EConflict, Field: "id", Message: fmt.Sprintf("%s already exists (state %s, version %d).", s.Stream(), s.status, s.version)}
	case sp.from != nil && (s.version == 0 || !s.MayRead(actor, w)):
		// A record out of the actor's sight is answered as one never
		// recorded, as reads answer it.
		return &Error{Code: ENotFound, Field: "id", Message: fmt.Sprintf("%s does not exist.", s.Stream())}
	case sp.from != nil && !allowedFrom(r, sp, s.status):
		return &Error{Code: EConflict, Field: "type", Message: fmt.Sprintf("%s is in state %s: %s is not allowed now (allowed next: %s).", s.Stream(), s.status, t, joinTypes(NextTypes(s)))}
	}
	unit := s.unitFor(cmd.Unit)
	if s.version > 0 && cmd.Unit != "" && cmd.Unit != s.unit {
		return FieldErrorf("unit", "%s belongs to unit %s; its unit cannot change to %s.", s.Stream(), s.unit, cmd.Unit)
	}
	if s.version == 0 && s.kind != KindUnit && s.kind != KindToken && s.kind != KindAdmin {
		if err := requiredID("unit", unit); err != nil {
			return err
		}
		if st := w.Lookup(StreamName(KindUnit, unit)); !st.Exists() {
			return FieldErrorf("unit", "Unit %q is not registered.", unit)
		}
	}
	if err := checkScope(s, sp, unit, actor, w); err != nil {
		return err
	}
	if r.decide != nil {
		if err := r.decide(s, cmd, w); err != nil {
			// A conflict the kind's rules find is about the event type:
			// it is not allowed now.
			var e *Error
			if errors.As(err, &e) && e.Code == EConflict && e.Field == "" {
				e.Field = "type"
			}
			return err
		}
	}
	return checkDateOrder(s.kind, &s.days, t, cmd.Payload)
}

// checkScope applies the scope of the actor's token: a recorder (or a
// unit-scoped admin) writes only for its unit and below, a respondent only
// answers items addressed to its party.
func checkScope(s *State, sp *spec, unit string, actor Actor, w World) error {
	switch actor.Role {
	case RoleRecorder, RoleAdmin:
		if actor.Unit == "" && actor.Role == RoleAdmin {
			return nil
		}
		if unit == "" || !UnitWithin(w, unit, actor.Unit) {
			return Errorf(EForbidden, "Unit %s is outside the scope of this token (unit %s and below).", orNone(unit), actor.Unit)
		}
	case RoleRespondent:
		if sp.from != nil && !s.addresses(actor.Party) {
			return Errorf(EForbidden, "%s is not addressed to party %s.", s.Stream(), orNone(actor.Party))
		}
		// A respondent starting an item (an information request it received)
		// is checked by the kind's decide, which knows the addressee field.
	}
	return nil
}

// unitFor returns the unit an event on s belongs to: the aggregate's unit,
// or for a new aggregate the command's (a unit's own code for a unit).
func (s *State) unitFor(cmdUnit string) string {
	switch {
	case s.version > 0:
		return s.unit
	case s.kind == KindUnit:
		return s.id
	}
	return cmdUnit
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func allowedFrom(r *rules, sp *spec, st Status) bool {
	if sp.from == nil {
		return false
	}
	if slices.Contains(sp.from, st) {
		return true
	}
	return len(sp.from) == 1 && sp.from[0] == "*" && !slices.Contains(r.final, st)
}

// Evolve returns the state after the stored event env (whose payload is p,
// stored at position pos with hash h). It does not validate: what is in the
// log happened.
func Evolve(s *State, env *Envelope, p Payload, pos uint64, h Hash) *State {
	n := s.clone()
	n.evolve(env, p, pos, h)
	return n
}

// EvolveCore is Evolve for read models that keep only the core of a state:
// it folds one event into c and returns the new core. c.Parties may be
// reused by the result: the caller gives c up.
func EvolveCore(kind Kind, id string, c StateCore, env *Envelope, p Payload) StateCore {
	s := State{kind: kind, id: id, status: c.Status, prev: c.Prev, version: c.Version, unit: c.Unit, parties: c.Parties}
	s.evolve(env, p, 0, Hash{})
	return StateCore{Status: s.status, Prev: s.prev, Version: s.version, Unit: s.unit, Parties: s.parties}
}

func (n *State) evolve(env *Envelope, p Payload, pos uint64, h Hash) {
	n.version = env.Version
	n.lastHash = h
	n.lastPos = pos
	if n.unit == "" {
		n.unit = env.Unit
	}
	if env.Version == 1 {
		n.class = env.Classification
	}
	// The kind's evolve sees the status before the event (to remember it
	// across a pause); the spec's target state then applies.
	if r := allRules[n.kind]; r != nil && r.evolve != nil && p != nil {
		r.evolve(n, env.Type, p)
	}
	if p != nil {
		setDateAnchor(n, env.Type, p)
	}
	if sp, ok := specsByType[env.Type]; ok && sp.to != "" {
		n.status = sp.to
	}
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

func joinTypes(ts []Type) string {
	if len(ts) == 0 {
		return "none: the item is closed"
	}
	s := make([]string, len(ts))
	for i, t := range ts {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// needParty checks that a payload field names a registered party.
func needParty(w World, field, id string) error {
	if id == "" {
		return nil
	}
	if st := w.Lookup(StreamName(KindParty, id)); st == nil || !st.Exists() {
		return FieldErrorf(field, "Party %q is not registered.", id)
	}
	return nil
}

func needParties(w World, field string, ids []string) error {
	for i, id := range ids {
		if err := needParty(w, fmt.Sprintf("%s[%d]", field, i), id); err != nil {
			return err
		}
	}
	return nil
}

// needStream checks that a payload field names an existing aggregate.
func needStream(w World, field string, kind Kind, id string) error {
	if id == "" {
		return nil
	}
	if st := w.Lookup(StreamName(kind, id)); st == nil || !st.Exists() {
		return FieldErrorf(field, "%s %q does not exist.", kind, id)
	}
	return nil
}

// StateCore is the part of a State a read model keeps in its snapshots:
// enough for Evolve to go on computing the status and the parties after a
// restart. Kind-specific facts, which only Decide uses, are not in it.
type StateCore struct {
	Status  Status
	Prev    Status
	Version uint64
	Unit    string   `codec:"shared"`
	Parties []string `codec:"shared"`
}

// Core returns s's core.
func (s *State) Core() StateCore {
	return StateCore{Status: s.status, Prev: s.prev, Version: s.version, Unit: s.unit, Parties: slices.Clone(s.parties)}
}
