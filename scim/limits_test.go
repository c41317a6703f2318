package scim_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// send posts a raw body with a Content-Type ("" for none).
func (s *server) send(token, method, path, contentType, body string) int {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// TestBodyMediaType (issue 15 item 7): a body is read as JSON only when
// it says it is (application/scim+json or application/json, with any
// parameters: Okta sends "application/scim+json; charset=utf-8" and
// "application/json"); anything else is 415. Before, text/plain and
// application/xml bodies were parsed as JSON.
func TestBodyMediaType(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("media", "generic", nil)
		body := func(n int) string { return fmt.Sprintf(`{"userName":"u%d@media.example"}`, n) }
		for i, ct := range []string{"text/plain", "application/xml", "application/x-www-form-urlencoded", "", "application/scim+xml", "json"} {
			if got := s.send(tok, "POST", "/Users", ct, body(i)); got != http.StatusUnsupportedMediaType {
				t.Errorf("POST with Content-Type %q: %d, want 415", ct, got)
			}
		}
		for i, ct := range []string{"application/scim+json", "application/json", "application/scim+json; charset=utf-8", "application/json; charset=UTF-8", "Application/SCIM+JSON"} {
			if got := s.send(tok, "POST", "/Users", ct, body(100+i)); got != http.StatusCreated {
				t.Errorf("POST with Content-Type %q: %d, want 201", ct, got)
			}
		}
		id := s.create(tok, "/Users", user("p@media.example"))
		patch := `{"Operations":[{"op":"replace","path":"title","value":"x"}]}`
		if got := s.send(tok, "PATCH", "/Users/"+id, "text/plain", patch); got != http.StatusUnsupportedMediaType {
			t.Errorf("PATCH as text/plain: %d, want 415", got)
		}
		if got := s.send(tok, "POST", "/Users/.search", "application/xml", `{"filter":"userName pr"}`); got != http.StatusUnsupportedMediaType {
			t.Errorf("search as application/xml: %d, want 415", got)
		}
		if got := s.send(tok, "PUT", "/Users/"+id, "text/plain", body(9)); got != http.StatusUnsupportedMediaType {
			t.Errorf("PUT as text/plain: %d, want 415", got)
		}
	})
}

// TestDuplicateKeysRefused (issue 15 item 7): a body naming one attribute
// twice, at any depth and in any letter case (attribute names are
// case-insensitive, RFC 7643 2.1), is 400 invalidSyntax, where before the
// last one silently won.
func TestDuplicateKeysRefused(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("dups", "generic", nil)
		id := s.create(tok, "/Users", user("d@dups.example"))
		for _, tc := range []struct{ name, method, path, body string }{
			{"top level", "POST", "/Users", `{"userName":"a@dups.example","userName":"b@dups.example"}`},
			{"letter case", "POST", "/Users", `{"userName":"a@dups.example","username":"b@dups.example"}`},
			{"nested", "POST", "/Users", `{"userName":"a@dups.example","name":{"givenName":"A","GivenName":"B"}}`},
			{"in an array", "POST", "/Users", `{"userName":"a@dups.example","emails":[{"value":"a@dups.example","value":"b@dups.example"}]}`},
			{"PUT", "PUT", "/Users/" + id, `{"userName":"d@dups.example","active":true,"Active":false}`},
			{"PATCH op", "PATCH", "/Users/" + id, `{"Operations":[{"op":"add","op":"remove","path":"title"}]}`},
			{"PATCH value", "PATCH", "/Users/" + id, `{"Operations":[{"op":"add","value":{"title":"a","TITLE":"b"}}]}`},
			{"Operations twice", "PATCH", "/Users/" + id, `{"Operations":[{"op":"remove","path":"title"}],"operations":[]}`},
			{"group", "POST", "/Groups", `{"displayName":"A","displayname":"B"}`},
			{"search", "POST", "/Users/.search", `{"filter":"userName pr","filter":"title pr"}`},
		} {
			r := s.do(tok, tc.method, tc.path, tc.body)
			if r.status != http.StatusBadRequest || r.body["scimType"] != "invalidSyntax" || !strings.Contains(r.raw, "more than once") {
				t.Errorf("%s: %d %s, want 400 invalidSyntax", tc.name, r.status, r.raw)
			}
		}
		// The same name in two objects is no duplicate.
		if r := s.do(tok, "POST", "/Users", `{"userName":"ok@dups.example","emails":[{"value":"ok@dups.example","type":"work"},{"value":"o2@dups.example","type":"home"}]}`); r.status != http.StatusCreated {
			t.Errorf("one name per object: %d %s", r.status, r.raw)
		}
	})
}

// TestAttributeLimits (issue 15 item 7, issue 14's leftover): string
// attributes are at most directory.MaxTextLength characters, the person's
// name at most directory.MaxNameLength, a multi-valued attribute at most
// directory.MaxValues values; beyond, 400 invalidValue naming the
// attribute. Before, a 9 MiB displayName was stored.
func TestAttributeLimits(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("caps", "generic", nil)
		n := 0
		post := func(attrs map[string]any) response {
			n++
			u := map[string]any{"userName": fmt.Sprintf("u%d@caps.example", n)}
			for k, v := range attrs {
				u[k] = v
			}
			return s.do(tok, "POST", "/Users", u)
		}
		values := func(count int, mk func(i int) any) []any {
			out := make([]any, count)
			for i := range out {
				out[i] = mk(i)
			}
			return out
		}
		address := func(i int) any { return map[string]any{"streetAddress": fmt.Sprintf("%d Main St", i)} }
		email := func(i int) any { return map[string]any{"value": fmt.Sprintf("e%d@caps.example", i)} }
		for _, tc := range []struct {
			name  string
			attrs map[string]any
			names string
		}{
			{"long title", map[string]any{"title": strings.Repeat("t", directory.MaxTextLength+1)}, "title"},
			{"long street", map[string]any{"addresses": []any{map[string]any{"streetAddress": strings.Repeat("é", directory.MaxTextLength+1)}}}, "addresses[0].streetAddress"},
			{"long displayName as the name", map[string]any{"displayName": strings.Repeat("d", directory.MaxNameLength+1)}, "displayName"},
			{"long formatted name", map[string]any{"name": map[string]any{"formatted": strings.Repeat("n", directory.MaxNameLength+1)}}, "name.formatted"},
			{"long userName", map[string]any{"userName": strings.Repeat("u", directory.MaxIdentifierLength+1)}, "userName"},
			{"many addresses", map[string]any{"addresses": values(directory.MaxValues+1, address)}, "addresses"},
			{"many emails", map[string]any{"emails": values(directory.MaxValues+1, email)}, "emails"},
		} {
			r := post(tc.attrs)
			if r.status != http.StatusBadRequest || r.body["scimType"] != "invalidValue" || !strings.Contains(r.raw, tc.names) {
				t.Errorf("%s: %d %.300s, want 400 invalidValue naming %s", tc.name, r.status, r.raw, tc.names)
			}
		}
		// At the limits, everything is kept whole.
		r := post(map[string]any{"title": strings.Repeat("日", directory.MaxTextLength), "displayName": strings.Repeat("d", directory.MaxNameLength),
			"addresses": values(directory.MaxValues, address)})
		if r.status != http.StatusCreated {
			t.Fatalf("at the limits: %d %.300s", r.status, r.raw)
		}
		got := s.do(tok, "GET", "/Users/"+r.body["id"].(string), nil)
		if got.body["title"] != strings.Repeat("日", directory.MaxTextLength) || len(got.body["addresses"].([]any)) != directory.MaxValues {
			t.Errorf("at the limits, not kept whole: %.200s", got.raw)
		}
		// A PATCH meets the same limits.
		id := r.body["id"].(string)
		p := s.do(tok, "PATCH", "/Users/"+id, patch(map[string]any{"op": "add", "path": "addresses", "value": []any{address(1000)}}))
		if p.status != http.StatusBadRequest || !strings.Contains(p.raw, "addresses") {
			t.Errorf("PATCH past the count: %d %.300s", p.status, p.raw)
		}
		// A group's displayName is a team name.
		if r := s.do(tok, "POST", "/Groups", map[string]any{"displayName": strings.Repeat("g", directory.MaxNameLength+1)}); r.status != http.StatusBadRequest || !strings.Contains(r.raw, "displayName") {
			t.Errorf("long group displayName: %d %s", r.status, r.raw)
		}
	})
}

// TestFilterLimits (issue 15 item 7): a filter of more than 200
// comparisons or nested more than 20 deep is 400 invalidFilter, before
// any SQL runs (3,000 or-terms took 2.3 s before); at the limits it is
// answered.
func TestFilterLimits(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("filters", "generic", nil)
		s.create(tok, "/Users", user("f@filters.example"))
		terms := func(n int) string {
			parts := make([]string, n)
			for i := range parts {
				parts[i] = fmt.Sprintf(`userName eq "u%d@filters.example"`, i)
			}
			parts[n-1] = `userName eq "f@filters.example"`
			return strings.Join(parts, " or ")
		}
		nested := func(depth int) string {
			return strings.Repeat("not (", depth) + `userName eq "x"` + strings.Repeat(")", depth)
		}
		parens := func(depth int) string {
			return strings.Repeat("(", depth) + `userName pr` + strings.Repeat(")", depth)
		}
		for _, tc := range []struct {
			name, filter, says string
		}{
			{"201 terms", terms(201), "200"},
			{"3000 terms", terms(3000), "filter"},
			{"not 21 deep", nested(21), "20"},
			{"not 2000 deep", nested(2000), "20"},
			{"parentheses 21 deep", parens(21), "20"},
			{"too long", `userName eq "` + strings.Repeat("x", 40000) + `"`, "characters"},
		} {
			r := s.do(tok, "POST", "/Users/.search", map[string]any{"filter": tc.filter})
			if r.status != http.StatusBadRequest || r.body["scimType"] != "invalidFilter" || !strings.Contains(r.raw, tc.says) {
				t.Errorf("%s: %d %.300s, want 400 invalidFilter", tc.name, r.status, r.raw)
			}
		}
		for _, f := range []string{terms(200), nested(20), parens(20)} {
			r := s.do(tok, "POST", "/Users/.search", map[string]any{"filter": f})
			if r.status != http.StatusOK {
				t.Errorf("filter at the limit: %d %.300s", r.status, r.raw)
			}
		}
		if r := s.do(tok, "GET", "/Users?filter="+url.QueryEscape(terms(200)), nil); r.status != http.StatusOK || r.body["totalResults"] != float64(1) {
			t.Errorf("200 terms over GET: %d %.300s", r.status, r.raw)
		}
	})
}
