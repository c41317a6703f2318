package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Setup link purposes: the one job a link lets its holder do.
const (
	SetupSCIM   = "scim"
	SetupSSO    = "sso"
	SetupDomain = "domain"
)

// Setup link statuses, as SetupLink.Status reports them.
const (
	SetupPending   = "pending"
	SetupCompleted = "completed"
	SetupExpired   = "expired"
	SetupRevoked   = "revoked"
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

// SetupLink is a link a workspace admin hands to the customer's IT admin
// so that they set up one thing (SCIM, single sign-on or a domain) for
// one workspace without a Roster account. Its token is shown once, when
// the link is made; only its hash is kept.
type SetupLink struct {
	ID            string
	WorkspaceID   string
	WorkspaceSlug string
	WorkspaceName string
	Purpose       string
	Description   string
	// Provider is the identity provider the holder picked, "" until then.
	Provider  string
	CreatedBy string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
	// CompletedAt and Summary are set when the holder finished; Summary
	// says in words what was set up, for the workspace's admins.
	CompletedAt *time.Time
	Summary     string
	// OIDCConnectionID is the connection an SSO link made.
	OIDCConnectionID string
	// Test is the last test sign-in through that connection, nil before.
	Test *SetupSignInTest
}

// Status is pending, completed, expired or revoked at now.
func (l SetupLink) Status(now time.Time) string {
	switch {
	case l.RevokedAt != nil:
		return SetupRevoked
	case l.CompletedAt != nil:
		return SetupCompleted
	case !now.Before(l.ExpiresAt):
		return SetupExpired
	}
	return SetupPending
}

// SetupSignInTest is what a test sign-in through a connection made by a
// setup link received, and what Roster would make of it.
type SetupSignInTest struct {
	At            time.Time         `json:"at"`
	Email         string            `json:"email"`
	EmailVerified bool              `json:"email_verified"`
	Subject       string            `json:"subject"`
	Claims        map[string]string `json:"claims"`
	// Accepted is whether Roster would take the email address (the
	// email-trust rule); Reason says why not, in words.
	Accepted bool   `json:"accepted"`
	Reason   string `json:"reason,omitempty"`
}

// SetupLinkRequest makes a setup link. Purpose is required; ExpiresIn
// defaults to DefaultSetupLinkTTL.
type SetupLinkRequest struct {
	Purpose     string
	Description string
	ExpiresIn   time.Duration
}

type setupLinkRow struct {
	ID               string     `db:"id"`
	WorkspaceID      string     `db:"workspace_id"`
	WorkspaceSlug    string     `db:"slug"`
	WorkspaceName    string     `db:"name"`
	Purpose          string     `db:"purpose"`
	Description      string     `db:"description"`
	Provider         string     `db:"provider"`
	CreatedBy        string     `db:"created_by"`
	CreatedAt        time.Time  `db:"created_at"`
	ExpiresAt        time.Time  `db:"expires_at"`
	RevokedAt        *time.Time `db:"revoked_at"`
	CompletedAt      *time.Time `db:"completed_at"`
	Summary          string     `db:"summary"`
	OIDCConnectionID string     `db:"oidc_connection_id"`
	TestResult       string     `db:"test_result"`
}

const setupLinkSelect = `SELECT l.id, l.workspace_id, w.slug, w.name, l.purpose, l.description, l.provider, l.created_by, l.created_at, l.expires_at,
	l.revoked_at, l.completed_at, l.summary, l.oidc_connection_id, l.test_result FROM setup_links l JOIN workspaces w ON w.id = l.workspace_id`

func (r *setupLinkRow) public() SetupLink {
	l := SetupLink{ID: r.ID, WorkspaceID: r.WorkspaceID, WorkspaceSlug: r.WorkspaceSlug, WorkspaceName: r.WorkspaceName, Purpose: r.Purpose,
		Description: r.Description, Provider: r.Provider, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt,
		RevokedAt: r.RevokedAt, CompletedAt: r.CompletedAt, Summary: r.Summary, OIDCConnectionID: r.OIDCConnectionID}
	if r.TestResult != "" {
		var res SetupSignInTest
		if json.Unmarshal([]byte(r.TestResult), &res) == nil {
			l.Test = &res
		}
	}
	return l
}

// setupPermission is the permission making, listing and revoking a link
// of a purpose needs, and the one a link of that purpose acts with.
func setupPermission(purpose string) (Permission, error) {
	switch purpose {
	case SetupSCIM, SetupSSO:
		return PermConnectionsManage, nil
	case SetupDomain:
		return PermDomainsManage, nil
	}
	return "", invalidf("unknown setup link purpose %q (scim, sso or domain)", purpose)
}

// SetupURL is the URL the holder of a setup link opens.
func (d *Directory) SetupURL(token string) string { return d.baseURL + "/setup/" + token }

// CreateSetupLink makes a setup link. The token and the URL built from it
// are returned once and never stored. A SCIM or SSO link needs
// connections.manage, a domain link domains.manage: a link never lets its
// holder do what its creator could not.
func (d *Directory) CreateSetupLink(ctx context.Context, actor Actor, workspace string, req SetupLinkRequest) (SetupLink, string, string, error) {
	var out SetupLink
	req.Purpose = strings.ToLower(strings.TrimSpace(req.Purpose))
	perm, err := setupPermission(req.Purpose)
	if err != nil {
		return out, "", "", err
	}
	req.Description = strings.TrimSpace(req.Description)
	if len([]rune(req.Description)) > 500 {
		return out, "", "", invalidf("a setup link description has at most 500 characters")
	}
	switch {
	case req.ExpiresIn == 0:
		req.ExpiresIn = DefaultSetupLinkTTL
	case req.ExpiresIn < 5*time.Minute:
		return out, "", "", invalidf("a setup link must work for at least 5 minutes")
	case req.ExpiresIn > MaxSetupLinkTTL:
		return out, "", "", invalidf("a setup link works for at most 30 days")
	}
	token, hash := NewToken()
	err = d.inTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, perm)
		if err != nil {
			return err
		}
		id := newID()
		if _, err := t.exec(`INSERT INTO setup_links (id, workspace_id, token_hash, purpose, description, created_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, ws.ID, hash, req.Purpose, req.Description, actor.Name, t.now, t.now.Add(req.ExpiresIn)); err != nil {
			return fmt.Errorf("create setup link: %w", err)
		}
		l, err := t.setupLink(ws.ID, id, false)
		if err != nil {
			return err
		}
		out = l.public()
		return t.emit(ws.ID, "setup_link.created", "setup_link", id, map[string]any{"purpose": out.Purpose, "description": out.Description, "expires_at": out.ExpiresAt})
	})
	if err != nil {
		return SetupLink{}, "", "", err
	}
	return out, token, d.SetupURL(token), nil
}

func (t *tx) setupLink(workspaceID, id string, lock bool) (*setupLinkRow, error) {
	q := setupLinkSelect + ` WHERE l.workspace_id = ? AND l.id = ?`
	if lock {
		q += t.forUpdate()
	}
	var r setupLinkRow
	if err := t.get(&r, q, workspaceID, id); err != nil {
		return nil, notFound(err, "setup link "+id)
	}
	return &r, nil
}

// authorizeSetupLinks lets an actor see a workspace's setup links when it
// may make links of some purpose (connections.manage or domains.manage).
func (t *tx) authorizeSetupLinks(workspace string) (*workspaceRow, principal, error) {
	ws, err := t.workspace(workspace)
	if err != nil {
		return nil, principal{}, err
	}
	p, err := t.principal(ws)
	if err != nil {
		return nil, p, err
	}
	if !p.can(PermConnectionsManage) && !p.can(PermDomainsManage) {
		return nil, p, fmt.Errorf("%w: role %q lacks %s and %s", ErrForbidden, p.role.Key, PermConnectionsManage, PermDomainsManage)
	}
	return ws, p, nil
}

// ListSetupLinks lists a workspace's setup links, newest first. It needs
// connections.manage or domains.manage.
func (d *Directory) ListSetupLinks(ctx context.Context, actor Actor, workspace string) ([]SetupLink, error) {
	out := []SetupLink{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorizeSetupLinks(workspace)
		if err != nil {
			return err
		}
		var rows []setupLinkRow
		if err := t.selectRows(&rows, setupLinkSelect+` WHERE l.workspace_id = ? ORDER BY l.created_at DESC, l.id DESC`, ws.ID); err != nil {
			return fmt.Errorf("list setup links: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].public())
		}
		return nil
	})
	return out, err
}

// GetSetupLink returns one setup link of a workspace, with the same
// permissions as ListSetupLinks.
func (d *Directory) GetSetupLink(ctx context.Context, actor Actor, workspace, id string) (SetupLink, error) {
	var out SetupLink
	err := d.readTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorizeSetupLinks(workspace)
		if err != nil {
			return err
		}
		r, err := t.setupLink(ws.ID, id, false)
		if err != nil {
			return err
		}
		out = r.public()
		return nil
	})
	return out, err
}

// RevokeSetupLink stops a setup link at once; its holder sees a page that
// says so. What the holder already set up stays. It needs the permission
// of the link's purpose; revoking a revoked link is ErrConflict.
func (d *Directory) RevokeSetupLink(ctx context.Context, actor Actor, workspace, id string) (SetupLink, error) {
	var out SetupLink
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		if _, err := t.principal(ws); err != nil {
			return err
		}
		r, err := t.setupLink(ws.ID, id, true)
		if err != nil {
			return err
		}
		perm, err := setupPermission(r.Purpose)
		if err != nil {
			return err
		}
		if _, err := t.authorize(ws, perm); err != nil {
			return err
		}
		if r.RevokedAt != nil {
			return fmt.Errorf("%w: setup link %s is already revoked", ErrConflict, id)
		}
		if _, err := t.exec(`UPDATE setup_links SET revoked_at = ? WHERE id = ?`, t.now, id); err != nil {
			return fmt.Errorf("revoke setup link: %w", err)
		}
		now := t.now
		r.RevokedAt = &now
		out = r.public()
		return t.emit(ws.ID, "setup_link.revoked", "setup_link", id, map[string]any{"purpose": r.Purpose})
	})
	return out, err
}
