package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/email"
)

// The front door: / and /home lead people to their workspaces and admins
// into the console, the header switches between the workspaces a person
// administers, and a role whose pages are not Members still lands on one
// it may open.
func TestConsoleFrontDoor(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		acme := r.workspace("acme", "acme.example", nil)
		globex := r.workspace("globex", "globex.example", nil)
		initech := r.workspace("initech", "initech.example", nil)
		// Ada administers acme and globex, is a plain member of initech.
		r.member(acme, "acme", "ada@acme.example", directory.RoleAdmin)
		r.member(globex, "globex", "ada@acme.example", directory.RoleAdmin)
		r.member(initech, "initech", "ada@acme.example", directory.RoleMember)
		if _, err := d.SaveCustomRole(ctx, acme, "acme", directory.CustomRoleRequest{Key: "integrator", Name: "Integrator",
			Permissions: []directory.Permission{directory.PermConnectionsManage}}); err != nil {
			t.Fatal(err)
		}
		r.member(acme, "acme", "ian@acme.example", "integrator")
		r.member(acme, "acme", "mo@acme.example", directory.RoleMember)

		ada := r.signIn("ada@acme.example")
		home := ada.get("/")
		expect(t, home, http.StatusOK, "Your workspaces", `href="/workspaces/acme/"`, `href="/workspaces/globex/"`, "Initech Corp")
		if home.url.Path != "/home" {
			t.Errorf("/ leads someone administering two workspaces to %s", home.url)
		}
		if strings.Contains(home.body, `href="/workspaces/initech/`) {
			t.Error("/home links a plain member into initech's console")
		}
		// The switcher in the header lists both, the current one marked,
		// and not the workspace Ada only belongs to.
		p := ada.get("/workspaces/acme/activity")
		expect(t, p, http.StatusOK, `<details class="switcher">`, `<a href="/workspaces/acme/" aria-current="page">Acme Corp</a>`, `<a href="/workspaces/globex/">Globex Corp</a>`)
		if strings.Contains(p.body, "Initech") {
			t.Error("the switcher offers a workspace Ada does not administer")
		}
		p = ada.get("/workspaces/globex/")
		expect(t, p, http.StatusOK, "Globex Corp")
		if p.url.Path != "/workspaces/globex/members" {
			t.Errorf("switching to globex lands on %s", p.url)
		}
		expect(t, ada.get("/workspaces/initech/"), http.StatusForbidden, "No administration for your role")

		// One administered workspace: / goes straight into it.
		owner := r.signIn("owner@initech.example")
		if p := owner.get("/"); p.url.Path != "/workspaces/initech/members" {
			t.Errorf("/ leads initech's owner to %s", p.url)
		}
		// A role without the member list lands on its first page.
		ian := r.signIn("ian@acme.example")
		p = ian.get("/")
		expect(t, p, http.StatusOK, "Webhooks")
		if p.url.Path != "/workspaces/acme/webhooks" {
			t.Errorf("/ leads an integrator to %s", p.url)
		}
		if !strings.Contains(ian.get("/home").body, `href="/workspaces/acme/"`) {
			t.Error("/home does not link the integrator into acme's console")
		}
		// A member: their workspaces, no console.
		mo := r.signIn("mo@acme.example")
		p = mo.get("/")
		expect(t, p, http.StatusOK, "Your workspaces", "Acme Corp")
		if p.url.Path != "/home" || strings.Contains(p.body, `href="/workspaces/acme/`) {
			t.Errorf("/ for a member: %s\n%s", p.url, p.body)
		}
	})
}

// baseURL is what the directory builds email links from in
// TestEmailLinksOpen; the test requests them on its own server.
const baseURL = "https://roster.example"

var emailLink = regexp.MustCompile(`href="([^"]+)"`)

// Every email Roster sends, rendered as it is sent, links only to pages
// that exist: each link is requested, signed out as its recipient first
// is, and for the console's pages signed in as the admin it is for, and
// must answer with a page (after the sign-in a console page asks for).
func TestEmailLinksOpen(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns, BaseURL: baseURL}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", ptr(4))
		acme, err := d.ConsoleAccess(ctx, owner, "acme")
		if err != nil {
			t.Fatal(err)
		}
		// invitation, then invitation_resend
		for range 2 {
			if _, err := d.Invite(ctx, owner, "acme", directory.InviteRequest{Text: "ada@acme.example", Role: directory.RoleMember}); err != nil {
				t.Fatal(err)
			}
		}
		// join_request_filed, join_request_accepted, join_request_rejected
		_, approval, _, err := d.CreateJoinLink(ctx, owner, "acme", directory.JoinLinkRequest{Description: "Partners", Role: directory.RoleMember,
			Mode: directory.JoinModeApproval, Notify: directory.JoinNotifyAllManagers})
		if err != nil {
			t.Fatal(err)
		}
		var requests []string
		for _, who := range []string{"pat@partner.example", "rex@partner.example"} {
			res, err := d.UseJoinLink(ctx, approval, directory.VerifiedIdentity{Email: who})
			if err != nil || res.Request == nil {
				t.Fatalf("join request of %s: %+v %v", who, res, err)
			}
			requests = append(requests, res.Request.ID)
		}
		if _, err := d.AcceptJoinRequest(ctx, owner, "acme", requests[0]); err != nil {
			t.Fatal(err)
		}
		if err := d.RejectJoinRequest(ctx, owner, "acme", requests[1]); err != nil {
			t.Fatal(err)
		}
		// member_joined, through a direct link that tells the admins
		_, direct, _, err := d.CreateJoinLink(ctx, owner, "acme", directory.JoinLinkRequest{Description: "Everyone", Role: directory.RoleMember,
			Mode: directory.JoinModeDirect, Notify: directory.JoinNotifyAllManagers})
		if err != nil {
			t.Fatal(err)
		}
		joined, err := d.UseJoinLink(ctx, direct, directory.VerifiedIdentity{Email: "sue@acme.example"})
		if err != nil || joined.Member == nil {
			t.Fatalf("direct join: %+v %v", joined, err)
		}
		// suspended
		if _, err := d.SuspendMember(ctx, owner, "acme", joined.Member.ID); err != nil {
			t.Fatal(err)
		}
		// seat_limit_reached: owner, ada (pending), pat and sue's seat
		// freed by the suspension: two more fill it, the third is refused.
		for _, who := range []string{"one@acme.example", "two@acme.example"} {
			if _, err := d.Invite(ctx, owner, "acme", directory.InviteRequest{Text: who, Role: directory.RoleMember}); err != nil {
				t.Fatal(err)
			}
		}

		msgs, err := d.OutboxOf(ctx, acme.WorkspaceID, directory.OutboxEmail, 100)
		if err != nil {
			t.Fatal(err)
		}
		anon := r.browser()
		admin := r.signIn("owner@acme.example")
		var sent []string
		links := 0
		invited := map[string]bool{}
		for _, m := range msgs {
			var req directory.EmailRequest
			if err := json.Unmarshal([]byte(m.Payload), &req); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(sent, req.Template) {
				sent = append(sent, req.Template)
			}
			msg, err := email.Render(email.Request{Template: req.Template, To: req.To, Locale: req.Locale, Data: req.Data})
			if err != nil {
				t.Fatalf("render %s: %v", req.Template, err)
			}
			for _, l := range emailLink.FindAllStringSubmatch(msg.HTML, -1) {
				link := strings.ReplaceAll(l[1], "&amp;", "&")
				path, ok := strings.CutPrefix(link, baseURL)
				if !ok {
					t.Errorf("%s links off the server: %s", req.Template, link)
					continue
				}
				if !strings.Contains(msg.Text, link) {
					t.Errorf("the text part of %s lacks the link %s", req.Template, link)
				}
				links++
				p := anon.get(path)
				// An invitation link works until it is used or a newer
				// one replaces it (the outbox lists the newest first);
				// after that it still opens a page that says so.
				stale := false
				if strings.HasPrefix(path, "/invite/") {
					to := req.To[0]
					stale = invited[to] || to == "owner@acme.example"
					invited[to] = true
				}
				switch {
				case strings.Contains(p.body, "Page not found") || !strings.Contains(p.body, "<h1>"):
					t.Errorf("%s's link %s opens no page (%d at %s):\n%s", req.Template, path, p.status, p.url, p.body)
				case !stale && p.status != http.StatusOK:
					t.Errorf("%s's link %s opens %s with %d:\n%s", req.Template, path, p.url, p.status, p.body)
				case stale && p.status != http.StatusOK && p.status != http.StatusNotFound && p.status != http.StatusGone:
					t.Errorf("%s's used or replaced link %s answers %d", req.Template, path, p.status)
				}
				if strings.HasPrefix(path, "/workspaces/") {
					if p.url.Path != "/login" {
						t.Errorf("%s's console link %s signed out lands on %s, not sign-in", req.Template, path, p.url)
					}
					p := admin.get(path)
					if p.status != http.StatusOK || p.url.Path != path {
						t.Errorf("%s's link %s opens %s with %d for the admin", req.Template, path, p.url, p.status)
					}
				}
			}
		}
		sort.Strings(sent)
		want := []string{"invitation", "invitation_resend", "join_request_accepted", "join_request_filed", "join_request_rejected", "member_joined", "seat_limit_reached", "suspended"}
		if !slices.Equal(sent, want) {
			t.Errorf("emails sent: %v, want every template: %v", sent, want)
		}
		if links < 6 {
			t.Errorf("only %d links checked", links)
		}
	})
}
