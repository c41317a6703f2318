package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/seal"
)

// OIDC connection kinds. A google connection must name its Workspace
// domain (the hd claim is checked on every sign-in); an entra connection is
// pinned to one tenant, so its issuer is the tenant's and its emails can be
// trusted for the workspace's verified domains.
const (
	OIDCGeneric = "generic"
	OIDCGoogle  = "google"
	OIDCEntra   = "entra"
)

// ValidOIDCKind reports whether kind is one of the OIDC connection kinds
// above. It is the one list: workspace connections are checked with it
// here, server-wide providers from configuration by the oidc package.
func ValidOIDCKind(kind string) bool {
	switch kind {
	case OIDCGeneric, OIDCGoogle, OIDCEntra:
		return true
	}
	return false
}

// OIDCConnection is a workspace's OpenID Connect identity provider. The
// client secret is never exposed as a field: ClientSecret opens it with the
// server's key when the relying party needs it.
type OIDCConnection struct {
	ID           string
	WorkspaceID  string
	Workspace    string
	Name         string
	Kind         string
	Issuer       string
	ClientID     string
	TenantID     string
	HostedDomain string
	// Domains are the email domains this connection signs in; they route
	// logins only once the workspace has verified them. Empty means every
	// verified domain of the workspace.
	Domains []string
	// Enabled connections sign people in; one made through a setup link
	// stays off until its holder tested it and switched it on.
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time

	sealedSecret string
}

// ClientSecret opens the connection's client secret with box. The secret
// is sealed for this connection id, so a sealed value copied onto another
// row does not open.
func (c OIDCConnection) ClientSecret(box *seal.Box) (string, error) {
	b, err := box.Open(c.sealedSecret, secretPurpose(c.ID))
	if err != nil {
		return "", fmt.Errorf("open client secret of connection %s: %w", c.ID, err)
	}
	return string(b), nil
}

func secretPurpose(connectionID string) string { return "oidc-client-secret:" + connectionID }

type OidcConnectionRow struct {
	ID           string    `db:"id"`
	WorkspaceID  string    `db:"workspace_id"`
	Workspace    string    `db:"slug"`
	Name         string    `db:"name"`
	Kind         string    `db:"kind"`
	Issuer       string    `db:"issuer"`
	ClientID     string    `db:"client_id"`
	ClientSecret string    `db:"client_secret"`
	TenantID     string    `db:"tenant_id"`
	HostedDomain string    `db:"hosted_domain"`
	Domains      string    `db:"domains"`
	Enabled      bool      `db:"enabled"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
}

const OidcConnectionSelect = `SELECT c.id, c.workspace_id, w.slug, c.name, c.kind, c.issuer, c.client_id, c.client_secret, c.tenant_id,
	c.hosted_domain, c.domains, c.enabled, c.created_at, c.updated_at FROM oidc_connections c JOIN workspaces w ON w.id = c.workspace_id`

func (r *OidcConnectionRow) Public() OIDCConnection {
	c := OIDCConnection{ID: r.ID, WorkspaceID: r.WorkspaceID, Workspace: r.Workspace, Name: r.Name, Kind: r.Kind, Issuer: r.Issuer,
		ClientID: r.ClientID, TenantID: r.TenantID, HostedDomain: r.HostedDomain, Domains: DecodeStrings(r.Domains), Enabled: r.Enabled,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, sealedSecret: r.ClientSecret}
	if c.Domains == nil {
		c.Domains = []string{}
	}
	return c
}

// OIDCConnectionRequest creates a connection.
type OIDCConnectionRequest struct {
	// Name is shown on the sign-in button; default the kind's name.
	Name         string
	Kind         string
	Issuer       string
	ClientID     string
	ClientSecret string
	// TenantID pins an entra connection; when empty it is read from the
	// issuer (https://login.microsoftonline.com/<tenant>/v2.0), and when
	// Issuer is empty it makes the issuer.
	TenantID string
	// HostedDomain is the Google Workspace domain (the hd claim).
	HostedDomain string
	Domains      []string
	// Disabled creates the connection switched off (see
	// OIDCConnection.Enabled).
	Disabled bool
}

var tenantPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// EntraIssuer is the issuer of an Entra ID tenant.
func EntraIssuer(tenantID string) string {
	return "https://login.microsoftonline.com/" + tenantID + "/v2.0"
}

// defaultOIDCNames label the sign-in button of a connection created
// without a name.
var defaultOIDCNames = map[string]string{OIDCGeneric: "Single sign-on", OIDCGoogle: "Google", OIDCEntra: "Microsoft"}

// ValidateOIDCConnection normalises a request and says what is wrong with
// it in words an operator can act on.
func ValidateOIDCConnection(req *OIDCConnectionRequest) error {
	if err := validateOIDCSettings(req); err != nil {
		return err
	}
	if req.ClientSecret == "" {
		return Invalidf("a client secret is required")
	}
	return nil
}

// validateOIDCSettings is validateOIDCConnection without the client
// secret, which an update keeps unless it rotates it.
func validateOIDCSettings(req *OIDCConnectionRequest) error {
	req.Kind = strings.ToLower(strings.TrimSpace(req.Kind))
	if req.Kind == "" {
		req.Kind = OIDCGeneric
	}
	req.Issuer = strings.TrimSpace(req.Issuer)
	req.ClientID = strings.TrimSpace(req.ClientID)
	req.TenantID = strings.ToLower(strings.TrimSpace(req.TenantID))
	if !ValidOIDCKind(req.Kind) {
		return NewFieldError("kind", "kind must be generic, google or entra, not %q", req.Kind)
	}
	switch req.Kind {
	case OIDCGeneric:
	case OIDCGoogle:
		if req.Issuer == "" {
			req.Issuer = "https://accounts.google.com"
		}
		hd, err := NormalizeDomain(req.HostedDomain)
		if err != nil {
			return Invalidf("a google connection needs its Workspace domain (--hd), which every sign-in's hd claim must match")
		}
		req.HostedDomain = hd
	case OIDCEntra:
		if req.TenantID == "" {
			if u, err := url.Parse(req.Issuer); err == nil {
				parts := strings.Split(strings.Trim(u.Path, "/"), "/")
				if len(parts) > 0 && tenantPattern.MatchString(parts[0]) {
					req.TenantID = strings.ToLower(parts[0])
				}
			}
		}
		if !tenantPattern.MatchString(req.TenantID) {
			return Invalidf("an entra connection is pinned to one tenant: give --tenant with the directory (tenant) id, a GUID; common, organizations and {tenantid} issuers are refused")
		}
		if req.Issuer == "" {
			req.Issuer = EntraIssuer(req.TenantID)
		}
		if strings.Contains(req.Issuer, "{tenantid}") || !strings.Contains(strings.ToLower(req.Issuer), req.TenantID) {
			return Invalidf("the issuer of an entra connection must name its tenant %s", req.TenantID)
		}
	}
	u, err := url.Parse(req.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return Invalidf("issuer %q must be an https URL without query or fragment", req.Issuer)
	}
	if req.ClientID == "" {
		return Invalidf("a client id is required")
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
	if strings.TrimSpace(req.Name) == "" {
		req.Name = defaultOIDCNames[req.Kind]
	}
	req.Name = strings.TrimSpace(req.Name)
	return nil
}

// CreateOIDCConnection adds an OpenID Connect identity provider to a
// workspace. The client secret is sealed with box before it is stored.
// It needs connections.manage (the operator has it).
func (d *Store) CreateOIDCConnection(ctx context.Context, actor Actor, workspace string, box *seal.Box, req OIDCConnectionRequest) (OIDCConnection, error) {
	var out OIDCConnection
	if box == nil {
		return out, fmt.Errorf("create oidc connection: no sealing key")
	}
	if err := ValidateOIDCConnection(&req); err != nil {
		return out, err
	}
	err := d.InTx(ctx, actor, func(t *Tx) error {
		ws, _, err := t.Authorized(workspace, PermConnectionsManage)
		if err != nil {
			return err
		}
		id := NewID()
		domains, _ := json.Marshal(req.Domains)
		_, err = t.Execute(`INSERT INTO oidc_connections (id, workspace_id, name, kind, issuer, client_id, client_secret, tenant_id, hosted_domain, domains, enabled, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, ws.ID, req.Name, req.Kind, req.Issuer, req.ClientID, box.Seal([]byte(req.ClientSecret), secretPurpose(id)), req.TenantID, req.HostedDomain, string(domains), !req.Disabled, t.Now, t.Now)
		if IsUniqueViolation(err) {
			return fmt.Errorf("%w: workspace %s already has a connection for issuer %s and client %s", ErrConflict, ws.Slug, req.Issuer, req.ClientID)
		} else if err != nil {
			return fmt.Errorf("create oidc connection: %w", err)
		}
		c, err := t.OidcConnection(id)
		if err != nil {
			return err
		}
		out = *c
		// The secret is not part of the event.
		return t.Emit(ws.ID, "oidc_connection.created", "oidc_connection", id, map[string]any{"kind": c.Kind, "issuer": c.Issuer, "client_id": c.ClientID, "domains": c.Domains, "tenant_id": c.TenantID, "hosted_domain": c.HostedDomain})
	})
	return out, err
}

func (t *Tx) OidcConnection(id string) (*OIDCConnection, error) {
	var r OidcConnectionRow
	if err := t.GetOne(&r, OidcConnectionSelect+` WHERE c.id = ?`, id); err != nil {
		return nil, NotFound(err, "oidc connection "+id)
	}
	c := r.Public()
	return &c, nil
}

// OIDCConnectionByID returns a connection for the relying party, which
// holds its id in a sealed transaction cookie. No actor: the id comes from
// the server itself.
func (d *Store) OIDCConnectionByID(ctx context.Context, id string) (OIDCConnection, error) {
	var out OIDCConnection
	err := d.ReadTx(ctx, System(), func(t *Tx) error {
		c, err := t.OidcConnection(id)
		if err != nil {
			return err
		}
		out = *c
		return nil
	})
	return out, err
}
