package directory

import (
	"context"

	"github.com/jmoiron/sqlx"
)

// Hooks for the tests of package directory_test.

// DB is the directory's pool, for tests that arrange or check rows no
// operation reaches. It exists only in this package's tests; tests of
// other packages use directorytest.DB.
func (d *Directory) DB() *sqlx.DB { return d.db.DB }

// SCIMConnectionWorkspace is the workspace as AuthenticateSCIM read it for
// the connection (what the request's operations use).
func SCIMConnectionWorkspace(c SCIMConnection) Workspace {
	if c.ws == nil {
		return Workspace{}
	}
	return c.ws.public()
}

// SCIMAuthCacheOn reports whether d's SCIM authentication cache is in use:
// PostgreSQL, with the listener connected and LISTENing.
func SCIMAuthCacheOn(d *Directory) bool {
	c := d.scimAuth
	if c == nil {
		return false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.on()
}

// CreateUsersForTest creates users with emails through the held-back
// inserts of deferred.go, in one transaction: then, when read is set,
// counts them inside the transaction (a read must see the rows held back
// before it), and, when emit is set, emits an event (the held-back rows
// then ride on the events statement at commit).
func CreateUsersForTest(ctx context.Context, d *Directory, workspaceID string, emails []string, read, emit bool) (seen int, err error) {
	err = d.inTx(ctx, System(), func(t *tx) error {
		for _, e := range emails {
			if _, err := t.createUser(e, "", "", "", workspaceID, ""); err != nil {
				return err
			}
		}
		if read {
			q, args, err := inQuery(`SELECT COUNT(*) FROM users WHERE email_norm IN (?)`, emails)
			if err != nil {
				return err
			}
			if err := t.get(&seen, q, args...); err != nil {
				return err
			}
		}
		if emit {
			return t.emit(workspaceID, "test.users_created", "workspace", workspaceID, map[string]any{"emails": emails})
		}
		return nil
	})
	return seen, err
}

// OptimisticRuns reports how many optimistic runs committed, how many of
// those guessed instead of reading, and how many ran again in a
// transaction.
func OptimisticRuns(d *Directory) (committed, guessed, fellBack int64) {
	return d.optimism.committed.Load(), d.optimism.guessed.Load(), d.optimism.fellBack.Load()
}
