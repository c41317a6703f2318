package directory

import (
	"context"
	"fmt"
)

// TrustDomain marks domain verified for a workspace without looking for
// its DNS record: the server's operator vouches for it (a test machine, a
// domain whose DNS the operator runs, a customer verified by other
// means). Only the operator may: a workspace's admins and API keys prove
// a domain by DNS (VerifyDomain), never by saying so, since a verified
// domain routes sign-ins and grants memberships. The domain is claimed
// for the workspace first if it is not yet; trusting a verified domain
// returns it unchanged. The event feed records domain.verified with
// "method": "operator", under the operator's name.
func (d *Directory) TrustDomain(ctx context.Context, actor Actor, workspace, domain string) (Domain, error) {
	if actor.Kind != ActorOperator {
		return Domain{}, fmt.Errorf("%w: only the server's operator can mark a domain verified without DNS; verify it with its TXT record instead", ErrForbidden)
	}
	name, err := NormalizeDomain(domain)
	if err != nil {
		return Domain{}, err
	}
	var out Domain
	err = d.inTx(ctx, actor, func(t *tx) error {
		ws, err := t.workspace(workspace)
		if err != nil {
			return err
		}
		var r domainRow
		err = t.get(&r, `SELECT `+domainColumns+` FROM domains WHERE workspace_id = ? AND domain = ?`+t.forUpdate(), ws.ID, name)
		if isNotFound(notFound(err, "")) {
			token, _ := NewToken()
			r = domainRow{ID: newID(), WorkspaceID: ws.ID, Domain: name, Token: token, Policy: DomainRequest, DefaultRole: RoleMember, CreatedAt: t.now, UpdatedAt: t.now}
			_, err = t.exec(`INSERT INTO domains (`+domainColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.ID, r.WorkspaceID, r.Domain, r.Token, r.VerifiedAt, r.Policy, r.DefaultRole, r.CreatedAt, r.UpdatedAt)
			if err != nil {
				return fmt.Errorf("trust domain: %w", err)
			}
			if err := t.emit(ws.ID, "domain.added", "domain", r.ID, map[string]string{"domain": name}); err != nil {
				return err
			}
		} else if err != nil {
			return fmt.Errorf("trust domain: %w", err)
		}
		if r.VerifiedAt != nil {
			out = r.public()
			return nil
		}
		_, err = t.exec(`UPDATE domains SET verified_at = ?, updated_at = ? WHERE id = ?`, t.now, t.now, r.ID)
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: %s is verified by another workspace", ErrConflict, name)
		} else if err != nil {
			return fmt.Errorf("trust domain: %w", err)
		}
		now := t.now
		r.VerifiedAt, r.UpdatedAt = &now, now
		out = r.public()
		return t.emit(ws.ID, "domain.verified", "domain", r.ID, map[string]string{"domain": name, "method": "operator"})
	})
	return out, err
}
