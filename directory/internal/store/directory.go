package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
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

// Store is the directory's engine and shared state: the pool, the clock,
// the caches. It is safe for concurrent use, holds no
// state another replica would need, and is the only code that writes to
// the database.
type Store struct {
	SQL *sqldb.DB
	// Flavor is db.Flavor: what differs between the databases.
	Flavor    *sqldb.Flavor
	PublicURL string
	Now       func() time.Time
	Resolver  TXTResolver
	Log       *slog.Logger
	// ScimAuth caches SCIM authentications (PostgreSQL; nil on SQLite;
	// see scim_authcache.go).
	ScimAuth *ScimAuthCache
	// ScimAuthHits counts authentications the cache answered (telemetry.go).
	ScimAuthHits atomic.Uint64
	// Pages are the SCIM lists' paging hints (scim_paging.go).
	Pages *PageHints
	// StatsNudge counts write transactions for KeepStatisticsFresh
	// (statistics.go).
	StatsNudge *StatsNudge
}

// Tx is one operation's transaction: the queries it runs (always written
// with ? placeholders), the clock reading it uses throughout, and the
// actor its events are attributed to.
type Tx struct {
	*sqlx.Tx
	Store *Store
	ctx   context.Context
	Now   time.Time
	Actor Actor
	// events emitted and not yet written; flushed before commit.
	events []Event
}

// InTx runs fn in a transaction and commits it when fn returns nil. Every
// operation of the package goes through here, so events and outbox rows
// always commit or roll back with the change they describe.
//
// A transaction PostgreSQL aborted for a deadlock or a serialization
// failure runs again, a few times (sqldb.Retry): fn must therefore keep
// its effects inside t and set, not append to, what it reports outside.
func (d *Store) InTx(ctx context.Context, actor Actor, fn func(t *Tx) error) error {
	return Unavailable(d.runTx(ctx, nil, actor, fn))
}

func (d *Store) runTx(ctx context.Context, opts *sql.TxOptions, actor Actor, fn func(t *Tx) error) error {
	if opts != nil && opts.ReadOnly {
		// Takes no locks, so it is never aborted for one; and its fn may
		// append what it reads.
		return d.runTxOnce(ctx, opts, actor, fn)
	}
	return sqldb.Retry(ctx, func() error { return d.runTxOnce(ctx, opts, actor, fn) })
}

func (d *Store) runTxOnce(ctx context.Context, opts *sql.TxOptions, actor Actor, fn func(t *Tx) error) error {
	sqlTx, err := d.SQL.BeginTxx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	t := &Tx{Tx: sqlTx, Store: d, ctx: ctx, Now: d.Now().UTC().Truncate(time.Microsecond), Actor: actor}
	if err := fn(t); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := t.FlushEvents(); err != nil {
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
		d.ScimAuth.invalidate()
	}
	if err != nil {
		if IsUniqueViolation(err) {
			return fmt.Errorf("%w: %v", ErrConflict, err)
		}
		return fmt.Errorf("commit: %w", err)
	}
	if opts == nil || !opts.ReadOnly {
		d.StatsNudge.wrote()
	}
	return nil
}

// exec, get and selectRows run a query in the transaction, as a cached
// prepared statement when there is one (sqldb.DB.Prepared).
func (t *Tx) Execute(query string, args ...any) (sql.Result, error) {
	q := t.Store.SQL.Rebind(query)
	if s := t.Store.SQL.Prepared(t.ctx, q); s != nil {
		return t.StmtxContext(t.ctx, s).ExecContext(t.ctx, args...)
	}
	return t.ExecContext(t.ctx, q, args...)
}

func (t *Tx) GetOne(dest any, query string, args ...any) error {
	q := t.Store.SQL.Rebind(query)
	if s := t.Store.SQL.Prepared(t.ctx, q); s != nil {
		return t.StmtxContext(t.ctx, s).GetContext(t.ctx, dest, args...)
	}
	return t.GetContext(t.ctx, dest, q, args...)
}

func (t *Tx) SelectRows(dest any, query string, args ...any) error {
	q := t.Store.SQL.Rebind(query)
	if s := t.Store.SQL.Prepared(t.ctx, q); s != nil {
		return t.StmtxContext(t.ctx, s).SelectContext(t.ctx, dest, args...)
	}
	return t.SelectContext(t.ctx, dest, q, args...)
}

// ForUpdate is the row-lock suffix (sqldb.Flavor: SQLite's immediate
// transactions already hold the write lock).
func (t *Tx) ForUpdate() string { return t.Store.Flavor.ForUpdate() }

// ForNoKeyUpdate locks a row against other writers without blocking
// inserts of rows that reference it.
func (t *Tx) ForNoKeyUpdate() string { return t.Store.Flavor.ForNoKeyUpdate() }

// LockKey holds a lock on key until the transaction ends, for a decision
// about rows that may not exist yet (sqldb.Flavor.KeyLock).
func (t *Tx) LockKey(key string) error {
	q := t.Store.Flavor.KeyLock()
	if q == "" {
		return nil
	}
	if _, err := t.Execute(q, key); err != nil {
		return fmt.Errorf("lock %s: %w", key, err)
	}
	return nil
}

// NotFound turns sql.ErrNoRows into ErrNotFound with context.
func NotFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ReadTx runs fn in a read-only transaction. On SQLite a read-only
// transaction begins deferred instead of immediate, so readers never queue
// behind the single writer lock.
func (d *Store) ReadTx(ctx context.Context, actor Actor, fn func(t *Tx) error) error {
	return Unavailable(d.runTx(ctx, &sql.TxOptions{ReadOnly: true}, actor, fn))
}

func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// InQuery expands IN (?) placeholders for slice arguments.
func InQuery(query string, args ...any) (string, []any, error) {
	q, a, err := sqlx.In(query, args...)
	if err != nil {
		return "", nil, fmt.Errorf("expand query: %w", err)
	}
	return q, a, nil
}
