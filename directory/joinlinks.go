package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Join link modes.
const (
	// JoinModeApproval files a join request that an admin decides.
	JoinModeApproval = "approval"
	// JoinModeDirect makes the person an active member at once, like an
	// invite link shared inside a company.
	JoinModeDirect = "direct"
)

// Who is told when someone uses a join link.
const (
	// JoinNotifyAllManagers emails the workspace's owners, admins and
	// managers.
	JoinNotifyAllManagers = "all_managers"
	// JoinNotifyPeople emails the members listed in NotifyPeople.
	JoinNotifyPeople = "people"
	// JoinNotifyNobody emails nobody; requests wait in the list.
	JoinNotifyNobody = "nobody"
)

// JoinLink is a link anyone who can sign in may use to join a workspace
// (or ask to). Its token is shown once, when the link is made.
type JoinLink struct {
	ID          string
	WorkspaceID string
	Description string
	Role        string
	Teams       []string
	Mode        string
	Notify      string
	// NotifyPeople are membership ids, used when Notify is "people".
	NotifyPeople []string
	// Active is the on/off switch; a revoked link is never active again.
	Active    bool
	RevokedAt *time.Time
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

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

type joinLinkRow struct {
	ID           string     `db:"id"`
	WorkspaceID  string     `db:"workspace_id"`
	Description  string     `db:"description"`
	Role         string     `db:"role"`
	Teams        string     `db:"teams"`
	Mode         string     `db:"mode"`
	Notify       string     `db:"notify"`
	NotifyPeople string     `db:"notify_people"`
	Active       bool       `db:"active"`
	CreatedBy    string     `db:"created_by"`
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
	RevokedAt    *time.Time `db:"revoked_at"`
}

const joinLinkColumns = `id, workspace_id, description, role, teams, mode, notify, notify_people, active, created_by, created_at, updated_at, revoked_at`

func (r *joinLinkRow) public() JoinLink {
	teams, people := decodeStrings(r.Teams), decodeStrings(r.NotifyPeople)
	if teams == nil {
		teams = []string{}
	}
	if people == nil {
		people = []string{}
	}
	return JoinLink{ID: r.ID, WorkspaceID: r.WorkspaceID, Description: r.Description, Role: r.Role, Teams: teams,
		Mode: r.Mode, Notify: r.Notify, NotifyPeople: people, Active: r.Active && r.RevokedAt == nil, RevokedAt: r.RevokedAt,
		CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// usable reports whether people may use the link now.
func (r *joinLinkRow) usable() bool { return r.Active && r.RevokedAt == nil }

// JoinURL is the URL a person follows to use a join link.
func (d *Directory) JoinURL(token string) string { return d.baseURL + "/join/" + token }

func (t *tx) joinLink(workspaceID, linkID string, lock bool) (*joinLinkRow, error) {
	q := `SELECT ` + joinLinkColumns + ` FROM join_links WHERE workspace_id = ? AND id = ?`
	if lock {
		q += t.forUpdate()
	}
	var r joinLinkRow
	if err := t.get(&r, q, workspaceID, linkID); err != nil {
		return nil, notFound(err, "join link "+linkID)
	}
	return &r, nil
}

// checkJoinLink validates and normalises a link's settings for actor p:
// the role (never owner) and the roles of its mapped teams must be ones p
// can grant, the teams and the people to notify must belong to ws (the
// people must be active members when checkPeople is set: when the list is
// new, not when an edit leaves it alone after someone left).
func (t *tx) checkJoinLink(ws *workspaceRow, p principal, r *joinLinkRow, teams, people []string, checkPeople bool) error {
	r.Description = strings.TrimSpace(r.Description)
	if r.Description == "" {
		return invalidf("a join link needs a description (where it is shared, and why)")
	}
	if len([]rune(r.Description)) > 500 {
		return invalidf("a join link description has at most 500 characters")
	}
	if _, err := t.requireJoinRole(ws, p, r.Role); err != nil {
		return err
	}
	switch r.Mode {
	case JoinModeApproval, JoinModeDirect:
	default:
		return invalidf("unknown join link mode %q (approval or direct)", r.Mode)
	}
	ids, err := t.resolveTeams(ws.ID, teams)
	if err != nil {
		return err
	}
	for _, id := range ids {
		team, err := t.team(ws.ID, id)
		if err != nil {
			return err
		}
		if err := t.requireTeamRoleGrantable(ws, p, team.Role); err != nil {
			return err
		}
	}
	b, _ := json.Marshal(ids)
	r.Teams = string(b)
	switch r.Notify {
	case JoinNotifyAllManagers, JoinNotifyNobody:
		people = []string{}
	case JoinNotifyPeople:
		people = uniqueIDs(people)
		if len(people) == 0 {
			return invalidf("name at least one member to notify, or notify all_managers or nobody")
		}
		if !checkPeople {
			break
		}
		found, err := t.membershipsByID(ws.ID, people)
		if err != nil {
			return err
		}
		for _, id := range people {
			if m, ok := found[id]; !ok || m.Status != StatusActive {
				return invalidf("%s is not an active member of this workspace", id)
			}
		}
	default:
		return invalidf("unknown notify setting %q (all_managers, people or nobody)", r.Notify)
	}
	b, _ = json.Marshal(people)
	r.NotifyPeople = string(b)
	return nil
}

// CreateJoinLink makes a join link. The token and the link built from it
// are returned once and never stored (only the token's hash is). It needs
// joinlinks.manage, and the link's role must be one the actor can grant
// (never owner).
func (d *Directory) CreateJoinLink(ctx context.Context, actor Actor, workspace string, req JoinLinkRequest) (JoinLink, string, string, error) {
	var out JoinLink
	token, hash := NewToken()
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, p, err := t.authorized(workspace, PermJoinLinksManage)
		if err != nil {
			return err
		}
		r := joinLinkRow{ID: newID(), WorkspaceID: ws.ID, Description: req.Description, Role: req.Role, Mode: req.Mode, Notify: req.Notify,
			Active: req.Active == nil || *req.Active, CreatedBy: actorRef(p.actor), CreatedAt: t.now, UpdatedAt: t.now}
		if r.Role == "" {
			r.Role = RoleMember
		}
		if r.Mode == "" {
			r.Mode = JoinModeApproval
		}
		if r.Notify == "" {
			r.Notify = JoinNotifyAllManagers
		}
		if err := t.checkJoinLink(ws, p, &r, req.Teams, req.NotifyPeople, true); err != nil {
			return err
		}
		if _, err := t.exec(`INSERT INTO join_links (id, workspace_id, description, role, teams, mode, notify, notify_people, active, token_hash, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.WorkspaceID, r.Description, r.Role, r.Teams, r.Mode, r.Notify, r.NotifyPeople, r.Active, hash, r.CreatedBy, r.CreatedAt, r.UpdatedAt); err != nil {
			return fmt.Errorf("create join link: %w", err)
		}
		out = r.public()
		return t.emit(ws.ID, "join_link.created", "join_link", r.ID, joinLinkPayload(out))
	})
	if err != nil {
		return JoinLink{}, "", "", err
	}
	return out, token, d.JoinURL(token), nil
}

// actorRef names an actor in a record: its id, or its kind when it has none.
func actorRef(a Actor) string {
	if a.ID != "" {
		return a.ID
	}
	return string(a.Kind)
}

// UpdateJoinLink edits a join link: description, role, teams, mode, who
// is notified, and the active switch. A revoked link cannot be edited
// (ErrRevoked). The actor must be able to grant the link's role, before
// and after the change.
func (d *Directory) UpdateJoinLink(ctx context.Context, actor Actor, workspace, linkID string, u JoinLinkUpdate) (JoinLink, error) {
	var out JoinLink
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, p, err := t.authorized(workspace, PermJoinLinksManage)
		if err != nil {
			return err
		}
		r, err := t.joinLink(ws.ID, linkID, true)
		if err != nil {
			return err
		}
		if r.RevokedAt != nil {
			return fmt.Errorf("join link %s: %w", linkID, ErrRevoked)
		}
		if _, err := t.requireGrantable(ws, p, r.Role); err != nil {
			return err
		}
		teams, people := decodeStrings(r.Teams), decodeStrings(r.NotifyPeople)
		if u.Description != nil {
			r.Description = *u.Description
		}
		if u.Role != nil {
			r.Role = strings.TrimSpace(*u.Role)
		}
		if u.Teams != nil {
			teams = u.Teams
		} else if teams, err = t.existingTeams(ws.ID, teams); err != nil {
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
		if err := t.checkJoinLink(ws, p, r, teams, people, u.NotifyPeople != nil || u.Notify != nil); err != nil {
			return err
		}
		r.UpdatedAt = t.now
		if _, err := t.exec(`UPDATE join_links SET description = ?, role = ?, teams = ?, mode = ?, notify = ?, notify_people = ?, active = ?, updated_at = ? WHERE id = ?`,
			r.Description, r.Role, r.Teams, r.Mode, r.Notify, r.NotifyPeople, r.Active, r.UpdatedAt, r.ID); err != nil {
			return fmt.Errorf("update join link: %w", err)
		}
		out = r.public()
		return t.emit(ws.ID, "join_link.updated", "join_link", r.ID, joinLinkPayload(out))
	})
	return out, err
}

// RevokeJoinLink revokes a join link for good: its token stops working.
// Anyone with joinlinks.manage may revoke any link (stopping a leak should
// never wait for whoever made it). Requests already filed through it stay.
func (d *Directory) RevokeJoinLink(ctx context.Context, actor Actor, workspace, linkID string) error {
	return d.inTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermJoinLinksManage)
		if err != nil {
			return err
		}
		r, err := t.joinLink(ws.ID, linkID, true)
		if err != nil {
			return err
		}
		if r.RevokedAt != nil {
			return nil
		}
		if _, err := t.exec(`UPDATE join_links SET active = FALSE, revoked_at = ?, updated_at = ? WHERE id = ?`, t.now, t.now, r.ID); err != nil {
			return fmt.Errorf("revoke join link: %w", err)
		}
		return t.emit(ws.ID, "join_link.revoked", "join_link", r.ID, map[string]string{"description": r.Description})
	})
}

// GetJoinLink returns one join link; it needs joinlinks.manage.
func (d *Directory) GetJoinLink(ctx context.Context, actor Actor, workspace, linkID string) (JoinLink, error) {
	var out JoinLink
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermJoinLinksManage)
		if err != nil {
			return err
		}
		r, err := t.joinLink(ws.ID, linkID, false)
		if err != nil {
			return err
		}
		out = r.public()
		return nil
	})
	return out, err
}

// ListJoinLinks lists a workspace's join links, newest first, revoked ones
// included; it needs joinlinks.manage.
func (d *Directory) ListJoinLinks(ctx context.Context, actor Actor, workspace string) ([]JoinLink, error) {
	out := []JoinLink{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermJoinLinksManage)
		if err != nil {
			return err
		}
		var rows []joinLinkRow
		if err := t.selectRows(&rows, `SELECT `+joinLinkColumns+` FROM join_links WHERE workspace_id = ? ORDER BY created_at DESC, id DESC`, ws.ID); err != nil {
			return fmt.Errorf("list join links: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].public())
		}
		return nil
	})
	return out, err
}

// MembersJoinedVia lists the current members who came in through a join
// link, directly or by an accepted request (to review after a link
// leaked), oldest first. It needs joinlinks.manage.
func (d *Directory) MembersJoinedVia(ctx context.Context, actor Actor, workspace, linkID string) ([]Member, error) {
	out := []Member{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermJoinLinksManage)
		if err != nil {
			return err
		}
		if _, err := t.joinLink(ws.ID, linkID, false); err != nil {
			return err
		}
		if err := t.selectRows(&out, memberSelect+` WHERE m.workspace_id = ? AND m.join_link_id = ? AND m.status <> 'removed' ORDER BY m.id`, ws.ID, linkID); err != nil {
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
	err := d.readTx(ctx, System(), func(t *tx) error {
		var r joinLinkRow
		if err := t.byToken(&r, "join_links", joinLinkColumns, "join link", token, false); err != nil {
			return err
		}
		ws, role, err := t.linkTarget(r.WorkspaceID, r.Role)
		if err != nil {
			return err
		}
		v = JoinLinkView{LinkID: r.ID, WorkspaceID: ws.ID, WorkspaceName: ws.Name, WorkspaceSlug: ws.Slug, Description: r.Description,
			Role: r.Role, RoleName: role.Name, Mode: r.Mode, Active: r.usable()}
		if r.Mode == JoinModeApproval {
			switch r.Notify {
			case JoinNotifyAllManagers:
				v.Reviewers = "the workspace's owners, admins and managers"
			case JoinNotifyPeople:
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
func (d *Directory) UseJoinLink(ctx context.Context, token string, id VerifiedIdentity) (JoinResult, error) {
	id = id.storable()
	var out JoinResult
	email, err := NormalizeEmail(id.Email)
	if err != nil {
		return out, err
	}
	actor := Actor{Kind: ActorUser, Name: id.Name, Source: "oidc"}
	var seatErr *SeatLimitError
	var wsID string
	err = d.inTx(ctx, actor, func(t *tx) error {
		var err error
		out, wsID, err = t.useJoinLink(token, email, id)
		return err
	})
	if asSeatLimit(err, &seatErr) {
		d.notifySeatLimit(ctx, actor, wsID, seatErr, email, "join link")
	}
	return out, err
}

// useJoinLink is UseJoinLink in the caller's transaction, for a
// normalised email. It also returns the link's workspace id ("" for an
// unknown token), for a seat-limit notice.
func (t *tx) useJoinLink(token, email string, id VerifiedIdentity) (JoinResult, string, error) {
	var r joinLinkRow
	if err := t.byToken(&r, "join_links", joinLinkColumns, "join link", token, false); err != nil {
		return JoinResult{}, "", err
	}
	if !r.usable() {
		return JoinResult{}, r.WorkspaceID, fmt.Errorf("join link: %w", ErrRevoked)
	}
	ws, err := t.workspace(r.WorkspaceID)
	if err != nil {
		return JoinResult{}, r.WorkspaceID, err
	}
	linkID := r.ID
	out, err := t.joinWorkspace(ws, email, id, joinPath{
		direct: r.Mode == JoinModeDirect, role: r.Role, teams: decodeStrings(r.Teams),
		source: SourceJoinLink, joinLinkID: &linkID, via: fmt.Sprintf("join link %q", r.Description),
		notify: r.Notify, notifyPeople: decodeStrings(r.NotifyPeople),
	})
	return out, r.WorkspaceID, err
}

// notifyJoin emails the people a join link or domain names about a
// request (join_request_filed) or a direct join (member_joined). The
// person who joined is never told about themselves (a link's team may just
// have made them a manager).
func (t *tx) notifyJoin(ws *workspaceRow, notify string, people []string, joiner, template string, data map[string]string) error {
	var to []string
	var err error
	switch notify {
	case JoinNotifyAllManagers:
		to, err = t.emailsOfRoles(ws.ID, RoleOwner, RoleAdmin, RoleManager)
	case JoinNotifyPeople:
		to, err = t.emailsOfMembers(ws.ID, people)
	}
	if err != nil {
		return err
	}
	to = slices.DeleteFunc(to, func(addr string) bool { return addr == joiner })
	return t.enqueueEmail(ws.ID, EmailRequest{Template: template, To: to, Data: data})
}

// emailsOfMembers returns the addresses of the active members among ids.
func (t *tx) emailsOfMembers(workspaceID string, ids []string) ([]string, error) {
	var out []string
	for chunk := range slices.Chunk(ids, batchSize) {
		q, args, err := inQuery(`SELECT u.email_norm FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.workspace_id = ? AND m.status = 'active' AND u.email_norm IS NOT NULL AND m.id IN (?) ORDER BY u.email_norm`, workspaceID, chunk)
		if err != nil {
			return nil, err
		}
		var got []string
		if err := t.selectRows(&got, q, args...); err != nil {
			return nil, fmt.Errorf("find people to notify: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// existingTeams keeps the ids among ids that are still teams of the
// workspace, so editing a link whose team was deleted does not fail on it.
func (t *tx) existingTeams(workspaceID string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return ids, nil
	}
	q, args, err := inQuery(`SELECT id FROM teams WHERE workspace_id = ? AND id IN (?)`, workspaceID, ids)
	if err != nil {
		return nil, err
	}
	var found []string
	if err := t.selectRows(&found, q, args...); err != nil {
		return nil, fmt.Errorf("find teams: %w", err)
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !slices.Contains(found, id) }), nil
}
