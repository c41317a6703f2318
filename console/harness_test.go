package console_test

import (
	"context"
	"io"
	"net"
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

	"github.com/rosterhq/roster/console"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
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

func newResolver() *txtRecords { return &txtRecords{records: map[string][]string{}} }

// roster is the sign-in pages and the console of one test on one real
// listener, as roster serve mounts them, with a mock identity provider
// (mockoidc: a real OIDC provider over HTTP that signs in the next
// queued user without a login form).
type roster struct {
	t   testing.TB
	d   *directory.Directory
	dns *txtRecords
	box *seal.Box
	srv *httptest.Server
	idp *mockoidc.MockOIDC
}

func startRoster(t testing.TB, d *directory.Directory, dns *txtRecords) *roster {
	t.Helper()
	return startRosterOn(t, d, dns, nil, nil)
}

// startRosterOn is startRoster on the listener ln (nil: a new one), with
// mount adding more front doors to the server (nil: none).
func startRosterOn(t testing.TB, d *directory.Directory, dns *txtRecords, ln net.Listener, mount func(mux *http.ServeMux)) *roster {
	t.Helper()
	keys, err := seal.ParseKeys(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, err := seal.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	r := &roster{t: t, d: d, dns: dns, box: box}
	var mu sync.RWMutex
	var h http.Handler
	r.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.RLock()
		defer mu.RUnlock()
		h.ServeHTTP(w, req)
	}))
	if ln != nil {
		r.srv.Listener.Close()
		r.srv.Listener = ln
	}
	r.srv.Start()
	t.Cleanup(r.srv.Close)
	mux := http.NewServeMux()
	signIn, err := oidc.NewHandler(oidc.Config{Directory: d, Box: box, BaseURL: r.srv.URL, Dev: true})
	if err != nil {
		t.Fatal(err)
	}
	signIn.Register(mux)
	c, err := console.New(console.Config{Directory: d, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	c.Register(mux)
	if mount != nil {
		mount(mux)
	}
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

// runServed runs fn on each backend with a roster whose directory's
// public URL is the server's, so that the links the pages and emails
// carry are the ones that work; mount (nil: none) adds more front doors.
func runServed(t *testing.T, mount func(t *testing.T, d *directory.Directory, base string, mux *http.ServeMux), fn func(t *testing.T, d *directory.Directory, r *roster)) {
	t.Helper()
	backends := directorytest.Backends()
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			base := "http://" + ln.Addr().String()
			dns := newResolver()
			d := directorytest.Open(t, b, directory.Options{Resolver: dns, BaseURL: base})
			fn(t, d, startRosterOn(t, d, dns, ln, func(mux *http.ServeMux) {
				if mount != nil {
					mount(t, d, base, mux)
				}
			}))
		})
	}
	if len(backends) == 1 {
		t.Run(string(directory.Postgres), func(t *testing.T) { t.SkipNow() })
	}
}

// workspace creates a workspace whose owner (Olivia Owner, owner@domain)
// has accepted, with domain verified and signing in at the mock IdP.
func (r *roster) workspace(slug, domain string, seatLimit *int) directory.Actor {
	t := r.t
	t.Helper()
	ctx := context.Background()
	_, owner, err := r.d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: strings.ToUpper(slug[:1]) + slug[1:] + " Corp", Slug: slug, OwnerEmail: "owner@" + domain, SeatLimit: seatLimit})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := r.d.AcceptInvitation(ctx, owner.Token, directory.VerifiedIdentity{Email: "owner@" + domain, Name: "Olivia Owner"})
	if err != nil {
		t.Fatal(err)
	}
	actor := directory.Actor{Kind: directory.ActorMember, ID: acc.Member.UserID, Name: "Olivia Owner", Source: "api"}
	if _, err := r.d.UpdateMemberProfile(ctx, actor, slug, acc.Member.ID, directory.ProfileUpdate{Name: ptr("Olivia Owner")}); err != nil {
		t.Fatal(err)
	}
	dom, err := r.d.AddDomain(ctx, actor, slug, domain)
	if err != nil {
		t.Fatal(err)
	}
	r.dns.mu.Lock()
	r.dns.records[strings.TrimSuffix(dom.TXTName, ".")] = []string{dom.TXTValue}
	r.dns.mu.Unlock()
	if _, err := r.d.VerifyDomain(ctx, actor, slug, dom.ID); err != nil {
		t.Fatal(err)
	}
	cfg := r.idp.Config()
	if _, err := r.d.CreateOIDCConnection(ctx, op, slug, r.box, directory.OIDCConnectionRequest{Name: "Corporate SSO", Issuer: cfg.Issuer,
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Domains: []string{domain}}); err != nil {
		t.Fatal(err)
	}
	return actor
}

func ptr[T any](v T) *T { return &v }

// member invites email with role and accepts, returning an actor.
func (r *roster) member(by directory.Actor, slug, email, role string) directory.Actor {
	r.t.Helper()
	ctx := context.Background()
	out, err := r.d.Invite(ctx, by, slug, directory.InviteRequest{Text: email, Role: role})
	if err != nil || out[0].Status != directory.OutcomeInvited {
		r.t.Fatalf("invite %s: %v %+v", email, err, out)
	}
	acc, err := r.d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: email})
	if err != nil {
		r.t.Fatalf("accept %s: %v", email, err)
	}
	return directory.Actor{Kind: directory.ActorMember, ID: acc.Member.UserID, Source: "api"}
}

// queue makes the mock IdP sign in email at its next authorization.
func (r *roster) queue(email string) {
	r.idp.QueueUser(&mockoidc.MockUser{Subject: "sub-" + email, Email: email, EmailVerified: true, PreferredUsername: email})
}

// browser is a cookie-keeping HTTP client that follows redirects.
type browser struct {
	t    testing.TB
	c    *http.Client
	base string
}

func (r *roster) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: r.t, base: r.srv.URL, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// page is a fetched page.
type page struct {
	status int
	url    *url.URL
	body   string
	header http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, url: resp.Request.URL, body: string(body), header: resp.Header}
}

func (b *browser) get(path string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// submit posts the form of p whose action is action, with its CSRF token.
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

// signIn signs email in through the login page and the mock IdP.
func (r *roster) signIn(email string) *browser {
	r.t.Helper()
	b := r.browser()
	r.queue(email)
	p := b.submit(b.get("/login"), "/login", url.Values{"email": {email}})
	expect(r.t, p, http.StatusOK, "Your workspaces")
	return b
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
