package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// SCIMGroup is a SCIM Group resource: a team of the workspace.
type SCIMGroup struct {
	ID          string    `db:"id"`
	DisplayName string    `db:"name"`
	ExternalID  *string   `db:"external_id"`
	Version     int       `db:"version"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
	// Members is nil when the members were not asked for.
	Members []SCIMMemberRef `db:"-"`
}

const scimGroupColumns = `g.id, g.name, g.external_id, g.version, g.created_at, g.updated_at`

// SCIMGroupInput is a group as POSTed: its name, externalId and members
// (user ids, with the display the IdP gave them, if any).
type SCIMGroupInput struct {
	DisplayName string
	ExternalID  *string
	Members     []SCIMMemberRef
}

// SCIMGroupChange is what a PUT or a PATCH does to a group. Member
// operations apply in order and touch only the members they name, except
// "set" (a full replace, PUT or replace members), which must compare the
// whole list.
type SCIMGroupChange struct {
	DisplayName *string
	// SetExternalID replaces externalId with ExternalID (nil clears it).
	SetExternalID bool
	ExternalID    *string
	Members       []SCIMMemberOp
}

// SCIMMemberOp adds, removes or sets members; Op is "add", "remove" or
// "set" ("set" with no members removes everyone). Displays are kept for
// added members.
type SCIMMemberOp struct {
	Op      string
	Members []SCIMMemberRef
}

// SCIMGroupUpdate is a read-modify-write of a group; it sees the group
// without members.
type SCIMGroupUpdate func(cur SCIMGroup) (SCIMGroupChange, error)

// SCIMCreateGroup creates a team for a group the IdP pushed. A name
// already used by a team of the workspace is ErrConflict (Entra requires
// unique display names; it looks groups up by name first). A group name
// the connection maps to a role makes the team grant it.
func (d *Provisioner) SCIMCreateGroup(ctx context.Context, conn store.SCIMConnection, in SCIMGroupInput) (SCIMGroup, string, error) {
	if err := checkSCIMGroup(&in.DisplayName, in.ExternalID, in.Members); err != nil {
		return SCIMGroup{}, "", err
	}
	var out SCIMGroup
	var did string
	err := d.InTx(ctx, conn.Actor(), func(t *store.Tx) error {
		ws, err := scimWorkspace(t, conn)
		if err != nil {
			return err
		}
		team, err := t.CreateTeam(ws, in.DisplayName, conn.TeamRole(in.DisplayName), in.ExternalID)
		if err != nil {
			return err
		}
		did = "created group " + team.Name
		if team.Role != nil {
			did += " (grants role " + *team.Role + ")"
		}
		if len(in.Members) > 0 {
			n, ignored, err := scimAddMembers(t, ws, team.ID, in.Members)
			if err != nil {
				return err
			}
			did += fmt.Sprintf(" with %d members", n) + ignoredNote(ignored)
		}
		out, err = scimGroup(t, ws.ID, team.ID, false)
		return err
	})
	if err != nil {
		return SCIMGroup{}, "", fmt.Errorf("create group %q: %w", in.DisplayName, err)
	}
	return out, did, nil
}

func ignoredNote(ignored []string) string {
	if len(ignored) == 0 {
		return ""
	}
	if len(ignored) > 5 {
		return fmt.Sprintf("; ignored %d unknown members (%s, …)", len(ignored), strings.Join(ignored[:5], ", "))
	}
	return fmt.Sprintf("; ignored unknown members %s", strings.Join(ignored, ", "))
}

// scimAddMembers adds users to a team, ignoring ids that are not members
// of the workspace (IdPs push memberships of users whose provisioning
// failed; refusing the whole request would make them retry it forever),
// and keeps the displays the IdP gave. It returns how many were added
// and the ignored ids.
func scimAddMembers(t *store.Tx, ws *store.WorkspaceRow, teamID string, refs []SCIMMemberRef) (int, []string, error) {
	ids := store.UniqueIDs(refIDs(refs))
	err := t.AddTeamMembers(ws, teamID, ids)
	var ignored []string
	if errors.Is(err, store.ErrNotFound) {
		known, lookupErr := t.MembershipsByID(ws.ID, ids)
		if lookupErr != nil {
			return 0, nil, lookupErr
		}
		var ok []string
		for _, id := range ids {
			if _, found := known[id]; found {
				ok = append(ok, id)
			} else {
				ignored = append(ignored, id)
			}
		}
		ids = ok
		err = t.AddTeamMembers(ws, teamID, ids)
	}
	if err != nil {
		return 0, nil, err
	}
	return len(ids), ignored, scimSetDisplays(t, teamID, refs)
}

func refIDs(refs []SCIMMemberRef) []string {
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.Value
	}
	return ids
}

// scimSetDisplays stores the displays the IdP gave members, in batches
// (UPDATE … FROM VALUES works on both databases).
func scimSetDisplays(t *store.Tx, teamID string, refs []SCIMMemberRef) error {
	var with []SCIMMemberRef
	for _, r := range refs {
		if r.Display != "" {
			with = append(with, r)
		}
	}
	for chunk := range slices.Chunk(with, store.BatchSize) {
		args := make([]any, 0, 2*len(chunk)+1)
		for _, r := range chunk {
			args = append(args, r.Value, store.Truncate(r.Display, 500))
		}
		args = append(args, teamID)
		q := `UPDATE team_members SET scim_display = v.column2 FROM (VALUES ` + strings.TrimSuffix(strings.Repeat("(?, ?), ", len(chunk)), ", ") +
			`) AS v WHERE team_members.team_id = ? AND team_members.membership_id = v.column1`
		if _, err := t.Execute(q, args...); err != nil {
			return fmt.Errorf("store member displays: %w", err)
		}
	}
	return nil
}

// scimGroup loads a group, with its members when asked.
func scimGroup(t *store.Tx, workspaceID, id string, members bool) (SCIMGroup, error) {
	var g SCIMGroup
	if err := t.GetOne(&g, `SELECT `+scimGroupColumns+` FROM teams g WHERE g.workspace_id = ? AND g.id = ?`, workspaceID, id); err != nil {
		return g, store.NotFound(err, "group "+id)
	}
	if members {
		m, err := scimGroupMembers([]string{g.ID}, t.SelectRows)
		if err != nil {
			return g, err
		}
		g.Members = m[g.ID]
		if g.Members == nil {
			g.Members = []SCIMMemberRef{}
		}
	}
	return g, nil
}

// scimGroupMembers loads the members of groups, keyed by group id, in
// batches: one query per batch whatever the groups' sizes. A member's
// display is their userName, else their email, else their name.
// selectRows is a transaction's or the pool's.
func scimGroupMembers(groupIDs []string, selectRows func(dest any, query string, args ...any) error) (map[string][]SCIMMemberRef, error) {
	out := map[string][]SCIMMemberRef{}
	for chunk := range slices.Chunk(groupIDs, store.BatchSize) {
		q, args, err := store.InQuery(`SELECT x.team_id AS owner, m.id AS value, COALESCE(x.scim_display, m.scim_user_name, u.email_norm, u.name) AS display
			FROM team_members x JOIN memberships m ON m.id = x.membership_id JOIN users u ON u.id = m.user_id
			WHERE x.team_id IN (?) AND m.status <> 'removed' ORDER BY x.team_id, m.id`, chunk)
		if err != nil {
			return nil, err
		}
		var rows []struct {
			Owner string `db:"owner"`
			SCIMMemberRef
		}
		if err := selectRows(&rows, q, args...); err != nil {
			return nil, fmt.Errorf("group members: %w", err)
		}
		for _, r := range rows {
			out[r.Owner] = append(out[r.Owner], r.SCIMMemberRef)
		}
	}
	return out, nil
}

// SCIMGetGroup returns one group, with its members only when asked (so
// excludedAttributes=members never reads them).
func (d *Provisioner) SCIMGetGroup(ctx context.Context, conn store.SCIMConnection, id string, members bool) (SCIMGroup, error) {
	var g SCIMGroup
	if err := d.DbGet(ctx, &g, `SELECT `+scimGroupColumns+` FROM teams g WHERE g.workspace_id = ? AND g.id = ?`, conn.WorkspaceID, id); err != nil {
		return g, store.NotFound(err, "group "+id)
	}
	if members {
		m, err := scimGroupMembers([]string{g.ID}, d.selectFn(ctx))
		if err != nil {
			return g, err
		}
		g.Members = m[g.ID]
		if g.Members == nil {
			g.Members = []SCIMMemberRef{}
		}
	}
	return g, nil
}

// SCIMGroupPage is one page of groups and the total that matched.
type SCIMGroupPage struct {
	Total  int
	Groups []SCIMGroup
}

// SCIMListGroups pages through the workspace's groups matching q.Filter,
// with the members of the page's groups when asked (one more query).
func (d *Provisioner) SCIMListGroups(ctx context.Context, conn store.SCIMConnection, q store.SCIMQuery, members bool) (SCIMGroupPage, error) {
	page := SCIMGroupPage{Groups: []SCIMGroup{}}
	b := &sqlBuilder{flavor: d.Flavor, args: []any{conn.WorkspaceID}}
	where := `g.workspace_id = ?`
	if q.Filter != nil {
		cond, err := b.groupCond(q.Filter)
		if err != nil {
			return page, err
		}
		where += " AND (" + cond + ")"
	}
	order, err := groupOrder(q.Sort)
	if err != nil {
		return page, err
	}
	total, err := scimPageInto(ctx, d, listKey(conn, "groups", q), &page.Groups, func(g SCIMGroup) string { return g.ID },
		scimGroupColumns, "teams g", where, b.args, order, "g.id", q)
	if err != nil {
		return page, fmt.Errorf("list groups: %w", err)
	}
	page.Total = total
	if members && len(page.Groups) > 0 {
		ids := make([]string, len(page.Groups))
		for i, g := range page.Groups {
			ids[i] = g.ID
		}
		m, err := scimGroupMembers(ids, d.selectFn(ctx))
		if err != nil {
			return page, err
		}
		for i := range page.Groups {
			page.Groups[i].Members = m[page.Groups[i].ID]
			if page.Groups[i].Members == nil {
				page.Groups[i].Members = []SCIMMemberRef{}
			}
		}
	}
	return page, nil
}

// SCIMUpdateGroup applies a PUT or PATCH to a group in one transaction:
// the group row is locked, so concurrent changes to one group queue and
// none is lost, and member operations touch only the members they name.
// Renaming to a name the connection maps to a role makes the team grant
// it (and renaming away from a mapped name stops it). It returns the
// group as changed, without members (its version is the answer's ETag:
// the members are not read again, so the lock is held no longer than the
// change needs), and what it did.
func (d *Provisioner) SCIMUpdateGroup(ctx context.Context, conn store.SCIMConnection, id string, update SCIMGroupUpdate) (SCIMGroup, string, error) {
	var name string
	var did []string
	var out SCIMGroup
	err := d.InTx(ctx, conn.Actor(), func(t *store.Tx) error {
		did = did[:0]
		ws, err := scimWorkspace(t, conn)
		if err != nil {
			return err
		}
		team, err := t.LockTeam(ws.ID, id)
		if err != nil {
			return err
		}
		name = team.Name
		cur := SCIMGroup{ID: team.ID, DisplayName: team.Name, ExternalID: team.ExternalID, Version: team.Version, CreatedAt: team.CreatedAt, UpdatedAt: team.UpdatedAt}
		ch, err := update(cur)
		if err != nil {
			return err
		}
		if err := checkSCIMGroup(ch.DisplayName, ch.ExternalID, nil); err != nil {
			return err
		}
		for _, op := range ch.Members {
			if err := checkSCIMGroup(nil, nil, op.Members); err != nil {
				return err
			}
		}
		if ch.DisplayName != nil && *ch.DisplayName != team.Name {
			u := store.TeamUpdate{Name: ch.DisplayName}
			if role := conn.TeamRole(*ch.DisplayName); role != nil {
				u.Role = role
			} else if old := conn.TeamRole(team.Name); old != nil && store.EqualRole(old, team.Role) {
				u.ClearRole = true
			}
			if _, err := t.UpdateTeam(ws, team.ID, u); err != nil {
				return err
			}
			did = append(did, fmt.Sprintf("renamed %q → %q", team.Name, *ch.DisplayName))
			name = *ch.DisplayName
		}
		if ch.SetExternalID && !store.EqualRole(ch.ExternalID, team.ExternalID) {
			if _, err := t.Execute(`UPDATE teams SET external_id = ?, version = version + 1, updated_at = ? WHERE id = ?`, ch.ExternalID, t.Now, team.ID); err != nil {
				return fmt.Errorf("set group externalId: %w", err)
			}
			did = append(did, "externalId changed")
		}
		for _, op := range ch.Members {
			change, err := scimMemberOp(t, ws, team.ID, op)
			if err != nil {
				return err
			}
			did = append(did, change)
		}
		out, err = scimGroup(t, ws.ID, team.ID, false)
		return err
	})
	if err != nil {
		return SCIMGroup{}, "", fmt.Errorf("update group %s: %w", id, err)
	}
	if len(did) == 0 {
		did = append(did, "no change")
	}
	return out, "updated group " + name + ": " + strings.Join(did, "; "), nil
}

// scimMemberOp applies one member operation and says what it did.
func scimMemberOp(t *store.Tx, ws *store.WorkspaceRow, teamID string, op SCIMMemberOp) (string, error) {
	switch op.Op {
	case "add":
		n, ignored, err := scimAddMembers(t, ws, teamID, op.Members)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("added %d members", n) + ignoredNote(ignored), nil
	case "remove":
		ids := store.UniqueIDs(refIDs(op.Members))
		if err := t.RemoveTeamMembers(ws, teamID, ids); err != nil {
			return "", err
		}
		return fmt.Sprintf("removed %d members", len(ids)), nil
	case "set":
		var cur []string
		if err := t.SelectRows(&cur, `SELECT membership_id FROM team_members WHERE team_id = ?`, teamID); err != nil {
			return "", fmt.Errorf("group members: %w", err)
		}
		wantSet := make(map[string]bool, len(op.Members))
		for _, r := range op.Members {
			wantSet[r.Value] = true
		}
		var gone []string
		for _, id := range cur {
			if !wantSet[id] {
				gone = append(gone, id)
			}
		}
		if err := t.RemoveTeamMembers(ws, teamID, gone); err != nil {
			return "", err
		}
		n, ignored, err := scimAddMembers(t, ws, teamID, op.Members)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("replaced members: %d now, %d removed", n, len(gone)) + ignoredNote(ignored), nil
	}
	return "", store.Invalidf("unknown member operation %q", op.Op)
}

// SCIMDeleteGroup deletes a group's team; the members stay in the
// workspace and lose a role the team granted. check sees the group first
// (If-Match).
func (d *Provisioner) SCIMDeleteGroup(ctx context.Context, conn store.SCIMConnection, id string, check func(cur SCIMGroup) error) (string, error) {
	var name string
	err := d.InTx(ctx, conn.Actor(), func(t *store.Tx) error {
		ws, err := scimWorkspace(t, conn)
		if err != nil {
			return err
		}
		team, err := t.LockTeam(ws.ID, id)
		if err != nil {
			return err
		}
		name = team.Name
		if check != nil {
			if err := check(SCIMGroup{ID: team.ID, DisplayName: team.Name, ExternalID: team.ExternalID, Version: team.Version, CreatedAt: team.CreatedAt, UpdatedAt: team.UpdatedAt}); err != nil {
				return err
			}
		}
		return t.DeleteTeam(ws, team.ID)
	})
	if err != nil {
		return "", fmt.Errorf("delete group %s: %w", id, err)
	}
	return "deleted group " + name, nil
}
