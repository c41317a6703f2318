package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SCIM URNs the checks send and look for.
const (
	urnUser        = "urn:ietf:params:scim:schemas:core:2.0:User"
	urnGroup       = "urn:ietf:params:scim:schemas:core:2.0:Group"
	urnEnterprise  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	urnListResp    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	urnPatchOp     = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	urnError       = "urn:ietf:params:scim:api:messages:2.0:Error"
	urnSPC         = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	urnADSCIMGroup = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
	scimJSON       = "application/scim+json"
)

// maxResponseBytes bounds what one response may make us hold in memory; a
// conformance run never needs more, and a broken server must not exhaust us.
const maxResponseBytes = 32 << 20

// stopCheck is panicked by fatalf and skipf to leave a check early, the way
// testing.T.FailNow does, so that check bodies read as straight-line scripts.
type stopCheck struct{}

// tester is what a check receives: an HTTP client bound to the server under
// test plus the failure, skip and cleanup bookkeeping of one check.
type tester struct {
	ctx      context.Context
	base     string // base URL without trailing slash
	token    string
	hc       *http.Client
	env      *env
	errs     []string
	skip     string
	cleanups []func()
	sfx      string
}

// env is what Run learns once about the server before the checks start.
type env struct {
	spc        map[string]any // ServiceProviderConfig, nil if unreadable
	enterprise bool           // /ResourceTypes lists the enterprise extension on User
	// profile is Config.Profile: "entra" tolerates the deviations a
	// server may keep for Entra alone.
	profile string
}

func (e *env) feature(name string) bool {
	b, _ := lookup(e.spc, name+".supported").(bool)
	return b
}

// errorf records a failure and lets the check continue.
func (t *tester) errorf(format string, args ...any) {
	t.errs = append(t.errs, fmt.Sprintf(format, args...))
}

// fatalf records a failure and ends the check.
func (t *tester) fatalf(format string, args ...any) {
	t.errorf(format, args...)
	panic(stopCheck{})
}

// skipf ends the check as skipped: the server legitimately does not offer
// an optional feature the check needs.
func (t *tester) skipf(format string, args ...any) {
	t.skip = fmt.Sprintf(format, args...)
	panic(stopCheck{})
}

// cleanup registers f to run after the check, last registered first.
func (t *tester) cleanup(f func()) { t.cleanups = append(t.cleanups, f) }

// name returns a name unique to this check and run, tagged so that leftovers
// from an interrupted run are easy to recognise on the server.
func (t *tester) name(tag string) string {
	return "scimconf-" + t.sfx + "-" + tag
}

// email returns a unique address in the reserved example.com domain (RFC 2606),
// usable as a userName that providers treating userName as an email accept.
func (t *tester) email(tag string) string { return t.name(tag) + "@example.com" }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// randomGUID returns a random RFC 4122 version 4 UUID string, the shape of
// the ids and externalIds Entra sends.
func randomGUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// response is one HTTP exchange, kept whole so failures can quote it.
type response struct {
	req    string // "METHOD /path?query", for messages
	status int
	header http.Header
	body   []byte
	json   any // decoded with UseNumber; nil when the body is not JSON
}

// obj returns the body as a JSON object, or nil.
func (r *response) obj() map[string]any {
	m, _ := r.json.(map[string]any)
	return m
}

// String quotes the exchange briefly for failure details.
func (r *response) String() string {
	b := strings.Join(strings.Fields(string(r.body)), " ")
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	if b == "" {
		b = "(empty body)"
	}
	return fmt.Sprintf("%s -> %d %s", r.req, r.status, b)
}

// reqOpt adjusts one request.
type reqOpt func(*http.Request)

// withHeader sets a request header; an empty value deletes it.
func withHeader(k, v string) reqOpt {
	return func(r *http.Request) {
		if v == "" {
			r.Header.Del(k)
			return
		}
		r.Header.Set(k, v)
	}
}

// query encodes key/value pairs the way IdPs do: %20 for spaces rather than
// '+', since Okta and Entra both send %20 and some servers only decode that.
func query(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, esc(kv[i])+"="+esc(kv[i+1]))
	}
	return strings.Join(parts, "&")
}

func esc(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// do sends one request to path (relative to the base URL, may carry a query).
// body is nil, a string or []byte sent verbatim (so replays keep the exact
// bytes an IdP sends), or any other value marshalled as JSON. Transport
// errors end the check.
func (t *tester) do(method, path string, body any, opts ...reqOpt) *response {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.fatalf("marshal request body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.ctx, method, t.base+path, rd)
	if err != nil {
		t.fatalf("%s %s: %v", method, path, err)
	}
	req.Header.Set("Accept", scimJSON)
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", scimJSON)
	}
	for _, o := range opts {
		o(req)
	}
	res, err := t.hc.Do(req)
	if err != nil {
		t.fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponseBytes))
	if err != nil {
		t.fatalf("%s %s: read response: %v", method, path, err)
	}
	r := &response{req: method + " " + path, status: res.StatusCode, header: res.Header, body: raw}
	if len(bytes.TrimSpace(raw)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			r.json = v
		}
	}
	return r
}

// want ends the check unless the response status is one of codes.
func (t *tester) want(r *response, codes ...int) {
	for _, c := range codes {
		if r.status == c {
			return
		}
	}
	t.fatalf("%s; want status %s", r, joinInts(codes))
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " or ")
}

// wantObj ends the check unless the response has status code and a JSON
// object body, which it returns.
func (t *tester) wantObj(r *response, codes ...int) map[string]any {
	t.want(r, codes...)
	o := r.obj()
	if o == nil {
		t.fatalf("%s; want a JSON object body", r)
	}
	return o
}

// createUser POSTs a user (any body do accepts), expects 201 and schedules
// its deletion. It returns the id and the created resource.
func (t *tester) createUser(body any, opts ...reqOpt) (string, map[string]any) {
	return t.create("/Users", body, opts...)
}

// createGroup is createUser for groups.
func (t *tester) createGroup(body any, opts ...reqOpt) (string, map[string]any) {
	return t.create("/Groups", body, opts...)
}

func (t *tester) create(endpoint string, body any, opts ...reqOpt) (string, map[string]any) {
	r := t.do(http.MethodPost, endpoint, body, opts...)
	o := t.wantObj(r, http.StatusCreated)
	id := str(o, "id")
	if id == "" {
		t.fatalf("%s; created resource has no id", r)
	}
	t.cleanup(func() { t.do(http.MethodDelete, endpoint+"/"+url.PathEscape(id), nil) })
	return id, o
}

// simpleUser returns a minimal valid user for userName u.
func simpleUser(u string) map[string]any {
	return map[string]any{
		"schemas":  []string{urnUser},
		"userName": u,
		"name":     map[string]any{"givenName": "Conformance", "familyName": "Check"},
		"emails":   []any{map[string]any{"value": u, "type": "work", "primary": true}},
		"active":   true,
	}
}

// newUser creates a minimal user and returns its id.
func (t *tester) newUser(tag string) string {
	id, _ := t.createUser(simpleUser(t.email(tag)))
	return id
}

// get fetches endpoint/id and expects 200 with an object.
func (t *tester) get(endpoint, id string, q ...string) map[string]any {
	p := endpoint + "/" + url.PathEscape(id)
	if len(q) > 0 {
		p += "?" + query(q...)
	}
	return t.wantObj(t.do(http.MethodGet, p, nil), http.StatusOK)
}

// patch sends a PATCH, accepts 200 (with the resource) or 204 as RFC 7644
// 3.5.2 allows, and returns the resource as a fresh GET sees it, since only
// the stored state proves the operation was applied.
func (t *tester) patch(endpoint, id string, body any, opts ...reqOpt) map[string]any {
	r := t.do(http.MethodPatch, endpoint+"/"+url.PathEscape(id), body, opts...)
	t.want(r, http.StatusOK, http.StatusNoContent)
	if r.status == http.StatusOK && len(bytes.TrimSpace(r.body)) > 0 {
		if o := r.obj(); o == nil {
			t.errorf("%s; a 200 PATCH response body must be the resource", r)
		} else if str(o, "id") != id {
			t.errorf("%s; PATCH response id %q, want %q", r, str(o, "id"), id)
		}
	}
	return t.get(endpoint, id)
}

// patchOps builds an RFC 7644 PatchOp body.
func patchOps(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{urnPatchOp}, "Operations": ops}
}

func op(name, path string, value any) map[string]any {
	m := map[string]any{"op": name}
	if path != "" {
		m["path"] = path
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

// listResult is a checked ListResponse.
type listResult struct {
	total, start, perPage int
	items                 []map[string]any
	raw                   map[string]any
}

func (l listResult) ids() []string {
	out := make([]string, len(l.items))
	for i, it := range l.items {
		out[i] = str(it, "id")
	}
	return out
}

// list GETs endpoint with the query pairs and checks the ListResponse shape
// RFC 7644 3.4.2 requires: the schema, integer totalResults, startIndex and
// itemsPerPage, itemsPerPage equal to the number of Resources, and Resources
// present whenever totalResults is non-zero.
func (t *tester) list(endpoint string, q ...string) listResult {
	p := endpoint
	if len(q) > 0 {
		p += "?" + query(q...)
	}
	r := t.do(http.MethodGet, p, nil)
	o := t.wantObj(r, http.StatusOK)
	return t.checkList(r, o)
}

func (t *tester) checkList(r *response, o map[string]any) listResult {
	if !hasString(o["schemas"], urnListResp) {
		t.fatalf("%s; schemas lacks %s", r, urnListResp)
	}
	var l listResult
	l.raw = o
	var ok bool
	if l.total, ok = jsonInt(o["totalResults"]); !ok {
		t.fatalf("%s; totalResults must be a JSON integer, got %v", r, o["totalResults"])
	}
	res, present := o["Resources"]
	arr, isArr := res.([]any)
	if present && res != nil && !isArr {
		t.fatalf("%s; Resources must be an array", r)
	}
	if l.total > 0 && len(arr) == 0 && !present {
		t.fatalf("%s; Resources missing although totalResults is %d", r, l.total)
	}
	for _, it := range arr {
		m, ok := it.(map[string]any)
		if !ok {
			t.fatalf("%s; Resources entry is not an object", r)
		}
		l.items = append(l.items, m)
	}
	// startIndex and itemsPerPage are REQUIRED only when paging, but when
	// present they must be integers, and IdPs rely on itemsPerPage.
	if v, present := o["startIndex"]; present {
		if l.start, ok = jsonInt(v); !ok {
			t.fatalf("%s; startIndex must be a JSON integer, got %v", r, v)
		}
	}
	if v, present := o["itemsPerPage"]; present {
		if l.perPage, ok = jsonInt(v); !ok {
			t.fatalf("%s; itemsPerPage must be a JSON integer, got %v", r, v)
		}
		if l.perPage != len(l.items) {
			t.errorf("%s; itemsPerPage %d but %d Resources", r, l.perPage, len(l.items))
		}
	} else {
		l.perPage = len(l.items)
	}
	if len(l.items) > l.total {
		t.errorf("%s; %d Resources but totalResults %d", r, len(l.items), l.total)
	}
	return l
}

// filter runs a filter on endpoint and returns the ids found, sorted.
func (t *tester) filter(endpoint, f string, q ...string) []string {
	l := t.list(endpoint, append([]string{"filter", f}, q...)...)
	if l.total != len(l.items) && len(l.items) > 0 && l.total <= 100 {
		t.errorf("GET %s?filter=%s: totalResults %d but %d Resources on one page", endpoint, f, l.total, len(l.items))
	}
	ids := l.ids()
	sort.Strings(ids)
	return ids
}

// wantIDs fails unless got and want hold the same ids (order ignored).
func (t *tester) wantIDs(what string, got []string, want ...string) {
	w := append([]string(nil), want...)
	sort.Strings(w)
	g := append([]string(nil), got...)
	sort.Strings(g)
	if strings.Join(g, ",") != strings.Join(w, ",") {
		t.errorf("%s: got ids [%s], want [%s]", what, strings.Join(g, " "), strings.Join(w, " "))
	}
}

// wantSCIMError checks an error response body as RFC 7644 3.12 defines it:
// the Error schema and status as a string equal to the HTTP status.
func (t *tester) wantSCIMError(r *response, status int, scimType string) {
	t.want(r, status)
	o := r.obj()
	if o == nil {
		t.errorf("%s; error body must be a SCIM Error object", r)
		return
	}
	if !hasString(o["schemas"], urnError) {
		t.errorf("%s; schemas lacks %s", r, urnError)
	}
	if s, ok := o["status"].(string); !ok || s != strconv.Itoa(status) {
		t.errorf("%s; status must be the string %q, got %#v", r, strconv.Itoa(status), o["status"])
	}
	if scimType != "" && str(o, "scimType") != scimType {
		t.errorf("%s; scimType %q, want %q", r, str(o, "scimType"), scimType)
	}
}

// wantContentType checks the SCIM media type (RFC 7644 8.1; Entra requires it).
func (t *tester) wantContentType(r *response) {
	ct := r.header.Get("Content-Type")
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), scimJSON) {
		t.errorf("%s; Content-Type %q, want %s", r.req, ct, scimJSON)
	}
}

// lookup walks a dotted path with optional [n] indexes through decoded JSON.
// Object keys are matched case-insensitively when there is no exact match,
// because SCIM attribute names are case-insensitive (RFC 7643 2.1).
func lookup(v any, path string) any {
	if path == "" {
		return v
	}
	for _, seg := range splitPath(path) {
		switch c := v.(type) {
		case map[string]any:
			x, ok := c[seg]
			if !ok {
				for k, val := range c {
					if strings.EqualFold(k, seg) {
						x, ok = val, true
						break
					}
				}
			}
			if !ok {
				return nil
			}
			v = x
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

// splitPath splits "a.b[0].c" into a, b, 0, c. A URN prefix such as
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.employeeNumber"
// stays one segment up to the last dot after its final colon.
func splitPath(path string) []string {
	var head string
	if strings.HasPrefix(strings.ToLower(path), "urn:") {
		if i := strings.LastIndex(path, ":"); i >= 0 {
			if j := strings.Index(path[i:], "."); j >= 0 {
				head, path = path[:i+j], path[i+j+1:]
			} else {
				return []string{path}
			}
		}
	}
	path = strings.ReplaceAll(path, "[", ".")
	path = strings.ReplaceAll(path, "]", "")
	var out []string
	if head != "" {
		out = append(out, head)
	}
	for _, s := range strings.Split(path, ".") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// str returns the string at path, or "".
func str(v any, path string) string {
	s, _ := lookup(v, path).(string)
	return s
}

// jsonInt reports whether v is a JSON integer (not a string, not a fraction).
func jsonInt(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(n.String())
	return i, err == nil
}

// hasString reports whether v is a JSON array containing s (case-insensitive,
// as schema URIs are compared case-insensitively by RFC 7643 2.1).
func hasString(v any, s string) bool {
	arr, _ := v.([]any)
	for _, x := range arr {
		if xs, ok := x.(string); ok && strings.EqualFold(xs, s) {
			return true
		}
	}
	return false
}

// boolean reads a boolean attribute, tolerating nothing: servers must
// answer with JSON booleans even when Entra sent "False".
func boolean(v any, path string) (bool, bool) {
	b, ok := lookup(v, path).(bool)
	return b, ok
}

// multiValue returns the entry of a multi-valued attribute whose sub-attribute
// key equals val (for example emails with type "work"), or nil.
func multiValue(v any, attr, key, val string) map[string]any {
	arr, _ := lookup(v, attr).([]any)
	for _, x := range arr {
		m, _ := x.(map[string]any)
		if strings.EqualFold(str(m, key), val) {
			return m
		}
	}
	return nil
}

// memberIDs returns the sorted member values of a group.
func memberIDs(g map[string]any) []string {
	arr, _ := lookup(g, "members").([]any)
	out := []string{}
	for _, x := range arr {
		if v := str(x, "value"); v != "" {
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

// jstr quotes s as a JSON string for the verbatim request bodies of replays.
func jstr(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// parseTime reads a SCIM dateTime (xsd:dateTime, RFC 3339 in practice).
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
