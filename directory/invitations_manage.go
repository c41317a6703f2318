package directory

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// ListInvitations lists a workspace's invitations, newest first; status
// filters (pending, accepted, revoked, expired).
func (d *Directory) ListInvitations(ctx context.Context, actor store.Actor, workspace, status string, limit int) ([]store.Invitation, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	out := []store.Invitation{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		q := `SELECT ` + store.InvitationColumns + ` FROM invitations WHERE workspace_id = ?`
		args := []any{ws.ID}
		switch status {
		case "", store.StatusAll:
		case store.InvitationPending:
			q += ` AND status = 'pending' AND expires_at > ?`
			args = append(args, t.Now)
		case store.InvitationExpired:
			q += ` AND status = 'pending' AND expires_at <= ?`
			args = append(args, t.Now)
		case store.InvitationAccepted, store.InvitationRevoked:
			q += ` AND status = ?`
			args = append(args, status)
		default:
			return store.Invalidf("unknown invitation status %q (pending, accepted, revoked or expired)", status)
		}
		var rows []store.InvitationRow
		if err := t.SelectRows(&rows, q+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, limit)...); err != nil {
			return fmt.Errorf("list invitations: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].Public(t.Now))
		}
		return nil
	})
	return out, err
}

// ResendInvitation makes a new link for a pending or expired invitation:
// new token, new expiry, the old link stops working, and the email goes
// out again.
func (d *Directory) ResendInvitation(ctx context.Context, actor store.Actor, workspace, invitationID string) (store.InviteOutcome, error) {
	var out store.InviteOutcome
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		var role string
		if err := t.GetOne(&role, `SELECT role FROM invitations WHERE id = ? AND workspace_id = ?`, invitationID, ws.ID); err != nil {
			return store.NotFound(err, "invitation "+invitationID)
		}
		p, _, err := t.AuthorizeInvite(ws, role)
		if err != nil {
			return err
		}
		out, err = t.Resend(ws, invitationID, p)
		return err
	})
	return out, err
}

// RevokeInvitation revokes a pending invitation; its link stops working and
// the invited membership is removed, freeing its seat.
func (d *Directory) RevokeInvitation(ctx context.Context, actor store.Actor, workspace, invitationID string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		var r store.InvitationRow
		if err := t.GetOne(&r, `SELECT `+store.InvitationColumns+` FROM invitations WHERE id = ? AND workspace_id = ?`+t.ForUpdate(), invitationID, ws.ID); err != nil {
			return store.NotFound(err, "invitation "+invitationID)
		}
		if _, _, err := t.AuthorizeInvite(ws, r.Role); err != nil {
			return err
		}
		if r.Status != store.InvitationPending {
			return fmt.Errorf("%w: invitation is already %s", store.ErrConflict, r.Status)
		}
		if _, err := t.Execute(`UPDATE invitations SET status = 'revoked', updated_at = ? WHERE id = ?`, t.Now, r.ID); err != nil {
			return fmt.Errorf("revoke invitation: %w", err)
		}
		if _, err := t.Execute(`UPDATE memberships SET status = 'removed', removed_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND status = 'invited'`, t.Now, t.Now, r.MembershipID); err != nil {
			return fmt.Errorf("remove invited membership: %w", err)
		}
		if err := t.TouchTeamsOf(r.MembershipID); err != nil {
			return err
		}
		return t.Emit(ws.ID, "invitation.revoked", "invitation", r.ID, map[string]string{"email": r.Email, "membership_id": r.MembershipID})
	})
}
