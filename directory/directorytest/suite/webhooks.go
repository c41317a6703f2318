package suite

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/event"
)

// webhookTests: registering webhooks, the outbox of their deliveries, and
// the delivery log.
var webhookTests = []test{
	{"WebhookRegistrationAndOutbox", testWebhookRegistrationAndOutbox},
	{"WebhookDeliveryLog", testWebhookDeliveryLog},
}

func testWebhookRegistrationAndOutbox(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	other, otherOwner := newWorkspace(t, d, "other")

	all, err := d.CreateWebhook(ctx, owner, ws.Slug, directory.WebhookRequest{URL: "https://hooks.acme.example/roster", SealedSecret: "sealed-1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.EventTypes) != 1 || all.EventTypes[0] != "*" || !all.Active {
		t.Errorf("webhook = %+v", all)
	}
	members, err := d.CreateWebhook(ctx, owner, ws.Slug, directory.WebhookRequest{URL: "https://hooks.acme.example/members", SealedSecret: "sealed-2",
		EventTypes: []string{"member.*", "member.activated", " invitation.revoked "}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(members.EventTypes, ",") != "member.*,member.activated,invitation.revoked" {
		t.Errorf("event types = %v", members.EventTypes)
	}
	off := false
	paused, err := d.CreateWebhook(ctx, owner, ws.Slug, directory.WebhookRequest{URL: "http://127.0.0.1:9/paused", SealedSecret: "sealed-3", Active: &off})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateWebhook(ctx, otherOwner, other.Slug, directory.WebhookRequest{URL: "https://other.example/hook", SealedSecret: "s"}); err != nil {
		t.Fatal(err)
	}

	outboxBefore := webhookOutbox(t, d, ws.ID)
	join(t, d, owner, ws.Slug, "jane@acme.example", directory.RoleMember)
	queued := webhookOutbox(t, d, ws.ID)[len(outboxBefore):]
	// invitation.created, member.activated, invitation.accepted go to
	// the catch-all; only member.activated to the member hook; nothing
	// to the paused one.
	got := map[string][]string{}
	for _, m := range queued {
		var ev event.Envelope
		if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ID == 0 || ev.WorkspaceID != ws.ID {
			t.Errorf("queued event = %+v", ev)
		}
		got[m.TargetID] = append(got[m.TargetID], ev.Type)
	}
	if strings.Join(got[all.ID], ",") != "invitation.created,member.activated,invitation.accepted" {
		t.Errorf("catch-all got %v", got[all.ID])
	}
	if strings.Join(got[members.ID], ",") != "member.activated" {
		t.Errorf("member hook got %v", got[members.ID])
	}
	if len(got[paused.ID]) != 0 {
		t.Errorf("paused hook got %v", got[paused.ID])
	}

	// A ping goes to one webhook only.
	before := len(webhookOutbox(t, d, ws.ID))
	if _, err := d.PingWebhook(ctx, owner, ws.Slug, members.ID); err != nil {
		t.Fatal(err)
	}
	after := webhookOutbox(t, d, ws.ID)
	if len(after) != before+1 || after[len(after)-1].TargetID != members.ID {
		t.Errorf("ping queued %d deliveries", len(after)-before)
	}

	// Validation.
	bad := []directory.WebhookRequest{
		{URL: "", SealedSecret: "s"},
		{URL: "ftp://x.example/", SealedSecret: "s"},
		{URL: "/relative", SealedSecret: "s"},
		{URL: "https://user:pw@x.example/", SealedSecret: "s"},
		{URL: "https://x.example/#frag", SealedSecret: "s"},
		{URL: "https://x.example/", SealedSecret: ""},
		{URL: "https://x.example/", SealedSecret: "s", EventTypes: []string{"Member.Activated"}},
		{URL: "https://x.example/", SealedSecret: "s", EventTypes: []string{"member.*.x"}},
	}
	for _, req := range bad {
		if _, err := d.CreateWebhook(ctx, owner, ws.Slug, req); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("CreateWebhook(%+v): err = %v, want ErrInvalid", req, err)
		}
	}
	for _, s := range []string{"short", strings.Repeat("x", 257), " " + strings.Repeat("x", 30)} {
		if err := directory.ValidateWebhookSecret(s); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("ValidateWebhookSecret(%q) = %v", s, err)
		}
	}
	if err := directory.ValidateWebhookSecret(strings.Repeat("x", 24)); err != nil {
		t.Error(err)
	}

	// Permissions and isolation.
	_, manager := join(t, d, owner, ws.Slug, "manager@acme.example", directory.RoleManager)
	if _, err := d.ListWebhooks(ctx, manager, ws.Slug); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager lists webhooks: err = %v", err)
	}
	if _, err := d.GetWebhook(ctx, otherOwner, other.Slug, all.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("other workspace reads acme's webhook: err = %v", err)
	}
	if err := d.DeleteWebhook(ctx, otherOwner, other.Slug, all.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("other workspace deletes acme's webhook: err = %v", err)
	}
	list, err := d.ListWebhooks(ctx, owner, ws.Slug)
	if err != nil || len(list) != 3 {
		t.Errorf("list = %v, %v", list, err)
	}

	// Update, then delete drops queued deliveries.
	url := "https://hooks.acme.example/v2"
	upd, err := d.UpdateWebhook(ctx, owner, ws.Slug, members.ID, directory.WebhookUpdate{URL: &url, EventTypes: []string{}, Active: &off})
	if err != nil || upd.URL != url || upd.Active || upd.EventTypes[0] != "*" {
		t.Errorf("update = %+v, %v", upd, err)
	}
	if err := d.DeleteWebhook(ctx, owner, ws.Slug, all.ID); err != nil {
		t.Fatal(err)
	}
	for _, m := range webhookOutbox(t, d, ws.ID) {
		if m.TargetID == all.ID && m.Status == "pending" {
			t.Errorf("delivery %d to a deleted webhook still pending", m.ID)
		}
	}
	if _, err := d.WebhookTarget(ctx, all.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("target of deleted webhook: err = %v", err)
	}
}

func testWebhookDeliveryLog(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	hook, err := d.CreateWebhook(ctx, owner, ws.Slug, directory.WebhookRequest{URL: "https://hooks.acme.example/", SealedSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.PingWebhook(ctx, owner, ws.Slug, hook.ID); err != nil {
		t.Fatal(err)
	}
	// The webhook's own webhook.created event was queued for it too.
	msgs, err := d.ClaimOutbox(ctx, directory.OutboxWebhook, 10, 0)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("claimed %d, %v", len(msgs), err)
	}
	if err := d.CompleteOutbox(ctx, msgs[0].ID, nil); err != nil {
		t.Fatal(err)
	}
	m := msgs[1]
	var ev event.Envelope
	json.Unmarshal(m.Payload, &ev)
	for i, code := range []int{500, 503} {
		if err := d.RecordWebhookAttempt(ctx, directory.WebhookAttempt{WebhookID: hook.ID, OutboxID: m.ID, EventID: ev.ID, EventType: ev.Type, StatusCode: code, Error: "server error"}); err != nil {
			t.Fatal(err)
		}
		final := i == 1
		if err := d.FailOutbox(ctx, m.ID, "server error", ev.CreatedAt, final, nil); err != nil {
			t.Fatal(err)
		}
	}
	log, err := d.ListWebhookDeliveries(ctx, owner, ws.Slug, hook.ID, "failed", 10)
	if err != nil || len(log) != 1 {
		t.Fatalf("log = %+v, %v", log, err)
	}
	if l := log[0]; l.Status != "failed" || l.EventType != directory.PingEvent || len(l.Attempts) != 2 || l.Attempts[1].Attempt != 2 || l.Attempts[1].StatusCode != 503 {
		t.Errorf("delivery = %+v", l)
	}
	n, err := d.RedeliverWebhook(ctx, owner, ws.Slug, hook.ID)
	if err != nil || n != 1 {
		t.Fatalf("redeliver = %d, %v", n, err)
	}
	if err := d.RecordWebhookAttempt(ctx, directory.WebhookAttempt{WebhookID: hook.ID, OutboxID: m.ID, EventID: ev.ID, EventType: ev.Type, StatusCode: 204, Delivered: true}); err != nil {
		t.Fatal(err)
	}
	if err := d.CompleteOutbox(ctx, m.ID, nil); err != nil {
		t.Fatal(err)
	}
	log, err = d.ListWebhookDeliveries(ctx, owner, ws.Slug, hook.ID, "sent", 10)
	if err != nil || len(log) != 2 || log[0].ID != m.ID || len(log[0].Attempts) != 3 || log[0].Attempts[2].Attempt != 3 || !log[0].Attempts[2].Delivered {
		t.Errorf("log after redelivery = %+v, %v", log, err)
	}
	if _, err := d.ListWebhookDeliveries(ctx, owner, ws.Slug, hook.ID, "bogus", 10); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("bogus status: err = %v", err)
	}
}
