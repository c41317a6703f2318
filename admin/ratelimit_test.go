package admin_test

import (
	"testing"
)

// TestSCIMConnectionRateLimit sets a connection's rate limit over the API,
// leaves it alone when the field is omitted, puts it back to the server's
// default with 0, and refuses values out of range.
func TestSCIMConnectionRateLimit(t *testing.T) {
	run(t, func(t *testing.T, e *env) {
		acme := e.newTenant("acme")
		owner := acme.keys["owner"]
		ws := "/api/v1/workspaces/acme"
		var raw map[string]any
		e.must(e.do("POST", ws+"/scim-connections", owner, map[string]any{"profile": "okta"}), 201, &raw)
		if raw["rate_limit_per_second"] != float64(0) || raw["rate_limit_burst"] != float64(0) {
			t.Errorf("new connection: rate limit %v burst %v, want 0 and 0 (the server's default)", raw["rate_limit_per_second"], raw["rate_limit_burst"])
		}
		id := raw["id"].(string)
		e.must(e.do("PATCH", ws+"/scim-connections/"+id, owner, map[string]any{"rate_limit_per_second": 2.5, "rate_limit_burst": 5}), 200, &raw)
		if raw["rate_limit_per_second"] != 2.5 || raw["rate_limit_burst"] != float64(5) {
			t.Errorf("after PATCH: %v", raw)
		}
		e.must(e.do("PATCH", ws+"/scim-connections/"+id, owner, map[string]any{"default_role": "member"}), 200, &raw)
		if raw["rate_limit_per_second"] != 2.5 || raw["rate_limit_burst"] != float64(5) {
			t.Errorf("a PATCH without the fields changed them: %v", raw)
		}
		e.must(e.do("PATCH", ws+"/scim-connections/"+id, owner, map[string]any{"rate_limit_per_second": 0, "rate_limit_burst": 0}), 200, &raw)
		if raw["rate_limit_per_second"] != float64(0) || raw["rate_limit_burst"] != float64(0) {
			t.Errorf("back to the default: %v", raw)
		}
		for _, bad := range []map[string]any{{"rate_limit_per_second": -1}, {"rate_limit_burst": 100001}, {"rate_limit_per_second": 1e6}} {
			if r := e.do("PATCH", ws+"/scim-connections/"+id, owner, bad); r.status != 422 {
				t.Errorf("%v: %d %s", bad, r.status, r.body)
			}
		}
	})
}
