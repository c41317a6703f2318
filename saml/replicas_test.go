package saml_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// Two Roster instances on one PostgreSQL database (two replicas behind a
// load balancer, sharing the secret key): an answer accepted by one is
// refused by the other, because assertion IDs are recorded in the
// database, not in a replica's memory.
func TestReplayAcrossReplicas(t *testing.T) {
	directorytest.RequirePostgres(t)
	dns := newResolver()
	dbURL := directorytest.DatabaseURL(t, directory.Postgres)
	open := func() *directory.Directory {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		d, err := directory.Open(ctx, dbURL, directory.Options{Resolver: dns})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	box := newBox(t)
	one := startRoster(t, open(), dns, box)
	two := startRoster(t, open(), dns, box, one.srv.URL)
	one.workspace("acme", "acme.example", "auto_join")
	p := startIdP(t)
	p.user("mallory", "mallory@acme.example", "Mallory", "Evil")
	c := one.connect("acme", p, false)

	b := newBrowserLoggedIn(t, p)
	a := b.idpAnswer(b.get(one.srv.URL+"/saml/"+c.ID+"/start"), "mallory")
	u, _ := url.Parse(one.srv.URL + "/saml/")
	state := b.jar.Cookies(u)
	expect(t, b.deliver(a), http.StatusOK)

	// The same answer and state cookie, posted to the other replica.
	other := newBrowser(t)
	u2, _ := url.Parse(two.srv.URL + "/saml/")
	other.jar.SetCookies(u2, state)
	a.acs = two.srv.URL + "/saml/" + c.ID + "/acs"
	expect(t, other.deliver(a), http.StatusForbidden, "already used")
	if !strings.Contains(two.log.String(), "replayed assertion") {
		t.Fatalf("replica two did not log the replay:\n%s", two.log)
	}
}
