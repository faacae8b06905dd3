package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
)

// DemoCommand fills a running ledger, through its public API, with a
// realistic dataset built on the An Nhơn town plan of 2023 (implementing
// Directive 25-CT/TU of Bình Định): the town and its 15 wards and communes,
// their 2025 successors, MTTQ supervisions of ward People's Committees on
// citizen reception and on the Law on Access to Information, a social
// critique of the draft plan, and recommendations answered on time, late or
// not at all.
type DemoCommand struct {
	Stdout, Stderr io.Writer
}

const demoExample = `  ledger demo --url http://127.0.0.1:8080 --token-file ledger-data/admin.token
  ledger demo --token-file ledger-data/admin.token --scale 20 --out demo-tokens   # 20 rounds per ward`

// Run implements command.
func (c *DemoCommand) Run(ctx context.Context, args []string) error {
	fs := newFlagSet("demo", "Fills a running ledger with the An Nhơn demo dataset through the public API, and writes tokens of\n"+
		"each role (recorder, respondent, inspector, observer) to --out so that every view can be tried.", demoExample, c.Stderr)
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of the ledger")
	tokenFile := fs.String("token-file", "", "file holding an admin token (ledger serve writes DATA/admin.token)")
	out := fs.String("out", "", "folder for the demo's tokens (default: demo-tokens beside --token-file)")
	scale := fs.Int("scale", 1, "rounds of the supervision cycle per ward (1 gives about 420 events, each more about 300)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *scale < 1 || *scale > 100000 {
		fmt.Fprintln(c.Stderr, "ledger demo: --scale must be 1 to 100000")
		return errUsage
	}
	token, err := readToken(*tokenFile)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = filepath.Join(filepath.Dir(*tokenFile), "demo-tokens")
		if *tokenFile == "" {
			*out = "demo-tokens"
		}
	}
	d := &Demo{URL: *url, AdminToken: token, TokenDir: *out, Scale: *scale, Log: c.Stderr}
	start := time.Now()
	if err := d.Run(ctx); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "demo: recorded %d events in %s (log now %d events)\n", d.Events(), time.Since(start).Round(time.Millisecond), d.LastPosition())
	fmt.Fprintf(c.Stdout, "demo: tokens of each role are in %s\n", *out)
	return nil
}

// Demo writes the demo dataset. Tests and benchmarks reuse it.
type Demo struct {
	URL        string
	AdminToken string
	// TokenDir receives a token file per demo role; empty writes none.
	TokenDir string
	// Scale repeats the ward supervision cycle.
	Scale int
	Log   io.Writer

	admin, town, province, annhon *api.Client
	respondents                   map[string]*api.Client // party ID -> client
	mu                            sync.Mutex
	count                         int
	lastPos                       uint64
	prog                          *Progress
}

// Events returns the number of events the demo recorded.
func (d *Demo) Events() int { d.mu.Lock(); defer d.mu.Unlock(); return d.count }

// LastPosition returns the highest log position the demo saw.
func (d *Demo) LastPosition() uint64 { d.mu.Lock(); defer d.mu.Unlock(); return d.lastPos }

// ErrDemoPresent reports that the dataset is already in the ledger.
var ErrDemoPresent = errors.New("the demo dataset is already in this ledger")

// demo units: illustrative codes (the real administrative codes are not
// needed for a demo); names and the 2025 merger follow the public record
// as far as it is known, and are marked as illustrative in README.md.
type demoUnit struct {
	id, name, designation string
	ward                  bool
}

var anNhonUnits = []demoUnit{
	{"21607", "Phường Bình Định", "phường", true}, {"21610", "Phường Đập Đá", "phường", true},
	{"21613", "Phường Nhơn Thành", "phường", true}, {"21616", "Phường Nhơn Hưng", "phường", true},
	{"21619", "Phường Nhơn Hòa", "phường", true}, {"21622", "Xã Nhơn Mỹ", "xã", false},
	{"21625", "Xã Nhơn Hạnh", "xã", false}, {"21628", "Xã Nhơn Phong", "xã", false},
	{"21631", "Xã Nhơn Hậu", "xã", false}, {"21634", "Xã Nhơn An", "xã", false},
	{"21637", "Xã Nhơn Phúc", "xã", false}, {"21640", "Xã Nhơn Khánh", "xã", false},
	{"21643", "Xã Nhơn Lộc", "xã", false}, {"21646", "Xã Nhơn Tân", "xã", false},
	{"21649", "Xã Nhơn Thọ", "xã", false},
}

// successors2025 maps each 2025 unit to the 2023 units merged into it.
var successors2025 = []struct {
	id, name, designation string
	from                  []string
}{
	{"22001", "Phường An Nhơn", "phường", []string{"21607", "21616", "21640"}},
	{"22004", "Phường An Nhơn Đông", "phường", []string{"21610", "21622", "21631"}},
	{"22007", "Phường An Nhơn Nam", "phường", []string{"21619", "21649", "21643"}},
	{"22010", "Phường An Nhơn Bắc", "phường", []string{"21613", "21628", "21625"}},
	{"22013", "Xã An Nhơn Tây", "xã", []string{"21646", "21637", "21634"}},
}

func ubnd(unit string) string { return "ubnd-" + unit }
func mttq(unit string) string { return "mttq-" + unit }

// as returns a client with the admin client's connection settings and
// another token.
func (d *Demo) as(token string) *api.Client {
	c := *d.admin
	c.Token = token
	return &c
}

// Run writes the dataset. It returns ErrDemoPresent if it was written before.
func (d *Demo) Run(ctx context.Context) error {
	if d.Scale < 1 {
		d.Scale = 1
	}
	if d.Log == nil {
		d.Log = io.Discard
	}
	var err error
	if d.admin, err = newAPIClient(d.URL, d.AdminToken); err != nil {
		return err
	}
	if err := d.admin.Ready(ctx); err != nil {
		return fmt.Errorf("the ledger at %s is not ready: %s", d.URL, errorText(err))
	}
	if _, err := d.admin.State(ctx, "units", "540"); err == nil {
		return ErrDemoPresent
	} else if events.ErrorCode(err) != events.ENotFound {
		return err
	}
	if d.TokenDir != "" {
		// The tokens are written after the units and parties: a folder
		// that cannot take them fails now, before the ledger holds half
		// a dataset that a second run would find present.
		if err := writableDir(d.TokenDir); err != nil {
			return fmt.Errorf("the folder for the demo's tokens: %w", err)
		}
	}
	d.prog = NewProgress(d.Log, "demo events", uint64(120+d.Scale*len(anNhonUnits)*20))
	defer d.prog.Done()
	if err := d.units(ctx); err != nil {
		return err
	}
	if err := d.parties(ctx); err != nil {
		return err
	}
	if err := d.tokens(ctx); err != nil {
		return err
	}
	plan, err := d.plan(ctx)
	if err != nil {
		return err
	}
	if err := d.critiques(ctx, plan); err != nil {
		return err
	}
	// The ward cycles are independent: run them side by side.
	errs := make(chan error, len(anNhonUnits))
	sem := make(chan struct{}, 8)
	for i, u := range anNhonUnits {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			for round := 0; round < d.Scale; round++ {
				if err := d.wardCycle(ctx, plan, i, u, round); err != nil {
					errs <- fmt.Errorf("%s, round %d: %w", u.name, round+1, err)
					return
				}
			}
			errs <- nil
		}()
	}
	var first error
	for range anNhonUnits {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	if err := d.townWork(ctx); err != nil {
		return err
	}
	return d.reorganisation2025(ctx)
}

// ev is one event to record.
type ev struct {
	typ   events.Type
	on    string // legal date, YYYY-MM-DD
	unit  string
	class events.Classification
	doc   *events.DocumentRef
	data  any
}

func (d *Demo) record(ctx context.Context, c *api.Client, collection, id string, create bool, e ev) (events.Result, error) {
	data, err := json.Marshal(e.data)
	if err != nil {
		return events.Result{}, err
	}
	req := api.EventRequest{Type: e.typ, Unit: e.unit, Classification: string(e.class), DocumentRef: e.doc, Data: data}
	if e.on != "" {
		req.OccurredAt = e.on + "T08:00:00+07:00"
	}
	sum := sha256.Sum256(data)
	key := fmt.Sprintf("demo/%s/%s/%s/%x", collection, id, e.typ, sum[:8])
	var res events.Result
	for attempt := 0; ; attempt++ {
		if create {
			req.ID = id
			res, err = c.Create(ctx, collection, req, api.WriteOptions{IdempotencyKey: key})
		} else {
			res, err = c.Append(ctx, collection, id, req, api.WriteOptions{IdempotencyKey: key})
		}
		// A dropped connection is retried with the same key: the ledger
		// answers with the first result instead of writing twice.
		if err == nil || events.ErrorCode(err) != events.EInternal || attempt == 3 || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		return res, fmt.Errorf("%s %s/%s: %s", e.typ, collection, id, errorText(err))
	}
	d.mu.Lock()
	d.count++
	d.lastPos = max(d.lastPos, res.Position)
	n := d.count
	d.mu.Unlock()
	d.prog.Update(uint64(n))
	return res, nil
}

func (d *Demo) create(ctx context.Context, c *api.Client, collection, id string, e ev) error {
	_, err := d.record(ctx, c, collection, id, true, e)
	return err
}

func (d *Demo) add(ctx context.Context, c *api.Client, collection, id string, es ...ev) error {
	for _, e := range es {
		if _, err := d.record(ctx, c, collection, id, false, e); err != nil {
			return err
		}
	}
	return nil
}

func (d *Demo) units(ctx context.Context) error {
	reg := func(id, name, designation string, level events.UnitLevel, parent, from string, preds []string, basis string) error {
		return d.create(ctx, d.admin, "units", id, ev{typ: events.UnitRegistered, on: from, data: events.UnitRegisteredData{
			Name: name, Level: level, Designation: designation, ParentID: parent, ValidFrom: events.Date(from), PredecessorIDs: preds, Basis: basis}})
	}
	if err := reg("52", "Tỉnh Bình Định", "tỉnh", events.LevelProvince, "", "1989-07-01", nil, "Nghị quyết ngày 30/6/1989 của Quốc hội"); err != nil {
		return err
	}
	if err := reg("540", "Thị xã An Nhơn", "thị xã", events.LevelDistrict, "52", "2011-06-01", nil, "Nghị quyết 101/NQ-CP ngày 29/12/2010"); err != nil {
		return err
	}
	for _, u := range anNhonUnits {
		if err := reg(u.id, u.name, u.designation, events.LevelCommune, "540", "2011-06-01", nil, ""); err != nil {
			return err
		}
	}
	return nil
}

type demoParty struct {
	id, name string
	kind     events.PartyKind
	unit     string
	superior string
}

func (d *Demo) parties(ctx context.Context) error {
	ps := []demoParty{
		{"ubnd-52", "UBND tỉnh Bình Định", events.PartyPeoplesCommittee, "52", ""},
		{"so-noi-vu-52", "Sở Nội vụ tỉnh Bình Định", events.PartyStateBody, "52", "ubnd-52"},
		{"mttq-52", "Ủy ban MTTQ Việt Nam tỉnh Bình Định", events.PartyVFFCommittee, "52", ""},
		{"ubnd-540", "UBND thị xã An Nhơn", events.PartyPeoplesCommittee, "540", "ubnd-52"},
		{"hdnd-540", "HĐND thị xã An Nhơn", events.PartyPeoplesCouncil, "540", ""},
		{"thi-uy-540", "Thị ủy An Nhơn", events.PartyPartyCommittee, "540", ""},
		{"mttq-540", "Ủy ban MTTQ Việt Nam thị xã An Nhơn", events.PartyVFFCommittee, "540", "mttq-52"},
		{"phong-noi-vu-540", "Phòng Nội vụ thị xã An Nhơn", events.PartyStateBody, "540", "ubnd-540"},
		{"phong-tnmt-540", "Phòng Tài nguyên và Môi trường thị xã An Nhơn", events.PartyStateBody, "540", "ubnd-540"},
		{"hlhpn-540", "Hội Liên hiệp Phụ nữ thị xã An Nhơn", events.PartySocioPoliticalOrg, "540", ""},
		{"hnd-540", "Hội Nông dân thị xã An Nhơn", events.PartySocioPoliticalOrg, "540", ""},
		{"doan-tn-540", "Thị đoàn An Nhơn", events.PartySocioPoliticalOrg, "540", ""},
		{"hccb-540", "Hội Cựu chiến binh thị xã An Nhơn", events.PartySocioPoliticalOrg, "540", ""},
		{"ldld-540", "Liên đoàn Lao động thị xã An Nhơn", events.PartySocioPoliticalOrg, "540", ""},
	}
	for _, u := range anNhonUnits {
		ps = append(ps,
			demoParty{ubnd(u.id), "UBND " + strings.ToLower(u.name[:1]) + u.name[1:], events.PartyPeoplesCommittee, u.id, "ubnd-540"},
			demoParty{mttq(u.id), "Ủy ban MTTQ Việt Nam " + strings.ToLower(u.name[:1]) + u.name[1:], events.PartyVFFCommittee, u.id, "mttq-540"},
			demoParty{"bttnd-" + u.id, "Ban Thanh tra nhân dân " + strings.ToLower(u.name[:1]) + u.name[1:], events.PartyPeoplesInspectionBoard, u.id, ""},
		)
	}
	for _, p := range ps {
		if err := d.create(ctx, d.admin, "parties", p.id, ev{typ: events.PartyRegistered, unit: p.unit,
			data: events.PartyRegisteredData{Name: p.name, PartyKind: p.kind, SuperiorID: p.superior}}); err != nil {
			return err
		}
	}
	return nil
}

// writableDir makes dir if need be and checks that a file can be written
// in it.
func writableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".demo-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// tokens creates the demo's tokens and writes them to TokenDir.
func (d *Demo) tokens(ctx context.Context) error {
	mk := func(file string, req api.TokenRequest) (*api.Client, error) {
		res, err := d.admin.CreateToken(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("create token %s: %s", req.Name, errorText(err))
		}
		if d.TokenDir != "" {
			if err := os.MkdirAll(d.TokenDir, 0o700); err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(d.TokenDir, file), []byte(res.Token+"\n"), 0o600); err != nil {
				return nil, err
			}
		}
		return d.as(res.Token), nil
	}
	var err error
	if d.town, err = mk("recorder-an-nhon.token", api.TokenRequest{Name: "Cán bộ Ủy ban MTTQ thị xã An Nhơn", Role: events.RoleRecorder, Unit: "540"}); err != nil {
		return err
	}
	if d.province, err = mk("recorder-binh-dinh.token", api.TokenRequest{Name: "Cán bộ Ủy ban MTTQ tỉnh Bình Định", Role: events.RoleRecorder, Unit: "52"}); err != nil {
		return err
	}
	if _, err = mk("inspector.token", api.TokenRequest{Name: "Thanh tra viên Ủy ban Kiểm tra Thị ủy", Role: events.RoleInspector}); err != nil {
		return err
	}
	if _, err = mk("observer-an-nhon.token", api.TokenRequest{Name: "Thường trực HĐND thị xã An Nhơn", Role: events.RoleObserver, Unit: "540"}); err != nil {
		return err
	}
	d.respondents = map[string]*api.Client{}
	for _, u := range anNhonUnits {
		c, err := mk("respondent-"+ubnd(u.id)+".token", api.TokenRequest{Name: "Văn phòng UBND " + u.name, Role: events.RoleRespondent, Party: ubnd(u.id)})
		if err != nil {
			return err
		}
		d.respondents[ubnd(u.id)] = c
	}
	c, err := mk("respondent-phong-noi-vu-540.token", api.TokenRequest{Name: "Phòng Nội vụ thị xã An Nhơn", Role: events.RoleRespondent, Party: "phong-noi-vu-540"})
	if err != nil {
		return err
	}
	d.respondents["phong-noi-vu-540"] = c
	c, err = mk("respondent-ubnd-540.token", api.TokenRequest{Name: "Văn phòng HĐND và UBND thị xã An Nhơn", Role: events.RoleRespondent, Party: "ubnd-540"})
	if err != nil {
		return err
	}
	d.respondents["ubnd-540"] = c
	return nil
}

func doc(number, signed string) *events.DocumentRef {
	return &events.DocumentRef{Number: number, SignedOn: events.Date(signed)}
}

// plan records the 2023 supervision and social-critique plan of the town's
// MTTQ committee.
func (d *Demo) plan(ctx context.Context) (string, error) {
	const id = "kh-gs-pb-2023-an-nhon"
	if err := d.create(ctx, d.town, "plans", id, ev{typ: events.PlanDrafted, on: "2023-01-05", unit: "540", data: events.PlanDraftedData{
		Year: 2023, Title: "Kế hoạch giám sát, phản biện xã hội năm 2023 của Ủy ban MTTQ Việt Nam thị xã An Nhơn",
		Content: "Thực hiện Chỉ thị số 25-CT/TU ngày 28/11/2022 của Ban Thường vụ Tỉnh ủy về phát huy vai trò, nâng cao chất lượng, hiệu quả công tác giám sát, phản biện xã hội."}}); err != nil {
		return "", err
	}
	items := []events.PlanItemAddedData{
		{ItemID: "tiep-cong-dan", Activity: events.ActivitySupervision, Topic: "Việc thực hiện Luật Tiếp công dân tại UBND các phường, xã", Form: string(events.FormDelegation), Quarter: 2, ChairOrg: "Ủy ban MTTQ Việt Nam thị xã An Nhơn"},
		{ItemID: "tiep-can-thong-tin", Activity: events.ActivitySupervision, Topic: "Việc thực hiện Luật Tiếp cận thông tin tại UBND các phường", Form: string(events.FormDocumentReview), Quarter: 3, ChairOrg: "Ủy ban MTTQ Việt Nam thị xã An Nhơn"},
		{ItemID: "pb-ke-hoach-25", Activity: events.ActivityCritique, Topic: "Dự thảo Kế hoạch thực hiện Chỉ thị số 25-CT/TU trên địa bàn thị xã", Form: string(events.FormConference), SubjectPartyIDs: []string{"phong-noi-vu-540"}, Quarter: 1, ChairOrg: "Ủy ban MTTQ Việt Nam thị xã An Nhơn"},
		{ItemID: "pb-chinh-trang-do-thi", Activity: events.ActivityCritique, Topic: "Dự thảo Đề án chỉnh trang đô thị giai đoạn 2023-2025", Form: string(events.FormWrittenConsultation), SubjectPartyIDs: []string{"phong-tnmt-540"}, Quarter: 2, ChairOrg: "Ủy ban MTTQ Việt Nam thị xã An Nhơn"},
		{ItemID: "gop-y-chinh-quyen", Activity: events.ActivityContribution, Topic: "Góp ý xây dựng chính quyền: cải cách thủ tục hành chính", Form: string(events.ContribDialogue), Quarter: 4, ChairOrg: "Ủy ban MTTQ Việt Nam thị xã An Nhơn"},
	}
	es := []ev{{typ: events.PlanConsulted, on: "2023-01-12", data: events.PlanConsultedData{HeldOn: "2023-01-12",
		Participants: []string{"Hội Liên hiệp Phụ nữ thị xã", "Hội Nông dân thị xã", "Thị đoàn", "Hội Cựu chiến binh thị xã", "Liên đoàn Lao động thị xã"},
		Summary:      "Hiệp thương thống nhất nội dung, hình thức giám sát, phản biện xã hội năm 2023."}}}
	for _, it := range items {
		es = append(es, ev{typ: events.PlanItemAdded, on: "2023-01-12", data: it})
	}
	es = append(es, ev{typ: events.PlanAdopted, on: "2023-01-16", doc: doc("05/KH-MTTQ-BTT", "2023-01-16"), data: events.PlanAdoptedData{AdoptedOn: "2023-01-16"}})
	return id, d.add(ctx, d.town, "plans", id, es...)
}

// critiques records the social critique of the draft plan implementing
// Directive 25-CT/TU (the seed plan itself), whose draft arrived less than
// 15 days before submission, and a second draft adopted without an answer.
func (d *Demo) critiques(ctx context.Context, plan string) error {
	const id = "pb-du-thao-ke-hoach-25"
	if err := d.create(ctx, d.town, "critiques", id, ev{typ: events.CritiqueRequested, on: "2023-01-20", unit: "540", data: events.CritiqueRequestedData{
		Title: "Phản biện xã hội dự thảo Kế hoạch thực hiện Chỉ thị số 25-CT/TU", DraftTitle: "Dự thảo Kế hoạch của UBND thị xã thực hiện Chỉ thị số 25-CT/TU ngày 28/11/2022",
		DraftingPartyID: "phong-noi-vu-540", IssuerPartyID: "ubnd-540", Form: events.FormConference, PlanID: plan, PlanItemID: "pb-ke-hoach-25", RequestedOn: "2023-01-20"}}); err != nil {
		return err
	}
	noiVu := d.respondents["phong-noi-vu-540"]
	if err := d.add(ctx, noiVu, "critiques", id, ev{typ: events.CritiqueDraftReceived, on: "2023-01-30", data: events.DraftReceivedData{ReceivedOn: "2023-01-30", SubmissionOn: "2023-02-08", DraftVersion: "Dự thảo lần 2"}}); err != nil {
		return err
	}
	if err := d.add(ctx, d.town, "critiques", id,
		ev{typ: events.CritiqueConferenceHeld, on: "2023-02-02", data: events.ConferenceHeldData{HeldOn: "2023-02-02", Chair: "Chủ tịch Ủy ban MTTQ Việt Nam thị xã", Participants: 42,
			Summary: "Phòng Nội vụ trình bày dự thảo; các đại biểu góp ý về trách nhiệm trả lời kiến nghị sau giám sát và chế tài xử lý hành vi cản trở."}},
		ev{typ: events.CritiqueSynthesized, on: "2023-02-03", data: events.SynthesizedData{SynthesizedOn: "2023-02-03", Summary: "Tổng hợp 11 ý kiến, nhóm thành 3 nội dung phản biện."}},
		ev{typ: events.CritiqueDocumentIssued, on: "2023-02-04", doc: doc("12/VB-MTTQ", "2023-02-04"), data: events.CritiqueDocumentIssuedData{IssuedOn: "2023-02-04", Points: []events.CritiquePoint{
			{PointID: "1", Text: "Bổ sung thời hạn cụ thể để các cơ quan trả lời kiến nghị sau giám sát của Mặt trận."},
			{PointID: "2", Text: "Quy định rõ chế tài đối với tổ chức, cá nhân không hợp tác, gây khó khăn, cản trở hoạt động giám sát."},
			{PointID: "3", Text: "Giao Phòng Nội vụ tổng hợp, báo cáo định kỳ 6 tháng kết quả thực hiện kế hoạch."}}}},
	); err != nil {
		return err
	}
	if err := d.add(ctx, noiVu, "critiques", id,
		ev{typ: events.CritiqueDrafterResponded, on: "2023-02-07", doc: doc("25/NV", "2023-02-07"), data: events.DrafterRespondedData{RespondedOn: "2023-02-07", Accepted: []string{"1", "3"},
			Explained: []events.PointExplanation{{PointID: "2", Explanation: "Chế tài xử lý đã được quy định tại các văn bản của cấp trên; kế hoạch dẫn chiếu, không quy định lại."}}}},
		ev{typ: events.CritiqueForwardedToIssuer, on: "2023-02-08", data: events.ForwardedToIssuerData{ForwardedOn: "2023-02-08"}},
		ev{typ: events.CritiqueDraftAdopted, on: "2023-02-15", doc: doc("KH-UBND", "2023-02-15"), data: events.DraftAdoptedData{AdoptedOn: "2023-02-15", Note: "Kế hoạch thực hiện Chỉ thị số 25-CT/TU trên địa bàn thị xã"}},
	); err != nil {
		return err
	}
	if err := d.add(ctx, d.town, "critiques", id, ev{typ: events.CritiqueClosed, on: "2023-02-20", data: events.ClosedData{ClosedOn: "2023-02-20"}}); err != nil {
		return err
	}
	// A draft on the plan adopted without answering the critique
	// (OB_DRAFT_BYPASS).
	const id2 = "pb-du-thao-chinh-trang-do-thi"
	if err := d.create(ctx, d.town, "critiques", id2, ev{typ: events.CritiqueRequested, on: "2023-05-04", unit: "540", data: events.CritiqueRequestedData{
		Title: "Phản biện dự thảo Đề án chỉnh trang đô thị thị xã An Nhơn", DraftTitle: "Dự thảo Đề án chỉnh trang đô thị giai đoạn 2023-2025",
		DraftingPartyID: "phong-tnmt-540", IssuerPartyID: "ubnd-540", Form: events.FormWrittenConsultation, PlanID: plan, PlanItemID: "pb-chinh-trang-do-thi", RequestedOn: "2023-05-04"}}); err != nil {
		return err
	}
	return d.add(ctx, d.town, "critiques", id2,
		ev{typ: events.CritiqueDraftReceived, on: "2023-05-10", data: events.DraftReceivedData{ReceivedOn: "2023-05-10", SubmissionOn: "2023-06-01"}},
		ev{typ: events.CritiqueConsultationSent, on: "2023-05-12", data: events.ConsultationSentData{SentOn: "2023-05-12", Recipients: []string{"Hội Kiến trúc sư tỉnh", "Đại diện hộ dân khu phố Đông", "Hội Cựu chiến binh thị xã"}, DueOn: "2023-05-22"}},
		ev{typ: events.CritiqueOpinionReceived, on: "2023-05-20", data: events.OpinionReceivedData{ReceivedOn: "2023-05-20", From: "Đại diện hộ dân khu phố Đông", Summary: "Đề nghị công khai phương án bồi thường trước khi phê duyệt."}},
		ev{typ: events.CritiqueSynthesized, on: "2023-05-24", data: events.SynthesizedData{SynthesizedOn: "2023-05-24", Summary: "Tổng hợp 6 ý kiến."}},
		ev{typ: events.CritiqueDocumentIssued, on: "2023-05-26", doc: doc("31/VB-MTTQ", "2023-05-26"), data: events.CritiqueDocumentIssuedData{IssuedOn: "2023-05-26", Points: []events.CritiquePoint{
			{PointID: "1", Text: "Công khai phương án bồi thường, hỗ trợ tái định cư trước khi phê duyệt đề án."}}}},
		ev{typ: events.CritiqueDraftAdopted, on: "2023-06-05", data: events.DraftAdoptedData{AdoptedOn: "2023-06-05", Note: "Ban hành khi chưa có văn bản tiếp thu, giải trình ý kiến phản biện."}},
	)
}

// outcome of a ward's recommendation, cycling through the patterns the
// ledger must make visible.
type outcome int

const (
	onTime outcome = iota
	late
	missing
	explained
	implemented
)

// wardCycle records one round of MTTQ supervision of a ward People's
// Committee on citizen reception, its recommendation and the answer.
func (d *Demo) wardCycle(ctx context.Context, plan string, i int, u demoUnit, round int) error {
	year := 2023 + round%2
	y := func(md string) string { return fmt.Sprintf("%d-%s", year, md) }
	sid := fmt.Sprintf("gs-tcd-%s-%d", u.id, round+1)
	subject := ubnd(u.id)
	title := fmt.Sprintf("Giám sát việc thực hiện Luật Tiếp công dân tại UBND %s", strings.ToLower(u.name[:1])+u.name[1:])
	if round > 0 {
		title += fmt.Sprintf(" (đợt %d)", round+1)
	}
	mode, planID, item := events.ModePlanned, plan, "tiep-cong-dan"
	if round > 0 {
		mode, planID, item = events.ModeUnscheduled, "", ""
	}
	if err := d.create(ctx, d.town, "supervisions", sid, ev{typ: events.SupervisionPlanned, on: y("03-01"), unit: u.id, data: events.SupervisionPlannedData{
		Title: title, Topic: "Tiếp công dân, xử lý đơn thư khiếu nại, tố cáo, kiến nghị, phản ánh", Form: events.FormDelegation, Mode: mode, Scope: events.ScopeThematic,
		SubjectPartyIDs: []string{subject}, ChairPartyID: "mttq-540", PlanID: planID, PlanItemID: item, PlannedStart: events.Date(y("04-03")), PlannedEnd: events.Date(y("05-31"))}}); err != nil {
		return err
	}
	es := []ev{
		{typ: events.SupervisionDelegationEstablished, on: y("03-10"), doc: doc(fmt.Sprintf("%d/QĐ-MTTQ", 40+i), y("03-10")), data: events.DelegationEstablishedData{DecidedOn: events.Date(y("03-10")),
			Head: "Phó Chủ tịch Ủy ban MTTQ Việt Nam thị xã", Members: []string{"Đại diện Hội Liên hiệp Phụ nữ thị xã", "Đại diện Hội Nông dân thị xã", "Đại diện Ban Thanh tra nhân dân " + u.name}}},
		{typ: events.SupervisionNotified, on: y("03-15"), data: events.SupervisionNotifiedData{NotifiedOn: events.Date(y("03-15")), NotifiedPartyIDs: []string{subject, "ubnd-540"}}},
		{typ: events.SupervisionReportOutlineSent, on: y("03-15"), data: events.ReportOutlineSentData{SentOn: events.Date(y("03-15")), ReportDueOn: events.Date(y("03-31"))}},
	}
	if err := d.add(ctx, d.town, "supervisions", sid, es...); err != nil {
		return err
	}
	resp := d.respondents[subject]
	kase := outcome((i + round) % 5)
	if kase != missing {
		received := y("03-29")
		if kase == late {
			received = y("04-12") // after the outline's due date
		}
		if err := d.add(ctx, resp, "supervisions", sid, ev{typ: events.SupervisionSubjectReportReceived, on: received, data: events.SubjectReportReceivedData{ReceivedOn: events.Date(received),
			Summary: "Báo cáo kết quả tiếp công dân định kỳ, đột xuất và xử lý đơn thư từ đầu năm."}}); err != nil {
			return err
		}
	}
	if err := d.add(ctx, d.town, "supervisions", sid, ev{typ: events.SupervisionDocumentRequested, on: y("04-03"), data: events.DocumentRequestedData{
		RequestID: "so-tiep-dan", PartyID: subject, Description: "Sổ tiếp công dân và sổ theo dõi xử lý đơn thư năm trước và năm nay", RequestedOn: events.Date(y("04-03")), DueOn: events.Date(y("04-10"))}}); err != nil {
		return err
	}
	if kase == explained {
		if err := d.add(ctx, resp, "supervisions", sid, ev{typ: events.SupervisionDocumentRefused, on: y("04-09"), data: events.DocumentRefusedData{RequestID: "so-tiep-dan", RefusedOn: events.Date(y("04-09")), Reason: "Sổ đang được lưu trữ tại Văn phòng, chưa bố trí được."}}); err != nil {
			return err
		}
	} else if err := d.add(ctx, resp, "supervisions", sid, ev{typ: events.SupervisionDocumentProvided, on: y("04-07"), data: events.DocumentProvidedData{RequestID: "so-tiep-dan", ProvidedOn: events.Date(y("04-07"))}}); err != nil {
		return err
	}
	es = []ev{
		{typ: events.SupervisionSessionScheduled, on: y("04-05"), data: events.SessionScheduledData{SessionID: "1", ScheduledOn: events.Date(y("04-18")), Place: "Trụ sở UBND " + u.name}},
	}
	if kase == late {
		es = append(es, ev{typ: events.SupervisionSessionPostponed, on: y("04-17"), data: events.SessionPostponedData{SessionID: "1", PostponedOn: events.Date(y("04-17")), RequestedBy: events.BySupervisor,
			Reason: "Trùng lịch họp của Ban Thường trực.", NewDate: events.Date(y("04-25"))}})
	}
	es = append(es,
		ev{typ: events.SupervisionSessionHeld, on: y("04-25"), data: events.SessionHeldData{SessionID: "1", HeldOn: events.Date(y("04-25")), Place: "Trụ sở UBND " + u.name,
			Participants: []string{"Đoàn giám sát", "Chủ tịch UBND " + u.name, "Công chức Văn phòng - Thống kê"},
			Summary:      "UBND tổ chức tiếp công dân định kỳ nhưng chưa đủ 1 ngày/tuần theo Điều 15 Luật Tiếp công dân; sổ theo dõi đơn thư ghi chép chưa đầy đủ."}},
		ev{typ: events.SupervisionResultReportSubmitted, on: y("05-08"), data: events.ResultReportSubmittedData{SubmittedOn: events.Date(y("05-08")), Summary: "Báo cáo của Trưởng đoàn giám sát."}},
		ev{typ: events.SupervisionResultReportIssued, on: y("05-12"), doc: doc(fmt.Sprintf("%d/BC-MTTQ", 60+i), y("05-12")), data: events.ResultReportIssuedData{IssuedOn: events.Date(y("05-12")),
			Summary: "Kết quả giám sát việc thực hiện Luật Tiếp công dân.", Findings: []string{"Lịch tiếp công dân chưa được niêm yết công khai.", "Chưa bố trí đủ 1 ngày/tuần tiếp công dân."}}},
	)
	if err := d.add(ctx, d.town, "supervisions", sid, es...); err != nil {
		return err
	}
	rid := fmt.Sprintf("kn-tcd-%s-%d", u.id, round+1)
	if err := d.create(ctx, d.town, "recommendations", rid, ev{typ: events.RecommendationIssued, on: y("05-15"), unit: u.id, doc: doc(fmt.Sprintf("%d/KN-MTTQ", 80+i), y("05-15")),
		data: events.RecommendationIssuedData{SourceKind: events.SourceSupervision, SourceID: sid, AddresseePartyID: subject, CopyPartyIDs: []string{"ubnd-540"},
			Title:    "Bố trí tiếp công dân định kỳ ít nhất 1 ngày mỗi tuần và niêm yết công khai lịch tiếp",
			Content:  "Đề nghị UBND " + u.name + " bố trí Chủ tịch UBND tiếp công dân ít nhất 1 ngày trong tuần theo khoản 2 Điều 15 Luật Tiếp công dân; niêm yết công khai lịch tiếp công dân tại trụ sở và trên cổng thông tin; ghi chép đầy đủ sổ theo dõi đơn thư.",
			IssuedOn: events.Date(y("05-15"))}}); err != nil {
		return err
	}
	if err := d.add(ctx, resp, "recommendations", rid, ev{typ: events.RecommendationReceived, on: y("05-17"), data: events.RecommendationReceivedData{ReceivedOn: events.Date(y("05-17")), ReceivedBy: "Văn phòng UBND"}}); err != nil {
		return err
	}
	answer := func(on string, out events.Outcome, text, expl string) ev {
		return ev{typ: events.RecommendationResponseSubmitted, on: on, doc: doc(fmt.Sprintf("%d/UBND", 100+i), on), data: events.ResponseSubmittedData{
			RespondedOn: events.Date(on), Outcome: out, Text: text, Explanation: expl, SignedBy: "Chủ tịch UBND " + u.name,
			PlannedActions: []string{"Ban hành lịch tiếp công dân mới", "Niêm yết lịch tại bộ phận một cửa"}}}
	}
	switch kase {
	case onTime:
		return d.add(ctx, resp, "recommendations", rid, answer(y("06-02"), events.OutcomeAccepted, "UBND tiếp thu toàn bộ kiến nghị và đã điều chỉnh lịch tiếp công dân.", ""))
	case late:
		if err := d.add(ctx, d.town, "recommendations", rid, ev{typ: events.RecommendationReminderSent, on: y("06-12"), data: events.ReminderSentData{SentOn: events.Date(y("06-12")), Note: "Đôn đốc trả lời kiến nghị quá 20 ngày."}}); err != nil {
			return err
		}
		return d.add(ctx, resp, "recommendations", rid, answer(y("06-28"), events.OutcomePartiallyAccepted, "UBND tiếp thu một phần kiến nghị.", "Chưa bố trí được 1 ngày/tuần do thiếu nhân sự; tạm thời tiếp 2 ngày/tháng."))
	case missing:
		return d.add(ctx, d.town, "recommendations", rid,
			ev{typ: events.RecommendationReminderSent, on: y("06-12"), data: events.ReminderSentData{SentOn: events.Date(y("06-12"))}},
			ev{typ: events.RecommendationEscalated, on: y("07-03"), data: events.EscalatedData{EscalatedOn: events.Date(y("07-03")), Channel: events.EscalateDirectSuperior, ToPartyID: "ubnd-540",
				Reason: "Quá 20 ngày kể từ ngày nhận kiến nghị, UBND " + u.name + " chưa có văn bản trả lời."}})
	case explained:
		return d.add(ctx, resp, "recommendations", rid, answer(y("06-05"), events.OutcomeExplainedNotAccepted, "UBND giải trình, chưa tiếp thu kiến nghị.",
			"Chủ tịch UBND đã ủy quyền Phó Chủ tịch tiếp công dân theo khoản 2 Điều 15; việc niêm yết lịch sẽ thực hiện khi sửa chữa trụ sở xong."))
	default: // implemented and verified
		if err := d.add(ctx, resp, "recommendations", rid,
			answer(y("05-30"), events.OutcomeAccepted, "UBND tiếp thu toàn bộ kiến nghị.", ""),
			ev{typ: events.RecommendationImplementationCommitted, on: y("05-30"), data: events.ImplementationCommittedData{CommittedOn: events.Date(y("05-30")), DueOn: events.Date(y("07-31")),
				Actions: []string{"Ban hành Quyết định về lịch tiếp công dân", "Niêm yết lịch tại trụ sở và trang thông tin điện tử"}}},
			ev{typ: events.RecommendationImplementationEvidenceAdded, on: y("07-20"), data: events.ImplementationEvidenceData{SubmittedOn: events.Date(y("07-20")), Evidence: "Đã ban hành và niêm yết lịch tiếp công dân vào thứ Năm hằng tuần.", Documents: []string{"Quyết định số 210/QĐ-UBND"}}},
		); err != nil {
			return err
		}
		return d.add(ctx, d.town, "recommendations", rid,
			ev{typ: events.RecommendationImplementationVerified, on: y("08-15"), data: events.ImplementationVerifiedData{VerifiedOn: events.Date(y("08-15")), Finding: events.FindingImplemented}},
			ev{typ: events.RecommendationClosed, on: y("08-15"), data: events.ClosedData{ClosedOn: events.Date(y("08-15"))}})
	}
}

// townWork records the town-level work: the Law on Access to Information
// review of the wards, information requests, petitions, a contribution, the
// six-monthly hearing and citizen reception sessions.
func (d *Demo) townWork(ctx context.Context) error {
	// Document review of the Law on Access to Information in three wards.
	for i, u := range anNhonUnits[:3] {
		sid := "gs-tctt-" + u.id
		if err := d.create(ctx, d.town, "supervisions", sid, ev{typ: events.SupervisionPlanned, on: "2023-07-03", unit: u.id, data: events.SupervisionPlannedData{
			Title: "Giám sát việc thực hiện Luật Tiếp cận thông tin tại UBND " + u.name, Topic: "Công khai thông tin theo Điều 17 và cung cấp thông tin theo yêu cầu",
			Form: events.FormDocumentReview, Mode: events.ModePlanned, Scope: events.ScopeThematic, SubjectPartyIDs: []string{ubnd(u.id)}, ChairPartyID: "mttq-540",
			PlanID: "kh-gs-pb-2023-an-nhon", PlanItemID: "tiep-can-thong-tin", PlannedStart: "2023-07-10", PlannedEnd: "2023-08-31"}}); err != nil {
			return err
		}
		if err := d.add(ctx, d.town, "supervisions", sid,
			ev{typ: events.SupervisionNotified, on: "2023-07-05", data: events.SupervisionNotifiedData{NotifiedOn: "2023-07-05", NotifiedPartyIDs: []string{ubnd(u.id)}}},
			ev{typ: events.SupervisionDocumentRequested, on: "2023-07-10", data: events.DocumentRequestedData{RequestID: "danh-muc-tt", PartyID: ubnd(u.id),
				Description: "Danh mục thông tin phải được công khai và sổ theo dõi cung cấp thông tin theo yêu cầu", RequestedOn: "2023-07-10", DueOn: "2023-07-20"}},
		); err != nil {
			return err
		}
		if i != 2 { // the third ward never provides them (OB_DOC_REFUSED by silence)
			if err := d.add(ctx, d.respondents[ubnd(u.id)], "supervisions", sid, ev{typ: events.SupervisionDocumentProvided, on: "2023-07-18", data: events.DocumentProvidedData{RequestID: "danh-muc-tt", ProvidedOn: "2023-07-18"}}); err != nil {
				return err
			}
		}
		if err := d.add(ctx, d.town, "supervisions", sid,
			ev{typ: events.SupervisionResultReportSubmitted, on: "2023-08-21", data: events.ResultReportSubmittedData{SubmittedOn: "2023-08-21", Summary: "Kết quả nghiên cứu, xem xét văn bản."}},
			ev{typ: events.SupervisionResultReportIssued, on: "2023-08-25", data: events.ResultReportIssuedData{IssuedOn: "2023-08-25", Summary: "Chưa lập danh mục thông tin phải được công khai theo Điều 17 Luật Tiếp cận thông tin."}},
			ev{typ: events.SupervisionClosed, on: "2023-09-05", data: events.ClosedData{ClosedOn: "2023-09-05"}},
		); err != nil {
			return err
		}
	}
	// Information requests to ward People's Committees, recorded by them.
	type ir struct {
		unit, id string
		fate     string
	}
	for _, r := range []ir{{"21607", "yc-tt-21607-1", "provided"}, {"21610", "yc-tt-21610-1", "refused"}, {"21613", "yc-tt-21613-1", "silent"}, {"21616", "yc-tt-21616-1", "complex"}} {
		c := d.respondents[ubnd(r.unit)]
		if err := d.create(ctx, c, "info-requests", r.id, ev{typ: events.InfoRequestReceived, on: "2023-09-11", unit: r.unit, data: events.InfoRequestReceivedData{
			Channel: events.InfoPostFax, ReceivedOn: "2023-09-11", Requester: events.Person{Name: "Nguyễn Văn An", Address: "Khu vực Liêm Định, " + r.unit, Phone: "0905 000 111"},
			AddresseePartyID: ubnd(r.unit), Description: "Đề nghị cung cấp quyết định phê duyệt quy hoạch sử dụng đất chi tiết khu dân cư", Purpose: "Tìm hiểu quyền lợi khi thu hồi đất"}}); err != nil {
			return err
		}
		switch r.fate {
		case "provided":
			err := d.add(ctx, c, "info-requests", r.id,
				ev{typ: events.InfoRequestValidated, on: "2023-09-12", data: events.InfoValidatedData{ValidatedOn: "2023-09-12", Complexity: events.Simple}},
				ev{typ: events.InfoRequestProvided, on: "2023-09-15", data: events.InfoProvidedData{ProvidedOn: "2023-09-15", Note: "Gửi bản sao qua đường bưu điện."}},
				ev{typ: events.InfoRequestClosed, on: "2023-09-20", data: events.ClosedData{ClosedOn: "2023-09-20"}})
			if err != nil {
				return err
			}
		case "refused":
			if err := d.add(ctx, c, "info-requests", r.id,
				ev{typ: events.InfoRequestValidated, on: "2023-09-12", data: events.InfoValidatedData{ValidatedOn: "2023-09-12", Complexity: events.Simple}},
				ev{typ: events.InfoRequestRefused, on: "2023-10-02", data: events.InfoRefusedData{RefusedOn: "2023-10-02"}}); err != nil {
				return err
			}
		case "complex":
			if err := d.add(ctx, c, "info-requests", r.id,
				ev{typ: events.InfoRequestValidated, on: "2023-09-12", data: events.InfoValidatedData{ValidatedOn: "2023-09-12", Complexity: events.Complex}},
				ev{typ: events.InfoRequestTimelineNotified, on: "2023-09-14", data: events.InfoTimelineNotifiedData{NotifiedOn: "2023-09-14", ProvideBy: "2023-10-03"}},
				ev{typ: events.InfoRequestExtensionNotified, on: "2023-10-02", data: events.InfoExtensionNotifiedData{NotifiedOn: "2023-10-02", ExtendedDays: 10, Reason: "Thông tin phải tổng hợp từ nhiều cơ quan."}},
				ev{typ: events.InfoRequestProvided, on: "2023-10-12", data: events.InfoProvidedData{ProvidedOn: "2023-10-12"}}); err != nil {
				return err
			}
		}
	}
	// Petitions received by the town MTTQ.
	if err := d.create(ctx, d.town, "petitions", "don-2023-017", ev{typ: events.PetitionReceived, on: "2023-06-06", unit: "21610", data: events.PetitionReceivedData{
		Channel: events.ChannelReception, ReceivedOn: "2023-06-06", PetitionKind: events.PetitionComplaint, Petitioner: &events.Person{Name: "Trần Thị Bình", Address: "Phường Đập Đá"},
		Summary: "Khiếu nại quyết định thu hồi đất để mở rộng đường", Content: "Bà Bình khiếu nại mức bồi thường đất nông nghiệp."}}); err != nil {
		return err
	}
	if err := d.add(ctx, d.town, "petitions", "don-2023-017",
		ev{typ: events.PetitionClassified, on: "2023-06-07", data: events.PetitionClassifiedData{ClassifiedOn: "2023-06-07", PetitionKind: events.PetitionComplaint, CompetentPartyID: ubnd("21610")}},
		ev{typ: events.PetitionForwarded, on: "2023-06-08", data: events.PetitionForwardedData{ForwardedOn: "2023-06-08", ToPartyID: ubnd("21610")}}); err != nil {
		return err
	}
	if err := d.add(ctx, d.respondents[ubnd("21610")], "petitions", "don-2023-017",
		ev{typ: events.PetitionAccepted, on: "2023-06-15", data: events.PetitionAcceptedData{AcceptedOn: "2023-06-15"}},
		ev{typ: events.PetitionResolved, on: "2023-07-12", data: events.PetitionResolvedData{ResolvedOn: "2023-07-12", Outcome: "Công nhận một phần nội dung khiếu nại", Summary: "Điều chỉnh đơn giá bồi thường."}},
		ev{typ: events.PetitionResultNotified, on: "2023-07-17", data: events.PetitionResultNotifiedData{NotifiedOn: "2023-07-17"}}); err != nil {
		return err
	}
	if err := d.create(ctx, d.town, "petitions", "don-2023-021", ev{typ: events.PetitionReceived, on: "2023-06-20", unit: "21619", class: events.Confidential, data: events.PetitionReceivedData{
		Channel: events.ChannelMail, ReceivedOn: "2023-06-20", PetitionKind: events.PetitionDenunciation, Anonymous: true, Summary: "Đơn tố cáo không ghi tên người tố cáo"}}); err != nil {
		return err
	}
	if err := d.add(ctx, d.town, "petitions", "don-2023-021",
		ev{typ: events.PetitionFiled, on: "2023-06-22", class: events.Confidential, data: events.PetitionFiledData{FiledOn: "2023-06-22", Reason: events.FiledAnonymous, Note: "Đơn nặc danh, lưu theo Điều 25 Luật Tố cáo."}},
		ev{typ: events.PetitionClosed, on: "2023-06-22", class: events.Confidential, data: events.ClosedData{ClosedOn: "2023-06-22"}}); err != nil {
		return err
	}
	// A contribution to government building from a dialogue.
	if err := d.create(ctx, d.town, "contributions", "gy-cchc-2023", ev{typ: events.ContributionCollected, on: "2023-10-18", unit: "540", data: events.ContributionCollectedData{
		Form: events.ContribDialogue, Topic: "Cải cách thủ tục hành chính về đất đai", TargetPartyID: "ubnd-540", CollectedOn: "2023-10-18",
		Content: "Hội nghị đối thoại giữa Chủ tịch UBND thị xã với Nhân dân: người dân phản ánh thời gian cấp giấy chứng nhận quyền sử dụng đất kéo dài.",
		PlanID:  "kh-gs-pb-2023-an-nhon", PlanItemID: "gop-y-chinh-quyen"}}); err != nil {
		return err
	}
	if err := d.add(ctx, d.town, "contributions", "gy-cchc-2023",
		ev{typ: events.ContributionSynthesized, on: "2023-10-25", data: events.SynthesizedData{SynthesizedOn: "2023-10-25", Summary: "Tổng hợp 9 ý kiến về thủ tục đất đai."}},
		ev{typ: events.ContributionSent, on: "2023-10-27", doc: doc("45/MTTQ", "2023-10-27"), data: events.ContributionSentData{SentOn: "2023-10-27"}}); err != nil {
		return err
	}
	if err := d.add(ctx, d.respondents["ubnd-540"], "contributions", "gy-cchc-2023",
		ev{typ: events.ContributionReceived, on: "2023-10-30", data: events.ContributionReceivedData{ReceivedOn: "2023-10-30"}},
		ev{typ: events.ContributionResponded, on: "2023-11-20", data: events.ContributionRespondedData{RespondedOn: "2023-11-20", Outcome: events.OutcomeAccepted,
			Text: "UBND thị xã tiếp thu; chỉ đạo Chi nhánh Văn phòng đăng ký đất đai rút ngắn thời gian giải quyết."}}); err != nil {
		return err
	}
	// The People's Council hears the first-half results (Art. 30.1), and
	// a commune chair receives citizens.
	return d.add(ctx, d.town, "units", "540",
		ev{typ: events.UnitPeriodicHearingHeld, on: "2023-07-14", data: events.PeriodicHearingHeldData{Body: events.HearingPeoplesCouncil, Period: "2023-H1", HeldOn: "2023-07-14",
			RecommendationIDs: []string{"kn-tcd-21607-1", "kn-tcd-21610-1"}, Summary: "Kỳ họp thứ 12 HĐND thị xã nghe báo cáo kết quả giám sát 6 tháng đầu năm của Ủy ban MTTQ."}},
	)
}

// reorganisation2025 records the two-level local government reform: the
// town and its wards superseded by five new units under Gia Lai province,
// and a follow-up by the new ward's MTTQ of a recommendation its
// predecessor ward never answered.
func (d *Demo) reorganisation2025(ctx context.Context) error {
	if err := d.create(ctx, d.admin, "units", "64", ev{typ: events.UnitRegistered, on: "2025-07-01", data: events.UnitRegisteredData{
		Name: "Tỉnh Gia Lai", Level: events.LevelProvince, Designation: "tỉnh", ValidFrom: "2025-07-01", PredecessorIDs: []string{"52"}, Basis: "Nghị quyết 202/2025/QH15 ngày 12/6/2025"}}); err != nil {
		return err
	}
	for _, s := range successors2025 {
		if err := d.create(ctx, d.admin, "units", s.id, ev{typ: events.UnitRegistered, on: "2025-07-01", data: events.UnitRegisteredData{
			Name: s.name, Level: events.LevelCommune, Designation: s.designation, ParentID: "64", ValidFrom: "2025-07-01", PredecessorIDs: s.from,
			Basis: "Nghị quyết của Ủy ban Thường vụ Quốc hội về sắp xếp đơn vị hành chính cấp xã năm 2025"}}); err != nil {
			return err
		}
		if err := d.create(ctx, d.admin, "parties", ubnd(s.id), ev{typ: events.PartyRegistered, unit: s.id,
			data: events.PartyRegisteredData{Name: "UBND " + strings.ToLower(s.name[:1]) + s.name[1:], PartyKind: events.PartyPeoplesCommittee}}); err != nil {
			return err
		}
		for _, old := range s.from {
			if err := d.add(ctx, d.admin, "units", old, ev{typ: events.UnitSuperseded, on: "2025-07-01", data: events.UnitSupersededData{
				SuccessorIDs: []string{s.id}, EffectiveOn: "2025-07-01", Basis: "Sắp xếp đơn vị hành chính cấp xã năm 2025"}}); err != nil {
				return err
			}
			if err := d.add(ctx, d.admin, "parties", ubnd(old), ev{typ: events.PartyDissolved, on: "2025-07-01", data: events.PartyDissolvedData{
				EffectiveOn: "2025-07-01", SuccessorID: ubnd(s.id), Basis: "Kết thúc hoạt động khi sắp xếp đơn vị hành chính"}}); err != nil {
				return err
			}
		}
	}
	for _, id := range []string{"540", "52"} {
		succ := []string{"64"}
		if id == "540" {
			succ = nil
			for _, s := range successors2025 {
				succ = append(succ, s.id)
			}
		}
		if err := d.add(ctx, d.admin, "units", id, ev{typ: events.UnitSuperseded, on: "2025-07-01", data: events.UnitSupersededData{
			SuccessorIDs: succ, EffectiveOn: "2025-07-01", Basis: "Luật Tổ chức chính quyền địa phương 72/2025/QH15; Nghị quyết 202/2025/QH15"}}); err != nil {
			return err
		}
	}
	// The MTTQ of a new ward follows up a recommendation that one of its
	// predecessor wards never answered: a recorder of the new ward reaches
	// the old ward's records.
	var open string
	var ward2025 struct{ id, name string }
	for _, s := range successors2025 {
		for _, u := range s.from {
			st, err := d.admin.State(ctx, "recommendations", "kn-tcd-"+u+"-1")
			if err == nil && st.Status == events.RecEscalated && open == "" {
				open, ward2025.id, ward2025.name = st.ID, s.id, s.name
			}
		}
	}
	if open == "" {
		return nil
	}
	tok, err := d.admin.CreateToken(ctx, api.TokenRequest{Name: "Cán bộ Ủy ban MTTQ " + strings.ToLower(ward2025.name[:1]) + ward2025.name[1:], Role: events.RoleRecorder, Unit: ward2025.id})
	if err != nil {
		return fmt.Errorf("create token: %s", errorText(err))
	}
	if d.TokenDir != "" {
		if err := os.WriteFile(filepath.Join(d.TokenDir, "recorder-"+ward2025.id+".token"), []byte(tok.Token+"\n"), 0o600); err != nil {
			return err
		}
	}
	ward := d.as(tok.Token)
	const fid = "gs-lai-2025"
	if err := d.create(ctx, ward, "supervisions", fid, ev{typ: events.SupervisionPlanned, on: "2025-09-02", unit: ward2025.id, data: events.SupervisionPlannedData{
		Title: "Giám sát lại việc thực hiện kiến nghị về tiếp công dân chưa được trả lời", Topic: "Tiếp công dân", Form: events.FormDelegation, Mode: events.ModeUnscheduled,
		Scope: events.ScopeThematic, SubjectPartyIDs: []string{ubnd(ward2025.id)}, PlannedStart: "2025-09-15", FollowUpOf: strings.Replace(open, "kn-tcd-", "gs-tcd-", 1), RecommendationIDs: []string{open}}}); err != nil {
		return err
	}
	return d.add(ctx, ward, "supervisions", fid,
		ev{typ: events.SupervisionNotified, on: "2025-09-05", data: events.SupervisionNotifiedData{NotifiedOn: "2025-09-05", NotifiedPartyIDs: []string{ubnd(ward2025.id)}}},
		ev{typ: events.SupervisionFollowUpFindingRecorded, on: "2025-09-15", data: events.FollowUpFindingData{RecommendationID: open, Status: events.FindingNotImplemented,
			Note: "Đơn vị cũ chưa trả lời; UBND " + strings.ToLower(ward2025.name[:1]) + ward2025.name[1:] + " (đơn vị kế thừa) cam kết xem xét."}})
}
