package store

import (
	"time"
)

// SignInRequest is an identity the relying party verified (signature,
// issuer, audience, expiry, nonce, Google's hd already checked; whether an
// Entra tenant fits the connection is decided here) and what the person
// came for.
type SignInRequest struct {
	// Connection is a workspace connection id, or ServerProviderPrefix+key
	// for a server-wide provider.
	Connection string
	Issuer     string
	Subject    string

	// Protocol is ProtocolSAML for a SAML connection (Issuer is then the
	// IdP's entity ID, Subject the NameID); empty for OpenID Connect.
	Protocol string
	// Email and EmailVerified are as the identity provider asserted them;
	// the directory decides whether to trust the address (see DESIGN.md).
	Email         string
	EmailVerified bool
	// ExternalIDs are immutable ids that SCIM may have stored as a
	// membership's externalId (the Entra oid, the Okta user id = sub);
	// they link a provisioned person on first sign-in.
	ExternalIDs []string
	// TenantID is the Entra tid claim.
	TenantID string
	Name     string
	Locale   string
	// EmailDomainOwnerVerified is Entra's xms_edov claim as received: the
	// tenant owns the email's domain. ProviderKind is the kind (OIDCEntra…)
	// of a server-wide provider; a workspace connection's own kind counts.
	// Directory decides what they mean (trustSignIn).
	EmailDomainOwnerVerified bool
	ProviderKind             string

	// Invitation or JoinLink is the token of the link the person
	// followed; neither for a plain login.
	Invitation string
	JoinLink   string

	// PreviousSession is the token of the browser's current session, which
	// the new one replaces.
	PreviousSession string
	SessionTTL      time.Duration
}
