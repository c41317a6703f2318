package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// permissionWords says what each permission lets a person do.
var permissionWords = map[directory.Permission]string{
	directory.PermMembersRead:       "See the members and teams",
	directory.PermMembersInvite:     "Invite people, when the owners let the role invite",
	directory.PermMembersManage:     "Change members' roles and teams, suspend and remove them",
	directory.PermJoinLinksManage:   "Create and switch off join links, and review join requests",
	directory.PermDomainsManage:     "Approve email domains and choose what they do",
	directory.PermConnectionsManage: "Set up single sign-on and provisioning from the identity provider",
	directory.PermRolesManage:       "Create, change and delete custom roles",
}

// rankChoices place a custom role among the built-in ones: where
// several roles apply (a person's own and a team's), the higher wins.
var rankChoices = []struct {
	Rank  int
	Words string
}{
	{30, "Between Collaborator and Member"},
	{50, "Between Member and Manager"},
	{70, "Between Manager and Admin"},
}

// rolesData is the Roles page: every role with its permissions in words,
// and the form that makes a custom role.
type rolesData struct {
	web.Page
	Base      string
	Roles     []roleRow
	CanManage bool
	Form      *web.Form
	Perms     []permChoice
	Ranks     []rankChoice
	// Editing is the custom role the form changes; nil on the list page.
	Editing *directory.Role
}

// roleRow is a role with its permissions in words.
type roleRow struct {
	directory.Role
	Words []string
}

// rankChoice is one option of where a custom role ranks.
type rankChoice struct {
	Value, Words string
}

// permChoice is one permission checkbox; a permission the viewer does
// not hold cannot be granted (SaveCustomRole refuses it), so it is shown
// locked.
type permChoice struct {
	Key, Words string
	Held       bool
}

// rolesView opens a roles page: any administering member reads the
// roles (ListRoles needs only membership); changing one needs
// roles.manage, checked by the handlers that change.
func (h *Handler) rolesView(w http.ResponseWriter, r *http.Request, change bool) *view {
	v := h.open(w, r)
	if v != nil && change && !v.access.Can(directory.PermRolesManage) {
		h.deny(w, r, v, "change roles")
		return nil
	}
	return v
}

func (h *Handler) rolesPage(r *http.Request, v *view) (*rolesData, error) {
	roles, err := h.dir.ListRoles(r.Context(), v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	d := &rolesData{Page: h.frame(r, v, "Roles", navRoles), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug),
		CanManage: v.access.Can(directory.PermRolesManage), Form: web.NewForm(nil)}
	for _, x := range roles {
		row := roleRow{Role: x}
		for _, p := range directory.AllPermissions {
			if slices.Contains(x.Permissions, p) {
				row.Words = append(row.Words, permissionWords[p])
			}
		}
		d.Roles = append(d.Roles, row)
	}
	for _, c := range rankChoices {
		d.Ranks = append(d.Ranks, rankChoice{Value: fmt.Sprint(c.Rank), Words: c.Words})
	}
	for _, p := range directory.AllPermissions {
		d.Perms = append(d.Perms, permChoice{Key: string(p), Words: permissionWords[p], Held: v.access.Can(p)})
	}
	return d, nil
}

// roles lists the roles.
func (h *Handler) roles(w http.ResponseWriter, r *http.Request) {
	v := h.rolesView(w, r, false)
	if v == nil {
		return
	}
	d, err := h.rolesPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Form = web.NewForm(url.Values{"permission": {string(directory.PermMembersRead)}, "rank": {"30"}})
	h.render(w, r, http.StatusOK, "roles", d)
}

// findCustomRole loads a custom role of the workspace from the path; a
// built-in role, or another workspace's, reads as not found.
func (h *Handler) findCustomRole(w http.ResponseWriter, r *http.Request, v *view, d *rolesData) (*directory.Role, bool) {
	for i := range d.Roles {
		if x := d.Roles[i].Role; x.Key == r.PathValue("key") && !x.BuiltIn {
			return &x, true
		}
	}
	h.kit.Message(w, r, http.StatusNotFound, v.s, "Role not found", "This workspace has no custom role at this address. Built-in roles cannot be changed. Go back to the roles.")
	return nil, false
}

// openRolesToChange opens the roles page for a change (roles.manage),
// reading a POST's form first; nil when it already answered.
func (h *Handler) openRolesToChange(w http.ResponseWriter, r *http.Request, post bool) (*view, *rolesData) {
	v := h.rolesView(w, r, true)
	if v == nil || post && !h.kit.ParseForm(w, r, v.s, 0) {
		return nil, nil
	}
	d, err := h.rolesPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return nil, nil
	}
	return v, d
}

// roleKeyFor derives the key of a new role from its name: people never
// see or type it, and it must not be one already used (saving an
// existing key would replace that role).
func roleKeyFor(name string, taken []roleRow) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	key := strings.Trim(b.String(), "-")
	if len(key) > 30 {
		key = strings.Trim(key[:30], "-")
	}
	if len(key) < 2 || key[0] < 'a' || key[0] > 'z' {
		key = "role-" + key
	}
	used := func(k string) bool {
		return slices.ContainsFunc(taken, func(x roleRow) bool { return x.Key == k })
	}
	if _, builtin := directory.BuiltinRole(key); !builtin && !used(key) {
		return key
	}
	for n := 2; ; n++ {
		if k := fmt.Sprintf("%s-%d", key, n); !used(k) {
			return k
		}
	}
}

// saveRole creates a custom role (no key in the path) or changes one.
func (h *Handler) saveRole(w http.ResponseWriter, r *http.Request) {
	v, d := h.openRolesToChange(w, r, true)
	if v == nil {
		return
	}
	req := directory.CustomRoleRequest{}
	if r.PathValue("key") != "" {
		cur, ok := h.findCustomRole(w, r, v, d)
		if !ok {
			return
		}
		d.Editing, d.Page.Title = cur, "Edit the role "+cur.Name
		req.Key, req.Rank = cur.Key, cur.Rank
	}
	form := web.NewForm(r.PostForm)
	name := strings.TrimSpace(form.Value("name"))
	switch {
	case name == "":
		form.Fail("name", "Give the role a name people recognise, for example “Support lead”.")
	case len([]rune(name)) > 100:
		form.Fail("name", "Keep the name under 100 characters.")
	case slices.ContainsFunc(d.Roles, func(x roleRow) bool { return strings.EqualFold(x.Name, name) && x.Key != req.Key }):
		form.Fail("name", "A role named “"+name+"” already exists. Choose another name.")
	}
	if form.OK() {
		if req.Key == "" {
			req.Key, req.Create = roleKeyFor(name, d.Roles), true
		}
		req.Name = name
		if n, err := strconv.Atoi(form.Value("rank")); err == nil {
			req.Rank = n
		}
		for _, p := range r.PostForm["permission"] {
			req.Permissions = append(req.Permissions, directory.Permission(p))
		}
		saved, err := h.dir.SaveCustomRole(r.Context(), v.actor, v.slug, req)
		switch {
		case err == nil:
			verb := "created"
			if d.Editing != nil {
				verb = "saved"
			}
			h.kit.Redirect(w, r, d.Base+"/roles", fmt.Sprintf("The role %s is %s.", saved.Name, verb))
			return
		case errors.Is(err, directory.ErrConflict):
			// Someone created a role of this name since the page was read.
			form.Fail("name", "A role named “"+name+"” was just created by someone else. Choose another name, or edit that role.")
		case errors.Is(err, directory.ErrForbidden), errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "permission"):
			form.Fail("permission", sentence(err))
		case errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "rank"):
			form.Fail("rank", sentence(err))
		case errors.Is(err, directory.ErrInvalid):
			form.Fail("name", sentence(err))
		default:
			h.fail(w, r, v.s, err)
			return
		}
	}
	d.Form = form
	d.Error = "The role was not saved: please check the form."
	h.render(w, r, http.StatusBadRequest, "roles", d)
}

// editRole shows the form of a custom role.
func (h *Handler) editRole(w http.ResponseWriter, r *http.Request) {
	v, d := h.openRolesToChange(w, r, false)
	if v == nil {
		return
	}
	cur, ok := h.findCustomRole(w, r, v, d)
	if !ok {
		return
	}
	vals := url.Values{"name": {cur.Name}, "rank": {fmt.Sprint(cur.Rank)}}
	if !slices.ContainsFunc(d.Ranks, func(c rankChoice) bool { return c.Value == fmt.Sprint(cur.Rank) }) {
		// A rank set through the API stays what it is.
		d.Ranks = append(d.Ranks, rankChoice{Value: fmt.Sprint(cur.Rank), Words: "Where it is now"})
	}
	for _, p := range cur.Permissions {
		vals.Add("permission", string(p))
	}
	d.Editing, d.Form, d.Page.Title = cur, web.NewForm(vals), "Edit the role "+cur.Name
	h.render(w, r, http.StatusOK, "roles", d)
}

// confirmDeleteRole says what deleting a role does before it is done.
func (h *Handler) confirmDeleteRole(w http.ResponseWriter, r *http.Request) {
	v, d := h.openRolesToChange(w, r, false)
	if v == nil {
		return
	}
	cur, ok := h.findCustomRole(w, r, v, d)
	if !ok {
		return
	}
	c := &confirmData{Page: h.frame(r, v, "Delete the role "+cur.Name+"?", navRoles), Danger: true, Button: "Delete the role",
		Says: "The role is gone for good. It can be deleted only while nobody holds it, directly or through a team; change those members' role first.",
		Back: d.Base + "/roles", PostURL: r.URL.Path, Details: []detail{{"Role", cur.Name}}}
	h.render(w, r, http.StatusOK, "confirm", c)
}

// deleteRole deletes a custom role after its confirmation.
func (h *Handler) deleteRole(w http.ResponseWriter, r *http.Request) {
	v, d := h.openRolesToChange(w, r, true)
	if v == nil {
		return
	}
	cur, ok := h.findCustomRole(w, r, v, d)
	if !ok {
		return
	}
	if err := h.dir.DeleteCustomRole(r.Context(), v.actor, v.slug, cur.Key); err != nil {
		if errors.Is(err, directory.ErrConflict) {
			h.kit.Message(w, r, http.StatusConflict, v.s, "Role still in use",
				fmt.Sprintf("Members still hold the role %s, directly or through a team. Change their role, or the team's role, first; then delete it.", cur.Name))
			return
		}
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, d.Base+"/roles", "The role "+cur.Name+" is deleted.")
}
