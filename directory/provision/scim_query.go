package provision

import (
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/sqldb"
	"github.com/rosterhq/roster/directory/internal/store"
)

// The fields. Strings compare case-insensitively unless said otherwise.
const (
	// FieldID is the resource's id (exact).
	FieldID store.SCIMField = iota + 1
	// FieldExternalID is the IdP's externalId (exact).
	FieldExternalID
	// FieldUserName is a user's userName.
	FieldUserName
	// FieldActive is true unless the membership is suspended (bool).
	FieldActive
	// FieldCreated and FieldModified are when the resource was created
	// and last changed (time.Time).
	FieldCreated
	FieldModified
	// FieldAttr is an attribute the IdP sent that has no column, found
	// at SCIMCond.Path in the stored attributes.
	FieldAttr
	// FieldEmailValue, FieldEmailType, FieldEmailDisplay and
	// FieldEmailPrimary (bool) are the parts of one of a user's emails;
	// they appear under an "any" condition. As a sort key FieldEmailValue
	// orders by the primary address.
	FieldEmailValue
	FieldEmailType
	FieldEmailDisplay
	FieldEmailPrimary
	// FieldGroupName is a group's display name.
	FieldGroupName
	// FieldGroupMember matches groups with the member whose id is the
	// value (eq only).
	FieldGroupMember
)

// attrKind says how a field is compared.
type attrKind int

const (
	kindFolded attrKind = iota // string, compared case-insensitively
	kindExact                  // string, compared exactly
	kindBool
	kindTime
)

// scimColumn is where a field is kept.
type scimColumn struct {
	expr string
	kind attrKind
	// folded says expr already holds a folded value (a *_norm column).
	folded bool
}

// scimUserColumns maps the fields of users kept in columns.
var scimUserFieldColumns = map[store.SCIMField]scimColumn{
	FieldID:         {expr: "m.id", kind: kindExact},
	FieldExternalID: {expr: "m.external_id", kind: kindExact},
	FieldUserName:   {expr: "m.scim_user_name_norm", kind: kindFolded, folded: true},
	FieldActive:     {expr: "(m.status <> 'suspended')", kind: kindBool},
	FieldCreated:    {expr: "m.created_at", kind: kindTime},
	FieldModified:   {expr: "m.updated_at", kind: kindTime},
}

// scimEmailFieldColumns maps the email fields to scim_emails.
var scimEmailFieldColumns = map[store.SCIMField]scimColumn{
	FieldEmailValue:   {expr: "e.value_norm", kind: kindFolded, folded: true},
	FieldEmailType:    {expr: "e.type", kind: kindFolded, folded: true},
	FieldEmailDisplay: {expr: "e.display", kind: kindFolded},
	FieldEmailPrimary: {expr: "e.is_primary", kind: kindBool},
}

// scimGroupFieldColumns maps the fields of groups.
var scimGroupFieldColumns = map[store.SCIMField]scimColumn{
	FieldID:         {expr: "g.id", kind: kindExact},
	FieldExternalID: {expr: "g.external_id", kind: kindExact},
	FieldGroupName:  {expr: "g.name_norm", kind: kindFolded, folded: true},
	FieldCreated:    {expr: "g.created_at", kind: kindTime},
	FieldModified:   {expr: "g.updated_at", kind: kindTime},
}

// sqlBuilder turns SCIM conditions into SQL with ? placeholders. Column
// expressions come from the maps above, attribute paths are checked to be
// plain names, and every value is a bound argument.
type sqlBuilder struct {
	flavor *sqldb.Flavor
	args   []any
}

func (b *sqlBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return "?"
}

// jsonText extracts a string at path from m.scim_attrs. The keys become
// part of the SQL text, so only attribute names and schema URNs pass.
func (b *sqlBuilder) jsonText(path []string) (string, error) {
	if len(path) == 0 {
		return "", store.Invalidf("an attribute condition needs a path")
	}
	for _, k := range path {
		if k == "" || strings.Trim(k, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-$") != "" {
			return "", store.Invalidf("%q is not an attribute name", k)
		}
	}
	return b.flavor.JSONText("m.scim_attrs", path), nil
}

// logical handles and/or/not for any resource; leaf does the rest.
func (b *sqlBuilder) logical(c *store.SCIMCond, leaf func(*store.SCIMCond) (string, error)) (string, error) {
	if c == nil {
		return "", store.Invalidf("empty condition")
	}
	switch c.Op {
	case "and", "or":
		l, err := b.logical(c.Left, leaf)
		if err != nil {
			return "", err
		}
		r, err := b.logical(c.Right, leaf)
		if err != nil {
			return "", err
		}
		return "(" + l + " " + strings.ToUpper(c.Op) + " " + r + ")", nil
	case "not":
		inner, err := b.logical(c.Left, leaf)
		if err != nil {
			return "", err
		}
		// A comparison with an absent attribute is NULL in SQL but false
		// in SCIM, so "not" of it must be true.
		return "NOT COALESCE(" + inner + ", FALSE)", nil
	}
	return leaf(c)
}

// userCond translates a condition on users.
func (b *sqlBuilder) userCond(c *store.SCIMCond) (string, error) {
	return b.logical(c, b.userLeaf)
}

func (b *sqlBuilder) userLeaf(c *store.SCIMCond) (string, error) {
	if c.Op == "any" {
		return b.emailExists(c.Left)
	}
	if c.Field == FieldAttr {
		expr, err := b.jsonText(c.Path)
		if err != nil {
			return "", err
		}
		return b.compare(scimColumn{expr: expr, kind: kindFolded}, c)
	}
	col, ok := scimUserFieldColumns[c.Field]
	if !ok {
		return "", store.Invalidf("users cannot be filtered on field %d", c.Field)
	}
	return b.compare(col, c)
}

// emailExists matches users with one email satisfying c.
func (b *sqlBuilder) emailExists(c *store.SCIMCond) (string, error) {
	cond, err := b.logical(c, func(c *store.SCIMCond) (string, error) {
		col, ok := scimEmailFieldColumns[c.Field]
		if !ok || c.Op == "any" {
			return "", store.Invalidf("an email condition is on email fields only")
		}
		return b.compare(col, c)
	})
	if err != nil {
		return "", err
	}
	return "EXISTS (SELECT 1 FROM scim_emails e WHERE e.membership_id = m.id AND " + cond + ")", nil
}

// groupCond translates a condition on groups.
func (b *sqlBuilder) groupCond(c *store.SCIMCond) (string, error) {
	return b.logical(c, func(c *store.SCIMCond) (string, error) {
		if c.Field == FieldGroupMember {
			v, ok := c.Value.(string)
			if c.Op != "eq" || !ok {
				return "", store.Invalidf("a group member condition is eq with an id")
			}
			return "EXISTS (SELECT 1 FROM team_members x WHERE x.team_id = g.id AND x.membership_id = " + b.arg(v) + ")", nil
		}
		col, ok := scimGroupFieldColumns[c.Field]
		if !ok || c.Op == "any" {
			return "", store.Invalidf("groups cannot be filtered on field %d", c.Field)
		}
		return b.compare(col, c)
	})
}

// compare builds one comparison of a column with a value.
func (b *sqlBuilder) compare(col scimColumn, c *store.SCIMCond) (string, error) {
	expr := col.expr
	if c.Op == "pr" {
		switch col.kind {
		case kindFolded, kindExact:
			return "(" + expr + " IS NOT NULL AND " + expr + " <> '')", nil
		}
		return "(" + expr + " IS NOT NULL)", nil
	}
	switch col.kind {
	case kindBool:
		v, ok := c.Value.(bool)
		if !ok {
			return "", store.Invalidf("field %d is compared with a bool", c.Field)
		}
		switch c.Op {
		case "eq":
			return "(" + expr + " = " + b.arg(v) + ")", nil
		case "ne":
			return "(" + expr + " <> " + b.arg(v) + ")", nil
		}
		return "", store.Invalidf("field %d is a bool: only eq, ne and pr apply", c.Field)
	case kindTime:
		tv, ok := c.Value.(time.Time)
		if !ok {
			return "", store.Invalidf("field %d is compared with a time", c.Field)
		}
		op, ok := map[string]string{"eq": "=", "ne": "<>", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}[c.Op]
		if !ok {
			return "", store.Invalidf("field %d is a time: %s does not apply", c.Field, c.Op)
		}
		return "(" + expr + " " + op + " " + b.arg(tv.UTC()) + ")", nil
	}
	if c.Value == nil {
		// "attr eq null" is "not present" (RFC 7644 3.4.2.2, null values).
		switch c.Op {
		case "eq":
			return "(" + expr + " IS NULL OR " + expr + " = '')", nil
		case "ne":
			return "(" + expr + " IS NOT NULL AND " + expr + " <> '')", nil
		}
		return "", store.Invalidf("null is compared with eq or ne only")
	}
	s, ok := c.Value.(string)
	if !ok {
		return "", store.Invalidf("field %d is compared with a string", c.Field)
	}
	if col.kind == kindFolded {
		s = store.FoldCase(s)
		if !col.folded {
			expr = b.flavor.Fold(expr)
		}
	}
	switch c.Op {
	case "eq":
		return "(" + expr + " = " + b.arg(s) + ")", nil
	case "ne":
		return "(" + expr + " IS NULL OR " + expr + " <> " + b.arg(s) + ")", nil
	case "co":
		return "(" + expr + " LIKE " + b.arg("%"+store.EscapeLike(s)+"%") + ` ESCAPE '\')`, nil
	case "sw":
		return "(" + expr + " LIKE " + b.arg(store.EscapeLike(s)+"%") + ` ESCAPE '\')`, nil
	case "ew":
		return "(" + expr + " LIKE " + b.arg("%"+store.EscapeLike(s)) + ` ESCAPE '\')`, nil
	case "gt":
		return "(" + expr + " > " + b.arg(s) + ")", nil
	case "ge":
		return "(" + expr + " >= " + b.arg(s) + ")", nil
	case "lt":
		return "(" + expr + " < " + b.arg(s) + ")", nil
	case "le":
		return "(" + expr + " <= " + b.arg(s) + ")", nil
	}
	return "", store.Invalidf("unknown operator %q", c.Op)
}

// userOrder is the ORDER BY of a user list: the sort field, then id, so
// the order is total and pages never overlap.
func (b *sqlBuilder) userOrder(s store.SCIMSort) (string, error) {
	dir := " ASC"
	if s.Descending {
		dir = " DESC"
	}
	var expr string
	switch s.Field {
	case 0:
		return "m.id" + dir, nil
	case FieldEmailValue:
		expr = "(SELECT MIN(e.value_norm) FROM scim_emails e WHERE e.membership_id = m.id AND e.is_primary)"
	case FieldAttr:
		text, err := b.jsonText(s.Path)
		if err != nil {
			return "", err
		}
		expr = b.flavor.Fold(text)
	default:
		col, ok := scimUserFieldColumns[s.Field]
		if !ok {
			return "", store.Invalidf("users cannot be sorted on field %d", s.Field)
		}
		expr = col.expr
	}
	return expr + dir + ", m.id" + dir, nil
}

// groupOrder is userOrder for groups.
func groupOrder(s store.SCIMSort) (string, error) {
	dir := " ASC"
	if s.Descending {
		dir = " DESC"
	}
	if s.Field == 0 {
		return "g.id" + dir, nil
	}
	col, ok := scimGroupFieldColumns[s.Field]
	if !ok {
		return "", store.Invalidf("groups cannot be sorted on field %d", s.Field)
	}
	return col.expr + dir + ", g.id" + dir, nil
}
