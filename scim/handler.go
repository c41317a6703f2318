package scim

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/telemetry"
)

// DefaultMaxBodyBytes caps request bodies: a PUT of a 50,000-member group
// is about 3 MB.
const DefaultMaxBodyBytes = 10 << 20

// maxResults is the page size limit (filter.maxResults) and the page size
// when a list does not ask for one.
const maxResults = 1000

// Options configure a Handler.
type Options struct {
	// BaseURL is the public URL of the SCIM endpoint, e.g.
	// https://roster.example.com/scim/v2; meta.location and Location are
	// built from it. Default: the directory's base URL + "/scim/v2".
	BaseURL string
	// MaxBodyBytes caps request bodies (413 beyond); default
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// Logger receives operational errors; default slog.Default().
	Logger *slog.Logger
	// LogFlushInterval is how often request-log entries are written;
	// default one second.
	LogFlushInterval time.Duration
	// PruneInterval is how often request logs are pruned to their
	// retention; default one hour.
	PruneInterval time.Duration
	// RateLimit (requests per second) and RateBurst are the rate limit
	// of connections that set none; default DefaultRateLimit and
	// DefaultRateBurst. Now is the limiter's clock (tests).
	RateLimit float64
	RateBurst int
	Now       func() time.Time
	// Metrics counts operations by outcome; nil counts nothing.
	Metrics *telemetry.Metrics
}

// Handler is the SCIM 2.0 endpoint of every workspace: the bearer token
// picks the workspace. It decodes requests (undoing IdP quirks), makes
// one directory call and encodes the answer. Close it to flush the
// request log.
//
// It replaces elimity-com/scim's Server (v0.0.0-20240320110924) rather
// than wrapping it: at that version the server rejects externalId, id and
// meta filters and value-path filters before a handler sees them, ignores
// sortBy, attributes and excludedAttributes, never checks If-Match, sets
// no Location and a relative meta.location, reports itemsPerPage as the
// count asked for and Resources as null, accepts Entra's "True" only
// through a process-wide switch, answers any error that is not a
// by-value ScimError with a 500 carrying err.Error(), reads bodies without
// a limit, and routes paths case-sensitively. Closing each gap around it
// would have meant re-parsing every request in middleware and rewriting
// every response; owning the HTTP layer closes each in one place. The
// library's RFC 7643 schema definitions (schema.go) are kept.
type Handler struct {
	dir     *directory.Directory
	base    string
	maxBody int64
	log     *slog.Logger
	rec     *recorder
	limits  *connLimits
	metrics *telemetry.Metrics
	// root is the path of the SCIM root (/scim/v2), for route labels.
	root string
}

// NewHandler returns the SCIM endpoint. Mount it with the SCIM root
// stripped from the path (http.StripPrefix("/scim/v2", h)).
func NewHandler(d *directory.Directory, opts Options) *Handler {
	h := &Handler{dir: d, base: strings.TrimRight(opts.BaseURL, "/"), maxBody: opts.MaxBodyBytes, log: opts.Logger}
	if h.base == "" {
		h.base = d.BaseURL() + "/scim/v2"
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.rec = newRecorder(d, h.log, opts.LogFlushInterval, opts.PruneInterval)
	h.limits, h.metrics = newConnLimits(opts.RateLimit, opts.RateBurst, opts.Now), opts.Metrics
	if u, err := url.Parse(h.base); err == nil {
		h.root = strings.TrimRight(u.Path, "/")
	}
	return h
}

// Close flushes the request log and stops its writer.
func (h *Handler) Close() error {
	h.rec.close()
	return nil
}

// request is what a handler function gets: the request, the caller's
// connection and the quirks of its IdP.
type request struct {
	*http.Request
	conn directory.SCIMConnection
	q    quirks
	// did describes what the request did, for the request log.
	did string
	// outcome is what a successful request did, for metrics
	// (telemetry.go); empty is "ok".
	outcome string
}

// handlerFunc answers a request, or returns an error that errorFor
// turns into a SCIM Error.
type handlerFunc func(w http.ResponseWriter, r *request) error

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP authenticates, routes and logs one request.
func (h *Handler) ServeHTTP(rw http.ResponseWriter, hr *http.Request) {
	start := time.Now()
	w := &statusWriter{ResponseWriter: rw}
	if hr.Body != nil {
		hr.Body = http.MaxBytesReader(w, hr.Body, h.maxBody)
	}
	ep := endpointOf(hr.URL.Path)
	telemetry.SetRoute(hr.Context(), ep.route(h.root))
	conn, err := h.authenticate(hr)
	if err != nil {
		h.metrics.SCIMOperation("none", ep.operation(hr.Method), outcomeOf(err, ""))
		w.Header().Set("WWW-Authenticate", `Bearer realm="SCIM", error="invalid_token"`)
		se := errorFor(err)
		if se.status != http.StatusUnauthorized {
			h.log.Error("SCIM authentication", "err", err)
		}
		se.write(w)
		if conn.ID != "" {
			// A revoked or expired token of a known connection: its
			// request log says why the IdP is refused. Unknown tokens name
			// no connection and are not logged anywhere a workspace sees.
			h.rec.add(directory.SCIMRequest{ConnectionID: conn.ID, WorkspaceID: conn.WorkspaceID, Method: hr.Method, Path: redactedURI(hr),
				Status: w.status, Action: "refused", Detail: se.detail, UserAgent: hr.UserAgent(), Duration: time.Since(start), CreatedAt: start.UTC()})
		}
		return
	}
	telemetry.SetWorkspace(hr.Context(), conn.WorkspaceID)
	r := &request{Request: hr, conn: conn, q: quirksFor(conn.Profile, hr)}
	var detail string
	if ok, wait := h.limits.allow(conn); !ok {
		err = h.limits.rateLimited(w, conn, wait)
		r.did = "rate limited"
	} else {
		ctx, end := telemetry.StartSpan(hr.Context(), "scim."+ep.operation(hr.Method), conn.WorkspaceID)
		r.Request = hr.WithContext(ctx)
		err = h.route(w, r)
		end(err)
	}
	h.metrics.SCIMOperation(conn.Profile, ep.operation(hr.Method), outcomeOf(err, r.outcome))
	if err != nil {
		se := errorFor(err)
		if se.status == http.StatusInternalServerError {
			h.log.Error("SCIM request", "method", hr.Method, "path", hr.URL.Path, "workspace", conn.WorkspaceID, "err", err)
		}
		detail = se.detail
		se.write(w)
	}
	h.rec.add(directory.SCIMRequest{ConnectionID: conn.ID, WorkspaceID: conn.WorkspaceID, Method: hr.Method, Path: redactedURI(hr),
		Status: w.status, Action: r.did, Detail: detail, UserAgent: hr.UserAgent(), Duration: time.Since(start), CreatedAt: start.UTC()})
}

// authenticate reads the bearer token and finds its connection.
func (h *Handler) authenticate(r *http.Request) (directory.SCIMConnection, error) {
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(strings.TrimSpace(auth), " ")
	if auth == "" {
		return directory.SCIMConnection{}, errorf(http.StatusUnauthorized, "", "a bearer token is required (Authorization: Bearer <token>)")
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return directory.SCIMConnection{}, errorf(http.StatusUnauthorized, "", "the Authorization header must be \"Bearer <token>\"")
	}
	conn, err := h.dir.AuthenticateSCIM(r.Context(), strings.TrimSpace(token))
	switch {
	case errors.Is(err, directory.ErrExpired):
		return conn, errorf(http.StatusUnauthorized, "", "the bearer token has expired")
	case errors.Is(err, directory.ErrRevoked):
		return conn, errorf(http.StatusUnauthorized, "", "the bearer token was revoked")
	case errors.Is(err, directory.ErrNotFound):
		return conn, errorf(http.StatusUnauthorized, "", "the bearer token is not valid")
	}
	return conn, err
}

// redactedURI is the request path and query for the log, without values
// of parameters that could carry secrets.
func redactedURI(r *http.Request) string {
	q := r.URL.Query()
	for k := range q {
		if lk := strings.ToLower(k); strings.Contains(lk, "token") || strings.Contains(lk, "secret") || strings.Contains(lk, "password") {
			q.Set(k, "[redacted]")
		}
	}
	if len(q) == 0 {
		return r.URL.Path
	}
	return r.URL.Path + "?" + q.Encode()
}

// route dispatches on the path relative to the SCIM root. Resource names
// are matched case-insensitively and trailing slashes are ignored
// (Microsoft's tests send /users and /Users/?filter=).
func (h *Handler) route(w http.ResponseWriter, r *request) error {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	for len(segs) > 0 && segs[len(segs)-1] == "" {
		segs = segs[:len(segs)-1]
	}
	if len(segs) == 0 {
		// A query at the server root (RFC 7644 3.4.2.1) is a search
		// across resource types, like POST /.search (3.4.3): neither is
		// offered, and both say so the same way.
		return errRootQuery
	}
	if len(segs) > 2 {
		return errorf(http.StatusNotFound, "", "no such endpoint")
	}
	id := ""
	if len(segs) == 2 {
		id = segs[1]
	}
	method := r.Method
	switch strings.ToLower(segs[0]) {
	case "users":
		return h.resource(w, r, id, resourceOps{rt: userType, noun: "users", list: h.listUsers, create: h.createUser,
			get: h.getUser, replace: h.replaceUser, patch: h.patchUser, deleteOne: h.deleteUser})
	case "groups":
		return h.resource(w, r, id, resourceOps{rt: groupType, noun: "groups", list: h.listGroups, create: h.createGroup,
			get: h.getGroup, replace: h.replaceGroup, patch: h.patchGroup, deleteOne: h.deleteGroup})
	case "serviceproviderconfig", "serviceproviderconfigs", "serviceconfiguration":
		if id != "" {
			return errorf(http.StatusNotFound, "", "no such endpoint")
		}
		return h.onlyGet(method, func() error { return h.serviceProviderConfig(w) })
	case "schemas":
		return h.onlyGet(method, func() error { return h.schemas(w, id) })
	case "resourcetypes":
		return h.onlyGet(method, func() error { return h.resourceTypes(w, id) })
	case "bulk":
		return errorf(http.StatusNotImplemented, "", "bulk operations are not supported (see /ServiceProviderConfig)")
	case "me":
		return errorf(http.StatusNotImplemented, "", "/Me is not supported: SCIM clients here are identity providers, not users")
	case ".search":
		if id != "" {
			return errorf(http.StatusNotFound, "", "no such endpoint")
		}
		return errRootQuery
	}
	return errorf(http.StatusNotFound, "", "no such endpoint")
}

// errRootQuery answers a query or search across resource types.
var errRootQuery = errorf(http.StatusNotImplemented, "", "queries across resource types (GET / and POST /.search, RFC 7644 3.4.2.1 and 3.4.3) are not supported; query /Users or /Groups, or POST /Users/.search or /Groups/.search")

func (h *Handler) onlyGet(method string, fn func() error) error {
	if method != http.MethodGet && method != http.MethodHead {
		return errorf(http.StatusMethodNotAllowed, "", "only GET is allowed here")
	}
	return fn()
}

// resourceOps are the operations of one resource type, on the
// collection (list and search, create) and on one resource.
type resourceOps struct {
	rt *resourceType
	// noun names the resources in the request log ("users").
	noun string
	// list reads one page and renders its resources, projected.
	list                           func(r *request, q directory.SCIMQuery, proj projection) (total int, items []any, err error)
	create                         handlerFunc
	get, replace, patch, deleteOne func(w http.ResponseWriter, r *request, id string) error
}

// resource dispatches the methods of /Users and /Groups.
func (h *Handler) resource(w http.ResponseWriter, r *request, id string, ops resourceOps) error {
	switch {
	case id == "" && r.Method == http.MethodGet:
		return h.list(w, r, ops, r.URL.Query())
	case id == "" && r.Method == http.MethodPost:
		return ops.create(w, r)
	case id == ".search" && r.Method == http.MethodPost:
		body, err := readJSON(r.Request)
		if err != nil {
			return err
		}
		return h.list(w, r, ops, searchValues(body))
	case id == "" || id == ".search":
		return errorf(http.StatusMethodNotAllowed, "", "%s is not allowed on a collection", r.Method)
	}
	if err := directory.CheckText("the id in the path", id, 0); err != nil {
		// No resource has such an id, and no lookup should try it.
		return err
	}
	switch r.Method {
	case http.MethodGet:
		return ops.get(w, r, id)
	case http.MethodPut:
		return ops.replace(w, r, id)
	case http.MethodPatch:
		return ops.patch(w, r, id)
	case http.MethodDelete:
		return ops.deleteOne(w, r, id)
	}
	return errorf(http.StatusMethodNotAllowed, "", "%s is not allowed on a resource", r.Method)
}

// list answers a list (RFC 7644 3.4.2) or a search (3.4.3, its body as
// query parameters) of a resource type.
func (h *Handler) list(w http.ResponseWriter, r *request, ops resourceOps, q url.Values) error {
	query, err := listQuery(ops.rt, q)
	if err != nil {
		return err
	}
	total, items, err := ops.list(r, query, parseProjection(ops.rt, q))
	if err != nil {
		return err
	}
	r.did = fmt.Sprintf("listed %d of %d %s", len(items), total, ops.noun)
	writeJSON(w, http.StatusOK, newList(total, query.StartIndex, items))
	return nil
}

// pageParams reads startIndex and count (RFC 7644 3.4.2.4): non-integers
// are 400; startIndex below 1 is 1; count below 0 is 0, above maxResults
// is maxResults; no count means maxResults.
func pageParams(q url.Values) (start, count int, err error) {
	start, count = 1, maxResults
	if s := q.Get("startIndex"); s != "" {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return 0, 0, errorf(http.StatusBadRequest, "invalidValue", "startIndex must be an integer")
		}
		start = max(n, 1)
	}
	if s := q.Get("count"); s != "" {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return 0, 0, errorf(http.StatusBadRequest, "invalidValue", "count must be an integer")
		}
		count = min(max(n, 0), maxResults)
	}
	return start, count, nil
}
