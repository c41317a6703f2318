package provision

import "github.com/rosterhq/roster/directory/internal/store"

// scimWorkspace is the connection's workspace: the row authentication
// read, else a fresh read.
func scimWorkspace(t *store.Tx, conn store.SCIMConnection) (*store.WorkspaceRow, error) {
	if conn.Workspace != nil {
		return conn.Workspace, nil
	}
	return t.Workspace(conn.WorkspaceID)
}
