package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/seal"
	"github.com/rosterhq/roster/telemetry"
	"github.com/rosterhq/roster/web"
)

// CallbackPath is the redirect URI's path at every provider (after the
// base URL).
const CallbackPath = "/auth/callback"

const callbackPath = CallbackPath

// maxFormBytes bounds every form body; the largest form is a few fields.
const maxFormBytes = 16 << 10

// Config configures the sign-in front door.
type Config struct {
	Directory *directory.Directory
	// Box seals the transaction cookies and CSRF tokens and opens the
	// connections' client secrets; every replica needs the same keys.
	Box *seal.Box
	// BaseURL is the public URL; the redirect URI registered at every
	// provider is BaseURL + "/auth/callback". Cookies are Secure when it
	// is https.
	BaseURL string
	// Dev allows identity providers on plain http and on private or
	// loopback addresses (local providers such as Dex or Keycloak in a
	// container). Never in production: issuers are tenant-supplied.
	Dev bool
	// Providers are the server-wide providers, offered to people whose
	// email domain no workspace routes.
	Providers []Provider
	// SessionTTL is how long a sign-in lasts; default 12 hours.
	SessionTTL time.Duration
	// RatePerMinute limits sign-in starts and callbacks per client IP
	// (per replica); default 120.
	RatePerMinute int
	// TrustForwardedFor takes the client IP for rate limiting from the
	// last X-Forwarded-For entry (set it only behind a proxy that
	// appends it).
	TrustForwardedFor bool
	Logger            *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Metrics counts sign-ins by outcome; nil counts nothing.
	Metrics *telemetry.Metrics
	// Banner is the development-mode warning every page shows (empty in
	// production).
	Banner string
}

// Handler serves the sign-in pages and the OIDC relying party.
type Handler struct {
	dir       *directory.Directory
	box       *seal.Box
	baseURL   string
	secure    bool
	dev       bool
	servers   []Provider
	ttl       time.Duration
	log       *slog.Logger
	now       func() time.Time
	fetch     *http.Client
	providers *providers
	limit     *limiter
	trustXFF  bool
	mux       *http.ServeMux
	metrics   *telemetry.Metrics
	kit       *web.Kit
}

// NewHandler builds the sign-in front door.
func NewHandler(cfg Config) (*Handler, error) {
	if cfg.Directory == nil || cfg.Box == nil {
		return nil, errors.New("oidc: a directory and a sealing box are required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("oidc: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	h := &Handler{dir: cfg.Directory, box: cfg.Box, baseURL: strings.TrimRight(cfg.BaseURL, "/"), secure: u.Scheme == "https", dev: cfg.Dev,
		servers: cfg.Providers, ttl: cfg.SessionTTL, log: cfg.Logger, now: cfg.Now, trustXFF: cfg.TrustForwardedFor,
		metrics: cfg.Metrics}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.ttl <= 0 {
		h.ttl = directory.DefaultSessionTTL
	}
	h.kit, err = web.New(web.Config{Directory: cfg.Directory, Box: cfg.Box, Secure: h.secure, Logger: h.log, Banner: cfg.Banner})
	if err != nil {
		return nil, err
	}
	h.fetch = newFetchClient(cfg.Dev)
	h.providers = &providers{client: h.fetch, now: h.now, byKey: map[string]*cachedProvider{}}
	h.limit = newLimiter(cfg.RatePerMinute, h.now)
	h.mux = http.NewServeMux()
	h.Register(h.mux)
	return h, nil
}

// Register adds the sign-in routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	web.RegisterAssets(mux)
	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.limited(h.loginSubmit))
	mux.HandleFunc("GET /invite/{token}", h.invitePage)
	mux.HandleFunc("POST /invite/{token}", h.limited(h.inviteSubmit))
	mux.HandleFunc("GET /join/{token}", h.joinPage)
	mux.HandleFunc("POST /join/{token}", h.limited(h.joinSubmit))
	mux.HandleFunc("GET "+callbackPath, h.limited(h.callback))
	mux.HandleFunc("GET /logout", h.logoutPage)
	mux.HandleFunc("POST /logout", h.logout)
	mux.HandleFunc("GET /onboarding", h.onboardingPage)
	mux.HandleFunc("POST /onboarding", h.onboardingSubmit)
	mux.HandleFunc("GET /home", h.home)
}

// ServeHTTP serves the routes of Register (tests mount the handler alone).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mux.ServeHTTP(w, r)
}

// limited rate-limits a sign-in endpoint per client IP.
func (h *Handler) limited(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.limit.allow(clientKey(r, h.trustXFF)) {
			w.Header().Set("Retry-After", "60")
			h.message(w, r, http.StatusTooManyRequests, "Too many attempts", "Please wait a minute and try again.")
			return
		}
		next(w, r)
	}
}

// session is the signed-in browser's session, or nil.
func (h *Handler) session(r *http.Request) *directory.Session { return h.kit.Session(r) }

// parseForm reads a bounded form body and checks its CSRF token; on
// failure the kit has answered with a page in words.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request, s *directory.Session) bool {
	return h.kit.ParseForm(w, r, s, maxFormBytes)
}

// workspaceConnection loads a workspace connection with its secret.
func (h *Handler) workspaceConnection(c directory.OIDCConnection) (*connection, error) {
	secret, err := c.ClientSecret(h.box)
	if err != nil {
		return nil, err
	}
	return &connection{key: c.ID, name: c.Name, kind: c.Kind, issuer: c.Issuer, clientID: c.ClientID, clientSecret: secret,
		tenantID: c.TenantID, hostedDomain: c.HostedDomain}, nil
}

// loadConnection finds the connection a transaction was started with.
func (h *Handler) loadConnection(ctx context.Context, key string) (*connection, error) {
	if name, ok := strings.CutPrefix(key, directory.ServerProviderPrefix); ok {
		for _, p := range h.servers {
			if p.Key == name {
				return p.connection(), nil
			}
		}
		return nil, fmt.Errorf("server provider %q is no longer configured", name)
	}
	c, err := h.dir.OIDCConnectionByID(ctx, key)
	if err != nil {
		return nil, err
	}
	return h.workspaceConnection(c)
}

// serverProvider finds a configured server-wide provider by key.
func (h *Handler) serverProvider(key string) *connection {
	for _, p := range h.servers {
		if p.Key == key {
			return p.connection()
		}
	}
	return nil
}

// route is home-realm discovery for an address: the workspace connection
// that signs in its verified domain, or nil when none does.
func (h *Handler) route(ctx context.Context, email string) (*connection, error) {
	c, ok, err := h.dir.OIDCConnectionForEmail(ctx, email)
	if err != nil || !ok {
		return nil, err
	}
	return h.workspaceConnection(c)
}

// start sends the browser to the provider: a fresh state, nonce and PKCE
// verifier sealed into the transaction cookie, login_hint (and Entra's
// domain_hint, Google's hd) to skip the provider's account picker.
func (h *Handler) start(w http.ResponseWriter, r *http.Request, c *connection, txn transaction, loginHint string) {
	cp, err := h.providers.get(r.Context(), c)
	if err != nil {
		h.log.Warn("oidc discovery failed", "connection", c.key, "issuer", c.issuer, "err", err)
		h.message(w, r, http.StatusBadGateway, "Sign-in is unavailable", "We could not reach the identity provider "+c.name+". Try again in a few minutes, or tell your administrator.")
		return
	}
	txn.Connection, txn.State, txn.Nonce, txn.Verifier = c.key, randomString(24), randomString(24), oauth2.GenerateVerifier()
	txn.Expires = h.now().Add(txTTL)
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(txn.Verifier), gooidc.Nonce(txn.Nonce)}
	if loginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", loginHint))
		if c.kind == directory.OIDCEntra {
			if at := strings.LastIndexByte(loginHint, '@'); at >= 0 {
				opts = append(opts, oauth2.SetAuthURLParam("domain_hint", loginHint[at+1:]))
			}
		}
	}
	if c.kind == directory.OIDCGoogle && c.hostedDomain != "" {
		opts = append(opts, oauth2.SetAuthURLParam("hd", c.hostedDomain))
	}
	h.setTransaction(w, &txn)
	http.Redirect(w, r, h.oauthConfig(c, cp.provider).AuthCodeURL(txn.State, opts...), http.StatusSeeOther)
}

// callback finishes a sign-in: the transaction, the provider's answer,
// then one directory call that decides what the sign-in means.
func (h *Handler) callback(w http.ResponseWriter, r *http.Request) {
	// outcome is the sign-in's, for metrics: a SignInOutcome, or why it
	// failed (a word of signInFailure's).
	outcome := "error"
	defer func() { h.metrics.SignIn(outcome) }()
	q := r.URL.Query()
	txn, err := h.takeTransaction(w, r, q.Get("state"))
	if err != nil {
		outcome = "transaction_expired"
		h.log.Info("oidc callback refused", "reason", err)
		h.message(w, r, http.StatusBadRequest, "Sign-in expired", "This sign-in has expired or was already used. Please start again.")
		return
	}
	if e := q.Get("error"); e != "" {
		outcome = "provider_error"
		h.log.Info("oidc provider error", "connection", txn.Connection, "error", e, "description", q.Get("error_description"))
		msg := "The identity provider did not sign you in"
		if e == "access_denied" {
			msg = "The identity provider refused the sign-in (access denied). If you should have access, ask your administrator to assign you the Roster application"
		}
		h.message(w, r, http.StatusForbidden, "Sign-in refused", msg+".")
		return
	}
	c, err := h.loadConnection(r.Context(), txn.Connection)
	if err != nil {
		outcome = "connection_gone"
		h.log.Warn("oidc connection gone", "connection", txn.Connection, "err", err)
		h.message(w, r, http.StatusBadRequest, "Sign-in expired", "This sign-in method is no longer available. Please start again.")
		return
	}
	v, err := h.exchange(r.Context(), c, q.Get("code"), txn)
	if err != nil {
		var ref *refusal
		if errors.As(err, &ref) {
			outcome = "token_refused"
			h.log.Warn("oidc sign-in refused", "connection", c.key, "reason", ref.reason)
			h.message(w, r, http.StatusForbidden, "Sign-in refused", ref.message)
			return
		}
		outcome = "provider_unavailable"
		h.log.Warn("oidc sign-in failed", "connection", c.key, "err", err)
		h.message(w, r, http.StatusBadGateway, "Sign-in is unavailable", "We could not reach the identity provider "+c.name+". Try again in a few minutes.")
		return
	}
	if txn.SetupLink != "" {
		outcome = "setup_test"
		h.finishTestSignIn(w, r, c, v, txn)
		return
	}
	ext := []string{v.claims.Subject}
	if v.claims.ObjectID != "" {
		ext = append([]string{v.claims.ObjectID}, ext...)
	}
	ctx, end := telemetry.StartSpan(r.Context(), "oidc.sign_in", "")
	res, err := h.dir.SignIn(ctx, directory.SignInRequest{
		Connection: c.key, Issuer: v.issuer, Subject: v.claims.Subject, Email: v.claims.Email, EmailVerified: bool(v.claims.EmailVerified),
		ExternalIDs: ext, TenantID: v.claims.TenantID, EmailDomainOwnerVerified: bool(v.claims.EmailDomainOwnerVerified), ProviderKind: c.kind,
		Name: v.claims.displayName(), Locale: v.claims.Locale,
		Invitation: txn.Invitation, JoinLink: txn.JoinLink, PreviousSession: web.SessionToken(r), SessionTTL: h.ttl,
	})
	end(err)
	if err != nil {
		outcome = signInFailure(err)
		h.log.Info("sign-in refused by directory", "connection", c.key, "err", err)
		h.directoryError(w, r, err, pageSignIn)
		return
	}
	outcome = string(res.Outcome)
	if res.Workspace != nil {
		telemetry.SetWorkspace(r.Context(), res.Workspace.ID)
	}
	h.setSession(w, res.SessionToken)
	h.log.Info("signed in", "connection", c.key, "user", res.UserID, "outcome", res.Outcome)
	next := "/home"
	switch {
	case res.NeedsOnboarding && res.Workspace != nil:
		next = "/onboarding?workspace=" + url.QueryEscape(res.Workspace.Slug)
	case txn.JoinLink != "":
		next = "/join/" + url.PathEscape(txn.JoinLink)
	case txn.ReturnTo != "":
		next = txn.ReturnTo
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signInFailure names why the directory refused a sign-in, for metrics.
func signInFailure(err error) string {
	switch {
	case errors.Is(err, directory.ErrSuspended):
		return "suspended"
	case errors.Is(err, directory.ErrSeatLimit):
		return "seat_limit"
	case errors.Is(err, directory.ErrNoAccount):
		return "no_account"
	case errors.Is(err, directory.ErrExpired), errors.Is(err, directory.ErrUsed), errors.Is(err, directory.ErrRevoked), errors.Is(err, directory.ErrNotFound):
		return "invitation_invalid"
	case errors.Is(err, directory.ErrEmailMismatch), errors.Is(err, directory.ErrWrongTenant), errors.Is(err, directory.ErrUnverifiedEmail),
		errors.Is(err, directory.ErrOrganizationSSO), errors.Is(err, directory.ErrRejected), errors.Is(err, directory.ErrConflict), errors.Is(err, directory.ErrForbidden):
		return "refused"
	}
	return "error"
}

// Contexts for directoryError: the same sentinel reads differently on an
// invitation page and a join-link page.
const (
	pageSignIn = iota
	pageInvite
	pageJoin
)

// directoryError is the one place directory errors become pages.
func (h *Handler) directoryError(w http.ResponseWriter, r *http.Request, err error, context int) {
	status, title, msg, known := explain(err, context)
	if !known {
		h.log.Error("sign-in page", "path", r.URL.Path, "err", err)
	}
	h.message(w, r, status, title, msg)
}

// ExplainSignIn is the page, in words, for an error of directory.SignIn:
// the other sign-in door (SAML) shows the same pages as this one. known is
// false for an unexpected error, which the caller logs.
func ExplainSignIn(err error) (status int, title, msg string, known bool) {
	return explain(err, pageSignIn)
}

// explain is directoryError's page for err on a page of context.
func explain(err error, context int) (status int, title, msg string, known bool) {
	var seats *directory.SeatLimitError
	var suspended *directory.SuspendedError
	status, title, msg, known = http.StatusInternalServerError, "Something went wrong", "Please try again. If it keeps happening, tell your administrator.", true
	switch {
	case errors.As(err, &suspended) && suspended.ByIdentityProvider:
		status, title, msg = http.StatusForbidden, "Your access is suspended", "This workspace's identity provider has deactivated your access (your organisation's IT, for example by unassigning the app). Ask your IT administrator to restore it."
	case errors.Is(err, directory.ErrSuspended):
		status, title, msg = http.StatusForbidden, "Your access is suspended", "An administrator of this workspace has suspended your membership. Ask them to reactivate it."
	case errors.Is(err, directory.ErrRejected):
		status, title, msg = http.StatusForbidden, "Your request was declined", "An administrator of this workspace declined your request to join, so you cannot ask again. Contact them if you think this is a mistake."
	case errors.As(err, &seats):
		status, title, msg = http.StatusForbidden, "This workspace is full", fmt.Sprintf("It uses all of its %d seats, so nobody else can join right now. Its administrators have been told; ask them to free a seat or add more.", seats.Limit)
	case errors.Is(err, directory.ErrSeatLimit):
		status, title, msg = http.StatusForbidden, "This workspace is full", "It uses all of its seats. Its administrators have been told."
	case errors.Is(err, directory.ErrEmailMismatch):
		status, title, msg = http.StatusForbidden, "This invitation is for another address", "You signed in with a different email address than the one invited. Sign in with the invited address, or ask for an invitation to the address you use."
	case errors.Is(err, directory.ErrWrongTenant):
		status, title, msg = http.StatusForbidden, "Sign-in refused", wrongTenantMessage
	case errors.Is(err, directory.ErrUnverifiedEmail):
		status, title, msg = http.StatusForbidden, "Your email address is not verified", "Your identity provider did not confirm that this email address is yours, so it cannot be used to join. Ask your administrator."
	case errors.Is(err, directory.ErrOrganizationSSO):
		status, title, msg = http.StatusForbidden, "Use your organisation's sign-in", "Your organisation signs its people in with its own identity provider. Go to the sign-in page and enter your work email address."
	case errors.Is(err, directory.ErrNoAccount):
		status, title, msg = http.StatusForbidden, "No workspace yet", "You signed in, but no workspace has given you access. Ask a workspace administrator for an invitation or a join link."
	case errors.Is(err, directory.ErrExpired):
		status, title, msg = http.StatusGone, "This invitation has expired", "Ask the person who invited you to send a new invitation."
	case errors.Is(err, directory.ErrUsed):
		status, title, msg = http.StatusGone, "This invitation was already used", "It can be used only once. Sign in instead, or ask for a new invitation."
	case errors.Is(err, directory.ErrRevoked) && context == pageJoin:
		status, title, msg = http.StatusGone, "This join link is no longer active", "Ask a workspace administrator for a new link."
	case errors.Is(err, directory.ErrRevoked):
		status, title, msg = http.StatusGone, "This invitation was withdrawn", "Ask the workspace's administrators for a new invitation."
	case errors.Is(err, directory.ErrNotFound) && context == pageInvite:
		status, title, msg = http.StatusNotFound, "This invitation link is not valid", "Check that you copied the whole link, or ask for a new invitation."
	case errors.Is(err, directory.ErrNotFound) && context == pageJoin:
		status, title, msg = http.StatusNotFound, "This join link is not valid", "Check that you copied the whole link, or ask for a new one."
	case errors.Is(err, directory.ErrNotFound):
		status, title, msg = http.StatusNotFound, "Not found", "This page does not exist or you do not have access to it."
	case errors.Is(err, directory.ErrForbidden):
		status, title, msg = http.StatusForbidden, "Not allowed", "You do not have access to this."
	case errors.Is(err, directory.ErrConflict):
		status, title, msg = http.StatusConflict, "Already linked", "This sign-in is already linked to another person. Ask your administrator."
	case errors.Is(err, directory.ErrInvalid):
		status, title, msg = http.StatusBadRequest, "Please check the form", strings.TrimPrefix(err.Error(), directory.ErrInvalid.Error()+": ")
	default:
		known = false
	}
	return status, title, msg, known
}
