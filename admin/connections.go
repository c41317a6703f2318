package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
)

func (a *API) connectionRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/scim-connections", handle: a.listSCIMConnections},
		{method: "POST", path: "/workspaces/{ws}/scim-connections", handle: a.createSCIMConnection},
		{method: "GET", path: "/workspaces/{ws}/scim-connections/{id}", handle: a.getSCIMConnection},
		{method: "PATCH", path: "/workspaces/{ws}/scim-connections/{id}", handle: a.updateSCIMConnection},
		{method: "GET", path: "/workspaces/{ws}/scim-connections/{id}/tokens", handle: a.listSCIMTokens},
		{method: "POST", path: "/workspaces/{ws}/scim-connections/{id}/tokens", handle: a.createSCIMToken},
		{method: "DELETE", path: "/workspaces/{ws}/scim-connections/{id}/tokens/{token}", handle: a.revokeSCIMToken},
		{method: "GET", path: "/workspaces/{ws}/scim-connections/{id}/requests", params: []string{"before", "limit"}, handle: a.listSCIMRequests},
		{method: "GET", path: "/workspaces/{ws}/oidc-connections", handle: a.listOIDCConnections},
		{method: "POST", path: "/workspaces/{ws}/oidc-connections", handle: a.createOIDCConnection},
		{method: "PATCH", path: "/workspaces/{ws}/oidc-connections/{id}", handle: a.updateOIDCConnection},
		{method: "DELETE", path: "/workspaces/{ws}/oidc-connections/{id}", handle: a.deleteOIDCConnection},
	}
}

// scimJSON is c on the wire, with this server's SCIM endpoint.
func (a *API) scimJSON(c directory.SCIMConnection) SCIMConnection {
	return SCIMConnectionOf(c, a.d.BaseURL()+"/scim/v2")
}

// scimConnection loads the workspace's connection and checks it is the one
// the path names (a workspace has at most one).
func (a *API) scimConnection(c *call) (directory.SCIMConnection, error) {
	conn, err := a.d.GetSCIMConnection(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return conn, err
	}
	if conn.ID != c.path("id") {
		return conn, fmt.Errorf("SCIM connection %q: %w", c.path("id"), directory.ErrNotFound)
	}
	return conn, nil
}

func (a *API) listSCIMConnections(c *call) (int, any, error) {
	list := []SCIMConnection{}
	conn, err := a.d.GetSCIMConnection(c.r.Context(), c.actor, c.ws)
	switch {
	case err == nil:
		list = append(list, a.scimJSON(conn))
	case !isNotFound(err):
		return 0, nil, err
	}
	return http.StatusOK, SCIMConnectionList{SCIMConnections: list}, nil
}

func (b scimConnectionBody) request() (directory.SCIMConnectionRequest, error) {
	var req required
	req.check(b.LogRetentionSeconds == 0 || (b.LogRetentionSeconds >= 3600 && b.LogRetentionSeconds <= 400*86400), "log_retention_seconds",
		"must be a number of seconds from 3600 (1 hour) to 34560000 (400 days); omit it to keep the current value (30 days at first)")
	req.check(len(b.TeamRoles) <= 500, "team_roles", "at most 500 mappings")
	if err := req.err(); err != nil {
		return directory.SCIMConnectionRequest{}, err
	}
	return directory.SCIMConnectionRequest{Profile: b.Profile, DefaultRole: b.DefaultRole, SendInvitations: b.SendInvitations, Activation: b.Activation,
		SeatPolicy: b.SeatPolicy, TeamRoles: b.TeamRoles, LogRetention: time.Duration(b.LogRetentionSeconds) * time.Second,
		RateLimit: b.RateLimitPerSecond, RateBurst: b.RateLimitBurst}, nil
}

func (a *API) createSCIMConnection(c *call) (int, any, error) {
	var b scimConnectionBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	req, err := b.request()
	if err != nil {
		return 0, nil, err
	}
	conn, err := a.d.CreateSCIMConnection(c.r.Context(), c.actor, c.ws, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, a.scimJSON(conn), nil
}

func (a *API) getSCIMConnection(c *call) (int, any, error) {
	conn, err := a.scimConnection(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.scimJSON(conn), nil
}

func (a *API) updateSCIMConnection(c *call) (int, any, error) {
	var b scimConnectionBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	req, err := b.request()
	if err != nil {
		return 0, nil, err
	}
	if _, err := a.scimConnection(c); err != nil {
		return 0, nil, err
	}
	conn, err := a.d.UpdateSCIMConnection(c.r.Context(), c.actor, c.ws, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.scimJSON(conn), nil
}

func (a *API) listSCIMTokens(c *call) (int, any, error) {
	if _, err := a.scimConnection(c); err != nil {
		return 0, nil, err
	}
	tokens, err := a.d.ListSCIMTokens(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	if tokens == nil {
		tokens = []directory.SCIMToken{}
	}
	return http.StatusOK, SCIMTokenList{Tokens: listOf(tokens, SCIMTokenOf)}, nil
}

func (a *API) createSCIMToken(c *call) (int, any, error) {
	var b scimTokenBody
	if c.r.ContentLength != 0 {
		if err := c.decode(&b); err != nil {
			return 0, nil, err
		}
	}
	var req required
	req.check(b.ExpiresInSeconds == 0 || (b.ExpiresInSeconds >= 60 && b.ExpiresInSeconds <= 3650*86400), "expires_in_seconds",
		"must be a number of seconds from 60 to 315360000 (3650 days); omit it for no expiry")
	req.check(len(b.Description) <= 200, "description", "must be at most 200 characters")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	if _, err := a.scimConnection(c); err != nil {
		return 0, nil, err
	}
	tok, secret, err := a.d.CreateSCIMToken(c.r.Context(), c.actor, c.ws, directory.SCIMTokenRequest{Description: b.Description, ExpiresIn: time.Duration(b.ExpiresInSeconds) * time.Second})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, SCIMTokenCreated{Token: SCIMTokenOf(tok), Secret: secret}, nil
}

func (a *API) revokeSCIMToken(c *call) (int, any, error) {
	if _, err := a.scimConnection(c); err != nil {
		return 0, nil, err
	}
	if _, err := a.d.RevokeSCIMToken(c.r.Context(), c.actor, c.ws, c.path("token")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (a *API) listSCIMRequests(c *call) (int, any, error) {
	limit, err := c.queryInt("limit", 100, 1, 1000)
	if err != nil {
		return 0, nil, err
	}
	var before int64
	if s := c.r.URL.Query().Get("before"); s != "" {
		if before, err = strconv.ParseInt(s, 10, 64); err != nil || before < 1 {
			return 0, nil, errValidation(paramErr("before", "must be the id of a request log entry"))
		}
	}
	if _, err := a.scimConnection(c); err != nil {
		return 0, nil, err
	}
	log, err := a.d.ListSCIMRequests(c.r.Context(), c.actor, c.ws, before, limit)
	if err != nil {
		return 0, nil, err
	}
	if log == nil {
		log = []directory.SCIMRequest{}
	}
	return http.StatusOK, SCIMRequestList{Requests: listOf(log, SCIMRequestOf)}, nil
}

func (a *API) listOIDCConnections(c *call) (int, any, error) {
	list, err := a.d.ListOIDCConnections(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	if list == nil {
		list = []directory.OIDCConnection{}
	}
	return http.StatusOK, OIDCConnectionList{OIDCConnections: listOf(list, OIDCConnectionOf)}, nil
}

func (a *API) createOIDCConnection(c *call) (int, any, error) {
	var b oidcConnectionBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.string("client_id", b.ClientID)
	req.string("client_secret", b.ClientSecret)
	req.check(len(b.ClientSecret) <= 1000, "client_secret", "must be at most 1000 characters")
	req.check(len(b.Domains) <= 100, "domains", "at most 100 domains")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	conn, err := a.d.CreateOIDCConnection(c.r.Context(), c.actor, c.ws, a.box, directory.OIDCConnectionRequest{Name: b.Name, Kind: b.Kind, Issuer: b.Issuer,
		ClientID: b.ClientID, ClientSecret: b.ClientSecret, TenantID: b.TenantID, HostedDomain: b.HostedDomain, Domains: b.Domains})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, OIDCConnectionOf(conn), nil
}

func (a *API) updateOIDCConnection(c *call) (int, any, error) {
	var b oidcConnectionPatch
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.check(b.ClientID == nil || strings.TrimSpace(*b.ClientID) != "", "client_id", "cannot be empty (omit it to keep the current one)")
	req.check(b.ClientSecret == nil || *b.ClientSecret != "", "client_secret", "cannot be empty (omit it to keep the current one)")
	req.check(b.ClientSecret == nil || len(*b.ClientSecret) <= 1000, "client_secret", "must be at most 1000 characters")
	req.check(b.Domains == nil || len(*b.Domains) <= 100, "domains", "at most 100 domains")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	conn, err := a.d.UpdateOIDCConnection(c.r.Context(), c.actor, c.ws, c.path("id"), a.box, directory.OIDCConnectionUpdate{Name: b.Name, Kind: b.Kind, Issuer: b.Issuer,
		ClientID: b.ClientID, ClientSecret: b.ClientSecret, TenantID: b.TenantID, HostedDomain: b.HostedDomain, Domains: b.Domains})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, OIDCConnectionOf(conn), nil
}

func (a *API) deleteOIDCConnection(c *call) (int, any, error) {
	if err := a.d.DeleteOIDCConnection(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
