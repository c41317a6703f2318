package telemetry

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestInstrumentLabels: the route label is the mux pattern or the one a
// door set, "unmatched" otherwise; odd methods are "other".
func TestInstrumentLabels(t *testing.T) {
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /invite/{token}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("/scim/v2/", func(w http.ResponseWriter, r *http.Request) {
		SetRoute(r.Context(), "/scim/v2/Users/{id}")
		w.WriteHeader(http.StatusNotFound)
	})
	h := Instrument(m, func(route string) string { return "door" }, mux)
	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/invite/secret-token", nil),
		httptest.NewRequest("GET", "/scim/v2/Users/1234", nil),
		httptest.NewRequest("BREW", "/nowhere/else", nil),
	} {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range fams {
		if f.GetName() != "roster_http_requests_total" {
			continue
		}
		for _, mt := range f.Metric {
			key := ""
			for _, l := range mt.Label {
				key += l.GetName() + "=" + l.GetValue() + " "
			}
			got[key] = true
		}
	}
	for _, want := range []string{
		"door=door method=GET route=/invite/{token} status=200 ",
		"door=door method=GET route=/scim/v2/Users/{id} status=404 ",
		"door=door method=other route=unmatched status=404 ",
	} {
		if !got[want] {
			t.Errorf("no series %q in %v", want, got)
		}
	}
	if len(got) != 3 {
		t.Errorf("series: %v", got)
	}
}

// BenchmarkInstrument is the middleware's cost per request with tracing
// off (the default).
func BenchmarkInstrument(b *testing.B) {
	m := NewMetrics()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /scim/v2/", func(http.ResponseWriter, *http.Request) {})
	h := Instrument(m, func(string) string { return "scim" }, mux)
	req := httptest.NewRequest("GET", "/scim/v2/Users", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkBare is the same mux without the middleware.
func BenchmarkBare(b *testing.B) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /scim/v2/", func(http.ResponseWriter, *http.Request) {})
	req := httptest.NewRequest("GET", "/scim/v2/Users", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		mux.ServeHTTP(w, req)
	}
}
