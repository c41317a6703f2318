package scim_test

import (
	"net/http"
	"testing"

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
