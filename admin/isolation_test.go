package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rosterhq/roster/directory"
)

// TestNoKeyReachesAnotherWorkspace sends every operation of the matrix
// with the owner key of another workspace: naming acme (by slug or id)
// answers 404, like a workspace that does not exist; naming its own
// workspace with acme's ids answers 404 too; lists show nothing of acme;
// and acme is unchanged afterwards.
func TestNoKeyReachesAnotherWorkspace(t *testing.T) {
	runWithDNS(t, func(t *testing.T, e *env, r *dns) {
		acme := e.newTenant("acme")
		other := e.newTenant("other")
		f := &fixture{e: e, tn: acme, dns: r}
		key := other.keys["owner"]
		for _, op := range operations() {
			if len(op.allowed) == 0 {
				continue // operator-only: no workspace key gets in at all
			}
			t.Run(op.name, func(t *testing.T) {
				method, path, body := op.build(f)
				before := snapshot(t, e.d, acme.ws.ID)
				// A new custom role's key names nothing of acme yet.
				newRole := strings.HasPrefix(path, "/api/v1/workspaces/acme/roles/r")
				acmeIDs := []string{acme.ws.ID, acme.ownerID}
				if !newRole {
					acmeIDs = append(acmeIDs, pathIDs(path)...)
				}

				if strings.HasPrefix(path, "/api/v1/workspaces/acme") {
					for _, ref := range []string{"acme", acme.ws.ID, "ACME"} {
						p := strings.Replace(path, "/workspaces/acme", "/workspaces/"+ref, 1)
						res := e.send(method, p, key, body)
						if res.status != 404 || res.problem(t).Type != "https://roster.dev/problems/not-found" {
							t.Errorf("%s %s with other's key = %d, want 404: %s", method, p, res.status, res.body)
						}
					}
				}
				// Its own workspace in the path, acme's ids after it.
				p := strings.Replace(path, "/workspaces/acme", "/workspaces/other", 1)
				res := e.send(method, p, key, body)
				if ids := pathIDs(path); len(ids) > 0 && !newRole {
					if res.status != 404 {
						t.Errorf("%s %s (acme's id) = %d, want 404: %s", method, p, res.status, res.body)
					}
				} else if res.status >= 300 {
					t.Errorf("%s %s in its own workspace = %d: %s", method, p, res.status, res.body)
				}
				for _, id := range acmeIDs {
					if id != "" && bytes.Contains(res.body, []byte(id)) && res.status < 300 {
						t.Errorf("%s %s shows acme's %s: %s", method, p, id, res.body)
					}
				}
				if after := snapshot(t, e.d, acme.ws.ID); after != before {
					t.Errorf("%s %s changed acme:\nbefore %s\nafter  %s", method, p, before, after)
				}
			})
		}
	})
}

// pathIDs returns the path segments that name resources (those after a
// collection name), which belong to acme in the matrix.
func pathIDs(path string) []string {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(strings.TrimPrefix(path, "/api/v1/workspaces/acme"), "/")
	var ids []string
	collections := map[string]bool{"members": true, "invitations": true, "roles": true, "webhooks": true, "api-keys": true, "teams": true, "domains": true,
		"join-links": true, "join-requests": true, "scim-connections": true, "tokens": true, "oidc-connections": true,
		"saml-connections": true, "setup-links": true}
	for i := 1; i < len(segs); i++ {
		if collections[segs[i-1]] && segs[i] != "import" {
			ids = append(ids, segs[i])
		}
	}
	return ids
}

// snapshot is what the operator sees of a workspace, minus the API keys'
// last use (authenticating updates it).
func snapshot(t *testing.T, d *directory.Directory, ws string) string {
	t.Helper()
	ctx := context.Background()
	op := directory.Operator()
	var parts []any
	add := func(v any, err error) {
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, v)
	}
	add(d.GetWorkspace(ctx, op, ws))
	add(d.ListMembers(ctx, op, ws, directory.MemberFilter{Limit: 500}))
	add(d.ListInvitations(ctx, op, ws, "", 1000))
	add(d.ListRoles(ctx, op, ws))
	add(d.ListWebhooks(ctx, op, ws))
	add(d.ListTeams(ctx, op, ws))
	add(d.ListDomains(ctx, op, ws))
	add(d.ListOIDCConnections(ctx, op, ws))
	add(d.ListSAMLConnections(ctx, op, ws))
	keys, err := d.ListAPIKeys(ctx, op, ws)
	for i := range keys {
		keys[i].LastUsedAt = nil
	}
	add(keys, err)
	b, _ := json.Marshal(parts)
	return string(b)
}
