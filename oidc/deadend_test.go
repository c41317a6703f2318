package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/oidc"
)

// TestLinkWithoutRoute: someone holding an invitation or a join link into
// a workspace whose single sign-on does not route their domain yet (the
// domain unverified, or no SSO at all) is told what they can do and what
// the workspace's administrators must do — never to ask for the
// invitation they hold.
func TestLinkWithoutRoute(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns, oidc.Config{Dev: true})
		_, owner := r.workspace("acme", "acme-staff.example", "", "")
		if _, err := d.AddDomain(ctx, owner, "acme", "acme.example"); err != nil {
			t.Fatal(err)
		}
		r.connect("acme", mockConnection(startMock(t)))
		_, betaOwner := r.workspace("beta", "beta-staff.example", "", "")

		noDeadEnd := func(t *testing.T, p page) {
			t.Helper()
			if strings.Contains(p.body, "for an invitation") {
				t.Errorf("the page sends someone holding a link to ask for an invitation:\n%s", p.body)
			}
		}

		// An invitation: SSO set up, the domain claimed but unverified.
		tok := r.invite(owner, "acme", "bob@acme.example", directory.RoleMember)
		b := r.browser()
		p := b.submit(b.get("/invite/"+tok), "/invite/"+tok, nil)
		expect(t, p, http.StatusOK, "Sign-in is not set up yet", "Work acme</strong> signs its people in with single sign-on",
			"has not finished verifying the domain <strong>acme.example</strong>", "What you can do", "Keep your link: it still works. Tell Olivia Owner",
			"What an administrator of Work acme must do", "Verify <strong>acme.example</strong> on the workspace's Security page", "server-wide sign-in provider")
		noDeadEnd(t, p)

		// A join link into the same workspace.
		_, jtok, _, err := d.CreateJoinLink(ctx, owner, "acme", directory.JoinLinkRequest{Description: "Contractors", Role: directory.RoleCollaborator,
			Mode: directory.JoinModeDirect, Notify: directory.JoinNotifyNobody})
		if err != nil {
			t.Fatal(err)
		}
		b = r.browser()
		p = b.submit(b.get("/join/"+jtok), "/join/"+jtok, url.Values{"email": {"cy@acme.example"}})
		expect(t, p, http.StatusOK, "Work acme</strong> signs its people in with single sign-on", "acme.example",
			"Tell the administrators of Work acme", "server-wide sign-in provider")
		noDeadEnd(t, p)

		// A workspace without SSO at all.
		btok := r.invite(betaOwner, "beta", "dee@beta.example", directory.RoleMember)
		b = r.browser()
		p = b.submit(b.get("/invite/"+btok), "/invite/"+btok, nil)
		expect(t, p, http.StatusOK, "Work beta</strong> has not set up single sign-on yet", "Connect the workspace's identity provider")
		noDeadEnd(t, p)

		// The plain sign-in page, with no link held, keeps its old words.
		b = r.browser()
		p = b.submit(b.get("/login"), "/login", url.Values{"email": {"eve@acme.example"}})
		expect(t, p, http.StatusOK, "No organisation has set up single sign-on for <strong>acme.example</strong>")
	})
}
