package scim

import (
	"net/http"
	"reflect"
	"strings"
)

// rawOp is one PATCH operation as sent.
type rawOp struct {
	Op    string
	Path  string
	Value any
	// hasValue distinguishes "value": null from no value.
	hasValue bool
}

// patchOp is an operation in RFC form: op lower-case, path parsed and
// resolved (nil for a path-less operation on a whole object, which
// normalizePatch expands away), value converted to the attribute's type.
type patchOp struct {
	op     string // add, replace, remove
	target resolved
	filter *filter
	// filterSub is the sub-attribute after a value filter.
	filterSub *attr
	value     any
	hasValue  bool
	// replaceCreates is the profile's quirks.replaceCreates.
	replaceCreates bool
}

// readPatch decodes a PatchOp body. Keys are matched case-insensitively
// ("Operations", "operations"); the PatchOp schema URI is not required,
// since the body cannot be anything else.
func readPatch(r *http.Request) ([]rawOp, error) {
	body, err := readJSON(r)
	if err != nil {
		return nil, err
	}
	opsV, _ := lookupFold(body, "Operations")
	list, ok := opsV.([]any)
	if !ok || len(list) == 0 {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "a PATCH request needs a non-empty Operations array")
	}
	if len(list) > 1000 {
		return nil, errorf(http.StatusBadRequest, "tooMany", "at most 1000 operations per PATCH")
	}
	ops := make([]rawOp, 0, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "invalidSyntax", "operation %d is not an object", i+1)
		}
		var o rawOp
		if v, ok := lookupFold(m, "op"); ok {
			o.Op, _ = v.(string)
		}
		if v, ok := lookupFold(m, "path"); ok && v != nil {
			if o.Path, ok = v.(string); !ok {
				return nil, errorf(http.StatusBadRequest, "invalidPath", "operation %d: path must be a string", i+1)
			}
		}
		o.Value, o.hasValue = lookupFold(m, "value")
		ops = append(ops, o)
	}
	return ops, nil
}

// normalizePatch turns the operations as sent into RFC form, the one
// place every IdP dialect is undone: ops in any case; a path-less value
// object split into one operation per key, whether the key is a plain
// name, a dotted path (name.givenName) or a URN-qualified path, an id in
// it ignored when it is the resource's own (Okta), meta and schemas
// ignored; value types converted (Entra's "False"). Read-only targets,
// unknown paths and bad values are errors, so nothing is applied unless
// every operation is valid.
func normalizePatch(rt *resourceType, raw []rawOp, id string, q quirks) ([]patchOp, error) {
	var out []patchOp
	for i, o := range raw {
		op := strings.ToLower(strings.TrimSpace(o.Op))
		switch op {
		case "add", "replace", "remove":
		default:
			return nil, errorf(http.StatusBadRequest, "invalidSyntax", "operation %d: unknown op %q (add, replace or remove)", i+1, o.Op)
		}
		if strings.TrimSpace(o.Path) == "" {
			if op == "remove" {
				return nil, errorf(http.StatusBadRequest, "noTarget", "operation %d: remove needs a path", i+1)
			}
			obj, ok := o.Value.(map[string]any)
			if !ok {
				return nil, errorf(http.StatusBadRequest, "invalidValue", "operation %d: an operation without a path needs an object value", i+1)
			}
			expanded, err := expandPathless(rt, obj, id)
			if err != nil {
				return nil, err
			}
			for _, k := range sortedKeys(expanded) {
				p, err := normalizeOp(rt, op, k, expanded[k], true, true, q)
				if err != nil {
					return nil, err
				}
				if p != nil {
					out = append(out, *p)
				}
			}
			continue
		}
		p, err := normalizeOp(rt, op, o.Path, o.Value, o.hasValue, false, q)
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, *p)
		}
	}
	return out, nil
}

// expandPathless flattens a path-less value into path → value, with
// extension objects spread into URN-qualified paths.
func expandPathless(rt *resourceType, obj map[string]any, id string) (map[string]any, error) {
	out := map[string]any{}
	for k, v := range obj {
		switch {
		case strings.EqualFold(k, "schemas"), strings.EqualFold(k, "meta"):
		case strings.EqualFold(k, "id"):
			if s, _ := v.(string); s != "" && s != id {
				return nil, errorf(http.StatusBadRequest, "mutability", "id is read-only (%q is not this resource's id)", s)
			}
		case extensionByKey(rt, k) != nil:
			inner, ok := v.(map[string]any)
			if !ok {
				return nil, errorf(http.StatusBadRequest, "invalidValue", "%s must be an object", k)
			}
			ext := extensionByKey(rt, k)
			for ik, iv := range inner {
				out[ext.id+":"+ik] = iv
			}
		default:
			out[k] = v
		}
	}
	return out, nil
}

// normalizeOp parses and resolves one operation's path and converts its
// value. From a path-less value, unknown and read-only keys are skipped
// (nil) rather than refused.
func normalizeOp(rt *resourceType, op, path string, value any, hasValue, pathless bool, q quirks) (*patchOp, error) {
	pp, err := parsePatchPath(path)
	if err != nil {
		if pathless {
			return nil, nil
		}
		return nil, errorf(http.StatusBadRequest, "invalidPath", "%v", err)
	}
	r, ok := rt.resolve(pp.attr)
	if !ok {
		if pathless {
			return nil, nil
		}
		return nil, errorf(http.StatusBadRequest, "invalidPath", "unknown attribute %q", path)
	}
	if discarded(r) {
		// Accepted and discarded, as in a POST or PUT: Roster keeps no
		// passwords, and IdPs that sync them expect success.
		return nil, nil
	}
	if !writable(r) {
		if pathless {
			return nil, nil
		}
		if r.top.name == "id" || r.top.name == "meta" || r.top.name == "groups" {
			return nil, errorf(http.StatusBadRequest, "mutability", "%s is read-only", r.canonical())
		}
		return nil, errorf(http.StatusBadRequest, "mutability", "%s cannot be modified", r.canonical())
	}
	p := &patchOp{op: op, target: r, hasValue: hasValue && value != nil, replaceCreates: q.replaceCreates}
	if pp.filter != nil {
		if r.sub != nil || !r.top.multi || !r.top.complex() {
			return nil, errorf(http.StatusBadRequest, "invalidPath", "%s: a value filter needs a multi-valued complex attribute", path)
		}
		f, err := resolveFilterIn(rt, &r, pp.filter)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "invalidFilter", "%s: %v", path, err)
		}
		p.filter = f
		if pp.sub != "" {
			if p.filterSub = r.top.subAttr(pp.sub); p.filterSub == nil {
				return nil, errorf(http.StatusBadRequest, "invalidPath", "%s has no sub-attribute %q", r.top.name, pp.sub)
			}
		}
	}
	if op != "remove" && !hasValue {
		return nil, errorf(http.StatusBadRequest, "invalidValue", "%s %s: a value is required", op, path)
	}
	if !p.hasValue {
		// remove without a value, or an explicit null: replace with
		// null unassigns (RFC 7644 3.5.2.3), add of null adds nothing.
		if op == "add" {
			return nil, nil
		}
		p.op = "remove"
		return p, nil
	}
	// The value's attribute: the sub-attribute named, else one element of
	// a filtered multi-valued attribute, else the attribute itself.
	switch {
	case p.filterSub != nil:
		p.value, err = normSingle(p.filterSub, value, q)
	case r.sub != nil:
		p.value, err = normValue(r.sub, value, q)
	case p.filter != nil:
		p.value, err = normSingle(r.top, value, q)
	default:
		p.value, err = normValue(r.top, value, q)
	}
	if err != nil {
		return nil, err
	}
	if p.value == nil && op != "remove" {
		// "replace" with null (or an empty value) unassigns (RFC 7644
		// 3.5.2.3 allows it); "add" of nothing changes nothing.
		if op == "add" {
			return nil, nil
		}
		p.op = "remove"
	}
	return p, nil
}

// applyPatch applies normalised operations to a resource document in
// order. It changes only doc; the caller stores the result (or nothing,
// if any operation fails).
func applyPatch(doc map[string]any, ops []patchOp) error {
	for _, p := range ops {
		if err := applyOp(doc, p); err != nil {
			return err
		}
	}
	return nil
}

func applyOp(doc map[string]any, p patchOp) error {
	r := p.target
	if p.filter != nil {
		return applyFiltered(doc, p)
	}
	switch p.op {
	case "remove":
		if p.hasValue && r.top.multi && r.sub == nil {
			// Remove-with-value (Entra): remove the listed elements, not
			// the whole attribute.
			list, _ := getResolved(doc, r).([]any)
			removeVals, _ := p.value.([]any)
			var keep []any
			for _, el := range list {
				if !containsElement(removeVals, el) {
					keep = append(keep, el)
				}
			}
			setResolved(doc, r, listOrNil(keep))
			return nil
		}
		setResolved(doc, r, nil)
		return nil
	case "replace":
		if r.sub == nil && r.top.complex() && !r.top.multi {
			// Replacing a complex attribute replaces the sub-attributes
			// given and leaves the others (RFC 7644 3.5.2.3).
			return mergeComplex(doc, r, p.value)
		}
		setResolved(doc, r, p.value)
		if r.top.multi && r.sub == nil {
			fixPrimary(doc, r)
		}
		return nil
	}
	// add
	switch {
	case r.sub == nil && r.top.multi:
		list, _ := getResolved(doc, r).([]any)
		added, _ := p.value.([]any)
		for _, el := range added {
			if i := indexOfElement(list, el); i >= 0 {
				list[i] = el
			} else {
				list = append(list, el)
			}
		}
		setResolved(doc, r, listOrNil(list))
		fixPrimary(doc, r)
	case r.sub == nil && r.top.complex():
		return mergeComplex(doc, r, p.value)
	default:
		setResolved(doc, r, p.value)
	}
	return nil
}

// mergeComplex sets the given sub-attributes of a single complex value.
func mergeComplex(doc map[string]any, r resolved, v any) error {
	obj, _ := v.(map[string]any)
	cur, _ := getResolved(doc, r).(map[string]any)
	merged := map[string]any{}
	for k, x := range cur {
		merged[k] = x
	}
	for k, x := range obj {
		merged[k] = x
	}
	setResolved(doc, r, listOrNilMap(merged))
	return nil
}

func listOrNilMap(m map[string]any) any {
	if len(m) == 0 {
		return nil
	}
	return m
}

func listOrNil(l []any) any {
	if len(l) == 0 {
		return nil
	}
	return l
}

// applyFiltered applies an operation whose path has a value filter
// (emails[type eq "work"].value): to the matching elements, or their
// sub-attribute.
func applyFiltered(doc map[string]any, p patchOp) error {
	r := p.target
	list, _ := getResolved(doc, r).([]any)
	var keep []any
	matched := 0
	// newPrimary is the element this operation made primary, if any: the
	// others stop being primary (RFC 7643 2.4, RFC 7644 3.5.2).
	var newPrimary map[string]any
	defer func() {
		if newPrimary == nil {
			return
		}
		for _, x := range keep {
			if el, _ := x.(map[string]any); el != nil && el["primary"] == true && !samePtr(el, newPrimary) {
				el["primary"] = false
			}
		}
	}()
	for _, x := range list {
		el, _ := x.(map[string]any)
		if el == nil || !matches(r.top, p.filter, el) {
			keep = append(keep, x)
			continue
		}
		matched++
		switch {
		case p.op == "remove" && p.filterSub == nil:
			continue // the element goes
		case p.op == "remove":
			delete(el, p.filterSub.name)
			if len(el) == 0 {
				continue
			}
		case p.filterSub != nil:
			el[p.filterSub.name] = p.value
		case p.op == "replace":
			nv, _ := p.value.(map[string]any)
			x, el = nv, nv
		default: // add to a matching element: merge
			nv, _ := p.value.(map[string]any)
			for k, v := range nv {
				el[k] = v
			}
		}
		if el != nil && el["primary"] == true && p.op != "remove" {
			newPrimary = el
		}
		keep = append(keep, x)
	}
	if matched == 0 && p.op == "replace" && !p.replaceCreates {
		return errorf(http.StatusBadRequest, "noTarget", "no value of %s matches the filter", r.canonical())
	}
	if matched == 0 && p.op != "remove" {
		// An add, or Entra's replace of emails[type eq "work"].value on
		// users that have no work email yet: a filter of plain eq
		// conditions describes the element to create.
		el, ok := elementFromFilter(p.filter)
		if !ok {
			return errorf(http.StatusBadRequest, "noTarget", "no value of %s matches the filter", r.canonical())
		}
		if p.filterSub != nil {
			el[p.filterSub.name] = p.value
		} else if nv, ok := p.value.(map[string]any); ok {
			for k, v := range nv {
				el[k] = v
			}
		}
		if el["primary"] == true {
			newPrimary = el
		}
		keep = append(keep, el)
	}
	setResolved(doc, r, listOrNil(keep))
	return nil
}

// samePtr reports whether two maps are the same map.
func samePtr(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// elementFromFilter builds {type: "work"} from type eq "work" (and
// conjunctions of such); other filters describe no single element.
func elementFromFilter(f *filter) (map[string]any, bool) {
	el := map[string]any{}
	var walk func(*filter) bool
	walk = func(f *filter) bool {
		switch f.Op {
		case "and":
			return walk(f.Left) && walk(f.Right)
		case "eq":
			el[f.Attr] = f.Value
			return f.Value != nil
		}
		return false
	}
	return el, walk(f)
}

// indexOfElement finds an element equal to el: same "value" (and same
// "type" when both have one), or deeply equal for elements without value.
func indexOfElement(list []any, el any) int {
	for i, x := range list {
		if sameElement(x, el) {
			return i
		}
	}
	return -1
}

func containsElement(list []any, el any) bool { return indexOfElement(list, el) >= 0 }

func sameElement(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		return reflect.DeepEqual(a, b)
	}
	av, aHas := am["value"]
	bv, bHas := bm["value"]
	if !aHas || !bHas {
		return reflect.DeepEqual(a, b)
	}
	as, _ := stringValue(av)
	bs, _ := stringValue(bv)
	if !strings.EqualFold(as, bs) {
		return false
	}
	at, _ := am["type"].(string)
	bt, _ := bm["type"].(string)
	return at == "" || bt == "" || strings.EqualFold(at, bt)
}

// fixPrimary keeps at most one element with primary true: the last one
// added wins (RFC 7643 2.4).
func fixPrimary(doc map[string]any, r resolved) {
	list, _ := getResolved(doc, r).([]any)
	winner := -1
	for i, x := range list {
		if el, _ := x.(map[string]any); el != nil && el["primary"] == true {
			winner = i
		}
	}
	if winner < 0 {
		return
	}
	for i, x := range list {
		if el, _ := x.(map[string]any); el != nil && i != winner && el["primary"] == true {
			el["primary"] = false
		}
	}
}
