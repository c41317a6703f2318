package directory_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// lookupPlan is the plan PostgreSQL keeps for a prepared userName lookup
// (the query SCIMListUsers runs for `userName eq`, scim_list.go), as a
// statement cached for a connection's lifetime gets it: generic, made
// from the statistics of the moment.
func lookupPlan(t *testing.T, d *directory.Directory, workspaceID string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := directorytest.DB(t, d).Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The pool keeps the connection: leave it as it was found.
	defer conn.ExecContext(ctx, `DISCARD ALL`)
	for _, q := range []string{
		`SET plan_cache_mode = force_generic_plan`,
		`PREPARE lookup(text, text, int) AS SELECT m.id FROM memberships m
			WHERE m.workspace_id = $1 AND m.scim_user_name_norm IS NOT NULL AND m.status <> 'removed'
			AND ((m.scim_user_name_norm = $2)) ORDER BY m.id ASC LIMIT $3`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var plan string
	if err := conn.GetContext(ctx, &plan, `EXPLAIN (FORMAT JSON) EXECUTE lookup('`+workspaceID+`', 'p77@bulk.example', 2)`); err != nil {
		t.Fatalf("explain: %v", err)
	}
	return plan
}

// TestRefreshStatisticsAfterAnInitialSync: the memberships table grows
// from nothing to 5,000 rows with no ANALYZE in between, as in a first
// sync on a cluster without autovacuum. The planner then walks the
// workspace's members in id order to find one userName; once Roster
// refreshes the statistics it uses the unique index, and a second
// refresh has nothing to do.
func TestRefreshStatisticsAfterAnInitialSync(t *testing.T) {
	directorytest.RequirePostgres(t)
	d := directorytest.Open(t, directory.Postgres, directory.Options{})
	ctx := context.Background()
	ws, _ := newWorkspace(t, d, "bulk")
	// The statistics of the moment the workspace was new, as autovacuum
	// (or the migration's end) would have left them.
	if err := d.AnalyzeAll(ctx); err != nil {
		t.Fatal(err)
	}
	db := directorytest.DB(t, d)
	if _, err := db.ExecContext(ctx, `INSERT INTO users (id, email, email_norm, created_at, updated_at)
		SELECT 'u' || g, 'p' || g || '@bulk.example', 'p' || g || '@bulk.example', now(), now() FROM generate_series(1, 5000) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO memberships (id, workspace_id, user_id, role, effective_role, status, kind, source,
			scim_user_name, scim_user_name_norm, created_at, updated_at)
		SELECT 'm' || lpad(g::text, 6, '0'), $1, 'u' || g, 'member', 'member', 'invited', 'internal', 'scim',
			'p' || g || '@bulk.example', 'p' || g || '@bulk.example', now(), now() FROM generate_series(1, 5000) g`, ws.ID); err != nil {
		t.Fatal(err)
	}

	// PostgreSQL publishes a backend's counts of changed rows within
	// seconds of its transaction (at most 10 s later, when it is idle).
	deadline := time.Now().Add(30 * time.Second)
	for {
		stats, err := d.Statistics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(stats, func(s directory.TableStatistics) bool { return s.Table == "memberships" })
		if i >= 0 && stats[i].Changed >= 5000 && stats[i].Stale() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("memberships statistics %+v: want 5,000 rows changed since ANALYZE, stale", stats)
		}
		time.Sleep(100 * time.Millisecond) // polling PostgreSQL's published counts, which nothing signals
	}
	// The premise: on stale statistics the plan is the slow one.
	if plan := lookupPlan(t, d, ws.ID); !strings.Contains(plan, `"Index Name": "memberships_scim_list"`) {
		t.Fatalf("premise: on stale statistics PostgreSQL was expected to scan the workspace in id order, got %s", plan)
	}

	analyzed, err := d.RefreshStatistics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"memberships", "users"} {
		if !slices.Contains(analyzed, table) {
			t.Errorf("refresh analyzed %v; want %s among them", analyzed, table)
		}
	}
	if slices.Contains(analyzed, "workspaces") {
		t.Errorf("refresh analyzed %v; workspaces did not change", analyzed)
	}
	if plan := lookupPlan(t, d, ws.ID); !strings.Contains(plan, `"Index Name": "memberships_scim_user_name"`) {
		t.Errorf("after the refresh the lookup should use the unique userName index, got %s", plan)
	}
	if again, err := d.RefreshStatistics(ctx); err != nil || len(again) != 0 {
		t.Errorf("second refresh analyzed %v (err %v); want nothing", again, err)
	}
}

// TestWritesWakeTheStatisticsKeeper: the keeper's tick is an hour away,
// yet a burst of writes (as a first sync is) makes it check now and
// analyze the table that grew.
func TestWritesWakeTheStatisticsKeeper(t *testing.T) {
	directorytest.RequirePostgres(t)
	d := directorytest.Open(t, directory.Postgres, directory.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ws, owner := newWorkspace(t, d, "burst")
	if err := d.AnalyzeAll(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); d.KeepStatisticsFresh(ctx, time.Hour) }()
	defer func() { cancel(); <-done }()

	// 500 write transactions: the keeper is nudged after the 500th.
	for i := range 500 {
		if _, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: fmt.Sprintf("Team %03d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// PostgreSQL publishes a backend's counts of changed rows within a
	// second or so of its transaction; poll until the keeper has analyzed.
	deadline := time.Now().Add(30 * time.Second)
	for {
		stats, err := d.Statistics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(stats, func(s directory.TableStatistics) bool { return s.Table == "teams" })
		if i >= 0 && !stats[i].Analyzed.IsZero() && stats[i].Rows >= 500 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("teams not analyzed 30 s after 500 writes: %+v", stats)
		}
		// Keep writing, as a sync does: the counts may not have been
		// published when the keeper looked, and every 500 more writes
		// wake it again.
		if _, err := d.CreateTeam(ctx, owner, ws.Slug, directory.TeamRequest{Name: fmt.Sprintf("Late %d", time.Now().UnixNano())}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStatisticsOnSQLite: SQLite keeps no planner statistics Roster
// relies on, so there is nothing to read or refresh.
func TestStatisticsOnSQLite(t *testing.T) {
	d := directorytest.Open(t, directory.SQLite, directory.Options{})
	ctx := context.Background()
	if stats, err := d.Statistics(ctx); err != nil || stats != nil {
		t.Errorf("statistics %v, %v; want none", stats, err)
	}
	if analyzed, err := d.RefreshStatistics(ctx); err != nil || analyzed != nil {
		t.Errorf("refresh %v, %v; want nothing", analyzed, err)
	}
}
