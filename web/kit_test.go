package web_test

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/seal"
	"github.com/rosterhq/roster/web"
)

func newKit(t *testing.T) *web.Kit {
	t.Helper()
	keys, _ := seal.ParseKeys(seal.NewKey())
	box, _ := seal.New(keys...)
	k, err := web.New(web.Config{Directory: directorytest.Open(t, directory.SQLite, directory.Options{}), Box: box})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var testPages = web.Pages(fstest.MapFS{"p/form.html": {Data: []byte(`{{define "content"}}<form method="post">{{template "csrf" .}}</form>{{end}}`)}}, "p", "form")

type data struct{ web.Page }

// A flash message set by a redirect shows on the next page once.
func TestFlashShowsOnce(t *testing.T) {
	k := newKit(t)
	rec := httptest.NewRecorder()
	k.Redirect(rec, httptest.NewRequest(http.MethodPost, "/x", nil), "/y", "Saved.", web.FlashItem{Label: "a@example.com", Status: "invited"})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/y" {
		t.Fatalf("redirect: %d %v", rec.Code, rec.Header())
	}
	cookie := rec.Result().Cookies()[0]
	if strings.Contains(cookie.Value, "Saved") || !cookie.HttpOnly {
		t.Errorf("flash cookie = %+v (sealed, HttpOnly)", cookie)
	}
	req := httptest.NewRequest(http.MethodGet, "/y", nil)
	req.AddCookie(cookie)
	rec = httptest.NewRecorder()
	d := &data{Page: web.Page{Title: "Y"}}
	k.Render(rec, req, http.StatusOK, testPages["form"], d)
	if !strings.Contains(rec.Body.String(), "Saved.") || len(d.FlashItems) != 1 || d.FlashItems[0].Label != "a@example.com" {
		t.Errorf("flash not shown: %+v\n%s", d.Page, rec.Body)
	}
	cleared := false
	for _, c := range rec.Result().Cookies() {
		cleared = cleared || (c.Name == cookie.Name && c.MaxAge < 0)
	}
	if !cleared {
		t.Error("the flash cookie is not cleared after showing")
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "Referrer-Policy", "X-Content-Type-Options", "Cache-Control"} {
		if rec.Header().Get(h) == "" {
			t.Errorf("no %s", h)
		}
	}
}

// ParseForm takes a form with the token its page rendered, and refuses
// one without it (403) or over the size limit (413).
func TestParseForm(t *testing.T) {
	k := newKit(t)
	get := httptest.NewRequest(http.MethodGet, "/form", nil)
	rec := httptest.NewRecorder()
	d := &data{}
	k.Render(rec, get, http.StatusOK, testPages["form"], d)
	cookies := rec.Result().Cookies()
	post := func(body string) int {
		req := httptest.NewRequest(http.MethodPost, "/form", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		if k.ParseForm(rec, req, nil, 1024) {
			return http.StatusOK
		}
		return rec.Code
	}
	if got := post(url.Values{"csrf": {d.CSRF}}.Encode()); got != http.StatusOK {
		t.Errorf("with the token: %d", got)
	}
	if got := post("a=b"); got != http.StatusForbidden {
		t.Errorf("without a token: %d", got)
	}
	if got := post(url.Values{"csrf": {d.CSRF}, "big": {strings.Repeat("x", 2048)}}.Encode()); got != http.StatusRequestEntityTooLarge {
		t.Errorf("over the limit: %d", got)
	}
}

// Two doors may both register the assets; they are served with their
// types, and cached for long only at the current version.
func TestAssets(t *testing.T) {
	mux := http.NewServeMux()
	web.RegisterAssets(mux)
	web.RegisterAssets(mux)
	var version string
	{
		d := &data{}
		rec := httptest.NewRecorder()
		newKit(t).Render(rec, httptest.NewRequest(http.MethodGet, "/", nil), http.StatusOK, testPages["form"], d)
		body := rec.Body.String()
		i := strings.Index(body, "/assets/roster.css?v=")
		if i < 0 {
			t.Fatalf("no stylesheet link:\n%s", body)
		}
		version = strings.SplitN(body[i+len("/assets/roster.css?v="):], `"`, 2)[0]
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/assets/roster.css?v="+template.URLQueryEscaper(version), nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("css: %d %v", rec.Code, rec.Header())
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/assets/nope.css", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("unknown asset: %d", rec.Code)
	}
}
