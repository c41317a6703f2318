package setup

import (
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// maxSSOFormBytes bounds the single sign-on form: a few short fields.
const maxSSOFormBytes = 16 << 10

// ssoPage shows the provider's steps, the connection's form and the test
// sign-in; edit adjusts the page (a form shown again with its errors).
func (h *Handler) ssoPage(w http.ResponseWriter, r *http.Request, l directory.SetupLink, status int, edit func(*pageData)) {
	d := h.data(r, l, "Set up single sign-on")
	d.RedirectURI = h.signIn.RedirectURI()
	d.Scopes = "openid email profile"
	d.Steps = ssoSteps(l.Provider, d.RedirectURI)
	if l.OIDCConnectionID != "" {
		if c, err := h.dir.SetupSSOTestConnection(r.Context(), r.PathValue("token")); err == nil {
			d.Connection = &c
			d.Form.Values.Set("issuer", c.Issuer)
			d.Form.Values.Set("client_id", c.ClientID)
			d.Form.Values.Set("tenant", c.TenantID)
			d.Form.Values.Set("hd", c.HostedDomain)
		}
	}
	if l.Test != nil {
		d.Test = l.Test
		for k, v := range l.Test.Claims {
			d.Claims = append(d.Claims, claimRow{Name: k, Value: v})
		}
		sort.Slice(d.Claims, func(i, j int) bool { return d.Claims[i].Name < d.Claims[j].Name })
	}
	if edit != nil {
		edit(d)
	}
	h.kit.Render(w, r, status, pages["sso"], d)
}

// ssoSave checks the provider's details (discovery at once, through the
// sign-in door's guarded client) and saves the connection switched off.
func (h *Handler) ssoSave(w http.ResponseWriter, r *http.Request) {
	if !h.kit.ParseForm(w, r, nil, maxSSOFormBytes) {
		return
	}
	l, ok := h.open(w, r)
	if !ok {
		return
	}
	if l.Purpose != directory.SetupSSO {
		h.refuse(w, r, l, directory.ErrForbidden)
		return
	}
	f := r.PostForm
	req := directory.OIDCConnectionRequest{Kind: ssoKind(l.Provider), Issuer: f.Get("issuer"), ClientID: f.Get("client_id"), ClientSecret: f.Get("client_secret"),
		TenantID: f.Get("tenant"), HostedDomain: f.Get("hd")}
	if req.Kind == directory.OIDCGoogle {
		req.Issuer = ""
	}
	fail := func(field, msg string) {
		h.ssoPage(w, r, l, http.StatusUnprocessableEntity, func(d *pageData) {
			for _, k := range []string{"issuer", "client_id", "tenant", "hd"} {
				d.Form.Values.Set(k, f.Get(k))
			}
			d.Form.Fail(field, msg)
		})
	}
	if strings.TrimSpace(req.ClientID) == "" {
		fail("client_id", "Enter the client id (application id) the provider shows for the Roster app.")
		return
	}
	if strings.TrimSpace(req.ClientSecret) == "" {
		fail("client_secret", "Enter the client secret (its value, not its id). Roster stores it encrypted and never shows it again.")
		return
	}
	if err := directory.CheckOIDCConnectionRequest(&req); err != nil {
		fail(ssoField(req.Kind), sentence(err))
		return
	}
	if err := h.signIn.CheckDiscovery(r.Context(), req.Issuer); err != nil {
		fail(ssoField(req.Kind), "Roster could not use this provider: "+err.Error()+".")
		return
	}
	if _, err := h.dir.SetupSSOConnection(r.Context(), r.PathValue("token"), h.box, req); err != nil {
		if errors.Is(err, directory.ErrInvalid) || errors.Is(err, directory.ErrConflict) {
			fail(ssoField(req.Kind), sentence(err))
			return
		}
		h.refuse(w, r, l, err)
		return
	}
	h.kit.Redirect(w, r, "/setup/"+url.PathEscape(r.PathValue("token"))+"#test", "The provider answered and its details are saved. Single sign-on stays off until you run a test sign-in and switch it on.")
}

// ssoField is the field an error of the provider's address belongs to.
func ssoField(kind string) string {
	switch kind {
	case directory.OIDCEntra:
		return "tenant"
	case directory.OIDCGoogle:
		return "hd"
	}
	return "issuer"
}

// sentence turns a directory error into a sentence for a person.
func sentence(err error) string {
	s := err.Error()
	for _, p := range []string{"invalid: ", "invalid input: ", "conflict: "} {
		s = strings.TrimPrefix(s, p)
	}
	s = strings.ReplaceAll(s, " (--hd)", "")
	s = strings.ReplaceAll(s, "give --tenant with", "enter")
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// ssoTest starts a real sign-in through the connection, which is not on
// yet; the callback records the claims and comes back here.
func (h *Handler) ssoTest(w http.ResponseWriter, r *http.Request) {
	if !h.form(w, r) {
		return
	}
	c, err := h.dir.SetupSSOTestConnection(r.Context(), r.PathValue("token"))
	if err != nil {
		l, ok := h.open(w, r)
		if !ok {
			return
		}
		if errors.Is(err, directory.ErrNotFound) {
			h.ssoPage(w, r, l, http.StatusUnprocessableEntity, func(d *pageData) { d.Error = "Enter and save the provider's details first." })
			return
		}
		h.refuse(w, r, l, err)
		return
	}
	token := r.PathValue("token")
	h.signIn.StartTestSignIn(w, r, c, token, "/setup/"+url.PathEscape(token))
}
