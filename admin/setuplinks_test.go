package admin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// setupLink makes a SSO setup link and returns its id.
func (f *fixture) setupLink() string {
	l, _, _, err := f.e.d.CreateSetupLink(context.Background(), directory.Operator(), f.tn.ws.ID, directory.SetupLinkRequest{Purpose: directory.SetupSSO})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return l.ID
}

// TestSetupLinks: the URL is answered once, the token never listed, bad
// bodies name the field, and revoking shows as the status.
func TestSetupLinks(t *testing.T) {
	runWithDNS(t, func(t *testing.T, e *env, _ *dns) {
		tn := e.newTenant("acme")
		key := tn.keys["owner"]
		base := "/api/v1/workspaces/acme/setup-links"
		res := e.send("POST", base, key, map[string]any{"purpose": "saml"})
		if res.status != 422 || !strings.Contains(string(res.body), "purpose") {
			t.Errorf("bad purpose = %d %s", res.status, res.body)
		}
		res = e.send("POST", base, key, map[string]any{"purpose": "domain", "expires_in_hours": 2})
		if res.status != 201 {
			t.Fatalf("create = %d %s", res.status, res.body)
		}
		var created struct {
			SetupLink struct{ ID, Status, Purpose string } `json:"setup_link"`
			URL       string                               `json:"url"`
		}
		res.decode(t, &created)
		token := created.URL[strings.LastIndex(created.URL, "/")+1:]
		if created.SetupLink.Status != "pending" || created.SetupLink.Purpose != "domain" || len(token) < 40 {
			t.Errorf("created = %+v", created)
		}
		list := e.send("GET", base, key, nil)
		if list.status != 200 || strings.Contains(string(list.body), token) || !strings.Contains(string(list.body), created.SetupLink.ID) {
			t.Errorf("list = %d %s", list.status, list.body)
		}
		rev := e.send("POST", base+"/"+created.SetupLink.ID+"/revoke", key, nil)
		if rev.status != 200 || !strings.Contains(string(rev.body), `"status": "revoked"`) {
			t.Errorf("revoke = %d %s", rev.status, rev.body)
		}
		if again := e.send("POST", base+"/"+created.SetupLink.ID+"/revoke", key, nil); again.status != 409 {
			t.Errorf("revoke twice = %d", again.status)
		}
		// Another workspace's key does not see it.
		other := e.newTenant("other")
		if got := e.send("GET", "/api/v1/workspaces/other/setup-links/"+created.SetupLink.ID, other.keys["owner"], nil); got.status != 404 {
			t.Errorf("other workspace = %d %s", got.status, got.body)
		}
	})
}
