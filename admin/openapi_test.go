package admin_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// openAPIDoc is the part of an OpenAPI 3.1 document the test reads.
type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Servers []struct{ URL string }                 `json:"servers"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
	raw     map[string]any
}

type openAPIOperation struct {
	OperationID string           `json:"operationId"`
	Parameters  []map[string]any `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema map[string]any `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]map[string]any `json:"responses"`
}

func loadOpenAPI(t *testing.T, e *env) *openAPIDoc {
	t.Helper()
	res := e.do("GET", "/api/v1/openapi.json", "", nil)
	if res.status != 200 || res.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET openapi.json unauthenticated = %d %s", res.status, res.header.Get("Content-Type"))
	}
	var doc openAPIDoc
	res.decode(t, &doc)
	res.decode(t, &doc.raw)
	return &doc
}

// resolve follows a local $ref.
func (d *openAPIDoc) resolve(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	for {
		ref, ok := v["$ref"].(string)
		if !ok {
			return v
		}
		var cur any = d.raw
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, ok := cur.(map[string]any)
			if !ok || m[part] == nil {
				t.Fatalf("$ref %s does not resolve", ref)
			}
			cur = m[part]
		}
		v = cur.(map[string]any)
	}
}

// TestOpenAPIMatchesRoutes checks the document against the routes the API
// really serves: the same operations, the same path and query parameters,
// every $ref resolving, every operation reachable on the real handler, and
// real requests and answers fitting the documented schemas.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	runWithDNS(t, func(t *testing.T, e *env, r *dns) {
		doc := loadOpenAPI(t, e)
		if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != "/api/v1" {
			t.Fatalf("openapi %q servers %+v", doc.OpenAPI, doc.Servers)
		}
		documented := map[string]openAPIOperation{}
		ids := map[string]bool{}
		for path, methods := range doc.Paths {
			for method, op := range methods {
				key := strings.ToUpper(method) + " /api/v1" + path
				documented[key] = op
				if op.OperationID == "" || ids[op.OperationID] {
					t.Errorf("%s: operationId %q missing or repeated", key, op.OperationID)
				}
				ids[op.OperationID] = true
				has2xx := false
				for code := range op.Responses {
					has2xx = has2xx || strings.HasPrefix(code, "2")
				}
				if !has2xx {
					t.Errorf("%s documents no success response", key)
				}
			}
		}
		served := map[string]bool{}
		for _, rt := range e.api.Routes() {
			key := rt.Method + " " + rt.Path
			served[key] = true
			op, ok := documented[key]
			if !ok {
				t.Errorf("%s is served but not documented", key)
				continue
			}
			var pathParams, queryParams []string
			for _, p := range op.Parameters {
				p = doc.resolve(t, p)
				switch p["in"] {
				case "path":
					pathParams = append(pathParams, p["name"].(string))
				case "query":
					queryParams = append(queryParams, p["name"].(string))
				}
			}
			var want []string
			for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(rt.Path, -1) {
				want = append(want, m[1])
			}
			if !sameSet(pathParams, want) {
				t.Errorf("%s: path parameters documented %v, route has %v", key, pathParams, want)
			}
			if !sameSet(queryParams, rt.Params) {
				t.Errorf("%s: query parameters documented %v, route accepts %v", key, queryParams, rt.Params)
			}
			// The real handler serves it: unauthenticated, a 401 (not a
			// routing 404 or 405).
			path := regexp.MustCompile(`\{\w+\}`).ReplaceAllString(strings.TrimPrefix(rt.Path, ""), "x")
			res := e.do(rt.Method, path, "", nil)
			wantStatus := 401
			if rt.Public {
				wantStatus = 200
			}
			if res.status != wantStatus {
				t.Errorf("%s %s unauthenticated = %d, want %d: %s", rt.Method, path, res.status, wantStatus, res.body)
			}
		}
		for key := range documented {
			if !served[key] {
				t.Errorf("%s is documented but not served", key)
			}
		}
		walkRefs(t, doc, doc.raw)

		// Real traffic fits the schemas: every operation of the matrix, as
		// the owner.
		f := &fixture{e: e, tn: e.newTenant("acme"), dns: r}
		for _, o := range operations() {
			method, path, body := o.build(f)
			token := f.tn.keys["owner"]
			if len(o.allowed) == 0 {
				token = operatorKey
			}
			var key string
			for _, rt := range e.api.Routes() {
				if rt.Method == method && matchRoute(rt.Path, path) {
					key = rt.Method + " " + rt.Path
				}
			}
			op := documented[key]
			if body != nil && op.RequestBody != nil {
				if _, ok := body.(multipartBody); !ok {
					b, _ := json.Marshal(body)
					var v any
					json.Unmarshal(b, &v)
					for _, msg := range validate(t, doc, op.RequestBody.Content["application/json"].Schema, v, "request") {
						t.Errorf("%s: %s", o.name, msg)
					}
				}
			}
			res := e.send(method, path, token, body)
			resp, ok := op.Responses[fmt.Sprint(res.status)]
			if !ok {
				t.Errorf("%s: %s %s answered %d, which is not documented (%s)", o.name, method, path, res.status, res.body)
				continue
			}
			resp = doc.resolve(t, resp)
			content, _ := resp["content"].(map[string]any)
			if len(res.body) == 0 {
				if content != nil {
					t.Errorf("%s: empty body, documented content %v", o.name, slices.Collect(maps.Keys(content)))
				}
				continue
			}
			media, _ := content[res.header.Get("Content-Type")].(map[string]any)
			if media == nil {
				t.Errorf("%s: Content-Type %s not documented for %d", o.name, res.header.Get("Content-Type"), res.status)
				continue
			}
			var v any
			res.decode(t, &v)
			for _, msg := range validate(t, doc, media["schema"].(map[string]any), v, "response") {
				t.Errorf("%s: %s", o.name, msg)
			}
		}
		// Problems fit the Problem schema too.
		res := e.do("GET", "/api/v1/workspaces/acme/members?status=gone", f.tn.keys["owner"], nil)
		var v any
		res.decode(t, &v)
		for _, msg := range validate(t, doc, map[string]any{"$ref": "#/components/schemas/Problem"}, v, "problem") {
			t.Error(msg)
		}
	})
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

// walkRefs checks every $ref of the document resolves.
func walkRefs(t *testing.T, doc *openAPIDoc, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["$ref"].(string); ok {
			doc.resolve(t, x)
		}
		for _, c := range x {
			walkRefs(t, doc, c)
		}
	case []any:
		for _, c := range x {
			walkRefs(t, doc, c)
		}
	}
}

// validate checks a decoded JSON value against the subset of JSON Schema
// the document uses: $ref, type (one or several), properties, required,
// additionalProperties, items, enum and allOf.
func validate(t *testing.T, doc *openAPIDoc, schema map[string]any, v any, at string) []string {
	schema = doc.resolve(t, schema)
	var errs []string
	if all, ok := schema["allOf"].([]any); ok {
		for _, s := range all {
			// allOf parts describe parts of one object: check types and
			// required fields per part, but extra fields only overall.
			part := maps.Clone(doc.resolve(t, s.(map[string]any)))
			delete(part, "additionalProperties")
			errs = append(errs, validate(t, doc, part, v, at)...)
		}
		if m, ok := v.(map[string]any); ok {
			known := map[string]bool{}
			for _, s := range all {
				props, _ := doc.resolve(t, s.(map[string]any))["properties"].(map[string]any)
				for k := range props {
					known[k] = true
				}
			}
			for k := range m {
				if !known[k] {
					errs = append(errs, fmt.Sprintf("%s.%s is not documented", at, k))
				}
			}
		}
		return errs
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		errs = append(errs, fmt.Sprintf("%s = %v, not one of %v", at, v, enum))
	}
	if typ, ok := schema["type"]; ok {
		var types []string
		switch x := typ.(type) {
		case string:
			types = []string{x}
		case []any:
			for _, s := range x {
				types = append(types, s.(string))
			}
		}
		if !slices.ContainsFunc(types, func(ty string) bool { return isType(v, ty) }) {
			return append(errs, fmt.Sprintf("%s = %v is not %v", at, v, types))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := schema["properties"].(map[string]any)
		for _, r := range asStrings(schema["required"]) {
			if _, ok := x[r]; !ok {
				errs = append(errs, fmt.Sprintf("%s.%s is required by the document but missing", at, r))
			}
		}
		for k, val := range x {
			if ps, ok := props[k].(map[string]any); ok {
				errs = append(errs, validate(t, doc, ps, val, at+"."+k)...)
			} else if ap, ok := schema["additionalProperties"]; ok {
				switch apv := ap.(type) {
				case bool:
					if !apv {
						errs = append(errs, fmt.Sprintf("%s.%s is not documented", at, k))
					}
				case map[string]any:
					errs = append(errs, validate(t, doc, apv, val, at+"."+k)...)
				}
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range x {
				errs = append(errs, validate(t, doc, items, it, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	}
	return errs
}

func isType(v any, ty string) bool {
	switch ty {
	case "null":
		return v == nil
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == math.Trunc(f)
	case "number":
		_, ok := v.(float64)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}

func asStrings(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, s := range l {
			out = append(out, s.(string))
		}
	}
	return out
}
