package suite

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// domainTrustTests: the operator marks a domain verified without DNS;
// nobody else can.
var domainTrustTests = []test{
	{"OperatorTrustsDomain", testOperatorTrustsDomain},
}

func testOperatorTrustsDomain(t *testing.T, newDirectory NewDirectory) {
	dns := newFakeDNS()
	d := newDirectory(t, directory.Options{Resolver: dns})
	ctx := context.Background()
	ws, owner := newWorkspace(t, d, "acme")
	globex, _ := newWorkspace(t, d, "globex")

	// The workspace's owner and its owner-role API key are refused, and
	// nothing changes.
	_, token, err := d.CreateAPIKey(ctx, owner, ws.Slug, directory.APIKeyRequest{Name: "automation", Role: directory.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	keyActor, _, err := d.AuthenticateAPIKey(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	for name, actor := range map[string]directory.Actor{"owner": owner, "API key": keyActor} {
		if _, err := d.TrustDomain(ctx, actor, ws.Slug, "acme.example"); !errors.Is(err, directory.ErrForbidden) {
			t.Errorf("%s trusts a domain: %v, want ErrForbidden", name, err)
		}
	}
	if list, _ := d.ListDomains(ctx, owner, ws.Slug); len(list) != 0 {
		t.Errorf("a refused trust left domains: %+v", list)
	}

	// The operator: a claimed, unverified domain becomes verified with no
	// DNS record published.
	claimed, err := d.AddDomain(ctx, owner, ws.Slug, "acme.example")
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.TrustDomain(ctx, op, ws.Slug, "ACME.example.")
	if err != nil || !got.Verified || got.ID != claimed.ID {
		t.Fatalf("trust = %+v, %v", got, err)
	}
	if v, found, _ := d.VerifiedDomain(ctx, "acme.example"); !found || v.WorkspaceID != ws.ID {
		t.Errorf("VerifiedDomain after trust = %+v %v", v, found)
	}
	again, err := d.TrustDomain(ctx, op, ws.Slug, "acme.example")
	if err != nil || !again.VerifiedAt.Equal(*got.VerifiedAt) {
		t.Errorf("trust again = %+v, %v", again, err)
	}
	// A domain not claimed yet is claimed and verified at once.
	if fresh, err := d.TrustDomain(ctx, op, ws.Slug, "acme-labs.example"); err != nil || !fresh.Verified {
		t.Errorf("trust unclaimed = %+v, %v", fresh, err)
	}
	// Another workspace's verified domain is not taken over.
	if _, err := d.TrustDomain(ctx, op, globex.Slug, "acme.example"); !errors.Is(err, directory.ErrConflict) {
		t.Errorf("trust another workspace's domain: %v, want ErrConflict", err)
	}
	if _, err := d.TrustDomain(ctx, op, ws.Slug, "not a domain"); !errors.Is(err, directory.ErrInvalid) {
		t.Errorf("bad domain: %v, want ErrInvalid", err)
	}
	if _, err := d.TrustDomain(ctx, op, "nowhere", "x.example"); !errors.Is(err, directory.ErrNotFound) {
		t.Errorf("unknown workspace: %v, want ErrNotFound", err)
	}

	// The feed says the operator did it, and how.
	events, err := d.ListEvents(ctx, owner, ws.Slug, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var verified []directory.Event
	for _, e := range events {
		if e.Type == "domain.verified" {
			verified = append(verified, e)
		}
	}
	if len(verified) != 2 {
		t.Fatalf("domain.verified events = %d, want 2", len(verified))
	}
	for _, e := range verified {
		if e.ActorKind != string(directory.ActorOperator) || !strings.Contains(string(e.Payload), `"method":"operator"`) {
			t.Errorf("event = %s by %s: %s", e.Type, e.ActorKind, e.Payload)
		}
	}
}
