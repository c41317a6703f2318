package suite

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// feedTests: the event feed's pages and cursors, and the order it gives
// events that concurrent transactions commit.
var feedTests = []test{
	{"FeedPagesAndCursors", testFeedPagesAndCursors},
	{"FeedConcurrentWriters", testFeedConcurrentWriters},
	{"FeedLateCommits", testFeedLateCommits},
}

func testFeedPagesAndCursors(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
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
}

// testFeedConcurrentWriters pages through the feed while many writers
// commit events, some of them in transactions that take their event id
// early and commit late (the case an id-ordered feed gets wrong): the
// reader must see every event exactly once.
func testFeedConcurrentWriters(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	writers, perWriter := 12, 15
	if d.Dialect() == directory.SQLite {
		writers, perWriter = 4, 10
	}

	db := directorytest.DB(t, d)
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
					err = slowEventWrite(ctx, db, ws.ID, fmt.Sprintf("w%d-%d", w, i))
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
			if err := directorytest.DB(t, d).SelectContext(ctx, &ids, directorytest.DB(t, d).Rebind(`SELECT id FROM events WHERE workspace_id = ? ORDER BY id`), ws.ID); err != nil {
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
}

// testFeedLateCommits holds a transaction open on PostgreSQL while another
// commits events, in the two cases an id-ordered feed gets wrong, and
// checks that the feed waits for the held transaction instead of moving
// past it, then gives every event once, in (transaction, id) order. The
// held transaction writes its event either before the other commits (a
// late commit of a lower id) or after (an older transaction's higher id,
// which the feed then gives before the other's lower ids).
func testFeedLateCommits(t *testing.T, newDirectory NewDirectory) {
	tests := []struct {
		name string
		// heldWritesFirst: the held transaction inserts its event before
		// the other transaction runs; otherwise it only takes its
		// transaction id then, and inserts after the other has committed.
		heldWritesFirst bool
	}{
		{"late commit of a lower event id", true},
		{"older transaction writes a higher event id", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDirectory(t, directory.Options{})
			if d.Dialect() == directory.SQLite {
				t.Skip("SQLite has one writer at a time: no transaction commits behind another's event")
			}
			ctx := context.Background()
			ws, owner := newWorkspace(t, d, "acme")
			directorytest.WaitFeed(t, d, ws.ID)
			start, err := d.Feed(ctx, owner, ws.Slug, directory.FeedLatest, 10)
			if err != nil {
				t.Fatal(err)
			}

			var before int64
			if err := directorytest.DB(t, d).GetContext(ctx, &before, directorytest.DB(t, d).Rebind(`SELECT MAX(id) FROM events WHERE workspace_id = ?`), ws.ID); err != nil {
				t.Fatal(err)
			}
			held, err := directorytest.DB(t, d).BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer held.Rollback()
			var heldID int64
			writeHeld := func() {
				t.Helper()
				if err := held.GetContext(ctx, &heldID, held.Rebind(`INSERT INTO events (workspace_id, type, actor_kind, actor_id, source, subject_kind, subject_id, payload, created_at)
						VALUES (?, 'test.held', 'system', '', 'test', 'test', 'held', '{}', ?) RETURNING id`), ws.ID, time.Now().UTC()); err != nil {
					t.Fatal(err)
				}
			}
			if tt.heldWritesFirst {
				writeHeld()
			} else if _, err := held.ExecContext(ctx, `SELECT pg_current_xact_id()`); err != nil {
				t.Fatal(err)
			}

			// Another transaction commits events behind the held one's
			// transaction id.
			if _, err := d.Invite(ctx, owner, ws.Slug, directory.InviteRequest{Text: "late@acme.example", Role: directory.RoleMember, SendEmail: new(bool)}); err != nil {
				t.Fatal(err)
			}
			// (The held event is not committed, so it is not among them.)
			var others []int64
			if err := directorytest.DB(t, d).SelectContext(ctx, &others, directorytest.DB(t, d).Rebind(`SELECT id FROM events WHERE workspace_id = ? AND id > ? ORDER BY id`), ws.ID, before); err != nil || len(others) == 0 {
				t.Fatalf("the other transaction's events: %v, %v", others, err)
			}

			// While the held transaction is open the committed events
			// wait behind it: the feed, and "latest", stay where they
			// were.
			page, err := d.Feed(ctx, owner, ws.Slug, start.NextCursor, 100)
			if err != nil || len(page.Events) != 0 || page.NextCursor != start.NextCursor {
				t.Fatalf("feed while an older transaction is open = %d events, cursor %q (want none, %q), %v", len(page.Events), page.NextCursor, start.NextCursor, err)
			}
			if latest, err := d.Feed(ctx, owner, ws.Slug, directory.FeedLatest, 10); err != nil || latest.NextCursor != start.NextCursor {
				t.Fatalf("latest while an older transaction is open = %q, want %q, %v", latest.NextCursor, start.NextCursor, err)
			}

			if !tt.heldWritesFirst {
				writeHeld()
			}
			if err := held.Commit(); err != nil {
				t.Fatal(err)
			}
			if tt.heldWritesFirst && heldID > others[0] || !tt.heldWritesFirst && heldID < others[len(others)-1] {
				t.Fatalf("setup: held event %d, the other transaction's %v", heldID, others)
			}

			// Then every event comes once, the held transaction's first,
			// one page at a time.
			directorytest.WaitFeed(t, d, ws.ID)
			want := append([]int64{heldID}, others...)
			var got []int64
			for cursor := start.NextCursor; ; {
				page, err := d.Feed(ctx, owner, ws.Slug, cursor, 1)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range page.Events {
					got = append(got, e.ID)
				}
				cursor = page.NextCursor
				if !page.HasMore {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("feed after the held transaction = %v, want %v", got, want)
			}
		})
	}
}

// slowEventWrite inserts an event the way a long transaction does: the id
// is taken first and the commit comes later.
func slowEventWrite(ctx context.Context, db *sqlx.DB, workspaceID, subject string) error {
	tx, err := db.BeginTxx(ctx, nil)
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
