package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Event is one change, appended in the transaction of the change itself.
type Event struct {
	ID          int64           `db:"id"`
	WorkspaceID string          `db:"workspace_id"`
	Type        string          `db:"type"`
	ActorKind   string          `db:"actor_kind"`
	ActorID     string          `db:"actor_id"`
	Source      string          `db:"source"`
	SubjectKind string          `db:"subject_kind"`
	SubjectID   string          `db:"subject_id"`
	Payload     json.RawMessage `db:"payload"`
	CreatedAt   time.Time       `db:"created_at"`
}

// emit records an event for the transaction's actor, and queues it for the
// workspace's webhooks that want it. The event is written when the
// transaction commits (flushEvents), in the same transaction, so it still
// commits or rolls back with the change; buffering lets a transaction
// that emits several events write them in one statement and look the
// webhooks up once instead of once per event.
func (t *tx) emit(workspaceID, typ, subjectKind, subjectID string, payload any) error {
	ev, err := t.newEvent(workspaceID, typ, subjectKind, subjectID, payload)
	if err != nil {
		return err
	}
	t.events = append(t.events, ev)
	return nil
}

// newEvent builds an event of the transaction's actor, not yet stored.
func (t *tx) newEvent(workspaceID, typ, subjectKind, subjectID string, payload any) (Event, error) {
	if err := checkPayload(typ, payload); err != nil {
		return Event{}, err
	}
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
	return Event{WorkspaceID: workspaceID, Type: typ, ActorKind: string(t.actor.Kind), ActorID: t.actor.ID, Source: source,
		SubjectKind: subjectKind, SubjectID: subjectID, Payload: body, CreatedAt: t.now}, nil
}

// appendEvent inserts one event row at once and returns it as stored.
// Events emitted earlier in the transaction are written first, so ids stay
// in emit order.
func (t *tx) appendEvent(workspaceID, typ, subjectKind, subjectID string, payload any) (Event, error) {
	if err := t.flushEvents(); err != nil {
		return Event{}, err
	}
	ev, err := t.newEvent(workspaceID, typ, subjectKind, subjectID, payload)
	if err != nil {
		return Event{}, err
	}
	// insertEvents sets the id on the slice's copy: return that one.
	evs := []Event{ev}
	if err := t.insertEvents(evs); err != nil {
		return Event{}, err
	}
	return evs[0], nil
}

// eventsPerInsert bounds the rows of one multi-row event insert (9
// parameters each), far below both databases' parameter limits.
const eventsPerInsert = 100

// flushEvents writes the events emitted so far and queues them for
// webhooks; runTx calls it before committing.
func (t *tx) flushEvents() error {
	if len(t.events) == 0 {
		return nil
	}
	evs := t.events
	t.events = nil
	if err := t.insertEvents(evs); err != nil {
		return err
	}
	return t.enqueueWebhooks(evs)
}

// eventsInsert is a multi-row INSERT of evs (without RETURNING) and its
// arguments.
func eventsInsert(evs []Event) (string, []any) {
	var b strings.Builder
	b.WriteString(`INSERT INTO events (workspace_id, type, actor_kind, actor_id, source, subject_kind, subject_id, payload, created_at) VALUES `)
	args := make([]any, 0, 9*len(evs))
	for i, ev := range evs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
		args = append(args, ev.WorkspaceID, ev.Type, ev.ActorKind, ev.ActorID, ev.Source, ev.SubjectKind, ev.SubjectID, string(ev.Payload), ev.CreatedAt)
	}
	return b.String(), args
}

// setEventIDs gives evs the ids their insert returned. Ids come from one
// sequence (PostgreSQL) or AUTOINCREMENT (SQLite) in row order;
// RETURNING's row order is not promised, so the ids are sorted and
// assigned in order, keeping id order = emit order.
func setEventIDs(evs []Event, ids []int64) error {
	if len(ids) != len(evs) {
		return fmt.Errorf("append events: %d ids for %d events", len(ids), len(evs))
	}
	slices.Sort(ids)
	for i := range evs {
		evs[i].ID = ids[i]
	}
	return nil
}

// insertEvents inserts events with multi-row INSERTs and sets their ids.
func (t *tx) insertEvents(evs []Event) error {
	for start := 0; start < len(evs); start += eventsPerInsert {
		chunk := evs[start:min(start+eventsPerInsert, len(evs))]
		q, args := eventsInsert(chunk)
		var ids []int64
		if err := t.selectRows(&ids, q+` RETURNING id`, args...); err != nil {
			return fmt.Errorf("append %s event: %w", chunk[0].Type, err)
		}
		if err := setEventIDs(chunk, ids); err != nil {
			return err
		}
	}
	return nil
}

// ListEvents returns up to limit events of a workspace with ids after
// `after`, oldest first: the audit view of what has committed, available at
// once. On PostgreSQL an id can commit after a larger one, so a consumer
// that resumes from a position must read Feed instead, which waits for
// that. Reading events needs members.read.
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
