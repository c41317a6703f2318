package conformance_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/conformance"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/scim"
)

// serveRoster serves Roster's SCIM endpoint for a fresh workspace whose
// connection has profile, and returns the base URL and a token.
func serveRoster(t *testing.T, d *directory.Directory, slug, profile string) (string, string) {
	t.Helper()
	ctx := context.Background()
	op := directory.Operator()
	if _, _, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Conformance " + slug, Slug: slug, OwnerEmail: "owner@" + slug + ".example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateSCIMConnection(ctx, op, slug, directory.SCIMConnectionRequest{Profile: profile}); err != nil {
		t.Fatal(err)
	}
	_, token, err := d.CreateSCIMToken(ctx, op, slug, directory.SCIMTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var h *scim.Handler
	srv := httptest.NewServer(http.StripPrefix("/scim/v2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })))
	h = scim.NewHandler(d, scim.Options{BaseURL: srv.URL + "/scim/v2",
		// Not what these tests are about: the rate limit has its own.
		RateLimit: 1e6, RateBurst: 1e6})
	t.Cleanup(func() {
		srv.Close()
		h.Close()
	})
	return srv.URL + "/scim/v2", token
}

// TestRosterPassesConformance runs the whole suite against Roster's SCIM
// handler in-process, on both databases: with the auto profile every
// check (RFC, Okta and Entra replays), and each IdP's replays against a
// connection with that IdP's profile.
func TestRosterPassesConformance(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		for _, tc := range []struct{ slug, connProfile, suiteProfile string }{
			{"conf-auto", directory.ProfileAuto, ""},
			{"conf-okta", directory.ProfileOkta, "okta"},
			{"conf-entra", directory.ProfileEntra, "entra"},
		} {
			t.Run(tc.connProfile, func(t *testing.T) {
				base, token := serveRoster(t, d, tc.slug, tc.connProfile)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				results, err := conformance.Run(ctx, conformance.Config{BaseURL: base, Token: token, Profile: tc.suiteProfile})
				if err != nil {
					t.Fatal(err)
				}
				passed := 0
				for _, r := range results {
					switch {
					case r.Skipped:
						t.Errorf("skipped %s (%s): %s", r.Name, r.Ref, r.Detail)
					case !r.Passed:
						t.Errorf("FAIL %s (%s):\n%s", r.Name, r.Ref, indent(r.Detail))
					default:
						passed++
					}
				}
				if passed == 0 {
					t.Fatal("no check ran")
				}
				t.Logf("%d of %d checks passed", passed, len(results))
			})
		}
	})
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }
