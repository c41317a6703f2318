package directory_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// The SCIM authentication cache's age bound is read on the Directory's
// clock: once the clock passes it, an entry is read again from the
// database, even though no notification cleared it.
func TestSCIMAuthCacheAgeFollowsTheClock(t *testing.T) {
	if os.Getenv(directorytest.EnvDatabaseURL) == "" {
		t.Skipf("PostgreSQL only (the cache exists there only): set %s to run it; CI does", directorytest.EnvDatabaseURL)
	}
	ctx := context.Background()
	clock := directorytest.NewClock()
	d := directorytest.Open(t, directory.Postgres, directory.Options{Now: clock.Now})
	op := directory.Operator()
	ws, _, err := d.CreateWorkspace(ctx, op, directory.CreateWorkspaceRequest{Name: "Clock", Slug: "clock", OwnerEmail: "owner@clock.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateSCIMConnection(ctx, op, ws.Slug, directory.SCIMConnectionRequest{}); err != nil {
		t.Fatal(err)
	}
	tok, secret, err := d.CreateSCIMToken(ctx, op, ws.Slug, directory.SCIMTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}

	// quietly changes the token without the NOTIFY of migration 00006
	// (triggers off for the session), as if the notification were lost.
	conn, err := directorytest.DB(t, d).Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	quietly := func(query string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, `SET session_replication_role = replica`); err != nil {
			t.Fatal(err)
		}
		defer conn.ExecContext(ctx, `RESET session_replication_role`)
		if _, err := conn.ExecContext(ctx, query, tok.ID); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}

	// Served from the cache: the row says revoked and the cache answers.
	// Other tests on the database send notifications too, and one in
	// between clears the cache, so this tries a few times.
	cached := false
	for range 20 {
		quietly(`UPDATE scim_tokens SET revoked_at = NULL WHERE id = $1`)
		for deadline := time.Now().Add(5 * time.Second); !directory.SCIMAuthCacheOn(d); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the SCIM authentication cache stayed off for 5s")
			}
		}
		if _, err := d.AuthenticateSCIM(ctx, secret); err != nil {
			t.Fatalf("authenticate: %v", err)
		}
		quietly(`UPDATE scim_tokens SET revoked_at = now() WHERE id = $1`)
		if _, err := d.AuthenticateSCIM(ctx, secret); err == nil {
			cached = true
			break
		}
	}
	if !cached {
		t.Fatal("a token revoked without notification was refused every time: the cache is not used")
	}

	// The Directory's clock passes the bound; no real time does.
	clock.Advance(31 * time.Second)
	if _, err := d.AuthenticateSCIM(ctx, secret); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("past the cache's age bound by the Directory's clock: err = %v, want ErrRevoked (read again)", err)
	}
}
