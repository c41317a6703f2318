package directory

import (
	"context"

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

// isUniqueViolation reports whether err is a unique-index violation on
// either database; uniqueness lives in the schema, and operations turn this
// into ErrConflict.
func isUniqueViolation(err error) bool { return sqldb.IsUniqueViolation(err) }

// violates reports whether err is the unique index named constraint (as
// the migrations name it) refusing a row.
func (d *Directory) violates(err error, constraint string) bool {
	name, ok := d.db.UniqueViolation(err)
	return ok && name == constraint
}

// dbGet runs a one-row query outside a transaction (a single statement is
// atomic), prepared when the statement cache has it (sqldb.DB.Prepared).
func (d *Directory) dbGet(ctx context.Context, dest any, query string, args ...any) error {
	q := d.db.Rebind(query)
	if s := d.db.Prepared(ctx, q); s != nil {
		return unavailable(s.GetContext(ctx, dest, args...))
	}
	return unavailable(d.db.GetContext(ctx, dest, q, args...))
}

// dbExec is dbGet for a statement without rows.
func (d *Directory) dbExec(ctx context.Context, query string, args ...any) error {
	q := d.db.Rebind(query)
	var err error
	if s := d.db.Prepared(ctx, q); s != nil {
		_, err = s.ExecContext(ctx, args...)
	} else {
		_, err = d.db.ExecContext(ctx, q, args...)
	}
	return unavailable(err)
}

// dbSelect is dbGet for many rows.
func (d *Directory) dbSelect(ctx context.Context, dest any, query string, args ...any) error {
	q := d.db.Rebind(query)
	if s := d.db.Prepared(ctx, q); s != nil {
		return unavailable(s.SelectContext(ctx, dest, args...))
	}
	return unavailable(d.db.SelectContext(ctx, dest, q, args...))
}

// selectFn is dbSelect bound to ctx.
func (d *Directory) selectFn(ctx context.Context) func(dest any, query string, args ...any) error {
	return func(dest any, query string, args ...any) error { return d.dbSelect(ctx, dest, query, args...) }
}
