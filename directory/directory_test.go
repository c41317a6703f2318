package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

var op = directory.Operator()

// newWorkspace creates a workspace whose owner has accepted, and returns
// it with an Actor for that owner.
func newWorkspace(t *testing.T, d *directory.Directory, slug string) (directory.Workspace, directory.Actor) {
	t.Helper()
	ctx := context.Background()
	ws, owner, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Work " + slug, Slug: slug, OwnerEmail: "owner@" + slug + ".example"})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	acc, err := d.AcceptInvitation(ctx, owner.Token, directory.VerifiedIdentity{Email: "owner@" + slug + ".example", Name: "Olivia Owner"})
	if err != nil {
		t.Fatalf("owner accepts: %v", err)
	}
	return ws, directory.Actor{Kind: directory.ActorMember, ID: acc.Member.UserID, Name: "Olivia Owner", Source: "api"}
}

// join invites email with role and accepts, returning the member and an
// actor for them.
func join(t *testing.T, d *directory.Directory, by directory.Actor, ws, email, role string) (directory.Member, directory.Actor) {
	t.Helper()
	ctx := context.Background()
	out, err := d.Invite(ctx, by, ws, directory.InviteRequest{Text: email, Role: role})
	if err != nil || out[0].Status != directory.OutcomeInvited {
		t.Fatalf("invite %s: %v %+v", email, err, out)
	}
	acc, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: email})
	if err != nil {
		t.Fatalf("accept %s: %v", email, err)
	}
	return acc.Member, directory.Actor{Kind: directory.ActorMember, ID: acc.Member.UserID, Source: "api"}
}

func TestWorkspaceCreation(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Acme Corp.", OwnerEmail: " Owner@ACME.example "})
		if err != nil {
			t.Fatal(err)
		}
		if ws.Slug != "acme-corp" {
			t.Errorf("slug = %q, want acme-corp", ws.Slug)
		}
		if owner.Status != directory.OutcomeInvited || owner.Email != "owner@acme.example" || !strings.HasPrefix(owner.Link, "http://127.0.0.1:8080/invite/") {
			t.Errorf("owner outcome = %+v", owner)
		}
		if _, _, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Acme Corp", OwnerEmail: "x@y.example"}); !errors.Is(err, directory.ErrConflict) {
			t.Errorf("duplicate slug: err = %v, want ErrConflict", err)
		}
		if _, _, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Bad", OwnerEmail: "not-an-email"}); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("bad owner email: err = %v, want ErrInvalid", err)
		}
		member := directory.Actor{Kind: directory.ActorMember, ID: "nobody"}
		if _, _, err := d.CreateWorkspace(ctx, member, directory.CreateWorkspaceRequest{Name: "Other", OwnerEmail: "a@b.example"}); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("non-operator create: err = %v, want ErrForbidden", err)
		}
		acc, err := d.AcceptInvitation(ctx, owner.Token, directory.VerifiedIdentity{Email: "owner@acme.example"})
		if err != nil {
			t.Fatal(err)
		}
		if acc.Member.Role != directory.RoleOwner || acc.Member.Status != directory.StatusActive || !acc.Member.MainAdmin || acc.Member.Kind != directory.KindInternal {
			t.Errorf("owner member = %+v", acc.Member)
		}
		if acc.Member.Name != "Owner" {
			t.Errorf("guessed name = %q, want Owner", acc.Member.Name)
		}
	})
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{" Jane.Doe@Example.COM ", "jane.doe@example.com", true},
		{"ÉMILE@exemple.fr", "émile@exemple.fr", true},
		{"Jane <jane@x.example>", "", false},
		{"jane@localhost", "", false},
		{"jane", "", false},
		{"", "", false},
		{"a b@x.example", "", false},
	}
	for _, tt := range tests {
		got, err := directory.NormalizeEmail(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if got := directory.GuessName("jane.doe@x.example"); got != "Jane Doe" {
		t.Errorf("GuessName = %q", got)
	}
	if got := directory.ParseAddressList("a@x.example, b@x.example;c@x.example\nJane Doe <d@x.example>  e@x.example"); strings.Join(got, " ") != "a@x.example b@x.example c@x.example d@x.example e@x.example" {
		t.Errorf("ParseAddressList = %q", got)
	}
}

func TestInviteOutcomes(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		join(t, d, owner, ws.Slug, "already@acme.example", directory.RoleMember)
		out, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{
			Text: "jane.doe@acme.example; not-an-address, already@acme.example\nJANE.DOE@acme.example",
			Role: directory.RoleMember,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []directory.OutcomeStatus{directory.OutcomeInvited, directory.OutcomeInvalidAddress, directory.OutcomeAlreadyMember, directory.OutcomeDuplicate}
		if len(out) != len(want) {
			t.Fatalf("outcomes = %+v", out)
		}
		for i, w := range want {
			if out[i].Status != w {
				t.Errorf("outcome %d (%s) = %s, want %s", i, out[i].Email, out[i].Status, w)
			}
		}
		// Inviting again while pending re-sends with a new link; the old one dies.
		again, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "jane.doe@acme.example", Role: directory.RoleMember})
		if err != nil || again[0].Status != directory.OutcomeResent || again[0].Token == out[0].Token {
			t.Fatalf("re-invite = %+v, %v", again, err)
		}
		if _, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "jane.doe@acme.example"}); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("old link: err = %v, want ErrNotFound", err)
		}
		// No role, unknown role: the request as a whole fails.
		if _, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "x@acme.example"}); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("no role: %v", err)
		}
		if _, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "x@acme.example", Role: "wizard"}); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("unknown role: %v", err)
		}
		// The invited person is an invited member with a guessed name and
		// an email in the outbox.
		page, err := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Status: directory.StatusInvited})
		if err != nil || len(page.Members) != 1 || page.Members[0].Name != "Jane Doe" {
			t.Fatalf("invited members = %+v, %v", page.Members, err)
		}
		mails, err := d.OutboxOf(ctx, ws.ID, directory.OutboxEmail, 10)
		if err != nil {
			t.Fatal(err)
		}
		var templates []string
		for _, m := range mails {
			var req directory.EmailRequest
			json.Unmarshal([]byte(m.Payload), &req)
			if req.To[0] == "jane.doe@acme.example" {
				templates = append(templates, req.Template)
			}
		}
		if strings.Join(templates, ",") != "invitation_resend,invitation" {
			t.Errorf("emails to jane = %v", templates)
		}
	})
}

func TestInviteWithoutEmailAndAccept(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		no := false
		grants := json.RawMessage(`[{"type":"reviewer","item":"X"}]`)
		out, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "quiet@acme.example", Role: directory.RoleManager, SendEmail: &no, Grants: grants})
		if err != nil || out[0].Status != directory.OutcomeInvited {
			t.Fatalf("%+v %v", out, err)
		}
		mails, _ := d.OutboxOf(ctx, ws.ID, directory.OutboxEmail, 10)
		for _, m := range mails {
			if strings.Contains(m.Payload, "quiet@acme.example") {
				t.Errorf("an email was queued despite send_email=false: %s", m.Payload)
			}
		}
		view, err := d.InvitationByToken(ctx, out[0].Token)
		if err != nil || view.WorkspaceName != ws.Name || view.RoleName != "Manager" || view.InviterName != "Olivia Owner" || view.Status != "pending" {
			t.Errorf("view = %+v, %v", view, err)
		}
		if _, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "someone.else@acme.example"}); !errors.Is(err, directory.ErrEmailMismatch) {
			t.Errorf("mismatched email: %v", err)
		}
		acc, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "QUIET@acme.example", Name: "Quinn Quiet"})
		if err != nil {
			t.Fatal(err)
		}
		if acc.Member.Status != directory.StatusActive || acc.Member.Role != directory.RoleManager || string(acc.Grants) != string(grants) {
			t.Errorf("acceptance = %+v", acc)
		}
		if _, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "quiet@acme.example"}); !errors.Is(err, directory.ErrUsed) {
			t.Errorf("second use: %v, want ErrUsed", err)
		}
		events, err := d.ListEvents(ctx, owner, ws.Slug, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range events {
			if e.Type == "member.activated" && e.SubjectID == acc.Member.ID {
				var p struct {
					Grants json.RawMessage `json:"grants"`
				}
				json.Unmarshal(e.Payload, &p)
				found = strings.Contains(string(p.Grants), `"reviewer"`)
			}
		}
		if !found {
			t.Errorf("member.activated event lacks the grants: %+v", events)
		}
	})
}

func TestInvitationExpiryResendRevoke(t *testing.T) {
	clock := directorytest.NewClock()
	directorytest.RunWith(t, directory.Options{Now: clock.Now}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		out, _ := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "late@acme.example", Role: directory.RoleMember})
		clock.Advance(8 * 24 * time.Hour)
		if _, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "late@acme.example"}); !errors.Is(err, directory.ErrExpired) {
			t.Fatalf("expired: %v", err)
		}
		expired, _ := d.ListInvitations(ctx, owner, ws.Slug, directory.InvitationExpired, 0)
		if len(expired) != 1 {
			t.Fatalf("expired list = %+v", expired)
		}
		re, err := d.ResendInvitation(ctx, owner, ws.Slug, out[0].InvitationID)
		if err != nil || re.Status != directory.OutcomeResent {
			t.Fatal(re, err)
		}
		if _, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "late@acme.example"}); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("old link after resend: %v", err)
		}
		if err := d.RevokeInvitation(ctx, owner, ws.Slug, out[0].InvitationID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.AcceptInvitation(ctx, re.Token, directory.VerifiedIdentity{Email: "late@acme.example"}); !errors.Is(err, directory.ErrRevoked) {
			t.Errorf("revoked link: %v", err)
		}
		seats, _ := d.SeatUsage(ctx, owner, ws.Slug)
		if seats.Invited != 0 {
			t.Errorf("a revoked invitation still holds a seat: %+v", seats)
		}
		if err := d.RevokeInvitation(ctx, owner, ws.Slug, out[0].InvitationID); !errors.Is(err, directory.ErrConflict) {
			t.Errorf("revoke twice: %v", err)
		}
	})
}

func TestInvitePermissions(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		_, admin := join(t, d, owner, ws.Slug, "admin@acme.example", directory.RoleAdmin)
		_, manager := join(t, d, owner, ws.Slug, "manager@acme.example", directory.RoleManager)
		_, member := join(t, d, owner, ws.Slug, "member@acme.example", directory.RoleMember)
		invite := func(a directory.Actor, role string) error {
			_, err := d.Invite(ctx, a, ws.Slug, directory.InviteRequest{Text: fmt.Sprintf("new-%d@acme.example", time.Now().UnixNano()), Role: role})
			return err
		}
		if err := invite(admin, directory.RoleMember); err != nil {
			t.Errorf("admin invites member: %v", err)
		}
		if err := invite(admin, directory.RoleOwner); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("admin invites owner: %v, want ErrForbidden", err)
		}
		if err := invite(manager, directory.RoleMember); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("manager invites by default: %v, want ErrForbidden", err)
		}
		if err := invite(member, directory.RoleMember); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("member invites: %v, want ErrForbidden", err)
		}
		// Owners let managers invite; managers cannot hand out admin.
		if _, err := d.UpdateWorkspaceSettings(ctx, admin, ws.Slug, directory.WorkspaceSettings{InviteRoles: []string{"owner", "admin", "manager"}}); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("admin changes settings: %v", err)
		}
		if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{InviteRoles: []string{"admin", "manager"}}); err != nil {
			t.Fatal(err)
		}
		if err := invite(manager, directory.RoleMember); err != nil {
			t.Errorf("allowed manager invites: %v", err)
		}
		if err := invite(manager, directory.RoleAdmin); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("manager grants admin: %v", err)
		}
		// Owners restrict inviting to owners only.
		if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{InviteRoles: []string{}}); err != nil {
			t.Fatal(err)
		}
		if err := invite(admin, directory.RoleMember); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("restricted admin invites: %v", err)
		}
	})
}

func TestSeatLimit(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		three := 3
		if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{SeatLimit: &three}); err != nil {
			t.Fatal(err)
		}
		out, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "a@acme.example b@acme.example c@acme.example", Role: directory.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		got := []directory.OutcomeStatus{out[0].Status, out[1].Status, out[2].Status}
		if got[0] != directory.OutcomeInvited || got[1] != directory.OutcomeInvited || got[2] != directory.OutcomeSeatLimit {
			t.Fatalf("outcomes = %v", got)
		}
		if !strings.Contains(out[2].Error, "3") {
			t.Errorf("seat error does not name the limit: %q", out[2].Error)
		}
		seats, _ := d.SeatUsage(ctx, owner, ws.Slug)
		if seats.Used != 3 || seats.Active != 1 || seats.Invited != 2 || !seats.Enforced {
			t.Errorf("seats = %+v", seats)
		}
		// Admins were told.
		mails, _ := d.OutboxOf(ctx, ws.ID, directory.OutboxEmail, 20)
		told := false
		for _, m := range mails {
			told = told || strings.Contains(m.Payload, `"seat_limit_reached"`) && strings.Contains(m.Payload, "owner@acme.example")
		}
		if !told {
			t.Error("owner was not notified of the seat limit")
		}
		// Suspending frees a seat; reactivating needs one.
		m, _ := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "a@acme.example"})
		if _, err := d.SuspendMember(ctx, owner, ws.Slug, m.Member.ID); err != nil {
			t.Fatal(err)
		}
		more, _ := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "d@acme.example", Role: directory.RoleMember})
		if more[0].Status != directory.OutcomeInvited {
			t.Fatalf("after suspension: %+v", more)
		}
		if _, err := d.ReactivateMember(ctx, owner, ws.Slug, m.Member.ID); !errors.Is(err, directory.ErrSeatLimit) {
			t.Errorf("reactivate over the limit: %v", err)
		}
		// A trial lifts the limit until it ends.
		trial := time.Now().Add(24 * time.Hour)
		if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{TrialEndsAt: &trial}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ReactivateMember(ctx, owner, ws.Slug, m.Member.ID); err != nil {
			t.Errorf("reactivate during a trial: %v", err)
		}
	})
}

// TestSeatLimitConcurrent proves concurrent grants never exceed the limit.
func TestSeatLimitConcurrent(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		limit := 10
		if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{SeatLimit: &limit}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		invited := 0
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				out, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: fmt.Sprintf("p%d@acme.example", i), Role: directory.RoleMember})
				if err != nil {
					t.Errorf("invite %d: %v", i, err)
					return
				}
				if out[0].Status == directory.OutcomeInvited {
					mu.Lock()
					invited++
					mu.Unlock()
				}
			}(i)
		}
		wg.Wait()
		seats, err := d.SeatUsage(ctx, owner, ws.Slug)
		if err != nil {
			t.Fatal(err)
		}
		if seats.Used != limit || invited != limit-1 {
			t.Errorf("used %d seats with %d invited; limit %d", seats.Used, invited, limit)
		}
	})
}

func TestRolesAndOwners(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
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
	})
}

func TestMainAdmin(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
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
	})
}

func TestExternalMembers(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
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
	})
}

func TestListMembersFiltersAndPages(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
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
	})
}

func TestRemovedMemberCanBeReinvited(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
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
	})
}
