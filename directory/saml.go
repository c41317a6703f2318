package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

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
		return store.NewFieldError("name", "the name must be at most 200 characters")
	case req.EntityID == "":
		return store.NewFieldError("metadata_xml", "the metadata names no identity provider (no entityID)")
	case len(req.EntityID) > store.MaxSAMLField:
		return store.NewFieldError("metadata_xml", "the identity provider's entityID is longer than %d characters", store.MaxSAMLField)
	case strings.TrimSpace(req.MetadataXML) == "":
		return store.NewFieldError("metadata_xml", "give the identity provider's metadata URL or its metadata XML")
	case len(req.MetadataXML) > store.MaxSAMLMetadataBytes:
		return store.NewFieldError("metadata_xml", "the metadata is larger than %d KiB; give the identity provider's own metadata, not a federation's", store.MaxSAMLMetadataBytes>>10)
	case len(req.EmailAttribute) > store.MaxSAMLField:
		return store.NewFieldError("email_attribute", "the email attribute name must be at most %d characters", store.MaxSAMLField)
	}
	if req.MetadataURL != "" {
		u, err := url.Parse(req.MetadataURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(req.MetadataURL) > store.MaxSAMLField {
			return store.NewFieldError("metadata_url", "the metadata URL %q must be an https URL", req.MetadataURL)
		}
	}
	domains := []string{}
	for _, raw := range req.Domains {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		d, err := store.NormalizeDomain(raw)
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
func (d *Directory) CreateSAMLConnection(ctx context.Context, actor store.Actor, workspace string, req SAMLConnectionRequest) (store.SAMLConnection, error) {
	var out store.SAMLConnection
	if err := validateSAMLConnection(&req); err != nil {
		return out, err
	}
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		id := store.NewID()
		domains, _ := json.Marshal(req.Domains)
		var fetched *time.Time
		if req.MetadataURL != "" {
			fetched = &t.Now
		}
		_, err = t.Execute(`INSERT INTO saml_connections (id, workspace_id, name, entity_id, metadata_url, metadata_xml, email_attribute, allow_idp_initiated, domains,
			metadata_fetched_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, ws.ID, req.Name, req.EntityID, req.MetadataURL, req.MetadataXML, req.EmailAttribute, req.AllowIdPInitiated, string(domains), fetched, t.Now, t.Now)
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("%w: workspace %s already has a SAML connection to %s", store.ErrConflict, ws.Slug, req.EntityID)
		} else if err != nil {
			return fmt.Errorf("create saml connection: %w", err)
		}
		c, err := t.SamlConnection(id)
		if err != nil {
			return err
		}
		out = *c
		return t.Emit(ws.ID, "saml_connection.created", "saml_connection", id, map[string]any{"entity_id": c.EntityID, "metadata_url": c.MetadataURL,
			"domains": c.Domains, "allow_idp_initiated": c.AllowIdPInitiated})
	})
	return out, err
}

// ListSAMLConnections lists a workspace's SAML connections (needs
// connections.manage), or every workspace's when workspace is empty (the
// operator only).
func (d *Directory) ListSAMLConnections(ctx context.Context, actor store.Actor, workspace string) ([]store.SAMLConnection, error) {
	out := []store.SAMLConnection{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		where, args, err := connectionsOf(t, workspace)
		if err != nil {
			return err
		}
		var rows []store.SamlConnectionRow
		if err := t.SelectRows(&rows, store.SamlConnectionSelect+where+` ORDER BY w.slug, c.created_at, c.id`, args...); err != nil {
			return fmt.Errorf("list saml connections: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].Public())
		}
		return nil
	})
	return out, err
}

// SAMLConnectionByID returns a connection for the SAML door (its id is in
// the URL of the SP metadata and the assertion consumer service). No
// actor: the door serves the IdP, which acts for nobody.
func (d *Directory) SAMLConnectionByID(ctx context.Context, id string) (store.SAMLConnection, error) {
	var out store.SAMLConnection
	err := d.ReadTx(ctx, store.System(), func(t *store.Tx) error {
		c, err := t.SamlConnection(id)
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
func (d *Directory) DeleteSAMLConnection(ctx context.Context, actor store.Actor, workspace, connectionID string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
		if err != nil {
			return err
		}
		var locked string
		if err := t.GetOne(&locked, `SELECT id FROM saml_connections WHERE id = ? AND workspace_id = ?`+t.ForNoKeyUpdate(), connectionID, ws.ID); err != nil {
			return store.NotFound(err, "saml connection "+connectionID)
		}
		c, err := t.SamlConnection(locked)
		if err != nil {
			return err
		}
		res, err := t.Execute(`DELETE FROM oidc_identities WHERE connection_id = ?`, c.ID)
		if err != nil {
			return fmt.Errorf("delete identities of saml connection %s: %w", c.ID, err)
		}
		unlinked, _ := res.RowsAffected()
		if _, err := t.Execute(`DELETE FROM saml_connections WHERE id = ?`, c.ID); err != nil {
			return fmt.Errorf("delete saml connection %s: %w", c.ID, err)
		}
		return t.Emit(ws.ID, "saml_connection.deleted", "saml_connection", c.ID, map[string]any{"entity_id": c.EntityID, "domains": c.Domains, "identities_unlinked": unlinked})
	})
}
