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
	W          WorkspaceRow `db:"w"`
}

type ScimAuthEntry struct {
	row    scimAuthRow
	stored time.Time // the Directory's clock, for scimAuthMaxAge
}

// ScimAuthCache is the cache and its listener. A nil *scimAuthCache
// (SQLite) is a cache that is always off.
type ScimAuthCache struct {
	Listener *sqldb.Listener
	Now      func() time.Time

	Mu sync.RWMutex
	// Gen counts clears; a fill stores only if it is unchanged since the
	// fill's query began.
	Gen uint64
	// live: the listener last said notifications are being heard.
	live    bool
	Entries map[string]ScimAuthEntry
}

// Changed is the listener's report (sqldb.Listener): whether
// notifications are being heard, after a change of state or a
// notification. Either way the cache is cleared.
func (c *ScimAuthCache) Changed(on bool) {
	c.Mu.Lock()
	defer c.Mu.Unlock()
	c.live = on
	c.clearLocked()
}

// Close stops the listener; the cache is off from then on.
func (c *ScimAuthCache) Close() {
	if c == nil {
		return
	}
	c.Mu.RLock()
	l := c.Listener
	c.Mu.RUnlock()
	l.Close()
	c.Changed(false)
}

func (c *ScimAuthCache) clearLocked() {
	c.Gen++
	clear(c.Entries)
}

// invalidate clears the cache. Safe on a nil cache.
func (c *ScimAuthCache) invalidate() {
	if c == nil {
		return
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	c.clearLocked()
}

// Lookup returns the cached row for a token hash, if the cache is on and
// holds a fresh one, and the generation a fill after a miss must pass to
// fill.
func (c *ScimAuthCache) Lookup(hash string) (row scimAuthRow, ok bool, gen uint64) {
	if c == nil {
		return row, false, 0
	}
	c.Mu.RLock()
	defer c.Mu.RUnlock()
	if !c.live {
		return row, false, c.Gen
	}
	e, ok := c.Entries[hash]
	if !ok || c.Now().Sub(e.stored) > scimAuthMaxAge {
		return row, false, c.Gen
	}
	return e.row, true, c.Gen
}

// Fill caches a successful authentication read from the database, unless
// the cache is off or was cleared since gen was read (the row may predate
// the change that cleared it).
func (c *ScimAuthCache) Fill(hash string, gen uint64, row scimAuthRow) {
	if c == nil {
		return
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	if gen != c.Gen || !c.live {
		return
	}
	if _, ok := c.Entries[hash]; !ok && len(c.Entries) >= scimAuthCacheSize {
		for k := range c.Entries {
			delete(c.Entries, k)
			break
		}
	}
	c.Entries[hash] = ScimAuthEntry{row: row, stored: c.Now()}
}

// Touch records in the cached entry the last_used_at just written, so the
// next request does not write it again.
func (c *ScimAuthCache) Touch(hash string, at time.Time) {
	if c == nil {
		return
	}
	c.Mu.Lock()
	defer c.Mu.Unlock()
	e, ok := c.Entries[hash]
	if !ok || (e.row.LastUsedAt != nil && !e.row.LastUsedAt.Before(at)) {
		return
	}
	e.row.LastUsedAt = &at
	c.Entries[hash] = e
}

// On reports whether the cache is in use: PostgreSQL, with the listener
// connected and LISTENing.
func (c *ScimAuthCache) On() bool {
	if c == nil {
		return false
	}
	c.Mu.RLock()
	defer c.Mu.RUnlock()
	return c.live
}
