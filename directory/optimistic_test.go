package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/event"
)

// runs is the change in optimistic runs (committed, ran again in a
// transaction) that fn causes.
func runs(d *directory.Directory, fn func()) (committed, fellBack int64) {
	committed, _, fellBack = runsGuessing(d, fn)
	return committed, fellBack
}

// runsGuessing is runs with the committed runs that guessed.
func runsGuessing(d *directory.Directory, fn func()) (committed, guessed, fellBack int64) {
	c0, g0, f0 := directory.OptimisticRuns(d)
	fn()
	c1, g1, f1 := directory.OptimisticRuns(d)
	return c1 - c0, g1 - g0, f1 - f0
}

// A SCIM create of someone new commits without a transaction on
// PostgreSQL (SQLite always uses one); everything that needs a real
// transaction runs in one, with the same outcome.
func TestOptimisticSCIMCreate(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		pg := d.Dialect() == directory.Postgres
		ws, owner := newWorkspace(t, d, "acme")
		conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{Profile: "okta"})
		want := func(what string, committed, fellBack, wantC, wantF int64) {
			t.Helper()
			if !pg {
				wantC, wantF = 0, 0
			}
			if committed != wantC || fellBack != wantF {
				t.Errorf("%s: %d optimistic commits and %d transactions after all, want %d and %d", what, committed, fellBack, wantC, wantF)
			}
		}

		// Someone new in a workspace that has only seen new people: not
		// even a read, one statement that checks the guess.
		var created directory.SCIMUser
		c, g, f := runsGuessing(d, func() {
			var err error
			if created, _, err = d.SCIMCreateUser(ctx, conn, scimUser("new@elsewhere.example", "new@elsewhere.example")); err != nil {
				t.Fatal(err)
			}
		})
		want("someone new", c, f, 1, 0)
		if pg && g != 1 {
			t.Errorf("someone new: %d guesses, want 1", g)
		}
		got, err := d.SCIMGetUser(ctx, conn, created.ID)
		if err != nil || got.Status != directory.StatusInvited || got.UserName != "new@elsewhere.example" {
			t.Fatalf("stored user = %+v, %v", got, err)
		}
		evs, err := d.ListEvents(ctx, owner, ws.Slug, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		types := []string{}
		for _, ev := range evs[len(evs)-2:] {
			types = append(types, ev.Type)
		}
		if strings.Join(types, ",") != "invitation.created,member.provisioned" {
			t.Errorf("events of the optimistic create: %v", types)
		}

		// A taken userName is caught by the final statement's unique
		// index, and the transaction answers 409 as before. The failed
		// guess makes the next runs here read first.
		c, f = runs(d, func() {
			_, _, err = d.SCIMCreateUser(ctx, conn, scimUser("NEW@elsewhere.example", "other@elsewhere.example"))
		})
		if !errors.Is(err, directory.ErrConflict) {
			t.Errorf("duplicate userName: err = %v, want ErrConflict", err)
		}
		want("duplicate userName", c, f, 0, 1)

		// Someone new again: read, then one statement.
		c, g, f = runsGuessing(d, func() {
			if _, _, err := d.SCIMCreateUser(ctx, conn, scimUser("new2@elsewhere.example", "new2@elsewhere.example")); err != nil {
				t.Fatal(err)
			}
		})
		want("someone new after a failed guess", c, f, 1, 0)
		if g != 0 {
			t.Errorf("someone new after a failed guess: %d guesses, want 0", g)
		}

		// Someone with an open invitation: adopting it updates rows.
		if _, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "invited@elsewhere.example", Role: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		c, f = runs(d, func() {
			if _, _, err := d.SCIMCreateUser(ctx, conn, scimUser("invited@elsewhere.example", "invited@elsewhere.example")); err != nil {
				t.Fatal(err)
			}
		})
		want("an invited person", c, f, 0, 1)

		// A workspace with webhooks: the events need outbox rows in the
		// same transaction. The statement refuses, the transaction
		// queues them, and the workspace is not tried optimistically
		// for a while.
		if _, err := d.CreateWebhook(ctx, owner, ws.Slug, directory.WebhookRequest{URL: "https://hooks.acme.example/roster", SealedSecret: "sealed"}); err != nil {
			t.Fatal(err)
		}
		var hooked directory.SCIMUser
		c, f = runs(d, func() {
			if hooked, _, err = d.SCIMCreateUser(ctx, conn, scimUser("hooked@elsewhere.example", "hooked@elsewhere.example")); err != nil {
				t.Fatal(err)
			}
		})
		want("a workspace with webhooks", c, f, 0, 1)
		delivered := false
		for _, m := range webhookOutbox(t, d, ws.ID) {
			var ev event.Envelope
			if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
				t.Fatal(err)
			}
			delivered = delivered || ev.Type == "member.provisioned" && ev.SubjectID == hooked.ID
		}
		if !delivered {
			t.Error("member.provisioned of the webhook workspace was not queued for its webhook")
		}
		c, f = runs(d, func() {
			if _, _, err := d.SCIMCreateUser(ctx, conn, scimUser("hooked2@elsewhere.example", "hooked2@elsewhere.example")); err != nil {
				t.Fatal(err)
			}
		})
		want("the webhook workspace again", c, f, 0, 0)

		// A workspace with a seat limit: the seat check locks the
		// workspace row for the transaction.
		limit := 2
		small, smallOwner, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Small", Slug: "small", OwnerEmail: "owner@small.example", SeatLimit: &limit})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.AcceptInvitation(ctx, smallOwner.Token, directory.VerifiedIdentity{Email: "owner@small.example"}); err != nil {
			t.Fatal(err)
		}
		smallConn := scimConnect(t, d, small.Slug, directory.SCIMConnectionRequest{})
		c, f = runs(d, func() {
			if _, _, err := d.SCIMCreateUser(ctx, smallConn, scimUser("one@x.example", "one@x.example")); err != nil {
				t.Fatal(err)
			}
			var seats *directory.SeatLimitError
			if _, _, err := d.SCIMCreateUser(ctx, smallConn, scimUser("two@x.example", "two@x.example")); !errors.As(err, &seats) {
				t.Errorf("over the limit: err = %v, want SeatLimitError", err)
			}
		})
		want("a seat-limited workspace", c, f, 0, 2)
	})
}

// Concurrent creates that race for the same address or userName: the
// final statements' unique indexes catch the losers, which decide again in
// a transaction. Nobody is duplicated, and every request gets the answer
// some serial order would give.
func TestOptimisticSCIMCreateRaces(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, _ := newWorkspace(t, d, "acme")
		conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{Profile: "okta"})
		other, _ := newWorkspace(t, d, "other")
		otherConn := scimConnect(t, d, other.Slug, directory.SCIMConnectionRequest{Profile: "okta"})
		const n = 8

		// One address, n userNames in one workspace: one account owns
		// the address, the others are created unlinked.
		var wg sync.WaitGroup
		errs := make([]error, n)
		dids := make([]string, n)
		for i := range n {
			wg.Go(func() {
				_, dids[i], errs[i] = d.SCIMCreateUser(ctx, conn, scimUser(fmt.Sprintf("acct%d", i), "shared@elsewhere.example"))
			})
		}
		wg.Wait()
		unlinked := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("create acct%d: %v", i, err)
			}
			if strings.Contains(dids[i], "not linked") {
				unlinked++
			}
		}
		if unlinked != n-1 {
			t.Errorf("%d of %d accounts left unlinked, want %d: %q", unlinked, n, n-1, dids)
		}

		// One userName, n requests: one 201, the rest 409.
		created, conflicts := 0, 0
		for i := range n {
			wg.Go(func() {
				_, _, errs[i] = d.SCIMCreateUser(ctx, conn, scimUser("same.name", fmt.Sprintf("same%d@elsewhere.example", i)))
			})
		}
		wg.Wait()
		for _, err := range errs {
			switch {
			case err == nil:
				created++
			case errors.Is(err, directory.ErrConflict):
				conflicts++
			default:
				t.Errorf("same userName: %v", err)
			}
		}
		if created != 1 || conflicts != n-1 {
			t.Errorf("same userName: %d created and %d conflicts, want 1 and %d", created, conflicts, n-1)
		}

		// One new address in two workspaces at once: one person, internal
		// to the workspace that created them first, external to the other.
		var kinds [2]string
		var kerrs [2]error
		for i, c := range []directory.SCIMConnection{conn, otherConn} {
			wg.Go(func() {
				var u directory.SCIMUser
				u, _, kerrs[i] = d.SCIMCreateUser(ctx, c, scimUser("both@elsewhere.example", "both@elsewhere.example"))
				kinds[i] = u.Kind
			})
		}
		wg.Wait()
		if kerrs[0] != nil || kerrs[1] != nil {
			t.Fatalf("two workspaces: %v, %v", kerrs[0], kerrs[1])
		}
		if k := kinds[0] + "," + kinds[1]; k != "internal,external" && k != "external,internal" {
			t.Errorf("two workspaces made the person %s", k)
		}
		var people int
		if err := d.DB().Get(&people, d.DB().Rebind(`SELECT COUNT(*) FROM users WHERE email_norm = ?`), "both@elsewhere.example"); err != nil || people != 1 {
			t.Errorf("%d users with the address (%v), want 1", people, err)
		}
	})
}

// A guess that is wrong is refused by the statement that checks it: the
// person internal to another workspace becomes external, and the person
// at a verified domain an active member, exactly as a transaction decides.
func TestOptimisticWrongGuesses(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		pg := d.Dialect() == directory.Postgres
		fellBackOnPG := func(what string, f int64) {
			t.Helper()
			if want := map[bool]int64{true: 1, false: 0}[pg]; f != want {
				t.Errorf("%s: %d transactions after all, want %d", what, f, want)
			}
		}
		home, _ := newWorkspace(t, d, "home")
		homeConn := scimConnect(t, d, home.Slug, directory.SCIMConnectionRequest{Profile: "okta"})
		if _, _, err := d.SCIMCreateUser(ctx, homeConn, scimUser("kim@home.example", "kim@home.example")); err != nil {
			t.Fatal(err)
		}

		// Known elsewhere: the guess that nobody has the address fails.
		other, _ := newWorkspace(t, d, "other")
		otherConn := scimConnect(t, d, other.Slug, directory.SCIMConnectionRequest{Profile: "okta"})
		var kim directory.SCIMUser
		_, f := runs(d, func() {
			var err error
			if kim, _, err = d.SCIMCreateUser(ctx, otherConn, scimUser("kim@home.example", "kim@home.example")); err != nil {
				t.Fatal(err)
			}
		})
		fellBackOnPG("an address known elsewhere", f)
		if kim.Kind != directory.KindExternal || kim.Status != directory.StatusInvited {
			t.Errorf("someone internal elsewhere: %s %s, want external invited", kim.Kind, kim.Status)
		}

		// A verified domain: the guess that it is not fails.
		acme, _ := newWorkspace(t, d, "acme")
		verifyDomainForTest(t, d, acme.ID, "acme.example", "auto_join", directory.RoleMember)
		acmeConn := scimConnect(t, d, acme.Slug, directory.SCIMConnectionRequest{Profile: "okta"})
		var ann directory.SCIMUser
		_, f = runs(d, func() {
			var err error
			if ann, _, err = d.SCIMCreateUser(ctx, acmeConn, scimUser("ann@acme.example", "ann@acme.example")); err != nil {
				t.Fatal(err)
			}
		})
		fellBackOnPG("an address at a verified domain", f)
		if ann.Kind != directory.KindInternal || ann.Status != directory.StatusActive {
			t.Errorf("someone at a verified domain: %s %s, want internal active", ann.Kind, ann.Status)
		}
	})
}
