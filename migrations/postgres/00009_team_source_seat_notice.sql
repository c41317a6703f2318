-- +goose Up
-- Which door created a team, so that "managed by the identity provider"
-- does not depend on the IdP sending an externalId (Okta sends none for
-- pushed groups): 'scim' for a team a SCIM connection created (and which
-- one), 'roster' for one an admin created.
ALTER TABLE teams ADD COLUMN managed_by TEXT NOT NULL DEFAULT 'roster';
-- No foreign key: a team keeps naming the connection that made it, and
-- SQLite could not drop a column that has one.
ALTER TABLE teams ADD COLUMN scim_connection_id TEXT;

-- Existing teams came from SCIM when the IdP created them (their
-- team.created event was written by a SCIM connection), or when they carry
-- what only SCIM writes: an externalId or a member display. A workspace has
-- at most one SCIM connection, so that connection is the one.
UPDATE teams SET managed_by = 'scim',
    scim_connection_id = (SELECT c.id FROM scim_connections c WHERE c.workspace_id = teams.workspace_id)
WHERE id IN (SELECT subject_id FROM events WHERE type = 'team.created' AND subject_kind = 'team' AND actor_kind = 'scim')
   OR external_id IS NOT NULL
   OR id IN (SELECT team_id FROM team_members WHERE scim_display IS NOT NULL);

-- When the owners were told that the workspace is out of seats; NULL when
-- no seat-limit episode is open. One email per episode (directory/seats.go).
ALTER TABLE workspaces ADD COLUMN seat_limit_notified_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE workspaces DROP COLUMN seat_limit_notified_at;
ALTER TABLE teams DROP COLUMN scim_connection_id;
ALTER TABLE teams DROP COLUMN managed_by;
