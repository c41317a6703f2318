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

// TestBrowserSetupLinks makes a setup link on the console's page in
// headless Chromium and sees it listed with the summary of a finished one.
func TestBrowserSetupLinks(t *testing.T) {
	chromium := browsertest.Path(t)
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		_, tok, _, err := d.CreateSetupLink(ctx, owner, "acme", directory.SetupLinkRequest{Purpose: directory.SetupDomain, Description: "Acme IT (DNS)"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.FinishSetup(ctx, tok); err != nil {
			t.Fatal(err)
		}

		b := browsertest.New(t, chromium)
		step, read, shoot := b.Step, b.Read, b.Shoot
		r.queue("owner@acme.example")
		step("sign in", signInAt(r.srv.URL+"/workspaces/acme/members", "owner@acme.example")...)
		step("open the setup links from the sidebar",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members"),
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/setup-links"]`)),
			chromedp.WaitVisible(chromedp.CSS("main table")))
		step("make an SSO link",
			chromedp.Click(chromedp.CSS(`input[name=purpose][value=sso]`)),
			chromedp.SendKeys(chromedp.ID("description"), "Acme IT (Okta)"),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/setup-links"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("created-url")))
		shoot("console-setup-links")
		if shown := read("the new link", chromedp.Value(chromedp.ID("created-url"))); !strings.Contains(shown, "/setup/") {
			t.Fatalf("the new link reads %q", shown)
		}
		rows := read("the links", chromedp.Text(chromedp.CSS("main table")))
		for _, s := range []string{"Acme IT (Okta)", "Single sign-on", "Waiting for the IT admin", "Acme IT (DNS)", "Finished", "Domain setup finished"} {
			if !strings.Contains(rows, s) {
				t.Errorf("the list lacks %q: %q", s, rows)
			}
		}
	})
}
