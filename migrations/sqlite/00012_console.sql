-- +goose Up
-- The console's Members page reads the invitations of one page of
-- memberships (directory.MembersPage): by membership, never by scanning
-- a workspace's invitations.
CREATE INDEX invitations_membership ON invitations (membership_id, created_at);
-- Keyset pages of a workspace's members (ListMembers: ORDER BY id after
-- a cursor) read one page of this index instead of sorting the workspace.
CREATE INDEX memberships_workspace_id ON memberships (workspace_id, id);

-- +goose Down
DROP INDEX memberships_workspace_id;
DROP INDEX invitations_membership;
