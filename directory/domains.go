package directory

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// SetDomainPolicy sets what a domain does: policy auto_join or request
// (empty keeps the current one), and the role people get through it
// (empty keeps the current one). The default role may be any role but
// owner that the actor can grant.
func (d *Directory) SetDomainPolicy(ctx context.Context, actor store.Actor, workspace, domainID, policy, defaultRole string) (store.Domain, error) {
	var out store.Domain
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, p, err := t.Authorized(workspace, store.PermDomainsManage)
		if err != nil {
			return err
		}
		r, err := t.Domain(ws.ID, domainID, true)
		if err != nil {
			return err
		}
		switch policy {
		case "":
		case store.DomainAutoJoin, store.DomainRequest:
			r.Policy = policy
		default:
			return store.Invalidf("unknown domain policy %q (auto_join or request)", policy)
		}
		if defaultRole != "" {
			role, err := requireJoinRole(t, ws, p, defaultRole)
			if err != nil {
				return err
			}
			r.DefaultRole = role.Key
		}
		r.UpdatedAt = t.Now
		if _, err := t.Execute(`UPDATE domains SET policy = ?, default_role = ?, updated_at = ? WHERE id = ?`, r.Policy, r.DefaultRole, r.UpdatedAt, r.ID); err != nil {
			return fmt.Errorf("set domain policy: %w", err)
		}
		out = r.Public()
		return t.Emit(ws.ID, "domain.updated", "domain", r.ID, map[string]string{"domain": r.Domain, "policy": r.Policy, "default_role": r.DefaultRole})
	})
	return out, err
}

// requireJoinRole checks a role that people will get without anyone
// choosing them one by one (a domain's default role, a join link's role):
// the actor must be able to grant it, and it is never owner.
func requireJoinRole(t *store.Tx, ws *store.WorkspaceRow, p store.Principal, key string) (store.Role, error) {
	if key == store.RoleOwner {
		return store.Role{}, store.Invalidf("the owner role cannot be granted through a domain or a join link")
	}
	return t.RequireGrantable(ws, p, key)
}

// RemoveDomain removes a domain from a workspace. Members who joined
// through it stay; pending join requests stay for admins to decide.
func (d *Directory) RemoveDomain(ctx context.Context, actor store.Actor, workspace, domainID string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, _, err := t.Authorized(workspace, store.PermDomainsManage)
		if err != nil {
			return err
		}
		r, err := t.Domain(ws.ID, domainID, true)
		if err != nil {
			return err
		}
		if _, err := t.Execute(`DELETE FROM domains WHERE id = ?`, r.ID); err != nil {
			return fmt.Errorf("remove domain: %w", err)
		}
		return t.Emit(ws.ID, "domain.removed", "domain", r.ID, map[string]any{"domain": r.Domain, "was_verified": r.VerifiedAt != nil})
	})
}

// VerifiedDomain says which workspace has verified a domain (the domain of
// an email address may be passed as is; it is normalised here), for
// home-realm discovery and SCIM. It takes no actor: callers answer the same
// way whatever it returns, and unverified claims are never reported. A
// malformed domain is ErrInvalid.
func (d *Directory) VerifiedDomain(ctx context.Context, domain string) (store.Domain, bool, error) {
	name, err := store.NormalizeDomain(domain)
	if err != nil {
		return store.Domain{}, false, err
	}
	var out store.Domain
	found := false
	err = d.ReadTx(ctx, store.System(), func(t *store.Tx) error {
		var r store.DomainRow
		err := t.GetOne(&r, `SELECT `+store.DomainColumns+` FROM domains WHERE domain = ? AND verified_at IS NOT NULL`, name)
		if err != nil {
			if store.IsNotFound(store.NotFound(err, "")) {
				return nil
			}
			return fmt.Errorf("find verified domain: %w", err)
		}
		out, found = r.Public(), true
		return nil
	})
	return out, found, err
}
