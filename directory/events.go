package directory

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// ListEvents returns up to limit events of a workspace with ids after
// `after`, oldest first: the audit view of what has committed, available at
// once. On PostgreSQL an id can commit after a larger one, so a consumer
// that resumes from a position must read Feed instead, which waits for
// that. Reading events needs members.read.
func (d *Directory) ListEvents(ctx context.Context, actor store.Actor, workspace string, after int64, limit int) ([]store.Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []store.Event
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		var rows []struct {
			store.Event
			Payload string `db:"payload"`
		}
		if err := t.SelectRows(&rows, `SELECT id, workspace_id, type, actor_kind, actor_id, source, subject_kind, subject_id, payload, created_at
			FROM events WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, ws.ID, after, limit); err != nil {
			return fmt.Errorf("list events: %w", err)
		}
		out = make([]store.Event, len(rows))
		for i, r := range rows {
			out[i] = r.Event
			out[i].Payload = json.RawMessage(r.Payload)
		}
		return nil
	})
	return out, err
}
