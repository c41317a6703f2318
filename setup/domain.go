package setup

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/rosterhq/roster/directory"
)

// domainPage shows the workspace's domains with their TXT records and a
// check-now button each; edit adjusts the page.
func (h *Handler) domainPage(w http.ResponseWriter, r *http.Request, l directory.SetupLink, status int, edit func(*pageData)) {
	d := h.data(r, l, "Verify your domain")
	doms, err := h.dir.SetupDomains(r.Context(), r.PathValue("token"))
	if err != nil {
		h.refuse(w, r, l, err)
		return
	}
	d.Domains = doms
	if edit != nil {
		edit(d)
	}
	h.kit.Render(w, r, status, pages["domain"], d)
}

func (h *Handler) domainAdd(w http.ResponseWriter, r *http.Request) {
	if !h.form(w, r) {
		return
	}
	name := r.PostFormValue("domain")
	_, err := h.dir.SetupAddDomain(r.Context(), r.PathValue("token"), name)
	if err == nil {
		h.kit.Redirect(w, r, "/setup/"+url.PathEscape(r.PathValue("token")), "Added "+name+". Publish its TXT record, then check it.")
		return
	}
	l, ok := h.open(w, r)
	if !ok {
		return
	}
	if errors.Is(err, directory.ErrInvalid) || errors.Is(err, directory.ErrConflict) {
		h.domainPage(w, r, l, http.StatusUnprocessableEntity, func(d *pageData) {
			d.Form.Values.Set("domain", name)
			d.Form.Fail("domain", sentence(err))
		})
		return
	}
	h.refuse(w, r, l, err)
}

func (h *Handler) domainCheck(w http.ResponseWriter, r *http.Request) {
	if !h.form(w, r) {
		return
	}
	dom, err := h.dir.SetupVerifyDomain(r.Context(), r.PathValue("token"), r.PathValue("id"))
	if err == nil {
		h.kit.Redirect(w, r, "/setup/"+url.PathEscape(r.PathValue("token")), dom.Domain+" is verified.")
		return
	}
	l, ok := h.open(w, r)
	if !ok {
		return
	}
	if errors.Is(err, directory.ErrInvalid) || errors.Is(err, directory.ErrConflict) {
		h.domainPage(w, r, l, http.StatusUnprocessableEntity, func(d *pageData) { d.Error = sentence(err) })
		return
	}
	if errors.Is(err, directory.ErrNotFound) {
		h.message(w, r, http.StatusNotFound, "Domain not found", "This domain is not one of "+l.WorkspaceName+"'s. Go back to the setup page.")
		return
	}
	h.refuse(w, r, l, err)
}
