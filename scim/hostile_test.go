package scim_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// TestNULInAStoredValueIsRefused (issue 15 item 1): a PATCH that would
// store a NUL in title is refused with 400 invalidValue naming title, so
// the workspace's filtered reads keep working. Before the fix the PATCH
// answered 200 on both databases and every filtered list of the
// workspace then answered 500 on PostgreSQL.
func TestNULInAStoredValueIsRefused(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("nul", "generic", nil)
		u := user("user7@nul.example")
		u["displayName"], u["title"] = "User 7", "Engineer"
		id := s.create(tok, "/Users", u)

		r := s.do(tok, "PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","path":"title","value":"a\u0000b"}]}`)
		if r.status != http.StatusBadRequest || r.body["scimType"] != "invalidValue" || !strings.Contains(r.raw, "title") {
			t.Fatalf("PATCH title with a NUL: %d %s, want 400 invalidValue naming title", r.status, r.raw)
		}
		for _, f := range []string{`displayName eq "User 7"`, `title pr`, `nickName pr`, `name.givenName eq "Test"`} {
			r := s.do(tok, "GET", "/Users?filter="+url.QueryEscape(f), nil)
			if r.status != http.StatusOK {
				t.Fatalf("filter %s after the refused PATCH: %d %s", f, r.status, r.raw)
			}
			if f != "nickName pr" && r.body["totalResults"] != float64(1) {
				t.Errorf("filter %s: %s, want the user", f, r.raw)
			}
		}
		if r := s.do(tok, "GET", "/Users/"+id, nil); r.status != http.StatusOK || r.body["title"] != "Engineer" {
			t.Errorf("the user after the refused PATCH: %d %s, want title Engineer", r.status, r.raw)
		}
	})
}

// TestUnstorableInputAnswers400 (issue 15 item 2): a NUL or invalid UTF-8
// anywhere in a SCIM request, stored or only queried, is a 400 naming
// what is wrong, never a 500 (PostgreSQL refused them with "invalid byte
// sequence for encoding UTF8: 0x00").
func TestUnstorableInputAnswers400(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("bytes", "generic", nil)
		id := s.create(tok, "/Users", user("ok@bytes.example"))
		gid := s.create(tok, "/Groups", map[string]any{"displayName": "Team"})
		const userURN = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
		const patchURN = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
		cases := []struct {
			name, method, path, body string
			scimType, names          string
		}{
			{"POST userName", "POST", "/Users", `{` + userURN + `,"userName":"a\u0000b@bytes.example"}`, "invalidValue", "userName"},
			{"PUT userName", "PUT", "/Users/" + id, `{` + userURN + `,"userName":"ok\u0000@bytes.example"}`, "invalidValue", "userName"},
			{"POST email", "POST", "/Users", `{` + userURN + `,"userName":"e@bytes.example","emails":[{"value":"e\u0000@bytes.example"}]}`, "invalidValue", "emails"},
			{"POST email type", "POST", "/Users", `{` + userURN + `,"userName":"t@bytes.example","emails":[{"value":"t@bytes.example","type":"\u0000"}]}`, "invalidValue", "emails"},
			{"POST givenName", "POST", "/Users", `{` + userURN + `,"userName":"g@bytes.example","name":{"givenName":"G\u0000"}}`, "invalidValue", "name.givenName"},
			{"POST address", "POST", "/Users", `{` + userURN + `,"userName":"a@bytes.example","addresses":[{"streetAddress":"1 \u0000 St"}]}`, "invalidValue", "addresses"},
			{"POST externalId", "POST", "/Users", `{` + userURN + `,"userName":"x@bytes.example","externalId":"\u0000"}`, "invalidValue", "externalId"},
			{"POST enterprise", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],"userName":"m@bytes.example",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R\u0000D"}}`, "invalidValue", "department"},
			{"PATCH nickName", "PATCH", "/Users/" + id, `{` + patchURN + `,"Operations":[{"op":"add","value":{"nickName":"\u0000"}}]}`, "invalidValue", "nickName"},
			{"POST group", "POST", "/Groups", `{"displayName":"G\u0000"}`, "invalidValue", "displayName"},
			{"PUT group", "PUT", "/Groups/" + gid, `{"displayName":"Team\u0000"}`, "invalidValue", "displayName"},
			{"PATCH group", "PATCH", "/Groups/" + gid, `{` + patchURN + `,"Operations":[{"op":"replace","path":"displayName","value":"\u0000"}]}`, "invalidValue", "displayName"},
			{"group member", "PATCH", "/Groups/" + gid, `{` + patchURN + `,"Operations":[{"op":"add","path":"members","value":[{"value":"\u0000"}]}]}`, "invalidValue", "members"},
			{"group member display", "PATCH", "/Groups/" + gid, `{` + patchURN + `,"Operations":[{"op":"add","path":"members","value":[{"value":"` + id + `","display":"\u0000"}]}]}`, "invalidValue", "members"},
			{"filter sw", "GET", "/Users?filter=" + url.QueryEscape(`userName sw "\u0000"`), "", "invalidFilter", "userName"},
			{"filter id", "GET", "/Users?filter=" + url.QueryEscape(`id eq "\u0000"`), "", "invalidFilter", "id"},
			{"filter value path", "GET", "/Users?filter=" + url.QueryEscape(`emails[type eq "\u0000"]`), "", "invalidFilter", "type"},
			{"filter raw NUL", "GET", "/Users?filter=userName%20eq%20a%00b", "", "invalidFilter", "NUL"},
			{"filter invalid UTF-8", "GET", "/Users?filter=userName%20eq%20%22%FF%22", "", "invalidFilter", "UTF-8"},
			{"group filter", "GET", "/Groups?filter=" + url.QueryEscape(`displayName eq "\u0000"`), "", "invalidFilter", "displayName"},
			{"search filter", "POST", "/Users/.search", `{"filter":"externalId eq \"\u0000\""}`, "invalidFilter", "externalId"},
			{"user id NUL", "GET", "/Users/a%00b", "", "invalidValue", "id"},
			{"user id invalid UTF-8", "DELETE", "/Users/%FF", "", "invalidValue", "id"},
			{"group id NUL", "PATCH", "/Groups/%00", `{` + patchURN + `,"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`, "invalidValue", "id"},
		}
		for _, tc := range cases {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := s.do(tok, tc.method, tc.path, body)
			if r.status != http.StatusBadRequest || r.body["scimType"] != tc.scimType || !strings.Contains(r.raw, tc.names) {
				t.Errorf("%s: %d %s, want 400 %s naming %s", tc.name, r.status, r.raw, tc.scimType, tc.names)
			}
		}
		// Nothing was stored: the workspace reads as before.
		if r := s.do(tok, "GET", "/Users?filter="+url.QueryEscape(`title pr or nickName pr or userName pr`), nil); r.status != http.StatusOK || r.body["totalResults"] != float64(1) {
			t.Errorf("list after the refusals: %d %s, want the one user", r.status, r.raw)
		}
		if r := s.do(tok, "GET", "/Groups/"+gid, nil); r.status != http.StatusOK || r.body["displayName"] != "Team" {
			t.Errorf("group after the refusals: %d %s", r.status, r.raw)
		}
	})
}
