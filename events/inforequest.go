package events

// Information-access request events (yêu cầu cung cấp thông tin; Luật Tiếp
// cận thông tin 104/2016/QH13 Art. 29-34; domain.md §2.9). The requester is
// personal data.
const (
	InfoRequestReceived             Type = "info_request.received.v1"
	InfoRequestValidated            Type = "info_request.validated.v1"
	InfoRequestRejected             Type = "info_request.rejected.v1"
	InfoRequestTimelineNotified     Type = "info_request.timeline_notified.v1"
	InfoRequestExtensionNotified    Type = "info_request.extension_notified.v1"
	InfoRequestProvided             Type = "info_request.provided.v1"
	InfoRequestRefused              Type = "info_request.refused.v1"
	InfoRequestInformationCorrected Type = "info_request.information_corrected.v1"
	InfoRequestClosed               Type = "info_request.closed.v1"
	InfoRequestCorrected            Type = "info_request.corrected.v1"
)

// Information request states.
const (
	IrReceived         Status = "received"
	IrValidated        Status = "validated"
	IrRejected         Status = "rejected"
	IrTimelineNotified Status = "timeline_notified"
	IrExtended         Status = "extended"
	IrProvided         Status = "provided"
	IrRefused          Status = "refused"
	IrClosed           Status = "closed"
)

// InfoChannel is how an information request arrived (Art. 29-31).
type InfoChannel string

// Information request channels.
const (
	InfoInPerson   InfoChannel = "IN_PERSON"
	InfoElectronic InfoChannel = "ELECTRONIC"
	InfoPostFax    InfoChannel = "POST_FAX"
)

var infoChannels = enum(InfoInPerson, InfoElectronic, InfoPostFax)

// Complexity decides the deadlines of an information request (Art. 31).
type Complexity string

// Complexities.
const (
	Simple  Complexity = "SIMPLE"
	Complex Complexity = "COMPLEX"
)

var complexities = enum(Simple, Complex)

// InfoRequestReceivedData starts a request.
type InfoRequestReceivedData struct {
	Channel          InfoChannel `json:"channel"`
	ReceivedOn       Date        `json:"received_on"`
	Requester        Person      `json:"requester"`
	AddresseePartyID string      `json:"addressee_party_id"`
	Description      string      `json:"description"`
	Purpose          string      `json:"purpose,omitempty"`
}

// Validate implements Payload.
func (d *InfoRequestReceivedData) Validate() error {
	return firstError(oneOf("data.channel", d.Channel, infoChannels...), requiredDate("data.received_on", d.ReceivedOn),
		d.Requester.validate("data.requester", true), requiredID("data.addressee_party_id", d.AddresseePartyID),
		requiredText("data.description", d.Description), optionalText("data.purpose", d.Purpose))
}

// InfoValidatedData accepts a request as valid and classifies it.
type InfoValidatedData struct {
	ValidatedOn Date       `json:"validated_on"`
	Complexity  Complexity `json:"complexity"`
}

// Validate implements Payload.
func (d *InfoValidatedData) Validate() error {
	return firstError(requiredDate("data.validated_on", d.ValidatedOn), oneOf("data.complexity", d.Complexity, complexities...))
}

// InfoRejectedData rejects a request whose form is invalid.
type InfoRejectedData struct {
	RejectedOn Date   `json:"rejected_on"`
	Reason     string `json:"reason"`
}

// Validate implements Payload.
func (d *InfoRejectedData) Validate() error {
	return firstError(requiredDate("data.rejected_on", d.RejectedOn), requiredText("data.reason", d.Reason))
}

// InfoTimelineNotifiedData tells the requester when a complex request will
// be answered (Art. 31.2: within 3 working days).
type InfoTimelineNotifiedData struct {
	NotifiedOn Date `json:"notified_on"`
	ProvideBy  Date `json:"provide_by"`
}

// Validate implements Payload.
func (d *InfoTimelineNotifiedData) Validate() error {
	return firstError(requiredDate("data.notified_on", d.NotifiedOn), requiredDate("data.provide_by", d.ProvideBy),
		notBefore("data.provide_by", d.ProvideBy, d.NotifiedOn, "data.notified_on"))
}

// InfoExtensionNotifiedData extends a complex request once, by at most 15
// days, with written notice (Art. 31.2).
type InfoExtensionNotifiedData struct {
	NotifiedOn   Date   `json:"notified_on"`
	ExtendedDays int    `json:"extended_days"`
	Reason       string `json:"reason"`
}

// Validate implements Payload.
func (d *InfoExtensionNotifiedData) Validate() error {
	if err := firstError(requiredDate("data.notified_on", d.NotifiedOn), positive("data.extended_days", d.ExtendedDays), requiredText("data.reason", d.Reason)); err != nil {
		return err
	}
	if d.ExtendedDays > 15 {
		return FieldErrorf("data.extended_days", "An extension is at most 15 days (Luật Tiếp cận thông tin Art. 31.2).")
	}
	return nil
}

// InfoProvidedData records that the information was provided.
type InfoProvidedData struct {
	ProvidedOn Date   `json:"provided_on"`
	Note       string `json:"note,omitempty"`
}

// Validate implements Payload.
func (d *InfoProvidedData) Validate() error {
	return firstError(requiredDate("data.provided_on", d.ProvidedOn), optionalText("data.note", d.Note))
}

// InfoRefusedData records a refusal. The law requires reasons; a refusal
// without them is recorded as it happened and flagged (OB_INFO_SILENT).
type InfoRefusedData struct {
	RefusedOn Date   `json:"refused_on"`
	Reasons   string `json:"reasons,omitempty"`
}

// Validate implements Payload.
func (d *InfoRefusedData) Validate() error {
	return firstError(requiredDate("data.refused_on", d.RefusedOn), optionalText("data.reasons", d.Reasons))
}

// InfoCorrectedData records the body's correction of inaccurate or
// incomplete information it provided (Art. 34).
type InfoCorrectedData struct {
	CorrectedOn Date   `json:"corrected_on"`
	Note        string `json:"note"`
}

// Validate implements Payload.
func (d *InfoCorrectedData) Validate() error {
	return firstError(requiredDate("data.corrected_on", d.CorrectedOn), requiredText("data.note", d.Note))
}

var irAll = []Status{IrReceived, IrValidated, IrRejected, IrTimelineNotified, IrExtended, IrProvided, IrRefused, IrClosed}

var infoRequestRules = &rules{
	kind:  KindInfoRequest,
	final: []Status{IrClosed},
	specs: []spec{
		{typ: InfoRequestReceived, new: func() Payload { return new(InfoRequestReceivedData) }, to: IrReceived, roles: recorderRespondent},
		// Validated again before anything else happens: a wrong
		// complexity is recorded anew, not corrected (it decides the
		// deadlines).
		{typ: InfoRequestValidated, new: func() Payload { return new(InfoValidatedData) }, from: []Status{IrReceived, IrValidated}, to: IrValidated, roles: recorderRespondent},
		{typ: InfoRequestRejected, new: func() Payload { return new(InfoRejectedData) }, from: []Status{IrReceived}, to: IrRejected, roles: recorderRespondent},
		{typ: InfoRequestTimelineNotified, new: func() Payload { return new(InfoTimelineNotifiedData) }, from: []Status{IrValidated}, to: IrTimelineNotified, roles: recorderRespondent},
		{typ: InfoRequestExtensionNotified, new: func() Payload { return new(InfoExtensionNotifiedData) }, from: []Status{IrValidated, IrTimelineNotified}, to: IrExtended, roles: recorderRespondent},
		{typ: InfoRequestProvided, new: func() Payload { return new(InfoProvidedData) }, from: []Status{IrValidated, IrTimelineNotified, IrExtended}, to: IrProvided, roles: recorderRespondent},
		{typ: InfoRequestRefused, new: func() Payload { return new(InfoRefusedData) }, from: []Status{IrValidated, IrTimelineNotified, IrExtended}, to: IrRefused, roles: recorderRespondent},
		{typ: InfoRequestInformationCorrected, new: func() Payload { return new(InfoCorrectedData) }, from: []Status{IrProvided}, roles: recorderRespondent},
		{typ: InfoRequestClosed, new: func() Payload { return new(ClosedData) }, from: []Status{IrProvided, IrRefused, IrRejected}, to: IrClosed, roles: recorderRespondent},
		{typ: InfoRequestCorrected, new: func() Payload { return new(CorrectionData) }, from: irAll, roles: recorderRespondent},
	},
	decide: func(s *State, cmd Command, w World) error {
		if d, ok := cmd.Payload.(*InfoRequestReceivedData); ok {
			if cmd.Actor.Role == RoleRespondent {
				if d.AddresseePartyID != cmd.Actor.Party {
					return Errorf(EForbidden, "A respondent records requests addressed to its own party %s, not %s.", orNone(cmd.Actor.Party), d.AddresseePartyID)
				}
				if p := w.Lookup(StreamName(KindParty, cmd.Actor.Party)); p.Exists() && !UnitWithin(w, cmd.Unit, p.unit) {
					return Errorf(EForbidden, "Party %s belongs to unit %s, not %s.", cmd.Actor.Party, p.unit, cmd.Unit)
				}
			}
			return needParty(w, "data.addressee_party_id", d.AddresseePartyID)
		}
		return decideCorrection(s, cmd)
	},
	evolve: func(s *State, t Type, p Payload) {
		if d, ok := p.(*InfoRequestReceivedData); ok {
			s.parties = idList(d.AddresseePartyID)
		}
	},
}
