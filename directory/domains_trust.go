package directory

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
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
func (d *Directory) TrustDomain(ctx context.Context, actor store.Actor, workspace, domain string) (store.Domain, error) {
	if actor.Kind != store.ActorOperator {
		return store.Domain{}, fmt.Errorf("%w: only the server's operator can mark a domain verified without DNS; verify it with its TXT record instead", store.ErrForbidden)
	}
	name, err := store.NormalizeDomain(domain)
	if err != nil {
		return store.Domain{}, err
	}
	var out store.Domain
	err = d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		var r store.DomainRow
		err = t.GetOne(&r, `SELECT `+store.DomainColumns+` FROM domains WHERE workspace_id = ? AND domain = ?`+t.ForUpdate(), ws.ID, name)
		if store.IsNotFound(store.NotFound(err, "")) {
			token, _ := store.NewToken()
			r = store.DomainRow{ID: store.NewID(), WorkspaceID: ws.ID, Domain: name, Token: token, Policy: store.DomainRequest, DefaultRole: store.RoleMember, CreatedAt: t.Now, UpdatedAt: t.Now}
			_, err = t.Execute(`INSERT INTO domains (`+store.DomainColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				r.ID, r.WorkspaceID, r.Domain, r.Token, r.VerifiedAt, r.Policy, r.DefaultRole, r.CreatedAt, r.UpdatedAt)
			if err != nil {
				return fmt.Errorf("trust domain: %w", err)
			}
			if err := t.Emit(ws.ID, "domain.added", "domain", r.ID, map[string]string{"domain": name}); err != nil {
				return err
			}
		} else if err != nil {
			return fmt.Errorf("trust domain: %w", err)
		}
		if r.VerifiedAt != nil {
			out = r.Public()
			return nil
		}
		_, err = t.Execute(`UPDATE domains SET verified_at = ?, updated_at = ? WHERE id = ?`, t.Now, t.Now, r.ID)
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("%w: %s is verified by another workspace", store.ErrConflict, name)
		} else if err != nil {
			return fmt.Errorf("trust domain: %w", err)
		}
		now := t.Now
		r.VerifiedAt, r.UpdatedAt = &now, now
		out = r.Public()
		return t.Emit(ws.ID, "domain.verified", "domain", r.ID, map[string]string{"domain": name, "method": "operator"})
	})
	return out, err
}
