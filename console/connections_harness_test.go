package console_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
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
	backends := directorytest.Backends()
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			base := "http://" + ln.Addr().String()
			dns := newResolver()
			d := directorytest.Open(t, b, directory.Options{Resolver: dns, BaseURL: base})
			s := &scimRoster{scim: scim.NewHandler(d, scim.Options{BaseURL: base + "/scim/v2"})}
			t.Cleanup(func() { s.scim.Close() })
			s.roster = startRosterOn(t, d, dns, ln, func(mux *http.ServeMux) {
				mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", s.scim))
			})
			fn(t, d, s)
		})
	}
	if len(backends) == 1 {
		t.Run(string(directory.Postgres), func(t *testing.T) { t.SkipNow() })
	}
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
