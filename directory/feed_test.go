package directory_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

func TestFeedPagesAndCursors(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		other, otherOwner := newWorkspace(t, d, "other")
		for i := range 7 {
			join(t, d, owner, ws.Slug, fmt.Sprintf("p%d@acme.example", i), directory.RoleMember)
		}
		join(t, d, otherOwner, other.Slug, "x@other.example", directory.RoleMember)
		directorytest.WaitFeed(t, d, ws.ID)

		all, err := d.Feed(ctx, owner, ws.Slug, "", 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(all.Events) == 0 || all.HasMore {
			t.Fatalf("feed = %d events, has_more %v", len(all.Events), all.HasMore)
		}
		for _, e := range all.Events {
			if e.WorkspaceID != ws.ID {
				t.Errorf("event %d of workspace %s in acme's feed", e.ID, e.WorkspaceID)
			}
		}
		// Paging by 3 yields the same events in the same order.
		var paged []int64
		cursor := ""
		for {
			page, err := d.Feed(ctx, owner, ws.Slug, cursor, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Events {
				paged = append(paged, e.ID)
			}
			if len(page.Events) > 0 && page.NextCursor != page.Events[len(page.Events)-1].Cursor {
				t.Errorf("next_cursor %q is not the last event's cursor %q", page.NextCursor, page.Events[len(page.Events)-1].Cursor)
			}
			cursor = page.NextCursor
			if !page.HasMore {
				break
			}
		}
		if len(paged) != len(all.Events) {
			t.Fatalf("paged %d events, want %d", len(paged), len(all.Events))
		}
		for i := range paged {
			if paged[i] != all.Events[i].ID {
				t.Fatalf("page order differs at %d", i)
			}
		}
		// Resuming from any event's cursor gives exactly what follows it.
		mid := all.Events[3]
		rest, err := d.Feed(ctx, owner, ws.Slug, mid.Cursor, 1000)
		if err != nil || len(rest.Events) != len(all.Events)-4 || rest.Events[0].ID != all.Events[4].ID {
			t.Errorf("resume from %q: %d events, err %v", mid.Cursor, len(rest.Events), err)
		}
		// An empty page keeps the cursor; "latest" skips history.
		end, err := d.Feed(ctx, owner, ws.Slug, cursor, 10)
		if err != nil || len(end.Events) != 0 || end.NextCursor != cursor {
			t.Errorf("feed at end = %+v, %v", end, err)
		}
		latest, err := d.Feed(ctx, owner, ws.Slug, directory.FeedLatest, 10)
		if err != nil || len(latest.Events) != 0 || latest.NextCursor != cursor {
			t.Errorf("latest = %+v, %v; want cursor %q", latest, err, cursor)
		}
		join(t, d, owner, ws.Slug, "new@acme.example", directory.RoleMember)
		directorytest.WaitFeed(t, d, ws.ID)
		next, err := d.Feed(ctx, owner, ws.Slug, latest.NextCursor, 10)
		if err != nil || len(next.Events) == 0 || next.Events[0].Type != "invitation.created" {
			t.Errorf("after latest = %+v, %v", next, err)
		}

		for _, bad := range []string{"nope", "e1!!", "e1" + "bm90LWEtY3Vyc29y", "12"} {
			if _, err := d.Feed(ctx, owner, ws.Slug, bad, 10); !errors.Is(err, directory.ErrInvalid) {
				t.Errorf("cursor %q: err = %v, want ErrInvalid", bad, err)
			}
		}
		if _, err := d.Feed(ctx, owner, ws.Slug, "", 1001); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("limit 1001: err = %v, want ErrInvalid", err)
		}
		if _, err := d.Feed(ctx, otherOwner, ws.Slug, "", 10); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("other workspace's owner reads acme's feed: err = %v, want ErrForbidden", err)
		}
		_, collab := join(t, d, owner, ws.Slug, "collab@acme.example", directory.RoleCollaborator)
		if _, err := d.Feed(ctx, collab, ws.Slug, "", 10); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("collaborator reads the feed: err = %v, want ErrForbidden", err)
		}
	})
}

// TestFeedConcurrentWriters pages through the feed while many writers
// commit events, some of them in transactions that take their event id
// early and commit late (the case an id-ordered feed gets wrong): the
// reader must see every event exactly once.
func TestFeedConcurrentWriters(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		writers, perWriter := 12, 15
		if d.Dialect() == directory.SQLite {
			writers, perWriter = 4, 10
		}

		var done atomic.Bool
		var wg sync.WaitGroup
		errs := make(chan error, writers*2)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					var err error
					if w%2 == 0 {
						// A real operation: one invitation, two events.
						_, err = d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: fmt.Sprintf("w%d-%d@acme.example", w, i), Role: directory.RoleMember,
							SendEmail: new(bool)})
					} else {
						err = slowEventWrite(ctx, d, ws.ID, fmt.Sprintf("w%d-%d", w, i))
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		go func() { wg.Wait(); done.Store(true) }()

		seen := map[int64]int{}
		var order []int64
		cursor := ""
		var ids []int64
		// Once the writers are done, read until the reader has as many
		// events as the table (transactions elsewhere in the cluster may
		// hold the horizon back for a moment), then once more to catch
		// duplicates.
		deadline := time.Now().Add(time.Minute)
		for time.Now().Before(deadline) {
			finished := done.Load()
			if finished && ids == nil {
				if err := d.DB().SelectContext(ctx, &ids, d.DB().Rebind(`SELECT id FROM events WHERE workspace_id = ? ORDER BY id`), ws.ID); err != nil {
					t.Fatal(err)
				}
			}
			page, err := d.Feed(ctx, owner, ws.Slug, cursor, 1+rand.IntN(7))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Events {
				seen[e.ID]++
				order = append(order, e.ID)
			}
			cursor = page.NextCursor
			if ids != nil && len(order) >= len(ids) && !page.HasMore && len(page.Events) == 0 {
				break
			}
			if len(page.Events) == 0 {
				time.Sleep(time.Millisecond)
			}
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for _, id := range ids {
			if seen[id] != 1 {
				t.Errorf("event %d seen %d times", id, seen[id])
			}
		}
		if len(seen) != len(ids) {
			t.Errorf("reader saw %d distinct events, the table has %d", len(seen), len(ids))
		}
		outOfIDOrder := 0
		for i := 1; i < len(order); i++ {
			if order[i] < order[i-1] {
				outOfIDOrder++
			}
		}
		t.Logf("%s: %d events read once each; %d came after an event with a higher id", d.Dialect(), len(ids), outOfIDOrder)
	})
}

// slowEventWrite inserts an event the way a long transaction does: the id
// is taken first and the commit comes later.
func slowEventWrite(ctx context.Context, d *directory.Directory, workspaceID, subject string) error {
	tx, err := d.DB().BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO events (workspace_id, type, actor_kind, actor_id, source, subject_kind, subject_id, payload, created_at)
		VALUES (?, 'test.slow', 'system', '', 'test', 'test', ?, '{}', ?)`), workspaceID, subject, time.Now().UTC()); err != nil {
		return err
	}
	time.Sleep(time.Duration(rand.IntN(20)) * time.Millisecond)
	return tx.Commit()
}
