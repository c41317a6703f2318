package oidc

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/rosterhq/roster/directory"
)

// What the SAML door (package saml) shares with this one: it fetches IdP
// metadata with the same guarded client, returns people only to paths
// this door would, and this door's home-realm discovery hands it the
// addresses a SAML connection signs in.

// NewFetchClient is the HTTP client for tenant-supplied identity provider
// URLs: https only and public addresses only unless dev, bounded by
// timeouts and a response size cap (see newFetchClient).
func NewFetchClient(dev bool) *http.Client { return newFetchClient(dev) }

// SafeReturnTo is the path after a sign-in, or "" when s may not be one
// (see safeReturnTo).
func SafeReturnTo(s string) string { return safeReturnTo(s) }

// RateLimit is the sign-in doors' per-client-IP limit, for the SAML door's
// start and ACS endpoints (per replica, like this door's).
type RateLimit struct {
	l        *limiter
	trustXFF bool
}

// NewRateLimit allows perMinute requests per client (default 120); with
// trustXFF the client is the last X-Forwarded-For entry.
func NewRateLimit(perMinute int, trustXFF bool, now func() time.Time) *RateLimit {
	return &RateLimit{l: newLimiter(perMinute, now), trustXFF: trustXFF}
}

// Allow takes a token for r's client, reporting false when none is left.
func (rl *RateLimit) Allow(r *http.Request) bool { return rl.l.allow(clientKey(r, rl.trustXFF)) }

// SAMLStartPath is where the SAML door starts a sign-in with connection id.
func SAMLStartPath(connectionID string) string {
	return "/saml/" + url.PathEscape(connectionID) + "/start"
}

// startSAML continues home-realm discovery with SAML when no OIDC
// connection routes addr: the browser goes to the SAML door with what the
// sign-in is for. It reports whether it answered.
func (h *Handler) startSAML(w http.ResponseWriter, r *http.Request, addr string, txn transaction) bool {
	c, ok, err := h.dir.SAMLConnectionForEmail(r.Context(), addr)
	if err != nil && !errors.Is(err, directory.ErrInvalid) {
		h.directoryError(w, r, err, pageSignIn)
		return true
	}
	if !ok {
		return false
	}
	q := url.Values{"login_hint": {addr}}
	if txn.Invitation != "" {
		q.Set("invitation", txn.Invitation)
	}
	if txn.JoinLink != "" {
		q.Set("join", txn.JoinLink)
	}
	if txn.ReturnTo != "" {
		q.Set("return_to", txn.ReturnTo)
	}
	http.Redirect(w, r, SAMLStartPath(c.ID)+"?"+q.Encode(), http.StatusSeeOther)
	return true
}
