package saml_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/saml"
)

// Starts and answers are rate-limited per client like the OIDC door's.
func TestRateLimited(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		h, err := saml.NewHandler(saml.Config{Directory: d, Box: newBox(t), BaseURL: "https://roster.example", RatePerMinute: 2})
		if err != nil {
			t.Fatal(err)
		}
		codes := []int{}
		for range 3 {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/saml/nope/acs", nil))
			codes = append(codes, w.Code)
		}
		if codes[0] != http.StatusNotFound || codes[1] != http.StatusNotFound || codes[2] != http.StatusTooManyRequests {
			t.Fatalf("answers = %v, want 404 404 429", codes)
		}
	})
}
