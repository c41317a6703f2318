package oidc_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/oidc"
)

// TestDomainOutcomes: an auto_join domain makes a member with the default
// role (seat limit permitting), a request domain files a join request, a
// rejected person is told so; each workspace sees only its own people.
func TestDomainOutcomes(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns, oidc.Config{Dev: true})
		_, acmeOwner := r.workspace("acme", "acme.example", directory.DomainAutoJoin, directory.RoleCollaborator)
		_, betaOwner := r.workspace("beta", "beta.example", directory.DomainRequest, directory.RoleMember)
		acmeIdP, betaIdP := startMock(t), startMock(t)
		r.connect("acme", mockConnection(acmeIdP))
		r.connect("beta", mockConnection(betaIdP))

		// auto_join: active member with the domain's default role.
		b := r.browser()
		acmeIdP.QueueUser(user("ann", "ann@acme.example"))
		p := b.submit(b.get("/login"), "/login", url.Values{"email": {"ann@acme.example"}})
		expect(t, p, http.StatusOK, "Welcome to Work acme")
		p = b.submit(p, "/onboarding", url.Values{"workspace": {"acme"}, "name": {"Ann"}})
		expect(t, p, http.StatusOK, "Work acme", "collaborator", "Active")

		// Seat limit: acme has owner + ann; a limit of 2 refuses the next.
		two := 2
		if _, err := d.UpdateWorkspaceSettings(ctx, acmeOwner, "acme", directory.WorkspaceSettings{SeatLimit: &two}); err != nil {
			t.Fatal(err)
		}
		b2 := r.browser()
		acmeIdP.QueueUser(user("al", "al@acme.example"))
		p = b2.submit(b2.get("/login"), "/login", url.Values{"email": {"al@acme.example"}})
		expect(t, p, http.StatusForbidden, "This workspace is full", "2 seats")

		// request: a join request, shown on "your workspaces".
		b3 := r.browser()
		betaIdP.QueueUser(user("bo", "bo@beta.example"))
		p = b3.submit(b3.get("/login"), "/login", url.Values{"email": {"bo@beta.example"}})
		expect(t, p, http.StatusOK, "Your workspaces", "Work beta", "Request waiting for a decision")
		reqs, err := d.ListJoinRequests(ctx, betaOwner, "beta", directory.JoinRequestPending)
		if err != nil || len(reqs) != 1 || reqs[0].Email != "bo@beta.example" {
			t.Fatalf("join requests: %v %+v", err, reqs)
		}
		// Signing in again while it waits files nothing new.
		betaIdP.QueueUser(user("bo", "bo@beta.example"))
		b3.submit(b3.get("/login"), "/login", url.Values{"email": {"bo@beta.example"}})
		if reqs, _ := d.ListJoinRequests(ctx, betaOwner, "beta", directory.JoinRequestPending); len(reqs) != 1 {
			t.Errorf("%d pending requests after a second sign-in", len(reqs))
		}
		if err := d.RejectJoinRequest(ctx, betaOwner, "beta", reqs[0].ID); err != nil {
			t.Fatal(err)
		}
		betaIdP.QueueUser(user("bo", "bo@beta.example"))
		p = b3.submit(b3.get("/login"), "/login", url.Values{"email": {"bo@beta.example"}})
		expect(t, p, http.StatusForbidden, "declined")

		// Tenancy: acme's members never include beta's people, and the
		// request is beta's alone.
		page, _ := d.ListMembers(ctx, acmeOwner, "acme", directory.MemberFilter{})
		for _, m := range page.Members {
			if m.Email == "bo@beta.example" {
				t.Error("acme sees beta's person")
			}
		}
		if reqs, _ := d.ListJoinRequests(ctx, acmeOwner, "acme", ""); len(reqs) != 0 {
			t.Errorf("acme sees %d join requests", len(reqs))
		}
	})
}

// TestJoinLinks: an approval link files a request and the page says who
// decides; a direct link joins at once; an inactive link says so.
func TestJoinLinks(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns, oidc.Config{Dev: true})
		_, owner := r.workspace("acme", "acme.example", "", "")
		idp := startMock(t)
		r.connect("acme", mockConnection(idp))

		link, tok, _, err := d.CreateJoinLink(ctx, owner, "acme", directory.JoinLinkRequest{Description: "Design contractors", Role: directory.RoleCollaborator,
			Mode: directory.JoinModeApproval, Notify: directory.JoinNotifyAllManagers})
		if err != nil {
			t.Fatal(err)
		}
		b := r.browser()
		p := b.get("/join/" + tok)
		expect(t, p, http.StatusOK, "Work acme", "Design contractors", "owners, admins and managers")
		idp.QueueUser(user("cy", "cy@acme.example"))
		p = b.submit(p, "/join/"+tok, url.Values{"email": {"cy@acme.example"}})
		expect(t, p, http.StatusOK, "Your request to join Work acme was sent", "owners, admins and managers will decide")
		if p.url.Path != "/join/"+tok {
			t.Errorf("landed on %s", p.url)
		}
		reqs, err := d.ListJoinRequests(ctx, owner, "acme", directory.JoinRequestPending)
		if err != nil || len(reqs) != 1 || reqs[0].JoinLinkID == nil || *reqs[0].JoinLinkID != link.ID {
			t.Fatalf("requests = %v %+v", err, reqs)
		}

		_, direct, _, err := d.CreateJoinLink(ctx, owner, "acme", directory.JoinLinkRequest{Description: "All hands", Role: directory.RoleMember,
			Mode: directory.JoinModeDirect, Notify: directory.JoinNotifyNobody})
		if err != nil {
			t.Fatal(err)
		}
		b2 := r.browser()
		idp.QueueUser(user("di", "di@acme.example"))
		p = b2.submit(b2.get("/join/"+direct), "/join/"+direct, url.Values{"email": {"di@acme.example"}})
		expect(t, p, http.StatusOK, "Welcome to Work acme")

		if err := d.RevokeJoinLink(ctx, owner, "acme", link.ID); err != nil {
			t.Fatal(err)
		}
		expect(t, r.browser().get("/join/"+tok), http.StatusGone, "no longer active")
		expect(t, r.browser().get("/join/nope"), http.StatusNotFound, "not valid")
	})
}
