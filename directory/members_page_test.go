package directory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// The Members page's rows say how each person came in, in words, with
// their teams and their open invitation, one keyset page at a time.
func TestMembersPage(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		team, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Design"})
		if err != nil {
			t.Fatal(err)
		}
		mia, _ := join(t, d, owner, ws.Slug, "mia@acme.example", directory.RoleManager)
		if err := d.AddTeamMembers(ctx, owner, ws.Slug, team.ID, []string{mia.ID}); err != nil {
			t.Fatal(err)
		}
		_, token, err := d.CreateAPIKey(ctx, owner, ws.Slug, directory.APIKeyRequest{Name: "backend-secret-name", Role: directory.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		keyActor, _, err := d.AuthenticateAPIKey(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Invite(ctx, keyActor, ws.Slug, directory.InviteRequest{Text: "api@acme.example", Role: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "zoe@acme.example", Role: directory.RoleMember, Teams: []string{team.ID}}); err != nil {
			t.Fatal(err)
		}

		var rows []directory.MemberRow
		cursor := ""
		for pages := 0; ; pages++ {
			p, err := d.MembersPage(ctx, owner, ws.Slug, directory.MemberFilter{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rows) > 2 || pages > 3 {
				t.Fatalf("page %d has %d rows", pages, len(p.Rows))
			}
			rows = append(rows, p.Rows...)
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		by := map[string]directory.MemberRow{}
		for _, r := range rows {
			by[r.Email] = r
		}
		if len(rows) != 4 || len(by) != 4 {
			t.Fatalf("rows = %+v", rows)
		}
		if r := by["mia@acme.example"]; r.Source != "Invited by Owner" || r.RoleName != "Manager" || len(r.Teams) != 1 || r.Teams[0] != "Design" || r.Invitation != nil {
			t.Errorf("mia = %+v", r)
		}
		if r := by["api@acme.example"]; strings.Contains(r.Source, "backend-secret-name") || r.Source != "Invited by Work acme's application" {
			t.Errorf("invited through an API key, source = %q", r.Source)
		}
		if r := by["zoe@acme.example"]; r.Status != directory.StatusInvited || r.Invitation == nil || r.Invitation.Status != directory.InvitationPending ||
			len(r.InvitedTeams) != 1 || r.InvitedTeams[0] != "Design" || len(r.Teams) != 0 {
			t.Errorf("zoe = %+v", r)
		}
		if r := by["owner@acme.example"]; r.Source != "Created the workspace" || r.RoleName != "Owner" {
			t.Errorf("owner = %+v", r)
		}

		filtered, err := d.MembersPage(ctx, owner, ws.Slug, directory.MemberFilter{Team: team.ID})
		if err != nil || len(filtered.Rows) != 1 || filtered.Rows[0].Email != "mia@acme.example" {
			t.Errorf("team filter: %+v %v", filtered, err)
		}

		other, otherOwner := newWorkspace(t, d, "globex")
		if _, err := d.MembersPage(ctx, otherOwner, ws.Slug, directory.MemberFilter{}); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("another workspace's owner reads acme: %v", err)
		}
		if _, err := d.MembersPage(ctx, owner, other.Slug, directory.MemberFilter{}); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("acme's owner reads globex: %v", err)
		}
	})
}

// ConsoleAccess answers with the operations' own checks: members and
// collaborators administer nothing, a manager decides join requests and
// invites only once the owners allow it.
func TestConsoleAccess(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		_, member := join(t, d, owner, ws.Slug, "mo@acme.example", directory.RoleMember)
		_, collab := join(t, d, owner, ws.Slug, "cy@acme.example", directory.RoleCollaborator)
		_, manager := join(t, d, owner, ws.Slug, "ma@acme.example", directory.RoleManager)
		tests := []struct {
			name                                 string
			actor                                directory.Actor
			administers, invite, requests, owner bool
		}{
			{"owner", owner, true, true, true, true},
			// The owners have not let managers invite (the default), but a
			// manager of join links reviews the requests they bring.
			{"manager", manager, true, false, true, false},
			{"member", member, false, false, false, false},
			{"collaborator", collab, false, false, false, false},
		}
		for _, tt := range tests {
			a, err := d.ConsoleAccess(ctx, tt.actor, ws.Slug)
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if a.Administers != tt.administers || a.Invite != tt.invite || a.JoinRequests != tt.requests || a.Owner != tt.owner || a.WorkspaceName != "Work acme" {
				t.Errorf("%s: %+v", tt.name, a)
			}
		}
		roles := []string{directory.RoleAdmin, directory.RoleManager}
		if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{InviteRoles: roles}); err != nil {
			t.Fatal(err)
		}
		if a, err := d.ConsoleAccess(ctx, manager, ws.Slug); err != nil || !a.Invite {
			t.Errorf("manager allowed to invite: %+v %v", a, err)
		}
		list, err := d.AdministeredWorkspaces(ctx, manager.ID)
		if err != nil || len(list) != 1 || list[0].WorkspaceSlug != "acme" {
			t.Errorf("manager administers %+v (%v)", list, err)
		}
		if list, err := d.AdministeredWorkspaces(ctx, member.ID); err != nil || len(list) != 0 {
			t.Errorf("member administers %+v (%v)", list, err)
		}
		other, _ := newWorkspace(t, d, "globex")
		if _, err := d.ConsoleAccess(ctx, owner, other.Slug); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("acme's owner in globex: %v", err)
		}
	})
}
