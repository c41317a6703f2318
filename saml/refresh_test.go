package saml_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// The IdP rotates its signing key: answers signed with the new key are
// refused until the metadata is refreshed from the connection's URL, and
// accepted after; a refresh that fails keeps the last good metadata.
func TestMetadataRefreshPicksUpRotatedCertificate(t *testing.T) {
	dns := newResolver()
	directorytest.RunWith(t, directory.Options{Resolver: dns}, func(t *testing.T, d *directory.Directory) {
		ctx := context.Background()
		r := startRoster(t, d, dns, newBox(t))
		r.workspace("acme", "acme.example", "auto_join")
		p := startIdP(t)
		c := r.connect("acme", p, false)

		rotated := p.newServer()
		p.handler.Store(rotated)
		p.user("ann", "ann@acme.example", "Ann", "Lee")
		p.put("/services/"+c.ID, spMetadata(t, r, c.ID))
		b := newBrowser(t)
		b.idpLogin(p, "ann")
		page := b.deliver(b.idpAnswer(b.get(r.srv.URL+"/saml/"+c.ID+"/start"), "ann"))
		expect(t, page, http.StatusForbidden, "could not be verified")

		// Not due yet: nothing is fetched.
		if n, err := r.saml.RefreshMetadata(ctx); err != nil || n != 0 {
			t.Fatalf("refresh before it is due: %d %v", n, err)
		}
		r.clock.Store(int64(13 * time.Hour))
		defer r.clock.Store(0)
		if n, err := r.saml.RefreshMetadata(ctx); err != nil || n != 1 {
			t.Fatalf("refresh: %d %v", n, err)
		}
		r.clock.Store(0)
		page = b.deliver(b.idpAnswer(b.get(r.srv.URL+"/saml/"+c.ID+"/start"), "ann"))
		if page.status != http.StatusOK {
			t.Fatalf("sign-in after the refresh: %d\n%s", page.status, page.body)
		}

		// The IdP's metadata URL breaks: the error is recorded, the
		// metadata in use stays.
		before, _ := d.SAMLConnectionByID(ctx, c.ID)
		p.srv.Close()
		r.clock.Store(int64(26 * time.Hour))
		if n, err := r.saml.RefreshMetadata(ctx); err != nil || n != 1 {
			t.Fatalf("failing refresh: %d %v", n, err)
		}
		after, _ := d.SAMLConnectionByID(ctx, c.ID)
		if after.MetadataXML != before.MetadataXML || !strings.Contains(after.MetadataError, "fetch metadata") {
			t.Errorf("after a failed refresh: error %q, metadata kept %v", after.MetadataError, after.MetadataXML == before.MetadataXML)
		}
	})
}
