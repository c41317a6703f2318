package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
)

// ActivityFilter narrows the audit log of a workspace.
type ActivityFilter struct {
	// Types are event types ("member.suspended") or prefixes
	// ("invitation.*"); empty means every type.
	Types []string
	// Person is a membership id of the workspace: only events that person
	// did, or that were about them (their membership, their invitations,
	// their join requests).
	Person string
	// Before continues a previous page: the cursor of its last event.
	Before string
	// Limit defaults to 50 (at most 200).
	Limit int
}

// ActivityPage is one page of the audit log, newest first. NextCursor
// continues with older events; empty on the last page. People names the
// users the events mention (as actors, as the member they are about, or
// in their payloads' user_id and membership_id), by user id, so a page can say who did what without one lookup per row.
type ActivityPage struct {
	Events     []FeedEvent
	NextCursor string
	People     map[string]ActivityPerson
	// Person is the person the page is filtered by, when it is.
	Person *ActivityPerson
}

// ActivityPerson is a user an event names, as the workspace knows them.
type ActivityPerson struct {
	UserID       string `db:"user_id"`
	MembershipID string `db:"membership_id"`
	Name         string `db:"name"`
	Email        string `db:"email"`
}

// Activity reads a workspace's events newest first, in the feed's order
// ((tx_id, id) on PostgreSQL, id on SQLite) and with the feed's cursors,
// filtered by type and person. Unlike Feed it shows an event as soon as
// it commits: it is read by people, who would rather see a change at
// once than have a guarantee that a long transaction never commits an
// event below a page they already turned. Reading it needs members.read,
// as Feed does.
func (d *Directory) Activity(ctx context.Context, actor store.Actor, workspace string, f ActivityFilter) (ActivityPage, error) {
	page := ActivityPage{Events: []FeedEvent{}, People: map[string]ActivityPerson{}}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 200 {
		f.Limit = 200
	}
	var before *feedPosition
	if f.Before != "" {
		p, err := parseFeedCursor(f.Before)
		if err != nil {
			return page, err
		}
		before = &p
	}
	types, err := store.NormalizeEventTypes(f.Types)
	if err != nil {
		return page, err
	}
	err = d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		pg := d.Flavor.SnapshotFeed()
		txCol := `'0'`
		if pg {
			txCol = `tx_id::text`
		}
		q := `SELECT ` + txCol + ` AS tx, id, workspace_id, type, actor_kind, actor_id, source, subject_kind, subject_id, payload, created_at
			FROM events WHERE workspace_id = ?`
		args := []any{ws.ID}
		if before != nil {
			if pg {
				q += ` AND (tx_id, id) < (CAST(? AS xid8), ?)`
				args = append(args, strconv.FormatUint(before.TxID, 10), before.ID)
			} else {
				q += ` AND id < ?`
				args = append(args, before.ID)
			}
		}
		if types[0] != "*" {
			var or []string
			for _, typ := range types {
				if prefix, ok := strings.CutSuffix(typ, "*"); ok {
					// Event types are [a-z0-9_.]: only _ is a LIKE
					// wildcard among them, escaped here.
					or = append(or, `type LIKE ? ESCAPE '\'`)
					args = append(args, strings.ReplaceAll(prefix, "_", `\_`)+"%")
				} else {
					or = append(or, `type = ?`)
					args = append(args, typ)
				}
			}
			q += ` AND (` + strings.Join(or, " OR ") + `)`
		}
		if f.Person != "" {
			var who []ActivityPerson
			if err := t.SelectRows(&who, `SELECT m.user_id, m.id AS membership_id, u.name, COALESCE(u.email, '') AS email
				FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? AND m.id = ?`, ws.ID, f.Person); err != nil {
				return fmt.Errorf("find the person of the activity filter: %w", err)
			}
			if len(who) == 0 {
				return fmt.Errorf("%w: no member %s in this workspace", store.ErrNotFound, f.Person)
			}
			page.Person = &who[0]
			q += ` AND ((actor_kind IN ('member', 'user') AND actor_id = ?)
				OR (subject_kind = 'member' AND subject_id = ?)
				OR (subject_kind = 'invitation' AND subject_id IN (SELECT id FROM invitations WHERE workspace_id = ? AND membership_id = ?))
				OR (subject_kind = 'join_request' AND subject_id IN (SELECT id FROM join_requests WHERE workspace_id = ? AND user_id = ?)))`
			args = append(args, who[0].UserID, who[0].MembershipID, ws.ID, who[0].MembershipID, ws.ID, who[0].UserID)
		}
		if pg {
			q += ` ORDER BY tx_id DESC, id DESC LIMIT ?`
		} else {
			q += ` ORDER BY id DESC LIMIT ?`
		}
		args = append(args, f.Limit+1)
		var rows []struct {
			store.Event
			TxID    string `db:"tx"`
			Payload string `db:"payload"`
		}
		if err := t.SelectRows(&rows, q, args...); err != nil {
			return fmt.Errorf("read activity: %w", err)
		}
		more := len(rows) > f.Limit
		if more {
			rows = rows[:f.Limit]
		}
		userIDs := []string{}
		seen := map[string]bool{}
		mention := func(id string) {
			if id != "" && !seen[id] {
				seen[id] = true
				userIDs = append(userIDs, id)
			}
		}
		memberIDs := []string{}
		mentionMember := func(id string) {
			if id != "" && !seen["m:"+id] {
				seen["m:"+id] = true
				memberIDs = append(memberIDs, id)
			}
		}
		for _, r := range rows {
			p := feedPosition{ID: r.ID}
			if p.TxID, err = strconv.ParseUint(r.TxID, 10, 64); err != nil {
				return fmt.Errorf("read activity: transaction id %q: %w", r.TxID, err)
			}
			ev := FeedEvent{Event: r.Event, Cursor: p.cursor()}
			ev.Payload = json.RawMessage(r.Payload)
			page.Events = append(page.Events, ev)
			if r.ActorKind == string(store.ActorMember) || r.ActorKind == string(store.ActorUser) {
				mention(r.ActorID)
			}
			var body struct {
				UserID       string `json:"user_id"`
				MembershipID string `json:"membership_id"`
			}
			if json.Unmarshal([]byte(r.Payload), &body) == nil {
				mention(body.UserID)
				mentionMember(body.MembershipID)
			}
			if r.SubjectKind == "member" {
				mentionMember(r.SubjectID)
			}
		}
		if more {
			page.NextCursor = page.Events[len(page.Events)-1].Cursor
		}
		if err := activityPeople(t, ws.ID, "m.user_id", userIDs, page.People); err != nil {
			return err
		}
		return activityPeople(t, ws.ID, "m.id", memberIDs, page.People)
	})
	return page, err
}

// activityPeople names the users whose column (user or membership id) is
// one of ids as the workspace knows them: their membership here (any
// status, removed ones too) and their current name. Users who were never
// members here (the operator has no user) are left out.
func activityPeople(t *store.Tx, workspaceID, column string, ids []string, out map[string]ActivityPerson) error {
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		q, args, err := store.InQuery(`SELECT m.user_id, m.id AS membership_id, u.name, COALESCE(u.email, '') AS email
			FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? AND `+column+` IN (?)`, workspaceID, chunk)
		if err != nil {
			return err
		}
		var people []ActivityPerson
		if err := t.SelectRows(&people, q, args...); err != nil {
			return fmt.Errorf("name the people of the activity: %w", err)
		}
		for _, p := range people {
			out[p.UserID] = p
		}
	}
	return nil
}
