package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq" // the PostgreSQL driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // the SQLite driver

	"github.com/rosterhq/roster/migrations"
)

func init() {
	// sqlx does not know modernc's driver name; make its bind type explicit.
	sqlx.BindDriver("sqlite", sqlx.QUESTION)
}

// DB is an open database of one flavor.
type DB struct {
	*sqlx.DB
	Flavor *Flavor
	// uniques names SQLite's unique indexes by the columns its errors
	// list (errors.go); nil on PostgreSQL, whose errors name them.
	uniques map[string]string
	// stmts caches prepared statements on PostgreSQL (stmtcache.go).
	stmts stmtCache
	// dsn is the driver's DSN, for a listener's connection (listen.go).
	dsn string
}

// ParseDatabaseURL picks the flavor and driver DSN for a database URL:
// postgres:// and postgresql:// URLs go to PostgreSQL; sqlite:PATH,
// file:PATH and a plain path go to SQLite with the pragmas Roster needs
// (foreign keys, WAL, busy timeout, immediate transactions, a time format
// that round-trips).
func ParseDatabaseURL(raw string) (*Flavor, string, error) {
	switch {
	case raw == "":
		return nil, "", errors.New("empty database URL")
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
		return nil, "", fmt.Errorf("database URL %q names no SQLite file", raw)
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, "", fmt.Errorf("database URL %q: %w", raw, err)
	}
	for _, p := range []string{"foreign_keys(1)", "busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_time_format", "sqlite")
	q.Set("_txlock", "immediate")
	return SQLite, "file:" + path + "?" + q.Encode(), nil
}

// Open connects to the database named by databaseURL and applies the
// embedded migrations of its flavor.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	db, err := connect(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if db.Flavor == SQLite {
		if db.uniques, err = sqliteUniques(ctx, db.DB); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// Migrate applies the embedded migrations to databaseURL and closes it; it
// is what `roster migrate` runs.
func Migrate(ctx context.Context, databaseURL string) error {
	db, err := connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.migrate(ctx)
}

func connect(ctx context.Context, databaseURL string) (*DB, error) {
	flavor, dsn, err := ParseDatabaseURL(databaseURL)
	if err != nil {
		return nil, err
	}
	db, err := sqlx.Open(flavor.driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", flavor, err)
	}
	if flavor == SQLite {
		// One writer at a time is SQLite's model; a small pool keeps readers
		// concurrent (WAL) without piling up writers on the busy timeout.
		db.SetMaxOpenConns(4)
	} else {
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s database: %w", flavor, err)
	}
	return &DB{DB: db, Flavor: flavor, dsn: dsn}, nil
}

// migrate applies every embedded migration of the flavor. On PostgreSQL a
// session advisory lock lets several replicas start at once.
func (db *DB) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations.FS, db.Flavor.name)
	if err != nil {
		return fmt.Errorf("migrations for %s: %w", db.Flavor, err)
	}
	var opts []goose.ProviderOption
	if db.Flavor == Postgres {
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(db.Flavor.goose, db.DB.DB, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// sqliteUniques reads the schema's unique indexes: the columns an error
// lists ("users.email_norm") or the index it names, mapped to the index's
// name; a table's primary key is "<table>_pkey", as PostgreSQL calls it.
func sqliteUniques(ctx context.Context, db *sqlx.DB) (map[string]string, error) {
	var tables []string
	if err := db.SelectContext(ctx, &tables, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`); err != nil {
		return nil, fmt.Errorf("read the schema's tables: %w", err)
	}
	out := map[string]string{}
	for _, table := range tables {
		var indexes []struct {
			Name   string `db:"name"`
			Unique bool   `db:"unique"`
			Origin string `db:"origin"`
		}
		if err := db.SelectContext(ctx, &indexes, `SELECT name, "unique", origin FROM pragma_index_list(?)`, table); err != nil {
			return nil, fmt.Errorf("read the indexes of %s: %w", table, err)
		}
		for _, ix := range indexes {
			if !ix.Unique {
				continue
			}
			var cols []sql.NullString
			if err := db.SelectContext(ctx, &cols, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, ix.Name); err != nil {
				return nil, fmt.Errorf("read the columns of index %s: %w", ix.Name, err)
			}
			name := ix.Name
			if ix.Origin == "pk" {
				name = table + "_pkey"
			}
			out["index '"+ix.Name+"'"] = name
			keys := make([]string, 0, len(cols))
			plain := true
			for _, c := range cols {
				// An expression column has no name; SQLite then
				// names the index in its errors instead.
				plain = plain && c.Valid
				keys = append(keys, table+"."+c.String)
			}
			if key := strings.Join(keys, ", "); plain {
				if old, seen := out[key]; seen && old != name {
					// Two unique indexes over the same columns (with
					// other predicates): the error cannot tell which.
					name = ""
				}
				out[key] = name
			}
		}
	}
	return out, nil
}
