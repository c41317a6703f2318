package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/rosterhq/roster/directory"
)

// Limits on what the relying party fetches from identity providers, whose
// URLs are supplied by tenants: timeouts so a slow provider cannot hold a
// request, a size cap so a huge document cannot exhaust memory.
const (
	fetchTimeout     = 15 * time.Second
	dialTimeout      = 5 * time.Second
	maxResponseBytes = 1 << 20
	providerTTL      = time.Hour
)

// consumerTenant is the Entra tenant of personal Microsoft accounts; a
// multi-tenant (unpinned) server-wide provider refuses it.
const consumerTenant = "9188040d-6c67-4c5b-b112-36a304b66dad"

// errBlockedAddress is a fetch refused because it would reach a private,
// loopback or otherwise internal address (SSRF defence).
var errBlockedAddress = errors.New("refusing to contact a private or loopback address")

// newFetchClient is the HTTP client for discovery, keys, token exchange and
// userinfo. Unless dev is set it speaks only https and its dialer refuses
// non-public addresses after DNS resolution (so a name that resolves to
// 127.0.0.1 or 169.254.169.254 is refused too). Proxies from the
// environment are ignored: a proxy would hide the real destination from
// the dialer's check.
func newFetchClient(dev bool) *http.Client {
	dialer := &net.Dialer{Timeout: dialTimeout, Control: func(network, address string, _ syscall.RawConn) error {
		if dev {
			return nil
		}
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		ip := net.ParseIP(host)
		if ip == nil || !publicIP(ip) {
			return fmt.Errorf("%w: %s", errBlockedAddress, host)
		}
		return nil
	}}
	tr := &http.Transport{
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   dialTimeout,
		ResponseHeaderTimeout: fetchTimeout,
		MaxIdleConns:          32,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Timeout:   fetchTimeout,
		Transport: &guardedTransport{next: tr, dev: dev},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			return nil
		},
	}
}

// guardedTransport enforces https (outside dev) and the response size cap.
type guardedTransport struct {
	next http.RoundTripper
	dev  bool
}

func (g *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" && !g.dev {
		return nil, fmt.Errorf("identity provider URL %s must use https", req.URL.Redacted())
	}
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{r: resp.Body, left: maxResponseBytes}
	return resp, nil
}

// cappedBody fails a read past the cap instead of silently truncating, so
// a truncated JSON document is an error, not a different document.
type cappedBody struct {
	r    io.ReadCloser
	left int64
}

func (c *cappedBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("identity provider response larger than %d bytes", maxResponseBytes)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cappedBody) Close() error { return c.r.Close() }

// publicIP reports whether ip is a globally routable unicast address.
func publicIP(ip net.IP) bool {
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, n := range blockedNets {
		if n.Contains(ip) {
			return false
		}
	}
	return true
}

var blockedNets = func() []*net.IPNet {
	var out []*net.IPNet
	for _, cidr := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4", "64:ff9b::/96", "2001:db8::/32"} {
		_, n, _ := net.ParseCIDR(cidr)
		out = append(out, n)
	}
	return out
}()

// connection is what the relying party needs of an identity provider,
// whether a workspace's (from the directory) or a server-wide one (from
// configuration).
type connection struct {
	key          string // directory connection id, or "provider:<key>"
	name         string
	kind         string
	issuer       string
	clientID     string
	clientSecret string
	tenantID     string
	hostedDomain string
	// multiTenant: an unpinned Entra provider (common/organizations) whose
	// discovery names the issuer https://…/{tenantid}/v2.0.
	multiTenant bool
	// allowConsumer lets a multi-tenant provider sign in personal
	// Microsoft accounts.
	allowConsumer bool
}

// cachedProvider is a discovered provider with its verifier, which shares
// one key set that refreshes itself on an unknown key id.
type cachedProvider struct {
	provider *gooidc.Provider
	verifier *gooidc.IDTokenVerifier
	template string // multi-tenant issuer with {tenantid}
	at       time.Time
}

// providers caches discovery per connection and issuer for providerTTL,
// so a sign-in costs no discovery round trip and key sets are reused.
type providers struct {
	client *http.Client
	now    func() time.Time
	mu     sync.Mutex
	byKey  map[string]*cachedProvider
}

func (ps *providers) get(ctx context.Context, c *connection) (*cachedProvider, error) {
	key := c.key + "|" + c.issuer + "|" + c.clientID
	ps.mu.Lock()
	cp := ps.byKey[key]
	ps.mu.Unlock()
	if cp != nil && ps.now().Sub(cp.at) < providerTTL {
		return cp, nil
	}
	// Discovery outlives the request that triggered it (the key set keeps
	// this context), so it gets its own bounded one.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	dctx = gooidc.ClientContext(dctx, ps.client)
	cfg := &gooidc.Config{ClientID: c.clientID, Now: ps.now}
	cp = &cachedProvider{at: ps.now()}
	var err error
	if c.multiTenant {
		cp.template = multiTenantIssuer(c.issuer)
		cp.provider, err = gooidc.NewProvider(gooidc.InsecureIssuerURLContext(dctx, cp.template), c.issuer)
		// The token's issuer names the person's tenant; it is checked by
		// hand against the template (verifyTenant).
		cfg.SkipIssuerCheck = true
	} else {
		cp.provider, err = gooidc.NewProvider(dctx, c.issuer)
	}
	if err != nil {
		var mismatch *gooidc.IssuerMismatchError
		if errors.As(err, &mismatch) && strings.Contains(mismatch.Discovered, "{tenantid}") {
			return nil, fmt.Errorf("discover %s: the provider is multi-tenant ({tenantid} issuer); pin the connection to a tenant: %w", c.issuer, err)
		}
		return nil, fmt.Errorf("discover %s: %w", c.issuer, err)
	}
	cp.verifier = cp.provider.Verifier(cfg)
	ps.mu.Lock()
	ps.byKey[key] = cp
	ps.mu.Unlock()
	return cp, nil
}

// multiTenantIssuer turns https://login.microsoftonline.com/organizations/v2.0
// (or common) into the {tenantid} issuer its discovery document states,
// with the braces literal as Entra writes them (so no URL re-encoding).
func multiTenantIssuer(issuer string) string {
	scheme, rest, ok := strings.Cut(issuer, "://")
	if !ok {
		return issuer
	}
	host, path, _ := strings.Cut(rest, "/")
	_, tail, _ := strings.Cut(path, "/")
	out := scheme + "://" + host + "/{tenantid}"
	if tail != "" {
		out += "/" + tail
	}
	return out
}

// oauthConfig is the OAuth 2.0 client of a connection.
func (h *Handler) oauthConfig(c *connection, p *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.clientID,
		ClientSecret: c.clientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  h.baseURL + callbackPath,
		Scopes:       []string{gooidc.ScopeOpenID, "email", "profile"},
	}
}

// flexBool reads a JSON boolean that some providers send as a string
// ("true").
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	s := strings.Trim(strings.TrimSpace(string(data)), `"`)
	*b = flexBool(strings.EqualFold(s, "true"))
	return nil
}

// claims are the ID token (and userinfo) claims the sign-in uses.
type claims struct {
	Subject           string   `json:"sub"`
	Email             string   `json:"email"`
	EmailVerified     flexBool `json:"email_verified"`
	Name              string   `json:"name"`
	GivenName         string   `json:"given_name"`
	FamilyName        string   `json:"family_name"`
	PreferredUsername string   `json:"preferred_username"`
	Locale            string   `json:"locale"`
	HostedDomain      string   `json:"hd"`
	TenantID          string   `json:"tid"`
	ObjectID          string   `json:"oid"`
	// EmailDomainOwnerVerified is Entra's optional claim saying the
	// tenant owns the email's domain (Entra sends no email_verified).
	EmailDomainOwnerVerified flexBool `json:"xms_edov"`
}

func (c *claims) displayName() string {
	if n := strings.TrimSpace(c.Name); n != "" {
		return n
	}
	return strings.TrimSpace(c.GivenName + " " + c.FamilyName)
}

// refusal is a sign-in the relying party refused after talking to the
// provider: the reason is for the log, the message for the person.
type refusal struct {
	reason  string
	message string
}

func (r *refusal) Error() string { return r.reason }

func refuse(message, format string, args ...any) error {
	return &refusal{reason: fmt.Sprintf(format, args...), message: message}
}

// wrongTenantMessage explains a token of another Entra tenant than the
// one a connection or provider is pinned to.
const wrongTenantMessage = "This Microsoft account belongs to another organisation than the one this workspace uses."

// verified is an identity after every check of the callback.
type verified struct {
	issuer string
	claims claims
}

// exchange finishes the code flow: code for tokens with the PKCE
// verifier, ID token signature, issuer, audience and expiry (go-oidc),
// then what go-oidc does not check: the nonce, the tenant, the hosted
// domain. Email comes from userinfo when the ID token has none.
func (h *Handler) exchange(ctx context.Context, c *connection, code string, txn *transaction) (*verified, error) {
	cp, err := h.providers.get(ctx, c)
	if err != nil {
		return nil, err
	}
	ctx = gooidc.ClientContext(ctx, h.fetch)
	tok, err := h.oauthConfig(c, cp.provider).Exchange(ctx, code, oauth2.VerifierOption(txn.Verifier))
	if err != nil {
		return nil, refuse("The identity provider did not complete the sign-in.", "exchange code: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, refuse("The identity provider sent no identity.", "token response has no id_token")
	}
	idt, err := cp.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, refuse("The identity provider's answer could not be verified.", "verify id token: %v", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(txn.Nonce)) != 1 {
		return nil, refuse("The identity provider's answer could not be verified.", "id token nonce does not match")
	}
	var cl claims
	if err := idt.Claims(&cl); err != nil {
		return nil, refuse("The identity provider's answer could not be read.", "id token claims: %v", err)
	}
	cl.Subject = idt.Subject
	if err := verifyConnectionClaims(c, cp, idt.Issuer, &cl); err != nil {
		return nil, err
	}
	if cl.Email == "" {
		// Some providers (zitadel's, for one) put the email only in
		// userinfo.
		ui, err := cp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err == nil && ui.Subject == idt.Subject {
			var extra claims
			ui.Claims(&extra)
			cl.Email, cl.EmailVerified = ui.Email, flexBool(ui.EmailVerified)
			if cl.displayName() == "" {
				cl.Name, cl.GivenName, cl.FamilyName = extra.Name, extra.GivenName, extra.FamilyName
			}
			if cl.Locale == "" {
				cl.Locale = extra.Locale
			}
		} else if err != nil {
			h.log.Warn("oidc userinfo", "connection", c.key, "err", err)
		}
	}
	return &verified{issuer: idt.Issuer, claims: cl}, nil
}

// verifyConnectionClaims applies the checks that depend on the kind of
// provider: Entra's tenant claim and Google's hosted domain, which must be
// checked on the claim (hd= in the request is only a hint).
//
// Where the line with directory is drawn, for Entra: this package checks
// that a token is genuine for the provider it came from, which is the
// OIDC protocol, and passes the claims on (tid, iss, email, xms_edov).
// That is: an Entra token names its tenant (tid); a multi-tenant
// provider's issuer is the {tenantid} issuer filled with that tid (go-oidc
// cannot check it, its issuer check is off for them); and a server-wide
// provider, whose configuration only this package has, gets the tenant it
// is configured for (pinned, or no personal accounts unless allowed).
// Whether a workspace connection's token comes from the tenant it is
// pinned to, and whether an Entra email is trusted at all, is the
// product's rule, decided once by directory.SignIn.
func verifyConnectionClaims(c *connection, cp *cachedProvider, issuer string, cl *claims) error {
	switch c.kind {
	case directory.OIDCEntra:
		if cl.TenantID == "" {
			return refuse("Your Microsoft account did not say which organisation it belongs to.", "entra token without tid")
		}
		switch {
		case c.multiTenant:
			if issuer != strings.Replace(cp.template, "{tenantid}", cl.TenantID, 1) {
				return refuse("Your Microsoft account's organisation could not be verified.", "entra issuer %s does not match tenant %s", issuer, cl.TenantID)
			}
			if cl.TenantID == consumerTenant && !c.allowConsumer {
				return refuse("Personal Microsoft accounts cannot sign in here; use your work account.", "entra consumer tenant refused")
			}
		case strings.HasPrefix(c.key, directory.ServerProviderPrefix):
			if !strings.EqualFold(cl.TenantID, c.tenantID) || !strings.Contains(strings.ToLower(issuer), strings.ToLower(c.tenantID)) {
				return refuse(wrongTenantMessage, "entra tenant %s, want %s", cl.TenantID, c.tenantID)
			}
		}
	case directory.OIDCGoogle:
		if c.hostedDomain != "" && !strings.EqualFold(cl.HostedDomain, c.hostedDomain) {
			return refuse("Sign in with your "+c.hostedDomain+" Google Workspace account.", "google hd %q, want %q", cl.HostedDomain, c.hostedDomain)
		}
	}
	return nil
}

// Provider is a server-wide identity provider from configuration, for
// people who belong to no workspace's provider (external collaborators,
// small customers). Identities made through it are keyed on
// "provider:<Key>".
type Provider struct {
	// Key names the provider in URLs and identity keys; keep it stable.
	Key          string `json:"key"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Issuer       string `json:"issuer"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	// TenantID pins an entra provider; without it the provider is
	// multi-tenant (issuer …/organizations/v2.0 or …/common/v2.0).
	TenantID string `json:"tenant_id,omitempty"`
	// HostedDomain restricts a google provider to one Workspace domain.
	HostedDomain string `json:"hosted_domain,omitempty"`
	// AllowPersonalMicrosoft lets a multi-tenant entra provider sign in
	// personal Microsoft accounts.
	AllowPersonalMicrosoft bool `json:"allow_personal_microsoft,omitempty"`
}

// ParseProviders reads server-wide providers from JSON (the form of
// ROSTER_OIDC_PROVIDERS): an array of Provider objects.
func ParseProviders(data string) ([]Provider, error) {
	if strings.TrimSpace(data) == "" {
		return nil, nil
	}
	var ps []Provider
	dec := json.NewDecoder(strings.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ps); err != nil {
		return nil, fmt.Errorf("oidc providers: %w", err)
	}
	seen := map[string]bool{}
	for i, p := range ps {
		if p.Key == "" || strings.ContainsAny(p.Key, " /:?#") || seen[p.Key] {
			return nil, fmt.Errorf("oidc provider %d: key %q must be unique and plain (letters, digits, dashes)", i, p.Key)
		}
		seen[p.Key] = true
		if p.Kind == "" {
			ps[i].Kind = directory.OIDCGeneric
		}
		if !directory.ValidOIDCKind(ps[i].Kind) {
			return nil, fmt.Errorf("oidc provider %s: unknown kind %q (generic, google or entra)", p.Key, p.Kind)
		}
		if ps[i].Kind == directory.OIDCGoogle && p.Issuer == "" {
			ps[i].Issuer = "https://accounts.google.com"
		}
		if u, err := url.Parse(ps[i].Issuer); err != nil || u.Host == "" {
			return nil, fmt.Errorf("oidc provider %s: issuer %q is not a URL", p.Key, p.Issuer)
		}
		if p.ClientID == "" || p.ClientSecret == "" {
			return nil, fmt.Errorf("oidc provider %s: client_id and client_secret are required", p.Key)
		}
		if p.Name == "" {
			ps[i].Name = p.Key
		}
	}
	return ps, nil
}

func (p Provider) connection() *connection {
	c := &connection{key: directory.ServerProviderPrefix + p.Key, name: p.Name, kind: p.Kind, issuer: p.Issuer, clientID: p.ClientID,
		clientSecret: p.ClientSecret, tenantID: strings.ToLower(p.TenantID), hostedDomain: strings.ToLower(p.HostedDomain), allowConsumer: p.AllowPersonalMicrosoft}
	if p.Kind == directory.OIDCEntra && p.TenantID == "" {
		c.multiTenant = true
	}
	return c
}
