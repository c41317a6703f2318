package suite

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// samlTests: SAML connections, their home-realm discovery, sign-in through
// them by the same rules as OIDC, metadata refresh and one-time assertion
// IDs.
var samlTests = []test{
	{"SAMLConnections", testSAMLConnections},
	{"SAMLHomeRealmDiscovery", testSAMLHomeRealmDiscovery},
	{"SAMLSignIn", testSAMLSignIn},
	{"SAMLMetadataRefresh", testSAMLMetadataRefresh},
	{"SAMLAssertionReplay", testSAMLAssertionReplay},
}

const samlMetadata = `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.acme.example/saml"></EntityDescriptor>`

func samlConnect(t *testing.T, d *directory.Directory, ws, entityID string, domains ...string) directory.SAMLConnection {
	t.Helper()
	c, err := d.CreateSAMLConnection(context.Background(), op, ws, directory.SAMLConnectionRequest{EntityID: entityID, MetadataXML: samlMetadata,
		MetadataURL: "https://idp.example/metadata", Domains: domains})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testSAMLConnections(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	acme, owner := newWorkspace(t, d, "acme")
	_, otherOwner := newWorkspace(t, d, "other")

	c, err := d.CreateSAMLConnection(ctx, owner, "acme", directory.SAMLConnectionRequest{EntityID: " https://idp.acme.example/saml ", MetadataXML: samlMetadata,
		EmailAttribute: "mail", Domains: []string{"ACME.example.", "acme.example"}, AllowIdPInitiated: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.Workspace != "acme" || c.EntityID != "https://idp.acme.example/saml" || c.Name != "Single sign-on" || len(c.Domains) != 1 ||
		c.Domains[0] != "acme.example" || !c.AllowIdPInitiated || c.EmailAttribute != "mail" || c.MetadataFetchedAt != nil {
		t.Errorf("connection = %+v", c)
	}
	if _, err := d.CreateSAMLConnection(ctx, owner, "acme", directory.SAMLConnectionRequest{EntityID: "https://idp.acme.example/saml", MetadataXML: samlMetadata}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("same IdP twice: %v", err)
	}
	for _, tc := range []struct {
		req   directory.SAMLConnectionRequest
		field string
	}{
		{directory.SAMLConnectionRequest{MetadataXML: samlMetadata}, "metadata_xml"},
		{directory.SAMLConnectionRequest{EntityID: "x"}, "metadata_xml"},
		{directory.SAMLConnectionRequest{EntityID: "x", MetadataXML: samlMetadata, MetadataURL: "ftp://idp.example/md"}, "metadata_url"},
		{directory.SAMLConnectionRequest{EntityID: "x", MetadataXML: samlMetadata, Domains: []string{"not a domain"}}, "domain"},
	} {
		_, err := d.CreateSAMLConnection(ctx, owner, "acme", tc.req)
		var fe *directory.FieldError
		if !errors.Is(err, directory.ErrInvalid) || (tc.field != "domain" && (!errors.As(err, &fe) || fe.Field != tc.field)) {
			t.Errorf("%+v: err = %v, want a %s error", tc.req, err, tc.field)
		}
	}

	// One workspace never sees or deletes another's connections.
	if _, err := d.ListSAMLConnections(ctx, otherOwner, "acme"); !errors.Is(err, directory.ErrForbidden) && !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("other workspace's owner lists acme's connections: %v", err)
	}
	if err := d.DeleteSAMLConnection(ctx, otherOwner, "other", c.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("deleting acme's connection through another workspace: %v", err)
	}
	list, err := d.ListSAMLConnections(ctx, owner, "acme")
	if err != nil || len(list) != 1 || list[0].ID != c.ID {
		t.Fatalf("list = %+v %v", list, err)
	}
	if all, err := d.ListSAMLConnections(ctx, op, ""); err != nil || len(all) != 1 {
		t.Errorf("operator's list = %+v %v", all, err)
	}
	if _, err := d.ListSAMLConnections(ctx, owner, ""); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("a member lists every workspace's connections: %v", err)
	}

	// Deleting unlinks the identities made through it; the person stays.
	verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainAutoJoin, directory.RoleMember)
	res, err := d.SignIn(ctx, directory.SignInRequest{Connection: c.ID, Protocol: directory.ProtocolSAML, Issuer: c.EntityID, Subject: "ann", Email: "ann@acme.example"})
	if err != nil || res.Outcome != directory.SignInJoined {
		t.Fatalf("sign-in: %+v %v", res, err)
	}
	if err := d.DeleteSAMLConnection(ctx, owner, "acme", c.ID); err != nil {
		t.Fatal(err)
	}
	db := directorytest.DB(t, d)
	var n int
	if err := db.Get(&n, db.Rebind(`SELECT COUNT(*) FROM oidc_identities WHERE connection_id = ?`), c.ID); err != nil || n != 0 {
		t.Errorf("identities left: %d %v", n, err)
	}
	if _, err := d.SAMLConnectionByID(ctx, c.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("deleted connection: %v", err)
	}
	feed, err := d.Feed(ctx, owner, "acme", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, ev := range feed.Events {
		seen[ev.Type] = true
	}
	if !seen["saml_connection.created"] || !seen["saml_connection.deleted"] {
		directorytest.WaitFeed(t, d, acme.ID)
		if feed, err = d.Feed(ctx, owner, "acme", "", 1000); err != nil {
			t.Fatal(err)
		}
		for _, ev := range feed.Events {
			seen[ev.Type] = true
		}
		if !seen["saml_connection.created"] || !seen["saml_connection.deleted"] {
			t.Errorf("feed lacks the connection's events: %v", seen)
		}
	}
}

func testSAMLHomeRealmDiscovery(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	acme, _ := newWorkspace(t, d, "acme")
	all := samlConnect(t, d, "acme", "https://idp.acme.example/all")
	sub := samlConnect(t, d, "acme", "https://idp.acme.example/sub", "sub.acme.example")

	// Nothing routes before the workspace has verified the domain.
	if _, ok, err := d.SAMLConnectionForEmail(ctx, "ann@acme.example"); ok || err != nil {
		t.Fatalf("unverified domain routed: %v %v", ok, err)
	}
	verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainRequest, directory.RoleMember)
	verifyDomainForTest(t, d, acme.ID, "sub.acme.example", directory.DomainRequest, directory.RoleMember)
	if c, ok, err := d.SAMLConnectionForEmail(ctx, "Ann@ACME.example"); !ok || err != nil || c.ID != all.ID {
		t.Errorf("acme.example routes to %+v %v %v", c, ok, err)
	}
	// A connection naming the domain wins over one serving every domain.
	if c, ok, err := d.SAMLConnectionForEmail(ctx, "bob@sub.acme.example"); !ok || err != nil || c.ID != sub.ID {
		t.Errorf("sub.acme.example routes to %+v %v %v", c, ok, err)
	}
	if _, ok, err := d.SAMLConnectionForEmail(ctx, "eve@elsewhere.example"); ok || err != nil {
		t.Errorf("unknown domain routed: %v %v", ok, err)
	}
	if _, _, err := d.SAMLConnectionForEmail(ctx, "not an address"); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("bad address: %v", err)
	}
}

// testSAMLSignIn: a SAML identity is keyed on (connection, entity ID,
// NameID), its email trusted at the workspace's verified domains only (SAML
// has no email_verified), and a server-wide provider never speaks for a
// domain a SAML connection signs in.
func testSAMLSignIn(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	acme, owner := newWorkspace(t, d, "acme")
	verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainAutoJoin, directory.RoleMember)
	c := samlConnect(t, d, "acme", "https://idp.acme.example/saml")
	in := func(nameID, email string) directory.SignInRequest {
		return directory.SignInRequest{Connection: c.ID, Protocol: directory.ProtocolSAML, Issuer: c.EntityID, Subject: nameID, Email: email, Name: "Ann"}
	}
	res, err := d.SignIn(ctx, in("00u1", "ann@acme.example"))
	if err != nil || res.Outcome != directory.SignInJoined || res.Member == nil || res.Member.WorkspaceID != acme.ID {
		t.Fatalf("auto-join: %+v %v", res, err)
	}
	// An address outside the verified domains is not trusted.
	if _, err := d.SignIn(ctx, in("00u2", "x@gmail.example")); !errors.Is(err, directory.ErrUnverifiedEmail) {
		t.Errorf("foreign domain: %v", err)
	}
	// Another IdP's entity ID does not sign in through the connection.
	bad := in("00u1", "ann@acme.example")
	bad.Issuer = "https://evil.example/saml"
	if _, err := d.SignIn(ctx, bad); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("other entity ID: %v", err)
	}
	// Once linked, the NameID decides, not the email attribute.
	again, err := d.SignIn(ctx, in("00u1", "renamed@elsewhere.example"))
	if err != nil || again.UserID != res.UserID || again.Outcome != directory.SignInMember {
		t.Errorf("second sign-in: %+v %v", again, err)
	}
	// An invitation is accepted through SAML.
	inv, err := d.Invite(ctx, owner, "acme", directory.InviteRequest{Text: "bea@acme.example", Role: directory.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	withInv := in("00u3", "bea@acme.example")
	withInv.Invitation = inv[0].Token
	if res, err := d.SignIn(ctx, withInv); err != nil || res.Outcome != directory.SignInAccepted {
		t.Errorf("invitation: %+v %v", res, err)
	}
	// A server-wide provider may not sign in an address of the domain.
	srv := directory.SignInRequest{Connection: directory.ServerProviderPrefix + "google", Issuer: "https://accounts.google.com", Subject: "g1", Email: "carl@acme.example", EmailVerified: true}
	if _, err := d.SignIn(ctx, srv); !errors.Is(err, directory.ErrOrganizationSSO) {
		t.Errorf("server-wide provider for a SAML-routed domain: %v", err)
	}
}

func testSAMLMetadataRefresh(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	acme, owner := newWorkspace(t, d, "acme")
	c := samlConnect(t, d, "acme", "https://idp.acme.example/saml")
	pasted, err := d.CreateSAMLConnection(ctx, op, "acme", directory.SAMLConnectionRequest{EntityID: "https://pasted.example", MetadataXML: samlMetadata})
	if err != nil {
		t.Fatal(err)
	}
	due, err := d.SAMLConnectionsToRefresh(ctx, time.Now().Add(time.Hour), 10)
	if err != nil || len(due) != 1 || due[0].ID != c.ID {
		t.Fatalf("due = %+v %v (pasted metadata %s has no URL)", due, err, pasted.ID)
	}
	if due, err := d.SAMLConnectionsToRefresh(ctx, time.Now().Add(-time.Hour), 10); err != nil || len(due) != 0 {
		t.Errorf("fresh connections due: %+v %v", due, err)
	}
	// Metadata naming another IdP is refused and recorded; the old
	// metadata stays in use.
	if err := d.RecordSAMLMetadata(ctx, c.ID, "https://other.example", "<other/>", nil); err != nil {
		t.Fatal(err)
	}
	got, _ := d.SAMLConnectionByID(ctx, c.ID)
	if got.MetadataXML != samlMetadata || got.MetadataError == "" {
		t.Errorf("after a refresh naming another IdP: %+v", got)
	}
	// A failed fetch is recorded too.
	if err := d.RecordSAMLMetadata(ctx, c.ID, "", "", errors.New("connection refused")); err != nil {
		t.Fatal(err)
	}
	if got, _ = d.SAMLConnectionByID(ctx, c.ID); got.MetadataError != "connection refused" || got.MetadataXML != samlMetadata {
		t.Errorf("after a failed fetch: %+v", got)
	}
	// Rotated metadata of the same IdP replaces the old and is in the feed.
	rotated := samlMetadata + "<!-- rotated -->"
	if err := d.RecordSAMLMetadata(ctx, c.ID, c.EntityID, rotated, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ = d.SAMLConnectionByID(ctx, c.ID); got.MetadataXML != rotated || got.MetadataError != "" || got.MetadataFetchedAt == nil {
		t.Errorf("after a rotation: %+v", got)
	}
	directorytest.WaitFeed(t, d, acme.ID)
	feed, err := d.Feed(ctx, owner, "acme", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range feed.Events {
		found = found || ev.Type == "saml_connection.metadata_changed"
	}
	if !found {
		t.Error("no saml_connection.metadata_changed event")
	}
}

// testSAMLAssertionReplay: an assertion ID is accepted once per IdP, also
// when several sign-ins present it at the same moment.
func testSAMLAssertionReplay(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	exp := time.Now().Add(5 * time.Minute)
	if err := d.ConsumeSAMLAssertion(ctx, "https://idp.a", "id-1", exp); err != nil {
		t.Fatal(err)
	}
	if err := d.ConsumeSAMLAssertion(ctx, "https://idp.a", "id-1", exp); !errors.Is(err, directory.ErrAssertionReplayed) {
		t.Errorf("second use: %v", err)
	}
	if err := d.ConsumeSAMLAssertion(ctx, "https://idp.b", "id-1", exp); err != nil {
		t.Errorf("the same ID from another IdP: %v", err)
	}
	if err := d.ConsumeSAMLAssertion(ctx, "", "id-2", exp); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("no issuer: %v", err)
	}
	// Records of expired assertions are dropped.
	if err := d.ConsumeSAMLAssertion(ctx, "https://idp.a", "old", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := d.ConsumeSAMLAssertion(ctx, "https://idp.a", "id-3", exp); err != nil {
		t.Fatal(err)
	}
	db := directorytest.DB(t, d)
	var n int
	if err := db.Get(&n, db.Rebind(`SELECT COUNT(*) FROM saml_assertions WHERE assertion_id = ?`), "old"); err != nil || n != 0 {
		t.Errorf("expired record kept: %d %v", n, err)
	}
	// Parallel presentations: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, replays := 0, 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := d.ConsumeSAMLAssertion(ctx, "https://idp.a", "id-race", exp)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, directory.ErrAssertionReplayed):
				replays++
			default:
				t.Errorf("parallel consume: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || replays != 7 {
		t.Errorf("parallel presentations: %d accepted, %d refused", wins, replays)
	}
}
