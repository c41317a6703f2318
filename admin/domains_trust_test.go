package admin_test

import (
	"encoding/json"
	"testing"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory/directorytest"
)

// The operator key vouches for a domain without DNS; a workspace's owner
// cannot, and a refused attempt leaves nothing behind.
func TestTrustDomainOverTheAPI(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		body := map[string]any{"domain": "Intranet.Acme.Example"}

		r := e.do("POST", "/api/v1/workspaces/acme/domains/trust", acme.keys["owner"], body)
		if r.status != 403 {
			t.Fatalf("owner trusting a domain: %d %s, want 403", r.status, r.body)
		}
		var list admin.DomainList
		e.must(e.do("GET", "/api/v1/workspaces/acme/domains", acme.keys["owner"], nil), 200, &list)
		if len(list.Domains) != 0 {
			t.Fatalf("a refused trust left domains behind: %+v", list.Domains)
		}

		var dom admin.Domain
		e.must(e.do("POST", "/api/v1/workspaces/acme/domains/trust", operatorKey, body), 200, &dom)
		if dom.Domain != "intranet.acme.example" || !dom.Verified || dom.VerifiedAt == nil {
			t.Fatalf("trusted domain = %+v, want intranet.acme.example verified", dom)
		}
		// Trusting it again answers the same domain, still verified.
		var again admin.Domain
		e.must(e.do("POST", "/api/v1/workspaces/acme/domains/trust", operatorKey, body), 200, &again)
		if again.ID != dom.ID || !again.Verified {
			t.Errorf("trusting again = %+v, want the same verified domain %s", again, dom.ID)
		}

		directorytest.WaitFeed(t, e.d, acme.ws.ID)
		var page admin.EventPage
		e.must(e.do("GET", "/api/v1/workspaces/acme/events?limit=1000", operatorKey, nil), 200, &page)
		verified := 0
		for _, ev := range page.Events {
			if ev.Type != "domain.verified" {
				continue
			}
			verified++
			var p struct{ Domain, Method string }
			if err := json.Unmarshal(ev.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p.Domain != "intranet.acme.example" || p.Method != "operator" || ev.ActorKind != "operator" {
				t.Errorf("domain.verified = %+v by %s, want intranet.acme.example by the operator", p, ev.ActorKind)
			}
		}
		if verified != 1 {
			t.Errorf("%d domain.verified events, want exactly 1", verified)
		}
	})
}
