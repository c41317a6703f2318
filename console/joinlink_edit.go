package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// joinLinkForm is a join link form as submitted, checked for what the
// page can say next to each field before asking directory.
type joinLinkForm struct {
	desc, role, mode, notify string
	teams, people            []string
}

// readJoinLinkForm reads the fields shared by the create and edit forms
// and records on form what is missing.
func readJoinLinkForm(form *web.Form, r *http.Request) joinLinkForm {
	f := joinLinkForm{desc: strings.TrimSpace(form.Value("description")), role: form.Value("role"), mode: form.Value("mode"),
		notify: form.Value("notify"), teams: r.PostForm["team"], people: r.PostForm["notify_person"]}
	switch {
	case f.desc == "":
		form.Fail("description", "Say who the link is for and where you will share it, for example “Contractors 2026, shared in the vendor channel”.")
	case len([]rune(f.desc)) > 500:
		form.Fail("description", "Keep the description under 500 characters.")
	}
	if f.mode != directory.JoinModeApproval && f.mode != directory.JoinModeDirect {
		form.Fail("mode", "Choose whether people need approval or join at once.")
	}
	if f.mode == directory.JoinModeDirect {
		f.notify = directory.JoinNotifyNobody
	}
	switch f.notify {
	case directory.JoinNotifyAllManagers, directory.JoinNotifyNobody:
	case directory.JoinNotifyPeople:
		if len(f.people) == 0 {
			form.Fail("notify", "Choose at least one person to notify, or another option.")
		}
	default:
		form.Fail("notify", "Choose who is told about a request.")
	}
	return f
}

// joinLinkFieldError puts a directory refusal of a join link form next to
// its field; false for an error that is no field's.
func joinLinkFieldError(form *web.Form, err error) bool {
	msg := sentence(err)
	switch {
	case errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "team"):
		form.Fail("team", msg)
	case errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "description"):
		form.Fail("description", msg)
	case errors.Is(err, directory.ErrInvalid) && (strings.Contains(err.Error(), "notify") || strings.Contains(err.Error(), "active member")):
		form.Fail("notify", msg)
	case errors.Is(err, directory.ErrInvalid), errors.Is(err, directory.ErrForbidden), errors.Is(err, directory.ErrNotFound):
		form.Fail("role", msg)
	default:
		return false
	}
	return true
}

// joinLinkEditData is the page that edits one link.
type joinLinkEditData struct {
	*joinLinksData
	Link directory.JoinLink
}

// editJoinLinkView loads the link to edit and the form's choices; a
// revoked link has nothing left to edit.
func (h *Handler) editJoinLinkView(w http.ResponseWriter, r *http.Request) (*view, *joinLinkEditData) {
	v := h.joinLinkView(w, r)
	if v == nil {
		return nil, nil
	}
	l, ok := h.findJoinLink(w, r, v)
	if !ok {
		return nil, nil
	}
	if l.RevokedAt != nil {
		h.kit.Message(w, r, http.StatusConflict, v.s, "Link revoked", "This link was revoked; it cannot be changed any more. Create a new link instead.")
		return nil, nil
	}
	d, err := h.joinLinksPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return nil, nil
	}
	d.Title = "Edit “" + l.Description + "”"
	return v, &joinLinkEditData{joinLinksData: d, Link: l}
}

// editJoinLinkPage shows the link's settings in the form.
func (h *Handler) editJoinLinkPage(w http.ResponseWriter, r *http.Request) {
	v, d := h.editJoinLinkView(w, r)
	if v == nil {
		return
	}
	l := d.Link
	d.Form = web.NewForm(url.Values{"description": {l.Description}, "role": {l.Role}, "mode": {l.Mode}, "notify": {l.Notify},
		"team": l.Teams, "notify_person": l.NotifyPeople})
	h.render(w, r, http.StatusOK, "joinlinkedit", d)
}

// editJoinLink saves the form: every field, so that unchecking the last
// team clears the teams.
func (h *Handler) editJoinLink(w http.ResponseWriter, r *http.Request) {
	v, d := h.editJoinLinkView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form := web.NewForm(r.PostForm)
	d.Form = form
	f := readJoinLinkForm(form, r)
	if form.OK() {
		teams, people := f.teams, f.people
		if teams == nil {
			teams = []string{}
		}
		if people == nil || f.notify != directory.JoinNotifyPeople {
			people = []string{}
		}
		_, err := h.dir.UpdateJoinLink(r.Context(), v.actor, v.slug, d.Link.ID, directory.JoinLinkUpdate{Description: &f.desc, Role: &f.role,
			Teams: teams, Mode: &f.mode, Notify: &f.notify, NotifyPeople: people})
		switch {
		case err == nil:
			h.kit.Redirect(w, r, d.Base+"/join-links", "“"+f.desc+"” is saved. The link itself has not changed: people who have it can keep using it.")
			return
		case errors.Is(err, directory.ErrRevoked):
			h.kit.Message(w, r, http.StatusConflict, v.s, "Link revoked", "This link was revoked in the meantime; it cannot be changed any more.")
			return
		case !joinLinkFieldError(form, err):
			h.fail(w, r, v.s, err)
			return
		}
	}
	d.Error = "The link was not changed: please check the form."
	h.render(w, r, http.StatusBadRequest, "joinlinkedit", d)
}
