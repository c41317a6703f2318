package scim_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/scim"
)

var op = directory.Operator()

// server is Roster's SCIM endpoint over HTTP for tests.
type server struct {
	t    *testing.T
	d    *directory.Directory
	h    *scim.Handler
	base string
}

func newServer(t *testing.T, d *directory.Directory) *server {
	t.Helper()
	var h *scim.Handler
	srv := httptest.NewServer(http.StripPrefix("/scim/v2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })))
	h = scim.NewHandler(d, scim.Options{BaseURL: srv.URL + "/scim/v2", MaxBodyBytes: 1 << 20,
		// Not what these tests are about: the rate limit has its own.
		RateLimit: 1e6, RateBurst: 1e6})
	t.Cleanup(func() {
		srv.Close()
		h.Close()
	})
	return &server{t: t, d: d, h: h, base: srv.URL + "/scim/v2"}
}

// workspace creates a workspace with a SCIM connection of profile and
// returns a token for it.
func (s *server) workspace(slug, profile string, seatLimit *int) string {
	s.t.Helper()
	ctx := context.Background()
	if _, _, err := s.d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: slug, Slug: slug, OwnerEmail: "owner@" + slug + ".example", SeatLimit: seatLimit}); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.d.CreateSCIMConnection(ctx, op, slug, directory.SCIMConnectionRequest{Profile: profile}); err != nil {
		s.t.Fatal(err)
	}
	_, token, err := s.d.CreateSCIMToken(ctx, op, slug, directory.SCIMTokenRequest{})
	if err != nil {
		s.t.Fatal(err)
	}
	return token
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request with the token (and extra headers as key, value).
func (s *server) do(token, method, path string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: string(raw)}
	json.Unmarshal(raw, &r.body)
	return r
}

func user(userName string) map[string]any {
	return map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"}, "userName": userName,
		"name":   map[string]any{"givenName": "Test", "familyName": "User"},
		"emails": []any{map[string]any{"value": userName, "type": "work", "primary": true}}, "active": true,
	}
}

func patch(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}
}

func (s *server) create(token, endpoint string, body any) string {
	s.t.Helper()
	r := s.do(token, http.MethodPost, endpoint, body)
	if r.status != http.StatusCreated {
		s.t.Fatalf("POST %s: %d %s", endpoint, r.status, r.raw)
	}
	return r.body["id"].(string)
}

func TestTokenReachesOnlyItsWorkspace(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		a := s.workspace("alpha", "auto", nil)
		b := s.workspace("beta", "auto", nil)
		aUser := s.create(a, "/Users", user("ann@alpha.example"))
		bUser := s.create(b, "/Users", user("bob@beta.example"))
		bGroup := s.create(b, "/Groups", map[string]any{"displayName": "Beta Team", "members": []any{map[string]any{"value": bUser}}})
		aGroup := s.create(a, "/Groups", map[string]any{"displayName": "Alpha Team"})

		// Every endpoint, with alpha's token on beta's resources: not found.
		for _, tc := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/Users/" + bUser, nil},
			{"PUT", "/Users/" + bUser, user("bob@beta.example")},
			{"PATCH", "/Users/" + bUser, patch(map[string]any{"op": "replace", "path": "active", "value": false})},
			{"DELETE", "/Users/" + bUser, nil},
			{"GET", "/Groups/" + bGroup, nil},
			{"PUT", "/Groups/" + bGroup, map[string]any{"displayName": "Taken Over"}},
			{"PATCH", "/Groups/" + bGroup, patch(map[string]any{"op": "remove", "path": "members"})},
			{"DELETE", "/Groups/" + bGroup, nil},
		} {
			if r := s.do(a, tc.method, tc.path, tc.body); r.status != http.StatusNotFound {
				t.Errorf("%s %s with another workspace's token: %d %s", tc.method, tc.path, r.status, r.raw)
			}
		}
		// Lists, filters and searches see only alpha.
		for _, p := range []string{"/Users", "/Users?filter=" + esc(`id eq "`+bUser+`"`), "/Users?filter=" + esc(`userName eq "bob@beta.example"`),
			"/Users?filter=" + esc(`emails.value co "beta"`), "/Groups", "/Groups?filter=" + esc(`displayName eq "Beta Team"`),
			"/Groups?filter=" + esc(`members.value eq "`+bUser+`"`)} {
			r := s.do(a, "GET", p, nil)
			if r.status != http.StatusOK || strings.Contains(r.raw, bUser) || strings.Contains(r.raw, bGroup) || strings.Contains(r.raw, "beta.example") {
				t.Errorf("GET %s shows beta's data: %d %s", p, r.status, r.raw)
			}
		}
		if r := s.do(a, "POST", "/Users/.search", map[string]any{"filter": `userName sw "b"`}); strings.Contains(r.raw, bUser) {
			t.Errorf(".search shows beta's user: %s", r.raw)
		}
		// Beta's users cannot be put into alpha's groups.
		s.do(a, "PATCH", "/Groups/"+aGroup, patch(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": bUser}, map[string]any{"value": aUser}}}))
		s.do(a, "POST", "/Groups", map[string]any{"displayName": "Alpha Two", "members": []any{map[string]any{"value": bUser}}})
		for _, p := range []string{"/Groups/" + aGroup, "/Groups?filter=" + esc(`displayName eq "Alpha Two"`)} {
			if r := s.do(a, "GET", p, nil); strings.Contains(r.raw, bUser) || !strings.Contains(r.raw, "Alpha") {
				t.Errorf("GET %s: beta's user became a member: %s", p, r.raw)
			}
		}
		// Beta is untouched.
		if r := s.do(b, "GET", "/Groups/"+bGroup, nil); r.status != http.StatusOK || !strings.Contains(r.raw, bUser) || r.body["displayName"] != "Beta Team" {
			t.Errorf("beta's group changed: %s", r.raw)
		}
		if r := s.do(b, "GET", "/Users/"+bUser, nil); r.status != http.StatusOK || r.body["active"] != true {
			t.Errorf("beta's user changed: %s", r.raw)
		}
	})
}

func esc(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, " ", "%20"), `"`, "%22") }

func TestUnauthorized(t *testing.T) {
	clock := directorytest.NewClock()
	directorytest.RunWith(t, directory.Options{Now: clock.Now}, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		good := s.workspace("alpha", "auto", nil)
		ctx := context.Background()
		revokedTok, revoked, _ := d.CreateSCIMToken(ctx, op, "alpha", directory.SCIMTokenRequest{})
		if _, err := d.RevokeSCIMToken(ctx, op, "alpha", revokedTok.ID); err != nil {
			t.Fatal(err)
		}
		_, expiring, _ := d.CreateSCIMToken(ctx, op, "alpha", directory.SCIMTokenRequest{ExpiresIn: time.Hour})
		clock.Advance(2 * time.Hour)
		for _, tc := range []struct{ name, auth, detail string }{
			{"no header", "", "required"},
			{"not a bearer token", "non-token", "Bearer"},
			{"basic auth", "Basic dXNlcjpwYXNz", "Bearer"},
			{"unknown token", "Bearer nope", "not valid"},
			{"revoked token", "Bearer " + revoked, "revoked"},
			{"expired token", "Bearer " + expiring, "expired"},
		} {
			r := s.do("", "GET", "/Users", nil, "Authorization", tc.auth)
			if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" || r.body["status"] != "401" ||
				!strings.Contains(r.body["detail"].(string), tc.detail) || !strings.Contains(r.header.Get("Content-Type"), "application/scim+json") {
				t.Errorf("%s: %d %v %s", tc.name, r.status, r.header, r.raw)
			}
		}
		// The revoked and the expired token name alpha's connection: its
		// request log says why they were refused (newest first). The
		// others name no connection and are logged nowhere.
		s.h.FlushLog()
		log, err := d.ListSCIMRequests(ctx, op, "alpha", 0, 10)
		if err != nil || len(log) != 2 {
			t.Fatalf("alpha's log after the refusals: %d entries (%+v), %v; want the revoked and the expired token's", len(log), log, err)
		}
		for i, want := range []string{"expired", "revoked"} {
			if e := log[i]; e.Status != http.StatusUnauthorized || !strings.Contains(e.Detail, want) || e.Method != "GET" {
				t.Errorf("log entry %d = %d %q, want 401 saying %s", i, e.Status, e.Detail, want)
			}
		}
		if r := s.do(good, "GET", "/Users", nil); r.status != http.StatusOK {
			t.Errorf("good token: %d", r.status)
		}
	})
}

func TestRequestLog(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("alpha", "okta", nil)
		s.create(tok, "/Users", user("ann@alpha.example"))
		s.do(tok, "POST", "/Users", user("ANN@alpha.example"))
		s.do(tok, "GET", "/Users?filter="+esc(`userName eq "ann@alpha.example"`)+"&access_token="+tok, nil)
		s.do(tok, "PATCH", "/Users/nope", patch(map[string]any{"op": "replace", "path": "active", "value": false}))
		s.h.FlushLog()
		log, err := d.ListSCIMRequests(context.Background(), op, "alpha", 0, 10)
		if err != nil || len(log) != 4 {
			t.Fatalf("log: %d entries, %v", len(log), err)
		}
		all, _ := json.Marshal(log)
		if strings.Contains(string(all), tok) {
			t.Errorf("the token reached the request log: %s", all)
		}
		want := []struct {
			method string
			status int
			what   string
		}{
			{"PATCH", 404, "resource not found"},
			{"GET", 200, "listed 1 of 1 users"},
			{"POST", 409, "already taken"},
			{"POST", 201, "invited ann@alpha.example"},
		}
		for i, w := range want {
			e := log[i]
			if e.Method != w.method || e.Status != w.status || !strings.Contains(e.Action+" "+e.Detail, w.what) || e.Duration <= 0 {
				t.Errorf("entry %d: %+v, want %s %d %q", i, e, w.method, w.status, w.what)
			}
		}
		if !strings.Contains(log[1].Path, "access_token=%5Bredacted%5D") {
			t.Errorf("query secrets are redacted: %s", log[1].Path)
		}
	})
}

func TestProfilesAnswerPatchTheirWay(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		for _, tc := range []struct {
			slug, profile, ua string
			status            int
		}{
			{"entra", "entra", "", http.StatusNoContent},
			{"okta", "okta", "", http.StatusOK},
			{"generic", "generic", "", http.StatusOK},
			{"auto-okta", "auto", "Okta SCIM Client 1.0.0", http.StatusOK},
			{"auto-entra", "auto", "Microsoft.AAD.Provisioning", http.StatusNoContent},
		} {
			tok := s.workspace(tc.slug, tc.profile, nil)
			id := s.create(tok, "/Users", user("pat@x.example"))
			r := s.do(tok, "PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "title", "value": "T"}), "User-Agent", tc.ua)
			if r.status != tc.status || r.header.Get("ETag") == "" {
				t.Errorf("%s %q: user PATCH answered %d, want %d", tc.profile, tc.ua, r.status, tc.status)
			}
			g := s.create(tok, "/Groups", map[string]any{"displayName": "G"})
			if r := s.do(tok, "PATCH", "/Groups/"+g, patch(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}})); r.status != http.StatusNoContent {
				t.Errorf("%s: group PATCH answered %d, want 204", tc.profile, r.status)
			}
		}
		// Entra's string booleans: accepted by entra and auto, refused by
		// the strict generic profile.
		for profile, want := range map[string]int{"entra": http.StatusNoContent, "auto": http.StatusNoContent, "generic": http.StatusBadRequest} {
			tok := s.workspace("bools-"+profile, profile, nil)
			id := s.create(tok, "/Users", user("bo@x.example"))
			r := s.do(tok, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
			if r.status != want {
				t.Errorf("%s: \"False\" answered %d %s, want %d", profile, r.status, r.raw, want)
			}
		}
	})
}

func TestErrorsAreSCIMErrors(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		limit := 2 // the owner's invitation holds one seat
		tok := s.workspace("small", "auto", &limit)
		id := s.create(tok, "/Users", user("one@x.example"))
		r := s.do(tok, "POST", "/Users", user("two@x.example"))
		if r.status != http.StatusForbidden || r.body["status"] != "403" || !strings.Contains(r.body["detail"].(string), "limit is 2 seats") {
			t.Errorf("seat limit: %d %s", r.status, r.raw)
		}
		big := `{"userName":"x","displayName":"` + strings.Repeat("x", 2<<20) + `"}`
		if r := s.do(tok, "POST", "/Users", big); r.status != http.StatusRequestEntityTooLarge || r.body["status"] != "413" {
			t.Errorf("body over the cap: %d %s", r.status, r.raw)
		}
		for _, tc := range []struct {
			method, path string
			body         any
			status       int
			scimType     string
		}{
			{"GET", "/Users?filter=" + esc(`nosuch eq "x"`), nil, 400, "invalidFilter"},
			{"GET", "/Users?filter=" + esc(`userName eq`), nil, 400, "invalidFilter"},
			{"GET", "/Users?count=many", nil, 400, "invalidValue"},
			{"PATCH", "/Users/" + id, patch(map[string]any{"op": "remove"}), 400, "noTarget"},
			{"PATCH", "/Users/" + id, patch(map[string]any{"op": "replace", "path": "id", "value": "x"}), 400, "mutability"},
			{"PATCH", "/Users/" + id, patch(map[string]any{"op": "replace", "path": "nosuch", "value": "x"}), 400, "invalidPath"},
			{"PATCH", "/Users/" + id, patch(map[string]any{"op": "copy", "path": "title", "value": "x"}), 400, "invalidSyntax"},
			{"PATCH", "/Users/" + id, `{"Operations": []}`, 400, "invalidSyntax"},
			{"POST", "/Users", `{"userName":`, 400, "invalidSyntax"},
			{"POST", "/Users", map[string]any{"name": map[string]any{"givenName": "No"}}, 400, "invalidValue"},
			{"POST", "/Groups", map[string]any{"members": []any{}}, 400, "invalidValue"},
			{"DELETE", "/Users", nil, 405, ""},
			{"POST", "/Bulk", map[string]any{}, 501, ""},
			{"GET", "/Me", nil, 501, ""},
			{"GET", "/Nothing", nil, 404, ""},
			{"PUT", "/Users/" + id, user("one@x.example"), 412, ""},
		} {
			headers := []string{}
			if tc.status == 412 {
				headers = []string{"If-Match", `W/"999"`}
			}
			r := s.do(tok, tc.method, tc.path, tc.body, headers...)
			if r.status != tc.status || r.body["status"] != itoa(tc.status) || (tc.scimType != "" && r.body["scimType"] != tc.scimType) {
				t.Errorf("%s %s: %d %s, want %d %s", tc.method, tc.path, r.status, r.raw, tc.status, tc.scimType)
			}
		}
	})
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestPathsAndMediaTypes(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("alpha", "entra", nil)
		r := s.do(tok, "POST", "/users/", `{"userName":"plain@x.example","active":"True","emails":[{"Primary":true,"type":"work","value":"plain@x.example"}]}`,
			"Content-Type", "application/json")
		if r.status != http.StatusCreated || r.body["active"] != true || !strings.HasSuffix(r.header.Get("Location"), "/Users/"+r.body["id"].(string)) {
			t.Fatalf("POST /users/ as application/json: %d %s", r.status, r.raw)
		}
		emails := r.body["emails"].([]any)
		if emails[0].(map[string]any)["primary"] != true {
			t.Errorf("Primary normalised to primary: %v", emails)
		}
		for _, p := range []string{"/USERS?filter=" + esc(`DisplayName eq "x"`), "/Users/?filter=" + esc(`userName eq plain@x.example`), "/serviceConfiguration",
			"/ServiceProviderConfig/", "/schemas", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "/resourcetypes/User"} {
			if r := s.do(tok, "GET", p, nil); r.status != http.StatusOK {
				t.Errorf("GET %s: %d %s", p, r.status, r.raw)
			}
		}
		if r := s.do(tok, "GET", "/Users/?filter="+esc(`userName eq plain@x.example`), nil); r.body["totalResults"] != float64(1) {
			t.Errorf("unquoted filter value: %s", r.raw)
		}
		spc := s.do(tok, "GET", "/ServiceProviderConfig", nil).body
		for feature, want := range map[string]bool{"patch": true, "bulk": false, "filter": true, "sort": true, "etag": true, "changePassword": false} {
			if spc[feature].(map[string]any)["supported"] != want {
				t.Errorf("ServiceProviderConfig %s.supported = %v, want %v", feature, spc[feature], want)
			}
		}
		if r := s.do(tok, "GET", "/Schemas", nil); !strings.Contains(r.raw, "User Account") || strings.Contains(r.raw, "null") {
			t.Errorf("/Schemas: %s", r.raw[:min(300, len(r.raw))])
		}
	})
}
