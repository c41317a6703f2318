package suite

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// signInTests: who a sign-in identifies, which identity provider is
// trusted with which address, and sign-ins racing each other or a
// suspension.
var signInTests = []test{
	{"SignInIdentityRules", testSignInIdentityRules},
	{"SignInGenericConnectionTrust", testSignInGenericConnectionTrust},
	{"EntraEmailTrust", testEntraEmailTrust},
	{"SignInFirstTimeRace", testSignInFirstTimeRace},
	{"SignInSuspendedMeanwhile", testSignInSuspendedMeanwhile},
}

// testSignInIdentityRules: identities are keyed on (connection, issuer,
// subject); email links only when trusted and at the workspace's verified
// domain; a tenant-pinned Entra connection vouches for those domains only;
// a SCIM-provisioned member links by externalId.
func testSignInIdentityRules(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	box := testBox(t)
	acme, owner := newWorkspace(t, d, "acme")
	verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainAutoJoin, directory.RoleMember)
	entra, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Kind: directory.OIDCEntra, TenantID: tenant, ClientID: "app", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	in := func(sub, email string, verified bool) directory.SignInRequest {
		return directory.SignInRequest{Connection: entra.ID, Issuer: entra.Issuer, Subject: sub, Email: email, EmailVerified: verified, TenantID: tenant}
	}

	// Entra sends no email_verified: the pinned tenant vouches for the
	// workspace's verified domain, so auto_join applies.
	res, err := d.SignIn(ctx, in("sub-ann", "ann@acme.example", false))
	if err != nil || res.Outcome != directory.SignInJoined || res.SessionToken == "" || !res.NeedsOnboarding {
		t.Fatalf("ann: %+v %v", res, err)
	}
	s, err := d.SessionByToken(ctx, res.SessionToken)
	if err != nil || s.UserID != res.UserID || s.Email != "ann@acme.example" {
		t.Errorf("session = %+v %v", s, err)
	}
	// ...but not for other domains, even "verified" ones.
	if _, err := d.SignIn(ctx, in("sub-x", "x@gmail.example", true)); !errors.Is(err, directory.ErrUnverifiedEmail) {
		t.Errorf("foreign domain: err = %v", err)
	}
	// Another tenant is refused outright.
	bad := in("sub-ann", "ann@acme.example", false)
	bad.TenantID = "00000000-0000-0000-0000-000000000001"
	if _, err := d.SignIn(ctx, bad); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("other tenant: err = %v", err)
	}
	// Once linked, the subject decides, not the (mutable) email claim;
	// the old session is rotated out.
	again := in("sub-ann", "renamed@elsewhere.example", false)
	again.PreviousSession = res.SessionToken
	res2, err := d.SignIn(ctx, again)
	if err != nil || res2.UserID != res.UserID || res2.Outcome != directory.SignInMember || res2.Email != "ann@acme.example" {
		t.Fatalf("ann again: %+v %v", res2, err)
	}
	if _, err := d.SessionByToken(ctx, res.SessionToken); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("previous session still valid: %v", err)
	}

	// A SCIM-provisioned member links by externalId (the Entra oid),
	// whatever the email says.
	m, _ := join(t, d, owner, "acme", "pat@acme.example", directory.RoleMember)
	if _, err := directorytest.DB(t, d).Exec(directorytest.DB(t, d).Rebind(`UPDATE memberships SET external_id = ? WHERE id = ?`), "oid-pat", m.ID); err != nil {
		t.Fatal(err)
	}
	scim := in("sub-pat", "", false)
	scim.ExternalIDs = []string{"oid-pat", "sub-pat"}
	res3, err := d.SignIn(ctx, scim)
	if err != nil || res3.UserID != m.UserID || res3.Outcome != directory.SignInMember {
		t.Fatalf("pat: %+v %v", res3, err)
	}

	// Suspension revokes every session of the person.
	if _, err := d.SuspendMember(ctx, owner, "acme", m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SessionByToken(ctx, res3.SessionToken); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("session survives suspension: %v", err)
	}
	if _, err := d.SignIn(ctx, scim); !errors.Is(err, directory.ErrSuspended) {
		t.Errorf("suspended sign-in: err = %v", err)
	}
	// Removal too.
	res4, err := d.SignIn(ctx, in("sub-ann", "", false))
	if err != nil {
		t.Fatal(err)
	}
	members, _ := d.ListMembers(ctx, owner, "acme", directory.MemberFilter{Query: "ann@"})
	if err := d.RemoveMember(ctx, owner, "acme", members.Members[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SessionByToken(ctx, res4.SessionToken); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("session survives removal: %v", err)
	}
}

// testSignInGenericConnectionTrust: a generic workspace connection vouches
// only for verified emails at the workspace's verified domains, and a
// sign-in with no workspace and no link is ErrNoAccount.
func testSignInGenericConnectionTrust(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	box := testBox(t)
	acme, _ := newWorkspace(t, d, "acme")
	verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainRequest, directory.RoleMember)
	c, err := d.CreateOIDCConnection(ctx, op, "acme", box, directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "a", ClientSecret: "b"})
	if err != nil {
		t.Fatal(err)
	}
	req := directory.SignInRequest{Connection: c.ID, Issuer: c.Issuer, Subject: "s1", Email: "bo@acme.example"}
	if _, err := d.SignIn(ctx, req); !errors.Is(err, directory.ErrUnverifiedEmail) {
		t.Errorf("unverified: err = %v", err)
	}
	req.Issuer = "https://evil.example"
	req.EmailVerified = true
	if _, err := d.SignIn(ctx, req); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("foreign issuer: err = %v", err)
	}
	req.Issuer = c.Issuer
	res, err := d.SignIn(ctx, req)
	if err != nil || res.Outcome != directory.SignInRequested || res.Request == nil {
		t.Errorf("request domain: %+v %v", res, err)
	}
	srv := directory.SignInRequest{Connection: directory.ServerProviderPrefix + "social", Issuer: "https://social.example", Subject: "z", Email: "z@nowhere.example", EmailVerified: true}
	if _, err := d.SignIn(ctx, srv); !errors.Is(err, directory.ErrNoAccount) {
		t.Errorf("no account: err = %v", err)
	}
	// A server-wide provider cannot speak for acme.example, which acme
	// routes to its own provider, even with a verified email.
	srv.Subject, srv.Email = "y", "bo@acme.example"
	if _, err := d.SignIn(ctx, srv); !errors.Is(err, directory.ErrOrganizationSSO) {
		t.Errorf("routed domain through a server provider: err = %v", err)
	}
}

// testEntraEmailTrust: Entra sends no email_verified, so directory decides
// from the claims the relying party passes on. A tenant-pinned workspace
// connection refuses other tenants and vouches for the workspace's
// verified domains only, whatever email_verified or xms_edov say; a
// server-wide Entra provider is trusted on xms_edov, which means nothing
// from another kind of provider.
func testEntraEmailTrust(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	ctx := context.Background()
	acme, owner := newWorkspace(t, d, "acme")
	verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainAutoJoin, directory.RoleMember)
	conn, err := d.CreateOIDCConnection(ctx, op, "acme", testBox(t), directory.OIDCConnectionRequest{Kind: directory.OIDCEntra, TenantID: tenant, ClientID: "app", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	const otherTenant = "00000000-0000-0000-0000-000000000001"
	pinned := []struct {
		name           string
		tid, email     string
		verified, edov bool
		want           error // nil: joins by the domain
	}{
		{"own tenant, verified domain, no email_verified", tenant, "ann@acme.example", false, false, nil},
		{"own tenant in capitals", strings.ToUpper(tenant), "bea@acme.example", false, false, nil},
		{"another tenant, whatever it claims", otherTenant, "cai@acme.example", true, true, directory.ErrWrongTenant},
		{"no tenant", "", "dan@acme.example", true, true, directory.ErrWrongTenant},
		{"own tenant, a domain the workspace has not verified", tenant, "eve@elsewhere.example", true, true, directory.ErrUnverifiedEmail},
	}
	for _, tc := range pinned {
		res, err := d.SignIn(ctx, directory.SignInRequest{Connection: conn.ID, Issuer: conn.Issuer, Subject: "sub-" + tc.email, Email: tc.email,
			EmailVerified: tc.verified, EmailDomainOwnerVerified: tc.edov, TenantID: tc.tid, ProviderKind: directory.OIDCEntra})
		switch {
		case tc.want == nil && (err != nil || res.Outcome != directory.SignInJoined):
			t.Errorf("%s: %+v %v, want joined", tc.name, res.Outcome, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		if errors.Is(tc.want, directory.ErrWrongTenant) && !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("%s: ErrWrongTenant is not an ErrForbidden: %v", tc.name, err)
		}
	}

	server := []struct {
		name           string
		kind           string
		verified, edov bool
		trusted        bool
	}{
		{"entra with xms_edov", directory.OIDCEntra, false, true, true},
		{"entra without", directory.OIDCEntra, false, false, false},
		{"generic with xms_edov only", directory.OIDCGeneric, false, true, false},
		{"generic with email_verified", directory.OIDCGeneric, true, false, true},
	}
	for i, tc := range server {
		email := "guest" + string(rune('a'+i)) + "@partner.example"
		out, err := d.Invite(ctx, owner, "acme", directory.InviteRequest{Text: email, Role: directory.RoleCollaborator})
		if err != nil || out[0].Token == "" {
			t.Fatalf("invite %s: %+v %v", email, out, err)
		}
		res, err := d.SignIn(ctx, directory.SignInRequest{Connection: directory.ServerProviderPrefix + "microsoft", Issuer: directory.EntraIssuer(otherTenant),
			Subject: "sub-" + email, Email: email, EmailVerified: tc.verified, EmailDomainOwnerVerified: tc.edov, TenantID: otherTenant,
			ProviderKind: tc.kind, Invitation: out[0].Token})
		switch {
		case tc.trusted && (err != nil || res.Outcome != directory.SignInAccepted):
			t.Errorf("%s: %+v %v, want the invitation accepted", tc.name, res.Outcome, err)
		case !tc.trusted && !errors.Is(err, directory.ErrUnverifiedEmail):
			t.Errorf("%s: err = %v, want ErrUnverifiedEmail", tc.name, err)
		}
	}
}

// testSignInFirstTimeRace: parallel first sign-ins of one new identity (a
// double-clicked callback, two tabs) all succeed as one person: one
// identity, one active membership, the invitation accepted once, one
// member.activated; the first is the outcome, the others sign in.
func testSignInFirstTimeRace(t *testing.T, newDirectory NewDirectory) {
	const n = 12
	tests := []struct {
		name     string
		policy   string // the domain's policy
		invite   bool   // a pending invitation waits for the person
		link     string // "invitation" or "join" to follow that link
		outcome  directory.SignInOutcome
		accepted int // invitation.accepted events
	}{
		{name: "invitation link", policy: directory.DomainRequest, invite: true, link: "invitation", outcome: directory.SignInAccepted, accepted: 1},
		{name: "pending invitation", policy: directory.DomainRequest, invite: true, outcome: directory.SignInAccepted, accepted: 1},
		{name: "auto-join domain", policy: directory.DomainAutoJoin, outcome: directory.SignInJoined},
		{name: "direct join link", policy: directory.DomainRequest, link: "join", outcome: directory.SignInJoined},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDirectory(t, directory.Options{})
			ctx := context.Background()
			acme, owner := newWorkspace(t, d, "acme")
			verifyDomainForTest(t, d, acme.ID, "acme.example", tc.policy, directory.RoleMember)
			c, err := d.CreateOIDCConnection(ctx, op, "acme", testBox(t), directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "a", ClientSecret: "b"})
			if err != nil {
				t.Fatal(err)
			}
			req := directory.SignInRequest{Connection: c.ID, Issuer: c.Issuer, Subject: "sub-ann", Email: "ann@acme.example", EmailVerified: true, Name: "Ann"}
			if tc.invite {
				out, err := d.Invite(ctx, owner, "acme", directory.InviteRequest{Text: "ann@acme.example", Role: directory.RoleMember})
				if err != nil || out[0].Status != directory.OutcomeInvited {
					t.Fatalf("invite: %+v %v", out, err)
				}
				if tc.link == "invitation" {
					req.Invitation = out[0].Token
				}
			}
			if tc.link == "join" {
				_, token, _, err := d.CreateJoinLink(ctx, owner, "acme", directory.JoinLinkRequest{Description: "all", Mode: directory.JoinModeDirect, Notify: directory.JoinNotifyNobody})
				if err != nil {
					t.Fatal(err)
				}
				req.JoinLink = token
			}

			// Released together: no sleeps, a closed channel.
			start := make(chan struct{})
			var wg sync.WaitGroup
			results := make([]directory.SignInResult, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					results[i], errs[i] = d.SignIn(ctx, req)
				}()
			}
			close(start)
			wg.Wait()

			outcomes := map[directory.SignInOutcome]int{}
			tokens := map[string]bool{}
			userID := ""
			for i, err := range errs {
				if err != nil {
					t.Errorf("sign-in %d: %v", i, err)
					continue
				}
				r := results[i]
				outcomes[r.Outcome]++
				tokens[r.SessionToken] = true
				if userID == "" {
					userID = r.UserID
				} else if r.UserID != userID {
					t.Errorf("sign-in %d is user %s, another is %s", i, r.UserID, userID)
				}
			}
			if t.Failed() {
				t.FailNow()
			}
			if outcomes[tc.outcome] != 1 || outcomes[directory.SignInMember] != n-1 || len(tokens) != n {
				t.Errorf("outcomes %v, %d distinct sessions; want one %s and %d %s", outcomes, len(tokens), tc.outcome, n-1, directory.SignInMember)
			}
			count := func(what, query string, args ...any) int {
				t.Helper()
				var c int
				if err := directorytest.DB(t, d).Get(&c, directorytest.DB(t, d).Rebind(query), args...); err != nil {
					t.Fatalf("count %s: %v", what, err)
				}
				return c
			}
			if got := count("identities", `SELECT COUNT(*) FROM oidc_identities WHERE connection_id = ? AND issuer = ? AND subject = ?`, c.ID, c.Issuer, "sub-ann"); got != 1 {
				t.Errorf("%d identities, want 1", got)
			}
			if got := count("memberships", `SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ? AND u.email_norm = ? AND m.status = 'active'`, acme.ID, "ann@acme.example"); got != 1 {
				t.Errorf("%d active memberships, want 1", got)
			}
			if got := count("sessions", `SELECT COUNT(*) FROM sessions WHERE user_id = ?`, userID); got != n {
				t.Errorf("%d sessions, want %d", got, n)
			}
			if tc.invite {
				if got := count("invitations", `SELECT COUNT(*) FROM invitations WHERE workspace_id = ? AND email_norm = ? AND status = 'accepted' AND accepted_at IS NOT NULL`, acme.ID, "ann@acme.example"); got != 1 {
					t.Errorf("%d accepted invitations, want 1", got)
				}
			}
			events, err := d.ListEvents(ctx, op, "acme", 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for _, e := range events {
				var p struct {
					UserID string `json:"user_id"`
					Email  string `json:"email"`
				}
				if err := json.Unmarshal(e.Payload, &p); err != nil {
					t.Fatal(err)
				}
				if p.UserID == userID || p.Email == "ann@acme.example" {
					seen[e.Type]++
				}
			}
			if seen["member.activated"] != 1 || seen["invitation.accepted"] != tc.accepted || seen["member.signed_in"] != n {
				t.Errorf("events %v; want one member.activated, %d invitation.accepted, %d member.signed_in", seen, tc.accepted, n)
			}
		})
	}
}

// testSignInSuspendedMeanwhile: a suspension that commits while a sign-in
// is deciding is not outrun by the new session (the suspension revokes
// only the sessions it can see). PostgreSQL only: SQLite's immediate
// transactions never overlap.
func testSignInSuspendedMeanwhile(t *testing.T, newDirectory NewDirectory) {
	d := newDirectory(t, directory.Options{})
	if d.Dialect() != directory.Postgres {
		t.Skip("SQLite runs one writing transaction at a time")
	}
	ctx := context.Background()
	acme, _ := newWorkspace(t, d, "acme")
	verifyDomainForTest(t, d, acme.ID, "acme.example", directory.DomainAutoJoin, directory.RoleMember)
	c, err := d.CreateOIDCConnection(ctx, op, "acme", testBox(t), directory.OIDCConnectionRequest{Issuer: "https://idp.acme.example", ClientID: "a", ClientSecret: "b"})
	if err != nil {
		t.Fatal(err)
	}
	req := directory.SignInRequest{Connection: c.ID, Issuer: c.Issuer, Subject: "sub-ann", Email: "ann@acme.example", EmailVerified: true}
	first, err := d.SignIn(ctx, req)
	if err != nil || first.Member == nil {
		t.Fatalf("first sign-in: %+v %v", first, err)
	}

	// A suspension, as changeStatus writes it, not committed yet.
	susp, err := directorytest.DB(t, d).BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer susp.Rollback()
	for _, q := range []string{`UPDATE memberships SET status = 'suspended' WHERE id = ?`, `DELETE FROM sessions WHERE user_id = ?`} {
		arg := first.Member.ID
		if strings.Contains(q, "sessions") {
			arg = first.UserID
		}
		if _, err := susp.Exec(directorytest.DB(t, d).Rebind(q), arg); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		_, err := d.SignIn(ctx, req)
		done <- err
	}()
	// The sign-in reads the membership as active (the suspension is
	// not committed) and must then wait for the row; commit the
	// suspension once it waits, or once it is over.
	var signInErr error
	finished := false
	deadline := time.Now().Add(20 * time.Second)
	for !finished && time.Now().Before(deadline) {
		select {
		case signInErr = <-done:
			finished = true
			continue
		default:
		}
		var waiting int
		if err := directorytest.DB(t, d).Get(&waiting, `SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FROM memberships m WHERE m.id%'`); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := susp.Commit(); err != nil {
		t.Fatal(err)
	}
	if !finished {
		signInErr = <-done
	}
	if !errors.Is(signInErr, directory.ErrSuspended) {
		t.Errorf("sign-in during the suspension: err = %v, want ErrSuspended", signInErr)
	}
	var sessions int
	if err := directorytest.DB(t, d).Get(&sessions, directorytest.DB(t, d).Rebind(`SELECT COUNT(*) FROM sessions WHERE user_id = ?`), first.UserID); err != nil {
		t.Fatal(err)
	}
	if sessions != 0 {
		t.Errorf("%d sessions survive the suspension", sessions)
	}
}

const tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
