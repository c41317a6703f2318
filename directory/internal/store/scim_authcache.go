package store

import (
	"sync"
	"time"

	"github.com/rosterhq/roster/directory/internal/sqldb"
)

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
	ScimConnectionRow
	TokenID    string       `db:"token_id"`
	ExpiresAt  *time.Time   `db:"expires_at"`
	RevokedAt  *time.Time   `db:"revoked_at"`
	LastUsedAt *time.Time   `db:"last_used_at"`
	Workspace  WorkspaceRow `db:"w"`
}

type ScimAuthEntry struct {
	row    scimAuthRow
	stored time.Time // the Directory's clock, for scimAuthMaxAge
}

// ScimAuthCache is the cache and its listener. A nil *scimAuthCache
// (SQLite) is a cache that is always off.
type ScimAuthCache struct {
	listener *sqldb.Listener
	now      func() time.Time

	mu sync.RWMutex
	// gen counts clears; a fill stores only if it is unchanged since the
	// fill's query began.
	gen uint64
	// live: the listener last said notifications are being heard.
	live    bool
	entries map[string]ScimAuthEntry
}

// Changed is the listener's report (sqldb.Listener): whether
// notifications are being heard, after a change of state or a
// notification. Either way the cache is cleared.
func (c *ScimAuthCache) Changed(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = on
	c.clearLocked()
}

// Close stops the listener; the cache is off from then on.
func (c *ScimAuthCache) Close() {
	if c == nil {
		return
	}
	c.mu.RLock()
	l := c.listener
	c.mu.RUnlock()
	l.Close()
	c.Changed(false)
}

func (c *ScimAuthCache) clearLocked() {
	c.gen++
	clear(c.entries)
}

// invalidate clears the cache. Safe on a nil cache.
func (c *ScimAuthCache) invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clearLocked()
}

// Lookup returns the cached row for a token hash, if the cache is on and
// holds a fresh one, and the generation a fill after a miss must pass to
// fill.
func (c *ScimAuthCache) Lookup(hash string) (row scimAuthRow, ok bool, gen uint64) {
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

// Fill caches a successful authentication read from the database, unless
// the cache is off or was cleared since gen was read (the row may predate
// the change that cleared it).
func (c *ScimAuthCache) Fill(hash string, gen uint64, row scimAuthRow) {
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
	c.entries[hash] = ScimAuthEntry{row: row, stored: c.now()}
}

// Touch records in the cached entry the last_used_at just written, so the
// next request does not write it again.
func (c *ScimAuthCache) Touch(hash string, at time.Time) {
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

// On reports whether the cache is in use: PostgreSQL, with the listener
// connected and LISTENing.
func (c *ScimAuthCache) On() bool {
	if c == nil {
		return false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.live
}

// NewScimAuthCache is an empty cache reading the clock now; it stays off
// until SetListener hands it the listener that clears it.
func NewScimAuthCache(now func() time.Time) *ScimAuthCache {
	return &ScimAuthCache{entries: map[string]ScimAuthEntry{}, now: now}
}

// SetListener hands the cache the listener whose reports (Changed) keep it
// live.
func (c *ScimAuthCache) SetListener(l *sqldb.Listener) {
	c.mu.Lock()
	c.listener = l
	c.mu.Unlock()
}

// Clears counts the times the cache was cleared since it was made.
func (c *ScimAuthCache) Clears() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}
