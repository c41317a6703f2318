package setup

import (
	"net/http"

	"github.com/rosterhq/roster/directory"
)

// requestLogSize is how many requests the live log shows.
const requestLogSize = 25

// scimPage shows the provider's SCIM steps and the request log; token is
// the SCIM token just generated (shown this once), "" otherwise.
func (h *Handler) scimPage(w http.ResponseWriter, r *http.Request, l directory.SetupLink, token string) {
	d := h.data(r, l, "Set up SCIM provisioning")
	d.SCIMBaseURL = h.baseURL + "/scim/v2"
	d.SCIMToken = token
	d.Steps = scimSteps(l.Provider, d.SCIMBaseURL, token)
	if !h.fillRequests(w, r, l, d) {
		return
	}
	h.kit.Render(w, r, http.StatusOK, pages["scim"], d)
}

func (h *Handler) fillRequests(w http.ResponseWriter, r *http.Request, l directory.SetupLink, d *pageData) bool {
	reqs, err := h.dir.SetupSCIMRequests(r.Context(), r.PathValue("token"), requestLogSize)
	if err != nil {
		h.refuse(w, r, l, err)
		return false
	}
	for _, q := range reqs {
		d.Requests = append(d.Requests, explain(q))
	}
	return true
}

func (h *Handler) scimToken(w http.ResponseWriter, r *http.Request) {
	if !h.form(w, r) {
		return
	}
	_, secret, err := h.dir.SetupSCIMToken(r.Context(), r.PathValue("token"))
	l, ok := h.open(w, r)
	if !ok {
		return
	}
	if err != nil {
		h.refuse(w, r, l, err)
		return
	}
	// Rendered, not redirected: the token is shown on this answer only.
	h.scimPage(w, r, l, secret)
}

// scimRequests is the request log on its own, refreshing itself: the
// live view without JavaScript, and what the page's script reads.
func (h *Handler) scimRequests(w http.ResponseWriter, r *http.Request) {
	l, ok := h.open(w, r)
	if !ok {
		return
	}
	if l.Purpose != directory.SetupSCIM {
		h.refuse(w, r, l, directory.ErrForbidden)
		return
	}
	d := h.data(r, l, "SCIM requests")
	d.Refresh = 5
	if l.CompletedAt != nil {
		h.refuse(w, r, l, directory.ErrUsed)
		return
	}
	if !h.fillRequests(w, r, l, d) {
		return
	}
	h.kit.Render(w, r, http.StatusOK, pages["requests"], d)
}
