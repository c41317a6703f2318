package conformance

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// rfcChecks are the RFC 7643/7644 behaviours every SCIM server must show,
// whatever the IdP in front of it.
func rfcChecks() []check {
	return []check{
		{name: "GET /ServiceProviderConfig describes patch, bulk, filter, changePassword, sort, etag and auth", ref: "RFC7644 4; RFC7643 5", run: checkServiceProviderConfig},
		{name: "GET /Schemas is a ListResponse with the User and Group schemas, no nulls; /Schemas/{id} works", ref: "RFC7644 4; RFC7643 7; Entra E1", run: checkSchemas},
		{name: "GET /ResourceTypes lists User at /Users and Group at /Groups", ref: "RFC7644 4; RFC7643 6", run: checkResourceTypes},
		{name: "a bad or missing bearer token gets 401 with WWW-Authenticate and a SCIM Error", ref: "RFC7644 2; RFC7235 3.1; RFC6750 3", run: checkUnauthorized},
		{name: "POST /Users answers 201 with the resource, meta, and Location equal to an absolute meta.location", ref: "RFC7644 3.3; RFC7643 3.1", run: checkCreateUser},
		{name: "GET /Users/{id} returns the user with its attributes", ref: "RFC7644 3.4.1", run: checkGetUser},
		{name: "unknown ids get 404 with a SCIM Error whose status is the string \"404\"", ref: "RFC7644 3.12", run: checkNotFound},
		{name: "a duplicate userName gets 409 uniqueness, also when only the case differs", ref: "RFC7644 3.3; RFC7643 4.1.1", run: checkDuplicateUserName},
		{name: "POST without userName or with malformed JSON gets 400 with a SCIM Error", ref: "RFC7644 3.12; RFC7643 4.1.1", run: checkBadRequest},
		{name: "filter userName eq matches case-insensitively", ref: "RFC7644 3.4.2.2; RFC7643 4.1.1", run: checkFilterUserNameCase},
		{name: "filter attribute names and operators are case-insensitive", ref: "RFC7644 3.4.2.2", run: checkFilterNameCase},
		{name: "filter externalId eq (case-exact) and id eq", ref: "RFC7644 3.4.2.2; RFC7643 3.1", run: checkFilterIDs},
		{name: "filter on emails: value paths, emails[type eq \"work\"].value eq, emails.value eq", ref: "RFC7644 3.4.2.2; Entra E1", run: checkFilterEmails},
		{name: "filter operators co sw ew pr gt ge lt le ne", ref: "RFC7644 3.4.2.2", run: checkFilterOperators},
		{name: "filter and/or/not with grouping and and-before-or precedence", ref: "RFC7644 3.4.2.2", run: checkFilterLogic},
		{name: "filter meta.lastModified gt/ge/lt with dateTime values", ref: "RFC7644 3.4.2.2; RFC7643 3.1", run: checkFilterLastModified},
		{name: "an unknown attribute or malformed filter gets 400 invalidFilter", ref: "RFC7644 3.4.2.2; 3.12", run: checkFilterInvalid},
		{name: "a filter with no match is a ListResponse with totalResults 0 and Resources: []", ref: "RFC7644 3.4.2; Okta O1; Entra E1", run: checkFilterEmpty},
		{name: "paging with startIndex/count: integers, itemsPerPage == len(Resources), stable order", ref: "RFC7644 3.4.2.4; Okta O1", run: checkPaging},
		{name: "paging edge cases: count=0, count<0, startIndex<1, startIndex past the end", ref: "RFC7644 3.4.2.4", run: checkPagingEdges},
		{name: "sortBy and sortOrder order the results", ref: "RFC7644 3.4.2.3", run: checkSort},
		{name: "attributes and excludedAttributes on GET and on lists", ref: "RFC7644 3.4.2.5; 3.9", run: checkAttributes},
		{name: "ETag: meta.version, If-None-Match 304, If-Match mismatch 412 and no change", ref: "RFC7644 3.14", run: checkETag},
		{name: "PUT replaces the user; explicit null clears; conflicts 409; unknown id 404", ref: "RFC7644 3.5.1", run: checkPut},
		{name: "PATCH add with a path, without a path, and to a multi-valued attribute", ref: "RFC7644 3.5.2.1", run: checkPatchAdd},
		{name: "PATCH replace with a path, without a path, a sub-attribute and a value-path filter", ref: "RFC7644 3.5.2.3", run: checkPatchReplace},
		{name: "PATCH remove with a path and a value filter; without a path 400 noTarget", ref: "RFC7644 3.5.2.2", run: checkPatchRemove},
		{name: "PATCH is atomic: a request with one bad operation changes nothing", ref: "RFC7644 3.5.2", run: checkPatchAtomic},
		{name: "a far too large request body gets 413", ref: "RFC7644 3.12", run: checkTooLarge},
		{name: "groups: create with members, GET, filter displayName eq, excludedAttributes=members, PUT, DELETE", ref: "RFC7643 4.2; RFC7644 3.3-3.6", run: checkGroupCRUD},
		{name: "groups: PATCH add/remove/replace members touches only the named members", ref: "RFC7644 3.5.2", run: checkGroupMembers},
		{name: "DELETE answers 204, then GET and DELETE answer 404", ref: "RFC7644 3.6", run: checkDelete},
	}
}

func checkServiceProviderConfig(t *tester) {
	r := t.do(http.MethodGet, "/ServiceProviderConfig", nil)
	o := t.wantObj(r, http.StatusOK)
	t.wantContentType(r)
	if !hasString(o["schemas"], urnSPC) {
		t.errorf("%s; schemas lacks %s", r, urnSPC)
	}
	for _, f := range []string{"patch", "bulk", "filter", "changePassword", "sort", "etag"} {
		if _, ok := lookup(o, f+".supported").(bool); !ok {
			t.errorf("%s.supported must be a boolean, got %#v", f, lookup(o, f+".supported"))
		}
	}
	if b, _ := lookup(o, "filter.supported").(bool); b {
		if _, ok := jsonInt(lookup(o, "filter.maxResults")); !ok {
			t.errorf("filter.maxResults must be an integer when filtering is supported")
		}
	}
	if b, _ := lookup(o, "patch.supported").(bool); !b {
		t.errorf("patch.supported is false; Okta and Entra need PATCH")
	}
	if _, ok := lookup(o, "authenticationSchemes").([]any); !ok {
		t.errorf("authenticationSchemes must be an array")
	}
}

func checkSchemas(t *tester) {
	r := t.do(http.MethodGet, "/Schemas", nil)
	o := t.wantObj(r, http.StatusOK)
	t.wantContentType(r)
	l := t.checkList(r, o)
	found := map[string]bool{}
	for _, s := range l.items {
		found[strings.ToLower(str(s, "id"))] = true
		if str(s, "id") == urnUser {
			attrs, _ := s["attributes"].([]any)
			names := map[string]bool{}
			for _, a := range attrs {
				names[str(a, "name")] = true
			}
			if !names["userName"] {
				t.errorf("the User schema has no userName attribute")
			}
		}
	}
	for _, want := range []string{urnUser, urnGroup} {
		if !found[strings.ToLower(want)] {
			t.errorf("/Schemas lacks %s", want)
		}
	}
	if p := nullPath(o, ""); p != "" {
		t.errorf("/Schemas contains a null at %s (Entra rejects nulls there)", p)
	}
	one := t.get("/Schemas", urnUser)
	if str(one, "id") != urnUser {
		t.errorf("GET /Schemas/%s: id %q", urnUser, str(one, "id"))
	}
}

// nullPath returns the path of the first JSON null inside v, or "".
func nullPath(v any, at string) string {
	switch c := v.(type) {
	case nil:
		if at == "" {
			return "(root)"
		}
		return at
	case map[string]any:
		for k, x := range c {
			if p := nullPath(x, at+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, x := range c {
			if p := nullPath(x, at+"["+itoa(i)+"]"); p != "" {
				return p
			}
		}
	}
	return ""
}

func checkResourceTypes(t *tester) {
	r := t.do(http.MethodGet, "/ResourceTypes", nil)
	o := t.wantObj(r, http.StatusOK)
	t.wantContentType(r)
	l := t.checkList(r, o)
	want := map[string][2]string{"User": {"/Users", urnUser}, "Group": {"/Groups", urnGroup}}
	for name, w := range want {
		var rt map[string]any
		for _, it := range l.items {
			if str(it, "name") == name {
				rt = it
			}
		}
		if rt == nil {
			t.errorf("/ResourceTypes has no %s", name)
			continue
		}
		if ep := str(rt, "endpoint"); strings.TrimRight(ep, "/") != w[0] {
			t.errorf("%s endpoint %q, want %q", name, ep, w[0])
		}
		if s := str(rt, "schema"); !strings.EqualFold(s, w[1]) {
			t.errorf("%s schema %q, want %q", name, s, w[1])
		}
	}
}

func checkUnauthorized(t *tester) {
	p := "/Users?" + query("filter", `userName eq "nobody@example.com"`)
	for _, auth := range []string{"Bearer not-a-valid-token-" + randomHex(8), ""} {
		r := t.do(http.MethodGet, p, nil, withHeader("Authorization", auth))
		t.wantSCIMError(r, http.StatusUnauthorized, "")
		if r.header.Get("WWW-Authenticate") == "" {
			t.errorf("%s; no WWW-Authenticate header", r)
		}
	}
	// A bad token must not be able to write either.
	r := t.do(http.MethodPost, "/Users", simpleUser(t.email("unauth")), withHeader("Authorization", "Bearer wrong"))
	if r.status == http.StatusCreated {
		if id := str(r.obj(), "id"); id != "" {
			t.cleanup(func() { t.do(http.MethodDelete, "/Users/"+url.PathEscape(id), nil) })
		}
	}
	t.want(r, http.StatusUnauthorized)
}

func checkCreateUser(t *tester) {
	u := t.email("create")
	body := simpleUser(u)
	body["externalId"] = "ext-" + t.sfx
	body["displayName"] = "Conformance Create"
	r := t.do(http.MethodPost, "/Users", body)
	o := t.wantObj(r, http.StatusCreated)
	id := str(o, "id")
	if id == "" {
		t.fatalf("%s; no id", r)
	}
	t.cleanup(func() { t.do(http.MethodDelete, "/Users/"+url.PathEscape(id), nil) })
	t.wantContentType(r)
	if !hasString(o["schemas"], urnUser) {
		t.errorf("schemas lacks %s", urnUser)
	}
	if !strings.EqualFold(str(o, "userName"), u) {
		t.errorf("userName %q, want %q", str(o, "userName"), u)
	}
	if str(o, "externalId") != "ext-"+t.sfx {
		t.errorf("externalId %q, want %q", str(o, "externalId"), "ext-"+t.sfx)
	}
	if str(o, "meta.resourceType") != "User" {
		t.errorf("meta.resourceType %q, want User", str(o, "meta.resourceType"))
	}
	for _, f := range []string{"meta.created", "meta.lastModified"} {
		if _, ok := parseTime(str(o, f)); !ok {
			t.errorf("%s %q is not an RFC 3339 dateTime", f, str(o, f))
		}
	}
	loc := str(o, "meta.location")
	lu, err := url.Parse(loc)
	if err != nil || !lu.IsAbs() || lu.Host == "" {
		t.errorf("meta.location %q is not an absolute URL", loc)
	} else if !strings.HasSuffix(strings.TrimRight(lu.Path, "/"), "/Users/"+id) {
		t.errorf("meta.location %q does not end in /Users/%s", loc, id)
	}
	if h := r.header.Get("Location"); h == "" {
		t.errorf("201 without a Location header")
	} else if h != loc {
		t.errorf("Location header %q differs from meta.location %q", h, loc)
	}
}

func checkGetUser(t *tester) {
	u := t.email("get")
	id, _ := t.createUser(simpleUser(u))
	r := t.do(http.MethodGet, "/Users/"+url.PathEscape(id), nil)
	o := t.wantObj(r, http.StatusOK)
	t.wantContentType(r)
	if str(o, "id") != id {
		t.errorf("id %q, want %q", str(o, "id"), id)
	}
	if !strings.EqualFold(str(o, "userName"), u) {
		t.errorf("userName %q, want %q", str(o, "userName"), u)
	}
	if str(o, "name.givenName") != "Conformance" || str(o, "name.familyName") != "Check" {
		t.errorf("name %v, want givenName Conformance, familyName Check", lookup(o, "name"))
	}
	if e := multiValue(o, "emails", "type", "work"); !strings.EqualFold(str(e, "value"), u) {
		t.errorf("work email %v, want %s", e, u)
	}
	if a, ok := boolean(o, "active"); !ok || !a {
		t.errorf("active %#v, want true", lookup(o, "active"))
	}
	if !hasString(o["schemas"], urnUser) {
		t.errorf("schemas lacks %s", urnUser)
	}
	if str(o, "meta.resourceType") != "User" {
		t.errorf("meta.resourceType %q, want User", str(o, "meta.resourceType"))
	}
}

func checkNotFound(t *tester) {
	missing := randomGUID()
	t.wantSCIMError(t.do(http.MethodGet, "/Users/"+missing, nil), http.StatusNotFound, "")
	t.wantSCIMError(t.do(http.MethodGet, "/Groups/"+missing, nil), http.StatusNotFound, "")
	t.wantSCIMError(t.do(http.MethodPatch, "/Users/"+missing, patchOps(op("replace", "displayName", "x"))), http.StatusNotFound, "")
	t.wantSCIMError(t.do(http.MethodPut, "/Users/"+missing, simpleUser(t.email("put404"))), http.StatusNotFound, "")
	t.wantSCIMError(t.do(http.MethodDelete, "/Users/"+missing, nil), http.StatusNotFound, "")
}

// postExpectingFailure POSTs a user that must be refused; if the server
// creates it anyway the user is scheduled for deletion.
func (t *tester) postExpectingFailure(body any, opts ...reqOpt) *response {
	r := t.do(http.MethodPost, "/Users", body, opts...)
	if r.status == http.StatusCreated {
		if id := str(r.obj(), "id"); id != "" {
			t.cleanup(func() { t.do(http.MethodDelete, "/Users/"+url.PathEscape(id), nil) })
		}
	}
	return r
}

func checkDuplicateUserName(t *tester) {
	u := t.email("dup")
	t.createUser(simpleUser(u))
	t.wantSCIMError(t.postExpectingFailure(simpleUser(u)), http.StatusConflict, "uniqueness")
	t.wantSCIMError(t.postExpectingFailure(simpleUser(strings.ToUpper(u))), http.StatusConflict, "uniqueness")
}

func checkBadRequest(t *tester) {
	noName := simpleUser(t.email("noname"))
	delete(noName, "userName")
	t.wantSCIMError(t.postExpectingFailure(noName), http.StatusBadRequest, "")
	t.wantSCIMError(t.postExpectingFailure(`{"schemas":["`+urnUser+`"],"userName":`), http.StatusBadRequest, "")
}

func itoa(i int) string { return strconv.Itoa(i) }
