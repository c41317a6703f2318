package directory

import "fmt"

// connectionsOf opens a list of sign-in connections (OIDC or SAML): a
// workspace's needs connections.manage; every workspace's (workspace
// empty) is the operator's alone. It returns the condition to add to the
// connections' SELECT (c is the connection, w its workspace) and its
// arguments.
func (t *tx) connectionsOf(workspace string) (where string, args []any, err error) {
	if workspace == "" {
		if t.actor.Kind != ActorOperator {
			return "", nil, fmt.Errorf("%w: only the operator lists every workspace's connections", ErrForbidden)
		}
		return "", nil, nil
	}
	ws, _, err := t.authorized(workspace, PermConnectionsManage)
	if err != nil {
		return "", nil, err
	}
	return ` WHERE c.workspace_id = ?`, []any{ws.ID}, nil
}
