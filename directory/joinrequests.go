package directory

import (
	"context"
	"fmt"
	"slices"

	"github.com/rosterhq/roster/directory/internal/store"
)

// joinRequest loads one request of a workspace.
func joinRequest(t *store.Tx, workspaceID, requestID string, lock bool) (*store.JoinRequestRow, error) {
	q := store.JoinRequestSelect + ` WHERE r.workspace_id = ? AND r.id = ?`
	if lock {
		q += t.Store.Flavor.ForUpdateOf("r")
	}
	var r store.JoinRequestRow
	if err := t.GetOne(&r, q, workspaceID, requestID); err != nil {
		return nil, store.NotFound(err, "join request "+requestID)
	}
	return &r, nil
}

// JoinByDomain joins workspace on behalf of a verified identity whose email
// domain the workspace has verified (otherwise ErrForbidden: only verified
// domains grant anything). Policy auto_join makes an active member with the
// domain's default role, seat limit permitting; policy request files a join
// request and notifies the owners, admins and managers.
func (d *Directory) JoinByDomain(ctx context.Context, workspace string, id store.VerifiedIdentity) (store.JoinResult, error) {
	id = id.Storable()
	var out store.JoinResult
	email, err := store.NormalizeEmail(id.Email)
	if err != nil {
		return out, err
	}
	actor := store.Actor{Kind: store.ActorUser, Name: id.Name, Source: "oidc"}
	var seatErr *store.SeatLimitError
	var wsID string
	err = d.InTx(ctx, actor, func(t *store.Tx) error {
		var err error
		out, wsID, err = t.JoinByDomain(workspace, email, id)
		return err
	})
	if store.AsSeatLimit(err, &seatErr) {
		d.NotifySeatLimit(ctx, actor, wsID, seatErr, email, "domain auto-join")
	}
	return out, err
}

// authorizeJoinRequests resolves who may see and decide join requests:
// members.manage; members.invite for roles the owners let invite
// (accepting a request is an invitation decided afterwards); and, for
// requests filed through a join link, joinlinks.manage (whoever may make a
// direct link that admits people at once may also admit them one by one).
// linkRequest says whether the request at hand came through a link; for
// listing it is true, so link managers see the queue they are notified of.
func authorizeJoinRequests(t *store.Tx, ws *store.WorkspaceRow, linkRequest bool) (store.Principal, error) {
	p, err := t.Principal(ws)
	if err != nil {
		return p, err
	}
	switch {
	case p.Can(store.PermMembersManage):
		return p, nil
	case p.Can(store.PermMembersInvite) && (p.Actor.Kind == store.ActorSystem || p.Actor.Kind == store.ActorSCIM || p.IsOwner() || slices.Contains(ws.InviteRoleKeys(), p.Role.Key)):
		return p, nil
	case linkRequest && p.Can(store.PermJoinLinksManage):
		return p, nil
	}
	return p, fmt.Errorf("%w: role %q may not decide join requests", store.ErrForbidden, p.Role.Key)
}

// ListJoinRequests lists a workspace's join requests, oldest first (a
// review queue), at most 1,000; status filters (pending, accepted,
// rejected; empty or StatusAll for all).
func (d *Directory) ListJoinRequests(ctx context.Context, actor store.Actor, workspace, status string) ([]store.JoinRequest, error) {
	out := []store.JoinRequest{}
	err := d.ReadTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		if _, err := authorizeJoinRequests(t, ws, true); err != nil {
			return err
		}
		q := store.JoinRequestSelect + ` WHERE r.workspace_id = ?`
		args := []any{ws.ID}
		switch status {
		case "", store.StatusAll:
		case store.JoinRequestPending, store.JoinRequestAccepted, store.JoinRequestRejected:
			q += ` AND r.status = ?`
			args = append(args, status)
		default:
			return store.Invalidf("unknown join request status %q (pending, accepted or rejected)", status)
		}
		var rows []store.JoinRequestRow
		if err := t.SelectRows(&rows, q+` ORDER BY r.created_at, r.id LIMIT 1000`, args...); err != nil {
			return fmt.Errorf("list join requests: %w", err)
		}
		for i := range rows {
			out = append(out, rows[i].Public())
		}
		return nil
	})
	return out, err
}

// decideJoinRequest loads a pending request for a decision by the actor.
func decideJoinRequest(t *store.Tx, ws *store.WorkspaceRow, requestID string, statuses ...string) (*store.JoinRequestRow, store.Principal, error) {
	r, err := joinRequest(t, ws.ID, requestID, true)
	if err != nil {
		return nil, store.Principal{}, err
	}
	p, err := authorizeJoinRequests(t, ws, r.JoinLinkID != nil)
	if err != nil {
		return nil, p, err
	}
	if !slices.Contains(statuses, r.Status) {
		return nil, p, fmt.Errorf("%w: join request is %s", store.ErrConflict, r.Status)
	}
	return r, p, nil
}

// AcceptJoinRequest accepts a pending request: the person becomes an
// active member with the request's role and teams (seat limit permitting;
// the actor must be able to grant the role), and is emailed.
func (d *Directory) AcceptJoinRequest(ctx context.Context, actor store.Actor, workspace, requestID string) (store.Member, error) {
	var out store.Member
	var seatErr *store.SeatLimitError
	var wsID, email string
	err := d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		wsID = ws.ID
		r, p, err := decideJoinRequest(t, ws, requestID, store.JoinRequestPending)
		if err != nil {
			return err
		}
		email = r.Email
		role, err := t.RequireGrantable(ws, p, r.Role)
		if err != nil {
			return err
		}
		u, kind, err := t.EnsureUser(ws, r.Email, r.Name, "", nil)
		if err != nil {
			return err
		}
		m, err := t.GrantMembership(ws, u, kind, store.Grant{Role: r.Role, Teams: store.DecodeStrings(r.Teams), Source: store.SourceJoinRequest, JoinLinkID: r.JoinLinkID,
			Via: store.SourceJoinRequest, ViaID: r.ID})
		if err != nil {
			return err
		}
		if _, err := t.Execute(`UPDATE join_requests SET status = 'accepted', decided_by = ?, decided_at = ? WHERE id = ?`, actorRef(p.Actor), t.Now, r.ID); err != nil {
			return fmt.Errorf("accept join request: %w", err)
		}
		if err := t.Emit(ws.ID, "join_request.accepted", "join_request", r.ID, map[string]string{"user_id": r.UserID, "email": r.Email, "membership_id": m.ID, "role": r.Role}); err != nil {
			return err
		}
		if err := t.EnqueueEmail(ws.ID, store.EmailRequest{Template: "join_request_accepted", To: []string{r.Email}, Data: map[string]string{
			"workspace": ws.Name, "role": role.Name, "link": t.Store.PublicURL + "/login"}}); err != nil {
			return err
		}
		out = *m
		return nil
	})
	if store.AsSeatLimit(err, &seatErr) {
		d.NotifySeatLimit(ctx, actor, wsID, seatErr, email, "join request")
	}
	return out, err
}

// RejectJoinRequest rejects a pending request and tells the person. A
// rejected person can never file again for this workspace (unless the
// rejection is dismissed).
func (d *Directory) RejectJoinRequest(ctx context.Context, actor store.Actor, workspace, requestID string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		r, p, err := decideJoinRequest(t, ws, requestID, store.JoinRequestPending)
		if err != nil {
			return err
		}
		if _, err := t.Execute(`UPDATE join_requests SET status = 'rejected', decided_by = ?, decided_at = ? WHERE id = ?`, actorRef(p.Actor), t.Now, r.ID); err != nil {
			return fmt.Errorf("reject join request: %w", err)
		}
		if err := t.Emit(ws.ID, "join_request.rejected", "join_request", r.ID, map[string]string{"user_id": r.UserID, "email": r.Email}); err != nil {
			return err
		}
		return t.EnqueueEmail(ws.ID, store.EmailRequest{Template: "join_request_rejected", To: []string{r.Email}, Data: map[string]string{"workspace": ws.Name}})
	})
}

// DismissJoinRequest deletes a pending or rejected request without telling
// anyone; the person may file again.
func (d *Directory) DismissJoinRequest(ctx context.Context, actor store.Actor, workspace, requestID string) error {
	return d.InTx(ctx, actor, func(t *store.Tx) error {
		ws, err := t.Workspace(workspace)
		if err != nil {
			return err
		}
		r, _, err := decideJoinRequest(t, ws, requestID, store.JoinRequestPending, store.JoinRequestRejected)
		if err != nil {
			return err
		}
		if _, err := t.Execute(`DELETE FROM join_requests WHERE id = ?`, r.ID); err != nil {
			return fmt.Errorf("dismiss join request: %w", err)
		}
		return t.Emit(ws.ID, "join_request.dismissed", "join_request", r.ID, map[string]string{"user_id": r.UserID, "email": r.Email, "previous_status": r.Status})
	})
}
