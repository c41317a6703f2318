package admin

import (
	"net/http"
	"strconv"
	"time"

	"github.com/rosterhq/roster/directory"
)

// outboxRoutes are the operator's view of what Roster has still to send,
// or gave up sending: every workspace's emails and webhook deliveries.
func (a *API) outboxRoutes() []route {
	return []route{
		{method: "GET", path: "/outbox", access: operatorAccess, params: []string{"status", "kind", "workspace", "limit", "after"}, handle: a.listOutbox},
		{method: "POST", path: "/outbox/{id}/retry", access: operatorAccess, handle: a.retryOutbox},
		{method: "POST", path: "/outbox/{id}/discard", access: operatorAccess, handle: a.discardOutbox},
	}
}

func (a *API) listOutbox(c *call) (int, any, error) {
	status, err := c.queryEnum("status", directory.StatusAll, "pending", "failed", "sent", directory.OutboxDiscarded)
	if err != nil {
		return 0, nil, err
	}
	kind, err := c.queryEnum("kind", directory.OutboxEmail, directory.OutboxWebhook)
	if err != nil {
		return 0, nil, err
	}
	limit, err := c.queryInt("limit", 50, 1, 500)
	if err != nil {
		return 0, nil, err
	}
	var after int64
	if s := c.r.URL.Query().Get("after"); s != "" {
		if after, err = strconv.ParseInt(s, 10, 64); err != nil || after < 1 {
			return 0, nil, errValidation(paramErr("after", "must be the id of an outbox message"))
		}
	}
	list, err := a.d.ListOutbox(c.r.Context(), c.actor, directory.OutboxFilter{
		Workspace: c.r.URL.Query().Get("workspace"), Status: status, Kind: kind, Limit: limit, After: after})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, OutboxList{Messages: listOf(list, OutboxMessageOf)}, nil
}

// outboxID is the {id} of an outbox route.
func (c *call) outboxID() (int64, error) {
	id, err := strconv.ParseInt(c.path("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, errValidation(paramErr("id", "must be the id of an outbox message"))
	}
	return id, nil
}

func (a *API) retryOutbox(c *call) (int, any, error) {
	id, err := c.outboxID()
	if err != nil {
		return 0, nil, err
	}
	m, err := a.d.RetryOutbox(c.r.Context(), c.actor, "", id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, OutboxMessageOf(m), nil
}

func (a *API) discardOutbox(c *call) (int, any, error) {
	id, err := c.outboxID()
	if err != nil {
		return 0, nil, err
	}
	m, err := a.d.DiscardOutbox(c.r.Context(), c.actor, "", id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, OutboxMessageOf(m), nil
}

// OutboxMessage is one outbox message on the wire: what, to whom, and why
// it has not gone. An email shows its recipients and template, never its
// data (links with one-time tokens); a webhook delivery its URL's host and
// event type, never the URL's path or the secret.
type OutboxMessage struct {
	ID            int64      `json:"id"`
	Kind          string     `json:"kind"`
	WorkspaceID   string     `json:"workspace_id"`
	Workspace     string     `json:"workspace"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	LastError     string     `json:"last_error"`
	CreatedAt     time.Time  `json:"created_at"`
	SentAt        *time.Time `json:"sent_at"`
	To            []string   `json:"to,omitempty"`
	Template      string     `json:"template,omitempty"`
	WebhookID     string     `json:"webhook_id,omitempty"`
	WebhookHost   string     `json:"webhook_host,omitempty"`
	EventType     string     `json:"event_type,omitempty"`
}

// OutboxMessageOf is m on the wire.
func OutboxMessageOf(m directory.OutboxEntry) OutboxMessage {
	return OutboxMessage{ID: m.ID, Kind: m.Kind, WorkspaceID: m.WorkspaceID, Workspace: m.WorkspaceSlug, Status: m.Status, Attempts: m.Attempts,
		NextAttemptAt: m.NextAttemptAt, LastError: m.LastError, CreatedAt: m.CreatedAt, SentAt: m.SentAt,
		To: m.To, Template: m.Template, WebhookID: m.WebhookID, WebhookHost: m.WebhookHost, EventType: m.EventType}
}

// OutboxList is the answer of GET /outbox, newest first; pass the last
// id as after for the next page.
type OutboxList struct {
	Messages []OutboxMessage `json:"messages"`
}
