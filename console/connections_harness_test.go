package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/scim"
)

// scimRoster is a roster whose server also serves the SCIM endpoint at
// /scim/v2, as roster serve mounts it, and whose directory's public URL
// is the server's, so that the base URL and redirect URI the pages show
// are the ones that work.
type scimRoster struct {
	*roster
	scim *scim.Handler
}

// runWithSCIM runs fn on each backend with a scimRoster.
func runWithSCIM(t *testing.T, fn func(t *testing.T, d *directory.Directory, r *scimRoster)) {
	t.Helper()
	var s *scimRoster
	runServed(t, func(t *testing.T, d *directory.Directory, base string, mux *http.ServeMux) {
		s = &scimRoster{scim: scim.NewHandler(d, scim.Options{BaseURL: base + "/scim/v2"})}
		t.Cleanup(func() { s.scim.Close() })
		mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", s.scim))
	}, func(t *testing.T, d *directory.Directory, r *roster) {
		s.roster = r
		fn(t, d, s)
	})
}

// pushUser sends the SCIM request an IdP sends to create a user and
// returns the status; the request log holds it once this returns.
func (s *scimRoster) pushUser(token, userName, given, family string) int {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName, "active": true,
		"name":   map[string]string{"givenName": given, "familyName": family},
		"emails": []map[string]any{{"value": userName, "primary": true, "type": "work"}},
	})
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, s.srv.URL+"/scim/v2/Users", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	s.scim.FlushLog()
	return resp.StatusCode
}
