package projections_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/events/inmem"
	"github.com/mttq-vn/ledger/projections"
)

// world is a real ledger over an in-memory store: every event of a test
// goes through Decide and the store, as in production.
type world struct {
	tb     testing.TB
	store  *inmem.Store
	ledger *events.Ledger
	clock  time.Time
}

var (
	admin     = events.Actor{Subject: "token/admin", Role: events.RoleAdmin}
	recorder  = events.Actor{Subject: "token/recorder", Role: events.RoleRecorder, Unit: "52"}
	inspector = events.Actor{Subject: "token/inspector", Role: events.RoleInspector}
)

func newWorld(tb testing.TB) *world {
	tb.Helper()
	skey, _, err := events.GenerateCheckpointKey("test.example/ledger")
	if err != nil {
		tb.Fatal(err)
	}
	signer, err := events.NewCheckpointSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	w := &world{tb: tb, store: inmem.NewStore(), clock: time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC)}
	w.ledger = events.NewLedger(w.store, signer, "test.example/ledger")
	w.ledger.Now = func() time.Time { return w.clock }
	w.ledger.Logger = slog.New(slog.DiscardHandler)
	w.ledger.CheckpointInterval = 5 * time.Millisecond
	if err := w.ledger.Open(context.Background(), nil); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		w.ledger.Close()
		w.store.Close()
	})
	// A province, a town in it, two communes of the town merged in 2025
	// into a ward; parties in each.
	w.unit("52", "Tỉnh Bình Định", "PROVINCE", "")
	w.unit("540", "Thị xã An Nhơn", "DISTRICT", "52")
	w.unit("21607", "Phường Bình Định", "COMMUNE", "540")
	w.unit("21610", "Xã Nhơn Hậu", "COMMUNE", "540")
	w.unit("99", "Tỉnh khác", "PROVINCE", "")
	w.record(admin, events.KindUnit, "an-nhon-ward", "", events.UnitRegistered,
		`{"name":"Phường An Nhơn","level":"COMMUNE","parent_id":"52","valid_from":"2025-07-01","predecessor_ids":["21607","21610"]}`, "2024-01-02")
	w.party("ubnd-21607", "Ủy ban nhân dân phường Bình Định", "PEOPLES_COMMITTEE", "21607")
	w.party("hdnd-21607", "Hội đồng nhân dân phường Bình Định", "PEOPLES_COUNCIL", "21607")
	w.party("ubnd-21610", "UBND xã Nhơn Hậu", "PEOPLES_COMMITTEE", "21610")
	w.party("cty-abc", "Công ty TNHH ABC", "ENTERPRISE", "21607")
	w.party("so-tnmt-99", "Sở Tài nguyên tỉnh khác", "STATE_BODY", "99")
	w.party("mttq-540", "Ủy ban MTTQ Việt Nam thị xã An Nhơn", "VFF_COMMITTEE", "540")
	return w
}

func (w *world) unit(id, name, level, parent string) {
	data := map[string]any{"name": name, "level": level, "valid_from": "2011-06-01"}
	if parent != "" {
		data["parent_id"] = parent
	}
	b, _ := json.Marshal(data)
	w.record(admin, events.KindUnit, id, "", events.UnitRegistered, string(b), "2011-06-01")
}

func (w *world) party(id, name, kind, unit string) {
	b, _ := json.Marshal(map[string]any{"name": name, "party_kind": kind})
	w.record(admin, events.KindParty, id, unit, events.PartyRegistered, string(b), "2020-01-01")
}

// record records one event and returns its position. on is the legal date
// (occurred_at); the ledger's clock moves to it so recorded_at follows.
func (w *world) record(a events.Actor, kind events.Kind, id, unit string, typ events.Type, data, on string) uint64 {
	w.tb.Helper()
	return w.recordClass(a, kind, id, unit, typ, data, on, "")
}

func (w *world) recordClass(a events.Actor, kind events.Kind, id, unit string, typ events.Type, data, on string, class events.Classification) uint64 {
	w.tb.Helper()
	t, err := time.Parse(events.DateLayout, on)
	if err != nil {
		w.tb.Fatal(err)
	}
	t = t.Add(2 * time.Hour) // 09:00 in Vietnam
	if t.After(w.clock) {
		w.clock = t
	}
	res, err := w.ledger.Handle(context.Background(), events.Request{Kind: kind, ID: id, Create: events.IsCreation(typ), Type: typ,
		Data: json.RawMessage(data), Unit: unit, OccurredAt: t, Actor: a, Classification: class})
	if err != nil {
		w.tb.Fatalf("record %s on %s/%s: %v", typ, kind, id, err)
	}
	return res.Position
}

// critiqueUnanswered records a critique of drafter's draft requested on
// requested: conference, synthesis and critique issued within two weeks,
// then the draft adopted on day 31 (submission planned for day 60) with
// no answer to the critique.
func (w *world) critiqueUnanswered(id, unit, drafter string, requested events.Date) {
	w.tb.Helper()
	on := func(n int) string { return string(projections.AddDays(requested, n)) }
	w.rec(events.KindCritique, id, unit, events.CritiqueRequested,
		fmt.Sprintf(`{"title":"Phản biện quy hoạch chợ","draft_title":"Đề án chợ","drafting_party_id":%q,"form":"CONFERENCE","requested_on":%q}`, drafter, requested), string(requested))
	w.rec(events.KindCritique, id, "", events.CritiqueDraftReceived, fmt.Sprintf(`{"received_on":%q,"submission_on":%q}`, on(1), on(60)), on(1))
	w.rec(events.KindCritique, id, "", events.CritiqueConferenceHeld, fmt.Sprintf(`{"held_on":%q,"chair":"Chủ tịch MTTQ","participants":20}`, on(9)), on(9))
	w.rec(events.KindCritique, id, "", events.CritiqueSynthesized, fmt.Sprintf(`{"synthesized_on":%q,"summary":"Tổng hợp"}`, on(11)), on(11))
	w.rec(events.KindCritique, id, "", events.CritiqueDocumentIssued, fmt.Sprintf(`{"issued_on":%q,"points":[{"point_id":"p1","text":"Cần lấy ý kiến tiểu thương."}]}`, on(14)), on(14))
	w.rec(events.KindCritique, id, "", events.CritiqueDraftAdopted, fmt.Sprintf(`{"adopted_on":%q}`, on(31)), on(31))
}

// recommendations records n recommendations, kn-0 to kn-<n-1>, to
// ubnd-21607 in unit 21607, issued and received on those dates.
func (w *world) recommendations(n int, issued, received string) {
	w.tb.Helper()
	for i := range n {
		id := fmt.Sprintf("kn-%d", i)
		w.rec(events.KindRecommendation, id, "21607", events.RecommendationIssued, fmt.Sprintf(recIssued, issued), issued)
		w.rec(events.KindRecommendation, id, "", events.RecommendationReceived, fmt.Sprintf(`{"received_on":%q}`, received), received)
	}
}

// rec is record by the province's recorder.
func (w *world) rec(kind events.Kind, id, unit string, typ events.Type, data, on string) uint64 {
	w.tb.Helper()
	return w.record(recorder, kind, id, unit, typ, data, on)
}

// legacy stores, as the last event of stream, an event of typ with data
// that the write side once took and now refuses (the views still read
// what the log holds): it copies the stream's last envelope and chains to
// it. The world's ledger does not see it, so the stream takes no more
// events after it.
func (w *world) legacy(stream string, typ events.Type, data string) uint64 {
	w.tb.Helper()
	ctx := context.Background()
	recs, err := w.store.Load(ctx, stream)
	if err != nil || len(recs) == 0 {
		w.tb.Fatalf("load %s: %d records, %v", stream, len(recs), err)
	}
	last := recs[len(recs)-1]
	env, err := events.ParseStored(last.Raw)
	if err != nil {
		w.tb.Fatal(err)
	}
	env.ID, env.Type, env.Version, env.PrevHash, env.Data = fmt.Sprintf("legacy-%d", env.Version+1), typ, env.Version+1, last.Hash().String(), json.RawMessage(data)
	env.IdempotencyKey = ""
	raw, err := env.Marshal()
	if err != nil {
		w.tb.Fatal(err)
	}
	a, err := w.store.Append(ctx, stream, last.Version, events.Pending{ID: env.ID, Raw: raw})
	if err != nil {
		w.tb.Fatal(err)
	}
	return a.Position
}

// build folds the whole log into new views.
func (w *world) build() *projections.Views {
	w.tb.Helper()
	r := projections.NewRunner(w.store, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	v, err := r.Build(context.Background(), 0)
	if err != nil {
		w.tb.Fatal(err)
	}
	// The index of due dates, kept up event by event and rebuilt from a
	// snapshot, agrees with the obligations.
	todays := []events.Date{"2023-01-01", "2024-03-15", "2024-06-30", "2024-12-31", "2025-07-01", "2030-01-01"}
	if err := projections.CheckOwing(v); err != nil {
		w.tb.Fatalf("built views: %v", err)
	}
	if err := projections.CheckTallies(v, todays); err != nil {
		w.tb.Fatalf("built views: %v", err)
	}
	// Flags computed after every event, reusing what items raised
	// before (Item.flagMemo), at two dates in turn (the memo holds one),
	// are those of views built afresh; and so are flags at one date,
	// each computation updating the one before (at each of the dates).
	// Flags computed every third event only are updated from the items
	// changed meanwhile, or, beyond the changes the views record (two
	// here), assembled from every item.
	dates := []events.Date{"2024-06-30", "2025-07-01"}
	inc := projections.NewViews(v.Config())
	upd := []*projections.Views{projections.NewViews(v.Config()), projections.NewViews(v.Config())}
	sparse, bounded := projections.NewViews(v.Config()), projections.NewViews(v.Config())
	projections.LimitTouched(bounded, 2)
	for pos := uint64(1); pos <= v.Position(); pos++ {
		if err := r.CatchUp(context.Background(), inc, pos); err != nil {
			w.tb.Fatal(err)
		}
		for _, u := range append(upd, sparse, bounded) {
			if err := r.CatchUp(context.Background(), u, pos); err != nil {
				w.tb.Fatal(err)
			}
		}
		fresh, err := r.Build(context.Background(), pos)
		if err != nil {
			w.tb.Fatal(err)
		}
		for i, today := range dates {
			want := fresh.Flags(today)
			if got := inc.Flags(today); !reflect.DeepEqual(got, want) {
				w.tb.Fatalf("flags at position %d, %s, computed after each event differ from fresh views':\n%+v\n%+v", pos, today, got, want)
			}
			if got := upd[i].Flags(today); !reflect.DeepEqual(got, want) {
				w.tb.Fatalf("flags at position %d, %s, each computation updating the last, differ from fresh views':\n%+v\n%+v", pos, today, got, want)
			}
		}
		if pos%3 == 0 || pos == v.Position() {
			want := fresh.Flags(dates[0])
			for _, u := range []*projections.Views{sparse, bounded} {
				if got := u.Flags(dates[0]); !reflect.DeepEqual(got, want) {
					w.tb.Fatalf("flags at position %d, %s, computed every third event, differ from fresh views':\n%+v\n%+v", pos, dates[0], got, want)
				}
			}
		}
	}
	// Past the units and parties every fixture registers first (each
	// changes what items' flags are computed with), a good part are
	// updates.
	if updated, _, full := projections.FlagComputations(upd[1]); v.Position() >= 20 && updated < v.Position()/4 {
		w.tb.Errorf("flags at one date after each of %d events: %d updates of the last, %d computed anew", v.Position(), updated, full)
	}
	// A runner opened on the log (no snapshot) indexes once at the end.
	opened := projections.NewRunner(w.store, v.Config(), nil, slog.New(slog.DiscardHandler))
	if err := opened.Open(context.Background()); err != nil {
		w.tb.Fatal(err)
	}
	opened.Read(func(ov *projections.Views) {
		if err := projections.CheckOwing(ov); err != nil {
			w.tb.Fatalf("views of a runner opened on the log: %v", err)
		}
		if err := projections.CheckTallies(ov, todays); err != nil {
			w.tb.Fatalf("views of a runner opened on the log: %v", err)
		}
	})
	opened.Close()
	var b bytes.Buffer
	if err := v.Encode(&b); err != nil {
		w.tb.Fatal(err)
	}
	loaded, err := projections.DecodeViews(&b, v.Config())
	if err != nil {
		w.tb.Fatal(err)
	}
	if err := projections.CheckOwing(loaded); err != nil {
		w.tb.Fatalf("views loaded from a snapshot: %v", err)
	}
	if err := projections.CheckTallies(loaded, todays); err != nil {
		w.tb.Fatalf("views loaded from a snapshot: %v", err)
	}
	return v
}

// flagsOf returns the codes of the flags about subject at today.
func flagsOf(v *projections.Views, today events.Date, subject string) []string {
	var out []string
	for _, f := range v.Flags(today) {
		if f.Subject == subject {
			out = append(out, f.Code)
		}
	}
	slices.Sort(out)
	return out
}

func obligation(t *testing.T, v *projections.Views, stream, rule string, today events.Date) projections.Obligation {
	t.Helper()
	it := v.Item(stream)
	if it == nil {
		t.Fatalf("no item %s", stream)
	}
	for _, o := range v.Obligations(it, today) {
		if o.Rule == rule {
			return o
		}
	}
	t.Fatalf("%s has no %s obligation (has %+v)", stream, rule, v.Obligations(it, today))
	return projections.Obligation{}
}

const recIssued = `{"source_kind":"OTHER","addressee_party_id":"ubnd-21607","title":"Kiến nghị về việc công khai quy hoạch","content":"Đề nghị Ủy ban nhân dân phường công khai quy hoạch sử dụng đất.","issued_on":"%s"}`

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}
