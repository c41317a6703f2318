package admin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// The operator's outbox routes: a webhook delivery shows its URL's host and
// event type but not the URL's path nor the secret; a failed one is
// retried, a pending one discarded; no workspace key reaches them.
func TestOutboxRoutes(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		e := newEnv(t, d)
		acme := e.newTenant("acme")
		var hook admin.WebhookWithSecret
		e.must(e.do("POST", "/api/v1/workspaces/acme/webhooks", acme.keys[directory.RoleOwner],
			map[string]any{"url": "https://hooks.acme.example/in/path-secret-42"}), 201, &hook)
		e.must(e.do("POST", "/api/v1/workspaces/acme/webhooks/"+hook.Webhook.ID+"/ping", acme.keys[directory.RoleOwner], nil), 202, nil)

		for _, key := range acme.keys {
			if r := e.do("GET", "/api/v1/outbox", key, nil); r.status != 403 {
				t.Errorf("a workspace key listing the outbox: %d %s", r.status, r.body)
			}
		}
		r := e.do("GET", "/api/v1/outbox?kind=webhook&status=pending", operatorKey, nil)
		var list admin.OutboxList
		e.must(r, 200, &list)
		// webhook.created went to the new webhook too; the ping is newest.
		if len(list.Messages) != 2 {
			t.Fatalf("webhook messages = %s", r.body)
		}
		m := list.Messages[0]
		if m.Kind != "webhook" || m.Workspace != "acme" || m.WorkspaceID != acme.ws.ID || m.WebhookHost != "hooks.acme.example" ||
			m.WebhookID != hook.Webhook.ID || m.EventType != "webhook.ping" || m.NextAttemptAt == nil || m.Status != "pending" {
			t.Errorf("message = %s", r.body)
		}
		if strings.Contains(string(r.body), "path-secret-42") || strings.Contains(string(r.body), hook.Secret) {
			t.Errorf("the listing shows the URL's path or the secret: %s", r.body)
		}

		// Failed for good by its sender, then retried.
		msgs, err := d.ClaimOutbox(context.Background(), directory.OutboxWebhook, 10, time.Minute)
		if err != nil || len(msgs) != 2 {
			t.Fatalf("claim: %v %+v", err, msgs)
		}
		if err := d.FailOutbox(context.Background(), m.ID, "receiver answered 410 Gone", time.Now(), true, nil); err != nil {
			t.Fatal(err)
		}
		e.must(e.do("GET", "/api/v1/outbox?status=failed&workspace=acme", operatorKey, nil), 200, &list)
		if len(list.Messages) != 1 || list.Messages[0].LastError != "receiver answered 410 Gone" || list.Messages[0].NextAttemptAt != nil || list.Messages[0].Attempts != 1 {
			t.Errorf("failed = %+v", list.Messages)
		}
		var got admin.OutboxMessage
		e.must(e.do("POST", fmt.Sprintf("/api/v1/outbox/%d/retry", m.ID), operatorKey, nil), 200, &got)
		if got.Status != "pending" || got.Attempts != 1 || got.NextAttemptAt == nil {
			t.Errorf("retried = %+v", got)
		}
		if again, err := d.ClaimOutbox(context.Background(), directory.OutboxWebhook, 10, time.Minute); err != nil || len(again) != 1 || again[0].ID != m.ID {
			t.Errorf("the retried message is not due: %v %+v", err, again)
		}
		if r := e.do("POST", fmt.Sprintf("/api/v1/outbox/%d/retry", m.ID), operatorKey, nil); r.status != 409 {
			t.Errorf("retrying a pending message: %d %s", r.status, r.body)
		}

		// Discarded, it is never claimed.
		e.must(e.do("POST", fmt.Sprintf("/api/v1/outbox/%d/discard", m.ID), operatorKey, nil), 200, &got)
		if got.Status != directory.OutboxDiscarded {
			t.Errorf("discarded = %+v", got)
		}
		if r := e.do("POST", fmt.Sprintf("/api/v1/outbox/%d/discard", m.ID), operatorKey, nil); r.status != 409 {
			t.Errorf("discarding twice: %d %s", r.status, r.body)
		}
		for _, path := range []string{"/api/v1/outbox/999999/retry", "/api/v1/outbox/999999/discard"} {
			if r := e.do("POST", path, operatorKey, nil); r.status != 404 {
				t.Errorf("%s: %d %s", path, r.status, r.body)
			}
		}
		if r := e.do("POST", "/api/v1/outbox/x/retry", operatorKey, nil); r.status != 422 && r.status != 400 {
			t.Errorf("a bad id: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/api/v1/outbox?status=lost", operatorKey, nil); r.status != 400 && r.status != 422 {
			t.Errorf("an unknown status: %d %s", r.status, r.body)
		}
	})
}

// outboxMessage queues an invitation email of the fixture's workspace and
// returns its outbox id; failed, it is given up for good first (keeping
// its link, so it may be retried).
func (f *fixture) outboxMessage(failed bool) int64 {
	ctx := context.Background()
	if _, err := f.e.d.Invite(ctx, directory.Operator(), f.tn.ws.ID, directory.InviteRequest{Text: fmt.Sprintf("o%d@acme.example", f.next()), Role: "member"}); err != nil {
		f.e.t.Fatal(err)
	}
	rows, err := f.e.d.OutboxOf(ctx, f.tn.ws.ID, directory.OutboxEmail, 1)
	if err != nil || len(rows) != 1 {
		f.e.t.Fatalf("outbox: %v %+v", err, rows)
	}
	if failed {
		if err := f.e.d.FailOutbox(ctx, rows[0].ID, "smtp: 550 no such user", time.Now(), true, nil); err != nil {
			f.e.t.Fatal(err)
		}
	}
	return rows[0].ID
}
