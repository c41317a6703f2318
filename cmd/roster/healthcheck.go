package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// healthcheck exists for container images without a shell or curl
// (distroless): Docker's HEALTHCHECK runs the binary itself.
func init() {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck [URL]",
		Short: "Exit 0 if the server's readiness probe answers 200 (for container health checks)",
		Long: `Requests URL (default: /readyz of the address roster serve listens on, from
--addr or ROSTER_ADDR, with 0.0.0.0 or an empty host read as 127.0.0.1) and
exits 0 on 200, 1 otherwise. /readyz answers 200 once the database is
reachable.`,
		Args: usageArgs(cobra.MaximumNArgs(1)),
	}
	cmd.Flags().String("addr", defaultAddr, flagUsage("address roster serve listens on", envAddr))
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		target := ""
		if len(args) == 1 {
			target = args[0]
		} else {
			host, port, err := net.SplitHostPort(setting(cmd, "addr", envAddr))
			if err != nil {
				return usageError(fmt.Errorf("--addr: %w", err))
			}
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "127.0.0.1"
			}
			target = "http://" + net.JoinHostPort(host, port) + "/readyz"
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return usageError(err)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return &exitError{code: 1, err: fmt.Errorf("healthcheck: %w", err)}
		}
		defer res.Body.Close()
		io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
		if res.StatusCode != http.StatusOK {
			return &exitError{code: 1, err: fmt.Errorf("healthcheck: %s answered %s", target, res.Status)}
		}
		fmt.Fprintln(cmd.OutOrStdout(), "ok")
		return nil
	}
	rootCmd.AddCommand(cmd)
}
