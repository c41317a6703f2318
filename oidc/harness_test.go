package oidc_test

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

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/seal"
)

var op = directory.Operator()

// txtRecords is a DNS resolver for domain verification in tests.
type txtRecords struct {
	mu      sync.Mutex
	records map[string][]string
}

func (r *txtRecords) LookupTXT(_ context.Context, name string) ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.records[strings.TrimSuffix(name, ".")], nil
}

func (r *txtRecords) set(name, value string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records[strings.TrimSuffix(name, ".")] = []string{value}
}

func newResolver() *txtRecords { return &txtRecords{records: map[string][]string{}} }

func newBox(t testing.TB) *seal.Box {
	t.Helper()
	keys, err := seal.ParseKeys(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	b, err := seal.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// roster is the sign-in door of one test, served over real HTTP.
type roster struct {
	t   testing.TB
	d   *directory.Directory
	box *seal.Box
	dns *txtRecords
	srv *httptest.Server
	h   *oidc.Handler
}

// startRoster serves the handler on a real listener. cfg.Directory,
// cfg.Box and cfg.BaseURL are filled in.
func startRoster(t testing.TB, d *directory.Directory, dns *txtRecords, cfg oidc.Config) *roster {
	t.Helper()
	r := &roster{t: t, d: d, box: newBox(t), dns: dns}
	var mu sync.RWMutex
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.RLock()
		h := r.h
		mu.RUnlock()
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	cfg.Directory, cfg.Box, cfg.BaseURL = d, r.box, r.srv.URL
	h, err := oidc.NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	r.h = h
	mu.Unlock()
	return r
}

// workspace creates a workspace whose owner has accepted, with a verified
// domain (policy and default role as given), and returns an actor for the
// owner.
func (r *roster) workspace(slug, domain, policy, role string) (directory.Workspace, directory.Actor) {
	t := r.t
	t.Helper()
	ctx := context.Background()
	ws, owner, err := r.d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Work " + slug, Slug: slug, OwnerEmail: "owner@" + domain})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := r.d.AcceptInvitation(ctx, owner.Token, directory.VerifiedIdentity{Email: "owner@" + domain, Name: "Olivia Owner"})
	if err != nil {
		t.Fatal(err)
	}
	actor := directory.Actor{Kind: directory.ActorMember, ID: acc.Member.UserID, Name: "Olivia Owner", Source: "api"}
	if domain != "" {
		dom, err := r.d.AddDomain(ctx, actor, slug, domain)
		if err != nil {
			t.Fatal(err)
		}
		r.dns.set(dom.TXTName, dom.TXTValue)
		if _, err := r.d.VerifyDomain(ctx, actor, slug, dom.ID); err != nil {
			t.Fatal(err)
		}
		if policy != "" {
			if _, err := r.d.SetDomainPolicy(ctx, actor, slug, dom.ID, policy, role); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ws, actor
}

// connect adds an OIDC connection to a workspace.
func (r *roster) connect(slug string, req directory.OIDCConnectionRequest) directory.OIDCConnection {
	r.t.Helper()
	c, err := r.d.CreateOIDCConnection(context.Background(), op, slug, r.box, req)
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// invite invites email to a workspace and returns the link's token.
func (r *roster) invite(by directory.Actor, slug, email, role string) string {
	r.t.Helper()
	out, err := r.d.Invite(context.Background(), by, slug, directory.InviteRequest{Text: email, Role: role})
	if err != nil || out[0].Status != directory.OutcomeInvited {
		r.t.Fatalf("invite %s: %v %+v", email, err, out)
	}
	return out[0].Token
}

// browser is a cookie-keeping HTTP client that follows redirects and
// remembers every response on the way.
type browser struct {
	t    testing.TB
	c    *http.Client
	base string
	hops []*http.Response
	jar  *cookiejar.Jar
}

func (r *roster) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: r.t, base: r.srv.URL, jar: jar}
	b.c = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		b.hops = append(b.hops, req.Response)
		if len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

// page is a fetched page.
type page struct {
	status int
	url    *url.URL
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	b.hops = nil
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, url: resp.Request.URL, body: string(body)}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.abs(path), nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.abs(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) abs(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return b.base + path
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// submit posts a form of p (the first one whose action is action) with
// its CSRF token and the given fields.
func (b *browser) submit(p page, action string, fields url.Values) page {
	b.t.Helper()
	i := strings.Index(p.body, `action="`+action+`"`)
	if i < 0 {
		b.t.Fatalf("no form posting to %s on %s:\n%s", action, p.url, p.body)
	}
	m := csrfField.FindStringSubmatch(p.body[i:])
	if m == nil {
		b.t.Fatalf("form to %s has no CSRF token", action)
	}
	if fields == nil {
		fields = url.Values{}
	}
	fields.Set("csrf", m[1])
	return b.post(action, fields)
}

// cookie returns the Set-Cookie of name among the redirects of the last
// request.
func (b *browser) setCookie(name string) *http.Cookie {
	for _, resp := range b.hops {
		if resp == nil {
			continue
		}
		for _, c := range resp.Cookies() {
			if c.Name == name {
				return c
			}
		}
	}
	return nil
}

func (b *browser) sessionToken() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "roster_session" {
			return c.Value
		}
	}
	return ""
}

func expect(t testing.TB, p page, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", p.url, p.status, status, p.body)
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Fatalf("%s: page lacks %q\n%s", p.url, s, p.body)
		}
	}
}
