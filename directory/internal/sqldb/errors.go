package sqldb

import (
	"errors"
	"strings"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// UniqueViolation reports whether err is a unique index (or primary key)
// refusing a row, and names it: the index name of the migrations (a
// primary key is "<table>_pkey"), or "" when the database did not say.
//
// PostgreSQL names the constraint in its error. SQLite does not: its
// error lists the index's columns ("UNIQUE constraint failed:
// users.email_norm") or, for an index over an expression, the index; Open
// read which index that is from the schema, so callers compare names on
// both databases and never read an error's text.
func (db *DB) UniqueViolation(err error) (constraint string, ok bool) {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		if pqErr.Code != "23505" {
			return "", false
		}
		return pqErr.Constraint, true
	}
	var sqliteErr *sqlite.Error
	if !errors.As(err, &sqliteErr) {
		return "", false
	}
	switch sqliteErr.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
	default:
		return "", false
	}
	const prefix = "UNIQUE constraint failed: "
	msg := sqliteErr.Error()
	i := strings.Index(msg, prefix)
	if i < 0 {
		return "", true
	}
	key := msg[i+len(prefix):]
	if j := strings.LastIndex(key, " ("); j >= 0 {
		key = key[:j] // the "(2067)" code suffix
	}
	return db.uniques[key], true
}

// IsUniqueViolation reports whether err is any unique index refusing a
// row.
func IsUniqueViolation(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "23505"
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		return sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sqliteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}
