package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

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
	id = id.storable()
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
