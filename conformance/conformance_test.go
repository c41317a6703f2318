package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReportPrintsOneLinePerCheckAndSummary(t *testing.T) {
	results := []Result{
		{Name: "create", Ref: "RFC7644 3.3", Passed: true},
		{Name: "filter", Ref: "RFC7644 3.4.2.2", Detail: "got 0 results\nsecond line"},
		{Name: "sort", Ref: "RFC7644 3.4.2.3", Skipped: true, Detail: "not supported"},
	}
	var b bytes.Buffer
	failed := Report(&b, results)
	if failed != 1 {
		t.Errorf("failed = %d, want 1", failed)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if last := lines[len(lines)-1]; last != "1 passed, 1 failed" {
		t.Errorf("last line %q, want %q", last, "1 passed, 1 failed")
	}
	for _, want := range []string{"ok    RFC7644 3.3      create", "FAIL  RFC7644 3.4.2.2  filter",
		"        got 0 results", "        second line", "skip  RFC7644 3.4.2.3  sort", "        not supported"} {
		if !strings.Contains(b.String(), want+"\n") {
			t.Errorf("report lacks line %q:\n%s", want, b.String())
		}
	}
}

func TestLookupWalksPathsCaseInsensitively(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"name":{"givenName":"A"},"emails":[{"value":"x"},{"value":"y"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}}}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, want string }{
		{"name.givenName", "A"},
		{"NAME.GIVENNAME", "A"},
		{"emails[1].value", "y"},
		{"emails.0.value", "x"},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.manager.value", "m"},
		{"name.familyName", ""},
		{"emails[5].value", ""},
	}
	for _, tc := range tests {
		if got := str(doc, tc.path); got != tc.want {
			t.Errorf("str(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestQueryEncodesSpacesAsPercent20(t *testing.T) {
	got := query("filter", `userName eq "a+b@example.com"`, "count", "1")
	want := "filter=userName%20eq%20%22a%2Bb%40example.com%22&count=1"
	if got != want {
		t.Errorf("query = %q, want %q", got, want)
	}
}

func TestJSONIntRejectsStringsAndFractions(t *testing.T) {
	tests := []struct {
		v  any
		ok bool
	}{{json.Number("5"), true}, {json.Number("5.5"), false}, {"5", false}, {nil, false}, {float64(5), false}}
	for _, tc := range tests {
		if _, ok := jsonInt(tc.v); ok != tc.ok {
			t.Errorf("jsonInt(%#v) ok = %v, want %v", tc.v, ok, tc.ok)
		}
	}
}

func TestRandomGUIDIsVersion4(t *testing.T) {
	g := randomGUID()
	if len(g) != 36 || g[14] != '4' || !strings.ContainsRune("89ab", rune(g[19])) {
		t.Errorf("randomGUID() = %q, not a v4 UUID", g)
	}
	if g == randomGUID() {
		t.Errorf("two GUIDs are equal")
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{BaseURL: "http://127.0.0.1:1/scim/v2", Profile: "onelogin"},
		{BaseURL: "/scim/v2"},
		{BaseURL: "ftp://example.com/scim"},
	} {
		if _, err := Run(context.Background(), cfg); err == nil {
			t.Errorf("Run(%+v) succeeded, want a configuration error", cfg)
		}
	}
}

func TestRunFailsFastWhenServerUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	res, err := Run(context.Background(), Config{BaseURL: url + "/scim/v2", Token: "x"})
	if err == nil || len(res) != 0 {
		t.Fatalf("Run against a closed port: %d results, err %v; want an error and no results", len(res), err)
	}
}

// fakeURL serves a fake SCIM server under /scim/v2 and returns its base URL.
func fakeURL(t *testing.T, f *fakeServer) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", f))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/scim/v2"
}

func TestSuitePassesAgainstACompliantServer(t *testing.T) {
	f := newFakeServer("tok", "/scim/v2")
	base := fakeURL(t, f)
	res, err := Run(context.Background(), Config{BaseURL: base, Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if failed := Report(&b, res); failed != 0 {
		t.Errorf("%d checks failed against the fake server:\n%s", failed, b.String())
	}
	if len(res) != len(suite()) {
		t.Errorf("%d results for %d checks", len(res), len(suite()))
	}
	// Every check cleans up after itself: nothing is left on the server.
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.users) != 0 || len(f.groups) != 0 {
		t.Errorf("suite left %d users and %d groups behind", len(f.users), len(f.groups))
	}
}

func TestProfileSelectsReplays(t *testing.T) {
	base := fakeURL(t, newFakeServer("tok", "/scim/v2"))
	for _, tc := range []struct{ profile, other string }{{"okta", "Entra"}, {"entra", "Okta"}} {
		res, err := Run(context.Background(), Config{BaseURL: base, Token: "tok", Profile: tc.profile})
		if err != nil {
			t.Fatal(err)
		}
		ran := 0
		for _, r := range res {
			if strings.HasPrefix(r.Ref, tc.other) {
				t.Errorf("profile %s ran %q", tc.profile, r.Name)
			}
			if strings.HasPrefix(strings.ToLower(r.Ref), tc.profile) {
				ran++
			}
		}
		if ran == 0 {
			t.Errorf("profile %s ran none of its own replays", tc.profile)
		}
	}
}

// Each fault of the fake server must be caught by the check written for it.
func TestChecksCatchBrokenServers(t *testing.T) {
	tests := []struct {
		name   string
		faults fakeFaults
		match  string // Config.Match selecting the check that must fail
	}{
		{"remove-with-value clears the group", fakeFaults{removeWithValueRemovesAll: true}, "Entra E2 remove-with-value"},
		{"no Location header", fakeFaults{noLocation: true}, "POST /Users answers 201"},
		{"case-sensitive userName filter", fakeFaults{caseSensitiveUserName: true}, "filter userName eq matches case-insensitively"},
		{"case-sensitive userName uniqueness", fakeFaults{caseSensitiveUserName: true}, "duplicate userName"},
		{"non-atomic PATCH", fakeFaults{nonAtomicPatch: true}, "PATCH is atomic"},
		{"Resources null when empty", fakeFaults{resourcesNullWhenEmpty: true}, "Resources: []"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeServer("tok", "/scim/v2")
			f.faults = tc.faults
			res, err := Run(context.Background(), Config{BaseURL: fakeURL(t, f), Token: "tok", Match: tc.match})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) == 0 {
				t.Fatalf("no check matches %q", tc.match)
			}
			var b bytes.Buffer
			if Report(&b, res) == 0 {
				t.Errorf("no check failed:\n%s", b.String())
			}
		})
	}
}

func TestWrongTokenIsReportedNotFatal(t *testing.T) {
	base := fakeURL(t, newFakeServer("tok", "/scim/v2"))
	res, err := Run(context.Background(), Config{BaseURL: base, Token: "wrong", Match: "GET /Users/{id}"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 || res[0].Passed || !strings.Contains(res[0].Detail, "401") {
		t.Errorf("with a wrong token: %+v; want one failure mentioning 401", res)
	}
}
