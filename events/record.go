package events

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// Envelope is one stored event: the JSON document whose exact bytes are
// hashed, chained and logged. Its field order and names are the product's
// wire format and are pinned by golden tests; never rename or reorder them.
type Envelope struct {
	ID             string          `json:"id"`
	Stream         string          `json:"stream"`
	Kind           Kind            `json:"kind"`
	Type           Type            `json:"type"`
	Version        uint64          `json:"version"`
	OccurredAt     time.Time       `json:"occurred_at"`
	RecordedAt     time.Time       `json:"recorded_at"`
	Actor          Actor           `json:"actor"`
	Unit           string          `json:"unit"`
	Classification Classification  `json:"classification"`
	DocumentRef    *DocumentRef    `json:"document_ref,omitempty"`
	IdempotencyKey string          `json:"idempotency_key,omitempty"`
	PrevHash       string          `json:"prev_hash"`
	Data           json.RawMessage `json:"data"`
}

// Actor names who recorded an event: the token's subject, role and scope.
type Actor struct {
	Subject string `json:"subject"`
	Role    Role   `json:"role"`
	Unit    string `json:"unit,omitempty"`
	Party   string `json:"party,omitempty"`
}

// DocumentRef identifies the official document behind an event: its number
// and symbol (số/ký hiệu) and the date it was signed (ngày ký).
type DocumentRef struct {
	Number   string `json:"number"`
	SignedOn Date   `json:"signed_on"`
}

// Classification says who may read an event.
type Classification string

// Classifications.
const (
	Public       Classification = "public"
	Internal     Classification = "internal"
	Confidential Classification = "confidential"
)

// Valid reports whether c is a known classification.
func (c Classification) Valid() bool {
	return c == Public || c == Internal || c == Confidential
}

// Rank orders classifications: public 0, internal 1, confidential 2.
func (c Classification) Rank() int {
	switch c {
	case Internal:
		return 1
	case Confidential:
		return 2
	}
	return 0
}

// Marshal returns the stored bytes of e: compact JSON, fields in declaration
// order, no HTML escaping (so Vietnamese text and "<" stay readable).
func (e *Envelope) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalEnvelope decodes stored bytes. It does not validate the payload.
func UnmarshalEnvelope(b []byte) (Envelope, error) {
	var e Envelope
	if err := json.Unmarshal(b, &e); err != nil {
		return Envelope{}, Errorf(EInvalid, "Malformed event envelope: %v.", err)
	}
	return e, nil
}

// Hash is the SHA-256 of an event's stored bytes.
type Hash [sha256.Size]byte

// HashOf returns the hash of stored bytes.
func HashOf(raw []byte) Hash { return sha256.Sum256(raw) }

// String returns the lowercase hex form used in envelopes and the API.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash parses the lowercase hex form.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, Errorf(EInvalid, "Malformed hash %q.", s)
	}
	copy(h[:], b)
	return h, nil
}

// Pending is an event on its way into a store: its ID, its idempotency key
// (empty if the writer gave none) and the exact bytes to store.
type Pending struct {
	ID  string
	Key string
	Raw []byte
}

// DedupKey is the key a store de-duplicates on: the idempotency key if there
// is one, otherwise the event ID.
func (p Pending) DedupKey() string {
	if p.Key != "" {
		return p.Key
	}
	return p.ID
}

// Record is an event as a store returns it.
type Record struct {
	// Position is the 1-based place of the event in the global log; its
	// Merkle leaf index is Position-1.
	Position uint64
	Stream   string
	Version  uint64
	// ID and Key are the event ID and idempotency key given to Append.
	ID  string
	Key string
	// Raw holds the stored bytes, exactly as appended.
	Raw []byte
}

// Hash returns the SHA-256 of the stored bytes.
func (r Record) Hash() Hash { return HashOf(r.Raw) }

// Appended is the result of an append.
type Appended struct {
	Record
	// Duplicate is true if the append was a retry of an earlier one with the
	// same idempotency key: Record is the earlier event and nothing was written.
	Duplicate bool
}

// StreamName joins a kind and an ID into a stream name such as
// "recommendation/0190c2a4-...".
func StreamName(kind Kind, id string) string { return string(kind) + "/" + id }

// SplitStream splits a stream name into its kind and ID.
func SplitStream(stream string) (Kind, string, bool) {
	k, id, ok := strings.Cut(stream, "/")
	if !ok || !validKindName(k) || !ValidID(id) {
		return "", "", false
	}
	return Kind(k), id, true
}

// ValidStream reports whether s is a well-formed stream name.
func ValidStream(s string) bool {
	_, _, ok := SplitStream(s)
	return ok
}

// ValidID reports whether id may name an aggregate: 1-64 ASCII letters,
// digits, '-' or '_'. IDs become parts of NATS subjects and URLs, so nothing
// else is allowed.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func validKindName(k string) bool {
	if len(k) == 0 || len(k) > 32 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c == '_') {
			return false
		}
	}
	return true
}
