package oidc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/rosterhq/roster/directory"
)

// The relying party's part in setup links: checking a provider's
// discovery as the IT admin types it, and a test sign-in through a
// connection that is not switched on yet, which shows what the provider
// sent instead of signing anyone in.

// RedirectURI is the redirect URI to register at every provider.
func (h *Handler) RedirectURI() string { return h.baseURL + callbackPath }

// CheckDiscovery fetches the provider's discovery document for issuer
// through the same guarded client as sign-ins (https only, no private
// addresses outside dev, timeouts, a size cap) and says in words what is
// wrong, nil when it is fine.
func (h *Handler) CheckDiscovery(ctx context.Context, issuer string) error {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	_, err := gooidc.NewProvider(gooidc.ClientContext(ctx, h.fetch), issuer)
	if err == nil {
		return nil
	}
	h.log.Info("setup discovery check failed", "issuer", issuer, "err", err)
	var mismatch *gooidc.IssuerMismatchError
	var dnsErr *net.DNSError
	wellKnown := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	switch {
	case errors.Is(err, errBlockedAddress):
		return errors.New("the issuer points to a private, loopback or internal address, which Roster never contacts; use your provider's public address")
	case errors.As(err, &mismatch):
		return fmt.Errorf("the provider's discovery document names the issuer %s, not %s; copy the issuer exactly as the provider shows it", mismatch.Discovered, mismatch.Provided)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("the host name %s could not be found; check the issuer for typos", dnsErr.Name)
	case strings.Contains(err.Error(), "must use https"):
		return errors.New("the issuer must be an https address")
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "timeout"):
		return fmt.Errorf("the provider did not answer at %s in time", wellKnown)
	case strings.Contains(err.Error(), "404"):
		return fmt.Errorf("there is no discovery document at %s (404); check the issuer", wellKnown)
	}
	return fmt.Errorf("the discovery document at %s could not be read (%s)", wellKnown, plainError(err))
}

// plainError keeps an error short enough to show next to a field.
func plainError(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// StartTestSignIn sends the browser to the provider of conn (enabled or
// not) for a test sign-in of the setup link token. The callback records
// what came back (directory.RecordSetupSignInTest) and returns to
// returnTo, a path of this server.
func (h *Handler) StartTestSignIn(w http.ResponseWriter, r *http.Request, conn directory.OIDCConnection, token, returnTo string) {
	c, err := h.workspaceConnection(conn)
	if err != nil {
		h.log.Error("setup test sign-in", "connection", conn.ID, "err", err)
		h.message(w, r, http.StatusInternalServerError, "Test sign-in unavailable", "The connection's client secret could not be opened. Enter the provider's details again.")
		return
	}
	h.start(w, r, c, transaction{SetupLink: token, ReturnTo: safeReturnTo(returnTo)}, "")
}

// finishTestSignIn records a test sign-in's claims on its setup link and
// returns to the setup page; nobody is signed in.
func (h *Handler) finishTestSignIn(w http.ResponseWriter, r *http.Request, c *connection, v *verified, txn *transaction) {
	cl := v.claims
	claims := map[string]string{"iss": v.issuer, "sub": cl.Subject}
	for k, val := range map[string]string{"email": cl.Email, "name": cl.Name, "given_name": cl.GivenName, "family_name": cl.FamilyName,
		"preferred_username": cl.PreferredUsername, "locale": cl.Locale, "hd": cl.HostedDomain, "tid": cl.TenantID, "oid": cl.ObjectID} {
		if val != "" {
			claims[k] = val
		}
	}
	claims["email_verified"] = fmt.Sprint(bool(cl.EmailVerified))
	if cl.EmailDomainOwnerVerified {
		claims["xms_edov"] = "true"
	}
	_, err := h.dir.RecordSetupSignInTest(r.Context(), txn.SetupLink, directory.SignInRequest{
		Connection: c.key, Issuer: v.issuer, Subject: cl.Subject, Email: cl.Email, EmailVerified: bool(cl.EmailVerified), TenantID: cl.TenantID,
		EmailDomainOwnerVerified: bool(cl.EmailDomainOwnerVerified), ProviderKind: c.kind, Name: cl.displayName(),
	}, claims)
	if err != nil {
		h.log.Info("setup test sign-in not recorded", "connection", c.key, "err", err)
		h.message(w, r, http.StatusForbidden, "Test sign-in not recorded", "The setup link is no longer valid (it expired, was revoked or is finished). Ask for a new one.")
		return
	}
	http.Redirect(w, r, txn.ReturnTo, http.StatusSeeOther)
}
