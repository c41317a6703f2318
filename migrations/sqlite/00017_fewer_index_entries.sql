-- +goose Up
-- Fewer index entries per synced person (issue 13); see the PostgreSQL
-- migration of the same number. Here the primary keys of scim_requests
-- and events are the rowid and cost no index, so only the two indexes
-- change: the retention prune reads scim_requests_connection (connection,
-- id) instead of scim_requests_created, and outbox_target holds webhook
-- messages only.
DROP INDEX scim_requests_created;
DROP INDEX outbox_target;
CREATE INDEX outbox_target ON outbox (target_id, status) WHERE kind = 'webhook';

-- +goose Down
DROP INDEX outbox_target;
CREATE INDEX outbox_target ON outbox (kind, target_id, status);
CREATE INDEX scim_requests_created ON scim_requests (connection_id, created_at);
