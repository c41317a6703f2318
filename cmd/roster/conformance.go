package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/conformance"
)

func init() {
	var cfg conformance.Config
	var output string
	cmd := &cobra.Command{
		Use:   "conformance --url URL --token TOKEN [--profile okta|entra]",
		Short: "Check any SCIM 2.0 server against RFC 7644 and Okta/Entra request replays",
		Long: `Runs the SCIM conformance suite over HTTP against a base URL such as
http://127.0.0.1:8080/scim/v2. Each check creates its own uniquely named users
and groups and deletes them afterwards. Exits 1 if any check fails.

The token may also come from the ROSTER_SCIM_TOKEN environment variable, which
keeps it out of the process list.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.Token == "" {
				cfg.Token = os.Getenv("ROSTER_SCIM_TOKEN")
			}
			if cfg.BaseURL == "" {
				return errors.New("--url is required")
			}
			if output != "text" && output != "json" {
				return fmt.Errorf("-o %q: want text or json", output)
			}
			// On Ctrl-C the current check stops but its cleanups still run.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			results, runErr := conformance.Run(ctx, cfg)
			if runErr != nil && len(results) == 0 {
				return &exitError{code: 2, err: runErr}
			}
			var failed int
			out := cmd.OutOrStdout()
			if output == "json" {
				for _, r := range results {
					if !r.Passed && !r.Skipped {
						failed++
					}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					Results []conformance.Result `json:"results"`
					Passed  int                  `json:"passed"`
					Failed  int                  `json:"failed"`
				}{results, countPassed(results), failed}); err != nil {
					return err
				}
			} else {
				failed = conformance.Report(out, results)
			}
			if runErr != nil {
				return &exitError{code: 2, err: runErr}
			}
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d conformance checks failed", failed)}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.BaseURL, "url", "", "SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2")
	f.StringVar(&cfg.Token, "token", "", "bearer token (default $ROSTER_SCIM_TOKEN)")
	f.StringVar(&cfg.Profile, "profile", "", "IdP replays to run: okta or entra (default both)")
	f.StringVar(&cfg.Match, "run", "", "run only checks whose name or reference contains this text")
	f.StringVarP(&output, "output", "o", "text", "output format: text or json")
	rootCmd.AddCommand(cmd)
}

func countPassed(results []conformance.Result) int {
	n := 0
	for _, r := range results {
		if r.Passed {
			n++
		}
	}
	return n
}
