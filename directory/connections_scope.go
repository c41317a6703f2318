package directory

import (
	"fmt"

	"github.com/rosterhq/roster/directory/internal/store"
)

// connectionsOf opens a list of sign-in connections (OIDC or SAML): a
// workspace's needs connections.manage; every workspace's (workspace
// empty) is the operator's alone. It returns the condition to add to the
// connections' SELECT (c is the connection, w its workspace) and its
// arguments.
func connectionsOf(t *store.Tx, workspace string) (where string, args []any, err error) {
	if workspace == "" {
		if t.Actor.Kind != store.ActorOperator {
			return "", nil, fmt.Errorf("%w: only the operator lists every workspace's connections", store.ErrForbidden)
		}
		return "", nil, nil
	}
	ws, _, err := t.Authorized(workspace, store.PermConnectionsManage)
	if err != nil {
		return "", nil, err
	}
	return ` WHERE c.workspace_id = ?`, []any{ws.ID}, nil
}
