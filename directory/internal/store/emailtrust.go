package store

import (
	"fmt"
	"strings"
)

// ErrWrongTenant refuses a sign-in through a tenant-pinned Entra connection
// whose token names another tenant (tid). It is an ErrForbidden.
var ErrWrongTenant = fmt.Errorf("%w: the account belongs to another Entra tenant than the connection's", ErrForbidden)

// TrustSignIn decides, for the identity a relying party verified, whether
// its Entra tenant may sign in through the connection and whether its email
// address is trusted, that is, may link or create a person (DESIGN.md):
//
//   - a workspace's Entra connection is pinned to one tenant: a token of
//     another tenant is ErrWrongTenant. Entra sends no email_verified, so
//     the pinned tenant's emails are trusted exactly for the workspace's
//     verified domains, whatever else the token claims;
//   - a workspace's SAML connection likewise, for the verified domains;
//   - any other workspace connection is trusted for emails it marks
//     verified at the workspace's verified domains;
//   - a server-wide provider (conn nil) is taken at its word when it marks
//     the email verified, and an Entra one when its xms_edov claim says the
//     person's tenant owns the email's domain.
//
// email is the normalised address, "" for none (never trusted).
func (t *Tx) TrustSignIn(req SignInRequest, conn *OIDCConnection, email string) (bool, error) {
	if conn == nil {
		return email != "" && (req.EmailVerified || (req.ProviderKind == OIDCEntra && req.EmailDomainOwnerVerified)), nil
	}
	if conn.Kind == OIDCEntra && !strings.EqualFold(req.TenantID, conn.TenantID) {
		return false, fmt.Errorf("%w (tenant %q)", ErrWrongTenant, req.TenantID)
	}
	if email == "" {
		return false, nil
	}
	dom, err := t.VerifiedDomainOf(conn.WorkspaceID, EmailDomain(email))
	if err != nil || dom == nil {
		return false, err
	}
	// A SAML connection is pinned to its IdP's entity ID and signing
	// certificates as an Entra one to its tenant, and SAML has no
	// email_verified: its emails are trusted for the verified domains.
	return conn.Kind == OIDCEntra || conn.Kind == SAMLKind || req.EmailVerified, nil
}
