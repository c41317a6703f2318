package saml

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	crewjam "github.com/crewjam/saml"
	"github.com/jonboulle/clockwork"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/seal"
	"github.com/rosterhq/roster/telemetry"
	"github.com/rosterhq/roster/web"
)

// maxResponseBytes bounds the ACS form: a signed response with a few
// attributes is a few kilobytes, base64 makes it a third larger.
const maxResponseBytes = 256 << 10

// clockSkew is how far the IdP's clock may be from ours for NotBefore,
// NotOnOrAfter and IssueInstant: small, since a bearer assertion is only
// meant to travel through the browser once.
const clockSkew = time.Minute

func init() {
	// crewjam/saml reads the allowed skew from a package variable (its
	// default is three minutes).
	crewjam.MaxClockSkew = clockSkew
}

// Config configures the SAML door.
type Config struct {
	Directory *directory.Directory
	// Box seals the request state cookies; every replica needs the same
	// keys.
	Box *seal.Box
	// BaseURL is the public URL; a connection's SP entity ID is
	// BaseURL/saml/{id}/metadata and its ACS BaseURL/saml/{id}/acs.
	BaseURL string
	// Dev allows metadata URLs on plain http and private addresses.
	Dev bool
	// SessionTTL is how long a sign-in lasts; default
	// directory.DefaultSessionTTL.
	SessionTTL time.Duration
	// RefreshEvery is how often metadata URLs are fetched again; default
	// 12 hours.
	RefreshEvery time.Duration
	Logger       *slog.Logger
	// RatePerMinute limits sign-in starts and answers per client IP (per
	// replica); default 120, as for OIDC. TrustForwardedFor takes the
	// client from the last X-Forwarded-For entry.
	RatePerMinute     int
	TrustForwardedFor bool
	// Now is the clock; default time.Now.
	Now     func() time.Time
	Metrics *telemetry.Metrics
}

// Handler serves the SAML routes.
type Handler struct {
	dir     *directory.Directory
	box     *seal.Box
	baseURL string
	secure  bool
	ttl     time.Duration
	refresh time.Duration
	log     *slog.Logger
	now     func() time.Time
	fetch   *http.Client
	kit     *web.Kit
	metrics *telemetry.Metrics
	limit   *oidc.RateLimit
	mux     *http.ServeMux
}

// NewHandler builds the SAML door.
func NewHandler(cfg Config) (*Handler, error) {
	if cfg.Directory == nil || cfg.Box == nil {
		return nil, errors.New("saml: a directory and a sealing box are required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("saml: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	h := &Handler{dir: cfg.Directory, box: cfg.Box, baseURL: strings.TrimRight(cfg.BaseURL, "/"), secure: u.Scheme == "https",
		ttl: cfg.SessionTTL, refresh: cfg.RefreshEvery, log: cfg.Logger, now: cfg.Now, metrics: cfg.Metrics, fetch: oidc.NewFetchClient(cfg.Dev)}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.ttl <= 0 {
		h.ttl = directory.DefaultSessionTTL
	}
	if h.refresh <= 0 {
		h.refresh = 12 * time.Hour
	}
	h.kit, err = web.New(web.Config{Directory: cfg.Directory, Box: cfg.Box, Secure: h.secure, Logger: h.log})
	if err != nil {
		return nil, err
	}
	h.limit = oidc.NewRateLimit(cfg.RatePerMinute, cfg.TrustForwardedFor, h.now)
	h.mux = http.NewServeMux()
	h.Register(h.mux)
	return h, nil
}

// Register adds the SAML routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /saml/{id}/metadata", h.metadata)
	mux.HandleFunc("GET /saml/{id}/start", h.limited(h.start))
	mux.HandleFunc("POST /saml/{id}/acs", h.limited(h.acs))
}

// limited rate-limits a sign-in endpoint per client IP: each start costs
// a database read and each answer a signature check and a write.
func (h *Handler) limited(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.limit.Allow(r) {
			w.Header().Set("Retry-After", "60")
			h.message(w, r, http.StatusTooManyRequests, "Too many attempts", "Please wait a minute and try again.")
			return
		}
		next(w, r)
	}
}

// ServeHTTP serves the routes of Register (tests mount the handler alone).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Fetcher reads metadata for the doors that create connections (admin API,
// CLI): the same guarded client as sign-in uses.
func (h *Handler) Fetcher() *http.Client { return h.fetch }

// nowClock is the handler's clock in the form crewjam/saml takes.
type nowClock struct {
	clockwork.Clock
	now func() time.Time
}

func (c nowClock) Now() time.Time                  { return c.now() }
func (c nowClock) Since(t time.Time) time.Duration { return c.now().Sub(t) }
func (c nowClock) Until(t time.Time) time.Duration { return t.Sub(c.now()) }

// serviceProvider is Roster as the SP of connection c: its own entity ID
// and ACS per connection (so an assertion for one connection is another's
// wrong audience), the IdP from the stored metadata.
func (h *Handler) serviceProvider(ctx context.Context, c *directory.SAMLConnection) (*crewjam.ServiceProvider, error) {
	ed, err := ParseMetadata([]byte(c.MetadataXML))
	if err != nil {
		return nil, fmt.Errorf("metadata of saml connection %s: %w", c.ID, err)
	}
	md, acs := h.spURLs(c.ID)
	return &crewjam.ServiceProvider{
		EntityID:          md.String(),
		MetadataURL:       *md,
		AcsURL:            *acs,
		IDPMetadata:       ed,
		AllowIDPInitiated: c.AllowIdPInitiated,
		AuthnNameIDFormat: crewjam.UnspecifiedNameIDFormat,
		// Okta, Entra and ADFS sign with SHA-256 by default.
		RejectSHA1Signatures:    true,
		RejectUnknownConditions: false,
		ReplayCache:             &replayCache{ctx: ctx, dir: h.dir, issuer: c.EntityID},
		Clock:                   dsig.NewFakeClock(nowClock{Clock: clockwork.NewRealClock(), now: h.now}),
		HTTPClient:              h.fetch,
	}, nil
}

// spURLs are a connection's SP entity ID (its metadata URL) and ACS URL.
func (h *Handler) spURLs(id string) (metadata, acs *url.URL) {
	metadata, _ = url.Parse(SPMetadataURL(h.baseURL, id))
	acs, _ = url.Parse(ACSURL(h.baseURL, id))
	return metadata, acs
}

// replayCache records assertion IDs in the database, so that an assertion
// is accepted once across every replica.
type replayCache struct {
	ctx    context.Context
	dir    *directory.Directory
	issuer string
}

func (rc *replayCache) Consume(assertionID string, expiresAt time.Time) error {
	err := rc.dir.ConsumeSAMLAssertion(rc.ctx, rc.issuer, assertionID, expiresAt)
	if errors.Is(err, directory.ErrAssertionReplayed) {
		return crewjam.ErrAssertionReplayed
	}
	return err
}

// connection loads the connection of a route; on failure it has answered.
func (h *Handler) connection(w http.ResponseWriter, r *http.Request) *directory.SAMLConnection {
	c, err := h.dir.SAMLConnectionByID(r.Context(), r.PathValue("id"))
	if err != nil {
		if errors.Is(err, directory.ErrNotFound) {
			h.message(w, r, http.StatusNotFound, "This sign-in method does not exist", "It may have been removed. Go to the sign-in page and enter your work email address.")
			return nil
		}
		h.log.Error("saml connection", "err", err)
		h.message(w, r, http.StatusInternalServerError, "Something went wrong", "Please try again. If it keeps happening, tell your administrator.")
		return nil
	}
	return &c
}

// metadata serves Roster's SP metadata for a connection, to paste or point
// the IdP at.
func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	c := h.connection(w, r)
	if c == nil {
		return
	}
	sp, err := h.serviceProvider(r.Context(), c)
	if err != nil {
		h.log.Error("saml sp metadata", "connection", c.ID, "err", err)
		h.message(w, r, http.StatusInternalServerError, "Something went wrong", "This connection's identity provider metadata cannot be read. Tell your administrator.")
		return
	}
	b, err := xml.MarshalIndent(sp.Metadata(), "", "  ")
	if err != nil {
		h.log.Error("saml sp metadata", "connection", c.ID, "err", err)
		http.Error(w, "metadata unavailable", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	w.Header().Set("Content-Disposition", `inline; filename="roster-sp-metadata.xml"`)
	w.Write([]byte(xml.Header))
	w.Write(b)
}

// start sends the browser to the IdP with an AuthnRequest (HTTP-Redirect
// binding), its ID and what the sign-in is for sealed in a cookie that the
// ACS opens.
func (h *Handler) start(w http.ResponseWriter, r *http.Request) {
	c := h.connection(w, r)
	if c == nil {
		return
	}
	sp, err := h.serviceProvider(r.Context(), c)
	if err != nil {
		h.log.Error("saml start", "connection", c.ID, "err", err)
		h.message(w, r, http.StatusBadGateway, "Sign-in is unavailable", "This workspace's identity provider is not set up correctly. Tell your administrator.")
		return
	}
	sso := sp.GetSSOBindingLocation(crewjam.HTTPRedirectBinding)
	if sso == "" {
		h.log.Warn("saml idp has no HTTP-Redirect sign-on endpoint", "connection", c.ID)
		h.message(w, r, http.StatusBadGateway, "Sign-in is unavailable", "This workspace's identity provider does not accept sign-in requests from Roster. Tell your administrator.")
		return
	}
	req, err := sp.MakeAuthenticationRequest(sso, crewjam.HTTPRedirectBinding, crewjam.HTTPPostBinding)
	if err != nil {
		h.log.Error("saml authn request", "connection", c.ID, "err", err)
		h.message(w, r, http.StatusInternalServerError, "Something went wrong", "Please try again. If it keeps happening, tell your administrator.")
		return
	}
	q := r.URL.Query()
	st := requestState{Connection: c.ID, RequestID: req.ID, RelayState: randomString(18), ReturnTo: oidc.SafeReturnTo(q.Get("return_to")),
		Invitation: q.Get("invitation"), JoinLink: q.Get("join"), Expires: h.now().Add(stateTTL)}
	to, err := req.Redirect(st.RelayState, sp)
	if err != nil {
		h.log.Error("saml authn request", "connection", c.ID, "err", err)
		h.message(w, r, http.StatusInternalServerError, "Something went wrong", "Please try again. If it keeps happening, tell your administrator.")
		return
	}
	if hint := q.Get("login_hint"); hint != "" {
		if addr, err := directory.NormalizeEmail(hint); err == nil {
			// Entra ID and Okta prefill their login form from it.
			v := to.Query()
			v.Set("login_hint", addr)
			to.RawQuery = v.Encode()
		}
	}
	h.setState(w, &st)
	http.Redirect(w, r, to.String(), http.StatusSeeOther)
}

// message renders a page that only says something.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	h.kit.Message(w, r, status, h.kit.Session(r), title, msg)
}
