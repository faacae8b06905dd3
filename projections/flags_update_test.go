package projections_test

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"testing"

	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// The flags updated after each write (see Views.Flags) against views built
// afresh, in the cases the fixtures alone did not reach. (From a review of
// the update: the first three failed or passed unnoticed before.)

// TestOverlapOfSeveralSubjects: two supervisions of the same two subjects
// on one topic overlap once (one MU_OVERLAP, one ID), not once per subject,
// which a full assembly and an update kept different copies of.
func TestOverlapOfSeveralSubjects(t *testing.T) {
	w := newWorld(t)
	sup := func(id, topic, subjects, start, on string) {
		w.rec(events.KindSupervision, id, "540", events.SupervisionPlanned,
			`{"title":"G","topic":"`+topic+`","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":`+subjects+`,"planned_start":"`+start+`"}`, on)
	}
	rec := func(id, unit, party, content, on string, days string) {
		w.rec(events.KindRecommendation, id, unit, events.RecommendationIssued,
			`{"source_kind":"OTHER","addressee_party_id":"`+party+`","title":"K","content":"`+content+`","issued_on":"`+on+`","response_days":`+days+`}`, on)
	}
	received := func(id, on string) {
		w.rec(events.KindRecommendation, id, "", events.RecommendationReceived, `{"received_on":"`+on+`"}`, on)
	}
	rec("kn-6", "21607", "ubnd-21610", "Đề nghị công khai.", "2024-02-08", "8")
	sup("gs-3", "Đất đai", `["ubnd-21607"]`, "2024-03-15", "2024-02-15")
	received("kn-6", "2024-02-21")
	sup("gs-4", "Môi trường", `["ubnd-21607"]`, "2024-03-01", "2024-02-26")
	w.rec(events.KindRecommendation, "kn-6", "", events.RecommendationResponseSubmitted,
		`{"responded_on":"2024-03-19","outcome":"ACCEPTED","text":"Tiếp thu.","commit_due_on":"2024-04-19"}`, "2024-03-19")
	sup("gs-8", "Đất đai", `["ubnd-21607","hdnd-21607"]`, "2024-04-21", "2024-03-24")
	rec("kn-8", "21610", "ubnd-21610", "Đề nghị công khai.", "2024-03-28", "13")
	received("kn-8", "2024-04-09")
	rec("kn-10", "21607", "ubnd-21607", "Đề nghị công khai.", "2024-04-24", "9")
	rec("kn-11", "21610", "ubnd-21610", "Yêu cầu cách chức Chủ tịch.", "2024-04-30", "11")
	received("kn-10", "2024-05-19")
	sup("gs-9", "Môi trường", `["ubnd-21607","hdnd-21607"]`, "2024-06-18", "2024-05-20")
	sup("gs-10", "Đất đai", `["ubnd-21607","hdnd-21607"]`, "2024-06-16", "2024-05-27")
	v := w.build() // flags updated after each event equal fresh views'
	if got := flagsOf(v, "2025-07-01", "supervision/gs-10"); !slices.Equal(got, []string{"MU_OVERLAP"}) {
		t.Errorf("flags of gs-10: %v, want one MU_OVERLAP (with gs-8)", got)
	}
}

// TestRepeatLateKindOrder: a critique's missing answer, recorded before
// three recommendations' to the same party, comes first among the party's
// late answers (as a full assembly reads critiques after recommendations),
// whichever order an update meets them in.
func TestRepeatLateKindOrder(t *testing.T) {
	w := newWorld(t)
	w.critiqueUnanswered("pb-1", "540", "ubnd-21607", "2024-01-05") // adopted 2024-02-05
	w.recommendations(3, "2024-02-01", "2024-02-02")
	if got := flagsOf(w.build(), "2024-06-30", "party/ubnd-21607"); !slices.Equal(got, []string{"OB_REPEAT_LATE"}) {
		t.Fatalf("flags of the party: %v, want OB_REPEAT_LATE", got)
	}
}

// TestRepeatLateWithSupervisionChange: a supervision planned (the update
// reads every item) and a recommendation withdrawn between two
// computations take the party's OB_REPEAT_LATE out.
func TestRepeatLateWithSupervisionChange(t *testing.T) {
	w := newWorld(t)
	w.recommendations(3, "2024-02-01", "2024-02-02")
	const today = events.Date("2024-06-30")
	ctx := context.Background()
	r := projections.NewRunner(w.store, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	u, err := r.Build(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := flagsOf(u, today, "party/ubnd-21607"); !slices.Equal(got, []string{"OB_REPEAT_LATE"}) {
		t.Fatalf("flags of the party: %v, want OB_REPEAT_LATE", got)
	}
	w.rec(events.KindSupervision, "gs-1", "540", events.SupervisionPlanned,
		`{"title":"A","topic":"Đất đai","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21607"],"planned_start":"2024-03-01"}`, "2024-05-01")
	w.rec(events.KindRecommendation, "kn-1", "", events.RecommendationWithdrawn, `{"withdrawn_on":"2024-05-02","reason":"Xong."}`, "2024-05-02")
	if err := r.CatchUp(ctx, u, 0); err != nil {
		t.Fatal(err)
	}
	fresh, err := r.Build(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Flags(today), fresh.Flags(today); !reflect.DeepEqual(got, want) {
		t.Fatalf("updated flags differ from fresh views':\n%v\n%v", got, want)
	}
	if got := flagsOf(u, today, "party/ubnd-21607"); len(got) != 0 {
		t.Errorf("flags of the party after a withdrawal: %v, want none", got)
	}
	if updated, _, _ := projections.FlagComputations(u); updated != 1 {
		t.Errorf("%d updates, want 1", updated)
	}
}

// TestFlagsUpdatedBesideOverlaps: with two supervisions overlapping on two
// subjects, writes of recommendations after a full assembly still update
// the flags, reading only the items changed.
func TestFlagsUpdatedBesideOverlaps(t *testing.T) {
	w := newWorld(t)
	for _, id := range []string{"gs-a", "gs-b"} {
		w.rec(events.KindSupervision, id, "540", events.SupervisionPlanned,
			`{"title":"G","topic":"Đất đai","form":"DOCUMENT_REVIEW","mode":"UNSCHEDULED","scope":"THEMATIC","subject_party_ids":["ubnd-21607","hdnd-21607"],"planned_start":"2024-03-01"}`, "2024-02-01")
	}
	start := w.build().Position()
	for i := range 20 {
		w.rec(events.KindRecommendation, fmt.Sprintf("kx-%d", i), "540", events.RecommendationIssued,
			`{"source_kind":"OTHER","addressee_party_id":"ubnd-21607","title":"K","content":"Yêu cầu cách chức.","issued_on":"2024-02-03"}`, "2024-02-03")
	}
	ctx := context.Background()
	r := projections.NewRunner(w.store, projections.DefaultConfig(), nil, slog.New(slog.DiscardHandler))
	u := projections.NewViews(r.Config())
	if err := r.CatchUp(ctx, u, start); err != nil { // as after a restart: the first computation is full
		t.Fatal(err)
	}
	u.Flags("2024-06-30")
	for pos := start + 1; pos <= start+20; pos++ {
		if err := r.CatchUp(ctx, u, pos); err != nil {
			t.Fatal(err)
		}
		u.Flags("2024-06-30")
	}
	fresh, err := r.Build(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.Flags("2024-06-30"), fresh.Flags("2024-06-30"); !reflect.DeepEqual(got, want) {
		t.Fatalf("updated flags differ from fresh views':\n%v\n%v", got, want)
	}
	if updated, fewer, full := projections.FlagComputations(u); updated != 20 || fewer != 20 || full != 1 {
		t.Errorf("20 writes after a full assembly: %d updates (%d reading the items changed only), %d full", updated, fewer, full)
	}
}
