package directory_test

import (
	"context"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// Every list by status accepts "all" (issue 11 item 15), as the same list
// with no status.
func TestListsByStatusAcceptAll(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		join(t, d, owner, ws.Slug, "mia@acme.example", directory.RoleMember)
		if _, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "pending@acme.example", Role: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ListJoinRequests(ctx, owner, ws.Slug, directory.StatusAll); err != nil {
			t.Errorf("join requests, status all: %v", err)
		}
		all, err := d.ListInvitations(ctx, owner, ws.Slug, directory.StatusAll, 0)
		none, _ := d.ListInvitations(ctx, owner, ws.Slug, "", 0)
		if err != nil || len(all) != len(none) || len(all) < 2 {
			t.Errorf("invitations, status all: %d (%v), without a status %d", len(all), err, len(none))
		}
		members, err := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{Status: directory.StatusAll})
		if err != nil || len(members.Members) < 3 {
			t.Errorf("members, status all: %+v, %v", members, err)
		}
	})
}
