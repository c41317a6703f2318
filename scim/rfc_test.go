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
