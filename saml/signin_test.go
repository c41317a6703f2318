package saml_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// An invited person follows the link, home-realm discovery sends the
// invited address to the workspace's SAML connection, the person logs in
// at the IdP (samlidp, over HTTP) and the invitation is accepted; a later
// sign-in from /login by email finds the same identity.
func TestInvitationThroughSAMLAndLoginAgain(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns, newBox(t))
		ws, owner := r.workspace("acme", "acme.example", "")
		p := startIdP(t)
		p.user("jane", "jane@acme.example", "Jane", "Doe")
		c := r.connect("acme", p, false)
		tok := r.invite(owner, "acme", "jane@acme.example")

		b := newBrowser(t)
		page := b.get(r.srv.URL + "/invite/" + tok)
		expect(t, page, http.StatusOK, "jane@acme.example")
		page = b.submit(r.srv.URL, page, "/invite/"+tok, nil)
		if !strings.HasPrefix(page.url.String(), p.srv.URL) {
			t.Fatalf("the invitation did not go to the SAML IdP: %s\n%s", page.url, page.body)
		}
		page = b.deliver(b.idpAnswer(page, "jane"))
		if page.status != http.StatusOK || page.url.Path == "/login" {
			t.Fatalf("after the ACS: %d %s\n%s", page.status, page.url, page.body)
		}
		list, err := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "jane@acme.example"})
		if err != nil || len(list.Members) != 1 || list.Members[0].Status != directory.StatusActive {
			t.Fatalf("membership after the SAML sign-in: %v %+v", err, list)
		}

		// Sign out, and in again from /login: discovery by the verified
		// domain picks the SAML connection, the identity is the same.
		b2 := newBrowser(t)
		login := b2.get(r.srv.URL + "/login")
		page = b2.submit(r.srv.URL, login, "/login", url.Values{"email": {"jane@acme.example"}})
		if !strings.HasPrefix(page.url.String(), p.srv.URL) || !strings.Contains(page.url.RawQuery, "login_hint=jane%40acme.example") {
			t.Fatalf("login did not go to the SAML IdP with the address: %s", page.url)
		}
		page = b2.deliver(b2.idpAnswer(page, "jane"))
		expect(t, page, http.StatusOK, "Work acme")
		var n int
		if err := directorytest.DB(t, d).Get(&n, directorytest.DB(t, d).Rebind(`SELECT COUNT(*) FROM oidc_identities WHERE connection_id = ? AND issuer = ? AND subject = ?`),
			c.ID, p.srv.URL+"/metadata", "jane@acme.example"); err != nil || n != 1 {
			t.Fatalf("identity keyed on (connection, entity ID, NameID): %d %v", n, err)
		}
		_ = ws
	})
}

// A domain with auto-join makes a member on first sign-in; an IdP-initiated
// sign-in is accepted where the connection allows it and refused where it
// does not.
func TestAutoJoinAndIdPInitiated(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns, newBox(t))
		_, owner := r.workspace("acme", "acme.example", "auto_join")
		p := startIdP(t)
		p.user("sam", "sam@acme.example", "Sam", "Smith")
		c := r.connect("acme", p, false)
		p.put("/shortcuts/roster", `{"name":"roster","service_provider":"`+r.srv.URL+`/saml/`+c.ID+`/metadata"}`)

		// IdP-initiated on a connection that does not allow it.
		b := newBrowser(t)
		b.idpLogin(p, "sam")
		page := b.get(p.srv.URL + "/login/roster")
		a := b.idpAnswer(page, "sam")
		page = b.deliver(a)
		expect(t, page, http.StatusForbidden, "accepts sign-ins that start at Roster only")
		if !strings.Contains(r.log.String(), "IdP-initiated answer") {
			t.Fatalf("refusal reason not logged:\n%s", r.log)
		}

		// SP-initiated: auto-join.
		page = b.get(r.srv.URL + "/saml/" + c.ID + "/start")
		page = b.deliver(b.idpAnswer(page, "sam"))
		if page.status != http.StatusOK {
			t.Fatalf("auto-join sign-in: %d %s\n%s", page.status, page.url, page.body)
		}
		list, err := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "sam@acme.example"})
		if err != nil || len(list.Members) != 1 || list.Members[0].Status != directory.StatusActive {
			t.Fatalf("auto-join: %v %+v", err, list)
		}

		// Allowed IdP-initiated: a second connection that allows it.
		_, owner2 := r.workspace("beta", "beta.example", "auto_join")
		p2 := startIdP(t)
		p2.user("bo", "bo@beta.example", "Bo", "Berg")
		c2 := r.connect("beta", p2, true)
		p2.put("/shortcuts/roster", `{"name":"roster","service_provider":"`+r.srv.URL+`/saml/`+c2.ID+`/metadata"}`)
		b2 := newBrowser(t)
		b2.idpLogin(p2, "bo")
		page = b2.deliver(b2.idpAnswer(b2.get(p2.srv.URL+"/login/roster"), "bo"))
		if page.status != http.StatusOK {
			t.Fatalf("allowed IdP-initiated sign-in: %d %s\n%s", page.status, page.url, page.body)
		}
		list, err = d.ListMembers(ctx, owner2, "beta", directory.MemberFilter{Query: "bo@beta.example"})
		if err != nil || len(list.Members) != 1 {
			t.Fatalf("IdP-initiated auto-join: %v %+v", err, list)
		}
	})
}
