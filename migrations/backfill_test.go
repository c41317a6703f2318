package migrations_test

import (
	"context"
	"io/fs"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/migrations"
)

// TestTeamSourceBackfill runs migration 9 over teams written before it:
// the teams a SCIM connection created (with an externalId or without one,
// as Okta pushes them) become the identity provider's, with that
// connection; the admin's stay Roster's, even one the IdP adopted.
func TestTeamSourceBackfill(t *testing.T) {
	directorytest.Run(t, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		op := directory.Operator()
		ws, inv, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Acme", Slug: "acme", OwnerEmail: "owner@acme.example"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.AcceptInvitation(ctx, inv.Token, directory.VerifiedIdentity{Email: "owner@acme.example"}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateSCIMConnection(ctx, op, ws.Slug, directory.SCIMConnectionRequest{Profile: "okta", DefaultRole: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		_, token, err := d.CreateSCIMToken(ctx, op, ws.Slug, directory.SCIMTokenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := d.AuthenticateSCIM(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		okta, _, err := d.SCIMCreateGroup(ctx, conn, directory.SCIMGroupInput{DisplayName: "Pushed by Okta"})
		if err != nil {
			t.Fatal(err)
		}
		ext := "entra-object-id"
		entra, _, err := d.SCIMCreateGroup(ctx, conn, directory.SCIMGroupInput{DisplayName: "Pushed with an externalId", ExternalID: &ext})
		if err != nil {
			t.Fatal(err)
		}
		local, err := d.CreateTeam(ctx, op, ws.Slug, directory.TeamRequest{Name: "Made by an admin"})
		if err != nil {
			t.Fatal(err)
		}
		// The IdP adopts the admin's team (gives it an externalId): it is
		// still the admin's.
		adopted := "adopted-by-okta"
		if _, _, err := d.SCIMUpdateGroup(ctx, conn, local.ID, func(directory.SCIMGroup) (directory.SCIMGroupChange, error) {
			return directory.SCIMGroupChange{SetExternalID: true, ExternalID: &adopted}, nil
		}); err != nil {
			t.Fatal(err)
		}

		// Back to the schema before migration 9, then forward again.
		db := directorytest.DB(t, d)
		dialect, sub := goose.DialectSQLite3, "sqlite"
		if db.DriverName() == "postgres" {
			dialect, sub = goose.DialectPostgres, "postgres"
		}
		dir, err := fs.Sub(migrations.FS, sub)
		if err != nil {
			t.Fatal(err)
		}
		p, err := goose.NewProvider(dialect, db.DB, dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 8); err != nil {
			t.Fatalf("migrate down to 8: %v", err)
		}
		var source string
		if err := db.Get(&source, `SELECT managed_by FROM teams LIMIT 1`); err == nil {
			t.Fatal("teams.managed_by is still there below migration 9")
		}
		if _, err := p.UpTo(ctx, 9); err != nil {
			t.Fatalf("migrate up to 9: %v", err)
		}

		teams, err := d.ListTeams(ctx, op, ws.Slug)
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range teams {
			want, wantConn := directory.TeamManagedBySCIM, conn.ID
			if tm.ID == local.ID {
				want, wantConn = directory.TeamManagedByRoster, ""
			} else if tm.ID != okta.ID && tm.ID != entra.ID {
				t.Errorf("unexpected team %+v", tm)
				continue
			}
			gotConn := ""
			if tm.SCIMConnectionID != nil {
				gotConn = *tm.SCIMConnectionID
			}
			if tm.ManagedBy != want || gotConn != wantConn {
				t.Errorf("team %q after the backfill = managed by %q, connection %q; want %q, %q", tm.Name, tm.ManagedBy, gotConn, want, wantConn)
			}
		}
		if len(teams) != 3 {
			t.Errorf("%d teams, want 3", len(teams))
		}
	})
}
