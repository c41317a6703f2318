package admin

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// TestWireMarshalsAsBefore checks that the wire types marshal exactly as
// the directory values (and maps) the handlers answered with before. It
// goes away with directory's json tags.
func TestWireMarshalsAsBefore(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	s, n := "x", 3
	type pair struct {
		name      string
		old, conv any
	}
	var cases []pair
	add := func(name string, old, conv any) { cases = append(cases, pair{name, old, conv}) }

	o := directory.InviteOutcome{Email: "e", Status: directory.OutcomeInvited, Kind: "k", MembershipID: "m", InvitationID: "i", Token: "secret", Link: "l", Error: "x"}
	for _, o := range []directory.InviteOutcome{{}, o} {
		add("outcome", o, InviteOutcomeOf(o))
		io := directory.ImportOutcome{Row: 2, InviteOutcome: o}
		add("import outcome", io, ImportOutcomeOf(io))
	}
	outs := []directory.InviteOutcome{o}
	add("invite result", map[string]any{"outcomes": outs, "summary": map[directory.OutcomeStatus]int{"invited": 1}},
		InviteResult{Outcomes: listOf(outs, InviteOutcomeOf), Summary: map[string]int{"invited": 1}})
	for _, m := range []directory.Member{{}, {ID: "i", WorkspaceID: "w", UserID: "u", Email: "e", Name: "n", Phone: "p", Locale: "l", Role: "r", EffectiveRole: "er",
		Status: "s", Kind: "k", Source: "src", MainAdmin: true, ExternalID: &s, JoinLinkID: &s, TermsVersion: "t", OnboardedAt: &now, CreatedAt: now, UpdatedAt: now}} {
		add("member", m, MemberOf(m))
		p := directory.MemberPage{Members: []directory.Member{m}, NextCursor: "c"}
		add("member page", p, MemberPageOf(p))
		add("member page nil", directory.MemberPage{}, MemberPageOf(directory.MemberPage{}))
		add("member list", map[string]any{"members": []directory.Member{m}}, MemberList{Members: listOf([]directory.Member{m}, MemberOf)})
	}
	add("lookup", directory.Lookup{JoinsAs: "internal", Status: "active"}, LookupOf(directory.Lookup{JoinsAs: "internal", Status: "active"}))
	for _, i := range []directory.Invitation{{Teams: []string{}}, {ID: "i", WorkspaceID: "w", MembershipID: "m", Email: "e", Role: "r", Teams: []string{"t"}, Grants: json.RawMessage(`[1]`),
		InviterName: "n", ExpiresAt: now, Status: "s", SendEmail: true, MainAdmin: true, ResendCount: 2, CreatedAt: now, AcceptedAt: &now}} {
		add("invitation", i, InvitationOf(i))
		add("invitation list", map[string]any{"invitations": []directory.Invitation{i}}, InvitationList{Invitations: listOf([]directory.Invitation{i}, InvitationOf)})
	}
	for _, r := range []directory.Role{{Permissions: []directory.Permission{}}, {Key: "k", Name: "n", Permissions: []directory.Permission{directory.PermMembersRead}, Rank: 3, BuiltIn: true}} {
		add("role", r, RoleOf(r))
		add("role list", map[string]any{"roles": []directory.Role{r}, "permissions": directory.AllPermissions, "invite_roles": []string{"owner"}},
			RoleList{Roles: listOf([]directory.Role{r}, RoleOf), Permissions: permissions(directory.AllPermissions), InviteRoles: []string{"owner"}})
	}
	for _, e := range []directory.Event{{}, {ID: 1, WorkspaceID: "w", Type: "t", ActorKind: "k", ActorID: "a", Source: "s", SubjectKind: "sk", SubjectID: "si", Payload: json.RawMessage(`{"a":1}`), CreatedAt: now}} {
		add("event", e, EventOf(e))
		add("event ref", map[string]any{"event": e}, EventRef{Event: EventOf(e)})
		p := directory.EventPage{Events: []directory.FeedEvent{{Event: e, Cursor: "c"}}, NextCursor: "n", HasMore: true}
		add("event page", p, EventPageOf(p))
		add("empty page", directory.EventPage{Events: []directory.FeedEvent{}}, EventPageOf(directory.EventPage{Events: []directory.FeedEvent{}}))
	}
	for _, w := range []directory.Webhook{{}, {ID: "i", WorkspaceID: "w", URL: "u", Description: "d", EventTypes: []string{"*"}, Active: true, CreatedAt: now, UpdatedAt: now}} {
		add("webhook", w, WebhookOf(w))
		add("webhooks", map[string]any{"webhooks": []directory.Webhook{w}}, WebhookList{Webhooks: listOf([]directory.Webhook{w}, WebhookOf)})
		add("webhook secret", map[string]any{"webhook": w, "secret": "s"}, WebhookWithSecret{Webhook: WebhookOf(w), Secret: "s"})
	}
	a := directory.WebhookAttempt{ID: 1, WebhookID: "w", OutboxID: 2, EventID: 3, EventType: "t", Attempt: 4, Delivered: true, StatusCode: 200, Error: "e", DurationMS: 5, CreatedAt: now}
	for _, d := range []directory.WebhookDelivery{{Attempts: []directory.WebhookAttempt{}}, {ID: 1, EventID: 2, EventType: "t", Status: "sent", Attempts: []directory.WebhookAttempt{a}, LastError: "l", CreatedAt: now, SentAt: &now}} {
		add("delivery", d, WebhookDeliveryOf(d))
		add("deliveries", map[string]any{"deliveries": []directory.WebhookDelivery{d}}, WebhookDeliveryList{Deliveries: listOf([]directory.WebhookDelivery{d}, WebhookDeliveryOf)})
	}
	add("requeued", map[string]any{"requeued": 2}, Requeued{Requeued: 2})
	for _, k := range []directory.APIKey{{}, {ID: "i", WorkspaceID: "w", WorkspaceSlug: "s", Name: "n", Role: "r", TokenPrefix: "p", CreatedBy: "c", CreatedAt: now, ExpiresAt: &now, LastUsedAt: &now, RevokedAt: &now}} {
		add("api key", k, APIKeyOf(k))
		add("api keys", map[string]any{"api_keys": []directory.APIKey{k}}, APIKeyList{APIKeys: listOf([]directory.APIKey{k}, APIKeyOf)})
		add("api key created", map[string]any{"api_key": k, "token": "t"}, APIKeyCreated{APIKey: APIKeyOf(k), Token: "t"})
	}
	for _, tm := range []directory.Team{{}, {ID: "i", WorkspaceID: "w", Name: "n", Role: &s, ExternalID: &s, MemberCount: 2, Version: 3, CreatedAt: now, UpdatedAt: now}} {
		add("team", tm, TeamOf(tm))
		add("teams", map[string]any{"teams": []directory.Team{tm}}, TeamList{Teams: listOf([]directory.Team{tm}, TeamOf)})
	}
	for _, d := range []directory.Domain{{}, {ID: "i", WorkspaceID: "w", Domain: "d", Verified: true, VerifiedAt: &now, Policy: "p", DefaultRole: "r", TXTName: "n", TXTValue: "v", CreatedAt: now, UpdatedAt: now}} {
		add("domain", d, DomainOf(d))
		add("domains", map[string]any{"domains": []directory.Domain{d}}, DomainList{Domains: listOf([]directory.Domain{d}, DomainOf)})
	}
	for _, l := range []directory.JoinLink{{}, {ID: "i", WorkspaceID: "w", Description: "d", Role: "r", Teams: []string{}, Mode: "m", Notify: "n", NotifyPeople: []string{"p"}, Active: true, RevokedAt: &now, CreatedBy: "c", CreatedAt: now, UpdatedAt: now}} {
		add("join link", l, JoinLinkOf(l))
		add("join links", map[string]any{"join_links": []directory.JoinLink{l}}, JoinLinkList{JoinLinks: listOf([]directory.JoinLink{l}, JoinLinkOf)})
		add("join link created", map[string]any{"join_link": l, "url": "u"}, JoinLinkCreated{JoinLink: JoinLinkOf(l), URL: "u"})
	}
	for _, r := range []directory.JoinRequest{{Teams: []string{}}, {ID: "i", WorkspaceID: "w", UserID: "u", Email: "e", Name: "n", JoinLinkID: &s, Domain: &s, Role: "r", Teams: []string{"t"}, Status: "s", DecidedBy: "d", CreatedAt: now, DecidedAt: &now}} {
		add("join request", r, JoinRequestOf(r))
		add("join requests", map[string]any{"join_requests": []directory.JoinRequest{r}}, JoinRequestList{JoinRequests: listOf([]directory.JoinRequest{r}, JoinRequestOf)})
	}
	for _, k := range []directory.SCIMToken{{}, {ID: "i", ConnectionID: "c", WorkspaceID: "w", WorkspaceSlug: "s", Hint: "h", Description: "d", CreatedAt: now, ExpiresAt: &now, RevokedAt: &now, LastUsedAt: &now}} {
		add("scim token", k, SCIMTokenOf(k))
		add("scim tokens", map[string]any{"tokens": []directory.SCIMToken{k}}, SCIMTokenList{Tokens: listOf([]directory.SCIMToken{k}, SCIMTokenOf)})
		add("scim token created", map[string]any{"token": k, "secret": "s"}, SCIMTokenCreated{Token: SCIMTokenOf(k), Secret: "s"})
	}
	for _, r := range []directory.SCIMRequest{{}, {ID: 1, ConnectionID: "c", WorkspaceID: "w", Method: "m", Path: "p", Status: 200, Action: "a", Detail: "d", UserAgent: "u", DurationUS: 9, Duration: 1500 * time.Microsecond, CreatedAt: now}} {
		add("scim request", r, SCIMRequestOf(r))
		add("scim requests", map[string]any{"requests": []directory.SCIMRequest{r}}, SCIMRequestList{Requests: listOf([]directory.SCIMRequest{r}, SCIMRequestOf)})
	}
	for _, c := range []directory.OIDCConnection{{}, {ID: "i", WorkspaceID: "w", Workspace: "s", Name: "n", Kind: "k", Issuer: "is", ClientID: "c", TenantID: "t", HostedDomain: "h", Domains: []string{"d"}, CreatedAt: now, UpdatedAt: now}} {
		add("oidc", c, OIDCConnectionOf(c))
		add("oidcs", map[string]any{"oidc_connections": []directory.OIDCConnection{c}}, OIDCConnectionList{OIDCConnections: listOf([]directory.OIDCConnection{c}, OIDCConnectionOf)})
	}
	for _, st := range []directory.Seats{{}, {Limit: &n, Used: 1, Active: 2, Invited: 3, Suspended: 4, TrialEndsAt: &now, Enforced: true}} {
		add("seats", st, SeatsOf(st))
	}
	for _, c := range cases {
		a, err1 := json.Marshal(c.old)
		b, err2 := json.Marshal(c.conv)
		if err1 != nil || err2 != nil || string(a) != string(b) {
			t.Errorf("%s:\n was %s %v\n now %s %v", c.name, a, err1, b, err2)
		}
	}
}
