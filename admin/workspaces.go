package admin

import (
	"net/http"
	"time"

	"github.com/rosterhq/roster/directory"
)

func (a *API) workspaceRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces", access: operatorAccess, handle: a.listWorkspaces},
		{method: "POST", path: "/workspaces", access: operatorAccess, handle: a.createWorkspace},
		{method: "GET", path: "/workspaces/{ws}", handle: a.getWorkspace},
		{method: "PATCH", path: "/workspaces/{ws}", handle: a.updateWorkspace},
		{method: "GET", path: "/workspaces/{ws}/seats", handle: a.getSeats},
		{method: "PUT", path: "/workspaces/{ws}/seats", handle: a.setSeats},
	}
}

func (a *API) listWorkspaces(c *call) (int, any, error) {
	list, err := a.d.ListWorkspaces(c.r.Context(), c.actor)
	if err != nil {
		return 0, nil, err
	}
	out := listOf(list, WorkspaceOf)
	if out == nil {
		out = []Workspace{}
	}
	return http.StatusOK, WorkspaceList{Workspaces: out}, nil
}

func (a *API) createWorkspace(c *call) (int, any, error) {
	var b createWorkspaceBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.string("name", b.Name)
	req.string("owner_email", b.OwnerEmail)
	req.check(b.SeatLimit == nil || *b.SeatLimit >= 1, "seat_limit", "must be at least 1 (omit it for no limit)")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	ws, owner, err := a.d.CreateWorkspace(c.r.Context(), c.actor, directory.CreateWorkspaceRequest{Name: b.Name, Slug: b.Slug, OwnerEmail: b.OwnerEmail, OwnerName: b.OwnerName, SeatLimit: b.SeatLimit})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, WorkspaceCreated{Workspace: WorkspaceOf(ws), OwnerInvitation: InviteOutcomeOf(owner)}, nil
}

func (a *API) getWorkspace(c *call) (int, any, error) {
	ws, err := a.d.GetWorkspace(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WorkspaceOf(ws), nil
}

func (a *API) updateWorkspace(c *call) (int, any, error) {
	var b updateWorkspaceBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.check(!b.SeatLimit.Set || b.SeatLimit.Null || b.SeatLimit.Value >= 1, "seat_limit", "must be at least 1, or null for no limit")
	req.check(b.InvitationTTLSeconds == nil || (*b.InvitationTTLSeconds >= 3600 && *b.InvitationTTLSeconds <= 90*86400), "invitation_ttl_seconds",
		"must be a number of seconds from 3600 (1 hour) to 7776000 (90 days)")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	s := directory.WorkspaceSettings{Name: b.Name, InviteRoles: b.InviteRoles, TermsVersion: b.TermsVersion}
	if b.SeatLimit.Set {
		limit := b.SeatLimit.Value // null → 0, which removes the limit
		s.SeatLimit = &limit
	}
	if b.TrialEndsAt.Set {
		if b.TrialEndsAt.Null {
			s.ClearTrial = true
		} else {
			s.TrialEndsAt = &b.TrialEndsAt.Value
		}
	}
	if b.InvitationTTLSeconds != nil {
		ttl := time.Duration(*b.InvitationTTLSeconds) * time.Second
		s.InvitationTTL = &ttl
	}
	ws, err := a.d.UpdateWorkspaceSettings(c.r.Context(), c.actor, c.ws, s)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, WorkspaceOf(ws), nil
}

func (a *API) getSeats(c *call) (int, any, error) {
	s, err := a.d.SeatUsage(c.r.Context(), c.actor, c.ws)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, SeatsOf(s), nil
}

func (a *API) setSeats(c *call) (int, any, error) {
	var b setSeatsBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.check(b.Limit.Set, "limit", "is required: a number of seats, or null for no limit")
	req.check(!b.Limit.Set || b.Limit.Null || b.Limit.Value >= 1, "limit", "must be at least 1, or null for no limit")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	limit := b.Limit.Value
	if _, err := a.d.UpdateWorkspaceSettings(c.r.Context(), c.actor, c.ws, directory.WorkspaceSettings{SeatLimit: &limit}); err != nil {
		return 0, nil, err
	}
	return a.getSeats(c)
}
