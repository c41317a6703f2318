package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
	"github.com/rosterhq/roster/event"
)

// OutboxDiscarded is the status of a message an operator gave up on: the
// claim takes only pending messages, so it is never sent.
const OutboxDiscarded = "discarded"

// OutboxFilter selects outbox messages for ListOutbox.
type OutboxFilter struct {
	// Workspace (id or slug) limits the listing to one workspace; only
	// the operator may leave it empty and see every workspace's.
	Workspace string
	// Status is pending, failed, sent, discarded or all (""): all.
	Status string
	// Kind is email, webhook or "" for both.
	Kind  string
	Limit int
	// After is a keyset cursor: messages with a smaller id come next
	// (the listing is newest first).
	After int64
}

// OutboxEntry is an outbox message as an operator sees it: what it is,
// to whom, and why it has not gone. It never carries an email's data
// (its links hold one-time tokens) nor anything of a webhook but its
// URL's host and the event type.
type OutboxEntry struct {
	ID            int64
	Kind          string
	WorkspaceID   string
	WorkspaceSlug string
	Status        string
	Attempts      int
	// NextAttemptAt is when a pending message is due (or its lease ends).
	NextAttemptAt *time.Time
	LastError     string
	CreatedAt     time.Time
	SentAt        *time.Time
	// Email messages.
	To       []string
	Template string
	// Webhook messages.
	WebhookID   string
	WebhookHost string
	EventType   string
}

// outboxRow is an outbox row joined with its workspace and webhook.
type outboxRow struct {
	ID            int64      `db:"id"`
	Kind          string     `db:"kind"`
	WorkspaceID   string     `db:"workspace_id"`
	WorkspaceSlug string     `db:"workspace_slug"`
	TargetID      string     `db:"target_id"`
	Status        string     `db:"status"`
	Attempts      int        `db:"attempts"`
	NextAttemptAt time.Time  `db:"next_attempt_at"`
	LastError     string     `db:"last_error"`
	Payload       string     `db:"payload"`
	CreatedAt     time.Time  `db:"created_at"`
	SentAt        *time.Time `db:"sent_at"`
	WebhookURL    *string    `db:"webhook_url"`
}

const outboxSelect = `SELECT o.id, o.kind, o.workspace_id, COALESCE(w.slug, '') AS workspace_slug, o.target_id, o.status, o.attempts,
	o.next_attempt_at, o.last_error, o.payload, o.created_at, o.sent_at, h.url AS webhook_url
	FROM outbox o LEFT JOIN workspaces w ON w.id = o.workspace_id
	LEFT JOIN webhooks h ON o.kind = 'webhook' AND h.id = o.target_id`

// entry decodes what may be shown of a row's payload.
func (r outboxRow) entry() OutboxEntry {
	e := OutboxEntry{ID: r.ID, Kind: r.Kind, WorkspaceID: r.WorkspaceID, WorkspaceSlug: r.WorkspaceSlug, Status: r.Status,
		Attempts: r.Attempts, LastError: r.LastError, CreatedAt: r.CreatedAt, SentAt: r.SentAt}
	if r.Status == "pending" {
		next := r.NextAttemptAt
		e.NextAttemptAt = &next
	}
	switch r.Kind {
	case store.OutboxEmail:
		var req store.EmailRequest
		if json.Unmarshal([]byte(r.Payload), &req) == nil {
			e.To, e.Template = req.To, req.Template
		}
	case store.OutboxWebhook:
		var ev event.Envelope
		if json.Unmarshal([]byte(r.Payload), &ev) == nil {
			e.EventType = ev.Type
		}
		e.WebhookID = r.TargetID
		if r.WebhookURL != nil {
			if u, err := url.Parse(*r.WebhookURL); err == nil {
				e.WebhookHost = u.Host
			}
		}
	}
	if e.To == nil && r.Kind == store.OutboxEmail {
		e.To = []string{}
	}
	return e
}

// outboxScope resolves who may see which outbox: the operator any
// workspace's (or all, when ref is empty), a workspace's owner only that
// workspace's. It returns the workspace id to filter on ("" for all).
func outboxScope(t *store.Tx, ref string) (string, error) {
	if ref == "" {
		if t.Actor.Kind != store.ActorOperator {
			return "", fmt.Errorf("%w: only the operator sees every workspace's outbox", store.ErrForbidden)
		}
		return "", nil
	}
	ws, p, err := t.Authorized(ref, store.PermConnectionsManage)
	if err != nil {
		return "", err
	}
	if !p.IsOwner() {
		return "", fmt.Errorf("%w: only a workspace's owners see its outbox", store.ErrForbidden)
	}
	return ws.ID, nil
}

// ListOutbox lists outbox messages newest first, with why each failed.
func (d *Outbox) ListOutbox(ctx context.Context, actor store.Actor, f OutboxFilter) ([]OutboxEntry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	out := []OutboxEntry{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		wsID, err := outboxScope(t, f.Workspace)
		if err != nil {
			return err
		}
		q := outboxSelect + ` WHERE 1 = 1`
		var args []any
		if wsID != "" {
			q += ` AND o.workspace_id = ?`
			args = append(args, wsID)
		}
		switch f.Status {
		case "", store.StatusAll:
		case "pending", "failed", "sent", OutboxDiscarded:
			q += ` AND o.status = ?`
			args = append(args, f.Status)
		default:
			return store.Invalidf("unknown outbox status %q (pending, failed, sent, discarded or all)", f.Status)
		}
		switch f.Kind {
		case "":
		case store.OutboxEmail, store.OutboxWebhook:
			q += ` AND o.kind = ?`
			args = append(args, f.Kind)
		default:
			return store.Invalidf("unknown outbox kind %q (email or webhook)", f.Kind)
		}
		if f.After > 0 {
			q += ` AND o.id < ?`
			args = append(args, f.After)
		}
		var rows []outboxRow
		if err := t.SelectRows(&rows, q+` ORDER BY o.id DESC LIMIT ?`, append(args, f.Limit)...); err != nil {
			return fmt.Errorf("list outbox: %w", err)
		}
		for _, r := range rows {
			out = append(out, r.entry())
		}
		return nil
	})
	return out, err
}

// managedOutbox loads one message the actor may act on; another
// workspace's is not found, so its existence does not leak.
func managedOutbox(t *store.Tx, workspace string, id int64) (outboxRow, error) {
	var r outboxRow
	if err := t.GetOne(&r, outboxSelect+` WHERE o.id = ?`, id); err != nil {
		return r, store.NotFound(err, fmt.Sprintf("outbox message %d", id))
	}
	if t.Actor.Kind == store.ActorOperator && workspace == "" {
		return r, nil
	}
	wsID, err := outboxScope(t, workspace)
	if err != nil {
		return r, err
	}
	if r.WorkspaceID != wsID {
		return r, fmt.Errorf("outbox message %d: %w", id, store.ErrNotFound)
	}
	return r, nil
}

// RetryOutbox makes a message that failed for good due now. Its attempts
// are kept, so a message that fails again is given up at once rather than
// retried for another round of backoff. Only failed messages are retried:
// a pending one may be in a sender's hands right now.
func (d *Outbox) RetryOutbox(ctx context.Context, actor store.Actor, workspace string, id int64) (OutboxEntry, error) {
	var out OutboxEntry
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		r, err := managedOutbox(t, workspace, id)
		if err != nil {
			return err
		}
		if r.Status != "failed" {
			return fmt.Errorf("%w: outbox message %d is %s; only failed messages are retried", store.ErrConflict, id, r.Status)
		}
		if key, lost := lostEmailLink(r); lost {
			return fmt.Errorf("%w: outbox message %d (%s email) lost its %s when it failed for good, since links can hold one-time tokens; it cannot be sent again (send a new invitation instead)",
				store.ErrConflict, id, r.Kind, key)
		}
		if _, err := t.Execute(`UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE id = ? AND status = 'failed'`, t.Now, id); err != nil {
			return fmt.Errorf("retry outbox message %d: %w", id, err)
		}
		r.Status, r.NextAttemptAt = "pending", t.Now
		out = r.entry()
		return nil
	})
	return out, err
}

// emailLinks are the templates whose data carries a link, by the data key
// directory writes it under (invitations.go, joinrequests.go, seats.go).
// The delivery worker drops those keys from a message given up for good,
// so such a message can no longer be rendered.
var emailLinks = map[string]string{
	"invitation":            "link",
	"join_request_accepted": "link",
	"seat_limit_reached":    "link",
	"join_request_filed":    "review_link",
}

// lostEmailLink reports whether an email's payload has lost the link its
// template needs, and which data key.
func lostEmailLink(r outboxRow) (string, bool) {
	if r.Kind != store.OutboxEmail {
		return "", false
	}
	var req store.EmailRequest
	if json.Unmarshal([]byte(r.Payload), &req) != nil {
		return "", false
	}
	key, ok := emailLinks[req.Template]
	if !ok {
		return "", false
	}
	_, has := req.Data[key]
	return key, !has
}

// DiscardOutbox gives a message up for good without sending it: pending
// or failed, it becomes discarded, which no sender claims. An email's
// data (its one-time links) is dropped with it.
func (d *Outbox) DiscardOutbox(ctx context.Context, actor store.Actor, workspace string, id int64) (OutboxEntry, error) {
	var out OutboxEntry
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		r, err := managedOutbox(t, workspace, id)
		if err != nil {
			return err
		}
		if r.Status != "pending" && r.Status != "failed" {
			return fmt.Errorf("%w: outbox message %d is %s; only pending or failed messages are discarded", store.ErrConflict, id, r.Status)
		}
		payload := r.Payload
		if r.Kind == store.OutboxEmail {
			var req store.EmailRequest
			if json.Unmarshal([]byte(r.Payload), &req) == nil {
				req.Data = map[string]string{}
				b, _ := json.Marshal(req)
				payload = string(b)
			}
		}
		if _, err := t.Execute(`UPDATE outbox SET status = ?, payload = ? WHERE id = ? AND status = ?`, OutboxDiscarded, payload, id, r.Status); err != nil {
			return fmt.Errorf("discard outbox message %d: %w", id, err)
		}
		r.Status = OutboxDiscarded
		out = r.entry()
		return nil
	})
	return out, err
}
