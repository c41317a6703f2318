package store

import (
	"fmt"
	"slices"
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

type JoinLinkRow struct {
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

const JoinLinkColumns = `id, workspace_id, description, role, teams, mode, notify, notify_people, active, created_by, created_at, updated_at, revoked_at`

func (r *JoinLinkRow) Public() JoinLink {
	teams, people := DecodeStrings(r.Teams), DecodeStrings(r.NotifyPeople)
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

// Usable reports whether people may use the link now.
func (r *JoinLinkRow) Usable() bool { return r.Active && r.RevokedAt == nil }

// UseJoinLink is UseJoinLink in the caller's transaction, for a
// normalised email. It also returns the link's workspace id ("" for an
// unknown token), for a seat-limit notice.
func (t *Tx) UseJoinLink(token, email string, id VerifiedIdentity) (JoinResult, string, error) {
	var r JoinLinkRow
	if err := t.ByToken(&r, "join_links", JoinLinkColumns, "join link", token, false); err != nil {
		return JoinResult{}, "", err
	}
	if !r.Usable() {
		return JoinResult{}, r.WorkspaceID, fmt.Errorf("join link: %w", ErrRevoked)
	}
	ws, err := t.Workspace(r.WorkspaceID)
	if err != nil {
		return JoinResult{}, r.WorkspaceID, err
	}
	linkID := r.ID
	out, err := t.joinWorkspace(ws, email, id, joinPath{
		direct: r.Mode == JoinModeDirect, role: r.Role, teams: DecodeStrings(r.Teams),
		source: SourceJoinLink, joinLinkID: &linkID, via: fmt.Sprintf("join link %q", r.Description),
		notify: r.Notify, notifyPeople: DecodeStrings(r.NotifyPeople),
	})
	return out, r.WorkspaceID, err
}

// notifyJoin emails the people a join link or domain names about a
// request (join_request_filed) or a direct join (member_joined). The
// person who joined is never told about themselves (a link's team may just
// have made them a manager).
func (t *Tx) notifyJoin(ws *WorkspaceRow, notify string, people []string, joiner, template string, data map[string]string) error {
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
	return t.EnqueueEmail(ws.ID, EmailRequest{Template: template, To: to, Data: data})
}

// emailsOfMembers returns the addresses of the active members among ids.
func (t *Tx) emailsOfMembers(workspaceID string, ids []string) ([]string, error) {
	var out []string
	for chunk := range slices.Chunk(ids, BatchSize) {
		q, args, err := InQuery(`SELECT u.email_norm FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.workspace_id = ? AND m.status = 'active' AND u.email_norm IS NOT NULL AND m.id IN (?) ORDER BY u.email_norm`, workspaceID, chunk)
		if err != nil {
			return nil, err
		}
		var got []string
		if err := t.SelectRows(&got, q, args...); err != nil {
			return nil, fmt.Errorf("find people to notify: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}
