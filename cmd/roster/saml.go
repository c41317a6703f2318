package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/saml"
)

// The `roster saml` commands manage workspaces' SAML identity providers
// directly on the database, as the operator, like `roster oidc`.
func init() {
	samlCmd := &cobra.Command{
		Use:   "saml",
		Short: "Manage the SAML 2.0 identity providers that sign employees in",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	connCmd := &cobra.Command{
		Use:   "connection",
		Short: "Create, list and delete workspaces' SAML connections",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	samlCmd.AddCommand(connCmd)
	connCmd.AddCommand(samlConnectionCreateCmd(), samlConnectionListCmd(), samlConnectionDeleteCmd())
	rootCmd.AddCommand(samlCmd)
}

func samlConnectionCreateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create --workspace SLUG (--metadata-url URL | --metadata-file FILE)",
		Short: "Connect a workspace to its SAML identity provider",
		Long: `Connects a workspace to a SAML 2.0 identity provider (Okta, Entra ID, ADFS,
PingFederate, Shibboleth…) from its metadata: --metadata-url is fetched now
(https, public addresses only) and again every 12 hours by the server, so a
rotated signing certificate is picked up; --metadata-file reads metadata
saved from the IdP (- reads standard input) and is never refreshed.

The answer shows the SP entity ID (also Roster's SP metadata URL) and the
ACS URL to enter at the IdP. Logins are routed to the connection for
--domains once the workspace has verified them (all of its verified domains
when --domains is omitted). The email address is read from
--email-attribute, or the usual attributes (email, mail, the emailaddress
claim) when it is omitted.`,
		Args: usageArgs(cobra.NoArgs),
	}
	addDatabaseFlag(cmd)
	addBaseURLFlag(cmd)
	out := addOutputFlag(cmd)
	f := cmd.Flags()
	workspace := f.String("workspace", "", "workspace slug or id (required)")
	metadataURL := f.String("metadata-url", "", "the IdP's metadata URL")
	metadataFile := f.String("metadata-file", "", "a file holding the IdP's metadata XML (- for standard input)")
	emailAttr := f.String("email-attribute", "", "the attribute that carries the email address")
	idpInitiated := f.Bool("allow-idp-initiated", false, "accept sign-ins started from the IdP's app launcher")
	domains := f.StringSlice("domains", nil, "email domains this provider signs in, comma-separated")
	name := f.String("name", "", "label of the sign-in method")
	dev := f.Bool("dev", false, "allow a metadata URL on plain http or a private address (local IdPs)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if *workspace == "" || (*metadataURL == "") == (*metadataFile == "") {
			return usageErrorf("--workspace and one of --metadata-url or --metadata-file are required")
		}
		xmlText := ""
		if *metadataFile != "" {
			var r io.Reader = cmd.InOrStdin()
			if *metadataFile != "-" {
				fh, err := os.Open(*metadataFile)
				if err != nil {
					return usageError(fmt.Errorf("metadata file: %w", err))
				}
				defer fh.Close()
				r = fh
			}
			b, err := io.ReadAll(io.LimitReader(r, 1<<20))
			if err != nil {
				return usageError(fmt.Errorf("metadata file: %w", err))
			}
			xmlText = string(b)
		}
		d, err := openDirectory(cmd, directory.Options{})
		if err != nil {
			return err
		}
		defer d.Close()
		c, err := saml.CreateConnection(cmd.Context(), d, oidc.NewFetchClient(*dev), directory.Operator(), *workspace, directory.SAMLConnectionRequest{
			Name: *name, MetadataURL: *metadataURL, MetadataXML: xmlText, EmailAttribute: *emailAttr, AllowIdPInitiated: *idpInitiated, Domains: *domains})
		if err != nil {
			return commandError(err)
		}
		w := admin.SAMLConnectionOf(c, baseURL(cmd, ""))
		return printOutput(cmd, out, w, func(o io.Writer) error {
			return keyValues(o, "id", c.ID, "workspace", c.Workspace, "name", c.Name, "idp entity id", c.EntityID, "metadata url", c.MetadataURL,
				"domains", strings.Join(c.Domains, ","), "idp-initiated", fmt.Sprint(c.AllowIdPInitiated),
				"sp entity id", w.SPEntityID, "acs url", w.ACSURL)
		})
	}
	return cmd
}

func samlConnectionListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list [--workspace SLUG]",
		Short: "List SAML connections (every workspace's, or one's)",
		Args:  usageArgs(cobra.NoArgs),
	}
	addDatabaseFlag(cmd)
	addBaseURLFlag(cmd)
	out := addOutputFlag(cmd)
	workspace := cmd.Flags().String("workspace", "", "only this workspace")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		d, err := openDirectory(cmd, directory.Options{})
		if err != nil {
			return err
		}
		defer d.Close()
		list, err := d.ListSAMLConnections(cmd.Context(), directory.Operator(), *workspace)
		if err != nil {
			return commandError(err)
		}
		base := baseURL(cmd, "")
		return printOutput(cmd, out, wireList(list, func(c directory.SAMLConnection) admin.SAMLConnection { return admin.SAMLConnectionOf(c, base) }), func(w io.Writer) error {
			t := newTable(w, "id", "workspace", "idp entity id", "domains", "metadata", "acs url")
			for _, c := range list {
				md := "pasted"
				switch {
				case c.MetadataError != "":
					md = "refresh failing: " + c.MetadataError
				case c.MetadataURL != "":
					md = c.MetadataURL
				}
				t.row(c.ID, c.Workspace, c.EntityID, c.Domains, md, saml.ACSURL(base, c.ID))
			}
			return t.flush()
		})
	}
	return cmd
}

func samlConnectionDeleteCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete --workspace SLUG ID",
		Short: "Remove a SAML connection and unlink the identities made through it",
		Long: `Removes a SAML connection. The identities linked through it are deleted,
so people link again (by SCIM externalId or verified email) through the
connection that replaces it; people, memberships and sessions stay.`,
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
		if err := d.DeleteSAMLConnection(cmd.Context(), directory.Operator(), *workspace, args[0]); err != nil {
			return commandError(err)
		}
		_, err = fmt.Fprintf(cmd.OutOrStdout(), "deleted SAML connection %s\n", args[0])
		return err
	}
	return cmd
}
