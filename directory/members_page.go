package directory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// ConsoleAccess is what one actor may see and do in one workspace, for a
// page that shows only what the role permits. Each field is answered by
// the same check the operation itself runs, so a page never offers what
// the call would refuse.
type ConsoleAccess struct {
	WorkspaceID   string
	WorkspaceSlug string
	WorkspaceName string
	Role          store.Role
	// Administers is true for a role with any permission beyond reading
	// the member list: the console is for people who manage a workspace,
	// so members and collaborators get no admin page.
	Administers bool
	// Invite: members.invite, for a role the owners let invite.
	Invite bool
	// JoinRequests: may list and decide join requests.
	JoinRequests bool
	// Owner may grant ownership and invite a main admin.
	Owner bool
	// GrantableRoles are the roles the actor may hand out (invite with,
	// change a member to), highest first.
	GrantableRoles []store.Role
}

// Can reports whether the role holds perm.
func (a ConsoleAccess) Can(perm store.Permission) bool {
	return slices.Contains(a.Role.Permissions, perm)
}

func consoleAccess(t *store.Tx, ws *store.WorkspaceRow) (ConsoleAccess, error) {
	p, err := t.Principal(ws)
	if err != nil {
		return ConsoleAccess{}, err
	}
	a := ConsoleAccess{WorkspaceID: ws.ID, WorkspaceSlug: ws.Slug, WorkspaceName: ws.Name, Role: p.Role, Owner: p.IsOwner()}
	for _, perm := range p.Role.Permissions {
		if perm != store.PermMembersRead {
			a.Administers = true
		}
	}
	if _, _, err := t.AuthorizeInvite(ws, store.RoleCollaborator); err == nil {
		a.Invite = true
	}
	if _, err := authorizeJoinRequests(t, ws, true); err == nil {
		a.JoinRequests = true
	}
	roles := []store.Role{}
	for _, r := range store.BuiltinRoles {
		roles = append(roles, r)
	}
	var custom []string
	if err := t.SelectRows(&custom, `SELECT key FROM custom_roles WHERE workspace_id = ?`, ws.ID); err != nil {
		return a, fmt.Errorf("list roles: %w", err)
	}
	for _, key := range custom {
		r, err := t.Role(ws.ID, key)
		if err != nil {
			return a, err
		}
		roles = append(roles, r)
	}
	sort.Slice(roles, func(i, j int) bool {
		return roles[i].Rank > roles[j].Rank || roles[i].Rank == roles[j].Rank && roles[i].Key < roles[j].Key
	})
	for _, r := range roles {
		if _, err := t.RequireGrantable(ws, p, r.Key); err == nil {
			a.GrantableRoles = append(a.GrantableRoles, r)
		}
	}
	return a, nil
}

// ConsoleAccess says what actor may do in workspace; ErrForbidden when
// the actor is not an active member (or credential) of it, ErrNotFound
// when the workspace does not exist.
func (d *Directory) ConsoleAccess(ctx context.Context, actor store.Actor, workspace string) (ConsoleAccess, error) {
	var out ConsoleAccess
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		out, err = consoleAccess(t, ws)
		return err
	})
	return out, err
}

// AdministeredWorkspaces lists the workspaces where the user is an active
// member whose role administers (ConsoleAccess.Administers), by name: the
// workspace switcher of the console and the way in from "your
// workspaces".
func (d *Directory) AdministeredWorkspaces(ctx context.Context, userID string) ([]ConsoleAccess, error) {
	out := []ConsoleAccess{}
	err := d.ReadTx(ctx, store.Actor{Kind: store.ActorMember, ID: userID, Source: "console"}, func(t *store.Tx) error {
		var rows []store.WorkspaceRow
		if err := t.SelectRows(&rows, `SELECT `+prefixed("w.", store.WorkspaceColumns)+` FROM workspaces w JOIN memberships m ON m.workspace_id = w.id
			WHERE m.user_id = ? AND m.status = 'active' ORDER BY w.name, w.id`, userID); err != nil {
			return fmt.Errorf("list administered workspaces: %w", err)
		}
		for i := range rows {
			a, err := consoleAccess(t, &rows[i])
			if err != nil {
				return err
			}
			if a.Administers {
				out = append(out, a)
			}
		}
		return nil
	})
	return out, err
}

// prefixed qualifies every column of a comma-separated list.
func prefixed(prefix, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = prefix + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// MemberRow is a member as the Members page shows it: the membership with
// its role's name, its teams' names, how the person came in said for
// people, and the pending invitation of an invited member.
type MemberRow struct {
	store.Member
	RoleName string
	Teams    []string
	// Source is how the person came in, written for people: "Invited by
	// Ada Lovelace", "Added by Acme's identity provider". Never an API
	// key's name or a protocol.
	Source string
	// Invitation is the open (pending or expired) invitation of an
	// invited member, nil otherwise; InvitedTeams are the names of the
	// teams it joins on acceptance.
	Invitation   *store.Invitation
	InvitedTeams []string
}

// MemberRowsPage is one page of the Members page; NextCursor is empty on
// the last page.
type MemberRowsPage struct {
	Rows       []MemberRow
	NextCursor string
}

// MembersPage is ListMembers (the same filters, keyset paging on the
// membership id, never a count over the workspace) with what the Members
// page shows of each row, loaded for that page's rows only.
func (d *Directory) MembersPage(ctx context.Context, actor store.Actor, workspace string, f MemberFilter) (MemberRowsPage, error) {
	page, err := d.ListMembers(ctx, actor, workspace, f)
	if err != nil {
		return MemberRowsPage{}, err
	}
	rows, err := d.memberRows(ctx, actor, workspace, page.Members)
	return MemberRowsPage{Rows: rows, NextCursor: page.NextCursor}, err
}

// MemberDetail is one member as the member's page shows it.
func (d *Directory) MemberDetail(ctx context.Context, actor store.Actor, workspace, membershipID string) (MemberRow, error) {
	m, err := d.GetMember(ctx, actor, workspace, membershipID)
	if err != nil {
		return MemberRow{}, err
	}
	rows, err := d.memberRows(ctx, actor, workspace, []store.Member{m})
	if err != nil {
		return MemberRow{}, err
	}
	return rows[0], nil
}

// memberRows adds to members what the console shows of them: role
// names, teams, invitations and sources, in one read for all of them.
func (d *Directory) memberRows(ctx context.Context, actor store.Actor, workspace string, members []store.Member) ([]MemberRow, error) {
	rows := make([]MemberRow, len(members))
	if len(members) == 0 {
		return rows, nil
	}
	ids := make([]string, len(members))
	for i, m := range members {
		ids[i] = m.ID
		rows[i].Member = m
	}
	out := struct{ Rows []MemberRow }{rows}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		var teams []struct {
			MembershipID string `db:"membership_id"`
			Name         string `db:"name"`
		}
		q, args, err := store.InQuery(`SELECT tm.membership_id, t.name FROM team_members tm JOIN teams t ON t.id = tm.team_id
			WHERE t.workspace_id = ? AND tm.membership_id IN (?) ORDER BY t.name_norm, t.id`, ws.ID, ids)
		if err != nil {
			return err
		}
		if err := t.SelectRows(&teams, q, args...); err != nil {
			return fmt.Errorf("teams of members: %w", err)
		}
		// The invitations of each membership, oldest first so the latest
		// wins. They are found by membership (index
		// invitations_membership) and not by workspace, which would read
		// every invitation of a large workspace; the ids come from this
		// workspace's own listing, and the loop below checks the
		// workspace again.
		var invs []store.InvitationRow
		q, args, err = store.InQuery(`SELECT `+store.InvitationColumns+` FROM invitations WHERE membership_id IN (?) ORDER BY created_at, id`, ids)
		if err != nil {
			return err
		}
		if err := t.SelectRows(&invs, q, args...); err != nil {
			return fmt.Errorf("invitations of members: %w", err)
		}
		// The inviters' current names, by id: a join would let the
		// planner hash the whole users table.
		inviterName := map[string]string{}
		var inviterIDs []string
		for _, inv := range invs {
			if store.ActorKind(inv.InviterKind) == store.ActorMember && inv.InviterID != "" && !slices.Contains(inviterIDs, inv.InviterID) {
				inviterIDs = append(inviterIDs, inv.InviterID)
			}
		}
		if len(inviterIDs) > 0 {
			var people []struct {
				ID   string `db:"id"`
				Name string `db:"name"`
			}
			q, args, err = store.InQuery(`SELECT id, name FROM users WHERE id IN (?)`, inviterIDs)
			if err != nil {
				return err
			}
			if err := t.SelectRows(&people, q, args...); err != nil {
				return fmt.Errorf("inviters of members: %w", err)
			}
			for _, p := range people {
				inviterName[p.ID] = p.Name
			}
		}
		var links []struct {
			ID          string `db:"id"`
			Description string `db:"description"`
		}
		if err := t.SelectRows(&links, `SELECT id, description FROM join_links WHERE workspace_id = ?`, ws.ID); err != nil {
			return fmt.Errorf("join links of members: %w", err)
		}
		var names []struct {
			ID   string `db:"id"`
			Name string `db:"name"`
		}
		if err := t.SelectRows(&names, `SELECT id, name FROM teams WHERE workspace_id = ?`, ws.ID); err != nil {
			return fmt.Errorf("team names: %w", err)
		}
		teamName := map[string]string{}
		for _, n := range names {
			teamName[n.ID] = n.Name
		}
		roleNames := map[string]string{}
		byID := map[string]*MemberRow{}
		for i := range out.Rows {
			byID[out.Rows[i].ID] = &out.Rows[i]
		}
		for _, tm := range teams {
			if r := byID[tm.MembershipID]; r != nil {
				r.Teams = append(r.Teams, tm.Name)
			}
		}
		inviters := map[string]string{}
		for i := range invs {
			inv := &invs[i]
			r := byID[inv.MembershipID]
			if r == nil || inv.WorkspaceID != ws.ID {
				continue
			}
			inviters[r.ID] = inviterForPeople(inv.InviterKind, inv.InviterName, inviterName[inv.InviterID], ws.Name)
			if pub := inv.Public(t.Now); r.Status == store.StatusInvited && (pub.Status == store.InvitationPending || pub.Status == store.InvitationExpired) {
				r.Invitation = &pub
				r.InvitedTeams = nil
				for _, id := range pub.Teams {
					if n, ok := teamName[id]; ok {
						r.InvitedTeams = append(r.InvitedTeams, n)
					}
				}
			}
		}
		for i := range out.Rows {
			r := &out.Rows[i]
			name, ok := roleNames[r.EffectiveRole]
			if !ok {
				role, err := t.Role(ws.ID, r.EffectiveRole)
				name = r.EffectiveRole
				if err == nil {
					name = role.Name
				}
				roleNames[r.EffectiveRole] = name
			}
			r.RoleName = name
			r.Source = sourceForPeople(r.Member, inviters[r.ID], ws.Name, links)
		}
		return nil
	})
	return out.Rows, err
}

// inviterForPeople names who sent an invitation: a member by their
// current name, anything else by what it is, never by a credential's name.
func inviterForPeople(kind, storedName, currentName, workspaceName string) string {
	switch store.ActorKind(kind) {
	case store.ActorMember:
		if currentName != "" {
			return "Invited by " + currentName
		}
		if storedName != "" {
			return "Invited by " + storedName
		}
		return "Invited by an administrator"
	case store.ActorSCIM:
		return "Added by " + workspaceName + "'s identity provider"
	case store.ActorAPIKey:
		return "Invited by " + workspaceName + "'s application"
	case store.ActorOperator:
		return "Invited by the server operator"
	}
	return "Invited"
}

// sourceForPeople says how a member came in.
func sourceForPeople(m store.Member, inviter, workspaceName string, links []struct {
	ID          string `db:"id"`
	Description string `db:"description"`
}) string {
	switch m.Source {
	case store.SourceSCIM:
		return "Added by " + workspaceName + "'s identity provider"
	case store.SourceDomain:
		return "Joined with an approved domain (" + store.EmailDomain(m.Email) + ")"
	case store.SourceOwner:
		return "Created the workspace"
	case store.SourceJoinLink, store.SourceJoinRequest:
		what := "Joined through a join link"
		if m.Source == store.SourceJoinRequest {
			what = "Asked to join; request accepted"
		}
		if m.JoinLinkID != nil {
			for _, l := range links {
				if l.ID == *m.JoinLinkID {
					return what + " (“" + l.Description + "”)"
				}
			}
		}
		return what
	case store.SourceInvitation:
		if inviter != "" {
			return inviter
		}
		return "Invited"
	}
	return "Added"
}
