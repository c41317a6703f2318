package directory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rosterhq/roster/migrations"
)

// Dialect names the SQL database behind a Directory. The differences between
// the two are kept to this file and a few lines in tx.go.
type Dialect string

// The supported dialects.
const (
	Postgres Dialect = "postgres"
	SQLite   Dialect = "sqlite"
)

func init() {
	// sqlx does not know modernc's driver name; make its bind type explicit.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// ParseDatabaseURL picks the dialect and driver DSN for a database URL:
// postgres:// and postgresql:// URLs go to PostgreSQL; sqlite:PATH,
// file:PATH and a plain path go to SQLite with the pragmas Roster needs
// (foreign keys, WAL, busy timeout, immediate transactions, a time format
// that round-trips).
func ParseDatabaseURL(raw string) (Dialect, string, error) {
	switch {
	case raw == "":
		return "", "", errors.New("empty database URL")
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		return Postgres, raw, nil
	}
	path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "file:")
	path = strings.TrimPrefix(path, "//")
	query := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, query = path[:i], path[i+1:]
	}
	if path == "" {
		return "", "", fmt.Errorf("database URL %q names no SQLite file", raw)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", "", fmt.Errorf("database URL %q: %w", raw, err)
	}
	for _, p := range []string{"foreign_keys(1)", "busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_time_format", "sqlite")
	q.Set("_txlock", "immediate")
	return SQLite, "file:" + path + "?" + q.Encode(), nil
}

func openDB(ctx context.Context, databaseURL string) (*sqlx.DB, Dialect, error) {
	dialect, dsn, err := ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, "", err
	}
	db, err := sqlx.Open(string(dialect), dsn)
	if err != nil {
		return nil, "", fmt.Errorf("open %s database: %w", dialect, err)
	}
	if dialect == SQLite {
		// One writer at a time is SQLite's model; a small pool keeps readers
		// concurrent (WAL) without piling up writers on the busy timeout.
		db.SetMaxOpenConns(4)
	} else {
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	return db, dialect, nil
}

// migrate applies every embedded migration of the dialect. On PostgreSQL a
// session advisory lock lets several replicas start at once.
func migrate(ctx context.Context, db *sql.DB, dialect Dialect) error {
	sub, err := fs.Sub(migrations.FS, string(dialect))
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", dialect, err)
	}
	var opts []goose.ProviderOption
	gooseDialect := goose.DialectSQLite3
	if dialect == Postgres {
		gooseDialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gooseDialect, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// isUniqueViolation reports whether err is a unique-index violation on
// either database; uniqueness lives in the schema, and operations turn this
// into ErrConflict.
func isUniqueViolation(err error) bool {
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
