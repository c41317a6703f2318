package directory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// TestEntraEmailTrust: Entra sends no email_verified, so directory decides
// from the claims the relying party passes on. A tenant-pinned workspace
// connection refuses other tenants and vouches for the workspace's
// verified domains only, whatever email_verified or xms_edov say; a
// server-wide Entra provider is trusted on xms_edov, which means nothing
// from another kind of provider.
func TestEntraEmailTrust(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		acme, owner := newWorkspace(t, d, "acme")
		verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainAutoJoin, directory.RoleMember)
		conn, err := d.CreateOIDCConnection(ctx, op, "acme", testBox(t), directory.OIDCConnectionRequest{Kind: directory.OIDCEntra, TenantID: tenant, ClientID: "app", ClientSecret: "s"})
		if err != nil {
			t.Fatal(err)
		}
		const otherTenant = "00000000-0000-0000-0000-000000000001"
		pinned := []struct {
			name           string
			tid, email     string
			verified, edov bool
			want           error // nil: joins by the domain
		}{
			{"own tenant, verified domain, no email_verified", tenant, "ann@acme.example", false, false, nil},
			{"own tenant in capitals", strings.ToUpper(tenant), "bea@acme.example", false, false, nil},
			{"another tenant, whatever it claims", otherTenant, "cai@acme.example", true, true, directory.ErrWrongTenant},
			{"no tenant", "", "dan@acme.example", true, true, directory.ErrWrongTenant},
			{"own tenant, a domain the workspace has not verified", tenant, "eve@elsewhere.example", true, true, directory.ErrUnverifiedEmail},
		}
		for _, tc := range pinned {
			res, err := d.SignIn(ctx, directory.SignInRequest{Connection: conn.ID, Issuer: conn.Issuer, Subject: "sub-" + tc.email, Email: tc.email,
				EmailVerified: tc.verified, EmailDomainOwnerVerified: tc.edov, TenantID: tc.tid, ProviderKind: directory.OIDCEntra})
			switch {
			case tc.want == nil && (err != nil || res.Outcome != directory.SignInJoined):
				t.Errorf("%s: %+v %v, want joined", tc.name, res.Outcome, err)
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
			}
			if errors.Is(tc.want, directory.ErrWrongTenant) && !errors.Is(err, directory.ErrForbidden) {
				t.Errorf("%s: ErrWrongTenant is not an ErrForbidden: %v", tc.name, err)
			}
		}

		server := []struct {
			name           string
			kind           string
			verified, edov bool
			trusted        bool
		}{
			{"entra with xms_edov", directory.OIDCEntra, false, true, true},
			{"entra without", directory.OIDCEntra, false, false, false},
			{"generic with xms_edov only", directory.OIDCGeneric, false, true, false},
			{"generic with email_verified", directory.OIDCGeneric, true, false, true},
		}
		for i, tc := range server {
			email := "guest" + string(rune('a'+i)) + "@partner.example"
			out, err := d.Invite(ctx, owner, "acme", directory.InviteRequest{Text: email, Role: directory.RoleCollaborator})
			if err != nil || out[0].Token == "" {
				t.Fatalf("invite %s: %+v %v", email, out, err)
			}
			res, err := d.SignIn(ctx, directory.SignInRequest{Connection: directory.ServerProviderPrefix + "microsoft", Issuer: directory.EntraIssuer(otherTenant),
				Subject: "sub-" + email, Email: email, EmailVerified: tc.verified, EmailDomainOwnerVerified: tc.edov, TenantID: otherTenant,
				ProviderKind: tc.kind, Invitation: out[0].Token})
			switch {
			case tc.trusted && (err != nil || res.Outcome != directory.SignInAccepted):
				t.Errorf("%s: %+v %v, want the invitation accepted", tc.name, res.Outcome, err)
			case !tc.trusted && !errors.Is(err, directory.ErrUnverifiedEmail):
				t.Errorf("%s: err = %v, want ErrUnverifiedEmail", tc.name, err)
			}
		}
	})
}
