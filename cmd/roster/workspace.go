package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

// The bootstrap commands work on the database directly, as the operator:
// they are how the first workspace and its owner come to exist, before
// any admin can sign in.

func init() {
	workspace := &cobra.Command{
		Use:   "workspace",
		Short: "Create and list workspaces (as the operator, directly on the database)",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	workspace.AddCommand(workspaceCreateCmd(), workspaceListCmd())
	members := &cobra.Command{
		Use:   "members",
		Short: "List a workspace's members (on the database or a server) and manage them (on a server)",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	members.AddCommand(membersListCmd())
	members.AddCommand(memberClientCmds()...) // on a server: client_members.go
	rootCmd.AddCommand(workspace, inviteCmd(), members)
}

// directoryCmd gives cmd the flags of a command that works on the
// database and builds links: --database-url, --base-url, -o.
func directoryCmd(cmd *cobra.Command) *outputFlag {
	addDatabaseFlag(cmd)
	addBaseURLFlag(cmd)
	return addOutputFlag(cmd)
}

// withDirectory opens the database of cmd for the duration of fn.
func withDirectory(cmd *cobra.Command, fn func(d *directory.Directory) error) error {
	d, err := openDirectory(cmd, directory.Options{BaseURL: baseURL(cmd, "")})
	if err != nil {
		return err
	}
	defer d.Close()
	return commandError(fn(d))
}

func workspaceCreateCmd() *cobra.Command {
	var req directory.CreateWorkspaceRequest
	var seatLimit int
	cmd := &cobra.Command{
		Use:   "create --name NAME --owner EMAIL [--slug SLUG] [--seat-limit N]",
		Short: "Create a workspace and invite its owner; prints the owner's invitation link",
		Long: `Creates a workspace and invites its first owner, who becomes its main admin.
Prints the workspace's slug and the owner's invitation link. The link is shown
once (it is also emailed, or written to the server's log when no SMTP server is
configured); follow it to accept.`,
		Args: usageArgs(cobra.NoArgs),
	}
	f := cmd.Flags()
	f.StringVar(&req.Name, "name", "", "workspace name (required)")
	f.StringVar(&req.OwnerEmail, "owner", "", "owner's email address (required)")
	f.StringVar(&req.OwnerName, "owner-name", "", "owner's name (default: guessed from the address)")
	f.StringVar(&req.Slug, "slug", "", "URL name of the workspace (default: derived from the name)")
	f.IntVar(&seatLimit, "seat-limit", 0, "maximum active and invited members (default: unlimited)")
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if strings.TrimSpace(req.Name) == "" || strings.TrimSpace(req.OwnerEmail) == "" {
			return usageErrorf("--name and --owner are required")
		}
		r := req
		if cmd.Flags().Changed("seat-limit") {
			n := seatLimit
			r.SeatLimit = &n
		}
		return withDirectory(cmd, func(d *directory.Directory) error {
			ws, owner, err := d.CreateWorkspace(cmd.Context(), directory.Operator(), r)
			if err != nil {
				return fmt.Errorf("create workspace: %w", err)
			}
			result := struct {
				Workspace admin.Workspace     `json:"workspace"`
				Owner     admin.InviteOutcome `json:"owner"`
			}{admin.WorkspaceOf(ws), admin.InviteOutcomeOf(owner)}
			return printOutput(cmd, output, result, func(w io.Writer) error {
				return keyValues(w, "Workspace", ws.Slug, "Name", ws.Name, "Seat limit", seatText(ws.SeatLimit),
					"Owner", owner.Email, "Invitation", owner.Link)
			})
		})
	}
	return cmd
}

func seatText(limit *int) string {
	if limit == nil {
		return "unlimited"
	}
	return fmt.Sprint(*limit)
}

func workspaceListCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every workspace",
		Args:  usageArgs(cobra.NoArgs),
	}
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return withDirectory(cmd, func(d *directory.Directory) error {
			list, err := d.ListWorkspaces(cmd.Context(), directory.Operator())
			if err != nil {
				return fmt.Errorf("list workspaces: %w", err)
			}
			if list == nil {
				list = []directory.Workspace{}
			}
			return printOutput(cmd, output, wireList(list, admin.WorkspaceOf), func(w io.Writer) error {
				t := newTable(w, "slug", "name", "seat limit", "created")
				for _, ws := range list {
					t.row(ws.Slug, ws.Name, seatText(ws.SeatLimit), ws.CreatedAt)
				}
				return t.flush()
			})
		})
	}
	return cmd
}

// failedOutcomes are the outcomes that mean an address was not invited.
var failedOutcomes = map[directory.OutcomeStatus]bool{
	directory.OutcomeInvalidAddress: true,
	directory.OutcomeSeatLimit:      true,
	directory.OutcomeNotPermitted:   true,
}

func inviteCmd() *cobra.Command {
	var ws, role string
	var teams []string
	var noEmail bool
	cmd := &cobra.Command{
		Use:   "invite --workspace SLUG --role ROLE ADDRESS... | -",
		Short: "Invite people to a workspace; prints one outcome per address",
		Long: `Invites every address to the workspace with one role. Addresses are arguments,
or read from standard input with "-" (separated by commas, semicolons, spaces
or new lines; "Jane Doe <jane@example.com>" works too).

Prints one line per address: invited, resent (already invited: a new link),
already_member, duplicate, invalid_address, seat_limit or not_permitted, with
the invitation link for new links. Exits 1 when any address was not invited.`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
	}
	f := cmd.Flags()
	f.StringVar(&ws, "workspace", "", "workspace slug or id (required)")
	f.StringVar(&role, "role", "", "role of the invitees: owner, admin, manager, member, collaborator or a custom role (required)")
	f.StringSliceVar(&teams, "team", nil, "team (name or id) to join on acceptance; repeatable")
	f.BoolVar(&noEmail, "no-email", false, "send no email: the invitees are created inactive, and the links are only printed")
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if ws == "" || role == "" {
			return usageErrorf("--workspace and --role are required")
		}
		var text strings.Builder
		for _, a := range args {
			if a == "-" {
				b, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return fmt.Errorf("read addresses from standard input: %w", err)
				}
				text.Write(b)
			} else {
				text.WriteString(a)
			}
			text.WriteString("\n")
		}
		sendEmail := !noEmail
		req := directory.InviteRequest{Text: text.String(), Role: role, Teams: teams, SendEmail: &sendEmail}
		return withDirectory(cmd, func(d *directory.Directory) error {
			outcomes, err := d.Invite(cmd.Context(), directory.Operator(), ws, req)
			if err != nil && len(outcomes) == 0 {
				return fmt.Errorf("invite: %w", err)
			}
			failed := 0
			for _, o := range outcomes {
				if failedOutcomes[o.Status] {
					failed++
				}
			}
			if perr := printOutput(cmd, output, wireList(outcomes, admin.InviteOutcomeOf), func(w io.Writer) error {
				t := newTable(w, "email", "status", "kind", "link or reason")
				for _, o := range outcomes {
					detail := o.Link
					if o.Error != "" {
						detail = o.Error
					}
					t.row(o.Email, string(o.Status), o.Kind, detail)
				}
				return t.flush()
			}); perr != nil {
				return perr
			}
			if err != nil {
				// The batch stopped part-way; the addresses above were done.
				return fmt.Errorf("invite: stopped after %d addresses: %w", len(outcomes), err)
			}
			if failed > 0 {
				return &exitError{code: 1, err: fmt.Errorf("%d of %d addresses were not invited", failed, len(outcomes))}
			}
			return nil
		})
	}
	return cmd
}

func membersListCmd() *cobra.Command {
	var ws string
	var filter directory.MemberFilter
	cmd := &cobra.Command{
		Use:   "list --workspace SLUG [--status invited|active|suspended] [--role ROLE] [--query TEXT]",
		Short: "List a workspace's members",
		Args:  usageArgs(cobra.NoArgs),
	}
	f := cmd.Flags()
	f.StringVar(&ws, "workspace", "", "workspace slug or id (required)")
	f.StringVar(&filter.Status, "status", "", "only members with this status: invited, active or suspended")
	f.StringVar(&filter.Role, "role", "", "only members with this role")
	f.StringVar(&filter.Kind, "kind", "", "only internal or external members")
	f.StringVar(&filter.Query, "query", "", "only members whose name or email contains this text")
	output := directoryCmd(cmd)
	addServerFlags(cmd) // --server/--key: list through the admin API (client_members.go)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if remoteRequested(cmd) {
			return listMembersRemote(cmd, ws, filter, output)
		}
		if ws == "" {
			return usageErrorf("--workspace is required")
		}
		return withDirectory(cmd, func(d *directory.Directory) error {
			all := []directory.Member{}
			fl := filter
			fl.Limit = 500
			for {
				page, err := d.ListMembers(cmd.Context(), directory.Operator(), ws, fl)
				if err != nil {
					return fmt.Errorf("list members: %w", err)
				}
				all = append(all, page.Members...)
				if page.NextCursor == "" {
					break
				}
				fl.Cursor = page.NextCursor
			}
			return printOutput(cmd, output, wireList(all, admin.MemberOf), func(w io.Writer) error {
				t := newTable(w, "email", "name", "role", "status", "kind", "source", "since")
				for _, m := range all {
					role := m.EffectiveRole
					if m.MainAdmin {
						role += " (main admin)"
					}
					t.row(m.Email, m.Name, role, m.Status, m.Kind, m.Source, m.CreatedAt)
				}
				return t.flush()
			})
		})
	}
	return cmd
}
