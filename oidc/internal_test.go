package oidc

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/seal"
)

func TestSafeReturnTo(t *testing.T) {
	for in, want := range map[string]string{
		"/home":                      "/home",
		"/onboarding?workspace=acme": "/onboarding?workspace=acme",
		"//evil.example/x":           "",
		`/\evil.example`:             "",
		"https://evil.example/":      "",
		"javascript:alert(1)":        "",
		"home":                       "",
		"/auth/callback?code=x":      "",
		"/x\r\nSet-Cookie: a=b":      "",
		// Dot segments and encodings that clean to a sign-in, sign-out
		// or callback endpoint (issue 15 item 8).
		"/./logout":                  "",
		"/x/../auth/callback?code=1": "",
		"/x/%2e%2e/logout":           "",
		"/%2e/logout":                "",
		"/x%2f..%2flogout":           "",
		"/home/../../login":          "",
		"/Logout":                    "",
		"/auth/callback/":            "",
		"/logout/":                   "",
		"/.//evil.example":           "/evil.example",
		"/x/..//evil.example":        "/evil.example",
		"/%2f/evil.example":          "/evil.example",
		"/%5cevil.example":           "",
		"/%00":                       "",
		"/x/../home?tab=1":           "/home?tab=1",
		"/members/./jane/":           "/members/jane/",
		"/logout-help":               "/logout-help",
		"/onboarding/%2e%2e/home":    "/home",
		"/a%20b":                     "/a%20b",
	} {
		if got := safeReturnTo(in); got != want {
			t.Errorf("safeReturnTo(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPublicIP(t *testing.T) {
	for ip, want := range map[string]bool{
		"127.0.0.1": false, "10.1.2.3": false, "192.168.1.1": false, "172.16.0.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "::1": false, "fe80::1": false, "fd00::1": false, "::ffff:127.0.0.1": false,
		"8.8.8.8": true, "2606:4700::1111": true,
	} {
		if got := publicIP(net.ParseIP(ip)); got != want {
			t.Errorf("publicIP(%s) = %v, want %v", ip, got, want)
		}
	}
}

// TestFetchClientRefusesPrivateAddresses: outside dev, the discovery
// client refuses plain http and loopback targets; responses are capped.
func TestFetchClientRefusesPrivateAddresses(t *testing.T) {
	big := strings.Repeat("x", maxResponseBytes+10)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) }))
	defer srv.Close()
	if _, err := newFetchClient(false).Get(srv.URL); err == nil || !strings.Contains(err.Error(), "private or loopback") {
		t.Errorf("loopback over https: err = %v", err)
	}
	if _, err := newFetchClient(false).Get(strings.Replace(srv.URL, "https", "http", 1)); err == nil || !strings.Contains(err.Error(), "https") {
		t.Errorf("plain http: err = %v", err)
	}
	dev := newFetchClient(true)
	dev.Transport.(*guardedTransport).next.(*http.Transport).TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig
	resp, err := dev.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadAll(resp.Body); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("oversized body: err = %v", err)
	}
}

func TestFlexBool(t *testing.T) {
	for in, want := range map[string]bool{`true`: true, `"true"`: true, `"True"`: true, `false`: false, `"false"`: false, `1`: false, `null`: false} {
		var c struct {
			V flexBool `json:"v"`
		}
		if err := json.Unmarshal([]byte(`{"v":`+in+`}`), &c); err != nil || bool(c.V) != want {
			t.Errorf("%s: %v %v", in, c.V, err)
		}
	}
}

func TestMultiTenantIssuer(t *testing.T) {
	if got := multiTenantIssuer("https://login.microsoftonline.com/organizations/v2.0"); got != "https://login.microsoftonline.com/{tenantid}/v2.0" {
		t.Errorf("got %s", got)
	}
}

func TestParseProviders(t *testing.T) {
	ps, err := ParseProviders(`[{"key":"google","kind":"google","client_id":"a","client_secret":"b"}]`)
	if err != nil || len(ps) != 1 || ps[0].Issuer != "https://accounts.google.com" || ps[0].Name != "google" {
		t.Fatalf("%+v %v", ps, err)
	}
	for _, bad := range []string{`[{"key":"a b","issuer":"https://x","client_id":"a","client_secret":"b"}]`, `[{"key":"a","issuer":"https://x"}]`,
		`[{"key":"a","kind":"saml","issuer":"https://x","client_id":"a","client_secret":"b"}]`, `[{"key":"a","issuer":"https://x","client_id":"a","client_secret":"b","extra":1}]`} {
		if _, err := ParseProviders(bad); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(2, func() time.Time { return now })
	got := []bool{l.allow("a"), l.allow("a"), l.allow("a")}
	if !got[0] || !got[1] || got[2] {
		t.Fatalf("burst of 2: %v", got)
	}
	if !l.allow("b") {
		t.Error("one address limits another")
	}
	now = now.Add(31 * time.Second)
	if !l.allow("a") {
		t.Error("no refill after 30s")
	}
}

// TestSessionCookieSecureBehindHTTPS: the session cookie is Secure exactly
// when the base URL is https, and always HttpOnly and SameSite=Lax.
func TestSessionCookieSecureBehindHTTPS(t *testing.T) {
	dir := directorytest.Open(t, directory.SQLite, directory.Options{})
	keys, _ := seal.ParseKeys(seal.NewKey())
	box, _ := seal.New(keys...)
	for base, secure := range map[string]bool{"https://roster.example.com": true, "http://127.0.0.1:8080": false} {
		h, err := NewHandler(Config{Directory: dir, Box: box, BaseURL: base, SessionTTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.setSession(rec, "tok")
		c := rec.Result().Cookies()[0]
		if c.Secure != secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.MaxAge != 3600 {
			t.Errorf("%s: cookie = %+v", base, c)
		}
	}
}
