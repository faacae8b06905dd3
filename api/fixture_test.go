package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/inmem"
	"github.com/mttq-vn/ledger/projections"
)

// fixedNow is the ledger's clock in every test, so recorded_at (and token
// expiry) are deterministic.
var fixedNow = time.Date(2025, 7, 1, 9, 0, 0, 0, time.FixedZone("ICT", 7*60*60))

// testOrigin is the checkpoint origin and key name of the test ledgers.
const testOrigin = "so-cai-giam-sat.test/ledger"

// Units and parties registered by MustOpenServer: a province, a town in it
// and two wards of the town, each ward with its People's Committee.
const (
	unitProvince = "52"
	unitTown     = "540"
	unitWard     = "21607"
	unitOther    = "21610"
	partyWard    = "ubnd-21607"
	partyOther   = "ubnd-21610"
)

// Fixture is a running API server over an in-memory store, with a token of
// every role.
type Fixture struct {
	Store   *heldStore
	Ledger  *events.Ledger
	Views   *projections.Runner
	Server  *api.Server
	Metrics *api.Metrics
	URL     string
	HTTP    *http.Client

	// Admin is the first admin token, made as `ledger serve` makes it.
	Admin *Token
	// Recorder records for unitWard, OtherRecorder for unitOther and
	// TownRecorder for unitTown (and so for both wards).
	Recorder, OtherRecorder, TownRecorder *Token
	// Respondent answers for partyWard.
	Respondent *Token
	Inspector  *Token
	// Observer reads within unitWard.
	Observer *Token
}

// Token is a token's secret, its ID and a client that uses it.
type Token struct {
	ID     string
	Secret string
	// Position is the log position of its token.created.v1 event.
	Position uint64
	*api.Client
}

// MustOpenLedgerServer opens an in-memory store, a ledger with a fixed clock
// and a fast checkpoint cadence, and the API server on a free loopback port,
// with no tokens and nothing in the log. Everything is closed at cleanup.
func MustOpenLedgerServer(tb testing.TB) *Fixture {
	tb.Helper()
	skey, _, err := events.GenerateCheckpointKey(testOrigin)
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := events.NewCheckpointSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	f := &Fixture{Store: &heldStore{Store: inmem.NewStore()}, Metrics: api.NewMetrics(), HTTP: &http.Client{Timeout: 10 * time.Second}}
	f.Ledger = events.NewLedger(f.Store, signer, testOrigin)
	f.Ledger.Now = func() time.Time { return fixedNow }
	f.Ledger.CheckpointInterval = 5 * time.Millisecond
	f.Ledger.Logger = quiet
	f.Ledger.Metrics = f.Metrics
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.Ledger.Open(ctx, nil); err != nil {
		tb.Fatal(err)
	}
	f.Views = projections.NewRunner(f.Store, projections.DefaultConfig(), nil, quiet)
	if err := f.Views.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	f.Server = api.NewServer(f.Ledger, f.Store)
	f.Server.Views = f.Views
	f.Server.Now = func() time.Time { return fixedNow }
	f.Server.Addr = "127.0.0.1:0"
	f.Server.Metrics = f.Metrics
	f.Server.Logger = quiet
	if err := f.Server.Open(); err != nil {
		f.Ledger.Close()
		tb.Fatal(err)
	}
	f.URL = f.Server.URL()
	tb.Cleanup(func() {
		f.HTTP.CloseIdleConnections()
		if err := f.Server.Close(); err != nil {
			tb.Errorf("close server: %v", err)
		}
		if err := f.Ledger.Close(); err != nil {
			tb.Errorf("close ledger: %v", err)
		}
		if err := f.Views.Close(); err != nil {
			tb.Errorf("close views: %v", err)
		}
		f.Store.Close()
	})
	return f
}

// heldStore is an in-memory store whose log readers (the write side's
// follower and the views') can be held back, so that a test reads while a
// write is acknowledged but not yet applied (HoldReaders).
type heldStore struct {
	*inmem.Store
	mu       sync.Mutex
	from     uint64        // hold records from this position (0: none)
	released chan struct{} // closed when the hold ends
}

func (s *heldStore) Follow(ctx context.Context, from uint64, fn func(events.Record) error) error {
	return s.Store.Follow(ctx, from, func(rec events.Record) error {
		s.mu.Lock()
		hold, released := s.from > 0 && rec.Position >= s.from, s.released
		s.mu.Unlock()
		if hold {
			select {
			case <-released:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return fn(rec)
	})
}

// HoldReaders holds back what is appended from now on from the log's
// readers until release (called at cleanup if not before): it is
// acknowledged, but neither the write side's follower nor the views apply
// it.
func (f *Fixture) HoldReaders(tb testing.TB) (release func()) {
	s := f.Store
	s.mu.Lock()
	s.from, s.released = f.Head(tb)+1, make(chan struct{})
	ch := s.released
	s.mu.Unlock()
	var once sync.Once
	release = func() {
		once.Do(func() {
			s.mu.Lock()
			s.from = 0
			s.mu.Unlock()
			close(ch)
		})
	}
	tb.Cleanup(release)
	return release
}

// MustOpenServer is MustOpenLedgerServer with the first admin token
// bootstrapped as cmd/ledger's serve does, units and parties registered
// and a token of every role created through POST /v1/tokens. The setup is
// sequential, so positions are the same in every run.
func MustOpenServer(tb testing.TB) *Fixture {
	tb.Helper()
	f := MustOpenLedgerServer(tb)
	ctx := context.Background()

	// As cmd/ledger/serve.go's bootstrapAdmin does.
	secret, sum := api.NewSecret()
	data, _ := json.Marshal(events.TokenCreatedData{Name: "first admin (created at first start)", Role: events.RoleAdmin, SecretSHA256: sum})
	res, err := f.Ledger.Handle(ctx, events.Request{Kind: events.KindToken, Create: true, Type: events.TokenCreated, Data: data,
		Actor: events.Actor{Subject: "ledger", Role: events.RoleSystem}, Classification: events.Internal})
	if err != nil {
		tb.Fatalf("bootstrap admin: %v", err)
	}
	f.Admin = f.token(res.ID, secret, res.Position)

	for _, u := range []struct{ id, name, level, parent string }{
		{unitProvince, "Tỉnh Bình Định", "PROVINCE", ""},
		{unitTown, "Thị xã An Nhơn", "DISTRICT", unitProvince},
		{unitWard, "Phường Bình Định", "COMMUNE", unitTown},
		{unitOther, "Phường Đập Đá", "COMMUNE", unitTown},
	} {
		f.MustCreate(tb, f.Admin, "units", api.EventRequest{ID: u.id, Type: events.UnitRegistered,
			Data: mustJSON(tb, events.UnitRegisteredData{Name: u.name, Level: events.UnitLevel(u.level), ParentID: u.parent, ValidFrom: "2011-06-01"})})
	}
	for _, p := range []struct{ id, name, unit string }{
		{partyWard, "Ủy ban nhân dân phường Bình Định", unitWard},
		{partyOther, "Ủy ban nhân dân phường Đập Đá", unitOther},
	} {
		f.MustCreate(tb, f.Admin, "parties", api.EventRequest{ID: p.id, Type: events.PartyRegistered, Unit: p.unit,
			Data: mustJSON(tb, events.PartyRegisteredData{Name: p.name, PartyKind: events.PartyPeoplesCommittee})})
	}
	f.Recorder = f.MustCreateToken(tb, api.TokenRequest{Name: "Cán bộ MTTQ phường Bình Định", Role: events.RoleRecorder, Unit: unitWard})
	f.OtherRecorder = f.MustCreateToken(tb, api.TokenRequest{Name: "Cán bộ MTTQ phường Đập Đá", Role: events.RoleRecorder, Unit: unitOther})
	f.TownRecorder = f.MustCreateToken(tb, api.TokenRequest{Name: "Cán bộ MTTQ thị xã An Nhơn", Role: events.RoleRecorder, Unit: unitTown})
	f.Respondent = f.MustCreateToken(tb, api.TokenRequest{Name: "Văn phòng UBND phường Bình Định", Role: events.RoleRespondent, Party: partyWard})
	f.Inspector = f.MustCreateToken(tb, api.TokenRequest{Name: "Thanh tra viên", Role: events.RoleInspector})
	f.Observer = f.MustCreateToken(tb, api.TokenRequest{Name: "Thường trực HĐND phường Bình Định", Role: events.RoleObserver, Unit: unitWard})
	return f
}

// Name names a token in messages by its subject.
func (t *Token) Name() string { return "token/" + t.ID }

func (f *Fixture) token(id, secret string, pos uint64) *Token {
	c := api.NewClient(f.URL, secret)
	return &Token{ID: id, Secret: secret, Position: pos, Client: c}
}

// MustCreateToken creates a token through POST /v1/tokens with the admin
// token.
func (f *Fixture) MustCreateToken(tb testing.TB, req api.TokenRequest) *Token {
	tb.Helper()
	res, err := f.Admin.CreateToken(context.Background(), req)
	if err != nil {
		tb.Fatalf("create %s token: %v", req.Role, err)
	}
	if res.Token == "" || res.ID == "" {
		tb.Fatalf("create %s token: got %+v, want an ID and a secret", req.Role, res)
	}
	return f.token(res.ID, res.Token, res.Position)
}

// MustCreate starts an aggregate through POST /v1/{collection}.
func (f *Fixture) MustCreate(tb testing.TB, t *Token, collection string, req api.EventRequest) events.Result {
	tb.Helper()
	res, err := t.Create(context.Background(), collection, req, api.WriteOptions{})
	if err != nil {
		tb.Fatalf("POST /v1/%s %s: %v", collection, req.Type, err)
	}
	return res
}

// MustAppend records an event through POST /v1/{collection}/{id}/events.
func (f *Fixture) MustAppend(tb testing.TB, t *Token, collection, id string, req api.EventRequest) events.Result {
	tb.Helper()
	res, err := t.Append(context.Background(), collection, id, req, api.WriteOptions{})
	if err != nil {
		tb.Fatalf("POST /v1/%s/%s/events %s: %v", collection, id, req.Type, err)
	}
	return res
}

// MustIssue issues, with t, the recommendation id of unit to the party
// addressee.
func (f *Fixture) MustIssue(tb testing.TB, t *Token, id, unit, addressee string) events.Result {
	tb.Helper()
	return f.MustCreate(tb, t, "recommendations", issueRequest(id, unit, addressee))
}

// MustDenunciation records, as the ward's recorder, the denunciation id
// (the petitioner named), classified and forwarded to the ward's People's
// Committee (the respondent's party), and returns its receipt.
func (f *Fixture) MustDenunciation(tb testing.TB, id string) events.Result {
	tb.Helper()
	res := f.MustCreate(tb, f.Recorder, "petitions", api.EventRequest{ID: id, Type: events.PetitionReceived, Unit: unitWard, OccurredAt: "2023-03-14T08:00:00+07:00",
		Data: json.RawMessage(`{"channel":"MAIL","received_on":"2023-03-14","petition_kind":"DENUNCIATION","anonymous":false,"petitioner":{"name":"Trần Thị Tố"},"summary":"Tố cáo cán bộ địa chính"}`)})
	f.MustAppend(tb, f.Recorder, "petitions", id, api.EventRequest{Type: events.PetitionClassified, OccurredAt: "2023-03-15T08:00:00+07:00",
		Data: json.RawMessage(fmt.Sprintf(`{"classified_on":"2023-03-15","petition_kind":"DENUNCIATION","competent_party_id":%q,"complex":false,"remote":false}`, partyWard))})
	f.MustAppend(tb, f.Recorder, "petitions", id, api.EventRequest{Type: events.PetitionForwarded, OccurredAt: "2023-03-16T08:00:00+07:00",
		Data: json.RawMessage(fmt.Sprintf(`{"forwarded_on":"2023-03-16","to_party_id":%q}`, partyWard))})
	return res
}

// Head returns the store's log size: the authority on whether anything was
// written.
func (f *Fixture) Head(tb testing.TB) uint64 {
	tb.Helper()
	n, err := f.Store.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// MustWaitCheckpoint waits (bounded) until a signed checkpoint covers the
// whole log and the views hold it, and returns the log's size.
func (f *Fixture) MustWaitCheckpoint(tb testing.TB) uint64 {
	tb.Helper()
	head := f.Head(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.Ledger.WaitCheckpoint(ctx, head); err != nil {
		tb.Fatalf("wait for a checkpoint of size %d: %v", head, err)
	}
	if err := f.Views.WaitPosition(ctx, head); err != nil {
		tb.Fatalf("wait for the views to reach position %d: %v", head, err)
	}
	return head
}

// MustWaitApplied waits (bounded) until the ledger and the views follow
// the whole log.
func (f *Fixture) MustWaitApplied(tb testing.TB) uint64 {
	tb.Helper()
	head := f.Head(tb)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.Ledger.WaitApplied(ctx, head); err != nil {
		tb.Fatalf("wait for position %d to be applied: %v", head, err)
	}
	// And by the views, which pages and reads without min_position show
	// (they lag the write side a moment, longer on a loaded machine).
	if err := f.Views.WaitPosition(ctx, head); err != nil {
		tb.Fatalf("wait for the views to reach position %d: %v", head, err)
	}
	return head
}

// Reply is a raw HTTP response, body read.
type Reply struct {
	Status  int
	Header  http.Header
	Trailer http.Header
	Body    []byte
}

// Do sends a request with the bearer secret (none if empty). body is sent
// as is if it is a []byte or a string, as JSON otherwise, and not at all if
// nil. header lists extra header names and values in pairs.
func (f *Fixture) Do(tb testing.TB, method, path, secret string, body any, header ...string) Reply {
	tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	case string:
		r = strings.NewReader(b)
	default:
		r = bytes.NewReader(mustJSON(tb, b))
	}
	req, err := http.NewRequest(method, f.URL+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := f.HTTP.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return Reply{Status: resp.StatusCode, Header: resp.Header, Trailer: resp.Trailer, Body: b}
}

// MustError checks that r is an error response with status, code and field
// (field "" means the body names none), and returns its detail.
func MustError(tb testing.TB, r Reply, status int, code, field string) api.ErrorDetail {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status: got %d, want %d (body %s)", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type: got %q, want application/json", ct)
	}
	var eb api.ErrorBody
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&eb); err != nil {
		tb.Fatalf("error body %s: %v", r.Body, err)
	}
	if eb.Error.Code != code || eb.Error.Field != field {
		tb.Errorf("error: got code %q field %q, want code %q field %q (message %q)", eb.Error.Code, eb.Error.Field, code, field, eb.Error.Message)
	}
	if eb.Error.Message == "" {
		tb.Errorf("error message: got \"\", want a message")
	}
	if status == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") == "" {
		tb.Errorf("WWW-Authenticate: got none on a 401")
	}
	return eb.Error
}

// MustResult decodes a write's 201 response.
func MustResult(tb testing.TB, r Reply) events.Result {
	tb.Helper()
	if r.Status != http.StatusCreated {
		tb.Fatalf("status: got %d, want 201 (body %s)", r.Status, r.Body)
	}
	var res events.Result
	if err := json.Unmarshal(r.Body, &res); err != nil {
		tb.Fatalf("result %s: %v", r.Body, err)
	}
	return res
}

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// issueRequest is the body that issues a recommendation.
func issueRequest(id, unit, addressee string) api.EventRequest {
	return api.EventRequest{ID: id, Type: events.RecommendationIssued, Unit: unit, OccurredAt: "2023-03-10T08:00:00+07:00",
		Data: json.RawMessage(fmt.Sprintf(`{"source_kind":"OTHER","addressee_party_id":%q,"title":"Kiến nghị về tiếp công dân",`+
			`"content":"Đề nghị UBND phường bố trí lịch tiếp công dân định kỳ và công khai tại trụ sở.","issued_on":"2023-03-10"}`, addressee))}
}

// Bodies of recommendation events that follow the issue.
var (
	receivedRequest = api.EventRequest{Type: events.RecommendationReceived, OccurredAt: "2023-03-12T08:00:00+07:00",
		Data: json.RawMessage(`{"received_on":"2023-03-12"}`)}
	reminderRequest = api.EventRequest{Type: events.RecommendationReminderSent,
		Data: json.RawMessage(`{"sent_on":"2023-03-20"}`)}
	responseRequest = api.EventRequest{Type: events.RecommendationResponseSubmitted, OccurredAt: "2023-04-01T08:00:00+07:00",
		Data: json.RawMessage(`{"responded_on":"2023-04-01","outcome":"ACCEPTED","text":"UBND phường tiếp thu, đã bố trí lịch tiếp công dân vào thứ Năm hằng tuần."}`)}
)
