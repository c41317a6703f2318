package console_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rosterhq/roster/delivery"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/web/browsertest"
)

// receiver is a webhook endpoint for a test: it checks each delivery's
// signature with the secret the page showed, and answers 503 while down.
type receiver struct {
	mu     sync.Mutex
	secret []byte
	down   bool
	got    []string // event types, of deliveries whose signature checked out
	bad    int
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.down {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	if err := delivery.VerifySignature(rc.secret, r.Header.Get(delivery.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
		rc.bad++
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	rc.got = append(rc.got, r.Header.Get(delivery.HeaderEventType))
	w.WriteHeader(http.StatusNoContent)
}

// TestBrowserActivity walks the activity pages in headless Chromium:
// invite people, read it back on Activity filtered by kind and by person,
// add a webhook against a real receiver and see its deliveries (one
// failing, then redelivered), and create and revoke an API key.
func TestBrowserActivity(t *testing.T) {
	chromium := browsertest.Path(t)
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns)
		owner := r.workspace("acme", "acme.example", ptr(25))
		if _, _, _, err := d.CreateJoinLink(ctx, owner, "acme", directory.JoinLinkRequest{Description: "Contractors 2026", Role: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		rc := &receiver{}
		hooks := httptest.NewServer(rc)
		t.Cleanup(hooks.Close)
		worker := delivery.NewWorker(d, delivery.Options{MaxAttempts: 1, Logger: slog.New(slog.DiscardHandler)})
		handler, err := delivery.Webhook(d, delivery.WebhookOptions{Box: r.box, AllowPrivateNetworks: true, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		worker.Handle(directory.OutboxWebhook, handler)
		drain := func() {
			t.Helper()
			if _, err := worker.Drain(ctx); err != nil {
				t.Fatalf("deliver: %v", err)
			}
		}

		b := browsertest.New(t, chromium)
		step, read, shoot := b.Step, b.Read, b.Shoot
		r.queue("owner@acme.example")
		step("sign in", signInAt(r.srv.URL+"/workspaces/acme/activity", "owner@acme.example")...)
		step("invite two people",
			chromedp.Navigate(r.srv.URL+"/workspaces/acme/members/invite"),
			chromedp.WaitVisible(chromedp.ID("addresses")),
			chromedp.SendKeys(chromedp.ID("addresses"), "ada.lovelace@acme.example; grace.hopper@acme.example"),
			chromedp.SetValue(chromedp.ID("role"), "manager"),
			chromedp.Click(chromedp.CSS(`form[method=post][action="/workspaces/acme/members/invite"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("outcomes-title")))
		// Ada accepts with the link of her invitation email.
		acme, err := d.ConsoleAccess(ctx, owner, "acme")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.AcceptInvitation(ctx, invitationToken(t, d, acme.WorkspaceID, "ada.lovelace@acme.example"),
			directory.VerifiedIdentity{Email: "ada.lovelace@acme.example", Name: "Ada Lovelace"}); err != nil {
			t.Fatal(err)
		}

		step("open Activity from the sidebar",
			chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/activity"]`)),
			chromedp.WaitVisible(chromedp.CSS("table.activity")))
		shoot("activity")
		log := read("the log", chromedp.Text(chromedp.CSS("table.activity")))
		for _, s := range []string{"Olivia Owner invited ada.lovelace@acme.example as Manager.", "Olivia Owner invited grace.hopper@acme.example as Manager.",
			"Ada Lovelace joined as Manager.", "Olivia Owner created the join link “Contractors 2026”.", "Console", "Admin API", "Sign-in",
			"The server operator created the workspace."} {
			if !strings.Contains(log, s) {
				t.Errorf("the activity lacks %q:\n%s", s, log)
			}
		}
		step("filter by kind",
			chromedp.SetValue(chromedp.ID("type"), "join-links"),
			chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`a.button[href="/workspaces/acme/activity"]`)))
		log = read("join links", chromedp.Text(chromedp.CSS("table.activity")))
		if !strings.Contains(log, "created the join link “Contractors 2026”") || strings.Contains(log, "invited") {
			t.Errorf("filtered to join links: %s", log)
		}
		step("filter by person",
			chromedp.SetValue(chromedp.ID("type"), ""),
			chromedp.SendKeys(chromedp.ID("person"), "ada.lovelace@acme.example"),
			chromedp.Click(chromedp.CSS(`form.filters button[type=submit]`)),
			// Only the page the filter led to has the address in the field.
			chromedp.WaitVisible(chromedp.CSS(`#person[value="ada.lovelace@acme.example"]`)))
		log = read("Ada's activity", chromedp.Text(chromedp.CSS("table.activity")))
		if !strings.Contains(log, "Ada Lovelace joined as Manager.") || !strings.Contains(log, "invited ada.lovelace@acme.example") || strings.Contains(log, "grace") {
			t.Errorf("filtered to Ada: %s", log)
		}

		step("open Webhooks", chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/webhooks"]`)), chromedp.WaitVisible(chromedp.CSS(".empty")))
		shoot("webhooks-empty")
		step("add a webhook",
			chromedp.SendKeys(chromedp.ID("url"), hooks.URL+"/roster"),
			chromedp.SendKeys(chromedp.ID("description"), "Billing system"),
			chromedp.Click(chromedp.CSS(`input[name=events][value=all]`)),
			chromedp.Click(chromedp.CSS(`input[name=events][value=members]`)),
			chromedp.Click(chromedp.CSS(`input[name=events][value=invitations]`)),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/webhooks"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("created-secret")))
		secret := read("the secret", chromedp.Value(chromedp.ID("created-secret")))
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("the secret reads %q", secret)
		}
		rc.mu.Lock()
		rc.secret = []byte(secret)
		rc.mu.Unlock()
		step("send a test ping", chromedp.Click(chromedp.CSS(`form[action$="/ping"] button`)),
			// The page before had a flash too; only it had the secret.
			chromedp.WaitNotPresent(chromedp.ID("created-secret")), chromedp.WaitVisible(chromedp.CSS(".flash")))
		drain()
		step("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("table.deliveries")))
		if html := read("page", chromedp.OuterHTML(chromedp.CSS("main"))); strings.Contains(html, secret) {
			t.Fatal("the secret is shown again after a reload")
		}
		log = read("deliveries", chromedp.Text(chromedp.CSS("table.deliveries")))
		if !strings.Contains(log, "Test ping") || !strings.Contains(log, "Delivered") || !strings.Contains(log, "204") {
			t.Errorf("after the ping, the delivery log: %s", log)
		}

		// The receiver goes down: an invitation's delivery fails for good
		// (one attempt in this test), then is redelivered once it is back.
		rc.mu.Lock()
		rc.down = true
		rc.mu.Unlock()
		if _, err := d.Invite(ctx, owner, "acme", directory.InviteRequest{Text: "alan.turing@acme.example", Role: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		drain()
		step("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`form[action$="/redeliver"]`)))
		shoot("webhook")
		log = read("deliveries", chromedp.Text(chromedp.CSS("table.deliveries")))
		if !strings.Contains(log, "Invitation sent") || !strings.Contains(log, "Failed") || !strings.Contains(log, "503") {
			t.Errorf("after the failure, the delivery log: %s", log)
		}
		rc.mu.Lock()
		rc.down = false
		rc.mu.Unlock()
		step("redeliver", chromedp.Click(chromedp.CSS(`form[action$="/redeliver"] button`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if flash := read("flash", chromedp.Text(chromedp.CSS(".flash"))); !strings.Contains(flash, "1 failed delivery queued again") {
			t.Errorf("flash: %q", flash)
		}
		drain()
		step("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("table.deliveries")))
		log = read("deliveries", chromedp.Text(chromedp.CSS("table.deliveries")))
		if strings.Contains(log, "Failed") {
			t.Errorf("after redelivery, the delivery log: %s", log)
		}
		rc.mu.Lock()
		got, bad := strings.Join(rc.got, ","), rc.bad
		rc.mu.Unlock()
		if bad != 0 || !strings.Contains(got, directory.PingEvent) || !strings.Contains(got, "invitation.created") {
			t.Errorf("the receiver verified %q, refused %d signatures", got, bad)
		}
		step("the webhooks", chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/webhooks"]`)), chromedp.WaitVisible(chromedp.CSS("main table")))
		shoot("webhooks")

		step("open API keys", chromedp.Click(chromedp.CSS(`nav.sidebar a[href="/workspaces/acme/api-keys"]`)), chromedp.WaitVisible(chromedp.CSS(".empty")))
		shoot("api-keys-empty")
		step("create a key",
			chromedp.SendKeys(chromedp.ID("name"), "HR system sync"),
			chromedp.SetValue(chromedp.ID("role"), "manager"),
			chromedp.Click(chromedp.CSS(`form[action="/workspaces/acme/api-keys"] button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("created-key")),
			chromedp.WaitVisible(chromedp.CSS(`button[data-copy="#created-key"]`)))
		shoot("api-keys")
		token := read("the key", chromedp.Value(chromedp.ID("created-key")))
		if _, _, err := d.AuthenticateAPIKey(ctx, token); err != nil {
			t.Fatalf("the key shown does not work: %v", err)
		}
		step("revoke it",
			chromedp.Click(chromedp.CSS(`a[href$="/revoke"]`)),
			chromedp.WaitVisible(chromedp.CSS(".confirm form")),
			chromedp.Click(chromedp.CSS(`.confirm button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")))
		if main := read("keys", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(main, "is revoked") || !strings.Contains(main, "Revoked") || strings.Contains(main, token) {
			t.Errorf("after revoking: %s", main)
		}
		if _, _, err := d.AuthenticateAPIKey(ctx, token); err == nil {
			t.Fatal("the revoked key still works")
		}
	})
}

// invitationToken is the token of the invitation link the outbox holds
// for email (the email has not been sent in this test).
func invitationToken(t *testing.T, d *directory.Directory, wsID, email string) string {
	t.Helper()
	msgs, err := d.OutboxOf(context.Background(), wsID, directory.OutboxEmail, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		var req directory.EmailRequest
		if json.Unmarshal([]byte(m.Payload), &req) == nil && req.Template == "invitation" && len(req.To) == 1 && req.To[0] == email {
			if _, token, ok := strings.Cut(req.Data["link"], "/invite/"); ok {
				return token
			}
		}
	}
	t.Fatalf("no invitation email to %s in the outbox", email)
	return ""
}
