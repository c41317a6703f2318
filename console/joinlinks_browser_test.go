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

// TestBrowserJoinLinks makes two join links on the page in headless
// Chromium: the empty state first, then the new link shown once with its
// copy button above both links.
func TestBrowserJoinLinks(t *testing.T) {
	chromium := browsertest.Path(t)
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", ptr(25))
		if _, err := d.CreateTeam(ctx, owner, "acme", directory.TeamRequest{Name: "Contractors"}); err != nil {
			t.Fatal(err)
		}

		b := browsertest.New(t, chromium)
		step, read, shoot := b.Step, b.Read, b.Shoot

		r.queue("owner@acme.example")
		step("sign in", signInAt(r.srv.URL+"/workspaces/acme/join-links", "owner@acme.example")...)
		step("open the join links from the sidebar",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members"),
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/join-links"]`)),
			chromedp.WaitVisible(chromedp.CSS(".empty")))
		shoot("join-links-empty")
		if main := read("empty state", chromedp.Text(chromedp.CSS(".empty"))); !strings.Contains(main, "No join links yet") {
			t.Errorf("the empty state says %q", main)
		}

		step("create an approval link",
			chromedp.SendKeys(chromedp.ID("description"), "Contractors 2026, shared in the vendor channel"),
			chromedp.Click(chromedp.CSS(`input[name=team][type=checkbox]`)),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/join-links"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("created-url")))
		step("create a direct link",
			chromedp.SendKeys(chromedp.ID("description"), "Everyone at Acme (company chat)"),
			chromedp.Click(chromedp.CSS(`input[name=mode][value=direct]`)),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/join-links"] button[type=submit]`)),
			// The page before had a new link too; the second row is only
			// on the page after.
			chromedp.WaitVisible(chromedp.CSS("main table tbody tr:nth-child(2)")))
		shoot("join-links")
		shown := read("the new link", chromedp.Value(chromedp.ID("created-url")))
		if !strings.Contains(shown, "/join/") {
			t.Fatalf("the new link reads %q", shown)
		}
		rows := read("the links", chromedp.Text(chromedp.CSS("main table")))
		for _, s := range []string{"Contractors 2026", "Everyone at Acme", "Approval", "Direct", "Contractors"} {
			if !strings.Contains(rows, s) {
				t.Errorf("the list lacks %q: %q", s, rows)
			}
		}
		step("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main table")))
		if html := read("page", chromedp.OuterHTML(chromedp.CSS("main"))); strings.Contains(html, shown) {
			t.Error("the link is shown again after a reload")
		}
	})
}
