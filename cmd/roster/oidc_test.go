package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// TestOIDCConnectionCommands creates and lists a connection through the
// CLI on an embedded database, and checks the secret is sealed with the
// key file next to it.
func TestOIDCConnectionCommands(t *testing.T) {
	t.Setenv(envSecretKey, "")
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	ctx := context.Background()
	d, err := directory.Open(ctx, dbURL, directory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Acme", OwnerEmail: "o@acme.example"}); err != nil {
		t.Fatal(err)
	}
	d.Close()

	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		rootCmd.SetOut(&out)
		rootCmd.SetErr(&out)
		rootCmd.SetArgs(args)
		err := rootCmd.ExecuteContext(ctx)
		return out.String(), err
	}
	out, err := run("oidc", "connection", "create", "--database-url", dbURL, "--workspace", "acme", "--kind", "entra",
		"--tenant", "72f988bf-86f1-41af-91ab-2d7cd011db47", "--client-id", "app", "--client-secret", "s3cret", "--domains", "acme.example,Acme.Example", "-o", "json")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	var c admin.OIDCConnection
	if err := json.Unmarshal([]byte(out), &c); err != nil {
		t.Fatalf("create output: %v\n%s", err, out)
	}
	if c.Issuer != "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0" || len(c.Domains) != 1 || strings.Contains(out, "s3cret") {
		t.Errorf("created %s", out)
	}
	box, err := loadSecretKey(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	d, err = directory.Open(ctx, dbURL, directory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := d.OIDCConnectionByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := got.ClientSecret(box); err != nil || s != "s3cret" {
		t.Errorf("secret = %q, %v", s, err)
	}

	out, err = run("oidc", "connection", "list", "--database-url", dbURL)
	if err != nil || !strings.Contains(out, "acme") || !strings.Contains(out, "entra") || strings.Contains(out, "s3cret") {
		t.Errorf("list: %v\n%s", err, out)
	}
	// Flag values persist between runs of rootCmd, so the refusal uses a
	// flag no earlier run set.
	_, err = run("oidc", "connection", "create", "--database-url", dbURL, "--workspace", "acme", "--kind", "google", "--client-id", "a", "--client-secret", "b")
	var ee *exitError
	if err == nil || !asExit(err, &ee) || ee.code != 2 {
		t.Errorf("google without hd: err = %v, want a usage error", err)
	}
}

func asExit(err error, target **exitError) bool {
	e, ok := err.(*exitError)
	if ok {
		*target = e
	}
	return ok
}

// TestMountOIDC mounts the sign-in pages with server-wide providers from
// the environment, and refuses a malformed provider list at start-up.
func TestMountOIDC(t *testing.T) {
	d := directorytest.Open(t, directory.SQLite, directory.Options{})
	box, err := loadSecretKey("sqlite::memory:")
	if err != nil {
		t.Fatal(err)
	}
	deps := serverDeps{Dir: d, Box: box, BaseURL: "http://127.0.0.1:1", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	t.Setenv(envOIDCProviders, `[{"key":"social","name":"Social","issuer":"https://social.example","client_id":"a","client_secret":"b"}]`)
	mux := http.NewServeMux()
	if err := mountOIDC(mux, deps); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Work email") {
		t.Errorf("/login = %d", rec.Code)
	}
	t.Setenv(envOIDCProviders, `[{"key":"social"}]`)
	if err := mountOIDC(http.NewServeMux(), deps); err == nil {
		t.Error("a provider without client credentials was accepted")
	}
}

// resetFlags puts back the defaults of the flags of the command args name:
// rootCmd is shared by every run of a test, and flags keep their values
// (and Changed) between runs.
func resetFlags(t *testing.T, args ...string) {
	t.Helper()
	cmd, _, err := rootCmd.Find(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			sv.Replace(nil)
		} else {
			f.Value.Set(f.DefValue)
		}
		f.Changed = false
	})
}

// TestOIDCConnectionUpdateDeleteCommands rotates a connection's secret and
// changes its domains through the CLI, then deletes it.
func TestOIDCConnectionUpdateDeleteCommands(t *testing.T) {
	t.Setenv(envSecretKey, "")
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "roster.db")
	ctx := context.Background()
	d, err := directory.Open(ctx, dbURL, directory.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, _, err := d.CreateWorkspace(ctx, directory.Operator(), directory.CreateWorkspaceRequest{Name: "Acme", OwnerEmail: "o@acme.example"}); err != nil {
		t.Fatal(err)
	}
	box, err := loadSecretKey(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.CreateOIDCConnection(ctx, directory.Operator(), "acme", box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "app", ClientSecret: "old"})
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		t.Helper()
		resetFlags(t, args...)
		var out bytes.Buffer
		rootCmd.SetOut(&out)
		rootCmd.SetErr(&out)
		rootCmd.SetArgs(args)
		err := rootCmd.ExecuteContext(ctx)
		return out.String(), err
	}
	wantUsage := func(name string, err error) {
		t.Helper()
		var ee *exitError
		if err == nil || !asExit(err, &ee) || ee.code != 2 {
			t.Errorf("%s: err = %v, want a usage error", name, err)
		}
	}

	out, err := run("oidc", "connection", "update", "--database-url", dbURL, "--workspace", "acme", c.ID,
		"--client-secret", "n3w-secret", "--domains", "Acme.Example,sub.acme.example", "-o", "json")
	if err != nil {
		t.Fatalf("update: %v\n%s", err, out)
	}
	var got admin.OIDCConnection
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("update output: %v\n%s", err, out)
	}
	if strings.Join(got.Domains, ",") != "acme.example,sub.acme.example" || got.Issuer != c.Issuer || got.ClientID != "app" || strings.Contains(out, "n3w-secret") {
		t.Errorf("updated: %s", out)
	}
	stored, err := d.OIDCConnectionByID(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := stored.ClientSecret(box); err != nil || s != "n3w-secret" {
		t.Errorf("rotated secret = %q, %v", s, err)
	}

	// "-" reads the secret from standard input, out of the process list.
	rootCmd.SetIn(strings.NewReader("fr0m-stdin\n"))
	if out, err := run("oidc", "connection", "update", "--database-url", dbURL, "--workspace", "acme", c.ID, "--client-secret", "-"); err != nil {
		t.Fatalf("update from stdin: %v\n%s", err, out)
	}
	if stored, err := d.OIDCConnectionByID(ctx, c.ID); err != nil {
		t.Fatal(err)
	} else if s, err := stored.ClientSecret(box); err != nil || s != "fr0m-stdin" {
		t.Errorf("secret read from stdin = %q, %v", s, err)
	}
	rootCmd.SetIn(strings.NewReader(""))
	_, err = run("oidc", "connection", "update", "--database-url", dbURL, "--workspace", "acme", c.ID, "--client-secret", "-")
	wantUsage("empty secret on stdin", err)

	// Refusals: nothing to change, an entra switch without a tenant, an
	// unknown connection.
	_, err = run("oidc", "connection", "update", "--database-url", dbURL, "--workspace", "acme", c.ID)
	wantUsage("nothing to change", err)
	_, err = run("oidc", "connection", "update", "--database-url", dbURL, "--workspace", "acme", c.ID, "--kind", "entra")
	wantUsage("entra without tenant", err)
	_, err = run("oidc", "connection", "update", "--database-url", dbURL, "--workspace", "acme", "no-such-id", "--name", "x")
	var ee *exitError
	if err == nil || !asExit(err, &ee) || ee.code != 1 || !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("unknown id: err = %v, want not found (exit 1)", err)
	}
	_, err = run("oidc", "connection", "delete", "--database-url", dbURL, c.ID)
	wantUsage("delete without workspace", err)

	out, err = run("oidc", "connection", "delete", "--database-url", dbURL, "--workspace", "acme", c.ID)
	if err != nil || !strings.Contains(out, c.ID) {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	if _, err := d.OIDCConnectionByID(ctx, c.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("after delete: err = %v", err)
	}
	out, err = run("oidc", "connection", "list", "--database-url", dbURL)
	if err != nil || strings.Contains(out, c.ID) {
		t.Errorf("list after delete: %v\n%s", err, out)
	}
}
