package store

import (
	"fmt"
	"slices"
)

// VerifiedDomainOwner is the workspace that has VERIFIED domain (an
// unverified claim never routes a login); ok is false when none has.
func (t *Tx) VerifiedDomainOwner(domain string) (workspaceID string, ok bool, err error) {
	if err := t.GetOne(&workspaceID, `SELECT workspace_id FROM domains WHERE domain = ? AND verified_at IS NOT NULL`, domain); err != nil {
		if IsNotFound(NotFound(err, "")) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("route %s: %w", domain, err)
	}
	return workspaceID, true, nil
}

// RouteDomain is home-realm discovery's choice among a workspace's
// connections of one protocol, oldest first: the first naming domain wins
// over one serving every verified domain of the workspace (naming none),
// and of those the first wins.
func RouteDomain[C any](conns []C, domains func(C) []string, domain string) (conn C, ok bool) {
	fallback := -1
	for i, c := range conns {
		names := domains(c)
		if slices.Contains(names, domain) {
			return c, true
		}
		if len(names) == 0 && fallback < 0 {
			fallback = i
		}
	}
	if fallback < 0 {
		return conn, false
	}
	return conns[fallback], true
}
