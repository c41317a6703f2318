package scim

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// show prints a filter compactly for comparisons.
func show(f *filter) string {
	if f == nil {
		return "<nil>"
	}
	switch f.Op {
	case "and", "or":
		return "(" + show(f.Left) + " " + f.Op + " " + show(f.Right) + ")"
	case "not":
		return "not(" + show(f.Left) + ")"
	case "[]":
		return f.Attr + "[" + show(f.Left) + "]"
	case "pr":
		return f.Attr + " pr"
	}
	return fmt.Sprintf("%s %s %#v", f.Attr, f.Op, f.Value)
}

func TestParseAndResolveFilters(t *testing.T) {
	tests := []struct{ in, want string }{
		{`userName eq "a@b.example"`, `userName eq "a@b.example"`},
		{`USERNAME EQ "x"`, `userName eq "x"`},
		{`DisplayName eq "BobIsAmazing"`, `displayName eq "BobIsAmazing"`},
		{`externalId eq jyoung`, `externalId eq "jyoung"`},
		{`userName sw O`, `userName sw "O"`},
		{`meta.Created gt 2015-10-10T14:38:21.8617979-07:00`, `meta.created gt "2015-10-10T14:38:21.8617979-07:00"`},
		{`name.FamilyName eq Employee and (emails.Value co example.com or emails.Value co example.org)`,
			`(name.familyName eq "Employee" and (emails.value co "example.com" or emails.value co "example.org"))`},
		{`emails[type eq "work"].value eq "x@y.example"`, `emails[(type eq "work" and value eq "x@y.example")]`},
		{`emails[type eq "work" and value co "@y"]`, `emails[(type eq "work" and value co "@y")]`},
		{`a eq "1" or b eq "2" and c pr`, ""}, // unknown attributes
		{`title pr and not (userName eq "x")`, `(title pr and not(userName eq "x"))`},
		{`userName eq "a" or userName eq "b" and title pr`, `(userName eq "a" or (userName eq "b" and title pr))`},
		{`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "7"`},
		{`employeeNumber eq 7`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq 7`},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`, `userName eq "x"`},
		{`id eq "u1" and manager eq "m1"`, `(id eq "u1" and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "m1")`},
		{`active eq True`, `active eq true`},
		{`userName eq "quote \" inside"`, `userName eq "quote \" inside"`},
		{`password eq "x"`, ""},
		{`userName eq`, ""},
		{`userName zz "x"`, ""},
		{`(userName eq "x"`, ""},
		{`userName eq "x" and`, ""},
		{`emails[type eq "work"`, ""},
		{`emails[nosuch eq "x"]`, ""},
	}
	for _, tc := range tests {
		f, err := parseFilter(tc.in)
		if err == nil {
			f, err = resolveFilter(userType, f)
		}
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("%s: accepted as %s, want an error", tc.in, show(f))
		case tc.want != "" && err != nil:
			t.Errorf("%s: %v", tc.in, err)
		case tc.want != "" && show(f) != tc.want:
			t.Errorf("%s:\n got %s\nwant %s", tc.in, show(f), tc.want)
		}
	}
}

// patchUser applies a PATCH body to a user document the way the handler
// does, for profile q.
func patchUser(t *testing.T, doc map[string]any, body string, q quirks) (map[string]any, error) {
	t.Helper()
	var raw struct{ Operations []map[string]any }
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	var ops []rawOp
	for _, o := range raw.Operations {
		r := rawOp{}
		r.Op, _ = o["op"].(string)
		r.Path, _ = o["path"].(string)
		r.Value, r.hasValue = o["value"]
		ops = append(ops, r)
	}
	norm, err := normalizePatch(userType, ops, "u1", q)
	if err != nil {
		return nil, err
	}
	return doc, applyPatch(doc, norm)
}

func baseDoc() map[string]any {
	return map[string]any{
		"userName": "a@x.example", "active": true, "title": "T",
		"name":   map[string]any{"givenName": "Ann", "familyName": "Lee"},
		"emails": []any{map[string]any{"value": "a@x.example", "type": "work", "primary": true}, map[string]any{"value": "a@home.example", "type": "home"}},
	}
}

func TestNormalizePatchShapes(t *testing.T) {
	tests := []struct {
		name, body string
		q          quirks
		check      func(map[string]any) string // "" when right
		wantErr    string
	}{
		{"capitalised ops and a filtered email path (Entra)", `{"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"new@x.example"},{"op":"Add","path":"nickName","value":"Babs"}]}`, entraQuirks,
			func(d map[string]any) string {
				e := d["emails"].([]any)
				if e[0].(map[string]any)["value"] != "new@x.example" || e[1].(map[string]any)["value"] != "a@home.example" || d["nickName"] != "Babs" {
					return fmt.Sprint(d)
				}
				return ""
			}, ""},
		{"\"False\" for active (Entra)", `{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, entraQuirks,
			func(d map[string]any) string { return ifNot(d["active"] == false, d) }, ""},
		{"\"False\" refused by the generic profile", `{"Operations":[{"op":"replace","path":"active","value":"False"}]}`, genericQuirks, nil, "not a valid boolean"},
		{"path-less replace with dotted and URN keys (Entra aadOptscim062020)", `{"Operations":[{"op":"replace","value":{"displayName":"D","name.givenName":"G","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42"}}]}`, autoQuirks,
			func(d map[string]any) string {
				ext, _ := d[urnEnterprise].(map[string]any)
				name := d["name"].(map[string]any)
				return ifNot(d["displayName"] == "D" && name["givenName"] == "G" && name["familyName"] == "Lee" && ext["employeeNumber"] == "42", d)
			}, ""},
		{"path-less replace with the resource's own id (Okta)", `{"Operations":[{"op":"replace","value":{"id":"u1","active":false}}]}`, oktaQuirks,
			func(d map[string]any) string { return ifNot(d["active"] == false, d) }, ""},
		{"another id in a path-less value", `{"Operations":[{"op":"replace","value":{"id":"u2","title":"x"}}]}`, oktaQuirks, nil, "read-only"},
		{"manager as an array of {$ref, value} at path manager (Entra)", `{"Operations":[{"op":"Add","path":"manager","value":[{"$ref":"http://x/Users/m1","value":"m1"}]}]}`, entraQuirks,
			func(d map[string]any) string {
				m, _ := d[urnEnterprise].(map[string]any)["manager"].(map[string]any)
				return ifNot(m["value"] == "m1", d)
			}, ""},
		{"manager as a bare id (Entra)", `{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m2"}]}`, entraQuirks,
			func(d map[string]any) string {
				m, _ := d[urnEnterprise].(map[string]any)["manager"].(map[string]any)
				return ifNot(m["value"] == "m2", d)
			}, ""},
		{"remove-with-value on a multi-valued attribute removes only those", `{"Operations":[{"op":"Remove","path":"emails","value":[{"value":"a@home.example"}]}]}`, entraQuirks,
			func(d map[string]any) string { return ifNot(len(d["emails"].([]any)) == 1, d) }, ""},
		{"remove with a value filter", `{"Operations":[{"op":"remove","path":"emails[type eq \"home\"]"}]}`, genericQuirks,
			func(d map[string]any) string { return ifNot(len(d["emails"].([]any)) == 1, d) }, ""},
		{"replace name keeps the other sub-attributes", `{"Operations":[{"op":"replace","path":"name","value":{"givenName":"Bo"}}]}`, genericQuirks,
			func(d map[string]any) string {
				n := d["name"].(map[string]any)
				return ifNot(n["givenName"] == "Bo" && n["familyName"] == "Lee", d)
			}, ""},
		{"add to emails appends; a new primary demotes the old", `{"Operations":[{"op":"add","path":"emails","value":[{"value":"b@x.example","type":"other","primary":true}]}]}`, genericQuirks,
			func(d map[string]any) string {
				e := d["emails"].([]any)
				return ifNot(len(e) == 3 && e[0].(map[string]any)["primary"] == false, d)
			}, ""},
		{"replace a filtered value that does not exist yet creates it (Entra)", `{"Operations":[{"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555"}]}`, entraQuirks,
			func(d map[string]any) string {
				p := d["phoneNumbers"].([]any)[0].(map[string]any)
				return ifNot(p["type"] == "mobile" && p["value"] == "+1 555", d)
			}, ""},
		{"replace a filtered value that does not exist is noTarget (RFC 7644 3.5.2.3)", `{"Operations":[{"op":"replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555"}]}`, genericQuirks, nil, "matches the filter"},
		{"add to a filtered value that does not exist creates it", `{"Operations":[{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555"}]}`, genericQuirks,
			func(d map[string]any) string {
				p := d["phoneNumbers"].([]any)[0].(map[string]any)
				return ifNot(p["type"] == "mobile" && p["value"] == "+1 555", d)
			}, ""},
		{"explicit null replace unassigns", `{"Operations":[{"op":"replace","path":"title","value":null}]}`, genericQuirks,
			func(d map[string]any) string { return ifNot(d["title"] == nil, d) }, ""},
		{"meta, schemas and unknown keys in a path-less value are ignored", `{"Operations":[{"op":"replace","value":{"meta":{"resourceType":"User"},"schemas":["x"],"hobby":"golf","groups":[],"title":"New"}}]}`, genericQuirks,
			func(d map[string]any) string { return ifNot(d["title"] == "New" && d["meta"] == nil, d) }, ""},
		{"add of null changes nothing", `{"Operations":[{"op":"add","path":"nickName","value":null}]}`, genericQuirks,
			func(d map[string]any) string { return ifNot(d["nickName"] == nil && d["title"] == "T", d) }, ""},
		{"remove without a path", `{"Operations":[{"op":"remove"}]}`, genericQuirks, nil, "needs a path"},
		{"read-only attribute", `{"Operations":[{"op":"add","path":"groups","value":[{"value":"g"}]}]}`, genericQuirks, nil, "read-only"},
		{"unknown op", `{"Operations":[{"op":"merge","path":"title","value":"x"}]}`, genericQuirks, nil, "unknown op"},
		{"unknown path", `{"Operations":[{"op":"add","path":"hobbies","value":"x"}]}`, genericQuirks, nil, "unknown attribute"},
	}
	for _, tc := range tests {
		doc, err := patchUser(t, baseDoc(), tc.body, tc.q)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.name, err)
		default:
			if msg := tc.check(doc); msg != "" {
				t.Errorf("%s: got %s", tc.name, msg)
			}
		}
	}
}

func ifNot(ok bool, v any) string {
	if ok {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestDecodeResourceTolerance(t *testing.T) {
	body := map[string]any{}
	json.Unmarshal([]byte(`{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
		"UserName": "u@x.example", "active": "True", "password": "secret", "groups": [], "id": "client-id",
		"meta": {"resourceType": "User"}, "addresses": null, "title": null, "adreses": [{"country": "X"}],
		"emails": [{"Primary": true, "Type": "work", "value": "u@x.example"}],
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0User": {"Department": "R&D", "manager": "m1"}
	}`), &body)
	doc, err := decodeResource(userType, body, entraQuirks)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(doc)
	want := `{"active":true,"emails":[{"primary":true,"type":"work","value":"u@x.example"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R\u0026D","manager":{"value":"m1"}},"userName":"u@x.example"}`
	if string(got) != want {
		t.Errorf("decoded:\n got %s\nwant %s", got, want)
	}
	if _, err := decodeResource(userType, map[string]any{"userName": "x", "active": "True"}, genericQuirks); err == nil {
		t.Errorf("generic profile accepted a string boolean")
	}
}

func TestProjection(t *testing.T) {
	q := func(k, v string) map[string][]string { return map[string][]string{k: {v}} }
	if parseProjection(groupType, q("excludedAttributes", "members")).wants("members") {
		t.Errorf("excludedAttributes=members still loads members")
	}
	if !parseProjection(groupType, nil).wants("members") || parseProjection(groupType, q("attributes", "displayName")).wants("members") {
		t.Errorf("members are loaded by default and only then")
	}
	doc := baseDoc()
	doc["id"], doc["schemas"] = "u1", []string{urnUser}
	out := parseProjection(userType, q("attributes", `userName,emails[type eq "work"],name.givenName`)).apply(doc)
	b, _ := json.Marshal(out)
	if string(b) != `{"emails":[{"primary":true,"type":"work","value":"a@x.example"}],"id":"u1","name":{"givenName":"Ann"},"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@x.example"}` {
		t.Errorf("attributes projection: %s", b)
	}
	out = parseProjection(userType, q("excludedAttributes", "emails,id,name.familyName")).apply(baseDocWithID())
	if out["emails"] != nil || out["id"] != "u1" || out["name"].(map[string]any)["familyName"] != nil || out["title"] != "T" {
		t.Errorf("excludedAttributes projection: %v", out)
	}
}

func baseDocWithID() map[string]any {
	d := baseDoc()
	d["id"] = "u1"
	return d
}

// showCond prints a compiled condition compactly for comparisons.
func showCond(c *directory.SCIMCond) string {
	switch c.Op {
	case "and", "or":
		return "(" + showCond(c.Left) + " " + c.Op + " " + showCond(c.Right) + ")"
	case "not", "any":
		return c.Op + "(" + showCond(c.Left) + ")"
	}
	s := fmt.Sprintf("field%d", c.Field)
	if c.Field == directory.FieldAttr {
		s = strings.Join(c.Path, "/")
	}
	if c.Op == "pr" {
		return s + " pr"
	}
	if tv, ok := c.Value.(time.Time); ok {
		return fmt.Sprintf("%s %s %s", s, c.Op, tv.Format(time.RFC3339))
	}
	return fmt.Sprintf("%s %s %#v", s, c.Op, c.Value)
}

// TestCompileFilters: what each attribute means to the directory, the
// values read as the field's type (Entra's boolean strings included),
// and what the directory cannot evaluate refused as invalidFilter.
func TestCompileFilters(t *testing.T) {
	f := func(n directory.SCIMField) string { return fmt.Sprintf("field%d", n) }
	tests := []struct {
		rt       *resourceType
		in, want string
	}{
		{userType, `userName eq "A@b.example"`, f(directory.FieldUserName) + ` eq "A@b.example"`},
		{userType, `active eq "False"`, f(directory.FieldActive) + ` eq false`},
		{userType, `active ne true`, f(directory.FieldActive) + ` ne true`},
		{userType, `meta.created gt 2015-10-10T14:38:21-07:00`, f(directory.FieldCreated) + ` gt 2015-10-10T21:38:21Z`},
		{userType, `title eq 42`, `title eq "42"`},
		{userType, `title eq null`, `title eq <nil>`},
		{userType, `name.givenName pr`, `name/givenName pr`},
		{userType, `manager eq "boss"`, urnEnterprise + `/manager/value eq "boss"`},
		{userType, `emails co "@x."`, `any(` + f(directory.FieldEmailValue) + ` co "@x.")`},
		{userType, `emails[type eq "work" and primary eq "true"]`, `any((` + f(directory.FieldEmailType) + ` eq "work" and ` + f(directory.FieldEmailPrimary) + ` eq true))`},
		{userType, `not (externalId eq "e" or id eq "i")`, `not((` + f(directory.FieldExternalID) + ` eq "e" or ` + f(directory.FieldID) + ` eq "i"))`},
		{groupType, `displayName eq "Team"`, f(directory.FieldGroupName) + ` eq "Team"`},
		{groupType, `members[value eq "u1"]`, f(directory.FieldGroupMember) + ` eq "u1"`},
		{groupType, `members.value eq "u1"`, f(directory.FieldGroupMember) + ` eq "u1"`},
	}
	for _, tc := range tests {
		parsed, err := parseFilter(tc.in)
		if err == nil {
			parsed, err = resolveFilter(tc.rt, parsed)
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		c, err := compileFilter(tc.rt, parsed)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got := showCond(c); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{
		`password eq "x"`, `phoneNumbers.value eq "1"`, `active co true`, `active eq "maybe"`,
		`meta.created gt "yesterday"`, `meta.created co "2020"`, `title co null`,
		`groups.value eq "g"`, `addresses[type eq "work"]`, `emails[type eq "work"].value eq "x"` + ` and emails[value[x eq "y"]]`,
	} {
		q := url.Values{"filter": {in}}
		if _, err := listQuery(userType, q); err == nil || errorFor(err).scimType != "invalidFilter" {
			t.Errorf("%s: err = %v, want invalidFilter", in, err)
		}
	}
	if _, err := listQuery(groupType, url.Values{"filter": {`members.display eq "x"`}}); err == nil || errorFor(err).scimType != "invalidFilter" {
		t.Errorf("members.display: err = %v, want invalidFilter", err)
	}
}
