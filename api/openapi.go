package api

import (
	_ "embed"
	"net/http"
	"strconv"
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
