package conformance

import (
	"net/http"
	"net/url"
	"strings"
)

// reviewChecks are RFC 7643/7644 rules an independent review of Roster
// found broken (issue 11): each names the rule it checks, so anyone can
// run them against any SCIM server.
func reviewChecks() []check {
	return []check{
		{name: "PATCH remove of active leaves an inactive user inactive (deprovisioning never provisions)", ref: "RFC7644 3.5.2.2; RFC7643 4.1.1", run: checkRemoveActive},
		{name: "a deleted user's id is never given to another account, and stays 404", ref: "RFC7643 3.1; RFC7644 3.6", run: checkDeletedIDNotReassigned},
		{name: "a group's ETag changes when a member is deleted", ref: "RFC7644 3.14; RFC7643 3.1", run: checkGroupETagOnMemberDelete},
		{name: "a PATCH that changes nothing keeps meta.version and lastModified", ref: "RFC7644 3.5.2; 3.14", run: checkNoOpPatch},
		{name: "two primary values in one attribute are refused (400 invalidValue) or reduced to one", ref: "RFC7643 2.4", run: checkTwoPrimaries},
		{name: "a repeated (type, value) pair in emails is not kept twice", ref: "RFC7643 2.4", run: checkDuplicatePairs},
		{name: "replace on a value path that matches nothing is 400 noTarget", ref: "RFC7644 3.5.2.3", run: checkReplaceNoTarget},
		{name: "a password is handled alike by POST, PUT and PATCH, and never returned", ref: "RFC7643 4.1.1; RFC7644 3.5.2", run: checkPasswordAlike},
		{name: "a group PATCH answer carries the new ETag", ref: "RFC7644 3.14; 3.5.2", run: checkGroupPatchETag},
		{name: "GET / and POST /.search answer alike", ref: "RFC7644 3.4.2.1; 3.4.3", run: checkRootQueries},
	}
}

func checkRemoveActive(t *tester) {
	id, _ := t.createUser(simpleUser(t.email("rmactive")))
	if o := t.patch("/Users", id, patchOps(op("replace", "active", false))); lookup(o, "active") != false {
		t.fatalf("replace active false: active %v", lookup(o, "active"))
	}
	r := t.do(http.MethodPatch, "/Users/"+url.PathEscape(id), patchOps(op("remove", "active", nil)))
	if r.status >= 300 {
		// Refusing to unassign active is allowed; reactivating is not.
		return
	}
	if o := t.get("/Users", id); lookup(o, "active") == true {
		t.errorf("PATCH remove active made a suspended user active again: %s", r)
	}
}

func checkDeletedIDNotReassigned(t *tester) {
	mail := t.email("reuse")
	a := simpleUser(t.email("reuse-a"))
	a["externalId"] = "ext-a-" + t.sfx
	a["emails"] = []any{map[string]any{"value": mail, "type": "work", "primary": true}}
	r := t.do(http.MethodPost, "/Users", a)
	aID := str(t.wantObj(r, http.StatusCreated), "id")
	t.want(t.do(http.MethodDelete, "/Users/"+url.PathEscape(aID), nil), http.StatusNoContent)
	b := simpleUser(t.email("reuse-b"))
	b["externalId"] = "ext-b-" + t.sfx
	b["emails"] = a["emails"]
	bID, _ := t.createUser(b)
	if bID == aID {
		t.errorf("another account with the deleted user's email got its id %s", aID)
	}
	t.wantSCIMError(t.do(http.MethodGet, "/Users/"+url.PathEscape(aID), nil), http.StatusNotFound, "")
	t.wantSCIMError(t.do(http.MethodPatch, "/Users/"+url.PathEscape(aID), patchOps(op("replace", "title", "x"))), http.StatusNotFound, "")
}

func checkGroupETagOnMemberDelete(t *tester) {
	if !t.env.feature("etag") {
		t.skipf("ServiceProviderConfig etag.supported is not true")
	}
	u := simpleUser(t.email("gmember"))
	r := t.do(http.MethodPost, "/Users", u)
	uid := str(t.wantObj(r, http.StatusCreated), "id")
	t.cleanup(func() { t.do(http.MethodDelete, "/Users/"+url.PathEscape(uid), nil) })
	gid, _ := t.createGroup(map[string]any{"schemas": []string{urnGroup}, "displayName": t.name("etaggroup"), "members": []any{map[string]any{"value": uid}}})
	g := t.do(http.MethodGet, "/Groups/"+url.PathEscape(gid), nil)
	t.want(g, http.StatusOK)
	tag := g.header.Get("ETag")
	if tag == "" {
		t.fatalf("GET /Groups/%s has no ETag", gid)
	}
	t.want(t.do(http.MethodDelete, "/Users/"+url.PathEscape(uid), nil), http.StatusNoContent)
	after := t.do(http.MethodGet, "/Groups/"+url.PathEscape(gid), nil, withHeader("If-None-Match", tag))
	if after.status == http.StatusNotModified {
		t.errorf("after its member was deleted, the group still answers 304 to its old ETag %s", tag)
	}
}

func checkNoOpPatch(t *tester) {
	body := simpleUser(t.email("noop"))
	body["displayName"] = "No Op"
	id, _ := t.createUser(body)
	before := t.get("/Users", id)
	if str(before, "meta.version") == "" {
		t.skipf("the server reports no meta.version")
	}
	t.patch("/Users", id, patchOps(op("add", "displayName", "No Op")))
	after := t.patch("/Users", id, patchOps(op("replace", "displayName", "No Op")))
	if str(after, "meta.version") != str(before, "meta.version") || str(after, "meta.lastModified") != str(before, "meta.lastModified") {
		t.errorf("a PATCH that changed nothing moved meta.version %s → %s, lastModified %s → %s", str(before, "meta.version"), str(after, "meta.version"),
			str(before, "meta.lastModified"), str(after, "meta.lastModified"))
	}
}

func primaryCount(o map[string]any, attr string) int {
	n := 0
	list, _ := lookup(o, attr).([]any)
	for _, x := range list {
		if v, _ := boolean(x, "primary"); v {
			n++
		}
	}
	return n
}

func checkTwoPrimaries(t *tester) {
	body := simpleUser(t.email("primaries"))
	body["emails"] = []any{map[string]any{"value": t.email("p1"), "type": "work", "primary": true}, map[string]any{"value": t.email("p2"), "type": "home", "primary": true}}
	r := t.postExpectingFailure(body)
	if r.status == http.StatusCreated {
		if n := primaryCount(r.obj(), "emails"); n > 1 {
			t.errorf("two primary emails were accepted and kept (%d primaries)", n)
		}
		return
	}
	t.wantSCIMError(r, http.StatusBadRequest, "invalidValue")
}

func checkDuplicatePairs(t *tester) {
	u := t.email("dups")
	body := simpleUser(u)
	body["emails"] = []any{map[string]any{"value": u, "type": "work", "primary": true}, map[string]any{"value": u, "type": "work"}}
	r := t.postExpectingFailure(body)
	if r.status != http.StatusCreated {
		t.want(r, http.StatusBadRequest)
		return
	}
	id := str(r.obj(), "id")
	list, _ := lookup(t.get("/Users", id), "emails").([]any)
	if len(list) != 1 {
		t.errorf("emails %v: the repeated (work, %s) pair is kept %d times", list, u, len(list))
	}
}

func checkReplaceNoTarget(t *tester) {
	id, _ := t.createUser(simpleUser(t.email("notarget")))
	r := t.do(http.MethodPatch, "/Users/"+url.PathEscape(id), patchOps(op("replace", `emails[type eq "scimconfnone"].value`, t.email("nt"))))
	if t.env.profile == "entra" && r.status < 300 {
		// Entra's create-on-replace, a deviation a server may keep for
		// Entra alone.
		return
	}
	t.wantSCIMError(r, http.StatusBadRequest, "noTarget")
	if list, _ := lookup(t.get("/Users", id), "emails").([]any); len(list) != 1 {
		t.errorf("a refused replace changed the emails: %v", list)
	}
}

func checkPasswordAlike(t *tester) {
	body := simpleUser(t.email("pw"))
	secret := "Scimconf-" + t.sfx + "-pw"
	body["password"] = secret
	r := t.postExpectingFailure(body)
	created := r.status == http.StatusCreated
	var id string
	if created {
		id = str(r.obj(), "id")
	} else {
		id, _ = t.createUser(simpleUser(t.email("pw")))
	}
	patch := t.do(http.MethodPatch, "/Users/"+url.PathEscape(id), patchOps(op("replace", "password", secret+"2")))
	put := t.do(http.MethodPut, "/Users/"+url.PathEscape(id), body)
	for _, x := range []*response{r, patch, put} {
		if strings.Contains(string(x.body), secret) {
			t.errorf("%s; the password is returned", x)
		}
	}
	accepted := func(x *response) bool { return x.status < 300 }
	if accepted(r) != accepted(patch) || accepted(r) != accepted(put) {
		t.errorf("a password is handled three ways: POST %d, PATCH path password %d, PUT %d", r.status, patch.status, put.status)
	}
}

func checkGroupPatchETag(t *tester) {
	if !t.env.feature("etag") {
		t.skipf("ServiceProviderConfig etag.supported is not true")
	}
	uid := t.newUser("gpatch")
	gid, _ := t.createGroup(map[string]any{"schemas": []string{urnGroup}, "displayName": t.name("gpatch")})
	r := t.do(http.MethodPatch, "/Groups/"+url.PathEscape(gid), patchOps(op("add", "members", []any{map[string]any{"value": uid}})))
	t.want(r, http.StatusOK, http.StatusNoContent)
	g := t.do(http.MethodGet, "/Groups/"+url.PathEscape(gid), nil)
	if r.header.Get("ETag") == "" || r.header.Get("ETag") != g.header.Get("ETag") {
		t.errorf("group PATCH answered %d with ETag %q; GET says %q", r.status, r.header.Get("ETag"), g.header.Get("ETag"))
	}
}

func checkRootQueries(t *tester) {
	get := t.do(http.MethodGet, "/?"+query("filter", `userName eq "`+t.email("root")+`"`), nil)
	search := t.do(http.MethodPost, "/.search", map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"}, "filter": `userName eq "` + t.email("root") + `"`})
	if get.status != search.status {
		t.errorf("GET / answered %d and POST /.search %d: one feature, two answers", get.status, search.status)
	}
	if get.status >= 500 && get.status != http.StatusNotImplemented {
		t.errorf("%s; a server error", get)
	}
}
