package directory

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// FeedLatest is the cursor that means "from now on": Feed answers it with
// no events and a cursor after the newest event, so a reader can tail
// without replaying history.
const FeedLatest = "latest"

// FeedEvent is an event in the feed with the cursor that resumes after it.
type FeedEvent struct {
	store.Event
	Cursor string
}

// EventPage is one page of the event feed. NextCursor resumes after the
// last event of the page (or where the request started, when the page is
// empty); HasMore says whether another page is ready now.
type EventPage struct {
	Events     []FeedEvent
	NextCursor string
	HasMore    bool
}

// feedPosition is where a reader is in the feed: after the event with id
// ID written by the transaction TxID (0 on SQLite).
type feedPosition struct {
	TxID uint64
	ID   int64
}

func (p feedPosition) cursor() string {
	return "e1" + base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatUint(p.TxID, 10)+"."+strconv.FormatInt(p.ID, 10)))
}

func parseFeedCursor(c string) (feedPosition, error) {
	if c == "" {
		return feedPosition{}, nil
	}
	bad := store.Invalidf("malformed event cursor %q: pass back a next_cursor or cursor from the feed, %q, or nothing to start from the beginning", store.Truncate(c, 40), FeedLatest)
	raw, ok := strings.CutPrefix(c, "e1")
	if !ok || len(raw) > 64 {
		return feedPosition{}, bad
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return feedPosition{}, bad
	}
	txs, ids, ok := strings.Cut(string(b), ".")
	if !ok {
		return feedPosition{}, bad
	}
	tx, err1 := strconv.ParseUint(txs, 10, 64)
	id, err2 := strconv.ParseInt(ids, 10, 64)
	if err1 != nil || err2 != nil || id < 0 {
		return feedPosition{}, bad
	}
	return feedPosition{TxID: tx, ID: id}, nil
}

// Feed returns a workspace's events after cursor, in commit order, with no
// gaps and no duplicates across pages, even while other transactions are
// still writing events. Reading it needs members.read.
//
// On PostgreSQL an event's id is taken from a sequence when it is
// inserted, not when its transaction commits, so a transaction that began
// earlier can commit an event with a smaller id after a reader has moved
// past it. The feed therefore orders by (tx_id, id), where tx_id is the
// writing transaction's id, and only returns events of transactions older
// than the oldest one still running (pg_snapshot_xmin of the current
// snapshot): every transaction that could still commit has a tx_id at or
// above that horizon, so nothing can ever appear behind a cursor. The cost
// is latency: a long transaction holds the feed back until it ends.
//
// SQLite has a single writer at a time, and ids are assigned inside the
// write lock, so id order is commit order.
func (d *Directory) Feed(ctx context.Context, actor store.Actor, workspace, cursor string, limit int) (EventPage, error) {
	page := EventPage{Events: []FeedEvent{}}
	if limit < 0 || limit > 1000 {
		return page, store.Invalidf("limit must be between 1 and 1000")
	}
	if limit == 0 {
		limit = 100
	}
	latest := cursor == FeedLatest
	var pos feedPosition
	if !latest {
		var err error
		if pos, err = parseFeedCursor(cursor); err != nil {
			return page, err
		}
	}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		if latest {
			pos, err = feedHead(t, ws.ID)
			page.NextCursor = pos.cursor()
			return err
		}
		var rows []struct {
			store.Event
			TxID    string `db:"tx"`
			Payload string `db:"payload"`
		}
		const cols = `id, workspace_id, type, actor_kind, actor_id, source, subject_kind, subject_id, payload, created_at`
		if d.Flavor.SnapshotFeed() {
			err = t.SelectRows(&rows, `SELECT tx_id::text AS tx, `+cols+` FROM events
				WHERE workspace_id = ? AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) AND (tx_id, id) > (CAST(? AS xid8), ?)
				ORDER BY tx_id, id LIMIT ?`, ws.ID, strconv.FormatUint(pos.TxID, 10), pos.ID, limit+1)
		} else {
			err = t.SelectRows(&rows, `SELECT '0' AS tx, `+cols+` FROM events WHERE workspace_id = ? AND id > ? ORDER BY id LIMIT ?`, ws.ID, pos.ID, limit+1)
		}
		if err != nil {
			return fmt.Errorf("read event feed: %w", err)
		}
		if len(rows) > limit {
			rows, page.HasMore = rows[:limit], true
		}
		for _, r := range rows {
			p := feedPosition{ID: r.ID}
			if p.TxID, err = strconv.ParseUint(r.TxID, 10, 64); err != nil {
				return fmt.Errorf("read event feed: transaction id %q: %w", r.TxID, err)
			}
			ev := FeedEvent{Event: r.Event, Cursor: p.cursor()}
			ev.Payload = json.RawMessage(r.Payload)
			page.Events = append(page.Events, ev)
			pos = p
		}
		page.NextCursor = pos.cursor()
		return nil
	})
	return page, err
}

// feedHead is the position after the newest event a reader may see now.
func feedHead(t *store.Tx, workspaceID string) (feedPosition, error) {
	var rows []struct {
		TxID string `db:"tx"`
		ID   int64  `db:"id"`
	}
	var err error
	if t.Store.Flavor.SnapshotFeed() {
		err = t.SelectRows(&rows, `SELECT tx_id::text AS tx, id FROM events WHERE workspace_id = ? AND tx_id < pg_snapshot_xmin(pg_current_snapshot())
			ORDER BY tx_id DESC, id DESC LIMIT 1`, workspaceID)
	} else {
		err = t.SelectRows(&rows, `SELECT '0' AS tx, id FROM events WHERE workspace_id = ? ORDER BY id DESC LIMIT 1`, workspaceID)
	}
	if err != nil {
		return feedPosition{}, fmt.Errorf("find the end of the event feed: %w", err)
	}
	if len(rows) == 0 {
		return feedPosition{}, nil
	}
	tx, err := strconv.ParseUint(rows[0].TxID, 10, 64)
	if err != nil {
		return feedPosition{}, fmt.Errorf("find the end of the event feed: %w", err)
	}
	return feedPosition{TxID: tx, ID: rows[0].ID}, nil
}
