package esdb

import (
	"encoding/json"
	"fmt"
	"strings"

	kurrent "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/mttq-vn/ledger/events"
)

// Event types the store writes in EventStoreDB. A ledger event takes the
// "type" of its envelope (so that the server's UI and projections show
// "recommendation.response_submitted.v1"); bytes without one are
// eventTypeOther.
const (
	eventTypeOther      = "ledger.event"
	eventTypeCheckpoint = "ledger.checkpoint"
)

// idNamespace makes EventStoreDB event IDs out of dedup keys: the ID of an
// event is the UUIDv5 (SHA-1) of its Pending.DedupKey in this namespace.
// It is persisted in every event and must never change.
var idNamespace = uuid.MustParse("6f1c3b8e-4a4e-5d0c-9a57-2c1e0b6a9d41")

// eventID returns the EventStoreDB event ID of an event with dedup key
// key. A retry carries the same key, so the server sees the same ID and
// recognises the retry (its idempotency check on expected revisions).
func eventID(key string) uuid.UUID { return uuid.NewSHA1(idNamespace, []byte(key)) }

// checkpointID returns the event ID of the checkpoint for a tree of size n.
func checkpointID(n uint64) uuid.UUID { return eventID(fmt.Sprintf("checkpoint:%d", n)) }

// metadata is the user metadata of a ledger event in EventStoreDB: what
// events.Record holds beside the stored bytes. Stream and version repeat
// what the stream name and revision say, so that a record moved or
// renumbered inside the server is noticed when read.
type metadata struct {
	Stream  string `json:"ledger_stream"`
	Version uint64 `json:"ledger_version"`
	ID      string `json:"ledger_id"`
	Key     string `json:"ledger_key,omitempty"`
}

// checkpointMetadata is the user metadata of a checkpoint event.
type checkpointMetadata struct {
	TreeSize uint64 `json:"ledger_tree_size"`
}

// expectedRevision maps a ledger version to the expected revision of an
// append. This is the one place of the offset: ledger versions count from
// 1 and EventStoreDB revisions from 0, so version N is revision N-1, and
// "expected version 0" (the stream must not exist) is NoStream.
func expectedRevision(version uint64) kurrent.ExpectedRevision {
	if version == 0 {
		return kurrent.NoStream{}
	}
	return kurrent.Revision(version - 1)
}

// versionOf returns the ledger version of the event at revision rev.
func versionOf(rev uint64) uint64 { return rev + 1 }

// eventData maps an event on its way in to the EventStoreDB event that
// stores it as version of stream. Data holds the exact bytes; the event
// type is the envelope's, when the bytes are a JSON object with one.
func eventData(stream string, version uint64, e events.Pending) (kurrent.EventData, error) {
	md, err := json.Marshal(metadata{Stream: stream, Version: version, ID: e.ID, Key: e.Key})
	if err != nil {
		return kurrent.EventData{}, err
	}
	typ, ct := eventTypeOther, kurrent.ContentTypeBinary
	var env struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(e.Raw, &env) == nil {
		ct = kurrent.ContentTypeJson
		if env.Type != "" && !strings.HasPrefix(env.Type, "$") {
			typ = env.Type
		}
	}
	return kurrent.EventData{
		EventID:     eventID(e.DedupKey()),
		EventType:   typ,
		ContentType: ct,
		Data:        e.Raw,
		Metadata:    md,
	}, nil
}

// recordOf maps a stored event of a ledger stream back to a record; its
// Position (the dense one) is the caller's to set. prefix is the store's
// stream prefix. An event whose metadata does not agree with where it is
// stored is an error: something other than this store wrote or moved it.
func recordOf(ev *kurrent.RecordedEvent, prefix string) (events.Record, error) {
	stream, ok := strings.CutPrefix(ev.StreamID, prefix)
	if !ok {
		return events.Record{}, fmt.Errorf("event %s of stream %q is outside the ledger's prefix %q", ev.EventID, ev.StreamID, prefix)
	}
	var md metadata
	if err := json.Unmarshal(ev.UserMetadata, &md); err != nil {
		return events.Record{}, fmt.Errorf("event %s at revision %d of %q: unreadable ledger metadata: %v", ev.EventID, ev.EventNumber, ev.StreamID, err)
	}
	version := versionOf(ev.EventNumber)
	switch {
	case md.Stream != stream:
		return events.Record{}, fmt.Errorf("event %s at revision %d of %q says it belongs to stream %q", ev.EventID, ev.EventNumber, ev.StreamID, md.Stream)
	case md.Version != version:
		return events.Record{}, fmt.Errorf("event %s at revision %d of %q says it is version %d, not %d", ev.EventID, ev.EventNumber, ev.StreamID, md.Version, version)
	case md.ID == "":
		return events.Record{}, fmt.Errorf("event %s at revision %d of %q has no ledger event ID", ev.EventID, ev.EventNumber, ev.StreamID)
	}
	return events.Record{Stream: stream, Version: version, ID: md.ID, Key: md.Key, Raw: ev.Data}, nil
}

// checkpointOf maps a checkpoint event to its tree size and note.
func checkpointOf(ev *kurrent.RecordedEvent) (uint64, []byte, error) {
	var md struct {
		TreeSize *uint64 `json:"ledger_tree_size"`
	}
	if ev.EventType != eventTypeCheckpoint {
		return 0, nil, fmt.Errorf("event %s at revision %d of %q is a %q, not a checkpoint", ev.EventID, ev.EventNumber, ev.StreamID, ev.EventType)
	}
	if err := json.Unmarshal(ev.UserMetadata, &md); err != nil || md.TreeSize == nil {
		return 0, nil, fmt.Errorf("checkpoint event %s at revision %d of %q: unreadable tree size in its metadata", ev.EventID, ev.EventNumber, ev.StreamID)
	}
	return *md.TreeSize, ev.Data, nil
}

// checkpointData maps a signed checkpoint note to the event that stores it.
func checkpointData(size uint64, note []byte) kurrent.EventData {
	md, _ := json.Marshal(checkpointMetadata{TreeSize: size})
	return kurrent.EventData{
		EventID:     checkpointID(size),
		EventType:   eventTypeCheckpoint,
		ContentType: kurrent.ContentTypeBinary,
		Data:        note,
		Metadata:    md,
	}
}

// before reports whether $all position a comes before b. $all is ordered
// by commit position, then by prepare position (events written together
// share a commit position).
func before(a, b kurrent.Position) bool {
	if a.Commit != b.Commit {
		return a.Commit < b.Commit
	}
	return a.Prepare < b.Prepare
}
