package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// registerConnections adds the Connections pages: SCIM provisioning,
// its request log, and single sign-on.
func (h *Handler) registerConnections(mux *http.ServeMux) {
	mux.HandleFunc("GET /workspaces/{slug}/connections/{$}", h.connections)
	mux.HandleFunc("GET /workspaces/{slug}/connections/scim", h.scim)
	mux.HandleFunc("POST /workspaces/{slug}/connections/scim", h.createSCIM)
	mux.HandleFunc("POST /workspaces/{slug}/connections/scim/settings", h.updateSCIM)
	mux.HandleFunc("POST /workspaces/{slug}/connections/scim/tokens", h.createSCIMToken)
	mux.HandleFunc("GET /workspaces/{slug}/connections/scim/tokens/{id}/{action}", h.confirmSCIMToken)
	mux.HandleFunc("POST /workspaces/{slug}/connections/scim/tokens/{id}/{action}", h.actOnSCIMToken)
	mux.HandleFunc("GET /workspaces/{slug}/connections/scim/log", h.scimLog)
	mux.HandleFunc("GET /workspaces/{slug}/connections/sso", h.sso)
	mux.HandleFunc("POST /workspaces/{slug}/connections/sso", h.createSSO)
	mux.HandleFunc("GET /workspaces/{slug}/connections/sso/{id}/secret", h.ssoSecretPage)
	mux.HandleFunc("POST /workspaces/{slug}/connections/sso/{id}/secret", h.rotateSSOSecret)
	mux.HandleFunc("GET /workspaces/{slug}/connections/sso/{id}/delete", h.confirmDeleteSSO)
	mux.HandleFunc("POST /workspaces/{slug}/connections/sso/{id}/delete", h.deleteSSO)
}

// connections opens the first Connections page.
func (h *Handler) connections(w http.ResponseWriter, r *http.Request) {
	if v := h.connectionView(w, r); v != nil {
		http.Redirect(w, r, h.scimBase(v), http.StatusSeeOther)
	}
}

// kindChoices are the kinds of OIDC connection in the words of the page.
var kindChoices = []choice{
	{directory.OIDCEntra, "Microsoft Entra ID"},
	{directory.OIDCGoogle, "Google Workspace"},
	{directory.OIDCGeneric, "Another OpenID Connect provider (Okta, Auth0, Keycloak, …)"},
}

// kindLabel is a kind's short name, for lists.
func kindLabel(kind string) string {
	switch kind {
	case directory.OIDCEntra:
		return "Microsoft Entra ID"
	case directory.OIDCGoogle:
		return "Google Workspace"
	}
	return "OpenID Connect"
}

// ssoData is the Single sign-on page.
type ssoData struct {
	web.Page
	Base        string
	Conns       []ssoRow
	RedirectURI string
	Kinds       []choice
	Form        *web.Form
}

type ssoRow struct {
	directory.OIDCConnection
	KindLabel string
}

func (h *Handler) ssoBase(v *view) string {
	return "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug) + "/connections/sso"
}

// redirectURI is what every provider must have registered: the sign-in
// pages' callback (oidc.Config.BaseURL + /auth/callback).
func (h *Handler) redirectURI() string { return h.dir.BaseURL() + "/auth/callback" }

func (h *Handler) ssoPage(r *http.Request, v *view, form *web.Form) (*ssoData, error) {
	d := &ssoData{Page: h.frame(r, v, "Single sign-on", navSSO), Base: h.ssoBase(v), RedirectURI: h.redirectURI(), Kinds: kindChoices, Form: form}
	if d.Form == nil {
		d.Form = web.NewForm(url.Values{"kind": {directory.OIDCEntra}})
	}
	list, err := h.dir.ListOIDCConnections(r.Context(), v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	for _, c := range list {
		d.Conns = append(d.Conns, ssoRow{OIDCConnection: c, KindLabel: kindLabel(c.Kind)})
	}
	return d, nil
}

// sso lists the workspace's identity providers, with the form that adds
// one.
func (h *Handler) sso(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil {
		return
	}
	d, err := h.ssoPage(r, v, nil)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.render(w, r, http.StatusOK, "sso", d)
}

// ssoFieldOf is the form field a refused connection belongs to, with a
// sentence for it.
func ssoFieldOf(err error) (field, msg string) {
	s := err.Error()
	switch {
	case errors.Is(err, directory.ErrConflict):
		return "client_id", "This workspace already has a connection with this issuer and client ID."
	case strings.Contains(s, "kind must be"):
		return "kind", "Choose your identity provider."
	case strings.Contains(s, "google connection needs"):
		return "hosted_domain", "Enter your Google Workspace domain, for example example.com: only accounts of that domain may sign in."
	case strings.Contains(s, "pinned to one tenant"):
		return "tenant_id", "Enter your directory (tenant) ID from the Microsoft Entra admin center: a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47. “common” and “organizations” are not accepted."
	case strings.Contains(s, "issuer of an entra connection"):
		return "issuer", "For Microsoft Entra ID, leave the issuer empty, or use the one that names your tenant."
	case strings.Contains(s, "issuer"):
		return "issuer", "Enter your provider's issuer URL, starting with https://, without ? or #."
	case strings.Contains(s, "client id"):
		return "client_id", "Enter the client ID (also called application ID) your provider gave you."
	case strings.Contains(s, "client secret"):
		return "client_secret", "Enter the client secret your provider gave you."
	case strings.Contains(s, "domain"):
		return "domains", "Enter email domains such as example.com, separated by commas, or leave this empty."
	}
	return "", ""
}

// ssoFormError puts a refused connection's error next to its field;
// false when it already answered with an error page.
func (h *Handler) ssoFormError(w http.ResponseWriter, r *http.Request, v *view, form *web.Form, err error) bool {
	field, msg := ssoFieldOf(err)
	if field == "" || !(errors.Is(err, directory.ErrInvalid) || errors.Is(err, directory.ErrConflict)) {
		h.fail(w, r, v.s, err)
		return false
	}
	form.Fail(field, msg)
	return true
}

// createSSO adds an identity provider.
func (h *Handler) createSSO(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form := web.NewForm(r.PostForm)
	secret := form.Value("client_secret")
	// The secret is never sent back to the browser, not even to a form
	// shown again.
	form.Values.Del("client_secret")
	kind := form.Value("kind")
	switch kind {
	case directory.OIDCGeneric:
		if strings.TrimSpace(form.Value("issuer")) == "" {
			form.Fail("issuer", "Enter your provider's issuer URL, for example https://yourcompany.okta.com.")
		}
	case directory.OIDCEntra, directory.OIDCGoogle:
	default:
		form.Fail("kind", "Choose your identity provider.")
	}
	if strings.TrimSpace(form.Value("client_id")) == "" {
		form.Fail("client_id", "Enter the client ID (also called application ID) your provider gave you.")
	}
	if secret == "" {
		form.Fail("client_secret", "Enter the client secret your provider gave you.")
	} else if len(secret) > 1000 {
		form.Fail("client_secret", "The client secret is longer than 1,000 characters. Check what you pasted.")
	}
	domains := strings.FieldsFunc(form.Value("domains"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' })
	if len(domains) > 100 {
		form.Fail("domains", "Enter at most 100 domains.")
	}
	if form.OK() {
		c, err := h.dir.CreateOIDCConnection(r.Context(), v.actor, v.slug, h.box, directory.OIDCConnectionRequest{Name: form.Value("name"), Kind: kind,
			Issuer: form.Value("issuer"), ClientID: form.Value("client_id"), ClientSecret: secret, TenantID: form.Value("tenant_id"),
			HostedDomain: form.Value("hosted_domain"), Domains: domains})
		if err == nil {
			h.kit.Redirect(w, r, h.ssoBase(v), "“"+c.Name+"” is added. People of your verified domains now sign in through "+kindLabel(c.Kind)+".")
			return
		}
		if !h.ssoFormError(w, r, v, form, err) {
			return
		}
	}
	if secret != "" && !form.OK() && form.Error("client_secret") == "" {
		form.Fail("client_secret", "For your security the secret was not kept: enter it again.")
	}
	d, err := h.ssoPage(r, v, form)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Error = "The connection was not added: please check the form."
	h.render(w, r, http.StatusBadRequest, "sso", d)
}

// findSSO loads one connection of the workspace; one of another
// workspace reads as one that does not exist.
func (h *Handler) findSSO(w http.ResponseWriter, r *http.Request, v *view) (directory.OIDCConnection, bool) {
	list, err := h.dir.ListOIDCConnections(r.Context(), v.actor, v.slug)
	if err != nil {
		h.fail(w, r, v.s, err)
		return directory.OIDCConnection{}, false
	}
	for _, c := range list {
		if c.ID == r.PathValue("id") {
			return c, true
		}
	}
	h.kit.Message(w, r, http.StatusNotFound, v.s, "Connection not found", "This single sign-on connection does not exist in this workspace. Go back to Single sign-on.")
	return directory.OIDCConnection{}, false
}

// ssoSecretData is the page that rotates a client secret.
type ssoSecretData struct {
	web.Page
	Base string
	Conn ssoRow
	Form *web.Form
}

func (h *Handler) ssoSecretPage(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil {
		return
	}
	c, ok := h.findSSO(w, r, v)
	if !ok {
		return
	}
	h.render(w, r, http.StatusOK, "ssosecret", &ssoSecretData{Page: h.frame(r, v, "New client secret for “"+c.Name+"”", navSSO), Base: h.ssoBase(v),
		Conn: ssoRow{OIDCConnection: c, KindLabel: kindLabel(c.Kind)}, Form: web.NewForm(nil)})
}

// rotateSSOSecret replaces a connection's client secret.
func (h *Handler) rotateSSOSecret(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	c, ok := h.findSSO(w, r, v)
	if !ok {
		return
	}
	secret := r.PostForm.Get("client_secret")
	form := web.NewForm(nil)
	switch {
	case secret == "":
		form.Fail("client_secret", "Enter the new client secret your provider gave you.")
	case len(secret) > 1000:
		form.Fail("client_secret", "The client secret is longer than 1,000 characters. Check what you pasted.")
	}
	if form.OK() {
		_, err := h.dir.UpdateOIDCConnection(r.Context(), v.actor, v.slug, c.ID, h.box, directory.OIDCConnectionUpdate{ClientSecret: &secret})
		if err == nil {
			h.kit.Redirect(w, r, h.ssoBase(v), "The client secret of “"+c.Name+"” is replaced. Sign-ins use the new one from now on.")
			return
		}
		if !h.ssoFormError(w, r, v, form, err) {
			return
		}
	}
	d := &ssoSecretData{Page: h.frame(r, v, "New client secret for “"+c.Name+"”", navSSO), Base: h.ssoBase(v), Conn: ssoRow{OIDCConnection: c, KindLabel: kindLabel(c.Kind)}, Form: form}
	d.Error = "The secret was not changed: please check the form."
	h.render(w, r, http.StatusBadRequest, "ssosecret", d)
}

// confirmDeleteSSO says what deleting a connection does before it is
// done.
func (h *Handler) confirmDeleteSSO(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil {
		return
	}
	c, ok := h.findSSO(w, r, v)
	if !ok {
		return
	}
	d := &confirmData{Page: h.frame(r, v, "Delete “"+c.Name+"”?", navSSO), Danger: true, Button: "Delete the connection",
		Says: "Nobody can sign in to " + v.access.WorkspaceName + " through this provider any more. People who are signed in stay signed in until their session ends; " +
			"their memberships stay. If you add the provider again, people are linked again at their next sign-in.",
		Back: h.ssoBase(v), PostURL: r.URL.Path,
		Details: []detail{{"Connection", c.Name}, {"Provider", kindLabel(c.Kind)}, {"Issuer", c.Issuer}, {"Client ID", c.ClientID}}}
	h.render(w, r, http.StatusOK, "confirm", d)
}

func (h *Handler) deleteSSO(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	c, ok := h.findSSO(w, r, v)
	if !ok {
		return
	}
	if err := h.dir.DeleteOIDCConnection(r.Context(), v.actor, v.slug, c.ID); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, h.ssoBase(v), "“"+c.Name+"” is deleted: nobody signs in through it any more.")
}
