package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

func init() {
	rootCmd.AddCommand(group("invitations", "Invite people, import them from a file, resend and revoke invitations (on a server)",
		invitationsListCmd(), invitationsCreateCmd(), invitationsResendCmd(), invitationsRevokeCmd()))
}

func invitationsListCmd() *cobra.Command {
	var status string
	var limit int
	cmd := clientCmd("list [--status pending|accepted|revoked|expired]", "List invitations, newest first", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			q := url.Values{"limit": {strconv.Itoa(limit)}}
			if status != "" {
				q.Set("status", status)
			}
			var res admin.InvitationList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/invitations"), q, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.Invitations, func(w io.Writer) error {
				t := newTable(w, "id", "email", "role", "status", "expires", "resent", "invited by")
				for _, inv := range res.Invitations {
					t.row(inv.ID, inv.Email, inv.Role, inv.Status, inv.ExpiresAt, inv.ResendCount, inv.InviterName)
				}
				return t.flush()
			})
		})
	cmd.Flags().StringVar(&status, "status", "", "only invitations with this status: pending, accepted, revoked, expired or all")
	cmd.Flags().IntVar(&limit, "limit", 200, "at most this many (1–1000)")
	return cmd
}

func invitationsCreateCmd() *cobra.Command {
	var role, file string
	var teams []string
	var noEmail bool
	cmd := clientCmd("create --role ROLE (ADDRESS... | - | --file people.csv)", "Invite people; prints one outcome per address or row", cobra.ArbitraryArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if file != "" {
				if len(args) > 0 {
					return usageErrorf("give addresses or --file, not both")
				}
				return importFile(cmd, c, o, file, role, teams, noEmail)
			}
			if role == "" {
				return usageErrorf("--role is required")
			}
			if len(args) == 0 {
				return usageErrorf("give addresses, - to read them from standard input, or --file")
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
			body := map[string]any{"text": text.String(), "role": role, "send_email": !noEmail}
			if len(teams) > 0 {
				body["teams"] = teams
			}
			var res admin.InviteResult
			if err := c.call(cmd.Context(), "POST", c.wsPath("/invitations"), nil, body, &res); err != nil {
				return err
			}
			rows := make([]outcomeRow, len(res.Outcomes))
			for i, oc := range res.Outcomes {
				rows[i] = outcomeRow{outcome: oc}
			}
			return printOutcomes(cmd, o, res.Outcomes, rows)
		})
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "role of the invitees (with --file: for rows without a role)")
	f.StringSliceVar(&teams, "team", nil, "team (name or id) everyone joins on acceptance; repeatable")
	f.BoolVar(&noEmail, "no-email", false, "send no email: the invitees are created inactive and the links only printed")
	f.StringVar(&file, "file", "", "a CSV or .xlsx file whose first row names the columns: email, name, role, teams, and any other column (kept on the profile)")
	return cmd
}

// importFile uploads a CSV or Excel file to the import endpoint.
func importFile(cmd *cobra.Command, c *client, o *outputFlag, path, role string, teams []string, noEmail bool) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return usageError(fmt.Errorf("read %s: %w", path, err))
	}
	ct := "text/csv"
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx":
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case ".xls":
		return usageErrorf("%s is an old Excel file; save it as .xlsx or CSV", path)
	}
	q := url.Values{"send_email": {strconv.FormatBool(!noEmail)}}
	if role != "" {
		q.Set("role", role)
	}
	if len(teams) > 0 {
		q.Set("teams", strings.Join(teams, ","))
	}
	var res admin.ImportResult
	if err := c.call(cmd.Context(), "POST", c.wsPath("/invitations/import"), q, upload{contentType: ct, data: data}, &res); err != nil {
		return err
	}
	rows := make([]outcomeRow, len(res.Outcomes))
	for i, oc := range res.Outcomes {
		rows[i] = outcomeRow{row: oc.Row, outcome: oc.InviteOutcome}
	}
	return printOutcomes(cmd, o, res.Outcomes, rows)
}

type outcomeRow struct {
	row     int
	outcome admin.InviteOutcome
}

// printOutcomes prints one line per address (and its row in the file),
// and fails with exit 1 when anyone was not invited.
func printOutcomes(cmd *cobra.Command, o *outputFlag, v any, rows []outcomeRow) error {
	failed := 0
	for _, r := range rows {
		switch directory.OutcomeStatus(r.outcome.Status) {
		case directory.OutcomeInvited, directory.OutcomeResent, directory.OutcomeAlreadyMember:
		default:
			failed++
		}
	}
	err := printOutput(cmd, o, v, func(w io.Writer) error {
		headers := []string{"email", "status", "kind", "link or reason"}
		if len(rows) > 0 && rows[0].row > 0 {
			headers = append([]string{"row"}, headers...)
		}
		t := newTable(w, headers...)
		for _, r := range rows {
			detail := r.outcome.Link
			if r.outcome.Error != "" {
				detail = r.outcome.Error
			}
			cells := []any{r.outcome.Email, r.outcome.Status, r.outcome.Kind, detail}
			if r.row > 0 {
				cells = append([]any{r.row}, cells...)
			}
			t.row(cells...)
		}
		return t.flush()
	})
	if err != nil {
		return err
	}
	if failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d were not invited", failed, len(rows))}
	}
	return nil
}

func invitationsResendCmd() *cobra.Command {
	return clientCmd("resend INVITATION_ID", "Send an invitation again with a new link (the old one stops working)", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var out admin.InviteOutcome
			if err := c.call(cmd.Context(), "POST", c.wsPath("/invitations/%s/resend", args[0]), nil, nil, &out); err != nil {
				return err
			}
			return printOutput(cmd, o, out, func(w io.Writer) error {
				return keyValues(w, "Email", out.Email, "Status", out.Status, "Link", out.Link)
			})
		})
}

func invitationsRevokeCmd() *cobra.Command {
	return clientCmd("revoke INVITATION_ID", "Revoke a pending invitation", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if err := c.call(cmd.Context(), "POST", c.wsPath("/invitations/%s/revoke", args[0]), nil, nil, nil); err != nil {
				return err
			}
			return done(cmd, o, "revoked %s", args[0])
		})
}
