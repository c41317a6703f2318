package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"
)

// SCIM profiles: how a connection's requests are normalised and answered.
// auto detects Okta and Entra per request (User-Agent and request shape);
// generic is plain RFC 7644.
const (
	ProfileAuto    = "auto"
	ProfileOkta    = "okta"
	ProfileEntra   = "entra"
	ProfileGeneric = "generic"
)

// SCIM activation policies: what a created user becomes when the bridge
// rules allow an active membership (their email domain is verified by the
// workspace). "domain" follows DESIGN.md; "invite" invites everyone.
const (
	ActivationDomain = "domain"
	ActivationInvite = "invite"
)

// SCIM seat policies: what happens when a grant would exceed the seat
// limit. "refuse" answers 403; "suspend" creates the person suspended
// (holding no seat) so the IdP sees success. Admins are notified either way.
const (
	SeatPolicyRefuse  = "refuse"
	SeatPolicySuspend = "suspend"
)

// DefaultSCIMLogRetention is how long a connection's request log is kept
// unless the connection says otherwise.
const DefaultSCIMLogRetention = 30 * 24 * time.Hour

// SCIMConnection is a workspace's SCIM endpoint configuration. Every token
// of the connection acts for it.
type SCIMConnection struct {
	ID            string
	WorkspaceID   string
	WorkspaceSlug string
	// Profile is auto, okta, entra or generic.
	Profile string
	// DefaultRole is the role of the people the IdP creates.
	DefaultRole string
	// SendInvitations emails the invitations SCIM creates; when false the
	// invitation exists (and can be resent) but nothing is sent.
	SendInvitations bool
	// Activation is "domain" or "invite" (see ActivationDomain).
	Activation string
	// SeatPolicy is "refuse" or "suspend".
	SeatPolicy string
	// TeamRoles maps group display names (case-insensitively) to the role
	// membership of the team grants; applied when the IdP creates or
	// renames a group.
	TeamRoles map[string]string
	// LogRetention is how long the request log is kept.
	LogRetention time.Duration
	// RateLimit (requests per second) and RateBurst bound the SCIM
	// requests of this connection, per server process; 0 is the
	// server's default. The SCIM door enforces them.
	RateLimit float64
	RateBurst int
	// TokenID is the token the current request authenticated with (set by
	// AuthenticateSCIM only).
	TokenID   string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Workspace is the workspace as AuthenticateSCIM read it, so operations of
	// the request do not read it again.
	Workspace *WorkspaceRow
}

// Actor is the principal SCIM operations run as: the connection, acting
// with the admin role (it invites, suspends and removes people, but never
// hands out ownership).
func (c SCIMConnection) Actor() Actor {
	return Actor{Kind: ActorSCIM, ID: c.ID, Name: "SCIM provisioning", WorkspaceID: c.WorkspaceID, Role: RoleAdmin, Source: "scim"}
}

// TeamRole returns the role mapped to a group display name, if any.
func (c SCIMConnection) TeamRole(displayName string) *string {
	key := FoldCase(strings.TrimSpace(displayName))
	for name, role := range c.TeamRoles {
		if FoldCase(strings.TrimSpace(name)) == key {
			return &role
		}
	}
	return nil
}

// SCIMConnectionRequest creates or changes a connection; zero values take
// the defaults on create and leave the setting alone on update (pointers
// for the booleans and the map).
type SCIMConnectionRequest struct {
	Profile         string
	DefaultRole     string
	SendInvitations *bool
	Activation      string
	SeatPolicy      string
	TeamRoles       map[string]string
	LogRetention    time.Duration
	// RateLimit and RateBurst set the connection's rate limit; 0 goes
	// back to the server's default.
	RateLimit *float64
	RateBurst *int
}

type ScimConnectionRow struct {
	ID                  string    `db:"id"`
	WorkspaceID         string    `db:"workspace_id"`
	WorkspaceSlug       string    `db:"workspace_slug"`
	Profile             string    `db:"profile"`
	DefaultRole         string    `db:"default_role"`
	SendInvitations     bool      `db:"send_invitations"`
	Activation          string    `db:"activation"`
	SeatPolicy          string    `db:"seat_policy"`
	TeamRoles           string    `db:"team_roles"`
	LogRetentionSeconds int64     `db:"log_retention_seconds"`
	RateLimit           float64   `db:"rate_limit"`
	RateBurst           int       `db:"rate_burst"`
	CreatedAt           time.Time `db:"created_at"`
	UpdatedAt           time.Time `db:"updated_at"`
}

const ScimConnectionColumns = `c.id, c.workspace_id, w.slug AS workspace_slug, c.profile, c.default_role, c.send_invitations, c.activation,
	c.seat_policy, c.team_roles, c.log_retention_seconds, c.rate_limit, c.rate_burst, c.created_at, c.updated_at`

func (r ScimConnectionRow) Public() SCIMConnection {
	c := SCIMConnection{ID: r.ID, WorkspaceID: r.WorkspaceID, WorkspaceSlug: r.WorkspaceSlug, Profile: r.Profile, DefaultRole: r.DefaultRole,
		SendInvitations: r.SendInvitations, Activation: r.Activation, SeatPolicy: r.SeatPolicy,
		LogRetention: time.Duration(r.LogRetentionSeconds) * time.Second, RateLimit: r.RateLimit, RateBurst: r.RateBurst, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	json.Unmarshal([]byte(r.TeamRoles), &c.TeamRoles)
	if c.TeamRoles == nil {
		c.TeamRoles = map[string]string{}
	}
	return c
}

// ValidateSCIMConnection checks a connection's settings; ws is needed for
// custom roles.
func (t *Tx) ValidateSCIMConnection(ws *WorkspaceRow, c *SCIMConnection) error {
	switch c.Profile {
	case ProfileAuto, ProfileOkta, ProfileEntra, ProfileGeneric:
	default:
		return Invalidf("unknown SCIM profile %q (auto, okta, entra or generic)", c.Profile)
	}
	switch c.Activation {
	case ActivationDomain, ActivationInvite:
	default:
		return Invalidf("unknown activation policy %q (domain or invite)", c.Activation)
	}
	switch c.SeatPolicy {
	case SeatPolicyRefuse, SeatPolicySuspend:
	default:
		return Invalidf("unknown seat policy %q (refuse or suspend)", c.SeatPolicy)
	}
	if c.LogRetention < time.Hour || c.LogRetention > 400*24*time.Hour {
		return Invalidf("the request log is kept between 1 hour and 400 days")
	}
	if !(c.RateLimit >= 0 && c.RateLimit <= MaxSCIMRateLimit) {
		return NewFieldError("rate_limit_per_second", "must be a number of requests per second from 0 (the server's default) to %d", MaxSCIMRateLimit)
	}
	if c.RateBurst < 0 || c.RateBurst > MaxSCIMRateLimit {
		return NewFieldError("rate_limit_burst", "must be a number of requests from 0 (the server's default) to %d", MaxSCIMRateLimit)
	}
	// The connection acts as an admin, so it may hand out any role but
	// owner: the same check an admin inviting someone would face.
	p := Principal{Actor: Actor{Kind: ActorSCIM, WorkspaceID: ws.ID, Role: RoleAdmin}, Role: BuiltinRoles[RoleAdmin]}
	if _, err := t.RequireGrantable(ws, p, c.DefaultRole); err != nil {
		return fmt.Errorf("default role: %w", err)
	}
	for name, role := range c.TeamRoles {
		if strings.TrimSpace(name) == "" {
			return Invalidf("a team role mapping needs a group name")
		}
		if _, err := t.RequireGrantable(ws, p, role); err != nil {
			return fmt.Errorf("team role for %q: %w", name, err)
		}
	}
	return nil
}

// CreateSCIMConnection sets up the SCIM endpoint of a workspace (one per
// workspace). It needs connections.manage. Tokens are created separately.
func (d *Store) CreateSCIMConnection(ctx context.Context, actor Actor, workspace string, req SCIMConnectionRequest) (SCIMConnection, error) {
	var out SCIMConnection
	err := d.InTx(ctx, actor, func(t *Tx) error {
		ws, _, err := t.Authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		c := SCIMConnection{ID: NewID(), WorkspaceID: ws.ID, WorkspaceSlug: ws.Slug, Profile: ProfileAuto, DefaultRole: RoleMember,
			SendInvitations: true, Activation: ActivationDomain, SeatPolicy: SeatPolicyRefuse, TeamRoles: map[string]string{},
			LogRetention: DefaultSCIMLogRetention, CreatedAt: t.Now, UpdatedAt: t.Now}
		ApplySCIMConnectionRequest(&c, req)
		if err := t.ValidateSCIMConnection(ws, &c); err != nil {
			return err
		}
		roles, _ := json.Marshal(c.TeamRoles)
		_, err = t.Execute(`INSERT INTO scim_connections (id, workspace_id, profile, default_role, send_invitations, activation, seat_policy, team_roles, log_retention_seconds,
			rate_limit, rate_burst, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, ws.ID, c.Profile, c.DefaultRole, c.SendInvitations, c.Activation, c.SeatPolicy, string(roles),
			int64(c.LogRetention/time.Second), c.RateLimit, c.RateBurst, t.Now, t.Now)
		if IsUniqueViolation(err) {
			return fmt.Errorf("%w: workspace %s already has a SCIM connection", ErrConflict, ws.Slug)
		} else if err != nil {
			return fmt.Errorf("create SCIM connection: %w", err)
		}
		out = c
		return t.Emit(ws.ID, "scim.connection_created", "scim_connection", c.ID, ScimConnectionPayload(c))
	})
	return out, err
}

func ApplySCIMConnectionRequest(c *SCIMConnection, req SCIMConnectionRequest) {
	if req.Profile != "" {
		c.Profile = strings.ToLower(strings.TrimSpace(req.Profile))
	}
	if req.DefaultRole != "" {
		c.DefaultRole = strings.TrimSpace(req.DefaultRole)
	}
	if req.SendInvitations != nil {
		c.SendInvitations = *req.SendInvitations
	}
	if req.Activation != "" {
		c.Activation = strings.ToLower(strings.TrimSpace(req.Activation))
	}
	if req.SeatPolicy != "" {
		c.SeatPolicy = strings.ToLower(strings.TrimSpace(req.SeatPolicy))
	}
	if req.TeamRoles != nil {
		c.TeamRoles = maps.Clone(req.TeamRoles)
	}
	if req.LogRetention != 0 {
		c.LogRetention = req.LogRetention
	}
	if req.RateLimit != nil {
		c.RateLimit = *req.RateLimit
	}
	if req.RateBurst != nil {
		c.RateBurst = *req.RateBurst
	}
}

// MaxSCIMRateLimit bounds a connection's rate limit (requests per second)
// and burst.
const MaxSCIMRateLimit = 100000

// GetSCIMConnection returns a workspace's connection; it needs
// connections.manage.
func (d *Store) GetSCIMConnection(ctx context.Context, actor Actor, workspace string) (SCIMConnection, error) {
	var out SCIMConnection
	err := d.ReadTx(ctx, actor, func(t *Tx) error {
		ws, _, err := t.Authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		out, err = t.ScimConnection(ws.ID)
		return err
	})
	return out, err
}

func (t *Tx) ScimConnection(workspaceID string) (SCIMConnection, error) {
	var r ScimConnectionRow
	if err := t.GetOne(&r, `SELECT `+ScimConnectionColumns+` FROM scim_connections c JOIN workspaces w ON w.id = c.workspace_id WHERE c.workspace_id = ?`, workspaceID); err != nil {
		return SCIMConnection{}, NotFound(err, "SCIM connection")
	}
	return r.Public(), nil
}

// SCIMToken is a bearer token of a connection as listed; the secret itself
// is shown only when created.
type SCIMToken struct {
	ID            string     `db:"id"`
	ConnectionID  string     `db:"connection_id"`
	WorkspaceID   string     `db:"workspace_id"`
	WorkspaceSlug string     `db:"workspace_slug"`
	Hint          string     `db:"hint"`
	Description   string     `db:"description"`
	CreatedAt     time.Time  `db:"created_at"`
	ExpiresAt     *time.Time `db:"expires_at"`
	RevokedAt     *time.Time `db:"revoked_at"`
	LastUsedAt    *time.Time `db:"last_used_at"`
}

// Status is "active", "expired" or "revoked" at now.
func (k SCIMToken) Status(now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked"
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return "expired"
	}
	return "active"
}

// SCIMTokenRequest creates a token; ExpiresIn 0 means it never expires.
type SCIMTokenRequest struct {
	Description string
	ExpiresIn   time.Duration
}

// CreateSCIMToken adds a bearer token to the workspace's connection and
// returns it with its secret, which is shown once and stored only hashed.
// Several tokens may be active at once, so rotating is create, switch the
// IdP over, revoke the old one. It needs connections.manage.
func (d *Store) CreateSCIMToken(ctx context.Context, actor Actor, workspace string, req SCIMTokenRequest) (SCIMToken, string, error) {
	var out SCIMToken
	var secret string
	if req.ExpiresIn < 0 {
		return out, "", Invalidf("a token cannot expire in the past")
	}
	err := d.InTx(ctx, actor, func(t *Tx) error {
		ws, _, err := t.Authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		c, err := t.ScimConnection(ws.ID)
		if err != nil {
			return err
		}
		token, hash := NewToken()
		secret = token
		out = SCIMToken{ID: NewID(), ConnectionID: c.ID, WorkspaceID: ws.ID, WorkspaceSlug: ws.Slug, Hint: token[len(token)-4:],
			Description: strings.TrimSpace(req.Description), CreatedAt: t.Now}
		if req.ExpiresIn > 0 {
			exp := t.Now.Add(req.ExpiresIn)
			out.ExpiresAt = &exp
		}
		if _, err := t.Execute(`INSERT INTO scim_tokens (id, connection_id, workspace_id, token_hash, hint, description, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, c.ID, ws.ID, hash, out.Hint, out.Description, t.Now, out.ExpiresAt); err != nil {
			return fmt.Errorf("create SCIM token: %w", err)
		}
		return t.Emit(ws.ID, "scim.token_created", "scim_token", out.ID, map[string]any{"connection_id": c.ID, "expires_at": out.ExpiresAt, "description": out.Description})
	})
	return out, secret, err
}

// SCIMRequest is one entry of a connection's request log. Nothing secret
// goes in: no headers but the User-Agent, no bodies.
type SCIMRequest struct {
	ID           int64  `db:"id"`
	ConnectionID string `db:"connection_id"`
	WorkspaceID  string `db:"workspace_id"`
	Method       string `db:"method"`
	Path         string `db:"path"`
	Status       int    `db:"status"`
	// Action says what the request did ("created user jane@x (invited)").
	Action string `db:"action"`
	// Detail is the error detail of a refused request.
	Detail     string        `db:"detail"`
	UserAgent  string        `db:"user_agent"`
	DurationUS int64         `db:"duration_us"`
	Duration   time.Duration `db:"-"`
	CreatedAt  time.Time     `db:"created_at"`
}

// ListSCIMRequests returns the newest entries of a workspace's request log
// (before the id `before`, when set). It needs connections.manage.
func (d *Store) ListSCIMRequests(ctx context.Context, actor Actor, workspace string, before int64, limit int) ([]SCIMRequest, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	out := []SCIMRequest{}
	err := d.ReadTx(ctx, actor, func(t *Tx) error {
		ws, _, err := t.Authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		c, err := t.ScimConnection(ws.ID)
		if err != nil {
			return err
		}
		q := `SELECT id, connection_id, workspace_id, method, path, status, action, detail, user_agent, duration_us, created_at FROM scim_requests WHERE connection_id = ?`
		args := []any{c.ID}
		if before > 0 {
			q += ` AND id < ?`
			args = append(args, before)
		}
		if err := t.SelectRows(&out, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...); err != nil {
			return fmt.Errorf("list SCIM requests: %w", err)
		}
		for i := range out {
			out[i].Duration = time.Duration(out[i].DurationUS) * time.Microsecond
		}
		return nil
	})
	return out, err
}
