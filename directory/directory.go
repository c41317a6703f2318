package directory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rosterhq/roster/directory/internal/sqldb"
)

// TXTResolver looks up DNS TXT records. net.Resolver satisfies it; tests
// serve their own records.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// Options configure a Directory. The zero value is usable.
type Options struct {
	// BaseURL is the public URL of the server, used to build links in
	// emails and outcomes (invitation links, join links). Default
	// http://127.0.0.1:8080.
	BaseURL string
	// Now is the clock; tests move it to expire invitations.
	Now func() time.Time
	// Resolver verifies domains; default net.DefaultResolver.
	Resolver TXTResolver
	// Logger receives operational messages; default slog.Default().
	Logger *slog.Logger
	// SCIMAuthCache keeps SCIM authentications in memory on PostgreSQL,
	// kept right by NOTIFY (scim_authcache.go); it costs one more
	// connection, for LISTEN. `roster serve` turns it on; commands that
	// serve no SCIM requests leave it off.
	SCIMAuthCache bool
}

// Directory is the domain service. It is safe for concurrent use, holds no
// state another replica would need, and is the only code that writes to
// the database.
type Directory struct {
	db *sqldb.DB
	// flavor is db.Flavor: what differs between the databases.
	flavor   *sqldb.Flavor
	baseURL  string
	now      func() time.Time
	resolver TXTResolver
	log      *slog.Logger
	// scimAuth caches SCIM authentications (PostgreSQL; nil on SQLite;
	// see scim_authcache.go).
	scimAuth *scimAuthCache
	// scimAuthHits counts authentications the cache answered (telemetry.go).
	scimAuthHits atomic.Uint64
	// pages are the SCIM lists' paging hints (scim_paging.go).
	pages *pageHints
	// statsNudge counts write transactions for KeepStatisticsFresh
	// (statistics.go).
	statsNudge *statsNudge
}

// Open connects to the database named by databaseURL (see
// ParseDatabaseURL), applies the embedded migrations and returns a
// Directory over it.
func Open(ctx context.Context, databaseURL string, opts Options) (*Directory, error) {
	db, err := sqldb.Open(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	d := &Directory{db: db, flavor: db.Flavor, baseURL: strings.TrimRight(opts.BaseURL, "/"), now: opts.Now, resolver: opts.Resolver, log: opts.Logger}
	if d.baseURL == "" {
		d.baseURL = "http://127.0.0.1:8080"
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.resolver == nil {
		d.resolver = netResolver{}
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	d.pages = newPageHints(4096, d.now)
	d.statsNudge = newStatsNudge()
	if opts.SCIMAuthCache {
		if err := d.startSCIMAuthCache(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return d, nil
}

// Migrate applies the embedded migrations to databaseURL and closes it; it
// is what `roster migrate` runs.
func Migrate(ctx context.Context, databaseURL string) error {
	return sqldb.Migrate(ctx, databaseURL)
}

// Close stops the SCIM authentication cache's listener and closes the
// database pool.
func (d *Directory) Close() error {
	d.scimAuth.close()
	return d.db.Close()
}

// Dialect reports which database the Directory runs on.
func (d *Directory) Dialect() Dialect { return Dialect(d.flavor.String()) }

// BaseURL is the public URL links are built from.
func (d *Directory) BaseURL() string { return d.baseURL }

// Ping checks the database connection, for readiness probes.
func (d *Directory) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// tx is one operation's transaction: the queries it runs (always written
// with ? placeholders), the clock reading it uses throughout, and the
// actor its events are attributed to.
type tx struct {
	*sqlx.Tx
	d     *Directory
	ctx   context.Context
	now   time.Time
	actor Actor
	// events emitted and not yet written; flushed before commit.
	events []Event
}

// inTx runs fn in a transaction and commits it when fn returns nil. Every
// operation of the package goes through here, so events and outbox rows
// always commit or roll back with the change they describe.
//
// A transaction PostgreSQL aborted for a deadlock or a serialization
// failure runs again, a few times (sqldb.Retry): fn must therefore keep
// its effects inside t and set, not append to, what it reports outside.
func (d *Directory) inTx(ctx context.Context, actor Actor, fn func(t *tx) error) error {
	return unavailable(d.runTx(ctx, nil, actor, fn))
}

func (d *Directory) runTx(ctx context.Context, opts *sql.TxOptions, actor Actor, fn func(t *tx) error) error {
	if opts != nil && opts.ReadOnly {
		// Takes no locks, so it is never aborted for one; and its fn may
		// append what it reads.
		return d.runTxOnce(ctx, opts, actor, fn)
	}
	return sqldb.Retry(ctx, func() error { return d.runTxOnce(ctx, opts, actor, fn) })
}

func (d *Directory) runTxOnce(ctx context.Context, opts *sql.TxOptions, actor Actor, fn func(t *tx) error) error {
	sqlTx, err := d.db.BeginTxx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t := &tx{Tx: sqlTx, d: d, ctx: ctx, now: d.now().UTC().Truncate(time.Microsecond), actor: actor}
	if err := fn(t); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := t.flushEvents(); err != nil {
		sqlTx.Rollback()
		return err
	}
	err = sqlTx.Commit()
	// A write may have revoked a SCIM token or changed a connection or a
	// workspace: clear cached SCIM authentications now, so this process
	// honours it on its very next request (other processes hear NOTIFY;
	// see scim_authcache.go). Also when Commit fails, as a lost connection
	// can hide a COMMIT that took effect. SCIM's own writes change none of
	// those rows, and keep the cache.
	if (opts == nil || !opts.ReadOnly) && actor.Kind != ActorSCIM {
		d.scimAuth.invalidate()
	}
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: %v", ErrConflict, err)
		}
		return fmt.Errorf("commit: %w", err)
	}
	if opts == nil || !opts.ReadOnly {
		d.statsNudge.wrote()
	}
	return nil
}

// exec, get and selectRows run a query in the transaction, as a cached
// prepared statement when there is one (sqldb.DB.Prepared).
func (t *tx) exec(query string, args ...any) (sql.Result, error) {
	q := t.d.db.Rebind(query)
	if s := t.d.db.Prepared(t.ctx, q); s != nil {
		return t.StmtxContext(t.ctx, s).ExecContext(t.ctx, args...)
	}
	return t.ExecContext(t.ctx, q, args...)
}

func (t *tx) get(dest any, query string, args ...any) error {
	q := t.d.db.Rebind(query)
	if s := t.d.db.Prepared(t.ctx, q); s != nil {
		return t.StmtxContext(t.ctx, s).GetContext(t.ctx, dest, args...)
	}
	return t.GetContext(t.ctx, dest, q, args...)
}

func (t *tx) selectRows(dest any, query string, args ...any) error {
	q := t.d.db.Rebind(query)
	if s := t.d.db.Prepared(t.ctx, q); s != nil {
		return t.StmtxContext(t.ctx, s).SelectContext(t.ctx, dest, args...)
	}
	return t.SelectContext(t.ctx, dest, q, args...)
}

// forUpdate is the row-lock suffix (sqldb.Flavor: SQLite's immediate
// transactions already hold the write lock).
func (t *tx) forUpdate() string { return t.d.flavor.ForUpdate() }

// forNoKeyUpdate locks a row against other writers without blocking
// inserts of rows that reference it.
func (t *tx) forNoKeyUpdate() string { return t.d.flavor.ForNoKeyUpdate() }

// lockKey holds a lock on key until the transaction ends, for a decision
// about rows that may not exist yet (sqldb.Flavor.KeyLock).
func (t *tx) lockKey(key string) error {
	q := t.d.flavor.KeyLock()
	if q == "" {
		return nil
	}
	if _, err := t.exec(q, key); err != nil {
		return fmt.Errorf("lock %s: %w", key, err)
	}
	return nil
}

// notFound turns sql.ErrNoRows into ErrNotFound with context.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// readTx runs fn in a read-only transaction. On SQLite a read-only
// transaction begins deferred instead of immediate, so readers never queue
// behind the single writer lock.
func (d *Directory) readTx(ctx context.Context, actor Actor, fn func(t *tx) error) error {
	return unavailable(d.runTx(ctx, &sql.TxOptions{ReadOnly: true}, actor, fn))
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// inQuery expands IN (?) placeholders for slice arguments.
func inQuery(query string, args ...any) (string, []any, error) {
	q, a, err := sqlx.In(query, args...)
	if err != nil {
		return "", nil, fmt.Errorf("expand query: %w", err)
	}
	return q, a, nil
}
