package directory

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// TeamRequest creates a team. Role, when set, is the role membership grants.
type TeamRequest struct {
	Name string
	Role *string
}

// requireTeamRoleGrantable checks that p may hand out (or take away) a
// team's mapped role: changing who is in a mapped team changes their role.
func requireTeamRoleGrantable(t *store.Tx, ws *store.WorkspaceRow, p store.Principal, role *string) error {
	if role == nil {
		return nil
	}
	if _, err := t.RequireGrantable(ws, p, *role); err != nil {
		return err
	}
	return nil
}

// CreateTeam creates a team, optionally mapped to a role the actor may
// grant. It needs members.manage.
func (d *Directory) CreateTeam(ctx context.Context, actor store.Actor, workspace string, req TeamRequest) (store.Team, error) {
	var out store.Team
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermMembersManage)
		if err != nil {
			return err
		}
		if err := requireTeamRoleGrantable(t, ws, p, store.MappedRole(req.Role)); err != nil {
			return err
		}
		out, err = t.CreateTeam(ws, req.Name, req.Role, nil)
		return err
	})
	return out, err
}

// UpdateTeam renames a team or changes its role mapping. Changing the
// mapping needs the right to grant both the old and the new role, since it
// takes one away from the members and gives them the other.
func (d *Directory) UpdateTeam(ctx context.Context, actor store.Actor, workspace, teamID string, u store.TeamUpdate) (store.Team, error) {
	var out store.Team
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermMembersManage)
		if err != nil {
			return err
		}
		cur, err := t.Team(ws.ID, teamID)
		if err != nil {
			return err
		}
		if u.ClearRole || u.Role != nil {
			newRole := store.MappedRole(u.Role)
			if !store.EqualRole(newRole, cur.Role) {
				if err := requireTeamRoleGrantable(t, ws, p, cur.Role); err != nil {
					return err
				}
				if err := requireTeamRoleGrantable(t, ws, p, newRole); err != nil {
					return err
				}
			}
		}
		out, err = t.UpdateTeam(ws, cur.ID, u)
		return err
	})
	return out, err
}

// DeleteTeam deletes a team; its members stay in the workspace but lose a
// role the team granted.
func (d *Directory) DeleteTeam(ctx context.Context, actor store.Actor, workspace, teamID string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermMembersManage)
		if err != nil {
			return err
		}
		cur, err := t.Team(ws.ID, teamID)
		if err != nil {
			return err
		}
		if err := requireTeamRoleGrantable(t, ws, p, cur.Role); err != nil {
			return err
		}
		return t.DeleteTeam(ws, cur.ID)
	})
}

// GetTeam returns one team with its member count; it needs members.read.
func (d *Directory) GetTeam(ctx context.Context, actor store.Actor, workspace, teamID string) (store.Team, error) {
	var out store.Team
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		team, err := t.Team(ws.ID, teamID)
		if err != nil {
			return err
		}
		out = *team
		return nil
	})
	return out, err
}

// ListTeams lists a workspace's teams by name, with member counts; it
// needs members.read.
func (d *Directory) ListTeams(ctx context.Context, actor store.Actor, workspace string) ([]store.Team, error) {
	out := []store.Team{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		if err := t.SelectRows(&out, store.TeamSelect+` WHERE t.workspace_id = ? ORDER BY t.name_norm, t.id`, ws.ID); err != nil {
			return fmt.Errorf("list teams: %w", err)
		}
		return nil
	})
	return out, err
}

// teamExists checks a team exists in a workspace without locking or
// counting it, for reads.
func teamExists(t *store.Tx, workspaceID, teamID string) (string, error) {
	var id string
	if err := t.GetOne(&id, `SELECT id FROM teams WHERE workspace_id = ? AND id = ?`, workspaceID, teamID); err != nil {
		return "", store.NotFound(err, "team "+teamID)
	}
	return id, nil
}
