package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// JoinLinkRequest makes a join link. Description is required; Role
// defaults to member, Mode to approval, Notify to all_managers, Active to
// true.
type JoinLinkRequest struct {
	Description  string
	Role         string
	Teams        []string
	Mode         string
	Notify       string
	NotifyPeople []string
	Active       *bool
}

// JoinLinkUpdate edits a join link; nil fields (and nil slices) are left
// alone, an empty non-nil slice clears.
type JoinLinkUpdate struct {
	Description  *string
	Role         *string
	Teams        []string
	Mode         *string
	Notify       *string
	NotifyPeople []string
	Active       *bool
}

// JoinURL is the URL a person follows to use a join link.
func (d *Directory) JoinURL(token string) string { return d.PublicURL + "/join/" + token }

func joinLink(t *store.Tx, workspaceID, linkID string, lock bool) (*store.JoinLinkRow, error) {
	q := `SELECT ` + store.JoinLinkColumns + ` FROM join_links WHERE workspace_id = ? AND id = ?`
	if lock {
		q += t.ForUpdate()
	}
	var r store.JoinLinkRow
	if err := t.GetOne(&r, q, workspaceID, linkID); err != nil {
		return nil, store.NotFound(err, "join link "+linkID)
	}
	return &r, nil
}

// checkJoinLink validates and normalises a link's settings for actor p:
// the role (never owner) and the roles of its mapped teams must be ones p
// can grant, the teams and the people to notify must belong to ws (the
// people must be active members when checkPeople is set: when the list is
// new, not when an edit leaves it alone after someone left).
func checkJoinLink(t *store.Tx, ws *store.WorkspaceRow, p store.Principal, r *store.JoinLinkRow, teams, people []string, checkPeople bool) error {
	r.Description = strings.TrimSpace(r.Description)
	if r.Description == "" {
		return store.Invalidf("a join link needs a description (where it is shared, and why)")
	}
	if len([]rune(r.Description)) > 500 {
		return store.Invalidf("a join link description has at most 500 characters")
	}
	if _, err := requireJoinRole(t, ws, p, r.Role); err != nil {
		return err
	}
	switch r.Mode {
	case store.JoinModeApproval, store.JoinModeDirect:
	default:
		return store.Invalidf("unknown join link mode %q (approval or direct)", r.Mode)
	}
	ids, err := t.ResolveTeams(ws.ID, teams)
	if err != nil {
		return err
	}
	for _, id := range ids {
		team, err := t.Team(ws.ID, id)
		if err != nil {
			return err
		}
		if err := requireTeamRoleGrantable(t, ws, p, team.Role); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(ids)
	r.Teams = string(b)
	switch r.Notify {
	case store.JoinNotifyAllManagers, store.JoinNotifyNobody:
		people = []string{}
	case store.JoinNotifyPeople:
		people = store.UniqueIDs(people)
		if len(people) == 0 {
			return store.Invalidf("name at least one member to notify, or notify all_managers or nobody")
		}
		if !checkPeople {
			break
		}
		found, err := t.MembershipsByID(ws.ID, people)
		if err != nil {
			return err
		}
		for _, id := range people {
			if m, ok := found[id]; !ok || m.Status != store.StatusActive {
				return store.Invalidf("%s is not an active member of this workspace", id)
			}
		}
	default:
		return store.Invalidf("unknown notify setting %q (all_managers, people or nobody)", r.Notify)
	}
	b, _ = json.Marshal(people)
	r.NotifyPeople = string(b)
	return nil
}

// CreateJoinLink makes a join link. The token and the link built from it
// are returned once and never stored (only the token's hash is). It needs
// joinlinks.manage, and the link's role must be one the actor can grant
// (never owner).
func (d *Directory) CreateJoinLink(ctx context.Context, actor store.Actor, workspace string, req JoinLinkRequest) (store.JoinLink, string, string, error) {
	var out store.JoinLink
	token, hash := store.NewToken()
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermJoinLinksManage)
		if err != nil {
			return err
		}
		r := store.JoinLinkRow{ID: store.NewID(), WorkspaceID: ws.ID, Description: req.Description, Role: req.Role, Mode: req.Mode, Notify: req.Notify,
			Active: req.Active == nil || *req.Active, CreatedBy: actorRef(p.Actor), CreatedAt: t.Now, UpdatedAt: t.Now}
		if r.Role == "" {
			r.Role = store.RoleMember
		}
		if r.Mode == "" {
			r.Mode = store.JoinModeApproval
		}
		if r.Notify == "" {
			r.Notify = store.JoinNotifyAllManagers
		}
		if err := checkJoinLink(t, ws, p, &r, req.Teams, req.NotifyPeople, true); err != nil {
			return err
		}
		if _, err := t.Execute(`INSERT INTO join_links (id, workspace_id, description, role, teams, mode, notify, notify_people, active, token_hash, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.WorkspaceID, r.Description, r.Role, r.Teams, r.Mode, r.Notify, r.NotifyPeople, r.Active, hash, r.CreatedBy, r.CreatedAt, r.UpdatedAt); err != nil {
			return fmt.Errorf("create join link: %w", err)
		}
		out = r.Public()
		return t.Emit(ws.ID, "join_link.created", "join_link", r.ID, joinLinkPayload(out))
	})
	if err != nil {
		return store.JoinLink{}, "", "", err
	}
	return out, token, d.JoinURL(token), nil
}

// actorRef names an actor in a record: its id, or its kind when it has none.
func actorRef(a store.Actor) string {
	if a.ID != "" {
		return a.ID
	}
	return string(a.Kind)
}

// UpdateJoinLink edits a join link: description, role, teams, mode, who
// is notified, and the active switch. A revoked link cannot be edited
// (ErrRevoked). The actor must be able to grant the link's role, before
// and after the change.
func (d *Directory) UpdateJoinLink(ctx context.Context, actor store.Actor, workspace, linkID string, u JoinLinkUpdate) (store.JoinLink, error) {
	var out store.JoinLink
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermJoinLinksManage)
		if err != nil {
			return err
		}
		r, err := joinLink(t, ws.ID, linkID, true)
		if err != nil {
			return err
		}
		if r.RevokedAt != nil {
			return fmt.Errorf("join link %s: %w", linkID, store.ErrRevoked)
		}
		if _, err := t.RequireGrantable(ws, p, r.Role); err != nil {
			return err
		}
		teams, people := store.DecodeStrings(r.Teams), store.DecodeStrings(r.NotifyPeople)
		if u.Description != nil {
			r.Description = *u.Description
		}
		if u.Role != nil {
			r.Role = strings.TrimSpace(*u.Role)
		}
		if u.Teams != nil {
			teams = u.Teams
		} else if teams, err = existingTeams(t, ws.ID, teams); err != nil {
			return err
		}
		if u.Mode != nil {
			r.Mode = *u.Mode
		}
		if u.Notify != nil {
			r.Notify = *u.Notify
		}
		if u.NotifyPeople != nil {
			people = u.NotifyPeople
		}
		if u.Active != nil {
			r.Active = *u.Active
		}
		if err := checkJoinLink(t, ws, p, r, teams, people, u.NotifyPeople != nil || u.Notify != nil); err != nil {
			return err
		}
		r.UpdatedAt = t.Now
		if _, err := t.Execute(`UPDATE join_links SET description = ?, role = ?, teams = ?, mode = ?, notify = ?, notify_people = ?, active = ?, updated_at = ? WHERE id = ?`,
			r.Description, r.Role, r.Teams, r.Mode, r.Notify, r.NotifyPeople, r.Active, r.UpdatedAt, r.ID); err != nil {
			return fmt.Errorf("update join link: %w", err)
		}
		out = r.Public()
		return t.Emit(ws.ID, "join_link.updated", "join_link", r.ID, joinLinkPayload(out))
	})
	return out, err
}

// RevokeJoinLink revokes a join link for good: its token stops working.
// Anyone with joinlinks.manage may revoke any link (stopping a leak should
// never wait for whoever made it). Requests already filed through it stay.
func (d *Directory) RevokeJoinLink(ctx context.Context, actor store.Actor, workspace, linkID string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermJoinLinksManage)
		if err != nil {
			return err
		}
		r, err := joinLink(t, ws.ID, linkID, true)
		if err != nil {
			return err
		}
		if r.RevokedAt != nil {
			return nil
		}
		if _, err := t.Execute(`UPDATE join_links SET active = FALSE, revoked_at = ?, updated_at = ? WHERE id = ?`, t.Now, t.Now, r.ID); err != nil {
			return fmt.Errorf("revoke join link: %w", err)
		}
		return t.Emit(ws.ID, "join_link.revoked", "join_link", r.ID, map[string]string{"description": r.Description})
	})
}

// GetJoinLink returns one join link; it needs joinlinks.manage.
func (d *Directory) GetJoinLink(ctx context.Context, actor store.Actor, workspace, linkID string) (store.JoinLink, error) {
	var out store.JoinLink
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermJoinLinksManage)
		if err != nil {
			return err
		}
		r, err := joinLink(t, ws.ID, linkID, false)
		if err != nil {
			return err
		}
		out = r.Public()
		return nil
	})
	return out, err
}

// ListJoinLinks lists a workspace's join links, newest first, revoked ones
// included; it needs joinlinks.manage.
func (d *Directory) ListJoinLinks(ctx context.Context, actor store.Actor, workspace string) ([]store.JoinLink, error) {
	out := []store.JoinLink{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermJoinLinksManage)
		if err != nil {
			return err
		}
		var rows []store.JoinLinkRow
		if err := t.SelectRows(&rows, `SELECT `+store.JoinLinkColumns+` FROM join_links WHERE workspace_id = ? ORDER BY created_at DESC, id DESC`, ws.ID); err != nil {
			return fmt.Errorf("list join links: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].Public())
		}
		return nil
	})
	return out, err
}

// MembersJoinedVia lists the current members who came in through a join
// link, directly or by an accepted request (to review after a link
// leaked), oldest first. It needs joinlinks.manage.
func (d *Directory) MembersJoinedVia(ctx context.Context, actor store.Actor, workspace, linkID string) ([]store.Member, error) {
	out := []store.Member{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermJoinLinksManage)
		if err != nil {
			return err
		}
		if _, err := joinLink(t, ws.ID, linkID, false); err != nil {
			return err
		}
		if err := t.SelectRows(&out, store.MemberSelect+` WHERE m.workspace_id = ? AND m.join_link_id = ? AND m.status <> 'removed' ORDER BY m.id`, ws.ID, linkID); err != nil {
			return fmt.Errorf("members joined via link: %w", err)
		}
		return nil
	})
	return out, err
}

// JoinLinkView is what the join page shows to whoever holds a link: where
// it leads, with which role, whether it still works, and who will review a
// request. It names no member of the workspace.
type JoinLinkView struct {
	LinkID        string
	WorkspaceID   string
	WorkspaceName string
	WorkspaceSlug string
	Description   string
	Role          string
	RoleName      string
	Mode          string
	Active        bool
	// Reviewers says who decides a request, in words for the page; empty
	// for direct links.
	Reviewers string
}

// JoinLinkByToken looks a join link up by its token, which is the
// capability, so no actor is needed. An unknown token is ErrNotFound; an
// inactive or revoked link is returned with Active false.
func (d *Directory) JoinLinkByToken(ctx context.Context, token string) (JoinLinkView, error) {
	var v JoinLinkView
	err := d.ReadTx(ctx, store.System(), func(t *store.Tx) error {
		var r store.JoinLinkRow
		if err := t.ByToken(&r, "join_links", store.JoinLinkColumns, "join link", token, false); err != nil {
			return err
		}
		ws, role, err := linkTarget(t, r.WorkspaceID, r.Role)
		if err != nil {
			return err
		}
		v = JoinLinkView{LinkID: r.ID, WorkspaceID: ws.ID, WorkspaceName: ws.Name, WorkspaceSlug: ws.Slug, Description: r.Description,
			Role: r.Role, RoleName: role.Name, Mode: r.Mode, Active: r.Usable()}
		if r.Mode == store.JoinModeApproval {
			switch r.Notify {
			case store.JoinNotifyAllManagers:
				v.Reviewers = "the workspace's owners, admins and managers"
			case store.JoinNotifyPeople:
				v.Reviewers = "the people the workspace chose to review requests"
			default:
				v.Reviewers = "the workspace's administrators"
			}
		}
		return nil
	})
	return v, err
}

// UseJoinLink joins a workspace through a join link on behalf of a
// verified identity. Direct links make the person an active member with
// the link's role and teams (seat limit permitting); approval links file a
// join request and notify per the link. An inactive or revoked link is
// ErrRevoked, a suspended member ErrSuspended, a person whose request was
// rejected ErrRejected. Using a link again is safe: already_member or
// pending.
func (d *Directory) UseJoinLink(ctx context.Context, token string, id store.VerifiedIdentity) (store.JoinResult, error) {
	id = id.Storable()
	var out store.JoinResult
	email, err := store.NormalizeEmail(id.Email)
	if err != nil {
		return out, err
	}
	actor := store.Actor{Kind: store.ActorUser, Name: id.Name, Source: "oidc"}
	var seatErr *store.SeatLimitError
	var wsID string
	err = d.InTx(ctx, actor, func(t *store.Tx) error {
		var err error
		out, wsID, err = t.UseJoinLink(token, email, id)
		return err
	})
	if store.AsSeatLimit(err, &seatErr) {
		d.NotifySeatLimit(ctx, actor, wsID, seatErr, email, "join link")
	}
	return out, err
}

// existingTeams keeps the ids among ids that are still teams of the
// workspace, so editing a link whose team was deleted does not fail on it.
func existingTeams(t *store.Tx, workspaceID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return ids, nil
	}
	q, args, err := store.InQuery(`SELECT id FROM teams WHERE workspace_id = ? AND id IN (?)`, workspaceID, ids)
	if err != nil {
		return nil, err
	}
	var found []string
	if err := t.SelectRows(&found, q, args...); err != nil {
		return nil, fmt.Errorf("find teams: %w", err)
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !slices.Contains(found, id) }), nil
}
