package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/bench"
	"github.com/rosterhq/roster/directory"
)

func init() {
	var cfg bench.Config
	var output, dbURL string
	var analyze bool
	cmd := &cobra.Command{
		Use:   "bench --url URL --token TOKEN --scenario NAME [--concurrency N] [--n N] [--members N]",
		Short: "Load a SCIM 2.0 server with identity-provider traffic and report latency",
		Long: `Generates SCIM load against a base URL such as http://127.0.0.1:8080/scim/v2.

Scenarios:
  sync         Okta-style provisioning: userName eq existence check with paging, then POST (op = one user)
  lookup       seeds the workspace to --population users if needed, then userName eq lookups of random users
  group-churn  grows a new group to --members members in PATCH batches of --batch, then
               measures one-member add/remove PATCHes; the group is deleted afterwards
  list         pages through all users with count=100 (--concurrency 1 is Okta's import)

Statistics: on PostgreSQL, plans depend on the planner's statistics, which a cluster
without autovacuum (or an initial sync autovacuum has not caught up with) leaves stale.
With --database-url the report says, before and after the measured phase, which of
Roster's tables changed by more than a fifth since their last ANALYZE; --analyze
refreshes them all first. A figure without --analyze is the one a fresh database gives.

Users created by sync and seeding are left in place (named bench-<run>-...@example.com).
--pid samples VmRSS of a local process (e.g. the server) and reports the maximum, and
its CPU time per operation; with --database-url on a PostgreSQL of this machine, the
CPU time of that database's backends per operation too (what one synced person or one
lookup costs the database, not only a rate).
The token may also come from ROSTER_SCIM_TOKEN.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Token == "" {
				cfg.Token = os.Getenv("ROSTER_SCIM_TOKEN")
			}
			if cfg.URL == "" || cfg.Scenario == "" {
				return errors.New("--url and --scenario are required")
			}
			if output != "text" && output != "json" {
				return fmt.Errorf("-o %q: want text or json", output)
			}
			cfg.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			if analyze && dbURL == "" {
				return usageErrorf("--analyze needs --database-url")
			}
			if dbURL != "" {
				d, err := directory.Open(cmd.Context(), dbURL, directory.Options{Logger: cfg.Logger})
				if err != nil {
					return &exitError{code: 1, err: fmt.Errorf("--database-url: %w", err)}
				}
				defer d.Close()
				cfg.Statistics = benchStatistics(d, analyze)
				cfg.DatabasePIDs = d.DatabaseBackends
			}
			// Ctrl-C ends the run early; the partial report is still printed.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			rep, err := bench.Run(ctx, cfg)
			out := cmd.OutOrStdout()
			if rep.Count > 0 || err == nil {
				if output == "json" {
					enc := json.NewEncoder(out)
					enc.SetIndent("", "  ")
					if jerr := enc.Encode(rep); jerr != nil {
						return jerr
					}
				} else {
					rep.Print(out)
				}
			}
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			if rep.Errors > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d operations failed", rep.Errors, rep.Count)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.URL, "url", "", "SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2")
	f.StringVar(&cfg.Token, "token", "", "bearer token (default $ROSTER_SCIM_TOKEN)")
	f.StringVar(&cfg.Scenario, "scenario", "", "one of "+strings.Join(bench.Scenarios, ", "))
	f.IntVar(&cfg.Concurrency, "concurrency", 8, "parallel clients")
	f.IntVar(&cfg.N, "n", 0, "measured operations (0: scenario default; list: every page)")
	f.DurationVar(&cfg.Duration, "duration", 0, "time limit of the measured phase (default 10m)")
	f.IntVar(&cfg.Members, "members", 1000, "group-churn: group size before measuring")
	f.IntVar(&cfg.Batch, "batch", 1000, "group-churn: members added per PATCH while growing")
	f.IntVar(&cfg.Population, "population", 100000, "lookup: seed the workspace up to this many users")
	f.IntVar(&cfg.PID, "pid", 0, "sample this process's VmRSS (Linux) and report the maximum, and its CPU time per operation")
	f.StringVar(&dbURL, "database-url", "", "the server's PostgreSQL database: report before and after measuring whether the planner's statistics of its tables were fresh")
	f.BoolVar(&analyze, "analyze", false, "with --database-url: ANALYZE every table just before measuring (after seeding), as autovacuum would have by then; without it the run measures the statistics as they are")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	rootCmd.AddCommand(cmd)
}

// benchStatistics is bench.Config.Statistics over Roster's database: on its
// first call (before measuring) it runs ANALYZE if asked, then each call
// names the tables whose statistics are stale.
func benchStatistics(d *directory.Directory, analyze bool) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if analyze {
			analyze = false
			if err := d.AnalyzeAll(ctx); err != nil {
				return "", err
			}
		}
		stats, err := d.Statistics(ctx)
		if err != nil {
			return "", err
		}
		if stats == nil {
			return "none kept (SQLite)", nil
		}
		var stale []string
		for _, s := range stats {
			if s.Stale() {
				stale = append(stale, fmt.Sprintf("%s (%d rows changed, planner counts %d)", s.Table, s.Changed, max(s.Rows, 0)))
			}
		}
		if len(stale) == 0 {
			return "fresh (no table changed by more than a fifth since its last ANALYZE)", nil
		}
		return "stale: " + strings.Join(stale, ", "), nil
	}
}
