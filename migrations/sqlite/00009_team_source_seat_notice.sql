-- +goose Up
-- Which door created a team, so that "managed by the identity provider"
-- does not depend on the IdP sending an externalId (Okta sends none for
-- pushed groups): 'scim' for a team a SCIM connection created (and which
-- one), 'roster' for one an admin created.
ALTER TABLE teams ADD COLUMN managed_by TEXT NOT NULL DEFAULT 'roster';
-- No foreign key: a team keeps naming the connection that made it, and
-- SQLite could not drop a column that has one.
ALTER TABLE teams ADD COLUMN scim_connection_id TEXT;

-- An existing team came from SCIM when its team.created event (written in
-- the transaction that created it, and never deleted) was written by a
-- SCIM connection, the event's actor. Not when it merely carries an
-- externalId: an IdP may adopt a team an admin made (Entra matches groups
-- by name), and that team is still the admin's.
UPDATE teams SET managed_by = 'scim',
    scim_connection_id = (SELECT e.actor_id FROM events e
        WHERE e.type = 'team.created' AND e.subject_kind = 'team' AND e.subject_id = teams.id AND e.actor_kind = 'scim'
        ORDER BY e.id LIMIT 1)
WHERE id IN (SELECT subject_id FROM events WHERE type = 'team.created' AND subject_kind = 'team' AND actor_kind = 'scim');

-- An open seat-limit episode of a workspace: its owners were emailed at
-- notified_at that it is out of seats, and are not emailed again until the
-- row is gone (directory/seats.go). A table of its own, not a column of
-- workspaces: every update of workspaces clears the SCIM authentication
-- caches of all replicas (migration 6), and refusals come in bursts.
CREATE TABLE seat_limit_notices (
    workspace_id    TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
    notified_at     TIMESTAMP NOT NULL
);

-- +goose Down
DROP TABLE seat_limit_notices;
ALTER TABLE teams DROP COLUMN scim_connection_id;
ALTER TABLE teams DROP COLUMN managed_by;
