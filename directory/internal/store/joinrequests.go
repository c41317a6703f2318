package store

import (
	"encoding/json"
	"fmt"
	"net/url"
	"time"
)

// Join request statuses. Dismissed requests are deleted, so no row ever
// says dismissed.
const (
	JoinRequestPending  = "pending"
	JoinRequestAccepted = "accepted"
	JoinRequestRejected = "rejected"
)

// Join outcomes: what UseJoinLink and JoinByDomain did.
const (
	// JoinOutcomeJoined: the person is now an active member (Member set).
	JoinOutcomeJoined = "joined"
	// JoinOutcomeRequested: a join request was filed (Request set).
	JoinOutcomeRequested = "requested"
	// JoinOutcomeAlreadyMember: nothing to do (Member set).
	JoinOutcomeAlreadyMember = "already_member"
	// JoinOutcomePending: a request filed earlier still waits (Request set).
	JoinOutcomePending = "pending"
)

// JoinResult is the outcome of joining through a link or a domain.
type JoinResult struct {
	Outcome string
	Member  *Member
	Request *JoinRequest
}

// JoinRequest is a person's request to join a workspace, filed through an
// approval join link (JoinLinkID) or a verified domain with the request
// policy (Domain). Role and Teams are what accepting it grants.
type JoinRequest struct {
	ID          string
	WorkspaceID string
	UserID      string
	Email       string
	Name        string
	JoinLinkID  *string
	Domain      *string
	Role        string
	Teams       []string
	Status      string
	DecidedBy   string
	CreatedAt   time.Time
	DecidedAt   *time.Time
}

type JoinRequestRow struct {
	ID          string     `db:"id"`
	WorkspaceID string     `db:"workspace_id"`
	UserID      string     `db:"user_id"`
	Email       string     `db:"email"`
	Name        string     `db:"name"`
	JoinLinkID  *string    `db:"join_link_id"`
	Domain      *string    `db:"domain"`
	Role        string     `db:"role"`
	Teams       string     `db:"teams"`
	Status      string     `db:"status"`
	DecidedBy   string     `db:"decided_by"`
	CreatedAt   time.Time  `db:"created_at"`
	DecidedAt   *time.Time `db:"decided_at"`
}

const JoinRequestSelect = `SELECT r.id, r.workspace_id, r.user_id, COALESCE(u.email_norm, '') AS email, u.name, r.join_link_id, r.domain,
	r.role, r.teams, r.status, r.decided_by, r.created_at, r.decided_at
	FROM join_requests r JOIN users u ON u.id = r.user_id`

func (r *JoinRequestRow) Public() JoinRequest {
	teams := DecodeStrings(r.Teams)
	if teams == nil {
		teams = []string{}
	}
	return JoinRequest{ID: r.ID, WorkspaceID: r.WorkspaceID, UserID: r.UserID, Email: r.Email, Name: r.Name, JoinLinkID: r.JoinLinkID,
		Domain: r.Domain, Role: r.Role, Teams: teams, Status: r.Status, DecidedBy: r.DecidedBy, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt}
}

// joinPath is how someone joins without an invitation: through a join
// link or a verified domain.
type joinPath struct {
	// direct joins at once; otherwise a join request is filed.
	direct     bool
	role       string
	teams      []string
	source     string // SourceJoinLink or SourceDomain
	joinLinkID *string
	domain     *string
	viaID      string // the link or domain id, for member.activated
	// via describes the path to people, in emails: `join link "Sales"`.
	via          string
	notify       string
	notifyPeople []string
}

// joinWorkspace is the rule shared by join links and domains. Members and
// suspended members are answered first; then a direct path makes an active
// membership and an approval path files (or finds) a request.
func (t *Tx) joinWorkspace(ws *WorkspaceRow, email string, id VerifiedIdentity, jp joinPath) (JoinResult, error) {
	u, err := t.UserByEmail(email)
	if err != nil {
		return JoinResult{}, err
	}
	if u != nil {
		t.Actor.ID = u.ID
		m, err := t.MembershipOf(ws.ID, u.ID)
		if err != nil {
			return JoinResult{}, err
		}
		if m != nil && m.Status == StatusActive {
			mem, err := t.Member(ws.ID, m.ID)
			if err != nil {
				return JoinResult{}, err
			}
			return JoinResult{Outcome: JoinOutcomeAlreadyMember, Member: mem}, nil
		}
		if m != nil && m.Status == StatusSuspended {
			return JoinResult{}, ErrSuspended
		}
	}
	role := t.joinRole(ws, jp.role)
	if jp.direct {
		u, kind, err := t.EnsureUser(ws, email, id.Name, "", nil)
		if err != nil {
			return JoinResult{}, err
		}
		t.Actor.ID = u.ID
		mem, err := t.GrantMembership(ws, u, kind, Grant{Role: role, Teams: jp.teams, Source: jp.source, JoinLinkID: jp.joinLinkID,
			Via: jp.source, ViaID: jp.viaID, profile: id})
		if err != nil {
			return JoinResult{}, err
		}
		if err := t.notifyJoin(ws, jp.notify, jp.notifyPeople, email, "member_joined", map[string]string{"workspace": ws.Name, "member_email": email, "via": jp.via}); err != nil {
			return JoinResult{}, err
		}
		return JoinResult{Outcome: JoinOutcomeJoined, Member: mem}, nil
	}
	if u == nil {
		// Someone who only asks to join gets no home workspace yet: the
		// first workspace that accepts them becomes it (ensureUser).
		name := id.Name
		if name == "" {
			name = GuessName(email)
		}
		if u, err = t.CreateUser(email, name, "", id.Locale, "", ""); err != nil {
			return JoinResult{}, err
		}
		t.Actor.ID = u.ID
	}
	return t.fileJoinRequest(ws, u, role, jp, id)
}

// joinRole is the role a link or domain grants now. A custom role deleted
// since the link or domain was set up falls back to member rather than
// granting nothing.
func (t *Tx) joinRole(ws *WorkspaceRow, key string) string {
	if _, err := t.Role(ws.ID, key); err != nil {
		t.Store.Log.Warn("join path names an unknown role; using member", "workspace", ws.ID, "role", key)
		return RoleMember
	}
	return key
}

// fileJoinRequest files a request for u, unless one is pending (answered
// as pending) or was rejected (ErrRejected: a rejected person never files
// again), and notifies per the path.
func (t *Tx) fileJoinRequest(ws *WorkspaceRow, u *UserRow, role string, jp joinPath, id VerifiedIdentity) (JoinResult, error) {
	var open []JoinRequestRow
	if err := t.SelectRows(&open, JoinRequestSelect+` WHERE r.workspace_id = ? AND r.user_id = ? AND r.status IN ('pending', 'rejected')`, ws.ID, u.ID); err != nil {
		return JoinResult{}, fmt.Errorf("find join request: %w", err)
	}
	if len(open) > 0 {
		if open[0].Status == JoinRequestRejected {
			return JoinResult{}, fmt.Errorf("join %s: %w", ws.Name, ErrRejected)
		}
		req := open[0].Public()
		return JoinResult{Outcome: JoinOutcomePending, Request: &req}, nil
	}
	teams := jp.teams
	if teams == nil {
		teams = []string{}
	}
	email := ""
	if u.EmailNorm != nil {
		email = *u.EmailNorm
	}
	r := JoinRequestRow{ID: NewID(), WorkspaceID: ws.ID, UserID: u.ID, Email: email, Name: u.Name, JoinLinkID: jp.joinLinkID, Domain: jp.domain,
		Role: role, Teams: encodeStrings(teams), Status: JoinRequestPending, CreatedAt: t.Now}
	_, err := t.Execute(`INSERT INTO join_requests (id, workspace_id, user_id, join_link_id, domain, role, teams, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
		r.ID, r.WorkspaceID, r.UserID, r.JoinLinkID, r.Domain, r.Role, r.Teams, r.CreatedAt)
	if IsUniqueViolation(err) {
		return JoinResult{}, fmt.Errorf("%w: a request to join was filed at the same time", ErrConflict)
	} else if err != nil {
		return JoinResult{}, fmt.Errorf("file join request: %w", err)
	}
	req := r.Public()
	if err := t.Emit(ws.ID, "join_request.created", "join_request", r.ID, joinRequestPayload(req)); err != nil {
		return JoinResult{}, err
	}
	name := u.Name
	if name == "" {
		name = id.Name
	}
	if err := t.notifyJoin(ws, jp.notify, jp.notifyPeople, email, "join_request_filed", map[string]string{
		"workspace": ws.Name, "requester_email": email, "requester_name": name, "via": jp.via,
		"review_link": t.Store.JoinRequestsURL(ws.Slug)}); err != nil {
		return JoinResult{}, err
	}
	return JoinResult{Outcome: JoinOutcomeRequested, Request: &req}, nil
}

// JoinRequestsURL is the console page where a workspace's admins review
// its join requests, under the server's base URL; the join-request email
// links to it.
func (d *Store) JoinRequestsURL(slug string) string {
	return d.PublicURL + "/workspaces/" + url.PathEscape(slug) + "/join-requests"
}

func encodeStrings(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// Grant is a membership granted without an invitation.
type Grant struct {
	Role       string
	Teams      []string
	Source     string
	JoinLinkID *string
	Via        string
	ViaID      string
	profile    VerifiedIdentity
}

// GrantMembership makes u an active member of ws (kind as ensureUser
// said): a new membership, a revived tombstone, or an invited one
// activated (keeping the invited role when it ranks higher). The seat
// check, teams and member.activated are t.activate's. An active member is
// returned unchanged; a suspended one is ErrSuspended.
func (t *Tx) GrantMembership(ws *WorkspaceRow, u *UserRow, kind string, g Grant) (*Member, error) {
	m, err := t.MembershipOf(ws.ID, u.ID)
	if err != nil {
		return nil, err
	}
	role := g.Role
	switch {
	case m == nil:
		m = &MembershipRow{ID: NewID(), Status: StatusInvited, Kind: kind}
		// Inserted as invited so that activate's seat check counts it once.
		if _, err := t.Execute(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, join_link_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'invited', ?, ?, ?, ?, ?)`, m.ID, ws.ID, u.ID, role, role, kind, g.Source, g.JoinLinkID, t.Now, t.Now); err != nil {
			if IsUniqueViolation(err) {
				return nil, fmt.Errorf("%w: %s joined at the same time", ErrConflict, u.ID)
			}
			return nil, fmt.Errorf("create membership: %w", err)
		}
	case m.Status == StatusRemoved:
		if _, err := t.Execute(`UPDATE memberships SET kind = ?, source = ?, join_link_id = ?, updated_at = ? WHERE id = ?`, kind, g.Source, g.JoinLinkID, t.Now, m.ID); err != nil {
			return nil, fmt.Errorf("revive membership: %w", err)
		}
	case m.Status == StatusInvited:
		var invited string
		if err := t.GetOne(&invited, `SELECT role FROM memberships WHERE id = ?`, m.ID); err != nil {
			return nil, fmt.Errorf("find invited role: %w", err)
		}
		if r, err := t.Role(ws.ID, invited); err == nil {
			if mine, err := t.Role(ws.ID, role); err == nil && r.Rank > mine.Rank {
				role = invited
			}
		}
		if g.JoinLinkID != nil {
			if _, err := t.Execute(`UPDATE memberships SET join_link_id = ? WHERE id = ?`, g.JoinLinkID, m.ID); err != nil {
				return nil, fmt.Errorf("record join link: %w", err)
			}
		}
	case m.Status == StatusSuspended:
		return nil, ErrSuspended
	case m.Status == StatusActive:
		return t.Member(ws.ID, m.ID)
	}
	return t.Activate(ws, m.ID, Activation{Role: role, teams: g.Teams, Via: g.Via, ViaID: g.ViaID, profile: g.profile})
}

// JoinByDomain is JoinByDomain in the caller's transaction, for a
// normalised email. It also returns the workspace's id ("" when there is
// no such workspace), for a seat-limit notice.
func (t *Tx) JoinByDomain(workspace, email string, id VerifiedIdentity) (JoinResult, string, error) {
	ws, err := t.Workspace(workspace)
	if err != nil {
		return JoinResult{}, "", err
	}
	dom, err := t.VerifiedDomainOf(ws.ID, EmailDomain(email))
	if err != nil {
		return JoinResult{}, ws.ID, err
	}
	if dom == nil {
		return JoinResult{}, ws.ID, fmt.Errorf("%w: %s is not a verified domain of this workspace", ErrForbidden, EmailDomain(email))
	}
	name := dom.Domain
	jp := joinPath{direct: dom.Policy == DomainAutoJoin, role: dom.DefaultRole, source: SourceDomain, domain: &name, viaID: dom.ID,
		via: "domain " + dom.Domain, notify: JoinNotifyAllManagers}
	if jp.direct {
		jp.notify = JoinNotifyNobody
	}
	out, err := t.joinWorkspace(ws, email, id, jp)
	return out, ws.ID, err
}
