package console_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// token is a CSRF token of b's session, read from a page it may open.
func (b *browser) token() string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.get("/home").body)
	if m == nil {
		b.t.Fatal("no CSRF token on /home")
	}
	return m[1]
}

// Each built-in role sees and uses the Security, Roles and Teams pages as
// the admin API's matrix allows: domains.manage for the domains, owners
// only for the invitation settings, roles.manage to change roles,
// members.read to see teams and members.manage to change them; members
// and collaborators get no page at all.
func TestSecurityRolesTeamsPermissions(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		r.member(owner, "acme", "ada@acme.example", directory.RoleAdmin)
		r.member(owner, "acme", "max@acme.example", directory.RoleManager)
		r.member(owner, "acme", "mo@acme.example", directory.RoleMember)
		r.member(owner, "acme", "cy@acme.example", directory.RoleCollaborator)

		type want struct {
			security, roles, teams int
			// What the POSTs did.
			addDomain, settings, createRole, createTeam bool
		}
		tests := []struct {
			email, tag string
			want       want
		}{
			{"owner@acme.example", "o", want{200, 200, 200, true, true, true, true}},
			{"ada@acme.example", "a", want{200, 200, 200, true, false, true, true}},
			{"max@acme.example", "m", want{403, 200, 200, false, false, false, false}},
			{"mo@acme.example", "x", want{403, 403, 403, false, false, false, false}},
			{"cy@acme.example", "c", want{403, 403, 403, false, false, false, false}},
		}
		for _, tt := range tests {
			b := r.signIn(tt.email)
			sec, roles, teams := b.get("/workspaces/acme/security"), b.get("/workspaces/acme/roles"), b.get("/workspaces/acme/teams")
			if sec.status != tt.want.security || roles.status != tt.want.roles || teams.status != tt.want.teams {
				t.Errorf("%s: security %d, roles %d, teams %d; want %d, %d, %d", tt.email, sec.status, roles.status, teams.status,
					tt.want.security, tt.want.roles, tt.want.teams)
			}
			if tt.want.roles == 403 {
				expect(t, roles, http.StatusForbidden, "No administration for your role")
			} else {
				// The navigation offers exactly the pages the role opens.
				if has := strings.Contains(roles.body, `href="/workspaces/acme/security"`); has != (tt.want.security == 200) {
					t.Errorf("%s: Security in the navigation = %v", tt.email, has)
				}
				// Forms are offered only to those who may send them.
				if has := strings.Contains(roles.body, `action="/workspaces/acme/roles"`); has != tt.want.createRole {
					t.Errorf("%s: create-role form offered = %v", tt.email, has)
				}
				if has := strings.Contains(teams.body, `action="/workspaces/acme/teams"`); has != tt.want.createTeam {
					t.Errorf("%s: create-team form offered = %v", tt.email, has)
				}
			}
			if tt.want.security == 200 {
				if has := strings.Contains(sec.body, `action="/workspaces/acme/security/invite-roles"`); has != tt.want.settings {
					t.Errorf("%s: invite-roles form offered = %v", tt.email, has)
				}
				if !tt.want.settings {
					expect(t, sec, http.StatusOK, "Only owners change who may invite.")
				}
			}

			// Every action, POSTed with this session's valid token.
			tok := b.token()
			domain := tt.tag + "-labs.example"
			b.post("/workspaces/acme/security/domains", url.Values{"csrf": {tok}, "domain": {domain}})
			b.post("/workspaces/acme/security/invitation-lifetime", url.Values{"csrf": {tok}, "ttl": {"1"}, "unit": {"days"}})
			b.post("/workspaces/acme/roles", url.Values{"csrf": {tok}, "name": {"Role " + tt.tag}, "permission": {"members.read"}})
			b.post("/workspaces/acme/teams", url.Values{"csrf": {tok}, "name": {"Team " + tt.tag}})

			doms, _ := d.ListDomains(ctx, owner, "acme")
			ws, _ := d.GetWorkspace(ctx, owner, "acme")
			rs, _ := d.ListRoles(ctx, owner, "acme")
			ts, _ := d.ListTeams(ctx, owner, "acme")
			got := want{security: tt.want.security, roles: tt.want.roles, teams: tt.want.teams,
				addDomain:  slices.ContainsFunc(doms, func(x directory.Domain) bool { return x.Domain == domain }),
				settings:   ws.InvitationTTL == 24*time.Hour,
				createRole: slices.ContainsFunc(rs, func(x directory.Role) bool { return x.Name == "Role "+tt.tag }),
				createTeam: slices.ContainsFunc(ts, func(x directory.Team) bool { return x.Name == "Team "+tt.tag })}
			if got != tt.want {
				t.Errorf("%s: POSTs did %+v; want %+v", tt.email, got, tt.want)
			}
			// Put the lifetime back, so the next role's attempt shows.
			week := 7 * 24 * time.Hour
			if _, err := d.UpdateWorkspaceSettings(ctx, owner, "acme", directory.WorkspaceSettings{InvitationTTL: &week}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// "Check now" says in words that the record was not found, with the
// record to publish; once the resolver publishes it, the domain is
// verified, and its policy and default role change.
func TestSecurityDomainJourney(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		b := r.signIn("owner@acme.example")

		page := b.get("/workspaces/acme/security")
		// Bad input: the error sits next to the field, the input is kept,
		// nothing is added.
		bad := b.submit(page, "/workspaces/acme/security/domains", url.Values{"domain": {"https://not a domain"}})
		expect(t, bad, http.StatusBadRequest, `id="domain-error"`, "is not a valid domain name", `value="https://not a domain"`)
		added := b.submit(page, "/workspaces/acme/security/domains", url.Values{"domain": {"Labs.Acme.Example"}})
		expect(t, added, http.StatusOK, "labs.acme.example is added", "_roster-challenge.labs.acme.example", "roster-verification=", "Not verified",
			"<h3>labs.acme.example</h3>", "Save for labs.acme.example")
		doms, err := d.ListDomains(ctx, owner, "acme")
		if err != nil {
			t.Fatal(err)
		}
		var labs directory.Domain
		for _, x := range doms {
			if x.Domain == "labs.acme.example" {
				labs = x
			}
		}
		if labs.ID == "" || !strings.Contains(added.body, labs.TXTValue) {
			t.Fatalf("the page does not show the record of %+v", labs)
		}
		again := b.submit(added, "/workspaces/acme/security/domains", url.Values{"domain": {"labs.acme.example"}})
		expect(t, again, http.StatusBadRequest, "already a domain of this workspace", `value="labs.acme.example"`)

		verify := "/workspaces/acme/security/domains/" + labs.ID + "/verify"
		missing := b.submit(added, verify, nil)
		expect(t, missing, http.StatusBadRequest, "The record was not found", labs.TXTName, labs.TXTValue)
		dns.mu.Lock()
		dns.records[labs.TXTName] = []string{"unrelated", labs.TXTValue}
		dns.mu.Unlock()
		ok := b.submit(missing, verify, nil)
		expect(t, ok, http.StatusOK, "labs.acme.example is verified", "People who sign in with an @labs.acme.example address can ask to join")

		policy := "/workspaces/acme/security/domains/" + labs.ID + "/policy"
		refused := b.submit(ok, policy, url.Values{"policy": {"auto_join"}, "default_role": {"owner"}})
		expect(t, refused, http.StatusBadRequest, "cannot be granted through a domain")
		if got, _ := d.ListDomains(ctx, owner, "acme"); got[1].Policy != directory.DomainRequest {
			t.Errorf("a refused policy changed the domain: %+v", got[1])
		}
		set := b.submit(ok, policy, url.Values{"policy": {"auto_join"}, "default_role": {"manager"}})
		expect(t, set, http.StatusOK, "People who sign in with an @labs.acme.example address join as Manager without asking.")

		// Removing asks first, then removes.
		confirm := b.get("/workspaces/acme/security/domains/" + labs.ID + "/remove")
		expect(t, confirm, http.StatusOK, "Remove labs.acme.example?", "Members who already joined stay")
		gone := b.submit(confirm, "/workspaces/acme/security/domains/"+labs.ID+"/remove", nil)
		expect(t, gone, http.StatusOK, "labs.acme.example is removed")
		if got, _ := d.ListDomains(ctx, owner, "acme"); len(got) != 1 {
			t.Errorf("domains after removing: %+v", got)
		}

		// The invitation settings: an out-of-range lifetime is refused next
		// to the field with the input kept; who may invite is saved.
		long := b.submit(gone, "/workspaces/acme/security/invitation-lifetime", url.Values{"ttl": {"91"}, "unit": {"days"}})
		expect(t, long, http.StatusBadRequest, `id="ttl-error"`, "between 1 hour and 90 days", `value="91"`)
		short := b.submit(gone, "/workspaces/acme/security/invitation-lifetime", url.Values{"ttl": {"36"}, "unit": {"hours"}})
		expect(t, short, http.StatusOK, "invitations sent from now on work for 36 hours")
		inv := b.submit(short, "/workspaces/acme/security/invite-roles", url.Values{"invite_role": {"manager"}})
		expect(t, inv, http.StatusOK, "Only Owners and Managers can invite")
		ws, _ := d.GetWorkspace(ctx, owner, "acme")
		if ws.InvitationTTL != 36*time.Hour || !slices.Contains(ws.InviteRoles, "manager") || slices.Contains(ws.InviteRoles, "admin") {
			t.Errorf("settings = %v %v", ws.InvitationTTL, ws.InviteRoles)
		}
	})
}

// Custom roles and teams through the pages: created, refused with the
// error next to the field, changed and deleted behind a confirmation.
func TestRolesAndTeamsPages(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		b := r.signIn("owner@acme.example")

		roles := b.get("/workspaces/acme/roles")
		expect(t, roles, http.StatusOK, "Owner", "Collaborator", "Invite people, when the owners let the role invite")
		noName := b.submit(roles, "/workspaces/acme/roles", url.Values{"name": {" "}, "permission": {"members.read", "members.invite"}})
		expect(t, noName, http.StatusBadRequest, `id="name-error"`, `value="members.invite" checked`)
		taken := b.submit(roles, "/workspaces/acme/roles", url.Values{"name": {"admin"}})
		expect(t, taken, http.StatusBadRequest, "A role named “admin” already exists")
		made := b.submit(roles, "/workspaces/acme/roles", url.Values{"name": {"Support lead"}, "permission": {"members.read", "members.invite"}})
		expect(t, made, http.StatusOK, "The role Support lead is created")
		list, _ := d.ListRoles(ctx, owner, "acme")
		var lead directory.Role
		for _, x := range list {
			if x.Name == "Support lead" {
				lead = x
			}
		}
		if lead.Key == "" || !slices.Equal(lead.Permissions, []directory.Permission{directory.PermMembersRead, directory.PermMembersInvite}) {
			t.Fatalf("the role made = %+v", lead)
		}
		edit := b.get("/workspaces/acme/roles/" + lead.Key)
		expect(t, edit, http.StatusOK, `value="Support lead"`)
		b.submit(edit, "/workspaces/acme/roles/"+lead.Key, url.Values{"name": {"Support leads"}, "permission": {"members.read"}})
		if got, _ := d.ListRoles(ctx, owner, "acme"); !slices.ContainsFunc(got, func(x directory.Role) bool {
			return x.Key == lead.Key && x.Name == "Support leads" && len(x.Permissions) == 1
		}) {
			t.Errorf("the edit did not save: %+v", got)
		}
		// Built-in roles have no edit page.
		expect(t, b.get("/workspaces/acme/roles/admin"), http.StatusNotFound, "Role not found")

		teams := b.get("/workspaces/acme/teams")
		expect(t, teams, http.StatusOK, "No teams yet")
		team := b.submit(teams, "/workspaces/acme/teams", url.Values{"name": {"Support"}, "role": {lead.Key}})
		expect(t, team, http.StatusOK, "The team Support is created", "members hold at least the role Support leads")
		dup := b.submit(teams, "/workspaces/acme/teams", url.Values{"name": {"support"}, "role": {"manager"}})
		expect(t, dup, http.StatusBadRequest, `id="name-error"`, "already exists", `value="support"`, `value="manager" selected`)
		ts, _ := d.ListTeams(ctx, owner, "acme")
		if len(ts) != 1 || ts[0].Role == nil || *ts[0].Role != lead.Key {
			t.Fatalf("teams = %+v", ts)
		}
		id := ts[0].ID

		// A collaborator added on the team's page holds its role (ranked
		// above collaborator); removed, they go back to their own.
		r.member(owner, "acme", "sam@acme.example", directory.RoleCollaborator)
		sams, _ := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "sam@"})
		sam := sams.Members[0].ID
		page := b.get("/workspaces/acme/teams/" + id)
		expect(t, page, http.StatusOK, "Nobody in this team yet", `value="`+sam+`"`)
		in := b.submit(page, "/workspaces/acme/teams/"+id+"/members", url.Values{"member": {sam}})
		expect(t, in, http.StatusOK, "is in Support now", "sam@acme.example")
		if m, _ := d.GetMember(ctx, owner, "acme", sam); m.EffectiveRole != lead.Key {
			t.Errorf("sam in the team holds %q", m.EffectiveRole)
		}
		out := b.submit(in, "/workspaces/acme/teams/"+id+"/members/"+sam+"/remove", nil)
		expect(t, out, http.StatusOK, "has left Support", "Nobody in this team yet")
		if m, _ := d.GetMember(ctx, owner, "acme", sam); m.EffectiveRole != directory.RoleCollaborator {
			t.Errorf("sam out of the team holds %q", m.EffectiveRole)
		}
		renamed := b.submit(team, "/workspaces/acme/teams/"+id, url.Values{"name": {"Customer support"}, "role": {""}})
		expect(t, renamed, http.StatusOK, "Customer support", "get no role from the team")

		// A role a team or a member holds cannot be deleted; the refusal
		// says why.
		r.member(owner, "acme", "mia@acme.example", directory.RoleMember)
		members, _ := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "mia"})
		if _, err := d.ChangeRole(ctx, owner, "acme", members.Members[0].ID, lead.Key); err != nil {
			t.Fatal(err)
		}
		del := b.get("/workspaces/acme/roles/" + lead.Key + "/delete")
		expect(t, b.submit(del, "/workspaces/acme/roles/"+lead.Key+"/delete", nil), http.StatusConflict, "Members still hold the role Support leads")

		delTeam := b.get("/workspaces/acme/teams/" + id + "/delete")
		expect(t, delTeam, http.StatusOK, "Delete the team Customer support?")
		expect(t, b.submit(delTeam, "/workspaces/acme/teams/"+id+"/delete", nil), http.StatusOK, "The team Customer support is deleted")
		if ts, _ := d.ListTeams(ctx, owner, "acme"); len(ts) != 0 {
			t.Errorf("teams after deleting: %+v", ts)
		}
	})
}

// Another workspace's domain, team and role ids answer globex's owner as
// not found, read or written, and change nothing; forms without this
// session's token are refused.
func TestSecurityRolesTeamsTamperingAndCSRF(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		acme := r.workspace("acme", "acme.example", nil)
		r.workspace("globex", "globex.example", nil)
		doms, _ := d.ListDomains(ctx, acme, "acme")
		team, err := d.CreateTeam(ctx, acme, "acme", directory.TeamRequest{Name: "Secret team"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.SaveCustomRole(ctx, acme, "acme", directory.CustomRoleRequest{Key: "acme-auditor", Name: "Auditor"}); err != nil {
			t.Fatal(err)
		}

		g := r.signIn("owner@globex.example")
		tok := g.token()
		dom := doms[0].ID
		for _, path := range []string{"/workspaces/globex/security/domains/" + dom + "/remove", "/workspaces/globex/teams/" + team.ID,
			"/workspaces/globex/teams/" + team.ID + "/delete", "/workspaces/globex/roles/acme-auditor", "/workspaces/globex/roles/acme-auditor/delete"} {
			p := g.get(path)
			if p.status != http.StatusNotFound || strings.Contains(p.body, "Secret team") || strings.Contains(p.body, "acme.example") {
				t.Errorf("GET %s answered %d:\n%s", path, p.status, p.body)
			}
		}
		for path, form := range map[string]url.Values{
			"/workspaces/globex/security/domains/" + dom + "/verify": {},
			"/workspaces/globex/security/domains/" + dom + "/policy": {"policy": {"auto_join"}, "default_role": {"member"}},
			"/workspaces/globex/security/domains/" + dom + "/remove": {},
			"/workspaces/globex/teams/" + team.ID:                    {"name": {"Owned"}},
			"/workspaces/globex/teams/" + team.ID + "/delete":        {},
			"/workspaces/globex/roles/acme-auditor":                  {"name": {"Owned"}},
			"/workspaces/globex/roles/acme-auditor/delete":           {},
			// acme's own URLs, from globex's owner.
			"/workspaces/acme/security/domains":      {"domain": {"evil.example"}},
			"/workspaces/acme/teams/" + team.ID:      {"name": {"Owned"}},
			"/workspaces/acme/roles/acme-auditor":    {"name": {"Owned"}},
			"/workspaces/acme/security/invite-roles": {"invite_role": {"manager"}},
		} {
			form.Set("csrf", tok)
			if p := g.post(path, form); p.status != http.StatusNotFound {
				t.Errorf("POST %s answered %d", path, p.status)
			}
		}
		after, _ := d.ListDomains(ctx, acme, "acme")
		gotTeam, _ := d.GetTeam(ctx, acme, "acme", team.ID)
		roles, _ := d.ListRoles(ctx, acme, "acme")
		if len(after) != 1 || after[0].Policy != directory.DomainRequest || gotTeam.Name != "Secret team" ||
			!slices.ContainsFunc(roles, func(x directory.Role) bool { return x.Key == "acme-auditor" && x.Name == "Auditor" }) {
			t.Errorf("acme changed: %+v %+v", after, gotTeam)
		}

		// CSRF: acme's owner, with no token, a forged one, or globex's.
		a := r.signIn("owner@acme.example")
		for _, bad := range []string{"", "AAAA", tok} {
			for _, path := range []string{"/workspaces/acme/security/domains", "/workspaces/acme/teams", "/workspaces/acme/roles", "/workspaces/acme/security/domains/" + dom + "/remove"} {
				expect(t, a.post(path, url.Values{"csrf": {bad}, "domain": {"csrf.example"}, "name": {"CSRF"}}), http.StatusForbidden, "Form expired")
			}
		}
		ts, _ := d.ListTeams(ctx, acme, "acme")
		if after, _ := d.ListDomains(ctx, acme, "acme"); len(after) != 1 || len(ts) != 1 {
			t.Errorf("a refused form changed something: %+v %+v", after, ts)
		}
	})
}

// A team the identity provider pushed says so, on the list and its page,
// and its page offers only what stays Roster's: the role it gives (and
// deleting it); a name sent anyway is not applied.
func TestTeamManagedByIdP(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		ws, _ := d.GetWorkspace(ctx, owner, "acme")
		if _, err := d.CreateSCIMConnection(ctx, op, ws.ID, directory.SCIMConnectionRequest{Profile: "okta", DefaultRole: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		_, token, err := d.CreateSCIMToken(ctx, op, ws.ID, directory.SCIMTokenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := d.AuthenticateSCIM(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		pushed, _, err := d.SCIMCreateGroup(ctx, conn, directory.SCIMGroupInput{DisplayName: "Okta Engineering"})
		if err != nil {
			t.Fatal(err)
		}
		b := r.signIn("owner@acme.example")
		expect(t, b.get("/workspaces/acme/teams"), http.StatusOK, "Okta Engineering", "Identity provider")
		page := b.get("/workspaces/acme/teams/" + pushed.ID)
		expect(t, page, http.StatusOK, "Managed by your identity provider", "change those there", `name="role"`)
		if strings.Contains(page.body, `id="name"`) || strings.Contains(page.body, "/teams/"+pushed.ID+"/members") {
			t.Errorf("the IdP's team offers a rename or member changes:\n%s", page.body)
		}
		saved := b.submit(page, "/workspaces/acme/teams/"+pushed.ID, url.Values{"name": {"Renamed"}, "role": {"manager"}})
		expect(t, saved, http.StatusOK, "Members of Okta Engineering hold at least the role Manager")
		got, _ := d.GetTeam(ctx, owner, "acme", pushed.ID)
		if got.Name != "Okta Engineering" || got.Role == nil || *got.Role != directory.RoleManager {
			t.Errorf("the IdP's team after saving: %+v", got)
		}
	})
}
