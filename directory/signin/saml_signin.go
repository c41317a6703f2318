package signin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// SAMLConnectionForEmail is home-realm discovery for SAML: the SAML
// connection that signs in an email address, by the rule of
// OIDCConnectionForEmail (the domain must be VERIFIED by a workspace; a
// connection naming the domain wins over one serving every verified
// domain). The sign-in door asks it when no OIDC connection routes the
// address.
func (d *Signin) SAMLConnectionForEmail(ctx context.Context, email string) (conn store.SAMLConnection, ok bool, err error) {
	return store.RouteEmail(ctx, d.Store, email, store.SamlConnectionSelect+` WHERE c.workspace_id = ? ORDER BY c.created_at, c.id`,
		(*store.SamlConnectionRow).Public, func(c store.SAMLConnection) []string { return c.Domains })
}

// signInConnection is the workspace connection a sign-in came through, as
// SignIn's rules see it (workspace, kind, issuer): an OIDC connection, or a
// SAML one whose issuer is the IdP's entity ID.
func signInConnection(t *store.Tx, req store.SignInRequest) (*store.OIDCConnection, error) {
	if req.Protocol != ProtocolSAML {
		return t.OidcConnection(req.Connection)
	}
	c, err := t.SamlConnection(req.Connection)
	if err != nil {
		return nil, err
	}
	return &store.OIDCConnection{ID: c.ID, WorkspaceID: c.WorkspaceID, Workspace: c.Workspace, Name: c.Name, Kind: store.SAMLKind, Issuer: c.EntityID,
		Domains: c.Domains, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}, nil
}

// SAMLConnectionsToRefresh lists the connections with a metadata URL whose
// metadata was last fetched before olderThan (or never), oldest first, at
// most limit: the refresher's work list, shared by every replica (each
// refresh is idempotent).
func (d *Signin) SAMLConnectionsToRefresh(ctx context.Context, olderThan time.Time, limit int) ([]store.SAMLConnection, error) {
	out := []store.SAMLConnection{}
	err := d.ReadTx(ctx, store.System(), func(t *store.Tx) error {
		var rows []store.SamlConnectionRow
		// A failed fetch counts as an attempt (updated_at), so a dead URL
		// is retried at the refresh interval, not in a loop.
		if err := t.SelectRows(&rows, store.SamlConnectionSelect+` WHERE c.metadata_url <> '' AND c.updated_at < ?
			AND (c.metadata_fetched_at IS NULL OR c.metadata_fetched_at < ?) ORDER BY c.updated_at, c.id LIMIT ?`, olderThan, olderThan, limit); err != nil {
			return fmt.Errorf("saml connections to refresh: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].Public())
		}
		return nil
	})
	return out, err
}

// RecordSAMLMetadata stores what a refresh of a connection's metadata
// found: new metadata (whose entity ID must be the connection's, since
// identities are keyed on it), or why the fetch failed, which keeps the
// last good metadata in use. A change of metadata (a rotated certificate)
// is in the event feed.
func (d *Signin) RecordSAMLMetadata(ctx context.Context, connectionID, entityID, metadataXML string, fetchErr error) error {
	return d.InTx(ctx, store.System(), func(t *store.Tx) error {
		var locked string
		if err := t.GetOne(&locked, `SELECT id FROM saml_connections WHERE id = ?`+t.ForNoKeyUpdate(), connectionID); err != nil {
			return store.NotFound(err, "saml connection "+connectionID)
		}
		c, err := t.SamlConnection(locked)
		if err != nil {
			return err
		}
		if fetchErr == nil && strings.TrimSpace(entityID) != c.EntityID {
			fetchErr = fmt.Errorf("the metadata now names identity provider %q, not %q; create a new connection for it", entityID, c.EntityID)
		}
		if fetchErr == nil && len(metadataXML) > store.MaxSAMLMetadataBytes {
			fetchErr = fmt.Errorf("the metadata is larger than %d KiB", store.MaxSAMLMetadataBytes>>10)
		}
		if fetchErr != nil {
			msg := fetchErr.Error()
			if len(msg) > store.MaxSAMLField {
				msg = msg[:store.MaxSAMLField]
			}
			_, err := t.Execute(`UPDATE saml_connections SET metadata_error = ?, updated_at = ? WHERE id = ?`, msg, t.Now, c.ID)
			return err
		}
		if _, err := t.Execute(`UPDATE saml_connections SET metadata_xml = ?, metadata_error = '', metadata_fetched_at = ?, updated_at = ? WHERE id = ?`,
			metadataXML, t.Now, t.Now, c.ID); err != nil {
			return fmt.Errorf("record saml metadata: %w", err)
		}
		if metadataXML == c.MetadataXML {
			return nil
		}
		return t.Emit(c.WorkspaceID, "saml_connection.metadata_changed", "saml_connection", c.ID, map[string]any{"entity_id": c.EntityID, "metadata_url": c.MetadataURL})
	})
}

// ConsumeSAMLAssertion records that the assertion id of issuer has been
// accepted, until it expires; a second use, on any replica sharing the
// database, is ErrAssertionReplayed. Expired records are dropped on the
// way, so the table holds only assertions that could still be presented.
func (d *Signin) ConsumeSAMLAssertion(ctx context.Context, issuer, assertionID string, expires time.Time) error {
	if issuer == "" || assertionID == "" || len(assertionID) > store.MaxSAMLField || len(issuer) > store.MaxSAMLField {
		return store.Invalidf("an assertion needs an issuer and an ID")
	}
	return d.InTx(ctx, store.System(), func(t *store.Tx) error {
		if _, err := t.Execute(`DELETE FROM saml_assertions WHERE expires_at < ?`, t.Now); err != nil {
			return fmt.Errorf("drop expired assertions: %w", err)
		}
		res, err := t.Execute(`INSERT INTO saml_assertions (issuer, assertion_id, expires_at) VALUES (?, ?, ?) ON CONFLICT (issuer, assertion_id) DO NOTHING`,
			issuer, assertionID, expires.UTC())
		if err != nil {
			return fmt.Errorf("record assertion: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrAssertionReplayed
		}
		return nil
	})
}
