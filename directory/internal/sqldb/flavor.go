// Package sqldb is the directory's SQL engine: the two databases Roster
// runs on and everything that differs between them (a Flavor, in the way
// Dex's SQL storage keeps its flavors), opening and migrating a database,
// and telling constraint violations apart by the constraint's name.
//
// It knows no product rule and writes no query of its own beyond the
// schema's bookkeeping: package directory writes every query, with ?
// placeholders, and asks its Flavor for the few clauses that differ.
package sqldb

import (
	"strings"

	"github.com/pressly/goose/v3"
)

// Flavor is one SQL database Roster runs on. Every difference between
// PostgreSQL and SQLite that the directory's queries see is a method or a
// field of Flavor, so this file is the list of them:
//
//   - Row locks. PostgreSQL locks rows (FOR UPDATE, FOR NO KEY UPDATE,
//     FOR UPDATE OF t, SKIP LOCKED for work queues, advisory locks on a
//     key); SQLite runs one writer at a time (immediate transactions take
//     the write lock at BEGIN), needs no lock clause and accepts none. The
//     clauses are "" on SQLite.
//   - Unicode case folding. SQLite's lower() folds ASCII only, so SQLite
//     gets a roster_fold() function with Go's folding (registered by the
//     directory); PostgreSQL's lower() folds Unicode.
//   - JSON. Both read JSON text (TEXT on SQLite, JSONB on PostgreSQL), each
//     with its own path syntax.
//   - The event feed. PostgreSQL commits transactions in another order
//     than it hands out ids, so each event row carries its transaction's
//     id and the feed is read in (transaction, id) order up to the oldest
//     transaction still running (SnapshotFeed); on SQLite one writer at a
//     time makes id order commit order. This is a correctness difference:
//     a reader on PostgreSQL never skips an event that commits late.
//   - Uniqueness errors. Both refuse a duplicate through the schema's
//     unique indexes; UniqueViolation names the index on both
//     (errors.go), so no caller reads an error's text.
//   - Aborted transactions. PostgreSQL may abort a transaction to break a
//     deadlock (40P01) or a serialization failure (40001); the directory
//     runs it again (retry.go). SQLite never does.
//
// Beyond these correctness differences, PostgreSQL-only code exists only
// where it was measured to buy at least 15% on a `roster bench` scenario,
// same run, both orders, against the same program without it (issue 14).
// Two stayed, each documented with its figure where it lives:
//
//   - the statement cache (stmtcache.go): +67% lookups, +21% sync;
//   - the listener that keeps the SCIM authentication cache right across
//     processes (listen.go): the cache buys +46% lookups.
//
// Three were removed: optimistic SCIM creates without BEGIN/COMMIT that
// guessed the person was new (+6% sync, -3% with guesses), inserts held
// back to ride on a later statement (+6%), and events written together
// with the webhook lookup in one statement (+3%).
type Flavor struct {
	name   string
	driver string
	goose  goose.Dialect
	// rowLocks says lock clauses are needed (and accepted).
	rowLocks bool
}

// The flavors.
var (
	Postgres = &Flavor{name: "postgres", driver: "postgres", goose: goose.DialectPostgres, rowLocks: true}
	SQLite   = &Flavor{name: "sqlite", driver: "sqlite", goose: goose.DialectSQLite3}
)

// String is the flavor's name: "postgres" or "sqlite".
func (f *Flavor) String() string { return f.name }

// IsPostgres reports whether f is PostgreSQL, for the code paths that
// exist there only (each says why where it branches).
func (f *Flavor) IsPostgres() bool { return f == Postgres }

// ForUpdate is the clause that locks the rows a SELECT reads against
// other writers.
func (f *Flavor) ForUpdate() string { return f.lock(" FOR UPDATE") }

// ForNoKeyUpdate locks rows against other writers without blocking
// inserts of rows that reference them.
func (f *Flavor) ForNoKeyUpdate() string { return f.lock(" FOR NO KEY UPDATE") }

// ForUpdateOf locks only the rows of table in a join.
func (f *Flavor) ForUpdateOf(table string) string { return f.lock(" FOR UPDATE OF " + table) }

// SkipLocked locks the rows read and skips those another transaction
// holds: how replicas claim work from one queue.
func (f *Flavor) SkipLocked() string { return f.lock(" FOR UPDATE SKIP LOCKED") }

// RowLocks reports whether the database locks rows (and a query must ask
// for the locks it needs); false on SQLite, where the transaction holds
// the database's write lock.
func (f *Flavor) RowLocks() bool { return f.rowLocks }

// KeyLock is a statement that holds a lock on a key (its one argument)
// until the transaction ends, for a decision about rows that may not
// exist yet, so that there is no row to lock: transactions locking the
// same key take turns. On PostgreSQL it is an advisory transaction lock
// on the key's hash (a collision only makes strangers wait); "" on
// SQLite, whose transaction already holds the write lock.
func (f *Flavor) KeyLock() string {
	if f.rowLocks {
		return `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`
	}
	return ""
}

func (f *Flavor) lock(clause string) string {
	if f.rowLocks {
		return clause
	}
	return ""
}

// Fold is the SQL expression that case-folds a string expression as Go's
// case folding does, for case-insensitive comparisons.
func (f *Flavor) Fold(expr string) string {
	if f == SQLite {
		return "roster_fold(" + expr + ")"
	}
	return "lower(" + expr + ")"
}

// JSONText extracts the string at path (object keys) from the JSON in
// column col. The keys become part of the SQL text: callers pass names
// they checked, never request input as it came.
func (f *Flavor) JSONText(col string, path []string) string {
	if f == SQLite {
		var p strings.Builder
		p.WriteString("$")
		for _, k := range path {
			p.WriteString(`."` + k + `"`)
		}
		return "json_extract(" + col + ", '" + p.String() + "')"
	}
	return "(" + col + "::jsonb #>> '{" + `"` + strings.Join(path, `","`) + `"` + "}')"
}

// SnapshotFeed reports whether the event feed is read in transaction
// order up to the oldest running transaction (see Flavor).
func (f *Flavor) SnapshotFeed() bool { return f == Postgres }
