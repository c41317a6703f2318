package conformance

// A small in-memory SCIM server used only to test the suite itself: it
// implements what the checks expect, plus switches that break one behaviour
// at a time so tests can prove the matching check notices. It is not Roster
// and makes no claim to be a good SCIM server.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// fakeFaults breaks one behaviour of the fake server each.
type fakeFaults struct {
	removeWithValueRemovesAll bool // Entra's Remove members+value clears the group
	noLocation                bool // 201 without Location header
	caseSensitiveUserName     bool // userName compared case-sensitively
	nonAtomicPatch            bool // ops before a failing op stay applied
	resourcesNullWhenEmpty    bool // "Resources": null on empty lists
}

type fakeServer struct {
	token  string
	prefix string // where the server is mounted, for absolute locations
	faults fakeFaults
	limit  int64

	mu     sync.Mutex
	seq    int
	users  map[string]map[string]any
	groups map[string]map[string]any
	order  map[string]int // insertion sequence, the default stable order
}

func newFakeServer(token, prefix string) *fakeServer {
	return &fakeServer{token: token, prefix: prefix, limit: 1 << 20,
		users: map[string]map[string]any{}, groups: map[string]map[string]any{}, order: map[string]int{}}
}

type attrDef struct {
	name               string
	multi, complex     bool
	caseExact, boolean bool
	subs               []string
}

var userAttrs = defs(
	attrDef{name: "id", caseExact: true}, attrDef{name: "externalId", caseExact: true}, attrDef{name: "userName"},
	attrDef{name: "name", complex: true, subs: []string{"formatted", "familyName", "givenName", "middleName", "honorificPrefix", "honorificSuffix"}},
	attrDef{name: "displayName"}, attrDef{name: "nickName"}, attrDef{name: "title"}, attrDef{name: "userType"},
	attrDef{name: "preferredLanguage"}, attrDef{name: "locale"}, attrDef{name: "timezone"}, attrDef{name: "profileUrl"},
	attrDef{name: "active", boolean: true},
	attrDef{name: "emails", multi: true, complex: true, subs: []string{"value", "type", "primary", "display"}},
	attrDef{name: "phoneNumbers", multi: true, complex: true, subs: []string{"value", "type", "primary"}},
	attrDef{name: "addresses", multi: true, complex: true, subs: []string{"formatted", "streetAddress", "locality", "region", "postalCode", "country", "type", "primary"}},
	attrDef{name: "roles", multi: true, complex: true, subs: []string{"value", "type", "primary", "display"}},
	attrDef{name: "meta", complex: true, subs: []string{"created", "lastModified", "resourceType", "location", "version"}},
)

var enterpriseAttrs = defs(
	attrDef{name: "employeeNumber"}, attrDef{name: "department"}, attrDef{name: "organization"},
	attrDef{name: "costCenter"}, attrDef{name: "division"},
	attrDef{name: "manager", complex: true, subs: []string{"value", "$ref", "displayName"}},
)

var groupAttrs = defs(
	attrDef{name: "id", caseExact: true}, attrDef{name: "externalId", caseExact: true}, attrDef{name: "displayName"},
	attrDef{name: "members", multi: true, complex: true, subs: []string{"value", "display", "$ref", "type"}},
	attrDef{name: "meta", complex: true, subs: []string{"created", "lastModified", "resourceType", "location", "version"}},
)

func defs(ds ...attrDef) map[string]attrDef {
	m := map[string]attrDef{}
	for _, d := range ds {
		m[strings.ToLower(d.name)] = d
	}
	return m
}

func canonSub(d attrDef, s string) (string, bool) {
	for _, x := range d.subs {
		if strings.EqualFold(x, s) {
			return x, true
		}
	}
	return "", false
}

type scimErr struct {
	status   int
	scimType string
	detail   string
}

func (e *scimErr) Error() string { return e.detail }

func errf(status int, scimType, format string, args ...any) *scimErr {
	return &scimErr{status, scimType, fmt.Sprintf(format, args...)}
}

func (s *fakeServer) writeErr(w http.ResponseWriter, e *scimErr) {
	body := map[string]any{"schemas": []string{urnError}, "status": strconv.Itoa(e.status), "detail": e.detail}
	if e.scimType != "" {
		body["scimType"] = e.scimType
	}
	s.writeJSON(w, e.status, body)
}

func (s *fakeServer) writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", scimJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		w.Header().Set("WWW-Authenticate", `Bearer realm="scim"`)
		s.writeErr(w, errf(401, "", "authentication required"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.limit)
	base := "http://" + r.Host + s.prefix
	p := strings.Trim(r.URL.Path, "/")
	parts := strings.SplitN(p, "/", 2)
	s.mu.Lock()
	defer s.mu.Unlock()
	var err *scimErr
	switch {
	case parts[0] == "ServiceProviderConfig":
		s.writeJSON(w, 200, map[string]any{
			"schemas": []string{urnSPC}, "patch": map[string]any{"supported": true},
			"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
			"filter":         map[string]any{"supported": true, "maxResults": 200},
			"changePassword": map[string]any{"supported": false}, "sort": map[string]any{"supported": true},
			"etag": map[string]any{"supported": true}, "authenticationSchemes": []any{},
		})
	case parts[0] == "Schemas":
		all := []any{
			map[string]any{"id": urnUser, "name": "User", "attributes": []any{map[string]any{"name": "userName"}}},
			map[string]any{"id": urnGroup, "name": "Group", "attributes": []any{map[string]any{"name": "displayName"}}},
		}
		if len(parts) == 2 {
			for _, x := range all {
				if x.(map[string]any)["id"] == parts[1] {
					s.writeJSON(w, 200, x)
					return
				}
			}
			err = errf(404, "", "no schema")
			break
		}
		s.writeJSON(w, 200, listBody(all, 1, len(all)))
	case parts[0] == "ResourceTypes":
		s.writeJSON(w, 200, listBody([]any{
			map[string]any{"id": "User", "name": "User", "endpoint": "/Users", "schema": urnUser,
				"schemaExtensions": []any{map[string]any{"schema": urnEnterprise, "required": false}}},
			map[string]any{"id": "Group", "name": "Group", "endpoint": "/Groups", "schema": urnGroup},
		}, 1, 2))
	case parts[0] == "Users" || parts[0] == "Groups":
		err = s.resource(w, r, base, parts)
	default:
		err = errf(404, "", "no such endpoint")
	}
	if err != nil {
		s.writeErr(w, err)
	}
}

func listBody(items []any, start, total int) map[string]any {
	return map[string]any{"schemas": []string{urnListResp}, "totalResults": total, "startIndex": start,
		"itemsPerPage": len(items), "Resources": items}
}

func (s *fakeServer) store(kind string) (map[string]map[string]any, map[string]attrDef) {
	if kind == "Users" {
		return s.users, userAttrs
	}
	return s.groups, groupAttrs
}

func (s *fakeServer) resource(w http.ResponseWriter, r *http.Request, base string, parts []string) *scimErr {
	kind := parts[0]
	st, _ := s.store(kind)
	if len(parts) == 1 {
		switch r.Method {
		case http.MethodGet:
			return s.list(w, r, kind)
		case http.MethodPost:
			in, err := readBody(r)
			if err != nil {
				return err
			}
			s.seq++
			id := fmt.Sprintf("%s%06d", strings.ToLower(kind[:1]), s.seq)
			res, err := s.build(kind, in, id)
			if err != nil {
				return err
			}
			if err := s.tidy(res); err != nil {
				return err
			}
			if err := s.unique(kind, id, res); err != nil {
				return err
			}
			now := time.Now().UTC().Format(time.RFC3339Nano)
			res["meta"] = map[string]any{"resourceType": kind[:len(kind)-1], "created": now, "lastModified": now,
				"location": base + "/" + kind + "/" + id, "version": `W/"1"`}
			st[id] = res
			s.order[id] = s.seq
			if !s.faults.noLocation {
				w.Header().Set("Location", base+"/"+kind+"/"+id)
			}
			return s.writeResource(w, r, 201, kind, res)
		}
		return errf(405, "", "method not allowed")
	}
	id := parts[1]
	cur, ok := st[id]
	if !ok {
		return errf(404, "", "resource %s not found", id)
	}
	ver := str(cur, "meta.version")
	if im := r.Header.Get("If-Match"); im != "" && im != ver && im != "*" {
		return errf(412, "", "version mismatch")
	}
	switch r.Method {
	case http.MethodGet:
		if r.Header.Get("If-None-Match") == ver {
			w.Header().Set("ETag", ver)
			w.WriteHeader(304)
			return nil
		}
		return s.writeResource(w, r, 200, kind, cur)
	case http.MethodDelete:
		delete(st, id)
		if kind == "Users" {
			for gid, g := range s.groups {
				before := len(asSlice(g["members"]))
				g["members"] = removeMembers(g["members"], map[string]bool{id: true})
				if len(asSlice(g["members"])) != before {
					s.groups[gid] = bumped(g)
				}
			}
		}
		w.WriteHeader(204)
		return nil
	case http.MethodPut:
		in, err := readBody(r)
		if err != nil {
			return err
		}
		res, err := s.build(kind, in, id)
		if err != nil {
			return err
		}
		res["meta"] = cur["meta"]
		return s.commit(w, r, kind, id, res)
	case http.MethodPatch:
		in, err := readBody(r)
		if err != nil {
			return err
		}
		res, err := s.applyPatch(kind, cur, in)
		if err != nil {
			return err
		}
		return s.commit(w, r, kind, id, res)
	}
	return errf(405, "", "method not allowed")
}

func (s *fakeServer) commit(w http.ResponseWriter, r *http.Request, kind, id string, res map[string]any) *scimErr {
	if err := s.tidy(res); err != nil {
		return err
	}
	if err := s.unique(kind, id, res); err != nil {
		return err
	}
	st, _ := s.store(kind)
	if cur := st[id]; !sameResource(cur, res) {
		res = bumped(res)
	} else {
		res = cur // no change, no new version
	}
	st[id] = res
	if r.Method == http.MethodPatch && kind == "Groups" {
		w.Header().Set("ETag", str(res, "meta.version"))
		w.WriteHeader(204) // as Entra's docs advise for groups
		return nil
	}
	return s.writeResource(w, r, 200, kind, res)
}

// bumped returns res with the next meta.version and a new lastModified.
func bumped(res map[string]any) map[string]any {
	m := asMap(res["meta"])
	n, _ := strconv.Atoi(strings.Trim(strings.TrimPrefix(str(m, "version"), "W/"), `"`))
	m = cloneMap(m)
	m["version"] = fmt.Sprintf(`W/"%d"`, n+1)
	m["lastModified"] = time.Now().UTC().Format(time.RFC3339Nano)
	res["meta"] = m
	return res
}

func asSlice(v any) []any { a, _ := v.([]any); return a }

// sameResource compares two representations, meta aside.
func sameResource(a, b map[string]any) bool {
	if a == nil || b == nil {
		return false
	}
	x, y := cloneMap(a), cloneMap(b)
	delete(x, "meta")
	delete(y, "meta")
	jx, _ := json.Marshal(x)
	jy, _ := json.Marshal(y)
	return string(jx) == string(jy)
}

// tidy applies RFC 7643 2.4 to multi-valued attributes: two primaries are
// refused, repeated (type, value) pairs kept once.
func (s *fakeServer) tidy(res map[string]any) *scimErr {
	for _, name := range []string{"emails", "phoneNumbers"} {
		arr, ok := res[name].([]any)
		if !ok {
			continue
		}
		seen := map[string]bool{}
		var out []any
		primaries := 0
		for _, e := range arr {
			k := strings.ToLower(str(e, "type")) + "\x00" + strings.ToLower(str(e, "value"))
			if seen[k] {
				continue
			}
			seen[k] = true
			if b, _ := lookup(e, "primary").(bool); b {
				primaries++
			}
			out = append(out, e)
		}
		if primaries > 1 {
			return errf(400, "invalidValue", "only one %s value may be primary", name)
		}
		res[name] = out
	}
	return nil
}

func (s *fakeServer) unique(kind, id string, res map[string]any) *scimErr {
	if kind != "Users" {
		return nil
	}
	for oid, u := range s.users {
		if oid != id && s.strEq(str(u, "userName"), str(res, "userName")) {
			return errf(409, "uniqueness", "userName taken")
		}
	}
	return nil
}

func (s *fakeServer) strEq(a, b string) bool {
	if s.faults.caseSensitiveUserName {
		return a == b
	}
	return strings.EqualFold(a, b)
}

func readBody(r *http.Request) (map[string]any, *scimErr) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, errf(413, "", "body too large")
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errf(400, "invalidSyntax", "bad JSON: %v", err)
	}
	return m, nil
}

// build turns a POST/PUT body into a stored resource: known attributes only,
// canonical names, no nulls, booleans from "True"/"False".
func (s *fakeServer) build(kind string, in map[string]any, id string) (map[string]any, *scimErr) {
	_, ad := s.store(kind)
	res := map[string]any{"id": id}
	for k, v := range in {
		if v == nil {
			continue
		}
		if strings.EqualFold(k, urnEnterprise) && kind == "Users" {
			ext := map[string]any{}
			for ek, ev := range asMap(v) {
				if d, ok := enterpriseAttrs[strings.ToLower(ek)]; ok && ev != nil {
					ext[d.name] = normalise(d, ev)
				}
			}
			res[urnEnterprise] = ext
			continue
		}
		d, ok := ad[strings.ToLower(k)]
		if !ok || d.name == "id" || d.name == "meta" {
			continue
		}
		res[d.name] = normalise(d, v)
	}
	if kind == "Users" && str(res, "userName") == "" {
		return nil, errf(400, "invalidValue", "userName is required")
	}
	if kind == "Groups" && str(res, "displayName") == "" {
		return nil, errf(400, "invalidValue", "displayName is required")
	}
	return res, nil
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

func normalise(d attrDef, v any) any {
	if d.boolean {
		if s, ok := v.(string); ok {
			b, _ := strconv.ParseBool(strings.ToLower(s))
			return b
		}
	}
	if d.name == "manager" {
		if arr, ok := v.([]any); ok && len(arr) > 0 {
			v = arr[0]
		}
		if s, ok := v.(string); ok {
			v = map[string]any{"value": s}
		}
	}
	if d.complex && !d.multi {
		out := map[string]any{}
		for k, x := range asMap(v) {
			if c, ok := canonSub(d, k); ok && x != nil {
				out[c] = x
			}
		}
		return out
	}
	if d.multi {
		arr, ok := v.([]any)
		if !ok {
			arr = []any{v}
		}
		var out []any
		for _, e := range arr {
			if es, ok := e.(string); ok {
				e = map[string]any{"value": es}
			}
			m := map[string]any{}
			for k, x := range asMap(e) {
				if c, ok := canonSub(d, k); ok && x != nil {
					m[c] = x
				}
			}
			out = append(out, m)
		}
		if d.name == "members" {
			return dedupeMembers(out)
		}
		return out
	}
	return v
}

func dedupeMembers(in []any) []any {
	seen := map[string]bool{}
	out := []any{}
	for _, m := range in {
		v := str(m, "value")
		if seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, m)
	}
	return out
}

func removeMembers(v any, ids map[string]bool) []any {
	arr, _ := v.([]any)
	out := []any{}
	for _, m := range arr {
		if !ids[str(m, "value")] {
			out = append(out, m)
		}
	}
	return out
}

func (s *fakeServer) writeResource(w http.ResponseWriter, r *http.Request, status int, kind string, res map[string]any) *scimErr {
	out := s.render(kind, res)
	out = project(out, r.URL.Query().Get("attributes"), r.URL.Query().Get("excludedAttributes"))
	w.Header().Set("ETag", str(res, "meta.version"))
	s.writeJSON(w, status, out)
	return nil
}

func (s *fakeServer) render(kind string, res map[string]any) map[string]any {
	out := cloneMap(res)
	if kind == "Users" {
		out["schemas"] = []string{urnUser}
		if _, ok := out[urnEnterprise]; ok {
			out["schemas"] = []string{urnUser, urnEnterprise}
		}
		if _, ok := out["active"]; !ok {
			out["active"] = true
		}
	} else {
		out["schemas"] = []string{urnGroup}
		var ms []any
		arr, _ := out["members"].([]any)
		for _, m := range arr {
			mm := cloneMap(asMap(m))
			if u, ok := s.users[str(mm, "value")]; ok && str(mm, "display") == "" {
				mm["display"] = str(u, "userName")
			}
			ms = append(ms, mm)
		}
		if ms == nil {
			ms = []any{}
		}
		out["members"] = ms
	}
	return out
}

func cloneMap(m map[string]any) map[string]any {
	raw, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

func project(res map[string]any, attrs, excluded string) map[string]any {
	if attrs != "" {
		out := map[string]any{"id": res["id"], "schemas": res["schemas"]}
		for _, a := range strings.Split(attrs, ",") {
			head, sub, _ := strings.Cut(strings.TrimSpace(a), ".")
			for k, v := range res {
				if !strings.EqualFold(k, head) {
					continue
				}
				if sub == "" {
					out[k] = v
					continue
				}
				if m, ok := v.(map[string]any); ok {
					dst, _ := out[k].(map[string]any)
					if dst == nil {
						dst = map[string]any{}
					}
					for sk, sv := range m {
						if strings.EqualFold(sk, sub) {
							dst[sk] = sv
						}
					}
					out[k] = dst
				}
			}
		}
		return out
	}
	for _, a := range strings.Split(excluded, ",") {
		for k := range res {
			if a != "" && k != "id" && strings.EqualFold(k, strings.TrimSpace(a)) {
				delete(res, k)
			}
		}
	}
	return res
}

func (s *fakeServer) list(w http.ResponseWriter, r *http.Request, kind string) *scimErr {
	q := r.URL.Query()
	st, ad := s.store(kind)
	var ex *fexpr
	if f := q.Get("filter"); f != "" {
		var err error
		if ex, err = parseFilter(f); err != nil {
			return errf(400, "invalidFilter", "%v", err)
		}
		if err := ex.validate(ad); err != nil {
			return errf(400, "invalidFilter", "%v", err)
		}
	}
	var all []map[string]any
	for _, res := range st {
		if ex == nil || ex.eval(s, ad, res) {
			all = append(all, res)
		}
	}
	sort.Slice(all, func(i, j int) bool { return s.order[str(all[i], "id")] < s.order[str(all[j], "id")] })
	if sb := q.Get("sortBy"); sb != "" {
		desc := q.Get("sortOrder") == "descending"
		sort.SliceStable(all, func(i, j int) bool {
			a, b := strings.ToLower(str(all[i], sb)), strings.ToLower(str(all[j], sb))
			if desc {
				return a > b
			}
			return a < b
		})
	}
	start, count := 1, 100
	if v := q.Get("startIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errf(400, "invalidValue", "startIndex")
		}
		start = max(n, 1)
	}
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return errf(400, "invalidValue", "count")
		}
		count = max(n, 0)
	}
	items := []any{}
	for i := start - 1; i < len(all) && len(items) < count; i++ {
		items = append(items, project(s.render(kind, all[i]), q.Get("attributes"), q.Get("excludedAttributes")))
	}
	body := listBody(items, start, len(all))
	if len(items) == 0 && s.faults.resourcesNullWhenEmpty {
		body["Resources"] = nil
	}
	s.writeJSON(w, 200, body)
	return nil
}

// --- PATCH ---

type fpath struct {
	ext    bool // enterprise extension attribute
	attr   attrDef
	sub    string
	filter *fexpr
}

func parsePath(kind, p string) (*fpath, *scimErr) {
	ad := userAttrs
	if kind == "Groups" {
		ad = groupAttrs
	}
	out := &fpath{}
	low := strings.ToLower(p)
	if strings.HasPrefix(low, "urn:") {
		switch {
		case strings.HasPrefix(low, strings.ToLower(urnEnterprise)+":"):
			out.ext, ad, p = true, enterpriseAttrs, p[len(urnEnterprise)+1:]
		case strings.HasPrefix(low, strings.ToLower(urnUser)+":"):
			p = p[len(urnUser)+1:]
		default:
			return nil, errf(400, "invalidPath", "unknown schema in %q", p)
		}
	}
	name, rest := p, ""
	if i := strings.IndexAny(p, ".["); i >= 0 {
		name, rest = p[:i], p[i:]
	}
	d, ok := ad[strings.ToLower(name)]
	if !ok && kind == "Users" && !out.ext {
		// Entra sends "manager" without the enterprise URN.
		if d, ok = enterpriseAttrs[strings.ToLower(name)]; ok {
			out.ext = true
		}
	}
	if !ok {
		return nil, errf(400, "invalidPath", "unknown attribute %q", name)
	}
	out.attr = d
	if strings.HasPrefix(rest, "[") {
		end := strings.LastIndex(rest, "]")
		if end < 0 {
			return nil, errf(400, "invalidPath", "unbalanced [")
		}
		ex, err := parseFilter(rest[1:end])
		if err != nil {
			return nil, errf(400, "invalidPath", "%v", err)
		}
		out.filter = ex
		rest = rest[end+1:]
	}
	if strings.HasPrefix(rest, ".") {
		c, ok := canonSub(d, rest[1:])
		if !ok {
			return nil, errf(400, "invalidPath", "unknown sub-attribute %q", rest)
		}
		out.sub = c
	} else if rest != "" {
		return nil, errf(400, "invalidPath", "bad path %q", p)
	}
	return out, nil
}

func (s *fakeServer) applyPatch(kind string, cur, in map[string]any) (map[string]any, *scimErr) {
	if !hasString(in["schemas"], urnPatchOp) {
		return nil, errf(400, "invalidValue", "not a PatchOp")
	}
	ops, _ := lookup(in, "Operations").([]any)
	if len(ops) == 0 {
		return nil, errf(400, "invalidValue", "no Operations")
	}
	res := cloneMap(cur)
	for _, o := range ops {
		om := asMap(o)
		name := strings.ToLower(str(om, "op"))
		path := str(om, "path")
		value := lookup(om, "value")
		if err := s.applyOp(kind, res, name, path, value); err != nil {
			if s.faults.nonAtomicPatch {
				st, _ := s.store(kind)
				st[str(cur, "id")] = res
			}
			return nil, err
		}
	}
	return res, nil
}

func (s *fakeServer) applyOp(kind string, res map[string]any, op, path string, value any) *scimErr {
	if op != "add" && op != "replace" && op != "remove" {
		return errf(400, "invalidSyntax", "unknown op %q", op)
	}
	if path == "" {
		if op == "remove" {
			return errf(400, "noTarget", "remove needs a path")
		}
		m, ok := value.(map[string]any)
		if !ok {
			return errf(400, "invalidValue", "path-less %s needs an object", op)
		}
		for k, v := range m {
			if strings.EqualFold(k, "id") || strings.EqualFold(k, "schemas") || strings.EqualFold(k, "meta") {
				continue
			}
			if strings.EqualFold(k, urnEnterprise) {
				for ek, ev := range asMap(v) {
					if err := s.applyOp(kind, res, op, urnEnterprise+":"+ek, ev); err != nil {
						return err
					}
				}
				continue
			}
			if err := s.applyOp(kind, res, op, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	if strings.EqualFold(path, "password") {
		return nil // accepted and discarded, as in POST and PUT
	}
	p, err := parsePath(kind, path)
	if err != nil {
		return err
	}
	if p.attr.name == "active" && op == "remove" && p.filter == nil {
		return nil // unassigning active changes nobody's state
	}
	target := res
	if p.ext {
		ext, _ := res[urnEnterprise].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			res[urnEnterprise] = ext
		}
		target = ext
	}
	d := p.attr
	if d.name == "id" || d.name == "meta" {
		return errf(400, "mutability", "%s is read-only", d.name)
	}
	switch {
	case p.filter == nil && p.sub == "":
		switch op {
		case "remove":
			if d.name == "members" && value != nil {
				if s.faults.removeWithValueRemovesAll {
					target["members"] = []any{}
					return nil
				}
				ids := map[string]bool{}
				for _, m := range normalise(d, value).([]any) {
					ids[str(m, "value")] = true
				}
				target["members"] = removeMembers(target["members"], ids)
				return nil
			}
			delete(target, d.name)
		case "add":
			if value == nil {
				return errf(400, "invalidValue", "add needs a value")
			}
			nv := normalise(d, value)
			switch {
			case d.multi:
				old, _ := target[d.name].([]any)
				merged := append(append([]any{}, old...), nv.([]any)...)
				if d.name == "members" {
					merged = dedupeMembers(merged)
				}
				target[d.name] = merged
			case d.complex:
				m, _ := target[d.name].(map[string]any)
				if m == nil {
					m = map[string]any{}
				}
				for k, v := range nv.(map[string]any) {
					m[k] = v
				}
				target[d.name] = m
			default:
				target[d.name] = nv
			}
		case "replace":
			if value == nil {
				delete(target, d.name)
				return nil
			}
			nv := normalise(d, value)
			if d.complex && !d.multi {
				m, _ := target[d.name].(map[string]any)
				if m == nil {
					m = map[string]any{}
				}
				for k, v := range nv.(map[string]any) {
					m[k] = v
				}
				nv = m
			}
			target[d.name] = nv
		}
	case p.filter == nil:
		m, _ := target[d.name].(map[string]any)
		if d.multi {
			return errf(400, "invalidPath", "sub-attribute of a multi-valued attribute needs a filter")
		}
		if m == nil {
			m = map[string]any{}
		}
		if op == "remove" {
			delete(m, p.sub)
		} else {
			m[p.sub] = value
		}
		target[d.name] = m
	default:
		arr, _ := target[d.name].([]any)
		var keep []any
		matched := false
		for _, e := range arr {
			em := asMap(e)
			if !p.filter.eval(s, subDefs(d), em) {
				keep = append(keep, e)
				continue
			}
			matched = true
			switch {
			case op == "remove" && p.sub == "":
				continue
			case op == "remove":
				delete(em, p.sub)
			case p.sub != "":
				em[p.sub] = value
			default:
				for k, v := range asMap(value) {
					if c, ok := canonSub(d, k); ok {
						em[c] = v
					}
				}
			}
			keep = append(keep, em)
		}
		if !matched && op == "replace" {
			return errf(400, "noTarget", "no value of %s matches the filter", d.name)
		}
		if !matched && op != "remove" {
			// An add to a value path creates it; Entra replaces emails[type eq "work"].value on users that
			// have no work email yet: create the entry.
			e := map[string]any{}
			if p.filter.op == "eq" && p.filter.path != "" {
				e[p.filter.path] = p.filter.value
			}
			if p.sub != "" {
				e[p.sub] = value
			}
			keep = append(keep, e)
		}
		if keep == nil {
			keep = []any{}
		}
		target[d.name] = keep
	}
	return nil
}

func subDefs(d attrDef) map[string]attrDef {
	m := map[string]attrDef{}
	for _, s := range d.subs {
		m[strings.ToLower(s)] = attrDef{name: s, boolean: s == "primary"}
	}
	return m
}

// --- filters ---

type fexpr struct {
	logic       string // "and", "or", "not", or "" for a comparison
	left, right *fexpr
	path        string // attribute path, e.g. "name.givenName" or "emails"
	valFilter   *fexpr // emails[...]
	valSub      string // emails[...].value
	op          string
	value       any
}

type ftok struct {
	kind string // "(", ")", "[", "]", "str", "word"
	text string
}

func lexFilter(s string) ([]ftok, error) {
	var out []ftok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case strings.ContainsRune("()[]", rune(c)):
			out = append(out, ftok{string(c), string(c)})
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string")
			}
			out = append(out, ftok{"str", b.String()})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t()[]\"", rune(s[j])) {
				j++
			}
			out = append(out, ftok{"word", s[i:j]})
			i = j
		}
	}
	return out, nil
}

type fparser struct {
	toks []ftok
	pos  int
}

func parseFilter(s string) (*fexpr, error) {
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &fparser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return e, nil
}

func (p *fparser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == "word" && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *fparser) or() (*fexpr, error) {
	l, err := p.and()
	for err == nil && p.peekWord("or") {
		p.pos++
		var r *fexpr
		if r, err = p.and(); err == nil {
			l = &fexpr{logic: "or", left: l, right: r}
		}
	}
	return l, err
}

func (p *fparser) and() (*fexpr, error) {
	l, err := p.factor()
	for err == nil && p.peekWord("and") {
		p.pos++
		var r *fexpr
		if r, err = p.factor(); err == nil {
			l = &fexpr{logic: "and", left: l, right: r}
		}
	}
	return l, err
}

func (p *fparser) expect(kind string) error {
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != kind {
		return fmt.Errorf("expected %s", kind)
	}
	p.pos++
	return nil
}

func (p *fparser) factor() (*fexpr, error) {
	if p.peekWord("not") {
		p.pos++
		if err := p.expect("("); err != nil {
			return nil, err
		}
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		return &fexpr{logic: "not", left: e}, p.expect(")")
	}
	if p.pos < len(p.toks) && p.toks[p.pos].kind == "(" {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != "word" {
		return nil, fmt.Errorf("expected an attribute")
	}
	e := &fexpr{path: p.toks[p.pos].text}
	p.pos++
	if p.pos < len(p.toks) && p.toks[p.pos].kind == "[" {
		p.pos++
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		e.valFilter = inner
		if p.pos < len(p.toks) && p.toks[p.pos].kind == "word" && strings.HasPrefix(p.toks[p.pos].text, ".") {
			e.valSub = p.toks[p.pos].text[1:]
			p.pos++
		} else {
			return e, nil
		}
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != "word" {
		return nil, fmt.Errorf("expected an operator")
	}
	e.op = strings.ToLower(p.toks[p.pos].text)
	p.pos++
	switch e.op {
	case "pr":
		return e, nil
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	default:
		return nil, fmt.Errorf("unknown operator %q", e.op)
	}
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("missing value")
	}
	t := p.toks[p.pos]
	p.pos++
	switch {
	case t.kind == "str":
		e.value = t.text
	case t.kind == "word" && (t.text == "true" || t.text == "false"):
		e.value = t.text == "true"
	case t.kind == "word" && t.text == "null":
		e.value = nil
	case t.kind == "word":
		e.value = t.text // Entra's unquoted values
	default:
		return nil, fmt.Errorf("bad value")
	}
	return e, nil
}

func (e *fexpr) validate(ad map[string]attrDef) error {
	if e.logic != "" {
		if err := e.left.validate(ad); err != nil {
			return err
		}
		if e.right != nil {
			return e.right.validate(ad)
		}
		return nil
	}
	head, sub, _ := strings.Cut(e.path, ".")
	d, ok := ad[strings.ToLower(head)]
	if !ok {
		return fmt.Errorf("unknown attribute %q", head)
	}
	if sub != "" {
		if _, ok := canonSub(d, sub); !ok {
			return fmt.Errorf("unknown sub-attribute %q", e.path)
		}
	}
	if e.valFilter != nil {
		return e.valFilter.validate(subDefs(d))
	}
	return nil
}

func (e *fexpr) eval(s *fakeServer, ad map[string]attrDef, res map[string]any) bool {
	switch e.logic {
	case "and":
		return e.left.eval(s, ad, res) && e.right.eval(s, ad, res)
	case "or":
		return e.left.eval(s, ad, res) || e.right.eval(s, ad, res)
	case "not":
		return !e.left.eval(s, ad, res)
	}
	head, sub, _ := strings.Cut(e.path, ".")
	d := ad[strings.ToLower(head)]
	raw := lookup(res, head)
	var vals []any
	if e.valFilter != nil {
		arr, _ := raw.([]any)
		for _, el := range arr {
			if e.valFilter.eval(s, subDefs(d), asMap(el)) {
				if e.valSub == "" {
					return true
				}
				vals = append(vals, lookup(el, e.valSub))
			}
		}
		if e.valSub == "" {
			return false
		}
	} else if arr, ok := raw.([]any); ok {
		if sub == "" && d.complex {
			sub = "value"
		}
		for _, el := range arr {
			vals = append(vals, lookup(el, sub))
		}
	} else if sub != "" {
		vals = []any{lookup(raw, sub)}
	} else {
		vals = []any{raw}
	}
	exact := d.caseExact
	dateTime := strings.EqualFold(head, "meta") && (strings.EqualFold(sub, "created") || strings.EqualFold(sub, "lastModified"))
	if strings.EqualFold(head, "userName") && s.faults.caseSensitiveUserName {
		exact = true
	}
	for _, v := range vals {
		if compare(e.op, v, e.value, exact, dateTime) {
			return true
		}
	}
	return false
}

func compare(op string, have, want any, exact, dateTime bool) bool {
	if op == "pr" {
		return have != nil && have != ""
	}
	if hb, ok := have.(bool); ok {
		wb, ok := want.(bool)
		if !ok {
			if ws, isStr := want.(string); isStr {
				wb, ok = strings.EqualFold(ws, "true"), true
			}
		}
		return ok && ((op == "eq" && hb == wb) || (op == "ne" && hb != wb))
	}
	hs, ok1 := have.(string)
	ws, ok2 := want.(string)
	if !ok1 || !ok2 {
		return op == "ne"
	}
	var c int
	if dateTime {
		ht, err1 := time.Parse(time.RFC3339Nano, hs)
		wt, err2 := time.Parse(time.RFC3339Nano, ws)
		if err1 != nil || err2 != nil {
			return false
		}
		c = ht.Compare(wt)
	} else {
		if !exact {
			hs, ws = strings.ToLower(hs), strings.ToLower(ws)
		}
		c = strings.Compare(hs, ws)
	}
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "co":
		return strings.Contains(hs, ws)
	case "sw":
		return strings.HasPrefix(hs, ws)
	case "ew":
		return strings.HasSuffix(hs, ws)
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}
