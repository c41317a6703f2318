package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Invitation statuses. An invitation past its expiry is reported as
// expired even while its row still says pending.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationRevoked  = "revoked"
	InvitationExpired  = "expired"
)

// OutcomeStatus is what happened to one address of an invitation batch.
type OutcomeStatus string

// The outcomes of inviting one address.
const (
	OutcomeInvited        OutcomeStatus = "invited"
	OutcomeResent         OutcomeStatus = "resent"
	OutcomeAlreadyMember  OutcomeStatus = "already_member"
	OutcomeInvalidAddress OutcomeStatus = "invalid_address"
	OutcomeSeatLimit      OutcomeStatus = "seat_limit"
	OutcomeNotPermitted   OutcomeStatus = "not_permitted"
	OutcomeDuplicate      OutcomeStatus = "duplicate"
)

// InviteOutcome is the answer for one address. Token and Link are set when
// a new link was made; they are shown once and never stored.
type InviteOutcome struct {
	Email        string
	Status       OutcomeStatus
	Kind         string
	MembershipID string
	InvitationID string
	Token        string
	Link         string
	Error        string
	// userID is the invited person; scimWritten says the membership was
	// created with the spec's SCIM columns (inviteSpec.scim).
	userID      string
	scimWritten bool
}

// Invitee is one person to invite. Name is guessed from the address when
// empty; Profile holds extra columns of an import (kept on the user).
type Invitee struct {
	Email   string
	Name    string
	Phone   string
	Profile map[string]string
}

// InviteRequest invites many people at once with one role.
type InviteRequest struct {
	Invitees []Invitee
	// Text is pasted addresses separated by commas, semicolons, spaces or
	// new lines ("Jane <jane@x>" forms are accepted too).
	Text string
	Role string
	// Teams are team ids, joined when the invitation is accepted.
	Teams []string
	// Grants are opaque pre-assignments (a JSON array), delivered in the
	// member.activated event for the product to apply.
	Grants json.RawMessage
	// SendEmail defaults to true; false creates the person inactive
	// (invited) and sends nothing.
	SendEmail *bool
	// MainAdmin makes the invitee the main admin on acceptance (owners
	// only; one address only).
	MainAdmin bool
}

// ParseAddressList splits pasted text into addresses: commas, semicolons,
// white space and new lines separate them; "Jane Doe <addr>" is reduced to
// addr. Anything else is kept, so a typo comes back as an invalid address
// instead of vanishing.
func ParseAddressList(text string) []string {
	text = angleAddr.ReplaceAllString(text, " $1 ")
	var out []string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool {
		return r == ',' || r == ';' || r == '\n' || r == '\r' || r == '\t' || r == ' '
	}) {
		if f = strings.Trim(f, "<>\"'"); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// angleAddr matches "Display Name <addr>" in pasted lists.
var angleAddr = regexp.MustCompile(`[^,;\n<>]*<([^<>\s]+)>`)

type inviteSpec struct {
	email     string
	name      string
	phone     string
	profile   map[string]string
	role      Role
	teams     []string
	grants    json.RawMessage
	sendEmail bool
	mainAdmin bool
	source    string
	inviter   principal
	// scim, for a SCIM create, holds the SCIM columns a new membership is
	// inserted with, saving the update that would store them after.
	scim *scimFields
	// found says the caller already looked email up in this transaction
	// and user is what it found (nil: nobody), saving a second lookup.
	found bool
	user  *userRow
}

// scimFields are the SCIM columns of a membership.
type scimFields struct {
	userName   string
	externalID *string
	attrs      string
}

// Invite invites every address of the request and returns one outcome per
// address, in order. Each address is its own transaction, so one bad
// address (invalid, over the seat limit) never fails the others. The
// returned error is for the request as a whole: no permission, unknown
// role or team, an invitee's details over the limits (a FieldError).
func (d *Directory) Invite(ctx context.Context, actor Actor, workspace string, req InviteRequest) ([]InviteOutcome, error) {
	invitees := slices.Clone(req.Invitees)
	for _, a := range ParseAddressList(req.Text) {
		invitees = append(invitees, Invitee{Email: a})
	}
	if len(invitees) == 0 {
		return nil, invalidf("no addresses to invite")
	}
	if len(invitees) > 10000 {
		return nil, invalidf("at most 10,000 addresses per request (got %d)", len(invitees))
	}
	if req.MainAdmin && len(invitees) != 1 {
		return nil, invalidf("only one person can be invited as main admin")
	}
	if len(req.Grants) > 0 && !json.Valid(req.Grants) {
		return nil, invalidf("grants must be valid JSON")
	}
	for i, inv := range req.Invitees {
		if err := checkInvitee(i, inv); err != nil {
			return nil, err
		}
	}
	sendEmail := req.SendEmail == nil || *req.SendEmail
	var wsID string
	var base inviteSpec
	// Validate the request once before touching any address.
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		wsID = ws.ID
		p, role, err := t.authorizeInvite(ws, req.Role)
		if err != nil {
			return err
		}
		if req.MainAdmin && !p.isOwner() {
			return fmt.Errorf("%w: only owners invite a main admin", ErrForbidden)
		}
		if req.MainAdmin && role.Key != RoleOwner && role.Key != RoleAdmin {
			return invalidf("the main admin must be invited as owner or admin")
		}
		teams, err := t.resolveTeams(ws.ID, req.Teams)
		if err != nil {
			return err
		}
		base = inviteSpec{role: role, teams: teams, grants: req.Grants, sendEmail: sendEmail, mainAdmin: req.MainAdmin, source: SourceInvitation, inviter: p}
		return nil
	})
	if err != nil {
		return nil, err
	}
	outcomes := make([]InviteOutcome, 0, len(invitees))
	seen := map[string]bool{}
	notified := false
	for _, inv := range invitees {
		email, err := NormalizeEmail(inv.Email)
		if err != nil {
			outcomes = append(outcomes, InviteOutcome{Email: strings.TrimSpace(inv.Email), Status: OutcomeInvalidAddress, Error: errorText(err)})
			continue
		}
		if seen[email] {
			outcomes = append(outcomes, InviteOutcome{Email: email, Status: OutcomeDuplicate, Error: "listed more than once"})
			continue
		}
		seen[email] = true
		spec := base
		spec.email, spec.name, spec.phone, spec.profile = email, strings.TrimSpace(inv.Name), strings.TrimSpace(inv.Phone), inv.Profile
		var out InviteOutcome
		err = d.inTx(ctx, actor, func(t *tx) error {
			ws, err := t.workspace(wsID)
			if err != nil {
				return err
			}
			spec.inviter, err = t.principal(ws)
			if err != nil {
				return err
			}
			out, err = t.inviteOne(ws, spec.inviter, spec)
			return err
		})
		var seatErr *SeatLimitError
		switch {
		case asSeatLimit(err, &seatErr):
			out = InviteOutcome{Email: email, Status: OutcomeSeatLimit, Error: seatErr.Error()}
			if !notified {
				d.notifySeatLimit(ctx, actor, wsID, seatErr, email, "invitation")
				notified = true
			}
		case errors.Is(err, ErrForbidden):
			out = InviteOutcome{Email: email, Status: OutcomeNotPermitted, Error: errorText(err)}
		case err != nil:
			return outcomes, fmt.Errorf("invite %s: %w", email, err)
		}
		outcomes = append(outcomes, out)
	}
	return outcomes, nil
}

func asSeatLimit(err error, target **SeatLimitError) bool {
	return err != nil && errors.As(err, target)
}

// errorText is an error's message without the sentinel prefix, for
// outcomes shown to people.
func errorText(err error) string {
	s := err.Error()
	for _, prefix := range []string{ErrInvalid.Error() + ": ", ErrForbidden.Error() + ": "} {
		s = strings.TrimPrefix(s, prefix)
	}
	return s
}

// authorizeInvite checks that the actor may invite with role: it needs
// members.invite, its role must be among the workspace's inviting roles
// (owners decide which), and it cannot grant more than it holds.
func (t *tx) authorizeInvite(ws *workspaceRow, roleKey string) (principal, Role, error) {
	p, err := t.authorize(ws, PermMembersInvite)
	if err != nil {
		return p, Role{}, err
	}
	if p.actor.Kind != ActorOperator && p.actor.Kind != ActorSystem && p.actor.Kind != ActorSCIM && !p.isOwner() && !slices.Contains(ws.inviteRoles(), p.role.Key) {
		return p, Role{}, fmt.Errorf("%w: the owners of this workspace have not allowed the %s role to invite", ErrForbidden, p.role.Key)
	}
	r, err := t.requireGrantable(ws, p, roleKey)
	return p, r, err
}

// resolveTeams checks team ids (or names) belong to the workspace and
// returns their ids.
func (t *tx) resolveTeams(workspaceID string, refs []string) ([]string, error) {
	ids := []string{}
	for _, ref := range refs {
		var id string
		err := t.get(&id, `SELECT id FROM teams WHERE workspace_id = ? AND (id = ? OR name_norm = ?)`, workspaceID, ref, foldCase(strings.TrimSpace(ref)))
		if err != nil {
			return nil, fmt.Errorf("%w: unknown team %q", ErrInvalid, ref)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// membershipRow is the raw membership of a user in a workspace, any status.
type membershipRow struct {
	ID     string `db:"id"`
	Status string `db:"status"`
	Kind   string `db:"kind"`
}

func (t *tx) membershipOf(workspaceID, userID string) (*membershipRow, error) {
	var m membershipRow
	err := t.get(&m, `SELECT id, status, kind FROM memberships WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID)
	if err != nil {
		if isNotFound(notFound(err, "")) {
			return nil, nil
		}
		return nil, fmt.Errorf("find membership: %w", err)
	}
	return &m, nil
}

// ensureUser finds the user for an address or creates one whose home is
// ws, and says which kind of membership they would have in ws.
func (t *tx) ensureUser(ws *workspaceRow, email, name, phone string, profile map[string]string) (*userRow, string, error) {
	u, err := t.userByEmail(email)
	if err != nil {
		return nil, "", err
	}
	return t.ensureFoundUser(ws, u, email, name, phone, profile)
}

// ensureFoundUser is ensureUser for a caller that already looked the
// address up in this transaction: u is the user found, nil for none.
func (t *tx) ensureFoundUser(ws *workspaceRow, u *userRow, email, name, phone string, profile map[string]string) (*userRow, string, error) {
	var err error
	if u == nil {
		if name == "" {
			name = GuessName(email)
		}
		prof := "{}"
		if len(profile) > 0 {
			b, _ := json.Marshal(profile)
			prof = string(b)
		}
		u, err = t.createUser(email, name, phone, "", ws.ID, prof)
		if err != nil {
			return nil, "", err
		}
		return u, KindInternal, nil
	}
	if u.HomeWorkspaceID == nil || *u.HomeWorkspaceID == ws.ID {
		if u.HomeWorkspaceID == nil {
			if _, err := t.exec(`UPDATE users SET home_workspace_id = ? WHERE id = ?`, ws.ID, u.ID); err != nil {
				return nil, "", fmt.Errorf("set home workspace: %w", err)
			}
		}
		return u, KindInternal, nil
	}
	return u, KindExternal, nil
}

// inviteOne invites one normalised address inside the caller's transaction.
func (t *tx) inviteOne(ws *workspaceRow, p principal, s inviteSpec) (InviteOutcome, error) {
	out := InviteOutcome{Email: s.email}
	var u *userRow
	var kind string
	var err error
	if s.found {
		u, kind, err = t.ensureFoundUser(ws, s.user, s.email, s.name, s.phone, s.profile)
	} else {
		u, kind, err = t.ensureUser(ws, s.email, s.name, s.phone, s.profile)
	}
	if err != nil {
		return out, err
	}
	out.Kind, out.userID = kind, u.ID
	var m *membershipRow
	if !u.fresh {
		// A user created just now has no membership to look for.
		if m, err = t.membershipOf(ws.ID, u.ID); err != nil {
			return out, err
		}
	}
	if m != nil {
		switch m.Status {
		case StatusActive:
			out.Status, out.MembershipID, out.Kind = OutcomeAlreadyMember, m.ID, m.Kind
			return out, nil
		case StatusSuspended:
			out.Status, out.MembershipID, out.Error = OutcomeNotPermitted, m.ID, "this person is suspended; reactivate them instead"
			return out, nil
		case StatusInvited:
			var invID string
			err := t.get(&invID, `SELECT id FROM invitations WHERE membership_id = ? AND status = 'pending'`, m.ID)
			if err == nil {
				return t.resend(ws, invID, p)
			}
			// Invited with no open invitation (its invitation was
			// accepted elsewhere, or SCIM created it without one): make
			// a new one below.
		}
	}
	if m == nil || m.Status == StatusRemoved {
		if err := t.claimSeat(ws, ""); err != nil {
			return out, err
		}
	}
	if m == nil {
		m = &membershipRow{ID: newID(), Status: StatusInvited, Kind: kind}
		if s.scim != nil {
			userName := s.scim.userName
			_, err = t.exec(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, scim_user_name, scim_user_name_norm, external_id, scim_attrs, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, 'invited', ?, ?, ?, ?, ?, ?, ?, ?)`,
				m.ID, ws.ID, u.ID, s.role.Key, s.role.Key, kind, s.source, s.scim.userName, foldCase(s.scim.userName), s.scim.externalID, s.scim.attrs, t.now, t.now)
			if t.d.violates(err, "memberships_scim_user_name") {
				return out, fmt.Errorf("%w: userName %q is already taken in this workspace", ErrConflict, userName)
			}
			out.scimWritten = err == nil
		} else {
			_, err = t.exec(`INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'invited', ?, ?, ?, ?)`,
				m.ID, ws.ID, u.ID, s.role.Key, s.role.Key, kind, s.source, t.now, t.now)
		}
		if err != nil {
			return out, fmt.Errorf("create membership: %w", err)
		}
	} else {
		// A tombstone comes back as a fresh invitation.
		_, err = t.exec(`UPDATE memberships SET role = ?, effective_role = ?, status = 'invited', kind = ?, source = ?, removed_at = NULL, updated_at = ?, version = version + 1 WHERE id = ?`,
			s.role.Key, s.role.Key, kind, s.source, t.now, m.ID)
		if err != nil {
			return out, fmt.Errorf("revive membership: %w", err)
		}
		m.Kind = kind
	}
	token, hash := NewToken()
	teams, _ := json.Marshal(s.teams)
	grants := string(s.grants)
	if grants == "" {
		grants = "[]"
	}
	inv := newID()
	expires := t.now.Add(time.Duration(ws.InvitationTTLSeconds) * time.Second)
	_, err = t.exec(`INSERT INTO invitations (id, workspace_id, membership_id, email_norm, role, teams, grants, inviter_kind, inviter_id, inviter_name, token_hash, expires_at, status, send_email, main_admin, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)`,
		inv, ws.ID, m.ID, s.email, s.role.Key, string(teams), grants, string(p.actor.Kind), p.actor.ID, inviterName(p), hash, expires, s.sendEmail, s.mainAdmin, t.now, t.now)
	if t.d.violates(err, "invitations_open") {
		return out, fmt.Errorf("%w: %s already has an open invitation", ErrConflict, s.email)
	}
	if err != nil {
		return out, fmt.Errorf("create invitation: %w", err)
	}
	out.Status, out.Kind, out.MembershipID, out.InvitationID = OutcomeInvited, m.Kind, m.ID, inv
	out.Token, out.Link = token, t.d.InvitationLink(token)
	if err := t.emit(ws.ID, "invitation.created", "invitation", inv, map[string]any{"email": s.email, "role": s.role.Key, "membership_id": m.ID, "kind": m.Kind, "send_email": s.sendEmail, "teams": s.teams}); err != nil {
		return out, err
	}
	if s.sendEmail {
		if err := t.enqueueEmail(ws.ID, invitationEmail("invitation", ws, s.email, u.Name, inviterName(p), s.role.Name, out.Link, expires)); err != nil {
			return out, err
		}
	}
	return out, nil
}

// InvitationLink is the URL a person follows to accept an invitation.
func (d *Directory) InvitationLink(token string) string { return d.baseURL + "/invite/" + token }

func inviterName(p principal) string {
	if p.actor.Name != "" {
		return p.actor.Name
	}
	return "An administrator"
}

func invitationEmail(template string, ws *workspaceRow, to, name, inviter, role, link string, expires time.Time) EmailRequest {
	return EmailRequest{Template: template, To: []string{to}, Data: map[string]string{
		"workspace": ws.Name, "inviter": inviter, "role": role, "link": link,
		"expires": expires.UTC().Format(time.RFC3339), "recipient_name": name}}
}

type invitationRow struct {
	ID           string     `db:"id"`
	WorkspaceID  string     `db:"workspace_id"`
	MembershipID string     `db:"membership_id"`
	Email        string     `db:"email_norm"`
	Role         string     `db:"role"`
	Teams        string     `db:"teams"`
	Grants       string     `db:"grants"`
	InviterKind  string     `db:"inviter_kind"`
	InviterID    string     `db:"inviter_id"`
	InviterName  string     `db:"inviter_name"`
	ExpiresAt    time.Time  `db:"expires_at"`
	Status       string     `db:"status"`
	SendEmail    bool       `db:"send_email"`
	MainAdmin    bool       `db:"main_admin"`
	ResendCount  int        `db:"resend_count"`
	CreatedAt    time.Time  `db:"created_at"`
	UpdatedAt    time.Time  `db:"updated_at"`
	AcceptedAt   *time.Time `db:"accepted_at"`
}

const invitationColumns = `id, workspace_id, membership_id, email_norm, role, teams, grants, inviter_kind, inviter_id, inviter_name, expires_at, status, send_email, main_admin, resend_count, created_at, updated_at, accepted_at`

// Invitation is an invitation as admins see it (never its token).
type Invitation struct {
	ID           string
	WorkspaceID  string
	MembershipID string
	Email        string
	Role         string
	Teams        []string
	Grants       json.RawMessage
	InviterName  string
	ExpiresAt    time.Time
	Status       string
	SendEmail    bool
	MainAdmin    bool
	ResendCount  int
	CreatedAt    time.Time
	AcceptedAt   *time.Time
}

func (r *invitationRow) public(now time.Time) Invitation {
	status := r.Status
	if status == InvitationPending && !now.Before(r.ExpiresAt) {
		status = InvitationExpired
	}
	return Invitation{ID: r.ID, WorkspaceID: r.WorkspaceID, MembershipID: r.MembershipID, Email: r.Email, Role: r.Role,
		Teams: decodeStrings(r.Teams), Grants: json.RawMessage(r.Grants), InviterName: r.InviterName, ExpiresAt: r.ExpiresAt,
		Status: status, SendEmail: r.SendEmail, MainAdmin: r.MainAdmin, ResendCount: r.ResendCount, CreatedAt: r.CreatedAt, AcceptedAt: r.AcceptedAt}
}

// ListInvitations lists a workspace's invitations, newest first; status
// filters (pending, accepted, revoked, expired).
func (d *Directory) ListInvitations(ctx context.Context, actor Actor, workspace, status string, limit int) ([]Invitation, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	out := []Invitation{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermMembersRead)
		if err != nil {
			return err
		}
		q := `SELECT ` + invitationColumns + ` FROM invitations WHERE workspace_id = ?`
		args := []any{ws.ID}
		switch status {
		case "", StatusAll:
		case InvitationPending:
			q += ` AND status = 'pending' AND expires_at > ?`
			args = append(args, t.now)
		case InvitationExpired:
			q += ` AND status = 'pending' AND expires_at <= ?`
			args = append(args, t.now)
		case InvitationAccepted, InvitationRevoked:
			q += ` AND status = ?`
			args = append(args, status)
		default:
			return invalidf("unknown invitation status %q (pending, accepted, revoked or expired)", status)
		}
		var rows []invitationRow
		if err := t.selectRows(&rows, q+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit)...); err != nil {
			return fmt.Errorf("list invitations: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].public(t.now))
		}
		return nil
	})
	return out, err
}

// ResendInvitation makes a new link for a pending or expired invitation:
// new token, new expiry, the old link stops working, and the email goes
// out again.
func (d *Directory) ResendInvitation(ctx context.Context, actor Actor, workspace, invitationID string) (InviteOutcome, error) {
	var out InviteOutcome
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		var role string
		if err := t.get(&role, `SELECT role FROM invitations WHERE id = ? AND workspace_id = ?`, invitationID, ws.ID); err != nil {
			return notFound(err, "invitation "+invitationID)
		}
		p, _, err := t.authorizeInvite(ws, role)
		if err != nil {
			return err
		}
		out, err = t.resend(ws, invitationID, p)
		return err
	})
	return out, err
}

func (t *tx) resend(ws *workspaceRow, invitationID string, p principal) (InviteOutcome, error) {
	var r invitationRow
	if err := t.get(&r, `SELECT `+invitationColumns+` FROM invitations WHERE id = ? AND workspace_id = ?`+t.forUpdate(), invitationID, ws.ID); err != nil {
		return InviteOutcome{}, notFound(err, "invitation "+invitationID)
	}
	if r.Status != InvitationPending {
		return InviteOutcome{}, fmt.Errorf("%w: invitation is %s; only pending or expired invitations can be resent", ErrConflict, r.Status)
	}
	token, hash := NewToken()
	expires := t.now.Add(time.Duration(ws.InvitationTTLSeconds) * time.Second)
	if _, err := t.exec(`UPDATE invitations SET token_hash = ?, expires_at = ?, resend_count = resend_count + 1, updated_at = ? WHERE id = ?`, hash, expires, t.now, r.ID); err != nil {
		return InviteOutcome{}, fmt.Errorf("resend invitation: %w", err)
	}
	var kind, name string
	if err := t.get(&kind, `SELECT kind FROM memberships WHERE id = ?`, r.MembershipID); err != nil {
		return InviteOutcome{}, fmt.Errorf("resend invitation: %w", err)
	}
	t.get(&name, `SELECT u.name FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.id = ?`, r.MembershipID)
	out := InviteOutcome{Email: r.Email, Status: OutcomeResent, Kind: kind, MembershipID: r.MembershipID, InvitationID: r.ID, Token: token, Link: t.d.InvitationLink(token)}
	if err := t.emit(ws.ID, "invitation.resent", "invitation", r.ID, map[string]any{"email": r.Email, "resend_count": r.ResendCount + 1}); err != nil {
		return out, err
	}
	if r.SendEmail {
		role, err := t.role(ws.ID, r.Role)
		if err != nil {
			role = Role{Name: r.Role}
		}
		if err := t.enqueueEmail(ws.ID, invitationEmail("invitation_resend", ws, r.Email, name, inviterName(p), role.Name, out.Link, expires)); err != nil {
			return out, err
		}
	}
	return out, nil
}

// RevokeInvitation revokes a pending invitation; its link stops working and
// the invited membership is removed, freeing its seat.
func (d *Directory) RevokeInvitation(ctx context.Context, actor Actor, workspace, invitationID string) error {
	return d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		var r invitationRow
		if err := t.get(&r, `SELECT `+invitationColumns+` FROM invitations WHERE id = ? AND workspace_id = ?`+t.forUpdate(), invitationID, ws.ID); err != nil {
			return notFound(err, "invitation "+invitationID)
		}
		if _, _, err := t.authorizeInvite(ws, r.Role); err != nil {
			return err
		}
		if r.Status != InvitationPending {
			return fmt.Errorf("%w: invitation is already %s", ErrConflict, r.Status)
		}
		if _, err := t.exec(`UPDATE invitations SET status = 'revoked', updated_at = ? WHERE id = ?`, t.now, r.ID); err != nil {
			return fmt.Errorf("revoke invitation: %w", err)
		}
		if _, err := t.exec(`UPDATE memberships SET status = 'removed', removed_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND status = 'invited'`, t.now, t.now, r.MembershipID); err != nil {
			return fmt.Errorf("remove invited membership: %w", err)
		}
		if err := t.touchTeamsOf(r.MembershipID); err != nil {
			return err
		}
		return t.emit(ws.ID, "invitation.revoked", "invitation", r.ID, map[string]string{"email": r.Email, "membership_id": r.MembershipID})
	})
}

// InvitationView is what the invitation page shows to whoever holds the
// link: who invited them, where, with which role, and whether the link
// still works.
type InvitationView struct {
	InvitationID  string
	WorkspaceID   string
	WorkspaceName string
	WorkspaceSlug string
	Email         string
	Role          string
	RoleName      string
	InviterName   string
	Status        string
	ExpiresAt     time.Time
}

// InvitationByToken looks an invitation up by its link token. The token is
// the capability, so no actor is needed. An unknown token is ErrNotFound.
func (d *Directory) InvitationByToken(ctx context.Context, token string) (InvitationView, error) {
	var v InvitationView
	err := d.readTx(ctx, System(), func(t *tx) error {
		var r invitationRow
		if err := t.byToken(&r, "invitations", invitationColumns, "invitation", token, false); err != nil {
			return err
		}
		ws, role, err := t.linkTarget(r.WorkspaceID, r.Role)
		if err != nil {
			return err
		}
		pub := r.public(t.now)
		v = InvitationView{InvitationID: r.ID, WorkspaceID: ws.ID, WorkspaceName: ws.Name, WorkspaceSlug: ws.Slug, Email: r.Email, Role: r.Role, RoleName: role.Name,
			InviterName: r.InviterName, Status: pub.Status, ExpiresAt: r.ExpiresAt}
		return nil
	})
	return v, err
}

// VerifiedIdentity is a person as an identity provider vouched for them.
// Front doors build it only from a verified email (see oidc/).
type VerifiedIdentity struct {
	Email  string
	Name   string
	Locale string
}

// Acceptance is the result of accepting an invitation.
type Acceptance struct {
	Member    Member
	Workspace Workspace
	Grants    json.RawMessage
}

// AcceptInvitation accepts an invitation with its token on behalf of a
// verified identity whose email must match the invited address. The
// membership becomes active, teams apply, a main-admin invitation replaces
// the previous main admin, and the grants are delivered in the
// member.activated event. Tokens are single use.
func (d *Directory) AcceptInvitation(ctx context.Context, token string, id VerifiedIdentity) (Acceptance, error) {
	var out Acceptance
	email, err := NormalizeEmail(id.Email)
	if err != nil {
		return out, err
	}
	var seatErr *SeatLimitError
	var wsID string
	err = d.inTx(ctx, Actor{Kind: ActorUser, Name: id.Name, Source: "oidc"}, func(t *tx) error {
		var err error
		out, wsID, err = t.acceptInvitation(token, email, id)
		return err
	})
	if asSeatLimit(err, &seatErr) {
		d.notifySeatLimit(ctx, Actor{Kind: ActorUser, Source: "oidc"}, wsID, seatErr, email, "invitation acceptance")
	}
	return out, err
}

// acceptInvitation is AcceptInvitation in the caller's transaction, for a
// normalised email. It also returns the invitation's workspace id ("" for
// an unknown token): for a seat-limit notice, and for a sign-in that
// follows a link already used.
func (t *tx) acceptInvitation(token, email string, id VerifiedIdentity) (Acceptance, string, error) {
	var r invitationRow
	if err := t.byToken(&r, "invitations", invitationColumns, "invitation", token, true); err != nil {
		return Acceptance{}, "", err
	}
	switch {
	case r.Status == InvitationAccepted:
		return Acceptance{}, r.WorkspaceID, fmt.Errorf("invitation: %w", ErrUsed)
	case r.Status == InvitationRevoked:
		return Acceptance{}, r.WorkspaceID, fmt.Errorf("invitation: %w", ErrRevoked)
	}
	ws, err := t.workspace(r.WorkspaceID)
	if err != nil {
		return Acceptance{}, r.WorkspaceID, err
	}
	var userID string
	if err := t.get(&userID, `SELECT user_id FROM memberships WHERE id = ?`, r.MembershipID); err != nil {
		return Acceptance{}, r.WorkspaceID, fmt.Errorf("accept invitation: %w", err)
	}
	t.actor.ID = userID
	m, err := t.acceptInvitationRow(ws, &r, email, id)
	if err != nil {
		return Acceptance{}, r.WorkspaceID, err
	}
	return Acceptance{Member: *m, Workspace: ws.public(), Grants: json.RawMessage(r.Grants)}, r.WorkspaceID, nil
}

// acceptInvitationRow accepts a pending invitation (already locked by the
// caller) for a verified email: expiry and address checks, activation,
// and the invitation marked accepted. AcceptInvitation (with the link) and
// sign-in through the workspace's own IdP (without it) both end here.
func (t *tx) acceptInvitationRow(ws *workspaceRow, r *invitationRow, email string, id VerifiedIdentity) (*Member, error) {
	if !t.now.Before(r.ExpiresAt) {
		return nil, fmt.Errorf("invitation: %w", ErrExpired)
	}
	if r.Email != email {
		return nil, ErrEmailMismatch
	}
	m, err := t.activate(ws, r.MembershipID, activation{role: r.Role, teams: decodeStrings(r.Teams), mainAdmin: r.MainAdmin, grants: json.RawMessage(r.Grants), via: "invitation", viaID: r.ID, profile: id})
	if err != nil {
		return nil, err
	}
	if _, err := t.exec(`UPDATE invitations SET status = 'accepted', accepted_at = ?, updated_at = ? WHERE id = ?`, t.now, t.now, r.ID); err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	if err := t.emit(ws.ID, "invitation.accepted", "invitation", r.ID, map[string]string{"email": r.Email, "membership_id": m.ID}); err != nil {
		return nil, err
	}
	return m, nil
}

// activation says how a membership becomes active.
type activation struct {
	role      string
	teams     []string
	mainAdmin bool
	grants    json.RawMessage
	via       string
	viaID     string
	profile   VerifiedIdentity
}

// activate makes an existing (invited, removed or suspended-by-nobody)
// membership active with a seat check, applies teams and the main-admin
// flag, fills in an empty profile from the identity, and emits
// member.activated with the grants.
func (t *tx) activate(ws *workspaceRow, membershipID string, a activation) (*Member, error) {
	var cur membershipRow
	if err := t.get(&cur, `SELECT id, status, kind FROM memberships WHERE id = ?`+t.forUpdate(), membershipID); err != nil {
		return nil, notFound(err, "membership")
	}
	switch cur.Status {
	case StatusSuspended:
		return nil, t.suspendedError(ws.ID, cur.ID)
	case StatusActive:
	default:
		exclude := ""
		if cur.Status == StatusInvited {
			exclude = cur.ID
		}
		if err := t.claimSeat(ws, exclude); err != nil {
			return nil, err
		}
	}
	if _, err := t.exec(`UPDATE memberships SET status = 'active', role = ?, removed_at = NULL, updated_at = ?, version = version + 1 WHERE id = ?`, a.role, t.now, cur.ID); err != nil {
		return nil, fmt.Errorf("activate membership: %w", err)
	}
	for _, team := range a.teams {
		if err := t.addTeamMember(team, cur.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	if _, err := t.recomputeRole(ws.ID, cur.ID); err != nil {
		return nil, err
	}
	if a.mainAdmin {
		if err := t.makeMainAdmin(ws.ID, cur.ID); err != nil {
			return nil, err
		}
	}
	if a.profile.Name != "" || a.profile.Locale != "" {
		if _, err := t.exec(`UPDATE users SET name = CASE WHEN name = '' THEN ? ELSE name END, locale = CASE WHEN locale = '' THEN ? ELSE locale END
			WHERE id = (SELECT user_id FROM memberships WHERE id = ?)`, a.profile.Name, a.profile.Locale, cur.ID); err != nil {
			return nil, fmt.Errorf("fill profile: %w", err)
		}
	}
	m, err := t.member(ws.ID, cur.ID)
	if err != nil {
		return nil, err
	}
	grants := a.grants
	if len(grants) == 0 {
		grants = json.RawMessage("[]")
	}
	if err := t.emit(ws.ID, "member.activated", "member", m.ID, map[string]any{"user_id": m.UserID, "email": m.Email, "role": m.EffectiveRole,
		"kind": m.Kind, "via": a.via, "via_id": a.viaID, "teams": a.teams, "grants": grants}); err != nil {
		return nil, err
	}
	return m, nil
}

// addTeamMember adds a membership to a team of the same workspace; adding
// twice is a no-op.
func (t *tx) addTeamMember(teamID, membershipID string) error {
	var exists int
	err := t.get(&exists, `SELECT COUNT(*) FROM team_members WHERE team_id = ? AND membership_id = ?`, teamID, membershipID)
	if err != nil {
		return fmt.Errorf("add to team: %w", err)
	}
	if exists > 0 {
		return nil
	}
	var n int
	if err := t.get(&n, `SELECT COUNT(*) FROM teams t JOIN memberships m ON m.workspace_id = t.workspace_id WHERE t.id = ? AND m.id = ?`, teamID, membershipID); err != nil {
		return fmt.Errorf("add to team: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("team %s: %w", teamID, ErrNotFound)
	}
	if _, err := t.exec(`INSERT INTO team_members (team_id, membership_id, created_at) VALUES (?, ?, ?)`, teamID, membershipID, t.now); err != nil {
		return fmt.Errorf("add to team: %w", err)
	}
	return nil
}
