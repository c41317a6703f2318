package signin

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// SignInGap is why no provider routes the address of someone holding a
// workspace's invitation or join link, so that the page can say what the
// invitee can do and what the workspace's administrators must do, rather
// than send them to ask for the invitation they already have.
type SignInGap struct {
	// Domain is the address's domain.
	Domain string
	// HasSSO: the workspace has single sign-on (an OIDC connection), but
	// the domain does not route to it.
	HasSSO bool
	// DomainPending: the workspace claimed the domain and has not
	// verified it yet (unverified domains never route sign-ins).
	DomainPending bool
}

// SignInGapFor explains a missing route for email into workspaceID. It
// tells only about the workspace whose link the person holds.
func (d *Signin) SignInGapFor(ctx context.Context, workspaceID, email string) (SignInGap, error) {
	addr, err := store.NormalizeEmail(email)
	if err != nil {
		return SignInGap{}, err
	}
	domain, err := store.NormalizeDomain(store.EmailDomain(addr))
	if err != nil {
		return SignInGap{}, err
	}
	gap := SignInGap{Domain: domain}
	err = d.ReadTx(ctx, store.System(), func(t *store.Tx) error {
		var n int
		if err := t.GetOne(&n, `SELECT COUNT(*) FROM oidc_connections WHERE workspace_id = ?`, workspaceID); err != nil {
			return fmt.Errorf("sign-in gap: %w", err)
		}
		gap.HasSSO = n > 0
		if err := t.GetOne(&n, `SELECT COUNT(*) FROM domains WHERE workspace_id = ? AND domain = ? AND verified_at IS NULL`, workspaceID, domain); err != nil {
			return fmt.Errorf("sign-in gap: %w", err)
		}
		gap.DomainPending = n > 0
		return nil
	})
	return gap, err
}
