package oidc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/web/browsertest"
)

// TestBrowserInvitationToWorkspace drives headless Chromium through the
// whole path a person takes: the invitation link, the identity provider's
// login form (zitadel's example OP), onboarding with the workspace's
// terms, and the "your workspaces" page.
func TestBrowserInvitationToWorkspace(t *testing.T) {
	chromium := browsertest.Path(t)
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		r := startRoster(t, d, dns, oidc.Config{Dev: true})
		z := startZitadel(t, "browser-"+t.Name(), r.srv.URL+"/auth/callback")
		_, owner := r.workspace("zit", "zitadel.ch", "", "")
		terms := "2026-11"
		if _, err := d.UpdateWorkspaceSettings(context.Background(), owner, "zit", directory.WorkspaceSettings{TermsVersion: &terms}); err != nil {
			t.Fatal(err)
		}
		r.connect("zit", directory.OIDCConnectionRequest{Name: "Zitadel", Issuer: z.issuer, ClientID: z.clientID, ClientSecret: "zitadel-secret"})
		tok := r.invite(owner, "zit", zitadelEmail, directory.RoleMember)

		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless,
			chromedp.UserDataDir(t.TempDir()))
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancelAlloc()
		ctx, cancel := chromedp.NewContext(actx)
		defer cancel()
		ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
		defer cancelTimeout()

		step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
			t.Helper()
			if err := chromedp.Do(ctx, actions...); err != nil {
				html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
				t.Fatalf("%s: %v\npage: %s", what, err, html)
			}
		}
		read := func(what string, a chromedp.Action[string]) string {
			t.Helper()
			v, err := chromedp.Run(ctx, a)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			return v
		}
		step("open the invitation", chromedp.Navigate(r.srv.URL+"/invite/"+tok), chromedp.WaitVisible(chromedp.CSS("main")))
		invitation := read("read the invitation", chromedp.Text(chromedp.CSS("main")))
		step("continue with SSO", chromedp.Click(chromedp.CSS(`form[action^="/invite/"] button[type=submit]`)))
		step("sign in at the provider",
			chromedp.WaitVisible(chromedp.ID("username")),
			chromedp.SendKeys(chromedp.ID("username"), z.username),
			chromedp.SendKeys(chromedp.ID("password"), "verysecure"),
			chromedp.Click(chromedp.CSS(`button[type=submit]`)))
		step("onboarding",
			chromedp.WaitVisible(chromedp.ID("accept_terms")),
			chromedp.Click(chromedp.ID("accept_terms")),
			chromedp.SetValue(chromedp.ID("name"), "Test Browser User"),
			chromedp.SetValue(chromedp.ID("locale"), "de"),
			chromedp.Click(chromedp.CSS(`form[action="/onboarding"] button[type=submit]`)))
		step("your workspaces", chromedp.WaitVisible(chromedp.CSS("table")))
		home := read("read your workspaces", chromedp.Text(chromedp.CSS("main")))
		location := read("location", chromedp.Location())
		if !strings.Contains(invitation, "Work zit") || !strings.Contains(invitation, "Member") {
			t.Errorf("invitation page says %q", invitation)
		}
		if !strings.HasSuffix(location, "/home") || !strings.Contains(home, "Work zit") || !strings.Contains(home, "Active") || !strings.Contains(home, zitadelEmail) {
			t.Errorf("at %s the page says %q", location, home)
		}
		page, err := d.ListMembers(context.Background(), owner, "zit", directory.MemberFilter{Query: "test-user"})
		if err != nil || len(page.Members) != 1 {
			t.Fatalf("members: %v %+v", err, page)
		}
		if m := page.Members[0]; m.Status != directory.StatusActive || m.TermsVersion != terms || m.Name != "Test Browser User" || m.Locale != "de" {
			t.Errorf("member = %+v", m)
		}
	})
}
