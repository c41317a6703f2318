package admin

import (
	_ "embed"
	"encoding/json"
	"net/http"
)

// openAPIDocument describes every route of the API (OpenAPI 3.1).
// TestOpenAPIMatchesRoutes fails when it and the routes disagree.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI serves the document as it is embedded.
func (a *API) openAPI(c *call) (int, any, error) {
	return http.StatusOK, json.RawMessage(openAPIDocument), nil
}
