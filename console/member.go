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

// memberData is a member's page.
type memberData struct {
	web.Page
	Base        string
	Member      memberRow
	Roles       []directory.Role
	Self        bool
	CanManage   bool
	CanInvite   bool
	RoleError   string
	ChosenRole  string
	ExternalWhy string
}

// memberActions are the actions of a member's page that change it; the
// ones that take something away are confirmed on a page of their own.
var memberActions = map[string]struct {
	button  string
	danger  bool
	confirm bool
}{
	"suspend":    {"Suspend", true, true},
	"reactivate": {"Reactivate", false, false},
	"remove":     {"Remove from the workspace", true, true},
	"resend":     {"Resend the invitation", false, false},
	"revoke":     {"Revoke the invitation", true, true},
}

func (h *Handler) memberView(w http.ResponseWriter, r *http.Request) (*view, *memberData) {
	v := h.open(w, r)
	if v == nil {
		return nil, nil
	}
	if !v.access.Can(directory.PermMembersRead) {
		h.deny(w, r, v, "see the member list")
		return nil, nil
	}
	m, err := h.dir.MemberDetail(r.Context(), v.actor, v.slug, r.PathValue("id"))
	if errors.Is(err, directory.ErrNotFound) {
		h.kit.Message(w, r, http.StatusNotFound, v.s, "Member not found", "This person is not a member of this workspace (any more). Go back to the members.")
		return nil, nil
	}
	if err != nil {
		h.fail(w, r, v.s, err)
		return nil, nil
	}
	row := memberRow{MemberRow: m, StatusLabel: statusLabel(m.Status), StatusClass: m.Status}
	if m.Invitation != nil && m.Invitation.Status == directory.InvitationExpired {
		row.StatusLabel, row.StatusClass = "Invitation expired", "expired"
	}
	name := m.Name
	if name == "" {
		name = m.Email
	}
	d := &memberData{Page: h.frame(r, v, name, navMembers), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug), Member: row,
		Roles: v.access.GrantableRoles, Self: m.UserID == v.s.UserID, CanManage: v.access.Can(directory.PermMembersManage), CanInvite: v.access.Invite,
		ChosenRole: m.Role}
	if m.Kind == directory.KindExternal {
		d.ExternalWhy = "External member: their account and profile belong to their home workspace, so here you can change their role or remove them (which unlinks them), not their name or details."
	}
	return v, d
}

// member is a member's page: who they are and what can be done.
func (h *Handler) member(w http.ResponseWriter, r *http.Request) {
	if v, d := h.memberView(w, r); v != nil {
		h.render(w, r, http.StatusOK, "member", d)
	}
}

// changeRole gives a member another role; an error shows next to the
// role field with the choice kept.
func (h *Handler) changeRole(w http.ResponseWriter, r *http.Request) {
	v, d := h.memberView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	role := r.PostFormValue("role")
	d.ChosenRole = role
	if !slices.ContainsFunc(d.Roles, func(x directory.Role) bool { return x.Key == role }) {
		d.RoleError = "Choose one of the roles listed; you cannot hand out that one."
		h.render(w, r, http.StatusBadRequest, "member", d)
		return
	}
	m, err := h.dir.ChangeRole(r.Context(), v.actor, v.slug, d.Member.ID, role)
	switch {
	case errors.Is(err, directory.ErrLastOwner):
		d.RoleError = "A workspace must keep at least one owner: make someone else an owner first."
	case errors.Is(err, directory.ErrForbidden), errors.Is(err, directory.ErrInvalid), errors.Is(err, directory.ErrConflict):
		d.RoleError = sentence(err)
	case err != nil:
		h.fail(w, r, v.s, err)
		return
	}
	if d.RoleError != "" {
		h.render(w, r, http.StatusBadRequest, "member", d)
		return
	}
	h.kit.Redirect(w, r, r.URL.Path[:len(r.URL.Path)-len("/role")], fmt.Sprintf("%s is now %s.", m.Email, roleName(d.Roles, m.Role)))
}

func roleName(roles []directory.Role, key string) string {
	for _, r := range roles {
		if r.Key == key {
			return r.Name
		}
	}
	return key
}

// says is what a member action does, in words.
func says(action string, d *memberData) string {
	who := d.Member.Email
	ws := d.Console.WorkspaceName
	switch action {
	case "suspend":
		return fmt.Sprintf("%s is signed out everywhere at once and cannot sign in to %s until reactivated. They keep their role and teams, and stop holding a seat.", who, ws)
	case "remove":
		if d.Member.Kind == directory.KindExternal {
			return fmt.Sprintf("%s is unlinked from %s: they lose access here; their account stays with their home workspace.", who, ws)
		}
		return fmt.Sprintf("%s loses access to %s and leaves its teams. To have them back, invite them again.", who, ws)
	case "revoke":
		return fmt.Sprintf("The link sent to %s stops working and they are no longer listed. You can invite them again later.", who)
	}
	return ""
}

// confirmMember asks before an action that takes something away.
func (h *Handler) confirmMember(w http.ResponseWriter, r *http.Request) {
	v, d := h.memberView(w, r)
	if v == nil {
		return
	}
	action := r.PathValue("action")
	a, ok := memberActions[action]
	if !ok || !a.confirm {
		h.notFound(w, r)
		return
	}
	back := d.Base + "/members/" + url.PathEscape(d.Member.ID)
	c := &confirmData{Page: h.frame(r, v, a.button+"?", navMembers), Says: says(action, d), Button: a.button, Danger: a.danger, Back: back, PostURL: r.URL.Path,
		Details: []detail{{"Person", d.Page.Title + " · " + d.Member.Email}, {"Role", d.Member.RoleName}, {"Status", d.Member.StatusLabel}}}
	h.render(w, r, http.StatusOK, "confirm", c)
}

// actOnMember carries out a member action.
func (h *Handler) actOnMember(w http.ResponseWriter, r *http.Request) {
	v, d := h.memberView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	ctx, id, who := r.Context(), d.Member.ID, d.Member.Email
	back := d.Base + "/members/" + url.PathEscape(id)
	var err error
	var msg string
	switch r.PathValue("action") {
	case "suspend":
		_, err = h.dir.SuspendMember(ctx, v.actor, v.slug, id)
		msg = who + " is suspended and signed out."
	case "reactivate":
		_, err = h.dir.ReactivateMember(ctx, v.actor, v.slug, id)
		msg = who + " is active again."
	case "remove":
		err = h.dir.RemoveMember(ctx, v.actor, v.slug, id)
		msg, back = who+" was removed from the workspace.", d.Base+"/members"
	case "resend", "revoke":
		if d.Member.Invitation == nil {
			h.kit.Message(w, r, http.StatusConflict, v.s, "No open invitation", who+" has no invitation waiting. Go back and reload the page.")
			return
		}
		if r.PathValue("action") == "resend" {
			_, err = h.dir.ResendInvitation(ctx, v.actor, v.slug, d.Member.Invitation.ID)
			msg = "A new invitation link was sent to " + who + "; the old one no longer works."
		} else {
			err = h.dir.RevokeInvitation(ctx, v.actor, v.slug, d.Member.Invitation.ID)
			msg, back = "The invitation of "+who+" was revoked.", d.Base+"/members"
		}
	default:
		h.notFound(w, r)
		return
	}
	if errors.Is(err, directory.ErrLastOwner) {
		h.kit.Message(w, r, http.StatusConflict, v.s, "The last owner stays", "A workspace must keep at least one owner: make someone else an owner first.")
		return
	}
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, back, msg)
}
