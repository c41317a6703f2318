package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
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
	var c directory.OIDCConnection
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
