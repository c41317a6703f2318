package suite

import (
	"context"
	"errors"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// importPlanTests: the preview of an import (what each row would do,
// where each column goes) and what the Invite page asks before sending.
var importPlanTests = []test{
	{"PlanMatchesImport", testPlanMatchesImport},
	{"PlanColumns", testPlanColumns},
	{"PlanPermissions", testPlanPermissions},
	{"LookupAndMainAdmin", testLookupAndMainAdmin},
}

// counts is how many users, memberships, invitations and events exist:
// the preview must change none of them.
func counts(t *testing.T, d *directory.Directory) [4]int {
	t.Helper()
	db := directorytest.DB(t, d)
	var out [4]int
	for i, table := range []string{"users", "memberships", "invitations", "events"} {
		if err := db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func testPlanMatchesImport(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Acme", Slug: "acme", OwnerEmail: "owner@acme.example", SeatLimit: new(5)})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := d.AcceptInvitation(ctx, owner.Token, directory.VerifiedIdentity{Email: "owner@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	actor := directory.Actor{Kind: directory.ActorMember, ID: acc.Member.UserID, Source: "api"}
	join(t, d, actor, ws.Slug, "already@acme.example", directory.RoleMember)
	if _, err := d.Invite(ctx, actor, ws.Slug, directory.InviteRequest{Text: "pending@acme.example", Role: directory.RoleMember}); err != nil {
		t.Fatal(err)
	}
	// Ext belongs to globex: acme would link them as external.
	_, globexOwner := newWorkspace(t, d, "globex")
	join(t, d, globexOwner, "globex", "ext@globex.example", directory.RoleMember)

	// 3 seats are used of 5: two more people may come in.
	req := directory.ImportRequest{Rows: [][]string{
		{"Email", "Name", "Role"},
		{"new.person@acme.example", "", ""},
		{"ext@globex.example", "Ext", ""},
		{"already@acme.example"},
		{"pending@acme.example"},
		{"NEW.PERSON@acme.example"},
		{"not-an-address"},
		{"wiz@acme.example", "", "wizard"},
		{"late@acme.example"},
	}, Role: directory.RoleMember}
	before := counts(t, d)
	plan, err := d.PlanImport(ctx, actor, ws.Slug, req)
	if err != nil {
		t.Fatal(err)
	}
	if after := counts(t, d); after != before {
		t.Fatalf("the preview wrote: users, memberships, invitations, events %v → %v", before, after)
	}
	want := []struct {
		row    int
		status directory.OutcomeStatus
		kind   string
	}{
		{2, directory.OutcomeInvited, directory.KindInternal},
		{3, directory.OutcomeInvited, directory.KindExternal},
		{4, directory.OutcomeAlreadyMember, directory.KindInternal},
		{5, directory.OutcomeResent, directory.KindInternal},
		{6, directory.OutcomeDuplicate, ""},
		{7, directory.OutcomeInvalidAddress, ""},
		{8, directory.OutcomeInvalid, ""},
		{9, directory.OutcomeSeatLimit, ""},
	}
	if len(plan.Rows) != len(want) {
		t.Fatalf("plan rows = %+v", plan.Rows)
	}
	for i, w := range want {
		r := plan.Rows[i]
		if r.Row != w.row || r.Status != w.status || (w.kind != "" && r.Kind != w.kind) {
			t.Errorf("plan row %d = %+v, want row %d %s %s", i, r, w.row, w.status, w.kind)
		}
		if w.status != directory.OutcomeInvited && w.status != directory.OutcomeAlreadyMember && w.status != directory.OutcomeResent && r.Reason == "" {
			t.Errorf("plan row %d (%s) says no reason", r.Row, r.Status)
		}
	}
	if plan.Rows[0].Name != "New Person" {
		t.Errorf("the name guessed for a new person = %q", plan.Rows[0].Name)
	}
	if plan.SeatLimit == nil || *plan.SeatLimit != 5 || plan.SeatsUsed != 3 || plan.SeatsTaken != 2 {
		t.Errorf("seats: limit %v, used %d, taken %d; want 5, 3, 2", plan.SeatLimit, plan.SeatsUsed, plan.SeatsTaken)
	}

	// The import does what the preview said, row by row.
	out, err := d.ImportInvitations(ctx, actor, ws.Slug, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(plan.Rows) {
		t.Fatalf("import answered %d rows, the plan %d", len(out), len(plan.Rows))
	}
	for i, o := range out {
		if o.Row != plan.Rows[i].Row || o.Status != plan.Rows[i].Status {
			t.Errorf("row %d: import %s, plan %s", o.Row, o.Status, plan.Rows[i].Status)
		}
		if o.Status == directory.OutcomeInvited && o.Kind != plan.Rows[i].Kind {
			t.Errorf("row %d: import kind %s, plan %s", o.Row, o.Kind, plan.Rows[i].Kind)
		}
	}
	// A second preview sees the people now invited.
	again, err := d.PlanImport(ctx, actor, ws.Slug, req)
	if err != nil {
		t.Fatal(err)
	}
	if again.Rows[0].Status != directory.OutcomeResent || again.Rows[7].Status != directory.OutcomeSeatLimit || again.SeatsUsed != 5 {
		t.Errorf("second preview: %+v (used %d)", again.Rows, again.SeatsUsed)
	}
}

func testPlanColumns(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	plan, err := d.PlanImport(ctx, owner, ws.Slug, directory.ImportRequest{Rows: [][]string{
		{"Staff list"},
		{"\ufeffE-mail", "Full Name", "Gender", "", "Employee_No", ""},
		{"jane@acme.example", "Jane Doe", "F", "scribble", "E1"},
	}, Role: directory.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	if plan.HeaderRow != 2 {
		t.Errorf("header row = %d, want 2", plan.HeaderRow)
	}
	want := []directory.ImportColumn{
		{Number: 1, Header: "E-mail", Field: "email"},
		{Number: 2, Header: "Full Name", Field: "name"},
		{Number: 3, Header: "Gender", Field: directory.ColumnProfile},
		{Number: 4, Header: "", Field: directory.ColumnIgnored},
		{Number: 5, Header: "Employee_No", Field: directory.ColumnProfile},
	}
	if len(plan.Columns) != len(want) {
		t.Fatalf("columns = %+v", plan.Columns)
	}
	for i, w := range want {
		if plan.Columns[i] != w {
			t.Errorf("column %d = %+v, want %+v", i, plan.Columns[i], w)
		}
	}
	r := plan.Rows[0]
	if r.Name != "Jane Doe" || r.Profile["Gender"] != "F" || r.Profile["Employee_No"] != "E1" || len(r.Profile) != 2 {
		t.Errorf("row = %+v", r)
	}
	// A table with no email column is refused as a whole, as the import
	// refuses it.
	if _, err := d.PlanImport(ctx, owner, ws.Slug, directory.ImportRequest{Rows: [][]string{{"who"}, {"x"}}, Role: "member"}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("no email column: %v", err)
	}
}

func testPlanPermissions(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, manager := join(t, d, owner, ws.Slug, "manager@acme.example", directory.RoleManager)
	_, member := join(t, d, owner, ws.Slug, "member@acme.example", directory.RoleMember)
	_, admin := join(t, d, owner, ws.Slug, "admin@acme.example", directory.RoleAdmin)
	req := directory.ImportRequest{Rows: [][]string{{"email", "role"}, {"a@acme.example", ""}, {"b@acme.example", "owner"}}, Role: directory.RoleMember}
	for name, a := range map[string]directory.Actor{"manager": manager, "member": member} {
		if _, err := d.PlanImport(ctx, a, ws.Slug, req); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("%s: err = %v, want ErrForbidden", name, err)
		}
	}
	// An admin may invite, but not hand out owner: that row alone would
	// be refused, as the import refuses it.
	plan, err := d.PlanImport(ctx, admin, ws.Slug, req)
	if err != nil {
		t.Fatal(err)
	}
	if plan.Rows[0].Status != directory.OutcomeInvited || plan.Rows[1].Status != directory.OutcomeNotPermitted {
		t.Errorf("admin's plan = %+v", plan.Rows)
	}
	_, globexOwner := newWorkspace(t, d, "globex")
	if _, err := d.PlanImport(ctx, globexOwner, ws.Slug, req); err == nil {
		t.Error("another workspace's owner planned an import into acme")
	}
}

func testLookupAndMainAdmin(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	m, _ := join(t, d, owner, ws.Slug, "ada@acme.example", directory.RoleAdmin)
	look, err := d.LookupPerson(ctx, owner, ws.Slug, "ADA@acme.example")
	if err != nil || look.Status != directory.StatusActive || look.MembershipID != m.ID {
		t.Fatalf("lookup of a member = %+v, %v (want membership %s)", look, err, m.ID)
	}
	main, err := d.MainAdmin(ctx, owner, ws.Slug)
	if err != nil || main == nil || main.Email != "owner@acme.example" {
		t.Fatalf("main admin = %+v, %v", main, err)
	}
	// Inviting a main admin replaces the current one on acceptance.
	out, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "next@acme.example", Role: directory.RoleAdmin, MainAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	if main, _ := d.MainAdmin(ctx, owner, ws.Slug); main == nil || main.Email != "owner@acme.example" {
		t.Errorf("the main admin changed before the invitation was accepted: %+v", main)
	}
	if _, err := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "next@acme.example"}); err != nil {
		t.Fatal(err)
	}
	if main, _ := d.MainAdmin(ctx, owner, ws.Slug); main == nil || main.Email != "next@acme.example" {
		t.Errorf("main admin after acceptance = %+v", main)
	}
	_, member := join(t, d, owner, ws.Slug, "mo@acme.example", directory.RoleMember)
	if _, err := d.MainAdmin(ctx, member, ws.Slug); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("a member asked for the main admin: %v", err)
	}
}
