package store

import (
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

// MembershipsByID loads the non-removed memberships of a workspace among
// ids, in batches.
func (t *Tx) MembershipsByID(workspaceID string, ids []string) (map[string]teamMemberRow, error) {
	out := make(map[string]teamMemberRow, len(ids))
	for chunk := range slices.Chunk(ids, BatchSize) {
		q, args, err := InQuery(`SELECT id, user_id, effective_role, status FROM memberships WHERE workspace_id = ? AND status <> 'removed' AND id IN (?)`, workspaceID, chunk)
		if err != nil {
			return nil, err
		}
		var rows []teamMemberRow
		if err := t.SelectRows(&rows, q, args...); err != nil {
			return nil, fmt.Errorf("find members: %w", err)
		}
		for _, r := range rows {
			out[r.ID] = r
		}
	}
	return out, nil
}

// UniqueIDs drops empty and repeated ids, keeping the first order.
func UniqueIDs(ids []string) []string {
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

// AddTeamMembers adds memberships of ws to a team of ws; members already
// in the team are left alone. It touches only the named memberships (a
// batched insert, then a role recompute for the added members only if the
// team maps a role), so its cost does not depend on the team's size. An id
// that is not a (non-removed) membership of ws is ErrNotFound and nothing
// is added. It checks no permissions: callers (AddTeamMembers, SCIM) do.
func (t *Tx) AddTeamMembers(ws *WorkspaceRow, teamID string, membershipIDs []string) error {
	team, err := t.LockTeam(ws.ID, teamID)
	if err != nil {
		return err
	}
	ids := UniqueIDs(membershipIDs)
	if len(ids) == 0 {
		return nil
	}
	members, err := t.MembershipsByID(ws.ID, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, ok := members[id]; !ok {
			return fmt.Errorf("member %s: %w", id, ErrNotFound)
		}
	}
	var added []string
	for chunk := range slices.Chunk(ids, BatchSize) {
		q := `INSERT INTO team_members (team_id, membership_id, created_at) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(chunk)), ", ") +
			` ON CONFLICT (team_id, membership_id) DO NOTHING RETURNING membership_id`
		args := make([]any, 0, 3*len(chunk))
		for _, id := range chunk {
			args = append(args, team.ID, id, t.Now)
		}
		var got []string
		if err := t.SelectRows(&got, q, args...); err != nil {
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
		if err := t.Emit(ws.ID, "team.member_added", "team", team.ID, map[string]string{"membership_id": id, "user_id": members[id].UserID}); err != nil {
			return err
		}
	}
	if team.Role == nil {
		return nil
	}
	return t.recomputeRoles(ws, team.ID, added, members)
}

// RemoveTeamMembers takes memberships out of a team of ws; ids that are not
// in the team are ignored. Like addTeamMembers it touches only the named
// memberships, and members of a mapped team lose the role it granted (a
// change that would leave the workspace without an active owner is
// ErrLastOwner). It checks no permissions.
func (t *Tx) RemoveTeamMembers(ws *WorkspaceRow, teamID string, membershipIDs []string) error {
	team, err := t.LockTeam(ws.ID, teamID)
	if err != nil {
		return err
	}
	ids := UniqueIDs(membershipIDs)
	var removed []string
	for chunk := range slices.Chunk(ids, BatchSize) {
		q, args, err := InQuery(`DELETE FROM team_members WHERE team_id = ? AND membership_id IN (?) RETURNING membership_id`, team.ID, chunk)
		if err != nil {
			return err
		}
		var got []string
		if err := t.SelectRows(&got, q, args...); err != nil {
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
	members, err := t.MembershipsByID(ws.ID, removed)
	if err != nil {
		return err
	}
	for _, id := range removed {
		if err := t.Emit(ws.ID, "team.member_removed", "team", team.ID, map[string]string{"membership_id": id, "user_id": members[id].UserID}); err != nil {
			return err
		}
	}
	if team.Role == nil {
		return nil
	}
	return t.recomputeRoles(ws, team.ID, removed, members)
}

// touchTeam bumps a team's version (SCIM ETags) after its members changed.
func (t *Tx) touchTeam(teamID string) error {
	if _, err := t.Execute(`UPDATE teams SET version = version + 1, updated_at = ? WHERE id = ?`, t.Now, teamID); err != nil {
		return fmt.Errorf("update team version: %w", err)
	}
	return nil
}

// TouchTeamsOf bumps the version of every team a membership is in: a
// change to the membership that shows in those groups (it leaves, it is
// tombstoned or revived, its display changes) is a change of each group,
// so its SCIM ETag and lastModified must move too (RFC 7644 3.14).
func (t *Tx) TouchTeamsOf(membershipID string) error {
	if _, err := t.Execute(`UPDATE teams SET version = version + 1, updated_at = ? WHERE id IN (SELECT team_id FROM team_members WHERE membership_id = ?)`,
		t.Now, membershipID); err != nil {
		return fmt.Errorf("update team versions: %w", err)
	}
	return nil
}

// recomputeTeamRoles recomputes the effective roles of the given members
// of a team whose mapping changed (or that was deleted).
func (t *Tx) recomputeTeamRoles(ws *WorkspaceRow, teamID string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	members, err := t.MembershipsByID(ws.ID, ids)
	if err != nil {
		return err
	}
	return t.recomputeRoles(ws, teamID, ids, members)
}

// recomputeRoles recomputes the effective role of each membership whose
// teams changed, records each change as member.role_changed, and refuses
// to take the last active owner's ownership away.
func (t *Tx) recomputeRoles(ws *WorkspaceRow, teamID string, ids []string, before map[string]teamMemberRow) error {
	for _, id := range ids {
		old, ok := before[id]
		if !ok {
			continue // removed meanwhile: tombstones have no role to keep
		}
		eff, err := t.RecomputeRole(ws.ID, id)
		if err != nil {
			return err
		}
		if eff == old.EffectiveRole {
			continue
		}
		if old.EffectiveRole == RoleOwner {
			if err := t.RequireOtherOwner(ws, &Member{ID: id, EffectiveRole: RoleOwner, Status: old.Status}); err != nil {
				return err
			}
		}
		if err := t.Emit(ws.ID, "member.role_changed", "member", id, map[string]string{"user_id": old.UserID, "effective_role": eff, "previous_role": old.EffectiveRole, "via": "team", "team_id": teamID}); err != nil {
			return err
		}
	}
	return nil
}
