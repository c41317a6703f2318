package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

// `roster apikey` bootstraps admin-API keys directly on the database, as
// the operator, the way `roster workspace create` bootstraps workspaces:
// it is how the first key exists before anything can call the API.

func init() {
	apikey := &cobra.Command{
		Use:   "apikey",
		Short: "Create, list and revoke admin API keys (as the operator, directly on the database)",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	apikey.AddCommand(apikeyCreateCmd(), apikeyListCmd(), apikeyRevokeCmd())
	rootCmd.AddCommand(apikey)
}

func apikeyCreateCmd() *cobra.Command {
	var ws, role, name string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "create --workspace SLUG --role ROLE [--name NAME] [--expires 2160h]",
		Short: "Create an API key for a workspace; prints the key once",
		Long: `Creates an admin API key that acts in one workspace with one role (owner,
admin, manager, member, collaborator or a custom role), through the same
permission checks as a member holding that role.

The key is printed once and only its hash is stored: keep it in a secret store.
Use it as "Authorization: Bearer KEY", or with the client commands through
--key or ROSTER_KEY.`,
		Args: usageArgs(cobra.NoArgs),
	}
	f := cmd.Flags()
	f.StringVar(&ws, "workspace", "", "workspace slug or id (required)")
	f.StringVar(&role, "role", "", "role the key acts with (required)")
	f.StringVar(&name, "name", "", "what the key is for (default: \"created by roster apikey\")")
	f.DurationVar(&expires, "expires", 0, "lifetime, e.g. 2160h for 90 days (default: no expiry)")
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if ws == "" || role == "" {
			return usageErrorf("--workspace and --role are required")
		}
		if expires < 0 {
			return usageErrorf("--expires must be positive")
		}
		req := directory.APIKeyRequest{Name: strings.TrimSpace(name), Role: role}
		if req.Name == "" {
			req.Name = "created by roster apikey"
		}
		if expires > 0 {
			at := time.Now().Add(expires)
			req.ExpiresAt = &at
		}
		return withDirectory(cmd, func(d *directory.Directory) error {
			key, token, err := d.CreateAPIKey(cmd.Context(), directory.Operator(), ws, req)
			if err != nil {
				return fmt.Errorf("create API key: %w", err)
			}
			result := admin.APIKeyCreated{APIKey: admin.APIKeyOf(key), Token: token}
			return printOutput(cmd, output, result, func(w io.Writer) error {
				if err := keyValues(w, "Workspace", key.WorkspaceSlug, "Role", key.Role, "Name", key.Name, "ID", key.ID, "Expires", key.ExpiresAt); err != nil {
					return err
				}
				_, err := fmt.Fprintf(w, "\n%s\n\nThis key is shown once; store it now.\n", token)
				return err
			})
		})
	}
	return cmd
}

func apikeyListCmd() *cobra.Command {
	var ws string
	cmd := &cobra.Command{
		Use:   "list --workspace SLUG",
		Short: "List a workspace's API keys (never the keys themselves)",
		Args:  usageArgs(cobra.NoArgs),
	}
	cmd.Flags().StringVar(&ws, "workspace", "", "workspace slug or id (required)")
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if ws == "" {
			return usageErrorf("--workspace is required")
		}
		return withDirectory(cmd, func(d *directory.Directory) error {
			keys, err := d.ListAPIKeys(cmd.Context(), directory.Operator(), ws)
			if err != nil {
				return fmt.Errorf("list API keys: %w", err)
			}
			return printOutput(cmd, output, wireList(keys, admin.APIKeyOf), func(w io.Writer) error { return apiKeyTable(w, keys) })
		})
	}
	return cmd
}

func apiKeyTable(w io.Writer, keys []directory.APIKey) error {
	t := newTable(w, "id", "name", "role", "prefix", "created", "last used", "expires", "revoked")
	for _, k := range keys {
		t.row(k.ID, k.Name, k.Role, k.TokenPrefix+"…", k.CreatedAt, k.LastUsedAt, k.ExpiresAt, k.RevokedAt)
	}
	return t.flush()
}

func apikeyRevokeCmd() *cobra.Command {
	var ws string
	cmd := &cobra.Command{
		Use:   "revoke --workspace SLUG KEY_ID",
		Short: "Revoke an API key at once",
		Args:  usageArgs(cobra.ExactArgs(1)),
	}
	cmd.Flags().StringVar(&ws, "workspace", "", "workspace slug or id (required)")
	directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if ws == "" {
			return usageErrorf("--workspace is required")
		}
		return withDirectory(cmd, func(d *directory.Directory) error {
			if err := d.RevokeAPIKey(cmd.Context(), directory.Operator(), ws, args[0]); err != nil {
				return fmt.Errorf("revoke API key: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked %s\n", args[0])
			return nil
		})
	}
	return cmd
}
