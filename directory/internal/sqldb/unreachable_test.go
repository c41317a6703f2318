package sqldb

import (
	"context"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// IsUnreachable tells the failures a retry may cure (the database could
// not be reached) from the ones it cannot (the database refused the
// statement), with errors the drivers really return.
func TestIsUnreachable(t *testing.T) {
	ctx := context.Background()

	// A PostgreSQL that nothing listens for: the dial is refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	refused, err := sqlx.Open("postgres", "postgres://postgres@"+addr+"/x?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer refused.Close()
	if err := refused.PingContext(ctx); !IsUnreachable(err) {
		t.Errorf("a refused connection: IsUnreachable(%v) = false", err)
	}

	// Refusals of a statement are not outages, on either database.
	lite, err := sqlx.Open("sqlite", filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	_, err = lite.ExecContext(ctx, `SELECT * FROM nowhere`)
	if err == nil || IsUnreachable(err) {
		t.Errorf("a missing table on SQLite: IsUnreachable(%v) = true", err)
	}
	if IsUnreachable(sql.ErrNoRows) || IsUnreachable(context.Canceled) || IsUnreachable(nil) {
		t.Error("no rows, a cancelled request and no error are not outages")
	}

	base := os.Getenv("ROSTER_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("ROSTER_TEST_DATABASE_URL is not set: the PostgreSQL cases need it")
	}
	db, err := sqlx.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `SELECT * FROM nowhere`); err == nil || IsUnreachable(err) {
		t.Errorf("a missing table on PostgreSQL: IsUnreachable(%v) = true", err)
	}
	if _, err := db.ExecContext(ctx, `SELECT E'\x00'::text || $1`, "a\x00b"); err == nil || IsUnreachable(err) {
		t.Errorf("a NUL on PostgreSQL: IsUnreachable(%v) = true", err)
	}
	// A session the server ends (as when it shuts down): 57P01.
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var pid int
	if err := c.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	var one int
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = c.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
		if err != nil || time.Now().After(deadline) {
			break
		}
	}
	if err == nil || !IsUnreachable(err) {
		t.Errorf("a session the server terminated: IsUnreachable(%v) = false", err)
	}
}
