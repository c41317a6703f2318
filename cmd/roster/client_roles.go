package main

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
)

func init() {
	rootCmd.AddCommand(group("roles", "List roles, define custom roles, choose who may invite (on a server)",
		rolesListCmd(), rolesSaveCmd(), rolesDeleteCmd(), rolesInvitersCmd()))
	rootCmd.AddCommand(group("seats", "Show or set the seat limit (on a server)", seatsShowCmd(), seatsSetCmd()))
}

func rolesListCmd() *cobra.Command {
	return clientCmd("list", "List built-in and custom roles with their permissions", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			var res admin.RoleList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/roles"), nil, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res, func(w io.Writer) error {
				t := newTable(w, "key", "name", "rank", "built-in", "may invite", "permissions")
				for _, r := range res.Roles {
					perms := make([]string, len(r.Permissions))
					for i, p := range r.Permissions {
						perms[i] = string(p)
					}
					inviter := "no"
					for _, k := range res.InviteRoles {
						if k == r.Key {
							inviter = "yes"
						}
					}
					t.row(r.Key, r.Name, r.Rank, r.BuiltIn, inviter, strings.Join(perms, " "))
				}
				return t.flush()
			})
		})
}

func rolesSaveCmd() *cobra.Command {
	var name string
	var perms []string
	var rank int
	cmd := clientCmd("save KEY --name NAME [--permission P]... [--rank N]", "Create or replace a custom role", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if name == "" {
				return usageErrorf("--name is required")
			}
			if perms == nil {
				perms = []string{}
			}
			var r admin.Role
			if err := c.call(cmd.Context(), "PUT", c.wsPath("/roles/%s", args[0]), nil, map[string]any{"name": name, "permissions": perms, "rank": rank}, &r); err != nil {
				return err
			}
			return printOutput(cmd, o, r, func(w io.Writer) error {
				return keyValues(w, "Key", r.Key, "Name", r.Name, "Rank", r.Rank, "Permissions", r.Permissions)
			})
		})
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name shown to people (required)")
	f.StringSliceVar(&perms, "permission", nil, "permission the role grants (members.read, members.invite, members.manage, joinlinks.manage, domains.manage, connections.manage, roles.manage); repeatable")
	f.IntVar(&rank, "rank", 0, "precedence among roles, 1–99 (default 30)")
	return cmd
}

func rolesDeleteCmd() *cobra.Command {
	return clientCmd("delete KEY", "Delete a custom role nobody holds", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if err := c.call(cmd.Context(), "DELETE", c.wsPath("/roles/%s", args[0]), nil, nil, nil); err != nil {
				return err
			}
			return done(cmd, o, "deleted role %s", args[0])
		})
}

func rolesInvitersCmd() *cobra.Command {
	return clientCmd("inviters [ROLE...]", "Show, or set (owners), which roles may invite people", cobra.ArbitraryArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var ws struct {
				InviteRoles []string `json:"invite_roles"`
			}
			var err error
			if len(args) == 0 {
				err = c.call(cmd.Context(), "GET", c.wsPath(""), nil, nil, &ws)
			} else {
				err = c.call(cmd.Context(), "PATCH", c.wsPath(""), nil, map[string]any{"invite_roles": args}, &ws)
			}
			if err != nil {
				return err
			}
			return printOutput(cmd, o, ws, func(w io.Writer) error {
				return keyValues(w, "May invite", strings.Join(ws.InviteRoles, ", "))
			})
		})
}

func printSeats(cmd *cobra.Command, o *outputFlag, s admin.Seats) error {
	return printOutput(cmd, o, s, func(w io.Writer) error {
		return keyValues(w, "Limit", seatText(s.Limit), "Used", s.Used, "Active", s.Active, "Invited", s.Invited,
			"Suspended", s.Suspended, "Trial ends", s.TrialEndsAt, "Enforced", s.Enforced)
	})
}

func seatsShowCmd() *cobra.Command {
	return clientCmd("show", "Show the seat limit and how many seats are used", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			var s admin.Seats
			if err := c.call(cmd.Context(), "GET", c.wsPath("/seats"), nil, nil, &s); err != nil {
				return err
			}
			return printSeats(cmd, o, s)
		})
}

func seatsSetCmd() *cobra.Command {
	return clientCmd("set (N | unlimited)", "Set the seat limit (owners)", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var limit any
			if args[0] != "unlimited" {
				n, err := parsePositive(args[0])
				if err != nil {
					return usageErrorf("seat limit %q: give a whole number of seats or unlimited", args[0])
				}
				limit = n
			}
			var s admin.Seats
			if err := c.call(cmd.Context(), "PUT", c.wsPath("/seats"), nil, map[string]any{"limit": limit}, &s); err != nil {
				return err
			}
			return printSeats(cmd, o, s)
		})
}
