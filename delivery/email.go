package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/email"
)

// secretKeys are the email data keys that carry one-time tokens (invitation
// and review links); they are dropped from the stored payload once sent.
var secretKeys = []string{"link", "review_link"}

// Email returns the Handler for directory.OutboxEmail messages: it renders
// the message with email.Render and sends it through tr from the
// transport's default sender. A payload that does not decode or render is
// a permanent failure; a transport error is retried.
func Email(tr email.Transport) Handler {
	return func(ctx context.Context, m directory.OutboxMessage) (any, error) {
		var req directory.EmailRequest
		if err := json.Unmarshal(m.Payload, &req); err != nil {
			return nil, Permanent(fmt.Errorf("decode email payload: %w", err))
		}
		// The redacted copy goes back with errors too: it replaces the
		// payload if the message is given up for good.
		msg, err := email.Render(email.Request{Template: req.Template, To: req.To, Locale: req.Locale, Data: req.Data})
		if err != nil {
			return redactEmail(req), Permanent(err)
		}
		if err := tr.Send(ctx, msg, ""); err != nil {
			return redactEmail(req), err
		}
		return redactEmail(req), nil
	}
}

// redactEmail is the payload kept after sending: everything but the links
// that hold tokens, so the row still says what was sent to whom.
func redactEmail(req directory.EmailRequest) directory.EmailRequest {
	req.Data = maps.Clone(req.Data)
	for _, k := range secretKeys {
		delete(req.Data, k)
	}
	return req
}
