package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// seatMails returns the seat_limit_reached emails queued for a workspace.
func seatMails(t *testing.T, d *directory.Directory, wsID string) []directory.EmailRequest {
	t.Helper()
	rows, err := d.OutboxOf(context.Background(), wsID, directory.OutboxEmail, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []directory.EmailRequest
	for _, r := range rows {
		var req directory.EmailRequest
		if err := json.Unmarshal([]byte(r.Payload), &req); err != nil {
			t.Fatal(err)
		}
		if req.Template == "seat_limit_reached" {
			out = append(out, req)
		}
	}
	return out
}

// inviteOne invites one address as the owner and returns its outcome.
func inviteOne(t *testing.T, d *directory.Directory, by directory.Actor, ws, addr string) directory.InviteOutcome {
	t.Helper()
	out, err := d.Invite(context.Background(), by, ws, directory.InviteRequest{Text: addr, Role: directory.RoleMember})
	if err != nil || len(out) != 1 {
		t.Fatalf("invite %s: %v %+v", addr, err, out)
	}
	return out[0]
}

func setSeatLimit(t *testing.T, d *directory.Directory, by directory.Actor, ws string, n int) {
	t.Helper()
	if _, err := d.UpdateWorkspaceSettings(context.Background(), by, ws, directory.WorkspaceSettings{SeatLimit: &n}); err != nil {
		t.Fatalf("seat limit %d: %v", n, err)
	}
}

// TestSeatLimitEmailedOncePerEpisode: an IdP retrying a refused create,
// and an admin inviting meanwhile, make three refusals and one email; the
// feed says the other two were not emailed. Freeing a seat (which is then
// taken) or changing the limit starts a new episode, emailed again.
func TestSeatLimitEmailedOncePerEpisode(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := ownedWorkspace(t, d, "acme")
		setSeatLimit(t, d, owner, ws.Slug, 2)
		// Authenticated after the limit is set: a connection carries the
		// workspace's settings as its token's lookup found them.
		conn := connectSCIM(t, d, ws.Slug)
		held := inviteOne(t, d, owner, ws.Slug, "ann@outside.example")
		if held.Status != directory.OutcomeInvited {
			t.Fatalf("first invitation = %+v", held)
		}

		// Three refusals in one episode: the IdP's create and its retry,
		// and an invitation.
		for i := range 2 {
			if _, _, err := d.SCIMCreateUser(ctx, conn, scimPerson("bob", "bob@outside.example")); !errors.Is(err, directory.ErrSeatLimit) {
				t.Fatalf("SCIM create %d over the limit: %v", i, err)
			}
		}
		if out := inviteOne(t, d, owner, ws.Slug, "cat@outside.example"); out.Status != directory.OutcomeSeatLimit {
			t.Fatalf("invitation over the limit = %+v", out)
		}
		if got := seatMails(t, d, ws.ID); len(got) != 1 || got[0].Data["source"] != "scim" || got[0].To[0] != "owner@acme.example" {
			t.Fatalf("after three refusals, seat mails = %+v; want one, to the owner, about the SCIM create", got)
		}
		evs := directorytest.SeatEvents(t, d, ws.ID)
		if len(evs) != 3 {
			t.Fatalf("seats.limit_reached events = %+v; want 3", evs)
		}
		if !evs[0].Notified || evs[1].Notified || evs[2].Notified {
			t.Errorf("notified = %v %v %v; want true false false", evs[0].Notified, evs[1].Notified, evs[2].Notified)
		}
		if evs[0].NotifiedAt.IsZero() || !evs[1].NotifiedAt.Equal(evs[0].NotifiedAt) || !evs[2].NotifiedAt.Equal(evs[0].NotifiedAt) {
			t.Errorf("notified_at = %v %v %v; want all the first refusal's", evs[0].NotifiedAt, evs[1].NotifiedAt, evs[2].NotifiedAt)
		}
		if evs[2].Source != "invitation" || evs[2].Email != "cat@outside.example" || evs[2].Limit != 2 || evs[2].Used != 2 {
			t.Errorf("third refusal = %+v", evs[2])
		}

		// Accepting an invitation keeps its seat: no new episode.
		acc, err := d.AcceptInvitation(ctx, held.Token, directory.VerifiedIdentity{Email: "ann@outside.example"})
		if err != nil {
			t.Fatalf("accept: %v", err)
		}
		if out := inviteOne(t, d, owner, ws.Slug, "dan@outside.example"); out.Status != directory.OutcomeSeatLimit {
			t.Fatalf("invitation over the limit = %+v", out)
		}
		if got := seatMails(t, d, ws.ID); len(got) != 1 {
			t.Fatalf("after an acceptance and a refusal, %d seat mails; want still 1", len(got))
		}

		// A seat frees up (ann is suspended), someone takes it, and the
		// next refusal is a new episode.
		if _, err := d.SuspendMember(ctx, owner, ws.Slug, acc.Member.ID); err != nil {
			t.Fatalf("suspend: %v", err)
		}
		if out := inviteOne(t, d, owner, ws.Slug, "eve@outside.example"); out.Status != directory.OutcomeInvited {
			t.Fatalf("invitation into the freed seat = %+v", out)
		}
		if out := inviteOne(t, d, owner, ws.Slug, "fay@outside.example"); out.Status != directory.OutcomeSeatLimit {
			t.Fatalf("invitation over the limit = %+v", out)
		}
		if out := inviteOne(t, d, owner, ws.Slug, "gus@outside.example"); out.Status != directory.OutcomeSeatLimit {
			t.Fatalf("invitation over the limit = %+v", out)
		}
		mails := seatMails(t, d, ws.ID)
		if len(mails) != 2 {
			t.Fatalf("after a seat freed and two refusals, %d seat mails; want 2", len(mails))
		}
		emailed := map[string]bool{}
		for _, m := range mails {
			emailed[m.Data["attempted_email"]] = true
		}
		if !emailed["fay@outside.example"] || emailed["gus@outside.example"] {
			t.Errorf("emailed about %v; want fay's refusal, not gus's", emailed)
		}

		// Changing the limit is a new episode even while the workspace
		// stays full.
		setSeatLimit(t, d, owner, ws.Slug, 1)
		for _, addr := range []string{"hal@outside.example", "ivy@outside.example"} {
			if out := inviteOne(t, d, owner, ws.Slug, addr); out.Status != directory.OutcomeSeatLimit {
				t.Fatalf("invitation over the new limit = %+v", out)
			}
		}
		if got := seatMails(t, d, ws.ID); len(got) != 3 {
			t.Fatalf("after a limit change and two refusals, %d seat mails; want 3", len(got))
		}
		evs = directorytest.SeatEvents(t, d, ws.ID)
		var notified []string
		for _, e := range evs {
			if e.Notified {
				notified = append(notified, e.Email)
			}
		}
		if want := []string{"bob@outside.example", "fay@outside.example", "hal@outside.example"}; fmt.Sprint(notified) != fmt.Sprint(want) || len(evs) != 8 {
			t.Errorf("%d refusals, notified for %v; want 8, %v", len(evs), notified, want)
		}

		// Revoking an invitation frees a seat too.
		setSeatLimit(t, d, owner, ws.Slug, 2)
		invs, err := d.ListInvitations(ctx, owner, ws.Slug, directory.InvitationPending, 100)
		if err != nil || len(invs) != 1 {
			t.Fatalf("pending invitations = %+v, %v", invs, err)
		}
		if out := inviteOne(t, d, owner, ws.Slug, "jon@outside.example"); out.Status != directory.OutcomeSeatLimit {
			t.Fatalf("invitation over the limit = %+v", out)
		}
		if err := d.RevokeInvitation(ctx, owner, ws.Slug, invs[0].ID); err != nil {
			t.Fatal(err)
		}
		if out := inviteOne(t, d, owner, ws.Slug, "kim@outside.example"); out.Status != directory.OutcomeInvited {
			t.Fatalf("invitation into the revoked seat = %+v", out)
		}
		if out := inviteOne(t, d, owner, ws.Slug, "lea@outside.example"); out.Status != directory.OutcomeSeatLimit {
			t.Fatalf("invitation over the limit = %+v", out)
		}
		if got := seatMails(t, d, ws.ID); len(got) != 5 {
			t.Errorf("after a limit change, a refusal, a revocation and a refusal, %d seat mails; want 5", len(got))
		}
	})
}

// scimPerson is a SCIM user as the front door hands it over.
func scimPerson(userName, email string) directory.SCIMUserInput {
	return directory.SCIMUserInput{UserName: userName, Active: true, Name: "Sam Person", Email: email,
		Emails: []directory.SCIMEmail{{Value: email, Type: "work", Primary: true}},
		Attrs:  map[string]any{"emails": []any{map[string]any{"value": email, "type": "work", "primary": true}}}}
}

// TestSeatLimitEmailedOnceAcrossReplicas: two Directories on one database
// (two replicas) refuse at once; exactly one refusal emails.
func TestSeatLimitEmailedOnceAcrossReplicas(t *testing.T) {
	for _, backend := range directorytest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			ctx := context.Background()
			url := directorytest.DatabaseURL(t, backend)
			var replicas [2]*directory.Directory
			for i := range replicas {
				d, err := directory.Open(ctx, url, directory.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d.Close() })
				replicas[i] = d
			}
			d := replicas[0]
			ws, inv, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Acme", Slug: "acme", OwnerEmail: "owner@acme.example", SeatLimit: new(1)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := d.AcceptInvitation(ctx, inv.Token, directory.VerifiedIdentity{Email: "owner@acme.example"}); err != nil {
				t.Fatal(err)
			}
			const n = 12
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make(chan error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					out, err := replicas[i%2].Invite(ctx, directory.Operator(), ws.ID, directory.InviteRequest{Text: fmt.Sprintf("p%d@outside.example", i), Role: directory.RoleMember})
					if err == nil && (len(out) != 1 || out[0].Status != directory.OutcomeSeatLimit) {
						err = fmt.Errorf("outcome %+v", out)
					}
					errs <- err
				}()
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("refusal: %v", err)
				}
			}
			if got := seatMails(t, d, ws.ID); len(got) != 1 {
				t.Errorf("%d concurrent refusals on two replicas queued %d seat mails; want 1", n, len(got))
			}
		})
	}
}
