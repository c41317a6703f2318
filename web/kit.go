package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/seal"
)

// Cookie names. The session cookie is set by the sign-in door and read by
// every page; the CSRF cookie binds forms of signed-out browsers.
const (
	SessionCookie = "roster_session"
	csrfCookie    = "roster_csrf"
	flashCookie   = "roster_flash"

	// Seal purposes: a value sealed for one never opens as another.
	csrfPurpose  = "roster-csrf"
	flashPurpose = "roster-flash"
)

// DefaultMaxFormBytes bounds a form body unless a page asks for more.
const DefaultMaxFormBytes = 16 << 10

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/*
var assetFS embed.FS

// Config builds a Kit.
type Config struct {
	Directory *directory.Directory
	// Box seals CSRF tokens and flash messages; every replica needs the
	// same keys.
	Box *seal.Box
	// Secure marks cookies Secure (the public URL is https).
	Secure bool
	Logger *slog.Logger
	// Banner, when set, is shown at the top of every page: the server
	// runs in development mode (roster serve --dev), so nobody mistakes it
	// for a production one.
	Banner string
}

// Kit renders pages and guards forms. One Kit per door; they share
// cookies and templates, so a form rendered by one door posts to another.
type Kit struct {
	dir    *directory.Directory
	box    *seal.Box
	secure bool
	log    *slog.Logger
	banner string
}

// New builds a kit.
func New(cfg Config) (*Kit, error) {
	if cfg.Directory == nil || cfg.Box == nil {
		return nil, errors.New("web: a directory and a sealing box are required")
	}
	k := &Kit{dir: cfg.Directory, box: cfg.Box, secure: cfg.Secure, log: cfg.Logger, banner: cfg.Banner}
	if k.log == nil {
		k.log = slog.Default()
	}
	return k, nil
}

// Page is what the layout reads; every door's page data embeds it.
type Page struct {
	Title string
	// CSRF is the hidden field of every form, set by Render.
	CSRF string
	// Session is the signed-in person, nil when signed out.
	Session *directory.Session
	// Flash is the message of the POST that redirected here (set by
	// Render); Notice and Error are the page's own.
	Flash      string
	FlashItems []FlashItem
	Notice     string
	Error      string
	// Console is the workspace frame (name, switcher, navigation); nil
	// for the sign-in pages, which render as a centred card.
	Console *Console
	// Banner is the kit's development-mode warning (set by Render).
	Banner string
	// Wide widens the centred card, for pages of steps to follow.
	Wide bool
	// Refresh reloads the page every Refresh seconds (a live log that
	// works without JavaScript); 0 never.
	Refresh int
}

// FlashItem is one line of a flash message's table: what happened to
// one thing of a batch (an address of an invitation).
type FlashItem struct {
	Label  string `json:"l"`
	Status string `json:"s"`
}

// flash is what travels, sealed, in the flash cookie.
type flash struct {
	Message string      `json:"m"`
	Items   []FlashItem `json:"i,omitempty"`
}

// MaxFlashItems bounds the items of one flash, so that the cookie stays
// far below the browsers' 4 KB.
const MaxFlashItems = 25

// WebPage gives Render the embedded Page of a door's data.
func (p *Page) WebPage() *Page { return p }

// Pager is page data: anything that embeds Page.
type Pager interface{ WebPage() *Page }

// Console frames an admin page: the workspace it is about, where else
// the person administers, and the pages their role may open.
type Console struct {
	WorkspaceName string
	WorkspaceSlug string
	RoleName      string
	Nav           []NavItem
	Switch        []NavItem
}

// NavItem is a link of the navigation or the workspace switcher.
type NavItem struct {
	Label   string
	Href    string
	Current bool
}

// base is the layout and its parts; never executed itself, only cloned.
var base = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html"))

// messagePage is the page that only says something.
var messagePage = Pages(templateFS, "templates", "message")["message"]

// Pages parses each named content template of fsys (dir/name.html, which
// defines "content") into its own copy of the layout. Doors call it once,
// when their package loads.
func Pages(fsys fs.FS, dir string, names ...string) map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, n := range names {
		t := template.Must(base.Clone())
		out[n] = template.Must(t.ParseFS(fsys, dir+"/"+n+".html"))
	}
	return out
}

// PagesWithParts is Pages with a door's own parts file (dir/parts.html,
// defining templates its pages share) parsed into every page.
func PagesWithParts(fsys fs.FS, dir, parts string, names ...string) map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, n := range names {
		t := template.Must(base.Clone())
		out[n] = template.Must(t.ParseFS(fsys, dir+"/"+parts+".html", dir+"/"+n+".html"))
	}
	return out
}

// Render writes a page with the security headers, a fresh CSRF token and
// the pending flash message. It renders into a buffer first, so a
// template error becomes a clean 500 instead of half a page.
func (k *Kit) Render(w http.ResponseWriter, r *http.Request, status int, t *template.Template, data Pager) {
	p := data.WebPage()
	p.CSRF = k.CSRFToken(w, r, sessionID(p.Session))
	p.Banner = k.banner
	if c, err := r.Cookie(flashCookie); err == nil {
		var f flash
		if b, err := k.box.Open(c.Value, flashPurpose); err == nil && json.Unmarshal(b, &f) == nil {
			p.Flash, p.FlashItems = f.Message, f.Items
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: k.secure, SameSite: http.SameSiteLaxMode})
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		k.log.Error("render page", "page", t.Name(), "path", r.URL.Path, "err", err)
		SecurityHeaders(w)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	SecurityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Message renders a page that only says something, in words.
func (k *Kit) Message(w http.ResponseWriter, r *http.Request, status int, s *directory.Session, title, msg string) {
	k.Render(w, r, status, messagePage, &Page{Title: title, Notice: msg, Session: s})
}

// Redirect answers a POST with 303 See Other to url, carrying a flash
// message (and at most MaxFlashItems items) to the next page that
// renders: POST-redirect-GET, so reloading never resubmits.
func (k *Kit) Redirect(w http.ResponseWriter, r *http.Request, url, message string, items ...FlashItem) {
	if message != "" || len(items) > 0 {
		if len(items) > MaxFlashItems {
			items = items[:MaxFlashItems]
		}
		b, _ := json.Marshal(flash{Message: message, Items: items})
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: k.box.Seal(b, flashPurpose), Path: "/", MaxAge: 300,
			HttpOnly: true, Secure: k.secure, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, url, http.StatusSeeOther)
}

// SecurityHeaders are set on every page: private and short-lived (not
// cached), never framed, no Referer (links carry tokens), and only this
// server's stylesheet and script.
func SecurityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'")
}

// ErrForm and ErrCSRF are why ParseForm refused a request.
var (
	ErrForm = errors.New("form could not be read")
	ErrCSRF = errors.New("form token missing or not for this browser")
)

// ParseForm reads a form body of at most limit bytes (DefaultMaxFormBytes
// when 0) and checks its CSRF token against the browser's session (or,
// signed out, its CSRF cookie). On failure it has already answered with
// a page in words (400, or 403 for the token) and returns false.
func (k *Kit) ParseForm(w http.ResponseWriter, r *http.Request, s *directory.Session, limit int64) bool {
	if limit <= 0 {
		limit = DefaultMaxFormBytes
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			k.Message(w, r, http.StatusRequestEntityTooLarge, s, "Form too large", fmt.Sprintf("The form is larger than %d KB. Send less at once.", limit>>10))
			return false
		}
		k.Message(w, r, http.StatusBadRequest, s, "Form not accepted", "The form could not be read. Go back and try again.")
		return false
	}
	if !k.checkCSRF(r, sessionID(s)) {
		k.Message(w, r, http.StatusForbidden, s, "Form expired", "This form has expired or came from another site. Go back, reload the page and try again.")
		return false
	}
	return true
}

func sessionID(s *directory.Session) string {
	if s == nil {
		return ""
	}
	return s.ID
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// csrfBinding is what a form token is bound to: the session when signed
// in, else a random per-browser cookie (set here when missing). A token
// from one browser or session is useless in another.
func (k *Kit) csrfBinding(w http.ResponseWriter, r *http.Request, sessionID string) string {
	if sessionID != "" {
		return "s:" + sessionID
	}
	v := cookieValue(r, csrfCookie)
	if len(v) < 32 {
		v = randomString(32)
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: v, Path: "/", MaxAge: 86400, HttpOnly: true, Secure: k.secure, SameSite: http.SameSiteLaxMode})
		// Later reads in this request see the new value.
		r.AddCookie(&http.Cookie{Name: csrfCookie, Value: v})
	}
	return "c:" + v
}

// CSRFToken is the hidden field of a form for this browser.
func (k *Kit) CSRFToken(w http.ResponseWriter, r *http.Request, sessionID string) string {
	return k.box.Seal([]byte(k.csrfBinding(w, r, sessionID)), csrfPurpose)
}

// checkCSRF verifies a POSTed form's token against this browser, in
// constant time.
func (k *Kit) checkCSRF(r *http.Request, sessionID string) bool {
	b, err := k.box.Open(r.PostFormValue("csrf"), csrfPurpose)
	if err != nil {
		return false
	}
	want := "s:" + sessionID
	if sessionID == "" {
		v := cookieValue(r, csrfCookie)
		if v == "" {
			return false
		}
		want = "c:" + v
	}
	return subtle.ConstantTimeCompare(b, []byte(want)) == 1
}

// Session is the signed-in browser's session, or nil.
func (k *Kit) Session(r *http.Request) *directory.Session {
	tok := cookieValue(r, SessionCookie)
	if tok == "" {
		return nil
	}
	s, err := k.dir.SessionByToken(r.Context(), tok)
	if err != nil {
		if !errors.Is(err, directory.ErrNotFound) {
			k.log.Error("load session", "err", err)
		}
		return nil
	}
	return &s
}

// SessionToken is the raw session cookie (to end or rotate it).
func SessionToken(r *http.Request) string { return cookieValue(r, SessionCookie) }

// SetSession sets the session cookie. Its lifetime is the session's TTL
// (MaxAge, relative), so a skewed clock cannot make it expire at once; the
// server checks the real expiry on every request.
func (k *Kit) SetSession(w http.ResponseWriter, token string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", MaxAge: int(ttl / time.Second),
		HttpOnly: true, Secure: k.secure, SameSite: http.SameSiteLaxMode})
}

// ClearSession removes the session cookie.
func (k *Kit) ClearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: k.secure, SameSite: http.SameSiteLaxMode})
}

func cookieValue(r *http.Request, name string) string {
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// assetVersion changes whenever an asset does, so pages can let browsers
// cache assets for a long time.
var assetVersion = func() string {
	h := sha256.New()
	fs.WalkDir(assetFS, "assets", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := assetFS.ReadFile(path)
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:12]
}()

const assetsPattern = "GET /assets/{file}"

// RegisterAssets serves the stylesheet and script under /assets/ unless
// another door already did: every door that renders pages calls it.
func RegisterAssets(mux *http.ServeMux) {
	probe, _ := http.NewRequest(http.MethodGet, "/assets/roster.css", nil)
	if _, pattern := mux.Handler(probe); pattern == assetsPattern {
		return
	}
	mux.HandleFunc(assetsPattern, serveAsset)
}

func serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := assetFS.ReadFile("assets/" + name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == assetVersion {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Write(b)
}

var funcs = template.FuncMap{
	"asset": func(name string) string { return "/assets/" + name + "?v=" + assetVersion },
	"date": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2 Jan 2006")
		case *time.Time:
			if v != nil {
				return v.UTC().Format("2 Jan 2006")
			}
		}
		return ""
	},
	"datetime": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.UTC().Format("2 Jan 2006, 15:04 UTC")
		case *time.Time:
			if v != nil {
				return v.UTC().Format("2 Jan 2006, 15:04 UTC")
			}
		}
		return ""
	},
	"initials": func(name, email string) string {
		s := strings.TrimSpace(name)
		if s == "" {
			s = email
		}
		out := ""
		for _, f := range strings.Fields(s) {
			for _, r := range f {
				out += strings.ToUpper(string(r))
				break
			}
			if len([]rune(out)) == 2 {
				break
			}
		}
		if out == "" {
			return "?"
		}
		return out
	},
}
