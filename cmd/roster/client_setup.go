package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
)

func init() {
	rootCmd.AddCommand(group("setup-link", "Setup links for a customer's IT admin: SCIM, single sign-on or a domain, without a Roster account (on a server)",
		setupLinkCreateCmd(), setupLinkListCmd(), setupLinkRevokeCmd()))
}

func setupLinkCreateCmd() *cobra.Command {
	var purpose, description string
	var expires time.Duration
	cmd := clientCmd("create --purpose scim|sso|domain [--description TEXT] [--expires 24h]", "Make a setup link; prints its URL once", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			if purpose == "" {
				return usageErrorf("--purpose is required: scim, sso or domain")
			}
			if expires <= 0 {
				return usageErrorf("--expires must be a positive duration, e.g. 24h or 72h")
			}
			body := map[string]any{"purpose": purpose, "description": description, "expires_in_hours": expires.Hours()}
			var res admin.SetupLinkCreated
			if err := c.call(cmd.Context(), "POST", c.wsPath("/setup-links"), nil, body, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res, func(w io.Writer) error {
				if err := keyValues(w, "ID", res.SetupLink.ID, "Purpose", res.SetupLink.Purpose, "Expires", res.SetupLink.ExpiresAt); err != nil {
					return err
				}
				_, err := fmt.Fprintf(w, "\nHand this link to the IT admin (shown once):\n%s\n", res.URL)
				return err
			})
		})
	cmd.Flags().StringVar(&purpose, "purpose", "", "what the link sets up: scim, sso or domain")
	cmd.Flags().StringVar(&description, "description", "", "who the link is for, so you recognise it later")
	cmd.Flags().DurationVar(&expires, "expires", 24*time.Hour, "how long the link works (at most 720h)")
	return cmd
}

func setupLinkListCmd() *cobra.Command {
	return clientCmd("list", "List setup links with their status and summary", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			var res admin.SetupLinkList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/setup-links"), nil, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.SetupLinks, func(w io.Writer) error {
				t := newTable(w, "id", "purpose", "description", "status", "expires", "summary")
				for _, l := range res.SetupLinks {
					t.row(l.ID, l.Purpose, l.Description, l.Status, l.ExpiresAt, l.Summary)
				}
				return t.flush()
			})
		})
}

func setupLinkRevokeCmd() *cobra.Command {
	return clientCmd("revoke LINK_ID", "Revoke a setup link at once (what was set up with it stays)", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var l admin.SetupLink
			if err := c.call(cmd.Context(), "POST", c.wsPath("/setup-links/%s/revoke", args[0]), nil, nil, &l); err != nil {
				return err
			}
			return done(cmd, o, "revoked setup link %s", args[0])
		})
}
