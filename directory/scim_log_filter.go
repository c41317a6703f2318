package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Outcomes a request log can be narrowed to: a request succeeded when it
// was answered below 400.
const (
	SCIMRequestsSucceeded = "succeeded"
	SCIMRequestsFailed    = "failed"
)

// Operations of the request log, as an IdP's requests fall into them:
// the method and the resource of the path.
const (
	SCIMOpCreateUser  = "create_user"
	SCIMOpUpdateUser  = "update_user"
	SCIMOpDeleteUser  = "delete_user"
	SCIMOpReadUsers   = "read_users"
	SCIMOpCreateGroup = "create_group"
	SCIMOpUpdateGroup = "update_group"
	SCIMOpDeleteGroup = "delete_group"
	SCIMOpReadGroups  = "read_groups"
	SCIMOpOther       = "other"
)

// SCIMOperations lists the operations in display order.
var SCIMOperations = []string{SCIMOpCreateUser, SCIMOpUpdateUser, SCIMOpDeleteUser, SCIMOpReadUsers,
	SCIMOpCreateGroup, SCIMOpUpdateGroup, SCIMOpDeleteGroup, SCIMOpReadGroups, SCIMOpOther}

// scimOpShape is what an operation is on the wire.
type scimOpShape struct {
	methods  []string
	resource string
}

var scimOpShapes = map[string]scimOpShape{
	SCIMOpCreateUser:  {[]string{"POST"}, "users"},
	SCIMOpUpdateUser:  {[]string{"PUT", "PATCH"}, "users"},
	SCIMOpDeleteUser:  {[]string{"DELETE"}, "users"},
	SCIMOpReadUsers:   {[]string{"GET"}, "users"},
	SCIMOpCreateGroup: {[]string{"POST"}, "groups"},
	SCIMOpUpdateGroup: {[]string{"PUT", "PATCH"}, "groups"},
	SCIMOpDeleteGroup: {[]string{"DELETE"}, "groups"},
	SCIMOpReadGroups:  {[]string{"GET"}, "groups"},
}

// scimResourceOf is the resource a logged path is about ("users",
// "groups" or ""); paths are matched as the SCIM door routes them, case
// aside.
func scimResourceOf(path string) string {
	p := strings.ToLower(path)
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	switch first {
	case "users", "groups":
		return first
	}
	return ""
}

// Operation is the entry's operation (SCIMOpCreateUser, …).
func (r SCIMRequest) Operation() string {
	res := scimResourceOf(r.Path)
	for _, op := range SCIMOperations {
		s, ok := scimOpShapes[op]
		if ok && s.resource == res && slices.Contains(s.methods, strings.ToUpper(r.Method)) {
			return op
		}
	}
	return SCIMOpOther
}

// Succeeded reports whether the request was answered below 400.
func (r SCIMRequest) Succeeded() bool { return r.Status > 0 && r.Status < 400 }

// SCIMRequestFilter narrows a request log; zero values take everything.
type SCIMRequestFilter struct {
	// Before pages on: only entries older than this id.
	Before int64
	// Limit is the page size, 1 to 1000 (default 100).
	Limit int
	// Outcome is "", SCIMRequestsSucceeded or SCIMRequestsFailed.
	Outcome string
	// Operation is "" or one of SCIMOperations.
	Operation string
}

// scimResourceSQL matches a logged path of resource res (the path alone,
// or followed by /id or ?query), case-insensitively on both databases.
func scimResourceSQL(res string) (string, []any) {
	return `(LOWER(path) = ? OR LOWER(path) LIKE ? OR LOWER(path) LIKE ?)`, []any{"/" + res, "/" + res + "/%", "/" + res + "?%"}
}

// FilterSCIMRequests returns the newest entries of a workspace's request
// log that match f. It needs connections.manage, like ListSCIMRequests.
func (d *Directory) FilterSCIMRequests(ctx context.Context, actor Actor, workspace string, f SCIMRequestFilter) ([]SCIMRequest, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var where []string
	var args []any
	if f.Before > 0 {
		where, args = append(where, `id < ?`), append(args, f.Before)
	}
	switch f.Outcome {
	case "":
	case SCIMRequestsSucceeded:
		where = append(where, `status > 0 AND status < 400`)
	case SCIMRequestsFailed:
		where = append(where, `(status >= 400 OR status = 0)`)
	default:
		return nil, fieldError("outcome", "the outcome must be %s or %s", SCIMRequestsSucceeded, SCIMRequestsFailed)
	}
	if f.Operation != "" {
		if s, ok := scimOpShapes[f.Operation]; ok {
			cond, a := scimResourceSQL(s.resource)
			where = append(where, cond, `method IN (?`+strings.Repeat(", ?", len(s.methods)-1)+`)`)
			args = append(args, a...)
			for _, m := range s.methods {
				args = append(args, m)
			}
		} else if f.Operation == SCIMOpOther {
			// Everything no other operation covers: discovery, root
			// queries, unknown methods and paths.
			var known []string
			for _, res := range []string{"users", "groups"} {
				cond, a := scimResourceSQL(res)
				known = append(known, cond)
				args = append(args, a...)
			}
			where = append(where, `NOT ((`+strings.Join(known, ` OR `)+`) AND method IN ('GET', 'POST', 'PUT', 'PATCH', 'DELETE'))`)
		} else {
			return nil, fieldError("operation", "unknown operation %q", f.Operation)
		}
	}
	out := []SCIMRequest{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		c, err := t.scimConnection(ws.ID)
		if err != nil {
			return err
		}
		q := `SELECT id, connection_id, workspace_id, method, path, status, action, detail, user_agent, duration_us, created_at FROM scim_requests WHERE connection_id = ?`
		all := append([]any{c.ID}, args...)
		for _, w := range where {
			q += ` AND ` + w
		}
		if err := t.selectRows(&out, q+` ORDER BY id DESC LIMIT ?`, append(all, f.Limit)...); err != nil {
			return fmt.Errorf("filter SCIM requests: %w", err)
		}
		for i := range out {
			out[i].Duration = time.Duration(out[i].DurationUS) * time.Microsecond
		}
		return nil
	})
	return out, err
}
