package directory_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// The SCIM authentication cache (scim_authcache.go) exists on PostgreSQL
// only. TestSCIMAuthSeesChangesAtOnce runs on both databases; the others
// test PostgreSQL's LISTEN/NOTIFY and need ROSTER_TEST_DATABASE_URL (CI
// sets it).

// invalidationWait bounds how long another process may take to hear a
// change (NOTIFY is delivered in milliseconds).
const invalidationWait = 5 * time.Second

func TestSCIMAuthSeesChangesAtOnce(t *testing.T) {
	clock := directorytest.NewClock()
	directorytest.RunWith(t, directory.Options{Now: clock.Now}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		ws, owner := newWorkspace(t, d, "acme")
		if _, err := d.CreateSCIMConnection(ctx, owner, ws.Slug, directory.SCIMConnectionRequest{Profile: directory.ProfileOkta}); err != nil {
			t.Fatal(err)
		}
		expiring, s1, err := d.CreateSCIMToken(ctx, owner, ws.Slug, directory.SCIMTokenRequest{ExpiresIn: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		other, s2, err := d.CreateSCIMToken(ctx, owner, ws.Slug, directory.SCIMTokenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		// warm authenticates twice: the second is served from the cache
		// where there is one.
		warm := func(secret string) directory.SCIMConnection {
			t.Helper()
			var c directory.SCIMConnection
			for range 2 {
				if c, err = d.AuthenticateSCIM(ctx, secret); err != nil {
					t.Fatalf("authenticate: %v", err)
				}
			}
			return c
		}
		if c := warm(s1); c.Profile != directory.ProfileOkta || c.TokenID != expiring.ID || directory.SCIMConnectionWorkspace(c).SeatLimit != nil {
			t.Fatalf("before changes: %+v", c)
		}

		t.Run("connection update", func(t *testing.T) {
			if _, err := d.UpdateSCIMConnection(ctx, owner, ws.Slug, directory.SCIMConnectionRequest{Profile: directory.ProfileEntra}); err != nil {
				t.Fatal(err)
			}
			if c, err := d.AuthenticateSCIM(ctx, s1); err != nil || c.Profile != directory.ProfileEntra {
				t.Errorf("next request after the update: profile %q, %v; want entra", c.Profile, err)
			}
		})
		t.Run("seat limit", func(t *testing.T) {
			warm(s1)
			limit := 7
			if _, err := d.UpdateWorkspaceSettings(ctx, op, ws.Slug, directory.WorkspaceSettings{SeatLimit: &limit}); err != nil {
				t.Fatal(err)
			}
			c, err := d.AuthenticateSCIM(ctx, s1)
			if got := directory.SCIMConnectionWorkspace(c).SeatLimit; err != nil || got == nil || *got != 7 {
				t.Errorf("next request after the seat limit change: %v, %v; want 7", got, err)
			}
		})
		t.Run("revocation", func(t *testing.T) {
			warm(s2)
			if _, err := d.RevokeSCIMToken(ctx, owner, ws.Slug, other.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := d.AuthenticateSCIM(ctx, s2); !errors.Is(err, directory.ErrRevoked) {
				t.Errorf("next request after the revocation: err = %v, want ErrRevoked", err)
			}
		})
		t.Run("expiry", func(t *testing.T) {
			warm(s1)
			clock.Advance(time.Hour)
			if _, err := d.AuthenticateSCIM(ctx, s1); !errors.Is(err, directory.ErrExpired) {
				t.Errorf("after expiry: err = %v, want ErrExpired", err)
			}
		})
	})
}

// pg is one PostgreSQL schema with its own superuser connection for
// changing rows behind the Directories' backs.
type pg struct {
	url string
	raw *sqlx.Conn // one session: SET session_replication_role sticks
}

// newPG creates a fresh schema, or skips when PostgreSQL is not configured.
func newPG(t *testing.T) *pg {
	t.Helper()
	if os.Getenv(directorytest.EnvDatabaseURL) == "" {
		t.Skipf("PostgreSQL only (LISTEN/NOTIFY): set %s to run it; CI does", directorytest.EnvDatabaseURL)
	}
	u := directorytest.DatabaseURL(t, directory.Postgres)
	db, err := sqlx.Open("postgres", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	conn, err := db.Connx(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &pg{url: u, raw: conn}
}

// open opens one more Directory ("replica") on the schema; app names its
// sessions (its listener's is app+"-listener").
func (p *pg) open(t *testing.T, app string) *directory.Directory {
	t.Helper()
	u, err := url.Parse(p.url)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := directory.Open(ctx, u.String(), directory.Options{SCIMAuthCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	waitFor(t, "the SCIM authentication cache to be on", func() bool { return directory.SCIMAuthCacheOn(d) })
	return d
}

// quietly runs statements with triggers off (session_replication_role =
// replica): the change is made without the NOTIFY of migration 00006, as
// if a notification had been lost.
func (p *pg) quietly(t *testing.T, query string, args ...any) {
	t.Helper()
	ctx := context.Background()
	if _, err := p.raw.ExecContext(ctx, `SET session_replication_role = replica`); err != nil {
		t.Fatal(err)
	}
	defer p.raw.ExecContext(ctx, `RESET session_replication_role`)
	if _, err := p.raw.ExecContext(ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// servedFromCache proves d answers for the token from its cache: it
// authenticates (filling the cache), revokes the token behind d's back and
// authenticates again, which only the cache can accept. Other tests using
// the same database (other schemas, other packages) send notifications
// too, and one arriving in between clears the cache, so it tries a few
// times; a cache that is off never passes. It leaves the token revoked in
// the database, and returns the connection the cache answered.
func (p *pg) servedFromCache(t *testing.T, d *directory.Directory, secret, tokenID string) directory.SCIMConnection {
	t.Helper()
	ctx := context.Background()
	for range 20 {
		p.quietly(t, `UPDATE scim_tokens SET revoked_at = NULL WHERE id = $1`, tokenID)
		waitFor(t, "the SCIM authentication cache to be on", func() bool { return directory.SCIMAuthCacheOn(d) })
		if _, err := d.AuthenticateSCIM(ctx, secret); err != nil {
			t.Fatalf("authenticate: %v", err)
		}
		p.quietly(t, `UPDATE scim_tokens SET revoked_at = now() WHERE id = $1`, tokenID)
		if c, err := d.AuthenticateSCIM(ctx, secret); err == nil {
			return c
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("a token revoked without notification was refused every time: the SCIM authentication cache is not used")
	return directory.SCIMConnection{}
}

// waitFor polls cond for up to invalidationWait.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(invalidationWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", invalidationWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// refusedSoon waits until d refuses secret with want.
func refusedSoon(t *testing.T, d *directory.Directory, secret string, want error) {
	t.Helper()
	var err error
	waitFor(t, "the token to be refused", func() bool {
		_, err = d.AuthenticateSCIM(context.Background(), secret)
		return errors.Is(err, want)
	})
}

// scimSetup gives a workspace a connection and a token, through d.
func scimSetup(t *testing.T, d *directory.Directory, slug string) (directory.Workspace, directory.Actor, directory.SCIMToken, string) {
	t.Helper()
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, slug)
	if _, err := d.CreateSCIMConnection(ctx, owner, ws.Slug, directory.SCIMConnectionRequest{}); err != nil {
		t.Fatal(err)
	}
	tok, secret, err := d.CreateSCIMToken(ctx, owner, ws.Slug, directory.SCIMTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return ws, owner, tok, secret
}

func TestSCIMAuthCacheServesFromMemory(t *testing.T) {
	p := newPG(t)
	d := p.open(t, "roster-test")
	ctx := context.Background()
	_, _, tok, secret := scimSetup(t, d, "acme")

	// The row says revoked, the cache says fine: the cache answers.
	p.servedFromCache(t, d, secret, tok.ID)

	// A notification from anyone clears it.
	if _, err := p.raw.ExecContext(ctx, `SELECT pg_notify('roster_scim_auth', '')`); err != nil {
		t.Fatal(err)
	}
	refusedSoon(t, d, secret, directory.ErrRevoked)

	// Unknown tokens are not cached: a token refused as unknown works as
	// soon as its row exists, though nothing notified.
	fresh, hash := directory.NewToken()
	if _, err := d.AuthenticateSCIM(ctx, fresh); !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("unknown token: err = %v, want ErrNotFound", err)
	}
	p.quietly(t, `INSERT INTO scim_tokens (id, connection_id, workspace_id, token_hash, hint, created_at)
		SELECT 'fresh', connection_id, workspace_id, $1, 'xxxx', now() FROM scim_tokens WHERE id = $2`, hash, tok.ID)
	if c, err := d.AuthenticateSCIM(ctx, fresh); err != nil || c.TokenID != "fresh" {
		t.Errorf("token inserted after a miss: %+v, %v", c, err)
	}
}

// TestSCIMAuthCacheLocalWrites: a process's own admin writes clear its
// cache before they return, without waiting for NOTIFY; SCIM's writes,
// which change no token, connection or workspace, keep it.
func TestSCIMAuthCacheLocalWrites(t *testing.T) {
	p := newPG(t)
	d := p.open(t, "roster-test")
	ctx := context.Background()
	ws, owner, tok, secret := scimSetup(t, d, "acme")

	t.Run("SCIM writes keep the cache", func(t *testing.T) {
		for attempt := range 20 {
			conn := p.servedFromCache(t, d, secret, tok.ID)
			email := fmt.Sprintf("sam%d@acme.example", attempt)
			if _, _, err := d.SCIMCreateUser(ctx, conn, scimUser(email, email)); err != nil {
				t.Fatal(err)
			}
			if _, err := d.AuthenticateSCIM(ctx, secret); err == nil {
				return // still served from the cache
			}
		}
		t.Fatal("the cache was cleared after every SCIM write")
	})

	t.Run("admin writes clear it without NOTIFY", func(t *testing.T) {
		// With the triggers of this test's schema off, no notification is
		// sent: only runTx's own clearing can drop a cached entry.
		for _, table := range []string{"scim_tokens", "scim_connections", "workspaces"} {
			if _, err := p.raw.ExecContext(ctx, `ALTER TABLE `+table+` DISABLE TRIGGER USER`); err != nil {
				t.Fatal(err)
			}
		}
		p.quietly(t, `UPDATE scim_tokens SET revoked_at = NULL WHERE id = $1`, tok.ID)
		warm := func() {
			t.Helper()
			for range 2 {
				if _, err := d.AuthenticateSCIM(ctx, secret); err != nil {
					t.Fatal(err)
				}
			}
		}
		warm()
		if _, err := d.UpdateSCIMConnection(ctx, owner, ws.Slug, directory.SCIMConnectionRequest{Profile: directory.ProfileGeneric}); err != nil {
			t.Fatal(err)
		}
		if c, err := d.AuthenticateSCIM(ctx, secret); err != nil || c.Profile != directory.ProfileGeneric {
			t.Errorf("after a connection update: profile %q, %v; want generic", c.Profile, err)
		}
		warm()
		limit := 5
		if _, err := d.UpdateWorkspaceSettings(ctx, op, ws.Slug, directory.WorkspaceSettings{SeatLimit: &limit}); err != nil {
			t.Fatal(err)
		}
		c, err := d.AuthenticateSCIM(ctx, secret)
		if got := directory.SCIMConnectionWorkspace(c).SeatLimit; err != nil || got == nil || *got != 5 {
			t.Errorf("after a seat limit change: %v, %v; want 5", got, err)
		}
		warm()
		if _, err := d.RevokeSCIMToken(ctx, owner, ws.Slug, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := d.AuthenticateSCIM(ctx, secret); !errors.Is(err, directory.ErrRevoked) {
			t.Errorf("after revocation: err = %v, want ErrRevoked", err)
		}
	})
}

func TestSCIMAuthCacheAcrossReplicas(t *testing.T) {
	p := newPG(t)
	a := p.open(t, "roster-test-a")
	b := p.open(t, "roster-test-b")
	ctx := context.Background()
	ws, owner, tok, secret := scimSetup(t, b, "acme")
	_, s2, err := b.CreateSCIMToken(ctx, owner, ws.Slug, directory.SCIMTokenRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, s := range []string{secret, s2} {
			if _, err := a.AuthenticateSCIM(ctx, s); err != nil {
				t.Fatalf("authenticate on A: %v", err)
			}
		}
	}

	t.Run("revocation on B", func(t *testing.T) {
		if _, err := b.RevokeSCIMToken(ctx, owner, ws.Slug, tok.ID); err != nil {
			t.Fatal(err)
		}
		refusedSoon(t, a, secret, directory.ErrRevoked)
	})
	t.Run("seat limit on B", func(t *testing.T) {
		if _, err := a.AuthenticateSCIM(ctx, s2); err != nil {
			t.Fatal(err)
		}
		limit := 3
		if _, err := b.UpdateWorkspaceSettings(ctx, op, ws.Slug, directory.WorkspaceSettings{SeatLimit: &limit}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "A to see the seat limit", func() bool {
			c, err := a.AuthenticateSCIM(ctx, s2)
			got := directory.SCIMConnectionWorkspace(c).SeatLimit
			return err == nil && got != nil && *got == 3
		})
	})
	t.Run("connection update on B", func(t *testing.T) {
		if _, err := a.AuthenticateSCIM(ctx, s2); err != nil {
			t.Fatal(err)
		}
		if _, err := b.UpdateSCIMConnection(ctx, owner, ws.Slug, directory.SCIMConnectionRequest{Profile: directory.ProfileGeneric}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "A to see the profile", func() bool {
			c, err := a.AuthenticateSCIM(ctx, s2)
			return err == nil && c.Profile == directory.ProfileGeneric
		})
	})
}

func TestSCIMAuthCacheListenerDisconnect(t *testing.T) {
	p := newPG(t)
	b := make([]byte, 6)
	rand.Read(b)
	app := "rt-" + hex.EncodeToString(b)
	d := p.open(t, app)
	ctx := context.Background()
	_, _, tok, secret := scimSetup(t, d, "acme")

	// Cached, then revoked without a notification: only losing the
	// listener's connection can tell d to drop it.
	p.servedFromCache(t, d, secret, tok.ID)
	var killed []bool
	if err := p.raw.SelectContext(ctx, &killed, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, app+"-listener"); err != nil || len(killed) != 1 || !killed[0] {
		t.Fatalf("terminate the listener's session: %v, %v", killed, err)
	}
	refusedSoon(t, d, secret, directory.ErrRevoked)

	// lib/pq reconnects and re-issues LISTEN; the cache is used again and
	// notifications reach it again.
	waitFor(t, "the listener to reconnect", func() bool { return directory.SCIMAuthCacheOn(d) })
	p.servedFromCache(t, d, secret, tok.ID)
	if _, err := p.raw.ExecContext(ctx, `SELECT pg_notify('roster_scim_auth', '')`); err != nil {
		t.Fatal(err)
	}
	refusedSoon(t, d, secret, directory.ErrRevoked)
}

// TestSCIMAuthNotifyTriggers checks which changes migration 00006 makes
// NOTIFY. After each statement its session sends a marker notification;
// notifications from one session arrive in order, so the statement
// notified if an empty one arrives before the marker. Notifications of
// other sessions (other tests on the database) are told apart by pid.
func TestSCIMAuthNotifyTriggers(t *testing.T) {
	p := newPG(t)
	d := p.open(t, "roster-test")
	ctx := context.Background()
	ws, _, tok, _ := scimSetup(t, d, "acme")
	var pid int
	if err := p.raw.GetContext(ctx, &pid, `SELECT pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	l := pq.NewListener(p.url, time.Second, time.Second, nil)
	defer l.Close()
	if err := l.Listen("roster_scim_auth"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query string
		notifies    bool
	}{
		{"token used", `UPDATE scim_tokens SET last_used_at = now()`, false},
		{"token described", `UPDATE scim_tokens SET description = 'okta'`, false},
		{"token created", `INSERT INTO scim_tokens (id, connection_id, workspace_id, token_hash, created_at)
			SELECT 'k2', connection_id, workspace_id, 'hash2', now() FROM scim_tokens WHERE id = '` + tok.ID + `'`, false},
		{"token revoked", `UPDATE scim_tokens SET revoked_at = now() WHERE id = 'k2'`, true},
		{"token expiry changed", `UPDATE scim_tokens SET expires_at = now() WHERE id = 'k2'`, true},
		{"token hash changed", `UPDATE scim_tokens SET token_hash = 'hash3' WHERE id = 'k2'`, true},
		{"token deleted", `DELETE FROM scim_tokens WHERE id = 'k2'`, true},
		{"revocation rolled back", `BEGIN; UPDATE scim_tokens SET revoked_at = now(); ROLLBACK`, false},
		{"connection updated", `UPDATE scim_connections SET profile = 'okta'`, true},
		{"workspace updated", `UPDATE workspaces SET name = 'Acme'`, true},
		{"workspace deleted", `DELETE FROM workspaces WHERE id = '` + ws.ID + `'`, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marker := fmt.Sprint("marker-", i)
			if _, err := p.raw.ExecContext(ctx, tt.query); err != nil {
				t.Fatal(err)
			}
			if _, err := p.raw.ExecContext(ctx, `SELECT pg_notify('roster_scim_auth', $1)`, marker); err != nil {
				t.Fatal(err)
			}
			notified := false
			timeout := time.After(invalidationWait)
			for {
				select {
				case n := <-l.Notify:
					if n == nil || n.BePid != pid {
						continue
					}
					if n.Extra == marker {
						if notified != tt.notifies {
							t.Errorf("%s: notified = %v, want %v", tt.query, notified, tt.notifies)
						}
						return
					}
					notified = true
				case <-timeout:
					t.Fatalf("no marker notification within %v", invalidationWait)
				}
			}
		})
	}
}
