package store

import (
	"fmt"
	"slices"
	"strings"
)

// ErrorText is an error's message without the sentinel prefix, for
// outcomes shown to people.
func ErrorText(err error) string {
	s := err.Error()
	for _, prefix := range []string{ErrInvalid.Error() + ": ", ErrForbidden.Error() + ": "} {
		s = strings.TrimPrefix(s, prefix)
	}
	return s
}

// AuthorizeInvite checks that the actor may invite with role: it needs
// members.invite, its role must be among the workspace's inviting roles
// (owners decide which), and it cannot grant more than it holds.
func (t *Tx) AuthorizeInvite(ws *WorkspaceRow, roleKey string) (Principal, Role, error) {
	p, err := t.Authorize(ws, PermMembersInvite)
	if err != nil {
		return p, Role{}, err
	}
	if p.Actor.Kind != ActorOperator && p.Actor.Kind != ActorSystem && p.Actor.Kind != ActorSCIM && !p.IsOwner() && !slices.Contains(ws.InviteRoleKeys(), p.Role.Key) {
		return p, Role{}, fmt.Errorf("%w: the owners of this workspace have not allowed the %s role to invite", ErrForbidden, p.Role.Key)
	}
	r, err := t.RequireGrantable(ws, p, roleKey)
	return p, r, err
}

// ResolveTeams checks team ids (or names) belong to the workspace and
// returns their ids.
func (t *Tx) ResolveTeams(workspaceID string, refs []string) ([]string, error) {
	ids := []string{}
	for _, ref := range refs {
		var id string
		err := t.GetOne(&id, `SELECT id FROM teams WHERE workspace_id = ? AND (id = ? OR name_norm = ?)`, workspaceID, ref, FoldCase(strings.TrimSpace(ref)))
		if err != nil {
			return nil, fmt.Errorf("%w: unknown team %q", ErrInvalid, ref)
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids, nil
}
