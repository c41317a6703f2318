package provision

import (
	"context"
)

// selectFn is dbSelect bound to ctx.
func (d *Provisioner) selectFn(ctx context.Context) func(dest any, query string, args ...any) error {
	return func(dest any, query string, args ...any) error { return d.DbSelect(ctx, dest, query, args...) }
}
