package main

import (
	"fmt"
	"io"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
)

func init() {
	rootCmd.AddCommand(group("webhooks", "Webhooks that receive the workspace's events, signed (on a server)",
		webhooksListCmd(), webhooksCreateCmd(), webhooksDeleteCmd(), webhooksPingCmd(), webhooksDeliveriesCmd(), webhooksRedeliverCmd()))
}

func webhooksListCmd() *cobra.Command {
	return clientCmd("list", "List webhooks", cobra.NoArgs, false,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			var res admin.WebhookList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/webhooks"), nil, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.Webhooks, func(w io.Writer) error {
				t := newTable(w, "id", "url", "events", "active", "description")
				for _, h := range res.Webhooks {
					t.row(h.ID, h.URL, h.EventTypes, h.Active, h.Description)
				}
				return t.flush()
			})
		})
}

func webhooksCreateCmd() *cobra.Command {
	var types []string
	var description string
	cmd := clientCmd("create URL [--type PATTERN]... [--description TEXT]", "Register a webhook; prints its signing secret once", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			body := map[string]any{"url": args[0], "description": description}
			if len(types) > 0 {
				body["event_types"] = types
			}
			var res admin.WebhookWithSecret
			if err := c.call(cmd.Context(), "POST", c.wsPath("/webhooks"), nil, body, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res, func(w io.Writer) error {
				if err := keyValues(w, "ID", res.Webhook.ID, "URL", res.Webhook.URL, "Events", res.Webhook.EventTypes); err != nil {
					return err
				}
				_, err := fmt.Fprintf(w, "\nSigning secret (shown once):\n%s\n", res.Secret)
				return err
			})
		})
	cmd.Flags().StringSliceVar(&types, "type", nil, "event types to send: member.activated, a prefix such as member.*, or * (default); repeatable")
	cmd.Flags().StringVar(&description, "description", "", "what the webhook is for")
	return cmd
}

func webhooksDeleteCmd() *cobra.Command {
	return clientCmd("delete WEBHOOK_ID", "Delete a webhook", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			if err := c.call(cmd.Context(), "DELETE", c.wsPath("/webhooks/%s", args[0]), nil, nil, nil); err != nil {
				return err
			}
			return done(cmd, o, "deleted webhook %s", args[0])
		})
}

func webhooksPingCmd() *cobra.Command {
	return clientCmd("ping WEBHOOK_ID", "Send a webhook.ping event to one webhook", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var res admin.EventRef
			if err := c.call(cmd.Context(), "POST", c.wsPath("/webhooks/%s/ping", args[0]), nil, nil, &res); err != nil {
				return err
			}
			return done(cmd, o, "queued ping event %d; see: roster webhooks deliveries %s", res.Event.ID, args[0])
		})
}

func webhooksDeliveriesCmd() *cobra.Command {
	var status string
	cmd := clientCmd("deliveries WEBHOOK_ID [--status pending|sent|failed]", "Show a webhook's delivery log", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			q := url.Values{}
			if status != "" {
				q.Set("status", status)
			}
			var res admin.WebhookDeliveryList
			if err := c.call(cmd.Context(), "GET", c.wsPath("/webhooks/%s/deliveries", args[0]), q, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res.Deliveries, func(w io.Writer) error {
				t := newTable(w, "delivery", "event", "type", "status", "attempts", "last code", "last error", "queued")
				for _, d := range res.Deliveries {
					code := 0
					if n := len(d.Attempts); n > 0 {
						code = d.Attempts[n-1].StatusCode
					}
					t.row(d.ID, d.EventID, d.EventType, d.Status, len(d.Attempts), code, d.LastError, d.CreatedAt)
				}
				return t.flush()
			})
		})
	cmd.Flags().StringVar(&status, "status", "", "only deliveries with this status: pending, sent, failed or all")
	return cmd
}

func webhooksRedeliverCmd() *cobra.Command {
	return clientCmd("redeliver WEBHOOK_ID", "Queue again every delivery that failed for good", cobra.ExactArgs(1), false,
		func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error {
			var res admin.Requeued
			if err := c.call(cmd.Context(), "POST", c.wsPath("/webhooks/%s/redeliver", args[0]), nil, nil, &res); err != nil {
				return err
			}
			return printOutput(cmd, o, res, func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "queued %d deliveries again\n", res.Requeued)
				return err
			})
		})
}
