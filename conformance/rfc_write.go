package conformance

// The RFC checks of writing: PUT, PATCH, body limits, groups and DELETE
// (rfcChecks in rfc.go lists them all).

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
)

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
