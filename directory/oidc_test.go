package directory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/seal"
)

func testBox(t *testing.T) *seal.Box {
	t.Helper()
	keys, err := seal.ParseKeys(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, err := seal.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// verifyDomainForTest marks domain verified for a workspace, as
// VerifyDomain does after a DNS TXT check.
func verifyDomainForTest(t *testing.T, d *directory.Directory, wsID, domain, policy, role string) {
	t.Helper()
	now := time.Now().UTC()
	_, err := d.DB().Exec(d.DB().Rebind(`INSERT INTO domains (id, workspace_id, domain, verification_token, verified_at, policy, default_role, created_at, updated_at) VALUES (?, ?, ?, 'tok', ?, ?, ?, ?, ?)`),
		"dom-"+domain, wsID, domain, now, policy, role, now, now)
	if err != nil {
		t.Fatalf("verify domain %s: %v", domain, err)
	}
}

func TestOIDCConnections(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		box := testBox(t)
		acme, owner := newWorkspace(t, d, "acme")
		other, _ := newWorkspace(t, d, "other")

		c, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{
			Issuer: "https://idp.acme.example", ClientID: "roster", ClientSecret: "s3cret", Domains: []string{"ACME.example.", "acme.example"}})
		if err != nil {
			t.Fatal(err)
		}
		if c.Kind != directory.OIDCGeneric || len(c.Domains) != 1 || c.Domains[0] != "acme.example" || c.Workspace != "acme" {
			t.Errorf("connection = %+v", c)
		}
		if s, err := c.ClientSecret(box); err != nil || s != "s3cret" {
			t.Errorf("client secret = %q, %v", s, err)
		}
		var stored string
		if err := d.DB().Get(&stored, d.DB().Rebind(`SELECT client_secret FROM oidc_connections WHERE id = ?`), c.ID); err != nil || stored == "s3cret" {
			t.Errorf("secret stored in clear (%v)", err)
		}
		// A sealed secret copied to another connection does not open there.
		c2, err := d.CreateOIDCConnection(ctx, op, "other", box, directory.OIDCConnectionRequest{Issuer: "https://idp.other.example", ClientID: "x", ClientSecret: "other"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.DB().Exec(d.DB().Rebind(`UPDATE oidc_connections SET client_secret = ? WHERE id = ?`), stored, c2.ID); err != nil {
			t.Fatal(err)
		}
		moved, _ := d.OIDCConnectionByID(ctx, c2.ID)
		if _, err := moved.ClientSecret(box); err == nil {
			t.Error("a secret sealed for one connection opened on another")
		}

		if _, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "roster", ClientSecret: "x"}); !errors.Is(err, directory.ErrConflict) {
			t.Errorf("duplicate: err = %v, want ErrConflict", err)
		}
		for name, req := range map[string]directory.OIDCConnectionRequest{
			"entra without tenant": {Kind: "entra", Issuer: "https://login.microsoftonline.com/organizations/v2.0", ClientID: "a", ClientSecret: "b"},
			"entra {tenantid}":     {Kind: "entra", Issuer: "https://login.microsoftonline.com/{tenantid}/v2.0", ClientID: "a", ClientSecret: "b"},
			"google without hd":    {Kind: "google", ClientID: "a", ClientSecret: "b"},
			"unknown kind":         {Kind: "saml", Issuer: "https://x.example", ClientID: "a", ClientSecret: "b"},
			"not a URL":            {Issuer: "idp.example", ClientID: "a", ClientSecret: "b"},
			"no secret":            {Issuer: "https://x.example", ClientID: "a"},
		} {
			if _, err := d.CreateOIDCConnection(ctx, op, "acme", box, req); !errors.Is(err, directory.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", name, err)
			}
		}
		entra, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: "entra", TenantID: "72F988BF-86F1-41AF-91AB-2D7CD011DB47", ClientID: "app", ClientSecret: "b"})
		if err != nil {
			t.Fatal(err)
		}
		if entra.Issuer != "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0" || entra.Name != "Microsoft" {
			t.Errorf("entra = %+v", entra)
		}
		google, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: "google", HostedDomain: "Acme.Example", ClientID: "g", ClientSecret: "b"})
		if err != nil {
			t.Fatal(err)
		}
		if google.Issuer != "https://accounts.google.com" || google.HostedDomain != "acme.example" {
			t.Errorf("google = %+v", google)
		}

		// Members without connections.manage cannot list or create; one
		// workspace never sees another's connections.
		_, member := join(t, d, owner, "acme", "m@acme.example", directory.RoleMember)
		if _, err := d.ListOIDCConnections(ctx, member, "acme"); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("member lists: err = %v, want ErrForbidden", err)
		}
		if _, err := d.ListOIDCConnections(ctx, owner, "other"); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("owner of acme lists other: err = %v, want ErrForbidden", err)
		}
		list, err := d.ListOIDCConnections(ctx, owner, "acme")
		if err != nil || len(list) != 3 {
			t.Errorf("acme connections = %d, %v", len(list), err)
		}
		all, err := d.ListOIDCConnections(ctx, op, "")
		if err != nil || len(all) != 4 {
			t.Errorf("all connections = %d, %v", len(all), err)
		}
		_ = other
		_ = acme
	})
}

func TestHomeRealmDiscovery(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		box := testBox(t)
		acme, _ := newWorkspace(t, d, "acme")
		newWorkspace(t, d, "beta")
		specific, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Issuer: "https://sub.acme.example", ClientID: "a", ClientSecret: "b", Domains: []string{"sub.acme.example"}})
		if err != nil {
			t.Fatal(err)
		}
		general, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "a", ClientSecret: "b"})
		if err != nil {
			t.Fatal(err)
		}
		// beta claims acme.example but never verified it: it must not route.
		if _, err := d.CreateOIDCConnection(ctx, op, "beta", box, directory.OIDCConnectionRequest{Issuer: "https://evil.example", ClientID: "a", ClientSecret: "b", Domains: []string{"unverified.example"}}); err != nil {
			t.Fatal(err)
		}
		verifyDomainForTest(t, d, acme.ID, "acme.example", "request", "member")
		verifyDomainForTest(t, d, acme.ID, "sub.acme.example", "request", "member")

		tests := []struct {
			email string
			want  string
		}{
			{"jane@ACME.example", general.ID},
			{"jane@sub.acme.example", specific.ID},
			{"jane@unverified.example", ""},
			{"jane@nowhere.example", ""},
		}
		for _, tt := range tests {
			c, ok, err := d.OIDCConnectionForEmail(ctx, tt.email)
			if err != nil {
				t.Fatalf("%s: %v", tt.email, err)
			}
			if got := map[bool]string{true: c.ID}[ok]; got != tt.want {
				t.Errorf("%s routed to %q, want %q", tt.email, got, tt.want)
			}
		}
		if _, _, err := d.OIDCConnectionForEmail(ctx, "no-domain"); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("bad address: err = %v", err)
		}
	})
}

func TestOnboardingAndMyWorkspaces(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		_, owner := newWorkspace(t, d, "acme")
		terms := "2026-11"
		if _, err := d.UpdateWorkspaceSettings(ctx, owner, "acme", directory.WorkspaceSettings{TermsVersion: &terms}); err != nil {
			t.Fatal(err)
		}
		m, _ := join(t, d, owner, "acme", "jane@acme.example", directory.RoleMember)
		me, err := d.MyWorkspaces(ctx, m.UserID)
		if err != nil || len(me.Memberships) != 1 || !me.Memberships[0].NeedsOnboarding() || me.Email != "jane@acme.example" {
			t.Fatalf("me = %+v, %v", me, err)
		}
		if _, err := d.CompleteOnboarding(ctx, m.UserID, "acme", directory.Onboarding{Name: "Jane", TermsVersion: terms}); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("terms not accepted: err = %v", err)
		}
		if _, err := d.CompleteOnboarding(ctx, m.UserID, "acme", directory.Onboarding{Name: "Jane", AcceptTerms: true, TermsVersion: "2020"}); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("stale terms: err = %v", err)
		}
		got, err := d.CompleteOnboarding(ctx, m.UserID, "acme", directory.Onboarding{Name: "Jane Doe", AcceptTerms: true, TermsVersion: terms, Locale: "fr", Phone: "+33 1 23"})
		if err != nil {
			t.Fatal(err)
		}
		if got.TermsVersion != terms || got.OnboardedAt == nil || got.Name != "Jane Doe" || got.Locale != "fr" || got.Phone != "+33 1 23" {
			t.Errorf("onboarded member = %+v", got)
		}
		me, _ = d.MyWorkspaces(ctx, m.UserID)
		if me.Memberships[0].NeedsOnboarding() {
			t.Error("still needs onboarding")
		}
		// A person cannot onboard into a workspace they are not in.
		newWorkspace(t, d, "beta")
		if _, err := d.CompleteOnboarding(ctx, m.UserID, "beta", directory.Onboarding{Name: "Jane"}); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("foreign workspace: err = %v", err)
		}
		if _, err := d.SuspendMember(ctx, owner, "acme", m.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.CompleteOnboarding(ctx, m.UserID, "acme", directory.Onboarding{Name: "Jane", AcceptTerms: true, TermsVersion: terms}); !errors.Is(err, directory.ErrSuspended) {
			t.Errorf("suspended: err = %v", err)
		}
	})
}
