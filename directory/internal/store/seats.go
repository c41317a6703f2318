package store

import (
	"context"
	"fmt"
	"time"
)

// ClaimSeat is called inside every grant (invite, accept, auto-join, join
// request, reactivate, SCIM) before the membership becomes invited or
// active. excludeMembershipID is the membership being changed, if it
// already holds a seat (accepting an invitation moves invited→active).
//
// On PostgreSQL the workspace row is locked (FOR NO KEY UPDATE, which
// does not conflict with the key-share locks that inserting rows which
// reference the workspace take, so it cannot deadlock with them), so concurrent grants in
// one workspace queue behind each other and can never together exceed the
// limit; SQLite's immediate transactions already serialise writers.
// Workspaces without a limit (or in a trial) take no lock.
//
// A grant that takes a new seat while the owners have been told the
// workspace is full ends that seat-limit episode (see notifySeatLimit): a
// seat must have freed up for it to succeed.
func (t *Tx) ClaimSeat(ws *WorkspaceRow, excludeMembershipID string) error {
	if ws.SeatLimit == nil || (ws.TrialEndsAt != nil && t.Now.Before(*ws.TrialEndsAt)) {
		return nil
	}
	var cur struct {
		Limit    *int `db:"seat_limit"`
		Episodes int  `db:"episodes"`
	}
	if err := t.GetOne(&cur, `SELECT seat_limit, (SELECT COUNT(*) FROM seat_limit_notices n WHERE n.workspace_id = workspaces.id) AS episodes
		FROM workspaces WHERE id = ?`+t.ForNoKeyUpdate(), ws.ID); err != nil {
		return fmt.Errorf("lock workspace for seats: %w", err)
	}
	if cur.Limit == nil {
		return nil
	}
	var used int
	if err := t.GetOne(&used, `SELECT COUNT(*) FROM memberships WHERE workspace_id = ? AND status IN ('active', 'invited') AND id <> ?`, ws.ID, excludeMembershipID); err != nil {
		return fmt.Errorf("count seats: %w", err)
	}
	if used >= *cur.Limit {
		return &SeatLimitError{Limit: *cur.Limit, Used: used}
	}
	if cur.Episodes > 0 {
		return t.endSeatEpisodeIfNewSeat(ws.ID, excludeMembershipID)
	}
	return nil
}

// endSeatEpisodeIfNewSeat ends the workspace's seat-limit episode when the
// grant being made takes a seat nobody held: the episode began with every
// seat taken, so one has freed up since. A membership that already holds
// its seat (an invitation being accepted) proves nothing.
func (t *Tx) endSeatEpisodeIfNewSeat(workspaceID, membershipID string) error {
	if membershipID != "" {
		var holds int
		if err := t.GetOne(&holds, `SELECT COUNT(*) FROM memberships WHERE id = ? AND status IN ('active', 'invited')`, membershipID); err != nil {
			return fmt.Errorf("seat of the membership: %w", err)
		}
		if holds > 0 {
			return nil
		}
	}
	return t.EndSeatEpisode(workspaceID)
}

// EndSeatEpisode closes the workspace's seat-limit episode, so that the
// next refusal emails the owners again. The seat limit changing calls it
// too.
func (t *Tx) EndSeatEpisode(workspaceID string) error {
	if _, err := t.Execute(`DELETE FROM seat_limit_notices WHERE workspace_id = ?`, workspaceID); err != nil {
		return fmt.Errorf("end seat-limit episode: %w", err)
	}
	return nil
}

// NotifySeatLimit tells the workspace's owners and admins that a grant was
// refused. It runs in its own transaction because the refused grant's
// transaction rolls back.
//
// They are emailed once per episode: the first refusal after the
// workspace filled up opens it by inserting the workspace's row of
// seat_limit_notices (ON CONFLICT DO NOTHING on its primary key, so of two
// replicas refusing at once exactly one inserts and emails; the other
// waits for it and inserts nothing), and it lasts until a seat
// frees up and is granted again or the seat limit changes (claimSeat,
// UpdateWorkspaceSettings). Every refusal is still an event; those of an
// open episode say the owners were not emailed again, and since when they
// know.
func (d *Store) NotifySeatLimit(ctx context.Context, actor Actor, workspaceID string, limit *SeatLimitError, email, source string) {
	err := d.InTx(ctx, actor, func(t *Tx) error {
		ws, err := t.Workspace(workspaceID)
		if err != nil {
			return err
		}
		opened, notifiedAt, err := t.openSeatEpisode(ws.ID)
		if err != nil {
			return err
		}
		if err := t.Emit(ws.ID, "seats.limit_reached", "workspace", ws.ID, seatLimitPayload(limit, email, source, opened, notifiedAt)); err != nil {
			return err
		}
		if !opened {
			return nil
		}
		to, err := t.emailsOfRoles(ws.ID, RoleOwner, RoleAdmin)
		if err != nil {
			return err
		}
		return t.EnqueueEmail(ws.ID, EmailRequest{Template: "seat_limit_reached", To: to, Data: map[string]string{
			"workspace": ws.Name, "seat_limit": fmt.Sprint(limit.Limit), "attempted_email": email, "source": source,
			"link": t.Store.PublicURL + "/workspaces/" + ws.Slug + "/seats"}})
	})
	if err != nil {
		d.Log.Error("notify seat limit", "workspace", workspaceID, "err", err)
	}
}

// openSeatEpisode opens the workspace's seat-limit episode unless one is
// open, and says whether it did and when the owners were (or are now)
// told. An episode that ends between the insert and the read (a seat
// granted meanwhile) is opened again, a few times at most.
func (t *Tx) openSeatEpisode(workspaceID string) (bool, time.Time, error) {
	for range 3 {
		res, err := t.Execute(`INSERT INTO seat_limit_notices (workspace_id, notified_at) VALUES (?, ?) ON CONFLICT (workspace_id) DO NOTHING`, workspaceID, t.Now)
		if err != nil {
			return false, time.Time{}, fmt.Errorf("open seat-limit episode: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return false, time.Time{}, fmt.Errorf("open seat-limit episode: %w", err)
		}
		if n > 0 {
			return true, t.Now, nil
		}
		var at []time.Time
		if err := t.SelectRows(&at, `SELECT notified_at FROM seat_limit_notices WHERE workspace_id = ?`, workspaceID); err != nil {
			return false, time.Time{}, fmt.Errorf("seat-limit episode: %w", err)
		}
		if len(at) > 0 {
			return false, at[0], nil
		}
	}
	return false, time.Time{}, fmt.Errorf("open seat-limit episode: it keeps ending while it opens")
}

// emailsOfRoles returns the addresses of active members holding any of roles.
func (t *Tx) emailsOfRoles(workspaceID string, roles ...string) ([]string, error) {
	query, args, err := InQuery(`SELECT u.email_norm FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.workspace_id = ? AND m.status = 'active' AND u.email_norm IS NOT NULL AND m.effective_role IN (?) ORDER BY u.email_norm`, workspaceID, roles)
	if err != nil {
		return nil, err
	}
	var out []string
	if err := t.SelectRows(&out, query, args...); err != nil {
		return nil, fmt.Errorf("find %v of workspace: %w", roles, err)
	}
	return out, nil
}
