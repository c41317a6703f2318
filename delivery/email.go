package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"strconv"

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
//
// Every email carries a Message-ID derived from its outbox row and the
// host of baseURL (MessageID), the same on every attempt: delivery is at
// least once, and a receiver that sees an id twice drops the copy.
func Email(tr email.Transport, baseURL string) Handler {
	host := messageIDHost(baseURL)
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
		msg.MessageID = MessageID(m.ID, host)
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

// MessageID is the Message-ID (without angle brackets) of the email of
// outbox row id, sent by the Roster at host: "outbox-42.roster@host".
func MessageID(id int64, host string) string {
	return "outbox-" + strconv.FormatInt(id, 10) + ".roster@" + host
}

// messageIDHost is the host of baseURL, the right-hand side of Message-IDs:
// unique to the installation, so two Rosters' ids never collide.
func messageIDHost(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "localhost"
}
