package oidc

import (
	"embed"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages are parsed once, each into its own copy of the kit's layout.
var pages = web.Pages(templateFS, "templates", "login", "choose", "invite", "join", "onboarding", "home", "logout")

// choice is a server-wide provider offered on the choose page.
type choice struct {
	Key  string
	Name string
}

// linkTarget is the workspace an invitation or join link leads into, for
// the page that says why it cannot be followed yet.
type linkTarget struct {
	WorkspaceID   string
	WorkspaceName string
	// Contact is who to tell: the inviter, or the workspace's
	// administrators.
	Contact string
}

// language is an option of the onboarding page.
type language struct {
	Code string
	Name string
}

var languages = []language{{"en", "English"}, {"de", "Deutsch"}, {"es", "Español"}, {"fr", "Français"}, {"it", "Italiano"},
	{"nl", "Nederlands"}, {"pt", "Português"}, {"pl", "Polski"}, {"sv", "Svenska"}, {"ja", "日本語"}}

// pageData is what every template gets; pages use the fields they need.
type pageData struct {
	web.Page

	Email    string
	Domain   string
	ReturnTo string
	Action   string
	Choices  []choice

	Invitation *directory.InvitationView
	Join       *directory.JoinLinkView
	Token      string
	JoinState  string

	// Link and Gap are the workspace of the invitation or join link being
	// followed, and why no provider routes its address there.
	Link *linkTarget
	Gap  *directory.SignInGap

	Me *directory.Me
	// Administers holds the ids of the workspaces whose console the
	// person may open.
	Administers map[string]bool
	Membership  *directory.MyMembership
	Languages   []language
	Locale      string
	Name        string
	Phone       string
}

// render writes a page through the kit (security headers, CSRF token,
// flash message).
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, d *pageData) {
	if d.Session == nil {
		d.Session = h.session(r)
	}
	h.kit.Render(w, r, status, pages[name], d)
}

// message renders a page that only says something.
func (h *Handler) message(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	h.kit.Message(w, r, status, h.session(r), title, msg)
}

// loginPage is the email field of home-realm discovery.
func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	d := &pageData{Page: web.Page{Title: "Sign in"}, ReturnTo: safeReturnTo(r.URL.Query().Get("return_to"))}
	if r.URL.Query().Get("signed_out") != "" {
		d.Notice = "You are signed out."
	}
	h.render(w, r, http.StatusOK, "login", d)
}

// loginSubmit routes an email to its provider, or offers the server-wide
// providers. The answer for a domain no workspace routes is the same
// whether or not the domain exists elsewhere (unverified, unknown), so the
// page reveals nothing about other workspaces.
func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.session(r)
	if !h.parseForm(w, r, s) {
		return
	}
	returnTo := safeReturnTo(r.PostFormValue("return_to"))
	email := strings.TrimSpace(r.PostFormValue("email"))
	txn := transaction{ReturnTo: returnTo}
	if key := r.PostFormValue("provider"); key != "" {
		h.startServerProvider(w, r, key, txn, email)
		return
	}
	addr, err := directory.NormalizeEmail(email)
	if err != nil {
		h.render(w, r, http.StatusBadRequest, "login", &pageData{Page: web.Page{Title: "Sign in", Session: s, Error: "Enter your work email address, like jane@example.com."}, Email: email, ReturnTo: returnTo})
		return
	}
	h.routeOrChoose(w, r, s, addr, txn, "/login", nil)
}

// routeOrChoose starts the sign-in at the connection that routes addr, or
// renders the choice of server-wide providers (or the "no sign-in" message)
// whose forms post back to action. link is the workspace of the
// invitation or join link being followed, nil on the plain sign-in page.
func (h *Handler) routeOrChoose(w http.ResponseWriter, r *http.Request, s *directory.Session, addr string, txn transaction, action string, link *linkTarget) {
	c, err := h.route(r.Context(), addr)
	if err != nil && !errors.Is(err, directory.ErrInvalid) {
		h.directoryError(w, r, err, pageSignIn)
		return
	}
	if c != nil {
		h.start(w, r, c, txn, addr)
		return
	}
	if h.startSAML(w, r, addr, txn) {
		return
	}
	d := &pageData{Page: web.Page{Title: "Choose how to sign in", Session: s}, Email: addr, Domain: directory.EmailDomain(addr), ReturnTo: txn.ReturnTo, Action: action}
	for _, p := range h.servers {
		d.Choices = append(d.Choices, choice{Key: p.Key, Name: p.Name})
	}
	if link != nil && len(d.Choices) == 0 {
		// Someone holding a link must not be told to ask for one: say why
		// it cannot be followed and who can fix it.
		gap, err := h.dir.SignInGapFor(r.Context(), link.WorkspaceID, addr)
		if err != nil {
			h.directoryError(w, r, err, pageSignIn)
			return
		}
		d.Link, d.Gap, d.Title = link, &gap, "Sign-in is not set up yet"
	}
	h.render(w, r, http.StatusOK, "choose", d)
}

func (h *Handler) startServerProvider(w http.ResponseWriter, r *http.Request, key string, txn transaction, email string) {
	c := h.serverProvider(key)
	if c == nil {
		h.message(w, r, http.StatusBadRequest, "Unknown sign-in method", "Go back and choose one of the sign-in methods offered.")
		return
	}
	hint := ""
	if addr, err := directory.NormalizeEmail(email); err == nil {
		hint = addr
	}
	h.start(w, r, c, txn, hint)
}

// invitePage shows who invited the person, to which workspace, with which
// role, and whether the link still works.
func (h *Handler) invitePage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	inv, err := h.dir.InvitationByToken(r.Context(), token)
	if err != nil {
		h.directoryError(w, r, err, pageInvite)
		return
	}
	d := &pageData{Page: web.Page{Title: "Invitation to " + inv.WorkspaceName}, Invitation: &inv, Token: token}
	status := http.StatusOK
	if inv.Status != directory.InvitationPending {
		status = http.StatusGone
	}
	h.render(w, r, status, "invite", d)
}

// inviteSubmit continues an invitation with the provider that routes the
// invited address.
func (h *Handler) inviteSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.session(r)
	if !h.parseForm(w, r, s) {
		return
	}
	token := r.PathValue("token")
	inv, err := h.dir.InvitationByToken(r.Context(), token)
	if err != nil {
		h.directoryError(w, r, err, pageInvite)
		return
	}
	switch inv.Status {
	case directory.InvitationExpired:
		h.directoryError(w, r, directory.ErrExpired, pageInvite)
		return
	case directory.InvitationRevoked:
		h.directoryError(w, r, directory.ErrRevoked, pageInvite)
		return
	case directory.InvitationAccepted:
		h.directoryError(w, r, directory.ErrUsed, pageInvite)
		return
	}
	txn := transaction{Invitation: token}
	if key := r.PostFormValue("provider"); key != "" {
		h.startServerProvider(w, r, key, txn, inv.Email)
		return
	}
	h.routeOrChoose(w, r, s, inv.Email, txn, "/invite/"+url.PathEscape(token),
		&linkTarget{WorkspaceID: inv.WorkspaceID, WorkspaceName: inv.WorkspaceName, Contact: inv.InviterName})
}

// joinPage shows a join link: the workspace, what the link is for, and who
// decides. Signed in, it shows where the person's request stands.
func (h *Handler) joinPage(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	jl, err := h.dir.JoinLinkByToken(r.Context(), token)
	if err != nil {
		h.directoryError(w, r, err, pageJoin)
		return
	}
	s := h.session(r)
	d := &pageData{Page: web.Page{Title: "Join " + jl.WorkspaceName, Session: s}, Join: &jl, Token: token}
	if s != nil {
		me, err := h.dir.MyWorkspaces(r.Context(), s.UserID)
		if err == nil {
			for i, m := range me.Memberships {
				if m.WorkspaceID == jl.WorkspaceID {
					d.Membership = &me.Memberships[i]
					d.JoinState = m.Status
				}
			}
		}
	}
	status := http.StatusOK
	if !jl.Active {
		status = http.StatusGone
	}
	h.render(w, r, status, "join", d)
}

// joinSubmit starts the sign-in for a join link with the provider that
// routes the person's email.
func (h *Handler) joinSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.session(r)
	if !h.parseForm(w, r, s) {
		return
	}
	token := r.PathValue("token")
	jl, err := h.dir.JoinLinkByToken(r.Context(), token)
	if err != nil {
		h.directoryError(w, r, err, pageJoin)
		return
	}
	if !jl.Active {
		h.directoryError(w, r, directory.ErrRevoked, pageJoin)
		return
	}
	txn := transaction{JoinLink: token}
	email := strings.TrimSpace(r.PostFormValue("email"))
	if key := r.PostFormValue("provider"); key != "" {
		h.startServerProvider(w, r, key, txn, email)
		return
	}
	addr, err := directory.NormalizeEmail(email)
	if err != nil {
		h.render(w, r, http.StatusBadRequest, "join", &pageData{Page: web.Page{Title: "Join " + jl.WorkspaceName, Session: s, Error: "Enter your work email address, like jane@example.com."}, Join: &jl, Token: token, Email: email})
		return
	}
	h.routeOrChoose(w, r, s, addr, txn, "/join/"+url.PathEscape(token),
		&linkTarget{WorkspaceID: jl.WorkspaceID, WorkspaceName: jl.WorkspaceName, Contact: "the administrators of " + jl.WorkspaceName})
}

func (h *Handler) logoutPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "logout", &pageData{Page: web.Page{Title: "Sign out"}})
}

// logout ends the session on the server, not only in the browser.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	s := h.session(r)
	if !h.parseForm(w, r, s) {
		return
	}
	if err := h.dir.EndSession(r.Context(), web.SessionToken(r)); err != nil {
		h.directoryError(w, r, err, pageSignIn)
		return
	}
	h.kit.ClearSession(w)
	http.Redirect(w, r, "/login?signed_out=1", http.StatusSeeOther)
}

// requireSession sends a signed-out browser to /login, coming back here.
func (h *Handler) requireSession(w http.ResponseWriter, r *http.Request) *directory.Session {
	s := h.session(r)
	if s == nil {
		http.Redirect(w, r, "/login?return_to="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	}
	return s
}

// myMembership finds the membership of the signed-in user in a workspace;
// the session belongs to the user, so the membership's status is checked
// on every workspace page.
func (h *Handler) myMembership(w http.ResponseWriter, r *http.Request, s *directory.Session, slug string) (*directory.Me, *directory.MyMembership) {
	me, err := h.dir.MyWorkspaces(r.Context(), s.UserID)
	if err != nil {
		h.directoryError(w, r, err, pageSignIn)
		return nil, nil
	}
	for i, m := range me.Memberships {
		if (m.WorkspaceSlug == slug || m.WorkspaceID == slug) && !m.PendingRequest {
			switch m.Status {
			case directory.StatusSuspended:
				h.directoryError(w, r, directory.ErrSuspended, pageSignIn)
				return nil, nil
			case directory.StatusActive:
				return &me, &me.Memberships[i]
			}
		}
	}
	h.directoryError(w, r, directory.ErrNotFound, pageSignIn)
	return nil, nil
}

// onboardingPage shows the activation steps of a membership: terms, name,
// language, phone.
func (h *Handler) onboardingPage(w http.ResponseWriter, r *http.Request) {
	s := h.requireSession(w, r)
	if s == nil {
		return
	}
	me, m := h.myMembership(w, r, s, r.URL.Query().Get("workspace"))
	if m == nil {
		return
	}
	locale := me.Locale
	if locale == "" {
		locale = "en"
	}
	h.render(w, r, http.StatusOK, "onboarding", &pageData{Page: web.Page{Title: "Welcome to " + m.WorkspaceName, Session: s}, Me: me, Membership: m, Languages: languages, Locale: locale, Name: me.Name, Phone: me.Phone})
}

// onboardingSubmit records the activation steps.
func (h *Handler) onboardingSubmit(w http.ResponseWriter, r *http.Request) {
	s := h.requireSession(w, r)
	if s == nil || !h.parseForm(w, r, s) {
		return
	}
	slug := r.PostFormValue("workspace")
	o := directory.Onboarding{TermsVersion: r.PostFormValue("terms_version"), AcceptTerms: r.PostFormValue("accept_terms") == "yes",
		Name: r.PostFormValue("name"), Locale: r.PostFormValue("locale"), Phone: r.PostFormValue("phone")}
	_, err := h.dir.CompleteOnboarding(r.Context(), s.UserID, slug, o)
	if errors.Is(err, directory.ErrInvalid) {
		me, m := h.myMembership(w, r, s, slug)
		if m == nil {
			return
		}
		h.render(w, r, http.StatusBadRequest, "onboarding", &pageData{Page: web.Page{Title: "Welcome to " + m.WorkspaceName, Session: s, Error: strings.TrimPrefix(err.Error(), directory.ErrInvalid.Error()+": ")}, Me: me, Membership: m, Languages: languages, Locale: o.Locale, Name: o.Name, Phone: o.Phone})
		return
	}
	if err != nil {
		h.directoryError(w, r, err, pageSignIn)
		return
	}
	http.Redirect(w, r, "/home", http.StatusSeeOther)
}

// home is "your workspaces": every membership with its status.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	s := h.requireSession(w, r)
	if s == nil {
		return
	}
	me, err := h.dir.MyWorkspaces(r.Context(), s.UserID)
	if err != nil {
		h.directoryError(w, r, err, pageSignIn)
		return
	}
	admin, err := h.dir.AdministeredWorkspaces(r.Context(), s.UserID)
	if err != nil {
		h.directoryError(w, r, err, pageSignIn)
		return
	}
	d := &pageData{Page: web.Page{Title: "Your workspaces", Session: s}, Me: &me, Administers: map[string]bool{}}
	for _, a := range admin {
		d.Administers[a.WorkspaceID] = true
	}
	h.render(w, r, http.StatusOK, "home", d)
}
