package directory

import (
	"context"
	"sync"
	"time"

	"github.com/rosterhq/roster/directory/internal/sqldb"
)

// SCIM authentication cache (PostgreSQL only; why it exists, and its
// measured worth, are in directory/internal/sqldb/listen.go).
//
// Every SCIM request authenticates its bearer token; the query behind it
// (token → connection → workspace) is a large part of a cheap request. So
// successful authentications are cached per process, keyed by the token's
// hash, and every change that could alter one clears the whole cache:
//
//   - in this process, at once: runTx clears it after every write
//     transaction whose actor is not SCIM (admin writes are what revoke
//     tokens and change connections and workspaces);
//   - in every process: migration 00006 makes changes to scim_tokens (but
//     not the last_used_at-only update), scim_connections and workspaces
//     NOTIFY roster_scim_auth at commit, and a sqldb.Listener clears the
//     cache on each notification.
//
// A notification can only be missed while the listener is not LISTENing,
// so the cache is consulted and filled only while the listener says it is,
// and cleared whenever that starts or stops. A generation counter, bumped
// by every clear, keeps a fill from storing a row read before a clear.
// Expiry is still checked on every request against the Directory's clock.
// SQLite has no cache: other processes (the roster CLI) write the same
// file and nothing would tell this one.

// scimAuthChannel is the NOTIFY channel of migration 00006.
const scimAuthChannel = "roster_scim_auth"

const (
	// scimAuthCacheSize bounds the cache; a full cache drops an arbitrary
	// entry. Deployments have far fewer live SCIM tokens than this.
	scimAuthCacheSize = 10000
	// scimAuthMaxAge is a safety net, not the invalidation mechanism: a
	// listener on a half-open TCP connection believes it is connected
	// until keepalives notice, and notifications sent meanwhile are lost.
	// Entries older than this, by the Directory's clock, are read again,
	// bounding what that can cost.
	scimAuthMaxAge = 30 * time.Second
)

// scimAuthRow is what AuthenticateSCIM's query returns, and what the cache
// holds.
type scimAuthRow struct {
	scimConnectionRow
	TokenID    string       `db:"token_id"`
	ExpiresAt  *time.Time   `db:"expires_at"`
	RevokedAt  *time.Time   `db:"revoked_at"`
	LastUsedAt *time.Time   `db:"last_used_at"`
	W          workspaceRow `db:"w"`
}

type scimAuthEntry struct {
	row    scimAuthRow
	stored time.Time // the Directory's clock, for scimAuthMaxAge
}

// scimAuthCache is the cache and its listener. A nil *scimAuthCache
// (SQLite) is a cache that is always off.
type scimAuthCache struct {
	listener *sqldb.Listener
	now      func() time.Time

	mu sync.RWMutex
	// gen counts clears; a fill stores only if it is unchanged since the
	// fill's query began.
	gen uint64
	// live: the listener last said notifications are being heard.
	live    bool
	entries map[string]scimAuthEntry
}

// startSCIMAuthCache starts the listener on PostgreSQL and waits (briefly)
// until it LISTENs; on SQLite it leaves the cache nil.
func (d *Directory) startSCIMAuthCache(ctx context.Context) error {
	if !d.flavor.IsPostgres() {
		return nil
	}
	c := &scimAuthCache{entries: map[string]scimAuthEntry{}, now: d.now}
	d.scimAuth = c
	l, err := d.db.Listen(ctx, scimAuthChannel, d.log, c.changed)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.listener = l
	c.mu.Unlock()
	return nil
}

// changed is the listener's report (sqldb.Listener): whether
// notifications are being heard, after a change of state or a
// notification. Either way the cache is cleared.
func (c *scimAuthCache) changed(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = on
	c.clearLocked()
}

// close stops the listener; the cache is off from then on.
func (c *scimAuthCache) close() {
	if c == nil {
		return
	}
	c.mu.RLock()
	l := c.listener
	c.mu.RUnlock()
	l.Close()
	c.changed(false)
}

func (c *scimAuthCache) clearLocked() {
	c.gen++
	clear(c.entries)
}

// invalidate clears the cache. Safe on a nil cache.
func (c *scimAuthCache) invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLocked()
}

// lookup returns the cached row for a token hash, if the cache is on and
// holds a fresh one, and the generation a fill after a miss must pass to
// fill.
func (c *scimAuthCache) lookup(hash string) (row scimAuthRow, ok bool, gen uint64) {
	if c == nil {
		return row, false, 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.live {
		return row, false, c.gen
	}
	e, ok := c.entries[hash]
	if !ok || c.now().Sub(e.stored) > scimAuthMaxAge {
		return row, false, c.gen
	}
	return e.row, true, c.gen
}

// fill caches a successful authentication read from the database, unless
// the cache is off or was cleared since gen was read (the row may predate
// the change that cleared it).
func (c *scimAuthCache) fill(hash string, gen uint64, row scimAuthRow) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || !c.live {
		return
	}
	if _, ok := c.entries[hash]; !ok && len(c.entries) >= scimAuthCacheSize {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[hash] = scimAuthEntry{row: row, stored: c.now()}
}

// touch records in the cached entry the last_used_at just written, so the
// next request does not write it again.
func (c *scimAuthCache) touch(hash string, at time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[hash]
	if !ok || (e.row.LastUsedAt != nil && !e.row.LastUsedAt.Before(at)) {
		return
	}
	e.row.LastUsedAt = &at
	c.entries[hash] = e
}
