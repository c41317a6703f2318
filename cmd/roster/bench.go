package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/bench"
)

func init() {
	var cfg bench.Config
	var output string
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

Users created by sync and seeding are left in place (named bench-<run>-...@example.com).
--pid samples VmRSS of a local process (e.g. the server) and reports the maximum.
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
	f.IntVar(&cfg.PID, "pid", 0, "sample this process's VmRSS (Linux) and report the maximum")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	rootCmd.AddCommand(cmd)
}
