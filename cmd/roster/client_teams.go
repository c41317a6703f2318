package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
)

func init() {
	rootCmd.AddCommand(group("teams", "Teams and their role mappings (on a server)",
		teamsListCmd(), teamsCreateCmd(), teamsUpdateCmd(), teamsDeleteCmd(), teamsMembersCmd(), teamsAddCmd(), teamsRemoveCmd()))
}

func printTeam(cmd *cobra.Command, o *outputFlag, t admin.Team) error {
	return printOutput(cmd, o, t, func(w io.Writer) error {
		return keyValues(w, "ID", t.ID, "Name", t.Name, "Role", t.Role, "Managed by", t.ManagedBy, "Members", t.MemberCount)
	})
}

func teamsListCmd() *cobra.Command {
	return clientCmd("list", "List teams", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			var res admin.TeamList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/teams"), nil, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.Teams, func(w io.Writer) error {
				// "managed by" is scim for a team the identity provider
				// created (with or without an externalId), else roster.
				t := newTable(w, "id", "name", "role", "members", "managed by")
				for _, tm := range res.Teams {
					t.row(tm.ID, tm.Name, tm.Role, tm.MemberCount, tm.ManagedBy)
				}
				return t.flush()
			})
		})
}

func teamsCreateCmd() *cobra.Command {
	var role string
	cmd := clientCmd("create NAME [--role ROLE]", "Create a team; membership of a team with a role grants that role", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			body := map[string]any{"name": args[0]}
			if role != "" {
				body["role"] = role
			}
			var t admin.Team
			if err := c.call(cmd.Context(), "POST", c.wsPath("/teams"), nil, body, &t); err != nil {
				return err
			}
			return printTeam(cmd, o, t)
		})
	cmd.Flags().StringVar(&role, "role", "", "role granted to the team's members")
	return cmd
}

func teamsUpdateCmd() *cobra.Command {
	var name, role string
	var noRole bool
	cmd := clientCmd("update TEAM_ID [--name NAME] [--role ROLE | --no-role]", "Rename a team or change its role mapping", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			body := map[string]any{}
			if cmd.Flags().Changed("name") {
				body["name"] = name
			}
			switch {
			case noRole && role != "":
				return usageErrorf("give --role or --no-role, not both")
			case noRole:
				body["role"] = nil
			case role != "":
				body["role"] = role
			}
			if len(body) == 0 {
				return usageErrorf("give --name, --role or --no-role")
			}
			var t admin.Team
			if err := c.call(cmd.Context(), "PATCH", c.wsPath("/teams/%s", args[0]), nil, body, &t); err != nil {
				return err
			}
			return printTeam(cmd, o, t)
		})
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().StringVar(&role, "role", "", "role granted to the team's members")
	cmd.Flags().BoolVar(&noRole, "no-role", false, "remove the role mapping")
	return cmd
}

func teamsDeleteCmd() *cobra.Command {
	return clientCmd("delete TEAM_ID", "Delete a team", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if err := c.call(cmd.Context(), "DELETE", c.wsPath("/teams/%s", args[0]), nil, nil, nil); err != nil {
				return err
			}
			return done(cmd, o, "deleted team %s", args[0])
		})
}

func teamsMembersCmd() *cobra.Command {
	return clientCmd("members TEAM_ID", "List a team's members", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var res admin.MemberList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/teams/%s/members", args[0]), nil, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.Members, func(w io.Writer) error { return memberTable(w, res.Members) })
		})
}

func teamsAddCmd() *cobra.Command {
	return clientCmd("add TEAM_ID MEMBER_ID...", "Add members to a team", cobra.MinimumNArgs(2), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if err := c.call(cmd.Context(), "POST", c.wsPath("/teams/%s/members", args[0]), nil, map[string]any{"membership_ids": args[1:]}, nil); err != nil {
				return err
			}
			return done(cmd, o, "added %d to team %s", len(args)-1, args[0])
		})
}

func teamsRemoveCmd() *cobra.Command {
	return clientCmd("remove TEAM_ID MEMBER_ID", "Remove a member from a team", cobra.ExactArgs(2), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if err := c.call(cmd.Context(), "DELETE", c.wsPath("/teams/%s/members/%s", args[0], args[1]), nil, nil, nil); err != nil {
				return err
			}
			return done(cmd, o, "removed %s from team %s", args[1], args[0])
		})
}

// parsePositive parses a whole number of at least 1.
func parsePositive(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a whole number of at least 1", s)
	}
	return n, nil
}
