package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/oauth2-proxy/mockoidc"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web/browsertest"
)

// TestBrowserConnections walks an owner through the Connections pages in
// headless Chromium: set up SCIM provisioning from its empty state,
// create a token and see it once, push a person to the SCIM endpoint
// with it and find the request in the log; then add a connection to a
// second, real identity provider, replace its secret and delete it
// behind its confirmation.
func TestBrowserConnections(t *testing.T) {
	chromium := browsertest.Path(t)
	runWithSCIM(t, func(t *testing.T, d *directory.Directory, r *scimRoster) {
		ctx := context.Background()
		owner := r.workspace("acme", "acme.example", ptr(25))
		if _, err := d.CreateTeam(ctx, owner, "acme", directory.TeamRequest{Name: "Engineering"}); err != nil {
			t.Fatal(err)
		}
		b := browsertest.New(t, chromium)
		step, read, shoot := b.Step, b.Read, b.Shoot

		r.queue("owner@acme.example")
		step("sign in", signInAt(r.srv.URL+"/workspaces/acme/connections/scim", "owner@acme.example")...)
		step("open SCIM provisioning from the sidebar",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members"),
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/connections/scim"]`)),
			chromedp.WaitVisible(chromedp.CSS(".empty")))
		shoot("connections-scim-empty")
		if s := read("empty state", chromedp.Text(chromedp.CSS(".empty"))); !strings.Contains(s, "not set up yet") {
			t.Errorf("the empty state says %q", s)
		}

		step("set up for Okta",
			chromedp.SetValue(chromedp.ID("profile"), "okta"),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/connections/scim"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("endpoint")))
		if got := read("base URL", chromedp.Value(chromedp.ID("endpoint"))); got != r.srv.URL+"/scim/v2" {
			t.Errorf("the base URL reads %q", got)
		}
		step("create a token",
			chromedp.SendKeys(chromedp.ID("token-description"), "Okta production"),
			chromedp.SetValue(chromedp.ID("lifetime"), "365"),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/connections/scim/tokens"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("created-token")))
		secret := read("the new token", chromedp.Value(chromedp.ID("created-token")))
		if len(secret) < 20 {
			t.Fatalf("the new token reads %q", secret)
		}
		if warn := read("warning", chromedp.Text(chromedp.CSS(".created-link"))); !strings.Contains(warn, "will not be shown again") {
			t.Errorf("the token panel says %q", warn)
		}
		step("map a group to a role",
			chromedp.SendKeys(chromedp.CSS(`input[name=group_name]`), "Engineering Leads"),
			chromedp.SetValue(chromedp.CSS(`select[name=group_role]`), "manager"),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/connections/scim/settings"] button[type=submit]`)),
			// The page after the save has loaded (not the token's page
			// still on screen): the token's field is gone.
			chromedp.WaitNotPresent(chromedp.ID("created-token")),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		if html := read("page", chromedp.OuterHTML(chromedp.CSS("main"))); strings.Contains(html, secret) {
			t.Fatal("the token is shown again after another form")
		}

		for _, p := range [][3]string{{"ada.lovelace@acme.example", "Ada", "Lovelace"}, {"ada.lovelace@acme.example", "Ada", "Lovelace"}, {"grace@partner.example", "Grace", "Hopper"}} {
			r.pushUser(secret, p[0], p[1], p[2])
		}
		step("reload: last used", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main table")))
		shoot("connections-scim")
		if rows := read("tokens", chromedp.Text(chromedp.CSS("main table"))); !strings.Contains(rows, "Okta production") || strings.Contains(rows, secret) {
			t.Errorf("the tokens read %q", rows)
		}
		step("open the request log", chromedp.Click(chromedp.CSS(`a[href="/workspaces/acme/connections/scim/log"]`)), chromedp.WaitVisible(chromedp.CSS("main table")))
		shoot("scim-log")
		log := read("log", chromedp.Text(chromedp.CSS("main table")))
		for _, s := range []string{"Add a person", "Added ada.lovelace@acme.example as an active member", "Invited grace@partner.example", "Refused: already exists", "Failed"} {
			if !strings.Contains(log, s) {
				t.Errorf("the log lacks %q: %q", s, log)
			}
		}
		step("only failures", chromedp.SetValue(chromedp.ID("outcome"), "failed"), chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
			// The filtered page has loaded (not the old one still on
			// screen): its filter shows "failed" as chosen.
			chromedp.WaitNotPresent(chromedp.CSS(`#outcome option[value=failed]:not([selected])`)),
			chromedp.WaitVisible(chromedp.CSS(`main table`)),
			chromedp.WaitReady(chromedp.CSS(`option[value=failed][selected]`)))
		if log := read("failures", chromedp.Text(chromedp.CSS("main table"))); strings.Contains(log, "Added ada") || !strings.Contains(log, "Refused") {
			t.Errorf("the failures read %q", log)
		}

		// Single sign-on, with a second real provider.
		idp, err := mockoidc.Run()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { idp.Shutdown() })
		cfg := idp.Config()
		step("open single sign-on", chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/connections/sso"]`)), chromedp.WaitVisible(chromedp.ID("redirect-uri")))
		if got := read("redirect URI", chromedp.Value(chromedp.ID("redirect-uri"))); got != r.srv.URL+"/auth/callback" {
			t.Errorf("the redirect URI reads %q", got)
		}
		step("a bad issuer is refused next to the field",
			chromedp.Click(chromedp.CSS(`input[name=kind][value=generic]`)),
			chromedp.SendKeys(chromedp.ID("issuer"), "not a url"),
			chromedp.SendKeys(chromedp.ID("client_id"), cfg.ClientID),
			chromedp.SendKeys(chromedp.ID("client_secret"), cfg.ClientSecret),
			chromedp.SendKeys(chromedp.ID("name"), "Backup IdP"),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/connections/sso"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("issuer-error")))
		shoot("connections-sso-error")
		if v := read("client id kept", chromedp.Value(chromedp.ID("client_id"))); v != cfg.ClientID {
			t.Errorf("the client ID after the error: %q", v)
		}
		if v := read("secret not kept", chromedp.Value(chromedp.ID("client_secret"))); v != "" {
			t.Error("the client secret came back to the form")
		}
		step("add the connection",
			chromedp.SetValue(chromedp.ID("issuer"), cfg.Issuer),
			chromedp.SendKeys(chromedp.ID("client_secret"), cfg.ClientSecret),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/connections/sso"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS("main table tbody tr:nth-child(2)")))
		shoot("connections-sso")
		rows := read("connections", chromedp.Text(chromedp.CSS("main table")))
		if !strings.Contains(rows, "Backup IdP") || !strings.Contains(rows, "Corporate SSO") || strings.Contains(rows, cfg.ClientSecret) {
			t.Errorf("the connections read %q", rows)
		}
		conns, _ := d.ListOIDCConnections(ctx, owner, "acme")
		var id string
		for _, c := range conns {
			if c.Name == "Backup IdP" {
				id = c.ID
			}
		}
		if id == "" {
			t.Fatalf("no Backup IdP connection: %+v", conns)
		}
		step("replace its secret",
			chromedp.Click(chromedp.CSS(`a[href="/workspaces/acme/connections/sso/`+id+`/secret"]`)),
			chromedp.WaitVisible(chromedp.ID("client_secret")),
			chromedp.SendKeys(chromedp.ID("client_secret"), cfg.ClientSecret),
			chromedp.Click(chromedp.CSS(`.confirm button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		if f := read("flash", chromedp.Text(chromedp.CSS(".flash"))); !strings.Contains(f, "is replaced") {
			t.Errorf("after replacing the secret: %q", f)
		}
		// The person signs in through the new provider once the old one
		// is gone: the connection made on the page works end to end.
		step("delete the first connection",
			chromedp.Click(chromedp.CSS(`a[href="/workspaces/acme/connections/sso/`+conns[0].ID+`/delete"]`)),
			chromedp.WaitVisible(chromedp.CSS(".confirm form")))
		shoot("connections-sso-delete")
		step("confirm", chromedp.Click(chromedp.CSS(`.confirm button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		idp.QueueUser(&mockoidc.MockUser{Subject: "backup-owner", Email: "owner@acme.example", EmailVerified: true, PreferredUsername: "owner@acme.example"})
		other := r.browser()
		p := other.submit(other.get("/login"), "/login", map[string][]string{"email": {"owner@acme.example"}})
		expect(t, p, 200, "Your workspaces")
		if after, _ := d.ListOIDCConnections(ctx, owner, "acme"); len(after) != 1 || after[0].Name != "Backup IdP" {
			t.Errorf("after deleting: %+v", after)
		}
	})
}
