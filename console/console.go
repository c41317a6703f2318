package console

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/seal"
	"github.com/rosterhq/roster/web"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = func() map[string]*template.Template {
	p := web.Pages(templateFS, "templates", "members", "invite", "joinrequests", "confirm", "member", "seats", "joinlinks", "joinlinkmembers", "security", "roles", "teams",
		"activity", "webhooks", "webhook", "apikeys", "import", "joinlinkedit", "lookup", "scim", "scimlog", "sso", "ssosecret", "setuplinks")
	// Both webhook pages share the webhook form's fields.
	for _, name := range []string{"webhooks", "webhook"} {
		template.Must(p[name].ParseFS(templateFS, "templates/webhookfields.html"))
	}
	// The join link form's fields, shared by the pages that make and
	// edit a link.
	for _, n := range []string{"joinlinks", "joinlinkedit"} {
		template.Must(p[n].ParseFS(templateFS, "templates/joinlinkfields.html"))
	}
	// The look-up form, on the Invite page and on its own.
	for _, n := range []string{"invite", "lookup"} {
		template.Must(p[n].ParseFS(templateFS, "templates/lookupform.html"))
	}
	return p
}()

// maxInviteBytes bounds the invite form: a pasted list of a few thousand
// addresses.
const maxInviteBytes = 256 << 10

// Config configures the console.
type Config struct {
	Directory *directory.Directory
	// Box seals CSRF tokens and flash messages (the same keys as the
	// sign-in pages, whose session cookie the console reads).
	Box *seal.Box
	// Secure marks cookies Secure (the public URL is https).
	Secure bool
	Logger *slog.Logger
	// Banner is the development-mode warning every page shows (empty in
	// production).
	Banner string
}

// Handler serves the console's pages.
type Handler struct {
	dir *directory.Directory
	kit *web.Kit
	// box seals webhook signing secrets for the delivery worker and the
	// client secrets of OIDC connections for the sign-in pages, which
	// open them with the same keys.
	box *seal.Box
	log *slog.Logger
}

// New builds the console.
func New(cfg Config) (*Handler, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	kit, err := web.New(web.Config{Directory: cfg.Directory, Box: cfg.Box, Secure: cfg.Secure, Logger: cfg.Logger, Banner: cfg.Banner})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return &Handler{dir: cfg.Directory, kit: kit, box: cfg.Box, log: cfg.Logger}, nil
}

// Register adds the console's routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	web.RegisterAssets(mux)
	mux.HandleFunc("GET /{$}", h.root)
	mux.HandleFunc("GET /workspaces/{slug}/{$}", h.workspaceHome)
	mux.HandleFunc("GET /workspaces/{slug}/members", h.members)
	mux.HandleFunc("GET /workspaces/{slug}/members/invite", h.invitePage)
	mux.HandleFunc("POST /workspaces/{slug}/members/invite", h.inviteSubmit)
	mux.HandleFunc("GET /workspaces/{slug}/members/lookup", h.lookupPage)
	mux.HandleFunc("GET /workspaces/{slug}/members/import", h.importPage)
	mux.HandleFunc("POST /workspaces/{slug}/members/import", h.importPreviewSubmit)
	mux.HandleFunc("POST /workspaces/{slug}/members/import/confirm", h.importConfirm)
	mux.HandleFunc("GET /workspaces/{slug}/members/{id}", h.member)
	mux.HandleFunc("POST /workspaces/{slug}/members/{id}/role", h.changeRole)
	mux.HandleFunc("GET /workspaces/{slug}/members/{id}/{action}", h.confirmMember)
	mux.HandleFunc("POST /workspaces/{slug}/members/{id}/{action}", h.actOnMember)
	mux.HandleFunc("GET /workspaces/{slug}/seats", h.seats)
	mux.HandleFunc("GET /workspaces/{slug}/join-requests", h.joinRequests)
	mux.HandleFunc("GET /workspaces/{slug}/join-requests/{id}/{action}", h.confirmJoinRequest)
	mux.HandleFunc("POST /workspaces/{slug}/join-requests/{id}/{action}", h.decideJoinRequest)
	mux.HandleFunc("GET /workspaces/{slug}/join-links", h.joinLinks)
	mux.HandleFunc("POST /workspaces/{slug}/join-links", h.createJoinLink)
	mux.HandleFunc("POST /workspaces/{slug}/join-links/{id}/active", h.switchJoinLink)
	mux.HandleFunc("GET /workspaces/{slug}/join-links/{id}/revoke", h.confirmRevokeJoinLink)
	mux.HandleFunc("POST /workspaces/{slug}/join-links/{id}/revoke", h.revokeJoinLink)
	mux.HandleFunc("GET /workspaces/{slug}/join-links/{id}/members", h.joinLinkMembers)
	mux.HandleFunc("GET /workspaces/{slug}/join-links/{id}/edit", h.editJoinLinkPage)
	mux.HandleFunc("POST /workspaces/{slug}/join-links/{id}/edit", h.editJoinLink)
	mux.HandleFunc("GET /workspaces/{slug}/setup-links", h.setupLinks)
	mux.HandleFunc("POST /workspaces/{slug}/setup-links", h.createSetupLink)
	mux.HandleFunc("POST /workspaces/{slug}/setup-links/{id}/revoke", h.revokeSetupLink)
	mux.HandleFunc("GET /workspaces/{slug}/security", h.security)
	mux.HandleFunc("POST /workspaces/{slug}/security/domains", h.addDomain)
	mux.HandleFunc("POST /workspaces/{slug}/security/domains/{id}/verify", h.verifyDomain)
	mux.HandleFunc("POST /workspaces/{slug}/security/domains/{id}/policy", h.setDomainPolicy)
	mux.HandleFunc("GET /workspaces/{slug}/security/domains/{id}/remove", h.confirmRemoveDomain)
	mux.HandleFunc("POST /workspaces/{slug}/security/domains/{id}/remove", h.removeDomain)
	mux.HandleFunc("POST /workspaces/{slug}/security/invite-roles", h.saveInviteRoles)
	mux.HandleFunc("POST /workspaces/{slug}/security/invitation-lifetime", h.saveInvitationLifetime)
	mux.HandleFunc("GET /workspaces/{slug}/roles", h.roles)
	mux.HandleFunc("POST /workspaces/{slug}/roles", h.saveRole)
	mux.HandleFunc("GET /workspaces/{slug}/roles/{key}", h.editRole)
	mux.HandleFunc("POST /workspaces/{slug}/roles/{key}", h.saveRole)
	mux.HandleFunc("GET /workspaces/{slug}/roles/{key}/delete", h.confirmDeleteRole)
	mux.HandleFunc("POST /workspaces/{slug}/roles/{key}/delete", h.deleteRole)
	mux.HandleFunc("GET /workspaces/{slug}/teams", h.teams)
	mux.HandleFunc("POST /workspaces/{slug}/teams", h.createTeam)
	mux.HandleFunc("GET /workspaces/{slug}/teams/{id}", h.team)
	mux.HandleFunc("POST /workspaces/{slug}/teams/{id}", h.updateTeam)
	mux.HandleFunc("POST /workspaces/{slug}/teams/{id}/members", h.addTeamMember)
	mux.HandleFunc("POST /workspaces/{slug}/teams/{id}/members/{member}/remove", h.removeTeamMember)
	mux.HandleFunc("GET /workspaces/{slug}/teams/{id}/delete", h.confirmDeleteTeam)
	mux.HandleFunc("POST /workspaces/{slug}/teams/{id}/delete", h.deleteTeam)
	mux.HandleFunc("GET /workspaces/{slug}/activity", h.activity)
	mux.HandleFunc("GET /workspaces/{slug}/webhooks", h.webhooks)
	mux.HandleFunc("POST /workspaces/{slug}/webhooks", h.createWebhook)
	mux.HandleFunc("GET /workspaces/{slug}/webhooks/{id}", h.webhook)
	mux.HandleFunc("POST /workspaces/{slug}/webhooks/{id}", h.updateWebhook)
	mux.HandleFunc("POST /workspaces/{slug}/webhooks/{id}/ping", h.pingWebhook)
	mux.HandleFunc("POST /workspaces/{slug}/webhooks/{id}/redeliver", h.redeliverWebhook)
	mux.HandleFunc("GET /workspaces/{slug}/webhooks/{id}/delete", h.confirmDeleteWebhook)
	mux.HandleFunc("POST /workspaces/{slug}/webhooks/{id}/delete", h.deleteWebhook)
	mux.HandleFunc("GET /workspaces/{slug}/api-keys", h.apiKeys)
	mux.HandleFunc("POST /workspaces/{slug}/api-keys", h.createAPIKey)
	mux.HandleFunc("GET /workspaces/{slug}/api-keys/{id}/revoke", h.confirmRevokeAPIKey)
	mux.HandleFunc("POST /workspaces/{slug}/api-keys/{id}/revoke", h.revokeAPIKey)
	h.registerConnections(mux)
	mux.HandleFunc("/workspaces/", h.notFound)
}

// root leads a signed-out browser to sign in, a person who administers
// exactly one workspace into its console, and anyone else to their
// workspaces.
func (h *Handler) root(w http.ResponseWriter, r *http.Request) {
	s := h.kit.Session(r)
	if s == nil {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	admin, err := h.dir.AdministeredWorkspaces(r.Context(), s.UserID)
	if err != nil {
		h.fail(w, r, s, err)
		return
	}
	if len(admin) == 1 {
		http.Redirect(w, r, "/workspaces/"+url.PathEscape(admin[0].WorkspaceSlug)+"/", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/home", http.StatusSeeOther)
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.kit.Message(w, r, http.StatusNotFound, h.kit.Session(r), "Page not found", "There is no page at this address. Check the link, or start again from your workspaces.")
}

// view is one console request: who asks, in which workspace, with what
// their role allows there.
type view struct {
	s      *directory.Session
	actor  directory.Actor
	access directory.ConsoleAccess
	slug   string
}

// Console pages, for the navigation.
const (
	navMembers      = "members"
	navInvite       = "invite"
	navLookup       = "lookup"
	navJoinRequests = "join-requests"
	navSeats        = "seats"
	navJoinLinks    = "join-links"
	navTeams        = "teams"
	navRoles        = "roles"
	navSecurity     = "security"
	navActivity     = "activity"
	navWebhooks     = "webhooks"
	navAPIKeys      = "api-keys"
	navSCIM         = "scim"
	navSSO          = "sso"
	navSetupLinks   = "setup-links"
)

// open starts a console page: a signed-in person (else off to sign in,
// coming back here) who administers the workspace in the path. Anyone
// else gets a page in words and open returns nil: a workspace the person
// is not in reads exactly like one that does not exist.
func (h *Handler) open(w http.ResponseWriter, r *http.Request) *view {
	s := h.kit.Session(r)
	if s == nil {
		http.Redirect(w, r, "/login?return_to="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	name := s.Name
	if name == "" {
		name = s.Email
	}
	v := &view{s: s, slug: r.PathValue("slug"), actor: directory.Actor{Kind: directory.ActorMember, ID: s.UserID, Name: name, Source: "console"}}
	a, err := h.dir.ConsoleAccess(r.Context(), v.actor, v.slug)
	switch {
	case errors.Is(err, directory.ErrNotFound), errors.Is(err, directory.ErrForbidden):
		h.kit.Message(w, r, http.StatusNotFound, s, "Workspace not found", "This workspace does not exist, or you are not an active member of it. Open one of your workspaces instead.")
		return nil
	case err != nil:
		h.fail(w, r, s, err)
		return nil
	case !a.Administers:
		h.kit.Message(w, r, http.StatusForbidden, s, "No administration for your role",
			fmt.Sprintf("You are %s in %s. That role has no administration pages; ask an owner of %s if you need to manage its people.", article(a.Role.Name), a.WorkspaceName, a.WorkspaceName))
		return nil
	}
	v.access = a
	return v
}

// deny answers a console page the viewer's role may not open.
func (h *Handler) deny(w http.ResponseWriter, r *http.Request, v *view, what string) {
	h.kit.Message(w, r, http.StatusForbidden, v.s, "Not allowed",
		fmt.Sprintf("As %s in %s you cannot %s. Ask an owner of the workspace if you need to.", article(v.access.Role.Name), v.access.WorkspaceName, what))
}

func article(role string) string {
	if role == "" {
		return "a member"
	}
	if r, _ := utf8.DecodeRuneInString(strings.ToLower(role)); strings.ContainsRune("aeiou", r) {
		return "an " + role
	}
	return "a " + role
}

// frame is the layout's workspace frame for a page of v.
func (h *Handler) frame(r *http.Request, v *view, title, current string) web.Page {
	base := "/workspaces/" + url.PathEscape(v.access.WorkspaceSlug)
	c := &web.Console{WorkspaceName: v.access.WorkspaceName, WorkspaceSlug: v.access.WorkspaceSlug, RoleName: v.access.Role.Name}
	if v.access.Can(directory.PermMembersRead) {
		c.Nav = append(c.Nav, web.NavItem{Label: "Members", Href: base + "/members", Current: current == navMembers})
	}
	if v.access.Invite {
		c.Nav = append(c.Nav, web.NavItem{Label: "Invite people", Href: base + "/members/invite", Current: current == navInvite})
	} else if v.access.Can(directory.PermMembersInvite) {
		// The role may look people up (as through the admin API) but the
		// owners have not let it invite.
		c.Nav = append(c.Nav, web.NavItem{Label: "Look a person up", Href: base + "/members/lookup", Current: current == navLookup})
	}
	if v.access.JoinRequests {
		c.Nav = append(c.Nav, web.NavItem{Label: "Join requests", Href: base + "/join-requests", Current: current == navJoinRequests})
	}
	if v.access.Can(directory.PermJoinLinksManage) {
		c.Nav = append(c.Nav, web.NavItem{Label: "Join links", Href: base + "/join-links", Current: current == navJoinLinks})
	}
	if v.access.Can(directory.PermMembersRead) {
		c.Nav = append(c.Nav, web.NavItem{Label: "Seats", Href: base + "/seats", Current: current == navSeats})
	}
	if v.access.Can(directory.PermMembersRead) {
		c.Nav = append(c.Nav, web.NavItem{Label: "Teams", Href: base + "/teams", Current: current == navTeams})
	}
	// Every administering role may read the roles (ListRoles needs only
	// membership; the page opens for all of them), but the navigation
	// offers them to those who manage people or roles: an integration's
	// role starts on its own pages.
	if v.access.Can(directory.PermMembersRead) || v.access.Can(directory.PermRolesManage) {
		c.Nav = append(c.Nav, web.NavItem{Label: "Roles", Href: base + "/roles", Current: current == navRoles})
	}
	if canSecurity(v.access) {
		c.Nav = append(c.Nav, web.NavItem{Label: "Security", Href: base + "/security", Current: current == navSecurity})
	}
	if v.access.Can(directory.PermMembersRead) {
		c.Nav = append(c.Nav, web.NavItem{Label: "Activity", Href: base + "/activity", Current: current == navActivity})
	}
	if v.access.Can(directory.PermConnectionsManage) {
		c.Nav = append(c.Nav, web.NavItem{Label: "Webhooks", Href: base + "/webhooks", Current: current == navWebhooks})
		c.Nav = append(c.Nav, web.NavItem{Label: "API keys", Href: base + "/api-keys", Current: current == navAPIKeys})
		c.Nav = append(c.Nav, web.NavItem{Label: "SCIM provisioning", Href: base + "/connections/scim", Current: current == navSCIM},
			web.NavItem{Label: "Single sign-on", Href: base + "/connections/sso", Current: current == navSSO})
	}
	if v.access.Can(directory.PermConnectionsManage) || v.access.Can(directory.PermDomainsManage) {
		c.Nav = append(c.Nav, web.NavItem{Label: "Setup links", Href: base + "/setup-links", Current: current == navSetupLinks})
	}
	if list, err := h.dir.AdministeredWorkspaces(r.Context(), v.s.UserID); err == nil {
		for _, a := range list {
			c.Switch = append(c.Switch, web.NavItem{Label: a.WorkspaceName, Href: "/workspaces/" + url.PathEscape(a.WorkspaceSlug) + "/", Current: a.WorkspaceID == v.access.WorkspaceID})
		}
	} else {
		h.log.Error("workspace switcher", "err", err)
	}
	return web.Page{Title: title, Session: v.s, Console: c}
}

// workspaceHome opens the first console page the role permits.
func (h *Handler) workspaceHome(w http.ResponseWriter, r *http.Request) {
	v := h.open(w, r)
	if v == nil {
		return
	}
	p := h.frame(r, v, "", "")
	if len(p.Console.Nav) == 0 {
		h.kit.Message(w, r, http.StatusForbidden, v.s, "Nothing to manage here yet",
			fmt.Sprintf("Your role in %s manages settings whose pages are not in the console yet. Use the admin API or the roster command meanwhile.", v.access.WorkspaceName))
		return
	}
	http.Redirect(w, r, p.Console.Nav[0].Href, http.StatusSeeOther)
}

// render writes a console page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, data web.Pager) {
	h.kit.Render(w, r, status, pages[name], data)
}

// fail is the one place directory errors become console pages.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, s *directory.Session, err error) {
	var seats *directory.SeatLimitError
	switch {
	case errors.As(err, &seats):
		h.kit.Message(w, r, http.StatusConflict, s, "No seat left", fmt.Sprintf("All %d seats of this workspace are in use. Free a seat or raise the limit, then try again.", seats.Limit))
	case errors.Is(err, directory.ErrForbidden):
		h.kit.Message(w, r, http.StatusForbidden, s, "Not allowed", "Your role does not allow this. Ask an owner of the workspace if you need to.")
	case errors.Is(err, directory.ErrNotFound):
		h.kit.Message(w, r, http.StatusNotFound, s, "Not found", "This no longer exists, or it was never here. Go back and reload the page.")
	case errors.Is(err, directory.ErrConflict):
		h.kit.Message(w, r, http.StatusConflict, s, "Already changed", "Someone changed this in the meantime. Go back and reload the page to see where it stands.")
	case errors.Is(err, directory.ErrInvalid):
		h.kit.Message(w, r, http.StatusBadRequest, s, "Please check", sentence(err))
	default:
		h.log.Error("console page", "path", r.URL.Path, "err", err)
		h.kit.Message(w, r, http.StatusInternalServerError, s, "Something went wrong", "Please try again. If it keeps happening, tell whoever runs Roster for you.")
	}
}

// sentence turns a directory error into a sentence for people: the
// detail after the sentinel, capitalised, with a full stop.
func sentence(err error) string {
	msg := err.Error()
	for _, sentinel := range []error{directory.ErrInvalid, directory.ErrForbidden, directory.ErrConflict} {
		if i := strings.Index(msg, sentinel.Error()+": "); i >= 0 {
			msg = msg[i+len(sentinel.Error())+2:]
		}
	}
	if msg == "" {
		return msg
	}
	r, n := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[n:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// statusLabel is a membership status in words.
func statusLabel(status string) string {
	switch status {
	case directory.StatusActive:
		return "Active"
	case directory.StatusInvited:
		return "Pending"
	case directory.StatusSuspended:
		return "Suspended"
	}
	return status
}
