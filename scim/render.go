package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
)

// etag is the weak entity tag of a resource version (RFC 7644 3.14).
func etag(version int) string { return fmt.Sprintf(`W/"%d"`, version) }

// meta is a resource's meta attribute with an absolute location.
func (h *Handler) meta(resourceType, endpoint, id string, created, modified time.Time, version int) map[string]any {
	return map[string]any{
		"resourceType": resourceType,
		"created":      created.UTC().Format(time.RFC3339Nano),
		"lastModified": modified.UTC().Format(time.RFC3339Nano),
		"location":     h.base + endpoint + "/" + url.PathEscape(id),
		"version":      etag(version),
	}
}

// userDoc renders a stored user as its SCIM resource.
func (h *Handler) userDoc(u directory.SCIMUser) (map[string]any, error) {
	doc, err := userState(u)
	if err != nil {
		return nil, err
	}
	schemas := []string{urnUser}
	if _, ok := doc[urnEnterprise]; ok {
		schemas = append(schemas, urnEnterprise)
	}
	doc["schemas"] = schemas
	doc["id"] = u.ID
	doc["meta"] = h.meta("User", "/Users", u.ID, u.CreatedAt, u.UpdatedAt, u.Version)
	return doc, nil
}

// userInput turns a canonical user document (decoded or patched) into
// what the directory stores. active is the state when the document has
// none (nil: active).
func userInput(doc map[string]any, active *bool) (directory.SCIMUserInput, error) {
	in := directory.SCIMUserInput{Active: active == nil || *active, Attrs: map[string]any{}}
	for k, v := range doc {
		switch k {
		case "userName":
			s, ok := stringValue(v)
			if !ok {
				return in, errorfValue("userName must be a string")
			}
			in.UserName = s
		case "externalId":
			if s, ok := stringValue(v); ok {
				in.ExternalID = &s
			}
		case "active":
			b, ok := v.(bool)
			if !ok {
				return in, errorfValue("active must be a boolean")
			}
			in.Active = b
		case "id", "meta", "schemas", "groups", "password":
		default:
			in.Attrs[k] = v
		}
	}
	if strings.TrimSpace(in.UserName) == "" {
		return in, errorfValue("userName is required")
	}
	// A PATCH may have made two values equal (a type changed through a
	// value path): keep each (type, value) pair once.
	for _, name := range []string{"emails", "phoneNumbers", "ims", "photos"} {
		if list, ok := in.Attrs[name].([]any); ok {
			in.Attrs[name] = uniqueValues(userType.core.attr(name), list)
		}
	}
	in.Emails = emailsOf(in.Attrs)
	in.Email = personEmail(in.UserName, in.Emails)
	in.Name, in.Locale = personName(doc), personLocale(doc)
	return in, nil
}

// userState is a stored user's attributes as a canonical document: what
// PATCH starts from, and the body of its representation.
func userState(u directory.SCIMUser) (map[string]any, error) {
	doc := map[string]any{}
	if len(u.Attrs) > 0 {
		dec := json.NewDecoder(bytes.NewReader(u.Attrs))
		dec.UseNumber()
		if err := dec.Decode(&doc); err != nil {
			return nil, fmt.Errorf("decode stored attributes of user %s: %w", u.ID, err)
		}
	}
	doc["userName"] = u.UserName
	if u.ExternalID != nil {
		doc["externalId"] = *u.ExternalID
	}
	doc["active"] = u.Active
	return doc, nil
}

// groupDoc renders a group; members are included when loaded.
func (h *Handler) groupDoc(g directory.SCIMGroup) map[string]any {
	doc := map[string]any{
		"schemas":     []string{urnGroup},
		"id":          g.ID,
		"displayName": g.DisplayName,
		"meta":        h.meta("Group", "/Groups", g.ID, g.CreatedAt, g.UpdatedAt, g.Version),
	}
	if g.ExternalID != nil {
		doc["externalId"] = *g.ExternalID
	}
	if g.Members != nil {
		members := make([]any, len(g.Members))
		for i, m := range g.Members {
			members[i] = map[string]any{"value": m.Value, "display": m.Display, "type": "User", "$ref": h.base + "/Users/" + url.PathEscape(m.Value)}
		}
		doc["members"] = members
	}
	return doc
}

// projection is a request's attributes / excludedAttributes (RFC 7644
// 3.4.2.5, 3.9).
type projection struct {
	include []projItem // nil: the default set
	exclude []projItem
}

type projItem struct {
	r      resolved
	filter *filter
}

// parseProjection reads attributes and excludedAttributes. Names that are
// not attributes of rt are ignored (the RFC leaves it open, and refusing
// them would break clients that ask for extras).
func parseProjection(rt *resourceType, q url.Values) projection {
	var p projection
	for _, v := range q["attributes"] {
		p.include = append(p.include, projItems(rt, v)...)
	}
	if len(q["attributes"]) > 0 && p.include == nil {
		p.include = []projItem{}
	}
	for _, v := range q["excludedAttributes"] {
		p.exclude = append(p.exclude, projItems(rt, v)...)
	}
	return p
}

func projItems(rt *resourceType, list string) []projItem {
	var out []projItem
	for _, s := range splitList(list) {
		pp, err := parsePatchPath(s)
		if err != nil {
			continue
		}
		r, ok := rt.resolve(pp.attr)
		if !ok {
			continue
		}
		it := projItem{r: r}
		if pp.filter != nil && r.sub == nil && r.top.multi {
			if f, err := resolveFilterIn(rt, &r, pp.filter); err == nil {
				it.filter = f
			}
		}
		out = append(out, it)
	}
	return out
}

// splitList splits a comma-separated attribute list, keeping commas
// inside value filters.
func splitList(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	out = append(out, strings.TrimSpace(s[start:]))
	return out
}

// wants reports whether the projection returns the top-level attribute
// name of rt's core schema (for groups: whether to load members at all).
func (p projection) wants(name string) bool {
	for _, it := range p.exclude {
		if it.r.ext == nil && it.r.sub == nil && strings.EqualFold(it.r.top.name, name) {
			return false
		}
	}
	if p.include == nil {
		return true
	}
	for _, it := range p.include {
		if it.r.ext == nil && strings.EqualFold(it.r.top.name, name) {
			return true
		}
	}
	return false
}

// requested reports whether an attribute returned only on request was
// asked for by name.
func (p projection) requested(name string) bool {
	for _, it := range p.include {
		if it.r.ext == nil && strings.EqualFold(it.r.top.name, name) {
			return true
		}
	}
	return false
}

// apply shapes a resource document: with attributes, only those (plus
// id and schemas, which are always returned); with excludedAttributes,
// all but those.
func (p projection) apply(doc map[string]any) map[string]any {
	if p.include != nil {
		out := map[string]any{"id": doc["id"], "schemas": doc["schemas"]}
		for _, it := range p.include {
			copyItem(out, doc, it)
		}
		doc = out
	}
	for _, it := range p.exclude {
		if it.r.ext == nil && it.r.sub == nil && (it.r.top.name == "id" || it.r.top.returned == "always") {
			continue
		}
		setResolved(doc, it.r, nil)
	}
	return doc
}

// copyItem copies one projected attribute from src to dst.
func copyItem(dst, src map[string]any, it projItem) {
	top := resolved{ext: it.r.ext, top: it.r.top}
	v := getResolved(src, top)
	if v == nil {
		return
	}
	if it.filter != nil {
		list, _ := v.([]any)
		var keep []any
		for _, x := range list {
			if el, ok := x.(map[string]any); ok && matches(it.r.top, it.filter, el) {
				keep = append(keep, x)
			}
		}
		v = listOrNil(keep)
		if v == nil {
			return
		}
	}
	if it.r.sub == nil {
		setResolved(dst, top, v)
		return
	}
	// A sub-attribute: of a complex value, or of every element.
	switch x := v.(type) {
	case map[string]any:
		if sv, ok := x[it.r.sub.name]; ok {
			cur, _ := getResolved(dst, top).(map[string]any)
			if cur == nil {
				cur = map[string]any{}
			}
			cur[it.r.sub.name] = sv
			setResolved(dst, top, cur)
		}
	case []any:
		var out []any
		for _, e := range x {
			if el, ok := e.(map[string]any); ok {
				if sv, ok := el[it.r.sub.name]; ok {
					out = append(out, map[string]any{it.r.sub.name: sv})
				}
			}
		}
		if len(out) > 0 {
			setResolved(dst, top, out)
		}
	}
}

// writeJSON answers with a SCIM JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/scim+json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// listResponse is a ListResponse; Resources is always an array (IdPs read
// it unconditionally) and itemsPerPage is what is returned.
type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

func newList(total, start int, items []any) listResponse {
	if items == nil {
		items = []any{}
	}
	return listResponse{Schemas: []string{urnListResp}, TotalResults: total, StartIndex: start, ItemsPerPage: len(items), Resources: items}
}
