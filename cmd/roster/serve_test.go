package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/seal"
)

// server is a `roster serve` running in-process for a test.
type server struct {
	addr string
	logs *syncBuffer
	done chan result
	stop context.CancelFunc
}

// startServe runs `roster serve args...` until the test ends, and waits
// until it listens.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{logs: &syncBuffer{}, done: make(chan result, 1), stop: cancel}
	go func() { s.done <- runRosterContext(ctx, t, "", s.logs, append([]string{"serve"}, args...)...) }()
	// Text or JSON logs.
	listening := regexp.MustCompile(`"roster listening"(?:,"addr":"| addr=)([^" ]+)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(s.logs.String()); m != nil {
			s.addr = m[1]
			t.Cleanup(func() { s.shutdown(t) })
			return s
		}
		select {
		case res := <-s.done:
			t.Fatalf("serve exited %d before listening:\n%s", res.code, res.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("serve did not listen within 30s:\n%s", s.logs)
	return nil
}

// shutdown stops the server as SIGTERM would and returns how it exited.
func (s *server) shutdown(t *testing.T) result {
	t.Helper()
	s.stop()
	select {
	case res := <-s.done:
		s.done <- res // a later call (the cleanup) sees it too
		return res
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not stop within 30s")
		return result{}
	}
}

func (s *server) get(t *testing.T, path string, header ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+s.addr+path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitLog waits for the server's log to contain want.
func (s *server) waitLog(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(s.logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never showed %q:\n%s", want, s.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mount adds a front door to serve.go's list for the duration of the
// test.
func mount(t *testing.T, m func(mux *http.ServeMux, deps serverDeps) error) {
	saved := mounts
	mounts = append(append([]func(*http.ServeMux, serverDeps) error(nil), mounts...), m)
	t.Cleanup(func() { mounts = saved })
}

// createWorkspace makes a workspace directly in the server's database, as
// `roster workspace create` does from another process.
func createWorkspace(t *testing.T, dbURL, baseURL string) directory.InviteOutcome {
	t.Helper()
	ctx := context.Background()
	d, err := directory.Open(ctx, dbURL, directory.Options{BaseURL: baseURL})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, owner, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Acme Corp", OwnerEmail: "ada@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	return owner
}

func TestServeFirstRun(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	dbURL := "sqlite:" + filepath.Join(dir, "roster.db")
	var got serverDeps
	mount(t, func(mux *http.ServeMux, deps serverDeps) error {
		got = deps
		mux.HandleFunc("GET /t/join/{token}", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "joined")
		})
		return nil
	})
	s := startServe(t, "--addr", "127.0.0.1:0", "--database-url", dbURL, "--dev", "--log-level", "debug")

	if got.Dir == nil || got.Box == nil || got.Logger == nil || !got.Dev || got.BaseURL != "http://"+s.addr {
		t.Errorf("mount got deps %+v, want all set and base URL http://%s", got, s.addr)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := s.get(t, p); code != 200 || body != "ok\n" {
			t.Errorf("GET %s = %d %q", p, code, body)
		}
	}
	code, body := s.get(t, "/t/join/TOKEN-IN-PATH?code=TOKEN-IN-QUERY", "Authorization", "Bearer TOKEN-IN-HEADER")
	if code != 200 || body != "joined" {
		t.Errorf("mounted route answered %d %q", code, body)
	}
	if code, _ := s.get(t, "/nowhere"); code != 404 {
		t.Errorf("unknown path answered %d", code)
	}
	s.waitLog(t, "path=/nowhere")
	logs := s.logs.String()
	if !regexp.MustCompile(`msg=request method=GET path=/t/join/REDACTED status=200 duration=\S+ bytes=6`).MatchString(logs) {
		t.Errorf("no request line for the mounted route:\n%s", logs)
	}
	if strings.Contains(logs, "TOKEN-IN") {
		t.Errorf("a token reached the log:\n%s", logs)
	}

	// The worker runs: the owner's invitation is "sent" to the log, link
	// and all, so a first run can be followed by hand.
	owner := createWorkspace(t, dbURL, got.BaseURL)
	s.waitLog(t, owner.Link)
	s.waitLog(t, `"outbox message delivered"`)

	// The embedded default keeps its key next to its database.
	info, err := os.Stat(filepath.Join(dir, "roster.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", info, err)
	}
	keys, _ := seal.LoadOrCreateKeyFile(filepath.Join(dir, "roster.key"))
	box, _ := seal.New(keys...)
	if v, err := box.Open(got.Box.Seal([]byte("x"), "test"), "test"); err != nil || string(v) != "x" {
		t.Errorf("the server's box is not the key file's: %v", err)
	}

	res := s.shutdown(t)
	if res.code != 0 || !strings.Contains(res.stderr, `msg="shutting down"`) || !strings.Contains(res.stderr, "msg=stopped") {
		t.Errorf("shutdown: exit %d\n%s", res.code, res.stderr)
	}
	if _, err := net.DialTimeout("tcp", s.addr, time.Second); err == nil {
		t.Errorf("still listening after shutdown")
	}
}

// With every setting from the environment, as a deployment would run it:
// PostgreSQL (when available), a secret key, SMTP, JSON logs.
func TestServeFromEnvironment(t *testing.T) {
	for _, backend := range directorytest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			cleanEnv(t)
			in := startInbox(t)
			dbURL := directorytest.DatabaseURL(t, backend)
			t.Setenv(envDatabaseURL, dbURL)
			t.Setenv(envAddr, "127.0.0.1:0")
			t.Setenv(envBaseURL, "https://roster.example/")
			t.Setenv(envSecretKey, seal.NewKey()+","+seal.NewKey())
			t.Setenv(envSMTPURL, "smtp://127.0.0.1:"+strconv.Itoa(in.port)+"?tls=none&from=roster@roster.example&timeout=5s")
			t.Setenv(envLogFormat, "json")
			s := startServe(t)
			if code, _ := s.get(t, "/readyz"); code != 200 {
				t.Errorf("readyz = %d", code)
			}
			owner := createWorkspace(t, dbURL, "https://roster.example")
			if !strings.HasPrefix(owner.Link, "https://roster.example/invite/") {
				t.Errorf("link %s", owner.Link)
			}
			in.waitFor(t, "ada@acme.example", "Acme Corp")
			if got := in.all(); len(got) != 1 || strings.Join(got[0].to, " ") != "ada@acme.example" {
				t.Errorf("inbox got %+v", got)
			}
			res := s.shutdown(t)
			if res.code != 0 {
				t.Fatalf("exit %d\n%s", res.code, res.stderr)
			}
			// JSON logs, one object a line; the link went by mail, not to the log.
			for _, line := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
				var rec map[string]any
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Errorf("log line is not JSON: %q", line)
				}
			}
			if strings.Contains(res.stderr, owner.Link) || !strings.Contains(res.stderr, `"base_url":"https://roster.example"`) {
				t.Errorf("log:\n%s", res.stderr)
			}
		})
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	cleanEnv(t)
	sqlite := "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		err  string
	}{
		{"postgres without a key", nil, []string{"--database-url", "postgres://postgres@127.0.0.1:5432/x"}, 2, envSecretKey + " is required with postgres"},
		{"malformed key", map[string]string{envSecretKey: "c2hvcnQ="}, []string{"--database-url", sqlite}, 2, "key is 5 bytes"},
		{"bad SMTP URL", nil, []string{"--database-url", sqlite, "--smtp-url", "http://mail.example"}, 2, "not smtp or smtps"},
		{"bad SCIM cache switch", map[string]string{envSCIMAuthCache: "maybe"}, []string{"--database-url", sqlite}, 2, envSCIMAuthCache + `="maybe": want on or off`},
		{"bad log format", nil, []string{"--database-url", sqlite, "--log-format", "xml"}, 2, `--log-format "xml"`},
		{"address in use", nil, []string{"--database-url", sqlite, "--addr", busy.Addr().String()}, 1, "listen on " + busy.Addr().String()},
		{"stray argument", nil, []string{"now"}, 2, "unknown command"},
		{"bad SCIM rate limit", map[string]string{envSCIMRateLimit: "fast"}, []string{"--database-url", sqlite}, 2, `--scim-rate-limit: want requests per second`},
		{"bad SCIM burst", nil, []string{"--database-url", sqlite, "--scim-rate-burst", "-1"}, 2, `--scim-rate-burst: want a number`},
		{"short metrics token", map[string]string{envMetricsToken: "short"}, []string{"--database-url", sqlite}, 2, "metrics token must be at least 16"},
		{"development sign-in without --dev", nil, []string{"--database-url", sqlite, "--dev-idp"}, 2, "--dev-idp signs anyone in as any address, so it runs only with --dev"},
		{"statistics checked too often", nil, []string{"--database-url", sqlite, "--analyze-every", "5ms"}, 2, "--analyze-every: want a duration of at least 1s, or 0"},
		{"statistics interval unreadable", map[string]string{envAnalyzeEvery: "often"}, []string{"--database-url", sqlite}, 2, `--analyze-every: want a duration of at least 1s, or 0 for never (default 30s), got "often"`},
		{"metrics address in use", nil, []string{"--database-url", sqlite, "--metrics-addr", busy.Addr().String()}, 1, "(metrics)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			res := runRoster(t, "", append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)...)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.err) {
				t.Errorf("exit %d, stderr %q; want %d and %q", res.code, res.stderr, tt.code, tt.err)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	d := directorytest.Open(t, directory.SQLite, directory.Options{})
	deps := serverDeps{Dir: d, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

	t.Run("two front doors claiming one route", func(t *testing.T) {
		route := func(mux *http.ServeMux, _ serverDeps) error {
			mux.HandleFunc("GET /scim/v2/Users", func(http.ResponseWriter, *http.Request) {})
			return nil
		}
		mount(t, route)
		mount(t, route)
		if _, err := newHandler(deps); err == nil || !strings.Contains(err.Error(), "mount routes") {
			t.Errorf("err = %v, want a conflict", err)
		}
	})

	t.Run("readyz fails without the database", func(t *testing.T) {
		d := directorytest.Open(t, directory.SQLite, directory.Options{})
		h, err := newHandler(serverDeps{Dir: d, Logger: deps.Logger})
		if err != nil {
			t.Fatal(err)
		}
		d.Close()
		for path, want := range map[string]int{"/healthz": 200, "/readyz": 503} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if rec.Code != want {
				t.Errorf("%s = %d, want %d", path, rec.Code, want)
			}
		}
	})
}

func TestRedactPath(t *testing.T) {
	tests := map[string]string{
		"/invite/abc123":             "/invite/REDACTED",
		"/invite/abc123/accept":      "/invite/REDACTED",
		"/join/abc":                  "/join/REDACTED",
		"/setup/tok/scim/requests":   "/setup/REDACTED",
		"/w/acme/join/abc":           "/w/acme/join/REDACTED",
		"/invite/":                   "/invite/",
		"/invitations/01a2":          "/invitations/01a2",
		"/scim/v2/Users/01a2":        "/scim/v2/Users/01a2",
		"/admin/v1/workspaces/acme/": "/admin/v1/workspaces/acme/",
	}
	for in, want := range tests {
		if got := redactPath(in); got != want {
			t.Errorf("redactPath(%q) = %q, want %q", in, got, want)
		}
	}
}
