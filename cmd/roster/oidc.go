package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

// The `roster oidc` commands manage workspaces' OpenID Connect identity
// providers directly on the database, as the operator (like the other
// bootstrap commands), so the first sign-in can be set up before any admin
// exists.
func init() {
	oidcCmd := &cobra.Command{
		Use:   "oidc",
		Short: "Manage the OpenID Connect identity providers that sign employees in",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	connCmd := &cobra.Command{
		Use:   "connection",
		Short: "Create, list, update and delete workspaces' OIDC connections",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	oidcCmd.AddCommand(connCmd)
	connCmd.AddCommand(oidcConnectionCreateCmd(), oidcConnectionListCmd(), oidcConnectionUpdateCmd(), oidcConnectionDeleteCmd())
	rootCmd.AddCommand(oidcCmd)
}

func oidcConnectionCreateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create --workspace SLUG --issuer URL --client-id ID --client-secret SECRET",
		Short: "Connect a workspace to its identity provider",
		Long: `Connects a workspace to an OpenID Connect identity provider. Register
BASE_URL/auth/callback as the redirect URI at the provider first.

Kinds:
  generic  any OpenID Connect provider (Okta, Keycloak, Dex, …)
  google   Google Workspace: --hd names the Workspace domain; every sign-in's
           hd claim must match it (--issuer defaults to Google's)
  entra    Microsoft Entra ID pinned to one tenant: --tenant is the directory
           (tenant) id; the issuer defaults to the tenant's v2.0 issuer

The client secret is sealed with the server's secret key before it is stored
(ROSTER_SECRET_KEY, or the key file next to an SQLite database). Logins are
routed to the connection for --domains once the workspace has verified them
(all of its verified domains when --domains is omitted).`,
		Args: usageArgs(cobra.NoArgs),
	}
	addDatabaseFlag(cmd)
	out := addOutputFlag(cmd)
	f := cmd.Flags()
	workspace := f.String("workspace", "", "workspace slug or id (required)")
	issuer := f.String("issuer", "", "issuer URL, exactly as the provider's discovery document states it")
	clientID := f.String("client-id", "", "client id registered at the provider (required)")
	clientSecret := f.String("client-secret", "", "client secret registered at the provider (required; - reads it from standard input, out of the process list)")
	kind := f.String("kind", directory.OIDCGeneric, "generic, google or entra")
	tenant := f.String("tenant", "", "Entra tenant (directory) id, a GUID (entra)")
	hd := f.String("hd", "", "Google Workspace domain, checked on the hd claim (google)")
	domains := f.StringSlice("domains", nil, "email domains this provider signs in, comma-separated")
	name := f.String("name", "", "label of the sign-in button")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := secretFromStdin(cmd, clientSecret); err != nil {
			return err
		}
		if *workspace == "" || *clientID == "" || *clientSecret == "" {
			return usageErrorf("--workspace, --client-id and --client-secret are required")
		}
		if *issuer == "" && *kind == directory.OIDCGeneric {
			return usageErrorf("--issuer is required for a generic connection")
		}
		box, err := loadSecretKey(databaseURL(cmd))
		if err != nil {
			return usageError(fmt.Errorf("secret key: %w", err))
		}
		d, err := openDirectory(cmd, directory.Options{})
		if err != nil {
			return err
		}
		defer d.Close()
		c, err := d.CreateOIDCConnection(cmd.Context(), directory.Operator(), *workspace, box, directory.OIDCConnectionRequest{
			Name: *name, Kind: *kind, Issuer: *issuer, ClientID: *clientID, ClientSecret: *clientSecret,
			TenantID: *tenant, HostedDomain: *hd, Domains: *domains})
		if err != nil {
			return commandError(err)
		}
		return printOIDCConnection(cmd, out, c)
	}
	return cmd
}

// printOIDCConnection shows a connection, never its secret.
func printOIDCConnection(cmd *cobra.Command, out *outputFlag, c directory.OIDCConnection) error {
	return printOutput(cmd, out, admin.OIDCConnectionOf(c), func(w io.Writer) error {
		return keyValues(w, "id", c.ID, "workspace", c.Workspace, "kind", c.Kind, "name", c.Name, "issuer", c.Issuer,
			"client id", c.ClientID, "tenant", c.TenantID, "hosted domain", c.HostedDomain, "domains", strings.Join(c.Domains, ","))
	})
}

func oidcConnectionUpdateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update --workspace SLUG ID [--client-secret SECRET] [--domains D,…] [--kind K] [--tenant T] [--hd D] [--issuer URL] [--client-id ID] [--name N]",
		Short: "Rotate a connection's client secret or change its settings",
		Long: `Changes an OIDC connection; flags left out keep their value, with the same
checks as create. --client-secret rotates the secret: the new one is sealed
with the server's secret key and takes effect at the next sign-in (create
the new secret at the provider first, update, then delete the old one
there). --domains '' routes every verified domain of the workspace.

Switching --kind drops the old kind's issuer, tenant and hosted domain
unless given again; a new --tenant moves an entra connection's issuer to the
tenant's. When the issuer changes, identities linked through the old one
are unlinked: people link again on their next sign-in.`,
		Args: usageArgs(cobra.ExactArgs(1)),
	}
	addDatabaseFlag(cmd)
	out := addOutputFlag(cmd)
	f := cmd.Flags()
	workspace := f.String("workspace", "", "workspace slug or id (required)")
	issuer := f.String("issuer", "", "issuer URL, exactly as the provider's discovery document states it")
	clientID := f.String("client-id", "", "client id registered at the provider")
	clientSecret := f.String("client-secret", "", "new client secret (rotates it; - reads it from standard input)")
	kind := f.String("kind", "", "generic, google or entra")
	tenant := f.String("tenant", "", "Entra tenant (directory) id, a GUID (entra)")
	hd := f.String("hd", "", "Google Workspace domain, checked on the hd claim (google)")
	domains := f.StringSlice("domains", nil, "email domains this provider signs in, comma-separated ('' for every verified domain)")
	name := f.String("name", "", "label of the sign-in button")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if *workspace == "" {
			return usageErrorf("--workspace is required")
		}
		if err := secretFromStdin(cmd, clientSecret); err != nil {
			return err
		}
		// Only the flags given change anything.
		set := func(flag string, v *string) *string {
			if !cmd.Flags().Changed(flag) {
				return nil
			}
			return v
		}
		upd := directory.OIDCConnectionUpdate{Name: set("name", name), Issuer: set("issuer", issuer), ClientID: set("client-id", clientID),
			ClientSecret: set("client-secret", clientSecret), Kind: set("kind", kind), TenantID: set("tenant", tenant), HostedDomain: set("hd", hd)}
		if cmd.Flags().Changed("domains") {
			upd.Domains = domains
		}
		if upd == (directory.OIDCConnectionUpdate{}) {
			return usageErrorf("nothing to change: give --client-secret, --domains, --kind, --tenant, --hd, --issuer, --client-id or --name")
		}
		if upd.ClientSecret != nil && *upd.ClientSecret == "" {
			return usageErrorf("--client-secret cannot be empty")
		}
		box, err := loadSecretKey(databaseURL(cmd))
		if err != nil {
			return usageError(fmt.Errorf("secret key: %w", err))
		}
		d, err := openDirectory(cmd, directory.Options{})
		if err != nil {
			return err
		}
		defer d.Close()
		c, err := d.UpdateOIDCConnection(cmd.Context(), directory.Operator(), *workspace, args[0], box, upd)
		if err != nil {
			return commandError(err)
		}
		return printOIDCConnection(cmd, out, c)
	}
	return cmd
}

func oidcConnectionDeleteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete --workspace SLUG ID",
		Short: "Remove a connection and unlink the identities made through it",
		Long: `Removes an OIDC connection. The identities linked through it are deleted,
so people link again (by SCIM externalId or verified email) through the
connection that replaces it; people and memberships stay, and sessions stay
valid until they expire or the person is suspended or removed.`,
		Args: usageArgs(cobra.ExactArgs(1)),
	}
	addDatabaseFlag(cmd)
	workspace := cmd.Flags().String("workspace", "", "workspace slug or id (required)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if *workspace == "" {
			return usageErrorf("--workspace is required")
		}
		d, err := openDirectory(cmd, directory.Options{})
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.DeleteOIDCConnection(cmd.Context(), directory.Operator(), *workspace, args[0]); err != nil {
			return commandError(err)
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "deleted OIDC connection %s\n", args[0])
		return err
	}
	return cmd
}

func oidcConnectionListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list [--workspace SLUG]",
		Short: "List OIDC connections (every workspace's, or one's); secrets are never shown",
		Args:  usageArgs(cobra.NoArgs),
	}
	addDatabaseFlag(cmd)
	out := addOutputFlag(cmd)
	workspace := cmd.Flags().String("workspace", "", "only this workspace")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		d, err := openDirectory(cmd, directory.Options{})
		if err != nil {
			return err
		}
		defer d.Close()
		list, err := d.ListOIDCConnections(cmd.Context(), directory.Operator(), *workspace)
		if err != nil {
			return commandError(err)
		}
		return printOutput(cmd, out, wireList(list, admin.OIDCConnectionOf), func(w io.Writer) error {
			t := newTable(w, "id", "workspace", "kind", "issuer", "client id", "domains")
			for _, c := range list {
				t.row(c.ID, c.Workspace, c.Kind, c.Issuer, c.ClientID, c.Domains)
			}
			return t.flush()
		})
	}
	return cmd
}

// secretFromStdin replaces a secret flag's value "-" with the first line of
// standard input, so the secret need not appear in the process list or
// the shell's history.
func secretFromStdin(cmd *cobra.Command, v *string) error {
	if *v != "-" {
		return nil
	}
	line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return usageError(fmt.Errorf("read the client secret from standard input: %w", err))
	}
	*v = strings.TrimRight(line, "\r\n")
	if *v == "" {
		return usageErrorf("no client secret on standard input")
	}
	return nil
}
