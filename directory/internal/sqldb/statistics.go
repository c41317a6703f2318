package sqldb

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// TableStatistics is how fresh the planner's statistics of one table are.
type TableStatistics struct {
	Table string `json:"table"`
	// Rows is the planner's idea of the table's size (reltuples), -1 if
	// the table was never analyzed.
	Rows int64 `json:"rows"`
	// Changed counts rows inserted, updated or deleted since the last
	// ANALYZE (n_mod_since_analyze).
	Changed int64 `json:"changed"`
	// Analyzed is when ANALYZE (by hand or by autovacuum) last ran; zero
	// if never.
	Analyzed time.Time `json:"analyzed"`
}

// Stale says whether the table changed so much since its last ANALYZE
// that the planner's estimates mislead it. The bar is autovacuum's
// default analyze threshold (50 rows plus 10% of the table) doubled, so
// that where autovacuum runs it gets there first and Roster never
// analyzes twice; where it is off (or its workers are busy elsewhere),
// Roster catches up.
func (s TableStatistics) Stale() bool {
	return float64(s.Changed) > 100+0.2*float64(max(s.Rows, 0))
}

// Statistics reads the statistics' freshness of every table of the
// current schema, biggest change first. SQLite keeps no statistics unless
// asked (and Roster never asks), so there it returns nothing.
func (db *DB) Statistics(ctx context.Context) ([]TableStatistics, error) {
	if !db.Flavor.IsPostgres() {
		return nil, nil
	}
	var rows []struct {
		Table    string     `db:"relname"`
		Rows     float64    `db:"reltuples"`
		Changed  int64      `db:"n_mod_since_analyze"`
		Analyzed *time.Time `db:"analyzed"`
	}
	err := db.SelectContext(ctx, &rows, `SELECT s.relname, c.reltuples, s.n_mod_since_analyze,
		GREATEST(s.last_analyze, s.last_autoanalyze) AS analyzed
		FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
		WHERE s.schemaname = current_schema()
		ORDER BY s.n_mod_since_analyze DESC, s.relname`)
	if err != nil {
		return nil, fmt.Errorf("read table statistics: %w", err)
	}
	out := make([]TableStatistics, len(rows))
	for i, r := range rows {
		out[i] = TableStatistics{Table: r.Table, Rows: int64(r.Rows), Changed: r.Changed}
		if r.Analyzed != nil {
			out[i].Analyzed = *r.Analyzed
		}
	}
	return out, nil
}

// Analyze refreshes the planner's statistics of one table of the current
// schema. ANALYZE reads a sample (at most 300 × default_statistics_target
// rows, 30,000 by default), so its cost does not grow with the table, and
// it invalidates the plans prepared statements cached for the table.
func (db *DB) Analyze(ctx context.Context, table string) error {
	if !db.Flavor.IsPostgres() {
		return nil
	}
	// The name comes from the catalog, not from input; quoting it keeps
	// an odd one from breaking the statement.
	if _, err := db.ExecContext(ctx, `ANALYZE `+pq.QuoteIdentifier(table)); err != nil {
		return fmt.Errorf("analyze %s: %w", table, err)
	}
	return nil
}

// BackendPIDs lists the PostgreSQL server processes connected to this
// database (every client's, not only this pool's), for `roster bench` to
// read their CPU time; nil on SQLite, which runs inside the process.
func (db *DB) BackendPIDs(ctx context.Context) ([]int, error) {
	if !db.Flavor.IsPostgres() {
		return nil, nil
	}
	var pids []int
	err := db.SelectContext(ctx, &pids, `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`)
	if err != nil {
		return nil, fmt.Errorf("list database backends: %w", err)
	}
	return pids, nil
}
