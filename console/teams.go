package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// teamsData is the Teams page and a team's own page.
type teamsData struct {
	web.Page
	Base      string
	Teams     []teamRow
	CanManage bool
	// Roles a team may map to: those the viewer can grant.
	Roles []directory.Role
	Form  *web.Form
	// Team and Members are set on a team's own page.
	Team    *teamRow
	Members []joinedMember
	// Candidates are the members the viewer may add to the team.
	Candidates []directory.Member
}

// teamRow is a team with what the page says about it.
type teamRow struct {
	directory.Team
	RoleName string
	// IdP: the workspace's identity provider pushed the team and keeps
	// its name and members in step.
	IdP bool
}

// teamsView opens a teams page: members.read to read (as ListTeams and
// ListTeamMembers require), members.manage to change (as CreateTeam,
// UpdateTeam and DeleteTeam require).
func (h *Handler) teamsView(w http.ResponseWriter, r *http.Request, change bool) *view {
	v := h.open(w, r)
	switch {
	case v == nil:
	case !v.access.Can(directory.PermMembersRead):
		h.deny(w, r, v, "see the teams")
		return nil
	case change && !v.access.Can(directory.PermMembersManage):
		h.deny(w, r, v, "change teams")
		return nil
	}
	return v
}

func (h *Handler) teamsPage(r *http.Request, v *view) (*teamsData, error) {
	ctx := r.Context()
	teams, err := h.dir.ListTeams(ctx, v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	roles, err := h.dir.ListRoles(ctx, v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	names := roleNames(roles)
	d := &teamsData{Page: h.frame(r, v, "Teams", navTeams), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug),
		CanManage: v.access.Can(directory.PermMembersManage), Roles: v.access.GrantableRoles, Form: web.NewForm(nil)}
	for _, t := range teams {
		row := teamRow{Team: t, IdP: t.ManagedBy == directory.TeamManagedBySCIM}
		if t.Role != nil {
			row.RoleName = names(*t.Role)
		}
		d.Teams = append(d.Teams, row)
	}
	return d, nil
}

// teams lists the teams, with the form that makes one.
func (h *Handler) teams(w http.ResponseWriter, r *http.Request) {
	v := h.teamsView(w, r, false)
	if v == nil {
		return
	}
	d, err := h.teamsPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.render(w, r, http.StatusOK, "teams", d)
}

// findTeam picks the team of the path out of the workspace's teams; a
// team of another workspace reads as one that does not exist.
func (h *Handler) findTeam(w http.ResponseWriter, r *http.Request, v *view, d *teamsData) bool {
	for i := range d.Teams {
		if d.Teams[i].ID == r.PathValue("id") {
			d.Team = &d.Teams[i]
			return true
		}
	}
	h.kit.Message(w, r, http.StatusNotFound, v.s, "Team not found", "This team does not exist in this workspace. Go back to the teams.")
	return false
}

// teamForm reads the name and role fields; role "" is no mapping.
func teamForm(r *http.Request) (*web.Form, string, *string) {
	form := web.NewForm(r.PostForm)
	name := strings.TrimSpace(form.Value("name"))
	var role *string
	if x := form.Value("role"); x != "" {
		role = &x
	}
	return form, name, role
}

// teamError puts a directory refusal next to its field, or reports
// false for an error that is not the form's.
func teamError(form *web.Form, err error) bool {
	switch {
	case errors.Is(err, directory.ErrConflict), errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "name"):
		form.Fail("name", sentence(err))
	case errors.Is(err, directory.ErrInvalid), errors.Is(err, directory.ErrForbidden):
		form.Fail("role", sentence(err))
	default:
		return false
	}
	return true
}

// createTeam makes a team.
func (h *Handler) createTeam(w http.ResponseWriter, r *http.Request) {
	v := h.teamsView(w, r, true)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form, name, role := teamForm(r)
	if name == "" {
		form.Fail("name", "Give the team a name, for example “Support”.")
	} else if t, err := h.dir.CreateTeam(r.Context(), v.actor, v.slug, directory.TeamRequest{Name: name, Role: role}); err == nil {
		h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/teams/"+url.PathEscape(t.ID), "The team "+t.Name+" is created. Add people to it below.")
		return
	} else if !teamError(form, err) {
		h.fail(w, r, v.s, err)
		return
	}
	d, err := h.teamsPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Form, d.Error = form, "The team was not created: please check the form."
	h.render(w, r, http.StatusBadRequest, "teams", d)
}

// teamPage loads a team's own page with its members.
func (h *Handler) teamPage(w http.ResponseWriter, r *http.Request, v *view) *teamsData {
	d, err := h.teamsPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return nil
	}
	if !h.findTeam(w, r, v, d) {
		return nil
	}
	members, err := h.dir.ListTeamMembers(r.Context(), v.actor, v.slug, d.Team.ID)
	if err != nil {
		h.fail(w, r, v.s, err)
		return nil
	}
	for _, m := range members {
		d.Members = append(d.Members, joinedMember{Member: m, StatusLabel: statusLabel(m.Status)})
	}
	if err := h.teamCandidates(r, v, d); err != nil {
		h.fail(w, r, v.s, err)
		return nil
	}
	role := ""
	if d.Team.Role != nil {
		role = *d.Team.Role
	}
	d.Page.Title = d.Team.Name
	d.Form = web.NewForm(url.Values{"name": {d.Team.Name}, "role": {role}})
	return d
}

// team shows one team: its role mapping, who manages it, its members.
func (h *Handler) team(w http.ResponseWriter, r *http.Request) {
	v := h.teamsView(w, r, false)
	if v == nil {
		return
	}
	if d := h.teamPage(w, r, v); d != nil {
		h.render(w, r, http.StatusOK, "teams", d)
	}
}

// updateTeam renames a team and changes its role mapping. The identity
// provider's teams keep the name it sends, so their form has no name.
func (h *Handler) updateTeam(w http.ResponseWriter, r *http.Request) {
	v := h.teamsView(w, r, true)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	d := h.teamPage(w, r, v)
	if d == nil {
		return
	}
	form, name, role := teamForm(r)
	u := directory.TeamUpdate{Role: role, ClearRole: role == nil}
	if !d.Team.IdP {
		if name == "" {
			form.Fail("name", "A team needs a name.")
		}
		u.Name = &name
	} else {
		form.Values.Set("name", d.Team.Name)
	}
	if form.OK() {
		t, err := h.dir.UpdateTeam(r.Context(), v.actor, v.slug, d.Team.ID, u)
		if err == nil {
			msg := "Saved. Members of " + t.Name + " get no role from the team."
			if t.Role != nil {
				msg = "Saved. Members of " + t.Name + " hold at least the role " + roleNamesOf(d.Roles, *t.Role) + "."
			}
			h.kit.Redirect(w, r, d.Base+"/teams/"+url.PathEscape(t.ID), msg)
			return
		}
		if !teamError(form, err) {
			h.fail(w, r, v.s, err)
			return
		}
	}
	d.Form, d.Error = form, "The team was not changed: please check the form."
	h.render(w, r, http.StatusBadRequest, "teams", d)
}

func roleNamesOf(roles []directory.Role, key string) string {
	for _, x := range roles {
		if x.Key == key {
			return x.Name
		}
	}
	return key
}

// confirmDeleteTeam says what deleting a team does before it is done.
func (h *Handler) confirmDeleteTeam(w http.ResponseWriter, r *http.Request) {
	v := h.teamsView(w, r, true)
	if v == nil {
		return
	}
	d, err := h.teamsPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	if !h.findTeam(w, r, v, d) {
		return
	}
	says := fmt.Sprintf("The %d members of %s stay in %s; they only leave the team.", d.Team.MemberCount, d.Team.Name, v.access.WorkspaceName)
	if d.Team.RoleName != "" {
		says += " Those who were " + d.Team.RoleName + " only through the team go back to their own role."
	}
	if d.Team.IdP {
		says += " Your identity provider sends this team; if it sends the group again, the team comes back."
	}
	c := &confirmData{Page: h.frame(r, v, "Delete the team "+d.Team.Name+"?", navTeams), Danger: true, Button: "Delete the team", Says: says,
		Back: d.Base + "/teams/" + url.PathEscape(d.Team.ID), PostURL: r.URL.Path, Details: []detail{{"Team", d.Team.Name}, {"Members", fmt.Sprint(d.Team.MemberCount)}}}
	h.render(w, r, http.StatusOK, "confirm", c)
}

// deleteTeam deletes a team after its confirmation.
func (h *Handler) deleteTeam(w http.ResponseWriter, r *http.Request) {
	v := h.teamsView(w, r, true)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	d, err := h.teamsPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	if !h.findTeam(w, r, v, d) {
		return
	}
	if err := h.dir.DeleteTeam(r.Context(), v.actor, v.slug, d.Team.ID); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, d.Base+"/teams", "The team "+d.Team.Name+" is deleted; its members stay in the workspace.")
}
