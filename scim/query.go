package scim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory"
)

// This file is what the SCIM schema means to the directory: which
// attribute is which of the facts it keeps (a list's filter and sort are
// compiled to directory.SCIMCond and directory.SCIMSort), and which
// attributes of a user name the person (userInput's email, name and
// language). The directory receives typed fields and knows no attribute
// names.

// userFields are the User attributes the directory keeps as facts of its
// own, by canonical name.
var userFields = map[string]directory.SCIMField{
	"id":                directory.FieldID,
	"externalId":        directory.FieldExternalID,
	"userName":          directory.FieldUserName,
	"active":            directory.FieldActive,
	"meta.created":      directory.FieldCreated,
	"meta.lastModified": directory.FieldModified,
}

// userAttrPaths are the User attributes lists may filter and sort on that
// the directory keeps only in the stored document: their place in it.
var userAttrPaths = map[string][]string{
	"displayName":                          {"displayName"},
	"nickName":                             {"nickName"},
	"title":                                {"title"},
	"userType":                             {"userType"},
	"locale":                               {"locale"},
	"preferredLanguage":                    {"preferredLanguage"},
	"timezone":                             {"timezone"},
	"profileUrl":                           {"profileUrl"},
	"name.formatted":                       {"name", "formatted"},
	"name.familyName":                      {"name", "familyName"},
	"name.givenName":                       {"name", "givenName"},
	"name.middleName":                      {"name", "middleName"},
	"name.honorificPrefix":                 {"name", "honorificPrefix"},
	"name.honorificSuffix":                 {"name", "honorificSuffix"},
	urnEnterprise + ":employeeNumber":      {urnEnterprise, "employeeNumber"},
	urnEnterprise + ":costCenter":          {urnEnterprise, "costCenter"},
	urnEnterprise + ":organization":        {urnEnterprise, "organization"},
	urnEnterprise + ":division":            {urnEnterprise, "division"},
	urnEnterprise + ":department":          {urnEnterprise, "department"},
	urnEnterprise + ":manager":             {urnEnterprise, "manager", "value"},
	urnEnterprise + ":manager.value":       {urnEnterprise, "manager", "value"},
	urnEnterprise + ":manager.displayName": {urnEnterprise, "manager", "displayName"},
}

// emailFields are the sub-attributes of a user's emails.
var emailFields = map[string]directory.SCIMField{
	"value":   directory.FieldEmailValue,
	"type":    directory.FieldEmailType,
	"display": directory.FieldEmailDisplay,
	"primary": directory.FieldEmailPrimary,
}

// groupFields are the Group attributes lists may filter and sort on
// (members only in filters: see groupLeaf).
var groupFields = map[string]directory.SCIMField{
	"id":                directory.FieldID,
	"externalId":        directory.FieldExternalID,
	"displayName":       directory.FieldGroupName,
	"meta.created":      directory.FieldCreated,
	"meta.lastModified": directory.FieldModified,
}

// compileFilter turns a resolved filter (canonical attribute names) of rt
// into the directory's condition; what the directory cannot evaluate is an
// error, answered with invalidFilter.
func compileFilter(rt *resourceType, f *filter) (*directory.SCIMCond, error) {
	leaf := userLeaf
	if rt == groupType {
		leaf = groupLeaf
	}
	return compileLogical(f, leaf)
}

// compileLogical compiles and/or/not; leaf compiles the rest.
func compileLogical(f *filter, leaf func(*filter) (*directory.SCIMCond, error)) (*directory.SCIMCond, error) {
	if f == nil {
		return nil, fmt.Errorf("empty filter")
	}
	switch f.Op {
	case "and", "or":
		l, err := compileLogical(f.Left, leaf)
		if err != nil {
			return nil, err
		}
		r, err := compileLogical(f.Right, leaf)
		if err != nil {
			return nil, err
		}
		return &directory.SCIMCond{Op: f.Op, Left: l, Right: r}, nil
	case "not":
		inner, err := compileLogical(f.Left, leaf)
		if err != nil {
			return nil, err
		}
		return &directory.SCIMCond{Op: "not", Left: inner}, nil
	}
	return leaf(f)
}

func userLeaf(f *filter) (*directory.SCIMCond, error) {
	attr := f.Attr
	if f.Op == "[]" {
		if attr != "emails" {
			return nil, fmt.Errorf("%s does not support value filters here (only emails does)", attr)
		}
		inner, err := compileLogical(f.Left, emailLeaf)
		if err != nil {
			return nil, err
		}
		return &directory.SCIMCond{Op: "any", Left: inner}, nil
	}
	if attr == "emails" || strings.HasPrefix(attr, "emails.") {
		sub := strings.TrimPrefix(strings.TrimPrefix(attr, "emails"), ".")
		if sub == "" {
			sub = "value"
		}
		inner, err := emailLeaf(&filter{Op: f.Op, Attr: sub, Value: f.Value})
		if err != nil {
			return nil, err
		}
		return &directory.SCIMCond{Op: "any", Left: inner}, nil
	}
	if field, ok := userFields[attr]; ok {
		return comparison(field, nil, f)
	}
	if path, ok := userAttrPaths[attr]; ok {
		return comparison(directory.FieldAttr, path, f)
	}
	return nil, fmt.Errorf("attribute %q cannot be filtered on", attr)
}

func emailLeaf(f *filter) (*directory.SCIMCond, error) {
	if f.Op == "[]" {
		return nil, fmt.Errorf("nested value filters are not supported")
	}
	field, ok := emailFields[strings.TrimPrefix(f.Attr, "emails.")]
	if !ok {
		return nil, fmt.Errorf("emails has no sub-attribute %q", f.Attr)
	}
	return comparison(field, nil, f)
}

func groupLeaf(f *filter) (*directory.SCIMCond, error) {
	if f.Op == "[]" || f.Attr == "members" || strings.HasPrefix(f.Attr, "members.") {
		if f.Op == "[]" {
			f = &filter{Op: f.Left.Op, Attr: "members." + f.Left.Attr, Value: f.Left.Value, Left: f.Left.Left, Right: f.Left.Right}
			if f.Op != "eq" || f.Attr != "members.value" {
				return nil, fmt.Errorf("members supports only value eq")
			}
		}
		if (f.Attr != "members" && f.Attr != "members.value") || f.Op != "eq" {
			return nil, fmt.Errorf("members supports only members.value eq")
		}
		v, ok := f.Value.(string)
		if !ok {
			return nil, fmt.Errorf("members.value is compared with a string")
		}
		return &directory.SCIMCond{Op: "eq", Field: directory.FieldGroupMember, Value: v}, nil
	}
	field, ok := groupFields[f.Attr]
	if !ok {
		return nil, fmt.Errorf("attribute %q cannot be filtered on", f.Attr)
	}
	return comparison(field, nil, f)
}

// comparison is one comparison of a field, its value read as the field's
// type: booleans also from Entra's "True"/"False" strings, dateTimes from
// their text, numbers as the text of a string attribute.
func comparison(field directory.SCIMField, path []string, f *filter) (*directory.SCIMCond, error) {
	c := &directory.SCIMCond{Op: f.Op, Field: field, Path: path}
	if f.Op == "pr" {
		return c, nil
	}
	switch field {
	case directory.FieldActive, directory.FieldEmailPrimary:
		v, ok := boolValue(f.Value)
		if !ok {
			return nil, fmt.Errorf("%s is compared with true or false", f.Attr)
		}
		if f.Op != "eq" && f.Op != "ne" {
			return nil, fmt.Errorf("%s is a boolean: only eq, ne and pr apply", f.Attr)
		}
		c.Value = v
		return c, nil
	case directory.FieldCreated, directory.FieldModified:
		s, ok := f.Value.(string)
		if !ok {
			return nil, fmt.Errorf("%s is compared with a dateTime", f.Attr)
		}
		tv, err := parseSCIMTime(s)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a dateTime", f.Attr, s)
		}
		switch f.Op {
		case "eq", "ne", "gt", "ge", "lt", "le":
		default:
			return nil, fmt.Errorf("%s is a dateTime: %s does not apply", f.Attr, f.Op)
		}
		c.Value = tv
		return c, nil
	}
	switch v := f.Value.(type) {
	case string:
		c.Value = v
	case bool:
		c.Value = strconv.FormatBool(v)
	case float64:
		c.Value = strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		c.Value = strconv.Itoa(v)
	case nil:
		// "attr eq null" is "not present" (RFC 7644 3.4.2.2, null values).
		if f.Op != "eq" && f.Op != "ne" {
			return nil, fmt.Errorf("null is compared with eq or ne only")
		}
	default:
		return nil, fmt.Errorf("unsupported value %v", v)
	}
	return c, nil
}

// parseSCIMTime reads an xsd:dateTime: RFC 3339 with any fraction, with
// or without a zone (UTC assumed).
func parseSCIMTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a dateTime: %q", s)
}

// sortKey is the directory's order for a canonical attribute name; false
// means the directory cannot sort on it, and the list keeps its default
// order, which is stable (RFC 7644 3.4.2.3 lets the provider choose).
func sortKey(rt *resourceType, name string) (directory.SCIMSort, bool) {
	if rt == groupType {
		field, ok := groupFields[name]
		return directory.SCIMSort{Field: field}, ok
	}
	if name == "emails" || name == "emails.value" {
		return directory.SCIMSort{Field: directory.FieldEmailValue}, true
	}
	if field, ok := userFields[name]; ok && field != directory.FieldActive {
		return directory.SCIMSort{Field: field}, true
	}
	if path, ok := userAttrPaths[name]; ok {
		return directory.SCIMSort{Field: directory.FieldAttr, Path: path}, true
	}
	return directory.SCIMSort{}, false
}

// emailsOf reads a user document's emails (those with a value).
func emailsOf(doc map[string]any) []directory.SCIMEmail {
	list, _ := doc["emails"].([]any)
	out := make([]directory.SCIMEmail, 0, len(list))
	for _, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			continue
		}
		var e directory.SCIMEmail
		e.Value, _ = m["value"].(string)
		e.Type, _ = m["type"].(string)
		e.Display, _ = m["display"].(string)
		e.Primary, _ = m["primary"].(bool)
		if strings.TrimSpace(e.Value) != "" {
			out = append(out, e)
		}
	}
	return out
}

// personEmail picks the address that identifies the person: the primary
// email, else the work one, else the first, else a userName that is an
// email address. Values that are not addresses are skipped; "" means the
// SCIM user has none (allowed: they simply cannot be invited yet).
func personEmail(userName string, emails []directory.SCIMEmail) string {
	var cands []string
	for _, e := range emails {
		if e.Primary {
			cands = append(cands, e.Value)
		}
	}
	for _, e := range emails {
		if strings.EqualFold(e.Type, "work") {
			cands = append(cands, e.Value)
		}
	}
	for _, e := range emails {
		cands = append(cands, e.Value)
	}
	cands = append(cands, userName)
	for _, c := range cands {
		if n, err := directory.NormalizeEmail(c); err == nil {
			return n
		}
	}
	return ""
}

// personName is the display name of the person: name.formatted, else
// givenName familyName, else displayName.
func personName(doc map[string]any) string {
	name, _ := doc["name"].(map[string]any)
	if f, _ := name["formatted"].(string); strings.TrimSpace(f) != "" {
		return strings.TrimSpace(f)
	}
	given, _ := name["givenName"].(string)
	family, _ := name["familyName"].(string)
	if n := strings.TrimSpace(strings.TrimSpace(given) + " " + strings.TrimSpace(family)); n != "" {
		return n
	}
	d, _ := doc["displayName"].(string)
	return strings.TrimSpace(d)
}

// personLocale is preferredLanguage, else locale.
func personLocale(doc map[string]any) string {
	for _, k := range []string{"preferredLanguage", "locale"} {
		if s, _ := doc[k].(string); strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}
