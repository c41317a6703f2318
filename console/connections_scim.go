package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

// createdTokenStatus marks the flash item that carries a new SCIM
// token's secret to the page after the POST. The flash cookie is sealed
// and deleted by the first page that renders it, so the secret is shown
// exactly once; the directory keeps only its hash.
const createdTokenStatus = "scim_token_created"

// profileChoices are the SCIM profiles in the words of the page, in the
// order offered.
var profileChoices = []choice{
	{directory.ProfileAuto, "Detect automatically (Okta or Microsoft Entra ID)"},
	{directory.ProfileOkta, "Okta"},
	{directory.ProfileEntra, "Microsoft Entra ID"},
	{directory.ProfileGeneric, "Another SCIM 2.0 directory"},
}

var activationChoices = []choice{
	{directory.ActivationDomain, "Verified domains join at once, others are invited"},
	{directory.ActivationInvite, "Everyone is invited and must accept"},
}

var seatPolicyChoices = []choice{
	{directory.SeatPolicyRefuse, "Refuse the person (your directory shows an error)"},
	{directory.SeatPolicySuspend, "Add the person suspended, without a seat"},
}

// tokenLifetimes are the lifetimes a new token may have.
var tokenLifetimes = []choice{
	{"0", "Never expires"},
	{"30", "30 days"},
	{"90", "90 days"},
	{"365", "1 year"},
}

// choice is one option of a select or radio group.
type choice struct{ Value, Label string }

func choiceLabel(list []choice, value string) string {
	for _, c := range list {
		if c.Value == value {
			return c.Label
		}
	}
	return value
}

// scimData is the SCIM provisioning page.
type scimData struct {
	web.Page
	Base string
	// Conn is nil until the workspace has a connection.
	Conn      *directory.SCIMConnection
	Endpoint  string
	Profile   string
	Tokens    []tokenRow
	Roles     []directory.Role
	Form      *web.Form
	TokenForm *web.Form
	// Mappings are the group-to-role rows of the form, with blank ones
	// to add more.
	Mappings []mappingRow

	Profiles, Activations, SeatPolicies, Lifetimes []choice
}

type mappingRow struct{ Group, Role string }

// tokenRow is a token as listed: never its secret.
type tokenRow struct {
	directory.SCIMToken
	Status      string
	StatusLabel string
}

// connectionView opens a Connections page: the viewer must hold
// connections.manage, which every directory call of these pages checks
// again (the admin API's SCIM and OIDC connection routes need it too).
func (h *Handler) connectionView(w http.ResponseWriter, r *http.Request) *view {
	v := h.open(w, r)
	if v != nil && !v.access.Can(directory.PermConnectionsManage) {
		h.deny(w, r, v, "manage the connections to your identity provider")
		return nil
	}
	return v
}

func (h *Handler) scimBase(v *view) string {
	return "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug) + "/connections/scim"
}

// scimPage loads the page; form is the settings form as typed, or nil
// for the connection's settings.
func (h *Handler) scimPage(r *http.Request, v *view, form *web.Form) (*scimData, error) {
	d := &scimData{Page: h.frame(r, v, "SCIM provisioning", navSCIM), Base: h.scimBase(v), Endpoint: h.dir.BaseURL() + "/scim/v2",
		Profiles: profileChoices, Activations: activationChoices, SeatPolicies: seatPolicyChoices, Lifetimes: tokenLifetimes,
		TokenForm: web.NewForm(url.Values{"lifetime": {"0"}})}
	// Owner is never a role SCIM hands out: it acts as an admin.
	d.Roles = slices.DeleteFunc(slices.Clone(v.access.GrantableRoles), func(x directory.Role) bool { return x.Key == directory.RoleOwner })
	ctx := r.Context()
	conn, err := h.dir.GetSCIMConnection(ctx, v.actor, v.slug)
	switch {
	case errors.Is(err, directory.ErrNotFound):
		if form == nil {
			form = web.NewForm(url.Values{"profile": {directory.ProfileAuto}, "default_role": {directory.RoleMember}})
		}
		d.Form = form
		return d, nil
	case err != nil:
		return nil, err
	}
	d.Conn = &conn
	d.Profile = choiceLabel(profileChoices, conn.Profile)
	if form == nil {
		vals := url.Values{"profile": {conn.Profile}, "default_role": {conn.DefaultRole}, "activation": {conn.Activation}, "seat_policy": {conn.SeatPolicy}}
		if conn.SendInvitations {
			vals.Set("send_invitations", "yes")
		}
		if conn.RateLimit > 0 {
			vals.Set("rate_limit", strconv.FormatFloat(conn.RateLimit, 'f', -1, 64))
		}
		if conn.RateBurst > 0 {
			vals.Set("rate_burst", strconv.Itoa(conn.RateBurst))
		}
		groups := make([]string, 0, len(conn.TeamRoles))
		for g := range conn.TeamRoles {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		for _, g := range groups {
			vals.Add("group_name", g)
			vals.Add("group_role", conn.TeamRoles[g])
		}
		form = web.NewForm(vals)
	}
	d.Form = form
	names, roles := form.Values["group_name"], form.Values["group_role"]
	for i, g := range names {
		row := mappingRow{Group: g}
		if i < len(roles) {
			row.Role = roles[i]
		}
		if strings.TrimSpace(row.Group) != "" {
			d.Mappings = append(d.Mappings, row)
		}
	}
	for range 3 {
		d.Mappings = append(d.Mappings, mappingRow{})
	}
	tokens, err := h.dir.ListSCIMTokens(ctx, v.actor, v.slug)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	for _, k := range tokens {
		row := tokenRow{SCIMToken: k, Status: k.Status(now)}
		switch row.Status {
		case "active":
			row.StatusLabel = "Active"
		case "expired":
			row.StatusLabel = "Expired"
		case "revoked":
			row.StatusLabel = "Revoked"
		}
		d.Tokens = append(d.Tokens, row)
	}
	return d, nil
}

// scim shows the workspace's SCIM connection, or how to make one.
func (h *Handler) scim(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil {
		return
	}
	d, err := h.scimPage(r, v, nil)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.render(w, r, http.StatusOK, "scim", d)
}

// scimRequest reads the settings form into a directory request, failing
// fields it cannot read.
func scimRequest(form *web.Form, full bool) directory.SCIMConnectionRequest {
	req := directory.SCIMConnectionRequest{Profile: form.Value("profile"), DefaultRole: form.Value("default_role")}
	if !slices.ContainsFunc(profileChoices, func(c choice) bool { return c.Value == req.Profile }) {
		form.Fail("profile", "Choose which directory sends the people.")
	}
	if req.DefaultRole == "" {
		form.Fail("default_role", "Choose the role of the people your directory adds.")
	}
	if !full {
		return req
	}
	req.Activation, req.SeatPolicy = form.Value("activation"), form.Value("seat_policy")
	send := form.Value("send_invitations") == "yes"
	req.SendInvitations = &send
	rate, burst := 0.0, 0
	if s := strings.TrimSpace(form.Value("rate_limit")); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f < 0 || f > directory.MaxSCIMRateLimit {
			form.Fail("rate_limit", fmt.Sprintf("Enter a number of requests per second from 1 to %d, or leave it empty for the server's default.", directory.MaxSCIMRateLimit))
		}
		rate = f
	}
	if s := strings.TrimSpace(form.Value("rate_burst")); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > directory.MaxSCIMRateLimit {
			form.Fail("rate_burst", fmt.Sprintf("Enter a number of requests from 1 to %d, or leave it empty for the server's default.", directory.MaxSCIMRateLimit))
		}
		burst = n
	}
	req.RateLimit, req.RateBurst = &rate, &burst
	req.TeamRoles = map[string]string{}
	names, roles := form.Values["group_name"], form.Values["group_role"]
	for i, g := range names {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		role := ""
		if i < len(roles) {
			role = roles[i]
		}
		if role == "" {
			form.Fail("groups", "Choose a role for the group “"+g+"”, or clear its name.")
			continue
		}
		if _, dup := req.TeamRoles[g]; dup {
			form.Fail("groups", "The group “"+g+"” is mapped twice; keep one line for it.")
		}
		req.TeamRoles[g] = role
	}
	if len(req.TeamRoles) > 500 {
		form.Fail("groups", "Map at most 500 groups.")
	}
	return req
}

// scimFieldOf is the form field a refused setting belongs to.
func scimFieldOf(err error) (field, msg string) {
	var fe *directory.FieldError
	if errors.As(err, &fe) {
		switch fe.Field {
		case "rate_limit_per_second":
			return "rate_limit", fmt.Sprintf("Enter a number of requests per second up to %d, or leave it empty for the server's default.", directory.MaxSCIMRateLimit)
		case "rate_limit_burst":
			return "rate_burst", fmt.Sprintf("Enter a number of requests up to %d, or leave it empty for the server's default.", directory.MaxSCIMRateLimit)
		}
	}
	s := err.Error()
	switch {
	case strings.Contains(s, "team role"):
		return "groups", "A group is mapped to a role your directory may not hand out. Choose another role."
	case strings.Contains(s, "default role"):
		return "default_role", "Your directory cannot hand out this role. Choose another one."
	case strings.Contains(s, "profile"):
		return "profile", "Choose which directory sends the people."
	case strings.Contains(s, "activation"):
		return "activation", "Choose how the people your directory adds join."
	case strings.Contains(s, "seat policy"):
		return "seat_policy", "Choose what happens when the seats run out."
	}
	return "", ""
}

// createSCIM makes the workspace's connection.
func (h *Handler) createSCIM(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	form := web.NewForm(r.PostForm)
	req := scimRequest(form, false)
	if form.OK() {
		_, err := h.dir.CreateSCIMConnection(r.Context(), v.actor, v.slug, req)
		if err == nil {
			h.kit.Redirect(w, r, h.scimBase(v), "SCIM provisioning is set up. Create a token below and paste it, with the base URL, into your directory.")
			return
		}
		if errors.Is(err, directory.ErrConflict) {
			h.kit.Redirect(w, r, h.scimBase(v), "This workspace already had SCIM provisioning set up; here it is.")
			return
		}
		if !h.scimFormError(w, r, v, form, err) {
			return
		}
	}
	h.rerenderSCIM(w, r, v, form, "SCIM provisioning is not set up yet: please check the form.")
}

// scimFormError puts a refused setting next to its field; false when it
// already answered with an error page.
func (h *Handler) scimFormError(w http.ResponseWriter, r *http.Request, v *view, form *web.Form, err error) bool {
	if !errors.Is(err, directory.ErrInvalid) && !errors.Is(err, directory.ErrForbidden) && !errors.Is(err, directory.ErrNotFound) {
		h.fail(w, r, v.s, err)
		return false
	}
	field, msg := scimFieldOf(err)
	if field == "" {
		field, msg = "default_role", sentence(err)
	}
	form.Fail(field, msg)
	return true
}

func (h *Handler) rerenderSCIM(w http.ResponseWriter, r *http.Request, v *view, form *web.Form, msg string) {
	d, err := h.scimPage(r, v, form)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	d.Error = msg
	h.render(w, r, http.StatusBadRequest, "scim", d)
}

// updateSCIM saves the connection's settings.
func (h *Handler) updateSCIM(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 64<<10) {
		return
	}
	form := web.NewForm(r.PostForm)
	req := scimRequest(form, true)
	if form.OK() {
		_, err := h.dir.UpdateSCIMConnection(r.Context(), v.actor, v.slug, req)
		if err == nil {
			h.kit.Redirect(w, r, h.scimBase(v), "Settings saved. They apply to the next request of your directory.")
			return
		}
		if !h.scimFormError(w, r, v, form, err) {
			return
		}
	}
	h.rerenderSCIM(w, r, v, form, "The settings were not saved: please check the form.")
}

// createSCIMToken makes a token and shows its secret once on the next
// page.
func (h *Handler) createSCIMToken(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	desc := strings.TrimSpace(r.PostForm.Get("description"))
	days, err := strconv.Atoi(r.PostForm.Get("lifetime"))
	tokenForm := web.NewForm(r.PostForm)
	switch {
	case err != nil || !slices.ContainsFunc(tokenLifetimes, func(c choice) bool { return c.Value == r.PostForm.Get("lifetime") }):
		tokenForm.Fail("lifetime", "Choose how long the token works.")
	case len([]rune(desc)) > 200:
		tokenForm.Fail("description", "Keep the description under 200 characters.")
	}
	if !tokenForm.OK() {
		d, err := h.scimPage(r, v, nil)
		if err != nil {
			h.fail(w, r, v.s, err)
			return
		}
		d.TokenForm, d.Error = tokenForm, "No token was created: please check the form."
		h.render(w, r, http.StatusBadRequest, "scim", d)
		return
	}
	_, secret, err := h.dir.CreateSCIMToken(r.Context(), v.actor, v.slug, directory.SCIMTokenRequest{Description: desc, ExpiresIn: time.Duration(days) * 24 * time.Hour})
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, h.scimBase(v), "Token created. Copy it now: it is shown only this once.", web.FlashItem{Label: secret, Status: createdTokenStatus})
}

// findSCIMToken loads one token of the workspace; a token of another
// workspace reads as one that does not exist.
func (h *Handler) findSCIMToken(w http.ResponseWriter, r *http.Request, v *view) (directory.SCIMToken, bool) {
	tokens, err := h.dir.ListSCIMTokens(r.Context(), v.actor, v.slug)
	if err != nil && !errors.Is(err, directory.ErrNotFound) {
		h.fail(w, r, v.s, err)
		return directory.SCIMToken{}, false
	}
	for _, k := range tokens {
		if k.ID == r.PathValue("id") {
			if k.RevokedAt != nil {
				h.kit.Message(w, r, http.StatusConflict, v.s, "Token already revoked", "This token was revoked on "+k.RevokedAt.UTC().Format("2 Jan 2006")+". Go back to SCIM provisioning.")
				return k, false
			}
			return k, true
		}
	}
	h.kit.Message(w, r, http.StatusNotFound, v.s, "Token not found", "This token does not exist in this workspace. Go back to SCIM provisioning.")
	return directory.SCIMToken{}, false
}

func tokenName(k directory.SCIMToken) string {
	if k.Description != "" {
		return "“" + k.Description + "” (ending in " + k.Hint + ")"
	}
	return "the token ending in " + k.Hint
}

// confirmSCIMToken says what revoking or rotating a token does before it
// is done.
func (h *Handler) confirmSCIMToken(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil {
		return
	}
	action := r.PathValue("action")
	if action != "revoke" && action != "rotate" {
		h.notFound(w, r)
		return
	}
	k, ok := h.findSCIMToken(w, r, v)
	if !ok {
		return
	}
	details := []detail{{"Token", "ending in " + k.Hint}, {"Created", k.CreatedAt.UTC().Format("2 Jan 2006")}}
	if k.Description != "" {
		details = append([]detail{{"Description", k.Description}}, details...)
	}
	if k.LastUsedAt != nil {
		details = append(details, detail{"Last used", k.LastUsedAt.UTC().Format("2 Jan 2006 15:04 UTC")})
	}
	d := &confirmData{Page: h.frame(r, v, "Revoke "+tokenName(k)+"?", navSCIM), Danger: true, Button: "Revoke the token",
		Says: "Your directory's requests with this token are refused from now on. Provisioning stops unless the directory has another active token.",
		Back: h.scimBase(v), PostURL: r.URL.Path, Details: details}
	if action == "rotate" {
		d.Title, d.Button, d.Danger = "Rotate "+tokenName(k)+"?", "Rotate the token", false
		d.Says = "A new token replaces this one: it is shown once on the next page, and this token stops working at once. Paste the new token into your directory right away, or provisioning stops until you do."
	}
	h.render(w, r, http.StatusOK, "confirm", d)
}

// actOnSCIMToken revokes or rotates a token after its confirmation.
func (h *Handler) actOnSCIMToken(w http.ResponseWriter, r *http.Request) {
	v := h.connectionView(w, r)
	if v == nil || !h.kit.ParseForm(w, r, v.s, 0) {
		return
	}
	action := r.PathValue("action")
	if action != "revoke" && action != "rotate" {
		h.notFound(w, r)
		return
	}
	k, ok := h.findSCIMToken(w, r, v)
	if !ok {
		return
	}
	if action == "revoke" {
		if _, err := h.dir.RevokeSCIMToken(r.Context(), v.actor, v.slug, k.ID); err != nil {
			h.fail(w, r, v.s, err)
			return
		}
		h.kit.Redirect(w, r, h.scimBase(v), "The token ending in "+k.Hint+" is revoked: your directory can no longer use it.")
		return
	}
	_, secret, err := h.dir.RotateSCIMToken(r.Context(), v.actor, v.slug, k.ID)
	if err != nil {
		h.fail(w, r, v.s, err)
		return
	}
	h.kit.Redirect(w, r, h.scimBase(v), "The token ending in "+k.Hint+" is replaced. Copy the new one now: it is shown only this once.",
		web.FlashItem{Label: secret, Status: createdTokenStatus})
}
