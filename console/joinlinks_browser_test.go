package console_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// TestBrowserJoinLinks makes two join links on the page in headless
// Chromium: the empty state first, then the new link shown once with its
// copy button above both links.
func TestBrowserJoinLinks(t *testing.T) {
	chromium := chromiumPath(t)
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", ptr(25))
		if _, err := d.CreateTeam(ctx, owner, "acme", directory.TeamRequest{Name: "Contractors"}); err != nil {
			t.Fatal(err)
		}

		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless,
			chromedp.DisableGPU, chromedp.Flag("disable-background-networking", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1360, 900))
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancelAlloc()
		bctx, cancel := chromedp.NewContext(actx)
		defer cancel()
		bctx, cancelTimeout := context.WithTimeout(bctx, 120*time.Second)
		defer cancelTimeout()
		if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
			t.Fatal(err)
		}
		step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
			defer cancel()
			if err := chromedp.Do(sctx, actions...); err != nil {
				loc, _ := chromedp.Run(bctx, chromedp.Location())
				html, _ := chromedp.Run(bctx, chromedp.OuterHTML(chromedp.CSS("body")))
				t.Fatalf("%s: %v\nat %s: %s", what, err, loc, html)
			}
		}
		read := func(what string, a chromedp.Action[string]) string {
			t.Helper()
			v, err := chromedp.Run(bctx, a)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			return v
		}
		shoot := func(name string) {
			t.Helper()
			dir := os.Getenv(envScreenshots)
			if dir == "" || !strings.HasSuffix(t.Name(), "sqlite") {
				return
			}
			png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}

		r.queue("owner@acme.example")
		step("sign in",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/join-links"),
			chromedp.WaitVisible(chromedp.ID("email")),
			chromedp.SendKeys(chromedp.ID("email"), "owner@acme.example"),
			chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/onboarding"]`)),
			chromedp.Click(chromedp.CSS(`form[action="/onboarding"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`a[href="/workspaces/acme/members"]`)))
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
