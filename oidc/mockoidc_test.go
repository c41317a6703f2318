package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/oidc"
)

// startMock runs a mockoidc provider (PKCE and nonce checked, no login
// form: the authorization endpoint signs in the next queued user).
func startMock(t testing.TB) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return m
}

func mockConnection(m *mockoidc.MockOIDC, domains ...string) directory.OIDCConnectionRequest {
	cfg := m.Config()
	return directory.OIDCConnectionRequest{Name: "Acme SSO", Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Domains: domains}
}

func user(sub, email string) *mockoidc.MockUser {
	return &mockoidc.MockUser{Subject: sub, Email: email, EmailVerified: true, PreferredUsername: sub}
}

// TestInvitationOnboardingAndSessions follows an invitation through the
// workspace's IdP, onboarding, "your workspaces", sign-out and sign-in
// again, then suspension revoking the session.
func TestInvitationOnboardingAndSessions(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns, oidc.Config{Dev: true})
		_, owner := r.workspace("acme", "acme.example", "request", "member")
		terms := "2026-11"
		if _, err := d.UpdateWorkspaceSettings(ctx, owner, "acme", directory.WorkspaceSettings{TermsVersion: &terms}); err != nil {
			t.Fatal(err)
		}
		m := startMock(t)
		r.connect("acme", mockConnection(m, "acme.example"))
		tok := r.invite(owner, "acme", "jane@acme.example", directory.RoleMember)

		b := r.browser()
		p := b.get("/invite/" + tok)
		expect(t, p, http.StatusOK, "Olivia Owner", "Work acme", "Member", "jane@acme.example")
		m.QueueUser(user("jane-sub", "jane@acme.example"))
		p = b.submit(p, "/invite/"+tok, nil)
		expect(t, p, http.StatusOK, "Welcome to Work acme", "version 2026-11")
		if p.url.Path != "/onboarding" {
			t.Fatalf("landed on %s", p.url)
		}
		sc := b.setCookie("roster_session")
		if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Secure || sc.Path != "/" {
			t.Errorf("session cookie = %+v", sc)
		}
		first := b.sessionToken()

		// Terms must be accepted.
		bad := b.submit(p, "/onboarding", url.Values{"workspace": {"acme"}, "terms_version": {terms}, "name": {"Jane Doe"}})
		expect(t, bad, http.StatusBadRequest, "accept the terms")
		p = b.submit(p, "/onboarding", url.Values{"workspace": {"acme"}, "terms_version": {terms}, "accept_terms": {"yes"}, "name": {"Jane Doe"}, "locale": {"fr"}, "phone": {"+33 1 02 03"}})
		expect(t, p, http.StatusOK, "Your workspaces", "Work acme", "Active", "jane@acme.example")
		if p.url.Path != "/home" {
			t.Fatalf("landed on %s", p.url)
		}
		page, err := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "jane"})
		if err != nil || len(page.Members) != 1 {
			t.Fatalf("members: %v %+v", err, page)
		}
		jane := page.Members[0]
		if jane.Status != directory.StatusActive || jane.TermsVersion != terms || jane.Name != "Jane Doe" || jane.Locale != "fr" || jane.OnboardedAt == nil {
			t.Errorf("jane = %+v", jane)
		}

		// Signing out ends the session on the server.
		p = b.submit(p, "/logout", nil)
		expect(t, p, http.StatusOK, "You are signed out")
		if _, err := d.SessionByToken(ctx, first); err == nil {
			t.Error("session survives sign-out")
		}
		// Existing member: /login routes by the verified domain.
		p = b.get("/login")
		m.QueueUser(user("jane-sub", "jane@acme.example"))
		p = b.submit(p, "/login", url.Values{"email": {"Jane@ACME.example"}})
		expect(t, p, http.StatusOK, "Your workspaces", "Active")
		second := b.sessionToken()
		if second == "" || second == first {
			t.Error("session not rotated at sign-in")
		}

		// Suspension revokes the session; signing in again says why.
		if _, err := d.SuspendMember(ctx, owner, "acme", jane.ID); err != nil {
			t.Fatal(err)
		}
		p = b.get("/home")
		if p.url.Path != "/login" {
			t.Fatalf("suspended person still sees %s", p.url)
		}
		m.QueueUser(user("jane-sub", "jane@acme.example"))
		p = b.submit(p, "/login", url.Values{"email": {"jane@acme.example"}})
		expect(t, p, http.StatusForbidden, "suspended")
	})
}

// TestInvitationRefusals: another address, used, expired and revoked links.
func TestInvitationRefusals(t *testing.T) {
	dns := newResolver()
	clock := directorytest.NewClock()
	directorytest.RunWith(t, directory.Options{Resolver: dns, Now: clock.Now}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns, oidc.Config{Dev: true})
		_, owner := r.workspace("acme", "acme.example", "", "")
		m := startMock(t)
		r.connect("acme", mockConnection(m))

		bob := r.invite(owner, "acme", "bob@acme.example", directory.RoleMember)
		b := r.browser()
		m.QueueUser(user("jane-sub", "jane@acme.example"))
		p := b.submit(b.get("/invite/"+bob), "/invite/"+bob, nil)
		expect(t, p, http.StatusForbidden, "another address")

		m.QueueUser(user("bob-sub", "bob@acme.example"))
		p = b.submit(b.get("/invite/"+bob), "/invite/"+bob, nil)
		expect(t, p, http.StatusOK, "Welcome to Work acme")
		p = b.get("/invite/" + bob)
		expect(t, p, http.StatusGone, "already used")

		carl := r.invite(owner, "acme", "carl@acme.example", directory.RoleMember)
		invs, _ := d.ListInvitations(ctx, owner, "acme", directory.InvitationPending, 10)
		for _, inv := range invs {
			if inv.Email == "carl@acme.example" {
				if err := d.RevokeInvitation(ctx, owner, "acme", inv.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		expect(t, b.get("/invite/"+carl), http.StatusGone, "withdrawn")
		dora := r.invite(owner, "acme", "dora@acme.example", directory.RoleMember)
		clock.Advance(8 * 24 * 60 * 60 * 1e9)
		expect(t, b.get("/invite/"+dora), http.StatusGone, "expired")
		expect(t, b.get("/invite/not-a-token"), http.StatusNotFound, "not valid")
	})
}

// TestServerWideProviderAndDiscoveryAnswers: an external invitee whose
// domain no workspace routes signs in with a server-wide provider; the
// login page gives the same answer for unknown and unverified domains.
func TestServerWideProviderAndDiscoveryAnswers(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		social := startMock(t)
		sc := social.Config()
		r := startRoster(t, d, dns, oidc.Config{Dev: true, Providers: []oidc.Provider{{Key: "social", Name: "Example Accounts", Issuer: sc.Issuer, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret}}})
		_, owner := r.workspace("acme", "acme.example", "", "")
		_, beta := r.workspace("beta", "beta.example", "", "")
		// beta claims claimed.example but never verifies it.
		if _, err := d.AddDomain(ctx, beta, "beta", "claimed.example"); err != nil {
			t.Fatal(err)
		}
		b := r.browser()
		answer := func(email string) string {
			p := b.submit(b.get("/login"), "/login", url.Values{"email": {email}})
			expect(t, p, http.StatusOK, "Continue with Example Accounts")
			s := csrfField.ReplaceAllString(p.body, "")
			return strings.ReplaceAll(strings.ReplaceAll(s, "claimed.example", "D"), "nowhere.example", "D")
		}
		if answer("x@claimed.example") != answer("x@nowhere.example") {
			t.Error("the login page answers differently for an unverified claimed domain and an unknown one")
		}

		tok := r.invite(owner, "acme", "sam@partner.example", directory.RoleCollaborator)
		p := b.submit(b.get("/invite/"+tok), "/invite/"+tok, nil)
		expect(t, p, http.StatusOK, "Continue with Example Accounts")
		social.QueueUser(user("sam-social", "sam@partner.example"))
		p = b.submit(p, "/invite/"+tok, url.Values{"provider": {"social"}})
		expect(t, p, http.StatusOK, "Welcome to Work acme")
		p = b.submit(p, "/onboarding", url.Values{"workspace": {"acme"}, "name": {"Sam"}})
		expect(t, p, http.StatusOK, "Work acme", "Active")

		// Signing in again through the provider finds the linked identity.
		b2 := r.browser()
		social.QueueUser(user("sam-social", "sam@partner.example"))
		p = b2.submit(b2.get("/login"), "/login", url.Values{"email": {"sam@partner.example"}})
		p = b2.submit(p, "/login", url.Values{"provider": {"social"}, "email": {"sam@partner.example"}})
		expect(t, p, http.StatusOK, "Your workspaces", "Work acme")

		// Someone with no workspace and no link gets a page that says so.
		b3 := r.browser()
		social.QueueUser(user("nobody", "nobody@partner.example"))
		p = b3.submit(b3.get("/login"), "/login", url.Values{"provider": {"social"}, "email": {"nobody@partner.example"}})
		expect(t, p, http.StatusForbidden, "No workspace yet")
	})
}

// TestPageSecurity: CSRF, return_to, rate limit, and the SSRF guard that
// refuses loopback issuers outside dev mode.
func TestPageSecurity(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		m := startMock(t)
		prod := startRoster(t, d, dns, oidc.Config{RatePerMinute: 5})
		prod.workspace("acme", "acme.example", "", "")
		prod.connect("acme", mockConnection(m))
		b := prod.browser()

		p := b.post("/login", url.Values{"email": {"jane@acme.example"}})
		expect(t, p, http.StatusForbidden, "Form expired")
		forged := b.post("/login", url.Values{"email": {"jane@acme.example"}, "csrf": {"AAAA"}})
		expect(t, forged, http.StatusForbidden, "Form expired")

		// A token from another browser is useless here.
		other := prod.browser()
		theirs := csrfField.FindStringSubmatch(other.get("/login").body)[1]
		expect(t, b.post("/login", url.Values{"email": {"jane@acme.example"}, "csrf": {theirs}}), http.StatusForbidden, "Form expired")

		p = b.get("/login?return_to=" + url.QueryEscape("//evil.example/x"))
		if strings.Contains(p.body, "evil.example") {
			t.Error("absolute return_to kept")
		}
		p = b.get("/login?return_to=" + url.QueryEscape("/home?x=1"))
		expect(t, p, http.StatusOK, `name="return_to" value="/home?x=1"`)

		// The issuer is on 127.0.0.1: refused without --dev.
		p = b.submit(b.get("/login"), "/login", url.Values{"email": {"jane@acme.example"}})
		expect(t, p, http.StatusBadGateway, "could not reach the identity provider")

		for range 5 {
			p = b.submit(b.get("/login"), "/login", url.Values{"email": {"jane@acme.example"}})
		}
		expect(t, p, http.StatusTooManyRequests, "Too many attempts")
		if n := len(regexp.MustCompile(`<form`).FindAllString(p.body, -1)); n != 0 {
			t.Errorf("rate-limited page has %d forms", n)
		}
	})
}
