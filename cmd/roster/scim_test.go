package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

func TestSCIMCommands(t *testing.T) {
	for _, backend := range directorytest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			cleanEnv(t)
			db := directorytest.DatabaseURL(t, backend)
			t.Setenv(envDatabaseURL, db)
			if res := runRoster(t, "", "workspace", "create", "--name", "Acme", "--owner", "ada@acme.example"); res.code != 0 {
				t.Fatalf("workspace create: %s", res.stderr)
			}
			res := runRoster(t, "", "scim", "connection", "create", "--workspace", "acme", "--profile", "entra", "--team-role", "Admins=admin",
				"--send-invitations=false", "--base-url", "https://roster.example", "-o", "json")
			var created scimTokenResult
			if err := json.Unmarshal([]byte(res.stdout), &created); err != nil || res.code != 0 {
				t.Fatalf("connection create: exit %d %v\n%s%s", res.code, err, res.stdout, res.stderr)
			}
			if created.BaseURL != "https://roster.example/scim/v2" || created.Token == "" || created.Connection.Profile != "entra" ||
				created.Connection.SendInvitations || created.Connection.TeamRoles["Admins"] != "admin" {
				t.Errorf("connection create: %+v", created)
			}
			if res := runRoster(t, "", "scim", "connection", "create", "--workspace", "acme", "--profile", "okta"); res.code != 1 || !strings.Contains(res.stderr, "already has") {
				t.Errorf("second connection: exit %d %s", res.code, res.stderr)
			}
			if res := runRoster(t, "", "scim", "connection", "create", "--workspace", "acme", "--profile", "azure"); res.code != 2 {
				t.Errorf("bad profile: exit %d, want 2 (usage)", res.code)
			}
			res = runRoster(t, "", "scim", "connection", "update", "--workspace", "acme", "--profile", "okta")
			if res.code != 0 || !strings.Contains(res.stdout, "okta") || !strings.Contains(res.stdout, "Admins=admin") {
				t.Errorf("connection update: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}

			res = runRoster(t, "", "scim", "token", "create", "--workspace", "acme", "--expires", "90d")
			if res.code != 0 || !strings.Contains(res.stdout, "SCIM base URL:  http://127.0.0.1:8080/scim/v2") || !strings.Contains(res.stdout, "shown only now") {
				t.Fatalf("token create: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			if res := runRoster(t, "", "scim", "token", "create", "--workspace", "acme", "--expires", "soon"); res.code != 2 {
				t.Errorf("bad --expires: exit %d, want 2", res.code)
			}
			res = runRoster(t, "", "scim", "token", "list", "-o", "json")
			var tokens []admin.SCIMToken
			if err := json.Unmarshal([]byte(res.stdout), &tokens); err != nil || len(tokens) != 2 {
				t.Fatalf("token list: %v\n%s", err, res.stdout)
			}
			if res := runRoster(t, "", "scim", "token", "revoke", "--workspace", "acme", created.TokenInfo.ID); res.code != 0 || !strings.Contains(res.stdout, "Revoked:") {
				t.Errorf("token revoke: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			res = runRoster(t, "", "scim", "token", "list", "--workspace", "acme")
			if res.code != 0 || !strings.Contains(res.stdout, "revoked") || !strings.Contains(res.stdout, "active") || strings.Contains(res.stdout, created.Token) {
				t.Errorf("token list: exit %d\n%s", res.code, res.stdout)
			}

			d, err := directory.Open(context.Background(), db, directory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			conn, _ := d.GetSCIMConnection(context.Background(), directory.Operator(), "acme")
			ws, _ := d.GetWorkspace(context.Background(), directory.Operator(), "acme")
			if err := d.RecordSCIMRequests(context.Background(), []directory.SCIMRequest{{ConnectionID: conn.ID, WorkspaceID: ws.ID, Method: "POST", Path: "/Users",
				Status: 201, Action: "invited jane@acme.example", Duration: 3 * time.Millisecond, CreatedAt: time.Now()}}); err != nil {
				t.Fatal(err)
			}
			res = runRoster(t, "", "scim", "log", "--workspace", "acme")
			if res.code != 0 || !strings.Contains(res.stdout, "invited jane@acme.example") || !strings.Contains(res.stdout, "201") {
				t.Errorf("scim log: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			res = runRoster(t, "", "scim", "log", "--workspace", "acme", "-o", "json")
			var log []admin.SCIMRequest
			if err := json.Unmarshal([]byte(res.stdout), &log); err != nil || len(log) != 1 {
				t.Errorf("scim log -o json: %v\n%s", err, res.stdout)
			}
		})
	}
}

func TestSCIMIsMounted(t *testing.T) {
	d := directorytest.Open(t, directory.SQLite, directory.Options{})
	ctx := context.Background()
	if _, _, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Acme", Slug: "acme", OwnerEmail: "o@acme.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateSCIMConnection(ctx, directory.Operator(), "acme", directory.SCIMConnectionRequest{}); err != nil {
		t.Fatal(err)
	}
	_, token, _ := d.CreateSCIMToken(ctx, directory.Operator(), "acme", directory.SCIMTokenRequest{})
	h, err := newHandler(serverDeps{Dir: d, BaseURL: "https://roster.example", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/scim/v2/Users", strings.NewReader(`{"userName":"jane@acme.example"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || !strings.HasPrefix(res.Header.Get("Location"), "https://roster.example/scim/v2/Users/") {
		t.Errorf("POST /scim/v2/Users: %d %s %s", res.StatusCode, res.Header.Get("Location"), body)
	}
}

// TestSCIMRequestLogFlushedOnShutdown stops the server right after a SCIM
// request, well inside the request log's flush interval: the entry must
// still be in the log, because serve flushes front doors on stop.
func TestSCIMRequestLogFlushedOnShutdown(t *testing.T) {
	cleanEnv(t)
	db := directorytest.DatabaseURL(t, directory.SQLite)
	t.Setenv(envDatabaseURL, db)
	if res := runRoster(t, "", "workspace", "create", "--name", "Acme", "--owner", "ada@acme.example"); res.code != 0 {
		t.Fatalf("workspace create: %s", res.stderr)
	}
	res := runRoster(t, "", "scim", "connection", "create", "--workspace", "acme", "-o", "json")
	var created scimTokenResult
	if err := json.Unmarshal([]byte(res.stdout), &created); err != nil {
		t.Fatalf("connection create: %v\n%s%s", err, res.stdout, res.stderr)
	}
	s := startServe(t, "--addr", "127.0.0.1:0")
	if code, body := s.get(t, "/scim/v2/Users?filter="+url.QueryEscape(`userName eq "nobody@acme.example"`), "Authorization", "Bearer "+created.Token); code != http.StatusOK {
		t.Fatalf("GET /scim/v2/Users: %d %s", code, body)
	}
	if res := s.shutdown(t); res.code != 0 {
		t.Fatalf("serve exited %d: %s", res.code, res.stderr)
	}
	res = runRoster(t, "", "scim", "log", "--workspace", "acme", "-o", "json")
	var log []admin.SCIMRequest
	if err := json.Unmarshal([]byte(res.stdout), &log); err != nil || len(log) != 1 || !strings.HasPrefix(log[0].Path, "/Users") {
		t.Errorf("request log after shutdown = %+v (%v)\n%s", log, err, res.stdout)
	}
}
