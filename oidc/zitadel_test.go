package oidc_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/oidc"
)

// zitadelOP is zitadel's example OpenID Provider: a real login form
// (username and password), code flow with PKCE, and an ID token without
// email (the email is only in userinfo).
//
// Its pitfalls: the issuer has a trailing "/" that must match exactly; the
// client registry is package-global (storage.RegisterClients), so each
// test registers its own client id; passing a logger to SetupServer
// replaces slog's default for the whole process, so none is passed.
type zitadelOP struct {
	srv      *httptest.Server
	issuer   string
	clientID string
	username string
}

var zitadelClients sync.Mutex

func startZitadel(t testing.TB, clientID, redirectURI string) *zitadelOP {
	t.Helper()
	var mu sync.RWMutex
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		defer mu.RUnlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	issuer := srv.URL + "/"
	zitadelClients.Lock()
	storage.RegisterClients(storage.WebClient(clientID, "zitadel-secret", redirectURI))
	zitadelClients.Unlock()
	router := exampleop.SetupServer(issuer, storage.NewStorage(storage.NewUserStore(issuer)), nil, false)
	mu.Lock()
	h = router
	mu.Unlock()
	u, _ := url.Parse(srv.URL)
	return &zitadelOP{srv: srv, issuer: issuer, clientID: clientID, username: "test-user@" + u.Hostname()}
}

// zitadelEmail is the address of zitadel's example user.
const zitadelEmail = "test-user@zitadel.ch"

var zitadelAuthID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// signIn fills zitadel's login form on p.
func (z *zitadelOP) signIn(t testing.TB, b *browser, p page, password string) page {
	t.Helper()
	m := zitadelAuthID.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no zitadel login form at %s:\n%s", p.url, p.body)
	}
	return b.post(z.srv.URL+"/login/username", url.Values{"id": {m[1]}, "username": {z.username}, "password": {password}})
}

// TestZitadelLoginForm signs in through a real login form: an invitation
// accepted with the email read from userinfo; a wrong password stays at
// the provider.
func TestZitadelLoginForm(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		r := startRoster(t, d, dns, oidc.Config{Dev: true})
		z := startZitadel(t, "roster-"+t.Name(), r.srv.URL+"/auth/callback")
		_, owner := r.workspace("zit", "zitadel.ch", "", "")
		r.connect("zit", directory.OIDCConnectionRequest{Name: "Zitadel", Issuer: z.issuer, ClientID: z.clientID, ClientSecret: "zitadel-secret"})
		tok := r.invite(owner, "zit", zitadelEmail, directory.RoleAdmin)

		b := r.browser()
		p := b.submit(b.get("/invite/"+tok), "/invite/"+tok, nil)
		if p.url.Host != mustHost(z.srv.URL) || p.status != http.StatusOK {
			t.Fatalf("not at the provider's login form: %d %s", p.status, p.url)
		}
		wrong := z.signIn(t, b, p, "not-the-password")
		if wrong.url.Host != mustHost(z.srv.URL) {
			t.Fatalf("a wrong password left the provider: %s", wrong.url)
		}
		p = z.signIn(t, b, wrong, "verysecure")
		expect(t, p, http.StatusOK, "Welcome to Work zit")
		p = b.submit(p, "/onboarding", url.Values{"workspace": {"zit"}, "name": {"Test User"}})
		expect(t, p, http.StatusOK, "Work zit", "admin", "Active", zitadelEmail)
	})
}

func mustHost(raw string) string {
	u, _ := url.Parse(raw)
	return u.Host
}
