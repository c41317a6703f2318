package directory_test

import (
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/directory/directorytest/suite"
)

// TestSQLite runs the behaviour suite on SQLite, a fresh database file
// per test.
func TestSQLite(t *testing.T) {
	suite.RunTests(t, on(directory.SQLite))
}

// TestPostgres runs the behaviour suite on PostgreSQL, a fresh schema per
// test. Without ROSTER_TEST_DATABASE_URL it is skipped, out loud; with it
// set, a PostgreSQL that does not answer fails it.
func TestPostgres(t *testing.T) {
	directorytest.RequirePostgres(t)
	suite.RunTests(t, on(directory.Postgres))
}

// on opens the suite's Directories on backend.
func on(backend directory.Dialect) suite.NewDirectory {
	return func(t *testing.T, opts directory.Options) *directory.Directory {
		return directorytest.Open(t, backend, opts)
	}
}
