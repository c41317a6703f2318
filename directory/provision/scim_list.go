package provision

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// SCIMGetUser returns one SCIM user of the connection's workspace, with
// one query.
func (d *Provisioner) SCIMGetUser(ctx context.Context, conn store.SCIMConnection, id string) (SCIMUser, error) {
	var r scimUserRow
	err := d.DbGet(ctx, &r, `SELECT `+scimUserColumns+` FROM memberships m WHERE `+scimVisible+` AND m.id = ?`, conn.WorkspaceID, id)
	if err != nil {
		return SCIMUser{}, store.NotFound(err, "user "+id)
	}
	return r.public(), nil
}

// SCIMUserGroups returns the groups (teams) of SCIM users, keyed by user
// id, for the users' "groups" attribute.
func (d *Provisioner) SCIMUserGroups(ctx context.Context, conn store.SCIMConnection, ids []string) (map[string][]SCIMMemberRef, error) {
	out := map[string][]SCIMMemberRef{}
	if len(ids) == 0 {
		return out, nil
	}
	q, args, err := store.InQuery(`SELECT x.membership_id AS owner, t.id AS value, t.name AS display FROM team_members x JOIN teams t ON t.id = x.team_id
		WHERE t.workspace_id = ? AND x.membership_id IN (?) ORDER BY t.name_norm, t.id`, conn.WorkspaceID, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Owner string `db:"owner"`
		SCIMMemberRef
	}
	if err := d.DbSelect(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("groups of users: %w", err)
	}
	for _, r := range rows {
		out[r.Owner] = append(out[r.Owner], r.SCIMMemberRef)
	}
	return out, nil
}

// SCIMMemberRef is a reference between SCIM resources: a group member
// (value is the user id) or a user's group (value is the group id).
type SCIMMemberRef struct {
	Value   string `db:"value"`
	Display string `db:"display"`
}

// SCIMUserPage is one page of users and the total that matched.
type SCIMUserPage struct {
	Total int
	Users []SCIMUser
}

// SCIMListUsers pages through the SCIM users of the connection's workspace
// that match q.Filter, translated to SQL (no rows are filtered in Go). A
// lookup that fits one page is one query; a full page adds a count.
func (d *Provisioner) SCIMListUsers(ctx context.Context, conn store.SCIMConnection, q store.SCIMQuery) (SCIMUserPage, error) {
	page := SCIMUserPage{Users: []SCIMUser{}}
	b := &sqlBuilder{flavor: d.Flavor, args: []any{conn.WorkspaceID}}
	where := scimVisible
	if q.Filter != nil {
		cond, err := b.userCond(q.Filter)
		if err != nil {
			return page, err
		}
		where += " AND (" + cond + ")"
	}
	order, err := b.userOrder(q.Sort)
	if err != nil {
		return page, err
	}
	var rows []scimUserRow
	total, err := scimPageInto(ctx, d, listKey(conn, "users", q), &rows, func(r scimUserRow) string { return r.ID },
		scimUserColumns, "memberships m", where, b.args, order, "m.id", q)
	if err != nil {
		return page, fmt.Errorf("list users: %w", err)
	}
	page.Total = total
	for i := range rows {
		page.Users = append(page.Users, rows[i].public())
	}
	return page, nil
}

// scimPageInto runs the page query of a list into rows and returns the
// total. cols, from and where make the query; idCol is the id column of
// from, the last sort key and what afterID continues after.
//
// Deep pages: with an afterID hint the page continues after that id (an
// index range scan); without one the rows to skip are skipped in a
// subquery that reads only ids (an index-only scan), and only the page's
// rows are read whole. The total: a page shorter than asked tells it by
// itself; q.total, from an earlier page of the same list, is reused for
// full pages; otherwise it is counted.
//
// list names the list for its paging hints (scim_paging.go), which
// remember where this page ended and its total for the next page; id
// reads a row's id.
func scimPageInto[T any](ctx context.Context, d *Provisioner, list string, rows *[]T, id func(T) string,
	cols, from, where string, whereArgs []any, order, idCol string, q store.SCIMQuery) (int, error) {
	d.Pages.Prepare(list, &q)
	total, err := scimPage(ctx, d, rows, cols, from, where, whereArgs, order, idCol, q)
	if n := len(*rows); err == nil && n > 0 {
		d.Pages.Record(list, q, n, id((*rows)[n-1]), total)
	}
	return total, err
}

// scimPage is scimPageInto once the hints are read.
func scimPage[T any](ctx context.Context, d *Provisioner, rows *[]T, cols, from, where string, whereArgs []any, order, idCol string, q store.SCIMQuery) (int, error) {
	start := max(q.StartIndex, 1)
	countQ := `SELECT COUNT(*) FROM ` + from + ` WHERE ` + where
	if q.Count <= 0 {
		var n int
		err := d.DbGet(ctx, &n, countQ, whereArgs...)
		return n, err
	}
	args := append([]any(nil), whereArgs...)
	var query string
	switch {
	case q.AfterID != "" && q.Sort.Field == 0:
		query = `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + where + ` AND ` + idCol + ` > ? ORDER BY ` + order + ` LIMIT ?`
		args = append(args, q.AfterID, q.Count)
	case start > 1:
		query = `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + idCol + ` IN (SELECT ` + idCol + ` FROM ` + from + ` WHERE ` + where +
			` ORDER BY ` + order + ` LIMIT ? OFFSET ?) ORDER BY ` + order
		args = append(args, q.Count, start-1)
	default:
		query = `SELECT ` + cols + ` FROM ` + from + ` WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ?`
		args = append(args, q.Count)
	}
	if err := d.DbSelect(ctx, rows, query, args...); err != nil {
		return 0, err
	}
	n := len(*rows)
	switch {
	case n > 0 && n < q.Count, start == 1 && n == 0:
		return start - 1 + n, nil
	case q.Total != nil:
		return *q.Total, nil
	}
	var total int
	err := d.DbGet(ctx, &total, countQ, whereArgs...)
	return total, err
}
