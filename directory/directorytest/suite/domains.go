package suite

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// domainTests: verifying a domain by DNS, its policy, and joining a
// workspace by the domain of a verified address.
var domainTests = []test{
	{"DomainVerification", testDomainVerification},
	{"DomainVerifiedByOneWorkspaceOnly", testDomainVerifiedByOneWorkspaceOnly},
	{"DomainPolicy", testDomainPolicy},
	{"DomainTenancy", testDomainTenancy},
	{"JoinByDomain", testJoinByDomain},
	{"JoinByUnicodeDomain", testJoinByUnicodeDomain},
}

func testDomainVerification(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{Resolver: dns})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	dom, err := d.AddDomain(ctx, owner, ws.Slug, "Acme.Example.")
	if err != nil {
		t.Fatal(err)
	}
	name := "acme.example"
	if dom.Domain != name || dom.Verified || dom.Policy != directory.DomainRequest || dom.DefaultRole != directory.RoleMember {
		t.Errorf("domain = %+v", dom)
	}
	if dom.TXTName != "_roster-challenge."+name || len(dom.TXTValue) < len("roster-verification=")+40 || dom.TXTValue[:20] != "roster-verification=" {
		t.Errorf("TXT record = %q %q", dom.TXTName, dom.TXTValue)
	}
	if _, err := d.AddDomain(ctx, owner, ws.Slug, name); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("add twice: %v, want ErrConflict", err)
	}
	if _, err := d.AddDomain(ctx, owner, ws.Slug, "not a domain"); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("bad domain: %v", err)
	}
	// No record, then a wrong one: not verified.
	if _, err := d.VerifyDomain(ctx, owner, ws.Slug, dom.ID); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("verify without a record: %v, want ErrInvalid", err)
	}
	dns.publish(dom.TXTName, "roster-verification=somebody-elses-token", "v=spf1 -all")
	if _, err := d.VerifyDomain(ctx, owner, ws.Slug, dom.ID); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("verify with a wrong record: %v, want ErrInvalid", err)
	}
	if _, found, _ := d.VerifiedDomain(ctx, name); found {
		t.Error("an unverified domain is reported as verified")
	}
	dns.publish(dom.TXTName, dom.TXTValue)
	got, err := d.VerifyDomain(ctx, owner, ws.Slug, dom.ID)
	if err != nil || !got.Verified || got.VerifiedAt == nil {
		t.Fatalf("verify = %+v, %v", got, err)
	}
	again, err := d.VerifyDomain(ctx, owner, ws.Slug, dom.ID)
	if err != nil || !again.VerifiedAt.Equal(*got.VerifiedAt) {
		t.Errorf("verify again = %+v, %v", again, err)
	}
	v, found, err := d.VerifiedDomain(ctx, "ACME.example.")
	if err != nil || !found || v.WorkspaceID != ws.ID || v.ID != dom.ID {
		t.Errorf("VerifiedDomain = %+v %v %v", v, found, err)
	}
	if _, _, err := d.VerifiedDomain(ctx, "nope"); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("VerifiedDomain(nope): %v", err)
	}
	list, err := d.ListDomains(ctx, owner, ws.Slug)
	if err != nil || len(list) != 1 || !list[0].Verified {
		t.Errorf("domains = %+v, %v", list, err)
	}
	types := eventTypes(t, d, owner, ws.Slug)
	if countOf(types, "domain.added") != 1 || countOf(types, "domain.verified") != 1 {
		t.Errorf("events = %v", types)
	}
}

func testDomainVerifiedByOneWorkspaceOnly(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{Resolver: dns})
	ctx := context.Background()
	acme, acmeOwner := newWorkspace(t, d, "acme")
	globex, globexOwner := newWorkspace(t, d, "globex")
	name := "shared.example"
	acmeDom := verifiedDomain(t, d, dns, acmeOwner, acme.Slug, name)
	// Globex may claim it, and even publish its own record, but not verify it.
	dom, err := d.AddDomain(ctx, globexOwner, globex.Slug, name)
	if err != nil {
		t.Fatalf("second claim: %v", err)
	}
	dns.publish(dom.TXTName, dom.TXTValue)
	if _, err := d.VerifyDomain(ctx, globexOwner, globex.Slug, dom.ID); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("second verification: %v, want ErrConflict", err)
	}
	if v, _, _ := d.VerifiedDomain(ctx, name); v.WorkspaceID != acme.ID {
		t.Errorf("verified by %s, want acme", v.WorkspaceID)
	}
	// Once acme lets go, globex can verify it.
	if err := d.RemoveDomain(ctx, acmeOwner, acme.Slug, acmeDom.ID); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := d.VerifiedDomain(ctx, name); found {
		t.Error("a removed domain is still verified")
	}
	if got, err := d.VerifyDomain(ctx, globexOwner, globex.Slug, dom.ID); err != nil || !got.Verified {
		t.Errorf("verify after release: %+v %v", got, err)
	}
}

func testDomainPolicy(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{Resolver: dns})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	_, admin := join(t, d, owner, ws.Slug, "admin@acme.example", directory.RoleAdmin)
	_, manager := join(t, d, owner, ws.Slug, "manager@acme.example", directory.RoleManager)
	dom, _ := d.AddDomain(ctx, owner, ws.Slug, "acme.example")
	got, err := d.SetDomainPolicy(ctx, admin, ws.Slug, dom.ID, directory.DomainAutoJoin, directory.RoleCollaborator)
	if err != nil || got.Policy != directory.DomainAutoJoin || got.DefaultRole != directory.RoleCollaborator {
		t.Fatalf("%+v %v", got, err)
	}
	got, err = d.SetDomainPolicy(ctx, admin, ws.Slug, dom.ID, "", directory.RoleManager)
	if err != nil || got.Policy != directory.DomainAutoJoin || got.DefaultRole != directory.RoleManager {
		t.Errorf("role only: %+v %v", got, err)
	}
	if _, err := d.SetDomainPolicy(ctx, admin, ws.Slug, dom.ID, "everyone", ""); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("unknown policy: %v", err)
	}
	if _, err := d.SetDomainPolicy(ctx, owner, ws.Slug, dom.ID, "", directory.RoleOwner); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("owner by domain: %v", err)
	}
	if _, err := d.SetDomainPolicy(ctx, owner, ws.Slug, dom.ID, "", "wizard"); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("unknown role: %v", err)
	}
	if _, err := d.SaveCustomRole(ctx, owner, ws.Slug, directory.CustomRoleRequest{Key: "auditor", Name: "Auditor", Permissions: []directory.Permission{directory.PermMembersRead}}); err != nil {
		t.Fatal(err)
	}
	if got, err := d.SetDomainPolicy(ctx, admin, ws.Slug, dom.ID, directory.DomainRequest, "auditor"); err != nil || got.DefaultRole != "auditor" {
		t.Errorf("custom role: %+v %v", got, err)
	}
	// Managers lack domains.manage.
	if _, err := d.ListDomains(ctx, manager, ws.Slug); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager lists domains: %v", err)
	}
	if _, err := d.AddDomain(ctx, manager, ws.Slug, "other.example"); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager adds a domain: %v", err)
	}
	if _, err := d.SetDomainPolicy(ctx, manager, ws.Slug, dom.ID, directory.DomainAutoJoin, ""); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("manager sets policy: %v", err)
	}
	if err := d.RemoveDomain(ctx, admin, ws.Slug, dom.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.RemoveDomain(ctx, admin, ws.Slug, dom.ID); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("remove twice: %v", err)
	}
}

func testDomainTenancy(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{Resolver: dns})
	ctx := context.Background()
	acme, acmeOwner := newWorkspace(t, d, "acme")
	globex, globexOwner := newWorkspace(t, d, "globex")
	_, globexAdmin := join(t, d, globexOwner, globex.Slug, "admin@globex.example", directory.RoleAdmin)
	dom, _ := d.AddDomain(ctx, acmeOwner, acme.Slug, "acme.example")
	dns.publish(dom.TXTName, dom.TXTValue)

	forbiddenOrMissing := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, directory.ErrForbidden) && !errors.Is(err, directory.ErrNotFound) {
			t.Errorf("%s: %v, want ErrForbidden or ErrNotFound", what, err)
		}
	}
	_, err := d.ListDomains(ctx, globexAdmin, acme.Slug)
	forbiddenOrMissing("list acme's domains", err)
	_, err = d.AddDomain(ctx, globexAdmin, acme.Slug, "evil.example")
	forbiddenOrMissing("add to acme", err)
	_, err = d.VerifyDomain(ctx, globexAdmin, acme.Slug, dom.ID)
	forbiddenOrMissing("verify acme's domain", err)
	_, err = d.VerifyDomain(ctx, globexAdmin, globex.Slug, dom.ID)
	forbiddenOrMissing("verify acme's domain via globex", err)
	_, err = d.SetDomainPolicy(ctx, globexAdmin, globex.Slug, dom.ID, directory.DomainAutoJoin, "")
	forbiddenOrMissing("set acme's policy via globex", err)
	forbiddenOrMissing("remove acme's domain via globex", d.RemoveDomain(ctx, globexAdmin, globex.Slug, dom.ID))
	if list, _ := d.ListDomains(ctx, globexOwner, globex.Slug); len(list) != 0 {
		t.Errorf("globex sees domains: %+v", list)
	}
	list, _ := d.ListDomains(ctx, acmeOwner, acme.Slug)
	if len(list) != 1 || list[0].Verified || list[0].Policy != directory.DomainRequest {
		t.Errorf("acme's domain changed: %+v", list)
	}
}

func testJoinByDomain(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{Resolver: dns})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	other, otherOwner := newWorkspace(t, d, "globex")
	staff(t, d, owner, ws.Slug)
	dom, _ := d.AddDomain(ctx, owner, ws.Slug, "acme.example")
	if _, err := d.SetDomainPolicy(ctx, owner, ws.Slug, dom.ID, directory.DomainAutoJoin, directory.RoleCollaborator); err != nil {
		t.Fatal(err)
	}
	// Unverified: nothing is granted, whatever the policy says.
	if _, err := d.JoinByDomain(ctx, ws.Slug, identity("ann@acme.example")); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("unverified domain: %v, want ErrForbidden", err)
	}
	dns.publish(dom.TXTName, dom.TXTValue)
	if _, err := d.VerifyDomain(ctx, owner, ws.Slug, dom.ID); err != nil {
		t.Fatal(err)
	}
	res, err := d.JoinByDomain(ctx, ws.Slug, identity("Ann@ACME.example"))
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Member; res.Outcome != directory.JoinOutcomeJoined || m.Status != directory.StatusActive || m.Role != directory.RoleCollaborator ||
		m.Source != directory.SourceDomain || m.Kind != directory.KindInternal || m.Email != "ann@acme.example" {
		t.Errorf("auto-join = %s %+v", res.Outcome, res.Member)
	}
	if again, err := d.JoinByDomain(ctx, ws.Slug, identity("ann@acme.example")); err != nil || again.Outcome != directory.JoinOutcomeAlreadyMember {
		t.Errorf("again = %+v, %v", again, err)
	}
	if n := len(emails(t, d, ws.ID, "join_request_filed")); n != 0 {
		t.Errorf("auto-join filed %d request mails", n)
	}
	// Other domains, and a workspace that has not verified this one, grant nothing.
	if _, err := d.JoinByDomain(ctx, ws.Slug, identity("eve@acme.example.evil.example")); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("look-alike domain: %v", err)
	}
	if _, err := d.JoinByDomain(ctx, ws.Slug, identity("eve@sub.acme.example")); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("subdomain: %v", err)
	}
	if _, err := d.JoinByDomain(ctx, other.Slug, identity("bob@acme.example")); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("globex joined through acme's domain: %v", err)
	}
	// The request policy files a request and tells the managers.
	if _, err := d.SetDomainPolicy(ctx, owner, ws.Slug, dom.ID, directory.DomainRequest, ""); err != nil {
		t.Fatal(err)
	}
	res, err = d.JoinByDomain(ctx, ws.Slug, identity("bob@acme.example"))
	if err != nil || res.Outcome != directory.JoinOutcomeRequested || res.Request.Domain == nil || *res.Request.Domain != "acme.example" ||
		res.Request.Role != directory.RoleCollaborator || res.Request.JoinLinkID != nil {
		t.Fatalf("request = %+v, %v", res, err)
	}
	filed := emails(t, d, ws.ID, "join_request_filed")
	if len(filed) != 1 || len(filed[0].To) != 3 || filed[0].Data["via"] != "domain acme.example" {
		t.Errorf("filed = %+v", filed)
	}
	m, err := d.AcceptJoinRequest(ctx, owner, ws.Slug, res.Request.ID)
	if err != nil || m.Source != directory.SourceJoinRequest || m.Role != directory.RoleCollaborator || m.JoinLinkID != nil {
		t.Errorf("accepted = %+v, %v", m, err)
	}
	// A person whose home is elsewhere joins as external (they signed in themselves).
	join(t, d, otherOwner, other.Slug, "carol@acme.example", directory.RoleMember)
	if _, err := d.SetDomainPolicy(ctx, owner, ws.Slug, dom.ID, directory.DomainAutoJoin, ""); err != nil {
		t.Fatal(err)
	}
	res, err = d.JoinByDomain(ctx, ws.Slug, identity("carol@acme.example"))
	if err != nil || res.Member.Kind != directory.KindExternal {
		t.Errorf("carol = %+v, %v", res, err)
	}
	// Removing the domain ends it.
	if err := d.RemoveDomain(ctx, owner, ws.Slug, dom.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.JoinByDomain(ctx, ws.Slug, identity("dan@acme.example")); !errors.Is(err, directory.ErrForbidden) {
		t.Errorf("removed domain: %v", err)
	}
}

func testJoinByUnicodeDomain(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{Resolver: dns})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	dom := verifiedDomain(t, d, dns, owner, ws.Slug, "xn--bcher-kva.example")
	if _, err := d.SetDomainPolicy(ctx, owner, ws.Slug, dom.ID, directory.DomainAutoJoin, ""); err != nil {
		t.Fatal(err)
	}
	res, err := d.JoinByDomain(ctx, ws.Slug, identity("Émile@BÜCHER.example"))
	if err != nil || res.Outcome != directory.JoinOutcomeJoined || res.Member.Role != directory.RoleMember {
		t.Errorf("unicode address = %+v, %v", res, err)
	}
	if v, found, err := d.VerifiedDomain(ctx, "bücher.example"); err != nil || !found || v.WorkspaceID != ws.ID {
		t.Errorf("VerifiedDomain(bücher.example) = %+v %v %v", v, found, err)
	}
}

// fakeDNS serves TXT records that a test publishes, the way a DNS server
// would: an unknown name is NXDOMAIN.
type fakeDNS struct {
	mu      sync.Mutex
	records map[string][]string
	lookups int
}

func newFakeDNS() *fakeDNS { return &fakeDNS{records: map[string][]string{}} }

func (f *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups++
	recs, ok := f.records[name]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return append([]string(nil), recs...), nil
}

func (f *fakeDNS) publish(name string, values ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records[name] = append(f.records[name], values...)
}

// verifiedDomain adds a domain to ws, publishes its record and verifies it.
func verifiedDomain(t *testing.T, d *directory.Directory, dns *fakeDNS, by directory.Actor, ws, name string) directory.Domain {
	t.Helper()
	ctx := context.Background()
	dom, err := d.AddDomain(ctx, by, ws, name)
	if err != nil {
		t.Fatalf("add domain %s: %v", name, err)
	}
	dns.publish(dom.TXTName, dom.TXTValue)
	dom, err = d.VerifyDomain(ctx, by, ws, dom.ID)
	if err != nil || !dom.Verified {
		t.Fatalf("verify domain %s: %+v %v", name, dom, err)
	}
	return dom
}
