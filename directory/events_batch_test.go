package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/event"
)

// A transaction's events are written together at commit: they must still
// get ids in the order they were emitted, reach the webhooks with those
// ids, and vanish with a transaction that fails.
func TestBufferedEventsKeepEmitOrder(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		hook, err := d.CreateWebhook(ctx, owner, ws.Slug, directory.WebhookRequest{URL: "https://hooks.acme.example/roster", SealedSecret: "sealed"})
		if err != nil {
			t.Fatal(err)
		}
		conn := scimConnect(t, d, ws.Slug, directory.SCIMConnectionRequest{Profile: "okta"})
		before, err := d.ListEvents(ctx, owner, ws.Slug, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		after := before[len(before)-1].ID
		if _, _, err := d.SCIMCreateUser(ctx, conn, scimUser("sam@elsewhere.example", "sam@elsewhere.example")); err != nil {
			t.Fatal(err)
		}
		// A refused create (userName taken) leaves no event behind.
		if _, _, err := d.SCIMCreateUser(ctx, conn, scimUser("SAM@elsewhere.example", "other@elsewhere.example")); !errors.Is(err, directory.ErrConflict) {
			t.Fatalf("duplicate userName: err = %v, want ErrConflict", err)
		}
		evs, err := d.ListEvents(ctx, owner, ws.Slug, after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 2 || evs[0].Type != "invitation.created" || evs[1].Type != "member.provisioned" || evs[0].ID >= evs[1].ID {
			t.Fatalf("events = %+v", evs)
		}
		var queued []int64
		for _, m := range webhookOutbox(t, d, ws.ID) {
			var ev event.Envelope
			if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
				t.Fatal(err)
			}
			if m.TargetID == hook.ID && ev.ID > after {
				queued = append(queued, ev.ID)
			}
		}
		if len(queued) != 2 || queued[0] != evs[0].ID || queued[1] != evs[1].ID {
			t.Errorf("webhook got event ids %v, want %d, %d", queued, evs[0].ID, evs[1].ID)
		}
	})
}
