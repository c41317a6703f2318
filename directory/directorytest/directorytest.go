// Package directorytest opens a fresh, migrated Directory on every database
// backend for tests: SQLite always, PostgreSQL when ROSTER_TEST_DATABASE_URL
// is set (CI always sets it). Each test gets its own SQLite file or its own
// PostgreSQL schema, so tests run in parallel without seeing each other.
// Without the variable the PostgreSQL leg is skipped out loud: one line per
// test binary on stderr and a skipped "postgres" subtest per Run; with it
// set, a PostgreSQL that cannot be reached fails every test that needs it.
//
// It also holds the fixtures most tests start from (fixtures.go). The
// directory's own behaviour tests are the suite in package
// directorytest/suite, which package directory runs on each backend.
package directorytest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // PostgreSQL driver for the admin connection

	"github.com/rosterhq/roster/directory"
)

// EnvDatabaseURL names the variable that enables the PostgreSQL leg.
const EnvDatabaseURL = "ROSTER_TEST_DATABASE_URL"

// Backends lists the backends tests run on. Without EnvDatabaseURL it is
// SQLite alone, and the first call in a test binary says so on stderr.
func Backends() []directory.Dialect {
	if os.Getenv(EnvDatabaseURL) != "" {
		return []directory.Dialect{directory.SQLite, directory.Postgres}
	}
	announceOff()
	return []directory.Dialect{directory.SQLite}
}

// announceOff says once per test binary, on stderr, that the PostgreSQL
// leg is off.
func announceOff() {
	pkg := callerPackage()
	announceSkip.Do(func() {
		fmt.Fprintf(os.Stderr, "SKIP PostgreSQL leg of %s: %s is not set, its tests ran on SQLite only (CI sets it)\n", pkg, EnvDatabaseURL)
	})
}

var announceSkip sync.Once

// RequirePostgres lets a test that runs on PostgreSQL alone go on only
// when the leg is on. Without EnvDatabaseURL it skips the test, and the
// first call in a test binary says so on stderr; with the variable set, a
// PostgreSQL that does not answer fails the test here, once, rather than
// in every test that would open a database on it.
func RequirePostgres(t testing.TB) {
	t.Helper()
	base := os.Getenv(EnvDatabaseURL)
	if base == "" {
		announceOff()
		t.Skipf("%s is not set: the PostgreSQL leg is off", EnvDatabaseURL)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlx.ConnectContext(ctx, "postgres", base)
	if err != nil {
		t.Fatalf("%s is set but PostgreSQL does not answer: %v", EnvDatabaseURL, err)
	}
	db.Close()
}

// callerPackage is the import path of the test package that called into
// directorytest ("github.com/rosterhq/roster/admin").
func callerPackage() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	for {
		f, more := frames.Next()
		// A function name is the import path, a dot, then the name:
		// "github.com/rosterhq/roster/directory_test.TestFeed.func1".
		slash := strings.LastIndex(f.Function, "/")
		if dot := strings.Index(f.Function[slash+1:], "."); dot >= 0 {
			pkg := strings.TrimSuffix(f.Function[:slash+1+dot], "_test")
			if pkg != "github.com/rosterhq/roster/directory/directorytest" {
				return pkg
			}
		}
		if !more {
			return "this package"
		}
	}
}

// Run runs fn as a subtest on each backend with a fresh Directory.
func Run(t *testing.T, fn func(t *testing.T, d *directory.Directory)) {
	t.Helper()
	RunWith(t, directory.Options{}, fn)
}

// RunWith is Run with Directory options (a clock, a resolver, a base URL).
// A backend that is off is a skipped subtest, so `go test -v` and test
// reports count what did not run.
func RunWith(t *testing.T, opts directory.Options, fn func(t *testing.T, d *directory.Directory)) {
	t.Helper()
	backends := Backends()
	for _, b := range backends {
		t.Run(string(b), func(t *testing.T) {
			fn(t, Open(t, b, opts))
		})
	}
	if len(backends) == 1 {
		t.Run(string(directory.Postgres), func(t *testing.T) { t.SkipNow() })
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

// WaitFeed waits until the event feed shows every committed event of the
// workspace, and fails the test if it does not within 30 seconds. On
// PostgreSQL the feed shows a transaction's events once every older
// transaction in the cluster has ended, and other tests' transactions run
// alongside.
func WaitFeed(t testing.TB, d *directory.Directory, workspaceID string) {
	t.Helper()
	ctx := context.Background()
	var want int
	db := DB(t, d)
	if err := db.GetContext(ctx, &want, db.Rebind(`SELECT COUNT(*) FROM events WHERE workspace_id = ?`), workspaceID); err != nil {
		t.Fatalf("count the events of workspace %s: %v", workspaceID, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		shown, cursor := 0, ""
		for {
			page, err := d.Feed(ctx, directory.Operator(), workspaceID, cursor, 1000)
			if err != nil {
				t.Fatalf("read the feed of workspace %s: %v", workspaceID, err)
			}
			shown += len(page.Events)
			cursor = page.NextCursor
			if !page.HasMore {
				break
			}
		}
		if shown >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed of workspace %s shows %d of its %d events after 30s", workspaceID, shown, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
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
