package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/scim"
)

// The fuzz targets drive the real handler on a real directory
// (PostgreSQL when ROSTER_TEST_DATABASE_URL is set, as in CI, whose
// refusals of NUL and invalid UTF-8 were the 500s of issue 15; else
// SQLite). Each asserts that no input panics or answers 5xx, that every
// refusal is a typed SCIM error, and that whatever is stored reads back
// and keeps the workspace's filtered lists answering. Seeds are the f.Add
// calls and testdata/fuzz/<target>/; CI runs each target for a few
// seconds (.ci/run fuzz_scim).

// fuzzServer is a handler on a fresh directory with one workspace.
type fuzzServer struct {
	h     *scim.Handler
	token string
	n     atomic.Int64
}

func newFuzzServer(f *testing.F) *fuzzServer {
	f.Helper()
	backends := directorytest.Backends()
	d := directorytest.Open(f, backends[len(backends)-1], directory.Options{})
	ctx := context.Background()
	if _, _, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "fuzz", Slug: "fuzz", OwnerEmail: "owner@fuzz.example"}); err != nil {
		f.Fatal(err)
	}
	if _, err := d.CreateSCIMConnection(ctx, op, "fuzz", directory.SCIMConnectionRequest{Profile: "auto"}); err != nil {
		f.Fatal(err)
	}
	_, token, err := d.CreateSCIMToken(ctx, op, "fuzz", directory.SCIMTokenRequest{})
	if err != nil {
		f.Fatal(err)
	}
	h := scim.NewHandler(d, scim.Options{BaseURL: "http://fuzz.example/scim/v2", MaxBodyBytes: 1 << 20,
		// Not what these tests are about: the rate limit has its own.
		RateLimit: 1e6, RateBurst: 1e6})
	f.Cleanup(func() { h.Close() })
	return &fuzzServer{h: h, token: token}
}

// do sends one request to the handler and returns the status and body.
func (s *fuzzServer) do(method, target, body string) (int, map[string]any, string) {
	req := httptest.NewRequest(method, "http://fuzz.example"+target, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	if method == http.MethodPost || method == http.MethodPatch || method == http.MethodPut {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, req)
	var doc map[string]any
	json.Unmarshal(w.Body.Bytes(), &doc)
	return w.Code, doc, w.Body.String()
}

// typed fails t unless a status is a success or a typed refusal: no 5xx,
// and every 400 carries a scimType.
func typed(t *testing.T, what string, status int, doc map[string]any, raw string) {
	t.Helper()
	switch {
	case status >= 500:
		t.Fatalf("%s: %d %s", what, status, raw)
	case status == http.StatusBadRequest && doc["scimType"] == nil:
		t.Fatalf("%s: 400 without scimType: %s", what, raw)
	case status >= 400 && status != http.StatusBadRequest && status != http.StatusConflict && status != http.StatusNotFound && status != http.StatusRequestEntityTooLarge:
		t.Fatalf("%s: unexpected %d %s", what, status, raw)
	}
}

// readsBack checks a stored user: it reads back, every string in it is
// one the directory may store (so PostgreSQL holds it as SQLite does),
// and the workspace's filtered lists still answer.
func (s *fuzzServer) readsBack(t *testing.T, id string) {
	t.Helper()
	status, doc, raw := s.do("GET", "/Users/"+url.PathEscape(id), "")
	if status != http.StatusOK {
		t.Fatalf("read back %s: %d %s", id, status, raw)
	}
	if err := storable("", doc); err != nil {
		t.Fatalf("read back a value the directory must not store: %v in %s", err, raw)
	}
	for _, f := range []string{`title pr`, `displayName eq "x"`, `name.givenName sw "a"`, `emails[type eq "work"]`, `userName eq ` + quote(fmt.Sprint(doc["userName"]))} {
		if status, _, raw := s.do("GET", "/Users?filter="+url.QueryEscape(f), ""); status != http.StatusOK {
			t.Fatalf("filter %s after storing %s: %d %s", f, id, status, raw)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// storable applies directory's storage rule to every string of a JSON
// value, keys included.
func storable(path string, v any) error {
	switch x := v.(type) {
	case string:
		return directory.CheckText(path, x, 0)
	case []any:
		for i, el := range x {
			if err := storable(fmt.Sprintf("%s[%d]", path, i), el); err != nil {
				return err
			}
		}
	case map[string]any:
		for k, el := range x {
			if err := directory.CheckText(path+"."+k, k, 0); err != nil {
				return err
			}
			if err := storable(path+"."+k, el); err != nil {
				return err
			}
		}
	}
	return nil
}

// FuzzUserDecoder posts arbitrary bodies as users: a create either is
// refused with a typed error or stores a user that reads back.
func FuzzUserDecoder(f *testing.F) {
	for _, seed := range []string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane@fuzz.example","name":{"givenName":"Jane","familyName":"Doe"},"emails":[{"value":"jane@fuzz.example","type":"work","primary":true}],"active":true}`,
		`{"userName":"a\u0000b@fuzz.example"}`,
		`{"userName":"t@fuzz.example","title":"a\u0000b"}`,
		`{"userName":"e@fuzz.example","emails":[{"value":"e@fuzz.example","primary":"True"},{"value":"e@fuzz.example","type":"work"}]}`,
		`{"userName":"x@fuzz.example","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"value":"m"}],"department":"R&D"}}`,
		`{"userName":"d@fuzz.example","userName":"e@fuzz.example"}`,
		`{"userName":"n@fuzz.example","phoneNumbers":[{"value":5551234}],"addresses":[{"streetAddress":"1 Main","primary":true}]}`,
		`{"userName":"\ud800@fuzz.example","displayName":"\ufffd"}`,
		`{"userName":"y","active":"False","x509Certificates":[{"value":"TUlJ"}],"meta":{"version":"1"}}`,
		`[]`, `null`, `{"userName":null}`,
	} {
		f.Add(seed)
	}
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		status, doc, raw := s.do("POST", "/Users", body)
		typed(t, "POST /Users", status, doc, raw)
		if status != http.StatusCreated {
			return
		}
		id, _ := doc["id"].(string)
		s.readsBack(t, id)
		// Free the userName for the next input.
		if status, doc, raw := s.do("DELETE", "/Users/"+url.PathEscape(id), ""); status != http.StatusNoContent {
			typed(t, "DELETE", status, doc, raw)
		}
	})
}

// FuzzPatch applies arbitrary PATCH bodies to a fresh user: each either
// is refused with a typed error or leaves a user that reads back.
func FuzzPatch(f *testing.F) {
	for _, seed := range []string{
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"title","value":"a\u0000b"}]}`,
		`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
		`{"Operations":[{"op":"add","value":{"name.givenName":"Ann","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Ops"}}]}`,
		`{"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"w@fuzz.example"}]}`,
		`{"Operations":[{"op":"remove","path":"emails[value ew \"example\"]"}]}`,
		`{"Operations":[{"op":"remove","path":"phoneNumbers","value":[{"value":"1"}]}]}`,
		`{"Operations":[{"op":"add","path":"addresses","value":[{"type":"work","primary":true},{"type":"home","primary":true}]}]}`,
		`{"Operations":[{"op":"add","path":"emails[type eq \"\u0000\"].value","value":"x"}]}`,
		`{"Operations":[{"op":"replace","path":"userName","value":"renamed@fuzz.example"}]}`,
		`{"Operations":[{"op":"replace","value":{"id":"other","meta":{},"schemas":[]}}]}`,
		`{"Operations":[]}`, `{"Operations":[{"op":"copy"}]}`,
	} {
		f.Add(seed)
	}
	s := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, body string) {
		n := s.n.Add(1)
		status, doc, raw := s.do("POST", "/Users", fmt.Sprintf(`{"userName":"p%d@fuzz.example","title":"T","emails":[{"value":"p%d@fuzz.example","type":"work"}]}`, n, n))
		if status != http.StatusCreated {
			t.Fatalf("create the user to patch: %d %s", status, raw)
		}
		id := doc["id"].(string)
		status, doc, raw = s.do("PATCH", "/Users/"+id, body)
		typed(t, "PATCH /Users", status, doc, raw)
		s.readsBack(t, id)
		if status, doc, raw := s.do("DELETE", "/Users/"+id, ""); status != http.StatusNoContent {
			typed(t, "DELETE", status, doc, raw)
		}
	})
}

// FuzzFilter lists users and groups with arbitrary filters: each is
// answered, or refused with 400 invalidFilter (or invalidValue).
func FuzzFilter(f *testing.F) {
	for _, seed := range []string{
		`userName eq "jane@fuzz.example"`, `userName sw "\u0000"`, `id eq "\u0000"`, `emails[type eq "\u0000"]`,
		`externalId eq jyoung`, `meta.lastModified gt 2015-10-10T14:38:21-07:00`, `emails[type eq "work"].value eq "x"`,
		`not (title pr) and (name.givenName co "a" or nickName ew "b")`, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m"`,
		`displayName eq "Team" and members[value eq "x"]`, `active eq "True"`, `userName gt 3`, `((((userName pr))))`, "userName eq \"\xff\"",
	} {
		f.Add(seed)
	}
	s := newFuzzServer(f)
	if status, _, raw := s.do("POST", "/Users", `{"userName":"jane@fuzz.example","title":"T","name":{"givenName":"Jane"}}`); status != http.StatusCreated {
		f.Fatalf("create a user: %d %s", status, raw)
	}
	f.Fuzz(func(t *testing.T, filter string) {
		for _, endpoint := range []string{"/Users", "/Groups"} {
			status, doc, raw := s.do("GET", endpoint+"?filter="+url.QueryEscape(filter), "")
			typed(t, "GET "+endpoint, status, doc, raw)
			if status != http.StatusOK && status != http.StatusBadRequest {
				t.Fatalf("filter on %s: %d %s", endpoint, status, raw)
			}
			if status == http.StatusBadRequest && doc["scimType"] != "invalidFilter" && doc["scimType"] != "invalidValue" {
				t.Fatalf("filter on %s refused as %v: %s", endpoint, doc["scimType"], raw)
			}
		}
	})
}
