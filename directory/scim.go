package directory

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// UpdateSCIMConnection changes a connection's settings. It needs
// connections.manage.
func (d *Directory) UpdateSCIMConnection(ctx context.Context, actor store.Actor, workspace string, req store.SCIMConnectionRequest) (store.SCIMConnection, error) {
	var out store.SCIMConnection
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		c, err := t.ScimConnection(ws.ID)
		if err != nil {
			return err
		}
		store.ApplySCIMConnectionRequest(&c, req)
		if err := t.ValidateSCIMConnection(ws, &c); err != nil {
			return err
		}
		roles, _ := json.Marshal(c.TeamRoles)
		c.UpdatedAt = t.Now
		if _, err := t.Execute(`UPDATE scim_connections SET profile = ?, default_role = ?, send_invitations = ?, activation = ?, seat_policy = ?, team_roles = ?,
			log_retention_seconds = ?, rate_limit = ?, rate_burst = ?, updated_at = ? WHERE id = ?`, c.Profile, c.DefaultRole, c.SendInvitations, c.Activation, c.SeatPolicy, string(roles),
			int64(c.LogRetention/time.Second), c.RateLimit, c.RateBurst, t.Now, c.ID); err != nil {
			return fmt.Errorf("update SCIM connection: %w", err)
		}
		out = c
		return t.Emit(ws.ID, "scim.connection_updated", "scim_connection", c.ID, store.ScimConnectionPayload(c))
	})
	return out, err
}

const scimTokenColumns = `k.id, k.connection_id, k.workspace_id, w.slug AS workspace_slug, k.hint, k.description, k.created_at, k.expires_at, k.revoked_at, k.last_used_at`

// RevokeSCIMToken revokes a token at once; requests with it get 401 from
// then on. It needs connections.manage.
func (d *Directory) RevokeSCIMToken(ctx context.Context, actor store.Actor, workspace, tokenID string) (store.SCIMToken, error) {
	var out store.SCIMToken
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		res, err := t.Execute(`UPDATE scim_tokens SET revoked_at = ? WHERE id = ? AND workspace_id = ? AND revoked_at IS NULL`, t.Now, tokenID, ws.ID)
		if err != nil {
			return fmt.Errorf("revoke SCIM token: %w", err)
		}
		if err := t.GetOne(&out, `SELECT `+scimTokenColumns+` FROM scim_tokens k JOIN workspaces w ON w.id = k.workspace_id WHERE k.id = ? AND k.workspace_id = ?`, tokenID, ws.ID); err != nil {
			return store.NotFound(err, "SCIM token "+tokenID)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: token %s is already revoked", store.ErrConflict, tokenID)
		}
		return t.Emit(ws.ID, "scim.token_revoked", "scim_token", out.ID, map[string]any{"connection_id": out.ConnectionID})
	})
	return out, err
}

// ListSCIMTokens lists the tokens of a workspace's connection, or of every
// workspace when workspace is "" (the operator only), newest first.
func (d *Directory) ListSCIMTokens(ctx context.Context, actor store.Actor, workspace string) ([]store.SCIMToken, error) {
	out := []store.SCIMToken{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		if workspace == "" {
			if actor.Kind != store.ActorOperator {
				return fmt.Errorf("%w: only the operator lists the tokens of every workspace", store.ErrForbidden)
			}
			return t.SelectRows(&out, `SELECT `+scimTokenColumns+` FROM scim_tokens k JOIN workspaces w ON w.id = k.workspace_id ORDER BY w.slug, k.created_at DESC, k.id`)
		}
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		return t.SelectRows(&out, `SELECT `+scimTokenColumns+` FROM scim_tokens k JOIN workspaces w ON w.id = k.workspace_id WHERE k.workspace_id = ? ORDER BY k.created_at DESC, k.id`, ws.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("list SCIM tokens: %w", err)
	}
	return out, nil
}

// errUnknownSCIMToken is an unknown token; expired and revoked ones are
// ErrExpired and ErrRevoked, so front doors can say which.
var errUnknownSCIMToken = fmt.Errorf("unknown SCIM token: %w", store.ErrNotFound)

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
func (d *Directory) AuthenticateSCIM(ctx context.Context, token string) (store.SCIMConnection, error) {
	if token == "" || len(token) > 512 {
		return store.SCIMConnection{}, errUnknownSCIMToken
	}
	hash := store.HashToken(token)
	row, cached, gen := d.ScimAuth.Lookup(hash)
	if cached {
		d.ScimAuthHits.Add(1)
	} else {
		err := d.DbGet(ctx, &row, `SELECT k.id AS token_id, k.expires_at, k.revoked_at, k.last_used_at, `+store.ScimConnectionColumns+`,
		w.id AS "w.id", w.slug AS "w.slug", w.name AS "w.name", w.seat_limit AS "w.seat_limit", w.trial_ends_at AS "w.trial_ends_at",
		w.invite_roles AS "w.invite_roles", w.invitation_ttl_seconds AS "w.invitation_ttl_seconds", w.terms_version AS "w.terms_version",
		w.created_at AS "w.created_at", w.updated_at AS "w.updated_at"
		FROM scim_tokens k JOIN scim_connections c ON c.id = k.connection_id JOIN workspaces w ON w.id = c.workspace_id
		WHERE k.token_hash = ?`, hash)
		if errors.Is(err, sql.ErrNoRows) {
			return store.SCIMConnection{}, errUnknownSCIMToken
		} else if err != nil {
			return store.SCIMConnection{}, fmt.Errorf("authenticate SCIM token: %w", err)
		}
	}
	now := d.Now().UTC()
	// A revoked or expired token still names its connection, so the
	// refusal can go to that connection's request log (an IT admin whose
	// IdP still holds the old token sees why); nothing else may use it.
	switch {
	case row.RevokedAt != nil:
		return store.SCIMConnection{ID: row.ID, WorkspaceID: row.WorkspaceID, TokenID: row.TokenID}, fmt.Errorf("SCIM token: %w", store.ErrRevoked)
	case row.ExpiresAt != nil && !now.Before(*row.ExpiresAt):
		return store.SCIMConnection{ID: row.ID, WorkspaceID: row.WorkspaceID, TokenID: row.TokenID}, fmt.Errorf("SCIM token: %w", store.ErrExpired)
	}
	if row.LastUsedAt == nil || now.Sub(*row.LastUsedAt) > tokenUseGranularity {
		if _, err := d.SQL.ExecContext(ctx, d.SQL.Rebind(`UPDATE scim_tokens SET last_used_at = ? WHERE id = ?`), now, row.TokenID); err != nil {
			d.Log.Warn("record SCIM token use", "token", row.TokenID, "err", err)
		} else {
			row.LastUsedAt = &now
			d.ScimAuth.Touch(hash, now)
		}
	}
	if !cached {
		// Only tokens that authenticated are cached: unknown, revoked and
		// expired ones always go to the database.
		d.ScimAuth.Fill(hash, gen, row)
	}
	c := row.ScimConnectionRow.Public()
	c.TokenID, c.Workspace = row.TokenID, &row.Workspace
	return c, nil
}

// PruneSCIMRequests deletes request-log entries older than each
// connection's retention and returns how many went. It works in bounded
// batches so a large backlog never holds a long lock.
func (d *Directory) PruneSCIMRequests(ctx context.Context) (int64, error) {
	var conns []struct {
		ID        string `db:"id"`
		Retention int64  `db:"log_retention_seconds"`
	}
	if err := d.SQL.SelectContext(ctx, &conns, `SELECT id, log_retention_seconds FROM scim_connections`); err != nil {
		return 0, fmt.Errorf("prune SCIM requests: %w", err)
	}
	now := d.Now().UTC()
	var total int64
	for _, c := range conns {
		cutoff := now.Add(-time.Duration(c.Retention) * time.Second)
		// The log has no index on created_at (each entry's index entries
		// are paid for by every SCIM request), only (connection_id, id).
		// Entries are written in about the order they were made, so the
		// expired ones are those before the first that is not: finding it
		// reads only the expired entries, and the deletes below read none
		// after it. One written out of order past it waits for a later
		// prune.
		var end []int64
		if err := d.SQL.SelectContext(ctx, &end, d.SQL.Rebind(`SELECT id FROM scim_requests WHERE connection_id = ? AND created_at >= ? ORDER BY id LIMIT 1`),
			c.ID, cutoff); err != nil {
			return total, fmt.Errorf("prune SCIM requests of %s: %w", c.ID, err)
		}
		before := int64(math.MaxInt64)
		if len(end) == 1 {
			before = end[0]
		}
		for {
			res, err := d.SQL.ExecContext(ctx, d.SQL.Rebind(`DELETE FROM scim_requests WHERE connection_id = ? AND id IN
				(SELECT id FROM scim_requests WHERE connection_id = ? AND id < ? AND created_at < ? ORDER BY id LIMIT 5000)`), c.ID, c.ID, before, cutoff)
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
