package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// invitationLink is the link of the last invitation email queued for addr.
func invitationLink(t *testing.T, d *directory.Directory, workspaceID, addr string) string {
	t.Helper()
	msgs, err := d.OutboxOf(context.Background(), workspaceID, directory.OutboxEmail, 1000)
	if err != nil {
		t.Fatal(err)
	}
	link := ""
	for _, m := range msgs {
		var req directory.EmailRequest
		json.Unmarshal([]byte(m.Payload), &req)
		if len(req.To) == 1 && req.To[0] == addr && req.Template == "invitation" {
			link = req.Data["link"]
		}
	}
	if link == "" {
		t.Fatalf("no invitation email to %s", addr)
	}
	return link
}

// A suspension says who made it (issue 11 item 14): the workspace's
// identity provider when SCIM deactivated the person, an administrator
// otherwise.
func TestSuspensionSaysWhoSuspended(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{})
		in := scimUser("pat@elsewhere.example", "pat@elsewhere.example")
		pat, _, err := d.SCIMCreateUser(ctx, conn, in)
		if err != nil {
			t.Fatal(err)
		}
		link := invitationLink(t, d, ws.ID, "pat@elsewhere.example")
		if _, _, err := d.SCIMUpdateUser(ctx, conn, pat.ID, func(cur directory.SCIMUser) (directory.SCIMUserInput, error) {
			in := scimUserFrom(t, cur)
			in.Active = false
			return in, nil
		}); err != nil {
			t.Fatal(err)
		}
		token := link[strings.LastIndex(link, "/")+1:]
		_, err = d.AcceptInvitation(ctx, token, directory.VerifiedIdentity{Email: "pat@elsewhere.example", Name: "Pat"})
		var se *directory.SuspendedError
		if !errors.Is(err, directory.ErrSuspended) || !errors.As(err, &se) || !se.ByIdentityProvider {
			t.Errorf("accepting an invitation the IdP deactivated: %v, want ErrSuspended by the identity provider", err)
		}

		// Suspended by an admin: not the IdP.
		res, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "kim@elsewhere.example", Role: directory.RoleMember})
		if err != nil || len(res) != 1 || res[0].Status != directory.OutcomeInvited {
			t.Fatalf("invite: %+v %v", res, err)
		}
		if _, err := d.SuspendMember(ctx, owner, ws.Slug, res[0].MembershipID); err != nil {
			t.Fatal(err)
		}
		link = res[0].Link
		_, err = d.AcceptInvitation(ctx, link[strings.LastIndex(link, "/")+1:], directory.VerifiedIdentity{Email: "kim@elsewhere.example", Name: "Kim"})
		se = nil
		if !errors.Is(err, directory.ErrSuspended) || (errors.As(err, &se) && se.ByIdentityProvider) {
			t.Errorf("accepting an invitation an admin suspended: %v, want ErrSuspended not by the identity provider", err)
		}
	})
}
