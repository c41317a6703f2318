package directory

import (
	"context"
	"time"

	"github.com/rosterhq/roster/directory/internal/store"
)

// InvitationView is what the invitation page shows to whoever holds the
// link: who invited them, where, with which role, and whether the link
// still works.
type InvitationView struct {
	InvitationID  string
	WorkspaceID   string
	WorkspaceName string
	WorkspaceSlug string
	Email         string
	Role          string
	RoleName      string
	InviterName   string
	Status        string
	ExpiresAt     time.Time
}

// InvitationByToken looks an invitation up by its link token. The token is
// the capability, so no actor is needed. An unknown token is ErrNotFound.
func (d *Directory) InvitationByToken(ctx context.Context, token string) (InvitationView, error) {
	var v InvitationView
	err := d.ReadTx(ctx, store.System(), func(t *store.Tx) error {
		var r store.InvitationRow
		if err := t.ByToken(&r, "invitations", store.InvitationColumns, "invitation", token, false); err != nil {
			return err
		}
		ws, role, err := linkTarget(t, r.WorkspaceID, r.Role)
		if err != nil {
			return err
		}
		pub := r.Public(t.Now)
		v = InvitationView{InvitationID: r.ID, WorkspaceID: ws.ID, WorkspaceName: ws.Name, WorkspaceSlug: ws.Slug, Email: r.Email, Role: r.Role, RoleName: role.Name,
			InviterName: r.InviterName, Status: pub.Status, ExpiresAt: r.ExpiresAt}
		return nil
	})
	return v, err
}

// AcceptInvitation accepts an invitation with its token on behalf of a
// verified identity whose email must match the invited address. The
// membership becomes active, teams apply, a main-admin invitation replaces
// the previous main admin, and the grants are delivered in the
// member.activated event. Tokens are single use.
func (d *Directory) AcceptInvitation(ctx context.Context, token string, id store.VerifiedIdentity) (store.Acceptance, error) {
	id = id.Storable()
	var out store.Acceptance
	email, err := store.NormalizeEmail(id.Email)
	if err != nil {
		return out, err
	}
	var seatErr *store.SeatLimitError
	var wsID string
	err = d.InTx(ctx, store.Actor{Kind: store.ActorUser, Name: id.Name, Source: "oidc"}, func(t *store.Tx) error {
		var err error
		out, wsID, err = t.AcceptInvitation(token, email, id)
		return err
	})
	if store.AsSeatLimit(err, &seatErr) {
		d.NotifySeatLimit(ctx, store.Actor{Kind: store.ActorUser, Source: "oidc"}, wsID, seatErr, email, "invitation acceptance")
	}
	return out, err
}
