package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// The Invite page's second step shows each address with the name it will
// get and sends the names as edited; the role is still required, and a
// main admin invitation is refused next to its box unless it is one
// owner-or-admin address.
func TestConsoleInviteNamesAndMainAdmin(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", nil)
		r.member(owner, "acme", "ada@acme.example", directory.RoleAdmin)
		b := r.signIn("owner@acme.example")
		form := b.get("/workspaces/acme/members/invite")
		expect(t, form, http.StatusOK, `id="main-admin-warning"`, "Olivia Owner (owner@acme.example) is the main admin now")

		action := "/workspaces/acme/members/invite"
		names := b.submit(form, action, url.Values{"step": {"names"}, "addresses": {"grace.hopper@acme.example, alan@acme.example"}})
		expect(t, names, http.StatusOK, `id="names"`, `value="Grace Hopper"`, `value="Alan"`, `name="invitee_email" value="alan@acme.example"`)
		// Sent without a role: refused, the names kept.
		norole := b.submit(names, action, url.Values{"step": {"send"}, "addresses": {"grace.hopper@acme.example, alan@acme.example"},
			"invitee_email": {"grace.hopper@acme.example", "alan@acme.example"}, "invitee_name": {"Grace B. Hopper", "Alan Turing"}})
		expect(t, norole, http.StatusBadRequest, "Choose the role these people will have.", `value="Grace B. Hopper"`, `value="Alan Turing"`)
		// Two addresses as main admin, or a member as main admin: refused.
		two := b.submit(norole, action, url.Values{"step": {"send"}, "role": {"admin"}, "main_admin": {"yes"}, "addresses": {"grace.hopper@acme.example, alan@acme.example"},
			"invitee_email": {"grace.hopper@acme.example", "alan@acme.example"}, "invitee_name": {"Grace B. Hopper", "Alan Turing"}})
		expect(t, two, http.StatusBadRequest, "Only one person can be invited as main admin.", "Nobody was invited yet")
		member := b.submit(two, action, url.Values{"step": {"send"}, "role": {"member"}, "main_admin": {"yes"}, "addresses": {"grace.hopper@acme.example"}})
		expect(t, member, http.StatusBadRequest, "The main admin must be invited as owner or admin.")
		if n := pending(t, d, owner, "acme"); n != 0 {
			t.Fatalf("refused forms invited %d people", n)
		}
		sent := b.submit(member, action, url.Values{"step": {"send"}, "role": {"member"}, "addresses": {"grace.hopper@acme.example, alan@acme.example"},
			"invitee_email": {"grace.hopper@acme.example", "alan@acme.example"}, "invitee_name": {"Grace B. Hopper", ""}})
		expect(t, sent, http.StatusOK, "Sent to 2 addresses: 2 invited.")
		for email, want := range map[string]string{"grace.hopper@acme.example": "Grace B. Hopper", "alan@acme.example": "Alan"} {
			p, err := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: email})
			if err != nil || len(p.Members) != 1 || p.Members[0].Name != want {
				t.Errorf("%s: %+v %v, want the name %q", email, p.Members, err, want)
			}
		}

		// An admin may invite but not choose the main admin: no box.
		adminPage := r.signIn("ada@acme.example").get("/workspaces/acme/members/invite")
		expect(t, adminPage, http.StatusOK, "Invite people")
		if strings.Contains(adminPage.body, `name="main_admin"`) || strings.Contains(adminPage.body, "main-admin-warning") {
			t.Error("an admin is offered the main admin box")
		}
	})
}

// The look-up says in words what it found, refuses what is neither an
// address nor a phone number, and tells another workspace's admin no
// more than that the person has an account elsewhere.
func TestConsoleLookup(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		acme := r.workspace("acme", "acme.example", nil)
		r.member(acme, "acme", "ada@acme.example", directory.RoleMember)
		r.workspace("globex", "globex.example", nil)
		ada, err := d.ListMembers(ctx, acme, "acme", directory.MemberFilter{Query: "ada@acme.example"})
		if err != nil || len(ada.Members) != 1 {
			t.Fatal(ada, err)
		}
		if _, err := d.UpdateMemberProfile(ctx, acme, "acme", ada.Members[0].ID, directory.ProfileUpdate{Name: ptr("Ada Secret"), Phone: ptr("+44 20 7946 0000")}); err != nil {
			t.Fatal(err)
		}
		b := r.signIn("owner@acme.example")
		expect(t, b.get("/workspaces/acme/members/invite?lookup=ada%40acme.example"), http.StatusOK, "Already here", "(active)",
			`href="/workspaces/acme/members/`+ada.Members[0].ID+`"`)
		expect(t, b.get("/workspaces/acme/members/invite?lookup=%2B44+20+7946+0000"), http.StatusOK, "Already here")
		expect(t, b.get("/workspaces/acme/members/invite?lookup=new%40acme.example"), http.StatusOK, "has no account yet", `>new@acme.example</textarea>`)
		expect(t, b.get("/workspaces/acme/members/invite?lookup=12"), http.StatusOK, `id="lookup-error"`, "Enter an email address or a phone number")
		expect(t, b.get("/workspaces/acme/members/invite?lookup=ada%40"), http.StatusOK, `id="lookup-error"`, "This is not an email address")

		// A manager holds members.invite but may not invite: the look-up
		// has its own page, in the navigation.
		r.member(acme, "acme", "max@acme.example", directory.RoleManager)
		mgr := r.signIn("max@acme.example")
		nav := mgr.get("/workspaces/acme/members")
		expect(t, nav, http.StatusOK, `href="/workspaces/acme/members/lookup">Look a person up`)
		expect(t, mgr.get("/workspaces/acme/members/lookup?lookup=ada%40acme.example"), http.StatusOK, "Look a person up", "Already here")
		if p := b.get("/workspaces/acme/members/lookup?lookup=ada%40acme.example"); p.url.Path != "/workspaces/acme/members/invite" {
			t.Errorf("an owner's look-up page is %s, want the Invite page", p.url)
		}

		other := r.signIn("owner@globex.example").get("/workspaces/globex/members/invite?lookup=ada%40acme.example")
		expect(t, other, http.StatusOK, "already has an account in another workspace", "external")
		for _, secret := range []string{"Ada Secret", ada.Members[0].ID, "Acme Corp", "7946"} {
			if strings.Contains(other.body, secret) {
				t.Errorf("globex's look-up shows %q", secret)
			}
		}
	})
}
