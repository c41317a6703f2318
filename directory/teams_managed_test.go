package directory_test

import (
	"context"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// ownedWorkspace creates a workspace whose owner has accepted, and returns
// it with the owner acting as a member. The helpers of these files do not
// lean on those of the older test files, which are being reorganised.
func ownedWorkspace(t *testing.T, d *directory.Directory, slug string) (directory.Workspace, directory.Actor) {
	t.Helper()
	ctx := context.Background()
	ws, inv, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Work " + slug, Slug: slug, OwnerEmail: "owner@" + slug + ".example"})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	acc, err := d.AcceptInvitation(ctx, inv.Token, directory.VerifiedIdentity{Email: "owner@" + slug + ".example", Name: "Olivia Owner"})
	if err != nil {
		t.Fatalf("owner accepts: %v", err)
	}
	return ws, directory.Actor{Kind: directory.ActorMember, ID: acc.Member.UserID, Name: "Olivia Owner", Source: "api"}
}

// connectSCIM gives ws a SCIM connection and returns it as a request
// authenticated with a fresh token sees it.
func connectSCIM(t *testing.T, d *directory.Directory, ws string) directory.SCIMConnection {
	t.Helper()
	ctx := context.Background()
	if _, err := d.CreateSCIMConnection(ctx, directory.Operator(), ws, directory.SCIMConnectionRequest{Profile: "okta", DefaultRole: directory.RoleMember}); err != nil {
		t.Fatalf("create SCIM connection: %v", err)
	}
	_, token, err := d.CreateSCIMToken(ctx, directory.Operator(), ws, directory.SCIMTokenRequest{})
	if err != nil {
		t.Fatalf("create SCIM token: %v", err)
	}
	conn, err := d.AuthenticateSCIM(ctx, token)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return conn
}

// TestTeamManagedByTheDoorThatCreatedIt: a group Okta pushes carries no
// externalId, and is still the identity provider's team; a team an admin
// creates is Roster's, even once the IdP has given it an externalId.
func TestTeamManagedByTheDoorThatCreatedIt(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := ownedWorkspace(t, d, "acme")
		conn := connectSCIM(t, d, ws.Slug)

		pushed, _, err := d.SCIMCreateGroup(ctx, conn, directory.SCIMGroupInput{DisplayName: "Okta Engineering"})
		if err != nil {
			t.Fatalf("SCIM create group without externalId: %v", err)
		}
		ext := "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159"
		withExt, _, err := d.SCIMCreateGroup(ctx, conn, directory.SCIMGroupInput{DisplayName: "Entra Sales", ExternalID: &ext})
		if err != nil {
			t.Fatalf("SCIM create group with externalId: %v", err)
		}
		local, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Book club"})
		if err != nil {
			t.Fatalf("admin creates team: %v", err)
		}
		if local.ManagedBy != directory.TeamManagedByRoster || local.SCIMConnectionID != nil {
			t.Errorf("admin's team = %q by %v, want roster, no connection", local.ManagedBy, local.SCIMConnectionID)
		}
		// The IdP later sets an externalId on the admin's team: it stays
		// the admin's, since the IdP did not create it.
		adopted := "okta-adopted"
		if _, _, err := d.SCIMUpdateGroup(ctx, conn, local.ID, func(directory.SCIMGroup) (directory.SCIMGroupChange, error) {
			return directory.SCIMGroupChange{SetExternalID: true, ExternalID: &adopted}, nil
		}); err != nil {
			t.Fatalf("SCIM sets externalId of the admin's team: %v", err)
		}

		teams, err := d.ListTeams(ctx, owner, ws.Slug)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]directory.Team{}
		for _, tm := range teams {
			got[tm.ID] = tm
		}
		for _, id := range []string{pushed.ID, withExt.ID} {
			tm := got[id]
			if tm.ManagedBy != directory.TeamManagedBySCIM || tm.SCIMConnectionID == nil || *tm.SCIMConnectionID != conn.ID {
				t.Errorf("team %q = managed by %q, connection %v; want scim, %s", tm.Name, tm.ManagedBy, tm.SCIMConnectionID, conn.ID)
			}
		}
		if tm := got[pushed.ID]; tm.ExternalID != nil {
			t.Errorf("pushed group has externalId %q; the test needs one without", *tm.ExternalID)
		}
		if tm := got[local.ID]; tm.ManagedBy != directory.TeamManagedByRoster || tm.ExternalID == nil {
			t.Errorf("admin's team after the IdP set an externalId = managed by %q, externalId %v; want roster, set", tm.ManagedBy, tm.ExternalID)
		}
		one, err := d.GetTeam(ctx, owner, ws.Slug, pushed.ID)
		if err != nil || one.ManagedBy != directory.TeamManagedBySCIM {
			t.Errorf("GetTeam of the pushed group = %+v, %v", one, err)
		}

		// Admins keep the right to change an IdP-managed team (nothing in
		// the design takes it away); the IdP's next full push of the
		// group's members puts its own list back.
		inv, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "mia@acme.example", Role: directory.RoleMember})
		if err != nil || inv[0].Status != directory.OutcomeInvited {
			t.Fatalf("invite: %v %+v", err, inv)
		}
		if err := d.AddTeamMembers(ctx, owner, ws.Slug, pushed.ID, []string{inv[0].MembershipID}); err != nil {
			t.Errorf("admin adds a member to the IdP's team: %v", err)
		}
		if _, _, err := d.SCIMUpdateGroup(ctx, conn, pushed.ID, func(directory.SCIMGroup) (directory.SCIMGroupChange, error) {
			return directory.SCIMGroupChange{Members: []directory.SCIMMemberOp{{Op: "set"}}}, nil
		}); err != nil {
			t.Fatalf("IdP replaces the members: %v", err)
		}
		if after, _ := d.GetTeam(ctx, owner, ws.Slug, pushed.ID); after.MemberCount != 0 || after.ManagedBy != directory.TeamManagedBySCIM {
			t.Errorf("after the IdP's full push: %d members, managed by %q", after.MemberCount, after.ManagedBy)
		}
	})
}
