package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/web/browsertest"
)

// TestBrowserSecurityRolesTeams walks the Security, Roles and Teams pages
// in headless Chromium: add a domain, read its TXT record, check now
// before and after the resolver publishes it, make it auto-join; create a
// custom role; create a team that gives that role.
func TestBrowserSecurityRolesTeams(t *testing.T) {
	chromium := browsertest.Path(t)
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", ptr(25))
		r.member(owner, "acme", "ada@acme.example", directory.RoleMember)
		adas, err := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "ada@"})
		if err != nil || len(adas.Members) != 1 {
			t.Fatal(adas, err)
		}
		adaID := adas.Members[0].ID
		if _, err := d.UpdateMemberProfile(ctx, owner, "acme", adaID, directory.ProfileUpdate{Name: ptr("Ada Lovelace")}); err != nil {
			t.Fatal(err)
		}

		b := browsertest.New(t, chromium)
		step, read, shoot := b.Step, b.Read, b.Shoot

		r.queue("owner@acme.example")
		step("sign in", signInAt(r.srv.URL+"/workspaces/acme/members", "owner@acme.example")...)

		// The empty state: the workspace's domain removed after sign-in.
		doms, err := d.ListDomains(ctx, owner, "acme")
		if err != nil || len(doms) != 1 {
			t.Fatalf("domains %+v %v", doms, err)
		}
		if err := d.RemoveDomain(ctx, owner, "acme", doms[0].ID); err != nil {
			t.Fatal(err)
		}
		step("open Security from the sidebar",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members"),
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/security"]`)),
			chromedp.WaitVisible(chromedp.CSS(".empty")))
		shoot("security-empty")
		if s := read("empty state", chromedp.Text(chromedp.CSS(".empty"))); !strings.Contains(s, "No approved domains yet") {
			t.Errorf("the empty state says %q", s)
		}

		step("add a domain",
			chromedp.SendKeys(chromedp.ID("domain"), "acme.example"),
			chromedp.Click(chromedp.CSS(`form.add-domain button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".domain .txt-record")))
		doms, _ = d.ListDomains(ctx, owner, "acme")
		dom := doms[0]
		if got := read("TXT value", chromedp.Value(chromedp.ID("txt-value-"+dom.ID))); got != dom.TXTValue {
			t.Errorf("the page shows the value %q, want %q", got, dom.TXTValue)
		}
		if got := read("TXT name", chromedp.Value(chromedp.ID("txt-name-"+dom.ID))); got != "_roster-challenge.acme.example" {
			t.Errorf("the page shows the name %q", got)
		}

		step("check now before the record is published",
			chromedp.Click(chromedp.CSS(`form[action$="/verify"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".check-result")))
		if s := read("check result", chromedp.Text(chromedp.CSS(".check-result"))); !strings.Contains(s, "The record was not found") || !strings.Contains(s, dom.TXTValue) {
			t.Errorf("check now says %q", s)
		}

		dns.mu.Lock()
		dns.records[dom.TXTName] = []string{dom.TXTValue}
		dns.mu.Unlock()
		step("check now once it is published",
			chromedp.Click(chromedp.CSS(`form[action$="/verify"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".domain .badge.active")))
		if s := read("flash", chromedp.Text(chromedp.CSS(".flash"))); !strings.Contains(s, "acme.example is verified") {
			t.Errorf("after check now the page says %q", s)
		}

		// Reloaded, the page has no flash left: the next one is the save's.
		step("make the domain auto-join as Member",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/security"),
			chromedp.WaitVisible(chromedp.CSS("form.domain-policy")),
			chromedp.Click(chromedp.CSS(`form.domain-policy input[value=auto_join]`)),
			chromedp.SetValue(chromedp.ID("default-role-"+dom.ID), "member"),
			chromedp.Click(chromedp.CSS(`form.domain-policy button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		if s := read("domain", chromedp.Text(chromedp.CSS(".domain-says"))); s != "People who sign in with an @acme.example address join as Member without asking." {
			t.Errorf("the domain says %q", s)
		}
		if got, _ := d.ListDomains(ctx, owner, "acme"); got[0].Policy != directory.DomainAutoJoin || !got[0].Verified {
			t.Errorf("domain = %+v", got[0])
		}
		// A second domain, not verified yet, shows its record.
		if _, err := d.AddDomain(ctx, owner, "acme", "labs.acme.example"); err != nil {
			t.Fatal(err)
		}
		step("top of the page", chromedp.Navigate(r.srv.URL+"/workspaces/acme/security"), chromedp.WaitVisible(chromedp.CSS(".domain")))
		shoot("security")

		step("open Roles",
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/roles"]`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/workspaces/acme/roles"]`)))
		step("create a custom role",
			chromedp.SendKeys(chromedp.ID("name"), "Support lead"),
			chromedp.SetValue(chromedp.ID("rank"), "50"),
			chromedp.Click(chromedp.CSS(`input[name=permission][value="members.invite"]`)),
			chromedp.Click(chromedp.CSS(`input[name=permission][value="joinlinks.manage"]`)),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/roles"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		shoot("roles")
		table := read("roles", chromedp.Text(chromedp.CSS("main table")))
		for _, s := range []string{"Support lead", "Custom", "Create and switch off join links", "Built in"} {
			if !strings.Contains(table, s) {
				t.Errorf("the roles lack %q: %q", s, table)
			}
		}

		step("open Teams",
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/teams"]`)),
			chromedp.WaitVisible(chromedp.CSS(".empty")))
		shoot("teams-empty")
		step("create a team that gives the role",
			chromedp.SendKeys(chromedp.ID("name"), "Support"),
			chromedp.SetValue(chromedp.ID("role"), "support-lead"),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/teams"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		if s := read("team page", chromedp.Text(chromedp.CSS(".pagehead .sub"))); !strings.Contains(s, "members hold at least the role Support lead") {
			t.Errorf("the team page says %q", s)
		}
		step("add Ada to the team",
			chromedp.SetValue(chromedp.ID("member"), adaID),
			chromedp.Click(chromedp.CSS(`form.add-member button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS("main table")))
		shoot("team")
		ts, _ := d.ListTeams(ctx, owner, "acme")
		if len(ts) != 1 || ts[0].Role == nil || *ts[0].Role != "support-lead" {
			t.Fatalf("teams = %+v", ts)
		}
		if _, err := d.CreateTeam(ctx, owner, "acme", directory.TeamRequest{Name: "Engineering", Role: ptr(directory.RoleManager)}); err != nil {
			t.Fatal(err)
		}
		step("back to the teams", chromedp.Click(chromedp.CSS(`.crumbs a`)), chromedp.WaitVisible(chromedp.CSS("main table tbody tr:nth-child(2)")))
		shoot("teams")
		if s := read("teams", chromedp.Text(chromedp.CSS("main table"))); !strings.Contains(s, "Support lead") || !strings.Contains(s, "Manager") {
			t.Errorf("the teams read %q", s)
		}
	})
}
