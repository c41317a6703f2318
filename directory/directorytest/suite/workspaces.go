package suite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// workspaceTests: creating workspaces, and their seat limit.
var workspaceTests = []test{
	{"WorkspaceCreation", testWorkspaceCreation},
	{"SeatLimit", testSeatLimit},
	{"SeatLimitConcurrent", testSeatLimitConcurrent},
}

func testWorkspaceCreation(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Acme Corp.", OwnerEmail: " Owner@ACME.example "})
	if err != nil {
		t.Fatal(err)
	}
	if ws.Slug != "acme-corp" {
		t.Errorf("slug = %q, want acme-corp", ws.Slug)
	}
	if owner.Status != directory.OutcomeInvited || owner.Email != "owner@acme.example" || !strings.HasPrefix(owner.Link, "http://127.0.0.1:8080/invite/") {
		t.Errorf("owner outcome = %+v", owner)
	}
	if _, _, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Acme Corp", OwnerEmail: "x@y.example"}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("duplicate slug: err = %v, want ErrConflict", err)
	}
	if _, _, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Bad", OwnerEmail: "not-an-email"}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("bad owner email: err = %v, want ErrInvalid", err)
	}
	member := directory.Actor{Kind: directory.ActorMember, ID: "nobody"}
	if _, _, err := d.CreateWorkspace(ctx, member, directory.CreateWorkspaceRequest{Name: "Other", OwnerEmail: "a@b.example"}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("non-operator create: err = %v, want ErrForbidden", err)
	}
	acc, err := d.AcceptInvitation(ctx, owner.Token, directory.VerifiedIdentity{Email: "owner@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Member.Role != directory.RoleOwner || acc.Member.Status != directory.StatusActive || !acc.Member.MainAdmin || acc.Member.Kind != directory.KindInternal {
		t.Errorf("owner member = %+v", acc.Member)
	}
	if acc.Member.Name != "Owner" {
		t.Errorf("guessed name = %q, want Owner", acc.Member.Name)
	}
}

func testSeatLimit(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	three := 3
	if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{SeatLimit: &three}); err != nil {
		t.Fatal(err)
	}
	out, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "a@acme.example b@acme.example c@acme.example", Role: directory.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	got := []directory.OutcomeStatus{out[0].Status, out[1].Status, out[2].Status}
	if got[0] != directory.OutcomeInvited || got[1] != directory.OutcomeInvited || got[2] != directory.OutcomeSeatLimit {
		t.Fatalf("outcomes = %v", got)
	}
	if !strings.Contains(out[2].Error, "3") {
		t.Errorf("seat error does not name the limit: %q", out[2].Error)
	}
	seats, _ := d.SeatUsage(ctx, owner, ws.Slug)
	if seats.Used != 3 || seats.Active != 1 || seats.Invited != 2 || !seats.Enforced {
		t.Errorf("seats = %+v", seats)
	}
	// Admins were told.
	mails, _ := d.OutboxOf(ctx, ws.ID, directory.OutboxEmail, 20)
	told := false
	for _, m := range mails {
		told = told || strings.Contains(m.Payload, `"seat_limit_reached"`) && strings.Contains(m.Payload, "owner@acme.example")
	}
	if !told {
		t.Error("owner was not notified of the seat limit")
	}
	// Suspending frees a seat; reactivating needs one.
	m, _ := d.AcceptInvitation(ctx, out[0].Token, directory.VerifiedIdentity{Email: "a@acme.example"})
	if _, err := d.SuspendMember(ctx, owner, ws.Slug, m.Member.ID); err != nil {
		t.Fatal(err)
	}
	more, _ := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "d@acme.example", Role: directory.RoleMember})
	if more[0].Status != directory.OutcomeInvited {
		t.Fatalf("after suspension: %+v", more)
	}
	if _, err := d.ReactivateMember(ctx, owner, ws.Slug, m.Member.ID); !errors.Is(err, directory.ErrSeatLimit) {
		t.Errorf("reactivate over the limit: %v", err)
	}
	// A trial lifts the limit until it ends.
	trial := time.Now().Add(24 * time.Hour)
	if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{TrialEndsAt: &trial}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReactivateMember(ctx, owner, ws.Slug, m.Member.ID); err != nil {
		t.Errorf("reactivate during a trial: %v", err)
	}
}

// testSeatLimitConcurrent proves concurrent grants never exceed the limit.
func testSeatLimitConcurrent(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	limit := 10
	if _, err := d.UpdateWorkspaceSettings(ctx, owner, ws.Slug, directory.WorkspaceSettings{SeatLimit: &limit}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	invited := 0
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: fmt.Sprintf("p%d@acme.example", i), Role: directory.RoleMember})
			if err != nil {
				t.Errorf("invite %d: %v", i, err)
				return
			}
			if out[0].Status == directory.OutcomeInvited {
				mu.Lock()
				invited++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	seats, err := d.SeatUsage(ctx, owner, ws.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if seats.Used != limit || invited != limit-1 {
		t.Errorf("used %d seats with %d invited; limit %d", seats.Used, invited, limit)
	}
}
