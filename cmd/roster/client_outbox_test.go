package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/seal"
)

// The operator lists a message that failed for good, with why, retries it
// (the server's worker then sends it) and discards another, through the
// CLI against a running server; -o json decodes to the API's types.
func TestOutboxCommands(t *testing.T) {
	for _, backend := range directorytest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			cleanEnv(t)
			for _, v := range []string{envServer, envKey, envWorkspace, envOperatorKey, envOperatorKeyFile, envOIDCProviders, envOIDCProvidersFile} {
				t.Setenv(v, "")
			}
			ctx := context.Background()
			in := startInbox(t)
			dbURL := directorytest.DatabaseURL(t, backend)
			t.Setenv(envDatabaseURL, dbURL)
			d, err := directory.Open(ctx, dbURL, directory.Options{BaseURL: "https://roster.example"})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			op := directory.Operator()
			for _, slug := range []string{"acme", "globex"} {
				if _, _, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: slug, Slug: slug, OwnerEmail: "owner@" + slug + ".example"}); err != nil {
					t.Fatal(err)
				}
			}
			// Both owner invitations fail for good before any server runs,
			// as if the relay had refused them.
			msgs, err := d.ClaimOutbox(ctx, directory.OutboxEmail, 10, time.Minute)
			if err != nil || len(msgs) != 2 {
				t.Fatalf("claim: %v %+v", err, msgs)
			}
			for _, m := range msgs {
				if err := d.FailOutbox(ctx, m.ID, "smtp: 550 5.1.1 mailbox unavailable", time.Now(), true, nil); err != nil {
					t.Fatal(err)
				}
			}

			operatorKey := strings.Repeat("k", 32)
			t.Setenv(envOperatorKey, operatorKey)
			t.Setenv(envAddr, "127.0.0.1:0")
			t.Setenv(envSecretKey, seal.NewKey())
			t.Setenv(envSMTPURL, "smtp://127.0.0.1:"+strconv.Itoa(in.port)+"?tls=none&from=roster@roster.example&timeout=5s")
			s := startServe(t)
			t.Setenv(envServer, "http://"+s.addr)
			t.Setenv(envKey, operatorKey)

			res := mustRun(t, 0, "", "outbox", "list", "--status", "failed", "-o", "json")
			var failed []admin.OutboxMessage
			if err := json.Unmarshal([]byte(res.stdout), &failed); err != nil {
				t.Fatalf("decode %q: %v", res.stdout, err)
			}
			if len(failed) != 2 {
				t.Fatalf("failed = %+v", failed)
			}
			byWS := map[string]admin.OutboxMessage{}
			for _, m := range failed {
				byWS[m.Workspace] = m
				if m.Kind != "email" || m.Status != "failed" || m.Attempts != 1 || m.Template != "invitation" ||
					!strings.Contains(m.LastError, "550 5.1.1") || m.NextAttemptAt != nil || len(m.To) != 1 || m.To[0] != "owner@"+m.Workspace+".example" {
					t.Errorf("failed message = %+v", m)
				}
			}
			if strings.Contains(res.stdout, "/invite/") {
				t.Errorf("the listing shows an invitation link:\n%s", res.stdout)
			}
			table := mustRun(t, 0, "", "outbox", "list", "--status", "failed", "--in", "acme")
			if !strings.Contains(table.stdout, "550 5.1.1") || !strings.Contains(table.stdout, "owner@acme.example") || strings.Contains(table.stdout, "globex") {
				t.Errorf("table:\n%s", table.stdout)
			}

			// Retried, acme's invitation goes out through the server's worker.
			res = mustRun(t, 0, "", "outbox", "retry", strconv.FormatInt(byWS["acme"].ID, 10), "-o", "json")
			var retried admin.OutboxMessage
			if err := json.Unmarshal([]byte(res.stdout), &retried); err != nil || retried.Status != "pending" || retried.Attempts != 1 {
				t.Errorf("retry: %v %+v", err, retried)
			}
			in.waitFor(t, "owner@acme.example", "acme")

			// Discarded, globex's is never sent; retrying it is a conflict.
			res = mustRun(t, 0, "", "outbox", "discard", strconv.FormatInt(byWS["globex"].ID, 10), "-o", "json")
			var discarded admin.OutboxMessage
			if err := json.Unmarshal([]byte(res.stdout), &discarded); err != nil || discarded.Status != "discarded" {
				t.Errorf("discard: %v %+v", err, discarded)
			}
			if res := mustRun(t, 1, "", "outbox", "retry", strconv.FormatInt(byWS["globex"].ID, 10)); !strings.Contains(res.stderr, "discarded") {
				t.Errorf("retrying a discarded message said:\n%s", res.stderr)
			}
			res = mustRun(t, 0, "", "outbox", "list", "--status", "discarded", "-o", "json")
			var list []admin.OutboxMessage
			if err := json.Unmarshal([]byte(res.stdout), &list); err != nil || len(list) != 1 || list[0].ID != byWS["globex"].ID {
				t.Errorf("discarded: %v %+v", err, list)
			}
		})
	}
}
