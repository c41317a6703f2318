package conformance

// The fake server's reading and writing of resources: request bodies,
// normalising values, rendering, attribute projection and lists.

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

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
