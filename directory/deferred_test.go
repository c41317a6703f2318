package directory_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// Inserts held back on PostgreSQL (and run at once on SQLite) must behave
// like inserts run at once: a later read in the transaction sees them, a
// unique violation among them is the caller's own error (here: a user
// with that email already exists) wherever it surfaces, and a failed
// transaction leaves none of its rows behind.
func TestHeldBackInserts(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, _ := newWorkspace(t, d, "acme")
		for i, c := range []struct {
			name       string
			read, emit bool
		}{
			{"flushed before a read", true, false},
			{"riding on the events statement", false, true},
			{"flushed alone at commit", false, false},
		} {
			t.Run(c.name, func(t *testing.T) {
				fresh := []string{fmt.Sprintf("a%d@acme.example", i), fmt.Sprintf("b%d@acme.example", i), fmt.Sprintf("c%d@acme.example", i)}
				seen, err := directory.CreateUsersForTest(ctx, d, ws.ID, fresh, c.read, c.emit)
				if err != nil {
					t.Fatalf("create %v: %v", fresh, err)
				}
				if c.read && seen != len(fresh) {
					t.Errorf("the transaction saw %d of its %d users", seen, len(fresh))
				}
				if got := existing(t, d, fresh); got != len(fresh) {
					t.Errorf("%d of %d users committed", got, len(fresh))
				}

				// The duplicate sits between two new addresses.
				again := []string{fmt.Sprintf("d%d@acme.example", i), fresh[1], fmt.Sprintf("e%d@acme.example", i)}
				_, err = directory.CreateUsersForTest(ctx, d, ws.ID, again, c.read, c.emit)
				if !errors.Is(err, directory.ErrConflict) {
					t.Fatalf("duplicate email: err = %v, want ErrConflict", err)
				}
				if want := "a user with email " + fresh[1] + " already exists"; !strings.Contains(err.Error(), want) {
					t.Errorf("duplicate email: err = %q, want it to say %q", err, want)
				}
				if got := existing(t, d, []string{again[0], again[2]}); got != 0 {
					t.Errorf("a failed transaction left %d users behind", got)
				}
			})
		}
	})
}

// existing counts the users with the given addresses.
func existing(t *testing.T, d *directory.Directory, emails []string) int {
	t.Helper()
	n := 0
	for _, e := range emails {
		var c int
		if err := d.DB().Get(&c, d.DB().Rebind(`SELECT COUNT(*) FROM users WHERE email_norm = ?`), e); err != nil {
			t.Fatal(err)
		}
		n += c
	}
	return n
}
