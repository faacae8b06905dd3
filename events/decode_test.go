package events_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mttq-vn/ledger/events"
)

// TestDecode checks that DecodePayload refuses malformed and invalid data
// with the right code and names the field at fault.
func TestDecode(t *testing.T) {
	const secret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, c := range []struct {
		name  string
		typ   events.Type
		data  string
		code  string
		field string
	}{
		// Types and envelopes of data.
		{"ErrInvalid: unknown type", "recommendation.shredded.v1", `{}`, events.EInvalid, "type"},
		{"ErrInvalid: no data", events.RecommendationReceived, ``, events.EInvalid, "data"},
		{"ErrInvalid: only white space", events.RecommendationReceived, "  \n", events.EInvalid, "data"},
		{"ErrInvalid: malformed JSON", events.RecommendationReceived, `{"received_on":"2024-06-24",}`, events.EInvalid, "data"},
		{"ErrInvalid: JSON that ends too early", events.RecommendationReceived, `{"received_on":"2024-06-24"`, events.EInvalid, "data"},
		{"ErrInvalid: an array instead of an object", events.RecommendationReceived, `[]`, events.EInvalid, "data"},
		{"ErrInvalid: a string instead of an object", events.RecommendationReceived, `"2024-06-24"`, events.EInvalid, "data"},
		{"ErrInvalid: null data has no required fields", events.RecommendationReceived, `null`, events.EInvalid, "data.received_on"},

		// Strictness.
		{"ErrInvalid: unknown field", events.RecommendationReceived, `{"received_on":"2024-06-24","receivd_by":"Văn phòng"}`, events.EInvalid, "data.receivd_by"},
		{"ErrInvalid: unknown field in a nested object", events.PetitionReceived,
			`{"channel":"MAIL","received_on":"2024-05-16","anonymous":false,"petitioner":{"name":"Phạm Văn Đức","nickname":"Đức"},"summary":"Đơn khiếu nại"}`, events.EInvalid, "data.petitioner.nickname"},
		{"ErrInvalid: unknown field in a list of objects", events.CritiqueDocumentIssued,
			`{"issued_on":"2024-08-21","points":[{"point_id":"p1","text":"Bổ sung phương án tái định cư."},{"point_id":"p2","text":"Làm rõ nguồn vốn.","priority":1}]}`, events.EInvalid, "data.points[1].priority"},
		{"ErrInvalid: trailing object", events.RecommendationReceived, `{"received_on":"2024-06-24"} {}`, events.EInvalid, "data"},
		{"ErrInvalid: trailing text", events.RecommendationReceived, `{"received_on":"2024-06-24"}x`, events.EInvalid, "data"},
		{"ErrInvalid: invalid UTF-8", events.RecommendationReceived, "{\"received_on\":\"2024-06-24\",\"received_by\":\"V\xe0n ph\xf2ng\"}", events.EInvalid, "data"},
		{"ErrInvalid: invalid UTF-8 in a key", events.RecommendationReceived, "{\"received_on\":\"2024-06-24\",\"\xff\":1}", events.EInvalid, "data"},

		// Wrong JSON types.
		{"ErrInvalid: a number for a date", events.RecommendationReceived, `{"received_on":20240624}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: a number for a text", events.RecommendationReceived, `{"received_on":"2024-06-24","received_by":5}`, events.EInvalid, "data.received_by"},
		{"ErrInvalid: a string for a number", events.PlanDrafted, `{"year":"2024","title":"Kế hoạch"}`, events.EInvalid, "data.year"},
		{"ErrInvalid: a fraction for a whole number", events.PlanDrafted, `{"year":2024.5,"title":"Kế hoạch"}`, events.EInvalid, "data.year"},
		{"ErrInvalid: a string for true or false", events.PetitionReceived,
			`{"channel":"MAIL","received_on":"2024-05-16","anonymous":"không","summary":"Đơn"}`, events.EInvalid, "data.anonymous"},
		{"ErrInvalid: a string for a list", events.PlanConsulted, `{"held_on":"2024-01-12","participants":"Hội Nông dân"}`, events.EInvalid, "data.participants"},
		{"ErrInvalid: a number in a nested object", events.PetitionReceived,
			`{"channel":"MAIL","received_on":"2024-05-16","anonymous":false,"petitioner":{"name":5},"summary":"Đơn"}`, events.EInvalid, "data.petitioner.name"},
		{"ErrInvalid: an object for a text", events.RecommendationReceived, `{"received_on":"2024-06-24","received_by":{"name":"x"}}`, events.EInvalid, "data.received_by"},
		{"ErrInvalid: a number for a corrected value", events.UnitCorrected, `{"corrects_version":1,"reason":"Sai.","changes":{"name":5}}`, events.EInvalid, "data.changes"},
		{"ErrInvalid: a negative version", events.UnitCorrected, `{"corrects_version":-1,"reason":"Sai.","changes":{"name":"x"}}`, events.EInvalid, "data.corrects_version"},

		// Dates must be real YYYY-MM-DD dates.
		{"ErrInvalid: 30 February", events.RecommendationReceived, `{"received_on":"2024-02-30"}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: 29 February of a common year", events.RecommendationReceived, `{"received_on":"2023-02-29"}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: a Vietnamese-style date", events.RecommendationReceived, `{"received_on":"24/06/2024"}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: a date without leading zeros", events.RecommendationReceived, `{"received_on":"2024-6-24"}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: a date with a time", events.RecommendationReceived, `{"received_on":"2024-06-24T00:00:00+07:00"}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: month 13", events.RecommendationReceived, `{"received_on":"2024-13-01"}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: a date with spaces", events.RecommendationReceived, `{"received_on":" 2024-06-24"}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: a bad optional date", events.RecommendationResponseSubmitted, `{"responded_on":"2024-07-10","outcome":"ACCEPTED","text":"Tiếp thu.","commit_due_on":"2024-09-31"}`, events.EInvalid, "data.commit_due_on"},
		{"ErrInvalid: an expiry on 29 February of a common year", events.TokenCreated,
			`{"name":"x","role":"recorder","unit":"an-nhon","secret_sha256":"` + secret + `","expires_on":"2025-02-29"}`, events.EInvalid, "data.expires_on"},
		{"ErrInvalid: a due date before the commitment", events.RecommendationImplementationCommitted,
			`{"committed_on":"2024-07-12","due_on":"2024-07-01","actions":["Niêm yết thủ tục"]}`, events.EInvalid, "data.due_on"},

		// Missing required fields.
		{"ErrInvalid: missing date", events.RecommendationReceived, `{}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: empty date", events.RecommendationReceived, `{"received_on":""}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: missing text", events.RecommendationResponseSubmitted, `{"responded_on":"2024-07-10","outcome":"ACCEPTED"}`, events.EInvalid, "data.text"},
		{"ErrInvalid: blank text", events.RecommendationResponseSubmitted, `{"responded_on":"2024-07-10","outcome":"ACCEPTED","text":" \t "}`, events.EInvalid, "data.text"},
		{"ErrInvalid: missing subjects", events.SupervisionPlanned,
			`{"title":"Giám sát","topic":"Đất đai","form":"DELEGATION","mode":"UNSCHEDULED","scope":"THEMATIC","planned_start":"2024-05-06"}`, events.EInvalid, "data.subject_party_ids"},
		{"ErrInvalid: an empty entry in a list", events.PlanConsulted, `{"held_on":"2024-01-12","participants":["Hội Nông dân",""]}`, events.EInvalid, "data.participants[1]"},
		{"ErrInvalid: a party ID listed twice", events.SupervisionNotified, `{"notified_on":"2024-04-23","notified_party_ids":["ubnd-an-nhon","ubnd-an-nhon"]}`, events.EInvalid, "data.notified_party_ids[1]"},
		{"ErrInvalid: an ID with spaces", events.RecommendationEscalated,
			`{"escalated_on":"2024-08-01","channel":"HIGHER_VFF","to_party_id":"ubnd an nhon","reason":"x"}`, events.EInvalid, "data.to_party_id"},
		{"ErrInvalid: a petition that is not anonymous names no petitioner", events.PetitionReceived,
			`{"channel":"MAIL","received_on":"2024-05-16","anonymous":false,"summary":"Đơn"}`, events.EInvalid, "data.petitioner"},
		{"ErrInvalid: a petitioner without a name", events.PetitionReceived,
			`{"channel":"MAIL","received_on":"2024-05-16","anonymous":false,"petitioner":{"phone":"0912345678"},"summary":"Đơn"}`, events.EInvalid, "data.petitioner.name"},
		{"ErrInvalid: an information request without its requester's name", events.InfoRequestReceived,
			`{"channel":"ELECTRONIC","received_on":"2024-09-03","requester":{},"addressee_party_id":"ubnd-binh-dinh-ward","description":"Quy hoạch"}`, events.EInvalid, "data.requester.name"},
		{"ErrInvalid: a critique document without points", events.CritiqueDocumentIssued, `{"issued_on":"2024-08-21","points":[]}`, events.EInvalid, "data.points"},
		{"ErrInvalid: a critique point without text", events.CritiqueDocumentIssued, `{"issued_on":"2024-08-21","points":[{"point_id":"p1","text":""}]}`, events.EInvalid, "data.points[0].text"},
		{"ErrInvalid: a critique point listed twice", events.CritiqueDocumentIssued,
			`{"issued_on":"2024-08-21","points":[{"point_id":"p1","text":"a"},{"point_id":"p1","text":"b"}]}`, events.EInvalid, "data.points[1].point_id"},
		{"ErrInvalid: a drafter answer that accepts and explains nothing", events.CritiqueDrafterResponded, `{"responded_on":"2024-08-26","text":"Đã nhận."}`, events.EInvalid, "data.accepted"},
		{"ErrInvalid: a point both accepted and explained", events.CritiqueDrafterResponded,
			`{"responded_on":"2024-08-26","accepted":["p1"],"explained":[{"point_id":"p1","explanation":"x"}]}`, events.EInvalid, "data.explained[0].point_id"},
		{"ErrInvalid: a correction without changes", events.PlanCorrected, `{"corrects_version":1,"reason":"Sai.","changes":{}}`, events.EInvalid, "data.changes"},
		{"ErrInvalid: a correction of version 0", events.PlanCorrected, `{"corrects_version":0,"reason":"Sai.","changes":{"title":"x"}}`, events.EInvalid, "data.corrects_version"},
		{"ErrInvalid: a correction of a field name with spaces", events.PlanCorrected, `{"corrects_version":1,"reason":"Sai.","changes":{"tiêu đề":"x"}}`, events.EInvalid, "data.changes"},

		// Rules of the response (domain.md §2.4).
		{"ErrInvalid: EXPLAINED_NOT_ACCEPTED without an explanation", events.RecommendationResponseSubmitted,
			`{"responded_on":"2024-07-10","outcome":"EXPLAINED_NOT_ACCEPTED","text":"Không tiếp thu."}`, events.EInvalid, "data.explanation"},
		{"ErrInvalid: EXPLAINED_NOT_ACCEPTED with a blank explanation", events.RecommendationResponseSubmitted,
			`{"responded_on":"2024-07-10","outcome":"EXPLAINED_NOT_ACCEPTED","text":"Không tiếp thu.","explanation":"   "}`, events.EInvalid, "data.explanation"},
		{"ErrInvalid: PARTIALLY_ACCEPTED without an explanation", events.RecommendationResponseSubmitted,
			`{"responded_on":"2024-07-10","outcome":"PARTIALLY_ACCEPTED","text":"Tiếp thu một phần."}`, events.EInvalid, "data.explanation"},
		{"ErrInvalid: a contribution answer EXPLAINED_NOT_ACCEPTED with a blank explanation", events.ContributionResponded,
			`{"responded_on":"2024-11-05","outcome":"EXPLAINED_NOT_ACCEPTED","text":"Không tiếp thu.","explanation":" "}`, events.EInvalid, "data.explanation"},
		{"ErrInvalid: REDIRECTED without the competent party", events.RecommendationResponseSubmitted,
			`{"responded_on":"2024-07-10","outcome":"REDIRECTED","text":"Không thuộc thẩm quyền."}`, events.EInvalid, "data.redirected_to_party_id"},
		{"ErrInvalid: another party on an ACCEPTED answer", events.RecommendationResponseSubmitted,
			`{"responded_on":"2024-07-10","outcome":"ACCEPTED","text":"Tiếp thu.","redirected_to_party_id":"ubnd-an-nhon"}`, events.EInvalid, "data.redirected_to_party_id"},

		// Enumerations.
		{"ErrInvalid: outcome out of range", events.RecommendationResponseSubmitted, `{"responded_on":"2024-07-10","outcome":"OK","text":"Tiếp thu."}`, events.EInvalid, "data.outcome"},
		{"ErrInvalid: outcome in lower case", events.RecommendationResponseSubmitted, `{"responded_on":"2024-07-10","outcome":"accepted","text":"Tiếp thu."}`, events.EInvalid, "data.outcome"},
		{"ErrInvalid: a contribution cannot be REDIRECTED", events.ContributionResponded, `{"responded_on":"2024-11-05","outcome":"REDIRECTED","text":"x"}`, events.EInvalid, "data.outcome"},
		{"ErrInvalid: unit level WARD", events.UnitRegistered, `{"name":"Bình Định","level":"WARD","valid_from":"2011-06-01"}`, events.EInvalid, "data.level"},
		{"ErrInvalid: missing unit level", events.UnitRegistered, `{"name":"Bình Định","valid_from":"2011-06-01"}`, events.EInvalid, "data.level"},
		{"ErrInvalid: party kind out of range", events.PartyRegistered, `{"name":"UBND phường Bình Định","party_kind":"COMMITTEE"}`, events.EInvalid, "data.party_kind"},
		{"ErrInvalid: supervision form out of range", events.SupervisionPlanned,
			`{"title":"Giám sát","topic":"Đất đai","form":"INSPECTION","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-an-nhon"],"planned_start":"2024-05-06"}`, events.EInvalid, "data.form"},
		{"ErrInvalid: a plan item whose form does not fit its activity", events.PlanItemAdded,
			`{"item_id":"gs-1","activity":"SUPERVISION","topic":"Đất đai","form":"CONFERENCE","quarter":2,"chair_org":"MTTQ"}`, events.EInvalid, "data.form"},
		{"ErrInvalid: quarter 5", events.PlanItemAdded,
			`{"item_id":"gs-1","activity":"SUPERVISION","topic":"Đất đai","form":"DELEGATION","quarter":5,"chair_org":"MTTQ"}`, events.EInvalid, "data.quarter"},
		{"ErrInvalid: petition kind out of range", events.PetitionClassified, `{"classified_on":"2024-05-17","petition_kind":"KHIEU_NAI","complex":false,"remote":false}`, events.EInvalid, "data.petition_kind"},
		{"ErrInvalid: channel out of range", events.InfoRequestReceived,
			`{"channel":"PHONE","received_on":"2024-09-03","requester":{"name":"Lê Thị Hoa"},"addressee_party_id":"ubnd-binh-dinh-ward","description":"Quy hoạch"}`, events.EInvalid, "data.channel"},
		{"ErrInvalid: a verification finding NO_LONGER_APPLICABLE", events.RecommendationImplementationVerified, `{"verified_on":"2024-10-08","finding":"NO_LONGER_APPLICABLE"}`, events.EInvalid, "data.finding"},
		{"ErrInvalid: a half-year H3", events.UnitPeriodicHearingHeld, `{"body":"PEOPLES_COUNCIL","period":"2024-H3","held_on":"2024-12-20"}`, events.EInvalid, "data.period"},
		{"ErrInvalid: a quarter for a half-year", events.UnitPeriodicHearingHeld, `{"body":"PEOPLES_COUNCIL","period":"2024-Q2","held_on":"2024-12-20"}`, events.EInvalid, "data.period"},
		{"ErrInvalid: a token role out of range", events.TokenCreated, `{"name":"x","role":"system","secret_sha256":"` + secret + `"}`, events.EInvalid, "data.role"},
		{"ErrInvalid: a token secret in upper-case hex", events.TokenCreated, `{"name":"x","role":"admin","secret_sha256":"` + strings.ToUpper(secret) + `"}`, events.EInvalid, "data.secret_sha256"},
		{"ErrInvalid: a recorder token without a unit", events.TokenCreated, `{"name":"x","role":"recorder","secret_sha256":"` + secret + `"}`, events.EInvalid, "data.unit"},
		{"ErrInvalid: a joint supervision without the inviting body", events.SupervisionPlanned,
			`{"title":"Giám sát","topic":"Đất đai","form":"JOINT_WITH_AUTHORITY","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-an-nhon"],"planned_start":"2024-05-06"}`, events.EInvalid, "data.joint_with_party_id"},
		{"ErrInvalid: a PLANNED supervision without its plan", events.SupervisionPlanned,
			`{"title":"Giám sát","topic":"Đất đai","form":"DELEGATION","mode":"PLANNED","scope":"THEMATIC","subject_party_ids":["ubnd-an-nhon"],"planned_start":"2024-05-06"}`, events.EInvalid, "data.plan_id"},
		{"ErrInvalid: a supervision that ends before it starts", events.SupervisionPlanned,
			`{"title":"Giám sát","topic":"Đất đai","form":"DELEGATION","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-an-nhon"],"planned_start":"2024-05-06","planned_end":"2024-05-01"}`, events.EInvalid, "data.planned_end"},

		// Limits of the law.
		{"ErrInvalid: an information-request extension of 16 days", events.InfoRequestExtensionNotified,
			`{"notified_on":"2024-09-23","extended_days":16,"reason":"Cần trích lục bản đồ."}`, events.EInvalid, "data.extended_days"},
		{"ErrInvalid: an information-request extension of 0 days", events.InfoRequestExtensionNotified,
			`{"notified_on":"2024-09-23","extended_days":0,"reason":"Cần trích lục bản đồ."}`, events.EInvalid, "data.extended_days"},
		{"ErrInvalid: a withdrawal without its date", events.PetitionWithdrawn, `{"reason":"Rút đơn."}`, events.EInvalid, "data.withdrawn_on"},
		{"ErrInvalid: a withdrawal without its reason", events.PetitionWithdrawn, `{"withdrawn_on":"2024-06-03"}`, events.EInvalid, "data.reason"},
		{"ErrInvalid: a petition extension of 91 days", events.PetitionExtended, `{"extended_on":"2024-06-25","days":91,"reason":"Vụ việc phức tạp."}`, events.EInvalid, "data.days"},
		{"ErrInvalid: a petition extension's complexity that is none", events.PetitionExtended,
			`{"extended_on":"2024-06-25","days":10,"case_complexity":"SIMPLE","reason":"Vụ việc phức tạp."}`, events.EInvalid, "data.case_complexity"},
		{"ErrInvalid: a forwarded petition's receipt without its date", events.PetitionForwardReceived, `{"received_on":"24/05/2024"}`, events.EInvalid, "data.received_on"},
		{"ErrInvalid: a second instance's acceptance without its date", events.PetitionSecondInstanceAccepted, `{}`, events.EInvalid, "data.accepted_on"},
		{"ErrInvalid: a second instance's refusal without reasons", events.PetitionSecondInstanceNotAccepted, `{"decided_on":"2024-08-02","reason":" "}`, events.EInvalid, "data.reason"},
		{"ErrInvalid: an adverse action that is none", events.PetitionAdverseAction,
			`{"adverse_action":{"action_on":"2024-07-15","by_party_id":"ubnd-binh-dinh-ward","action":"WARNING","description":"Bị nhắc nhở."}}`, events.EInvalid, "data.adverse_action.action"},
		{"ErrInvalid: an adverse action without description", events.SupervisionAdverseAction,
			`{"adverse_action":{"action_on":"2024-07-15","by_party_id":"ubnd-binh-dinh-ward","action":"FINE","member":"Lê Quang Hưng"}}`, events.EInvalid, "data.adverse_action.description"},
		{"ErrInvalid: an allegation that is none", events.PartyAllegation,
			`{"allegation":{"received_on":"2024-09-12","member":"Đặng Văn Tư","kind":"RUMOUR","description":"Phản ánh."}}`, events.EInvalid, "data.allegation.kind"},
		{"ErrInvalid: a relation that is none", events.SupervisionInterestDeclared,
			`{"declared_on":"2024-04-24","member":"Lê Quang Hưng","party_id":"ubnd-binh-dinh-ward","relation":"FRIEND","recused":false}`, events.EInvalid, "data.relation"},
		{"ErrInvalid: a member named by a title alone", events.SupervisionInterestDeclared,
			`{"declared_on":"2024-04-24","member":", Hội Nông dân","party_id":"ubnd-binh-dinh-ward","relation":"KIN","recused":false}`, events.EInvalid, "data.member"},
		{"ErrInvalid: an adverse action against a member named by a title alone", events.SupervisionAdverseAction,
			`{"adverse_action":{"action_on":"2024-07-15","by_party_id":"ubnd-binh-dinh-ward","action":"FINE","member":" , Hội Nông dân","description":"Bị xử phạt."}}`, events.EInvalid, "data.adverse_action.member"},
		{"ErrInvalid: a relation declared by no one", events.SupervisionInterestDeclared,
			`{"declared_on":"2024-04-24","member":" ","party_id":"ubnd-binh-dinh-ward","relation":"KIN","recused":false}`, events.EInvalid, "data.member"},
		{"ErrInvalid: a denunciation's conclusion that is none", events.PetitionResolved,
			`{"resolved_on":"2024-06-20","outcome":"Đã giải quyết.","conclusion":"FALSE"}`, events.EInvalid, "data.conclusion"},
		{"ErrInvalid: a response period over a year", events.RecommendationIssued,
			`{"source_kind":"OTHER","addressee_party_id":"ubnd-an-nhon","title":"Kiến nghị","content":"Nội dung","issued_on":"2024-06-20","response_days":400}`, events.EInvalid, "data.response_days"},
		{"ErrInvalid: a critique conference without participants", events.CritiqueConferenceHeld, `{"held_on":"2024-08-14","chair":"Chủ tịch","participants":0}`, events.EInvalid, "data.participants"},
		{"ErrInvalid: a negative number of citizens", events.UnitReceptionSessionHeld, `{"host":"CHAIR","held_on":"2024-05-16","citizens_count":-1}`, events.EInvalid, "data.citizens_count"},

		// Sizes.
		{"ErrInvalid: a name over 1,000 characters", events.PartyRenamed, `{"name":"` + strings.Repeat("Ủ", 1001) + `","effective_on":"2024-01-01"}`, events.EInvalid, "data.name"},
		{"ErrInvalid: a text over 20,000 characters", events.RecommendationResponseSubmitted,
			`{"responded_on":"2024-07-10","outcome":"ACCEPTED","text":"` + strings.Repeat("ầ", events.MaxTextRunes+1) + `"}`, events.EInvalid, "data.text"},
		{"ErrTooLarge: data over 64 KiB", events.RecommendationResponseSubmitted,
			`{"responded_on":"2024-07-10","outcome":"ACCEPTED","text":"` + strings.Repeat("a", events.MaxPayloadBytes) + `"}`, events.ETooLarge, "data"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := events.DecodePayload(c.typ, []byte(c.data))
			if err == nil {
				t.Fatalf("DecodePayload(%s) = %#v, want an error", c.typ, p)
			}
			if p != nil {
				t.Errorf("DecodePayload(%s) returned a payload with its error: %#v", c.typ, p)
			}
			if got := events.ErrorCode(err); got != c.code {
				t.Errorf("DecodePayload(%s): code %q (%v), want %q", c.typ, got, err, c.code)
			}
			if got := events.ErrorField(err); got != c.field {
				t.Errorf("DecodePayload(%s): field %q (%v), want %q", c.typ, got, err, c.field)
			}
			if msg := events.ErrorMessage(err); msg == "" || msg == "Internal error." {
				t.Errorf("DecodePayload(%s): message %q, want a description of the problem", c.typ, msg)
			}
		})
	}
}

// TestDecodeAccepts checks data at the edges of what DecodePayload accepts.
func TestDecodeAccepts(t *testing.T) {
	for _, c := range []struct {
		name string
		typ  events.Type
		data string
	}{
		{"29 February of a leap year", events.RecommendationReceived, `{"received_on":"2024-02-29"}`},
		{"null for an optional field", events.RecommendationReceived, `{"received_on":"2024-06-24","received_by":null}`},
		{"white space around the object", events.RecommendationReceived, " \n{\"received_on\":\"2024-06-24\"}\n "},
		{"an extension of exactly 15 days", events.InfoRequestExtensionNotified, `{"notified_on":"2024-09-23","extended_days":15,"reason":"Cần trích lục bản đồ."}`},
		{"a text of exactly 20,000 characters", events.RecommendationResponseSubmitted,
			`{"responded_on":"2024-07-10","outcome":"ACCEPTED","text":"` + strings.Repeat("ầ", events.MaxTextRunes) + `"}`},
		// Recorded before the write side asked for the case's complexity
		// and held extensions to 30 days: the log still reads.
		{"a petition extension of 90 days without its complexity", events.PetitionExtended, `{"extended_on":"2024-06-25","days":90,"reason":"Vụ việc phức tạp."}`},
		{"an anonymous petition", events.PetitionReceived, `{"channel":"MAIL","received_on":"2024-05-16","anonymous":true,"summary":"Tố cáo nặc danh"}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := events.DecodePayload(c.typ, []byte(c.data)); err != nil {
				t.Errorf("DecodePayload(%s) = %v, want nil", c.typ, err)
			}
		})
	}
}

// TestDecodeNormalisesNFC checks that text is stored in Unicode NFC, however
// it was typed: decomposed characters (as some keyboards and PDF copies
// produce) and \u escapes alike.
func TestDecodeNormalisesNFC(t *testing.T) {
	// "Ủy ban MTTQ Việt Nam phường Bình Định", composed: Ủ is U+1EE6, ệ is
	// U+1EC7, ư is U+01B0, ờ is U+1EDD, ị is U+1ECB.
	const want = "\u1ee6y ban MTTQ Vi\u1ec7t Nam ph\u01b0\u1eddng B\u00ecnh \u0110\u1ecbnh"
	for _, c := range []struct {
		name string
		text string // as it appears inside the JSON string
	}{
		{"already composed", want},
		{"decomposed", "U\u0309y ban MTTQ Vie\u0323\u0302t Nam phu\u031bo\u031b\u0300ng Bi\u0300nh \u0110i\u0323nh"},
		{"decomposed with marks in another order", "U\u0309y ban MTTQ Vie\u0302\u0323t Nam phu\u031bo\u0300\u031bng Bi\u0300nh \u0110i\u0323nh"},
		{"decomposed via \\u escapes", `U\u0309y ban MTTQ Vie\u0323\u0302t Nam phu\u031bo\u031b\u0300ng Bi\u0300nh \u0110i\u0323nh`},
		{"composed via \\u escapes", `\u1ee6y ban MTTQ Vi\u1ec7t Nam ph\u01b0\u1eddng B\u00ecnh \u0110\u1ecbnh`},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := events.DecodePayload(events.PartyRegistered, []byte(`{"name":"`+c.text+`","party_kind":"VFF_COMMITTEE","note":"`+c.text+`"}`))
			if err != nil {
				t.Fatalf("DecodePayload: %v", err)
			}
			got, ok := p.(*events.PartyRegisteredData)
			if !ok {
				t.Fatalf("DecodePayload returned %T, want *events.PartyRegisteredData", p)
			}
			if diff := cmp.Diff(want, got.Name); diff != "" {
				t.Errorf("name (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, got.Note); diff != "" {
				t.Errorf("note (-want +got):\n%s", diff)
			}
			stored, err := events.MarshalPayload(p)
			if err != nil {
				t.Fatal(err)
			}
			if wantStored := `{"name":"` + want + `","party_kind":"VFF_COMMITTEE","note":"` + want + `"}`; string(stored) != wantStored {
				t.Errorf("MarshalPayload = %s, want %s", stored, wantStored)
			}
		})
	}

	// Keys of a correction's changes are text too, and lists of text.
	p, err := events.DecodePayload(events.PlanCorrected, []byte(`{"corrects_version":1,"reason":"Sai t\u00ean.","changes":{"chair_org":"U\u0309y ban MTTQ"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.(*events.CorrectionData).Changes["chair_org"], "\u1ee6y ban MTTQ"; got != want {
		t.Errorf("changes[chair_org] = %q, want %q", got, want)
	}
	p, err = events.DecodePayload(events.PlanConsulted, []byte(`{"held_on":"2024-01-12","participants":["Ho\u0323\u0302i Nông dân"]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.(*events.PlanConsultedData).Participants, []string{"H\u1ed9i N\u00f4ng d\u00e2n"}; !cmp.Equal(got, want) {
		t.Errorf("participants = %q, want %q", got, want)
	}
}

// TestDecodeCanonical checks that the stored form of a payload decodes to
// the same stored form, so a replayed event re-marshals byte for byte.
func TestDecodeCanonical(t *testing.T) {
	for _, typ := range events.Types() {
		t.Run(string(typ), func(t *testing.T) {
			p := mustPayload(t, typ, example(t, typ))
			first, err := events.MarshalPayload(p)
			if err != nil {
				t.Fatal(err)
			}
			q, err := events.DecodePayload(typ, first)
			if err != nil {
				t.Fatalf("DecodePayload(stored form): %v", err)
			}
			if diff := cmp.Diff(p, q); diff != "" {
				t.Errorf("decoding the stored form changed the payload (-first +second):\n%s", diff)
			}
			second, err := events.MarshalPayload(q)
			if err != nil {
				t.Fatal(err)
			}
			if string(first) != string(second) {
				t.Errorf("stored form is not stable:\nfirst:  %s\nsecond: %s", first, second)
			}
		})
	}
}

func TestCheckSurrogates(t *testing.T) {
	for _, c := range []struct {
		doc, want string
	}{
		{`{"title":"Kiến nghị"}`, ""},
		{`{"title":"\u004bi\u1ebfn \ud83d\ude00"}`, ""}, // a pair is one character
		{`{"title":"Ki\ud800n"}`, "data.title"},
		{`{"title":"\udc00"}`, "data.title"},       // the second half alone
		{`{"title":"\ud83d\u0041"}`, "data.title"}, // the first half, then no second
		{`{"title":"\\ud800"}`, ""},                // an escaped backslash: text, not an escape
		{`{"a":{"b":["x","\ud800"]}}`, "data.a.b[1]"},
		{`{"a":[1,[2,{"k/~":"\ud800"}]]}`, "data.a[1][1].k/~"}, // names as sent, not as pointer tokens
		{`{"title":"A","title":"\ud800"}`, "data.title"},       // duplicates are another check's
	} {
		err := events.CheckSurrogates([]byte(c.doc), "data")
		var e *events.Error
		switch {
		case c.want == "" && err != nil:
			t.Errorf("CheckSurrogates(%s) = %v, want nil", c.doc, err)
		case c.want != "" && (!errors.As(err, &e) || e.Code != events.EInvalid || e.Field != c.want):
			t.Errorf("CheckSurrogates(%s) = %#v, want field %q", c.doc, err, c.want)
		}
	}
}

func TestDuplicateKey(t *testing.T) {
	for _, c := range []struct {
		doc, want string
	}{
		{`{"a":1,"b":2}`, ""},
		{`{"a":1,"a":2}`, "a"},
		{`{"title":"A","TITLE":"B"}`, "TITLE"}, // one field to encoding/json
		{`{"type":"x","data":{"title":"A","content":"B","title":"C"}}`, "data.title"},
		{`{"data":{"items":[{"name":"x"},{"name":"y","name":"z"}]}}`, "data.items[1].name"},
		{`{"a":{"b":1},"c":{"b":2},"d":[{"b":3},{"b":4}]}`, ""},
		{`{"a":[1,[2,{"k":1,"k":2}]]}`, "a[1][1].k"},
		{`{"a":{},"b":[],"c":{"d":{}},"a":0}`, "a"},
		{`[{"x":1},{"x":1}]`, ""},
		{`"just a string"`, ""},
		{`{"a":1,`, ""}, // not JSON: no duplicate named
	} {
		got, ok := events.DuplicateKey([]byte(c.doc))
		if got != c.want || ok != (c.want != "") {
			t.Errorf("DuplicateKey(%s) = %q %v, want %q", c.doc, got, ok, c.want)
		}
	}
}
