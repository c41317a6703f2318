package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// decodeStrict decodes -o json output, refusing any field the admin API's
// wire type lacks.
func decodeStrict(t *testing.T, out string, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(out)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
}

// TestOutputDurationsAreSeconds checks that the commands working on the
// database print the admin API's wire types, durations in seconds.
func TestOutputDurationsAreSeconds(t *testing.T) {
	cleanEnv(t)
	t.Setenv(envDatabaseURL, directorytest.DatabaseURL(t, directory.SQLite))
	if res := runRoster(t, "", "workspace", "create", "--name", "Acme", "--owner", "ada@acme.example"); res.code != 0 {
		t.Fatalf("workspace create: %s", res.stderr)
	}
	res := runRoster(t, "", "workspace", "list", "-o", "json")
	var list []admin.Workspace
	decodeStrict(t, res.stdout, &list)
	if len(list) != 1 || list[0].InvitationTTLSeconds != 7*86400 {
		t.Errorf("workspace list -o json = %s", res.stdout)
	}

	res = runRoster(t, "", "scim", "connection", "create", "--workspace", "acme", "--profile", "okta", "--log-retention", "2d",
		"--base-url", "https://roster.example", "-o", "json")
	if res.code != 0 {
		t.Fatalf("connection create: %s", res.stderr)
	}
	res = runRoster(t, "", "scim", "connection", "show", "--workspace", "acme", "--base-url", "https://roster.example", "-o", "json")
	var conn admin.SCIMConnection
	decodeStrict(t, res.stdout, &conn)
	if conn.LogRetentionSeconds != 2*86400 || conn.Endpoint != "https://roster.example/scim/v2" || conn.WorkspaceSlug != "acme" {
		t.Errorf("scim connection show -o json = %s", res.stdout)
	}
}
