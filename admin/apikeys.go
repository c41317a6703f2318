package admin

import (
	"net/http"

	"github.com/rosterhq/roster/directory"
)

func (a *API) apiKeyRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/api-keys", handle: a.listAPIKeys},
		{method: "POST", path: "/workspaces/{ws}/api-keys", handle: a.createAPIKey},
		{method: "DELETE", path: "/workspaces/{ws}/api-keys/{id}", handle: a.revokeAPIKey},
	}
}

func (a *API) listAPIKeys(c *call) (int, any, error) {
	keys, err := a.d.ListAPIKeys(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, APIKeyList{APIKeys: listOf(keys, APIKeyOf)}, nil
}

func (a *API) createAPIKey(c *call) (int, any, error) {
	var b apiKeyBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.string("name", b.Name)
	req.string("role", b.Role)
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	key, token, err := a.d.CreateAPIKey(c.r.Context(), c.actor, c.ws, directory.APIKeyRequest{Name: b.Name, Role: b.Role, ExpiresAt: b.ExpiresAt})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, APIKeyCreated{APIKey: APIKeyOf(key), Token: token}, nil
}

func (a *API) revokeAPIKey(c *call) (int, any, error) {
	if err := a.d.RevokeAPIKey(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
