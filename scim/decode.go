package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// readJSON decodes a request body into a JSON object, numbers kept exact.
// A body that does not say it is JSON (bodyMediaType) is 415; malformed
// JSON, and an object naming a key twice (duplicateKey), are 400
// invalidSyntax; a body over the limit is 413.
func readJSON(r *http.Request) (map[string]any, error) {
	if err := bodyMediaType(r); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, errorf(http.StatusRequestEntityTooLarge, "", "the request body is larger than %d bytes", tooBig.Limit)
		}
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "could not read the request body")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "the request body is not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "the request body has data after the JSON object")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "the request body must be a JSON object")
	}
	if err := duplicateKey(raw); err != nil {
		return nil, err
	}
	return obj, nil
}

// bodyMediaType accepts a body sent as application/scim+json (RFC 7644
// 3.1) or application/json (Okta's POSTs, Microsoft's tests), whatever
// their parameters ("; charset=utf-8"); anything else, or no
// Content-Type, is 415 rather than guessed at.
func bodyMediaType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/scim+json" || mt == "application/json") {
		return nil
	}
	if ct == "" {
		ct = "none"
	}
	return errorf(http.StatusUnsupportedMediaType, "", "the request body must be sent as application/scim+json or application/json (Content-Type: %.60s)", ct)
}

// duplicateKey refuses a JSON text whose objects name a key twice, at
// any depth: encoding/json would keep the last silently, so two clients
// (or a client and its proxy) could read one body two ways. Keys compare
// case-insensitively, as SCIM attribute names do (RFC 7643 2.1):
// "userName" and "username" are the same attribute. raw is valid JSON.
func duplicateKey(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	// One set of keys per open container; nil for an array.
	var open []map[string]bool
	// wantKey is whether the next string token of the innermost object
	// is a key.
	var wantKey []bool
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errorf(http.StatusBadRequest, "invalidSyntax", "the request body is not valid JSON: %v", err)
		}
		n := len(open)
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			open, wantKey = open[:n-1], wantKey[:n-1]
			continue
		}
		if n > 0 && open[n-1] != nil {
			if wantKey[n-1] {
				key := strings.ToLower(tok.(string))
				if open[n-1][key] {
					return errorf(http.StatusBadRequest, "invalidSyntax", "the request body names %q more than once in one object (attribute names are case-insensitive)", tok)
				}
				open[n-1][key] = true
				wantKey[n-1] = false
				continue
			}
			wantKey[n-1] = true // a value: the next string is a key
		}
		switch tok {
		case json.Delim('{'):
			open, wantKey = append(open, map[string]bool{}), append(wantKey, true)
		case json.Delim('['):
			open, wantKey = append(open, nil), append(wantKey, false)
		}
	}
}

// decodeResource turns a POST or PUT body into the canonical document of
// rt: core attributes at the top and extension attributes under their
// schema URN, names spelled as the schema spells them, values of the
// schema's types. Nulls and unknown attributes are dropped (an explicit
// null is the same as leaving the attribute out, RFC 7644 3.5.1), and so
// are read-only attributes (id, meta, groups) and password, which Roster
// never stores.
func decodeResource(rt *resourceType, body map[string]any, q quirks) (map[string]any, error) {
	doc := map[string]any{}
	// Sorted keys make a body with the same attribute in two spellings
	// ("primary" and "Primary") decode the same way every time.
	for _, key := range sortedKeys(body) {
		v := body[key]
		if v == nil || strings.EqualFold(key, "schemas") {
			continue
		}
		if ext := extensionByKey(rt, key); ext != nil || strings.EqualFold(key, rt.core.id) {
			obj, ok := v.(map[string]any)
			if !ok {
				return nil, errorf(http.StatusBadRequest, "invalidSyntax", "%s must be an object", key)
			}
			prefix := rt.core.id
			if ext != nil {
				prefix = ext.id
			}
			for _, k := range sortedKeys(obj) {
				if err := decodeAttr(rt, doc, prefix+":"+k, obj[k], q); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := decodeAttr(rt, doc, key, v, q); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// extensionByKey returns the extension a top-level key names (the
// misspelled enterprise URN included).
func extensionByKey(rt *resourceType, key string) *resourceSchema {
	if x := rt.extension(key); x != nil {
		return x
	}
	if strings.EqualFold(key, urnEnterpriseTypo) {
		return rt.extension(urnEnterprise)
	}
	return nil
}

// decodeAttr decodes one attribute named by key (a name, a dotted path or
// a URN-qualified path) into doc; unknown and read-only attributes are
// skipped.
func decodeAttr(rt *resourceType, doc map[string]any, key string, v any, q quirks) error {
	ap, err := splitAttrPath(key)
	if err != nil {
		return nil // not an attribute name: unknown, ignored
	}
	r, ok := rt.resolve(ap)
	if !ok || !writable(r) {
		return nil
	}
	a := r.top
	if r.sub != nil {
		a = r.sub
	}
	val, err := normValue(a, v, q)
	if err != nil {
		return err
	}
	setResolved(doc, r, val)
	return nil
}

// discarded says whether an attribute is accepted from clients and
// dropped: the writeOnly password, which Roster never stores (POST, PUT
// and every PATCH op on it succeed and change nothing).
func discarded(r resolved) bool {
	return r.top.mutability == "writeOnly" || (r.sub != nil && r.sub.mutability == "writeOnly")
}

// writable says whether a client may set an attribute at all.
func writable(r resolved) bool {
	if r.top.mutability == "readOnly" || r.top.mutability == "writeOnly" {
		return false
	}
	return r.sub == nil || (r.sub.mutability != "readOnly" && r.sub.mutability != "writeOnly")
}

// normValue checks and converts a value for attribute a; nil means the
// attribute is unassigned.
func normValue(a *attr, v any, q quirks) (any, error) {
	if v == nil {
		return nil, nil
	}
	if !a.multi {
		if arr, ok := v.([]any); ok {
			// Entra sends manager as an array of one {$ref, value}.
			switch len(arr) {
			case 0:
				return nil, nil
			case 1:
				v = arr[0]
			default:
				return nil, errorf(http.StatusBadRequest, "invalidValue", "%s is single-valued but got %d values", a.name, len(arr))
			}
		}
		return normSingle(a, v, q)
	}
	arr, ok := v.([]any)
	if !ok {
		arr = []any{v}
	}
	out := make([]any, 0, len(arr))
	for _, x := range arr {
		n, err := normSingle(a, x, q)
		if err != nil {
			return nil, err
		}
		if n != nil {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	out = uniqueValues(a, out)
	if primaries(out) > 1 {
		// RFC 7643 2.4: the primary attribute value "true" MUST appear
		// no more than once; picking one would guess which address is
		// the person's.
		return nil, errorf(http.StatusBadRequest, "invalidValue", "%s: only one value may be primary", a.name)
	}
	return out, nil
}

// uniqueValues drops the values of a multi-valued attribute whose (type,
// value) pair came earlier (RFC 7643 2.4 SHOULD NOT: emails, phone
// numbers…); the value compares as the schema says (an email
// case-insensitively). A dropped duplicate marked primary makes the value
// kept primary.
func uniqueValues(a *attr, list []any) []any {
	valueAttr := a.subAttr("value")
	if !a.complex() || valueAttr == nil || a.subAttr("type") == nil {
		return list
	}
	key := func(el map[string]any) (string, bool) {
		v, ok := stringValue(el["value"])
		if !ok {
			return "", false
		}
		v = strings.TrimSpace(v)
		if !valueAttr.caseExact {
			v = strings.ToLower(v)
		}
		typ, _ := el["type"].(string)
		return strings.ToLower(strings.TrimSpace(typ)) + "\x00" + v, true
	}
	seen := map[string]map[string]any{}
	out := list[:0:0]
	for _, x := range list {
		el, ok := x.(map[string]any)
		if !ok {
			out = append(out, x)
			continue
		}
		k, ok := key(el)
		if !ok {
			out = append(out, x)
			continue
		}
		if first, dup := seen[k]; dup {
			if el["primary"] == true {
				first["primary"] = true
			}
			continue
		}
		seen[k] = el
		out = append(out, el)
	}
	return out
}

// primaries counts the values marked primary.
func primaries(list []any) int {
	n := 0
	for _, x := range list {
		if el, ok := x.(map[string]any); ok && el["primary"] == true {
			n++
		}
	}
	return n
}

// normSingle converts one value of attribute a (one element, for a
// multi-valued attribute).
func normSingle(a *attr, v any, q quirks) (any, error) {
	if v == nil {
		return nil, nil
	}
	bad := func() error {
		return errorf(http.StatusBadRequest, "invalidValue", "%s: %s is not a valid %s", a.name, short(v), a.typ)
	}
	switch a.typ {
	case "complex":
		obj, ok := v.(map[string]any)
		if !ok {
			if s, isStr := v.(string); isStr && q.bareMembers && a.subAttr("value") != nil {
				return map[string]any{"value": s}, nil
			}
			return nil, bad()
		}
		out := map[string]any{}
		for _, k := range sortedKeys(obj) {
			sub := a.subAttr(k)
			if sub == nil && strings.EqualFold(k, "displayName") && a.subAttr("display") != nil {
				// Microsoft's tests name a member's display "displayName".
				sub = a.subAttr("display")
			}
			if sub == nil || sub.mutability == "readOnly" || sub.mutability == "writeOnly" {
				continue
			}
			n, err := normSingle(sub, obj[k], q)
			if err != nil {
				return nil, err
			}
			if n != nil {
				out[sub.name] = n
			}
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case "boolean":
		switch x := v.(type) {
		case bool:
			return x, nil
		case string:
			if q.stringValues {
				if b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(x))); err == nil {
					return b, nil
				}
			}
		}
		return nil, bad()
	case "integer", "decimal":
		var f float64
		switch x := v.(type) {
		case json.Number:
			var err error
			if f, err = x.Float64(); err != nil {
				return nil, bad()
			}
		case float64:
			f = x
		case string:
			n, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if !q.stringValues || err != nil {
				return nil, bad()
			}
			f = n
		default:
			return nil, bad()
		}
		if a.typ == "integer" {
			if f != math.Trunc(f) {
				return nil, bad()
			}
			return json.Number(strconv.FormatInt(int64(f), 10)), nil
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	case "dateTime":
		s, ok := v.(string)
		if !ok {
			return nil, bad()
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, bad()
		}
		return s, nil
	}
	// string, reference, binary: stored exactly as sent. Numbers and
	// booleans are accepted as their JSON text (phone numbers sent as
	// numbers, say).
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return nil, bad()
}

// short quotes a value for an error message.
func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 60 {
		b = append(b[:60], "…"...)
	}
	return string(b)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// container returns the object holding r's top attribute in doc: doc
// itself, or the extension's object (created when create is set).
func container(doc map[string]any, r resolved, create bool) map[string]any {
	if r.ext == nil {
		return doc
	}
	obj, _ := doc[r.ext.id].(map[string]any)
	if obj == nil && create {
		obj = map[string]any{}
		doc[r.ext.id] = obj
	}
	return obj
}

// getResolved reads r's value from doc (nil when unassigned).
func getResolved(doc map[string]any, r resolved) any {
	c := container(doc, r, false)
	if c == nil {
		return nil
	}
	v := c[r.top.name]
	if r.sub == nil || v == nil {
		return v
	}
	obj, _ := v.(map[string]any)
	return obj[r.sub.name]
}

// setResolved writes r's value into doc; nil removes it, and an object
// left empty is removed too.
func setResolved(doc map[string]any, r resolved, v any) {
	c := container(doc, r, v != nil)
	if c == nil {
		return
	}
	if r.sub == nil {
		if v == nil {
			delete(c, r.top.name)
		} else {
			c[r.top.name] = v
		}
	} else {
		obj, _ := c[r.top.name].(map[string]any)
		if obj == nil {
			if v == nil {
				return
			}
			obj = map[string]any{}
			c[r.top.name] = obj
		}
		if v == nil {
			delete(obj, r.sub.name)
		} else {
			obj[r.sub.name] = v
		}
		if len(obj) == 0 {
			delete(c, r.top.name)
		}
	}
	if r.ext != nil && len(c) == 0 {
		delete(doc, r.ext.id)
	}
}

// boolValue reads a boolean filter or PATCH value, tolerating "true" and
// "false" strings.
func boolValue(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(strings.ToLower(x))
		return b, err == nil
	}
	return false, false
}

// stringValue reads a string value (numbers as their text).
func stringValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

// errorfValue is a 400 invalidValue.
func errorfValue(format string, args ...any) error {
	return errorf(http.StatusBadRequest, "invalidValue", format, args...)
}
