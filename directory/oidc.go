package directory

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// ListOIDCConnections lists connections: a workspace's (needs
// connections.manage), or every workspace's when workspace is empty (the
// operator only).
func (d *Directory) ListOIDCConnections(ctx context.Context, actor store.Actor, workspace string) ([]store.OIDCConnection, error) {
	out := []store.OIDCConnection{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		where, args, err := connectionsOf(t, workspace)
		if err != nil {
			return err
		}
		var rows []store.OidcConnectionRow
		if err := t.SelectRows(&rows, store.OidcConnectionSelect+where+` ORDER BY w.slug, c.created_at, c.id`, args...); err != nil {
			return fmt.Errorf("list oidc connections: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].Public())
		}
		return nil
	})
	return out, err
}

// OIDCConnectionForEmail is home-realm discovery: the connection that signs
// in an email address, chosen by the address's domain among domains that a
// workspace has VERIFIED (an unverified claim on a domain never routes a
// login). ok is false when no workspace routes the domain; callers must
// answer that case the same way whether or not the domain is known
// elsewhere.
func (d *Directory) OIDCConnectionForEmail(ctx context.Context, email string) (conn store.OIDCConnection, ok bool, err error) {
	return store.RouteEmail(ctx, d.Store, email, store.OidcConnectionSelect+` WHERE c.workspace_id = ? AND c.enabled ORDER BY c.created_at, c.id`,
		(*store.OidcConnectionRow).Public, func(c store.OIDCConnection) []string { return c.Domains })
}
