package api

import (
	_ "embed"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/mttq-vn/ledger/events"
)

// openAPI is the OpenAPI 3.0.3 description of every route, served at
// GET /openapi.json. openapi_test.go validates it and checks real
// responses against it.
//
//go:embed openapi.json
var openAPI []byte

// handleOpenAPI serves GET /openapi.json: the API's OpenAPI document.
// Public.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(openAPI)))
	w.WriteHeader(http.StatusOK)
	w.Write(openAPI)
}

// queryParams are the query parameters of each route the OpenAPI document
// describes, by method and path template ("GET /v1/{collection}"); a
// parameter marked true may be given more than once (an array).
var queryParams = func() map[string]map[string]bool {
	type param struct {
		Ref    string `json:"$ref"`
		Name   string `json:"name"`
		In     string `json:"in"`
		Schema struct {
			Type string `json:"type"`
		} `json:"schema"`
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]param `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		panic("api: openapi.json: " + err.Error()) // openapi_test.go validates it
	}
	out := map[string]map[string]bool{}
	for path, ops := range doc.Paths {
		var common []param
		json.Unmarshal(ops["parameters"], &common)
		for method, raw := range ops {
			if method == "parameters" {
				continue
			}
			var op struct {
				Parameters []param `json:"parameters"`
			}
			json.Unmarshal(raw, &op)
			names := map[string]bool{}
			for _, p := range append(slices.Clone(common), op.Parameters...) {
				if p.Ref != "" {
					p = doc.Components.Parameters[p.Ref[strings.LastIndex(p.Ref, "/")+1:]]
				}
				if p.In == "query" {
					names[p.Name] = p.Schema.Type == "array"
				}
			}
			out[strings.ToUpper(method)+" "+path] = names
		}
	}
	return out
}()

// checkQuery refuses a query parameter the route does not take (a typo
// such as limt=5 was ignored, and the list answered as if it were not
// there), and one given twice that takes one value (the first was used).
// route is "GET /v1/{collection}"; routes the OpenAPI document does not
// describe (the workspace's) are not checked.
func checkQuery(route string, q map[string][]string) error {
	params, ok := queryParams[route]
	if !ok {
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(q)) { // the same one named every time
		vs := q[name]
		multi, ok := params[name]
		field := shorten(name) // the field at fault, not a copy of any length
		switch {
		case !ok && len(params) == 0:
			return events.FieldErrorf(field, "%s takes no query parameters.", route)
		case !ok:
			names := make([]string, 0, len(params))
			for n := range params {
				names = append(names, n)
			}
			slices.Sort(names)
			return events.FieldErrorf(field, "%s is not a parameter of %s (it takes %s).", quoteShort(name), route, strings.Join(names, ", "))
		case !multi && len(vs) > 1:
			return events.FieldErrorf(field, "%s is given %d times: it takes one value.", name, len(vs))
		}
	}
	return nil
}

// quoteShort quotes s for an error message, cut to 64 characters.
func quoteShort(s string) string {
	if short := shorten(s); short != s {
		s = short + "…"
	}
	return strconv.Quote(s)
}

// shorten cuts s to its first 64 characters.
func shorten(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64])
	}
	return s
}
