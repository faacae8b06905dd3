package api_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mttq-vn/ledger/api"
	"github.com/mttq-vn/ledger/events"
	"github.com/mttq-vn/ledger/projections"
)

// TestItemJSONOfViews: the items the views make, of every collection,
// whole and redacted for observers (a confidential event, personal data),
// are written by hand as encoding/json writes them, one by one and as a
// list. A record confidential from its first event is withheld from
// observers (projections.Redaction.Withholds).
func TestItemJSONOfViews(t *testing.T) {
	f := MustOpenServer(t)
	fillLedger(t, f, 3000)
	f.MustIssue(t, f.Recorder, "rec-1", unitWard, partyWard)
	f.MustAppend(t, f.Recorder, "recommendations", "rec-1", receivedRequest)
	confidential := reminderRequest
	confidential.Classification = "confidential"
	f.MustAppend(t, f.Recorder, "recommendations", "rec-1", confidential)
	f.MustAppend(t, f.Respondent, "recommendations", "rec-1", responseRequest)
	secret := issueRequest("rec-secret", unitWard, partyWard) // withheld whole from observers
	secret.Classification = "confidential"
	f.MustCreate(t, f.Recorder, "recommendations", secret)
	f.MustAppend(t, f.Recorder, "recommendations", "rec-secret", receivedRequest)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.Views.WaitPosition(ctx, f.Head(t)); err != nil {
		t.Fatal(err)
	}
	std := func(v any) []byte {
		b, err := api.StdJSON(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	today := projections.Today(time.Now())
	kinds, items, redacted, withheld := map[events.Kind]bool{}, 0, 0, 0
	f.Views.Read(func(v *projections.Views) {
		for _, kind := range api.Collections {
			its, _ := v.List(projections.Query{Kind: kind, Limit: 1 << 30, Today: today})
			for _, redact := range []projections.Redaction{0, projections.HideConfidential, projections.HideConfidential | projections.HidePersonal} {
				list := api.ListResponse{Items: []api.ItemResponse{}, NextCursor: "7", Position: v.Position()}
				for _, it := range its {
					r := api.ItemResponse{ItemView: v.View(it, today, redact), LastPosition: it.Updated}
					rec := httptest.NewRecorder()
					api.WriteItem(rec, &r)
					if want := std(r); !bytes.Equal(rec.Body.Bytes(), want) {
						t.Fatalf("%s (redacted %v):\n got %s\nwant %s", it.Stream(), redact, rec.Body.Bytes(), want)
					}
					list.Items = append(list.Items, r)
					kinds[kind], items = true, items+1
					if len(r.Redacted) > 0 {
						redacted++
					}
					if len(r.Withheld) > 0 {
						withheld++
					}
				}
				rec := httptest.NewRecorder()
				api.WriteList(rec, &list)
				if want := std(list); !bytes.Equal(rec.Body.Bytes(), want) {
					t.Fatalf("the list of %s (redacted %v) differs from encoding/json's", kind, redact)
				}
			}
		}
	})
	if len(kinds) < 4 || items < 1000 || redacted == 0 || withheld == 0 {
		t.Fatalf("compared %d items of %d kinds, %d with redacted fields, %d withheld: the ledger is not what the test needs", items, len(kinds), redacted, withheld)
	}
}
