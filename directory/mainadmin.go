package directory

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// MainAdmin is the workspace's main admin, nil when it has none (yet).
// Whoever may invite may know it: inviting someone as main admin
// replaces them, and the inviter should be told whom.
func (d *Directory) MainAdmin(ctx context.Context, actor store.Actor, workspace string) (*store.Member, error) {
	var out *store.Member
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersInvite)
		if err != nil {
			return err
		}
		var ids []string
		if err := t.SelectRows(&ids, `SELECT id FROM memberships WHERE workspace_id = ? AND main_admin AND status <> 'removed'`, ws.ID); err != nil {
			return fmt.Errorf("find main admin: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		out, err = t.Member(ws.ID, ids[0])
		return err
	})
	return out, err
}
