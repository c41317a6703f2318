package directory

import (
	"context"
	"fmt"
)

// MainAdmin is the workspace's main admin, nil when it has none (yet).
// Whoever may invite may know it: inviting someone as main admin
// replaces them, and the inviter should be told whom.
func (d *Directory) MainAdmin(ctx context.Context, actor Actor, workspace string) (*Member, error) {
	var out *Member
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermMembersInvite)
		if err != nil {
			return err
		}
		var ids []string
		if err := t.selectRows(&ids, `SELECT id FROM memberships WHERE workspace_id = ? AND main_admin AND status <> 'removed'`, ws.ID); err != nil {
			return fmt.Errorf("find main admin: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		out, err = t.member(ws.ID, ids[0])
		return err
	})
	return out, err
}
