package events

import "strings"

// The order of a record's legal dates. A step of a lifecycle answers,
// follows up or decides on an earlier one, and its legal date cannot
// precede that step's: an answer is not dated before the receipt of what
// it answers, a resolution before the acceptance, an implementation before
// the commitment. Deadlines run from those dates (domain.md §2: the
// receipt, the acceptance, not when an event was recorded), so a step
// dated before the one it follows read as met on time before its period
// began (helper-55). Recording a step late is fine (its date is what the
// paper says, earlier than the event), and so is what the flags are for:
// a working session before the supervision's decision (MU_NO_DECISION), a
// draft adopted before the drafter answered (OB_DRAFT_BYPASS) are
// recorded as they happened.

// maxAnchors is how many dates a record keeps for the order of its steps.
const maxAnchors = 6

// anchor names one of the dates a kind keeps (State.days), by its index.
type anchor int8

// The dates each kind keeps.
const (
	recIssued, recReceived, recResponded, recCommitted, recEvidence, recVerified anchor = 0, 1, 2, 3, 4, 5
	petReceived, petForwarded, petAccepted, petResolved, petFiled, petRefused    anchor = 0, 1, 2, 3, 4, 5
	infoReceived, infoProvided                                                   anchor = 0, 1
	criIssued                                                                    anchor = 0
	supOutline, supHeld, supSubmitted                                            anchor = 0, 1, 2
)

// anchorFields names the fields the dates come from, by kind and index,
// for the errors.
var anchorFields = map[Kind][maxAnchors]string{
	KindRecommendation: {"issued_on", "received_on", "responded_on", "committed_on", "the evidence's submitted_on", "verified_on"},
	KindPetition:       {"received_on", "forwarded_on", "accepted_on", "resolved_on", "the second instance's filed_on", "the refusal's decided_on"},
	KindInfoRequest:    {"received_on", "provided_on"},
	KindCritique:       {"the critique document's issued_on"},
	KindSupervision:    {"the report outline's sent_on", "the last working session's held_on", "the result report's submitted_on"},
}

// dateStep is what an event type's legal date is to the order: the
// payload's date field, the kept dates it may not precede, and the one it
// sets (-1: none). A step that happens again (a second answer, the second
// instance's acceptance) sets its date anew, or with latest keeps the
// latest of them (working sessions, which may be recorded in any order).
type dateStep struct {
	field  string
	date   func(Payload) Date
	after  []anchor
	sets   anchor
	latest bool
}

var dateSteps = map[Type]dateStep{
	RecommendationIssued: {"issued_on", func(p Payload) Date { return p.(*RecommendationIssuedData).IssuedOn }, nil, recIssued, false},
	RecommendationReceived: {"received_on", func(p Payload) Date { return p.(*RecommendationReceivedData).ReceivedOn },
		[]anchor{recIssued}, recReceived, false},
	RecommendationResponseSubmitted: {"responded_on", func(p Payload) Date { return p.(*ResponseSubmittedData).RespondedOn },
		[]anchor{recIssued, recReceived}, recResponded, false},
	RecommendationImplementationCommitted: {"committed_on", func(p Payload) Date { return p.(*ImplementationCommittedData).CommittedOn },
		[]anchor{recResponded}, recCommitted, false},
	RecommendationAcknowledged: {"acknowledged_on", func(p Payload) Date { return p.(*AcknowledgedData).AcknowledgedOn },
		[]anchor{recReceived}, -1, false},
	// Evidence again after a verification found it not implemented: not
	// before that verification.
	RecommendationImplementationEvidenceAdded: {"submitted_on", func(p Payload) Date { return p.(*ImplementationEvidenceData).SubmittedOn },
		[]anchor{recCommitted, recVerified}, recEvidence, false},
	RecommendationImplementationVerified: {"verified_on", func(p Payload) Date { return p.(*ImplementationVerifiedData).VerifiedOn },
		[]anchor{recEvidence}, recVerified, false},

	PetitionReceived: {"received_on", func(p Payload) Date { return p.(*PetitionReceivedData).ReceivedOn }, nil, petReceived, false},
	// Forwarded again to another body once one did not accept it: not
	// before that refusal.
	PetitionForwarded: {"forwarded_on", func(p Payload) Date { return p.(*PetitionForwardedData).ForwardedOn },
		[]anchor{petReceived, petRefused}, petForwarded, false},
	PetitionForwardReceived: {"received_on", func(p Payload) Date { return p.(*PetitionForwardReceivedData).ReceivedOn },
		[]anchor{petForwarded}, -1, false},
	// A body's acceptance or refusal is not held to MTTQ's dates: the
	// citizen may have filed with the body directly before MTTQ forwarded
	// its copy (helper-56), and the body decides on that filing.
	PetitionAccepted: {"accepted_on", func(p Payload) Date { return p.(*PetitionAcceptedData).AcceptedOn },
		nil, petAccepted, false},
	PetitionNotAccepted: {"decided_on", func(p Payload) Date { return p.(*PetitionNotAcceptedData).DecidedOn },
		nil, petRefused, false},
	PetitionExtended: {"extended_on", func(p Payload) Date { return p.(*PetitionExtendedData).ExtendedOn },
		[]anchor{petAccepted}, -1, false},
	PetitionResolved: {"resolved_on", func(p Payload) Date { return p.(*PetitionResolvedData).ResolvedOn },
		[]anchor{petAccepted}, petResolved, false},
	PetitionResultNotified: {"notified_on", func(p Payload) Date { return p.(*PetitionResultNotifiedData).NotifiedOn },
		[]anchor{petResolved}, -1, false},
	PetitionSecondInstanceFiled: {"filed_on", func(p Payload) Date { return p.(*SecondInstanceFiledData).FiledOn },
		[]anchor{petResolved}, petFiled, false},
	PetitionSecondInstanceAccepted: {"accepted_on", func(p Payload) Date { return p.(*SecondInstanceAcceptedData).AcceptedOn },
		[]anchor{petFiled}, petAccepted, false},
	PetitionSecondInstanceNotAccepted: {"decided_on", func(p Payload) Date { return p.(*SecondInstanceNotAcceptedData).DecidedOn },
		[]anchor{petFiled}, -1, false},

	InfoRequestReceived: {"received_on", func(p Payload) Date { return p.(*InfoRequestReceivedData).ReceivedOn }, nil, infoReceived, false},
	InfoRequestValidated: {"validated_on", func(p Payload) Date { return p.(*InfoValidatedData).ValidatedOn },
		[]anchor{infoReceived}, -1, false},
	InfoRequestRejected: {"rejected_on", func(p Payload) Date { return p.(*InfoRejectedData).RejectedOn },
		[]anchor{infoReceived}, -1, false},
	InfoRequestTimelineNotified: {"notified_on", func(p Payload) Date { return p.(*InfoTimelineNotifiedData).NotifiedOn },
		[]anchor{infoReceived}, -1, false},
	InfoRequestExtensionNotified: {"notified_on", func(p Payload) Date { return p.(*InfoExtensionNotifiedData).NotifiedOn },
		[]anchor{infoReceived}, -1, false},
	InfoRequestProvided: {"provided_on", func(p Payload) Date { return p.(*InfoProvidedData).ProvidedOn },
		[]anchor{infoReceived}, infoProvided, false},
	InfoRequestInformationCorrected: {"corrected_on", func(p Payload) Date { return p.(*InfoCorrectedData).CorrectedOn },
		[]anchor{infoProvided}, -1, false},
	InfoRequestRefused: {"refused_on", func(p Payload) Date { return p.(*InfoRefusedData).RefusedOn },
		[]anchor{infoReceived}, -1, false},

	SupervisionReportOutlineSent: {"sent_on", func(p Payload) Date { return p.(*ReportOutlineSentData).SentOn }, nil, supOutline, false},
	SupervisionSubjectReportReceived: {"received_on", func(p Payload) Date { return p.(*SubjectReportReceivedData).ReceivedOn },
		[]anchor{supOutline}, -1, false},
	SupervisionSessionHeld: {"held_on", func(p Payload) Date { return p.(*SessionHeldData).HeldOn }, nil, supHeld, true},
	SupervisionResultReportSubmitted: {"submitted_on", func(p Payload) Date { return p.(*ResultReportSubmittedData).SubmittedOn },
		[]anchor{supHeld}, supSubmitted, false},
	SupervisionResultReportIssued: {"issued_on", func(p Payload) Date { return p.(*ResultReportIssuedData).IssuedOn },
		[]anchor{supSubmitted}, -1, false},

	CritiqueDocumentIssued: {"issued_on", func(p Payload) Date { return p.(*CritiqueDocumentIssuedData).IssuedOn }, nil, criIssued, false},
	CritiqueDrafterResponded: {"responded_on", func(p Payload) Date { return p.(*DrafterRespondedData).RespondedOn },
		[]anchor{criIssued}, -1, false},
	CritiqueForwardedToIssuer: {"forwarded_on", func(p Payload) Date { return p.(*ForwardedToIssuerData).ForwardedOn },
		[]anchor{criIssued}, -1, false},
}

// dayOf returns d as the number YYYYMMDD (0 for none or a date not in that
// form), which orders as the dates do.
func dayOf(d Date) int32 {
	y, m, day, ok := parseYMD(string(d))
	if !ok {
		return 0
	}
	return int32(y*10000 + m*100 + day)
}

// dateOfDay is dayOf's inverse.
func dateOfDay(n int32) Date {
	return DateOfDay(int(n/10000), int(n/100%100), int(n%100))
}

// checkDateOrder refuses an event of type t whose legal date precedes a
// date the record's earlier steps set (days, as State.days keeps them).
func checkDateOrder(kind Kind, days *[maxAnchors]int32, t Type, p Payload) error {
	st, ok := dateSteps[t]
	if !ok {
		return nil
	}
	d := dayOf(st.date(p))
	if d == 0 {
		return nil
	}
	for _, a := range st.after {
		if before := days[a]; before > 0 && d < before {
			return FieldErrorf("data."+st.field, "%s %s is before %s (%s): a step is not dated before the one it follows.",
				st.field, st.date(p), anchorLabel(kind, a), dateOfDay(before))
		}
	}
	return nil
}

// notBeforeRequest refuses the answer to a supervision's document request
// (provided or refused on d) dated before the request (requested, "" if
// not kept).
func notBeforeRequest(field string, d, requested Date, id string) error {
	if requested != "" && d != "" && d < requested {
		return FieldErrorf(field, "%s %s is before the document request %s (%s): a step is not dated before the one it follows.",
			strings.TrimPrefix(field, "data."), d, id, requested)
	}
	return nil
}

// anchorLabel names a kept date in an error: "the record's received_on",
// "the evidence's submitted_on".
func anchorLabel(kind Kind, a anchor) string {
	name := anchorFields[kind][a]
	if strings.Contains(name, "'s ") {
		return name
	}
	return "the record's " + name
}

// setDateAnchor keeps the date an event of type t sets in s, if any. A
// correction of a date the record keeps makes it corrected (-1): which
// event it corrected, the state does not know, so a later step that follows
// it is checked against the stream, corrections applied (Ledger.streamDates);
// checkCorrected checks the correction itself.
func setDateAnchor(s *State, t Type, p Payload) {
	if c, ok := p.(*CorrectionData); ok {
		names := anchorFields[s.kind]
		for k := range c.Changes {
			for i, name := range names {
				if name != "" && (name == k || strings.HasSuffix(name, " "+k)) {
					s.days[i] = -1
				}
			}
		}
		return
	}
	st, ok := dateSteps[t]
	if !ok || st.sets < 0 {
		return
	}
	// The latest of dates one of which was corrected stays unknown.
	if d := dayOf(st.date(p)); d != 0 && (!st.latest || (s.days[st.sets] >= 0 && d > s.days[st.sets])) {
		s.days[st.sets] = d
	}
}

// needsStreamDates reports whether an event of type t follows a date of s
// that a correction made unknown (-1): the ledger then checks it against
// the stream (Ledger.streamDates).
func needsStreamDates(s *State, t Type) bool {
	st, ok := dateSteps[t]
	if !ok {
		return false
	}
	for _, a := range st.after {
		if s.days[a] < 0 {
			return true
		}
	}
	return false
}
