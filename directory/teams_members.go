package directory

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// AddTeamMembers adds members (membership ids of the same workspace) to a
// team; adding someone twice is a no-op. If the team maps a role, the
// actor must be able to grant it, and the added members' effective roles
// are recomputed.
func (d *Directory) AddTeamMembers(ctx context.Context, actor store.Actor, workspace, teamID string, membershipIDs []string) error {
	return d.changeTeamMembers(ctx, actor, workspace, teamID, membershipIDs, (*store.Tx).AddTeamMembers)
}

// RemoveTeamMembers takes members out of a team; ids not in the team are
// ignored. Members of a mapped team lose the role it granted.
func (d *Directory) RemoveTeamMembers(ctx context.Context, actor store.Actor, workspace, teamID string, membershipIDs []string) error {
	return d.changeTeamMembers(ctx, actor, workspace, teamID, membershipIDs, (*store.Tx).RemoveTeamMembers)
}

func (d *Directory) changeTeamMembers(ctx context.Context, actor store.Actor, workspace, teamID string, ids []string, change func(*store.Tx, *store.WorkspaceRow, string, []string) error) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermMembersManage)
		if err != nil {
			return err
		}
		cur, err := t.LockTeam(ws.ID, teamID)
		if err != nil {
			return err
		}
		if err := requireTeamRoleGrantable(t, ws, p, cur.Role); err != nil {
			return err
		}
		return change(t, ws, cur.ID, ids)
	})
}

// ListTeamMembers lists a team's members, oldest first; it needs
// members.read.
func (d *Directory) ListTeamMembers(ctx context.Context, actor store.Actor, workspace, teamID string) ([]store.Member, error) {
	out := []store.Member{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		if _, err := teamExists(t, ws.ID, teamID); err != nil {
			return err
		}
		if err := t.SelectRows(&out, store.MemberSelect+` JOIN team_members x ON x.membership_id = m.id
			WHERE x.team_id = ? AND m.workspace_id = ? AND m.status <> 'removed' ORDER BY m.id`, teamID, ws.ID); err != nil {
			return fmt.Errorf("list team members: %w", err)
		}
		return nil
	})
	return out, err
}
