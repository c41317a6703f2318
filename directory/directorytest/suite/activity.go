package suite

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// activityTests: the audit log of the console, newest first, by type and
// by person, paged with the feed's cursors.
var activityTests = []test{
	{"ActivityNewestFirstAndPaged", testActivityNewestFirstAndPaged},
	{"ActivityByTypeAndPerson", testActivityByTypeAndPerson},
	{"ActivityRefusals", testActivityRefusals},
}

func activityTypes(page directory.ActivityPage) []string {
	var out []string
	for _, e := range page.Events {
		out = append(out, e.Type)
	}
	return out
}

func testActivityNewestFirstAndPaged(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, otherOwner := newWorkspace(t, d, "other")
	for i := range 5 {
		join(t, d, owner, ws.Slug, fmt.Sprintf("p%d@acme.example", i), directory.RoleMember)
	}
	join(t, d, otherOwner, "other", "x@other.example", directory.RoleMember)

	all, err := d.Activity(ctx, owner, ws.Slug, directory.ActivityFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Events) < 10 || all.NextCursor != "" {
		t.Fatalf("activity = %d events, next %q", len(all.Events), all.NextCursor)
	}
	// The feed shows an event once no older transaction of the cluster
	// is still open (on PostgreSQL other tests' transactions count):
	// wait for it to catch up before comparing.
	directorytest.WaitFeed(t, d, ws.ID)
	feed, err := d.Feed(ctx, owner, ws.Slug, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	// Newest first: the feed's order reversed, with the feed's cursors.
	if len(feed.Events) != len(all.Events) {
		t.Fatalf("activity has %d events, the feed %d", len(all.Events), len(feed.Events))
	}
	for i, e := range all.Events {
		f := feed.Events[len(feed.Events)-1-i]
		if e.ID != f.ID || e.Cursor != f.Cursor {
			t.Fatalf("activity event %d is %d (%s), the feed's reversed is %d (%s)", i, e.ID, e.Cursor, f.ID, f.Cursor)
		}
		if e.WorkspaceID != ws.ID {
			t.Fatalf("event of workspace %s in acme's activity", e.WorkspaceID)
		}
	}
	// Paged by 3, the same events, each once.
	var paged []int64
	cursor := ""
	for {
		page, err := d.Activity(ctx, owner, ws.Slug, directory.ActivityFilter{Before: cursor, Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) > 3 {
			t.Fatalf("a page of 3 has %d events", len(page.Events))
		}
		for _, e := range page.Events {
			paged = append(paged, e.ID)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	var want []int64
	for _, e := range all.Events {
		want = append(want, e.ID)
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged %v, want %v", paged, want)
	}
	// The actors are named: the owner who invited.
	for _, e := range all.Events {
		if e.Type == "invitation.created" && e.ActorKind == "member" && all.People[e.ActorID].Email != "owner@acme.example" {
			t.Fatalf("the inviter of event %d is named %+v", e.ID, all.People[e.ActorID])
		}
	}
}

func testActivityByTypeAndPerson(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	ada, adaActor := join(t, d, owner, ws.Slug, "ada@acme.example", directory.RoleAdmin)
	bob, _ := join(t, d, adaActor, ws.Slug, "bob@acme.example", directory.RoleMember)
	carol, _ := join(t, d, owner, ws.Slug, "carol@acme.example", directory.RoleMember)
	if _, err := d.SuspendMember(ctx, adaActor, ws.Slug, carol.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddDomain(ctx, owner, ws.Slug, "acme.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: "Ops_team"}); err != nil {
		t.Fatal(err)
	}

	invites, err := d.Activity(ctx, owner, ws.Slug, directory.ActivityFilter{Types: []string{"invitation.*"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range activityTypes(invites) {
		if typ != "invitation.created" && typ != "invitation.accepted" {
			t.Fatalf("invitation filter let %s through: %v", typ, activityTypes(invites))
		}
	}
	if len(invites.Events) != 8 { // four invitations, each created and accepted
		t.Fatalf("invitation events = %v", activityTypes(invites))
	}
	two, err := d.Activity(ctx, owner, ws.Slug, directory.ActivityFilter{Types: []string{"member.suspended", "domain.*"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := activityTypes(two); !slices.Equal(got, []string{"domain.added", "member.suspended"}) {
		t.Fatalf("suspended+domains = %v", got)
	}
	// _ in a prefix is not a wildcard: join_request.* matches no team.
	jr, err := d.Activity(ctx, owner, ws.Slug, directory.ActivityFilter{Types: []string{"join_request.*"}})
	if err != nil || len(jr.Events) != 0 {
		t.Fatalf("join requests = %v, %v", activityTypes(jr), err)
	}

	// Ada: what she did (invite bob, suspend carol) and what was done to
	// her (invited, accepted, activated).
	byAda, err := d.Activity(ctx, owner, ws.Slug, directory.ActivityFilter{Person: ada.ID})
	if err != nil {
		t.Fatal(err)
	}
	if byAda.Person == nil || byAda.Person.Email != "ada@acme.example" || byAda.Person.UserID != ada.UserID {
		t.Fatalf("filtered by %+v", byAda.Person)
	}
	var sawBob, sawSuspend, sawOwnInvite bool
	for _, e := range byAda.Events {
		switch {
		case e.Type == "invitation.created" && e.ActorID == ada.UserID:
			sawBob = true
		case e.Type == "member.suspended" && e.SubjectID == carol.ID:
			sawSuspend = true
		case e.Type == "invitation.created" && e.ActorID == owner.ID:
			sawOwnInvite = true
		case e.ActorID != ada.UserID && e.SubjectID != ada.ID && e.Type != "invitation.created" && e.Type != "invitation.accepted":
			t.Errorf("ada's activity holds %s by %s about %s", e.Type, e.ActorID, e.SubjectID)
		}
	}
	if !sawBob || !sawSuspend || !sawOwnInvite {
		t.Fatalf("ada's activity: invited bob %v, suspended carol %v, her own invitation %v: %v", sawBob, sawSuspend, sawOwnInvite, activityTypes(byAda))
	}
	byBob, err := d.Activity(ctx, owner, ws.Slug, directory.ActivityFilter{Person: bob.ID, Types: []string{"member.*"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range byBob.Events {
		if e.SubjectID != bob.ID && e.ActorID != bob.UserID {
			t.Fatalf("bob's member events hold %s about %s", e.Type, e.SubjectID)
		}
	}
	if len(byBob.Events) == 0 {
		t.Fatal("bob's member events are empty")
	}
}

func testActivityRefusals(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	other, otherOwner := newWorkspace(t, d, "other")
	stranger, _ := join(t, d, otherOwner, other.Slug, "x@other.example", directory.RoleMember)
	_, guest := join(t, d, owner, ws.Slug, "guest@acme.example", directory.RoleCollaborator)

	if _, err := d.Activity(ctx, guest, ws.Slug, directory.ActivityFilter{}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("a collaborator read the activity: %v", err)
	}
	if _, err := d.Activity(ctx, otherOwner, ws.Slug, directory.ActivityFilter{}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("another workspace's owner read the activity: %v", err)
	}
	// A member of another workspace is nobody here.
	if _, err := d.Activity(ctx, owner, ws.Slug, directory.ActivityFilter{Person: stranger.ID}); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("filtering by another workspace's member: %v", err)
	}
	if _, err := d.Activity(ctx, owner, ws.Slug, directory.ActivityFilter{Before: "nonsense"}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("a bad cursor: %v", err)
	}
	if _, err := d.Activity(ctx, owner, ws.Slug, directory.ActivityFilter{Types: []string{"DROP TABLE"}}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("a bad type: %v", err)
	}
}
