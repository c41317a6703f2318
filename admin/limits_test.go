package admin_test

import (
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// TestInviteeLimitsOnEveryPath: directory's limits on an invitee's name
// reach the API unchanged on both ways in, counted in characters: a
// too-long name is refused with the same words by the invite call (a 422
// pointing at the invitee's field) and by an import (the row's error),
// and a name of 200 three-byte characters is accepted by both.
func TestInviteeLimitsOnEveryPath(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		owner := acme.keys["owner"]
		tooLong := strings.Repeat("é", directory.MaxNameLength+1)
		atLimit := strings.Repeat("日", directory.MaxNameLength)
		const want = "name must be at most 200 characters (it has 201)"
		invite := func(email, name string) response {
			return e.do("POST", "/api/v1/workspaces/acme/invitations", owner, map[string]any{
				"emails":   []string{"plain@acme.example"},
				"invitees": []map[string]any{{"email": email, "name": name}},
				"role":     "member", "send_email": false,
			})
		}
		importCSV := func(email, name string) importResult {
			var res importResult
			e.must(e.doType("POST", "/api/v1/workspaces/acme/invitations/import?role=member&send_email=false", owner, "text/csv",
				"email,name\n"+email+","+name+"\n"), 200, &res)
			return res
		}

		r := invite("long@acme.example", tooLong)
		if r.status != 422 {
			t.Fatalf("invite a too-long name: status %d: %s", r.status, r.body)
		}
		p := r.problem(t)
		if len(p.Errors) != 1 || p.Errors[0].Pointer != "#/invitees/0/name" || p.Errors[0].Detail != want {
			t.Errorf("invite a too-long name: %+v, want #/invitees/0/name: %q", p.Errors, want)
		}
		res := importCSV("long-row@acme.example", tooLong)
		if len(res.Outcomes) != 1 || res.Outcomes[0].Status != string(directory.OutcomeInvalid) || res.Outcomes[0].Error != want {
			t.Errorf("import a too-long name: %+v, want %q", res.Outcomes, want)
		}

		var out struct{ Outcomes []directory.InviteOutcome }
		e.must(invite("kanji@acme.example", atLimit), 200, &out)
		if len(out.Outcomes) != 2 || out.Outcomes[1].Status != directory.OutcomeInvited {
			t.Errorf("invite a name at the limit: %+v", out.Outcomes)
		}
		res = importCSV("kanji-row@acme.example", atLimit)
		if len(res.Outcomes) != 1 || res.Outcomes[0].Status != string(directory.OutcomeInvited) {
			t.Errorf("import a name at the limit: %+v", res.Outcomes)
		}
		var page directory.MemberPage
		e.must(e.do("GET", "/api/v1/workspaces/acme/members?q=kanji", owner, nil), 200, &page)
		if len(page.Members) != 2 || page.Members[0].Name != atLimit || page.Members[1].Name != atLimit {
			t.Errorf("names at the limit were not kept whole: %+v", page.Members)
		}

		// A profile change meets the same limit, pointed at its field.
		m := e.member(acme, "mo@acme.example", "member")
		r = e.do("PATCH", "/api/v1/workspaces/acme/members/"+m.ID, owner, map[string]any{"name": tooLong})
		if r.status != 422 {
			t.Fatalf("profile change with a too-long name: status %d: %s", r.status, r.body)
		}
		if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Pointer != "#/name" || p.Errors[0].Detail != want {
			t.Errorf("profile change with a too-long name: %+v", p.Errors)
		}
		e.must(e.do("PATCH", "/api/v1/workspaces/acme/members/"+m.ID, owner, map[string]any{"name": atLimit}), 200, nil)
	})
}

// TestOIDCKindRefusedByDirectory: the API leaves the connection kind to
// directory and points its refusal at the kind field.
func TestOIDCKindRefusedByDirectory(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		owner := acme.keys["owner"]
		path := "/api/v1/workspaces/acme/oidc-connections"
		check := func(what string, r response) {
			t.Helper()
			if r.status != 422 {
				t.Fatalf("%s: status %d: %s", what, r.status, r.body)
			}
			if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Pointer != "#/kind" || !strings.Contains(p.Errors[0].Detail, "generic, google or entra") {
				t.Errorf("%s: %+v", what, p.Errors)
			}
		}
		check("create", e.do("POST", path, owner, map[string]any{"kind": "saml", "issuer": "https://idp.acme.example", "client_id": "a", "client_secret": "b"}))
		var conn directory.OIDCConnection
		e.must(e.do("POST", path, owner, map[string]any{"kind": "generic", "issuer": "https://idp.acme.example", "client_id": "a", "client_secret": "b"}), 201, &conn)
		check("update", e.do("PATCH", path+"/"+conn.ID, owner, map[string]any{"kind": "saml"}))
	})
}
