package console_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

var joinURL = regexp.MustCompile(`value="(https?://[^"]*/join/([^"]+))"`)

// linkID finds the id of the link described desc.
func linkID(t *testing.T, d *directory.Directory, by directory.Actor, slug, desc string) string {
	t.Helper()
	links, err := d.ListJoinLinks(context.Background(), by, slug)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.Description == desc {
			return l.ID
		}
	}
	t.Fatalf("no join link %q in %s: %+v", desc, slug, links)
	return ""
}

// An owner makes a join link on the page and sees its URL once; the
// link works, turned off it refuses, and revoked it refuses for good.
func TestConsoleJoinLinks(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		team, err := d.CreateTeam(ctx, owner, "acme", directory.TeamRequest{Name: "Contractors"})
		if err != nil {
			t.Fatal(err)
		}
		b := r.signIn("owner@acme.example")
		empty := b.get("/workspaces/acme/join-links")
		expect(t, empty, http.StatusOK, "No join links yet", "Create a link below", `href="/workspaces/acme/join-links" aria-current="page"`)

		// A missing description is refused next to the field, with the
		// rest of the form kept.
		bad := b.submit(empty, "/workspaces/acme/join-links", url.Values{"description": {"  "}, "role": {"member"}, "mode": {"direct"}, "team": {team.ID}, "notify": {"all_managers"}})
		expect(t, bad, http.StatusBadRequest, "No link was created yet", `id="description-error"`, `value="direct" checked`, `value="`+team.ID+`" checked`)
		if links, _ := d.ListJoinLinks(ctx, owner, "acme"); len(links) != 0 {
			t.Fatalf("a refused form made links: %+v", links)
		}

		created := b.submit(bad, "/workspaces/acme/join-links", url.Values{"description": {"Vendor channel"}, "role": {"member"}, "mode": {"direct"}, "team": {team.ID}, "notify": {"all_managers"}})
		expect(t, created, http.StatusOK, "Your new join link", "shown only this once", `data-copy="#created-url"`, "Vendor channel", "Contractors", "Direct")
		m := joinURL.FindStringSubmatch(created.body)
		if m == nil {
			t.Fatalf("the page after creating shows no link:\n%s", created.body)
		}
		token := m[2]
		id := linkID(t, d, owner, "acme", "Vendor channel")
		if created.url.Path != "/workspaces/acme/join-links" {
			t.Errorf("after creating at %s, want the list (POST-redirect-GET)", created.url)
		}
		reload := b.get("/workspaces/acme/join-links")
		expect(t, reload, http.StatusOK, "Vendor channel")
		if strings.Contains(reload.body, token) || strings.Contains(reload.body, "Your new join link") {
			t.Fatal("the link's token is shown again on reload")
		}

		res, err := d.UseJoinLink(ctx, token, directory.VerifiedIdentity{Email: "vera@vendor.example", Name: "Vera Vendor"})
		if err != nil || res.Member == nil {
			t.Fatalf("use the new link: %+v %v", res, err)
		}
		expect(t, b.get("/workspaces/acme/join-links"), http.StatusOK, `href="/workspaces/acme/join-links/`+id+`/members">1 member`)
		expect(t, b.get("/workspaces/acme/join-links/"+id+"/members"), http.StatusOK, "Vera Vendor", "vera@vendor.example", ">Active<")

		off := b.submit(reload, "/workspaces/acme/join-links/"+id+"/active", url.Values{"active": {"off"}})
		expect(t, off, http.StatusOK, "is off: nobody can use it", "Turn on")
		if _, err := d.UseJoinLink(ctx, token, directory.VerifiedIdentity{Email: "otto@vendor.example"}); !errors.Is(err, directory.ErrRevoked) {
			t.Fatalf("a link turned off let someone in: %v", err)
		}
		on := b.submit(off, "/workspaces/acme/join-links/"+id+"/active", url.Values{"active": {"on"}})
		expect(t, on, http.StatusOK, "is on", "Turn off")
		if _, err := d.UseJoinLink(ctx, token, directory.VerifiedIdentity{Email: "otto@vendor.example"}); err != nil {
			t.Fatalf("a link turned on again refused: %v", err)
		}

		confirm := b.get("/workspaces/acme/join-links/" + id + "/revoke")
		expect(t, confirm, http.StatusOK, "Revoke “Vendor channel”?", "stops working for good", "cannot be turned on again", "Revoke the link")
		revoked := b.submit(confirm, "/workspaces/acme/join-links/"+id+"/revoke", nil)
		expect(t, revoked, http.StatusOK, "is revoked", "Revoked")
		if strings.Contains(revoked.body, "/join-links/"+id+"/active") {
			t.Error("a revoked link still has its switch")
		}
		if _, err := d.UseJoinLink(ctx, token, directory.VerifiedIdentity{Email: "ivy@vendor.example"}); !errors.Is(err, directory.ErrRevoked) {
			t.Fatalf("a revoked link let someone in: %v", err)
		}
		// Not even a forged POST turns it back on.
		p := b.post("/workspaces/acme/join-links/"+id+"/active", url.Values{"csrf": {csrfField.FindStringSubmatch(revoked.body)[1]}, "active": {"on"}})
		if p.status != http.StatusConflict {
			t.Errorf("turning a revoked link on answered %d", p.status)
		}
	})
}

// Forms without this browser's token change nothing; a member gets no
// join link page; another workspace's admin reads acme's links as absent.
func TestConsoleJoinLinksRefusals(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		acme := r.workspace("acme", "acme.example", nil)
		r.member(acme, "acme", "mo@acme.example", directory.RoleMember)
		r.member(acme, "acme", "max@acme.example", directory.RoleManager)
		link, token, _, err := d.CreateJoinLink(ctx, acme, "acme", directory.JoinLinkRequest{Description: "Secret partners", Role: directory.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		r.workspace("globex", "globex.example", nil)

		owner := r.signIn("owner@acme.example")
		other := r.signIn("owner@globex.example")
		theirs := csrfField.FindStringSubmatch(other.get("/workspaces/globex/join-links").body)[1]
		for _, tok := range []string{"", theirs} {
			for path, form := range map[string]url.Values{
				"/workspaces/acme/join-links":                        {"description": {"Forged"}, "role": {"member"}, "mode": {"direct"}, "notify": {"nobody"}},
				"/workspaces/acme/join-links/" + link.ID + "/active": {"active": {"off"}},
				"/workspaces/acme/join-links/" + link.ID + "/revoke": {},
			} {
				form.Set("csrf", tok)
				expect(t, owner.post(path, form), http.StatusForbidden, "Form expired")
			}
		}
		links, err := d.ListJoinLinks(ctx, acme, "acme")
		if err != nil || len(links) != 1 || !links[0].Active {
			t.Fatalf("forged forms changed the links: %+v %v", links, err)
		}

		// A pending request through the link is counted on its row.
		if _, err := d.UseJoinLink(ctx, token, directory.VerifiedIdentity{Email: "wanda@partner.example"}); err != nil {
			t.Fatal(err)
		}
		expect(t, owner.get("/workspaces/acme/join-links"), http.StatusOK, "1 waiting")

		// Managers hold joinlinks.manage; members do not, not even with a
		// valid token of their own.
		expect(t, r.signIn("max@acme.example").get("/workspaces/acme/join-links"), http.StatusOK, "Secret partners")
		mo := r.signIn("mo@acme.example")
		expect(t, mo.get("/workspaces/acme/join-links"), http.StatusForbidden, "No administration for your role")
		moToken := csrfField.FindStringSubmatch(mo.get("/home").body)[1]
		for _, path := range []string{"/workspaces/acme/join-links", "/workspaces/acme/join-links/" + link.ID + "/active", "/workspaces/acme/join-links/" + link.ID + "/revoke"} {
			if p := mo.post(path, url.Values{"csrf": {moToken}, "description": {"Mine"}, "mode": {"direct"}, "notify": {"nobody"}, "active": {"off"}}); p.status != http.StatusForbidden {
				t.Errorf("member POST %s answered %d", path, p.status)
			}
		}
		if strings.Contains(owner.get("/workspaces/acme/members").body, "/join-links") != true {
			t.Error("the owner's navigation lacks Join links")
		}

		// globex's owner: acme's pages do not exist, and acme's link ids
		// do not exist in globex either.
		for _, path := range []string{"/workspaces/acme/join-links", "/workspaces/acme/join-links/" + link.ID + "/revoke", "/workspaces/acme/join-links/" + link.ID + "/members"} {
			p := other.get(path)
			expect(t, p, http.StatusNotFound, "Workspace not found")
			if strings.Contains(p.body, "Secret partners") {
				t.Errorf("%s shows acme's link", path)
			}
		}
		for _, path := range []string{"/workspaces/globex/join-links/" + link.ID + "/revoke", "/workspaces/globex/join-links/" + link.ID + "/members"} {
			p := other.get(path)
			expect(t, p, http.StatusNotFound, "Join link not found")
			if strings.Contains(p.body, "Secret partners") {
				t.Errorf("%s shows acme's link", path)
			}
		}
		for _, path := range []string{"/workspaces/acme/join-links/" + link.ID + "/active", "/workspaces/acme/join-links/" + link.ID + "/revoke",
			"/workspaces/globex/join-links/" + link.ID + "/active", "/workspaces/globex/join-links/" + link.ID + "/revoke"} {
			if p := other.post(path, url.Values{"csrf": {theirs}, "active": {"off"}}); p.status != http.StatusNotFound {
				t.Errorf("globex POST %s answered %d", path, p.status)
			}
		}
		if _, err := d.UseJoinLink(ctx, token, directory.VerifiedIdentity{Email: "pat@partner.example"}); err != nil {
			t.Fatalf("acme's link stopped working after globex's attempts: %v", err)
		}
	})
}
