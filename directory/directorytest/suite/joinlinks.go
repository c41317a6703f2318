package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// joinLinkTests: creating, using and revoking join links, direct joins,
// and their seat limit.
var joinLinkTests = []test{
	{"JoinLinkLifecycle", testJoinLinkLifecycle},
	{"JoinLinkDirect", testJoinLinkDirect},
	{"JoinLinkInvitedPersonKeepsHigherRole", testJoinLinkInvitedPersonKeepsHigherRole},
	{"JoinLinkSeatLimitConcurrent", testJoinLinkSeatLimitConcurrent},
	{"JoinLinkPageOutlivesItsRole", testJoinLinkPageOutlivesItsRole},
}

func testJoinLinkLifecycle(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{BaseURL: "https://roster.example/"})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, manager, _, mem := staff(t, d, owner, ws.Slug)
	team, _ := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Sales"})

	if _, _, _, err := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "  "}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("no description: %v", err)
	}
	link, token, url, err := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: " Sales Slack channel ", Teams: []string{"sales"}})
	if err != nil {
		t.Fatal(err)
	}
	if link.Description != "Sales Slack channel" || link.Role != directory.RoleMember || link.Mode != directory.JoinModeApproval ||
		link.Notify != directory.JoinNotifyAllManagers || !link.Active || len(link.Teams) != 1 || link.Teams[0] != team.ID {
		t.Errorf("link = %+v", link)
	}
	if len(token) < 40 || url != "https://roster.example/join/"+token {
		t.Errorf("token %q, url %q", token, url)
	}
	view, err := d.JoinLinkByToken(ctx, token)
	if err != nil || view.WorkspaceName != ws.Name || view.WorkspaceSlug != ws.Slug || view.RoleName != "Member" || !view.Active || view.Reviewers == "" || view.Description != "Sales Slack channel" {
		t.Errorf("view = %+v, %v", view, err)
	}
	if _, err := d.JoinLinkByToken(ctx, "nonsense"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	// The token is never stored or listed.
	var stored int
	if err := directorytest.DB(t, d).Get(&stored, directorytest.DB(t, d).Rebind(`SELECT COUNT(*) FROM join_links WHERE token_hash = ?`), token); err != nil || stored != 0 {
		t.Errorf("token stored in clear: %d %v", stored, err)
	}
	// Validation.
	bad := []directory.JoinLinkRequest{
		{Description: "x", Role: directory.RoleOwner},
		{Description: "x", Role: "wizard"},
		{Description: "x", Mode: "maybe"},
		{Description: "x", Notify: "everyone"},
		{Description: "x", Notify: directory.JoinNotifyPeople},
		{Description: "x", Notify: directory.JoinNotifyPeople, NotifyPeople: []string{"nobody"}},
		{Description: "x", Teams: []string{"no such team"}},
	}
	for _, req := range bad {
		if _, _, _, err := d.CreateJoinLink(ctx, owner, ws.Slug, req); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("CreateJoinLink(%+v): %v, want ErrInvalid", req, err)
		}
	}
	// Managers manage links with roles they can grant, not admin.
	if _, _, _, err := d.CreateJoinLink(ctx, manager, ws.Slug, directory.JoinLinkRequest{Description: "m", Role: directory.RoleCollaborator}); err != nil {
		t.Errorf("manager makes a collaborator link: %v", err)
	}
	if _, _, _, err := d.CreateJoinLink(ctx, manager, ws.Slug, directory.JoinLinkRequest{Description: "m", Role: directory.RoleAdmin}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager makes an admin link: %v", err)
	}
	adminLink, _, _, _ := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "admins", Role: directory.RoleAdmin})
	if _, err := d.UpdateJoinLink(ctx, manager, ws.Slug, adminLink.ID, directory.JoinLinkUpdate{Description: strp("mine now")}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager edits an admin link: %v", err)
	}
	// Edit.
	direct, people := directory.JoinModeDirect, directory.JoinNotifyPeople
	got, err := d.UpdateJoinLink(ctx, owner, ws.Slug, link.ID, directory.JoinLinkUpdate{Description: strp("Sales, EMEA"), Mode: &direct, Notify: &people, NotifyPeople: []string{mem.ID}, Teams: []string{}})
	if err != nil || got.Description != "Sales, EMEA" || got.Mode != direct || got.Notify != people || !slices.Equal(got.NotifyPeople, []string{mem.ID}) || len(got.Teams) != 0 {
		t.Fatalf("update = %+v, %v", got, err)
	}
	off := false
	if got, err := d.UpdateJoinLink(ctx, owner, ws.Slug, link.ID, directory.JoinLinkUpdate{Active: &off}); err != nil || got.Active {
		t.Errorf("switch off = %+v, %v", got, err)
	}
	if view, _ := d.JoinLinkByToken(ctx, token); view.Active {
		t.Error("a switched-off link looks active")
	}
	// Revoke: for good, by any link manager.
	if err := d.RevokeJoinLink(ctx, manager, ws.Slug, adminLink.ID); err != nil {
		t.Errorf("manager revokes a leaked admin link: %v", err)
	}
	on := true
	if _, err := d.UpdateJoinLink(ctx, owner, ws.Slug, adminLink.ID, directory.JoinLinkUpdate{Active: &on}); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("reactivate a revoked link: %v", err)
	}
	links, err := d.ListJoinLinks(ctx, owner, ws.Slug)
	if err != nil || len(links) != 3 {
		t.Fatalf("links = %+v, %v", links, err)
	}
	for _, l := range links {
		if l.ID == adminLink.ID && (l.Active || l.RevokedAt == nil) {
			t.Errorf("revoked link = %+v", l)
		}
	}
	types := eventTypes(t, d, owner, ws.Slug)
	if countOf(types, "join_link.created") != 3 || countOf(types, "join_link.updated") != 2 || countOf(types, "join_link.revoked") != 1 {
		t.Errorf("events = %v", types)
	}
}

func testJoinLinkDirect(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	other, otherOwner := newWorkspace(t, d, "globex")
	staff(t, d, owner, ws.Slug)
	team, _ := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Support", Role: strp(directory.RoleManager)})
	link, token, _, err := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "Support wiki", Role: directory.RoleCollaborator,
		Teams: []string{team.ID}, Mode: directory.JoinModeDirect})
	if err != nil {
		t.Fatal(err)
	}
	res, err := d.UseJoinLink(ctx, token, identity("NEW.person@acme.example"))
	if err != nil {
		t.Fatal(err)
	}
	m := res.Member
	if res.Outcome != directory.JoinOutcomeJoined || m == nil || m.Status != directory.StatusActive || m.Role != directory.RoleCollaborator ||
		m.EffectiveRole != directory.RoleManager || m.Source != directory.SourceJoinLink || m.Kind != directory.KindInternal ||
		m.JoinLinkID == nil || *m.JoinLinkID != link.ID || m.Email != "new.person@acme.example" || m.Name != "Someone NEW.person" {
		t.Fatalf("result = %s %+v", res.Outcome, m)
	}
	if teamMembers, _ := d.ListTeamMembers(ctx, owner, ws.Slug, team.ID); len(teamMembers) != 1 || teamMembers[0].ID != m.ID {
		t.Errorf("team members = %+v", teamMembers)
	}
	again, err := d.UseJoinLink(ctx, token, identity("new.person@acme.example"))
	if err != nil || again.Outcome != directory.JoinOutcomeAlreadyMember || again.Member.ID != m.ID {
		t.Errorf("again = %+v, %v", again, err)
	}
	// Someone whose home is another workspace joins as external.
	gus, _ := join(t, d, otherOwner, other.Slug, "gus@globex.example", directory.RoleMember)
	ext, err := d.UseJoinLink(ctx, token, identity("gus@globex.example"))
	if err != nil || ext.Member.Kind != directory.KindExternal || ext.Member.UserID != gus.UserID {
		t.Errorf("external = %+v, %v", ext, err)
	}
	joined, err := d.MembersJoinedVia(ctx, owner, ws.Slug, link.ID)
	if err != nil || len(joined) != 2 {
		t.Errorf("joined via = %+v, %v", joined, err)
	}
	// Managers (and owners and admins) were told, members were not.
	mails := emails(t, d, ws.ID, "member_joined")
	if len(mails) != 2 || !slices.Equal(mails[0].To, []string{"admin@acme.example", "manager@acme.example", "owner@acme.example"}) ||
		mails[0].Data["member_email"] != "new.person@acme.example" || !strings.Contains(mails[0].Data["via"], "Support wiki") {
		t.Errorf("member_joined mails = %+v", mails)
	}
	// Suspended people stay out.
	if _, err := d.SuspendMember(ctx, owner, ws.Slug, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UseJoinLink(ctx, token, identity("new.person@acme.example")); !errors.Is(err, directory.ErrSuspended) {
		t.Errorf("suspended: %v", err)
	}
	// A removed member comes back through the link.
	if err := d.RemoveMember(ctx, owner, ws.Slug, ext.Member.ID); err != nil {
		t.Fatal(err)
	}
	back, err := d.UseJoinLink(ctx, token, identity("gus@globex.example"))
	if err != nil || back.Outcome != directory.JoinOutcomeJoined || back.Member.ID != ext.Member.ID || back.Member.Status != directory.StatusActive {
		t.Errorf("back = %+v, %v", back, err)
	}
	// Inactive and revoked links admit nobody.
	off, on := false, true
	if _, err := d.UpdateJoinLink(ctx, owner, ws.Slug, link.ID, directory.JoinLinkUpdate{Active: &off}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UseJoinLink(ctx, token, identity("late@acme.example")); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("inactive link: %v", err)
	}
	if _, err := d.UpdateJoinLink(ctx, owner, ws.Slug, link.ID, directory.JoinLinkUpdate{Active: &on}); err != nil {
		t.Fatal(err)
	}
	if res, err := d.UseJoinLink(ctx, token, identity("late@acme.example")); err != nil || res.Outcome != directory.JoinOutcomeJoined {
		t.Errorf("re-activated link: %+v %v", res, err)
	}
	if err := d.RevokeJoinLink(ctx, owner, ws.Slug, link.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UseJoinLink(ctx, token, identity("later@acme.example")); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("revoked link: %v", err)
	}
	if _, err := d.UseJoinLink(ctx, "nonsense", identity("later@acme.example")); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	if _, err := d.UseJoinLink(ctx, token, directory.VerifiedIdentity{Email: "not an address"}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("bad email: %v", err)
	}
}

func testJoinLinkInvitedPersonKeepsHigherRole(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	out, _ := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "boss@acme.example", Role: directory.RoleAdmin})
	_, token, _, _ := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "all hands", Mode: directory.JoinModeDirect})
	res, err := d.UseJoinLink(ctx, token, identity("boss@acme.example"))
	if err != nil || res.Member.ID != out[0].MembershipID || res.Member.Role != directory.RoleAdmin || res.Member.Status != directory.StatusActive {
		t.Errorf("invited admin through a member link = %+v, %v", res.Member, err)
	}
}

// testJoinLinkSeatLimitConcurrent: people using a direct link at once never
// take more seats than the limit.
func testJoinLinkSeatLimitConcurrent(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	limit := 6
	if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{SeatLimit: &limit}); err != nil {
		t.Fatal(err)
	}
	_, token, _, _ := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "all", Mode: directory.JoinModeDirect, Notify: directory.JoinNotifyNobody})
	var wg sync.WaitGroup
	var mu sync.Mutex
	joined, refused := 0, 0
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := d.UseJoinLink(ctx, token, identity(fmt.Sprintf("p%d@out.example", i)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				joined++
			case errors.Is(err, directory.ErrSeatLimit):
				refused++
			default:
				t.Errorf("join %d: %v", i, err)
			}
		}(i)
	}
	wg.Wait()
	seats, _ := d.SeatUsage(ctx, owner, ws.Slug)
	if joined != limit-1 || refused != 24-joined || seats.Used != limit {
		t.Errorf("joined %d, refused %d, seats %+v; limit %d", joined, refused, seats, limit)
	}
}

// testJoinLinkPageOutlivesItsRole: a join link may name a custom role that
// is deleted later (nobody holds it yet); its page then shows the role's
// key instead of failing.
func testJoinLinkPageOutlivesItsRole(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	if _, err := d.SaveCustomRole(ctx, owner, ws.Slug, directory.CustomRoleRequest{Key: "recruiter", Name: "Recruiter", Permissions: []directory.Permission{directory.PermMembersRead}}); err != nil {
		t.Fatal(err)
	}
	_, token, _, err := d.CreateJoinLink(ctx, owner, ws.Slug, directory.JoinLinkRequest{Description: "Recruiting", Role: "recruiter"})
	if err != nil {
		t.Fatal(err)
	}
	if view, err := d.JoinLinkByToken(ctx, token); err != nil || view.Role != "recruiter" || view.RoleName != "Recruiter" {
		t.Fatalf("view = %+v, %v", view, err)
	}
	if err := d.DeleteCustomRole(ctx, owner, ws.Slug, "recruiter"); err != nil {
		t.Fatal(err)
	}
	if view, err := d.JoinLinkByToken(ctx, token); err != nil || view.Role != "recruiter" || view.RoleName != "recruiter" || view.WorkspaceSlug != ws.Slug {
		t.Errorf("view after the role is deleted = %+v, %v", view, err)
	}
}

// emails returns the queued emails of a workspace with a template, oldest
// first.
func emails(t *testing.T, d *directory.Directory, wsID, template string) []directory.EmailRequest {
	t.Helper()
	rows, err := d.OutboxOf(context.Background(), wsID, directory.OutboxEmail, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []directory.EmailRequest
	for i := len(rows) - 1; i >= 0; i-- {
		var req directory.EmailRequest
		if err := json.Unmarshal([]byte(rows[i].Payload), &req); err != nil {
			t.Fatal(err)
		}
		if req.Template == template {
			out = append(out, req)
		}
	}
	return out
}

func identity(email string) directory.VerifiedIdentity {
	return directory.VerifiedIdentity{Email: email, Name: "Someone " + strings.Split(email, "@")[0]}
}

// staff makes an admin, a manager and a member in ws.
func staff(t *testing.T, d *directory.Directory, owner directory.Actor, ws string) (admin, manager, member directory.Actor, memberM directory.Member) {
	t.Helper()
	_, admin = join(t, d, owner, ws, "admin@"+ws+".example", directory.RoleAdmin)
	_, manager = join(t, d, owner, ws, "manager@"+ws+".example", directory.RoleManager)
	memberM, member = join(t, d, owner, ws, "member@"+ws+".example", directory.RoleMember)
	return
}
