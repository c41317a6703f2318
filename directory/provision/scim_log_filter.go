package provision

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// Outcomes a request log can be narrowed to: a request succeeded when it
// was answered below 400.
const (
	SCIMRequestsSucceeded = "succeeded"
	SCIMRequestsFailed    = "failed"
)

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
func (d *Provisioner) FilterSCIMRequests(ctx context.Context, actor store.Actor, workspace string, f SCIMRequestFilter) ([]store.SCIMRequest, error) {
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
		return nil, store.NewFieldError("outcome", "the outcome must be %s or %s", SCIMRequestsSucceeded, SCIMRequestsFailed)
	}
	if f.Operation != "" {
		if s, ok := store.ScimOpShapes[f.Operation]; ok {
			cond, a := scimResourceSQL(s.Resource)
			where = append(where, cond, `method IN (?`+strings.Repeat(", ?", len(s.Methods)-1)+`)`)
			args = append(args, a...)
			for _, m := range s.Methods {
				args = append(args, m)
			}
		} else if f.Operation == store.SCIMOpOther {
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
			return nil, store.NewFieldError("operation", "unknown operation %q", f.Operation)
		}
	}
	out := []store.SCIMRequest{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		c, err := t.ScimConnection(ws.ID)
		if err != nil {
			return err
		}
		q := `SELECT id, connection_id, workspace_id, method, path, status, action, detail, user_agent, duration_us, created_at FROM scim_requests WHERE connection_id = ?`
		all := append([]any{c.ID}, args...)
		for _, w := range where {
			q += ` AND ` + w
		}
		if err := t.SelectRows(&out, q+` ORDER BY id DESC LIMIT ?`, append(all, f.Limit)...); err != nil {
			return fmt.Errorf("filter SCIM requests: %w", err)
		}
		for i := range out {
			out[i].Duration = time.Duration(out[i].DurationUS) * time.Microsecond
		}
		return nil
	})
	return out, err
}
