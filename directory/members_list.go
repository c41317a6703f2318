package directory

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
)

// MemberFilter narrows ListMembers. Empty fields match everything.
type MemberFilter struct {
	Status string
	Role   string
	// Team is a team id.
	Team string
	Kind string
	// Query matches name or email, case-insensitively.
	Query string
	// Cursor continues a previous page; Limit defaults to 50 (max 500).
	Cursor string
	Limit  int
}

// MemberPage is one page of members; NextCursor is empty on the last page.
type MemberPage struct {
	Members    []Member
	NextCursor string
}

// StatusAll is the status filter of every list by status (members,
// invitations, join requests, webhook deliveries) that lists every status:
// the same as no filter, spelled so that a CLI flag can say it.
const StatusAll = "all"

// ListMembers lists a workspace's members (never removed ones), oldest
// first, with cursor pagination.
func (d *Directory) ListMembers(ctx context.Context, actor Actor, workspace string, f MemberFilter) (MemberPage, error) {
	page := MemberPage{Members: []Member{}}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		f.Limit = 500
	}
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermMembersRead)
		if err != nil {
			return err
		}
		q := memberSelect + ` WHERE m.workspace_id = ? AND m.status <> 'removed'`
		args := []any{ws.ID}
		if f.Status != "" && f.Status != StatusAll {
			switch f.Status {
			case StatusInvited, StatusActive, StatusSuspended:
			default:
				return invalidf("unknown status %q (invited, active or suspended)", f.Status)
			}
			q += ` AND m.status = ?`
			args = append(args, f.Status)
		}
		if f.Role != "" {
			q += ` AND m.effective_role = ?`
			args = append(args, f.Role)
		}
		if f.Kind != "" {
			if f.Kind != KindInternal && f.Kind != KindExternal {
				return invalidf("unknown kind %q (internal or external)", f.Kind)
			}
			q += ` AND m.kind = ?`
			args = append(args, f.Kind)
		}
		if f.Team != "" {
			q += ` AND EXISTS (SELECT 1 FROM team_members tm WHERE tm.membership_id = m.id AND tm.team_id = ?)`
			args = append(args, f.Team)
		}
		if s := strings.TrimSpace(f.Query); s != "" {
			// Emails are stored folded; names are folded on both sides by
			// lower(), which is ASCII-only on SQLite, so the query is
			// folded in Go too.
			like := "%" + escapeLike(foldCase(s)) + "%"
			q += ` AND (u.email_norm LIKE ? ESCAPE '\' OR lower(u.name) LIKE ? ESCAPE '\')`
			args = append(args, like, like)
		}
		if f.Cursor != "" {
			after, err := decodeCursor(f.Cursor)
			if err != nil {
				return err
			}
			q += ` AND m.id > ?`
			args = append(args, after)
		}
		q += ` ORDER BY m.id LIMIT ?`
		args = append(args, f.Limit+1)
		if err := t.selectRows(&page.Members, q, args...); err != nil {
			return fmt.Errorf("list members: %w", err)
		}
		if len(page.Members) > f.Limit {
			page.Members = page.Members[:f.Limit]
			page.NextCursor = encodeCursor(page.Members[f.Limit-1].ID)
		}
		return nil
	})
	return page, err
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || len(b) > 64 {
		return "", invalidf("malformed cursor")
	}
	return string(b), nil
}
