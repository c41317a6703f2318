package directory

import (
	"github.com/rosterhq/roster/directory/internal/sqldb"
)

// Dialect names the SQL database behind a Directory. What differs between
// the two is listed, and kept, in package sqldb (the Flavor type).
type Dialect string

// The supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

// ParseDatabaseURL picks the dialect and driver DSN for a database URL:
// postgres:// and postgresql:// URLs go to PostgreSQL; sqlite:PATH,
// file:PATH and a plain path go to SQLite with the pragmas Roster needs
// (foreign keys, WAL, busy timeout, immediate transactions, a time format
// that round-trips).
func ParseDatabaseURL(raw string) (Dialect, string, error) {
	f, dsn, err := sqldb.ParseDatabaseURL(raw)
	if err != nil {
		return "", "", err
	}
	return Dialect(f.String()), dsn, nil
}
