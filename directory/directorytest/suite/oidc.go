package suite

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
	"github.com/rosterhq/roster/seal"
)

// oidcTests: a workspace's OIDC connections, home realm discovery, and
// onboarding into the workspaces a person may join.
var oidcTests = []test{
	{"OIDCConnections", testOIDCConnections},
	{"HomeRealmDiscovery", testHomeRealmDiscovery},
	{"OnboardingAndMyWorkspaces", testOnboardingAndMyWorkspaces},
	{"UpdateOIDCConnection", testUpdateOIDCConnection},
	{"DeleteOIDCConnection", testDeleteOIDCConnection},
}

func testOIDCConnections(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	box := testBox(t)
	acme, owner := newWorkspace(t, d, "acme")
	other, _ := newWorkspace(t, d, "other")

	c, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{
		Issuer: "https://idp.acme.example", ClientID: "roster", ClientSecret: "s3cret", Domains: []string{"ACME.example.", "acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != directory.OIDCGeneric || len(c.Domains) != 1 || c.Domains[0] != "acme.example" || c.Workspace != "acme" {
		t.Errorf("connection = %+v", c)
	}
	if s, err := c.ClientSecret(box); err != nil || s != "s3cret" {
		t.Errorf("client secret = %q, %v", s, err)
	}
	var stored string
	if err := directorytest.DB(t, d).Get(&stored, directorytest.DB(t, d).Rebind(`SELECT client_secret FROM oidc_connections WHERE id = ?`), c.ID); err != nil || stored == "s3cret" {
		t.Errorf("secret stored in clear (%v)", err)
	}
	// A sealed secret copied to another connection does not open there.
	c2, err := d.CreateOIDCConnection(ctx, op, "other", box, directory.OIDCConnectionRequest{Issuer: "https://idp.other.example", ClientID: "x", ClientSecret: "other"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := directorytest.DB(t, d).Exec(directorytest.DB(t, d).Rebind(`UPDATE oidc_connections SET client_secret = ? WHERE id = ?`), stored, c2.ID); err != nil {
		t.Fatal(err)
	}
	moved, _ := d.OIDCConnectionByID(ctx, c2.ID)
	if _, err := moved.ClientSecret(box); err == nil {
		t.Error("a secret sealed for one connection opened on another")
	}

	if _, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "roster", ClientSecret: "x"}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("duplicate: err = %v, want ErrConflict", err)
	}
	for name, req := range map[string]directory.OIDCConnectionRequest{
		"entra without tenant": {Kind: "entra", Issuer: "https://login.microsoftonline.com/organizations/v2.0", ClientID: "a", ClientSecret: "b"},
		"entra {tenantid}":     {Kind: "entra", Issuer: "https://login.microsoftonline.com/{tenantid}/v2.0", ClientID: "a", ClientSecret: "b"},
		"google without hd":    {Kind: "google", ClientID: "a", ClientSecret: "b"},
		"unknown kind":         {Kind: "saml", Issuer: "https://x.example", ClientID: "a", ClientSecret: "b"},
		"not a URL":            {Issuer: "idp.example", ClientID: "a", ClientSecret: "b"},
		"no secret":            {Issuer: "https://x.example", ClientID: "a"},
	} {
		if _, err := d.CreateOIDCConnection(ctx, op, "acme", box, req); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	entra, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: "entra", TenantID: "72F988BF-86F1-41AF-91AB-2D7CD011DB47", ClientID: "app", ClientSecret: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if entra.Issuer != "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0" || entra.Name != "Microsoft" {
		t.Errorf("entra = %+v", entra)
	}
	google, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: "google", HostedDomain: "Acme.Example", ClientID: "g", ClientSecret: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if google.Issuer != "https://accounts.google.com" || google.HostedDomain != "acme.example" {
		t.Errorf("google = %+v", google)
	}

	// Members without connections.manage cannot list or create; one
	// workspace never sees another's connections.
	_, member := join(t, d, owner, "acme", "m@acme.example", directory.RoleMember)
	if _, err := d.ListOIDCConnections(ctx, member, "acme"); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member lists: err = %v, want ErrForbidden", err)
	}
	if _, err := d.ListOIDCConnections(ctx, owner, "other"); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("owner of acme lists other: err = %v, want ErrForbidden", err)
	}
	list, err := d.ListOIDCConnections(ctx, owner, "acme")
	if err != nil || len(list) != 3 {
		t.Errorf("acme connections = %d, %v", len(list), err)
	}
	all, err := d.ListOIDCConnections(ctx, op, "")
	if err != nil || len(all) != 4 {
		t.Errorf("all connections = %d, %v", len(all), err)
	}
	_ = other
	_ = acme
}

func testHomeRealmDiscovery(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	box := testBox(t)
	acme, _ := newWorkspace(t, d, "acme")
	newWorkspace(t, d, "beta")
	specific, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Issuer: "https://sub.acme.example", ClientID: "a", ClientSecret: "b", Domains: []string{"sub.acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	general, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "a", ClientSecret: "b"})
	if err != nil {
		t.Fatal(err)
	}
	// beta claims acme.example but never verified it: it must not route.
	if _, err := d.CreateOIDCConnection(ctx, op, "beta", box, directory.OIDCConnectionRequest{Issuer: "https://evil.example", ClientID: "a", ClientSecret: "b", Domains: []string{"unverified.example"}}); err != nil {
		t.Fatal(err)
	}
	verifyDomainForTest(t, d, acme.ID, "acme.example", "request", "member")
	verifyDomainForTest(t, d, acme.ID, "sub.acme.example", "request", "member")

	tests := []struct {
		email string
		want  string
	}{
		{"jane@ACME.example", general.ID},
		{"jane@sub.acme.example", specific.ID},
		{"jane@unverified.example", ""},
		{"jane@nowhere.example", ""},
	}
	for _, tt := range tests {
		c, ok, err := d.OIDCConnectionForEmail(ctx, tt.email)
		if err != nil {
			t.Fatalf("%s: %v", tt.email, err)
		}
		if got := map[bool]string{true: c.ID}[ok]; got != tt.want {
			t.Errorf("%s routed to %q, want %q", tt.email, got, tt.want)
		}
	}
	if _, _, err := d.OIDCConnectionForEmail(ctx, "no-domain"); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("bad address: err = %v", err)
	}
}

func testOnboardingAndMyWorkspaces(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	_, owner := newWorkspace(t, d, "acme")
	terms := "2026-11"
	if _, err := d.UpdateWorkspaceSettings(ctx, owner, "acme", directory.WorkspaceSettings{TermsVersion: &terms}); err != nil {
		t.Fatal(err)
	}
	m, _ := join(t, d, owner, "acme", "jane@acme.example", directory.RoleMember)
	me, err := d.MyWorkspaces(ctx, m.UserID)
	if err != nil || len(me.Memberships) != 1 || !me.Memberships[0].NeedsOnboarding() || me.Email != "jane@acme.example" {
		t.Fatalf("me = %+v, %v", me, err)
	}
	if _, err := d.CompleteOnboarding(ctx, m.UserID, "acme", directory.Onboarding{Name: "Jane", TermsVersion: terms}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("terms not accepted: err = %v", err)
	}
	if _, err := d.CompleteOnboarding(ctx, m.UserID, "acme", directory.Onboarding{Name: "Jane", AcceptTerms: true, TermsVersion: "2020"}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("stale terms: err = %v", err)
	}
	got, err := d.CompleteOnboarding(ctx, m.UserID, "acme", directory.Onboarding{Name: "Jane Doe", AcceptTerms: true, TermsVersion: terms, Locale: "fr", Phone: "+33 1 23"})
	if err != nil {
		t.Fatal(err)
	}
	if got.TermsVersion != terms || got.OnboardedAt == nil || got.Name != "Jane Doe" || got.Locale != "fr" || got.Phone != "+33 1 23" {
		t.Errorf("onboarded member = %+v", got)
	}
	me, _ = d.MyWorkspaces(ctx, m.UserID)
	if me.Memberships[0].NeedsOnboarding() {
		t.Error("still needs onboarding")
	}
	// A person cannot onboard into a workspace they are not in.
	newWorkspace(t, d, "beta")
	if _, err := d.CompleteOnboarding(ctx, m.UserID, "beta", directory.Onboarding{Name: "Jane"}); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("foreign workspace: err = %v", err)
	}
	if _, err := d.SuspendMember(ctx, owner, "acme", m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CompleteOnboarding(ctx, m.UserID, "acme", directory.Onboarding{Name: "Jane", AcceptTerms: true, TermsVersion: terms}); !errors.Is(err, directory.ErrSuspended) {
		t.Errorf("suspended: err = %v", err)
	}
}

func testUpdateOIDCConnection(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	box := testBox(t)
	_, owner := newWorkspace(t, d, "acme")
	_, otherOwner := newWorkspace(t, d, "other")
	c, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{
		Issuer: "https://idp.acme.example", ClientID: "roster", ClientSecret: "old-secret", Domains: []string{"acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	sealedBefore := storedSecret(t, d, c.ID)

	// Rotating the secret re-seals it for the connection; nothing else
	// changes, and neither the result nor the event carries it.
	got, err := d.UpdateOIDCConnection(ctx, owner, "acme", c.ID, box, directory.OIDCConnectionUpdate{ClientSecret: new("new-secret")})
	if err != nil {
		t.Fatal(err)
	}
	if s, err := got.ClientSecret(box); err != nil || s != "new-secret" {
		t.Errorf("rotated secret = %q, %v", s, err)
	}
	sealed := storedSecret(t, d, c.ID)
	if sealed == sealedBefore || strings.Contains(sealed, "new-secret") {
		t.Errorf("secret not re-sealed: %q", sealed)
	}
	if b, _ := json.Marshal(got); strings.Contains(string(b), "secret") {
		t.Errorf("connection JSON shows the secret: %s", b)
	}
	if got.Issuer != c.Issuer || got.ClientID != "roster" || len(got.Domains) != 1 || got.Name != c.Name {
		t.Errorf("rotation changed other fields: %+v", got)
	}
	ev := lastEvent(t, d, "acme", "oidc_connection.updated")
	if b, _ := json.Marshal(ev); strings.Contains(string(b), "new-secret") || ev["client_secret_rotated"] != true {
		t.Errorf("event = %s", b)
	}
	// A sealed secret opens only on its own connection (the purpose is
	// the connection id), so an update seals for this id.
	fresh, _ := d.OIDCConnectionByID(ctx, c.ID)
	if s, err := fresh.ClientSecret(box); err != nil || s != "new-secret" {
		t.Errorf("stored secret = %q, %v", s, err)
	}

	// Domains and the client id change with the same normalisation as
	// create; an empty list routes every verified domain.
	got, err = d.UpdateOIDCConnection(ctx, owner, "acme", c.ID, box, directory.OIDCConnectionUpdate{
		ClientID: new(" roster-2 "), Domains: &[]string{"Sub.ACME.example.", "sub.acme.example", "acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.ClientID != "roster-2" || strings.Join(got.Domains, ",") != "sub.acme.example,acme.example" {
		t.Errorf("updated = %+v", got)
	}
	if got, err = d.UpdateOIDCConnection(ctx, owner, "acme", c.ID, box, directory.OIDCConnectionUpdate{Domains: &[]string{}}); err != nil || len(got.Domains) != 0 || got.Domains == nil {
		t.Errorf("cleared domains = %#v, %v", got.Domains, err)
	}

	// Switching kind drops what belonged to the old one: to entra needs
	// only the tenant (the issuer follows it), to google only hd.
	got, err = d.UpdateOIDCConnection(ctx, owner, "acme", c.ID, box, directory.OIDCConnectionUpdate{Kind: new("entra"), TenantID: new(strings.ToUpper(tenant))})
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != directory.OIDCEntra || got.TenantID != tenant || got.Issuer != directory.EntraIssuer(tenant) || got.Name != "Microsoft" {
		t.Errorf("to entra = %+v", got)
	}
	other := "00000000-0000-0000-0000-0000000000aa"
	if got, err = d.UpdateOIDCConnection(ctx, owner, "acme", c.ID, box, directory.OIDCConnectionUpdate{TenantID: new(other)}); err != nil || got.Issuer != directory.EntraIssuer(other) {
		t.Errorf("re-pinned = %+v, %v", got, err)
	}
	got, err = d.UpdateOIDCConnection(ctx, owner, "acme", c.ID, box, directory.OIDCConnectionUpdate{Kind: new("google"), HostedDomain: new("ACME.example")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Kind != directory.OIDCGoogle || got.Issuer != "https://accounts.google.com" || got.HostedDomain != "acme.example" || got.TenantID != "" || got.Name != "Google" {
		t.Errorf("to google = %+v", got)
	}

	// The same validation as create; a refused update changes nothing.
	before, _ := d.OIDCConnectionByID(ctx, c.ID)
	for name, upd := range map[string]directory.OIDCConnectionUpdate{
		"entra without tenant":   {Kind: new("entra")},
		"entra common issuer":    {Kind: new("entra"), Issuer: new("https://login.microsoftonline.com/common/v2.0")},
		"entra {tenantid}":       {Kind: new("entra"), TenantID: new(tenant), Issuer: new("https://login.microsoftonline.com/{tenantid}/v2.0")},
		"google without hd":      {HostedDomain: new("")},
		"unknown kind":           {Kind: new("saml")},
		"generic without issuer": {Kind: new("generic")},
		"not a URL":              {Kind: new("generic"), Issuer: new("idp.example")},
		"empty client id":        {ClientID: new(" ")},
		"empty secret":           {ClientSecret: new("")},
		"bad domain":             {Domains: &[]string{"not a domain"}},
	} {
		if _, err := d.UpdateOIDCConnection(ctx, owner, "acme", c.ID, box, upd); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if after, _ := d.OIDCConnectionByID(ctx, c.ID); after.UpdatedAt != before.UpdatedAt || after.Kind != before.Kind {
		t.Errorf("refused update changed the connection: %+v", after)
	}
	// Two connections of a workspace cannot share issuer and client.
	if _, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Issuer: "https://idp2.acme.example", ClientID: "x", ClientSecret: "y"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.UpdateOIDCConnection(ctx, owner, "acme", c.ID, box, directory.OIDCConnectionUpdate{Kind: new("generic"), Issuer: new("https://idp2.acme.example"), ClientID: new("x")}); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("duplicate: err = %v, want ErrConflict", err)
	}

	// Tenancy: a member lacks connections.manage; another workspace's
	// owner cannot name acme, nor reach acme's connection through its
	// own workspace.
	_, member := join(t, d, owner, "acme", "m@acme.example", directory.RoleMember)
	if _, err := d.UpdateOIDCConnection(ctx, member, "acme", c.ID, box, directory.OIDCConnectionUpdate{ClientSecret: new("x")}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member: err = %v, want ErrForbidden", err)
	}
	if _, err := d.UpdateOIDCConnection(ctx, otherOwner, "acme", c.ID, box, directory.OIDCConnectionUpdate{ClientSecret: new("x")}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("other owner naming acme: err = %v, want ErrForbidden", err)
	}
	if _, err := d.UpdateOIDCConnection(ctx, otherOwner, "other", c.ID, box, directory.OIDCConnectionUpdate{ClientSecret: new("x")}); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("other owner via own workspace: err = %v, want ErrNotFound", err)
	}
	if err := d.DeleteOIDCConnection(ctx, otherOwner, "other", c.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("other owner deletes via own workspace: err = %v, want ErrNotFound", err)
	}
	if err := d.DeleteOIDCConnection(ctx, member, "acme", c.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("member deletes: err = %v, want ErrForbidden", err)
	}
	if s, _ := fresh.ClientSecret(box); s != "new-secret" {
		t.Error("refused updates changed the secret")
	}
	if after, _ := d.OIDCConnectionByID(ctx, c.ID); after.UpdatedAt != before.UpdatedAt {
		t.Errorf("refused calls changed the connection: %+v", after)
	}
}

// testDeleteOIDCConnection: deleting a connection deletes the identities
// linked through it (so people re-link through its replacement) but keeps
// the people, their memberships and their live sessions.
func testDeleteOIDCConnection(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	box := testBox(t)
	acme, owner := newWorkspace(t, d, "acme")
	verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainAutoJoin, directory.RoleMember)
	old, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: directory.OIDCEntra, TenantID: tenant, ClientID: "app", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	keep, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "c", ClientSecret: "s", Domains: []string{"sub.acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	in := func(conn directory.OIDCConnection, sub string) directory.SignInRequest {
		return directory.SignInRequest{Connection: conn.ID, Issuer: conn.Issuer, Subject: sub, Email: "ann@acme.example", EmailVerified: true, TenantID: tenant}
	}
	res, err := d.SignIn(ctx, in(old, "sub-ann"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.SignIn(ctx, in(keep, "idp-ann")); err != nil {
		t.Fatal(err)
	}
	identities := func(conn string) int {
		var n int
		if err := directorytest.DB(t, d).Get(&n, directorytest.DB(t, d).Rebind(`SELECT COUNT(*) FROM oidc_identities WHERE connection_id = ?`), conn); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if identities(old.ID) != 1 || identities(keep.ID) != 1 {
		t.Fatalf("identities before: %d, %d", identities(old.ID), identities(keep.ID))
	}

	_, otherOwner := newWorkspace(t, d, "other")
	if err := d.DeleteOIDCConnection(ctx, otherOwner, "acme", old.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("other owner: err = %v, want ErrForbidden", err)
	}
	if err := d.DeleteOIDCConnection(ctx, owner, "acme", old.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.OIDCConnectionByID(ctx, old.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("deleted connection: err = %v", err)
	}
	if err := d.DeleteOIDCConnection(ctx, owner, "acme", old.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("deleted twice: err = %v, want ErrNotFound", err)
	}
	if identities(old.ID) != 0 || identities(keep.ID) != 1 {
		t.Errorf("identities after: %d, %d", identities(old.ID), identities(keep.ID))
	}
	if ev := lastEvent(t, d, "acme", "oidc_connection.deleted"); ev["identities_unlinked"] != float64(1) || ev["issuer"] != old.Issuer {
		t.Errorf("event = %v", ev)
	}
	// The session stays until it expires or the person is suspended
	// or removed; the person stays a member.
	if s, err := d.SessionByToken(ctx, res.SessionToken); err != nil || s.UserID != res.UserID {
		t.Errorf("session after delete = %+v, %v", s, err)
	}
	// A sign-in through the deleted connection is refused; through its
	// replacement the same person links again by trusted email.
	if _, err := d.SignIn(ctx, in(old, "sub-ann")); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("sign-in via deleted connection: err = %v", err)
	}
	repl, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: directory.OIDCEntra, TenantID: tenant, ClientID: "app", ClientSecret: "s2"})
	if err != nil {
		t.Fatal(err)
	}
	res2, err := d.SignIn(ctx, in(repl, "sub-ann"))
	if err != nil || res2.UserID != res.UserID || res2.Outcome != directory.SignInMember {
		t.Errorf("re-link: %+v, %v", res2, err)
	}
	if identities(repl.ID) != 1 {
		t.Errorf("replacement identities = %d", identities(repl.ID))
	}

	// Changing the issuer unlinks the old issuer's identities too.
	if _, err := d.UpdateOIDCConnection(ctx, owner, "acme", keep.ID, box, directory.OIDCConnectionUpdate{Issuer: new("https://idp-new.acme.example")}); err != nil {
		t.Fatal(err)
	}
	if identities(keep.ID) != 0 {
		t.Errorf("identities of the old issuer = %d", identities(keep.ID))
	}
	if ev := lastEvent(t, d, "acme", "oidc_connection.updated"); ev["identities_unlinked"] != float64(1) {
		t.Errorf("event = %v", ev)
	}
}

func testBox(t *testing.T) *seal.Box {
	t.Helper()
	keys, err := seal.ParseKeys(seal.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	box, err := seal.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// lastEvent is the newest event of a type in a workspace, decoded.
func lastEvent(t *testing.T, d *directory.Directory, ws, typ string) map[string]any {
	t.Helper()
	events, err := d.ListEvents(context.Background(), op, ws, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Type == typ {
			var p map[string]any
			if err := json.Unmarshal(events[i].Payload, &p); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	t.Fatalf("no %s event in %s", typ, ws)
	return nil
}

func storedSecret(t *testing.T, d *directory.Directory, id string) string {
	t.Helper()
	var s string
	if err := directorytest.DB(t, d).Get(&s, directorytest.DB(t, d).Rebind(`SELECT client_secret FROM oidc_connections WHERE id = ?`), id); err != nil {
		t.Fatal(err)
	}
	return s
}
