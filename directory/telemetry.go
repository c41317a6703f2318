package directory

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// What the telemetry package reads of a Directory at scrape time: read
// only, cheap, and nothing about any one workspace.

// OutboxBacklog is the pending part of the outbox for one kind.
type OutboxBacklog struct {
	Kind    string `db:"kind"`
	Pending int    `db:"pending"`
	// Oldest is when the oldest pending message was enqueued.
	Oldest time.Time `db:"-"`
}

// OutboxBacklogs counts pending outbox messages by kind and finds the
// oldest of each. Both queries read only pending rows (the outbox_due
// partial index covers them), so their cost follows the backlog, not the
// size of the outbox's history.
func (d *Directory) OutboxBacklogs(ctx context.Context) ([]OutboxBacklog, error) {
	var out []OutboxBacklog
	if err := d.SQL.SelectContext(ctx, &out, `SELECT kind, COUNT(*) AS pending FROM outbox WHERE status = 'pending' GROUP BY kind ORDER BY kind`); err != nil {
		return nil, fmt.Errorf("count pending outbox messages: %w", err)
	}
	for i := range out {
		// MIN(created_at) would lose the column's type on SQLite; the
		// first row in order keeps it.
		if err := d.SQL.GetContext(ctx, &out[i].Oldest, d.SQL.Rebind(`SELECT created_at FROM outbox WHERE kind = ? AND status = 'pending' ORDER BY created_at LIMIT 1`), out[i].Kind); err != nil && err != sql.ErrNoRows {
			return nil, fmt.Errorf("oldest pending %s message: %w", out[i].Kind, err)
		}
	}
	return out, nil
}

// DBStats are the connection pool's statistics.
func (d *Directory) DBStats() sql.DBStats { return d.SQL.Stats() }

// SCIMAuthCacheStats counts the SCIM authentications answered from the
// cache and the times the cache was cleared, since Open. Both are zero
// when the cache is off (SQLite, or Options.SCIMAuthCache unset).
func (d *Directory) SCIMAuthCacheStats() (hits, clears uint64) {
	hits = d.ScimAuthHits.Load()
	if c := d.ScimAuth; c != nil {
		clears = c.Clears()
	}
	return hits, clears
}
