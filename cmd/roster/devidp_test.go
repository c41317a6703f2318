package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/devidp"
)

// browser is an HTTP client with a cookie jar that follows redirects, as
// a browser without JavaScript does.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{Jar: jar}}
}

// page is where the browser landed and what it shows.
type page struct {
	url    string
	status int
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{url: resp.Request.URL.String(), status: resp.StatusCode, body: string(body)}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

var formPattern = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)">(.*?)</form>`)
var hiddenPattern = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// submit posts the first form of p whose fields contain marker, with its
// hidden fields and the given ones, as pressing its button does.
func (b *browser) submit(p page, marker string, fields url.Values) page {
	b.t.Helper()
	for _, m := range formPattern.FindAllStringSubmatch(p.body, -1) {
		if !strings.Contains(m[2], marker) {
			continue
		}
		vals := url.Values{}
		for _, h := range hiddenPattern.FindAllStringSubmatch(m[2], -1) {
			vals.Set(h[1], unescapeHTML(h[2]))
		}
		for k, v := range fields {
			vals[k] = v
		}
		action, _ := url.Parse(unescapeHTML(m[1]))
		base, _ := url.Parse(p.url)
		req, _ := http.NewRequest("POST", base.ResolveReference(action).String(), strings.NewReader(vals.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return b.do(req)
	}
	b.t.Fatalf("no form with %q on %s:\n%s", marker, p.url, p.body)
	return page{}
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// The README's tour, to a signed-in member, on one machine with nothing
// else installed: roster serve --dev --dev-idp, a workspace, its owner's
// invitation followed in a browser through the development provider
// (discovery, authorize, its login form, code exchange, all over HTTP),
// onboarding, and `roster members list` shows the owner active.
func TestTourThroughDevelopmentSignIn(t *testing.T) {
	cleanEnv(t)
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", dbURL, "--dev", "--dev-idp")
	base := "http://" + s.addr
	owner := createWorkspace(t, dbURL, base)

	b := newBrowser(t)
	p := b.get(owner.Link)
	if p.status != 200 || !strings.Contains(p.body, devidp.Banner) {
		t.Fatalf("invitation page: %d, banner shown %v", p.status, strings.Contains(p.body, devidp.Banner))
	}
	p = b.submit(p, "csrf", nil)
	if !strings.Contains(p.body, "Continue with "+devidp.Name) {
		t.Fatalf("the development sign-in is not offered:\n%s", p.body)
	}
	p = b.submit(p, `value="`+devidp.Key+`"`, nil)
	if !strings.HasPrefix(p.url, base+devidp.Path+"/login?") || !strings.Contains(p.body, "Development sign-in — not for production") ||
		!strings.Contains(p.body, `value="ada@acme.example"`) {
		t.Fatalf("not the development login form with the invited address filled in: %s\n%s", p.url, p.body)
	}

	// A bad address is refused next to the field, the input kept.
	bad := b.submit(p, "authRequestID", url.Values{"email": {"not-an-address"}})
	if bad.status != 400 || !strings.Contains(bad.body, "Enter an email address") || !strings.Contains(bad.body, `value="not-an-address"`) {
		t.Fatalf("bad address: %d\n%s", bad.status, bad.body)
	}
	p = b.submit(bad, "authRequestID", url.Values{"email": {"ada@acme.example"}, "name": {"Ada Lovelace"}})
	if !strings.HasPrefix(p.url, base+"/onboarding?workspace=acme-corp") || p.status != 200 {
		t.Fatalf("after the development sign-in: %d %s\n%s", p.status, p.url, p.body)
	}
	p = b.submit(p, "terms_version", url.Values{"name": {"Ada Lovelace"}, "locale": {"en"}, "accept_terms": {"yes"}})
	if p.url != base+"/workspaces/acme-corp/" && p.url != base+"/home" && !strings.HasPrefix(p.url, base+"/workspaces/acme-corp/") {
		t.Fatalf("after onboarding: %d %s\n%s", p.status, p.url, p.body)
	}
	if !strings.Contains(p.body, "Ada Lovelace") || !strings.Contains(p.body, devidp.Banner) {
		t.Errorf("signed-in page without the name or the banner: %s\n%s", p.url, p.body)
	}

	// A finished request cannot be replayed through the login form.
	if again := b.submit(bad, "authRequestID", url.Values{"email": {"mallory@evil.example"}}); again.status != 404 {
		t.Errorf("a used sign-in request answered %d", again.status)
	}

	s.shutdown(t)
	res := runRoster(t, "", "members", "list", "--workspace", "acme-corp", "--database-url", dbURL)
	if res.code != 0 || !regexp.MustCompile(`ada@acme\.example\s+Ada Lovelace\s+owner.*\sactive\s`).MatchString(res.stdout) {
		t.Errorf("members list: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
}

// `roster domains verify --trust` marks a domain verified on the database,
// as the operator, with no DNS record and no server.
func TestDomainsVerifyTrust(t *testing.T) {
	cleanEnv(t)
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	createWorkspace(t, dbURL, "http://127.0.0.1:8080")
	res := runRoster(t, "", "domains", "verify", "--trust", "Acme.Example", "--workspace", "acme-corp", "--database-url", dbURL)
	if res.code != 0 || !regexp.MustCompile(`Domain:\s+acme\.example`).MatchString(res.stdout) || !regexp.MustCompile(`Verified:\s+true`).MatchString(res.stdout) {
		t.Errorf("trust: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	for _, tt := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--trust", "acme.example", "--database-url", dbURL}, 2, "which workspace?"},
		{[]string{"--trust", "not a domain", "--workspace", "acme-corp", "--database-url", dbURL}, 2, "not a domain"},
		{[]string{"--trust", "x.example", "--workspace", "nowhere", "--database-url", dbURL}, 1, "nowhere"},
		{[]string{"some-id", "--trust", "x.example", "--workspace", "acme-corp", "--database-url", dbURL}, 2, "give no domain id"},
	} {
		res := runRoster(t, "", append([]string{"domains", "verify"}, tt.args...)...)
		if res.code != tt.code || !strings.Contains(res.stderr, tt.err) {
			t.Errorf("%v: exit %d %q, want %d and %q", tt.args, res.code, res.stderr, tt.code, tt.err)
		}
	}
}
