package main

import (
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
)

func init() {
	rootCmd.AddCommand(group("outbox", "Emails and webhook deliveries Roster has still to send, or gave up on (operator, on a server)",
		outboxListCmd(), outboxRetryCmd(), outboxDiscardCmd()))
}

func outboxListCmd() *cobra.Command {
	var status, kind, workspace string
	var limit int
	var after int64
	cmd := clientCmd("list [--status pending|failed|sent|discarded|all] [--kind email|webhook] [--in WORKSPACE]",
		"List outbox messages, newest first, with why each failed", cobra.NoArgs, true,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"status": status, "kind": kind, "workspace": workspace} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			if after > 0 {
				q.Set("after", strconv.FormatInt(after, 10))
			}
			var res admin.OutboxList
			if err := c.call(cmd.Context(), "GET", "/outbox", q, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.Messages, func(w io.Writer) error {
				t := newTable(w, "id", "kind", "workspace", "status", "attempts", "next attempt", "to", "what", "last error")
				for _, m := range res.Messages {
					to, what := strings.Join(m.To, ", "), m.Template
					if m.Kind == "webhook" {
						to, what = m.WebhookHost, m.EventType
					}
					next := ""
					if m.NextAttemptAt != nil {
						next = m.NextAttemptAt.UTC().Format("2006-01-02 15:04:05Z")
					}
					t.row(m.ID, m.Kind, m.Workspace, m.Status, m.Attempts, next, to, what, m.LastError)
				}
				return t.flush()
			})
		})
	cmd.Flags().StringVar(&status, "status", "", "only messages with this status: pending, failed, sent, discarded or all (default)")
	cmd.Flags().StringVar(&kind, "kind", "", "only email or webhook messages")
	cmd.Flags().StringVar(&workspace, "in", "", "only this workspace's messages (slug or id)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many (default 50, up to 500)")
	cmd.Flags().Int64Var(&after, "after", 0, "the page after this message id")
	return cmd
}

// outboxActionCmd posts to /outbox/{id}/action and prints the message as
// it is afterwards.
func outboxActionCmd(action, short string) *cobra.Command {
	return clientCmd(action+" MESSAGE_ID", short, cobra.ExactArgs(1), true,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var res admin.OutboxMessage
			if err := c.call(cmd.Context(), "POST", "/outbox/"+url.PathEscape(args[0])+"/"+action, nil, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res, func(w io.Writer) error {
				return keyValues(w, "ID", res.ID, "Kind", res.Kind, "Workspace", res.Workspace, "Status", res.Status, "Attempts", res.Attempts)
			})
		})
}

func outboxRetryCmd() *cobra.Command {
	return outboxActionCmd("retry", "Send a message that failed for good again, now (its attempts are kept)")
}

func outboxDiscardCmd() *cobra.Command {
	return outboxActionCmd("discard", "Give a pending or failed message up; it is never sent")
}
