package directory

// Who is in a team: adding and removing members, and the roles a team's
// mapping grants them.

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// teamMemberRow is what team changes need to know about a membership.
type teamMemberRow struct {
	ID            string `db:"id"`
	UserID        string `db:"user_id"`
	EffectiveRole string `db:"effective_role"`
	Status        string `db:"status"`
}

// membershipsByID loads the non-removed memberships of a workspace among
// ids, in batches.
func (t *tx) membershipsByID(workspaceID string, ids []string) (map[string]teamMemberRow, error) {
	out := make(map[string]teamMemberRow, len(ids))
	for chunk := range slices.Chunk(ids, batchSize) {
		q, args, err := inQuery(`SELECT id, user_id, effective_role, status FROM memberships WHERE workspace_id = ? AND status <> 'removed' AND id IN (?)`, workspaceID, chunk)
		if err != nil {
			return nil, err
		}
		var rows []teamMemberRow
		if err := t.selectRows(&rows, q, args...); err != nil {
			return nil, fmt.Errorf("find members: %w", err)
		}
		for _, r := range rows {
			out[r.ID] = r
		}
	}
	return out, nil
}

// uniqueIDs drops empty and repeated ids, keeping the first order.
func uniqueIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// addTeamMembers adds memberships of ws to a team of ws; members already
// in the team are left alone. It touches only the named memberships (a
// batched insert, then a role recompute for the added members only if the
// team maps a role), so its cost does not depend on the team's size. An id
// that is not a (non-removed) membership of ws is ErrNotFound and nothing
// is added. It checks no permissions: callers (AddTeamMembers, SCIM) do.
func (t *tx) addTeamMembers(ws *workspaceRow, teamID string, membershipIDs []string) error {
	team, err := t.lockTeam(ws.ID, teamID)
	if err != nil {
		return err
	}
	ids := uniqueIDs(membershipIDs)
	if len(ids) == 0 {
		return nil
	}
	members, err := t.membershipsByID(ws.ID, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok := members[id]; !ok {
			return fmt.Errorf("member %s: %w", id, ErrNotFound)
		}
	}
	var added []string
	for chunk := range slices.Chunk(ids, batchSize) {
		q := `INSERT INTO team_members (team_id, membership_id, created_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(chunk)), ", ") +
			` ON CONFLICT (team_id, membership_id) DO NOTHING RETURNING membership_id`
		args := make([]any, 0, 3*len(chunk))
		for _, id := range chunk {
			args = append(args, team.ID, id, t.now)
		}
		var got []string
		if err := t.selectRows(&got, q, args...); err != nil {
			return fmt.Errorf("add team members: %w", err)
		}
		added = append(added, got...)
	}
	if len(added) == 0 {
		return nil
	}
	slices.Sort(added)
	if err := t.touchTeam(team.ID); err != nil {
		return err
	}
	for _, id := range added {
		if err := t.emit(ws.ID, "team.member_added", "team", team.ID, map[string]string{"membership_id": id, "user_id": members[id].UserID}); err != nil {
			return err
		}
	}
	if team.Role == nil {
		return nil
	}
	return t.recomputeRoles(ws, team.ID, added, members)
}

// removeTeamMembers takes memberships out of a team of ws; ids that are not
// in the team are ignored. Like addTeamMembers it touches only the named
// memberships, and members of a mapped team lose the role it granted (a
// change that would leave the workspace without an active owner is
// ErrLastOwner). It checks no permissions.
func (t *tx) removeTeamMembers(ws *workspaceRow, teamID string, membershipIDs []string) error {
	team, err := t.lockTeam(ws.ID, teamID)
	if err != nil {
		return err
	}
	ids := uniqueIDs(membershipIDs)
	var removed []string
	for chunk := range slices.Chunk(ids, batchSize) {
		q, args, err := inQuery(`DELETE FROM team_members WHERE team_id = ? AND membership_id IN (?) RETURNING membership_id`, team.ID, chunk)
		if err != nil {
			return err
		}
		var got []string
		if err := t.selectRows(&got, q, args...); err != nil {
			return fmt.Errorf("remove team members: %w", err)
		}
		removed = append(removed, got...)
	}
	if len(removed) == 0 {
		return nil
	}
	slices.Sort(removed)
	if err := t.touchTeam(team.ID); err != nil {
		return err
	}
	members, err := t.membershipsByID(ws.ID, removed)
	if err != nil {
		return err
	}
	for _, id := range removed {
		if err := t.emit(ws.ID, "team.member_removed", "team", team.ID, map[string]string{"membership_id": id, "user_id": members[id].UserID}); err != nil {
			return err
		}
	}
	if team.Role == nil {
		return nil
	}
	return t.recomputeRoles(ws, team.ID, removed, members)
}

// touchTeam bumps a team's version (SCIM ETags) after its members changed.
func (t *tx) touchTeam(teamID string) error {
	if _, err := t.exec(`UPDATE teams SET version = version + 1, updated_at = ? WHERE id = ?`, t.now, teamID); err != nil {
		return fmt.Errorf("update team version: %w", err)
	}
	return nil
}

// touchTeamsOf bumps the version of every team a membership is in: a
// change to the membership that shows in those groups (it leaves, it is
// tombstoned or revived, its display changes) is a change of each group,
// so its SCIM ETag and lastModified must move too (RFC 7644 3.14).
func (t *tx) touchTeamsOf(membershipID string) error {
	if _, err := t.exec(`UPDATE teams SET version = version + 1, updated_at = ? WHERE id IN (SELECT team_id FROM team_members WHERE membership_id = ?)`,
		t.now, membershipID); err != nil {
		return fmt.Errorf("update team versions: %w", err)
	}
	return nil
}

// recomputeTeamRoles recomputes the effective roles of the given members
// of a team whose mapping changed (or that was deleted).
func (t *tx) recomputeTeamRoles(ws *workspaceRow, teamID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	members, err := t.membershipsByID(ws.ID, ids)
	if err != nil {
		return err
	}
	return t.recomputeRoles(ws, teamID, ids, members)
}

// recomputeRoles recomputes the effective role of each membership whose
// teams changed, records each change as member.role_changed, and refuses
// to take the last active owner's ownership away.
func (t *tx) recomputeRoles(ws *workspaceRow, teamID string, ids []string, before map[string]teamMemberRow) error {
	for _, id := range ids {
		old, ok := before[id]
		if !ok {
			continue // removed meanwhile: tombstones have no role to keep
		}
		eff, err := t.recomputeRole(ws.ID, id)
		if err != nil {
			return err
		}
		if eff == old.EffectiveRole {
			continue
		}
		if old.EffectiveRole == RoleOwner {
			if err := t.requireOtherOwner(ws, &Member{ID: id, EffectiveRole: RoleOwner, Status: old.Status}); err != nil {
				return err
			}
		}
		if err := t.emit(ws.ID, "member.role_changed", "member", id, map[string]string{"user_id": old.UserID, "effective_role": eff, "previous_role": old.EffectiveRole, "via": "team", "team_id": teamID}); err != nil {
			return err
		}
	}
	return nil
}

// AddTeamMembers adds members (membership ids of the same workspace) to a
// team; adding someone twice is a no-op. If the team maps a role, the
// actor must be able to grant it, and the added members' effective roles
// are recomputed.
func (d *Directory) AddTeamMembers(ctx context.Context, actor Actor, workspace, teamID string, membershipIDs []string) error {
	return d.changeTeamMembers(ctx, actor, workspace, teamID, membershipIDs, (*tx).addTeamMembers)
}

// RemoveTeamMembers takes members out of a team; ids not in the team are
// ignored. Members of a mapped team lose the role it granted.
func (d *Directory) RemoveTeamMembers(ctx context.Context, actor Actor, workspace, teamID string, membershipIDs []string) error {
	return d.changeTeamMembers(ctx, actor, workspace, teamID, membershipIDs, (*tx).removeTeamMembers)
}

func (d *Directory) changeTeamMembers(ctx context.Context, actor Actor, workspace, teamID string, ids []string, change func(*tx, *workspaceRow, string, []string) error) error {
	return d.inTx(ctx, actor, func(t *tx) error {
		ws, p, err := t.authorized(workspace, PermMembersManage)
		if err != nil {
			return err
		}
		cur, err := t.lockTeam(ws.ID, teamID)
		if err != nil {
			return err
		}
		if err := t.requireTeamRoleGrantable(ws, p, cur.Role); err != nil {
			return err
		}
		return change(t, ws, cur.ID, ids)
	})
}

// ListTeamMembers lists a team's members, oldest first; it needs
// members.read.
func (d *Directory) ListTeamMembers(ctx context.Context, actor Actor, workspace, teamID string) ([]Member, error) {
	out := []Member{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermMembersRead)
		if err != nil {
			return err
		}
		if _, err := t.teamExists(ws.ID, teamID); err != nil {
			return err
		}
		if err := t.selectRows(&out, memberSelect+` JOIN team_members x ON x.membership_id = m.id
			WHERE x.team_id = ? AND m.workspace_id = ? AND m.status <> 'removed' ORDER BY m.id`, teamID, ws.ID); err != nil {
			return fmt.Errorf("list team members: %w", err)
		}
		return nil
	})
	return out, err
}
