package conformance

import (
	"strings"
)

// --- PATCH ---

type fpath struct {
	ext    bool // enterprise extension attribute
	attr   attrDef
	sub    string
	filter *fexpr
}

func parsePath(kind, p string) (*fpath, *scimErr) {
	ad := userAttrs
	if kind == "Groups" {
		ad = groupAttrs
	}
	out := &fpath{}
	low := strings.ToLower(p)
	if strings.HasPrefix(low, "urn:") {
		switch {
		case strings.HasPrefix(low, strings.ToLower(urnEnterprise)+":"):
			out.ext, ad, p = true, enterpriseAttrs, p[len(urnEnterprise)+1:]
		case strings.HasPrefix(low, strings.ToLower(urnUser)+":"):
			p = p[len(urnUser)+1:]
		default:
			return nil, errf(400, "invalidPath", "unknown schema in %q", p)
		}
	}
	name, rest := p, ""
	if i := strings.IndexAny(p, ".["); i >= 0 {
		name, rest = p[:i], p[i:]
	}
	d, ok := ad[strings.ToLower(name)]
	if !ok && kind == "Users" && !out.ext {
		// Entra sends "manager" without the enterprise URN.
		if d, ok = enterpriseAttrs[strings.ToLower(name)]; ok {
			out.ext = true
		}
	}
	if !ok {
		return nil, errf(400, "invalidPath", "unknown attribute %q", name)
	}
	out.attr = d
	if strings.HasPrefix(rest, "[") {
		end := strings.LastIndex(rest, "]")
		if end < 0 {
			return nil, errf(400, "invalidPath", "unbalanced [")
		}
		ex, err := parseFilter(rest[1:end])
		if err != nil {
			return nil, errf(400, "invalidPath", "%v", err)
		}
		out.filter = ex
		rest = rest[end+1:]
	}
	if strings.HasPrefix(rest, ".") {
		c, ok := canonSub(d, rest[1:])
		if !ok {
			return nil, errf(400, "invalidPath", "unknown sub-attribute %q", rest)
		}
		out.sub = c
	} else if rest != "" {
		return nil, errf(400, "invalidPath", "bad path %q", p)
	}
	return out, nil
}

func (s *fakeServer) applyPatch(kind string, cur, in map[string]any) (map[string]any, *scimErr) {
	if !hasString(in["schemas"], urnPatchOp) {
		return nil, errf(400, "invalidValue", "not a PatchOp")
	}
	ops, _ := lookup(in, "Operations").([]any)
	if len(ops) == 0 {
		return nil, errf(400, "invalidValue", "no Operations")
	}
	res := cloneMap(cur)
	for _, o := range ops {
		om := asMap(o)
		name := strings.ToLower(str(om, "op"))
		path := str(om, "path")
		value := lookup(om, "value")
		if err := s.applyOp(kind, res, name, path, value); err != nil {
			if s.faults.nonAtomicPatch {
				st, _ := s.store(kind)
				st[str(cur, "id")] = res
			}
			return nil, err
		}
	}
	return res, nil
}

func (s *fakeServer) applyOp(kind string, res map[string]any, op, path string, value any) *scimErr {
	if op != "add" && op != "replace" && op != "remove" {
		return errf(400, "invalidSyntax", "unknown op %q", op)
	}
	if path == "" {
		if op == "remove" {
			return errf(400, "noTarget", "remove needs a path")
		}
		m, ok := value.(map[string]any)
		if !ok {
			return errf(400, "invalidValue", "path-less %s needs an object", op)
		}
		for k, v := range m {
			if strings.EqualFold(k, "id") || strings.EqualFold(k, "schemas") || strings.EqualFold(k, "meta") {
				continue
			}
			if strings.EqualFold(k, urnEnterprise) {
				for ek, ev := range asMap(v) {
					if err := s.applyOp(kind, res, op, urnEnterprise+":"+ek, ev); err != nil {
						return err
					}
				}
				continue
			}
			if err := s.applyOp(kind, res, op, k, v); err != nil {
				return err
			}
		}
		return nil
	}
	if strings.EqualFold(path, "password") {
		return nil // accepted and discarded, as in POST and PUT
	}
	p, err := parsePath(kind, path)
	if err != nil {
		return err
	}
	if p.attr.name == "active" && op == "remove" && p.filter == nil {
		return nil // unassigning active changes nobody's state
	}
	target := res
	if p.ext {
		ext, _ := res[urnEnterprise].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			res[urnEnterprise] = ext
		}
		target = ext
	}
	d := p.attr
	if d.name == "id" || d.name == "meta" {
		return errf(400, "mutability", "%s is read-only", d.name)
	}
	switch {
	case p.filter == nil && p.sub == "":
		switch op {
		case "remove":
			if d.name == "members" && value != nil {
				if s.faults.removeWithValueRemovesAll {
					target["members"] = []any{}
					return nil
				}
				ids := map[string]bool{}
				for _, m := range normalise(d, value).([]any) {
					ids[str(m, "value")] = true
				}
				target["members"] = removeMembers(target["members"], ids)
				return nil
			}
			delete(target, d.name)
		case "add":
			if value == nil {
				return errf(400, "invalidValue", "add needs a value")
			}
			nv := normalise(d, value)
			switch {
			case d.multi:
				old, _ := target[d.name].([]any)
				merged := append(append([]any{}, old...), nv.([]any)...)
				if d.name == "members" {
					merged = dedupeMembers(merged)
				}
				target[d.name] = merged
			case d.complex:
				m, _ := target[d.name].(map[string]any)
				if m == nil {
					m = map[string]any{}
				}
				for k, v := range nv.(map[string]any) {
					m[k] = v
				}
				target[d.name] = m
			default:
				target[d.name] = nv
			}
		case "replace":
			if value == nil {
				delete(target, d.name)
				return nil
			}
			nv := normalise(d, value)
			if d.complex && !d.multi {
				m, _ := target[d.name].(map[string]any)
				if m == nil {
					m = map[string]any{}
				}
				for k, v := range nv.(map[string]any) {
					m[k] = v
				}
				nv = m
			}
			target[d.name] = nv
		}
	case p.filter == nil:
		m, _ := target[d.name].(map[string]any)
		if d.multi {
			return errf(400, "invalidPath", "sub-attribute of a multi-valued attribute needs a filter")
		}
		if m == nil {
			m = map[string]any{}
		}
		if op == "remove" {
			delete(m, p.sub)
		} else {
			m[p.sub] = value
		}
		target[d.name] = m
	default:
		arr, _ := target[d.name].([]any)
		var keep []any
		matched := false
		for _, e := range arr {
			em := asMap(e)
			if !p.filter.eval(s, subDefs(d), em) {
				keep = append(keep, e)
				continue
			}
			matched = true
			switch {
			case op == "remove" && p.sub == "":
				continue
			case op == "remove":
				delete(em, p.sub)
			case p.sub != "":
				em[p.sub] = value
			default:
				for k, v := range asMap(value) {
					if c, ok := canonSub(d, k); ok {
						em[c] = v
					}
				}
			}
			keep = append(keep, em)
		}
		if !matched && op == "replace" {
			return errf(400, "noTarget", "no value of %s matches the filter", d.name)
		}
		if !matched && op != "remove" {
			// An add to a value path creates it; Entra replaces emails[type eq "work"].value on users that
			// have no work email yet: create the entry.
			e := map[string]any{}
			if p.filter.op == "eq" && p.filter.path != "" {
				e[p.filter.path] = p.filter.value
			}
			if p.sub != "" {
				e[p.sub] = value
			}
			keep = append(keep, e)
		}
		if keep == nil {
			keep = []any{}
		}
		target[d.name] = keep
	}
	return nil
}

func subDefs(d attrDef) map[string]attrDef {
	m := map[string]attrDef{}
	for _, s := range d.subs {
		m[strings.ToLower(s)] = attrDef{name: s, boolean: s == "primary"}
	}
	return m
}
