package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// entraChecks replay what the Microsoft Entra ID provisioning service sends
// (NOTES-idp-traffic.md section 1), in both of its PATCH dialects: the
// default one (capitalised ops, "False" strings, remove-with-value) and the
// RFC-compliant one enabled by the aadOptscim062020 tenant URL flag.
func entraChecks() []check {
	return []check{
		{profile: "entra", name: "Entra Test Connection: userName eq <random GUID> answers 200 with an empty ListResponse", ref: "Entra E1 1.1 test connection", run: entraTestConnection},
		{profile: "entra", name: "Entra create (E1 example 1) and lookups by userName, externalId quoted and unquoted, emails[type eq \"work\"].value", ref: "Entra E1 1.1-1.2", run: entraCreateAndMatch},
		{profile: "entra", name: "Entra create with explicit nulls, the misspelled enterprise URN and meta (E1 example 2)", ref: "Entra E1 example 2", run: entraCreateNulls},
		{profile: "entra", name: "Entra PATCH without the flag: capitalised ops, filtered email path, one op per attribute with URN path, Add nickName, userName", ref: "Entra E1 update; E2 without flag", run: entraPatchLegacy},
		{profile: "entra", name: "Entra manager: Add path manager with an array of {$ref,value}", ref: "Entra E1 example 5", run: entraManager},
		{profile: "entra", name: "Entra soft delete: Replace active \"False\"/\"True\" strings; inactive users still found; then DELETE 204", ref: "Entra E2 boolean strings; E3", run: entraSoftDelete},
		{profile: "entra", name: "Entra groups without the flag: ADSCIM schema URI, excludedAttributes=members, $ref null, several ops per PATCH, Replace displayName", ref: "Entra E1 1.3", run: entraGroupsLegacy},
		{profile: "entra", name: "Entra group member removal without the flag: Remove path members with a value list removes only those members", ref: "Entra E2 remove-with-value", run: entraRemoveWithValue},
		{profile: "entra", name: "Entra with aadOptscim062020: path-less replace with dotted and URN keys, lower-case ops, boolean active", ref: "Entra E2 aadOptscim062020", run: entraPatchCompliant},
		{profile: "entra", name: "Entra groups with aadOptscim062020: remove members[value eq \"...\"]", ref: "Entra E2 aadOptscim062020 groups", run: entraGroupsCompliant},
	}
}

// entraUserBody is E1's "Create User" request with fresh values.
func entraUserBody(userName, email, externalID string) string {
	return fmt.Sprintf(`{
    "schemas": [
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    "externalId": %s,
    "userName": %s,
    "active": true,
    "emails": [{
        "primary": true,
        "type": "work",
        "value": %s
    }],
    "meta": {
        "resourceType": "User"
    },
    "name": {
        "formatted": "givenName familyName",
        "familyName": "familyName",
        "givenName": "givenName"
    },
    "roles": []
}`, jstr(externalID), jstr(userName), jstr(email))
}

// entraUser creates a user the way Entra does and returns its id and userName.
func (t *tester) entraUser(tag string) (id, userName string) {
	userName = t.email(tag)
	id, _ = t.createUser(entraUserBody(userName, userName, randomGUID()))
	return id, userName
}

// entraOps wraps raw operation objects in a PatchOp body, formatted the way
// Entra formats it.
func entraOps(ops ...string) string {
	return `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [` + strings.Join(ops, ",") + `]}`
}

func entraTestConnection(t *tester) {
	r := t.do(http.MethodGet, "/Users?"+query("filter", `userName eq "`+randomGUID()+`"`), nil)
	o := t.wantObj(r, http.StatusOK)
	l := t.checkList(r, o)
	if l.total != 0 {
		t.errorf("%s; totalResults %d, want 0", r, l.total)
	}
	if arr, ok := o["Resources"].([]any); !ok || len(arr) != 0 {
		t.errorf("%s; want \"Resources\": []", r)
	}
	r = t.do(http.MethodGet, "/Groups?"+query("excludedAttributes", "members", "filter", `displayName eq "`+randomGUID()+`"`), nil)
	if l := t.checkList(r, t.wantObj(r, http.StatusOK)); l.total != 0 {
		t.errorf("%s; totalResults %d, want 0", r, l.total)
	}
}

func entraCreateAndMatch(t *tester) {
	userName := "Test_User_" + t.name("e1")
	email := t.email("e1mail")
	ext := randomGUID()
	id, o := t.createUser(entraUserBody(userName, email, ext))
	if str(o, "externalId") != ext || !strings.EqualFold(str(o, "userName"), userName) {
		t.errorf("POST response: externalId %q userName %q", str(o, "externalId"), str(o, "userName"))
	}
	t.wantIDs(`userName eq`, t.filter("/Users", `userName eq "`+userName+`"`), id)
	t.wantIDs(`externalId eq "<guid>"`, t.filter("/Users", `externalId eq "`+ext+`"`), id)
	t.wantIDs(`emails[type eq "work"].value eq`, t.filter("/Users", `emails[type eq "work"].value eq "`+email+`"`), id)

	// E1 shows the matching query with a bare value: externalId eq jyoung.
	nick := "jyoung" + t.sfx
	id2, _ := t.createUser(entraUserBody(t.email("e1nick"), t.email("e1nick"), nick))
	t.wantIDs(`externalId eq `+nick+` (unquoted)`, t.filter("/Users", `externalId eq `+nick), id2)
}

func entraCreateNulls(t *tester) {
	nick := "jyoung" + t.sfx
	userName := t.name("jyoung") + "@example.com"
	body := fmt.Sprintf(`{
   "schemas":
   [
     "urn:ietf:params:scim:schemas:core:2.0:User",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
   "externalId":%s,
   "userName":%s,
   "active":true,
   "addresses":null,
   "displayName":"Joy Young",
   "emails": [
     {
       "type":"work",
       "value":%s,
       "primary":true}],
   "meta": {
     "resourceType":"User"},
    "name":{
     "familyName":"Young",
     "givenName":"Joy"},
   "phoneNumbers":null,
   "preferredLanguage":null,
   "title":null,
   "department":null,
   "manager":null}`, jstr(nick), jstr(userName), jstr(t.name("jyoung")+"@Example.com"))
	id, _ := t.createUser(body)
	g := t.get("/Users", id)
	if str(g, "displayName") != "Joy Young" || str(g, "name.givenName") != "Joy" || str(g, "externalId") != nick {
		t.errorf("after create: %v", g)
	}
	if a, ok := boolean(g, "active"); !ok || !a {
		t.errorf("active %#v, want true", lookup(g, "active"))
	}
}

func entraPatchLegacy(t *tester) {
	id, _ := t.entraUser("legacy")
	newMail := t.name("updatedEmail") + "@example.net"
	o := t.patch("/Users", id, entraOps(
		`{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": `+jstr(newMail)+`}`,
		`{"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}`))
	if !strings.EqualFold(str(multiValue(o, "emails", "type", "work"), "value"), newMail) {
		t.errorf(`Replace emails[type eq "work"].value: emails %v`, lookup(o, "emails"))
	}
	if str(o, "name.familyName") != "updatedFamilyName" || str(o, "name.givenName") != "givenName" {
		t.errorf("Replace name.familyName: name %v", lookup(o, "name"))
	}

	newName := t.name("renamed") + "@example.com"
	o = t.patch("/Users", id, entraOps(`{"op": "Replace", "path": "userName", "value": `+jstr(newName)+`}`))
	if !strings.EqualFold(str(o, "userName"), newName) {
		t.errorf("Replace userName: %q", str(o, "userName"))
	}

	o = t.patch("/Users", id, entraOps(`{"op": "Add", "path": "nickName", "value": "Babs"}`))
	if str(o, "nickName") != "Babs" {
		t.errorf("Add nickName: %v", lookup(o, "nickName"))
	}

	mail2 := t.name("Bcwqnm") + "@example.net"
	ext := "Eqpj" + t.sfx
	o = t.patch("/Users", id, entraOps(
		`{"op": "Replace", "path": "displayName", "value": "Pvlo"}`,
		`{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": `+jstr(mail2)+`}`,
		`{"op": "Replace", "path": "name.givenName", "value": "Gtfd"}`,
		`{"op": "Replace", "path": "name.familyName", "value": "Pkqf"}`,
		`{"op": "Replace", "path": "externalId", "value": `+jstr(ext)+`}`,
		`{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "Eqpj"}`))
	if str(o, "displayName") != "Pvlo" || str(o, "name.givenName") != "Gtfd" || str(o, "name.familyName") != "Pkqf" || str(o, "externalId") != ext {
		t.errorf("one op per attribute: displayName %v name %v externalId %v", lookup(o, "displayName"), lookup(o, "name"), lookup(o, "externalId"))
	}
	if !strings.EqualFold(str(multiValue(o, "emails", "type", "work"), "value"), mail2) {
		t.errorf("one op per attribute: emails %v", lookup(o, "emails"))
	}
	if t.env.enterprise {
		if v := str(lookup(o, urnEnterprise), "employeeNumber"); v != "Eqpj" {
			t.errorf("enterprise employeeNumber %q, want Eqpj", v)
		}
	}
}

func entraManager(t *tester) {
	id, _ := t.entraUser("report")
	mgr, _ := t.entraUser("manager")
	ref := t.base + "/Users/" + url.PathEscape(mgr)
	o := t.patch("/Users", id, entraOps(`{"op":"Add","path":"manager","value":[{"$ref":`+jstr(ref)+`,"value":`+jstr(mgr)+`}]}`))
	if !t.env.enterprise {
		return // accepted is all Entra needs from a server without the extension
	}
	if v := str(lookup(o, urnEnterprise), "manager.value"); v != mgr {
		t.errorf("enterprise manager.value %q, want %q", v, mgr)
	}
}

func entraSoftDelete(t *tester) {
	id, userName := t.entraUser("soft")
	o := t.patch("/Users", id, entraOps(`{"op": "Replace", "path": "active", "value": "False"}`))
	if a, ok := boolean(o, "active"); !ok || a {
		t.errorf(`Replace active "False": active %#v, want the boolean false`, lookup(o, "active"))
	}
	t.wantIDs("an inactive user is still found by userName", t.filter("/Users", `userName eq "`+userName+`"`), id)
	o = t.patch("/Users", id, entraOps(`{"op": "Replace", "path": "active", "value": "True"}`))
	if a, ok := boolean(o, "active"); !ok || !a {
		t.errorf(`Replace active "True": active %#v, want the boolean true`, lookup(o, "active"))
	}
	t.patch("/Users", id, entraOps(`{"op": "Replace", "path": "active", "value": "False"}`))
	t.want(t.do(http.MethodDelete, "/Users/"+url.PathEscape(id), nil), http.StatusNoContent)
	t.want(t.do(http.MethodGet, "/Users/"+url.PathEscape(id), nil), http.StatusNotFound)
}

// entraGroup creates a group the way Entra does (ADSCIM schema URI, no members).
func (t *tester) entraGroup(tag string) (id, name string) {
	name = t.name(tag)
	id, o := t.createGroup(fmt.Sprintf(`{
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
    "externalId": %s,
    "displayName": %s,
    "meta": {
        "resourceType": "Group"
    }
}`, jstr(randomGUID()), jstr(name)))
	if got := memberIDs(o); len(got) != 0 {
		t.errorf("a group created without members has members %v", got)
	}
	return id, name
}

// entraMember is one member value as Entra sends it, $ref explicitly null.
func entraMember(id string) string { return `{"$ref": null, "value": ` + jstr(id) + `}` }

func entraGroupsLegacy(t *tester) {
	u1, _ := t.entraUser("gm1")
	u2, _ := t.entraUser("gm2")
	u3, _ := t.entraUser("gm3")
	gid, name := t.entraGroup("egroup")

	r := t.do(http.MethodGet, "/Groups?"+query("excludedAttributes", "members", "filter", `displayName eq "`+name+`"`), nil)
	l := t.checkList(r, t.wantObj(r, http.StatusOK))
	if len(l.items) != 1 || str(l.items[0], "id") != gid {
		t.fatalf("%s; want exactly group %s", r, gid)
	}

	t.patch("/Groups", gid, entraOps(`{"op": "Add", "path": "members", "value": [`+entraMember(u1)+`]}`,
		`{"op": "Add", "path": "members", "value": [`+entraMember(u2)+`]}`))
	g := t.patch("/Groups", gid, entraOps(`{"op": "Add", "path": "members", "value": [`+entraMember(u3)+`]}`))
	t.wantIDs("members after Add ops", memberIDs(g), u1, u2, u3)

	for _, p := range []string{"/Groups/" + url.PathEscape(gid) + "?excludedAttributes=members",
		"/Groups?" + query("excludedAttributes", "members", "filter", `displayName eq "`+name+`"`)} {
		r := t.do(http.MethodGet, p, nil)
		o := t.wantObj(r, http.StatusOK)
		if it := lookup(o, "Resources.0"); it != nil {
			o, _ = it.(map[string]any)
		}
		if _, has := o["members"]; has {
			t.errorf("%s; excludedAttributes=members still returns members", r.req)
		}
	}

	renamed := randomGUID() + "updatedDisplayName"
	g = t.patch("/Groups", gid, entraOps(`{"op": "Replace", "path": "displayName", "value": `+jstr(renamed)+`}`))
	if str(g, "displayName") != renamed {
		t.errorf("Replace displayName: %q", str(g, "displayName"))
	}
	t.wantIDs("members after rename", memberIDs(g), u1, u2, u3)
	t.want(t.do(http.MethodDelete, "/Groups/"+url.PathEscape(gid), nil), http.StatusNoContent)
}

func entraRemoveWithValue(t *tester) {
	u1, _ := t.entraUser("rv1")
	u2, _ := t.entraUser("rv2")
	u3, _ := t.entraUser("rv3")
	gid, _ := t.entraGroup("rvgroup")
	g := t.patch("/Groups", gid, entraOps(`{"op": "Add", "path": "members", "value": [`+
		entraMember(u1)+`,`+entraMember(u2)+`,`+entraMember(u3)+`]}`))
	t.wantIDs("members after Add", memberIDs(g), u1, u2, u3)
	g = t.patch("/Groups", gid, entraOps(`{"op": "Remove", "path": "members", "value": [`+entraMember(u1)+`]}`))
	t.wantIDs("after Remove members with value [u1] (must not remove all)", memberIDs(g), u2, u3)
	// E2's shape: no $ref at all.
	g = t.patch("/Groups", gid, entraOps(`{"op": "Remove", "path": "members", "value": [{"value": `+jstr(u3)+`}]}`))
	t.wantIDs("after Remove members with value [{value:u3}]", memberIDs(g), u2)
}

func entraPatchCompliant(t *tester) {
	id, _ := t.entraUser("flag")
	mail := t.name("Mhvaes") + "@example.net"
	o := t.patch("/Users", id, entraOps(
		`{"op": "replace", "path": "emails[type eq \"work\"].value", "value": `+jstr(mail)+`}`,
		`{"op": "replace", "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }}`))
	if str(o, "displayName") != "Bjfe" || str(o, "name.givenName") != "Kkom" || str(o, "name.familyName") != "Unua" {
		t.errorf("path-less replace with dotted keys: displayName %v name %v", lookup(o, "displayName"), lookup(o, "name"))
	}
	if !strings.EqualFold(str(multiValue(o, "emails", "type", "work"), "value"), mail) {
		t.errorf("replace work email: emails %v", lookup(o, "emails"))
	}
	if t.env.enterprise {
		if v := str(lookup(o, urnEnterprise), "employeeNumber"); v != "Aklq" {
			t.errorf("URN key in a path-less replace: employeeNumber %q, want Aklq", v)
		}
	}
	o = t.patch("/Users", id, entraOps(`{"op": "add", "path": "nickName", "value": "Babs"}`))
	if str(o, "nickName") != "Babs" {
		t.errorf("add nickName: %v", lookup(o, "nickName"))
	}
	o = t.patch("/Users", id, entraOps(`{"op": "replace", "path": "active", "value": false}`))
	if a, ok := boolean(o, "active"); !ok || a {
		t.errorf("replace active false: %#v", lookup(o, "active"))
	}
}

func entraGroupsCompliant(t *tester) {
	u1, _ := t.entraUser("fg1")
	u2, _ := t.entraUser("fg2")
	gid, _ := t.entraGroup("fgroup")
	g := t.patch("/Groups", gid, entraOps(`{"op": "add", "path": "members", "value": [{"value": `+jstr(u1)+`}, {"value": `+jstr(u2)+`}]}`))
	t.wantIDs("members after add", memberIDs(g), u1, u2)
	g = t.patch("/Groups", gid, entraOps(`{"op": "remove", "path": "members[value eq \"`+u1+`\"]"}`))
	t.wantIDs(`after remove members[value eq "u1"]`, memberIDs(g), u2)
}
