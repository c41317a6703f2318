package scim

import (
	"strings"

	"github.com/elimity-com/scim/schema"
)

// Schema URNs.
const (
	urnUser       = "urn:ietf:params:scim:schemas:core:2.0:User"
	urnGroup      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	urnEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	urnListResp   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	urnPatchOp    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	urnError      = "urn:ietf:params:scim:api:messages:2.0:Error"
	urnSearch     = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	urnSPC        = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	urnResType    = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	urnSchema     = "urn:ietf:params:scim:schemas:core:2.0:Schema"
	// urnEnterpriseTypo is the enterprise URN with its last colon missing,
	// as Entra sends it in one documented request (E1 example 2).
	urnEnterpriseTypo = "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"
)

// attr is one attribute definition: what RFC 7643 says of it (taken from
// elimity-com/scim's schema package), as the request decoding, PATCH,
// filters, projection and /Schemas all need it.
type attr struct {
	name        string
	typ         string // string, boolean, decimal, integer, dateTime, reference, binary, complex
	multi       bool
	required    bool
	caseExact   bool
	mutability  string // readWrite, readOnly, immutable, writeOnly
	returned    string // default, always, never, request
	uniqueness  string
	description string
	canonical   []string
	refTypes    []string
	sub         []*attr
}

func (a *attr) complex() bool { return a.typ == "complex" }

// subAttr finds a sub-attribute case-insensitively.
func (a *attr) subAttr(name string) *attr {
	for _, s := range a.sub {
		if strings.EqualFold(s.name, name) {
			return s
		}
	}
	return nil
}

func fromLibrary(a schema.CoreAttribute) *attr {
	out := &attr{name: a.Name(), typ: a.AttributeType(), multi: a.MultiValued(), required: a.Required(), caseExact: a.CaseExact(),
		mutability: a.Mutability(), returned: a.Returned(), uniqueness: a.Uniqueness(), description: a.Description(), canonical: a.CanonicalValues()}
	for _, r := range a.ReferenceTypes() {
		out.refTypes = append(out.refTypes, string(r))
	}
	for _, s := range a.SubAttributes() {
		out.sub = append(out.sub, fromLibrary(s))
	}
	return out
}

// resourceSchema is a schema (core or extension) with its attributes.
type resourceSchema struct {
	id          string
	name        string
	description string
	attrs       []*attr
}

func (s *resourceSchema) attr(name string) *attr {
	for _, a := range s.attrs {
		if strings.EqualFold(a.name, name) {
			return a
		}
	}
	return nil
}

// resourceType is User or Group: its core schema, extensions and the
// attributes common to every resource (id, externalId, meta).
type resourceType struct {
	name       string
	endpoint   string
	core       *resourceSchema
	extensions []*resourceSchema
	common     []*attr
}

func (rt *resourceType) extension(urn string) *resourceSchema {
	for _, x := range rt.extensions {
		if strings.EqualFold(x.id, urn) {
			return x
		}
	}
	return nil
}

func librarySchema(s schema.Schema) *resourceSchema {
	out := &resourceSchema{id: s.ID, name: s.Name.Value(), description: s.Description.Value()}
	for _, a := range s.Attributes {
		out.attrs = append(out.attrs, fromLibrary(a))
	}
	return out
}

func commonAttrs() []*attr {
	var out []*attr
	for _, a := range schema.CommonAttributes() {
		if a.Name() != "schemas" {
			out = append(out, fromLibrary(a))
		}
	}
	return out
}

// userType and groupType are the two resource types Roster serves. What
// they advertise is what Roster does: a User's groups are read-only and
// returned only when asked for (listing them costs a query per page),
// passwords are accepted and dropped (Okta always sends one) and never
// returned; a Group's members are users.
var (
	userType  = newUserType()
	groupType = newGroupType()
)

func newUserType() *resourceType {
	core := librarySchema(schema.CoreUserSchema())
	if g := core.attr("groups"); g != nil {
		g.returned = "request"
	}
	if p := core.attr("password"); p != nil {
		p.description = "Accepted and discarded: Roster keeps no passwords (people sign in with their identity provider). " +
			"A password in a POST, a PUT or any PATCH operation succeeds and changes nothing; it is never returned."
	}
	return &resourceType{name: "User", endpoint: "/Users", core: core,
		extensions: []*resourceSchema{librarySchema(schema.ExtensionEnterpriseUser())}, common: commonAttrs()}
}

func newGroupType() *resourceType {
	core := librarySchema(schema.CoreGroupSchema())
	if m := core.attr("members"); m != nil {
		if typ := m.subAttr("type"); typ != nil {
			typ.canonical = []string{"User"}
		}
		if ref := m.subAttr("$ref"); ref != nil {
			ref.refTypes = []string{"User"}
		}
	}
	return &resourceType{name: "Group", endpoint: "/Groups", core: core, common: commonAttrs()}
}

// resolved is an attribute path resolved against a resource type.
type resolved struct {
	// ext is the extension the attribute belongs to, or nil for core and
	// common attributes.
	ext *resourceSchema
	top *attr
	// sub is the sub-attribute, or nil.
	sub *attr
}

// canonical is the name the directory and stored documents use:
// "name.givenName", "urn:…:User:employeeNumber", "urn:…:User:manager.value".
func (r resolved) canonical() string {
	s := r.top.name
	if r.sub != nil {
		s += "." + r.sub.name
	}
	if r.ext != nil {
		s = r.ext.id + ":" + s
	}
	return s
}

// resolve finds an attribute by a path as clients write it: any case, an
// optional schema URN prefix, an optional sub-attribute. An attribute of
// an extension may be named without its URN when no core attribute has
// the name (Entra's "manager").
func (rt *resourceType) resolve(p attrPath) (resolved, bool) {
	var r resolved
	switch {
	case p.urn == "" || strings.EqualFold(p.urn, rt.core.id):
		r.top = rt.core.attr(p.name)
		if r.top == nil {
			for _, a := range rt.common {
				if strings.EqualFold(a.name, p.name) {
					r.top = a
				}
			}
		}
		if r.top == nil && p.urn == "" {
			for _, x := range rt.extensions {
				if a := x.attr(p.name); a != nil {
					r.ext, r.top = x, a
					break
				}
			}
		}
	default:
		r.ext = rt.extension(p.urn)
		if r.ext == nil && strings.EqualFold(p.urn, urnEnterpriseTypo) {
			r.ext = rt.extension(urnEnterprise)
		}
		if r.ext != nil {
			r.top = r.ext.attr(p.name)
		}
	}
	if r.top == nil {
		return r, false
	}
	if p.sub != "" {
		if r.sub = r.top.subAttr(p.sub); r.sub == nil {
			return r, false
		}
	}
	return r, true
}
