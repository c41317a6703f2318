package directory

import (
	"context"
	"net"

	"github.com/rosterhq/roster/directory/internal/store"
)

// linkTarget is the workspace a link leads to and the role it grants, as
// the link's page shows them: a role deleted since shows as its key.
func linkTarget(t *store.Tx, workspaceID, roleKey string) (*store.WorkspaceRow, store.Role, error) {
	ws, err := t.Workspace(workspaceID)
	if err != nil {
		return nil, store.Role{}, err
	}
	role, err := t.Role(ws.ID, roleKey)
	if err != nil {
		role = store.Role{Key: roleKey, Name: roleKey}
	}
	return ws, role, nil
}

type netResolver struct{}

func (netResolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	return net.DefaultResolver.LookupTXT(ctx, name)
}
