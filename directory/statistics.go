package directory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster/directory/internal/sqldb"
)

// TableStatistics is how fresh PostgreSQL's planner statistics of one of
// Roster's tables are (see Directory.Statistics).
type TableStatistics = sqldb.TableStatistics

// Statistics reports, for each of Roster's tables on PostgreSQL, the rows
// the planner believes it has and the rows changed since its last
// ANALYZE; nil on SQLite. `roster bench` prints it so that a figure says
// whether it was measured on fresh statistics.
func (d *Directory) Statistics(ctx context.Context) ([]TableStatistics, error) {
	return d.SQL.Statistics(ctx)
}

// RefreshStatistics analyzes every table of Roster's whose statistics are
// stale (TableStatistics.Stale) and returns their names.
//
// Why Roster does this itself: PostgreSQL plans a prepared statement once
// it has run a few times and keeps that plan until the table's statistics
// change. A workspace whose first sync grows memberships from nothing to
// 100,000 rows on a cluster without autovacuum (or before autovacuum's
// next pass) keeps the plans made while the table was empty: the planner
// then thinks every index finds one row, and a userName lookup may walk
// the workspace's index in id order instead of the unique index on the
// userName — measured at half the lookups per second. No rewriting of the
// query fixes that, because with "one row" estimates every index of the
// workspace ties. ANALYZE gives the planner the real sizes and throws the
// stale plans away; its cost is a sample, not the table.
func (d *Directory) RefreshStatistics(ctx context.Context) ([]string, error) {
	stats, err := d.SQL.Statistics(ctx)
	if err != nil {
		return nil, err
	}
	var analyzed []string
	for _, s := range stats {
		if !s.Stale() {
			continue
		}
		if err := d.SQL.Analyze(ctx, s.Table); err != nil {
			return analyzed, err
		}
		analyzed = append(analyzed, s.Table)
	}
	return analyzed, nil
}

// AnalyzeAll analyzes every table of Roster's, stale or not: what
// autovacuum would have done by now on a cluster where it runs. `roster
// bench --analyze` uses it to measure on fresh statistics.
func (d *Directory) AnalyzeAll(ctx context.Context) error {
	stats, err := d.SQL.Statistics(ctx)
	if err != nil {
		return err
	}
	for _, s := range stats {
		if err := d.SQL.Analyze(ctx, s.Table); err != nil {
			return err
		}
	}
	return nil
}

// DatabaseBackends lists the process ids of the PostgreSQL backends
// connected to Roster's database (nil on SQLite): `roster bench` reads their
// CPU time to report the database's work per operation.
func (d *Directory) DatabaseBackends(ctx context.Context) ([]int, error) {
	return d.SQL.BackendPIDs(ctx)
}

// KeepStatisticsFresh runs RefreshStatistics every interval, and after
// every nudgeEvery write transactions of this process, until ctx ends; on SQLite it returns at once. Replicas may each run it: a table
// one of them just analyzed is no longer stale for the others. A refusal
// (a database user that does not own the tables may not ANALYZE them) is
// logged once and ends the loop, since it will not change by itself.
func (d *Directory) KeepStatisticsFresh(ctx context.Context, interval time.Duration) {
	if !d.Flavor.IsPostgres() || interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-d.StatsNudge.Pulled():
		}
		tables, err := d.RefreshStatistics(ctx)
		switch {
		case errors.Is(err, context.Canceled):
			return
		case err != nil && sqldb.IsUnreachable(err):
			d.Log.Warn("planner statistics not refreshed: database unreachable", "err", err)
		case err != nil:
			d.Log.Warn("planner statistics are no longer refreshed by Roster (run ANALYZE or autovacuum)", "err", fmt.Errorf("refresh statistics: %w", err))
			return
		case len(tables) > 0:
			d.Log.Info("planner statistics refreshed", "tables", tables)
		}
	}
}
