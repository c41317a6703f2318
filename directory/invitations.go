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
		teamNames, err := t.teamNamesJSON(ws.ID, s.teams)
		if err != nil {
			return out, err
		}
		if err := t.enqueueEmail(ws.ID, invitationEmail("invitation", ws, s.email, u.Name, inviterName(p), s.role.Name, out.Link, expires, teamNames)); err != nil {
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

// invitationEmail is the invitation (or its reminder); teams is the
// names of the teams it adds the person to, as teamNamesJSON makes it.
func invitationEmail(template string, ws *workspaceRow, to, name, inviter, role, link string, expires time.Time, teams string) EmailRequest {
	req := EmailRequest{Template: template, To: []string{to}, Data: map[string]string{
		"workspace": ws.Name, "inviter": inviter, "role": role, "link": link,
		"expires": expires.UTC().Format(time.RFC3339), "recipient_name": name}}
	if teams != "" {
		req.Data["teams"] = teams
	}
	return req
}
