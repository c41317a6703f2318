package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
	"github.com/rosterhq/roster/event"
)

// MaxWebhooks is how many webhooks one workspace may register.
const MaxWebhooks = 25

// Webhook is an endpoint that receives a workspace's events, signed with a
// secret the directory keeps sealed (never returned).
type Webhook struct {
	ID          string
	WorkspaceID string
	URL         string
	Description string
	EventTypes  []string
	Active      bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

type webhookRow struct {
	ID           string    `db:"id"`
	WorkspaceID  string    `db:"workspace_id"`
	URL          string    `db:"url"`
	Description  string    `db:"description"`
	SecretSealed string    `db:"secret_sealed"`
	EventTypes   string    `db:"event_types"`
	Active       bool      `db:"active"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
}

const webhookColumns = `id, workspace_id, url, description, secret_sealed, event_types, active, created_at, updated_at`

func (r *webhookRow) public() Webhook {
	return Webhook{ID: r.ID, WorkspaceID: r.WorkspaceID, URL: r.URL, Description: r.Description,
		EventTypes: store.DecodeStrings(r.EventTypes), Active: r.Active, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// WebhookRequest registers a webhook.
type WebhookRequest struct {
	URL         string
	Description string
	// EventTypes are event types ("member.activated"), prefixes
	// ("member.*") or "*" for everything; empty means everything.
	EventTypes []string
	// SealedSecret is the signing secret sealed with WebhookSecretPurpose
	// (check the plain secret with ValidateWebhookSecret first).
	SealedSecret string
	// Active defaults to true.
	Active *bool
}

// WebhookUpdate changes a webhook; nil fields are left alone.
type WebhookUpdate struct {
	URL          *string
	Description  *string
	EventTypes   []string
	SealedSecret *string
	Active       *bool
}

// validateWebhookURL accepts absolute http(s) URLs without credentials;
// where they may point (private networks) is the delivery's policy.
func validateWebhookURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", store.Invalidf("a webhook needs a URL")
	}
	if len(raw) > 2048 {
		return "", store.Invalidf("webhook URL is longer than 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" {
		return "", store.Invalidf("webhook URL %q must be an absolute http:// or https:// URL", raw)
	}
	if u.User != nil {
		return "", store.Invalidf("webhook URL must not carry a user name or password; deliveries are signed instead")
	}
	if u.Fragment != "" {
		return "", store.Invalidf("webhook URL must not have a #fragment")
	}
	return u.String(), nil
}

// CreateWebhook registers a webhook; events committed from now on that
// match its types are delivered to it. It needs connections.manage.
func (d *Outbox) CreateWebhook(ctx context.Context, actor store.Actor, workspace string, req WebhookRequest) (Webhook, error) {
	var out Webhook
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		row := webhookRow{ID: store.NewID(), WorkspaceID: ws.ID, Description: strings.TrimSpace(req.Description), SecretSealed: req.SealedSecret,
			Active: req.Active == nil || *req.Active, CreatedAt: t.Now, UpdatedAt: t.Now}
		if row.URL, err = validateWebhookURL(req.URL); err != nil {
			return err
		}
		if len(row.Description) > 500 {
			return store.Invalidf("webhook description is longer than 500 characters")
		}
		if row.SecretSealed == "" {
			return store.Invalidf("a webhook needs a signing secret")
		}
		types, err := store.NormalizeEventTypes(req.EventTypes)
		if err != nil {
			return err
		}
		b, _ := json.Marshal(types)
		row.EventTypes = string(b)
		var n int
		if err := t.GetOne(&n, `SELECT COUNT(*) FROM webhooks WHERE workspace_id = ?`, ws.ID); err != nil {
			return fmt.Errorf("count webhooks: %w", err)
		}
		if n >= MaxWebhooks {
			return fmt.Errorf("%w: a workspace may have at most %d webhooks; delete one first", store.ErrConflict, MaxWebhooks)
		}
		if _, err := t.Execute(`INSERT INTO webhooks (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			row.ID, row.WorkspaceID, row.URL, row.Description, row.SecretSealed, row.EventTypes, row.Active, row.CreatedAt, row.UpdatedAt); err != nil {
			return fmt.Errorf("create webhook: %w", err)
		}
		out = row.public()
		return t.Emit(ws.ID, "webhook.created", "webhook", row.ID, webhookPayload(out))
	})
	return out, err
}

// managedWebhook loads one webhook of a workspace whose webhooks the actor
// may manage (connections.manage).
func managedWebhook(t *store.Tx, workspace, id string) (*webhookRow, error) {
	ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
	if err != nil {
		return nil, err
	}
	var r webhookRow
	if err := t.GetOne(&r, `SELECT `+webhookColumns+` FROM webhooks WHERE workspace_id = ? AND id = ?`, ws.ID, id); err != nil {
		return nil, store.NotFound(err, "webhook "+id)
	}
	return &r, nil
}

// UpdateWebhook changes a webhook's URL, description, types, secret or
// active switch.
func (d *Outbox) UpdateWebhook(ctx context.Context, actor store.Actor, workspace, id string, u WebhookUpdate) (Webhook, error) {
	var out Webhook
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		row, err := managedWebhook(t, workspace, id)
		if err != nil {
			return err
		}
		changed := map[string]any{}
		if u.URL != nil {
			if row.URL, err = validateWebhookURL(*u.URL); err != nil {
				return err
			}
			changed["url"] = row.URL
		}
		if u.Description != nil {
			row.Description = strings.TrimSpace(*u.Description)
			if len(row.Description) > 500 {
				return store.Invalidf("webhook description is longer than 500 characters")
			}
			changed["description"] = row.Description
		}
		if u.EventTypes != nil {
			types, err := store.NormalizeEventTypes(u.EventTypes)
			if err != nil {
				return err
			}
			b, _ := json.Marshal(types)
			row.EventTypes = string(b)
			changed["event_types"] = types
		}
		if u.SealedSecret != nil {
			if *u.SealedSecret == "" {
				return store.Invalidf("a webhook needs a signing secret")
			}
			row.SecretSealed = *u.SealedSecret
			changed["secret_rotated"] = true
		}
		if u.Active != nil {
			row.Active = *u.Active
			changed["active"] = row.Active
		}
		row.UpdatedAt = t.Now
		if _, err := t.Execute(`UPDATE webhooks SET url = ?, description = ?, secret_sealed = ?, event_types = ?, active = ?, updated_at = ? WHERE id = ?`,
			row.URL, row.Description, row.SecretSealed, row.EventTypes, row.Active, row.UpdatedAt, row.ID); err != nil {
			return fmt.Errorf("update webhook: %w", err)
		}
		out = row.public()
		return t.Emit(row.WorkspaceID, "webhook.updated", "webhook", row.ID, changed)
	})
	return out, err
}

// DeleteWebhook deletes a webhook with its delivery log; deliveries still
// queued for it are dropped.
func (d *Outbox) DeleteWebhook(ctx context.Context, actor store.Actor, workspace, id string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		row, err := managedWebhook(t, workspace, id)
		if err != nil {
			return err
		}
		if _, err := t.Execute(`DELETE FROM webhooks WHERE id = ?`, row.ID); err != nil {
			return fmt.Errorf("delete webhook: %w", err)
		}
		if _, err := t.Execute(`UPDATE outbox SET status = 'failed', last_error = 'webhook deleted' WHERE kind = 'webhook' AND target_id = ? AND status = 'pending'`, row.ID); err != nil {
			return fmt.Errorf("drop queued deliveries: %w", err)
		}
		return t.Emit(row.WorkspaceID, "webhook.deleted", "webhook", row.ID, map[string]string{"url": row.URL})
	})
}

// GetWebhook returns one webhook.
func (d *Outbox) GetWebhook(ctx context.Context, actor store.Actor, workspace, id string) (Webhook, error) {
	var out Webhook
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		row, err := managedWebhook(t, workspace, id)
		if err != nil {
			return err
		}
		out = row.public()
		return nil
	})
	return out, err
}

// ListWebhooks lists a workspace's webhooks, oldest first.
func (d *Outbox) ListWebhooks(ctx context.Context, actor store.Actor, workspace string) ([]Webhook, error) {
	out := []Webhook{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		var rows []webhookRow
		if err := t.SelectRows(&rows, `SELECT `+webhookColumns+` FROM webhooks WHERE workspace_id = ? ORDER BY created_at, id`, ws.ID); err != nil {
			return fmt.Errorf("list webhooks: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].public())
		}
		return nil
	})
	return out, err
}

// PingWebhook sends a webhook.ping event to one webhook only, so an admin
// can check the receiver and its signature verification.
func (d *Outbox) PingWebhook(ctx context.Context, actor store.Actor, workspace, id string) (store.Event, error) {
	var ev store.Event
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		row, err := managedWebhook(t, workspace, id)
		if err != nil {
			return err
		}
		if ev, err = appendEvent(t, row.WorkspaceID, store.PingEvent, "webhook", row.ID, map[string]string{"url": row.URL}); err != nil {
			return err
		}
		return t.Enqueue(row.WorkspaceID, store.OutboxWebhook, row.ID, store.Envelope(ev))
	})
	return ev, err
}

// WebhookTarget is what the delivery handler needs to send to a webhook.
type WebhookTarget struct {
	ID           string `db:"id"`
	WorkspaceID  string `db:"workspace_id"`
	URL          string `db:"url"`
	SecretSealed string `db:"secret_sealed"`
	Active       bool   `db:"active"`
}

// WebhookTarget loads a webhook for delivery. It takes no actor: the
// outbox worker acts for Roster itself. A deleted webhook is ErrNotFound.
func (d *Outbox) WebhookTarget(ctx context.Context, id string) (WebhookTarget, error) {
	var out WebhookTarget
	err := d.SQL.GetContext(ctx, &out, d.SQL.Rebind(`SELECT id, workspace_id, url, secret_sealed, active FROM webhooks WHERE id = ?`), id)
	if err != nil {
		return out, store.NotFound(err, "webhook "+id)
	}
	return out, nil
}

// WebhookAttempt is one delivery attempt in a webhook's delivery log.
type WebhookAttempt struct {
	ID         int64     `db:"id"`
	WebhookID  string    `db:"webhook_id"`
	OutboxID   int64     `db:"outbox_id"`
	EventID    int64     `db:"event_id"`
	EventType  string    `db:"event_type"`
	Attempt    int       `db:"attempt"`
	Delivered  bool      `db:"delivered"`
	StatusCode int       `db:"status_code"`
	Error      string    `db:"error"`
	DurationMS int64     `db:"duration_ms"`
	CreatedAt  time.Time `db:"created_at"`
}

// RecordWebhookAttempt appends one attempt to the delivery log; the
// delivery handler calls it for every attempt, successful or not.
// a.Attempt is ignored: the log numbers attempts itself.
func (d *Outbox) RecordWebhookAttempt(ctx context.Context, a WebhookAttempt) error {
	return d.InTx(ctx, store.System(), func(t *store.Tx) error {
		if len(a.Error) > 1000 {
			a.Error = a.Error[:1000]
		}
		// Attempts are numbered per delivery from the log itself, so a
		// delivery queued again by RedeliverWebhook keeps counting.
		_, err := t.Execute(`INSERT INTO webhook_attempts (webhook_id, workspace_id, outbox_id, event_id, event_type, attempt, delivered, status_code, error, duration_ms, created_at)
			SELECT id, workspace_id, ?, ?, ?, (SELECT COUNT(*) + 1 FROM webhook_attempts WHERE outbox_id = ?), ?, ?, ?, ?, ? FROM webhooks WHERE id = ?`,
			a.OutboxID, a.EventID, a.EventType, a.OutboxID, a.Delivered, a.StatusCode, a.Error, a.DurationMS, t.Now, a.WebhookID)
		if err != nil {
			return fmt.Errorf("record webhook attempt: %w", err)
		}
		return nil
	})
}

// WebhookDelivery is one event queued for a webhook, with every attempt
// made so far.
type WebhookDelivery struct {
	ID        int64
	EventID   int64
	EventType string
	Status    string // pending, sent or failed
	Attempts  []WebhookAttempt
	LastError string
	CreatedAt time.Time
	SentAt    *time.Time
}

// ListWebhookDeliveries is a webhook's delivery log, newest first: up to
// limit deliveries, with status (pending/sent/failed) and every attempt's
// response code and error.
func (d *Outbox) ListWebhookDeliveries(ctx context.Context, actor store.Actor, workspace, id, status string, limit int) ([]WebhookDelivery, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	out := []WebhookDelivery{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		row, err := managedWebhook(t, workspace, id)
		if err != nil {
			return err
		}
		// The kind is spelled out, not bound, so that even a generic plan
		// of this statement may read the partial index outbox_target.
		q := `SELECT id, status, last_error, payload, created_at, sent_at FROM outbox WHERE kind = 'webhook' AND target_id = ? AND workspace_id = ?`
		args := []any{id, row.WorkspaceID}
		switch status {
		case "", store.StatusAll:
		case "pending", "sent", "failed":
			q += ` AND status = ?`
			args = append(args, status)
		default:
			return store.Invalidf("unknown delivery status %q (pending, sent or failed)", status)
		}
		var rows []struct {
			ID        int64      `db:"id"`
			Status    string     `db:"status"`
			LastError string     `db:"last_error"`
			Payload   string     `db:"payload"`
			CreatedAt time.Time  `db:"created_at"`
			SentAt    *time.Time `db:"sent_at"`
		}
		if err := t.SelectRows(&rows, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...); err != nil {
			return fmt.Errorf("list deliveries: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]int64, len(rows))
		byID := map[int64]int{}
		for i, r := range rows {
			var ev event.Envelope
			json.Unmarshal([]byte(r.Payload), &ev)
			out = append(out, WebhookDelivery{ID: r.ID, EventID: ev.ID, EventType: ev.Type, Status: r.Status, LastError: r.LastError,
				CreatedAt: r.CreatedAt, SentAt: r.SentAt, Attempts: []WebhookAttempt{}})
			ids[i] = r.ID
			byID[r.ID] = i
		}
		query, qargs, err := store.InQuery(`SELECT id, webhook_id, outbox_id, event_id, event_type, attempt, delivered, status_code, error, duration_ms, created_at
			FROM webhook_attempts WHERE webhook_id = ? AND outbox_id IN (?) ORDER BY id`, id, ids)
		if err != nil {
			return err
		}
		var attempts []WebhookAttempt
		if err := t.SelectRows(&attempts, query, qargs...); err != nil {
			return fmt.Errorf("list delivery attempts: %w", err)
		}
		for _, a := range attempts {
			i := byID[a.OutboxID]
			out[i].Attempts = append(out[i].Attempts, a)
		}
		return nil
	})
	return out, err
}

// RedeliverWebhook queues again every delivery of a webhook that failed
// for good (its receiver was down longer than the retries last), so a
// receiver that comes back gets everything. It returns how many were
// queued.
func (d *Outbox) RedeliverWebhook(ctx context.Context, actor store.Actor, workspace, id string) (int, error) {
	var n int
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		row, err := managedWebhook(t, workspace, id)
		if err != nil {
			return err
		}
		res, err := t.Execute(`UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? WHERE kind = 'webhook' AND target_id = ? AND status = 'failed'`,
			t.Now, row.ID)
		if err != nil {
			return fmt.Errorf("redeliver: %w", err)
		}
		affected, _ := res.RowsAffected()
		n = int(affected)
		return t.Emit(row.WorkspaceID, "webhook.redelivered", "webhook", row.ID, map[string]int{"deliveries": n})
	})
	return n, err
}
