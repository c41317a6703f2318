package saml

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

const (
	stateCookiePrefix = "roster_saml_"
	statePath         = "/saml/"
	stateTTL          = 10 * time.Minute
	// statePurpose binds the seal: a value sealed for anything else never
	// opens as a SAML request state.
	statePurpose = "roster-saml-request"
)

// requestState is one SP-initiated sign-in in flight: the AuthnRequest's
// ID that the answer must be InResponseTo, the connection it was sent for,
// and what the person came for. It travels sealed in a cookie named by the
// RelayState, so any replica can finish it and a second tab does not
// overwrite the first.
type requestState struct {
	Connection string    `json:"c"`
	RequestID  string    `json:"q"`
	RelayState string    `json:"s"`
	ReturnTo   string    `json:"r,omitempty"`
	Invitation string    `json:"i,omitempty"`
	JoinLink   string    `json:"j,omitempty"`
	Expires    time.Time `json:"e"`
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func stateCookieName(relayState string) string {
	if len(relayState) > 16 {
		relayState = relayState[:16]
	}
	return stateCookiePrefix + relayState
}

// cookie is the state cookie. The IdP posts the answer from its own site:
// a SameSite=Lax cookie would not come with that POST, so over https the
// cookie is SameSite=None (and Secure); it is sealed, bound to one
// RelayState and request ID, and useless without the IdP's signed answer.
func (h *Handler) cookie(name, value string, maxAge int) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: statePath, MaxAge: maxAge, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode}
	if h.secure {
		c.SameSite = http.SameSiteNoneMode
	}
	return c
}

func (h *Handler) setState(w http.ResponseWriter, st *requestState) {
	b, _ := json.Marshal(st)
	http.SetCookie(w, h.cookie(stateCookieName(st.RelayState), h.box.Seal(b, statePurpose), int(stateTTL/time.Second)))
}

// errNoState is an answer without a request state of this browser: an
// IdP-initiated sign-in, or one whose cookie is gone.
var errNoState = errors.New("no sign-in in progress for this RelayState")

// takeState opens the state of an answer's RelayState and deletes its
// cookie: a request works once per browser.
func (h *Handler) takeState(w http.ResponseWriter, r *http.Request, relayState string) (*requestState, error) {
	if relayState == "" {
		return nil, errNoState
	}
	name := stateCookieName(relayState)
	c, err := r.Cookie(name)
	if err != nil {
		return nil, errNoState
	}
	http.SetCookie(w, h.cookie(name, "", -1))
	b, err := h.box.Open(c.Value, statePurpose)
	if err != nil {
		return nil, errors.New("sign-in cookie does not open")
	}
	var st requestState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, errors.New("sign-in cookie is malformed")
	}
	if !h.now().Before(st.Expires) {
		return nil, errors.New("sign-in took too long")
	}
	if subtle.ConstantTimeCompare([]byte(st.RelayState), []byte(relayState)) != 1 {
		return nil, errors.New("RelayState does not match")
	}
	return &st, nil
}
