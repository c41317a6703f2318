package delivery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/delivery"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/email"
)

var op = directory.Operator()

const baseURL = "https://roster.example"

// inviteLink finds the invitation link in a mail body.
var inviteLink = regexp.MustCompile(regexp.QuoteMeta(baseURL) + `/invite/([A-Za-z0-9_-]+)`)

// setup opens a Directory on the test clock, with a workspace whose owner
// invitation is already in the outbox.
func setup(t *testing.T, fn func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace)) {
	clock := directorytest.NewClock()
	directorytest.RunWith(t, directory.Options{BaseURL: baseURL, Now: clock.Now}, func(t *testing.T, d *directory.Directory) {
		ws, _, err := d.CreateWorkspace(context.Background(), op, directory.CreateWorkspaceRequest{Name: "Acme", Slug: "acme", OwnerEmail: "owner@acme.example"})
		if err != nil {
			t.Fatal(err)
		}
		fn(t, d, clock, ws)
	})
}

// quietLogger keeps the worker's lines in a buffer the test can read.
func quietLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&syncWriter{w: &buf}, nil)), &buf
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func newWorker(d *directory.Directory, clock *directorytest.Clock, tr email.Transport, opts delivery.Options) *delivery.Worker {
	opts.Now = clock.Now
	if opts.Logger == nil {
		opts.Logger, _ = quietLogger()
	}
	w := delivery.NewWorker(d, opts)
	w.Handle(directory.OutboxEmail, delivery.Email(tr, baseURL))
	return w
}

func drain(t *testing.T, w *delivery.Worker) int {
	t.Helper()
	n, err := w.Drain(context.Background())
	if err != nil {
		t.Fatalf("Drain: %v", err)
	}
	return n
}

func outbox(t *testing.T, d *directory.Directory, ws directory.Workspace) []directory.OutboxStatus {
	t.Helper()
	rows, err := d.OutboxOf(context.Background(), ws.ID, directory.OutboxEmail, 100)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestInvitationMailEndToEnd(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		mb := startMailbox(t)
		out, err := d.Invite(ctx, op, ws.ID, directory.InviteRequest{Text: "jane.doe@acme.example", Role: directory.RoleMember})
		if err != nil || out[0].Status != directory.OutcomeInvited {
			t.Fatalf("invite: %v %+v", err, out)
		}
		w := newWorker(d, clock, mb.transport(t), delivery.Options{})
		if n := drain(t, w); n != 2 {
			t.Errorf("delivered %d messages, want 2 (owner and invitee)", n)
		}
		mails := mb.to("jane.doe@acme.example")
		if len(mails) != 1 {
			t.Fatalf("jane got %d mails, want 1; mailbox: %+v", len(mails), mb.messages())
		}
		if !strings.Contains(mails[0].subject, "Acme") || !strings.Contains(mails[0].text, "Jane Doe") {
			t.Errorf("mail = %+v", mails[0])
		}
		m := inviteLink.FindStringSubmatch(mails[0].text)
		if m == nil {
			t.Fatalf("no invitation link in:\n%s", mails[0].text)
		}
		if m[0] != out[0].Link {
			t.Errorf("mailed link %s, invitation outcome says %s", m[0], out[0].Link)
		}
		acc, err := d.AcceptInvitation(ctx, m[1], directory.VerifiedIdentity{Email: "jane.doe@acme.example"})
		if err != nil {
			t.Fatalf("accept with the mailed token: %v", err)
		}
		if acc.Member.Status != directory.StatusActive || acc.Member.WorkspaceID != ws.ID {
			t.Errorf("member after accepting = %+v", acc.Member)
		}

		// Sent rows keep what was sent to whom, but no usable token.
		rows := outbox(t, d, ws)
		if len(rows) != 2 {
			t.Fatalf("outbox has %d rows, want 2", len(rows))
		}
		for _, r := range rows {
			if r.Status != "sent" || r.SentAt == nil || r.Attempts != 1 {
				t.Errorf("row %d: status %s, attempts %d, sent_at %v", r.ID, r.Status, r.Attempts, r.SentAt)
			}
			if strings.Contains(r.Payload, "/invite/") || strings.Contains(r.Payload, m[1]) {
				t.Errorf("row %d still holds the link: %s", r.ID, r.Payload)
			}
			var req directory.EmailRequest
			if err := json.Unmarshal([]byte(r.Payload), &req); err != nil {
				t.Fatalf("row %d payload: %v", r.ID, err)
			}
			if _, ok := req.Data["link"]; ok || req.Template != "invitation" || req.Data["workspace"] != "Acme" || len(req.To) != 1 {
				t.Errorf("row %d redacted payload = %+v", r.ID, req)
			}
		}
		if n := drain(t, w); n != 0 {
			t.Errorf("second drain delivered %d messages, want 0", n)
		}
		if got := len(mb.messages()); got != 2 {
			t.Errorf("mailbox holds %d messages, want 2", got)
		}
	})
}

func TestRetriesWithBackoffThenDelivers(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		mb := startMailbox(t)
		mb.setRefuse(2)
		w := newWorker(d, clock, mb.transport(t), delivery.Options{})

		wantRow := func(status string, attempts int, errPart string) {
			t.Helper()
			rows := outbox(t, d, ws)
			if len(rows) != 1 {
				t.Fatalf("outbox has %d rows, want 1", len(rows))
			}
			r := rows[0]
			if r.Status != status || r.Attempts != attempts || !strings.Contains(r.LastError, errPart) {
				t.Fatalf("row: status %q attempts %d last_error %q; want %q, %d, %q", r.Status, r.Attempts, r.LastError, status, attempts, errPart)
			}
		}

		if n := drain(t, w); n != 1 {
			t.Fatalf("first drain attempted %d, want 1", n)
		}
		wantRow("pending", 1, "451")
		// The retry is not due at once, nor before half the first delay.
		if n := drain(t, w); n != 0 {
			t.Errorf("retried at once (%d)", n)
		}
		clock.Advance(14 * time.Second)
		if n := drain(t, w); n != 0 {
			t.Errorf("retried after 14s, before the backoff (%d)", n)
		}
		clock.Advance(16 * time.Second) // 30s: the first delay at most
		if n := drain(t, w); n != 1 {
			t.Fatalf("no retry after 30s (%d)", n)
		}
		wantRow("pending", 2, "451")
		// The second delay is longer: 30 to 60 seconds.
		clock.Advance(29 * time.Second)
		if n := drain(t, w); n != 0 {
			t.Errorf("second retry after 29s, before the backoff (%d)", n)
		}
		clock.Advance(31 * time.Second)
		if n := drain(t, w); n != 1 {
			t.Fatalf("no second retry after 60s (%d)", n)
		}
		wantRow("sent", 3, "")
		if got := mb.to("owner@acme.example"); len(got) != 1 || !inviteLink.MatchString(got[0].text) {
			t.Errorf("owner got %+v", got)
		}
	})
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		mb := startMailbox(t)
		mb.setRefuse(-1)
		logger, logs := quietLogger()
		w := newWorker(d, clock, mb.transport(t), delivery.Options{MaxAttempts: 3, Logger: logger})
		for i := range 3 {
			if n := drain(t, w); n != 1 {
				t.Fatalf("attempt %d: drained %d, want 1", i+1, n)
			}
			clock.Advance(2 * time.Hour)
		}
		rows := outbox(t, d, ws)
		if r := rows[0]; r.Status != "failed" || r.Attempts != 3 || !strings.Contains(r.LastError, "451") {
			t.Fatalf("row after 3 attempts = %+v", r)
		}
		if strings.Contains(rows[0].Payload, "/invite/") {
			t.Errorf("a message given up for good kept its invitation link: %s", rows[0].Payload)
		}
		if n := drain(t, w); n != 0 {
			t.Errorf("a failed message was attempted again")
		}
		if !strings.Contains(logs.String(), "delivery failed for good") {
			t.Errorf("giving up was not logged:\n%s", logs)
		}
		if strings.Contains(logs.String(), "/invite/") {
			t.Errorf("the log holds an invitation link:\n%s", logs)
		}
	})
}

// insertRaw puts a message into the outbox as directory would, for
// payloads directory itself never writes.
func insertRaw(t *testing.T, d *directory.Directory, clock *directorytest.Clock, wsID, kind, payload string) {
	t.Helper()
	db := directorytest.DB(t, d)
	_, err := db.ExecContext(context.Background(), db.Rebind(`INSERT INTO outbox (workspace_id, kind, target_id, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, '', ?, 'pending', 0, ?, ?)`),
		wsID, kind, payload, clock.Now(), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
}

func TestUndeliverableEmailFailsAtOnce(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		mb := startMailbox(t)
		w := newWorker(d, clock, mb.transport(t), delivery.Options{})
		insertRaw(t, d, clock, ws.ID, directory.OutboxEmail, `{"template":"no_such_template","to":["x@acme.example"],"data":{}}`)
		insertRaw(t, d, clock, ws.ID, directory.OutboxEmail, `{"template":"invitation","to":["x@acme.example"],"data":{"workspace":"Acme"}}`)
		insertRaw(t, d, clock, ws.ID, directory.OutboxEmail, `not json`)
		if n := drain(t, w); n != 4 {
			t.Fatalf("drained %d, want 4", n)
		}
		byErr := map[string]bool{}
		for _, r := range outbox(t, d, ws) {
			switch {
			case r.Status == "sent":
				byErr["sent"] = true
			case r.Status == "failed" && r.Attempts == 1:
				for _, want := range []string{"unknown email template", "missing inviter", "decode email payload"} {
					if strings.Contains(r.LastError, want) {
						byErr[want] = true
					}
				}
			default:
				t.Errorf("row %+v", r)
			}
		}
		if len(byErr) != 4 {
			t.Errorf("outcomes %v, want the owner mail sent and three failures for good", byErr)
		}
		if len(mb.messages()) != 1 {
			t.Errorf("mailbox holds %d messages, want 1", len(mb.messages()))
		}
	})
}

// Other kinds plug in as handlers: a webhook handler sees only webhook
// messages, its redacted payload is stored, and Permanent ends retries.
func TestHandlersByKind(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		logger, _ := quietLogger()
		w := delivery.NewWorker(d, delivery.Options{Now: clock.Now, Logger: logger})
		var seen []string
		w.Handle(directory.OutboxWebhook, func(ctx context.Context, m directory.OutboxMessage) (any, error) {
			var p struct{ URL, Secret string }
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				return nil, delivery.Permanent(err)
			}
			seen = append(seen, p.URL)
			if p.URL == "gone" {
				return nil, delivery.Permanent(errors.New("410 gone"))
			}
			return map[string]string{"url": p.URL}, nil
		})
		insertRaw(t, d, clock, ws.ID, directory.OutboxWebhook, `{"url":"ok","secret":"s3cret"}`)
		insertRaw(t, d, clock, ws.ID, directory.OutboxWebhook, `{"url":"gone"}`)
		if n := drain(t, w); n != 2 {
			t.Fatalf("drained %d, want 2", n)
		}
		if strings.Join(seen, ",") != "ok,gone" {
			t.Errorf("handler saw %v", seen)
		}
		hooks, err := d.OutboxOf(context.Background(), ws.ID, directory.OutboxWebhook, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hooks {
			switch {
			case h.Status == "sent" && h.Payload == `{"url":"ok"}`:
			case h.Status == "failed" && h.Attempts == 1 && h.LastError == "410 gone":
			default:
				t.Errorf("webhook row %+v payload %s", h, h.Payload)
			}
		}
		// No email handler: the owner's invitation waits untouched.
		if r := outbox(t, d, ws)[0]; r.Status != "pending" || r.Attempts != 0 {
			t.Errorf("email row touched by a webhook-only worker: %+v", r)
		}
	})
}

// Replicas share the outbox: each message goes out exactly once.
func TestReplicasDeliverOnce(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		mb := startMailbox(t)
		var text strings.Builder
		for i := range 24 {
			text.WriteString("person" + string(rune('a'+i)) + "@acme.example\n")
		}
		if _, err := d.Invite(ctx, op, ws.ID, directory.InviteRequest{Text: text.String(), Role: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		counts := make([]int, 3)
		for i := range counts {
			w := newWorker(d, clock, mb.transport(t), delivery.Options{Batch: 3})
			wg.Go(func() {
				n, err := w.Drain(ctx)
				if err != nil {
					t.Errorf("replica %d: %v", i, err)
				}
				counts[i] = n
			})
		}
		wg.Wait()
		if total := counts[0] + counts[1] + counts[2]; total != 25 {
			t.Errorf("replicas attempted %v messages, want 25 in all", counts)
		}
		seen := map[string]int{}
		for _, m := range mb.messages() {
			seen[strings.Join(m.to, ",")]++
		}
		if len(seen) != 25 {
			t.Errorf("%d distinct recipients, want 25", len(seen))
		}
		for to, n := range seen {
			if n != 1 {
				t.Errorf("%s got %d mails", to, n)
			}
		}
	})
}

func TestRunDeliversUntilCancelled(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx, cancel := context.WithCancel(context.Background())
		mb := startMailbox(t)
		logger, _ := quietLogger()
		w := delivery.NewWorker(d, delivery.Options{Interval: 20 * time.Millisecond, Logger: logger})
		w.Handle(directory.OutboxEmail, delivery.Email(mb.transport(t), baseURL))
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		// Enqueued while the worker runs: picked up on a later tick.
		if _, _, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Acme", OwnerEmail: "owner@acme.example"}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(mb.messages()) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if len(mb.messages()) != 1 {
			t.Fatalf("mailbox holds %d messages, want 1", len(mb.messages()))
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Run did not stop after cancel")
		}
	})
}

// A delivery cut off by shutdown is handed back at once, never given up.
func TestShutdownHandsBackTheMessageInHand(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		logger, _ := quietLogger()
		w := delivery.NewWorker(d, delivery.Options{Now: clock.Now, Logger: logger, MaxAttempts: 1})
		ctx, cancel := context.WithCancel(context.Background())
		w.Handle(directory.OutboxEmail, func(hctx context.Context, m directory.OutboxMessage) (any, error) {
			cancel() // the process is told to stop while this send is under way
			<-hctx.Done()
			return nil, hctx.Err()
		})
		if n, _ := w.Drain(ctx); n != 1 {
			t.Fatalf("drained %d, want 1", n)
		}
		r := outbox(t, d, ws)[0]
		if r.Status != "pending" || !strings.Contains(r.LastError, "context canceled") {
			t.Fatalf("row after an interrupted send = %+v", r)
		}
		// Due again at once, for the next worker.
		next := newWorker(d, clock, email.NewLog(logger), delivery.Options{})
		if n := drain(t, next); n != 1 || outbox(t, d, ws)[0].Status != "sent" {
			t.Errorf("the interrupted message was not delivered by the next worker")
		}
	})
}

func TestHandleTwicePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a second handler for one kind was accepted")
		}
	}()
	w := delivery.NewWorker(nil, delivery.Options{})
	h := delivery.Email(email.NewLog(nil), baseURL)
	w.Handle(directory.OutboxEmail, h)
	w.Handle(directory.OutboxEmail, h)
}
