package scim_test

import (
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// While the database is unreachable, SCIM answers 503 with Retry-After
// (so IdPs back off and retry instead of recording a failure), as a SCIM
// Error; once it is back, the same requests succeed. PostgreSQL only: the
// database sits behind a TCP proxy the test cuts.
func TestDatabaseOutageAnswers503(t *testing.T) {
	if os.Getenv(directorytest.EnvDatabaseURL) == "" {
		t.Skipf("%s is not set: the outage is staged on PostgreSQL", directorytest.EnvDatabaseURL)
	}
	d, proxy := directorytest.OpenBehindProxy(t, directory.Options{})
	s := newServer(t, d)
	tok := s.workspace("alpha", "okta", nil)
	s.create(tok, "/Users", user("ann@alpha.example"))

	proxy.Cut()
	for _, req := range []struct{ method, path string }{
		{"GET", "/Users"},
		{"GET", "/Users?filter=" + esc(`userName eq "ann@alpha.example"`)},
		{"POST", "/Users"},
	} {
		var body any
		if req.method == "POST" {
			body = user("bob@alpha.example")
		}
		r := s.do(tok, req.method, req.path, body)
		if r.status != http.StatusServiceUnavailable {
			t.Fatalf("%s %s while the database is cut: %d %s, want 503", req.method, req.path, r.status, r.raw)
		}
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra <= 0 {
			t.Errorf("%s %s: Retry-After = %q, want a number of seconds", req.method, req.path, r.header.Get("Retry-After"))
		}
		if r.body["status"] != "503" || r.body["detail"] == "" {
			t.Errorf("%s %s: not a SCIM Error: %s", req.method, req.path, r.raw)
		}
	}

	proxy.Restore()
	if r := s.do(tok, "GET", "/Users", nil); r.status != http.StatusOK {
		t.Fatalf("GET /Users after the database is back: %d %s", r.status, r.raw)
	}
	if r := s.do(tok, "POST", "/Users", user("bob@alpha.example")); r.status != http.StatusCreated {
		t.Fatalf("POST /Users after the database is back: %d %s", r.status, r.raw)
	}
}
