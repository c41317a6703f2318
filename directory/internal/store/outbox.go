package store

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Outbox message kinds.
const (
	OutboxEmail   = "email"
	OutboxWebhook = "webhook"
)

// EmailRequest is the payload of an email outbox message; the email package
// renders it by template name. It is the one directory type with json
// tags: directory stores it as JSON in the outbox's payload column, and
// the delivery worker reads it back from there.
type EmailRequest struct {
	Template string            `json:"template"`
	To       []string          `json:"to"`
	Locale   string            `json:"locale,omitempty"`
	Data     map[string]string `json:"data"`
}

// outboxItem is one message to enqueue.
type outboxItem struct {
	workspaceID, kind, targetID string
	payload                     any
}

// Enqueue writes an outbox message in the current transaction, so it is
// sent if and only if the change commits.
func (t *Tx) Enqueue(workspaceID, kind, targetID string, payload any) error {
	return t.enqueueAll([]outboxItem{{workspaceID: workspaceID, kind: kind, targetID: targetID, payload: payload}})
}

// outboxPerInsert bounds the rows of one multi-row outbox insert (6
// parameters each).
const outboxPerInsert = 100

// enqueueAll writes messages in the current transaction, in order: the
// rows of one multi-row INSERT take their ids in row order, and the
// outbox is delivered in id order (a webhook receiver sees events in the
// order they happened).
func (t *Tx) enqueueAll(items []outboxItem) error {
	for start := 0; start < len(items); start += outboxPerInsert {
		chunk := items[start:min(start+outboxPerInsert, len(items))]
		var b strings.Builder
		b.WriteString(`INSERT INTO outbox (workspace_id, kind, target_id, payload, status, attempts, next_attempt_at, created_at) VALUES `)
		args := make([]any, 0, 6*len(chunk))
		for i, it := range chunk {
			body, err := json.Marshal(it.payload)
			if err != nil {
				return fmt.Errorf("encode %s outbox message: %w", it.kind, err)
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, 'pending', 0, ?, ?)")
			args = append(args, it.workspaceID, it.kind, it.targetID, string(body), t.Now, t.Now)
		}
		if _, err := t.Execute(b.String(), args...); err != nil {
			return fmt.Errorf("enqueue %s: %w", chunk[0].kind, err)
		}
	}
	return nil
}

// EnqueueEmail queues one email; a message with no recipients is dropped.
func (t *Tx) EnqueueEmail(workspaceID string, req EmailRequest) error {
	if len(req.To) == 0 {
		return nil
	}
	return t.Enqueue(workspaceID, OutboxEmail, "", req)
}
