package directory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// APIKeyPrefix starts every API key token, so secret scanners and people
// recognise a leaked one.
const APIKeyPrefix = "roster_"

// APIKey is an admin-API credential of one workspace. It acts with Role,
// through the same permission checks as a member holding that role. The
// token itself is shown once, when the key is created; only its hash is
// kept.
type APIKey struct {
	ID            string `db:"id"`
	WorkspaceID   string `db:"workspace_id"`
	WorkspaceSlug string `db:"workspace_slug"`
	Name          string `db:"name"`
	Role          string `db:"role"`
	// TokenPrefix is the first characters of the token, to tell keys apart.
	TokenPrefix string     `db:"token_prefix"`
	CreatedBy   string     `db:"created_by"`
	CreatedAt   time.Time  `db:"created_at"`
	ExpiresAt   *time.Time `db:"expires_at"`
	LastUsedAt  *time.Time `db:"last_used_at"`
	RevokedAt   *time.Time `db:"revoked_at"`
}

const apiKeySelect = `SELECT k.id, k.workspace_id, w.slug AS workspace_slug, k.name, k.role, k.token_prefix, k.created_by, k.created_at, k.expires_at, k.last_used_at, k.revoked_at
	FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id`

// APIKeyRequest creates an API key.
type APIKeyRequest struct {
	// Name says what the key is for ("billing sync"); required.
	Name string
	// Role is the role the key acts with; the creator must be able to
	// grant it.
	Role string
	// ExpiresAt, when set, must be in the future.
	ExpiresAt *time.Time
}

// CreateAPIKey creates an API key for a workspace and returns it with its
// token, which is never shown again. Creating keys needs
// connections.manage, and a key's role is one the creator could grant, so
// a key never holds more than its creator. The operator (the CLI's
// `roster apikey create`) may create any key.
func (d *Directory) CreateAPIKey(ctx context.Context, actor store.Actor, workspace string, req APIKeyRequest) (APIKey, string, error) {
	var out APIKey
	var token string
	req.Name = strings.TrimSpace(req.Name)
	req.Role = strings.TrimSpace(req.Role)
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		if req.Name == "" {
			return store.Invalidf("an API key needs a name that says what it is for")
		}
		if len(req.Name) > 100 {
			return store.Invalidf("API key name is longer than 100 characters")
		}
		role, err := t.RequireGrantable(ws, p, req.Role)
		if err != nil {
			return err
		}
		if req.ExpiresAt != nil {
			e := req.ExpiresAt.UTC().Truncate(time.Microsecond)
			if !e.After(t.Now) {
				return store.Invalidf("expires_at must be in the future")
			}
			req.ExpiresAt = &e
		}
		secret, _ := store.NewToken()
		token = APIKeyPrefix + secret
		out = APIKey{ID: store.NewID(), WorkspaceID: ws.ID, WorkspaceSlug: ws.Slug, Name: req.Name, Role: role.Key,
			TokenPrefix: token[:len(APIKeyPrefix)+6], CreatedBy: actorLabel(t.Actor), CreatedAt: t.Now, ExpiresAt: req.ExpiresAt}
		if _, err := t.Execute(`INSERT INTO api_keys (id, workspace_id, name, role, token_hash, token_prefix, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			out.ID, out.WorkspaceID, out.Name, out.Role, store.HashToken(token), out.TokenPrefix, out.CreatedBy, out.CreatedAt, out.ExpiresAt); err != nil {
			return fmt.Errorf("create API key: %w", err)
		}
		return t.Emit(ws.ID, "api_key.created", "api_key", out.ID, map[string]any{"name": out.Name, "role": out.Role, "expires_at": out.ExpiresAt})
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return out, token, nil
}

// actorLabel names an actor in records people read ("member 0193…").
func actorLabel(a store.Actor) string {
	if a.ID == "" {
		return string(a.Kind)
	}
	return string(a.Kind) + " " + a.ID
}

// ListAPIKeys lists a workspace's API keys, revoked ones included, newest
// first. Tokens are never listed.
func (d *Directory) ListAPIKeys(ctx context.Context, actor store.Actor, workspace string) ([]APIKey, error) {
	out := []APIKey{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		if err := t.SelectRows(&out, apiKeySelect+` WHERE k.workspace_id = ? ORDER BY k.created_at DESC, k.id DESC`, ws.ID); err != nil {
			return fmt.Errorf("list API keys: %w", err)
		}
		return nil
	})
	return out, err
}

// RevokeAPIKey revokes a key at once: the next request with it is refused.
// A key may revoke itself.
func (d *Directory) RevokeAPIKey(ctx context.Context, actor store.Actor, workspace, keyID string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		p, err := t.Principal(ws)
		if err != nil {
			return err
		}
		self := actor.Kind == store.ActorAPIKey && actor.ID == keyID
		if !self && !p.Can(store.PermConnectionsManage) {
			return fmt.Errorf("%w: role %q lacks %s", store.ErrForbidden, p.Role.Key, store.PermConnectionsManage)
		}
		var k APIKey
		if err := t.GetOne(&k, apiKeySelect+` WHERE k.workspace_id = ? AND k.id = ?`, ws.ID, keyID); err != nil {
			return store.NotFound(err, "API key "+keyID)
		}
		if k.RevokedAt != nil {
			return fmt.Errorf("%w: API key %s is already revoked", store.ErrConflict, keyID)
		}
		if _, err := t.Execute(`UPDATE api_keys SET revoked_at = ? WHERE id = ?`, t.Now, k.ID); err != nil {
			return fmt.Errorf("revoke API key: %w", err)
		}
		return t.Emit(ws.ID, "api_key.revoked", "api_key", k.ID, map[string]string{"name": k.Name})
	})
}

// lastUsedResolution is how stale an API key's last_used_at may get; it
// keeps authentication from writing on every request.
const lastUsedResolution = time.Minute

// AuthenticateAPIKey resolves a bearer token to the Actor of its key. An
// unknown, revoked or expired token is ErrNotFound, ErrRevoked or
// ErrExpired; front doors answer all of them with the same 401 so a
// caller learns nothing about other people's keys.
func (d *Directory) AuthenticateAPIKey(ctx context.Context, token string) (store.Actor, APIKey, error) {
	if !strings.HasPrefix(token, APIKeyPrefix) || len(token) > 200 {
		return store.Actor{}, APIKey{}, fmt.Errorf("API key: %w", store.ErrNotFound)
	}
	var k APIKey
	err := d.SQL.GetContext(ctx, &k, d.SQL.Rebind(apiKeySelect+` WHERE k.token_hash = ?`), store.HashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Actor{}, APIKey{}, fmt.Errorf("API key: %w", store.ErrNotFound)
	} else if err != nil {
		return store.Actor{}, APIKey{}, fmt.Errorf("look up API key: %w", store.Unavailable(err))
	}
	now := d.Now().UTC()
	switch {
	case k.RevokedAt != nil:
		return store.Actor{}, APIKey{}, fmt.Errorf("API key %s: %w", k.ID, store.ErrRevoked)
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return store.Actor{}, APIKey{}, fmt.Errorf("API key %s: %w", k.ID, store.ErrExpired)
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= lastUsedResolution {
		// Best effort: a failed bookkeeping write must not refuse a valid key.
		err := d.InTx(ctx, store.System(), func(t *store.Tx) error {
			_, err := t.Execute(`UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`,
				t.Now, k.ID, t.Now.Add(-lastUsedResolution))
			return err
		})
		if err != nil {
			d.Log.Warn("record API key use", "key_id", k.ID, "err", err)
		}
	}
	return store.Actor{Kind: store.ActorAPIKey, ID: k.ID, Name: k.Name, WorkspaceID: k.WorkspaceID, Role: k.Role, Source: "api"}, k, nil
}
