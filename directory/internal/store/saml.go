package store

import (
	"time"
)

// SAMLKind is the kind of a SAML connection as sign-in sees it (beside the
// OIDC kinds): its emails are trusted like a pinned Entra tenant's, for the
// workspace's verified domains (trustSignIn).
const SAMLKind = "saml"

// Limits on what a SAML connection stores: metadata is a few kilobytes in
// practice (a federation aggregate is not a connection's metadata).
const (
	MaxSAMLMetadataBytes = 512 << 10
	MaxSAMLField         = 1024
)

// SAMLConnection is a workspace's SAML 2.0 identity provider. MetadataXML is
// the IdP's metadata as last received; EntityID is the IdP's, read from it,
// and never changes for a connection (a refresh that names another entity
// is refused), since identities are keyed on it.
type SAMLConnection struct {
	ID          string
	WorkspaceID string
	Workspace   string
	Name        string
	EntityID    string
	// MetadataURL is where the metadata is refreshed from; empty for pasted
	// metadata.
	MetadataURL string
	MetadataXML string
	// EmailAttribute names the attribute that carries the email address;
	// empty means the usual names (the SAML door's list).
	EmailAttribute string
	// AllowIdPInitiated accepts responses that answer no request of
	// Roster's (started from the IdP's app launcher).
	AllowIdPInitiated bool
	// Domains are the email domains the connection signs in, as for OIDC;
	// empty means every verified domain of the workspace.
	Domains []string
	// MetadataFetchedAt is the last successful fetch from MetadataURL;
	// MetadataError the last failure ("" after a success).
	MetadataFetchedAt *time.Time
	MetadataError     string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

type SamlConnectionRow struct {
	ID                string     `db:"id"`
	WorkspaceID       string     `db:"workspace_id"`
	Workspace         string     `db:"slug"`
	Name              string     `db:"name"`
	EntityID          string     `db:"entity_id"`
	MetadataURL       string     `db:"metadata_url"`
	MetadataXML       string     `db:"metadata_xml"`
	EmailAttribute    string     `db:"email_attribute"`
	AllowIdPInitiated bool       `db:"allow_idp_initiated"`
	Domains           string     `db:"domains"`
	MetadataFetchedAt *time.Time `db:"metadata_fetched_at"`
	MetadataError     string     `db:"metadata_error"`
	CreatedAt         time.Time  `db:"created_at"`
	UpdatedAt         time.Time  `db:"updated_at"`
}

const SamlConnectionSelect = `SELECT c.id, c.workspace_id, w.slug, c.name, c.entity_id, c.metadata_url, c.metadata_xml, c.email_attribute,
	c.allow_idp_initiated, c.domains, c.metadata_fetched_at, c.metadata_error, c.created_at, c.updated_at
	FROM saml_connections c JOIN workspaces w ON w.id = c.workspace_id`

func (r *SamlConnectionRow) Public() SAMLConnection {
	c := SAMLConnection{ID: r.ID, WorkspaceID: r.WorkspaceID, Workspace: r.Workspace, Name: r.Name, EntityID: r.EntityID, MetadataURL: r.MetadataURL,
		MetadataXML: r.MetadataXML, EmailAttribute: r.EmailAttribute, AllowIdPInitiated: r.AllowIdPInitiated, Domains: DecodeStrings(r.Domains),
		MetadataFetchedAt: r.MetadataFetchedAt, MetadataError: r.MetadataError, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if c.Domains == nil {
		c.Domains = []string{}
	}
	return c
}

func (t *Tx) SamlConnection(id string) (*SAMLConnection, error) {
	var r SamlConnectionRow
	if err := t.GetOne(&r, SamlConnectionSelect+` WHERE c.id = ?`, id); err != nil {
		return nil, NotFound(err, "saml connection "+id)
	}
	c := r.Public()
	return &c, nil
}
