package directory_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// A claimed message whose claimer vanished goes to the next claimer once
// its lease runs out, not before; a heartbeat (ExtendOutboxLease) keeps
// it; a claimer whose lease was taken over learns so from its heartbeat.
// The lease runs on the Directory's clock, so the test only moves it.
func TestOutboxLease(t *testing.T) {
	clock := directorytest.NewClock()
	directorytest.RunWith(t, directory.Options{Now: clock.Now}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		if _, _, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Acme", Slug: "acme", OwnerEmail: "owner@acme.example"}); err != nil {
			t.Fatal(err)
		}
		const lease = time.Minute
		claim := func() []directory.OutboxMessage {
			t.Helper()
			msgs, err := d.ClaimOutbox(ctx, directory.OutboxEmail, 10, lease)
			if err != nil {
				t.Fatal(err)
			}
			return msgs
		}
		first := claim()
		if len(first) != 1 || first[0].Attempts != 1 {
			t.Fatalf("first claim: %+v, want the owner's invitation, attempt 1", first)
		}
		id := first[0].ID
		if got := claim(); len(got) != 0 {
			t.Fatalf("claimed again at once: %+v", got)
		}
		clock.Advance(lease - time.Second)
		if got := claim(); len(got) != 0 {
			t.Fatalf("claimed again before the lease ran out: %+v", got)
		}
		clock.Advance(2 * time.Second)
		second := claim()
		if len(second) != 1 || second[0].ID != id || second[0].Attempts != 2 {
			t.Fatalf("after the lease: %+v, want message %d, attempt 2", second, id)
		}

		// The vanished claimer's heartbeat, had it come back, finds the
		// message lost and leaves the new lease alone.
		if lost, err := d.ExtendOutboxLease(ctx, first, lease); err != nil || !slices.Equal(lost, []int64{id}) {
			t.Fatalf("stale heartbeat: lost %v, %v; want [%d]", lost, err, id)
		}
		// The new claimer's heartbeats keep the message past its first
		// lease.
		for range 3 {
			clock.Advance(lease * 2 / 3)
			if lost, err := d.ExtendOutboxLease(ctx, second, lease); err != nil || len(lost) != 0 {
				t.Fatalf("heartbeat: lost %v, %v", lost, err)
			}
			if got := claim(); len(got) != 0 {
				t.Fatalf("claimed while heartbeats kept the lease: %+v", got)
			}
		}
		clock.Advance(lease + time.Second)
		if got := claim(); len(got) != 1 || got[0].Attempts != 3 {
			t.Fatalf("after the heartbeats stopped and the lease ran out: %+v, want attempt 3", got)
		}
	})
}
