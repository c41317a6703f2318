package admin_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/directory"
)

// lastPayload is the payload of the newest event of a type in a workspace,
// as stored (and so as the feed and webhooks carry it).
func lastPayload(t *testing.T, e *env, ws, typ string) map[string]any {
	t.Helper()
	evs, err := e.d.ListEvents(context.Background(), directory.Operator(), ws, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type == typ {
			var p map[string]any
			if err := json.Unmarshal(evs[i].Payload, &p); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	t.Fatalf("no %s event", typ)
	return nil
}

// TestDurationsAreSeconds checks that every duration of the admin API, in
// answers, requests and the events they cause, is a whole number of
// seconds in a field named …_seconds.
func TestDurationsAreSeconds(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		owner := acme.keys["owner"]
		ws := "/api/v1/workspaces/acme"

		var raw map[string]any
		e.must(e.do("GET", ws, owner, nil), 200, &raw)
		if raw["invitation_ttl_seconds"] != float64(7*86400) {
			t.Errorf("default invitation_ttl_seconds = %v, want %d", raw["invitation_ttl_seconds"], 7*86400)
		}
		for _, old := range []string{"invitation_ttl", "invitation_ttl_hours"} {
			if _, ok := raw[old]; ok {
				t.Errorf("workspace still has %s: %v", old, raw)
			}
		}
		// An hour and a half: seconds are kept exactly, not rounded to hours.
		e.must(e.do("PATCH", ws, owner, map[string]any{"invitation_ttl_seconds": 5400}), 200, &raw)
		if raw["invitation_ttl_seconds"] != float64(5400) {
			t.Errorf("invitation_ttl_seconds = %v after setting 5400", raw["invitation_ttl_seconds"])
		}
		if p := lastPayload(t, e, "acme", "workspace.updated"); p["invitation_ttl_seconds"] != float64(5400) || p["invitation_ttl"] != nil {
			t.Errorf("workspace.updated payload = %v", p)
		}
		for _, bad := range []int{0, 3599, 90*86400 + 1} {
			if r := e.do("PATCH", ws, owner, map[string]any{"invitation_ttl_seconds": bad}); r.status != 422 {
				t.Errorf("invitation_ttl_seconds %d: %d", bad, r.status)
			}
		}
		r := e.do("PATCH", ws, owner, map[string]any{"invitation_ttl_hours": 48})
		if p := r.problem(t); r.status != 422 || len(p.Errors) != 1 || p.Errors[0].Pointer != "#/invitation_ttl_hours" || !strings.Contains(p.Errors[0].Detail, "invitation_ttl_seconds") {
			t.Errorf("the old hours field: %d %s", r.status, r.body)
		}

		// SCIM connections: the request log's retention.
		e.must(e.do("POST", ws+"/scim-connections", owner, map[string]any{"profile": "okta"}), 201, &raw)
		if raw["log_retention_seconds"] != float64(30*86400) || raw["log_retention_days"] != nil {
			t.Errorf("new connection = %v, want log_retention_seconds %d", raw, 30*86400)
		}
		id := raw["id"].(string)
		e.must(e.do("PATCH", ws+"/scim-connections/"+id, owner, map[string]any{"log_retention_seconds": 7200}), 200, &raw)
		if raw["log_retention_seconds"] != float64(7200) {
			t.Errorf("log_retention_seconds = %v after setting 7200", raw["log_retention_seconds"])
		}
		if p := lastPayload(t, e, "acme", "scim.connection_updated"); p["log_retention_seconds"] != float64(7200) || p["log_retention"] != nil {
			t.Errorf("scim.connection_updated payload = %v", p)
		}
		if r := e.do("PATCH", ws+"/scim-connections/"+id, owner, map[string]any{"log_retention_seconds": 60}); r.status != 422 {
			t.Errorf("log_retention_seconds 60: %d", r.status)
		}

		// SCIM tokens: the lifetime asked for.
		var created struct {
			Token struct {
				CreatedAt time.Time  `json:"created_at"`
				ExpiresAt *time.Time `json:"expires_at"`
			} `json:"token"`
		}
		e.must(e.do("POST", ws+"/scim-connections/"+id+"/tokens", owner, map[string]any{"expires_in_seconds": 3600}), 201, &created)
		if created.Token.ExpiresAt == nil || created.Token.ExpiresAt.Sub(created.Token.CreatedAt) != time.Hour {
			t.Errorf("token of 3600 seconds = %+v", created.Token)
		}
		if r := e.do("POST", ws+"/scim-connections/"+id+"/tokens", owner, map[string]any{"expires_in_days": 1}); r.status != 422 {
			t.Errorf("the old days field: %d %s", r.status, r.body)
		}
	})
}
