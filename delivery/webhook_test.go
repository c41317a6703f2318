package delivery_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/delivery"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/event"
	"github.com/rosterhq/roster/seal"
)

const webhookSecret = "whsec_test_secret_0123456789abcdef"

// receiver is a real HTTP endpoint that verifies signatures and can be
// taken down and brought back.
type receiver struct {
	t     *testing.T
	srv   *httptest.Server
	clock *directorytest.Clock

	mu       sync.Mutex
	down     bool
	status   int // answer while down
	received map[int64]int
	types    []string
	badSig   int
}

func startReceiver(t *testing.T, clock *directorytest.Clock) *receiver {
	rc := &receiver{t: t, clock: clock, received: map[int64]int{}, status: http.StatusServiceUnavailable}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.down {
		http.Error(w, "maintenance", rc.status)
		return
	}
	if err := delivery.VerifySignature([]byte(webhookSecret), r.Header.Get(delivery.HeaderSignature), body, rc.clock.Now(), 5*time.Minute); err != nil {
		rc.badSig++
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var ev event.Envelope
	if err := json.Unmarshal(body, &ev); err != nil || r.Header.Get("Content-Type") != "application/json" ||
		r.Header.Get(delivery.HeaderEventID) != fmt.Sprint(ev.ID) || r.Header.Get(delivery.HeaderEventType) != ev.Type {
		rc.t.Errorf("bad delivery: %v %s %v", err, body, r.Header)
	}
	rc.received[ev.ID]++
	rc.types = append(rc.types, ev.Type)
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) setDown(down bool, status int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.down, rc.status = down, status
}

func (rc *receiver) got() (map[int64]int, []string, int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	m := map[int64]int{}
	for k, v := range rc.received {
		m[k] = v
	}
	return m, append([]string(nil), rc.types...), rc.badSig
}

func newBox(t *testing.T) *seal.Box {
	key := make([]byte, seal.KeySize)
	rand.Read(key)
	box, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// webhookWorker delivers webhooks only, to loopback receivers.
func webhookWorker(t *testing.T, d *directory.Directory, clock *directorytest.Clock, box *seal.Box, maxAttempts int) *delivery.Worker {
	logger, _ := quietLogger()
	w := delivery.NewWorker(d, delivery.Options{Now: clock.Now, Logger: logger, MaxAttempts: maxAttempts})
	h, err := delivery.Webhook(d, delivery.WebhookOptions{Box: box, AllowPrivateNetworks: true, Now: clock.Now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	w.Handle(directory.OutboxWebhook, h)
	return w
}

func TestWebhookReceiverDownThenBack(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		box := newBox(t)
		rc := startReceiver(t, clock)
		hook, err := d.CreateWebhook(ctx, op, ws.ID, directory.WebhookRequest{URL: rc.srv.URL + "/hooks", EventTypes: []string{"invitation.*", "member.*"},
			SealedSecret: box.Seal([]byte(webhookSecret), directory.WebhookSecretPurpose)})
		if err != nil {
			t.Fatal(err)
		}
		w := webhookWorker(t, d, clock, box, 10)

		// The receiver is down while people are invited.
		rc.setDown(true, http.StatusServiceUnavailable)
		for i := range 4 {
			if _, err := d.Invite(ctx, op, ws.ID, directory.InviteRequest{Text: fmt.Sprintf("p%d@acme.example", i), Role: "member", SendEmail: new(false)}); err != nil {
				t.Fatal(err)
			}
		}
		if n := drain(t, w); n != 4 {
			t.Fatalf("first round attempted %d deliveries, want 4", n)
		}
		// Nothing is due again until the backoff has passed.
		if n := drain(t, w); n != 0 {
			t.Fatalf("retried %d deliveries before their backoff", n)
		}
		for range 3 {
			clock.Advance(2 * time.Hour)
			drain(t, w)
		}
		if got, _, _ := rc.got(); len(got) != 0 {
			t.Fatalf("a down receiver got %v", got)
		}
		log, err := d.ListWebhookDeliveries(ctx, op, ws.ID, hook.ID, "", 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range log {
			if l.Status != "pending" || len(l.Attempts) != 4 || l.Attempts[3].StatusCode != 503 || l.Attempts[3].Delivered || !strings.Contains(l.Attempts[3].Error, "maintenance") {
				t.Errorf("delivery while down = %+v", l)
			}
		}

		// Back up: everything arrives, once, signed.
		rc.setDown(false, 0)
		clock.Advance(2 * time.Hour)
		drain(t, w)
		got, types, badSig := rc.got()
		if len(got) != 4 || badSig != 0 {
			t.Fatalf("after recovery got %v (bad signatures %d)", got, badSig)
		}
		for id, n := range got {
			if n != 1 {
				t.Errorf("event %d delivered %d times", id, n)
			}
		}
		for _, ty := range types {
			if ty != "invitation.created" {
				t.Errorf("received %s, not selected by the webhook's types", ty)
			}
		}
		log, _ = d.ListWebhookDeliveries(ctx, op, ws.ID, hook.ID, "sent", 50)
		if len(log) != 4 {
			t.Fatalf("sent deliveries = %d", len(log))
		}
		for _, l := range log {
			last := l.Attempts[len(l.Attempts)-1]
			if len(l.Attempts) != 5 || !last.Delivered || last.StatusCode != 204 || l.SentAt == nil {
				t.Errorf("delivery after recovery = %+v", l)
			}
		}
		if n := drain(t, w); n != 0 {
			t.Errorf("drained %d more after everything was delivered", n)
		}
	})
}

func TestWebhookGivesUpThenRedelivers(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		box := newBox(t)
		rc := startReceiver(t, clock)
		hook, err := d.CreateWebhook(ctx, op, ws.ID, directory.WebhookRequest{URL: rc.srv.URL, EventTypes: []string{"webhook.ping"},
			SealedSecret: box.Seal([]byte(webhookSecret), directory.WebhookSecretPurpose)})
		if err != nil {
			t.Fatal(err)
		}
		w := webhookWorker(t, d, clock, box, 2)
		rc.setDown(true, http.StatusInternalServerError)
		ping, err := d.PingWebhook(ctx, op, ws.ID, hook.ID)
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			drain(t, w)
			clock.Advance(2 * time.Hour)
		}
		if log, _ := d.ListWebhookDeliveries(ctx, op, ws.ID, hook.ID, "failed", 10); len(log) != 1 || len(log[0].Attempts) != 2 {
			t.Fatalf("failed deliveries = %+v", log)
		}
		// The receiver is back after the retries ran out: redeliver.
		rc.setDown(false, 0)
		if n, err := d.RedeliverWebhook(ctx, op, ws.ID, hook.ID); err != nil || n != 1 {
			t.Fatalf("redeliver = %d, %v", n, err)
		}
		drain(t, w)
		if got, _, _ := rc.got(); got[ping.ID] != 1 {
			t.Fatalf("ping delivered %v", got)
		}
		log, _ := d.ListWebhookDeliveries(ctx, op, ws.ID, hook.ID, "sent", 10)
		if len(log) != 1 || len(log[0].Attempts) != 3 || log[0].Attempts[2].Attempt != 3 {
			t.Errorf("log after redelivery = %+v", log)
		}
	})
}

func TestWebhookPermanentFailures(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		box := newBox(t)
		rc := startReceiver(t, clock)
		sealed := box.Seal([]byte(webhookSecret), directory.WebhookSecretPurpose)
		gone, _ := d.CreateWebhook(ctx, op, ws.ID, directory.WebhookRequest{URL: rc.srv.URL, EventTypes: []string{"member.*"}, SealedSecret: sealed})
		w := webhookWorker(t, d, clock, box, 10)

		// 410 Gone: the receiver says the endpoint no longer exists.
		rc.setDown(true, http.StatusGone)
		if _, err := d.PingWebhook(ctx, op, ws.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		drain(t, w)
		if log, _ := d.ListWebhookDeliveries(ctx, op, ws.ID, gone.ID, "failed", 10); len(log) == 0 || len(log[0].Attempts) != 1 {
			t.Errorf("410 not final: %+v", log)
		}

		// A webhook disabled after the event was queued: dropped.
		rc.setDown(false, 0)
		if _, err := d.PingWebhook(ctx, op, ws.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		off := false
		if _, err := d.UpdateWebhook(ctx, op, ws.ID, gone.ID, directory.WebhookUpdate{Active: &off}); err != nil {
			t.Fatal(err)
		}
		drain(t, w)
		if got, _, _ := rc.got(); len(got) != 0 {
			t.Errorf("a disabled webhook received %v", got)
		}

		// A secret sealed with another key cannot be opened: final, and
		// nothing unsigned goes out.
		other, _ := d.CreateWebhook(ctx, op, ws.ID, directory.WebhookRequest{URL: rc.srv.URL, EventTypes: []string{"member.*"}, SealedSecret: newBox(t).Seal([]byte(webhookSecret), directory.WebhookSecretPurpose)})
		if _, err := d.PingWebhook(ctx, op, ws.ID, other.ID); err != nil {
			t.Fatal(err)
		}
		drain(t, w)
		if log, _ := d.ListWebhookDeliveries(ctx, op, ws.ID, other.ID, "failed", 10); len(log) != 1 || !strings.Contains(log[0].LastError, "secret") {
			t.Errorf("unopenable secret: %+v", log)
		}
		if got, _, _ := rc.got(); len(got) != 0 {
			t.Errorf("received %v", got)
		}
	})
}

func TestWebhookRefusesPrivateAddresses(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		box := newBox(t)
		rc := startReceiver(t, clock)
		hook, _ := d.CreateWebhook(ctx, op, ws.ID, directory.WebhookRequest{URL: rc.srv.URL, EventTypes: []string{"member.*"}, SealedSecret: box.Seal([]byte(webhookSecret), directory.WebhookSecretPurpose)})
		logger, _ := quietLogger()
		w := delivery.NewWorker(d, delivery.Options{Now: clock.Now, Logger: logger})
		h, err := delivery.Webhook(d, delivery.WebhookOptions{Box: box, Now: clock.Now, Logger: logger})
		if err != nil {
			t.Fatal(err)
		}
		w.Handle(directory.OutboxWebhook, h)
		if _, err := d.PingWebhook(ctx, op, ws.ID, hook.ID); err != nil {
			t.Fatal(err)
		}
		drain(t, w)
		log, _ := d.ListWebhookDeliveries(ctx, op, ws.ID, hook.ID, "", 10)
		if len(log) != 1 || len(log[0].Attempts) != 1 || !strings.Contains(log[0].Attempts[0].Error, "private or local address") {
			t.Errorf("delivery to loopback = %+v", log)
		}
		if got, _, _ := rc.got(); len(got) != 0 {
			t.Errorf("loopback receiver got %v", got)
		}
	})
}

func TestVerifySignature(t *testing.T) {
	secret := []byte(webhookSecret)
	body := []byte(`{"id":1,"type":"member.activated"}`)
	now := time.Unix(1_800_000_000, 0)
	header := fmt.Sprintf("t=%d,v1=%s", now.Unix(), delivery.Sign(secret, now.Unix(), body))
	if err := delivery.VerifySignature(secret, header, body, now.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatalf("valid signature: %v", err)
	}
	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		now    time.Time
	}{
		{"altered body", secret, header, []byte(`{"id":1,"type":"member.removed"}`), now},
		{"other secret", []byte("another secret of enough length"), header, body, now},
		{"replayed later", secret, header, body, now.Add(time.Hour)},
		{"no timestamp", secret, "v1=" + delivery.Sign(secret, now.Unix(), body), body, now},
		{"no signature", secret, fmt.Sprintf("t=%d", now.Unix()), body, now},
		{"garbage", secret, "nonsense", body, now},
	}
	for _, tt := range tests {
		if err := delivery.VerifySignature(tt.secret, tt.header, tt.body, tt.now, 5*time.Minute); !errors.Is(err, delivery.ErrSignature) {
			t.Errorf("%s: err = %v, want ErrSignature", tt.name, err)
		}
	}
}
