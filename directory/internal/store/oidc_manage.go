package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rosterhq/roster/seal"
)

// OIDCConnectionUpdate changes a connection; nil fields keep their value.
type OIDCConnectionUpdate struct {
	Name   *string
	Issuer *string
	// ClientID changes the client; identities stay linked (a provider's
	// subjects belong to its issuer, and most keep them across clients).
	ClientID *string
	// ClientSecret rotates the secret: it is sealed for the connection
	// like the one it replaces and never returned.
	ClientSecret *string
	// Kind switches the connection to another kind. What belonged to the
	// old kind (its default issuer, tenant, hosted domain and default
	// name) is dropped unless given again, so a switch to google needs
	// only HostedDomain and one to entra only TenantID.
	Kind *string
	// TenantID re-pins an entra connection; its issuer follows the tenant
	// unless Issuer is given too.
	TenantID     *string
	HostedDomain *string
	// Domains replaces the routed email domains; empty routes every
	// verified domain of the workspace.
	Domains *[]string
}

// LockOIDCConnection locks a workspace's connection for a change and loads
// it. Another workspace's connection is ErrNotFound, like one that does not
// exist.
func (t *Tx) LockOIDCConnection(workspaceID, id string) (*OIDCConnection, error) {
	var locked string
	if err := t.GetOne(&locked, `SELECT id FROM oidc_connections WHERE id = ? AND workspace_id = ?`+t.ForNoKeyUpdate(), id, workspaceID); err != nil {
		return nil, NotFound(err, "oidc connection "+id)
	}
	return t.OidcConnection(locked)
}

// UpdateOIDCConnection changes a workspace's connection with the same
// validation as CreateOIDCConnection; a new client secret is sealed with
// box for this connection. When the issuer changes, the identities linked
// through the old issuer are deleted: they can never match a sign-in
// again, and their people re-link on their next sign-in (by SCIM
// externalId or trusted email) like after DeleteOIDCConnection. It needs
// connections.manage.
func (d *Store) UpdateOIDCConnection(ctx context.Context, actor Actor, workspace, connectionID string, box *seal.Box, upd OIDCConnectionUpdate) (OIDCConnection, error) {
	var out OIDCConnection
	if upd.ClientSecret != nil {
		if *upd.ClientSecret == "" {
			return out, Invalidf("a client secret cannot be empty (omit it to keep the current one)")
		}
		if box == nil {
			return out, fmt.Errorf("update oidc connection: no sealing key")
		}
	}
	err := d.InTx(ctx, actor, func(t *Tx) error {
		ws, _, err := t.Authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		cur, err := t.LockOIDCConnection(ws.ID, connectionID)
		if err != nil {
			return err
		}
		req := OIDCConnectionRequest{Name: cur.Name, Kind: cur.Kind, Issuer: cur.Issuer, ClientID: cur.ClientID,
			TenantID: cur.TenantID, HostedDomain: cur.HostedDomain, Domains: cur.Domains}
		if upd.Kind != nil {
			kind := strings.ToLower(strings.TrimSpace(*upd.Kind))
			if kind == "" {
				kind = OIDCGeneric
			}
			if kind != cur.Kind {
				req.Kind, req.Issuer, req.TenantID, req.HostedDomain = kind, "", "", ""
				if cur.Name == defaultOIDCNames[cur.Kind] {
					req.Name = ""
				}
			}
		}
		if upd.TenantID != nil {
			tenant := strings.ToLower(strings.TrimSpace(*upd.TenantID))
			if req.Kind == OIDCEntra && tenant != cur.TenantID {
				// The issuer names the tenant: it follows it.
				req.Issuer = ""
			}
			req.TenantID = tenant
		}
		if upd.HostedDomain != nil {
			req.HostedDomain = *upd.HostedDomain
		}
		if upd.Issuer != nil {
			req.Issuer = *upd.Issuer
		}
		if upd.ClientID != nil {
			req.ClientID = *upd.ClientID
		}
		if upd.Domains != nil {
			req.Domains = *upd.Domains
		}
		if upd.Name != nil {
			req.Name = *upd.Name
		}
		if err := validateOIDCSettings(&req); err != nil {
			return err
		}
		sealed := cur.sealedSecret
		if upd.ClientSecret != nil {
			sealed = box.Seal([]byte(*upd.ClientSecret), secretPurpose(cur.ID))
		}
		domains, _ := json.Marshal(req.Domains)
		_, err = t.Execute(`UPDATE oidc_connections SET name = ?, kind = ?, issuer = ?, client_id = ?, client_secret = ?, tenant_id = ?, hosted_domain = ?, domains = ?, updated_at = ?
			WHERE id = ?`, req.Name, req.Kind, req.Issuer, req.ClientID, sealed, req.TenantID, req.HostedDomain, string(domains), t.Now, cur.ID)
		if IsUniqueViolation(err) {
			return fmt.Errorf("%w: workspace %s already has a connection for issuer %s and client %s", ErrConflict, ws.Slug, req.Issuer, req.ClientID)
		} else if err != nil {
			return fmt.Errorf("update oidc connection: %w", err)
		}
		unlinked := int64(0)
		if req.Issuer != cur.Issuer {
			res, err := t.Execute(`DELETE FROM oidc_identities WHERE connection_id = ? AND issuer <> ?`, cur.ID, req.Issuer)
			if err != nil {
				return fmt.Errorf("unlink identities of the old issuer: %w", err)
			}
			unlinked, _ = res.RowsAffected()
		}
		c, err := t.OidcConnection(cur.ID)
		if err != nil {
			return err
		}
		out = *c
		// The event says that the secret changed, never what it is.
		return t.Emit(ws.ID, "oidc_connection.updated", "oidc_connection", c.ID, map[string]any{
			"name": c.Name, "kind": c.Kind, "issuer": c.Issuer, "client_id": c.ClientID, "domains": c.Domains, "tenant_id": c.TenantID,
			"hosted_domain": c.HostedDomain, "client_secret_rotated": upd.ClientSecret != nil, "changed": oidcChanges(cur, c, upd.ClientSecret != nil),
			"identities_unlinked": unlinked})
	})
	return out, err
}

// oidcChanges names the fields an update changed, for the event.
func oidcChanges(before, after *OIDCConnection, secret bool) []string {
	changed := []string{}
	add := func(name string, differ bool) {
		if differ {
			changed = append(changed, name)
		}
	}
	add("name", before.Name != after.Name)
	add("kind", before.Kind != after.Kind)
	add("issuer", before.Issuer != after.Issuer)
	add("client_id", before.ClientID != after.ClientID)
	add("client_secret", secret)
	add("tenant_id", before.TenantID != after.TenantID)
	add("hosted_domain", before.HostedDomain != after.HostedDomain)
	add("domains", !slices.Equal(before.Domains, after.Domains))
	return changed
}
