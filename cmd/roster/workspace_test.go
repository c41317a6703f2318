package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// cleanEnv clears the variables the commands read, so the developer's own
// settings do not leak into a test.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, v := range []string{envAddr, envDatabaseURL, envBaseURL, envSMTPURL, envSecretKey, envLogFormat, envLogLevel, envSCIMAuthCache, envAnalyzeEvery} {
		t.Setenv(v, "")
	}
}

var linkPattern = regexp.MustCompile(`https?://\S+/invite/([A-Za-z0-9_-]+)`)

func TestBootstrapCommands(t *testing.T) {
	for _, backend := range directorytest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			cleanEnv(t)
			db := directorytest.DatabaseURL(t, backend)
			// The database also comes from the environment, as in a deployment.
			t.Setenv(envDatabaseURL, db)

			res := runRoster(t, "", "workspace", "create", "--name", "Acme Corp", "--owner", "Ada@Acme.example", "--seat-limit", "5",
				"--base-url", "https://roster.example/")
			if res.code != 0 {
				t.Fatalf("workspace create: exit %d\n%s", res.code, res.stderr)
			}
			for _, want := range []string{"Workspace:", "acme-corp", "Seat limit:  5", "ada@acme.example", "https://roster.example/invite/"} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("workspace create output lacks %q:\n%s", want, res.stdout)
				}
			}
			ownerToken := linkPattern.FindStringSubmatch(res.stdout)

			res = runRoster(t, "", "workspace", "create", "--name", "Acme Corp", "--owner", "x@acme.example", "-o", "json")
			if res.code != 1 || !strings.Contains(res.stderr, "taken") {
				t.Errorf("duplicate workspace: exit %d, stderr %q", res.code, res.stderr)
			}
			res = runRoster(t, "", "workspace", "create", "--name", "Beta", "--slug", "beta", "--owner", "bo@beta.example", "-o", "json")
			var created struct {
				Workspace admin.Workspace     `json:"workspace"`
				Owner     admin.InviteOutcome `json:"owner"`
			}
			if err := json.Unmarshal([]byte(res.stdout), &created); err != nil || res.code != 0 {
				t.Fatalf("workspace create -o json: exit %d, %v\n%s", res.code, err, res.stdout)
			}
			if created.Workspace.Slug != "beta" || created.Owner.Email != "bo@beta.example" || !strings.HasPrefix(created.Owner.Link, "http://127.0.0.1:8080/invite/") {
				t.Errorf("created = %+v", created)
			}

			res = runRoster(t, "", "workspace", "list")
			if res.code != 0 || !regexp.MustCompile(`(?m)^SLUG +NAME +SEAT LIMIT +CREATED\nacme-corp +Acme Corp +5 +\S+ \S+\nbeta +Beta +unlimited`).MatchString(res.stdout) {
				t.Errorf("workspace list: exit %d\n%s", res.code, res.stdout)
			}

			// One outcome per address; the bad one fails the run, not the others.
			res = runRoster(t, "", "invite", "--workspace", "acme-corp", "--role", "member", "bob@acme.example", "not-an-address", "carl@acme.example")
			if res.code != 1 || !strings.Contains(res.stderr, "1 of 3 addresses were not invited") {
				t.Errorf("invite with a bad address: exit %d, stderr %q", res.code, res.stderr)
			}
			lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
			if len(lines) != 4 || !strings.HasPrefix(lines[0], "EMAIL") ||
				!regexp.MustCompile(`^bob@acme.example +invited +internal +http://127.0.0.1:8080/invite/`).MatchString(lines[1]) ||
				!regexp.MustCompile(`^not-an-address +invalid_address +- +.*not a valid email`).MatchString(lines[2]) ||
				!strings.HasPrefix(lines[3], "carl@acme.example") {
				t.Errorf("invite table:\n%s", res.stdout)
			}
			bobToken := linkPattern.FindStringSubmatch(lines[1])

			// Addresses from standard input, as JSON.
			res = runRoster(t, "Dee <dee@acme.example>; eve@acme.example\nbob@acme.example", "invite", "--workspace", "acme-corp", "--role", "collaborator", "-", "-o", "json")
			var outcomes []admin.InviteOutcome
			if err := json.Unmarshal([]byte(res.stdout), &outcomes); err != nil || res.code != 0 {
				t.Fatalf("invite from stdin: exit %d, %v\n%s%s", res.code, err, res.stdout, res.stderr)
			}
			if len(outcomes) != 3 || outcomes[0].Email != "dee@acme.example" || outcomes[0].Status != string(directory.OutcomeInvited) ||
				outcomes[2].Status != string(directory.OutcomeResent) {
				t.Errorf("outcomes = %+v", outcomes)
			}

			// Seat limit 5: owner, bob, carl, dee, eve are in; the sixth is refused.
			res = runRoster(t, "", "invite", "--workspace", "acme-corp", "--role", "member", "fay@acme.example")
			if res.code != 1 || !strings.Contains(res.stdout, "seat_limit") {
				t.Errorf("invite over the seat limit: exit %d\n%s", res.code, res.stdout)
			}

			// The printed links work.
			ctx := context.Background()
			d2, err := directory.Open(ctx, db, directory.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer d2.Close()
			if ownerToken == nil || bobToken == nil {
				t.Fatalf("no tokens printed")
			}
			if _, err := d2.AcceptInvitation(ctx, ownerToken[1], directory.VerifiedIdentity{Email: "ada@acme.example"}); err != nil {
				t.Errorf("accept the owner link: %v", err)
			}
			if _, err := d2.AcceptInvitation(ctx, bobToken[1], directory.VerifiedIdentity{Email: "bob@acme.example"}); err == nil {
				t.Errorf("bob's first link still works after the resend")
			}

			res = runRoster(t, "", "members", "list", "--workspace", "acme-corp")
			if res.code != 0 || len(strings.Split(strings.TrimSpace(res.stdout), "\n")) != 6 ||
				!regexp.MustCompile(`(?m)^ada@acme.example +Ada +owner \(main admin\) +active +internal +owner `).MatchString(res.stdout) {
				t.Errorf("members list: exit %d\n%s", res.code, res.stdout)
			}
			res = runRoster(t, "", "members", "list", "--workspace", "acme-corp", "--status", "active", "-o", "json")
			var members []admin.Member
			if err := json.Unmarshal([]byte(res.stdout), &members); err != nil || res.code != 0 {
				t.Fatalf("members list -o json: exit %d, %v\n%s", res.code, err, res.stdout)
			}
			if len(members) != 1 || members[0].Email != "ada@acme.example" {
				t.Errorf("active members = %+v", members)
			}
			// Another workspace's members never show.
			res = runRoster(t, "", "members", "list", "--workspace", "beta", "-o", "json")
			if res.code != 0 || strings.Contains(res.stdout, "acme.example") || !strings.Contains(res.stdout, "bo@beta.example") {
				t.Errorf("beta members: exit %d\n%s", res.code, res.stdout)
			}
			res = runRoster(t, "", "members", "list", "--workspace", "beta", "-o", "json", "--status", "suspended")
			if res.code != 0 || strings.TrimSpace(res.stdout) != "[]" {
				t.Errorf("no suspended members: exit %d, %q", res.code, res.stdout)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	cleanEnv(t)
	db := directorytest.DatabaseURL(t, directory.SQLite)
	if res := runRoster(t, "", "workspace", "create", "--database-url", db, "--name", "Acme", "--owner", "ada@acme.example"); res.code != 0 {
		t.Fatalf("setup: %s", res.stderr)
	}
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"members", "list", "--bogus"}, 2, "unknown flag: --bogus"},
		{"unknown output format", []string{"migrate", "-o", "yaml"}, 2, `unknown output format "yaml"`},
		{"missing required flag", []string{"workspace", "create", "--name", "X"}, 2, "--name and --owner are required"},
		{"no addresses", []string{"invite", "--workspace", "acme", "--role", "member"}, 2, "requires at least 1 arg"},
		{"stray argument", []string{"migrate", "now"}, 2, "unknown command"},
		{"invalid owner address", []string{"workspace", "create", "--name", "Beta", "--owner", "nobody"}, 2, "not a valid email"},
		{"unknown role", []string{"invite", "--workspace", "acme", "--role", "boss", "x@acme.example"}, 2, `unknown role "boss"`},
		{"unknown workspace", []string{"members", "list", "--workspace", "nope"}, 1, `workspace "nope": not found`},
		{"unknown status", []string{"members", "list", "--workspace", "acme", "--status", "gone"}, 2, `unknown status "gone"`},
		{"bad database URL", []string{"migrate", "--database-url", "sqlite:"}, 2, "names no SQLite file"},
		{"unreachable database", []string{"members", "list", "--workspace", "acme", "--database-url", "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}, 1, "open database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if args[0] != "frobnicate" && !strings.Contains(strings.Join(args, " "), "--database-url") {
				args = append(args, "--database-url", db)
			}
			res := runRoster(t, "", args...)
			if res.code != tt.code || !strings.Contains(res.stderr, tt.err) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", res.code, res.stderr, tt.code, tt.err)
			}
		})
	}
}

func TestMigrate(t *testing.T) {
	cleanEnv(t)
	for _, backend := range directorytest.Backends() {
		t.Run(string(backend), func(t *testing.T) {
			db := directorytest.DatabaseURL(t, backend)
			res := runRoster(t, "", "migrate", "--database-url", db)
			if res.code != 0 || res.stdout != string(backend)+" database is up to date\n" {
				t.Fatalf("migrate: exit %d, %q %s", res.code, res.stdout, res.stderr)
			}
			// Twice is fine, and the result is JSON with -o json.
			res = runRoster(t, "", "migrate", "--database-url", db, "-o", "json")
			var out map[string]string
			if err := json.Unmarshal([]byte(res.stdout), &out); err != nil || res.code != 0 || out["database"] != string(backend) {
				t.Errorf("migrate -o json: exit %d, %v, %q", res.code, err, res.stdout)
			}
			// The migrated database is usable by the other commands.
			if res := runRoster(t, "", "workspace", "list", "--database-url", db); res.code != 0 || !strings.HasPrefix(res.stdout, "SLUG") {
				t.Errorf("workspace list after migrate: exit %d %q", res.code, res.stdout)
			}
		})
	}
}
