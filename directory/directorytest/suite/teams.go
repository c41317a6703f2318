package suite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// teamTests: teams, their members, their role mapping, who may manage
// them, and tenancy.
var teamTests = []test{
	{"TeamsCreateRenameDelete", testTeamsCreateRenameDelete},
	{"TeamMembers", testTeamMembers},
	{"TeamMembersInBatches", testTeamMembersInBatches},
	{"TeamRoleMapping", testTeamRoleMapping},
	{"TeamPermissions", testTeamPermissions},
	{"TeamTenancy", testTeamTenancy},
}

func testTeamsCreateRenameDelete(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	team, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "  Sales  "})
	if err != nil {
		t.Fatal(err)
	}
	if team.Name != "Sales" || team.Role != nil || team.WorkspaceID != ws.ID || team.MemberCount != 0 {
		t.Errorf("team = %+v", team)
	}
	if _, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "SALES"}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("same name in another case: %v, want ErrConflict", err)
	}
	if _, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "  "}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("empty name: %v, want ErrInvalid", err)
	}
	if _, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Wizards", Role: strp("wizard")}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("unknown role: %v, want ErrInvalid", err)
	}
	other, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Engineering"})
	if err != nil {
		t.Fatal(err)
	}
	renamed, err := d.UpdateTeam(ctx, owner, ws.Slug, team.ID, directory.TeamUpdate{Name: strp("Sales EMEA")})
	if err != nil || renamed.Name != "Sales EMEA" || renamed.Version <= team.Version {
		t.Fatalf("rename = %+v, %v", renamed, err)
	}
	if _, err := d.UpdateTeam(ctx, owner, ws.Slug, other.ID, directory.TeamUpdate{Name: strp("sales emea")}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("rename onto another team's name: %v", err)
	}
	teams, err := d.ListTeams(ctx, owner, ws.Slug)
	if err != nil || len(teams) != 2 || teams[0].Name != "Engineering" || teams[1].Name != "Sales EMEA" {
		t.Fatalf("teams = %+v, %v", teams, err)
	}
	if err := d.DeleteTeam(ctx, owner, ws.Slug, team.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetTeam(ctx, owner, ws.Slug, team.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("deleted team: %v", err)
	}
	if err := d.DeleteTeam(ctx, owner, ws.Slug, team.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
	types := eventTypes(t, d, owner, ws.Slug)
	if countOf(types, "team.created") != 2 || countOf(types, "team.updated") != 1 || countOf(types, "team.deleted") != 1 {
		t.Errorf("events = %v", types)
	}
}

func testTeamMembers(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	ann, _ := join(t, d, owner, ws.Slug, "ann@acme.example", directory.RoleMember)
	bob, _ := join(t, d, owner, ws.Slug, "bob@acme.example", directory.RoleMember)
	team, _ := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Sales"})
	if err := d.AddTeamMembers(ctx, owner, ws.Slug, team.ID, []string{ann.ID, bob.ID, ann.ID}); err != nil {
		t.Fatal(err)
	}
	// Adding again is a no-op, and so is removing someone not in the team.
	if err := d.AddTeamMembers(ctx, owner, ws.Slug, team.ID, []string{ann.ID}); err != nil {
		t.Fatal(err)
	}
	got, _ := d.GetTeam(ctx, owner, ws.Slug, team.ID)
	if got.MemberCount != 2 {
		t.Errorf("member count = %d, want 2", got.MemberCount)
	}
	members, err := d.ListTeamMembers(ctx, owner, ws.Slug, team.ID)
	if err != nil || len(members) != 2 || members[0].ID != ann.ID || members[1].ID != bob.ID {
		t.Fatalf("team members = %+v, %v", members, err)
	}
	page, _ := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Team: team.ID})
	if len(page.Members) != 2 {
		t.Errorf("ListMembers by team = %d", len(page.Members))
	}
	if err := d.RemoveTeamMembers(ctx, owner, ws.Slug, team.ID, []string{bob.ID, "no-such-id"}); err != nil {
		t.Fatal(err)
	}
	if err := d.RemoveTeamMembers(ctx, owner, ws.Slug, team.ID, []string{bob.ID}); err != nil {
		t.Fatal(err)
	}
	members, _ = d.ListTeamMembers(ctx, owner, ws.Slug, team.ID)
	if len(members) != 1 || members[0].ID != ann.ID {
		t.Errorf("after removal = %+v", members)
	}
	types := eventTypes(t, d, owner, ws.Slug)
	if countOf(types, "team.member_added") != 2 || countOf(types, "team.member_removed") != 1 {
		t.Errorf("events = %v", types)
	}
	// An unknown id fails the whole batch.
	if err := d.AddTeamMembers(ctx, owner, ws.Slug, team.ID, []string{bob.ID, "nobody"}); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("unknown member: %v, want ErrNotFound", err)
	}
	if members, _ = d.ListTeamMembers(ctx, owner, ws.Slug, team.ID); len(members) != 1 {
		t.Errorf("a failed batch added members: %+v", members)
	}
	// A removed member leaves their teams.
	if err := d.RemoveMember(ctx, owner, ws.Slug, ann.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.GetTeam(ctx, owner, ws.Slug, team.ID); got.MemberCount != 0 {
		t.Errorf("count after removing the member = %d", got.MemberCount)
	}
	if err := d.AddTeamMembers(ctx, owner, ws.Slug, team.ID, []string{ann.ID}); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("adding a removed member: %v, want ErrNotFound", err)
	}
}

// testTeamMembersInBatches adds more members than one SQL batch holds.
func testTeamMembersInBatches(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	var addrs []string
	for i := 0; i < 620; i++ {
		addrs = append(addrs, fmt.Sprintf("p%d@acme.example", i))
	}
	no := false
	out, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: strings.Join(addrs, " "), Role: directory.RoleMember, SendEmail: &no})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range out {
		ids = append(ids, o.MembershipID)
	}
	team, _ := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Everyone", Role: strp(directory.RoleManager)})
	if err := d.AddTeamMembers(ctx, owner, ws.Slug, team.ID, ids[:550]); err != nil {
		t.Fatal(err)
	}
	if err := d.AddTeamMembers(ctx, owner, ws.Slug, team.ID, ids); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.GetTeam(ctx, owner, ws.Slug, team.ID); got.MemberCount != 620 {
		t.Errorf("member count = %d, want 620", got.MemberCount)
	}
	if n := countOf(eventTypes(t, d, owner, ws.Slug), "team.member_added"); n != 620 {
		t.Errorf("%d member_added events, want 620", n)
	}
	page, _ := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Role: directory.RoleManager, Limit: 500})
	if len(page.Members) != 500 || page.NextCursor == "" {
		t.Errorf("managers through the team: %d", len(page.Members))
	}
	if err := d.RemoveTeamMembers(ctx, owner, ws.Slug, team.ID, ids[10:]); err != nil {
		t.Fatal(err)
	}
	if got, _ := d.GetTeam(ctx, owner, ws.Slug, team.ID); got.MemberCount != 10 {
		t.Errorf("member count after removal = %d, want 10", got.MemberCount)
	}
	page, _ = d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Role: directory.RoleManager, Limit: 500})
	if len(page.Members) != 10 {
		t.Errorf("managers after removal: %d, want 10", len(page.Members))
	}
}

func testTeamRoleMapping(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	ann, _ := join(t, d, owner, ws.Slug, "ann@acme.example", directory.RoleMember)
	role := func(id string) string {
		t.Helper()
		m, err := d.GetMember(ctx, owner, ws.Slug, id)
		if err != nil {
			t.Fatal(err)
		}
		return m.EffectiveRole
	}
	admins, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Admins", Role: strp(directory.RoleAdmin)})
	if err != nil || admins.Role == nil || *admins.Role != directory.RoleAdmin {
		t.Fatalf("%+v %v", admins, err)
	}
	managers, _ := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Managers", Role: strp(directory.RoleManager)})
	plain, _ := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Plain"})

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.AddTeamMembers(ctx, owner, ws.Slug, plain.ID, []string{ann.ID}))
	if r := role(ann.ID); r != directory.RoleMember {
		t.Errorf("unmapped team changed the role to %s", r)
	}
	must(d.AddTeamMembers(ctx, owner, ws.Slug, managers.ID, []string{ann.ID}))
	if r := role(ann.ID); r != directory.RoleManager {
		t.Errorf("in Managers: %s, want manager", r)
	}
	must(d.AddTeamMembers(ctx, owner, ws.Slug, admins.ID, []string{ann.ID}))
	if r := role(ann.ID); r != directory.RoleAdmin {
		t.Errorf("in Managers and Admins: %s, want admin (highest wins)", r)
	}
	must(d.RemoveTeamMembers(ctx, owner, ws.Slug, admins.ID, []string{ann.ID}))
	if r := role(ann.ID); r != directory.RoleManager {
		t.Errorf("left Admins: %s, want manager", r)
	}
	// The direct role still counts when it is the highest.
	if m, err := d.ChangeRole(ctx, owner, ws.Slug, ann.ID, directory.RoleAdmin); err != nil || m.EffectiveRole != directory.RoleAdmin {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := d.ChangeRole(ctx, owner, ws.Slug, ann.ID, directory.RoleCollaborator); err != nil {
		t.Fatal(err)
	}
	if r := role(ann.ID); r != directory.RoleManager {
		t.Errorf("direct collaborator in Managers: %s, want manager", r)
	}
	// Changing and clearing the mapping recomputes the members.
	if _, err := d.UpdateTeam(ctx, owner, ws.Slug, managers.ID, directory.TeamUpdate{Role: strp(directory.RoleMember)}); err != nil {
		t.Fatal(err)
	}
	if r := role(ann.ID); r != directory.RoleMember {
		t.Errorf("mapping changed to member: %s", r)
	}
	if _, err := d.UpdateTeam(ctx, owner, ws.Slug, managers.ID, directory.TeamUpdate{ClearRole: true}); err != nil {
		t.Fatal(err)
	}
	if r := role(ann.ID); r != directory.RoleCollaborator {
		t.Errorf("mapping cleared: %s, want collaborator", r)
	}
	// Deleting a mapped team drops its role.
	must(d.AddTeamMembers(ctx, owner, ws.Slug, admins.ID, []string{ann.ID}))
	if r := role(ann.ID); r != directory.RoleAdmin {
		t.Errorf("back in Admins: %s", r)
	}
	must(d.DeleteTeam(ctx, owner, ws.Slug, admins.ID))
	if r := role(ann.ID); r != directory.RoleCollaborator {
		t.Errorf("Admins deleted: %s, want collaborator", r)
	}
	found := false
	events, _ := d.ListEvents(ctx, owner, ws.Slug, 0, 1000)
	for _, e := range events {
		found = found || e.Type == "member.role_changed" && strings.Contains(string(e.Payload), `"via":"team"`)
	}
	if !found {
		t.Error("no member.role_changed event for a team-granted role")
	}
}

func testTeamPermissions(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	ownerMember, _ := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{})
	ownerID := ownerMember.Members[0].ID
	_, admin := join(t, d, owner, ws.Slug, "admin@acme.example", directory.RoleAdmin)
	_, manager := join(t, d, owner, ws.Slug, "manager@acme.example", directory.RoleManager)
	ann, member := join(t, d, owner, ws.Slug, "ann@acme.example", directory.RoleMember)
	team, _ := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Sales"})
	// ann acts as herself once she owns the workspace through a team.
	annOwner := member

	if _, err := d.ListTeams(ctx, member, ws.Slug); err != nil {
		t.Errorf("member reads teams: %v", err)
	}
	if _, err := d.ListTeamMembers(ctx, member, ws.Slug, team.ID); err != nil {
		t.Errorf("member reads team members: %v", err)
	}
	if _, err := d.CreateTeam(ctx, member, ws.Slug, directory.TeamRequest{Name: "Mine"}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member creates a team: %v", err)
	}
	if _, err := d.CreateTeam(ctx, manager, ws.Slug, directory.TeamRequest{Name: "Mine"}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager creates a team: %v", err)
	}
	if err := d.AddTeamMembers(ctx, manager, ws.Slug, team.ID, []string{ann.ID}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager adds a member: %v", err)
	}
	if _, err := d.CreateTeam(ctx, admin, ws.Slug, directory.TeamRequest{Name: "Ops"}); err != nil {
		t.Errorf("admin creates a team: %v", err)
	}
	// Only owners map a team to ownership, or change who is in such a team.
	if _, err := d.CreateTeam(ctx, admin, ws.Slug, directory.TeamRequest{Name: "Owners", Role: strp(directory.RoleOwner)}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("admin maps a team to owner: %v", err)
	}
	if _, err := d.UpdateTeam(ctx, admin, ws.Slug, team.ID, directory.TeamUpdate{Role: strp(directory.RoleOwner)}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("admin remaps a team to owner: %v", err)
	}
	owners, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Owners", Role: strp(directory.RoleOwner)})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.AddTeamMembers(ctx, admin, ws.Slug, owners.ID, []string{ann.ID}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("admin adds to the owners team: %v", err)
	}
	if err := d.DeleteTeam(ctx, admin, ws.Slug, owners.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("admin deletes the owners team: %v", err)
	}
	if _, err := d.UpdateTeam(ctx, admin, ws.Slug, owners.ID, directory.TeamUpdate{ClearRole: true}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("admin unmaps the owners team: %v", err)
	}
	// The last owner cannot lose ownership through a team.
	if err := d.AddTeamMembers(ctx, owner, ws.Slug, owners.ID, []string{ann.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ChangeRole(ctx, owner, ws.Slug, ownerID, directory.RoleAdmin); err != nil {
		t.Fatalf("demote the direct owner while ann owns through the team: %v", err)
	}
	if err := d.RemoveTeamMembers(ctx, owner, ws.Slug, owners.ID, []string{ann.ID}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("demoted owner changes the owners team: %v", err)
	}
	if err := d.RemoveTeamMembers(ctx, annOwner, ws.Slug, owners.ID, []string{ann.ID}); !errors.Is(err, directory.ErrLastOwner) {
		t.Errorf("remove the last owner from the owners team: %v", err)
	}
	if err := d.DeleteTeam(ctx, annOwner, ws.Slug, owners.ID); !errors.Is(err, directory.ErrLastOwner) {
		t.Errorf("delete the last owner's team: %v", err)
	}
	if m, _ := d.GetMember(ctx, owner, ws.Slug, ann.ID); m.EffectiveRole != directory.RoleOwner {
		t.Errorf("ann = %s after refused changes", m.EffectiveRole)
	}
}

func testTeamTenancy(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	acme, acmeOwner := newWorkspace(t, d, "acme")
	globex, globexOwner := newWorkspace(t, d, "globex")
	_, globexAdmin := join(t, d, globexOwner, globex.Slug, "admin@globex.example", directory.RoleAdmin)
	ann, _ := join(t, d, acmeOwner, acme.Slug, "ann@acme.example", directory.RoleMember)
	gus, _ := join(t, d, globexOwner, globex.Slug, "gus@globex.example", directory.RoleMember)
	team, _ := d.CreateTeam(ctx, acmeOwner, acme.Slug, directory.TeamRequest{Name: "Sales"})
	gteam, _ := d.CreateTeam(ctx, globexOwner, globex.Slug, directory.TeamRequest{Name: "Sales"})

	forbiddenOrMissing := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, directory.ErrForbidden) && !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("%s: %v, want ErrForbidden or ErrNotFound", what, err)
		}
	}
	// Through acme's slug: not a member there.
	_, err := d.ListTeams(ctx, globexAdmin, acme.Slug)
	forbiddenOrMissing("list acme's teams", err)
	_, err = d.UpdateTeam(ctx, globexAdmin, acme.Slug, team.ID, directory.TeamUpdate{Name: strp("Mine")})
	forbiddenOrMissing("rename acme's team", err)
	forbiddenOrMissing("delete acme's team", d.DeleteTeam(ctx, globexAdmin, acme.Slug, team.ID))
	// Through globex's slug with acme's ids: nothing is found.
	_, err = d.GetTeam(ctx, globexAdmin, globex.Slug, team.ID)
	forbiddenOrMissing("get acme's team via globex", err)
	_, err = d.ListTeamMembers(ctx, globexAdmin, globex.Slug, team.ID)
	forbiddenOrMissing("list acme's team via globex", err)
	forbiddenOrMissing("add to acme's team via globex", d.AddTeamMembers(ctx, globexAdmin, globex.Slug, team.ID, []string{gus.ID}))
	forbiddenOrMissing("remove from acme's team via globex", d.RemoveTeamMembers(ctx, globexAdmin, globex.Slug, team.ID, []string{ann.ID}))
	forbiddenOrMissing("delete acme's team via globex", d.DeleteTeam(ctx, globexAdmin, globex.Slug, team.ID))
	// A membership of acme cannot join a globex team.
	forbiddenOrMissing("acme member into globex team", d.AddTeamMembers(ctx, globexAdmin, globex.Slug, gteam.ID, []string{ann.ID}))
	if got, _ := d.GetTeam(ctx, acmeOwner, acme.Slug, team.ID); got.Name != "Sales" {
		t.Errorf("acme's team changed: %+v", got)
	}
	if teams, _ := d.ListTeams(ctx, globexOwner, globex.Slug); len(teams) != 1 || teams[0].ID != gteam.ID || teams[0].MemberCount != 0 {
		t.Errorf("globex teams = %+v", teams)
	}
}

func strp(s string) *string { return &s }

// eventTypes lists the types of a workspace's events, oldest first.
func eventTypes(t *testing.T, d *directory.Directory, by directory.Actor, ws string) []string {
	t.Helper()
	var out []string
	var after int64
	for {
		events, err := d.ListEvents(context.Background(), by, ws, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 {
			return out
		}
		for _, e := range events {
			out = append(out, e.Type)
		}
		after = events[len(events)-1].ID
	}
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
