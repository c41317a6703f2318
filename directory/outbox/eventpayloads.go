package outbox

import (
	"github.com/rosterhq/roster/event"
)

func webhookPayload(w Webhook) event.Webhook {
	return event.Webhook{ID: w.ID, WorkspaceID: w.WorkspaceID, URL: w.URL, Description: w.Description, EventTypes: w.EventTypes,
		Active: w.Active, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}
