package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// The client commands (client_*.go) do admin work against a running
// server's admin API, with an API key, from anywhere: roster invitations,
// members, roles, teams, domains, webhooks, api-keys, seats, events.

// Environment of the client commands.
const (
	envServer    = "ROSTER_SERVER"
	envKey       = "ROSTER_KEY"
	envWorkspace = "ROSTER_WORKSPACE"
)

// Exit codes beyond success (0), failure (1) and usage (2): scripts can
// tell "fix your key" and "no such thing" from other failures.
const (
	exitDenied   = 3 // 401 or 403: the key is wrong, revoked, or its role may not do this
	exitNotFound = 4 // 404: no such workspace (for this key) or resource
)

// client calls the admin API of one server with one key.
type client struct {
	base string
	key  string
	ws   string
	http *http.Client
}

// clientFlags are the connection flags every client command has.
type clientFlags struct {
	output *outputFlag
}

// addClientFlags gives cmd --server, --key, --workspace (unless
// noWorkspace) and -o.
func addClientFlags(cmd *cobra.Command, noWorkspace bool) *clientFlags {
	f := cmd.Flags()
	f.String("server", "", flagUsage("URL of the Roster server, e.g. https://roster.example.com", envServer))
	f.String("key", "", flagUsage("admin API key (roster_…); prefer the variable, which stays out of the process list", envKey))
	if !noWorkspace {
		f.StringP("workspace", "w", "", flagUsage("workspace slug or id", envWorkspace))
	}
	return &clientFlags{output: addOutputFlag(cmd)}
}

// newClient reads the connection settings of cmd; needWorkspace requires
// a workspace too.
func newClient(cmd *cobra.Command, needWorkspace bool) (*client, error) {
	c := &client{
		base: strings.TrimRight(setting(cmd, "server", envServer), "/"),
		key:  setting(cmd, "key", envKey),
		http: &http.Client{Timeout: 2 * time.Minute},
	}
	if needWorkspace {
		c.ws = setting(cmd, "workspace", envWorkspace)
		if c.ws == "" {
			return nil, usageErrorf("which workspace? give --workspace or set %s", envWorkspace)
		}
	}
	if c.base == "" {
		return nil, usageErrorf("which server? give --server URL or set %s", envServer)
	}
	if u, err := url.Parse(c.base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("--server %q is not an http:// or https:// URL", c.base)
	}
	if c.key == "" {
		return nil, usageErrorf("no API key: give --key or set %s (create one with `roster apikey create`)", envKey)
	}
	return c, nil
}

// wsPath is a path under the client's workspace.
func (c *client) wsPath(format string, args ...any) string {
	escaped := make([]any, len(args))
	for i, a := range args {
		escaped[i] = url.PathEscape(fmt.Sprint(a))
	}
	return "/workspaces/" + url.PathEscape(c.ws) + fmt.Sprintf(format, escaped...)
}

// problem is the API's error answer.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Pointer   string `json:"pointer"`
		Parameter string `json:"parameter"`
		Detail    string `json:"detail"`
	} `json:"errors"`
}

// call sends a JSON request (body may be nil) to path under /api/v1 and
// decodes a JSON answer into out (may be nil). An error answer becomes an
// exitError whose message is the problem's, and whose code says what kind
// of failure it was.
func (c *client) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	var rd io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case upload:
		rd, contentType = bytes.NewReader(b.data), b.contentType
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd, contentType = bytes.NewReader(j), "application/json"
	}
	u := c.base + "/api/v1" + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "roster-cli")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return &exitError{code: 1, err: fmt.Errorf("cannot reach %s: %w", c.base, errors.Unwrap(err))}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if res.StatusCode >= 300 {
		return apiError(res, data)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
		}
	}
	return nil
}

// apiError turns an error answer into a message a person can act on and
// an exit code a script can branch on.
func apiError(res *http.Response, data []byte) error {
	var p problem
	if json.Unmarshal(data, &p) != nil || p.Title == "" {
		p.Title = res.Status
		p.Detail = strings.TrimSpace(string(data))
		if len(p.Detail) > 300 {
			p.Detail = p.Detail[:300] + "…"
		}
		if strings.HasPrefix(strings.TrimSpace(p.Detail), "<") || p.Detail == "" {
			p.Detail = "the server did not answer like a Roster admin API; check --server"
		}
	}
	msg := p.Title
	if p.Detail != "" {
		msg += ": " + p.Detail
	}
	code := 1
	switch {
	case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
		code = exitDenied
	case res.StatusCode == http.StatusNotFound:
		code = exitNotFound
	case res.StatusCode == http.StatusBadRequest || res.StatusCode == http.StatusUnprocessableEntity:
		code = 2
	}
	return &exitError{code: code, err: errors.New(msg)}
}

// upload is a request body sent as is.
type upload struct {
	contentType string
	data        []byte
}

// group makes a command that only holds subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(subs...)
	return cmd
}

// clientCmd builds a client command: run gets a connected client and the
// output flag.
func clientCmd(use, short string, args cobra.PositionalArgs, noWorkspace bool, run func(cmd *cobra.Command, c *client, o *outputFlag, args []string) error) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: usageArgs(args)}
	flags := addClientFlags(cmd, noWorkspace)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		c, err := newClient(cmd, !noWorkspace)
		if err != nil {
			return err
		}
		return run(cmd, c, flags.output, args)
	}
	return cmd
}

// done prints a one-line confirmation, or {"ok": true} with -o json.
func done(cmd *cobra.Command, o *outputFlag, format string, args ...any) error {
	return printOutput(cmd, o, map[string]bool{"ok": true}, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, format+"\n", args...)
		return err
	})
}
