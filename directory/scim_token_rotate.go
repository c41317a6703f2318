package directory

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// RotateSCIMToken replaces a token in one step: a new token with the old
// one's description and lifetime is created (its secret returned, shown
// once, stored hashed) and the old one is revoked in the same
// transaction, so the IdP must be given the new secret at once. For a
// switch-over without a gap, create a second token and revoke the first
// later instead. A token of another workspace is ErrNotFound; a revoked
// one ErrConflict. It needs connections.manage.
func (d *Directory) RotateSCIMToken(ctx context.Context, actor store.Actor, workspace, tokenID string) (store.SCIMToken, string, error) {
	var out store.SCIMToken
	var secret string
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		var old store.SCIMToken
		if err := t.GetOne(&old, `SELECT `+scimTokenColumns+` FROM scim_tokens k JOIN workspaces w ON w.id = k.workspace_id WHERE k.id = ? AND k.workspace_id = ?`+t.ForNoKeyUpdate(), tokenID, ws.ID); err != nil {
			return store.NotFound(err, "SCIM token "+tokenID)
		}
		if old.RevokedAt != nil {
			return fmt.Errorf("%w: token %s is already revoked", store.ErrConflict, tokenID)
		}
		token, hash := store.NewToken()
		secret = token
		out = store.SCIMToken{ID: store.NewID(), ConnectionID: old.ConnectionID, WorkspaceID: ws.ID, WorkspaceSlug: ws.Slug, Hint: token[len(token)-4:],
			Description: old.Description, CreatedAt: t.Now}
		if old.ExpiresAt != nil {
			exp := t.Now.Add(old.ExpiresAt.Sub(old.CreatedAt))
			out.ExpiresAt = &exp
		}
		if _, err := t.Execute(`UPDATE scim_tokens SET revoked_at = ? WHERE id = ?`, t.Now, old.ID); err != nil {
			return fmt.Errorf("rotate SCIM token: revoke the old one: %w", err)
		}
		if _, err := t.Execute(`INSERT INTO scim_tokens (id, connection_id, workspace_id, token_hash, hint, description, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, out.ConnectionID, ws.ID, hash, out.Hint, out.Description, t.Now, out.ExpiresAt); err != nil {
			return fmt.Errorf("rotate SCIM token: create the new one: %w", err)
		}
		if err := t.Emit(ws.ID, "scim.token_created", "scim_token", out.ID, map[string]any{"connection_id": out.ConnectionID, "expires_at": out.ExpiresAt,
			"description": out.Description, "replaces": old.ID}); err != nil {
			return err
		}
		return t.Emit(ws.ID, "scim.token_revoked", "scim_token", old.ID, map[string]any{"connection_id": old.ConnectionID, "replaced_by": out.ID})
	})
	return out, secret, err
}
