package conformance

// A small in-memory SCIM server used only to test the suite itself: it
// implements what the checks expect, plus switches that break one behaviour
// at a time so tests can prove the matching check notices. It is not Roster
// and makes no claim to be a good SCIM server.

import (
	"encoding/json"
	"fmt"
	"net/http"
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
