package admin

import (
	"net/http"

	"github.com/rosterhq/roster/directory"
)

func (a *API) roleRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/roles", handle: a.listRoles},
		{method: "PUT", path: "/workspaces/{ws}/roles/{key}", handle: a.saveRole},
		{method: "DELETE", path: "/workspaces/{ws}/roles/{key}", handle: a.deleteRole},
	}
}

func (a *API) listRoles(c *call) (int, any, error) {
	roles, err := a.d.ListRoles(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	ws, err := a.d.GetWorkspace(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	// Collaborators hold no permission: RoleOf makes it an empty array.
	return http.StatusOK, RoleList{Roles: listOf(roles, RoleOf), Permissions: permissions(directory.AllPermissions), InviteRoles: WorkspaceOf(ws).InviteRoles}, nil
}

func (a *API) saveRole(c *call) (int, any, error) {
	var b roleDefBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.string("name", b.Name)
	req.check(len(b.Name) <= 100, "name", "must be at most 100 characters")
	req.check(b.Permissions != nil, "permissions", "is required (an empty array grants nothing)")
	req.check(b.Rank == 0 || (b.Rank >= 1 && b.Rank <= 99), "rank", "must be from 1 to 99 (omit it for 30)")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	r, err := a.d.SaveCustomRole(c.r.Context(), c.actor, c.ws, directory.CustomRoleRequest{Key: c.path("key"), Name: b.Name, Permissions: toPermissions(b.Permissions), Rank: b.Rank})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, RoleOf(r), nil
}

func (a *API) deleteRole(c *call) (int, any, error) {
	if err := a.d.DeleteCustomRole(c.r.Context(), c.actor, c.ws, c.path("key")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func toPermissions(ps []string) []directory.Permission {
	out := make([]directory.Permission, len(ps))
	for i, p := range ps {
		out[i] = directory.Permission(p)
	}
	return out
}
