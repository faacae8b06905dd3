package events

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkWriteChecks: what the checks a write got in the thirteenth
// session cost: the fact dates of a payload (reflection over cached field
// indexes) and a JSON body's duplicate keys (a token walk), for a
// recommendation's issue (BENCHMARKS.md).
func BenchmarkWriteChecks(b *testing.B) {
	body := []byte(`{"type":"recommendation.issued.v1","unit":"21607","occurred_at":"2023-03-10T08:00:00+07:00","data":{"source_kind":"OTHER","addressee_party_id":"ubnd-21607","title":"Kiến nghị về tiếp công dân","content":"Đề nghị UBND phường bố trí lịch tiếp công dân định kỳ và công khai tại trụ sở.","issued_on":"2023-03-10"}}`)
	p, err := DecodePayload(RecommendationIssued, body[bytes.Index(body, []byte(`"data":`))+7:len(body)-1])
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	b.Run("FactDates", func(b *testing.B) {
		for b.Loop() {
			if err := checkFactDates(p, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DuplicateKey", func(b *testing.B) {
		for b.Loop() {
			if _, dup := DuplicateKey(body); dup {
				b.Fatal("duplicate")
			}
		}
	})
	b.Run("DateOrder", func(b *testing.B) { // the twenty-second session's: checkDateOrder and setDateAnchor of an answer
		answer, err := DecodePayload(RecommendationResponseSubmitted, []byte(`{"responded_on":"2023-03-20","outcome":"ACCEPTED","text":"Tiếp thu."}`))
		if err != nil {
			b.Fatal(err)
		}
		s := NewState(KindRecommendation, "kn-1")
		setDateAnchor(s, RecommendationIssued, p)
		for b.Loop() {
			if err := checkDateOrder(s.kind, &s.days, RecommendationResponseSubmitted, answer); err != nil {
				b.Fatal(err)
			}
			setDateAnchor(s, RecommendationResponseSubmitted, answer)
		}
	})
	b.Run("DecodePayload", func(b *testing.B) { // for scale: what every write did already
		data := body[bytes.Index(body, []byte(`"data":`))+7 : len(body)-1]
		for b.Loop() {
			if _, err := DecodePayload(RecommendationIssued, data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
