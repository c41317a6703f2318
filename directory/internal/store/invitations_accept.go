package store

import (
	"encoding/json"
	"errors"
	"fmt"
)

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

// AcceptInvitation is AcceptInvitation in the caller's transaction, for a
// normalised email. It also returns the invitation's workspace id ("" for
// an unknown token): for a seat-limit notice, and for a sign-in that
// follows a link already used.
func (t *Tx) AcceptInvitation(token, email string, id VerifiedIdentity) (Acceptance, string, error) {
	var r InvitationRow
	if err := t.ByToken(&r, "invitations", InvitationColumns, "invitation", token, true); err != nil {
		return Acceptance{}, "", err
	}
	switch {
	case r.Status == InvitationAccepted:
		return Acceptance{}, r.WorkspaceID, fmt.Errorf("invitation: %w", ErrUsed)
	case r.Status == InvitationRevoked:
		return Acceptance{}, r.WorkspaceID, fmt.Errorf("invitation: %w", ErrRevoked)
	}
	ws, err := t.Workspace(r.WorkspaceID)
	if err != nil {
		return Acceptance{}, r.WorkspaceID, err
	}
	var userID string
	if err := t.GetOne(&userID, `SELECT user_id FROM memberships WHERE id = ?`, r.MembershipID); err != nil {
		return Acceptance{}, r.WorkspaceID, fmt.Errorf("accept invitation: %w", err)
	}
	t.Actor.ID = userID
	m, err := t.AcceptInvitationRow(ws, &r, email, id)
	if err != nil {
		return Acceptance{}, r.WorkspaceID, err
	}
	return Acceptance{Member: *m, Workspace: ws.Public(), Grants: json.RawMessage(r.Grants)}, r.WorkspaceID, nil
}

// AcceptInvitationRow accepts a pending invitation (already locked by the
// caller) for a verified email: expiry and address checks, activation,
// and the invitation marked accepted. AcceptInvitation (with the link) and
// sign-in through the workspace's own IdP (without it) both end here.
func (t *Tx) AcceptInvitationRow(ws *WorkspaceRow, r *InvitationRow, email string, id VerifiedIdentity) (*Member, error) {
	if !t.Now.Before(r.ExpiresAt) {
		return nil, fmt.Errorf("invitation: %w", ErrExpired)
	}
	if r.Email != email {
		return nil, ErrEmailMismatch
	}
	m, err := t.Activate(ws, r.MembershipID, Activation{Role: r.Role, teams: DecodeStrings(r.Teams), mainAdmin: r.MainAdmin, grants: json.RawMessage(r.Grants), Via: "invitation", ViaID: r.ID, profile: id})
	if err != nil {
		return nil, err
	}
	if _, err := t.Execute(`UPDATE invitations SET status = 'accepted', accepted_at = ?, updated_at = ? WHERE id = ?`, t.Now, t.Now, r.ID); err != nil {
		return nil, fmt.Errorf("accept invitation: %w", err)
	}
	if err := t.Emit(ws.ID, "invitation.accepted", "invitation", r.ID, map[string]string{"email": r.Email, "membership_id": m.ID}); err != nil {
		return nil, err
	}
	return m, nil
}

// Activation says how a membership becomes active.
type Activation struct {
	Role      string
	teams     []string
	mainAdmin bool
	grants    json.RawMessage
	Via       string
	ViaID     string
	profile   VerifiedIdentity
}

// Activate makes an existing (invited, removed or suspended-by-nobody)
// membership active with a seat check, applies teams and the main-admin
// flag, fills in an empty profile from the identity, and emits
// member.activated with the grants.
func (t *Tx) Activate(ws *WorkspaceRow, membershipID string, a Activation) (*Member, error) {
	var cur MembershipRow
	if err := t.GetOne(&cur, `SELECT id, status, kind FROM memberships WHERE id = ?`+t.ForUpdate(), membershipID); err != nil {
		return nil, NotFound(err, "membership")
	}
	switch cur.Status {
	case StatusSuspended:
		return nil, t.SuspendedError(ws.ID, cur.ID)
	case StatusActive:
	default:
		exclude := ""
		if cur.Status == StatusInvited {
			exclude = cur.ID
		}
		if err := t.ClaimSeat(ws, exclude); err != nil {
			return nil, err
		}
	}
	if _, err := t.Execute(`UPDATE memberships SET status = 'active', role = ?, removed_at = NULL, updated_at = ?, version = version + 1 WHERE id = ?`, a.Role, t.Now, cur.ID); err != nil {
		return nil, fmt.Errorf("activate membership: %w", err)
	}
	for _, team := range a.teams {
		if err := t.addTeamMember(team, cur.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	if _, err := t.RecomputeRole(ws.ID, cur.ID); err != nil {
		return nil, err
	}
	if a.mainAdmin {
		if err := t.MakeMainAdmin(ws.ID, cur.ID); err != nil {
			return nil, err
		}
	}
	if a.profile.Name != "" || a.profile.Locale != "" {
		if _, err := t.Execute(`UPDATE users SET name = CASE WHEN name = '' THEN ? ELSE name END, locale = CASE WHEN locale = '' THEN ? ELSE locale END
			WHERE id = (SELECT user_id FROM memberships WHERE id = ?)`, a.profile.Name, a.profile.Locale, cur.ID); err != nil {
			return nil, fmt.Errorf("fill profile: %w", err)
		}
	}
	m, err := t.Member(ws.ID, cur.ID)
	if err != nil {
		return nil, err
	}
	grants := a.grants
	if len(grants) == 0 {
		grants = json.RawMessage("[]")
	}
	if err := t.Emit(ws.ID, "member.activated", "member", m.ID, map[string]any{"user_id": m.UserID, "email": m.Email, "role": m.EffectiveRole,
		"kind": m.Kind, "via": a.Via, "via_id": a.ViaID, "teams": a.teams, "grants": grants}); err != nil {
		return nil, err
	}
	return m, nil
}

// addTeamMember adds a membership to a team of the same workspace; adding
// twice is a no-op.
func (t *Tx) addTeamMember(teamID, membershipID string) error {
	var exists int
	err := t.GetOne(&exists, `SELECT COUNT(*) FROM team_members WHERE team_id = ? AND membership_id = ?`, teamID, membershipID)
	if err != nil {
		return fmt.Errorf("add to team: %w", err)
	}
	if exists > 0 {
		return nil
	}
	var n int
	if err := t.GetOne(&n, `SELECT COUNT(*) FROM teams t JOIN memberships m ON m.workspace_id = t.workspace_id WHERE t.id = ? AND m.id = ?`, teamID, membershipID); err != nil {
		return fmt.Errorf("add to team: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("team %s: %w", teamID, ErrNotFound)
	}
	if _, err := t.Execute(`INSERT INTO team_members (team_id, membership_id, created_at) VALUES (?, ?, ?)`, teamID, membershipID, t.Now); err != nil {
		return fmt.Errorf("add to team: %w", err)
	}
	return nil
}
