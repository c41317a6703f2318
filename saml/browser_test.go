package saml_test

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
	"github.com/rosterhq/roster/web/browsertest"
)

// TestBrowserInvitationThroughSAML drives headless Chromium from an
// invitation link through samlidp's login form (its answer form submits
// itself with JavaScript, as real IdPs' do) to an active membership; then
// a replayed answer gets the refusal page.
func TestBrowserInvitationThroughSAML(t *testing.T) {
	chromium := browsertest.Path(t)
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		r := startRoster(t, d, dns, newBox(t))
		_, owner := r.workspace("acme", "acme.example", "")
		p := startIdP(t)
		p.user("jane", "jane@acme.example", "Jane", "Doe")
		c := r.connect("acme", p, false)
		tok := r.invite(owner, "acme", "jane@acme.example")

		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.Headless,
			chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 800))
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
		shoot := func(name string) {
			t.Helper()
			dir := os.Getenv(browsertest.EnvScreenshots)
			if dir == "" || !strings.HasSuffix(t.Name(), "sqlite") {
				return
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}

		step("open the invitation", chromedp.Navigate(r.srv.URL+"/invite/"+tok), chromedp.WaitVisible(chromedp.CSS("main")))
		step("continue with SSO", chromedp.Click(chromedp.CSS(`form[action^="/invite/"] button[type=submit]`)))
		step("sign in at the IdP",
			chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name=user]`), "jane"),
			chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "pw"),
			chromedp.Click(chromedp.CSS(`input[type=submit]`)))
		step("onboarding or home", chromedp.WaitVisible(chromedp.CSS("main h1")))
		location := read("location", chromedp.Location())
		if !strings.HasPrefix(location, r.srv.URL) {
			t.Fatalf("ended at %s", location)
		}
		page, err := d.ListMembers(context.Background(), owner, "acme", directory.MemberFilter{Query: "jane@acme.example"})
		if err != nil || len(page.Members) != 1 || page.Members[0].Status != directory.StatusActive {
			t.Fatalf("members: %v %+v", err, page)
		}

		// A sign-in that starts at the IdP, on a connection that does not
		// allow it: the refusal page.
		p.put("/shortcuts/roster", `{"name":"roster","service_provider":"`+r.srv.URL+`/saml/`+c.ID+`/metadata"}`)
		step("IdP-initiated", chromedp.Navigate(p.srv.URL+"/login/roster"), chromedp.WaitVisible(chromedp.CSS("main h1")))
		refusal := read("refusal", chromedp.Text(chromedp.CSS("main")))
		if !strings.Contains(refusal, "Sign-in refused") || !strings.Contains(refusal, "start at Roster only") {
			t.Fatalf("refusal page says %q", refusal)
		}
		shoot("saml-refused")
	})
}
