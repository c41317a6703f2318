package scimwords_test

import (
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web/scimwords"
)

// A logged request reads as a sentence for people on both doors, with
// role names from the workspace or, without them, the built-in names.
func TestSummary(t *testing.T) {
	roles := map[string]string{"support-lead": "Support lead"}
	tests := []struct {
		name  string
		req   directory.SCIMRequest
		roles map[string]string
		want  string
	}{
		{"an invitation, with the workspace's role names", directory.SCIMRequest{Method: "POST", Path: "/Users", Status: 201,
			Action: "invited grace@partner.example as external support-lead (invitation sent)"}, roles,
			"Invited grace@partner.example as a Support lead (a guest from another organisation); the invitation was emailed"},
		{"an activation, with the built-in names only", directory.SCIMRequest{Method: "POST", Path: "/Users", Status: 201,
			Action: "activated ada@acme.example as internal member (verified domain acme.example)"}, nil,
			"Added ada@acme.example as an active member (their domain acme.example is verified)"},
		{"a listing", directory.SCIMRequest{Method: "GET", Path: "/Users", Status: 200, Action: "listed 0 of 0 users"}, nil, "Listed 0 of 0 people"},
		{"nothing to say", directory.SCIMRequest{Method: "GET", Path: "/ServiceProviderConfig", Status: 200}, nil, "Answered"},
		{"a bad token", directory.SCIMRequest{Method: "GET", Path: "/Users", Status: 401, Detail: "the bearer token is revoked"}, nil,
			"Refused: bad token (is revoked); paste the SCIM token again, or generate a new one"},
		{"a filter Roster cannot read", directory.SCIMRequest{Method: "GET", Path: "/Users", Status: 400, Detail: "invalid filter: unknown operator zz"}, nil,
			"Refused: Roster could not read the filter of this request (invalid filter: unknown operator zz)"},
		{"the seat limit", directory.SCIMRequest{Method: "POST", Path: "/Users", Status: 403, Detail: "seat limit: the limit is 3 seats and 3 are in use"}, nil,
			"Refused: seat limit (all 3 seats are in use); the workspace's admins were told"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scimwords.Summary(tt.req, tt.roles); got != tt.want {
				t.Errorf("Summary = %q\nwant      %q", got, tt.want)
			}
		})
	}
	if l, ok := scimwords.Operation(directory.SCIMOpCreateUser); !ok || l != "Add a person" {
		t.Errorf("Operation(create user) = %q, %v", l, ok)
	}
	if _, ok := scimwords.Operation("drop tables"); ok {
		t.Error("an unknown operation has a name")
	}
}
