package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The bench's lean client reads answers by their length, one after the
// other on its connection, sends the token, and fails on anything but 200
// with a length.
func TestLeanClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			w.Write([]byte("y"))
		case "/missing":
			http.NotFound(w, r)
		default:
			body := strings.Repeat("é", len(r.URL.Path))
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.Write([]byte(body))
		}
	}))
	defer srv.Close()
	c, err := leanClient(srv.URL, "tok")
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for _, path := range []string{"/a", "/abcdefgh", "/", "/abc"} {
		if d, err := c.get(path); err != nil || d <= 0 {
			t.Fatalf("GET %s: %v, %v", path, d, err)
		}
	}
	if _, err := c.get("/missing"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("GET of a missing path: %v, want a 404 error", err)
	}
	c2, _ := leanClient(srv.URL, "tok")
	defer c2.close()
	if _, err := c2.get("/chunked"); err == nil {
		t.Error("an answer without a length was read")
	}
	c3, _ := leanClient(srv.URL, "other")
	defer c3.close()
	if _, err := c3.get("/a"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("GET with another token: %v, want a 401 error", err)
	}
}
