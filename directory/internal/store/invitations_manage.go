package store

import (
	"encoding/json"
	"fmt"
	"time"
)

type InvitationRow struct {
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

const InvitationColumns = `id, workspace_id, membership_id, email_norm, role, teams, grants, inviter_kind, inviter_id, inviter_name, expires_at, status, send_email, main_admin, resend_count, created_at, updated_at, accepted_at`

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

func (r *InvitationRow) Public(now time.Time) Invitation {
	status := r.Status
	if status == InvitationPending && !now.Before(r.ExpiresAt) {
		status = InvitationExpired
	}
	return Invitation{ID: r.ID, WorkspaceID: r.WorkspaceID, MembershipID: r.MembershipID, Email: r.Email, Role: r.Role,
		Teams: DecodeStrings(r.Teams), Grants: json.RawMessage(r.Grants), InviterName: r.InviterName, ExpiresAt: r.ExpiresAt,
		Status: status, SendEmail: r.SendEmail, MainAdmin: r.MainAdmin, ResendCount: r.ResendCount, CreatedAt: r.CreatedAt, AcceptedAt: r.AcceptedAt}
}

func (t *Tx) Resend(ws *WorkspaceRow, invitationID string, p Principal) (InviteOutcome, error) {
	var r InvitationRow
	if err := t.GetOne(&r, `SELECT `+InvitationColumns+` FROM invitations WHERE id = ? AND workspace_id = ?`+t.ForUpdate(), invitationID, ws.ID); err != nil {
		return InviteOutcome{}, NotFound(err, "invitation "+invitationID)
	}
	if r.Status != InvitationPending {
		return InviteOutcome{}, fmt.Errorf("%w: invitation is %s; only pending or expired invitations can be resent", ErrConflict, r.Status)
	}
	token, hash := NewToken()
	expires := t.Now.Add(time.Duration(ws.InvitationTTLSeconds) * time.Second)
	if _, err := t.Execute(`UPDATE invitations SET token_hash = ?, expires_at = ?, resend_count = resend_count + 1, updated_at = ? WHERE id = ?`, hash, expires, t.Now, r.ID); err != nil {
		return InviteOutcome{}, fmt.Errorf("resend invitation: %w", err)
	}
	var kind, name string
	if err := t.GetOne(&kind, `SELECT kind FROM memberships WHERE id = ?`, r.MembershipID); err != nil {
		return InviteOutcome{}, fmt.Errorf("resend invitation: %w", err)
	}
	t.GetOne(&name, `SELECT u.name FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.id = ?`, r.MembershipID)
	out := InviteOutcome{Email: r.Email, Status: OutcomeResent, Kind: kind, MembershipID: r.MembershipID, InvitationID: r.ID, Token: token, Link: t.Store.InvitationLink(token)}
	if err := t.Emit(ws.ID, "invitation.resent", "invitation", r.ID, map[string]any{"email": r.Email, "resend_count": r.ResendCount + 1}); err != nil {
		return out, err
	}
	if r.SendEmail {
		role, err := t.Role(ws.ID, r.Role)
		if err != nil {
			role = Role{Name: r.Role}
		}
		teamNames, err := t.teamNamesJSON(ws.ID, DecodeStrings(r.Teams))
		if err != nil {
			return out, err
		}
		if err := t.EnqueueEmail(ws.ID, invitationEmail("invitation_resend", ws, r.Email, name, inviterName(p), role.Name, out.Link, expires, teamNames)); err != nil {
			return out, err
		}
	}
	return out, nil
}
