package directory

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/rosterhq/roster/directory/internal/sqldb"
	"github.com/rosterhq/roster/directory/internal/store"
	"github.com/rosterhq/roster/directory/inviting"
	"github.com/rosterhq/roster/directory/outbox"
	"github.com/rosterhq/roster/directory/provision"
	"github.com/rosterhq/roster/directory/setuplinks"
	"github.com/rosterhq/roster/directory/signin"
)

// Options configure a Directory. The zero value is usable.
type Options struct {
	// BaseURL is the public URL of the server, used to build links in
	// emails and outcomes (invitation links, join links). Default
	// http://127.0.0.1:8080.
	BaseURL string
	// Now is the clock; tests move it to expire invitations.
	Now func() time.Time
	// Resolver verifies domains; default net.DefaultResolver.
	Resolver store.TXTResolver
	// Logger receives operational messages; default slog.Default().
	Logger *slog.Logger
	// SCIMAuthCache keeps SCIM authentications in memory on PostgreSQL,
	// kept right by NOTIFY (scim_authcache.go); it costs one more
	// connection, for LISTEN. `roster serve` turns it on; commands that
	// serve no SCIM requests leave it off.
	SCIMAuthCache bool
}

// Directory is the domain service: the doors' one way to the people,
// workspaces and connections in the database. It is safe for concurrent
// use, holds no state another replica would need, and is the only code that
// writes to the database.
//
// Its operations live by job: the workspace admin's here, SCIM
// provisioning in directory/provision, sign-in in directory/signin, the
// outbox and webhooks in directory/outbox, setup links in
// directory/setuplinks, and the transactions and the rules they share in
// directory/internal/store (embedded, so its methods are the Directory's
// too; doors cannot name its types, so they cannot run its transactions).
type Directory struct {
	*store.Store
	provision  *provision.Provisioner
	signin     *signin.Signin
	outbox     *outbox.Outbox
	setuplinks *setuplinks.Links
	inviting   *inviting.Inviter
}

func newDirectory(s *store.Store) *Directory {
	return &Directory{Store: s, provision: provision.New(s), signin: signin.New(s), outbox: outbox.New(s), setuplinks: setuplinks.New(s), inviting: inviting.New(s)}
}

// Open connects to the database named by databaseURL (see
// ParseDatabaseURL), applies the embedded migrations and returns a
// Directory over it.
func Open(ctx context.Context, databaseURL string, opts Options) (*Directory, error) {
	db, err := sqldb.Open(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	d := newDirectory(&store.Store{SQL: db, Flavor: db.Flavor, PublicURL: strings.TrimRight(opts.BaseURL, "/"), Now: opts.Now, Resolver: opts.Resolver, Log: opts.Logger})
	if d.PublicURL == "" {
		d.PublicURL = "http://127.0.0.1:8080"
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Resolver == nil {
		d.Resolver = netResolver{}
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	d.Pages = store.NewPageHints(4096, d.Now)
	d.StatsNudge = store.NewStatsNudge()
	if opts.SCIMAuthCache {
		if err := d.startSCIMAuthCache(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return d, nil
}

// Migrate applies the embedded migrations to databaseURL and closes it; it
// is what `roster migrate` runs.
func Migrate(ctx context.Context, databaseURL string) error {
	return sqldb.Migrate(ctx, databaseURL)
}

// Close stops the SCIM authentication cache's listener and closes the
// database pool.
func (d *Directory) Close() error {
	d.ScimAuth.Close()
	return d.SQL.Close()
}

// Dialect reports which database the Directory runs on.
func (d *Directory) Dialect() Dialect { return Dialect(d.Flavor.String()) }

// BaseURL is the public URL links are built from.
func (d *Directory) BaseURL() string { return d.PublicURL }

// Ping checks the database connection, for readiness probes.
func (d *Directory) Ping(ctx context.Context) error { return d.SQL.PingContext(ctx) }
