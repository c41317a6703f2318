package directory

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// DeleteOIDCConnection removes a workspace's connection and the identities
// linked through it, so that its people can link again through whatever
// replaces it (a connection's identities match only its own id, so they
// would otherwise be dead rows). People and memberships stay; a person
// who signed in through it stays signed in until the session expires or
// an admin suspends or removes them: a session belongs to the person, not
// to the provider, and replacing a provider must not sign a whole
// workspace out. It needs connections.manage.
func (d *Directory) DeleteOIDCConnection(ctx context.Context, actor store.Actor, workspace, connectionID string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		c, err := t.LockOIDCConnection(ws.ID, connectionID)
		if err != nil {
			return err
		}
		res, err := t.Execute(`DELETE FROM oidc_identities WHERE connection_id = ?`, c.ID)
		if err != nil {
			return fmt.Errorf("delete identities of oidc connection %s: %w", c.ID, err)
		}
		unlinked, _ := res.RowsAffected()
		if _, err := t.Execute(`DELETE FROM oidc_connections WHERE id = ?`, c.ID); err != nil {
			return fmt.Errorf("delete oidc connection %s: %w", c.ID, err)
		}
		return t.Emit(ws.ID, "oidc_connection.deleted", "oidc_connection", c.ID, map[string]any{
			"kind": c.Kind, "issuer": c.Issuer, "client_id": c.ClientID, "domains": c.Domains, "identities_unlinked": unlinked})
	})
}
