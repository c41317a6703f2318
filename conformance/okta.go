package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// oktaChecks replay what Okta's provisioning client and its SCIM 2.0 SPEC
// test send (NOTES-idp-traffic.md section 2), byte for byte where it matters.
func oktaChecks() []check {
	return []check{
		{profile: "okta", name: "Okta user sync: existence check with startIndex/count, POST with password and groups:[], 409 on repeat, case-insensitive lookup", ref: "Okta O1 2.1; O3 SPEC #5-#9", run: oktaUserSync},
		{profile: "okta", name: "Okta profile update: GET then PUT the full object with id, meta and groups; AIW deactivation by PUT", ref: "Okta O1 2.1 update", run: oktaPutUpdate},
		{profile: "okta", name: "Okta deactivate/reactivate: path-less replace {active}; inactive users still found by GET and filter", ref: "Okta O1 2.1 deactivate", run: oktaDeactivate},
		{profile: "okta", name: "Okta import: /Users?startIndex=1&count=100 then 101, integer fields, pages do not overlap", ref: "Okta O1 2.1 import", run: oktaImport},
		{profile: "okta", name: "Okta group push: members:[] create, find by displayName with paging, remove+add in one PATCH, rename with id in value, PUT, DELETE", ref: "Okta O1 2.2", run: oktaGroupPush},
		{profile: "okta", name: "Okta SPEC test errors: 401 for \"Authorization: non-token\", 404 with detail and status strings, GET /Groups under 600 ms", ref: "Okta O3 SPEC #4 #10-#12", run: oktaSpecErrors},
	}
}

// oktaClient marks requests the way Okta's provisioning client does.
var oktaClient = withHeader("User-Agent", "Okta SCIM Client 1.0.0")

// oktaSpec marks requests the way Okta's SPEC test (Runscope) does, which
// POSTs with plain application/json.
var (
	oktaSpecAgent = withHeader("User-Agent", "OKTA SCIM Integration")
	oktaSpecJSON  = withHeader("Content-Type", "application/json")
)

// oktaUserBody is Okta's POST /Users body (O1), password placeholder and
// groups:[] included.
func oktaUserBody(email, given, family, externalID string) string {
	return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%s,`+
		`"name":{"givenName":%s,"familyName":%s},`+
		`"emails":[{"primary":true,"value":%s,"type":"work"}],`+
		`"displayName":%s,"locale":"en-US","externalId":%s,`+
		`"groups":[],"password":"1mz050nq","active":true}`,
		jstr(email), jstr(given), jstr(family), jstr(email), jstr(given+" "+family), jstr(externalID))
}

// oktaExternalID looks like an Okta user id (00u + 17 characters).
func oktaExternalID() string { return "00u" + randomHex(9)[:17] }

// oktaFind is Okta's existence check: URL-encoded filter plus paging.
func (t *tester) oktaFind(endpoint, f string) listResult {
	p := endpoint + "?" + query("filter", f, "startIndex", "1", "count", "100")
	r := t.do(http.MethodGet, p, nil, oktaClient)
	return t.checkList(r, t.wantObj(r, http.StatusOK))
}

func oktaUserSync(t *tester) {
	email := t.email("okta")
	if l := t.oktaFind("/Users", `userName eq "`+email+`"`); l.total != 0 || len(l.items) != 0 {
		t.fatalf("existence check for a new user found %d", l.total)
	}
	ext := oktaExternalID()
	body := oktaUserBody(email, "Test", "User", ext)
	id, o := t.createUser(body, oktaClient, oktaSpecJSON)
	if a, ok := boolean(o, "active"); !ok || !a {
		t.errorf("POST response active %#v, want true", lookup(o, "active"))
	}
	if str(o, "name.givenName") != "Test" || str(o, "name.familyName") != "User" {
		t.errorf("POST response name %v", lookup(o, "name"))
	}
	if !hasString(o["schemas"], urnUser) {
		t.errorf("POST response schemas lacks %s", urnUser)
	}
	if lookup(o, "password") != nil {
		t.errorf("POST response returns password (returned: never, RFC 7643 4.1.1)")
	}
	got := t.get("/Users", id)
	if !strings.EqualFold(str(got, "userName"), email) || str(got, "externalId") != ext ||
		!strings.EqualFold(str(got, "emails.0.value"), email) || str(got, "name.givenName") != "Test" {
		t.errorf("GET after POST: %v", got)
	}
	if lookup(got, "password") != nil {
		t.errorf("GET returns password")
	}
	t.wantSCIMError(t.postExpectingFailure(body, oktaClient, oktaSpecJSON), http.StatusConflict, "")
	for _, v := range []string{email, strings.ToUpper(email)} {
		l := t.oktaFind("/Users", `userName eq "`+v+`"`)
		if l.total != 1 || len(l.items) != 1 || str(l.items[0], "id") != id {
			t.errorf(`userName eq "%s": totalResults %d, ids %v; want exactly %s`, v, l.total, l.ids(), id)
		}
	}
}

func oktaPutUpdate(t *tester) {
	email := t.email("oktaput")
	ext := oktaExternalID()
	id, _ := t.createUser(oktaUserBody(email, "Test", "User", ext), oktaClient, oktaSpecJSON)
	t.get("/Users", id)
	put := func(given string, active bool) string {
		return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":%s,"userName":%s,`+
			`"name":{"givenName":%s,"middleName":"","familyName":"User"},`+
			`"emails":[{"primary":true,"value":%s,"type":"work","display":%s}],`+
			`"displayName":%s,"locale":"en-US","externalId":%s,"groups":[],"password":"1mz050nq",`+
			`"active":%t,"meta":{"resourceType":"User"}}`,
			jstr(id), jstr(email), jstr(given), jstr(email), jstr(email), jstr(given+" User"), jstr(ext), active)
	}
	r := t.do(http.MethodPut, "/Users/"+url.PathEscape(id), put("Changed", true), oktaClient)
	o := t.wantObj(r, http.StatusOK)
	if str(o, "name.givenName") != "Changed" {
		t.errorf("PUT response name.givenName %q, want Changed", str(o, "name.givenName"))
	}
	if g := t.get("/Users", id); str(g, "name.givenName") != "Changed" || str(g, "displayName") != "Changed User" {
		t.errorf("after PUT: name %v, displayName %v", lookup(g, "name"), lookup(g, "displayName"))
	}
	t.wantObj(t.do(http.MethodPut, "/Users/"+url.PathEscape(id), put("Changed", false), oktaClient), http.StatusOK)
	if a, ok := boolean(t.get("/Users", id), "active"); !ok || a {
		t.errorf("after AIW PUT with active false: active %v", a)
	}
}

func oktaDeactivate(t *tester) {
	email := t.email("oktadeact")
	id, _ := t.createUser(oktaUserBody(email, "Test", "User", oktaExternalID()), oktaClient, oktaSpecJSON)
	body := func(active bool) string {
		return fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],`+
			`"Operations":[{"op":"replace","value":{"active":%t}}]}`, active)
	}
	o := t.patch("/Users", id, body(false), oktaClient)
	if a, ok := boolean(o, "active"); !ok || a {
		t.errorf("after replace {active:false}: active %#v", lookup(o, "active"))
	}
	if l := t.oktaFind("/Users", `userName eq "`+email+`"`); l.total != 1 {
		t.errorf("an inactive user must still be found by filter: totalResults %d", l.total)
	}
	o = t.patch("/Users", id, body(true), oktaClient)
	if a, ok := boolean(o, "active"); !ok || !a {
		t.errorf("after replace {active:true}: active %#v", lookup(o, "active"))
	}
}

func oktaImport(t *tester) {
	t.createUser(oktaUserBody(t.email("oktaimport"), "Test", "User", oktaExternalID()), oktaClient, oktaSpecJSON)
	page := func(start int) listResult {
		r := t.do(http.MethodGet, "/Users?"+query("startIndex", itoa(start), "count", "100"), nil, oktaClient)
		l := t.checkList(r, t.wantObj(r, http.StatusOK))
		for _, f := range []string{"startIndex", "itemsPerPage", "totalResults"} {
			if _, ok := jsonInt(l.raw[f]); !ok {
				t.errorf("%s; %s must be present as a JSON integer", r.req, f)
			}
		}
		if len(l.items) > 100 {
			t.errorf("%s; %d Resources for count=100", r.req, len(l.items))
		}
		for _, it := range l.items {
			if str(it, "id") == "" || str(it, "userName") == "" {
				t.errorf("%s; a Resource lacks id or userName: %v", r.req, it)
				break
			}
		}
		return l
	}
	p1 := page(1)
	if p1.total < 1 || len(p1.items) < 1 {
		t.fatalf("first import page is empty although a user exists (totalResults %d)", p1.total)
	}
	if p1.total <= 100 {
		if len(p1.items) != p1.total {
			t.errorf("totalResults %d fits one page of 100 but the page has %d", p1.total, len(p1.items))
		}
		return
	}
	p2 := page(101)
	seen := map[string]bool{}
	for _, id := range p1.ids() {
		seen[id] = true
	}
	for _, id := range p2.ids() {
		if seen[id] {
			t.errorf("user %s is on both page 1 and page 2: the order is not stable", id)
		}
	}
}

func oktaGroupPush(t *tester) {
	var uids, emails []string
	for _, tag := range []string{"gp1", "gp2", "gp3"} {
		e := t.email(tag)
		id, _ := t.createUser(oktaUserBody(e, "Test", "User", oktaExternalID()), oktaClient, oktaSpecJSON)
		uids, emails = append(uids, id), append(emails, e)
	}
	name := t.name("Test SCIMv2")
	gid, o := t.createGroup(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":`+jstr(name)+`,"members":[]}`,
		oktaClient, oktaSpecJSON)
	if str(o, "displayName") != name {
		t.errorf("POST /Groups displayName %q", str(o, "displayName"))
	}
	if l := t.oktaFind("/Groups", `displayName eq "`+name+`"`); len(l.items) != 1 || str(l.items[0], "id") != gid {
		t.errorf("find group by displayName with paging: ids %v, want %s", l.ids(), gid)
	}
	member := func(i int) string {
		return `{"value":` + jstr(uids[i]) + `,"display":` + jstr(emails[i]) + `}`
	}
	g := t.patch("/Groups", gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+
		`{"op":"replace","path":"members","value":[`+member(0)+`,`+member(1)+`]}]}`, oktaClient)
	t.wantIDs("full push (replace members)", memberIDs(g), uids[0], uids[1])

	g = t.patch("/Groups", gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+
		`{"op":"remove","path":"members[value eq \"`+uids[0]+`\"]"},`+
		`{"op":"add","path":"members","value":[`+member(2)+`]}]}`, oktaClient)
	t.wantIDs("remove+add in one PATCH", memberIDs(g), uids[1], uids[2])
	arr, _ := g["members"].([]any)
	for _, m := range arr {
		if str(m, "value") == "" || str(m, "display") == "" {
			t.errorf("GET /Groups/{id}: members entries need value and display, got %v", m)
			break
		}
	}

	renamed := name + " renamed"
	g = t.patch("/Groups", gid, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[`+
		`{"op":"replace","value":{"id":`+jstr(gid)+`,"displayName":`+jstr(renamed)+`}}]}`, oktaClient)
	if str(g, "displayName") != renamed || str(g, "id") != gid {
		t.errorf("rename with id in value: displayName %q id %q", str(g, "displayName"), str(g, "id"))
	}
	t.wantIDs("members after rename", memberIDs(g), uids[1], uids[2])

	r := t.do(http.MethodPut, "/Groups/"+url.PathEscape(gid), `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":`+
		jstr(gid)+`,"displayName":`+jstr(renamed)+`,"members":[`+member(0)+`]}`, oktaClient)
	t.wantObj(r, http.StatusOK)
	t.wantIDs("AIW PUT with the full members list", memberIDs(t.get("/Groups", gid)), uids[0])

	t.want(t.do(http.MethodDelete, "/Groups/"+url.PathEscape(gid), nil, oktaClient), http.StatusNoContent)
	t.want(t.do(http.MethodGet, "/Groups/"+url.PathEscape(gid), nil, oktaClient), http.StatusNotFound)
}

func oktaSpecErrors(t *tester) {
	r := t.do(http.MethodGet, "/Users?"+query("filter", `userName eq "`+t.email("spec")+`"`), nil,
		oktaSpecAgent, withHeader("Authorization", "non-token"))
	t.wantSCIMError(r, http.StatusUnauthorized, "")
	if str(r.obj(), "detail") == "" {
		t.errorf("%s; 401 body needs a detail", r)
	}
	for _, id := range []string{"010101001010101011001010101011", "00919288221112222"} {
		r := t.do(http.MethodGet, "/Users/"+id, nil, oktaSpecAgent)
		t.wantSCIMError(r, http.StatusNotFound, "")
		if str(r.obj(), "detail") == "" {
			t.errorf("%s; 404 body needs a detail", r)
		}
	}
	// The SPEC test times one GET /Groups; warm the connection first so only
	// the server's own time is measured.
	t.do(http.MethodGet, "/Groups?count=1", nil, oktaSpecAgent)
	start := time.Now()
	r = t.do(http.MethodGet, "/Groups", nil, oktaSpecAgent)
	el := time.Since(start)
	t.checkList(r, t.wantObj(r, http.StatusOK))
	if el >= 600*time.Millisecond {
		t.errorf("GET /Groups took %v, Okta's SPEC test wants under 600 ms", el.Round(time.Millisecond))
	}
}
