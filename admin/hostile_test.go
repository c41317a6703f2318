package admin_test

import (
	"strings"
	"testing"
)

// TestUnstorableInputAnswers400 (issue 15 item 2): a NUL or invalid UTF-8
// in a path segment, a query parameter or any string of a body is a 400
// problem naming the parameter or pointing at the field, never a 500 (on
// PostgreSQL these answered 500: invalid byte sequence for encoding
// "UTF8": 0x00), and nothing is stored.
func TestUnstorableInputAnswers400(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		owner := acme.keys["owner"]
		m := e.member(acme, "mo@acme.example", "member")
		member := "/api/v1/workspaces/acme/members/" + m.ID
		cases := []struct {
			name, method, path, contentType string
			body                            any
			pointer, parameter              string
		}{
			{name: "GET member %00", method: "GET", path: "/api/v1/workspaces/acme/members/%00", parameter: "id"},
			{name: "PATCH member %00", method: "PATCH", path: "/api/v1/workspaces/acme/members/%00", body: map[string]any{"name": "x"}, parameter: "id"},
			{name: "DELETE member %00", method: "DELETE", path: "/api/v1/workspaces/acme/members/a%00b", parameter: "id"},
			{name: "GET member %FF", method: "GET", path: "/api/v1/workspaces/acme/members/%FF", parameter: "id"},
			{name: "workspace %00", method: "GET", path: "/api/v1/workspaces/ac%00me/members", parameter: "ws"},
			{name: "q %00", method: "GET", path: "/api/v1/workspaces/acme/members?q=%00", parameter: "q"},
			{name: "q %FF", method: "GET", path: "/api/v1/workspaces/acme/members?q=a%FFb", parameter: "q"},
			{name: "body name", method: "PATCH", path: member, body: `{"name":"Mo\u0000"}`, pointer: "#/name"},
			{name: "body nested", method: "POST", path: "/api/v1/workspaces/acme/invitations",
				body: `{"invitees":[{"email":"new@acme.example","name":"N\u0000"}],"role":"member","send_email":false}`, pointer: "#/invitees/0/name"},
			{name: "team name", method: "POST", path: "/api/v1/workspaces/acme/teams", body: `{"name":"T\u0000"}`, pointer: "#/name"},
		}
		for _, tc := range cases {
			r := e.do(tc.method, tc.path, owner, tc.body)
			if r.status != 400 {
				t.Errorf("%s: status %d, want 400: %s", tc.name, r.status, r.body)
				continue
			}
			p := r.problem(t)
			if len(p.Errors) != 1 || p.Errors[0].Pointer != tc.pointer || p.Errors[0].Parameter != tc.parameter {
				t.Errorf("%s: %+v, want one error at %q%q", tc.name, p.Errors, tc.pointer, tc.parameter)
			}
		}
		// An import row holding a NUL (in a stored name, or in a team
		// looked up by name) is that row's error; the others go ahead.
		var res importResult
		e.must(e.doType("POST", "/api/v1/workspaces/acme/invitations/import?role=member&send_email=false", owner, "text/csv",
			"email,name,teams\nnul-name@acme.example,A\x00B,\nnul-team@acme.example,Ann,T\x00\nfine@acme.example,Fine,\n"), 200, &res)
		if len(res.Outcomes) != 3 || res.Outcomes[0].Status != "invalid" || !strings.Contains(res.Outcomes[0].Error, "NUL") ||
			res.Outcomes[1].Status != "invalid" || !strings.Contains(res.Outcomes[1].Error, "column 3") || res.Outcomes[2].Status != "invited" {
			t.Errorf("import with NULs: %+v", res.Outcomes)
		}
		var page struct{ Members []struct{ Name string } }
		e.must(e.do("GET", "/api/v1/workspaces/acme/members?q=acme", owner, nil), 200, &page)
		if len(page.Members) != 3 {
			t.Errorf("members after the refusals: %+v, want the owner, mo and fine", page.Members)
		}
		for _, mb := range page.Members {
			if strings.ContainsRune(mb.Name, 0) {
				t.Errorf("a refused name was stored: %q", mb.Name)
			}
		}
	})
}
