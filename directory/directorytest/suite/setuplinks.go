package suite

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// setupLinkTests: setup links for the customer's IT admin, made by the
// workspace's admins, used without an account for one job in one
// workspace.
var setupLinkTests = []test{
	{"SetupLinkLifecycle", testSetupLinkLifecycle},
	{"SetupLinkOneJobOneWorkspace", testSetupLinkOneJobOneWorkspace},
	{"SetupLinkSCIM", testSetupLinkSCIM},
	{"SetupLinkSSO", testSetupLinkSSO},
	{"SetupLinkDomain", testSetupLinkDomain},
}

func testSetupLinkLifecycle(t *testing.T, newDirectory NewDirectory) {
	clock := directorytest.NewClock()
	d := newDirectory(t, directory.Options{BaseURL: "https://roster.example", Now: clock.Now})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, manager, _, _ := staff(t, d, owner, ws.Slug)

	if _, _, _, err := d.CreateSetupLink(ctx, owner, ws.Slug, directory.SetupLinkRequest{Purpose: "saml"}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("unknown purpose: %v", err)
	}
	if _, _, _, err := d.CreateSetupLink(ctx, owner, ws.Slug, directory.SetupLinkRequest{Purpose: "scim", ExpiresIn: time.Minute}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("one minute: %v", err)
	}
	if _, _, _, err := d.CreateSetupLink(ctx, manager, ws.Slug, directory.SetupLinkRequest{Purpose: "scim"}); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("a manager (no connections.manage) made a SCIM link: %v", err)
	}
	link, token, url, err := d.CreateSetupLink(ctx, owner, ws.Slug, directory.SetupLinkRequest{Purpose: " SCIM ", Description: " Okta at Acme "})
	if err != nil {
		t.Fatal(err)
	}
	if link.Purpose != directory.SetupSCIM || link.Description != "Okta at Acme" || !link.ExpiresAt.Equal(clock.Now().Add(24*time.Hour)) ||
		link.Status(clock.Now()) != directory.SetupPending || link.WorkspaceName != ws.Name {
		t.Errorf("link = %+v", link)
	}
	if len(token) < 40 || url != "https://roster.example/setup/"+token {
		t.Errorf("token %q, url %q", token, url)
	}
	db := directorytest.DB(t, d)
	var stored int
	if err := db.Get(&stored, db.Rebind(`SELECT COUNT(*) FROM setup_links WHERE token_hash = ? OR description = ?`), token, token); err != nil || stored != 0 {
		t.Errorf("token stored in clear: %d %v", stored, err)
	}
	if got, err := d.OpenSetupLink(ctx, token); err != nil || got.ID != link.ID {
		t.Errorf("open = %+v, %v", got, err)
	}
	if _, err := d.OpenSetupLink(ctx, token+"x"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
	list, err := d.ListSetupLinks(ctx, owner, ws.Slug)
	if err != nil || len(list) != 1 || list[0].ID != link.ID {
		t.Errorf("list = %+v, %v", list, err)
	}
	if _, err := d.ListSetupLinks(ctx, manager, ws.Slug); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager lists: %v", err)
	}

	// Expiry: the link is refused, and the page can still say what it was.
	clock.Advance(24 * time.Hour)
	if got, err := d.OpenSetupLink(ctx, token); !errors.Is(err, directory.ErrExpired) || got.ID != link.ID {
		t.Errorf("expired open = %+v, %v", got, err)
	}
	if _, _, err := d.SetupSCIMToken(ctx, token); !errors.Is(err, directory.ErrExpired) {
		t.Errorf("expired link made a token: %v", err)
	}

	// Revoke.
	short, token2, _, err := d.CreateSetupLink(ctx, owner, ws.Slug, directory.SetupLinkRequest{Purpose: "domain", ExpiresIn: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.RevokeSetupLink(ctx, manager, ws.Slug, short.ID); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager revoked: %v", err)
	}
	rev, err := d.RevokeSetupLink(ctx, owner, ws.Slug, short.ID)
	if err != nil || rev.Status(clock.Now()) != directory.SetupRevoked {
		t.Fatalf("revoke = %+v, %v", rev, err)
	}
	if _, err := d.RevokeSetupLink(ctx, owner, ws.Slug, short.ID); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("revoke twice: %v", err)
	}
	if _, err := d.OpenSetupLink(ctx, token2); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("revoked open: %v", err)
	}
	if _, err := d.SetupAddDomain(ctx, token2, "acme.example"); !errors.Is(err, directory.ErrRevoked) {
		t.Errorf("revoked link added a domain: %v", err)
	}
	types := eventTypes(t, d, owner, ws.Slug)
	if countOf(types, "setup_link.created") != 2 || countOf(types, "setup_link.revoked") != 1 {
		t.Errorf("events = %v", types)
	}
}

func testSetupLinkOneJobOneWorkspace(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{BaseURL: "https://roster.example"})
	ctx := context.Background()
	box := testBox(t)
	acme, owner := newWorkspace(t, d, "acme")
	other, otherOwner := newWorkspace(t, d, "other")
	otherDom, err := d.AddDomain(ctx, otherOwner, other.Slug, "other.example")
	if err != nil {
		t.Fatal(err)
	}
	_, scimTok, _, _ := d.CreateSetupLink(ctx, owner, acme.Slug, directory.SetupLinkRequest{Purpose: "scim"})
	_, domTok, _, _ := d.CreateSetupLink(ctx, owner, acme.Slug, directory.SetupLinkRequest{Purpose: "domain"})

	// A SCIM link cannot make an SSO connection or touch domains.
	req := directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "c", ClientSecret: "s"}
	if _, err := d.SetupSSOConnection(ctx, scimTok, box, req); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("SCIM link made an SSO connection: %v", err)
	}
	if _, err := d.SetupAddDomain(ctx, scimTok, "acme.example"); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("SCIM link added a domain: %v", err)
	}
	// A domain link cannot make SCIM tokens.
	if _, _, err := d.SetupSCIMToken(ctx, domTok); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("domain link made a SCIM token: %v", err)
	}
	// Another workspace's domain is not reachable by id.
	if _, err := d.SetupVerifyDomain(ctx, domTok, otherDom.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("verified another workspace's domain: %v", err)
	}
	if conns, _ := d.ListOIDCConnections(ctx, owner, acme.Slug); len(conns) != 0 {
		t.Errorf("connections = %+v", conns)
	}
	doms, err := d.SetupDomains(ctx, domTok)
	if err != nil || len(doms) != 0 {
		t.Errorf("domain link sees %+v, %v", doms, err)
	}
	// The holder's actor cannot be used with another workspace even when
	// its id is known: every operation goes through the token.
	if _, _, err := d.SetupSCIMToken(ctx, "not-a-token"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("unknown token: %v", err)
	}
}

func testSetupLinkSCIM(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{BaseURL: "https://roster.example"})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, tok, _, _ := d.CreateSetupLink(ctx, owner, ws.Slug, directory.SetupLinkRequest{Purpose: "scim"})
	if _, err := d.SetupChooseProvider(ctx, tok, "myspace"); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("unknown provider: %v", err)
	}
	if _, err := d.SetupChooseProvider(ctx, tok, directory.SetupProviderOkta); err != nil {
		t.Fatal(err)
	}
	if reqs, err := d.SetupSCIMRequests(ctx, tok, 10); err != nil || len(reqs) != 0 {
		t.Errorf("requests before any = %v, %v", reqs, err)
	}
	scimTok, secret, err := d.SetupSCIMToken(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := d.AuthenticateSCIM(ctx, secret)
	if err != nil || conn.WorkspaceID != ws.ID || conn.Profile != directory.ProfileOkta || conn.TokenID != scimTok.ID {
		t.Fatalf("the setup token does not authenticate: %+v %v", conn, err)
	}
	if err := d.RecordSCIMRequests(ctx, []directory.SCIMRequest{{ConnectionID: conn.ID, WorkspaceID: ws.ID, Method: "POST", Path: "/scim/v2/Users",
		Status: 201, Action: "created user jane@acme.example", CreatedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	reqs, err := d.SetupSCIMRequests(ctx, tok, 10)
	if err != nil || len(reqs) != 1 || reqs[0].Status != 201 {
		t.Errorf("requests = %+v, %v", reqs, err)
	}
	done, err := d.FinishSetup(ctx, tok)
	if err != nil || done.CompletedAt == nil || !strings.Contains(done.Summary, "Okta") || !strings.Contains(done.Summary, "1 request") {
		t.Fatalf("finish = %+v, %v", done, err)
	}
	if _, _, err := d.SetupSCIMToken(ctx, tok); !errors.Is(err, directory.ErrUsed) {
		t.Errorf("finished link made a token: %v", err)
	}
	if got, err := d.OpenSetupLink(ctx, tok); err != nil || got.Summary != done.Summary {
		t.Errorf("finished link opens as %+v, %v", got, err)
	}
	if e := lastEvent(t, d, ws.Slug, "setup_link.completed"); e["summary"] != done.Summary {
		t.Errorf("completed event = %v", e)
	}
}

func testSetupLinkSSO(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{BaseURL: "https://roster.example"})
	ctx := context.Background()
	box := testBox(t)
	ws, owner := newWorkspace(t, d, "acme")
	verifyDomainForTest(t, d, ws.ID, "acme.example", directory.DomainRequest, directory.RoleMember)
	_, tok, _, _ := d.CreateSetupLink(ctx, owner, ws.Slug, directory.SetupLinkRequest{Purpose: "sso"})

	if _, err := d.SetupSSOConnection(ctx, tok, box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example"}); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("no client: %v", err)
	}
	c, err := d.SetupSSOConnection(ctx, tok, box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "roster", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Enabled {
		t.Error("a setup link's connection is on before its test")
	}
	// Not enabled: it does not route anyone's sign-in yet.
	if _, ok, err := d.OIDCConnectionForEmail(ctx, "jane@acme.example"); ok || err != nil {
		t.Errorf("disabled connection routes: %v %v", ok, err)
	}
	// Nor does it shut out a server-wide provider while the IT admin sets
	// it up: the domain's people sign in as before.
	srv := directory.SignInRequest{Connection: directory.ServerProviderPrefix + "social", Issuer: "https://social.example", Subject: "z", Email: "zoe@acme.example", EmailVerified: true}
	if res, err := d.SignIn(ctx, srv); err != nil || res.Outcome != directory.SignInRequested {
		t.Errorf("server-wide sign-in beside a disabled connection = %+v, %v", res, err)
	}
	if _, err := d.FinishSetup(ctx, tok); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("finished without a test sign-in: %v", err)
	}
	// Entering the details again changes the same connection.
	c2, err := d.SetupSSOConnection(ctx, tok, box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "roster2", ClientSecret: "s2"})
	if err != nil || c2.ID != c.ID || c2.ClientID != "roster2" || c2.Enabled {
		t.Fatalf("second entry = %+v, %v", c2, err)
	}
	tc, err := d.SetupSSOTestConnection(ctx, tok)
	if err != nil || tc.ID != c.ID {
		t.Fatalf("test connection = %+v, %v", tc, err)
	}
	claims := map[string]string{"sub": "u1", "email": "jane@acme.example"}
	res, err := d.RecordSetupSignInTest(ctx, tok, directory.SignInRequest{Connection: c.ID, Subject: "u1", Email: "jane@acme.example", EmailVerified: false}, claims)
	if err != nil || res.Accepted || !strings.Contains(res.Reason, "verified") {
		t.Errorf("unverified email = %+v, %v", res, err)
	}
	res, err = d.RecordSetupSignInTest(ctx, tok, directory.SignInRequest{Connection: c.ID, Subject: "u2", Email: "bob@elsewhere.example", EmailVerified: true}, claims)
	if err != nil || res.Accepted || !strings.Contains(res.Reason, "elsewhere.example is not a verified domain") {
		t.Errorf("other domain = %+v, %v", res, err)
	}
	if _, err := d.RecordSetupSignInTest(ctx, tok, directory.SignInRequest{Connection: "another", Email: "jane@acme.example"}, claims); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("test through another connection: %v", err)
	}
	res, err = d.RecordSetupSignInTest(ctx, tok, directory.SignInRequest{Connection: c.ID, Subject: "u1", Email: "jane@acme.example", EmailVerified: true}, claims)
	if err != nil || !res.Accepted || res.Claims["sub"] != "u1" {
		t.Errorf("accepted = %+v, %v", res, err)
	}
	// Nobody was signed in or created by the tests.
	if m, _ := d.ListMembers(ctx, owner, ws.Slug, directory.MemberFilter{}); len(m.Members) != 1 {
		t.Errorf("members after test sign-ins = %d", len(m.Members))
	}
	done, err := d.FinishSetup(ctx, tok)
	if err != nil || !strings.Contains(done.Summary, "jane@acme.example was accepted") {
		t.Fatalf("finish = %+v, %v", done, err)
	}
	if got, ok, err := d.OIDCConnectionForEmail(ctx, "jane@acme.example"); !ok || err != nil || got.ID != c.ID || !got.Enabled {
		t.Errorf("finished connection does not route: %+v %v %v", got, ok, err)
	}
	if _, err := d.SignIn(ctx, srv); !errors.Is(err, directory.ErrOrganizationSSO) {
		t.Errorf("server-wide sign-in beside the enabled connection: %v", err)
	}
}

func testSetupLinkDomain(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{BaseURL: "https://roster.example", Resolver: dns})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, tok, _, _ := d.CreateSetupLink(ctx, owner, ws.Slug, directory.SetupLinkRequest{Purpose: "domain"})
	if _, err := d.SetupChooseProvider(ctx, tok, directory.SetupProviderOkta); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("domain link picked a provider: %v", err)
	}
	dom, err := d.SetupAddDomain(ctx, tok, "Acme.Example")
	if err != nil || dom.Domain != "acme.example" || dom.TXTName == "" {
		t.Fatalf("add = %+v, %v", dom, err)
	}
	if _, err := d.SetupVerifyDomain(ctx, tok, dom.ID); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("verify without the record: %v", err)
	}
	dns.publish(dom.TXTName, dom.TXTValue)
	v, err := d.SetupVerifyDomain(ctx, tok, dom.ID)
	if err != nil || !v.Verified {
		t.Fatalf("verify = %+v, %v", v, err)
	}
	done, err := d.FinishSetup(ctx, tok)
	if err != nil || !strings.Contains(done.Summary, "Verified: acme.example") {
		t.Errorf("finish = %+v, %v", done, err)
	}
	// The event feed names the setup link as the actor.
	evs, err := d.ListEvents(ctx, owner, ws.Slug, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range evs {
		if e.Type == "domain.verified" {
			found = e.ActorKind == string(directory.ActorSetupLink)
		}
	}
	if !found {
		t.Errorf("domain.verified not recorded as done through the setup link: %+v", evs)
	}
}
