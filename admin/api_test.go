package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

func TestAuthentication(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		tests := []struct {
			name, header string
		}{
			{"no header", ""},
			{"basic auth", "Basic dXNlcjpwYXNz"},
			{"empty bearer", "Bearer "},
			{"unknown key", "Bearer roster_nope"},
			{"operator key with a typo", "Bearer " + operatorKey + "x"},
		}
		for _, tt := range tests {
			req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/workspaces/acme/members", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			res, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != 401 || res.Header.Get("WWW-Authenticate") == "" || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s: status %d, WWW-Authenticate %q", tt.name, res.StatusCode, res.Header.Get("WWW-Authenticate"))
			}
		}
		// Revoked keys stop at once.
		var keys struct {
			APIKeys []admin.APIKey `json:"api_keys"`
		}
		e.must(e.do("GET", "/api/v1/workspaces/acme/api-keys", acme.keys["owner"], nil), 200, &keys)
		var memberKey admin.APIKey
		for _, k := range keys.APIKeys {
			if k.Role == "member" {
				memberKey = k
			}
		}
		e.must(e.do("GET", "/api/v1/workspaces/acme/members", acme.keys["member"], nil), 200, nil)
		e.must(e.do("DELETE", "/api/v1/workspaces/acme/api-keys/"+memberKey.ID, acme.keys["owner"], nil), 204, nil)
		r := e.do("GET", "/api/v1/workspaces/acme/members", acme.keys["member"], nil)
		if r.status != 401 {
			t.Errorf("revoked key: status %d", r.status)
		}
		// A key may revoke itself even without connections.manage, and is
		// refused from then on.
		var created struct {
			APIKey admin.APIKey `json:"api_key"`
			Token  string
		}
		e.must(e.do("POST", "/api/v1/workspaces/acme/api-keys", acme.keys["admin"], map[string]any{"name": "ci", "role": "member"}), 201, &created)
		e.must(e.do("GET", "/api/v1/workspaces/acme/members", created.Token, nil), 200, nil)
		e.must(e.do("DELETE", "/api/v1/workspaces/acme/api-keys/"+created.APIKey.ID, created.Token, nil), 204, nil)
		if r := e.do("GET", "/api/v1/workspaces/acme/members", created.Token, nil); r.status != 401 {
			t.Errorf("self-revoked key: status %d, want 401", r.status)
		}
		if r := e.do("DELETE", "/api/v1/workspaces/acme/api-keys/"+created.APIKey.ID, created.Token, nil); r.status != 401 {
			t.Errorf("self-revoked key revokes itself again: status %d, want 401", r.status)
		}
		// Workspace keys are not the operator.
		p := e.do("GET", "/api/v1/workspaces", acme.keys["owner"], nil)
		if p.status != 403 || p.problem(t).Type != admin.ProblemTypeBase+"forbidden" {
			t.Errorf("owner key lists workspaces: %d %s", p.status, p.body)
		}
		// The operator key reaches any workspace, but is not a workspace key.
		e.must(e.do("GET", "/api/v1/workspaces/acme/members", operatorKey, nil), 200, nil)
		if r := e.do("GET", "/api/v1/events", operatorKey, nil); r.status != 400 {
			t.Errorf("operator on /events: %d %s", r.status, r.body)
		}
	})
}

func TestProblemsAndValidation(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		owner := acme.keys["owner"]
		tests := []struct {
			name        string
			method      string
			path        string
			contentType string
			body        any
			status      int
			typ         string
			pointer     string
		}{
			{"unknown path", "GET", "/api/v1/nope", "", nil, 404, "not-found", ""},
			{"wrong method", "PUT", "/api/v1/workspaces/acme/members", "", nil, 405, "method-not-allowed", ""},
			{"not JSON", "POST", "/api/v1/workspaces/acme/invitations", "application/json", "{", 400, "malformed-request", ""},
			{"two objects", "POST", "/api/v1/workspaces/acme/invitations", "application/json", `{"role":"member","emails":["a@x.example"]} {}`, 400, "malformed-request", ""},
			{"empty body", "POST", "/api/v1/workspaces/acme/invitations", "application/json", "", 400, "malformed-request", ""},
			{"wrong media type", "POST", "/api/v1/workspaces/acme/invitations", "text/plain", `{}`, 415, "unsupported-media-type", ""},
			{"unknown field", "POST", "/api/v1/workspaces/acme/invitations", "application/json", `{"role":"member","emails":["a@x.example"],"rol":"x"}`, 422, "invalid", "#/rol"},
			{"wrong type", "POST", "/api/v1/workspaces/acme/invitations", "application/json", `{"role":"member","emails":"a@x.example"}`, 422, "invalid", "#/emails"},
			{"missing role", "POST", "/api/v1/workspaces/acme/invitations", "application/json", `{"emails":["a@x.example"]}`, 422, "invalid", "#/role"},
			{"unknown role", "POST", "/api/v1/workspaces/acme/invitations", "application/json", `{"emails":["a@x.example"],"role":"wizard"}`, 422, "invalid", ""},
			{"too large", "POST", "/api/v1/workspaces/acme/invitations", "application/json", `{"text":"` + strings.Repeat("a", 3<<20) + `","role":"member"}`, 413, "too-large", ""},
			{"unknown query parameter", "GET", "/api/v1/workspaces/acme/members?stauts=active", "", nil, 422, "invalid", ""},
			{"bad enum", "GET", "/api/v1/workspaces/acme/members?status=gone", "", nil, 422, "invalid", ""},
			{"bad limit", "GET", "/api/v1/workspaces/acme/members?limit=0", "", nil, 422, "invalid", ""},
			{"bad cursor", "GET", "/api/v1/workspaces/acme/events?after=nope", "", nil, 422, "invalid", ""},
			{"unknown member", "GET", "/api/v1/workspaces/acme/members/nope", "", nil, 404, "not-found", ""},
			{"unknown workspace", "GET", "/api/v1/workspaces/nope/members", "", nil, 404, "not-found", ""},
			{"last owner", "POST", "/api/v1/workspaces/acme/members/" + acme.ownerID + "/suspend", "", nil, 409, "last-owner", ""},
			{"seat limit below one", "PUT", "/api/v1/workspaces/acme/seats", "application/json", `{"limit":0}`, 422, "invalid", "#/limit"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := e.doType(tt.method, tt.path, owner, tt.contentType, tt.body)
				if r.status != tt.status {
					t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
				}
				p := r.problem(t)
				if p.Type != admin.ProblemTypeBase+tt.typ {
					t.Errorf("type %q, want %s", p.Type, tt.typ)
				}
				if tt.pointer != "" && (len(p.Errors) == 0 || p.Errors[0].Pointer != tt.pointer) {
					t.Errorf("errors %+v, want pointer %s", p.Errors, tt.pointer)
				}
				if strings.Contains(p.Detail, "invalid input:") || strings.Contains(p.Detail, "sql") {
					t.Errorf("detail %q leaks internals", p.Detail)
				}
			})
		}
		r := e.do("PUT", "/api/v1/workspaces/acme/members", owner, nil)
		if r.header.Get("Allow") != "GET" {
			t.Errorf("Allow = %q", r.header.Get("Allow"))
		}
	})
}

func TestSeatLimitProblem(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		owner := acme.keys["owner"]
		var seats admin.Seats
		e.must(e.do("PUT", "/api/v1/workspaces/acme/seats", owner, map[string]any{"limit": 2}), 200, &seats)
		if seats.Limit == nil || *seats.Limit != 2 || seats.Used != 1 {
			t.Fatalf("seats = %+v", seats)
		}
		m := e.member(acme, "one@acme.example", "member")
		e.must(e.do("POST", "/api/v1/workspaces/acme/members/"+m.ID+"/suspend", owner, nil), 200, nil)
		e.member(acme, "two@acme.example", "member")
		r := e.do("POST", "/api/v1/workspaces/acme/members/"+m.ID+"/reactivate", owner, nil)
		if r.status != 409 {
			t.Fatalf("reactivate over the limit: %d %s", r.status, r.body)
		}
		p := r.problem(t)
		if p.Type != admin.ProblemTypeBase+"seat-limit" || p.Limit == nil || *p.Limit != 2 || p.Used == nil || *p.Used != 2 {
			t.Errorf("problem = %+v", p)
		}
		e.must(e.do("PUT", "/api/v1/workspaces/acme/seats", owner, map[string]any{"limit": nil}), 200, &seats)
		if seats.Limit != nil {
			t.Errorf("limit not removed: %+v", seats)
		}
		e.must(e.do("POST", "/api/v1/workspaces/acme/members/"+m.ID+"/reactivate", owner, nil), 200, nil)
	})
}

func TestMembersAndInvitations(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		acme := e.newTenant("acme")
		owner := acme.keys["owner"]
		var out struct {
			Outcomes []admin.InviteOutcome
			Summary  map[string]int
		}
		e.must(e.do("POST", "/api/v1/workspaces/acme/invitations", owner, map[string]any{
			"emails":   []string{"jane@acme.example", "bad-address", "jane@acme.example"},
			"invitees": []map[string]any{{"email": "kim@acme.example", "name": "Kim Lee", "profile": map[string]string{"gender": "F"}}},
			"role":     "member", "send_email": false,
		}), 200, &out)
		if len(out.Outcomes) != 4 || out.Summary["invited"] != 2 || out.Summary["invalid_address"] != 1 || out.Summary["duplicate"] != 1 {
			t.Fatalf("outcomes = %+v", out)
		}
		if !strings.Contains(out.Outcomes[0].Link, "/invite/") {
			t.Errorf("no link in %+v", out.Outcomes[0])
		}
		var invs struct{ Invitations []admin.Invitation }
		e.must(e.do("GET", "/api/v1/workspaces/acme/invitations?status=pending", owner, nil), 200, &invs)
		if len(invs.Invitations) != 2 {
			t.Fatalf("pending = %+v", invs)
		}
		var resent admin.InviteOutcome
		e.must(e.do("POST", "/api/v1/workspaces/acme/invitations/"+invs.Invitations[0].ID+"/resend", owner, nil), 200, &resent)
		if resent.Status != string(directory.OutcomeResent) || resent.Link == "" {
			t.Errorf("resend = %+v", resent)
		}
		e.must(e.do("POST", "/api/v1/workspaces/acme/invitations/"+invs.Invitations[1].ID+"/revoke", owner, nil), 204, nil)
		if r := e.do("POST", "/api/v1/workspaces/acme/invitations/"+invs.Invitations[1].ID+"/revoke", owner, nil); r.status != 409 {
			t.Errorf("revoke twice: %d", r.status)
		}

		// Members: filters, pages, role, profile, suspend, reactivate, remove.
		for i := range 5 {
			e.member(acme, fmt.Sprintf("p%d@acme.example", i), "member")
		}
		var page admin.MemberPage
		e.must(e.do("GET", "/api/v1/workspaces/acme/members?status=active&limit=4", owner, nil), 200, &page)
		if len(page.Members) != 4 || page.NextCursor == "" {
			t.Fatalf("page 1 = %+v", page)
		}
		var page2 admin.MemberPage
		e.must(e.do("GET", "/api/v1/workspaces/acme/members?status=active&limit=4&cursor="+page.NextCursor, owner, nil), 200, &page2)
		if len(page2.Members) != 2 || page2.NextCursor != "" {
			t.Fatalf("page 2 = %+v", page2)
		}
		e.must(e.do("GET", "/api/v1/workspaces/acme/members?q=P3%40ACME&kind=internal", owner, nil), 200, &page)
		if len(page.Members) != 1 || page.Members[0].Email != "p3@acme.example" {
			t.Fatalf("query = %+v", page)
		}
		id := page.Members[0].ID
		var m admin.Member
		e.must(e.do("PUT", "/api/v1/workspaces/acme/members/"+id+"/role", owner, map[string]string{"role": "manager"}), 200, &m)
		if m.Role != "manager" {
			t.Errorf("role = %q", m.Role)
		}
		e.must(e.do("PATCH", "/api/v1/workspaces/acme/members/"+id, owner, map[string]string{"name": "Pat Three", "locale": "pt-BR"}), 200, &m)
		if m.Name != "Pat Three" || m.Locale != "pt-BR" {
			t.Errorf("profile = %+v", m)
		}
		e.must(e.do("GET", "/api/v1/workspaces/acme/members?role=manager", owner, nil), 200, &page)
		if len(page.Members) != 1 {
			t.Errorf("role filter = %+v", page)
		}
		e.must(e.do("POST", "/api/v1/workspaces/acme/members/"+id+"/suspend", owner, nil), 200, &m)
		if m.Status != "suspended" {
			t.Errorf("status = %q", m.Status)
		}
		e.must(e.do("POST", "/api/v1/workspaces/acme/members/"+id+"/reactivate", owner, nil), 200, &m)
		e.must(e.do("DELETE", "/api/v1/workspaces/acme/members/"+id, owner, nil), 204, nil)
		if r := e.do("GET", "/api/v1/workspaces/acme/members/"+id, owner, nil); r.status != 404 {
			t.Errorf("removed member: %d", r.status)
		}
		var look admin.Lookup
		e.must(e.do("GET", "/api/v1/workspaces/acme/lookup?q=p1%40acme.example", owner, nil), 200, &look)
		if look.Status != "active" || look.JoinsAs != "internal" {
			t.Errorf("lookup = %+v", look)
		}
		admin := e.member(acme, "boss@acme.example", "admin")
		e.must(e.do("POST", "/api/v1/workspaces/acme/members/"+admin.ID+"/main-admin", owner, nil), 200, &m)
		if !m.MainAdmin {
			t.Errorf("main admin = %+v", m)
		}
		_ = ctx
	})
}

func TestWorkspaceRolesAndSettings(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		owner := acme.keys["owner"]
		var ws struct {
			Name                 string
			InviteRoles          []string `json:"invite_roles"`
			InvitationTTLSeconds int64    `json:"invitation_ttl_seconds"`
			SeatLimit            *int     `json:"seat_limit"`
		}
		e.must(e.do("PATCH", "/api/v1/workspaces/acme", owner, map[string]any{"name": "Acme Inc", "invite_roles": []string{"admin", "manager"}, "invitation_ttl_seconds": 48 * 3600, "seat_limit": 10}), 200, &ws)
		if ws.Name != "Acme Inc" || strings.Join(ws.InviteRoles, ",") != "owner,admin,manager" || ws.InvitationTTLSeconds != 48*3600 || ws.SeatLimit == nil || *ws.SeatLimit != 10 {
			t.Errorf("workspace = %+v", ws)
		}
		// Managers may now invite.
		e.must(e.do("POST", "/api/v1/workspaces/acme/invitations", acme.keys["manager"], map[string]any{"emails": []string{"new@acme.example"}, "role": "member"}), 200, nil)
		e.must(e.do("PATCH", "/api/v1/workspaces/acme", owner, map[string]any{"seat_limit": nil}), 200, &ws)
		if ws.SeatLimit != nil {
			t.Errorf("seat limit = %v", *ws.SeatLimit)
		}
		if r := e.do("PATCH", "/api/v1/workspaces/acme", owner, map[string]any{"invitation_ttl_seconds": 0}); r.status != 422 {
			t.Errorf("ttl 0: %d", r.status)
		}

		var role admin.Role
		e.must(e.do("PUT", "/api/v1/workspaces/acme/roles/recruiter", owner, map[string]any{"name": "Recruiter", "permissions": []string{"members.read", "members.invite"}}), 200, &role)
		if role.Key != "recruiter" || len(role.Permissions) != 2 || role.Rank != 30 {
			t.Errorf("role = %+v", role)
		}
		var list struct {
			Roles       []admin.Role
			Permissions []string
		}
		e.must(e.do("GET", "/api/v1/workspaces/acme/roles", acme.keys["collaborator"], nil), 200, &list)
		if len(list.Roles) != 6 || len(list.Permissions) != len(directory.AllPermissions) {
			t.Errorf("roles = %+v", list)
		}
		if r := e.do("PUT", "/api/v1/workspaces/acme/roles/Bad Key", owner, map[string]any{"name": "x", "permissions": []string{}}); r.status != 422 && r.status != 404 {
			t.Errorf("bad key: %d %s", r.status, r.body)
		}
		if r := e.do("PUT", "/api/v1/workspaces/acme/roles/x1", owner, map[string]any{"name": "x", "permissions": []string{"everything"}}); r.status != 422 {
			t.Errorf("bad permission: %d %s", r.status, r.body)
		}
		e.must(e.do("DELETE", "/api/v1/workspaces/acme/roles/recruiter", owner, nil), 204, nil)
	})
}

func TestKeyScopedEventFeed(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		other := e.newTenant("other")
		e.member(other, "x@other.example", "member")
		directorytest.WaitFeed(t, e.d, acme.ws.ID)
		var page admin.EventPage
		e.must(e.do("GET", "/api/v1/events?limit=1000", acme.keys["member"], nil), 200, &page)
		if len(page.Events) == 0 {
			t.Fatal("no events")
		}
		for _, ev := range page.Events {
			if ev.WorkspaceID != acme.ws.ID {
				t.Errorf("event of %s in acme's feed", ev.WorkspaceID)
			}
		}
		var same admin.EventPage
		e.must(e.do("GET", "/api/v1/workspaces/acme/events?limit=1000", acme.keys["member"], nil), 200, &same)
		if len(same.Events) != len(page.Events) {
			t.Errorf("the two feeds differ: %d vs %d", len(same.Events), len(page.Events))
		}
		e.member(acme, "y@acme.example", "member")
		directorytest.WaitFeed(t, e.d, acme.ws.ID)
		var next admin.EventPage
		e.must(e.do("GET", "/api/v1/events?after="+page.NextCursor, acme.keys["member"], nil), 200, &next)
		if len(next.Events) == 0 || next.Events[0].ID <= page.Events[len(page.Events)-1].ID {
			t.Errorf("next page = %+v", next)
		}
		if r := e.do("GET", "/api/v1/events", acme.keys["collaborator"], nil); r.status != 403 {
			t.Errorf("collaborator reads events: %d", r.status)
		}
	})
}
