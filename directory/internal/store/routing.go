package store

import (
	"context"
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

// RouteEmail is home-realm discovery for one protocol: the connection
// that signs in an email address, chosen by the address's domain among
// domains a workspace has VERIFIED. query selects rows of type R of one
// workspace (its one parameter), oldest first, and public turns a row into
// the connection; among them the first naming the domain wins over one
// serving every verified domain of the workspace (naming none), and of
// those the first wins. ok is false when nothing routes the domain;
// callers must answer that case the same way whether or not the domain is
// known elsewhere.
func RouteEmail[R, C any](ctx context.Context, s *Store, email, query string, public func(*R) C, domains func(C) []string) (conn C, ok bool, err error) {
	addr, err := NormalizeEmail(email)
	if err != nil {
		return conn, false, err
	}
	domain, err := NormalizeDomain(EmailDomain(addr))
	if err != nil {
		return conn, false, err
	}
	err = s.ReadTx(ctx, System(), func(t *Tx) error {
		wsID, routed, err := t.VerifiedDomainOwner(domain)
		if err != nil || !routed {
			return err
		}
		var rows []R
		if err := t.SelectRows(&rows, query, wsID); err != nil {
			return fmt.Errorf("route %s: %w", domain, err)
		}
		fallback := -1
		for i := range rows {
			names := domains(public(&rows[i]))
			if slices.Contains(names, domain) {
				conn, ok = public(&rows[i]), true
				return nil
			}
			if len(names) == 0 && fallback < 0 {
				fallback = i
			}
		}
		if fallback >= 0 {
			conn, ok = public(&rows[fallback]), true
		}
		return nil
	})
	return conn, ok, err
}
