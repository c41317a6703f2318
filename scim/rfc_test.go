package scim_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// Regression tests for the defects of issue 11, one per item.

func TestRemoveActiveLeavesSuspendedUserSuspended(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("acme", "generic", nil)
		id := s.create(tok, "/Users", user("sus@x.example"))
		if r := s.do(tok, "PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "active", "value": false})); r.status != http.StatusOK || r.body["active"] != false {
			t.Fatalf("suspend: %d %s", r.status, r.raw)
		}
		r := s.do(tok, "PATCH", "/Users/"+id, patch(map[string]any{"op": "remove", "path": "active"}))
		if r.status != http.StatusOK || r.body["active"] != false {
			t.Errorf("remove active: %d %s, want the user still inactive", r.status, r.raw)
		}
		if r := s.do(tok, "GET", "/Users/"+id, nil); r.body["active"] != false {
			t.Errorf("after remove active, GET shows active=%v", r.body["active"])
		}
		// Path-less replace with active: null is the same unassignment.
		r = s.do(tok, "PATCH", "/Users/"+id, `{"Operations":[{"op":"replace","value":{"active":null,"title":"T"}}]}`)
		if r.status != http.StatusOK || r.body["active"] != false {
			t.Errorf("replace active with null: %d %s, want the user still inactive", r.status, r.raw)
		}
	})
}

func TestDeletedUserIDIsNeverGivenToAnotherAccount(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("acme", "generic", nil)
		withExt := func(userName, ext, email string) map[string]any {
			u := user(userName)
			u["externalId"] = ext
			u["emails"] = []any{map[string]any{"value": email, "type": "work", "primary": true}}
			return u
		}
		a := s.create(tok, "/Users", withExt("a", "ext-a", "x@elsewhere.example"))
		if r := s.do(tok, "DELETE", "/Users/"+a, nil); r.status != http.StatusNoContent {
			t.Fatalf("DELETE: %d %s", r.status, r.raw)
		}
		b := s.create(tok, "/Users", withExt("b", "ext-b", "x@elsewhere.example"))
		if b == a {
			t.Errorf("another account with the deleted user's email got its id %s", a)
		}
		if r := s.do(tok, "GET", "/Users/"+a, nil); r.status != http.StatusNotFound {
			t.Errorf("GET the deleted id after another account took the email: %d %s", r.status, r.raw)
		}
		for _, m := range []string{"PATCH", "DELETE"} {
			if r := s.do(tok, m, "/Users/"+a, patch(map[string]any{"op": "replace", "path": "title", "value": "x"})); r.status != http.StatusNotFound {
				t.Errorf("%s the deleted id: %d", m, r.status)
			}
		}

		// The same IdP account coming back revives its old id: by
		// externalId, or by userName when it has none.
		c := s.create(tok, "/Users", withExt("c", "ext-c", "c@elsewhere.example"))
		s.do(tok, "DELETE", "/Users/"+c, nil)
		if again := s.create(tok, "/Users", withExt("c-renamed", "ext-c", "c@elsewhere.example")); again != c {
			t.Errorf("same externalId came back as %s, want the old id %s", again, c)
		}
		nm := user("nomail")
		delete(nm, "emails")
		n := s.create(tok, "/Users", nm)
		s.do(tok, "DELETE", "/Users/"+n, nil)
		if again := s.create(tok, "/Users", nm); again != n {
			t.Errorf("same userName without externalId came back as %s, want the old id %s", again, n)
		}
		// Without an email, a userName match with another externalId is
		// another account.
		e1 := user("shared-name")
		delete(e1, "emails")
		e1["externalId"] = "ext-1"
		first := s.create(tok, "/Users", e1)
		s.do(tok, "DELETE", "/Users/"+first, nil)
		e1["externalId"] = "ext-2"
		if second := s.create(tok, "/Users", e1); second == first {
			t.Errorf("userName match with another externalId revived the deleted id %s", first)
		}
		if r := s.do(tok, "GET", "/Users/"+first, nil); r.status != http.StatusNotFound {
			t.Errorf("GET the deleted id: %d", r.status)
		}
	})
}

func TestGroupVersionFollowsMemberChangesThroughUsers(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("acme", "generic", nil)
		u1 := s.create(tok, "/Users", user("one@x.example"))
		u2 := s.create(tok, "/Users", user("two@x.example"))
		g := s.create(tok, "/Groups", map[string]any{"displayName": "G", "members": []any{map[string]any{"value": u1}, map[string]any{"value": u2}}})
		before := s.do(tok, "GET", "/Groups/"+g, nil)
		for _, step := range []struct {
			what         string
			method, path string
			body         any
		}{
			{"a member's userName changes (their display)", "PATCH", "/Users/" + u2, patch(map[string]any{"op": "replace", "path": "userName", "value": "deux@x.example"})},
			{"a member is deleted", "DELETE", "/Users/" + u1, nil},
		} {
			time.Sleep(5 * time.Millisecond)
			if r := s.do(tok, step.method, step.path, step.body); r.status >= 300 {
				t.Fatalf("%s: %d %s", step.what, r.status, r.raw)
			}
			tag := before.header.Get("ETag")
			after := s.do(tok, "GET", "/Groups/"+g, nil, "If-None-Match", tag)
			if after.status != http.StatusOK {
				t.Errorf("after %s, GET with the old ETag %s answered %d (stale members)", step.what, tag, after.status)
				continue
			}
			if after.header.Get("ETag") == tag || lookupMeta(after, "lastModified") == lookupMeta(before, "lastModified") {
				t.Errorf("after %s: ETag %s and lastModified %v unchanged", step.what, tag, lookupMeta(after, "lastModified"))
			}
			before = after
		}
		if members, _ := before.body["members"].([]any); len(members) != 1 {
			t.Errorf("members after the delete: %v", before.body["members"])
		}
	})
}

func lookupMeta(r response, key string) any {
	m, _ := r.body["meta"].(map[string]any)
	return m[key]
}

func TestNoOpChangesKeepTheVersion(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("acme", "generic", nil)
		body := user("same@x.example")
		body["displayName"] = "Same Person"
		id := s.create(tok, "/Users", body)
		g := s.create(tok, "/Groups", map[string]any{"displayName": "G", "members": []any{map[string]any{"value": id}}})
		cur := s.do(tok, "GET", "/Users/"+id, nil)
		curG := s.do(tok, "GET", "/Groups/"+g, nil)
		for _, tc := range []struct {
			what         string
			method, path string
			body         any
			group        bool
		}{
			{"PATCH add displayName with its value", "PATCH", "/Users/" + id, patch(map[string]any{"op": "add", "path": "displayName", "value": "Same Person"}), false},
			{"PATCH replace displayName with its value, repeated", "PATCH", "/Users/" + id, patch(map[string]any{"op": "replace", "path": "displayName", "value": "Same Person"}), false},
			{"path-less PATCH replace active true on an active user", "PATCH", "/Users/" + id, patch(map[string]any{"op": "replace", "value": map[string]any{"active": true}}), false},
			{"PUT of the same representation", "PUT", "/Users/" + id, body, false},
			{"group PATCH replace displayName with its value", "PATCH", "/Groups/" + g, patch(map[string]any{"op": "replace", "path": "displayName", "value": "G"}), true},
			{"group PATCH add a member it has", "PATCH", "/Groups/" + g, patch(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": id}}}), true},
		} {
			time.Sleep(5 * time.Millisecond)
			r := s.do(tok, tc.method, tc.path, tc.body)
			if r.status >= 300 {
				t.Fatalf("%s: %d %s", tc.what, r.status, r.raw)
			}
			before, path := cur, "/Users/"+id
			if tc.group {
				before, path = curG, "/Groups/"+g
			}
			after := s.do(tok, "GET", path, nil)
			if after.header.Get("ETag") != before.header.Get("ETag") || lookupMeta(after, "lastModified") != lookupMeta(before, "lastModified") {
				t.Errorf("%s: version %s → %s, lastModified %v → %v; want no change", tc.what, before.header.Get("ETag"), after.header.Get("ETag"),
					lookupMeta(before, "lastModified"), lookupMeta(after, "lastModified"))
			}
			if r.header.Get("ETag") != "" && r.header.Get("ETag") != before.header.Get("ETag") {
				t.Errorf("%s: answered with ETag %s, want %s", tc.what, r.header.Get("ETag"), before.header.Get("ETag"))
			}
		}
		// A real change still moves it.
		s.do(tok, "PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "displayName", "value": "Other"}))
		if after := s.do(tok, "GET", "/Users/"+id, nil); after.header.Get("ETag") == cur.header.Get("ETag") {
			t.Errorf("a real change kept the version %s", cur.header.Get("ETag"))
		}
	})
}

func TestTwoPrimaryValuesAreRefused(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("acme", "auto", nil)
		two := []any{map[string]any{"value": "a@x.example", "type": "work", "primary": true}, map[string]any{"value": "b@x.example", "type": "home", "primary": true}}
		body := user("two@x.example")
		body["emails"] = two
		r := s.do(tok, "POST", "/Users", body)
		if r.status != http.StatusBadRequest || r.body["scimType"] != "invalidValue" {
			t.Errorf("POST with two primary emails: %d %s, want 400 invalidValue", r.status, r.raw)
		}
		id := s.create(tok, "/Users", user("one@x.example"))
		if r := s.do(tok, "PUT", "/Users/"+id, map[string]any{"userName": "one@x.example", "emails": two}); r.status != http.StatusBadRequest || r.body["scimType"] != "invalidValue" {
			t.Errorf("PUT with two primary emails: %d %s, want 400 invalidValue", r.status, r.raw)
		}
		phones := []any{map[string]any{"value": "+1 555 0100", "type": "work", "primary": true}, map[string]any{"value": "+1 555 0101", "type": "mobile", "primary": true}}
		if r := s.do(tok, "PATCH", "/Users/"+id, patch(map[string]any{"op": "add", "path": "phoneNumbers", "value": phones})); r.status != http.StatusBadRequest || r.body["scimType"] != "invalidValue" {
			t.Errorf("PATCH adding two primary phone numbers: %d %s, want 400 invalidValue", r.status, r.raw)
		}
		// Making another value primary through a value path leaves one.
		s.do(tok, "PATCH", "/Users/"+id, patch(map[string]any{"op": "add", "path": "emails", "value": []any{map[string]any{"value": "home@x.example", "type": "home"}}}))
		r = s.do(tok, "PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": `emails[type eq "home"].primary`, "value": true}))
		primaries := 0
		for _, e := range r.body["emails"].([]any) {
			if e.(map[string]any)["primary"] == true {
				primaries++
				if e.(map[string]any)["value"] != "home@x.example" {
					t.Errorf("primary is %v, want the home address", e)
				}
			}
		}
		if r.status != http.StatusOK || primaries != 1 {
			t.Errorf("after making home primary: %d, %d primaries: %s", r.status, primaries, r.raw)
		}
	})
}
func TestDuplicateTypeValuePairsAreDropped(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("acme", "auto", nil)
		body := user("dup@x.example")
		body["emails"] = []any{map[string]any{"value": "dup@x.example", "type": "work"}, map[string]any{"value": "DUP@x.example", "type": "work", "primary": true},
			map[string]any{"value": "dup@x.example", "type": "home"}}
		body["phoneNumbers"] = []any{map[string]any{"value": "+1 555 0100", "type": "work"}, map[string]any{"value": "+1 555 0100", "type": "work"}}
		r := s.do(tok, "POST", "/Users", body)
		if r.status != http.StatusCreated {
			t.Fatalf("POST: %d %s", r.status, r.raw)
		}
		emails, _ := r.body["emails"].([]any)
		phones, _ := r.body["phoneNumbers"].([]any)
		if len(emails) != 2 || len(phones) != 1 {
			t.Errorf("emails %v, phoneNumbers %v: want the repeated (type, value) pairs once", emails, phones)
		}
		if len(emails) > 0 && emails[0].(map[string]any)["primary"] != true {
			t.Errorf("the kept work email lost the primary flag of its duplicate: %v", emails)
		}
		id := r.body["id"].(string)
		r = s.do(tok, "PATCH", "/Users/"+id, patch(map[string]any{"op": "replace", "path": "phoneNumbers", "value": []any{
			map[string]any{"value": "+1 555 0199", "type": "mobile"}, map[string]any{"value": "+1 555 0199", "type": "mobile"}}}))
		if phones, _ := r.body["phoneNumbers"].([]any); r.status != http.StatusOK || len(phones) != 1 {
			t.Errorf("PATCH replace with a repeated pair: %d %s", r.status, r.raw)
		}
	})
}

func TestReplaceOnValuePathWithoutMatchIsNoTarget(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		body := patch(map[string]any{"op": "replace", "path": `emails[type eq "nonexistent"].value`, "value": "new@x.example"})
		for _, tc := range []struct {
			profile, ua string
			noTarget    bool
		}{
			{"generic", "", true},
			{"okta", "", true},
			{"auto", "", true},
			{"auto", "Okta SCIM Client 1.0.0", true},
			{"entra", "", false},
			{"auto", "Microsoft.AAD.Provisioning", false},
		} {
			tok := s.workspace(tc.profile+"-"+itoa(len(tc.ua)), tc.profile, nil)
			id := s.create(tok, "/Users", user("nt@x.example"))
			r := s.do(tok, "PATCH", "/Users/"+id, body, "User-Agent", tc.ua)
			if tc.noTarget && (r.status != http.StatusBadRequest || r.body["scimType"] != "noTarget") {
				t.Errorf("%s %q: %d %s, want 400 noTarget", tc.profile, tc.ua, r.status, r.raw)
			}
			if !tc.noTarget && r.status >= 300 {
				t.Errorf("%s %q: %d %s, want Entra's create-on-replace", tc.profile, tc.ua, r.status, r.raw)
			}
			got := s.do(tok, "GET", "/Users/"+id, nil)
			if emails, _ := got.body["emails"].([]any); tc.noTarget && len(emails) != 1 {
				t.Errorf("%s %q: emails after a refused replace: %v", tc.profile, tc.ua, emails)
			}
		}
	})
}

func TestPasswordsAreAcceptedAndDiscardedEverywhere(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("acme", "generic", nil)
		body := user("pw@x.example")
		body["password"] = "1mz050nq"
		r := s.do(tok, "POST", "/Users", body)
		if r.status != http.StatusCreated {
			t.Fatalf("POST with a password: %d %s", r.status, r.raw)
		}
		id := r.body["id"].(string)
		tag := r.header.Get("ETag")
		for _, tc := range []struct {
			what   string
			method string
			body   any
		}{
			{"PATCH replace password", "PATCH", patch(map[string]any{"op": "replace", "path": "password", "value": "n3w-secret"})},
			{"PATCH add password", "PATCH", patch(map[string]any{"op": "add", "path": "password", "value": "n3w-secret"})},
			{"PATCH remove password", "PATCH", patch(map[string]any{"op": "remove", "path": "password"})},
			{"path-less PATCH with a password", "PATCH", patch(map[string]any{"op": "replace", "value": map[string]any{"password": "n3w-secret"}})},
			{"PUT with a password", "PUT", body},
		} {
			r := s.do(tok, tc.method, "/Users/"+id, tc.body)
			if r.status != http.StatusOK || r.header.Get("ETag") != tag || strings.Contains(r.raw, "n3w-secret") || strings.Contains(r.raw, "1mz050nq") {
				t.Errorf("%s: %d ETag %s %s, want 200, no change (%s) and no password", tc.what, r.status, r.header.Get("ETag"), r.raw, tag)
			}
		}
		schema := s.do(tok, "GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", nil)
		for _, a := range schema.body["attributes"].([]any) {
			a := a.(map[string]any)
			if a["name"] != "password" {
				continue
			}
			if a["mutability"] != "writeOnly" || a["returned"] != "never" || !strings.Contains(a["description"].(string), "discarded") {
				t.Errorf("/Schemas password: %v, want writeOnly, returned never, described as discarded", a)
			}
		}
	})
}

func TestGroupPatchAnswersWithETag(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		for _, profile := range []string{"generic", "okta", "entra"} {
			tok := s.workspace("g-"+profile, profile, nil)
			u := s.create(tok, "/Users", user("m@x.example"))
			g := s.create(tok, "/Groups", map[string]any{"displayName": "G"})
			r := s.do(tok, "PATCH", "/Groups/"+g, patch(map[string]any{"op": "add", "path": "members", "value": []any{map[string]any{"value": u}}}))
			got := s.do(tok, "GET", "/Groups/"+g, nil)
			if r.status != http.StatusNoContent || r.header.Get("ETag") == "" || r.header.Get("ETag") != got.header.Get("ETag") {
				t.Errorf("%s: group PATCH answered %d with ETag %q; GET says %q", profile, r.status, r.header.Get("ETag"), got.header.Get("ETag"))
			}
			// The ETag works for the next conditional request.
			if r := s.do(tok, "PATCH", "/Groups/"+g, patch(map[string]any{"op": "replace", "path": "displayName", "value": "H"}), "If-Match", r.header.Get("ETag")); r.status != http.StatusNoContent || r.header.Get("ETag") == "" {
				t.Errorf("%s: PATCH with If-Match of the answered ETag: %d %q", profile, r.status, r.header.Get("ETag"))
			}
		}
	})
}

func TestRootQueryAndRootSearchAnswerAlike(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		s := newServer(t, d)
		tok := s.workspace("acme", "generic", nil)
		get := s.do(tok, "GET", "/?filter="+esc(`userName eq "x"`), nil)
		bare := s.do(tok, "GET", "/", nil)
		search := s.do(tok, "POST", "/.search", map[string]any{"filter": `userName eq "x"`})
		for what, r := range map[string]response{"GET /?filter": get, "GET /": bare, "POST /.search": search} {
			if r.status != http.StatusNotImplemented || r.body["status"] != "501" || r.body["detail"] != search.body["detail"] {
				t.Errorf("%s: %d %s, want the 501 of every root query", what, r.status, r.raw)
			}
		}
	})
}
