package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Event is one change, appended in the transaction of the change itself.
type Event struct {
	ID          int64           `json:"id" db:"id"`
	WorkspaceID string          `json:"workspace_id" db:"workspace_id"`
	Type        string          `json:"type" db:"type"`
	ActorKind   string          `json:"actor_kind" db:"actor_kind"`
	ActorID     string          `json:"actor_id" db:"actor_id"`
	Source      string          `json:"source" db:"source"`
	SubjectKind string          `json:"subject_kind" db:"subject_kind"`
	SubjectID   string          `json:"subject_id" db:"subject_id"`
	Payload     json.RawMessage `json:"payload" db:"payload"`
	CreatedAt   time.Time       `json:"created_at" db:"created_at"`
}

// emit appends an event for the transaction's actor, and queues it for the
// workspace's webhooks that want it.
func (t *tx) emit(workspaceID, typ, subjectKind, subjectID string, payload any) error {
	ev, err := t.appendEvent(workspaceID, typ, subjectKind, subjectID, payload)
	if err != nil {
		return err
	}
	return t.enqueueWebhooks(ev)
}

// appendEvent inserts one event row and returns it as stored.
func (t *tx) appendEvent(workspaceID, typ, subjectKind, subjectID string, payload any) (Event, error) {
	body := []byte("{}")
	if payload != nil {
		var err error
		if body, err = json.Marshal(payload); err != nil {
			return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
		}
	}
	source := t.actor.Source
	if source == "" {
		source = string(t.actor.Kind)
	}
	ev := Event{WorkspaceID: workspaceID, Type: typ, ActorKind: string(t.actor.Kind), ActorID: t.actor.ID, Source: source,
		SubjectKind: subjectKind, SubjectID: subjectID, Payload: body, CreatedAt: t.now}
	err := t.get(&ev.ID, `INSERT INTO events (workspace_id, type, actor_kind, actor_id, source, subject_kind, subject_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		workspaceID, typ, ev.ActorKind, ev.ActorID, source, subjectKind, subjectID, string(body), t.now)
	if err != nil {
		return Event{}, fmt.Errorf("append %s event: %w", typ, err)
	}
	return ev, nil
}

// ListEvents returns up to limit events of a workspace with ids after
// `after`, oldest first. Reading events needs members.read.
func (d *Directory) ListEvents(ctx context.Context, actor Actor, workspace string, after int64, limit int) ([]Event, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var out []Event
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermMembersRead)
		if err != nil {
			return err
		}
		var rows []struct {
			Event
			Payload string `db:"payload"`
		}
		if err := t.selectRows(&rows, `SELECT id, workspace_id, type, actor_kind, actor_id, source, subject_kind, subject_id, payload, created_at
			FROM events WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, ws.ID, after, limit); err != nil {
			return fmt.Errorf("list events: %w", err)
		}
		out = make([]Event, len(rows))
		for i, r := range rows {
			out[i] = r.Event
			out[i].Payload = json.RawMessage(r.Payload)
		}
		return nil
	})
	return out, err
}
