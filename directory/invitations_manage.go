package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

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
		teamNames, err := t.teamNamesJSON(ws.ID, decodeStrings(r.Teams))
		if err != nil {
			return out, err
		}
		if err := t.enqueueEmail(ws.ID, invitationEmail("invitation_resend", ws, r.Email, name, inviterName(p), role.Name, out.Link, expires, teamNames)); err != nil {
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
