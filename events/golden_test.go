package events_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mttq-vn/ledger/events"
)

// The golden files pin the stored form of every event type: the envelope
// Envelope.Marshal writes, byte for byte. For an audit ledger that shape is
// the product, so a change to a field name, a field order, a JSON tag or an
// omitempty shows up here. Regenerate after an intended change with
//
//	go test ./events/ -run Golden -update
//
// and review the diff of testdata/golden like code.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const goldenDir = "testdata/golden"

// goldenExample is a realistic payload of one event type and, where the
// kind's default does not fit, the stream ID, actor and document of the
// envelope that carries it.
type goldenExample struct {
	data  string
	id    string
	actor events.Actor
	doc   *events.DocumentRef
}

// goldenIDs are the stream IDs of the golden envelopes, one per kind. They
// are also the IDs of the aggregates MustFixtureWorld records, so the
// creation examples name things that exist there.
var goldenIDs = map[events.Kind]string{
	events.KindUnit:           "an-nhon",
	events.KindParty:          "ubnd-binh-dinh-ward",
	events.KindToken:          "tok-mttq-an-nhon",
	events.KindPlan:           "kh-2024",
	events.KindSupervision:    "gs-2024-dat-dai",
	events.KindRecommendation: "kn-2024-15",
	events.KindCritique:       "pb-2024-do-thi",
	events.KindContribution:   "gy-2024-cai-cach",
	events.KindPetition:       "don-2024-118",
	events.KindInfoRequest:    "ttt-2024-09",
	events.KindAdmin:          "01905a3c-7e21-7b4d-8f3a-2c6d9e0b1a48",
}

// Actors of the golden envelopes.
var (
	goldenAdmin      = events.Actor{Subject: "tok-quan-tri", Role: events.RoleAdmin}
	goldenRecorder   = events.Actor{Subject: "tok-mttq-an-nhon", Role: events.RoleRecorder, Unit: "an-nhon"}
	goldenWard       = events.Actor{Subject: "tok-ubnd-binh-dinh-ward", Role: events.RoleRespondent, Party: "ubnd-binh-dinh-ward"}
	goldenTown       = events.Actor{Subject: "tok-ubnd-an-nhon", Role: events.RoleRespondent, Party: "ubnd-an-nhon"}
	goldenPrevHash   = events.HashOf([]byte("the previous event of the stream")).String()
	goldenOccurredAt = time.Date(2024, 6, 24, 0, 0, 0, 0, time.FixedZone("ICT", 7*60*60))
	goldenRecordedAt = time.Date(2024, 6, 24, 2, 15, 30, 123456000, time.UTC)
)

func docRef(number string, signed events.Date) *events.DocumentRef {
	return &events.DocumentRef{Number: number, SignedOn: signed}
}

// goldenExamples holds one example payload for every event type.
// TestGoldenExamples fails if a type has none, so a new type cannot ship
// without a golden file.
var goldenExamples = map[events.Type]goldenExample{
	// Units.
	events.UnitRegistered: {id: "an-nhon-ward", data: `{"name":"An Nhơn","level":"COMMUNE","designation":"phường","parent_id":"gia-lai","valid_from":"2025-07-01",
		"predecessor_ids":["binh-dinh-ward","nhon-hung"],"basis":"Nghị quyết của Ủy ban Thường vụ Quốc hội về sắp xếp các đơn vị hành chính cấp xã của tỉnh Gia Lai năm 2025"}`},
	events.UnitRenamed:    {data: `{"name":"An Nhơn","effective_on":"2011-06-01","basis":"Nghị quyết của Chính phủ thành lập thị xã An Nhơn thuộc tỉnh Bình Định"}`},
	events.UnitReparented: {id: "an-nhon-ward", data: `{"parent_id":"gia-lai","effective_on":"2025-07-01","basis":"Nghị quyết 202/2025/QH15 về việc sắp xếp đơn vị hành chính cấp tỉnh"}`},
	events.UnitSuperseded: {data: `{"successor_ids":["an-nhon-ward"],"effective_on":"2025-07-01","basis":"Luật Tổ chức chính quyền địa phương 72/2025/QH15: kết thúc hoạt động của đơn vị hành chính cấp huyện"}`},
	events.UnitPeriodicHearingHeld: {doc: docRef("58/BC-MTTQ", "2024-07-05"), data: `{"body":"PEOPLES_COUNCIL","period":"2024-H1","held_on":"2024-07-10","recommendation_ids":["kn-2024-15"],
		"summary":"HĐND thị xã nghe Ủy ban MTTQ Việt Nam thị xã An Nhơn báo cáo kết quả giám sát 6 tháng đầu năm 2024 và đề nghị UBND thị xã chỉ đạo giải quyết dứt điểm các kiến nghị."}`},
	events.UnitReceptionSessionHeld: {id: "binh-dinh-ward", data: `{"host":"CHAIR","host_name":"Chủ tịch UBND phường Bình Định","held_on":"2024-05-16","citizens_count":7,"petition_ids":["don-2024-118"],
		"summary":"Tiếp công dân định kỳ; tiếp nhận 3 đơn kiến nghị về cấp giấy chứng nhận quyền sử dụng đất."}`},
	events.UnitCorrected: {data: `{"corrects_version":1,"reason":"Ghi nhầm ngày thành lập thị xã.","changes":{"valid_from":"2011-06-01"}}`},

	// Parties.
	events.PartyRegistered:      {data: `{"name":"UBND phường Bình Định","party_kind":"PEOPLES_COMMITTEE","superior_id":"ubnd-an-nhon","note":"Cơ quan hành chính nhà nước cấp xã thuộc thị xã An Nhơn."}`},
	events.PartyRenamed:         {data: `{"name":"Ủy ban nhân dân phường Bình Định","effective_on":"2024-01-01"}`},
	events.PartySuperiorChanged: {data: `{"superior_id":"ubnd-an-nhon","effective_on":"2024-01-01"}`},
	events.PartyDissolved:       {data: `{"effective_on":"2025-07-01","successor_id":"ubnd-an-nhon","basis":"Sắp xếp đơn vị hành chính cấp xã năm 2025"}`},
	events.PartyCorrected:       {data: `{"corrects_version":1,"reason":"Ghi sai tên cơ quan.","changes":{"name":"UBND phường Bình Định"}}`},
	events.PartyAllegation:      {data: `{"allegation":{"received_on":"2024-09-12","member":"Đặng Văn Tư","kind":"INCITEMENT","description":"Phản ánh thành viên Ban Thanh tra nhân dân kích động người dân không chấp hành quyết định thu hồi đất."}}`},

	// Tokens.
	events.TokenCreated: {data: `{"name":"Cán bộ Ban Thường trực Ủy ban MTTQ Việt Nam thị xã An Nhơn","role":"recorder","unit":"an-nhon",
		"secret_sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","expires_on":"2025-06-30"}`},
	events.TokenRevoked: {data: `{"reason":"Cán bộ chuyển công tác sang Ủy ban MTTQ Việt Nam tỉnh."}`},

	// Administrative actions.
	events.AdminRebuildRequested: {data: `{"replica":"ledger-2","reason":"Bảng thời hạn mới (--rules) có hiệu lực từ ngày 01/7/2024."}`},

	// Reviews of derived flags.
	events.FlagReviewed:      {data: `{"code":"OB_NO_RESPONSE","verdict":"CONFIRMED","note":"UBND phường Bình Định xác nhận chưa trả lời kiến nghị trong thời hạn 20 ngày.","reviewed_on":"2024-06-10"}`},
	events.FlagCorrected:     {data: `{"corrects_version":1,"reason":"Ghi nhầm ngày xem xét.","changes":{"reviewed_on":"2024-06-11"}}`},
	events.FlagReviewRevised: {data: `{"code":"OB_NO_RESPONSE","verdict":"RESOLVED","note":"Đã nhận văn bản trả lời ngày 12/6/2024.","reviewed_on":"2024-06-14"}`},

	// The annual plan.
	events.PlanDrafted: {data: `{"year":2024,"title":"Kế hoạch giám sát và phản biện xã hội năm 2024 của Ủy ban MTTQ Việt Nam thị xã An Nhơn",
		"content":"Thực hiện Chỉ thị 25-CT/TU ngày 28/11/2022 của Ban Thường vụ Tỉnh ủy Bình Định."}`},
	events.PlanConsulted: {data: `{"held_on":"2024-01-12","participants":["Ủy ban MTTQ Việt Nam thị xã An Nhơn","Liên đoàn Lao động thị xã","Hội Liên hiệp Phụ nữ thị xã","Thị đoàn An Nhơn","Hội Nông dân thị xã","Hội Cựu chiến binh thị xã"],
		"summary":"Hiệp thương thống nhất 4 nội dung giám sát và 2 nội dung phản biện xã hội."}`},
	events.PlanAdopted: {doc: docRef("12/KH-MTTQ-BTT", "2024-01-20"), data: `{"adopted_on":"2024-01-20","summary":"Ban Thường trực ban hành kế hoạch sau hiệp thương."}`},
	events.PlanItemAdded: {data: `{"item_id":"gs-q2-dat-dai","activity":"SUPERVISION","topic":"Việc giải quyết thủ tục cấp giấy chứng nhận quyền sử dụng đất","form":"DELEGATION",
		"subject_party_ids":["ubnd-binh-dinh-ward"],"quarter":2,"chair_org":"Ủy ban MTTQ Việt Nam thị xã An Nhơn"}`},
	events.PlanItemDropped: {data: `{"item_id":"gs-q4-moi-truong","reason":"HĐND thị xã đã giám sát cùng nội dung trong quý III; tránh chồng chéo."}`},
	events.PlanClosed:      {data: `{"closed_on":"2024-12-27","summary":"Hoàn thành 4/4 cuộc giám sát và 2/2 hội nghị phản biện."}`},
	events.PlanCorrected:   {data: `{"corrects_version":3,"reason":"Ghi nhầm quý thực hiện.","changes":{"quarter":"3"}}`},

	// Supervision.
	events.SupervisionPlanned: {data: `{"title":"Giám sát việc giải quyết thủ tục cấp giấy chứng nhận quyền sử dụng đất tại phường Bình Định","topic":"Thủ tục hành chính về đất đai",
		"form":"DELEGATION","mode":"PLANNED","scope":"THEMATIC","subject_party_ids":["ubnd-binh-dinh-ward"],"chair_party_id":"mttq-an-nhon","plan_id":"kh-2024","plan_item_id":"gs-q2-dat-dai",
		"planned_start":"2024-05-06","planned_end":"2024-06-28","content":"Giám sát hồ sơ tiếp nhận từ 01/01/2023 đến 31/03/2024."}`},
	events.SupervisionDelegationEstablished: {doc: docRef("35/QĐ-MTTQ-BTT", "2024-04-22"), data: `{"decided_on":"2024-04-22","head":"Nguyễn Văn An, Phó Chủ tịch Ủy ban MTTQ Việt Nam thị xã An Nhơn",
		"members":["Trần Thị Bích Ngọc, Hội Liên hiệp Phụ nữ thị xã","Lê Quang Hưng, Hội Nông dân thị xã"]}`},
	events.SupervisionNotified:              {data: `{"notified_on":"2024-04-23","notified_party_ids":["ubnd-binh-dinh-ward","ubnd-an-nhon"]}`},
	events.SupervisionReportOutlineSent:     {data: `{"sent_on":"2024-04-23","report_due_on":"2024-05-03"}`},
	events.SupervisionSubjectReportReceived: {actor: goldenWard, data: `{"received_on":"2024-05-02","summary":"UBND phường báo cáo tiếp nhận 214 hồ sơ, giải quyết đúng hạn 187 hồ sơ."}`},
	events.SupervisionDocumentRequested: {data: `{"request_id":"tl-01","party_id":"ubnd-binh-dinh-ward","description":"Sổ theo dõi tiếp nhận và trả kết quả hồ sơ đất đai năm 2023",
		"requested_on":"2024-05-06","due_on":"2024-05-13"}`},
	events.SupervisionDocumentProvided: {actor: goldenWard, data: `{"request_id":"tl-01","provided_on":"2024-05-10","description":"Bản sao sổ theo dõi, 46 trang."}`},
	events.SupervisionDocumentRefused:  {actor: goldenWard, data: `{"request_id":"tl-02","refused_on":"2024-05-10","reason":"Hồ sơ đang được Thanh tra thị xã thu giữ."}`},
	events.SupervisionSessionScheduled: {data: `{"session_id":"lv-01","scheduled_on":"2024-05-15","place":"Trụ sở UBND phường Bình Định"}`},
	events.SupervisionSessionHeld: {data: `{"session_id":"lv-01","held_on":"2024-05-15","place":"Trụ sở UBND phường Bình Định",
		"participants":["Đoàn giám sát Ủy ban MTTQ Việt Nam thị xã An Nhơn","Lãnh đạo UBND phường Bình Định","Công chức địa chính phường"],"summary":"Đoàn nghe báo cáo và kiểm tra 30 hồ sơ."}`},
	events.SupervisionSessionPostponed:      {actor: goldenWard, data: `{"session_id":"lv-02","postponed_on":"2024-05-20","requested_by":"SUBJECT","reason":"Chủ tịch UBND phường đi công tác đột xuất.","new_date":"2024-05-27"}`},
	events.SupervisionResultReportSubmitted: {data: `{"submitted_on":"2024-06-07","summary":"Trưởng đoàn báo cáo kết quả: 27 hồ sơ trễ hạn, chưa có văn bản xin lỗi người dân theo quy định."}`},
	events.SupervisionResultReportIssued: {doc: docRef("41/BC-MTTQ-BTT", "2024-06-14"), data: `{"issued_on":"2024-06-14","summary":"Báo cáo kết quả giám sát việc giải quyết thủ tục đất đai tại phường Bình Định.",
		"findings":["27 hồ sơ giải quyết trễ hạn","Chưa niêm yết công khai thủ tục tại bộ phận một cửa"]}`},
	events.SupervisionFollowUpFindingRecorded: {data: `{"recommendation_id":"kn-2024-15","status":"PARTLY_IMPLEMENTED","note":"Đã niêm yết thủ tục; còn 5 hồ sơ trễ hạn chưa xử lý."}`},
	events.SupervisionPostponed:               {actor: goldenWard, data: `{"postponed_on":"2024-05-20","requested_by":"SUBJECT","reason":"Phường tập trung phòng chống bão số 4.","until":"2024-06-03"}`},
	events.SupervisionResumed:                 {data: `{"resumed_on":"2024-06-03","note":"Tiếp tục theo kế hoạch."}`},
	events.SupervisionInterestDeclared:        {data: `{"declared_on":"2024-04-24","member":"Lê Quang Hưng, Hội Nông dân thị xã","party_id":"ubnd-binh-dinh-ward","relation":"KIN","detail":"Con trai là công chức địa chính phường Bình Định.","recused":false}`},
	events.SupervisionClosed:                  {data: `{"closed_on":"2024-06-28","summary":"Kết thúc cuộc giám sát; đã ban hành 2 kiến nghị."}`},
	events.SupervisionAdverseAction:           {data: `{"adverse_action":{"action_on":"2024-06-10","by_party_id":"ubnd-binh-dinh-ward","action":"TRANSFER","member":"Lê Quang Hưng","description":"Thành viên đoàn giám sát là viên chức phường bị điều chuyển công tác."}}`},
	events.SupervisionCancelled:               {data: `{"cancelled_on":"2024-05-02","reason":"HĐND thị xã đã giám sát cùng nội dung; tránh chồng chéo."}`},
	events.SupervisionCorrected:               {data: `{"corrects_version":2,"reason":"Ghi thiếu thành viên đoàn.","changes":{"members":"Trần Thị Bích Ngọc; Lê Quang Hưng; Võ Thị Mỹ Hạnh"}}`},

	// Recommendations.
	events.RecommendationIssued: {doc: docRef("45/KN-MTTQ", "2024-06-20"), data: `{"source_kind":"SUPERVISION","source_id":"gs-2024-dat-dai","addressee_party_id":"ubnd-binh-dinh-ward","copy_party_ids":["ubnd-an-nhon"],
		"title":"Kiến nghị sau giám sát thủ tục đất đai","content":"Đề nghị UBND phường Bình Định giải quyết dứt điểm 27 hồ sơ trễ hạn và niêm yết công khai thủ tục.","issued_on":"2024-06-20","response_days":20}`},
	events.RecommendationReceived:     {actor: goldenWard, data: `{"received_on":"2024-06-24","received_by":"Văn phòng HĐND và UBND phường Bình Định"}`},
	events.RecommendationAcknowledged: {actor: goldenWard, data: `{"acknowledged_on":"2024-06-25","note":"Đã giao công chức địa chính tham mưu trả lời."}`},
	events.RecommendationResponseSubmitted: {actor: goldenWard, doc: docRef("112/UBND", "2024-07-10"), data: `{"responded_on":"2024-07-10","outcome":"PARTIALLY_ACCEPTED",
		"text":"UBND phường tiếp thu kiến nghị về niêm yết thủ tục và giải quyết hồ sơ trễ hạn.","explanation":"Việc bổ sung công chức địa chính thuộc thẩm quyền UBND thị xã.",
		"planned_actions":["Niêm yết thủ tục tại bộ phận một cửa","Giải quyết 27 hồ sơ trễ hạn"],"commit_due_on":"2024-09-30","signed_by":"Chủ tịch UBND phường Bình Định"}`},
	events.RecommendationExplanationSubmitted:        {actor: goldenWard, data: `{"submitted_on":"2024-07-15","text":"Phường đã có văn bản đề nghị UBND thị xã bổ sung biên chế."}`},
	events.RecommendationImplementationCommitted:     {actor: goldenWard, data: `{"committed_on":"2024-07-12","due_on":"2024-09-30","actions":["Niêm yết thủ tục","Xin lỗi người dân có hồ sơ trễ hạn"]}`},
	events.RecommendationImplementationEvidenceAdded: {actor: goldenWard, data: `{"submitted_on":"2024-09-25","evidence":"Đã niêm yết thủ tục; đã giải quyết 27/27 hồ sơ.","documents":["Báo cáo 150/BC-UBND ngày 25/9/2024"]}`},
	events.RecommendationImplementationVerified:      {data: `{"verified_on":"2024-10-08","finding":"IMPLEMENTED","note":"Kiểm tra thực tế tại bộ phận một cửa phường."}`},
	events.RecommendationReminderSent:                {doc: docRef("77/MTTQ-BTT", "2024-07-18"), data: `{"sent_on":"2024-07-18","note":"Quá 20 ngày chưa nhận được văn bản trả lời."}`},
	events.RecommendationEscalated: {data: `{"escalated_on":"2024-08-01","channel":"DIRECT_SUPERIOR","to_party_id":"ubnd-an-nhon",
		"reason":"UBND phường không trả lời kiến nghị sau khi đã được đôn đốc."}`},
	events.RecommendationDisputed:        {data: `{"disputed_on":"2024-07-20","reason":"Nội dung trả lời chưa làm rõ trách nhiệm đối với hồ sơ trễ hạn."}`},
	events.RecommendationReviewRequested: {actor: goldenWard, data: `{"requested_on":"2024-06-28","reason":"Số hồ sơ trễ hạn trong kiến nghị chưa trừ các hồ sơ người dân xin rút."}`},
	events.RecommendationReviewUpheld:    {data: `{"decided_on":"2024-07-03","note":"Giữ nguyên kiến nghị; số liệu đã được đối chiếu."}`},
	events.RecommendationAmended: {data: `{"amended_on":"2024-07-03","content":"Đề nghị UBND phường Bình Định giải quyết dứt điểm 25 hồ sơ trễ hạn.",
		"reason":"Điều chỉnh số liệu sau khi đối chiếu với UBND phường."}`},
	events.RecommendationWithdrawn: {data: `{"withdrawn_on":"2024-07-03","reason":"Nội dung đã được HĐND thị xã kiến nghị, tránh trùng lặp."}`},
	events.RecommendationClosed:    {data: `{"closed_on":"2024-10-10","summary":"Kiến nghị đã được thực hiện đầy đủ."}`},
	events.RecommendationCorrected: {data: `{"corrects_version":1,"reason":"Ghi nhầm số hồ sơ trễ hạn.","changes":{"content":"Đề nghị UBND phường Bình Định giải quyết dứt điểm 25 hồ sơ trễ hạn."}}`},

	// Social critique.
	events.CritiqueRequested: {data: `{"title":"Phản biện xã hội dự thảo Đề án chỉnh trang đô thị thị xã An Nhơn giai đoạn 2024–2030",
		"draft_title":"Dự thảo Đề án chỉnh trang đô thị thị xã An Nhơn giai đoạn 2024–2030","drafting_party_id":"ubnd-an-nhon","issuer_party_id":"hdnd-an-nhon",
		"form":"CONFERENCE","plan_id":"kh-2024","plan_item_id":"pb-q3-do-thi","requested_on":"2024-07-22","content":"UBND thị xã đề nghị phản biện trước khi trình HĐND thị xã."}`},
	events.CritiqueDraftReceived:        {actor: goldenTown, data: `{"received_on":"2024-08-01","submission_on":"2024-08-30","draft_version":"Dự thảo lần 2"}`},
	events.CritiqueInformationRequested: {data: `{"request_id":"tt-01","requested_on":"2024-08-05","description":"Báo cáo đánh giá tác động đến các hộ dân phải di dời","due_on":"2024-08-12"}`},
	events.CritiqueInformationProvided:  {actor: goldenTown, data: `{"request_id":"tt-01","provided_on":"2024-08-09","description":"Báo cáo 96/BC-UBND kèm danh sách 38 hộ."}`},
	events.CritiqueConferenceHeld: {data: `{"held_on":"2024-08-14","chair":"Chủ tịch Ủy ban MTTQ Việt Nam thị xã An Nhơn","participants":42,
		"summary":"Các chuyên gia góp ý về phương án tái định cư và nguồn vốn."}`},
	events.CritiqueConsultationSent: {data: `{"sent_on":"2024-08-06","recipients":["Hội Kiến trúc sư tỉnh Bình Định","Đại diện Nhân dân khu phố Liêm Định"],"due_on":"2024-08-13"}`},
	events.CritiqueOpinionReceived:  {data: `{"received_on":"2024-08-12","from":"Hội Kiến trúc sư tỉnh Bình Định","summary":"Đề nghị giữ lại không gian xanh quanh tháp Cánh Tiên."}`},
	events.CritiqueDialogueHeld: {data: `{"held_on":"2024-08-16","participants":["Ủy ban MTTQ Việt Nam thị xã An Nhơn","UBND thị xã An Nhơn","Đại diện hộ dân phường Bình Định"],
		"summary":"Đối thoại trực tiếp về mức bồi thường."}`},
	events.CritiqueSynthesized: {data: `{"synthesized_on":"2024-08-19","summary":"Tổng hợp 17 ý kiến, nhóm thành 3 vấn đề."}`},
	events.CritiqueDocumentIssued: {doc: docRef("52/PB-MTTQ-BTT", "2024-08-21"), data: `{"issued_on":"2024-08-21","points":[
		{"point_id":"p1","text":"Bổ sung phương án tái định cư tại chỗ cho các hộ dân."},{"point_id":"p2","text":"Làm rõ nguồn vốn đối ứng của ngân sách thị xã."}]}`},
	events.CritiqueDrafterResponded: {actor: goldenTown, doc: docRef("1203/UBND", "2024-08-26"), data: `{"responded_on":"2024-08-26","accepted":["p1"],
		"explained":[{"point_id":"p2","explanation":"Nguồn vốn đối ứng đã được bố trí trong kế hoạch đầu tư công trung hạn."}],"text":"UBND thị xã tiếp thu, giải trình ý kiến phản biện."}`},
	events.CritiqueForwardedToIssuer: {actor: goldenTown, data: `{"forwarded_on":"2024-08-28","note":"Gửi kèm tờ trình trình HĐND thị xã."}`},
	events.CritiqueDraftAdopted:      {actor: goldenTown, doc: docRef("25/NQ-HĐND", "2024-09-12"), data: `{"adopted_on":"2024-09-12","note":"HĐND thị xã thông qua đề án."}`},
	events.CritiqueClosed:            {data: `{"closed_on":"2024-09-20","summary":"Dự thảo được tiếp thu một phần."}`},
	events.CritiqueCancelled:         {data: `{"cancelled_on":"2024-08-02","reason":"UBND thị xã rút dự thảo để xây dựng lại."}`},
	events.CritiqueCorrected:         {data: `{"corrects_version":5,"reason":"Ghi nhầm số người tham dự.","changes":{"participants":"45"}}`},

	// Contributions to Party and government building.
	events.ContributionCollected: {data: `{"form":"DIALOGUE","topic":"Cải cách thủ tục hành chính tại bộ phận một cửa","target_party_id":"ubnd-an-nhon","collected_on":"2024-10-15",
		"content":"Người dân đề nghị rút ngắn thời gian chờ và mở rộng dịch vụ công trực tuyến.","plan_id":"kh-2024","plan_item_id":"gy-q4-cai-cach"}`},
	events.ContributionSynthesized: {data: `{"synthesized_on":"2024-10-18","summary":"Tổng hợp 12 ý kiến của Nhân dân tại hội nghị đối thoại."}`},
	events.ContributionSent:        {doc: docRef("88/MTTQ-BTT", "2024-10-21"), data: `{"sent_on":"2024-10-21","note":"Gửi UBND thị xã và Thị ủy An Nhơn."}`},
	events.ContributionReceived:    {actor: goldenTown, data: `{"received_on":"2024-10-22"}`},
	events.ContributionResponded: {actor: goldenTown, data: `{"responded_on":"2024-11-05","outcome":"ACCEPTED",
		"text":"UBND thị xã tiếp thu; từ 01/12/2024 bộ phận một cửa làm việc cả sáng thứ Bảy."}`},
	events.ContributionClosed:    {data: `{"closed_on":"2024-11-15"}`},
	events.ContributionCorrected: {data: `{"corrects_version":1,"reason":"Ghi nhầm ngày tổ chức đối thoại.","changes":{"collected_on":"2024-10-16"}}`},

	// Petitions.
	events.PetitionReceived: {data: `{"channel":"RECEPTION","received_on":"2024-05-16","petition_kind":"COMPLAINT","anonymous":false,
		"petitioner":{"name":"Phạm Văn Đức","address":"Khu phố Liêm Định, phường Bình Định, thị xã An Nhơn, tỉnh Bình Định","phone":"0912 345 678"},
		"summary":"Khiếu nại việc chậm cấp giấy chứng nhận quyền sử dụng đất","content":"Hồ sơ nộp ngày 02/10/2023, đến nay chưa có kết quả."}`},
	events.PetitionClassified:                {data: `{"classified_on":"2024-05-17","petition_kind":"COMPLAINT","competent_party_id":"ubnd-binh-dinh-ward","complex":false,"remote":false}`},
	events.PetitionForwarded:                 {doc: docRef("31/MTTQ", "2024-05-20"), data: `{"forwarded_on":"2024-05-20","to_party_id":"ubnd-binh-dinh-ward"}`},
	events.PetitionForwardReceived:           {data: `{"received_on":"2024-05-22"}`},
	events.PetitionGuided:                    {data: `{"guided_on":"2024-05-16","guidance":"Hướng dẫn công dân gửi đơn đến Tòa án nhân dân thị xã An Nhơn."}`},
	events.PetitionFiled:                     {data: `{"filed_on":"2024-05-17","reason":"DUPLICATE","note":"Trùng nội dung đơn số 97 đã chuyển ngày 02/4/2024."}`},
	events.PetitionAccepted:                  {actor: goldenWard, doc: docRef("15/TB-UBND", "2024-05-27"), data: `{"accepted_on":"2024-05-27"}`},
	events.PetitionNotAccepted:               {actor: goldenWard, data: `{"decided_on":"2024-05-27","reason":"Quá thời hiệu khiếu nại 90 ngày."}`},
	events.PetitionExtended:                  {actor: goldenWard, doc: docRef("20/QĐ-UBND", "2024-06-25"), data: `{"extended_on":"2024-06-25","days":15,"case_complexity":"COMPLEX","reason":"Vụ việc phức tạp, cần xác minh thực địa."}`},
	events.PetitionResolved:                  {actor: goldenWard, doc: docRef("27/QĐ-UBND", "2024-07-08"), data: `{"resolved_on":"2024-07-08","outcome":"Khiếu nại đúng một phần","summary":"Yêu cầu trả kết quả trong 10 ngày."}`},
	events.PetitionResultNotified:            {actor: goldenWard, data: `{"notified_on":"2024-07-12"}`},
	events.PetitionSecondInstanceFiled:       {data: `{"filed_on":"2024-07-25","to_party_id":"ubnd-an-nhon"}`},
	events.PetitionSecondInstanceAccepted:    {actor: goldenTown, doc: docRef("41/TB-UBND", "2024-08-02"), data: `{"accepted_on":"2024-08-02"}`},
	events.PetitionSecondInstanceNotAccepted: {actor: goldenTown, data: `{"decided_on":"2024-08-02","reason":"Người khiếu nại đã khởi kiện vụ án hành chính tại Tòa án."}`},
	events.PetitionWithdrawn:                 {actor: goldenWard, data: `{"withdrawn_on":"2024-06-03","reason":"Công dân có đơn rút toàn bộ nội dung khiếu nại."}`},
	events.PetitionClosed:                    {data: `{"closed_on":"2024-08-30","summary":"Công dân đã nhận giấy chứng nhận."}`},
	events.PetitionAdverseAction:             {data: `{"adverse_action":{"action_on":"2024-07-15","by_party_id":"ubnd-binh-dinh-ward","action":"FINE","description":"Người khiếu nại bị xử phạt vi phạm hành chính về trật tự xây dựng sau khi gửi đơn."}}`},
	events.PetitionCorrected:                 {data: `{"corrects_version":1,"reason":"Ghi sai số điện thoại của công dân.","changes":{"petitioner.phone":"0912 345 687"}}`},

	// Information requests.
	events.InfoRequestReceived: {actor: goldenWard, data: `{"channel":"POST_FAX","received_on":"2024-09-03","requester":{"name":"Lê Thị Hoa","address":"Khu phố Liêm Định, phường Bình Định","email":"lethihoa@example.vn"},
		"addressee_party_id":"ubnd-binh-dinh-ward","description":"Bản đồ quy hoạch sử dụng đất phường Bình Định đến năm 2030","purpose":"Xây dựng nhà ở"}`},
	events.InfoRequestValidated:            {actor: goldenWard, data: `{"validated_on":"2024-09-04","complexity":"COMPLEX"}`},
	events.InfoRequestRejected:             {actor: goldenWard, data: `{"rejected_on":"2024-09-04","reason":"Phiếu yêu cầu không ghi họ tên người yêu cầu."}`},
	events.InfoRequestTimelineNotified:     {actor: goldenWard, data: `{"notified_on":"2024-09-06","provide_by":"2024-09-24"}`},
	events.InfoRequestExtensionNotified:    {actor: goldenWard, data: `{"notified_on":"2024-09-23","extended_days":10,"reason":"Cần trích lục bản đồ từ Văn phòng đăng ký đất đai."}`},
	events.InfoRequestProvided:             {actor: goldenWard, data: `{"provided_on":"2024-10-04","note":"Gửi bản sao qua đường bưu điện."}`},
	events.InfoRequestRefused:              {actor: goldenWard, data: `{"refused_on":"2024-09-20","reasons":"Thông tin thuộc bí mật nhà nước (Luật Tiếp cận thông tin, Điều 6)."}`},
	events.InfoRequestInformationCorrected: {actor: goldenWard, data: `{"corrected_on":"2024-10-10","note":"Bổ sung trang 3 bị thiếu của bản đồ."}`},
	events.InfoRequestClosed:               {actor: goldenWard, data: `{"closed_on":"2024-10-15"}`},
	events.InfoRequestCorrected:            {actor: goldenWard, data: `{"corrects_version":1,"reason":"Ghi nhầm kênh tiếp nhận.","changes":{"channel":"ELECTRONIC"}}`},
}

// goldenEnvelope returns the envelope of the example of type t, with its
// payload decoded (so validated and NFC-normalised) by DecodePayload.
func goldenEnvelope(tb testing.TB, t events.Type) events.Envelope {
	tb.Helper()
	ex, ok := goldenExamples[t]
	if !ok {
		tb.Fatalf("no golden example for %s: add one to goldenExamples", t)
	}
	p, err := events.DecodePayload(t, []byte(ex.data))
	if err != nil {
		tb.Fatalf("DecodePayload(%s, example): %v", t, err)
	}
	data, err := events.MarshalPayload(p)
	if err != nil {
		tb.Fatalf("MarshalPayload(%s): %v", t, err)
	}
	kind := t.Kind()
	id := ex.id
	if id == "" {
		id = goldenIDs[kind]
	}
	actor := ex.actor
	if actor.Role == "" {
		actor = goldenActor(t)
	}
	env := events.Envelope{
		ID:             "01905a3c-7e21-7b4d-8f3a-2c6d9e0b1a47",
		Stream:         events.StreamName(kind, id),
		Kind:           kind,
		Type:           t,
		Version:        4,
		OccurredAt:     goldenOccurredAt,
		RecordedAt:     goldenRecordedAt,
		Actor:          actor,
		Unit:           "an-nhon",
		Classification: events.Public,
		DocumentRef:    ex.doc,
		IdempotencyKey: "c3f1b2a4-" + strings.ReplaceAll(strings.TrimSuffix(string(t), ".v1"), ".", "-"),
		PrevHash:       goldenPrevHash,
		Data:           data,
	}
	if events.IsCreation(t) {
		env.Version, env.PrevHash = 1, ""
	}
	switch kind {
	case events.KindUnit:
		env.Unit = id
	case events.KindPetition, events.KindInfoRequest, events.KindToken:
		env.Classification = events.Internal
	case events.KindAdmin:
		env.Unit, env.Classification = "", events.Internal
	}
	return env
}

// goldenActor is the default actor of an example: the district recorder
// where recorders may record the type, otherwise an admin.
func goldenActor(t events.Type) events.Actor {
	if slices.Contains(events.RolesFor(t), events.RoleRecorder) {
		return goldenRecorder
	}
	return goldenAdmin
}

func goldenPath(t events.Type) string { return filepath.Join(goldenDir, string(t)+".json") }

func TestGolden(t *testing.T) {
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, typ := range events.Types() {
		t.Run(string(typ), func(t *testing.T) {
			env := goldenEnvelope(t, typ)
			got, err := env.Marshal()
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			path := goldenPath(typ)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./events/ -run Golden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Marshal() differs from %s\ngot:  %s\nwant: %s", path, got, want)
			}

			// The stored bytes read back and written again are the same
			// bytes: the hash of an event never depends on who re-encodes it.
			back, err := events.UnmarshalEnvelope(want)
			if err != nil {
				t.Fatalf("UnmarshalEnvelope(%s): %v", path, err)
			}
			again, err := back.Marshal()
			if err != nil {
				t.Fatalf("Marshal(UnmarshalEnvelope(%s)): %v", path, err)
			}
			if !bytes.Equal(again, want) {
				t.Errorf("Marshal(UnmarshalEnvelope(%s)) changed the bytes\ngot:  %s\nwant: %s", path, again, want)
			}

			// The stored data is accepted by today's strict decoder and is
			// already in canonical form: old types stay decodable.
			p, err := events.DecodePayload(back.Type, back.Data)
			if err != nil {
				t.Fatalf("DecodePayload(stored data of %s): %v", path, err)
			}
			canon, err := events.MarshalPayload(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(canon, back.Data) {
				t.Errorf("stored data is not canonical\ngot:  %s\nwant: %s", canon, back.Data)
			}
		})
	}
}

// TestGoldenExamples checks that the examples and the golden files match
// Types() exactly: a new type needs an example and a golden file, and a
// golden file without a type means a type was removed, which a ledger whose
// old events stay decodable forever must never do.
func TestGoldenExamples(t *testing.T) {
	types := events.Types()
	var stale []events.Type
	for typ := range goldenExamples {
		if !slices.Contains(types, typ) {
			stale = append(stale, typ)
		}
	}
	slices.Sort(stale)
	if len(stale) > 0 {
		t.Errorf("goldenExamples has examples for unknown types: %v", stale)
	}
	for _, typ := range types {
		if _, ok := goldenExamples[typ]; !ok {
			t.Errorf("goldenExamples has no example for %s", typ)
		}
	}
	if *update {
		return
	}
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, strings.TrimSuffix(filepath.Base(f), ".json"))
	}
	var want []string
	for _, typ := range types {
		want = append(want, string(typ))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("golden files differ from Types() (-want +got):\n%s", diff)
	}
}

// TestGoldenEnvelopeFieldOrder pins the order of the envelope's fields on
// one golden file that carries every optional field.
func TestGoldenEnvelopeFieldOrder(t *testing.T) {
	path := goldenPath(events.RecommendationResponseSubmitted)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"id", "stream", "kind", "type", "version", "occurred_at", "recorded_at", "actor", "unit",
		"classification", "document_ref", "idempotency_key", "prev_hash", "data"}
	if diff := cmp.Diff(want, topLevelKeys(t, raw)); diff != "" {
		t.Errorf("%s: envelope field order (-want +got):\n%s", path, diff)
	}
	if got, want := string(raw[:len(`{"id":`)]), `{"id":`; got != want {
		t.Errorf("%s starts with %q, want %q", path, got, want)
	}
	for _, s := range []string{
		`"actor":{"subject":"tok-ubnd-binh-dinh-ward","role":"respondent","party":"ubnd-binh-dinh-ward"}`,
		`"document_ref":{"number":"112/UBND","signed_on":"2024-07-10"}`,
		`"occurred_at":"2024-06-24T00:00:00+07:00","recorded_at":"2024-06-24T02:15:30.123456Z"`,
		`"data":{"responded_on":"2024-07-10","outcome":"PARTIALLY_ACCEPTED"`,
	} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Errorf("%s does not contain %s", path, s)
		}
	}
	if bytes.Contains(raw, []byte(`\u`)) {
		t.Errorf("%s escapes characters; Vietnamese text must be stored as UTF-8: %s", path, raw)
	}
}

// topLevelKeys returns the keys of a JSON object in document order.
func topLevelKeys(tb testing.TB, raw []byte) []string {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		tb.Fatalf("not a JSON object: %v %v", tok, err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			tb.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := dec.Token(); err != nil {
		tb.Fatal(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		tb.Fatalf("data after the object: %v", err)
	}
	return keys
}
