package sqldb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jmoiron/sqlx"
)

// schema has unique indexes of every shape the migrations use: a primary
// key, one column, two columns, a partial index, two indexes over the same
// columns, and an index over an expression.
const schema = `
CREATE TABLE people (id TEXT PRIMARY KEY, email TEXT, nick TEXT, ws TEXT, status TEXT, code TEXT, tag TEXT);
CREATE UNIQUE INDEX people_email ON people (email);
CREATE UNIQUE INDEX people_ws_nick ON people (ws, nick);
CREATE UNIQUE INDEX people_open ON people (ws, code) WHERE status = 'open';
CREATE UNIQUE INDEX people_closed ON people (ws, code) WHERE status = 'closed';
CREATE UNIQUE INDEX people_lower_tag ON people (lower(tag));
`

// TestUniqueViolationNamesTheIndex: on both databases a duplicate names
// the index it broke, so callers never read an error's text.
func TestUniqueViolationNamesTheIndex(t *testing.T) {
	ctx := context.Background()
	dbs := map[string]*DB{"sqlite": openSQLite(t)}
	if base := os.Getenv("ROSTER_TEST_DATABASE_URL"); base != "" {
		dbs["postgres"] = openPostgres(t, base)
	} else {
		t.Log("ROSTER_TEST_DATABASE_URL is not set: PostgreSQL leg skipped")
	}
	for name, db := range dbs {
		t.Run(name, func(t *testing.T) {
			if _, err := db.ExecContext(ctx, `INSERT INTO people (id, email, nick, ws, status, tag) VALUES ('1', 'a@x', 'Ann', 'w', 'open', 'ann')`); err != nil {
				t.Fatal(err)
			}
			tests := []struct {
				insert, want string
			}{
				{`INSERT INTO people (id) VALUES ('1')`, "people_pkey"},
				{`INSERT INTO people (id, email) VALUES ('2', 'a@x')`, "people_email"},
				{`INSERT INTO people (id, nick, ws) VALUES ('3', 'Ann', 'w')`, "people_ws_nick"},
				{`INSERT INTO people (id, tag) VALUES ('4', 'ANN')`, "people_lower_tag"},
			}
			for _, tc := range tests {
				_, err := db.ExecContext(ctx, tc.insert)
				got, ok := db.UniqueViolation(err)
				if !ok || got != tc.want || !IsUniqueViolation(err) {
					t.Errorf("%s: UniqueViolation = %q, %v (err %v), want %q", tc.insert, got, ok, err, tc.want)
				}
			}
			// Two indexes over the same columns: PostgreSQL names the
			// one broken; SQLite cannot tell them apart and says so.
			if _, err := db.ExecContext(ctx, `INSERT INTO people (id, ws, code, status) VALUES ('5', 'w', 'c1', 'closed')`); err != nil {
				t.Fatal(err)
			}
			_, err := db.ExecContext(ctx, `INSERT INTO people (id, ws, code, status) VALUES ('6', 'w', 'c1', 'closed')`)
			got, ok := db.UniqueViolation(err)
			want := "people_closed"
			if db.Flavor == SQLite {
				want = ""
			}
			if !ok || got != want {
				t.Errorf("two indexes over the same columns: %q, %v (err %v), want %q", got, ok, err, want)
			}
			if _, ok := db.UniqueViolation(nil); ok {
				t.Error("no error is no violation")
			}
			_, err = db.ExecContext(ctx, `INSERT INTO nowhere VALUES (1)`)
			if _, ok := db.UniqueViolation(err); ok || IsUniqueViolation(err) {
				t.Errorf("another error is no violation: %v", err)
			}
		})
	}
}

func openSQLite(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	_, dsn, err := ParseDatabaseURL("sqlite:" + filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sqlx.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	if _, err := raw.ExecContext(ctx, schema); err != nil {
		t.Fatal(err)
	}
	db := &DB{DB: raw, Flavor: SQLite}
	if db.uniques, err = sqliteUniques(ctx, raw); err != nil {
		t.Fatal(err)
	}
	return db
}

func openPostgres(t *testing.T, base string) *DB {
	t.Helper()
	ctx := context.Background()
	admin, err := sqlx.ConnectContext(ctx, "postgres", base)
	if err != nil {
		t.Fatalf("connect to ROSTER_TEST_DATABASE_URL: %v", err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	raw, err := sqlx.ConnectContext(ctx, "postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	if _, err := raw.ExecContext(ctx, schema); err != nil {
		t.Fatal(err)
	}
	return &DB{DB: raw, Flavor: Postgres}
}
