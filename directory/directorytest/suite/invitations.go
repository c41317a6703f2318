package suite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// invitationTests: inviting, accepting, expiry, resending and revoking,
// who may invite, and importing invitations from a file.
var invitationTests = []test{
	{"InviteOutcomes", testInviteOutcomes},
	{"InviteWithoutEmailAndAccept", testInviteWithoutEmailAndAccept},
	{"InvitationExpiryResendRevoke", testInvitationExpiryResendRevoke},
	{"InvitePermissions", testInvitePermissions},
	{"ImportInvitations", testImportInvitations},
}

func testInviteOutcomes(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
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
}

func testInviteWithoutEmailAndAccept(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
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
}

func testInvitationExpiryResendRevoke(t *testing.T, newDirectory NewDirectory) {
	clock := directorytest.NewClock()
	d := newDirectory(t, directory.Options{Now: clock.Now})
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
}

func testInvitePermissions(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
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
}

func testImportInvitations(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	join(t, d, owner, ws.Slug, "already@acme.example", directory.RoleMember)
	if _, err := directorytest.DB(t, d).ExecContext(ctx, directorytest.DB(t, d).Rebind(`INSERT INTO teams (id, workspace_id, name, name_norm, created_at, updated_at) VALUES ('team-sales', ?, 'Sales', 'sales', ?, ?)`),
		ws.ID, ws.CreatedAt, ws.CreatedAt); err != nil {
		t.Fatal(err)
	}
	req := directory.ImportRequest{
		Rows: [][]string{
			{"People to invite"}, // a title above the header
			{"\ufeffE-mail", "Full Name", "Role", "Teams", "Gender", "", "Employee_No"},
			{"jane@acme.example", "Jane Doe", "", "Sales", "F", "ignored", "E1"},
			{"bob@acme.example", "Bob", "Admin", "", "", "", "E2"},
			{"", "", "", "", "", "", ""}, // blank rows are skipped
			{"not-an-address", "X"},
			{"JANE@acme.example", "Jane again"},
			{"already@acme.example"},
			{"carl@acme.example", "Carl", "wizard"},
			{"dora@acme.example", "Dora", "", "Marketing"},
			{"eve@acme.example", "Eve", "owner"},
			{"fay@acme.example", strings.Repeat("n", 201)},
		},
		Role: directory.RoleMember,
	}
	_, manager := join(t, d, owner, ws.Slug, "manager@acme.example", directory.RoleManager)
	if _, err := d.ImportInvitations(ctx, manager, ws.Slug, req); !errors.Is(err, directory.ErrForbidden) {
		// managers may not invite until the owners allow their role
		t.Errorf("manager import: err = %v, want ErrForbidden", err)
	}
	out, err := d.ImportInvitations(ctx, owner, ws.Slug, req)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		row    int
		email  string
		status directory.OutcomeStatus
	}{
		{3, "jane@acme.example", directory.OutcomeInvited},
		{4, "bob@acme.example", directory.OutcomeInvited},
		{6, "not-an-address", directory.OutcomeInvalidAddress},
		{7, "jane@acme.example", directory.OutcomeDuplicate},
		{8, "already@acme.example", directory.OutcomeAlreadyMember},
		{9, "carl@acme.example", directory.OutcomeInvalid},
		{10, "dora@acme.example", directory.OutcomeInvalid},
		{11, "eve@acme.example", directory.OutcomeInvited},
		{12, "fay@acme.example", directory.OutcomeInvalid},
	}
	if len(out) != len(want) {
		t.Fatalf("got %d outcomes: %+v", len(out), out)
	}
	for i, w := range want {
		if out[i].Row != w.row || out[i].Email != w.email || out[i].Status != w.status {
			t.Errorf("row %d: got %+v, want %+v", i, out[i], w)
		}
		if out[i].Status != directory.OutcomeInvited && out[i].Status != directory.OutcomeAlreadyMember && out[i].Error == "" {
			t.Errorf("row %d: %s without an explanation", out[i].Row, out[i].Status)
		}
	}
	if !strings.Contains(out[5].Error, `"wizard"`) || !strings.Contains(out[6].Error, `"Marketing"`) || !strings.Contains(out[3].Error, "row 3") {
		t.Errorf("errors do not say what is wrong: %q / %q / %q", out[5].Error, out[6].Error, out[3].Error)
	}

	// Roles, teams and the profile columns landed.
	page, err := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Status: directory.StatusInvited})
	if err != nil {
		t.Fatal(err)
	}
	roles := map[string]string{}
	for _, m := range page.Members {
		roles[m.Email] = m.Role
	}
	if roles["jane@acme.example"] != "member" || roles["bob@acme.example"] != "admin" || roles["eve@acme.example"] != "owner" {
		t.Errorf("roles = %v", roles)
	}
	invs, err := d.ListInvitations(ctx, owner, ws.Slug, directory.InvitationPending, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range invs {
		if inv.Email == "jane@acme.example" && (len(inv.Teams) != 1 || inv.Teams[0] != "team-sales") {
			t.Errorf("jane's teams = %v", inv.Teams)
		}
	}
	var profile string
	if err := directorytest.DB(t, d).GetContext(ctx, &profile, directorytest.DB(t, d).Rebind(`SELECT profile FROM users WHERE email_norm = ?`), "jane@acme.example"); err != nil {
		t.Fatal(err)
	}
	var prof map[string]string
	json.Unmarshal([]byte(profile), &prof)
	if len(prof) != 2 || prof["Gender"] != "F" || prof["Employee_No"] != "E1" {
		t.Errorf("profile = %v", prof)
	}

	// Whole-file errors.
	bad := []directory.ImportRequest{
		{Rows: [][]string{{"name", "role"}, {"x", "member"}}, Role: "member"},
		{Rows: [][]string{{"email", "Email"}, {"a@x.example", "b@x.example"}}, Role: "member"},
		{Rows: [][]string{{"email", "Gender", "gender"}, {"a@x.example"}}, Role: "member"},
		{Rows: [][]string{{"email"}, {" "}}, Role: "member"},
		{Rows: [][]string{{"email"}, {"a@x.example"}}, Role: "nope"},
		{Rows: [][]string{{"email"}, {"a@x.example"}}, Role: "member", Teams: []string{"nope"}},
		{Rows: [][]string{}, Role: "member"},
	}
	for i, req := range bad {
		if _, err := d.ImportInvitations(ctx, owner, ws.Slug, req); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("bad import %d: err = %v, want ErrInvalid", i, err)
		}
	}
	many := directory.ImportRequest{Rows: [][]string{{"email"}}, Role: "member"}
	for i := range directory.MaxImportRows + 1 {
		many.Rows = append(many.Rows, []string{fmt.Sprintf("p%d@x.example", i)})
	}
	if _, err := d.ImportInvitations(ctx, owner, ws.Slug, many); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("too many rows: err = %v, want ErrInvalid", err)
	}
}
