package admin

import (
	"fmt"
	"net/http"

	"github.com/rosterhq/roster/directory"
)

func (a *API) teamRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/teams", handle: a.listTeams},
		{method: "POST", path: "/workspaces/{ws}/teams", handle: a.createTeam},
		{method: "GET", path: "/workspaces/{ws}/teams/{id}", handle: a.getTeam},
		{method: "PATCH", path: "/workspaces/{ws}/teams/{id}", handle: a.updateTeam},
		{method: "DELETE", path: "/workspaces/{ws}/teams/{id}", handle: a.deleteTeam},
		{method: "GET", path: "/workspaces/{ws}/teams/{id}/members", handle: a.listTeamMembers},
		{method: "POST", path: "/workspaces/{ws}/teams/{id}/members", handle: a.addTeamMembers},
		{method: "DELETE", path: "/workspaces/{ws}/teams/{id}/members/{member}", handle: a.removeTeamMember},
	}
}

func (a *API) listTeams(c *call) (int, any, error) {
	teams, err := a.d.ListTeams(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	if teams == nil {
		teams = []directory.Team{}
	}
	return http.StatusOK, TeamList{Teams: listOf(teams, TeamOf)}, nil
}

func (a *API) createTeam(c *call) (int, any, error) {
	var b teamBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.check(b.Name != nil && *b.Name != "", "name", "is required")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	r := directory.TeamRequest{Name: *b.Name}
	if b.Role.Set && !b.Role.Null && b.Role.Value != "" {
		r.Role = &b.Role.Value
	}
	team, err := a.d.CreateTeam(c.r.Context(), c.actor, c.ws, r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, TeamOf(team), nil
}

func (a *API) getTeam(c *call) (int, any, error) {
	team, err := a.d.GetTeam(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, TeamOf(team), nil
}

// updateTeam renames a team or changes its role mapping; "role": null
// removes the mapping.
func (a *API) updateTeam(c *call) (int, any, error) {
	var b teamBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.check(b.Name == nil || *b.Name != "", "name", "cannot be empty")
	req.check(b.Name != nil || b.Role.Set, "", "send name, role or both")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	u := directory.TeamUpdate{Name: b.Name}
	if b.Role.Set {
		if b.Role.Null || b.Role.Value == "" {
			u.ClearRole = true
		} else {
			u.Role = &b.Role.Value
		}
	}
	team, err := a.d.UpdateTeam(c.r.Context(), c.actor, c.ws, c.path("id"), u)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, TeamOf(team), nil
}

func (a *API) deleteTeam(c *call) (int, any, error) {
	if err := a.d.DeleteTeam(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (a *API) listTeamMembers(c *call) (int, any, error) {
	members, err := a.d.ListTeamMembers(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, MemberList{Members: listOf(members, MemberOf)}, nil
}

func (a *API) addTeamMembers(c *call) (int, any, error) {
	var b teamMembersBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.check(len(b.MembershipIDs) > 0, "membership_ids", "list at least one member id")
	req.check(len(b.MembershipIDs) <= 1000, "membership_ids", "at most 1000 members per request")
	for i, id := range b.MembershipIDs {
		req.check(id != "", fmt.Sprintf("membership_ids/%d", i), "cannot be empty")
	}
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	if err := a.d.AddTeamMembers(c.r.Context(), c.actor, c.ws, c.path("id"), b.MembershipIDs); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (a *API) removeTeamMember(c *call) (int, any, error) {
	if err := a.d.RemoveTeamMembers(c.r.Context(), c.actor, c.ws, c.path("id"), []string{c.path("member")}); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
