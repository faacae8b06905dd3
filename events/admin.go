package events

// Administrative actions on the ledger itself that are not about tokens
// (token grants and revocations are token events): each is recorded, before
// it is carried out, as the one event of a stream "admin/<UUIDv7>" of its
// own, so the audited history says who asked for it and when. The stream
// has no unit: only an admin of the whole ledger may act on the ledger.
const (
	// AdminRebuildRequested records a request to rebuild the read side (the
	// views) of one replica from the log (POST /v1/admin/rebuild).
	AdminRebuildRequested Type = "admin.rebuild_requested.v1"
)

// AdminRecorded is the state of an administrative action once recorded.
const AdminRecorded Status = "recorded"

// AdminRebuildRequestedData is a request to rebuild the views.
type AdminRebuildRequestedData struct {
	// Replica names the ledger process that rebuilds (its host name): each
	// replica builds its own views, so a rebuild is one replica's.
	Replica string `json:"replica"`
	// Reason is why, as the admin gave it.
	Reason string `json:"reason"`
}

// Validate implements Payload.
func (d *AdminRebuildRequestedData) Validate() error {
	return firstError(required("data.replica", d.Replica), requiredText("data.reason", d.Reason))
}

var adminRules = &rules{
	kind:  KindAdmin,
	final: []Status{AdminRecorded},
	specs: []spec{
		{typ: AdminRebuildRequested, new: func() Payload { return new(AdminRebuildRequestedData) }, to: AdminRecorded, roles: []Role{RoleAdmin}},
	},
	decide: func(s *State, cmd Command, w World) error {
		if cmd.Actor.Unit != "" {
			return Errorf(EForbidden, "Only an admin of the whole ledger may act on the ledger itself; this token is scoped to unit %s.", cmd.Actor.Unit)
		}
		return nil
	},
}
