package admin_test

import (
	"context"
	"testing"

	"github.com/rosterhq/roster/admin"
	"github.com/rosterhq/roster/directory"
)

// TestTeamsSayWhoManagesThem: GET /teams says a group the identity
// provider pushed without an externalId (as Okta does) is managed by SCIM,
// names the connection, and fits the documented Team schema.
func TestTeamsSayWhoManagesThem(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		tn := e.newTenant("acme")
		if _, err := e.d.CreateSCIMConnection(ctx, directory.Operator(), tn.ws.ID, directory.SCIMConnectionRequest{Profile: "okta", DefaultRole: directory.RoleMember}); err != nil {
			t.Fatal(err)
		}
		_, token, err := e.d.CreateSCIMToken(ctx, directory.Operator(), tn.ws.ID, directory.SCIMTokenRequest{})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := e.d.AuthenticateSCIM(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		pushed, _, err := e.d.SCIMCreateGroup(ctx, conn, directory.SCIMGroupInput{DisplayName: "Okta Engineering"})
		if err != nil {
			t.Fatal(err)
		}
		var local admin.Team
		e.must(e.do("POST", "/api/v1/workspaces/acme/teams", tn.keys["owner"], map[string]any{"name": "Book club"}), 201, &local)
		if local.ManagedBy != "roster" || local.SCIMConnectionID != nil {
			t.Errorf("created team = managed by %q, connection %v", local.ManagedBy, local.SCIMConnectionID)
		}

		res := e.do("GET", "/api/v1/workspaces/acme/teams", tn.keys["member"], nil)
		var list admin.TeamList
		e.must(res, 200, &list)
		byID := map[string]admin.Team{}
		for _, tm := range list.Teams {
			byID[tm.ID] = tm
		}
		got := byID[pushed.ID]
		if got.ExternalID != nil || got.ManagedBy != "scim" || got.SCIMConnectionID == nil || *got.SCIMConnectionID != conn.ID {
			t.Errorf("pushed group on the wire = externalId %v, managed_by %q, scim_connection_id %v; want none, scim, %s",
				got.ExternalID, got.ManagedBy, got.SCIMConnectionID, conn.ID)
		}
		if got := byID[local.ID]; got.ManagedBy != "roster" {
			t.Errorf("admin's team on the wire = managed_by %q", got.ManagedBy)
		}

		var raw any
		res.decode(t, &raw)
		doc := loadOpenAPI(t, e)
		for _, msg := range validate(t, doc, map[string]any{"$ref": "#/components/schemas/TeamList"}, raw, "GET /teams") {
			t.Error(msg)
		}
		// The schema holds the two values, and nothing else passes.
		bad := map[string]any{"teams": []any{map[string]any{"id": "x", "workspace_id": "y", "name": "n", "role": nil, "managed_by": "okta",
			"scim_connection_id": nil, "member_count": 0, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}}}
		if msgs := validate(t, doc, map[string]any{"$ref": "#/components/schemas/TeamList"}, bad, "bad"); len(msgs) == 0 {
			t.Error(`managed_by "okta" fits the documented schema`)
		}
	})
}
