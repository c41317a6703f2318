package directory_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// raceSetup makes a workspace with a SCIM connection, as an IdP sees it.
// It is self-contained so that this file depends on no other test file.
func raceSetup(t *testing.T, d *directory.Directory, slug string) directory.SCIMConnection {
	t.Helper()
	ctx := context.Background()
	op := directory.Operator()
	ws, owner, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Race " + slug, Slug: slug, OwnerEmail: "owner@" + slug + ".example"})
	if err != nil {
		t.Fatalf("create workspace: %v", err)
	}
	if _, err := d.AcceptInvitation(ctx, owner.Token, directory.VerifiedIdentity{Email: "owner@" + slug + ".example"}); err != nil {
		t.Fatalf("owner accepts: %v", err)
	}
	if _, err := d.CreateSCIMConnection(ctx, op, ws.Slug, directory.SCIMConnectionRequest{Profile: "okta"}); err != nil {
		t.Fatalf("create SCIM connection: %v", err)
	}
	_, token, err := d.CreateSCIMToken(ctx, op, ws.Slug, directory.SCIMTokenRequest{})
	if err != nil {
		t.Fatalf("create SCIM token: %v", err)
	}
	conn, err := d.AuthenticateSCIM(ctx, token)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return conn
}

// raceUser is a SCIM user as the door hands it over: userName, and the
// same address as its one email when email is set.
func raceUser(userName, email string) directory.SCIMUserInput {
	in := directory.SCIMUserInput{UserName: userName, Active: true, Name: "Race Person", Attrs: map[string]any{}}
	if email != "" {
		in.Attrs["emails"] = []any{map[string]any{"value": email, "type": "work", "primary": true}}
		in.Email = email
		in.Emails = []directory.SCIMEmail{{Value: email, Type: "work", Primary: true}}
	}
	return in
}

// A SCIM create racing a rename (PUT) of another user to the same
// userName: each must answer success or a conflict (201 or 409 at the
// door), never a database error such as a deadlock (issue 15 item 3),
// and exactly one of each pair holds the userName afterwards.
func TestSCIMCreateRacingRename(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		conn := raceSetup(t, d, "race")
		const pairs = 40
		others := make([]directory.SCIMUser, pairs)
		for i := range others {
			u, _, err := d.SCIMCreateUser(ctx, conn, raceUser(fmt.Sprintf("other%d@race.example", i), fmt.Sprintf("other%d@race.example", i)))
			if err != nil {
				t.Fatalf("create other user %d: %v", i, err)
			}
			others[i] = u
		}
		createErrs := make([]error, pairs)
		renameErrs := make([]error, pairs)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range pairs {
			name := fmt.Sprintf("x%d@race.example", i)
			wg.Go(func() {
				<-start
				_, _, createErrs[i] = d.SCIMCreateUser(ctx, conn, raceUser(name, name))
			})
			wg.Go(func() {
				<-start
				_, _, renameErrs[i] = d.SCIMUpdateUser(ctx, conn, others[i].ID, func(directory.SCIMUser) (directory.SCIMUserInput, error) {
					// A PUT replaces the whole user: the new userName, and
					// the same address as its email.
					return raceUser(name, name), nil
				})
			})
		}
		close(start)
		wg.Wait()
		for i := range pairs {
			for what, err := range map[string]error{"create": createErrs[i], "rename": renameErrs[i]} {
				if err != nil && !errors.Is(err, directory.ErrConflict) {
					t.Errorf("pair %d: %s: %v, want success or ErrConflict", i, what, err)
				}
			}
			if (createErrs[i] == nil) == (renameErrs[i] == nil) {
				t.Errorf("pair %d: create %v, rename %v: want exactly one to win the userName", i, createErrs[i], renameErrs[i])
			}
		}
	})
}

// Concurrent creates that race for the same address or userName: nobody
// is duplicated, and every request gets the answer some serial order
// would give.
func TestSCIMCreateRaces(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		conn := raceSetup(t, d, "acme")
		otherConn := raceSetup(t, d, "other")
		const n = 8

		// One address, n userNames in one workspace: one account owns
		// the address, the others are created unlinked.
		var wg sync.WaitGroup
		errs := make([]error, n)
		dids := make([]string, n)
		for i := range n {
			wg.Go(func() {
				_, dids[i], errs[i] = d.SCIMCreateUser(ctx, conn, raceUser(fmt.Sprintf("acct%d", i), "shared@elsewhere.example"))
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
				_, _, errs[i] = d.SCIMCreateUser(ctx, conn, raceUser("same.name", fmt.Sprintf("same%d@elsewhere.example", i)))
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
				u, _, kerrs[i] = d.SCIMCreateUser(ctx, c, raceUser("both@elsewhere.example", "both@elsewhere.example"))
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
		db := directorytest.DB(t, d)
		var people int
		if err := db.Get(&people, db.Rebind(`SELECT COUNT(*) FROM users WHERE email_norm = ?`), "both@elsewhere.example"); err != nil || people != 1 {
			t.Errorf("%d users with the address (%v), want 1", people, err)
		}
	})
}
