package oidc_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc/oidctest"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/oidc"
)

// testIdP is go-oidc's oidctest (keys and signing) with the tiny
// authorization and token endpoints it lacks. Each test decides the ID
// token's claims, which is what the refusal cases need: wrong nonce,
// audience, expiry, tenant, hd, email_verified.
type testIdP struct {
	t        testing.TB
	srv      *httptest.Server
	priv     *rsa.PrivateKey
	keys     *oidctest.Server
	clientID string
	// discovered is the issuer the discovery document states.
	discovered string

	mu       sync.Mutex
	pending  map[string]authRequest
	lastAuth url.Values
	claims   func(nonce string) map[string]any
}

type authRequest struct {
	nonce     string
	challenge string
}

// startTestIdP serves discovery at base+path; discovered is the issuer the
// document states ("" = base+path).
func startTestIdP(t testing.TB, path, discovered string) *testIdP {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &testIdP{t: t, priv: priv, clientID: "roster-client", pending: map[string]authRequest{}}
	p.keys = &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: priv.Public(), KeyID: "k1", Algorithm: "RS256"}}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	p.keys.SetIssuer(p.srv.URL)
	p.discovered = discovered
	if p.discovered == "" {
		p.discovered = p.srv.URL + path
	}
	return p
}

func (p *testIdP) issuerURL(path string) string { return p.srv.URL + path }

func (p *testIdP) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		base := p.srv.URL + strings.TrimSuffix(r.URL.Path, "/.well-known/openid-configuration")
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": p.discovered, "authorization_endpoint": base + "/auth", "token_endpoint": base + "/token",
			"jwks_uri": p.srv.URL + "/keys", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	case r.URL.Path == "/keys":
		p.keys.ServeHTTP(w, r)
	case strings.HasSuffix(r.URL.Path, "/auth"):
		q := r.URL.Query()
		if q.Get("code_challenge_method") != "S256" || q.Get("client_id") != p.clientID {
			http.Error(w, "PKCE S256 and the client id are required", http.StatusBadRequest)
			return
		}
		code := base64.RawURLEncoding.EncodeToString([]byte(q.Get("state")))
		p.mu.Lock()
		p.pending[code] = authRequest{nonce: q.Get("nonce"), challenge: q.Get("code_challenge")}
		p.lastAuth = q
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+url.QueryEscape(code)+"&state="+url.QueryEscape(q.Get("state")), http.StatusFound)
	case strings.HasSuffix(r.URL.Path, "/token"):
		r.ParseForm()
		p.mu.Lock()
		req, ok := p.pending[r.PostForm.Get("code")]
		delete(p.pending, r.PostForm.Get("code"))
		claims := p.claims
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || base64.RawURLEncoding.EncodeToString(sum[:]) != req.challenge {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		body, _ := json.Marshal(claims(req.nonce))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
			"id_token": oidctest.SignIDToken(p.priv, "k1", "RS256", string(body))})
	default:
		http.NotFound(w, r)
	}
}

// token returns claims a well-behaved provider would send for sub/email;
// tests change them.
func (p *testIdP) token(iss, sub, email string, edit func(c map[string]any)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.claims = func(nonce string) map[string]any {
		now := time.Now()
		c := map[string]any{"iss": iss, "sub": sub, "aud": p.clientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"nonce": nonce, "email": email, "email_verified": true, "name": "Test Person"}
		if edit != nil {
			edit(c)
		}
		return c
	}
}

func (p *testIdP) connection(kind, issuer string) directory.OIDCConnectionRequest {
	return directory.OIDCConnectionRequest{Kind: kind, Issuer: issuer, ClientID: p.clientID, ClientSecret: "secret"}
}

const (
	tenantA = "11111111-2222-3333-4444-555555555555"
	tenantB = "99999999-8888-7777-6666-555555555555"
)

// TestRefusals: what go-oidc's checks and ours refuse, and the near
// misses that must still work (string "true", Entra without
// email_verified, Google with hd).
func TestRefusals(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		generic := startTestIdP(t, "", "")
		entra := startTestIdP(t, "/"+tenantA+"/v2.0", "")
		google := startTestIdP(t, "", "")
		multi := startTestIdP(t, "/organizations/v2.0", "")
		multi.discovered = multi.srv.URL + "/{tenantid}/v2.0"
		r := startRoster(t, d, dns, oidc.Config{Dev: true, RatePerMinute: 1000, Providers: []oidc.Provider{
			{Key: "microsoft", Name: "Microsoft", Kind: directory.OIDCEntra, Issuer: multi.issuerURL("/organizations/v2.0"), ClientID: multi.clientID, ClientSecret: "secret"},
		}})
		_, gOwner := r.workspace("gen", "gen.example", directory.DomainAutoJoin, directory.RoleMember)
		r.workspace("ent", "ent.example", directory.DomainAutoJoin, directory.RoleMember)
		r.workspace("goo", "goo.example", directory.DomainAutoJoin, directory.RoleMember)
		r.connect("gen", generic.connection(directory.OIDCGeneric, generic.issuerURL("")))
		entReq := entra.connection(directory.OIDCEntra, entra.issuerURL("/"+tenantA+"/v2.0"))
		entReq.TenantID = tenantA
		r.connect("ent", entReq)
		gooReq := google.connection(directory.OIDCGoogle, google.issuerURL(""))
		gooReq.HostedDomain = "goo.example"
		r.connect("goo", gooReq)

		login := func(email string) page {
			b := r.browser()
			return b.submit(b.get("/login"), "/login", url.Values{"email": {email}})
		}
		iss := generic.issuerURL("")
		cases := []struct {
			name string
			edit func(c map[string]any)
			want string
		}{
			{"wrong nonce", func(c map[string]any) { c["nonce"] = "not-the-nonce" }, "could not be verified"},
			{"wrong audience", func(c map[string]any) { c["aud"] = "another-client" }, "could not be verified"},
			{"expired", func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }, "could not be verified"},
			{"wrong issuer", func(c map[string]any) { c["iss"] = "https://evil.example" }, "could not be verified"},
			{"unverified email", func(c map[string]any) { c["email_verified"] = false }, "not verified"},
		}
		for _, tc := range cases {
			generic.token(iss, "sub-"+tc.name, "someone@gen.example", tc.edit)
			p := login("someone@gen.example")
			expect(t, p, http.StatusForbidden, tc.want)
		}
		// email_verified as the string "true" is verified.
		generic.token(iss, "sub-str", "str@gen.example", func(c map[string]any) { c["email_verified"] = "true" })
		expect(t, login("str@gen.example"), http.StatusOK, "Welcome to Work gen")
		// An invitation whose address differs from the verified email.
		tok := r.invite(gOwner, "gen", "invited@gen.example", directory.RoleMember)
		generic.token(iss, "sub-other", "other@gen.example", nil)
		b := r.browser()
		expect(t, b.submit(b.get("/invite/"+tok), "/invite/"+tok, nil), http.StatusForbidden, "another address")

		// Entra pinned to tenant A: tenant B is refused, tenant A is
		// trusted for the verified domain without email_verified.
		entIss := entra.issuerURL("/" + tenantA + "/v2.0")
		entra.token(entIss, "sub-b", "eve@ent.example", func(c map[string]any) { delete(c, "email_verified"); c["tid"] = tenantB })
		expect(t, login("eve@ent.example"), http.StatusForbidden, "another organisation")
		entra.token(entIss, "sub-notid", "eve@ent.example", func(c map[string]any) { delete(c, "email_verified") })
		expect(t, login("eve@ent.example"), http.StatusForbidden, "which organisation")
		entra.token(entIss, "sub-a", "amy@ent.example", func(c map[string]any) { delete(c, "email_verified"); c["tid"] = tenantA; c["oid"] = "oid-amy" })
		expect(t, login("amy@ent.example"), http.StatusOK, "Welcome to Work ent")
		entra.mu.Lock()
		hints := entra.lastAuth
		entra.mu.Unlock()
		if hints.Get("login_hint") != "amy@ent.example" || hints.Get("domain_hint") != "ent.example" || hints.Get("code_challenge_method") != "S256" || hints.Get("nonce") == "" {
			t.Errorf("entra authorization request = %v", hints)
		}

		// Google: the hd claim must name the Workspace domain.
		gIss := google.issuerURL("")
		google.token(gIss, "sub-nohd", "gus@goo.example", nil)
		expect(t, login("gus@goo.example"), http.StatusForbidden, "goo.example Google Workspace account")
		google.token(gIss, "sub-otherhd", "gus@goo.example", func(c map[string]any) { c["hd"] = "evil.example" })
		expect(t, login("gus@goo.example"), http.StatusForbidden, "Google Workspace account")
		google.token(gIss, "sub-hd", "gus@goo.example", func(c map[string]any) { c["hd"] = "goo.example" })
		expect(t, login("gus@goo.example"), http.StatusOK, "Welcome to Work goo")
		google.mu.Lock()
		if hd := google.lastAuth.Get("hd"); hd != "goo.example" {
			t.Errorf("google hd hint = %q", hd)
		}
		google.mu.Unlock()

		// Entra issuer shape: a connection to .../organizations/v2.0 is
		// refused at discovery ({tenantid} issuer); the multi-tenant
		// server-wide provider checks iss against the token's tid.
		if _, err := d.CreateOIDCConnection(ctx, op, "gen", r.box, multi.connection(directory.OIDCGeneric, multi.issuerURL("/organizations/v2.0"))); err != nil {
			t.Fatal(err)
		}
		ext := r.invite(gOwner, "gen", "max@partner.example", directory.RoleCollaborator)
		start := func() page {
			b := r.browser()
			p := b.submit(b.get("/invite/"+ext), "/invite/"+ext, nil)
			expect(t, p, http.StatusOK, "Continue with Microsoft")
			return b.submit(p, "/invite/"+ext, url.Values{"provider": {"microsoft"}})
		}
		multi.token(multi.issuerURL("/"+tenantA+"/v2.0"), "sub-max", "max@partner.example", func(c map[string]any) {
			delete(c, "email_verified")
			c["tid"] = tenantB
		})
		expect(t, start(), http.StatusForbidden, "organisation could not be verified")
		multi.token(multi.issuerURL("/"+tenantB+"/v2.0"), "sub-max", "max@partner.example", func(c map[string]any) {
			delete(c, "email_verified")
			c["tid"] = tenantB
		})
		expect(t, start(), http.StatusForbidden, "not verified")
		multi.token(multi.issuerURL("/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"), "sub-max", "max@partner.example", func(c map[string]any) {
			c["tid"] = "9188040d-6c67-4c5b-b112-36a304b66dad"
		})
		expect(t, start(), http.StatusForbidden, "Personal Microsoft accounts")
		multi.token(multi.issuerURL("/"+tenantB+"/v2.0"), "sub-max", "max@partner.example", func(c map[string]any) {
			delete(c, "email_verified")
			c["tid"] = tenantB
			c["xms_edov"] = true
		})
		expect(t, start(), http.StatusOK, "Welcome to Work gen")
	})
}

// TestDiscoveryShapeRefused: a workspace connection whose discovery states
// the {tenantid} issuer cannot start a sign-in.
func TestDiscoveryShapeRefused(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		multi := startTestIdP(t, "/organizations/v2.0", "")
		multi.discovered = multi.srv.URL + "/{tenantid}/v2.0"
		r := startRoster(t, d, dns, oidc.Config{Dev: true})
		r.workspace("gen", "gen.example", directory.DomainAutoJoin, directory.RoleMember)
		r.connect("gen", multi.connection(directory.OIDCGeneric, multi.issuerURL("/organizations/v2.0")))
		b := r.browser()
		p := b.submit(b.get("/login"), "/login", url.Values{"email": {"a@gen.example"}})
		expect(t, p, http.StatusBadGateway, "could not reach the identity provider")
	})
}
