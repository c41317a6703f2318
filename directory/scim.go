package directory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
	// ws is the workspace as AuthenticateSCIM read it, so operations of
	// the request do not read it again.
	ws *workspaceRow
}

// scimWorkspace is the connection's workspace: the row authentication
// read, else a fresh read.
func (t *tx) scimWorkspace(conn SCIMConnection) (*workspaceRow, error) {
	if conn.ws != nil {
		return conn.ws, nil
	}
	return t.workspace(conn.WorkspaceID)
}

// Actor is the principal SCIM operations run as: the connection, acting
// with the admin role (it invites, suspends and removes people, but never
// hands out ownership).
func (c SCIMConnection) Actor() Actor {
	return Actor{Kind: ActorSCIM, ID: c.ID, Name: "SCIM provisioning", WorkspaceID: c.WorkspaceID, Role: RoleAdmin, Source: "scim"}
}

// teamRole returns the role mapped to a group display name, if any.
func (c SCIMConnection) teamRole(displayName string) *string {
	key := foldCase(strings.TrimSpace(displayName))
	for name, role := range c.TeamRoles {
		if foldCase(strings.TrimSpace(name)) == key {
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

type scimConnectionRow struct {
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

const scimConnectionColumns = `c.id, c.workspace_id, w.slug AS workspace_slug, c.profile, c.default_role, c.send_invitations, c.activation,
	c.seat_policy, c.team_roles, c.log_retention_seconds, c.rate_limit, c.rate_burst, c.created_at, c.updated_at`

func (r scimConnectionRow) public() SCIMConnection {
	c := SCIMConnection{ID: r.ID, WorkspaceID: r.WorkspaceID, WorkspaceSlug: r.WorkspaceSlug, Profile: r.Profile, DefaultRole: r.DefaultRole,
		SendInvitations: r.SendInvitations, Activation: r.Activation, SeatPolicy: r.SeatPolicy,
		LogRetention: time.Duration(r.LogRetentionSeconds) * time.Second, RateLimit: r.RateLimit, RateBurst: r.RateBurst, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	json.Unmarshal([]byte(r.TeamRoles), &c.TeamRoles)
	if c.TeamRoles == nil {
		c.TeamRoles = map[string]string{}
	}
	return c
}

// validateSCIMConnection checks a connection's settings; ws is needed for
// custom roles.
func (t *tx) validateSCIMConnection(ws *workspaceRow, c *SCIMConnection) error {
	switch c.Profile {
	case ProfileAuto, ProfileOkta, ProfileEntra, ProfileGeneric:
	default:
		return invalidf("unknown SCIM profile %q (auto, okta, entra or generic)", c.Profile)
	}
	switch c.Activation {
	case ActivationDomain, ActivationInvite:
	default:
		return invalidf("unknown activation policy %q (domain or invite)", c.Activation)
	}
	switch c.SeatPolicy {
	case SeatPolicyRefuse, SeatPolicySuspend:
	default:
		return invalidf("unknown seat policy %q (refuse or suspend)", c.SeatPolicy)
	}
	if c.LogRetention < time.Hour || c.LogRetention > 400*24*time.Hour {
		return invalidf("the request log is kept between 1 hour and 400 days")
	}
	if !(c.RateLimit >= 0 && c.RateLimit <= MaxSCIMRateLimit) {
		return fieldError("rate_limit_per_second", "must be a number of requests per second from 0 (the server's default) to %d", MaxSCIMRateLimit)
	}
	if c.RateBurst < 0 || c.RateBurst > MaxSCIMRateLimit {
		return fieldError("rate_limit_burst", "must be a number of requests from 0 (the server's default) to %d", MaxSCIMRateLimit)
	}
	// The connection acts as an admin, so it may hand out any role but
	// owner: the same check an admin inviting someone would face.
	p := principal{actor: Actor{Kind: ActorSCIM, WorkspaceID: ws.ID, Role: RoleAdmin}, role: builtinRoles[RoleAdmin]}
	if _, err := t.requireGrantable(ws, p, c.DefaultRole); err != nil {
		return fmt.Errorf("default role: %w", err)
	}
	for name, role := range c.TeamRoles {
		if strings.TrimSpace(name) == "" {
			return invalidf("a team role mapping needs a group name")
		}
		if _, err := t.requireGrantable(ws, p, role); err != nil {
			return fmt.Errorf("team role for %q: %w", name, err)
		}
	}
	return nil
}

// CreateSCIMConnection sets up the SCIM endpoint of a workspace (one per
// workspace). It needs connections.manage. Tokens are created separately.
func (d *Directory) CreateSCIMConnection(ctx context.Context, actor Actor, workspace string, req SCIMConnectionRequest) (SCIMConnection, error) {
	var out SCIMConnection
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		c := SCIMConnection{ID: newID(), WorkspaceID: ws.ID, WorkspaceSlug: ws.Slug, Profile: ProfileAuto, DefaultRole: RoleMember,
			SendInvitations: true, Activation: ActivationDomain, SeatPolicy: SeatPolicyRefuse, TeamRoles: map[string]string{},
			LogRetention: DefaultSCIMLogRetention, CreatedAt: t.now, UpdatedAt: t.now}
		applySCIMConnectionRequest(&c, req)
		if err := t.validateSCIMConnection(ws, &c); err != nil {
			return err
		}
		roles, _ := json.Marshal(c.TeamRoles)
		_, err = t.exec(`INSERT INTO scim_connections (id, workspace_id, profile, default_role, send_invitations, activation, seat_policy, team_roles, log_retention_seconds,
			rate_limit, rate_burst, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, ws.ID, c.Profile, c.DefaultRole, c.SendInvitations, c.Activation, c.SeatPolicy, string(roles),
			int64(c.LogRetention/time.Second), c.RateLimit, c.RateBurst, t.now, t.now)
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: workspace %s already has a SCIM connection", ErrConflict, ws.Slug)
		} else if err != nil {
			return fmt.Errorf("create SCIM connection: %w", err)
		}
		out = c
		return t.emit(ws.ID, "scim.connection_created", "scim_connection", c.ID, scimConnectionPayload(c))
	})
	return out, err
}

func applySCIMConnectionRequest(c *SCIMConnection, req SCIMConnectionRequest) {
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

// UpdateSCIMConnection changes a connection's settings. It needs
// connections.manage.
func (d *Directory) UpdateSCIMConnection(ctx context.Context, actor Actor, workspace string, req SCIMConnectionRequest) (SCIMConnection, error) {
	var out SCIMConnection
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		c, err := t.scimConnection(ws.ID)
		if err != nil {
			return err
		}
		applySCIMConnectionRequest(&c, req)
		if err := t.validateSCIMConnection(ws, &c); err != nil {
			return err
		}
		roles, _ := json.Marshal(c.TeamRoles)
		c.UpdatedAt = t.now
		if _, err := t.exec(`UPDATE scim_connections SET profile = ?, default_role = ?, send_invitations = ?, activation = ?, seat_policy = ?, team_roles = ?,
			log_retention_seconds = ?, rate_limit = ?, rate_burst = ?, updated_at = ? WHERE id = ?`, c.Profile, c.DefaultRole, c.SendInvitations, c.Activation, c.SeatPolicy, string(roles),
			int64(c.LogRetention/time.Second), c.RateLimit, c.RateBurst, t.now, c.ID); err != nil {
			return fmt.Errorf("update SCIM connection: %w", err)
		}
		out = c
		return t.emit(ws.ID, "scim.connection_updated", "scim_connection", c.ID, scimConnectionPayload(c))
	})
	return out, err
}

// GetSCIMConnection returns a workspace's connection; it needs
// connections.manage.
func (d *Directory) GetSCIMConnection(ctx context.Context, actor Actor, workspace string) (SCIMConnection, error) {
	var out SCIMConnection
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		out, err = t.scimConnection(ws.ID)
		return err
	})
	return out, err
}

func (t *tx) scimConnection(workspaceID string) (SCIMConnection, error) {
	var r scimConnectionRow
	if err := t.get(&r, `SELECT `+scimConnectionColumns+` FROM scim_connections c JOIN workspaces w ON w.id = c.workspace_id WHERE c.workspace_id = ?`, workspaceID); err != nil {
		return SCIMConnection{}, notFound(err, "SCIM connection")
	}
	return r.public(), nil
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

const scimTokenColumns = `k.id, k.connection_id, k.workspace_id, w.slug AS workspace_slug, k.hint, k.description, k.created_at, k.expires_at, k.revoked_at, k.last_used_at`

// SCIMTokenRequest creates a token; ExpiresIn 0 means it never expires.
type SCIMTokenRequest struct {
	Description string
	ExpiresIn   time.Duration
}

// CreateSCIMToken adds a bearer token to the workspace's connection and
// returns it with its secret, which is shown once and stored only hashed.
// Several tokens may be active at once, so rotating is create, switch the
// IdP over, revoke the old one. It needs connections.manage.
func (d *Directory) CreateSCIMToken(ctx context.Context, actor Actor, workspace string, req SCIMTokenRequest) (SCIMToken, string, error) {
	var out SCIMToken
	var secret string
	if req.ExpiresIn < 0 {
		return out, "", invalidf("a token cannot expire in the past")
	}
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		c, err := t.scimConnection(ws.ID)
		if err != nil {
			return err
		}
		token, hash := NewToken()
		secret = token
		out = SCIMToken{ID: newID(), ConnectionID: c.ID, WorkspaceID: ws.ID, WorkspaceSlug: ws.Slug, Hint: token[len(token)-4:],
			Description: strings.TrimSpace(req.Description), CreatedAt: t.now}
		if req.ExpiresIn > 0 {
			exp := t.now.Add(req.ExpiresIn)
			out.ExpiresAt = &exp
		}
		if _, err := t.exec(`INSERT INTO scim_tokens (id, connection_id, workspace_id, token_hash, hint, description, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, c.ID, ws.ID, hash, out.Hint, out.Description, t.now, out.ExpiresAt); err != nil {
			return fmt.Errorf("create SCIM token: %w", err)
		}
		return t.emit(ws.ID, "scim.token_created", "scim_token", out.ID, map[string]any{"connection_id": c.ID, "expires_at": out.ExpiresAt, "description": out.Description})
	})
	return out, secret, err
}

// RevokeSCIMToken revokes a token at once; requests with it get 401 from
// then on. It needs connections.manage.
func (d *Directory) RevokeSCIMToken(ctx context.Context, actor Actor, workspace, tokenID string) (SCIMToken, error) {
	var out SCIMToken
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		res, err := t.exec(`UPDATE scim_tokens SET revoked_at = ? WHERE id = ? AND workspace_id = ? AND revoked_at IS NULL`, t.now, tokenID, ws.ID)
		if err != nil {
			return fmt.Errorf("revoke SCIM token: %w", err)
		}
		if err := t.get(&out, `SELECT `+scimTokenColumns+` FROM scim_tokens k JOIN workspaces w ON w.id = k.workspace_id WHERE k.id = ? AND k.workspace_id = ?`, tokenID, ws.ID); err != nil {
			return notFound(err, "SCIM token "+tokenID)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: token %s is already revoked", ErrConflict, tokenID)
		}
		return t.emit(ws.ID, "scim.token_revoked", "scim_token", out.ID, map[string]any{"connection_id": out.ConnectionID})
	})
	return out, err
}

// ListSCIMTokens lists the tokens of a workspace's connection, or of every
// workspace when workspace is "" (the operator only), newest first.
func (d *Directory) ListSCIMTokens(ctx context.Context, actor Actor, workspace string) ([]SCIMToken, error) {
	out := []SCIMToken{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		if workspace == "" {
			if actor.Kind != ActorOperator {
				return fmt.Errorf("%w: only the operator lists the tokens of every workspace", ErrForbidden)
			}
			return t.selectRows(&out, `SELECT `+scimTokenColumns+` FROM scim_tokens k JOIN workspaces w ON w.id = k.workspace_id ORDER BY w.slug, k.created_at DESC, k.id`)
		}
		ws, _, err := t.authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		return t.selectRows(&out, `SELECT `+scimTokenColumns+` FROM scim_tokens k JOIN workspaces w ON w.id = k.workspace_id WHERE k.workspace_id = ? ORDER BY k.created_at DESC, k.id`, ws.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("list SCIM tokens: %w", err)
	}
	return out, nil
}

// errUnknownSCIMToken is an unknown token; expired and revoked ones are
// ErrExpired and ErrRevoked, so front doors can say which.
var errUnknownSCIMToken = fmt.Errorf("unknown SCIM token: %w", ErrNotFound)

// tokenUseGranularity is how stale last_used_at may get before a request
// writes it again: a write per request would double the cost of reads.
const tokenUseGranularity = time.Minute

// AuthenticateSCIM finds the connection a bearer token belongs to. Unknown
// tokens are ErrNotFound, expired ones ErrExpired and revoked ones
// ErrRevoked. It reads the token, its connection and its workspace with one
// indexed query; on PostgreSQL with Options.SCIMAuthCache (roster serve),
// a token that authenticated before is answered from a per-process cache
// instead, which every change to tokens,
// connections or workspaces clears: before the change returns in this
// process, through NOTIFY in the others (scim_authcache.go). Expiry is
// checked on every request either way. SQLite always queries.
func (d *Directory) AuthenticateSCIM(ctx context.Context, token string) (SCIMConnection, error) {
	if token == "" || len(token) > 512 {
		return SCIMConnection{}, errUnknownSCIMToken
	}
	hash := HashToken(token)
	row, cached, gen := d.scimAuth.lookup(hash)
	if cached {
		d.scimAuthHits.Add(1)
	} else {
		err := d.dbGet(ctx, &row, `SELECT k.id AS token_id, k.expires_at, k.revoked_at, k.last_used_at, `+scimConnectionColumns+`,
		w.id AS "w.id", w.slug AS "w.slug", w.name AS "w.name", w.seat_limit AS "w.seat_limit", w.trial_ends_at AS "w.trial_ends_at",
		w.invite_roles AS "w.invite_roles", w.invitation_ttl_seconds AS "w.invitation_ttl_seconds", w.terms_version AS "w.terms_version",
		w.created_at AS "w.created_at", w.updated_at AS "w.updated_at"
		FROM scim_tokens k JOIN scim_connections c ON c.id = k.connection_id JOIN workspaces w ON w.id = c.workspace_id
		WHERE k.token_hash = ?`, hash)
		if errors.Is(err, sql.ErrNoRows) {
			return SCIMConnection{}, errUnknownSCIMToken
		} else if err != nil {
			return SCIMConnection{}, fmt.Errorf("authenticate SCIM token: %w", err)
		}
	}
	now := d.now().UTC()
	// A revoked or expired token still names its connection, so the
	// refusal can go to that connection's request log (an IT admin whose
	// IdP still holds the old token sees why); nothing else may use it.
	switch {
	case row.RevokedAt != nil:
		return SCIMConnection{ID: row.ID, WorkspaceID: row.WorkspaceID, TokenID: row.TokenID}, fmt.Errorf("SCIM token: %w", ErrRevoked)
	case row.ExpiresAt != nil && !now.Before(*row.ExpiresAt):
		return SCIMConnection{ID: row.ID, WorkspaceID: row.WorkspaceID, TokenID: row.TokenID}, fmt.Errorf("SCIM token: %w", ErrExpired)
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) > tokenUseGranularity {
		if _, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE scim_tokens SET last_used_at = ? WHERE id = ?`), now, row.TokenID); err != nil {
			d.log.Warn("record SCIM token use", "token", row.TokenID, "err", err)
		} else {
			row.LastUsedAt = &now
			d.scimAuth.touch(hash, now)
		}
	}
	if !cached {
		// Only tokens that authenticated are cached: unknown, revoked and
		// expired ones always go to the database.
		d.scimAuth.fill(hash, gen, row)
	}
	c := row.scimConnectionRow.public()
	c.TokenID, c.ws = row.TokenID, &row.W
	return c, nil
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
func (d *Directory) ListSCIMRequests(ctx context.Context, actor Actor, workspace string, before int64, limit int) ([]SCIMRequest, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	out := []SCIMRequest{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		c, err := t.scimConnection(ws.ID)
		if err != nil {
			return err
		}
		q := `SELECT id, connection_id, workspace_id, method, path, status, action, detail, user_agent, duration_us, created_at FROM scim_requests WHERE connection_id = ?`
		args := []any{c.ID}
		if before > 0 {
			q += ` AND id < ?`
			args = append(args, before)
		}
		if err := t.selectRows(&out, q+` ORDER BY id DESC LIMIT ?`, append(args, limit)...); err != nil {
			return fmt.Errorf("list SCIM requests: %w", err)
		}
		for i := range out {
			out[i].Duration = time.Duration(out[i].DurationUS) * time.Microsecond
		}
		return nil
	})
	return out, err
}

// PruneSCIMRequests deletes request-log entries older than each
// connection's retention and returns how many went. It works in bounded
// batches so a large backlog never holds a long lock.
func (d *Directory) PruneSCIMRequests(ctx context.Context) (int64, error) {
	var conns []struct {
		ID        string `db:"id"`
		Retention int64  `db:"log_retention_seconds"`
	}
	if err := d.db.SelectContext(ctx, &conns, `SELECT id, log_retention_seconds FROM scim_connections`); err != nil {
		return 0, fmt.Errorf("prune SCIM requests: %w", err)
	}
	now := d.now().UTC()
	var total int64
	for _, c := range conns {
		cutoff := now.Add(-time.Duration(c.Retention) * time.Second)
		for {
			res, err := d.db.ExecContext(ctx, d.db.Rebind(`DELETE FROM scim_requests WHERE id IN
				(SELECT id FROM scim_requests WHERE connection_id = ? AND created_at < ? ORDER BY id LIMIT 5000)`), c.ID, cutoff)
			if err != nil {
				return total, fmt.Errorf("prune SCIM requests of %s: %w", c.ID, err)
			}
			n, _ := res.RowsAffected()
			total += n
			if n < 5000 {
				break
			}
		}
	}
	return total, nil
}
