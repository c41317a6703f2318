// Package devidp is a development OpenID Connect provider, built into
// `roster serve --dev --dev-idp` so that Roster can be tried on one
// machine with nothing else installed: its login form signs anyone in as
// any address they type. The protocol side (discovery, authorize, token,
// userinfo, keys, PKCE) is zitadel/oidc's op package; this package holds
// only the in-memory storage that package asks for and the login form.
//
// Roster's sign-in uses it as an ordinary server-wide provider, over
// HTTP, through the same relying party as any other provider.
package devidp

import (
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/seal"
	"github.com/rosterhq/roster/web"
)

// Path is where the provider is mounted; its issuer is the server's base
// URL followed by Path.
const Path = "/dev/idp"

// Key and Name are the provider's key and name among the server-wide
// providers of the sign-in pages.
const (
	Key  = "dev"
	Name = "Development sign-in"
)

// ClientID is the client id Roster's sign-in uses at the provider.
const ClientID = "roster-dev"

// Banner is the warning every page shows while the provider runs.
const Banner = "Development sign-in is on — not for production: anyone can sign in as any address."

const maxFormBytes = 8 << 10

//go:embed templates/*.html
var templateFS embed.FS

var pages = web.Pages(templateFS, "templates", "login")

// Config builds the provider.
type Config struct {
	// BaseURL is the server's public URL (no trailing slash).
	BaseURL string
	// RedirectURI is Roster's callback, the one redirect URI allowed.
	RedirectURI string
	// Directory and Box are the page kit's (CSRF tokens of the login
	// form); Secure marks its cookies Secure.
	Directory *directory.Directory
	Box       *seal.Box
	Secure    bool
	Logger    *slog.Logger
}

// Provider is the running development provider.
type Provider struct {
	// Issuer, ClientID and ClientSecret are what Roster's sign-in is
	// configured with. The secret is random per process.
	Issuer       string
	ClientID     string
	ClientSecret string

	op      op.OpenIDProvider
	storage *storage
	kit     *web.Kit
	log     *slog.Logger
	handler http.Handler
}

// New builds the provider; it serves nothing until Register.
func New(cfg Config) (*Provider, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	issuer := strings.TrimRight(cfg.BaseURL, "/") + Path
	secret, err := randomString(32)
	if err != nil {
		return nil, err
	}
	st, err := newStorage(&client{id: ClientID, secret: secret, redirectURI: cfg.RedirectURI})
	if err != nil {
		return nil, err
	}
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, fmt.Errorf("devidp: key: %w", err)
	}
	opts := []op.Option{op.WithLogger(cfg.Logger.With("component", "devidp"))}
	if strings.HasPrefix(issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure())
	}
	provider, err := op.NewProvider(&op.Config{
		CryptoKey:          cryptoKey,
		CodeMethodS256:     true,
		SupportedUILocales: []language.Tag{language.English},
	}, st, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, fmt.Errorf("devidp: %w", err)
	}
	kit, err := web.New(web.Config{Directory: cfg.Directory, Box: cfg.Box, Secure: cfg.Secure, Logger: cfg.Logger, Banner: Banner})
	if err != nil {
		return nil, err
	}
	p := &Provider{Issuer: issuer, ClientID: ClientID, ClientSecret: secret, op: provider, storage: st, kit: kit, log: cfg.Logger}
	inner := http.NewServeMux()
	intercept := op.NewIssuerInterceptor(provider.IssuerFromRequest)
	inner.HandleFunc("GET /login", p.loginPage)
	inner.HandleFunc("POST /login", intercept.HandlerFunc(p.loginSubmit))
	inner.Handle("/", provider)
	p.handler = http.StripPrefix(Path, inner)
	return p, nil
}

// Register mounts the provider under Path.
func (p *Provider) Register(mux *http.ServeMux) {
	mux.Handle(Path+"/", p.handler)
}

// loginData is the login form's page.
type loginData struct {
	web.Page
	Action  string
	ID      string
	Missing bool
	Form    *web.Form
}

func (p *Provider) render(w http.ResponseWriter, r *http.Request, status int, d *loginData) {
	d.Title, d.Action = "Development sign-in", Path+"/login"
	p.kit.Render(w, r, status, pages["login"], d)
}

// loginPage is the form of one authorization request, the address filled
// in from Roster's login_hint.
func (p *Provider) loginPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	a, ok := p.storage.request(id)
	if !ok || a.done {
		p.render(w, r, http.StatusNotFound, &loginData{Missing: true, Form: web.NewForm(nil)})
		return
	}
	p.render(w, r, http.StatusOK, &loginData{ID: id, Form: web.NewForm(url.Values{"email": {a.loginHint}})})
}

// loginSubmit signs the request in as the typed address and sends the
// browser back through the library's callback, which issues the code.
func (p *Provider) loginSubmit(w http.ResponseWriter, r *http.Request) {
	// The provider is its own site: the form is bound to the browser's
	// CSRF cookie, never to a Roster session.
	if !p.kit.ParseForm(w, r, nil, maxFormBytes) {
		return
	}
	id := r.PostFormValue("authRequestID")
	a, ok := p.storage.request(id)
	if !ok || a.done {
		p.render(w, r, http.StatusNotFound, &loginData{Missing: true, Form: web.NewForm(nil)})
		return
	}
	form := web.NewForm(r.PostForm)
	addr, err := directory.NormalizeEmail(form.Value("email"))
	if err != nil {
		form.Fail("email", "Enter an email address, like jane@example.com.")
	}
	name := strings.TrimSpace(form.Value("name"))
	if len(name) > 200 {
		form.Fail("name", "Keep the name under 200 characters.")
	}
	if !form.OK() {
		p.render(w, r, http.StatusBadRequest, &loginData{ID: id, Form: form})
		return
	}
	if err := p.storage.signIn(id, person{email: addr, name: name}); err != nil {
		if errors.Is(err, errNotFound) {
			p.render(w, r, http.StatusNotFound, &loginData{Missing: true, Form: web.NewForm(nil)})
			return
		}
		p.log.Error("devidp: sign in", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.log.Info("development sign-in", "email", addr)
	http.Redirect(w, r, op.AuthCallbackURL(p.op)(r.Context(), id), http.StatusSeeOther)
}

func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("devidp: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
