package delivery_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/delivery"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// prefixedBase is a base URL with a path, as behind a reverse proxy that
// serves Roster under /roster; the trailing slash is the operator's.
const prefixedBase = "https://people.acme.example/roster/"

// TestInvitationMailNamesItsTeams: an invitation that adds the person to
// teams says which, in the text and the HTML part, as a real SMTP server
// receives it; so does the reminder a resend mails.
func TestInvitationMailNamesItsTeams(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		mb := startMailbox(t)
		for _, name := range []string{"Sales", "R&D <EU>", "Not offered"} {
			if _, err := d.CreateTeam(ctx, op, ws.ID, directory.TeamRequest{Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		out, err := d.Invite(ctx, op, ws.ID, directory.InviteRequest{Text: "jane@acme.example", Role: directory.RoleMember, Teams: []string{"sales", "R&D <EU>"}})
		if err != nil || out[0].Status != directory.OutcomeInvited {
			t.Fatalf("invite: %v %+v", err, out)
		}
		if _, err := d.ResendInvitation(ctx, op, ws.ID, out[0].InvitationID); err != nil {
			t.Fatalf("resend: %v", err)
		}
		w := newWorker(d, clock, mb.transport(t), delivery.Options{})
		drain(t, w)
		mails := mb.to("jane@acme.example")
		if len(mails) != 2 {
			t.Fatalf("jane got %d mails, want the invitation and its reminder: %+v", len(mails), mb.messages())
		}
		for _, m := range mails {
			if !strings.Contains(m.text, "You will also join these teams:\n- Sales\n- R&D <EU>\n") {
				t.Errorf("%q: text does not list the teams:\n%s", m.subject, m.text)
			}
			if !strings.Contains(m.html, "<li><strong>Sales</strong></li><li><strong>R&amp;D &lt;EU&gt;</strong></li>") {
				t.Errorf("%q: HTML does not list the teams:\n%s", m.subject, m.html)
			}
			if strings.Contains(m.text, "Not offered") || strings.Contains(m.html, "Not offered") {
				t.Errorf("%q names a team the invitation does not grant", m.subject)
			}
		}

		// Without teams, no list.
		if out, err := d.Invite(ctx, op, ws.ID, directory.InviteRequest{Text: "kim@acme.example", Role: directory.RoleMember}); err != nil || out[0].Status != directory.OutcomeInvited {
			t.Fatalf("invite: %v %+v", err, out)
		}
		drain(t, w)
		kim := mb.to("kim@acme.example")
		if len(kim) != 1 || strings.Contains(kim[0].text, "also join") || strings.Contains(kim[0].html, "<ul>") {
			t.Errorf("invitation without teams = %+v", kim)
		}
	})
}

// TestJoinRequestMailLinksTheConsole: the join-request email's review link
// is the console's join-requests page of the workspace, under the
// configured base URL (path prefix kept, trailing slash dropped), in both
// parts as a real SMTP server receives them.
func TestJoinRequestMailLinksTheConsole(t *testing.T) {
	clock := directorytest.NewClock()
	directorytest.RunWith(t, directory.Options{BaseURL: prefixedBase, Now: clock.Now}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		mb := startMailbox(t)
		ws, inv, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Acme", Slug: "acme", OwnerEmail: "owner@acme.example"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.AcceptInvitation(ctx, inv.Token, directory.VerifiedIdentity{Email: "owner@acme.example"}); err != nil {
			t.Fatal(err)
		}
		_, token, _, err := d.CreateJoinLink(ctx, op, ws.ID, directory.JoinLinkRequest{Description: "Shared in #general", Role: directory.RoleMember, Mode: directory.JoinModeApproval, Notify: directory.JoinNotifyAllManagers})
		if err != nil {
			t.Fatalf("create join link: %v", err)
		}
		if res, err := d.UseJoinLink(ctx, token, directory.VerifiedIdentity{Email: "sam@outside.example", Name: "Sam Lee"}); err != nil || res.Outcome != directory.JoinOutcomeRequested {
			t.Fatalf("use join link: %+v, %v", res, err)
		}
		w := newWorker(d, clock, mb.transport(t), delivery.Options{})
		drain(t, w)
		var filed *delivered
		for _, m := range mb.to("owner@acme.example") {
			if strings.Contains(m.subject, "asked to join") {
				filed = &m
			}
		}
		if filed == nil {
			t.Fatalf("the owner got no join-request mail: %+v", mb.messages())
		}
		const want = "https://people.acme.example/roster/workspaces/acme/join-requests"
		if got := d.JoinRequestsURL("acme"); got != want {
			t.Errorf("JoinRequestsURL = %s, want %s", got, want)
		}
		links := regexp.MustCompile(`https?://[^\s"<>]+`).FindAllString(filed.text, -1)
		if len(links) != 1 || links[0] != want {
			t.Errorf("links in the text = %v, want exactly [%s]:\n%s", links, want, filed.text)
		}
		if !strings.Contains(filed.html, `href="`+want+`"`) {
			t.Errorf("HTML does not link %s:\n%s", want, filed.html)
		}
	})
}
