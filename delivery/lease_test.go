package delivery_test

import (
	"context"
	"testing"
	"time"

	"github.com/rosterhq/roster/delivery"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// A replica that claimed a message and died (it never records an
// outcome) delays it by the lease, no more: another worker sends it once
// the lease has run out, and not before. If the dead replica had sent
// it already, the copy carries the same Message-ID, derived from the
// outbox row, so the receiver can drop it.
func TestDeadClaimerIsTakenOverAfterTheLease(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		mb := startMailbox(t)
		const lease = time.Minute

		// The replica that dies: it claims, sends, and never records it.
		msgs, err := d.ClaimOutbox(ctx, directory.OutboxEmail, 10, lease)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("claim: %+v, %v", msgs, err)
		}
		if _, err := delivery.Email(mb.transport(t), baseURL)(ctx, msgs[0]); err != nil {
			t.Fatalf("the first send: %v", err)
		}

		w := newWorker(d, clock, mb.transport(t), delivery.Options{Lease: lease})
		clock.Advance(lease - time.Second)
		if n := drain(t, w); n != 0 {
			t.Fatalf("another worker sent %d messages before the lease ran out", n)
		}
		clock.Advance(2 * time.Second)
		if n := drain(t, w); n != 1 {
			t.Fatalf("after the lease another worker sent %d messages, want 1", n)
		}
		got := mb.to("owner@acme.example")
		if len(got) != 2 {
			t.Fatalf("the owner got %d mails, want 2 (the dead replica's and the retry)", len(got))
		}
		want := "<" + delivery.MessageID(msgs[0].ID, "roster.example") + ">"
		if got[0].messageID != want || got[1].messageID != want {
			t.Errorf("Message-IDs %q and %q, want both %q", got[0].messageID, got[1].messageID, want)
		}
		if rows := outbox(t, d, ws); rows[0].Status != "sent" || rows[0].Attempts != 2 {
			t.Errorf("row after the retry: %+v", rows[0])
		}
	})
}

// A slow send keeps its lease: the worker's heartbeat extends it while
// the handler runs, so no other worker takes the message even when the
// send outlasts the lease.
func TestHeartbeatKeepsTheLeaseOfASlowSend(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		mb := startMailbox(t)
		const lease = time.Minute
		started, release := make(chan directory.OutboxMessage), make(chan struct{})
		send := delivery.Email(mb.transport(t), baseURL)
		logger, _ := quietLogger()
		w := delivery.NewWorker(d, delivery.Options{Lease: lease, Heartbeat: 5 * time.Millisecond, Now: clock.Now, Logger: logger})
		w.Handle(directory.OutboxEmail, func(ctx context.Context, m directory.OutboxMessage) (any, error) {
			started <- m
			<-release
			return send(ctx, m)
		})
		drained := make(chan int)
		go func() {
			n, _ := w.Drain(ctx)
			drained <- n
		}()
		m := <-started
		db := directorytest.DB(t, d)
		// Twice: 50s pass, a heartbeat extends the lease to a minute
		// from then, and a competing claim finds nothing due although
		// 100s have passed since the claim.
		for range 2 {
			clock.Advance(50 * time.Second)
			extended := clock.Now().Add(lease - time.Second)
			for deadline := time.Now().Add(10 * time.Second); ; {
				var n int
				if err := db.Get(&n, db.Rebind(`SELECT COUNT(*) FROM outbox WHERE id = ? AND next_attempt_at > ?`), m.ID, extended.UTC()); err != nil {
					t.Fatal(err)
				}
				if n == 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no heartbeat extended the lease within 10s")
				}
				time.Sleep(time.Millisecond) // polling for the heartbeat's row
			}
			if msgs, err := d.ClaimOutbox(ctx, directory.OutboxEmail, 10, lease); err != nil || len(msgs) != 0 {
				t.Fatalf("a competing claim took %+v (%v) while the send was running", msgs, err)
			}
		}
		close(release)
		if n := <-drained; n != 1 {
			t.Fatalf("drain attempted %d, want 1", n)
		}
		if got := mb.to("owner@acme.example"); len(got) != 1 {
			t.Errorf("the owner got %d mails, want 1", len(got))
		}
		if rows := outbox(t, d, ws); rows[0].Status != "sent" || rows[0].Attempts != 1 {
			t.Errorf("row: %+v", rows[0])
		}
	})
}
