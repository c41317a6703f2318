package store

import (
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

// Emit records an event for the transaction's actor, and queues it for the
// workspace's webhooks that want it. The event is written when the
// transaction commits (flushEvents), in the same transaction, so it still
// commits or rolls back with the change; buffering lets a transaction
// that emits several events write them in one statement and look the
// webhooks up once instead of once per event.
func (t *Tx) Emit(workspaceID, typ, subjectKind, subjectID string, payload any) error {
	ev, err := t.NewEvent(workspaceID, typ, subjectKind, subjectID, payload)
	if err != nil {
		return err
	}
	t.events = append(t.events, ev)
	return nil
}

// NewEvent builds an event of the transaction's actor, not yet stored.
func (t *Tx) NewEvent(workspaceID, typ, subjectKind, subjectID string, payload any) (Event, error) {
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
	source := t.Actor.Source
	if source == "" {
		source = string(t.Actor.Kind)
	}
	return Event{WorkspaceID: workspaceID, Type: typ, ActorKind: string(t.Actor.Kind), ActorID: t.Actor.ID, Source: source,
		SubjectKind: subjectKind, SubjectID: subjectID, Payload: body, CreatedAt: t.Now}, nil
}

// eventsPerInsert bounds the rows of one multi-row event insert (9
// parameters each), far below both databases' parameter limits.
const eventsPerInsert = 100

// FlushEvents writes the events emitted so far and queues them for
// webhooks; runTx calls it before committing.
func (t *Tx) FlushEvents() error {
	if len(t.events) == 0 {
		return nil
	}
	evs := t.events
	t.events = nil
	if err := t.InsertEvents(evs); err != nil {
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

// InsertEvents inserts events with multi-row INSERTs and sets their ids.
func (t *Tx) InsertEvents(evs []Event) error {
	for start := 0; start < len(evs); start += eventsPerInsert {
		chunk := evs[start:min(start+eventsPerInsert, len(evs))]
		q, args := eventsInsert(chunk)
		var ids []int64
		if err := t.SelectRows(&ids, q+` RETURNING id`, args...); err != nil {
			return fmt.Errorf("append %s event: %w", chunk[0].Type, err)
		}
		if err := setEventIDs(chunk, ids); err != nil {
			return err
		}
	}
	return nil
}
