package setup_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/web/browsertest"
)

// TestBrowserSetupLinks plays the customer's IT admin in Chromium: a SCIM
// setup link (pick Okta, read the values, generate the token; a SCIM
// client then pushes a user with it and the page shows the request
// arriving, and a refused one in words), an SSO setup link (enter a real
// OpenID Connect provider, test sign-in, see the claims, switch on), and
// an expired and a revoked link refused with a page that says so.
func TestBrowserSetupLinks(t *testing.T) {
	chromium := browsertest.Path(t)
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d)
		ws, owner := r.workspace("acme", "acme.example")
		b := browsertest.New(t, chromium)
		step, read, shoot := b.Step, b.Read, b.Shoot
		waitText := func(what, sel, text string) {
			t.Helper()
			expr := fmt.Sprintf(`!!document.querySelector(%q) && document.querySelector(%q).textContent.includes(%q)`, sel, sel, text)
			if _, err := chromedp.Run(b.Ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
				t.Fatalf("%s: %v; the page shows %q", what, err, read("page", chromedp.Text(chromedp.CSS(sel))))
			}
		}

		// SCIM.
		scimLink, scimPath := r.link(owner, ws.Slug, directory.SetupSCIM)
		step("open the SCIM setup link", chromedp.Navigate(r.srv.URL+scimPath), chromedp.WaitVisible(chromedp.CSS(`input[name=provider][value=okta]`)))
		shoot("setup-pick")
		step("pick Okta",
			chromedp.Click(chromedp.CSS(`input[name=provider][value=okta]`)),
			chromedp.Click(chromedp.CSS(`form[action$="/provider"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("scim-url")))
		main := read("steps", chromedp.Text(chromedp.CSS("main")))
		for _, s := range []string{"Okta Admin Console", "Unique identifier field for users: userName", "Push New Users", "Waiting for your provider's first request", ws.Name} {
			if !strings.Contains(main, s) {
				t.Errorf("the SCIM page lacks %q: %q", s, main)
			}
		}
		step("generate the token", chromedp.Click(chromedp.CSS(`form[action$="/scim/token"] button`)), chromedp.WaitVisible(chromedp.ID("scim-token")))
		base := read("base URL", chromedp.Value(chromedp.ID("scim-url")))
		token := read("token", chromedp.Value(chromedp.ID("scim-token")))
		if base != r.srv.URL+"/scim/v2" || len(token) < 40 {
			t.Fatalf("values: base %q token %q", base, token)
		}
		step("the copy button copies", chromedp.Click(chromedp.CSS(`button[data-copy="#scim-url"]`)))

		// The IdP's first requests: Okta's connector test, a user, a refused filter.
		if st := r.scimRequest(http.MethodGet, "/Users?filter="+`userName%20eq%20%22probe%40acme.example%22`, token, ""); st != http.StatusOK {
			t.Fatalf("connector test: %d", st)
		}
		user := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane@acme.example","name":{"givenName":"Jane","familyName":"Doe"},"emails":[{"value":"jane@acme.example","primary":true,"type":"work"}],"active":true}`
		if st := r.scimRequest(http.MethodPost, "/Users", token, user); st != http.StatusCreated {
			t.Fatalf("push user: %d", st)
		}
		if st := r.scimRequest(http.MethodGet, "/Users?filter=userName%20zz%20nonsense", token, ""); st != http.StatusBadRequest {
			t.Fatalf("bad filter: %d", st)
		}
		// The page's log refreshes itself (a small fetch, no reload).
		waitText("the page shows the user arriving", "#request-log", "POST /Users")
		waitText("the page says why a request was refused", "#request-log", "could not read the filter")
		// The token is still on the page: the log refreshed in place.
		if again := read("token again", chromedp.Value(chromedp.ID("scim-token"))); again != token {
			t.Error("the live log reloaded the page and lost the token")
		}
		shoot("setup-scim")
		step("finish", chromedp.Click(chromedp.CSS(`form[action$="/finish"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if s := read("summary", chromedp.Text(chromedp.CSS(".flash"))); !strings.Contains(s, "SCIM provisioning from Okta is set up") {
			t.Errorf("summary = %q", s)
		}
		if got, err := d.GetSetupLink(ctx, owner, ws.Slug, scimLink.ID); err != nil || got.CompletedAt == nil {
			t.Errorf("the admins' view of the SCIM link: %+v %v", got, err)
		}

		// SSO through a real OpenID Connect provider.
		_, ssoPath := r.link(owner, ws.Slug, directory.SetupSSO)
		cfg := r.idp.Config()
		step("open the SSO setup link and pick another provider",
			chromedp.Navigate(r.srv.URL+ssoPath),
			chromedp.Click(chromedp.CSS(`input[name=provider][value=generic]`)),
			chromedp.Click(chromedp.CSS(`form[action$="/provider"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("issuer")))
		if v := read("redirect URI", chromedp.Value(chromedp.ID("redirect-uri"))); v != r.srv.URL+"/auth/callback" {
			t.Errorf("redirect URI = %q", v)
		}
		step("enter the provider",
			chromedp.SendKeys(chromedp.ID("issuer"), cfg.Issuer),
			chromedp.SendKeys(chromedp.ID("client_id"), cfg.ClientID),
			chromedp.SendKeys(chromedp.ID("client_secret"), cfg.ClientSecret),
			chromedp.Click(chromedp.CSS(`form[action$="/sso"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action$="/sso/test"]`)))
		if conns, _ := d.ListOIDCConnections(ctx, owner, ws.Slug); len(conns) != 1 || conns[0].Enabled {
			t.Fatalf("after saving: %+v", conns)
		}
		r.idp.QueueUser(&mockoidc.MockUser{Subject: "jane-sub", Email: "jane@acme.example", EmailVerified: true, PreferredUsername: "jane"})
		step("test sign-in", chromedp.Click(chromedp.CSS(`form[action$="/sso/test"] button`)), chromedp.WaitVisible(chromedp.ID("result-title")))
		shoot("setup-sso-test")
		// textContent: the claims' names are styled upper-case.
		result := read("result", chromedp.TextContent(chromedp.CSS("section.panel")))
		for _, s := range []string{"Roster would accept jane@acme.example", "jane-sub", "email_verified", cfg.Issuer} {
			if !strings.Contains(result, s) {
				t.Errorf("the test result lacks %q: %q", s, result)
			}
		}
		if m, _ := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Query: "jane"}); len(m.Members) != 1 {
			// Jane came by SCIM above; the test sign-in made nobody.
			t.Errorf("members named jane: %+v", m.Members)
		}
		step("switch on", chromedp.Click(chromedp.CSS(`form[action$="/finish"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if c, ok, err := d.OIDCConnectionForEmail(ctx, "jane@acme.example"); !ok || err != nil || !c.Enabled {
			t.Errorf("the connection is not on: %+v %v %v", c, ok, err)
		}

		// Refused links.
		expired, expiredPath := r.link(owner, ws.Slug, directory.SetupDomain)
		db := directorytest.DB(t, d)
		if _, err := db.Exec(db.Rebind(`UPDATE setup_links SET expires_at = ? WHERE id = ?`), time.Now().Add(-time.Hour), expired.ID); err != nil {
			t.Fatal(err)
		}
		step("open an expired link", chromedp.Navigate(r.srv.URL+expiredPath), chromedp.WaitVisible(chromedp.CSS("main h1")))
		shoot("setup-expired")
		if s := read("expired", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(s, "This setup link has expired") || !strings.Contains(s, ws.Name) {
			t.Errorf("the expired page says %q", s)
		}
		revoked, revokedPath := r.link(owner, ws.Slug, directory.SetupSSO)
		if _, err := d.RevokeSetupLink(ctx, owner, ws.Slug, revoked.ID); err != nil {
			t.Fatal(err)
		}
		step("open a revoked link", chromedp.Navigate(r.srv.URL+revokedPath), chromedp.WaitVisible(chromedp.CSS("main h1")))
		if s := read("revoked", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(s, "This setup link was revoked") {
			t.Errorf("the revoked page says %q", s)
		}
	})
}
