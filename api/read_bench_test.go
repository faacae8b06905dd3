package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGetItem measures the server's own time for GET of one item
// (authentication, scope, the read model, JSON) through the handler in
// process, from parallel clients: the cost the HTTP figure of
// `ledger bench --views` adds network and client work to. It uses the web
// benchmark's ledger (LEDGER_WEB_BENCH_EVENTS events, default 100,000).
func BenchmarkGetItem(b *testing.B) {
	w := openWebBench(b)
	secret := w.f.Inspector.Secret
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			r := httptest.NewRequest("GET", fmt.Sprintf("/v1/recommendations/kn-%d-0", i%1000), nil)
			r.Header.Set("Authorization", "Bearer "+secret)
			rec := httptest.NewRecorder()
			w.h.ServeHTTP(rec, r)
			if rec.Code != http.StatusOK {
				b.Fatalf("GET: %d %s", rec.Code, rec.Body)
			}
		}
	})
}
