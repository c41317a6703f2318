package directory

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/directory/internal/store"
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
	Members    []store.Member
	NextCursor string
}

// ListMembers lists a workspace's members (never removed ones), oldest
// first, with cursor pagination.
func (d *Directory) ListMembers(ctx context.Context, actor store.Actor, workspace string, f MemberFilter) (MemberPage, error) {
	page := MemberPage{Members: []store.Member{}}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		f.Limit = 500
	}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermMembersRead)
		if err != nil {
			return err
		}
		q := store.MemberSelect + ` WHERE m.workspace_id = ? AND m.status <> 'removed'`
		args := []any{ws.ID}
		if f.Status != "" && f.Status != store.StatusAll {
			switch f.Status {
			case store.StatusInvited, store.StatusActive, store.StatusSuspended:
			default:
				return store.Invalidf("unknown status %q (invited, active or suspended)", f.Status)
			}
			q += ` AND m.status = ?`
			args = append(args, f.Status)
		}
		if f.Role != "" {
			q += ` AND m.effective_role = ?`
			args = append(args, f.Role)
		}
		if f.Kind != "" {
			if f.Kind != store.KindInternal && f.Kind != store.KindExternal {
				return store.Invalidf("unknown kind %q (internal or external)", f.Kind)
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
			like := "%" + store.EscapeLike(store.FoldCase(s)) + "%"
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
		if err := t.SelectRows(&page.Members, q, args...); err != nil {
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

func encodeCursor(id string) string { return base64.RawURLEncoding.EncodeToString([]byte(id)) }

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) == 0 || len(b) > 64 {
		return "", store.Invalidf("malformed cursor")
	}
	return string(b), nil
}
