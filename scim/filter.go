package scim

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/rosterhq/roster/directory"
)

// This file parses SCIM filters (RFC 7644 3.4.2.2) and PATCH paths
// (3.5.2) with one tolerant grammar. It replaces scim2/filter-parser,
// which elimity-com/scim uses, because that parser refuses three things
// real clients send: unquoted values (Entra's `externalId eq jyoung`,
// Microsoft's `userName sw O` and `meta.Created gt 2015-10-10T14:38:21-07:00`),
// a value path followed by a sub-attribute comparison
// (`emails[type eq "work"].value eq "x"`, which its AST cannot even
// represent), and nothing else needs it. The result is a filter whose
// attributes are still as the client wrote them; resolveFilter then checks
// them against the schema, and compileFilter (query.go) turns a list's
// filter into the directory's condition over the fields it keeps.

// filter is a parsed SCIM filter.
type filter struct {
	// Op is "and", "or", "not", a comparison (eq ne co sw ew gt ge lt le
	// pr) or "[]" for a value path.
	Op string
	// Left and Right are the operands of and/or; not and value paths use
	// Left (for a value path, a filter on the sub-attributes of Attr).
	Left, Right *filter
	// Attr is the attribute of a comparison or a value path.
	Attr string
	// Value is the comparison value: string, bool, float64, int or nil.
	Value any
}

// attrPath is an attribute reference as written: optional schema URN,
// attribute name, optional sub-attribute.
type attrPath struct {
	urn, name, sub string
}

func (p attrPath) String() string {
	s := p.name
	if p.sub != "" {
		s += "." + p.sub
	}
	if p.urn != "" {
		s = p.urn + ":" + s
	}
	return s
}

// splitAttrPath splits "urn:…:User:manager.value", "name.givenName" or
// "userName" into an attrPath.
func splitAttrPath(s string) (attrPath, error) {
	var p attrPath
	if strings.HasPrefix(strings.ToLower(s), "urn:") {
		i := strings.LastIndexByte(s, ':')
		p.urn, s = s[:i], s[i+1:]
	}
	name, sub, _ := strings.Cut(s, ".")
	if !validAttrName(name) || (sub != "" && !validAttrName(sub)) || strings.Contains(sub, ".") {
		return p, fmt.Errorf("%q is not an attribute path", s)
	}
	p.name, p.sub = name, sub
	return p, nil
}

// validAttrName follows RFC 7643 2.1 (ALPHA *(nameChar)) plus "$ref".
func validAttrName(s string) bool {
	if s == "$ref" {
		return true
	}
	if s == "" || !isAlpha(rune(s[0])) {
		return false
	}
	for _, r := range s {
		if !isAlpha(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

func isAlpha(r rune) bool { return r < 128 && unicode.IsLetter(r) }

// Limits of a filter (and of a PATCH path's value filter), so that no
// filter costs more than an IdP's lookups need (they send one or two
// comparisons): 3,000 or-terms took 2.3 s to answer and not nested 2,000
// deep 1.1 s before these. Beyond them a filter is 400 invalidFilter.
const (
	// maxFilterLength is in bytes.
	maxFilterLength = 32 << 10
	// maxFilterTerms counts comparisons (attribute operator value, pr).
	maxFilterTerms = 200
	// maxFilterDepth counts nested parentheses, not (…) and value
	// filters [ ].
	maxFilterDepth = 20
)

// filterParser is a recursive-descent parser over the raw filter text.
type filterParser struct {
	s   string
	pos int
	// terms and depth count against maxFilterTerms and maxFilterDepth.
	terms, depth int
}

// nest enters a nested expression; the caller calls unnest when it ends.
func (p *filterParser) nest() error {
	p.depth++
	if p.depth > maxFilterDepth {
		return fmt.Errorf("the filter nests parentheses, not and value filters more than %d deep", maxFilterDepth)
	}
	return nil
}

func (p *filterParser) unnest() { p.depth-- }

// parseFilter parses a whole filter expression.
func parseFilter(s string) (*filter, error) {
	if len(s) > maxFilterLength {
		return nil, fmt.Errorf("the filter is longer than %d characters", maxFilterLength)
	}
	if err := directory.CheckText("the filter", s, 0); err != nil {
		return nil, errors.New(fieldDetail(err))
	}
	p := &filterParser{s: s}
	f, err := p.or()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos < len(p.s) {
		return nil, fmt.Errorf("unexpected %q at position %d", p.rest(10), p.pos+1)
	}
	return f, nil
}

func (p *filterParser) rest(n int) string {
	r := p.s[p.pos:]
	if len(r) > n {
		r = r[:n] + "…"
	}
	return r
}

func (p *filterParser) space() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t' || p.s[p.pos] == '\n' || p.s[p.pos] == '\r') {
		p.pos++
	}
}

// keyword consumes word (case-insensitively) if it is next and followed by
// a delimiter.
func (p *filterParser) keyword(word string) bool {
	p.space()
	end := p.pos + len(word)
	if end > len(p.s) || !strings.EqualFold(p.s[p.pos:end], word) {
		return false
	}
	if end < len(p.s) && !strings.ContainsRune(" \t\r\n()[]\"", rune(p.s[end])) {
		return false
	}
	p.pos = end
	return true
}

func (p *filterParser) char(c byte) bool {
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

func (p *filterParser) or() (*filter, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.keyword("or") {
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = &filter{Op: "or", Left: left, Right: right}
	}
	return left, nil
}

func (p *filterParser) and() (*filter, error) {
	left, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.keyword("and") {
		right, err := p.unary()
		if err != nil {
			return nil, err
		}
		left = &filter{Op: "and", Left: left, Right: right}
	}
	return left, nil
}

func (p *filterParser) unary() (*filter, error) {
	if p.keyword("not") {
		if !p.char('(') {
			return nil, fmt.Errorf("not must be followed by a parenthesised filter")
		}
		if err := p.nest(); err != nil {
			return nil, err
		}
		defer p.unnest()
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.char(')') {
			return nil, fmt.Errorf("missing ) after not (…")
		}
		return &filter{Op: "not", Left: inner}, nil
	}
	if p.char('(') {
		if err := p.nest(); err != nil {
			return nil, err
		}
		defer p.unnest()
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.char(')') {
			return nil, fmt.Errorf("missing )")
		}
		return inner, nil
	}
	return p.attrExpr()
}

// attrToken reads an attribute path token.
func (p *filterParser) attrToken() (string, error) {
	p.space()
	start := p.pos
	for p.pos < len(p.s) && !strings.ContainsRune(" \t\r\n()[]\"", rune(p.s[p.pos])) {
		p.pos++
	}
	if p.pos == start {
		if p.pos >= len(p.s) {
			return "", fmt.Errorf("unexpected end of filter, expected an attribute")
		}
		return "", fmt.Errorf("unexpected %q, expected an attribute", p.rest(10))
	}
	return p.s[start:p.pos], nil
}

var compareOps = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true, "gt": true, "ge": true, "lt": true, "le": true, "pr": true}

func (p *filterParser) attrExpr() (*filter, error) {
	tok, err := p.attrToken()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.s) && p.s[p.pos] == '[' {
		// A value path: attr[filter], optionally followed by
		// .sub op value, which means attr[filter and sub op value].
		p.pos++
		if err := p.nest(); err != nil {
			return nil, err
		}
		inner, err := p.or()
		p.unnest()
		if err != nil {
			return nil, err
		}
		if !p.char(']') {
			return nil, fmt.Errorf("missing ] in value filter of %s", tok)
		}
		vp := &filter{Op: "[]", Attr: tok, Left: inner}
		if p.pos < len(p.s) && p.s[p.pos] == '.' {
			p.pos++
			sub, err := p.attrToken()
			if err != nil {
				return nil, err
			}
			cmp, err := p.comparison(sub)
			if err != nil {
				return nil, err
			}
			vp.Left = &filter{Op: "and", Left: inner, Right: cmp}
		}
		return vp, nil
	}
	return p.comparison(tok)
}

// comparison reads "op value" (or "pr") after the attribute tok.
func (p *filterParser) comparison(tok string) (*filter, error) {
	p.space()
	start := p.pos
	for p.pos < len(p.s) && isAlpha(rune(p.s[p.pos])) {
		p.pos++
	}
	op := strings.ToLower(p.s[start:p.pos])
	if p.terms++; p.terms > maxFilterTerms {
		return nil, fmt.Errorf("the filter has more than %d comparisons", maxFilterTerms)
	}
	if !compareOps[op] {
		if op == "" {
			return nil, fmt.Errorf("expected an operator after %s", tok)
		}
		return nil, fmt.Errorf("unknown operator %q", p.s[start:p.pos])
	}
	f := &filter{Op: op, Attr: tok}
	if op == "pr" {
		return f, nil
	}
	v, err := p.value()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", tok, op, err)
	}
	f.Value = v
	return f, nil
}

// value reads a JSON string, true/false/null, a number, or (tolerated) a
// bare word up to the next space or bracket.
func (p *filterParser) value() (any, error) {
	p.space()
	if p.pos >= len(p.s) {
		return nil, fmt.Errorf("missing value")
	}
	if p.s[p.pos] == '"' {
		end := p.pos + 1
		for end < len(p.s) && p.s[end] != '"' {
			if p.s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(p.s) {
			return nil, fmt.Errorf("unterminated string")
		}
		var s string
		if err := json.Unmarshal([]byte(p.s[p.pos:end+1]), &s); err != nil {
			return nil, fmt.Errorf("bad string %s", p.s[p.pos:end+1])
		}
		p.pos = end + 1
		if err := directory.CheckText("the value", s, 0); err != nil {
			return nil, errors.New(fieldDetail(err))
		}
		return s, nil
	}
	start := p.pos
	for p.pos < len(p.s) && !strings.ContainsRune(" \t\r\n()[]", rune(p.s[p.pos])) {
		p.pos++
	}
	word := p.s[start:p.pos]
	if word == "" {
		return nil, fmt.Errorf("missing value")
	}
	switch strings.ToLower(word) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	case "null":
		return nil, nil
	case "and", "or", "not":
		return nil, fmt.Errorf("missing value before %q", word)
	}
	if n, err := strconv.ParseFloat(word, 64); err == nil && looksNumeric(word) {
		if i, err := strconv.Atoi(word); err == nil {
			return i, nil
		}
		return n, nil
	}
	return word, nil
}

// looksNumeric rejects what ParseFloat accepts but JSON does not (Inf, NaN,
// hex).
func looksNumeric(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789+-.eE", r) {
			return false
		}
	}
	return true
}

// patchPath is a parsed PATCH path: attr, attr.sub, attr[filter] or
// attr[filter].sub. The filter's attributes are sub-attributes of attr.
type patchPath struct {
	attr   attrPath
	filter *filter
	sub    string
}

// parsePatchPath parses a PATCH path.
func parsePatchPath(s string) (patchPath, error) {
	var pp patchPath
	s = strings.TrimSpace(s)
	head, rest, hasFilter := strings.Cut(s, "[")
	if !hasFilter {
		ap, err := splitAttrPath(s)
		if err != nil {
			return pp, err
		}
		pp.attr = ap
		return pp, nil
	}
	ap, err := splitAttrPath(head)
	if err != nil {
		return pp, err
	}
	if ap.sub != "" {
		return pp, fmt.Errorf("%q: a value filter applies to an attribute, not a sub-attribute", s)
	}
	end := strings.LastIndexByte(rest, ']')
	if end < 0 {
		return pp, fmt.Errorf("%q: missing ]", s)
	}
	f, err := parseFilter(rest[:end])
	if err != nil {
		return pp, fmt.Errorf("%q: %w", s, err)
	}
	after := rest[end+1:]
	switch {
	case after == "":
	case strings.HasPrefix(after, ".") && validAttrName(after[1:]):
		pp.sub = after[1:]
	default:
		return pp, fmt.Errorf("%q: unexpected %q after ]", s, after)
	}
	pp.attr, pp.filter = ap, f
	return pp, nil
}

// resolveFilter checks a parsed filter against rt and rewrites its
// attribute names to their canonical spelling; an unknown attribute is an
// error (answered with invalidFilter).
func resolveFilter(rt *resourceType, f *filter) (*filter, error) {
	return resolveFilterIn(rt, nil, f)
}

// resolveFilterIn resolves f; parent is the multi-valued attribute of an
// enclosing value path, whose sub-attributes f names.
func resolveFilterIn(rt *resourceType, parent *resolved, f *filter) (*filter, error) {
	if f == nil {
		return nil, nil
	}
	out := *f
	switch f.Op {
	case "and", "or", "not":
		var err error
		if out.Left, err = resolveFilterIn(rt, parent, f.Left); err != nil {
			return nil, err
		}
		if out.Right, err = resolveFilterIn(rt, parent, f.Right); err != nil {
			return nil, err
		}
		return &out, nil
	}
	if parent != nil {
		if f.Op == "[]" {
			return nil, fmt.Errorf("value filters cannot be nested")
		}
		sub := parent.top.subAttr(f.Attr)
		if sub == nil {
			return nil, fmt.Errorf("%s has no sub-attribute %q", parent.top.name, f.Attr)
		}
		out.Attr = sub.name
		return &out, nil
	}
	ap, err := splitAttrPath(f.Attr)
	if err != nil {
		return nil, err
	}
	r, ok := rt.resolve(ap)
	if !ok {
		return nil, fmt.Errorf("unknown attribute %q", f.Attr)
	}
	if r.top.returned == "never" {
		return nil, fmt.Errorf("%s cannot be filtered on", r.top.name)
	}
	out.Attr = r.canonical()
	if f.Op == "[]" {
		if r.sub != nil || !r.top.complex() {
			return nil, fmt.Errorf("%s is not a complex attribute", f.Attr)
		}
		if out.Left, err = resolveFilterIn(rt, &r, f.Left); err != nil {
			return nil, err
		}
	}
	return &out, nil
}

// matches evaluates a value filter (attributes are sub-attributes of a
// multi-valued attribute) against one element, for PATCH paths. Strings
// compare case-insensitively unless the sub-attribute is caseExact.
func matches(parent *attr, f *filter, elem map[string]any) bool {
	if f == nil {
		return true
	}
	switch f.Op {
	case "and":
		return matches(parent, f.Left, elem) && matches(parent, f.Right, elem)
	case "or":
		return matches(parent, f.Left, elem) || matches(parent, f.Right, elem)
	case "not":
		return !matches(parent, f.Left, elem)
	}
	sub := parent.subAttr(f.Attr)
	v, present := lookupFold(elem, f.Attr)
	if f.Op == "pr" {
		return present && v != nil && v != ""
	}
	if !present || v == nil {
		return f.Op == "ne" && f.Value != nil
	}
	exact := sub != nil && sub.caseExact
	switch x := v.(type) {
	case bool:
		want, ok := boolValue(f.Value)
		switch f.Op {
		case "eq":
			return ok && x == want
		case "ne":
			return !ok || x != want
		}
		return false
	case float64, int, int64, json.Number:
		a, _ := strconv.ParseFloat(fmt.Sprint(x), 64)
		b, err := strconv.ParseFloat(fmt.Sprint(f.Value), 64)
		if err != nil {
			return false
		}
		return compareOrdered(f.Op, a, b)
	}
	a, b := fmt.Sprint(v), fmt.Sprint(f.Value)
	if !exact {
		a, b = strings.ToLower(a), strings.ToLower(b)
	}
	switch f.Op {
	case "co":
		return strings.Contains(a, b)
	case "sw":
		return strings.HasPrefix(a, b)
	case "ew":
		return strings.HasSuffix(a, b)
	}
	return compareOrdered(f.Op, a, b)
}

func compareOrdered[T int | float64 | string](op string, a, b T) bool {
	switch op {
	case "eq":
		return a == b
	case "ne":
		return a != b
	case "gt":
		return a > b
	case "ge":
		return a >= b
	case "lt":
		return a < b
	case "le":
		return a <= b
	}
	return false
}

// lookupFold reads a key of a JSON object case-insensitively.
func lookupFold(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}
