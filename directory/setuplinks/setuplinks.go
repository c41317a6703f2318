package setuplinks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// DefaultSetupLinkTTL is how long a setup link works unless its creator
// says otherwise; MaxSetupLinkTTL bounds what they may say.
const (
	DefaultSetupLinkTTL = 24 * time.Hour
	MaxSetupLinkTTL     = 30 * 24 * time.Hour
)

// Identity providers a setup link's holder can pick; the page shows each
// one's own steps. SetupProviderGeneric is any SCIM 2.0 or OpenID Connect
// provider.
const (
	SetupProviderOkta      = "okta"
	SetupProviderEntra     = "entra"
	SetupProviderGoogle    = "google"
	SetupProviderOneLogin  = "onelogin"
	SetupProviderJumpCloud = "jumpcloud"
	SetupProviderGeneric   = "generic"
)

// SetupProviders lists the providers in the order the page offers them.
var SetupProviders = []string{SetupProviderOkta, SetupProviderEntra, SetupProviderGoogle, SetupProviderOneLogin, SetupProviderJumpCloud, SetupProviderGeneric}

// ValidSetupProvider reports whether p is one of SetupProviders.
func ValidSetupProvider(p string) bool {
	for _, s := range SetupProviders {
		if s == p {
			return true
		}
	}
	return false
}

// SetupLinkRequest makes a setup link. Purpose is required; ExpiresIn
// defaults to DefaultSetupLinkTTL.
type SetupLinkRequest struct {
	Purpose     string
	Description string
	ExpiresIn   time.Duration
}

// SetupURL is the URL the holder of a setup link opens.
func (d *Links) SetupURL(token string) string { return d.PublicURL + "/setup/" + token }

// CreateSetupLink makes a setup link. The token and the URL built from it
// are returned once and never stored. A SCIM or SSO link needs
// connections.manage, a domain link domains.manage: a link never lets its
// holder do what its creator could not.
func (d *Links) CreateSetupLink(ctx context.Context, actor store.Actor, workspace string, req SetupLinkRequest) (store.SetupLink, string, string, error) {
	var out store.SetupLink
	req.Purpose = strings.ToLower(strings.TrimSpace(req.Purpose))
	perm, err := store.SetupPermission(req.Purpose)
	if err != nil {
		return out, "", "", err
	}
	req.Description = strings.TrimSpace(req.Description)
	if len([]rune(req.Description)) > 500 {
		return out, "", "", store.Invalidf("a setup link description has at most 500 characters")
	}
	switch {
	case req.ExpiresIn == 0:
		req.ExpiresIn = DefaultSetupLinkTTL
	case req.ExpiresIn < 5*time.Minute:
		return out, "", "", store.Invalidf("a setup link must work for at least 5 minutes")
	case req.ExpiresIn > MaxSetupLinkTTL:
		return out, "", "", store.Invalidf("a setup link works for at most 30 days")
	}
	token, hash := store.NewToken()
	err = d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, perm)
		if err != nil {
			return err
		}
		id := store.NewID()
		if _, err := t.Execute(`INSERT INTO setup_links (id, workspace_id, token_hash, purpose, description, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, ws.ID, hash, req.Purpose, req.Description, actor.Name, t.Now, t.Now.Add(req.ExpiresIn)); err != nil {
			return fmt.Errorf("create setup link: %w", err)
		}
		l, err := t.SetupLink(ws.ID, id, false)
		if err != nil {
			return err
		}
		out = l.Public()
		return t.Emit(ws.ID, "setup_link.created", "setup_link", id, map[string]any{"purpose": out.Purpose, "description": out.Description, "expires_at": out.ExpiresAt})
	})
	if err != nil {
		return store.SetupLink{}, "", "", err
	}
	return out, token, d.SetupURL(token), nil
}

// authorizeSetupLinks lets an actor see a workspace's setup links when it
// may make links of some purpose (connections.manage or domains.manage).
func authorizeSetupLinks(t *store.Tx, workspace string) (*store.WorkspaceRow, store.Principal, error) {
	ws, err := t.Workspace(workspace)
	if err != nil {
		return nil, store.Principal{}, err
	}
	p, err := t.Principal(ws)
	if err != nil {
		return nil, p, err
	}
	if !p.Can(store.PermConnectionsManage) && !p.Can(store.PermDomainsManage) {
		return nil, p, fmt.Errorf("%w: role %q lacks %s and %s", store.ErrForbidden, p.Role.Key, store.PermConnectionsManage, store.PermDomainsManage)
	}
	return ws, p, nil
}

// ListSetupLinks lists a workspace's setup links, newest first. It needs
// connections.manage or domains.manage.
func (d *Links) ListSetupLinks(ctx context.Context, actor store.Actor, workspace string) ([]store.SetupLink, error) {
	out := []store.SetupLink{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := authorizeSetupLinks(t, workspace)
		if err != nil {
			return err
		}
		var rows []store.SetupLinkRow
		if err := t.SelectRows(&rows, store.SetupLinkSelect+` WHERE l.workspace_id = ? ORDER BY l.created_at DESC, l.id DESC`, ws.ID); err != nil {
			return fmt.Errorf("list setup links: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].Public())
		}
		return nil
	})
	return out, err
}

// GetSetupLink returns one setup link of a workspace, with the same
// permissions as ListSetupLinks.
func (d *Links) GetSetupLink(ctx context.Context, actor store.Actor, workspace, id string) (store.SetupLink, error) {
	var out store.SetupLink
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := authorizeSetupLinks(t, workspace)
		if err != nil {
			return err
		}
		r, err := t.SetupLink(ws.ID, id, false)
		if err != nil {
			return err
		}
		out = r.Public()
		return nil
	})
	return out, err
}

// RevokeSetupLink stops a setup link at once; its holder sees a page that
// says so. What the holder already set up stays. It needs the permission
// of the link's purpose; revoking a revoked link is ErrConflict.
func (d *Links) RevokeSetupLink(ctx context.Context, actor store.Actor, workspace, id string) (store.SetupLink, error) {
	var out store.SetupLink
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		if _, err := t.Principal(ws); err != nil {
			return err
		}
		r, err := t.SetupLink(ws.ID, id, true)
		if err != nil {
			return err
		}
		perm, err := store.SetupPermission(r.Purpose)
		if err != nil {
			return err
		}
		if _, err := t.Authorize(ws, perm); err != nil {
			return err
		}
		if r.RevokedAt != nil {
			return fmt.Errorf("%w: setup link %s is already revoked", store.ErrConflict, id)
		}
		if _, err := t.Execute(`UPDATE setup_links SET revoked_at = ? WHERE id = ?`, t.Now, id); err != nil {
			return fmt.Errorf("revoke setup link: %w", err)
		}
		now := t.Now
		r.RevokedAt = &now
		out = r.Public()
		return t.Emit(ws.ID, "setup_link.revoked", "setup_link", id, map[string]any{"purpose": r.Purpose})
	})
	return out, err
}
