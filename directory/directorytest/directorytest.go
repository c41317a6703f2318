// Package directorytest opens a fresh, migrated Directory on every database
// backend for tests: SQLite always, PostgreSQL when ROSTER_TEST_DATABASE_URL
// is set (CI always sets it). Each test gets its own SQLite file or its own
// PostgreSQL schema, so tests run in parallel without seeing each other.
package directorytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // PostgreSQL driver for the admin connection

	"github.com/rosterhq/roster/directory"
)

// EnvDatabaseURL names the variable that enables the PostgreSQL leg.
const EnvDatabaseURL = "ROSTER_TEST_DATABASE_URL"

// Backends lists the backends tests run on.
func Backends() []directory.Dialect {
	if os.Getenv(EnvDatabaseURL) != "" {
		return []directory.Dialect{directory.SQLite, directory.Postgres}
	}
	return []directory.Dialect{directory.SQLite}
}

// Run runs fn as a subtest on each backend with a fresh Directory.
func Run(t *testing.T, fn func(t *testing.T, d *directory.Directory)) {
	t.Helper()
	RunWith(t, directory.Options{}, fn)
}

// RunWith is Run with Directory options (a clock, a resolver, a base URL).
func RunWith(t *testing.T, opts directory.Options, fn func(t *testing.T, d *directory.Directory)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(string(b), func(t *testing.T) {
			fn(t, Open(t, b, opts))
		})
	}
}

// DatabaseURL creates a fresh empty database for backend and returns its
// URL; it is dropped when the test ends.
func DatabaseURL(t testing.TB, backend directory.Dialect) string {
	t.Helper()
	switch backend {
	case directory.SQLite:
		return "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	case directory.Postgres:
		base := os.Getenv(EnvDatabaseURL)
		if base == "" {
			t.Fatalf("%s is not set", EnvDatabaseURL)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := sqlx.ConnectContext(ctx, "postgres", base)
		if err != nil {
			t.Fatalf("connect to %s: %v", EnvDatabaseURL, err)
		}
		b := make([]byte, 8)
		rand.Read(b)
		schema := "t_" + hex.EncodeToString(b)
		if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
			admin.Close()
			t.Fatalf("create test schema: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`)
			admin.Close()
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("parse %s: %v", EnvDatabaseURL, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String()
	}
	t.Fatalf("unknown backend %q", backend)
	return ""
}

// Open returns a fresh migrated Directory on backend, closed when the test
// ends. It is configured as `roster serve` configures it: with the SCIM
// authentication cache (on PostgreSQL).
func Open(t testing.TB, backend directory.Dialect, opts directory.Options) *directory.Directory {
	t.Helper()
	opts.SCIMAuthCache = true
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dbURL := DatabaseURL(t, backend)
	d, err := directory.Open(ctx, dbURL, opts)
	if err != nil {
		t.Fatalf("open %s directory: %v", backend, err)
	}
	t.Cleanup(func() { d.Close() })
	opened.Store(d, &testDB{url: dbURL})
	t.Cleanup(func() {
		if v, ok := opened.LoadAndDelete(d); ok {
			v.(*testDB).close()
		}
	})
	return d
}

// opened holds the database of every Directory Open returned, until its
// test ends.
var opened sync.Map // *directory.Directory → *testDB

// testDB is the database of a test's Directory and, once DB asked for it,
// a pool of its own on it.
type testDB struct {
	url  string
	once sync.Once
	db   *sqlx.DB
	err  error
}

func (x *testDB) close() {
	if x.db != nil {
		x.db.Close()
	}
}

// DB is a connection pool on the database of d, for tests that arrange or
// check rows that no Directory operation reaches; d must come from Open.
// The Directory never hands out its own pool, so production code has no
// way to the database but its operations: this pool is a second one,
// opened on the throw-away database Open made, and closed when the test
// ends.
func DB(t testing.TB, d *directory.Directory) *sqlx.DB {
	t.Helper()
	v, ok := opened.Load(d)
	if !ok {
		t.Fatal("directorytest.DB: the directory was not opened by directorytest.Open, or its test has ended")
	}
	x := v.(*testDB)
	x.once.Do(func() {
		dialect, dsn, err := directory.ParseDatabaseURL(x.url)
		if err != nil {
			x.err = err
			return
		}
		x.db, x.err = sqlx.Open(string(dialect), dsn)
	})
	if x.err != nil {
		t.Fatalf("directorytest.DB: %v", x.err)
	}
	return x.db
}

// Clock is a settable clock for Options.Now, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock starts a clock at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)} }

// Now reads the clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
