package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Team is a group of members inside a workspace (SCIM Groups map to teams).
// When Role is set, membership of the team grants that role: a member's
// effective role is the highest-ranked of their own role and the roles of
// their teams.
type Team struct {
	ID          string  `db:"id"`
	WorkspaceID string  `db:"workspace_id"`
	Name        string  `db:"name"`
	Role        *string `db:"role"`
	ExternalID  *string `db:"external_id"`
	// ManagedBy says which door created the team: TeamManagedBySCIM (the
	// workspace's identity provider pushed it; SCIMConnectionID names the
	// connection) or TeamManagedByRoster (an admin created it). It never
	// depends on externalId, which Okta does not send for pushed groups.
	ManagedBy        string    `db:"managed_by"`
	SCIMConnectionID *string   `db:"scim_connection_id"`
	MemberCount      int       `db:"member_count"`
	Version          int       `db:"version"`
	CreatedAt        time.Time `db:"created_at"`
	UpdatedAt        time.Time `db:"updated_at"`
}

// Who manages a team (Team.ManagedBy).
const (
	TeamManagedByRoster = "roster"
	TeamManagedBySCIM   = "scim"
)

// TeamRequest creates a team. Role, when set, is the role membership grants.
type TeamRequest struct {
	Name string
	Role *string
}

// TeamUpdate changes a team; nil fields are left alone. ClearRole removes
// the role mapping (Role must then be nil).
type TeamUpdate struct {
	Name      *string
	Role      *string
	ClearRole bool
}

// teamSelect reads teams with their member count. Removed memberships leave
// their teams (removeMembership), but a revoked invitation only tombstones
// the membership, so the count still skips removed rows.
const teamSelect = `SELECT t.id, t.workspace_id, t.name, t.role, t.external_id, t.managed_by, t.scim_connection_id, t.version, t.created_at, t.updated_at,
	(SELECT COUNT(*) FROM team_members x JOIN memberships m ON m.id = x.membership_id WHERE x.team_id = t.id AND m.status <> 'removed') AS member_count
	FROM teams t`

// batchSize bounds the ids in one IN (...) list or multi-row insert, well
// under both databases' parameter limits.
const batchSize = 500

// team loads one team of a workspace.
func (t *tx) team(workspaceID, teamID string) (*Team, error) {
	var out Team
	if err := t.get(&out, teamSelect+` WHERE t.workspace_id = ? AND t.id = ?`, workspaceID, teamID); err != nil {
		return nil, notFound(err, "team "+teamID)
	}
	return &out, nil
}

// teamName validates and trims a team name.
func teamName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", invalidf("a team needs a name")
	}
	if len([]rune(name)) > 200 {
		return "", invalidf("a team name has at most 200 characters")
	}
	return name, nil
}

// mappedRole normalises an optional role mapping: an empty string means none.
func mappedRole(role *string) *string {
	if role == nil || strings.TrimSpace(*role) == "" {
		return nil
	}
	r := strings.TrimSpace(*role)
	return &r
}

// requireTeamRoleGrantable checks that p may hand out (or take away) a
// team's mapped role: changing who is in a mapped team changes their role.
func (t *tx) requireTeamRoleGrantable(ws *workspaceRow, p principal, role *string) error {
	if role == nil {
		return nil
	}
	if _, err := t.requireGrantable(ws, p, *role); err != nil {
		return err
	}
	return nil
}

// createTeam inserts a team without checking permissions; CreateTeam and
// SCIM (which also sets externalID) call it. The door that creates it
// decides who manages it: a SCIM connection's team is the identity
// provider's, whatever attributes the IdP sent. A name already used in the
// workspace (case-insensitively) is ErrConflict.
func (t *tx) createTeam(ws *workspaceRow, name string, role *string, externalID *string) (Team, error) {
	name, err := teamName(name)
	if err != nil {
		return Team{}, err
	}
	role = mappedRole(role)
	if role != nil {
		if _, err := t.role(ws.ID, *role); err != nil {
			return Team{}, fmt.Errorf("%w: unknown role %q", ErrInvalid, *role)
		}
	}
	team := Team{ID: newID(), WorkspaceID: ws.ID, Name: name, Role: role, ExternalID: externalID, ManagedBy: TeamManagedByRoster, Version: 1, CreatedAt: t.now, UpdatedAt: t.now}
	if t.actor.Kind == ActorSCIM {
		conn := t.actor.ID
		team.ManagedBy, team.SCIMConnectionID = TeamManagedBySCIM, &conn
	}
	_, err = t.exec(`INSERT INTO teams (id, workspace_id, name, name_norm, role, external_id, managed_by, scim_connection_id, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		team.ID, ws.ID, name, foldCase(name), role, externalID, team.ManagedBy, team.SCIMConnectionID, t.now, t.now)
	if isUniqueViolation(err) {
		return Team{}, fmt.Errorf("%w: a team named %q already exists", ErrConflict, name)
	} else if err != nil {
		return Team{}, fmt.Errorf("create team: %w", err)
	}
	if err := t.emit(ws.ID, "team.created", "team", team.ID, map[string]any{"name": name, "role": role, "managed_by": team.ManagedBy}); err != nil {
		return Team{}, err
	}
	return team, nil
}

// updateTeam renames a team and changes its role mapping without checking
// permissions. When the mapping changes, every member's effective role is
// recomputed (the only team operation whose cost grows with the team).
func (t *tx) updateTeam(ws *workspaceRow, teamID string, u TeamUpdate) (Team, error) {
	cur, err := t.lockTeam(ws.ID, teamID)
	if err != nil {
		return Team{}, err
	}
	name, role := cur.Name, cur.Role
	if u.Name != nil {
		if name, err = teamName(*u.Name); err != nil {
			return Team{}, err
		}
	}
	if u.ClearRole {
		if u.Role != nil {
			return Team{}, invalidf("set a role or clear it, not both")
		}
		role = nil
	} else if u.Role != nil {
		role = mappedRole(u.Role)
		if role != nil {
			if _, err := t.role(ws.ID, *role); err != nil {
				return Team{}, fmt.Errorf("%w: unknown role %q", ErrInvalid, *role)
			}
		}
	}
	roleChanged := !equalRole(role, cur.Role)
	if name == cur.Name && !roleChanged {
		return *cur, nil
	}
	_, err = t.exec(`UPDATE teams SET name = ?, name_norm = ?, role = ?, version = version + 1, updated_at = ? WHERE id = ?`,
		name, foldCase(name), role, t.now, cur.ID)
	if isUniqueViolation(err) {
		return Team{}, fmt.Errorf("%w: a team named %q already exists", ErrConflict, name)
	} else if err != nil {
		return Team{}, fmt.Errorf("update team: %w", err)
	}
	if roleChanged {
		var ids []string
		if err := t.selectRows(&ids, `SELECT membership_id FROM team_members WHERE team_id = ? ORDER BY membership_id`, cur.ID); err != nil {
			return Team{}, fmt.Errorf("team members: %w", err)
		}
		if err := t.recomputeTeamRoles(ws, cur.ID, ids); err != nil {
			return Team{}, err
		}
	}
	if err := t.emit(ws.ID, "team.updated", "team", cur.ID, map[string]any{"name": name, "role": role, "previous_name": cur.Name, "previous_role": cur.Role}); err != nil {
		return Team{}, err
	}
	out, err := t.team(ws.ID, cur.ID)
	if err != nil {
		return Team{}, err
	}
	return *out, nil
}

func equalRole(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// deleteTeam deletes a team without checking permissions. Members of a
// mapped team lose the role it granted.
func (t *tx) deleteTeam(ws *workspaceRow, teamID string) error {
	cur, err := t.lockTeam(ws.ID, teamID)
	if err != nil {
		return err
	}
	var ids []string
	if cur.Role != nil {
		if err := t.selectRows(&ids, `SELECT membership_id FROM team_members WHERE team_id = ? ORDER BY membership_id`, cur.ID); err != nil {
			return fmt.Errorf("team members: %w", err)
		}
	}
	if _, err := t.exec(`DELETE FROM team_members WHERE team_id = ?`, cur.ID); err != nil {
		return fmt.Errorf("delete team members: %w", err)
	}
	if _, err := t.exec(`DELETE FROM teams WHERE id = ?`, cur.ID); err != nil {
		return fmt.Errorf("delete team: %w", err)
	}
	if err := t.recomputeTeamRoles(ws, cur.ID, ids); err != nil {
		return err
	}
	return t.emit(ws.ID, "team.deleted", "team", cur.ID, map[string]any{"name": cur.Name, "role": cur.Role})
}

// lockTeam loads a team of the workspace and locks its row, so concurrent
// changes to one team's membership queue behind each other (PostgreSQL;
// SQLite serialises writers anyway).
func (t *tx) lockTeam(workspaceID, teamID string) (*Team, error) {
	var out Team
	if err := t.get(&out, `SELECT id, workspace_id, name, role, external_id, managed_by, scim_connection_id, version, created_at, updated_at FROM teams WHERE workspace_id = ? AND id = ?`+t.forNoKeyUpdate(), workspaceID, teamID); err != nil {
		return nil, notFound(err, "team "+teamID)
	}
	return &out, nil
}

// CreateTeam creates a team, optionally mapped to a role the actor may
// grant. It needs members.manage.
func (d *Directory) CreateTeam(ctx context.Context, actor Actor, workspace string, req TeamRequest) (Team, error) {
	var out Team
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, p, err := t.authorized(workspace, PermMembersManage)
		if err != nil {
			return err
		}
		if err := t.requireTeamRoleGrantable(ws, p, mappedRole(req.Role)); err != nil {
			return err
		}
		out, err = t.createTeam(ws, req.Name, req.Role, nil)
		return err
	})
	return out, err
}

// UpdateTeam renames a team or changes its role mapping. Changing the
// mapping needs the right to grant both the old and the new role, since it
// takes one away from the members and gives them the other.
func (d *Directory) UpdateTeam(ctx context.Context, actor Actor, workspace, teamID string, u TeamUpdate) (Team, error) {
	var out Team
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, p, err := t.authorized(workspace, PermMembersManage)
		if err != nil {
			return err
		}
		cur, err := t.team(ws.ID, teamID)
		if err != nil {
			return err
		}
		if u.ClearRole || u.Role != nil {
			newRole := mappedRole(u.Role)
			if !equalRole(newRole, cur.Role) {
				if err := t.requireTeamRoleGrantable(ws, p, cur.Role); err != nil {
					return err
				}
				if err := t.requireTeamRoleGrantable(ws, p, newRole); err != nil {
					return err
				}
			}
		}
		out, err = t.updateTeam(ws, cur.ID, u)
		return err
	})
	return out, err
}

// DeleteTeam deletes a team; its members stay in the workspace but lose a
// role the team granted.
func (d *Directory) DeleteTeam(ctx context.Context, actor Actor, workspace, teamID string) error {
	return d.inTx(ctx, actor, func(t *tx) error {
		ws, p, err := t.authorized(workspace, PermMembersManage)
		if err != nil {
			return err
		}
		cur, err := t.team(ws.ID, teamID)
		if err != nil {
			return err
		}
		if err := t.requireTeamRoleGrantable(ws, p, cur.Role); err != nil {
			return err
		}
		return t.deleteTeam(ws, cur.ID)
	})
}

// GetTeam returns one team with its member count; it needs members.read.
func (d *Directory) GetTeam(ctx context.Context, actor Actor, workspace, teamID string) (Team, error) {
	var out Team
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermMembersRead)
		if err != nil {
			return err
		}
		team, err := t.team(ws.ID, teamID)
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
func (d *Directory) ListTeams(ctx context.Context, actor Actor, workspace string) ([]Team, error) {
	out := []Team{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermMembersRead)
		if err != nil {
			return err
		}
		if err := t.selectRows(&out, teamSelect+` WHERE t.workspace_id = ? ORDER BY t.name_norm, t.id`, ws.ID); err != nil {
			return fmt.Errorf("list teams: %w", err)
		}
		return nil
	})
	return out, err
}

// teamNamesJSON is what an invitation email says of its teams: the names
// of the teams among ids that still exist, in the order of ids, as the
// JSON array of strings the email templates take; "" when there are none.
func (t *tx) teamNamesJSON(workspaceID string, ids []string) (string, error) {
	ids = uniqueIDs(ids)
	if len(ids) == 0 {
		return "", nil
	}
	names := make(map[string]string, len(ids))
	for chunk := range slices.Chunk(ids, batchSize) {
		q, args, err := inQuery(`SELECT id, name FROM teams WHERE workspace_id = ? AND id IN (?)`, workspaceID, chunk)
		if err != nil {
			return "", err
		}
		var rows []struct {
			ID   string `db:"id"`
			Name string `db:"name"`
		}
		if err := t.selectRows(&rows, q, args...); err != nil {
			return "", fmt.Errorf("team names: %w", err)
		}
		for _, r := range rows {
			names[r.ID] = r.Name
		}
	}
	var out []string
	for _, id := range ids {
		if n, ok := names[id]; ok {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "", nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("team names: %w", err)
	}
	return string(b), nil
}

// teamExists checks a team exists in a workspace without locking or
// counting it, for reads.
func (t *tx) teamExists(workspaceID, teamID string) (string, error) {
	var id string
	if err := t.get(&id, `SELECT id FROM teams WHERE workspace_id = ? AND id = ?`, workspaceID, teamID); err != nil {
		return "", notFound(err, "team "+teamID)
	}
	return id, nil
}
