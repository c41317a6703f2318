package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

func init() {
	rootCmd.AddCommand(group("events", "Read a workspace's event feed (on a server)", eventsTailCmd()))
}

func eventsTailCmd() *cobra.Command {
	var after string
	var fromStart, noFollow bool
	var interval time.Duration
	var types []string
	cmd := clientCmd("tail [--after CURSOR | --from-start] [--no-follow] [--type PATTERN]...",
		"Print events as they happen, in commit order; resumable from any cursor", cobra.NoArgs, true,
		func(cmd *cobra.Command, c *client, o *outputFlag, _ []string) error {
			if after != "" && fromStart {
				return usageErrorf("give --after or --from-start, not both")
			}
			if interval < 100*time.Millisecond {
				return usageErrorf("--interval must be at least 100ms")
			}
			path := "/events" // the key's own workspace
			if ws := setting(cmd, "workspace", envWorkspace); ws != "" {
				c.ws = ws
				path = c.wsPath("/events")
			}
			cursor := after
			switch {
			case fromStart:
				cursor = ""
			case after == "":
				cursor = directory.FeedLatest
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			w := cmd.OutOrStdout()
			for {
				var page admin.EventPage
				err := c.call(ctx, "GET", path, url.Values{"after": {cursor}, "limit": {"500"}}, nil, &page)
				if ctx.Err() != nil {
					break
				}
				if err != nil {
					return err
				}
				for _, ev := range page.Events {
					if len(types) > 0 && !matchesAny(types, ev.Type) {
						continue
					}
					if o.JSON() {
						// One event per line (NDJSON), so a script can read
						// the stream as it comes.
						b, _ := json.Marshal(ev)
						fmt.Fprintf(w, "%s\n", b)
					} else {
						fmt.Fprintf(w, "%s  %-28s %-10s %-36s by %s %s  %s\n", ev.CreatedAt.UTC().Format("2006-01-02 15:04:05"), ev.Type,
							ev.SubjectKind, ev.SubjectID, ev.ActorKind, ev.ActorID, compactJSON(ev.Payload))
					}
				}
				cursor = page.NextCursor
				if page.HasMore {
					continue
				}
				if noFollow {
					break
				}
				select {
				case <-ctx.Done():
				case <-time.After(interval):
				}
				if ctx.Err() != nil {
					break
				}
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "resume with: roster events tail --after %s\n", cursor)
			return nil
		})
	f := cmd.Flags()
	f.StringP("workspace", "w", "", flagUsage("workspace slug or id (default: the key's own workspace)", envWorkspace))
	f.StringVar(&after, "after", "", "resume after this cursor (printed when tail stops, and with every event in -o json)")
	f.BoolVar(&fromStart, "from-start", false, "start from the workspace's first event (default: only new events)")
	f.BoolVar(&noFollow, "no-follow", false, "print what is there and stop, instead of waiting for more")
	f.DurationVar(&interval, "interval", 2*time.Second, "how often to ask for new events")
	f.StringSliceVar(&types, "type", nil, "only these event types: member.activated, a prefix such as member.*, or *; repeatable")
	return cmd
}

func matchesAny(patterns []string, typ string) bool {
	for _, p := range patterns {
		if p == "*" || p == typ || strings.HasSuffix(p, ".*") && strings.HasPrefix(typ, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

func compactJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}
