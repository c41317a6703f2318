package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/email"
	"github.com/rosterhq/roster/telemetry"
)

// opsServer is newHandler over real HTTP with metrics on, the way serve
// wires it, for the telemetry tests.
type opsServer struct {
	t    *testing.T
	d    *directory.Directory
	deps serverDeps
	srv  *httptest.Server
}

func startOpsServer(t *testing.T, d *directory.Directory, env map[string]string) *opsServer {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	box, err := loadSecretKey("sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	s := &opsServer{t: t, d: d}
	var h atomic.Pointer[http.Handler]
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*h.Load()).ServeHTTP(w, r) }))
	t.Cleanup(s.srv.Close)
	var stops []func()
	t.Cleanup(func() {
		for _, f := range stops {
			f()
		}
	})
	s.deps = serverDeps{Dir: d, Box: box, BaseURL: s.srv.URL, Dev: true, Logger: slog.New(slog.DiscardHandler), stops: &stops,
		Metrics: telemetry.NewMetrics(), MetricsToken: "metrics-token-for-tests"}
	s.deps.Metrics.WatchDirectory(d)
	handler, err := newHandler(s.deps)
	if err != nil {
		t.Fatal(err)
	}
	h.Store(&handler)
	return s
}

func (s *opsServer) do(method, path, token, body string) (int, string) {
	s.t.Helper()
	req, _ := http.NewRequest(method, s.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// scrape reads /metrics, parsed.
func (s *opsServer) scrape() map[string]*dto.MetricFamily {
	s.t.Helper()
	status, body := s.do("GET", "/metrics", s.deps.MetricsToken, "")
	if status != 200 {
		s.t.Fatalf("GET /metrics = %d %s", status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		s.t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value is the counter or gauge of name with exactly these labels (0 when
// there is none yet).
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
next:
	for _, m := range f.Metric {
		if len(m.Label) != len(want) {
			continue
		}
		for _, l := range m.Label {
			if want[l.GetName()] != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

// TestMetricsAfterSyncSignInAndFailedWebhook scrapes /metrics around a
// SCIM sync of three people (and one conflict), a sign-in through an OIDC
// provider (and one expired callback), and webhook deliveries to a
// receiver answering 500, and checks each counter moved by exactly what
// happened. No label value may hold an id, an email or a token of the
// test.
func TestMetricsAfterSyncSignInAndFailedWebhook(t *testing.T) {
	directorytest.RunWith(t, directory.Options{SCIMAuthCache: true}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		mock, err := mockoidc.Run()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { mock.Shutdown() })
		cfg := mock.Config()
		s := startOpsServer(t, d, map[string]string{envOIDCProviders: fmt.Sprintf(`[{"key":"mock","name":"Mock","issuer":%q,"client_id":%q,"client_secret":%q}]`,
			cfg.Issuer, cfg.ClientID, cfg.ClientSecret)})

		ws, owner, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Acme", Slug: "acme", OwnerEmail: "olivia@acme.example"})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := d.CreateSCIMConnection(ctx, directory.Operator(), "acme", directory.SCIMConnectionRequest{Profile: directory.ProfileGeneric})
		if err != nil {
			t.Fatal(err)
		}
		_, scimToken, err := d.CreateSCIMToken(ctx, directory.Operator(), "acme", directory.SCIMTokenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var hookCalls atomic.Int64
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			hookCalls.Add(1)
			http.Error(w, "down for maintenance", http.StatusInternalServerError)
		}))
		t.Cleanup(receiver.Close)
		hook, err := d.CreateWebhook(ctx, directory.Operator(), "acme", directory.WebhookRequest{URL: receiver.URL + "/hooks", EventTypes: []string{"*"},
			SealedSecret: s.deps.Box.Seal([]byte("a-webhook-secret-of-32-characters"), directory.WebhookSecretPurpose)})
		if err != nil {
			t.Fatal(err)
		}
		before := s.scrape()

		// The SCIM sync: three people at a domain nobody verified are
		// invited; the fourth POST repeats a userName.
		secrets := []string{scimToken, owner.Token, ws.ID, conn.ID, hook.ID, "olivia@acme.example"}
		for _, name := range []string{"jane", "john", "jo"} {
			addr := name + "@contoso.example"
			status, body := s.do("POST", "/scim/v2/Users", scimToken, fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"emails":[{"value":%q,"primary":true}]}`, addr, addr))
			if status != 201 {
				t.Fatalf("POST /Users %s: %d %s", name, status, body)
			}
			id := regexp.MustCompile(`"id":"([^"]+)"`).FindStringSubmatch(body)[1]
			secrets = append(secrets, addr, id)
		}
		if status, body := s.do("POST", "/scim/v2/Users", scimToken, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"jane@contoso.example"}`); status != 409 {
			t.Fatalf("repeated userName: %d %s", status, body)
		}
		for range 2 {
			if status, _ := s.do("GET", "/scim/v2/Users/"+url.PathEscape(secrets[len(secrets)-1]), scimToken, ""); status != 200 {
				t.Fatalf("GET a user: %d", status)
			}
		}
		// The IdP deactivates one of them, then sends the same again: one
		// suspension, then a PATCH that changes nothing.
		for range 2 {
			if status, body := s.do("PATCH", "/scim/v2/Users/"+url.PathEscape(secrets[len(secrets)-1]), scimToken,
				`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"active","value":false}]}`); status != 200 && status != 204 {
				t.Fatalf("PATCH active false: %d %s", status, body)
			}
		}

		// A sign-in: the owner accepts their invitation through the
		// server-wide provider; and a callback whose transaction is gone.
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar, Timeout: 30 * time.Second}
		res, err := browser.Get(s.srv.URL + "/invite/" + owner.Token)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(res.Body)
		res.Body.Close()
		csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(string(page))
		if res.StatusCode != 200 || csrf == nil {
			t.Fatalf("invitation page: %d\n%s", res.StatusCode, page)
		}
		mock.QueueUser(&mockoidc.MockUser{Subject: "olivia-sub", Email: "olivia@acme.example", EmailVerified: true, PreferredUsername: "olivia"})
		res, err = browser.PostForm(s.srv.URL+"/invite/"+owner.Token, url.Values{"csrf": {csrf[1]}, "provider": {"mock"}})
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || (res.Request.URL.Path != "/onboarding" && res.Request.URL.Path != "/home") {
			t.Fatalf("sign-in ended at %s with %d:\n%s", res.Request.URL, res.StatusCode, page)
		}
		if status, _ := s.do("GET", "/auth/callback?state=gone&code=x", "", ""); status != 400 {
			t.Fatalf("expired callback: %d", status)
		}

		// The outbox: every webhook delivery fails (500) and is retried
		// later; every email goes out through the log.
		mid := s.scrape()
		pendingHooks := value(mid, "roster_outbox_pending", "kind", "webhook")
		pendingEmails := value(mid, "roster_outbox_pending", "kind", "email")
		if pendingHooks < 3 || pendingEmails < 3 {
			t.Fatalf("pending before delivery: %v webhooks, %v emails; want at least one of each per synced person", pendingHooks, pendingEmails)
		}
		if age := value(mid, "roster_outbox_oldest_pending_age_seconds", "kind", "webhook"); age < 0 || age > 600 {
			t.Errorf("oldest pending webhook is %vs old", age)
		}
		worker, err := newWorker(s.deps, email.NewLog(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := worker.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		after := s.scrape()

		moved := func(name string, labels ...string) float64 {
			return value(after, name, labels...) - value(before, name, labels...)
		}
		checks := []struct {
			name   string
			labels []string
			want   float64
		}{
			{"roster_scim_operations_total", []string{"profile", "generic", "operation", "create_user", "outcome", "invited"}, 3},
			{"roster_scim_operations_total", []string{"profile", "generic", "operation", "create_user", "outcome", "conflict"}, 1},
			{"roster_scim_operations_total", []string{"profile", "generic", "operation", "get_user", "outcome", "ok"}, 2},
			{"roster_scim_operations_total", []string{"profile", "generic", "operation", "patch_user", "outcome", "suspended"}, 1},
			{"roster_scim_operations_total", []string{"profile", "generic", "operation", "patch_user", "outcome", "ok"}, 1},
			{"roster_http_requests_total", []string{"door", "scim", "route", "/scim/v2/Users", "method", "POST", "status", "201"}, 3},
			{"roster_http_requests_total", []string{"door", "scim", "route", "/scim/v2/Users/{id}", "method", "GET", "status", "200"}, 2},
			{"roster_http_request_duration_seconds", []string{"door", "scim", "route", "/scim/v2/Users", "method", "POST"}, 4},
			{"roster_http_requests_total", []string{"door", "oidc", "route", "/invite/{token}", "method", "POST", "status", "303"}, 1},
			{"roster_signins_total", []string{"outcome", "invitation_accepted"}, 1},
			{"roster_signins_total", []string{"outcome", "transaction_expired"}, 1},
			{"roster_outbox_deliveries_total", []string{"kind", "webhook", "outcome", "retry"}, pendingHooks},
			{"roster_outbox_deliveries_total", []string{"kind", "webhook", "outcome", "delivered"}, 0},
			{"roster_outbox_deliveries_total", []string{"kind", "email", "outcome", "delivered"}, pendingEmails},
			{"roster_outbox_retries_total", []string{"kind", "webhook"}, 0}, // first attempts, all of them
		}
		for _, c := range checks {
			if got := moved(c.name, c.labels...); got != c.want {
				t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, got, c.want)
			}
		}
		// Failed webhooks wait for their retry; every email went.
		if got := value(after, "roster_outbox_pending", "kind", "webhook"); got != pendingHooks {
			t.Errorf("%v webhooks pending after failing, want all %v still pending", got, pendingHooks)
		}
		if got := value(after, "roster_outbox_pending", "kind", "email"); got != 0 {
			t.Errorf("%v emails pending after delivery", got)
		}
		if got := hookCalls.Load(); float64(got) != pendingHooks {
			t.Errorf("the receiver got %d deliveries, the metrics say %v", got, pendingHooks)
		}
		if value(after, "go_sql_open_connections", "db_name", "roster") < 1 {
			t.Errorf("pool statistics missing: %v open connections", value(after, "go_sql_open_connections", "db_name", "roster"))
		}
		// The request log's counters are served; nothing was lost. (How
		// many were written depends on when its batch last flushed.)
		if f := after["roster_scim_request_log_entries_total"]; f == nil || len(f.Metric) != 3 {
			t.Errorf("request log counters: %v, want written, dropped and rejected", f)
		}
		if got := value(after, "roster_scim_request_log_entries_total", "result", "dropped") + value(after, "roster_scim_request_log_entries_total", "result", "rejected"); got != 0 {
			t.Errorf("%v request-log entries dropped or rejected", got)
		}
		hits, clears := value(after, "roster_scim_auth_cache_hits_total"), value(after, "roster_scim_auth_cache_clears_total")
		if d.Dialect() == directory.Postgres && (hits < 1 || clears < 1) {
			t.Errorf("SCIM token cache on PostgreSQL: %v hits, %v clears; the second GET is a hit and every write clears", hits, clears)
		}
		if d.Dialect() == directory.SQLite && (hits != 0 || clears != 0) {
			t.Errorf("SCIM token cache on SQLite (off): %v hits, %v clears", hits, clears)
		}

		// No label of any metric holds what identifies a person, a
		// workspace or a credential.
		for _, f := range after {
			for _, m := range f.Metric {
				for _, l := range m.Label {
					v := strings.ToLower(l.GetValue())
					for _, sec := range secrets {
						if sec != "" && strings.Contains(v, strings.ToLower(sec)) {
							t.Errorf("%s label %s=%q holds %q", f.GetName(), l.GetName(), l.GetValue(), sec)
						}
					}
					if strings.Contains(v, "@") {
						t.Errorf("%s label %s=%q looks like an email address", f.GetName(), l.GetName(), l.GetValue())
					}
				}
			}
		}
	})
}

// TestMetricsEndpointToken: with a token, /metrics answers only to it.
func TestMetricsEndpointToken(t *testing.T) {
	s := startOpsServer(t, directorytest.Open(t, directory.SQLite, directory.Options{}), nil)
	for _, token := range []string{"", "wrong-token-of-some-length", strings.ToUpper(s.deps.MetricsToken)} {
		if status, body := s.do("GET", "/metrics", token, ""); status != http.StatusUnauthorized || strings.Contains(body, "roster_") {
			t.Errorf("/metrics with %q = %d", token, status)
		}
	}
	if status, body := s.do("GET", "/metrics", s.deps.MetricsToken, ""); status != 200 || !strings.Contains(body, "roster_http_requests_total") {
		t.Errorf("/metrics with the token = %d", status)
	}
}

// TestSCIMConnectionRateLimitFlags sets, shows and resets a connection's
// rate limit from the command line.
func TestSCIMConnectionRateLimitFlags(t *testing.T) {
	cleanEnv(t)
	t.Setenv(envDatabaseURL, directorytest.DatabaseURL(t, directory.SQLite))
	if res := runRoster(t, "", "workspace", "create", "--name", "Acme", "--owner", "ada@acme.example"); res.code != 0 {
		t.Fatalf("workspace create: %s", res.stderr)
	}
	if res := runRoster(t, "", "scim", "connection", "create", "--workspace", "acme", "--profile", "okta"); res.code != 0 {
		t.Fatalf("connection create: %s", res.stderr)
	}
	res := runRoster(t, "", "scim", "connection", "update", "--workspace", "acme", "--rate-limit", "7.5", "--rate-burst", "15")
	if res.code != 0 || !strings.Contains(res.stdout, "7.5/s, burst 15") {
		t.Fatalf("update: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	resetFlags(t, "scim", "connection", "update")
	res = runRoster(t, "", "scim", "connection", "update", "--workspace", "acme", "--profile", "entra", "-o", "json")
	if res.code != 0 || !strings.Contains(res.stdout, `"rate_limit_per_second": 7.5`) || !strings.Contains(res.stdout, `"rate_limit_burst": 15`) {
		t.Errorf("an update without the flags changed the limit: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	resetFlags(t, "scim", "connection", "update")
	res = runRoster(t, "", "scim", "connection", "update", "--workspace", "acme", "--rate-limit", "0", "--rate-burst", "0")
	if res.code != 0 || !strings.Contains(res.stdout, "server default, burst server default") {
		t.Errorf("reset: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	resetFlags(t, "scim", "connection", "update")
	if res := runRoster(t, "", "scim", "connection", "update", "--workspace", "acme", "--rate-limit", "-3"); res.code != 2 {
		t.Errorf("negative rate: exit %d, want 2 (usage)\n%s", res.code, res.stderr)
	}
}
