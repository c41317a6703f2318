package directory

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
)

// SCIMFilter is a parsed SCIM filter (RFC 7644 3.4.2.2) whose attribute
// names the front door has already resolved to the schema's spelling
// ("userName", "name.givenName", "meta.lastModified",
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber").
type SCIMFilter struct {
	// Op is "and", "or", "not", a comparison (eq ne co sw ew gt ge lt le
	// pr) or "[]" for a value path.
	Op string
	// Left and Right are the operands of and/or; not and value paths use
	// Left (for a value path, a filter on the sub-attributes of Attr).
	Left, Right *SCIMFilter
	// Attr is the attribute of a comparison or a value path.
	Attr string
	// Value is the comparison value: string, bool, float64, int or nil.
	Value any
}

// SCIMFilterError is a filter Roster cannot evaluate: an attribute that is
// not filterable or a value of the wrong type. Front doors answer it with
// SCIM's invalidFilter; it is also ErrInvalid.
type SCIMFilterError struct{ msg string }

func (e *SCIMFilterError) Error() string { return "invalid filter: " + e.msg }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *SCIMFilterError) Unwrap() error { return ErrInvalid }

func filterErrorf(format string, args ...any) error {
	return &SCIMFilterError{msg: fmt.Sprintf(format, args...)}
}

// IsSCIMFilterError reports whether err is a SCIMFilterError.
func IsSCIMFilterError(err error) bool {
	var fe *SCIMFilterError
	return errors.As(err, &fe)
}

func init() {
	// SQLite's lower() folds ASCII only; case-insensitive SCIM attributes
	// kept in JSON are compared with the same folding as Go's foldCase.
	sqlite.MustRegisterDeterministicScalarFunction("roster_fold", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return foldCase(v), nil
		case []byte:
			return foldCase(string(v)), nil
		}
		return args[0], nil
	})
}

// attrKind says how an attribute is compared.
type attrKind int

const (
	kindFolded attrKind = iota // string, caseExact false: folded on both sides
	kindExact                  // string, caseExact true
	kindBool
	kindTime
)

// scimColumn is a filterable attribute stored in a column (or computed).
type scimColumn struct {
	expr string
	kind attrKind
	// folded says expr already holds a folded value (a *_norm column).
	folded bool
}

// userColumns maps the User attributes kept in columns.
var scimUserColumnAttrs = map[string]scimColumn{
	"id":                {expr: "m.id", kind: kindExact},
	"externalId":        {expr: "m.external_id", kind: kindExact},
	"userName":          {expr: "m.scim_user_name_norm", kind: kindFolded, folded: true},
	"active":            {expr: "(m.status <> 'suspended')", kind: kindBool},
	"meta.created":      {expr: "m.created_at", kind: kindTime},
	"meta.lastModified": {expr: "m.updated_at", kind: kindTime},
}

// scimUserJSONAttrs maps the User attributes kept in scim_attrs to their
// JSON path (object keys).
var scimUserJSONAttrs = map[string][]string{
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
	EnterpriseURN + ":employeeNumber":      {EnterpriseURN, "employeeNumber"},
	EnterpriseURN + ":costCenter":          {EnterpriseURN, "costCenter"},
	EnterpriseURN + ":organization":        {EnterpriseURN, "organization"},
	EnterpriseURN + ":division":            {EnterpriseURN, "division"},
	EnterpriseURN + ":department":          {EnterpriseURN, "department"},
	EnterpriseURN + ":manager":             {EnterpriseURN, "manager", "value"},
	EnterpriseURN + ":manager.value":       {EnterpriseURN, "manager", "value"},
	EnterpriseURN + ":manager.displayName": {EnterpriseURN, "manager", "displayName"},
}

// EnterpriseURN is the schema of the enterprise User extension; its
// attributes are stored under this key of scim_attrs.
const EnterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// scimEmailColumns maps the sub-attributes of emails to scim_emails.
var scimEmailColumns = map[string]scimColumn{
	"value":   {expr: "e.value_norm", kind: kindFolded, folded: true},
	"type":    {expr: "e.type", kind: kindFolded, folded: true},
	"display": {expr: "e.display", kind: kindFolded},
	"primary": {expr: "e.is_primary", kind: kindBool},
}

// scimGroupColumnAttrs maps the Group attributes.
var scimGroupColumnAttrs = map[string]scimColumn{
	"id":                {expr: "g.id", kind: kindExact},
	"externalId":        {expr: "g.external_id", kind: kindExact},
	"displayName":       {expr: "g.name_norm", kind: kindFolded, folded: true},
	"meta.created":      {expr: "g.created_at", kind: kindTime},
	"meta.lastModified": {expr: "g.updated_at", kind: kindTime},
}

// sqlBuilder turns SCIM filters into SQL with ? placeholders. Attribute
// names come from allow-lists, never from the request, and every value is
// a bound argument.
type sqlBuilder struct {
	dialect Dialect
	args    []any
}

func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "?"
}

// fold is the SQL folding of a string expression for case-insensitive
// comparisons.
func (b *sqlBuilder) fold(expr string) string {
	if b.dialect == SQLite {
		return "roster_fold(" + expr + ")"
	}
	return "lower(" + expr + ")"
}

// jsonText extracts a string at path from m.scim_attrs.
func (b *sqlBuilder) jsonText(path []string) string {
	if b.dialect == SQLite {
		var p strings.Builder
		p.WriteString("$")
		for _, k := range path {
			p.WriteString(`."` + k + `"`)
		}
		return "json_extract(m.scim_attrs, '" + p.String() + "')"
	}
	return "(m.scim_attrs::jsonb #>> '{" + `"` + strings.Join(path, `","`) + `"` + "}')"
}

// logical handles and/or/not for any resource; leaf does the rest.
func (b *sqlBuilder) logical(f *SCIMFilter, leaf func(*SCIMFilter) (string, error)) (string, error) {
	if f == nil {
		return "", filterErrorf("empty filter")
	}
	switch f.Op {
	case "and", "or":
		l, err := b.logical(f.Left, leaf)
		if err != nil {
			return "", err
		}
		r, err := b.logical(f.Right, leaf)
		if err != nil {
			return "", err
		}
		return "(" + l + " " + strings.ToUpper(f.Op) + " " + r + ")", nil
	case "not":
		inner, err := b.logical(f.Left, leaf)
		if err != nil {
			return "", err
		}
		// A comparison with an absent attribute is NULL in SQL but false
		// in SCIM, so "not" of it must be true.
		return "NOT COALESCE(" + inner + ", FALSE)", nil
	}
	return leaf(f)
}

// userFilter translates a filter on Users.
func (b *sqlBuilder) userFilter(f *SCIMFilter) (string, error) {
	return b.logical(f, b.userLeaf)
}

func (b *sqlBuilder) userLeaf(f *SCIMFilter) (string, error) {
	attr := f.Attr
	if f.Op == "[]" {
		if attr != "emails" {
			return "", filterErrorf("%s does not support value filters here (only emails does)", attr)
		}
		return b.emailExists(f.Left)
	}
	if attr == "emails" || strings.HasPrefix(attr, "emails.") {
		sub := strings.TrimPrefix(strings.TrimPrefix(attr, "emails"), ".")
		if sub == "" {
			sub = "value"
		}
		return b.emailExists(&SCIMFilter{Op: f.Op, Attr: sub, Value: f.Value})
	}
	if c, ok := scimUserColumnAttrs[attr]; ok {
		return b.compare(c, f)
	}
	if path, ok := scimUserJSONAttrs[attr]; ok {
		return b.compare(scimColumn{expr: b.jsonText(path), kind: kindFolded}, f)
	}
	return "", filterErrorf("attribute %q cannot be filtered on", attr)
}

// emailExists matches users with one element of emails satisfying f,
// whose attributes are the sub-attributes of emails.
func (b *sqlBuilder) emailExists(f *SCIMFilter) (string, error) {
	cond, err := b.logical(f, func(f *SCIMFilter) (string, error) {
		if f.Op == "[]" {
			return "", filterErrorf("nested value filters are not supported")
		}
		c, ok := scimEmailColumns[strings.TrimPrefix(f.Attr, "emails.")]
		if !ok {
			return "", filterErrorf("emails has no sub-attribute %q", f.Attr)
		}
		return b.compare(c, f)
	})
	if err != nil {
		return "", err
	}
	return "EXISTS (SELECT 1 FROM scim_emails e WHERE e.membership_id = m.id AND " + cond + ")", nil
}

// groupFilter translates a filter on Groups.
func (b *sqlBuilder) groupFilter(f *SCIMFilter) (string, error) {
	return b.logical(f, func(f *SCIMFilter) (string, error) {
		if f.Op == "[]" || f.Attr == "members" || strings.HasPrefix(f.Attr, "members.") {
			if f.Op == "[]" {
				f = &SCIMFilter{Op: f.Left.Op, Attr: "members." + f.Left.Attr, Value: f.Left.Value, Left: f.Left.Left, Right: f.Left.Right}
				if f.Op != "eq" || f.Attr != "members.value" {
					return "", filterErrorf("members supports only value eq")
				}
			}
			if (f.Attr != "members" && f.Attr != "members.value") || f.Op != "eq" {
				return "", filterErrorf("members supports only members.value eq")
			}
			v, ok := f.Value.(string)
			if !ok {
				return "", filterErrorf("members.value is compared with a string")
			}
			return "EXISTS (SELECT 1 FROM team_members x WHERE x.team_id = g.id AND x.membership_id = " + b.arg(v) + ")", nil
		}
		c, ok := scimGroupColumnAttrs[f.Attr]
		if !ok {
			return "", filterErrorf("attribute %q cannot be filtered on", f.Attr)
		}
		return b.compare(c, f)
	})
}

// compare builds one comparison of an attribute with a value.
func (b *sqlBuilder) compare(c scimColumn, f *SCIMFilter) (string, error) {
	expr := c.expr
	if f.Op == "pr" {
		switch c.kind {
		case kindFolded, kindExact:
			return "(" + expr + " IS NOT NULL AND " + expr + " <> '')", nil
		}
		return "(" + expr + " IS NOT NULL)", nil
	}
	switch c.kind {
	case kindBool:
		v, ok := filterBool(f.Value)
		if !ok {
			return "", filterErrorf("%s is compared with true or false", f.Attr)
		}
		switch f.Op {
		case "eq":
			return "(" + expr + " = " + b.arg(v) + ")", nil
		case "ne":
			return "(" + expr + " <> " + b.arg(v) + ")", nil
		}
		return "", filterErrorf("%s is a boolean: only eq, ne and pr apply", f.Attr)
	case kindTime:
		s, ok := f.Value.(string)
		if !ok {
			return "", filterErrorf("%s is compared with a dateTime", f.Attr)
		}
		tv, err := parseSCIMTime(s)
		if err != nil {
			return "", filterErrorf("%s: %q is not a dateTime", f.Attr, s)
		}
		op, ok := map[string]string{"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}[f.Op]
		if !ok {
			return "", filterErrorf("%s is a dateTime: %s does not apply", f.Attr, f.Op)
		}
		return "(" + expr + " " + op + " " + b.arg(tv) + ")", nil
	}
	var s string
	switch v := f.Value.(type) {
	case string:
		s = v
	case bool:
		s = strconv.FormatBool(v)
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case int:
		s = strconv.Itoa(v)
	case nil:
		// "attr eq null" is "not present" (RFC 7644 3.4.2.2, null values).
		switch f.Op {
		case "eq":
			return "(" + expr + " IS NULL OR " + expr + " = '')", nil
		case "ne":
			return "(" + expr + " IS NOT NULL AND " + expr + " <> '')", nil
		}
		return "", filterErrorf("null is compared with eq or ne only")
	default:
		return "", filterErrorf("unsupported value %v", v)
	}
	if c.kind == kindFolded {
		s = foldCase(s)
		if !c.folded {
			expr = b.fold(expr)
		}
	}
	switch f.Op {
	case "eq":
		return "(" + expr + " = " + b.arg(s) + ")", nil
	case "ne":
		return "(" + expr + " IS NULL OR " + expr + " <> " + b.arg(s) + ")", nil
	case "co":
		return "(" + expr + " LIKE " + b.arg("%"+escapeLike(s)+"%") + ` ESCAPE '\')`, nil
	case "sw":
		return "(" + expr + " LIKE " + b.arg(escapeLike(s)+"%") + ` ESCAPE '\')`, nil
	case "ew":
		return "(" + expr + " LIKE " + b.arg("%"+escapeLike(s)) + ` ESCAPE '\')`, nil
	case "gt":
		return "(" + expr + " > " + b.arg(s) + ")", nil
	case "ge":
		return "(" + expr + " >= " + b.arg(s) + ")", nil
	case "lt":
		return "(" + expr + " < " + b.arg(s) + ")", nil
	case "le":
		return "(" + expr + " <= " + b.arg(s) + ")", nil
	}
	return "", filterErrorf("unknown operator %q", f.Op)
}

// filterBool accepts JSON booleans and, as Entra sends them, the strings
// "true"/"false" in any case.
func filterBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(strings.ToLower(x))
		return b, err == nil
	}
	return false, false
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

// userOrder is the ORDER BY of a user list: sortBy (then id, so the order
// is total and pages never overlap) or creation order.
func (b *sqlBuilder) userOrder(sortBy string, desc bool) (string, error) {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	if sortBy == "" {
		return "m.id" + dir, nil
	}
	var expr string
	switch {
	case sortBy == "emails" || sortBy == "emails.value":
		expr = "(SELECT MIN(e.value_norm) FROM scim_emails e WHERE e.membership_id = m.id AND e.is_primary)"
	case scimUserColumnAttrs[sortBy].expr != "":
		expr = scimUserColumnAttrs[sortBy].expr
	case scimUserJSONAttrs[sortBy] != nil:
		expr = b.fold(b.jsonText(scimUserJSONAttrs[sortBy]))
	default:
		return "", filterErrorf("cannot sort by %q", sortBy)
	}
	return expr + dir + ", m.id" + dir, nil
}

// groupOrder is userOrder for groups.
func groupOrder(sortBy string, desc bool) (string, error) {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	if sortBy == "" {
		return "g.id" + dir, nil
	}
	c, ok := scimGroupColumnAttrs[sortBy]
	if !ok {
		return "", filterErrorf("cannot sort by %q", sortBy)
	}
	return c.expr + dir + ", g.id" + dir, nil
}
