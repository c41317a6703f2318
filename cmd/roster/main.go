// Command roster is the single Roster binary: serve, migrate, conformance,
// bench and the admin commands. It only wires packages together; every rule
// of the product lives in directory/.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// rootCmd is the top of the command tree. Each file in this folder adds its
// own subcommands to it from an init function, so that commands can be
// written independently.
var rootCmd = &cobra.Command{
	Use:           "roster",
	Short:         "Roster: SCIM 2.0 provisioning and SSO bridge for B2B workspaces",
	SilenceUsage:  true,
	SilenceErrors: true,
}

// exitError carries a process exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "roster:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}
