package store

import (
	"encoding/json"
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

type SetupLinkRow struct {
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

const SetupLinkSelect = `SELECT l.id, l.workspace_id, w.slug, w.name, l.purpose, l.description, l.provider, l.created_by, l.created_at, l.expires_at,
	l.revoked_at, l.completed_at, l.summary, l.oidc_connection_id, l.test_result FROM setup_links l JOIN workspaces w ON w.id = l.workspace_id`

func (r *SetupLinkRow) Public() SetupLink {
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

// SetupPermission is the permission making, listing and revoking a link
// of a purpose needs, and the one a link of that purpose acts with.
func SetupPermission(purpose string) (Permission, error) {
	switch purpose {
	case SetupSCIM, SetupSSO:
		return PermConnectionsManage, nil
	case SetupDomain:
		return PermDomainsManage, nil
	}
	return "", Invalidf("unknown setup link purpose %q (scim, sso or domain)", purpose)
}

func (t *Tx) SetupLink(workspaceID, id string, lock bool) (*SetupLinkRow, error) {
	q := SetupLinkSelect + ` WHERE l.workspace_id = ? AND l.id = ?`
	if lock {
		q += t.ForUpdate()
	}
	var r SetupLinkRow
	if err := t.GetOne(&r, q, workspaceID, id); err != nil {
		return nil, NotFound(err, "setup link "+id)
	}
	return &r, nil
}
