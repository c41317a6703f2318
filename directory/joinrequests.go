package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
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

type joinRequestRow struct {
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

const joinRequestSelect = `SELECT r.id, r.workspace_id, r.user_id, COALESCE(u.email_norm, '') AS email, u.name, r.join_link_id, r.domain,
	r.role, r.teams, r.status, r.decided_by, r.created_at, r.decided_at
	FROM join_requests r JOIN users u ON u.id = r.user_id`

func (r *joinRequestRow) public() JoinRequest {
	teams := decodeStrings(r.Teams)
	if teams == nil {
		teams = []string{}
	}
	return JoinRequest{ID: r.ID, WorkspaceID: r.WorkspaceID, UserID: r.UserID, Email: r.Email, Name: r.Name, JoinLinkID: r.JoinLinkID,
		Domain: r.Domain, Role: r.Role, Teams: teams, Status: r.Status, DecidedBy: r.DecidedBy, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt}
}

// joinRequest loads one request of a workspace.
func (t *tx) joinRequest(workspaceID, requestID string, lock bool) (*joinRequestRow, error) {
	q := joinRequestSelect + ` WHERE r.workspace_id = ? AND r.id = ?`
	if lock {
		q += t.d.flavor.ForUpdateOf("r")
	}
	var r joinRequestRow
	if err := t.get(&r, q, workspaceID, requestID); err != nil {
		return nil, notFound(err, "join request "+requestID)
	}
	return &r, nil
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
func (t *tx) joinWorkspace(ws *workspaceRow, email string, id VerifiedIdentity, jp joinPath) (JoinResult, error) {
	u, err := t.userByEmail(email)
	if err != nil {
		return JoinResult{}, err
	}
	if u != nil {
		t.actor.ID = u.ID
		m, err := t.membershipOf(ws.ID, u.ID)
		if err != nil {
			return JoinResult{}, err
		}
		if m != nil && m.Status == StatusActive {
			mem, err := t.member(ws.ID, m.ID)
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
		u, kind, err := t.ensureUser(ws, email, id.Name, "", nil)
		if err != nil {
			return JoinResult{}, err
		}
		t.actor.ID = u.ID
		mem, err := t.grantMembership(ws, u, kind, grant{role: role, teams: jp.teams, source: jp.source, joinLinkID: jp.joinLinkID,
			via: jp.source, viaID: jp.viaID, profile: id})
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
		if u, err = t.createUser(email, name, "", id.Locale, "", ""); err != nil {
			return JoinResult{}, err
		}
		t.actor.ID = u.ID
	}
	return t.fileJoinRequest(ws, u, role, jp, id)
}

// joinRole is the role a link or domain grants now. A custom role deleted
// since the link or domain was set up falls back to member rather than
// granting nothing.
func (t *tx) joinRole(ws *workspaceRow, key string) string {
	if _, err := t.role(ws.ID, key); err != nil {
		t.d.log.Warn("join path names an unknown role; using member", "workspace", ws.ID, "role", key)
		return RoleMember
	}
	return key
}

// fileJoinRequest files a request for u, unless one is pending (answered
// as pending) or was rejected (ErrRejected: a rejected person never files
// again), and notifies per the path.
func (t *tx) fileJoinRequest(ws *workspaceRow, u *userRow, role string, jp joinPath, id VerifiedIdentity) (JoinResult, error) {
	var open []joinRequestRow
	if err := t.selectRows(&open, joinRequestSelect+` WHERE r.workspace_id = ? AND r.user_id = ? AND r.status IN ('pending', 'rejected')`, ws.ID, u.ID); err != nil {
		return JoinResult{}, fmt.Errorf("find join request: %w", err)
	}
	if len(open) > 0 {
		if open[0].Status == JoinRequestRejected {
			return JoinResult{}, fmt.Errorf("join %s: %w", ws.Name, ErrRejected)
		}
		req := open[0].public()
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
	r := joinRequestRow{ID: newID(), WorkspaceID: ws.ID, UserID: u.ID, Email: email, Name: u.Name, JoinLinkID: jp.joinLinkID, Domain: jp.domain,
		Role: role, Teams: encodeStrings(teams), Status: JoinRequestPending, CreatedAt: t.now}
	_, err := t.exec(`INSERT INTO join_requests (id, workspace_id, user_id, join_link_id, domain, role, teams, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
		r.ID, r.WorkspaceID, r.UserID, r.JoinLinkID, r.Domain, r.Role, r.Teams, r.CreatedAt)
	if isUniqueViolation(err) {
		return JoinResult{}, fmt.Errorf("%w: a request to join was filed at the same time", ErrConflict)
	} else if err != nil {
		return JoinResult{}, fmt.Errorf("file join request: %w", err)
	}
	req := r.public()
	if err := t.emit(ws.ID, "join_request.created", "join_request", r.ID, joinRequestPayload(req)); err != nil {
		return JoinResult{}, err
	}
	name := u.Name
	if name == "" {
		name = id.Name
	}
	if err := t.notifyJoin(ws, jp.notify, jp.notifyPeople, email, "join_request_filed", map[string]string{
		"workspace": ws.Name, "requester_email": email, "requester_name": name, "via": jp.via,
		"review_link": t.d.JoinRequestsURL(ws.Slug)}); err != nil {
		return JoinResult{}, err
	}
	return JoinResult{Outcome: JoinOutcomeRequested, Request: &req}, nil
}

// JoinRequestsURL is the console page where a workspace's admins review
// its join requests, under the server's base URL; the join-request email
// links to it.
func (d *Directory) JoinRequestsURL(slug string) string {
	return d.baseURL + "/workspaces/" + url.PathEscape(slug) + "/join-requests"
}

func encodeStrings(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// grant is a membership granted without an invitation.
type grant struct {
	role       string
	teams      []string
	source     string
	joinLinkID *string
	via        string
	viaID      string
	profile    VerifiedIdentity
}

// grantMembership makes u an active member of ws (kind as ensureUser
// said): a new membership, a revived tombstone, or an invited one
// activated (keeping the invited role when it ranks higher). The seat
// check, teams and member.activated are t.activate's. An active member is
// returned unchanged; a suspended one is ErrSuspended.
func (t *tx) grantMembership(ws *workspaceRow, u *userRow, kind string, g grant) (*Member, error) {
	m, err := t.membershipOf(ws.ID, u.ID)
	if err != nil {
		return nil, err
	}
	role := g.role
	switch {
	case m == nil:
		m = &membershipRow{ID: newID(), Status: StatusInvited, Kind: kind}
		// Inserted as invited so that activate's seat check counts it once.
		if _, err := t.exec(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, join_link_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'invited', ?, ?, ?, ?, ?)`, m.ID, ws.ID, u.ID, role, role, kind, g.source, g.joinLinkID, t.now, t.now); err != nil {
			if isUniqueViolation(err) {
				return nil, fmt.Errorf("%w: %s joined at the same time", ErrConflict, u.ID)
			}
			return nil, fmt.Errorf("create membership: %w", err)
		}
	case m.Status == StatusRemoved:
		if _, err := t.exec(`UPDATE memberships SET kind = ?, source = ?, join_link_id = ?, updated_at = ? WHERE id = ?`, kind, g.source, g.joinLinkID, t.now, m.ID); err != nil {
			return nil, fmt.Errorf("revive membership: %w", err)
		}
	case m.Status == StatusInvited:
		var invited string
		if err := t.get(&invited, `SELECT role FROM memberships WHERE id = ?`, m.ID); err != nil {
			return nil, fmt.Errorf("find invited role: %w", err)
		}
		if r, err := t.role(ws.ID, invited); err == nil {
			if mine, err := t.role(ws.ID, role); err == nil && r.Rank > mine.Rank {
				role = invited
			}
		}
		if g.joinLinkID != nil {
			if _, err := t.exec(`UPDATE memberships SET join_link_id = ? WHERE id = ?`, g.joinLinkID, m.ID); err != nil {
				return nil, fmt.Errorf("record join link: %w", err)
			}
		}
	case m.Status == StatusSuspended:
		return nil, ErrSuspended
	case m.Status == StatusActive:
		return t.member(ws.ID, m.ID)
	}
	return t.activate(ws, m.ID, activation{role: role, teams: g.teams, via: g.via, viaID: g.viaID, profile: g.profile})
}

// JoinByDomain joins workspace on behalf of a verified identity whose email
// domain the workspace has verified (otherwise ErrForbidden: only verified
// domains grant anything). Policy auto_join makes an active member with the
// domain's default role, seat limit permitting; policy request files a join
// request and notifies the owners, admins and managers.
func (d *Directory) JoinByDomain(ctx context.Context, workspace string, id VerifiedIdentity) (JoinResult, error) {
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
		out, wsID, err = t.joinByDomain(workspace, email, id)
		return err
	})
	if asSeatLimit(err, &seatErr) {
		d.notifySeatLimit(ctx, actor, wsID, seatErr, email, "domain auto-join")
	}
	return out, err
}

// joinByDomain is JoinByDomain in the caller's transaction, for a
// normalised email. It also returns the workspace's id ("" when there is
// no such workspace), for a seat-limit notice.
func (t *tx) joinByDomain(workspace, email string, id VerifiedIdentity) (JoinResult, string, error) {
	ws, err := t.workspace(workspace)
	if err != nil {
		return JoinResult{}, "", err
	}
	dom, err := t.verifiedDomainOf(ws.ID, EmailDomain(email))
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

// authorizeJoinRequests resolves who may see and decide join requests:
// members.manage; members.invite for roles the owners let invite
// (accepting a request is an invitation decided afterwards); and, for
// requests filed through a join link, joinlinks.manage (whoever may make a
// direct link that admits people at once may also admit them one by one).
// linkRequest says whether the request at hand came through a link; for
// listing it is true, so link managers see the queue they are notified of.
func (t *tx) authorizeJoinRequests(ws *workspaceRow, linkRequest bool) (principal, error) {
	p, err := t.principal(ws)
	if err != nil {
		return p, err
	}
	switch {
	case p.can(PermMembersManage):
		return p, nil
	case p.can(PermMembersInvite) && (p.actor.Kind == ActorSystem || p.actor.Kind == ActorSCIM || p.isOwner() || slices.Contains(ws.inviteRoles(), p.role.Key)):
		return p, nil
	case linkRequest && p.can(PermJoinLinksManage):
		return p, nil
	}
	return p, fmt.Errorf("%w: role %q may not decide join requests", ErrForbidden, p.role.Key)
}

// ListJoinRequests lists a workspace's join requests, oldest first (a
// review queue), at most 1,000; status filters (pending, accepted,
// rejected; empty or StatusAll for all).
func (d *Directory) ListJoinRequests(ctx context.Context, actor Actor, workspace, status string) ([]JoinRequest, error) {
	out := []JoinRequest{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		if _, err := t.authorizeJoinRequests(ws, true); err != nil {
			return err
		}
		q := joinRequestSelect + ` WHERE r.workspace_id = ?`
		args := []any{ws.ID}
		switch status {
		case "", StatusAll:
		case JoinRequestPending, JoinRequestAccepted, JoinRequestRejected:
			q += ` AND r.status = ?`
			args = append(args, status)
		default:
			return invalidf("unknown join request status %q (pending, accepted or rejected)", status)
		}
		var rows []joinRequestRow
		if err := t.selectRows(&rows, q+` ORDER BY r.created_at, r.id LIMIT 1000`, args...); err != nil {
			return fmt.Errorf("list join requests: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].public())
		}
		return nil
	})
	return out, err
}

// decideJoinRequest loads a pending request for a decision by the actor.
func (t *tx) decideJoinRequest(ws *workspaceRow, requestID string, statuses ...string) (*joinRequestRow, principal, error) {
	r, err := t.joinRequest(ws.ID, requestID, true)
	if err != nil {
		return nil, principal{}, err
	}
	p, err := t.authorizeJoinRequests(ws, r.JoinLinkID != nil)
	if err != nil {
		return nil, p, err
	}
	if !slices.Contains(statuses, r.Status) {
		return nil, p, fmt.Errorf("%w: join request is %s", ErrConflict, r.Status)
	}
	return r, p, nil
}

// AcceptJoinRequest accepts a pending request: the person becomes an
// active member with the request's role and teams (seat limit permitting;
// the actor must be able to grant the role), and is emailed.
func (d *Directory) AcceptJoinRequest(ctx context.Context, actor Actor, workspace, requestID string) (Member, error) {
	var out Member
	var seatErr *SeatLimitError
	var wsID, email string
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		wsID = ws.ID
		r, p, err := t.decideJoinRequest(ws, requestID, JoinRequestPending)
		if err != nil {
			return err
		}
		email = r.Email
		role, err := t.requireGrantable(ws, p, r.Role)
		if err != nil {
			return err
		}
		u, kind, err := t.ensureUser(ws, r.Email, r.Name, "", nil)
		if err != nil {
			return err
		}
		m, err := t.grantMembership(ws, u, kind, grant{role: r.Role, teams: decodeStrings(r.Teams), source: SourceJoinRequest, joinLinkID: r.JoinLinkID,
			via: SourceJoinRequest, viaID: r.ID})
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE join_requests SET status = 'accepted', decided_by = ?, decided_at = ? WHERE id = ?`, actorRef(p.actor), t.now, r.ID); err != nil {
			return fmt.Errorf("accept join request: %w", err)
		}
		if err := t.emit(ws.ID, "join_request.accepted", "join_request", r.ID, map[string]string{"user_id": r.UserID, "email": r.Email, "membership_id": m.ID, "role": r.Role}); err != nil {
			return err
		}
		if err := t.enqueueEmail(ws.ID, EmailRequest{Template: "join_request_accepted", To: []string{r.Email}, Data: map[string]string{
			"workspace": ws.Name, "role": role.Name, "link": t.d.baseURL + "/login"}}); err != nil {
			return err
		}
		out = *m
		return nil
	})
	if asSeatLimit(err, &seatErr) {
		d.notifySeatLimit(ctx, actor, wsID, seatErr, email, "join request")
	}
	return out, err
}

// RejectJoinRequest rejects a pending request and tells the person. A
// rejected person can never file again for this workspace (unless the
// rejection is dismissed).
func (d *Directory) RejectJoinRequest(ctx context.Context, actor Actor, workspace, requestID string) error {
	return d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		r, p, err := t.decideJoinRequest(ws, requestID, JoinRequestPending)
		if err != nil {
			return err
		}
		if _, err := t.exec(`UPDATE join_requests SET status = 'rejected', decided_by = ?, decided_at = ? WHERE id = ?`, actorRef(p.actor), t.now, r.ID); err != nil {
			return fmt.Errorf("reject join request: %w", err)
		}
		if err := t.emit(ws.ID, "join_request.rejected", "join_request", r.ID, map[string]string{"user_id": r.UserID, "email": r.Email}); err != nil {
			return err
		}
		return t.enqueueEmail(ws.ID, EmailRequest{Template: "join_request_rejected", To: []string{r.Email}, Data: map[string]string{"workspace": ws.Name}})
	})
}

// DismissJoinRequest deletes a pending or rejected request without telling
// anyone; the person may file again.
func (d *Directory) DismissJoinRequest(ctx context.Context, actor Actor, workspace, requestID string) error {
	return d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		r, _, err := t.decideJoinRequest(ws, requestID, JoinRequestPending, JoinRequestRejected)
		if err != nil {
			return err
		}
		if _, err := t.exec(`DELETE FROM join_requests WHERE id = ?`, r.ID); err != nil {
			return fmt.Errorf("dismiss join request: %w", err)
		}
		return t.emit(ws.ID, "join_request.dismissed", "join_request", r.ID, map[string]string{"user_id": r.UserID, "email": r.Email, "previous_status": r.Status})
	})
}
