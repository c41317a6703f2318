package conformance

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
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

func checkFilterUserNameCase(t *tester) {
	u := t.name("MiXed") + "@Example.com"
	id, _ := t.createUser(simpleUser(u))
	for _, v := range []string{u, strings.ToUpper(u), strings.ToLower(u)} {
		t.wantIDs(`userName eq "`+v+`"`, t.filter("/Users", `userName eq "`+v+`"`), id)
	}
}

func checkFilterNameCase(t *tester) {
	u := t.email("case")
	id, _ := t.createUser(simpleUser(u))
	for _, f := range []string{`USERNAME eq "` + u + `"`, `userName EQ "` + u + `"`, `UserName Eq "` + u + `"`} {
		t.wantIDs(f, t.filter("/Users", f), id)
	}
}

func checkFilterIDs(t *tester) {
	body := simpleUser(t.email("ids"))
	ext := "Ext-" + t.sfx
	body["externalId"] = ext
	id, _ := t.createUser(body)
	other := t.newUser("other")
	t.wantIDs(`externalId eq`, t.filter("/Users", `externalId eq "`+ext+`"`), id)
	// externalId is caseExact (RFC 7643 3.1), unlike userName.
	t.wantIDs(`externalId eq (other case)`, t.filter("/Users", `externalId eq "`+strings.ToUpper(ext)+`"`))
	t.wantIDs(`id eq`, t.filter("/Users", `id eq "`+id+`"`), id)
	t.wantIDs(`id eq or id eq`, t.filter("/Users", `id eq "`+id+`" or id eq "`+other+`"`), id, other)
}

func checkFilterEmails(t *tester) {
	u := t.email("mail")
	id, _ := t.createUser(simpleUser(u))
	t.newUser("othermail")
	for _, f := range []string{
		`emails[type eq "work" and value eq "` + u + `"]`,
		`emails[type eq "work"].value eq "` + u + `"`,
		`emails.value eq "` + u + `"`,
		`emails eq "` + u + `"`,
	} {
		t.wantIDs(f, t.filter("/Users", f), id)
	}
	t.wantIDs(`emails[type eq "home"].value eq`, t.filter("/Users", `emails[type eq "home"].value eq "`+u+`"`))
}

// threeUsers creates users whose userNames share the prefix it returns and
// end in a@, b@ and c@example.com; only b has a title.
func (t *tester) threeUsers() (prefix string, a, b, c string) {
	prefix = t.name("")
	ids := make([]string, 3)
	for i, tag := range []string{"b", "c", "a"} { // not in sort order on purpose
		body := simpleUser(prefix + tag + "@example.com")
		if tag == "b" {
			body["title"] = "Conformance Title"
		}
		id, _ := t.createUser(body)
		ids[i] = id
	}
	return prefix, ids[2], ids[0], ids[1]
}

func checkFilterOperators(t *tester) {
	p, a, b, c := t.threeUsers()
	sw := `userName sw "` + p + `"`
	ua, ub := p+"a@example.com", p+"b@example.com"
	cases := []struct {
		filter string
		want   []string
	}{
		{sw, []string{a, b, c}},
		{`userName co "` + t.sfx + `-b@"`, []string{b}},
		{`userName ew "` + t.sfx + `-c@example.com"`, []string{c}},
		{sw + ` and title pr`, []string{b}},
		{sw + ` and userName gt "` + ua + `"`, []string{b, c}},
		{sw + ` and userName ge "` + ub + `"`, []string{b, c}},
		{sw + ` and userName lt "` + ub + `"`, []string{a}},
		{sw + ` and userName le "` + ub + `"`, []string{a, b}},
		{sw + ` and userName ne "` + ua + `"`, []string{b, c}},
		{sw + ` and title eq "conformance title"`, []string{b}}, // title is caseExact false
	}
	for _, tc := range cases {
		t.wantIDs(tc.filter, t.filter("/Users", tc.filter), tc.want...)
	}
}

func checkFilterLogic(t *tester) {
	p, a, b, c := t.threeUsers()
	sw := `userName sw "` + p + `"`
	ua, ub, uc := p+"a@example.com", p+"b@example.com", p+"c@example.com"
	cases := []struct {
		filter string
		want   []string
	}{
		{sw + ` and (userName eq "` + ua + `" or userName eq "` + uc + `")`, []string{a, c}},
		{sw + ` and not (userName eq "` + ub + `")`, []string{a, c}},
		{`(userName eq "` + ua + `") or (userName eq "` + ub + `")`, []string{a, b}},
		// "and" binds tighter than "or": a or (c and title pr) is just a.
		{`userName eq "` + ua + `" or userName eq "` + uc + `" and title pr`, []string{a}},
		{`userName eq "` + ua + `" or userName eq "` + ub + `" and title pr`, []string{a, b}},
		{`(userName eq "` + ua + `" or userName eq "` + uc + `") and title pr`, []string{}},
	}
	for _, tc := range cases {
		t.wantIDs(tc.filter, t.filter("/Users", tc.filter), tc.want...)
	}
}

func checkFilterLastModified(t *tester) {
	u := t.email("lastmod")
	id, o := t.createUser(simpleUser(u))
	lm, ok := parseTime(str(o, "meta.lastModified"))
	if !ok {
		o = t.get("/Users", id)
		if lm, ok = parseTime(str(o, "meta.lastModified")); !ok {
			t.fatalf("meta.lastModified %q is not an RFC 3339 dateTime", str(o, "meta.lastModified"))
		}
	}
	exact := str(o, "meta.lastModified")
	ueq := ` and userName eq "` + u + `"`
	ts := func(d time.Duration) string { return lm.Add(d).UTC().Format(time.RFC3339) }
	cases := []struct {
		filter string
		want   []string
	}{
		{`meta.lastModified gt "` + ts(-time.Hour) + `"` + ueq, []string{id}},
		{`meta.lastModified gt "` + ts(time.Hour) + `"` + ueq, nil},
		{`meta.lastModified lt "` + ts(time.Hour) + `"` + ueq, []string{id}},
		{`meta.lastModified ge "` + exact + `"` + ueq, []string{id}},
	}
	for _, tc := range cases {
		t.wantIDs(tc.filter, t.filter("/Users", tc.filter), tc.want...)
	}
}

func checkFilterInvalid(t *tester) {
	for _, f := range []string{
		`scimconfNoSuchAttribute eq "x"`,
		`userName eq`,
		`userName zz "x"`,
		`(userName eq "x"`,
	} {
		r := t.do(http.MethodGet, "/Users?"+query("filter", f), nil)
		t.wantSCIMError(r, http.StatusBadRequest, "invalidFilter")
	}
}

func checkFilterEmpty(t *tester) {
	for _, p := range []string{
		"/Users?" + query("filter", `userName eq "`+t.email("nobody")+`"`),
		"/Groups?" + query("filter", `displayName eq "`+t.name("nogroup")+`"`),
	} {
		r := t.do(http.MethodGet, p, nil)
		o := t.wantObj(r, http.StatusOK)
		l := t.checkList(r, o)
		if l.total != 0 {
			t.errorf("%s; totalResults %d, want 0", r, l.total)
		}
		res, present := o["Resources"]
		if arr, ok := res.([]any); !present || !ok || len(arr) != 0 {
			t.errorf("%s; want \"Resources\": [] (IdPs read it unconditionally)", r)
		}
	}
}

func checkPaging(t *tester) {
	p := t.name("")
	var all []string
	for i := 1; i <= 5; i++ {
		all = append(all, t.newUser("p"+itoa(i)))
	}
	sw := `userName sw "` + p + `"`
	whole := t.list("/Users", "filter", sw, "startIndex", "1", "count", "10")
	if whole.total != 5 || len(whole.items) != 5 {
		t.fatalf("filter %s count=10: totalResults %d, %d Resources, want 5 and 5", sw, whole.total, len(whole.items))
	}
	pass := func() []string {
		var seen []string
		for _, start := range []int{1, 3, 5} {
			l := t.list("/Users", "filter", sw, "startIndex", itoa(start), "count", "2")
			want := min(2, 5-start+1)
			if l.total != 5 {
				t.errorf("startIndex=%d count=2: totalResults %d, want 5", start, l.total)
			}
			if len(l.items) != want {
				t.errorf("startIndex=%d count=2: %d Resources, want %d", start, len(l.items), want)
			}
			if _, present := l.raw["startIndex"]; !present {
				t.errorf("startIndex=%d count=2: startIndex missing from a paged response", start)
			} else if l.start != start {
				t.errorf("startIndex=%d count=2: response startIndex %d", start, l.start)
			}
			seen = append(seen, l.ids()...)
		}
		return seen
	}
	first := pass()
	t.wantIDs("union of pages", first, all...)
	second := pass()
	if strings.Join(first, ",") != strings.Join(second, ",") {
		t.errorf("order differs between two identical paging passes: %v then %v", first, second)
	}
	// The server-wide list too, as Okta imports it.
	l := t.list("/Users", "startIndex", "1", "count", "3")
	if len(l.items) > 3 {
		t.errorf("GET /Users?startIndex=1&count=3 returned %d Resources", len(l.items))
	}
}

func checkPagingEdges(t *tester) {
	p, _, _, _ := t.threeUsers()
	sw := `userName sw "` + p + `"`
	l := t.list("/Users", "filter", sw, "count", "0")
	if l.total != 3 || len(l.items) != 0 {
		t.errorf("count=0: totalResults %d with %d Resources, want 3 with none", l.total, len(l.items))
	}
	l = t.list("/Users", "filter", sw, "count", "-1")
	if l.total != 3 || len(l.items) != 0 {
		t.errorf("count=-1 (interpreted as 0): totalResults %d with %d Resources, want 3 with none", l.total, len(l.items))
	}
	l = t.list("/Users", "filter", sw, "startIndex", "0", "count", "10")
	if l.total != 3 || len(l.items) != 3 {
		t.errorf("startIndex=0 (interpreted as 1): totalResults %d with %d Resources, want 3 and 3", l.total, len(l.items))
	}
	l = t.list("/Users", "filter", sw, "startIndex", "10", "count", "10")
	if l.total != 3 || len(l.items) != 0 {
		t.errorf("startIndex=10: totalResults %d with %d Resources, want 3 with none", l.total, len(l.items))
	}
}

func checkSort(t *tester) {
	if !t.env.feature("sort") {
		t.skipf("ServiceProviderConfig sort.supported is not true")
	}
	p, a, b, c := t.threeUsers()
	sw := `userName sw "` + p + `"`
	asc := t.list("/Users", "filter", sw, "sortBy", "userName")
	if got := strings.Join(asc.ids(), ","); got != strings.Join([]string{a, b, c}, ",") {
		t.errorf("sortBy=userName: order %v, want a, b, c (%v)", asc.ids(), []string{a, b, c})
	}
	desc := t.list("/Users", "filter", sw, "sortBy", "userName", "sortOrder", "descending")
	if got := strings.Join(desc.ids(), ","); got != strings.Join([]string{c, b, a}, ",") {
		t.errorf("sortOrder=descending: order %v, want c, b, a (%v)", desc.ids(), []string{c, b, a})
	}
}

func checkAttributes(t *tester) {
	u := t.email("attrs")
	body := simpleUser(u)
	body["title"] = "Attr Title"
	id, _ := t.createUser(body)

	o := t.get("/Users", id, "attributes", "userName")
	if str(o, "id") != id || !strings.EqualFold(str(o, "userName"), u) {
		t.errorf("attributes=userName: id and userName must be returned, got %v", o)
	}
	for _, gone := range []string{"emails", "name", "title"} {
		if lookup(o, gone) != nil {
			t.errorf("attributes=userName still returns %s", gone)
		}
	}
	o = t.get("/Users", id, "attributes", "name.givenName")
	if str(o, "name.givenName") != "Conformance" || lookup(o, "name.familyName") != nil || lookup(o, "emails") != nil {
		t.errorf("attributes=name.givenName: want only name.givenName, got %v", o)
	}
	o = t.get("/Users", id, "excludedAttributes", "emails,title")
	if lookup(o, "emails") != nil || lookup(o, "title") != nil {
		t.errorf("excludedAttributes=emails,title still returns them: %v", o)
	}
	if str(o, "id") != id || str(o, "name.givenName") != "Conformance" {
		t.errorf("excludedAttributes=emails,title dropped other attributes: %v", o)
	}
	l := t.list("/Users", "filter", `userName eq "`+u+`"`, "attributes", "userName")
	if len(l.items) != 1 {
		t.fatalf("filter userName eq with attributes=userName: %d Resources, want 1", len(l.items))
	}
	if it := l.items[0]; str(it, "id") != id || lookup(it, "emails") != nil || lookup(it, "name") != nil {
		t.errorf("list with attributes=userName: want id and userName only, got %v", it)
	}
	l = t.list("/Users", "filter", `userName eq "`+u+`"`, "excludedAttributes", "name")
	if len(l.items) != 1 || lookup(l.items[0], "name") != nil || str(l.items[0], "id") != id {
		t.errorf("list with excludedAttributes=name: got %v", l.items)
	}
}

func checkETag(t *tester) {
	id, _ := t.createUser(simpleUser(t.email("etag")))
	p := "/Users/" + url.PathEscape(id)
	r := t.do(http.MethodGet, p, nil)
	o := t.wantObj(r, http.StatusOK)
	etag := r.header.Get("ETag")
	if etag == "" {
		if t.env.feature("etag") {
			t.fatalf("etag.supported is true but GET %s has no ETag header", p)
		}
		t.skipf("ServiceProviderConfig etag.supported is not true and responses carry no ETag")
	}
	if v := str(o, "meta.version"); v != "" && v != etag {
		t.errorf("meta.version %q differs from the ETag header %q", v, etag)
	}
	t.want(t.do(http.MethodGet, p, nil, withHeader("If-None-Match", etag)), http.StatusNotModified)

	stale := `W/"scimconf-stale-` + t.sfx + `"`
	bad := t.do(http.MethodPatch, p, patchOps(op("replace", "title", "Should Not Stick")), withHeader("If-Match", stale))
	t.wantSCIMError(bad, http.StatusPreconditionFailed, "")
	if got := t.get("/Users", id); lookup(got, "title") != nil {
		t.errorf("a PATCH refused with 412 still changed title to %v", lookup(got, "title"))
	}
	t.want(t.do(http.MethodPut, p, simpleUser(t.email("etag")), withHeader("If-Match", stale)), http.StatusPreconditionFailed)

	after := t.patch("/Users", id, patchOps(op("replace", "title", "Fresh")), withHeader("If-Match", etag))
	if str(after, "title") != "Fresh" {
		t.errorf("PATCH with the current If-Match did not apply: title %v", lookup(after, "title"))
	}
	r = t.do(http.MethodGet, p, nil, withHeader("If-None-Match", etag))
	t.want(r, http.StatusOK)
	if r.header.Get("ETag") == etag {
		t.errorf("ETag %s unchanged after a modification", etag)
	}
}

func checkPut(t *tester) {
	u := t.email("put")
	body := simpleUser(u)
	body["title"] = "Old Title"
	body["nickName"] = "Old Nick"
	id, _ := t.createUser(body)
	otherName := t.email("putother")
	t.newUser("putother")

	repl := simpleUser(u)
	repl["id"] = id
	repl["meta"] = map[string]any{"resourceType": "User"}
	repl["name"] = map[string]any{"givenName": "Replaced", "familyName": "Person"}
	repl["nickName"] = "New Nick"
	repl["title"] = nil // null and unassigned are the same state (RFC 7644 3.5.1)
	r := t.do(http.MethodPut, "/Users/"+url.PathEscape(id), repl)
	o := t.wantObj(r, http.StatusOK)
	if str(o, "id") != id {
		t.errorf("PUT response id %q, want %q", str(o, "id"), id)
	}
	got := t.get("/Users", id)
	if str(got, "name.givenName") != "Replaced" || str(got, "name.familyName") != "Person" {
		t.errorf("after PUT name is %v", lookup(got, "name"))
	}
	if str(got, "nickName") != "New Nick" {
		t.errorf("after PUT nickName is %v, want New Nick", lookup(got, "nickName"))
	}
	if lookup(got, "title") != nil {
		t.errorf("after PUT with title null, title is still %v", lookup(got, "title"))
	}
	clash := simpleUser(otherName)
	t.wantSCIMError(t.do(http.MethodPut, "/Users/"+url.PathEscape(id), clash), http.StatusConflict, "uniqueness")
}

func checkPatchAdd(t *tester) {
	id, _ := t.createUser(simpleUser(t.email("add")))
	o := t.patch("/Users", id, patchOps(op("add", "nickName", "Nick")))
	if str(o, "nickName") != "Nick" {
		t.errorf("add nickName: got %v", lookup(o, "nickName"))
	}
	o = t.patch("/Users", id, patchOps(op("add", "", map[string]any{
		"title": "Added Title",
		"name":  map[string]any{"middleName": "Middle"},
	})))
	if str(o, "title") != "Added Title" {
		t.errorf("path-less add title: got %v", lookup(o, "title"))
	}
	if str(o, "name.middleName") != "Middle" || str(o, "name.givenName") != "Conformance" {
		t.errorf("path-less add name.middleName must merge into name: got %v", lookup(o, "name"))
	}
	home := t.email("home")
	o = t.patch("/Users", id, patchOps(op("add", "emails", []any{map[string]any{"value": home, "type": "home"}})))
	if multiValue(o, "emails", "type", "work") == nil || !strings.EqualFold(str(multiValue(o, "emails", "type", "home"), "value"), home) {
		t.errorf("add to emails must append: got %v", lookup(o, "emails"))
	}
}

func checkPatchReplace(t *tester) {
	u := t.email("repl")
	body := simpleUser(u)
	home := t.email("replhome")
	body["emails"] = []any{
		map[string]any{"value": u, "type": "work", "primary": true},
		map[string]any{"value": home, "type": "home"},
	}
	id, _ := t.createUser(body)

	o := t.patch("/Users", id, patchOps(op("replace", "name.givenName", "Second")))
	if str(o, "name.givenName") != "Second" || str(o, "name.familyName") != "Check" {
		t.errorf("replace name.givenName: got %v", lookup(o, "name"))
	}
	o = t.patch("/Users", id, patchOps(op("replace", "name", map[string]any{"givenName": "Third"})))
	if str(o, "name.givenName") != "Third" || str(o, "name.familyName") != "Check" {
		t.errorf("replace name {givenName} must leave familyName (RFC 7644 3.5.2.3): got %v", lookup(o, "name"))
	}
	o = t.patch("/Users", id, patchOps(op("replace", "", map[string]any{"displayName": "Replaced Display", "nickName": "RN"})))
	if str(o, "displayName") != "Replaced Display" || str(o, "nickName") != "RN" {
		t.errorf("path-less replace: displayName %v nickName %v", lookup(o, "displayName"), lookup(o, "nickName"))
	}
	nw := t.email("replnew")
	o = t.patch("/Users", id, patchOps(op("replace", `emails[type eq "work"].value`, nw)))
	if !strings.EqualFold(str(multiValue(o, "emails", "type", "work"), "value"), nw) ||
		!strings.EqualFold(str(multiValue(o, "emails", "type", "home"), "value"), home) {
		t.errorf(`replace emails[type eq "work"].value must change only the work email: got %v`, lookup(o, "emails"))
	}
	o = t.patch("/Users", id, patchOps(op("replace", "active", false)))
	if a, ok := boolean(o, "active"); !ok || a {
		t.errorf("replace active false: got %#v", lookup(o, "active"))
	}
}

func checkPatchRemove(t *tester) {
	u := t.email("rm")
	body := simpleUser(u)
	body["title"] = "To Remove"
	body["emails"] = []any{
		map[string]any{"value": u, "type": "work", "primary": true},
		map[string]any{"value": t.email("rmhome"), "type": "home"},
	}
	id, _ := t.createUser(body)
	o := t.patch("/Users", id, patchOps(op("remove", "title", nil)))
	if lookup(o, "title") != nil {
		t.errorf("remove title: still %v", lookup(o, "title"))
	}
	o = t.patch("/Users", id, patchOps(op("remove", `emails[type eq "home"]`, nil)))
	if multiValue(o, "emails", "type", "home") != nil || multiValue(o, "emails", "type", "work") == nil {
		t.errorf(`remove emails[type eq "home"] must remove only the home email: got %v`, lookup(o, "emails"))
	}
	r := t.do(http.MethodPatch, "/Users/"+url.PathEscape(id), patchOps(op("remove", "", nil)))
	t.wantSCIMError(r, http.StatusBadRequest, "noTarget")
}

func checkPatchAtomic(t *tester) {
	body := simpleUser(t.email("atomic"))
	body["title"] = "Before"
	id, _ := t.createUser(body)
	bad := [][]map[string]any{
		{op("replace", "title", "After"), op("add", "nickName", "Sneaky"), op("remove", "", nil)},
		{op("replace", "title", "After"), {"op": "scimconfNoSuchOp", "path": "title", "value": "x"}},
	}
	for i, ops := range bad {
		r := t.do(http.MethodPatch, "/Users/"+url.PathEscape(id), patchOps(ops...))
		if r.status != http.StatusBadRequest {
			t.errorf("bad PATCH #%d: %s; want 400", i+1, r)
		}
		o := t.get("/Users", id)
		if str(o, "title") != "Before" || lookup(o, "nickName") != nil {
			t.errorf("bad PATCH #%d partly applied: title %v, nickName %v", i+1, lookup(o, "title"), lookup(o, "nickName"))
		}
	}
}

func checkTooLarge(t *tester) {
	// 32 MiB: well above any plausible request, including a 50,000-member
	// group PUT (about 3 MB), so a server with any body limit refuses it.
	const size = 32 << 20
	var b bytes.Buffer
	b.Grow(size + 256)
	b.WriteString(`{"schemas":["` + urnUser + `"],"userName":` + jstr(t.email("huge")) + `,"displayName":"`)
	b.Write(bytes.Repeat([]byte("x"), size))
	b.WriteString(`"}`)
	r := t.postExpectingFailure(b.Bytes())
	t.want(r, http.StatusRequestEntityTooLarge)
}

func checkGroupCRUD(t *tester) {
	u1, u2, u3 := t.newUser("g1"), t.newUser("g2"), t.newUser("g3")
	name := t.name("group")
	r := t.do(http.MethodPost, "/Groups", map[string]any{
		"schemas": []string{urnGroup}, "displayName": name,
		"members": []any{map[string]any{"value": u1}},
	})
	o := t.wantObj(r, http.StatusCreated)
	gid := str(o, "id")
	if gid == "" {
		t.fatalf("%s; no id", r)
	}
	t.cleanup(func() { t.do(http.MethodDelete, "/Groups/"+url.PathEscape(gid), nil) })
	if r.header.Get("Location") == "" {
		t.errorf("POST /Groups: 201 without a Location header")
	}
	if str(o, "displayName") != name || str(o, "meta.resourceType") != "Group" || !hasString(o["schemas"], urnGroup) {
		t.errorf("POST /Groups response: %v", o)
	}
	g := t.get("/Groups", gid)
	t.wantIDs("members after create", memberIDs(g), u1)
	t.wantIDs(`displayName eq`, t.filter("/Groups", `displayName eq "`+name+`"`), gid)
	g = t.get("/Groups", gid, "excludedAttributes", "members")
	if _, has := g["members"]; has || str(g, "displayName") != name {
		t.errorf("excludedAttributes=members: got %v", g)
	}
	r = t.do(http.MethodPut, "/Groups/"+url.PathEscape(gid), map[string]any{
		"schemas": []string{urnGroup}, "displayName": name + "-renamed",
		"members": []any{map[string]any{"value": u2}, map[string]any{"value": u3}},
	})
	t.wantObj(r, http.StatusOK)
	g = t.get("/Groups", gid)
	t.wantIDs("members after PUT", memberIDs(g), u2, u3)
	if str(g, "displayName") != name+"-renamed" {
		t.errorf("displayName after PUT %q", str(g, "displayName"))
	}
	t.want(t.do(http.MethodDelete, "/Groups/"+url.PathEscape(gid), nil), http.StatusNoContent)
	t.wantSCIMError(t.do(http.MethodGet, "/Groups/"+url.PathEscape(gid), nil), http.StatusNotFound, "")
	t.get("/Users", u2) // deleting a group must not delete its members
}

func checkGroupMembers(t *tester) {
	u := []string{t.newUser("m1"), t.newUser("m2"), t.newUser("m3"), t.newUser("m4")}
	gid, _ := t.createGroup(map[string]any{
		"schemas": []string{urnGroup}, "displayName": t.name("members"),
		"members": []any{map[string]any{"value": u[0]}, map[string]any{"value": u[1]}, map[string]any{"value": u[2]}},
	})
	val := func(ids ...string) []any {
		var out []any
		for _, id := range ids {
			out = append(out, map[string]any{"value": id})
		}
		return out
	}
	g := t.patch("/Groups", gid, patchOps(op("add", "members", val(u[3]))))
	t.wantIDs("add one member", memberIDs(g), u...)
	g = t.patch("/Groups", gid, patchOps(op("remove", `members[value eq "`+u[1]+`"]`, nil)))
	t.wantIDs("remove members[value eq]", memberIDs(g), u[0], u[2], u[3])
	g = t.patch("/Groups", gid, patchOps(op("add", "members", val(u[0]))))
	t.wantIDs("re-adding an existing member", memberIDs(g), u[0], u[2], u[3])
	g = t.patch("/Groups", gid, patchOps(op("replace", "members", val(u[1]))))
	t.wantIDs("replace members", memberIDs(g), u[1])
	g = t.patch("/Groups", gid, patchOps(op("add", "members", val(u[2])), op("add", "members", val(u[3]))))
	t.wantIDs("two add ops in one PATCH", memberIDs(g), u[1], u[2], u[3])
	g = t.patch("/Groups", gid, patchOps(op("remove", "members", nil)))
	t.wantIDs("remove path members", memberIDs(g))
}

func checkDelete(t *tester) {
	id, _ := t.createUser(simpleUser(t.email("del")))
	p := "/Users/" + url.PathEscape(id)
	r := t.do(http.MethodDelete, p, nil)
	t.want(r, http.StatusNoContent)
	if len(bytes.TrimSpace(r.body)) != 0 {
		t.errorf("%s; 204 must have no body", r)
	}
	t.wantSCIMError(t.do(http.MethodGet, p, nil), http.StatusNotFound, "")
	t.wantSCIMError(t.do(http.MethodDelete, p, nil), http.StatusNotFound, "")
}

func itoa(i int) string { return strconv.Itoa(i) }
