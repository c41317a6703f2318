package conformance

import (
	"fmt"
	"strings"
	"time"
)

// --- filters ---

type fexpr struct {
	logic       string // "and", "or", "not", or "" for a comparison
	left, right *fexpr
	path        string // attribute path, e.g. "name.givenName" or "emails"
	valFilter   *fexpr // emails[...]
	valSub      string // emails[...].value
	op          string
	value       any
}

type ftok struct {
	kind string // "(", ")", "[", "]", "str", "word"
	text string
}

func lexFilter(s string) ([]ftok, error) {
	var out []ftok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case strings.ContainsRune("()[]", rune(c)):
			out = append(out, ftok{string(c), string(c)})
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string")
			}
			out = append(out, ftok{"str", b.String()})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t()[]\"", rune(s[j])) {
				j++
			}
			out = append(out, ftok{"word", s[i:j]})
			i = j
		}
	}
	return out, nil
}

type fparser struct {
	toks []ftok
	pos  int
}

func parseFilter(s string) (*fexpr, error) {
	toks, err := lexFilter(s)
	if err != nil {
		return nil, err
	}
	p := &fparser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return e, nil
}

func (p *fparser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].kind == "word" && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *fparser) or() (*fexpr, error) {
	l, err := p.and()
	for err == nil && p.peekWord("or") {
		p.pos++
		var r *fexpr
		if r, err = p.and(); err == nil {
			l = &fexpr{logic: "or", left: l, right: r}
		}
	}
	return l, err
}

func (p *fparser) and() (*fexpr, error) {
	l, err := p.factor()
	for err == nil && p.peekWord("and") {
		p.pos++
		var r *fexpr
		if r, err = p.factor(); err == nil {
			l = &fexpr{logic: "and", left: l, right: r}
		}
	}
	return l, err
}

func (p *fparser) expect(kind string) error {
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != kind {
		return fmt.Errorf("expected %s", kind)
	}
	p.pos++
	return nil
}

func (p *fparser) factor() (*fexpr, error) {
	if p.peekWord("not") {
		p.pos++
		if err := p.expect("("); err != nil {
			return nil, err
		}
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		return &fexpr{logic: "not", left: e}, p.expect(")")
	}
	if p.pos < len(p.toks) && p.toks[p.pos].kind == "(" {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		return e, p.expect(")")
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != "word" {
		return nil, fmt.Errorf("expected an attribute")
	}
	e := &fexpr{path: p.toks[p.pos].text}
	p.pos++
	if p.pos < len(p.toks) && p.toks[p.pos].kind == "[" {
		p.pos++
		inner, err := p.or()
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		e.valFilter = inner
		if p.pos < len(p.toks) && p.toks[p.pos].kind == "word" && strings.HasPrefix(p.toks[p.pos].text, ".") {
			e.valSub = p.toks[p.pos].text[1:]
			p.pos++
		} else {
			return e, nil
		}
	}
	if p.pos >= len(p.toks) || p.toks[p.pos].kind != "word" {
		return nil, fmt.Errorf("expected an operator")
	}
	e.op = strings.ToLower(p.toks[p.pos].text)
	p.pos++
	switch e.op {
	case "pr":
		return e, nil
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	default:
		return nil, fmt.Errorf("unknown operator %q", e.op)
	}
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("missing value")
	}
	t := p.toks[p.pos]
	p.pos++
	switch {
	case t.kind == "str":
		e.value = t.text
	case t.kind == "word" && (t.text == "true" || t.text == "false"):
		e.value = t.text == "true"
	case t.kind == "word" && t.text == "null":
		e.value = nil
	case t.kind == "word":
		e.value = t.text // Entra's unquoted values
	default:
		return nil, fmt.Errorf("bad value")
	}
	return e, nil
}

func (e *fexpr) validate(ad map[string]attrDef) error {
	if e.logic != "" {
		if err := e.left.validate(ad); err != nil {
			return err
		}
		if e.right != nil {
			return e.right.validate(ad)
		}
		return nil
	}
	head, sub, _ := strings.Cut(e.path, ".")
	d, ok := ad[strings.ToLower(head)]
	if !ok {
		return fmt.Errorf("unknown attribute %q", head)
	}
	if sub != "" {
		if _, ok := canonSub(d, sub); !ok {
			return fmt.Errorf("unknown sub-attribute %q", e.path)
		}
	}
	if e.valFilter != nil {
		return e.valFilter.validate(subDefs(d))
	}
	return nil
}

func (e *fexpr) eval(s *fakeServer, ad map[string]attrDef, res map[string]any) bool {
	switch e.logic {
	case "and":
		return e.left.eval(s, ad, res) && e.right.eval(s, ad, res)
	case "or":
		return e.left.eval(s, ad, res) || e.right.eval(s, ad, res)
	case "not":
		return !e.left.eval(s, ad, res)
	}
	head, sub, _ := strings.Cut(e.path, ".")
	d := ad[strings.ToLower(head)]
	raw := lookup(res, head)
	var vals []any
	if e.valFilter != nil {
		arr, _ := raw.([]any)
		for _, el := range arr {
			if e.valFilter.eval(s, subDefs(d), asMap(el)) {
				if e.valSub == "" {
					return true
				}
				vals = append(vals, lookup(el, e.valSub))
			}
		}
		if e.valSub == "" {
			return false
		}
	} else if arr, ok := raw.([]any); ok {
		if sub == "" && d.complex {
			sub = "value"
		}
		for _, el := range arr {
			vals = append(vals, lookup(el, sub))
		}
	} else if sub != "" {
		vals = []any{lookup(raw, sub)}
	} else {
		vals = []any{raw}
	}
	exact := d.caseExact
	dateTime := strings.EqualFold(head, "meta") && (strings.EqualFold(sub, "created") || strings.EqualFold(sub, "lastModified"))
	if strings.EqualFold(head, "userName") && s.faults.caseSensitiveUserName {
		exact = true
	}
	for _, v := range vals {
		if compare(e.op, v, e.value, exact, dateTime) {
			return true
		}
	}
	return false
}

func compare(op string, have, want any, exact, dateTime bool) bool {
	if op == "pr" {
		return have != nil && have != ""
	}
	if hb, ok := have.(bool); ok {
		wb, ok := want.(bool)
		if !ok {
			if ws, isStr := want.(string); isStr {
				wb, ok = strings.EqualFold(ws, "true"), true
			}
		}
		return ok && ((op == "eq" && hb == wb) || (op == "ne" && hb != wb))
	}
	hs, ok1 := have.(string)
	ws, ok2 := want.(string)
	if !ok1 || !ok2 {
		return op == "ne"
	}
	var c int
	if dateTime {
		ht, err1 := time.Parse(time.RFC3339Nano, hs)
		wt, err2 := time.Parse(time.RFC3339Nano, ws)
		if err1 != nil || err2 != nil {
			return false
		}
		c = ht.Compare(wt)
	} else {
		if !exact {
			hs, ws = strings.ToLower(hs), strings.ToLower(ws)
		}
		c = strings.Compare(hs, ws)
	}
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "co":
		return strings.Contains(hs, ws)
	case "sw":
		return strings.HasPrefix(hs, ws)
	case "ew":
		return strings.HasSuffix(hs, ws)
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}
