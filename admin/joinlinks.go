package admin

import (
	"net/http"

	"github.com/rosterhq/roster/directory"
)

func (a *API) joinRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/join-links", handle: a.listJoinLinks},
		{method: "POST", path: "/workspaces/{ws}/join-links", handle: a.createJoinLink},
		{method: "GET", path: "/workspaces/{ws}/join-links/{id}", handle: a.getJoinLink},
		{method: "PATCH", path: "/workspaces/{ws}/join-links/{id}", handle: a.updateJoinLink},
		{method: "POST", path: "/workspaces/{ws}/join-links/{id}/revoke", handle: a.revokeJoinLink},
		{method: "GET", path: "/workspaces/{ws}/join-links/{id}/members", handle: a.joinLinkMembers},
		{method: "GET", path: "/workspaces/{ws}/join-requests", params: []string{"status"}, handle: a.listJoinRequests},
		{method: "POST", path: "/workspaces/{ws}/join-requests/{id}/accept", handle: a.acceptJoinRequest},
		{method: "POST", path: "/workspaces/{ws}/join-requests/{id}/reject", handle: a.rejectJoinRequest},
		{method: "POST", path: "/workspaces/{ws}/join-requests/{id}/dismiss", handle: a.dismissJoinRequest},
	}
}

func (a *API) listJoinLinks(c *call) (int, any, error) {
	links, err := a.d.ListJoinLinks(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	if links == nil {
		links = []directory.JoinLink{}
	}
	return http.StatusOK, JoinLinkList{JoinLinks: listOf(links, JoinLinkOf)}, nil
}

func (b *joinLinkBody) check(creating bool) error {
	var req required
	if creating {
		req.check(b.Description != nil && *b.Description != "", "description", "is required: say who the link is for")
		req.check(b.Role != nil && *b.Role != "", "role", "is required")
	}
	req.check(b.Description == nil || len(*b.Description) <= 500, "description", "must be at most 500 characters")
	req.check(b.Mode == nil || *b.Mode == directory.JoinModeApproval || *b.Mode == directory.JoinModeDirect, "mode", "must be approval or direct")
	req.check(b.Notify == nil || *b.Notify == directory.JoinNotifyAllManagers || *b.Notify == directory.JoinNotifyPeople || *b.Notify == directory.JoinNotifyNobody,
		"notify", "must be all_managers, people or nobody")
	req.check(len(b.Teams) <= 100, "teams", "at most 100 teams")
	req.check(len(b.NotifyPeople) <= 100, "notify_people", "at most 100 people")
	return req.err()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (a *API) createJoinLink(c *call) (int, any, error) {
	var b joinLinkBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if err := b.check(true); err != nil {
		return 0, nil, err
	}
	link, _, url, err := a.d.CreateJoinLink(c.r.Context(), c.actor, c.ws, directory.JoinLinkRequest{Description: *b.Description, Role: *b.Role, Teams: b.Teams,
		Mode: deref(b.Mode), Notify: deref(b.Notify), NotifyPeople: b.NotifyPeople, Active: b.Active})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, JoinLinkCreated{JoinLink: JoinLinkOf(link), URL: url}, nil
}

func (a *API) getJoinLink(c *call) (int, any, error) {
	link, err := a.d.GetJoinLink(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, JoinLinkOf(link), nil
}

func (a *API) updateJoinLink(c *call) (int, any, error) {
	var b joinLinkBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if err := b.check(false); err != nil {
		return 0, nil, err
	}
	link, err := a.d.UpdateJoinLink(c.r.Context(), c.actor, c.ws, c.path("id"), directory.JoinLinkUpdate{Description: b.Description, Role: b.Role, Teams: b.Teams,
		Mode: b.Mode, Notify: b.Notify, NotifyPeople: b.NotifyPeople, Active: b.Active})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, JoinLinkOf(link), nil
}

func (a *API) revokeJoinLink(c *call) (int, any, error) {
	if err := a.d.RevokeJoinLink(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (a *API) joinLinkMembers(c *call) (int, any, error) {
	members, err := a.d.MembersJoinedVia(c.r.Context(), c.actor, c.ws, c.path("id"))
	if err != nil {
		return 0, nil, err
	}
	if members == nil {
		members = []directory.Member{}
	}
	return http.StatusOK, MemberList{Members: listOf(members, MemberOf)}, nil
}

func (a *API) listJoinRequests(c *call) (int, any, error) {
	status, err := c.queryEnum("status", directory.StatusAll, directory.JoinRequestPending, directory.JoinRequestAccepted, directory.JoinRequestRejected)
	if err != nil {
		return 0, nil, err
	}
	list, err := a.d.ListJoinRequests(c.r.Context(), c.actor, c.ws, status)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, JoinRequestList{JoinRequests: listOf(list, JoinRequestOf)}, nil
}

func (a *API) acceptJoinRequest(c *call) (int, any, error) {
	m, err := a.d.AcceptJoinRequest(c.r.Context(), c.actor, c.ws, c.path("id"))
	return memberResult(m, err)
}

func (a *API) rejectJoinRequest(c *call) (int, any, error) {
	if err := a.d.RejectJoinRequest(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (a *API) dismissJoinRequest(c *call) (int, any, error) {
	if err := a.d.DismissJoinRequest(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
