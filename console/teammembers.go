package console

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/rosterhq/roster/directory"
)

// maxTeamCandidates bounds the people offered to add to a team: the
// first 500 members, by age (the API adds any number).
const maxTeamCandidates = 500

// teamCandidates are the members not yet in the team, for its "add a
// person" choice; only for viewers who may change it.
func (h *Handler) teamCandidates(r *http.Request, v *view, d *teamsData) error {
	if !d.CanManage || d.Team.IdP {
		return nil
	}
	page, err := h.dir.ListMembers(r.Context(), v.actor, v.slug, directory.MemberFilter{Limit: maxTeamCandidates})
	if err != nil {
		return err
	}
	for _, m := range page.Members {
		if !slices.ContainsFunc(d.Members, func(x joinedMember) bool { return x.ID == m.ID }) {
			d.Candidates = append(d.Candidates, m)
		}
	}
	return nil
}

// addTeamMember puts a member in the team (and so gives them its role).
func (h *Handler) addTeamMember(w http.ResponseWriter, r *http.Request) {
	h.changeTeamMember(w, r, true)
}

// removeTeamMember takes a member out of the team; they stay in the
// workspace and lose a role only the team gave them.
func (h *Handler) removeTeamMember(w http.ResponseWriter, r *http.Request) {
	h.changeTeamMember(w, r, false)
}

func (h *Handler) changeTeamMember(w http.ResponseWriter, r *http.Request, add bool) {
	v := h.teamsView(w, r, true)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	d := h.teamPage(w, r, v)
	if d == nil {
		return
	}
	back := d.Base + "/teams/" + url.PathEscape(d.Team.ID)
	var who directory.Member
	if add {
		id := r.PostForm.Get("member")
		i := slices.IndexFunc(d.Candidates, func(m directory.Member) bool { return m.ID == id })
		if i < 0 {
			d.Error = "Choose a person to add to the team."
			h.render(w, r, http.StatusBadRequest, "teams", d)
			return
		}
		who = d.Candidates[i]
	} else {
		i := slices.IndexFunc(d.Members, func(m joinedMember) bool { return m.ID == r.PathValue("member") })
		if i < 0 {
			h.kit.Message(w, r, http.StatusNotFound, v.s, "Not in the team", "This person is not in the team. Go back and reload the page.")
			return
		}
		who = d.Members[i].Member
	}
	name := who.Name
	if name == "" {
		name = who.Email
	}
	var err error
	if add {
		err = h.dir.AddTeamMembers(r.Context(), v.actor, v.slug, d.Team.ID, []string{who.ID})
	} else {
		err = h.dir.RemoveTeamMembers(r.Context(), v.actor, v.slug, d.Team.ID, []string{who.ID})
	}
	if errors.Is(err, directory.ErrForbidden) {
		d.Error = sentence(err)
		h.render(w, r, http.StatusForbidden, "teams", d)
		return
	} else if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	msg := name + " is in " + d.Team.Name + " now."
	if !add {
		msg = name + " has left " + d.Team.Name + "; they stay in the workspace."
	}
	h.kit.Redirect(w, r, back, msg)
}
