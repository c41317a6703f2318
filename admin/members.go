package admin

import (
	"net/http"

	"github.com/rosterhq/roster/directory"
)

func (a *API) memberRoutes() []route {
	return []route{
		{method: "GET", path: "/workspaces/{ws}/members", params: []string{"status", "role", "team", "kind", "q", "cursor", "limit"}, handle: a.listMembers},
		{method: "GET", path: "/workspaces/{ws}/members/{id}", handle: a.getMember},
		{method: "PATCH", path: "/workspaces/{ws}/members/{id}", handle: a.updateMember},
		{method: "DELETE", path: "/workspaces/{ws}/members/{id}", handle: a.removeMember},
		{method: "PUT", path: "/workspaces/{ws}/members/{id}/role", handle: a.changeRole},
		{method: "POST", path: "/workspaces/{ws}/members/{id}/suspend", handle: a.suspendMember},
		{method: "POST", path: "/workspaces/{ws}/members/{id}/reactivate", handle: a.reactivateMember},
		{method: "POST", path: "/workspaces/{ws}/members/{id}/main-admin", handle: a.setMainAdmin},
		{method: "GET", path: "/workspaces/{ws}/lookup", params: []string{"q"}, handle: a.lookup},
	}
}

func (a *API) listMembers(c *call) (int, any, error) {
	q := c.r.URL.Query()
	f := directory.MemberFilter{Role: q.Get("role"), Team: q.Get("team"), Query: q.Get("q"), Cursor: q.Get("cursor")}
	var err error
	if f.Status, err = c.queryEnum("status", directory.StatusAll, directory.StatusInvited, directory.StatusActive, directory.StatusSuspended); err != nil {
		return 0, nil, err
	}
	if f.Kind, err = c.queryEnum("kind", directory.KindInternal, directory.KindExternal); err != nil {
		return 0, nil, err
	}
	if f.Limit, err = c.queryInt("limit", 50, 1, 500); err != nil {
		return 0, nil, err
	}
	if len(f.Query) > 200 {
		return 0, nil, errValidation(paramErr("q", "must be at most 200 characters"))
	}
	page, err := a.d.ListMembers(c.r.Context(), c.actor, c.ws, f)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, MemberPageOf(page), nil
}

func (a *API) getMember(c *call) (int, any, error) {
	m, err := a.d.GetMember(c.r.Context(), c.actor, c.ws, c.path("id"))
	return memberResult(m, err)
}

func memberResult(m directory.Member, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, MemberOf(m), nil
}

func (a *API) updateMember(c *call) (int, any, error) {
	var b profileBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.check(b.Name != nil || b.Phone != nil || b.Locale != nil, "", "send at least one of name, phone, locale")
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	m, err := a.d.UpdateMemberProfile(c.r.Context(), c.actor, c.ws, c.path("id"), directory.ProfileUpdate{Name: b.Name, Phone: b.Phone, Locale: b.Locale})
	return memberResult(m, err)
}

func (a *API) removeMember(c *call) (int, any, error) {
	if err := a.d.RemoveMember(c.r.Context(), c.actor, c.ws, c.path("id")); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (a *API) changeRole(c *call) (int, any, error) {
	var b roleBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	var req required
	req.string("role", b.Role)
	if err := req.err(); err != nil {
		return 0, nil, err
	}
	m, err := a.d.ChangeRole(c.r.Context(), c.actor, c.ws, c.path("id"), b.Role)
	return memberResult(m, err)
}

func (a *API) suspendMember(c *call) (int, any, error) {
	m, err := a.d.SuspendMember(c.r.Context(), c.actor, c.ws, c.path("id"))
	return memberResult(m, err)
}

func (a *API) reactivateMember(c *call) (int, any, error) {
	m, err := a.d.ReactivateMember(c.r.Context(), c.actor, c.ws, c.path("id"))
	return memberResult(m, err)
}

func (a *API) setMainAdmin(c *call) (int, any, error) {
	m, err := a.d.SetMainAdmin(c.r.Context(), c.actor, c.ws, c.path("id"))
	return memberResult(m, err)
}

func (a *API) lookup(c *call) (int, any, error) {
	q := c.r.URL.Query().Get("q")
	if q == "" || len(q) > 254 {
		return 0, nil, errValidation(paramErr("q", "is required: an email address or a phone number"))
	}
	l, err := a.d.LookupPerson(c.r.Context(), c.actor, c.ws, q)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, LookupOf(l), nil
}
