package saml_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"html"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crewjam/saml/samlidp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/saml"
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

// logBuffer collects a handler's log lines, for the refusal reasons.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// roster is the sign-in doors (OIDC pages and SAML) of one test over real
// HTTP.
type roster struct {
	t     testing.TB
	d     *directory.Directory
	box   *seal.Box
	dns   *txtRecords
	srv   *httptest.Server
	saml  *saml.Handler
	log   *logBuffer
	clock atomic.Int64 // offset of the SP's clock, nanoseconds
}

// startRoster serves the doors on a listener of their own; publicURL, when
// given, is the BaseURL they are configured with instead of the listener's
// (replicas behind one load balancer).
func startRoster(t testing.TB, d *directory.Directory, dns *txtRecords, box *seal.Box, publicURL ...string) *roster {
	t.Helper()
	r := &roster{t: t, d: d, box: box, dns: dns, log: &logBuffer{}}
	mux := http.NewServeMux()
	var ready atomic.Bool
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !ready.Load() {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		mux.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	logger := slog.New(slog.NewTextHandler(r.log, nil))
	base := r.srv.URL
	if len(publicURL) > 0 {
		base = publicURL[0]
	}
	oh, err := oidc.NewHandler(oidc.Config{Directory: d, Box: box, BaseURL: base, Dev: true, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	oh.Register(mux)
	now := func() time.Time { return time.Now().Add(time.Duration(r.clock.Load())) }
	r.saml, err = saml.NewHandler(saml.Config{Directory: d, Box: box, BaseURL: base, Dev: true, Logger: logger, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	r.saml.Register(mux)
	ready.Store(true)
	return r
}

// workspace creates a workspace with an accepted owner and a verified
// domain with the given policy, and returns the owner's actor.
func (r *roster) workspace(slug, domain, policy string) (directory.Workspace, directory.Actor) {
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
	if policy != "" {
		if _, err := r.d.SetDomainPolicy(ctx, actor, slug, dom.ID, policy, directory.RoleMember); err != nil {
			t.Fatal(err)
		}
	}
	return ws, actor
}

// connect creates a SAML connection from the IdP's metadata URL, the way
// the admin API and the CLI do, and registers Roster's SP metadata for it
// at the IdP.
func (r *roster) connect(slug string, idp *idp, allowIdPInitiated bool) directory.SAMLConnection {
	r.t.Helper()
	c, err := saml.CreateConnection(context.Background(), r.d, r.saml.Fetcher(), op, slug, directory.SAMLConnectionRequest{
		Name: "Acme SSO", MetadataURL: idp.srv.URL + "/metadata", AllowIdPInitiated: allowIdPInitiated})
	if err != nil {
		r.t.Fatal(err)
	}
	resp, err := http.Get(r.srv.URL + "/saml/" + c.ID + "/metadata")
	if err != nil {
		r.t.Fatal(err)
	}
	md, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("SP metadata: %d %s", resp.StatusCode, md)
	}
	idp.put("/services/"+c.ID, string(md))
	return c
}

func (r *roster) invite(by directory.Actor, slug, email string) string {
	r.t.Helper()
	out, err := r.d.Invite(context.Background(), by, slug, directory.InviteRequest{Text: email, Role: directory.RoleMember})
	if err != nil || out[0].Status != directory.OutcomeInvited {
		r.t.Fatalf("invite %s: %v %+v", email, err, out)
	}
	return out[0].Token
}

// idp is crewjam/saml's samlidp, a real SAML IdP, over HTTP. Its handler
// can be swapped for another IdP at the same URL (same entity ID, other
// key): the "signed by a certificate not in the metadata" attack.
type idp struct {
	t       testing.TB
	srv     *httptest.Server
	handler atomic.Pointer[samlidp.Server]
	server  *samlidp.Server
}

func newKeyPair(t testing.TB) (*rsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test idp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return key, cert
}

func startIdP(t testing.TB) *idp {
	t.Helper()
	p := &idp{t: t}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.handler.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	p.server = p.newServer()
	p.handler.Store(p.server)
	return p
}

// newServer is an IdP at p's URL with a key of its own.
func (p *idp) newServer() *samlidp.Server {
	p.t.Helper()
	key, cert := newKeyPair(p.t)
	u, _ := url.Parse(p.srv.URL)
	s, err := samlidp.New(samlidp.Options{URL: *u, Key: key, Certificate: cert, Store: &samlidp.MemoryStore{}})
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

func (p *idp) put(path, body string) {
	p.t.Helper()
	req := httptest.NewRequest(http.MethodPut, path, strings.NewReader(body))
	w := httptest.NewRecorder()
	p.handler.Load().ServeHTTP(w, req)
	if w.Code/100 != 2 {
		p.t.Fatalf("idp PUT %s: %d %s", path, w.Code, w.Body)
	}
}

// user adds a person who logs in with password "pw".
func (p *idp) user(name, email, given, surname string) {
	p.put("/users/"+name, `{"name":"`+name+`","password":"pw","email":"`+email+`","given_name":"`+given+`","surname":"`+surname+`"}`)
}

// browser is a cookie-keeping HTTP client that follows redirects, like a
// browser without JavaScript.
type browser struct {
	t   testing.TB
	c   *http.Client
	jar *cookiejar.Jar
}

func newBrowser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, jar: jar, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

type page struct {
	status int
	url    *url.URL
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, url: resp.Request.URL, body: string(body)}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`)
	csrfField   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// form reads the action and hidden fields of the first form of p.
func form(t testing.TB, p page) (string, url.Values) {
	t.Helper()
	m := formAction.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("%s: no form (status %d)\n%s", p.url, p.status, p.body)
	}
	v := url.Values{}
	for _, f := range hiddenField.FindAllStringSubmatch(p.body, -1) {
		v.Set(f[1], html.UnescapeString(f[2]))
	}
	action, _ := p.url.Parse(html.UnescapeString(m[1]))
	return action.String(), v
}

// answer is the IdP's signed answer on its way to Roster's ACS.
type answer struct {
	acs        string
	xml        string
	relayState string
}

// idpAnswer follows p (the page after starting a sign-in at Roster) through
// the IdP's login form with user's password and returns the answer the IdP
// would post back, without posting it.
func (b *browser) idpAnswer(p page, user string) answer {
	b.t.Helper()
	action, v := form(b.t, p)
	if v.Get("SAMLResponse") == "" {
		v.Set("user", user)
		v.Set("password", "pw")
		p = b.post(action, v)
		action, v = form(b.t, p)
	}
	raw, err := base64.StdEncoding.DecodeString(v.Get("SAMLResponse"))
	if err != nil || len(raw) == 0 {
		b.t.Fatalf("no SAMLResponse from the IdP: %v\n%s", err, p.body)
	}
	return answer{acs: action, xml: string(raw), relayState: v.Get("RelayState")}
}

// idpLogin logs the browser in at the IdP (for IdP-initiated sign-ins,
// which start there).
func (b *browser) idpLogin(p *idp, user string) {
	b.t.Helper()
	if pg := b.post(p.srv.URL+"/login", url.Values{"user": {user}, "password": {"pw"}}); pg.status != http.StatusOK {
		b.t.Fatalf("idp login: %d %s", pg.status, pg.body)
	}
}

// deliver posts an answer to Roster's ACS, as the IdP's auto-submitting
// form does.
func (b *browser) deliver(a answer) page {
	b.t.Helper()
	return b.post(a.acs, url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString([]byte(a.xml))}, "RelayState": {a.relayState}})
}

// submit posts the Roster form of p whose action is action with its CSRF
// token and fields.
func (b *browser) submit(base string, p page, action string, fields url.Values) page {
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
	return b.post(base+action, fields)
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
