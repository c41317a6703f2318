package setup

import (
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/seal"
	"github.com/rosterhq/roster/web"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = web.PagesWithParts(templateFS, "templates", "steps", "pick", "scim", "requests", "sso", "domain", "done", "refused")

// Config configures the setup pages.
type Config struct {
	Directory *directory.Directory
	// Box seals CSRF tokens (the same keys as every other door) and the
	// client secrets of the connections the IT admin enters.
	Box *seal.Box
	// SignIn is the sign-in door, which checks discovery and runs test
	// sign-ins through its callback (the one redirect URI to register).
	SignIn *oidc.Handler
	// BaseURL is the public URL, for the SCIM base URL shown to paste.
	BaseURL string
	Secure  bool
	Logger  *slog.Logger
}

// Handler serves the setup pages.
type Handler struct {
	dir     *directory.Directory
	box     *seal.Box
	signIn  *oidc.Handler
	baseURL string
	kit     *web.Kit
	log     *slog.Logger
}

// New builds the setup pages.
func New(cfg Config) (*Handler, error) {
	if cfg.SignIn == nil {
		return nil, errors.New("setup: the sign-in door is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	kit, err := web.New(web.Config{Directory: cfg.Directory, Box: cfg.Box, Secure: cfg.Secure, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	return &Handler{dir: cfg.Directory, box: cfg.Box, signIn: cfg.SignIn, baseURL: strings.TrimRight(cfg.BaseURL, "/"), kit: kit, log: cfg.Logger}, nil
}

// Register adds the setup routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	web.RegisterAssets(mux)
	mux.HandleFunc("GET /setup/{token}", h.page)
	mux.HandleFunc("POST /setup/{token}/provider", h.chooseProvider)
	mux.HandleFunc("POST /setup/{token}/scim/token", h.scimToken)
	mux.HandleFunc("GET /setup/{token}/scim/requests", h.scimRequests)
	mux.HandleFunc("POST /setup/{token}/sso", h.ssoSave)
	mux.HandleFunc("POST /setup/{token}/sso/test", h.ssoTest)
	mux.HandleFunc("POST /setup/{token}/domain", h.domainAdd)
	mux.HandleFunc("POST /setup/{token}/domain/{id}/check", h.domainCheck)
	mux.HandleFunc("POST /setup/{token}/finish", h.finish)
}

// pageData is what every setup page shows.
type pageData struct {
	web.Page
	Link        directory.SetupLink
	Base        string
	Purpose     string
	Provider    string
	ProviderKey string
	Providers   []providerChoice
	Steps       []step
	Form        *web.Form

	// SCIM
	SCIMBaseURL string
	SCIMToken   string
	Requests    []requestRow
	// SSO
	RedirectURI string
	Scopes      string
	Connection  *directory.OIDCConnection
	Test        *directory.SetupSignInTest
	Claims      []claimRow
	// Domain
	Domains []directory.Domain
}

type providerChoice struct {
	Key, Name, Hint string
}

type claimRow struct{ Name, Value string }

// purposeTitle is a link's purpose as a page title.
func purposeTitle(purpose string) string {
	switch purpose {
	case directory.SetupSCIM:
		return "Set up SCIM provisioning"
	case directory.SetupSSO:
		return "Set up single sign-on"
	}
	return "Verify your domain"
}

// open loads the link of the request's token, or answers with a page
// that says why it cannot be used and returns false.
func (h *Handler) open(w http.ResponseWriter, r *http.Request) (directory.SetupLink, bool) {
	l, err := h.dir.OpenSetupLink(r.Context(), r.PathValue("token"))
	if err != nil {
		h.refuse(w, r, l, err)
		return l, false
	}
	return l, true
}

// message answers with a page that only says something; unlike the
// kit's, it offers no sign-in, which the link's holder has no use for.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	h.kit.Render(w, r, status, pages["refused"], &web.Page{Title: title, Notice: msg})
}

// refuse answers an error of a setup link in words.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, l directory.SetupLink, err error) {
	ask := "Ask the person who sent it to you for a new setup link."
	if l.WorkspaceName != "" {
		ask = "Ask an admin of " + l.WorkspaceName + " on Roster for a new setup link."
	}
	switch {
	case errors.Is(err, directory.ErrNotFound) && l.ID == "":
		h.message(w, r, http.StatusNotFound, "Setup link not found", "This setup link does not exist. Check that you copied all of it. "+ask)
	case errors.Is(err, directory.ErrExpired):
		h.message(w, r, http.StatusGone, "This setup link has expired",
			fmt.Sprintf("This link to %s for %s expired on %s. Nothing more can be done with it. %s", strings.ToLower(purposeTitle(l.Purpose)), l.WorkspaceName, l.ExpiresAt.UTC().Format("2 Jan 2006 at 15:04 UTC"), ask))
	case errors.Is(err, directory.ErrRevoked):
		h.message(w, r, http.StatusGone, "This setup link was revoked",
			fmt.Sprintf("An admin of %s revoked this link, so it no longer works. What was already set up with it stays. %s", l.WorkspaceName, ask))
	case errors.Is(err, directory.ErrUsed):
		http.Redirect(w, r, "/setup/"+url.PathEscape(r.PathValue("token")), http.StatusSeeOther)
	case errors.Is(err, directory.ErrForbidden):
		h.message(w, r, http.StatusForbidden, "Not part of this setup", "This setup link is for another job. "+ask)
	default:
		h.log.Error("setup page", "err", err)
		h.message(w, r, http.StatusInternalServerError, "Something went wrong", "Roster could not complete this step. Try again in a moment.")
	}
}

// data starts a page of link l.
func (h *Handler) data(r *http.Request, l directory.SetupLink, title string) *pageData {
	d := &pageData{Page: web.Page{Title: title, Wide: true}, Link: l, Base: "/setup/" + url.PathEscape(r.PathValue("token")), Purpose: l.Purpose,
		ProviderKey: l.Provider, Provider: directory.SetupProviderName(l.Provider), Form: web.NewForm(nil)}
	for _, p := range directory.SetupProviders {
		d.Providers = append(d.Providers, providerChoice{Key: p, Name: providerLabel(p), Hint: providerHint(l.Purpose, p)})
	}
	return d
}

// page is the link's page: what it shows depends on the purpose and how
// far the IT admin got.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	l, ok := h.open(w, r)
	if !ok {
		return
	}
	if l.CompletedAt != nil {
		h.kit.Render(w, r, http.StatusOK, pages["done"], h.data(r, l, "Setup finished"))
		return
	}
	switch {
	case l.Purpose == directory.SetupDomain:
		h.domainPage(w, r, l, http.StatusOK, nil)
	case l.Provider == "":
		h.kit.Render(w, r, http.StatusOK, pages["pick"], h.data(r, l, purposeTitle(l.Purpose)))
	case l.Purpose == directory.SetupSCIM:
		h.scimPage(w, r, l, "")
	default:
		h.ssoPage(w, r, l, http.StatusOK, nil)
	}
}

// form reads a POSTed form (CSRF checked against this browser).
func (h *Handler) form(w http.ResponseWriter, r *http.Request) bool {
	return h.kit.ParseForm(w, r, nil, 0)
}

func (h *Handler) chooseProvider(w http.ResponseWriter, r *http.Request) {
	if !h.form(w, r) {
		return
	}
	l, err := h.dir.SetupChooseProvider(r.Context(), r.PathValue("token"), r.PostFormValue("provider"))
	if errors.Is(err, directory.ErrInvalid) {
		l, ok := h.open(w, r)
		if !ok {
			return
		}
		d := h.data(r, l, purposeTitle(l.Purpose))
		d.Form.Fail("provider", "Pick the identity provider your company uses, or the last choice if it is not listed.")
		h.kit.Render(w, r, http.StatusUnprocessableEntity, pages["pick"], d)
		return
	}
	if err != nil {
		h.refuse(w, r, l, err)
		return
	}
	http.Redirect(w, r, "/setup/"+url.PathEscape(r.PathValue("token")), http.StatusSeeOther)
}

func (h *Handler) finish(w http.ResponseWriter, r *http.Request) {
	if !h.form(w, r) {
		return
	}
	l, err := h.dir.FinishSetup(r.Context(), r.PathValue("token"))
	if errors.Is(err, directory.ErrInvalid) {
		l, ok := h.open(w, r)
		if !ok {
			return
		}
		h.ssoPage(w, r, l, http.StatusUnprocessableEntity, func(d *pageData) {
			d.Error = "Run a test sign-in first: it shows whether Roster would accept your people before single sign-on is switched on."
		})
		return
	}
	if err != nil {
		h.refuse(w, r, l, err)
		return
	}
	h.log.Info("setup finished", "workspace", l.WorkspaceID, "setup_link", l.ID, "purpose", l.Purpose)
	http.Redirect(w, r, "/setup/"+url.PathEscape(r.PathValue("token")), http.StatusSeeOther)
}

// when formats a time for people.
func when(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04:05 UTC") }
