package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/oidc"
	"github.com/rosterhq/roster/seal"
	"github.com/rosterhq/roster/telemetry"
)

// Prefix is where the API lives.
const Prefix = "/api/v1"

// Defaults for Options.
const (
	DefaultMaxBodyBytes   = 2 << 20
	DefaultMaxUploadBytes = 10 << 20
)

// Options configure the API.
type Options struct {
	Directory *directory.Directory
	// Box seals webhook secrets (they must be recoverable to sign).
	Box *seal.Box
	// OperatorKey is the server operator's bearer key (ROSTER_OPERATOR_KEY):
	// it creates workspaces and may act in any of them. Empty disables it.
	OperatorKey string
	// MaxBodyBytes caps JSON request bodies; default 2 MiB.
	MaxBodyBytes int64
	// MaxUploadBytes caps import files; default 10 MiB.
	MaxUploadBytes int64
	// Logger receives server-side failures; default slog.Default().
	Logger *slog.Logger
	// SAMLFetch fetches SAML metadata URLs; default the guarded client of
	// oidc.NewFetchClient (public https addresses only).
	SAMLFetch *http.Client
}

// API is the admin JSON API. Register mounts it on a ServeMux.
type API struct {
	d           *directory.Directory
	box         *seal.Box
	operatorKey [sha256.Size]byte
	hasOperator bool
	maxBody     int64
	maxUpload   int64
	log         *slog.Logger
	routes      []route
	samlFetch   *http.Client
}

// access says who may call a route.
type access int

const (
	// workspaceAccess: a key of the workspace named by {ws}, or the operator.
	workspaceAccess access = iota
	// operatorAccess: the operator only.
	operatorAccess
	// keyAccess: an API key, acting in its own workspace.
	keyAccess
	// publicAccess: anyone (the OpenAPI document).
	publicAccess
)

// route is one operation. params lists the query parameters it accepts;
// any other is refused, so a typo never silently widens a listing.
type route struct {
	method string
	path   string
	access access
	params []string
	handle func(c *call) (status int, body any, err error)
}

// Route is a method and path pattern the API serves, for tests and docs.
type Route struct {
	Method string
	Path   string
	Params []string
	Public bool
}

// call is one request being handled.
type call struct {
	api   *API
	w     http.ResponseWriter
	r     *http.Request
	actor directory.Actor
	// ws is the workspace the request acts in: the {ws} path value, or
	// the key's workspace for key-scoped routes.
	ws string
}

// New builds the API.
func New(opts Options) (*API, error) {
	if opts.Directory == nil {
		return nil, errors.New("admin: no directory")
	}
	if opts.Box == nil {
		return nil, errors.New("admin: no seal box (webhook secrets are sealed with it)")
	}
	a := &API{d: opts.Directory, box: opts.Box, maxBody: opts.MaxBodyBytes, maxUpload: opts.MaxUploadBytes, log: opts.Logger}
	if opts.OperatorKey != "" {
		if len(opts.OperatorKey) < 24 {
			return nil, errors.New("admin: the operator key must be at least 24 characters")
		}
		a.operatorKey, a.hasOperator = sha256.Sum256([]byte(opts.OperatorKey)), true
	}
	if a.maxBody <= 0 {
		a.maxBody = DefaultMaxBodyBytes
	}
	if a.maxUpload <= 0 {
		a.maxUpload = DefaultMaxUploadBytes
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	if a.samlFetch = opts.SAMLFetch; a.samlFetch == nil {
		a.samlFetch = oidc.NewFetchClient(false)
	}
	a.routes = a.allRoutes()
	return a, nil
}

// allRoutes is the API's table of operations; openapi.json documents the
// same set (TestOpenAPIMatchesRoutes keeps them in step).
func (a *API) allRoutes() []route {
	var rs []route
	add := func(group []route) { rs = append(rs, group...) }
	add([]route{{method: "GET", path: "/openapi.json", access: publicAccess, handle: a.openAPI}})
	add(a.workspaceRoutes())
	add(a.memberRoutes())
	add(a.invitationRoutes())
	add(a.roleRoutes())
	add(a.eventRoutes())
	add(a.webhookRoutes())
	add(a.apiKeyRoutes())
	add(a.teamRoutes())
	add(a.domainRoutes())
	add(a.joinRoutes())
	add(a.setupLinkRoutes())
	add(a.connectionRoutes())
	add(a.samlRoutes())
	add(a.outboxRoutes())
	return rs
}

// Routes lists what the API serves.
func (a *API) Routes() []Route {
	out := make([]Route, len(a.routes))
	for i, rt := range a.routes {
		out[i] = Route{Method: rt.method, Path: Prefix + rt.path, Params: rt.params, Public: rt.access == publicAccess}
	}
	return out
}

// Register mounts every route on mux, plus a catch-all under /api/v1/ that
// answers unknown paths and methods with problem details instead of
// ServeMux's plain text.
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range a.routes {
		mux.Handle(rt.method+" "+Prefix+rt.path, a.wrap(rt))
	}
	mux.HandleFunc(Prefix+"/", a.notFound)
}

// Handler is the API on its own ServeMux, for tests and embedding.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	a.Register(mux)
	return mux
}

func (a *API) notFound(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, rt := range a.routes {
		if matchPath(Prefix+rt.path, r.URL.Path) && !slices.Contains(allow, rt.method) {
			allow = append(allow, rt.method)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, r, newProblem(http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed",
			fmt.Sprintf("%s does not accept %s; it accepts %s", r.URL.Path, r.Method, strings.Join(allow, ", "))))
		return
	}
	writeProblem(w, r, newProblem(http.StatusNotFound, "not-found", "Not found",
		fmt.Sprintf("no such endpoint: %s %s; see %s/openapi.json", r.Method, r.URL.Path, Prefix)))
}

// matchPath reports whether path matches a ServeMux pattern whose
// wildcards are single segments.
func matchPath(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			if xs[i] == "" {
				return false
			}
		} else if ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// wrap authenticates a request, checks its query parameters, runs the
// route and writes the answer.
func (a *API) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, end := telemetry.StartSpan(r.Context(), "admin "+rt.method+" "+Prefix+rt.path, "")
		c := &call{api: a, w: w, r: r.WithContext(ctx)}
		status, body, err := a.serve(c, rt)
		end(err)
		if err == nil {
			err = checkWire(body)
		}
		if err != nil {
			p := problemFor(err)
			if p.Status >= 500 {
				a.log.ErrorContext(r.Context(), "admin API request failed", "method", r.Method, "route", rt.path, "err", err)
			}
			writeProblem(w, r, p)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		if body == nil {
			w.WriteHeader(status)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		enc.Encode(body)
	})
}

func (a *API) serve(c *call, rt route) (int, any, error) {
	if err := checkRequestText(c.r, rt.path); err != nil {
		return 0, nil, err
	}
	if err := a.authenticate(c, rt); err != nil {
		return 0, nil, err
	}
	telemetry.SetWorkspace(c.r.Context(), c.actor.WorkspaceID)
	var bad []FieldError
	for name := range c.r.URL.Query() {
		if !slices.Contains(rt.params, name) {
			detail := "unknown query parameter"
			if len(rt.params) > 0 {
				detail += "; this endpoint accepts " + strings.Join(rt.params, ", ")
			}
			bad = append(bad, paramErr(name, detail))
		}
	}
	if len(bad) > 0 {
		slices.SortFunc(bad, func(x, y FieldError) int { return strings.Compare(x.Parameter, y.Parameter) })
		return 0, nil, errValidation(bad...)
	}
	return rt.handle(c)
}

// authenticate resolves the bearer token to an actor and checks it may
// reach the route's workspace. A key never reaches another workspace: a
// {ws} that is not its own answers 404, exactly like a workspace that does
// not exist, so keys cannot probe for other workspaces' slugs.
func (a *API) authenticate(c *call, rt route) error {
	if rt.access == publicAccess {
		return nil
	}
	auth := c.r.Header.Get("Authorization")
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	if auth == "" || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return errUnauthorized("send an API key in the Authorization header: \"Authorization: Bearer roster_…\" (create one with `roster apikey create`)")
	}
	sum := sha256.Sum256([]byte(token))
	operator := a.hasOperator && subtle.ConstantTimeCompare(sum[:], a.operatorKey[:]) == 1
	var key directory.APIKey
	if operator {
		c.actor = directory.Actor{Kind: directory.ActorOperator, Name: "Roster operator", Source: "api"}
	} else {
		var err error
		c.actor, key, err = a.d.AuthenticateAPIKey(c.r.Context(), token)
		switch {
		case errors.Is(err, directory.ErrNotFound), errors.Is(err, directory.ErrRevoked), errors.Is(err, directory.ErrExpired):
			return errUnauthorized("the API key is unknown, revoked or expired")
		case err != nil:
			return err
		}
	}
	switch rt.access {
	case operatorAccess:
		if !operator {
			return newProblem(http.StatusForbidden, "forbidden", "Not permitted", "only the server operator's key (ROSTER_OPERATOR_KEY) may do this; workspace API keys cannot")
		}
	case keyAccess:
		if operator {
			return errBadRequest("the operator key belongs to no workspace; use " + Prefix + "/workspaces/{workspace}" + rt.path)
		}
		c.ws = key.WorkspaceID
	case workspaceAccess:
		c.ws = c.r.PathValue("ws")
		if !operator && c.ws != key.WorkspaceID && !strings.EqualFold(c.ws, key.WorkspaceSlug) {
			return fmt.Errorf("workspace %q: %w", c.ws, directory.ErrNotFound)
		}
	}
	return nil
}

// path returns a path wildcard.
func (c *call) path(name string) string { return c.r.PathValue(name) }
