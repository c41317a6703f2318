package outbox

import (
	"context"

	"github.com/rosterhq/roster/directory/internal/store"
)

// dbExec is dbGet for a statement without rows.
func (d *Outbox) dbExec(ctx context.Context, query string, args ...any) error {
	q := d.SQL.Rebind(query)
	var err error
	if s := d.SQL.Prepared(ctx, q); s != nil {
		_, err = s.ExecContext(ctx, args...)
	} else {
		_, err = d.SQL.ExecContext(ctx, q, args...)
	}
	return store.Unavailable(err)
}
