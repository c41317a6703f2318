package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// Seats is a workspace's seat limit and usage. Active and invited members
// both hold a seat.
type Seats struct {
	Limit       *int
	Used        int
	Active      int
	Invited     int
	Suspended   int
	TrialEndsAt *time.Time
	// Enforced is false while a trial runs.
	Enforced bool
}

func equalInt(a, b *int) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// SeatUsage reports the seat limit and how many seats are in use.
func (d *Directory) SeatUsage(ctx context.Context, actor store.Actor, workspace string) (Seats, error) {
	var s Seats
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		var rows []struct {
			Status string `db:"status"`
			N      int    `db:"n"`
		}
		if err := t.SelectRows(&rows, `SELECT status, COUNT(*) AS n FROM memberships WHERE workspace_id = ? GROUP BY status`, ws.ID); err != nil {
			return fmt.Errorf("count seats: %w", err)
		}
		for _, r := range rows {
			switch r.Status {
			case store.StatusActive:
				s.Active = r.N
			case store.StatusInvited:
				s.Invited = r.N
			case store.StatusSuspended:
				s.Suspended = r.N
			}
		}
		s.Used = s.Active + s.Invited
		s.Limit, s.TrialEndsAt = ws.SeatLimit, ws.TrialEndsAt
		s.Enforced = ws.SeatLimit != nil && (ws.TrialEndsAt == nil || !t.Now.Before(*ws.TrialEndsAt))
		return nil
	})
	return s, err
}
