package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/directory"
)

func init() {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations and exit",
		Long: `Applies every embedded migration to the database. serve does the same at start,
so this is for deployments that migrate in a separate step. Safe to run while
other replicas start: PostgreSQL migrations take an advisory lock.`,
		Args: usageArgs(cobra.NoArgs),
	}
	addDatabaseFlag(cmd)
	output := addOutputFlag(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		dbURL := databaseURL(cmd)
		dialect, _, err := directory.ParseDatabaseURL(dbURL)
		if err != nil {
			return usageError(fmt.Errorf("--database-url: %w", err))
		}
		if err := directory.Migrate(cmd.Context(), dbURL); err != nil {
			return &exitError{code: 1, err: fmt.Errorf("migrate: %w", err)}
		}
		return printOutput(cmd, output, map[string]string{"status": "up to date", "database": string(dialect)}, func(w io.Writer) error {
			_, err := fmt.Fprintf(w, "%s database is up to date\n", dialect)
			return err
		})
	}
	rootCmd.AddCommand(cmd)
}
