package scim

import (
	"net/http"
	"strings"
)

// serviceProviderConfig advertises exactly what this endpoint does
// (RFC 7643 5): PATCH, filtering (up to maxResults per page), sorting and
// ETags, but no bulk operations and no password changes.
func (h *Handler) serviceProviderConfig(w http.ResponseWriter) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{urnSPC},
		"documentationUri": "https://github.com/rosterhq/roster#scim-provisioning",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxResults},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []any{map[string]any{
			"type": "oauthbearertoken", "name": "Bearer token", "primary": true,
			"description": "A SCIM token of the workspace's SCIM connection, sent as Authorization: Bearer <token>.",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": h.base + "/ServiceProviderConfig"},
	})
	return nil
}

// schemaDoc renders a schema definition (RFC 7643 7) with no nulls.
func (h *Handler) schemaDoc(s *resourceSchema) map[string]any {
	attrs := make([]any, len(s.attrs))
	for i, a := range s.attrs {
		attrs[i] = attrDoc(a)
	}
	return map[string]any{
		"schemas":     []string{urnSchema},
		"id":          s.id,
		"name":        s.name,
		"description": s.description,
		"attributes":  attrs,
		"meta":        map[string]any{"resourceType": "Schema", "location": h.base + "/Schemas/" + s.id},
	}
}

func attrDoc(a *attr) map[string]any {
	d := map[string]any{
		"name": a.name, "type": a.typ, "multiValued": a.multi, "description": a.description, "required": a.required,
		"mutability": a.mutability, "returned": a.returned,
	}
	if a.typ != "complex" && a.typ != "boolean" {
		d["caseExact"] = a.caseExact
		d["uniqueness"] = a.uniqueness
	}
	if len(a.canonical) > 0 {
		d["canonicalValues"] = a.canonical
	}
	if len(a.refTypes) > 0 {
		d["referenceTypes"] = a.refTypes
	}
	if len(a.sub) > 0 {
		subs := make([]any, len(a.sub))
		for i, s := range a.sub {
			subs[i] = attrDoc(s)
		}
		d["subAttributes"] = subs
	}
	return d
}

func allSchemas() []*resourceSchema {
	return append([]*resourceSchema{userType.core, groupType.core}, userType.extensions...)
}

// schemas serves /Schemas (a ListResponse) and /Schemas/{urn}.
func (h *Handler) schemas(w http.ResponseWriter, id string) error {
	if id != "" {
		for _, s := range allSchemas() {
			if strings.EqualFold(s.id, id) {
				writeJSON(w, http.StatusOK, h.schemaDoc(s))
				return nil
			}
		}
		return errorf(http.StatusNotFound, "", "no schema %q", id)
	}
	var items []any
	for _, s := range allSchemas() {
		items = append(items, h.schemaDoc(s))
	}
	writeJSON(w, http.StatusOK, newList(len(items), 1, items))
	return nil
}

func (h *Handler) resourceTypeDoc(rt *resourceType) map[string]any {
	exts := []any{}
	for _, x := range rt.extensions {
		exts = append(exts, map[string]any{"schema": x.id, "required": false})
	}
	return map[string]any{
		"schemas":          []string{urnResType},
		"id":               rt.name,
		"name":             rt.name,
		"endpoint":         rt.endpoint,
		"description":      rt.core.description,
		"schema":           rt.core.id,
		"schemaExtensions": exts,
		"meta":             map[string]any{"resourceType": "ResourceType", "location": h.base + "/ResourceTypes/" + rt.name},
	}
}

// resourceTypes serves /ResourceTypes and /ResourceTypes/{name}; User
// comes first (Microsoft's tests read Resources[0].endpoint).
func (h *Handler) resourceTypes(w http.ResponseWriter, id string) error {
	types := []*resourceType{userType, groupType}
	if id != "" {
		for _, rt := range types {
			if strings.EqualFold(rt.name, id) {
				writeJSON(w, http.StatusOK, h.resourceTypeDoc(rt))
				return nil
			}
		}
		return errorf(http.StatusNotFound, "", "no resource type %q", id)
	}
	items := []any{h.resourceTypeDoc(userType), h.resourceTypeDoc(groupType)}
	writeJSON(w, http.StatusOK, newList(len(items), 1, items))
	return nil
}
