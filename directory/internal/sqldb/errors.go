package sqldb

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

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

// IsUnreachable reports whether err says the database could not be
// reached rather than that it refused a statement: a connection the pool
// found bad, a refused, reset or timed-out connection, the connection
// closing mid-way, and PostgreSQL's connection exceptions (class 08) and
// operator interventions that end or refuse sessions (57P01 admin
// shutdown, 57P02 crash shutdown, 57P03 cannot connect now, as while it
// starts up or shuts down).
func IsUnreachable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "57P01", "57P02", "57P03":
			return true
		}
		return pqErr.Code.Class() == "08"
	}
	// Dialling, reading and writing fail with net.Error, timeouts on
	// connect included.
	var netErr net.Error
	return errors.As(err, &netErr)
}
