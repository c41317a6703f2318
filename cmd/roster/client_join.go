package main

import (
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
)

func init() {
	rootCmd.AddCommand(group("join-links", "Links people use to join or ask to join (on a server)",
		joinLinksListCmd(), joinLinksCreateCmd(), joinLinksUpdateCmd(), joinLinksRevokeCmd(), joinLinksMembersCmd()))
	rootCmd.AddCommand(group("join-requests", "Review requests to join: accept, reject, dismiss (on a server)",
		joinRequestsListCmd(), joinRequestDecideCmd("accept", "Accept a request: the person becomes a member and is emailed"),
		joinRequestDecideCmd("reject", "Reject a request: the person is emailed and cannot ask again"),
		joinRequestDecideCmd("dismiss", "Delete a request without telling anyone; the person may ask again")))
}

func printJoinLink(cmd *cobra.Command, o *outputFlag, l admin.JoinLink, extra ...any) error {
	return printOutput(cmd, o, l, func(w io.Writer) error {
		pairs := []any{"ID", l.ID, "Description", l.Description, "Role", l.Role, "Teams", l.Teams, "Mode", l.Mode, "Notify", l.Notify, "Active", l.Active}
		return keyValues(w, append(pairs, extra...)...)
	})
}

func joinLinksListCmd() *cobra.Command {
	return clientCmd("list", "List join links", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			var res admin.JoinLinkList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/join-links"), nil, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.JoinLinks, func(w io.Writer) error {
				t := newTable(w, "id", "description", "role", "mode", "notify", "active", "created")
				for _, l := range res.JoinLinks {
					active := fmt.Sprint(l.Active)
					if l.RevokedAt != nil {
						active = "revoked"
					}
					t.row(l.ID, l.Description, l.Role, l.Mode, l.Notify, active, l.CreatedAt)
				}
				return t.flush()
			})
		})
}

// joinLinkFlags are the settings of a join link on the command line.
type joinLinkFlags struct {
	description, role, mode, notify string
	teams, people                   []string
	active                          bool
}

func (f *joinLinkFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.description, "description", "", "who the link is for (shown to people who open it)")
	fs.StringVar(&f.role, "role", "", "role people get (member, collaborator, …)")
	fs.StringSliceVar(&f.teams, "team", nil, "team (name or id) people join; repeatable")
	fs.StringVar(&f.mode, "mode", "", "approval (files a join request; default) or direct (joins at once)")
	fs.StringVar(&f.notify, "notify", "", "who is told of requests: all_managers, people or nobody")
	fs.StringSliceVar(&f.people, "notify-member", nil, "member id of someone to notify (with --notify people); repeatable")
	fs.BoolVar(&f.active, "active", true, "whether the link works")
}

// body holds the flags given on the command line.
func (f *joinLinkFlags) body(cmd *cobra.Command) map[string]any {
	b := map[string]any{}
	set := func(flag, key string, v any) {
		if cmd.Flags().Changed(flag) {
			b[key] = v
		}
	}
	set("description", "description", f.description)
	set("role", "role", f.role)
	set("team", "teams", f.teams)
	set("mode", "mode", f.mode)
	set("notify", "notify", f.notify)
	set("notify-member", "notify_people", f.people)
	set("active", "active", f.active)
	return b
}

func joinLinksCreateCmd() *cobra.Command {
	var f joinLinkFlags
	cmd := clientCmd("create --description TEXT --role ROLE [--mode approval|direct] [--team T]...", "Make a join link; prints its URL once", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			if f.description == "" || f.role == "" {
				return usageErrorf("--description and --role are required")
			}
			var res admin.JoinLinkCreated
			if err := c.call(cmd.Context(), "POST", c.wsPath("/join-links"), nil, f.body(cmd), &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res, func(w io.Writer) error {
				if err := keyValues(w, "ID", res.JoinLink.ID, "Role", res.JoinLink.Role, "Mode", res.JoinLink.Mode); err != nil {
					return err
				}
				_, err := fmt.Fprintf(w, "\nShare this link (shown once):\n%s\n", res.URL)
				return err
			})
		})
	f.add(cmd)
	return cmd
}

func joinLinksUpdateCmd() *cobra.Command {
	var f joinLinkFlags
	cmd := clientCmd("update LINK_ID [--description …] [--role …] [--mode …] [--active=false] …", "Change a join link", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			body := f.body(cmd)
			if len(body) == 0 {
				return usageErrorf("give at least one setting to change")
			}
			var l admin.JoinLink
			if err := c.call(cmd.Context(), "PATCH", c.wsPath("/join-links/%s", args[0]), nil, body, &l); err != nil {
				return err
			}
			return printJoinLink(cmd, o, l)
		})
	f.add(cmd)
	return cmd
}

func joinLinksRevokeCmd() *cobra.Command {
	return clientCmd("revoke LINK_ID", "Revoke a join link for good", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if err := c.call(cmd.Context(), "POST", c.wsPath("/join-links/%s/revoke", args[0]), nil, nil, nil); err != nil {
				return err
			}
			return done(cmd, o, "revoked join link %s", args[0])
		})
}

func joinLinksMembersCmd() *cobra.Command {
	return clientCmd("members LINK_ID", "List the members who came in through a join link", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var res admin.MemberList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/join-links/%s/members", args[0]), nil, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.Members, func(w io.Writer) error { return memberTable(w, res.Members) })
		})
}

func joinRequestsListCmd() *cobra.Command {
	var status string
	cmd := clientCmd("list [--status pending|accepted|rejected|all]", "List join requests, oldest first", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			q := url.Values{}
			if status != "" {
				q.Set("status", status)
			}
			var res admin.JoinRequestList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/join-requests"), q, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.JoinRequests, func(w io.Writer) error {
				t := newTable(w, "id", "email", "name", "role", "via", "status", "filed")
				for _, r := range res.JoinRequests {
					via := "-"
					switch {
					case r.JoinLinkID != nil:
						via = "link " + *r.JoinLinkID
					case r.Domain != nil:
						via = "domain " + *r.Domain
					}
					t.row(r.ID, r.Email, r.Name, r.Role, via, r.Status, r.CreatedAt)
				}
				return t.flush()
			})
		})
	cmd.Flags().StringVar(&status, "status", "pending", "only requests with this status (all for every status)")
	return cmd
}

func joinRequestDecideCmd(verb, short string) *cobra.Command {
	return clientCmd(verb+" REQUEST_ID", short, cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if verb == "accept" {
				var m admin.Member
				if err := c.call(cmd.Context(), "POST", c.wsPath("/join-requests/%s/accept", args[0]), nil, nil, &m); err != nil {
					return err
				}
				return printMember(cmd, o, m)
			}
			if err := c.call(cmd.Context(), "POST", c.wsPath("/join-requests/%s/"+verb, args[0]), nil, nil, nil); err != nil {
				return err
			}
			return done(cmd, o, "%sed join request %s", verb, args[0])
		})
}
