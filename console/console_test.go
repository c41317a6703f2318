package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// fileJoinRequest makes an approval join link in slug and has email ask
// to join through it; it returns the request's id.
func (r *roster) fileJoinRequest(by directory.Actor, slug, email, name string) string {
	r.t.Helper()
	ctx := context.Background()
	_, token, _, err := r.d.CreateJoinLink(ctx, by, slug, directory.JoinLinkRequest{Description: "Contractors 2026", Role: directory.RoleMember,
		Mode: directory.JoinModeApproval, Notify: directory.JoinNotifyAllManagers})
	if err != nil {
		r.t.Fatal(err)
	}
	res, err := r.d.UseJoinLink(ctx, token, directory.VerifiedIdentity{Email: email, Name: name})
	if err != nil || res.Request == nil {
		r.t.Fatalf("join request of %s: %+v %v", email, res, err)
	}
	return res.Request.ID
}

// Each built-in role sees the console pages its permissions allow, and
// members and collaborators get no admin page at all, only a refusal in
// words.
func TestConsolePermissions(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		r.member(owner, "acme", "ada@acme.example", directory.RoleAdmin)
		r.member(owner, "acme", "max@acme.example", directory.RoleManager)
		r.member(owner, "acme", "mo@acme.example", directory.RoleMember)
		r.member(owner, "acme", "cy@acme.example", directory.RoleCollaborator)
		req := r.fileJoinRequest(owner, "acme", "rita@acme.example", "Rita Request")

		type want struct{ members, invite, requests int }
		tests := []struct {
			email string
			want  want
		}{
			{"owner@acme.example", want{200, 200, 200}},
			{"ada@acme.example", want{200, 200, 200}},
			// Managers review the join links' requests; the owners have
			// not let managers invite (the default).
			{"max@acme.example", want{200, 403, 200}},
			{"mo@acme.example", want{403, 403, 403}},
			{"cy@acme.example", want{403, 403, 403}},
		}
		for _, tt := range tests {
			b := r.signIn(tt.email)
			members := b.get("/workspaces/acme/members")
			invite := b.get("/workspaces/acme/members/invite")
			requests := b.get("/workspaces/acme/join-requests")
			confirm := b.get("/workspaces/acme/join-requests/" + req + "/accept")
			got := want{members.status, invite.status, requests.status}
			if got != tt.want || confirm.status != tt.want.requests {
				t.Errorf("%s: members %d, invite %d, join requests %d (confirm %d); want %+v", tt.email, got.members, got.invite, got.requests, confirm.status, tt.want)
			}
			if tt.want.members == 403 {
				expect(t, members, http.StatusForbidden, "No administration for your role")
				if strings.Contains(members.body, "rita@acme.example") || strings.Contains(members.body, "ada@acme.example") {
					t.Errorf("%s: the refusal shows members", tt.email)
				}
				// Not even a POST with this session's valid token.
				home := b.get("/home")
				token := csrfField.FindStringSubmatch(home.body)[1]
				for _, path := range []string{"/workspaces/acme/members/invite", "/workspaces/acme/join-requests/" + req + "/accept"} {
					if p := b.post(path, url.Values{"csrf": {token}, "addresses": {"x@acme.example"}, "role": {"member"}}); p.status != http.StatusForbidden {
						t.Errorf("%s: POST %s answered %d", tt.email, path, p.status)
					}
				}
				if strings.Contains(home.body, `href="/workspaces/acme/`) {
					t.Errorf("%s: /home links into the console", tt.email)
				}
			} else {
				if !strings.Contains(members.body, `href="/workspaces/acme/members"`) {
					t.Errorf("%s: no Members navigation", tt.email)
				}
				if has := strings.Contains(members.body, `href="/workspaces/acme/members/invite"`); has != (tt.want.invite == 200) {
					t.Errorf("%s: Invite offered = %v, may invite = %v", tt.email, has, tt.want.invite == 200)
				}
				if home := b.get("/home"); !strings.Contains(home.body, `href="/workspaces/acme/"`) {
					t.Errorf("%s: /home has no way into the console:\n%s", tt.email, home.body)
				}
			}
		}
	})
}

// One workspace's admin never sees or changes another's: every console
// URL of acme, with acme's ids, answers globex's owner as if acme did
// not exist, and acme's request stays pending.
func TestConsoleCrossWorkspaceTampering(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		acme := r.workspace("acme", "acme.example", nil)
		r.member(acme, "acme", "secret-person@acme.example", directory.RoleMember)
		req := r.fileJoinRequest(acme, "acme", "rita@acme.example", "Rita Request")
		r.workspace("globex", "globex.example", nil)

		b := r.signIn("owner@globex.example")
		own := b.get("/workspaces/globex/members")
		expect(t, own, http.StatusOK, "Globex Corp")
		for _, path := range []string{"/workspaces/acme/members", "/workspaces/acme/members?q=secret", "/workspaces/acme/members/invite",
			"/workspaces/acme/join-requests", "/workspaces/acme/join-requests/" + req + "/accept", "/workspaces/nowhere/members"} {
			p := b.get(path)
			expect(t, p, http.StatusNotFound, "Workspace not found")
			if strings.Contains(p.body, "secret-person") || strings.Contains(p.body, "rita@") || strings.Contains(p.body, "Acme Corp") {
				t.Errorf("%s shows acme's data:\n%s", path, p.body)
			}
		}
		// acme's request id under globex's own URL: globex has no such request.
		p := b.get("/workspaces/globex/join-requests/" + req + "/accept")
		expect(t, p, http.StatusNotFound, "Join request not found")
		// Forged POSTs with a valid token of this session.
		token := csrfField.FindStringSubmatch(own.body)[1]
		for _, path := range []string{"/workspaces/acme/join-requests/" + req + "/accept", "/workspaces/globex/join-requests/" + req + "/accept"} {
			if p := b.post(path, url.Values{"csrf": {token}}); p.status != http.StatusNotFound {
				t.Errorf("POST %s: %d\n%s", path, p.status, p.body)
			}
		}
		if p := b.post("/workspaces/acme/members/invite", url.Values{"csrf": {token}, "addresses": {"intruder@globex.example"}, "role": {"member"}}); p.status != http.StatusNotFound {
			t.Errorf("invite into acme: %d", p.status)
		}
		reqs, err := d.ListJoinRequests(ctx, acme, "acme", directory.JoinRequestPending)
		if err != nil || len(reqs) != 1 || reqs[0].ID != req {
			t.Errorf("acme's pending requests after the attempts: %+v %v", reqs, err)
		}
		page, _ := d.ListMembers(ctx, acme, "acme", directory.MemberFilter{Query: "intruder"})
		if len(page.Members) != 0 {
			t.Errorf("intruder invited into acme: %+v", page.Members)
		}
	})
}

// A POST without the form's token, or with another session's, is
// refused with 403 and changes nothing.
func TestConsoleCSRF(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		req := r.fileJoinRequest(owner, "acme", "rita@acme.example", "Rita Request")
		r.member(owner, "acme", "ada@acme.example", directory.RoleAdmin)
		b := r.signIn("owner@acme.example")
		other := r.signIn("ada@acme.example")
		theirs := csrfField.FindStringSubmatch(other.get("/workspaces/acme/members/invite").body)[1]
		for _, token := range []string{"", "AAAA", theirs} {
			form := url.Values{"addresses": {"eve@acme.example"}, "role": {"member"}}
			if token != "" {
				form.Set("csrf", token)
			}
			expect(t, b.post("/workspaces/acme/members/invite", form), http.StatusForbidden, "Form expired")
			expect(t, b.post("/workspaces/acme/join-requests/"+req+"/accept", url.Values{"csrf": {token}}), http.StatusForbidden, "Form expired")
		}
		page, _ := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "eve"})
		reqs, _ := d.ListJoinRequests(ctx, owner, "acme", directory.JoinRequestPending)
		if len(page.Members) != 0 || len(reqs) != 1 {
			t.Errorf("a refused form changed something: members %+v, pending %+v", page.Members, reqs)
		}
		// With the page's own token it works.
		p := b.submit(b.get("/workspaces/acme/members/invite"), "/workspaces/acme/members/invite", url.Values{"addresses": {"eve@acme.example"}, "role": {"member"}, "send_email": {"yes"}})
		expect(t, p, http.StatusOK, "eve@acme.example", "Invited")
	})
}

// The way in: / sends a signed-out browser to sign in and an admin into
// the console; console pages carry the sign-in pages' security headers;
// the invite form keeps its input and says what is wrong next to the
// field.
func TestConsoleWayInAndForms(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		r := startRoster(t, d, dns)
		r.workspace("acme", "acme.example", ptr(10))
		anon := r.browser()
		p := anon.get("/")
		expect(t, p, http.StatusOK, "Work email")
		if p.url.Path != "/login" {
			t.Errorf("/ signed out lands on %s", p.url)
		}
		p = anon.get("/workspaces/acme/members")
		if p.url.Path != "/login" || p.url.Query().Get("return_to") != "/workspaces/acme/members" {
			t.Errorf("a console page signed out lands on %s", p.url)
		}

		b := r.signIn("owner@acme.example")
		p = b.get("/")
		expect(t, p, http.StatusOK, "Members", "Acme Corp", "Olivia Owner", "Only you so far")
		if p.url.Path != "/workspaces/acme/members" {
			t.Errorf("/ lands an owner on %s", p.url)
		}
		for k, v := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"} {
			if got := p.header.Get(k); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("CSP = %q", csp)
		}

		inv := b.get("/workspaces/acme/members/invite")
		expect(t, inv, http.StatusOK, "9 seats left of 10")
		p = b.submit(inv, "/workspaces/acme/members/invite", url.Values{"addresses": {"ada@acme.example, grace@acme.example"}, "send_email": {"yes"}})
		expect(t, p, http.StatusBadRequest, "Choose the role these people will have.", "ada@acme.example, grace@acme.example", "Nobody was invited yet")
		p = b.submit(inv, "/workspaces/acme/members/invite", url.Values{"addresses": {"  "}, "role": {"member"}})
		expect(t, p, http.StatusBadRequest, "Enter at least one email address.")
		p = b.submit(inv, "/workspaces/acme/members/invite", url.Values{"addresses": {"ada@acme.example; not-an-address\ngrace@acme.example owner@acme.example"}, "role": {"member"}, "send_email": {"yes"}})
		expect(t, p, http.StatusOK, "Sent to 4 addresses: 2 invited, 1 already a member, 1 invalid.", "7 seats left of 10")
		if p.url.Path != "/workspaces/acme/members/invite" {
			t.Errorf("after sending, at %s", p.url)
		}
		// The outcomes were a flash: a reload shows the form alone.
		if again := b.get("/workspaces/acme/members/invite"); strings.Contains(again.body, "Sent to 4") {
			t.Error("the outcomes show again on reload")
		}
		m := b.get("/workspaces/acme/members?status=invited")
		expect(t, m, http.StatusOK, "ada@acme.example", "grace@acme.example", "Invited by Olivia Owner", "Pending")
		if strings.Contains(m.body, "owner@acme.example</div>") {
			t.Error("the pending filter lists the active owner")
		}
	})
}

// A member's page changes the role, suspends and reactivates behind a
// confirmation, and resends or revokes a pending invitation, each through
// the directory; another workspace's member ids are not found here.
func TestConsoleMemberDetail(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		r.member(owner, "acme", "ada@acme.example", directory.RoleMember)
		out, err := d.Invite(ctx, owner, "acme", directory.InviteRequest{Text: "pat@acme.example", Role: directory.RoleMember})
		if err != nil {
			t.Fatal(err)
		}
		pat := out[0].MembershipID
		adaPage, _ := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "ada@"})
		adaID := adaPage.Members[0].ID

		b := r.signIn("owner@acme.example")
		base := "/workspaces/acme/members/" + adaID
		p := b.get(base)
		expect(t, p, http.StatusOK, "ada@acme.example", "Invited by Olivia Owner", "Change role")
		p = b.submit(p, base+"/role", url.Values{"role": {"manager"}})
		expect(t, p, http.StatusOK, "ada@acme.example is now Manager.")
		p = b.submit(p, base+"/role", url.Values{"role": {"no-such-role"}})
		expect(t, p, http.StatusBadRequest, "Choose one of the roles listed")

		confirm := b.get(base + "/suspend")
		expect(t, confirm, http.StatusOK, "signed out everywhere at once")
		p = b.submit(confirm, base+"/suspend", nil)
		expect(t, p, http.StatusOK, "is suspended and signed out", "Suspended")
		p = b.submit(p, base+"/reactivate", nil)
		expect(t, p, http.StatusOK, "is active again", "Active")
		m, _ := d.GetMember(ctx, owner, "acme", adaID)
		if m.Status != directory.StatusActive || m.Role != directory.RoleManager {
			t.Errorf("ada after the page: %+v", m)
		}

		patBase := "/workspaces/acme/members/" + pat
		p = b.get(patBase)
		expect(t, p, http.StatusOK, "pat@acme.example", "Resend the invitation")
		p = b.submit(p, patBase+"/resend", nil)
		expect(t, p, http.StatusOK, "A new invitation link was sent to pat@acme.example")
		p = b.submit(b.get(patBase+"/revoke"), patBase+"/revoke", nil)
		expect(t, p, http.StatusOK, "The invitation of pat@acme.example was revoked.")
		if inv, _ := d.ListInvitations(ctx, owner, "acme", directory.InvitationPending, 0); len(inv) != 0 {
			t.Errorf("pending invitations after revoking: %+v", inv)
		}

		r.workspace("globex", "globex.example", nil)
		g := r.signIn("owner@globex.example")
		expect(t, g.get("/workspaces/globex/members/"+adaID), http.StatusNotFound, "Member not found")
		own := g.get("/workspaces/globex/members")
		token := csrfField.FindStringSubmatch(own.body)[1]
		for _, path := range []string{"/workspaces/globex/members/" + adaID + "/suspend", "/workspaces/acme/members/" + adaID + "/suspend", "/workspaces/globex/members/" + adaID + "/role"} {
			if p := g.post(path, url.Values{"csrf": {token}, "role": {"owner"}}); p.status != http.StatusNotFound {
				t.Errorf("POST %s from globex: %d", path, p.status)
			}
		}
		if m, _ := d.GetMember(ctx, owner, "acme", adaID); m.Status != directory.StatusActive || m.Role != directory.RoleManager {
			t.Errorf("ada after globex's attempts: %+v", m)
		}
	})
}

var consoleLink = regexp.MustCompile(`https?://[^/"]+(/workspaces/[^"\\]+)`)

// The links of the emails that send admins to the console open its
// pages: "review the request" the join requests, "seat limit reached"
// the seats.
func TestConsoleEmailLinks(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", ptr(2))
		r.fileJoinRequest(owner, "acme", "rita@acme.example", "Rita Request")
		b := r.signIn("owner@acme.example")
		p := b.submit(b.get("/workspaces/acme/members/invite"), "/workspaces/acme/members/invite", url.Values{"addresses": {"ada@acme.example grace@acme.example"}, "role": {"member"}, "send_email": {"yes"}})
		expect(t, p, http.StatusOK, "1 invited, 1 seat limit", "0 seats left of 2")

		msgs, err := d.ClaimOutbox(ctx, directory.OutboxEmail, 100, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"/workspaces/acme/join-requests": "Rita Request", "/workspaces/acme/seats": "uses all of its seats"}
		for _, m := range msgs {
			for _, link := range consoleLink.FindAllStringSubmatch(string(m.Payload), -1) {
				text, ok := want[link[1]]
				if !ok {
					t.Errorf("an email links to %s, which the test does not know", link[1])
					continue
				}
				expect(t, b.get(link[1]), http.StatusOK, text)
				delete(want, link[1])
			}
		}
		if len(want) > 0 {
			t.Errorf("no email linked to %v", want)
		}
	})
}
