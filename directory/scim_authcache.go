package directory

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/lib/pq"
)

// SCIM authentication cache (PostgreSQL only).
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
//     NOTIFY roster_scim_auth at commit, and a lib/pq Listener here clears
//     the cache on each notification.
//
// A notification can only be missed while the listener is not LISTENing,
// so the cache is consulted and filled only while it is (connected, LISTEN
// acknowledged), and cleared whenever that starts or stops. A generation
// counter, bumped by every clear, keeps a fill from storing a row read
// before a clear. Expiry is still checked on every request against the
// Directory's clock. SQLite has no cache: other processes (the roster CLI)
// write the same file and nothing would tell this one.

// scimAuthChannel is the NOTIFY channel of migration 00006.
const scimAuthChannel = "roster_scim_auth"

const (
	// scimAuthCacheSize bounds the cache; a full cache drops an arbitrary
	// entry. Deployments have far fewer live SCIM tokens than this.
	scimAuthCacheSize = 10000
	// scimAuthMaxAge is a safety net, not the invalidation mechanism: a
	// listener on a half-open TCP connection believes it is connected
	// until keepalives notice, and notifications sent meanwhile are lost.
	// Entries older than this are read again, bounding what that can cost.
	scimAuthMaxAge = 30 * time.Second
	// scimAuthListenTimeout bounds how long Open waits for LISTEN to be in
	// effect; the cache stays off until it is.
	scimAuthListenTimeout = 10 * time.Second
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
	stored time.Time // wall clock (monotonic), for scimAuthMaxAge
}

// scimAuthCache is the cache and the state of its listener. A nil
// *scimAuthCache (SQLite) is a cache that is always off.
type scimAuthCache struct {
	listener *pq.Listener

	mu sync.RWMutex
	// gen counts clears; a fill stores only if it is unchanged since the
	// fill's query began.
	gen uint64
	// connected: the listener's connection is up (lib/pq events).
	// listening: our Listen call has returned. closed: Directory.Close.
	// The cache is on only when connected && listening && !closed (see
	// event).
	connected, listening, closed bool
	entries                      map[string]scimAuthEntry
}

// on reports whether the cache may be read and filled; c.mu is held.
func (c *scimAuthCache) on() bool { return c.connected && c.listening && !c.closed }

// startSCIMAuthCache starts the listener on PostgreSQL and waits (briefly)
// until it LISTENs; on SQLite it leaves the cache nil.
func (d *Directory) startSCIMAuthCache(ctx context.Context, databaseURL string) error {
	if !d.flavor.IsPostgres() {
		return nil
	}
	dsn, err := listenerDSN(databaseURL)
	if err != nil {
		return err
	}
	c := &scimAuthCache{entries: map[string]scimAuthEntry{}}
	c.listener = pq.NewListener(dsn, time.Second, 30*time.Second, func(ev pq.ListenerEventType, err error) {
		c.event(ev)
		switch {
		case err != nil:
			d.log.Warn("SCIM authentication cache off: listener "+ev.String(), "channel", scimAuthChannel, "err", err)
		case ev == pq.ListenerEventReconnected:
			d.log.Info("SCIM authentication cache on again: listener reconnected", "channel", scimAuthChannel)
		}
	})
	d.scimAuth = c
	go c.drain()

	listened := make(chan error, 1)
	go func() {
		// Listen returns once LISTEN is in effect on the current
		// connection, or has been queued for the next one (resync).
		err := c.listener.Listen(scimAuthChannel)
		if err == nil {
			c.setState(func() { c.listening = true })
		}
		listened <- err
	}()
	wctx, cancel := context.WithTimeout(ctx, scimAuthListenTimeout)
	defer cancel()
	select {
	case err := <-listened:
		if err != nil {
			d.log.Warn("SCIM authentication cache off: listen", "channel", scimAuthChannel, "err", err)
		}
	case <-wctx.Done():
		d.log.Warn("SCIM authentication cache off until the listener connects", "channel", scimAuthChannel)
	}
	return nil
}

// listenerDSN is the pool's URL (LISTEN needs no more than the pool's
// parameters: channels are database-wide, whatever the search_path) with
// an application_name that tells the listener's session apart in
// pg_stat_activity: "roster-listener", or the configured name plus
// "-listener".
func listenerDSN(databaseURL string) (string, error) {
	_, dsn, err := ParseDatabaseURL(databaseURL)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("database URL: %w", err)
	}
	q := u.Query()
	name := "roster"
	if n := q.Get("application_name"); n != "" {
		name = n
	}
	q.Set("application_name", name+"-listener")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// event follows the listener's connection, as lib/pq v1.12.3 reports it
// (notify.go, Listener.listenerConnLoop):
//
//   - Connected: the first connection is up. Its resync issued LISTEN only
//     for channels already registered, and the Listener dials before our
//     Listen call, so LISTEN may not be in effect yet: the cache waits for
//     Listen to return as well (listening).
//   - Reconnected: a new connection is up and resync has re-issued LISTEN
//     for every registered channel and had it acknowledged, before the
//     event. Notifications sent while it was down are lost, hence the
//     clear.
//   - Disconnected, ConnectionAttemptFailed: nothing is being heard.
//
// Every change of state clears the cache. One narrow window remains: if
// the connection dies while our Listen call runs, Listen still returns nil
// and Disconnected follows only once Listen has released the Listener's
// lock, so for that moment the cache is on; Disconnected then clears
// whatever was filled.
func (c *scimAuthCache) event(ev pq.ListenerEventType) {
	switch ev {
	case pq.ListenerEventConnected, pq.ListenerEventReconnected:
		c.setState(func() { c.connected = true })
	case pq.ListenerEventDisconnected, pq.ListenerEventConnectionAttemptFailed:
		c.setState(func() { c.connected = false })
	}
}

// drain clears the cache on every notification, including the nil one
// lib/pq sends after Reconnected (it stands for "notifications may have
// been lost"), and turns the cache off when the listener is closed.
func (c *scimAuthCache) drain() {
	for range c.listener.Notify {
		c.invalidate()
	}
	c.setState(func() { c.connected = false })
}

// close stops the listener; the cache is off from then on.
func (c *scimAuthCache) close() {
	if c == nil {
		return
	}
	c.setState(func() { c.closed = true })
	c.listener.Close()
}

// setState changes the listener state under the lock and clears the cache.
func (c *scimAuthCache) setState(change func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	change()
	c.clearLocked()
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
	if !c.on() {
		return row, false, c.gen
	}
	e, ok := c.entries[hash]
	if !ok || time.Since(e.stored) > scimAuthMaxAge {
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
	if gen != c.gen || !c.on() {
		return
	}
	if _, ok := c.entries[hash]; !ok && len(c.entries) >= scimAuthCacheSize {
		for k := range c.entries {
			delete(c.entries, k)
			break
		}
	}
	c.entries[hash] = scimAuthEntry{row: row, stored: time.Now()}
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
