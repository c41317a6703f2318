package oidc

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode/utf8"
)

// Cookie names and lifetimes.
const (
	txCookiePrefix = "roster_oidc_"
	txTTL          = 10 * time.Minute

	// Seal purposes: a value sealed for one never opens as another.
	txPurpose = "roster-oidc-tx"
)

// transaction is one sign-in in flight: what the callback needs to finish
// it on any replica. It travels sealed (AES-GCM) in a cookie scoped to the
// callback path and bound to the connection that started it, so an answer
// from another provider (mix-up) or a replayed state does not finish it.
type transaction struct {
	Connection string    `json:"c"`
	State      string    `json:"s"`
	Nonce      string    `json:"n"`
	Verifier   string    `json:"v"`
	ReturnTo   string    `json:"r,omitempty"`
	Invitation string    `json:"i,omitempty"`
	JoinLink   string    `json:"j,omitempty"`
	Expires    time.Time `json:"e"`

	// SetupLink is the token of the setup link whose test sign-in this
	// is: the callback shows the claims instead of signing in.
	SetupLink string `json:"sl,omitempty"`
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// txCookieName keys the cookie on the state's prefix, so sign-ins started
// in two tabs do not overwrite each other.
func txCookieName(state string) string {
	if len(state) > 16 {
		state = state[:16]
	}
	return txCookiePrefix + state
}

func (h *Handler) setTransaction(w http.ResponseWriter, txn *transaction) {
	b, _ := json.Marshal(txn)
	http.SetCookie(w, &http.Cookie{Name: txCookieName(txn.State), Value: h.box.Seal(b, txPurpose), Path: callbackPath,
		MaxAge: int(txTTL / time.Second), HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
}

// takeTransaction opens the transaction of a callback's state and deletes
// its cookie: a state works once per browser.
func (h *Handler) takeTransaction(w http.ResponseWriter, r *http.Request, state string) (*transaction, error) {
	if state == "" {
		return nil, errors.New("callback without state")
	}
	name := txCookieName(state)
	c, err := r.Cookie(name)
	if err != nil {
		return nil, errors.New("no sign-in in progress for this state (cookie missing or expired)")
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: callbackPath, MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	b, err := h.box.Open(c.Value, txPurpose)
	if err != nil {
		return nil, errors.New("sign-in cookie does not open")
	}
	var txn transaction
	if err := json.Unmarshal(b, &txn); err != nil {
		return nil, errors.New("sign-in cookie is malformed")
	}
	if !h.now().Before(txn.Expires) {
		return nil, errors.New("sign-in took too long")
	}
	if subtle.ConstantTimeCompare([]byte(txn.State), []byte(state)) != 1 {
		return nil, errors.New("state does not match")
	}
	return &txn, nil
}

// setSession sets the session cookie (the kit owns it: every page reads it).
func (h *Handler) setSession(w http.ResponseWriter, token string) { h.kit.SetSession(w, token, h.ttl) }

// safeReturnTo accepts only a relative path on this server: no scheme, no
// host, no protocol-relative "//" or "/\" (which browsers treat as a host),
// and nothing that lands on a sign-in, sign-out or callback endpoint once
// its dot segments are resolved. The path is checked decoded (%2e is a
// dot, %2f a slash) and cleaned, and the cleaned path is what is
// returned, so the redirect goes where the check looked.
func safeReturnTo(s string) string {
	if s == "" || len(s) > 512 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, `/\`) || strings.ContainsAny(s, "\r\n\t\\\x00") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return ""
	}
	if strings.ContainsAny(u.Path, "\\\x00") || !utf8.ValidString(u.Path) {
		return ""
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if strings.HasPrefix(clean, "//") || signInEndpoint(clean) {
		return ""
	}
	out := (&url.URL{Path: clean, RawQuery: u.RawQuery, Fragment: u.Fragment}).String()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return ""
	}
	return out
}

// signInEndpoint reports whether a cleaned path is one of the sign-in,
// sign-out or callback endpoints (or under them), where returning after a
// sign-in would loop, sign the person out, or replay a callback.
func signInEndpoint(p string) bool {
	p = strings.ToLower(p)
	for _, e := range []string{"/login", "/logout", "/auth", callbackPath, "/saml"} {
		if p == e || strings.HasPrefix(p, e+"/") {
			return true
		}
	}
	return false
}
