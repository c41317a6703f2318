package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// memberTests: roles, owners and the main admin, external members,
// listing, removing and suspending members.
var memberTests = []test{
	{"RolesAndOwners", testRolesAndOwners},
	{"MainAdmin", testMainAdmin},
	{"ExternalMembers", testExternalMembers},
	{"ListMembersFiltersAndPages", testListMembersFiltersAndPages},
	{"ListsByStatusAcceptAll", testListsByStatusAcceptAll},
	{"RemovedMemberCanBeReinvited", testRemovedMemberCanBeReinvited},
	{"SuspensionSaysWhoSuspended", testSuspensionSaysWhoSuspended},
}

func testRolesAndOwners(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	page, _ := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{})
	ownerID := page.Members[0].ID
	if _, err := d.ChangeRole(ctx, owner, ws.Slug, ownerID, directory.RoleAdmin); !errors.Is(err, directory.ErrLastOwner) {
		t.Errorf("demote last owner: %v", err)
	}
	if err := d.RemoveMember(ctx, owner, ws.Slug, ownerID); !errors.Is(err, directory.ErrLastOwner) {
		t.Errorf("remove last owner: %v", err)
	}
	if _, err := d.SuspendMember(ctx, owner, ws.Slug, ownerID); !errors.Is(err, directory.ErrLastOwner) {
		t.Errorf("suspend last owner: %v", err)
	}
	second, _ := join(t, d, owner, ws.Slug, "second@acme.example", directory.RoleOwner)
	if _, err := d.ChangeRole(ctx, owner, ws.Slug, ownerID, directory.RoleAdmin); err != nil {
		t.Errorf("demote an owner when another remains: %v", err)
	}
	_, admin := join(t, d, directory.Actor{Kind: directory.ActorMember, ID: second.UserID}, ws.Slug, "admin@acme.example", directory.RoleAdmin)
	if _, err := d.ChangeRole(ctx, admin, ws.Slug, second.ID, directory.RoleMember); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("admin demotes owner: %v", err)
	}
	// Custom roles.
	secondActor := directory.Actor{Kind: directory.ActorMember, ID: second.UserID}
	r, err := d.SaveCustomRole(ctx, secondActor, ws.Slug, directory.CustomRoleRequest{Key: "auditor", Name: "Auditor", Permissions: []directory.Permission{directory.PermMembersRead}})
	if err != nil || r.Rank != 30 {
		t.Fatal(r, err)
	}
	// Creating (not saving) a role whose key exists is a conflict and
	// leaves the existing role as it was.
	if _, err := d.SaveCustomRole(ctx, secondActor, ws.Slug, directory.CustomRoleRequest{Key: "auditor", Name: "Other auditor", Create: true}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("create over an existing role: %v, want a conflict", err)
	}
	if roles, _ := d.ListRoles(ctx, secondActor, ws.Slug); !slices.ContainsFunc(roles, func(x directory.Role) bool {
		return x.Key == "auditor" && x.Name == "Auditor" && slices.Equal(x.Permissions, []directory.Permission{directory.PermMembersRead})
	}) {
		t.Errorf("a refused create changed the existing role: %+v", roles)
	}
	if _, err := d.SaveCustomRole(ctx, secondActor, ws.Slug, directory.CustomRoleRequest{Key: "admin", Name: "x"}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("reuse built-in key: %v", err)
	}
	if _, err := d.SaveCustomRole(ctx, secondActor, ws.Slug, directory.CustomRoleRequest{Key: "x1", Name: "x", Permissions: []directory.Permission{"rocket.launch"}}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("unknown permission: %v", err)
	}
	aud, _ := join(t, d, secondActor, ws.Slug, "auditor@acme.example", "auditor")
	if err := d.DeleteCustomRole(ctx, secondActor, ws.Slug, "auditor"); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("delete held role: %v", err)
	}
	roles, _ := d.ListRoles(ctx, secondActor, ws.Slug)
	if len(roles) != 6 || roles[0].Key != directory.RoleOwner {
		t.Errorf("roles = %+v", roles)
	}
	if _, err := d.ChangeRole(ctx, secondActor, ws.Slug, aud.ID, directory.RoleMember); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteCustomRole(ctx, secondActor, ws.Slug, "auditor"); err != nil {
		t.Errorf("delete unheld role: %v", err)
	}
}

func testMainAdmin(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	// A main-admin invitation replaces the main admin on acceptance.
	out, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "boss@acme.example", Role: directory.RoleAdmin, MainAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "boss@acme.example"})
	if err != nil || !acc.Member.MainAdmin {
		t.Fatalf("%+v %v", acc, err)
	}
	page, _ := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{})
	mains := 0
	var ownerID string
	for _, m := range page.Members {
		if m.MainAdmin {
			mains++
		}
		if m.Email == "owner@acme.example" {
			ownerID = m.ID
		}
	}
	if mains != 1 {
		t.Errorf("%d main admins", mains)
	}
	if _, err := d.SetMainAdmin(ctx, owner, ws.Slug, ownerID); err != nil {
		t.Fatal(err)
	}
	boss, _ := d.GetMember(ctx, owner, ws.Slug, acc.Member.ID)
	if boss.MainAdmin {
		t.Error("previous main admin kept the flag")
	}
	member, _ := join(t, d, owner, ws.Slug, "m@acme.example", directory.RoleMember)
	if _, err := d.SetMainAdmin(ctx, owner, ws.Slug, member.ID); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("member as main admin: %v", err)
	}
	if _, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "a@acme.example b@acme.example", Role: directory.RoleAdmin, MainAdmin: true}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("two main admins at once: %v", err)
	}
}

func testExternalMembers(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	acme, acmeOwner := newWorkspace(t, d, "acme")
	globex, globexOwner := newWorkspace(t, d, "globex")
	jane, _ := join(t, d, acmeOwner, acme.Slug, "jane@acme.example", directory.RoleMember)

	look, err := d.LookupPerson(ctx, globexOwner, globex.Slug, "JANE@acme.example")
	if err != nil || look.JoinsAs != directory.KindExternal || look.Status != "" {
		t.Errorf("lookup from globex = %+v, %v", look, err)
	}
	look, _ = d.LookupPerson(ctx, globexOwner, globex.Slug, "new@globex.example")
	if look.JoinsAs != directory.KindInternal {
		t.Errorf("lookup of a new person = %+v", look)
	}
	out, _ := d.Invite(ctx, globexOwner, globex.Slug, directory.InviteRequest{Text: "jane@acme.example", Role: directory.RoleCollaborator})
	if out[0].Kind != directory.KindExternal {
		t.Fatalf("jane joins globex as %q", out[0].Kind)
	}
	acc, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "jane@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Member.UserID != jane.UserID {
		t.Error("external membership made a second account")
	}
	name := "Janet"
	if _, err := d.UpdateMemberProfile(ctx, globexOwner, globex.Slug, acc.Member.ID, directory.ProfileUpdate{Name: &name}); !errors.Is(err, directory.ErrExternalProfile) {
		t.Errorf("globex edits jane's profile: %v", err)
	}
	lang := "fr"
	if m, err := d.UpdateMemberProfile(ctx, globexOwner, globex.Slug, acc.Member.ID, directory.ProfileUpdate{Locale: &lang}); err != nil || m.Locale != "fr" {
		t.Errorf("globex sets jane's language: %+v %v", m, err)
	}
	if m, err := d.UpdateMemberProfile(ctx, acmeOwner, acme.Slug, jane.ID, directory.ProfileUpdate{Name: &name}); err != nil || m.Name != "Janet" {
		t.Errorf("acme edits jane's profile: %+v %v", m, err)
	}
	// Removing from globex leaves the acme membership and the user.
	if err := d.RemoveMember(ctx, globexOwner, globex.Slug, acc.Member.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetMember(ctx, acmeOwner, acme.Slug, jane.ID); err != nil {
		t.Errorf("jane lost her home membership: %v", err)
	}
	// Tenancy: globex's owner sees nothing of acme.
	if _, err := d.GetMember(ctx, globexOwner, acme.Slug, jane.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("cross-workspace read: %v", err)
	}
	if _, err := d.GetMember(ctx, globexOwner, globex.Slug, jane.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("acme's membership id through globex: %v", err)
	}
	if _, err := d.ListMembers(ctx, globexOwner, acme.Slug, directory.MemberFilter{}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("cross-workspace list: %v", err)
	}
}

func testListMembersFiltersAndPages(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	for i := 0; i < 7; i++ {
		join(t, d, owner, ws.Slug, fmt.Sprintf("user%d@acme.example", i), directory.RoleMember)
	}
	join(t, d, owner, ws.Slug, "émile.zola@acme.example", directory.RoleCollaborator)
	d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "pending@acme.example", Role: directory.RoleMember})

	var all []directory.Member
	cursor := ""
	for pages := 0; ; pages++ {
		page, err := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Members...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if len(all) != 10 {
		t.Errorf("paged through %d members, want 10", len(all))
	}
	seen := map[string]bool{}
	for _, m := range all {
		if seen[m.ID] {
			t.Errorf("member %s listed twice", m.ID)
		}
		seen[m.ID] = true
	}
	count := func(f directory.MemberFilter) int {
		p, err := d.ListMembers(ctx, owner, ws.Slug, f)
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Members)
	}
	if n := count(directory.MemberFilter{Status: directory.StatusInvited}); n != 1 {
		t.Errorf("invited = %d", n)
	}
	if n := count(directory.MemberFilter{Role: directory.RoleCollaborator}); n != 1 {
		t.Errorf("collaborators = %d", n)
	}
	if n := count(directory.MemberFilter{Query: "ÉMILE"}); n != 1 {
		t.Errorf("search ÉMILE = %d", n)
	}
	if n := count(directory.MemberFilter{Query: "user"}); n != 7 {
		t.Errorf("search user = %d", n)
	}
	if n := count(directory.MemberFilter{Query: "100%"}); n != 0 {
		t.Errorf("search with a wildcard = %d", n)
	}
	if _, err := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Status: "zombie"}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("bad status: %v", err)
	}
	if _, err := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Cursor: "!!"}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("bad cursor: %v", err)
	}
}

// Every list by status accepts "all" (issue 11 item 15), as the same list
// with no status.
func testListsByStatusAcceptAll(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	join(t, d, owner, ws.Slug, "mia@acme.example", directory.RoleMember)
	if _, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "pending@acme.example", Role: directory.RoleMember}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ListJoinRequests(ctx, owner, ws.Slug, directory.StatusAll); err != nil {
		t.Errorf("join requests, status all: %v", err)
	}
	all, err := d.ListInvitations(ctx, owner, ws.Slug, directory.StatusAll, 0)
	none, _ := d.ListInvitations(ctx, owner, ws.Slug, "", 0)
	if err != nil || len(all) != len(none) || len(all) < 2 {
		t.Errorf("invitations, status all: %d (%v), without a status %d", len(all), err, len(none))
	}
	members, err := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Status: directory.StatusAll})
	if err != nil || len(members.Members) < 3 {
		t.Errorf("members, status all: %+v, %v", members, err)
	}
}

func testRemovedMemberCanBeReinvited(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	m, _ := join(t, d, owner, ws.Slug, "gone@acme.example", directory.RoleMember)
	if err := d.RemoveMember(ctx, owner, ws.Slug, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.GetMember(ctx, owner, ws.Slug, m.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("removed member still visible: %v", err)
	}
	out, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "gone@acme.example", Role: directory.RoleMember})
	if err != nil || out[0].Status != directory.OutcomeInvited || out[0].MembershipID != m.ID {
		t.Errorf("re-invite = %+v %v", out, err)
	}
}

// A suspension says who made it (issue 11 item 14): the workspace's
// identity provider when SCIM deactivated the person, an administrator
// otherwise.
func testSuspensionSaysWhoSuspended(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{})
	in := scimUser("pat@elsewhere.example", "pat@elsewhere.example")
	pat, _, err := d.SCIMCreateUser(ctx, conn, in)
	if err != nil {
		t.Fatal(err)
	}
	link := invitationLink(t, d, ws.ID, "pat@elsewhere.example")
	if _, _, err := d.SCIMUpdateUser(ctx, conn, pat.ID, func(cur directory.SCIMUser) (directory.SCIMUserInput, error) {
		in := scimUserFrom(t, cur)
		in.Active = false
		return in, nil
	}); err != nil {
		t.Fatal(err)
	}
	token := link[strings.LastIndex(link, "/")+1:]
	_, err = d.AcceptInvitation(ctx, token, directory.VerifiedIdentity{Email: "pat@elsewhere.example", Name: "Pat"})
	var se *directory.SuspendedError
	if !errors.Is(err, directory.ErrSuspended) || !errors.As(err, &se) || !se.ByIdentityProvider {
		t.Errorf("accepting an invitation the IdP deactivated: %v, want ErrSuspended by the identity provider", err)
	}

	// Suspended by an admin: not the IdP.
	res, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "kim@elsewhere.example", Role: directory.RoleMember})
	if err != nil || len(res) != 1 || res[0].Status != directory.OutcomeInvited {
		t.Fatalf("invite: %+v %v", res, err)
	}
	if _, err := d.SuspendMember(ctx, owner, ws.Slug, res[0].MembershipID); err != nil {
		t.Fatal(err)
	}
	link = res[0].Link
	_, err = d.AcceptInvitation(ctx, link[strings.LastIndex(link, "/")+1:], directory.VerifiedIdentity{Email: "kim@elsewhere.example", Name: "Kim"})
	se = nil
	if !errors.Is(err, directory.ErrSuspended) || (errors.As(err, &se) && se.ByIdentityProvider) {
		t.Errorf("accepting an invitation an admin suspended: %v, want ErrSuspended not by the identity provider", err)
	}
}

// invitationLink is the link of the last invitation email queued for addr.
func invitationLink(t *testing.T, d *directory.Directory, workspaceID, addr string) string {
	t.Helper()
	msgs, err := d.OutboxOf(context.Background(), workspaceID, directory.OutboxEmail, 1000)
	if err != nil {
		t.Fatal(err)
	}
	link := ""
	for _, m := range msgs {
		var req directory.EmailRequest
		json.Unmarshal([]byte(m.Payload), &req)
		if len(req.To) == 1 && req.To[0] == addr && req.Template == "invitation" {
			link = req.Data["link"]
		}
	}
	if link == "" {
		t.Fatalf("no invitation email to %s", addr)
	}
	return link
}
