package directory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// TestSignInIdentityRules: identities are keyed on (connection, issuer,
// subject); email links only when trusted and at the workspace's verified
// domain; a tenant-pinned Entra connection vouches for those domains only;
// a SCIM-provisioned member links by externalId.
func TestSignInIdentityRules(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		box := testBox(t)
		acme, owner := newWorkspace(t, d, "acme")
		verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainAutoJoin, directory.RoleMember)
		entra, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: directory.OIDCEntra, TenantID: tenant, ClientID: "app", ClientSecret: "s"})
		if err != nil {
			t.Fatal(err)
		}
		in := func(sub, email string, verified bool) directory.SignInRequest {
			return directory.SignInRequest{Connection: entra.ID, Issuer: entra.Issuer, Subject: sub, Email: email, EmailVerified: verified, TenantID: tenant}
		}

		// Entra sends no email_verified: the pinned tenant vouches for the
		// workspace's verified domain, so auto_join applies.
		res, err := d.SignIn(ctx, in("sub-ann", "ann@acme.example", false))
		if err != nil || res.Outcome != directory.SignInJoined || res.SessionToken == "" || !res.NeedsOnboarding {
			t.Fatalf("ann: %+v %v", res, err)
		}
		s, err := d.SessionByToken(ctx, res.SessionToken)
		if err != nil || s.UserID != res.UserID || s.Email != "ann@acme.example" {
			t.Errorf("session = %+v %v", s, err)
		}
		// ...but not for other domains, even "verified" ones.
		if _, err := d.SignIn(ctx, in("sub-x", "x@gmail.example", true)); !errors.Is(err, directory.ErrUnverifiedEmail) {
			t.Errorf("foreign domain: err = %v", err)
		}
		// Another tenant is refused outright.
		bad := in("sub-ann", "ann@acme.example", false)
		bad.TenantID = "00000000-0000-0000-0000-000000000001"
		if _, err := d.SignIn(ctx, bad); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("other tenant: err = %v", err)
		}
		// Once linked, the subject decides, not the (mutable) email claim;
		// the old session is rotated out.
		again := in("sub-ann", "renamed@elsewhere.example", false)
		again.PreviousSession = res.SessionToken
		res2, err := d.SignIn(ctx, again)
		if err != nil || res2.UserID != res.UserID || res2.Outcome != directory.SignInMember || res2.Email != "ann@acme.example" {
			t.Fatalf("ann again: %+v %v", res2, err)
		}
		if _, err := d.SessionByToken(ctx, res.SessionToken); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("previous session still valid: %v", err)
		}

		// A SCIM-provisioned member links by externalId (the Entra oid),
		// whatever the email says.
		m, _ := join(t, d, owner, "acme", "pat@acme.example", directory.RoleMember)
		if _, err := d.DB().Exec(d.DB().Rebind(`UPDATE memberships SET external_id = ? WHERE id = ?`), "oid-pat", m.ID); err != nil {
			t.Fatal(err)
		}
		scim := in("sub-pat", "", false)
		scim.ExternalIDs = []string{"oid-pat", "sub-pat"}
		res3, err := d.SignIn(ctx, scim)
		if err != nil || res3.UserID != m.UserID || res3.Outcome != directory.SignInMember {
			t.Fatalf("pat: %+v %v", res3, err)
		}

		// Suspension revokes every session of the person.
		if _, err := d.SuspendMember(ctx, owner, "acme", m.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SessionByToken(ctx, res3.SessionToken); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("session survives suspension: %v", err)
		}
		if _, err := d.SignIn(ctx, scim); !errors.Is(err, directory.ErrSuspended) {
			t.Errorf("suspended sign-in: err = %v", err)
		}
		// Removal too.
		res4, err := d.SignIn(ctx, in("sub-ann", "", false))
		if err != nil {
			t.Fatal(err)
		}
		members, _ := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "ann@"})
		if err := d.RemoveMember(ctx, owner, "acme", members.Members[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.SessionByToken(ctx, res4.SessionToken); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("session survives removal: %v", err)
		}
	})
}

// TestSignInGenericConnectionTrust: a generic workspace connection vouches
// only for verified emails at the workspace's verified domains, and a
// sign-in with no workspace and no link is ErrNoAccount.
func TestSignInGenericConnectionTrust(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		box := testBox(t)
		acme, _ := newWorkspace(t, d, "acme")
		verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainRequest, directory.RoleMember)
		c, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "a", ClientSecret: "b"})
		if err != nil {
			t.Fatal(err)
		}
		req := directory.SignInRequest{Connection: c.ID, Issuer: c.Issuer, Subject: "s1", Email: "bo@acme.example"}
		if _, err := d.SignIn(ctx, req); !errors.Is(err, directory.ErrUnverifiedEmail) {
			t.Errorf("unverified: err = %v", err)
		}
		req.Issuer = "https://evil.example"
		req.EmailVerified = true
		if _, err := d.SignIn(ctx, req); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("foreign issuer: err = %v", err)
		}
		req.Issuer = c.Issuer
		res, err := d.SignIn(ctx, req)
		if err != nil || res.Outcome != directory.SignInRequested || res.Request == nil {
			t.Errorf("request domain: %+v %v", res, err)
		}
		srv := directory.SignInRequest{Connection: directory.ServerProviderPrefix + "social", Issuer: "https://social.example", Subject: "z", Email: "z@nowhere.example", EmailVerified: true}
		if _, err := d.SignIn(ctx, srv); !errors.Is(err, directory.ErrNoAccount) {
			t.Errorf("no account: err = %v", err)
		}
		// A server-wide provider cannot speak for acme.example, which acme
		// routes to its own provider, even with a verified email.
		srv.Subject, srv.Email = "y", "bo@acme.example"
		if _, err := d.SignIn(ctx, srv); !errors.Is(err, directory.ErrOrganizationSSO) {
			t.Errorf("routed domain through a server provider: err = %v", err)
		}
	})
}
