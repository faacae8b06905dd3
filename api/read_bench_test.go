package api_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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

// BenchmarkGetItemHTTP is BenchmarkGetItem over loopback HTTP/1.1: the
// server's whole cost (net/http, middleware, routing, handler), each
// parallel client a keep-alive connection that writes its request and
// reads the answer by its Content-Length, as a lean load generator would.
func BenchmarkGetItemHTTP(b *testing.B) {
	w := openWebBench(b)
	b.Run("item", func(b *testing.B) {
		benchRawHTTP(b, w.f.URL, w.f.Inspector.Secret, func(i int) string { return fmt.Sprintf("/v1/recommendations/kn-%d-0", i%1000) })
	})
	b.Run("healthz", func(b *testing.B) {
		benchRawHTTP(b, w.f.URL, w.f.Inspector.Secret, func(int) string { return "/healthz" })
	})
}

func benchRawHTTP(b *testing.B, base, secret string, path func(int) string) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			b.Error(err)
			return
		}
		defer conn.Close()
		br := bufio.NewReaderSize(conn, 64<<10)
		var req []byte
		body := make([]byte, 0, 64<<10)
		for i := 0; pb.Next(); i++ {
			req = append(append(append(append(req[:0], "GET "...), path(i)...), " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "...), secret...)
			req = append(req, "\r\n\r\n"...)
			if _, err := conn.Write(req); err != nil {
				b.Error(err)
				return
			}
			status, err := br.ReadSlice('\n')
			if err != nil || !bytes.HasPrefix(status, []byte("HTTP/1.1 200")) {
				b.Errorf("GET %s: %q %v", path(i), status, err)
				return
			}
			n := -1
			for {
				h, err := br.ReadSlice('\n')
				if err != nil {
					b.Error(err)
					return
				}
				if len(h) <= 2 {
					break
				}
				if k, v, ok := bytes.Cut(h, []byte(":")); ok && strings.EqualFold(string(k), "Content-Length") {
					n, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
				}
			}
			if n < 0 || n > cap(body) {
				b.Errorf("GET %s: Content-Length %d", path(i), n)
				return
			}
			if _, err := io.ReadFull(br, body[:n]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
