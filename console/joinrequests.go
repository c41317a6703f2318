package console

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// joinRequestsData is the Join requests page.
type joinRequestsData struct {
	web.Page
	Base     string
	Tab      string
	Tabs     []web.NavItem
	Requests []joinRequestRow
}

// joinRequestRow is a request with what the page says about it.
type joinRequestRow struct {
	directory.JoinRequest
	RoleName string
	Via      string
}

var joinRequestTabs = []struct{ status, label string }{
	{directory.JoinRequestPending, "Pending"},
	{directory.JoinRequestAccepted, "Accepted"},
	{directory.JoinRequestRejected, "Rejected"},
}

// joinRequestView opens a join-request page: the viewer must be able to
// review them.
func (h *Handler) joinRequestView(w http.ResponseWriter, r *http.Request) *view {
	v := h.open(w, r)
	if v != nil && !v.access.JoinRequests {
		h.deny(w, r, v, "review join requests")
		return nil
	}
	return v
}

// rows adds role names and where each request came from.
func (h *Handler) joinRequestRows(r *http.Request, v *view, reqs []directory.JoinRequest) ([]joinRequestRow, error) {
	roles, err := h.dir.ListRoles(r.Context(), v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, x := range roles {
		names[x.Key] = x.Name
	}
	// Link descriptions for those who may see the links (join-link
	// managers); others read "Join link".
	links := map[string]string{}
	if v.access.Can(directory.PermJoinLinksManage) {
		list, err := h.dir.ListJoinLinks(r.Context(), v.actor, v.slug)
		if err != nil {
			return nil, err
		}
		for _, l := range list {
			links[l.ID] = l.Description
		}
	}
	out := make([]joinRequestRow, 0, len(reqs))
	for _, q := range reqs {
		row := joinRequestRow{JoinRequest: q, RoleName: names[q.Role]}
		if row.RoleName == "" {
			row.RoleName = q.Role
		}
		switch {
		case q.Domain != nil:
			row.Via = "Approved domain " + *q.Domain
		case q.JoinLinkID != nil:
			row.Via = "Join link"
			if desc := links[*q.JoinLinkID]; desc != "" {
				row.Via = "Join link “" + desc + "”"
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// joinRequests lists one tab of the join requests.
func (h *Handler) joinRequests(w http.ResponseWriter, r *http.Request) {
	v := h.joinRequestView(w, r)
	if v == nil {
		return
	}
	tab := r.URL.Query().Get("status")
	if tab != directory.JoinRequestAccepted && tab != directory.JoinRequestRejected {
		tab = directory.JoinRequestPending
	}
	base := "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug)
	d := &joinRequestsData{Page: h.frame(r, v, "Join requests", navJoinRequests), Base: base, Tab: tab}
	for _, t := range joinRequestTabs {
		d.Tabs = append(d.Tabs, web.NavItem{Label: t.label, Href: base + "/join-requests?status=" + t.status, Current: t.status == tab})
	}
	reqs, err := h.dir.ListJoinRequests(r.Context(), v.actor, v.slug, tab)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	if d.Requests, err = h.joinRequestRows(r, v, reqs); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.render(w, r, http.StatusOK, "joinrequests", d)
}

// confirmData is the confirmation page of an action: what it is about,
// what it does in words, and the one button that does it.
type confirmData struct {
	web.Page
	Details []detail
	Says    string
	Button  string
	Danger  bool
	Back    string
	PostURL string
}

// detail is a line of a confirmation page.
type detail struct{ Label, Value string }

// decision is what an action does, said before it is done.
func decision(action string, q joinRequestRow, workspace string) (title, says, button string, danger, ok bool) {
	who := q.Email
	if q.Name != "" {
		who = q.Name
	}
	switch action {
	case "accept":
		return "Accept " + who + "?", fmt.Sprintf("%s becomes an active member of %s with the role %s, takes a seat, and gets an email saying they are in.", who, workspace, q.RoleName), "Accept the request", false, true
	case "reject":
		return "Reject " + who + "?", fmt.Sprintf("%s gets an email saying the request was declined, and cannot ask to join %s again. If you change your mind later, dismiss the rejection to let them ask again.", who, workspace), "Reject the request", true, true
	case "dismiss":
		if q.Status == directory.JoinRequestRejected {
			return "Dismiss the rejection of " + who + "?", fmt.Sprintf("The rejected request is deleted without telling %s. They may then ask to join %s again.", who, workspace), "Dismiss the rejection", false, true
		}
		return "Dismiss the request of " + who + "?", fmt.Sprintf("The request is deleted without telling %s and without an answer. They may ask to join %s again.", who, workspace), "Dismiss the request", false, true
	}
	return "", "", "", false, false
}

// findJoinRequest loads one request of the workspace.
func (h *Handler) findJoinRequest(w http.ResponseWriter, r *http.Request, v *view) (joinRequestRow, bool) {
	reqs, err := h.dir.ListJoinRequests(r.Context(), v.actor, v.slug, directory.StatusAll)
	if err != nil {
		h.fail(w, r, v.s, err)
		return joinRequestRow{}, false
	}
	id := r.PathValue("id")
	for _, q := range reqs {
		if q.ID == id {
			rows, err := h.joinRequestRows(r, v, []directory.JoinRequest{q})
			if err != nil {
				h.fail(w, r, v.s, err)
				return joinRequestRow{}, false
			}
			return rows[0], true
		}
	}
	h.kit.Message(w, r, http.StatusNotFound, v.s, "Join request not found", "This request was dismissed or never existed in this workspace. Go back to the join requests.")
	return joinRequestRow{}, false
}

// confirmJoinRequest asks before accepting, rejecting or dismissing,
// saying what each does; it is a page, so it works without JavaScript.
func (h *Handler) confirmJoinRequest(w http.ResponseWriter, r *http.Request) {
	v := h.joinRequestView(w, r)
	if v == nil {
		return
	}
	q, ok := h.findJoinRequest(w, r, v)
	if !ok {
		return
	}
	title, says, button, danger, ok := decision(r.PathValue("action"), q, v.access.WorkspaceName)
	if !ok {
		h.notFound(w, r)
		return
	}
	base := "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug)
	person := q.Email
	if q.Name != "" {
		person = q.Name + " · " + q.Email
	}
	d := &confirmData{Page: h.frame(r, v, title, navJoinRequests), Says: says, Button: button, Danger: danger,
		Back: base + "/join-requests?status=" + q.Status, PostURL: r.URL.Path,
		Details: []detail{{"Person", person}, {"Came through", q.Via}, {"Role if accepted", q.RoleName}, {"Asked", q.CreatedAt.UTC().Format("2 Jan 2006")}}}
	h.render(w, r, http.StatusOK, "confirm", d)
}

// decideJoinRequest carries out a confirmed decision.
func (h *Handler) decideJoinRequest(w http.ResponseWriter, r *http.Request) {
	v := h.joinRequestView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	id, action := r.PathValue("id"), r.PathValue("action")
	q, ok := h.findJoinRequest(w, r, v)
	if !ok {
		return
	}
	who := q.Email
	var err error
	var msg string
	switch action {
	case "accept":
		_, err = h.dir.AcceptJoinRequest(r.Context(), v.actor, v.slug, id)
		msg = who + " is now a member."
	case "reject":
		err = h.dir.RejectJoinRequest(r.Context(), v.actor, v.slug, id)
		msg = who + "'s request was rejected; they have been told."
	case "dismiss":
		err = h.dir.DismissJoinRequest(r.Context(), v.actor, v.slug, id)
		msg = who + "'s request was dismissed; they may ask again."
	default:
		h.notFound(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/join-requests?status="+q.Status, msg)
}
