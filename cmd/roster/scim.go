package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

// The scim commands set up a workspace's SCIM connection and its bearer
// tokens, and read its request log. Like the bootstrap commands they work
// on the database directly, as the operator.

func init() {
	scim := &cobra.Command{
		Use:   "scim",
		Short: "SCIM provisioning: connections, bearer tokens and the request log",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	conn := &cobra.Command{
		Use:   "connection",
		Short: "Create, change or show a workspace's SCIM connection",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	conn.AddCommand(scimConnectionCmd(true), scimConnectionCmd(false), scimConnectionShowCmd())
	token := &cobra.Command{
		Use:   "token",
		Short: "Create, revoke and list SCIM bearer tokens",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	token.AddCommand(scimTokenCreateCmd(), scimTokenRevokeCmd(), scimTokenListCmd())
	scim.AddCommand(conn, token, scimLogCmd())
	rootCmd.AddCommand(scim)
}

// scimBaseURL is the SCIM endpoint every workspace shares; the token
// selects the workspace.
func scimBaseURL(cmd *cobra.Command) string { return baseURL(cmd, "") + "/scim/v2" }

// parseLifetime reads "90d", "12h", "30m" or any Go duration.
func parseLifetime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" || s == "never" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days < 0 {
			return 0, fmt.Errorf("%q: want a number of days such as 90d", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration such as 90d or 12h", s)
	}
	return d, nil
}

// scimTokenResult is what creating a token prints: where to point the IdP
// and the secret, shown once.
type scimTokenResult struct {
	Workspace  string                `json:"workspace"`
	BaseURL    string                `json:"base_url"`
	Token      string                `json:"token"`
	TokenInfo  admin.SCIMToken       `json:"token_info"`
	Connection *admin.SCIMConnection `json:"connection,omitempty"`
}

func printToken(cmd *cobra.Command, output *outputFlag, res scimTokenResult) error {
	return printOutput(cmd, output, res, func(w io.Writer) error {
		pairs := []any{"Workspace", res.Workspace, "SCIM base URL", res.BaseURL}
		if c := res.Connection; c != nil {
			pairs = append(pairs, "Profile", c.Profile, "Default role", c.DefaultRole)
		}
		pairs = append(pairs, "Token ID", res.TokenInfo.ID, "Expires", res.TokenInfo.ExpiresAt, "Token", res.Token)
		if err := keyValues(w, pairs...); err != nil {
			return err
		}
		_, err := fmt.Fprintln(w, "\nThe token is shown only now. Give the IdP the base URL and the token (Authorization: Bearer).")
		return err
	})
}

// scimConnectionCmd is "connection create" (which also makes a first
// token) or "connection update".
func scimConnectionCmd(create bool) *cobra.Command {
	var ws, profile, defaultRole, activation, seatPolicy, retention, expires, description string
	var sendInvitations bool
	var teamRoles []string
	var rateLimit float64
	var rateBurst int
	use, short := "update --workspace SLUG [flags]", "Change a workspace's SCIM connection"
	if create {
		use, short = "create --workspace SLUG --profile PROFILE [flags]", "Create a workspace's SCIM connection and a first token; prints the base URL and the token"
	}
	cmd := &cobra.Command{Use: use, Short: short, Args: usageArgs(cobra.NoArgs),
		Long: `Profiles: auto (recognises Okta and Microsoft Entra ID per request), okta,
entra (Microsoft Entra ID; also what Microsoft's SCIM validator expects),
generic (plain RFC 7644).

People the IdP creates get --default-role. With --activation domain (the
default) someone whose email domain the workspace verified becomes an active
member at once; everyone else is invited, by email unless
--send-invitations=false. --seat-policy refuse answers 403 when the seat
limit is reached; suspend creates the person suspended instead. Either way
the workspace's admins are notified.

--rate-limit and --rate-burst bound the requests the IdP may send to each
server process (token bucket; over it, 429 with Retry-After); 0 is the
server's default (roster serve --scim-rate-limit, --scim-rate-burst).`}
	f := cmd.Flags()
	f.StringVar(&ws, "workspace", "", "workspace slug or id (required)")
	f.StringVar(&profile, "profile", directory.ProfileAuto, "IdP profile: auto, okta, entra or generic")
	f.StringVar(&defaultRole, "default-role", directory.RoleMember, "role of the people the IdP creates")
	f.BoolVar(&sendInvitations, "send-invitations", true, "email the invitations SCIM creates")
	f.StringVar(&activation, "activation", directory.ActivationDomain, "domain: verified-domain people are active at once; invite: everyone is invited")
	f.StringVar(&seatPolicy, "seat-policy", directory.SeatPolicyRefuse, "at the seat limit: refuse (403) or suspend (create suspended)")
	f.StringArrayVar(&teamRoles, "team-role", nil, `map a group to a role: "Group name=role" (repeatable); membership grants the role`)
	f.StringVar(&retention, "log-retention", "30d", "how long the request log is kept")
	f.Float64Var(&rateLimit, "rate-limit", 0, "SCIM requests per second per server process (0: the server's default)")
	f.IntVar(&rateBurst, "rate-burst", 0, "requests at once above the rate (0: the server's default)")
	if create {
		f.StringVar(&expires, "token-expires", "", "lifetime of the first token, e.g. 90d (default: never expires)")
		f.StringVar(&description, "token-description", "", "what the first token is for")
	}
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if ws == "" {
			return usageErrorf("--workspace is required")
		}
		req := directory.SCIMConnectionRequest{}
		if create || cmd.Flags().Changed("profile") {
			req.Profile = profile
		}
		if create || cmd.Flags().Changed("default-role") {
			req.DefaultRole = defaultRole
		}
		if create || cmd.Flags().Changed("send-invitations") {
			req.SendInvitations = &sendInvitations
		}
		if create || cmd.Flags().Changed("activation") {
			req.Activation = activation
		}
		if create || cmd.Flags().Changed("seat-policy") {
			req.SeatPolicy = seatPolicy
		}
		if create || cmd.Flags().Changed("log-retention") {
			d, err := parseLifetime(retention)
			if err != nil {
				return usageErrorf("--log-retention %v", err)
			}
			req.LogRetention = d
		}
		if cmd.Flags().Changed("rate-limit") {
			req.RateLimit = &rateLimit
		}
		if cmd.Flags().Changed("rate-burst") {
			req.RateBurst = &rateBurst
		}
		if cmd.Flags().Changed("team-role") {
			req.TeamRoles = map[string]string{}
			for _, tr := range teamRoles {
				name, role, ok := strings.Cut(tr, "=")
				if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(role) == "" {
					return usageErrorf(`--team-role %q: want "Group name=role"`, tr)
				}
				req.TeamRoles[strings.TrimSpace(name)] = strings.TrimSpace(role)
			}
		}
		var lifetime time.Duration
		if create {
			var err error
			if lifetime, err = parseLifetime(expires); err != nil {
				return usageErrorf("--token-expires %v", err)
			}
		}
		return withDirectory(cmd, func(d *directory.Directory) error {
			if !create {
				c, err := d.UpdateSCIMConnection(cmd.Context(), directory.Operator(), ws, req)
				if err != nil {
					return fmt.Errorf("update SCIM connection: %w", err)
				}
				return printConnection(cmd, output, c)
			}
			c, err := d.CreateSCIMConnection(cmd.Context(), directory.Operator(), ws, req)
			if err != nil {
				return fmt.Errorf("create SCIM connection: %w", err)
			}
			tok, secret, err := d.CreateSCIMToken(cmd.Context(), directory.Operator(), ws, directory.SCIMTokenRequest{ExpiresIn: lifetime, Description: description})
			if err != nil {
				return fmt.Errorf("create SCIM token: %w", err)
			}
			conn := admin.SCIMConnectionOf(c, scimBaseURL(cmd))
			return printToken(cmd, output, scimTokenResult{Workspace: c.WorkspaceSlug, BaseURL: scimBaseURL(cmd), Token: secret, TokenInfo: admin.SCIMTokenOf(tok), Connection: &conn})
		})
	}
	return cmd
}

func printConnection(cmd *cobra.Command, output *outputFlag, c directory.SCIMConnection) error {
	return printOutput(cmd, output, admin.SCIMConnectionOf(c, scimBaseURL(cmd)), func(w io.Writer) error {
		var roles []string
		for name, role := range c.TeamRoles {
			roles = append(roles, name+"="+role)
		}
		return keyValues(w, "Workspace", c.WorkspaceSlug, "SCIM base URL", scimBaseURL(cmd), "Profile", c.Profile, "Default role", c.DefaultRole,
			"Send invitations", c.SendInvitations, "Activation", c.Activation, "Seat policy", c.SeatPolicy, "Team roles", roles,
			"Log retention", c.LogRetention, "Rate limit", rateLimitText(c), "Created", c.CreatedAt)
	})
}

func scimConnectionShowCmd() *cobra.Command {
	var ws string
	cmd := &cobra.Command{Use: "show --workspace SLUG", Short: "Show a workspace's SCIM connection", Args: usageArgs(cobra.NoArgs)}
	cmd.Flags().StringVar(&ws, "workspace", "", "workspace slug or id (required)")
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if ws == "" {
			return usageErrorf("--workspace is required")
		}
		return withDirectory(cmd, func(d *directory.Directory) error {
			c, err := d.GetSCIMConnection(cmd.Context(), directory.Operator(), ws)
			if err != nil {
				return fmt.Errorf("SCIM connection: %w", err)
			}
			return printConnection(cmd, output, c)
		})
	}
	return cmd
}

func scimTokenCreateCmd() *cobra.Command {
	var ws, expires, description string
	cmd := &cobra.Command{
		Use:   "create --workspace SLUG [--expires 90d]",
		Short: "Create a SCIM bearer token; prints the base URL and the token (shown once)",
		Long: `Creates another bearer token for the workspace's SCIM connection. Tokens work
side by side, so rotating is: create a token, give it to the IdP, revoke the old
one.`,
		Args: usageArgs(cobra.NoArgs),
	}
	f := cmd.Flags()
	f.StringVar(&ws, "workspace", "", "workspace slug or id (required)")
	f.StringVar(&expires, "expires", "", "lifetime, e.g. 90d or 12h (default: never expires)")
	f.StringVar(&description, "description", "", "what the token is for")
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if ws == "" {
			return usageErrorf("--workspace is required")
		}
		lifetime, err := parseLifetime(expires)
		if err != nil {
			return usageErrorf("--expires %v", err)
		}
		return withDirectory(cmd, func(d *directory.Directory) error {
			tok, secret, err := d.CreateSCIMToken(cmd.Context(), directory.Operator(), ws, directory.SCIMTokenRequest{ExpiresIn: lifetime, Description: description})
			if err != nil {
				return fmt.Errorf("create SCIM token: %w", err)
			}
			return printToken(cmd, output, scimTokenResult{Workspace: tok.WorkspaceSlug, BaseURL: scimBaseURL(cmd), Token: secret, TokenInfo: admin.SCIMTokenOf(tok)})
		})
	}
	return cmd
}

func scimTokenRevokeCmd() *cobra.Command {
	var ws string
	cmd := &cobra.Command{Use: "revoke --workspace SLUG TOKEN-ID", Short: "Revoke a SCIM token at once", Args: usageArgs(cobra.ExactArgs(1))}
	cmd.Flags().StringVar(&ws, "workspace", "", "workspace slug or id (required)")
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if ws == "" {
			return usageErrorf("--workspace is required")
		}
		return withDirectory(cmd, func(d *directory.Directory) error {
			tok, err := d.RevokeSCIMToken(cmd.Context(), directory.Operator(), ws, args[0])
			if err != nil {
				return fmt.Errorf("revoke SCIM token: %w", err)
			}
			return printOutput(cmd, output, admin.SCIMTokenOf(tok), func(w io.Writer) error {
				return keyValues(w, "Token ID", tok.ID, "Workspace", tok.WorkspaceSlug, "Revoked", tok.RevokedAt)
			})
		})
	}
	return cmd
}

func scimTokenListCmd() *cobra.Command {
	var ws string
	cmd := &cobra.Command{Use: "list [--workspace SLUG]", Short: "List SCIM tokens (of one workspace, or of all)", Args: usageArgs(cobra.NoArgs)}
	cmd.Flags().StringVar(&ws, "workspace", "", "workspace slug or id (default: every workspace)")
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return withDirectory(cmd, func(d *directory.Directory) error {
			list, err := d.ListSCIMTokens(cmd.Context(), directory.Operator(), ws)
			if err != nil {
				return err
			}
			now := time.Now()
			return printOutput(cmd, output, wireList(list, admin.SCIMTokenOf), func(w io.Writer) error {
				t := newTable(w, "id", "workspace", "status", "hint", "created", "expires", "last used", "description")
				for _, k := range list {
					t.row(k.ID, k.WorkspaceSlug, k.Status(now), "…"+k.Hint, k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.Description)
				}
				return t.flush()
			})
		})
	}
	return cmd
}

func scimLogCmd() *cobra.Command {
	var ws string
	var limit int
	var before int64
	cmd := &cobra.Command{Use: "log --workspace SLUG [--limit N]", Short: "Show a workspace's SCIM request log, newest first", Args: usageArgs(cobra.NoArgs)}
	f := cmd.Flags()
	f.StringVar(&ws, "workspace", "", "workspace slug or id (required)")
	f.IntVar(&limit, "limit", 50, "how many entries (at most 1000)")
	f.Int64Var(&before, "before", 0, "only entries older than this entry id (to page back)")
	output := directoryCmd(cmd)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if ws == "" {
			return usageErrorf("--workspace is required")
		}
		return withDirectory(cmd, func(d *directory.Directory) error {
			list, err := d.ListSCIMRequests(cmd.Context(), directory.Operator(), ws, before, limit)
			if err != nil {
				return fmt.Errorf("SCIM request log: %w", err)
			}
			return printOutput(cmd, output, wireList(list, admin.SCIMRequestOf), func(w io.Writer) error {
				t := newTable(w, "id", "time", "method", "path", "status", "ms", "what it did")
				for _, e := range list {
					what := e.Action
					if e.Detail != "" {
						what = strings.TrimSpace(what + " " + e.Detail)
					}
					t.row(e.ID, e.CreatedAt.UTC().Format("2006-01-02 15:04:05"), e.Method, e.Path, e.Status,
						fmt.Sprintf("%.1f", float64(e.Duration)/float64(time.Millisecond)), what)
				}
				return t.flush()
			})
		})
	}
	return cmd
}

// rateLimitText is a connection's rate limit as shown.
func rateLimitText(c directory.SCIMConnection) string {
	limit, burst := "server default", "server default"
	if c.RateLimit > 0 {
		limit = strconv.FormatFloat(c.RateLimit, 'g', -1, 64) + "/s"
	}
	if c.RateBurst > 0 {
		burst = strconv.Itoa(c.RateBurst)
	}
	return limit + ", burst " + burst
}
