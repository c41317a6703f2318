package store

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// PingEvent is the event type PingWebhook sends; it goes only to the
// webhook being tested, never to the others.
const PingEvent = "webhook.ping"

var eventTypePattern = regexp.MustCompile(`^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$`)

func NormalizeEventTypes(types []string) ([]string, error) {
	out := []string{}
	for _, t := range types {
		t = strings.TrimSpace(t)
		if !eventTypePattern.MatchString(t) || len(t) > 100 {
			return nil, Invalidf("event type %q must be a type such as member.activated, a prefix such as member.*, or *", t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > 50 {
		return nil, Invalidf("at most 50 event types per webhook")
	}
	if len(out) == 0 || slices.Contains(out, "*") {
		out = []string{"*"}
	}
	return out, nil
}

// matchEventType reports whether an event type is selected by patterns.
func matchEventType(patterns []string, typ string) bool {
	for _, p := range patterns {
		if p == "*" || p == typ || strings.HasSuffix(p, ".*") && strings.HasPrefix(typ, p[:len(p)-1]) {
			return true
		}
	}
	return false
}

// webhookRef is an active webhook as enqueueWebhooks matches it.
type webhookRef struct {
	ID         string `db:"id"`
	EventTypes string `db:"event_types"`
}

// enqueueWebhooks queues each event for every active webhook of its
// workspace that selects its type, in the transaction that emits it: a
// delivery exists if and only if the change committed. Each workspace
// costs one indexed query per flush (not per event). Nothing is cached across transactions, so a webhook registered
// on another replica is seen at once.
func (t *Tx) enqueueWebhooks(evs []Event) error {
	hooks := map[string][]webhookRef{}
	var items []outboxItem
	for _, ev := range evs {
		if ev.Type == PingEvent {
			continue
		}
		hs, seen := hooks[ev.WorkspaceID]
		if !seen {
			if err := t.SelectRows(&hs, `SELECT id, event_types FROM webhooks WHERE workspace_id = ? AND active`, ev.WorkspaceID); err != nil {
				return fmt.Errorf("find webhooks for %s: %w", ev.Type, err)
			}
			hooks[ev.WorkspaceID] = hs
		}
		for _, h := range hs {
			if matchEventType(DecodeStrings(h.EventTypes), ev.Type) {
				items = append(items, outboxItem{workspaceID: ev.WorkspaceID, kind: OutboxWebhook, targetID: h.ID, payload: Envelope(ev)})
			}
		}
	}
	return t.enqueueAll(items)
}
