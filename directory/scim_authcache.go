package directory

import (
	"context"

	"github.com/rosterhq/roster/directory/internal/store"
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

// startSCIMAuthCache starts the listener on PostgreSQL and waits (briefly)
// until it LISTENs; on SQLite it leaves the cache nil.
func (d *Directory) startSCIMAuthCache(ctx context.Context) error {
	if !d.Flavor.IsPostgres() {
		return nil
	}
	c := store.NewScimAuthCache(d.Now)
	d.ScimAuth = c
	l, err := d.SQL.Listen(ctx, scimAuthChannel, d.Log, c.Changed)
	if err != nil {
		return err
	}
	c.SetListener(l)
	return nil
}
