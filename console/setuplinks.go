package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// createdSetupLinkStatus marks the flash item carrying a new setup link's
// URL, shown once like a new join link's.
const createdSetupLinkStatus = "setup_link_created"

// setupLinksData is the Setup links page: the links with their status and
// summary, and the form that makes one.
type setupLinksData struct {
	web.Page
	Base     string
	Links    []setupLinkRow
	Purposes []setupPurpose
	Form     *web.Form
}

type setupLinkRow struct {
	directory.SetupLink
	PurposeName, StatusName, StatusClass, ProviderName string
	Revocable                                          bool
}

type setupPurpose struct{ Key, Name, Hint string }

// setupLinkView opens a setup-link page: the viewer must be allowed to
// make links of some purpose (directory checks each call again).
func (h *Handler) setupLinkView(w http.ResponseWriter, r *http.Request) *view {
	v := h.open(w, r)
	if v != nil && !v.access.Can(directory.PermConnectionsManage) && !v.access.Can(directory.PermDomainsManage) {
		h.deny(w, r, v, "manage setup links")
		return nil
	}
	return v
}

func (h *Handler) setupLinksPage(r *http.Request, v *view) (*setupLinksData, error) {
	d := &setupLinksData{Page: h.frame(r, v, "Setup links", navSetupLinks), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug),
		Form: web.NewForm(url.Values{"hours": {"24"}})}
	if v.access.Can(directory.PermConnectionsManage) {
		d.Purposes = append(d.Purposes, setupPurpose{directory.SetupSCIM, "SCIM provisioning", "Their identity provider creates, updates and removes people and teams here."},
			setupPurpose{directory.SetupSSO, "Single sign-on", "People sign in with their company accounts; tested before it is switched on."})
	}
	if v.access.Can(directory.PermDomainsManage) {
		d.Purposes = append(d.Purposes, setupPurpose{directory.SetupDomain, "Domain verification", "They publish a DNS TXT record proving the company owns its email domain."})
	}
	d.Form.Values.Set("purpose", d.Purposes[0].Key)
	links, err := h.dir.ListSetupLinks(r.Context(), v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for _, l := range links {
		row := setupLinkRow{SetupLink: l, ProviderName: directory.SetupProviderName(l.Provider)}
		for _, p := range []setupPurpose{{directory.SetupSCIM, "SCIM provisioning", ""}, {directory.SetupSSO, "Single sign-on", ""}, {directory.SetupDomain, "Domain verification", ""}} {
			if p.Key == l.Purpose {
				row.PurposeName = p.Name
			}
		}
		switch l.Status(now) {
		case directory.SetupPending:
			row.StatusName, row.StatusClass, row.Revocable = "Waiting for the IT admin", "pending", true
		case directory.SetupCompleted:
			row.StatusName, row.StatusClass = "Finished", "active"
		case directory.SetupExpired:
			row.StatusName, row.StatusClass = "Expired", "expired"
		default:
			row.StatusName, row.StatusClass = "Revoked", "expired"
		}
		d.Links = append(d.Links, row)
	}
	return d, nil
}

func (h *Handler) setupLinks(w http.ResponseWriter, r *http.Request) {
	v := h.setupLinkView(w, r)
	if v == nil {
		return
	}
	d, err := h.setupLinksPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.render(w, r, http.StatusOK, "setuplinks", d)
}

func (h *Handler) createSetupLink(w http.ResponseWriter, r *http.Request) {
	v := h.setupLinkView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form := web.NewForm(r.PostForm)
	hours, err := strconv.Atoi(strings.TrimSpace(form.Value("hours")))
	if err != nil || hours < 1 || hours > 720 {
		form.Fail("hours", "Enter a whole number of hours from 1 to 720 (30 days).")
	}
	if len([]rune(form.Value("description"))) > 500 {
		form.Fail("description", "Keep the description under 500 characters.")
	}
	if form.OK() {
		_, _, link, err := h.dir.CreateSetupLink(r.Context(), v.actor, v.slug, directory.SetupLinkRequest{Purpose: form.Value("purpose"),
			Description: form.Value("description"), ExpiresIn: time.Duration(hours) * time.Hour})
		switch {
		case err == nil:
			h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/setup-links",
				"Setup link created. Copy it now and send it to the IT admin: it is shown only this once.", web.FlashItem{Label: link, Status: createdSetupLinkStatus})
			return
		case errors.Is(err, directory.ErrInvalid), errors.Is(err, directory.ErrForbidden):
			form.Fail("purpose", sentence(err))
		default:
			h.fail(w, r, v.s, err)
			return
		}
	}
	d, err := h.setupLinksPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Form, d.Error = form, "No link was created yet: please check the form."
	h.render(w, r, http.StatusBadRequest, "setuplinks", d)
}

func (h *Handler) revokeSetupLink(w http.ResponseWriter, r *http.Request) {
	v := h.setupLinkView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	if _, err := h.dir.RevokeSetupLink(r.Context(), v.actor, v.slug, r.PathValue("id")); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/setup-links", "Setup link revoked: it no longer works. What was set up with it stays.")
}
