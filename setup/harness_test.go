package setup_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/scim"
	"github.com/rosterhq/roster/seal"
	"github.com/rosterhq/roster/setup"
)

// roster is the sign-in door, SCIM and the setup pages of one test on one
// real listener, as roster serve mounts them, with a real OpenID Connect
// provider over HTTP (mockoidc: it signs in the next queued user without
// a login form).
type roster struct {
	t   testing.TB
	d   *directory.Directory
	box *seal.Box
	srv *httptest.Server
	idp *mockoidc.MockOIDC
}

func startRoster(t testing.TB, d *directory.Directory) *roster {
	t.Helper()
	keys, err := seal.ParseKeys(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, err := seal.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	r := &roster{t: t, d: d, box: box}
	var mu sync.RWMutex
	var h http.Handler
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.RLock()
		defer mu.RUnlock()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	mux := http.NewServeMux()
	signIn, err := oidc.NewHandler(oidc.Config{Directory: d, Box: box, BaseURL: r.srv.URL, Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	signIn.Register(mux)
	sc := scim.NewHandler(d, scim.Options{BaseURL: r.srv.URL + "/scim/v2", LogFlushInterval: 20 * time.Millisecond})
	t.Cleanup(func() { sc.Close() })
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", sc))
	s, err := setup.New(setup.Config{Directory: d, Box: box, SignIn: signIn, BaseURL: r.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	s.Register(mux)
	mu.Lock()
	h = mux
	mu.Unlock()
	r.idp, err = mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.idp.Shutdown() })
	return r
}

// workspace creates a workspace with a verified domain; the owner acts.
func (r *roster) workspace(slug, domain string) (directory.Workspace, directory.Actor) {
	r.t.Helper()
	ws, owner := directorytest.NewWorkspace(r.t, r.d, slug)
	directorytest.InsertVerifiedDomain(r.t, r.d, ws.ID, domain, directory.DomainRequest, directory.RoleMember)
	return ws, owner
}

// link makes a setup link and returns the path of its page.
func (r *roster) link(owner directory.Actor, ws, purpose string) (directory.SetupLink, string) {
	r.t.Helper()
	l, token, _, err := r.d.CreateSetupLink(context.Background(), owner, ws, directory.SetupLinkRequest{Purpose: purpose, Description: "Acme IT"})
	if err != nil {
		r.t.Fatal(err)
	}
	return l, "/setup/" + token
}

// scimRequest sends one SCIM request as an identity provider would.
func (r *roster) scimRequest(method, path, token, body string) int {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.srv.URL+"/scim/v2"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// client is a browser without JavaScript: cookies, redirects, forms.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func (r *roster) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: r.t, base: r.srv.URL, http: &http.Client{Jar: jar}}
}

type page struct {
	status int
	body   string
	url    *url.URL
}

func (c *client) do(req *http.Request) page {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, body: string(b), url: resp.Request.URL}
}

func (c *client) get(path string) page {
	req, _ := http.NewRequest(http.MethodGet, c.base+path, nil)
	return c.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// post submits a form with the CSRF token of from (none when from is
// the zero page).
func (c *client) post(from page, path string, v url.Values) page {
	c.t.Helper()
	if v == nil {
		v = url.Values{}
	}
	if m := csrfField.FindStringSubmatch(from.body); m != nil {
		v.Set("csrf", htmlUnescape(m[1]))
	}
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&#61;", "=", "&amp;", "&").Replace(s)
}

func expect(t testing.TB, p page, status int, texts ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d at %s: %s", p.status, status, p.url, p.body)
	}
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page at %s lacks %q: %s", p.url, s, p.body)
		}
	}
}
