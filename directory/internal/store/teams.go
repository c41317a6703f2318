package store

import (
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

// TeamUpdate changes a team; nil fields are left alone. ClearRole removes
// the role mapping (Role must then be nil).
type TeamUpdate struct {
	Name      *string
	Role      *string
	ClearRole bool
}

// TeamSelect reads teams with their member count. Removed memberships leave
// their teams (removeMembership), but a revoked invitation only tombstones
// the membership, so the count still skips removed rows.
const TeamSelect = `SELECT t.id, t.workspace_id, t.name, t.role, t.external_id, t.managed_by, t.scim_connection_id, t.version, t.created_at, t.updated_at,
	(SELECT COUNT(*) FROM team_members x JOIN memberships m ON m.id = x.membership_id WHERE x.team_id = t.id AND m.status <> 'removed') AS member_count
	FROM teams t`

// BatchSize bounds the ids in one IN (...) list or multi-row insert, well
// under both databases' parameter limits.
const BatchSize = 500

// Team loads one team of a workspace.
func (t *Tx) Team(workspaceID, teamID string) (*Team, error) {
	var out Team
	if err := t.GetOne(&out, TeamSelect+` WHERE t.workspace_id = ? AND t.id = ?`, workspaceID, teamID); err != nil {
		return nil, NotFound(err, "team "+teamID)
	}
	return &out, nil
}

// teamName validates and trims a team name.
func teamName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" {
		return "", Invalidf("a team needs a name")
	}
	if len([]rune(name)) > 200 {
		return "", Invalidf("a team name has at most 200 characters")
	}
	return name, nil
}

// MappedRole normalises an optional role mapping: an empty string means none.
func MappedRole(role *string) *string {
	if role == nil || strings.TrimSpace(*role) == "" {
		return nil
	}
	r := strings.TrimSpace(*role)
	return &r
}

// CreateTeam inserts a team without checking permissions; CreateTeam and
// SCIM (which also sets externalID) call it. The door that creates it
// decides who manages it: a SCIM connection's team is the identity
// provider's, whatever attributes the IdP sent. A name already used in the
// workspace (case-insensitively) is ErrConflict.
func (t *Tx) CreateTeam(ws *WorkspaceRow, name string, role *string, externalID *string) (Team, error) {
	name, err := teamName(name)
	if err != nil {
		return Team{}, err
	}
	role = MappedRole(role)
	if role != nil {
		if _, err := t.Role(ws.ID, *role); err != nil {
			return Team{}, fmt.Errorf("%w: unknown role %q", ErrInvalid, *role)
		}
	}
	team := Team{ID: NewID(), WorkspaceID: ws.ID, Name: name, Role: role, ExternalID: externalID, ManagedBy: TeamManagedByRoster, Version: 1, CreatedAt: t.Now, UpdatedAt: t.Now}
	if t.Actor.Kind == ActorSCIM {
		conn := t.Actor.ID
		team.ManagedBy, team.SCIMConnectionID = TeamManagedBySCIM, &conn
	}
	_, err = t.Execute(`INSERT INTO teams (id, workspace_id, name, name_norm, role, external_id, managed_by, scim_connection_id, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)`,
		team.ID, ws.ID, name, FoldCase(name), role, externalID, team.ManagedBy, team.SCIMConnectionID, t.Now, t.Now)
	if IsUniqueViolation(err) {
		return Team{}, fmt.Errorf("%w: a team named %q already exists", ErrConflict, name)
	} else if err != nil {
		return Team{}, fmt.Errorf("create team: %w", err)
	}
	if err := t.Emit(ws.ID, "team.created", "team", team.ID, map[string]any{"name": name, "role": role, "managed_by": team.ManagedBy}); err != nil {
		return Team{}, err
	}
	return team, nil
}

// UpdateTeam renames a team and changes its role mapping without checking
// permissions. When the mapping changes, every member's effective role is
// recomputed (the only team operation whose cost grows with the team).
func (t *Tx) UpdateTeam(ws *WorkspaceRow, teamID string, u TeamUpdate) (Team, error) {
	cur, err := t.LockTeam(ws.ID, teamID)
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
			return Team{}, Invalidf("set a role or clear it, not both")
		}
		role = nil
	} else if u.Role != nil {
		role = MappedRole(u.Role)
		if role != nil {
			if _, err := t.Role(ws.ID, *role); err != nil {
				return Team{}, fmt.Errorf("%w: unknown role %q", ErrInvalid, *role)
			}
		}
	}
	roleChanged := !EqualRole(role, cur.Role)
	if name == cur.Name && !roleChanged {
		return *cur, nil
	}
	_, err = t.Execute(`UPDATE teams SET name = ?, name_norm = ?, role = ?, version = version + 1, updated_at = ? WHERE id = ?`,
		name, FoldCase(name), role, t.Now, cur.ID)
	if IsUniqueViolation(err) {
		return Team{}, fmt.Errorf("%w: a team named %q already exists", ErrConflict, name)
	} else if err != nil {
		return Team{}, fmt.Errorf("update team: %w", err)
	}
	if roleChanged {
		var ids []string
		if err := t.SelectRows(&ids, `SELECT membership_id FROM team_members WHERE team_id = ? ORDER BY membership_id`, cur.ID); err != nil {
			return Team{}, fmt.Errorf("team members: %w", err)
		}
		if err := t.recomputeTeamRoles(ws, cur.ID, ids); err != nil {
			return Team{}, err
		}
	}
	if err := t.Emit(ws.ID, "team.updated", "team", cur.ID, map[string]any{"name": name, "role": role, "previous_name": cur.Name, "previous_role": cur.Role}); err != nil {
		return Team{}, err
	}
	out, err := t.Team(ws.ID, cur.ID)
	if err != nil {
		return Team{}, err
	}
	return *out, nil
}

func EqualRole(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// DeleteTeam deletes a team without checking permissions. Members of a
// mapped team lose the role it granted.
func (t *Tx) DeleteTeam(ws *WorkspaceRow, teamID string) error {
	cur, err := t.LockTeam(ws.ID, teamID)
	if err != nil {
		return err
	}
	var ids []string
	if cur.Role != nil {
		if err := t.SelectRows(&ids, `SELECT membership_id FROM team_members WHERE team_id = ? ORDER BY membership_id`, cur.ID); err != nil {
			return fmt.Errorf("team members: %w", err)
		}
	}
	if _, err := t.Execute(`DELETE FROM team_members WHERE team_id = ?`, cur.ID); err != nil {
		return fmt.Errorf("delete team members: %w", err)
	}
	if _, err := t.Execute(`DELETE FROM teams WHERE id = ?`, cur.ID); err != nil {
		return fmt.Errorf("delete team: %w", err)
	}
	if err := t.recomputeTeamRoles(ws, cur.ID, ids); err != nil {
		return err
	}
	return t.Emit(ws.ID, "team.deleted", "team", cur.ID, map[string]any{"name": cur.Name, "role": cur.Role})
}

// LockTeam loads a team of the workspace and locks its row, so concurrent
// changes to one team's membership queue behind each other (PostgreSQL;
// SQLite serialises writers anyway).
func (t *Tx) LockTeam(workspaceID, teamID string) (*Team, error) {
	var out Team
	if err := t.GetOne(&out, `SELECT id, workspace_id, name, role, external_id, managed_by, scim_connection_id, version, created_at, updated_at FROM teams WHERE workspace_id = ? AND id = ?`+t.ForNoKeyUpdate(), workspaceID, teamID); err != nil {
		return nil, NotFound(err, "team "+teamID)
	}
	return &out, nil
}

// teamNamesJSON is what an invitation email says of its teams: the names
// of the teams among ids that still exist, in the order of ids, as the
// JSON array of strings the email templates take; "" when there are none.
func (t *Tx) teamNamesJSON(workspaceID string, ids []string) (string, error) {
	ids = UniqueIDs(ids)
	if len(ids) == 0 {
		return "", nil
	}
	names := make(map[string]string, len(ids))
	for chunk := range slices.Chunk(ids, BatchSize) {
		q, args, err := InQuery(`SELECT id, name FROM teams WHERE workspace_id = ? AND id IN (?)`, workspaceID, chunk)
		if err != nil {
			return "", err
		}
		var rows []struct {
			ID   string `db:"id"`
			Name string `db:"name"`
		}
		if err := t.SelectRows(&rows, q, args...); err != nil {
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
