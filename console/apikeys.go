package console

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// createdKeyStatus marks the flash item that carries a new API key's
// token to the page after the POST, shown once as join links are.
const createdKeyStatus = "api_key_created"

// apiKeysData is the API keys page: the keys and the form that makes one.
type apiKeysData struct {
	web.Page
	Base  string
	Keys  []apiKeyRow
	Roles []directory.Role
	Form  *web.Form
}

// apiKeyRow is a key with its role's name and its state in words.
type apiKeyRow struct {
	directory.APIKey
	RoleName string
	Expired  bool
}

// apiKeyView opens an API key page: keys need connections.manage, as the
// admin API's key routes do.
func (h *Handler) apiKeyView(w http.ResponseWriter, r *http.Request) *view {
	v := h.open(w, r)
	if v != nil && !v.access.Can(directory.PermConnectionsManage) {
		h.deny(w, r, v, "manage API keys")
		return nil
	}
	return v
}

func (h *Handler) apiKeysPage(r *http.Request, v *view, form *web.Form) (*apiKeysData, error) {
	keys, err := h.dir.ListAPIKeys(r.Context(), v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	d := &apiKeysData{Page: h.frame(r, v, "API keys", navAPIKeys), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug),
		Roles: v.access.GrantableRoles, Form: form}
	names := map[string]string{}
	for _, x := range v.access.GrantableRoles {
		names[x.Key] = x.Name
	}
	roles, err := h.dir.ListRoles(r.Context(), v.actor, v.slug)
	if err == nil {
		for _, x := range roles {
			names[x.Key] = x.Name
		}
	}
	now := time.Now()
	for _, k := range keys {
		row := apiKeyRow{APIKey: k, RoleName: names[k.Role], Expired: k.ExpiresAt != nil && !k.ExpiresAt.After(now)}
		if row.RoleName == "" {
			row.RoleName = k.Role
		}
		d.Keys = append(d.Keys, row)
	}
	return d, nil
}

// apiKeys lists the keys with the form to make one and, once after making
// one, its token.
func (h *Handler) apiKeys(w http.ResponseWriter, r *http.Request) {
	v := h.apiKeyView(w, r)
	if v == nil {
		return
	}
	d, err := h.apiKeysPage(r, v, web.NewForm(nil))
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.render(w, r, http.StatusOK, "apikeys", d)
}

// createAPIKey makes a key and shows its token once on the next page.
func (h *Handler) createAPIKey(w http.ResponseWriter, r *http.Request) {
	v := h.apiKeyView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form := web.NewForm(r.PostForm)
	name := strings.TrimSpace(form.Value("name"))
	if name == "" {
		form.Fail("name", "Say what the key is for, for example “Billing sync”, so that you know what stops working if you revoke it.")
	}
	if form.Value("role") == "" {
		form.Fail("role", "Choose the role the key acts with.")
	}
	var expires *time.Time
	if s := strings.TrimSpace(form.Value("expires")); s != "" {
		day, err := time.Parse("2006-01-02", s)
		if err != nil {
			form.Fail("expires", "Enter the date as year-month-day, for example 2027-01-31, or leave it empty.")
		} else {
			// The key works through the whole chosen day (UTC).
			end := day.Add(24 * time.Hour)
			expires = &end
		}
	}
	if form.OK() {
		key, token, err := h.dir.CreateAPIKey(r.Context(), v.actor, v.slug, directory.APIKeyRequest{Name: name, Role: form.Value("role"), ExpiresAt: expires})
		if err == nil {
			h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/api-keys",
				"API key “"+key.Name+"” created. Copy it now: it is shown only this once.", web.FlashItem{Label: token, Status: createdKeyStatus})
			return
		}
		switch {
		case errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "expires"):
			form.Fail("expires", "Choose a day in the future, or leave it empty.")
		case errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "name"):
			form.Fail("name", sentence(err))
		case errors.Is(err, directory.ErrInvalid), errors.Is(err, directory.ErrForbidden), errors.Is(err, directory.ErrNotFound):
			form.Fail("role", sentence(err))
		default:
			h.fail(w, r, v.s, err)
			return
		}
	}
	d, err := h.apiKeysPage(r, v, form)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Error = "No key was created yet: please check the form."
	h.render(w, r, http.StatusBadRequest, "apikeys", d)
}

// findAPIKey loads one key of the workspace; another workspace's reads as
// one that does not exist.
func (h *Handler) findAPIKey(w http.ResponseWriter, r *http.Request, v *view) (directory.APIKey, bool) {
	keys, err := h.dir.ListAPIKeys(r.Context(), v.actor, v.slug)
	if err != nil {
		h.fail(w, r, v.s, err)
		return directory.APIKey{}, false
	}
	for _, k := range keys {
		if k.ID == r.PathValue("id") {
			return k, true
		}
	}
	h.kit.Message(w, r, http.StatusNotFound, v.s, "API key not found", "This API key does not exist in this workspace. Go back to the API keys.")
	return directory.APIKey{}, false
}

// confirmRevokeAPIKey says what revoking does before it is done.
func (h *Handler) confirmRevokeAPIKey(w http.ResponseWriter, r *http.Request) {
	v := h.apiKeyView(w, r)
	if v == nil {
		return
	}
	k, ok := h.findAPIKey(w, r, v)
	if !ok {
		return
	}
	if k.RevokedAt != nil {
		h.kit.Message(w, r, http.StatusConflict, v.s, "Already revoked", "This key was revoked on "+k.RevokedAt.UTC().Format("2 Jan 2006")+". Go back to the API keys.")
		return
	}
	last := "Never"
	if k.LastUsedAt != nil {
		last = k.LastUsedAt.UTC().Format("2 Jan 2006")
	}
	d := &confirmData{Page: h.frame(r, v, "Revoke “"+k.Name+"”?", navAPIKeys), Danger: true, Button: "Revoke the key",
		Says: "The next request made with this key is refused, for good: whatever uses it stops working until you give it a new key. This cannot be undone.",
		Back: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug) + "/api-keys", PostURL: r.URL.Path,
		Details: []detail{{"Key", k.Name}, {"Starts with", k.TokenPrefix + "…"}, {"Created", k.CreatedAt.UTC().Format("2 Jan 2006")}, {"Last used", last}}}
	h.render(w, r, http.StatusOK, "confirm", d)
}

// revokeAPIKey revokes a key after its confirmation.
func (h *Handler) revokeAPIKey(w http.ResponseWriter, r *http.Request) {
	v := h.apiKeyView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	k, ok := h.findAPIKey(w, r, v)
	if !ok {
		return
	}
	if err := h.dir.RevokeAPIKey(r.Context(), v.actor, v.slug, k.ID); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, "/workspaces/"+url.PathEscape(v.access.WorkspaceSlug)+"/api-keys", "“"+k.Name+"” is revoked: requests with it are refused.")
}
