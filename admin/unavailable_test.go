package admin_test

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// While the database is unreachable, the admin API answers 503
// problem+json with Retry-After, for the operator key and for a
// workspace's API key (whose check itself needs the database); once it is
// back, the same calls succeed. PostgreSQL only: the database sits behind
// a TCP proxy the test cuts.
func TestDatabaseOutageAnswers503(t *testing.T) {
	if os.Getenv(directorytest.EnvDatabaseURL) == "" {
		t.Skipf("%s is not set: the outage is staged on PostgreSQL", directorytest.EnvDatabaseURL)
	}
	d, proxy := directorytest.OpenBehindProxy(t, directory.Options{})
	e := newEnv(t, d)
	ctx := context.Background()
	if _, _, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Acme", Slug: "acme", OwnerEmail: "owner@acme.example"}); err != nil {
		t.Fatal(err)
	}
	_, key, err := d.CreateAPIKey(ctx, directory.Operator(), "acme", directory.APIKeyRequest{Name: "ci", Role: directory.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	calls := []struct{ name, path, token string }{
		{"operator", "/api/v1/workspaces/acme/members", operatorKey},
		{"API key", "/api/v1/workspaces/acme/members", key},
	}

	proxy.Cut()
	for _, c := range calls {
		r := e.do("GET", c.path, c.token, nil)
		if r.status != http.StatusServiceUnavailable {
			t.Fatalf("%s: GET %s while the database is cut: %d %s, want 503", c.name, c.path, r.status, r.body)
		}
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra <= 0 {
			t.Errorf("%s: Retry-After = %q, want a number of seconds", c.name, r.header.Get("Retry-After"))
		}
		if p := r.problem(t); p.Type != "https://roster.dev/problems/unavailable" {
			t.Errorf("%s: problem type %q", c.name, p.Type)
		}
	}

	proxy.Restore()
	for _, c := range calls {
		if r := e.do("GET", c.path, c.token, nil); r.status != http.StatusOK {
			t.Fatalf("%s: GET %s after the database is back: %d %s", c.name, c.path, r.status, r.body)
		}
	}
}
