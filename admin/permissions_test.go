package admin_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/directory/directorytest"
)

// dns serves TXT records the tests publish, as a domain's owner would.
type dns struct{ records sync.Map }

func (r *dns) LookupTXT(_ context.Context, name string) ([]string, error) {
	if v, ok := r.records.Load(name); ok {
		return []string{v.(string)}, nil
	}
	return nil, fmt.Errorf("lookup %s: no such host", name)
}

func runWithDNS(t *testing.T, fn func(t *testing.T, e *env, r *dns)) {
	r := &dns{}
	directorytest.RunWith(t, directory.Options{Resolver: r}, func(t *testing.T, d *directory.Directory) { fn(t, newEnv(t, d), r) })
}

// fixture makes fresh targets for one request, as the operator, so every
// operation can succeed for every role that is allowed to do it.
type fixture struct {
	e   *env
	tn  *tenant
	dns *dns
	n   atomic.Int64

	once sync.Once
	hook string
}

func (f *fixture) next() int64 { return f.n.Add(1) }

func (f *fixture) member(role string) string {
	return f.e.member(f.tn, fmt.Sprintf("m%d@acme.example", f.next()), role).ID
}

func (f *fixture) suspended() string {
	id := f.member("member")
	if _, err := f.e.d.SuspendMember(context.Background(), directory.Operator(), f.tn.ws.ID, id); err != nil {
		f.e.t.Fatal(err)
	}
	return id
}

func (f *fixture) invitation() string {
	out, err := f.e.d.Invite(context.Background(), directory.Operator(), f.tn.ws.ID, directory.InviteRequest{Text: fmt.Sprintf("i%d@acme.example", f.next()), Role: "member", SendEmail: new(false)})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return out[0].InvitationID
}

func (f *fixture) team() string {
	tm, err := f.e.d.CreateTeam(context.Background(), directory.Operator(), f.tn.ws.ID, directory.TeamRequest{Name: fmt.Sprintf("Team %d", f.next())})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return tm.ID
}

func (f *fixture) teamWithMember() (string, string) {
	team, m := f.team(), f.member("member")
	if err := f.e.d.AddTeamMembers(context.Background(), directory.Operator(), f.tn.ws.ID, team, []string{m}); err != nil {
		f.e.t.Fatal(err)
	}
	return team, m
}

func (f *fixture) role() string {
	key := fmt.Sprintf("custom%d", f.next())
	if _, err := f.e.d.SaveCustomRole(context.Background(), directory.Operator(), f.tn.ws.ID, directory.CustomRoleRequest{Key: key, Name: key}); err != nil {
		f.e.t.Fatal(err)
	}
	return key
}

func (f *fixture) webhook() string {
	h, err := f.e.d.CreateWebhook(context.Background(), directory.Operator(), f.tn.ws.ID, directory.WebhookRequest{URL: "https://hooks.acme.example/", SealedSecret: f.e.box.Seal([]byte(strings.Repeat("s", 32)), directory.WebhookSecretPurpose)})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return h.ID
}

// sharedWebhook is one webhook for the operations that do not delete it
// (a workspace may only have a few).
func (f *fixture) sharedWebhook() string {
	f.once.Do(func() { f.hook = f.webhook() })
	return f.hook
}

func (f *fixture) apiKey() string {
	k, _, err := f.e.d.CreateAPIKey(context.Background(), directory.Operator(), f.tn.ws.ID, directory.APIKeyRequest{Name: "target", Role: "member"})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return k.ID
}

// domain adds a domain and publishes its TXT record; verified also
// verifies it.
func (f *fixture) domain(verified bool) string {
	ctx := context.Background()
	dom, err := f.e.d.AddDomain(ctx, directory.Operator(), f.tn.ws.ID, fmt.Sprintf("d%d.acme.example", f.next()))
	if err != nil {
		f.e.t.Fatal(err)
	}
	f.dns.records.Store(dom.TXTName, dom.TXTValue)
	if verified {
		if _, err := f.e.d.VerifyDomain(ctx, directory.Operator(), f.tn.ws.ID, dom.ID); err != nil {
			f.e.t.Fatal(err)
		}
	}
	return dom.ID
}

// joinLink makes an approval join link and returns its id and token.
func (f *fixture) joinLink() (string, string) {
	link, token, _, err := f.e.d.CreateJoinLink(context.Background(), directory.Operator(), f.tn.ws.ID, directory.JoinLinkRequest{Description: "Contractors", Role: "member", Mode: directory.JoinModeApproval, Notify: directory.JoinNotifyNobody})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return link.ID, token
}

// joinRequest files a pending request through a join link.
func (f *fixture) joinRequest() string {
	_, token := f.joinLink()
	res, err := f.e.d.UseJoinLink(context.Background(), token, directory.VerifiedIdentity{Email: fmt.Sprintf("req%d@elsewhere.example", f.next())})
	if err != nil || res.Request == nil {
		f.e.t.Fatalf("join request: %v %+v", err, res)
	}
	return res.Request.ID
}

// scimConnection returns the workspace's SCIM connection, making it if
// needed.
func (f *fixture) scimConnection() string {
	ctx := context.Background()
	conn, err := f.e.d.GetSCIMConnection(ctx, directory.Operator(), f.tn.ws.ID)
	if err == nil {
		return conn.ID
	}
	conn, err = f.e.d.CreateSCIMConnection(ctx, directory.Operator(), f.tn.ws.ID, directory.SCIMConnectionRequest{Profile: "generic", DefaultRole: "member"})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return conn.ID
}

func (f *fixture) scimToken() (string, string) {
	conn := f.scimConnection()
	tok, _, err := f.e.d.CreateSCIMToken(context.Background(), directory.Operator(), f.tn.ws.ID, directory.SCIMTokenRequest{Description: "okta"})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return conn, tok.ID
}

// noSCIMConnection removes the workspace's SCIM connection, so creating one
// can succeed again.
func (f *fixture) noSCIMConnection() {
	db := f.e.db()
	for _, q := range []string{
		`DELETE FROM scim_tokens WHERE connection_id IN (SELECT id FROM scim_connections WHERE workspace_id = ?)`,
		`DELETE FROM scim_requests WHERE connection_id IN (SELECT id FROM scim_connections WHERE workspace_id = ?)`,
		`DELETE FROM scim_connections WHERE workspace_id = ?`,
	} {
		if _, err := db.Exec(db.Rebind(q), f.tn.ws.ID); err != nil {
			f.e.t.Fatal(err)
		}
	}
}

// oidcConnection makes a fresh OIDC connection and returns its id.
func (f *fixture) oidcConnection() string {
	conn, err := f.e.d.CreateOIDCConnection(context.Background(), directory.Operator(), f.tn.ws.ID, f.e.box, directory.OIDCConnectionRequest{
		Issuer: "https://idp.acme.example", ClientID: fmt.Sprintf("fixture-%d", f.next()), ClientSecret: "s3cret"})
	if err != nil {
		f.e.t.Fatal(err)
	}
	return conn.ID
}

func (f *fixture) csv() []byte {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile("file", "people.csv")
	fmt.Fprintf(fw, "email,name\ncsv%d@acme.example,Casey\n", f.next())
	w.WriteField("role", "member")
	w.Close()
	f.e.t.Cleanup(func() {})
	return append([]byte(w.FormDataContentType()+"\n"), b.Bytes()...)
}

// Who may do what, by built-in role (workspace defaults: only owners and
// admins invite).
var (
	everyone = roles
	readers  = []string{"owner", "admin", "manager", "member"}
	inviters = []string{"owner", "admin", "manager"} // members.invite
	admins   = []string{"owner", "admin"}
	owners   = []string{"owner"}
	nobody   = []string{}
	linkers  = []string{"owner", "admin", "manager"} // joinlinks.manage
)

// operation is one call of the matrix: it builds its path (and body) with
// fresh targets, and succeeds with status for the roles in allowed; every
// other role gets 403.
type operation struct {
	name    string
	allowed []string
	status  int
	build   func(f *fixture) (method, path string, body any)
}

func operations() []operation {
	ws := "/api/v1/workspaces/acme"
	get := func(path string) func(*fixture) (string, string, any) {
		return func(*fixture) (string, string, any) { return "GET", path, nil }
	}
	return []operation{
		{"list workspaces", nobody, 200, get("/api/v1/workspaces")},
		{"create workspace", nobody, 201, func(f *fixture) (string, string, any) {
			return "POST", "/api/v1/workspaces", map[string]any{"name": fmt.Sprintf("New %d", f.next()), "owner_email": "o@new.example"}
		}},
		{"get workspace", everyone, 200, get(ws)},
		{"update workspace settings", owners, 200, func(*fixture) (string, string, any) {
			return "PATCH", ws, map[string]any{"terms_version": "2026-11"}
		}},
		{"get seats", readers, 200, get(ws + "/seats")},
		{"set seat limit", owners, 200, func(*fixture) (string, string, any) { return "PUT", ws + "/seats", map[string]any{"limit": 1000} }},

		{"list members", readers, 200, get(ws + "/members?status=active")},
		{"get member", readers, 200, func(f *fixture) (string, string, any) { return "GET", ws + "/members/" + f.member("member"), nil }},
		{"update member profile", admins, 200, func(f *fixture) (string, string, any) {
			return "PATCH", ws + "/members/" + f.member("member"), map[string]any{"locale": "fr"}
		}},
		{"change member role", admins, 200, func(f *fixture) (string, string, any) {
			return "PUT", ws + "/members/" + f.member("member") + "/role", map[string]any{"role": "collaborator"}
		}},
		{"suspend member", admins, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/members/" + f.member("member") + "/suspend", nil
		}},
		{"reactivate member", admins, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/members/" + f.suspended() + "/reactivate", nil
		}},
		{"remove member", admins, 204, func(f *fixture) (string, string, any) { return "DELETE", ws + "/members/" + f.member("member"), nil }},
		{"choose main admin", owners, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/members/" + f.member("admin") + "/main-admin", nil
		}},
		{"look up a person", inviters, 200, get(ws + "/lookup?q=someone%40elsewhere.example")},

		{"list invitations", readers, 200, get(ws + "/invitations")},
		{"invite", admins, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/invitations", map[string]any{"emails": []string{fmt.Sprintf("new%d@acme.example", f.next())}, "role": "member", "send_email": false}
		}},
		{"import invitations", admins, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/invitations/import", multipartBody(f.csv())
		}},
		{"resend invitation", admins, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/invitations/" + f.invitation() + "/resend", nil
		}},
		{"revoke invitation", admins, 204, func(f *fixture) (string, string, any) {
			return "POST", ws + "/invitations/" + f.invitation() + "/revoke", nil
		}},

		{"list roles", everyone, 200, get(ws + "/roles")},
		{"save custom role", admins, 200, func(f *fixture) (string, string, any) {
			return "PUT", ws + fmt.Sprintf("/roles/r%d", f.next()), map[string]any{"name": "Reader", "permissions": []string{"members.read"}}
		}},
		{"delete custom role", admins, 204, func(f *fixture) (string, string, any) { return "DELETE", ws + "/roles/" + f.role(), nil }},

		{"read event feed", readers, 200, get(ws + "/events")},
		{"read own event feed", readers, 200, get("/api/v1/events")},

		{"list webhooks", admins, 200, get(ws + "/webhooks")},
		{"create webhook", admins, 201, func(f *fixture) (string, string, any) {
			// Make room: a workspace has a webhook limit.
			if _, err := f.e.db().Exec(`DELETE FROM webhooks WHERE url = 'https://hooks.acme.example/x'`); err != nil {
				f.e.t.Fatal(err)
			}
			return "POST", ws + "/webhooks", map[string]any{"url": "https://hooks.acme.example/x"}
		}},
		{"get webhook", admins, 200, func(f *fixture) (string, string, any) { return "GET", ws + "/webhooks/" + f.sharedWebhook(), nil }},
		{"update webhook", admins, 200, func(f *fixture) (string, string, any) {
			return "PATCH", ws + "/webhooks/" + f.sharedWebhook(), map[string]any{"event_types": []string{"member.*"}}
		}},
		{"delete webhook", admins, 204, func(f *fixture) (string, string, any) { return "DELETE", ws + "/webhooks/" + f.webhook(), nil }},
		{"rotate webhook secret", admins, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/webhooks/" + f.sharedWebhook() + "/rotate-secret", nil
		}},
		{"ping webhook", admins, 202, func(f *fixture) (string, string, any) {
			return "POST", ws + "/webhooks/" + f.sharedWebhook() + "/ping", nil
		}},
		{"redeliver webhook", admins, 202, func(f *fixture) (string, string, any) {
			return "POST", ws + "/webhooks/" + f.sharedWebhook() + "/redeliver", nil
		}},
		{"webhook deliveries", admins, 200, func(f *fixture) (string, string, any) {
			return "GET", ws + "/webhooks/" + f.sharedWebhook() + "/deliveries", nil
		}},

		{"list API keys", admins, 200, get(ws + "/api-keys")},
		{"create API key", admins, 201, func(*fixture) (string, string, any) {
			return "POST", ws + "/api-keys", map[string]any{"name": "sync", "role": "member"}
		}},
		{"revoke API key", admins, 204, func(f *fixture) (string, string, any) { return "DELETE", ws + "/api-keys/" + f.apiKey(), nil }},

		{"list teams", readers, 200, get(ws + "/teams")},
		{"create team", admins, 201, func(f *fixture) (string, string, any) {
			return "POST", ws + "/teams", map[string]any{"name": fmt.Sprintf("New team %d", f.next()), "role": "member"}
		}},
		{"get team", readers, 200, func(f *fixture) (string, string, any) { return "GET", ws + "/teams/" + f.team(), nil }},
		{"update team", admins, 200, func(f *fixture) (string, string, any) {
			return "PATCH", ws + "/teams/" + f.team(), map[string]any{"name": fmt.Sprintf("Renamed %d", f.next())}
		}},
		{"delete team", admins, 204, func(f *fixture) (string, string, any) { return "DELETE", ws + "/teams/" + f.team(), nil }},
		{"list team members", readers, 200, func(f *fixture) (string, string, any) { return "GET", ws + "/teams/" + f.team() + "/members", nil }},
		{"add team members", admins, 204, func(f *fixture) (string, string, any) {
			return "POST", ws + "/teams/" + f.team() + "/members", map[string]any{"membership_ids": []string{f.member("member")}}
		}},
		{"remove team member", admins, 204, func(f *fixture) (string, string, any) {
			team, m := f.teamWithMember()
			return "DELETE", ws + "/teams/" + team + "/members/" + m, nil
		}},

		{"list domains", admins, 200, get(ws + "/domains")},
		{"add domain", admins, 201, func(f *fixture) (string, string, any) {
			return "POST", ws + "/domains", map[string]any{"domain": fmt.Sprintf("n%d.acme.example", f.next())}
		}},
		{"verify domain", admins, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/domains/" + f.domain(false) + "/verify", nil
		}},
		// Only the operator vouches for a domain without DNS: every
		// workspace key, the owner's included, is refused.
		{"trust domain", nil, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/domains/trust", map[string]any{"domain": fmt.Sprintf("t%d.acme.example", f.next())}
		}},
		{"set domain policy", admins, 200, func(f *fixture) (string, string, any) {
			return "PATCH", ws + "/domains/" + f.domain(true), map[string]any{"policy": "auto_join", "default_role": "member"}
		}},
		{"remove domain", admins, 204, func(f *fixture) (string, string, any) { return "DELETE", ws + "/domains/" + f.domain(false), nil }},

		{"list join links", linkers, 200, get(ws + "/join-links")},
		{"create join link", linkers, 201, func(*fixture) (string, string, any) {
			return "POST", ws + "/join-links", map[string]any{"description": "Partners", "role": "member", "mode": "approval", "notify": "all_managers"}
		}},
		{"get join link", linkers, 200, func(f *fixture) (string, string, any) {
			id, _ := f.joinLink()
			return "GET", ws + "/join-links/" + id, nil
		}},
		{"update join link", linkers, 200, func(f *fixture) (string, string, any) {
			id, _ := f.joinLink()
			return "PATCH", ws + "/join-links/" + id, map[string]any{"mode": "direct", "active": false}
		}},
		{"revoke join link", linkers, 204, func(f *fixture) (string, string, any) {
			id, _ := f.joinLink()
			return "POST", ws + "/join-links/" + id + "/revoke", nil
		}},
		{"members who joined via a link", linkers, 200, func(f *fixture) (string, string, any) {
			id, _ := f.joinLink()
			return "GET", ws + "/join-links/" + id + "/members", nil
		}},
		{"list setup links", admins, 200, get(ws + "/setup-links")},
		{"create setup link", admins, 201, func(*fixture) (string, string, any) {
			return "POST", ws + "/setup-links", map[string]any{"purpose": "scim", "description": "Acme IT", "expires_in_hours": 48}
		}},
		{"get setup link", admins, 200, func(f *fixture) (string, string, any) { return "GET", ws + "/setup-links/" + f.setupLink(), nil }},
		{"revoke setup link", admins, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/setup-links/" + f.setupLink() + "/revoke", nil
		}},
		{"list join requests", linkers, 200, get(ws + "/join-requests?status=pending")},
		{"list join requests of every status", linkers, 200, get(ws + "/join-requests?status=all")},
		{"accept join request", linkers, 200, func(f *fixture) (string, string, any) {
			return "POST", ws + "/join-requests/" + f.joinRequest() + "/accept", nil
		}},
		{"reject join request", linkers, 204, func(f *fixture) (string, string, any) {
			return "POST", ws + "/join-requests/" + f.joinRequest() + "/reject", nil
		}},
		{"dismiss join request", linkers, 204, func(f *fixture) (string, string, any) {
			return "POST", ws + "/join-requests/" + f.joinRequest() + "/dismiss", nil
		}},

		{"list SCIM connections", admins, 200, get(ws + "/scim-connections")},
		{"create SCIM connection", admins, 201, func(f *fixture) (string, string, any) {
			f.noSCIMConnection()
			return "POST", ws + "/scim-connections", map[string]any{"profile": "okta", "default_role": "member", "team_roles": map[string]string{"Admins": "admin"}}
		}},
		{"get SCIM connection", admins, 200, func(f *fixture) (string, string, any) {
			return "GET", ws + "/scim-connections/" + f.scimConnection(), nil
		}},
		{"update SCIM connection", admins, 200, func(f *fixture) (string, string, any) {
			return "PATCH", ws + "/scim-connections/" + f.scimConnection(), map[string]any{"send_invitations": false, "log_retention_seconds": 7 * 86400}
		}},
		{"list SCIM tokens", admins, 200, func(f *fixture) (string, string, any) {
			return "GET", ws + "/scim-connections/" + f.scimConnection() + "/tokens", nil
		}},
		{"create SCIM token", admins, 201, func(f *fixture) (string, string, any) {
			return "POST", ws + "/scim-connections/" + f.scimConnection() + "/tokens", map[string]any{"description": "entra", "expires_in_seconds": 365 * 86400}
		}},
		{"revoke SCIM token", admins, 204, func(f *fixture) (string, string, any) {
			conn, tok := f.scimToken()
			return "DELETE", ws + "/scim-connections/" + conn + "/tokens/" + tok, nil
		}},
		{"SCIM request log", admins, 200, func(f *fixture) (string, string, any) {
			return "GET", ws + "/scim-connections/" + f.scimConnection() + "/requests?limit=10", nil
		}},
		{"list OIDC connections", admins, 200, get(ws + "/oidc-connections")},
		{"create OIDC connection", admins, 201, func(f *fixture) (string, string, any) {
			return "POST", ws + "/oidc-connections", map[string]any{"kind": "generic", "issuer": "https://idp.acme.example", "client_id": fmt.Sprintf("client-%d", f.next()),
				"client_secret": "s3cret", "domains": []string{"acme.example"}}
		}},
		{"update OIDC connection", admins, 200, func(f *fixture) (string, string, any) {
			return "PATCH", ws + "/oidc-connections/" + f.oidcConnection(), map[string]any{"client_secret": "rotated", "domains": []string{"acme.example", "sub.acme.example"}}
		}},
		{"delete OIDC connection", admins, 204, func(f *fixture) (string, string, any) {
			return "DELETE", ws + "/oidc-connections/" + f.oidcConnection(), nil
		}},
		{"list SAML connections", admins, 200, get(ws + "/saml-connections")},
		{"create SAML connection", admins, 201, func(f *fixture) (string, string, any) {
			return "POST", ws + "/saml-connections", map[string]any{"metadata_xml": idpMetadata(f.e.t, fmt.Sprintf("https://idp%d.acme.example", f.next())),
				"domains": []string{"acme.example"}, "allow_idp_initiated": true}
		}},
		{"delete SAML connection", admins, 204, func(f *fixture) (string, string, any) {
			return "DELETE", ws + "/saml-connections/" + f.samlConnection(), nil
		}},
		{"list outbox", nobody, 200, get("/api/v1/outbox?status=failed")},
		{"retry outbox message", nobody, 200, func(f *fixture) (string, string, any) {
			return "POST", fmt.Sprintf("/api/v1/outbox/%d/retry", f.outboxMessage(true)), nil
		}},
		{"discard outbox message", nobody, 200, func(f *fixture) (string, string, any) {
			return "POST", fmt.Sprintf("/api/v1/outbox/%d/discard", f.outboxMessage(false)), nil
		}},
	}
}

// multipartBody marks a body prepared by fixture.csv: its first line is
// the Content-Type.
type multipartBody []byte

func (e *env) send(method, path, token string, body any) response {
	e.t.Helper()
	if mp, ok := body.(multipartBody); ok {
		ct, b, _ := bytes.Cut(mp, []byte("\n"))
		return e.doType(method, path, token, string(ct), b)
	}
	return e.do(method, path, token, body)
}

// TestPermissionMatrix runs every operation with a key of every built-in
// role: allowed roles succeed, the others get 403.
func TestPermissionMatrix(t *testing.T) {
	runWithDNS(t, func(t *testing.T, e *env, r *dns) {
		f := &fixture{e: e, tn: e.newTenant("acme"), dns: r}
		for _, op := range operations() {
			t.Run(op.name, func(t *testing.T) {
				for _, role := range roles {
					method, path, body := op.build(f)
					res := e.send(method, path, f.tn.keys[role], body)
					want := 403
					if slices.Contains(op.allowed, role) {
						want = op.status
					}
					if res.status != want {
						t.Errorf("%s: %s %s = %d, want %d: %s", role, method, path, res.status, want, res.body)
						continue
					}
					if want == 403 {
						res.problem(t)
					}
				}
				// The operator may do everything.
				method, path, body := op.build(f)
				if path == "/api/v1/events" {
					return // no workspace in the path: keys only
				}
				if res := e.send(method, path, operatorKey, body); res.status != op.status {
					t.Errorf("operator: %s %s = %d, want %d: %s", method, path, res.status, op.status, res.body)
				}
			})
		}
		// Every route of the API is in the matrix.
		covered := map[string]bool{}
		for _, op := range operations() {
			method, path, _ := op.build(f)
			for _, rt := range e.api.Routes() {
				if rt.Method == method && matchRoute(rt.Path, path) {
					covered[rt.Method+" "+rt.Path] = true
				}
			}
		}
		for _, rt := range e.api.Routes() {
			if !rt.Public && !covered[rt.Method+" "+rt.Path] {
				t.Errorf("%s %s is not in the permission matrix", rt.Method, rt.Path)
			}
		}
	})
}

// matchRoute matches a request path (query ignored) to a route pattern.
func matchRoute(pattern, path string) bool {
	path, _, _ = strings.Cut(path, "?")
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], "{") && ps[i] != xs[i] {
			return false
		}
	}
	return true
}
