package delivery_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/delivery"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

func listOutbox(t *testing.T, d *directory.Directory, actor directory.Actor, f directory.OutboxFilter) []directory.OutboxEntry {
	t.Helper()
	got, err := d.ListOutbox(context.Background(), actor, f)
	if err != nil {
		t.Fatalf("ListOutbox(%+v): %v", f, err)
	}
	return got
}

// A message the SMTP server refuses shows up as failed with the server's
// answer; retried, it is sent; discarded, it never is; another
// workspace's owner neither sees nor touches it.
func TestOutboxListRetryDiscard(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		mb := startMailbox(t)
		mb.setRefuse(-1)
		w := newWorker(d, clock, mb.transport(t), delivery.Options{MaxAttempts: 1})
		if n := drain(t, w); n != 1 {
			t.Fatalf("drained %d, want the owner's invitation", n)
		}
		failed := listOutbox(t, d, op, directory.OutboxFilter{Status: "failed"})
		if len(failed) != 1 {
			t.Fatalf("failed messages = %+v, want 1", failed)
		}
		f := failed[0]
		if f.Kind != directory.OutboxEmail || f.WorkspaceID != ws.ID || f.WorkspaceSlug != "acme" || f.Attempts != 1 ||
			!strings.Contains(f.LastError, "451") || f.Template != "invitation" || len(f.To) != 1 || f.To[0] != "owner@acme.example" || f.NextAttemptAt != nil {
			t.Errorf("failed message = %+v", f)
		}
		if got := listOutbox(t, d, op, directory.OutboxFilter{Status: "pending"}); len(got) != 0 {
			t.Errorf("pending = %+v, want none", got)
		}

		// Another workspace's owner sees neither it nor every workspace's.
		other, otherOwner := directorytest.NewWorkspace(t, d, "other")
		if _, err := d.ListOutbox(ctx, otherOwner, directory.OutboxFilter{Workspace: "acme"}); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("other owner listing acme: %v, want forbidden", err)
		}
		if _, err := d.ListOutbox(ctx, otherOwner, directory.OutboxFilter{}); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("other owner listing every workspace: %v, want forbidden", err)
		}
		for _, m := range listOutbox(t, d, otherOwner, directory.OutboxFilter{Workspace: other.Slug}) {
			if m.ID == f.ID || m.WorkspaceID != other.ID {
				t.Errorf("other owner sees %+v", m)
			}
		}
		if _, err := d.RetryOutbox(ctx, otherOwner, other.Slug, f.ID); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("other owner retrying acme's message: %v, want not found", err)
		}
		if _, err := d.DiscardOutbox(ctx, otherOwner, other.Slug, f.ID); !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("other owner discarding acme's message: %v, want not found", err)
		}
		if _, err := d.RetryOutbox(ctx, otherOwner, "", f.ID); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("other owner retrying with no workspace: %v, want forbidden", err)
		}

		// The invitation lost its one-time link when it failed for good,
		// so it cannot be retried.
		if _, err := d.RetryOutbox(ctx, op, "", f.ID); !errors.Is(err, directory.ErrConflict) || !strings.Contains(err.Error(), "link") {
			t.Errorf("retrying an invitation that lost its link: %v, want conflict", err)
		}

		// A suspension notice refused by the server is retried: due now,
		// its attempts kept, and sent.
		jane, _ := directorytest.Join(t, d, op, ws.ID, "jane.doe@acme.example", directory.RoleMember)
		drain(t, w) // the invitation of the join, refused
		if _, err := d.SuspendMember(ctx, op, ws.ID, jane.ID); err != nil {
			t.Fatal(err)
		}
		drain(t, w)
		notice := listOutbox(t, d, op, directory.OutboxFilter{Workspace: "acme", Status: "failed", Limit: 1})
		if len(notice) != 1 || notice[0].Template != "suspended" || !strings.Contains(notice[0].LastError, "451") {
			t.Fatalf("failed notice = %+v", notice)
		}
		mb.setRefuse(0)
		r, err := d.RetryOutbox(ctx, op, "", notice[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != "pending" || r.Attempts != 1 || r.NextAttemptAt == nil || !r.NextAttemptAt.Equal(clock.Now()) {
			t.Errorf("retried = %+v", r)
		}
		if _, err := d.RetryOutbox(ctx, op, "", notice[0].ID); !errors.Is(err, directory.ErrConflict) {
			t.Errorf("retrying a pending message: %v, want conflict", err)
		}
		if n := drain(t, w); n != 1 {
			t.Fatalf("drained %d after retry, want 1", n)
		}
		if got := mb.to("jane.doe@acme.example"); len(got) != 1 || !strings.Contains(got[0].subject+got[0].text, "Acme") {
			t.Errorf("jane got %+v after retry, want the suspension notice", got)
		}
		if got := listOutbox(t, d, op, directory.OutboxFilter{Workspace: "acme", Status: "sent"}); len(got) != 1 || got[0].ID != notice[0].ID || got[0].SentAt == nil {
			t.Errorf("sent = %+v; all: %+v", got, listOutbox(t, d, op, directory.OutboxFilter{}))
		}

		// Discarded, a pending invitation is never sent, and keeps no link.
		if _, err := d.Invite(ctx, op, ws.ID, directory.InviteRequest{Text: "john.roe@acme.example", Role: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		pending := listOutbox(t, d, op, directory.OutboxFilter{Workspace: "acme", Status: "pending", Kind: directory.OutboxEmail})
		if len(pending) != 1 || pending[0].To[0] != "john.roe@acme.example" || pending[0].NextAttemptAt == nil {
			t.Fatalf("pending = %+v", pending)
		}
		dis, err := d.DiscardOutbox(ctx, op, "acme", pending[0].ID)
		if err != nil || dis.Status != directory.OutboxDiscarded {
			t.Fatalf("discard: %+v %v", dis, err)
		}
		if n := drain(t, w); n != 0 {
			t.Errorf("drained %d after discard, want 0", n)
		}
		if got := mb.to("john.roe@acme.example"); len(got) != 0 {
			t.Errorf("a discarded invitation was sent: %+v", got)
		}
		for _, row := range outbox(t, d, ws) {
			if row.ID == dis.ID && strings.Contains(row.Payload, "/invite/") {
				t.Errorf("a discarded message kept its link: %s", row.Payload)
			}
		}
		if _, err := d.RetryOutbox(ctx, op, "", dis.ID); !errors.Is(err, directory.ErrConflict) {
			t.Errorf("retrying a discarded message: %v, want conflict", err)
		}

		// Keyset paging, newest first.
		all := listOutbox(t, d, op, directory.OutboxFilter{Workspace: "acme"})
		page := listOutbox(t, d, op, directory.OutboxFilter{Workspace: "acme", Limit: 1, After: all[0].ID})
		if len(all) != 4 || len(page) != 1 || page[0].ID != all[1].ID {
			t.Errorf("all = %+v, page after %d = %+v", all, all[0].ID, page)
		}
	})
}

// A message discarded while a sender holds it stays discarded when that
// sender then records a failed attempt: the attempt must not put it back
// in the queue, or the discarded message would be sent after all.
func TestDiscardedWhileSendingStaysDiscarded(t *testing.T) {
	setup(t, func(t *testing.T, d *directory.Directory, clock *directorytest.Clock, ws directory.Workspace) {
		ctx := context.Background()
		claimed, err := d.ClaimOutbox(ctx, directory.OutboxEmail, 10, time.Minute)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim = %+v, %v; want the owner's invitation", claimed, err)
		}
		id := claimed[0].ID
		if _, err := d.DiscardOutbox(ctx, op, "acme", id); err != nil {
			t.Fatalf("discard while sending: %v", err)
		}
		if err := d.FailOutbox(ctx, id, "421 try again later", clock.Now().Add(time.Second), false, nil); err != nil {
			t.Fatalf("the sender records its failed attempt: %v", err)
		}
		if got := listOutbox(t, d, op, directory.OutboxFilter{Status: "discarded"}); len(got) != 1 || got[0].ID != id {
			t.Errorf("discarded = %+v, want message %d", got, id)
		}
		clock.Advance(2 * time.Minute)
		if again, err := d.ClaimOutbox(ctx, directory.OutboxEmail, 10, time.Minute); err != nil || len(again) != 0 {
			t.Errorf("claim after the failed attempt = %+v, %v; want nothing: it was discarded", again, err)
		}
	})
}
