package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// securityData is the Security page: the approved domains (for viewers
// with domains.manage) and the invitation settings (changed by owners,
// read by everyone else who opens the page).
type securityData struct {
	web.Page
	Base string
	// CanDomains: domains.manage, which every domain call checks again.
	CanDomains bool
	// CanSettings: an owner, as UpdateWorkspaceSettings requires.
	CanSettings bool
	Domains     []domainView
	AddForm     *web.Form
	// JoinRoles are the roles a domain may give: those the viewer can
	// grant, never owner.
	JoinRoles []directory.Role
	// InviteChoices are the roles that hold members.invite, for the
	// "who may invite" checkboxes.
	InviteChoices []inviteChoice
	InviteForm    *web.Form
	InvitersText  string
	TTLForm       *web.Form
	TTLText       string
}

// domainView is a domain with what the page says about it.
type domainView struct {
	directory.Domain
	// Name is the domain's name (the embedded Domain shadows its field of
	// the same name in templates).
	Name     string
	RoleName string
	// Says is what the domain does for people, in one sentence.
	Says string
	// Check is what "Check now" found when it did not verify the domain.
	Check string
	Form  *web.Form
}

// inviteChoice is one role of the "who may invite" checkboxes.
type inviteChoice struct {
	Key, Name string
	Checked   bool
	// Fixed: owners always invite; the box is shown checked and locked.
	Fixed bool
}

// securityView opens the Security page: for a role with domains.manage,
// or an owner (who changes the invitation settings).
func (h *Handler) securityView(w http.ResponseWriter, r *http.Request) *view {
	v := h.open(w, r)
	if v != nil && !canSecurity(v.access) {
		h.deny(w, r, v, "change the security settings")
		return nil
	}
	return v
}

func canSecurity(a directory.ConsoleAccess) bool {
	return a.Can(directory.PermDomainsManage) || a.Owner
}

// domainsView opens a domain action: only for a role with
// domains.manage.
func (h *Handler) domainsView(w http.ResponseWriter, r *http.Request) *view {
	v := h.open(w, r)
	if v != nil && !v.access.Can(directory.PermDomainsManage) {
		h.deny(w, r, v, "manage the approved domains")
		return nil
	}
	return v
}

// securityPage loads the page with default forms; handlers that show a
// form again replace the one they concern.
func (h *Handler) securityPage(r *http.Request, v *view) (*securityData, error) {
	ctx := r.Context()
	d := &securityData{Page: h.frame(r, v, "Security", navSecurity), Base: "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug),
		CanDomains: v.access.Can(directory.PermDomainsManage), CanSettings: v.access.Owner, AddForm: web.NewForm(nil)}
	d.JoinRoles = slices.DeleteFunc(slices.Clone(v.access.GrantableRoles), func(x directory.Role) bool { return x.Key == directory.RoleOwner })
	roles, err := h.dir.ListRoles(ctx, v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	names := roleNames(roles)
	if d.CanDomains {
		list, err := h.dir.ListDomains(ctx, v.actor, v.slug)
		if err != nil {
			return nil, err
		}
		for _, dom := range list {
			d.Domains = append(d.Domains, domainView{Domain: dom, Name: dom.Domain, RoleName: names(dom.DefaultRole), Says: domainSays(dom, names(dom.DefaultRole)),
				Form: web.NewForm(url.Values{"policy": {dom.Policy}, "default_role": {dom.DefaultRole}})})
		}
	}
	ws, err := h.dir.GetWorkspace(ctx, v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	d.InviteForm = web.NewForm(url.Values{"invite_role": ws.InviteRoles})
	var inviters []string
	for _, x := range roles {
		if !slices.Contains(x.Permissions, directory.PermMembersInvite) {
			continue
		}
		on := x.Key == directory.RoleOwner || slices.Contains(ws.InviteRoles, x.Key)
		d.InviteChoices = append(d.InviteChoices, inviteChoice{Key: x.Key, Name: x.Name, Checked: on, Fixed: x.Key == directory.RoleOwner})
		if on {
			inviters = append(inviters, x.Name+"s")
		}
	}
	d.InvitersText = listInWords(inviters)
	n, unit := ttlParts(ws.InvitationTTL)
	d.TTLForm = web.NewForm(url.Values{"ttl": {strconv.Itoa(n)}, "unit": {unit}})
	d.TTLText = ttlInWords(ws.InvitationTTL)
	return d, nil
}

// roleNames maps role keys to their names, falling back to the key for
// a role that no longer exists.
func roleNames(roles []directory.Role) func(string) string {
	m := map[string]string{}
	for _, x := range roles {
		m[x.Key] = x.Name
	}
	return func(key string) string {
		if n := m[key]; n != "" {
			return n
		}
		return key
	}
}

// domainSays is what a domain does for people, in one sentence.
func domainSays(dom directory.Domain, role string) string {
	switch {
	case !dom.Verified:
		return fmt.Sprintf("Nothing happens yet for @%s addresses: publish the record below, then check now.", dom.Domain)
	case dom.Policy == directory.DomainAutoJoin:
		return fmt.Sprintf("People who sign in with an @%s address join as %s without asking.", dom.Domain, role)
	default:
		return fmt.Sprintf("People who sign in with an @%s address can ask to join; once an admin accepts, they join as %s.", dom.Domain, role)
	}
}

func listInWords(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// ttlParts shows a lifetime in whole days when it is one, else hours.
func ttlParts(d time.Duration) (int, string) {
	if d%(24*time.Hour) == 0 {
		return int(d / (24 * time.Hour)), "days"
	}
	return int(d / time.Hour), "hours"
}

func ttlInWords(d time.Duration) string {
	n, unit := ttlParts(d)
	if n == 1 {
		unit = strings.TrimSuffix(unit, "s")
	}
	return fmt.Sprintf("%d %s", n, unit)
}

// security shows the page.
func (h *Handler) security(w http.ResponseWriter, r *http.Request) {
	v := h.securityView(w, r)
	if v == nil {
		return
	}
	d, err := h.securityPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.render(w, r, http.StatusOK, "security", d)
}

// rerenderSecurity shows the page again after a refused form; edit
// replaces the form concerned, as typed, with its errors.
func (h *Handler) rerenderSecurity(w http.ResponseWriter, r *http.Request, v *view, msg string, edit func(*securityData)) {
	d, err := h.securityPage(r, v)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	edit(d)
	d.Error = msg
	h.render(w, r, http.StatusBadRequest, "security", d)
}

func (h *Handler) securityURL(v *view, anchor string) string {
	u := "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug) + "/security"
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}

// addDomain claims a domain and shows its TXT record.
func (h *Handler) addDomain(w http.ResponseWriter, r *http.Request) {
	v := h.domainsView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form := web.NewForm(r.PostForm)
	raw := strings.TrimSpace(form.Value("domain"))
	if len(raw) > 253 {
		form.Fail("domain", "A domain has at most 253 characters.")
	} else if dom, err := h.dir.AddDomain(r.Context(), v.actor, v.slug, raw); err == nil {
		h.kit.Redirect(w, r, h.securityURL(v, "domain-"+dom.ID), dom.Domain+" is added. Publish its TXT record at your DNS provider, then check now.")
		return
	} else if errors.Is(err, directory.ErrInvalid) {
		form.Fail("domain", sentence(err)+" Type a domain such as acme.example, without @ or https://.")
	} else if errors.Is(err, directory.ErrConflict) {
		form.Fail("domain", sentence(err))
	} else {
		h.fail(w, r, v.s, err)
		return
	}
	h.rerenderSecurity(w, r, v, "The domain was not added: please check it.", func(d *securityData) { d.AddForm = form })
}

// findDomain loads one domain of the workspace; another workspace's
// domain reads as one that does not exist.
func (h *Handler) findDomain(w http.ResponseWriter, r *http.Request, v *view) (directory.Domain, bool) {
	list, err := h.dir.ListDomains(r.Context(), v.actor, v.slug)
	if err != nil {
		h.fail(w, r, v.s, err)
		return directory.Domain{}, false
	}
	for _, dom := range list {
		if dom.ID == r.PathValue("id") {
			return dom, true
		}
	}
	h.kit.Message(w, r, http.StatusNotFound, v.s, "Domain not found", "This domain is not one of this workspace's. Go back to the security settings.")
	return directory.Domain{}, false
}

// verifyDomain runs "Check now": the directory looks the TXT record up.
// What it found is said in words, with the record to publish when it was
// not there.
func (h *Handler) verifyDomain(w http.ResponseWriter, r *http.Request) {
	v := h.domainsView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	dom, ok := h.findDomain(w, r, v)
	if !ok {
		return
	}
	if dom.Verified {
		h.kit.Redirect(w, r, h.securityURL(v, "domain-"+dom.ID), dom.Domain+" was already verified.")
		return
	}
	got, err := h.dir.VerifyDomain(r.Context(), v.actor, v.slug, dom.ID)
	var check string
	switch {
	case err == nil:
		h.kit.Redirect(w, r, h.securityURL(v, "domain-"+dom.ID), fmt.Sprintf("%s is verified: we found its TXT record. You can now choose what it does for people.", got.Domain))
		return
	case errors.Is(err, directory.ErrInvalid) && strings.Contains(err.Error(), "could not look up"):
		check = fmt.Sprintf("We could not look up the DNS records of %s just now. Check that the domain exists and try again in a few minutes.", dom.Domain)
	case errors.Is(err, directory.ErrInvalid):
		check = fmt.Sprintf("The record was not found: there is no TXT record named %s with the value %s yet. Publish it at your DNS provider, then check again; a new record can take a few minutes to appear.", dom.TXTName, dom.TXTValue)
	case errors.Is(err, directory.ErrConflict):
		check = fmt.Sprintf("Another workspace has already verified %s, and a domain belongs to one workspace only. Remove it here, or ask whoever runs Roster for you.", dom.Domain)
	default:
		h.fail(w, r, v.s, err)
		return
	}
	h.rerenderSecurity(w, r, v, dom.Domain+" is not verified yet.", func(d *securityData) {
		for i := range d.Domains {
			if d.Domains[i].ID == dom.ID {
				d.Domains[i].Check = check
			}
		}
	})
}

// setDomainPolicy changes what a domain does and the role it gives.
func (h *Handler) setDomainPolicy(w http.ResponseWriter, r *http.Request) {
	v := h.domainsView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	dom, ok := h.findDomain(w, r, v)
	if !ok {
		return
	}
	form := web.NewForm(r.PostForm)
	policy, role := form.Value("policy"), form.Value("default_role")
	if policy != directory.DomainAutoJoin && policy != directory.DomainRequest {
		form.Fail("policy", "Choose whether people join at once or ask to join.")
	}
	if role == "" {
		form.Fail("default_role", "Choose the role people get.")
	}
	if form.OK() {
		got, err := h.dir.SetDomainPolicy(r.Context(), v.actor, v.slug, dom.ID, policy, role)
		switch {
		case err == nil:
			roles, err := h.dir.ListRoles(r.Context(), v.actor, v.slug)
			if err != nil {
				h.fail(w, r, v.s, err)
				return
			}
			h.kit.Redirect(w, r, h.securityURL(v, "domain-"+dom.ID), "Saved. "+domainSays(got, roleNames(roles)(got.DefaultRole)))
			return
		case errors.Is(err, directory.ErrInvalid), errors.Is(err, directory.ErrForbidden):
			form.Fail("default_role", sentence(err))
		default:
			h.fail(w, r, v.s, err)
			return
		}
	}
	h.rerenderSecurity(w, r, v, "What "+dom.Domain+" does was not changed: please check the form.", func(d *securityData) {
		for i := range d.Domains {
			if d.Domains[i].ID == dom.ID {
				d.Domains[i].Form = form
			}
		}
	})
}

// confirmRemoveDomain says what removing a domain does before it is done.
func (h *Handler) confirmRemoveDomain(w http.ResponseWriter, r *http.Request) {
	v := h.domainsView(w, r)
	if v == nil {
		return
	}
	dom, ok := h.findDomain(w, r, v)
	if !ok {
		return
	}
	status := "Not verified"
	if dom.Verified {
		status = "Verified"
	}
	d := &confirmData{Page: h.frame(r, v, "Remove "+dom.Domain+"?", navSecurity), Danger: true, Button: "Remove the domain",
		Says: fmt.Sprintf("People who sign in with an @%s address no longer join %s or ask to join through the domain. Members who already joined stay, and requests already filed stay for you to decide. To use the domain again you would add it and verify it anew.",
			dom.Domain, v.access.WorkspaceName),
		Back: h.securityURL(v, ""), PostURL: r.URL.Path, Details: []detail{{"Domain", dom.Domain}, {"Status", status}}}
	h.render(w, r, http.StatusOK, "confirm", d)
}

// removeDomain removes a domain after its confirmation.
func (h *Handler) removeDomain(w http.ResponseWriter, r *http.Request) {
	v := h.domainsView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	dom, ok := h.findDomain(w, r, v)
	if !ok {
		return
	}
	if err := h.dir.RemoveDomain(r.Context(), v.actor, v.slug, dom.ID); err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, h.securityURL(v, ""), dom.Domain+" is removed: it no longer lets anyone join.")
}

// settingsView opens a settings form: owners only, as
// UpdateWorkspaceSettings requires.
func (h *Handler) settingsView(w http.ResponseWriter, r *http.Request) *view {
	v := h.open(w, r)
	if v != nil && !v.access.Owner {
		h.deny(w, r, v, "change the workspace settings (only owners can)")
		return nil
	}
	return v
}

// saveInviteRoles sets which roles may invite.
func (h *Handler) saveInviteRoles(w http.ResponseWriter, r *http.Request) {
	v := h.settingsView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form := web.NewForm(r.PostForm)
	roles := append([]string{}, r.PostForm["invite_role"]...)
	if _, err := h.dir.UpdateWorkspaceSettings(r.Context(), v.actor, v.slug, directory.WorkspaceSettings{InviteRoles: roles}); err != nil {
		if !errors.Is(err, directory.ErrInvalid) {
			h.fail(w, r, v.s, err)
			return
		}
		form.Fail("invite_role", sentence(err))
		h.rerenderSecurity(w, r, v, "Who may invite was not changed.", func(d *securityData) {
			d.InviteForm = form
			for i := range d.InviteChoices {
				d.InviteChoices[i].Checked = d.InviteChoices[i].Fixed || form.Has("invite_role", d.InviteChoices[i].Key)
			}
		})
		return
	}
	h.kit.Redirect(w, r, h.securityURL(v, "inviters"), "Saved: who may invite is changed.")
}

// saveInvitationLifetime sets how long an invitation link works.
func (h *Handler) saveInvitationLifetime(w http.ResponseWriter, r *http.Request) {
	v := h.settingsView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form := web.NewForm(r.PostForm)
	n, err := strconv.Atoi(strings.TrimSpace(form.Value("ttl")))
	unit := time.Hour
	if form.Value("unit") == "days" {
		unit = 24 * time.Hour
	}
	if err != nil || n <= 0 {
		form.Fail("ttl", "Type a whole number, for example 7.")
	} else if n > 90*24 {
		form.Fail("ttl", "An invitation lasts at most 90 days.")
	} else {
		ttl := time.Duration(n) * unit
		ws, err := h.dir.UpdateWorkspaceSettings(r.Context(), v.actor, v.slug, directory.WorkspaceSettings{InvitationTTL: &ttl})
		switch {
		case err == nil:
			h.kit.Redirect(w, r, h.securityURL(v, "lifetime"), "Saved: invitations sent from now on work for "+ttlInWords(ws.InvitationTTL)+".")
			return
		case errors.Is(err, directory.ErrInvalid):
			form.Fail("ttl", sentence(err))
		default:
			h.fail(w, r, v.s, err)
			return
		}
	}
	h.rerenderSecurity(w, r, v, "The invitation lifetime was not changed.", func(d *securityData) { d.TTLForm = form })
}
