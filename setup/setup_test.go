package setup_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// TestSetupLinkDoesOneJobInOneWorkspace: a SCIM link cannot save an SSO
// connection nor touch domains, a domain link cannot reach another
// workspace's domain by its id, and forms without this browser's CSRF
// token are refused.
func TestSetupLinkDoesOneJobInOneWorkspace(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d)
		ws, owner := r.workspace("acme", "acme.example")
		_, otherOwner := r.workspace("other", "other.example")
		otherDom, err := d.AddDomain(ctx, otherOwner, "other", "other-corp.example")
		if err != nil {
			t.Fatal(err)
		}
		_, scimPath := r.link(owner, ws.Slug, directory.SetupSCIM)
		_, domPath := r.link(owner, ws.Slug, directory.SetupDomain)
		b := r.client()

		p := b.get(scimPath)
		expect(t, p, http.StatusOK, "Which identity provider", ws.Name)
		// CSRF: a form without the token, or with another browser's, is refused.
		expect(t, b.post(page{}, scimPath+"/provider", url.Values{"provider": {"okta"}}), http.StatusForbidden, "This form has expired")
		other := r.client()
		op := other.get(scimPath)
		expect(t, b.post(op, scimPath+"/provider", url.Values{"provider": {"okta"}}), http.StatusForbidden, "This form has expired")

		// The SCIM link's holder posts the SSO form and the domain form.
		p = b.post(p, scimPath+"/provider", url.Values{"provider": {"okta"}})
		expect(t, p, http.StatusOK, "Set up SCIM provisioning", "SCIM base URL", r.srv.URL+"/scim/v2")
		cfg := r.idp.Config()
		refused := b.post(p, scimPath+"/sso", url.Values{"issuer": {cfg.Issuer}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}})
		expect(t, refused, http.StatusForbidden, "for another job")
		refused = b.post(p, scimPath+"/domain", url.Values{"domain": {"evil.example"}})
		expect(t, refused, http.StatusForbidden, "for another job")
		if conns, _ := d.ListOIDCConnections(ctx, owner, ws.Slug); len(conns) != 0 {
			t.Errorf("a SCIM link made connections %+v", conns)
		}
		if doms, _ := d.ListDomains(ctx, owner, ws.Slug); len(doms) != 1 {
			t.Errorf("a SCIM link changed domains: %+v", doms)
		}

		// A domain link cannot check another workspace's domain.
		dp := b.get(domPath)
		expect(t, dp, http.StatusOK, "Verify your domain", "acme.example")
		nf := b.post(dp, domPath+"/domain/"+otherDom.ID+"/check", nil)
		expect(t, nf, http.StatusNotFound, "not one of "+ws.Name)
		if strings.Contains(nf.body, "other-corp.example") {
			t.Error("another workspace's domain shown")
		}
		// An unknown token is not found, and says so.
		expect(t, b.get("/setup/not-a-token"), http.StatusNotFound, "This setup link does not exist")
	})
}

// TestSetupLinkDiscoveryErrorsInWords: the issuer is checked at once and
// a provider that is not there is named in a sentence next to the field,
// with what was typed kept.
func TestSetupLinkDiscoveryErrorsInWords(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		r := startRoster(t, d)
		ws, owner := r.workspace("acme", "acme.example")
		_, path := r.link(owner, ws.Slug, directory.SetupSSO)
		b := r.client()
		p := b.post(b.get(path), path+"/provider", url.Values{"provider": {"generic"}})
		expect(t, p, http.StatusOK, "Redirect URI", r.srv.URL+"/auth/callback")
		bad := b.post(p, path+"/sso", url.Values{"issuer": {r.srv.URL + "/nothing-here"}, "client_id": {"roster"}, "client_secret": {"s"}})
		expect(t, bad, http.StatusUnprocessableEntity, "there is no discovery document at "+r.srv.URL+"/nothing-here/.well-known/openid-configuration", `value="roster"`)
		missing := b.post(p, path+"/sso", url.Values{"issuer": {r.idp.Config().Issuer}, "client_id": {"roster"}})
		expect(t, missing, http.StatusUnprocessableEntity, "Enter the client secret")
		if conns, _ := d.ListOIDCConnections(context.Background(), owner, ws.Slug); len(conns) != 0 {
			t.Errorf("a refused form saved %+v", conns)
		}
	})
}
