package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/directory"
)

// decode reads the request body as one JSON object into v: the body must
// be application/json, at most MaxBodyBytes, and hold no field v does not
// know, so a misspelt field is an error rather than silently ignored.
func (c *call) decode(v any) error {
	if err := requireMediaType(c.r, "application/json"); err != nil {
		return err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, c.api.maxBody))
	if err != nil {
		return jsonProblem(err)
	}
	if err := checkJSONText(raw); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return errBadRequest("the body must hold exactly one JSON object, with nothing after it")
	}
	return nil
}

func requireMediaType(r *http.Request, want ...string) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	for _, w := range want {
		if err == nil && mt == w {
			return nil
		}
	}
	return newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
		fmt.Sprintf("send the body with Content-Type: %s", strings.Join(want, " or ")))
}

// jsonProblem explains a decoding error in terms of the request.
func jsonProblem(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return err
	case errors.Is(err, io.EOF):
		return errBadRequest("the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errBadRequest("the JSON body ends too early")
	case errors.As(err, &syntax):
		return errBadRequest(fmt.Sprintf("the body is not valid JSON (at byte %d: %v)", syntax.Offset, syntax))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errBadRequest(fmt.Sprintf("the body must be a JSON %s, not %s", jsonType(typ.Type), typ.Value))
		}
		return errValidation(fieldErr(strings.ReplaceAll(typ.Field, ".", "/"), fmt.Sprintf("must be %s, not %s", jsonType(typ.Type), typ.Value)))
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		if now, ok := renamedFields[name]; ok {
			return errValidation(fieldErr(name, "durations are seconds now: send "+now))
		}
		return errValidation(fieldErr(name, "unknown field; see "+Prefix+"/openapi.json for this request's fields"))
	}
	return errBadRequest("the body is not valid JSON: " + err.Error())
}

// renamedFields are request fields that took a duration in hours or days,
// and the field in seconds that replaced each.
var renamedFields = map[string]string{
	"invitation_ttl_hours": "invitation_ttl_seconds (hours × 3600)",
	"log_retention_days":   "log_retention_seconds (days × 86400)",
	"expires_in_days":      "expires_in_seconds (days × 86400)",
}

// jsonType names a Go type the way a JSON client thinks of it.
func jsonType(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	if t.String() == "time.Time" {
		return "an RFC 3339 time"
	}
	return "an object"
}

// optional is a JSON field where null means something (remove the seat
// limit) and differs from absent (leave it alone).
type optional[T any] struct {
	Set   bool
	Null  bool
	Value T
}

// UnmarshalJSON records that the field was present, and whether it was null.
func (o *optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// queryInt reads an integer query parameter within [lo, hi]; absent is def.
func (c *call) queryInt(name string, def, lo, hi int) (int, error) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, errValidation(paramErr(name, fmt.Sprintf("must be a whole number from %d to %d", lo, hi)))
	}
	return n, nil
}

// queryEnum reads a query parameter that must be one of allowed (or absent).
func (c *call) queryEnum(name string, allowed ...string) (string, error) {
	s := c.r.URL.Query().Get(name)
	if s == "" {
		return "", nil
	}
	for _, a := range allowed {
		if s == a {
			return s, nil
		}
	}
	return "", errValidation(paramErr(name, fmt.Sprintf("must be one of %s", strings.Join(allowed, ", "))))
}

// required collects missing required fields of a decoded body.
type required []FieldError

func (r *required) string(pointer, v string) {
	if strings.TrimSpace(v) == "" {
		*r = append(*r, fieldErr(pointer, "is required"))
	}
}

func (r *required) check(ok bool, pointer, detail string) {
	if !ok {
		*r = append(*r, fieldErr(pointer, detail))
	}
}

func (r required) err() error {
	if len(r) == 0 {
		return nil
	}
	return errValidation(r...)
}

// errUnstorable is the 400 for a string no database can keep (a NUL,
// invalid UTF-8), found by directory.CheckText in a path segment, a query
// parameter or a body before anything reaches the directory.
func errUnstorable(fe FieldError) *Problem {
	p := errValidation(fe)
	p.Status, p.Type, p.Title = http.StatusBadRequest, ProblemTypeBase+"malformed-request", "Malformed request"
	return p
}

// checkRequestText applies directory's storage rule to the path's
// wildcards (pattern's {name} segments) and every query parameter.
func checkRequestText(r *http.Request, pattern string) error {
	for _, seg := range strings.Split(pattern, "/") {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(strings.TrimSuffix(name, "}"), "...")
		if err := directory.CheckText(name, r.PathValue(name), 0); err != nil {
			return errUnstorable(paramErr(name, detailOf(err)))
		}
	}
	q := r.URL.Query()
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if err := directory.CheckText("the parameter's name", k, 0); err != nil {
			return errUnstorable(paramErr(strings.ToValidUTF8(k, "?"), detailOf(err)))
		}
		for _, v := range q[k] {
			if err := directory.CheckText(k, v, 0); err != nil {
				return errUnstorable(paramErr(k, detailOf(err)))
			}
		}
	}
	return nil
}

// checkJSONText applies directory's storage rule to every string of a
// JSON body, keys included; a refusal points at the string. Syntax errors
// are left to the decoder, which explains them.
func checkJSONText(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	// path holds, per open container, the current key (object) or the
	// next index (array).
	type level struct {
		object bool
		key    string
		index  int
		// wantKey is true in an object where the next string is a key.
		wantKey bool
	}
	var path []level
	pointer := func() string {
		parts := make([]string, len(path))
		for i, l := range path {
			if l.object {
				parts[i] = strings.NewReplacer("~", "~0", "/", "~1").Replace(l.key)
			} else {
				parts[i] = strconv.Itoa(l.index - 1)
			}
		}
		return strings.Join(parts, "/")
	}
	// value is called as a value (not a key) starts.
	value := func() {
		if n := len(path); n > 0 {
			if path[n-1].object {
				path[n-1].wantKey = true
			} else {
				path[n-1].index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // the end, or a syntax error the decoder reports
		}
		switch x := tok.(type) {
		case json.Delim:
			switch x {
			case '{', '[':
				value()
				path = append(path, level{object: x == '{', wantKey: x == '{'})
			default:
				path = path[:len(path)-1]
			}
		case string:
			if n := len(path); n > 0 && path[n-1].object && path[n-1].wantKey {
				path[n-1].key, path[n-1].wantKey = x, false
				if err := directory.CheckText("the field's name", x, 0); err != nil {
					return errUnstorable(fieldErr(pointer(), detailOf(err)))
				}
				continue
			}
			value()
			if err := directory.CheckText("the value", x, 0); err != nil {
				return errUnstorable(fieldErr(pointer(), detailOf(err)))
			}
		default:
			value()
		}
	}
}

// detailOf is a directory refusal's detail.
func detailOf(err error) string {
	var fe *directory.FieldError
	if errors.As(err, &fe) {
		return fe.Detail
	}
	return err.Error()
}
