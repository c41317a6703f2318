package scim_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/scim"
	"github.com/rosterhq/roster/telemetry"
)

// clock is a test clock the limiter reads; only the test moves it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestRateLimitPerConnection: a connection over its own limit gets 429
// with Retry-After and a SCIM Error, logged in its request log, while
// another connection on the same server goes on at the default limit;
// once the bucket refills the first one is served again.
func TestRateLimitPerConnection(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		clk := &clock{t: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)}
		var h *scim.Handler
		srv := httptest.NewServer(http.StripPrefix("/scim/v2", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) })))
		// The server default (5 per second, bursts of 10) applies to
		// beta; alpha sets its own, lower one.
		metrics := telemetry.NewMetrics()
		h = scim.NewHandler(d, scim.Options{BaseURL: srv.URL + "/scim/v2", RateLimit: 5, RateBurst: 10, Now: clk.now, Metrics: metrics})
		t.Cleanup(func() {
			srv.Close()
			h.Close()
		})
		s := &server{t: t, d: d, h: h, base: srv.URL + "/scim/v2"}
		alpha := s.workspace("alpha", "generic", nil)
		beta := s.workspace("beta", "generic", nil)
		limit, burst := 0.5, 2
		c, err := d.UpdateSCIMConnection(context.Background(), op, "alpha", directory.SCIMConnectionRequest{RateLimit: &limit, RateBurst: &burst})
		if err != nil || c.RateLimit != 0.5 || c.RateBurst != 2 {
			t.Fatalf("update connection: %+v %v", c, err)
		}

		for i := range 2 {
			if r := s.do(alpha, "GET", "/Users", nil); r.status != 200 {
				t.Fatalf("alpha request %d within its burst: %d %s", i+1, r.status, r.raw)
			}
		}
		r := s.do(alpha, "GET", "/Users", nil)
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("alpha over its limit: %d %s, want 429", r.status, r.raw)
		}
		// One token every 2 seconds at 0.5 per second.
		if got := r.header.Get("Retry-After"); got != "2" {
			t.Errorf("Retry-After = %q, want 2", got)
		}
		if r.body["status"] != "429" || r.body["detail"] == nil || !strings.HasPrefix(r.header.Get("Content-Type"), "application/scim+json") {
			t.Errorf("429 body = %s (%s), want a SCIM Error", r.raw, r.header.Get("Content-Type"))
		}
		if schemas, _ := r.body["schemas"].([]any); len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
			t.Errorf("schemas = %v", r.body["schemas"])
		}

		// beta shares the server, not alpha's bucket: its whole burst of
		// 10 goes through, and only the 11th waits.
		for i := range 10 {
			if r := s.do(beta, "GET", "/Users", nil); r.status != 200 {
				t.Fatalf("beta request %d: %d %s while alpha is limited", i+1, r.status, r.raw)
			}
		}
		if r := s.do(beta, "GET", "/Users", nil); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" {
			t.Errorf("beta past the server default: %d Retry-After %q, want 429 and 1", r.status, r.header.Get("Retry-After"))
		}

		clk.advance(2 * time.Second)
		if r := s.do(alpha, "GET", "/Users", nil); r.status != 200 {
			t.Errorf("alpha after its bucket refilled: %d %s", r.status, r.raw)
		}
		if r := s.do(alpha, "GET", "/Users", nil); r.status != http.StatusTooManyRequests {
			t.Errorf("alpha again past one token: %d", r.status)
		}

		if got := rateLimited(t, metrics); got != 3 {
			t.Errorf("roster_scim_operations_total{outcome=rate_limited} = %v, want 3", got)
		}

		h.Close() // flush the request log
		log, err := d.ListSCIMRequests(context.Background(), op, "alpha", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		limited := 0
		for _, e := range log {
			if e.Status == http.StatusTooManyRequests {
				limited++
				if e.Action != "rate limited" || e.Detail == "" {
					t.Errorf("log entry of a 429: %+v", e)
				}
			}
		}
		if limited != 2 || len(log) != 5 {
			t.Errorf("alpha's log has %d entries, %d of them 429; want 5 and 2", len(log), limited)
		}
	})
}

// rateLimited sums the rate-limited SCIM operations m counted.
func rateLimited(t *testing.T, m *telemetry.Metrics) float64 {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, f := range fams {
		if f.GetName() != "roster_scim_operations_total" {
			continue
		}
		for _, mt := range f.Metric {
			for _, l := range mt.Label {
				if l.GetName() == "outcome" && l.GetValue() == "rate_limited" {
					sum += mt.GetCounter().GetValue()
				}
			}
		}
	}
	return sum
}
