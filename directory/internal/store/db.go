package store

import (
	"context"

	"github.com/rosterhq/roster/directory/internal/sqldb"
)

// IsUniqueViolation reports whether err is a unique-index violation on
// either database; uniqueness lives in the schema, and operations turn this
// into ErrConflict.
func IsUniqueViolation(err error) bool { return sqldb.IsUniqueViolation(err) }

// violates reports whether err is the unique index named constraint (as
// the migrations name it) refusing a row.
func (d *Store) violates(err error, constraint string) bool {
	name, ok := d.SQL.UniqueViolation(err)
	return ok && name == constraint
}

// DbGet runs a one-row query outside a transaction (a single statement is
// atomic), prepared when the statement cache has it (sqldb.DB.Prepared).
func (d *Store) DbGet(ctx context.Context, dest any, query string, args ...any) error {
	q := d.SQL.Rebind(query)
	if s := d.SQL.Prepared(ctx, q); s != nil {
		return Unavailable(s.GetContext(ctx, dest, args...))
	}
	return Unavailable(d.SQL.GetContext(ctx, dest, q, args...))
}

// DbSelect is dbGet for many rows.
func (d *Store) DbSelect(ctx context.Context, dest any, query string, args ...any) error {
	q := d.SQL.Rebind(query)
	if s := d.SQL.Prepared(ctx, q); s != nil {
		return Unavailable(s.SelectContext(ctx, dest, args...))
	}
	return Unavailable(d.SQL.SelectContext(ctx, dest, q, args...))
}
