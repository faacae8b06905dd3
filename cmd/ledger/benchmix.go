package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// The mixed workload: a province of 30 districts and 300 communes, and in
// each cycle one supervision of a commune People's Committee through its
// whole lifecycle followed by eight recommendations answered on time, late,
// not at all, explained, implemented, or not even received. About 36 events
// per cycle, so a million events hold about 220,000 recommendations. Every
// event goes through Ledger.Handle: the same validation, lifecycle checks
// and store appends as a request to the API.

const (
	mixDistricts = 30
	mixCommunes  = 10 // per district
	mixRecs      = 8  // per supervision
)

func mixDistrict(d int) string   { return fmt.Sprintf("52d%02d", d) }
func mixCommune(d, c int) string { return fmt.Sprintf("52d%02dc%02d", d, c) }

// mixEvent is one command of the workload.
type mixEvent struct {
	actor events.Actor
	kind  events.Kind
	id    string
	unit  string
	typ   events.Type
	on    string
	doc   *events.DocumentRef
	data  any
}

// benchFillMix writes about n events of the mixed workload into a new data
// folder through Ledger.Handle, from several goroutines.
func benchFillMix(ctx context.Context, dir string, n int, progress io.Writer) error {
	sc := DefaultServeConfig()
	sc.Data, sc.HTTP, sc.Sync, sc.LogLevel = dir, "127.0.0.1:0", "lazy", "error"
	m := NewMain(sc, io.Discard)
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	l := m.Ledger
	admin := events.Actor{Subject: "bench/admin", Role: events.RoleAdmin}
	var written atomic.Int64
	prog := NewProgress(progress, "writing the mixed workload", uint64(n))
	do := func(e mixEvent) error {
		data, err := json.Marshal(e.data)
		if err != nil {
			return err
		}
		t, err := time.Parse(events.DateLayout, e.on)
		if err != nil {
			return err
		}
		_, err = l.Handle(ctx, events.Request{Kind: e.kind, ID: e.id, Create: events.IsCreation(e.typ), Type: e.typ, Data: data,
			OccurredAt: t.Add(time.Hour), Unit: e.unit, DocumentRef: e.doc, Actor: e.actor})
		if err != nil {
			return fmt.Errorf("%s on %s/%s: %w", e.typ, e.kind, e.id, err)
		}
		prog.Update(uint64(written.Add(1)))
		return nil
	}
	unit := func(id, name, parent string, level events.UnitLevel) error {
		return do(mixEvent{actor: admin, kind: events.KindUnit, id: id, typ: events.UnitRegistered, on: "2011-06-01",
			data: events.UnitRegisteredData{Name: name, Level: level, ParentID: parent, ValidFrom: "2011-06-01"}})
	}
	party := func(id, name, unit string, kind events.PartyKind) error {
		return do(mixEvent{actor: admin, kind: events.KindParty, id: id, unit: unit, typ: events.PartyRegistered, on: "2011-06-01",
			data: events.PartyRegisteredData{Name: name, PartyKind: kind}})
	}
	if err := unit("52", "Tỉnh Bình Định", "", events.LevelProvince); err != nil {
		m.Close()
		return err
	}
	for d := range mixDistricts {
		err := errors.Join(unit(mixDistrict(d), fmt.Sprintf("Huyện số %d", d+1), "52", events.LevelDistrict),
			party("mttq-"+mixDistrict(d), fmt.Sprintf("Ủy ban MTTQ Việt Nam huyện số %d", d+1), mixDistrict(d), events.PartyVFFCommittee))
		for c := 0; c < mixCommunes && err == nil; c++ {
			err = errors.Join(unit(mixCommune(d, c), fmt.Sprintf("Xã số %d huyện %d", c+1, d+1), mixDistrict(d), events.LevelCommune),
				party("ubnd-"+mixCommune(d, c), fmt.Sprintf("Ủy ban nhân dân xã số %d huyện %d", c+1, d+1), mixCommune(d, c), events.PartyPeoplesCommittee))
		}
		if err != nil {
			m.Close()
			return err
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for int(written.Load()) < n && ctx.Err() == nil {
				for _, e := range mixCycle(int(next.Add(1)) - 1) {
					if err := do(e); err != nil {
						errc <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		m.Close()
		return err
	}
	head, _ := m.Store.Head(ctx)
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	err := m.Ledger.WaitCheckpoint(wctx, head)
	prog.Done()
	return errors.Join(err, m.Close())
}

// mixCycle returns the events of cycle i in the order they are recorded.
func mixCycle(i int) []mixEvent {
	d, c := i%mixDistricts, (i/mixDistricts)%mixCommunes
	commune, district := mixCommune(d, c), mixDistrict(d)
	subject, chair := "ubnd-"+commune, "mttq-"+district
	recorder := events.Actor{Subject: "bench/recorder", Role: events.RoleRecorder, Unit: "52"}
	respondent := events.Actor{Subject: "bench/" + subject, Role: events.RoleRespondent, Party: subject}
	// Cycles start on successive days from 2023-01-02 and wrap after
	// about three and a half years, so deadlines fall everywhere from long
	// past to still running.
	base := time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i/7)%1240)
	on := func(days int) string { return base.AddDate(0, 0, days).Format(events.DateLayout) }
	date := func(days int) events.Date { return events.Date(on(days)) }
	sid := fmt.Sprintf("gs-%d", i)
	sup := func(a events.Actor, typ events.Type, days int, data any) mixEvent {
		return mixEvent{actor: a, kind: events.KindSupervision, id: sid, typ: typ, on: on(days), data: data}
	}
	out := []mixEvent{
		{actor: recorder, kind: events.KindSupervision, id: sid, unit: commune, typ: events.SupervisionPlanned, on: on(0), data: events.SupervisionPlannedData{
			Title: fmt.Sprintf("Giám sát việc giải quyết khiếu nại, tố cáo tại Ủy ban nhân dân xã, đợt %d", i+1), Topic: "Tiếp công dân, xử lý đơn thư khiếu nại, tố cáo",
			Form: events.FormDelegation, Mode: events.ModeUnscheduled, Scope: events.ScopeThematic, SubjectPartyIDs: []string{subject}, ChairPartyID: chair,
			PlannedStart: date(30), PlannedEnd: date(80)}},
		sup(recorder, events.SupervisionDelegationEstablished, 7, events.DelegationEstablishedData{DecidedOn: date(7), Head: "Phó Chủ tịch Ủy ban MTTQ Việt Nam huyện",
			Members: []string{"Đại diện Hội Liên hiệp Phụ nữ", "Đại diện Hội Nông dân"}}),
		sup(recorder, events.SupervisionNotified, 10, events.SupervisionNotifiedData{NotifiedOn: date(10), NotifiedPartyIDs: []string{subject}}),
		sup(recorder, events.SupervisionReportOutlineSent, 10, events.ReportOutlineSentData{SentOn: date(10), ReportDueOn: date(25)}),
		sup(respondent, events.SupervisionSubjectReportReceived, 24, events.SubjectReportReceivedData{ReceivedOn: date(24), Summary: "Báo cáo kết quả tiếp công dân và xử lý đơn thư."}),
		sup(recorder, events.SupervisionDocumentRequested, 30, events.DocumentRequestedData{RequestID: "so-tiep-dan", PartyID: subject,
			Description: "Sổ tiếp công dân và sổ theo dõi xử lý đơn thư", RequestedOn: date(30), DueOn: date(37)}),
	}
	if i%9 == 0 {
		out = append(out, sup(respondent, events.SupervisionDocumentRefused, 35, events.DocumentRefusedData{RequestID: "so-tiep-dan", RefusedOn: date(35), Reason: "Sổ đang lưu trữ."}))
	} else {
		out = append(out, sup(respondent, events.SupervisionDocumentProvided, 34, events.DocumentProvidedData{RequestID: "so-tiep-dan", ProvidedOn: date(34)}))
	}
	out = append(out,
		sup(recorder, events.SupervisionSessionScheduled, 32, events.SessionScheduledData{SessionID: "1", ScheduledOn: date(45), Place: "Trụ sở Ủy ban nhân dân xã"}),
		sup(recorder, events.SupervisionSessionHeld, 45, events.SessionHeldData{SessionID: "1", HeldOn: date(45), Place: "Trụ sở Ủy ban nhân dân xã",
			Participants: []string{"Đoàn giám sát", "Chủ tịch Ủy ban nhân dân xã"}, Summary: "Sổ theo dõi đơn thư ghi chép chưa đầy đủ."}),
		sup(recorder, events.SupervisionResultReportSubmitted, 55, events.ResultReportSubmittedData{SubmittedOn: date(55), Summary: "Báo cáo của Trưởng đoàn giám sát."}),
		sup(recorder, events.SupervisionResultReportIssued, 60, events.ResultReportIssuedData{IssuedOn: date(60), Summary: "Kết quả giám sát.",
			Findings: []string{"Chưa bố trí đủ 1 ngày/tuần tiếp công dân."}}),
	)
	for k := range mixRecs {
		rid := fmt.Sprintf("kn-%d-%d", i, k)
		rec := func(a events.Actor, typ events.Type, days int, data any) mixEvent {
			return mixEvent{actor: a, kind: events.KindRecommendation, id: rid, typ: typ, on: on(days), data: data}
		}
		answer := func(days int, o events.Outcome, expl string) mixEvent {
			return rec(respondent, events.RecommendationResponseSubmitted, days, events.ResponseSubmittedData{RespondedOn: date(days), Outcome: o,
				Text: "Ủy ban nhân dân xã trả lời kiến nghị.", Explanation: expl, SignedBy: "Chủ tịch Ủy ban nhân dân xã"})
		}
		out = append(out, mixEvent{actor: recorder, kind: events.KindRecommendation, id: rid, unit: commune, typ: events.RecommendationIssued, on: on(62),
			doc: &events.DocumentRef{Number: fmt.Sprintf("%d/KN-MTTQ", i), SignedOn: date(62)},
			data: events.RecommendationIssuedData{SourceKind: events.SourceSupervision, SourceID: sid, AddresseePartyID: subject,
				Title:    fmt.Sprintf("Kiến nghị số %d về công tác tiếp công dân", k+1),
				Content:  "Đề nghị Ủy ban nhân dân xã bố trí tiếp công dân ít nhất 1 ngày mỗi tuần và niêm yết công khai lịch tiếp.",
				IssuedOn: date(62)}})
		if k == 7 {
			continue // issued, not yet received
		}
		out = append(out, rec(respondent, events.RecommendationReceived, 64, events.RecommendationReceivedData{ReceivedOn: date(64), ReceivedBy: "Văn phòng"}))
		switch k {
		case 0, 1:
			out = append(out, answer(75, events.OutcomeAccepted, ""))
		case 2:
			out = append(out, rec(recorder, events.RecommendationReminderSent, 90, events.ReminderSentData{SentOn: date(90)}),
				answer(100, events.OutcomePartiallyAccepted, "Thiếu nhân sự."))
		case 5:
			out = append(out, answer(80, events.OutcomeExplainedNotAccepted, "Đã ủy quyền Phó Chủ tịch tiếp công dân."))
		case 6:
			out = append(out, answer(70, events.OutcomeAccepted, ""),
				rec(respondent, events.RecommendationImplementationCommitted, 70, events.ImplementationCommittedData{CommittedOn: date(70), DueOn: date(120),
					Actions: []string{"Ban hành lịch tiếp công dân"}}),
				rec(respondent, events.RecommendationImplementationEvidenceAdded, 110, events.ImplementationEvidenceData{SubmittedOn: date(110), Evidence: "Đã niêm yết lịch."}),
				rec(recorder, events.RecommendationImplementationVerified, 130, events.ImplementationVerifiedData{VerifiedOn: date(130), Finding: events.FindingImplemented}),
				rec(recorder, events.RecommendationClosed, 130, events.ClosedData{ClosedOn: date(130)}))
		}
		// 3 and 4: received, never answered.
	}
	return out
}
