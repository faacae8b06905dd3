package api

import (
	"strings"

	"github.com/mttq-vn/ledger/events"
)

// The workspace's text: Vietnamese first, English by a switch. Each entry
// is {Vietnamese, English}. A key with no entry falls back to a readable
// form of the key itself (an event type or field name), never to nothing.

var uiText = map[string][2]string{
	"app.name":                  {"Sổ cái giám sát", "Supervision ledger"},
	"app.tagline":               {"Giám sát và phản biện xã hội của Mặt trận Tổ quốc Việt Nam", "Supervision and social critique of the Vietnam Fatherland Front"},
	"nav.skip":                  {"Bỏ qua, đến nội dung chính", "Skip to main content"},
	"nav.main":                  {"Điều hướng chính", "Main navigation"},
	"nav.dashboard":             {"Tổng quan", "Dashboard"},
	"nav.inbox":                 {"Việc cần trả lời", "To answer"},
	"nav.inspect":               {"Tra cứu, kiểm tra", "Inspect"},
	"nav.reports":               {"Báo cáo", "Reports"},
	"nav.supervisions":          {"Cuộc giám sát", "Supervisions"},
	"nav.recommendations":       {"Kiến nghị", "Recommendations"},
	"nav.critiques":             {"Phản biện", "Critiques"},
	"nav.logout":                {"Đăng xuất", "Sign out"},
	"nav.lang":                  {"English", "Tiếng Việt"},
	"nav.lang.label":            {"Chuyển ngôn ngữ sang tiếng Anh", "Switch the language to Vietnamese"},
	"nav.signedin":              {"Đang đăng nhập", "Signed in as"},
	"login.title":               {"Đăng nhập", "Sign in"},
	"login.token":               {"Mã truy cập (token)", "Access token"},
	"login.hint":                {"Dán mã truy cập do quản trị viên cấp (bắt đầu bằng lgr_). Mã không được lưu trong trình duyệt.", "Paste the access token your administrator gave you (it starts with lgr_). It is not stored in the browser."},
	"login.submit":              {"Đăng nhập", "Sign in"},
	"login.bad":                 {"Mã truy cập không hợp lệ.", "The token is not valid."},
	"login.expired":             {"Phiên làm việc đã hết hạn hoặc đã kết thúc. Vui lòng đăng nhập lại.", "Your session expired or ended. Please sign in again."},
	"err.title":                 {"Không thực hiện được", "Could not be done"},
	"err.csrf":                  {"Biểu mẫu đã hết hiệu lực hoặc không gửi từ trang này (CSRF). Hãy tải lại trang và thử lại.", "The form expired or was not sent from this site (CSRF). Reload the page and try again."},
	"err.session":               {"Cần đăng nhập để thực hiện thao tác này.", "You need to sign in to do this."},
	"err.form":                  {"Không đọc được biểu mẫu.", "The form could not be read."},
	"err.ratelimit":             {"Token này gửi quá nhiều yêu cầu mỗi giây; hãy chờ vài giây rồi thử lại.", "This token made too many requests per second; wait a few seconds and try again."},
	"err.noform":                {"Vai trò của bạn không được ghi loại hồ sơ này.", "Your role may not record this kind of item."},
	"err.nostep":                {"Bước này không được phép ở trạng thái hiện tại hoặc với vai trò của bạn.", "This step is not allowed in the current state or for your role."},
	"err.back":                  {"Quay lại", "Go back"},
	"err.notfound":              {"Không có trang này: loại hồ sơ hoặc mã không đúng.", "No such page: the kind of record or the ID is wrong."},
	"code.invalid":              {"Không hợp lệ:", "Invalid:"},
	"code.unauthorized":         {"Chưa xác thực:", "Not authenticated:"},
	"code.forbidden":            {"Không có quyền:", "Forbidden:"},
	"code.not_found":            {"Không tìm thấy:", "Not found:"},
	"code.conflict":             {"Xung đột:", "Conflict:"},
	"code.too_large":            {"Quá lớn:", "Too large:"},
	"code.unavailable":          {"Tạm thời chưa sẵn sàng:", "Unavailable:"},
	"code.internal":             {"Lỗi hệ thống:", "Internal error:"},
	"code.too_many_requests":    {"Quá nhiều yêu cầu:", "Too many requests:"},
	"code.insufficient_storage": {"Hết chỗ lưu trữ:", "Insufficient storage:"},
	"code.method_not_allowed":   {"Không cho phép thao tác này:", "Method not allowed:"},
	"dash.title":                {"Tổng quan đơn vị", "Unit dashboard"},
	"dash.overdue":              {"Kiến nghị quá hạn chưa trả lời", "Overdue recommendations"},
	"dash.duesoon":              {"Hạn trong 7 ngày tới", "Due in the next 7 days"},
	"dash.flags":                {"Cảnh báo đang mở", "Open flags"},
	"dash.none":                 {"Không có.", "None."},
	"dash.actions":              {"Ghi nhận mới", "Record"},
	"new.supervisions":          {"Lập kế hoạch cuộc giám sát", "Plan a supervision"},
	"new.recommendations":       {"Ban hành kiến nghị", "Issue a recommendation"},
	"new.critiques":             {"Ghi nhận phản biện xã hội", "Record a social critique"},
	"new.title":                 {"Ghi nhận mới", "New record"},
	"inbox.title":               {"Việc cần trả lời", "Items to answer"},
	"inbox.intro":               {"Chỉ hiện các hồ sơ gửi đến cơ quan của bạn.", "Only items addressed to your body are shown."},
	"inspect.title":             {"Tra cứu và kiểm tra", "Inspect"},
	"inspect.item":              {"Dòng thời gian của một hồ sơ", "Timeline of an item"},
	"inspect.party":             {"Dòng thời gian và trách nhiệm của một cơ quan", "Timeline and accountability of a party"},
	"inspect.position":          {"Kiểm tra một sự kiện theo vị trí", "Verify an event by position"},
	"inspect.go":                {"Xem", "Show"},
	"inspect.checkpoint":        {"Điểm kiểm tra (checkpoint) mới nhất", "Latest checkpoint"},
	"list.title":                {"Danh sách", "List"},
	"list.search":               {"Tìm kiếm (không cần dấu)", "Search (diacritics optional)"},
	"list.status":               {"Trạng thái", "Status"},
	"list.filter":               {"Lọc", "Filter"},
	"list.more":                 {"Trang sau", "Next page"},
	"list.empty":                {"Không có hồ sơ nào.", "No items."},
	"col.id":                    {"Mã", "ID"},
	"col.title":                 {"Tiêu đề", "Title"},
	"col.status":                {"Trạng thái", "Status"},
	"col.unit":                  {"Đơn vị", "Unit"},
	"col.party":                 {"Cơ quan", "Party"},
	"col.opened":                {"Ngày bắt đầu", "Opened on"},
	"col.due":                   {"Hạn", "Due"},
	"col.outcome":               {"Kết quả", "Outcome"},
	"col.rule":                  {"Nghĩa vụ", "Obligation"},
	"col.basis":                 {"Căn cứ", "Legal basis"},
	"col.code":                  {"Mã cảnh báo", "Code"},
	"col.raised":                {"Ngày phát sinh", "Raised on"},
	"col.subject":               {"Về hồ sơ", "About"},
	"col.position":              {"Vị trí", "Position"},
	"col.version":               {"Phiên bản", "Version"},
	"col.type":                  {"Sự kiện", "Event"},
	"col.occurred":              {"Ngày phát sinh", "Occurred"},
	"col.recorded":              {"Thời điểm ghi", "Recorded"},
	"col.hash":                  {"Mã băm (SHA-256)", "Hash (SHA-256)"},
	"col.actor":                 {"Người ghi", "Recorded by"},
	"col.actions":               {"Thao tác", "Actions"},
	"col.field":                 {"Trường", "Field"},
	"col.value":                 {"Giá trị", "Value"},
	"item.state":                {"Trạng thái hiện tại", "Current state"},
	"item.derived":              {"Tình trạng", "Derived status"},
	"item.deadlines":            {"Thời hạn", "Deadlines"},
	"item.data":                 {"Nội dung", "Content"},
	"item.redacted":             {"(đã ẩn với vai trò của bạn)", "(withheld from your role)"},
	"item.withheld":             {"Hồ sơ mật: tên, hình thức, các bên liên quan và ngày của các thời hạn được ẩn với vai trò của bạn.", "A confidential record: its title, form, parties and the dates of its deadlines are withheld from your role."},
	"item.next":                 {"Bước tiếp theo được phép", "Steps allowed next"},
	"item.nonext":               {"Không có bước nào bạn được ghi ở trạng thái này.", "There is no step you may record in this state."},
	"item.timeline":             {"Dòng thời gian", "Timeline"},
	"item.asof":                 {"Xem trạng thái tại một thời điểm", "Show the state as of a date"},
	"item.asof.date":            {"Ngày", "Date"},
	"item.asof.pos":             {"hoặc vị trí trong sổ", "or log position"},
	"item.asof.show":            {"Xem", "Show"},
	"item.asof.now":             {"Về trạng thái hiện tại", "Back to the current state"},
	"item.asof.banner":          {"Trạng thái như tại vị trí", "State as it stood at position"},
	"item.asof.cp":              {"được điểm kiểm tra có kích thước", "covered by the signed checkpoint of size"},
	"item.asof.nocp":            {"chưa có điểm kiểm tra nào bao phủ", "no signed checkpoint covers it yet"},
	"item.asof.notyet":          {"Hồ sơ chưa có tại thời điểm này.", "The item did not exist yet at that point."},
	"item.asof.here":            {"Trạng thái tại đây", "State here"},
	"item.verify":               {"Kiểm tra", "Verify"},
	"item.trail":                {"Trách nhiệm giải trình của cơ quan này", "This party's accountability trail"},
	"item.done":                 {"Đã ghi sự kiện", "Recorded"},
	"item.redactedev":           {"(nội dung đã ẩn với vai trò của bạn)", "(withheld from your role)"},
	"inspect.kind":              {"Loại hồ sơ", "Kind of record"},
	"inspect.origin":            {"Nguồn sổ (origin)", "Log origin"},
	"form.id":                   {"Mã hồ sơ (để trống để tự sinh)", "Item ID (leave empty to generate one)"},
	"form.unit":                 {"Đơn vị", "Unit"},
	"form.occurred":             {"Ngày phát sinh sự việc", "Date of the fact"},
	"form.class":                {"Mức độ mật", "Classification"},
	"form.class.default":        {"Như hồ sơ (mặc định)", "As the record (default)"},
	"form.submit":               {"Ghi vào sổ", "Record in the ledger"},
	"form.cancel":               {"Hủy", "Cancel"},
	"form.required":             {"bắt buộc", "required"},
	"form.errors":               {"Chưa ghi được. Hãy sửa các lỗi được đánh dấu.", "Not recorded. Correct the fields marked."},
	"form.type":                 {"Loại sự kiện", "Event type"},
	"form.choose":               {"Chọn loại", "Choose the type"},
	"hint.lines":                {"Mỗi dòng một mục.", "One entry per line."},
	"hint.json":                 {"Nhập dạng JSON.", "Enter as JSON."},
	"trail.title":               {"Trách nhiệm giải trình", "Accountability trail"},
	"trail.obligations":         {"Nghĩa vụ", "Obligations"},
	"trail.events":              {"Các sự kiện làm căn cứ", "Events cited"},
	"trail.bundle":              {"Tải gói bằng chứng (JSON)", "Download the proof bundle (JSON)"},
	"trail.latest":              {"Trang này chỉ hiển thị phần mới nhất", "This page shows only the latest"},
	"trail.obligations.n":       {"nghĩa vụ", "obligations"},
	"trail.events.n":            {"sự kiện", "events"},
	"trail.flags.n":             {"cảnh báo", "flags"},
	"trail.all":                 {"Hiển thị tất cả", "Show all"},
	"trail.bundle.hint":         {"Kiểm tra ngoại tuyến: ledger verify --bundle TỆP --key-file KHÓA", "Check it offline: ledger verify --bundle FILE --key-file KEY"},
	"verify.title":              {"Kiểm tra sự kiện trong sổ", "Verify an event"},
	"verify.ok":                 {"Hợp lệ: sự kiện nằm trong sổ cái đã ký, không bị sửa đổi.", "Valid: the event is in the signed ledger, unaltered."},
	"verify.fail":               {"KHÔNG hợp lệ", "NOT valid"},
	"verify.pending":            {"Chưa có điểm kiểm tra nào bao phủ vị trí này; hãy thử lại sau ít giây.", "No checkpoint covers this position yet; try again in a few seconds."},
	"verify.hash":               {"Mã băm của sự kiện khớp với nội dung", "The event's hash matches its bytes"},
	"verify.sig":                {"Chữ ký của điểm kiểm tra hợp lệ với khóa", "The checkpoint's signature verifies with key"},
	"verify.incl":               {"Bằng chứng Merkle (RFC 6962) chứng minh sự kiện nằm trong cây có kích thước", "The Merkle proof (RFC 6962) shows the event is in the tree of size"},
	"verify.root":               {"Gốc cây", "Root hash"},
	"verify.note":               {"Khóa xác minh lấy từ máy chủ này. Để kiểm tra độc lập, hãy so khóa với khóa được công bố ở nơi khác, hoặc tải gói bằng chứng và chạy ledger verify.", "The verifier key comes from this server. For an independent check compare it with the key published elsewhere, or download a proof bundle and run ledger verify."},
	"verify.position":           {"Vị trí", "Position"},
	"rep.title":                 {"Báo cáo giám sát", "Supervision reports"},
	"rep.unit":                  {"Đơn vị (mã)", "Unit (code)"},
	"rep.from":                  {"Từ ngày", "From"},
	"rep.to":                    {"Đến ngày", "To"},
	"rep.show":                  {"Xem báo cáo", "Show report"},
	"rep.csv":                   {"Tải CSV", "Download CSV"},
	"rep.ontime":                {"Tỷ lệ trả lời kiến nghị đúng hạn theo đơn vị", "On-time answer rate by unit"},
	"rep.bystatus":              {"Kiến nghị theo tình trạng, theo quý ban hành", "Recommendations by status, by quarter issued"},
	"rep.flags":                 {"Cảnh báo đang mở theo mã", "Open flags by code"},
	"rep.summary":               {"Số liệu chung", "Figures"},
	"rep.supervisions":          {"Số cuộc giám sát", "Supervisions"},
	"rep.critiques":             {"Số cuộc phản biện", "Critiques"},
	"rep.issued":                {"Kiến nghị đã ban hành", "Recommendations issued"},
	"rep.ontimeN":               {"Trả lời đúng hạn", "Answered on time"},
	"rep.late":                  {"Trả lời quá hạn", "Answered late"},
	"rep.missing":               {"Quá hạn chưa trả lời", "Overdue, unanswered"},
	"rep.notdue":                {"Chưa đến hạn", "Not yet due"},
	"rep.rate":                  {"Tỷ lệ đúng hạn", "On-time rate"},
	"rep.median":                {"Số ngày trả lời (trung vị)", "Median days to answer"},
	"rep.petitions":             {"Đơn thư đã nhận", "Petitions received"},
	"rep.petForwarded":          {"Đơn thư đã chuyển cơ quan có thẩm quyền", "Petitions forwarded"},
	"rep.petOnTime":             {"Đơn thư giải quyết đúng hạn", "Petitions resolved on time"},
	"rep.petLate":               {"Đơn thư giải quyết quá hạn", "Petitions resolved late"},
	"rep.petOverdue":            {"Đơn thư quá hạn chưa giải quyết", "Petitions overdue, unresolved"},
	"rep.petWithdrawn":          {"Đơn thư người gửi đã rút", "Petitions withdrawn by the petitioner"},
	"rep.info":                  {"Yêu cầu cung cấp thông tin đã nhận", "Information requests received"},
	"rep.infoProvided":          {"Đã cung cấp thông tin", "Information provided"},
	"rep.infoRefused":           {"Từ chối cung cấp thông tin", "Information refused"},
	"rep.infoLate":              {"Yêu cầu trả lời quá hạn", "Requests answered late"},
	"rep.infoOverdue":           {"Yêu cầu quá hạn chưa trả lời", "Requests overdue, unanswered"},
	"rep.receptionDays":         {"Ngày Chủ tịch UBND tiếp công dân / tối thiểu", "Days chairs received citizens / the minimum"},
	"rep.receptionBelow":        {"Kỳ tiếp công dân dưới mức tối thiểu / số kỳ", "Reception periods below the minimum / periods"},
	"rep.nodata":                {"Chưa có số liệu.", "No data yet."},
	"rep.table":                 {"Bảng số liệu của biểu đồ", "The chart's figures"},
	"rep.quarter":               {"Quý", "Quarter"},
	"rep.count":                 {"Số lượng", "Count"},
	"role.admin":                {"quản trị", "admin"},
	"role.recorder":             {"cán bộ ghi nhận", "recorder"},
	"role.respondent":           {"cơ quan trả lời", "respondent"},
	"role.inspector":            {"thanh tra, kiểm tra", "inspector"},
	"role.observer":             {"cơ quan giám sát (chỉ xem)", "observer (read-only)"},
	"out.pending":               {"chưa đến hạn", "pending"},
	"out.due_soon":              {"sắp đến hạn", "due soon"},
	"out.overdue":               {"quá hạn", "overdue"},
	"out.on_time":               {"đúng hạn", "on time"},
	"out.late":                  {"trễ hạn", "late"},
	"out.refused":               {"từ chối", "refused"},
	"out.waiting":               {"chờ", "waiting"},
	"out.open":                  {"đang mở", "open"},
	"out.reviewed":              {"đã xem xét", "reviewed"},
}

// statusText labels lifecycle and derived states.
var statusText = map[string][2]string{
	"planned": {"Đã lập kế hoạch", "Planned"}, "delegation_established": {"Đã thành lập đoàn", "Delegation established"},
	"notified": {"Đã thông báo", "Notified"}, "report_requested": {"Đã gửi đề cương báo cáo", "Report requested"},
	"report_received": {"Đã nhận báo cáo", "Report received"}, "in_session": {"Đang làm việc", "In session"},
	"result_report_submitted": {"Đã trình báo cáo kết quả", "Result report submitted"}, "result_report_issued": {"Đã ban hành báo cáo kết quả", "Result report issued"},
	"closed": {"Đã kết thúc", "Closed"}, "cancelled": {"Đã hủy", "Cancelled"}, "postponed": {"Tạm hoãn", "Postponed"},
	"issued": {"Đã ban hành", "Issued"}, "received": {"Đã nhận", "Received"}, "acknowledged": {"Đã xác nhận", "Acknowledged"},
	"responded": {"Đã trả lời", "Responded"}, "in_implementation": {"Đang thực hiện", "In implementation"},
	"implemented": {"Đã thực hiện", "Implemented"}, "verified": {"Đã xác minh", "Verified"}, "disputed": {"Có ý kiến khác", "Disputed"},
	"escalated": {"Đã kiến nghị lên cấp trên", "Escalated"}, "review_requested": {"Đề nghị xem xét lại", "Review requested"},
	"withdrawn": {"Đã rút", "Withdrawn"}, "requested": {"Đã đề nghị phản biện", "Requested"}, "draft_received": {"Đã nhận dự thảo", "Draft received"},
	"in_progress": {"Đang phản biện", "In progress"}, "synthesized": {"Đã tổng hợp", "Synthesized"}, "document_issued": {"Đã ban hành văn bản phản biện", "Critique issued"},
	"forwarded": {"Đã chuyển", "Forwarded"}, "adopted": {"Đã thông qua", "Adopted"}, "drafting": {"Đang dự thảo", "Drafting"},
	"consulting": {"Đang hiệp thương", "Consulting"}, "registered": {"Đã đăng ký", "Registered"}, "active": {"Đang hoạt động", "Active"},
	"awaiting_answer": {"Chờ trả lời", "Awaiting an answer"}, "due_soon": {"Sắp đến hạn", "Due soon"}, "overdue": {"Quá hạn", "Overdue"},
	"answered_on_time": {"Trả lời đúng hạn", "Answered on time"}, "answered_late": {"Trả lời trễ hạn", "Answered late"},
	"accepted": {"Tiếp thu", "Accepted"}, "partly_accepted": {"Tiếp thu một phần", "Partly accepted"},
	"explained_not_accepted": {"Giải trình, không tiếp thu", "Explained, not accepted"}, "redirected": {"Chuyển cơ quan có thẩm quyền", "Redirected"},
	"flagged": {"Có cảnh báo", "Flagged"},
}

// enumText labels the values of enumerations.
var enumText = map[string][2]string{
	"DOCUMENT_REVIEW": {"Nghiên cứu, xem xét văn bản", "Document review"}, "DELEGATION": {"Thành lập đoàn giám sát", "Delegation"},
	"VIA_PEOPLES_INSPECTION":         {"Thông qua Ban Thanh tra nhân dân", "Via the People's Inspection Board"},
	"VIA_COMMUNITY_INVESTMENT_BOARD": {"Thông qua Ban giám sát đầu tư của cộng đồng", "Via the community investment board"},
	"JOINT_WITH_AUTHORITY":           {"Tham gia giám sát với cơ quan có thẩm quyền", "Joint with a competent body"},
	"PLANNED":                        {"Theo kế hoạch", "Planned"}, "UNSCHEDULED": {"Đột xuất", "Unscheduled"},
	"THEMATIC": {"Chuyên đề", "Thematic"}, "REGULAR": {"Thường xuyên", "Regular"},
	"ACCEPTED": {"Tiếp thu", "Accepted"}, "PARTIALLY_ACCEPTED": {"Tiếp thu một phần", "Partially accepted"},
	"EXPLAINED_NOT_ACCEPTED": {"Giải trình, không tiếp thu", "Explained, not accepted"},
	"REDIRECTED":             {"Không thuộc thẩm quyền, đã chuyển", "Redirected (not competent)"}, "NOTED": {"Ghi nhận", "Noted"},
	"SUPERVISION": {"Giám sát", "Supervision"}, "CRITIQUE": {"Phản biện xã hội", "Social critique"},
	"CONTRIBUTION": {"Góp ý xây dựng Đảng, chính quyền", "Contribution"}, "PEOPLES_INSPECTION": {"Ban Thanh tra nhân dân", "People's Inspection Board"},
	"COMMUNITY_INVESTMENT": {"Giám sát đầu tư của cộng đồng", "Community investment supervision"}, "PETITION": {"Đơn thư", "Petition"},
	"OTHER": {"Khác", "Other"}, "CONFERENCE": {"Hội nghị phản biện", "Conference"},
	"WRITTEN_CONSULTATION": {"Gửi dự thảo lấy ý kiến", "Written consultation"}, "DIALOGUE": {"Đối thoại trực tiếp", "Dialogue"},
	"IMPLEMENTED": {"Đã thực hiện", "Implemented"}, "PARTLY_IMPLEMENTED": {"Thực hiện một phần", "Partly implemented"},
	"NOT_IMPLEMENTED": {"Chưa thực hiện", "Not implemented"}, "NO_LONGER_APPLICABLE": {"Không còn phù hợp", "No longer applicable"},
	"SUBJECT": {"Đối tượng được giám sát", "The supervised party"}, "SUPERVISOR": {"Chủ thể giám sát", "The supervisor"},
	"DIRECT_SUPERIOR": {"Cơ quan cấp trên trực tiếp", "Direct superior"}, "HIGHER_VFF": {"MTTQ cấp trên", "Higher-level VFF"},
	"PARTY_COMMITTEE": {"Cấp ủy", "Party committee"}, "PEOPLES_COUNCIL": {"HĐND", "People's Council"}, "PEOPLES_COMMITTEE": {"UBND", "People's Committee"},
	"CONFIRMED": {"Xác nhận", "Confirmed"}, "DISMISSED": {"Bác bỏ", "Dismissed"}, "RESOLVED": {"Đã khắc phục", "Resolved"},
	"public": {"Công khai", "Public"}, "internal": {"Nội bộ", "Internal"}, "confidential": {"Mật", "Confidential"},
	"COMPLAINT": {"Khiếu nại", "Complaint"}, "DENUNCIATION": {"Tố cáo", "Denunciation"}, "RECOMMENDATION": {"Kiến nghị", "Recommendation"},
	"FEEDBACK": {"Phản ánh", "Feedback"}, "SIMPLE": {"Đơn giản", "Simple"}, "COMPLEX": {"Phức tạp", "Complex"},
	"VERY_COMPLEX": {"Đặc biệt phức tạp", "Very complex"}, "TRUE": {"Tố cáo đúng", "True"}, "PARTLY_TRUE": {"Tố cáo đúng một phần", "Partly true"},
	"UNTRUE":    {"Tố cáo sai", "Untrue"},
	"IN_PERSON": {"Trực tiếp", "In person"}, "ELECTRONIC": {"Điện tử", "Electronic"}, "POST_FAX": {"Bưu điện, fax", "Post or fax"},
	"RECEPTION": {"Tiếp công dân", "Citizen reception"}, "MAIL": {"Qua bưu điện", "By mail"}, "ONLINE": {"Trực tuyến", "Online"},
	"VOTER_CONTACT": {"Tiếp xúc cử tri", "Voter contact"},
	"WRITTEN":       {"Bằng văn bản", "In writing"}, "CITIZEN_FEEDBACK": {"Ý kiến nhân dân", "Citizens' feedback"},
	"PARTY_CONGRESS_DRAFT": {"Dự thảo văn kiện Đại hội Đảng", "Party congress draft"},
	"ANONYMOUS":            {"Nặc danh", "Anonymous"}, "DUPLICATE": {"Trùng lặp", "Duplicate"}, "OUT_OF_SCOPE": {"Không thuộc phạm vi", "Out of scope"},
	"WITHDRAWN_BY_PETITIONER": {"Người gửi rút đơn", "Withdrawn by the petitioner"},
	"NATIONAL_ASSEMBLY":       {"Quốc hội", "National Assembly"}, "GOVERNMENT": {"Chính phủ", "Government"},
	"STATE_BODY": {"Cơ quan nhà nước", "State body"}, "VFF_COMMITTEE": {"Ủy ban MTTQ", "VFF committee"},
	"SOCIO_POLITICAL_ORG": {"Tổ chức chính trị - xã hội", "Socio-political organisation"}, "MEMBER_ORG": {"Tổ chức thành viên", "Member organisation"},
	"PARTY_ORG": {"Tổ chức đảng", "Party organisation"}, "PARTY_MEMBER": {"Đảng viên", "Party member"},
	"ELECTED_DEPUTY": {"Đại biểu dân cử", "Elected deputy"}, "OFFICIAL": {"Cán bộ, công chức", "Official"},
	"PUBLIC_EMPLOYEE": {"Viên chức", "Public employee"}, "ORGANISATION": {"Tổ chức", "Organisation"},
	"PEOPLES_INSPECTION_BOARD":   {"Ban Thanh tra nhân dân", "People's Inspection Board"},
	"COMMUNITY_INVESTMENT_BOARD": {"Ban Giám sát đầu tư của cộng đồng", "Community Investment Supervision Board"},
	"INSPECTORATE":               {"Cơ quan thanh tra", "Inspectorate"}, "ENTERPRISE": {"Doanh nghiệp", "Enterprise"},
	"CHAIR": {"Chủ tịch UBND", "Chair of the People's Committee"}, "VFF": {"MTTQ", "VFF"}, "JOINT": {"Phối hợp", "Joint"},
	"CENTRAL": {"Trung ương", "Central"}, "PROVINCE": {"Tỉnh", "Province"}, "DISTRICT": {"Huyện", "District"},
	"COMMUNE": {"Xã", "Commune"}, "RESIDENTIAL_AREA": {"Thôn, tổ dân phố", "Residential area"},
	"true": {"Có", "Yes"}, "false": {"Không", "No"},
}

// typeText labels event types.
var typeText = map[events.Type][2]string{
	events.RecommendationIssued:                      {"Ban hành kiến nghị", "Recommendation issued"},
	events.RecommendationReceived:                    {"Xác nhận đã nhận kiến nghị", "Recommendation received"},
	events.RecommendationAcknowledged:                {"Báo đã tiếp nhận, chưa trả lời", "Acknowledged"},
	events.RecommendationResponseSubmitted:           {"Trả lời kiến nghị", "Answer submitted"},
	events.RecommendationExplanationSubmitted:        {"Giải trình bổ sung", "Explanation submitted"},
	events.RecommendationImplementationCommitted:     {"Cam kết thực hiện", "Implementation committed"},
	events.RecommendationImplementationEvidenceAdded: {"Gửi bằng chứng thực hiện", "Implementation evidence"},
	events.RecommendationImplementationVerified:      {"Xác minh kết quả thực hiện", "Implementation verified"},
	events.RecommendationReminderSent:                {"Đôn đốc", "Reminder sent"},
	events.RecommendationEscalated:                   {"Kiến nghị lên cấp trên", "Escalated"},
	events.RecommendationDisputed:                    {"Không đồng ý với trả lời", "Answer disputed"},
	events.RecommendationReviewRequested:             {"Đề nghị xem xét lại", "Review requested"},
	events.RecommendationReviewUpheld:                {"Giữ nguyên kiến nghị", "Review upheld"},
	events.RecommendationAmended:                     {"Sửa đổi kiến nghị", "Recommendation amended"},
	events.RecommendationWithdrawn:                   {"Rút kiến nghị", "Recommendation withdrawn"},
	events.RecommendationClosed:                      {"Kết thúc kiến nghị", "Recommendation closed"},
	events.RecommendationCorrected:                   {"Đính chính", "Correction"},
	"supervision.planned.v1":                         {"Lập kế hoạch cuộc giám sát", "Supervision planned"},
	"supervision.delegation_established.v1":          {"Quyết định thành lập đoàn giám sát", "Delegation established"},
	"supervision.notified.v1":                        {"Thông báo cho đối tượng giám sát", "Subject notified"},
	"supervision.report_outline_sent.v1":             {"Gửi đề cương báo cáo", "Report outline sent"},
	"supervision.subject_report_received.v1":         {"Nhận báo cáo của đối tượng", "Subject's report received"},
	"supervision.document_requested.v1":              {"Đề nghị cung cấp tài liệu", "Documents requested"},
	"supervision.document_provided.v1":               {"Cung cấp tài liệu", "Documents provided"},
	"supervision.document_refused.v1":                {"Từ chối cung cấp tài liệu", "Documents refused"},
	"supervision.session_scheduled.v1":               {"Lên lịch làm việc", "Session scheduled"},
	"supervision.session_held.v1":                    {"Tổ chức cuộc làm việc", "Working session held"},
	"supervision.session_postponed.v1":               {"Hoãn cuộc làm việc", "Session postponed"},
	"supervision.result_report_submitted.v1":         {"Trình báo cáo kết quả giám sát", "Result report submitted"},
	"supervision.result_report_issued.v1":            {"Ban hành báo cáo kết quả giám sát", "Result report issued"},
	"supervision.follow_up_finding_recorded.v1":      {"Ghi nhận kết quả theo dõi kiến nghị", "Follow-up finding"},
	"supervision.postponed.v1":                       {"Tạm hoãn cuộc giám sát", "Supervision postponed"},
	"supervision.resumed.v1":                         {"Tiếp tục cuộc giám sát", "Supervision resumed"},
	"supervision.closed.v1":                          {"Kết thúc cuộc giám sát", "Supervision closed"},
	"supervision.cancelled.v1":                       {"Hủy cuộc giám sát", "Supervision cancelled"},
	"supervision.corrected.v1":                       {"Đính chính", "Correction"},
	"critique.requested.v1":                          {"Tiếp nhận đề nghị phản biện", "Critique requested"},
	"critique.draft_received.v1":                     {"Nhận dự thảo", "Draft received"},
	"critique.information_requested.v1":              {"Đề nghị cung cấp thông tin", "Information requested"},
	"critique.information_provided.v1":               {"Cung cấp thông tin", "Information provided"},
	"critique.conference_held.v1":                    {"Tổ chức hội nghị phản biện", "Conference held"},
	"critique.consultation_sent.v1":                  {"Gửi dự thảo lấy ý kiến", "Consultation sent"},
	"critique.opinion_received.v1":                   {"Nhận ý kiến", "Opinion received"},
	"critique.dialogue_held.v1":                      {"Đối thoại trực tiếp", "Dialogue held"},
	"critique.synthesized.v1":                        {"Tổng hợp ý kiến", "Opinions synthesized"},
	"critique.document_issued.v1":                    {"Ban hành văn bản phản biện", "Critique document issued"},
	"critique.drafter_responded.v1":                  {"Cơ quan soạn thảo tiếp thu, giải trình", "Drafter responded"},
	"critique.forwarded_to_issuer.v1":                {"Chuyển cơ quan ban hành", "Forwarded to the issuer"},
	"critique.draft_adopted.v1":                      {"Dự thảo được thông qua", "Draft adopted"},
	"critique.closed.v1":                             {"Kết thúc phản biện", "Critique closed"},
	"critique.cancelled.v1":                          {"Hủy phản biện", "Critique cancelled"},
	"critique.corrected.v1":                          {"Đính chính", "Correction"},
	"plan.drafted.v1":                                {"Dự thảo kế hoạch", "Plan drafted"},
	"plan.consulted.v1":                              {"Hiệp thương", "Consultation held"},
	"plan.adopted.v1":                                {"Thông qua kế hoạch", "Plan adopted"},
	"plan.item_added.v1":                             {"Thêm nội dung kế hoạch", "Plan item added"},
	"plan.item_dropped.v1":                           {"Bỏ nội dung kế hoạch", "Plan item dropped"},
	"plan.closed.v1":                                 {"Kết thúc kế hoạch", "Plan closed"},
	"plan.corrected.v1":                              {"Đính chính", "Correction"},
	"contribution.collected.v1":                      {"Thu thập ý kiến góp ý", "Opinions collected"},
	"contribution.synthesized.v1":                    {"Tổng hợp ý kiến góp ý", "Opinions synthesized"},
	"contribution.sent.v1":                           {"Gửi văn bản góp ý", "Contribution sent"},
	"contribution.received.v1":                       {"Cơ quan nhận góp ý", "Contribution received"},
	"contribution.responded.v1":                      {"Cơ quan trả lời góp ý", "Contribution answered"},
	"contribution.closed.v1":                         {"Kết thúc góp ý", "Contribution closed"},
	"contribution.corrected.v1":                      {"Đính chính", "Correction"},
	"petition.received.v1":                           {"Tiếp nhận đơn", "Petition received"},
	"petition.classified.v1":                         {"Phân loại đơn", "Petition classified"},
	"petition.forwarded.v1":                          {"Chuyển đơn đến cơ quan có thẩm quyền", "Petition forwarded"},
	"petition.guided.v1":                             {"Hướng dẫn người gửi đơn", "Petitioner guided"},
	"petition.filed.v1":                              {"Lưu đơn", "Petition filed"},
	"petition.accepted.v1":                           {"Cơ quan có thẩm quyền thụ lý", "Petition accepted"},
	"petition.not_accepted.v1":                       {"Không thụ lý", "Petition not accepted"},
	"petition.extended.v1":                           {"Gia hạn giải quyết", "Resolution extended"},
	"petition.resolved.v1":                           {"Giải quyết đơn", "Petition resolved"},
	"petition.result_notified.v1":                    {"Thông báo kết quả giải quyết", "Result notified"},
	"petition.withdrawn.v1":                          {"Người gửi rút đơn", "Petition withdrawn by the petitioner"},
	"petition.second_instance_filed.v1":              {"Khiếu nại lần hai", "Second-instance complaint"},
	"petition.closed.v1":                             {"Kết thúc theo dõi đơn", "Petition closed"},
	"petition.corrected.v1":                          {"Đính chính", "Correction"},
	"info_request.received.v1":                       {"Tiếp nhận yêu cầu cung cấp thông tin", "Information request received"},
	"info_request.validated.v1":                      {"Xem xét yêu cầu hợp lệ", "Request validated"},
	"info_request.rejected.v1":                       {"Từ chối yêu cầu không hợp lệ", "Request rejected"},
	"info_request.timeline_notified.v1":              {"Thông báo thời hạn cung cấp", "Timeline notified"},
	"info_request.extension_notified.v1":             {"Thông báo gia hạn", "Extension notified"},
	"info_request.provided.v1":                       {"Cung cấp thông tin", "Information provided"},
	"info_request.refused.v1":                        {"Từ chối cung cấp thông tin", "Information refused"},
	"info_request.information_corrected.v1":          {"Đính chính thông tin đã cung cấp", "Information corrected"},
	"info_request.closed.v1":                         {"Kết thúc yêu cầu", "Request closed"},
	"info_request.corrected.v1":                      {"Đính chính", "Correction"},
	"unit.registered.v1":                             {"Đăng ký đơn vị hành chính", "Unit registered"},
	"unit.renamed.v1":                                {"Đổi tên đơn vị", "Unit renamed"},
	"unit.reparented.v1":                             {"Đổi đơn vị cấp trên", "Unit moved"},
	"unit.superseded.v1":                             {"Sắp xếp, sáp nhập đơn vị", "Unit superseded"},
	"unit.periodic_hearing_held.v1":                  {"Phiên nghe kết quả giám sát định kỳ", "Periodic hearing held"},
	"unit.reception_session_held.v1":                 {"Buổi tiếp công dân", "Citizen reception held"},
	"unit.corrected.v1":                              {"Đính chính", "Correction"},
	"party.registered.v1":                            {"Đăng ký cơ quan, tổ chức", "Party registered"},
	"party.renamed.v1":                               {"Đổi tên cơ quan", "Party renamed"},
	"party.superior_changed.v1":                      {"Đổi cơ quan cấp trên", "Superior changed"},
	"party.dissolved.v1":                             {"Giải thể cơ quan", "Party dissolved"},
	"party.corrected.v1":                             {"Đính chính", "Correction"},
	"flag.reviewed.v1":                               {"Thanh tra xem xét cảnh báo", "Flag reviewed"},
	"flag.review_revised.v1":                         {"Sửa kết luận xem xét cảnh báo", "Flag review revised"},
	"flag.corrected.v1":                              {"Đính chính", "Correction"},
	"token.created.v1":                               {"Cấp mã truy cập", "Token created"},
	"token.revoked.v1":                               {"Thu hồi mã truy cập", "Token revoked"},
	"admin.rebuild_requested.v1":                     {"Yêu cầu dựng lại dữ liệu xem", "Views rebuild requested"},
}

// fieldText labels payload fields.
var fieldText = map[string][2]string{
	"title": {"Tiêu đề", "Title"}, "topic": {"Nội dung giám sát", "Topic"}, "form": {"Hình thức", "Form"}, "mode": {"Phương thức", "Mode"},
	"scope": {"Loại giám sát", "Scope"}, "subject_party_ids": {"Đối tượng được giám sát (mã cơ quan, mỗi dòng một mã)", "Supervised parties (IDs, one per line)"},
	"chair_party_id": {"Cơ quan chủ trì", "Chairing body"}, "joint_with_party_id": {"Phối hợp với cơ quan", "Joint with"},
	"plan_id": {"Mã kế hoạch", "Plan ID"}, "plan_item_id": {"Mã nội dung kế hoạch", "Plan item ID"},
	"planned_start": {"Ngày dự kiến bắt đầu", "Planned start"}, "planned_end": {"Ngày dự kiến kết thúc", "Planned end"},
	"follow_up_of": {"Giám sát lại cuộc giám sát", "Follow-up of"}, "recommendation_ids": {"Mã các kiến nghị", "Recommendation IDs"},
	"content": {"Nội dung", "Content"}, "source_kind": {"Nguồn kiến nghị", "Source"}, "source_id": {"Mã hồ sơ nguồn", "Source ID"},
	"addressee_party_id": {"Cơ quan nhận kiến nghị", "Addressee"}, "copy_party_ids": {"Nơi nhận để biết (mỗi dòng một mã)", "Copied to (one per line)"},
	"issued_on": {"Ngày ban hành", "Issued on"}, "response_days": {"Số ngày phải trả lời (nếu văn bản quy định)", "Days to answer (if the document sets it)"},
	"received_on": {"Ngày nhận", "Received on"}, "received_by": {"Người nhận", "Received by"}, "acknowledged_on": {"Ngày xác nhận", "Acknowledged on"},
	"note": {"Ghi chú", "Note"}, "responded_on": {"Ngày trả lời", "Answered on"}, "outcome": {"Kết quả trả lời", "Outcome"},
	"text": {"Nội dung trả lời", "Text"}, "explanation": {"Giải trình", "Explanation"}, "planned_actions": {"Biện pháp dự kiến (mỗi dòng một biện pháp)", "Planned actions (one per line)"},
	"commit_due_on": {"Hạn cam kết thực hiện", "Committed by"}, "signed_by": {"Người ký", "Signed by"},
	"redirected_to_party_id": {"Chuyển đến cơ quan", "Redirected to"}, "submitted_on": {"Ngày gửi", "Submitted on"},
	"committed_on": {"Ngày cam kết", "Committed on"}, "due_on": {"Hạn", "Due on"}, "actions": {"Việc sẽ làm (mỗi dòng một việc)", "Actions (one per line)"},
	"evidence": {"Bằng chứng", "Evidence"}, "documents": {"Tài liệu kèm theo (mỗi dòng một tài liệu)", "Documents (one per line)"},
	"verified_on": {"Ngày xác minh", "Verified on"}, "finding": {"Kết luận", "Finding"}, "sent_on": {"Ngày gửi", "Sent on"},
	"escalated_on": {"Ngày kiến nghị lên", "Escalated on"}, "channel": {"Kênh", "Channel"}, "to_party_id": {"Đến cơ quan", "To party"},
	"reason": {"Lý do", "Reason"}, "disputed_on": {"Ngày", "Date"}, "requested_on": {"Ngày đề nghị", "Requested on"},
	"decided_on": {"Ngày quyết định", "Decided on"}, "amended_on": {"Ngày sửa đổi", "Amended on"}, "withdrawn_on": {"Ngày rút", "Withdrawn on"},
	"closed_on": {"Ngày kết thúc", "Closed on"}, "summary": {"Tóm tắt", "Summary"}, "corrects_version": {"Đính chính phiên bản số", "Corrects version"},
	"changes":      {"Nội dung đính chính (JSON: trường → giá trị mới)", "Changes (JSON: field → new value)"},
	"cancelled_on": {"Ngày hủy", "Cancelled on"}, "head": {"Trưởng đoàn", "Head of delegation"}, "members": {"Thành viên (mỗi dòng một người)", "Members (one per line)"},
	"request_id": {"Mã yêu cầu", "Request ID"}, "provided_on": {"Ngày cung cấp", "Provided on"}, "description": {"Mô tả", "Description"},
	"refused_on": {"Ngày từ chối", "Refused on"}, "party_id": {"Cơ quan", "Party"}, "recommendation_id": {"Mã kiến nghị", "Recommendation ID"},
	"status": {"Tình trạng", "Status"}, "notified_on": {"Ngày thông báo", "Notified on"}, "notified_party_ids": {"Cơ quan được thông báo (mỗi dòng một mã)", "Parties notified (one per line)"},
	"postponed_on": {"Ngày hoãn", "Postponed on"}, "requested_by": {"Bên đề nghị", "Requested by"}, "until": {"Đến ngày", "Until"},
	"report_due_on": {"Hạn gửi báo cáo", "Report due on"}, "findings": {"Kết luận (mỗi dòng một ý)", "Findings (one per line)"},
	"resumed_on": {"Ngày tiếp tục", "Resumed on"}, "session_id": {"Mã cuộc làm việc", "Session ID"}, "held_on": {"Ngày tổ chức", "Held on"},
	"place": {"Địa điểm", "Place"}, "participants": {"Thành phần tham dự", "Participants"}, "new_date": {"Ngày mới", "New date"},
	"scheduled_on": {"Ngày dự kiến", "Scheduled on"}, "draft_title": {"Tên dự thảo", "Draft title"}, "drafting_party_id": {"Cơ quan chủ trì soạn thảo", "Drafting agency"},
	"issuer_party_id": {"Cơ quan ban hành", "Issuing authority"}, "submission_on": {"Ngày dự kiến trình", "Submission date"}, "draft_version": {"Phiên bản dự thảo", "Draft version"},
	"chair": {"Chủ trì", "Chair"}, "recipients": {"Nơi gửi (mỗi dòng một nơi)", "Recipients (one per line)"}, "from": {"Từ", "From"},
	"synthesized_on": {"Ngày tổng hợp", "Synthesized on"}, "points": {"Các ý kiến phản biện (JSON)", "Critique points (JSON)"},
	"accepted": {"Các ý được tiếp thu (mỗi dòng một mã)", "Points accepted (one per line)"}, "explained": {"Các ý được giải trình (JSON)", "Points explained (JSON)"},
	"forwarded_on": {"Ngày chuyển", "Forwarded on"}, "adopted_on": {"Ngày thông qua", "Adopted on"}, "year": {"Năm", "Year"},
	"item_id": {"Mã nội dung", "Item ID"}, "activity": {"Hoạt động", "Activity"}, "quarter": {"Quý", "Quarter"}, "chair_org": {"Tổ chức chủ trì", "Chairing organisation"},
	"name": {"Tên", "Name"}, "effective_on": {"Ngày hiệu lực", "Effective on"},
	"replica": {"Máy chủ", "Replica"}, "target_party_id": {"Cơ quan nhận góp ý", "Addressee of the contribution"},
	"collected_on": {"Ngày thu thập", "Collected on"}, "code": {"Mã cảnh báo", "Flag code"}, "verdict": {"Kết luận", "Verdict"},
	"reviewed_on": {"Ngày xem xét", "Reviewed on"}, "extended_days": {"Số ngày gia hạn", "Days extended"},
	"corrected_on": {"Ngày đính chính", "Corrected on"}, "requester": {"Người yêu cầu", "Requester"}, "purpose": {"Mục đích", "Purpose"},
	"reasons": {"Lý do", "Reasons"}, "rejected_on": {"Ngày từ chối", "Rejected on"}, "provide_by": {"Hạn cung cấp", "Provide by"},
	"validated_on": {"Ngày xem xét hợp lệ", "Validated on"}, "complexity": {"Tính chất yêu cầu", "Complexity"},
	"case_complexity": {"Tính chất vụ việc", "Case complexity"}, "conclusion": {"Kết luận nội dung tố cáo", "Conclusion of the denunciation"},
	"successor_id": {"Cơ quan kế thừa", "Successor"}, "basis": {"Căn cứ", "Basis"}, "party_kind": {"Loại cơ quan, tổ chức", "Kind of party"},
	"superior_id": {"Cơ quan cấp trên", "Superior"}, "accepted_on": {"Ngày thụ lý", "Accepted on"}, "classified_on": {"Ngày phân loại", "Classified on"},
	"petition_kind": {"Loại đơn", "Kind of petition"}, "competent_party_id": {"Cơ quan có thẩm quyền giải quyết", "Competent body"},
	"complex": {"Vụ việc phức tạp", "Complex case"}, "remote": {"Vùng sâu, vùng xa, đi lại khó khăn", "Remote area"},
	"extended_on": {"Ngày gia hạn", "Extended on"}, "days": {"Số ngày", "Days"}, "filed_on": {"Ngày lưu đơn", "Filed on"},
	"guided_on": {"Ngày hướng dẫn", "Guided on"}, "guidance": {"Nội dung hướng dẫn", "Guidance"}, "anonymous": {"Đơn nặc danh", "Anonymous"},
	"petitioner": {"Người gửi đơn", "Petitioner"}, "resolved_on": {"Ngày giải quyết", "Resolved on"}, "role": {"Vai trò", "Role"},
	"unit": {"Đơn vị", "Unit"}, "party": {"Cơ quan", "Party"}, "secret_sha256": {"Mã băm của mã truy cập", "Secret's SHA-256"},
	"expires_on": {"Hết hạn ngày", "Expires on"}, "body": {"Cơ quan nghe kết quả", "Hearing body"}, "period": {"Kỳ", "Period"},
	"host": {"Chủ trì tiếp công dân", "Host"}, "host_name": {"Người chủ trì", "Host's name"}, "citizens_count": {"Số lượt công dân", "Citizens received"},
	"petition_ids": {"Mã các đơn (mỗi dòng một mã)", "Petition IDs (one per line)"}, "level": {"Cấp", "Level"},
	"designation": {"Loại đơn vị (xã, phường, thị trấn...)", "Designation"}, "parent_id": {"Đơn vị cấp trên", "Parent unit"},
	"valid_from": {"Có hiệu lực từ", "Valid from"}, "predecessor_ids": {"Các đơn vị trước sáp nhập (mỗi dòng một mã)", "Predecessors (one per line)"},
	"successor_ids":   {"Các đơn vị kế thừa (mỗi dòng một mã)", "Successors (one per line)"},
	"petitioner.name": {"Họ và tên", "Full name"}, "petitioner.address": {"Địa chỉ", "Address"}, "petitioner.phone": {"Điện thoại", "Phone"},
	"petitioner.id_number": {"Số định danh cá nhân", "ID number"}, "petitioner.email": {"Thư điện tử", "Email"},
	"requester.name": {"Họ và tên", "Full name"}, "requester.address": {"Địa chỉ", "Address"}, "requester.phone": {"Điện thoại", "Phone"},
	"requester.id_number": {"Số định danh cá nhân", "ID number"}, "requester.email": {"Thư điện tử", "Email"},
}

// tr returns the text of key in lang.
func tr(lang, key string) string {
	if t, ok := uiText[key]; ok {
		return pick(lang, t)
	}
	return key
}

func pick(lang string, t [2]string) string {
	if lang == "en" {
		return t[1]
	}
	return t[0]
}

// humanize makes "responded_on" read "responded on".
func humanize(s string) string { return strings.ReplaceAll(s, "_", " ") }

func typeLabel(lang string, t events.Type) string {
	if l, ok := typeText[t]; ok {
		return pick(lang, l)
	}
	s := strings.TrimSuffix(string(t), ".v1")
	if _, rest, ok := strings.Cut(s, "."); ok {
		s = rest
	}
	return humanize(s)
}

func fieldLabel(lang, name string) string {
	if l, ok := fieldText[name]; ok {
		return pick(lang, l)
	}
	return humanize(name)
}

func statusLabel(lang, s string) string {
	if l, ok := statusText[s]; ok {
		return pick(lang, l)
	}
	if l, ok := uiText["out."+s]; ok {
		return pick(lang, l)
	}
	return humanize(s)
}

func enumLabel(lang, v string) string {
	if l, ok := enumText[v]; ok {
		return pick(lang, l)
	}
	return v
}

// flagTitle splits the read side's "Vietnamese (English)" flag titles.
func flagTitle(lang, title string) string {
	vi, en, ok := strings.Cut(title, " (")
	if !ok {
		return title
	}
	if lang == "en" {
		return strings.TrimSuffix(en, ")")
	}
	return vi
}

func collectionLabel(lang, c string) string {
	switch c {
	case "supervisions", "recommendations", "critiques":
		return tr(lang, "nav."+c)
	}
	l := map[string][2]string{"units": {"Đơn vị", "Units"}, "parties": {"Cơ quan, tổ chức", "Parties"}, "plans": {"Kế hoạch", "Plans"},
		"contributions": {"Góp ý xây dựng", "Contributions"}, "petitions": {"Đơn thư", "Petitions"}, "info-requests": {"Yêu cầu cung cấp thông tin", "Information requests"}}[c]
	if l[0] == "" {
		return c
	}
	return pick(lang, l)
}
