package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/rosterhq/roster/directory"
)

var createdToken = regexp.MustCompile(`id="created-token" readonly value="([^"]+)"`)

// tokenOn returns the secret a page shows once, failing when it shows
// none.
func tokenOn(t *testing.T, p page) string {
	t.Helper()
	m := createdToken.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("%s shows no new token:\n%s", p.url, p.body)
	}
	return m[1]
}

// An owner sets up SCIM provisioning on the page, creates a token that
// is shown once, the directory pushes a person with it, and the log
// says what happened in words; the token is never on a page again.
func TestConsoleSCIM(t *testing.T) {
	runWithSCIM(t, func(t *testing.T, d *directory.Directory, r *scimRoster) {
		ctx := context.Background()
		owner := r.workspace("acme", "acme.example", ptr(3))
		b := r.signIn("owner@acme.example")
		base := "/workspaces/acme/connections/scim"
		empty := b.get(base)
		expect(t, empty, http.StatusOK, "SCIM provisioning is not set up yet", "Set up SCIM provisioning", "Acme Corp",
			`href="`+base+`" aria-current="page"`, "Microsoft Entra ID")
		for _, internal := range []string{">entra<", ">okta<", ">generic<", ">auto<"} {
			if strings.Contains(empty.body, internal) {
				t.Errorf("the page shows the internal name %s", internal)
			}
		}
		if log := b.get(base + "/log"); log.url.Path != base {
			t.Errorf("the log without a connection: at %s, want back at SCIM provisioning", log.url)
		}

		set := b.submit(empty, base, url.Values{"profile": {"okta"}, "default_role": {"member"}})
		expect(t, set, http.StatusOK, "SCIM provisioning is set up", "No tokens yet", `value="`+r.srv.URL+`/scim/v2"`, `data-copy="#endpoint"`, "What to paste into Okta")
		conn, err := d.GetSCIMConnection(ctx, owner, "acme")
		if err != nil || conn.Profile != directory.ProfileOkta {
			t.Fatalf("connection after setup: %+v %v", conn, err)
		}

		created := b.submit(set, base+"/tokens", url.Values{"description": {"Okta production"}, "lifetime": {"90"}})
		expect(t, created, http.StatusOK, "Your new token", "It will not be shown again", `data-copy="#created-token"`, "Okta production")
		secret := tokenOn(t, created)
		if created.url.Path != base {
			t.Errorf("after creating at %s, want the page (POST-redirect-GET)", created.url)
		}
		reload := b.get(base)
		expect(t, reload, http.StatusOK, "Okta production", "ending in …"+secret[len(secret)-4:], "Never")
		if strings.Contains(reload.body, secret) || strings.Contains(reload.body, "Your new token") {
			t.Fatal("the token is shown again on reload")
		}

		if got := r.pushUser(secret, "ada.lovelace@acme.example", "Ada", "Lovelace"); got != http.StatusCreated {
			t.Fatalf("push Ada: %d", got)
		}
		if got := r.pushUser(secret, "ada.lovelace@acme.example", "Ada", "Lovelace"); got != http.StatusConflict {
			t.Fatalf("push Ada again: %d", got)
		}
		r.pushUser(secret, "grace@acme.example", "Grace", "Hopper")
		// Three seats: the owner, Ada, Grace; Alan finds none.
		if got := r.pushUser(secret, "alan@acme.example", "Alan", "Turing"); got != http.StatusForbidden {
			t.Fatalf("push Alan past the seat limit: %d", got)
		}
		log := b.get(base + "/log")
		expect(t, log, http.StatusOK, "SCIM request log", "Add a person", "Succeeded", "Failed",
			"Added ada.lovelace@acme.example as an active member (their domain acme.example is verified)",
			"Refused: seat limit (all 3 seats are in use)", "Refused: already exists")
		failed := b.get(base + "/log?outcome=failed")
		expect(t, failed, http.StatusOK, "Refused: seat limit", `value="failed" selected`)
		if strings.Contains(failed.body, "Added ada.lovelace") {
			t.Error("the failed requests list a success")
		}
		if p := b.get(base + "/log?operation=delete_user"); !strings.Contains(p.body, "No request matches these filters") {
			t.Errorf("deletions: %s", p.body)
		}
		if reload = b.get(base); !strings.Contains(reload.body, "ending in …") || strings.Contains(reload.body, ">Never<") && !strings.Contains(reload.body, "Last used") {
			t.Error("the token list lost its columns")
		}

		// Settings: a group mapped to a role, kept; a bad rate limit is
		// refused next to its field with the rest kept.
		bad := b.submit(reload, base+"/settings", url.Values{"profile": {"okta"}, "default_role": {"member"}, "activation": {"domain"}, "seat_policy": {"refuse"},
			"send_invitations": {"yes"}, "group_name": {"Engineering Leads", ""}, "group_role": {"manager", ""}, "rate_limit": {"fast"}})
		expect(t, bad, http.StatusBadRequest, "The settings were not saved", `id="rate_limit"`, "Enter a number of requests per second", `value="Engineering Leads"`)
		saved := b.submit(bad, base+"/settings", url.Values{"profile": {"entra"}, "default_role": {"member"}, "activation": {"invite"}, "seat_policy": {"suspend"},
			"group_name": {"Engineering Leads"}, "group_role": {"manager"}, "rate_limit": {"50"}, "rate_burst": {"100"}})
		expect(t, saved, http.StatusOK, "Settings saved", `value="Engineering Leads"`, "What to paste into Microsoft Entra ID")
		conn, _ = d.GetSCIMConnection(ctx, owner, "acme")
		if conn.TeamRoles["Engineering Leads"] != "manager" || conn.RateLimit != 50 || conn.RateBurst != 100 || conn.SendInvitations || conn.Activation != "invite" {
			t.Errorf("settings after saving: %+v", conn)
		}

		// Rotate: a new secret, shown once; the old one stops working.
		tokens, _ := d.ListSCIMTokens(ctx, owner, "acme")
		rotateURL := base + "/tokens/" + tokens[0].ID + "/rotate"
		confirm := b.get(rotateURL)
		expect(t, confirm, http.StatusOK, "Rotate “Okta production”", "stops working at once")
		rotated := b.submit(confirm, rotateURL, nil)
		fresh := tokenOn(t, rotated)
		if fresh == secret {
			t.Fatal("rotation showed the old secret")
		}
		if got := r.pushUser(secret, "old@acme.example", "Old", "Token"); got != http.StatusUnauthorized {
			t.Errorf("the old secret after rotating: %d", got)
		}
		if got := r.pushUser(fresh, "grace@acme.example", "Grace", "Hopper"); got != http.StatusConflict {
			t.Errorf("the new secret: %d, want 409 (Grace exists), so authenticated", got)
		}
		// Revoke behind its confirmation.
		tokens, _ = d.ListSCIMTokens(ctx, owner, "acme")
		revokeURL := base + "/tokens/" + tokens[0].ID + "/revoke"
		expect(t, b.get(revokeURL), http.StatusOK, "Revoke “Okta production”", "are refused from now on")
		revoked := b.submit(b.get(revokeURL), revokeURL, nil)
		expect(t, revoked, http.StatusOK, "is revoked", "Revoked")
		if got := r.pushUser(fresh, "x@acme.example", "X", "Y"); got != http.StatusUnauthorized {
			t.Errorf("a revoked token: %d", got)
		}
		expect(t, b.get(revokeURL), http.StatusConflict, "Token already revoked")

		// No page shows either secret again.
		for _, path := range []string{base, base + "/log", base + "/log?outcome=failed", rotateURL, revokeURL, "/workspaces/acme/connections/sso", "/workspaces/acme/members"} {
			p := b.get(path)
			if strings.Contains(p.body, secret) || strings.Contains(p.body, fresh) {
				t.Errorf("%s shows a token secret", path)
			}
		}
	})
}

// The Connections pages need connections.manage, as the admin API's
// routes for SCIM and OIDC connections do: owners and admins only.
func TestConsoleConnectionsPermissions(t *testing.T) {
	runWithSCIM(t, func(t *testing.T, d *directory.Directory, r *scimRoster) {
		ctx := context.Background()
		owner := r.workspace("acme", "acme.example", nil)
		r.member(owner, "acme", "ada@acme.example", directory.RoleAdmin)
		r.member(owner, "acme", "max@acme.example", directory.RoleManager)
		r.member(owner, "acme", "mo@acme.example", directory.RoleMember)
		r.member(owner, "acme", "cy@acme.example", directory.RoleCollaborator)
		if _, err := d.CreateSCIMConnection(ctx, owner, "acme", directory.SCIMConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := d.CreateSCIMToken(ctx, owner, "acme", directory.SCIMTokenRequest{Description: "Okta"})
		if err != nil {
			t.Fatal(err)
		}
		conns, _ := d.ListOIDCConnections(ctx, owner, "acme")
		oidcID := conns[0].ID
		scimBase, ssoBase := "/workspaces/acme/connections/scim", "/workspaces/acme/connections/sso"
		gets := []string{scimBase, scimBase + "/log", scimBase + "/tokens/" + tok.ID + "/revoke", scimBase + "/tokens/" + tok.ID + "/rotate",
			ssoBase, ssoBase + "/" + oidcID + "/secret", ssoBase + "/" + oidcID + "/delete", "/workspaces/acme/connections/"}
		posts := []string{scimBase, scimBase + "/settings", scimBase + "/tokens", scimBase + "/tokens/" + tok.ID + "/revoke", scimBase + "/tokens/" + tok.ID + "/rotate",
			ssoBase, ssoBase + "/" + oidcID + "/secret", ssoBase + "/" + oidcID + "/delete"}
		for _, tt := range []struct {
			email string
			may   bool
			says  string
		}{
			{"owner@acme.example", true, ""},
			{"ada@acme.example", true, ""},
			{"max@acme.example", false, "you cannot manage the connections to your identity provider"},
			{"mo@acme.example", false, "No administration for your role"},
			{"cy@acme.example", false, "No administration for your role"},
		} {
			b := r.signIn(tt.email)
			for _, path := range gets {
				p := b.get(path)
				if tt.may {
					expect(t, p, http.StatusOK)
					continue
				}
				expect(t, p, http.StatusForbidden, tt.says)
				if strings.Contains(p.body, "Corporate SSO") || strings.Contains(p.body, "Okta") {
					t.Errorf("%s: %s shows connection details", tt.email, path)
				}
			}
			home := b.get("/workspaces/acme/")
			if has := strings.Contains(home.body, `href="`+scimBase+`"`); has != tt.may {
				t.Errorf("%s: SCIM provisioning in the navigation = %v, may = %v", tt.email, has, tt.may)
			}
			if tt.may {
				continue
			}
			// Not even a POST with this session's valid token.
			token := csrfField.FindStringSubmatch(b.get("/home").body)[1]
			for _, path := range posts {
				if p := b.post(path, url.Values{"csrf": {token}, "client_secret": {"x"}, "profile": {"okta"}, "default_role": {"member"}}); p.status != http.StatusForbidden {
					t.Errorf("%s: POST %s answered %d", tt.email, path, p.status)
				}
			}
		}
		tokens, _ := d.ListSCIMTokens(ctx, owner, "acme")
		conns, _ = d.ListOIDCConnections(ctx, owner, "acme")
		if len(tokens) != 1 || tokens[0].RevokedAt != nil || len(conns) != 1 {
			t.Errorf("refused roles changed something: tokens %+v, connections %+v", tokens, conns)
		}
	})
}

// globex's owner reaches none of acme's connections: acme's URLs do not
// exist for them, and acme's token and connection ids do not exist under
// globex's URLs either. Forged forms change nothing.
func TestConsoleConnectionsTampering(t *testing.T) {
	runWithSCIM(t, func(t *testing.T, d *directory.Directory, r *scimRoster) {
		ctx := context.Background()
		acme := r.workspace("acme", "acme.example", nil)
		if _, err := d.CreateSCIMConnection(ctx, acme, "acme", directory.SCIMConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
		tok, secret, err := d.CreateSCIMToken(ctx, acme, "acme", directory.SCIMTokenRequest{Description: "Acme secret token"})
		if err != nil {
			t.Fatal(err)
		}
		conns, _ := d.ListOIDCConnections(ctx, acme, "acme")
		oidcID := conns[0].ID
		globex := r.workspace("globex", "globex.example", nil)
		if _, err := d.CreateSCIMConnection(ctx, globex, "globex", directory.SCIMConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
		b := r.signIn("owner@globex.example")
		own := b.get("/workspaces/globex/connections/scim")
		expect(t, own, http.StatusOK, "Globex Corp")
		csrf := csrfField.FindStringSubmatch(own.body)[1]
		for _, path := range []string{"/workspaces/acme/connections/scim", "/workspaces/acme/connections/scim/log", "/workspaces/acme/connections/sso",
			"/workspaces/acme/connections/scim/tokens/" + tok.ID + "/revoke", "/workspaces/acme/connections/sso/" + oidcID + "/delete"} {
			p := b.get(path)
			expect(t, p, http.StatusNotFound, "Workspace not found")
			if strings.Contains(p.body, "Acme") {
				t.Errorf("%s shows acme's data", path)
			}
		}
		for path, says := range map[string]string{
			"/workspaces/globex/connections/scim/tokens/" + tok.ID + "/revoke": "Token not found",
			"/workspaces/globex/connections/scim/tokens/" + tok.ID + "/rotate": "Token not found",
			"/workspaces/globex/connections/sso/" + oidcID + "/secret":         "Connection not found",
			"/workspaces/globex/connections/sso/" + oidcID + "/delete":         "Connection not found",
		} {
			expect(t, b.get(path), http.StatusNotFound, says)
			if p := b.post(path, url.Values{"csrf": {csrf}, "client_secret": {"stolen"}}); p.status != http.StatusNotFound {
				t.Errorf("POST %s: %d", path, p.status)
			}
		}
		for _, path := range []string{"/workspaces/acme/connections/scim/tokens/" + tok.ID + "/revoke", "/workspaces/acme/connections/sso/" + oidcID + "/delete",
			"/workspaces/acme/connections/scim/tokens"} {
			if p := b.post(path, url.Values{"csrf": {csrf}}); p.status != http.StatusNotFound {
				t.Errorf("POST %s: %d", path, p.status)
			}
		}
		if got := r.pushUser(secret, "still@acme.example", "Still", "Works"); got != http.StatusCreated {
			t.Errorf("acme's token after globex's attempts: %d", got)
		}
		tokens, _ := d.ListSCIMTokens(ctx, acme, "acme")
		conns, _ = d.ListOIDCConnections(ctx, acme, "acme")
		if len(tokens) != 1 || len(conns) != 1 {
			t.Errorf("acme after the attempts: tokens %+v, connections %+v", tokens, conns)
		}
	})
}

// A POST of the Connections pages without the form's token, or with
// another session's, is refused and changes nothing.
func TestConsoleConnectionsCSRF(t *testing.T) {
	runWithSCIM(t, func(t *testing.T, d *directory.Directory, r *scimRoster) {
		ctx := context.Background()
		owner := r.workspace("acme", "acme.example", nil)
		r.member(owner, "acme", "ada@acme.example", directory.RoleAdmin)
		if _, err := d.CreateSCIMConnection(ctx, owner, "acme", directory.SCIMConnectionRequest{}); err != nil {
			t.Fatal(err)
		}
		tok, _, _ := d.CreateSCIMToken(ctx, owner, "acme", directory.SCIMTokenRequest{})
		conns, _ := d.ListOIDCConnections(ctx, owner, "acme")
		b := r.signIn("owner@acme.example")
		theirs := csrfField.FindStringSubmatch(r.signIn("ada@acme.example").get("/workspaces/acme/connections/sso").body)[1]
		scimBase, ssoBase := "/workspaces/acme/connections/scim", "/workspaces/acme/connections/sso"
		for _, token := range []string{"", "AAAA", theirs} {
			for _, path := range []string{scimBase + "/settings", scimBase + "/tokens", scimBase + "/tokens/" + tok.ID + "/revoke", scimBase + "/tokens/" + tok.ID + "/rotate",
				ssoBase, ssoBase + "/" + conns[0].ID + "/secret", ssoBase + "/" + conns[0].ID + "/delete"} {
				form := url.Values{"profile": {"okta"}, "default_role": {"member"}, "kind": {"generic"}, "issuer": {"https://evil.example"}, "client_id": {"x"}, "client_secret": {"y"}}
				if token != "" {
					form.Set("csrf", token)
				}
				expect(t, b.post(path, form), http.StatusForbidden, "Form expired")
			}
		}
		tokens, _ := d.ListSCIMTokens(ctx, owner, "acme")
		after, _ := d.ListOIDCConnections(ctx, owner, "acme")
		conn, _ := d.GetSCIMConnection(ctx, owner, "acme")
		if len(tokens) != 1 || tokens[0].RevokedAt != nil || len(after) != 1 || conn.Profile != directory.ProfileAuto {
			t.Errorf("refused forms changed something: tokens %+v, connections %+v, profile %s", tokens, after, conn.Profile)
		}
	})
}

// Single sign-on on the page: errors next to their field with the input
// kept and the secret never sent back; a connection to a second
// provider is added, its secret replaced, and it is deleted behind a
// confirmation.
func TestConsoleSSO(t *testing.T) {
	runWithSCIM(t, func(t *testing.T, d *directory.Directory, r *scimRoster) {
		ctx := context.Background()
		owner := r.workspace("acme", "acme.example", nil)
		b := r.signIn("owner@acme.example")
		base := "/workspaces/acme/connections/sso"
		list := b.get(base)
		expect(t, list, http.StatusOK, "Corporate SSO", "acme.example", `value="`+r.srv.URL+`/auth/callback"`, `data-copy="#redirect-uri"`, "Microsoft Entra ID", "Google Workspace")

		typed := "s3cret-typed-by-the-admin"
		bad := b.submit(list, base, url.Values{"kind": {"entra"}, "tenant_id": {"common"}, "client_id": {"app-123"}, "client_secret": {typed}})
		expect(t, bad, http.StatusBadRequest, "The connection was not added", `id="tenant_id-error"`, "“common” and “organizations” are not accepted",
			`value="app-123"`, `value="entra" checked`, "For your security the secret was not kept")
		if strings.Contains(bad.body, typed) {
			t.Fatal("the refused form echoes the client secret")
		}
		bad = b.submit(bad, base, url.Values{"kind": {"generic"}, "client_id": {""}, "client_secret": {""}})
		expect(t, bad, http.StatusBadRequest, `id="issuer-error"`, `id="client_id-error"`, `id="client_secret-error"`)
		bad = b.submit(bad, base, url.Values{"kind": {"google"}, "client_id": {"g"}, "client_secret": {"s"}})
		expect(t, bad, http.StatusBadRequest, `id="hosted_domain-error"`, "Enter your Google Workspace domain")
		bad = b.submit(bad, base, url.Values{"kind": {"generic"}, "issuer": {"ftp://idp.example"}, "client_id": {"g"}, "client_secret": {"s"}})
		expect(t, bad, http.StatusBadRequest, `id="issuer-error"`, "starting with https://", `value="ftp://idp.example"`)
		if conns, _ := d.ListOIDCConnections(ctx, owner, "acme"); len(conns) != 1 {
			t.Fatalf("refused forms added connections: %+v", conns)
		}

		// A real second provider.
		idp, err := mockoidc.Run()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { idp.Shutdown() })
		cfg := idp.Config()
		added := b.submit(bad, base, url.Values{"kind": {"generic"}, "issuer": {cfg.Issuer}, "client_id": {cfg.ClientID}, "client_secret": {cfg.ClientSecret}, "name": {"Backup IdP"}})
		expect(t, added, http.StatusOK, "“Backup IdP” is added", "Backup IdP", cfg.ClientID)
		if strings.Contains(added.body, cfg.ClientSecret) {
			t.Fatal("the list shows a client secret")
		}
		conns, _ := d.ListOIDCConnections(ctx, owner, "acme")
		var backup directory.OIDCConnection
		for _, c := range conns {
			if c.Name == "Backup IdP" {
				backup = c
			}
		}
		if got, err := backup.ClientSecret(r.box); err != nil || got != cfg.ClientSecret {
			t.Fatalf("the stored secret opens to %q, %v", got, err)
		}
		// The same issuer and client again: refused next to the client ID.
		dup := b.submit(added, base, url.Values{"kind": {"generic"}, "issuer": {cfg.Issuer}, "client_id": {cfg.ClientID}, "client_secret": {"x"}})
		expect(t, dup, http.StatusBadRequest, `id="client_id-error"`, "already has a connection with this issuer and client ID")

		secretURL := base + "/" + backup.ID + "/secret"
		page := b.get(secretURL)
		expect(t, page, http.StatusOK, "New client secret for “Backup IdP”", "OpenID Connect")
		expect(t, b.submit(page, secretURL, url.Values{"client_secret": {""}}), http.StatusBadRequest, "Enter the new client secret")
		rotated := b.submit(page, secretURL, url.Values{"client_secret": {"rotated-" + cfg.ClientSecret}})
		expect(t, rotated, http.StatusOK, "The client secret of “Backup IdP” is replaced")
		conns, _ = d.ListOIDCConnections(ctx, owner, "acme")
		for _, c := range conns {
			if c.ID == backup.ID {
				if got, _ := c.ClientSecret(r.box); got != "rotated-"+cfg.ClientSecret {
					t.Errorf("secret after rotating: %q", got)
				}
			}
		}

		deleteURL := base + "/" + backup.ID + "/delete"
		confirm := b.get(deleteURL)
		expect(t, confirm, http.StatusOK, "Delete “Backup IdP”?", "Nobody can sign in to Acme Corp through this provider", cfg.Issuer)
		deleted := b.submit(confirm, deleteURL, nil)
		expect(t, deleted, http.StatusOK, "“Backup IdP” is deleted")
		if conns, _ = d.ListOIDCConnections(ctx, owner, "acme"); len(conns) != 1 || conns[0].Name != "Corporate SSO" {
			t.Errorf("after deleting: %+v", conns)
		}
		expect(t, b.get(deleteURL), http.StatusNotFound, "Connection not found")
	})
}
