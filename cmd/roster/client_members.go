package main

import (
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

// memberClientCmds are the `roster members` commands that work on a
// server. `roster members list` (workspace.go) lists from the database, or
// from a server when --server or ROSTER_SERVER is given (listMembersRemote).
func memberClientCmds() []*cobra.Command {
	return []*cobra.Command{memberShowCmd(), memberRoleCmd(), memberStatusCmd("suspend", "Suspend a member: they cannot sign in, and are emailed"),
		memberStatusCmd("reactivate", "Reactivate a suspended member (needs a free seat)"), memberRemoveCmd(), memberProfileCmd()}
}

// remoteRequested reports whether a command that can work on the database
// or on a server was pointed at a server: --server or ROSTER_SERVER, unless
// --database-url was given on the command line.
func remoteRequested(cmd *cobra.Command) bool {
	if db := cmd.Flags().Lookup("database-url"); db != nil && db.Changed {
		return false
	}
	return cmd.Flags().Lookup("server") != nil && setting(cmd, "server", envServer) != ""
}

// addServerFlags gives a database command the flags to work on a server
// instead (it already has --workspace and -o).
func addServerFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("server", "", flagUsage("work on this Roster server's API instead of the database", envServer))
	f.String("key", "", flagUsage("admin API key for --server", envKey))
}

// listMembersRemote is `roster members list --server …`: every page.
func listMembersRemote(cmd *cobra.Command, ws string, f directory.MemberFilter, o *outputFlag) error {
	if ws == "" {
		ws = setting(cmd, "workspace", envWorkspace)
	}
	c, err := newClient(cmd, false)
	if err != nil {
		return err
	}
	if ws == "" {
		return usageErrorf("which workspace? give --workspace or set %s", envWorkspace)
	}
	c.ws = ws
	q := url.Values{"limit": {"500"}}
	for k, v := range map[string]string{"status": f.Status, "role": f.Role, "kind": f.Kind, "q": f.Query, "team": f.Team} {
		if v != "" {
			q.Set(k, v)
		}
	}
	all := []admin.Member{}
	for {
		var page admin.MemberPage
		if err := c.call(cmd.Context(), "GET", c.wsPath("/members"), q, nil, &page); err != nil {
			return err
		}
		all = append(all, page.Members...)
		if page.NextCursor == "" {
			break
		}
		q.Set("cursor", page.NextCursor)
	}
	return printOutput(cmd, o, all, func(w io.Writer) error { return memberTable(w, all) })
}

func memberTable(w io.Writer, members []admin.Member) error {
	t := newTable(w, "id", "email", "name", "role", "status", "kind", "source", "since")
	for _, m := range members {
		role := m.EffectiveRole
		if m.MainAdmin {
			role += " (main admin)"
		}
		t.row(m.ID, m.Email, m.Name, role, m.Status, m.Kind, m.Source, m.CreatedAt)
	}
	return t.flush()
}

func printMember(cmd *cobra.Command, o *outputFlag, m admin.Member) error {
	return printOutput(cmd, o, m, func(w io.Writer) error {
		return keyValues(w, "ID", m.ID, "Email", m.Email, "Name", m.Name, "Role", m.Role, "Effective role", m.EffectiveRole,
			"Status", m.Status, "Kind", m.Kind, "Source", m.Source, "Main admin", m.MainAdmin, "Locale", m.Locale, "Since", m.CreatedAt)
	})
}

func memberShowCmd() *cobra.Command {
	return clientCmd("show MEMBER_ID", "Show a member (on a server)", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var m admin.Member
			if err := c.call(cmd.Context(), "GET", c.wsPath("/members/%s", args[0]), nil, nil, &m); err != nil {
				return err
			}
			return printMember(cmd, o, m)
		})
}

func memberRoleCmd() *cobra.Command {
	return clientCmd("role MEMBER_ID ROLE", "Change a member's role (on a server)", cobra.ExactArgs(2), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var m admin.Member
			if err := c.call(cmd.Context(), "PUT", c.wsPath("/members/%s/role", args[0]), nil, map[string]string{"role": args[1]}, &m); err != nil {
				return err
			}
			return printMember(cmd, o, m)
		})
}

func memberStatusCmd(verb, short string) *cobra.Command {
	return clientCmd(verb+" MEMBER_ID", short+" (on a server)", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var m admin.Member
			if err := c.call(cmd.Context(), "POST", c.wsPath("/members/%s/"+verb, args[0]), nil, nil, &m); err != nil {
				return err
			}
			return printMember(cmd, o, m)
		})
}

func memberRemoveCmd() *cobra.Command {
	return clientCmd("remove MEMBER_ID", "Remove a member from the workspace (on a server)", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if err := c.call(cmd.Context(), "DELETE", c.wsPath("/members/%s", args[0]), nil, nil, nil); err != nil {
				return err
			}
			return done(cmd, o, "removed %s", args[0])
		})
}

func memberProfileCmd() *cobra.Command {
	cmd := clientCmd("profile MEMBER_ID [--name NAME] [--phone PHONE] [--locale TAG]", "Change a member's name, phone or language (on a server)", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			body := map[string]string{}
			for _, k := range []string{"name", "phone", "locale"} {
				if cmd.Flags().Changed(k) {
					v, _ := cmd.Flags().GetString(k)
					body[k] = v
				}
			}
			if len(body) == 0 {
				return usageErrorf("give --name, --phone or --locale")
			}
			var m admin.Member
			if err := c.call(cmd.Context(), "PATCH", c.wsPath("/members/%s", args[0]), nil, body, &m); err != nil {
				return err
			}
			return printMember(cmd, o, m)
		})
	cmd.Flags().String("name", "", "full name")
	cmd.Flags().String("phone", "", "phone number")
	cmd.Flags().String("locale", "", "language, e.g. en or pt-BR")
	return cmd
}
