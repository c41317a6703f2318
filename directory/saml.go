package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// SAMLKind is the kind of a SAML connection as sign-in sees it (beside the
// OIDC kinds): its emails are trusted like a pinned Entra tenant's, for the
// workspace's verified domains (trustSignIn).
const SAMLKind = "saml"

// ProtocolSAML marks a SignInRequest made through a SAML connection; the
// empty protocol is OpenID Connect.
const ProtocolSAML = "saml"

// ErrAssertionReplayed refuses a SAML assertion whose ID was already
// accepted, on this replica or another.
var ErrAssertionReplayed = errors.New("this SAML assertion was already used")

// Limits on what a SAML connection stores: metadata is a few kilobytes in
// practice (a federation aggregate is not a connection's metadata).
const (
	maxSAMLMetadataBytes = 512 << 10
	maxSAMLField         = 1024
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

type samlConnectionRow struct {
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

const samlConnectionSelect = `SELECT c.id, c.workspace_id, w.slug, c.name, c.entity_id, c.metadata_url, c.metadata_xml, c.email_attribute,
	c.allow_idp_initiated, c.domains, c.metadata_fetched_at, c.metadata_error, c.created_at, c.updated_at
	FROM saml_connections c JOIN workspaces w ON w.id = c.workspace_id`

func (r *samlConnectionRow) public() SAMLConnection {
	c := SAMLConnection{ID: r.ID, WorkspaceID: r.WorkspaceID, Workspace: r.Workspace, Name: r.Name, EntityID: r.EntityID, MetadataURL: r.MetadataURL,
		MetadataXML: r.MetadataXML, EmailAttribute: r.EmailAttribute, AllowIdPInitiated: r.AllowIdPInitiated, Domains: decodeStrings(r.Domains),
		MetadataFetchedAt: r.MetadataFetchedAt, MetadataError: r.MetadataError, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if c.Domains == nil {
		c.Domains = []string{}
	}
	return c
}

// SAMLConnectionRequest creates a connection. The SAML door reads the
// metadata (fetching MetadataURL when given) and fills in EntityID and
// MetadataXML; the directory stores what it was given and checks the
// rest.
type SAMLConnectionRequest struct {
	Name              string
	EntityID          string
	MetadataURL       string
	MetadataXML       string
	EmailAttribute    string
	AllowIdPInitiated bool
	Domains           []string
}

func validateSAMLConnection(req *SAMLConnectionRequest) error {
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		req.Name = "Single sign-on"
	}
	req.EntityID = strings.TrimSpace(req.EntityID)
	req.MetadataURL = strings.TrimSpace(req.MetadataURL)
	req.EmailAttribute = strings.TrimSpace(req.EmailAttribute)
	switch {
	case len(req.Name) > 200:
		return fieldError("name", "the name must be at most 200 characters")
	case req.EntityID == "":
		return fieldError("metadata_xml", "the metadata names no identity provider (no entityID)")
	case len(req.EntityID) > maxSAMLField:
		return fieldError("metadata_xml", "the identity provider's entityID is longer than %d characters", maxSAMLField)
	case strings.TrimSpace(req.MetadataXML) == "":
		return fieldError("metadata_xml", "give the identity provider's metadata URL or its metadata XML")
	case len(req.MetadataXML) > maxSAMLMetadataBytes:
		return fieldError("metadata_xml", "the metadata is larger than %d KiB; give the identity provider's own metadata, not a federation's", maxSAMLMetadataBytes>>10)
	case len(req.EmailAttribute) > maxSAMLField:
		return fieldError("email_attribute", "the email attribute name must be at most %d characters", maxSAMLField)
	}
	if req.MetadataURL != "" {
		u, err := url.Parse(req.MetadataURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(req.MetadataURL) > maxSAMLField {
			return fieldError("metadata_url", "the metadata URL %q must be an https URL", req.MetadataURL)
		}
	}
	domains := []string{}
	for _, raw := range req.Domains {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		d, err := NormalizeDomain(raw)
		if err != nil {
			return err
		}
		if !slices.Contains(domains, d) {
			domains = append(domains, d)
		}
	}
	req.Domains = domains
	return nil
}

// CreateSAMLConnection adds a SAML identity provider to a workspace. It
// needs connections.manage (the operator has it).
func (d *Directory) CreateSAMLConnection(ctx context.Context, actor Actor, workspace string, req SAMLConnectionRequest) (SAMLConnection, error) {
	var out SAMLConnection
	if err := validateSAMLConnection(&req); err != nil {
		return out, err
	}
	err := d.inTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		id := newID()
		domains, _ := json.Marshal(req.Domains)
		var fetched *time.Time
		if req.MetadataURL != "" {
			fetched = &t.now
		}
		_, err = t.exec(`INSERT INTO saml_connections (id, workspace_id, name, entity_id, metadata_url, metadata_xml, email_attribute, allow_idp_initiated, domains,
			metadata_fetched_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, ws.ID, req.Name, req.EntityID, req.MetadataURL, req.MetadataXML, req.EmailAttribute, req.AllowIdPInitiated, string(domains), fetched, t.now, t.now)
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: workspace %s already has a SAML connection to %s", ErrConflict, ws.Slug, req.EntityID)
		} else if err != nil {
			return fmt.Errorf("create saml connection: %w", err)
		}
		c, err := t.samlConnection(id)
		if err != nil {
			return err
		}
		out = *c
		return t.emit(ws.ID, "saml_connection.created", "saml_connection", id, map[string]any{"entity_id": c.EntityID, "metadata_url": c.MetadataURL,
			"domains": c.Domains, "allow_idp_initiated": c.AllowIdPInitiated})
	})
	return out, err
}

func (t *tx) samlConnection(id string) (*SAMLConnection, error) {
	var r samlConnectionRow
	if err := t.get(&r, samlConnectionSelect+` WHERE c.id = ?`, id); err != nil {
		return nil, notFound(err, "saml connection "+id)
	}
	c := r.public()
	return &c, nil
}

// ListSAMLConnections lists a workspace's SAML connections (needs
// connections.manage), or every workspace's when workspace is empty (the
// operator only).
func (d *Directory) ListSAMLConnections(ctx context.Context, actor Actor, workspace string) ([]SAMLConnection, error) {
	out := []SAMLConnection{}
	err := d.readTx(ctx, actor, func(t *tx) error {
		where, args, err := t.connectionsOf(workspace)
		if err != nil {
			return err
		}
		var rows []samlConnectionRow
		if err := t.selectRows(&rows, samlConnectionSelect+where+` ORDER BY w.slug, c.created_at, c.id`, args...); err != nil {
			return fmt.Errorf("list saml connections: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].public())
		}
		return nil
	})
	return out, err
}

// SAMLConnectionByID returns a connection for the SAML door (its id is in
// the URL of the SP metadata and the assertion consumer service). No
// actor: the door serves the IdP, which acts for nobody.
func (d *Directory) SAMLConnectionByID(ctx context.Context, id string) (SAMLConnection, error) {
	var out SAMLConnection
	err := d.readTx(ctx, System(), func(t *tx) error {
		c, err := t.samlConnection(id)
		if err != nil {
			return err
		}
		out = *c
		return nil
	})
	return out, err
}

// DeleteSAMLConnection removes a connection and the identities linked
// through it, as DeleteOIDCConnection does; people, memberships and open
// sessions stay. It needs connections.manage.
func (d *Directory) DeleteSAMLConnection(ctx context.Context, actor Actor, workspace, connectionID string) error {
	return d.inTx(ctx, actor, func(t *tx) error {
		ws, _, err := t.authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		var locked string
		if err := t.get(&locked, `SELECT id FROM saml_connections WHERE id = ? AND workspace_id = ?`+t.forNoKeyUpdate(), connectionID, ws.ID); err != nil {
			return notFound(err, "saml connection "+connectionID)
		}
		c, err := t.samlConnection(locked)
		if err != nil {
			return err
		}
		res, err := t.exec(`DELETE FROM oidc_identities WHERE connection_id = ?`, c.ID)
		if err != nil {
			return fmt.Errorf("delete identities of saml connection %s: %w", c.ID, err)
		}
		unlinked, _ := res.RowsAffected()
		if _, err := t.exec(`DELETE FROM saml_connections WHERE id = ?`, c.ID); err != nil {
			return fmt.Errorf("delete saml connection %s: %w", c.ID, err)
		}
		return t.emit(ws.ID, "saml_connection.deleted", "saml_connection", c.ID, map[string]any{"entity_id": c.EntityID, "domains": c.Domains, "identities_unlinked": unlinked})
	})
}
