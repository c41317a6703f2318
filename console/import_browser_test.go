package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/web/browsertest"
)

// staffWorkbook writes an .xlsx with a good row, someone of another
// workspace, a duplicate, an invalid address and a member already here.
func staffWorkbook(t *testing.T) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{
		{"Email", "Name", "Department", "", "Employee number"},
		{"ada.lovelace@acme.example", "Ada Lovelace", "Research", "", "E-1"},
		{"gus@globex.example", "", "Partners", "", ""},
		{"ADA.LOVELACE@acme.example", "Ada again", "", "", ""},
		{"not-an-address", "Typo Person", "", "scribbled", ""},
		{"already@acme.example", "", "", "", ""},
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "staff.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrowserPeopleJourneys walks the ways of adding people in headless
// Chromium: import an Excel file through its preview and see the seats
// left drop; look up a new person, one of another workspace and a member;
// invite someone as main admin with an edited name and see the previous
// main admin replaced once they accept; edit a join link.
func TestBrowserPeopleJourneys(t *testing.T) {
	chromium := browsertest.Path(t)
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", ptr(10))
		r.member(owner, "acme", "already@acme.example", directory.RoleMember)
		globex := r.workspace("globex", "globex.example", nil)
		r.member(globex, "globex", "gus@globex.example", directory.RoleMember)
		r.member(globex, "globex", "gil@globex.example", directory.RoleMember)
		team, err := d.CreateTeam(ctx, owner, "acme", directory.TeamRequest{Name: "Contractors"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateTeam(ctx, owner, "acme", directory.TeamRequest{Name: "Research"}); err != nil {
			t.Fatal(err)
		}
		link, _, _, err := d.CreateJoinLink(ctx, owner, "acme", directory.JoinLinkRequest{Description: "Contractors 2026", Role: directory.RoleMember, Teams: []string{team.ID}})
		if err != nil {
			t.Fatal(err)
		}
		workbook := staffWorkbook(t)

		b := browsertest.New(t, chromium)
		step, read, shoot := b.Step, b.Read, b.Shoot
		seats := func() string { return read("seats", chromedp.Text(chromedp.ID("seats"))) }

		r.queue("owner@acme.example")
		step("sign in", signInAt(r.srv.URL+"/workspaces/acme/members/import", "owner@acme.example")...)

		// Import.
		step("open the import from the Invite page",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members/invite"),
			chromedp.Click(chromedp.CSS(`a[href="/workspaces/acme/members/import"]`)),
			chromedp.WaitVisible(chromedp.ID("file")))
		if s := seats(); s != "8 seats left of 10" {
			t.Fatalf("before the import the page says %q", s)
		}
		step("upload the workbook",
			chromedp.SetUploadFiles(chromedp.ID("file"), []string{workbook}),
			chromedp.SetValue(chromedp.ID("role"), "member"),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/members/import"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("preview-rows")))
		shoot("import-preview")
		rows := read("preview rows", chromedp.Text(chromedp.ID("preview-rows")))
		for _, s := range []string{"Will be invited", "Will be linked as external", "Listed twice", "Invalid address", "Already a member", "Ada Lovelace"} {
			if !strings.Contains(rows, s) {
				t.Errorf("the preview lacks %q: %q", s, rows)
			}
		}
		cols := read("columns", chromedp.Text(chromedp.ID("columns")))
		for _, s := range []string{"Kept on the profile as “Department”", "Kept on the profile as “Employee number”", "Ignored"} {
			if !strings.Contains(cols, s) {
				t.Errorf("the columns lack %q: %q", s, cols)
			}
		}
		if s := seats(); s != "8 seats left of 10" {
			t.Errorf("the preview took seats: %q", s)
		}
		step("confirm", chromedp.Click(chromedp.CSS(`.confirm-import button[type=submit]`)), chromedp.WaitVisible(chromedp.ID("import-outcomes")))
		shoot("import-outcomes")
		out := read("outcomes", chromedp.Text(chromedp.ID("import-outcomes")))
		for _, s := range []string{"Invited", "External", "Listed twice", "Invalid", "Already a member"} {
			if !strings.Contains(out, s) {
				t.Errorf("the outcomes lack %q: %q", s, out)
			}
		}
		if s := seats(); s != "6 seats left of 10" {
			t.Errorf("after importing two people the page says %q", s)
		}

		// Look people up.
		lookup := func(q string) string {
			step("look up "+q,
				chromedp.Navigate(r.srv.URL+"/workspaces/acme/members/invite"),
				chromedp.SendKeys(chromedp.ID("lookup"), q),
				chromedp.Click(chromedp.CSS(`form.lookup button[type=submit]`)),
				chromedp.WaitVisible(chromedp.ID("lookup-result")))
			return read("look-up", chromedp.Text(chromedp.ID("lookup-result")))
		}
		if got := lookup("newbie@acme.example"); !strings.Contains(got, "has no account yet") || !strings.Contains(got, "internal") {
			t.Errorf("a new person: %q", got)
		}
		if v := read("prefilled", chromedp.Value(chromedp.ID("addresses"))); v != "newbie@acme.example" {
			t.Errorf("the address looked up is not offered for inviting: %q", v)
		}
		if got := lookup("mona@globex.example"); !strings.Contains(got, "has no account yet") {
			t.Errorf("someone unknown at another domain: %q", got)
		}
		if got := lookup("gus@globex.example"); !strings.Contains(got, "Already here") || !strings.Contains(got, "pending") {
			t.Errorf("a person the import invited: %q", got)
		}
		got := lookup("gil@globex.example")
		if !strings.Contains(got, "another workspace") || !strings.Contains(got, "external") || !strings.Contains(got, "no second account") {
			t.Errorf("a person of another workspace: %q", got)
		}
		shoot("lookup")
		if got := lookup("already@acme.example"); !strings.Contains(got, "Already here") || !strings.Contains(got, "active") {
			t.Errorf("a member: %q", got)
		}
		step("open their member page", chromedp.Click(chromedp.CSS(`#lookup-result a`)), chromedp.WaitVisible(chromedp.ID("role")))
		if loc := read("location", chromedp.Location()); !strings.Contains(loc, "/workspaces/acme/members/") {
			t.Errorf("the member link led to %s", loc)
		}

		// Invite a main admin with an edited name.
		step("fill the invite",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members/invite"),
			chromedp.SendKeys(chromedp.ID("addresses"), "grace.hopper@acme.example"),
			chromedp.SetValue(chromedp.ID("role"), "admin"),
			chromedp.Click(chromedp.CSS(`input[name=main_admin]`)))
		if w := read("warning", chromedp.Text(chromedp.ID("main-admin-warning"))); !strings.Contains(w, "Olivia Owner (owner@acme.example) is the main admin now") || !strings.Contains(w, "replace Olivia Owner") {
			t.Errorf("the main admin warning says %q", w)
		}
		step("check the names", chromedp.Click(chromedp.CSS(`button[name=step][value=names]`)), chromedp.WaitVisible(chromedp.ID("names")))
		if n := read("guessed name", chromedp.Value(chromedp.CSS(`input[name=invitee_name]`))); n != "Grace Hopper" {
			t.Errorf("the name guessed is %q", n)
		}
		step("edit the name and send",
			chromedp.SetValue(chromedp.CSS(`input[name=invitee_name]`), "Rear Admiral Grace Hopper"),
			chromedp.Click(chromedp.CSS(`button[name=step][value=send]`)),
			chromedp.WaitVisible(chromedp.ID("outcomes-title")))
		if o := read("outcomes", chromedp.Text(chromedp.CSS(".outcomes"))); !strings.Contains(o, "grace.hopper@acme.example") || !strings.Contains(o, "Invited") {
			t.Errorf("outcomes: %q", o)
		}
		invs, err := d.ListInvitations(ctx, owner, "acme", directory.InvitationPending, 100)
		if err != nil {
			t.Fatal(err)
		}
		var grace *directory.Invitation
		for i := range invs {
			if invs[i].Email == "grace.hopper@acme.example" {
				grace = &invs[i]
			}
		}
		if grace == nil || !grace.MainAdmin || grace.Role != directory.RoleAdmin {
			t.Fatalf("Grace's invitation: %+v", grace)
		}
		again, err := d.ResendInvitation(ctx, owner, "acme", grace.ID)
		if err != nil {
			t.Fatal(err)
		}
		acc, err := d.AcceptInvitation(ctx, again.Token, directory.VerifiedIdentity{Email: "grace.hopper@acme.example"})
		if err != nil {
			t.Fatal(err)
		}
		if acc.Member.Name != "Rear Admiral Grace Hopper" {
			t.Errorf("Grace's name is %q", acc.Member.Name)
		}
		if main, err := d.MainAdmin(ctx, owner, "acme"); err != nil || main == nil || main.Email != "grace.hopper@acme.example" {
			t.Errorf("the main admin after Grace accepted: %+v %v", main, err)
		}
		step("the warning names the new main admin", chromedp.Navigate(r.srv.URL+"/workspaces/acme/members/invite"), chromedp.WaitVisible(chromedp.ID("main-admin-warning")))
		if w := read("warning", chromedp.Text(chromedp.ID("main-admin-warning"))); !strings.Contains(w, "Rear Admiral Grace Hopper") {
			t.Errorf("the warning now says %q", w)
		}

		// Edit a join link.
		step("open the link's edit page",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/join-links"),
			chromedp.Click(chromedp.CSS(`a[href="/workspaces/acme/join-links/`+link.ID+`/edit"]`)),
			chromedp.WaitVisible(chromedp.ID("description")))
		step("change it",
			chromedp.SetValue(chromedp.ID("description"), "Contractors 2026 (vendor channel)"),
			chromedp.SetValue(chromedp.ID("role"), "collaborator"),
			chromedp.Click(chromedp.CSS(`input[name=notify][value=nobody]`)))
		shoot("join-link-edit")
		step("save", chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/join-links/`+link.ID+`/edit"] button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if f := read("flash", chromedp.Text(chromedp.CSS(".flash"))); !strings.Contains(f, "is saved") {
			t.Errorf("after saving: %q", f)
		}
		l, err := d.GetJoinLink(ctx, owner, "acme", link.ID)
		if err != nil || l.Description != "Contractors 2026 (vendor channel)" || l.Role != directory.RoleCollaborator || l.Notify != directory.JoinNotifyNobody || len(l.Teams) != 1 {
			t.Errorf("the link after the edit: %+v %v", l, err)
		}
		_ = os.Remove(workbook)

		// A manager looks people up on a page of its own.
		r.member(owner, "acme", "max@acme.example", directory.RoleManager)
		r.queue("max@acme.example")
		step("sign in as a manager",
			chromedp.Click(chromedp.CSS(`form[action="/logout"] button[type=submit]`)),
			chromedp.WaitNotPresent(chromedp.CSS(`form[action="/logout"]`)),
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members/lookup"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), "max@acme.example"),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/onboarding"]`)),
			chromedp.Click(chromedp.CSS(`form[action="/onboarding"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/workspaces/acme/"]`)),
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members"),
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/members/lookup"]`)),
			chromedp.WaitVisible(chromedp.ID("lookup")),
			chromedp.SendKeys(chromedp.ID("lookup"), "gil@globex.example"),
			chromedp.Click(chromedp.CSS(`form.lookup button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("lookup-result")))
		shoot("lookup-manager")
		if got := read("look-up", chromedp.Text(chromedp.ID("lookup-result"))); !strings.Contains(got, "another workspace") {
			t.Errorf("the manager's look-up: %q", got)
		}
	})
}
