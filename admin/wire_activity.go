package admin

// The answers about activity: the event feed, webhooks and their
// deliveries, and API keys (see wire.go for how the wire types work).

import (
	"encoding/json"
	"time"

	"github.com/rosterhq/roster/directory"
)

// Event is one change, as the feed and the audit log show it; a webhook
// delivery's body is the same object (package event).
type Event struct {
	ID          int64           `json:"id"`
	WorkspaceID string          `json:"workspace_id"`
	Type        string          `json:"type"`
	ActorKind   string          `json:"actor_kind"`
	ActorID     string          `json:"actor_id"`
	Source      string          `json:"source"`
	SubjectKind string          `json:"subject_kind"`
	SubjectID   string          `json:"subject_id"`
	Payload     json.RawMessage `json:"payload"`
	CreatedAt   time.Time       `json:"created_at"`
}

// EventOf is e on the wire.
func EventOf(e directory.Event) Event {
	return Event{ID: e.ID, WorkspaceID: e.WorkspaceID, Type: e.Type, ActorKind: e.ActorKind, ActorID: e.ActorID, Source: e.Source,
		SubjectKind: e.SubjectKind, SubjectID: e.SubjectID, Payload: e.Payload, CreatedAt: e.CreatedAt}
}

// EventRef is an answer naming one event (a webhook ping).
type EventRef struct {
	Event Event `json:"event"`
}

// FeedEvent is an event of the feed with the cursor that resumes after it.
type FeedEvent struct {
	Event
	Cursor string `json:"cursor"`
}

// EventPage is one page of the event feed.
type EventPage struct {
	Events     []FeedEvent `json:"events"`
	NextCursor string      `json:"next_cursor"`
	HasMore    bool        `json:"has_more"`
}

// EventPageOf is p on the wire.
func EventPageOf(p directory.EventPage) EventPage {
	return EventPage{Events: listOf(p.Events, func(e directory.FeedEvent) FeedEvent { return FeedEvent{Event: EventOf(e.Event), Cursor: e.Cursor} }),
		NextCursor: p.NextCursor, HasMore: p.HasMore}
}

// Webhook is an endpoint that receives the workspace's events (never its
// secret).
type Webhook struct {
	ID          string    `json:"id"`
	WorkspaceID string    `json:"workspace_id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	EventTypes  []string  `json:"event_types"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// WebhookOf is w on the wire.
func WebhookOf(w directory.Webhook) Webhook {
	return Webhook{ID: w.ID, WorkspaceID: w.WorkspaceID, URL: w.URL, Description: w.Description, EventTypes: w.EventTypes, Active: w.Active,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

// WebhookList is the answer of GET /webhooks.
type WebhookList struct {
	Webhooks []Webhook `json:"webhooks"`
}

// WebhookWithSecret is a webhook with its signing secret, shown once (on
// creation and rotation).
type WebhookWithSecret struct {
	Secret  string  `json:"secret"`
	Webhook Webhook `json:"webhook"`
}

// WebhookAttempt is one attempt of a delivery.
type WebhookAttempt struct {
	ID         int64     `json:"id"`
	WebhookID  string    `json:"webhook_id"`
	DeliveryID int64     `json:"delivery_id"`
	EventID    int64     `json:"event_id"`
	EventType  string    `json:"event_type"`
	Attempt    int       `json:"attempt"`
	Delivered  bool      `json:"delivered"`
	StatusCode int       `json:"status_code"`
	Error      string    `json:"error"`
	DurationMS int64     `json:"duration_ms"`
	CreatedAt  time.Time `json:"created_at"`
}

// WebhookAttemptOf is a on the wire.
func WebhookAttemptOf(a directory.WebhookAttempt) WebhookAttempt {
	return WebhookAttempt{ID: a.ID, WebhookID: a.WebhookID, DeliveryID: a.OutboxID, EventID: a.EventID, EventType: a.EventType, Attempt: a.Attempt,
		Delivered: a.Delivered, StatusCode: a.StatusCode, Error: a.Error, DurationMS: a.DurationMS, CreatedAt: a.CreatedAt}
}

// WebhookDelivery is one event queued for a webhook, with its attempts.
type WebhookDelivery struct {
	ID        int64            `json:"id"`
	EventID   int64            `json:"event_id"`
	EventType string           `json:"event_type"`
	Status    string           `json:"status"`
	Attempts  []WebhookAttempt `json:"attempts"`
	LastError string           `json:"last_error"`
	CreatedAt time.Time        `json:"created_at"`
	SentAt    *time.Time       `json:"sent_at"`
}

// WebhookDeliveryOf is d on the wire.
func WebhookDeliveryOf(d directory.WebhookDelivery) WebhookDelivery {
	return WebhookDelivery{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: d.Status, Attempts: listOf(d.Attempts, WebhookAttemptOf),
		LastError: d.LastError, CreatedAt: d.CreatedAt, SentAt: d.SentAt}
}

// WebhookDeliveryList is the answer of GET /webhooks/{id}/deliveries.
type WebhookDeliveryList struct {
	Deliveries []WebhookDelivery `json:"deliveries"`
}

// Requeued says how many deliveries were queued again.
type Requeued struct {
	Requeued int `json:"requeued"`
}

// APIKey is a workspace API key (never its token).
type APIKey struct {
	ID            string     `json:"id"`
	WorkspaceID   string     `json:"workspace_id"`
	WorkspaceSlug string     `json:"workspace_slug"`
	Name          string     `json:"name"`
	Role          string     `json:"role"`
	TokenPrefix   string     `json:"token_prefix"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	ExpiresAt     *time.Time `json:"expires_at"`
	LastUsedAt    *time.Time `json:"last_used_at"`
	RevokedAt     *time.Time `json:"revoked_at"`
}

// APIKeyOf is k on the wire.
func APIKeyOf(k directory.APIKey) APIKey {
	return APIKey{ID: k.ID, WorkspaceID: k.WorkspaceID, WorkspaceSlug: k.WorkspaceSlug, Name: k.Name, Role: k.Role, TokenPrefix: k.TokenPrefix,
		CreatedBy: k.CreatedBy, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// APIKeyList is the answer of GET /api-keys.
type APIKeyList struct {
	APIKeys []APIKey `json:"api_keys"`
}

// APIKeyCreated is a new key with its token, shown once.
type APIKeyCreated struct {
	APIKey APIKey `json:"api_key"`
	Token  string `json:"token"`
}
