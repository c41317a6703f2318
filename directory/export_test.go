package directory

import (
	"github.com/jmoiron/sqlx"
)

// Hooks for the tests of package directory_test.

// DB is the directory's pool, for tests that arrange or check rows no
// operation reaches. It exists only in this package's tests; tests of
// other packages use directorytest.DB.
func (d *Directory) DB() *sqlx.DB { return d.SQL.DB }

// SCIMConnectionWorkspace is the workspace as AuthenticateSCIM read it for
// the connection (what the request's operations use).
func SCIMConnectionWorkspace(c SCIMConnection) Workspace {
	if c.Workspace == nil {
		return Workspace{}
	}
	return c.Workspace.Public()
}

// SCIMAuthCacheOn reports whether d's SCIM authentication cache is in use:
// PostgreSQL, with the listener connected and LISTENing.
func SCIMAuthCacheOn(d *Directory) bool { return d.ScimAuth.On() }
