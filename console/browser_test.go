package console_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/web/browsertest"
)

// signInAt signs email in from the console page at url, through the
// test's identity provider (the caller queued email there) and a first
// onboarding, until /home lists the acme workspace.
func signInAt(url, email string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/onboarding"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/onboarding"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/workspaces/acme/"]`)),
	}
}

var seatsLeft = regexp.MustCompile(`(\d+) seats? left of (\d+)`)

// TestBrowserConsole walks an owner's first journeys in headless
// Chromium: sign in through the identity provider, see the Members page,
// invite three people with one comma-separated line and watch the seats
// left drop by three, then accept a join request behind its confirmation.
func TestBrowserConsole(t *testing.T) {
	chromium := browsertest.Path(t)
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", ptr(25))
		for _, name := range []string{"Design", "Engineering", "Sales"} {
			if _, err := d.CreateTeam(ctx, owner, "acme", directory.TeamRequest{Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		req := r.fileJoinRequest(owner, "acme", "rita.request@acme.example", "Rita Request")

		b := browsertest.New(t, chromium)
		step, read, shoot := b.Step, b.Read, b.Shoot
		seats := func() int {
			t.Helper()
			m := seatsLeft.FindStringSubmatch(read("read the seats", chromedp.Text(chromedp.ID("seats"))))
			if m == nil {
				t.Fatal("the Invite page shows no seats left")
			}
			n, _ := strconv.Atoi(m[1])
			return n
		}

		r.queue("owner@acme.example")
		step("open the console signed out, then sign in",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members"),
			chromedp.WaitVisible(chromedp.ID("email")))
		shoot("sign-in")
		step("sign in",
			chromedp.SendKeys(chromedp.ID("email"), "owner@acme.example"),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			// A first sign-in confirms the profile, then lists the
			// person's workspaces, the console among them.
			chromedp.WaitVisible(chromedp.CSS(`form[action="/onboarding"]`)),
			chromedp.Click(chromedp.CSS(`form[action="/onboarding"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/workspaces/acme/"]`)),
			chromedp.Click(chromedp.CSS(`a[href="/workspaces/acme/"]`)),
			chromedp.WaitVisible(chromedp.CSS("main table")))
		if loc := read("location", chromedp.Location()); !strings.HasSuffix(loc, "/workspaces/acme/members") {
			t.Fatalf("after sign-in at %s", loc)
		}
		shoot("members-empty")
		main := read("members", chromedp.Text(chromedp.CSS("main")))
		if !strings.Contains(main, "Olivia Owner") || !strings.Contains(main, "Only you so far") {
			t.Errorf("the Members page says %q", main)
		}

		step("open the Invite page", chromedp.Click(chromedp.CSS(`main a[href="/workspaces/acme/members/invite"]`)), chromedp.WaitVisible(chromedp.ID("addresses")))
		before := seats()
		step("invite three people",
			chromedp.SendKeys(chromedp.ID("addresses"), "ada.lovelace@acme.example, grace.hopper@acme.example, alan.turing@acme.example"),
			chromedp.SetValue(chromedp.ID("role"), "member"),
			chromedp.Click(chromedp.CSS(`input[name=team][type=checkbox]`)),
			chromedp.Click(chromedp.CSS(`form[method=post][action="/workspaces/acme/members/invite"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("outcomes-title")))
		shoot("invite-outcomes")
		outcomes := read("outcomes", chromedp.Text(chromedp.CSS(".outcomes")))
		if strings.Count(outcomes, "Invited") != 3 {
			t.Errorf("outcomes: %q", outcomes)
		}
		if after := seats(); after != before-3 {
			t.Errorf("seats left went from %d to %d after inviting three", before, after)
		}

		step("the seats", chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/seats"]`)), chromedp.WaitVisible(chromedp.ID("seats-left")))
		shoot("seats")
		if got := read("seats left", chromedp.Text(chromedp.ID("seats-left"))); got != strconv.Itoa(before-3) {
			t.Errorf("the Seats page says %s left, want %d", got, before-3)
		}
		step("back to Members", chromedp.Navigate(r.srv.URL+"/workspaces/acme/members"), chromedp.WaitVisible(chromedp.CSS("table")))
		shoot("members")
		main = read("members", chromedp.Text(chromedp.CSS("main table")))
		for _, s := range []string{"ada.lovelace@acme.example", "Pending", "Invited by Olivia Owner", "Design", "on joining"} {
			if !strings.Contains(main, s) {
				t.Errorf("the Members page lacks %q: %q", s, main)
			}
		}

		step("open the join requests", chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/join-requests"]`)), chromedp.WaitVisible(chromedp.CSS("table")))
		shoot("join-requests")
		step("accept Rita's request", chromedp.Click(chromedp.CSS(`a[href="/workspaces/acme/join-requests/`+req+`/accept"]`)), chromedp.WaitVisible(chromedp.CSS(".confirm form")))
		shoot("join-request-confirm")
		confirm := read("confirmation", chromedp.Text(chromedp.CSS("main")))
		if !strings.Contains(confirm, "becomes an active member of Acme Corp with the role Member") {
			t.Errorf("the confirmation says %q", confirm)
		}
		step("confirm", chromedp.Click(chromedp.CSS(`.confirm button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if flash := read("flash", chromedp.Text(chromedp.CSS(".flash"))); !strings.Contains(flash, "rita.request@acme.example is now a member") {
			t.Errorf("flash: %q", flash)
		}
		page, err := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "rita"})
		if err != nil || len(page.Members) != 1 || page.Members[0].Status != directory.StatusActive {
			t.Fatalf("Rita after acceptance: %+v %v", page.Members, err)
		}
		step("open Rita's page", chromedp.Navigate(r.srv.URL+"/workspaces/acme/members/"+page.Members[0].ID), chromedp.WaitVisible(chromedp.ID("role")))
		shoot("member")
	})
}
