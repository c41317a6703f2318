package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// createdLinkStatus marks the flash item that carries a new link's URL
// to the page after the POST. The flash cookie is sealed and deleted by
// the first page that renders it, so the URL is shown exactly once; the
// directory keeps only the token's hash.
const createdLinkStatus = "join_link_created"

// joinLinksData is the Join links page: the links, and the form that
// makes one.
type joinLinksData struct {
	web.Page
	Base   string
	Links  []joinLinkRow
	Roles  []directory.Role
	Teams  []directory.Team
	People []directory.Member
	Form   *web.Form
}

// joinLinkRow is a link with what the page says about it.
type joinLinkRow struct {
	directory.JoinLink
	RoleName  string
	TeamNames []string
	Notifies  string
	Joined    int
	// Waiting counts the link's pending requests, for viewers who may
	// review them.
	Waiting int
}

// joinLinkView opens a join-link page: the viewer must hold
// joinlinks.manage, which every directory call of these pages checks
// again.
func (h *Handler) joinLinkView(w http.ResponseWriter, r *http.Request) *view {
	v := h.open(w, r)
	if v != nil && !v.access.Can(directory.PermJoinLinksManage) {
		h.deny(w, r, v, "manage join links")
		return nil
	}
	return v
}

// joinLinksPage loads the page's links and the form's choices.
func (h *Handler) joinLinksPage(r *http.Request, v *view) (*joinLinksData, error) {
	d := &joinLinksData{Page: h.frame(r, v, "Join links", navJoinLinks), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug),
		Roles: v.access.GrantableRoles}
	// Owner is never a join link's role.
	d.Roles = slices.DeleteFunc(slices.Clone(d.Roles), func(x directory.Role) bool { return x.Key == directory.RoleOwner })
	ctx := r.Context()
	links, err := h.dir.ListJoinLinks(ctx, v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	roles, err := h.dir.ListRoles(ctx, v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	if d.Teams, err = h.dir.ListTeams(ctx, v.actor, v.slug); err != nil {
		return nil, err
	}
	// The people a link may notify: active members (the first 500, by
	// age), offered as checkboxes.
	if v.access.Can(directory.PermMembersRead) {
		p, err := h.dir.ListMembers(ctx, v.actor, v.slug, directory.MemberFilter{Status: directory.StatusActive, Limit: 500})
		if err != nil {
			return nil, err
		}
		d.People = p.Members
	}
	waiting := map[string]int{}
	if v.access.JoinRequests {
		reqs, err := h.dir.ListJoinRequests(ctx, v.actor, v.slug, directory.JoinRequestPending)
		if err != nil {
			return nil, err
		}
		for _, q := range reqs {
			if q.JoinLinkID != nil {
				waiting[*q.JoinLinkID]++
			}
		}
	}
	roleNames := map[string]string{}
	for _, x := range roles {
		roleNames[x.Key] = x.Name
	}
	teamNames := map[string]string{}
	for _, t := range d.Teams {
		teamNames[t.ID] = t.Name
	}
	for _, l := range links {
		row := joinLinkRow{JoinLink: l, RoleName: roleNames[l.Role], Waiting: waiting[l.ID]}
		if row.RoleName == "" {
			row.RoleName = l.Role
		}
		for _, id := range l.Teams {
			if n := teamNames[id]; n != "" {
				row.TeamNames = append(row.TeamNames, n)
			}
		}
		switch {
		case l.Mode == directory.JoinModeDirect:
			row.Notifies = "nobody"
		case l.Notify == directory.JoinNotifyAllManagers:
			row.Notifies = "owners, admins and managers"
		case l.Notify == directory.JoinNotifyPeople:
			row.Notifies = fmt.Sprintf("%d chosen people", len(l.NotifyPeople))
		default:
			row.Notifies = "nobody (requests wait in the list)"
		}
		joined, err := h.dir.MembersJoinedVia(ctx, v.actor, v.slug, l.ID)
		if err != nil {
			return nil, err
		}
		row.Joined = len(joined)
		d.Links = append(d.Links, row)
	}
	return d, nil
}

// joinLinks lists the links, with the form to make one and, once after
// making one, its URL.
func (h *Handler) joinLinks(w http.ResponseWriter, r *http.Request) {
	v := h.joinLinkView(w, r)
	if v == nil {
		return
	}
	d, err := h.joinLinksPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Form = web.NewForm(url.Values{"role": {directory.RoleMember}, "mode": {directory.JoinModeApproval}, "notify": {directory.JoinNotifyAllManagers}})
	// Render fills FlashItems in from the POST's flash; the template shows
	// the item of status createdLinkStatus as the new link.
	h.render(w, r, http.StatusOK, "joinlinks", d)
}

// createJoinLink makes a link and shows its URL once on the next page.
func (h *Handler) createJoinLink(w http.ResponseWriter, r *http.Request) {
	v := h.joinLinkView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form := web.NewForm(r.PostForm)
	f := readJoinLinkForm(form, r)
	if !form.OK() {
		h.rerenderJoinLinks(w, r, v, form)
		return
	}
	_, _, joinURL, err := h.dir.CreateJoinLink(r.Context(), v.actor, v.slug, directory.JoinLinkRequest{Description: f.desc, Role: f.role,
		Teams: f.teams, Mode: f.mode, Notify: f.notify, NotifyPeople: f.people})
	if err != nil {
		if !joinLinkFieldError(form, err) {
			h.fail(w, r, v.s, err)
			return
		}
		h.rerenderJoinLinks(w, r, v, form)
		return
	}
	h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/join-links",
		"Join link “"+f.desc+"” created. Copy it now: it is shown only this once.", web.FlashItem{Label: joinURL, Status: createdLinkStatus})
}

// rerenderJoinLinks shows the page again with the form as typed and its
// errors; no link was made.
func (h *Handler) rerenderJoinLinks(w http.ResponseWriter, r *http.Request, v *view, form *web.Form) {
	d, err := h.joinLinksPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Form = form
	d.Error = "No link was created yet: please check the form."
	h.render(w, r, http.StatusBadRequest, "joinlinks", d)
}

// findJoinLink loads one link of the workspace; a link of another
// workspace reads as one that does not exist.
func (h *Handler) findJoinLink(w http.ResponseWriter, r *http.Request, v *view) (directory.JoinLink, bool) {
	l, err := h.dir.GetJoinLink(r.Context(), v.actor, v.slug, r.PathValue("id"))
	if errors.Is(err, directory.ErrNotFound) {
		h.kit.Message(w, r, http.StatusNotFound, v.s, "Join link not found", "This join link does not exist in this workspace. Go back to the join links.")
		return l, false
	}
	if err != nil {
		h.fail(w, r, v.s, err)
		return l, false
	}
	return l, true
}

// switchJoinLink turns a link on or off; off, the link refuses everyone
// until it is turned on again.
func (h *Handler) switchJoinLink(w http.ResponseWriter, r *http.Request) {
	v := h.joinLinkView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	l, ok := h.findJoinLink(w, r, v)
	if !ok {
		return
	}
	on := r.PostForm.Get("active") == "on"
	if _, err := h.dir.UpdateJoinLink(r.Context(), v.actor, v.slug, l.ID, directory.JoinLinkUpdate{Active: &on}); err != nil {
		if errors.Is(err, directory.ErrRevoked) {
			h.kit.Message(w, r, http.StatusConflict, v.s, "Link revoked", "This link was revoked; it cannot be turned on again. Create a new link instead.")
			return
		}
		h.fail(w, r, v.s, err)
		return
	}
	msg := "“" + l.Description + "” is off: nobody can use it until you turn it on again."
	if on {
		msg = "“" + l.Description + "” is on: people with the link can use it again."
	}
	h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/join-links", msg)
}

// confirmRevokeJoinLink says what revoking does before it is done.
func (h *Handler) confirmRevokeJoinLink(w http.ResponseWriter, r *http.Request) {
	v := h.joinLinkView(w, r)
	if v == nil {
		return
	}
	l, ok := h.findJoinLink(w, r, v)
	if !ok {
		return
	}
	base := "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug)
	if l.RevokedAt != nil {
		h.kit.Message(w, r, http.StatusConflict, v.s, "Already revoked", "This link was revoked on "+l.RevokedAt.UTC().Format("2 Jan 2006")+". Go back to the join links.")
		return
	}
	d := &confirmData{Page: h.frame(r, v, "Revoke “"+l.Description+"”?", navJoinLinks), Danger: true, Button: "Revoke the link",
		Says: fmt.Sprintf("The link stops working for good: anyone who follows it is told it no longer works, and it cannot be turned on again. "+
			"Members who already joined through it stay in %s, and requests already filed stay in the join requests. To pause it instead, turn it off.", v.access.WorkspaceName),
		Back: base + "/join-links", PostURL: r.URL.Path,
		Details: []detail{{"Link", l.Description}, {"Created", l.CreatedAt.UTC().Format("2 Jan 2006")}}}
	h.render(w, r, http.StatusOK, "confirm", d)
}

// revokeJoinLink revokes a link after its confirmation.
func (h *Handler) revokeJoinLink(w http.ResponseWriter, r *http.Request) {
	v := h.joinLinkView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	l, ok := h.findJoinLink(w, r, v)
	if !ok {
		return
	}
	if err := h.dir.RevokeJoinLink(r.Context(), v.actor, v.slug, l.ID); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/join-links", "“"+l.Description+"” is revoked: it no longer works.")
}

// joinLinkMembersData lists who came in through one link.
type joinLinkMembersData struct {
	web.Page
	Base    string
	Link    directory.JoinLink
	Members []joinedMember
	// Linked: the viewer may open members' pages.
	Linked bool
}

// joinedMember is a member who came in through a link, with the status
// in words.
type joinedMember struct {
	directory.Member
	StatusLabel string
}

// joinLinkMembers lists the members who joined through a link, to
// review after it leaked.
func (h *Handler) joinLinkMembers(w http.ResponseWriter, r *http.Request) {
	v := h.joinLinkView(w, r)
	if v == nil {
		return
	}
	l, ok := h.findJoinLink(w, r, v)
	if !ok {
		return
	}
	members, err := h.dir.MembersJoinedVia(r.Context(), v.actor, v.slug, l.ID)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d := &joinLinkMembersData{Page: h.frame(r, v, "Joined via “"+l.Description+"”", navJoinLinks), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug),
		Link: l, Linked: v.access.Can(directory.PermMembersRead)}
	for _, m := range members {
		d.Members = append(d.Members, joinedMember{Member: m, StatusLabel: statusLabel(m.Status)})
	}
	h.render(w, r, http.StatusOK, "joinlinkmembers", d)
}
